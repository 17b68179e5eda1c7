"""An A4 page scanned on Letter settings: its bottom cut off by the image's edge (branch hhunt10).

bench/hunt/deliver.py letter: a Letter scan is 279 mm tall, the A4 page 297 mm; with the page a little
down on the glass, the last scale row (D2, boxes at 272-277 mm) loses its bottom 1-3 mm. On integ the
question was read ok from what was left of its mark (8 of 12 pages at seeds 11-12: the scanner's white
border below the cut), and a mark whose ink lay in the lost part would read blank. A question with a box whose
printed outline is lost along a side, or that lies partly off the image, goes to review.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from omr.model import NEEDS_REVIEW
from omr.scan.ingest import RawPage
from omr.scan.page import boxes_off_image, process_page
from read_checks import answer_questions, assert_right_or_reviewed, blank_sheet, px

REASONS = ("ô mất một phần nét in", "ô bị che hoặc mất nét in")  # a side lost; the whole box lost


def _read_on_letter(img, dpi: int, rng, catalogue, down_mm: float | None):
    """``img`` (RGB A4 page) scanned flat (grey, a little blur and noise, JPEG; no shift, turn or scale, so
    where the cut falls is known), then on a Letter-tall image (279 mm) with the page ``down_mm`` down from
    its top, cut at 279 mm and padded white back to A4 (None: the whole A4 image, uncut). (PageResult, {question: QuestionRead})."""
    grey = cv2.GaussianBlur(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32), (0, 0), 0.7)
    grey = np.clip(grey * 0.97 + rng.normal(0, 2.5, grey.shape), 0, 255).astype(np.uint8)
    if down_mm is not None:
        top = np.full((px(down_mm, dpi), grey.shape[1]), 247, np.uint8)
        grey = np.vstack([top, grey])[:px(279, dpi)]
        # fitted on an A4 page again (a driver's or an app's "A4" output): white below the cut
        grey = np.vstack([grey, np.full((px(297, dpi) - grey.shape[0], grey.shape[1]), 250, np.uint8)])
    buf = io.BytesIO()
    Image.fromarray(grey).save(buf, format="JPEG", quality=88)
    grey = np.asarray(Image.open(buf).convert("L"))
    result = process_page(RawPage("page.jpg", 0, grey), catalogue)
    assert result.set_aside is None, result.detail
    return result, {q.question: q for q in result.questions}


@pytest.mark.parametrize("down,marked", [(3.0, True), (5.0, True), (4.0, False)])
def test_a_row_cut_by_a_letter_scan_is_never_read(default_layout, blanks, catalogue, down, marked):
    rng = np.random.default_rng(int(down * 10) + marked)
    img, page, questions = blank_sheet(default_layout, blanks, 200, 1, serial=71)
    answers = answer_questions(img, questions, set() if marked else {"D2"}, 200, rng)
    result, reads = _read_on_letter(img, 200, rng, catalogue, down)
    assert reads["D2"].status in NEEDS_REVIEW, (reads["D2"].value, reads["D2"].status, result.detail)
    assert any(reason in result.detail for reason in REASONS), result.detail
    assert_right_or_reviewed(reads, answers)


def test_the_whole_page_has_no_cut_boxes(default_layout, blanks, catalogue):
    """The same page scanned whole: no box is off the image, the last row is read."""
    rng = np.random.default_rng(5)
    img, page, questions = blank_sheet(default_layout, blanks, 200, 1, serial=72)
    answers = answer_questions(img, questions, set(), 200, rng)
    result, reads = _read_on_letter(img, 200, rng, catalogue, None)
    assert not any(reason in result.detail for reason in REASONS), result.detail
    assert reads["D2"].value == answers["D2"], (reads["D2"].value, reads["D2"].status, result.detail)
    assert_right_or_reviewed(reads, answers)


def test_boxes_off_the_image_are_named(default_layout):
    """The layout placed 3 mm down on a Letter-tall image (279 mm at 200 dpi): D2's row (272-277 mm) is cut."""
    _, layout = default_layout
    page = layout.page(1)
    scale = 200 / 25.4
    down = np.array([[scale, 0, 0], [0, scale, 3.0 * scale], [0, 0, 1]])
    assert boxes_off_image(down, page, (px(279, 200), px(216, 200))) == {"D2"}
    assert boxes_off_image(down, page, (px(297, 200), px(210, 200))) == set()
