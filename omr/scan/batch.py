"""Run a scan batch: files in, pages read in worker processes, results stored.

This is the I/O edge of the reading pipeline: it walks files, skips pages a
previous (perhaps killed) run already stored, fans pages out to workers in runs, and
stores the results a few pages to a transaction as they arrive (each page
whole), so that stopping at any moment duplicates nothing and loses at most
the pages of the last few seconds, which the next run reads again.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from omr import tuning as T
from omr.errors import InputFileError
from omr.forms.qrcodes import format_serial
from omr.model import (
    COVER_SHEET,
    HALF_NAMES,
    NEEDS_REVIEW,
    NO_MARKS,
    PAGE_ORDER,
    SET_ASIDE_REASONS,
    PageResult,
    PageSource,
)
from omr.scan.catalogue import Catalogue
from omr.scan.ingest import SCAN_FORMAT_NAMES, count_pages_checked, expand_paths, file_sha256
from omr.scan.page_workers import ByName, Failure, PageWorkers, start_fork_server
from omr.text.numbers import vn_integer


@dataclass
class ScanReport:
    pages_seen: int = 0
    pages_skipped_done: int = 0  # already stored by an earlier run
    outcomes: Counter = field(default_factory=Counter)  # new | rescan | conflict | duplicate | set_aside | already
    set_aside: list[tuple[str, int, str, str]] = field(default_factory=list)  # path, page (1-based), reason, detail
    file_errors: list[str] = field(default_factory=list)
    files_cut: list[str] = field(default_factory=list)  # those of file_errors saying a file was read only in part
    files_skipped: list[Path] = field(default_factory=list)  # in the folders given, not scans: named, not read
    # Pages stored as a second, different copy of a stored sheet's page: (path, page (1-based), serial, form page)
    # (file, page index from 1, serial, form page, which copy of that page: 2 for the second)
    conflicts: list[tuple[str, int, int | None, int | None, int]] = field(default_factory=list)
    answers_to_review: int = 0  # on pages with a mark; a page with none goes to a person with its whole sheet
    pages_without_marks: int = 0  # read pages with not one mark (omr.model.NO_MARKS)
    comments_inked: int = 0  # comment fields with handwriting, each cropped, drafted and queued
    comments_flagged: int = 0  # of those, drafts with a negative-behaviour term (not negated)
    ocr_problems: list[str] = field(default_factory=list)  # why drafts are missing, once per cause
    comments_possible: int = 0  # drafts flagged only in an alternative reading ("có thể", #15)
    comments_drafted: int = 0  # drafts made by the second pass (#15), earlier runs' leftovers included
    images_split: int = 0  # images read half by half (two form pages in one image, #13)
    pages_not_read: Counter = field(default_factory=Counter)  # path -> pages of a file given up on, not stored
    stopped: bool = False  # ``stop`` said so (a job cancelled): the pages not reached were not read


class _Gate:
    """Which pages are still handed out: none of a file whose pages keep hitting the time limit
    (``T.TIMEOUTS_IN_A_ROW_GIVE_UP`` in a row), none at all once ``stop()`` says so (checked at most
    every ``T.STOP_CHECK_EVERY_S``)."""

    def __init__(self, report: ScanReport, stop: Callable[[], bool] | None):
        self.report = report
        self.stop = stop
        self.in_a_row: Counter = Counter()
        self.given_up: list[str] = []
        self._checked = 0.0

    def closed(self, path: str) -> bool:
        if self.stop is not None and not self.report.stopped and time.monotonic() - self._checked >= T.STOP_CHECK_EVERY_S:
            self._checked = time.monotonic()
            self.report.stopped = bool(self.stop())
        return self.report.stopped or path in self.given_up

    def skip(self, task: tuple[str, int]) -> bool:
        return self.closed(task[0])

    def outcome(self, path: str, outcome) -> None:
        """Count a page's outcome: a timeout more in a row, or a row broken."""
        if isinstance(outcome, Failure) and outcome.kind == "timeout":
            self.in_a_row[path] += 1
            if self.in_a_row[path] >= T.TIMEOUTS_IN_A_ROW_GIVE_UP and path not in self.given_up:
                self.given_up.append(path)
        elif not (isinstance(outcome, Failure) and outcome.kind == "skipped"):
            self.in_a_row[path] = 0


