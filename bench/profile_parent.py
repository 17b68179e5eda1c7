#!/usr/bin/env python3
"""CPU of the `omr scan` parent process per page: handing pages out, storing them, drafting (issue #18).

    .venv/bin/python bench/profile_parent.py PDF [--workers 2] [--cprofile 25] [--db sqlite:///...]

Runs :func:`omr.scan.batch.run_scan` on ``PDF`` in this process (a fresh SQLite
database in a temporary folder unless ``--db``), as ``omr scan`` does, and
prints this process's CPU milliseconds per page (``time.process_time``: the
workers are other processes and do not count; another engineer's load hardly
moves it), split into the marks (reading handed out, pages stored) and the
comments' drafting pass, and with ``--cprofile N`` cProfile's top N functions
of this process (timed in CPU). The workers' CPU is in bench/profile_page.py and bench/speed.py.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from omr.data.store import Store, open_store  # noqa: E402
from omr.scan.batch import run_scan  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cprofile", type=int, default=0, metavar="N")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(args.db or f"sqlite:///{Path(folder) / 'omr.sqlite'}")
        marks_cpu: list[float] = []
        real_draft = Store.draft_pending

        def timed_draft(self, **options):
            marks_cpu.append(time.process_time() - started)  # the marks are in: the drafting pass begins
            return real_draft(self, **options)

        Store.draft_pending = timed_draft
        profiler = cProfile.Profile(time.process_time) if args.cprofile else None  # CPU, not wall
        started = time.process_time()
        if profiler:
            profiler.enable()
        report = run_scan([str(args.pdf)], store, "profile", workers=args.workers,
                          template_dir=str(ROOT / "form_templates"))
        if profiler:
            profiler.disable()
        total = time.process_time() - started
        store.close()
    pages = report.pages_seen
    marks = marks_cpu[0] if marks_cpu else total
    print(f"{args.pdf.name}: {pages} pages, {args.workers} worker(s); {report.comments_inked} written comments, "
          f"{report.comments_drafted} drafted")
    print(f"parent CPU per page: {1000 * total / pages:.2f} ms in all; marks (hand out, store) "
          f"{1000 * marks / pages:.2f} ms; drafting pass {1000 * (total - marks) / pages:.2f} ms")
    if profiler:
        for order in ("tottime", "cumulative"):
            pstats.Stats(profiler).sort_stats(order).print_stats(args.cprofile)


if __name__ == "__main__":
    main()
