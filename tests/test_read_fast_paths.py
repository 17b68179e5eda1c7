"""Shortcuts taken for speed in reading boxes (issue #18) give the same answers as the full measures.

Each shortcut here skips work only where the full measure cannot change the answer; these tests
draw random windows (solid discs and squares of every size, pen strokes, noise) and compare.
"""

from __future__ import annotations

import builtins
import io
from unittest import mock

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from omr import tuning as T
from omr.forms.layout import Checkbox, TextRegion
from omr.forms.simulate import PROFILES, scan_page
from omr.model import EMPTY, BoxRead
from omr.scan import comments, printed_boxes, ruled
from omr.scan.align import K, BoxWindow, CanonicalPage, PageInk
from omr.scan.comments import _field_written, _lifts_nothing, _surely_unshaded
from omr.scan.components import components_with_stats
from omr.scan.ingest import RawPage
from omr.scan.line_marks import StrokeWidth, _surely_pen_wide, stroke_width, stroke_widths
from omr.scan.page import _median, process_page
from omr.scan.printed_boxes import _rects_mask, tint_levels, tinted_boxes
from omr.scan.read import _ink_of, _inside_grey, _paper_between, _strokes_and_halos, disc_measure, solid_disc
from read_checks import answer_questions, blank_sheet

BOX = Checkbox("q1", "a", 10.0, 10.0, 5.0, 5.0)
# The window as locate_boxes cuts it around a 5 mm box (band and search each side, 8 px/mm).
MARGIN_PX = 18
SIDE_PX = int(round(BOX.w * K)) + 2 * MARGIN_PX


def _window(seed: int, shapes: int) -> BoxWindow:
    """A grey window (paper 220, ink 30) holding random solid discs, squares and strokes near the box."""
    rng = np.random.default_rng(seed)
    grey = np.full((SIDE_PX, SIDE_PX), 220, np.uint8)
    for _ in range(shapes):
        kind = rng.integers(4)
        cx, cy = (int(v) for v in rng.integers(MARGIN_PX - 8, SIDE_PX - MARGIN_PX + 8, size=2))
        if kind == 0:  # a hole or a dot, 0.5-4 mm across
            cv2.circle(grey, (cx, cy), int(rng.integers(2, 32)), 30, -1)
        elif kind == 1:  # a pen's fill: a rectangle
            w, h = (int(v) for v in rng.integers(4, 44, size=2))
            cv2.rectangle(grey, (cx - w // 2, cy - h // 2), (cx + w // 2, cy + h // 2), 30, -1)
        elif kind == 2:  # a stroke 0.3-2 mm wide
            end = tuple(int(v) for v in rng.integers(0, SIDE_PX, size=2))
            cv2.line(grey, (cx, cy), end, 30, int(rng.integers(2, 16)))
        else:  # an ellipse (a thumb, a blot)
            axes = tuple(int(v) for v in rng.integers(4, 30, size=2))
            cv2.ellipse(grey, (cx, cy), axes, float(rng.integers(180)), 0, 360, 30, -1)
    noise = rng.normal(0, 6, grey.shape)
    grey = np.clip(grey + noise, 0, 255).astype(np.uint8)
    x0 = int(round(BOX.x * K)) - MARGIN_PX
    return BoxWindow(x0, x0, grey, 220.0, 30 / 220)


def _full_measure(window: BoxWindow, dx: float, dy: float) -> bool:
    """solid_disc as measured in full, without the shortcut."""
    measured = disc_measure(window, BOX, dx, dy)
    return measured is not None and measured[0] >= T.DISC_MIN_RADIUS_MM and measured[1] <= T.DISC_MAX_RIM_SHARE


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2 ** 31), shapes=st.integers(1, 4),
       dx=st.floats(-1.0, 1.0), dy=st.floats(-1.0, 1.0))
def test_solid_disc_shortcut_agrees_with_the_full_measure(seed, shapes, dx, dy):
    window = _window(seed, shapes)
    assert solid_disc(window, BOX, dx, dy) == _full_measure(window, dx, dy)


