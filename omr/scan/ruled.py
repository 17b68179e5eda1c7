"""Ruled or squared paper showing through a copied sheet: faint straight lines across the whole page.

A form photocopied on (or over) a notebook's ruled paper, or with a grid sheet behind it, carries faint grey
lines every 7-8 mm across the page (bench/hunt/habits2.py ``ruled``: 12-30 % dark, 0.15-0.3 mm wide). Where
one crosses an empty box it is a faint trace or a thin line in it, which the reader rightly takes for a
possible faint pencil mark (:func:`omr.scan.read.judge_against_respondent`, rule 1): 61-64 % of the questions
of such pages went to review. What tells a ruled line from a stroke of the respondent's is that it does not
stop at the box: it runs on straight through the paper on both sides of it, level (or upright), as faint
as inside, and the page holds many of them at several heights (or places across). This module finds such
lines in the boxes' windows and gives the ink they explain, so that the faint-mark rules judge what is
left: a pencil stroke crossing a ruled line keeps its own ink.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from omr import tuning as T
from omr.scan.align import K


@dataclass(frozen=True)
class RuledLine:
    """One faint line running straight through a box's window: which axis (``"row"``: level, ``"col"``:
    upright), the window's rows (or columns) it covers, ``first``..``last`` inclusive, and its ink there
    (0..1, page black = 1) measured on the paper beside the box, one value per row (or column)."""

    axis: str
    first: int
    last: int
    levels: np.ndarray


def window_lines(ink: np.ndarray, box_px: tuple[int, int, int, int]) -> list[RuledLine]:
    """The faint straight lines crossing a box's whole window, level or upright.

    Args:
        ink: the window's ink (h, w; float 0..1, page black = 1) at K px/mm.
        box_px: the box's outline on the window, (left, top, right, bottom) px.

    Returns:
        The lines (possibly none). A line is a run of at most RULED_MAX_WIDTH_MM of rows (or columns) where the
        ink, taken as the largest of 3 neighbouring rows per column (a line tilted up to ~1 degree drifts a
        pixel over a window), has a median of at least RULED_MIN_INK and at most RULED_MAX_INK on each of
        three parts of the window: the paper before the box, the box's inside and the paper after it (each
        at least RULED_MIN_PART_MM long, the outline and RULED_OUTLINE_MM around it left out), standing
        RULED_MIN_CONTRAST above the same parts RULED_SIDE_MM away. A pen's stroke in the box meets the
        inside part only; a printed label is darker than RULED_MAX_INK or covers too little of a part.
    """
    out = []
    for axis, grid, (a0, a1) in (("row", ink, (box_px[0], box_px[2])), ("col", ink.T, (box_px[1], box_px[3]))):
        out += [RuledLine(axis, first, last, levels) for first, last, levels in _lines_along(grid, a0, a1)]
    return out


def _lines_along(grid: np.ndarray, start: int, end: int) -> list[tuple[int, int, np.ndarray]]:
    """:func:`window_lines` along the rows of ``grid`` (rows x columns), the box spanning columns
    ``start``..``end`` px: (first row, last row, the line's ink per row on the paper beside the box)."""
    height, width = grid.shape
    gap, least = int(round(T.RULED_OUTLINE_MM * K)), int(round(T.RULED_MIN_PART_MM * K))
    parts = [(0, start - gap), (start + gap, end - gap), (end + gap, width)]
    if any(b - a < least for a, b in parts) or height < 3:
        return []
    band = cv2.dilate(grid, np.ones((3, 1), np.uint8))  # each column's largest of 3 rows
    if not _may_reach(band, parts, T.RULED_MIN_INK).any():
        return []
    levels = np.stack([np.median(band[:, a:b], axis=1) for a, b in parts])  # (3, height)
    side = int(round(T.RULED_SIDE_MM * K))
    padded = np.pad(levels, ((0, 0), (side, side)), mode="edge")
    beside = np.maximum(padded[:, :height], padded[:, 2 * side:])
    line = ((levels.min(axis=0) >= T.RULED_MIN_INK) & (levels.max(axis=0) <= T.RULED_MAX_INK)
            & ((levels - beside).min(axis=0) >= T.RULED_MIN_CONTRAST))
    found = []
    widest = int(round(T.RULED_MAX_WIDTH_MM * K))
    rows = np.flatnonzero(line)
    for run in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1) if rows.size else []:
        first, last = int(run[0]), int(run[-1])
        if last - first + 1 <= widest:
            # The line's own ink per row (the largest of 3 rows, as it may drift a pixel), from the paper on
            # both sides of the box (not the inside, where a stroke of the respondent's may cross it).
            lo, hi = max(first - 1, 0), min(last + 1, height - 1)
            outside = np.concatenate([band[lo:hi + 1, a:b] for a, b in (parts[0], parts[2])], axis=1)
            found.append((lo, hi, np.median(outside, axis=1)))
    return found