# Imported once in the workers' fork server, so each worker starts with them loaded. This
# process names the worker's functions (ByName) and never imports the reading code itself.
WORKER_PRELOAD = ["omr.scan.batch_worker"]
_INIT_WORKER = ByName("omr.scan.batch_worker", "init_worker")
_READ_TASK = ByName("omr.scan.batch_worker", "read_task")
_INIT_DRAFTING = ByName("omr.scan.batch_worker", "init_drafting")
_DRAFT_TASK = ByName("omr.scan.comments", "draft_stored_task")


def _tasks(files: list[Path], store, report: ScanReport,
           meta: dict[tuple[str, int], tuple[str, int]], gate: _Gate | None = None,
           hashed: dict[Path, tuple[str, int]] | None = None) -> Iterator[tuple[str, int]]:
    """(path, page index) of every page not yet stored, file by file, lazily.

    Each file is counted and hashed only when the workers need its first
    pages, so hashing the next file overlaps reading this one; a file in
    ``hashed`` (resolved path -> (SHA-256, size)) is not read to be hashed
    again. ``meta`` gets each yielded page's (file hash, file size), for
    storing its result.
    """
    listed: set[Path] = set()
    for path in files:
        if gate is not None and gate.report.stopped:
            return
        if path.resolve() in listed:  # named twice (a file and its folder): read once
            continue
        listed.add(path.resolve())
        try:
            n, cut = count_pages_checked(path)
            digest, size = (hashed or {}).get(path.resolve()) or (file_sha256(path), path.stat().st_size)
        except (InputFileError, OSError) as exc:
            report.file_errors.append(exc.message if isinstance(exc, InputFileError)
                                      else f"{path}: không đọc được tệp ({exc.strerror})")
            continue
        if cut:
            report.file_errors.append(cut)
            report.files_cut.append(cut)
        done = store.pages_done(digest)
        for index in range(n):
            report.pages_seen += 1
            if index in done:
                report.pages_skipped_done += 1
                continue
            if gate is not None and gate.closed(str(path)):
                if report.stopped:
                    return
                report.pages_not_read[str(path)] += 1
                continue
            meta[(str(path), index)] = (digest, size)
            yield str(path), index


def _runs(tasks: Iterable[tuple[str, int]], size: int = T.PAGES_PER_WORKER_RUN) -> Iterator[list[tuple[str, int]]]:
    """Tasks in runs of up to ``size`` consecutive pages of one file (a worker keeps the file open), lazily."""
    run: list[tuple[str, int]] = []
    for task in tasks:
        if run and (run[-1][0] != task[0] or run[-1][1] + 1 != task[1] or len(run) >= size):
            yield run
            run = []
        run.append(task)
    if run:
        yield run


def _in_runs(tasks: Iterable, size: int) -> Iterator[list]:
    """``tasks`` in lists of up to ``size``, drawn lazily."""
    items = iter(tasks)
    while run := list(itertools.islice(items, size)):
        yield run


def _failed_page(task: tuple[str, int], failure: Failure) -> PageResult:
    """The result of a page whose reader hung, died or failed: set aside as unreadable, with why
    (what :func:`omr.scan.page.process_page` gives for a page that could not be decoded)."""
    path, index = task
    result = PageResult(PageSource(path, index, ""))
    result.set_aside, result.detail = "unreadable", f"{path}, trang {index + 1}: {failure.message}"
    return result


