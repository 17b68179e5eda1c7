"""Blank forms with known boxes, for the box-finding tests and bench (issue #16).

Each source yields ``(name, grey page, px per mm, truth boxes [(x, y, w, h) mm], truth question of
each box)``:
- ``omr``: omr's own printed blank (its frozen layout is the truth; a date's tens and units are
  separate questions, as a person answers them);
- ``office``: the LibreOffice documents in ``tests/data/office-blanks/`` (see its README), converted
  to PDF once per run; the truth is the position of every box character (☐ ○) in the PDF's text
  layer, plus the drawn boxes listed in each document's ``.truth.json``;
  (the ``-serif`` ones are typed in Times New Roman, which LibreOffice sets in Liberation Serif);
- ``serif-scan``: those serif blanks printed and scanned at 200 dpi (:func:`scanned`: blur, grey paper,
  noise; no turn, so the text layer's truth stays where it is);
- ``office-scan``: every office blank printed and scanned (:func:`scanned`) at each of the dpi asked;
- ``date-grid``: :func:`word_date_grid_blank` (a bold title, a vertical day/month digit grid), both
  variants, rendered and scanned at each dpi asked;
- ``omrchecker``: OMRChecker's blank ``sample6/reference.png`` from ../shared, its template's bubbles.

With ``with_pdf`` each record also carries ``(pdf, page index)`` of a page rendered from a PDF with a
text layer (None otherwise), for reading its words as ``omr template from-blank`` does.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OFFICE_DIR = ROOT / "tests" / "data" / "office-blanks"
# Office blanks with numbers marked one digit per row of boxes (#16), kept apart from the blanks the box
# and label benches count.
NUMBERS_DIR = ROOT / "tests" / "data" / "office-numbers"
# Held-out office blanks in styles the blanks above lack (Wingdings boxes after labels, a shaded Likert
# header, two columns, A5 circled numbers, a logo and a signature line; see its make_styles.py): ``-a``
# instances may be tuned on, ``-b`` ones are reported on. Asked for by name only (``styles``).
STYLES_DIR = ROOT / "tests" / "data" / "office-blanks-styles"
# ✓: a white mark in a table cell that is itself the box; circled digits and letters (① … ⑳, Ⓐ … Ⓩ, ⓐ … ⓩ):
# bubbles, each one box.
# □ ❑ ❏: boxes typed from a symbol font; U+F071 U+F06F U+F0A8: Wingdings' ❑ □ ◻ inserted by Word's Insert >
# Symbol, which LibreOffice draws from OpenSymbol and keeps as these private-use codes in the text layer.
BOX_CHARS = "☐○✓□❑❏\uf071\uf06f\uf0a8" + "".join(map(chr, range(0x2460, 0x2474))) + \
    "".join(map(chr, range(0x24B6, 0x24EA)))
# A folder that every pytest-xdist worker of one test run shares (set by tests/conftest.py): the office
# blanks are converted into it once per run, keyed by their content, instead of once per test module.
PDF_CACHE: Path | None = None


def external_root() -> Path | None:
    """../shared/data/external beside the checkout, or $OMR_EXTERNAL_DATA; None when absent."""
    for p in ([Path(os.environ["OMR_EXTERNAL_DATA"])] if os.environ.get("OMR_EXTERNAL_DATA") else []) + [
            ROOT.parent / "shared" / "data" / "external", Path("/work/shared/data/external")]:
        if (p / "omrchecker").is_dir():
            return p
    return None


def render_pdf(pdf: Path, dpi: int) -> list[tuple[np.ndarray, float]]:
    """(grey page, px per mm) of every page of a PDF, rendered by pdfium."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    out = []
    try:
        for page in doc:
            bitmap = page.render(scale=dpi / 72, grayscale=True).to_numpy()
            grey = bitmap if bitmap.ndim == 2 else bitmap[..., 0]
            out.append((np.ascontiguousarray(grey), dpi / 25.4))
    finally:
        doc.close()
    return out


def omr_blank_pdf(folder: Path) -> Path:
    """omr's own blank (serial 000001), printed into ``folder``."""
    from omr.forms.layout import resolve_layout
    from omr.forms.printing import print_forms
    from omr.forms.template import load_template

    pdf = folder / "motcua-blank.pdf"
    if not pdf.is_file():
        layout = resolve_layout(load_template(ROOT / "form_templates" / "motcua-2026.yaml"))
        print_forms(layout, pdf, count=1, unit="30001")
    return pdf


