"""Uploaded scan batches: files streamed to disk, checked, then read in the background.

An upload becomes a *job* (table ``upload_jobs``): its files sit in a folder
of their own under the uploads directory, under names the server chose (a
client's file name is shown, never used as a path). Jobs are read with
:func:`omr.scan.batch.run_scan`, the same pipeline as ``omr scan``, so the
browser can be closed: on SQLite by :class:`JobRunner`, a single background
thread per server; on PostgreSQL by job queue workers (omr.web.queue), which
use :func:`take_job` and :func:`read_taken_job` below. A job still 'running'
when the server starts was interrupted: it is resumed, and run_scan skips
the pages already stored.

Files are read one at a time, each marked 'reading' (with its attempt count)
in the job's file list before it is read and 'done' after. A file found
'reading' when the server starts was being read when the server stopped; a
file found so ``T.JOB_FILE_MAX_ATTEMPTS`` times is taken to be what stops
the server: it is set aside, named in the job's message, and the job goes on
with the other files instead of re-running it blindly.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from omr import tuning as T
from omr.data import review
from omr.data.schema import changes, page_reviews, pages, source_files, stored_time, upload_jobs
from omr.errors import InputFileError, OmrError
from omr.model import SET_ASIDE_REASONS
from omr.scan import batch
from omr.scan.ingest import SCAN_FORMAT_NAMES, content_kind, count_pages_checked, file_sha256, pdf_hint, pnm_header
from omr.text.normalise import nfc
from omr.text.numbers import vn_integer
from omr.web.display import page_detail

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# Cancelled by an admin or the scanner who uploaded (cancel_job): 'cancelling' while the pages being
# read finish, then 'cancelled'.
CANCELLING, CANCELLED = "cancelling", "cancelled"
STATUS_LABELS = {QUEUED: "đang chờ", RUNNING: "đang đọc", DONE: "đã xong", FAILED: "lỗi",
                 CANCELLING: "đang dừng theo yêu cầu", CANCELLED: "đã huỷ"}

# How an ended job is said after "Lần tải lên này" (the labels already hold "đã": «đã đã xong» was shown).
ENDED_WORDS = {DONE: "đã đọc xong", FAILED: "đã dừng vì lỗi", CANCELLING: "đang dừng theo yêu cầu",
               CANCELLED: "đã bị huỷ"}

# Scans are recognised by their first bytes, not by the name a client sends.
MAGIC = (
    (b"%PDF-", ".pdf"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", ".jp2"),  # JPEG 2000 (ISO/IEC 15444-1, I.5.1)
    (b"\xff\x4f\xff\x51", ".jp2"),  # a bare JPEG 2000 codestream
)
# HEIC/HEIF (iPhone photos): an ISO box "ftyp" at byte 4 with one of these brands (ISO/IEC 23008-12).
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
# Per-file states in a job's file list (upload_jobs.files).
FILE_READING, FILE_DONE, FILE_SET_ASIDE = "reading", "done", "set_aside"
INCOMING = ".incoming"  # request bodies land here while they are being received


def scan_suffix(path: Path) -> str | None:
    """The scan type of a file from its first bytes (.pdf, .tif, .png, .jpg, .jp2, .heic, .webp, .bmp, .pnm), or None:
    the formats of omr.scan.ingest.SCAN_FORMATS."""
    with open(path, "rb") as handle:
        head = handle.read(4096)  # a Netpbm header may hold comments
    for magic, suffix in MAGIC:
        if head.startswith(magic):
            return suffix
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return ".heic"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":  # a phone's or messaging app's WebP photo
        return ".webp"
    if head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00":  # size, then 4 reserved zero bytes
        return ".bmp"  # as omr.scan.ingest.content_kind tells a BMP
    if pnm_header(head) is not None:  # what SANE's scanimage writes (PBM, PGM, PPM)
        return ".pnm"
    return None


def display_name(name: str | None) -> str:
    """A client's file name for showing (never used as a path): NFC, printable, at most 200 characters.

    The whole name is kept ("Phiếu <b>x</b>.pdf" stays so, escaped where shown), except the folders of
    a full path that old browsers send ("C:\\Users\\…\\phieu.pdf", "/home/…/phieu.pdf"): its last part.
    """
    name = name or ""
    if re.match(r"^(?:[A-Za-z]:[\\/]|\\\\|/)", name) or name.startswith(("../", "..\\")):
        name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = nfc(name)
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "(không tên)"


@dataclass
class Refused:
    name: str
    reason: str


def accept_files(uploads: list[tuple[str, Path]], folder: Path) -> tuple[list[dict], list[Refused]]:
    """Move received files that are scans into ``folder``; refuse the others (each with a reason).

    ``uploads`` are (client file name, received temporary file). Every
    temporary file is moved or deleted.
    """
    accepted: list[dict] = []
    refused: list[Refused] = []
    for name, tmp in uploads:
        shown = display_name(name)
        try:
            if tmp.stat().st_size == 0:
                refused.append(Refused(shown, "tệp rỗng (0 byte)"))
                continue
            suffix = scan_suffix(tmp)
            if suffix is None:
                kind = content_kind(tmp)  # what it is, as the command line says it (omr.scan.ingest)
                refused.append(Refused(shown, (f"không phải bản quét: nội dung là {kind}; chỉ nhận "
                                               f"{SCAN_FORMAT_NAMES}" if kind else
                                               f"không phải bản quét (chỉ nhận {SCAN_FORMAT_NAMES})")
                                       + pdf_hint(shown)))
                continue
            folder.mkdir(parents=True, exist_ok=True)
            stored = folder / f"{len(accepted) + 1:03d}{suffix}"
            shutil.move(str(tmp), stored)
            try:
                n_pages, cut = count_pages_checked(stored)
            except InputFileError as exc:
                stored.unlink(missing_ok=True)
                # The message names the server's path; say it with the user's file name.
                refused.append(Refused(shown, exc.message.replace(str(stored), "").lstrip(": ") or "không đọc được"))
                continue
            accepted.append({"name": shown, "stored": stored.name, "sha256": file_sha256(stored),
                             "size": stored.stat().st_size, "pages": n_pages})
            if cut:  # said at upload too, not only when the job ends: named as the user named the file
                accepted[-1]["warning"] = cut.replace(str(stored), shown)
        finally:
            tmp.unlink(missing_ok=True)
    return accepted, refused


def create_job(store, uploads_dir: Path, batch_name: str, collected_from: date | None, collected_to: date | None,
               uploads: list[tuple[str, Path]], created_by: str) -> tuple[int | None, list[dict], list[Refused]]:
    """Check and keep the uploaded files, queue a job for them; (job id or None, accepted, refused)."""
    folder = uploads_dir / f"job-{uuid.uuid4().hex[:12]}"
    accepted, refused = accept_files(uploads, folder)
    if not accepted:
        shutil.rmtree(folder, ignore_errors=True)
        return None, accepted, refused
    try:
        job_id = store.writing(lambda conn: conn.execute(upload_jobs.insert().values(
            batch_name=batch_name, collected_from=collected_from, collected_to=collected_to,
            folder=str(folder.resolve()), files=json.dumps(accepted, ensure_ascii=False),
            pages_total=sum(f["pages"] for f in accepted), status=QUEUED, error="", created_by=created_by,
            refused=json.dumps([{"name": r.name, "reason": r.reason} for r in refused], ensure_ascii=False),
            created_at=datetime.now(timezone.utc), pages_at_start=0)).inserted_primary_key[0])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no job row: no files of it are kept either
        raise
    return job_id, accepted, refused


def pages_stored(conn: sa.Connection, hashes: list[str]) -> int:
    """How many page images of the files with these SHA-256 hashes are stored (the halves of a two-page
    image count once): an upload's progress, and whether every page of it is in before a purge."""
    if not hashes:
        return 0
    # Page images, not pages: the two halves of a two-page image are one image of the file.
    images = (sa.select(pages.c.source_file_id, pages.c.page_index).distinct()
              .join(source_files, source_files.c.id == pages.c.source_file_id)
              .where(source_files.c.sha256.in_(hashes)).subquery())
    return conn.execute(sa.select(sa.func.count()).select_from(images)).scalar()


