"""Write the office-made blank forms of this folder (Word documents, as a commune office types them).

    .venv/bin/python tests/data/office-blanks/make_blanks.py

Each ``.docx`` is what an office makes in Word: ☐ and ○ typed as characters, options inline or one per
line, dotted leaders and underscores running into the box, a satisfaction grid in a table, table
cells used as boxes, small lettered bubbles (① ② ③ ④: circled digits, which DejaVu Sans has), a comb field for a number, a landscape page and
a two-page form (and, in ``../office-numbers``, a date marked one digit per row of boxes). The ``-serif`` variants are the same forms typed in Times New Roman, the standard font of
Vietnamese administrative documents (LibreOffice sets it in Liberation Serif, metric-compatible): its
letters' counters (Ô, O, D, Q, 0) are ellipses with thick sides, not the even rings of DejaVu Sans; their
sizes are 13/11 of the others' (13 pt body text, as administrative documents are set). Cells that are
themselves the box hold a white "✓" (invisible on paper) so that the PDF's text layer says where they are: that is the truth ``tests/blank_sources.py`` reads.
``<name>.truth.json`` gives, per page, how many boxes each question has, in document order, and the
option labels as printed (``labels``, per question with options), and the form's ``title``.
"""

from __future__ import annotations

import json
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
FONT = "DejaVu Sans"
SERIF = "Times New Roman"
# Body text of administrative documents is set at 13-14 pt in Times New Roman (the serif variants scale
# every size by 13/11); the DejaVu Sans blanks keep 11 pt.
_scale = 1.0


def _doc(landscape: bool = False, font: str = FONT) -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    style = doc.styles["Normal"]
    style.font.name = font
    style.font.size = Pt(11 * _scale)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), font)
    return doc


def _p(doc, text: str = "", bold: bool = False, size: float = 11, centre: bool = False):
    paragraph = doc.add_paragraph()
    if centre:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if text:
        run = paragraph.add_run(text)
        run.bold = bold
        run.font.size = Pt(size * _scale)
    paragraph.paragraph_format.space_after = Pt(4)
    return paragraph


def _run(paragraph, text: str, size: float = 11, bold: bool = False, white: bool = False):
    run = paragraph.add_run(text)
    run.font.size = Pt(size * _scale)
    run.bold = bold
    if white:
        run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    return run


def _borders(table, style: str = "single", size: int = 4) -> None:
    """Table rules on every cell (Word's default table style has none in python-docx)."""
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), style)
        element.set(qn("w:sz"), str(size))
        element.set(qn("w:color"), "000000")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _widths(table, widths_mm: list[float]) -> None:
    """Fixed column widths (grid and cells), as Word writes them when a user drags the rules."""
    table.autofit = False
    for column, width in zip(table.columns, widths_mm):
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)


def _exact_row_height(row, mm: float) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    height = OxmlElement("w:trHeight")
    height.set(qn("w:val"), str(int(mm / 25.4 * 1440)))
    height.set(qn("w:hRule"), "exact")
    tr_pr.append(height)


def _title(doc, lines: list[str]) -> None:
    _p(doc, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12, centre=True)
    _p(doc, "Độc lập - Tự do - Hạnh phúc", bold=True, size=12, centre=True)
    for line in lines:
        _p(doc, line, bold=True, size=14, centre=True)


