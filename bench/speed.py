#!/usr/bin/env python3
"""Speed and memory benchmark of `omr scan` (issue #18): figures printed in one run.

    .venv/bin/python bench/speed.py [--pages 500] [--repeat 3] [--memory-pages 100,500,2000,5000]
        [--only speed|memory] [--paths "omr scan 1,web upload 2"] [--memory-runs one|separate]
        [--memory-minutes M] [--sample-seconds S]

Specimens: 200 dpi grey JPEG PDFs of the default form with the "office"
scanner artefacts (``omr forms simulate --dpi 200 --profile office``), one
with no comments and one with handwritten comments on 30 % of the sheets
(every written field cropped and drafted by Tesseract during the scan).

It prints, in one run:

- the decode floor: pages/s of decoding the page images alone, in one
  process (what no reader can beat on one core), and the CPU a page of the
  JPEG decode alone (the streams extracted first), to show what of the floor is
  the decoder's;
- ``omr scan`` as a user runs it (a fresh SQLite database each run) at 1 and 2
  workers, median pages/s over ``--repeat`` runs, their ratio, and 1 worker's
  rate as a share of the decode floor, for both specimens;
- the peak memory of the whole process tree (parent, fork server, workers;
  PSS and RSS summed, sampled every 50 ms) and of the largest single process
  (its kernel high-water mark), at each of ``--memory-pages`` pages (larger
  batches are copies of the 500-page file, each a different file to omr, so
  every page is read and stored again), on each path of issue #18: ``omr
  scan`` at 1 and 2 workers, and the web app reading the same pages as one
  upload (bench/upload_job.py: the app's JobRunner, at 1 worker and at 2, the server's
  default on 2 cores since hleft), with the CPU a page of the parent and of the workers.
  By default one batch of the largest size per path, its running peaks read as the pages
  stored pass each size; every ``--sample-seconds`` each process's RSS and private memory
  (by role: parent, fork server, workers) with the pages stored so far, and the slope of the
  tree's RSS and private memory over the second half of the run (MiB per 1,000 pages: ~0 is
  flat). ``--memory-minutes`` ends a run early (a loaded machine reads ~1 page/s) and says
  which sizes it did not reach.

Targets (issue #18): 1 worker within 2x the decode floor; 2 workers >= 1.8x
one; >= 60 pages/s with 2 workers; memory flat in the batch size; each worker
under 200 MB. The machine is shared: run-to-run spread is printed, and ratios
measured in the same run are the figures to compare.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.simulate import PROFILES, simulate_batch  # noqa: E402
from omr.forms.template import load_template  # noqa: E402
from omr.scan.ingest import iter_pages  # noqa: E402

OUT = ROOT / "bench" / "out"
# Office scanner artefacts, but every page grey (JPEG) as the issue asks, and no batch accidents.
GREY_OFFICE = dataclasses.replace(PROFILES["office"], binarize_prob=0.0, batch_accidents=False)


def specimen(pages: int, comment_share: float) -> Path:
    """A ``pages``-page specimen PDF (made once, kept in bench/out)."""
    stem = f"speed-{pages}-c{round(comment_share * 100)}"
    path = OUT / f"{stem}.pdf"
    if not path.exists():
        template = load_template(ROOT / "form_templates" / "motcua-2026.yaml")
        layout = resolve_layout(template)
        simulate_batch(template, layout, path, OUT / f"{stem}.jsonl", count=pages // len(layout.pages),
                       seed=pages, dpi=200, profile=GREY_OFFICE, comment_share=comment_share)
    return path


def first_pages(source: Path, pages: int) -> Path:
    """The first ``pages`` pages of ``source`` as a PDF of their own (images copied, not re-encoded)."""
    import pikepdf

    path = OUT / f"{source.stem}-first{pages}.pdf"
    if not path.exists():
        with pikepdf.open(source) as pdf, pikepdf.new() as out:
            out.pages.extend(pdf.pages[:pages])
            out.save(path)
    return path


def copies(source: Path, count: int) -> Path:
    """A folder of ``count`` byte-different copies of ``source``: omr reads each as a new file."""
    folder = OUT / f"{source.stem}-x{count}"
    if not folder.exists():
        folder.mkdir()
        for n in range(count):
            target = folder / f"copy{n:02d}.pdf"
            shutil.copyfile(source, target)
            with open(target, "ab") as fh:  # after %%EOF: ignored by readers, changes the file's hash
                fh.write(f"\n% copy {n}\n".encode())
    return folder


def decode_floor(pdf: Path, limit: int) -> tuple[float, float]:
    """(pages/s, CPU ms per page) of decoding the page images alone (omr.scan.ingest), one process, one thread."""
    import cv2

    cv2.setNumThreads(1)
    started, cpu_started, n = time.perf_counter(), time.process_time(), 0
    for _page in iter_pages(pdf):
        n += 1
        if n >= limit:
            break
    return n / (time.perf_counter() - started), 1000 * (time.process_time() - cpu_started) / n


def jpeg_decode_cpu(pdf: Path, limit: int) -> float:
    """CPU ms a page of the JPEG decode alone (``cv2.imdecode`` of each page's embedded stream, extracted
    beforehand), one thread: the part of the decode floor no check or PDF walk adds to."""
    import cv2
    import numpy as np
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    cv2.setNumThreads(1)
    doc = pdfium.PdfDocument(str(pdf))
    try:
        streams = []
        for index in range(min(limit, len(doc))):
            page = doc[index]
            image = next(o for o in page.get_objects(max_depth=1) if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE)
            streams.append(np.frombuffer(bytes(image.get_data(decode_simple=False)), np.uint8))
            page.close()
    finally:
        doc.close()
    started = time.process_time()
    grey = None
    for stream in streams:
        # Held until the next is decoded, as a reader holds its page: freed first, the next page's
        # pixels would come from fresh pages of memory (~1,000 page faults a page, 1-2 ms).
        grey = cv2.imdecode(stream, cv2.IMREAD_GRAYSCALE)
    cpu_ms = 1000 * (time.process_time() - started) / len(streams)
    if grey is None:
        raise SystemExit(f"{pdf}: its page images did not decode as JPEG")
    return cpu_ms


def _memory_kib(pid: int) -> tuple[int, int, int]:
    """(RSS, PSS, peak RSS so far) of one process (KiB); PSS shares pages forked processes share instead of
    counting them twice; the peak (VmHWM, the kernel's high-water mark) misses no spike between samples."""
    with open(f"/proc/{pid}/status") as fh:
        fields = {line.split(":")[0]: int(line.split()[1]) for line in fh if line.startswith(("VmRSS:", "VmHWM:"))}
    rss = fields["VmRSS"]
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            pss = next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
    except (OSError, StopIteration):
        pss = rss
    return rss, pss, fields.get("VmHWM", rss)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int, seen: dict[int, float]) -> None:
    """Update ``seen`` with the CPU seconds (user + system) so far of a process and its descendants."""
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            seen[p] = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
            with open(f"/proc/{p}/task/{p}/children") as fh:
                stack += [int(c) for c in fh.read().split()]
        except (OSError, IndexError, ValueError):
            continue


