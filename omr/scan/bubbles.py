"""Read the boxes of a pinned page (a form designed elsewhere, see :mod:`omr.forms.pinned`).

Square boxes marked with an X are read exactly like omr's own forms
(:func:`omr.scan.read.read_boxes`). Two things differ on other people's forms:

* round bubbles have no square outline for omr's box search to lock on to.
  Their printed ring is searched for instead (:func:`ring_search`); a page
  whose rings are not clearly found keeps the registered positions;
* on bubble sheets the answer is the bubble filled in (``marks: fill``), and
  empty bubbles often hold a printed letter or digit, bold enough to measure
  as dark as a light pencil fill. A bubble's darkness is therefore compared
  with the same option's bubbles on the rest of the page (the same letter
  printed in the same place of every question, :func:`printed_baselines`):
  only the ink it has beyond them is a mark. The page's threshold on that
  excess lies in the largest jump between the sorted values (as OMRChecker
  finds its threshold), held down by the noise of the empty bubbles; a bubble
  that stands clearly out of its own question counts too. Bubbles close to the
  threshold go to review.
"""

from __future__ import annotations

import cv2
import numpy as np

from omr import tuning as T
from omr.forms.layout import Checkbox, PageLayout
from omr.model import EMPTY, MARKED, UNCERTAIN, BoxRead
from omr.scan.align import BoxSearch, BoxWindow, K, PageInk, page_ink, warp_to_layout
from omr.scan.read import read_boxes
from omr.scan.register import load_reference


def ring_kernel(bw: int, bh: int, band: int) -> np.ndarray:
    """Correlation kernel scoring a bubble's printed ring: paper just outside minus the ring.

    Its size is the box plus ``band`` px on each side; correlated with grey
    levels it gives (mean grey outside) - (mean grey on the ring): high where
    a printed ring (or a filled disc) sits exactly under it. The inside, where
    printed letters and marks are, does not count.
    """
    h, w = bh + 2 * band, bw + 2 * band
    ys, xs = np.mgrid[:h, :w] + 0.5
    rx, ry = bw / 2, bh / 2
    radius = (rx + ry) / 2
    rho = np.hypot((xs - w / 2) / rx, (ys - h / 2) / ry)
    ring = np.abs(rho - 1.0) * radius <= T.BUBBLE_RING_HALF_WIDTH_MM * K
    outside = (rho - 1.0) * radius >= (T.BUBBLE_RING_HALF_WIDTH_MM + T.BUBBLE_RING_CLEARANCE_MM) * K
    kernel = np.zeros((h, w), np.float32)
    kernel[ring] = -1.0 / max(int(ring.sum()), 1)
    kernel[outside] = 1.0 / max(int(outside.sum()), 1)
    return kernel


