"""PDF pages whose look is more than their scanned image: marks added as annotations, form fields, drawing.

A phone PDF app, Acrobat's pen or «fill & sign» put the respondent's marks on
a scanned page as annotations (Ink, Square, Circle), form fields or drawing
over the scan. Every viewer shows them; the embedded image does not hold them.
Decoding that image alone read such a page as unanswered with status ok. Each
test writes one scanned page (the simulator's blank sheet, JPEG at 200 dpi,
as a scanner stores it) and marks boxes the way such an app does; the page
must read as a viewer shows it. Plain scans must still take the fast path
(the image decoded, never rendered).
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import pikepdf
import numpy as np
import pytest

from omr.forms.qrcodes import PageIdentity
from omr.forms.simulate import _BlankPages, _paste_identity
from omr.model import OK
from omr.scan import ingest
from omr.scan.ingest import iter_pages
from omr.scan.page import process_page

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_variants import pdf_file  # noqa: E402

DPI = 200
PT_PER_MM = 72 / 25.4
SERIAL = 7
# The boxes the respondent marks in the app: question -> option (single-choice questions of page 1).
MARKED = {"A2": "2", "B1": "4"}


@pytest.fixture(scope="module")
def blank_scan(default_layout):
    """Page 1 of sheet SERIAL printed, left unanswered and scanned: (JPEG bytes, (width, height) px, page layout)."""
    template, layout = default_layout
    page = layout.pages[0]
    rgb = _BlankPages(layout, DPI).pages[page.number].copy()
    _paste_identity(rgb, page, PageIdentity(template.form_id, template.version, page.number, SERIAL, None), DPI)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    ok, jpeg = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return jpeg.tobytes(), (grey.shape[1], grey.shape[0]), page


@pytest.fixture
def renders(monkeypatch):
    """Every page render of omr.scan.ingest (its dpi), recorded: an empty list means the fast path."""
    calls: list[float] = []
    real = ingest.render_pdf_page

    def spy(page, dpi):
        calls.append(dpi)
        return real(page, dpi)

    monkeypatch.setattr(ingest, "render_pdf_page", spy)
    return calls


def _stream(dictionary: str, data: bytes) -> bytes:
    return f"<< {dictionary} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def _scan_pdf(path: Path, scan, *, annots=(), overdraw: bytes = b"", fields: bool = False,
              crop: tuple[float, float, float, float] | None = None, clip: bytes = b"") -> Path:
    """Write the scanned page as a one-page PDF (A4, the JPEG over the whole page) with ``annots``.

    ``annots``: (annotation dictionary, appearance stream content or None); "AP" in the dictionary
    stands for the reference to its appearance stream. ``overdraw``: content drawn after the image.
    ``fields``: the annotations are form fields, listed in the catalogue's /AcroForm. ``crop``: the
    page's /CropBox; ``clip``: a clipping path set before the image is painted.
    """
    jpeg, (width_px, height_px), page = scan
    pw, ph = page.width * PT_PER_MM, page.height * PT_PER_MM
    objects: list[bytes] = [b"", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", b"",
                            _stream("", b"q " + clip + f" {pw:.3f} 0 0 {ph:.3f} 0 0 cm /Im0 Do Q\n".encode() + overdraw),
                            _stream(f"/Type /XObject /Subtype /Image /Width {width_px} /Height {height_px} "
                                    "/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", jpeg)]
    refs = []
    for body, appearance in annots:
        number = len(objects) + 1
        refs.append(f"{number} 0 R")
        if appearance is None:
            objects.append(body.encode())
        else:
            rect = body.split("/Rect [")[1].split("]")[0]
            objects.append(body.replace("AP", f"{number + 1} 0 R").encode())
            objects.append(_stream(f"/Type /XObject /Subtype /Form /BBox [{rect}]", appearance))
    acroform = f" /AcroForm << /Fields [{' '.join(refs)}] >>" if fields else ""
    objects[0] = f"<< /Type /Catalog /Pages 2 0 R{acroform} >>".encode()
    cropbox = f" /CropBox [{' '.join(f'{v:.3f}' for v in crop)}]" if crop else ""
    objects[2] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw:.3f} {ph:.3f}]{cropbox} "
                  f"/Resources << /XObject << /Im0 5 0 R >> /Font << /F1 << /Type /Font /Subtype /Type1 "
                  f"/BaseFont /Helvetica >> >> >> /Contents 4 0 R /Annots [{' '.join(refs)}] >>").encode()
    path.write_bytes(pdf_file(objects))
    return path


def _box_pt(scan, question: str, option: str) -> tuple[float, float, float, float]:
    """The box (left, bottom, right, top) in PDF points on the page."""
    page = scan[2]
    box = next(b for b in page.checkboxes if (b.question, b.option) == (question, option))
    ph = page.height * PT_PER_MM
    return (box.x * PT_PER_MM, ph - (box.y + box.h) * PT_PER_MM, (box.x + box.w) * PT_PER_MM, ph - box.y * PT_PER_MM)


def _cross(scan, question, option) -> tuple[str, bytes, str]:
    """A pen cross over a box: (its /Rect, the drawing as content, the strokes as an /InkList)."""
    left, bottom, right, top = _box_pt(scan, question, option)
    w, h = right - left, top - bottom
    a = (left + 0.15 * w, bottom + 0.15 * h, right - 0.15 * w, top - 0.15 * h)
    b = (left + 0.15 * w, top - 0.15 * h, right - 0.15 * w, bottom + 0.15 * h)
    rect = f"{left - 2:.2f} {bottom - 2:.2f} {right + 2:.2f} {top + 2:.2f}"
    drawing = (f"0 0 0.6 RG 1.4 w 1 J {a[0]:.2f} {a[1]:.2f} m {a[2]:.2f} {a[3]:.2f} l S "
               f"{b[0]:.2f} {b[1]:.2f} m {b[2]:.2f} {b[3]:.2f} l S").encode()
    ink = f"[{' '.join(f'{v:.2f}' for v in a)}] [{' '.join(f'{v:.2f}' for v in b)}]"
    return rect, drawing, ink


def _ink(scan, question, option, *, appearance=True, flags=4) -> tuple[str, bytes | None]:
    rect, drawing, ink = _cross(scan, question, option)
    ap = " /AP << /N AP >>" if appearance else ""
    return (f"<< /Type /Annot /Subtype /Ink /Rect [{rect}] /F {flags} /C [0 0 0.6] /BS << /W 1.4 >> "
            f"/InkList [{ink}]{ap} >>", drawing if appearance else None)


def _shape(scan, kind: str, question, option) -> tuple[str, None]:
    """A filled Square or Circle of 2.4 mm in the box's middle, without appearance stream (pdfium makes it)."""
    left, bottom, right, top = _box_pt(scan, question, option)
    cx, cy, r = (left + right) / 2, (bottom + top) / 2, 1.2 * PT_PER_MM
    return (f"<< /Type /Annot /Subtype /{kind} /Rect [{cx - r:.2f} {cy - r:.2f} {cx + r:.2f} {cy + r:.2f}] /F 4 "
            "/C [0 0 0.6] /IC [0 0 0.6] /BS << /W 1 >> >>", None)