def tree_memory(pid: int) -> tuple[int, int, int]:
    """(summed PSS, summed RSS, largest single peak RSS) of a process and all its descendants, KiB."""
    pss_total = rss_total = largest = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            rss, pss, peak = _memory_kib(p)
            with open(f"/proc/{p}/task/{p}/children") as fh:
                stack += [int(c) for c in fh.read().split()]
        except (OSError, StopIteration, KeyError):
            continue
        pss_total, rss_total, largest = pss_total + pss, rss_total + rss, max(largest, peak)
    return pss_total, rss_total, largest


@dataclasses.dataclass
class Run:
    seconds: float
    pages: int
    peak_pss_kib: int
    peak_rss_kib: int
    peak_process_kib: int
    parent_cpu_s: float = 0.0  # CPU seconds of the `omr scan` process itself (storing, handing out pages)
    others_cpu_s: float = 0.0  # of its descendants: fork server and workers (sampled every 50 ms)
    # Every ``--sample-seconds``: (seconds, pages stored so far, {role: [(RSS, PSS, private) KiB per process]}).
    samples: list = dataclasses.field(default_factory=list)
    # Pages stored -> (tree PSS, tree RSS, largest process VmHWM) peaks (KiB) up to the moment that many were in.
    at_pages: dict = dataclasses.field(default_factory=dict)
    stopped: bool = False  # ended by ``--memory-minutes`` before its last page (``pages`` = pages stored then)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds


