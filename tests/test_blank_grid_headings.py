"""A grid's option labels come from its own header row, never from another question's text (issue #16).

A user's Word form printed the age question («☐ Dưới 30 … ☐ Trên 60») right above a 1-5 table whose
column 4 heading was not read: ``from-blank`` gave column 4 the label «Trên 60». The blank here has that
table (column 4's heading cell left empty, as a heading the reader missed), and a second one under a
sentence that runs across the table's columns without a question number or a colon. The blank is made
with python-docx and converted by LibreOffice, as an office would.
"""

from __future__ import annotations

from pathlib import Path

import blank_sources
import pytest
from blank_sources import libreoffice_to_pdf

ITEMS = ["Thái độ của công chức", "Thời gian giải quyết hồ sơ"]


@pytest.fixture(scope="module")
def blank_pdf(tmp_path_factory) -> Path:
    soffice = blank_sources.soffice()
    folder = tmp_path_factory.mktemp("grid-headings")
    doc = blank_sources.word_blank()
    doc.add_paragraph("Câu 1. Giới tính:   ☐ Nam      ☐ Nữ")
    doc.add_paragraph("Câu 2. Độ tuổi:   ☐ Dưới 30      ☐ 30 – 45      ☐ 46 – 60      ☐ Trên 60")
    blank_sources.word_box_grid(doc, ITEMS, missing_heading=4)
    doc.add_paragraph("")
    doc.add_paragraph("Mức độ hài lòng của Ông/Bà đối với cán bộ tiếp nhận và trả kết quả hồ sơ tại xã")
    blank_sources.word_box_grid(doc, ["Tiếp nhận hồ sơ", "Trả kết quả"], missing_heading=4)
    source = folder / "luoi.docx"
    doc.save(source)
    libreoffice_to_pdf(soffice, [source], folder)
    return folder / "luoi.pdf"


def test_a_grid_column_without_its_heading_never_takes_another_questions_text(blank_pdf, tmp_path):
    from omr.forms.template import load_template
    from omr.template_from.blank import from_blank

    out = tmp_path / "luoi.yaml"
    from_blank(blank_pdf, out)
    template = load_template(out)
    labels = {q.text: [o.label for o in q.options] for q in template.questions if q.type != "text"}
    assert labels["Câu 2. Độ tuổi"] == ["Dưới 30", "30 – 45", "46 – 60", "Trên 60"]
    for item in ITEMS + ["Tiếp nhận hồ sơ", "Trả kết quả"]:
        # Column 4's heading is not printed: the scale's digits fill it (omr.template_from.questions._digit_scale),
        # never «Trên 60» (the age question's) nor words of the sentence above the second table.
        assert labels[item] == ["1", "2", "3", "4", "5"], (item, labels)


def test_a_scanned_grid_takes_its_headings_not_its_boxes_read_as_letters(blank_pdf, tmp_path):
    """The same blank scanned (200 dpi, no text layer): Tesseract reads some of the grid's boxes as «L»,
    which is no option's label; the column's heading is."""
    import blank_sources
    import cv2

    from omr.forms.template import load_template
    from omr.template_from.blank import from_blank

    [(grey, _)] = blank_sources.render_pdf(blank_pdf, 200)
    scan = tmp_path / "luoi.png"
    cv2.imwrite(str(scan), grey)
    out = tmp_path / "luoi-quet.yaml"
    from_blank(scan, out, page_width_mm=210.0)
    template = load_template(out)
    grids = [[o.label for o in q.options] for q in template.questions if q.type != "text" and len(q.options) == 5]
    assert len(grids) == 4, grids
    for labels in grids:
        assert labels[:3] + labels[4:] == ["1", "2", "3", "5"], grids
        # Column 4 has no printed heading: a box read as letters there may stay (a person renames it in the
        # editor), but never a word of the age question or of the sentence above.
        assert labels[3] in ("4", "Lựa chọn 4") or len(labels[3]) <= 2, grids
