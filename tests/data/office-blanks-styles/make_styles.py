"""Write the held-out office blanks of this folder: styles the blanks of ../office-blanks lack (issue #16).

    .venv/bin/python tests/data/office-blanks-styles/make_styles.py

Five styles offices use, each in two instances (``-a``: the one box finding may be tuned on; ``-b``: the
held-out one, different words, counts, fonts and sizes, that the figures and the test are reported on):
- ``wingdings``: boxes inserted by Word's Insert > Symbol from Wingdings (❑ q, □ o, ◻ ¨: ``w:sym``, which
  LibreOffice draws from OpenSymbol and writes as U+F071, U+F06F, U+F0A8 in the PDF's text layer), typed
  AFTER their label («Nam ❑»), some after a dotted leader;
- ``likert-shaded``: a satisfaction grid whose shaded header row carries the option labels (Rất hài lòng …
  Rất không hài lòng), one ☐ per cell;
- ``two-column``: a page set in two newspaper columns (Word: Layout > Columns > Two), options one per line;
- ``a5-circled``: an A5 landscape slip with circled numbers ① … ⑤ as the options;
- ``logo-signature``: a form with a logo image in the header, boxes after their labels and a signature line.

``<name>.truth.json`` is as in ../office-blanks (questions' box counts in document order, labels, title).
"""

from __future__ import annotations

import copy
import io
import json
import math
import sys
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "office-blanks"))
import make_blanks as mb  # noqa: E402

# Word's Insert > Symbol boxes in Wingdings: (w:char, what it looks like).
WINGDINGS = {"q": "F071", "o": "F06F", "box": "F0A8"}


def _sym(paragraph, char: str, size: float = 11):
    run = paragraph.add_run()
    run.font.size = mb.Pt(size * mb._scale)
    sym = OxmlElement("w:sym")
    sym.set(qn("w:font"), "Wingdings")
    sym.set(qn("w:char"), char)
    run._r.append(sym)
    return run