def stored_by_file(conn: sa.Connection, hashes: list[str]) -> dict[str, tuple[int, int]]:
    """Per file hash: (page images stored, form pages stored). The two halves of a two-page image are one
    image and two form pages (omr.scan.page reads each half as a page of its own)."""
    if not hashes:
        return {}
    rows = conn.execute(sa.select(source_files.c.sha256, pages.c.source_file_id, pages.c.page_index,
                                  sa.func.count()).join(source_files, source_files.c.id == pages.c.source_file_id)
                        .where(source_files.c.sha256.in_(hashes))
                        .group_by(source_files.c.sha256, pages.c.source_file_id, pages.c.page_index)).all()
    found: dict[str, tuple[int, int]] = {}
    for sha, _file, _index, n in rows:
        images, form_pages = found.get(sha, (0, 0))
        found[sha] = (images + 1, form_pages + n)
    return found


def pages_done(files: list[dict], stored: dict[str, tuple[int, int]]) -> int:
    """Page images of an upload's ``files`` that are in (:func:`stored_by_file`), file by file: a file given
    twice in one upload counts its pages twice, as ``pages_total`` does, although its copy is skipped as
    already read (a job said «2 / 4 trang» when it ended)."""
    return sum(min(stored.get(f["sha256"], (0, 0))[0], f["pages"]) for f in files)