def test_the_shortcut_keeps_a_hole_and_drops_a_cross():
    """A punch hole over the box is still found; a pen's cross is not a disc (and is not measured)."""
    hole = np.full((SIDE_PX, SIDE_PX), 220, np.uint8)
    centre = SIDE_PX // 2
    cv2.circle(hole, (centre, centre), int(3.0 * K), 20, -1)
    cross = np.full((SIDE_PX, SIDE_PX), 220, np.uint8)
    cv2.line(cross, (centre - 14, centre - 14), (centre + 14, centre + 14), 30, 4)
    cv2.line(cross, (centre - 14, centre + 14), (centre + 14, centre - 14), 30, 4)
    x0 = int(round(BOX.x * K)) - MARGIN_PX
    assert solid_disc(BoxWindow(x0, x0, hole, 220.0, 0.1), BOX, 0.0, 0.0)
    assert not solid_disc(BoxWindow(x0, x0, cross, 220.0, 0.1), BOX, 0.0, 0.0)


@settings(max_examples=500, deadline=None)
@given(others=st.lists(st.floats(0.0, 2.0, allow_nan=False), min_size=4, max_size=30),
       percentile=st.sampled_from([0, T.HAIR_REFERENCE_PERCENTILE]),
       width=st.floats(0.0, 2.0, allow_nan=False), share=st.floats(0.0, 1.0))
def test_a_mark_skipped_as_surely_pen_wide_is_no_hair_at_any_pen(others, percentile, width, share):
    """hairs_among_marks skips NumPy's percentile only for marks its two width tests would pass anyway."""
    stroke = StrokeWidth(width, 3.5, 0.0, share)
    pen = float(np.percentile(others, percentile))
    hair = width < T.HAIR_WIDTH_SHARE * pen
    passes = not hair and (share < T.LINE_MARK_OWN_SHARE or width >= T.HAIR_PASSING_WIDTH_SHARE * pen)
    if _surely_pen_wide(stroke, others, percentile):
        assert passes


def test_stroke_widths_together_equal_one_by_one():
    """The stroke widths of many boxes measured together are stroke_width's, box by box."""
    rng = np.random.default_rng(5)
    windows = []
    for n in range(60):
        side = 40 + int(rng.integers(0, 3))
        ink = np.clip(rng.normal(0.02, 0.03, (side, side)), 0, 1).astype(np.float32)
        canvas = np.zeros((side, side), np.uint8)
        for _ in range(int(rng.integers(0, 3))):
            a, b = (tuple(int(v) for v in rng.integers(0, side, 2)) for _ in range(2))
            cv2.line(canvas, a, b, int(rng.integers(100, 255)), int(rng.integers(1, 6)))
        ink = np.maximum(ink, canvas.astype(np.float32) / 255)
        printed = np.zeros((side, side), np.uint8)
        printed[:, :3] = 1
        box = (float(rng.uniform(0, 2)), float(rng.uniform(0, 2)), 40.0, 40.0)
        windows.append(None if n % 17 == 16 else (ink, printed, box))
    together = stroke_widths(windows)
    alone = [stroke_width(*w) if w is not None else None for w in windows]
    assert together == alone
    assert sum(s is not None for s in alone) > 30


@settings(max_examples=200, deadline=None)
@given(seeds=st.lists(st.integers(0, 2 ** 31), min_size=1, max_size=6), shapes=st.integers(0, 4),
       dx=st.floats(-1.0, 1.0), dy=st.floats(-1.0, 1.0))
def test_eraser_smear_percentiles_stacked_equal_one_by_one(seeds, shapes, dx, dy):
    # The smear check (_doubt_erased) takes the percentile of every marked box's inside as one
    # stack: each must be NumPy's percentile of that inside alone, to the bit.
    windows = [_window(seed, shapes) for seed in seeds]
    stacked = _paper_between(windows, [BOX] * len(windows), [(dx, dy)] * len(windows))
    for window, value in zip(windows, stacked):
        inside = _inside_grey(window, BOX, dx, dy, T.BOX_INNER_MARGIN_MM)
        alone = window.mean_ink(float(np.percentile(inside, 100 - T.ERASED_GREY_PERCENTILE)))
        assert value == alone