def ring_scale(padded: np.ndarray, pad: int, boxes: list[Checkbox], ink: PageInk, band: int, search: int,
               fits: dict | None = None) -> float:
    """How much larger than the template's bubbles ``boxes`` (one block) are printed: one of ``BUBBLE_RING_SCALES``.

    Templates drawn elsewhere give each bubble's size by hand: UmarFarootAPS's says 5 mm for rings of
    about 7 mm, and a 5 mm ring kernel then fits against either side of the printed ring (its fits on
    the roll digits scattered -1.2 / +2.4 mm), so peers of one option were measured over different
    parts of their printed digits. The scale whose kernel matches a sample of the page's bubbles best
    on average (the kernel's score is scale-free: weights sum to -1 on the ring and +1 outside), a
    larger one only when ``BUBBLE_RING_SCALE_MARGIN`` better. ``padded``: the canonical page padded by
    ``pad`` px; ``band``, ``search``: px as in :func:`ring_search`. ``fits``: when given, each sampled
    box's kernel fit at each scale is kept there, by (id(box), scale): (score map's top, (mx, my) where it
    is, the window's top-left on the page px, the kernel's shape), the very match :func:`ring_search`
    makes for that box at that scale (at scale 1.0 only when its window starts at the same pixel)."""
    if not boxes:
        return 1.0
    sample = boxes[::max(1, len(boxes) // T.BUBBLE_RING_SCALE_SAMPLE)]
    best, best_score = 1.0, -np.inf
    for scale in T.BUBBLE_RING_SCALES:
        jobs: dict[tuple[int, int], list] = {}  # by kernel size: (box, window), in sample order
        for box in sample:
            bw, bh = int(round(box.w * K * scale)), int(round(box.h * K * scale))
            grey, _ = _match_window(padded, pad, box, bw, bh, band, search)
            if grey is not None:
                jobs.setdefault((bw, bh), []).append((box, grey))
        found = {}
        for (bw, bh), items in jobs.items():
            kernel = ring_kernel(bw, bh, band)  # one per size, not one per sampled bubble
            for (box, _), (top, where) in zip(items, ring_fits([grey for _, grey in items], kernel)):
                found[id(box)] = top
                if fits is not None:
                    fits[(id(box), scale)] = (top, where, _match_window_origin(box, bw, bh, band, search),
                                              kernel.shape)
        scores = [found[id(box)] / (_paper_at(ink, box) * (1.0 - ink.black_ratio) or 1.0)
                  for box in sample if id(box) in found]
        score = float(np.mean(scores)) if scores else -np.inf
        better = score > best_score * (1.0 + T.BUBBLE_RING_SCALE_MARGIN) if best_score > 0 else score > best_score
        if better:
            best, best_score = scale, score
    return best


def ring_fits(windows: list[np.ndarray], kernel: np.ndarray) -> list[tuple[float, tuple[int, int]]]:
    """Where ``kernel`` (:func:`ring_kernel`, float32) correlates best (``cv2.TM_CCORR``) in each window
    (float32, all of one shape, at least the kernel's): (top score, (x, y) of the kernel's top-left in the
    window) per window, in order.

    The windows are matched ``RING_MATCH_BATCH`` at a time, side by side in one strip: one call and one
    transform of the kernel for the batch, not one a bubble (~16,000 matches on OMRChecker's 29 samples).
    Each window's scores are the strip's at the positions where the kernel lies wholly inside that
    window, so they are the window's own scores (to the transform's rounding, ~1e-6 of the score)."""
    if not windows:
        return []
    height, width = windows[0].shape
    across = width - kernel.shape[1] + 1
    out = []
    for start in range(0, len(windows), T.RING_MATCH_BATCH):
        chunk = windows[start:start + T.RING_MATCH_BATCH]
        scores = cv2.matchTemplate(chunk[0] if len(chunk) == 1 else np.hstack(chunk), kernel, cv2.TM_CCORR)
        for k in range(len(chunk)):
            _, top, _, where = cv2.minMaxLoc(scores[:, k * width:k * width + across])
            out.append((top, where))
    return out


def _paper_at(ink: PageInk, box: Checkbox) -> float:
    ph, pw = ink.paper.shape
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    return float(ink.paper[min(max(int(cy), 0), ph - 1), min(max(int(cx), 0), pw - 1)])


def _match_window_origin(box: Checkbox, bw: int, bh: int, band: int, search: int) -> tuple[int, int]:
    """Top-left corner on the page (px) of :func:`_match_window`'s window."""
    cx, cy = (box.x + box.w / 2) * K, (box.y + box.h / 2) * K
    width, height = bw + 2 * (band + search), bh + 2 * (band + search)
    return int(round(cx - width / 2)), int(round(cy - height / 2))


def _match_window(padded: np.ndarray, pad: int, box: Checkbox, bw: int, bh: int, band: int,
                  search: int) -> tuple[np.ndarray | None, tuple[int, int]]:
    """The grey (float32) around a box's centre where a kernel of a (bw, bh) bubble is searched
    (``search`` px each way), and its top-left corner on the page (px); None when cut by the padding."""
    width, height = bw + 2 * (band + search), bh + 2 * (band + search)
    x0, y0 = _match_window_origin(box, bw, bh, band, search)
    grey = padded[y0 + pad:y0 + pad + height, x0 + pad:x0 + pad + width]
    if grey.shape != (height, width):
        return None, (x0, y0)
    return grey.astype(np.float32), (x0, y0)


def _padded(ink: PageInk, boxes: list[Checkbox]) -> tuple[np.ndarray, int, int, int]:
    """The canonical page padded by its own edge for :func:`ring_search`'s windows: (padded page, pad,
    band, search), all px at ``K`` px/mm."""
    search = int(round(T.BUBBLE_SEARCH_MM * K))
    band = max(2, int(round(T.OUTLINE_PAPER_BAND_MM * K)))
    largest = max((max(b.w, b.h) for b in boxes), default=0.0)
    pad = search + band + int(round(largest * K * max(T.BUBBLE_RING_SCALES)))
    return cv2.copyMakeBorder(ink.canonical, pad, pad, pad, pad, cv2.BORDER_REPLICATE), pad, band, search


def ring_blocks(boxes: list[Checkbox]) -> dict[tuple, list[int]]:
    """The blocks of bubbles whose rings are printed alike: indices into ``boxes`` by (the question's
    options, box width mm, box height mm), in order (roll digits, MCQ rows)."""
    options: dict[str, list[str]] = {}
    for box in boxes:
        options.setdefault(box.question, []).append(box.option)
    blocks: dict[tuple, list[int]] = {}
    for i, box in enumerate(boxes):
        blocks.setdefault((tuple(options[box.question]), box.w, box.h), []).append(i)
    return blocks


_printed_scales: dict[int, tuple[PageLayout, str, dict[tuple, float]]] = {}


def printed_ring_scales(page: PageLayout) -> dict[tuple, float]:
    """Each block's ring scale (:func:`ring_scale`, by :func:`ring_blocks` key) measured once on the pinned
    page's reference image (``page.pinned["_reference_path"]``): the form's own print exactly where the
    template places its bubbles, at ``K`` px/mm. The printed rings' size is the form's, not a page's: a
    blurred photo's own sample of bubbles chose 1.3 where its print says 1.0 (Sandeep-1507's omr-2 and
    omr-3; UPSC-mock's angle-3 1.0 for 1.15), and choosing on every page was a quarter of the ring search
    (4 scales x up to 60 bubbles a block: ~1.3 s CPU of ~10.8 for OMRChecker's 29 samples). Kept per page
    layout for the process (a worker reads many pages of few forms). Raises TemplateError when the
    reference image cannot be read."""
    path = page.pinned["_reference_path"]
    cached = _printed_scales.get(id(page))
    if cached is not None and cached[0] is page and cached[1] == path:
        return cached[2]
    reference = load_reference(path)
    reference_mm = np.diag([reference.shape[1] / page.width, reference.shape[0] / page.height, 1.0])
    ink = page_ink(warp_to_layout(reference, reference_mm, page), page)
    padded, pad, band, search = _padded(ink, page.checkboxes)
    scales = {key: ring_scale(padded, pad, [page.checkboxes[i] for i in members], ink, band, search)
              for key, members in ring_blocks(page.checkboxes).items()}
    if len(_printed_scales) >= T.PRINTED_RING_SCALES_KEPT:
        _printed_scales.clear()
    _printed_scales[id(page)] = (page, path, scales)
    return scales


def ring_search(ink: PageInk, boxes: list[Checkbox], block_scales: dict[tuple, float] | None = None) -> BoxSearch:
    """Each round bubble's printed ring within ``BUBBLE_SEARCH_MM`` of where registration put it.

    When too few rings are clearly found (faint print, tiny bubbles),
    registration alone places the bubbles (offsets zero). Rings found at the
    edge of the search are not trusted (something else pulled them there).
    The windows are cut from the page padded by its own edge, so a bubble at
    the page's edge is still measured. The ring kernel is sized to the printed
    rings: ``block_scales`` (by :func:`ring_blocks` key, :func:`printed_ring_scales`) when given, else
    chosen on this page (:func:`ring_scale`), not the template's bubbles.
    """
    padded, pad, band, search = _padded(ink, boxes)
    scales = np.ones(len(boxes))
    fits: dict = {}  # ring_scale's matches, reused below for its sampled boxes (the same window and kernel)
    for key, members in ring_blocks(boxes).items():
        if block_scales is not None and key in block_scales:
            scales[members] = block_scales[key]
        else:
            scales[members] = ring_scale(padded, pad, [boxes[i] for i in members], ink, band, search, fits)
    ph, pw = ink.paper.shape
    offsets = np.zeros((len(boxes), 2))
    reliable = np.zeros(len(boxes), bool)
    windows: list[BoxWindow] = []
    done: dict[int, tuple] = {}  # box index -> (top, (mx, my), window's top-left px, kernel shape)
    pending: dict[tuple[int, int], list] = {}  # kernel size -> (box index, window, its top-left px)
    for i, box in enumerate(boxes):
        bw, bh = int(round(box.w * K)), int(round(box.h * K))
        x0, y0 = int(round(box.x * K)) - band - search, int(round(box.y * K)) - band - search
        width, height = bw + 2 * (band + search), bh + 2 * (band + search)
        grey = padded[y0 + pad:y0 + pad + height, x0 + pad:x0 + pad + width]
        cx, cy = (x0 + width / 2) / K, (y0 + height / 2) / K
        paper = float(ink.paper[min(max(int(cy), 0), ph - 1), min(max(int(cx), 0), pw - 1)])
        windows.append(BoxWindow(x0, y0, grey, paper, ink.black_ratio))
        if grey.shape != (height, width):
            continue
        scale = float(scales[i])
        kw, kh = int(round(box.w * K * scale)), int(round(box.h * K * scale))
        fit = fits.get((id(box), scale))
        if fit is not None and scale == 1.0 and fit[2] != (x0, y0):
            fit = None  # ring_scale's window is centred on the box: here it starts at the box's corner
        if fit is not None:  # matched already while choosing the scale (the same window and kernel)
            done[i] = fit
            continue
        window, origin = (grey.astype(np.float32), (x0, y0)) if scale == 1.0 else \
            _match_window(padded, pad, box, kw, kh, band, search)
        if window is not None:
            pending.setdefault((kw, kh), []).append((i, window, origin))
    for (kw, kh), items in pending.items():  # batched by kernel size
        kernel = ring_kernel(kw, kh, band)
        for (i, _, origin), (top, where) in zip(items, ring_fits([window for _, window, _ in items], kernel)):
            done[i] = (top, where, origin, kernel.shape)
    for i, box in enumerate(boxes):
        if i not in done:
            continue
        top, (mx, my), (mx0, my0), kernel_shape = done[i]
        scale, paper = float(scales[i]), windows[i].paper
        top /= paper * (1.0 - ink.black_ratio)
        if scale == 1.0:
            fx, fy = mx - search, my - search
        else:  # the kernel's centre where it fits, less the box's centre where registration put it (px)
            fx = mx0 + mx + kernel_shape[1] / 2 - (box.x + box.w / 2) * K
            fy = my0 + my + kernel_shape[0] / 2 - (box.y + box.h / 2) * K
        offsets[i] = (fx / K, fy / K)
        reliable[i] = top >= T.BUBBLE_RING_MIN_SCORE and max(abs(mx - search), abs(my - search)) < search
    if not boxes or reliable.mean() < T.BUBBLE_RING_MIN_SHARE:
        return BoxSearch(np.zeros((len(boxes), 2)), 0.0, windows, float(reliable.mean()) if boxes else 0.0)
    final = offset_field(boxes, offsets, reliable)
    # A shift shared by the whole page is the template's own offset from the print
    # (OMRChecker templates are drawn by hand), not misregistration: the residual is what varies.
    residual = float(np.median(np.hypot(*(final - np.median(final, axis=0)).T)))
    return BoxSearch(final, residual, windows, float(reliable.mean()), scales=scales)


def offset_field(boxes: list[Checkbox], offsets: np.ndarray, reliable: np.ndarray) -> np.ndarray:
    """Each bubble's offset: the median of the rings found nearest to it (itself included).

    Misplacement varies smoothly over a page (a template drawn a little off,
    a bent photo), while one ring fit is noisy (bold letters touch the ring on
    a blurred scan: +-1 mm): the median of ``BUBBLE_RING_NEIGHBOURS`` follows
    the first and drops the second.
    """
    centres = np.array([(b.x + b.w / 2, b.y + b.h / 2) for b in boxes])
    trusted, trusted_offsets = centres[reliable], offsets[reliable]
    distances = np.hypot(centres[:, None, 0] - trusted[None, :, 0], centres[:, None, 1] - trusted[None, :, 1])
    nearest = np.argsort(distances, axis=1)[:, :min(T.BUBBLE_RING_NEIGHBOURS, len(trusted))]
    return np.median(trusted_offsets[nearest], axis=1)


def pinned_search(search: BoxSearch | None, page: PageLayout, ink: PageInk) -> BoxSearch:
    """Round bubbles: placed on their printed rings (the square outline search does not fit them, and
    ``search`` may be None for them: it is not used); other shapes keep ``search``."""
    if page.pinned.get("shape") != "round":
        return search
    return ring_search(ink, page.checkboxes, printed_ring_scales(page))


def inner_darkness(window: BoxWindow, box: Checkbox, dx: float, dy: float,
                   scale: float = 1.0) -> tuple[float, float]:
    """(fill share, mean ink) over the inner part of a box (an ellipse), moved by (dx, dy) mm; ``scale``:
    the printed ring's size over the template's box (:func:`ring_scale`), so that the inside of the
    ring found is measured (a 5 mm box inside an 8 mm ring measured only the bold letter's middle)."""
    if window.paper <= 0:
        return 0.0, 0.0
    cx, cy = (box.x + dx + box.w / 2) * K - window.x0, (box.y + dy + box.h / 2) * K - window.y0
    rx, ry = box.w * K * scale * T.BUBBLE_INNER_SHARE / 2, box.h * K * scale * T.BUBBLE_INNER_SHARE / 2
    # Only the ellipse's bounding box is tested (a pixel outside it cannot be inside the ellipse): the
    # same pixels, in the same order, as testing the whole window (~10 times its area, 0.17 ms a bubble).
    ax, ay = max(rx, 1.0), max(ry, 1.0)
    height, width = window.grey.shape[:2]
    x0, x1 = max(0, int(np.floor(cx - ax)) - 1), min(width, int(np.ceil(cx + ax)) + 2)
    y0, y1 = max(0, int(np.floor(cy - ay)) - 1), min(height, int(np.ceil(cy + ay)) + 2)
    if x0 >= x1 or y0 >= y1:
        return 0.0, 0.0
    ys, xs = np.ogrid[y0:y1, x0:x1]
    inside = ((xs - cx) / ax) ** 2 + ((ys - cy) / ay) ** 2 <= 1.0
    pixels = window.grey[y0:y1, x0:x1][inside]
    if pixels.size == 0:
        return 0.0, 0.0
    fill = float(np.count_nonzero(pixels < window.ink_cutoff(T.INK_THRESHOLD))) / pixels.size
    # The mean, not a light percentile: tried on the OMRChecker samples, a percentile lost
    # filled bubbles that registration placed 0.3 mm off (86 % vs 100 % on UPSC-mock).
    return fill, window.mean_ink(float(pixels.mean()))


def printed_baselines(boxes: list[Checkbox], darkness: np.ndarray,
                      solid: np.ndarray | None = None) -> np.ndarray:
    """What each bubble measures when empty, judged from the page itself.

    The same option of questions with the same options is the same printed
    letter or digit (A of every MCQ row, 7 of every digit column): their
    lower quartile is an empty one as long as fewer than three quarters of
    them are marked (a quiz where most chose B).
    A bubble without at least ``BUBBLE_BASELINE_MIN`` such peers is compared
    with its own question's median (at most one of three or more is marked in
    a single-choice row), else with the whole page's median.

    Solid fills (``solid``: their inner part is nearly all ink; issue #14)
    are never an empty level. When most bubbles of one option are filled (a
    column of solid fills: a quiz where nearly everyone chose B, a roll-number
    digit), their lower quartile would be a filled bubble and every fill of
    that column measured against it would look empty; so each bubble is
    compared with the open bubbles of its option, else of its own question,
    else with the page's own level, the median of its open bubbles.
    """
    return baselines_and_guesses(boxes, darkness, solid)[0]


def baselines_and_guesses(boxes: list[Checkbox], darkness: np.ndarray,
                          solid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`printed_baselines` (n,) and (n,) bool: the bubbles whose baseline is only the page's median
    (fewer than ``BUBBLE_BASELINE_MIN`` open peers of their option, and of their own question), a guess
    at what they print rather than a measure of it."""
    base, guessed, _groups, _page = baseline_sources(boxes, darkness, solid)
    return base, guessed


def baseline_sources(boxes: list[Checkbox], darkness: np.ndarray, solid: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, ...]], float]:
    """:func:`baselines_and_guesses` with where each baseline came from: (base (n,), guessed (n,) bool,
    groups: per bubble the indices of the bubbles whose open ones gave its baseline (its option's peers,
    solid fills included), else of its own question (whether or not they were enough to give it), the
    page's level (the median of its open bubbles))."""
    solid = np.zeros(len(boxes), dtype=bool) if solid is None else solid
    by_question: dict[str, list[int]] = {}
    for i, box in enumerate(boxes):
        by_question.setdefault(box.question, []).append(i)
    options = {q: tuple(boxes[i].option for i in members) for q, members in by_question.items()}
    peers: dict[tuple, list[int]] = {}
    for i, box in enumerate(boxes):
        peers.setdefault((options[box.question], box.option), []).append(i)
    open_darkness = darkness[~solid]
    page = float(np.median(open_darkness)) if open_darkness.size else 0.0
    base = np.full(len(boxes), page)
    guessed = np.zeros(len(boxes), dtype=bool)
    groups: list[tuple[int, ...]] = [()] * len(boxes)
    levels: dict[tuple, float | None] = {}  # one level per group of peers (then per question), not per box
    for i, box in enumerate(boxes):
        key = (options[box.question], box.option)
        if key not in levels:
            same = [j for j in peers[key] if not solid[j]]
            levels[key] = float(np.percentile(darkness[same], T.BUBBLE_BASELINE_PERCENTILE)) \
                if len(same) >= T.BUBBLE_BASELINE_MIN else None
        if levels[key] is not None:
            base[i], groups[i] = levels[key], tuple(peers[key])
            continue
        if box.question not in levels:
            own = [j for j in by_question[box.question] if not solid[j]]
            levels[box.question] = float(np.median(darkness[own])) if len(own) >= T.BUBBLE_BASELINE_MIN else None
        groups[i] = tuple(by_question[box.question])
        if levels[box.question] is not None:
            base[i] = levels[box.question]
        else:
            guessed[i] = True
    return base, guessed, groups, page


def jump_threshold(values: np.ndarray) -> float | None:
    """Middle of the largest jump between sorted values two apart (OMRChecker's "looseness"), or None."""
    v = np.sort(values)
    if len(v) < 3:
        return None
    jumps = v[2:] - v[:-2]
    middles = (v[2:] + v[:-2]) / 2
    usable = middles > T.BUBBLE_MIN_EXCESS
    if not usable.any():
        return None
    i = int(np.argmax(np.where(usable, jumps, -1.0)))
    return float(middles[i]) if jumps[i] >= T.BUBBLE_MIN_JUMP else None


def page_threshold(excess: np.ndarray) -> float:
    """The excess ink separating filled from empty bubbles on this page.

    The largest jump in the sorted excesses, but never above the empty
    bubbles' noise (their median plus ``BUBBLE_NOISE_SIGMAS`` robust standard
    deviations): on a page of many filled bubbles the largest jump can lie
    among the filled ones. Never below ``BUBBLE_MIN_EXCESS``.
    """
    if len(excess) == 0:
        return T.BUBBLE_FIXED_THRESHOLD
    centre = float(np.median(excess))
    sigma = 1.4826 * float(np.median(np.abs(excess - centre)))
    noise = centre + T.BUBBLE_NOISE_SIGMAS * sigma
    jump = jump_threshold(excess)
    threshold = noise if jump is None else min(jump, noise)
    return max(threshold, T.BUBBLE_MIN_EXCESS)


def question_contrast(boxes: list[Checkbox], excess: np.ndarray) -> np.ndarray:
    """How far each bubble stands above the median of its own question (0 for questions of < 3)."""
    contrast = np.zeros(len(boxes))
    by_question: dict[str, list[int]] = {}
    for i, box in enumerate(boxes):
        by_question.setdefault(box.question, []).append(i)
    for members in by_question.values():
        if len(members) >= 3:
            contrast[members] = excess[members] - np.median(excess[members])
    return contrast


def inner_darkness_all(windows: list[BoxWindow], boxes: list[Checkbox], offsets: np.ndarray,
                       scales: np.ndarray) -> list[tuple[float, float]]:
    """:func:`inner_darkness` of every box, the windows of one shape measured together (one array
    operation per ``INNER_DARKNESS_CHUNK`` boxes instead of ~10 per box: ~0.17 ms a bubble on
    OMRChecker's 840-bubble sheets). The same pixels, counts and sums (uint8 summed exactly in float64),
    so the same values as :func:`inner_darkness` box by box. ``offsets``: (n, 2) mm; ``scales``: (n,)."""
    out: list[tuple[float, float]] = [(0.0, 0.0)] * len(boxes)
    groups: dict[tuple[int, int], list[int]] = {}
    for i, window in enumerate(windows):
        if window.paper > 0:
            groups.setdefault(window.grey.shape[:2], []).append(i)
    for (height, width), members in groups.items():
        ys, xs = np.ogrid[:height, :width]
        for start in range(0, len(members), T.INNER_DARKNESS_CHUNK):
            chunk = members[start:start + T.INNER_DARKNESS_CHUNK]
            grey = np.stack([windows[i].grey for i in chunk])
            cx = np.array([(boxes[i].x + offsets[i][0] + boxes[i].w / 2) * K - windows[i].x0 for i in chunk])
            cy = np.array([(boxes[i].y + offsets[i][1] + boxes[i].h / 2) * K - windows[i].y0 for i in chunk])
            ax = np.array([max(boxes[i].w * K * scales[i] * T.BUBBLE_INNER_SHARE / 2, 1.0) for i in chunk])
            ay = np.array([max(boxes[i].h * K * scales[i] * T.BUBBLE_INNER_SHARE / 2, 1.0) for i in chunk])
            inside = ((xs[None] - cx[:, None, None]) / ax[:, None, None]) ** 2 + \
                ((ys[None] - cy[:, None, None]) / ay[:, None, None]) ** 2 <= 1.0
            cutoff = np.array([windows[i].ink_cutoff(T.INK_THRESHOLD) for i in chunk])
            # A whole grey level g is below the cutoff c exactly when g < ceil(c): compared as integers,
            # and the grey summed as integers (exact, as the float64 sums were), not as float64 arrays.
            below = np.clip(np.ceil(cutoff), -1, 256).astype(np.int16)
            sizes = inside.sum(axis=(1, 2))
            inked = np.count_nonzero(inside & (grey < below[:, None, None]), axis=(1, 2))
            sums = (grey * inside).sum(axis=(1, 2), dtype=np.int64)
            for k, i in enumerate(chunk):
                if sizes[k]:
                    out[i] = (float(inked[k]) / int(sizes[k]), windows[i].mean_ink(float(sums[k] / sizes[k])))
    return out


def mark_margins(boxes: list[Checkbox], darkness: np.ndarray, solid: np.ndarray,
                 base: np.ndarray | None = None) -> np.ndarray:
    """How far each bubble's darkness (n,) lies above the page's decision (> 0: a mark): above the page's
    threshold on the ink beyond its printed baseline, or clearly out of its own question while above the
    noise floor. ``solid``: (n,) bool, bubbles nearly all ink (never an empty level). ``base``: the
    bubbles' :func:`printed_baselines` of these arguments when the caller has them already."""
    excess = darkness - (printed_baselines(boxes, darkness, solid) if base is None else base)
    threshold = page_threshold(excess)
    contrast = question_contrast(boxes, excess)
    return np.maximum(excess - threshold,
                      np.minimum(contrast - T.BUBBLE_QUESTION_CONTRAST, excess - T.BUBBLE_MIN_EXCESS))


def own_reach(boxes: list[Checkbox], limit_mm: float) -> np.ndarray:
    """(n, 2) how far (mm, x and y) each bubble's inner part (``BUBBLE_INNER_SHARE``) can slide and stay
    on its own side of the midlines to its nearest neighbours in its row and column, at most ``limit_mm``:
    UPSC-mock's rows are 5.9 mm apart for 5.45 mm bubbles, and a 2.5 mm slide reached the next row's fill."""
    n = len(boxes)
    reach = np.full((n, 2), float(limit_mm))
    if n < 2:
        return reach
    centre = np.array([(b.x + b.w / 2, b.y + b.h / 2) for b in boxes])
    size = np.array([(b.w, b.h) for b in boxes])
    gap = np.abs(centre[:, None, :] - centre[None, :, :])  # (n, n, 2)
    np.fill_diagonal(gap[:, :, 0], np.inf)
    np.fill_diagonal(gap[:, :, 1], np.inf)
    for axis in (0, 1):
        other = 1 - axis
        beside = gap[:, :, other] < size[:, None, other]  # overlapping on the other axis: a neighbour
        nearest = np.where(beside, gap[:, :, axis], np.inf).min(axis=1)
        inner = size[:, axis] * T.BUBBLE_INNER_SHARE / 2
        reach[:, axis] = np.clip(nearest / 2 - inner, 0.0, limit_mm)
    return reach


def rivals_of_marks(boxes: list[Checkbox], darkness: np.ndarray, margins: np.ndarray) -> np.ndarray:
    """(n,) bool: bubbles not read as marks (``margins`` < ``BUBBLE_UNSURE``) whose darkness is within
    ``BUBBLE_RIVAL_MARGIN`` of, or above, the lightest mark of their own question. Their printed baseline
    (the same option elsewhere, :func:`printed_baselines`) can be a filled one where most rows chose that
    option, and a second fill then reads empty beside the first: such a bubble is not a sure blank."""
    rival = np.zeros(len(boxes), dtype=bool)
    by_question: dict[str, list[int]] = {}
    for i, box in enumerate(boxes):
        by_question.setdefault(box.question, []).append(i)
    for members in by_question.values():
        marks = [i for i in members if margins[i] >= T.BUBBLE_UNSURE]
        if not marks:
            continue
        lightest = min(darkness[i] for i in marks)
        for i in members:
            if margins[i] < T.BUBBLE_UNSURE and darkness[i] >= lightest - T.BUBBLE_RIVAL_MARGIN:
                rival[i] = True
    return rival


def inked_unpeered(darkness: np.ndarray, base: np.ndarray, guessed: np.ndarray) -> np.ndarray:
    """(n,) bool: bubbles with no peers to tell their print (``base``, ``guessed``: the page's
    :func:`baselines_and_guesses`, compared with the page's median only) holding at least
    ``BUBBLE_UNPEERED_INK`` more ink than that median (``darkness``, (n,)): a cross or a stroke in a
    question of two circles (a circled «B», «Nam» and «Nữ»), which the page's threshold, set between its
    fills and its crosses or its empty bubbles, can leave under it (bench/hunt/elsewhere.py office
    circled-letters/1 Q12 at seed 12, two-pages/2 Q9 at seed 13). Such a bubble is not a sure blank."""
    return guessed & (darkness - base >= T.BUBBLE_UNPEERED_INK)


def marked_baselines(boxes: list[Checkbox], darkness: np.ndarray, solid: np.ndarray, margins: np.ndarray,
                     sources: tuple[np.ndarray, np.ndarray, list[tuple[int, ...]], float]) -> np.ndarray:
    """(n,) bool: bubbles not read as marks (``margins`` under ``BUBBLE_UNSURE``) whose printed baseline
    may itself be a mark, so that a mark measured against it looks empty. ``sources``:
    :func:`baseline_sources` of these ``boxes`` and ``darkness`` ((n,)), ``solid`` (n,) bool.

    - Baseline from the option's peers (the same option of the page's other rows) when at least half of
      them are marks (``margins`` or ``solid``), or when five or fewer are open (their lower quartile is
      then their second lightest or below: a second cross missed among them is enough): their lower
      quartile may lie on a mark; the bubble is
      unsure when it stands the page's threshold (:func:`page_threshold`), or ``BUBBLE_PEER_STEP`` if
      lower, or more above the lightest of its peers not read as marks (a page of four rows with two crosses in each, circled digits ①-⑤:
      bench/hunt/elsewhere.py styles two seed 11, a5-circled-b Q4 ① and ③ crossed, read blank).
    - Baseline from its own question's median, or the page's (no peers): with two of three marked the
      median is a mark and the lighter mark is measured against itself, and on a page where most bubbles
      are crossed the page's median is a cross; the bubble is unsure when it holds
      ``BUBBLE_UNPEERED_INK`` or more over the lightest other bubble of its question not read as a mark
      (logo-signature-b Q1, two crosses in 2 mm rings, read as one answer, ok; tests/
      test_bubble_marked_baseline.py: a cross beside a solid one, the question's two others open, read
      empty against the page's median)."""
    base, _guessed, groups, _page = sources
    out = np.zeros(len(boxes), dtype=bool)
    if not len(boxes):
        return out
    threshold = page_threshold(darkness - base)
    marked = solid | (margins >= T.BUBBLE_UNSURE)
    for i, group in enumerate(groups):
        if marked[i]:
            continue
        others = [j for j in group if j != i and not marked[j]]
        if not others:
            continue
        above = darkness[i] - float(darkness[others].min())
        if len({boxes[j].question for j in group}) == 1:  # its own question's median
            out[i] = above >= T.BUBBLE_UNPEERED_INK
        else:
            # The lower quartile of five or fewer open peers is their second lightest or below it: one
            # cross missed among them (or half of them marks) puts it on a cross.
            few = T.BUBBLE_BASELINE_PERCENTILE * (int((~solid[list(group)]).sum()) - 1) <= 100
            if few or 2 * int(marked[list(group)].sum()) >= len(group):
                out[i] = above >= min(threshold, T.BUBBLE_PEER_STEP)
    return out


def print_dark_as_fill(boxes: list[Checkbox], measured: list[tuple[float, float]], solid: np.ndarray,
                       margins: np.ndarray) -> np.ndarray:
    """(n,) bool: bubbles counted solid (:func:`solid_fills`) by their darkness alone (fill share under
    ``BUBBLE_SOLID_FILL``) while an open bubble not read as a mark (``margins``, :func:`mark_margins`) of
    the same option of a question with the same options measures within ``BUBBLE_PEER_STEP`` of them: the option's print itself is nearly as dark as a fill
    (a bold ④ on a dark photocopy measures 0.71-0.75 empty), and such a bubble is no sure mark.
    ``measured``: :func:`inner_darkness_all` (fill share, darkness) per bubble, ``solid`` (n,) bool.
    Seen (tests/test_shadow_edge_row.py, lettered-comb-landscape photocopied dark, a shadow's edge past a
    blank row): an empty ④ at 0.79 (fill share 0.88) stored as the answer, its peers' open ④s 0.71-0.72."""
    out = np.zeros(len(boxes), dtype=bool)
    options: dict[str, tuple] = {}
    for box in boxes:
        options.setdefault(box.question, ())
        options[box.question] += (box.option,)
    open_by_key: dict[tuple, list[float]] = {}
    for i, box in enumerate(boxes):
        if not solid[i] and margins[i] < T.BUBBLE_UNSURE:
            open_by_key.setdefault((options[box.question], box.option), []).append(measured[i][1])
    for i, box in enumerate(boxes):
        fill, dark = measured[i]
        if solid[i] and fill < T.BUBBLE_SOLID_FILL:
            peers = open_by_key.get((options[box.question], box.option), [])
            out[i] = bool(peers) and max(peers) >= dark - T.BUBBLE_PEER_STEP
    return out


def eaten_blanks(boxes: list[Checkbox], darkness: np.ndarray, margins: np.ndarray) -> np.ndarray:
    """(n,) bool: on a 1-bit page, the darkest bubble of each question with no bubble near a mark
    (``margins``, :func:`mark_margins`, all under -``BUBBLE_UNSURE``) when the page's marks are faint: their
    median darkness (``darkness``, (n,)) under ``BUBBLE_FAINT_MARKS``. A black-and-white scan's threshold
    cuts a pencil fill down to the bolder strokes of its letter, or to nothing, while a pen's fill stays
    nearly solid: where the fills that are still seen have lost most of their ink, a question with none
    may have lost its fill entirely, and is not a sure blank (bench/hunt/elsewhere.py binary seed 13,
    OMRChecker sample4 q5: «D» read blank at confidence 0.75). A page with no mark at all is left alone
    (an unanswered sheet; nothing tells its fills were faint)."""
    out = np.zeros(len(boxes), dtype=bool)
    marks = darkness[margins >= T.BUBBLE_UNSURE]
    if marks.size == 0 or float(np.median(marks)) >= T.BUBBLE_FAINT_MARKS:
        return out
    by_question: dict[str, list[int]] = {}
    for i, box in enumerate(boxes):
        by_question.setdefault(box.question, []).append(i)
    for members in by_question.values():
        if all(margins[i] <= -T.BUBBLE_UNSURE for i in members):
            out[max(members, key=lambda i: darkness[i])] = True
    return out


def _ellipse_rows(ax: int, ay: int) -> tuple[np.ndarray, int]:
    """The inner ellipse of half-axes (``ax``, ``ay``) px as pixel runs: each row's half-width (row dy = -ay..ay
    covers dx = -w..w) and the pixel count; the pixels ``((dx / ax)^2 + (dy / ay)^2 <= 1)`` marks."""
    ys, xs = np.mgrid[-ay:ay + 1, -ax:ax + 1]
    inside = (xs / ax) ** 2 + (ys / ay) ** 2 <= 1.0
    return inside.sum(axis=1) // 2, int(inside.sum())


def darkest_nearby(windows: list[BoxWindow], boxes: list[Checkbox], reach_mm: np.ndarray) -> np.ndarray:
    """(n,) each bubble's inner darkness (as :func:`inner_darkness`, scale 1) at its darkest place within
    ``reach_mm`` ((n, 2) mm, x and y: :func:`own_reach`) of where it is placed: where a fill lies when the
    placement is off.

    The grey over the inner ellipse is summed at every place it may slide to, and only there, exactly
    (uint8 sums in int32, which holds 255 times any window of fewer than 8.4 million pixels, else int64;
    from each row's cumulative sums: one slice a row of the ellipse); the sliding
    mean over the whole window (``cv2.filter2D``, an FFT for these kernels) cost ~0.19 s a page on
    OMRChecker's sheets whose rings were not found, for the same values to ~1e-6. Bubbles whose ellipse
    and sliding range lie alike in their windows (most of a page: one grid, windows centred alike) are
    summed together, ``INNER_DARKNESS_CHUNK`` at a time (one array operation a row of the ellipse for the
    chunk, not one a bubble: ~0.4 s CPU less on OMRChecker's 29 samples), the same integer sums. A window
    off the page, or too small to slide in, gives 0."""
    out = np.zeros(len(boxes))
    rows: dict[tuple[int, int], tuple[np.ndarray, int]] = {}
    groups: dict[tuple[int, int, int, int, int, int], list[int]] = {}
    for i, (window, box) in enumerate(zip(windows, boxes)):
        rx, ry = int(round(reach_mm[i][0] * K)), int(round(reach_mm[i][1] * K))
        if window.paper <= 0:
            continue
        ax = max(int(round(box.w * K * T.BUBBLE_INNER_SHARE / 2)), 1)
        ay = max(int(round(box.h * K * T.BUBBLE_INNER_SHARE / 2)), 1)
        height, width = window.grey.shape[:2]
        cx = int(round((box.x + box.w / 2) * K - window.x0))
        cy = int(round((box.y + box.h / 2) * K - window.y0))
        x0, x1 = max(ax, cx - rx), min(width - ax - 1, cx + rx)
        y0, y1 = max(ay, cy - ry), min(height - ay - 1, cy + ry)
        if x0 > x1 or y0 > y1:
            continue
        groups.setdefault((ax, ay, x0, x1, y0, y1), []).append(i)
    for (ax, ay, x0, x1, y0, y1), members in groups.items():
        if (ax, ay) not in rows:
            rows[(ax, ay)] = _ellipse_rows(ax, ay)
        half, count = rows[(ax, ay)]
        for start in range(0, len(members), T.INNER_DARKNESS_CHUNK):
            chunk = members[start:start + T.INNER_DARKNESS_CHUNK]
            grey = np.stack([windows[i].grey[y0 - ay:y1 + ay + 1, x0 - ax:x1 + ax + 1] for i in chunk])
            exact = np.int32 if 255 * grey[0].size < 2 ** 31 else np.int64  # no sum can overflow
            cumulative = np.zeros((len(chunk), y1 - y0 + 2 * ay + 1, x1 - x0 + 2 * ax + 2), exact)
            np.cumsum(grey, axis=2, out=cumulative[:, :, 1:])
            sums = np.zeros((len(chunk), y1 - y0 + 1, x1 - x0 + 1), exact)
            for k, w in enumerate(half):  # row y0 - ay + k of the windows, at every centre's column
                sums += cumulative[:, k:k + y1 - y0 + 1, ax + w + 1:ax + w + 2 + x1 - x0]
                sums -= cumulative[:, k:k + y1 - y0 + 1, ax - w:ax - w + 1 + x1 - x0]
            darkest = sums.reshape(len(chunk), -1).min(axis=1)
            for k, i in enumerate(chunk):
                out[i] = windows[i].mean_ink(float(darkest[k]) / count)
    return out


def solid_fills(measured: list[tuple[float, float]]) -> np.ndarray:
    """(n,) bool: bubbles whose inner part (:func:`inner_darkness`'s (fill share, mean ink) each) is
    nearly all ink (``BUBBLE_SOLID_FILL``) or as dark as a fill (``BUBBLE_SOLID_DARKNESS``)."""
    return np.array([f >= T.BUBBLE_SOLID_FILL or d >= T.BUBBLE_SOLID_DARKNESS for f, d in measured], dtype=bool)


def ring_paper(window: BoxWindow, box: Checkbox, dx: float, dy: float, scale: float = 1.0) -> float:
    """The paper level (grey, 0-255) just outside a bubble's printed ring, on its darker-lit side.

    The window from ``BUBBLE_SHADOW_GAP`` ring radii out (clear of the ring's stroke and a fill's spill)
    to ``BUBBLE_SHADOW_BAND_MM`` beyond (clipped to the window, ~3 mm round the bubble) is cut in four
    quarters (above, below, left, right of the bubble's centre, moved by
    (dx, dy) mm; ``scale`` as :func:`inner_darkness`); each quarter's paper is its
    ``BUBBLE_SHADOW_PERCENTILE`` grey (print and neighbours' rings and fills are sparse in it), the lowest
    quarter is returned: a hard shadow edge (a hand, a phone) across or beside the bubble puts its inside
    in the shade, and the page's paper map (a max filter over ~9 mm) still holds the lit paper there.
    Returns 0.0 when the band falls off the window or a quarter is empty."""
    cx, cy = (box.x + dx + box.w / 2) * K - window.x0, (box.y + dy + box.h / 2) * K - window.y0
    rx, ry = box.w * K * scale / 2 * T.BUBBLE_SHADOW_GAP, box.h * K * scale / 2 * T.BUBBLE_SHADOW_GAP
    band = T.BUBBLE_SHADOW_BAND_MM * K
    height, width = window.grey.shape[:2]
    x0, x1 = max(0, int(np.floor(cx - rx - band))), min(width, int(np.ceil(cx + rx + band)) + 1)
    y0, y1 = max(0, int(np.floor(cy - ry - band))), min(height, int(np.ceil(cy + ry + band)) + 1)
    if x0 >= x1 or y0 >= y1:
        return 0.0
    step = T.BUBBLE_SHADOW_STRIDE  # every step-th pixel each way: paper is smooth at this scale
    ys, xs = np.ogrid[y0:y1:step, x0:x1:step]
    ex, ey = (xs - cx) / max(rx, 1.0), (ys - cy) / max(ry, 1.0)
    outer_x, outer_y = (xs - cx) / (rx + band), (ys - cy) / (ry + band)
    annulus = (ex ** 2 + ey ** 2 > 1.0) & (outer_x ** 2 + outer_y ** 2 <= 1.0)
    grey = window.grey[y0:y1:step, x0:x1:step]
    horizontal = np.abs(xs - cx) >= np.abs(ys - cy)
    levels = []
    for quarter in (horizontal & (xs < cx), horizontal & (xs >= cx), ~horizontal & (ys < cy), ~horizontal & (ys >= cy)):
        pixels = grey[annulus & quarter]
        if pixels.size == 0:
            return 0.0
        # The lower nearest rank (np.partition, ~20 times quicker than np.percentile on ~100 pixels).
        k = int(T.BUBBLE_SHADOW_PERCENTILE / 100.0 * (pixels.size - 1))
        levels.append(float(np.partition(pixels, k)[k]))
    return min(levels)


def in_shade(search: BoxSearch, boxes: list[Checkbox], scales: np.ndarray, margins: np.ndarray) -> np.ndarray:
    """(n,) bool: bubbles read as marks (``margins`` at least ``BUBBLE_UNSURE``, :func:`mark_margins`) only
    because they lie in a shadow. When a mark's paper just outside its ring (:func:`ring_paper`) is at
    least ``BUBBLE_SHADOW_STEP`` darker than the page's paper map there, every bubble of the page is
    measured again against its own ring's paper (never lighter than the map's) and the page's decision
    taken again on those darknesses; a mark that is no longer one there is in the shade.
    An empty bubble in a phone photo's shadow measured ~0.3 darker than the lit paper and read filled
    (bench/hunt/elsewhere.py photo, seed 11, sample3 q50 and q96, hshade); a form printed on a tinted
    background is measured alike everywhere, so its fills stay marks."""
    shade = np.zeros(len(boxes), dtype=bool)
    marks = [i for i in range(len(boxes)) if margins[i] >= T.BUBBLE_UNSURE and search.windows[i].paper > 0]
    dx_dy = np.asarray(search.offsets)
    local = np.zeros(len(boxes))
    for i in marks:
        local[i] = ring_paper(search.windows[i], boxes[i], dx_dy[i][0], dx_dy[i][1], float(scales[i]))
    shaded = [i for i in marks if 0 < local[i] < search.windows[i].paper * (1.0 - T.BUBBLE_SHADOW_STEP)]
    if not shaded:
        return shade
    windows = []
    for i, (window, box) in enumerate(zip(search.windows, boxes)):
        if i not in marks and window.paper > 0:
            local[i] = ring_paper(window, box, dx_dy[i][0], dx_dy[i][1], float(scales[i]))
        paper = min(local[i], window.paper) if local[i] > 0 else window.paper
        windows.append(BoxWindow(window.x0, window.y0, window.grey, paper, window.black_ratio))
    measured = inner_darkness_all(windows, boxes, dx_dy, scales)
    darkness = np.array([d for _, d in measured])
    solid = solid_fills(measured)
    again = mark_margins(boxes, darkness, solid)
    shade[shaded] = again[shaded] < T.BUBBLE_UNSURE
    return shade


def read_filled(search: BoxSearch, boxes: list[Checkbox], one_bit: bool = False) -> list[BoxRead]:
    """Each bubble's state on a page of filled-in marks (``marks: fill``), from its inner darkness against
    the same option's bubbles elsewhere on the page (module docstring).

    When the boxes were not placed on their own print (``search.found_share`` under
    ``BUBBLE_RING_MIN_SHARE``: rings too faint on a light copy or a 1-bit scan, and registration alone
    places them, up to ~2 mm off where an OMRChecker template was drawn by hand), an empty bubble that
    would read marked at its darkest place within ``BUBBLE_SEARCH_MM`` (and on its own side of its
    neighbours, :func:`own_reach`) is uncertain, never empty:
    a fill measured half beside it is not a blank (bench/hunt/elsewhere.py light, sample3).
    ``one_bit``: the page is a black-and-white scan (:func:`omr.scan.read.bilevel`); its blank questions
    are unsure when its fills were cut down (:func:`eaten_blanks`)."""
    scales = search.scales if search.scales is not None else np.ones(len(boxes))
    measured = inner_darkness_all(search.windows, boxes, np.asarray(search.offsets), scales)
    darkness = np.array([d for _, d in measured]) if measured else np.zeros(0)
    solid = solid_fills(measured)
    sources = baseline_sources(boxes, darkness, solid)  # once: the margins and the unpeered tests
    base, guessed = sources[0], sources[1]
    margins = mark_margins(boxes, darkness, solid, base)
    if boxes and search.found_share < T.BUBBLE_RING_MIN_SHARE:
        nearby = darkest_nearby(search.windows, boxes, own_reach(boxes, T.BUBBLE_SEARCH_MM))
        placed_off = mark_margins(boxes, nearby, nearby >= T.BUBBLE_SOLID_DARKNESS) >= T.BUBBLE_UNSURE
    else:
        placed_off = np.zeros(len(boxes), dtype=bool)
    rival = rivals_of_marks(boxes, darkness, margins)
    unpeered = inked_unpeered(darkness, base, guessed) | marked_baselines(boxes, darkness, solid, margins, sources)
    eaten = eaten_blanks(boxes, darkness, margins) if one_bit else np.zeros(len(boxes), dtype=bool)
    shade = in_shade(search, boxes, scales, margins) if boxes else np.zeros(0, dtype=bool)
    print_dark = print_dark_as_fill(boxes, measured, solid, margins)
    reads = []
    for i, (box, (dx, dy), (fill, dark)) in enumerate(zip(boxes, search.offsets, measured)):
        margin = float(margins[i])
        if margin >= T.BUBBLE_UNSURE:
            state = MARKED
        elif margin <= -T.BUBBLE_UNSURE:
            state = EMPTY
        else:
            state = UNCERTAIN
        if state == MARKED and print_dark[i]:
            # Solid by its darkness only, as dark as its option's print elsewhere on the page.
            state = UNCERTAIN
        if state == MARKED and shade[i]:
            # A mark only against the lit paper beside a shadow's edge; solid ones too (in a shadow taking
            # half the light every pixel of an empty bubble is under the ink cutoff, a "solid fill").
            state = UNCERTAIN
        if state == EMPTY and (solid[i] or placed_off[i] or rival[i] or unpeered[i] or eaten[i]):
            # A solid fill is never read as empty, whatever the comparison says; nor a bubble with a
            # mark's darkness just beside where it was placed when nothing placed it on its print; nor one
            # as dark as its own question's mark (a second fill measured against filled peers); nor one
            # with no peers far darker than the page's median (a cross in a two-circle question); nor a
            # 1-bit page's blank question where the fills still seen are faint (a fill may be lost).
            state = UNCERTAIN
        confidence = 0.25 if state == UNCERTAIN else 0.5 + 0.5 * min(1.0, abs(margin) / 0.1)
        reads.append(BoxRead(box.question, box.option, state, round(fill, 4), round(dark, 4), round(confidence, 3),
                             round(box.x + dx, 2), round(box.y + dy, 2), box.w, box.h))
    return reads


def read_pinned_boxes(search: BoxSearch, page: PageLayout, one_bit: bool = False) -> list[BoxRead]:
    """The reads of a pinned page's boxes: :func:`read_filled` on a ``marks: fill`` page (``one_bit``: a
    black-and-white scan), else omr's own box reading."""
    if page.pinned.get("marks") == "fill":
        return read_filled(search, page.checkboxes, one_bit)
    return read_boxes(search, page.checkboxes)