def job_status(store, job_id: int) -> dict | None:
    """A job with its live progress: pages done, pages/s, set-aside pages with reasons."""
    with store.reading() as conn:
        row = conn.execute(sa.select(upload_jobs).where(upload_jobs.c.id == job_id)).mappings().first()
        if row is None:
            return None
        files = json.loads(row["files"])
        hashes = [f["sha256"] for f in files]
        stored = stored_by_file(conn, hashes)
        done = pages_done(files, stored)
        aside = conn.execute(
            sa.select(source_files.c.sha256, source_files.c.path, pages.c.page_index, pages.c.set_aside,
                      pages.c.detail, pages.c.id, page_reviews.c.decision, page_reviews.c.decided_by)
            .join(source_files, source_files.c.id == pages.c.source_file_id)
            .outerjoin(page_reviews, page_reviews.c.page_id == pages.c.id)
            .where(source_files.c.sha256.in_(hashes), pages.c.set_aside.is_not(None))
            .order_by(pages.c.id)).all() if hashes else []
    job = dict(row)
    for entry in files:
        # A two-page image (an A3 scan, two pages side by side) is one page of the file and two form pages.
        images, entry["form_pages_read"] = stored.get(entry["sha256"], (0, 0))
        entry["two_page_images"] = entry["form_pages_read"] - images
    for entry in files:  # pages of the file waiting as no form page: rejected at once on the job page
        # Only the pages this upload stored itself (its batch, since it was made), not the same file's
        # pages another upload stored; pages matched to a form are a reviewer's, never rejected in bulk.
        unidentified, entry["form_pages"] = review.unidentified_pages(
            store, entry["sha256"], row["batch_name"], stored_time(row["created_at"]))
        entry["unidentified"] = len(unidentified)
    name_of = {f["sha256"]: f["name"] for f in files}
    started, finished = stored_time(job["started_at"]), stored_time(job["finished_at"])
    rate = None
    if started is not None:
        elapsed = ((finished or datetime.now(timezone.utc)) - started).total_seconds()
        if elapsed > 0:
            rate = max(done - job["pages_at_start"], 0) / elapsed
    # A file cut at the page bound says so beside it (accept_files); the same line in the job's messages
    # when it ends would say it twice.
    cut = {f["warning"] for f in files if f.get("warning")}
    job["error"] = "\n".join(line for line in (job["error"] or "").splitlines() if line not in cut)
    order = {f["sha256"]: number for number, f in reversed(list(enumerate(files)))}
    aside = sorted(aside, key=lambda a: (order.get(a.sha256, len(files)), a.page_index))  # not worker order
    job.update(refused=json.loads(row["refused"] or "[]"), files=files, pages_done=done, all_files_read=all(f.get("state") == FILE_DONE for f in files), pages_per_s=rate, status_label=STATUS_LABELS.get(job["status"], ""),
               pages_skipped=sum(f.get("skipped", 0) for f in files),
               set_aside=[{"file": name_of.get(a.sha256, "?"), "page": a.page_index + 1, "page_id": a.id,
                           "reason": SET_ASIDE_REASONS.get(a.set_aside, a.set_aside),
                           # the stored name (001.pdf) said as the user's, should the detail mention it
                           "detail": page_detail(a.detail, a.path, name_of.get(a.sha256)),
                           # a person's decision on it since (a new user's trial: rejected pages looked pending)
                           "decided": (f"đã loại bỏ ({a.decided_by})" if a.decision == "rejected"
                                       else f"đã đọc lại từng nửa ({a.decided_by})" if a.decision == "split"
                                       else ""),
                           "rejected": a.decision == "rejected"}
                          for a in aside])
    job["set_aside_runs"] = _page_runs(job["set_aside"])  # the table's rows; ``set_aside`` counts pages
    for entry in files:  # «big.png — 2 trang» of a file whose page 2 has no picture: says where it went
        entry["set_aside_pages"] = sum(1 for a in aside if a.sha256 == entry["sha256"])
    return job