@settings(max_examples=200, deadline=None)
@given(seeds=st.lists(st.integers(0, 2 ** 31), min_size=1, max_size=6), shapes=st.integers(0, 4),
       dx=st.floats(-1.0, 1.0), dy=st.floats(-1.0, 1.0))
def test_stroke_and_halo_stacked_equal_one_by_one(seeds, shapes, dx, dy):
    # The rubbed-out tick check (_doubt_erased) measures every marked box's line and halo as one stack:
    # each must be what that inside alone gives (the measure as stop 28 wrote it), to the bit.
    windows = [_window(seed, shapes) for seed in seeds]
    stacked = _strokes_and_halos(windows, [BOX] * len(windows), [(dx, dy)] * len(windows))
    for window, (stroke, halo) in zip(windows, stacked):
        ink = _ink_of(window, _inside_grey(window, BOX, dx, dy, T.BOX_INNER_MARGIN_MM))
        dark = int(np.count_nonzero(ink >= T.INK_THRESHOLD))
        faint = int(np.count_nonzero(ink >= T.ERASED_HALO_MIN_INK)) - dark
        assert (stroke, halo) == (float(np.percentile(ink, T.ERASED_STROKE_PERCENTILE)), faint / max(dark, 1))


@settings(max_examples=200, deadline=None)
@given(rects=st.lists(st.tuples(*[st.floats(-20.0, 120.0, allow_nan=False)] * 2, st.floats(0.0, 30.0),
                                st.floats(0.0, 30.0)), max_size=40),
       px0=st.integers(0, 400), py0=st.integers(0, 400), w=st.integers(1, 200), h=st.integers(1, 200))
def test_rectangles_masked_at_once_equal_one_by_one(rects, px0, py0, w, h):
    # The mask of the rectangles kept clear (boxes, comment frames) around a question's or a mark's window,
    # the rectangles missing the window dropped in one pass: each pixel as the rectangles set one by one.
    corners = [(x, y, x + rw, y + rh) for x, y, rw, rh in rects]
    alone = np.zeros((h, w), np.uint8)
    for bx0, by0, bx1, by1 in corners:
        top, left = max(0, int(by0 * K) - py0), max(0, int(bx0 * K) - px0)
        bottom, right = int(by1 * K) + 1 - py0, int(bx1 * K) + 1 - px0
        if bottom > 0 and right > 0 and top < h and left < w:
            alone[top:bottom, left:right] = 1
    assert np.array_equal(_rects_mask((h, w), corners, px0, py0), alone)
    assert np.array_equal(_rects_mask((h, w), np.array(corners).reshape(-1, 4), px0, py0), alone)


def _field(seed: int, shade: float) -> np.ndarray:
    """A comment field's ink (float32 0..1, 8 px/mm, ~60 x 20 mm): paper noise clipped at 0 as the
    page's ink is, a few handwritten strokes, and a soft shade of ``shade`` ink down its middle."""
    rng = np.random.default_rng(seed)
    ink = np.clip(rng.normal(0.0, 0.03, (160, 480)), 0.0, None).astype(np.float32)
    for _ in range(int(rng.integers(0, 8))):
        start, end = (tuple(int(v) for v in rng.integers(20, 140, size=2)[::-1] * (3, 1)) for _ in range(2))
        cv2.line(ink, start, end, float(rng.uniform(0.3, 1.0)), int(rng.integers(2, 6)))
    ink[:, 200:280] = np.clip(ink[:, 200:280] + shade, 0.0, 1.0)
    return ink


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 31), shade=st.sampled_from([0.0, 0.0, 0.15, 0.3]),
       black_ratio=st.floats(0.0, 0.3))