def run_scan(path: Path, workers: int, watch: Watch | None = None) -> Run:
    """``omr scan PATH --workers N`` as a user runs it, into a fresh SQLite database, watched from outside."""
    db = OUT / f"speed-{os.getpid()}.sqlite"  # two runs of this script at once do not share a database
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return _watched([sys.executable, "-m", "omr", "scan", str(path), "--db", str(db), "--batch", "speed",
                     "--workers", str(workers)],
                    lambda out: sum(int(line.split(":")[1].split()[0].replace(".", "")) for line in out.splitlines()
                                    if line.startswith("Số trang trong các tệp:")),  # "2.000": Vietnamese digits
                    watch, db)


def run_upload(path: Path, workers: int, watch: Watch | None = None) -> Run:
    """The web app's reading of an upload of ``path`` (a PDF, or a folder's PDFs as one upload of several
    files): bench/upload_job.py, the app's own JobRunner in one process, watched from outside."""
    folder = OUT / f"upload-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    files = sorted(path.glob("*.pdf")) if path.is_dir() else [path]
    try:
        return _watched([sys.executable, str(ROOT / "bench" / "upload_job.py"), str(folder), *map(str, files),
                         "--workers", str(workers)],
                        lambda out: next(int(line.split(":")[1]) for line in out.splitlines()
                                         if line.startswith("pages stored:")),
                        watch, folder / "omr.sqlite")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclasses.dataclass
class Watch:
    """How the memory half watches a long run: each process's memory and the pages stored so far every
    ``sample_s`` seconds, the tree's peaks as the stored pages pass each of ``marks``, and the run ended
    (its process group killed) after ``stop_s`` seconds, if given: 5,000 pages take hours on a loaded machine."""

    sample_s: float = 5.0
    marks: tuple[int, ...] = ()
    stop_s: float | None = None


def stored_pages(db: Path) -> int | None:
    """Form pages stored so far in the SQLite database ``db`` (read-only; None while it cannot be read)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2)) as conn:
            return conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    except sqlite3.Error:
        return None


def _private_kib(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        return sum(int(line.split()[1]) for line in fh if line.startswith(("Private_Clean:", "Private_Dirty:")))


def tree_roles(pid: int) -> dict[str, list[tuple[int, int, int]]]:
    """Each process of the tree under ``pid`` by role: "parent" (``pid``), "fork server", "worker" (the
    fork server's children: page and drafting workers), "other" (multiprocessing's resource tracker):
    [(RSS, PSS, private) KiB, ...] per role."""
    roles: dict[str, list[tuple[int, int, int]]] = {}
    stack = [(pid, "parent")]
    while stack:
        p, role = stack.pop()
        try:
            rss, pss, _peak = _memory_kib(p)
            private = _private_kib(p)
            with open(f"/proc/{p}/task/{p}/children") as fh:
                children = [int(c) for c in fh.read().split()]
            with open(f"/proc/{p}/cmdline", "rb") as fh:
                forkserver = b"forkserver" in fh.read()
        except (OSError, StopIteration, KeyError):
            continue
        if forkserver and role != "worker":  # workers forked from it carry its command line too
            role = "fork server"
        roles.setdefault(role, []).append((rss, pss, private))
        stack += [(c, "worker" if role == "fork server" else "other") for c in children]
    return roles


def _watched(command: list[str], pages_of: Callable[[str], int], watch: Watch | None = None,
             db: Path | None = None) -> Run:
    """Run ``command`` to its end (or ``watch.stop_s``), sampling its process tree's memory and CPU every
    50 ms, and with ``watch`` each process's memory with the pages stored in ``db`` every ``watch.sample_s``."""
    watch = watch or Watch()
    started = time.perf_counter()
    # A session of its own: stopped early, the whole tree (fork server, workers) is killed with it.
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    # Both pipes read as they come: a long run's lines would fill a pipe and stop it.
    output: dict[str, str] = {}
    readers = [threading.Thread(target=lambda name=name, pipe=pipe: output.__setitem__(name, pipe.read()),
                                daemon=True) for name, pipe in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    peak = [0, 0, 0]
    cpu: dict[int, float] = {}
    samples, at_pages, stopped = [], {}, False
    marks = sorted(watch.marks)
    next_sample = 0.0
    pages = 0
    while proc.poll() is None:
        peak = [max(a, b) for a, b in zip(peak, tree_memory(proc.pid))]
        tree_cpu(proc.pid, cpu)
        now = time.perf_counter() - started
        if db is not None and now >= next_sample:
            next_sample = now + watch.sample_s
            pages = stored_pages(db) if db.exists() else None
            pages = pages if pages is not None else (samples[-1][1] if samples else 0)
            samples.append((now, pages, tree_roles(proc.pid)))
            while marks and pages >= marks[0]:
                at_pages[marks.pop(0)] = tuple(peak)
        if watch.stop_s is not None and now >= watch.stop_s:
            stopped = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    for reader in readers:
        reader.join()
    out, err = output.get("out", ""), output.get("err", "")
    parent_cpu = cpu.pop(proc.pid, 0.0)
    if stopped:
        return Run(elapsed, pages, *peak, parent_cpu, sum(cpu.values()), samples, at_pages, True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command[1:3])} failed:\n{out}\n{err}")
    pages = pages_of(out)
    for mark in marks:  # passed between the last sample and the end
        if pages >= mark:
            at_pages[mark] = tuple(peak)
    return Run(elapsed, pages, *peak, parent_cpu, sum(cpu.values()), samples, at_pages)