def _page_runs(rows: list[dict]) -> list[dict]:
    """Set-aside rows of a job page (in file and page order) with each run of following pages of one file
    set aside alike (same reason, detail and decision) made one row whose ``page`` is «5–1.999»
    (a 10,000-page upload of blank pages listed 2,000 rows). A rejected page keeps its own row: it has
    its own button to put it back in the queue."""
    runs: list[dict] = []
    for row in rows:
        last = runs[-1] if runs else None
        if (last is not None and not row["rejected"] and not last["rejected"] and row["page"] == last["last"] + 1
                and all(row[k] == last[k] for k in ("file", "reason", "detail", "decided"))):
            last["last"] = row["page"]
            last["page"] = f"{vn_integer(last['first'])}–{vn_integer(row['page'])}"
            continue
        runs.append(dict(row, first=row["page"], last=row["page"], page=vn_integer(row["page"])))
    return runs


def list_jobs(store, limit: int = 50) -> list[dict]:
    with store.reading() as conn:
        ids = conn.execute(sa.select(upload_jobs.c.id).order_by(upload_jobs.c.id.desc()).limit(limit)).scalars().all()
    return [job_status(store, i) for i in ids]


class JobRunner:
    """One background thread that reads queued upload jobs, one at a time, oldest first."""

    def __init__(self, store, template_dir: str, workers: int = 1):
        self.store = store
        self.template_dir = template_dir
        self.workers = workers
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        # Jobs left 'running' by a server that stopped are taken up again, but
        # not the file each was reading if that already happened before.
        self.store.writing(set_aside_files_that_stopped_the_server)
        self.store.writing(lambda conn: conn.execute(
            upload_jobs.update().where(upload_jobs.c.status == RUNNING).values(status=QUEUED)))
        # A job being cancelled when the server stopped: cancelled (its pages not read stay unread).
        self.store.writing(lambda conn: conn.execute(upload_jobs.update().where(
            upload_jobs.c.status == CANCELLING).values(status=CANCELLED, finished_at=datetime.now(timezone.utc))))
        self._thread = threading.Thread(target=self._loop, name="omr-upload-jobs", daemon=True)
        self._thread.start()
        self._wake.set()

    def no_reader_connected(self) -> bool:
        """Never: this server's own thread reads the uploads (SQLite); see omr.web.queue.QueueRunner."""
        return False

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=5.0)
            self._wake.clear()
            while not self._stop.is_set() and self.run_next():
                pass

    def run_next(self) -> bool:
        """Read the oldest queued job to the end; False when none was waiting."""
        job = take_job(self.store)
        if job is None:
            return False
        read_taken_job(self.store, job, Path(job["folder"]), self.template_dir, self.workers)
        return True


class CancelError(OmrError):
    """A job that cannot be cancelled (already ended); the message is Vietnamese."""


