"""Long straight lines through a box: a crease, a hair, a sheet's edge, a ruled line, not a mark.

A box is read from its inside and the ring just around it (:mod:`omr.scan.read`), so any stroke
across it is a mark: a fold's crease, a hair or another sheet's edge on the scanner glass, or a
line a respondent ruled down a column reads like a slash, and alone in its question it becomes a
confident answer to a question left blank (the silent-error hunt, bench/hunt/README.md, cause 1).
What tells such a line from a pen's mark is what lies *outside* the box: a cross or a tick pokes
1-2 mm out of it, a line runs on for centimetres.

For a box read as marked, :func:`line_through_box` finds the straight strokes of its inside (a
Hough vote over the inside's ink, one line per direction) and follows each outwards on the aligned
page: how far beyond the box's outline the line's ink goes on, thin (paper beside it) and not the
form's print. A stroke that accounts for most of the box's ink and runs on for
``LINE_MARK_MIN_RUN_MM`` or more on one side is a line through the box, not a mark made in it:
:func:`review_lines_through_boxes` sends its question to review. Everything is measured in mm on
the aligned page (:class:`omr.scan.align.PageInk`, ``K`` px per mm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from omr import tuning as T
from omr.forms.layout import PageLayout
from omr.model import AMBIGUOUS, MARKED, OK, BoxRead, PageResult
from omr.scan.align import K, PageInk
from omr.scan.read import recalibrate


@dataclass(frozen=True)
class LineThrough:
    """The straight stroke through a box that runs furthest beyond it.

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
    """The straight stroke of a box's inside that runs furthest beyond the box, or None.

    Args:
        ink: ink (float 0..1) of a window of the aligned page around the box, ``K`` px per mm,
            reaching ``LINE_MARK_REACH_MM`` beyond the box where the page allows.
        printed: the form's print over the same window (uint8 0/1, same shape): never a line's ink.
        box: the box on the window (x, y, w, h), px.

    Returns:
        The best line (:class:`LineThrough`), or None when the box's inside holds too little ink.
    """
    level = T.LINE_MARK_INK
    h, w = ink.shape
    bx, by, bw, bh = box
    m = T.BOX_INNER_MARGIN_MM * K
    x0, y0 = int(round(bx + m)), int(round(by + m))
    x1, y1 = int(round(bx + bw - m)), int(round(by + bh - m))
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return None
    mask = (ink >= level) & (printed == 0)
    ys, xs = np.nonzero(mask[y0:y1, x0:x1])
    if len(xs) < T.LINE_MARK_MIN_PIXELS:
        return None
    cx, cy = bx + bw / 2, by + bh / 2
    xs = xs + x0 - cx + 0.5
    ys = ys + y0 - cy + 0.5
    # Hough vote: for each direction, the offset (px from the box centre, along the normal) most of
    # the inside's ink lies at.
    angles = np.arange(T.LINE_MARK_ANGLES) * np.pi / T.LINE_MARK_ANGLES
    cos, sin = np.cos(angles), np.sin(angles)
    rho = xs[None, :] * cos[:, None] + ys[None, :] * sin[:, None]  # (angles, pixels)
    half = T.LINE_MARK_BAND_MM * K
    # Ink within the band of each pixel's own offset: the band centred where the most ink lies.
    order = np.sort(rho, axis=1)
    best_count = np.zeros(len(angles), np.int64)
    best_rho = np.zeros(len(angles))
    for k in range(len(angles)):
        row = order[k]
        hi = np.searchsorted(row, row + 2 * half, side="right")
        j = int(np.argmax(hi - np.arange(len(row))))
        best_count[k] = hi[j] - j
        best_rho[k] = float(np.mean(row[j:hi[j]]))
    share = best_count / len(xs)
    # The directions worth following: local maxima of the vote holding enough of the box's ink.
    peak = (share >= np.roll(share, 1)) & (share >= np.roll(share, -1)) & (share >= T.LINE_MARK_MIN_SHARE)
    best: LineThrough | None = None
    for k in np.nonzero(peak)[0][np.argsort(-share[peak])][:T.LINE_MARK_CANDIDATES]:
        runs = _runs(mask, printed, (cx, cy), angles[k], best_rho[k], box)
        run, other = max(runs), min(runs)
        found = LineThrough(round(run / K, 2), round(other / K, 2), round(float(share[k]), 3),
                            round(float(np.degrees(angles[k])) % 180, 1))
        if best is None or found.run_mm > best.run_mm:
            best = found
    return best