def _shade(cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def wingdings(variant: str):
    """Wingdings boxes after their labels: inline («Nam ❑   Nữ ❑») and one per line after a dotted leader."""
    b = variant == "b"
    doc = mb._doc(font=mb.SERIF if b else mb.FONT)
    mb._title(doc, ["TỜ KHAI THÔNG TIN HỘ GIA ĐÌNH" if b else "PHIẾU THU THẬP Ý KIẾN CỬ TRI"])
    mb._p(doc, "Đánh dấu X vào ô phù hợp.")
    sizes, labels = [], []
    inline = ([("1. Giới tính chủ hộ:", ["Nam", "Nữ"], "q"), ("2. Hộ nghèo:", ["Có", "Không"], "o"),
               ("3. Nhà ở:", ["Kiên cố", "Bán kiên cố", "Tạm"], "q")] if b else
              [("Câu 1. Giới tính:", ["Nam", "Nữ"], "q"), ("Câu 2. Đã đi bầu cử:", ["Có", "Không", "Không nhớ"], "q"),
               ("Câu 3. Nhóm tuổi:", ["18 – 30", "31 – 50", "Trên 50"], "o")])
    for text, options, kind in inline:
        p = mb._p(doc, text + "   ")
        for option in options:
            mb._run(p, option + " ")
            _sym(p, WINGDINGS[kind], 12 if b else 11)
            mb._run(p, "      ")
        sizes.append(len(options))
        labels.append(options)
    listed = ([("4. Nguồn nước sinh hoạt:", ["Nước máy", "Giếng khoan", "Nước mưa", "Khác"], "box")] if b else
              [("Câu 4. Ông/Bà biết thông tin từ đâu?", ["Loa phát thanh", "Tổ trưởng dân phố", "Mạng xã hội"], "box")])
    for text, options, kind in listed:
        mb._p(doc, text)
        for option in options:
            p = mb._p(doc, "    " + option + " " + "." * (60 - 2 * len(option)) + " ")
            _sym(p, WINGDINGS[kind], 12 if b else 11)
        sizes.append(len(options))
        labels.append(options)
    mb._p(doc, "Ý kiến khác: ..........................................................................................")
    title = "TỜ KHAI THÔNG TIN HỘ GIA ĐÌNH" if b else "PHIẾU THU THẬP Ý KIẾN CỬ TRI"
    return doc, {"pages": {"1": {"question_sizes": sizes, "labels": labels}}, "title": title}


def likert_shaded(variant: str):
    """A grid whose shaded header row names the options, one ☐ per cell, then an inline question."""
    b = variant == "b"
    doc = mb._doc(font=mb.SERIF if b else mb.FONT)
    mb._title(doc, ["PHIẾU ĐÁNH GIÁ CHẤT LƯỢNG DỊCH VỤ Y TẾ" if b else "PHIẾU KHẢO SÁT SỰ HÀI LÒNG"])
    mb._p(doc, "Xin Ông/Bà cho biết mức độ hài lòng (đánh dấu X vào một ô mỗi dòng):")
    levels = (["Rất hài lòng", "Hài lòng", "Không hài lòng", "Rất không hài lòng"] if b else
              ["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng"])
    items = (["Thái độ của bác sĩ", "Thời gian chờ khám", "Vệ sinh phòng bệnh", "Giá dịch vụ", "Hướng dẫn sau khám",
              "Trang thiết bị"] if b else
             ["Tiếp đón", "Hướng dẫn thủ tục", "Thời gian giải quyết", "Thái độ công chức"])
    table = doc.add_table(rows=len(items) + 1, cols=len(levels) + 2)
    mb._borders(table)
    mb._widths(table, ([10, 62] + [27] * 4) if b else ([10, 55] + [23] * 5))
    header = ["STT", "Nội dung"] + levels
    for j, text in enumerate(header):
        cell = table.cell(0, j)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        mb._run(cell.paragraphs[0], text, size=10 if b else 9, bold=True)
        _shade(cell, "BFBFBF" if b else "D9D9D9")
    for i, item in enumerate(items, start=1):
        table.cell(i, 0).text = str(i)
        table.cell(i, 1).text = item
        for j in range(2, len(levels) + 2):
            cell = table.cell(i, j)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            mb._run(cell.paragraphs[0], "☐", size=12 if b else 11)
    sizes = [len(levels)] * len(items)
    labels = [levels] * len(items)
    mb._p(doc, "")
    p = mb._p(doc, "Ông/Bà có giới thiệu người thân đến đây không?   " if b else "Ông/Bà có quay lại không?   ")
    mb._run(p, "☐ Có      ☐ Không")
    sizes.append(2)
    labels.append(["Có", "Không"])
    title = "PHIẾU ĐÁNH GIÁ CHẤT LƯỢNG DỊCH VỤ Y TẾ" if b else "PHIẾU KHẢO SÁT SỰ HÀI LÒNG"
    return doc, {"pages": {"1": {"question_sizes": sizes, "labels": labels}}, "title": title}


def _two_columns(doc) -> None:
    cols = doc.sections[-1]._sectPr.xpath("./w:cols")
    element = cols[0] if cols else OxmlElement("w:cols")
    element.set(qn("w:num"), "2")
    element.set(qn("w:space"), str(int(10 / 25.4 * 1440)))
    if not cols:
        doc.sections[-1]._sectPr.append(element)


def two_column(variant: str):
    """A page in two newspaper columns, each question's options one per line."""
    b = variant == "b"
    doc = mb._doc(font=mb.SERIF if b else mb.FONT)
    box = "○" if b else "☐"
    questions = ([("Câu 1. Trình độ học vấn", ["Tiểu học", "Trung học cơ sở", "Trung học phổ thông", "Đại học"]),
                  ("Câu 2. Nghề nghiệp", ["Nông nghiệp", "Công nhân", "Buôn bán"]),
                  ("Câu 3. Thu nhập hằng tháng", ["Dưới 5 triệu", "5 – 10 triệu", "Trên 10 triệu"]),
                  ("Câu 4. Số người trong hộ", ["1 – 2", "3 – 4", "5 trở lên"]),
                  ("Câu 5. Hộ có vay vốn ngân hàng chính sách?", ["Có", "Không"]),
                  ("Câu 6. Phương tiện đi lại chính", ["Xe đạp", "Xe máy", "Ô tô", "Khác"]),
                  ("Câu 7. Hộ có sử dụng Internet?", ["Có", "Không"])] if b else
                 [("1. Ông/Bà đến làm thủ tục gì?", ["Hộ tịch", "Đất đai", "Chứng thực", "Khác"]),
                  ("2. Số lần đi lại", ["Một lần", "Hai lần", "Ba lần trở lên"]),
                  ("3. Được hướng dẫn đầy đủ?", ["Có", "Không"]),
                  ("4. Thời gian chờ", ["Dưới 15 phút", "15 – 30 phút", "Trên 30 phút"]),
                  ("5. Phải bổ sung hồ sơ?", ["Không", "Một lần", "Nhiều lần"]),
                  ("6. Đánh giá chung", ["Tốt", "Khá", "Trung bình", "Kém"])])
    title = "PHIẾU ĐIỀU TRA HỘ GIA ĐÌNH" if b else "PHIẾU LẤY Ý KIẾN TẠI BỘ PHẬN MỘT CỬA"
    mb._p(doc, title, bold=True, size=14, centre=True)
    mb._p(doc, "Khoanh tròn hoặc đánh dấu vào ô phù hợp." if b else "Đánh dấu X vào ô phù hợp.")
    # The columns start after the heading: a continuous section break, then a two-column section.
    heading = doc.add_paragraph()
    sect = OxmlElement("w:sectPr")  # the one-column section ends at this paragraph
    for child in doc.sections[-1]._sectPr:
        if child.tag in (qn("w:pgSz"), qn("w:pgMar")):
            sect.append(copy.deepcopy(child))
    heading._p.get_or_add_pPr().append(sect)
    kind = OxmlElement("w:type")
    kind.set(qn("w:val"), "continuous")
    doc.sections[-1]._sectPr.insert(0, kind)
    _two_columns(doc)
    sizes, labels = [], []
    for n, (text, options) in enumerate(questions):
        heading = mb._p(doc, text, bold=True)
        if n == (len(questions) + 1) // 2:  # Layout > Breaks > Column: the rest goes to the right column
            heading.runs[0]._r.addprevious(_column_break())
        for option in options:
            mb._p(doc, f"   {box} {option}")
        sizes.append(len(options))
        labels.append(options)
    return doc, {"pages": {"1": {"question_sizes": sizes, "labels": labels}}, "title": title}


def _column_break():
    run = OxmlElement("w:r")
    br = OxmlElement("w:br")
    br.set(qn("w:type"), "column")
    run.append(br)
    return run


def a5_circled(variant: str):
    """An A5 landscape slip: circled numbers ① … ⑤ as the options of a 1-5 scale."""
    b = variant == "b"
    doc = mb._doc(font=mb.SERIF if b else mb.FONT)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(148)
    section.orientation = mb.WD_ORIENT.LANDSCAPE
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(12 if b else 10))
    title = "PHIẾU CHẤM ĐIỂM CÁN BỘ TIẾP DÂN" if b else "PHIẾU ĐÁNH GIÁ NHANH"
    mb._p(doc, title, bold=True, size=13, centre=True)
    mb._p(doc, "Khoanh tròn một số: 1 = rất kém … 5 = rất tốt." if b else "Tô kín một số (1 thấp nhất, 5 cao nhất).",
          size=10)
    items = (["Thái độ tiếp dân", "Giải thích rõ ràng", "Đúng giờ làm việc", "Giữ trật tự nơi tiếp dân"] if b else
             ["Tiếp đón", "Hướng dẫn", "Thời gian", "Kết quả", "Cơ sở vật chất"])
    marks = "①②③④⑤"
    sizes, labels = [], []
    for n, item in enumerate(items, start=1):
        p = mb._p(doc, f"{n}. {item}:\t", size=10)
        p.paragraph_format.tab_stops.add_tab_stop(Mm(80 if b else 70))
        mb._run(p, ("    " if b else "   ").join(marks), size=14 if b else 12)
        sizes.append(5)
        labels.append(list("12345"))
    return doc, {"pages": {"1": {"question_sizes": sizes, "labels": labels}}, "title": title}


