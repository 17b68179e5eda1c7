"""The printed PDF: Vietnamese text intact, a readable QR code on every page,
and boxes exactly where the layout says (the reader trusts the layout)."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import zxingcpp

from omr import tuning as T
from omr.cli import main
from omr.errors import TemplateError
from omr.forms.layout import resolve_layout
from omr.forms.qrcodes import parse_payload
from omr.forms.template import load_template

FORM_FILE = "motcua-2026.yaml"
SHEETS = 2
FIRST_SERIAL = 41
UNIT = "XA-01"
PT_PER_MM = 72 / 25.4


@pytest.fixture(scope="module")
def templates_dir(repo_root, tmp_path_factory):
    dest = tmp_path_factory.mktemp("in") / "form_templates"
    shutil.copytree(repo_root / "form_templates", dest)
    return dest


@pytest.fixture(scope="module")
def layout(templates_dir):
    return resolve_layout(load_template(templates_dir / FORM_FILE))


@pytest.fixture(scope="module")
def pdf(templates_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "phieu.pdf"
    code = main(["forms", "print", str(templates_dir / FORM_FILE), "--count", str(SHEETS), "--unit", UNIT,
                 "--first-serial", str(FIRST_SERIAL), "-o", str(out)])
    assert code == 0
    document = pdfium.PdfDocument(str(out))
    yield out, document
    document.close()


def page_text(document, index: int) -> str:
    """The page's text with whitespace (including line breaks) collapsed."""
    return " ".join(document[index].get_textpage().get_text_range().split())


def render_grey(document, index: int, dpi: int) -> np.ndarray:
    image = document[index].render(scale=dpi / 72, grayscale=True).to_numpy()
    return image if image.ndim == 2 else image[:, :, 0]


# --- text --------------------------------------------------------------------

def test_page_count_is_pages_per_sheet_times_sheets(pdf, layout):
    _, document = pdf
    assert len(document) == SHEETS * len(layout.pages) == 4


def test_vietnamese_text_survives_exactly(pdf):
    _, document = pdf
    first = page_text(document, 0)
    for expected in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "PHIẾU KHẢO SÁT MỨC ĐỘ HÀI LÒNG CỦA TỔ CHỨC, CÁ NHÂN ĐỐI VỚI SỰ PHỤC VỤ CỦA BỘ PHẬN MỘT CỬA",
        "Ông/Bà vui lòng đánh dấu X vào ô phù hợp. Phiếu không ghi tên.",
        "Muốn sửa: tô kín ô đã đánh dấu nhầm, rồi đánh dấu X vào ô khác.",
        "A2. Lĩnh vực thủ tục hành chính Ông/Bà đã giải quyết",
        "Lao động – Người có công – Bảo trợ xã hội",
        "B1. Nơi ngồi chờ đủ chỗ, thoáng mát",
        "Số phiếu: 000041",
        "Đơn vị: XA-01",
        "Trang 1/2",
    ]:
        assert expected in first, expected
    second = page_text(document, 1)
    for expected in [
        "D4. Công chức không gây phiền hà, nhũng nhiễu",
        "H2. Ông/Bà có bị yêu cầu trả thêm khoản tiền nào ngoài phí, lệ phí không?",
        "H3. Lý do Ông/Bà chưa hài lòng (nếu có)",
        "Số phiếu: 000041",
        "Trang 2/2",
    ]:
        assert expected in second, expected
    for index in (2, 3):
        text = page_text(document, index)
        assert "Số phiếu: 000042" in text and "Số phiếu: 000041" not in text
        assert "Đơn vị: XA-01" in text


SCALE_HEADERS = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng", "Không ý kiến"]


