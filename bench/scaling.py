#!/usr/bin/env python3
"""What two processes give on this machine (issue #18): the ceiling for "2 workers >= 1.8x one".

    .venv/bin/python bench/scaling.py [--pages 120] [--repeat 3] [--scans]

The same CPU work is run in one process, then in two processes at once
(started together behind a barrier, each on its own copy of the work, one
OpenCV thread each), and the bench prints both rates and their ratio:

- ``image``: JPEG decode + Gaussian blur + resize of an A4 200 dpi grey page,
  the simplest image work, nothing of omr's: what the cores and memory give;
- ``read``: omr's own page reading as a scan worker does it
  (``PageLoader.load`` + ``process_image``, drafting left to the second pass),
  over the first ``--pages`` pages of the 200 dpi specimen of bench/speed.py,
  with no parent, pipes or database: what omr's page work itself gives;
- with ``--scans``: ``omr scan --workers 1`` of two different files at once
  against one alone (parent, fork server, worker and SQLite each).

For each it prints pages/s of one process alone, of each of two at once, the
sum's ratio to one alone (the ceiling: 2.00x is perfect), and the CPU ms a
page in each case: CPU per page that rises when two run at once is the
hardware (shared caches, memory bandwidth, SMT), not the scheduler. The
machine may be shared: the load average is printed at the start and end, and
a ratio below the CPU ratio means the other work took a core.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _load() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def _image_work(loops: int):
    import cv2
    import numpy as np

    rng = np.random.default_rng(0)
    page = np.full((2339, 1654), 235, np.uint8)  # A4 at 200 dpi
    page[rng.integers(0, 2339, 4000), rng.integers(0, 1654, 4000)] = 20
    page = cv2.GaussianBlur(page, (5, 5), 0)
    ok, jpeg = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok

    def one() -> None:
        grey = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)
        cv2.resize(cv2.GaussianBlur(grey, (5, 5), 0), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)

    one()  # warm
    return loops, one


def _read_work(pages: int, pdf: str):
    from omr.scan.batch_worker import init_worker, read_task

    init_worker(str(ROOT / "form_templates"), single_threaded=True)
    read_task((pdf, 0))  # warm: imports, templates, the PDF opened

    state = {"next": 1}

    def one() -> None:
        index = state["next"] % pages
        state["next"] = index + 1
        read_task((pdf, index))

    return pages, one


def _child(kind: str, arg: int, pdf: str, barrier, results) -> None:
    import cv2

    cv2.setNumThreads(1)
    count, one = _image_work(arg) if kind == "image" else _read_work(arg, pdf)
    barrier.wait()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        one()
    results.put((count / (time.perf_counter() - wall), 1000 * (time.process_time() - cpu) / count))


def at_once(kind: str, processes: int, arg: int, pdf: str = "") -> list[tuple[float, float]]:
    """[(units/s, CPU ms a unit)] of each of ``processes`` processes doing the same work together."""
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no thread pool inherited
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    procs = [ctx.Process(target=_child, args=(kind, arg, pdf, barrier, results)) for _ in range(processes)]
    for p in procs:
        p.start()
    out = [results.get() for _ in procs]
    for p in procs:
        p.join()
    return out


def scans_at_once(pdfs: list[Path]) -> list[tuple[float, float]]:
    """[(pages/s, CPU ms a page of the whole scan's process tree: parent, fork server, workers)] of
    ``omr scan --workers 1`` of each of ``pdfs`` at once, each into its own database."""
    from speed import OUT, tree_cpu

    procs = []
    for n, pdf in enumerate(pdfs):
        db = OUT / f"scaling{n}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "omr", "scan", str(pdf), "--db", str(db), "--batch", "scaling", "--workers", "1"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    started = time.perf_counter()
    cpu: list[dict[int, float]] = [{} for _ in procs]
    ended: list[float | None] = [None] * len(procs)
    while None in ended:  # the workers are the fork server's children: sampled, not waited for
        for n, proc in enumerate(procs):
            if ended[n] is None:
                tree_cpu(proc.pid, cpu[n])
                if proc.poll() is not None:
                    ended[n] = time.perf_counter() - started
        time.sleep(0.05)
    figures = []
    for n, proc in enumerate(procs):
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"omr scan failed:\n{out}\n{err}")
        pages = sum(int(line.split(":")[1].split()[0]) for line in out.splitlines()
                    if line.startswith("Số trang trong các tệp:"))
        figures.append((pages / ended[n], 1000 * sum(cpu[n].values()) / pages))
    return figures


def report(label: str, unit: str, one: list[list[tuple[float, float]]], two: list[list[tuple[float, float]]]) -> None:
    alone = statistics.median(r[0][0] for r in one)
    each = statistics.median(x for r in two for x, _ in r)
    summed = statistics.median(sum(x for x, _ in r) for r in two)
    cpu1 = statistics.median(r[0][1] for r in one)
    cpu2 = statistics.median(c for r in two for _, c in r)
    print(f"{label}: 1 process {alone:.1f} {unit}/s, each of 2 at once {each:.1f} {unit}/s, together "
          f"{summed:.1f} = {summed / alone:.2f}x one (medians of {len(one)}; all 1: "
          f"{', '.join(f'{r[0][0]:.1f}' for r in one)}; all 2: "
          f"{', '.join('+'.join(f'{x:.1f}' for x, _ in r) for r in two)}); CPU {cpu1:.1f} ms a {unit[:-1] or unit} "
          f"alone, {cpu2:.1f} two at once ({cpu2 / cpu1:.2f}x: the hardware's share of the loss, so on an idle "
          f"machine two give at most {2 * cpu1 / cpu2:.2f}x one)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=120, help="pages each process reads in the 'read' test")
    parser.add_argument("--loops", type=int, default=150, help="loops each process runs in the 'image' test")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scans", action="store_true", help="also two `omr scan --workers 1` at once vs one")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {_load()} at start", flush=True)
    import speed

    speed.OUT.mkdir(parents=True, exist_ok=True)
    plain = speed.specimen(max(args.pages, 200), 0.0)
    subset = speed.first_pages(plain, args.pages)

    one = [at_once("image", 1, args.loops) for _ in range(args.repeat)]
    two = [at_once("image", 2, args.loops) for _ in range(args.repeat)]
    report("image work (decode + blur + resize, A4 200 dpi)", "loops", one, two)
    one = [at_once("read", 1, args.pages, str(subset)) for _ in range(args.repeat)]
    two = [at_once("read", 2, args.pages, str(subset)) for _ in range(args.repeat)]
    report("omr page reading in-process (load + process_image, 200 dpi specimen)", "pages", one, two)
    if args.scans:
        second = speed.copies(subset, 2)
        files = sorted(second.glob("*.pdf"))
        one = [scans_at_once(files[:1]) for _ in range(args.repeat)]
        two = [scans_at_once(files) for _ in range(args.repeat)]
        report("omr scan --workers 1 (whole command, two different files)", "pages", one, two)
    print(f"load average {_load()} at end", flush=True)


if __name__ == "__main__":
    main()
