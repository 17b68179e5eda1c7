"""Align a page without fiducials or QR code: register it to a blank reference image.

Forms designed elsewhere (:mod:`omr.forms.pinned`) carry none of omr's marks. A
scanned page is matched to each pinned page's reference image with SIFT
features (scale and rotation invariant) and a RANSAC
homography, which takes out scale, rotation, a photocopy's shift and a phone's
perspective. Imported OMRChecker templates may instead define their geometry
by the sheet's outline (``anchor: page``) or four corner markers
(``anchor: markers``); both are tried, and the one whose warped page looks
most like the reference wins.

The page chosen among several templates is the one most similar to its
reference after warping (normalised correlation of the high-passed images);
the certainty says how far it beats the runner-up. A page like no reference is
set aside. All functions take grey ``uint8`` images.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from omr import tuning as T
from omr.errors import TemplateError
from omr.forms.pinned import hash_serial
from omr.text.numbers import vn_decimal, vn_percent  # noqa: F401 (vn_decimal: also imported from here)


@dataclass
class Registration:
    homography: np.ndarray  # reference px -> page px
    method: str  # features | page | markers | none
    inliers: int = 0
    similarity: float = 0.0  # of the warped page to the reference, -1..1


@dataclass
class PinnedMatch:
    layout: object  # omr.forms.layout.Layout
    page: object  # omr.forms.layout.PageLayout
    homography_mm: np.ndarray  # layout mm -> page px
    registration: Registration
    certainty: float  # 0..1
    runner_up: str = ""


def _shrink(grey: np.ndarray, longest: int) -> tuple[np.ndarray, float]:
    """The image with its longer side at most ``longest`` px, and the factor applied."""
    scale = min(1.0, longest / max(grey.shape))
    if scale == 1.0:
        return grey, 1.0
    return cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), scale


@lru_cache(maxsize=32)
def load_reference(path: str) -> np.ndarray:
    image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise TemplateError(f"Không đọc được ảnh mẫu trắng: {path}")
    return image


@lru_cache(maxsize=64)
def reference_digest(path: str) -> str:
    """A digest of the reference image's pixels: two templates made from one blank (OMRChecker's
    sample2 and answer-key/weighted-answers) share it, and a page registered to one is registered
    to the other (:func:`match_pinned` registers each distinct reference once per page)."""
    image = load_reference(path)
    return hashlib.sha1(image.tobytes() + repr(image.shape).encode()).hexdigest()


@lru_cache(maxsize=32)
def _reference_features(path: str):
    features = page_features(load_reference(path))
    return features.points, features.descriptors


def _detector():
    # SIFT: scale and rotation invariant, and distinctive enough for repeated bubble grids
    # (AKAZE left OpenCV's main package in 5.0). A low contrast threshold: printed
    # forms are mostly white, and thin lines give weak responses.
    return cv2.SIFT_create(nfeatures=T.REGISTER_MAX_FEATURES, contrastThreshold=T.REGISTER_CONTRAST_THRESHOLD)


@dataclass
class PageFeatures:
    """A page's SIFT features, computed once per page and matched against every candidate reference."""

    points: np.ndarray  # (n, 2) page px
    descriptors: np.ndarray | None
    scale: float  # of the image they were found on, to page px


def page_features(grey: np.ndarray, longest: int = 0, count: int = 0) -> PageFeatures:
    """SIFT features of a page at ``longest`` px on its longer side (default ``REGISTER_MAX_SIDE_PX``)."""
    small, scale = _shrink(grey, longest or T.REGISTER_MAX_SIDE_PX)
    detector = _detector() if not count else cv2.SIFT_create(nfeatures=count,
                                                             contrastThreshold=T.REGISTER_CONTRAST_THRESHOLD)
    keypoints, descriptors = detector.detectAndCompute(small, None)
    # Strongest first, so that a quick match can take the first few hundred.
    order = sorted(range(len(keypoints)), key=lambda i: -keypoints[i].response)
    points = np.float32([keypoints[i].pt for i in order]).reshape(-1, 2) / scale
    return PageFeatures(points, descriptors[order] if descriptors is not None else None, scale)


def shortlist(scored: list) -> list:
    """Which references to register in full (issue #16: identify cheaply first), as (item, by features).

    ``scored``: (inliers of a quick match, anchored, item). The best ``IDENTIFY_CANDIDATES`` by inliers,
    and any other within ``IDENTIFY_KEEP_SHARE`` of the best (one form imported twice scores alike), are
    registered by features in full; references placed by printed anchors (sheet outline, corner markers:
    features may miss them on a phone photo) are always scored, by their anchors alone when not among
    those."""
    scored = sorted(scored, key=lambda s: s[0], reverse=True)
    best = scored[0][0] if scored else 0
    out = []
    for rank, (inliers, anchored, item) in enumerate(scored):
        by_features = inliers > 0 and (rank < T.IDENTIFY_CANDIDATES or inliers >= T.IDENTIFY_KEEP_SHARE * best)
        if by_features or anchored or rank < T.IDENTIFY_CANDIDATES:
            out.append((item, by_features))
    return out


def register_features(grey: np.ndarray, reference_path: str, features: PageFeatures | None = None,
                      limit: int = 0) -> Registration | None:
    """Reference px -> page px from matched SIFT features and a RANSAC homography, or None.

    ``features``: the page's features when already computed (one page, several references);
    ``limit``: match only the strongest ``limit`` features of each side (a quick, coarser match)."""
    ref_pts, ref_desc = _reference_features(reference_path)
    return register_to(grey, ref_pts, ref_desc, load_reference(reference_path).shape, features, limit)


