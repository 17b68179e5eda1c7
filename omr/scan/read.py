"""Read every checkbox of an aligned page (each question is resolved from them by :mod:`omr.scan.resolve`).

A box is measured on the page's own ink scale (:func:`omr.scan.align.ink_map`), so
thresholds adapt to the ink darkness and paper tone of each page. Box states:
empty, marked, cancelled (filled in completely), or uncertain. A question is
``ok`` with a value, ``blank``, or one of the statuses that go to review
(:data:`omr.model.NEEDS_REVIEW`); it is never silently guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

import cv2
import numpy as np

from omr import tuning as T
from omr.forms.layout import Checkbox
from omr.model import (
    CANCELLED,
    EMPTY,
    MARKED,
    UNCERTAIN,
    BoxRead,
)
from omr.scan.align import BoxSearch, BoxWindow, K
from omr.scan.components import components_with_stats
from omr.scan.ruled import lined_boxes, without_lines
from omr.scan.show_through import explained_by_back


def measure_box(window: BoxWindow, box: Checkbox, dx: float, dy: float,
                margin: float = T.BOX_INNER_MARGIN_MM) -> tuple[float, float]:
    """(fill share, mean ink) of the inside of a box moved by (dx, dy) mm.

    ``window`` holds the canonical pixels around the box, from
    :func:`omr.scan.align.locate_boxes`; the inside is the box less ``margin`` mm
    on every side (BOX_INNER_MARGIN_MM: clear of the printed outline and its blur).
    """
    if window.paper <= 0:
        return 0.0, 0.0  # off the page
    inside = _inside_grey(window, box, dx, dy, margin)
    if inside.size == 0:
        return 0.0, 0.0
    fill = float(np.count_nonzero(inside < window.ink_cutoff(T.INK_THRESHOLD))) / inside.size
    return fill, window.mean_ink(float(inside.mean()))


def _inside_grey(window: BoxWindow, box: Checkbox, dx: float, dy: float, margin: float) -> np.ndarray:
    """The grey pixels (a view) of the inside of a box moved by (dx, dy) mm, less ``margin`` mm a side."""
    # Python floats: the same sums and the same whole-pixel rounding as NumPy scalars', ~8x cheaper (#18).
    m, dx, dy = margin, float(dx), float(dy)
    left, top = int(round((box.x + dx + m) * K)) - window.x0, int(round((box.y + dy + m) * K)) - window.y0
    right = int(round((box.x + dx + box.w - m) * K)) - window.x0
    bottom = int(round((box.y + dy + box.h - m) * K)) - window.y0
    return window.grey[max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)]


def erased_beneath(window: BoxWindow, box: Checkbox, dx: float, dy: float, reference: float) -> bool:
    """Whether the paper a mark leaves free in ``box`` (moved by dx, dy mm) is grey: an eraser's smear.

    A filled box rubbed out leaving a band of the fill's zigzags (bench/hunt/rework.py
    erase_partial) reads 'marked' like a bar through the box; the rest of its inside holds the
    smear (15-35 % of the fill's darkness), where a pen's cross or tick leaves paper between its
    strokes. True when the ERASED_GREY_PERCENTILE-th percentile of the inside's ink (box less
    BOX_INNER_MARGIN_MM; ink 0 = local paper, 1 = the page's black) is at least
    ERASED_GREY_MIN_EXCESS above ``reference`` (the mean ink of the page's empty boxes, or of the
    question's own when darker). False for a window off the page. Figures in :mod:`omr.tuning`.
    """
    return _paper_between([window], [box], [(dx, dy)])[0] >= reference + T.ERASED_GREY_MIN_EXCESS


def _paper_between(windows: list[BoxWindow], boxes: list[Checkbox],
                   offsets: list[tuple[float, float]]) -> list[float]:
    """For each box (moved by its (dx, dy) mm) the ink (0..1) of the ERASED_GREY_PERCENTILE-th
    percentile of its inside's ink (box less BOX_INNER_MARGIN_MM): the paper a mark leaves free, as
    :func:`erased_beneath` judges it; -inf for a window off the page or an empty inside.

    The percentiles of insides of one shape are taken as one stack (``np.percentile`` along an
    axis: the same values as box by box, without NumPy's per-call overhead on ~17 marked boxes a
    page, issue #18).
    """
    out = [-np.inf] * len(boxes)
    for members in _insides_by_shape(windows, boxes, offsets):
        stack = np.stack([inside for _, inside in members]).reshape(len(members), -1)
        # The lightest share of ink is the darkest share of grey (ink falls as grey rises).
        greys = np.percentile(stack, 100 - T.ERASED_GREY_PERCENTILE, axis=1)
        for (i, _), grey in zip(members, greys):
            out[i] = windows[i].mean_ink(float(grey))
    return out


def _insides_by_shape(windows: list[BoxWindow], boxes: list[Checkbox],
                      offsets: list[tuple[float, float]]) -> list[list[tuple[int, np.ndarray]]]:
    """The grey insides (box less BOX_INNER_MARGIN_MM, moved by its (dx, dy) mm; views) of the boxes on the
    page and not empty, grouped by shape: per shape, (index into ``boxes``, inside) in order."""
    by_shape: dict[tuple[int, int], list[tuple[int, np.ndarray]]] = {}
    for i, (window, box, (dx, dy)) in enumerate(zip(windows, boxes, offsets)):
        if window.paper <= 0:
            continue
        inside = _inside_grey(window, box, dx, dy, T.BOX_INNER_MARGIN_MM)
        if inside.size:
            by_shape.setdefault(inside.shape, []).append((i, inside))
    return list(by_shape.values())


def stroke_and_halo(window: BoxWindow, box: Checkbox, dx: float, dy: float) -> tuple[float, float]:
    """(stroke darkness, halo ratio) of the ink inside ``box`` (moved by dx, dy mm; box less
    BOX_INNER_MARGIN_MM a side), for telling a rubbed-out tick's leftover from a pen's mark.

    Stroke darkness: the ERASED_STROKE_PERCENTILE-th percentile of the inside's ink (0 = local
    paper, 1 = the page's black): how dark the pen's line is at its core. Halo ratio: pixels of faint
    ink (ERASED_HALO_MIN_INK up to INK_THRESHOLD) per pixel of ink at INK_THRESHOLD or more. A pen's
    line has a sharp edge (a thin rim of faint pixels: 0.08-0.33 of its body); the piece of a tick an
    eraser left sits in the grey ghost of the rest of the tick and the smear rubbed along the row
    (0.87-4.5). (0.0, 0.0) for a window off the page or an empty inside. Figures in :mod:`omr.tuning`.
    """
    return _strokes_and_halos([window], [box], [(dx, dy)])[0]


def _strokes_and_halos(windows: list[BoxWindow], boxes: list[Checkbox],
                       offsets: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """:func:`stroke_and_halo` of each box (moved by its (dx, dy) mm), the insides of one shape taken as one
    stack (``np.percentile`` along an axis: each row's value as of that inside alone, without NumPy's
    per-call overhead on ~17 marked boxes a page, issue #18)."""
    out = [(0.0, 0.0)] * len(boxes)
    for members in _insides_by_shape(windows, boxes, offsets):
        ink = np.stack([_ink_of(windows[i], inside) for i, inside in members]).reshape(len(members), -1)
        strokes = np.percentile(ink, T.ERASED_STROKE_PERCENTILE, axis=1)
        dark = np.count_nonzero(ink >= T.INK_THRESHOLD, axis=1)
        faint = np.count_nonzero(ink >= T.ERASED_HALO_MIN_INK, axis=1) - dark
        for (i, _), stroke, d, f in zip(members, strokes.tolist(), dark.tolist(), faint.tolist()):
            out[i] = (float(stroke), f / max(d, 1))
    return out


def small_inside(box: Checkbox) -> bool:
    """Whether ``box``'s inside (less BOX_INNER_MARGIN_MM a side) is under SMALL_BOX_MAX_CORE_MM across:
    the 2.5-3.5 mm boxes of forms made in an office, where a ballpoint's cross covers 75-100 % of the
    inside (see :func:`small_box_state`) and leaves no free paper to judge (:func:`_doubt_erased`)."""
    return min(box.w, box.h) - 2 * T.BOX_INNER_MARGIN_MM < T.SMALL_BOX_MAX_CORE_MM


def small_box_state(window: BoxWindow, box: Checkbox, dx: float, dy: float, fill: float,
                    state: str, confidence: float) -> tuple[str, float]:
    """A small box's state, where its fill alone cannot tell a pen's cross from a solid fill (issue #16).

    The inside that :func:`classify_fill` judges is the box less BOX_INNER_MARGIN_MM a side:
    3.5 mm across in omr's own 5 mm boxes, where a cross's two strokes (0.4-0.6 mm wide once
    scanned) cover 28-49 %, but only 1.0-2.5 mm across in the 2.5-4 mm boxes of forms made in an
    office, where the same strokes cover 75-100 % of it, as much as a box filled in to cancel it.
    So for a box whose inside is under SMALL_BOX_MAX_CORE_MM across and fuller than MARK_MAX_FILL,
    the fill is measured again over the box less SMALL_BOX_WIDE_MARGIN_MM (just clear of a printed
    outline), where a cross leaves paper between its arms and a solid fill or a scribble does not:
    at most SMALL_BOX_CROSS_MAX_FILL is a mark, at least SMALL_BOX_SOLID_MIN_FILL a box filled in,
    between uncertain. Any other box keeps ``state`` and ``confidence`` (:func:`classify_fill`).
    """
    if fill <= T.MARK_MAX_FILL or not small_inside(box):
        return state, confidence
    wide, _ = measure_box(window, box, dx, dy, T.SMALL_BOX_WIDE_MARGIN_MM)
    if wide <= T.SMALL_BOX_CROSS_MAX_FILL:
        return MARKED, 0.5 + 0.5 * min(1.0, (T.SMALL_BOX_CROSS_MAX_FILL - wide) / 0.1)
    if wide >= T.SMALL_BOX_SOLID_MIN_FILL:
        return CANCELLED, 0.5 + 0.5 * min(1.0, (wide - T.SMALL_BOX_SOLID_MIN_FILL + 0.01) / 0.03)
    return UNCERTAIN, 0.25


def classify_fill(fill: float) -> tuple[str, float]:
    """Box state and confidence (0.5-1 inside a zone, 0.25 between zones)."""
    def inside(distance: float) -> float:
        return 0.5 + 0.5 * min(1.0, distance / 0.03)

    if fill <= T.EMPTY_MAX_FILL:
        return EMPTY, inside(T.EMPTY_MAX_FILL - fill + 0.01)
    if fill < T.MARK_MIN_FILL:
        return UNCERTAIN, 0.25
    if fill <= T.MARK_MAX_FILL:
        return MARKED, inside(min(fill - T.MARK_MIN_FILL, T.MARK_MAX_FILL - fill))
    if fill < T.CANCEL_MIN_FILL:
        return UNCERTAIN, 0.25
    return CANCELLED, inside(fill - T.CANCEL_MIN_FILL + 0.01)


def read_boxes(search: BoxSearch, boxes: list[Checkbox],
               back: Callable[[], np.ndarray | None] | None = None, ruled: list | None = None,
               cut: Callable[[], bool] | None = None) -> list[BoxRead]:
    """Measure and classify every box, then judge each against this respondent's own marks.

    Returns one :class:`BoxRead` per box, in order. First each box alone
    (:func:`classify_fill`; small boxes filled past a mark's share by :func:`small_box_state`),
    then :func:`judge_against_respondent`. An 'empty'
    box darker than its page's empty boxes (FAINT_EXCESS_DARKNESS) is uncertain
    when that darkness has a stroke in it: a trace of TRACE_SHORT_MIN_MM or a
    thin line (RIDGE_MIN_CONTRAST). Darkness without either is the back page's
    print showing through the paper or a grey haze, not a mark. An 'empty' box
    holding a pen tap (:func:`holds_dot`: a dot too small for a mark's fill or a
    trace, larger than dust) in a question with no other ink (where it would read
    blank; beside a mark, a dot is as likely a speck, and the mark the answer), or a
    light stroke that a 1-bit scan broke into dots (:func:`scattered_stroke`, any
    question: beside a heavy cross it is the second mark; denser than the dots a halftone scan makes of
    the page's paper, :func:`paper_dots`) is uncertain too.
    The thin-line contrast (:func:`thin_line_contrast`) is measured only where it
    can change an answer: those dark empty boxes, and the empty boxes of a
    question with no other ink (where a faint stroke would otherwise read blank).
    ``back``: gives the print of the sheet's other side as it shows through this page
    (:func:`omr.scan.show_through.back_print`; called only when a box needs it). An empty box
    whose trace or thin line would make it uncertain is measured again without the ink that
    print explains (:func:`omr.scan.show_through.explained_by_back`): the back's heading
    showing through a box is not a stroke; a stroke elsewhere in the box still is.
    On ruled or squared paper the faint
    lines running on through the paper are taken out of the boxes they cross first (:func:`_discount_ruled`;
    ``ruled``, when given, gets the lines found appended, :class:`omr.scan.ruled.RuledLine`).
    ``cut``: given on a 1-bit page (:func:`bilevel`), whether it was cut at a threshold (no halftone paper dots,
    :func:`thresholded`; called only when a box asks, the caller's answer kept for its own use). On such a page an
    'empty' box of a question with no other ink that holds any ink at all
    (:func:`remnant`) is uncertain: what the threshold left of a light pencil mark is a pixel or a few, and
    a thresholded page's empty boxes hold none (bench/hunt/bilevel.py bw_pencil).
    """
    offsets = search.offsets
    evidence = page_evidence(search, boxes)
    empty_darkness = [e.darkness for e in evidence if e.fill <= T.EMPTY_MAX_FILL]
    baseline = float(np.median(empty_darkness)) if empty_darkness else 0.0
    spread = float(np.median(np.abs(np.array(empty_darkness) - baseline))) if empty_darkness else 0.0
    faint_limit = baseline + max(T.FAINT_EXCESS_DARKNESS, 6 * spread)
    states = [small_box_state(window, box, dx, dy, e.fill, *classify_fill(e.fill))
              for window, box, (dx, dy), e in zip(search.windows, boxes, offsets, evidence)]
    lines = _discount_ruled(search, boxes, evidence, states)
    if ruled is not None:
        ruled.extend(lines)
    inked_questions = {box.question for box, (state, _) in zip(boxes, states) if state != EMPTY}
    wanted = [i for i, (box, e, (state, _)) in enumerate(zip(boxes, evidence, states))
              if state == EMPTY and e.core is not None
              and (e.darkness > faint_limit or box.question not in inked_questions)]
    for i, contrast in zip(wanted, _contrasts([evidence[i].core for i in wanted])):
        evidence[i] = replace(evidence[i], ridge=contrast)
    if back is not None:
        _discount_back(boxes, offsets, evidence, states, faint_limit, set(wanted), back)
    reads = []
    # The found places rounded as round(np.float64, 2) rounds each (NumPy's rounding, the same values and
    # type), for all boxes at once (issue #18: ~6 us a NumPy scalar's round, ~200 a page).
    placed_x = np.round(np.array([b.x for b in boxes], np.float64) + offsets[:, 0], 2) if boxes else []
    placed_y = np.round(np.array([b.y for b in boxes], np.float64) + offsets[:, 1], 2) if boxes else []
    paper_dots_once = cache(lambda: _page_paper_dots(search, boxes))  # once a page, when a box asks

    for box, (dx, dy), e, (state, confidence), x, y in zip(boxes, offsets, evidence, states, placed_x, placed_y):
        if state == EMPTY and e.darkness > faint_limit and (
                e.trace_mm >= T.TRACE_SHORT_MIN_MM or e.ridge >= T.RIDGE_MIN_CONTRAST):
            state, confidence = UNCERTAIN, 0.3
        elif state == EMPTY and e.trace_mm > 0 and e.core is not None and (
                (box.question not in inked_questions and holds_dot(e.core))
                or (scattered_stroke(e.core) and scattered_stroke(e.core, paper_dots_once()))):
            state, confidence = UNCERTAIN, 0.3  # a pen tap or a light stroke in pieces, not a sure blank
        elif (cut is not None and state == EMPTY and box.question not in inked_questions and e.core is not None
              and remnant(e.core) and cut()):
            state, confidence = UNCERTAIN, 0.3  # what a threshold left of a light pencil mark
        reads.append(BoxRead(box.question, box.option, state, round(e.fill, 4), round(e.darkness, 4),
                             round(confidence, 3), x, y, box.w, box.h))
    windows = search.windows

    def joined(i: int, j: int) -> bool:
        return (_leaves_toward(windows[i], boxes[i], *offsets[i], boxes[j])
                and _leaves_toward(windows[j], boxes[j], *offsets[j], boxes[i]))

    def pen_ring(i: int) -> bool:
        return ring_pieces(windows[i], boxes[i], *offsets[i]) <= T.CIRCLE_MAX_PIECES

    def intrudes(i: int) -> bool:
        return any(_leaves_toward(windows[i], boxes[i], *offsets[i], boxes[j])
                   for j in neighbours_of_other_questions(boxes, i, T.CORRECTION_NEIGHBOUR_GAP_MM))

    judge_against_respondent(reads, evidence, joined, pen_ring, intrudes)
    doubt_unsure_marks(reads, evidence, lambda i: _leaves_box(windows[i], boxes[i], *offsets[i]), pen_ring)
    for i, r in enumerate(reads):
        if r.state in (MARKED, CANCELLED) and solid_disc(windows[i], boxes[i], *offsets[i]):
            r.state, r.confidence = UNCERTAIN, 0.25  # a hole or a patch over the box: what is under it is unknown
    _doubt_erased(reads, evidence, search, boxes, baseline)
    return reads


def ring_pieces(window: BoxWindow, box: Checkbox, dx: float, dy: float) -> int:
    """How many connected pieces the ink around ``box`` (moved by dx, dy mm) lies in: ink at
    INK_THRESHOLD from RING_NEAR_MM to RING_FAR_MM outside the outline (the band :func:`_ring_share`
    looks at), 8-connected, pieces under CIRCLE_PIECE_MIN_MM2 left out (specks). 0 for a window off
    the page.

    A circle drawn round the box is one or two pen strokes, cut at most where it passes within
    RING_NEAR_MM of the box's corners, with a printed label's letters reaching into the band: 1-4
    pieces. A box ringed by ink that is no circle (a date stamp's letters and frame lines all round
    it, bench/hunt/stamps.py datestamp) lies in many pieces: 6-16 (CIRCLE_MAX_PIECES in omr.tuning).
    """
    if window.paper <= 0 or window.grey.size == 0:
        return 0
    ink = _window_ink(window) >= T.INK_THRESHOLD
    height, width = ink.shape
    cx, cy = (box.x + dx + box.w / 2) * K - window.x0, (box.y + dy + box.h / 2) * K - window.y0
    ys, xs = np.ogrid[:height, :width]
    ox, oy = np.abs(xs - cx) - box.w * K / 2, np.abs(ys - cy) - box.h * K / 2
    outside = np.hypot(np.maximum(ox, 0), np.maximum(oy, 0)) / K  # mm from the outline
    band = ink & (outside >= T.RING_NEAR_MM) & (outside <= T.RING_FAR_MM)
    count, _, stats, _ = components_with_stats(band.view(np.uint8))
    return int(np.count_nonzero(stats[1:, cv2.CC_STAT_AREA] >= T.CIRCLE_PIECE_MIN_MM2 * K * K))


def neighbours_of_other_questions(boxes: list[Checkbox], i: int, gap: float) -> list[int]:
    """Indices of the boxes of other questions than ``boxes[i]``'s whose side faces one of its sides
    at most ``gap`` mm away (overlapping it along that side): the next row's boxes of a scale. ``boxes``:
    Checkboxes, or BoxReads (their found places; anything with question, x, y, w, h in mm)."""
    b = boxes[i]
    out = []
    for j, o in enumerate(boxes):
        if o.question == b.question:
            continue
        along_x = min(b.x + b.w, o.x + o.w) - max(b.x, o.x) > 0
        along_y = min(b.y + b.h, o.y + o.h) - max(b.y, o.y) > 0
        if (along_x and (0 <= o.y - (b.y + b.h) <= gap or 0 <= b.y - (o.y + o.h) <= gap)) or \
                (along_y and (0 <= o.x - (b.x + b.w) <= gap or 0 <= b.x - (o.x + o.w) <= gap)):
            out.append(j)
    return out


def _doubt_erased(reads: list[BoxRead], evidence: list[BoxEvidence], search: BoxSearch, boxes: list[Checkbox],
                  baseline: float) -> None:
    """Make each marked box whose free paper holds an eraser's smear (:func:`erased_beneath`) uncertain,
    in place: what is left of a rubbed-out fill is no answer; a person looks. ``baseline``: the mean
    ink of the page's empty boxes; a question whose own empty boxes are darker (a highlighter, a stain
    over its row) is judged against those. So is a marked box whose line is both much lighter than the
    page's other marks (its stroke darkness under ERASED_STROKE_MAX_SHARE of their median; the same
    pen) and sunk in a grey halo (halo ratio at least ERASED_HALO_MIN_RATIO; :func:`stroke_and_halo`):
    the piece of a tick or cross an eraser left (bench/hunt/rework.py erase_tick); the page's usual line is
    the median of its sharp-edged marks' when that is higher (most marks of a page may be leftovers). Boxes with a small
    inside (:func:`small_inside`) are not judged: a cross covers them."""
    own: dict[str, list[float]] = {}
    for r, e in zip(reads, evidence):
        if r.state == EMPTY and e.fill <= T.EMPTY_MAX_FILL:
            own.setdefault(r.question, []).append(e.darkness)
    # A small box's inside is mostly the pen's stroke, blurred: its lightest tenth is no paper and its
    # stroke no line to compare (tests/test_small_boxes.py: crosses in 2.5-3 mm boxes went to review).
    marked = [i for i, r in enumerate(reads) if r.state == MARKED and not small_inside(boxes[i])]
    windows, marked_boxes = [search.windows[i] for i in marked], [boxes[i] for i in marked]
    offsets = [tuple(search.offsets[i]) for i in marked]
    lines = dict(zip(marked, _strokes_and_halos(windows, marked_boxes, offsets)))
    usual = float(np.median([stroke for stroke, _ in lines.values()])) if lines else 0.0
    # The page's usual line is its pen marks': on a page where most marked boxes are leftovers the median of
    # them all is a leftover's, and none stands under it (bench/hunt/rework.py erase_tick seed 13: 6 of 11 and
    # 7 of 13 marked boxes of a page, 7 stored ok). The marks with a sharp edge (halo under the bound) are the
    # pen's; their median, when higher, is the reference (it only ever makes more boxes uncertain).
    sharp = [stroke for stroke, halo in lines.values() if halo < T.ERASED_HALO_MIN_RATIO]
    if sharp:
        usual = max(usual, float(np.median(sharp)))
    between = _paper_between(windows, marked_boxes, offsets)
    references: dict[str, float] = {}  # each question's once: np.median's overhead a call (#18)
    for i, paper_between in zip(marked, between):
        r = reads[i]
        stroke, halo = lines[i]
        if stroke < T.ERASED_STROKE_MAX_SHARE * usual and halo >= T.ERASED_HALO_MIN_RATIO:
            r.state, r.confidence = UNCERTAIN, 0.25
            continue
        if paper_between < baseline + T.ERASED_GREY_MIN_EXCESS:
            continue  # under any question's reference (never below the baseline): no median needed (#18)
        if r.question not in references:
            references[r.question] = max(baseline, float(np.median(own[r.question]))) \
                if r.question in own else baseline
        if paper_between >= references[r.question] + T.ERASED_GREY_MIN_EXCESS:
            r.state, r.confidence = UNCERTAIN, 0.25


def solid_disc(window: BoxWindow, box: Checkbox, dx: float, dy: float) -> bool:
    """Whether the ink over ``box`` (moved by dx, dy mm) is a solid round patch larger than the box's
    inscribed circle, or a patch covering the box's whole window: a punch hole with the scanner's dark
    lid behind it, a sticker, a burn; not a pen's fill (the box's square) nor a pen's mark.

    :func:`disc_measure` gives the patch's inscribed radius R and the share of the circle of radius
    (1 + DISC_RIM_MARGIN) R around its centre that still lies on it, its longest run left out: a
    disc ends all round at R (share ~0; where it touches a neighbour's ink, one run), a square of
    half side R runs on at its four corners (a fill measures 0.24-0.58). A disc: R at least
    DISC_MIN_RADIUS_MM and that share at most DISC_MAX_RIM_SHARE. Such a box's "fill" says nothing
    of what the respondent did: :func:`read_boxes` makes it uncertain, so its question goes to
    review (bench/hunt paper.py punch: a hole over a marked box beside another mark was read as a
    correction).
    """
    if window.paper <= 0 or window.grey.size == 0:
        return False
    ink = (_window_ink(window) >= T.INK_THRESHOLD).astype(np.uint8)
    centre = ((box.x + dx + box.w / 2) * K - window.x0, (box.y + dy + box.h / 2) * K - window.y0)
    if not _may_hold_disc(ink, centre):
        return False  # most marks (a cross, a tick): no patch deep enough anywhere near the centre
    measured = disc_measure(window, box, dx, dy, ink)
    if measured is None:
        return False
    radius, share = measured
    return radius >= T.DISC_MIN_RADIUS_MM and share <= T.DISC_MAX_RIM_SHARE


# OpenCV's DIST_L2 5 x 5 chamfer mask weighs a diagonal step 1.4 (a=1, b=1.4, c=2.1969: the
# cv::distanceTransform documentation): a zero pixel dx, dy px away (|dx|, |dy| <= h) is at most 1.4 h
# away along the mask's steps, so a pixel whose depth reaches DISC_MIN_RADIUS_MM has no paper in the
# (2h + 1) px square around it for any h with 1.4 h under that depth.
_CHAMFER_DIAGONAL = 1.4


def _may_hold_disc(ink: np.ndarray, centre: tuple[float, float]) -> bool:
    """Whether a window's ink (uint8 0/1 at INK_THRESHOLD, K px/mm) may hold a solid patch as deep as
    DISC_MIN_RADIUS_MM within DISC_CENTRE_MM of ``centre`` (x, y px): some pixel there has ink all over
    the square of half side h px around it, h the largest whole px with h x :data:`_CHAMFER_DIAGONAL`
    under DISC_MIN_RADIUS_MM x K (12 px at 8 px/mm); beyond the window counts as ink.

    A necessary condition for :func:`disc_measure`'s radius to reach DISC_MIN_RADIUS_MM (its opened
    patch lies within the ink, and its depth is a chamfer distance to paper), so :func:`solid_disc`
    gives the same answer without opening and measuring the many marks that fail it (issue #18: a
    pen's cross or tick is 0.3-0.9 mm wide; ~17 marks a page took ~6 ms).
    """
    reach = T.DISC_MIN_RADIUS_MM * K / _CHAMFER_DIAGONAL
    half = int(np.ceil(reach)) - 1
    side = 2 * half + 1
    height, width = ink.shape
    radius = T.DISC_CENTRE_MM * K
    # Only the px within DISC_CENTRE_MM of the centre (on the window) are asked about: their squares
    # are cut out, ink beyond the window as 1.
    x0, x1 = max(int(np.ceil(centre[0] - radius)), 0), min(int(np.floor(centre[0] + radius)) + 1, width)
    y0, y1 = max(int(np.ceil(centre[1] - radius)), 0), min(int(np.floor(centre[1] + radius)) + 1, height)
    if x1 <= x0 or y1 <= y0:
        return False
    cut = np.ones((y1 - y0 + 2 * half, x1 - x0 + 2 * half), np.uint8)
    sx0, sy0 = max(x0 - half, 0), max(y0 - half, 0)
    sx1, sy1 = min(x1 + half, width), min(y1 + half, height)
    cut[sy0 - (y0 - half):sy1 - (y0 - half), sx0 - (x0 - half):sx1 - (x0 - half)] = ink[sy0:sy1, sx0:sx1]
    total = cv2.integral(cut, sdepth=cv2.CV_32S)
    # Ink px in the square centred on each px [y0:y1, x0:x1] of the window.
    square = total[side:, side:] - total[:-side, side:] - total[side:, :-side] + total[:-side, :-side]
    ys, xs = np.arange(y0, y1)[:, None], np.arange(x0, x1)[None, :]
    near = (xs - centre[0]) ** 2 + (ys - centre[1]) ** 2 <= radius ** 2
    return bool(np.any((square == side * side) & near))


def disc_measure(window: BoxWindow, box: Checkbox, dx: float, dy: float,
                 ink: np.ndarray | None = None) -> tuple[float, float] | None:
    """(inscribed radius mm, share of the circle just outside it on the patch) of the solid ink over
    ``box`` (moved by dx, dy mm); None without solid ink there or for a window off the page.

    On the window's ink at INK_THRESHOLD (8 px/mm), opened with a DISC_OPEN_MM disc (the printed
    outline and pen strokes vanish, solid ink stays): the connected patch holding the deepest point
    (farthest from the patch's edge) within DISC_CENTRE_MM of the box's centre; R that depth; the
    share of DISC_RIM_SAMPLES points on the circle of radius (1 + DISC_RIM_MARGIN) R around that point
    lying on the patch or off the window. A patch reaching all four edges of the window (2.3 mm past
    the outline: no pen's fill, which spills at most ~1.2 mm) measures (its depth, 0). ``ink``: the
    window's ink at INK_THRESHOLD (uint8 0/1) when the caller has it already.
    """
    if window.paper <= 0 or window.grey.size == 0:
        return None
    height, width = window.grey.shape
    cx = (box.x + dx + box.w / 2) * K - window.x0
    cy = (box.y + dy + box.h / 2) * K - window.y0
    if ink is None:
        ink = (_window_ink(window) >= T.INK_THRESHOLD).astype(np.uint8)
    size = int(round(T.DISC_OPEN_MM * K)) | 1
    solid = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    depth = cv2.distanceTransform(solid, cv2.DIST_L2, 5)
    ys, xs = np.ogrid[:height, :width]
    near = (xs - cx) ** 2 + (ys - cy) ** 2 <= (T.DISC_CENTRE_MM * K) ** 2
    candidates = np.where(near, depth, 0.0)
    y, x = np.unravel_index(int(np.argmax(candidates)), candidates.shape)
    radius = float(candidates[y, x])
    if radius <= 0:
        return None
    _, labels = cv2.connectedComponents(solid, connectivity=8)
    patch = labels == labels[y, x]
    if patch[0].any() and patch[-1].any() and patch[:, 0].any() and patch[:, -1].any():
        return radius / K, 0.0
    angles = np.linspace(0, 2 * np.pi, T.DISC_RIM_SAMPLES, endpoint=False)
    reach = radius * (1 + T.DISC_RIM_MARGIN)
    px = np.round(x + reach * np.cos(angles)).astype(int)
    py = np.round(y + reach * np.sin(angles)).astype(int)
    off = (px < 0) | (px >= width) | (py < 0) | (py >= height)
    on = off.copy()
    on[~off] = patch[py[~off], px[~off]]
    if on.all():
        return radius / K, 1.0
    # The longest run of points on the patch, round the circle, is left out: a hole touching one
    # neighbour's ink (a filled box in the row above) runs on there only; a square at all four corners.
    start = int(np.argmin(on))  # a point off the patch: runs do not wrap round from here
    rolled = np.roll(on, -start).astype(np.int8)
    edges = np.diff(np.concatenate(([0], rolled, [0])))
    longest = int(np.max(np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1), initial=0))
    return radius / K, float(on.sum() - longest) / len(on)


def holds_dot(core: np.ndarray) -> bool:
    """Whether a box core (the inside trimmed by TRACE_EDGE_TRIM_MM; ink 0..1, h x w px at
    :data:`omr.scan.align.K` px/mm) holds a pen tap: one connected blob of ink above TRACE_INK_LEVEL
    that reaches INK_THRESHOLD and holds at least DOT_MIN_INK_MM2 of ink (summed, page black = 1,
    mm2). A speck of dust (0.2-0.3 mm) holds less than that, scanner noise far less.
    """
    blob = (core >= T.TRACE_INK_LEVEL).astype(np.uint8)
    if not blob.any():
        return False
    count, labels, stats, _ = cv2.connectedComponentsWithStats(blob, connectivity=8)
    # A blob needs at least DOT_MIN_INK_MM2 of ink at most 1 a pixel: skip the smaller ones unseen.
    for label in np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] >= T.DOT_MIN_INK_MM2 * K * K) + 1:
        ink = core[labels == label]
        if ink.max() >= T.INK_THRESHOLD and float(ink.sum()) / (K * K) >= T.DOT_MIN_INK_MM2:
            return True
    return False


def scattered_stroke(core: np.ndarray, paper: float = 0.0) -> bool:
    """Whether a box core (ink 0..1, h x w px at :data:`omr.scan.align.K` px/mm) holds a light stroke
    that a 1-bit scan broke into dots: ink above INK_THRESHOLD in at least SCATTER_MIN_PIECES separate
    pieces whose bounding box spans at least SCATTER_MIN_MM. Dust and photocopier specks are one or two
    pieces close together.

    ``paper``: the page's own dots on blank paper, lone dots per pixel (:func:`paper_dots`; 0 on a grey or
    thresholded scan). A halftone (dithered) scan prints its paper as scattered dots, 1-2 % of the pixels
    (an empty box's core holds 7-16 pieces of them): the pieces count as a stroke only when more than
    ``SCATTER_PAPER_FACTOR`` times as dense as the paper's.
    """
    inked = core >= T.INK_THRESHOLD
    if np.count_nonzero(inked) < T.SCATTER_MIN_PIECES:
        return False
    ys, xs = np.nonzero(inked)
    if max(xs.max() - xs.min(), ys.max() - ys.min()) < T.SCATTER_MIN_MM * K:
        return False
    pieces, _ = cv2.connectedComponents(inked.astype(np.uint8), connectivity=8)
    return pieces - 1 >= T.SCATTER_MIN_PIECES and pieces - 1 > T.SCATTER_PAPER_FACTOR * paper * core.size


def paper_dots(ink: np.ndarray, paper: np.ndarray | None = None) -> float:
    """The density of lone dots on a patch of blank paper: the share of its pixels that are 8-connected pieces
    of ink at INK_THRESHOLD of at most ``PAPER_DOT_MAX_PX`` pixels.

    A halftone (dithered) 1-bit scan turns paper a little greyer than its white point into scattered single
    black pixels (1-2 % of them, bench/hunt/bilevel.py ``--bw dither``); a grey or thresholded scan's paper
    has none. Printed text and pen strokes are larger pieces and do not count (a dithered stroke's loose dots
    along its edges do, a few).

    Args:
        ink: ink (0..1, page black = 1) of the patch, or a bool mask of its inked pixels.
        paper: bool mask (ink's shape) of the pixels to measure; None for all. Ink outside it is left out.

    Returns:
        Lone dots per measured pixel (0.0 when none is measured).
    """
    inked = ink if ink.dtype == bool else ink >= T.INK_THRESHOLD
    if paper is not None:
        inked = inked & paper
    area = ink.size if paper is None else int(np.count_nonzero(paper))
    if area == 0:
        return 0.0
    return _lone_dots(inked) / area


def _lone_dots(inked: np.ndarray) -> int:
    """How many 8-connected pieces of the bool mask ``inked`` hold at most ``PAPER_DOT_MAX_PX`` pixels."""
    _, _, stats, _ = components_with_stats(np.ascontiguousarray(inked).view(np.uint8))
    return int(np.count_nonzero(stats[1:, cv2.CC_STAT_AREA] <= T.PAPER_DOT_MAX_PX))


def _around_boxes(search: BoxSearch, boxes: list[Checkbox]):
    """Each on-page box window's inked pixels (bool, INK_THRESHOLD) and the mask of its paper around the box (the box
    and ``PAPER_DOT_CLEAR_MM`` beyond its outline left out: a mark in it, a stroke running out of it)."""
    c = T.PAPER_DOT_CLEAR_MM
    for window, box, (dx, dy) in zip(search.windows, boxes, search.offsets):
        if window.paper <= 0 or window.grey.size == 0:
            continue
        inked = _window_ink(window) >= T.INK_THRESHOLD
        left, top = int(round((box.x + dx - c) * K)) - window.x0, int(round((box.y + dy - c) * K)) - window.y0
        right = int(round((box.x + dx + box.w + c) * K)) - window.x0
        bottom = int(round((box.y + dy + box.h + c) * K)) - window.y0
        around = np.ones(inked.shape, bool)
        around[max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)] = False
        yield inked, around


