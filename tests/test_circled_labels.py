"""A box crossed and another option's printed word circled (branch hhunt9).

bench/hunt/habits3.py mark_circle: a respondent crosses one box of a choice question and rings the word of
another option (1-2.5 mm clear of it, or tight, through its first letter). Two answers: which one counts is
for a person. On main the crossed box was stored ok (seeds 13 and 14, 6 sheets each: 20 and 21 such
questions silent); a ringed word beside a crossed box now sends the question to review.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from omr.forms.fonts import text_width_mm
from omr.forms.simulate import _draw_mark
from omr.model import NEEDS_REVIEW
from omr import tuning as T
from read_checks import BLACK, answer_questions, assert_right_or_reviewed, blank_sheet, px, read_office

REASON = "khoanh tròn chữ của lựa chọn khác"


def _ring_label(img, template, box, other, dpi: int, clear_x: float, clear_y: float) -> None:
    """A pen ring around ``other``'s printed label (right of its box), ``clear_x``/``clear_y`` mm past the
    word's ends and half its line's height, in place."""
    question = next(q for q in template.questions if q.id == other.question)
    label = next(o.label for o in question.options if o.code == other.option)
    x0 = other.x + other.w + T.BOX_LABEL_GAP
    x1 = x0 + text_width_mm(label, T.BODY_PT)
    half = T.BODY_PT * 0.3528 * 0.75 / 2
    centre = (px((x0 + x1) / 2, dpi), px(other.y + other.h / 2, dpi))
    axes = (px((x1 - x0) / 2 + clear_x, dpi), px(half + clear_y, dpi))
    cv2.ellipse(img, centre, axes, 2, 20, 370, BLACK, max(1, px(0.4, dpi)), cv2.LINE_AA)


@pytest.mark.parametrize("dpi,clear", [(200, 1.5), (300, 2.2), (200, 0.3)])
def test_a_crossed_box_and_another_options_circled_word_go_to_review(default_layout, blanks, catalogue, dpi, clear):
    template, _ = default_layout
    rng = np.random.default_rng(dpi + int(clear * 10))
    img, page, questions = blank_sheet(default_layout, blanks, dpi, 1, serial=31)
    targets = {"A2": ("1", "3"), "A7": ("2", "3"), "A4": ("2", "1")}  # question: (box crossed, word ringed)
    answers = answer_questions(img, questions, set(targets), dpi, rng)
    for qid, (crossed, ringed) in targets.items():
        _draw_mark(img, questions[qid][crossed], "cross", dpi, BLACK, rng, 0.4)
        _ring_label(img, template, questions[qid][crossed], questions[qid][ringed], dpi, clear, 1.0)
    result, reads = read_office(img, dpi, rng, catalogue)
    for qid, (crossed, _) in targets.items():
        q = reads[qid]
        assert q.status in NEEDS_REVIEW, f"{qid} read {q.value!r} {q.status} ({result.detail})"
    assert REASON in result.detail, result.detail
    assert_right_or_reviewed(reads, answers)


def test_a_circled_word_of_the_box_crossed_is_still_that_answer(default_layout, blanks, catalogue):
    """The word of the option crossed ringed too: one answer said twice, never taken for a second answer (a
    ring through the box itself may still send it to review as a stroke running out of the box)."""
    template, _ = default_layout
    rng = np.random.default_rng(7)
    img, page, questions = blank_sheet(default_layout, blanks, 200, 1, serial=32)
    targets = {"A2": "2", "A7": "3"}
    answers = answer_questions(img, questions, set(targets), 200, rng)
    for qid, option in targets.items():
        _draw_mark(img, questions[qid][option], "cross", 200, BLACK, rng, 0.4)
        _ring_label(img, template, questions[qid][option], questions[qid][option], 200, 1.5, 1.0)
    result, reads = read_office(img, 200, rng, catalogue)
    assert REASON not in result.detail, result.detail
    assert_right_or_reviewed(reads, {**answers, **targets})
