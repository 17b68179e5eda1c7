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

The other silent error of the same kind is a mark that no box of the template holds: ink near a
question's boxes that the blank's print does not explain either. On a form designed elsewhere it
is a box the template missed (:func:`unexplained_marks`); on omr's own forms, whose print is known
from the layout, a circle around a box, a tick beside it, a cross above it
(:func:`marks_beside_boxes`). Both are one search (:func:`_unexplained`).
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from omr import tuning as T
from omr.model import CANCELLED, EMPTY, MARKED, UNCERTAIN, BoxRead
from omr.scan.align import K, PageInk
from omr.scan.components import components_with_stats


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
    while letters of a stamp over a hidden box, or a cover's edge, ink only parts of the rim. So does an
    empty box (branch hblank2): a respondent's circle drawn 1-2 mm around it inks the paper band the search
    compares with, and the box was said to be covered («ô bị che hoặc mất nét in») while its print was there;
    a sticky note, a tear, a fold or glare break or lighten its outline, which then does not run unbroken.

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
        if read.state in (MARKED, CANCELLED, EMPTY) and outline_continuity(
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
    ``UNEXPLAINED_MIN_MM2`` is a mark the template cannot explain. (:func:`marks_beside_boxes` is the
    same search on omr's own forms.)

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
    paper = float(np.percentile(reference[::4, ::4], 90))  # the blank's paper, once per page

    def window(members: list[BoxRead]) -> tuple[float, float, float, float]:
        size = max(max(r.w, r.h) for r in members)
        return (min(r.x for r in members) - T.UNEXPLAINED_BAND_MM, min(r.y for r in members) - 0.3 * size,
                max(r.x + r.w for r in members) + T.UNEXPLAINED_BAND_MM,
                max(r.y + r.h for r in members) + 0.3 * size)

    def printed_at(question: str, px0: int, py0: int, px1: int, py1: int) -> np.ndarray | None:
        return _scanned_print(reference, scale, (px0, py0, px1, py1), paper)

    return _unexplained(reads, ink, questions, window, printed_at, reads, T.UNEXPLAINED_INK, T.UNEXPLAINED_MIN_MM2)


def marks_beside_boxes(reads: list[BoxRead], ink: PageInk, printed: np.ndarray, questions: set[str],
                       shifts: dict[str, tuple[float, float]] | None = None,
                       excusing: set[str] = frozenset()) -> dict[str, float]:
    """Questions of omr's own form with a pen mark beside their boxes that no box explains.

    A respondent who circles a box (clear of it, or touching only its corners), ticks beside it or
    crosses just above or below it leaves every box empty: read alone, the question is blank with
    full confidence, the answer meant lost without anyone seeing it. The search of
    :func:`unexplained_marks`, on omr's own print, nearer and more sensitive: within
    ``OWN_MARK_NEAR_MM`` of the question's boxes (all sides) the page's ink of at least
    ``OWN_MARK_INK`` that is not the form's print (``printed``) and not within
    ``UNEXPLAINED_BOX_MARGIN_MM`` of a box *holding ink* (an empty box explains nothing around
    it: a circle around it is exactly what is looked for) forms a stroke of at least
    ``OWN_MARK_MIN_MM2``.

    Args:
        reads: the page's box reads (question, state, and position on the aligned page, mm).
        ink: the aligned page's ink (only the questions' windows are looked at).
        printed: :func:`omr.scan.form_print.printed_mask` of the page (uint8 0/1 at K px/mm of the
            layout).
        questions: the questions searched (the caller's: read blank, or on one weak mark).
        shifts: question -> (dx, dy) mm, how far the page's boxes of that question were found from
            their layout places (the print around them moved with them); None: no shift.
        excusing: questions whose boxes, empty or not, explain the ink around them as a box holding ink
            does (a mark already found beside them: its ink near the next row is not that row's).

    Returns:
        Question id -> area (mm²) of its largest unexplained mark, for the questions that have one.
    """
    near = T.OWN_MARK_NEAR_MM
    shifts = shifts or {}

    def window(members: list[BoxRead]) -> tuple[float, float, float, float]:
        return (min(r.x for r in members) - near, min(r.y for r in members) - near,
                max(r.x + r.w for r in members) + near, max(r.y + r.h for r in members) + near)

    def printed_at(question: str, px0: int, py0: int, px1: int, py1: int) -> np.ndarray | None:
        dx, dy = shifts.get(question, (0.0, 0.0))
        sx, sy = int(round(dx * K)), int(round(dy * K))
        out = np.ones((py1 - py0, px1 - px0), np.uint8)  # beyond the print's page: nothing is looked at
        h, w = printed.shape
        x0, y0, x1, y1 = max(px0 - sx, 0), max(py0 - sy, 0), min(px1 - sx, w), min(py1 - sy, h)
        if x1 > x0 and y1 > y0:
            out[y0 + sy - py0:y1 + sy - py0, x0 + sx - px0:x1 + sx - px0] = printed[y0:y1, x0:x1]
        return out

    inked = [r for r in reads if r.state != EMPTY]
    explaining = inked + [r for r in reads if r.state == EMPTY and r.question in excusing]
    found = _unexplained(reads, ink, questions, window, printed_at, explaining, T.OWN_MARK_INK, T.OWN_MARK_MIN_MM2)
    for question in sorted(questions - set(found)):
        area = max(_stroke_into_own_box(reads, ink, question, inked, printed_at),
                   _mark_mostly_outside(reads, ink, question, printed_at))
        if area > 0:
            found[question] = area
    return found


def circled_boxes(reads: list[BoxRead], ink: PageInk, printed: np.ndarray, question: str,
                  shift: tuple[float, float] = (0.0, 0.0)) -> list[str]:
    """The options of ``question`` whose empty box a pen line rings: ink that is not the form's print on
    every side of the box, beyond OWN_CIRCLE_CLEAR_MM of its outline and within OWN_MARK_NEAR_MM (a circle
    drawn around the box meant, 0.5-2 mm clear of it; branch hblank2). The caller names them in the page's
    detail: the question goes to review saying the box is circled.

    Args:
        reads: the page's box reads (question, state, option, position on the aligned page, mm).
        ink: the aligned page's ink.
        printed: :func:`omr.scan.form_print.printed_mask` of the page (uint8 0/1 at K px/mm).
        question: the question looked at.
        shift: (dx, dy) mm, how far the question's boxes were found from their layout places.

    Returns:
        The ringed boxes' options, in the order of ``reads``.
    """
    near, clear = T.OWN_MARK_NEAR_MM, T.OWN_CIRCLE_CLEAR_MM
    sx, sy = int(round(shift[0] * K)), int(round(shift[1] * K))
    page_h, page_w = ink.shape
    out = []
    for b in reads:
        if b.question != question or b.state != EMPTY:
            continue
        px0, py0 = int((b.x - near) * K), int((b.y - near) * K)
        px1, py1 = int(np.ceil((b.x + b.w + near) * K)), int(np.ceil((b.y + b.h + near) * K))
        if px0 < 0 or py0 < 0 or px1 > page_w or py1 > page_h:
            continue
        grown = _shifted(printed, px0 - sx, py0 - sy, px1 - sx, py1 - sy, 1)
        inside = np.zeros_like(grown)
        c0 = int((near - clear) * K)  # the window's px from its edge to the box grown by ``clear``
        inside[c0:inside.shape[0] - c0, c0:inside.shape[1] - c0] = 1  # the box, its outline and a pen's width
        new = _new_strokes(ink.region(px0, py0, px1, py1), grown, inside, T.OWN_MARK_INK)
        y_in0, y_in1 = int(near * K), new.shape[0] - int(near * K)
        x_in0, x_in1 = int(near * K), new.shape[1] - int(near * K)
        sides = (new[:c0, x_in0:x_in1], new[new.shape[0] - c0:, x_in0:x_in1],
                 new[y_in0:y_in1, :c0], new[y_in0:y_in1, new.shape[1] - c0:])
        if all(side.any() for side in sides):
            out.append(b.option)
    return out


def circled_labels(reads: list[BoxRead], ink: PageInk, printed: np.ndarray,
                   labels: dict[tuple[str, str], tuple[float, float, float, float]], questions: set[str],
                   shifts: dict[str, tuple[float, float]] | None = None) -> dict[str, list[str]]:
    """Per question of ``questions`` (the caller's: read ok), the options whose box is empty while a pen line
    rings their printed label: ink that is not the form's print above, below, left and right of the label's
    core (its middle OWN_LABEL_CORE_MM up and down; left and right reaching OWN_LABEL_INSET_MM into the
    word), within OWN_LABEL_RING_MM of it, away from every box
    holding ink (UNEXPLAINED_BOX_MARGIN_MM). A respondent who crossed one box and circled another option's
    word gave two answers: which one counts is for a person (bench/hunt/habits3.py mark_circle: stored ok on
    the crossed box).

    Args:
        reads: the page's box reads (question, option, state, position on the aligned page, mm).
        ink: the aligned page's ink.
        printed: :func:`omr.scan.form_print.printed_mask` of the page (uint8 0/1 at K px/mm of the layout).
        labels: :func:`omr.scan.form_print.option_labels` of the page, (question, option) -> rectangle, mm
            on the layout.
        questions: the questions searched.
        shifts: question -> (dx, dy) mm, how far its boxes were found from their layout places.

    Returns:
        Question id -> the ringed labels' options (in the order of ``reads``), for the questions with one.
    """
    ring, core = T.OWN_LABEL_RING_MM, T.OWN_LABEL_CORE_MM
    shifts = shifts or {}
    page_h, page_w = ink.shape
    inked = [r for r in reads if r.state != EMPTY]
    out: dict[str, list[str]] = {}
    for b in reads:
        rect = labels.get((b.question, b.option))
        if b.question not in questions or b.state != EMPTY or rect is None:
            continue
        dx, dy = shifts.get(b.question, (0.0, 0.0))
        x0, x1 = rect[0] + dx, rect[2] + dx
        cy = (rect[1] + rect[3]) / 2 + dy
        y0, y1 = cy - core, cy + core
        px0, py0 = int((x0 - ring) * K), int((y0 - ring) * K)
        px1, py1 = int(np.ceil((x1 + ring) * K)), int(np.ceil((y1 + ring) * K))
        if px0 < 0 or py0 < 0 or px1 > page_w or py1 > page_h:
            continue
        sx, sy = int(round(dx * K)), int(round(dy * K))
        grown = _shifted(printed, px0 - sx, py0 - sy, px1 - sx, py1 - sy, 1)
        new = _new_strokes(ink.region(px0, py0, px1, py1), grown, _around_boxes(inked, px0, py0, grown.shape),
                           T.OWN_MARK_INK)
        r = int(ring * K)
        h, w = new.shape
        inset = int(min(T.OWN_LABEL_INSET_MM, (x1 - x0) / 4) * K)  # a tight ring crosses the word's first letter
        sides = (new[:r, r:w - r], new[h - r:, r:w - r], new[r:h - r, :r + inset], new[r:h - r, w - r - inset:])
        if all(side.any() for side in sides) and np.count_nonzero(new) / (K * K) >= T.OWN_MARK_MIN_MM2:
            out.setdefault(b.question, []).append(b.option)
    return out


def arrows_from_above(reads: list[BoxRead], ink: PageInk, printed: np.ndarray, questions: set[str],
                      shifts: dict[str, tuple[float, float]] | None = None) -> dict[str, float]:
    """Questions (of ``questions``: the caller's, read blank) with a pen stroke coming down at one of their
    boxes from above: at least OWN_ARROW_MIN_MM long, within OWN_ARROW_STEEP_DEG of the vertical, its lower
    end within OWN_ARROW_REACH_MM of the box and aimed at it (within OWN_ARROW_AIM_DEG). An arrow drawn down
    to the answer meant stops 3-5 mm short of the box, its head on the row above's print (a word, the scale
    grid's column header), where it is masked (bench/hunt/habits3.py arrow_short: stored blank ok); the
    search for marks beside boxes looks 3 mm around the box only. A note's underline is level.

    Args:
        reads: the page's box reads (question, state, position on the aligned page, mm).
        ink: the aligned page's ink.
        printed: :func:`omr.scan.form_print.printed_mask` of the page (uint8 0/1 at K px/mm of the layout).
        questions: the questions searched.
        shifts: question -> (dx, dy) mm, how far its boxes were found from their layout places.

    Returns:
        Question id -> the stroke's length (mm), for the questions with one.
    """
    reach, window_mm = T.OWN_ARROW_REACH_MM, T.OWN_ARROW_WINDOW_MM
    aim, steep = np.cos(np.deg2rad(T.OWN_ARROW_AIM_DEG)), np.cos(np.deg2rad(T.OWN_ARROW_STEEP_DEG))
    shifts = shifts or {}
    page_h, page_w = ink.shape
    inked = [r for r in reads if r.state != EMPTY]
    rows: dict[str, list[BoxRead]] = {}
    for r in reads:
        if r.question in questions:
            rows.setdefault(r.question, []).append(r)
    out: dict[str, float] = {}
    for question, members in rows.items():
        px0 = max(0, int((min(r.x for r in members) - reach) * K))
        py0 = max(0, int((min(r.y for r in members) - window_mm) * K))
        px1 = min(page_w, int(np.ceil((max(r.x + r.w for r in members) + reach) * K)))
        py1 = min(page_h, int(np.ceil(min(r.y for r in members) * K)))
        if px1 - px0 < 2 or py1 - py0 < 2:
            continue
        dx, dy = shifts.get(question, (0.0, 0.0))
        sx, sy = int(round(dx * K)), int(round(dy * K))
        grown = _shifted(printed, px0 - sx, py0 - sy, px1 - sx, py1 - sy, 1)
        new = _new_strokes(ink.region(px0, py0, px1, py1), grown, _around_boxes(inked, px0, py0, grown.shape),
                           T.OWN_MARK_INK)
        if cv2.countNonZero(new) < T.OWN_MARK_MIN_MM2 * K * K:
            continue
        count, labels, stats, _ = components_with_stats(new)
        boxes = np.array([(r.x, r.y, r.x + r.w, r.y + r.h) for r in members])
        for i in range(1, count):
            if stats[i, cv2.CC_STAT_AREA] < T.OWN_MARK_MIN_MM2 * K * K or \
                    stats[i, cv2.CC_STAT_HEIGHT] < T.OWN_ARROW_MIN_MM * steep * K:
                continue
            ys, xs = np.nonzero(labels == i)
            pts = np.stack([(xs + px0 + 0.5) / K, (ys + py0 + 0.5) / K], 1)
            mean = pts.mean(axis=0)
            _, vectors = np.linalg.eigh(np.cov((pts - mean).T))
            u = vectors[:, 1] if vectors[1, 1] > 0 else -vectors[:, 1]  # the axis, pointing down
            t = (pts - mean) @ u
            if u[1] < steep or np.ptp(t) < T.OWN_ARROW_MIN_MM:
                continue
            tip = pts[t >= t.max() - T.OWN_ARROW_TIP_MM].mean(axis=0)
            nearest = np.clip(tip, boxes[:, :2], boxes[:, 2:])  # each box's point nearest the tip
            gaps = np.hypot(*(nearest - tip).T)
            k = int(np.argmin(gaps))
            if gaps[k] > reach or gaps[k] <= 0 or float((nearest[k] - tip) @ u) < aim * gaps[k]:
                continue
            out[question] = max(out.get(question, 0.0), round(float(np.ptp(t)), 2))
    return out


def _around_boxes(boxes: list[BoxRead], px0: int, py0: int, shape: tuple[int, int]) -> np.ndarray:
    """uint8 0/1 mask of a window (its top-left px ``px0``, ``py0`` on the aligned page, ``shape``) set within
    UNEXPLAINED_BOX_MARGIN_MM of each of ``boxes`` (boxes holding ink: they explain the ink around them)."""
    pad = T.UNEXPLAINED_BOX_MARGIN_MM
    out = np.zeros(shape, np.uint8)
    for n in boxes:
        ex0, ey0 = max(0, int((n.x - pad) * K) - px0), max(0, int((n.y - pad) * K) - py0)
        ex1, ey1 = int(np.ceil((n.x + n.w + pad) * K)) - px0, int(np.ceil((n.y + n.h + pad) * K)) - py0
        if ex1 > 0 and ey1 > 0 and ex0 < shape[1] and ey0 < shape[0]:
            out[ey0:max(ey0, ey1), ex0:max(ex0, ex1)] = 1
    return out


def _mark_mostly_outside(reads: list[BoxRead], ink: PageInk, question: str, printed_at) -> float:
    """Area (mm²) of the ink outside the one inked box of ``question`` within UNEXPLAINED_BOX_MARGIN_MM
    of it, when that is more than OWN_OUTSIDE_SHARE of the ink inside it and at least OWN_MARK_MIN_MM2
    (0.0: not so, or the question has no single inked box).

    An "x" written after the label «1 lần» touches the next option's box, 4.5 mm on: its corner in that
    box reads a weak mark, and the rest of it, within the margin of that box, was taken for the mark's
    own arms (branch hout: bench/hunt/respond.py x_label, '2' stored ok for '1'). A mark that lies mostly
    outside its box is not the box's. ``printed_at`` as for :func:`_stroke_into_own_box`."""
    members = [r for r in reads if r.question == question and r.state != EMPTY]
    if len(members) != 1:
        return 0.0
    b = members[0]
    pad = T.UNEXPLAINED_BOX_MARGIN_MM
    page_h, page_w = ink.shape
    px0, py0 = max(0, int((b.x - pad) * K)), max(0, int((b.y - pad) * K))
    px1, py1 = min(page_w, int(np.ceil((b.x + b.w + pad) * K))), min(page_h, int(np.ceil((b.y + b.h + pad) * K)))
    if px1 - px0 < 2 or py1 - py0 < 2:
        return 0.0
    printed = printed_at(question, px0, py0, px1, py1)
    new = _new_strokes(ink.region(px0, py0, px1, py1), printed, np.zeros_like(printed), T.OWN_MARK_INK)
    inside = np.zeros_like(new)
    inside[int(b.y * K) - py0:int((b.y + b.h) * K) - py0, int(b.x * K) - px0:int((b.x + b.w) * K) - px0] = 1
    within = float(np.count_nonzero(new & inside)) / (K * K)
    beyond = float(np.count_nonzero(new & (1 - inside))) / (K * K)
    if beyond >= T.OWN_MARK_MIN_MM2 and beyond > T.OWN_OUTSIDE_SHARE * within:
        return round(beyond, 2)
    return 0.0


def _stroke_into_own_box(reads: list[BoxRead], ink: PageInk, question: str, inked: list[BoxRead],
                         printed_at) -> float:
    """Area (mm²) of the ink crossing an empty box's outline of ``question`` from a gap that another
    question's inked box explains (0.0: none).

    On scale rows the next row's box lies 1.5 mm above and below (UNEXPLAINED_BOX_MARGIN_MM): a cross or
    tick drawn mostly outside its box, above or below it, reaches into that box, and its ink in the gap,
    within the margin of an inked box, is taken as that box's own (branch hout: bench/hunt/strokes.py
    outside, 11 SILENT). A neighbour's mark running out of its box stops in the gap; this one crosses the
    question's outline: per side of an empty box of ``question`` facing another question's inked box
    within the margin and OWN_CROSSING_BAND_MM (boxes are found a little apart), the columns (rows, for
    left and right) holding ink that is not print within OWN_CROSSING_BAND_MM on both sides of the
    outline, at OWN_MARK_INK; at least OWN_CROSSING_MIN_MM
    of them is a stroke into the box; so are as many columns with ink in the gap within OWN_TOUCH_MM of
    the outline (a mark drawn in the gap, touching the box: which box it belongs to is for a person).
    ``printed_at(question, px0, py0, px1, py1)`` is the grown print
    of a window (uint8 0/1, :func:`marks_beside_boxes`)."""
    band = T.OWN_CROSSING_BAND_MM
    reach = T.UNEXPLAINED_BOX_MARGIN_MM + band  # the neighbour's margin, and boxes found a little further apart
    page_h, page_w = ink.shape
    others = [n for n in inked if n.question != question]
    best = 0.0
    for b in reads:
        if b.question != question or b.state != EMPTY:
            continue
        for n in others:
            overlap_x = min(b.x + b.w, n.x + n.w) - max(b.x, n.x)
            overlap_y = min(b.y + b.h, n.y + n.h) - max(b.y, n.y)
            if overlap_x > 0 and 0 <= b.y - (n.y + n.h) <= reach:  # n above b
                across, before, edge, lo, hi = False, True, b.y, max(b.x, n.x), min(b.x + b.w, n.x + n.w)
            elif overlap_x > 0 and 0 <= n.y - (b.y + b.h) <= reach:  # n below b
                across, before, edge, lo, hi = False, False, b.y + b.h, max(b.x, n.x), min(b.x + b.w, n.x + n.w)
            elif overlap_y > 0 and 0 <= b.x - (n.x + n.w) <= reach:  # n left of b
                across, before, edge, lo, hi = True, True, b.x, max(b.y, n.y), min(b.y + b.h, n.y + n.h)
            elif overlap_y > 0 and 0 <= n.x - (b.x + b.w) <= reach:  # n right of b
                across, before, edge, lo, hi = True, False, b.x + b.w, max(b.y, n.y), min(b.y + b.h, n.y + n.h)
            else:
                continue
            e0, e1 = int((edge - band) * K), int(np.ceil((edge + band) * K))
            l0, l1 = int(lo * K), int(np.ceil(hi * K))
            px0, py0, px1, py1 = (e0, l0, e1, l1) if across else (l0, e0, l1, e1)
            px0, py0, px1, py1 = max(px0, 0), max(py0, 0), min(px1, page_w), min(py1, page_h)
            if px1 - px0 < 2 or py1 - py0 < 2:
                continue
            printed = printed_at(question, px0, py0, px1, py1)
            new = _new_strokes(ink.region(px0, py0, px1, py1), printed, np.zeros_like(printed), T.OWN_MARK_INK)
            if across:
                new = new.T  # the outline across: rows, as for top and bottom
            mid = int(round(edge * K)) - (px0 if across else py0)
            if mid <= 0 or mid >= new.shape[0]:
                continue
            # The two bands' columns with ink, one px either way (a slanted stroke shifts across the outline).
            sides = [cv2.dilate(part.any(axis=0).astype(np.uint8)[None, :], np.ones((1, 3), np.uint8))[0]
                     for part in (new[:mid], new[mid:])]
            crossing = int(np.count_nonzero(sides[0] & sides[1]))
            # A mark lying in the gap up to the outline, none of it inside: the rows of the gap nearest
            # the outline (OWN_TOUCH_MM) hold it, and a neighbour's mark running out of its box stops short.
            touch = max(1, int(round(T.OWN_TOUCH_MM * K)))
            outside = new[max(0, mid - touch):mid] if before else new[mid:mid + touch]
            touching = int(np.count_nonzero(outside.any(axis=0)))
            if max(crossing, touching) >= T.OWN_CROSSING_MIN_MM * K:
                best = max(best, round(float(np.count_nonzero(new)) / (K * K), 2))
    return best


def writing_in_areas(reads: list[BoxRead], ink: PageInk, printed: np.ndarray, core: np.ndarray,
                     areas: dict[str, tuple[float, float, float, float]], questions: set[str],
                     shifts: dict[str, tuple[float, float]] | None = None,
                     frames: list[tuple[float, float, float, float]] = (),
                     print_placed_exactly: bool = True) -> dict[str, float]:
    """Questions of omr's own form with handwriting in their own area but outside their boxes (branch hdate).

    A respondent who writes the date in figures after the grid, a digit under it, or a word beside a
    choice question's boxes leaves every box empty: read alone, the question is blank with full
    confidence. Within each question's area (``areas``, :func:`omr.scan.form_print.question_areas`,
    moved by the question's ``shifts``) the page's ink of at least OWN_WRITING_INK that is not the form's
    print and not within UNEXPLAINED_BOX_MARGIN_MM of a box holding ink (its own mark's arms) nor within
    STRAY_FRAME_MARGIN_MM of a comment frame is kept; strokes of at least OWN_WRITING_MIN_STROKE_MM2 are
    summed, and a sum of at least OWN_WRITING_MIN_MM2 is writing. The print is subtracted as
    :func:`marks_beside_boxes` subtracts it (``printed``, grown by OWN_PRINT_SLACK_MM, by
    :func:`_new_strokes`) at the question's shift; when that leaves writing, the print is registered again
    per tile of OWN_TILE_MM along the area (within +-OWN_TILE_SEARCH_MM of the question's shift, the
    offset putting most of the tile's ink profile, across and down, under that of ``core``, the print not
    grown) and the search made again: a label a harsh scan moved off its boxes leaves no sliver.

    Args:
        reads: the page's box reads (question, state, and position on the aligned page, mm).
        ink: the aligned page's ink.
        printed: :func:`omr.scan.form_print.printed_mask` of the page (uint8 0/1 at K px/mm of the layout).
        core: :func:`omr.scan.form_print.print_core` of the page (same shape).
        areas: question -> (x0, y0, x1, y1) mm on the layout.
        questions: the questions searched (the caller's: read blank).
        shifts: question -> (dx, dy) mm, how far its boxes were found from their layout places.
        frames: the page's comment frames, (x, y, w, h) mm: writing in them is a comment's.
        print_placed_exactly: False on a page registered on its print alone (an enlarged copy without
            corner marks): the print is placed less exactly, so its slivers are not told from writing
            (:func:`_stroke_total`) and a question with any left goes to review.

    Returns:
        Question id -> total area (mm²) of its strokes, for the questions with writing in their area.
    """
    shifts = shifts or {}
    page_h, page_w = ink.shape
    pad = T.UNEXPLAINED_BOX_MARGIN_MM
    reach = max(1, int(round(T.OWN_TILE_SEARCH_MM * K)))
    tile_px = max(8, int(round(T.OWN_TILE_MM * K)))
    min_stroke = T.OWN_WRITING_MIN_STROKE_MM2 * K * K
    inked = [(r.x - pad, r.y - pad, r.x + r.w + pad, r.y + r.h + pad) for r in reads if r.state != EMPTY]
    m = T.STRAY_FRAME_MARGIN_MM
    covered = inked + [(x - m, y - m, x + w + m, y + h + m) for x, y, w, h in frames]
    found: dict[str, float] = {}
    for question in sorted(questions):
        if question not in areas:
            continue
        dx, dy = shifts.get(question, (0.0, 0.0))
        x0, y0, x1, y1 = areas[question]
        px0, py0 = max(0, int((x0 + dx) * K)), max(0, int((y0 + dy) * K))
        px1, py1 = min(page_w, int((x1 + dx) * K)), min(page_h, int((y1 + dy) * K))
        if px1 <= px0 or py1 <= py0:
            continue
        window = ink.region(px0, py0, px1, py1)
        excluded = _rects_mask(window.shape, covered, px0, py0)
        sx, sy = int(round(dx * K)), int(round(dy * K))
        # First with the print where the question's boxes put it: writing, or print misregistered
        # locally, leaves strokes; only then is the print registered per tile and the search made again
        # (most questions have nothing left at the first: the check costs one pass).
        grown = _shifted(printed, px0 - sx, py0 - sy, px1 - sx, py1 - sy, 1)
        if _stroke_total(_new_strokes(window, grown, excluded, T.OWN_WRITING_INK), min_stroke,
                         T.OWN_WRITING_MIN_MM2, grown if print_placed_exactly else None) < T.OWN_WRITING_MIN_MM2:
            continue
        for tx in range(px0, px1, tile_px):
            tx1 = min(px1, tx + tile_px)
            part = window[:, tx - px0:tx1 - px0]
            # The print around the tile (+-reach px beyond it) at the question's shift, registered to the
            # page's ink by its profiles across and down the tile: the offset (ox, oy) putting most of
            # the ink's profile under the print's, the nearest to none among equals.
            around = _shifted(core, tx - sx - reach, py0 - sy - reach, tx1 - sx + reach, py1 - sy + reach, 0)
            ox = _best_offset(part.sum(axis=0), around[reach:reach + part.shape[0]].sum(axis=0), reach)
            oy = _best_offset(part.sum(axis=1), around[:, reach:reach + part.shape[1]].sum(axis=1), reach)
            grown[:, tx - px0:tx1 - px0] = _shifted(printed, tx - sx - ox, py0 - sy - oy, tx1 - sx - ox,
                                                    py1 - sy - oy, 1)
        total = _stroke_total(_new_strokes(window, grown, excluded, T.OWN_WRITING_INK), min_stroke,
                              T.OWN_WRITING_MIN_MM2, grown if print_placed_exactly else None)
        if total >= T.OWN_WRITING_MIN_MM2:
            found[question] = round(total, 2)
    return found


def marks_running_out(reads: list[BoxRead], ink: PageInk, printed: np.ndarray, questions: set[str],
                      shifts: dict[str, tuple[float, float]] | None = None,
                      frames: list[tuple[float, float, float, float]] = ()) -> dict[str, float]:
    """Questions of omr's own form whose marked box holds a pen stroke that runs on far outside it
    (branch hhunt3: a signature or initials scrawled across a row of boxes).

    A cross or a tick pokes 1-2 mm out of its box, a mark drawn half outside it up to ~4 mm; a
    signature's loop that passes through a box goes on for a centimetre or more and, alone in its
    question, was stored as a confident answer to a question left blank (bench/hunt/habits2.py
    ``signature``). Around each MARKED box of ``questions`` (OWN_RUN_OUT_REACH_MM on every side, the print
    moved by the question's ``shifts``) the page's ink of at least OWN_RUN_OUT_INK that is not the form's
    print, not within UNEXPLAINED_BOX_MARGIN_MM of another box holding ink and not within
    STRAY_FRAME_MARGIN_MM of a comment frame is kept (:func:`_new_strokes`); the strokes joined to the box's
    inside (gaps up to OWN_RUN_OUT_BRIDGE_MM bridged: the printed outline cut out of the mask) are
    followed, and their farthest pixel from the box's outline measured.

    Args:
        reads: the page's box reads (question, state, and position on the aligned page, mm).
        ink: the aligned page's ink.
        printed: :func:`omr.scan.form_print.printed_mask` of the page (uint8 0/1 at K px/mm of the layout).
        questions: the questions searched (the caller's: read ok on one marked box).
        shifts: question -> (dx, dy) mm, how far its boxes were found from their layout places.
        frames: the page's comment frames, (x, y, w, h) mm.

    Returns:
        Question id -> the farthest reach (mm beyond the box's outline), for the questions whose marked
        box's strokes reach OWN_RUN_OUT_MM or more.
    """
    shifts = shifts or {}
    page_h, page_w = ink.shape
    pad, reach = T.UNEXPLAINED_BOX_MARGIN_MM, T.OWN_RUN_OUT_REACH_MM
    m = T.STRAY_FRAME_MARGIN_MM
    frame_boxes = [(x - m, y - m, x + w + m, y + h + m) for x, y, w, h in frames]
    bridge = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (max(3, int(round(T.OWN_RUN_OUT_BRIDGE_MM * K))),) * 2)
    axis_reach = T.OWN_RUN_OUT_MM * K / np.sqrt(2) * (1 - 1e-9)  # px; below it on both axes, under the reach
    # The rectangles kept clear around the boxes holding ink: built once, each marked box's own left out below.
    inked = [(o, (o.x - pad, o.y - pad, o.x + o.w + pad, o.y + o.h + pad)) for o in reads if o.state != EMPTY]
    found: dict[str, float] = {}
    for r in reads:
        if r.question not in questions or r.state != MARKED:
            continue
        dx, dy = shifts.get(r.question, (0.0, 0.0))
        px0, py0 = max(0, int((r.x - reach) * K)), max(0, int((r.y - reach) * K))
        px1, py1 = min(page_w, int((r.x + r.w + reach) * K)), min(page_h, int((r.y + r.h + reach) * K))
        if px1 <= px0 or py1 <= py0:
            continue
        others = [rect for o, rect in inked if o is not r]
        excluded = _rects_mask((py1 - py0, px1 - px0), others + frame_boxes, px0, py0)
        sx, sy = int(round(dx * K)), int(round(dy * K))
        grown = _shifted(printed, px0 - sx, py0 - sy, px1 - sx, py1 - sy, 1)
        bx0, by0 = r.x * K - px0, r.y * K - py0
        bx1, by1 = bx0 + r.w * K, by0 + r.h * K

        def farthest(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            ys, xs = np.nonzero(mask)
            return ys, xs, np.hypot(np.maximum(np.maximum(bx0 - xs, xs - bx1), 0),
                                    np.maximum(np.maximum(by0 - ys, ys - by1), 0))

        # The strokes kept below lie within those of the pixels that may hold ink at all (PageInk.may_be_ink;
        # an opening keeps a subset's within the set's): none of those that far, none of the strokes either,
        # and the window's ink is not computed (most marks). A pixel OWN_RUN_OUT_MM from the outline is
        # that far divided by sqrt 2 beyond it on one axis at least: within that of the box all round, the
        # bounding rectangle of those pixels says none is.
        maybe = (ink.may_be_ink(px0, py0, px1, py1, T.OWN_RUN_OUT_INK) & (grown == 0) & (excluded == 0)).view(np.uint8)
        # The opened set lies within the set grown by _OPEN_SLACK px: when that stays within reach, so does
        # the opened set, and the opening is not made (most marks, issue #18).
        if _all_near(cv2.boundingRect(maybe), bx0, by0, bx1, by1, axis_reach, _OPEN_SLACK):
            continue
        maybe = _opened(maybe)
        if _all_near(cv2.boundingRect(maybe), bx0, by0, bx1, by1, axis_reach):
            continue
        _, _, reach_of = farthest(maybe)
        if reach_of.max() < T.OWN_RUN_OUT_MM * K:
            continue
        new = _new_strokes(ink.region(px0, py0, px1, py1), grown, excluded, T.OWN_RUN_OUT_INK)
        ys, xs, outside = farthest(new)
        if xs.size == 0 or outside.max() < T.OWN_RUN_OUT_MM * K:
            continue  # nothing reaches that far: the mark's own arms at most
        _, labels = cv2.connectedComponents(cv2.dilate(new, bridge), connectivity=8)
        inner = labels[int(by0) + 1:int(by1), int(bx0) + 1:int(bx1)]
        joined = np.unique(inner[inner > 0])
        if joined.size == 0:
            continue
        far = float(outside[np.isin(labels[ys, xs], joined)].max(initial=0.0)) / K
        if far >= T.OWN_RUN_OUT_MM:
            found[r.question] = max(far, found.get(r.question, 0.0))
    return found


def _all_near(rect: tuple[int, int, int, int], bx0: float, by0: float, bx1: float, by1: float, reach: float,
              slack: int = 0) -> bool:
    """Whether the pixels whose bounding rectangle is ``rect`` (x, y, w, h px; w = 0: none), grown by
    ``slack`` px all round, all lie less than ``reach`` px beyond the box (bx0, by0)-(bx1, by1) px on both axes."""
    x, y, w, h = rect
    x, y, w, h = x - slack, y - slack, w + 2 * slack, h + 2 * slack
    return rect[2] == 0 or max(bx0 - x, x + w - 1 - bx1, by0 - y, y + h - 1 - by1) < reach


def crossed_out(reads: list[BoxRead], ink: PageInk, printed: np.ndarray,
                areas: dict[str, tuple[float, float, float, float]], questions: set[str],
                shifts: dict[str, tuple[float, float]] | None = None,
                frames: list[tuple[float, float, float, float]] = ()) -> dict[str, float]:
    """Questions of omr's own form crossed out whole with one big X (branch hbigx): withdrawn, not answered.

    A respondent who withdraws a question draws two long strokes over all its boxes. Over a wide, flat
    question (a scale row, a yes/no row) the X's strokes cross the boxes' height only near the middle and
    pass through the labels at the ends: the one box they touch, or the tick already in it, read alone as
    the answer (bench/hunt/habits2.py ``big_x``: 1 SILENT of ~465 questions at seeds 11 and 12). Within each
    question's area (``areas``, :func:`omr.scan.form_print.question_areas`, moved by the question's
    ``shifts``) and no farther than BIG_X_REACH_MM from its boxes, the page's ink of at least
    OWN_RUN_OUT_INK that is not the form's print (grown, as :func:`_new_strokes` subtracts it) nor within
    STRAY_FRAME_MARGIN_MM of a comment frame is searched for straight pieces (``cv2.HoughLinesP``) of
    BIG_X_MIN_STROKE_MM or longer; one rising and one falling, each at least BIG_X_MIN_SLANT_DEG off level,
    that cross each other within both pieces and within BIG_X_CROSS_MARGIN_MM of the question's boxes (not a
    neighbour's X reaching into this question's area) make an X. An underline or a strike is one level
    stroke; a circle, a tick or a cross in one box has no piece that long. The band of the boxes' rows is
    looked at first (~8 ms CPU a page in all, docs/benchmarks.md): without pen ink there outside the boxes
    (UNEXPLAINED_BOX_MARGIN_MM around them: the marks' arms) the question is left.

    Args:
        reads: the page's box reads (question and position on the aligned page, mm).
        ink: the aligned page's ink.
        printed: :func:`omr.scan.form_print.printed_mask` of the page (uint8 0/1 at K px/mm of the layout).
        areas: question -> (x0, y0, x1, y1) mm on the layout.
        questions: the questions searched (the caller's: read ok).
        shifts: question -> (dx, dy) mm, how far its boxes were found from their layout places.
        frames: the page's comment frames, (x, y, w, h) mm.

    Returns:
        Question id -> the shorter of the two crossing pieces (mm), for the questions crossed out.
    """
    shifts = shifts or {}
    page_h, page_w = ink.shape
    m = T.STRAY_FRAME_MARGIN_MM
    frame_boxes = [(x - m, y - m, x + w + m, y + h + m) for x, y, w, h in frames]
    length = T.BIG_X_MIN_STROKE_MM * K
    slant = np.tan(np.radians(T.BIG_X_MIN_SLANT_DEG))
    margin, reach, pad = T.BIG_X_CROSS_MARGIN_MM, T.BIG_X_REACH_MM, T.UNEXPLAINED_BOX_MARGIN_MM
    beside = np.array([(r.x - pad, r.y - pad, r.x + r.w + pad, r.y + r.h + pad) for r in reads] + frame_boxes,
                      np.float64).reshape(-1, 4)  # the boxes' and frames' rectangles, one array for every question
    found: dict[str, float] = {}
    for question in sorted(questions):
        own = [r for r in reads if r.question == question]
        if question not in areas or not own:
            continue
        dx, dy = shifts.get(question, (0.0, 0.0))
        bx0, by0 = min(r.x for r in own), min(r.y for r in own)
        bx1, by1 = max(r.x + r.w for r in own), max(r.y + r.h for r in own)
        # The question's area, only as far as an X over its boxes reaches (its title lines and the room
        # for a word after the last option left out: less ink to compute).
        x0, y0, x1, y1 = areas[question]
        px0, py0 = max(0, int(max(x0 + dx, bx0 - reach) * K)), max(0, int(max(y0 + dy, by0 - reach) * K))
        px1 = min(page_w, int(min(x1 + dx, bx1 + reach) * K))
        py1 = min(page_h, int(min(y1 + dy, by1 + reach) * K))
        if px1 - px0 < length or py1 <= py0:
            continue
        sx, sy = int(round(dx * K)), int(round(dy * K))
        # First the band of the boxes' rows alone (most questions end here): both strokes of an X over them
        # cross it, a long way outside the boxes and the arms of the marks in them; a clean question has
        # nothing there but its labels' print.
        ry0, ry1 = max(py0, int(by0 * K)), min(py1, int(by1 * K) + 1)
        grown = _shifted(printed, px0 - sx, ry0 - sy, px1 - sx, ry1 - sy, 1)
        excluded = _rects_mask((ry1 - ry0, px1 - px0), beside, px0, ry0)
        # The strokes lie within those of the pixels that may hold ink at all (PageInk.may_be_ink; an opening
        # keeps a subset's within the set's): too few of those, too few strokes, and the band's ink is not
        # computed (most questions).
        maybe = (ink.may_be_ink(px0, ry0, px1, ry1, T.OWN_RUN_OUT_INK) & (grown == 0) & (excluded == 0)).view(np.uint8)
        # The opening is made of at most a square per pixel of what it opens (_opened): too few of those
        # before it, too few after (no opening made; issue #18).
        if (cv2.countNonZero(maybe) * _OPEN_SIDE ** 2 < length / 2
                or cv2.countNonZero(_opened(maybe)) < length / 2):
            continue
        band = _new_strokes(ink.region(px0, ry0, px1, ry1), grown, excluded, T.OWN_RUN_OUT_INK)
        if int(band.sum()) < length / 2:
            continue
        # Where the X's crossing may lie: over the question's boxes, px of the window.
        near = ((bx0 - margin) * K - px0, (by0 - margin) * K - py0, (bx1 + margin) * K - px0, (by1 + margin) * K - py0)
        window = ink.region(px0, py0, px1, py1)
        new = _new_strokes(window, _shifted(printed, px0 - sx, py0 - sy, px1 - sx, py1 - sy, 1),
                           _rects_mask(window.shape, frame_boxes, px0, py0), T.OWN_RUN_OUT_INK)
        # Votes: half the shortest piece's pixels (its line is 1 px wide: gaps and the print cut out of it).
        segments = cv2.HoughLinesP(new * 255, 1, np.pi / 180, int(length / 2), minLineLength=length,
                                   maxLineGap=T.BIG_X_MAX_GAP_MM * K)
        if segments is None:
            continue
        pieces = [(float(a), float(b), float(c), float(d)) for a, b, c, d in segments.reshape(-1, 4)
                  if abs(d - b) >= slant * abs(c - a) and c != a]
        best = 0.0
        for i, (ax, ay, bx, by) in enumerate(pieces):
            for cx, cy, ex, ey in pieces[i + 1:]:
                if (by - ay) * (bx - ax) * (ey - cy) * (ex - cx) >= 0:
                    continue  # both rising or both falling: not an X
                if _segments_cross((ax, ay, bx, by), (cx, cy, ex, ey), near):
                    best = max(best, min(np.hypot(bx - ax, by - ay), np.hypot(ex - cx, ey - cy)) / K)
        if best:
            found[question] = round(float(best), 1)
    return found


def _segments_cross(a: tuple[float, float, float, float], b: tuple[float, float, float, float],
                    within: tuple[float, float, float, float]) -> bool:
    """Whether the line pieces ``a`` and ``b`` ((x0, y0, x1, y1), any one unit) cross each other within both,
    at a point inside the rectangle ``within`` (x0, y0, x1, y1, same unit)."""
    (ax, ay, bx, by), (cx, cy, ex, ey) = a, b
    den = (bx - ax) * (ey - cy) - (by - ay) * (ex - cx)
    if den == 0:
        return False  # parallel
    t = ((cx - ax) * (ey - cy) - (cy - ay) * (ex - cx)) / den
    u = ((cx - ax) * (by - ay) - (cy - ay) * (bx - ax)) / den
    x, y = ax + t * (bx - ax), ay + t * (by - ay)
    return 0 < t < 1 and 0 < u < 1 and within[0] <= x <= within[2] and within[1] <= y <= within[3]


def _rects_mask(shape: tuple[int, int], rects, px0: int, py0: int) -> np.ndarray:
    """uint8 0/1 mask of ``shape`` (a window whose top left is page px ``px0``, ``py0`` at K px/mm): 1
    inside each of ``rects`` ((x0, y0, x1, y1) mm on the aligned page, a sequence or an (n, 4) array).

    The rectangles that miss the window are dropped in one NumPy pass (a page's ~115 boxes against each
    question's window were ~3 ms a page of Python, issue #18); a rectangle covers page rows
    ``int(y0 K)`` .. ``int(y1 K)`` and columns ``int(x0 K)`` .. ``int(x1 K)`` (truncated, as ``int`` does).
    """
    out = np.zeros(shape, np.uint8)
    corners = np.asarray(rects, np.float64).reshape(-1, 4)
    if corners.shape[0] == 0:
        return out
    px = np.trunc(corners * K).astype(np.int64)  # int() of each, truncating toward zero
    top, left = np.maximum(px[:, 1] - py0, 0), np.maximum(px[:, 0] - px0, 0)
    bottom, right = px[:, 3] + 1 - py0, px[:, 2] + 1 - px0
    hit = (bottom > 0) & (right > 0) & (top < shape[0]) & (left < shape[1])
    for y0, y1, x0, x1 in zip(top[hit].tolist(), bottom[hit].tolist(), left[hit].tolist(), right[hit].tolist()):
        out[y0:y1, x0:x1] = 1
    return out


def _stroke_total(new: np.ndarray, min_stroke_px: float, wanted_mm2: float = 0.0,
                  printed: np.ndarray | None = None) -> float:
    """Total area (mm²) of the strokes (8-connected) of ``new`` (uint8 0/1 at K px/mm) of at least
    ``min_stroke_px`` px each; when ``new`` holds fewer than ``wanted_mm2`` of pixels in all, that count
    (mm², then less than the strokes' total could be, and less than ``wanted_mm2``) without looking for
    strokes (issue #18: the components of a question's area are most of the check's cost, and most areas
    hold no ink).

    ``printed``: the grown print subtracted to make ``new`` (uint8 0/1, same shape), or None. A stroke that
    lies wholly within OWN_SLIVER_REACH_MM of it is the print's own edge, not writing, and is not counted:
    a printer's or renderer's text sits a fraction of a px off the layout's drawing and its edges, at
    OWN_WRITING_INK, stick out of the print grown by 1 px in slivers of 0.2-0.6 mm² along every line of a
    title (branch hblank2: the trial's unfilled sheet rendered by pdftoppm at 200 dpi summed 1.4 mm² of
    them over A1's title, «có chữ viết ngoài ô của câu A1»). Writing reaches further from the print. When
    the strokes within that reach are at most OWN_SLIVER_FEW they are counted all the same (branch hsliver):
    a renderer's offset leaves them along every line of the area's text (4-27 an area on pdftoppm's
    renderings), a pencil word written over the option labels, cut by the print into pieces, a few."""
    pixels = cv2.countNonZero(new)
    if pixels < wanted_mm2 * K * K:
        return pixels / (K * K)
    count, labels, stats, _ = components_with_stats(new)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_stroke_px
    keep[0] = False
    if printed is not None and keep.any():
        reach = max(1, int(round(T.OWN_SLIVER_REACH_MM * K)))
        near = cv2.dilate(printed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1)))
        beyond = np.zeros(count, bool)
        beyond[np.unique(labels[(new > 0) & (near == 0)])] = True
        # A renderer's offset leaves slivers along every line of a title; a few are writing crossing it.
        if int((keep & ~beyond).sum()) > T.OWN_SLIVER_FEW:
            keep &= beyond
    return float(stats[keep, cv2.CC_STAT_AREA].sum()) / (K * K)