def test_comment_field_skipping_the_lifted_look_reads_as_taking_it(seed, shade, black_ratio):
    # _field_written skips its shade-lifted second look where lifting changes nothing: the field
    # must read (writing, print, mm2 inside the frame) as when the second look is always taken.
    area = _field(seed, shade)
    region = TextRegion("c", T.CROP_MARGIN_MM, T.CROP_MARGIN_MM, 60.0 - 2 * T.CROP_MARGIN_MM, 20.0 - 2 * T.CROP_MARGIN_MM)
    found = _field_written(area, region, black_ratio)
    with mock.patch.object(comments, "_lifts_nothing", return_value=False):
        full = _field_written(area, region, black_ratio)
    assert np.array_equal(found.written, full.written)
    assert np.array_equal(found.printed, full.printed)
    assert found.inside_mm2 == full.inside_mm2


def test_a_flat_lit_field_lifts_nothing_and_a_shaded_one_does():
    assert _lifts_nothing(_field(1, 0.0), comments._shade(_field(1, 0.0), K))
    assert not _lifts_nothing(_field(1, 0.3), comments._shade(_field(1, 0.3), K))


def _random_page_ink(seed: int, black_ratio: float, paper_low: float, paper_high: float):
    """A 240 x 320 page of random grey levels and its PageInk over a random 30 x 40 paper map
    (levels paper_low..paper_high): (canonical, ink)."""
    rng = np.random.default_rng(seed)
    canonical = rng.integers(0, 256, (240, 320)).astype(np.uint8)
    paper = rng.uniform(paper_low, paper_high, (30, 40)).astype(np.float32)
    return canonical, PageInk(canonical, paper, black_ratio)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(-50.0, 50.0, allow_nan=False), min_size=1, max_size=12))
def test_box_shift_median_is_numpys(values):
    # The median offset of a question's boxes (page._box_shifts, for three checks a page) taken without NumPy.
    assert _median(values) == float(np.median(values))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2 ** 31), black_ratio=st.floats(0.0, 0.6), level=st.floats(0.01, 1.0),
       x0=st.integers(-30, 330), y0=st.integers(-30, 230), w=st.integers(1, 200), h=st.integers(1, 200))
def test_may_be_ink_holds_every_inked_pixel(seed, black_ratio, level, x0, y0, w, h):
    # Windows around marks and questions are ruled out on the grey alone (PageInk.may_be_ink) only where
    # their ink (PageInk.region: the paper map blended over the window) holds no pixel at the level.
    canonical, ink = _random_page_ink(seed, black_ratio, 60.0, 255.0)
    inked = ink.region(x0, y0, x0 + w, y0 + h) >= level
    maybe = ink.may_be_ink(x0, y0, x0 + w, y0 + h, level)
    assert maybe.shape == inked.shape
    assert not (inked & ~maybe).any()


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2 ** 31), shade=st.sampled_from([0.0, 0.0, 0.05, 0.15, 0.3]))
def test_a_field_told_unshaded_without_its_shade_lifts_nothing(seed, shade):
    # _field_written skips even making the shade (an opening of float pixels) where a uint8 erosion tells
    # it is zero everywhere: that must never be said of a field the shade would lift.
    area = _field(seed, shade)
    if _surely_unshaded(area, K):
        assert _lifts_nothing(area, comments._shade(area, K))


def test_a_flat_lit_field_is_told_unshaded_and_a_shaded_one_is_not():
    assert _surely_unshaded(_field(1, 0.0), K)
    assert not _surely_unshaded(_field(1, 0.3), K)
    assert not _surely_unshaded(np.full((40, 40), 1.5, np.float32), K)  # ink beyond 1: the clip would change it


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2 ** 31), black_ratio=st.floats(0.0, 0.6), level=st.floats(0.01, 1.0),
       x0=st.integers(-30, 330), y0=st.integers(-30, 230), w=st.integers(1, 200), h=st.integers(1, 200))
