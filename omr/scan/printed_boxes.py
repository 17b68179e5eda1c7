"""Is each box of a form designed elsewhere printed where the template says? (issue #16, item 4)

A pinned template's boxes come from a machine's reading of a blank (or from an OMRChecker template,
whose grid may sit off the print). When a box is not printed where the template puts it (the template
is wrong, the page is another version of the form, a sticker or a fold covers it, registration slipped
there), measuring its inside reads *paper*: an empty box, and the question confidently blank or another
option. That is a silent error. So every box is checked for its printed outline at the position it was
read, and a box whose outline is not there is read as uncertain: its question goes to review.

The check: along the box's outline (a band of ``PRINTED_RIM_BAND_MM`` either side of its edge, at the
read position) the page holds clearly more ink than a ring of paper just outside it. A tick or a cross
across the box does not remove its outline; a filled bubble makes the outline darker, never lighter.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from omr import tuning as T
from omr.model import UNCERTAIN, BoxRead
from omr.scan.align import K, PageInk


def outline_evidence(ink: PageInk, x: float, y: float, w: float, h: float, round_: bool = False) -> float:
    """Ink along a box's printed outline minus ink just outside it (0..1; higher is surer).

    Args:
        ink: the aligned page's ink.
        x, y, w, h: the box as read, mm on the aligned page.
        round_: the box is a ring (a bubble) rather than a square.

    Returns:
        The mean ink of the outline band minus the mean ink of a band 0.8-1.6 mm outside it. A printed
        box of 0.1-0.5 mm line measures 0.15-0.9; paper measures ~0.
    """
    band = T.PRINTED_RIM_BAND_MM
    margin = 1.6 + band
    x0, y0 = int(np.floor((x - margin) * K)), int(np.floor((y - margin) * K))
    x1, y1 = int(np.ceil((x + w + margin) * K)), int(np.ceil((y + h + margin) * K))
    region = ink.region(x0, y0, x1, y1)
    if region.size == 0 or region.shape != (y1 - y0, x1 - x0):
        return 0.0  # off the page: not found
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32) / K
    cx, cy = x + w / 2, y + h / 2
    if round_:
        radius = (w + h) / 4
        distance = np.hypot(xx - cx, yy - cy) - radius  # signed distance to the ring, mm
    else:
        # Signed distance to the square's outline: positive outside, negative inside.
        dx, dy = np.abs(xx - cx) - w / 2, np.abs(yy - cy) - h / 2
        outside = np.hypot(np.maximum(dx, 0), np.maximum(dy, 0))
        distance = np.where((dx > 0) | (dy > 0), outside, np.maximum(dx, dy))
    rim = np.abs(distance) <= band
    around = (distance >= 0.8) & (distance <= 1.6)
    if not rim.any() or not around.any():
        return 0.0
    # The outline's ink: its most inked half (a page may be lighter on one side; a tick may cross it).
    rim_ink = np.sort(region[rim])[::-1]
    strong = float(rim_ink[: max(1, rim_ink.size // 2)].mean())
    return strong - float(np.median(region[around]))


def flag_unprinted(reads: list[BoxRead], ink: PageInk, round_: bool = False) -> tuple[list[BoxRead], int]:
    """Reads whose printed box is not found where they were read become uncertain (their question goes to
    review, never blank). Returns the new reads and how many boxes were not found; a read that is not
    flagged is returned as it was (the same object), a flagged one is a new read."""
    out, missing = [], 0
    for read in reads:
        if outline_evidence(ink, read.x, read.y, read.w, read.h, round_) < T.PRINTED_MIN_OUTLINE_EVIDENCE:
            out.append(replace(read, state=UNCERTAIN, confidence=min(read.confidence, 0.2)))
            missing += 1
        else:
            out.append(read)
    return out, missing