def _best_offset(page: np.ndarray, printed: np.ndarray, reach: int) -> int:
    """The offset o (px, within +-reach) maximising sum(page[i] * printed[i + reach - o]): where the print's
    profile ``printed`` (len(page) + 2 reach, from reach px before the page's profile ``page``) lies under
    the page's; 0 among equals or without print."""
    n = page.size
    scores = np.array([float(np.dot(page, printed[reach - o:reach - o + n])) for o in range(-reach, reach + 1)])
    top = scores.max()
    if top <= 0:
        return 0
    best = np.flatnonzero(scores >= top - 1e-6 * top) - reach
    return int(best[np.argmin(np.abs(best))])


def _shifted(mask: np.ndarray, x0: int, y0: int, x1: int, y1: int, outside: int) -> np.ndarray:
    """``mask[y0:y1, x0:x1]`` (px, may reach beyond the mask), ``outside`` where it does."""
    out = np.full((y1 - y0, x1 - x0), outside, mask.dtype)
    h, w = mask.shape
    ax0, ay0, ax1, ay1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if ax1 > ax0 and ay1 > ay0:
        out[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0] = mask[ay0:ay1, ax0:ax1]
    return out


def _unexplained(reads: list[BoxRead], ink: PageInk, questions: set[str] | None, window, printed_at,
                 excusing: list[BoxRead], ink_level: float, min_mm2: float) -> dict[str, float]:
    """The search both :func:`unexplained_marks` and :func:`marks_beside_boxes` make: per question
    (of ``questions``, or all) its ``window(members)`` (mm on the aligned page), the page's ink there
    at ``ink_level`` less ``printed_at(question, px0, py0, px1, py1)`` (the grown print, uint8 0/1; None:
    nothing to compare with) and less UNEXPLAINED_BOX_MARGIN_MM around each box of ``excusing``; the
    questions whose largest stroke left is at least ``min_mm2`` (mm²) -> that area."""
    rows: dict[str, list[BoxRead]] = {}
    for read in reads:
        rows.setdefault(read.question, []).append(read)
    page_h, page_w = ink.shape
    pad = T.UNEXPLAINED_BOX_MARGIN_MM
    # Every excusing box's px (grown by pad) once, as the per-box loop had them (issue #18: that loop, per
    # question over all boxes, was most of the search's cost on a page of hundreds of boxes).
    xs, ys, ws, hs = (np.array([getattr(r, a) for r in excusing], np.float64).reshape(-1) for a in "xywh")
    tops, lefts = np.maximum(0, ((ys - pad) * K).astype(np.int64)), np.maximum(0, ((xs - pad) * K).astype(np.int64))
    bottoms, rights = ((ys + hs + pad) * K).astype(np.int64) + 1, ((xs + ws + pad) * K).astype(np.int64) + 1
    found: dict[str, float] = {}
    for question, members in rows.items():
        if questions is not None and question not in questions:
            continue
        x0, y0, x1, y1 = window(members)
        px0, py0 = max(0, int(x0 * K)), max(0, int(y0 * K))
        px1, py1 = min(page_w, int(x1 * K)), min(page_h, int(y1 * K))
        if px1 <= px0 or py1 <= py0:
            continue
        printed = printed_at(question, px0, py0, px1, py1)
        if printed is None:
            continue
        boxes = np.zeros((py1 - py0, px1 - px0), np.uint8)
        near = np.flatnonzero((bottoms > py0) & (tops < py1) & (rights > px0) & (lefts < px1))
        for top, left, bottom, right in zip(tops[near].tolist(), lefts[near].tolist(), bottoms[near].tolist(),
                                            rights[near].tolist()):
            boxes[max(top - py0, 0):bottom - py0, max(left - px0, 0):right - px0] = 1
        area = _largest_new_stroke(ink.region(px0, py0, px1, py1), printed, boxes, ink_level, min_mm2)
        if area >= min_mm2:
            found[question] = area
    return found