def test_scale_column_headers_read_in_full(pdf, layout):
    """Each wrapped column header, read inside its column above the first scale row."""
    _, document = pdf
    textpage = document[0].get_textpage()
    height_pt = layout.pages[0].height * PT_PER_MM
    boxes = {c.option: c for c in layout.pages[0].checkboxes if c.question == "B1"}
    for code, expected in zip(["1", "2", "3", "4", "5", "KYK"], SCALE_HEADERS):
        box = boxes[code]
        centre = box.x + box.w / 2
        left, right = centre - T.SCALE_COLUMN_WIDTH / 2 + 0.2, centre + T.SCALE_COLUMN_WIDTH / 2 - 0.2
        top, bottom = box.y - 12.0, box.y
        text = textpage.get_text_bounded(left=left * PT_PER_MM, right=right * PT_PER_MM,
                                         top=height_pt - top * PT_PER_MM, bottom=height_pt - bottom * PT_PER_MM)
        assert " ".join(text.split()) == expected


def test_fonts_are_embedded(pdf):
    path, document = pdf
    assert b"/FontFile2" in path.read_bytes()
    for index in range(len(document)):
        page = document[index]
        text_objects = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]))
        assert text_objects
        for obj in text_objects:
            font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
            assert pdfium_c.FPDFFont_GetIsEmbedded(font) == 1


def test_no_printed_text_touches_a_checkbox(pdf, layout):
    # Ink of a label inside a box would be read as a mark.
    _, document = pdf
    for index, page in enumerate(layout.pages):
        textpage = document[index].get_textpage()
        chars = []
        for i in range(textpage.count_chars()):
            if textpage.get_text_range(i, 1).strip():
                left, bottom, right, top = textpage.get_charbox(i)
                chars.append((left / PT_PER_MM, page.height - top / PT_PER_MM,
                              right / PT_PER_MM, page.height - bottom / PT_PER_MM))
        chars = np.array(chars)
        assert len(chars) > 500
        for box in page.checkboxes:
            hit = ((chars[:, 0] < box.x + box.w) & (chars[:, 2] > box.x)
                   & (chars[:, 1] < box.y + box.h) & (chars[:, 3] > box.y))
            assert not hit.any(), (page.number, box)


# --- QR codes ----------------------------------------------------------------

def read_identity(image: np.ndarray):
    barcodes = zxingcpp.read_barcodes(image)
    assert len(barcodes) == 1
    identity = parse_payload(barcodes[0].text)
    assert identity is not None, barcodes[0].text
    return identity, barcodes[0].position


def test_qr_code_on_every_page_identifies_it(pdf, layout):
    _, document = pdf
    dpi = 200
    px_per_mm = dpi / 25.4
    seen = []
    for index in range(len(document)):
        identity, position = read_identity(render_grey(document, index, dpi))
        seen.append((identity.form_id, identity.version, identity.page, identity.serial, identity.unit))
        qr = layout.page(identity.page).qr
        corners = [position.top_left, position.top_right, position.bottom_right, position.bottom_left]
        xs = [c.x / px_per_mm for c in corners]
        ys = [c.y / px_per_mm for c in corners]
        assert min(xs) == pytest.approx(qr.x, abs=0.5) and max(xs) == pytest.approx(qr.x + qr.w, abs=0.5)
        assert min(ys) == pytest.approx(qr.y, abs=0.5) and max(ys) == pytest.approx(qr.y + qr.h, abs=0.5)
    form, version = layout.form_id, layout.version
    assert seen == [
        (form, version, 1, FIRST_SERIAL, UNIT),
        (form, version, 2, FIRST_SERIAL, UNIT),
        (form, version, 1, FIRST_SERIAL + 1, UNIT),
        (form, version, 2, FIRST_SERIAL + 1, UNIT),
    ]


def test_serials_start_at_one_without_unit_by_default(templates_dir, tmp_path):
    out = tmp_path / "phieu.pdf"
    assert main(["forms", "print", str(templates_dir / FORM_FILE), "--count", "1", "-o", str(out)]) == 0
    document = pdfium.PdfDocument(str(out))
    try:
        assert len(document) == 2
        text = page_text(document, 0)
        assert "Số phiếu: 000001" in text
        assert "Đơn vị" not in text
        identity, _ = read_identity(render_grey(document, 0, 200))
        assert (identity.page, identity.serial, identity.unit) == (1, 1, None)
    finally:
        document.close()