def _page_paper_dots(search: BoxSearch, boxes: list[Checkbox]) -> float:
    """:func:`paper_dots` of a page: the median over its boxes' windows (on the page) of the dots on the paper
    around each box (:func:`_around_boxes`). The median: a neighbour's mark or a label in a few windows does not
    move it."""
    densities = [paper_dots(inked, around) for inked, around in _around_boxes(search, boxes)]
    return float(np.median(densities)) if densities else 0.0


def thresholded(search: BoxSearch, boxes: list[Checkbox]) -> bool:
    """Whether a 1-bit page (:func:`bilevel`) was cut at a threshold (a fixed one, Otsu's), not halftoned: around
    its boxes (:func:`_around_boxes`), the lone dots of ink (8-connected pieces of at most ``PAPER_DOT_MAX_PX``
    px) number at most ``CUT_PAGE_MAX_DOT_SHARE`` of the inked pixels. A halftone page dithers the paper's grey
    and the print's blurred edges into lone dots; a threshold cuts them clean. On a thresholded page a light
    pencil mark greyer than the threshold is gone, or leaves a few pixels."""
    dots = inked_px = 0
    for inked, around in _around_boxes(search, boxes):
        inked &= around
        dots += _lone_dots(inked)
        inked_px += int(np.count_nonzero(inked))
    return dots <= T.CUT_PAGE_MAX_DOT_SHARE * inked_px