def _logo_png(b: bool) -> io.BytesIO:
    """A commune's emblem-like logo: a dark disc with a ring and a star, as offices paste into the header."""
    from PIL import Image, ImageDraw

    size = 300
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    colour = (150, 20, 20) if b else (30, 30, 120)
    draw.ellipse((10, 10, size - 10, size - 10), outline=colour, width=18)
    draw.ellipse((60, 60, size - 60, size - 60), fill=colour)
    cx = cy = size / 2
    points = []
    for k in range(10):
        r = 70 if k % 2 == 0 else 28
        a = -math.pi / 2 + k * math.pi / 5
        points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    draw.polygon(points, fill=(250, 220, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    out.seek(0)
    return out


def logo_signature(variant: str):
    """A logo in a header table, boxes after their labels, and a signature block at the foot."""
    b = variant == "b"
    doc = mb._doc(font=mb.SERIF if b else mb.FONT)
    head = doc.add_table(rows=1, cols=2)
    mb._widths(head, [40, 140])
    logo_cell, text_cell = (head.cell(0, 1), head.cell(0, 0)) if b else (head.cell(0, 0), head.cell(0, 1))
    logo_cell.paragraphs[0].add_run().add_picture(_logo_png(b), width=Mm(22 if b else 25))
    name = "TRUNG TÂM Y TẾ HUYỆN NAM ĐÀN" if b else "UBND XÃ TÂN PHÚ"
    mb._run(text_cell.paragraphs[0], name, bold=True, size=12)
    text_cell.add_paragraph().add_run("Số: ....../PKS")
    title = "PHIẾU ĐĂNG KÝ TIÊM CHỦNG" if b else "PHIẾU ĐĂNG KÝ THAM GIA LỚP TẬP HUẤN"
    mb._p(doc, title, bold=True, size=14, centre=True)
    mb._p(doc, "Họ và tên: ..............................................................................")
    box = "○" if b else "☐"
    questions = ([("Đối tượng:", ["Trẻ em", "Người cao tuổi", "Phụ nữ mang thai"]),
                  ("Đã tiêm mũi trước:", ["Có", "Không"]),
                  ("Có bệnh nền:", ["Có", "Không", "Không rõ"]),
                  ("Buổi tiêm mong muốn:", ["Sáng", "Chiều"])] if b else
                 [("Lớp đăng ký:", ["Chuyển đổi số", "Kỹ năng mềm", "Phòng cháy chữa cháy"]),
                  ("Hình thức:", ["Trực tiếp", "Trực tuyến"]),
                  ("Cần chỗ ở:", ["Có", "Không"])])
    sizes, labels = [], []
    for text, options in questions:
        p = mb._p(doc, text + "   ")
        mb._run(p, "     ".join(f"{option} {box}" for option in options))
        sizes.append(len(options))
        labels.append(options)
    mb._p(doc, "")
    sign = doc.add_table(rows=1, cols=2)
    mb._widths(sign, [90, 90])
    left = sign.cell(0, 0).paragraphs[0]
    left.alignment = WD_ALIGN_PARAGRAPH.CENTER
    mb._run(left, "XÁC NHẬN CỦA CƠ QUAN", bold=True)
    right = sign.cell(0, 1).paragraphs[0]
    right.alignment = WD_ALIGN_PARAGRAPH.CENTER
    mb._run(right, "........, ngày ..... tháng ..... năm 20....", size=10)
    p = sign.cell(0, 1).add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    mb._run(p, "NGƯỜI ĐĂNG KÝ", bold=True)
    p = sign.cell(0, 1).add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    mb._run(p, "(Ký, ghi rõ họ tên)", size=10)
    for _ in range(3):
        sign.cell(0, 1).add_paragraph()
    p = sign.cell(0, 1).add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    mb._run(p, "______________________________")
    return doc, {"pages": {"1": {"question_sizes": sizes, "labels": labels}}, "title": title}


STYLES = {"wingdings": wingdings, "likert-shaded": likert_shaded, "two-column": two_column,
          "a5-circled": a5_circled, "logo-signature": logo_signature}


def main() -> None:
    for name, make in STYLES.items():
        for variant in ("a", "b"):
            mb._scale = 13 / 11 if variant == "b" else 1.0
            doc, truth = make(variant)
            doc.save(HERE / f"{name}-{variant}.docx")
            (HERE / f"{name}-{variant}.truth.json").write_text(
                json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