# --- printed geometry ----------------------------------------------------------

def find_squares(grey: np.ndarray, dpi: int, exclude) -> tuple[list, list]:
    """Outer edges (mm) of printed squares 3-9 mm wide: (hollow, filled)."""
    px_per_mm = dpi / 25.4
    _, ink = cv2.threshold(grey, 128, 255, cv2.THRESH_BINARY_INV)
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hollow, filled = [], []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        rect = (x / px_per_mm, y / px_per_mm, w / px_per_mm, h / px_per_mm)
        if not (3.0 <= rect[2] <= 9.0 and 3.0 <= rect[3] <= 9.0 and abs(rect[2] - rect[3]) < 1.0):
            continue
        cx, cy = rect[0] + rect[2] / 2, rect[1] + rect[3] / 2
        if exclude.x <= cx <= exclude.x + exclude.w and exclude.y <= cy <= exclude.y + exclude.h:
            continue  # the QR code's finder patterns are squares too
        if len(cv2.approxPolyDP(contour, 0.05 * cv2.arcLength(contour, True), True)) != 4:
            continue
        fill = cv2.countNonZero(ink[y:y + h, x:x + w]) / (w * h)
        if fill > 0.9:
            filled.append(rect)
        elif fill < 0.5:
            hollow.append(rect)
    return hollow, filled


def match_rects(expected: list[tuple[str, tuple]], found: list[tuple], tolerance: float) -> list[str]:
    """Pair each expected rectangle with the nearest found one; describe every disagreement."""
    problems = []
    unused = list(found)
    for name, (x, y, w, h) in expected:
        if not unused:
            problems.append(f"{name}: không tìm thấy trên trang in")
            continue
        nearest = min(unused, key=lambda r: (r[0] + r[2] / 2 - x - w / 2) ** 2 + (r[1] + r[3] / 2 - y - h / 2) ** 2)
        unused.remove(nearest)
        errors = [abs(a - b) for a, b in zip(nearest, (x, y, w, h))]
        if max(errors) > tolerance:
            problems.append(f"{name}: bố cục {(x, y, w, h)}, bản in {tuple(round(v, 2) for v in nearest)}")
    problems += [f"ô thừa trên bản in: {tuple(round(v, 2) for v in r)}" for r in unused]
    return problems


@pytest.mark.parametrize("page_number", [1, 2])
def test_printed_boxes_and_fiducials_match_the_layout(pdf, layout, page_number):
    _, document = pdf
    page = layout.page(page_number)
    dpi = 300
    hollow, filled = find_squares(render_grey(document, page_number - 1, dpi), dpi, exclude=page.qr)
    boxes = [(f"{c.question}/{c.option}", (c.x, c.y, c.w, c.h)) for c in page.checkboxes]
    assert len(boxes) > 50
    assert match_rects(boxes, hollow, tolerance=0.3) == []
    corners = ("trên-trái", "trên-phải", "dưới-trái", "dưới-phải")
    fiducials = [(name, (f.x, f.y, f.w, f.h)) for name, f in zip(corners, page.fiducials)]
    assert match_rects(fiducials, filled, tolerance=0.3) == []


# --- user mistakes -------------------------------------------------------------

@pytest.mark.parametrize("problem", ["missing-file", "invalid-template"])
def test_bad_template_gives_one_line_message(tmp_path, capsys, problem):
    template = tmp_path / "phieu-sai.yaml"
    if problem == "invalid-template":
        template.write_text("form: phieu-sai\nversion: 1\ntitle: Thử\ngroups:\n  - id: A\n    title: A\n"
                            "    questions:\n      - {id: A1, type: hop_kiem, text: Câu hỏi}\n", encoding="utf-8")
    out = tmp_path / "phieu.pdf"
    code = main(["forms", "print", str(template), "--count", "1", "-o", str(out)])
    assert code == TemplateError.exit_code != 0
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("Lỗi: ")
    assert "phieu-sai.yaml" in lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()