def run_scan(paths: list[str], store, batch_name: str, *, collected_from=None, collected_to=None,
             workers: int = 1, template_dir: str = "form_templates",
             progress: Callable[[int], None] | None = None, stop: Callable[[], bool] | None = None,
             hashed: dict[str, tuple[str, int]] | None = None) -> ScanReport:
    """Read ``paths`` (files or folders) into ``store`` as batch ``batch_name``; the report of the run.

    Pages are read in ``workers`` watched worker processes (omr.scan.page_workers),
    even for one worker: a page that takes more than ``T.MAX_SECONDS_PER_PAGE``,
    exhausts its worker's memory or kills it is set aside as unreadable,
    named, and the batch goes on. When ``T.TIMEOUTS_IN_A_ROW_GIVE_UP`` pages
    of one file in a row take that long, the rest of the file is not read: one
    line of ``report.file_errors`` names the file and how many pages were not
    read (``report.pages_not_read``), and the next file is read. ``stop()``
    True (a cancelled upload) ends the run after the pages being read:
    ``report.stopped``. ``hashed``: (SHA-256, size in bytes) of files already hashed, by path (an
    upload's files, hashed as they were accepted, omr.web.jobs): not read a second time to be hashed
    (issue #18). Raises InputFileError for a missing path.
    """
    skipped: list[Path] = []
    files = expand_paths(paths, skipped)
    known = {Path(path).resolve(): value for path, value in (hashed or {}).items()}
    # The workers' fork server imports the reading modules while this process hashes and counts files.
    start_fork_server(WORKER_PRELOAD)
    batch_id = None  # made once a page is read: a run reading nothing (a text file named .pdf) leaves no batch
    catalogue = Catalogue.from_folder(template_dir)
    report = ScanReport(files_skipped=skipped)
    meta: dict[tuple[str, int], tuple[str, int]] = {}  # pages handed out, not yet stored: (hash, size)
    # Forms joined by page order need their pages stored in batch order (#16); others in any order.
    in_order = _InOrder() if _joins_by_order(catalogue) else None
    gate = _Gate(report, stop)
    tasks = _tasks(files, store, report, meta, gate, known)
    runs = _runs(in_order.numbered(tasks) if in_order else tasks)
    first = next(runs, None)

    def account(result: PageResult, outcome: str) -> None:
        report.outcomes[outcome] += 1
        if result.set_aside:
            report.set_aside.append((result.source.path, result.source.page_index + 1, result.set_aside,
                                     result.detail))
        elif outcome in ("new", "conflict"):
            if outcome == "conflict":
                # Which copy of the page it is (a third copy of one serial is «bản thứ ba»).
                copy = (store.copies_of_page(result.form_id, result.version, result.serial, result.page)
                        if None not in (result.form_id, result.version, result.serial, result.page) else 0)
                report.conflicts.append((result.source.path, result.source.page_index + 1, result.serial,
                                         result.page, max(copy, 2)))
            if NO_MARKS in result.detail.split("; "):
                report.pages_without_marks += 1
            else:
                report.answers_to_review += sum(q.status in NEEDS_REVIEW for q in result.questions)
            inked = [c for c in result.comments if c.inked]
            report.comments_inked += len(inked)
            report.comments_flagged += sum(any(m.flagged for m in c.matches) for c in inked)
            for problem in {c.ocr_error for c in inked if c.ocr_error} - set(report.ocr_problems):
                report.ocr_problems.append(problem)

    if first is not None:
        batch_id = store.ensure_batch(batch_name, collected_from, collected_to)
        writer = _BatchedWriter(store, batch_id, account, progress)

        def handle(task: tuple[str, int], results: list[PageResult]) -> None:
            digest, size = meta.pop(task)  # each image is handed in once; the map stays as small as what is left
            if not results:  # not read (its file given up on, or the run stopped): nothing is stored
                if not report.stopped:
                    report.pages_not_read[task[0]] += 1
                return
            # Two form pages in the image: a page beside a blank half (or beside print that is no form) is not.
            report.images_split += sum(bool(r.source.part) and r.set_aside != "half_not_form" for r in results) >= 2
            for result in results:  # the halves of a two-page image go into one transaction
                layout = catalogue.layouts.get((result.form_id, result.version))
                writer.add((result.source.path, digest, size, result, len(layout.pages) if layout else None))

        # Runs of consecutive pages keep each worker reading one PDF front to back.
        # Workers start as runs need them: a 3-page batch never starts a second one.
        pool = PageWorkers(workers, _INIT_WORKER, (catalogue, workers > 1), _READ_TASK, preload=WORKER_PRELOAD)
        try:
            with closing(pool.map(itertools.chain([first], runs), skip=gate.skip)) as outcomes:  # workers stop even if we raise
                for task, outcome in outcomes:
                    gate.outcome(task[0], outcome)
                    if isinstance(outcome, Failure) and outcome.kind == "skipped":
                        results = []
                    else:
                        results = [_failed_page(task, outcome)] if isinstance(outcome, Failure) else outcome
                    # An image's pages (two halves of one image, #13) are released together, in batch order.
                    for ready in in_order.release(task, (task, results)) if in_order else ((task, results),):
                        handle(*ready)
                    writer.flush_if_due()
        finally:
            # Whatever ends the loop (the last page, Ctrl-C, a database error), what was read is stored.
            writer.flush()
    for path in gate.given_up:
        report.file_errors.append(
            f"{path}: {T.TIMEOUTS_IN_A_ROW_GIVE_UP} trang liền nhau đều đọc quá {T.MAX_SECONDS_PER_PAGE:.0f} giây; "
            f"{report.pages_not_read[path]} trang còn lại của tệp không được đọc (chưa lưu, không vào hàng đợi). "
            "Hãy mở thử tệp, quét lại rồi tải lên trong một đợt mới.")
    # The batch's marks are in: now its comments are drafted from their stored crops (#15), with
    # those a killed run left undrafted. The store runs the pass (omr.data.drafting); the drafting
    # itself is done in worker processes, this one only reads crops and writes drafts (#18).
    if batch_id is None:
        return report
    drafted = store.draft_pending(batch_id=batch_id, drafter=_drafting_workers(workers))
    report.comments_drafted = drafted.drafted
    report.comments_flagged = drafted.flagged
    report.comments_possible = drafted.possible
    report.ocr_problems = drafted.problems
    return report