def cancel_job(store, job_id: int, who: str, reason: str = "") -> str:
    """Cancel upload ``job_id`` for ``who`` (audited: entity 'upload', field 'status'); its new status.

    A queued job ends 'cancelled' at once, none of its pages read. A running one becomes 'cancelling':
    its reader stops handing out pages (omr.scan.batch.run_scan's ``stop``) and ends it 'cancelled' with
    how many pages were not read. Raises CancelError for a job that has ended or does not exist.
    """
    def work(conn: sa.Connection) -> str:
        row = conn.execute(sa.select(upload_jobs.c.status, upload_jobs.c.pages_total, upload_jobs.c.error)
                           .where(upload_jobs.c.id == job_id)).first()
        if row is None:
            raise CancelError(f"Không có lần tải lên số {job_id}")
        if row.status not in (QUEUED, RUNNING):
            raise CancelError(f"Lần tải lên này {ENDED_WORDS.get(row.status, STATUS_LABELS.get(row.status, row.status))}: "
                              "không còn gì để huỷ.")
        now = datetime.now(timezone.utc)
        if row.status == QUEUED:
            values = {"status": CANCELLED, "finished_at": now, "error": "\n".join(
                [line for line in (row.error or "").splitlines() if line]
                + [f"Đã huỷ bởi {who} trước khi đọc: {row.pages_total} trang không được đọc."])}
        else:
            values = {"status": CANCELLING}
        changed = conn.execute(upload_jobs.update().where(upload_jobs.c.id == job_id,
                                                          upload_jobs.c.status == row.status).values(**values))
        if changed.rowcount != 1:  # taken or ended meanwhile: the user tries again and sees its state
            raise CancelError("Trạng thái lần tải lên vừa thay đổi; hãy tải lại trang rồi thử lại.")
        store._record_change(conn, who, "upload", job_id, None, "status", row.status, values["status"], reason)
        return values["status"]

    return store.writing(work)


def cancellation(store, job_id: int) -> dict | None:
    """Who cancelled upload ``job_id``, when (UTC) and why, from its audit row; None if nobody did.

    Returns ``{"who": str, "at": datetime, "reason": str}``: the job page says it beside what was not read.
    """
    with store.reading() as conn:
        row = conn.execute(sa.select(changes.c.who, changes.c.at, changes.c.reason)
                           .where(changes.c.entity == "upload", changes.c.entity_id == job_id,
                                  changes.c.field == "status", changes.c.new_value.in_(
                                      (json.dumps(CANCELLING), json.dumps(CANCELLED))))
                           .order_by(changes.c.id).limit(1)).first()
    return None if row is None else {"who": row.who, "at": row.at, "reason": row.reason or ""}


def _cancel_requested(store, job_id: int) -> bool:
    with store.reading() as conn:
        return conn.execute(sa.select(upload_jobs.c.status).where(upload_jobs.c.id == job_id)).scalar() == CANCELLING


def take_job(store, job_id: int | None = None) -> dict | None:
    """Mark a queued job 'running' and return its row; the oldest queued one when ``job_id`` is None.

    None when no such job is queued (already taken, done or unknown): the
    check and the change are one conditional UPDATE, so two readers never
    take the same job.
    """
    def work(conn: sa.Connection):
        query = sa.select(upload_jobs).where(upload_jobs.c.status == QUEUED)
        if job_id is not None:
            query = query.where(upload_jobs.c.id == job_id)
        row = conn.execute(query.order_by(upload_jobs.c.id).limit(1)).mappings().first()
        if row is None:
            return None
        files = json.loads(row["files"])
        taken = conn.execute(upload_jobs.update().where(
            upload_jobs.c.id == row["id"], upload_jobs.c.status == QUEUED).values(
            status=RUNNING, started_at=datetime.now(timezone.utc), finished_at=None,
            pages_at_start=pages_done(files, stored_by_file(conn, [f["sha256"] for f in files])))).rowcount
        return dict(row) if taken else None

    return store.writing(work)