def test_may_be_ink_is_the_bound_on_the_grey_as_a_float(seed, black_ratio, level, x0, y0, w, h):
    # may_be_ink compares whole grey levels with the bound's floor: the pixels grey <= bound, as before.
    canonical, ink = _random_page_ink(seed, black_ratio, 1.0, 300.0)
    maybe = ink.may_be_ink(x0, y0, x0 + w, y0 + h, level)
    x0c, y0c, x1c, y1c = max(x0, 0), max(y0, 0), min(x0 + w, 320), min(y0 + h, 240)
    if x1c <= x0c or y1c <= y0c:
        assert maybe.size == 0
        return
    under = float(ink._paper_under(x0c / K, y0c / K, x1c / K, y1c / K).max())
    bound = under * (1.0 - level * (1.0 - black_ratio)) + 1.0
    assert np.array_equal(maybe, canonical[y0c:y1c, x0c:x1c].astype(np.float64) <= bound)


def _tinted_page(seed: int) -> tuple[PageInk, list[BoxRead]]:
    """An aligned page (paper 220) of 5 mm boxes in a grid, some under a patch of tint of random depth and
    reach (inside only, inside and one side, all round), some off the page; every box empty."""
    rng = np.random.default_rng(seed)
    grey = np.clip(rng.normal(220, 3, (400, 480)), 0, 255).astype(np.uint8)
    reads = []
    for n, (x, y) in enumerate([(x, y) for y in (-3.0, 5.0, 17.0, 29.0, 41.0) for x in (4.0, 16.0, 28.0, 40.0, 52.0)]):
        reads.append(BoxRead(f"q{n // 2}", str(n % 2), EMPTY, 0.0, 0.0, 0.9, x, y, 5.0, 5.0))
        kind = rng.integers(4)
        if kind and y >= 0:
            reach = [0.0, 0.6, 1.2][kind - 1]
            x0, y0 = int((x - reach * rng.integers(2)) * K), int((y - reach * rng.integers(2)) * K)
            x1, y1 = int((x + 5.0 + reach * rng.integers(2)) * K), int((y + 5.0 + reach) * K)
            grey[max(y0, 0):y1, x0:x1] = np.clip(grey[max(y0, 0):y1, x0:x1] * rng.uniform(0.8, 1.0), 0, 255)
    return PageInk(grey, np.full((50, 60), 220.0, np.float32), 30 / 220), reads


@pytest.mark.parametrize("seed", range(12))
def test_tinted_boxes_are_those_whose_tint_levels_both_reach_the_floor(seed):
    # tinted_boxes takes the inside's median first and the bands' one by one (issue #18): the questions
    # found are those whose min(tint_levels) reaches TINT_MIN_INK, as when all five medians were taken.
    ink, reads = _tinted_page(seed)
    questions = {r.question for r in reads}
    expected = set()
    for r in reads:
        if min(tint_levels(r, ink)) >= T.TINT_MIN_INK:
            expected.add(r.question)
    assert tinted_boxes(reads, ink, questions) == expected


def test_an_untinted_box_costs_one_median():
    ink = PageInk(np.full((200, 200), 220, np.uint8), np.full((25, 25), 220.0, np.float32), 30 / 220)
    reads = [BoxRead(f"q{n}", "1", EMPTY, 0.0, 0.0, 0.9, 3.0 + 6 * n, 5.0, 5.0, 5.0) for n in range(3)]
    with mock.patch.object(printed_boxes.np, "median", wraps=np.median) as median:
        assert tinted_boxes(reads, ink, {r.question for r in reads}) == set()
    assert median.call_count == len(reads)


def test_reading_a_page_rounds_almost_no_numpy_scalar(default_layout, blanks, catalogue):
    # Rounding a NumPy scalar costs ~6 us against ~0.4 for a float: reading a page's ~100 boxes rounded
    # ~350 of them (their places, their insides' edges), ~2 ms a page (issue #18). The same values are
    # rounded as arrays or as floats now.
    img, _, questions = blank_sheet(default_layout, blanks, 200, 1, 31)
    rng = np.random.default_rng(3)
    answer_questions(img, questions, (), 200, rng)
    data, _ = scan_page(img, PROFILES["office"], 200, rng, upside_down=False)
    raw = RawPage("page.jpg", 0, np.asarray(Image.open(io.BytesIO(data)).convert("L")))
    process_page(raw, catalogue)  # what a process makes once (cached) is not a page's cost
    real, scalars = builtins.round, []

    def counting(value, *digits):
        if isinstance(value, np.generic):
            scalars.append(value)
        return real(value, *digits)

    with mock.patch.object(builtins, "round", counting):
        result = process_page(raw, catalogue)
    assert result.set_aside is None and len(result.boxes) > 50
    assert len(scalars) < 10


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2 ** 31), h=st.integers(1, 160), w=st.integers(1, 160),
       density=st.floats(0.0, 1.0), grow=st.booleans(), level=st.sampled_from([1, 255]))