def remnant(core: np.ndarray) -> bool:
    """Whether a box core (ink 0..1, the inside trimmed by TRACE_EDGE_TRIM_MM) holds any ink at INK_THRESHOLD:
    on a thresholded 1-bit page a box left empty holds none (bench/hunt/bilevel.py bw_plain, bw_tickcross, seeds
    11-13: 0 of 320 empty boxes of unanswered questions), while a light pencil mark the threshold wiped out left
    1-6 pixels in 19 of 63 boxes (bw_pencil, the same seeds; the other 44 left none)."""
    return bool(np.any(core >= T.INK_THRESHOLD))


def faint_strokes_cut(reads: list[BoxRead], ink) -> bool:
    """Whether a thresholded 1-bit page (:func:`thresholded`) shows light strokes its threshold cut up: a box
    read uncertain on a trace too small for a mark (fill at most EMPTY_MAX_FILL: a :func:`remnant`, a stroke in
    dots, a pen tap), or a box holding ink whose core's ink (INK_THRESHOLD, 8-connected) lies in at least
    ``CUT_STROKE_MIN_PIECES`` pieces: a grainy pencil stroke (graphite on the paper's tooth) thresholded.

    Where one light mark of the page was cut up, another may have been wiped out entirely, leaving its box
    white (bench/hunt/bilevel.py bw_pencil seeds 11-13: 44 of 63 wiped pencil marks left no pixel): such a
    page's blanks are no sure blanks.

    Args:
        reads: the page's box reads (x, y, w, h mm as found on the aligned page).
        ink: the aligned page's ink (:class:`omr.scan.align.PageInk`, ``region_mm``).

    Returns:
        True when any box shows it.
    """
    m = T.BOX_INNER_MARGIN_MM + T.TRACE_EDGE_TRIM_MM  # the core, as page_evidence cuts it
    for r in reads:
        if r.state == EMPTY:
            continue
        if r.state == UNCERTAIN and r.fill <= T.EMPTY_MAX_FILL:
            return True
        core = ink.region_mm(r.x + m, r.y + m, r.w - 2 * m, r.h - 2 * m)
        if core.size and cv2.connectedComponents((core >= T.INK_THRESHOLD).astype(np.uint8),
                                                 connectivity=8)[0] - 1 >= T.CUT_STROKE_MIN_PIECES:
            return True
    return False