def omr_truth() -> list[tuple[list, list]]:
    from omr.forms.layout import resolve_layout
    from omr.forms.template import load_template

    layout = resolve_layout(load_template(ROOT / "form_templates" / "motcua-2026.yaml"))
    out = []
    for page in layout.pages:
        boxes = [(c.x, c.y, c.w, c.h) for c in page.checkboxes]
        questions = [c.question + ("/" + c.option.split(":")[0] if ":" in c.option else "") for c in page.checkboxes]
        out.append((boxes, questions))
    return out


def office_pdfs(folder: Path, sources_dir: Path = OFFICE_DIR) -> list[Path]:
    """The office blanks of ``sources_dir`` converted to PDF by LibreOffice (none when LibreOffice is absent)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    sources = sorted(p for p in sources_dir.glob("*") if p.suffix in (".fodt", ".html", ".odt", ".docx"))
    if not soffice or not sources:
        return []
    missing = [p for p in sources if not (folder / (p.stem + ".pdf")).is_file()]
    if missing and PDF_CACHE is not None:
        key = hashlib.sha256(soffice.encode() + b"".join(p.name.encode() + p.read_bytes() for p in missing))
        cached = PDF_CACHE / key.hexdigest()[:24]
        PDF_CACHE.mkdir(parents=True, exist_ok=True)
        with open(PDF_CACHE / (cached.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be converting the same blanks
            if not (cached / ".done").is_file():
                libreoffice_to_pdf(soffice, missing, cached)
                (cached / ".done").touch()
        folder.mkdir(parents=True, exist_ok=True)
        for p in missing:
            shutil.copyfile(cached / (p.stem + ".pdf"), folder / (p.stem + ".pdf"))
    elif missing:
        libreoffice_to_pdf(soffice, missing, folder)
    return [folder / (p.stem + ".pdf") for p in sources]


def libreoffice_to_pdf(soffice: str, sources: list[Path], folder: Path) -> None:
    """``sources`` to PDF files in ``folder`` by LibreOffice, with a profile of its own."""
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(folder)] + [str(p) for p in sources],
                       check=True, capture_output=True, timeout=240)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def char_boxes(pdf: Path) -> list[list[tuple[str, tuple[float, float, float, float]]]]:
    """Per page, every box character (☐ ○) with its ink box (x, y, w, h) in mm from the top-left."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    pages = []
    try:
        for page in doc:
            height = page.get_height()
            text = page.get_textpage()
            found = []
            for i in range(text.count_chars()):
                ch = text.get_text_range(i, 1)
                if ch and ch in BOX_CHARS:
                    left, bottom, right, top = text.get_charbox(i, loose=False)
                    mm = 25.4 / 72
                    box = (left * mm, (height - top) * mm, (right - left) * mm, (top - bottom) * mm)
                    if ch == "✓":  # a white mark inside a ~6 mm cell: the cell is the box, about there
                        cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
                        box = (cx - 3, cy - 3, 6.0, 6.0)
                    found.append((ch, box))
            pages.append(found)
    finally:
        doc.close()
    return pages


def page_count(pdf: Path) -> int:
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        return len(doc)
    finally:
        doc.close()


def scanned(grey: np.ndarray, seed: int = 16) -> np.ndarray:
    """A printed page as an office flatbed scans it: the print softened (3 x 3 blur), the paper grey
    (~235), the print darker, sensor noise (sigma 4 levels). Nothing moves: boxes stay where the PDF has them."""
    import cv2

    rng = np.random.default_rng(seed)
    soft = cv2.GaussianBlur(grey, (3, 3), 0).astype(np.float32)
    page = 20 + soft * (215 / 255) + rng.normal(0, 4, grey.shape)
    return np.clip(page, 0, 255).astype(np.uint8)


def _office_truth(pdf: Path, sources_dir: Path = OFFICE_DIR):
    chars = char_boxes(pdf)
    extra_path = sources_dir / (pdf.stem + ".truth.json")
    extra = json.loads(extra_path.read_text(encoding="utf-8")) if extra_path.is_file() else {}
    out = []
    for number, page_chars in enumerate(chars, start=1):
        boxes = [box for _, box in page_chars]
        page_extra = extra.get("pages", {}).get(str(number), {})
        questions = [f"Q{qi}" for qi, size in enumerate(page_extra.get("question_sizes", [])) for _ in range(size)]
        out.append((boxes, questions if len(questions) == len(boxes) else []))
    return out


