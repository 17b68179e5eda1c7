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
from omr.forms.fonts import PT_TO_MM, text_width_mm
from omr.forms.layout import Layout, PageLayout
from omr.scan.printed_boxes import grow_print

K = T.CANONICAL_PX_PER_MM

# (form id, version) -> page number -> the page's print, grey uint8 (255 paper).
_PAGES: dict[tuple[str, int], dict[int, np.ndarray]] = {}
# (form id, version, page number) -> printed_mask of that page.
_MASKS: dict[tuple[str, int, int], np.ndarray] = {}
# (form id, version, page number) -> print_core of that page.
_CORES: dict[tuple[str, int, int], np.ndarray] = {}
# (form id, version, page number) -> option_labels of that page.
_LABELS: dict[tuple[str, int, int], dict[tuple[str, str], tuple[float, float, float, float]]] = {}
# (form id, version, page number) -> question_titles of that page.
_TITLES: dict[tuple[str, int, int], dict[str, tuple[float, float, float, float]]] = {}


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
        _MASKS[key] = grow_print(print_core(layout, page), T.OWN_PRINT_SLACK_MM)
    return _MASKS[key]


def print_core(layout: Layout, page: PageLayout) -> np.ndarray:
    """Where ``page`` carries print, not grown: uint8 0/1, shape as :func:`page_print` (what the check of
    writing in a question's area registers to the page, :func:`omr.scan.printed_boxes.writing_in_areas`).
    Print is what is darker than the paper by UNEXPLAINED_PRINT_CONTRAST (grey levels). Cached per page."""
    key = (layout.form_id, layout.version, page.number)
    if key not in _CORES:
        grey = page_print(layout, page)
        _CORES[key] = (grey.astype(np.float32) < 255 - T.UNEXPLAINED_PRINT_CONTRAST).astype(np.uint8)
    return _CORES[key]


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


# (form id, version, page number) -> question_areas of that page.
_AREAS: dict[tuple[str, int, int], dict[str, tuple[float, float, float, float]]] = {}


def _text_rect(d) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) mm on the layout of a printed text (a ``Decor`` of kind "text"): its width measured
    with the form's font, from 0.8 of its size above the baseline to 0.25 of it below."""
    size = d.size * PT_TO_MM
    width = text_width_mm(d.text, d.size, d.bold)
    left = d.x - width / 2 if d.align == "center" else d.x
    return left, d.y - 0.8 * size, left + width, d.y + 0.25 * size


def question_areas(layout: Layout, page: PageLayout) -> dict[str, tuple[float, float, float, float]]:
    """Per question of omr's own ``page``, the rectangle (x0, y0, x1, y1), mm on the layout, that holds its
    boxes and the print that belongs to it, padded: where a respondent writes an answer beside the boxes.

    The print of a question is its title (the text starting «A2.», with the lines wrapped under it) and every
    text printed on its rows of boxes (option labels, «Ngày:», the scale row's question text). The
    rectangle around boxes and texts is grown by OWN_AREA_PAD_MM on three sides and OWN_AREA_RIGHT_MM to
    the right (a word written after the last option), a date's by OWN_DATE_AREA_RIGHT_MM (a date written in
    figures after the grid) and OWN_DATE_AREA_BELOW_MM below (over the next question's title), never into
    the page's left margin (left of every text and box: notes are written there), and kept
    OWN_AREA_PAGE_EDGE_MM in from the page's edges. Computed once per page and process (text widths
    measured with the form's font).
    Raises ``ValueError`` for a page of a form designed elsewhere (``page.pinned``).
    """
    if page.pinned:
        raise ValueError("a form designed elsewhere: its print is its blank's scan, not omr's drawing")
    key = (layout.form_id, layout.version, page.number)
    if key in _AREAS:
        return _AREAS[key]
    kinds = {q.id: q.type for q in layout.questions}
    texts = [d for d in page.decor if d.kind == "text" and d.text]

    rows: dict[str, list] = {}
    for box in page.checkboxes:
        rows.setdefault(box.question, []).append(box)
    # The page's left margin, left of every text and box, holds notes, not answers.
    margin = min([d.x for d in texts if d.align != "center"] + [b.x for b in page.checkboxes])
    areas: dict[str, tuple[float, float, float, float]] = {}
    for question, boxes in rows.items():
        rects = [(b.x, b.y, b.x + b.w, b.y + b.h) for b in boxes]
        spans = {(round(b.y, 2), round(b.y + b.h, 2)) for b in boxes}
        title = None
        for d in texts:
            on_row = any(top <= d.y <= bottom + 1.5 for top, bottom in spans)
            starts = d.text.startswith(f"{question}.")
            follows = (title is not None and abs(d.x - title.x) < 0.5 and 0 < d.y - title.y <= 2.0 * d.size * PT_TO_MM
                       and not d.text[:1].isupper() and "." not in d.text[:4])
            if on_row or starts or follows:
                rects.append(_text_rect(d))
                if starts or follows:
                    title = d
        date = kinds.get(question) == "date"
        x0, y0 = min(r[0] for r in rects) - T.OWN_AREA_PAD_MM, min(r[1] for r in rects) - T.OWN_AREA_PAD_MM
        x1 = max(r[2] for r in rects) + (T.OWN_DATE_AREA_RIGHT_MM if date else T.OWN_AREA_RIGHT_MM)
        y1 = max(r[3] for r in rects) + (T.OWN_DATE_AREA_BELOW_MM if date else T.OWN_AREA_PAD_MM)
        edge = T.OWN_AREA_PAGE_EDGE_MM
        areas[question] = (max(x0, edge, margin), max(y0, edge), min(x1, page.width - edge),
                           min(y1, page.height - edge))
    _AREAS[key] = areas
    return areas


