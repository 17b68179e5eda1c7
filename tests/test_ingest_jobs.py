"""Issue 13 item 2, web app: a job that stopped the server is not re-run blindly on restart.

Each uploaded file is marked 'reading' in the database before it is read. A
server that dies on a file twice finds it 'reading' a second time at start-up:
that file is set aside, named, and the job's other files are read.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import sqlalchemy as sa

from omr.data.schema import upload_jobs
from omr.web.jobs import (
    JobRunner,
    create_job,
    job_status,
    scan_suffix,
    set_aside_files_that_stopped_the_server,
)

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = str(REPO / "form_templates")

# A child process plays the server: it reads the job, and dies (as if killed
# for memory) as soon as it reaches the file named "hostile".
SERVER = textwrap.dedent("""
    import os, sys
    import omr.scan.batch
    from omr.data.store import open_store
    from omr.web import jobs

    real = omr.scan.batch.run_scan

    def dying_run_scan(paths, *args, **kwargs):
        if any(open(p, "rb").read().endswith(b"HOSTILE") for p in paths):
            os._exit(137)
        return real(paths, *args, **kwargs)

    omr.scan.batch.run_scan = dying_run_scan
    store = open_store(sys.argv[1])
    runner = jobs.JobRunner(store, sys.argv[2])
    store.writing(jobs.set_aside_files_that_stopped_the_server)
    store.writing(lambda conn: conn.execute(jobs.upload_jobs.update()
                  .where(jobs.upload_jobs.c.status == jobs.RUNNING).values(status=jobs.QUEUED)))
    runner.run_next()
""")


def _server_once(store_url: str) -> int:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", SERVER, store_url, TEMPLATES], env=env, timeout=300).returncode


def _job(store, job_id):
    with store.reading() as conn:
        return conn.execute(sa.select(upload_jobs).where(upload_jobs.c.id == job_id)).mappings().one()


def _upload(tmp_path, office_batch, store):
    pdf, _, summary = office_batch
    good = tmp_path / "good.pdf"
    shutil.copy(pdf, good)
    hostile = tmp_path / "hostile.pdf"
    hostile.write_bytes(pdf.read_bytes() + b"\n%HOSTILE")  # a valid PDF; the fake server dies on it
    job_id, accepted, refused = create_job(store, tmp_path / "uploads", "dot", None, None,
                                           [("phiếu xấu.pdf", hostile), ("phiếu tốt.pdf", good)], "thu")
    assert job_id and len(accepted) == 2 and not refused
    return job_id, summary


def test_a_file_that_stops_the_server_twice_is_set_aside_named_and_the_rest_is_read(tmp_path, office_batch,
                                                                                      store, store_url):
    job_id, summary = _upload(tmp_path, office_batch, store)
    # The server dies on the first file: it is left 'reading', attempt 1.
    assert _server_once(store_url) == 137
    files = json.loads(_job(store, job_id)["files"])
    assert files[0]["state"] == "reading" and files[0]["attempts"] == 1 and _job(store, job_id)["status"] == "running"
    # A restart tries once more (one stop may be an ordinary restart), and dies again.
    assert _server_once(store_url) == 137
    assert json.loads(_job(store, job_id)["files"])[0]["attempts"] == 2
    # The next start sets the file aside and reads the rest.
    runner = JobRunner(store, TEMPLATES)
    runner.start()
    try:
        deadline = time.monotonic() + 240
        while _job(store, job_id)["status"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.3)
    finally:
        runner.stop(timeout=30)
    row = _job(store, job_id)
    files = json.loads(row["files"])
    assert row["status"] == "done"
    assert [f["state"] for f in files] == ["set_aside", "done"]
    assert "phiếu xấu.pdf" in row["error"] and "để riêng" in row["error"]
    status = job_status(store, job_id)
    assert status["pages_done"] == summary.pages  # the good file whole; nothing of the hostile one


def test_a_file_interrupted_once_is_read_again(tmp_path, office_batch, store, store_url):
    job_id, _ = _upload(tmp_path, office_batch, store)
    assert _server_once(store_url) == 137
    # Make the hostile file harmless (as if the stop was an ordinary restart): it is read, not set aside.
    row = _job(store, job_id)
    stored = Path(row["folder"]) / json.loads(row["files"])[0]["stored"]
    stored.write_bytes(stored.read_bytes().replace(b"%HOSTILE", b"%harmless"))
    runner = JobRunner(store, TEMPLATES)
    assert store.writing(set_aside_files_that_stopped_the_server) == []
    store.writing(lambda conn: conn.execute(upload_jobs.update().values(status="queued")))
    assert runner.run_next()
    row = _job(store, job_id)
    assert row["status"] == "done" and row["error"] == ""
    assert [f["state"] for f in json.loads(row["files"])] == ["done", "done"]


def test_heic_uploads_are_recognised(tmp_path):
    import numpy as np
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    path = tmp_path / "photo"
    Image.fromarray(np.full((32, 24, 3), 200, np.uint8)).save(path, format="HEIF")
    assert scan_suffix(path) == ".heic"


def test_webp_and_jpeg_2000_uploads_are_recognised(tmp_path):
    """A phone's WebP photo and a scanner's JPEG 2000 are scans as the command line reads them (refused before)."""
    import numpy as np
    from PIL import Image

    image = Image.fromarray(np.full((32, 24), 200, np.uint8))
    image.save(tmp_path / "photo", format="WEBP")
    image.save(tmp_path / "scan", format="JPEG2000")
    assert scan_suffix(tmp_path / "photo") == ".webp"
    assert scan_suffix(tmp_path / "scan") == ".jp2"
