"""Long straight lines through a box: a crease, a hair, a sheet's edge, a ruled line, not a mark.

A box is read from its inside and the ring just around it (:mod:`omr.scan.read`), so any stroke
across it is a mark: a fold's crease, a hair or another sheet's edge on the scanner glass, or a
line a respondent ruled down a column reads like a slash, and alone in its question it becomes a
confident answer to a question left blank (the silent-error hunt, bench/hunt/README.md, cause 1).
What tells such a line from a pen's mark is what lies *outside* the box: a cross or a tick pokes
1-2 mm out of it, a line runs on for centimetres.

For a box read as marked, :func:`line_through_box` looks for one straight stroke holding most of
its inside's ink (a Hough vote over the inside's ink; a cross or a tick has none) and follows it
outwards on the aligned page: how far beyond the box's outline the line's ink goes on, thin (paper
beside it) and not the form's print. A stroke that runs on for ``LINE_MARK_MIN_RUN_MM`` or more
(both sides together) is a line through the box, not a mark made in it:
:func:`review_lines_through_boxes` sends its question to review. A line across a box that also
holds a cross is not one stroke holding most of the ink: that answer stays as read. Everything is measured in mm on
the aligned page (:class:`omr.scan.align.PageInk`, ``K`` px per mm).

A short hair or fibre (5-15 mm) does not run on far enough for that: lying across a box it is a
slash poking 1-3 mm out, clipping a corner it is a short stroke in one corner. What tells it from
the respondent's pen is its ink: a hair is 0.1-0.3 mm wide, a pen's line 0.3-0.9 mm, and one pen
draws every mark of a page alike. :func:`stroke_width` measures the ink across a box's straight
stroke per mm of its length (:class:`StrokeWidth`); :func:`hairs_among_marks` compares each mark
that is one straight stroke with the thinner quarter of the page's crosses and ticks (the
respondent's pen): much thinner (``HAIR_WIDTH_SHARE``), or thinner (``HAIR_PASSING_WIDTH_SHARE``)
and passing the box by (running on out of it at both ends, or lying along a side, far from its
centre), it is not the respondent's mark and the question goes to review.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

import numpy as np

from omr import tuning as T
from omr.forms.geometry import Checkbox
from omr.forms.layout import PageLayout
from omr.model import AMBIGUOUS, MARKED, OK, BoxRead, PageResult
from omr.scan.align import K, PageInk
from omr.scan.read import _ring_share
from omr.scan.resolve import recalibrate


@dataclass(frozen=True)
class LineThrough:
    """The one straight stroke of a box's inside, and how far it runs on beyond the box.

    ``run_mm``: line ink beyond the box's outline on its longer side (mm; gaps, print not counted);
    ``other_mm``: the same on the other side; ``share``: share of the box's inside ink lying on
    the line (0..1); ``angle``: the line's direction, degrees from the page's x axis (0..180).
    """

    run_mm: float
    other_mm: float
    share: float
    angle: float


def line_through_box(ink: np.ndarray, printed: np.ndarray, box: tuple[float, float, float, float]
                     ) -> LineThrough | None:
    """The straight stroke of a box's inside and how far it runs on beyond the box, or None.

    Args:
        ink: ink (float 0..1) of a window of the aligned page around the box, ``K`` px per mm,
            reaching ``LINE_THROUGH_REACH_MM`` beyond the box where the page allows.
        printed: the form's print over the same window (uint8 0/1, same shape): never a line's ink.
        box: the box on the window (x, y, w, h), px.

    Returns:
        The inside's straight stroke (:func:`straight_stroke`) and how far it runs beyond the box
        (:class:`LineThrough`); None when no one straight stroke holds ``LINE_MARK_OWN_SHARE`` of
        the inside's ink (a cross, a scribble, a dot) or the inside holds too little ink.
    """
    return _line_through((ink >= T.LINE_MARK_INK) & (printed == 0), printed, box)


def _box_inside(shape: tuple[int, ...], box: tuple[float, float, float, float]) -> tuple[int, int, int, int] | None:
    """The pixel rectangle (x0, y0, x1, y1) of ``box`` (x, y, w, h in window px) less
    ``BOX_INNER_MARGIN_MM``, clipped to a window of ``shape`` (h, w, ...); None when nothing is left."""
    h, w = shape[:2]
    bx, by, bw, bh = box
    m = T.BOX_INNER_MARGIN_MM * K
    x0, y0 = max(int(round(bx + m)), 0), max(int(round(by + m)), 0)
    x1, y1 = min(int(round(bx + bw - m)), w), min(int(round(by + bh - m)), h)
    return None if x1 <= x0 or y1 <= y0 else (x0, y0, x1, y1)


def _line_through(mask: np.ndarray, printed: np.ndarray, box: tuple[float, float, float, float],
                  every: bool = True) -> LineThrough | None:
    """:func:`line_through_box` from the window's line ink ``mask`` (bool: ink, not print). With
    ``every``, each direction nearly as good as the best (:func:`straight_stroke`) is followed and
    the one running on furthest kept; else only the best."""
    inside = _box_inside(mask.shape, box)
    if inside is None:
        return None
    x0, y0, x1, y1 = inside
    bx, by, bw, bh = box
    cx, cy = bx + bw / 2, by + bh / 2
    strokes = straight_stroke(mask[y0:y1, x0:x1], (cx - x0, cy - y0), every=True)
    if strokes is None:
        return None
    if not every:
        strokes = strokes[:1]
    best = None
    followed = _runs_along(_line_codes(mask, printed), (cx, cy), [(angle, rho) for angle, rho, _ in strokes], box)
    for (angle, rho, share), runs in zip(strokes, followed):
        run, other = sorted(runs, reverse=True)
        found = LineThrough(round(run / K, 2), round(other / K, 2), round(share, 3),
                            round(float(np.degrees(angle)) % 180, 1))
        if best is None or found.run_mm + found.other_mm > best.run_mm + best.other_mm:
            best = found
    return best


def _ring_ink(mask: np.ndarray, box: tuple[float, float, float, float]) -> int:
    """Line ink pixels of ``mask`` in the ring ``LINE_MARK_RING_MM`` (from, to) beyond the box's
    outline (``box``: x, y, w, h px on the mask), measured square."""
    h, w = mask.shape
    bx, by, bw, bh = box

    def count(grow: float) -> int:
        g = grow * K
        x0, y0 = max(int(round(bx - g)), 0), max(int(round(by - g)), 0)
        x1, y1 = min(int(round(bx + bw + g)), w), min(int(round(by + bh + g)), h)
        return int(np.count_nonzero(mask[y0:y1, x0:x1])) if x1 > x0 and y1 > y0 else 0

    inner, outer = T.LINE_MARK_RING_MM
    return count(outer) - count(inner)


def _band_votes(core: np.ndarray, centre: tuple[float, float]):
    """The Hough vote of :func:`straight_stroke`: for each of ``LINE_MARK_ANGLES`` directions (the
    line's normal, radians 0..pi), the share of ``core``'s ink in the best band ``LINE_MARK_BAND_MM``
    either side of a line and that line's offset from ``centre`` (px along the normal): three arrays
    (angles, share, offset), or None when ``core`` holds fewer than ``LINE_MARK_MIN_PIXELS`` of ink."""
    ys, xs = np.nonzero(core)
    if len(xs) < T.LINE_MARK_MIN_PIXELS:
        return None
    xs = xs - centre[0] + 0.5
    ys = ys - centre[1] + 0.5
    angles = np.arange(T.LINE_MARK_ANGLES) * np.pi / T.LINE_MARK_ANGLES
    rho = xs[None, :] * np.cos(angles)[:, None] + ys[None, :] * np.sin(angles)[:, None]  # (angles, pixels)
    width = 2 * int(round(T.LINE_MARK_BAND_MM * K)) + 1
    # At least one band's width of bins: ink packed within ~2 px of the centre (a dot in the middle of a box)
    # left no band to vote for, and argmax of nothing raised (stop 33).
    reach = max(int(np.ceil(np.abs(rho).max())) + 1, (width - 1) // 2)
    bins = 2 * reach + 1
    index = np.round(rho).astype(np.int64) + reach + np.arange(len(angles))[:, None] * bins
    counts = np.bincount(index.ravel(), minlength=len(angles) * bins).reshape(len(angles), bins)
    summed = np.zeros((len(angles), bins + 1), np.int64)
    np.cumsum(counts, axis=1, out=summed[:, 1:])
    bands = summed[:, width:] - summed[:, :-width]  # the band starting at each bin
    start = np.argmax(bands, axis=1)
    share = bands[np.arange(len(angles)), start] / len(xs)
    offset = start + (width - 1) / 2 - reach
    return angles, share, offset


def straight_stroke(core: np.ndarray, centre: tuple[float, float], every: bool = False,
                    min_share: float = T.LINE_MARK_OWN_SHARE):
    """The straight stroke of a box's inside that holds ``min_share`` (``LINE_MARK_OWN_SHARE``) of its ink, or None.

    A Hough vote: for each of ``LINE_MARK_ANGLES`` directions, the band ``LINE_MARK_BAND_MM`` either
    side of a line that holds the most of the inside's ink (1 px bins of the offset along the
    direction's normal, summed over the band's width); the direction where that share is highest.

    Args:
        core: the inside's line ink (bool, ``K`` px per mm: ink at ``LINE_MARK_INK``, print taken out).
        centre: the box's centre on ``core`` (x, y px).

    Returns:
        (angle of the stroke's normal, radians 0..pi; offset of the line from ``centre`` along that
        normal, px; share of the inside's ink in its band), or None when the inside holds fewer
        than ``LINE_MARK_MIN_PIXELS`` of ink or no one stroke holds ``min_share`` of it (a cross, a
        tick with two arms alike, a scribble; ``min_share`` 0: the best stroke whatever its share,
        one arm of a cross). With ``every``: a list of such tuples, every direction holding within
        ``LINE_MARK_ANGLE_SLACK`` of the best share, the best first.
    """
    votes = _band_votes(core, centre)
    if votes is None:
        return None
    angles, share, offset = votes
    # One stroke holding most of the ink: the best direction, the middle of a run of equal shares
    # (a thick line holds all its ink over several directions) by its neighbours' votes.
    k = int(np.argmax(share + 0.001 * (np.roll(share, 1) + np.roll(share, -1))))
    if share[k] < min_share:
        return None
    if not every:
        return float(angles[k]), float(offset[k]), float(share[k])
    # A short stroke (a line clipping the box's corner) holds its ink over many directions: all of
    # them nearly as good, the best first.
    near = np.nonzero(share >= max(min_share, share[k] - T.LINE_MARK_ANGLE_SLACK))[0]
    near = [k] + [int(j) for j in near[np.argsort(-share[near], kind="stable")] if j != k]
    return [(float(angles[j]), float(offset[j]), float(share[j])) for j in near]


def _line_codes(mask: np.ndarray, printed: np.ndarray) -> np.ndarray:
    """What :func:`_runs` reads off a window: 1 line ink (``mask``), 2 print (``printed``), 0 paper, as uint8
    (h + 2, w + 2) with a border of one paper pixel all round, which stands for everything off the window."""
    h, w = mask.shape
    codes = np.zeros((h + 2, w + 2), np.uint8)
    codes[1:-1, 1:-1] = mask.astype(np.uint8) | (printed.astype(np.uint8) << 1)
    return codes


def _runs(mask: np.ndarray, printed: np.ndarray, centre: tuple[float, float], angle: float, rho: float,
          box: tuple[float, float, float, float], max_gap_mm: float = T.LINE_MARK_MAX_GAP_MM,
          codes: np.ndarray | None = None) -> tuple[float, float]:
    """Line ink (px) beyond the box on each side along the line at ``angle`` (its normal's angle,
    radians) and offset ``rho`` (px from ``centre`` along the normal): :func:`_runs_along` of one line.
    ``codes``: :func:`_line_codes` of ``mask`` and ``printed`` when the caller has them (made here otherwise)."""
    if codes is None:
        codes = _line_codes(mask, printed)
    return _runs_along(codes, centre, [(angle, rho)], box, max_gap_mm)[0]


def _runs_along(codes: np.ndarray, centre: tuple[float, float], lines: list[tuple[float, float]],
                box: tuple[float, float, float, float], max_gap_mm: float = T.LINE_MARK_MAX_GAP_MM) -> list[tuple[float, float]]:
    """For each line (``lines``: (angle of its normal, radians; offset ``rho``, px from ``centre`` along the
    normal)), line ink (px) beyond the box on each side along it, on a window's :func:`_line_codes`.

    The line is followed outwards in steps of ``LINE_MARK_STEP_MM`` while each step finds ink
    within a band around it (``LINE_MARK_BAND_MM``, widening by ``LINE_MARK_BEND`` per mm: a hair
    bends) with paper ``LINE_MARK_CLEAR_MM`` beside the band on at least one side (a line, not a
    blot), or the form's print over it (print is neither line nor gap: a line crosses the labels
    and the next boxes' outlines), until a gap longer than ``max_gap_mm`` (``LINE_MARK_MAX_GAP_MM``). Only steps of
    line ink count. Off the window is a gap. The lines are followed together (one array operation for all
    the directions a box's stroke is followed in, not one each); a shorter line's missing steps lie past
    its last, in the trailing gap, and count for nothing.
    """
    h, w = codes.shape[0] - 2, codes.shape[1] - 2
    count = len(lines)
    angle = np.array([a for a, _ in lines])
    rho = np.array([r for _, r in lines])
    normal = np.stack([np.cos(angle), np.sin(angle)], 1)  # (k, 2)
    along = np.stack([-normal[:, 1], normal[:, 0]], 1)
    foot = np.array(centre)[None, :] + rho[:, None] * normal
    step = T.LINE_MARK_STEP_MM * K
    reach = T.LINE_THROUGH_REACH_MM * K + np.hypot(box[2], box[3]) / 2
    lengths = [len(np.arange(step, reach + abs(r), step)) for r in rho.tolist()]  # n steps a side, per line
    n = max(lengths)
    s = np.arange(step, reach + float(np.abs(rho).max()), step)[:n]  # px; each line's own are its first
    s = np.concatenate([s, -s])  # both sides: n steps each
    points = foot[:, None, :] + s[None, :, None] * along[:, None, :]  # (k, 2n, 2) x, y px
    real = np.concatenate([np.arange(n)] * 2)[None, :] < np.array(lengths)[:, None]  # (k, 2n) steps of the line
    bx, by, bw, bh = box
    inside = (points[..., 0] >= bx) & (points[..., 0] <= bx + bw) & (points[..., 1] >= by) \
        & (points[..., 1] <= by + bh) & real
    # Distance beyond the box along the line (px), per step: steps past the last one inside the box.
    sides = inside.reshape(count, 2, n)
    last = np.where(sides.any(axis=2), n - 1 - np.argmax(sides[:, :, ::-1], axis=2), -1)  # (k, 2)
    beyond = (np.arange(n)[None, None, :] > last[:, :, None]).reshape(count, 2 * n)
    first = last + 1  # the first step beyond, per side (a line's last step is always beyond the box)
    distance = (np.arange(n)[None, None, :] - first[:, :, None]).clip(min=0).reshape(count, 2 * n) * step
    band = T.LINE_MARK_BAND_MM * K + T.LINE_MARK_BEND * distance  # (k, 2n) half-width, px
    widest = int(np.ceil(band[real].max()))
    near = np.arange(-widest, widest + 1)
    clear = T.LINE_MARK_CLEAR_MM * K
    beside = np.stack([-band - clear - 0.5 * K, -band - clear, band + clear, band + clear + 0.5 * K], 2)
    offsets = np.concatenate([np.broadcast_to(near, (count, 2 * n, len(near))), beside], 2)  # (k, 2n, m + 4)
    xy = points[:, :, None, :] + offsets[..., None] * normal[:, None, None, :]
    xi, yi = np.floor(xy[..., 0]).astype(np.int64), np.floor(xy[..., 1]).astype(np.int64)
    # Off the window: the border's paper (index 0 or w + 1, h + 1 of the bordered codes).
    values = codes[np.clip(yi, -1, h) + 1, np.clip(xi, -1, w) + 1]
    m = len(near)
    banded = np.where(np.abs(near)[None, None, :] <= band[..., None], values[..., :m], 0)
    on = (banded & 1).any(axis=2)
    over_print = (banded & 2).any(axis=2)
    wide = values[..., m:] & 1
    line = on & ~(wide[..., :2].any(axis=2) & wide[..., 2:].any(axis=2)) & ~over_print
    gap = ((~line & ~over_print & beyond) | ~real).tolist()
    counted = (line & beyond & real).tolist()
    limit = max(1, int(round(max_gap_mm * K / step)))
    out = []
    for k in range(count):
        both = []
        for lo in (0, n):
            # Stop at the first run of gap steps longer than the allowed gap.
            stop, run = n, 0
            for j in range(n):
                if gap[k][lo + j]:
                    run += 1
                    continue
                if run > limit:
                    break
                run = 0
            if run > limit:
                stop = j - run + (1 if gap[k][lo + j] else 0)
            both.append(float(sum(counted[k][lo:lo + stop])) * step)
        out.append((both[0], both[1]))
    return out


def struck_through(ink: np.ndarray, printed: np.ndarray, box: tuple[float, float, float, float],
                   level: float = T.LINE_MARK_INK) -> LineThrough | None:
    """A level stroke striking a box's mark out: across the whole box and on out of both its sides.

    A respondent who changes their mind often strikes the crossed box out with a line along the row
    («gạch đi») instead of filling it in as the form asks, then shows the answer meant elsewhere (an
    arrow to another box, the option's number written beside it). The struck box still holds a
    cross: read alone it was stored ok as the answer withdrawn (bench/hunt/respond.py arrow,
    number: 29 and 83 SILENT of 465 questions). A cross's or a tick's arms run diagonally and poke
    out of the box at one end each; a stroke within ``STRIKE_MAX_SLOPE_DEG`` of level holding
    ``STRIKE_MIN_SHARE`` of the inside's ink and running on ``STRIKE_MIN_OUT_MM`` or more beyond the
    outline on *both* sides (:func:`_runs`: thin line ink, print neither ink nor gap, no gap longer
    than ``STRIKE_MAX_GAP_MM``: a strike runs on from the outline) is none of them. A box circled (ink
    around it in ``CIRCLE_MIN_RING`` of the directions, :func:`omr.scan.read._ring_share`, the print
    left out) is not asked: the circle crosses the level on both sides, 0.5-1.5 mm out.

    Args:
        ink: ink (float 0..1) of a window of the aligned page around the box, ``K`` px per mm,
            reaching ``STRIKE_REACH_MM`` beyond the box where the page allows.
        printed: the form's print over the same window (uint8 0/1, same shape).
        box: the box on the window (x, y, w, h), px.
        level: the least ink of a strike (LINE_MARK_INK; on ruled paper RULED_MAX_INK, over the paper's lines).

    Returns:
        The level stroke (:class:`LineThrough`: ``other_mm`` its shorter run beyond the box), or None.
    """
    mask = (ink >= level) & (printed == 0)
    inside = _box_inside(mask.shape, box)
    if inside is None:
        return None
    x0, y0, x1, y1 = inside
    bx, by, bw, bh = box
    # Cheap first look (most marks end here): line ink just beyond the left and the right side.
    near, far = int(round(bx - T.STRIKE_MIN_OUT_MM * K)), int(round(bx + bw + T.STRIKE_MIN_OUT_MM * K))
    rows = slice(max(int(by), 0), int(by + bh) + 1)
    if near < 0 or far >= mask.shape[1] or not mask[rows, near:int(bx)].any() \
            or not mask[rows, int(bx + bw) + 1:far + 1].any():
        return None
    cx, cy = bx + bw / 2, by + bh / 2
    votes = _band_votes(mask[y0:y1, x0:x1], (cx - x0, cy - y0))
    if votes is None:
        return None
    angles, share, offset = votes
    level = np.abs(angles - np.pi / 2) <= np.radians(T.STRIKE_MAX_SLOPE_DEG) + 1e-9  # normal near vertical
    for k in np.nonzero(level)[0][np.argsort(-share[level], kind="stable")]:
        if share[k] < T.STRIKE_MIN_SHARE:
            break
        run, other = sorted(_runs(mask, printed, (cx, cy), float(angles[k]), float(offset[k]), box,
                                  T.STRIKE_MAX_GAP_MM), reverse=True)
        if other / K >= T.STRIKE_MIN_OUT_MM:
            ring = Checkbox("", "", bx / K, by / K, bw / K, bh / K)  # the box in mm on the window
            if _ring_share(np.where(printed == 0, ink, 0.0), ring, 0.0, 0.0) >= T.CIRCLE_MIN_RING:
                return None  # circled (ink all around the box): the circle crosses the level, no strike
            return LineThrough(round(run / K, 2), round(other / K, 2), round(float(share[k]), 3),
                               round(float(np.degrees(angles[k])) % 180, 1))
    return None


def _print_at(printed: np.ndarray, shift: tuple[float, float], px0: int, py0: int, px1: int,
              py1: int) -> np.ndarray:
    """The form's print over the page's px [py0:py1, px0:px1], moved by ``shift`` (mm): uint8 0/1."""
    out = np.zeros((py1 - py0, px1 - px0), np.uint8)
    sx, sy = int(round(shift[0] * K)), int(round(shift[1] * K))
    ph, pw = printed.shape
    ax0, ay0 = max(px0 - sx, 0), max(py0 - sy, 0)
    ax1, ay1 = min(px1 - sx, pw), min(py1 - sy, ph)
    if ax1 > ax0 and ay1 > ay0:
        out[ay0 + sy - py0:ay1 + sy - py0, ax0 + sx - px0:ax1 + sx - px0] = printed[ay0:ay1, ax0:ax1]
    return out


def lines_through_marks(reads: list[BoxRead], ink: PageInk, printed: np.ndarray,
                        shifts: dict[str, tuple[float, float]], boxes: list[int],
                        thorough: bool = False) -> dict[int, LineThrough]:
    """:func:`line_through_box` of the boxes ``boxes`` (indices into ``reads``) on the aligned page.

    Args:
        reads: the page's box reads (position on the aligned page, mm).
        ink: the aligned page's ink (only windows around the boxes are looked at).
        printed: :func:`omr.scan.form_print.printed_mask` of the page (uint8 0/1, layout at K px/mm).
        shifts: question -> (dx, dy) mm the question's boxes were found from their layout places:
            the print around them moved with them.
        boxes: which reads to look at.
        thorough: the first look just around the box follows every direction nearly as good as the best
            (:func:`straight_stroke`), not the best alone. A thin line inside a box of a form designed
            elsewhere (2.5 mm inside) fits the 0.5 mm band at many angles, the level one not first among
            them: seen only at the best one, the line "ends" at the box (bench/hunt/elsewhere.py stray,
            seed 12, office checkboxes-portrait/1 Q4).

    Returns:
        Box index -> its line, for the boxes whose ink is mostly one straight stroke
        (``LINE_MARK_OWN_SHARE``) running on ``LINE_MARK_MIN_RUN_MM`` or more beyond them, both
        sides together.
    """
    page_h, page_w = ink.shape
    found = {}
    for i in boxes:
        r = reads[i]
        shift = shifts.get(r.question, (0.0, 0.0))
        # A first look just around the box: most marks are crosses and ticks (no one straight stroke)
        # or end within a mm or two of the box; the whole window only for a stroke that runs on.
        line = None
        for reach in (T.LINE_MARK_FIRST_LOOK_MM, T.LINE_THROUGH_REACH_MM):
            px0, py0 = max(0, int((r.x - reach) * K)), max(0, int((r.y - reach) * K))
            px1, py1 = min(page_w, int((r.x + r.w + reach) * K)), min(page_h, int((r.y + r.h + reach) * K))
            if px1 <= px0 or py1 <= py0:
                break
            printed_here = _print_at(printed, shift, px0, py0, px1, py1)
            mask = (ink.region(px0, py0, px1, py1) >= T.LINE_MARK_INK) & (printed_here == 0)
            box = (r.x * K - px0, r.y * K - py0, r.w * K, r.h * K)
            if reach == T.LINE_MARK_FIRST_LOOK_MM and _ring_ink(mask, box) < T.LINE_MARK_MIN_RING_PIXELS:
                break  # nothing leaves the box: no line runs on from it
            line = _line_through(mask, printed_here, box, every=thorough or reach == T.LINE_THROUGH_REACH_MM)
            if line is None or line.run_mm < T.LINE_MARK_FOLLOW_MM:
                line = None
                break
        if line is not None and line.run_mm + line.other_mm >= T.LINE_MARK_MIN_RUN_MM:
            found[i] = line
    return found


@dataclass(frozen=True)
class StrokeWidth:
    """A box's best straight stroke (:func:`straight_stroke`, whatever its share) and its ink.

    ``width_mm``: the stroke's ink summed across it, per mm along it (ink 0..1 times mm: a black
    line 0.4 mm wide gives 0.4, a mid-grey one 0.2), the median over its length inside the box;
    ``length_mm``: its length inside the box (mm along it holding its ink; the inside is 3.5 mm
    square); ``offset_mm``: its line's distance from the box's centre (mm); ``share``: share of the
    inside's ink on it (0..1).
    """

    width_mm: float
    length_mm: float
    offset_mm: float
    share: float


def stroke_width(ink: np.ndarray, printed: np.ndarray, box: tuple[float, float, float, float]) -> StrokeWidth | None:
    """The best straight stroke of a box's inside and the ink across it, or None (no ink).

    Args:
        ink: ink (float 0..1) of a window of the aligned page holding the box, ``K`` px per mm.
        printed: the form's print over the same window (uint8 0/1, same shape): never a stroke's ink.
        box: the box on the window (x, y, w, h), px.

    The inside (less ``BOX_INNER_MARGIN_MM``) is cut into 1 px slices across the stroke's direction;
    each slice's ink within ``LINE_MARK_BAND_MM`` of the stroke (pixels of at least
    ``STROKE_WIDTH_INK_FLOOR``: paper's noise left out) is summed: the ink across the stroke there,
    blur and anti-aliasing included. The median over the slices the stroke crosses leaves out where
    a cross's other arm meets it. Returns None when the inside holds fewer than
    ``LINE_MARK_MIN_PIXELS`` of line ink.
    """
    inside_box = _box_inside(ink.shape, box)
    if inside_box is None:
        return None
    x0, y0, x1, y1 = inside_box
    bx, by, bw, bh = box
    inside = np.where(printed[y0:y1, x0:x1] == 0, ink[y0:y1, x0:x1], 0.0)
    line = inside >= T.LINE_MARK_INK
    centre = (bx + bw / 2 - x0, by + bh / 2 - y0)
    found = straight_stroke(line, centre, min_share=0.0)
    if found is None:
        return None
    angle, rho, share = found
    ys, xs = np.mgrid[0:y1 - y0, 0:x1 - x0]
    xs = xs - centre[0] + 0.5
    ys = ys - centre[1] + 0.5
    across = xs * np.cos(angle) + ys * np.sin(angle) - rho
    along = np.round(ys * np.cos(angle) - xs * np.sin(angle)).astype(np.int64)
    along -= along.min()
    band = np.abs(across) <= T.LINE_MARK_BAND_MM * K
    sums = np.bincount(along.ravel(), np.where(band & (inside >= T.STROKE_WIDTH_INK_FLOOR), inside, 0.0).ravel())
    crossed = np.bincount(along.ravel(), (band & line).ravel()) > 0
    return StrokeWidth(round(float(np.median(sums[crossed])) / K, 3), round(int(crossed.sum()) / K, 3),
                       round(abs(rho) / K, 3), round(share, 3))


def stroke_widths(windows: list[tuple[np.ndarray, np.ndarray, tuple[float, float, float, float]] | None]
                  ) -> list[StrokeWidth | None]:
    """:func:`stroke_width` of each of several windows ((ink, printed, box) as it takes them, or None:
    None back), the same values, measured together (issue #18: ~17 marked boxes a page cost ~0.4 ms
    each one by one, mostly NumPy's overhead per call).

    Every box's inside pixels are laid end to end and each step is one NumPy call over all of them:
    the same element-wise arithmetic in the same order, and the sums of :func:`stroke_width` taken
    by ``np.bincount`` into separate bins per box, accumulated in the same pixel order.
    """
    out: list[StrokeWidth | None] = [None] * len(windows)
    insides, lines, centres, members = [], [], [], []
    for i, window in enumerate(windows):
        if window is None:
            continue
        ink, printed, box = window
        inside_box = _box_inside(ink.shape, box)
        if inside_box is None:
            continue
        x0, y0, x1, y1 = inside_box
        bx, by, bw, bh = box
        inside = np.where(printed[y0:y1, x0:x1] == 0, ink[y0:y1, x0:x1], 0.0)
        line = inside >= T.LINE_MARK_INK
        if np.count_nonzero(line) < T.LINE_MARK_MIN_PIXELS:
            continue  # straight_stroke finds nothing: no stroke
        insides.append(inside)
        lines.append(line)
        centres.append((bx + bw / 2 - x0, by + bh / 2 - y0))
        members.append(i)
    if not members:
        return out
    found = _straight_strokes(lines, centres)
    for j, i in enumerate(members):
        if found[j] is None:  # too few bins for a band: measured alone, as stroke_width would
            out[i] = stroke_width(*windows[i])
    keep = [j for j in range(len(members)) if found[j] is not None]
    if not keep:
        return out
    # Every kept inside's pixels, end to end (row-major, as stroke_width ravels them); each box's
    # cosine and sine taken of its own angle as a scalar, as stroke_width takes them.
    ys, xs = [], []
    for j in keep:
        h, w = insides[j].shape
        ys.append(np.repeat(np.arange(h), w))
        xs.append(np.tile(np.arange(w), h))
    sizes = [len(x) for x in xs]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])

    def each(values) -> np.ndarray:
        return np.repeat(np.array(values, np.float64), sizes)

    cos, sin = each([np.cos(found[j][0]) for j in keep]), each([np.sin(found[j][0]) for j in keep])
    rho = each([found[j][1] for j in keep])
    xs = np.concatenate(xs) - each([centres[j][0] for j in keep]) + 0.5
    ys = np.concatenate(ys) - each([centres[j][1] for j in keep]) + 0.5
    inside = np.concatenate([insides[j].ravel() for j in keep])
    line = np.concatenate([lines[j].ravel() for j in keep])
    across = xs * cos + ys * sin - rho
    along = np.round(ys * cos - xs * sin).astype(np.int64)
    low = np.minimum.reduceat(along, starts)
    span = np.maximum.reduceat(along, starts) - low + 1
    base = np.concatenate([[0], np.cumsum(span)[:-1]])
    along += np.repeat(base - low, sizes)
    band = np.abs(across) <= T.LINE_MARK_BAND_MM * K
    sums = np.bincount(along, np.where(band & (inside >= T.STROKE_WIDTH_INK_FLOOR), inside, 0.0))
    crossed = np.bincount(along, band & line) > 0
    for n, j in enumerate(keep):
        part = slice(int(base[n]), int(base[n] + span[n]))
        hit = crossed[part]
        _, offset, share = found[j]
        out[members[j]] = StrokeWidth(round(_float_median(sums[part][hit]) / K, 3),
                                      round(int(hit.sum()) / K, 3), round(abs(offset) / K, 3), round(share, 3))
    return out


def _float_median(values: np.ndarray) -> float:
    """``float(np.median(values))`` of a 1-d float64 array without NaN, the same value (the middle one,
    or the two middle ones' sum halved, as NumPy's mean of two), without its overhead."""
    if values.size == 0:
        return float("nan")
    ordered = np.sort(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else float((ordered[middle - 1] + ordered[middle]) / 2)


def _straight_strokes(cores: list[np.ndarray], centres: list[tuple[float, float]]) -> list[tuple | None]:
    """:func:`straight_stroke` (``min_share`` 0, the best direction only) of several insides, each
    holding at least ``LINE_MARK_MIN_PIXELS`` of line ink, the same values; None for one whose vote
    has fewer bins than a band (:func:`stroke_widths` measures it alone)."""
    counts = []
    ys_all, xs_all = [], []
    for core, centre in zip(cores, centres):
        ys, xs = np.nonzero(core)
        xs_all.append(xs - centre[0] + 0.5)
        ys_all.append(ys - centre[1] + 0.5)
        counts.append(len(xs))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    xs, ys = np.concatenate(xs_all), np.concatenate(ys_all)
    angles = np.arange(T.LINE_MARK_ANGLES) * np.pi / T.LINE_MARK_ANGLES
    rho = xs[None, :] * np.cos(angles)[:, None]  # (angles, pixels)
    rho += ys[None, :] * np.sin(angles)[:, None]
    reach = np.ceil(np.maximum.reduceat(np.maximum(rho.max(axis=0), -rho.min(axis=0)), starts)).astype(np.int64) + 1
    bins = 2 * reach + 1
    width = 2 * int(round(T.LINE_MARK_BAND_MM * K)) + 1
    n_angles = len(angles)
    # Each box's votes: n_angles rows of its own bins, the boxes' blocks end to end (whole numbers
    # added to the rounded offsets in float64 are exact, so the bins are straight_stroke's).
    block = np.concatenate([[0], np.cumsum(n_angles * bins)[:-1]])
    sizes = np.array(counts)
    index = np.round(rho, out=rho)
    index += np.repeat(reach + block, sizes)[None, :]
    index += np.arange(n_angles)[:, None] * np.repeat(bins, sizes)[None, :]
    votes = np.bincount(index.astype(np.int64).ravel(), minlength=int((n_angles * bins).sum()))
    summed = np.concatenate([[0], np.cumsum(votes)])
    # The band starting at each bin of each (box, direction) row: starts 0 .. bins - width.
    row_start = (block[:, None] + np.arange(n_angles)[None, :] * bins[:, None]).ravel()
    row_starts = np.repeat(bins - width + 1, n_angles)
    longest = int(max(row_starts.max(), 1))
    position = row_start[:, None] + np.arange(longest)[None, :]
    valid = np.arange(longest)[None, :] < row_starts[:, None]
    position = np.where(valid, position, 0)
    bands = np.where(valid, summed[np.minimum(position + width, len(summed) - 1)] - summed[position], -1)
    start = np.argmax(bands, axis=1)
    share = (bands[np.arange(len(bands)), start] / np.repeat(sizes, n_angles)).reshape(-1, n_angles)
    offset = (start + (width - 1) / 2 - np.repeat(reach, n_angles)).reshape(-1, n_angles)
    best = np.argmax(share + 0.001 * (np.roll(share, 1, axis=1) + np.roll(share, -1, axis=1)), axis=1)
    out = []
    for b, k in enumerate(best):
        if bins[b] < width:
            out.append(None)
        else:
            out.append((float(angles[k]), float(offset[b, k]), float(share[b, k])))
    return out


def _window(reads: list[BoxRead], i: int, ink: PageInk, printed: np.ndarray,
            shifts: dict[str, tuple[float, float]], reach: float):
    """(ink window, print window, box on it px) of box ``i`` reaching ``reach`` mm beyond it, or None off the page."""
    r = reads[i]
    page_h, page_w = ink.shape
    px0, py0 = max(0, int((r.x - reach) * K)), max(0, int((r.y - reach) * K))
    px1, py1 = min(page_w, int((r.x + r.w + reach) * K)), min(page_h, int((r.y + r.h + reach) * K))
    if px1 <= px0 or py1 <= py0:
        return None
    printed_here = _print_at(printed, shifts.get(r.question, (0.0, 0.0)), px0, py0, px1, py1)
    return ink.region(px0, py0, px1, py1), printed_here, (r.x * K - px0, r.y * K - py0, r.w * K, r.h * K)


def hairs_among_marks(reads: list[BoxRead], ink: PageInk, printed: np.ndarray,
                      shifts: dict[str, tuple[float, float]], boxes: list[int]) -> dict[int, tuple[StrokeWidth, float]]:
    """The boxes of ``boxes`` whose mark is one straight stroke thinner than the respondent's pen.

    The respondent's pen: the ``HAIR_REFERENCE_PERCENTILE`` percentile of :func:`stroke_width` over
    the page's marked boxes (``reads`` read MARKED) whose best stroke crosses
    ``HAIR_REFERENCE_MIN_LENGTH_MM`` or more of the inside (not dots) and holds under
    ``LINE_MARK_OWN_SHARE`` of its ink (crosses, ticks: marks no hair makes), the box looked at left
    out; with fewer than ``MIN_MARKS_FOR_HABIT`` of those, the thinnest of every such mark (slashes
    too: on a page marked mostly with slashes, a tick among heavier slashes is no hair); with fewer
    than that still, nothing is compared (nothing found). A box of ``boxes`` is a hair when its best
    stroke's width is under ``HAIR_WIDTH_SHARE`` of the pen's (a bent hair or two hairs are not one
    straight stroke: any mark is asked), or, when its ink is mostly one straight stroke
    (``LINE_MARK_OWN_SHARE``: a slash, a hair, not a cross or a tick), under
    ``HAIR_PASSING_WIDTH_SHARE`` of it while the stroke passes the box by: its line ``HAIR_OFF_CENTRE_MM`` or more from the box's centre (along a
    side, across a corner), or running on ``HAIR_BOTH_SIDES_MM`` or more beyond the box at both ends
    (:func:`_line_through`; a pen's slash or tick starts in its box).

    Args:
        reads: the page's box reads (position on the aligned page, mm).
        ink: the aligned page's ink.
        printed: :func:`omr.scan.form_print.printed_mask` of the page (uint8 0/1).
        shifts: question -> (dx, dy) mm its boxes were found from their layout places.
        boxes: which reads to look at (indices into ``reads``).

    Returns:
        Box index -> (its stroke, the pen's width mm) for the hairs found.
    """
    strokes: dict[int, StrokeWidth] = {}
    measured: set[int] = set()  # a box measured without a stroke has none the second time either (#18)

    def measure(indices) -> None:
        indices = list(indices)
        measured.update(indices)
        windows = [_window(reads, i, ink, printed, shifts, 0.0) for i in indices]
        for i, stroke in zip(indices, stroke_widths(windows)):
            if stroke is not None:
                strokes[i] = stroke

    measure(boxes)
    if not strokes:
        return {}
    measure([i for i, r in enumerate(reads) if r.state == MARKED and i not in measured])
    pens = {i: s for i, s in strokes.items()
            if reads[i].state == MARKED and s.length_mm >= T.HAIR_REFERENCE_MIN_LENGTH_MM}
    found = {}
    for i in boxes:
        stroke = strokes.get(i)
        # Marks of two strokes or more (crosses, ticks: no hair makes one) when there are enough of
        # them: a slash is often drawn heavier than a cross (the simulator's by 1 px).
        others = [s.width_mm for j, s in pens.items() if j != i and s.share < T.LINE_MARK_OWN_SHARE]
        percentile = T.HAIR_REFERENCE_PERCENTILE
        if len(others) < T.MIN_MARKS_FOR_HABIT:
            # Mostly slashes: their thinnest (a tick among heavier slashes is not a hair).
            others, percentile = [s.width_mm for j, s in pens.items() if j != i], 0
        if stroke is None or len(others) < T.MIN_MARKS_FOR_HABIT:
            continue
        if _surely_pen_wide(stroke, others, percentile):
            continue
        pen = float(np.percentile(others, percentile))
        hair = stroke.width_mm < T.HAIR_WIDTH_SHARE * pen  # a bent hair, two hairs: not one straight stroke
        if not hair and (stroke.share < T.LINE_MARK_OWN_SHARE or stroke.width_mm >= T.HAIR_PASSING_WIDTH_SHARE * pen):
            continue
        hair = hair or stroke.offset_mm >= T.HAIR_OFF_CENTRE_MM
        if not hair:
            window = _window(reads, i, ink, printed, shifts, T.LINE_THROUGH_REACH_MM)
            if window is not None:
                win, printed_here, box = window
                line = _line_through((win >= T.LINE_MARK_INK) & (printed_here == 0), printed_here, box)
                hair = line is not None and line.other_mm >= T.HAIR_BOTH_SIDES_MM
        if hair:
            found[i] = (stroke, round(pen, 3))
    return found


# A bound above np.percentile's value over a list, for float rounding in its interpolation (the value lies
# between the two order statistics around it; 1e-9 is a million times any rounding of a sum of two).
_PERCENTILE_SLACK = 1e-9


def _surely_pen_wide(stroke: StrokeWidth, others: list[float], percentile: float) -> bool:
    """Whether :func:`hairs_among_marks` would take ``stroke`` for no hair whatever the pen's width
    (``np.percentile(others, percentile)``) is below the order statistic just above it, the larger of
    the two NumPy interpolates between: wide enough against that bound for both of its tests
    (``HAIR_WIDTH_SHARE``, and ``HAIR_PASSING_WIDTH_SHARE`` for one straight stroke). Lets most marks of
    a page (the respondent's own pen) skip NumPy's percentile, ~0.3 ms each (issue #18); the others
    are judged as before."""
    ordered = sorted(others)
    above = ordered[min(int(np.ceil((len(ordered) - 1) * percentile / 100)), len(ordered) - 1)]
    bound = above * (1 + _PERCENTILE_SLACK)
    if stroke.width_mm < T.HAIR_WIDTH_SHARE * bound:
        return False
    return stroke.share < T.LINE_MARK_OWN_SHARE or stroke.width_mm >= T.HAIR_PASSING_WIDTH_SHARE * bound


def _struck(reads: list[BoxRead], i: int, ink: PageInk, printed: np.ndarray,
            shifts: dict[str, tuple[float, float]], level: float) -> bool:
    """Whether box ``i``'s mark is struck out by a level line of ``level`` ink or more (:func:`struck_through`
    on its window).

    First (CPU: most marks end here) the page's ink is looked at in two strips beside the box, from
    ``LINE_MARK_RING_MM[0]`` (clear of the printed outline) to ``STRIKE_MIN_OUT_MM`` beyond its left and
    its right side: a strike leaves ink in both."""
    r = reads[i]
    near = T.LINE_MARK_RING_MM[0]
    for x in (r.x - T.STRIKE_MIN_OUT_MM, r.x + r.w + near):
        strip = ink.region_mm(x, r.y, T.STRIKE_MIN_OUT_MM - near, r.h)
        if not (strip >= level).any():
            return False
    window = _window(reads, i, ink, printed, shifts, T.STRIKE_REACH_MM)
    return window is not None and struck_through(*window, level) is not None


def review_lines_through_pinned_boxes(result: PageResult, ink: PageInk, printed: np.ndarray) -> None:
    """Send to review (ambiguous) every question of a page of a form designed elsewhere read ok on a box
    whose mark is a long line through it (:func:`lines_through_marks`: a pen line ruled along a row, a
    crease, a hair), naming the questions in the page's detail («có đường kẻ dài chạy qua ô …»).

    The same rule :func:`review_lines_through_boxes` applies on omr's own form, with the blank's print
    (``printed``: :func:`omr.scan.printed_boxes.reference_print`, uint8 0/1 over the whole aligned page at
    ``K`` px per mm, registered with the page, so no per-question shift) instead of omr's own. A level pen
    line 3-8 mm past both sides of the only box of a vertical list's row was stored as that box's answer,
    ok (bench/hunt/elsewhere.py stray, seed 12, office checkboxes-portrait/1 Q4). The hair and strike
    rules of omr's own form are not applied here: they compare a mark with the page's other marks, drawn
    on omr's square boxes, not measured on these forms' round bubbles and fills. Only a line within
    ``STRIKE_MAX_SLOPE_DEG`` of level running ``STRIKE_MIN_OUT_MM`` or more out of both sides of the box
    counts (a line along a row, as :func:`struck_through` asks of a strike)."""
    ok = {q.question: q for q in result.questions if q.status == OK}
    marked = [i for i, r in enumerate(result.boxes) if r.state == MARKED and r.question in ok]
    if not marked:
        return
    found = lines_through_marks(result.boxes, ink, printed, {}, marked, thorough=True)
    # Level and out of both sides: a solid fill whose bubble the blank's print covers leaves a sliver of
    # ink that "runs on" diagonally into the next filled bubble of its column, out of one side only
    # (OMRChecker's Sandeep_1507 and UPSC_mock sheets: 8 fills, angles 30-70 degrees from level, other
    # side 0-1.5 mm, 2 of them over STRIKE_MIN_OUT_MM).
    lined = sorted({result.boxes[i].question for i, line in found.items()
                    if abs(line.angle - 90.0) <= T.STRIKE_MAX_SLOPE_DEG and line.other_mm >= T.STRIKE_MIN_OUT_MM})
    for question in lined:
        recalibrate(ok[question], AMBIGUOUS)
    if lined:
        note = "có đường kẻ dài chạy qua ô (nét bút kẻ ngang, nếp gấp, sợi tóc?) ở câu " + ", ".join(lined)
        result.detail = "; ".join(([result.detail] if result.detail else []) + [note])


def review_lines_through_boxes(result: PageResult, ink: PageInk, printed: np.ndarray, page: PageLayout,
                               ruled: bool = False) -> None:
    """Send to review (ambiguous) every question of omr's own form read ok on a box whose mark is a
    long line through it (:func:`lines_through_marks`: a crease, a hair, a sheet's edge or a ruled
    line) or a hair (:func:`hairs_among_marks`: one stroke thinner than the respondent's pen), naming
    the questions in the page's detail («có đường kẻ dài chạy qua ô …», «có nét mảnh hơn nét bút …»):
    neither is a confident answer. ``printed``: the page's print mask
    (:func:`omr.scan.form_print.printed_mask`); ``page``: its layout (the boxes' places, to move the
    print with them); ``ruled``: the page is ruled or squared paper (:mod:`omr.scan.ruled`), whose faint
    level lines run through crossed boxes like a strike: a strike there is ink of RULED_MAX_INK or more."""
    ok = {q.question: q for q in result.questions if q.status == OK}
    marked = [i for i, r in enumerate(result.boxes) if r.state == MARKED and r.question in ok]
    if not marked:
        return
    # Every question with a marked box: the page's marks are the respondent's pen (hairs_among_marks).
    questions = {r.question for r in result.boxes if r.state == MARKED}
    moved: dict[str, list[tuple[float, float]]] = {}
    for r, laid in zip(result.boxes, page.checkboxes):
        if r.question in questions:
            moved.setdefault(r.question, []).append((r.x - laid.x, r.y - laid.y))
    shifts = {q: (median(d[0] for d in moves), median(d[1] for d in moves)) for q, moves in moved.items()}
    found = lines_through_marks(result.boxes, ink, printed, shifts, marked)
    hairs = hairs_among_marks(result.boxes, ink, printed, shifts, [i for i in marked if i not in found])
    lined = sorted({result.boxes[i].question for i in found})
    haired = sorted({result.boxes[i].question for i in hairs} - set(lined))
    struck = sorted({result.boxes[i].question for i in marked if i not in found and i not in hairs
                     and _struck(result.boxes, i, ink, printed, shifts, T.RULED_MAX_INK if ruled else T.LINE_MARK_INK)}
                    - set(lined) - set(haired))
    for question in lined + haired + struck:
        recalibrate(ok[question], AMBIGUOUS)
    notes = []
    if lined:
        notes.append("có đường kẻ dài chạy qua ô (nếp gấp, sợi tóc, mép giấy, đường thước kẻ?) ở câu "
                     + ", ".join(lined))
    if haired:
        notes.append("có nét mảnh hơn nét bút ở các ô khác (sợi tóc, xơ vải trên mặt kính?) ở câu "
                     + ", ".join(haired))
    if struck:
        notes.append("có ô bị gạch ngang (người trả lời gạch bỏ, đổi ý?) ở câu " + ", ".join(struck))
    if notes:
        result.detail = "; ".join(([result.detail] if result.detail else []) + notes)
