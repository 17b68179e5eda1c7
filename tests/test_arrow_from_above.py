"""An arrow drawn down to the box meant, stopping 3-5 mm short of it (branch hhunt9).

bench/hunt/habits3.py arrow_short: a respondent points at the answer with an arrow and marks no box. The
arrow's tip stops 3-5 mm above the box, beyond the 3 mm the search for marks beside boxes looks at, its
head on the row above's print (an option's word, the scale grid's column header), which is masked. On
main the question was stored blank, ok (seeds 13 and 14, 6 sheets each: 4 and 6). It must go to review.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from omr.model import NEEDS_REVIEW
from read_checks import BLACK, answer_questions, assert_right_or_reviewed, blank_sheet, px, read_office

REASON = "chỉ xuống ô"


def _arrow_down(img, box, dpi: int, gap: float, aside: float, length: float) -> None:
    """A pen arrow coming down at ``box`` (mm) from ``length`` mm above, its tail ``aside`` mm to the side,
    its tip ``gap`` mm above the box's top, a 1.6 mm head, in place."""
    tip = np.array([box.x + box.w / 2, box.y - gap])
    tail = tip + np.array([aside, -length])
    pen = max(1, px(0.4, dpi))
    cv2.line(img, (px(tail[0], dpi), px(tail[1], dpi)), (px(tip[0], dpi), px(tip[1], dpi)), BLACK, pen, cv2.LINE_AA)
    d = (tip - tail) / np.linalg.norm(tip - tail)
    for turn in (2.6, -2.6):
        r = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]]) @ d
        e = tip + 1.6 * r
        cv2.line(img, (px(tip[0], dpi), px(tip[1], dpi)), (px(e[0], dpi), px(e[1], dpi)), BLACK, pen, cv2.LINE_AA)


@pytest.mark.parametrize("dpi,gap", [(200, 3.5), (300, 4.5), (200, 5.0)])
def test_an_arrow_stopping_short_above_an_empty_box_is_not_a_blank(default_layout, blanks, catalogue, dpi, gap):
    rng = np.random.default_rng(dpi + int(gap * 10))
    img, page, questions = blank_sheet(default_layout, blanks, dpi, 1, serial=41)
    # A4's second option (under A3's words), B1's fourth (under the column header «Hài lòng»), C4's first
    # (under C3's title: the scale grid's rows have a box 1.5 mm above, where an arrow would be a mark).
    targets = {"A4": "2", "B1": "4", "C4": "0"}
    answers = answer_questions(img, questions, set(targets), dpi, rng)
    for i, (qid, option) in enumerate(targets.items()):
        _arrow_down(img, questions[qid][option], dpi, gap, (-3.0, 2.0, 4.0)[i], (9.0, 8.0, 11.0)[i])
    result, reads = read_office(img, dpi, rng, catalogue)
    for qid in targets:
        q = reads[qid]
        assert q.status in NEEDS_REVIEW, f"{qid} read {q.value!r} {q.status} ({result.detail})"
    assert REASON in result.detail, result.detail
    assert_right_or_reviewed(reads, answers)


def test_a_level_underline_above_a_blank_question_is_not_an_arrow(default_layout, blanks, catalogue):
    """A level pen line (a note's underline) ending 4 mm above-left of a blank question's box: not an arrow."""
    rng = np.random.default_rng(3)
    img, page, questions = blank_sheet(default_layout, blanks, 200, 1, serial=42)
    answers = answer_questions(img, questions, {"C3"}, 200, rng)
    box = questions["C3"]["2"]
    y = box.y - 4.0
    cv2.line(img, (px(box.x - 25, 200), px(y, 200)), (px(box.x - 4, 200), px(y + 0.5, 200)), BLACK, px(0.4, 200),
             cv2.LINE_AA)
    result, reads = read_office(img, 200, rng, catalogue)
    assert REASON not in result.detail, result.detail
    assert_right_or_reviewed(reads, answers)
