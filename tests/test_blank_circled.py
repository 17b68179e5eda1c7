"""Circled digits ① … ⑤ typed as bubbles: found on a scanned blank and labelled with their digit (#16).

Vietnamese forms often print a 1-5 scale as ① ② ③ ④ ⑤ (Word: Insert → Symbol). From a PDF's text
layer the digit is known; from a scanned blank Tesseract's page reading takes each ring for a symbol
("®", "@"), so the options were proposed as «Lựa chọn 1» …, and on a scan at 150-200 dpi the rings were
not found at all (the scanner's blur thickens the digit's strokes past the lettered-ring rule).

The blank is made with python-docx and converted by LibreOffice, as an office would: rows of circled
digits in DejaVu Sans at 10, 12 and 14 pt, in OpenSymbol (LibreOffice's symbol font), a descending row
⑤ … ① and a row ⑥ … ⑨ (no installed font has circled capitals Ⓐ: they print as empty boxes); it is
rendered at 150, 200 and 300 dpi and scanned (``blank_sources.scanned``: blur, grey paper, noise) with two
seeds, and read with no text layer.
"""

from __future__ import annotations

from pathlib import Path

import blank_sources
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from omr.template_from.blank import detect_page
from omr.template_from.questions import _circled_sequence

CIRCLED = {str(d): chr(0x2460 + d - 1) for d in range(1, 10)} | {c: chr(0x24B6 + ord(c) - 65) for c in "ABCDE"}
# (font, size pt, values printed in the row)
ROWS = [("DejaVu Sans", 10, "12345"), ("DejaVu Sans", 12, "12345"), ("DejaVu Sans", 14, "1234"),
        ("OpenSymbol", 12, "12345"), ("DejaVu Sans", 12, "54321"), ("DejaVu Sans", 11, "6789")]


@pytest.fixture(scope="module")
def blank_pdf(tmp_path_factory) -> Path:
    soffice = blank_sources.soffice()
    folder = tmp_path_factory.mktemp("circled")
    doc = blank_sources.word_blank("PHIẾU ĐÁNH GIÁ MỨC ĐỘ HÀI LÒNG")
    doc.add_paragraph("Khoanh tròn một số: 1 = rất không hài lòng, 5 = rất hài lòng.")
    for number, (font, size, values) in enumerate(ROWS, start=1):
        paragraph = doc.add_paragraph(f"Câu {number}. Mức độ hài lòng:    ")
        for value in values:
            run = paragraph.add_run(CIRCLED[value])
            run.font.name, run.font.size = font, Pt(size)
            run.element.rPr.rFonts.set(qn("w:eastAsia"), font)
            paragraph.add_run("      ")
    source = folder / "khoanh-so.docx"
    doc.save(source)
    blank_sources.libreoffice_to_pdf(soffice, [source], folder)
    return folder / "khoanh-so.pdf"


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("seed", [16, 7])
def test_circled_digits_on_a_scanned_blank_are_bubbles_labelled_with_their_digit(blank_pdf, dpi, seed):
    [(grey, ppm)] = blank_sources.render_pdf(blank_pdf, dpi)
    page = detect_page(blank_sources.scanned(grey, seed), ppm)  # no text layer: Tesseract reads the print
    questions = [q for q in page.questions if not q.comb]
    # Every ring is found, grouped as printed (one question a row), and nothing else is a box.
    assert [len(q.boxes) for q in questions] == [len(values) for _, _, values in ROWS]
    assert len([f for f in page.found if f.kind != "frame"]) == sum(len(values) for _, _, values in ROWS)
    for q, (font, size, values) in zip(questions, ROWS):
        assert q.labels == list(values), (font, size)
        assert q.codes == list(values), (font, size)


def test_a_question_of_rings_is_one_run_only_when_its_readings_agree():
    assert _circled_sequence(["1", "", "3", "4", ""]) == ["1", "2", "3", "4", "5"]
    assert _circled_sequence(["5", "4", "", "2", "1"]) == ["5", "4", "3", "2", "1"]
    # One misread in a row of five is overruled by the four others...
    assert _circled_sequence(["1", "2", "8", "4", "5"]) == ["1", "2", "3", "4", "5"]
    # ...but with fewer agreeing, or two disagreeing, no run is guessed: each ring keeps its own reading.
    assert _circled_sequence(["1", "7", "3"]) is None
    # Two readings are a run only as a whole question of two, in print order (a faint ① read "3" beside a
    # right "2" on a real scan made the run 3 2 1 0; two right readings "3 4" extrapolated a "5").
    assert _circled_sequence(["3", "2", "", ""]) is None
    assert _circled_sequence(["3", "4", ""]) is None
    assert _circled_sequence(["3", "4"]) == ["3", "4"]
    assert _circled_sequence(["2", "1"]) is None
    assert _circled_sequence(["1", "2", "8", "9", "5", "6"]) is None
    # Too few readings, a box that is no lettered ring, a run leaving the digits: none.
    assert _circled_sequence(["1", "", "", "", ""]) is None
    assert _circled_sequence(["1", None, "3"]) is None
    assert _circled_sequence(["8", "9", ""]) is None
