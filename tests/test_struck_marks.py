"""A crossed box struck out with a level line is no answer (branch hhunt).

The silent-error hunt (bench/hunt/respond.py arrow, number) found respondents who change their mind
striking the crossed box out with a line along the row («gạch đi») instead of filling it in as the
form asks, then showing the answer meant elsewhere: an arrow to another box, or the option's number
written beside. The struck box still holds a cross; alone in its question it was stored ok as the
answer withdrawn (112 SILENT in 930 questions). It must go to review, saying why; plain crosses and
ticks, even poking out of their boxes, still read ok (test_line_through_boxes.py).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from omr.forms.simulate import _draw_mark
from omr.model import NEEDS_REVIEW, OK
from omr.scan.align import K
from omr.scan.line_marks import struck_through
from test_line_through_boxes import BLACK, _answer, _line, _px, _read, _sheet, _window

REASON = "gạch ngang"


def _strike(img, box, dpi: int, rng) -> None:
    """A level line through ``box`` (mm), 1-3 mm past both sides, sloped a little."""
    y = box.y + box.h * rng.uniform(0.35, 0.65)
    a = (_px(box.x - rng.uniform(1, 3), dpi), _px(y + rng.uniform(-0.8, 0.8), dpi))
    b = (_px(box.x + box.w + rng.uniform(1, 3), dpi), _px(y + rng.uniform(-0.8, 0.8), dpi))
    cv2.line(img, a, b, BLACK, max(1, _px(0.5, dpi)), cv2.LINE_AA)


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_struck_out_cross_with_the_answer_written_beside_goes_to_review(default_layout, blanks, catalogue, dpi):
    rng = np.random.default_rng(dpi + 31)
    img, questions = _sheet(default_layout, blanks, dpi, 1)
    struck = ["A3", "A6", "B2", "C4"]
    answers = _answer(img, questions, set(struck), dpi, rng)
    for qid in struck:
        options = sorted(questions[qid])
        old, meant = options[0], options[-1]
        box = questions[qid][old]
        _draw_mark(img, box, "cross", dpi, BLACK, rng, 0.45)
        _strike(img, box, dpi, rng)
        cv2.putText(img, meant[:1], (_px(box.x + box.w + 1.0, dpi), _px(box.y + box.h, dpi)),
                    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 0.8 * dpi / 200, BLACK, max(1, _px(0.4, dpi)), cv2.LINE_AA)
    result, reads = _read(img, dpi, rng, catalogue)
    for qid in struck:
        assert reads[qid].status in NEEDS_REVIEW, (qid, reads[qid], result.detail)
    assert REASON in result.detail, result.detail
    for qid, option in answers.items():
        q = reads[qid]
        assert q.status in NEEDS_REVIEW or (q.status == OK and q.value == option), (qid, q.value, q.status)


def test_struck_through_tells_a_strike_from_a_cross():
    """The geometry alone: a cross with a level line 2 mm past both sides is struck; a cross alone, a
    big cross poking 1.5 mm out at its corners, a tick whose long arm runs 3 mm out, a level line
    running out on one side only, a cross ringed by a circle 1 mm clear of the box (its ink 0.5 mm clear of the outline) are not."""
    def cross(ink, out=0.0):
        _line(ink, (12.5 - out, 12.5 - out), (16.5 + out, 16.5 + out))
        _line(ink, (16.5 + out, 12.5 - out), (12.5 - out, 16.5 + out))

    def struck(ink):
        cross(ink)
        _line(ink, (10.0, 14.3), (19.0, 14.8), 0.5)
    found = struck_through(*_window(struck))
    assert found is not None and found.other_mm >= 1.5
    assert struck_through(*_window(cross)) is None
    assert struck_through(*_window(lambda ink: cross(ink, 1.5))) is None

    def tick_out(ink):
        _line(ink, (13.0, 14.5), (14.2, 16.5))
        _line(ink, (14.2, 16.5), (20.0, 10.0))
    assert struck_through(*_window(tick_out)) is None

    def one_side(ink):
        cross(ink)
        _line(ink, (13.0, 14.5), (20.0, 14.5), 0.5)
    assert struck_through(*_window(one_side)) is None

    def circled(ink):
        cross(ink)
        cv2.circle(ink, (int(14.5 * K), int(14.5 * K)), int(3.5 * K), 1.0, max(1, int(0.4 * K)))
    assert struck_through(*_window(circled)) is None
