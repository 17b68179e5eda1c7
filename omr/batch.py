"""Run a scan batch: files in, pages read in worker processes, results stored.

This is the I/O edge of the reading pipeline: it walks files, skips pages a
previous (perhaps killed) run already stored, fans pages out to workers, and
stores each result in its own transaction as it arrives, so that stopping at
any moment loses nothing and duplicates nothing.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .comments import set_drafting_in_scan
from .drafting import draft_pending
from .errors import InputFileError
from .ingest import PageLoader, count_pages, expand_paths, file_sha256
from .model import NEEDS_REVIEW, SET_ASIDE_REASONS, PageResult
from .scan import Catalogue, process_page


@dataclass
class ScanReport:
    pages_seen: int = 0
    pages_skipped_done: int = 0  # already stored by an earlier run
    outcomes: Counter = field(default_factory=Counter)  # new | rescan | conflict | set_aside | already
    set_aside: list[tuple[str, int, str, str]] = field(default_factory=list)  # path, page (1-based), reason, detail
    file_errors: list[str] = field(default_factory=list)
    answers_to_review: int = 0
    comments_inked: int = 0  # comment fields with handwriting, each cropped, drafted and queued
    comments_flagged: int = 0  # of those, drafts with a negative-behaviour term (not negated)
    ocr_problems: list[str] = field(default_factory=list)  # why drafts are missing, once per cause
    comments_possible: int = 0  # drafts flagged only in an alternative reading ("có thể", #15)
    comments_drafted: int = 0  # drafts made by the second pass (#15), earlier runs' leftovers included


_catalogue: Catalogue | None = None
_loader: PageLoader | None = None


def _init_worker(template_dir: str, single_threaded: bool = False) -> None:
    global _catalogue, _loader
    if single_threaded:
        # Worker processes already fill the cores; OpenCV's own threads would only contend.
        import cv2

        cv2.setNumThreads(1)
    _catalogue = Catalogue.from_folder(template_dir)
    _loader = PageLoader()
    # Marks first, at full speed: comments are drafted from the stored crops once the batch is in (#15).
    set_drafting_in_scan(False)


def _read_task(task: tuple[str, int]) -> PageResult:
    path, index = task
    raw = _loader.load(Path(path), index)
    return process_page(raw, _catalogue)


def _tasks(files: list[Path], store, report: ScanReport) -> Iterator[tuple[tuple[str, int], str, int]]:
    """(path, page index) of every page not yet stored, with the file's hash and size."""
    for path in files:
        try:
            n = count_pages(path)
            digest = file_sha256(path)
        except InputFileError as exc:
            report.file_errors.append(exc.message)
            continue
        done = store.pages_done(digest)
        for index in range(n):
            report.pages_seen += 1
            if index in done:
                report.pages_skipped_done += 1
                continue
            yield (str(path), index), digest, path.stat().st_size


