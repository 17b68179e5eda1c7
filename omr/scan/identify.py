"""Identify a scanned page: blank or not, its fiducials, orientation and QR code.

All functions take a grey ``uint8`` page image and return plain values. The
fiducials and QR code sit at the same place on every omr form (see
:mod:`omr.tuning`), so a page can be found before its form is known.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from omr import tuning as T
from omr.forms.qr_symbol import qr_matrix
from omr.forms.qrcodes import PageIdentity, parse_payload
from omr.scan.components import components_with_stats
from omr.scan.lighting import block_means, grey_percentile

# Centres of the four fiducials in mm, order top-left, top-right, bottom-left, bottom-right.
_F_NEAR = T.FIDUCIAL_INSET + T.FIDUCIAL_SIZE / 2
FIDUCIAL_CENTRES_MM = np.array([
    [_F_NEAR, _F_NEAR],
    [T.PAGE_WIDTH - _F_NEAR, _F_NEAR],
    [_F_NEAR, T.PAGE_HEIGHT - _F_NEAR],
    [T.PAGE_WIDTH - _F_NEAR, T.PAGE_HEIGHT - _F_NEAR],
], dtype=np.float64)
_QR_X = T.PAGE_WIDTH - T.FIDUCIAL_INSET - T.FIDUCIAL_SIZE - T.QR_GAP_FROM_FIDUCIAL - T.QR_SIZE
QR_RECT_MM = (_QR_X, T.FIDUCIAL_INSET, T.QR_SIZE, T.QR_SIZE)
# Image corners matched to layout corners when the page lies upside down.
ROTATED_ORDER = [3, 2, 1, 0]


@dataclass
class Identification:
    identity: PageIdentity | None
    homography: np.ndarray | None  # layout mm -> image px
    rotated_180: bool
    reason: str | None  # None when identified; else a key of model.SET_ASIDE_REASONS
    anchored_on_qr: bool = False  # placed by its QR code and the marks it predicts (some marks covered)
    # Not identified, but a code of ours shows mirrored at print's contrast: the image is flipped left-right
    # (a scan app's flip, a selfie camera), not a back page's code seen faintly through the paper.
    mirrored: bool = False
    # Placed by all four marks found in perspective and checked by the QR code (a steep phone photo).
    in_perspective: bool = False


def paper_and_ink(grey: np.ndarray) -> tuple[float, float]:
    """Paper level (a high percentile) and darkest ink level (a low one) of a page."""
    small = grey[::4, ::4]
    return float(np.percentile(small, 90)), float(np.percentile(small, 0.5))


@dataclass
class Overview:
    """A ~50 dpi copy of the page, shared by the blank test and the fiducial search."""

    image: np.ndarray
    factor: int  # full-resolution px per overview px


def overview(grey: np.ndarray) -> Overview:
    px_per_mm = grey.shape[1] / T.PAGE_WIDTH
    # An integer factor (4 at 200 dpi, 6 at 300 dpi), taken in halvings where it can (block_means).
    factor = max(1, int(round(px_per_mm / T.FIDUCIAL_SEARCH_PX_PER_MM)))
    small, factor = block_means(grey, factor)
    return Overview(small, factor)


def is_blank(grey: np.ndarray, view: Overview | None = None) -> bool:
    """True for an empty sheet: almost nothing darker than its paper.

    Dust and scanner noise are single pixels; the median filter removes them
    before counting.
    """
    small = cv2.medianBlur((view or overview(grey)).image, 3)
    paper = grey_percentile(small, 90)
    dark = small < paper - 60
    return float(dark.mean()) < T.BLANK_MAX_INK_SHARE


def faint_print(grey: np.ndarray, view: Overview | None = None) -> str | None:
    """For a page :func:`is_blank` calls blank: ``"too_dark"`` or ``"too_light"`` when it holds print
    or marks too faint to count as ink, None for truly empty paper.

    The contrast is the paper level (90th percentile of the median-filtered
    overview) less the level of its darkest ``T.BLANK_MAX_INK_SHARE``: the
    corner marks and QR code of a form page keep the page's full contrast
    however little of it there is (a washed-out scan of 233-255 gives ~20
    levels), while empty paper's noise is gone after the median
    (``T.FAINT_MIN_CONTRAST``). Dark or light by the paper's level.
    """
    small = cv2.medianBlur((view or overview(grey)).image, 3)
    paper = float(np.percentile(small, 90))
    ink = float(np.percentile(small, T.BLANK_MAX_INK_SHARE * 100))
    if paper - ink < T.FAINT_MIN_CONTRAST:
        return None
    return "too_dark" if paper < T.FAINT_DARK_PAPER_LEVEL else "too_light"


def find_fiducials(grey: np.ndarray, view: Overview | None = None) -> np.ndarray | None:
    """Centres (px) of the four corner marks in image order TL, TR, BL, BR, or None.

    Works on a ~50 dpi copy: a fiducial is a solid, nearly square blob of the
    expected size; the blob nearest each image corner wins, and the four must
    keep the printed aspect ratio.
    """
    view = view or overview(grey)
    # A4 portrait fills the image width in scans; phone photos are smaller, hence the area range.
    px_per_mm = grey.shape[1] / T.PAGE_WIDTH
    pts = _mark_blobs(view, px_per_mm)
    if len(pts) < 3:
        return None
    sh, sw = view.image.shape
    corners = np.array([[0, 0], [sw, 0], [0, sh], [sw, sh]], dtype=np.float64)
    chosen = np.array([pts[int(np.argmin(np.hypot(*(pts - corner).T)))] for corner in corners])
    lost = None
    if not _plausible(chosen):
        fallback = _three_corner_fallback(chosen)
        if fallback is None:
            return None
        chosen, lost = fallback
    refined = _refine_centres(grey, (chosen + 0.5) * view.factor - 0.5, px_per_mm)
    if lost is not None:  # rebuilt from the refined centres of the three marks that are there
        a, b, opposite = _NEIGHBOURS[lost]
        refined[lost] = refined[a] + refined[b] - refined[opposite]
    return refined


def _mark_blobs(view: Overview, px_per_mm: float, any_turn: bool = False) -> np.ndarray:
    """Centres (overview px, (n, 2)) of solid, nearly square blobs of a corner mark's size.

    ``px_per_mm``: full-resolution px per mm of the page, which sets the
    expected size (``FIDUCIAL_AREA_RANGE`` around a 6 mm square). Squares are
    told by their bounding box (upright, or turned up to ~10°); with
    ``any_turn``, a blob of the right size failing that is also kept when it is
    a compact solid at any turn (:func:`_compact_solid`): a mark on a page
    photographed crooked (20-45°) fills only 50-70 % of its bounding box.
    """
    small = view.image
    search_px_per_mm = px_per_mm / view.factor
    _, binary = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels, stats, centroids = components_with_stats(binary)
    nominal = (T.FIDUCIAL_SIZE * search_px_per_mm) ** 2
    lo, hi = T.FIDUCIAL_AREA_RANGE
    x, y, bw, bh, area = (stats[1:, k] for k in range(5))  # every blob but the background
    sized = (area >= lo * nominal) & (area <= hi * nominal)
    keep = sized & (bw <= 1.6 * bh) & (bh <= 1.6 * bw) & (area >= T.FIDUCIAL_MIN_SOLIDITY * bw * bh)
    if any_turn:
        for k in np.flatnonzero(sized & ~keep):
            crop = labels[y[k]:y[k] + bh[k], x[k]:x[k] + bw[k]] == k + 1
            keep[k] = _compact_solid(crop)
    return centroids[1:][keep]


def _compact_solid(mask: np.ndarray, max_spread: float = T.MARK_ANY_TURN_MAX_SPREAD,
                   max_elongation: float = T.MARK_ANY_TURN_MAX_ELONGATION) -> bool:
    """Whether a blob (bool mask) is a solid square-ish shape at any turn, by its second moments.

    The spread (mu20 + mu02) / area² is 1/6 for a solid square whatever its
    turn (1/(2π) for a disc, more for anything hollow, crossed or long); the
    eigenvalues of the moment matrix give its elongation. Bounds:
    ``max_spread``, ``max_elongation`` (default ``T.MARK_ANY_TURN_MAX_SPREAD``, ``T.MARK_ANY_TURN_MAX_ELONGATION``).
    """
    moments = cv2.moments(mask.astype(np.uint8), binaryImage=True)
    area = moments["m00"]
    if area <= 0:
        return False
    mu20, mu02, mu11 = moments["mu20"], moments["mu02"], moments["mu11"]
    spread = (mu20 + mu02) / area ** 2
    root = np.sqrt(((mu20 - mu02) / 2) ** 2 + mu11 ** 2)
    major, minor = (mu20 + mu02) / 2 + root, (mu20 + mu02) / 2 - root
    return spread <= max_spread and minor > 0 and np.sqrt(major / minor) <= max_elongation


def anchor_on_qr(grey: np.ndarray, view: Overview, code: "LocatedCode") -> np.ndarray | None:
    """Layout mm -> px from the page's own QR code and the corner marks found where it predicts them.

    For a page whose four marks do not make a rectangle (two covered or torn,
    one cut off and one under a staple). The code's corners give the page's
    scale, turn and place; each mark is then looked for, nearest first, among
    the mark-like blobs, within ``QR_ANCHOR_REACH_MM`` plus
    ``QR_ANCHOR_REACH_SHARE`` of its distance from the code, the prediction
    being refitted (affine) after each mark found. At least two marks are
    needed; the homography is then fitted to the marks and the code's corners
    (6-8 points). None when fewer than two marks are found.
    """
    x, y, w, h = QR_RECT_MM
    qr_mm = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)
    side_px = float(np.mean(np.hypot(*(code.corners - np.roll(code.corners, -1, axis=0)).T)))
    px_per_mm = side_px / T.QR_SIZE
    blobs = (_mark_blobs(view, px_per_mm, any_turn=True) + 0.5) * view.factor - 0.5
    if len(blobs) < 2:
        return None
    qr_centre = qr_mm.mean(axis=0)
    order = np.argsort(np.hypot(*(FIDUCIAL_CENTRES_MM - qr_centre).T))
    src, dst = list(qr_mm), list(code.corners)
    marks: dict[int, np.ndarray] = {}
    for k in order:
        # Least-squares affine map from the points placed so far (the code's corners, marks found).
        design = np.hstack([np.array(src), np.ones((len(src), 1))])
        model, *_ = np.linalg.lstsq(design, np.array(dst), rcond=None)
        predicted = np.append(FIDUCIAL_CENTRES_MM[k], 1.0) @ model
        distance_mm = float(np.hypot(*(FIDUCIAL_CENTRES_MM[k] - qr_centre)))
        reach_px = (T.QR_ANCHOR_REACH_MM + T.QR_ANCHOR_REACH_SHARE * distance_mm) * px_per_mm
        gaps = np.hypot(*(blobs - predicted).T)
        nearest = int(np.argmin(gaps))
        if gaps[nearest] <= reach_px:
            refined = _refine_centres(grey, blobs[nearest][None, :], px_per_mm)[0]
            marks[int(k)] = refined
            src.append(FIDUCIAL_CENTRES_MM[k])
            dst.append(refined)
    if len(marks) < 2:
        return None
    homography, _ = cv2.findHomography(np.float32(src), np.float32(dst), 0)
    return homography


def anchor_in_perspective(grey: np.ndarray, code: "LocatedCode") -> np.ndarray | None:
    """Layout mm -> px of a page photographed at a steep angle, from its four corner marks, checked by its QR code.

    For a phone photo at 20-35° the marks shrink or grow by up to ~1.5x
    across the page, so :func:`find_fiducials` (sizes from the image width,
    rectangle proportions) and :func:`anchor_on_qr` (an affine prediction from
    the code) miss them. Here every solid compact blob of a mark's size within
    ``PERSPECTIVE_MARK_AREA_RANGE`` of the code's scale, standing on clean
    paper (at most ``PERSPECTIVE_MARK_RING_MAX_DARK`` of a ring half its side
    wide is ink: not a filled box among print, not a knot in a desk), is a
    candidate; the ``PERSPECTIVE_CANDIDATES`` outermost in each quarter of the
    page (placed roughly by the code) are tried in every combination, and the
    homography of the four that puts the code's corners nearest where the
    image shows them wins, if within ``PERSPECTIVE_QR_MAX_ERROR_MM`` and
    ``QR_SIZE_TOLERANCE``. None when no combination passes.
    Returns a 3x3 layout mm -> full-resolution px homography.
    """
    x, y, w, h = QR_RECT_MM
    qr_mm = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)
    side_px = float(np.mean(np.hypot(*(code.corners - np.roll(code.corners, -1, axis=0)).T)))
    # Finer than the overview: a far mark at ~1 px/mm of the overview merges with the desk and the words beside it.
    small, factor = block_means(grey, max(1, int(side_px / T.QR_SIZE / T.PERSPECTIVE_SEARCH_PX_PER_MM)))
    search_px_per_mm = side_px / T.QR_SIZE / factor
    _, binary = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels, stats, centroids = components_with_stats(binary)
    nominal = (T.FIDUCIAL_SIZE * search_px_per_mm) ** 2
    lo, hi = T.PERSPECTIVE_MARK_AREA_RANGE
    sh, sw = small.shape
    blobs = []
    for k in range(1, n):
        bx, by, bw, bh, area = (int(v) for v in stats[k])
        if not lo * nominal <= area <= hi * nominal:
            continue
        if not _compact_solid(labels[by:by + bh, bx:bx + bw] == k, T.PERSPECTIVE_MARK_MAX_SPREAD,
                              T.PERSPECTIVE_MARK_MAX_ELONGATION):
            continue
        pad = max(2, int(round(0.5 * np.sqrt(area))))
        x0, y0, x1, y1 = max(bx - pad, 0), max(by - pad, 0), min(bx + bw + pad, sw), min(by + bh + pad, sh)
        window = labels[y0:y1, x0:x1]
        ring = window != k
        if ring.sum() == 0 or (binary[y0:y1, x0:x1][ring] > 0).mean() > T.PERSPECTIVE_MARK_RING_MAX_DARK:
            continue
        blobs.append(centroids[k])
    if len(blobs) < 4:
        return None
    blobs_px = (np.array(blobs) + 0.5) * factor - 0.5
    # Roughly where each blob lies on the page (the code's own affine map: far corners off by the perspective).
    affine, *_ = np.linalg.lstsq(np.hstack([code.corners, np.ones((4, 1))]), qr_mm, rcond=None)
    approx_mm = np.hstack([blobs_px, np.ones((len(blobs_px), 1))]) @ affine
    centre = np.array([T.PAGE_WIDTH / 2, T.PAGE_HEIGHT / 2])
    rel = approx_mm - centre
    per_corner = []
    for corner_mm in FIDUCIAL_CENTRES_MM:
        direction = np.sign(corner_mm - centre)
        inside = np.flatnonzero((np.sign(rel) == direction).all(axis=1))
        if len(inside) == 0:
            return None
        outward = rel[inside] @ direction
        per_corner.append(inside[np.argsort(-outward)[:T.PERSPECTIVE_CANDIDATES]])
    ppm = side_px / T.QR_SIZE
    best, best_error = None, T.PERSPECTIVE_QR_MAX_ERROR_MM
    for a in per_corner[0]:
        for b in per_corner[1]:
            for c in per_corner[2]:
                for d in per_corner[3]:
                    homography = cv2.getPerspectiveTransform(FIDUCIAL_CENTRES_MM.astype(np.float32),
                                                             blobs_px[[a, b, c, d]].astype(np.float32))
                    error = float(np.max(np.hypot(*(map_points(homography, qr_mm) - code.corners).T))) / ppm
                    if error < best_error and qr_scale_error(homography, code) <= T.QR_SIZE_TOLERANCE:
                        best, best_error = (a, b, c, d), error
    if best is None:
        return None
    refined = _refine_centres(grey, blobs_px[list(best)], ppm)
    return cv2.getPerspectiveTransform(FIDUCIAL_CENTRES_MM.astype(np.float32), refined.astype(np.float32))


def upside_down(homography: np.ndarray) -> bool:
    """True when the page's top lies below its bottom in the image."""
    top, bottom = map_points(homography, np.array([[T.PAGE_WIDTH / 2, 40.0], [T.PAGE_WIDTH / 2, 250.0]]))
    return bool(top[1] > bottom[1] and abs(top[1] - bottom[1]) > abs(top[0] - bottom[0]))