def trend_lines(label: str, run: Run) -> list[str]:
    """What ``run``'s samples say: at each mark, the peaks so far and each role's memory then; the slope of
    the tree's RSS and of its private memory over the second half of the pages (MiB per 1,000 pages)."""
    lines = []
    for mark, (pss, rss, largest) in sorted(run.at_pages.items()):
        sample = next((s for s in run.samples if s[1] >= mark), None)
        parts = ""
        if sample is not None:
            parts = "; then " + ", ".join(
                f"{role} {'+'.join(f'{r // 1024}' for r, _p, _q in sorted(procs))} RSS / "
                f"{'+'.join(f'{q // 1024}' for _r, _p, q in sorted(procs))} private"
                for role, procs in sorted(sample[2].items()))
        lines.append(f"{label}, up to {mark} pages: peak {mib(pss)} PSS / {mib(rss)} RSS summed over the tree, "
                     f"largest process {mib(largest)}{parts} (MiB)")
    late = [s for s in run.samples if s[1] >= run.pages / 2 and s[1] > 0]
    if len({s[1] for s in late}) >= 3:
        xs = [s[1] / 1000 for s in late]
        for what, index in (("RSS", 0), ("private memory", 2)):
            ys = [sum(p[index] for procs in s[2].values() for p in procs) / 1024 for s in late]
            slope = statistics.linear_regression(xs, ys).slope
            lines.append(f"{label}: tree {what} over pages {late[0][1]}-{late[-1][1]}: {min(ys):.0f}-{max(ys):.0f} "
                         f"MiB, slope {slope:+.1f} MiB per 1,000 pages ({len(late)} samples)")
    return lines


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-pages", default="100,500,2000,5000",
                        help="batch sizes for peak memory, comma-separated; above --pages, copies of that file")
    parser.add_argument("--memory-runs", choices=("one", "separate"), default="one",
                        help="one batch of the largest size per path, read at each size (default), or a batch "
                             "of each size")
    parser.add_argument("--memory-minutes", type=float, default=None,
                        help="stop each memory run after this many minutes (figures up to the pages stored)")
    parser.add_argument("--sample-seconds", type=float, default=5.0,
                        help="each process's memory and the pages stored, every so many seconds")
    parser.add_argument("--only", choices=("speed", "memory"), help="run one half (the other is skipped)")
    parser.add_argument("--paths", default=",".join(f"{label} {workers}" for label, workers, _r in MEMORY_PATHS),
                        help="the memory half's paths, comma-separated (default: all of them)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(load)} at start (shared with other work: "
          "absolute figures vary from run to run; compare the ratios, measured in this run)")
    commented = specimen(args.pages, 0.3)
    plain = specimen(args.pages, 0.0) if args.only != "memory" else None  # the memory half reads the commented one
    truth = [json.loads(line) for line in commented.with_suffix(".jsonl").read_text(encoding="utf-8").splitlines()]
    with_comments = sum(bool(t["comments"]) for t in truth)
    print(f"batch: {args.pages} pages, 200 dpi grey JPEG, office artefacts; the commented one has "
          f"{with_comments} of {len(truth)} sheets ({with_comments / len(truth):.0%}) with handwritten comments "
          f"({sum(len(t['comments']) for t in truth)} fields, each cropped and drafted by Tesseract)")
    if args.only != "memory":
        speed_figures(args, plain, commented)
    if args.only != "speed":
        memory_figures(args, commented)


