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
from omr.model import CANCELLED, MARKED, UNCERTAIN, BoxRead
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


def flag_unprinted(reads: list[BoxRead], ink: PageInk | None, round_: bool = False,
                   evidence: np.ndarray | None = None,
                   min_evidence: float = T.PRINTED_MIN_OUTLINE_EVIDENCE) -> tuple[list[BoxRead], int]:
    """Reads whose printed box is not found where they were read become uncertain (their question goes to
    review, never blank). Returns the new reads and how many boxes were not found; a read that is not
    flagged is returned as it was (the same object), a flagged one is a new read.

    Args:
        reads: the page's box reads (position on the aligned page, mm).
        ink: the aligned page's ink, measured by :func:`outline_evidence` at each read's position;
            unused when ``evidence`` is given.
        round_: the boxes are rings (bubbles).
        evidence: (len(reads),) each box's outline evidence already measured (omr's own forms: the box
            search's outline score where the box was placed, :attr:`omr.scan.align.BoxSearch.outline`),
            or None to measure it here.
        min_evidence: the evidence under which a box is "not printed here" (each measure has its own:
            PRINTED_MIN_OUTLINE_EVIDENCE, OWN_MIN_OUTLINE_SCORE).
    """
    if evidence is None:
        evidence = [outline_evidence(ink, r.x, r.y, r.w, r.h, round_) for r in reads]
    out, missing = [], 0
    for read, seen in zip(reads, evidence):
        if seen < min_evidence:
            out.append(replace(read, state=UNCERTAIN, confidence=min(read.confidence, 0.2)))
            missing += 1
        else:
            out.append(read)
    return out, missing


def own_outline_evidence(reads: list[BoxRead], outline: np.ndarray, paper: np.ndarray, ink: PageInk) -> np.ndarray:
    """How plainly each box of omr's own page shows its printed outline, as a share of the page's typical
    box (1 typical, 0 not seen): the evidence :func:`flag_unprinted` compares with OWN_MIN_OUTLINE_SHARE.

    ``outline`` is the box search's score where each box was placed (:attr:`omr.scan.align.BoxSearch.outline`,
    (n,) per read, in ``reads``' order): computed anyway, so the check costs nothing. A box scores 0 when its
    score is under OWN_MIN_OUTLINE_SCORE (paper, a sticky note, a scanner's lid), else its score over the
    page's median score: glare or a half-transparent cover lifts the outline towards paper, and the marks
    with it, while the page's other boxes keep theirs. A box whose local paper level is under
    OWN_MIN_PAPER_SHARE of the page's median one is not on paper at all (a black lid behind a torn or
    folded-under part, a dark cover; a window off the page has level 0): 0, whatever its score (ink is
    measured against the local paper, so a dark region's noise can pass for an outline or a mark). A box
    read as surely marked or filled in whose ink spills over the paper band the search compares with (a
    solid fill, a large cross) counts as seen (1) when its outline runs unbroken around it
    (:func:`outline_continuity` at least OWN_RIM_MIN_SHARE): a mark adds ink, never removes the print,
    while letters of a stamp over a hidden box, or a cover's edge, ink only parts of the rim.

    Args:
        reads: the page's box reads (state, position on the aligned page, mm).
        outline: (len(reads),) outline scores, share of the page's black.
        paper: (len(reads),) the paper level (grey) around each box (its search window's), 0 off the page.
        ink: the aligned page's ink.

    Returns:
        (len(reads),) float array.
    """
    outline = np.asarray(outline, dtype=float)
    if outline.size == 0:
        return outline
    typical = max(float(np.median(outline)), T.OWN_MIN_OUTLINE_SCORE)
    evidence = np.where(outline < T.OWN_MIN_OUTLINE_SCORE, 0.0, outline / typical)
    paper = np.asarray(paper, dtype=float)
    off_paper = paper < T.OWN_MIN_PAPER_SHARE * float(np.median(paper))
    for i in np.flatnonzero((evidence < T.OWN_MIN_OUTLINE_SHARE) & ~off_paper):
        read = reads[i]
        if read.state in (MARKED, CANCELLED) and outline_continuity(
                ink, read.x, read.y, read.w, read.h) >= T.OWN_RIM_MIN_SHARE:
            evidence[i] = 1.0
    evidence[off_paper] = 0.0
    return evidence