def pages(only: str | None, dpis: list[int], folder: Path | None = None, with_pdf: bool = False):
    """Every (name, grey, px_per_mm, truth boxes, truth questions[, (pdf, page index) or None]) of the
    chosen sources (``only``: omr | office | serif-scan | office-scan | date-grid | styles | omrchecker, or None
    for all; the ``office-scan``, ``date-grid`` and ``styles`` pages are given only when asked for by name)."""
    folder = folder or Path(tempfile.gettempdir()) / "omr-blank-sources"
    folder.mkdir(parents=True, exist_ok=True)

    def record(name, grey, ppm, boxes, questions, source=None):
        return (name, grey, ppm, boxes, questions) + ((source,) if with_pdf else ())

    if only in (None, "omr"):
        truth = omr_truth()
        pdf = omr_blank_pdf(folder)
        for dpi in dpis:
            for number, (grey, ppm) in enumerate(render_pdf(pdf, dpi), start=1):
                boxes, questions = truth[number - 1]
                yield record(f"omr motcua-2026 p{number} {dpi}dpi", grey, ppm, boxes, questions, (pdf, number - 1))
    if only in (None, "office"):
        for pdf in office_pdfs(folder):
            truth = _office_truth(pdf)
            for dpi in dpis:
                for number, (grey, ppm) in enumerate(render_pdf(pdf, dpi), start=1):
                    boxes, questions = truth[number - 1]
                    yield record(f"office {pdf.stem} p{number} {dpi}dpi", grey, ppm, boxes, questions,
                                 (pdf, number - 1))
    if only in (None, "serif-scan"):
        for pdf in office_pdfs(folder):
            if not pdf.stem.endswith("-serif"):
                continue
            truth = _office_truth(pdf)
            for number, (grey, ppm) in enumerate(render_pdf(pdf, 200), start=1):
                boxes, questions = truth[number - 1]
                yield record(f"serif-scan {pdf.stem} p{number} 200dpi", scanned(grey), ppm, boxes, questions)
    if only == "office-scan":
        for pdf in office_pdfs(folder):
            truth = _office_truth(pdf)
            for dpi in dpis:
                for number, (grey, ppm) in enumerate(render_pdf(pdf, dpi), start=1):
                    boxes, questions = truth[number - 1]
                    yield record(f"office-scan {pdf.stem} p{number} {dpi}dpi", scanned(grey), ppm, boxes, questions)
    if only == "styles":
        styles = folder / "styles"
        for pdf in office_pdfs(styles, STYLES_DIR):
            truth = _office_truth(pdf, STYLES_DIR)
            for dpi in dpis:
                for number, (grey, ppm) in enumerate(render_pdf(pdf, dpi), start=1):
                    boxes, questions = truth[number - 1]
                    yield record(f"styles {pdf.stem} p{number} {dpi}dpi", grey, ppm, boxes, questions,
                                 (pdf, number - 1))
    if only == "date-grid":
        for touching in (False, True):
            pdf = word_date_grid_blank(folder, touching)
            boxes = [box for char, box in char_boxes(pdf)[0] if char == "☐"]
            grid = len(boxes) - 4  # the text layer gives the table row by row, then Q2's and Q3's two boxes
            lefts = sorted({round(box[0]) for box in boxes[:grid]})
            questions = [DATE_GRID_COLUMNS[lefts.index(round(box[0]))][0] for box in boxes[:grid]] + \
                ["Q2"] * 2 + ["Q3"] * 2
            for dpi in dpis:
                [(grey, ppm)] = render_pdf(pdf, dpi)
                yield record(f"date-grid {pdf.stem} {dpi}dpi", grey, ppm, boxes, questions, (pdf, 0))
                yield record(f"date-grid-scan {pdf.stem} {dpi}dpi", scanned(grey), ppm, boxes, questions)
    if only in (None, "omrchecker"):
        root = external_root()
        if root is not None:
            for item in _omrchecker_reference(root, folder):
                yield record(*item)


# OMRChecker's sample6/reference.png (a blank cover page at 300 dpi, A4) holds few boxes: its digit grid
# was cleared from it. Its boxes, annotated by eye (mm at 210 mm wide): the seven shaded cells where the
# student number is written, and the three empty rings U, HT, NT (the ring "A" is printed filled).
SAMPLE6_BOXES = [((142.3 + 4.17 * i, 101.9, 4.5, 7.2), "student number") for i in range(7)] + [
    ((138.5, 109.3, 3.5, 3.5), "status"), ((138.5, 117.7, 3.5, 3.5), "status"), ((138.5, 121.9, 3.5, 3.5), "status")]


def _omrchecker_reference(root: Path, folder: Path):
    import cv2

    grey = cv2.imread(str(root / "omrchecker" / "samples" / "sample6" / "reference.png"), cv2.IMREAD_GRAYSCALE)
    yield ("omrchecker sample6 reference.png", grey, grey.shape[1] / 210.0, [b for b, _ in SAMPLE6_BOXES],
           [q for _, q in SAMPLE6_BOXES])


