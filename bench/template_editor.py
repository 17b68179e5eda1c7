"""What the admin waits for in the template editor (issue #16): reading a blank, trying a filled scan.

For each office blank of ``tests/data/office-blanks/`` (LibreOffice to PDF once): ``from_blank`` on
the PDF as uploaded (the editor's "Đọc phiếu trắng"), and ``try_scan`` on a filled, photocopied copy of
page 1 at 200 dpi (tests/office_fill.py; "Đọc thử"), each run ``--runs`` times; prints the median
seconds per page and per try, with the machine's load average (figures are only comparable in one run).

    .venv/bin/python bench/template_editor.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
import blank_sources  # noqa: E402
import office_fill  # noqa: E402

from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.template import load_template  # noqa: E402
from omr.template_from.blank import from_blank  # noqa: E402
from omr.web.template_drafts import try_scan  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="omr-bench-editor-"))
    try:
        pdfs = blank_sources.office_pdfs(work)
        if not pdfs:
            sys.exit("LibreOffice (soffice) is needed to turn the office blanks into PDFs")
        print(f"load average at start: {os.getloadavg()[0]:.1f}")
        print(f"{'blank':28} {'pages':>5} {'read s/page':>12} {'try s':>7}")
        per_page_all, tries_all = [], []
        for pdf in pdfs:
            pages = blank_sources.page_count(pdf)
            reads = []
            for run in range(args.runs):
                out = work / f"run{run}" / f"{pdf.stem}.yaml"
                start = time.perf_counter()
                from_blank(pdf, out)
                reads.append((time.perf_counter() - start) / pages)
            template = out
            layout = resolve_layout(load_template(template), freeze=False)
            grey, ppm = blank_sources.render_pdf(pdf, 200)[0]
            filled, _, _ = office_fill.fill(grey, ppm, office_fill.template_boxes(template), 1, seed=1)
            tries = []
            for run in range(args.runs):
                scan = work / f"filled-{run}.png"
                cv2.imwrite(str(scan), filled)
                start = time.perf_counter()
                try_scan(scan, scan.name, layout, work / f"try-{run}")
                tries.append(time.perf_counter() - start)
            per_page_all += reads
            tries_all += tries
            print(f"{pdf.stem:28} {pages:5d} {statistics.median(reads):12.2f} {statistics.median(tries):7.2f}")
        print(f"{'all (median)':28} {'':5} {statistics.median(per_page_all):12.2f} {statistics.median(tries_all):7.2f}")
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
