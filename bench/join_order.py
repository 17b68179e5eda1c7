#!/usr/bin/env python3
"""What storing pages in batch order costs a scan (issue #16, item 5): figures printed in one run.

    .venv/bin/python bench/join_order.py [--pages 200] [--repeat 3] [--workers 2]

When the template folder holds a multi-page form joined by page order (a
pinned template's ``join: page_order``, the default), ``omr scan`` hands
pages to the store in batch order, whatever order the workers finish them in
(omr.scan.batch._InOrder): a page read early waits for the pages before it.
This runs ``omr scan`` on the grey office specimen of bench/speed.py (omr's
own form) with the shipped templates, and with the same templates plus a
two-page pinned form (which turns the ordering on), alternately, and prints
the median pages/s of each and their ratio. The machine is shared: compare
the ratio, measured in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import speed  # noqa: E402  (bench/speed.py: the specimen)

OUT = ROOT / "bench" / "out"


def templates_with_two_page_form() -> tuple[Path, Path]:
    """(shipped templates, shipped templates + a two-page pinned form), copied under bench/out."""
    plain, joined = OUT / "join-templates-plain", OUT / "join-templates-joined"
    for folder in (plain, joined):
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(ROOT / "form_templates", folder, ignore=shutil.ignore_patterns("*.png.tmp"))
    refs = joined / "hai-trang"
    refs.mkdir()
    for page in (1, 2):  # a printed blank: a title bar and a column of boxes (never matched by omr's pages)
        image = np.full((1188, 840), 255, np.uint8)
        cv2.rectangle(image, (80, 60), (760, 120), 0, 3)
        for row in range(6):
            cv2.rectangle(image, (100 + 40 * page, 200 + 120 * row), (140 + 40 * page, 240 + 120 * row), 0, 2)
        cv2.imwrite(str(refs / f"page-{page}.png"), image)
    boxes = {page: {n + 6 * (page - 1): [25.0 + 10 * page, 50.0 + 30 * row, 10.0, 10.0]
                    for n, row in enumerate(range(6), start=1)} for page in (1, 2)}
    lines = ["form: hai-trang", "version: 1", "title: Phiếu hai trang", "max_pages: 2", "join: page_order",
             "pinned:", "  pages:"]
    for page in (1, 2):
        lines += [f"    - page: {page}", f"      reference: hai-trang/page-{page}.png", "      width: 210",
                  "      height: 297", "      boxes: {" + ", ".join(f"{k}: {v}" for k, v in boxes[page].items()) + "}"]
    lines += ["groups:", "  - id: A", "    title: Câu hỏi", "    questions:"]
    for n in range(1, 13):
        option = f"{{code: '1', label: Có, box: {n}}}"
        lines.append(f"      - {{id: Q{n}, text: Câu {n}, type: multiple, options: [{option}]}}")
    (joined / "hai-trang.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return plain, joined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    pdf = speed.specimen(args.pages, 0.0)
    plain, joined = templates_with_two_page_form()
    rates: dict[str, list[float]] = {"plain": [], "in_order": []}
    for _ in range(args.repeat):
        for name, folder in (("plain", plain), ("in_order", joined)):
            rates[name].append(run_scan(pdf, args.workers, folder))
    plain_rate, ordered_rate = (statistics.median(rates[k]) for k in ("plain", "in_order"))
    print(f"specimen: {pdf.name}, {args.workers} workers, {args.repeat} runs each, alternating")
    for name in ("plain", "in_order"):
        print(f"  {name:9s} median {statistics.median(rates[name]):6.1f} pages/s  "
              f"(runs: {', '.join(f'{r:.1f}' for r in rates[name])})")
    print(f"  ratio in_order / plain: {ordered_rate / plain_rate:.3f}")


def run_scan(pdf: Path, workers: int, templates: Path) -> float:
    """Pages/s of `omr scan` as a user runs it (a fresh SQLite database), with a template folder."""
    db = OUT / "join-order.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "omr", "scan", str(pdf), "--db", str(db), "--batch", "bench",
                           "--workers", str(workers), "--templates", str(templates)], cwd=ROOT,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"omr scan failed:\n{done.stdout}\n{done.stderr}")
    pages = sum(int(line.split(":")[1].split()[0]) for line in done.stdout.splitlines()
                if line.startswith("Số trang trong các tệp:"))
    return pages / elapsed


if __name__ == "__main__":
    main()