def checkboxes_portrait(font: str = FONT) -> tuple[Document, dict]:
    """☐ inline, one per line, with dotted leaders and underscores running into the box."""
    doc = _doc(font=font)
    _title(doc, ["PHIẾU KHẢO SÁT Ý KIẾN NGƯỜI DÂN", "VỀ BỘ PHẬN MỘT CỬA UBND XÃ ĐÔNG HÒA"])
    _p(doc, "Ông/Bà vui lòng đánh dấu X vào ô phù hợp.")
    sizes = []
    p = _p(doc, "Câu 1. Giới tính:   ")
    _run(p, "☐ Nam      ☐ Nữ")
    sizes.append(2)
    p = _p(doc, "Câu 2. Độ tuổi:   ")
    _run(p, "☐ Dưới 30   ☐ 30 – 45   ☐ 46 – 60   ☐ Trên 60")
    sizes.append(4)
    _p(doc, "Câu 3. Ông/Bà nộp hồ sơ bằng cách nào?")
    for label in ("Trực tiếp tại Bộ phận Một cửa", "Trực tuyến trên Cổng dịch vụ công", "Qua bưu chính công ích"):
        p = _p(doc, "    ")
        _run(p, f"{label} ........................................☐")
    sizes.append(3)
    _p(doc, "Câu 4. Thời gian giải quyết hồ sơ:")
    for label in ("Sớm hơn hẹn", "Đúng hẹn", "Trễ hẹn"):
        p = _p(doc, "    ")
        _run(p, f"☐______{label}")
    sizes.append(3)
    p = _p(doc, "Câu 5. Ông/Bà có hài lòng không?   ")
    _run(p, "○ Có        ○ Không        ○ Không ý kiến")
    sizes.append(3)
    _p(doc, "Câu 6. Ý kiến khác:")
    _p(doc, "........................................................................................................")
    _p(doc, "Xin cảm ơn Ông/Bà!", bold=True, centre=True)
    labels = [["Nam", "Nữ"], ["Dưới 30", "30 – 45", "46 – 60", "Trên 60"],
              ["Trực tiếp tại Bộ phận Một cửa", "Trực tuyến trên Cổng dịch vụ công", "Qua bưu chính công ích"],
              ["Sớm hơn hẹn", "Đúng hẹn", "Trễ hẹn"], ["Có", "Không", "Không ý kiến"]]
    return doc, {"pages": {"1": {"question_sizes": sizes, "labels": labels}},
                 "title": "PHIẾU KHẢO SÁT Ý KIẾN NGƯỜI DÂN VỀ BỘ PHẬN MỘT CỬA UBND XÃ ĐÔNG HÒA"}


def grid_and_cells(font: str = FONT) -> tuple[Document, dict]:
    """A satisfaction grid with ☐ in table cells, and a table whose small cells are the boxes."""
    doc = _doc(font=font)
    _title(doc, ["PHIẾU ĐÁNH GIÁ MỨC ĐỘ HÀI LÒNG"])
    _p(doc, "Đánh dấu X vào ô tương ứng với mức độ hài lòng của Ông/Bà.")
    items = ["Nơi ngồi chờ đủ chỗ, thoáng mát", "Công chức hướng dẫn tận tình", "Thủ tục được niêm yết công khai",
             "Phí, lệ phí đúng quy định"]
    levels = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]
    table = doc.add_table(rows=len(items) + 1, cols=len(levels) + 1)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _borders(table)
    table.cell(0, 0).text = "Nội dung"
    for j, level in enumerate(levels, start=1):
        cell = table.cell(0, j)
        cell.text = ""
        _run(cell.paragraphs[0], level, size=8)
    for i, item in enumerate(items, start=1):
        table.cell(i, 0).text = item
        for j in range(1, len(levels) + 1):
            cell = table.cell(i, j)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(cell.paragraphs[0], "☐", size=14)
    sizes = [len(levels)] * len(items)
    _p(doc, "")
    _p(doc, "Ông/Bà đã đến Bộ phận Một cửa mấy lần cho hồ sơ này? (đánh dấu X vào ô)")
    cells = doc.add_table(rows=1, cols=8)
    _borders(cells, size=6)
    labels = ["1 lần", "", "2 lần", "", "3 lần", "", "Trên 3 lần", ""]
    _widths(cells, [28 if label else 6 for label in labels])
    for j, cell in enumerate(cells.rows[0].cells):
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if labels[j]:
            _run(paragraph, labels[j], size=10)
        else:
            _run(paragraph, "✓", size=6, white=True)
    _exact_row_height(cells.rows[0], 6)
    sizes.append(4)
    truth_labels = [levels] * len(items) + [[label for label in labels if label]]
    return doc, {"pages": {"1": {"question_sizes": sizes, "labels": truth_labels}},
                 "title": "PHIẾU ĐÁNH GIÁ MỨC ĐỘ HÀI LÒNG"}