def register_to(grey: np.ndarray, ref_pts: np.ndarray, ref_desc: np.ndarray | None, ref_shape: tuple[int, int],
                features: PageFeatures | None = None, limit: int = 0) -> Registration | None:
    """:func:`register_features` against a reference given by its SIFT features (``ref_pts`` (n, 2) px,
    ``ref_desc``) and its shape (h, w) px: reference px -> page px, or None."""
    features = features or page_features(grey)
    descriptors, scale = features.descriptors, features.scale
    if descriptors is None or ref_desc is None or len(features.points) < 8:
        return None
    page_pts = features.points
    if limit:  # a quick match on the strongest features only (identifying the form)
        ref_pts, ref_desc = ref_pts[:limit], ref_desc[:limit]
        page_pts, descriptors = page_pts[:limit], descriptors[:limit]
    if len(ref_desc) < 2 or len(descriptors) < 2:
        return None
    nearest, first, second = nearest_two(ref_desc, descriptors)
    good = np.flatnonzero(first < T.REGISTER_RATIO * second)
    if len(good) < T.REGISTER_MIN_INLIERS:
        return None
    src = ref_pts[good]
    dst = page_pts[nearest[good]]
    threshold = T.REGISTER_RANSAC_PX / scale
    h, mask = cv2.findHomography(src, dst, cv2.RANSAC, threshold, maxIters=5000, confidence=0.999)
    if h is None:
        return None
    inliers = int(mask.sum())
    if inliers < T.REGISTER_MIN_INLIERS or not _plausible(h, ref_shape):
        return None
    return Registration(h, "features", inliers)