def _runs(mask: np.ndarray, printed: np.ndarray, centre: tuple[float, float], angle: float, rho: float,
          box: tuple[float, float, float, float]) -> tuple[float, float]:
    """Line ink (px) beyond the box on each side along the line at ``angle`` (its normal's angle,
    radians) and offset ``rho`` (px from ``centre`` along the normal): followed outwards while
    there is thin ink on the line or print over it, until a gap of paper (or of ink too wide for a
    line) longer than ``LINE_MARK_MAX_GAP_MM``."""
    h, w = mask.shape
    normal = np.array([np.cos(angle), np.sin(angle)])
    along = np.array([-normal[1], normal[0]])
    foot = np.array(centre) + rho * normal
    step = T.LINE_MARK_STEP_MM * K
    reach = (T.LINE_MARK_REACH_MM + max(box[2], box[3])) * K
    s = np.arange(step, reach, step)
    # The band looked along widens with the distance from the box (LINE_MARK_BEND): a hair bends.
    widest = int(np.ceil((T.LINE_MARK_BAND_MM + T.LINE_MARK_BEND * T.LINE_MARK_REACH_MM) * K))
    near = np.arange(-widest, widest + 1)
    bx, by, bw, bh = box
    out = []
    for sign in (1.0, -1.0):
        points = foot[None, :] + sign * s[:, None] * along[None, :]  # (n, 2) x, y px
        inside = ((points[:, 0] >= bx) & (points[:, 0] <= bx + bw) & (points[:, 1] >= by) & (points[:, 1] <= by + bh))
        beyond = ~inside & (np.cumsum(~inside) > 0)
        points = points[beyond]
        if len(points) == 0:
            out.append(0.0)
            continue
        band = (T.LINE_MARK_BAND_MM * K + T.LINE_MARK_BEND * step * np.arange(len(points)))  # px, per sample
        within = np.abs(near)[None, :] <= band[:, None]
        across = points[:, None, :] + near[None, :, None] * normal[None, None, :]
        on = (_sample(mask, across) & within).any(axis=1)
        over_print = (_sample(printed.astype(bool), across) & within).any(axis=1)
        clear = T.LINE_MARK_CLEAR_MM * K
        beside = np.stack([-band - clear - 0.5 * K, -band - clear, band + clear, band + clear + 0.5 * K], 1)
        wide = _sample(mask, points[:, None, :] + beside[:, :, None] * normal[None, None, :])
        thin = on & ~(wide[:, :2].any(axis=1) & wide[:, 2:].any(axis=1))
        line = thin & ~over_print
        gap = ~line & ~over_print
        # Stop at the first run of gap samples longer than the allowed gap.
        limit = max(1, int(round(T.LINE_MARK_MAX_GAP_MM * K / step)))
        stop = len(gap)
        run = 0
        padded = np.concatenate([[0], gap.astype(np.int8), [0]])
        starts, ends = np.nonzero(np.diff(padded) == 1)[0], np.nonzero(np.diff(padded) == -1)[0]
        for a, b in zip(starts, ends):
            if b - a > limit:
                stop = a
                break
        run = int(np.count_nonzero(line[:stop])) * step
        out.append(float(run))
    return out[0], out[1]