def question_titles(layout: Layout, page: PageLayout) -> dict[str, tuple[float, float, float, float]]:
    """Per question of omr's own ``page``, the rectangle (x0, y0, x1, y1), mm on the layout, of its title's
    first line (the text starting «B2.»): print that only this question's row carries. Questions without
    such a text are left out. Cached per page and process.
    Raises ``ValueError`` for a page of a form designed elsewhere (``page.pinned``)."""
    if page.pinned:
        raise ValueError("a form designed elsewhere: its print is its blank's scan, not omr's drawing")
    key = (layout.form_id, layout.version, page.number)
    if key not in _TITLES:
        questions = {b.question for b in page.checkboxes}
        titles = {}
        for d in page.decor:
            head = d.text.split(".", 1)[0] if d.kind == "text" and d.text and "." in d.text[:5] else None
            if head in questions and head not in titles:
                titles[head] = _text_rect(d)
        _TITLES[key] = titles
    return _TITLES[key]


def option_labels(layout: Layout, page: PageLayout) -> dict[tuple[str, str], tuple[float, float, float, float]]:
    """Per box of omr's own ``page`` whose option's label is printed just after it (choice questions, the
    digits of a date's grid; not the scale rows, whose labels head the columns): (question, option) -> the
    label's rectangle (x0, y0, x1, y1), mm on the layout, from its top (0.8 of the text's size above the
    baseline) to 0.25 of it below. A text printed on the box's row starting BOX_LABEL_GAP (+- OWN_LABEL_MATCH_MM)
    after its right side is its label. Cached per page and process.
    Raises ``ValueError`` for a page of a form designed elsewhere (``page.pinned``)."""
    if page.pinned:
        raise ValueError("a form designed elsewhere: its print is its blank's scan, not omr's drawing")
    key = (layout.form_id, layout.version, page.number)
    if key not in _LABELS:
        texts = [d for d in page.decor if d.kind == "text" and d.text and d.align != "center"]
        labels = {}
        for b in page.checkboxes:
            for d in texts:
                if abs(d.x - (b.x + b.w + T.BOX_LABEL_GAP)) <= T.OWN_LABEL_MATCH_MM \
                        and b.y <= d.y <= b.y + b.h + T.OWN_LABEL_BELOW_MM:
                    labels[(b.question, b.option)] = _text_rect(d)
                    break
        _LABELS[key] = labels
    return _LABELS[key]


def titles_in_place(ink, layout: Layout, page: PageLayout, shifts: dict[str, tuple[float, float]]) -> dict[str, float]:
    """How much of each question's title print (:func:`question_titles`) the scan shows where the question's
    boxes were read: the share (0..1) of the title's printed pixels (:func:`print_core`) with ink at least
    INK_THRESHOLD within one pixel (1 / CANONICAL_PX_PER_MM mm) of them, the title moved by the question's box
    shift.

    A row of boxes read where the layout puts it carries its own title (a clean or harsh scan: 0.87-1.0); a
    row slid into another's place by a fold hiding a strip of the sheet carries the next row's title, whose
    letters fall elsewhere (bench/hunt/paper2.py fold_hide: 0.0-0.66).

    Args:
        ink: the aligned page's ink (:class:`omr.scan.align.PageInk`, ``region_mm``).
        layout, page: omr's own form page.
        shifts: question -> (dx, dy) mm, the median offset of its boxes as found; only these questions are
            measured.

    Returns:
        {question id: share} for the questions of ``shifts`` that have a title.
    """
    core = print_core(layout, page)
    out = {}
    for question, (x0, y0, x1, y1) in question_titles(layout, page).items():
        if question not in shifts:
            continue
        dx, dy = shifts[question]
        c0, r0, c1, r1 = (int(round(v * K)) for v in (x0, y0, x1, y1))
        printed = core[r0:r1, c0:c1].astype(bool)
        seen = ink.region_mm(x0 + dx, y0 + dy, x1 - x0, y1 - y0)
        h, w = min(printed.shape[0], seen.shape[0]), min(printed.shape[1], seen.shape[1])
        printed = printed[:h, :w]
        if not printed.any():
            continue
        inked = cv2.dilate((seen[:h, :w] >= T.INK_THRESHOLD).astype(np.uint8), np.ones((3, 3), np.uint8))
        out[question] = float(inked[printed].mean())
    return out
