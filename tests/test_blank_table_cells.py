"""A Word/LibreOffice blank's 1-5 table: label and header cells are not writing frames, the scale's options
take the column headings (issue #16, a fresh user's blank).

The office blank ``tests/data/office-blanks/satisfaction-table.docx`` (made by ``make_blanks.py``) is the
user's: ☐ and ○ inline, then a table whose columns are as wide as their short headings («HL», «Rất HL»),
its «Nội dung» header cell and its wrapped label cells big enough to look like writing frames. Before:
three of those cells became writing frames Y1-Y3 (each named from the line above it, «2. Độ tuổi: ○ Dưới
30 …») with a «frame over print» warning each, and the scale's options were «Lựa chọn 1 … 5».
"""

from __future__ import annotations

import json

import blank_sources
import pytest

from omr.forms.template import load_template
from omr.template_from.blank import detect_page, from_blank

STEM = "satisfaction-table"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    blank_sources.soffice()
    folder = tmp_path_factory.mktemp(STEM)
    [pdf] = [p for p in blank_sources.office_pdfs(folder) if p.stem == STEM]
    summary = from_blank(pdf, folder / "tpl" / f"{STEM}.yaml")
    truth = json.loads((blank_sources.OFFICE_DIR / f"{STEM}.truth.json").read_text(encoding="utf-8"))
    return pdf, load_template(folder / "tpl" / f"{STEM}.yaml"), summary, truth["pages"]["1"]["labels"]


def test_label_and_header_cells_of_a_table_are_not_writing_frames(made):
    _, template, summary, _ = made
    frames = [q.text for q in template.questions if q.type == "text"]
    assert frames == ["7. Ý kiến khác"], frames  # the free-text question's own frame only, named by its line
    assert summary["warnings"] == []  # no «frame over print» for cells that are not frames


def test_scale_options_in_a_table_take_their_column_headings(made):
    _, template, _, truth = made
    chosen = [q for q in template.questions if q.type != "text"]
    assert [[o.label for o in q.options] for q in chosen] == truth
    assert [q.text for q in chosen][2:5] == ["3. Công chức lịch sự, tôn trọng", "4. Hướng dẫn đầy đủ, dễ hiểu",
                                             "5. Kết quả đúng hẹn"]


def test_a_scan_of_the_blank_finds_no_writing_frame_in_the_table(made):
    """The blank printed and scanned at 200 dpi (no text layer: Tesseract reads the words); the blank has
    no frame drawn (the free-text question's is proposed under it by from_blank, not found)."""
    pdf = made[0]
    [(grey, ppm)] = blank_sources.render_pdf(pdf, 200)
    page = detect_page(blank_sources.scanned(grey), ppm)
    assert [f for f in page.found if f.kind == "frame"] == []
    assert len([f for f in page.found if f.kind != "frame"]) == 23
