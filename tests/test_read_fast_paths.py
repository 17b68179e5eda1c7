"""Shortcuts taken for speed in reading boxes (issue #18) give the same answers as the full measures.

Each shortcut here skips work only where the full measure cannot change the answer; these tests
draw random windows (solid discs and squares of every size, pen strokes, noise) and compare.
"""

from __future__ import annotations

from unittest import mock

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from omr import tuning as T
from omr.forms.layout import Checkbox, TextRegion
from omr.scan.align import K, BoxWindow, PageInk
from omr.scan.line_marks import StrokeWidth, _surely_pen_wide, stroke_width, stroke_widths
from omr.scan import comments
from omr.scan.comments import _field_written, _lifts_nothing
from omr.scan.page import _median
from omr.scan.printed_boxes import _rects_mask
from omr.scan.read import _ink_of, _inside_grey, _paper_between, _strokes_and_halos, disc_measure, solid_disc

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
    rng = np.random.default_rng(seed)
    canonical = rng.integers(0, 256, (240, 320)).astype(np.uint8)
    paper = rng.uniform(60.0, 255.0, (30, 40)).astype(np.float32)
    ink = PageInk(canonical, paper, black_ratio)
    inked = ink.region(x0, y0, x0 + w, y0 + h) >= level
    maybe = ink.may_be_ink(x0, y0, x0 + w, y0 + h, level)
    assert maybe.shape == inked.shape
    assert not (inked & ~maybe).any()
