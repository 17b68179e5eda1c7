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