_EXPECTED_ASPECT = ((FIDUCIAL_CENTRES_MM[2, 1] - FIDUCIAL_CENTRES_MM[0, 1])
                   / (FIDUCIAL_CENTRES_MM[1, 0] - FIDUCIAL_CENTRES_MM[0, 0]))


def _plausible(pts: np.ndarray) -> bool:
    """Four centres (TL, TR, BL, BR) that keep the printed rectangle's proportions."""
    if len({tuple(p) for p in pts}) < 4:
        return False
    top, bottom = np.linalg.norm(pts[1] - pts[0]), np.linalg.norm(pts[3] - pts[2])
    left, right = np.linalg.norm(pts[2] - pts[0]), np.linalg.norm(pts[3] - pts[1])
    if min(top, bottom, left, right) < 1e-6:
        return False
    # Upright or upside down the aspect is the same (scanners feed A4 portrait).
    aspect = (left + right) / (top + bottom)
    # Opposite sides of similar length; phone perspective shortens one side, hence twice the tolerance.
    parallel = abs(top - bottom) / max(top, bottom) < 2 * T.FIDUCIAL_ASPECT_TOLERANCE and \
        abs(left - right) / max(left, right) < 2 * T.FIDUCIAL_ASPECT_TOLERANCE
    return parallel and abs(aspect / _EXPECTED_ASPECT - 1) <= T.FIDUCIAL_ASPECT_TOLERANCE


