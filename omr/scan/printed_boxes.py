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


def unexplained_marks(reads: list[BoxRead], ink: PageInk, reference: np.ndarray | None,
                      width_mm: float, questions: set[str] | None = None) -> dict[str, float]:
    """Questions with a pen mark near their boxes but outside every box of the template (issue #16).

    A box the template missed (a blank's box not found, or another version of the form) is still
    ticked by respondents: its question, reading only the boxes it knows, is confidently blank. So along
    each question's rows of boxes (their height, ``UNEXPLAINED_BAND_MM`` either side of its first and
    last box) the page's ink is compared with the blank's print (the template's reference image,
    registered to the page): ink that is not print, not within ``UNEXPLAINED_BOX_MARGIN_MM`` of any box
    of the page (a tick running out of its box) and forms a stroke of at least
    ``UNEXPLAINED_MIN_MM2`` is a mark the template cannot explain.

    Args:
        reads: the page's box reads (their question, and position on the aligned page, mm).
        ink: the aligned page's ink.
        reference: the blank's reference image (grey, its width spanning ``width_mm``), or None.
        width_mm: the page's width in mm.
        questions: only these questions' rows are searched (the caller's blank ones: a mark beside a
            question already read is not looked for); None: every question's.

    Returns:
        Question id -> area (mm²) of its largest unexplained mark, for the questions that have one.
    """
    if reference is None or not reads:
        return {}
    scale = reference.shape[1] / width_mm  # reference px per mm
    rows: dict[str, list[BoxRead]] = {}
    for read in reads:
        rows.setdefault(read.question, []).append(read)
    page_h, page_w = ink.canonical.shape
    boxes_mask = np.zeros((page_h, page_w), np.uint8)
    pad = T.UNEXPLAINED_BOX_MARGIN_MM
    for r in reads:
        boxes_mask[max(0, int((r.y - pad) * K)):int((r.y + r.h + pad) * K) + 1,
                   max(0, int((r.x - pad) * K)):int((r.x + r.w + pad) * K) + 1] = 1
    paper = float(np.percentile(reference[::4, ::4], 90))  # the blank's paper, once per page
    found: dict[str, float] = {}
    for question, members in rows.items():
        if questions is not None and question not in questions:
            continue
        size = max(max(r.w, r.h) for r in members)
        y0 = min(r.y for r in members) - 0.3 * size
        y1 = max(r.y + r.h for r in members) + 0.3 * size
        x0 = min(r.x for r in members) - T.UNEXPLAINED_BAND_MM
        x1 = max(r.x + r.w for r in members) + T.UNEXPLAINED_BAND_MM
        px0, py0 = max(0, int(x0 * K)), max(0, int(y0 * K))
        px1, py1 = min(page_w, int(x1 * K)), min(page_h, int(y1 * K))
        if px1 <= px0 or py1 <= py0:
            continue
        area = _largest_new_stroke(ink.region(px0, py0, px1, py1), reference, scale, (px0, py0, px1, py1),
                                   boxes_mask[py0:py1, px0:px1], paper)
        if area >= T.UNEXPLAINED_MIN_MM2:
            found[question] = area
    return found