def nearest_two(query: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each ``query`` descriptor (n, d) float32, the index of its nearest ``train`` descriptor (m, d),
    m >= 2, and its L2 distances to the nearest and the second nearest: (n,) int, (n,) float32, (n,) float32.

    What ``cv2.BFMatcher(NORM_L2).knnMatch(query, train, k=2)`` gives for Lowe's ratio test, in about
    half its CPU (SIFT's 4,000 x 4,000 descriptors: 0.18 s against 0.44 s on this machine, 2026-12-03):
    the squared distances come from one matrix product (|q|^2 + |t|^2 - 2 q.t), in blocks of
    ``MATCH_BLOCK_ROWS`` query rows so that no 64 MB matrix is ever held (a reading worker stays under
    200 MB), and the two distances kept are then computed directly from the descriptors, so that the
    product's rounding only decides between near ties (whose ratio is ~1 and fails the test either way)."""
    query = np.ascontiguousarray(query, dtype=np.float32)
    train = np.ascontiguousarray(train, dtype=np.float32)
    train_sq = np.einsum("ij,ij->i", train, train)
    nearest = np.empty(len(query), np.intp)
    runner = np.empty(len(query), np.intp)
    for start in range(0, len(query), T.MATCH_BLOCK_ROWS):
        block = query[start:start + T.MATCH_BLOCK_ROWS]
        # |t|^2 - 2 q.t: the query's own |q|^2 does not change which train descriptor is nearest.
        scores = block @ train.T
        scores *= -2.0
        scores += train_sq
        rows = np.arange(len(block))
        best = scores.argmin(axis=1)
        scores[rows, best] = np.inf
        nearest[start:start + len(block)] = best
        runner[start:start + len(block)] = scores.argmin(axis=1)
    first = np.linalg.norm(query - train[nearest], axis=1)
    second = np.linalg.norm(query - train[runner], axis=1)
    return nearest, first, second


def _plausible(h: np.ndarray, shape: tuple[int, int]) -> bool:
    """A homography that keeps the reference a convex, not wildly distorted, quadrilateral."""
    rh, rw = shape[:2]
    corners = cv2.perspectiveTransform(np.float32([[0, 0], [rw, 0], [rw, rh], [0, rh]]).reshape(-1, 1, 2),
                                       h).reshape(-1, 2)
    if not cv2.isContourConvex(corners.astype(np.float32)):
        return False
    sides = np.linalg.norm(corners - np.roll(corners, -1, axis=0), axis=1)
    return bool(sides.min() > 0.2 * sides.max())


def _canvas_to_quad(quad: np.ndarray, width: int, height: int) -> np.ndarray:
    canvas = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    return cv2.getPerspectiveTransform(canvas, quad.astype(np.float32))


def _order_corners(pts: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left."""
    pts = np.asarray(pts, dtype=np.float64).reshape(4, 2)
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]])


_sheet_cache: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}


def find_sheet(grey: np.ndarray) -> np.ndarray | None:
    """The four corners of the sheet (see :func:`_find_sheet`), found once per page image: every
    template anchored by the page outline asks for the same page's sheet."""
    key = id(grey)
    cached = _sheet_cache.get(key)
    if cached is not None and cached[0] is grey:
        return cached[1]
    corners = _find_sheet(grey)
    _sheet_cache.clear()  # one page at a time: keep only the latest
    _sheet_cache[key] = (grey, corners)
    return corners


def _find_sheet(grey: np.ndarray) -> np.ndarray | None:
    """The four corners (TL, TR, BR, BL, px) of a sheet photographed on a darker background, or None.

    Text is closed away, the sheet's edge found with Canny, and the largest
    contour that simplifies to four points and covers a good part of the
    image is the sheet (OMRChecker's CropPage does the same).
    """
    small, scale = _shrink(grey, T.SHEET_SEARCH_SIDE_PX)
    norm = cv2.normalize(small, None, 0, 255, cv2.NORM_MINMAX)
    closed = cv2.morphologyEx(norm, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    edges = cv2.Canny(cv2.GaussianBlur(closed, (5, 5), 0), 40, 120)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    area = small.shape[0] * small.shape[1]
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:8]:
        hull = cv2.convexHull(contour)
        if cv2.contourArea(hull) < T.SHEET_MIN_AREA_SHARE * area:
            break
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(approx) == 4:
            return _order_corners(approx.reshape(4, 2) / scale)
    return None


def find_markers(grey: np.ndarray, marker: np.ndarray, width_ratio: float) -> np.ndarray | None:
    """Centres (TL, TR, BR, BL, px) of four printed corner markers, or None.

    The marker is searched at scales around the expected one (the sheet width
    divided by ``width_ratio``, as OMRChecker's CropOnMarkers states it), one
    marker in each quarter of the page.
    """
    small, scale = _shrink(grey, T.MARKER_SEARCH_SIDE_PX)
    small = cv2.GaussianBlur(small, (3, 3), 0)
    h, w = small.shape
    expected = w / width_ratio
    best = None
    for factor in np.arange(0.5, 1.45, 0.05):
        size = int(round(expected * factor))
        if size < 8 or size * 2 > min(h, w):
            continue
        templ = cv2.resize(marker, (size, int(round(size * marker.shape[0] / marker.shape[1]))),
                           interpolation=cv2.INTER_AREA)
        centres, scores = [], []
        for y0, y1, x0, x1 in ((0, h // 2, 0, w // 2), (0, h // 2, w // 2, w),
                               (h // 2, h, w // 2, w), (h // 2, h, 0, w // 2)):
            quarter = small[y0:y1, x0:x1]
            if quarter.shape[0] < templ.shape[0] or quarter.shape[1] < templ.shape[1]:
                break
            res = cv2.matchTemplate(quarter, templ, cv2.TM_CCOEFF_NORMED)
            _, top, _, (mx, my) = cv2.minMaxLoc(res)
            centres.append((x0 + mx + templ.shape[1] / 2, y0 + my + templ.shape[0] / 2))
            scores.append(top)
            if best is not None and top <= best[0]:
                break  # its weakest quarter cannot beat the best scale's: the other quarters are not needed
        if len(scores) == 4 and (best is None or min(scores) > best[0]):
            best = (min(scores), centres)
    if best is None or best[0] < T.MARKER_MIN_CORRELATION:
        return None
    return np.array(best[1]) / scale


_markers_cache: dict[tuple, tuple[np.ndarray, np.ndarray | None]] = {}


def _markers_on_sheet(grey: np.ndarray, marker_path: str, ratio: float) -> np.ndarray | None:
    """:func:`_find_markers_on_sheet`, once per page image and marker: templates that share one
    marker image and ratio (three of OMRChecker's samples) ask for the same page's markers."""
    key = (id(grey), reference_digest(marker_path), ratio)
    cached = _markers_cache.get(key)
    if cached is not None and cached[0] is grey:
        return cached[1]
    if any(k[0] != id(grey) or v[0] is not grey for k, v in _markers_cache.items()):
        _markers_cache.clear()  # one page at a time: keep only the latest page's
    centres = _find_markers_on_sheet(grey, load_reference(marker_path), ratio)
    _markers_cache[key] = (grey, centres)
    return centres


def _find_markers_on_sheet(grey: np.ndarray, marker: np.ndarray, ratio: float) -> np.ndarray | None:
    """Markers searched on the sheet cut out of the photo (its width is what the ratio refers
    to, as in OMRChecker, which crops the page first); on the whole image if no sheet shows."""
    sheet = find_sheet(grey)
    if sheet is None:
        return find_markers(grey, marker, ratio)
    width = int(np.linalg.norm(sheet[1] - sheet[0]) + np.linalg.norm(sheet[2] - sheet[3])) // 2
    height = int(np.linalg.norm(sheet[3] - sheet[0]) + np.linalg.norm(sheet[2] - sheet[1])) // 2
    to_sheet = _canvas_to_quad(sheet, width, height)
    flat = cv2.warpPerspective(grey, to_sheet, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    centres = find_markers(flat, marker, ratio)
    if centres is None:
        return find_markers(grey, marker, ratio)
    return cv2.perspectiveTransform(centres.reshape(-1, 1, 2).astype(np.float64), to_sheet).reshape(-1, 2)


def anchor_registration(grey: np.ndarray, pinned: dict, canvas: tuple[int, int]) -> Registration | None:
    """Reference px -> page px from the page's anchors (sheet outline, markers or the whole image)."""
    width, height = canvas
    anchor = pinned.get("anchor", "features")
    if anchor == "none":
        h, w = grey.shape
        return Registration(np.diag([w / width, h / height, 1.0]), "none")
    if anchor == "page":
        quad = find_sheet(grey)
    elif anchor == "markers" and pinned.get("_marker_path"):
        quad = _markers_on_sheet(grey, pinned["_marker_path"], float(pinned.get("marker_ratio", 17)))
    else:
        return None
    if quad is None:
        return None
    return Registration(_canvas_to_quad(quad, width, height), anchor)


def _page_scale(h_ref_to_page: np.ndarray, reference_shape: tuple[int, int]) -> float:
    """Page px per reference px at the reference's centre under ``h_ref_to_page`` (the square root of
    the local area ratio)."""
    rh, rw = reference_shape[:2]
    c = np.array([rw / 2, rh / 2])
    pts = cv2.perspectiveTransform(np.float64([[c, c + [1, 0], c + [0, 1]]]), h_ref_to_page)[0]
    d1, d2 = pts[1] - pts[0], pts[2] - pts[0]
    return float(np.sqrt(abs(d1[0] * d2[1] - d1[1] * d2[0])))


def _resampling(sx: float, sy: float) -> np.ndarray:
    """Pixel coordinates of an image -> those of the image resized by (sx, sy), pixel centres kept
    (``cv2.resize``'s convention: x' = sx (x + 0.5) - 0.5); a plain scaling would shift the resized
    image by half a pixel less half a source pixel, a bias that a refinement would then "correct"."""
    return np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])


_shrunk_cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def _shrunk_page(grey: np.ndarray, shrink: float) -> np.ndarray:
    """``grey`` resized by at least ``shrink`` (area averaging), on steps of 2^(1/4) so that one page's
    copies are shared by every reference and call (one page at a time is kept)."""
    step = int(np.ceil(np.log2(shrink) * 4))
    key = (id(grey), step)
    cached = _shrunk_cache.get(key)
    if cached is not None and cached[0] is grey:
        return cached[1]
    if any(k[0] != id(grey) or v[0] is not grey for k, v in _shrunk_cache.items()):
        _shrunk_cache.clear()
    factor = 2.0 ** (step / 4)
    small = cv2.resize(grey, (max(1, round(grey.shape[1] * factor)), max(1, round(grey.shape[0] * factor))),
                       interpolation=cv2.INTER_AREA)
    _shrunk_cache[key] = (grey, small)
    return small


def warp_onto_reference(grey: np.ndarray, h_ref_to_page: np.ndarray, size: tuple[int, int],
                        to_small: np.ndarray, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """The page resampled onto a copy of the reference resized to ``size`` (w, h) (uint8).

    ``h_ref_to_page``: reference px -> page px; ``to_small``: reference px -> that copy's px
    (:func:`_resampling`). A page larger than the copy (a 4,160 px photo onto a 400 px frame) is
    first shrunk by area averaging: a warp samples points, and 10:1 point sampling aliases printed
    text into noise (sample6's own blank scored 0.33 against itself that way, 0.89 now)."""
    zoom = np.sqrt(abs(np.linalg.det(to_small[:2, :2])))
    shrink = min(1.0, zoom / max(_page_scale(h_ref_to_page, (size[1] / zoom, size[0] / zoom)), 1e-6))
    from_page = np.eye(3)
    if shrink < T.WARP_PRESHRINK_BELOW:
        small = _shrunk_page(grey, shrink)
        from_page = _resampling(small.shape[1] / grey.shape[1], small.shape[0] / grey.shape[0])
        grey = small
    h = from_page @ h_ref_to_page @ np.linalg.inv(to_small)
    return cv2.warpPerspective(grey, h, size, flags=interpolation | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)


@lru_cache(maxsize=64)
def _reference_small(path: str, side: int) -> tuple[np.ndarray, np.ndarray]:
    """The reference resized to ``side`` px on its longer side (area averaging), and the matrix from
    the reference's px to the copy's (:func:`_resampling`)."""
    reference = load_reference(path)
    small = _resized(reference, side)
    return small, _resampling(small.shape[1] / reference.shape[1], small.shape[0] / reference.shape[0])


@lru_cache(maxsize=64)
def _reference_high_pass(path: str, side: int) -> np.ndarray:
    """:func:`_reference_small`'s copy high-passed as :func:`refine` compares it (once per reference and
    size, not once per page). float32 (h, w)."""
    return _high_pass(_reference_small(path, side)[0], T.REFINE_HIGH_PASS_PX)


def _resized(image: np.ndarray, side: int) -> np.ndarray:
    scale = side / max(image.shape)
    size = (max(1, int(image.shape[1] * scale)), max(1, int(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _high_pass(img: np.ndarray, sigma: float = 4.0) -> np.ndarray:
    """``img`` as float32 less its Gaussian blur (``sigma`` px): print kept, paper and light taken out."""
    img = img.astype(np.float32)
    return img - cv2.GaussianBlur(img, (0, 0), sigma) if sigma else img


def similarity(grey: np.ndarray, reference: np.ndarray, h_ref_to_page: np.ndarray) -> float:
    """Correlation of the page warped onto the reference with the reference, both high-passed.

    Printed lines and text dominate both images, so a filled copy of the same
    form scores high (marks and handwriting cover a small share), another
    form or a misregistration scores near zero. Both are compared at
    ``SIMILARITY_SIDE_PX`` on the reference's longer side.
    """
    ref_small, b, b_energy = _similarity_reference(reference)
    if T.IDENTIFY_REFINE:
        to_small = _resampling(ref_small.shape[1] / reference.shape[1], ref_small.shape[0] / reference.shape[0])
        warped = warp_onto_reference(grey, h_ref_to_page, (ref_small.shape[1], ref_small.shape[0]), to_small)
    else:  # as before the refinement (the thresholds were measured so): the page point-sampled
        scale = T.SIMILARITY_SIDE_PX / max(reference.shape)
        warped = cv2.warpPerspective(grey, h_ref_to_page @ np.diag([1 / scale, 1 / scale, 1.0]),
                                     (ref_small.shape[1], ref_small.shape[0]),
                                     flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    a = _high_pass(warped).ravel()
    a = a - a.mean()
    denominator = float(np.sqrt((a * a).sum() * b_energy))
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


_similarity_cache: dict[int, tuple[np.ndarray, tuple]] = {}


def _similarity_reference(reference: np.ndarray) -> tuple:
    """The reference's side of :func:`similarity`, computed once per reference image (not once per page and
    candidate: resizing a 2,550 x 3,300 px blank took ~17 ms wall a call, 144 calls on OMRChecker's 29 samples): its copy at ``SIMILARITY_SIDE_PX``,
    that copy high-passed, zero-mean and flattened (float32), and its energy (sum of squares, float32).
    Keyed by the array's identity (:func:`load_reference` returns one array per path), checked on use."""
    cached = _similarity_cache.get(id(reference))
    if cached is not None and cached[0] is reference:
        return cached[1]
    ref_small = _resized(reference, T.SIMILARITY_SIDE_PX)
    b = _high_pass(ref_small).ravel()
    b = b - b.mean()
    if len(_similarity_cache) >= 32:  # as many as load_reference keeps
        _similarity_cache.clear()
    entry = (ref_small, b, (b * b).sum())  # float32, as the product it enters was before
    _similarity_cache[id(reference)] = (reference, entry)
    return entry


def refine(grey: np.ndarray, reference_path: str, found: Registration) -> Registration | None:
    """``found`` refined by intensity (issue #16, item 6): the page is warped onto the reference at
    each size of ``REFINE_LEVELS`` (coarse to fine) by the placing so far and the residual homography that best aligns it with the reference
    is found by OpenCV's ECC (enhanced correlation coefficient, :func:`cv2.findTransformECC`). Returns
    the refined registration (method ``found.method + "+ecc"``, its similarity scored), or None when
    ECC does not converge or moves the page implausibly far (``REFINE_MAX_MOVE``: it slid to another
    part of the print). ``grey``: (h, w) uint8 page; costs ~20-100 ms on a 2,000 px page."""
    full = load_reference(reference_path)
    h = found.homography
    for side, iterations in T.REFINE_LEVELS:  # coarse to fine: the coarse level's pixels are 4x fewer
        reference, to_small = _reference_small(reference_path, side)
        warped = warp_onto_reference(grey, h, (reference.shape[1], reference.shape[0]), to_small)
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations, T.REFINE_EPSILON)
        try:
            _, residual = cv2.findTransformECC(_high_pass(warped, T.REFINE_HIGH_PASS_PX),
                                               _reference_high_pass(reference_path, side),
                                               np.eye(3, dtype=np.float32), cv2.MOTION_HOMOGRAPHY, criteria, None,
                                               T.REFINE_BLUR_PX)
        except cv2.error:  # "did not converge": images uncorrelated (another form) or too far off
            return None
        # residual: the warped page's px -> the small reference's px (both in the reference's frame).
        h = h @ np.linalg.inv(to_small) @ np.linalg.inv(residual.astype(np.float64)) @ to_small
        h /= h[2, 2]
    rh, rw = full.shape
    corners = np.float64([[[0, 0], [rw, 0], [rw, rh], [0, rh]]])
    moved = np.abs(cv2.perspectiveTransform(corners, np.linalg.inv(found.homography) @ h)[0] - corners[0]).max()
    if moved > T.REFINE_MAX_MOVE * max(rh, rw) or not _plausible(h, full.shape):
        return None
    refined = Registration(h, found.method + "+ecc", found.inliers)
    refined.similarity = similarity(grey, full, h)
    return refined


_NOT_YET = object()


def register_page(grey: np.ndarray, pinned: dict, features: PageFeatures | None = None,
                  by_features=_NOT_YET) -> Registration | None:
    """The best registration of a page to one pinned page's reference, scored by similarity.

    ``by_features``: the feature registration when already made, or None to use the printed anchors only."""
    reference = load_reference(pinned["_reference_path"])
    candidates = []
    if pinned.get("anchor", "features") != "features":
        found = anchor_registration(grey, pinned, (reference.shape[1], reference.shape[0]))
        if found is not None:
            candidates.append(found)
    found = register_features(grey, pinned["_reference_path"], features) if by_features is _NOT_YET else by_features
    if found is not None:
        candidates.append(found)
    for candidate in candidates:
        if not candidate.similarity:
            candidate.similarity = similarity(grey, reference, candidate.homography)
    return max(candidates, key=lambda c: c.similarity, default=None)


def mm_homography(registration: Registration, page) -> np.ndarray:
    """Layout mm -> page px, from reference px -> page px."""
    reference = load_reference(page.pinned["_reference_path"])
    px_per_mm = np.diag([reference.shape[1] / page.width, reference.shape[0] / page.height, 1.0])
    return registration.homography @ px_per_mm


def newest_pinned(layouts) -> list:
    """The layouts a new scan may be matched to: of each pinned form, only its newest version.

    A pinned form carries no version on the paper, and a new version (regrouped, renamed, a box
    removed in the web app's template editor) keeps the same blank reference: two versions would
    score the same and the older could win the tie, reading the page with the boxes that were
    corrected. Older versions stay in the catalogue for the pages already read with them.
    Layouts without pinned pages (omr's own forms: the QR code names the version) pass unchanged.
    """
    layouts = list(layouts)
    newest: dict[str, int] = {}
    for layout in layouts:
        if any(page.pinned for page in layout.pages):
            newest[layout.form_id] = max(newest.get(layout.form_id, 0), layout.version)
    return [layout for layout in layouts if newest.get(layout.form_id, layout.version) == layout.version
            or not any(page.pinned for page in layout.pages)]


def thumbnail(grey: np.ndarray) -> np.ndarray:
    """A page's global descriptor: ``IDENTIFY_THUMB_PX`` (w, h) high-passed, zero-mean, unit-norm, float32.

    ``grey``: (h, w) uint8, any size. The page is stretched to the thumbnail's fixed shape (another
    page size then scores low on its own); at this size text is texture and the blocks of print (grids
    of bubbles, tables, headings) are what is compared. Costs ~1 ms."""
    width, height = T.IDENTIFY_THUMB_PX
    small = cv2.resize(grey, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    small -= cv2.GaussianBlur(small, (0, 0), T.IDENTIFY_THUMB_BLUR_PX)
    small -= small.mean()
    norm = float(np.linalg.norm(small))
    return (small / norm if norm > 0 else small).ravel()


@lru_cache(maxsize=64)
def _reference_thumbnail(path: str) -> np.ndarray:
    return thumbnail(load_reference(path))


def thumbnail_scores(grey: np.ndarray, reference_paths: list[str]) -> list[float]:
    """Correlation (-1..1) of the page's :func:`thumbnail` with each reference's, upright or turned 180°.

    The sheet is cut out of a photo first when its outline shows (:func:`find_sheet`), so a darker
    background does not decide. A ranking, not a decision: the best few are registered and scored."""
    sheet = find_sheet(grey)
    if sheet is not None:
        width = int(np.linalg.norm(sheet[1] - sheet[0]) + np.linalg.norm(sheet[2] - sheet[3])) // 2
        height = int(np.linalg.norm(sheet[3] - sheet[0]) + np.linalg.norm(sheet[2] - sheet[1])) // 2
        grey = cv2.warpPerspective(grey, _canvas_to_quad(sheet, width, height), (max(width, 1), max(height, 1)),
                                   flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP)
    upright = thumbnail(grey)
    turned = upright[::-1]  # the thumbnail of the page turned 180 degrees
    return [max(float(upright @ ref), float(turned @ ref)) for ref in map(_reference_thumbnail, reference_paths)]


def _by_thumbnail(grey: np.ndarray, pinned_pages: list) -> list:
    """The pinned pages worth registering first: the best ``IDENTIFY_CANDIDATES`` by thumbnail score
    and any other within ``IDENTIFY_THUMB_KEEP`` of the best (one form imported twice scores alike)."""
    scores = thumbnail_scores(grey, [page.pinned["_reference_path"] for _, page in pinned_pages])
    ranked = sorted(zip(scores, range(len(pinned_pages))), reverse=True)
    best = ranked[0][0] if ranked else 0.0
    return [pinned_pages[i] for rank, (score, i) in enumerate(ranked)
            if rank < T.IDENTIFY_CANDIDATES or score >= best - T.IDENTIFY_THUMB_KEEP]


def _registration_key(pinned: dict, by_features: bool) -> tuple:
    """What a page's registration to a pinned page depends on: the reference's pixels and its anchors."""
    anchor = pinned.get("anchor", "features")
    marker = (reference_digest(pinned["_marker_path"]), float(pinned.get("marker_ratio", 17))) \
        if anchor == "markers" and pinned.get("_marker_path") else None
    return reference_digest(pinned["_reference_path"]), anchor, marker, by_features


def _register_once(grey: np.ndarray, pinned: dict, features: PageFeatures, memo: dict,
                   by_features: bool = True) -> Registration | None:
    """:func:`register_page`, once per page for each distinct reference and anchors (``memo``): one blank
    imported under two form ids, or a candidate of the first pass met again in the full search."""
    key = _registration_key(pinned, by_features)
    if key not in memo:
        memo[key] = register_page(grey, pinned, features, _NOT_YET if by_features else None)
    return memo[key]


def _scored(grey: np.ndarray, candidates: list, features: PageFeatures, memo: dict) -> list:
    """(similarity, layout, page, registration) of each candidate page that registers (:func:`register_page`:
    printed anchors and features, the better kept)."""
    scored = []
    for layout, page in candidates:
        found = _register_once(grey, page.pinned, features, memo)
        if found is not None:
            scored.append((found.similarity, layout, page, found))
    return scored


def _placed_by_anchors(grey: np.ndarray, candidates: list, memo: dict) -> tuple[list, set] | None:
    """Every candidate placed by its printed anchors alone and scored by :func:`similarity`:
    (``[(similarity, layout, page, Registration)]``, ids of the pages placed on the whole image because
    their outline or markers are not on this page), or None when there is no candidate or one is
    registered by features alone (then every candidate's similarity is not known by anchors)."""
    scored, whole_image = [], set()
    for layout, page in candidates:
        if page.pinned.get("anchor", "features") == "features":
            return None
        found = _register_once(grey, page.pinned, None, memo, by_features=False)
        if found is None:
            # Its outline or markers not on this page (a flat scan of another form): scored as
            # OMRChecker would place it, on the whole image, only to weigh it as the runner-up.
            reference = load_reference(page.pinned["_reference_path"])
            found = anchor_registration(grey, {"anchor": "none"}, (reference.shape[1], reference.shape[0]))
            found.similarity = similarity(grey, reference, found.homography)
            whole_image.add(id(page))
        scored.append((found.similarity, layout, page, found))
    return (scored, whole_image) if scored else None


def _by_anchors(grey: np.ndarray, candidates: list, memo: dict) -> tuple[PinnedMatch, str] | None:
    """:func:`match_pinned` without feature matching, or None: every candidate is placed by its printed
    anchors alone (sheet outline, corner markers, or the whole image: what OMRChecker itself does),
    scored by :func:`similarity`, and refined by intensity (:func:`refine`, ECC) when it looks like the
    page at all (``REFINE_MIN_SIMILARITY``, the best always). Taken only when every candidate has
    printed anchors (a template registered by features alone needs them), so each one's similarity is
    known and the certainty compares like with like, and the best is a refinement that converged, placed
    from its own anchors, and :func:`_sure` by similarity (``IDENTIFY_SURE_SIMILARITY``). Else the
    features decide (a photo whose outline is lost, a misplaced anchor, a page like no reference).
    The page is read with the refined registration. ``grey``: (h, w) uint8 page; ``candidates``:
    (layout, page) pairs; ``memo``: registrations made for this page, by (reference pixels, anchors,
    how)."""
    if not T.IDENTIFY_REFINE:
        return _by_anchors_then_features(grey, candidates, memo)
    placed = _placed_by_anchors(grey, candidates, memo)
    if placed is None:
        return None
    scored, whole_image = placed
    first = max(item[0] for item in scored)
    converged = set()  # pages whose refinement converged: the intensities agree with the anchors' placing
    for index, (score, layout, page, found) in enumerate(scored):
        if score >= T.REFINE_MIN_SIMILARITY or score == first:
            key = (_registration_key(page.pinned, False), "refined", id(page) in whole_image)
            if key not in memo:
                memo[key] = refine(grey, page.pinned["_reference_path"], found)
            refined = memo[key]
            if refined is not None:
                converged.add(id(page))
                if refined.similarity >= score:  # else the anchors already placed it as well
                    scored[index] = (refined.similarity, layout, page, refined)
    best = max(scored, key=lambda item: item[0])
    if best[0] < T.IDENTIFY_SURE_SIMILARITY or id(best[2]) in whole_image or id(best[2]) not in converged:
        return None
    return _best_of(scored)


def _by_anchors_then_features(grey: np.ndarray, candidates: list, memo: dict) -> tuple[PinnedMatch, str] | None:
    """(``IDENTIFY_REFINE`` False) :func:`match_pinned` with feature work only for the forms that look like the page, or None: every
    candidate is first placed by its printed anchors alone (sheet outline, corner markers, or the whole
    image: what OMRChecker itself does) and verified by :func:`similarity`. Taken only when every
    candidate has printed anchors (a template registered by features alone needs them), so each one's
    similarity is known and the certainty compares like with like, and the best, placed by its own
    anchors, is :func:`_sure` by similarity (``IDENTIFY_SURE_SIMILARITY``: above what another form placed
    by its outline reaches). Else the features decide (a photo whose outline is lost, a misplaced
    anchor). ``grey``: (h, w) uint8 page; ``candidates``: (layout, page) pairs; ``memo``: registrations
    made for this page, by (reference pixels, anchors, by features)."""
    placed = _placed_by_anchors(grey, candidates, memo)
    if placed is None:
        return None
    scored, whole_image = placed
    best = max(scored, key=lambda item: item[0])
    if best[0] < T.IDENTIFY_SURE_SIMILARITY or id(best[2]) in whole_image:
        return None
    # The page is read with the registration the full path would give (a shift of 0.2 px flips a
    # borderline bubble on UmarFarootAPS's blurred scan), and every candidate that looks like the page
    # at all (PINNED_MIN_SIMILARITY: one blank imported twice, two templates of one printed sheet) is
    # registered in full too, so the certainty weighs it as before; other forms keep their anchors'
    # score (below 0.15 by features too) and cost no feature matching.
    features = None
    for index, (score, layout, page, found) in enumerate(scored):
        if score >= T.PINNED_MIN_SIMILARITY and id(page) not in whole_image:
            features = features or page_features(grey)
            full = _register_once(grey, page.pinned, features, memo)
            if full is not None:
                scored[index] = (full.similarity, layout, page, full)
    return _best_of(scored)




def _sure(found: Registration) -> bool:
    """A registration that no other form reaches: the page warped looks like the reference
    (``IDENTIFY_SURE_SIMILARITY``), or enough features agree on one homography
    (``IDENTIFY_SURE_INLIERS``) with at least ``PINNED_MIN_SIMILARITY``."""
    return found.similarity >= T.IDENTIFY_SURE_SIMILARITY or (
        found.inliers >= T.IDENTIFY_SURE_INLIERS and found.similarity >= T.PINNED_MIN_SIMILARITY)


def match_pinned(grey: np.ndarray, layouts) -> tuple[PinnedMatch | None, str]:
    """The pinned form page this page is a copy of, with a certainty; or None and why.

    Cheaply first (issue #16, item 6): every reference is ranked by a global descriptor
    (:func:`thumbnail_scores`, ~1 ms each) and only the best few (:func:`_by_thumbnail`) are registered
    (:func:`register_page`) and scored by similarity.
    When none of those looks like its reference (a hard photo the thumbnail misjudged), the page's
    features are matched to every reference's: their strongest ``IDENTIFY_FEATURES`` first, then the
    shortlist by inliers (:func:`shortlist`) registered in full. The best must look like its reference
    (similarity at least ``PINNED_MIN_SIMILARITY``). The shortlist is enough only when one of its
    registrations is :func:`_sure`, well above what another form reaches, so a shortlist without the
    right form falls through to the full search. Its certainty is its margin over the runner-up from
    another form page, scaled to 0..1. Of each pinned form only the newest version is tried
    (:func:`newest_pinned`).
    """
    pinned_pages = [(layout, page) for layout in newest_pinned(layouts) for page in layout.pages
                    if page.pinned and "_reference_path" in page.pinned]
    if not pinned_pages:
        return None, "không có mẫu phiếu đăng ký bằng ảnh mẫu"
    memo: dict = {}  # each distinct reference registered once per page
    first = _by_thumbnail(grey, pinned_pages)
    if T.IDENTIFY_ANCHORS_FIRST:
        found = _by_anchors(grey, first, memo)
        if found is not None:
            return found
    features = page_features(grey)  # once, not once per reference
    scored = _scored(grey, first, features, memo)
    if len(first) == len(pinned_pages) or any(_sure(found) for *_, found in scored):
        return _best_of(scored)
    return _full_search(grey, pinned_pages, features, memo)


def _full_search(grey: np.ndarray, pinned_pages: list, features: PageFeatures,
                 memo: dict) -> tuple[PinnedMatch | None, str]:
    """:func:`match_pinned` by features against every reference (the page's features computed once)."""
    quick = []
    for layout, page in pinned_pages:
        found = register_features(grey, page.pinned["_reference_path"], features, limit=T.IDENTIFY_FEATURES)
        quick.append((found.inliers if found else 0, page.pinned.get("anchor", "features") != "features",
                      (layout, page)))
    scored = []
    listed = shortlist(quick)
    for (layout, page), by_features in listed:
        found = _register_once(grey, page.pinned, features, memo, by_features)
        if found is not None:
            scored.append((found.similarity, layout, page, found))
    if not scored or max(item[0] for item in scored) < T.PINNED_MIN_SIMILARITY:
        # The quick match found no good candidate (a hard photo): register to every reference in full,
        # as before the shortlist, rather than set the page aside.
        done = {id(page) for (_, page), by_features in listed if by_features}
        scored = [item for item in scored if id(item[2]) in done]
        for layout, page in pinned_pages:
            if id(page) not in done:
                found = _register_once(grey, page.pinned, features, memo)
                if found is not None:
                    scored.append((found.similarity, layout, page, found))
    return _best_of(scored)


def _best_of(scored: list) -> tuple[PinnedMatch | None, str]:
    """The best-scored (similarity, layout, page, registration) as a match with its certainty, or why not."""
    if not scored:
        return None, "không tìm được điểm tương ứng với ảnh mẫu nào"
    scored.sort(key=lambda item: item[0], reverse=True)
    best, layout, page, found = scored[0]
    second = scored[1][0] if len(scored) > 1 else 0.0
    label = f"{layout.form_id} v{layout.version} trang {page.number}"
    if best < T.PINNED_MIN_SIMILARITY:
        return None, f"giống nhất: {label}, độ tương đồng {vn_decimal(best)}"
    certainty = float(np.clip((best - max(second, 0.0)) / max(best, 1e-6), 0.0, 1.0))
    runner = ""
    if len(scored) > 1:
        _, l2, p2, _ = scored[1]
        runner = f"{l2.form_id} v{l2.version} trang {p2.number} ({vn_decimal(second)})"
    return PinnedMatch(layout, page, mm_homography(found, page), found, certainty, runner), ""


def pinned_identity(result, match: PinnedMatch) -> None:
    """Form, page and serial of a page matched to a pinned template.

    Forms designed elsewhere carry no serial: the page's own image hash gives
    one (stable across re-runs, so nothing is counted twice), and the detail
    says which reference matched and how sure the match is.
    """
    result.form_id, result.version, result.page = match.layout.form_id, match.layout.version, match.page.number
    result.serial = hash_serial(result.source.image_sha256)  # < 2**28: fits every database's INTEGER
    similarity = match.registration.similarity
    detail = (f"khớp ảnh mẫu {match.layout.form_id} v{match.layout.version} trang {match.page.number} "
              f"(độ tương đồng {vn_decimal(similarity)}")
    if similarity < T.IDENTIFY_SURE_SIMILARITY:
        detail += ", thấp: ảnh khác nhiều so với ảnh mẫu"
    if match.runner_up:
        # The margin over another form page, not a probability: with no other page it says nothing.
        detail += f"; hơn mẫu kế tiếp {vn_percent(match.certainty)}: {match.runner_up}"
    result.detail = detail + ")"
