"""Paint a resolved layout into a vector PDF: the forms staff print.

Everything printed comes from the layout (:mod:`omr.forms.layout`); this module only
paints, so the PDF and the layout JSON cannot disagree.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from omr import tuning as T
from omr.forms.fonts import FONT_NAMES, register_fonts
from omr.forms.layout import Layout, PageLayout
from omr.forms.qrcodes import PageIdentity, encode_payload, format_serial, qr_matrix

GUIDE_GREY = 0.72


def _y(page: PageLayout, y_mm: float) -> float:
    return (page.height - y_mm) * mm


def draw_page(canvas: Canvas, layout: Layout, page: PageLayout, identity: PageIdentity | None) -> None:
    """Paint one page; without ``identity`` the QR code and serial are left out."""
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
        if identity.unit:
            canvas.setFont(FONT_NAMES[False], 8)
            ux, uy = page.unit_anchor
            canvas.drawString(ux * mm, _y(page, uy), f"Đơn vị: {identity.unit}")


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
                unit: str | None = None) -> int:
    """Write ``count`` sheets (every page of the form each) to one PDF; return pages written."""
    register_fonts()
    canvas = Canvas(str(out_path), pagesize=(T.PAGE_WIDTH * mm, T.PAGE_HEIGHT * mm), pageCompression=1,
                    initialFontName=FONT_NAMES[False])
    canvas.setTitle(f"{layout.form_id} v{layout.version}")
    canvas.setAuthor("omr")
    pages = 0
    for serial in range(first_serial, first_serial + count):
        for page in layout.pages:
            draw_page(canvas, layout, page, PageIdentity(layout.form_id, layout.version, page.number, serial, unit))
            canvas.showPage()
            pages += 1
    canvas.save()
    return pages


def print_blank_pages(layout: Layout, out_path: str | Path) -> None:
    """The form's pages without QR code or serial (the simulator's background)."""
    register_fonts()
    canvas = Canvas(str(out_path), pagesize=(T.PAGE_WIDTH * mm, T.PAGE_HEIGHT * mm), initialFontName=FONT_NAMES[False])
    for page in layout.pages:
        draw_page(canvas, layout, page, None)
        canvas.showPage()
    canvas.save()