def _read(path: Path, catalogue):
    raw, = list(iter_pages(path))
    assert raw.image is not None, raw.error
    return raw, process_page(raw, catalogue)


def _answers(result) -> dict:
    """The questions read with a value and status ok: what goes to the data without a person."""
    assert result.set_aside is None, result.detail
    assert (result.serial, result.page) == (SERIAL, 1)
    return {q.question: q.value for q in result.questions if q.status == OK and q.value is not None}


def test_plain_scan_takes_the_fast_path_and_reads_unanswered(blank_scan, catalogue, renders, tmp_path):
    raw, result = _read(_scan_pdf(tmp_path / "plain.pdf", blank_scan), catalogue)
    assert renders == []  # the scanner's JPEG decoded as it is, never rendered
    assert raw.stream_sha256 is not None
    assert _answers(result) == {}


def test_ink_annotations_ticking_boxes_read_as_the_viewer_shows(blank_scan, catalogue, renders, tmp_path):
    annots = [_ink(blank_scan, q, o) for q, o in MARKED.items()]
    raw, result = _read(_scan_pdf(tmp_path / "ink.pdf", blank_scan, annots=annots), catalogue)
    assert renders and min(renders) >= 199  # rendered at the scan's own resolution
    assert raw.image.shape == (blank_scan[1][1], blank_scan[1][0])
    assert _answers(result) == MARKED


