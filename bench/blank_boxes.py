"""Boxes found on blank forms, against where they truly are (issue #16, item 1).

Inputs, each with its truth:
- omr's own printed blank (``form_templates/motcua-2026.yaml``), rendered at 150, 200 and 300 dpi:
  the truth is the frozen layout's checkboxes (mm) and their questions;
- the office-made blanks of ``tests/data/office-blanks/`` (LibreOffice documents with ☐ and ○,
  table cells, dotted leaders, lettered bubbles, comb fields, landscape, two pages), converted to PDF
  with ``libreoffice --headless``: the truth is each box character's position in the PDF's text layer
  (pdfium) and, for drawn boxes (table cells), the document's own list in ``truth.json``;
- OMRChecker's blank ``sample6/reference.png`` (real scan, ../shared): the truth is its template's bubbles.

Prints, per page: truth boxes, found, matched (recall %), false boxes, and questions right
(boxes grouped exactly as the truth groups them), for the old detector and the new one.

    .venv/bin/python bench/blank_boxes.py [--only omr|office|serif-scan|office-scan|date-grid|styles|omrchecker]
        [--dpi 150 200 300] [--layer]

``serif-scan``: the Times New Roman office blanks printed and scanned at 200 dpi (tests/blank_sources.py);
``office-scan``: every office blank printed and scanned at each ``--dpi`` (asked for by name only).
``date-grid``: a Word blank with a bold title and a vertical day/month digit grid, box beside or against
its digit (tests/blank_sources.py word_date_grid_blank), rendered and scanned (asked for by name only).
``styles``: held-out office blanks in styles the others lack (tests/data/office-blanks-styles: ``-a`` tuned
on, ``-b`` reported on), asked for by name only.
``--layer``: words from a PDF's text layer where the page has one (``omr template from-blank`` on a PDF).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "tests"))
import blank_sources as truth_sources  # noqa: E402

from omr.template_from.blank import detect_page  # noqa: E402


def score(found, truth, tolerance_mm: float = 1.6) -> tuple[int, int, dict]:
    """(matched truth boxes, false found boxes, truth index -> found index)."""
    pairs = {}
    used = set()
    for ti, t in enumerate(truth):
        tx, ty = t[0] + t[2] / 2, t[1] + t[3] / 2
        best, best_d = None, max(tolerance_mm, 0.5 * min(t[2], t[3]))
        for fi, f in enumerate(found):
            if fi in used:
                continue
            d = float(np.hypot(f.centre[0] - tx, f.centre[1] - ty))
            if d < best_d:
                best, best_d = fi, d
        if best is not None:
            pairs[ti] = best
            used.add(best)
    return len(pairs), len(found) - len(used), pairs


def questions_right(groups_found: list[list[int]], truth_questions: list[str], pairs: dict) -> tuple[int, int]:
    """Truth questions whose boxes are exactly one found group."""
    by_question: dict[str, set[int]] = {}
    for ti, q in enumerate(truth_questions):
        by_question.setdefault(q, set()).add(ti)
    found_to_truth = {fi: ti for ti, fi in pairs.items()}
    groups_as_truth = [{found_to_truth.get(fi, -1 - fi) for fi in g} for g in groups_found]
    right = sum(1 for members in by_question.values() if members in groups_as_truth)
    return right, len(by_question)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["omr", "office", "serif-scan", "office-scan", "date-grid", "styles", "omrchecker"])
    parser.add_argument("--dpi", type=int, nargs="*", default=[150, 200, 300])
    parser.add_argument("--layer", action="store_true",
                        help="read a PDF's words from its text layer, as omr template from-blank does (else OCR)")
    args = parser.parse_args()
    try:
        from omr.template_from.printed import read_pdf_words
    except ImportError:  # an older checkout: OCR only
        read_pdf_words = None
    totals = {"truth": 0, "matched": 0, "false": 0, "pages": 0, "q_right": 0, "q_all": 0}
    print(f"{'input':48s} {'truth':>5s} {'found':>5s} {'recall%':>7s} {'false':>5s} {'q right':>9s} {'cpu s':>5s}")
    for name, grey, px_per_mm, truth, truth_q, source in truth_sources.pages(args.only, args.dpi, with_pdf=True):
        start = time.process_time()
        words = read_pdf_words(*source) if args.layer and source and read_pdf_words else None
        page = detect_page(grey, px_per_mm, words=words) if words is not None else detect_page(grey, px_per_mm)
        seconds = time.process_time() - start
        boxes = [f for f in page.found if f.kind != "frame"]
        matched, false, pairs = score(boxes, truth)
        groups = page.groups or []
        qr, qa = questions_right(groups, truth_q, pairs) if truth_q else (0, 0)
        totals["truth"] += len(truth)
        totals["matched"] += matched
        totals["false"] += false
        totals["pages"] += 1
        totals["q_right"] += qr
        totals["q_all"] += qa
        print(f"{name:48s} {len(truth):5d} {len(boxes):5d} {100 * matched / max(1, len(truth)):7.1f} {false:5d} "
              f"{qr:4d}/{qa:<4d} {seconds:5.1f}")
    print(f"{'all':48s} {totals['truth']:5d} {'':5s} {100 * totals['matched'] / max(1, totals['truth']):7.1f} "
          f"{totals['false'] / max(1, totals['pages']):5.2f}/page {totals['q_right']}/{totals['q_all']}")


if __name__ == "__main__":
    main()
