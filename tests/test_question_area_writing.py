"""Writing beside a question's boxes instead of in them goes to a person, never read blank-ok (branch hdate).

A respondent writes the date in figures after the «Ngày» row, a figure under the date's grid (over the
next question's title), or a word beside a choice question's boxes, and marks no box. Read box by box,
the question was blank with status ok and confidence 0.999: the answer written was lost silently. A
blank question whose own area holds handwriting must go to review with the reason «có chữ viết ngoài ô
của câu …»; a page filled in the ordinary way, with questions skipped, stays ok and blank.
"""

from __future__ import annotations

import dataclasses
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from omr import tuning as T
from omr.forms.qrcodes import PageIdentity
from omr.forms.simulate import PROFILES, _BlankPages, _draw_mark, _paste_identity, scan_page
from omr.forms.simulate_beside import write_beside
from omr.model import BLANK, NEEDS_REVIEW, OK, BoxRead
from omr.scan import printed_boxes
from omr.scan.align import K, PageInk
from omr.scan.ingest import RawPage
from omr.scan.page import process_page

DPI = 200
BLACK, BLUE = (25, 25, 25), (35, 55, 150)
REASON = "có chữ viết ngoài ô của câu"
# Office scanning, grey (1-bit scans are measured by bench/area_writing.py: light pencil can vanish there).
GREY_OFFICE = dataclasses.replace(PROFILES["office"], binarize_prob=0.0)


@pytest.fixture(scope="module")
def blanks(default_layout):
    _, layout = default_layout
    return _BlankPages(layout, DPI).pages


def _sheet(default_layout, blanks, number: int, skip: set[str], seed: int):
    """Page ``number`` with a cross or tick in one box of every question but ``skip``: (image, page, answers)."""
    template, layout = default_layout
    page = layout.page(number)
    img = blanks[number].copy()
    _paste_identity(img, page, PageIdentity(template.form_id, template.version, number, 21, None), DPI)
    rng = np.random.default_rng(seed)
    questions: dict[str, dict] = {}
    for box in page.checkboxes:
        questions.setdefault(box.question, {})[box.option] = box
    answers = {}
    for qid, boxes in sorted(questions.items()):
        if qid in skip or qid == "A1":
            continue
        option = str(rng.choice(sorted(boxes)))
        _draw_mark(img, boxes[option], str(rng.choice(["cross", "tick"])), DPI, BLACK, rng, 0.45)
        answers[qid] = option
    return img, page, answers, rng


def _read(img, rng, catalogue):
    data, _ = scan_page(img, GREY_OFFICE, DPI, rng, upside_down=False)
    result = process_page(RawPage("beside.jpg", 0, np.asarray(Image.open(io.BytesIO(data)).convert("L"))), catalogue)
    assert result.set_aside is None
    return result, {q.question: q for q in result.questions}


def _check(result, reads, written: set[str], answers: dict[str, str]) -> None:
    for qid in written:
        q = reads[qid]
        assert q.status in NEEDS_REVIEW, f"{qid} read {q.value!r} {q.status} {q.confidence} ({result.detail})"
        assert q.confidence < 0.9
        assert REASON in result.detail and qid in result.detail.split(REASON)[1], result.detail
    for qid, option in answers.items():  # the answered questions: right and ok
        assert (reads[qid].status, reads[qid].value) == (OK, option), (qid, reads[qid])


@pytest.mark.parametrize("text,pen,seed", [("12", BLACK, 1), ("05", BLUE, 2), ("28", BLACK, 3)])
def test_a_date_written_after_the_day_row_goes_to_review(default_layout, blanks, catalogue, text, pen, seed):
    img, page, answers, rng = _sheet(default_layout, blanks, 1, set(), seed)
    write_beside(img, page, "A1", "right", text, DPI, pen, rng)
    result, reads = _read(img, rng, catalogue)
    _check(result, reads, {"A1"}, answers)


@pytest.mark.parametrize("place,text,gap,seed", [("below", "5", 3.3, 4), ("below", "12/5", 3.5, 5),
                                                ("below", "2026", 4.0, 6)])
def test_figures_under_or_after_the_date_grid_go_to_review(default_layout, blanks, catalogue, place, text, gap, seed):
    """A figure written under the grid over the next question's title (beyond the 3 mm the search for
    marks beside a box covers)."""
    img, page, answers, rng = _sheet(default_layout, blanks, 1, set(), seed)
    write_beside(img, page, "A1", place, text, DPI, BLACK, rng, gap_mm=gap)
    result, reads = _read(img, rng, catalogue)
    _check(result, reads, {"A1"}, answers)


