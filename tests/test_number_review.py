"""A number marked one digit per column, read from a filled scan (#16): whole, it is joined and ``ok``; a
column left blank while another is marked goes to review (never the shorter number), a column marked twice
is ``multiple``. The form: tests/data/office-numbers/digit-date.docx through ``from-blank``.
"""

from __future__ import annotations

import blank_sources
import cv2
import pytest
from test_blank_numbers_office import office_date  # noqa: F401 (a fixture)

from omr.forms.template import load_template
from omr.template_from.blank import from_blank


@pytest.fixture(scope="module")
def office_form(office_date, tmp_path_factory):  # noqa: F811 (the fixture)
    """(the templates folder holding the office date blank's template, the template, the blank page, px/mm)."""
    pdf, _ = office_date
    folder = tmp_path_factory.mktemp("office-number-form") / "form_templates"
    from_blank(pdf, folder / "ngay-ho-so.yaml")
    grey, ppm = blank_sources.render_pdf(pdf, 200)[0]
    return folder, load_template(folder / "ngay-ho-so.yaml"), grey, ppm


def _read(office_form, tmp_path, answers: dict, also: dict | None = None):
    """The page filled with ``answers`` (label name -> a digit per column, None: left blank) and ``also``
    (label name -> column -> a second digit crossed), scanned and read: (questions by id, labels)."""
    import office_fill

    from omr.scan.ingest import PageLoader
    from omr.scan.page import Catalogue, process_page

    folder, template, grey, ppm = office_form
    labels = template.extra["labels"]
    boxes = office_fill.template_boxes(folder / "ngay-ho-so.yaml")
    page = grey.copy()
    for name, columns in (also or {}).items():
        for column, digit in columns.items():
            qid = labels[name][column]
            x, y, w, h = next(rect for _, _, rect, q, code, _ in boxes if q == qid and code == digit)
            for sx in (-1, 1):  # a second cross, as office_fill draws one
                cv2.line(page, (int((x + 0.2 * w) * ppm), int((y + h / 2 - sx * 0.3 * h) * ppm)),
                         (int((x + 0.8 * w) * ppm), int((y + h / 2 + sx * 0.3 * h) * ppm)), 25,
                         max(2, int(round(0.35 * ppm))), cv2.LINE_AA)
    chosen = {labels[name][k]: digit for name, digits in answers.items() for k, digit in enumerate(digits)}
    filled, _, _ = office_fill.fill(page, ppm, boxes, 1, seed=5, answers=chosen)
    path = tmp_path / "filled.png"
    cv2.imwrite(str(path), filled)
    result = process_page(PageLoader().load(path, 0), Catalogue.from_folder(folder))
    assert result.set_aside is None, result.detail
    return {q.question: q for q in result.questions}, labels, result


def test_a_number_read_whole_is_ok_and_joined(office_form, tmp_path):
    from omr.forms.pinned import joined_value
    from omr.model import OK

    reads, labels, _ = _read(office_form, tmp_path, {"Ngay": ["1", "5"], "Thang": ["0", "8"]})
    joined = {name: joined_value([(reads[p].value, reads[p].status) for p in parts]) for name, parts in labels.items()}
    assert joined == {"Ngay": ("15", OK), "Thang": ("08", OK)}


def test_a_number_with_a_column_left_blank_or_marked_twice_goes_to_review_never_a_shorter_number(office_form,
                                                                                                 tmp_path):
    from omr.forms.pinned import joined_value
    from omr.model import MULTIPLE, NEEDS_REVIEW, OK

    reads, labels, result = _read(office_form, tmp_path, {"Ngay": [None, "5"], "Thang": ["0", "3"]},
                                  also={"Thang": {1: "8"}})
    day_tens, day_units = (reads[p] for p in labels["Ngay"])
    assert day_units.status == OK and day_units.value == "5"
    # The tens left blank: not the day "5" nor "05" read silently, but a person's look at the day.
    assert day_tens.status in NEEDS_REVIEW and day_tens.value is None
    assert labels["Ngay"][0] in result.detail and "thiếu chữ số" in result.detail
    assert reads[labels["Thang"][1]].status == MULTIPLE
    for name in ("Ngay", "Thang"):
        value, status = joined_value([(reads[p].value, reads[p].status) for p in labels[name]])
        assert value is None and status != OK