def _faint_stroke(e: BoxEvidence, faint_limit: float) -> bool:
    """Whether an 'empty' box's trace or thin line makes it uncertain (:func:`read_boxes`'
    dark-box rule or :func:`judge_against_respondent`'s rule 1)."""
    dark = e.darkness > faint_limit and (e.trace_mm >= T.TRACE_SHORT_MIN_MM or e.ridge >= T.RIDGE_MIN_CONTRAST)
    return dark or e.trace_mm >= T.TRACE_MIN_MM or e.ridge >= T.RIDGE_MIN_CONTRAST or (
        e.trace_mm >= T.TRACE_SHORT_MIN_MM and e.fill >= T.TRACE_SHORT_MIN_FILL)


def _discount_back(boxes: list[Checkbox], offsets: np.ndarray, evidence: list[BoxEvidence],
                   states: list[tuple[str, float]], faint_limit: float, measured: set[int],
                   back: Callable[[], np.ndarray | None]) -> None:
    """Measure again, without the back's predicted print, the trace and thin line of each empty
    box that they would make uncertain (in place on ``evidence``). The thin line is measured
    again only where it was measured (``measured``)."""
    todo = [i for i, (e, (state, _)) in enumerate(zip(evidence, states))
            if state == EMPTY and e.core is not None and _faint_stroke(e, faint_limit)]
    if not todo:
        return
    print_ = back()
    if print_ is None:
        return
    trim = int(round(T.TRACE_EDGE_TRIM_MM * K)) / K
    for i in todo:
        box, (dx, dy), e = boxes[i], offsets[i], evidence[i]
        # The core's top-left pixel as page_evidence cuts it (rounded to the pixel grid).
        x_mm = round((box.x + dx + T.BOX_INNER_MARGIN_MM) * K) / K + trim
        y_mm = round((box.y + dy + T.BOX_INNER_MARGIN_MM) * K) / K + trim
        rest = explained_by_back(e.core, print_, x_mm, y_mm)
        if rest is None:
            continue
        ridge = float(thin_line_contrast(rest[None])[0]) if i in measured else e.ridge
        evidence[i] = replace(e, trace_mm=_core_trace_mm(rest), ridge=ridge)


def _discount_ruled(search: BoxSearch, boxes: list[Checkbox], evidence: list[BoxEvidence],
                    states: list[tuple[str, float]]) -> list:
    """Measure again, without the ruled paper's lines (:mod:`omr.scan.ruled`), each box that is empty or too
    lightly filled for a mark (UNCERTAIN under MARK_MIN_FILL) and holds a faint trace, on a page whose boxes
    show such lines at several places (in place on ``evidence`` and ``states``): its fill, trace and core
    (the thin line is measured later on that core). A box whose fill is then that of an empty box is empty.
    A stroke crossing a line keeps what it adds to it. Returns the lines taken out
    (:class:`omr.scan.ruled.RuledLine`), none on a page not ruled."""
    todo = [i for i, (e, (state, _)) in enumerate(zip(evidence, states))
            if e.core is not None and e.trace_mm > 0
            and (state == EMPTY or (state == UNCERTAIN and e.fill < T.MARK_MIN_FILL))]
    if len(todo) < T.RULED_MIN_CANDIDATES:
        return []
    inks, candidates = {}, []
    for i in todo:
        window, box, (dx, dy) = search.windows[i], boxes[i], search.offsets[i]
        inks[i] = _window_ink(window)
        outline = (int(round((box.x + dx) * K)) - window.x0, int(round((box.y + dy) * K)) - window.y0,
                   int(round((box.x + dx + box.w) * K)) - window.x0, int(round((box.y + dy + box.h) * K)) - window.y0)
        candidates.append((i, inks[i], outline, (window.x0, window.y0)))
    m = T.BOX_INNER_MARGIN_MM
    lined = lined_boxes(candidates)
    for i, lines in lined.items():
        window, box, (dx, dy), e = search.windows[i], boxes[i], search.offsets[i], evidence[i]
        ink = without_lines(inks[i], lines)
        left, top = int(round((box.x + dx + m) * K)) - window.x0, int(round((box.y + dy + m) * K)) - window.y0
        right = int(round((box.x + dx + box.w - m) * K)) - window.x0
        bottom = int(round((box.y + dy + box.h - m) * K)) - window.y0
        inside = ink[max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)]
        core = _core(inside)
        if core is None:
            continue
        fill = float(np.count_nonzero(inside >= T.INK_THRESHOLD)) / inside.size
        evidence[i] = replace(e, fill=fill, trace_mm=_core_trace_mm(core), core=core)
        if states[i][0] == UNCERTAIN and fill <= T.EMPTY_MAX_FILL:
            states[i] = classify_fill(fill)
    return [line for lines in lined.values() for line in lines]


def _contrasts(cores: list[np.ndarray]) -> list[float]:
    """thin_line_contrast of each core; cores of one shape are measured together."""
    out = [0.0] * len(cores)
    by_shape: dict[tuple[int, int], list[int]] = {}
    for i, core in enumerate(cores):
        by_shape.setdefault(core.shape, []).append(i)
    for members in by_shape.values():
        for i, value in zip(members, thin_line_contrast(np.stack([cores[i] for i in members]))):
            out[i] = float(value)
    return out


@dataclass(frozen=True)
class BoxEvidence:
    """What one box shows, beyond its fill (issue #14). Ink is on the page's scale (0 paper, 1 black)."""

    fill: float  # share of the inside above INK_THRESHOLD, 0..1
    darkness: float  # mean ink of the inside, 0..1
    stroke: float  # ink of the strokes' core: STROKE_CORE_PERCENTILE of the inked pixels; 0 without any
    trace_mm: float  # longest extent of one connected trace at TRACE_INK_LEVEL inside the box, mm
    coverage: float  # share of the inside's COVERAGE_GRID x COVERAGE_GRID cells holding ink, 0..1
    ring: float  # share of the directions around the box in which ink runs just outside it, 0..1
    strokes_across: float = 0.0  # strokes a line across the box meets (median over lines, best direction)
    ridge: float = 0.0  # thin-line contrast of the core (thin_line_contrast); 0 where not measured
    # The inside trimmed by TRACE_EDGE_TRIM_MM, ink 0..1 (kept for thin_line_contrast, measured only where needed).
    core: np.ndarray | None = field(default=None, repr=False, compare=False)