def lettered_comb_landscape() -> tuple[Document, dict]:
    """Landscape: small lettered bubbles ①–④ in rows, and a comb field for a 6-digit number."""
    doc = _doc(landscape=True)
    _p(doc, "BÀI KIỂM TRA KIẾN THỨC THỦ TỤC HÀNH CHÍNH", bold=True, size=14, centre=True)
    _p(doc, "Số báo danh (viết mỗi chữ số vào một ô):")
    comb = doc.add_table(rows=1, cols=6)
    _borders(comb, size=8)
    _widths(comb, [5] * 6)
    for cell in comb.rows[0].cells:
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(paragraph, "✓", size=6, white=True)
    _exact_row_height(comb.rows[0], 7)
    sizes = [6]  # a comb field: one question, written (a text frame in the template)
    _p(doc, "")
    for n in range(1, 9):
        p = _p(doc, f"Câu {n}.  ")
        _run(p, "①   ②   ③   ④", size=10)
        sizes.append(4)
    # A circled digit's label is the digit printed in it; the comb is a writing frame, not options.
    return doc, {"pages": {"1": {"question_sizes": sizes, "labels": [["1", "2", "3", "4"]] * 8}},
                 "title": "BÀI KIỂM TRA KIẾN THỨC THỦ TỤC HÀNH CHÍNH"}


def two_pages() -> tuple[Document, dict]:
    """Two pages, ○ bubbles on both, no serial printed."""
    doc = _doc()
    _title(doc, ["PHIẾU LẤY Ý KIẾN VỀ CẢI CÁCH HÀNH CHÍNH"])
    pages = {}
    sizes = []
    for n in range(1, 9):
        p = _p(doc, f"{n}. Ông/Bà đánh giá thế nào về tiêu chí số {n}?   ")
        _run(p, "○ Tốt   ○ Khá   ○ Trung bình   ○ Kém")
        sizes.append(4)
    pages["1"] = {"question_sizes": sizes, "labels": [["Tốt", "Khá", "Trung bình", "Kém"]] * 8}
    doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    sizes = []
    _p(doc, "PHẦN II. THÔNG TIN NGƯỜI TRẢ LỜI", bold=True, size=12)
    p = _p(doc, "9. Giới tính:   ")
    _run(p, "○ Nam   ○ Nữ")
    sizes.append(2)
    p = _p(doc, "10. Nghề nghiệp:   ")
    _run(p, "☐ Công chức   ☐ Kinh doanh   ☐ Nông dân   ☐ Khác")
    sizes.append(4)
    pages["2"] = {"question_sizes": sizes, "labels": [["Nam", "Nữ"], ["Công chức", "Kinh doanh", "Nông dân", "Khác"]]}
    return doc, {"pages": pages, "title": "PHIẾU LẤY Ý KIẾN VỀ CẢI CÁCH HÀNH CHÍNH"}


# Circled letters are not in DejaVu Sans nor in Liberation: Word takes them from a symbol font (Segoe UI
# Symbol, Cambria Math). Debian's Symbola (a sans symbol font) and STIX (a Times-like maths font) have
# them; ``make test`` installs both (Makefile TEST_APT_PACKAGES).
CIRCLED_FONTS = ("Symbola", "STIXGeneral")


def _circled(doc, label: str, marks: str, font: str, size: float):
    """A question's line: its text, then bubbles typed as circled characters in ``font``."""
    p = _p(doc, f"{label}  ")
    run = _run(p, marks, size=size)
    run.font.name = font
    run.element.rPr.rFonts.set(qn("w:eastAsia"), font)
    run.element.rPr.rFonts.set(qn("w:hAnsi"), font)
    run.element.rPr.rFonts.set(qn("w:cs"), font)
    return p


