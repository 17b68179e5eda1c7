"""A ring that is no pen's circle, and a stroke from the next row, are never read as a correction (branch hsilent).

The silent-error hunt found two answers stored ok that the respondent did not give:

* bench/hunt/stamps.py datestamp (seed 11 sheet 14 D4): a date stamp «ĐÃ NHẬP / Ngày …» over a
  scale row. Its digits fall in one box (a "mark") and its letters and frame lie all round that box,
  so the box looked circled; the circle rule then cancelled the respondent's real slash in another box
  and stored the stamped option. A pen's circle is one or two strokes round the box, a stamp's
  ring many pieces of lettering and lines: that question goes to review.
* bench/hunt/strokes.py outside (seed 12 sheet 5 D5): the question above drew its cross in the gap
  below its own box, reaching into this question's box; this question's own heavy cross, denser than
  that intruding end, was read as scribbled out, and the end as the corrected answer. A mark running
  out of its box toward another question's box is no correction: to review.

A real circled correction and a real fill-and-cross correction still read ok.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from omr.forms.simulate import _draw_mark, draw_habit
from omr.model import NEEDS_REVIEW, OK
from omr.scan.align import BoxSearch, BoxWindow
from omr.scan.read import read_boxes
from omr.scan.resolve import resolve_questions
from test_line_through_boxes import _read, _sheet

BLUE = (35, 55, 150)


DATA = Path(__file__).parent / "data" / "hunt_windows"


def _read_rows(name: str, default_layout) -> dict:
    """A hunt page's boxes (D3-D5, or all of page 2: the page's other marks set the respondent's
    habit) as omr's box search cut them (tests/data/hunt_windows/<name>.npz: the windows' grey
    pixels, paper level, black ratio, place and offsets, saved from the hunt's scan), read again by
    :func:`omr.scan.read.read_boxes` and resolved: {question: (value, status)}."""
    _, layout = default_layout
    saved = np.load(DATA / f"{name}.npz")
    by_key = {(b.question, b.option): b for b in layout.page(2).checkboxes}
    boxes = [by_key[(str(q), str(o))] for q, o in zip(saved["question"], saved["option"])]
    windows = [BoxWindow(int(x0), int(y0), grey, float(paper), float(black))
               for x0, y0, grey, paper, black in zip(saved["x0"], saved["y0"], saved["grey"], saved["paper"],
                                                     saved["black_ratio"])]
    reads = read_boxes(BoxSearch(saved["offsets"].astype(float), 0.0, windows), boxes)
    questions = [q for q in layout.questions if q.id in {b.question for b in boxes}]
    return {q.question: (q.value, q.status) for q in resolve_questions(questions, reads)}


def test_a_date_stamp_round_a_box_is_no_circled_correction(default_layout):
    """bench/hunt/stamps.py --kind datestamp --seed 11, sheet 14 page 2: the stamp's digits in D4's
    'KYK' box, its letters and frame all round it; the respondent's slash in '4'. Stored 'KYK' ok before."""
    got = _read_rows("datestamp-s11-sheet14-p2", default_layout)
    value, status = got["D4"]
    assert status in NEEDS_REVIEW or (status == OK and value == "4"), got["D4"]


def test_a_cross_from_the_row_above_is_no_correction_of_a_heavy_cross(default_layout):
    """bench/hunt/strokes.py --kind outside --seed 12, sheet 5 page 2: D4's cross drawn below its box '4'
    reaches into D5's '4'; D5's own heavy cross in '5' (fill 0.62). Stored '4' ok for D5 before."""
    got = _read_rows("outside-s12-sheet5-p2", default_layout)
    value, status = got["D5"]
    assert status in NEEDS_REVIEW or (status == OK and value == "5"), got["D5"]


def test_real_corrections_still_read(default_layout, blanks, catalogue):
    """A crossed box circled beside another crossed box, and a box filled in beside a cross: the circled
    box and the cross are the answers, ok (the form's two ways to correct)."""
    dpi = 200
    rng = np.random.default_rng(77)
    img, questions = _sheet(default_layout, blanks, dpi, 2)
    for qid in ("D3", "D5"):  # every other row: the corrections do not touch each other
        _draw_mark(img, questions[qid]["2"], "cross", dpi, BLUE, rng, 0.45)
        draw_habit(img, questions[qid]["4"], "circled", dpi, BLUE, rng, 0.45)
    for qid in ("E1", "E2"):
        if qid in questions and "1" in questions[qid] and "3" in questions[qid]:
            _draw_mark(img, questions[qid]["1"], "fill", dpi, BLUE, rng, 0.45)
            _draw_mark(img, questions[qid]["3"], "cross", dpi, BLUE, rng, 0.45)
    result, reads = _read(img, dpi, rng, catalogue)
    for qid in ("D3", "D5"):
        assert reads[qid].status == OK and reads[qid].value == "4", (qid, reads[qid].value, reads[qid].status,
                                                                     result.detail)
    for qid in ("E1", "E2"):
        if qid in questions and "1" in questions[qid] and "3" in questions[qid]:
            assert reads[qid].status == OK and reads[qid].value == "3", (qid, reads[qid].value, reads[qid].status)