def reference_print(reference: np.ndarray, width_mm: float, shape: tuple[int, int]) -> np.ndarray:
    """The grown print (:func:`grow_print`) of a blank's scan ``reference`` (grey, its width spanning
    ``width_mm``) over a whole aligned page of ``shape`` (h, w) canonical px at K px/mm: uint8 0/1, print
    being UNEXPLAINED_PRINT_CONTRAST darker than the blank's paper (its 90th percentile). The same for
    every page read against that blank: the caller keeps it (``omr.scan.page`` per reference, issue #18:
    made on every page it was ~2/3 of :func:`stray_writing`'s ~80 ms).

    Raises ``ValueError`` for a ``width_mm`` that is not positive."""
    if not width_mm > 0:
        raise ValueError(f"width_mm must be positive, not {width_mm}")
    page_h, page_w = shape
    paper = float(np.percentile(reference[::4, ::4], 90))
    # The reference spans the page's width (width_mm); its height follows at the same scale.
    scale = page_w / reference.shape[1]
    printed = cv2.resize(reference, (page_w, max(1, int(round(reference.shape[0] * scale)))),
                         interpolation=cv2.INTER_LINEAR)[:page_h]
    if printed.shape[0] < page_h:  # a reference a little short of the page: its paper below
        printed = np.vstack([printed, np.full((page_h - printed.shape[0], page_w), 255, np.uint8)])
    return grow_print((printed.astype(np.float32) < paper - T.UNEXPLAINED_PRINT_CONTRAST).astype(np.uint8))


