"""Reading uploaded batches through a job queue (procrastinate) when the store is PostgreSQL.

With a PostgreSQL store an upload (a row of ``upload_jobs``, see
omr.web.jobs) is also a procrastinate job: task :data:`TASK_NAME` with the
upload's id. Any worker that reaches the database and sees the uploads folder
reads it: the one ``omr review serve`` runs in-process (unless
``--no-worker``), and ``omr worker`` on other machines. SQLite keeps the
server's own thread (omr.web.jobs.JobRunner): an SQLite file has one writer
and no second machine.

Crash safety is the same as JobRunner's: each file is marked 'reading' with
its attempt count before it is read (omr.web.jobs.read_taken_job). A worker
that dies stops sending heartbeats; after ``T.JOB_QUEUE_STALLED_AFTER_S``
another worker (at its start, then every ``T.JOB_QUEUE_RECOVERY_EVERY_S``)
finds the job stalled (procrastinate's heartbeat bookkeeping), sets aside a
file found 'reading' for the ``T.JOB_FILE_MAX_ATTEMPTS``-th time, ends the
dead worker's job 'failed' and queues the upload again. Only that upload is
touched: others may be being read by live workers elsewhere.

procrastinate's tables live in the store's schema (migration 0003); its
queries name no schema, so a ``search_path`` in the URL (``options=-csearch_path=...``)
is honoured, as it is for omr's tables.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from pathlib import Path

import procrastinate
import sqlalchemy as sa
from procrastinate.exceptions import AlreadyEnqueued, ProcrastinateException
from procrastinate.jobs import Status
from psycopg.conninfo import make_conninfo

from omr import tuning as T
from omr.data.schema import upload_jobs
from omr.data.store import database_url
from omr.web import jobs

log = logging.getLogger(__name__)

TASK_NAME = "omr.read_upload"
QUEUE_NAME = "omr-uploads"


def uses_job_queue(db_url: str | None) -> bool:
    """True when ``db_url`` (as a user typed it, None = default SQLite file) is PostgreSQL."""
    return database_url(db_url).get_backend_name() == "postgresql"


def conninfo(db_url: str | None) -> str:
    """The libpq connection string for ``db_url``, keeping its options (e.g. ``-csearch_path=...``).

    Raises omr.errors.DatabaseError for text that is no database URL.
    """
    url = database_url(db_url)
    params = {"host": url.host, "port": url.port, "dbname": url.database, "user": url.username,
              "password": url.password}
    params.update({key: value if isinstance(value, str) else value[-1] for key, value in url.query.items()})
    return make_conninfo(**{key: value for key, value in params.items() if value is not None})


def upload_lock(upload_id: int) -> str:
    """procrastinate lock of an upload: its jobs run one at a time, and one waits in the queue at most."""
    return f"omr-upload-{upload_id}"


def deferring_app(db_url: str | None) -> procrastinate.App:
    """A procrastinate app for putting uploads in the queue from synchronous code (web threads).

    Open it with ``app.open()`` and close it with ``app.close()``.
    """
    return procrastinate.App(connector=procrastinate.SyncPsycopgConnector(
        conninfo=conninfo(db_url), min_size=1, max_size=4))


def defer_upload(app: procrastinate.App, upload_id: int) -> bool:
    """Put upload ``upload_id`` in the queue; False when it already waits there (nothing is doubled)."""
    try:
        app.configure_task(TASK_NAME, queue=QUEUE_NAME, lock=upload_lock(upload_id),
                           queueing_lock=upload_lock(upload_id)).defer(upload_id=upload_id)
    except AlreadyEnqueued:
        return False
    return True


def queued_upload_ids(store) -> list[int]:
    """Ids of uploads waiting to be read ('queued' in upload_jobs), oldest first."""
    with store.reading() as conn:
        return list(conn.execute(sa.select(upload_jobs.c.id).where(upload_jobs.c.status == jobs.QUEUED)
                                 .order_by(upload_jobs.c.id)).scalars())


def defer_queued_uploads(app: procrastinate.App, store) -> int:
    """Put every queued upload in the job queue (those already there are left); how many were added."""
    return sum(defer_upload(app, upload_id) for upload_id in queued_upload_ids(store))


class UploadReader:
    """What the task runs: take one upload and read its files, like JobRunner does.

    ``uploads_dir``: this machine's view of the uploads folder. A job's
    folder is recorded as the server saw it; a worker on another machine
    (the folder shared over SMB/NFS, mounted elsewhere) finds it there by
    its name. ``say`` receives a line for the console as each upload starts
    and ends (``omr worker`` prints them).
    """

    def __init__(self, store, template_dir: str, workers: int = 1, uploads_dir: str | Path | None = None,
                 say=None):
        self.say = say or (lambda line: None)  # one Vietnamese line per upload begun or ended (worker console)
        self.store = store
        self.template_dir = str(template_dir)
        self.workers = workers
        self.uploads_dir = Path(uploads_dir) if uploads_dir else None

    def job_folder(self, recorded: str) -> Path | None:
        """The folder of a job on this machine, or None when this machine cannot see it."""
        candidates = []
        if self.uploads_dir is not None:
            candidates.append(self.uploads_dir / Path(recorded).name)
        candidates.append(Path(recorded))
        return next((folder for folder in candidates if folder.is_dir()), None)

    def read(self, upload_id: int) -> None:
        """Read upload ``upload_id`` if it is still queued (a job done or taken elsewhere is left alone)."""
        job = jobs.take_job(self.store, upload_id)
        if job is None:
            return
        folder = self.job_folder(job["folder"])
        if folder is None:
            # No file was read: the job says where the worker looked, nothing counts as blank answers.
            where = self.uploads_dir or Path(job["folder"]).parent
            message = (f"Máy đọc không thấy thư mục tải lên «{Path(job['folder']).name}» trong {where}: "
                       "thư mục tải lên phải được chia sẻ cho máy chạy «omr worker» (SMB/NFS) "
                       "và chỉ ra bằng --uploads. Chưa tệp nào được đọc; hãy tải lên lại sau khi sửa.")
            jobs.finish_job(self.store, upload_id, jobs.FAILED, message)
            self.say(f"Lần tải lên số {upload_id}: {message}")
            return
        files = json.loads(job["files"])
        self.say(f"Đang đọc lần tải lên số {upload_id}, đợt «{job['batch_name']}»: {len(files)} tệp, "
                 f"{sum(f['pages'] for f in files)} trang")
        jobs.read_taken_job(self.store, job, folder, self.template_dir, self.workers)
        ended = jobs.job_status(self.store, upload_id)
        self.say(f"Lần tải lên số {upload_id}: {ended['status_label']}, {ended['pages_done']}/{ended['pages_total']} "
                 f"trang đã lưu, {len(ended['set_aside'])} trang để riêng"
                 + (f"\n  {ended['error']}" if ended["error"] else ""))


def worker_app(db_url: str | None, reader: UploadReader) -> procrastinate.App:
    """A procrastinate app whose task reads uploads with ``reader``; open it with ``open_async``."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=conninfo(db_url), min_size=1, max_size=4))

    @app.task(name=TASK_NAME, queue=QUEUE_NAME)
    def read_upload(upload_id: int) -> None:
        reader.read(upload_id)

    return app


