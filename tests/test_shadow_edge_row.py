"""A phone photo's shadow edge running through a row of printed circled digits ① ② ③ ④ on a Word answer
sheet (``marks: fill``): an empty circle in the shade is never stored as the answer.

Written (branch helse2) after bench/hunt/elsewhere.py --kind photo --seed 12, office
lettered-comb-landscape/1 Q7 (truth blank, read '4'; that page is still so: its ④ in the shade measures 1.0).
What this generator found (seed 1) is the dark copy's own fault: a bold ④ on the dark photocopy measures
0.71-0.79 empty, and one at 0.79 (fill share 0.88) counted as a solid fill by its darkness was stored as the
answer; now such a bubble, within ``BUBBLE_PEER_STEP`` of its option's unmarked print, is unsure
(``omr.scan.bubbles.print_dark_as_fill``, branch hsmall). The blank is the office one of
tests/data/office-blanks, filled here (a pen fill in one circle of most rows), then shadowed along an edge
through an empty circle, at several angles and strengths.
"""

from __future__ import annotations

import blank_sources
import cv2
import numpy as np
import office_fill
import pytest

from omr.scan.ingest import PageLoader
from omr.scan.page import Catalogue, process_page
from omr.template_from.blank import from_blank

STEM = "lettered-comb-landscape"
DPI = 200


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    """(catalogue, grey page with fills, px per mm, truth {question: code or ""}, blank rows' third circles
    (x, y, w, h) mm)."""
    blank_sources.soffice()
    root = tmp_path_factory.mktemp("shadow-row")
    [pdf] = [p for p in blank_sources.office_pdfs(root / "pdf") if p.stem == STEM]
    folder = root / STEM
    yaml = folder / f"{STEM}.yaml"
    from_blank(pdf, yaml)
    [(grey, ppm)] = blank_sources.render_pdf(pdf, DPI)
    grey = grey.copy()
    rng = np.random.default_rng(7)
    by_question: dict[str, list] = {}
    for page_no, _n, rect, qid, code, _type in office_fill.template_boxes(yaml):
        if page_no == 1:
            by_question.setdefault(qid, []).append((code, rect))
    truth, rows = {}, []
    for q, boxes in sorted(by_question.items()):
        boxes.sort(key=lambda b: b[1][0])
        chosen = None if (len(boxes) == 4 and rng.random() < 0.5) else int(rng.integers(len(boxes)))
        truth[q] = "" if chosen is None else boxes[chosen][0]
        if chosen is not None:
            x, y, w, h = boxes[chosen][1]
            cv2.ellipse(grey, (int((x + w / 2) * ppm), int((y + h / 2) * ppm)),
                        (int(w / 2 * 0.95 * ppm), int(h / 2 * 0.95 * ppm)), 0, 0, 360, 30, -1, cv2.LINE_AA)
        elif len(boxes) == 4:
            rows.append(boxes[2][1])
    return Catalogue.from_folder(folder), grey, ppm, truth, rows


def _shadowed(grey: np.ndarray, through: tuple[float, float], angle: float, strength: float,
              soft_mm: float, rng) -> np.ndarray:
    """``grey`` with the light taken by ``strength`` beyond a straight edge through ``through`` (px), its
    normal at ``angle`` (radians), softened over ``soft_mm`` (as omr.forms.simulate.cast_shadow draws it),
    then photocopied dark (office_fill.photocopy) and photographed (blur, JPEG)."""
    h, w = grey.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    distance = (xs - through[0]) * np.cos(angle) + (ys - through[1]) * np.sin(angle)
    inside = np.clip(0.5 + distance / (soft_mm * DPI / 25.4), 0, 1)
    shaded = np.clip(grey.astype(np.float32) * (1.0 - strength * inside), 0, 255).astype(np.uint8)
    out = cv2.GaussianBlur(office_fill.photocopy(shaded, rng), (0, 0), rng.uniform(0.6, 1.1))
    ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 86))])
    return cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_empty_circled_digit_in_a_shadow_edge_is_never_stored_as_the_answer(form, tmp_path, seed):
    catalogue, grey, ppm, truth, rows = form
    rng = np.random.default_rng(seed)
    loader = PageLoader()
    wrong = []
    for k in range(3):
        x, y, w, h = rows[int(rng.integers(len(rows)))]
        # The edge runs up to the right, 20-35 degrees off the row, past the lower right of a blank row's
        # third circle: that circle lit inside, the fourth in the shade (the hunt's Q7).
        through = ((x + w * rng.uniform(0.7, 1.0)) * ppm, (y + h * rng.uniform(0.7, 1.0)) * ppm)
        angle = np.radians(90.0 - rng.uniform(20.0, 35.0))
        image = _shadowed(grey, through, angle, rng.uniform(0.4, 0.55), rng.uniform(0.5, 2.0), rng)
        path = tmp_path / f"shadow-{k}.png"
        cv2.imwrite(str(path), image)
        result = process_page(loader.load(path, 0), catalogue)
        assert result.set_aside is None
        for q in result.questions:
            if q.question in truth and q.status in ("ok", "blank") and (q.value or "") != truth[q.question]:
                wrong.append((k, q.question, truth[q.question], q.value))
    loader.close()
    assert not wrong, f"empty circles in a shadow stored as answers: {wrong}"
