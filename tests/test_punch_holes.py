"""A punch hole over a marked box is never read as the respondent's correction (bench/hunt paper.py punch).

With the scanner's lid dark behind it, a hole through a box scans as a solid dark disc, which the
box's fill alone reads as a box filled in to cancel it. Beside another mark in the question, that
"correction" stored the other mark as the answer, ok (seed 11, sheet 14 A6: two ages ticked, the
hole over one of them: '4' ok). What lies under a hole is unknown: the question goes to a person.
Real corrections (a box filled in with the pen, then a mark in another) still read ok.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest

from omr.forms.simulate import _draw_mark
from omr.model import NEEDS_REVIEW, OK
from read_checks import BLACK, blank_sheet, read_office

DPI = 200
BLUE = (35, 55, 150)
QUESTIONS = ("A2", "A3", "A4", "A6", "A7", "B1", "B2", "B3", "B4", "C1", "C2", "C3", "C4", "C5", "D1", "D2")


def _px(mm: float) -> int:
    return int(round(mm * DPI / 25.4))


def _hole(img, box, diameter_mm: float, lid: int, offset_mm: tuple[float, float]) -> None:
    """A punch hole over ``box`` (as bench/hunt/paper.py draws it): its shadowed rim, the lid behind."""
    cx, cy = _px(box.x + box.w / 2 + offset_mm[0]), _px(box.y + box.h / 2 + offset_mm[1])
    r = _px(diameter_mm / 2)
    cv2.circle(img, (cx, cy), r + 2, (150, 150, 150), -1, cv2.LINE_AA)
    cv2.circle(img, (cx, cy), r, (lid, lid, lid), -1, cv2.LINE_AA)


def _read(default_layout, blanks, catalogue, seed: int, lid: int, binarize: float = 0.0):
    """Page 1 with, in every question of QUESTIONS, two boxes marked and a hole over the first
    (every other question: a real correction, the first filled in with the pen); read.
    Returns ({question: QuestionRead}, {question: (kind, meant, the box holed or filled)},
    {(question, option): BoxRead})."""
    img, _, boxes = blank_sheet(default_layout, blanks, DPI, 1, serial=40 + seed)
    rng = np.random.default_rng(seed)
    colour = BLUE if seed % 2 else BLACK
    pen = float(rng.uniform(0.3, 0.6))  # one respondent, one pen (a thinner stroke is taken for a hair)
    cases = {}
    for k, q in enumerate(QUESTIONS):
        first, second = rng.choice(list(boxes[q]), 2, replace=False)
        if k % 3 == 2:  # a real correction: the first filled in, a mark in the second
            _draw_mark(img, boxes[q][first], "fill", DPI, colour, rng, pen)
            _draw_mark(img, boxes[q][second], str(rng.choice(["cross", "tick"])), DPI, colour, rng, pen)
            cases[q] = ("correction", str(second), str(first))
            continue
        _draw_mark(img, boxes[q][first], str(rng.choice(["cross", "tick"])), DPI, colour, rng, pen)
        _draw_mark(img, boxes[q][second], str(rng.choice(["cross", "tick"])), DPI, colour, rng, pen)
        diameter = float(rng.uniform(5.0, 7.0))
        _hole(img, boxes[q][first], diameter, lid, (float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1))))
        cases[q] = ("hole", None, str(first))
    result, reads = read_office(img, DPI, rng, catalogue, binarize, name="punch.jpg")
    return reads, cases, {(b.question, b.option): b for b in result.boxes}


@pytest.fixture(scope="module")
def read(default_layout, blanks, catalogue):
    """_read of this module's layout, memoised: a page two tests read is drawn and read once."""
    return functools.cache(functools.partial(_read, default_layout, blanks, catalogue))


@pytest.mark.parametrize("seed, lid", [(1, 35), (2, 35), (3, 90), (4, 120)])
def test_a_hole_over_a_marked_box_beside_another_mark_goes_to_review(read, seed, lid):
    reads, cases, _ = read(seed, lid)
    silent = [f"{q}: {reads[q].value!r} {reads[q].status}" for q, (kind, _, _) in cases.items()
              if kind == "hole" and reads[q].status not in NEEDS_REVIEW]
    assert not silent, f"a hole read as a correction (lid {lid}): {silent}"


@pytest.mark.parametrize("seed, lid", [(1, 35), (3, 90)])
def test_a_pen_filled_box_then_a_mark_still_reads_the_correction(read, seed, lid):
    # A pen's fill is no hole: no correction is read wrong, and all but one read ok. (On this page full of
    # holes, seed 1's B4 goes to review: its filled box is doubted by an older rule (confidence 0.2, not
    # the disc rule's 0.25; it goes to review with the disc rule switched off too).)
    reads, cases, _ = read(seed, lid)
    corrections = {q: (meant, filled) for q, (kind, meant, filled) in cases.items() if kind == "correction"}
    wrong = [f"{q}: {reads[q].value!r}, meant {meant}" for q, (meant, _) in corrections.items()
             if reads[q].status == OK and reads[q].value != meant]
    assert not wrong, wrong
    ok = [q for q, (meant, _) in corrections.items() if (reads[q].status, reads[q].value) == (OK, meant)]
    assert len(ok) >= len(corrections) - 1, reads
