"""Another scan of the same sheet against another respondent's sheet: the ink print similarity (#16).

For each office blank of tests/data/office-blanks (LibreOffice -> PDF -> ``omr template from-blank``), a
number of sheets are filled with crosses (tests/office_fill.py) and photocopied; each sheet is then
"rescanned" (the same filled paper photocopied again: another turn, scale and noise), and another
respondent fills a sheet with exactly the same answers (the same pen cross, placed differently). Every
page is read by the scan pipeline and the ink prints compared (:func:`omr.scan.duplicates.print_similarity`).
Prints the range of both, against ``tuning.DUP_MIN_SIMILARITY``.

    .venv/bin/python bench/duplicates.py [--sheets 4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import blank_sources  # noqa: E402
import office_fill  # noqa: E402

from omr import tuning as T  # noqa: E402
from omr.scan.duplicates import print_similarity  # noqa: E402
from omr.scan.ingest import RawPage  # noqa: E402
from omr.scan.page import Catalogue, process_page  # noqa: E402
from omr.template_from.blank import from_blank  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=4)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="omr-dup-"))
    pdfs = {p.stem: p for p in blank_sources.office_pdfs(folder)}
    if not pdfs:
        sys.exit("LibreOffice is needed to turn the office blanks into PDF")
    templates = folder / "templates"
    rescans, others = [], []
    for name in ("two-pages", "checkboxes-portrait", "grid-and-cells"):
        from_blank(pdfs[name], templates / f"{name}.yaml")
        boxes = office_fill.template_boxes(templates / f"{name}.yaml")
        grey, ppm = blank_sources.render_pdf(pdfs[name], 200)[0]
        catalogue = Catalogue.from_folder(templates)
        questions = sorted({b[3] for b in boxes if b[0] == 1})

        def read(image):
            return process_page(RawPage("x.png", 0, image), catalogue).ink_print

        for sheet in range(args.sheets):
            seed = 1000 + sheet
            image, truth, _ = office_fill.fill(grey, ppm, boxes, 1, seed)
            again, _, _ = office_fill.fill(grey, ppm, boxes, 1, seed, scan_seed=7)
            same = {q: truth.get(q) for q in questions}
            other, _, _ = office_fill.fill(grey, ppm, boxes, 1, seed + 500, answers=same)
            first = read(image)
            rescans.append((name, print_similarity(first, read(again))))
            others.append((name, print_similarity(first, read(other))))
        print(name, "rescan", [round(s, 2) for n, s in rescans if n == name and s is not None],
              "other respondent", [round(s, 2) for n, s in others if n == name and s is not None], flush=True)
    r = [s for _, s in rescans if s is not None]
    o = [s for _, s in others if s is not None]
    print(f"rescans {min(r):.2f}-{max(r):.2f} ({len(r)} pairs); other respondents {min(o):.2f}-{max(o):.2f} "
          f"({len(o)} pairs); threshold {T.DUP_MIN_SIMILARITY}")


if __name__ == "__main__":
    main()
