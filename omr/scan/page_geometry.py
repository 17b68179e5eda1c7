"""Where the page is when its corner marks alone cannot say (issue #13).

:func:`omr.scan.identify.identify` finds an upright or upside-down page by its four
corner marks. This module handles what that misses:

* a page turned 90° or 270° (a portrait page scanned or photographed
  landscape): the image is turned a quarter and identified again;
* two form pages in one image (an A3 scan of an unstapled sheet, both sides
  side by side or stacked): each half is identified on its own;
* a covered corner mark (staple, fold, tear, punch hole, sticker): some other
  square near the corner may have been taken for it. Every homography is
  checked against the printed boxes; when they disagree, each mark in turn
  is rebuilt from the three others and the QR code's corners, and the
  homography is fitted to the box outlines found; the one that fits the boxes
  wins, and a page nothing fits stays misaligned (its answers go to review).

All homographies map layout mm to px of the image as stored (not turned).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from omr import tuning as T
from omr.forms.layout import PageLayout
from omr.scan.align import BoxSearch, PageInk, aligned_ink, locate_boxes
from omr.scan.identify import (
    FIDUCIAL_CENTRES_MM,
    QR_RECT_MM,
    Identification,
    Overview,
    identify,
    is_blank,
    locate_codes,
    map_points,
    own_codes,
)

# Quarter turn clockwise of an image h px high: turned px -> stored px is (x, y) -> (y, h - 1 - x).


def _unturn_matrix(stored_height: int) -> np.ndarray:
    """3x3 map from px of the image turned 90° clockwise back to px of the stored image."""
    return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, stored_height - 1.0], [0.0, 0.0, 1.0]])


def _shift_matrix(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


@dataclass
class Found:
    """A page identified in (part of) an image; its homography maps layout mm to stored-image px."""

    identification: Identification
    quarter_turn: bool  # the page lies sideways in the image (90° or 270°)


def _usable(found: Identification) -> bool:
    """Corner marks found (the page is placed), whether or not its QR code was read."""
    return found.reason is None or found.reason == "qr_unreadable"


def _compose(found: Identification, to_stored: np.ndarray) -> Identification:
    h = None if found.homography is None else to_stored @ found.homography
    return Identification(found.identity, h, found.rotated_180, found.reason, found.anchored_on_qr, found.mirrored,
                          found.in_perspective)


def identify_any_turn(grey: np.ndarray, view: Overview | None = None) -> Found:
    """Identify a page lying any way up: as stored, then (landscape images only) turned a quarter.

    A quarter turn clockwise suffices: a page turned the other way then lies
    upside down, which :func:`omr.scan.identify.identify` resolves by its QR code.
    ``grey``: uint8 (h, w). The returned homography maps to px of ``grey``.
    """
    found = identify(grey, view)
    h, w = grey.shape
    if (_usable(found) and not found.anchored_on_qr) or w <= h:
        return Found(found, False)
    # Landscape, and not all four marks made a page: a portrait page lying sideways?
    turned = cv2.rotate(grey, cv2.ROTATE_90_CLOCKWISE)
    again = identify(turned)
    if not _usable(again) or (again.anchored_on_qr and _usable(found)):
        return Found(found, False)
    again = _compose(again, _unturn_matrix(h))
    return Found(again, True)


def page_turn_degrees(homography: np.ndarray) -> float:
    """How far (degrees, -180..180, clockwise positive in image px) the page placed by ``homography``
    (layout mm -> px) is turned from upright: the angle of its printed horizontal across the middle."""
    a, b = map_points(homography, np.array([[T.PAGE_WIDTH / 2 - 50, T.PAGE_HEIGHT / 2],
                                            [T.PAGE_WIDTH / 2 + 50, T.PAGE_HEIGHT / 2]]))
    return float(np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0])))


def tilt_from_square(degrees: float) -> float:
    """How far ``degrees`` is from the nearest quarter turn (0..45): a page lying sideways is not crooked."""
    return abs((degrees + 45.0) % 90.0 - 45.0)


def ink_skew_degrees(view: Overview) -> tuple[float, float]:
    """The turn (degrees, -45..45) at which the ink of a page's overview lies in the straightest rows,
    and how much straighter than upright (the ratio of the row profiles' variances, >= 1).

    For a page whose corner marks and QR code were not found: printed lines of text give rows of ink
    at the page's own turn. The ink pixels of the ~50 dpi overview are projected onto rows turned every
    ``T.SKEW_SEARCH_COARSE_DEG`` from -45 to 45 degrees, then every degree around the best (the row
    counts' variance compared): ~10 ms of CPU, spent on pages set aside only. Positive: the page lies
    turned counter-clockwise in the image.
    """
    _, ink = cv2.threshold(view.image, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ys, xs = np.nonzero(ink)
    xs, ys = xs.astype(np.float64), ys.astype(np.float64)
    reach = int(np.hypot(*ink.shape)) + 2
    scores: dict[float, float] = {}

    def score(angle: float) -> float:
        # Each ink pixel's row once the image is turned back by ``angle``: the rows' ink counts' variance.
        if angle not in scores:
            theta = np.radians(angle)
            rows = np.rint(ys * np.cos(theta) + xs * np.sin(theta)).astype(np.int64) + reach
            scores[angle] = float(np.bincount(rows, minlength=2 * reach).var()) if len(rows) else 0.0
        return scores[angle]

    step = T.SKEW_SEARCH_COARSE_DEG
    coarse = max(np.arange(-45.0, 45.0 + 1e-9, step), key=lambda a: score(float(a)))
    fine = [float(a) for a in np.arange(coarse - step + 1, coarse + step) if -45 <= a <= 45]
    best = max(fine, key=score)
    return best, score(best) / max(score(0.0), 1e-9)


def page_share_of_image(homography: np.ndarray, shape: tuple[int, int]) -> float:
    """Share of the image (h, w px) that the page placed by ``homography`` (layout mm -> px) covers."""
    corners = map_points(homography, np.array([[0, 0], [T.PAGE_WIDTH, 0], [T.PAGE_WIDTH, T.PAGE_HEIGHT],
                                               [0, T.PAGE_HEIGHT]], dtype=np.float64))
    return float(cv2.contourArea(corners.astype(np.float32))) / float(shape[0] * shape[1])


def half_region(shape: tuple[int, int], part: int) -> tuple[int, int, int, int]:
    """The px rectangle (x0, y0, x1, y1) of ``part`` of an image of ``shape`` (h, w px).

    Part 0 is the whole image; 1 and 2 are its halves: left and right for a
    landscape (or square) image, an A3 scan of two portrait pages; top and
    bottom for a portrait one, two pages stacked or an A3 portrait scan of two
    pages lying sideways. Raises ValueError for another part.
    """
    h, w = shape[:2]
    if part == 0:
        return 0, 0, w, h
    if part not in (1, 2):
        raise ValueError(f"no part {part} of an image")
    if w >= h:
        return (0, 0, w // 2, h) if part == 1 else (w // 2, 0, w, h)
    return (0, 0, w, h // 2) if part == 1 else (0, h // 2, w, h)


def crop_part(image: np.ndarray, part: int) -> tuple[np.ndarray, np.ndarray]:
    """``part`` of ``image`` (see :func:`half_region`) and the 3x3 shift from whole-image px to its px."""
    x0, y0, x1, y1 = half_region(image.shape, part)
    return np.ascontiguousarray(image[y0:y1, x0:x1]), _shift_matrix(-x0, -y0)


def to_whole_image(homography: np.ndarray, shape: tuple[int, int], part: int) -> np.ndarray:
    """A homography onto px of ``part`` of an image of ``shape`` (h, w), made onto px of the whole image."""
    x0, y0, _x1, _y1 = half_region(shape, part)
    return _shift_matrix(x0, y0) @ homography


def half_holding_page(homography: np.ndarray, shape: tuple[int, int]) -> int:
    """The half (1 or 2, :func:`half_region`) of an image of ``shape`` (h, w px) that holds the page
    placed by ``homography`` (layout mm -> px), or 0 when the page reaches into both halves.

    A page holds a half when at least ``T.TWO_UP_PAGE_IN_HALF_SHARE`` of its area lies in it (a
    page scanned askew pokes its corners a few mm over the middle).
    """
    corners = map_points(homography, np.array([[0, 0], [T.PAGE_WIDTH, 0], [T.PAGE_WIDTH, T.PAGE_HEIGHT],
                                               [0, T.PAGE_HEIGHT]], dtype=np.float64)).astype(np.float32)
    area = float(cv2.contourArea(corners))
    for part in (1, 2):
        x0, y0, x1, y1 = half_region(shape, part)
        half = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
        inside, _ = cv2.intersectConvexConvex(corners, half)
        if area > 0 and inside >= T.TWO_UP_PAGE_IN_HALF_SHARE * area:
            return part
    return 0


def half_with_centre(homography: np.ndarray, shape: tuple[int, int]) -> int:
    """The half (1 or 2, :func:`half_region`) of an image of ``shape`` (h, w px) holding the centre of the
    page placed by ``homography`` (layout mm -> px)."""
    h, w = shape[:2]
    x, y = map_points(homography, np.array([[T.PAGE_WIDTH / 2, T.PAGE_HEIGHT / 2]]))[0]
    return 1 if (x < w / 2 if w >= h else y < h / 2) else 2


def find_two_pages(grey: np.ndarray) -> list[Found]:
    """The form pages found in the two halves of an image, each placed in the whole image's px.

    Halves as in :func:`half_region`. Each half may itself lie turned.
    Returns the halves where corner marks were found (0, 1 or 2), in order
    (left/top first).
    """
    found = []
    for part in (1, 2):
        x0, y0, x1, y1 = half_region(grey.shape, part)
        one = identify_any_turn(np.ascontiguousarray(grey[y0:y1, x0:x1]))
        if _usable(one.identification):
            placed = _compose(one.identification, _shift_matrix(x0, y0))
            found.append(Found(placed, one.quarter_turn))
    return found


def pages_apart_in_halves(grey: np.ndarray) -> list[Found]:
    """The form pages of an image that holds pages apart, one per half, or [] for an image of one page.

    Evidence, not the image's shape: a half counts only when a page of omr's own forms (its QR code
    read) is found in it and lies in that half (:func:`half_holding_page`: at least
    ``TWO_UP_PAGE_IN_HALF_SHARE`` of its area). A phone photo of one page filling 55-70 % of a 3:4
    frame shows that page's QR code and top marks in the top half too; placed by them the page
    reaches far into the bottom half, so it is no page of that half, and the image is one page
    (issue: a 12 MP photo at 70 % width was split and its bottom half set aside). Two pages, one in
    each half, are split; one page lying in its half (the other half blank paper, print that is no
    form, or a page whose code and marks were not made out) is read on its half, which reads the
    same page. ``grey``: uint8 (h, w), flattened. Returns the halves in order (left/top first), each
    placed in the whole image's px, as :func:`find_two_pages` gives them.
    """
    halves = [half for half in find_two_pages(grey) if half.identification.identity is not None]
    inside = [half for half in halves if half_holding_page(half.identification.homography, grey.shape) != 0]
    if len({half_holding_page(half.identification.homography, grey.shape) for half in inside}) < len(inside):
        return []  # two pages placed in one half: one page found twice, no evidence of two
    return inside


def other_half_has_print(grey: np.ndarray, found: Identification) -> bool:
    """Whether the half of the image away from the page ``found`` places holds print of its own.

    Halves as in :func:`half_region`. A second page whose code and marks
    were not made out still shows as ink; a table around one photographed
    page does not (the page is flattened first).
    """
    x0, y0, x1, y1 = half_region(grey.shape, 3 - half_with_centre(found.homography, grey.shape))
    other = grey[y0:y1, x0:x1]
    return other.size > 0 and not is_blank(np.ascontiguousarray(other))


@dataclass
class BoxFit:
    """How well a homography puts the printed boxes where the page shows them."""

    homography: np.ndarray
    search: BoxSearch
    ink: PageInk  # the page warped by ``homography`` (what ``search`` measured): read on as it is
    search_mm: float = T.LOCAL_SEARCH_MM  # how far around its layout place each outline was searched for

    @property
    def good(self) -> bool:
        return (np.isfinite(self.search.residual) and self.search.residual <= T.ALIGN_REVIEW_MM
                and self.search.found_share >= T.CORNER_CHECK_MIN_BOX_SHARE)

    def rank(self) -> tuple[bool, float, float]:
        """Good fits first, then more boxes found (to the nearest 2 %), then the smaller residual."""
        residual = self.search.residual if np.isfinite(self.search.residual) else 99.0
        return self.good, round(self.search.found_share * 50) / 50, -residual


def box_fit(grey: np.ndarray, homography: np.ndarray, page: PageLayout,
            search_mm: float = T.LOCAL_SEARCH_MM) -> BoxFit:
    """Search the page's box outlines around where ``homography`` (layout mm -> px) puts them."""
    ink = aligned_ink(grey, homography, page)
    return BoxFit(homography, locate_boxes(ink, page.checkboxes, search_mm), ink, search_mm)


def fit_to_boxes(grey: np.ndarray, homography: np.ndarray, page: PageLayout) -> BoxFit:
    """The homography re-fitted to the box outlines the page shows, then checked at the usual search.

    First a wide search (``ANCHOR_BOX_SEARCH_MM``) for each outline, then a
    homography from layout box centres to the outlines found (RANSAC, so a
    stroke that drew a box off its outline does not count), then the ordinary
    ±``LOCAL_SEARCH_MM`` search on the result, whose residual decides.
    """
    current = homography
    for search_mm in (T.ANCHOR_BOX_SEARCH_MM, T.LOCAL_SEARCH_MM):
        fit = box_fit(grey, current, page, search_mm)
        reliable = fit.search.reliable
        if reliable is None or reliable.sum() < T.ANCHOR_MIN_BOXES:
            return fit
        centres = np.array([(b.x + b.w / 2, b.y + b.h / 2) for b in page.checkboxes])[reliable]
        found_px = map_points(current, centres + fit.search.raw_offsets[reliable])
        px_per_mm = _px_per_mm(current)
        refitted, _ = cv2.findHomography(centres.astype(np.float32), found_px.astype(np.float32), cv2.RANSAC,
                                         T.ANCHOR_RANSAC_MM * px_per_mm)
        if refitted is None:
            return fit
        current = refitted
    return box_fit(grey, current, page)


def _px_per_mm(homography: np.ndarray) -> float:
    """Image px per layout mm around the page's middle."""
    a, b = map_points(homography, np.array([[100.0, 150.0], [110.0, 150.0]]))
    return float(np.hypot(*(b - a)) / 10.0)


# For each corner, the two corners beside it and the one opposite (order TL, TR, BL, BR).
_NEIGHBOURS = {0: (1, 2, 3), 1: (0, 3, 2), 2: (0, 3, 1), 3: (1, 2, 0)}


def _qr_points(grey: np.ndarray, homography: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The page's own QR code corners: (layout mm, px), 4 x 2 each, or None.

    zxing reports the symbol's corners clockwise from its top-left, which is
    the printed QR rectangle's top-left whichever way the page lies.
    """
    x, y, w, h = QR_RECT_MM
    layout = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)
    expected = map_points(homography, layout)
    margin = T.QR_CROP_MARGIN_MM * _px_per_mm(homography) + 1.0
    x0, y0 = np.floor(expected.min(axis=0) - margin).astype(int)
    x1, y1 = np.ceil(expected.max(axis=0) + margin).astype(int)
    ih, iw = grey.shape
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, iw), min(y1, ih)
    codes = []
    if x1 > x0 and y1 > y0:
        codes = own_codes(locate_codes(np.ascontiguousarray(grey[y0:y1, x0:x1]), (x0, y0)))
    if not codes:  # the homography may be wrong near the code (a mark there was covered): the whole page
        codes = own_codes(locate_codes(grey))
    if len(codes) != 1:
        return None
    return layout, codes[0].corners


@dataclass
class Anchoring:
    """A homography and the points it rests on: corner marks believed real, the QR code's corners."""

    homography: np.ndarray  # 3x3 layout mm -> px
    marks_mm: np.ndarray  # (m, 2) corner mark centres on the layout
    marks_px: np.ndarray  # (m, 2) where they are in the image
    qr: tuple[np.ndarray, np.ndarray] | None  # (layout mm, px), 4 x 2 each, when the code was read
    min_marks: int  # how many of the marks a fit to the boxes must keep in place

    def kept_by(self, homography: np.ndarray) -> bool:
        """Whether ``homography`` keeps the QR code and at least ``min_marks`` marks where they are.

        Box grids repeat (scale columns every 12 mm, rows every 6.5 mm): a fit
        to the boxes alone can lock one column or row off and still find most
        outlines. The anchors it was started from must stay within
        ``ANCHOR_AGREEMENT_MM`` of where the image shows them.
        """
        tolerance = T.ANCHOR_AGREEMENT_MM * _px_per_mm(homography)
        if self.qr is not None:
            if np.max(np.hypot(*(map_points(homography, self.qr[0]) - self.qr[1]).T)) > tolerance:
                return False
        kept = np.hypot(*(map_points(homography, self.marks_mm) - self.marks_px).T) <= tolerance
        return int(kept.sum()) >= self.min_marks


def rebuilt_homographies(grey: np.ndarray, marks_px: np.ndarray, homography: np.ndarray) -> list[Anchoring]:
    """Homographies with one corner mark in turn (then two) left out, anchored on the QR code.

    ``marks_px``: (4, 2) px of the marks in layout order (TL, TR, BL, BR as
    printed). With the QR code's 4 corners, three marks give 7 points and two
    marks 6, enough for a homography; without it, three marks rebuild the
    fourth as a parallelogram (flatbed scans have no perspective).
    """
    qr = _qr_points(grey, homography)
    out = []
    subsets = [[k for k in range(4) if k != lost] for lost in range(4)]
    if qr is not None:
        subsets += [[a, b] for a in range(4) for b in range(a + 1, 4)]
    for kept in subsets:
        src = FIDUCIAL_CENTRES_MM[kept]
        dst = marks_px[kept]
        if qr is not None:
            src, dst = np.vstack([src, qr[0]]), np.vstack([dst, qr[1]])
        elif len(kept) == 3:
            lost = ({0, 1, 2, 3} - set(kept)).pop()
            a, b, opposite = _NEIGHBOURS[lost]
            full = marks_px.copy()
            full[lost] = marks_px[a] + marks_px[b] - marks_px[opposite]
            src, dst = FIDUCIAL_CENTRES_MM, full
        h, _ = cv2.findHomography(src.astype(np.float32), dst.astype(np.float32), 0)
        if h is not None:
            out.append(Anchoring(h, FIDUCIAL_CENTRES_MM[kept], marks_px[kept], qr, len(kept)))
    return out


def checked_homography(grey: np.ndarray, homography: np.ndarray,
                       page: PageLayout) -> tuple[np.ndarray, str, bool]:
    """The homography that puts ``page``'s printed boxes where the image shows them, a note, and whether it fits.

    :func:`checked_fit` without the fit.
    """
    fit, note, fits = checked_fit(grey, homography, page)
    return fit.homography, note, fits


def checked_fit(grey: np.ndarray, homography: np.ndarray, page: PageLayout) -> tuple[BoxFit, str, bool]:
    """The fit (homography, aligned page ink, box search at ``LOCAL_SEARCH_MM``) that puts ``page``'s
    printed boxes where the image shows them, a note, and whether it fits.

    The fit's ink and box search are what reading the page needs
    (:func:`omr.scan.page.process_page` reads on them rather than warping the
    page again: ~11 ms of a worker's ~90 ms a page, issue #18).

    The corner marks' homography is kept when its boxes are found where it
    puts them. Otherwise (a staple over a mark, a torn corner: another square
    taken for the mark), the alternatives of :func:`rebuilt_homographies`,
    each fitted to the box outlines, are tried, and the one that fits best
    while keeping its own anchors in place (:meth:`Anchoring.kept_by`) is used
    if it fits well. Note: "" or a Vietnamese remark for the page's detail.
    Fits: the boxes were found where the returned homography puts them
    (False: nothing fitted; the page's answers will go to review, or its QR
    code names another page). ``homography``: 3x3 layout mm -> px of ``grey``.
    """
    first = box_fit(grey, homography, page)
    if first.good and first.search.residual <= T.CORNER_CHECK_MAX_RESIDUAL_MM:
        return first, "", True
    best = first
    marks_px = map_points(homography, FIDUCIAL_CENTRES_MM)
    # The page as placed (loosely: anchored on the QR code, paper curl), fitted to its boxes: at
    # least two of its marks must stay (two may be what was covered).
    candidates = [Anchoring(homography, FIDUCIAL_CENTRES_MM, marks_px, _qr_points(grey, homography), 2)]
    if not first.good:
        candidates += rebuilt_homographies(grey, marks_px, homography)
    for candidate in candidates:
        fit = fit_to_boxes(grey, candidate.homography, page)
        if fit.rank() > best.rank() and candidate.kept_by(fit.homography):
            best = fit
        if (best.good and best.search.found_share >= T.CORNER_CHECK_SURE_BOX_SHARE
                and best.search.residual <= T.CORNER_CHECK_MAX_RESIDUAL_MM):
            break  # the boxes are all where this one puts them: no other can do better
    if first.good:
        return best, "", True
    if best is first or not best.good:
        return first, "", False
    return best, "dấu định vị góc bị che hoặc hỏng: căn theo mã QR và các ô in sẵn", True
