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
from omr.template_from.blank import _frame_text, detect_page, from_blank
from omr.template_from.boxes import Found
from omr.template_from.printed import PrintedWord

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


def _word(text: str, x: float, y: float, line: int) -> PrintedWord:
    return PrintedWord(text, 100.0, x, y, 2.0 * len(text), 4.0, line, exact=True)


def test_a_writing_frame_is_named_by_its_own_label_never_another_questions_line():
    """The fresh user's frames were named from the line above them («2. Độ tuổi: ○ Dưới 30 ○ 30–45»)."""
    frame = Found("frame", 80.0, 60.0, 100.0, 14.0)
    age = [_word("2.", 20.0, 52.0, 1), _word("Độ", 26.0, 52.0, 1), _word("tuổi:", 32.0, 52.0, 1),
           _word("Dưới", 90.0, 52.0, 1), _word("30", 102.0, 52.0, 1)]
    ring = Found("round", 85.0, 52.5, 3.0, 3.0)
    assert _frame_text(frame, age, [ring]) == ""  # a choice question's line above: not this frame's name
    label = [_word("Ghi", 40.0, 61.0, 2), _word("rõ:", 48.0, 61.0, 2)]
    assert _frame_text(frame, age + label, [ring]) == "Ghi rõ"  # its own label, left of it
    prompt = [_word("Ý", 80.0, 52.0, 3), _word("kiến", 84.0, 52.0, 3), _word("khác:", 94.0, 52.0, 3)]
    assert _frame_text(frame, prompt, []) == "Ý kiến khác"  # a free-text question's line above it
