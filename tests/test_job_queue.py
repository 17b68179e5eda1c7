"""Issue 17, job queue: on PostgreSQL uploads are read by procrastinate workers, on SQLite by the server.

The PostgreSQL tests run in a schema of their own (tests/db_fixtures.py): the
queue's tables, functions and the workers' queries live in that schema too,
through the URL's search_path.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from web_helpers import logged_in

from omr.cli import main
from omr.data import migrate, users
from omr.data.job_queue_schema import has_queue_schema
from omr.data.schema import upload_jobs
from omr.data.store import database_url, open_store
from omr.web import create_app, queue
from omr.web.jobs import JobRunner, create_job, job_status, stored_by_file

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = str(REPO / "form_templates")
ON_POSTGRES = pytest.mark.parametrize("store_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                      indirect=True)
# Short heartbeats so a killed worker is found dead in seconds, not the production half minute.
FAST = {"heartbeat_s": 0.5, "stalled_after_s": 2.0, "recovery_every_s": 1.0}

# A child process plays a worker on a second machine; it dies (as if killed for memory) as soon as
# it reaches a file that ends in "HOSTILE".
DYING_WORKER = textwrap.dedent("""
    import os, sys
    import omr.scan.batch
    from omr.data.store import open_store
    from omr.web import queue

    real = omr.scan.batch.run_scan

    def dying_run_scan(paths, *args, **kwargs):
        if any(open(p, "rb").read().endswith(b"HOSTILE") for p in paths):
            os._exit(137)
        return real(paths, *args, **kwargs)

    omr.scan.batch.run_scan = dying_run_scan
    store = open_store(sys.argv[1])
    queue.run_worker(sys.argv[1], store, queue.UploadReader(store, sys.argv[2]),
                     heartbeat_s=0.5, stalled_after_s=2.0, recovery_every_s=1.0)
""")


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _job(store, job_id):
    with store.reading() as conn:
        return conn.execute(sa.select(upload_jobs).where(upload_jobs.c.id == job_id)).mappings().one()


def _queue_jobs(store) -> list[tuple[str, str]]:
    with store.reading() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT lock, status::text FROM procrastinate_jobs ORDER BY id")).all()]


def _wait(store, job_id, states=("done", "failed"), timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = _job(store, job_id)
        if row["status"] in states:
            return row
        time.sleep(0.3)
    raise AssertionError(f"upload {job_id} still {_job(store, job_id)['status']}")


def _upload(tmp_path, pdf, store, *, hostile=False):
    good = tmp_path / "good.pdf"
    shutil.copy(pdf, good)
    files = [("phiếu tốt.pdf", good)]
    if hostile:
        bad = tmp_path / "hostile.pdf"
        bad.write_bytes(pdf.read_bytes() + b"\n%HOSTILE")  # a valid PDF; the dying worker dies on it
        files.insert(0, ("phiếu xấu.pdf", bad))
    job_id, accepted, refused = create_job(store, tmp_path / "uploads", "đợt máy hai", None, None, files, "thu")
    assert job_id and len(accepted) == len(files) and not refused
    return job_id


def test_a_new_database_has_the_queue_on_postgres_only(store_url):
    with open_store(store_url) as store, store.reading() as conn:
        assert has_queue_schema(conn) == (store.backend == "postgresql")
        tables = set(sa.inspect(conn).get_table_names())
    assert "upload_jobs" in tables
    if store.backend == "sqlite":
        assert not any(t.startswith("procrastinate") for t in tables)


def test_migration_0003_adds_and_removes_the_queue(store_url):
    """An office's database at 0002 gets the queue from `omr db upgrade`; SQLite gets nothing."""
    if "://" not in store_url:
        Path(store_url).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(database_url(store_url))
    try:
        with engine.begin() as conn:
            command.upgrade(migrate.alembic_config(conn), "0002")
        with engine.connect() as conn:
            assert not has_queue_schema(conn)
        with engine.begin() as conn:
            migrate.upgrade(conn)
        with engine.connect() as conn:
            assert has_queue_schema(conn) == (conn.dialect.name == "postgresql")
            assert migrate.schema_state(conn) == (migrate.CURRENT, migrate.head_revision())
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0002")
        with engine.connect() as conn:
            assert not has_queue_schema(conn)
            left = [name for name in sa.inspect(conn).get_table_names() if name.startswith("procrastinate")]
            assert left == []
            if conn.dialect.name == "postgresql":
                functions = conn.execute(sa.text(
                    "SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%' "
                    "AND pronamespace = current_schema()::regnamespace")).scalar()
                assert functions == 0
    finally:
        engine.dispose()


