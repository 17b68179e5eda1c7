"""Flatten a page's lighting before anything looks for ink (issue #13, item 4).

A hand's or a phone's shadow, a fold's shade or a light leak is a change of
the paper's brightness over centimetres; ink is a dark stroke a fraction of a
millimetre wide, a box outline 5 mm across, a corner mark 6 mm. The paper's
brightness is estimated by a grey-level *closing* (the brightest value over a
window larger than any printed mark, then the darkest over the same window):
a closing removes every dark feature smaller than its window, while a step or
a ramp of light, however sharp, comes back where it was. Dividing the page by
that estimate leaves ink on an even paper, so a shadow's edge never becomes a
mark and a corner mark under a dark shadow keeps its contrast.
"""

from __future__ import annotations

import cv2
import numpy as np

from omr import tuning as T


def nominal_px_per_mm(grey: np.ndarray) -> float:
    """Resolution (px/mm) of an image holding an A4 page, turned either way.

    The longer side is taken as the page's 297 mm: right for portrait and
    landscape scans; a two-page image gets a larger estimate, which only widens
    the background window.
    """
    return max(grey.shape) / T.PAGE_HEIGHT


def grey_percentile(grey: np.ndarray, q: float) -> float:
    """``np.percentile(grey, q)`` of a uint8 image, the same value, from pixel counts where it can.

    ``q`` in 0-100. NumPy interpolates linearly between the two order
    statistics around ``(n - 1) q / 100``; when the grey levels around them are
    all equal (nearly always on a page: a million pixels, 256 levels) that level
    is the answer (:func:`_rank_level`: ~0.2 ms for the lighting's 99th
    percentile of a million pixels, against ~1 ms for a sort and ~2 ms for
    OpenCV's histogram of that image, issue #18; at most ~16 counts of the
    image for any ``q``). Otherwise, or beyond 2^24 pixels, NumPy computes it.
    """
    n = grey.size
    if n < 4 or n >= 1 << 24 or grey.dtype != np.uint8 or grey.ndim != 2:
        return float(np.percentile(grey, q))
    grey = np.ascontiguousarray(grey)
    low = int(np.floor((n - 1) * (q / 100)))
    above: dict[int, int] = {}
    # The levels of the order statistics one either side of the pair NumPy interpolates between.
    first = _rank_level(grey, max(low - 1, 0), above)
    if _count_above(grey, first, above) < n - min(low + 2, n - 1):  # rank low + 2 lies at that level too
        return float(first)
    return float(np.percentile(grey, q))


def _count_above(grey: np.ndarray, level: int, above: dict[int, int]) -> int:
    """How many pixels of ``grey`` (uint8, 2-d, contiguous) are brighter than ``level``, kept in ``above``."""
    if level not in above:
        above[level] = 0 if level >= 255 else cv2.countNonZero(
            cv2.threshold(grey, level, 255, cv2.THRESH_BINARY)[1])
    return above[level]


def _rank_level(grey: np.ndarray, rank: int, above: dict[int, int]) -> int:
    """The grey level of ``grey``'s order statistic ``rank`` (0 = darkest pixel; uint8, 2-d, contiguous):
    the lowest level L with more than ``rank`` pixels at L or darker, i.e. fewer than n - ``rank``
    brighter than L. Exact, as the cumulative histogram's ``searchsorted(..., side="right")``.

    Found by counting pixels above a level (one threshold and one count, ~0.06 ms a million pixels),
    stepping down from the brightest pixel in doubling steps, then halving the bracket: a page's high
    percentiles lie a few levels below its brightest paper. Not by OpenCV's histogram: on a closed,
    piecewise flat image (the lighting's paper estimate) ``calcHist`` takes ~2 ms a million pixels, its
    counts stalling on one bin (issue #18)."""
    n = grey.size
    darkest, brightest, _, _ = cv2.minMaxLoc(grey)
    need = n - rank  # fewer than this many pixels above the answer
    good, step = int(brightest), 1  # nothing lies above the brightest
    bad = int(darkest) - 1  # every pixel lies above darkest - 1
    while good - step > bad:
        if _count_above(grey, good - step, above) < need:
            good, step = good - step, step * 2
        else:
            bad = good - step
            break
    while good - bad > 1:
        middle = (good + bad) // 2
        if _count_above(grey, middle, above) < need:
            good = middle
        else:
            bad = middle
    return good


