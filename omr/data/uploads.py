"""Scan files by the names their users gave them when uploading them in the web app.

The web app stores an upload as ``uploads/job-…/001.pdf`` (omr.web.jobs); ``source_files.path``
keeps that stored path as the data's trace, and the user's name of the file is in
``upload_jobs.files`` (JSON ``[{name, stored, sha256, …}]``). Everything people read (the review
app, the web export, ``omr export``) names the file as its user did; files read with ``omr scan``
have no upload and keep their own name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import PurePath

import sqlalchemy as sa

from omr.data.schema import source_files, upload_jobs


def uploaded_names(conn: sa.Connection, digests: Iterable[str]) -> dict[str, str]:
    """File sha256 -> the name its user gave it in the web upload form (the first upload carrying it).

    Files read on the command line have no upload and are absent from the result.
    """
    wanted = set(digests)
    found: dict[str, str] = {}
    if not wanted:
        return found
    query = sa.select(upload_jobs.c.files).order_by(upload_jobs.c.id)
    if len(wanted) <= 20:  # a page or a few: only the jobs whose file list names one of them
        query = query.where(sa.or_(*(upload_jobs.c.files.contains(d) for d in wanted)))
    for (files_json,) in conn.execute(query):
        for entry in json.loads(files_json or "[]"):
            digest = entry.get("sha256")
            if digest in wanted and digest not in found and entry.get("name"):
                found[digest] = entry["name"]
    return found


def uploaded_file_names(conn: sa.Connection) -> dict[str, str]:
    """Stored path -> the name its user gave, for every stored scan file that came as a web upload.

    Paths of files read with ``omr scan`` are absent (they are shown as they are).
    """
    rows = conn.execute(sa.select(source_files.c.path, source_files.c.sha256)).all()
    names = uploaded_names(conn, [r.sha256 for r in rows])
    return {r.path: names[r.sha256] for r in rows if r.sha256 in names}


def shown_file_name(path: str, name: str | None) -> str:
    """A scan file as people know it: the uploaded ``name`` when there is one, else the path's last part."""
    return name or PurePath(path.replace("\\", "/")).name


def purged_upload(conn: sa.Connection, path: str, digest: str) -> tuple[str, datetime] | None:
    """(who, when: aware UTC) the uploaded scan file stored at ``path`` with content ``digest`` was
    purged from the server (``purged_by`` / ``purged_at`` of its entry in ``upload_jobs.files``,
    written by :func:`omr.web.jobs.purge_uploads`), or None when it was not.

    The entry is the one stored under ``path``'s last part in the job folder named like ``path``'s
    folder (``job-…``; a second machine may mount the uploads elsewhere): the same content uploaded
    twice is two files, purged one at a time.
    """
    where = PurePath(path.replace("\\", "/"))
    query = (sa.select(upload_jobs.c.folder, upload_jobs.c.files).where(upload_jobs.c.files.contains(digest))
             .order_by(upload_jobs.c.id))
    for folder, files_json in conn.execute(query):
        if PurePath(folder.replace("\\", "/")).name != where.parent.name:
            continue
        for entry in json.loads(files_json or "[]"):
            if entry.get("sha256") == digest and entry.get("stored") == where.name and entry.get("purged_at"):
                return entry.get("purged_by") or "?", datetime.fromisoformat(entry["purged_at"])
    return None