def circled_letters() -> tuple[Document, dict]:
    """An answer sheet typed in Word with circled letters and digits as bubbles (Ⓐ Ⓑ Ⓒ Ⓓ, ⓐ ⓑ ⓒ,
    ① … ⑤) in two symbol fonts at 10-14 pt; some bubbles with a word after them ("Ⓐ Đúng")."""
    doc = _doc()
    _p(doc, "PHIẾU TRẢ LỜI TRẮC NGHIỆM PHÁP LUẬT", bold=True, size=14, centre=True)
    _p(doc, "Tô kín một ô cho mỗi câu.")
    sizes, labels = [], []
    letters = "ⒶⒷⒸⒹ"
    for n, (font, size) in enumerate([("Symbola", 12), ("Symbola", 10), ("Symbola", 14), ("STIXGeneral", 12),
                                      ("STIXGeneral", 10), ("STIXGeneral", 14)], start=1):
        _circled(doc, f"Câu {n}.", "   ".join(letters), font, size)
        sizes.append(4)
        labels.append(["A", "B", "C", "D"])
    n = len(sizes)
    for font in CIRCLED_FONTS:
        n += 1
        _circled(doc, f"Câu {n}.", "   ".join("ⓐⓑⓒ"), font, 12)
        sizes.append(3)
        labels.append(["a", "b", "c"])
    for font in CIRCLED_FONTS:
        n += 1
        _circled(doc, f"Câu {n}. Mức độ hài lòng (1 thấp nhất, 5 cao nhất):", "  ".join("①②③④⑤"), font, 12)
        sizes.append(5)
        labels.append(["1", "2", "3", "4", "5"])
    for font in CIRCLED_FONTS:
        n += 1
        p = _circled(doc, f"Câu {n}. Hồ sơ được trả đúng hẹn?", "Ⓐ", font, 12)
        _run(p, " Đúng      ")
        run = _run(p, "Ⓑ", size=12)
        run.font.name = font
        run.element.rPr.rFonts.set(qn("w:hAnsi"), font)
        _run(p, " Sai")
        sizes.append(2)
        labels.append(["Đúng", "Sai"])
    return doc, {"pages": {"1": {"question_sizes": sizes, "labels": labels}},
                 "title": "PHIẾU TRẢ LỜI TRẮC NGHIỆM PHÁP LUẬT"}


def satisfaction_table() -> tuple[Document, dict]:
    """The fresh user's LibreOffice blank (issue #16): ☐ and ○ inline, then a 1-5 table whose columns are as
    wide as their short headings («HL», «Rất HL»: unequal, the ☐ centred in each), whose «Nội dung» header
    cell and label cells («3. Công chức lịch sự, tôn trọng», wrapped beside its boxes) are wide enough to
    look like writing frames, and a free-text question with no frame drawn."""
    doc = _doc()
    _title(doc, ["PHIẾU KHẢO SÁT MỨC ĐỘ HÀI LÒNG"])
    _p(doc, "Ông/Bà vui lòng đánh dấu X vào ô phù hợp. Phiếu không ghi tên.")
    _p(doc, "1. Giới tính:   ☐ Nam    ☐ Nữ")
    _p(doc, "2. Độ tuổi:   ○ Dưới 30   ○ 30–45   ○ 46–60   ○ Trên 60")
    items = ["3. Công chức lịch sự, tôn trọng", "4. Hướng dẫn đầy đủ, dễ hiểu", "5. Kết quả đúng hẹn"]
    levels = ["Rất không HL", "Không HL", "Bình thường", "HL", "Rất HL"]
    table = doc.add_table(rows=len(items) + 1, cols=len(levels) + 1)
    _borders(table)
    _widths(table, [60, 29, 23, 26, 9.5, 16.5])
    table.cell(0, 0).text = "Nội dung"
    for j, level in enumerate(levels, start=1):
        table.cell(0, j).text = level
    for i, item in enumerate(items, start=1):
        table.cell(i, 0).text = item
        for j in range(1, len(levels) + 1):
            cell = table.cell(i, j)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(cell.paragraphs[0], "☐")
    _p(doc, "6. Ông/Bà có bị yêu cầu trả thêm chi phí ngoài quy định?   ☐ Không    ☐ Có")
    _p(doc, "7. Ý kiến khác:")
    labels = [["Nam", "Nữ"], ["Dưới 30", "30–45", "46–60", "Trên 60"]] + [levels] * len(items) + [["Không", "Có"]]
    return doc, {"pages": {"1": {"question_sizes": [len(x) for x in labels], "labels": labels}},
                 "title": "PHIẾU KHẢO SÁT MỨC ĐỘ HÀI LÒNG"}