def outline_continuity(ink: PageInk, x: float, y: float, w: float, h: float) -> float:
    """Share of a square box's outline along which the page holds ink (0..1): the printed outline runs
    all around a box, a cross or a fill only adds to it.

    Along each side, every position (canonical px) counts as inked when the darkest pixel of the band
    ``PRINTED_RIM_BAND_MM`` either side of the side's line reaches INK_THRESHOLD.

    Args:
        ink: the aligned page's ink.
        x, y, w, h: the box as read, mm on the aligned page.

    Returns:
        The inked share of the four sides' positions, the sides' least (a cover hides one side); 0 off the page.
    """
    band = T.PRINTED_RIM_BAND_MM
    x0, y0 = int(np.floor((x - band) * K)), int(np.floor((y - band) * K))
    x1, y1 = int(np.ceil((x + w + band) * K)), int(np.ceil((y + h + band) * K))
    region = ink.region(x0, y0, x1, y1)
    if region.size == 0 or region.shape != (y1 - y0, x1 - x0):
        return 0.0
    reach = max(1, int(round(2 * band * K)))  # the band's width, px
    inked = region >= T.INK_THRESHOLD
    # Along each side only its own length, the band's width in from both ends (past the corner, the
    # band holds no outline; at the corner, the other side's).
    along_x, along_y = slice(reach, inked.shape[1] - reach), slice(reach, inked.shape[0] - reach)
    sides = (inked[:reach, along_x].any(axis=0), inked[-reach:, along_x].any(axis=0),  # top, bottom: per column
             inked[along_y, :reach].any(axis=1), inked[along_y, -reach:].any(axis=1))  # left, right: per row
    if min(side.size for side in sides) == 0:
        return 0.0
    return float(min(side.mean() for side in sides))


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


def _largest_new_stroke(page_ink_: np.ndarray, reference: np.ndarray, scale: float, window: tuple,
                        boxes: np.ndarray, paper: float) -> float:
    """Area (mm²) of the largest stroke of ``page_ink_`` (a window of the aligned page at K px/mm) that
    is neither the blank's print (``reference``, whose paper is ``paper``, dilated by
    ``UNEXPLAINED_PRINT_SLACK_MM`` for the registration's error and a copier's thicker print) nor near
    a box."""
    import cv2  # lazy: as elsewhere in omr.scan, only where used

    px0, py0, px1, py1 = window
    rx0, ry0 = int(px0 / K * scale), int(py0 / K * scale)
    rx1, ry1 = int(np.ceil(px1 / K * scale)), int(np.ceil(py1 / K * scale))
    crop = reference[max(0, ry0):ry1, max(0, rx0):rx1]
    if crop.size == 0 or crop.shape != (ry1 - ry0, rx1 - rx0):
        return 0.0
    printed = cv2.resize(crop, (px1 - px0, py1 - py0), interpolation=cv2.INTER_LINEAR)
    printed = (printed.astype(np.float32) < paper - T.UNEXPLAINED_PRINT_CONTRAST).astype(np.uint8)
    slack = max(1, int(round(T.UNEXPLAINED_PRINT_SLACK_MM * K)))
    printed = cv2.dilate(printed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * slack + 1, 2 * slack + 1)))
    new = ((page_ink_ >= T.UNEXPLAINED_INK) & (printed == 0) & (boxes == 0)).astype(np.uint8)
    # Slivers of print left by the registration's error are thinner than a pen's line: opened away.
    width = max(2, int(round(T.UNEXPLAINED_MIN_LINE_MM * K)))
    new = cv2.morphologyEx(new, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (width, width)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(new, connectivity=8)
    if count <= 1:
        return 0.0
    return float(stats[1:, cv2.CC_STAT_AREA].max()) / (K * K)