def read_taken_job(store, job: dict, folder: Path, template_dir: str, workers: int = 1) -> None:
    """Read the files of a job taken by :func:`take_job` from ``folder``, and record how it ended.

    Each file is marked 'reading' (one more attempt) before it is read and
    'done' after, so a reader that dies leaves the file it died on marked.
    Never raises for a job's failure: the job ends 'failed' with the reason.
    """
    status, error = DONE, ""
    messages = [line for line in (job["error"] or "").splitlines() if line]
    budget = _Budget(T.MAX_SECONDS_PER_JOB)
    try:
        for number, entry in enumerate(json.loads(job["files"])):
            if entry.get("state") in (FILE_DONE, FILE_SET_ASIDE):
                continue
            if _cancel_requested(store, job["id"]) or budget.spent():
                break
            store.writing(lambda conn, n=number: _set_file_state(conn, job["id"], n, FILE_READING))
            # Hashed when it was accepted (accept_files): the reader does not read the whole file again for it.
            report = batch.run_scan([str(folder / entry["stored"])], store, job["batch_name"],
                                    collected_from=job["collected_from"], collected_to=job["collected_to"],
                                    workers=workers, template_dir=template_dir,
                                    stop=lambda: _cancel_requested(store, job["id"]) or budget.spent(),
                                    hashed={str(folder / entry["stored"]): (entry["sha256"], entry["size"])}
                                    if "size" in entry else None)
            # The server's path of the file means nothing to the user: name it as they did.
            messages += [m.replace(str(folder / entry["stored"]), entry["name"]) for m in report.file_errors]
            if report.stopped:
                store.writing(lambda conn: _set_file_state(conn, job["id"], number, FILE_SET_ASIDE,
                                                           "\n".join(messages)))
                break
            store.writing(lambda conn, n=number, k=report.pages_skipped_done: _set_file_state(
                conn, job["id"], n, FILE_DONE, "\n".join(messages), skipped=k))
        if _cancel_requested(store, job["id"]):
            status = CANCELLED
            messages.append(f"Đã dừng theo yêu cầu: {pages_not_stored(store, job)} trang chưa được đọc.")
        elif budget.ran_out and (not_read := pages_not_stored(store, job)):
            messages.append(out_of_time_message(not_read, job["batch_name"]))
        error = "\n".join(messages)
    except OmrError as exc:
        status, error = FAILED, exc.message
    except Exception:  # the reader must survive any one job; the job shows what failed
        log.exception("upload job %s failed", job["id"])
        status, error = FAILED, ("Lỗi không mong đợi của chương trình (chi tiết đã ghi vào nhật ký máy chủ); "
                                 "hãy báo cho người quản trị, kèm tên tệp.")
    finish_job(store, job["id"], status, error)


def pages_not_stored(store, job: dict) -> int:
    """Page images of ``job``'s files that are not stored: the pages a stopped job did not read.

    Counted file by file (a page stored by an earlier upload of the same file is read, not missing).
    """
    pages_of = {entry["sha256"]: entry["pages"] for entry in json.loads(job["files"])}  # a file uploaded twice: once
    with store.reading() as conn:
        return sum(max(count - pages_stored(conn, [sha]), 0) for sha, count in pages_of.items())


def _clock() -> float:
    """Seconds (monotonic) for a job's time budget; a function of its own so that tests can move it."""
    return time.monotonic()


class _Budget:
    """The reading time left to one upload job: ``spent()`` is True from ``seconds`` after it was made on."""

    def __init__(self, seconds: float):
        self.deadline = _clock() + seconds
        self.ran_out = False

    def spent(self) -> bool:
        self.ran_out = self.ran_out or _clock() >= self.deadline
        return self.ran_out


def out_of_time_message(not_read: int, batch_name: str) -> str:
    """The job's message when ``T.MAX_SECONDS_PER_JOB`` ran out with ``not_read`` pages not read (Vietnamese)."""
    seconds = T.MAX_SECONDS_PER_JOB
    said = (f"{seconds / 3600:.3g} giờ" if seconds >= 3600 else f"{seconds / 60:.3g} phút" if seconds >= 60
            else f"{seconds:.3g} giây").replace(".", ",")
    return (f"Đã dừng đọc sau {said}, thời gian tối đa cho một lần tải lên: {not_read} trang chưa được đọc "
            "(chưa lưu, không vào hàng đợi kiểm tra; các trang đã đọc được lưu đầy đủ). Để đọc nốt, hãy tải lên "
            f"lại chính các tệp này vào đợt «{batch_name}»: các trang đã lưu được bỏ qua, chỉ các trang còn lại "
            "được đọc. Nếu lần sau vẫn chậm như vậy, hãy mở thử tệp và quét lại ở 200–300 dpi.")