def test_ink_annotation_without_appearance_stream_is_drawn(blank_scan, catalogue, tmp_path):
    # Some apps write only the /InkList; a viewer draws the strokes from it.
    annots = [_ink(blank_scan, q, o, appearance=False) for q, o in MARKED.items()]
    _, result = _read(_scan_pdf(tmp_path / "ink-no-ap.pdf", blank_scan, annots=annots), catalogue)
    assert _answers(result) == MARKED


@pytest.mark.parametrize("kind", ["Square", "Circle"])
def test_square_and_circle_annotations_mark_their_box(kind, blank_scan, catalogue, tmp_path):
    annots = [_shape(blank_scan, kind, q, o) for q, o in MARKED.items()]
    _, result = _read(_scan_pdf(tmp_path / f"{kind}.pdf", blank_scan, annots=annots), catalogue)
    assert _answers(result) == MARKED


@pytest.mark.parametrize("flags", [2 | 4, 32 | 4])  # Hidden, NoView (each with Print)
def test_hidden_annotation_is_not_drawn_like_in_a_viewer(flags, blank_scan, catalogue, renders, tmp_path):
    annots = [_ink(blank_scan, q, o, flags=flags) for q, o in MARKED.items()]
    _, result = _read(_scan_pdf(tmp_path / "hidden.pdf", blank_scan, annots=annots), catalogue)
    assert _answers(result) == {}
    assert renders == []  # nothing shown over the scan: still the fast path


def test_form_checkbox_widgets_ticked_in_an_app_read_as_ticked(blank_scan, catalogue, tmp_path):
    annots = []
    for question, option in MARKED.items():
        rect, drawing, _ = _cross(blank_scan, question, option)
        # A checkbox field with its "on" look; /Off draws nothing. The field is ticked (/V, /AS /Yes).
        annots.append((f"<< /Type /Annot /Subtype /Widget /FT /Btn /T ({question}_{option}) /V /Yes /AS /Yes "
                       f"/Rect [{rect}] /F 4 /AP << /N << /Yes AP >> >> /MK << >> >>", drawing))
    # An unticked field over another box stays empty.
    rect, drawing, _ = _cross(blank_scan, "B2", "3")
    annots.append((f"<< /Type /Annot /Subtype /Widget /FT /Btn /T (B2_3) /V /Off /AS /Off /Rect [{rect}] /F 4 "
                   f"/AP << /N << /Yes AP >> >> >>", drawing))
    _, result = _read(_scan_pdf(tmp_path / "form.pdf", blank_scan, annots=annots, fields=True), catalogue)
    assert _answers(result) == MARKED


def test_vector_drawing_over_the_scan_marks_boxes(blank_scan, catalogue, renders, tmp_path):
    overdraw = b" ".join(_cross(blank_scan, q, o)[1] for q, o in MARKED.items())
    _, result = _read(_scan_pdf(tmp_path / "drawn.pdf", blank_scan, overdraw=b"q " + overdraw + b" Q"), catalogue)
    assert renders
    assert _answers(result) == MARKED


def _typed_x(scan, question, option, mode: int) -> bytes:
    """An "X" typed over a box's middle in Helvetica, text render mode ``mode`` (0 painted, 3 invisible)."""
    left, bottom, right, top = _box_pt(scan, question, option)
    size = 1.3 * (top - bottom)
    return (f"BT {mode} Tr 0 0 0.6 rg /F1 {size:.2f} Tf {(left + right) / 2 - 0.33 * size:.2f} "
            f"{(bottom + top) / 2 - 0.36 * size:.2f} Td (X) Tj ET").encode()


def test_searchable_pdf_with_invisible_ocr_text_keeps_the_fast_path(blank_scan, catalogue, renders, tmp_path):
    # A scanner's «searchable PDF»: the OCR'd words over the scan, invisible (render mode 3), even over boxes.
    words = b" ".join(_typed_x(blank_scan, q, o, 3) for q, o in MARKED.items())
    words += b" BT 3 Tr /F1 14 Tf 60 780 Td (PHIEU KHAO SAT MUC DO HAI LONG) Tj ET"
    raw, result = _read(_scan_pdf(tmp_path / "searchable.pdf", blank_scan, overdraw=words), catalogue)
    assert renders == [] and raw.stream_sha256 is not None
    assert _answers(result) == {}


def test_text_typed_over_boxes_is_read_as_marks(blank_scan, catalogue, renders, tmp_path):
    # The same "X" painted (render mode 0), as a PDF editor's «add text» writes it into the page.
    typed = b" ".join(_typed_x(blank_scan, q, o, 0) for q, o in MARKED.items())
    _, result = _read(_scan_pdf(tmp_path / "typed.pdf", blank_scan, overdraw=typed), catalogue)
    assert renders
    assert _answers(result) == MARKED


