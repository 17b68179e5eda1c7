"""A box marked only with a highlighter stroke is never stored blank ok.

bench/hunt/official.py hl_mark / hl_mark_colour: an official (or respondent) marks the answer with a
highlighter stroke over its box instead of a pen mark: a patch of tint covering the box and 1-3 mm around
it. The tint has no stroke, so the reader took it for paper or the back's print showing through and stored
the question blank ok (29-32 of ~150 such answers at seed 11). A patch of tint over one box and its
surround, darker than the page's paper, makes a blank question ambiguous (omr.scan.printed_boxes.tinted_boxes);
questions left truly blank on the same page stay blank, pen marks stay ok.
"""

from __future__ import annotations

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

DPI = 200
HIGHLIGHT = [(255, 240, 70), (150, 240, 120), (255, 150, 200), (255, 190, 90)]
HIGHLIGHTED = ("A2", "B1", "B3", "C2", "D1")
LEFT_BLANK = ("A4", "C4")


def _px(mm: float) -> float:
    return mm * DPI / 25.4


def _highlight(img: np.ndarray, box, rng: np.random.Generator, colour) -> None:
    """A highlighter stroke 7-10 mm long, 5-6 mm tall, centred on ``box`` (within 0.5 mm), tilted up to 6°."""
    length, tall = rng.uniform(7, 10), rng.uniform(5, 6)
    cx, cy = box.x + box.w / 2 + rng.uniform(-0.5, 0.5), box.y + box.h / 2 + rng.uniform(-0.5, 0.5)
    rect = ((_px(cx), _px(cy)), (_px(length), _px(tall)), float(rng.uniform(-6, 6)))
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, [cv2.boxPoints(rect).astype(np.int32)], 255)
    mask = cv2.GaussianBlur(mask, (0, 0), 1.5).astype(np.float32)[:, :, None] / 255
    col = np.array(colour, np.float32) / 255
    img[:] = np.clip(img * (1 - mask * rng.uniform(0.75, 1.0) * (1 - col)), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def reads(default_layout, blanks, catalogue):
    template = default_layout[0]
    img, page, options = blank_sheet(default_layout, blanks, DPI, 1, 77)
    rng = np.random.default_rng(5)
    boxes = {q: list(by_option.values()) for q, by_option in options.items()}  # in the page's order
    for k, q in enumerate(HIGHLIGHTED):
        _highlight(img, boxes[q][int(rng.integers(len(boxes[q])))], rng, HIGHLIGHT[k % len(HIGHLIGHT)])
    kinds = {q.id: q.type for q in template.questions}
    crossed = [q for q in boxes if q not in HIGHLIGHTED + LEFT_BLANK and kinds[q] in ("single", "scale", "yesno")]
    for q in crossed:
        _draw_mark(img, boxes[q][int(rng.integers(len(boxes[q])))], "cross", DPI, (35, 55, 150), rng, 0.4)
    data, _ = scan_page(img, PROFILES["clean"], DPI, rng, upside_down=False)
    result = process_page(RawPage("hl.png", 0, np.asarray(Image.open(io.BytesIO(data)).convert("L"))), catalogue)
    assert result.set_aside is None
    return {q.question: q for q in result.questions}, crossed


def test_highlighted_box_is_never_blank_ok(reads):
    reads, _ = reads
    wrong = {q: reads[q].status for q in HIGHLIGHTED if reads[q].status not in NEEDS_REVIEW}
    assert not wrong, f"a box marked only with a highlighter was stored {wrong}"


def test_pen_marks_and_blanks_on_the_same_page_unchanged(reads):
    reads, crossed = reads
    assert {q: reads[q].status for q in crossed if q in reads} == {q: OK for q in crossed if q in reads}
    assert all(reads[q].status == BLANK for q in LEFT_BLANK)
