"""Printed boxes on a blank form, found as the holes of the ink (issue #16, item 1).

A checkbox, a round bubble, a table cell or a comb cell is an empty (or
lettered) area enclosed by a thin ink line. Looking for the *holes* of the ink
(the inner contours of its connected parts) instead of for outlines of their
own finds a box whatever touches its outside: a dotted leader, a table rule,
the next comb cell. Each hole is then judged by its shape (a square fills its
bounding box; a circle fills pi/4 of it), its size (2 to 8 mm outside, from
the issue's contract), how thin its rim is compared with its size (a box is
drawn with a hairline; the rim of a bold letter O is a fifth of its size) and,
when the printed text was read (:mod:`omr.template_from.printed`), whether it
lies inside a printed word: the counters of letters (O, D, Đ, Ô, 0, 8…) are
text, never boxes.

Coordinates: the input is a grey page image (uint8, dark print on white) and
its scale in px per mm; every result is in mm from the page's top-left.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import cv2
import numpy as np

from omr import tuning as T
from omr.template_from.printed import is_circled_character


# A printed word that is only a leader or a writing guide («……», «____»), not a label.
LEADER_WORD = re.compile(r"^[._…·\-–—]+$")


@dataclass
class Found:
    """One printed shape on the blank: ``kind`` is square | round | frame; mm from the page's top-left."""

    kind: str
    x: float
    y: float
    w: float
    h: float
    rim_mm: float = 0.0  # thickness of the printed line around it
    lettered: bool = False  # a letter or digit printed inside (a lettered bubble)
    walls: float = 1.0  # a round's side walls' thickness over top and bottom's (wall_contrast; a serif's stress)
    # A lettered ring taken by the scan-tolerant rule only (_lettered_ring): a letter's outline when a word holds it.
    loose: bool = False
    # The digit read inside a lettered ring on a scanned blank (printed.read_circled): "" when it was
    # read and unsure, None when not read at all (a PDF's text layer, not a lettered ring).
    glyph: str | None = None
    # A lettered ring under BLANK_LETTERED_RING_MIN_MM: a bubble only where Tesseract read a symbol (drop_glyphs).
    symbol_only: bool = False
    # The letter read inside it the same way, letters only (Ⓐ, ⓐ: printed.read_circled with BLANK_CIRCLED_LETTERS).
    letter: str | None = None
    # A frame that is one cell of a larger table (a wall runs on past one of its corners): the share of
    # its inside inked (print), else None (a lone frame, or not a frame). See find_boxes.
    cell_ink: float | None = None

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x <= self.x + self.w and self.y <= y <= self.y + self.h