def test_components_in_16_bits_equal_opencvs_32(seed, h, w, density, grow, level):
    # components_with_stats labels in 16 bits where they fit (2-3x faster): the count, the labels (int32
    # as OpenCV's default gives them), the stats and the centroids are those of OpenCV's 32-bit labelling.
    rng = np.random.default_rng(seed)
    binary = (rng.random((h, w)) < density).astype(np.uint8)
    if grow:
        binary = cv2.dilate(binary, np.ones((3, 3), np.uint8))
    binary *= level
    count, labels, stats, centroids = components_with_stats(binary)
    want = cv2.connectedComponentsWithStats(binary, connectivity=8)
    assert count == want[0]
    assert labels.dtype == want[1].dtype and np.array_equal(labels, want[1])
    assert np.array_equal(stats, want[2])
    assert np.array_equal(centroids, want[3], equal_nan=True)


def _ruled_window(seed: int, lines: int, strokes: int) -> np.ndarray:
    """A box's window of ink (float32 0..1, K px/mm): paper noise, faint level and upright lines of
    ruled paper (ink 0.02-0.5, 1-6 px), pen strokes and the box's outline."""
    rng = np.random.default_rng(seed)
    side = int(rng.integers(40, 90))
    ink = rng.uniform(0.0, 0.04, (side, side)).astype(np.float32)
    for _ in range(lines):
        at, width, level = int(rng.integers(0, side)), int(rng.integers(1, 6)), float(rng.uniform(0.02, 0.5))
        if rng.random() < 0.5:
            ink[at:at + width] = np.maximum(ink[at:at + width], level)
        else:
            ink[:, at:at + width] = np.maximum(ink[:, at:at + width], level)
    for _ in range(strokes):
        a, b = (tuple(int(v) for v in rng.integers(0, side, 2)) for _ in range(2))
        cv2.line(ink, a, b, float(rng.uniform(0.3, 1.0)), int(rng.integers(1, 5)))
    cv2.rectangle(ink, (18, 18), (side - 19, side - 19), 0.9, 2)
    return ink


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2 ** 31), lines=st.integers(0, 6), strokes=st.integers(0, 3))
def test_ruled_lines_found_skipping_hopeless_windows_equal_the_full_measure(seed, lines, strokes):
    # _lines_along skips a window's medians where no row's three parts can reach RULED_MIN_INK
    # (ruled._may_reach): the lines found are those the medians of every window give.
    ink = _ruled_window(seed, lines, strokes)
    side = ink.shape[0]
    box = (18, 18, side - 18, side - 18)
    fast = ruled.window_lines(ink, box)
    with mock.patch.object(ruled, "_may_reach", lambda band, parts, level: np.ones(band.shape[0], bool)):
        full = ruled.window_lines(ink, box)
    assert len(fast) == len(full)
    for a, b in zip(fast, full):
        assert (a.axis, a.first, a.last) == (b.axis, b.first, b.last)
        assert np.array_equal(a.levels, b.levels)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2 ** 31), rows=st.integers(1, 30), cuts=st.lists(st.integers(0, 39), min_size=4,
       max_size=4), level=st.floats(0.0, 1.0), steps=st.integers(2, 9))