async def recover_stalled_uploads(app: procrastinate.App, store, stalled_after_s: float) -> list[int]:
    """Put back in the queue the uploads whose worker died; returns their ids. In the worker's event loop.

    A job is stalled when procrastinate's table says 'doing' and its worker
    has sent no heartbeat for ``stalled_after_s`` seconds. Its upload's file
    found 'reading' for the ``T.JOB_FILE_MAX_ATTEMPTS``-th time is set aside
    (omr.web.jobs.set_aside_files_that_stopped_the_server); the upload goes
    back to 'queued', the dead worker's job ends 'failed' and a new job is
    queued for the upload. An upload left 'running' with no
    job at all (read by an omr before the queue) is treated the same way.
    """
    manager = app.job_manager
    await manager.prune_stalled_workers(stalled_after_s)
    recovered = []
    for job in await manager.get_stalled_jobs(task_name=TASK_NAME, seconds_since_heartbeat=stalled_after_s):
        upload_id = job.task_kwargs.get("upload_id")
        try:
            # The dead worker's job ends 'failed' (the queue's record of the death) and frees the upload's
            # lock; a new job reads the upload. Not a retry of the same job: a job for the upload may
            # already wait in the queue (one per upload), and two could not both be 'todo'.
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)
        except ProcrastinateException:  # another worker recovered it first
            log.info("stalled job %s already recovered by another worker", job.id)
            continue
        if upload_id is None:
            continue
        await asyncio.to_thread(_requeue_upload, store, upload_id)
        await _defer_async(app, upload_id)
        recovered.append(upload_id)
    for upload_id in await asyncio.to_thread(_uploads_running_without_a_job, store):
        if await asyncio.to_thread(_requeue_upload, store, upload_id):
            await _defer_async(app, upload_id)
            recovered.append(upload_id)
    return recovered


