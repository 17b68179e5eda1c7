"""The back of the sheet showing through a box: predicted from the form's own print (issue #14).

omr's own forms are printed on both sides of a sheet (pages 1 and 2 on one sheet, 3 and 4 on the
next, ...). On thin paper the back's print shows through, mirrored left-right, at 5-15 % of its
darkness (office paper, 70-80 g/m², is 85-94 % opaque). Where that print lies behind a box it
looks like a faint stroke: bold headings on the back made ~1 in 6 of the questions an office
batch sent to review. The print of the back is known: the form's other page as
:func:`omr.forms.printing.print_blank_pages` prints it (the same drawing ``omr forms print``
makes), mirrored. :func:`explained_by_back` takes out of a box the part of its faint ink that
lies along that predicted print, so only ink the back cannot explain is taken for a stroke.
The sheet's own marks on the back and the QR code and serial printed per sheet are not
predicted: they are never discounted.
"""

from __future__ import annotations

import numpy as np

from omr import tuning as T
from omr.forms.layout import Layout, PageLayout
from omr.scan.form_print import back_ink

K = T.CANONICAL_PX_PER_MM

# (form id, version, page number) -> the mirrored ink of that page's back, or None.
_BACKS: dict[tuple[str, int, int], np.ndarray | None] = {}


def back_page(layout: Layout, page: PageLayout) -> PageLayout | None:
    """The page printed on the other side of ``page``'s sheet (pages 1|2, 3|4, ...), or None.

    None for a form made elsewhere (``pinned``: how it was printed is not known) and for the
    last page of a form with an odd page count (its back is blank).
    """
    if page.pinned:
        return None
    other = page.number + 1 if page.number % 2 else page.number - 1
    return next((p for p in layout.pages if p.number == other), None)


def back_print(layout: Layout, page: PageLayout) -> np.ndarray | None:
    """The back's print as seen through ``page``, float32 ink 0..1 (1 = the print's black),
    at CANONICAL_PX_PER_MM on ``page``'s layout coordinates (row = y mm x K, column = x mm x K).

    Made once per form page and process from the form's print (:func:`omr.scan.form_print.back_ink`:
    mirrored left-right, softened by SHOW_THROUGH_BLUR_MM, as paper diffuses what shows through).
    None without a back.
    """
    key = (layout.form_id, layout.version, page.number)
    if key not in _BACKS:
        other = back_page(layout, page)
        _BACKS[key] = None if other is None else back_ink(layout, other)
    return _BACKS[key]


def explained_by_back(core: np.ndarray, back: np.ndarray, x_mm: float, y_mm: float) -> np.ndarray | None:
    """The ink of a box core that the back's print does not explain, or None if no print is behind it.

    ``core``: the box's inside ink (h, w; 0..1 on the page's scale) whose top-left pixel lies at
    (``x_mm``, ``y_mm``) on the page's layout; ``back``: :func:`back_print`. The predicted print is
    tried at every shift within SHOW_THROUGH_SHIFT_MM (duplex printing registers the two sides
    to ~1 mm; the scan's own alignment adds a little) and scaled by the share alpha of its
    darkness that best fits the core (least squares, 0 <= alpha <= SHOW_THROUGH_MAX_ALPHA); the
    shift that leaves the least ink wins and the core minus alpha x print (clipped at 0) is
    returned. Only when that explains the box's ink, i.e. what is left holds at most
    SHOW_THROUGH_MAX_REST of the core's ink energy (sum of squares): a stroke crossing the print
    leaves most of its ink, and then nothing is discounted. None when no print lies behind the
    core at any shift, or the print does not explain its ink (the caller keeps the core as it is).
    """
    h, w = core.shape
    s = int(round(T.SHOW_THROUGH_SHIFT_MM * K))
    x0, y0 = int(round(x_mm * K)) - s, int(round(y_mm * K)) - s
    region = np.zeros((h + 2 * s, w + 2 * s), np.float32)
    bx0, by0 = max(x0, 0), max(y0, 0)
    bx1, by1 = min(x0 + w + 2 * s, back.shape[1]), min(y0 + h + 2 * s, back.shape[0])
    if bx1 <= bx0 or by1 <= by0:
        return None
    region[by0 - y0:by1 - y0, bx0 - x0:bx1 - x0] = back[by0:by1, bx0:bx1]
    if float(region.max()) < T.SHOW_THROUGH_MIN_PRINT:
        return None
    c = core.astype(np.float32)
    best, best_energy = None, np.inf
    for sy in range(2 * s + 1):
        for sx in range(2 * s + 1):
            p = region[sy:sy + h, sx:sx + w]
            pp = float(np.vdot(p, p))
            if pp < 1e-6:
                continue
            alpha = min(max(float(np.vdot(c, p)) / pp, 0.0), T.SHOW_THROUGH_MAX_ALPHA)
            rest = c - alpha * p
            energy = float(np.vdot(rest, rest))
            if energy < best_energy:
                best, best_energy = rest, energy
    if best is None or best_energy > T.SHOW_THROUGH_MAX_REST * float(np.vdot(c, c)):
        return None  # the print does not explain the box's ink: a stroke is there too, keep it all
    return np.clip(best, 0.0, 1.0)
