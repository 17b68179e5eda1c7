"""Paint a resolved layout into a vector PDF: the forms staff print.

Everything printed comes from the layout (:mod:`omr.forms.layout`); this module only
paints, so the PDF and the layout JSON cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from omr import tuning as T
from omr.forms.fonts import FONT_NAMES, register_fonts, text_width_mm, wrap_text
from omr.forms.layout import Layout, PageLayout
from omr.forms.qr_symbol import qr_matrix
from omr.forms.qrcodes import PageIdentity, encode_payload, format_serial

GUIDE_GREY = 0.72
# The closing line of the form, printed under the last question of the last page.
THANK_YOU = "Xin trân trọng cảm ơn sự hợp tác của Ông/Bà!"
ISSUER_PT = 8.0  # the issuing body's lines on page 1 (the national motto beside them is 10 pt)
ISSUER_MIN_PT = 6.0  # a long unit name is shrunk down to this, then wrapped
UNIT_LINE_PT = 8.0
THANK_YOU_PT = 8.0
HEADER_GAP_MM = 3.0  # between the issuing body's block and the national motto


@dataclass(frozen=True)
class FormHeader:
    """Who issues the form, printed top left of page 1 (Decree 30/2020/NĐ-CP, Appendix I, item 2).

    ``issuer``: the issuing body's kind ("ỦY BAN NHÂN DÂN"); ``unit_name``:
    the unit from the registry ("Phường Cao Lãnh"); ``unit_code``: its code.
    """

    issuer: str
    unit_name: str
    unit_code: str


def header_for_unit(code: str, registry_units) -> FormHeader | None:
    """The header of unit ``code`` from registry rows (omr.online.units.Unit), its latest name; None when unknown."""
    rows = [u for u in registry_units if u.code == code or u.code.lstrip("0") == code.lstrip("0")]
    if not rows:
        return None
    latest = max(rows, key=lambda u: (u.valid_from is not None, u.valid_from or 0))
    return FormHeader("ỦY BAN NHÂN DÂN", latest.name, code)


def _y(page: PageLayout, y_mm: float) -> float:
    return (page.height - y_mm) * mm


def draw_page(canvas: Canvas, layout: Layout, page: PageLayout, identity: PageIdentity | None,
              header: FormHeader | None = None) -> None:
    """Paint one page; without ``identity`` the QR code and serial are left out.

    ``header`` (the unit from the registry) replaces the bare unit code: the
    issuing body on page 1, the unit's name on the others. Nothing of the
    frozen layout moves: these lines go in the free space the layout leaves
    (left of the national motto, above the title, under the last question).
    """
    canvas.setPageSize((page.width * mm, page.height * mm))
    for d in page.decor:
        if d.kind == "text":
            canvas.setFont(FONT_NAMES[d.bold], d.size)
            canvas.setFillGray(0)
            if d.align == "center":
                canvas.drawCentredString(d.x * mm, _y(page, d.y), d.text)
            else:
                canvas.drawString(d.x * mm, _y(page, d.y), d.text)
        elif d.kind == "line":
            canvas.setStrokeGray(0)
            canvas.setLineWidth(d.size * mm)
            canvas.setDash()
            canvas.line(d.x * mm, _y(page, d.y), d.x2 * mm, _y(page, d.y2))
        elif d.kind == "guide":
            canvas.setStrokeGray(GUIDE_GREY)
            canvas.setLineWidth(d.size * mm)
            canvas.setDash(1, 2)
            canvas.line(d.x * mm, _y(page, d.y), d.x2 * mm, _y(page, d.y2))
            canvas.setDash()
        elif d.kind == "frame":
            canvas.setStrokeGray(0)
            canvas.setLineWidth(d.size * mm)
            canvas.rect(d.x * mm, _y(page, d.y2), (d.x2 - d.x) * mm, (d.y2 - d.y) * mm, stroke=1, fill=0)
    canvas.setFillGray(0)
    for f in page.fiducials:
        canvas.rect(f.x * mm, _y(page, f.y + f.h), f.w * mm, f.h * mm, stroke=0, fill=1)
    canvas.setStrokeGray(0)
    canvas.setLineWidth(T.BOX_LINE_WIDTH * mm)
    half_line = T.BOX_LINE_WIDTH / 2
    for box in page.checkboxes:
        # The stroke is centred on the path: inset by half a line so the printed
        # outer edge is exactly the layout's box.
        canvas.rect((box.x + half_line) * mm, _y(page, box.y + box.h - half_line),
                    (box.w - T.BOX_LINE_WIDTH) * mm, (box.h - T.BOX_LINE_WIDTH) * mm, stroke=1, fill=0)
    if identity is not None:
        _draw_qr(canvas, page, encode_payload(identity))
        canvas.setFont(FONT_NAMES[True], 8)
        sx, sy = page.serial_anchor
        canvas.drawCentredString(sx * mm, _y(page, sy), f"Số phiếu: {format_serial(identity.serial)}")
        if header is None and identity.unit:
            canvas.setFont(FONT_NAMES[False], 8)
            ux, uy = page.unit_anchor
            canvas.drawString(ux * mm, _y(page, uy), f"Đơn vị: {identity.unit}")
    if header is not None:
        issuer_drawn = page.number == 1 and _draw_issuer(canvas, page, header)
        if not issuer_drawn:
            _draw_unit_line(canvas, page, f"Đơn vị: {header.unit_name} (mã {header.unit_code})")
    if page.number == len(layout.pages):
        _draw_thank_you(canvas, page)


def _motto_left(page: PageLayout) -> float:
    """Where the centred text at the top of the page (the national motto) starts, in mm; the page centre if none."""
    starts = [d.x - text_width_mm(d.text, d.size, d.bold) / 2 for d in page.decor
              if d.kind == "text" and d.align == "center" and d.y < page.serial_anchor[1]]
    return min(starts, default=page.width / 2)


def _fitted(text: str, width_mm: float, bold: bool) -> tuple[list[str], float]:
    """``text`` in as few lines as fit ``width_mm``: shrunk from ISSUER_PT to ISSUER_MIN_PT, then wrapped."""
    size = ISSUER_PT
    while size > ISSUER_MIN_PT and text_width_mm(text, size, bold) > width_mm:
        size -= 0.5
    return wrap_text(text, width_mm, size, bold), size


def _draw_issuer(canvas: Canvas, page: PageLayout, header: FormHeader) -> bool:
    """The issuing body, top left of page 1: body kind, unit name in bold capitals, a short rule, the code.

    Returns False (nothing drawn) when the layout leaves no room left of the motto.
    """
    left = page.unit_anchor[0]
    right = _motto_left(page) - HEADER_GAP_MM
    if right - left < 25.0:
        return False
    centre = (left + right) / 2
    y = page.unit_anchor[1]
    lines = [(header.issuer.upper(), False, *_fitted(header.issuer.upper(), right - left, False))]
    lines.append((header.unit_name.upper(), True, *_fitted(header.unit_name.upper(), right - left, True)))
    bottom_limit = page.serial_anchor[1]  # the title starts below the printed serial
    canvas.setFillGray(0)
    widest = 0.0
    for _, bold, wrapped, size in lines:
        for line in wrapped:
            canvas.setFont(FONT_NAMES[bold], size)
            canvas.drawCentredString(centre * mm, _y(page, y), line)
            widest = max(widest, text_width_mm(line, size, bold)) if bold else widest
            y += size * 0.42
    # A short rule under the name, a third of its width, as Decree 30 sets it under the issuing body.
    canvas.setStrokeGray(0)
    canvas.setLineWidth(0.3 * mm)
    rule_y = y - size * 0.42 + 2.0  # 2 mm under the name's baseline, clear of its descenders
    canvas.line((centre - widest / 6) * mm, _y(page, rule_y), (centre + widest / 6) * mm, _y(page, rule_y))
    y = rule_y + 3.0
    if y <= bottom_limit:
        canvas.setFont(FONT_NAMES[False], 7)
        canvas.drawCentredString(centre * mm, _y(page, y), f"Mã đơn vị: {header.unit_code}")
    return True


def _draw_unit_line(canvas: Canvas, page: PageLayout, text: str) -> None:
    ux, uy = page.unit_anchor
    room = page.qr.x - 3.0 - ux
    size = UNIT_LINE_PT
    while size > ISSUER_MIN_PT and text_width_mm(text, size, False) > room:
        size -= 0.5
    canvas.setFont(FONT_NAMES[False], size)
    canvas.drawString(ux * mm, _y(page, uy), text)


def _draw_thank_you(canvas: Canvas, page: PageLayout) -> None:
    """The closing thank-you line, centred in the space between the last question and the bottom corner marks."""
    footer_y = max((d.y for d in page.decor if d.kind == "text" and d.text.startswith("Trang")), default=None)
    content = [d.y2 if d.kind != "text" and d.y2 is not None else d.y for d in page.decor
               if not (d.kind == "text" and d.y == footer_y)]
    content += [b.y + b.h for b in page.checkboxes]
    bottom_marks = min(f.y for f in page.fiducials if f.y > page.height / 2)
    top = max(content, default=0.0)
    if bottom_marks - top < 4.0:
        return  # a full page: no room without touching a question or a corner mark
    baseline = min(top + 4.0, bottom_marks - 1.5)
    canvas.setFont(FONT_NAMES[True], THANK_YOU_PT)
    canvas.setFillGray(0)
    canvas.drawCentredString(page.width / 2 * mm, _y(page, baseline), THANK_YOU)


def _draw_qr(canvas: Canvas, page: PageLayout, payload: str) -> None:
    matrix = qr_matrix(payload)
    n = matrix.shape[0]
    module = page.qr.w / n
    canvas.setFillGray(0)
    for r in range(n):
        c = 0
        while c < n:  # one rectangle per horizontal run keeps the PDF small
            if not matrix[r, c]:
                c += 1
                continue
            start = c
            while c < n and matrix[r, c]:
                c += 1
            canvas.rect((page.qr.x + start * module) * mm, _y(page, page.qr.y + (r + 1) * module),
                        (c - start) * module * mm, module * mm, stroke=0, fill=1)


def print_forms(layout: Layout, out_path: str | Path, count: int, first_serial: int = 1,
                unit: str | None = None, header: FormHeader | None = None) -> int:
    """Write ``count`` sheets (every page of the form each) to one PDF; return pages written.

    ``header``: the unit's issuing body and name (:func:`header_for_unit`);
    without it the unit is printed as its code.
    """
    register_fonts()
    canvas = Canvas(str(out_path), pagesize=(T.PAGE_WIDTH * mm, T.PAGE_HEIGHT * mm), pageCompression=1,
                    initialFontName=FONT_NAMES[False])
    canvas.setTitle(f"{layout.form_id} v{layout.version}")
    canvas.setAuthor("omr")
    pages = 0
    for serial in range(first_serial, first_serial + count):
        for page in layout.pages:
            draw_page(canvas, layout, page, PageIdentity(layout.form_id, layout.version, page.number, serial, unit),
                      header)
            canvas.showPage()
            pages += 1
    canvas.save()
    return pages


def print_blank_pages(layout: Layout, out_path: str | Path, header: FormHeader | None = None) -> None:
    """The form's pages without QR code or serial (the simulator's background).

    ``header``: the unit's issuing body and name, drawn exactly as
    :func:`print_forms` draws them, so simulated scans carry the printed header.
    """
    register_fonts()
    canvas = Canvas(str(out_path), pagesize=(T.PAGE_WIDTH * mm, T.PAGE_HEIGHT * mm), initialFontName=FONT_NAMES[False])
    for page in layout.pages:
        draw_page(canvas, layout, page, None, header)
        canvas.showPage()
    canvas.save()