async def _defer_async(app: procrastinate.App, upload_id: int) -> bool:
    """:func:`defer_upload` from the worker's event loop."""
    try:
        await app.configure_task(TASK_NAME, queue=QUEUE_NAME, lock=upload_lock(upload_id),
                                 queueing_lock=upload_lock(upload_id)).defer_async(upload_id=upload_id)
    except AlreadyEnqueued:
        return False
    return True


def _requeue_upload(store, upload_id: int) -> bool:
    """Set aside the file this upload's dead worker was reading (second time), mark it 'queued' again.

    False when the upload is no longer 'running' (another worker did this already).
    """
    def work(conn: sa.Connection) -> bool:
        for message in jobs.set_aside_files_that_stopped_the_server(conn, [upload_id]):
            log.warning("Lần tải lên số %s: %s", upload_id, message)
        # Cancelled while its worker died: it ends cancelled, not read again.
        conn.execute(upload_jobs.update().where(upload_jobs.c.id == upload_id, upload_jobs.c.status == jobs.CANCELLING)
                     .values(status=jobs.CANCELLED))
        return conn.execute(upload_jobs.update().where(
            upload_jobs.c.id == upload_id, upload_jobs.c.status == jobs.RUNNING).values(
            status=jobs.QUEUED)).rowcount == 1

    return store.writing(work)


def _uploads_running_without_a_job(store) -> list[int]:
    """Uploads 'running' with no job waiting or being done in the queue: nobody reads them."""
    with store.reading() as conn:
        running = conn.execute(sa.select(upload_jobs.c.id).where(upload_jobs.c.status == jobs.RUNNING)).scalars()
        running = list(running)
        if not running:
            return []
        active = set(conn.execute(sa.text(
            "SELECT lock FROM procrastinate_jobs WHERE task_name = :task AND status IN ('todo', 'doing')"),
            {"task": TASK_NAME}).scalars())
    return [upload_id for upload_id in running if upload_lock(upload_id) not in active]


async def run_worker_async(app: procrastinate.App, store, *, install_signal_handlers: bool = True,
                           heartbeat_s: float = T.JOB_QUEUE_HEARTBEAT_S,
                           stalled_after_s: float = T.JOB_QUEUE_STALLED_AFTER_S,
                           recovery_every_s: float = T.JOB_QUEUE_RECOVERY_EVERY_S) -> None:
    """Run a worker on the opened ``app`` until cancelled (or a signal, with ``install_signal_handlers``).

    Before taking jobs it recovers stalled ones and queues uploads waiting
    without a job; it does both again every ``recovery_every_s`` seconds.
    One upload at a time (each file is read with the reader's page workers).
    """
    await recover_stalled_uploads(app, store, stalled_after_s)
    for upload_id in await asyncio.to_thread(queued_upload_ids, store):
        await _defer_async(app, upload_id)

    async def keep_recovering() -> None:
        while True:
            await asyncio.sleep(recovery_every_s)
            try:
                await recover_stalled_uploads(app, store, stalled_after_s)
                # An upload whose deferring failed (the database was briefly unreachable) waits no longer.
                for upload_id in await asyncio.to_thread(queued_upload_ids, store):
                    await _defer_async(app, upload_id)
            except Exception as exc:  # noqa: BLE001 (a database hiccup must not stop the worker; next round retries)
                log.warning("Chưa kiểm tra được các lần tải lên bị gián đoạn (%s: %s); sẽ thử lại",
                            type(exc).__name__, exc)

    recovering = asyncio.create_task(keep_recovering(), name="omr-recover-uploads")
    try:
        await app.run_worker_async(queues=[QUEUE_NAME], concurrency=1, wait=True,
                                   install_signal_handlers=install_signal_handlers,
                                   update_heartbeat_interval=heartbeat_s, stalled_worker_timeout=stalled_after_s)
    finally:
        recovering.cancel()