def stray_writing(reads: list[BoxRead], ink: PageInk, reference: np.ndarray | None, width_mm: float,
                  frames: list[tuple[float, float, float, float]]
                  ) -> tuple[float, tuple[float, float, float, float]] | None:
    """Handwriting far from every box and frame of a form designed elsewhere (a free-text question the
    template has no frame for: the trial's Writer form, «Câu 5. Ý kiến khác:» with empty lines under it).

    The page's ink that is not the blank's print (as :func:`unexplained_marks` tells them apart) is
    looked for away from the boxes: outside every question's rows of boxes (the band
    :func:`unexplained_marks` searches, so a tick beside a box the template missed is left to it), more
    than ``STRAY_BOX_MARGIN_MM`` from any box, outside every frame (grown by ``STRAY_FRAME_MARGIN_MM``:
    writing running over a frame is the frame's) and ``STRAY_PAGE_EDGE_MM`` in from the page's edge
    (a scanner's dark border). Strokes of at least ``STRAY_MIN_STROKE_MM2`` each (dust and speckle are
    smaller) are summed.

    Args:
        reads: the page's box reads (their question, and position on the aligned page, mm).
        ink: the aligned page's ink.
        reference: the blank's reference image (grey, its width spanning ``width_mm``), or None.
        width_mm: the page's width in mm.
        frames: the template's comment frames on this page, (x, y, w, h) mm.

    Returns:
        (total stroke area mm², (x, y, w, h) mm of the box around those strokes) when the area is at least
        ``STRAY_MIN_MM2``; None otherwise (or without a reference).
    """
    import cv2  # lazy: as elsewhere in omr.scan, only where used

    if reference is None:
        return None
    page_h, page_w = ink.canonical.shape
    away = np.zeros((page_h, page_w), np.uint8)

    def block(x0: float, y0: float, x1: float, y1: float) -> None:
        away[max(0, int(y0 * K)):max(0, int(np.ceil(y1 * K))), max(0, int(x0 * K)):max(0, int(np.ceil(x1 * K)))] = 1

    pad = T.STRAY_BOX_MARGIN_MM
    rows: dict[str, list[BoxRead]] = {}
    for r in reads:
        block(r.x - pad, r.y - pad, r.x + r.w + pad, r.y + r.h + pad)
        rows.setdefault(r.question, []).append(r)
    for members in rows.values():  # the band unexplained_marks searches
        size = max(max(r.w, r.h) for r in members)
        block(min(r.x for r in members) - T.UNEXPLAINED_BAND_MM, min(r.y for r in members) - 0.3 * size,
              max(r.x + r.w for r in members) + T.UNEXPLAINED_BAND_MM, max(r.y + r.h for r in members) + 0.3 * size)
    m = T.STRAY_FRAME_MARGIN_MM
    for x, y, w, h in frames:
        block(x - m, y - m, x + w + m, y + h + m)
    edge = int(T.STRAY_PAGE_EDGE_MM * K)
    away[:edge], away[-edge:], away[:, :edge], away[:, -edge:] = 1, 1, 1, 1
    paper = float(np.percentile(reference[::4, ::4], 90))
    # The reference spans the page's width (width_mm); its height follows at the same scale.
    scale = page_w / reference.shape[1]
    printed = cv2.resize(reference, (page_w, max(1, int(round(reference.shape[0] * scale)))),
                         interpolation=cv2.INTER_LINEAR)[:page_h]
    if printed.shape[0] < page_h:  # a reference a little short of the page: its paper below
        printed = np.vstack([printed, np.full((page_h - printed.shape[0], page_w), 255, np.uint8)])
    new = _new_ink(ink.region(0, 0, page_w, page_h), printed, away, paper)
    count, _, stats, _ = cv2.connectedComponentsWithStats(new, connectivity=8)
    keep = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= T.STRAY_MIN_STROKE_MM2 * K * K]
    total = float(sum(stats[i, cv2.CC_STAT_AREA] for i in keep)) / (K * K)
    if not keep or total < T.STRAY_MIN_MM2:
        return None
    x0 = min(stats[i, cv2.CC_STAT_LEFT] for i in keep) / K
    y0 = min(stats[i, cv2.CC_STAT_TOP] for i in keep) / K
    x1 = max(stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH] for i in keep) / K
    y1 = max(stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] for i in keep) / K
    return total, (round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2), round(float(y1 - y0), 2))


def _new_ink(page_ink_: np.ndarray, printed_grey: np.ndarray, excluded: np.ndarray, paper: float) -> np.ndarray:
    """Ink of ``page_ink_`` (a window of the aligned page at K px/mm) that is neither the blank's print
    (``printed_grey``: the reference over the same window at the same size, whose paper is ``paper``;
    dilated by ``UNEXPLAINED_PRINT_SLACK_MM`` for the registration's error and a copier's thicker print)
    nor ``excluded`` (uint8 0/1, the window's shape): a uint8 0/1 mask, opened to a pen's width."""
    import cv2  # lazy: as elsewhere in omr.scan, only where used

    printed = (printed_grey.astype(np.float32) < paper - T.UNEXPLAINED_PRINT_CONTRAST).astype(np.uint8)
    slack = max(1, int(round(T.UNEXPLAINED_PRINT_SLACK_MM * K)))
    printed = cv2.dilate(printed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * slack + 1, 2 * slack + 1)))
    new = ((page_ink_ >= T.UNEXPLAINED_INK) & (printed == 0) & (excluded == 0)).astype(np.uint8)
    # Slivers of print left by the registration's error are thinner than a pen's line: opened away.
    width = max(2, int(round(T.UNEXPLAINED_MIN_LINE_MM * K)))
    return cv2.morphologyEx(new, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (width, width)))


def _largest_new_stroke(page_ink_: np.ndarray, reference: np.ndarray, scale: float, window: tuple,
                        boxes: np.ndarray, paper: float) -> float:
    """Area (mm²) of the largest stroke of ``page_ink_`` (a window of the aligned page at K px/mm) that
    is neither the blank's print nor near a box (:func:`_new_ink`)."""
    import cv2  # lazy: as elsewhere in omr.scan, only where used

    px0, py0, px1, py1 = window
    rx0, ry0 = int(px0 / K * scale), int(py0 / K * scale)
    rx1, ry1 = int(np.ceil(px1 / K * scale)), int(np.ceil(py1 / K * scale))
    crop = reference[max(0, ry0):ry1, max(0, rx0):rx1]
    if crop.size == 0 or crop.shape != (ry1 - ry0, rx1 - rx0):
        return 0.0
    new = _new_ink(page_ink_, cv2.resize(crop, (px1 - px0, py1 - py0), interpolation=cv2.INTER_LINEAR), boxes, paper)
    count, _, stats, _ = cv2.connectedComponentsWithStats(new, connectivity=8)
    if count <= 1:
        return 0.0
    return float(stats[1:, cv2.CC_STAT_AREA].max()) / (K * K)
