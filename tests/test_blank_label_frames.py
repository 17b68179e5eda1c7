"""Table cells that hold printed labels are not writing frames (second new-user trial).

A user's Word form had a 1-5 table whose 75 mm label column held labels wrapped over two lines: each
label cell was large enough to be a writing frame and was proposed as one ("khung viết" Y1-Y4), so every
scanned sheet sent 4 fake handwritten comments (the printed labels, read by OCR) to review. The empty
"Ý kiến khác" frame below the table is still a writing frame. The blank is made with python-docx and
converted by LibreOffice, as an office would.
"""

from __future__ import annotations

from pathlib import Path

import blank_sources
import pytest
from blank_sources import libreoffice_to_pdf
from docx.shared import Mm

LABELS = ["Thái độ của công chức tiếp nhận hồ sơ lịch sự, tận tình, chu đáo",
          "Công chức hướng dẫn kê khai hồ sơ đầy đủ, dễ hiểu, một lần là đủ",
          "Thời gian giải quyết hồ sơ đúng hẹn như đã ghi trên giấy hẹn",
          "Phí, lệ phí phải nộp đúng quy định và được công khai đầy đủ"]


@pytest.fixture(scope="module")
def blank_pdf(tmp_path_factory) -> Path:
    soffice = blank_sources.soffice()
    folder = tmp_path_factory.mktemp("label-frames")
    doc = blank_sources.word_blank()
    doc.add_paragraph("Câu 1–4. Mức độ hài lòng của Ông/Bà (1 = rất không hài lòng, 5 = rất hài lòng):")
    blank_sources.word_box_grid(doc, LABELS)  # the trial's widths
    doc.add_paragraph("")
    doc.add_paragraph("Ý kiến khác:")
    frame = doc.add_table(rows=1, cols=1)
    frame.style = "Table Grid"
    frame.rows[0].height = Mm(25)
    frame.columns[0].width = frame.cell(0, 0).width = Mm(170)
    source = folder / "nhan.docx"
    doc.save(source)
    libreoffice_to_pdf(soffice, [source], folder)
    return folder / "nhan.pdf"


def test_label_cells_are_not_writing_frames_but_the_comment_frame_is(blank_pdf, tmp_path):
    from omr.forms.template import load_template
    from omr.template_from.blank import from_blank

    out = tmp_path / "nhan.yaml"
    from_blank(blank_pdf, out)
    template = load_template(out)
    texts = [q for q in template.questions if q.type == "text"]
    assert len(texts) == 1, [q.text for q in texts]
    assert texts[0].text.startswith("Ý kiến khác")
    choices = [q for q in template.questions if q.type != "text"]
    assert len(choices) == 4
    # The 1-5 headings are read for some narrow columns only: the scale is labelled 1..5 throughout.
    assert [[o.label for o in q.options] for q in choices] == \
        [["1", "2", "3", "4", "5"]] * 4


def test_a_scale_read_in_part_is_labelled_by_its_digits():
    from omr.template_from.questions import _digit_scale

    # The trial's 1-5 table: headings 2 and 3 not read.
    assert _digit_scale(["1", "Lựa chọn 2", "Lựa chọn 3", "4", "5"]) == ["1", "2", "3", "4", "5"]
    # Any label that is not its place's digit leaves the labels alone (a person names them in the editor).
    assert _digit_scale(["1", "Lựa chọn 2", "Khác"]) == ["1", "Lựa chọn 2", "Khác"]
    assert _digit_scale(["2", "Lựa chọn 2", "3"]) == ["2", "Lựa chọn 2", "3"]
    assert _digit_scale(["Lựa chọn 1", "Lựa chọn 2"]) == ["Lựa chọn 1", "Lựa chọn 2"]