def run_worker(db_url: str | None, store, reader: UploadReader, **options) -> None:
    """Run a worker in this thread until Ctrl+C / SIGTERM (``omr worker``); options as run_worker_async."""
    app = worker_app(db_url, reader)

    async def main() -> None:
        async with app.open_async():
            await run_worker_async(app, store, **options)

    asyncio.run(main())


def live_workers(store, within_s: float) -> int:
    """Workers that sent procrastinate a heartbeat in the last ``within_s`` seconds (its procrastinate_workers
    table: a worker adds its row when it starts, beats every ``T.JOB_QUEUE_HEARTBEAT_S`` and removes the row
    when it stops). PostgreSQL only."""
    with store.reading() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM procrastinate_workers "
                                    "WHERE last_heartbeat > now() - make_interval(secs => :within)"),
                            {"within": float(within_s)}).scalar_one()


class QueueRunner:
    """JobRunner's interface (start, wake, stop) over the job queue, for ``omr review serve`` on PostgreSQL.

    ``wake`` puts queued uploads in the queue; with ``run_worker`` (default)
    a worker also runs in a background thread of this process, so one
    machine works alone.
    """

    def __init__(self, store, db_url: str | None, template_dir: str, workers: int = 1,
                 uploads_dir: str | Path | None = None, run_worker: bool = True, **worker_options):
        self.store = store
        self.db_url = db_url
        self.reader = UploadReader(store, template_dir, workers, uploads_dir)
        self.run_worker = run_worker
        self.worker_options = worker_options
        self._deferrer: procrastinate.App | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        self._deferrer = deferring_app(self.db_url).open()
        defer_queued_uploads(self._deferrer, self.store)
        if self.run_worker:
            self._thread = threading.Thread(target=self._run, name="omr-queue-worker", daemon=True)
            self._thread.start()
            self._ready.wait(timeout=10)

    def wake(self) -> None:
        """Put the uploads waiting in upload_jobs in the queue (called after each upload)."""
        if self._deferrer is None:
            return
        try:
            defer_queued_uploads(self._deferrer, self.store)
        except ProcrastinateException as exc:
            # The upload is kept 'queued' in upload_jobs: every worker's next round queues it.
            log.warning("Chưa đưa được đợt tải lên vào hàng đợi (%s); máy đọc sẽ tự lấy trong vòng %s giây",
                        exc, int(T.JOB_QUEUE_RECOVERY_EVERY_S))

    def no_reader_connected(self) -> bool:
        """True when no worker (this server's own or an ``omr worker``) has sent a heartbeat for
        ``T.JOB_QUEUE_NO_WORKER_AFTER_S`` seconds: a queued upload then waits for nobody (the job page says
        so and how to start one)."""
        return live_workers(self.store, T.JOB_QUEUE_NO_WORKER_AFTER_S) == 0

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._main is not None:
            self._loop.call_soon_threadsafe(self._main.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
        if self._deferrer is not None:
            self._deferrer.close()
            self._deferrer = None

    def _run(self) -> None:
        app = worker_app(self.db_url, self.reader)

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._main = asyncio.current_task()
            self._ready.set()
            async with app.open_async():
                await run_worker_async(app, self.store, install_signal_handlers=False, **self.worker_options)

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("the in-process upload worker stopped")
        finally:
            self._ready.set()