@dataclass
class _Undrafted:
    """A comment whose drafting worker hung, died or failed: no draft, and why (it stays undrafted)."""

    error: str


# Why a drafting worker gave no draft, by omr.scan.page_workers.Failure kind (its own messages speak of pages).
_DRAFT_FAILURES = {
    "timeout": f"đọc nháp một ý kiến quá {T.MAX_SECONDS_PER_PAGE:.0f} giây, đã dừng",
    "crashed": "chương trình đọc nháp bị dừng đột ngột (hết bộ nhớ hoặc lỗi của bộ nhận dạng)",
    "memory": "đọc nháp một ý kiến cần quá nhiều bộ nhớ",
}


def _drafting_workers(workers: int) -> Callable[[Iterable[tuple[int, bytes]]], Iterator[tuple[int, object]]]:
    """A drafter for :func:`omr.data.drafting.draft_pending`: the crops drafted in ``workers`` watched
    worker processes (forked from the scan's fork server, each loading the recogniser with its first
    crop), none in this process, which stores pages and drafts and never loads the recogniser (#18).

    Crops go out ``T.COMMENTS_PER_WORKER_RUN`` at a time, drawn lazily; workers start only as there
    are crops for them (one comment starts one worker). A crop whose worker hangs
    (``T.MAX_SECONDS_PER_PAGE``), dies or fails comes back without a draft, with why.
    """
    def drafter(tasks: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, object]]:
        pool = PageWorkers(workers, _INIT_DRAFTING, (workers > 1,), _DRAFT_TASK, preload=WORKER_PRELOAD)
        with closing(pool.map(_in_runs(tasks, T.COMMENTS_PER_WORKER_RUN))) as outcomes:  # workers stop even if the caller stops early
            for (comment_id, _crop), outcome in outcomes:
                if isinstance(outcome, Failure):
                    why = _DRAFT_FAILURES.get(outcome.kind) or outcome.message.replace(
                        "khi đọc trang này", "khi đọc nháp ý kiến")
                    yield comment_id, _Undrafted(why)
                else:
                    yield outcome

    return drafter


