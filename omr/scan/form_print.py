"""The print of omr's own form pages, known from their layout (no scan of a blank needed).

omr prints its forms itself (:func:`omr.forms.printing.print_blank_pages`, the drawing
``omr forms print`` makes, without the QR code and serial printed per sheet), so what a page
carries before anyone writes on it is known: rendered once per form page and process, at
CANONICAL_PX_PER_MM on the page's layout coordinates (row = y mm x K, column = x mm x K).
Two readers use it: :mod:`omr.scan.show_through` (the back page's print seen through the paper)
and the check for pen marks beside a question's boxes
(:func:`omr.scan.printed_boxes.unexplained_marks`, through :func:`printed_mask`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np

from omr import tuning as T
from omr.forms.layout import Layout, PageLayout
from omr.scan.printed_boxes import grow_print

K = T.CANONICAL_PX_PER_MM

# (form id, version) -> page number -> the page's print, grey uint8 (255 paper).
_PAGES: dict[tuple[str, int], dict[int, np.ndarray]] = {}
# (form id, version, page number) -> printed_mask of that page.
_MASKS: dict[tuple[str, int, int], np.ndarray] = {}


def page_print(layout: Layout, page: PageLayout) -> np.ndarray:
    """``page``'s print as omr prints it: grey uint8 (255 = paper), (h, w) = page mm x K.

    Every page of the layout is rendered at the first call for any of them (one PDF, ~0.3 s
    of CPU for the two pages of the default form) and kept for the process. Raises
    ``ValueError`` for a page of a form designed elsewhere (``page.pinned``: omr did not print it).
    """
    if page.pinned:
        raise ValueError("a form designed elsewhere: its print is its blank's scan, not omr's drawing")
    key = (layout.form_id, layout.version)
    if key not in _PAGES:
        _PAGES[key] = _render(layout)
    return _PAGES[key][page.number]


def printed_mask(layout: Layout, page: PageLayout) -> np.ndarray:
    """Where ``page`` carries print, grown for the scan's misplacement: uint8 0/1, shape as
    :func:`page_print`. Print is what is darker than the paper by UNEXPLAINED_PRINT_CONTRAST
    (grey levels), grown by OWN_PRINT_SLACK_MM (what is left of the registration's error once
    the print is moved with the boxes, a copier's thicker print) by
    :func:`omr.scan.printed_boxes.grow_print`, as the print of a scanned blank is grown. Computed once per page and process (~10 ms)."""
    key = (layout.form_id, layout.version, page.number)
    if key not in _MASKS:
        grey = page_print(layout, page)
        printed = (grey.astype(np.float32) < 255 - T.UNEXPLAINED_PRINT_CONTRAST).astype(np.uint8)
        _MASKS[key] = grow_print(printed, T.OWN_PRINT_SLACK_MM)
    return _MASKS[key]


def _render(layout: Layout) -> dict[int, np.ndarray]:
    import pypdfium2 as pdfium

    from omr.forms.printing import print_blank_pages

    pages = {}
    with tempfile.TemporaryDirectory() as tmp:
        pdf_path = Path(tmp) / "blank.pdf"
        print_blank_pages(layout, pdf_path)
        pdf = pdfium.PdfDocument(str(pdf_path))
        try:
            for index, page in enumerate(layout.pages):
                grey = pdf[index].render(scale=K * 25.4 / 72.0, grayscale=True).to_numpy()
                grey = grey[:, :, 0] if grey.ndim == 3 else grey
                pages[page.number] = np.ascontiguousarray(grey)
        finally:
            pdf.close()
    return pages


def back_ink(layout: Layout, other: PageLayout) -> np.ndarray:
    """The print of ``other`` (a page's back) as ink float32 0..1 (1 = the print's black), mirrored
    left-right and softened by SHOW_THROUGH_BLUR_MM: what shows through the paper
    (:func:`omr.scan.show_through.back_print` caches it per page)."""
    ink = 1.0 - page_print(layout, other).astype(np.float32) / 255.0
    sigma = T.SHOW_THROUGH_BLUR_MM * K
    if sigma > 0:
        ink = cv2.GaussianBlur(ink, (0, 0), sigma)
    return np.ascontiguousarray(ink[:, ::-1])
