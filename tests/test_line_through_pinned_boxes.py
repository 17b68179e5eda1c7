"""A level pen line through a box of a form designed elsewhere goes to review, never a confident mark.

Templates made by ``omr template from-blank`` from the office blanks (tests/blank_sources.py); filled copies
photocopied (tests/office_fill.py). A respondent's pen line ruled along a row of a vertical list, 3-8 mm past
both sides of the row's only box, read as that box's answer, ok (bench/hunt/elsewhere.py stray, seed 12,
office checkboxes-portrait/1 Q4: the line-through-box rules ran on omr's own form only).
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import blank_sources  # noqa: E402
import office_fill  # noqa: E402

from omr.model import BLANK, NEEDS_REVIEW, OK  # noqa: E402


@pytest.fixture(scope="module")
def portrait(tmp_path_factory):
    from omr.scan.page import Catalogue
    from omr.template_from.blank import from_blank

    folder = tmp_path_factory.mktemp("office-lines")
    pdf = next(p for p in blank_sources.office_pdfs(folder) if p.stem == "checkboxes-portrait")
    templates = folder / pdf.stem
    from_blank(pdf, templates / f"{pdf.stem}.yaml")
    grey, ppm = blank_sources.render_pdf(pdf, 200)[0]
    return grey, ppm, office_fill.template_boxes(templates / f"{pdf.stem}.yaml"), Catalogue.from_folder(templates), \
        folder


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_level_pen_line_through_a_blank_rows_box_goes_to_review(portrait, seed):
    from omr.scan.ingest import PageLoader
    from omr.scan.page import process_page

    grey, ppm, boxes, catalogue, folder = portrait
    rng = np.random.default_rng([seed, 12])
    page1 = [b for b in boxes if b[0] == 1]
    questions = sorted({b[3] for b in page1})
    target = questions[int(rng.integers(len(questions)))]
    _, _, (x, y, w, h), _, code, _ = [b for b in page1 if b[3] == target][int(rng.integers(2))]
    lined = grey.copy()
    x0, x1 = x - rng.uniform(3, 8), x + w + rng.uniform(3, 5)
    y0 = y + h * rng.uniform(0.25, 0.75)
    y1 = y0 + rng.uniform(-0.03, 0.03) * (x1 - x0)
    pen = max(1, int(round(rng.uniform(0.25, 0.45) * ppm)))
    cv2.line(lined, (int(x0 * ppm), int(y0 * ppm)), (int(x1 * ppm), int(y1 * ppm)), 30, pen, cv2.LINE_AA)
    image, truth, _ = office_fill.fill(lined, ppm, boxes, 1, seed, answers={target: None})
    path = folder / f"line-{seed}.png"
    cv2.imwrite(str(path), image)
    result = process_page(PageLoader().load(path, 0), catalogue)
    assert result.set_aside is None, result.detail
    reads = {q.question: q for q in result.questions}
    assert reads[target].status in NEEDS_REVIEW, (target, code, reads[target], result.detail)
    wrong = []
    for qid, answer in truth.items():
        q = reads[qid]
        value = q.value[0] if isinstance(q.value, list) and len(q.value) == 1 else q.value
        if q.status == OK and value != answer or q.status == BLANK and answer is not None:
            wrong.append((qid, answer, q.value, q.status))
    assert not wrong, f"silent errors: {wrong}"