def ink_of(grey: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Binary ink map (255 = ink) of a blank page: darker than the mean of its surroundings.

    A local (adaptive, mean) threshold keeps lines of any grey and leaves shaded areas (a grey table
    cell) as paper; dark solid areas wider than the window (bold titles, corner marks) are kept by a
    global cut.
    """
    block = int(px_per_mm * T.BLANK_INK_WINDOW_MM) | 1
    local = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block,
                                  T.BLANK_INK_CONTRAST)
    dark = (grey < T.BLANK_INK_DARK_LEVEL).astype(np.uint8) * 255
    return cv2.bitwise_or(local, dark)


def hairline_ink_of(grey: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Binary ink map that keeps hairlines: darker by ``BLANK_HAIRLINE_CONTRAST`` than the brightest
    paper within the window. A 0.2 mm ring at 150 dpi is only 20-50 levels darker than the paper between
    its anti-aliased pixels: under the mean threshold it breaks and its hole leaks. (Shaded cells
    become ink here, so both maps are searched.)"""
    size = max(3, int(px_per_mm * T.BLANK_INK_WINDOW_MM) | 1)
    paper = cv2.dilate(cv2.medianBlur(grey, 3), cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    return (grey.astype(np.int16) < paper.astype(np.int16) - T.BLANK_HAIRLINE_CONTRAST).astype(np.uint8) * 255


def find_holes(ink: np.ndarray, px_per_mm: float, grey: np.ndarray | None = None) -> list[Found]:
    """Every box-like hole of the ink (squares, rounds, frames), before telling glyphs from boxes.

    Args:
        ink: binary ink map (uint8, 255 = ink), as from :func:`ink_of`.
        px_per_mm: scale of the map.
        grey: the page the map was made from, when at hand: walls are then measured to a fraction of a
            pixel (:func:`wall_contrast`).

    Returns:
        ``Found`` records in mm; squares and rounds carry ``rim_mm``, ``lettered`` and ``walls``.
    """
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    lo, hi = T.BLANK_BOX_OUTER_MM
    found: list[Found] = []
    for index, contour in enumerate(contours):
        x, y, w, h = cv2.boundingRect(contour)
        if hierarchy[0][index][3] < 0:  # an outer boundary: only a lettered ring is wanted from these
            ring = _lettered_ring(ink, contour, hierarchy[0][index], x, y, w, h, px_per_mm, grey)
            if ring is not None:
                found.append(ring)
            continue
        wm, hm = w / px_per_mm, h / px_per_mm
        area = cv2.contourArea(contour)
        if area <= 4:
            continue
        if wm >= T.BLANK_FRAME_MIN_MM[0] and hm >= T.BLANK_FRAME_MIN_MM[1]:
            approx = cv2.approxPolyDP(contour, 0.02 * cv2.arcLength(contour, True), True)
            if len(approx) == 4 and area > 0.9 * w * h and not _holds_print(ink, x, y, w, h, px_per_mm):
                found.append(Found("frame", x / px_per_mm, y / px_per_mm, wm, hm,
                                   cell_ink=_inside_share(ink, x, y, w, h, px_per_mm)
                                   if _table_cell(ink, x, y, w, h, px_per_mm) else None))
            continue
        # The hole is the inside of the line; the box as printed is larger by a rim on each side.
        least = min(lo, T.BLANK_ROUND_MIN_MM) - 2 * T.BLANK_RIM_MAX_MM
        if not (least <= wm <= hi and least <= hm <= hi):
            continue
        if not (T.BLANK_BOX_ASPECT[0] <= wm / hm <= T.BLANK_BOX_ASPECT[1]):
            continue
        perimeter = cv2.arcLength(contour, True)
        extent = area / float(w * h)
        circularity = 4 * np.pi * area / (perimeter * perimeter)
        if extent > T.BLANK_SQUARE_MIN_EXTENT and len(cv2.approxPolyDP(contour, 0.08 * perimeter, True)) == 4:
            kind = "square"
        # A pixelated small circle (15 px across) fills only ~0.62 of its box under CHAIN_APPROX_SIMPLE.
        elif circularity > T.BLANK_BUBBLE_MIN_CIRCULARITY and extent <= T.BLANK_SQUARE_MIN_EXTENT + 0.05 and (
                extent > 0.6 or (max(wm, hm) < T.BLANK_SMALL_ROUND_MM and extent > T.BLANK_SMALL_ROUND_MIN_EXTENT)):
            kind = "round"
        else:
            continue
        rim = _rim_px(ink, contour, x, y, w, h)
        rim_mm = rim / px_per_mm
        # The contour's box already holds the rim's first pixel layer.
        grow = (rim - 1) / px_per_mm
        outer_w, outer_h = wm + 2 * grow, hm + 2 * grow
        least = T.BLANK_ROUND_MIN_MM if kind == "round" else lo
        if not (least <= outer_w <= hi and least <= outer_h <= hi):
            continue
        if rim_mm > T.BLANK_RIM_MAX_MM or rim_mm > T.BLANK_RIM_MAX_SHARE * min(outer_w, outer_h):
            continue  # a bold glyph's counter (O, D, 0), not a box drawn with a line
        inside, solid = _inside_ink_share(ink, contour, x, y, w, h, px_per_mm)
        if inside > T.BLANK_BOX_MAX_INSIDE_INK or solid > T.BLANK_BOX_MAX_SOLID_INSIDE:
            continue  # a filled shape inside (a QR code's finder pattern, a bullet), not a letter
        walls = 1.0  # squares are not judged by their walls (see BLANK_SERIF_WALLS)
        if kind == "round":
            walls = wall_contrast(ink, contour, x, y, w, h, grey)
            if walls > T.BLANK_SERIF_WALLS:
                continue  # a serif letter's counter (O, Ô, D, Q, 0): thick sides, hairline top and bottom
        # A ring under BLANK_SMALL_ROUND_MM holds no printed letter: what Tesseract reads in it is the ring ("o").
        lettered = inside > T.BLANK_LETTERED_MIN_INK and max(outer_w, outer_h) >= T.BLANK_SMALL_ROUND_MM
        found.append(Found(kind, x / px_per_mm - grow, y / px_per_mm - grow, outer_w, outer_h, rim_mm,
                           lettered, walls))
    return found


def _holds_print(ink: np.ndarray, x: int, y: int, w: int, h: int, px_per_mm: float) -> bool:
    """Whether a frame's inside (px box ``x, y, w, h`` of its hole, less a margin of
    ``T.BLANK_FRAME_INSIDE_MARGIN_MM`` for the line's blur) is inked above ``T.BLANK_FRAME_MAX_INSIDE_INK``:
    a table cell holding a printed label, not an empty place to write."""
    return _inside_share(ink, x, y, w, h, px_per_mm) > T.BLANK_FRAME_MAX_INSIDE_INK


def _inside_share(ink: np.ndarray, x: int, y: int, w: int, h: int, px_per_mm: float) -> float:
    """The share (0-1) of a frame's inside (px box of its hole, less ``T.BLANK_FRAME_INSIDE_MARGIN_MM``)
    that is ink."""
    m = int(round(T.BLANK_FRAME_INSIDE_MARGIN_MM * px_per_mm))
    inside = ink[y + m:y + h - m, x + m:x + w - m]
    return float(np.count_nonzero(inside)) / inside.size if inside.size else 0.0


def _table_cell(ink: np.ndarray, x: int, y: int, w: int, h: int, px_per_mm: float) -> bool:
    """Whether the frame whose hole is the px box ``x, y, w, h`` is one cell of a larger table: one of its
    walls runs on, solid (``BLANK_CELL_RULE_SOLID``), from ``BLANK_CELL_RULE_MM[0]`` to ``[1]`` mm past a
    corner, as a table's rules do between cells. A lone frame (a comment box, a 1x1 table) has its walls
    stop at its corners."""
    near, far = (int(round(v * px_per_mm)) for v in T.BLANK_CELL_RULE_MM)
    t = max(2, int(round(T.BLANK_CELL_WALL_MM * px_per_mm)))
    rows, cols = ink.shape
    segments = []
    for wall in (slice(max(0, y - t), y), slice(y + h, min(rows, y + h + t))):  # top and bottom walls, run on
        segments += [(ink[wall, max(0, x - far):max(0, x - near)], 1), (ink[wall, x + w + near:x + w + far], 1)]
    for wall in (slice(max(0, x - t), x), slice(x + w, min(cols, x + w + t))):  # left and right walls
        segments += [(ink[max(0, y - far):max(0, y - near), wall], 0), (ink[y + h + near:y + h + far, wall], 0)]
    return any(seg.size and float((seg > 0).mean(axis=axis).max()) >= T.BLANK_CELL_RULE_SOLID
               for seg, axis in segments)


def _lettered_ring(ink: np.ndarray, contour: np.ndarray, links: np.ndarray, x: int, y: int, w: int, h: int,
                   px_per_mm: float, grey: np.ndarray | None = None) -> Found | None:
    """A small bubble whose printed letter or digit touches its ring (①, Ⓐ at 8-10 pt and 150-200 dpi):
    its hole is cut in pieces, so it is found by its outline: round, 2-8 mm, with holes, and mostly
    empty inside (a bold letter O or a solid dot is filled)."""
    lo, hi = T.BLANK_LETTERED_RING_SYMBOL_MIN_MM, T.BLANK_BOX_OUTER_MM[1]
    wm, hm = w / px_per_mm, h / px_per_mm
    if links[2] < 0 or not (lo <= wm <= hi and lo <= hm <= hi) or not 0.8 <= wm / hm <= 1.25:
        return None
    # Under BLANK_LETTERED_RING_MIN_MM an outline is as likely a letter's (o, d, Ô): kept only where the
    # page's reading saw a symbol there (drop_glyphs).
    symbol_only = min(wm, hm) < T.BLANK_LETTERED_RING_MIN_MM
    area = cv2.contourArea(contour)
    perimeter = cv2.arcLength(contour, True)
    if perimeter <= 0 or area <= 0:
        return None
    extent = area / float(w * h)
    if 4 * np.pi * area / (perimeter * perimeter) < T.BLANK_BUBBLE_MIN_CIRCULARITY or not 0.62 < extent < 0.86:
        return None
    filled = np.zeros((h, w), np.uint8)
    cv2.drawContours(filled, [contour - [x, y]], -1, 255, -1)
    share = np.count_nonzero(ink[y:y + h, x:x + w][filled > 0]) / max(1, np.count_nonzero(filled))
    # A scanner's blur widens the strokes in the ink map: a scanned ① covers more than the clean print's
    # share. It is still taken, as ``loose``, when its strokes at the halfway grey are as thin; a letter's
    # outline (a scanned Q, Đ) measures so too, so a loose ring inside a printed word is its letter
    # (:func:`drop_glyphs`), and without the words none is kept (:func:`find_boxes`).
    loose = share > T.BLANK_LETTERED_RING_MAX_INK
    if loose and (grey is None or _dark_share(grey, filled, x, y) > T.BLANK_LETTERED_RING_MAX_DARK):
        return None
    walls = wall_contrast(ink, contour, x, y, w, h, grey)  # the paper inside the outline, walled by the ring
    if walls > T.BLANK_SERIF_WALLS:
        return None  # a serif capital's outline (Ô, Q): thick sides, hairline top and bottom
    return Found("round", x / px_per_mm, y / px_per_mm, wm, hm, 0.0, True, walls, loose, symbol_only=symbol_only)


def _dark_share(grey: np.ndarray, filled: np.ndarray, x: int, y: int) -> float:
    """Share of the disc ``filled`` (a mask of the outline's box at ``x, y`` px in ``grey``) that is
    darker than halfway between the paper and the darkest print around it.

    A scanner's blur spreads a stroke's grey symmetrically, so the halfway level keeps each stroke as wide
    as printed, where the local-mean ink map (:func:`ink_of`) widens the thin strokes of a circled digit
    (① at 10 pt, 150-200 dpi: 0.63-0.80 of the disc on a scan against 0.45-0.58 clean; halfway: 0.25-0.62
    either way).
    """
    h, w = filled.shape
    pad = max(2, h // 4)
    y0, x0 = max(0, y - pad), max(0, x - pad)
    region = np.sort(grey[y0:y + h + pad, x0:x + w + pad], axis=None)
    paper, black = float(region[int(0.9 * (region.size - 1))]), float(region[int(0.02 * (region.size - 1))])
    dark = grey[y:y + h, x:x + w].astype(np.float32) < (paper + black) / 2
    return float(np.count_nonzero(dark & (filled > 0)) / max(1, np.count_nonzero(filled)))


def _rim_px(ink: np.ndarray, contour: np.ndarray, x: int, y: int, w: int, h: int) -> int:
    """Thickness (px) of the ink line around a hole: how many one-pixel rings, from the hole's own
    boundary outwards, are mostly ink (a hole's contour runs on the ink's first pixel layer)."""
    pad = max(4, int(0.3 * max(w, h)))
    y0, x0 = max(0, y - pad), max(0, x - pad)
    crop = ink[y0:y + h + pad, x0:x + w + pad]
    filled = np.zeros(crop.shape, np.uint8)
    cv2.drawContours(filled, [contour - [x0, y0]], -1, 255, -1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    inner = cv2.erode(filled, kernel)
    thickness = 0
    for _ in range(pad):
        outer = filled if thickness == 0 else cv2.dilate(inner, kernel)
        ring = cv2.subtract(outer, inner)
        count = int(np.count_nonzero(ring))
        if count == 0 or np.count_nonzero(crop[ring > 0]) / count < 0.5:
            break
        thickness += 1
        inner = outer
    return max(thickness, 1)


def wall_contrast(ink: np.ndarray, contour: np.ndarray, x: int, y: int, w: int, h: int,
                  grey: np.ndarray | None = None) -> float:
    """How much thicker a hole's left and right walls are than its top and bottom (the thinner side wall
    over the thicker of top and bottom; 1.0 for an even line).

    ``contour``: a hole's (its walls are the ink around it) or a lettered ring's outline (its walls are
    the ink between the paper inside and the outside).

    A box or a ring is drawn with one pen: its four walls are equally thick. A serif letter's counter
    (O, Ô, D, Q, 0 in Times New Roman) has the font's stress: vertical strokes ~2-3 times as thick as
    its hairline top and bottom. Each wall is the median length of the ink runs leaving the hole outwards
    across the middle half of that side (a leader or a rule touching a wall moves few of them); with
    ``grey`` (the page the ink map was made from), a run's length is its darkness summed over the run and
    the pixel at each end (0 paper .. 1 the darkest print nearby), a fraction of a pixel: a 2 px ring
    rasterised 3 px here and 4 px there no longer reads as a serif's stress.
    """
    pad = max(4, int(0.5 * max(w, h)))
    y0, x0 = max(0, y - pad), max(0, x - pad)
    crop = ink[y0:y + h + pad, x0:x + w + pad] > 0
    hole = np.zeros(crop.shape, np.uint8)
    cv2.drawContours(hole, [contour - [x0, y0]], -1, 255, -1)
    # The hole's contour runs on the ink's first layer: the hole proper is what is not ink inside it.
    inside = (hole > 0) & ~crop
    if not inside.any():
        return 1.0

    rows_in = np.flatnonzero(inside.any(axis=1))
    cols_in = np.flatnonzero(inside.any(axis=0))
    r0, r1 = rows_in[0], rows_in[-1]
    c0, c1 = cols_in[0], cols_in[-1]
    rows = np.arange(r0 + (r1 - r0) // 4, r1 - (r1 - r0) // 4 + 1)
    cols = np.arange(c0 + (c1 - c0) // 4, c1 - (c1 - c0) // 4 + 1)
    dark = None
    if grey is not None:
        region = grey[y0:y + h + pad, x0:x + w + pad].astype(np.float32)
        values = np.sort(region, axis=None)  # np.percentile costs ~5 ms a call here, a sort ~20 us
        paper, black = values[int(0.9 * (values.size - 1))], values[int(0.02 * (values.size - 1))]
        dark = np.clip((paper - region) / max(1.0, paper - black), 0.0, 1.0)
    left, right = _wall_runs(crop[rows], inside[rows], None if dark is None else dark[rows])
    top, bottom = _wall_runs(crop[:, cols].T, inside[:, cols].T, None if dark is None else dark[:, cols].T)
    return min(left, right) / max(1.0, top, bottom)


def _wall_runs(ink: np.ndarray, inside: np.ndarray, dark: np.ndarray | None = None) -> tuple[float, float]:
    """Median thickness (px) of the ink leaving ``inside`` to the left and to the right, over the lines
    (rows) of ``ink`` that cross it: the run's length, or with ``dark`` its darkness summed over the run
    and the pixel at each end."""
    width = ink.shape[1]
    index = np.arange(width)
    # Length of the ink run ending at each pixel, going right (and, reversed, going left).
    last_paper = np.maximum.accumulate(np.where(ink, -1, index[None, :]), axis=1)
    run_right_end = index[None, :] - last_paper
    first_paper = np.minimum.accumulate(np.where(ink, width, index[None, :])[:, ::-1], axis=1)[:, ::-1]
    run_left_end = first_paper - index[None, :]
    has = inside.any(axis=1)
    if not has.any():
        return 0.0, 0.0
    lines = np.flatnonzero(has)
    first = np.argmax(inside, axis=1)[lines]
    last = (width - 1 - np.argmax(inside[:, ::-1], axis=1))[lines]
    before = np.where(first > 0, run_right_end[lines, np.maximum(first - 1, 0)], 0)
    after = np.where(last < width - 1, run_left_end[lines, np.minimum(last + 1, width - 1)], 0)
    if dark is not None:
        sums = np.concatenate([np.zeros((dark.shape[0], 1), np.float32), np.cumsum(dark, axis=1)], axis=1)[lines]
        a = np.maximum(first - before - 1, 0)
        b = np.minimum(first + 1, width)
        before = sums[np.arange(len(lines)), b] - sums[np.arange(len(lines)), a]
        a = last
        b = np.minimum(last + after + 2, width)
        after = sums[np.arange(len(lines)), b] - sums[np.arange(len(lines)), a]
    return float(np.median(before)), float(np.median(after))


def _inside_ink_share(ink: np.ndarray, contour: np.ndarray, x: int, y: int, w: int, h: int,
                      px_per_mm: float) -> tuple[float, float]:
    """Shares of ink inside a hole, away from its rim: all of it (a printed letter's strokes), and what
    is left once strokes thinner than ``BLANK_SOLID_MM`` are opened away (a solid square or dot)."""
    crop = ink[y:y + h, x:x + w]
    hole = np.zeros(crop.shape, np.uint8)
    cv2.drawContours(hole, [contour - [x, y]], -1, 255, -1)
    hole = cv2.erode(hole, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    n = int(np.count_nonzero(hole))
    if not n:
        return 0.0, 0.0
    inside = cv2.bitwise_and(crop, hole)
    size = max(3, int(round(T.BLANK_SOLID_MM * px_per_mm)) | 1)
    solid = cv2.morphologyEx(inside, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    return float(np.count_nonzero(inside) / n), float(np.count_nonzero(solid) / n)


def keep_innermost(found: list[Found]) -> list[Found]:
    """One record per printed box: of nested boxes (a ☐ inside a table cell, a double line), the innermost.

    Frames that hold boxes (a table, a box drawn around a question) are not places to write and are dropped.
    """
    boxes = [f for f in found if f.kind != "frame"]
    boxes.sort(key=lambda f: f.w * f.h)
    kept: list[Found] = []
    for b in boxes:
        cx, cy = b.centre
        if any(b.contains(*k.centre) or k.contains(cx, cy) for k in kept):
            continue
        kept.append(b)
    frames = [f for f in found if f.kind == "frame"]
    frames.sort(key=lambda f: f.w * f.h)
    kept_frames: list[Found] = []
    for fr in frames:
        if any(fr.contains(*b.centre) for b in kept):
            continue
        if any(fr.contains(*k.centre) for k in kept_frames):
            continue
        kept_frames.append(fr)
    return sorted(kept, key=lambda f: (round(f.y), f.x)) + sorted(kept_frames, key=lambda f: (f.y, f.x))


def drop_glyphs(found: list[Found], words: list) -> list[Found]:
    """Holes that are the counters of printed letters are dropped (the O's and D's of a title).

    ``words``: printed words (:class:`omr.template_from.printed.PrintedWord`, mm) with their
    characters' boxes. A hole is a letter when it lies in a character Tesseract read as a letter or
    digit that has a neighbour in its word as tall as it and close to it, as letters are set. A box
    glued by Tesseract to its label ("☐Nam") is twice as tall as the label's letters and set a space
    apart, and a lone bubble read as "O" has no neighbour: both stay boxes.
    """
    kept = []
    for f in found:
        if f.symbol_only and not any(_read_as_symbol(f, w) for w in words):
            continue
        if f.loose and any(_in_letter_of_word(f, w) for w in words):
            continue
        if f.kind == "round" and f.lettered and any(not w.exact and _is_letter_outline(f, w) for w in words):
            continue
        if f.kind == "frame" or not any(_in_printed_glyph(f, w) if w.exact else _is_letter_counter(f, w)
                                        for w in words):
            kept.append(f)
    return kept


# What Tesseract's page reading makes of a circled letter or digit: a round symbol (office blanks, 150-300 dpi).
ROUND_SYMBOLS = set("@®©")


def _read_as_symbol(ring: Found, word) -> bool:
    """Whether Tesseract's page reading (not a text layer, whose circled characters
    :func:`circled_from_text` adds) read a round symbol (:data:`ROUND_SYMBOLS`: "@", "®", "©", or a circled
    character) over the centre of a small lettered ring: how it reads a circled letter or digit, where a
    letter's outline (o, d, Ô) reads as that letter and omr's corner mark as ":"."""
    if word.exact:
        return False
    cx, cy = ring.centre
    return any((char in ROUND_SYMBOLS or is_circled_character(char)) and x - 0.3 <= cx <= x + w + 0.3
               and y - 0.3 <= cy <= y + h + 0.3 for char, x, y, w, h in word.symbols)


def _is_letter_outline(ring: Found, word) -> bool:
    """A lettered ring that is the outline of a letter Tesseract's layout boxed as a character of a word,
    however unsure its reading ("Qua" read "QUA" at confidence 50 on a 300 dpi scan: the Q's tail inside
    its bowl looks like a letter printed in a ring).

    The character's box is the ring's (each side within ``BLANK_OUTLINE_MATCH`` of the ring's size), and a
    letter or digit right beside it in its word (closer than ``BLANK_TEXT_LETTER_GAP`` of its height) stands
    on about the same baseline (bottoms within ``BLANK_OUTLINE_BASELINE`` of its height: a Q's tail reaches
    below it) but is not as tall (under ``BLANK_OUTLINE_SHORTER`` of it: a lower-case letter or a digit after
    a capital). Bubbles that Tesseract strings
    into a word ("œ@ mD5Ø") stand as tall as one another, and a label is set a space apart from its bubble.
    """
    symbols = list(word.symbols)
    match = T.BLANK_OUTLINE_MATCH
    for i, (char, x, y, w, h) in enumerate(symbols):
        if not char.isalnum() or abs(x - ring.x) > match * ring.w or abs(x + w - ring.x - ring.w) > match * ring.w \
                or abs(y - ring.y) > match * ring.h or abs(y + h - ring.y - ring.h) > match * ring.h:
            continue
        for j in (i - 1, i + 1):
            if not 0 <= j < len(symbols):
                continue
            other, ox, oy, ow, oh = symbols[j]
            gap = ox - (x + w) if j > i else x - (ox + ow)
            if other.isalnum() and -0.25 * h < gap < T.BLANK_TEXT_LETTER_GAP * h \
                    and abs((oy + oh) - (y + h)) <= T.BLANK_OUTLINE_BASELINE * h and oh < T.BLANK_OUTLINE_SHORTER * h:
                return True
    return False


def _in_letter_of_word(box: Found, word) -> bool:
    """A loose lettered ring (:func:`_lettered_ring` on a scan) whose centre lies in a letter or digit read
    by Tesseract, with another character of its word set right beside it, outside the ring ("Qua",
    "Đúng", a heading's "D."): that letter's outline. A circled digit is read alone, as a symbol ("®",
    "@") or as junk whose characters all lie inside its ring ("6S").
    """
    cx, cy = box.centre
    symbols = list(word.symbols)
    for i, (char, x, y, w, h) in enumerate(symbols):
        if not (char.isalnum() and x - 0.3 <= cx <= x + w + 0.3 and y - 0.3 <= cy <= y + h + 0.3):
            continue
        for j in (i - 1, i + 1):
            if not 0 <= j < len(symbols) or symbols[j][0].isspace():
                continue
            _, ox, _, ow, _ = symbols[j]
            outside = not box.x <= ox + ow / 2 <= box.x + box.w
            gap = ox - (x + w) if j > i else x - (ox + ow)
            if outside and gap < T.BLANK_TEXT_LETTER_GAP * h:
                return True
    return False


def _is_glyph_character(char: str) -> bool:
    """A letter or decimal digit: a character whose holes are counters (not ☐ ○, not a circled ① Ⓐ,
    whose ring is the bubble)."""
    return unicodedata.category(char)[0] == "L" or unicodedata.category(char) == "Nd"


def _in_printed_glyph(box: Found, word) -> bool:
    """A hole inside a letter or digit of a PDF's text layer (``word.exact``): the glyph boxes are the
    print's own, so a hole whose centre lies in one and that lies mostly (``BLANK_GLYPH_COVER``) inside
    it is that glyph's counter, whatever its neighbours. (A serif Ô's box reaches up over its
    circumflex, so the old rule's neighbour, a lower-case "n", was under 0.55 of its height.) A letter
    printed inside a drawn bubble covers far less of the bubble's box: the bubble stays."""
    cx, cy = box.centre
    if not (word.x - 0.5 <= cx <= word.right + 0.5 and word.y - 0.5 <= cy <= word.bottom + 0.5):
        return False
    pad = T.BLANK_GLYPH_PAD_MM
    for char, x, y, w, h in word.symbols:
        if not _is_glyph_character(char) or not (x - pad <= cx <= x + w + pad and y - pad <= cy <= y + h + pad):
            continue
        across = max(0.0, min(x + w + pad, box.x + box.w) - max(x - pad, box.x))
        down = max(0.0, min(y + h + pad, box.y + box.h) - max(y - pad, box.y))
        if across * down >= T.BLANK_GLYPH_COVER * box.w * box.h:
            return True
    return False


def _is_letter_counter(box: Found, word) -> bool:
    cx, cy = box.centre
    if not (word.x - 0.5 <= cx <= word.x + word.w + 0.5 and word.y - 0.5 <= cy <= word.y + word.h + 0.5):
        return False
    if word.confidence < T.BLANK_TEXT_MIN_CONFIDENCE:
        return False
    symbols = list(word.symbols)
    for i, (char, x, y, w, h) in enumerate(symbols):
        if not (x - 0.3 <= cx <= x + w + 0.3 and y - 0.3 <= cy <= y + h + 0.3) or not char.isalnum():
            continue
        if not _could_hold(char, x, w, box):
            continue  # "☐0" read "L]0": the box read as a letter with no counter, the digit beside it
        # A letter holds its counter from side to side; a symbol over part of the box is a phantom
        # reading of the box's wall ("☐Nữ" read "LINữ": the "I" covers only the box's right half).
        if x > box.x + 0.3 * box.w or x + w < box.x + 0.7 * box.w:
            continue
        for step in (-1, 1):
            j = i + step
            # Tesseract reads a box as overlapping phantom letters ("LÌNam": the "Ì" covers the box's
            # right wall): a symbol over the box is part of it, and the letter beside is the next one.
            while 0 <= j < len(symbols) and _over_box(symbols[j], box, step):
                j += step
            if not 0 <= j < len(symbols):
                continue
            other, ox, oy, ow, oh = symbols[j]
            gap = ox - (x + w) if j > i else x - (ox + ow)
            overlap = min(ox + ow, box.x + box.w) - max(ox, box.x)
            beside = overlap < 0.4 * ow and gap > -0.25 * h
            if _strays(x, w, box):
                # The character's box is not the hole's own: Tesseract boxed a label's last letter with the
                # box glued after it («Nữ❑» read "ữ" 6.5 mm wide over a 2.8 mm box, its "N" 4 mm from the
                # box). A counter lies as close to the letter beside as letters are set; a box a space away.
                gap = ox - (box.x + box.w) if j > i else box.x - (ox + ow)
            if other.isalnum() and beside and oh >= T.BLANK_TEXT_NEIGHBOUR_HEIGHT * h \
                    and gap < T.BLANK_TEXT_LETTER_GAP * h:
                return True
    return False


def _strays(x: float, w: float, box: Found) -> bool:
    """A character box (from ``x``, ``w`` mm wide) whose left or right side lies more than
    ``BLANK_OUTLINE_MATCH`` of the hole's size from the hole's: not the hole's own box."""
    match = T.BLANK_OUTLINE_MATCH * box.w
    return abs(x - box.x) > match or abs(x + w - box.x - box.w) > match


# Letters and digits whose glyph closes a counter (a hole), by their base letter (Ô, Ơ, Đ as O, D):
# round ones, whose counter is an oval, and the others, whose counter may have straight sides (D, P, B, A).
ROUND_COUNTERS = set("OoQ0")
COUNTERS = ROUND_COUNTERS | set("ABDPRabdegpq4689Đđ")


def _could_hold(char: str, x: float, w: float, box: Found) -> bool:
    """Whether the hole ``box`` can be the counter of the character ``char`` that Tesseract read over it
    (its box from ``x``, ``w`` mm wide). When that box is the hole's own (left and right within
    ``BLANK_OUTLINE_MATCH`` of its size), the character is the hole's reading: it must close a counter
    (:data:`COUNTERS`), of straight sides in a square hole (four corners, filling its bounding box: not O, Ô,
    0, whose counter is an oval). Tesseract reads a box glued to its digit («☐0») as "L]0", "LI1", "[16",
    "19": the "L", "I", "[", "1" over the hole close no counter; the hole is the box and only the digit is
    text. A character box that strays from the hole (in a bold title the ring of «Ố» fell in the 6 mm box
    of the "I" after it, 150 dpi) says nothing of it: any letter or digit may hold it, as before."""
    if _strays(x, w, box):
        return True
    base = unicodedata.normalize("NFD", char)[:1]
    return base in COUNTERS and not (box.kind == "square" and base in ROUND_COUNTERS)


def _over_box(symbol, box: Found, step: int) -> bool:
    """A symbol after (``step`` 1) or before (-1) a hole's symbol that reaches more than
    ``BLANK_EDGE_AS_LETTER_MM`` into the hole's box: Tesseract's reading of the box's own wall, not a
    letter beside it (a letter's neighbour starts where the letter's ink, and so its counter's box, ends)."""
    _, x, _, w, _ = symbol
    if step > 0:
        return x < box.x + box.w - T.BLANK_EDGE_AS_LETTER_MM
    return x + w > box.x + T.BLANK_EDGE_AS_LETTER_MM


def find_boxes(grey: np.ndarray, px_per_mm: float, words: list | None = None) -> list[Found]:
    """Checkboxes, round bubbles, table and comb cells (2–8 mm) and writing frames on a blank page.

    Args:
        grey: the blank page, grey uint8, dark print on white, any scale from ~150 to 300 dpi.
        px_per_mm: its scale (px per mm).
        words: the page's printed words (mm), when read; letters' counters inside words are dropped.

    Returns:
        Boxes sorted by line then x, followed by frames; mm from the page's top-left.
    """
    found = find_holes(ink_of(grey, px_per_mm), px_per_mm, grey)
    # Hairline rings whose hole leaks under the mean threshold; duplicates are merged below.
    found += [f for f in find_holes(hairline_ink_of(grey, px_per_mm), px_per_mm, grey) if f.kind != "frame"]
    if words:
        found = drop_glyphs(found, words)
        found += circled_from_text(found, words)
    else:
        found = [f for f in found if not f.loose and not f.symbol_only]
    return keep_innermost([f for f in found if not _label_cell(f, words)])


def _label_cell(frame: Found, words: list | None) -> bool:
    """Whether a frame is a table cell holding printed text (a label or a header cell: «Nội dung», «3.
    Công chức lịch sự …» beside a 1-5 table's boxes), not a place to write: a cell of a larger table
    (:func:`_table_cell`) with a printed word in it, dotted leaders aside, when the page's words are read;
    else with its inside inked above ``BLANK_CELL_LABEL_MIN_INK``. A lone frame around a printed hint stays
    a writing frame (warned of by :func:`omr.template_from.blank.frames_over_print`)."""
    if frame.kind != "frame" or frame.cell_ink is None:
        return False
    if words:
        return any(frame.contains(w.x + w.w / 2, w.y + w.h / 2) and not LEADER_WORD.match(w.text) for w in words)
    return frame.cell_ink > T.BLANK_CELL_LABEL_MIN_INK


def circled_from_text(found: list[Found], words: list) -> list[Found]:
    """Bubbles a PDF's text layer names that the ink did not give: each circled digit or letter typed as a
    bubble (① … ⑳, Ⓐ … Ⓩ, ⓐ … ⓩ; :func:`omr.template_from.printed.is_circled_character`) whose centre no
    found box holds becomes a lettered round box over its glyph box (the ring's, mm).

    From the ink alone a ring under ``BLANK_LETTERED_RING_MIN_MM`` whose letter touches it (Ⓐ set at 10 pt
    in STIX, 2.4 mm) is not told from a letter's outline (o, d, Ô measure 2.0-2.4 mm); the text layer is
    the print's own and says which it is. Only words of a text layer (``exact``) count: Tesseract's
    reading of a page names no circled character reliably.
    """
    added: list[Found] = []
    for word in words:
        if not word.exact:
            continue
        for char, x, y, w, h in word.symbols:
            if not is_circled_character(char) or not (T.BLANK_ROUND_MIN_MM <= min(w, h)
                                                      and max(w, h) <= T.BLANK_BOX_OUTER_MM[1]):
                continue
            cx, cy = x + w / 2, y + h / 2
            if any(f.contains(cx, cy) for f in found + added if f.kind != "frame"):
                continue
            added.append(Found("round", x, y, w, h, 0.0, True))
    return added