# For each corner, the two corners beside it and the one opposite (order TL, TR, BL, BR).
_NEIGHBOURS = {0: (1, 2, 3), 1: (0, 3, 2), 2: (0, 3, 1), 3: (1, 2, 0)}


def _three_corner_fallback(pts: np.ndarray) -> tuple[np.ndarray, int] | None:
    """A skewed sheet can lose one corner mark at the scanner's edge: complete the parallelogram.

    Each corner in turn is assumed lost and rebuilt from the other three
    (flatbed scans have no perspective); the result must keep the printed
    proportions and a right angle. Only one choice may pass.
    """
    found = []
    for lost, (a, b, opposite) in _NEIGHBOURS.items():
        candidate = pts.copy()
        candidate[lost] = pts[a] + pts[b] - pts[opposite]
        u, v = pts[a] - pts[opposite], pts[b] - pts[opposite]
        cosine = abs(np.dot(u, v)) / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9)
        if cosine < 0.05 and _plausible(candidate):  # within ~3° of square
            found.append((candidate, lost))
    return found[0] if len(found) == 1 else None


def _refine_centres(grey: np.ndarray, approx: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Sub-pixel centres from full-resolution crops around each approximate centre."""
    half = int(round(T.FIDUCIAL_SIZE * 1.2 * px_per_mm))
    refined = []
    for cx, cy in approx:
        x0, y0 = max(int(cx) - half, 0), max(int(cy) - half, 0)
        crop = grey[y0:int(cy) + half, x0:int(cx) + half]
        if crop.size == 0:
            refined.append((cx, cy))
            continue
        _, binary = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        n, labels, stats, centroids = components_with_stats(binary)
        if n < 2:
            refined.append((cx, cy))
            continue
        biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        mx, my = centroids[biggest]
        refined.append((x0 + mx, y0 + my))
    return np.array(refined, dtype=np.float64)


def homography_from_fiducials(image_pts: np.ndarray, rotated: bool) -> np.ndarray:
    """Layout mm -> image px, with the layout's corners matched for the orientation."""
    dst = image_pts[ROTATED_ORDER] if rotated else image_pts
    return cv2.getPerspectiveTransform(FIDUCIAL_CENTRES_MM.astype(np.float32), dst.astype(np.float32))


def map_points(h: np.ndarray, pts_mm: np.ndarray) -> np.ndarray:
    pts = np.asarray(pts_mm, dtype=np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(pts, h).reshape(-1, 2)


@dataclass
class LocatedCode:
    """One QR code of ours found in an image, with where it is and how it looks."""

    identity: PageIdentity
    corners: np.ndarray  # (4, 2) image px, clockwise from the symbol's top-left (zxing's order)
    mirrored: bool  # read through the paper (the back page's code) or off a mirror image
    contrast: float  # (light modules - dark modules) / light modules, 0..1, sampled on the symbol

    @property
    def centre(self) -> np.ndarray:
        return self.corners.mean(axis=0)


def locate_codes(grey: np.ndarray, origin: tuple[int, int] = (0, 0)) -> list[LocatedCode]:
    """Every QR code of ours in ``grey`` (uint8), with its corners in px offset by ``origin`` (x, y).

    zxing-cpp decodes mirrored and very faint symbols too (a back page's code
    seen through thin paper); :attr:`LocatedCode.mirrored` and
    :attr:`LocatedCode.contrast` say which, see :func:`_symbol_check`.
    """
    import zxingcpp

    found = []
    for barcode in zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode):
        identity = parse_payload(barcode.text)
        if identity is None:
            continue
        p = barcode.position
        corners = np.array([[q.x, q.y] for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)],
                           dtype=np.float64)
        mirrored, contrast = _symbol_check(grey, corners, barcode.text, _data_mask(barcode))
        found.append(LocatedCode(identity, corners + np.asarray(origin, np.float64), mirrored, contrast))
    return found


