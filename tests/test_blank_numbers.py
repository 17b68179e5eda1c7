"""Numbers marked one digit per row of boxes, found on scanned and image blanks (#16).

omr's own date («Ngày: ☐0 … ☐3 | ☐0 … ☐9», «Tháng: ☐0 ☐1 | ☐0 … ☐9») became two number fields
(``labels``: the day's tens + units, the month's) only from a PDF's text layer: on the same blank rendered
at 200 or 300 dpi, or scanned, one digit Tesseract misread beside its small box kept the row from being a
digit run, so no number field was proposed, and the day and month digits stayed separate export columns.
Here: the date part of omr's blank at 150/200/300 dpi and through the simulator's office scan, an office's
own Word copy of such a date (tests/data/office-numbers, LibreOffice PDF and its 200 dpi render), and rows
of ten boxes whose labels say something else are never taken for digits.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import blank_sources
import cv2
import numpy as np
import pytest

from omr.forms.layout import resolve_layout
from omr.forms.simulate import PROFILES, scan_page
from omr.forms.template import load_template
from omr.template_from.blank import from_blank
from omr.template_from.boxes import Found
from omr.template_from.printed import PrintedWord
from omr.template_from.questions import group_by_print, number_fields

ROOT = Path(__file__).resolve().parent.parent
DATE_ROWS = ("day_tens", "day_units", "month_tens", "month_units")


@pytest.fixture(scope="module")
def omr_date(tmp_path_factory):
    """(omr's printed blank as a PDF, the date's boxes: row -> [(digit, centre mm from the band's top)], the
    band of page 1 holding the date's rows: (top, bottom) mm, the page's width mm)."""
    folder = tmp_path_factory.mktemp("omr-date")
    pdf = blank_sources.omr_blank_pdf(folder)
    layout = resolve_layout(load_template(ROOT / "form_templates" / "motcua-2026.yaml"))
    rows: dict[str, list] = {}
    for c in layout.pages[0].checkboxes:
        row, _, digit = c.option.partition(":")
        if row in DATE_ROWS:
            rows.setdefault(row, []).append((digit, (c.x + c.w / 2, c.y + c.h / 2)))
    date = [c for c in layout.pages[0].checkboxes if c.option.split(":")[0] in DATE_ROWS]
    # A band at least 1/5 as tall as wide: a narrower image is no form page to the ingest (MAX_PAGE_ASPECT).
    top, bottom = min(c.y for c in date) - 16.0, max(c.y + c.h for c in date) + 16.0
    rows = {row: [(digit, (x, y - top)) for digit, (x, y) in boxes] for row, boxes in rows.items()}
    return pdf, rows, (top, bottom), layout.pages[0].width


def _date_image(pdf: Path, dpi: int, band: tuple[float, float], scanned: bool) -> np.ndarray:
    """The band of page 1 holding the date's rows (``band``: top and bottom, mm) rendered at ``dpi``;
    ``scanned``: through the office scan profile (noise, blur, JPEG, photocopy, 1-bit), not turned or shifted."""
    grey, ppm = blank_sources.render_pdf(pdf, dpi)[0]
    grey = np.ascontiguousarray(grey[int(band[0] * ppm):int(band[1] * ppm)])
    if scanned:
        profile = dataclasses.replace(PROFILES["office"], rotation_deg=0.0, shift_mm=0.0, scale_min=1.0)
        data, _ = scan_page(cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB), profile, dpi, np.random.default_rng(16), False)
        grey = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    return grey


def _numbers(yaml: Path) -> tuple[dict, dict]:
    """(label name -> [(code, box centre mm) of each part, in order], the template)."""
    template = load_template(yaml)
    pinned = template.extra["pinned"]
    rects = {n: r for page in pinned["pages"] for n, r in page["boxes"].items()}
    centre = {}
    for n, (qid, code) in pinned["assign"].items():
        x, y, w, h = rects[n]
        centre.setdefault(qid, []).append((code, (x + w / 2, y + h / 2)))
    return {name: [sorted(centre[p], key=lambda c: c[1][0]) for p in parts]
            for name, parts in template.extra.get("labels", {}).items()}, template


def _same_boxes(found: list, truth: list) -> bool:
    """The found (code, centre) are the truth's (digit, centre): the same digits, each within 1.6 mm."""
    return len(found) == len(truth) and all(
        code == digit and np.hypot(a[0] - b[0], a[1] - b[1]) < 1.6 for (code, a), (digit, b) in zip(found, truth))


@pytest.mark.parametrize("dpi, scanned", [(150, False), (200, False), (300, False), (200, True)])
def test_omr_date_on_an_image_or_scanned_blank_is_two_numbers_day_and_month(omr_date, tmp_path, dpi, scanned):
    pdf, rows, band, width = omr_date
    image = tmp_path / "date.png"
    cv2.imwrite(str(image), _date_image(pdf, dpi, band, scanned))
    from_blank(image, tmp_path / "date.yaml", page_width_mm=width)
    numbers, template = _numbers(tmp_path / "date.yaml")
    # Named after the row as read («Ngày», read "Này" from the 1-bit scan): the editor lets the admin rename it.
    assert len(numbers) == 2 and "Thang" in numbers, template.extra.get("labels")
    day, month = list(numbers.values())
    assert len(day) == 2 and _same_boxes(day[0], rows["day_tens"]) and _same_boxes(day[1], rows["day_units"]), day
    # The day's and the month's rows stay apart (the scan's month row was one question with the day's units).
    assert len(month) == 2 and _same_boxes(month[0], rows["month_tens"]) and \
        _same_boxes(month[1], rows["month_units"]), month


@pytest.fixture(scope="module")
def office_date(tmp_path_factory):
    """An office's Word copy of a date marked digit by digit, as LibreOffice's PDF (None without LibreOffice)."""
    pdfs = blank_sources.office_pdfs(tmp_path_factory.mktemp("office-numbers"), blank_sources.NUMBERS_DIR)
    if not pdfs:
        pytest.skip("LibreOffice (soffice) is needed to turn the office blank into a PDF")
    return pdfs[0], json.loads((blank_sources.NUMBERS_DIR / "digit-date.truth.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("source", ["pdf", "png200"])
def test_a_date_typed_in_word_one_digit_per_box_is_two_numbers(office_date, tmp_path, source):
    pdf, truth = office_date
    blank = pdf
    if source != "pdf":
        grey, _ = blank_sources.render_pdf(pdf, 200)[0]
        blank = tmp_path / "blank.png"
        cv2.imwrite(str(blank), grey)
    from_blank(blank, tmp_path / "office.yaml")
    numbers, template = _numbers(tmp_path / "office.yaml")
    assert set(numbers) == {"Ngay", "Thang"}, template.extra.get("labels")
    digits = [[code for code, _ in part] for name in ("Ngay", "Thang") for part in numbers[name]]
    assert digits == truth["pages"]["1"]["labels"][:4]
    others = [q for q in template.questions if q.id not in sum(template.extra["labels"].values(), ())]
    assert [[o.label for o in q.options] for q in others if q.type != "text"] == truth["pages"]["1"]["labels"][4:]


def _row(labels: list[str], y: float = 50.0, x0: float = 20.0) -> tuple[list, list]:
    """Boxes of one printed row, each followed by its label, as (boxes, words) in mm."""
    boxes, words = [], []
    for k, label in enumerate(labels):
        x = x0 + 7.0 * k
        boxes.append(Found("square", x, y, 3.5, 3.5))
        if label:
            words.append(PrintedWord(label, 90.0, x + 4.3, y + 0.3, 1.8, 3.0, line=1))
    return boxes, words


def _grouped(rows: list[tuple[list[str], float]]):
    """Questions and number fields of rows [(labels, x of the first box)] printed on one line, the
    first row's question text «Ngày:» before it."""
    boxes, words = [], [PrintedWord("Ngày:", 95.0, 5.0, 50.3, 9.0, 3.0, line=1)]
    for labels, x0 in rows:
        b, w = _row(labels, x0=x0)
        boxes += b
        words += w
    questions = group_by_print(boxes, words)
    return questions, number_fields(questions, boxes, words)


def test_a_row_of_ten_boxes_with_two_labels_misread_is_a_digit_column_and_joins_its_tens():
    units = ["0", "1", "2", "A", "4", "5", "6", "7", "", "9"]  # «3» read "A", «8» lost
    questions, fields = _grouped([(["0", "1", "", "3"], 20.0), (units, 60.0)])
    assert [q.codes for q in questions] == [["0", "1", "2", "3"], [str(d) for d in range(10)]]
    assert fields == [([0, 1], "Ngày")]


@pytest.mark.parametrize("units, tens", [
    (["0", "1", "2", "A", "4", "5", "6", "", "8", "B"], ["0", "1", "2", "3"]),  # three of ten misread
    (["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], ["0", "7", "2", "3"]),  # the tens read another digit
    (["Một", "Hai", "Ba", "Bốn", "Năm", "Sáu", "Bảy", "Tám", "Chín", "Mười"], ["0", "1", "2", "3"]),
])
def test_rows_whose_labels_say_something_else_are_not_taken_for_digits(units, tens):
    questions, fields = _grouped([(tens, 20.0), (units, 60.0)])
    assert fields == []
    # No label was put in place of what was read: a row's digits are the print's, or none.
    read = {k: label for k, label in enumerate(tens + units) if label}
    labels = [label for q in questions for label in q.labels]
    assert all(labels[k] == label for k, label in read.items()), labels


# --- reading: a number with a column left blank or marked twice goes to review (#16) -------------------

@pytest.fixture(scope="module")
def office_form(office_date, tmp_path_factory):
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