def _joins_by_order(catalogue: Catalogue) -> bool:
    """Whether a form of the catalogue joins its pages by their order in the batch (omr.scan.join)."""
    return any(layout.join and layout.join["mode"] in (PAGE_ORDER, COVER_SHEET) and len(layout.pages) > 1
               for layout in catalogue.layouts.values())


class _InOrder:
    """Results handed on in the order their pages were handed out, whatever order workers finish in.

    The store joins a page of a form joined by page order to the page stored
    before it (issue #16), so pages must be stored in batch order. Results that
    finish early wait here: at most what the other workers read while one page
    is still being read, which the per-page time limit bounds
    (``T.MAX_SECONDS_PER_PAGE``). A run stopped meanwhile stores only the pages
    before the first unfinished one, and the next run reads the rest again.
    """

    def __init__(self) -> None:
        self.number: dict[tuple[str, int], int] = {}
        self.handed = 0
        self.next = 0
        self.waiting: dict[int, object] = {}

    def numbered(self, tasks: Iterable[tuple[str, int]]) -> Iterator[tuple[str, int]]:
        for task in tasks:
            self.number[task] = self.handed
            self.handed += 1
            yield task

    def release(self, task: tuple[str, int], result: object) -> list:
        """The results now in order: ``result`` (what the task gave) and any waiting behind it (none
        while an earlier page reads)."""
        self.waiting[self.number.pop(task)] = result
        ready = []
        while self.next in self.waiting:
            ready.append(self.waiting.pop(self.next))
            self.next += 1
        return ready


class _BatchedWriter:
    """Pages stored several to a transaction: whole pages only, never held longer than a moment.

    A commit per page made the parent the bottleneck (issue #18). Pages wait
    here until ``T.STORE_PAGES_PER_TRANSACTION`` have come or the oldest has
    waited ``T.STORE_MAX_SECONDS_UNCOMMITTED``; then all go in one transaction.
    A run killed meanwhile loses at most those pages, which the next run reads
    again (resume skips only what is stored).
    """

    def __init__(self, store, batch_id: int, account: Callable[[PageResult, str], None],
                 progress: Callable[[int], None] | None):
        self.store, self.batch_id, self.account, self.progress = store, batch_id, account, progress
        self.waiting: list[tuple[str, str, int, PageResult, int | None]] = []
        self.oldest = 0.0

    def add(self, item: tuple[str, str, int, PageResult, int | None]) -> None:
        if not self.waiting:
            self.oldest = time.monotonic()
        self.waiting.append(item)

    def flush_if_due(self) -> None:
        if self.waiting and (len(self.waiting) >= T.STORE_PAGES_PER_TRANSACTION
                             or time.monotonic() - self.oldest >= T.STORE_MAX_SECONDS_UNCOMMITTED):
            self.flush()

    def flush(self) -> None:
        if not self.waiting:
            return
        items, self.waiting = self.waiting, []
        outcomes = self.store.record_pages(self.batch_id, items)
        for (_path, _digest, _size, result, _expected), outcome in zip(items, outcomes):
            self.account(result, outcome)
        if self.progress:
            # Once per page image stored, as callers (progress bars, the web app) count: the two
            # halves of a two-page image are one image of the file.
            for _ in {(result.source.path, result.source.page_index) for _p, _d, _s, result, _e in items}:
                self.progress(1)