def stray_writing(reads: list[BoxRead], ink: PageInk, printed: np.ndarray | None,
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

    Most pages hold no such writing, and they are told apart without the page's ink (issue #18): the
    pixels left there that are dark enough to be ink against the page's lightest paper
    (:func:`_stray_bound`) are a superset of those of ink, and their strokes' total never less than
    the ink's (each stroke of ink lies within one of theirs); below ``STRAY_MIN_MM2`` the answer is
    None as the ink's would be. Otherwise the ink is measured over the whole page, as it always was.

    Args:
        reads: the page's box reads (their question, and position on the aligned page, mm).
        ink: the aligned page's ink.
        printed: :func:`reference_print` of the blank for this page's shape (uint8 0/1, ``ink.shape``), or
            None (no reference).
        frames: the template's comment frames on this page, (x, y, w, h) mm.

    Returns:
        (total stroke area mm², (x, y, w, h) mm of the box around those strokes) when the area is at least
        ``STRAY_MIN_MM2``; None otherwise (or without a reference).
    """
    if printed is None:
        return None
    page_h, page_w = ink.shape
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
    bound = _stray_bound(ink)
    if bound is None:
        return _stray_strokes(_new_strokes(ink.region(0, 0, page_w, page_h), printed, away, T.UNEXPLAINED_INK))
    dark = cv2.threshold(ink.canonical, bound, 1, cv2.THRESH_BINARY_INV)[1]  # grey <= bound: 1
    dark = cv2.subtract(dark, cv2.bitwise_or(printed, away))
    if _stray_strokes(_opened(dark)) is None:
        return None
    # The ink's strokes lie within the dark pixels' box: the ink measured there only, as the whole page's
    # (PageInk.page_window), a margin of zeros around it for the opening.
    x, y, w, h = cv2.boundingRect(dark)
    margin = 4
    x0, y0, x1, y1 = max(0, x - margin), max(0, y - margin), min(page_w, x + w + margin), min(page_h, y + h + margin)
    new = _new_strokes(ink.page_window(x0, y0, x1, y1), printed[y0:y1, x0:x1], away[y0:y1, x0:x1], T.UNEXPLAINED_INK)
    return _stray_strokes(new, (x0, y0))


def _stray_bound(ink: PageInk) -> int | None:
    """The grey level (uint8) at or below which every pixel of ``ink`` reading UNEXPLAINED_INK or more lies
    (ink = (1 - grey / paper) / (1 - black_ratio), paper at most the page's lightest): one grey level
    above the exact bound, for the rounding of float32. None when the page's black is no darker than its
    paper (the ink's scale is no scale: no bound)."""
    if not ink.black_ratio < 1.0:
        return None
    level = float(ink.paper.max()) * (1.0 - T.UNEXPLAINED_INK * (1.0 - ink.black_ratio))
    return int(min(255.0, max(-1.0, np.floor(level) + 1.0)))


def _stray_strokes(new: np.ndarray, origin: tuple[int, int] = (0, 0)
                   ) -> tuple[float, tuple[float, float, float, float]] | None:
    """:func:`stray_writing`'s answer from the new strokes ``new`` (uint8 0/1) of the page's window from
    canonical px ``origin`` (x, y) on. Strokes are measured only within the box around ``new``'s pixels
    (connected components of a whole page cost ~20 ms), none when they are too few to add up to
    STRAY_MIN_MM2."""
    if cv2.countNonZero(new) < T.STRAY_MIN_MM2 * K * K:
        return None
    x, y, w, h = cv2.boundingRect(new)
    origin = (origin[0] + x, origin[1] + y)
    count, _, stats, _ = components_with_stats(new[y:y + h, x:x + w])
    stats[:, cv2.CC_STAT_LEFT] += origin[0]
    stats[:, cv2.CC_STAT_TOP] += origin[1]
    keep = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= T.STRAY_MIN_STROKE_MM2 * K * K]
    total = float(sum(stats[i, cv2.CC_STAT_AREA] for i in keep)) / (K * K)
    if not keep or total < T.STRAY_MIN_MM2:
        return None
    x0 = min(stats[i, cv2.CC_STAT_LEFT] for i in keep) / K
    y0 = min(stats[i, cv2.CC_STAT_TOP] for i in keep) / K
    x1 = max(stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH] for i in keep) / K
    y1 = max(stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] for i in keep) / K
    return total, (round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2), round(float(y1 - y0), 2))