def _may_reach(band: np.ndarray, parts: list[tuple[int, int]], level: float) -> np.ndarray:
    """Bool per row of ``band`` (rows x columns): False where the median of some part's columns
    (``band[row, a:b]`` for (a, b) in ``parts``) is surely below ``level``, True where it may reach it.

    Of n sorted values v, NumPy's median is v[n // 2] (n odd) or the mean of v[n // 2 - 1] and
    v[n // 2], never above v[n // 2] (also in floating point: rounding keeps a + b <= 2 v[n // 2]);
    so it reaches ``level`` only where at least n - n // 2 values do (v[n // 2] and all above it). Counting them is
    a comparison per pixel, not a sort per row (issue #18: most boxes' windows hold no line, and
    their medians were ~0.5 ms a page)."""
    reach = np.ones(band.shape[0], bool)
    for a, b in parts:
        part = band[:, a:b]
        n = part.shape[1]
        reach &= np.count_nonzero(part >= level, axis=1) >= n - n // 2
    return reach


def lined_boxes(candidates: list[tuple[int, np.ndarray, tuple[int, int, int, int], tuple[int, int]]]
                ) -> dict[int, list[RuledLine]]:
    """The candidate boxes whose window a ruled line crosses, when the page is ruled.

    The page is ruled when the candidates' windows hold faint lines crossing them whole (:func:`window_lines`)
    at RULED_MIN_POSITIONS or more places at least RULED_MIN_SPACING_MM apart, level or upright: ruled or
    squared paper, not one crease, hair or pencil stroke along a row. Otherwise (and when fewer than
    RULED_MIN_CANDIDATES boxes are candidates) nothing is returned.

    Args:
        candidates: per box looked at (empty boxes holding a faint trace or thin line): its index, its
            window's ink (h, w; float 0..1, K px/mm), its outline on the window (left, top, right, bottom px)
            and the window's top-left corner on the aligned page (x0, y0 px).

    Returns:
        {box index: its window's lines}, for the candidates a line crosses, on a ruled page.
    """
    if len(candidates) < T.RULED_MIN_CANDIDATES:
        return {}
    found: dict[int, list[RuledLine]] = {}
    places: dict[str, list[float]] = {"row": [], "col": []}
    for i, ink, box_px, (x0, y0) in candidates:
        lines = window_lines(ink, box_px)
        if not lines:
            continue
        found[i] = lines
        for line in lines:
            origin = y0 if line.axis == "row" else x0
            places[line.axis].append((origin + (line.first + line.last) / 2) / K)
    ruled = any(_distinct(p) >= T.RULED_MIN_POSITIONS for p in places.values())
    return found if ruled else {}


def _distinct(positions: list[float]) -> int:
    """How many places (mm) at least RULED_MIN_SPACING_MM apart ``positions`` hold."""
    count, last = 0, -np.inf
    for p in sorted(positions):
        if p - last >= T.RULED_MIN_SPACING_MM:
            count, last = count + 1, p
    return count


def without_lines(ink: np.ndarray, lines: list[RuledLine]) -> np.ndarray:
    """``ink`` (a window's, h x w, float 0..1) less the ink its ruled ``lines`` explain: along each line's rows (or
    columns) the line's own ink, as measured beside the box, is taken off (clipped at 0), so a stroke crossing
    the line keeps what it adds to it."""
    out = ink.copy()
    for line in lines:
        view = out if line.axis == "row" else out.T
        view[line.first:line.last + 1] = np.clip(view[line.first:line.last + 1] - line.levels[:, None], 0.0, 1.0)
    return out
