"""A signature or initials scrawled across a row of boxes (branch hhunt3).

The silent-error hunt (bench/hunt/habits2.py signature) found a respondent's signature passing through
one box of a question left blank stored as a confident answer: the loop inside the box reads as a mark,
the question's only one. A cross or a tick pokes a mm or two out of its box; a signature's stroke runs
on for a centimetre. Such a question must go to review, and plain marks (even a cross drawn half
outside its box) keep reading ok.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from omr.model import NEEDS_REVIEW
from read_checks import (BLACK, answer_questions, assert_right_or_reviewed, blank_sheet, cross, mark_questions, px,
                         read_office)

REASON = "chạy dài ra ngoài"


def _scrawl(img, box, dpi: int, length: float, rng) -> None:
    """A looping signature 6 mm tall, ``length`` mm long, starting inside ``box`` (mm) and running on to its right."""
    t = np.linspace(0, 1, 300)
    loops = length / 4.5
    start, yc = box.x + 1.0, box.y + box.h / 2
    x = start + length * t + 1.0 * np.sin(2 * np.pi * loops * t + 1.0)
    y = yc - 3.0 * np.cos(2 * np.pi * loops * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 1.7 * t)) + rng.uniform(-1, 1) * t
    points = np.round(np.stack([x, y], 1) * dpi / 25.4).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(img, [points], False, BLACK, max(1, px(0.4, dpi)), cv2.LINE_AA)


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_signature_through_a_blank_questions_box_is_not_an_answer(default_layout, blanks, catalogue, dpi):
    rng = np.random.default_rng(dpi + 91)
    img, _, questions = blank_sheet(default_layout, blanks, dpi, 1, serial=12)
    targets = {"A6", "A3"}
    answers = answer_questions(img, questions, targets, dpi, rng)
    _scrawl(img, questions["A6"]["2"], dpi, 18.0, rng)
    _scrawl(img, questions["A3"]["2"], dpi, 25.0, rng)
    result, reads = read_office(img, dpi, rng, catalogue)
    for qid in targets:
        assert reads[qid].status in NEEDS_REVIEW, (qid, reads[qid].value, reads[qid].status, result.detail)
    assert REASON in result.detail, result.detail
    assert_right_or_reviewed(reads, answers)


@pytest.mark.parametrize("dpi", [200, 300])
def test_marks_poking_out_of_their_boxes_are_not_taken_for_signatures(default_layout, blanks, catalogue, dpi):
    """Crosses drawn 3-4 mm wide with half of them outside the box on the left: still ok, none for running out."""
    rng = np.random.default_rng(dpi + 92)
    img, _, questions = blank_sheet(default_layout, blanks, dpi, 1, serial=12)

    def mark(box):
        s = rng.uniform(3.0, 4.0)
        x, y = box.x - 0.5 * s, box.y + (box.h - s) / 2
        cross(img, x, y, x + s, y + s, dpi)
    mark_questions(questions, rng, mark)
    result, _ = read_office(img, dpi, rng, catalogue)
    assert REASON not in (result.detail or ""), result.detail