def finish_job(store, job_id: int, status: str, error: str) -> None:
    """Record a job's end: ``status`` (done / failed / cancelled) and its message for the user (Vietnamese).

    A cancel that landed after the reader last looked (between its last check and this call) is never
    written over: a job 'cancelling' ends 'cancelled' (its message says every page was read, when ``status``
    is done), unless reading failed; a job already 'cancelled' is left as it is.
    """
    def work(conn: sa.Connection) -> None:
        current = conn.execute(sa.select(upload_jobs.c.status).where(upload_jobs.c.id == job_id)).scalar()
        if current == CANCELLED:
            return
        final, message = status, error
        if current == CANCELLING and status != FAILED:
            final = CANCELLED
            if status == DONE:
                message = "\n".join(line for line in (error, "Yêu cầu huỷ đến khi mọi trang đã được đọc: "
                                                               "không còn trang nào chưa đọc.") if line)
        conn.execute(upload_jobs.update().where(upload_jobs.c.id == job_id, upload_jobs.c.status == current)
                     .values(status=final, error=message, finished_at=datetime.now(timezone.utc)))

    store.writing(work)


def _set_file_state(conn: sa.Connection, job_id: int, number: int, state: str, error: str | None = None,
                    skipped: int | None = None) -> None:
    """Mark file ``number`` of a job; 'reading' also counts an attempt (committed before reading starts).

    ``error``, when given, is the job's message so far (kept if the server stops before the job ends).
    ``skipped``: pages of the file already read by an earlier run and not read again (the same file uploaded
    twice), shown on the job page.
    """
    files = json.loads(conn.execute(sa.select(upload_jobs.c.files).where(upload_jobs.c.id == job_id)).scalar())
    files[number]["state"] = state
    if skipped is not None:
        files[number]["skipped"] = skipped
    if state == FILE_READING:
        files[number]["attempts"] = files[number].get("attempts", 0) + 1
    values = {"files": json.dumps(files, ensure_ascii=False)}
    if error is not None:
        values["error"] = error
    conn.execute(upload_jobs.update().where(upload_jobs.c.id == job_id).values(**values))


def set_aside_files_that_stopped_the_server(conn: sa.Connection, job_ids: list[int] | None = None) -> list[str]:
    """At start-up: files of interrupted jobs found 'reading' a second time are set aside, named.

    A file still 'reading' was being read when the server stopped. Once may
    be a restart; ``T.JOB_FILE_MAX_ATTEMPTS`` times means the file itself
    stops the server: it is not read again, and the job's message says which
    file and what to do. Returns those messages. ``job_ids`` limits this to
    those jobs (the job queue's workers: another job may be being read by a
    live worker on another machine); None looks at every running job.
    """
    said = []
    query = sa.select(upload_jobs.c.id, upload_jobs.c.files, upload_jobs.c.error).where(
        upload_jobs.c.status == RUNNING)
    if job_ids is not None:
        query = query.where(upload_jobs.c.id.in_(job_ids))
    rows = conn.execute(query).all()
    for job_id, files_json, error in rows:
        files = json.loads(files_json)
        messages = []
        for entry in files:
            if entry.get("state") == FILE_READING and entry.get("attempts", 0) >= T.JOB_FILE_MAX_ATTEMPTS:
                entry["state"] = FILE_SET_ASIDE
                messages.append(f"{entry['name']}: máy chủ đã dừng {entry['attempts']} lần khi đang đọc tệp này; "
                                "tệp được để riêng, không đọc lại. Hãy kiểm tra tệp (mở thử, quét lại) "
                                "rồi tải lên trong một đợt mới.")
        if messages:
            conn.execute(upload_jobs.update().where(upload_jobs.c.id == job_id).values(
                files=json.dumps(files, ensure_ascii=False),
                error="\n".join([line for line in (error or "").splitlines() if line] + messages)))
            said += messages
    return said


def remove_incoming(paths: list[Path]) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