def _data_mask(barcode) -> int | None:
    """The data mask (0-7) zxing-cpp read off a QR symbol, or None when it does not say.

    A symbol it decoded had its mask read right (a wrong one scrambles the
    data beyond what error correction repairs), and omr's symbols are printed
    with the mask segno chose (:func:`omr.forms.qr_symbol.qr_matrix`).
    """
    extra = getattr(barcode, "extra", None)
    mask = extra.get("DataMask") if isinstance(extra, dict) else None
    return mask if isinstance(mask, int) and 0 <= mask <= 7 else None


def _symbol_check(grey: np.ndarray, corners: np.ndarray, text: str,
                  mask: int | None = None) -> tuple[bool, float]:
    """(mirrored, contrast) of the symbol at ``corners``, compared module by module with its own print.

    omr prints the payload with :func:`omr.forms.qr_symbol.qr_matrix`, so the symbol
    can be drawn again and compared under the 4 turns, plain and mirrored; the
    reader reports corners clockwise either way, so only this comparison tells
    a code seen through the paper from the page's own. When the print cannot
    be reproduced (another encoder), neither side wins and the code counts as
    not mirrored. ``mask``: the symbol's data mask as the decoder read it
    (drawing the symbol again then skips choosing a mask).
    """
    try:
        modules = qr_matrix(text, mask)
    except Exception:  # not a payload segno can encode the same way: nothing to compare with
        return False, 1.0
    n = modules.shape[0]
    cell = 8
    target = np.float32([[0, 0], [n * cell, 0], [n * cell, n * cell], [0, n * cell]])
    warp = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    sampled = cv2.warpPerspective(grey, warp, (n * cell, n * cell), flags=cv2.INTER_AREA)
    # Each module's middle, away from its neighbours' blur.
    centres = sampled.reshape(n, cell, n, cell)[:, 2:6, :, 2:6].mean(axis=(1, 3))
    light, dark = float(np.median(centres[~modules])), float(np.median(centres[modules]))
    contrast = (light - dark) / max(light, 1.0)
    binary = centres < (light + dark) / 2
    plain = max(float(np.mean(np.rot90(modules, k) == binary)) for k in range(4))
    flipped = max(float(np.mean(np.rot90(modules[:, ::-1], k) == binary)) for k in range(4))
    return flipped > plain + T.QR_MIRROR_MARGIN, max(contrast, 0.0)