# Vietnamese ordinals after «thứ» (the fourth is «tư», not «bốn»); larger ones are written in digits.
_ORDINALS = {2: "hai", 3: "ba", 4: "tư", 5: "năm", 6: "sáu", 7: "bảy", 8: "tám", 9: "chín", 10: "mười"}


def _ordinal(n: int) -> str:
    """«hai», «ba», «tư» … for «bản thứ …»; digits past ten."""
    return _ORDINALS.get(n, vn_integer(n))


def format_report(report: ScanReport, summary: dict, incomplete: tuple[list[dict], int] | None = None) -> str:
    """The end-of-run summary for scanning staff, in Vietnamese.

    ``summary``: :meth:`omr.data.queries.StoreQueries.summary`; ``incomplete``: the sheets
    missing pages and how many in all (:meth:`~omr.data.queries.StoreQueries.incomplete_sheets`):
    each listed sheet is named (serial, else the file and page it has) with the pages it lacks,
    and the rest counted ("và N phiếu khác").
    """
    lines = [
        f"Số trang trong các tệp: {vn_integer(report.pages_seen)}"
        + (f" (trong đó {vn_integer(report.pages_skipped_done)} trang đã đọc từ lần trước, bỏ qua)"
           if report.pages_skipped_done else ""),
        f"Trang đọc được lần này: {vn_integer(sum(report.outcomes[k] for k in ('new', 'conflict', 'duplicate')))}",
    ]
    if report.images_split:
        lines.append(f"Ảnh chứa hai trang phiếu (mỗi nửa ảnh đọc thành một trang): {vn_integer(report.images_split)}")
    if report.outcomes["rescan"]:
        lines.append(f"Trang quét lại (trùng phiếu đã có, không tính hai lần): {vn_integer(report.outcomes['rescan'])}")
    if report.outcomes["conflict"]:
        lines.append("Trang trùng số phiếu nhưng khác nội dung (cần kiểm tra): "
                     f"{vn_integer(report.outcomes['conflict'])}")
        # Each named (a fresh user's rescan of sheet 000001 was listed as «thiếu trang 2», though 000001 is whole).
        lines += [f"  - {path}, trang {vn_integer(index)}: bản thứ {_ordinal(copy)} của trang {form_page} phiếu số "
                  f"{format_serial(serial) if serial is not None else '?'}, khác dấu với "
                  f"{'bản đã lưu' if copy == 2 else 'các bản đã lưu'}; "
                  "lưu riêng, chờ người kiểm tra chọn bản đúng (chưa tính vào số liệu)"
                  for path, index, serial, form_page, copy in report.conflicts[:T.SUMMARY_SHEETS_LISTED]]
        if len(report.conflicts) > T.SUMMARY_SHEETS_LISTED:
            lines.append(f"  và {vn_integer(len(report.conflicts) - T.SUMMARY_SHEETS_LISTED)} trang khác")
    if report.outcomes["duplicate"]:
        lines.append(f"Trang có thể là bản quét lại của phiếu đã có (chưa tính vào số liệu, chờ người quyết định "
                     f"trong hàng đợi kiểm tra): {vn_integer(report.outcomes['duplicate'])}")
    lines.append(f"Câu trả lời cần người kiểm tra (lần này): {vn_integer(report.answers_to_review)}")
    if report.pages_without_marks:
        lines.append(f"Trang không có dấu nào (lần này): {vn_integer(report.pages_without_marks)} (câu của các trang "
                     "này không tính ở dòng trên; tờ phiếu không có dấu ở mọi trang là một mục «phiếu không có câu "
                     "trả lời nào» trong hàng đợi kiểm tra)")
    if report.comments_inked:
        lines.append(f"Ý kiến viết tay (lần này): {vn_integer(report.comments_inked)} ô có chữ, "
                     "đã cắt ảnh và đọc nháp, "
                     f"chờ người duyệt; {vn_integer(report.comments_flagged)} ô có dấu hiệu tiêu cực cần xem trước")
    if report.comments_possible:
        lines.append("Ý kiến có thể có dấu hiệu tiêu cực (chỉ thấy ở cách đọc khác của máy): "
                     f"{vn_integer(report.comments_possible)}")
    for problem in report.ocr_problems:
        lines.append(f"Cảnh báo: chưa đọc nháp được ý kiến viết tay ({problem}); ảnh vẫn được lưu để duyệt")
    paper = summary.get("responses_paper", summary.get("responses", 0))
    online = summary.get("responses", 0) - paper
    complete = vn_integer(summary.get("responses_complete", 0))
    lines.append(f"Phiếu trong cơ sở dữ liệu: {vn_integer(paper)}, đủ trang: {complete}"
                 + (f" (chỉ tính phiếu giấy; ngoài ra {vn_integer(online)} phiếu trả lời trực tuyến)"
                    if online else ""))
    if incomplete and incomplete[1]:
        sheets, total = incomplete
        lines.append(f"Phiếu thiếu trang: {vn_integer(total)}")
        lines += [f"  - {_incomplete_line(sheet)}" for sheet in sheets]
        if total > len(sheets):
            lines.append(f"  và {vn_integer(total - len(sheets))} phiếu khác")
    if report.set_aside:
        lines.append(f"Trang để riêng: {vn_integer(len(report.set_aside))}")
        lines += _set_aside_lines(report.set_aside)
    if report.files_skipped:
        lines.append(_skipped_line(report.files_skipped))
    for message in report.file_errors:
        # A file cut at the page bound was read, only not to its end: «không đọc được» would say otherwise.
        lines.append(f"{'Tệp chỉ đọc một phần' if message in report.files_cut else 'Tệp không đọc được'}: {message}")
    return "\n".join(lines)


