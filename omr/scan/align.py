"""Align a page to its layout: warp onto the layout grid, then a local search per box.

The homography from the four fiducials takes out rotation, shift, fit-to-page
scaling and a phone's perspective. What it cannot take out (paper curl, an
uneven feed) is left to a small search around each box for its printed
outline. The median distance that search moved the boxes is the page's
alignment residual in millimetres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from omr import tuning as T
from omr.forms.layout import Checkbox, PageLayout
from omr.scan.lighting import block_means

K = T.CANONICAL_PX_PER_MM


def warp_to_layout(grey: np.ndarray, homography_mm_to_px: np.ndarray, page: PageLayout) -> np.ndarray:
    """The page resampled onto the layout at ``CANONICAL_PX_PER_MM`` (grey uint8)."""
    canonical_to_mm = np.diag([1.0 / K, 1.0 / K, 1.0])
    h = homography_mm_to_px @ canonical_to_mm
    size = (int(round(page.width * K)), int(round(page.height * K)))
    return cv2.warpPerspective(grey, h, size, flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)


class CanonicalPage:
    """A page on the layout grid at ``CANONICAL_PX_PER_MM`` (grey uint8, h × w), warped from the scan
    only where it is looked at (issue #18).

    Reading omr's own pages looks at a fifth of the page (the boxes and their search margins, the
    corner marks, the comment fields): warping the whole page cost ~8 ms of a worker's ~45 ms a
    page. Tiles of ``CANONICAL_TILE_PX`` are warped on first use, each row of tiles asked for in
    one call; a pixel comes out as the whole page's warp gives it (the same nearest-neighbour
    sample; OpenCV rounds its source position through another sum, which moves one pixel in
    ~10^5, tested). Built from an array, every pixel is already there.
    """

    def __init__(self, pixels: np.ndarray, source: tuple[np.ndarray, np.ndarray] | None = None):
        self._pixels = pixels
        # (scan grey, canonical px -> scan px) while tiles remain to be warped.
        self._source = source
        tile = T.CANONICAL_TILE_PX
        self._done = None if source is None else np.zeros((-(-pixels.shape[0] // tile),
                                                            -(-pixels.shape[1] // tile)), bool)

    @classmethod
    def warped(cls, grey: np.ndarray, homography_mm_to_px: np.ndarray, page: PageLayout) -> CanonicalPage:
        """``grey`` (the scan, uint8) seen through ``homography_mm_to_px`` (layout mm -> scan px), nothing warped yet."""
        size = (int(round(page.height * K)), int(round(page.width * K)))
        return cls(np.empty(size, np.uint8), (grey, homography_mm_to_px @ np.diag([1.0 / K, 1.0 / K, 1.0])))

    @property
    def shape(self) -> tuple[int, int]:
        return self._pixels.shape

    @property
    def warped_share(self) -> float:
        """Share of the page's tiles warped so far (1.0 when built from a whole array)."""
        return 1.0 if self._done is None or self._source is None else float(self._done.mean())

    def ensure(self, rects) -> None:
        """Warp every tile the rectangles ``(x0, y0, x1, y1)`` (canonical px, end exclusive) touch."""
        if self._source is None:
            return
        tile = T.CANONICAL_TILE_PX
        h, w = self._pixels.shape
        box = np.array(rects, np.int64).reshape(-1, 4)
        x0, y0 = np.maximum(box[:, 0], 0), np.maximum(box[:, 1], 0)
        x1, y1 = np.minimum(box[:, 2], w), np.minimum(box[:, 3], h)
        keep = (x1 > x0) & (y1 > y0)
        if not keep.any():
            return
        tx0, ty0, tx1, ty1 = x0[keep] // tile, y0[keep] // tile, (x1[keep] - 1) // tile + 1, (y1[keep] - 1) // tile + 1
        # Only the tiles of the rectangles' bounding range are looked at (oy, ox: its first tile); one
        # rectangle (every pixels() call) is that range itself, several are marked by a 2-d difference
        # array summed both ways. The runs below and so the warps are those of the whole grid (issue #18:
        # the whole grid's passes were most of ~0.3 ms a call, ~1,300 calls a page).
        oy, ox = int(ty0.min()), int(tx0.min())
        if len(tx0) == 1:
            need = ~self._done[oy:int(ty1[0]), ox:int(tx1[0])]
        else:
            rows, cols = int(ty1.max()) - oy + 1, int(tx1.max()) - ox + 1
            # The four corners' +1 / -1 counted by two bincounts (np.add.at took ~4x as long).
            top, bottom, left, right = (ty0 - oy) * cols, (ty1 - oy) * cols, tx0 - ox, tx1 - ox
            plus = np.bincount(np.concatenate([top + left, bottom + right]), minlength=rows * cols)
            minus = np.bincount(np.concatenate([top + right, bottom + left]), minlength=rows * cols)
            marks = (plus - minus).reshape(rows, cols)
            need = (marks.cumsum(axis=0).cumsum(axis=1)[:-1, :-1] > 0) & ~self._done[oy:oy + rows - 1,
                                                                                    ox:ox + cols - 1]
        if not need.any():
            return
        padded = np.zeros((need.shape[0], need.shape[1] + 2), np.int8)
        padded[:, 1:-1] = need
        edges = np.diff(padded, axis=1)
        # Runs of tiles along each row of them (starts and ends pair up in row order); a run
        # repeated on the rows below (a column of boxes) is warped with it in one call.
        spans: dict[tuple[int, int], list[list[int]]] = {}
        for ty, start, end in zip(*np.nonzero(edges == 1), np.nonzero(edges == -1)[1]):
            _add_run(spans, int(ty) + oy, int(start) + ox, int(end) + ox)
        self._warp(spans, need, oy, ox)

    def _ensure_one(self, x0: int, y0: int, x1: int, y1: int) -> None:
        """:meth:`ensure` of the one rectangle (x0, y0, x1, y1) (canonical px, clipped to the page, not
        empty, some tile of it not warped yet): the same runs and warps, found with plain integers
        (issue #18: NumPy's overhead on a few tiles was most of ~40 us a call, ~30 calls a page)."""
        tile = T.CANONICAL_TILE_PX
        ox, oy = x0 // tile, y0 // tile
        need = ~self._done[oy:(y1 - 1) // tile + 1, ox:(x1 - 1) // tile + 1]
        spans: dict[tuple[int, int], list[list[int]]] = {}
        for row, flags in enumerate(need.tolist()):
            start = None
            for col, flag in enumerate(flags + [False]):
                if flag and start is None:
                    start = col
                elif not flag and start is not None:
                    _add_run(spans, row + oy, start + ox, col + ox)
                    start = None
        self._warp(spans, need, oy, ox)

    def _warp(self, spans: dict[tuple[int, int], list[list[int]]], need: np.ndarray, oy: int, ox: int) -> None:
        """Warp the runs of tiles ``spans`` ((first, end) tile column -> [top, bottom) tile rows) and mark
        ``need`` (tiles from (oy, ox)) done."""
        tile = T.CANONICAL_TILE_PX
        h, w = self._pixels.shape
        grey, to_scan = self._source
        for (start, end), blocks in spans.items():
            for top, bottom in blocks:
                x0, y0, x1, y1 = start * tile, top * tile, min(end * tile, w), min(bottom * tile, h)
                shift = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
                # Written straight into the page (OpenCV takes the strided view as its output).
                cv2.warpPerspective(grey, to_scan @ shift, (x1 - x0, y1 - y0), dst=self._pixels[y0:y1, x0:x1],
                                    flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
        self._done[oy:oy + need.shape[0], ox:ox + need.shape[1]] |= need
        if self._done.all():
            self._source = None

    def pixels(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Canonical pixels [y0:y1, x0:x1] (a view, clipped to the page)."""
        x0, y0 = max(x0, 0), max(y0, 0)
        if self._source is not None:
            tile = T.CANONICAL_TILE_PX
            h, w = self._pixels.shape
            cx1, cy1 = min(x1, w), min(y1, h)
            if cx1 > x0 and cy1 > y0 and not self._done[y0 // tile:(cy1 - 1) // tile + 1,
                                                       x0 // tile:(cx1 - 1) // tile + 1].all():
                self._ensure_one(x0, y0, cx1, cy1)
        return self._pixels[y0:y1, x0:x1]

    def stack(self, x0: np.ndarray, y0: np.ndarray, width: int, height: int) -> np.ndarray:
        """Windows of ``height`` × ``width`` canonical px at (x0, y0), stacked (n, height, width) uint8;
        a window not wholly on the page stays zero."""
        h, w = self._pixels.shape
        x0, y0 = np.asarray(x0, np.int64).reshape(-1), np.asarray(y0, np.int64).reshape(-1)
        inside = (x0 >= 0) & (y0 >= 0) & (x0 + width <= w) & (y0 + height <= h)
        xs, ys = x0[inside], y0[inside]
        self.ensure(np.stack([xs, ys, xs + width, ys + height], axis=1))
        out = np.zeros((len(x0), height, width), np.uint8)
        if xs.size:
            # Every window in one gather (issue #18: a copy per window was ~0.5 ms a page of Python).
            out[inside] = np.lib.stride_tricks.sliding_window_view(self._pixels, (height, width))[ys, xs]
        return out

    def full(self) -> np.ndarray:
        """The whole page (warped now if need be)."""
        h, w = self._pixels.shape
        self.ensure([(0, 0, w, h)])
        return self._pixels


def _add_run(spans: dict[tuple[int, int], list[list[int]]], ty: int, start: int, end: int) -> None:
    """Add tile row ``ty``'s run of tiles [start, end) to ``spans``: to the block of rows above it
    holding the same run when that block ends at ``ty``, else as a block of its own."""
    blocks = spans.setdefault((start, end), [])
    if blocks and blocks[-1][1] == ty:
        blocks[-1][1] = ty + 1
    else:
        blocks.append([ty, ty + 1])


class PageInk:
    """Ink on an aligned page, 0 = its local paper, 1 = the black of its own fiducials.

    The paper level is estimated at 1 px/mm (a max filter over ~9 mm, then a
    blur), so uneven light on a phone photo or a photocopy's grey cancels
    out. Ink is computed only for the regions asked for: boxes and comment
    fields cover a few percent of the page.

    ``canonical``: the page at K px/mm (grey uint8), an array or a :class:`CanonicalPage`
    warped as it is looked at; ``paper``: float32 paper level at 1 px/mm; ``black_ratio``:
    the fiducials' grey as a share of the paper around them.
    """

    def __init__(self, canonical: np.ndarray | CanonicalPage, paper: np.ndarray, black_ratio: float):
        self.page = canonical if isinstance(canonical, CanonicalPage) else CanonicalPage(canonical)
        self.paper = paper
        self.black_ratio = black_ratio

    @property
    def canonical(self) -> np.ndarray:
        """The whole aligned page, grey uint8 at K px/mm (warped in full on first use)."""
        return self.page.full()

    @property
    def shape(self) -> tuple[int, int]:
        """(h, w) canonical px of the aligned page."""
        return self.page.shape

    def region(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Ink of canonical pixels [y0:y1, x0:x1] (clipped to the page), float32 0..1."""
        h, w = self.page.shape
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:
            return np.zeros((0, 0), np.float32)
        grey = self.page.pixels(x0, y0, x1, y1).astype(np.float32)
        return self.ink_of(grey, x0 / K, y0 / K, x1 / K, y1 / K)

    def page_window(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Ink of canonical pixels [y0:y1, x0:x1] (clipped to the page; float32 0..1) exactly as the whole
        page's ``region(0, 0, w, h)`` holds them there (its paper map interpolated over the whole page),
        with the ink computed for the window only (issue #18: a search that measures the whole page's ink
        but needs it only where dark pixels are)."""
        h, w = self.page.shape
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:
            return np.zeros((0, 0), np.float32)
        ph, pw = self.paper.shape
        small = self.paper[:max(min(int(np.ceil(h / K)), ph), 1), :max(min(int(np.ceil(w / K)), pw), 1)]
        if small.shape[0] <= 16 and small.shape[1] <= 16:  # ink_of's one level for a box-sized page
            return self.region(0, 0, w, h)[y0:y1, x0:x1]
        paper = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)[y0:y1, x0:x1]
        ink = (1.0 - self.page.pixels(x0, y0, x1, y1).astype(np.float32) / paper) / (1.0 - self.black_ratio)
        return np.clip(ink, 0.0, 1.0, out=ink)

    def may_be_ink(self, x0: int, y0: int, x1: int, y1: int, level: float) -> np.ndarray:
        """Bool mask of canonical pixels [y0:y1, x0:x1] (clipped to the page, as :meth:`region` clips):
        True at least wherever ``region(x0, y0, x1, y1) >= level`` (``level`` > 0), from the grey alone.

        Ink reaches ``level`` only where grey <= paper (1 - level (1 - black_ratio)); the paper under a
        pixel is a mean or a bilinear blend of the paper map over the region (:meth:`ink_of`), never
        above its largest value but for rounding, covered by one grey level of slack. So a check that
        needs some ink at ``level`` can rule a region out without its ink (issue #18: ~1,300 windows a
        page around marks and questions, most with none). All True where no bound holds."""
        h, w = self.page.shape
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:
            return np.zeros((0, 0), bool)
        grey = self.page.pixels(x0, y0, x1, y1)
        paper, scale = float(self._paper_under(x0 / K, y0 / K, x1 / K, y1 / K).max()), 1.0 - self.black_ratio
        if not (level > 0 and paper > 0 and scale > 0):
            return np.ones(grey.shape, bool)
        limit = paper * (1.0 - level * scale) + 1.0
        if limit >= 255.0:
            return np.ones(grey.shape, bool)
        if limit < 0.0:
            return np.zeros(grey.shape, bool)
        # Whole grey levels: grey <= limit where grey <= floor(limit), compared as uint8, not as float64
        # (issue #18: ~30 windows a page).
        return grey <= math.floor(limit)

    def _paper_under(self, x0_mm: float, y0_mm: float, x1_mm: float, y1_mm: float) -> np.ndarray:
        """The paper map's cells (1 px/mm, float32) that :meth:`ink_of` blends for the area [x0, x1] × [y0, y1] mm."""
        ph, pw = self.paper.shape
        sx0, sy0 = min(max(int(x0_mm), 0), pw - 1), min(max(int(y0_mm), 0), ph - 1)
        sx1 = max(min(int(np.ceil(x1_mm)), pw), sx0 + 1)
        sy1 = max(min(int(np.ceil(y1_mm)), ph), sy0 + 1)
        return self.paper[sy0:sy1, sx0:sx1]

    def ink_of(self, grey: np.ndarray, x0_mm: float, y0_mm: float, x1_mm: float, y1_mm: float) -> np.ndarray:
        """Ink (float32 0..1) of ``grey``, an image of this page's area [x0, x1] × [y0, y1] mm
        at any resolution (a crop resampled from the scan, say), against this page's paper."""
        small = self._paper_under(x0_mm, y0_mm, x1_mm, y1_mm)
        if small.shape[0] <= 16 and small.shape[1] <= 16:
            # A box-sized region: the paper map is blurred over ~3 mm, so one level serves.
            paper = float(small.mean())
        else:
            paper = cv2.resize(small, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
        # (1 - grey / paper) / (1 - black ratio), in place: one float32 copy of the region, not three at once
        # (a comment field's crop is ~5 MB a copy; issue #18's memory a worker).
        ink = grey.astype(np.float32)
        ink /= paper
        np.subtract(1.0, ink, out=ink)
        ink /= 1.0 - self.black_ratio
        return np.clip(ink, 0.0, 1.0, out=ink)

    def region_mm(self, x: float, y: float, w: float, h: float) -> np.ndarray:
        return self.region(int(round(x * K)), int(round(y * K)), int(round((x + w) * K)), int(round((y + h) * K)))


def page_ink(canonical: np.ndarray, page: PageLayout) -> PageInk:
    """Ink of ``canonical``, a whole page warped onto ``page``'s layout (grey uint8 at K px/mm).

    Its paper map is the mean of each 1 mm block of it, then the max filter and blur."""
    small = cv2.resize(canonical, None, fx=1 / K, fy=1 / K, interpolation=cv2.INTER_AREA).astype(np.float32)
    return _ink_on_paper(CanonicalPage(canonical), small, page)


def aligned_ink(grey: np.ndarray, homography_mm_to_px: np.ndarray, page: PageLayout) -> PageInk:
    """Ink of ``grey`` (the scan, uint8) aligned to ``page``'s layout by ``homography_mm_to_px``
    (layout mm -> scan px), warped only where it is looked at (:class:`CanonicalPage`).

    The same as ``page_ink(warp_to_layout(grey, homography_mm_to_px, page), page)`` but for the
    paper map, whose 1 mm block means come from the scan (:func:`scan_block_means`), not from a
    whole warped page: the page's ink (``region``, box windows, corner marks) is the same to
    ~0.5 % of the paper level (tested), and a page needs a fifth of its pixels warped (issue #18).
    """
    canonical = CanonicalPage.warped(grey, homography_mm_to_px, page)
    h, w = canonical.shape
    small = scan_block_means(grey, homography_mm_to_px, (int(round(w / K)), int(round(h / K))))
    return _ink_on_paper(canonical, small, page)


def scan_block_means(grey: np.ndarray, homography_mm_to_px: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The mean grey of each 1 mm block of the layout (``size`` = (w, h) mm, float32 h × w), read off the scan.

    The scan is averaged over blocks of ~1 mm of its own pixels (INTER_AREA by the whole number of
    px per mm nearest its scale, at least 1), and that small image is sampled bilinearly where the
    homography puts each layout block's centre: what :func:`page_ink` gets by averaging the 8 × 8
    canonical pixels of the block, without warping the whole page.
    """
    centre = homography_mm_to_px @ np.array([[100.0, 110.0], [150.0, 150.0], [1.0, 1.0]])
    centre = centre[:2] / centre[2]
    factor = max(1, int(round(float(np.hypot(*(centre[:, 1] - centre[:, 0]))) / 10.0)))
    blocks, factor = block_means(grey, factor)
    # Layout block i's canonical pixels sit at i + k/K mm, k = 0..K-1: their mean at i + (K-1)/(2K).
    mid = (K - 1) / (2 * K)
    to_layout_block = np.array([[1.0, 0.0, mid], [0.0, 1.0, mid], [0.0, 0.0, 1.0]])
    # Scan px p is the mean of small px (p - (factor-1)/2) / factor.
    to_small = np.array([[1.0 / factor, 0.0, -(factor - 1) / (2 * factor)],
                         [0.0, 1.0 / factor, -(factor - 1) / (2 * factor)], [0.0, 0.0, 1.0]])
    small = cv2.warpPerspective(blocks.astype(np.float32), to_small @ homography_mm_to_px @ to_layout_block, size,
                                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    return small


def _ink_on_paper(canonical: CanonicalPage, small: np.ndarray, page: PageLayout) -> PageInk:
    """:class:`PageInk` of an aligned page from its 1 mm block means ``small`` (float32, mm × mm)."""
    window = np.ones((T.PAPER_WINDOW_MM, T.PAPER_WINDOW_MM), np.uint8)
    paper = cv2.GaussianBlur(cv2.dilate(small, window), (0, 0), 3)
    paper = np.maximum(paper, 1.0)
    if page.fiducials:
        # omr's own pages arrive with their lighting flattened (omr.scan.lighting, omr.scan.page), so paper
        # brighter than the page's own is noise the max filter picked, strongest where a shadow
        # was lifted: capped. Forms designed elsewhere are read on the scan as it is.
        paper = np.minimum(paper, float(np.median(paper)) * T.PAPER_MAX_OVER_MEDIAN)
    ratios = []
    m = 1.2  # mm inside the mark, away from its blurred edge
    canonical.ensure([(int((f.x + m) * K), int((f.y + m) * K), int((f.x + f.w - m) * K), int((f.y + f.h - m) * K))
                      for f in page.fiducials])  # the four marks' tiles in one pass
    for f in page.fiducials:
        inside = canonical.pixels(int((f.x + m) * K), int((f.y + m) * K), int((f.x + f.w - m) * K),
                                  int((f.y + f.h - m) * K))
        ratios.append(np.median(inside) / paper[int(f.y + f.h / 2), int(f.x + f.w / 2)])
    if not ratios:  # a form designed elsewhere has no fiducials: its darkest print stands in
        ratios.append(np.percentile(canonical.full()[::2, ::2], T.PINNED_BLACK_PERCENTILE) / float(np.median(paper)))
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
    # (n,) the outline's score (:func:`outline_scores`) where each box is finally placed (``offsets``,
    # nearest px of the search): is its printed outline there? (omr.scan.printed_boxes); None if not measured.
    outline: np.ndarray | None = None


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
    # One integral image of the windows stacked into one tall image (OpenCV's beats NumPy's cumsum
    # by ~4x, and one call ~3x a call per window): a rectangle's sum within a window is the same
    # difference of its four corners. 32-bit while the whole stack's sum fits, else exact float64.
    count, height, width = grey.shape
    tall = cv2.integral(grey.reshape(-1, width), sdepth=cv2.CV_32S if grey.size * 255 < 2 ** 31 else cv2.CV_64F)
    integral = np.lib.stride_tricks.as_strided(tall, shape=(count, height + 1, width + 1),
                                               strides=(height * tall.strides[0], *tall.strides), writeable=False)
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
    ch, cw = ink.shape
    ph, pw = ink.paper.shape
    grey = ink.page.stack(x0, y0, width, height)
    x0, y0 = np.asarray(x0, np.int64), np.asarray(y0, np.int64)
    paper = np.zeros(len(x0), np.float64)
    inside = (x0 >= 0) & (y0 >= 0) & (x0 + width <= cw) & (y0 + height <= ch)
    # The centre's paper map cell (mm): truncated as int() does, the centre being on the page.
    rows = np.minimum(((y0[inside] + height / 2) / K).astype(np.int64), ph - 1)
    cols = np.minimum(((x0[inside] + width / 2) / K).astype(np.int64), pw - 1)
    paper[inside] = ink.paper[rows, cols]
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
    grids: list[tuple[np.ndarray, np.ndarray]] = []  # (box indices, their scores at every shift)
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
        grids.append((index, result))
        for j, i in enumerate(members):
            windows[i] = BoxWindow(int(x0[j]), int(y0[j]), grey[j], float(paper[j]), ink.black_ratio)
    reliable = scores > T.OUTLINE_FOUND_MIN_SCORE
    if not reliable.any():
        final = offsets * 0
        return BoxSearch(final, float("inf"), windows, 0.0, reliable, offsets,
                         outline=_outline_at(grids, final, search, len(boxes)))
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
    return BoxSearch(final, residual, windows, float(reliable.mean()), reliable, offsets,
                     outline=_outline_at(grids, final, search, len(boxes)))


def _outline_at(grids: list[tuple[np.ndarray, np.ndarray]], offsets: np.ndarray, search: int, n: int) -> np.ndarray:
    """Each box's outline score at its final offset (mm, rounded to the search's px grid): (n,).

    ``grids``: per box size, the boxes' indices and :func:`outline_scores`' (m, 2s+1, 2s+1) scores.
    Taken from the scores the search computed anyway: no pixel is looked at again (issue #18).
    """
    out = np.zeros(n)
    for index, result in grids:
        sx = np.clip(np.round(offsets[index, 0] * K).astype(np.int64) + search, 0, 2 * search)
        sy = np.clip(np.round(offsets[index, 1] * K).astype(np.int64) + search, 0, 2 * search)
        out[index] = result[np.arange(len(index)), sy, sx]
    return out