def mirrored_print(codes: list[LocatedCode]) -> bool:
    """Whether ``codes`` hold a code of ours seen mirrored yet as dark as print (``T.QR_MIN_CONTRAST``)
    and none of the page's own: the image itself is mirrored. A back page's code seen through thin
    paper is mirrored too, but faint, and beside the page's own code."""
    return not own_codes(codes) and any(c.mirrored and c.contrast >= T.QR_MIN_CONTRAST for c in codes)


def own_codes(codes: list[LocatedCode]) -> list[LocatedCode]:
    """The codes that can be the page's own: printed on this side (not mirrored) and dark enough."""
    return [c for c in codes if not c.mirrored and c.contrast >= T.QR_MIN_CONTRAST]


def decode_qr(grey: np.ndarray) -> list[PageIdentity]:
    """The identities of the page's own QR codes in ``grey``: mirrored or faint ones refused."""
    return [c.identity for c in own_codes(locate_codes(grey))]


def _qr_crop_box(grey: np.ndarray, h: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) px of the expected QR area plus its margin, clipped to the image."""
    x, y, w, hh = QR_RECT_MM
    m = T.QR_CROP_MARGIN_MM
    corners = map_points(h, np.array([[x - m, y - m], [x + w + m, y - m], [x - m, y + hh + m],
                                      [x + w + m, y + hh + m]]))
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
    ih, iw = grey.shape
    return max(x0, 0), max(y0, 0), min(x1, iw), min(y1, ih)


def qr_place_error_mm(h: np.ndarray, code: LocatedCode) -> float:
    """How far (mm on the layout) a code's centre lies from where the form prints its QR code."""
    try:
        centre_mm = map_points(np.linalg.inv(h), code.centre[None, :])[0]
    except np.linalg.LinAlgError:
        return float("inf")
    x, y, w, hh = QR_RECT_MM
    return float(np.hypot(centre_mm[0] - (x + w / 2), centre_mm[1] - (y + hh / 2)))


