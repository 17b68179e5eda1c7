"""A whole question crossed out with one big X (branch hbigx).

The silent-error hunt (bench/hunt/habits2.py big_x) found a respondent who withdrew a question by drawing
one big X over all its boxes stored as a confident answer: over a wide, flat question (a yes/no or scale
row) the X's strokes cross the row's height only in the middle and pass through the labels at its ends,
so the one box they touch (or the tick already in it) reads as the answer. Such a question must go to
review, said why; an underline, a strike along a row or plain marks must not be taken for an X.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omr.model import NEEDS_REVIEW
from omr.scan.ingest import RawPage
from omr.scan.page import process_page
from read_checks import answer_questions, assert_right_or_reviewed, blank_sheet, cross, read_office, stroke

REASON = "gạch chéo cả câu"
PAGE = Path(__file__).parent / "data" / "pages" / "big-x-over-H2-s11-sheet15-p2.jpg"


def _named(detail: str) -> set[str]:
    """The questions the page's detail names as crossed out."""
    said = re.search(REASON + r"[^;]* ở câu ([A-Z0-9, ]+)", detail or "")
    return set(said.group(1).replace(" ", "").split(",")) if said else set()


def test_the_hunts_big_x_over_a_yes_no_row_goes_to_review(catalogue):
    """bench/hunt/habits2.py --kind big_x --seed 11, sheet 15 page 2 (the office scan, JPEG quality 35):
    the respondent ticked H2 «Có», then crossed the whole question out with one X whose strokes cross over
    the label «Có» and touch neither box's inside. Stored 'Y' ok before."""
    result = process_page(RawPage(PAGE.name, 0, np.asarray(Image.open(PAGE).convert("L"))), catalogue)
    reads = {q.question: q for q in result.questions}
    assert result.set_aside is None, result.detail
    assert reads["H2"].status in NEEDS_REVIEW, (reads["H2"].value, reads["H2"].status, result.detail)
    assert _named(result.detail) == {"H2"}, result.detail


def _extent(boxes, out: float):
    bs = list(boxes.values())
    return (min(b.x for b in bs) - out, min(b.y for b in bs) - out,
            max(b.x + b.w for b in bs) + out, max(b.y + b.h for b in bs) + out)


def _rows(questions, n: int):
    """Questions of the page with ``n`` or more boxes on one row."""
    return sorted(q for q, bs in questions.items() if len(bs) >= n and len({round(b.y) for b in bs.values()}) == 1)


@pytest.mark.parametrize("dpi", [200, 300])
def test_questions_crossed_out_go_to_review_and_their_neighbours_are_not_named(default_layout, blanks, catalogue, dpi):
    rng = np.random.default_rng(dpi + 71)
    img, _, questions = blank_sheet(default_layout, blanks, dpi, 2, serial=12)
    crossed = [q for q in ("H2",) if q in questions] + _rows(questions, 5)[:1]
    assert len(crossed) == 2, sorted(questions)
    answers = answer_questions(img, questions, set(), dpi, rng, "tick")
    for qid in crossed:
        cross(img, *_extent(questions[qid], 3.0), dpi)
    result, reads = read_office(img, dpi, rng, catalogue)
    for qid in crossed:
        assert reads[qid].status in NEEDS_REVIEW, (qid, reads[qid].value, reads[qid].status, result.detail)
    # An X through a box's inside is already the running-out check's (or reads two boxes): only the
    # questions crossed may be named, not the neighbours the X reaches into.
    assert _named(result.detail) <= set(crossed), result.detail
    assert_right_or_reviewed(reads, answers)


@pytest.mark.parametrize("dpi", [200, 300])
def test_underlines_strikes_and_plain_marks_are_not_a_big_x(default_layout, blanks, catalogue, dpi):
    """Crosses and ticks in every question, a row underlined and another struck along: no X said."""
    rng = np.random.default_rng(dpi + 72)
    img, _, questions = blank_sheet(default_layout, blanks, dpi, 2, serial=12)
    answer_questions(img, questions, set(), dpi, rng)
    rows = _rows(questions, 5)
    x0, y0, x1, y1 = _extent(questions[rows[0]], 1.5)
    stroke(img, (x0, y1), (x1, y1 + 0.5), dpi)  # an underline below the row
    x0, y0, x1, y1 = _extent(questions[rows[-1]], 0.0)
    stroke(img, (x0 - 3, (y0 + y1) / 2), (x1 + 3, (y0 + y1) / 2 - 0.6), dpi)  # a strike along the row
    result, _ = read_office(img, dpi, rng, catalogue)
    assert REASON not in (result.detail or ""), result.detail