_NO_EVIDENCE = BoxEvidence(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def page_evidence(search: BoxSearch, boxes: list[Checkbox]) -> list[BoxEvidence]:
    """:func:`box_evidence` of every box of a page (one per box, in order), the same values,
    measured for all windows of one size at once (issue #18: ~100 boxes a page cost ~35 ms of
    CPU box by box): the windows' ink and the rings around the boxes as stacks; fill, darkness
    and whether any ink is there at all from rectangle sums; the stroke measures only for boxes
    holding some ink.
    """
    windows, offsets = search.windows, search.offsets
    evidence = [_NO_EVIDENCE] * len(boxes)
    by_shape: dict[tuple[int, int], list[int]] = {}
    for i, window in enumerate(windows):
        if window.paper > 0 and window.grey.size:
            by_shape.setdefault(window.grey.shape, []).append(i)
    m = T.BOX_INNER_MARGIN_MM
    faint = min(T.TRACE_INK_LEVEL, T.INK_THRESHOLD)
    inked_boxes: list[tuple[int, np.ndarray, float, float, float]] = []  # measured together below
    for members in by_shape.values():
        stack = [windows[i] for i in members]
        ink, rings = _stack_inks_and_rings(stack, [boxes[i] for i in members], offsets[members])
        height, width = ink.shape[1:]
        # The inside of each box on its window, as measure_box cuts it (rounded the same way).
        bx, by = np.array([boxes[i].x for i in members]), np.array([boxes[i].y for i in members])
        bw, bh = np.array([boxes[i].w for i in members]), np.array([boxes[i].h for i in members])
        dx, dy = offsets[members, 0], offsets[members, 1]
        x0, y0 = np.array([w.x0 for w in stack]), np.array([w.y0 for w in stack])
        left = np.clip(np.round((bx + dx + m) * K).astype(np.int64) - x0, 0, width)
        top = np.clip(np.round((by + dy + m) * K).astype(np.int64) - y0, 0, height)
        right = np.clip(np.round((bx + dx + bw - m) * K).astype(np.int64) - x0, 0, width)
        bottom = np.clip(np.round((by + dy + bh - m) * K).astype(np.int64) - y0, 0, height)
        size = np.maximum(right - left, 0) * np.maximum(bottom - top, 0)
        # Rectangle sums on the windows stacked into one tall image: grey < the ink cut-off
        # (grey is whole, so < ceil(cut-off) is the same test), grey itself, and any faint ink.
        grey = np.stack([w.grey for w in stack])
        cutoff = np.ceil([w.ink_cutoff(T.INK_THRESHOLD) for w in stack]).astype(np.int64)
        rows = top + np.arange(len(members)) * height
        row_ends = bottom + np.arange(len(members)) * height

        def rect_sums(image: np.ndarray) -> np.ndarray:
            # 32-bit sums while the whole stack's sum fits (twice as fast), else float64: exact either way.
            depth = cv2.CV_32S if image.size * 255 < 2 ** 31 else cv2.CV_64F
            total = cv2.integral(image.reshape(-1, width), sdepth=depth)
            return (total[row_ends, right] - total[rows, right] - total[row_ends, left]
                    + total[rows, left]).astype(np.int64)

        dark = rect_sums((grey < cutoff[:, None, None]).view(np.uint8))
        grey_sum = rect_sums(grey)
        inked = rect_sums((ink >= faint).view(np.uint8))
        for j, i in enumerate(members):
            if size[j] == 0:
                continue
            window, n = stack[j], int(size[j])
            fill, darkness = int(dark[j]) / n, window.mean_ink(int(grey_sum[j]) / n)
            if not inked[j]:
                # Most boxes of a page: no ink even at the faintest level looked at, so no stroke
                # core, trace, coverage or stroke across (the zeros those measures give).
                # The core is kept: a stroke too faint for that level is looked for by thin_line_contrast.
                evidence[i] = BoxEvidence(fill, darkness, 0.0, 0.0, 0.0, rings[j], 0.0,
                                          core=_core(ink[j, top[j]:bottom[j], left[j]:right[j]]))
            else:
                inked_boxes.append((i, ink[j, top[j]:bottom[j], left[j]:right[j]], fill, darkness, rings[j]))
    if inked_boxes:
        found = _inked_evidences([inside for _, inside, _, _, _ in inked_boxes],
                                 [(fill, darkness, ring) for _, _, fill, darkness, ring in inked_boxes])
        for (i, _, _, _, _), e in zip(inked_boxes, found):
            evidence[i] = e
    return evidence


def box_evidence(window: BoxWindow, box: Checkbox, dx: float, dy: float) -> BoxEvidence:
    """Measure one box moved by (dx, dy) mm on its canonical window (8 px/mm, :data:`omr.align.K`).

    Fill and darkness are :func:`measure_box`'s; the stroke core, the longest
    faint trace, the grid coverage and the ring of ink around the outline are
    what :func:`judge_against_respondent` compares with the respondent's other
    marks. A window off the page gives all zeros. (:func:`page_evidence` measures
    a page's boxes all at once, with the same results.)
    """
    if window.paper <= 0 or window.grey.size == 0:
        return _NO_EVIDENCE
    ink = _window_ink(window)
    return _evidence_on(window, box, dx, dy, ink, _ring_share(ink, box, dx - window.x0 / K, dy - window.y0 / K))


def _window_ink(window: BoxWindow) -> np.ndarray:
    """The window's ink, float32 0..1 (0 its paper, 1 the page's black)."""
    return _ink_of(window, window.grey)


def _ink_of(window: BoxWindow, grey: np.ndarray) -> np.ndarray:
    """Ink, float32 0..1 (0 the window's paper, 1 the page's black), of ``grey`` pixels of ``window``."""
    scale = window.paper * (1.0 - window.black_ratio)
    return np.clip((window.paper - grey.astype(np.float32)) / max(scale, 1e-6), 0.0, 1.0)


def _evidence_on(window: BoxWindow, box: Checkbox, dx: float, dy: float, ink: np.ndarray,
                 ring: float) -> BoxEvidence:
    """:func:`box_evidence` of an on-page window, given its ink (:func:`_window_ink`) and the box's ring share."""
    fill, darkness = measure_box(window, box, dx, dy)
    m = T.BOX_INNER_MARGIN_MM
    left, top = int(round((box.x + dx + m) * K)) - window.x0, int(round((box.y + dy + m) * K)) - window.y0
    right = int(round((box.x + dx + box.w - m) * K)) - window.x0
    bottom = int(round((box.y + dy + box.h - m) * K)) - window.y0
    inside = ink[max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)]
    if inside.size == 0:
        return _NO_EVIDENCE
    return _inked_evidence(inside, fill, darkness, ring)


def _inked_evidence(inside: np.ndarray, fill: float, darkness: float, ring: float) -> BoxEvidence:
    """The evidence of a box from its inside's ink (float32 0..1, non-empty), fill, darkness and ring."""
    inked = inside[inside >= T.INK_THRESHOLD]
    stroke = _percentile(inked, T.STROKE_CORE_PERCENTILE) if inked.size >= T.STROKE_CORE_MIN_PX else 0.0
    return BoxEvidence(fill, darkness, stroke, _longest_trace_mm(inside), _coverage(inside), ring,
                       _strokes_across(inside), core=_core(inside))


def _inked_evidences(insides: list[np.ndarray], measured: list[tuple[float, float, float]]) -> list[BoxEvidence]:
    """:func:`_inked_evidence` of several boxes (insides: ink float32 0..1, non-empty; ``measured``:
    each one's (fill, darkness, ring)), the same values: the grid coverage and the strokes across
    of the insides of one shape measured as a stack, the rest box by box (issue #18)."""
    out: list[BoxEvidence | None] = [None] * len(insides)
    by_shape: dict[tuple[int, int], list[int]] = {}
    for i, inside in enumerate(insides):
        by_shape.setdefault(inside.shape, []).append(i)
    for members in by_shape.values():
        stack = np.stack([insides[i] for i in members])
        inked = stack >= T.INK_THRESHOLD
        coverage, across = _stack_coverage(inked), _stack_strokes_across(inked)
        for j, i in enumerate(members):
            inside, (fill, darkness, ring) = insides[i], measured[i]
            values = inside[inked[j]]
            stroke = _percentile(values, T.STROKE_CORE_PERCENTILE) if values.size >= T.STROKE_CORE_MIN_PX else 0.0
            out[i] = BoxEvidence(fill, darkness, stroke, _longest_trace_mm(inside), coverage[j], ring, across[j],
                                 core=_core(inside))
    return out


def _stack_coverage(inked: np.ndarray) -> list[float]:
    """:func:`_coverage` of each of a stack of insides, given as their pixels at INK_THRESHOLD (m, h, w bool)."""
    n = T.COVERAGE_GRID
    count, h, w = inked.shape
    if h < n or w < n:
        return [0.0] * count
    rows, cols, areas = _coverage_cells(h, w)
    counts = np.add.reduceat(np.add.reduceat(inked, rows, axis=1, dtype=np.int64), cols, axis=2)
    # A box without ink has no cell at COVERAGE_CELL_FILL (> 0): 0, as _coverage says of it.
    return [float(c) / (n * n) for c in np.count_nonzero(counts / areas >= T.COVERAGE_CELL_FILL, axis=(1, 2))]


def _stack_strokes_across(inked: np.ndarray) -> list[float]:
    """:func:`_strokes_across` of each of a stack of insides, given as their pixels at INK_THRESHOLD (m, h, w bool)."""
    best = [0.0] * len(inked)
    for lines in (inked, inked.transpose(0, 2, 1)):
        starts = np.count_nonzero(lines[:, :, 1:] & ~lines[:, :, :-1], axis=2) + lines[:, :, 0]
        crossed = lines.any(axis=2)
        for j in np.flatnonzero(crossed.any(axis=1)):
            best[j] = max(best[j], _median(starts[j][crossed[j]]))
    return best


def _percentile(values: np.ndarray, q: float) -> float:
    """``float(np.percentile(values, q))`` of a 1-d array, the same value, cheaply where it can be.

    NumPy interpolates between the two order statistics around ``(n - 1) q / 100``;
    when they are equal (a dark mark's core: ink clipped at 1), that value is the
    answer, found by one partition (~10x less overhead, ~20 inked boxes a page,
    issue #18). Otherwise NumPy computes it.
    """
    n = values.size
    position = (n - 1) * (q / 100)
    low = int(np.floor(position))
    high = min(low + 1, n - 1)
    ordered = np.partition(values, (low, high))
    if ordered[low] == ordered[high]:
        return float(ordered[low])
    return float(np.percentile(values, q))


def _core(inside: np.ndarray) -> np.ndarray | None:
    """The inside trimmed by TRACE_EDGE_TRIM_MM (a view, ink 0..1), kept for :func:`thin_line_contrast`; None if empty."""
    trim = int(round(T.TRACE_EDGE_TRIM_MM * K))
    core = inside[trim:inside.shape[0] - trim, trim:inside.shape[1] - trim]
    return core if core.size else None


