"""Checks shared by the tests that read simulated sheets (helper, not a test module)."""

from __future__ import annotations

import dataclasses
import io

import cv2
import numpy as np
from PIL import Image

from omr.forms.qrcodes import PageIdentity
from omr.forms.simulate import PROFILES, _draw_mark, _paste_identity, scan_page
from omr.model import BLANK, NEEDS_REVIEW, OK
from omr.scan.ingest import RawPage
from omr.scan.page import process_page


def assert_no_silent_error(result, truth, max_review: int) -> None:
    """Every answer of ``result`` not sent to review is the simulator's ``truth`` (a blank only where
    nothing was marked), at most ``max_review`` questions go to review, and no comment field reads
    as written (the truth has no comments)."""
    review = [q.question for q in result.questions if q.status in NEEDS_REVIEW]
    for q in result.questions:
        if q.status in NEEDS_REVIEW:
            continue
        expected = truth.answers[q.question]
        if q.status == BLANK:
            assert expected in (None, []), (q.question, expected)
        else:
            assert q.value == expected, (q.question, q.value, expected)
    assert len(review) <= max_review, review
    assert not any(c.inked for c in result.comments)


def assert_right_or_reviewed(reads, answers) -> None:
    """Every question of ``answers`` ({question: option marked}) reads as that option ok or goes to review:
    never silently wrong. ``reads``: {question: QuestionRead}."""
    for qid, option in answers.items():
        q = reads[qid]
        assert q.status in NEEDS_REVIEW or (q.status == OK and q.value == option), (qid, q.value, q.status)


def answers_of(result) -> dict[str, tuple]:
    """{question id: (value, status)} of one page's read (a PageResult)."""
    return {q.question: (q.value, q.status) for q in result.questions}


def blank_sheet(default_layout, blanks, dpi: int, number: int, serial: int):
    """Page ``number`` of the default form, unfilled, with its QR code for sheet ``serial``: (RGB image to draw
    on, its PageLayout, {question id: {option code: Checkbox}})."""
    template, layout = default_layout
    page = layout.page(number)
    img = blanks[dpi][number].copy()
    _paste_identity(img, page, PageIdentity(template.form_id, template.version, number, serial, None), dpi)
    questions: dict[str, dict] = {}
    for box in page.checkboxes:
        questions.setdefault(box.question, {})[box.option] = box
    return img, page, questions


# Drawing on a simulated page and reading it through the office scanner, for the tests that mark boxes
# by hand (line, hair, big X, signature, erasure, punch hole...). Lengths are mm on the page.
MM = 25.4
BLACK = (25, 25, 25)


def px(mm: float, dpi: int) -> int:
    """``mm`` as whole pixels at ``dpi``."""
    return int(round(mm * dpi / MM))


def stroke(img, a, b, dpi: int, pen_mm: float = 0.45, colour=BLACK) -> None:
    """A straight pen stroke from ``a`` to ``b`` ((x, y) mm), ``pen_mm`` wide (one pixel at least), in place."""
    cv2.line(img, (px(a[0], dpi), px(a[1], dpi)), (px(b[0], dpi), px(b[1], dpi)), colour,
             max(1, px(pen_mm, dpi)), cv2.LINE_AA)


def cross(img, x0: float, y0: float, x1: float, y1: float, dpi: int, pen_mm: float = 0.45, colour=BLACK) -> None:
    """An X from corner to corner of the rectangle (x0, y0)-(x1, y1) (mm): two strokes, in place."""
    stroke(img, (x0, y0), (x1, y1), dpi, pen_mm, colour)
    stroke(img, (x1, y0), (x0, y1), dpi, pen_mm, colour)


def mark_questions(questions, rng, draw, skip=()) -> dict[str, str]:
    """One box of every question of ``questions`` ({question: {option: Checkbox}}) not in ``skip`` and not
    A1 (the date: left blank), chosen by ``rng`` and marked by ``draw(box)``: {question: option marked}."""
    answers = {}
    for qid, boxes in sorted(questions.items()):
        if qid in skip or qid == "A1":
            continue
        option = str(rng.choice(sorted(boxes)))
        draw(boxes[option])
        answers[qid] = option
    return answers


def answer_questions(img, questions, skip, dpi: int, rng, style=None, styles=("cross", "tick"), colour=BLACK,
                     pen_mm: float = 0.45) -> dict[str, str]:
    """A mark of the simulator's in one box of every question not in ``skip`` (see mark_questions): of
    ``style``, or one of ``styles`` chosen by ``rng`` (a plain cross or tick). {question: option marked}."""
    return mark_questions(questions, rng, lambda box: _draw_mark(
        img, box, style or str(rng.choice(list(styles))), dpi, colour, rng, pen_mm), skip)


def read_office(img, dpi: int, rng, catalogue, binarize: float = 0.0, name: str = "page.jpg"):
    """``img`` (RGB page at ``dpi``) through the simulator's office scanner (a 1-bit scan with chance
    ``binarize``; none by default) and read: (PageResult, {question: QuestionRead}). The page must not
    be set aside."""
    profile = dataclasses.replace(PROFILES["office"], binarize_prob=binarize)
    data, _ = scan_page(img, profile, dpi, rng, upside_down=False)
    result = process_page(RawPage(name, 0, np.asarray(Image.open(io.BytesIO(data)).convert("L"))), catalogue)
    assert result.set_aside is None, result.detail
    return result, {q.question: q for q in result.questions}