def speed_figures(args, plain: Path, commented: Path) -> None:
    tiny = first_pages(plain, 2)
    starts = [run_scan(tiny, 2).seconds for _ in range(args.repeat)]
    print(f"start-up: a 2-page batch end to end (python start, imports, fork server, 2 workers, database): "
          f"median {statistics.median(starts):.2f} s (all: {', '.join(f'{t:.2f}' for t in starts)})", flush=True)
    measured = [decode_floor(plain, min(args.pages, 200)) for _ in range(args.repeat)]
    floors = [rate for rate, _ in measured]
    floor = statistics.median(floors)
    print(f"decode floor: median {floor:.1f} pages/s over {args.repeat} runs of 200 pages, one process "
          f"(all: {', '.join(f'{f:.1f}' for f in floors)}); CPU {statistics.median(ms for _, ms in measured):.1f} ms "
          f"a page", flush=True)
    jpeg_ms = statistics.median(jpeg_decode_cpu(plain, min(args.pages, 200)) for _ in range(args.repeat))
    print(f"of which the JPEG decode itself (cv2.imdecode of the extracted streams): {jpeg_ms:.1f} ms CPU a page; "
          f"the rest is the PDF walk and the page checks of omr.scan.ingest", flush=True)
    for label, pdf in (("no comments", plain), ("30 % commented", commented)):
        rates, cpu_ms = {}, {}
        for workers in (1, 2):
            runs = [run_scan(pdf, workers) for _ in range(args.repeat)]
            rates[workers] = statistics.median(r.rate for r in runs)
            print(f"{label}, workers={workers}: median {rates[workers]:.1f} pages/s over {args.repeat} runs "
                  f"(all: {', '.join(f'{r.rate:.1f}' for r in runs)}); peak memory {mib(max(r.peak_pss_kib for r in runs))} "
                  f"PSS / {mib(max(r.peak_rss_kib for r in runs))} RSS summed over the process tree, "
                  f"largest process {mib(max(r.peak_process_kib for r in runs))}", flush=True)
            parent_ms = statistics.median(1000 * r.parent_cpu_s / r.pages for r in runs)
            workers_ms = statistics.median(1000 * r.others_cpu_s / r.pages for r in runs)
            cpu_ms[workers] = parent_ms + workers_ms
            print(f"{label}, workers={workers}: CPU per page {parent_ms:.1f} ms in the parent, {workers_ms:.1f} ms in "
                  f"the workers and fork server (medians; CPU time does not depend much on the machine's load: "
                  f"on an idle machine {workers} worker(s) would give about "
                  f"{1000 / max(parent_ms, workers_ms / min(workers, os.cpu_count() or 1)):.0f} pages/s)", flush=True)
        cores = os.cpu_count() or 1
        busy = rates[1] * cpu_ms[1] / 1000
        print(f"{label}: 1 worker keeps {busy:.2f} cores busy (the parent storing and OpenCV's own threads beside "
              f"the worker); 2 workers at {cpu_ms[2]:.1f} ms CPU a page can give at most {1000 * cores / cpu_ms[2]:.1f} "
              f"pages/s on {cores} cores = {1000 * cores / cpu_ms[2] / rates[1]:.2f}x one worker "
              f"(the ceiling of the ratio below; bench/scaling.py: what two processes give)")
        print(f"{label}: 2 workers / 1 worker = {rates[2] / rates[1]:.2f}x; "
              f"1 worker = {rates[1] / floor:.2f} of the decode floor (decode floor / 1 worker = "
              f"{floor / rates[1]:.2f}x)")


