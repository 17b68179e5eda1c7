"""A date marked digit by digit in a vertical grid, under a bold title, on a blank typed in Word (#16).

Answer sheets and some office forms print a number as columns of boxes, 0 … 9 downwards, one column per
digit (a day's tens and units, a month's). Grouped by rows, such a grid became one question of mixed
digits ("0 0 0 0 1 1 1 1 2 2", the first grid row and a half) and the rest questions of two; no number was
proposed. And where Word sets the box against its digit («☐0»), Tesseract reads the two as one word
("L]0", "[16") and the box was taken for the counter of a letter and dropped: a page rendered at 150-300
dpi lost 12 to 19 of its 30 boxes. The blank (``blank_sources.word_date_grid_blank``) has a bold 16 pt
title full of O, Ô, Ộ, Đ, whose counters and outlines must stay text.
"""

from __future__ import annotations

import blank_sources
import cv2
import pytest
from blank_sources import DATE_GRID_COLUMNS

from omr.template_from.blank import detect_page, from_blank
from omr.template_from.printed import read_pdf_words
from omr.template_from.questions import number_fields


@pytest.fixture(scope="module")
def blanks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("date-grid")
    return {touching: blank_sources.word_date_grid_blank(folder, touching) for touching in (False, True)}


def _near(box, truth) -> bool:
    return abs(box.centre[0] - truth[0] - truth[2] / 2) < 1.6 and abs(box.centre[1] - truth[1] - truth[3] / 2) < 1.6


@pytest.mark.parametrize("touching", [False, True], ids=["box-space-digit", "box-digit-touching"])
@pytest.mark.parametrize("source, dpi", [("layer", 150), ("image", 200), ("image", 300), ("scan", 150),
                                         ("scan", 300)])
def test_vertical_date_grid_is_one_question_per_column_and_two_numbers(blanks, touching, source, dpi):
    pdf = blanks[touching]
    [(grey, ppm)] = blank_sources.render_pdf(pdf, dpi)
    if source == "scan":
        grey = blank_sources.scanned(grey)
    words = read_pdf_words(pdf, 0) if source == "layer" else None
    page = detect_page(grey, ppm, words=words) if words else detect_page(grey, ppm)  # image: Tesseract
    boxes = [f for f in page.found if f.kind != "frame"]
    truth = [box for char, box in blank_sources.char_boxes(pdf)[0] if char == "☐"]
    grid_truth = truth[:sum(n for _, n in DATE_GRID_COLUMNS)]
    # Every box of the grid is found, and nothing of the title or the digits is a box.
    assert all(any(_near(b, t) for b in boxes) for t in grid_truth), "a grid box was lost"
    assert all(any(_near(b, t) for t in truth) for b in boxes), "a letter or digit taken for a box"
    # One question per column, its options the digits top down, its text the column's heading.
    columns = [q for q in page.questions if q.labels and q.labels[0] == "0"]
    assert [(q.text, q.codes) for q in columns] == [
        (heading, [str(d) for d in range(n)]) for heading, n in DATE_GRID_COLUMNS]
    for q, (_, n) in zip(columns, DATE_GRID_COLUMNS):
        xs = [boxes[i].centre[0] for i in q.boxes]
        ys = [boxes[i].centre[1] for i in q.boxes]
        assert len(q.boxes) == n and max(xs) - min(xs) < 1.0 and ys == sorted(ys)
    # The day's two columns are one number, the month's another.
    first = page.questions.index(columns[0])
    assert number_fields(page.questions, boxes, page.words) == [([first, first + 1], "Ngày"),
                                                               ([first + 2, first + 3], "Tháng")]


def test_vertical_date_grid_template_from_an_image_blank(blanks, tmp_path):
    """``from_blank`` on the touching blank saved as a 200 dpi PNG: the template's four digit questions,
    joined as Ngay and Thang (its ``labels``), and the two questions after them."""
    from omr.forms.template import load_template

    [(grey, _)] = blank_sources.render_pdf(blanks[True], 200)
    image = tmp_path / "ngay-cot.png"
    cv2.imwrite(str(image), grey)
    summary = from_blank(image, tmp_path / "ngay-cot.yaml")
    template = load_template(tmp_path / "ngay-cot.yaml")
    assert summary["boxes"] == sum(n for _, n in DATE_GRID_COLUMNS) + 4
    assert [len(q.options) for q in template.questions if q.type != "text"] == [4, 10, 2, 10, 2, 2]
    labels = template.extra["labels"]
    assert list(labels) == ["Ngay", "Thang"] and [len(parts) for parts in labels.values()] == [2, 2]