@pytest.mark.parametrize("how", ["crop box", "clipping path"])
def test_page_cropped_to_part_of_its_scan_reads_the_part_shown(how, blank_scan, tmp_path):
    # The right 30 % of the scan cut away (a viewer's or phone app's crop tool sets the page's CropBox or
    # clips the image): the viewer shows the left part only, so must omr, never the whole decoded image.
    jpeg, size, page = blank_scan
    grey = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    grey[:, int(0.72 * size[0]):] = 0  # the part cut away is black: seen if it were read
    cut = (cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes(), size, page)
    pw, ph = page.width * PT_PER_MM, page.height * PT_PER_MM
    if how == "crop box":
        path = _scan_pdf(tmp_path / "crop.pdf", cut, crop=(0, 0, 0.7 * pw, ph))
    else:
        path = _scan_pdf(tmp_path / "clip.pdf", cut, clip=f"0 0 {0.7 * pw:.3f} {ph:.3f} re W n".encode())
    raw, = list(iter_pages(path))
    assert raw.image is not None, raw.error
    shown = raw.image if how == "crop box" else raw.image[:, :int(0.69 * raw.image.shape[1])]
    assert shown.mean() > 200  # no black: only what the viewer shows
    if how == "crop box":
        height, width = raw.image.shape
        assert abs(width / height - 0.7 * pw / ph) < 0.01  # the shown part, not the whole scan
    else:  # the page keeps its size, the clipped part white as in a viewer
        assert raw.image[:, int(0.71 * raw.image.shape[1]):].min() > 200


def test_form_fields_pdfium_cannot_draw_set_the_page_aside(blank_scan, tmp_path):
    # Checkbox widgets on the page but no /AcroForm in the catalogue: pdfium has no form to draw
    # them with, and reading the page without its ticks would give blank answers with status ok.
    annots = []
    for question, option in MARKED.items():
        rect, drawing, _ = _cross(blank_scan, question, option)
        annots.append((f"<< /Type /Annot /Subtype /Widget /FT /Btn /T ({question}) /V /Yes /AS /Yes "
                       f"/Rect [{rect}] /F 4 /AP << /N << /Yes AP >> >> >>", drawing))
    raw, = list(iter_pages(_scan_pdf(tmp_path / "loose-fields.pdf", blank_scan, annots=annots)))
    assert raw.image is None and raw.error.reason == "unreadable"
    assert "trang 1: trang có ô biểu mẫu" in raw.error.message


@pytest.mark.parametrize("shown", [True, False])
def test_optional_content_is_read_as_its_layers_show_by_default(shown, blank_scan, catalogue, tmp_path):
    # Marks drawn into the scan; the scan sits on a layer (optional content) shown or hidden by default.
    jpeg, size, page = blank_scan
    grey = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    for question, option in MARKED.items():
        box = next(b for b in page.checkboxes if (b.question, b.option) == (question, option))
        x0, y0 = int(box.x * DPI / 25.4), int(box.y * DPI / 25.4)
        x1, y1 = int((box.x + box.w) * DPI / 25.4), int((box.y + box.h) * DPI / 25.4)
        cv2.line(grey, (x0 + 4, y0 + 4), (x1 - 4, y1 - 4), 30, 4)
        cv2.line(grey, (x1 - 4, y0 + 4), (x0 + 4, y1 - 4), 30, 4)
    marked = (cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes(), size, page)
    path = _scan_pdf(tmp_path / "layers.pdf", marked)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        layer = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String("Scan")))
        pdf.Root.OCProperties = pikepdf.Dictionary(
            OCGs=[layer], D=pikepdf.Dictionary(ON=[layer] if shown else [], OFF=[] if shown else [layer]))
        first = pdf.pages[0]
        first.obj.Resources.Properties = pikepdf.Dictionary(Scan=layer)
        first.obj.Contents = pdf.make_stream(b"/OC /Scan BDC " + first.obj.Contents.read_bytes() + b" EMC")
        pdf.save(path)
    raw, = list(iter_pages(path))
    if shown:
        assert _answers(process_page(raw, catalogue)) == MARKED
    else:  # the viewer shows an empty page: never the hidden layer's answers
        assert raw.image is not None and raw.image.min() > 200
