"""A page's ink print: what tells another scan of the same paper from another respondent's sheet (#16).

A form designed elsewhere carries no serial: its pages get one from their own
image hash (:func:`omr.scan.register.pinned_identity`), so a stack scanned
again (the operator rescans crooked pages into a new file) would count every
sheet twice. The same answers are not enough to call two pages one sheet: on
a short form many respondents tick the same boxes. What differs between two
respondents is the ink itself: where in the box the cross sits, its arms,
the handwriting in the writing frames. Another scan of the same paper
repeats it, up to scanner noise and the remaining alignment error.

The ink print (:func:`omr.scan.ink_prints.ink_print`) keeps that ink, small and aligned: for each inked box as the reader
located it (layout mm), its ink on a ``DUP_BOX_CELLS`` square grid; for each
writing frame, its ink on a ``DUP_FRAME_CELLS`` grid. :func:`print_similarity`
compares two prints of one form page, only where there is ink: the shape of
each inked box and frame, not which boxes are inked (the store has already
checked the marks are the same). The store uses it to put a page that looks
like another scan of a stored one in front of a person
(:mod:`omr.data.completeness`); two sheets are never merged by this alone.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import struct
from operator import mul

from omr import tuning as T
from omr.model import EMPTY

# The bytes of a print (omr.scan.ink_prints.ink_print makes them): this header, then uint8 cells.
HEADER = struct.Struct("<BHH")  # format version, boxes, frames
VERSION = 1


def marks_key(boxes) -> str:
    """Which boxes of a page hold ink (any state but empty), as 16 hex digits: the store's lookup key.

    Not the boxes' states: another scan of the same cross can read ``marked`` once and ``uncertain``
    or ``cancelled`` the next (measured on rescanned office forms), but it does not vanish.
    """
    inked = sorted(f"{b.question}\x1f{b.option}" for b in boxes if b.state != EMPTY)
    return hashlib.sha256("\x1e".join(inked).encode()).hexdigest()[:16]


def print_similarity(a: bytes | None, b: bytes | None) -> float | None:
    """How alike the ink of two prints of one form page is: -1..1, or None when there is nothing to compare.

    Only the boxes and frames inked on either page count (a cell above
    ``DUP_INKED``); each gives the correlation of its cells (the shape of the
    ink, not its amount: a paler scan of the same cross still matches), and the
    similarity is their mean. None when either print is missing or of another
    layout, or neither page has any ink: a blank sheet is like every blank sheet.

    Plain Python over the cells' integers (exact sums, no NumPy): the store calls it in the process
    that stores pages, which starts without NumPy (issue #18); it agrees with NumPy's ``corrcoef`` over
    the cells / 255 to within 2e-9, and is faster: 0.55 against 1.9 ms CPU a pair over 300 random pairs of
    0-25 inked boxes and 0-3 frames (measured 2026-12-03, loaded machine; docs/benchmarks.md).
    """
    if not a or not b:
        return None
    sa, sb = _segments(a), _segments(b)
    if sa is None or sb is None or len(sa) != len(sb):
        return None
    inked = T.DUP_INKED * 255
    flat = T.DUP_FLAT_STD * 255
    scores = []
    for x, y in zip(sa, sb, strict=True):
        if max(x, default=0) < inked and max(y, default=0) < inked:
            continue
        n = len(x)
        sx, sy = sum(x), sum(y)
        var_x = n * sum(map(mul, x, x)) - sx * sx  # n^2 times the variance, exactly (integers)
        var_y = n * sum(map(mul, y, y)) - sy * sy
        flat_x, flat_y = math.sqrt(var_x) < flat * n, math.sqrt(var_y) < flat * n
        if flat_x and flat_y:
            continue  # solid fills on both: no shape to compare
        if flat_x or flat_y:
            scores.append(0.0)  # a solid fill against a stroke: not alike
            continue
        scores.append((n * sum(map(mul, x, y)) - sx * sy) / math.sqrt(var_x * var_y))
    return math.fsum(scores) / len(scores) if scores else None


def _segments(data: bytes) -> list[memoryview] | None:
    """The cells (0-255) of each inked box, then each frame, of a print; None for another format or layout."""
    if len(data) < HEADER.size:
        return None
    version, n_boxes, n_frames = HEADER.unpack_from(data)
    body = memoryview(data)[HEADER.size:]
    sizes = [T.DUP_BOX_CELLS ** 2] * n_boxes + [T.DUP_FRAME_CELLS[0] * T.DUP_FRAME_CELLS[1]] * n_frames
    if version != VERSION or len(body) != sum(sizes):
        return None
    starts = [0, *itertools.accumulate(sizes)]
    return [body[start:end] for start, end in zip(starts, starts[1:])]
