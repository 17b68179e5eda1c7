"""Numbers marked one digit per row of boxes on a blank typed in Word (#16): found from the PDF and from an
image of it, and read from a filled copy: a number with a column left blank or marked twice goes to review.

tests/data/office-numbers/digit-date.docx (made by tests/data/office-blanks/make_blanks.py) copies omr's date
into Word: «Ngày: ☐ 0 … ☐ 3 ☐ 0 … ☐ 9», «Tháng: ☐ 0 ☐ 1 ☐ 0 … ☐ 9», tens and units parted by a tab.
"""

from __future__ import annotations

import json

import blank_sources
import cv2
import pytest
from test_blank_numbers import _numbers

from omr.template_from.blank import from_blank


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
