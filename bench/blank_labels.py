"""Option labels and titles read from the office blanks, against what is printed (issue #16, items 1-3).

Inputs: the LibreOffice documents of ``tests/data/office-blanks/`` converted to PDF (see
``tests/blank_sources.py``); the truth is each document's ``.truth.json`` (``labels`` per question
with options, ``title``), written by ``make_blanks.py`` from the very strings it types.

Two paths, as ``omr template from-blank`` takes them:
- ``pdf``: the PDF's own text layer (``omr.template_from.printed.read_pdf_words``), where the code has it;
- ``ocr``: the page rendered at 200 dpi and read with Tesseract ``vie`` (a blank saved as an image);
- ``scan`` (with ``--scan``): the page rendered at 150, 200 and 300 dpi and scanned
  (``tests/blank_sources.scanned``: blur, grey paper, noise), read with Tesseract (a scanned blank).

Prints, per blank and path: option labels exactly right / options, titles right, and the total share.
Run it on two checkouts to compare (``PYTHONPATH=<checkout>``); a checkout without a text-layer reader
reports its OCR figures for the ``pdf`` path too, as ``from_blank`` then did.

    .venv/bin/python bench/blank_labels.py [--scan]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import blank_sources  # noqa: E402

from omr.template_from import blank as blank_module  # noqa: E402

try:
    from omr.template_from.printed import read_pdf_words
except ImportError:  # an older checkout: OCR only
    read_pdf_words = None


def labels_right(questions, truth: list[list[str]]) -> tuple[int, int]:
    """(option labels exactly as printed, options printed): questions with options in order, comb fields skipped."""
    found = [q.labels for q in questions if not q.comb]
    right = sum(a == b for f, t in zip(found, truth) for a, b in zip(f, t) if len(f) == len(t))
    return right, sum(len(t) for t in truth)


def main() -> None:
    folder = Path(tempfile.gettempdir()) / "omr-blank-sources"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [("pdf", 200), ("ocr", 200)]
    if "--scan" in sys.argv[1:]:
        paths += [("scan", 150), ("scan", 200), ("scan", 300)]
    totals = {name: [0, 0, 0, 0] for name, _ in paths}
    for pdf in blank_sources.office_pdfs(folder):
        truth = json.loads((blank_sources.OFFICE_DIR / f"{pdf.stem}.truth.json").read_text(encoding="utf-8"))
        for path, dpi in paths:
            right = total = 0
            title = ""
            for number, (grey, ppm) in enumerate(blank_sources.render_pdf(pdf, dpi), start=1):
                if path == "scan":
                    grey = blank_sources.scanned(grey)
                words = None
                if path == "pdf" and read_pdf_words is not None:
                    words = read_pdf_words(pdf, number - 1)
                page = (blank_module.detect_page(grey, ppm, words=words) if words is not None
                        else blank_module.detect_page(grey, ppm))
                if number == 1:
                    try:
                        title = blank_module._title_of(page.words, page.found)
                    except TypeError:  # an older checkout
                        title = blank_module._title_of(page.words)
                r, t = labels_right(page.questions, truth["pages"][str(number)]["labels"])
                right, total = right + r, total + t
            title_ok = title == truth["title"]
            totals[path] = [a + b for a, b in zip(totals[path], [right, total, title_ok, 1])]
            print(f"{pdf.stem:26s} {path} {dpi}: labels {right}/{total}  title {'right' if title_ok else repr(title)}")
    for path, (right, total, titles, blanks) in totals.items():
        print(f"ALL {path}: labels {right}/{total} = {100 * right / max(1, total):.0f} %, titles {titles}/{blanks}")


if __name__ == "__main__":
    main()
