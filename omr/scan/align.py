"""Align a page to its layout: warp onto the layout grid, then a local search per box.

The homography from the four fiducials takes out rotation, shift, fit-to-page
scaling and a phone's perspective. What it cannot take out (paper curl, an
uneven feed) is left to a small search around each box for its printed
outline. The median distance that search moved the boxes is the page's
alignment residual in millimetres.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from omr import tuning as T
from omr.forms.layout import Checkbox, PageLayout

K = T.CANONICAL_PX_PER_MM


def warp_to_layout(grey: np.ndarray, homography_mm_to_px: np.ndarray, page: PageLayout) -> np.ndarray:
    """The page resampled onto the layout at ``CANONICAL_PX_PER_MM`` (grey uint8)."""
    canonical_to_mm = np.diag([1.0 / K, 1.0 / K, 1.0])
    h = homography_mm_to_px @ canonical_to_mm
    size = (int(round(page.width * K)), int(round(page.height * K)))
    return cv2.warpPerspective(grey, h, size, flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)


@dataclass
class PageInk:
    """Ink on an aligned page, 0 = its local paper, 1 = the black of its own fiducials.

    The paper level is estimated at 1 px/mm (a max filter over ~9 mm, then a
    blur), so uneven light on a phone photo or a photocopy's grey cancels
    out. Ink is computed only for the regions asked for: boxes and comment
    fields cover a few percent of the page.
    """

    canonical: np.ndarray  # grey uint8 at K px/mm
    paper: np.ndarray  # float32 paper level at 1 px/mm
    black_ratio: float  # the fiducials' grey as a share of the paper around them

    def region(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Ink of canonical pixels [y0:y1, x0:x1] (clipped to the page), float32 0..1."""
        h, w = self.canonical.shape
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:
            return np.zeros((0, 0), np.float32)
        grey = self.canonical[y0:y1, x0:x1].astype(np.float32)
        return self.ink_of(grey, x0 / K, y0 / K, x1 / K, y1 / K)

    def ink_of(self, grey: np.ndarray, x0_mm: float, y0_mm: float, x1_mm: float, y1_mm: float) -> np.ndarray:
        """Ink (float32 0..1) of ``grey``, an image of this page's area [x0, x1] × [y0, y1] mm
        at any resolution (a crop resampled from the scan, say), against this page's paper."""
        ph, pw = self.paper.shape
        sx0, sy0 = min(max(int(x0_mm), 0), pw - 1), min(max(int(y0_mm), 0), ph - 1)
        sx1 = max(min(int(np.ceil(x1_mm)), pw), sx0 + 1)
        sy1 = max(min(int(np.ceil(y1_mm)), ph), sy0 + 1)
        small = self.paper[sy0:sy1, sx0:sx1]
        if small.shape[0] <= 16 and small.shape[1] <= 16:
            # A box-sized region: the paper map is blurred over ~3 mm, so one level serves.
            paper = float(small.mean())
        else:
            paper = cv2.resize(small, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
        ink = (1.0 - grey.astype(np.float32) / paper) / (1.0 - self.black_ratio)
        return np.clip(ink, 0.0, 1.0, out=ink)

    def region_mm(self, x: float, y: float, w: float, h: float) -> np.ndarray:
        return self.region(int(round(x * K)), int(round(y * K)), int(round((x + w) * K)), int(round((y + h) * K)))


def page_ink(canonical: np.ndarray, page: PageLayout) -> PageInk:
    small = cv2.resize(canonical, None, fx=1 / K, fy=1 / K, interpolation=cv2.INTER_AREA).astype(np.float32)
    window = np.ones((T.PAPER_WINDOW_MM, T.PAPER_WINDOW_MM), np.uint8)
    paper = cv2.GaussianBlur(cv2.dilate(small, window), (0, 0), 3)
    paper = np.maximum(paper, 1.0)
    if page.fiducials:
        # omr's own pages arrive with their lighting flattened (omr.scan.lighting, omr.scan.page), so paper
        # brighter than the page's own is noise the max filter picked, strongest where a shadow
        # was lifted: capped. Forms designed elsewhere are read on the scan as it is.
        paper = np.minimum(paper, float(np.median(paper)) * T.PAPER_MAX_OVER_MEDIAN)
    ratios = []
    for f in page.fiducials:
        m = 1.2  # mm inside the mark, away from its blurred edge
        inside = canonical[int((f.y + m) * K):int((f.y + f.h - m) * K), int((f.x + m) * K):int((f.x + f.w - m) * K)]
        ratios.append(np.median(inside) / paper[int(f.y + f.h / 2), int(f.x + f.w / 2)])
    if not ratios:  # a form designed elsewhere has no fiducials: its darkest print stands in
        ratios.append(np.percentile(canonical[::2, ::2], T.PINNED_BLACK_PERCENTILE) / float(np.median(paper)))
    black_ratio = float(np.clip(np.median(ratios), 0.0, 0.8))  # never assume less contrast than this
    return PageInk(canonical, paper, black_ratio)


@dataclass
class BoxWindow:
    """The canonical pixels around one box, with what turns them into ink."""

    x0: int  # canonical px of the window's top-left corner
    y0: int
    grey: np.ndarray  # uint8; zeros when the window falls off the page
    paper: float  # local paper level
    black_ratio: float  # the page's black as a share of paper

    def ink_cutoff(self, ink: float) -> float:
        """The grey level below which a pixel has more than ``ink``."""
        return self.paper * (1.0 - ink * (1.0 - self.black_ratio))

    def mean_ink(self, grey_mean: float) -> float:
        """Ink (0..1) of a region of this window whose mean grey is ``grey_mean``."""
        # min/max, not np.clip: the same value, without NumPy's overhead on a scalar (~100 boxes a page, #18).
        return float(min(max((self.paper - grey_mean) / (self.paper * (1.0 - self.black_ratio)), 0.0), 1.0))


@dataclass
class BoxSearch:
    """Where each box was found, and the pixels around it (reused for measuring)."""

    offsets: np.ndarray  # (n, 2) mm from the layout position, after neighbour smoothing
    residual: float  # median distance the search moved reliable boxes, mm; inf if none found
    windows: list[BoxWindow]
    found_share: float = 0.0  # share of boxes whose printed outline was clearly found
    reliable: np.ndarray | None = None  # (n,) bool: the box's outline itself was found (raw offset kept)
    raw_offsets: np.ndarray | None = None  # (n, 2) mm where each outline scored best, before smoothing
    scales: np.ndarray | None = None  # (n,) printed ring / template bubble size (round bubbles), else None


def _rect_sums(integral: np.ndarray, y0: int, x0: int, y1: int, x1: int, n: int) -> np.ndarray:
    """Sums of the rectangle [y0:y1, x0:x1] shifted by every (dy, dx) in [0, n)^2, for a stack of windows."""
    return (integral[:, y1:y1 + n, x1:x1 + n] - integral[:, y0:y0 + n, x1:x1 + n]
            - integral[:, y1:y1 + n, x0:x0 + n] + integral[:, y0:y0 + n, x0:x0 + n])


def outline_scores(grey: np.ndarray, paper: np.ndarray, black_ratio: float, bw: int, bh: int, band: int,
                   search: int) -> np.ndarray:
    """Score of the printed outline at each shift, for a stack of windows: (n, 2s+1, 2s+1).

    Mean ink on the outline (line width ~0.4 mm) minus mean ink on a band of
    paper just outside it; the box's inside, where marks are, does not count.
    Ink is linear in grey within a window (one paper level), so the score
    comes from rectangle sums of the grey integral images: the same as a
    template match, for all boxes of one size at once, at a fraction of the cost.
    """
    line = max(2, int(round(T.BOX_LINE_WIDTH * K)) + 1)
    n = 2 * search + 1
    integral = np.empty((grey.shape[0], grey.shape[1] + 1, grey.shape[2] + 1), np.int32)
    for i in range(grey.shape[0]):  # OpenCV's integral beats numpy's cumsum by ~4x here
        integral[i] = cv2.integral(grey[i], sdepth=cv2.CV_32S)
    full = _rect_sums(integral, 0, 0, bh + 2 * band, bw + 2 * band, n)
    outer = _rect_sums(integral, band, band, band + bh, band + bw, n)
    inner = _rect_sums(integral, band + line, band + line, band + bh - line, band + bw - line, n)
    ring_area = bh * bw - (bh - 2 * line) * (bw - 2 * line)
    outside_area = (bh + 2 * band) * (bw + 2 * band) - bh * bw
    grey_difference = (full - outer) / outside_area - (outer - inner) / ring_area  # paper minus outline
    return grey_difference / (paper * (1.0 - black_ratio))[:, None, None]


def _grey_windows(ink: PageInk, x0: np.ndarray, y0: np.ndarray, width: int,
                  height: int) -> tuple[np.ndarray, np.ndarray]:
    """Equal-sized canonical windows at (x0, y0) px, stacked, and one paper level each.

    One level per window serves: the paper map is blurred over ~3 mm and a
    window is ~10 mm. Windows off the page stay zero, with paper level 0.
    """
    ch, cw = ink.canonical.shape
    ph, pw = ink.paper.shape
    grey = np.zeros((len(x0), height, width), np.uint8)
    paper = np.zeros(len(x0), np.float64)
    for i, (x, y) in enumerate(zip(x0, y0)):
        if 0 <= x and 0 <= y and x + width <= cw and y + height <= ch:
            grey[i] = ink.canonical[y:y + height, x:x + width]
            paper[i] = ink.paper[min(int((y + height / 2) / K), ph - 1), min(int((x + width / 2) / K), pw - 1)]
    return grey, paper


def locate_boxes(ink: PageInk, boxes: list[Checkbox], search_mm: float = T.LOCAL_SEARCH_MM) -> BoxSearch:
    """Find every box's printed outline within ``search_mm`` of its layout position.

    Boxes whose outline was not clearly found, or whose offset disagrees
    with their neighbours', take their neighbours' median offset.
    """
    search = int(round(search_mm * K))
    band = max(2, int(round(T.OUTLINE_PAPER_BAND_MM * K)))
    offsets = np.zeros((len(boxes), 2))
    scores = np.zeros(len(boxes))
    windows: list[BoxWindow] = [BoxWindow(0, 0, np.zeros((0, 0), np.uint8), 1.0, 0.0)] * len(boxes)
    sizes: dict[tuple[int, int], list[int]] = {}
    for i, box in enumerate(boxes):
        sizes.setdefault((int(round(box.w * K)), int(round(box.h * K))), []).append(i)
    for (bw, bh), members in sizes.items():
        index = np.array(members)
        x0 = np.array([int(round(boxes[i].x * K)) - band - search for i in members])
        y0 = np.array([int(round(boxes[i].y * K)) - band - search for i in members])
        grey, paper = _grey_windows(ink, x0, y0, bw + 2 * (band + search), bh + 2 * (band + search))
        on_page = paper > 0
        result = outline_scores(grey, np.where(on_page, paper, 1.0), ink.black_ratio, bw, bh, band, search)
        result[~on_page] = 0.0  # off the page: no outline found, the neighbours decide
        flat = result.reshape(len(members), -1).argmax(axis=1)
        by, bx = np.unravel_index(flat, result.shape[1:])
        offsets[index, 0], offsets[index, 1] = (bx - search) / K, (by - search) / K
        scores[index] = result[np.arange(len(members)), by, bx]
        for j, i in enumerate(members):
            windows[i] = BoxWindow(int(x0[j]), int(y0[j]), grey[j], float(paper[j]), ink.black_ratio)
    reliable = scores > T.OUTLINE_FOUND_MIN_SCORE
    if not reliable.any():
        return BoxSearch(offsets * 0, float("inf"), windows, 0.0, reliable, offsets)
    centres = np.array([(b.x + b.w / 2, b.y + b.h / 2) for b in boxes])
    trusted_centres, trusted_offsets = centres[reliable], offsets[reliable]
    # Each box's neighbourhood: the (up to) 8 nearest reliable boxes other than itself.
    distances = np.hypot(centres[:, None, 0] - trusted_centres[None, :, 0],
                         centres[:, None, 1] - trusted_centres[None, :, 1])
    distances[distances == 0] = np.inf
    k = min(8, len(trusted_centres))
    nearest = np.argsort(distances, axis=1)[:, :k]
    local = np.median(trusted_offsets[nearest], axis=1)
    if len(trusted_centres) == 1:
        local[:] = trusted_offsets[0]
    disagree = np.hypot(*(offsets - local).T) > T.LOCAL_OFFSET_OUTLIER_MM
    final = np.where((~reliable | disagree)[:, None], local, offsets)
    residual = float(np.median(np.hypot(*offsets[reliable].T)))
    return BoxSearch(final, residual, windows, float(reliable.mean()), reliable, offsets)
