"""Align a page to its layout: warp onto the layout grid, then a local search per box.

The homography from the four fiducials takes out rotation, shift, fit-to-page
scaling and a phone's perspective. What it cannot take out (paper curl, an
uneven feed) is left to a small search around each box for its printed
outline. The median distance that search moved the boxes is the page's
alignment residual in millimetres.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import tuning as T
from .layout import Checkbox, PageLayout

K = T.CANONICAL_PX_PER_MM


def warp_to_layout(grey: np.ndarray, homography_mm_to_px: np.ndarray, page: PageLayout) -> np.ndarray:
    """The page resampled onto the layout at ``CANONICAL_PX_PER_MM`` (grey uint8)."""
    canonical_to_mm = np.diag([1.0 / K, 1.0 / K, 1.0])
    h = homography_mm_to_px @ canonical_to_mm
    size = (int(round(page.width * K)), int(round(page.height * K)))
    return cv2.warpPerspective(grey, h, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)


def ink_map(canonical: np.ndarray, page: PageLayout) -> np.ndarray:
    """Ink per pixel, 0 = this page's local paper, 1 = the black of its own fiducials.

    The paper level is estimated locally (a max filter over ~9 mm at 1 px/mm),
    so uneven light on a phone photo or a photocopy's grey cancels out.
    """
    img = canonical.astype(np.float32)
    small = cv2.resize(img, None, fx=1 / K, fy=1 / K, interpolation=cv2.INTER_AREA)
    paper_small = cv2.dilate(small, np.ones((9, 9), np.uint8))
    paper_small = cv2.GaussianBlur(paper_small, (0, 0), 3)
    paper = cv2.resize(paper_small, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)
    paper = np.maximum(paper, 1.0)
    ratios = []
    for f in page.fiducials:
        m = 1.2  # mm inside the mark, away from its blurred edge
        y0, y1 = int((f.y + m) * K), int((f.y + f.h - m) * K)
        x0, x1 = int((f.x + m) * K), int((f.x + f.w - m) * K)
        ratios.append(np.median(img[y0:y1, x0:x1] / paper[y0:y1, x0:x1]))
    black_ratio = float(np.clip(np.median(ratios), 0.0, 0.8))  # never assume less contrast than this
    ink = (1.0 - img / paper) / (1.0 - black_ratio)
    return np.clip(ink, 0.0, 1.0)


def _ring_template(box_w_px: int, box_h_px: int, band: int) -> np.ndarray:
    """+1 on the printed outline, -1 on a band of paper just outside it."""
    line = max(2, int(round(T.BOX_LINE_WIDTH * K)) + 1)
    t = np.zeros((box_h_px + 2 * band, box_w_px + 2 * band), np.float32)
    t[:, :] = -1.0
    t[band + line:band + box_h_px - line, band + line:band + box_w_px - line] = 0.0  # inside: marks, ignore
    ring = np.zeros_like(t, dtype=bool)
    ring[band:band + box_h_px, band:band + box_w_px] = True
    ring[band + line:band + box_h_px - line, band + line:band + box_w_px - line] = False
    t[ring] = 1.0
    t[t == 1.0] /= max(ring.sum(), 1)
    outside = t < 0
    t[outside] = -1.0 / max(outside.sum(), 1)
    return t


def locate_boxes(ink: np.ndarray, boxes: list[Checkbox]) -> tuple[np.ndarray, float]:
    """Offsets (mm, shape (n, 2)) of every box from its layout position, and the residual.

    Each box's outline is searched within ``LOCAL_SEARCH_MM``; boxes whose
    outline was not clearly found, or whose offset disagrees with their
    neighbours', take their neighbours' median offset.
    """
    if not boxes:
        return np.zeros((0, 2)), 0.0
    search = int(round(T.LOCAL_SEARCH_MM * K))
    band = max(2, int(round(0.8 * K)))
    templates: dict[tuple[int, int], np.ndarray] = {}
    offsets = np.zeros((len(boxes), 2))
    scores = np.zeros(len(boxes))
    for i, box in enumerate(boxes):
        bw, bh = int(round(box.w * K)), int(round(box.h * K))
        tmpl = templates.setdefault((bw, bh), _ring_template(bw, bh, band))
        x0 = int(round(box.x * K)) - band - search
        y0 = int(round(box.y * K)) - band - search
        patch = ink[max(y0, 0):y0 + tmpl.shape[0] + 2 * search, max(x0, 0):x0 + tmpl.shape[1] + 2 * search]
        if y0 < 0 or x0 < 0 or patch.shape[0] < tmpl.shape[0] or patch.shape[1] < tmpl.shape[1]:
            continue
        result = cv2.matchTemplate(patch, tmpl, cv2.TM_CCORR)
        _, best, _, (bx, by) = cv2.minMaxLoc(result)
        offsets[i] = ((bx - search) / K, (by - search) / K)
        scores[i] = best
    reliable = scores > 0.25  # the outline stands out from the paper around it by a quarter of black
    centres = np.array([(b.x + b.w / 2, b.y + b.h / 2) for b in boxes])
    fallback = np.median(offsets[reliable], axis=0) if reliable.any() else np.zeros(2)
    final = offsets.copy()
    for i in range(len(boxes)):
        d = np.hypot(*(centres[reliable] - centres[i]).T) if reliable.any() else np.array([])
        near = np.argsort(d)[1:9] if len(d) > 1 else np.array([], dtype=int)
        local = np.median(offsets[reliable][near], axis=0) if len(near) else fallback
        if not reliable[i] or np.hypot(*(offsets[i] - local)) > T.LOCAL_OFFSET_OUTLIER_MM:
            final[i] = local
    residual = float(np.median(np.hypot(*offsets[reliable].T))) if reliable.any() else float("inf")
    return final, residual