def qr_scale_error(h: np.ndarray, code: LocatedCode) -> float:
    """Largest relative error of the code's side lengths, measured in mm through ``h``, against QR_SIZE.

    The QR code's own geometry checks the corner marks: four squares that
    make an A4 rectangle but are not this page's marks (the outer marks of
    two pages side by side, turned: A-sizes keep their proportions) put the
    18 mm code at the wrong size.
    """
    try:
        corners_mm = map_points(np.linalg.inv(h), code.corners)
    except np.linalg.LinAlgError:
        return float("inf")
    sides = np.hypot(*(corners_mm - np.roll(corners_mm, -1, axis=0)).T)
    return float(np.max(np.abs(sides / T.QR_SIZE - 1.0)))


def _anchored(grey: np.ndarray, view: Overview, code: LocatedCode) -> Identification | None:
    """The page of ``code`` placed by all four marks in perspective (a steep phone photo: marks of many
    sizes, not where an affine map from the code puts them), else by the code and the marks it predicts
    (some covered or cut off); None when neither places it."""
    in_perspective = anchor_in_perspective(grey, code)
    if in_perspective is not None and perspective_ratio(in_perspective) >= T.PHOTO_PERSPECTIVE_MIN_RATIO:
        return Identification(code.identity, in_perspective, upside_down(in_perspective), None, True,
                              in_perspective=True)
    # A flat page (turned in the plane, or a fax's non-square pixels) is placed as before (a fax, failing
    # here, is stretched and read again by the caller), so its detail names the turn or the stretch.
    homography = anchor_on_qr(grey, view, code)
    if homography is not None:
        return Identification(code.identity, homography, upside_down(homography), None, True)
    return None