def grow_print(printed: np.ndarray, slack_mm: float = T.UNEXPLAINED_PRINT_SLACK_MM) -> np.ndarray:
    """A print mask (uint8 0/1 at K px/mm) grown by ``slack_mm``: the registration's error and a
    copier's thicker print do not leave print beside the mask."""
    slack = max(1, int(round(slack_mm * K)))
    return cv2.dilate(printed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * slack + 1, 2 * slack + 1)))


def _scanned_print(reference: np.ndarray, scale: float, window: tuple, paper: float) -> np.ndarray | None:
    """The grown print (:func:`grow_print`) of a blank's scan ``reference`` (``scale`` px per mm, its
    paper ``paper``; print is UNEXPLAINED_PRINT_CONTRAST darker) over ``window`` (px0, py0, px1, py1)
    of the aligned page at K px/mm; None when the window leaves the reference."""
    px0, py0, px1, py1 = window
    rx0, ry0 = int(px0 / K * scale), int(py0 / K * scale)
    rx1, ry1 = int(np.ceil(px1 / K * scale)), int(np.ceil(py1 / K * scale))
    crop = reference[max(0, ry0):ry1, max(0, rx0):rx1]
    if crop.size == 0 or crop.shape != (ry1 - ry0, rx1 - rx0):
        return None
    printed = cv2.resize(crop, (px1 - px0, py1 - py0), interpolation=cv2.INTER_LINEAR)
    return grow_print((printed.astype(np.float32) < paper - T.UNEXPLAINED_PRINT_CONTRAST).astype(np.uint8))