# The paths of issue #18 whose memory must stay flat: `omr scan` at 1 and 2 workers, and the web app
# reading an upload (its default: 1 worker, `omr review serve --workers`).
MEMORY_PATHS = (("omr scan", 1, run_scan), ("omr scan", 2, run_scan), ("web upload", 1, run_upload),
                ("web upload", 2, run_upload))  # --paths: "omr scan 2", "web upload", ...


def memory_figures(args, commented: Path) -> None:
    sizes = sorted(int(s) for s in args.memory_pages.split(",") if s.strip())
    wanted = {name.strip() for name in args.paths.split(",")}
    stop_s = args.memory_minutes * 60 if args.memory_minutes else None
    for label, workers, run_one in (path for path in MEMORY_PATHS if f"{path[0]} {path[1]}" in wanted
                                    or path[0] in wanted):
        name = f"peak memory, {label}, workers={workers}"
        reached: dict[int, tuple[int, int, int]] = {}  # pages -> the tree's peaks up to them
        # "one": a single batch of the largest size, its peaks read as the stored pages pass each size (the
        # smaller sizes' figures then lack only their own end: the last comments' drafting).
        for size in (sizes[-1:] if args.memory_runs == "one" else sizes):
            if size < args.pages:
                target = first_pages(commented, size)
            elif size == args.pages:
                target = commented
            else:
                target = copies(commented, -(-size // args.pages))
            marks = tuple(m for m in sizes if m <= size) if args.memory_runs == "one" else (size,)
            run = run_one(target, workers, Watch(args.sample_seconds, marks, stop_s))
            ended = (f"stopped after {args.memory_minutes:g} min at {run.pages} pages stored"
                     f" ({', '.join(str(m) for m in marks if m not in run.at_pages) or 'no size'} not reached)"
                     if run.stopped else f"{run.pages} pages")
            print(f"{name}, 30 % commented, batch of {size}, {ended}: {mib(run.peak_pss_kib)} PSS / "
                  f"{mib(run.peak_rss_kib)} RSS summed over the process tree, largest process "
                  f"{mib(run.peak_process_kib)} ({run.rate:.2f} pages/s; CPU a page "
                  f"{1000 * run.parent_cpu_s / max(run.pages, 1):.1f} ms in the parent, "
                  f"{1000 * run.others_cpu_s / max(run.pages, 1):.1f} ms in the workers)", flush=True)
            for line in trend_lines(name, run):
                print(line, flush=True)
            reached.update(run.at_pages)
            kept = OUT / f"memory-{label.replace(' ', '-')}-w{workers}-{size}.json"
            kept.write_text(json.dumps({"pages": run.pages, "stopped": run.stopped, "samples": run.samples}))
            print(f"{name}: every sample (seconds, pages stored, role -> [[RSS, PSS, private] KiB]) in {kept}")
        if len(reached) >= 2:
            sizes_in = sorted(reached)
            print(f"{name}: tree PSS / RSS peaks at " + ", ".join(
                f"{n} pages {mib(reached[n][0])} / {mib(reached[n][1])}" for n in sizes_in)
                  + f"; {sizes_in[-1]} / {sizes_in[0]} pages = {reached[sizes_in[-1]][0] / reached[sizes_in[0]][0]:.2f} "
                  f"(PSS), {reached[sizes_in[-1]][1] / reached[sizes_in[0]][1]:.2f} (RSS), "
                  f"{reached[sizes_in[-1]][2] / reached[sizes_in[0]][2]:.2f} (largest process)", flush=True)


if __name__ == "__main__":
    main()