def perspective_ratio(homography: np.ndarray) -> float:
    """How far a layout mm -> px homography is from affine: the largest over the smallest of its projective
    divisor ``h20 x + h21 y + h22`` at the four corners of an A4 page (1.0 for a flat scan; a phone held
    20-35 degrees off square gives about 1.2-1.6, the far side smaller)."""
    h = np.asarray(homography, dtype=np.float64)
    corners = np.array([[0.0, 0.0], [T.PAGE_WIDTH, 0.0], [T.PAGE_WIDTH, T.PAGE_HEIGHT], [0.0, T.PAGE_HEIGHT]])
    divisors = np.abs(corners @ h[2, :2] + h[2, 2])
    return float(divisors.max() / max(divisors.min(), 1e-12))


def identify(grey: np.ndarray, view: Overview | None = None) -> Identification:
    """Find the fiducials, decide the orientation from where the QR code is, read it.

    Only the page's own code counts: at the QR code's printed place for one of
    the two orientations, not mirrored, and about as dark as print
    (:func:`own_codes`); a back page's code showing through thin paper is
    faint and mirrored, and is refused.
    """
    view = view or overview(grey)
    pts = find_fiducials(grey, view)
    if pts is None:
        located = locate_codes(grey)
        codes = own_codes(located)
        if len(codes) == 1:  # a form of ours, but its corner marks are cut off or covered
            found = _anchored(grey, view, codes[0])
            if found is not None:
                return found
        if codes:  # no two marks to anchor on, or two codes: two pages in one image?
            return Identification(codes[0].identity, None, False, "misaligned")
        return Identification(None, None, False, "no_form", mirrored=mirrored_print(located))
    for rotated in (False, True):
        h = homography_from_fiducials(pts, rotated)
        x0, y0, x1, y1 = _qr_crop_box(grey, h)
        if x1 <= x0 or y1 <= y0:
            continue
        for code in own_codes(locate_codes(grey[y0:y1, x0:x1], (x0, y0))):
            if (qr_place_error_mm(h, code) <= T.QR_PLACE_TOLERANCE_MM
                    and qr_scale_error(h, code) <= T.QR_SIZE_TOLERANCE):
                return Identification(code.identity, h, rotated, None)
    # Last try before giving up: the whole page (a QR code displaced by a bad print),
    # of the size the corner marks imply.
    h = homography_from_fiducials(pts, False)
    located = locate_codes(grey)
    codes = own_codes(located)
    fitting = [c for c in codes if qr_scale_error(h, c) <= T.QR_SIZE_TOLERANCE]
    if fitting:
        return Identification(fitting[0].identity, h, False, None)
    if len(codes) == 1:  # a code of ours, but these four squares are not all its page's corner marks
        found = _anchored(grey, view, codes[0])
        if found is not None:
            return found
    if codes:
        return Identification(codes[0].identity, None, False, "misaligned")
    mirrored = mirrored_print(located)
    if not mirrored:
        for rotated in (False, True):
            # A halftone photocopy breaks the code's modules into dots: each module averaged over its cell.
            h = homography_from_fiducials(pts, rotated)
            identity = read_code_by_modules(grey, h)
            if identity is not None:
                return Identification(identity, h, rotated, None)
    return Identification(None, homography_from_fiducials(pts, False), False, "qr_unreadable",
                          mirrored=mirrored)


