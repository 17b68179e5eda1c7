"""Purging old uploads: an admin deletes the scan files of finished upload jobs, audited.

Uploads are kept until an admin purges them (a form on ``/batches``): the scan files of jobs that
finished more than N days ago, read to the end, every page stored and nothing of theirs left to
review. What was read stays (answers, comment crops, the data); the review app's picture of such a
page says who purged its file and when (omr.web.images, from omr.data.uploads.purged_upload).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from omr.data import review
from omr.data.schema import pages, source_files, stored_time, upload_jobs
from omr import tuning as T
from omr.errors import BadArgumentsError
from omr.web.jobs import CANCELLED, DONE, FAILED, FILE_DONE, STATUS_LABELS, pages_stored

PURGE_FIELD = "files_purged"  # changes.field of a purge (entity "upload", entity_id the job)


@dataclass
class PurgeReport:
    """What :func:`purge_uploads` did: jobs and files purged, bytes freed, and the jobs kept, with why."""

    jobs: int = 0
    files: int = 0
    freed_bytes: int = 0
    kept: list[tuple[int, str]] = field(default_factory=list)  # (job id, Vietnamese reason)


def purge_uploads(store, days: int, who: str, now: datetime | None = None) -> PurgeReport:
    """Delete the uploaded scan files of jobs that finished more than ``days`` days ago (at least 1)
    and whose pages are all stored with nothing left to review; record who did it and when.

    A job is purged whole or not at all. It is kept (and said why) while any of its files is not
    read to the end (a file set aside after crashing the server, a job that failed), any file has
    fewer pages stored than it holds, or any page of its files is in a batch with items still in the
    review queue (a reviewer needs the picture to decide). The reads, the comment crops and the
    stored data stay; each purged file's entry in ``upload_jobs.files`` gets ``purged_by`` and
    ``purged_at`` (ISO 8601, UTC), and one audit row per job (``changes``: entity "upload", field
    ``PURGE_FIELD``, the files' names before) is written in the same transaction, before any file is
    deleted, so no file goes without its record. Only files inside the job's own folder are touched.
    Raises BadArgumentsError for ``days`` under 1 or over ``T.PURGE_MAX_DAYS``.
    """
    if not isinstance(days, int) or not 1 <= days <= T.PURGE_MAX_DAYS:
        raise BadArgumentsError(f"Số ngày phải là số nguyên từ 1 đến {T.PURGE_MAX_DAYS}")
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(days=days)
    report = PurgeReport()
    with store.reading() as conn:
        rows = conn.execute(sa.select(upload_jobs.c.id, upload_jobs.c.status, upload_jobs.c.folder,
                                      upload_jobs.c.files, upload_jobs.c.finished_at)
                            .order_by(upload_jobs.c.id)).all()
    for row in rows:
        finished = stored_time(row.finished_at)
        files = json.loads(row.files or "[]")
        if finished is None or finished > cutoff or all(entry.get("purged_at") for entry in files):
            continue
        why = _why_kept(store, row.status, files)
        if why:
            report.kept.append((row.id, why))
            continue
        purged, freed = _purge_job(store, row.id, Path(row.folder), files, who, now, days)
        report.jobs += 1
        report.files += purged
        report.freed_bytes += freed
    return report


def _why_kept(store, status: str, files: list[dict]) -> str | None:
    """Why a finished job's files must stay (Vietnamese), or None when they may go."""
    if status == FAILED:
        return "lần tải lên bị lỗi, chưa đọc xong"
    if status not in (DONE, CANCELLED):
        return f"lần tải lên chưa kết thúc ({STATUS_LABELS.get(status, status)})"
    waiting = [entry for entry in files if not entry.get("purged_at")]
    if status == DONE:
        unread = [entry["name"] for entry in waiting if entry.get("state") != FILE_DONE]
        if unread:
            return "có tệp chưa đọc xong: " + ", ".join(unread)
    with store.reading() as conn:
        for entry in waiting:
            stored, total = pages_stored(conn, [entry["sha256"]]), entry.get("pages", 0)
            if status == CANCELLED and stored == 0:
                continue  # cancelled before any page of it was read: nothing of it is in the data
            if stored < total:
                if status == CANCELLED:
                    return (f"lần tải lên đã bị huỷ khi tệp {entry['name']} mới lưu {stored}/{total} trang "
                            "(tải lại tệp này để đọc nốt, rồi xoá)")
                return f"tệp {entry['name']} chưa lưu đủ trang"
        batch_ids = conn.execute(
            sa.select(pages.c.batch_id).distinct().join(source_files, source_files.c.id == pages.c.source_file_id)
            .where(source_files.c.sha256.in_([entry["sha256"] for entry in waiting]))).scalars().all()
    for batch_id in batch_ids:
        pending = sum(review.queue_counts(store, review.QueueFilter(batch_id=batch_id)).values())
        if pending:
            return f"đợt còn {pending} mục chờ kiểm tra (cần ảnh gốc để quyết định)"
    return None


def _purge_job(store, job_id: int, folder: Path, files: list[dict], who: str, now: datetime,
               days: int) -> tuple[int, int]:
    """Record the purge of a job's files (audit row and entries, one transaction), then delete them;
    (files deleted or already gone, bytes freed)."""
    stamp = now.isoformat()
    going = [entry for entry in files if not entry.get("purged_at")]

    def record(conn: sa.Connection) -> None:
        current = json.loads(conn.execute(sa.select(upload_jobs.c.files)
                                          .where(upload_jobs.c.id == job_id)).scalar() or "[]")
        for entry in current:
            if not entry.get("purged_at"):
                entry["purged_at"], entry["purged_by"] = stamp, who
        conn.execute(upload_jobs.update().where(upload_jobs.c.id == job_id)
                     .values(files=json.dumps(current, ensure_ascii=False)))
        store._record_change(conn, who, "upload", job_id, None, PURGE_FIELD,
                             [{"name": e["name"], "stored": e["stored"], "sha256": e["sha256"]} for e in going],
                             None, reason=f"xoá tệp tải lên đã kết thúc quá {days} ngày", at=now)

    store.writing(record)
    freed = removed = 0
    root = folder.resolve()
    for entry in going:
        path = (folder / entry["stored"]).resolve()
        if path.parent != root:  # a name the server never chose: never follow it out of the folder
            continue
        removed += 1
        try:
            freed += path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            pass
    try:
        folder.rmdir()  # empty now: nothing else was ever kept there
    except OSError:
        pass
    return removed, freed
