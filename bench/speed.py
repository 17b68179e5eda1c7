#!/usr/bin/env python3
"""Speed benchmark: a 200 dpi grey PDF end to end into the database with `omr scan`.

    .venv/bin/python bench/speed.py [--pages 500] [--repeat 3]

Runs `omr scan` as a user would (a fresh SQLite database each run) with 1 and
2 workers, and prints the median pages/s over the repeats and the peak
resident memory of the whole process tree. It also scans a 100-page PDF, so
that peak memory at 100 and 500 pages can be compared: it must not grow with
the batch. Comments are written on 30 % of the sheets, and every written one is
cropped and drafted by Tesseract during the scan. Targets: >= 40 pages/s with 2
workers on a 2-core machine (issue #3, before comments were read); >= 25 pages/s
with comments on 30 % of sheets (issue #4).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.simulate import PROFILES, simulate_batch  # noqa: E402
from omr.forms.template import load_template  # noqa: E402

OUT = ROOT / "bench" / "out"
# Office scanner artefacts, but every page grey (JPEG) as the issue asks, and no batch accidents.
GREY_OFFICE = dataclasses.replace(PROFILES["office"], binarize_prob=0.0, batch_accidents=False)


def specimen(pages: int) -> Path:
    path = OUT / f"speed-{pages}.pdf"
    if not path.exists():
        template = load_template(ROOT / "form_templates" / "motcua-2026.yaml")
        layout = resolve_layout(template)
        simulate_batch(template, layout, path, OUT / f"speed-{pages}.jsonl", count=pages // len(layout.pages),
                       seed=pages, dpi=200, profile=GREY_OFFICE)
    return path


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (KiB)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
            with open(f"/proc/{p}/task/{p}/children") as fh:
                stack += [int(c) for c in fh.read().split()]
        except (OSError, StopIteration):
            continue
    return total


def run_scan(pdf: Path, workers: int) -> tuple[float, int]:
    db = OUT / "speed.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "omr", "scan", str(pdf), "--db", str(db), "--batch", "speed",
                             "--workers", str(workers)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kib(proc.pid))
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"omr scan failed:\n{out}\n{err}")
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    big, small = specimen(args.pages), specimen(100)
    truth = [json.loads(line) for line in (OUT / f"speed-{args.pages}.jsonl").read_text(encoding="utf-8").splitlines()]
    commented = sum(bool(t["comments"]) for t in truth)
    fields = sum(len(t["comments"]) for t in truth)
    print(f"machine: {os.cpu_count()} cores; batch: {args.pages} pages, 200 dpi grey JPEG, office artefacts; "
          f"{commented} of {len(truth)} sheets ({commented / len(truth):.0%}) with handwritten comments "
          f"({fields} fields, each cropped and read by Tesseract)")
    rates = {}
    for workers in (1, 2):
        runs = [run_scan(big, workers) for _ in range(args.repeat)]
        rates[workers] = statistics.median(args.pages / t for t, _ in runs)
        print(f"workers={workers}: median {rates[workers]:.1f} pages/s over {args.repeat} runs "
              f"(all: {', '.join(f'{args.pages / t:.1f}' for t, _ in runs)}); "
              f"peak RSS {max(p for _, p in runs) / 1024:.0f} MiB")
    print(f"speed-up 2 vs 1 worker: {rates[2] / rates[1]:.2f}x")
    _, peak_small = run_scan(small, 2)
    _, peak_big = run_scan(big, 2)
    print(f"peak RSS with 2 workers: {peak_small / 1024:.0f} MiB at 100 pages, {peak_big / 1024:.0f} MiB at "
          f"{args.pages} pages (ratio {peak_big / peak_small:.2f})")


if __name__ == "__main__":
    main()