def soffice() -> str:
    """The LibreOffice command; fails the test (never skips) when it is missing."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    assert found, "LibreOffice (libreoffice-writer-nogui) is needed to make the Word blank"
    return found


def word_blank(title: str = "PHIẾU LẤY Ý KIẾN NGƯỜI DÂN"):
    """A python-docx Document as an office types a form: A4, 20 mm side margins, DejaVu Sans 11 pt, the
    title at 14 pt as its first paragraph."""
    from docx import Document  # python-docx: only the tests that build Word blanks need it
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "DejaVu Sans", Pt(11)
    doc.add_paragraph(title).runs[0].font.size = Pt(14)
    return doc


def word_box_grid(doc, labels: list[str], heading: str = "Nội dung", missing_heading: int | None = None,
                  widths_mm: tuple[float, ...] = (75, 14, 14, 14, 14, 14), headings: list[str] | None = None):
    """Adds to ``doc`` a 1-5 satisfaction table as offices type it: a label column, then one ☐ (16 pt, centred)
    per scale point under headings 1..5 (``missing_heading``: that column's heading cell left empty, as a
    heading the reader missed). Widths in mm, set on columns and cells (LibreOffice reads the columns', Word
    the cells'). ``headings``: the scale's column headings instead of 1..5 (words that wrap in a narrow
    column). Returns the python-docx table."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    table = doc.add_table(rows=len(labels) + 1, cols=len(widths_mm))
    table.style = "Table Grid"
    table.autofit = False
    for c, width in enumerate(widths_mm):
        table.columns[c].width = Mm(width)
    for row in table.rows:
        for c, cell in enumerate(row.cells):
            cell.width = Mm(widths_mm[c])
    table.cell(0, 0).text = heading
    for i in range(1, len(widths_mm)):
        table.cell(0, i).text = "" if i == missing_heading else headings[i - 1] if headings else str(i)
    for j, label in enumerate(labels, start=1):
        table.cell(j, 0).text = label
        for i in range(1, len(widths_mm)):
            paragraph = table.cell(j, i).paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run("☐").font.size = Pt(16)
    return table


def word_date_grid_blank(folder: Path, touching: bool = False) -> Path:
    """A Word blank (python-docx, converted by LibreOffice) with a bold 16 pt title full of O, Ô, Ộ, Đ and a
    survey date marked digit by digit in a vertical grid: a table of four columns headed «Ngày (chục)»,
    «Ngày (đơn vị)», «Tháng (chục)», «Tháng (đơn vị)», each cell below a ☐ and its digit, 0 … 3, 0 … 9,
    0 … 1, 0 … 9 downwards (``touching``: «☐0» typed together at 14 pt, else «☐ 0» with a 16 pt box);
    then two ordinary questions. Returns the PDF; the truth is the PDF's ☐ characters (:func:`char_boxes`)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = word_blank("PHIẾU ĐÁNH GIÁ MỨC ĐỘ HÀI LÒNG CỦA TỔ CHỨC, CÔNG DÂN ĐỐI VỚI BỘ PHẬN MỘT CỬA")
    title = doc.paragraphs[0]
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in title.runs:
        run.bold, run.font.size = True, Pt(16)
    doc.add_paragraph("Đánh dấu X vào ô phù hợp.")
    doc.add_paragraph("Câu 1. Ngày khảo sát (mỗi cột đánh dấu một chữ số):")
    table = doc.add_table(rows=11, cols=len(DATE_GRID_COLUMNS))
    table.autofit = False
    for c, (heading, digits) in enumerate(DATE_GRID_COLUMNS):
        table.columns[c].width = Mm(30)
        for row in table.rows:
            row.cells[c].width = Mm(30)
        table.cell(0, c).text = heading
        for d in range(digits):
            paragraph = table.cell(d + 1, c).paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if touching:
                paragraph.add_run(f"☐{d}").font.size = Pt(14)
            else:
                paragraph.add_run("☐").font.size = Pt(16)
                paragraph.add_run(f" {d}")
    doc.add_paragraph("Câu 2. Giới tính:   ☐ Nam     ☐ Nữ")
    doc.add_paragraph("Câu 3. Ông/Bà có hài lòng không?   ☐ Có     ☐ Không")
    stem = "ngay-cot-" + ("lien" if touching else "cach")
    source = folder / f"{stem}.docx"
    doc.save(source)
    libreoffice_to_pdf(soffice(), [source], folder)
    return folder / f"{stem}.pdf"


# The vertical date grid of :func:`word_date_grid_blank`: (column heading, how many digits 0 … n-1).
DATE_GRID_COLUMNS = (("Ngày (chục)", 4), ("Ngày (đơn vị)", 10), ("Tháng (chục)", 2), ("Tháng (đơn vị)", 10))