def run_scan(paths: list[str], store, batch_name: str, *, collected_from=None, collected_to=None,
             workers: int = 1, template_dir: str = "form_templates",
             progress: Callable[[int], None] | None = None) -> ScanReport:
    files = expand_paths(paths)
    batch_id = store.ensure_batch(batch_name, collected_from, collected_to)
    catalogue = Catalogue.from_folder(template_dir)
    report = ScanReport()
    pending = list(_tasks(files, store, report))
    tasks = [t for t, _, _ in pending]
    meta = {t: (digest, size) for t, digest, size in pending}

    def handle(result: PageResult) -> None:
        task = (result.source.path, result.source.page_index)
        digest, size = meta[task]
        layout = catalogue.layouts.get((result.form_id, result.version))
        outcome = store.record_page(batch_id, result.source.path, digest, size, result,
                                    pages_expected=len(layout.pages) if layout else None)
        report.outcomes[outcome] += 1
        if result.set_aside:
            report.set_aside.append((result.source.path, result.source.page_index + 1, result.set_aside,
                                     result.detail))
        elif outcome in ("new", "conflict"):
            report.answers_to_review += sum(q.status in NEEDS_REVIEW for q in result.questions)
            inked = [c for c in result.comments if c.inked]
            report.comments_inked += len(inked)
            report.comments_flagged += sum(any(m.flagged for m in c.matches) for c in inked)
            for problem in {c.ocr_error for c in inked if c.ocr_error} - set(report.ocr_problems):
                report.ocr_problems.append(problem)
        if progress:
            progress(1)

    def drafted(result) -> None:  # the second pass over this batch's stored crops (#15)
        report.comments_drafted = result.drafted
        report.comments_flagged = result.flagged
        report.comments_possible = result.possible
        report.ocr_problems = result.problems

    if workers <= 1 or len(tasks) < 4:
        _init_worker(template_dir)
        try:
            for task in tasks:
                handle(_read_task(task))
            drafted(draft_pending(store, batch_id=batch_id))
        finally:
            _loader.close()
            set_drafting_in_scan(True)
    else:
        # Chunks of consecutive pages keep each worker reading one PDF front to back.
        # Not "fork": a child forked from a parent that already ran OpenCV's
        # thread pool can hang in it. The fork server is a clean process that
        # imports omr once and forks the workers.
        context = multiprocessing.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")
        if sys.platform.startswith("linux"):
            context.set_forkserver_preload(["omr.batch"])
        with context.Pool(workers, initializer=_init_worker, initargs=(template_dir, True)) as pool:
            for result in pool.imap(_read_task, tasks, chunksize=8):
                handle(result)
            drafted(draft_pending(store, batch_id=batch_id,
                                  map_tasks=lambda work, items: pool.imap(work, items, chunksize=2)))
    return report


def format_report(report: ScanReport, summary: dict) -> str:
    """The end-of-run summary for scanning staff, in Vietnamese."""
    lines = [
        f"Số trang trong các tệp: {report.pages_seen}"
        + (f" (trong đó {report.pages_skipped_done} trang đã đọc từ lần trước, bỏ qua)" if report.pages_skipped_done else ""),
        f"Trang đọc được lần này: {report.outcomes['new'] + report.outcomes['conflict']}",
    ]
    if report.outcomes["rescan"]:
        lines.append(f"Trang quét lại (trùng phiếu đã có, không tính hai lần): {report.outcomes['rescan']}")
    if report.outcomes["conflict"]:
        lines.append(f"Trang trùng số phiếu nhưng khác nội dung (cần kiểm tra): {report.outcomes['conflict']}")
    lines.append(f"Câu trả lời cần người kiểm tra (lần này): {report.answers_to_review}")
    if report.comments_inked:
        lines.append(f"Ý kiến viết tay (lần này): {report.comments_inked} ô có chữ, đã cắt ảnh và đọc nháp, "
                     f"chờ người duyệt; {report.comments_flagged} ô có dấu hiệu tiêu cực cần xem trước")
    if report.comments_possible:
        lines.append(f"Ý kiến có thể có dấu hiệu tiêu cực (chỉ thấy ở cách đọc khác của máy): {report.comments_possible}")
    for problem in report.ocr_problems:
        lines.append(f"Cảnh báo: chưa đọc nháp được ý kiến viết tay ({problem}); ảnh vẫn được lưu để duyệt")
    lines.append(f"Phiếu trong cơ sở dữ liệu: {summary.get('responses', 0)}, "
                 f"đủ trang: {summary.get('responses_complete', 0)}")
    if report.set_aside:
        lines.append(f"Trang để riêng: {len(report.set_aside)}")
        for path, page, reason, detail in report.set_aside:
            text = SET_ASIDE_REASONS.get(reason, reason)
            lines.append(f"  - {path}, trang {page}: {text}" + (f" ({detail})" if detail else ""))
    for message in report.file_errors:
        lines.append(f"Tệp không đọc được: {message}")
    return "\n".join(lines)