def test_sqlite_keeps_the_servers_own_reader(tmp_path):
    db = str(tmp_path / "omr.sqlite")
    app = create_app(db, uploads_dir=tmp_path / "uploads", template_dir=TEMPLATES, start_jobs=False)
    try:
        assert type(app.extensions["omr_jobs"]) is JobRunner
    finally:
        app.extensions["omr_store"].close()


def test_omr_worker_refuses_sqlite_in_one_vietnamese_line(tmp_path, capsys):
    assert main(["worker", "--db", str(tmp_path / "omr.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "PostgreSQL" in err and "omr review serve" in err and err.count("\n") == 1
    assert not (tmp_path / "omr.sqlite").exists()


@ON_POSTGRES
def test_an_upload_is_read_by_omr_worker_in_another_process(tmp_path, office_batch, store, store_url):
    pdf, _, summary = office_batch
    job_id = _upload(tmp_path, pdf, store)
    # The web server without its own worker (`omr review serve --no-worker`) puts the upload in the queue.
    runner = queue.QueueRunner(store, store_url, TEMPLATES, run_worker=False)
    runner.start()
    try:
        runner.wake()  # a second wake (the next upload) does not queue it twice
        assert _queue_jobs(store) == [(queue.upload_lock(job_id), "todo")]
        assert _job(store, job_id)["status"] == "queued"
        # The second machine mounts the shared uploads folder somewhere else.
        mounted = tmp_path / "mnt" / "omr-uploads"
        mounted.parent.mkdir()
        (tmp_path / "uploads").rename(mounted)
        worker = subprocess.Popen([sys.executable, "-m", "omr", "worker", "--db", store_url, "--uploads",
                                   str(mounted), "--templates", TEMPLATES], env=_env(), cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            row = _wait(store, job_id)
        finally:
            worker.send_signal(signal.SIGINT)
            out, err = worker.communicate(timeout=60)
    finally:
        runner.stop()
    assert row["status"] == "done", row["error"]
    assert worker.returncode == 0, err
    assert "Đang chờ đợt tải lên" in out and "Traceback" not in err
    assert f"Lần tải lên số {job_id}: đã xong, {summary.pages}/{summary.pages} trang đã lưu" in out
    status = job_status(store, job_id)
    assert status["pages_done"] == summary.pages
    assert [f["state"] for f in status["files"]] == ["done"]
    assert store.summary(store.ensure_batch("đợt máy hai"))["pages"] == summary.pages
    assert _queue_jobs(store) == [(queue.upload_lock(job_id), "succeeded")]


@ON_POSTGRES
def test_a_worker_killed_on_a_file_twice_sets_it_aside_and_the_rest_is_read(tmp_path, office_batch, store,
                                                                              store_url):
    pdf, _, summary = office_batch
    job_id = _upload(tmp_path, pdf, store, hostile=True)
    deferrer = queue.deferring_app(store_url).open()
    try:
        assert queue.defer_queued_uploads(deferrer, store) == 1
    finally:
        deferrer.close()

    def dying_worker() -> int:
        return subprocess.run([sys.executable, "-c", DYING_WORKER, store_url, TEMPLATES], check=False, env=_env(),
                              timeout=300).returncode

    # The worker dies on the first file: it is left 'reading', attempt 1, the queue's job 'doing'.
    assert dying_worker() == 137
    files = json.loads(_job(store, job_id)["files"])
    assert files[0]["state"] == "reading" and files[0]["attempts"] == 1
    assert _job(store, job_id)["status"] == "running"
    assert _queue_jobs(store) == [(queue.upload_lock(job_id), "doing")]
    # Once its heartbeat is stale, the next worker takes the job up again (one death may be a power cut)...
    time.sleep(FAST["stalled_after_s"] + 0.5)
    assert dying_worker() == 137
    files = json.loads(_job(store, job_id)["files"])
    assert files[0]["attempts"] == 2 and files[0]["state"] == "reading"
    # ...and after the second death the file is set aside, named, and the other file is read,
    # here by the web server's in-process worker.
    time.sleep(FAST["stalled_after_s"] + 0.5)
    runner = queue.QueueRunner(store, store_url, TEMPLATES, **FAST)
    runner.start()
    try:
        row = _wait(store, job_id)
    finally:
        runner.stop(timeout=30)
    files = json.loads(row["files"])
    assert row["status"] == "done"
    assert [f["state"] for f in files] == ["set_aside", "done"]
    assert files[0]["attempts"] == 2, "the set-aside file was not read a third time"
    assert "phiếu xấu.pdf" in row["error"] and "để riêng" in row["error"]
    assert job_status(store, job_id)["pages_done"] == summary.pages  # the good file whole, nothing of the other
    # The queue keeps one job per death, ended 'failed', and the one that read the upload.
    assert [status for _, status in _queue_jobs(store)] == ["failed", "failed", "succeeded"]


@ON_POSTGRES
def test_a_worker_interrupted_once_reads_the_file_again(tmp_path, office_batch, store, store_url):
    pdf, _, summary = office_batch
    job_id = _upload(tmp_path, pdf, store, hostile=True)
    deferrer = queue.deferring_app(store_url).open()
    try:
        queue.defer_queued_uploads(deferrer, store)
    finally:
        deferrer.close()
    assert subprocess.run([sys.executable, "-c", DYING_WORKER, store_url, TEMPLATES], check=False, env=_env(),
                          timeout=300).returncode == 137
    # The stop was an ordinary restart: the file is harmless, so it is read, not set aside.
    row = _job(store, job_id)
    stored = Path(row["folder"]) / json.loads(row["files"])[0]["stored"]
    stored.write_bytes(stored.read_bytes().replace(b"%HOSTILE", b"%harmless"))
    time.sleep(FAST["stalled_after_s"] + 0.5)
    runner = queue.QueueRunner(store, store_url, TEMPLATES, **FAST)
    runner.start()
    try:
        row = _wait(store, job_id)
    finally:
        runner.stop(timeout=30)
    assert row["status"] == "done" and row["error"] == ""
    assert [f["state"] for f in json.loads(row["files"])] == ["done", "done"]
    # Each file's pages are stored once under the hash it was accepted with (the restart read none twice),
    # and the job counts both files whole.
    hashes = [f["sha256"] for f in json.loads(row["files"])]
    with store.reading() as conn:
        assert [stored_by_file(conn, [h])[h][0] for h in hashes] == [summary.pages, summary.pages]
    assert job_status(store, job_id)["pages_done"] == 2 * summary.pages


@ON_POSTGRES
def test_a_worker_that_cannot_see_the_uploads_folder_reads_nothing_and_says_why(tmp_path, office_batch, store):
    pdf, _, _ = office_batch
    job_id = _upload(tmp_path, pdf, store)
    shutil.rmtree(tmp_path / "uploads")  # the second machine has no share mounted
    reader = queue.UploadReader(store, TEMPLATES, uploads_dir=tmp_path / "mnt-missing")
    reader.read(job_id)
    row = _job(store, job_id)
    assert row["status"] == "failed"
    assert "SMB/NFS" in row["error"] and "mnt-missing" in row["error"] and "Chưa tệp nào được đọc" in row["error"]
    assert job_status(store, job_id)["pages_done"] == 0
    reader.read(job_id)  # a job that ended is never taken again
    assert _job(store, job_id)["status"] == "failed"


@ON_POSTGRES
def test_a_worker_that_died_before_taking_its_upload_does_not_hold_it_for_ever(tmp_path, office_batch, store,
                                                                                store_url):
    """The queue's job is 'doing' under a dead worker but the upload was never marked 'running'."""
    pdf, _, summary = office_batch
    job_id = _upload(tmp_path, pdf, store)
    deferrer = queue.deferring_app(store_url).open()
    try:
        queue.defer_queued_uploads(deferrer, store)
    finally:
        deferrer.close()
    store.writing(lambda conn: conn.execute(sa.text("""
        WITH dead AS (INSERT INTO procrastinate_workers (last_heartbeat) VALUES (NOW() - INTERVAL '1 hour')
                      RETURNING id)
        UPDATE procrastinate_jobs SET status = 'doing', worker_id = (SELECT id FROM dead)""")))
    assert _job(store, job_id)["status"] == "queued"
    runner = queue.QueueRunner(store, store_url, TEMPLATES, **FAST)
    runner.start()
    try:
        row = _wait(store, job_id)
    finally:
        runner.stop(timeout=30)
    assert row["status"] == "done" and job_status(store, job_id)["pages_done"] == summary.pages
    assert [status for _, status in _queue_jobs(store)] == ["failed", "succeeded"]


@ON_POSTGRES
def test_an_upload_never_put_in_the_queue_is_read_by_the_next_round(tmp_path, office_batch, store, store_url):
    """The web server could not reach the queue after an upload (no wake): a running worker still reads it."""
    pdf, _, summary = office_batch
    runner = queue.QueueRunner(store, store_url, TEMPLATES, **FAST)
    runner.start()
    try:
        job_id = _upload(tmp_path, pdf, store)
        row = _wait(store, job_id, timeout=120)
    finally:
        runner.stop(timeout=30)
    assert row["status"] == "done" and job_status(store, job_id)["pages_done"] == summary.pages


def test_a_queued_upload_says_when_no_reading_worker_is_connected(tmp_path, office_batch, store, store_url):
    """`omr review serve --no-worker` on PostgreSQL with no `omr worker` alive: the job page said only «đang chờ»
    for ever. With no worker heartbeat for T.JOB_QUEUE_NO_WORKER_AFTER_S it says no reading worker is connected
    and how to start one; a live worker's heartbeat (procrastinate_workers) hides it; SQLite (the server reads
    itself) never says it."""
    pdf, _, _ = office_batch
    job_id = _upload(tmp_path, pdf, store)
    users.add_user(store, "thu", "mat-khau-scanner", "scanner")
    app = create_app(store_url, uploads_dir=tmp_path / "uploads", template_dir=TEMPLATES, start_jobs=False,
                     queue_worker=False)
    try:
        client = logged_in(app, "thu", "mat-khau-scanner")
        page = client.get(f"/batches/jobs/{job_id}").get_data(as_text=True)
        assert "đang chờ" in page
        if store_url.startswith("postgresql"):
            assert 'id="no-reader"' in page and "Chưa có máy đọc nào đang kết nối" in page
            assert "omr worker" in page and "--no-worker" in page
            store.writing(lambda conn: conn.execute(sa.text("INSERT INTO procrastinate_workers DEFAULT VALUES")))
            page = client.get(f"/batches/jobs/{job_id}").get_data(as_text=True)
        assert 'id="no-reader"' not in page and "đang chờ" in page
    finally:
        app.extensions["omr_jobs"].stop()
        app.extensions["omr_store"].close()