def block_means(grey: np.ndarray, factor: int) -> tuple[np.ndarray, int]:
    """``grey`` (uint8, h × w) shrunk by averaging ``factor`` × ``factor`` blocks (the last partial
    row and column of blocks dropped), and the factor it was shrunk by (``factor``, or less when the
    image is smaller than a block).

    OpenCV's INTER_AREA is fast (~0.2 ms a 200 dpi page) only for an exact halving; by 4 or 8 at
    once it took ~2 ms (OpenCV 5.0, issue #18). The factor's 2s are taken as halvings, the odd rest
    at once. Each step rounds to a whole grey level, so a value can differ by one level from the
    mean of the whole block.
    """
    out, done = grey, 1
    while done < factor:
        step = 2 if (factor // done) % 2 == 0 else factor // done
        h, w = out.shape
        if min(h, w) < step:
            break
        out = cv2.resize(out[:h - h % step, :w - w % step], (w // step, h // step), interpolation=cv2.INTER_AREA)
        done *= step
    return out, done


def paper_background(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """The paper's brightness under every pixel of ``grey`` (uint8, same shape), by a closing,
    and the brightly lit paper's level (the 99th percentile of that estimate).

    Computed at ~``LIGHT_WORK_PX_PER_MM``, median-filtered over ``LIGHT_NOISE_MEDIAN_MM``,
    over a ``LIGHT_WINDOW_MM`` square, then resized back (bilinear). Shape
    (h, w), grey levels 0-255.
    """
    h, w = grey.shape
    factor = max(1, int(round(nominal_px_per_mm(grey) / T.LIGHT_WORK_PX_PER_MM)))
    # Cropped to a multiple of the factor: OpenCV's fast path for INTER_AREA (the rest is replicated).
    small = cv2.resize(grey[:max(factor, h - h % factor), :max(factor, w - w % factor)],
                       (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    work_px_per_mm = nominal_px_per_mm(grey) / factor
    # Noise first: a closing takes the brightest value it sees, so unsmoothed noise would set the
    # paper level higher where the light is low (same noise, darker paper) and leave shadows grey.
    # A median, not a blur: it keeps a shadow's edge as sharp as it is.
    small = cv2.medianBlur(small, max(3, int(round(T.LIGHT_NOISE_MEDIAN_MM * work_px_per_mm)) | 1))
    side = int(round(T.LIGHT_WINDOW_MM * work_px_per_mm)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    lit = grey_percentile(closed, 99)
    if factor > 1:
        # Resized back, a sharp edge of light would be spread over a work pixel: on its dark side
        # the paper taken too bright, and a line of false ink drawn along the edge. The darker
        # neighbour wins instead, and below, paper brighter than that is its own paper level.
        closed = cv2.erode(closed, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)),
                           borderType=cv2.BORDER_REPLICATE)
    background = cv2.resize(closed, (w, h), interpolation=cv2.INTER_LINEAR)
    if factor > 1:
        cv2.max(background, grey, dst=background)
    return background, lit


def flatten_lighting(grey: np.ndarray) -> np.ndarray:
    """``grey`` (uint8, h × w) with its paper brought to one level: the lit paper's.

    Each pixel is divided by the paper's brightness under it
    (:func:`paper_background`) and multiplied by the brightly lit paper level
    (99th percentile of that background), so thresholds tuned on scans still
    hold. The background is floored at ``LIGHT_MIN_BACKGROUND_SHARE`` of that
    level: beyond the sheet (a dark table, a scanner lid) noise is not
    amplified into blobs.
    """
    if grey.size == 0:
        return grey
    background, lit = paper_background(grey)
    if lit <= 0:
        return grey
    # OpenCV's max, not NumPy's: ~10x faster against a scalar on a whole page (issue #18).
    cv2.max(background, float(np.uint8(min(255.0, T.LIGHT_MIN_BACKGROUND_SHARE * lit))), dst=background)
    # One saturating pass in OpenCV: grey * lit / background, rounded, clipped to 0-255.
    return cv2.divide(grey, background, scale=lit)


def stretch_to_range(grey: np.ndarray) -> np.ndarray:
    """``grey`` (uint8, h × w) stretched linearly to its own range: its darkest
    ``T.STRETCH_INK_PERCENTILE`` % to 0 and its paper (99th percentile) to 255.

    For a page scanned far too dark or too light (ink and paper a few dozen
    levels apart) so that thresholds tuned on scans hold again. Percentiles
    of every 4th pixel each way; a page of one level comes back unchanged.
    """
    if grey.size == 0:
        return grey
    sample = grey[::4, ::4]
    low = float(np.percentile(sample, T.STRETCH_INK_PERCENTILE))
    high = float(np.percentile(sample, 99))
    if high - low < 1:
        return grey
    levels = np.clip(np.rint((np.arange(256, dtype=np.float64) - low) * (255.0 / (high - low))), 0, 255)
    return cv2.LUT(grey, levels.astype(np.uint8))