def _new_strokes(page_ink_: np.ndarray, printed: np.ndarray, excluded: np.ndarray, ink_level: float) -> np.ndarray:
    """The strokes of ``page_ink_`` (a window of the aligned page at K px/mm, ink 0..1) at ``ink_level``
    or darker that are neither print (``printed``, grown) nor ``excluded`` (near a box, ...), both uint8
    0/1 masks of the window: a uint8 0/1 mask, opened to a pen's width."""
    return _opened(((page_ink_ >= ink_level) & (printed == 0) & (excluded == 0)).astype(np.uint8))


# The side (px) of the square _opened opens with: a pen's narrowest line.
_OPEN_SIDE = max(2, int(round(T.UNEXPLAINED_MIN_LINE_MM * K)))
# How far (px) _opened's result may lie outside its input. OpenCV erodes and dilates by the same offsets
# from the anchor (the square not reflected) and its borders count as ink to the erosion: the opening
# is the union of a square of _OPEN_SIDE around (not centred on, for an even side) each pixel its
# erosion keeps, every one of them a pixel of the input. So it lies within _OPEN_SIDE - 1 px of the
# input and holds at most _OPEN_SIDE² pixels per input pixel (it can hold more than the input along
# the border: tested).
_OPEN_SLACK = _OPEN_SIDE - 1


