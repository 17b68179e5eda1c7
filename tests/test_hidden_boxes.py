"""Boxes of omr's own form hidden by something opaque go to review, never blank-ok (hhidden).

A sticky note, a torn-off corner (white or the scanner's black lid behind it), a glare spot on a
phone photo or a stamp image painted over the page hides the boxes' printed outlines with the
respondent's marks: measuring their insides reads paper. Each is drawn here over answered questions
of page 1 (at 200 and 300 dpi, office scanning in grey), and every question with a hidden box must
go to review with the page saying why; the questions left in view are read as before.
"""

from __future__ import annotations

import dataclasses
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from omr.forms.simulate import PROFILES, _draw_mark, scan_page
from omr.model import BLANK, NEEDS_REVIEW, OK
from omr.scan.ingest import RawPage
from omr.scan.page import process_page
from read_checks import blank_sheet

MM = 25.4
GREY_OFFICE = dataclasses.replace(PROFILES["office"], binarize_prob=0.0)


def _px(mm: float, dpi: int) -> int:
    return int(round(mm * dpi / MM))


def _filled_page(default_layout, blanks, dpi, seed):
    """Page 1 with a plain cross in one box of every question (A1 left blank): image, page, answers."""
    img, page, _ = blank_sheet(default_layout, blanks, dpi, 1, 11)
    rng = np.random.default_rng(seed)
    answers = {}
    for q in sorted({b.question for b in page.checkboxes} - {"A1"}):
        boxes = [b for b in page.checkboxes if b.question == q]
        box = boxes[int(rng.integers(0, len(boxes)))]
        _draw_mark(img, box, "cross", dpi, (25, 25, 25), rng, 0.45)
        answers[q] = box.option
    return img, page, answers, rng


def _read(img, dpi, rng):
    data, _ = scan_page(img, GREY_OFFICE, dpi, rng, upside_down=False)
    return RawPage("hidden.jpg", 0, np.asarray(Image.open(io.BytesIO(data)).convert("L")))


def _sticky(img, dpi, colour):
    """An opaque note over rows B2 and B3's boxes (x 120-200 mm, y 172-188 mm)."""
    cv2.rectangle(img, (_px(120, dpi), _px(172, dpi)), (_px(200, dpi), _px(188, dpi)), colour, -1)
    return {"B2", "B3"}


def _torn_corner(img, dpi, colour):
    """The bottom-right corner torn off along a line from (120, 297) to (210, 215) mm, the scanner's lid
    (white or black) behind it: its corner mark and the right-hand boxes of D1 and D2 are gone."""
    corner = np.array([[_px(120, dpi), _px(297, dpi)], [_px(210, dpi), _px(297, dpi)], [_px(210, dpi), _px(215, dpi)]])
    cv2.fillPoly(img, [corner], colour)
    return {"D1", "D2"}


def _glare(img, dpi, strength):
    """A lamp's glare on a glossy photo: an ellipse 25 x 18 mm over C2's boxes, lifted towards white."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((xx - _px(160, dpi)) / _px(12.5, dpi), (yy - _px(223.7, dpi)) / _px(9, dpi))
    lift = np.clip((1.4 - r) / 0.4, 0, 1) * strength
    img[:] = np.clip(img + lift[:, :, None] * 255, 0, 255).astype(np.uint8)
    return {"C2"}


def _stamp(img, dpi, colour):
    """A digital "ĐÃ NHẬN" stamp: an opaque white image with a frame and letters (red, or black: its letters
    then cross the hidden boxes as a mark would) over C4's and C5's boxes and C3's first three."""
    x0, y0, x1, y1 = _px(84, dpi), _px(226, dpi), _px(160, dpi), _px(248, dpi)
    img[y0:y1, x0:x1] = 255
    cv2.rectangle(img, (x0 + 4, y0 + 4), (x1 - 4, y1 - 4), colour, max(2, _px(0.8, dpi)))
    cv2.putText(img, "DA NHAN", (x0 + _px(8, dpi), y1 - _px(6, dpi)), cv2.FONT_HERSHEY_SIMPLEX,
                dpi / 130, colour, max(2, _px(0.6, dpi)))
    return {"C3", "C4", "C5"}


VARIANTS = {
    "sticky_yellow": (_sticky, (120, 235, 250)),
    "sticky_white": (_sticky, (247, 247, 245)),
    "torn_white": (_torn_corner, (250, 250, 250)),
    "torn_black": (_torn_corner, (15, 15, 15)),
    "glare": (_glare, 1.0),
    "glare_80": (_glare, 0.8),
    "stamp_red": (_stamp, (200, 30, 30)),
    "stamp_black": (_stamp, (20, 20, 20)),
}


@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_hidden_boxes_go_to_review(default_layout, blanks, catalogue, variant, dpi):
    img, page, answers, rng = _filled_page(default_layout, blanks, dpi, seed=dpi + len(variant))
    draw, arg = VARIANTS[variant]
    hidden = draw(img, dpi, arg)
    result = process_page(_read(img, dpi, rng), catalogue)
    assert result.set_aside is None, result.detail
    reads = {q.question: q for q in result.questions}
    for qid in hidden:
        assert reads[qid].status in NEEDS_REVIEW, (qid, reads[qid], result.detail)
    assert "ô bị che hoặc mất nét in" in result.detail
    for qid, q in reads.items():  # nothing read silently wrong, hidden or not
        if q.status == OK:
            assert q.value == answers[qid], (qid, q.value, answers[qid])
        assert q.status != BLANK or qid not in answers, (qid, result.detail)


@pytest.mark.parametrize("dpi", [200, 300])
def test_clean_filled_page_stays_ok(default_layout, blanks, catalogue, dpi):
    img, page, answers, rng = _filled_page(default_layout, blanks, dpi, seed=dpi)
    result = process_page(_read(img, dpi, rng), catalogue)
    assert result.set_aside is None
    reads = {q.question: q for q in result.questions}
    assert {qid: (q.value, q.status) for qid, q in reads.items() if qid in answers} == \
        {qid: (value, OK) for qid, value in answers.items()}
    assert "ô bị che" not in result.detail