def _stack_inks_and_rings(windows: list[BoxWindow], boxes: list[Checkbox],
                          offsets: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """The ink of equal-sized on-page windows (n, h, w), float32 as :func:`_window_ink` computes
    it, and each box's :func:`_ring_share`, for the whole stack at once (the same values)."""
    # The paper level and scale rounded to float32 first, as NumPy does for a Python float.
    paper = np.array([w.paper for w in windows], np.float32)[:, None, None]
    scale = np.array([max(w.paper * (1.0 - w.black_ratio), 1e-6) for w in windows], np.float32)[:, None, None]
    # In place, the same float32 operations in the same order: no page-sized temporaries.
    ink = np.stack([w.grey for w in windows]).astype(np.float32)
    np.subtract(paper, ink, out=ink)
    np.divide(ink, scale, out=ink)
    np.clip(ink, 0.0, 1.0, out=ink)
    # _ring_share for every box of the stack: its geometry per box, then per inked pixel.
    bx, by = np.array([b.x for b in boxes]), np.array([b.y for b in boxes])
    bw, bh = np.array([b.w for b in boxes]), np.array([b.h for b in boxes])
    dx = offsets[:, 0] - np.array([w.x0 for w in windows]) / K
    dy = offsets[:, 1] - np.array([w.y0 for w in windows]) / K
    cx, cy = (bx + dx + bw / 2) * K, (by + dy + bh / 2) * K
    # Only pixels that can lie in the band are looked at: within RING_FAR_MM of the outline along
    # both axes, and not within RING_NEAR_MM / sqrt(2) along both (a pixel margin either way).
    far, near = T.RING_FAR_MM * K + 1.0, T.RING_NEAR_MM * K / np.sqrt(2.0) - 1.0
    across = np.abs(np.arange(ink.shape[2])[None, :] - cx[:, None]) - (bw * K / 2)[:, None]
    down = np.abs(np.arange(ink.shape[1])[None, :] - cy[:, None]) - (bh * K / 2)[:, None]
    reach = (down <= far)[:, :, None] & (across <= far)[:, None, :]
    reach &= ~((down < near)[:, :, None] & (across < near)[:, None, :])
    # flatnonzero, then the indices: the same pixels in the same order as np.nonzero, which on a
    # 3-d stack took ~2 ms of a page's ~14 ms reading its boxes (issue #18).
    n, ys, xs = np.unravel_index(np.flatnonzero((ink >= T.INK_THRESHOLD) & reach), ink.shape)
    ox, oy = np.abs(xs - cx[n]) - (bw * K / 2)[n], np.abs(ys - cy[n]) - (bh * K / 2)[n]
    outside = np.hypot(np.maximum(ox, 0), np.maximum(oy, 0)) / K
    band = (outside >= T.RING_NEAR_MM) & (outside <= T.RING_FAR_MM)
    n = n[band]
    angles = np.arctan2(ys[band] - cy[n], xs[band] - cx[n])
    sectors = ((angles + np.pi) / (2 * np.pi) * T.RING_DIRECTIONS).astype(int) % T.RING_DIRECTIONS
    seen = np.bincount(np.unique(n * T.RING_DIRECTIONS + sectors) // T.RING_DIRECTIONS, minlength=len(windows))
    return ink, [int(count) / T.RING_DIRECTIONS for count in seen]


@lru_cache(maxsize=1)
def _line_steps() -> tuple[list[np.ndarray], list[tuple[int, int]], int, int]:
    """Per RIDGE_DIRECTIONS direction the (dy, dx) px steps of a RIDGE_LENGTH_MM line and of the side
    offset; then the largest side offset and the padding the lines need (px)."""
    half = int(round(T.RIDGE_LENGTH_MM * K / 2))
    lines, sides = [], []
    for step in range(T.RIDGE_DIRECTIONS):
        angle = np.pi * step / T.RIDGE_DIRECTIONS
        t = np.arange(-half, half + 1)
        lines.append(np.stack([np.round(t * np.sin(angle)), np.round(t * np.cos(angle))], axis=1).astype(int))
        offset = T.RIDGE_OFFSET_MM * K
        sides.append((int(round(offset * np.cos(angle))), int(round(-offset * np.sin(angle)))))
    side = int(np.ceil(T.RIDGE_OFFSET_MM * K))
    return lines, sides, side, half + side


def thin_line_contrast(cores: np.ndarray) -> np.ndarray:
    """Best thin-line contrast in each of a stack of box cores (n, h, w; ink 0..1): (n,).

    For every position and RIDGE_DIRECTIONS directions: the ink along a
    RIDGE_LENGTH_MM line (averaged in RIDGE_SEGMENTS pieces, the faintest piece
    kept), minus the darker of the two parallel lines RIDGE_OFFSET_MM to either
    side (edges mirrored). A thin stroke gives its own ink even when it is under
    TRACE_INK_LEVEL (averaging along the line takes out pixel noise); a uniform
    haze, a speck of dust, the edge of a wide blot and a stroke wider than
    ~2 x RIDGE_OFFSET_MM give ~0. Ink is clipped at 2 x INK_THRESHOLD: only faint
    strokes are looked for here. Cost (loaded 2-core machine): ~1.5 ms for a
    stack of one core, ~3.4 ms for 16; :func:`read_boxes` measures only the
    boxes that need it (office profile: 3.3 a page on average, none on most pages).
    """
    if cores.size == 0:
        return np.zeros(len(cores))
    lines, sides, m, pad = _line_steps()
    n, h, w = cores.shape
    padded = np.pad(np.minimum(cores, 2 * T.INK_THRESHOLD).astype(np.float32), ((0, 0), (pad, pad), (pad, pad)),
                    mode="reflect" if min(h, w) > pad else "edge")
    best = np.full(n, -1.0)
    for steps, (sy, sx) in zip(lines, sides):
        # The line in RIDGE_SEGMENTS pieces, each averaged, and the faintest piece kept:
        # a speck of dust on the line darkens one piece only, a stroke all of them.
        pieces = []
        for piece in np.array_split(steps, T.RIDGE_SEGMENTS):
            total = np.zeros((n, h + 2 * m, w + 2 * m), np.float32)
            for dy, dx in piece:
                total += padded[:, pad - m + dy:pad + h + m + dy, pad - m + dx:pad + w + m + dx]
            pieces.append(total / len(piece))
        line = np.minimum.reduce(pieces)
        centre = line[:, m:m + h, m:m + w]
        side_a = line[:, m + sy:m + sy + h, m + sx:m + sx + w]
        side_b = line[:, m - sy:m - sy + h, m - sx:m - sx + w]
        best = np.maximum(best, (centre - np.maximum(side_a, side_b)).reshape(n, -1).max(axis=1))
    return best


def _strokes_across(inside: np.ndarray) -> float:
    """How many separate strokes a line across the box meets: the median over inked rows
    (and over inked columns), the larger of the two. A cross or a tick is met at most
    twice, a solid fill once; a scribble's back-and-forth strokes three times or more.
    """
    inked = inside >= T.INK_THRESHOLD
    best = 0.0
    if not inked.any():
        return best
    for lines in (inked, inked.T):
        starts = np.count_nonzero(lines[:, 1:] & ~lines[:, :-1], axis=1) + lines[:, 0]
        starts = starts[lines.any(axis=1)]
        if starts.size:
            best = max(best, _median(starts))
    return best


def _median(values: np.ndarray) -> float:
    """``np.median`` of a 1-d integer array, the same value, without its overhead (per box, issue #18)."""
    ordered = np.sort(values)
    n = len(ordered)
    middle = n // 2
    return float(ordered[middle]) if n % 2 else (int(ordered[middle - 1]) + int(ordered[middle])) / 2


def _longest_trace_mm(inside: np.ndarray) -> float:
    """Longest side (mm) of the bounding box of one connected trace of ink at TRACE_INK_LEVEL.

    The inside is trimmed by TRACE_EDGE_TRIM_MM more, so the printed outline's
    blur never makes a trace; a lone speck of dust or JPEG noise is < 1 mm.
    Dots at most ~0.25 mm apart (3 px closing at 8 px/mm) count as one trace.
    """
    trim = int(round(T.TRACE_EDGE_TRIM_MM * K))
    return _core_trace_mm(inside[trim:inside.shape[0] - trim, trim:inside.shape[1] - trim])


def _core_trace_mm(core: np.ndarray) -> float:
    """:func:`_longest_trace_mm` of an inside already trimmed (a box core, ink 0..1)."""
    if core.size == 0:
        return 0.0
    trace = (core >= T.TRACE_INK_LEVEL).astype(np.uint8)
    if not trace.any():  # most empty boxes: no trace to close or count
        return 0.0
    # Pencil grain and 1-bit scans break a light line into dots ~0.25 mm apart: join them.
    trace = cv2.morphologyEx(trace, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    count, _, stats, _ = components_with_stats(trace)
    if count <= 1:
        return 0.0
    return float(np.max(np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]))) / K


def _coverage(inside: np.ndarray) -> float:
    """Share of the grid cells of the inside in which at least COVERAGE_CELL_FILL is ink."""
    n = T.COVERAGE_GRID
    h, w = inside.shape
    if h < n or w < n:
        return 0.0
    inked = inside >= T.INK_THRESHOLD
    if not inked.any():
        return 0.0
    rows, cols, areas = _coverage_cells(h, w)
    counts = np.add.reduceat(np.add.reduceat(inked, rows, axis=0, dtype=np.int64), cols, axis=1)
    return float(np.count_nonzero(counts / areas >= T.COVERAGE_CELL_FILL)) / (n * n)


@lru_cache(maxsize=64)
def _coverage_cells(h: int, w: int) -> tuple[list[int], list[int], np.ndarray]:
    """The first row and column of every COVERAGE_GRID cell of an h x w inside, and each cell's area (px)."""
    n = T.COVERAGE_GRID
    # Cell [h*i//n : h*(i+1)//n] x [w*j//n : w*(j+1)//n], all cells' ink counted at once.
    rows, cols = [h * i // n for i in range(n)], [w * j // n for j in range(n)]
    areas = np.diff(rows + [h])[:, None] * np.diff(cols + [w])[None, :]
    areas.setflags(write=False)
    return rows, cols, areas


def _ring_share(ink: np.ndarray, box: Checkbox, dx: float, dy: float) -> float:
    """Share of RING_DIRECTIONS directions in which ink lies RING_NEAR_MM-RING_FAR_MM outside the outline.

    ``dx``, ``dy`` (mm) place the box on ``ink``'s own pixel grid. A circle
    drawn around the box is ink in nearly every direction; printed labels and
    question text lie on one or two sides only.
    """
    cx, cy = (box.x + dx + box.w / 2) * K, (box.y + dy + box.h / 2) * K
    # Only inked pixels can be in the band: distances and angles are computed for those alone.
    ys, xs = np.nonzero(ink >= T.INK_THRESHOLD)
    ox, oy = np.abs(xs - cx) - box.w * K / 2, np.abs(ys - cy) - box.h * K / 2
    outside = np.hypot(np.maximum(ox, 0), np.maximum(oy, 0)) / K  # mm from the outline
    band = (outside >= T.RING_NEAR_MM) & (outside <= T.RING_FAR_MM)
    if not band.any():
        return 0.0
    angles = np.arctan2(ys[band] - cy, xs[band] - cx)
    sectors = np.unique(((angles + np.pi) / (2 * np.pi) * T.RING_DIRECTIONS).astype(int) % T.RING_DIRECTIONS)
    return len(sectors) / T.RING_DIRECTIONS


def judge_against_respondent(reads: list[BoxRead], evidence: list[BoxEvidence],
                             joined: Callable[[int, int], bool] | None = None,
                             pen_ring: Callable[[int], bool] | None = None,
                             intrudes: Callable[[int], bool] | None = None) -> None:
    """Revise box states (in place) with what this respondent's other marks on the page look like.

    ``joined(i, j)``: whether one pen line runs on from box ``i`` into box ``j`` (indices into
    ``reads``; :func:`read_boxes` gives :func:`_leaves_toward` both ways); None: never asked.
    ``pen_ring(i)``: whether the ink all around box ``i`` is a pen's circle, not lettering and lines
    (:func:`read_boxes`: :func:`ring_pieces` at most CIRCLE_MAX_PIECES); None: never asked.
    ``intrudes(i)``: whether ink in box ``i`` runs out of it toward another question's box within
    CORRECTION_NEIGHBOUR_GAP_MM (:func:`read_boxes`); None: never asked.

    Rules (thresholds and their reasons in :mod:`omr.tuning`, issue #14 block):

    1. A faint trace: an 'empty' box holding one connected trace of at least
       TRACE_MIN_MM (or TRACE_SHORT_MIN_MM with some ink above INK_THRESHOLD),
       or a thin line of contrast RIDGE_MIN_CONTRAST (a stroke too light for
       TRACE_INK_LEVEL; measured by :func:`read_boxes` where no other box of the
       question holds ink), is uncertain (a thin light stroke fills ~4 %, under
       EMPTY_MAX_FILL, and must never be blank with confidence).
    2. A light mark: a marked or filled box whose strokes' core is lighter than
       LIGHT_MARK_SHARE of the respondent's typical ink (the median core of
       the page's inked boxes: marks, and boxes too full for a mark, since a
       felt pen's crosses all are; once there are MIN_MARKS_FOR_HABIT of them)
       is uncertain: erased pencil, a mark the respondent did not mean, or the
       back's ink soaked through the paper.
    3. A scribble: in a question with another plain mark, a box covered
       nearly everywhere (SCRIBBLE_MIN_COVERAGE), at least SCRIBBLE_MIN_FILL
       full and either met by SCRIBBLE_MIN_STROKES strokes across (back and
       forth) or denser than the respondent's typical mark and the question's
       plain marks by SCRIBBLE_FILL_EXCESS, is cancelled, only when the
       evidence is sure (:func:`_sure_cancellation`): the plain marks are as
       dark as the scribble's ink (not a faint ghost), and a box that is only
       denser (no back and forth) is cancelled only beside a plain mark of two
       strokes or more (a cross or a tick, not one stroke through the box or a
       dot) that does not run out of its box toward another question's box
       (``intrudes``: on scale rows 1.5 mm apart, a cross drawn in the gap by the
       row above reaches into this row's box, and beside this row's own heavy
       cross it was stored ok as the correction, bench/hunt/strokes.py outside
       seed 12 sheet 5 D5). Otherwise both stay as read and the question goes to review.
       A mark (plain or scribbled) ``joined`` to a scribbled or filled-in box of
       its question, or to one left 'empty' but for a trace of ink (the same
       strokes run on from one into the other: a zigzag crossing out both, a
       scrawl over both, ending just inside the second) is no answer: it is
       uncertain, and the question goes to review, never read ok as that mark.
    4. A circle: in a question with more than one mark, a marked box with ink
       all around it (CIRCLE_MIN_RING) while its row's median box and the
       question's other marks show at most CIRCLE_ROW_MAX_RING is the one
       meant; the question's other marks are cancelled, unless the circled box is
       ``joined`` to one of them (a zigzag over both rings the first box too), or its ring is
       no pen's circle (``pen_ring`` false: a date stamp's letters and frame all round a box,
       its own "mark" the stamp's digits, bench/hunt/stamps.py datestamp); then the marks stay
       and the question goes to review.
    """
    marks = [i for i, r in enumerate(reads) if r.state == MARKED]
    # The respondent's ink: every box holding a mark's share of ink, however full (a felt pen's
    # crosses are too full for a mark, and a box filled in to cancel is the same pen).
    inks = [i for i, r in enumerate(reads) if r.state in (MARKED, UNCERTAIN, CANCELLED)
            and evidence[i].fill >= T.MARK_MIN_FILL and evidence[i].stroke > 0]
    typical_stroke = float(np.median([evidence[i].stroke for i in inks])) if inks else 0.0
    typical_fill = float(np.median([evidence[i].fill for i in marks])) if marks else 0.0
    know_habit = len(inks) >= T.MIN_MARKS_FOR_HABIT
    for i, (r, e) in enumerate(zip(reads, evidence)):
        if r.state == EMPTY and (e.trace_mm >= T.TRACE_MIN_MM or e.ridge >= T.RIDGE_MIN_CONTRAST or (
                e.trace_mm >= T.TRACE_SHORT_MIN_MM and e.fill >= T.TRACE_SHORT_MIN_FILL)):
            r.state, r.confidence = UNCERTAIN, 0.25
        elif r.state in (MARKED, CANCELLED) and know_habit and e.stroke < T.LIGHT_MARK_SHARE * typical_stroke:
            r.state, r.confidence = UNCERTAIN, 0.25
    by_question: dict[str, list[int]] = {}
    for i, r in enumerate(reads):
        by_question.setdefault(r.question, []).append(i)
    for members in by_question.values():
        inked = [i for i in members if reads[i].state in (MARKED, UNCERTAIN) and evidence[i].fill >= T.MARK_MIN_FILL]
        dense = [i for i in inked if evidence[i].coverage >= T.SCRIBBLE_MIN_COVERAGE
                 and evidence[i].fill >= T.SCRIBBLE_MIN_FILL]

        def heavier_than_the_rest(i: int) -> bool:
            rest = max((evidence[j].fill for j in inked if j != i), default=1.0)
            return evidence[i].fill >= max(typical_fill, rest) + T.SCRIBBLE_FILL_EXCESS

        scribbled = [i for i in dense if evidence[i].strokes_across >= T.SCRIBBLE_MIN_STROKES
                     or heavier_than_the_rest(i)]
        plain = [i for i in inked if i not in scribbled and reads[i].state == MARKED]
        # Boxes a mark's strokes may run on into: scribbled or filled in, or 'empty' but for a trace
        # of ink (the zigzag's end, too little ink for a mark of its own). Two plain marks are
        # already to review (multiple).
        run_into = scribbled + [i for i in members if reads[i].state == CANCELLED
                                or (reads[i].state == EMPTY and evidence[i].trace_mm > 0)]
        run_on = [i for i in members if reads[i].state == MARKED and any(
            joined(i, j) for j in run_into if j != i)] if joined and run_into else []
        if run_on:
            for i in run_on:
                reads[i].state, reads[i].confidence = UNCERTAIN, 0.25
        elif scribbled and plain and _sure_cancellation([evidence[i] for i in scribbled],
                                                      [evidence[i] for i in plain]) and not (
                intrudes is not None and any(evidence[i].strokes_across < T.SCRIBBLE_MIN_STROKES for i in scribbled)
                and any(intrudes(i) for i in plain)):
            for i in scribbled:
                reads[i].state, reads[i].confidence = CANCELLED, 0.6
        marked = [i for i in members if reads[i].state == MARKED]
        circled = [i for i in marked if evidence[i].ring >= T.CIRCLE_MIN_RING]
        if len(marked) > 1 and len(circled) == 1 and len(members) > 1 and not (joined and any(
                joined(circled[0], i) for i in marked if i != circled[0])) and (
                pen_ring is None or pen_ring(circled[0])):
            row = sorted(evidence[i].ring for i in members if i != circled[0])
            others = max(evidence[i].ring for i in marked if i != circled[0])
            if max(row[len(row) // 2], others) <= T.CIRCLE_ROW_MAX_RING:
                for i in marked:
                    if i != circled[0]:
                        reads[i].state, reads[i].confidence = CANCELLED, 0.6


def _leaves_toward(window: BoxWindow, box: Checkbox, dx: float, dy: float, other: Checkbox) -> bool:
    """Whether a pen stroke inside ``box`` (moved by dx, dy mm) runs out of it through the side
    facing ``other`` (the side nearer ``other``'s centre, left/right or top/bottom).

    On the box's window (:class:`omr.scan.align.BoxWindow`, 8 px/mm) at INK_THRESHOLD: a piece
    of ink outside that side, from JOIN_EDGE_GAP_MM (clear of the printed outline) on, running
    at least JOIN_OUT_MIN_MM out (or to the window's edge), with ink inside the box within
    JOIN_INSIDE_MM of the side at most JOIN_ROW_TOLERANCE_MM along it from where the piece
    starts. A cross or a tick drawn inside the box does not; a zigzag running on to the next box
    does. Printed labels start further out than JOIN_EDGE_GAP_MM and do not count. False for a
    window off the page.
    """
    if window.paper <= 0 or window.grey.size == 0:
        return False
    ink = _window_ink(window) >= T.INK_THRESHOLD
    height, width = ink.shape
    dx, dy = float(dx), float(dy)  # the same pixels as NumPy scalars give, rounded ~8x cheaper (#18)
    left, top = int(round((box.x + dx) * K)) - window.x0, int(round((box.y + dy) * K)) - window.y0
    right = int(round((box.x + dx + box.w) * K)) - window.x0
    bottom = int(round((box.y + dy + box.h) * K)) - window.y0
    ex = other.x + other.w / 2 - (box.x + box.w / 2)
    ey = other.y + other.h / 2 - (box.y + box.h / 2)
    # Lines along the side facing ``other``, each running outward; ``edge``: the first column outside.
    if abs(ex) >= abs(ey):
        rows = ink[min(max(top, 0), height):min(max(bottom, 0), height)]
        lines, edge = (rows, right) if ex > 0 else (rows[:, ::-1], width - left)
    else:
        cols = ink[:, min(max(left, 0), width):min(max(right, 0), width)].T
        lines, edge = (cols, bottom) if ey > 0 else (cols[:, ::-1], height - top)
    gap, inside = int(round(T.JOIN_EDGE_GAP_MM * K)), int(round(T.JOIN_INSIDE_MM * K))
    length = lines.shape[1]
    if lines.shape[0] == 0 or edge - gap <= 0 or edge + gap >= length - 1:
        return False
    inner = lines[:, max(edge - inside, 0):edge - gap].any(axis=1)  # lines with ink near the side, inside
    if not inner.any():
        return False
    outer = np.ascontiguousarray(lines[:, edge + gap:]).view(np.uint8)
    reach = min(int(round((T.JOIN_OUT_MIN_MM - T.JOIN_EDGE_GAP_MM) * K)), outer.shape[1] - 1)
    count, labels, stats, _ = components_with_stats(outer)
    tolerance = int(round(T.JOIN_ROW_TOLERANCE_MM * K))
    for c in range(1, count):
        x, width_c = stats[c, cv2.CC_STAT_LEFT], stats[c, cv2.CC_STAT_WIDTH]
        if x > 1 or x + width_c - 1 < reach:
            continue  # not starting at the outline's gap, or not running on out of the box
        starts = np.flatnonzero((labels[:, :2] == c).any(axis=1))
        if inner[max(starts.min() - tolerance, 0):starts.max() + tolerance + 1].any():
            return True
    return False


def _sure_cancellation(scribbled: list[BoxEvidence], plain: list[BoxEvidence]) -> bool:
    """Whether rule 3 of :func:`judge_against_respondent` may cancel the ``scribbled`` boxes of a
    question beside its ``plain`` marks (both non-empty), or must leave the question to a person.

    A cancellation reads the plain mark as the answer with confidence, so both sides must be sure:

    * every plain mark's stroke core is at least CANCEL_PLAIN_MIN_SHARE of the darkest scribbled
      box's: the felt-tip cross of one side soaks through the paper as a ghost at 25-60 % of its
      darkness (hunter, damage4.py felt_soak40/60), which must never become the answer while the
      cross itself is taken for a scribble;
    * a box taken for a scribble only because it is denser than the rest (fewer than
      SCRIBBLE_MIN_STROKES strokes across it: no back and forth) is told from a heavy cross by
      comparison alone; that comparison holds only against a plain mark that is a mark itself, of
      at least CANCEL_PLAIN_MIN_STROKES strokes across (a cross, a tick). Beside one stroke through
      the box (a respondent striking out the options not chosen, hunter pens_habits.py strike_box)
      the heavy box is the cross meant and the stroke the cancellation, the reverse of the rule.
    """
    darkest = max(e.stroke for e in scribbled)
    if any(e.stroke < T.CANCEL_PLAIN_MIN_SHARE * darkest for e in plain):
        return False
    if all(e.strokes_across >= T.SCRIBBLE_MIN_STROKES for e in scribbled):
        return True
    return all(e.strokes_across >= T.CANCEL_PLAIN_MIN_STROKES for e in plain)


def doubt_unsure_marks(reads: list[BoxRead], evidence: list[BoxEvidence],
                       leaves: Callable[[int], bool] | None = None,
                       pen_ring: Callable[[int], bool] | None = None) -> None:
    """Make 'marked' boxes that are not sure deliberate pen marks uncertain (in place), after
    :func:`judge_against_respondent` (its rules 3 and 4 may have cancelled boxes).

    :func:`omr.scan.resolve._resolve_single` reads a cancelled box (filled in, scribbled over) plus one mark as a
    correction, the mark ok: the form says "Muốn sửa: tô kín ô đã đánh dấu nhầm, rồi đánh dấu X
    vào ô khác". That is a sure answer only when the mark is one (bench/hunt marks.py thumb,
    glass.py hair: a thumbprint's ridged edge spilling into a box, or a hair lying across one,
    beside a filled box was stored ok as the answer). Two rules:

    1. A texture: a marked box met by SCRIBBLE_MIN_STROKES strokes across or more (median over
       lines) is no pen's cross, tick, slash or dot (met at most twice): it is the ridges of an
       inked finger (điểm chỉ, a thumbprint 14-19 mm tall spills into the boxes of the rows above
       and below, 6.5 mm apart) or a scribble rule 3 did not cancel. Uncertain, wherever it is,
       when its ink has greys (darkness under TEXTURE_MAX_DARKNESS_SHARE of its fill): a 1-bit
       dithered scan breaks every stroke into black dots, and there a texture tells nothing.
    2. A correction: in a row of boxes (a question, a date's part) with a cancelled box, its one
       marked box is the answer only when its stroke core is at least CANCEL_PLAIN_MIN_SHARE of
       the darkest cancelled box's (the same pen, not a grey smear or a soaked-through ghost) and
       it is drawn inside its box: one stroke (a slash, a dot) or a sliver covering at most
       SLIVER_MAX_COVERAGE of the grid's cells must not run out of it (``leaves(i)`` false: a
       slash or a dot ends within ~0.3 mm of the outline). One line that runs on out of the box
       through a side is a hair on the glass or a crease, and a sliver the rim of an inked blob
       pressed on a neighbouring box (a thumbprint's rim in a box's corner is met by two ridges,
       like a cross, but covers 4 of 16 cells; a cross 7-10, a tick ~6), not an answer. Otherwise
       the mark is uncertain and the question goes to review. A mark with ink all around its box
       (CIRCLE_MIN_RING: circled, rule 4's answer, and ``pen_ring(i)``) is not asked: its circle
       runs out of the box.

    ``reads`` and ``evidence``: one per box of the page, in the same order. ``leaves(i)``: whether
    ink inside box ``i`` runs on out of it through a side (:func:`_leaves_box`); None: never asked
    (a correction's mark must then be met by CANCEL_PLAIN_MIN_STROKES strokes across: a cross or a
    tick). ``pen_ring(i)``: whether box ``i``'s ring is a pen's circle (:func:`judge_against_respondent`);
    None: a ring of CIRCLE_MIN_RING is.
    """
    for r, e in zip(reads, evidence):
        if r.state == MARKED and e.strokes_across >= T.SCRIBBLE_MIN_STROKES \
                and e.darkness < T.TEXTURE_MAX_DARKNESS_SHARE * e.fill:
            r.state, r.confidence = UNCERTAIN, 0.3
    by_row: dict[tuple[str, str], list[int]] = {}  # a date's parts are read one by one (_resolve_date)
    for i, r in enumerate(reads):
        by_row.setdefault((r.question, r.option.split(":")[0] if ":" in r.option else ""), []).append(i)
    for members in by_row.values():
        cancelled = [i for i in members if reads[i].state == CANCELLED]
        marked = [i for i in members if reads[i].state == MARKED]
        if not cancelled or len(marked) != 1:
            continue
        i = marked[0]
        mark = evidence[i]
        same_pen = mark.stroke >= T.CANCEL_PLAIN_MIN_SHARE * max(evidence[j].stroke for j in cancelled)
        if mark.ring >= T.CIRCLE_MIN_RING and (pen_ring is None or pen_ring(i)):
            drawn = True  # circled (rule 4's answer): the circle is what runs out of the box
        elif leaves is not None:
            # A cross or a tick covering a mark's share of the box may touch ink beside it (a circle
            # drawn round the box below): only one stroke, or a sliver, is asked whether it runs out.
            sliver = mark.strokes_across < T.CANCEL_PLAIN_MIN_STROKES or mark.coverage <= T.SLIVER_MAX_COVERAGE
            drawn = not (sliver and leaves(i))
        else:
            drawn = mark.strokes_across >= T.CANCEL_PLAIN_MIN_STROKES
        if not (same_pen and drawn):
            reads[i].state, reads[i].confidence = UNCERTAIN, 0.3


def _leaves_box(window: BoxWindow, box: Checkbox, dx: float, dy: float) -> bool:
    """Whether ink inside ``box`` (moved by dx, dy mm) runs on out of it through any of its four
    sides (:func:`_leaves_toward` toward a box one box width or height beyond each side)."""
    step_x, step_y = box.w + 1.0, box.h + 1.0
    return any(_leaves_toward(window, box, dx, dy, replace(box, x=box.x + sx, y=box.y + sy))
               for sx, sy in ((step_x, 0.0), (-step_x, 0.0), (0.0, step_y), (0.0, -step_y)))


def bilevel(grey: np.ndarray) -> bool:
    """Whether a page image is black and white only (a 1-bit scan: a fax, an office scanner's
    black-and-white or halftone mode), greys lost.

    Args:
        grey: the page (uint8, any size), as flattened for reading.

    Returns:
        True when at most ``BILEVEL_MAX_GREY_SHARE`` of every ``BILEVEL_STEP``-th pixel (both ways) lies
        between ``BILEVEL_EDGE`` and 255 - ``BILEVEL_EDGE``.
    """
    sample = grey[::T.BILEVEL_STEP, ::T.BILEVEL_STEP]
    grey_px = np.count_nonzero((sample > T.BILEVEL_EDGE) & (sample < 255 - T.BILEVEL_EDGE))
    return grey_px <= T.BILEVEL_MAX_GREY_SHARE * sample.size


def partial_mark(inside: np.ndarray) -> bool:
    """Whether a marked box's ink is only a piece of a mark: it spans under ``FRAGMENT_MAX_EXTENT`` of the
    inside's height or of its width, and is no pen's dot.

    A pen's cross, tick or slash spans most of the box both ways (bench/accuracy.py's marks 0.6-1.0 of the
    inside); what an eraser leaves of a fill, a tick or a cross (a band 20-40 % of the box across it, or down
    it, or the crossing of a cross's arms) spans a band. On a grey scan the eraser's smear shows
    (:func:`erased_beneath`, :func:`stroke_and_halo`); a 1-bit scan turns the smear white and the leftover
    black, and it was stored ok as an answer (bench/hunt/bilevel.py bw_erase_partial, bw_erase_tick,
    bw_erase_vband: 29, 55 and 72 SILENT of 465 questions at seed 11). A pen's dot (solid: at least
    ``DOT_MIN_SOLID`` of its bounding box inked, at most ``DOT_MAX_ASPECT`` long for wide, convex (at least
    ``DOT_MIN_CONVEX`` of its hull, :func:`convex_share`) and round, not :func:`cut_straight`, and at least
    ``DOT_MIN_INK_SHARE`` of the box's ink) is a whole mark.
    An eraser's smear cut at its own grey by the threshold, a speckle over the whole box (:func:`speckled`),
    is no mark either, nor a box read marked whose ink, opened, is under ``MARK_MIN_AREA_MM2`` (a halftone
    scan's dots of a smear, bench/hunt/bilevel.py bw_erase_blank seed 12, sheet 4 p2 F3).

    Args:
        inside: ink (float 0..1, page black = 1) of the box less ``FRAGMENT_MARGIN_MM`` a side, K px per mm.

    Returns:
        True for a piece of a mark, or for less ink than a mark's (specks under ``FRAGMENT_SPECK_MM2`` left
        out; the extent measured on pieces of at least ``FRAGMENT_EXTENT_MIN_MM2``); False for a whole one.
    """
    # Opened with a 2 px square: the single dots a halftone (dithered) scan makes of an eraser's grey smear
    # go, a pen's stroke (>= 0.25 mm, 2 px at K 8) stays.
    mask = cv2.morphologyEx((inside >= T.INK_THRESHOLD).astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    n, labels, stats, _ = components_with_stats(mask)
    keep = np.nonzero(stats[1:, cv2.CC_STAT_AREA] >= T.FRAGMENT_SPECK_MM2 * K * K)[0] + 1
    if stats[keep, cv2.CC_STAT_AREA].sum() < T.MARK_MIN_AREA_MM2 * K * K:
        return True  # a box read marked from a halftone's dots: no pen stroke in it
    mask = np.isin(labels, keep)
    if speckled(mask):
        return True
    # The extent is measured on pieces of a pen stroke's size: a dithered smear's few specks beside an eraser's
    # band would stretch it to the whole box (bench/hunt/bilevel.py bw_erase_vband seed 11, sheet 5 p2 E1).
    big = np.nonzero(stats[1:, cv2.CC_STAT_AREA] >= T.FRAGMENT_EXTENT_MIN_MM2 * K * K)[0] + 1
    if not big.size:
        return True  # no piece of a pen stroke's size: scattered specks
    spread = np.isin(labels, big)
    rows, cols = np.nonzero(spread.any(axis=1))[0], np.nonzero(spread.any(axis=0))[0]
    tall, wide = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    if min(tall / mask.shape[0], wide / mask.shape[1]) >= T.FRAGMENT_MAX_EXTENT:
        return band_left(mask)
    patch = mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    dot = patch.mean() >= T.DOT_MIN_SOLID and max(tall, wide) <= T.DOT_MAX_ASPECT * min(tall, wide)
    # A pen's dot is the box's ink; a halftone's dithered smear opened is specks all over the box, one of them
    # (by chance) solid and round (bench/hunt/bilevel.py --bw dither bw_erase_partial seed 11, sheet 6 p2 D3).
    alone = np.count_nonzero(spread) >= T.DOT_MIN_INK_SHARE * np.count_nonzero(mask)
    return not (dot and alone and convex_share(patch) >= T.DOT_MIN_CONVEX and not cut_straight(patch))


def band_left(mask: np.ndarray) -> bool:
    """Whether a box's black (bool (H, W), a 1-bit page's opened ink) is a solid band an eraser left of a fill,
    with a dithered smear beside it: columns (or rows) at least ``BAND_MIN_SOLID`` inked, side by side, under
    ``FRAGMENT_MAX_EXTENT`` of the box, cut sharp on each side that is not the box's edge (the next column at most
    ``BAND_MAX_EDGE`` inked), and the rest of the box under ``BAND_MAX_REST`` inked.

    A halftone page turns an eraser's smear into a net of black joined to the band it left, spanning the whole
    box (bench/hunt/bilevel.py bw_erase_vband seed 11, sheet 5 p2 E1: band columns 0.89-1.0, next to them 0.32
    and 0.43, the rest 0.44). A pen's fill is solid across; a round one fades column by column.
    """
    for lines in (mask.mean(axis=0), mask.mean(axis=1)):
        solid = np.nonzero(lines >= T.BAND_MIN_SOLID)[0]
        if not solid.size or solid[-1] - solid[0] + 1 != solid.size or solid.size >= T.FRAGMENT_MAX_EXTENT * lines.size:
            continue
        first, last = solid[0], solid[-1]
        sharp = ((first == 0 or lines[first - 1] <= T.BAND_MAX_EDGE)
                 and (last == lines.size - 1 or lines[last + 1] <= T.BAND_MAX_EDGE))
        rest = np.delete(lines, solid)
        if sharp and rest.size and rest.mean() < T.BAND_MAX_REST:
            return True
    return False


def convex_share(patch: np.ndarray) -> float:
    """The share (0..1] of its convex hull's pixels that a patch of ink (bool (H, W), not empty) inks.

    A pen's dot is convex (0.94-1.0 measured on 1-bit pages of own variants); what an eraser leaves of a cross's
    crossing, a band through its two arms, is an hourglass, pinched at the middle (0.78-0.84)."""
    hull = np.zeros(patch.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.argwhere(patch)[:, ::-1].astype(np.int32)), 1)
    return float(patch.sum()) / max(1, int(hull.sum()))


def cut_straight(patch: np.ndarray) -> bool:
    """Whether a solid patch of ink (bool (H, W), cropped to its extent) ends in straight cuts on two opposite
    sides: its first and last rows each span at least ``DOT_MAX_EDGE_SHARE`` of its widest row, or its first and
    last columns of its tallest column (a row's span: from its first inked pixel to its last).

    A pen's dot is round: its top and bottom rows are short (measured 0.11-0.64 of the widest on 1-bit pages of
    own variants). What an eraser leaves of a cross's crossing is the band it missed, cut along the band's
    edges (bench/hunt/bilevel.py bw_erase_tick seed 12, sheet 12 p2 G1: 1.0 x 1.5 mm, first and last rows 0.92
    and 1.0 of the widest), solid and about as wide as tall, like a dot.
    """
    def spans(lines: np.ndarray) -> np.ndarray:
        inked = lines.any(axis=1)
        first = np.argmax(lines, axis=1)
        last = lines.shape[1] - 1 - np.argmax(lines[:, ::-1], axis=1)
        return np.where(inked, last - first + 1, 0)

    for lines in (patch, patch.T):
        span = spans(lines)
        if min(span[0], span[-1]) >= T.DOT_MAX_EDGE_SHARE * span.max():
            return True
    return False


def speckled(mask: np.ndarray) -> bool:
    """Whether a box's black (a 1-bit page's ink, opened, specks left out) is a speckle, not pen strokes: the
    inside cut into at least ``SPECKLE_MIN_PIECES`` pieces, black ones (8-connected) and white ones
    (4-connected) counted together.

    White pieces under ``FRAGMENT_SPECK_MM2`` (a halftone page's holes in a pen's stroke) do not count.
    An eraser's grey smear whose grey is the scanner's threshold comes out as a random scatter of black over
    the whole box (bench/hunt/bilevel.py bw_erase_blank seed 11, sheet 13 p2 F1: threshold 168, smear median
    169; 21 black pieces). It spans the box both ways, as a pen's mark does, and is no solid dot; a pen's
    cross, tick, dot or fill is one or two strokes, leaving the white in a few pieces between them.

    Args:
        mask: bool (H, W), the inside's black pixels.

    Returns:
        True for a speckle.
    """
    black = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)[0] - 1
    # White pieces of a speck's size are the holes a halftone (dithered) page leaves in a pen's stroke, not
    # paper between pieces of a smear: left out, as the black specks are (FRAGMENT_SPECK_MM2).
    _, _, stats, _ = cv2.connectedComponentsWithStats((~mask).astype(np.uint8), connectivity=4)
    white = int(np.count_nonzero(stats[1:, cv2.CC_STAT_AREA] >= T.FRAGMENT_SPECK_MM2 * K * K))
    return black + white >= T.SPECKLE_MIN_PIECES


def partial_marks(reads: list[BoxRead], ink, questions: set[str]) -> set[str]:
    """The questions of ``questions`` with a marked box whose ink is a piece of a mark (:func:`partial_mark`).

    Args:
        reads: the page's box reads (x, y, w, h mm as found on the aligned page).
        ink: the aligned page's ink (:class:`omr.scan.align.PageInk`, ``region_mm``).
        questions: the question ids to look at (those read ok).

    Returns:
        Question ids.
    """
    m = T.FRAGMENT_MARGIN_MM
    return {r.question for r in reads if r.state == MARKED and r.question in questions
            and partial_mark(ink.region_mm(r.x + m, r.y + m, r.w - 2 * m, r.h - 2 * m))}