def test_rows_that_may_reach_hold_every_row_whose_medians_do(seed, rows, cuts, level, steps):
    # The bound never drops a row whose every part's median reaches the level (ties at the level included:
    # values on a coarse grid of `steps` levels).
    rng = np.random.default_rng(seed)
    band = (rng.integers(0, steps, (rows, 40)) / (steps - 1)).astype(np.float32)
    a, b, c, d = sorted(cuts)
    parts = [(a, b + 1), (b + 1, c + 1), (c + 1, d + 1)]
    reach = ruled._may_reach(band, parts, np.float32(level))
    for r in range(rows):
        if all(p1 > p0 and np.median(band[r, p0:p1]) >= np.float32(level) for p0, p1 in parts):
            assert reach[r]


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2 ** 31), rects=st.lists(st.tuples(st.integers(-40, 420), st.integers(-40, 620),
       st.integers(1, 150), st.integers(1, 150)), min_size=1, max_size=12))
def test_one_rectangle_warped_with_integers_equals_the_grid_path(seed, rects):
    # CanonicalPage.pixels warps one rectangle's tiles by plain integers (_ensure_one): the same tiles warped
    # by the same runs as ensure's grid path, so the same pixels, after any sequence of rectangles.
    rng = np.random.default_rng(seed)
    scan = rng.integers(0, 256, (700, 500)).astype(np.uint8)
    homography = np.array([[1.02 * K, 0.03, 12.0], [-0.02, 0.99 * K, 7.0], [1e-5, -2e-5, 1.0]])
    page = mock.Mock(width=50.0, height=75.0)
    fast, grid = CanonicalPage.warped(scan, homography, page), CanonicalPage.warped(scan, homography, page)
    for x0, y0, w, h in rects:
        x1, y1 = max(x0 + w, 1), max(y0 + h, 1)  # ends past the page's start (a negative end is NumPy's)
        got = fast.pixels(x0, y0, x1, y1)
        grid.ensure([(x0, y0, x1, y1)])
        assert np.array_equal(fast._done, grid._done)
        assert np.array_equal(got, grid._pixels[max(y0, 0):y1, max(x0, 0):x1])
    assert np.array_equal(fast.full(), grid.full())
    x0, y0, x1, y1 = 5, 9, 77, 40
    one = CanonicalPage.warped(scan, homography, page)
    one._ensure_one(x0, y0, x1, y1)
    other = CanonicalPage.warped(scan, homography, page)
    other.ensure([(x0, y0, x1, y1)])
    assert np.array_equal(one._done, other._done)
    assert np.array_equal(one._pixels[y0:y1, x0:x1], other._pixels[y0:y1, x0:x1])


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2 ** 31), h=st.integers(1, 60), w=st.integers(1, 60), density=st.floats(0.0, 1.0),
       grow=st.booleans())
def test_the_opening_skipped_by_its_bounds_could_not_have_passed(seed, h, w, density, grow):
    # marks_running_out and crossed_out skip the opening (_opened) of a window whose pixels, grown by
    # _OPEN_SLACK or counted _OPEN_SIDE² each, already fail the test: the opening lies within those
    # bounds (even along the window's border, where OpenCV's erosion counts the outside as ink).
    rng = np.random.default_rng(seed)
    mask = (rng.random((h, w)) < density).astype(np.uint8)
    if grow:
        mask = cv2.dilate(mask, np.ones((2, 2), np.uint8))
    opened = printed_boxes._opened(mask)
    side = 2 * printed_boxes._OPEN_SLACK + 1
    near = cv2.dilate(mask, np.ones((side, side), np.uint8))
    assert not (opened & (1 - near)).any()
    assert cv2.countNonZero(opened) <= cv2.countNonZero(mask) * printed_boxes._OPEN_SIDE ** 2
    box = tuple(float(v) for v in rng.uniform(-5, 65, 2)) + tuple(float(v) for v in rng.uniform(0, 30, 2))
    bx0, by0, bx1, by1 = box[0], box[1], box[0] + box[2], box[1] + box[3]
    reach = float(rng.uniform(0, 20))
    if printed_boxes._all_near(cv2.boundingRect(mask), bx0, by0, bx1, by1, reach, printed_boxes._OPEN_SLACK):
        assert printed_boxes._all_near(cv2.boundingRect(opened), bx0, by0, bx1, by1, reach)