@pytest.mark.parametrize("number,qid,text,gap,seed", [
    (1, "A3", "trực tiếp", 1.0, 7), (1, "A5", "nam", 3.5, 8), (1, "A6", "35", 2.0, 9),
    (2, "E1", "đúng", 1.5, 10), (2, "F1", "có", 3.0, 11)])
def test_a_word_after_a_choice_question_goes_to_review(default_layout, blanks, catalogue, number, qid, text,
                                                       gap, seed):
    """Written after the last option's label, more than 3 mm from every box (nearer, the search for marks
    beside a box takes it: tests/test_off_box_marks.py)."""
    img, page, answers, rng = _sheet(default_layout, blanks, number, {qid}, seed)
    write_beside(img, page, qid, "right", text, DPI, BLUE, rng, gap_mm=gap)
    result, reads = _read(img, rng, catalogue)
    _check(result, reads, {qid}, answers)


@pytest.mark.parametrize("number", [1, 2])
def test_a_page_with_questions_skipped_and_nothing_written_stays_ok(default_layout, blanks, catalogue, number):
    skipped = {1: {"A3", "A6", "B2", "C4"}, 2: {"E1", "F3", "G1", "H2"}}[number]
    img, page, answers, rng = _sheet(default_layout, blanks, number, skipped, 12 + number)
    result, reads = _read(img, rng, catalogue)
    assert REASON not in result.detail
    for qid in skipped | ({"A1"} if number == 1 else set()):
        assert reads[qid].status == BLANK, (qid, reads[qid], result.detail)
    for qid, option in answers.items():
        assert (reads[qid].status, reads[qid].value) == (OK, option), (qid, reads[qid])


def test_question_areas_hold_the_boxes_labels_and_the_room_after_the_date(default_layout):
    from omr import tuning as T
    from omr.scan.form_print import question_areas

    _, layout = default_layout
    page = layout.page(1)
    areas = question_areas(layout, page)
    assert set(areas) == {b.question for b in page.checkboxes}
    for box in page.checkboxes:
        x0, y0, x1, y1 = areas[box.question]
        assert x0 < box.x and y0 < box.y and x1 > box.x + box.w and y1 > box.y + box.h
    a1 = areas["A1"]
    last = max(b.x + b.w for b in page.checkboxes if b.question == "A1")
    assert a1[2] >= last + T.OWN_DATE_AREA_RIGHT_MM  # after the last label «9» as well
    assert a1[3] > max(b.y + b.h for b in page.checkboxes if b.question == "A1") + 5  # over A2's title
    assert areas["A3"][0] == 15.0  # its own title «A3. Hình thức nộp hồ sơ:», not the left margin


def test_an_area_with_too_little_ink_left_is_passed_without_looking_for_strokes(monkeypatch):
    """The check of writing in a question's area answers the same on an area holding nothing, a few specks
    of dust (less ink in all than OWN_WRITING_MIN_MM2) and a written figure, but looks for strokes
    (connected components, most of the check's cost on a page, issue #18) only where the ink left could
    add up to writing."""
    calls = []
    original = cv2.connectedComponentsWithStats
    monkeypatch.setattr(printed_boxes.cv2, "connectedComponentsWithStats",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    rng = np.random.default_rng(3)
    reads = [BoxRead("q1", "A", "empty", 0.0, 0.0, 1.0, 10.0, 10.0, 5.0, 5.0)]
    shape = (int(40 * K), int(60 * K))
    nothing = np.zeros(shape, np.uint8)
    for what in ("nothing", "dust", "figure"):
        page = np.full(shape, 250, np.uint8)
        if what == "dust":  # specks of 2 x 2 px (they survive the opening), ~0.3 mm² in all
            for _ in range(5):
                y, x = int(rng.integers(5 * K, 35 * K)), int(rng.integers(20 * K, 55 * K))
                page[y:y + 2, x:x + 2] = 30
        if what == "figure":  # a "1" written 10 mm right of the box: ~3 mm² of ink
            page[int(10 * K):int(16 * K), int(30 * K):int(30.5 * K)] = 30
        ink = PageInk(page, np.full((40, 60), 250, np.float32), 0.1)
        calls.clear()
        found = printed_boxes.writing_in_areas(reads, ink, nothing, nothing, {"q1": (5.0, 5.0, 55.0, 35.0)}, {"q1"})
        if what == "figure":
            assert set(found) == {"q1"} and found["q1"] >= T.OWN_WRITING_MIN_MM2
        else:
            assert found == {} and calls == [], what