def _skipped_line(skipped: list[Path]) -> str:
    """One Vietnamese line naming the files of the given folders that are no scan and were not read
    (``ScanReport.files_skipped``): up to ``T.SUMMARY_SHEETS_LISTED`` by path, the rest counted;
    hidden files (a ``.DS_Store``, ``.~lock`` files) only counted, as the system, not a person, made them."""
    shown = [path for path in skipped if not path.name.startswith(".")]
    hidden = len(skipped) - len(shown)
    names = ", ".join(str(path) for path in shown[:T.SUMMARY_SHEETS_LISTED])
    rest = len(shown) - T.SUMMARY_SHEETS_LISTED
    parts = [names] if names else []
    if rest > 0:
        parts.append(f"và {vn_integer(rest)} tệp khác")
    if hidden:
        parts.append(f"{'và ' if shown else ''}{vn_integer(hidden)} tệp ẩn")
    return (f"Tệp trong thư mục không phải bản quét, không đọc ({vn_integer(len(skipped))} tệp; nếu là trang "
            f"phiếu, hãy lưu thành một trong các dạng {SCAN_FORMAT_NAMES} rồi đọc lại): {' '.join(parts)}")


def _set_aside_lines(set_aside: list[tuple[str, int, str, str]]) -> list[str]:
    """The summary's lines for the set-aside pages (``ScanReport.set_aside``), in Vietnamese.

    A page alone with its reason in its file gets its own line ("  - a.pdf, trang 3: trang trắng"); the
    pages of one file set aside for one reason (and one half of two-page images) get one line with how
    many they are and their pages as ranges ("  - 1.997 trang của tệp x.tif được để riêng: không phải bản
    quét trang phiếu (ảnh quá nhỏ …): trang 1–1.997"), at most ``T.SUMMARY_ASIDE_RANGES_LISTED`` ranges
    and, when the pages' details differ, one indented line per detail for up to
    ``T.SUMMARY_ASIDE_DETAILS_LISTED`` of them, the rest counted. Every page stays stored with its own
    reason and detail; this is only what is printed.
    """
    groups: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
    for path, page, reason, detail in set_aside:
        detail = detail.removeprefix(f"{path}, trang {page}: ")  # said once, at the start of the line
        half = ""
        for name in HALF_NAMES:  # one half of a two-page image (omr.scan.page.process_image)
            named = f"{name} của ảnh (tệp {Path(path).name}, trang {page})"
            if detail.startswith(named):
                half, detail = name, detail.removeprefix(named).removeprefix("; ")
        groups.setdefault((path, reason, half), []).append((page, detail))
    lines = []
    for (path, reason, half), entries in groups.items():
        text = SET_ASIDE_REASONS.get(reason, reason)
        if len(entries) == 1:
            page, detail = entries[0]
            lines.append(f"  - {path}, trang {page}" + (f", {half}" if half else "") + f": {_reason_with(text, detail)}")
            continue
        by_detail: dict[str, list[int]] = {}
        for page, detail in entries:
            by_detail.setdefault(detail, []).append(page)
        head = (f"  - {vn_integer(len(entries))} trang của tệp {path} được để riêng"
                + (f" ({half} của ảnh)" if half else "") + ": ")
        if len(by_detail) == 1:
            lines.append(head + f"{_reason_with(text, entries[0][1])}: {_page_ranges([p for p, _ in entries])}")
            continue
        lines.append(head + f"{text}: {_page_ranges([p for p, _ in entries])}")
        listed = list(by_detail.items())[:T.SUMMARY_ASIDE_DETAILS_LISTED]
        lines += [f"      {_page_ranges(pages)}: {detail or 'không có chi tiết'}" for detail, pages in listed]
        rest = len(entries) - sum(len(pages) for _, pages in listed)
        if rest:
            lines.append(f"      và {vn_integer(rest)} trang khác, mỗi trang một chi tiết khác")
    return lines