def _sample(mask: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``mask`` at the nearest pixel of each point (..., 2) x, y px; False off the window."""
    h, w = mask.shape
    xi = np.floor(points[..., 0]).astype(np.int64)
    yi = np.floor(points[..., 1]).astype(np.int64)
    ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    out = np.zeros(points.shape[:-1], bool)
    out[ok] = mask[yi[ok], xi[ok]]
    return out


def lines_through_marks(reads: list[BoxRead], ink: PageInk, printed: np.ndarray,
                        shifts: dict[str, tuple[float, float]], boxes: list[int]) -> dict[int, LineThrough]:
    """:func:`line_through_box` of the boxes ``boxes`` (indices into ``reads``) on the aligned page.

    Args:
        reads: the page's box reads (position on the aligned page, mm).
        ink: the aligned page's ink (only windows around those boxes are looked at).
        printed: :func:`omr.scan.form_print.printed_mask` of the page (uint8 0/1, layout at K px/mm).
        shifts: question -> (dx, dy) mm the question's boxes were found from their layout places:
            the print around them moved with them.
        boxes: which reads to look at.

    Returns:
        Box index -> its line, for the boxes whose ink is mostly one line (``LINE_MARK_OWN_SHARE``)
        running ``LINE_MARK_MIN_RUN_MM`` or more beyond them on one side.
    """
    page_h, page_w = ink.shape
    reach = T.LINE_MARK_REACH_MM
    found = {}
    for i in boxes:
        r = reads[i]
        px0, py0 = max(0, int((r.x - reach) * K)), max(0, int((r.y - reach) * K))
        px1, py1 = min(page_w, int((r.x + r.w + reach) * K)), min(page_h, int((r.y + r.h + reach) * K))
        if px1 <= px0 or py1 <= py0:
            continue
        window = ink.region(px0, py0, px1, py1)
        dx, dy = shifts.get(r.question, (0.0, 0.0))
        printed_window = np.zeros(window.shape, np.uint8)
        sx, sy = int(round(dx * K)), int(round(dy * K))
        ph, pw = printed.shape
        ax0, ay0 = max(px0 - sx, 0), max(py0 - sy, 0)
        ax1, ay1 = min(px1 - sx, pw), min(py1 - sy, ph)
        if ax1 > ax0 and ay1 > ay0:
            printed_window[ay0 + sy - py0:ay1 + sy - py0, ax0 + sx - px0:ax1 + sx - px0] = printed[ay0:ay1, ax0:ax1]
        line = line_through_box(window, printed_window, (r.x * K - px0, r.y * K - py0, r.w * K, r.h * K))
        if line is not None and line.run_mm >= T.LINE_MARK_MIN_RUN_MM and line.share >= T.LINE_MARK_OWN_SHARE:
            found[i] = line
    return found


def review_lines_through_boxes(result: PageResult, ink: PageInk, printed: np.ndarray, page: PageLayout) -> None:
    """Send to review (ambiguous) every question of omr's own form read ok on a box whose mark is a
    long line through it (:func:`lines_through_marks`), naming the questions in the page's detail
    («có đường kẻ dài chạy qua ô …»): a crease, a hair, a sheet's edge or a ruled line is never a
    confident answer. ``printed``: the page's print mask (:func:`omr.scan.form_print.printed_mask`);
    ``page``: its layout (the boxes' places, to move the print with them)."""
    ok = {q.question: q for q in result.questions if q.status == OK}
    marked = [i for i, r in enumerate(result.boxes) if r.state == MARKED and r.question in ok]
    if not marked:
        return
    shifts = {}
    for question in {result.boxes[i].question for i in marked}:
        members = [j for j, r in enumerate(result.boxes) if r.question == question]
        shifts[question] = (float(np.median([result.boxes[j].x - page.checkboxes[j].x for j in members])),
                            float(np.median([result.boxes[j].y - page.checkboxes[j].y for j in members])))
    found = lines_through_marks(result.boxes, ink, printed, shifts, marked)
    questions = sorted({result.boxes[i].question for i in found})
    for question in questions:
        recalibrate(ok[question], AMBIGUOUS)
    if questions:
        result.detail = (result.detail + "; " if result.detail else "") + \
            f"có đường kẻ dài chạy qua ô (nếp gấp, sợi tóc, mép giấy, đường thước kẻ?) ở câu {', '.join(questions)}"
