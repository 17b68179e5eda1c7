"""A satisfaction table whose question cells wrap over 2-3 lines: each row gets its own cell's text whole.

A user's Word form (a 4-row table, ☐ boxes at the top of each cell) was proposed as "Câu 4. Công chức
hướng dẫn rõ ràng", "tận tình Câu 5. Không phải nộp giấy tờ", …: the last line of each cell went to
the next question (omr.template_from.questions._cell_text). The blank is made here with python-docx and
converted by LibreOffice, as an office would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from blank_sources import libreoffice_to_pdf
from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

NUMBERED = ["Câu 4. Công chức hướng dẫn rõ ràng, tận tình",
            "Câu 5. Không phải nộp giấy tờ ngoài quy định",
            "Câu 6. Kết quả trả đúng hẹn",
            "Câu 7. Mức độ hài lòng chung"]
# No numbers: only the layout tells the cells apart; three lines in the narrow first column.
PLAIN = ["Nơi ngồi chờ đủ chỗ, thoáng mát",
         "Nơi làm việc sạch sẽ, gọn gàng, có nước uống",
         "Biển chỉ dẫn rõ ràng, dễ tìm"]
HEADINGS = ["Nội dung", "Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]


def _table(doc, rows: list[str], first_col_mm: float, centred: bool) -> None:
    table = doc.add_table(rows=len(rows) + 1, cols=6)
    table.style = "Table Grid"
    table.autofit = False
    widths = [first_col_mm] + [(170 - first_col_mm) / 5] * 5
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.width = Mm(widths[c])
            if centred:
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for i, text in enumerate(HEADINGS):
        table.cell(0, i).text = text
    for j, text in enumerate(rows, start=1):
        table.cell(j, 0).text = text
        for i in range(1, 6):
            paragraph = table.cell(j, i).paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run("☐").font.size = Pt(18)


@pytest.fixture(scope="module", params=["DejaVu Sans", "Times New Roman"])
def blank_pdf(tmp_path_factory, request) -> Path:
    """The blank in the trial's font and in the administrative standard font (set by LibreOffice in
    Liberation Serif, whose lines stand further apart)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (libreoffice-writer-nogui) is needed to make the Word blank"
    folder = tmp_path_factory.mktemp("table-rows")
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = request.param, Pt(11)
    doc.add_paragraph("PHIẾU LẤY Ý KIẾN NGƯỜI DÂN").runs[0].font.size = Pt(14)
    doc.add_paragraph("Câu 4–7. Mức độ hài lòng của Ông/Bà:")
    _table(doc, NUMBERED, 25, centred=False)  # the user's form: boxes at the top of 2-4 line cells
    doc.add_paragraph("")
    doc.add_paragraph("Đánh giá cơ sở vật chất:")
    _table(doc, PLAIN, 30, centred=True)  # Word's "centre" cells: the box level with a middle line
    source = folder / "bang.docx"
    doc.save(source)
    libreoffice_to_pdf(soffice, [source], folder)
    return folder / "bang.pdf"


def _texts(pdf: Path, folder: Path) -> list[str]:
    from omr.forms.template import load_template
    from omr.template_from.blank import from_blank

    out = folder / "bang.yaml"
    from_blank(pdf, out)
    return [q.text for q in load_template(out).questions]


def test_wrapped_question_cells_keep_their_own_lines(blank_pdf, tmp_path):
    texts = _texts(blank_pdf, tmp_path)
    assert texts[:4] == NUMBERED
    assert texts[4:7] == PLAIN