def _opened(new: np.ndarray) -> np.ndarray:
    """``new`` (uint8 0/1) opened to a pen's width: slivers of print left by the registration's error are
    thinner than a pen's line. Within ``_OPEN_SLACK`` px of ``new``, at most ``_OPEN_SIDE``² pixels a pixel of it."""
    return cv2.morphologyEx(new, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (_OPEN_SIDE, _OPEN_SIDE)))


def _largest_new_stroke(page_ink_: np.ndarray, printed: np.ndarray, boxes: np.ndarray, ink_level: float,
                        wanted_mm2: float = 0.0) -> float:
    """Area (mm²) of the largest stroke of ``page_ink_`` (a window of the aligned page at K px/mm, ink
    0..1) at ``ink_level`` or darker that is neither print (``printed``, grown) nor near a box
    (``boxes``), both masks of the window (:func:`_new_strokes`); when fewer than ``wanted_mm2`` of such
    pixels are left in all, their count (mm², less than ``wanted_mm2``), no stroke looked for."""
    new = _new_strokes(page_ink_, printed, boxes, ink_level)
    pixels = cv2.countNonZero(new)
    if pixels < wanted_mm2 * K * K:
        return pixels / (K * K)
    x, y, w, h = cv2.boundingRect(new)  # the strokes, and no more of the window (the same components)
    count, _, stats, _ = components_with_stats(new[y:y + h, x:x + w])
    if count <= 1:
        return 0.0
    return float(stats[1:, cv2.CC_STAT_AREA].max()) / (K * K)