def _with_function_patterns(modules: np.ndarray) -> np.ndarray:
    """``modules`` (n x n bool, dark True) with the finder, separator, timing and (version 2 and up)
    alignment patterns set as every QR symbol of that size has them (ISO/IEC 18004, 6.3): they carry no
    data, and a few of their modules read wrong keep a decoder from finding the symbol at all."""
    out = modules.copy()
    n = out.shape[0]
    finder = np.zeros((9, 9), bool)  # 7 x 7 finder with its one-module light separator around it
    finder[1:8, 1:8] = True
    finder[2:7, 2:7] = False
    finder[3:6, 3:6] = True
    for r, c in ((0, 0), (0, n - 7), (n - 7, 0)):
        r0, c0 = max(r - 1, 0), max(c - 1, 0)
        r1, c1 = min(r + 8, n), min(c + 8, n)
        out[r0:r1, c0:c1] = finder[r0 - r + 1:r1 - r + 1, c0 - c + 1:c1 - c + 1]
    out[6, 8:n - 8] = np.arange(8, n - 8) % 2 == 0
    out[8:n - 8, 6] = np.arange(8, n - 8) % 2 == 0
    if n >= 25 and (n - 17) // 4 <= 6:  # versions 2-6: one alignment pattern, centred 7 modules in from the far corner
        a = n - 7
        out[a - 2:a + 3, a - 2:a + 3] = True
        out[a - 1:a + 2, a - 1:a + 2] = False
        out[a, a] = True
    return out


def read_code_by_modules(grey: np.ndarray, homography: np.ndarray) -> PageIdentity | None:
    """The identity in the page's QR code read module by module where ``homography`` (layout mm -> px)
    puts it, or None; for a code the decoder cannot read as scanned (a halftone photocopy's dots).

    For each symbol size omr may print (``T.QR_MODULE_COUNTS``), and for small shifts of the grid
    (``T.QR_MODULE_SHIFTS``, in modules: the corner marks place the code to a fraction of a module),
    each module's middle is averaged over its cell, which smooths any screen finer than a module,
    thresholded halfway between the light and dark medians, drawn again as a clean symbol and
    decoded (only a grid whose three finder patterns agree with the modules read, on
    ``T.QR_MODULE_MIN_AGREEMENT`` of them, is decoded). Only a decoded payload of ours whose own print (:func:`qr_matrix`) agrees with the
    modules read on at least ``T.QR_MODULE_MIN_AGREEMENT`` of them counts. ``grey``: uint8 (h, w).
    """
    import zxingcpp

    x, y, w, h = QR_RECT_MM
    cell = 8
    for n in T.QR_MODULE_COUNTS:
        for dx, dy in T.QR_MODULE_SHIFTS:
            module = w / n
            x0, y0 = x + dx * module, y + dy * module
            corners_px = map_points(homography, np.array([[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h]]))
            target = np.float32([[0, 0], [n * cell, 0], [n * cell, n * cell], [0, n * cell]])
            warp = cv2.getPerspectiveTransform(corners_px.astype(np.float32), target)
            sampled = cv2.warpPerspective(grey, warp, (n * cell, n * cell), flags=cv2.INTER_LINEAR,
                                          borderValue=255)
            centres = sampled.reshape(n, cell, n, cell)[:, 1:7, :, 1:7].mean(axis=(1, 3))
            light, dark = np.percentile(centres, 80), np.percentile(centres, 20)
            if light - dark < T.QR_MIN_CONTRAST * max(light, 1.0):
                continue
            read = centres < (light + dark) / 2
            modules = _with_function_patterns(read)
            corners = [(slice(0, 8), slice(0, 8)), (slice(0, 8), slice(n - 8, n)), (slice(n - 8, n), slice(0, 8))]
            if min(np.mean(read[c] == modules[c]) for c in corners) < T.QR_MODULE_MIN_AGREEMENT:
                continue  # no finder pattern where this grid puts them: not the code's size or place
            clean = np.pad(np.where(modules, 0, 255).astype(np.uint8), 4, constant_values=255)
            clean = cv2.resize(clean, None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)
            for barcode in zxingcpp.read_barcodes(clean, formats=zxingcpp.BarcodeFormat.QRCode):
                identity = parse_payload(barcode.text)
                if identity is None:
                    continue
                try:
                    printed = qr_matrix(barcode.text, _data_mask(barcode))
                except Exception:  # not a payload omr prints: not the page's own code
                    continue
                if printed.shape == modules.shape and np.mean(printed == modules) >= T.QR_MODULE_MIN_AGREEMENT:
                    return identity
    return None
