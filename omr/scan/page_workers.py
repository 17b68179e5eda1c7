"""Pages read in worker processes that are watched: a page that hangs or kills its reader is named.

``multiprocessing.Pool`` waits forever for a task whose worker died (killed
for memory, a crash in a C decoder) and cannot stop a task that hangs. Here
each worker takes a run of consecutive pages (so a PDF stays open in it), and
answers page by page. The supervisor gives every page ``seconds_per_task``
seconds, not counting the time it waited for a CPU that other programs held (a loaded machine;
up to ``T.WORKER_WALL_BOUND_FACTOR`` times the bound in all): a worker that overruns is killed,
a worker that dies is noticed, and
in both cases the page it was on comes back as a failure with a Vietnamese
reason, the rest of its run goes to a fresh worker, and the batch goes on.
Each worker's data memory is bounded (``T.WORKER_MAX_MEMORY_BYTES``), so a
decompression bomb ends as a failed page, not as the machine's memory.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait

from omr import tuning as T

_DONE = "__run_done__"


def available_memory_bytes() -> int | None:
    """Memory this machine can give new processes without swapping (bytes): ``MemAvailable`` of
    /proc/meminfo (Linux); None where there is no such file or it cannot be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def default_workers(memory: int | None = -1, cpus: int | None = None) -> int:
    """Page-reading processes when the user names none (``omr scan``, ``omr review serve``, ``omr worker``):
    one per CPU this process may use (``os.sched_getaffinity``), at most :data:`~omr.tuning.DEFAULT_MAX_WORKERS`,
    and no more than ``memory`` (bytes; default :func:`available_memory_bytes`, None: unknown, not bounding)
    holds at :data:`~omr.tuning.WORKER_MEMORY_BYTES` each beside the parent's own. Always at least 1.
    ``cpus`` overrides the CPUs counted (tests)."""
    if cpus is None:
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # not Linux
            cpus = os.cpu_count() or 1
    workers = min(max(cpus, 1), T.DEFAULT_MAX_WORKERS)
    if memory == -1:
        memory = available_memory_bytes()
    if memory is not None:
        workers = min(workers, memory // T.WORKER_MEMORY_BYTES - 1)
    return max(1, workers)


@dataclass
class Failure:
    """Why one task produced no result: ``kind`` is "timeout", "crashed", "error" or "skipped"."""

    kind: str
    message: str
    busy: bool = False  # a "timeout" of a page that was mostly waiting for a busy machine's CPU, not reading


@dataclass(frozen=True)
class ByName:
    """A module-level function named by its module and name, imported where it is first called.

    For a worker's functions: the process that starts workers pickles this name
    and never imports the (heavy) module itself; the worker, forked from a fork
    server that preloaded the module, finds it already imported. Calling it
    calls the function (AttributeError / ImportError if there is none).
    """

    module: str
    name: str

    def __call__(self, *args, **kwargs):
        return getattr(importlib.import_module(self.module), self.name)(*args, **kwargs)


def _limit_memory(max_bytes: int | None) -> None:
    if not max_bytes:
        return
    try:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (ImportError, ValueError, OSError):  # not Linux, or not allowed: no bound, but still watched
        pass


def _worker_main(conn, initializer: Callable, initargs: tuple, func: Callable, max_bytes: int | None) -> None:
    _limit_memory(max_bytes)
    initializer(*initargs)
    while True:
        try:
            run = conn.recv()
        except EOFError:
            return
        if run is None:
            return
        for task in run:
            try:
                outcome = func(task)
            except MemoryError:
                outcome = Failure("memory", "trang cần quá nhiều bộ nhớ để đọc")
            except Exception as exc:  # a bug or a decoder error on one page must not end the batch
                outcome = Failure("error", "lỗi không mong đợi của chương trình khi đọc trang này; hãy báo cho "
                                           f"người quản trị (chi tiết kỹ thuật: {type(exc).__name__}: {exc})")
            conn.send((task, outcome))
        conn.send(_DONE)


def start_fork_server(preload: list[str]) -> None:
    """Start the fork server now, importing ``preload`` in it, so that its start-up overlaps other work.

    The fork server is a fresh interpreter: importing omr's reading modules
    in it (numpy, OpenCV, pdfium) takes ~0.7 s on an idle 2-core machine.
    Started before a batch hashes and counts its files, that time is mostly
    hidden; the server then stays up for the life of the process (the web
    app's later jobs fork from it at once). Does nothing off Linux.
    """
    if not sys.platform.startswith("linux"):
        return
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(preload)
    forkserver.ensure_running()


def no_setup() -> None:
    """An initializer for workers that need none (``PageWorkers`` takes a module-level function)."""


def run_bounded(func: Callable, tasks: list, *, initializer: Callable = no_setup, initargs: tuple = (),
                seconds_per_task: float | None = None, preload: list[str] | None = None) -> list[tuple]:
    """``func(task)`` for ``tasks`` in order, in one watched worker: [(task, result or Failure), ...].

    For work done on behalf of a web request (the template editor's blank and try-on), which must
    not read an upload in the server process: the same memory cap (``T.WORKER_MAX_MEMORY_BYTES``)
    and per-task time bound (``seconds_per_task``, default ``T.MAX_SECONDS_PER_PAGE``) as a batch.
    """
    if not tasks:
        return []
    pool = PageWorkers(1, initializer, initargs, func, seconds_per_task=seconds_per_task, preload=preload)
    answered = dict(pool.map([list(tasks)]))
    return [(task, answered.get(task, Failure("crashed", "không có kết quả"))) for task in tasks]


@dataclass
class _Worker:
    process: multiprocessing.Process
    conn: object
    run: deque = field(default_factory=deque)  # tasks sent, not yet answered, in the order it reads them
    runs_sent: int = 0  # runs sent whose end (_DONE) has not come back
    deadline: float = 0.0
    started: float = 0.0  # time.monotonic() when its current task started
    waited: float = 0.0  # its run-queue wait (s, _run_queue_wait) when its current task started


def _run_queue_wait(pid: int | None) -> float:
    """Seconds process ``pid`` has spent ready to run but waiting for a CPU (Linux schedstat); 0 elsewhere.

    On a machine shared by other work a page that needs 3 s of CPU may take a minute of wall time: that
    waiting is the machine's, not the page's, and is not counted against the page's time bound."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/schedstat", encoding="ascii") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


class PageWorkers:
    """Run ``func(task)`` for every task in watched worker processes.

    ``initializer(*initargs)`` runs once in each worker. ``func`` and
    ``initializer`` must be importable module-level functions.
    """

    def __init__(self, workers: int, initializer: Callable, initargs: tuple, func: Callable, *,
                 seconds_per_task: float | None = None, max_memory_bytes: int | None = None,
                 preload: list[str] | None = None):
        self.workers = max(1, workers)
        self.initializer, self.initargs, self.func = initializer, initargs, func
        self.seconds = seconds_per_task if seconds_per_task is not None else T.MAX_SECONDS_PER_PAGE
        self.max_bytes = max_memory_bytes if max_memory_bytes is not None else T.WORKER_MAX_MEMORY_BYTES
        # Not "fork": a child forked from a parent that already ran OpenCV's
        # thread pool can hang in it. The fork server is a clean process that
        # imports omr once and forks the workers.
        linux = sys.platform.startswith("linux")
        self.context = multiprocessing.get_context("forkserver" if linux else "spawn")
        if linux and preload:
            self.context.set_forkserver_preload(preload)

    def _start(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_worker_main, daemon=True,
                                       args=(child, self.initializer, self.initargs, self.func, self.max_bytes))
        process.start()
        child.close()
        return _Worker(process, parent)

    @staticmethod
    def _stop(worker: _Worker, kill: bool = False) -> None:
        if kill:
            worker.process.kill()
        else:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        worker.conn.close()

    def map(self, runs: Iterable[list], skip: Callable[[object], bool] | None = None) -> Iterator[tuple[object, object]]:
        """(task, result or Failure) for every task of ``runs``, as they finish.

        Each run (a list of tasks, usually consecutive pages of one file) goes
        to one worker in order. Results come as soon as each task ends.
        ``runs`` is drawn lazily, a run whenever a worker is free, so it may be
        a generator that does work of its own (hashing the next file) while
        the workers read, and a batch of any size holds only the runs in
        flight. Workers are started only when there is a run for them.
        ``skip(task)``, asked as each run is handed to a worker, True: the
        task is not read and comes back as ``Failure("skipped", ...)`` (pages
        of a file given up on, omr.scan.batch).
        """
        fresh = iter(runs)
        queue: deque = deque()  # runs handed back by a lost worker, first in line
        skipped: list = []

        def next_run() -> list | None:
            while True:
                if queue:
                    run = list(queue.popleft())
                else:
                    run = next((list(r) for r in fresh if r), None)
                    if run is None:
                        return None
                if skip is not None:
                    skipped.extend(task for task in run if skip(task))
                    run = [task for task in run if task not in skipped]
                if run:
                    return run

        idle: list[_Worker] = []
        busy: list[_Worker] = []
        try:
            while True:
                while len(busy) < self.workers:
                    run = next_run()
                    if run is None:
                        break
                    worker = idle.pop() if idle else self._start()
                    self._arm(worker)
                    self._send(worker, run)
                    busy.append(worker)
                # A second run waits in each busy worker's pipe, so that a worker ending a run
                # starts the next at once instead of waiting for this process to answer (it may be
                # storing pages). Its clock starts when the first run's last page is answered.
                for worker in busy:
                    if worker.runs_sent < T.RUNS_AHEAD_PER_WORKER:
                        run = next_run()
                        if run is None:
                            break
                        self._send(worker, run)
                while skipped:
                    yield skipped.pop(0), Failure("skipped", "không đọc (tệp đã bị bỏ dở)")
                if not busy:
                    return
                timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
                ready = wait([w.conn for w in busy], timeout=timeout)
                for worker in list(busy):
                    if worker.conn in ready:
                        try:
                            message = worker.conn.recv()
                        except (EOFError, OSError):
                            yield from self._lost(worker, busy, queue, "crashed",
                                                  "chương trình đọc trang bị dừng đột ngột (hết bộ nhớ hoặc "
                                                  "ảnh làm hỏng bộ giải mã)")
                            continue
                        if message == _DONE:
                            worker.runs_sent -= 1
                            if worker.runs_sent == 0:
                                busy.remove(worker)
                                idle.append(worker)
                            continue
                        task, outcome = message
                        if worker.run and worker.run[0] == task:
                            worker.run.popleft()
                        self._arm(worker)
                        yield task, outcome
                    elif time.monotonic() >= worker.deadline:
                        # The bound counts the task's time less its wait for a CPU (another program's
                        # load), up to WORKER_WALL_BOUND_FACTOR times the bound of wall time in all.
                        elapsed = time.monotonic() - worker.started
                        waited = _run_queue_wait(worker.process.pid) - worker.waited
                        own = elapsed - waited
                        wall_cap = self.seconds * T.WORKER_WALL_BOUND_FACTOR
                        if own < self.seconds and elapsed < wall_cap:
                            worker.deadline = time.monotonic() + min(max(self.seconds - own, 0.05),
                                                                     wall_cap - elapsed)
                            continue
                        if own >= self.seconds:
                            yield from self._lost(worker, busy, queue, "timeout",
                                                  f"đọc trang quá {self.seconds:.0f} giây, đã dừng")
                        else:
                            yield from self._lost(worker, busy, queue, "timeout",
                                                  f"máy đang quá bận: sau {elapsed:.0f} giây (chờ CPU "
                                                  f"{waited:.0f} giây) trang vẫn chưa đọc xong, đã dừng; "
                                                  "hãy đọc lại khi máy rảnh hơn", busy_machine=True)
        finally:
            for worker in idle + busy:
                self._stop(worker, kill=worker in busy)

    def _arm(self, worker: _Worker) -> None:
        """Start the clock of the worker's next task."""
        worker.started = time.monotonic()
        worker.deadline = worker.started + self.seconds
        worker.waited = _run_queue_wait(worker.process.pid)

    @staticmethod
    def _send(worker: _Worker, run: list) -> None:
        worker.run.extend(run)
        worker.runs_sent += 1
        worker.conn.send(run)

    def _lost(self, worker: _Worker, busy: list, queue: deque, kind: str, message: str, busy_machine: bool = False):
        """The worker's current task failed; the rest of its run goes back to the queue."""
        busy.remove(worker)
        self._stop(worker, kill=True)
        if worker.run:
            task = worker.run.popleft()
            if worker.run:
                queue.appendleft(list(worker.run))
            yield task, Failure(kind, message, busy_machine)