def _reason_with(text: str, detail: str) -> str:
    """A set-aside reason with its detail: one parenthesis, never two nested ("… (reason; detail)")."""
    if detail and text.endswith(")"):
        return f"{text[:-1]}; {detail})"
    return text + (f" ({detail})" if detail else "")


def _page_ranges(pages: list[int]) -> str:
    """Page numbers (1-based) as ranges, the first ``T.SUMMARY_ASIDE_RANGES_LISTED`` of them named.

    >>> _page_ranges([1, 2, 3, 5, 9, 10])
    'trang 1–3, 5, 9–10'
    """
    ranges: list[list[int]] = []
    for page in sorted(set(pages)):
        if ranges and page == ranges[-1][1] + 1:
            ranges[-1][1] = page
        else:
            ranges.append([page, page])
    shown = ranges[:T.SUMMARY_ASIDE_RANGES_LISTED]
    text = ", ".join(vn_integer(a) if a == b else f"{vn_integer(a)}–{vn_integer(b)}" for a, b in shown)
    rest = sum(b - a + 1 for a, b in ranges[len(shown):])
    return f"trang {text}" + (f" và {vn_integer(rest)} trang khác" if rest else "")


def _incomplete_line(sheet: dict) -> str:
    """'Phiếu số 000123 (motcua-2026 v1): thiếu trang 2; có trang 1 (a.pdf, trang 1)'."""
    where = "; ".join(f"trang {p['page']} ({p['file']}, trang {vn_integer(p['page_index'] + 1)})"
                      for p in sheet["pages"])
    if sheet["serial"] is not None:
        who = f"Phiếu số {format_serial(sheet['serial'])}"
    else:  # joined by page order (a form without serials): the file and page are its only name
        who = "Phiếu không có số"
    missing = ", ".join(str(n) for n in sheet["missing"])
    return (f"{who} ({sheet['form_id']} v{sheet['version']}): thiếu trang {missing}"
            + (f"; có {where}" if where else "")
            + ("; trang thiếu đã được đánh dấu là mất" if sheet.get("lost") else ""))
