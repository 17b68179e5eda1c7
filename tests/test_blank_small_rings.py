"""○ typed in 11 pt Times New Roman: rings 1.7 mm across are bubbles, the O's and 0's of the text are not (#16).

An office's form set in Times New Roman 11 pt (Liberation Serif in LibreOffice) with ○ before each option:
``from-blank`` found none of its rings (under the 1.8 mm minimum). The text around them holds capital O's,
Ô's, D's and a digit 0 of the same size, which must stay text: the PDF's text layer, or Tesseract's layout
on a scanned blank, tells their counters from the rings. The blank is made with python-docx and converted
by LibreOffice, as an office would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import blank_sources
import cv2
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

QUESTIONS = [("Câu 1. Ông/Bà có hài lòng không?", ["Có", "Không", "Không ý kiến"]),
             ("Câu 2. Độ tuổi:", ["Dưới 30", "30 – 45", "46 – 60", "Trên 60"]),
             ("Câu 3. Số lần đi lại (ONLINE hoặc 0 lần):", ["1 lần", "2 lần", "Trên 2 lần"]),
             ("Câu 4. Đánh giá chung:", ["Tốt", "Khá", "Trung bình", "Kém"])]


@pytest.fixture(scope="module")
def blank_pdf(tmp_path_factory) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (libreoffice-writer-nogui) is needed to make the Word blank"
    folder = tmp_path_factory.mktemp("small-rings")
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
    doc.add_paragraph("PHIẾU KHẢO SÁT Ý KIẾN NGƯỜI DÂN VỀ DỊCH VỤ CÔNG").runs[0].font.size = Pt(14)
    for text, options in QUESTIONS:
        doc.add_paragraph(f"{text}   " + "   ".join(f"○ {o}" for o in options))
    source = folder / "vong-nho.docx"
    doc.save(source)
    blank_sources.libreoffice_to_pdf(soffice, [source], folder)
    return folder / "vong-nho.pdf"


@pytest.mark.parametrize("path", ["pdf", "scan"])
def test_small_typed_rings_are_bubbles_and_letters_of_the_text_are_not(blank_pdf, tmp_path, path):
    from omr.forms.template import load_template
    from omr.template_from.blank import from_blank

    rings = [rect for ch, rect in blank_sources.char_boxes(blank_pdf)[0] if ch == "○"]
    assert len(rings) == 14 and all(1.6 < w < 1.8 for _, _, w, _ in rings)  # the 1.7 mm rings of 11 pt
    blank = blank_pdf
    if path == "scan":  # a scanned blank (200 dpi, no text layer): Tesseract reads the print
        [(grey, _)] = blank_sources.render_pdf(blank_pdf, 200)
        blank = tmp_path / "vong-nho.png"
        cv2.imwrite(str(blank), grey)
    out = tmp_path / "vong-nho.yaml"
    summary = from_blank(blank, out, page_width_mm=210.0 if path == "scan" else None)
    assert summary["boxes"] == 14, summary
    template = load_template(out)
    pinned = template.extra["pinned"]
    found = list(pinned["pages"][0]["boxes"].values())
    for x, y, w, h in rings:  # each ring found where it is printed, and nothing else
        assert any(abs(fx + fw / 2 - (x + w / 2)) < 0.5 and abs(fy + fh / 2 - (y + h / 2)) < 0.5
                   for fx, fy, fw, fh in found), (x, y)
    choices = [q for q in template.questions if q.type != "text"]
    assert [len(q.options) for q in choices] == [len(options) for _, options in QUESTIONS]
    # A small ring holds no printed letter: the codes are the options' places, never an "o" read in the ring.
    assert all([o.code for o in q.options] == [str(k + 1) for k in range(len(q.options))] for q in choices)