def tint_levels(read: BoxRead, ink: PageInk) -> tuple[float, float]:
    """(inside, surround) ink (0..1, against the page's paper) of a box of omr's own form: the median of its
    inside (``TINT_INSET_MM`` in from its outline) and the greatest of the medians of four bands, one beside
    each side, from ``TINT_BAND_FROM_MM`` to ``TINT_BAND_TO_MM`` outside its outline (clear of the printed
    outline). A highlighter stroke over the box (5-7 mm tall, 6-12 mm long, laid within ~1 mm of the box's
    centre: its 5 mm box may stick out of it on any one side) tints the inside and at least one band; a pen
    mark darkens the inside's median only when it fills the box (then the box is not empty); a ruled line
    or a hair is too thin to move the inside's median.

    Returns (0, 0) for a box whose window falls off the page.

    Args:
        read: the box as found on the aligned page (x, y, w, h in mm).
        ink: the aligned page's ink.
    """
    windows = _tint_windows(read, ink)
    if windows is None:
        return 0.0, 0.0
    inside, bands = windows
    return float(np.median(inside)), max(float(np.median(b)) for b in bands)


def _tint_windows(read: BoxRead, ink: PageInk) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """The ink of the inside and of the four bands :func:`tint_levels` takes its medians of, or None where it
    gives (0, 0) (a window off the page, an empty inside or band)."""
    inset, near, far = T.TINT_INSET_MM, T.TINT_BAND_FROM_MM, T.TINT_BAND_TO_MM
    x0, y0, x1, y1 = read.x - far, read.y - far, read.x + read.w + far, read.y + read.h + far
    px0, py0 = int(round(x0 * K)), int(round(y0 * K))
    win = ink.region(px0, py0, int(round(x1 * K)), int(round(y1 * K)))
    if win.size == 0 or px0 < 0 or py0 < 0:
        return None

    def at(mm: float, origin: float) -> int:
        return int(round((mm - origin) * K))

    bx0, by0 = at(read.x, x0), at(read.y, y0)
    bx1, by1 = at(read.x + read.w, x0), at(read.y + read.h, y0)
    i, n, f = int(round(inset * K)), int(round(near * K)), int(round(far * K))
    inside = win[by0 + i:by1 - i, bx0 + i:bx1 - i]
    bands = [win[by0:by1, bx0 - f:bx0 - n], win[by0:by1, bx1 + n:bx1 + f],
             win[by0 - f:by0 - n, bx0:bx1], win[by1 + n:by1 + f, bx0:bx1]]
    if inside.size == 0 or any(b.size == 0 for b in bands):
        return None
    return inside, bands


def tinted_boxes(reads: list[BoxRead], ink: PageInk, questions: set[str]) -> set[str]:
    """Questions of ``questions`` (read blank on omr's own form) with an empty box under a patch of tint: its
    inside and the paper just beside it on at least one side at least ``TINT_MIN_INK`` darker than the page's paper (a highlighter
    stroke over the box as the mark, bench/hunt/official.py hl_mark). The page's paper is measured over
    ~9 mm (:class:`omr.scan.align.PageInk`), so coloured paper, a photocopy's grey or uneven light is not
    tint; a patch the size of a highlighter stroke is.

    Args:
        reads: the page's box reads (question, state, position on the aligned page, mm).
        ink: the aligned page's ink.
        questions: the question ids looked at.

    Returns:
        The ids of those questions with a tinted box.
    """
    found = set()
    for read in reads:
        if read.question in questions and read.question not in found and read.state == EMPTY:
            # min(tint_levels) >= TINT_MIN_INK, told with as few medians as that takes (issue #18): an
            # untinted inside decides alone (most boxes), then the first band tinted enough.
            windows = _tint_windows(read, ink)
            if windows is None:  # tint_levels' (0, 0)
                tinted = 0.0 >= T.TINT_MIN_INK
            else:
                inside, bands = windows
                tinted = (float(np.median(inside)) >= T.TINT_MIN_INK
                          and any(float(np.median(b)) >= T.TINT_MIN_INK for b in bands))
            if tinted:
                found.add(read.question)
    return found
