"""A writing frame drawn over printed text (issue #16): warned at design time, never "written" when read.

A user's Word form had its comment box drawn around a printed hint («Ghi rõ ý kiến …»): the template
made from the blank read the hint as handwriting, and every sheet's comment went to review as written,
with no warning when the template was made. Now ``from-blank`` (and the template editor's save) names the
frame, and the reader leaves the blank's own print out of the frame. The blank is made with python-docx
and converted by LibreOffice, as an office would; the filled copy is photocopied (tests/office_fill.py).
"""

from __future__ import annotations

from pathlib import Path

import blank_sources
import cv2
import office_fill
import pytest
from docx.shared import Mm, Pt

HINT = "Ghi rõ ý kiến, kiến nghị của Ông/Bà về thái độ phục vụ và thời gian giải quyết hồ sơ"


def frame_blank_pdf(folder: Path) -> Path:
    """The Word blank with its comment box drawn around a printed hint, as a PDF in ``folder``."""
    soffice = blank_sources.soffice()
    doc = blank_sources.word_blank()
    doc.add_paragraph("Câu 1. Ông/Bà có hài lòng không?   ☐ Có      ☐ Không")
    doc.add_paragraph("Câu 2. Hồ sơ được trả đúng hẹn?   ☐ Có      ☐ Không")
    doc.add_paragraph("Ý kiến khác:")
    frame = doc.add_table(rows=1, cols=1)
    frame.style = "Table Grid"
    frame.rows[0].height = Mm(35)
    frame.columns[0].width = frame.cell(0, 0).width = Mm(170)
    frame.cell(0, 0).paragraphs[0].add_run(HINT).font.size = Pt(9)
    source = folder / "khung.docx"
    doc.save(source)
    blank_sources.libreoffice_to_pdf(soffice, [source], folder)
    return folder / "khung.pdf"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    from omr.template_from.blank import from_blank

    folder = tmp_path_factory.mktemp("frame-print")
    pdf = frame_blank_pdf(folder)

    summary = from_blank(pdf, folder / "tpl" / "khung.yaml")
    return pdf, folder / "tpl", summary


def test_from_blank_warns_of_a_writing_frame_over_print_naming_it(made):
    from omr.forms.template import load_template

    _, folder, summary = made
    frames = [q for q in load_template(folder / "khung.yaml").questions if q.type == "text"]
    assert len(frames) == 1, [q.text for q in frames]
    warnings = summary["warnings"]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"Khung viết {frames[0].id} («{frames[0].text}», trang 1) nằm đè lên chữ in")


def test_printed_text_inside_a_writing_frame_is_never_read_as_written(made, tmp_path):
    from omr.scan.ingest import PageLoader
    from omr.scan.page import Catalogue, process_page

    pdf, folder, _ = made
    boxes = office_fill.template_boxes(folder / "khung.yaml")
    catalogue = Catalogue.from_folder(folder)
    [(grey, ppm)] = blank_sources.render_pdf(pdf, 200)
    loader = PageLoader()
    written = []
    try:
        for seed in range(2):
            page = grey.copy()
            if seed == 1:  # a real comment, handwritten under the hint: still read as written
                frame = [q for q in catalogue.layouts.values()][0].pages[0].text_regions[0]
                x, y = int((frame.x + 10) * ppm), int((frame.y + frame.h - 12) * ppm)
                cv2.putText(page, "Can huong dan ky hon", (x, y), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.6, 30, 3,
                            cv2.LINE_AA)
            image, _, _ = office_fill.fill(page, ppm, boxes, 1, seed)
            path = tmp_path / f"copy-{seed}.png"
            cv2.imwrite(str(path), image)
            result = process_page(loader.load(path, 0), catalogue)
            assert result.set_aside is None, result.detail
            [comment] = result.comments
            written.append((comment.inked, comment.ink_mm2))
    finally:
        loader.close()
    assert written[0][0] is False, written  # the printed hint alone: not a comment
    assert written[1][0] is True and written[1][1] > 20, written  # handwriting beside it still is