def digit_date(font: str = FONT) -> tuple[Document, dict]:
    """A date marked one digit per row of boxes, as an office copies omr's date into Word: «Ngày: ☐0 … ☐3
    ☐0 … ☐9» (tens, a tab, units), «Tháng: ☐0 ☐1 ☐0 … ☐9», the units columns aligned by a tab stop. Written
    to ``tests/data/office-numbers`` (not among the office blanks the box and label benches count)."""
    doc = _doc(font=font)
    _title(doc, ["PHIẾU LẤY Ý KIẾN NGƯỜI DÂN", "VỀ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"])
    _p(doc, "Câu 1. Ngày tiếp nhận hồ sơ (đánh dấu từng chữ số, ví dụ ngày 05: ô 0 rồi ô 5):")
    sizes, labels = [], []
    for name, tens in (("Ngày", 4), ("Tháng", 2)):
        p = _p(doc, f"{name}:\t")
        for stop in (25, 75):
            p.paragraph_format.tab_stops.add_tab_stop(Mm(stop))
        _run(p, "  ".join(f"☐ {d}" for d in range(tens)) + "\t" + "  ".join(f"☐ {d}" for d in range(10)))
        sizes += [tens, 10]
        labels += [[str(d) for d in range(tens)], [str(d) for d in range(10)]]
    p = _p(doc, "Câu 2. Giới tính:   ")
    _run(p, "☐ Nam      ☐ Nữ")
    sizes.append(2)
    labels.append(["Nam", "Nữ"])
    p = _p(doc, "Câu 3. Ông/Bà có hài lòng không?   ")
    _run(p, "☐ Có        ☐ Không")
    sizes.append(2)
    labels.append(["Có", "Không"])
    return doc, {"pages": {"1": {"question_sizes": sizes, "labels": labels}},
                 "title": "PHIẾU LẤY Ý KIẾN NGƯỜI DÂN VỀ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"}


def main() -> None:
    global _scale
    for name, make in (("checkboxes-portrait", checkboxes_portrait), ("grid-and-cells", grid_and_cells),
                       ("lettered-comb-landscape", lettered_comb_landscape), ("two-pages", two_pages),
                       ("checkboxes-portrait-serif", lambda: checkboxes_portrait(SERIF)),
                       ("grid-and-cells-serif", lambda: grid_and_cells(SERIF)),
                       ("circled-letters", circled_letters), ("satisfaction-table", satisfaction_table)):
        _scale = 13 / 11 if name.endswith("-serif") else 1.0
        doc, truth = make()
        doc.save(HERE / f"{name}.docx")
        (HERE / f"{name}.truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n",
                                                 encoding="utf-8")
    numbers = HERE.parent / "office-numbers"
    numbers.mkdir(exist_ok=True)
    _scale = 1.0
    doc, truth = digit_date()
    doc.save(numbers / "digit-date.docx")
    (numbers / "digit-date.truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n",
                                                   encoding="utf-8")


if __name__ == "__main__":
    main()
