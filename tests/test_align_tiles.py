"""Aligning a page warps only what the reading looks at (issue #18), and reads it as the whole warp did.

A page is warped onto its layout tile by tile as the box search, the corner marks and the comment
fields ask for it (omr.scan.align.CanonicalPage), and its paper map comes from 1 mm block means of
the scan (omr.scan.align.aligned_ink). These tests hold it to the whole page's warp: the same
pixels, the same box search, ink within half a percent of the paper level.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from omr import tuning as T

from omr.forms.simulate import PROFILES, _BlankPages, choose_answers, fill_page, scan_page
from omr.scan.align import CanonicalPage, aligned_ink, locate_boxes, page_ink, warp_to_layout
from omr.scan.identify import overview
from omr.scan.lighting import block_means, flatten_lighting
from omr.scan.page_geometry import identify_any_turn


@pytest.fixture(scope="module")
def aligned(default_layout):
    """The page with comment fields of a filled sheet scanned as an office scanner does (200 dpi grey JPEG), flattened,
    with its homography and layout page."""
    template, layout = default_layout
    rng = np.random.default_rng(18)
    page = next(p for p in layout.pages if p.text_regions)
    truth = choose_answers(template, 1818, rng, None, comment_share=1.0)
    rgb = fill_page(_BlankPages(layout, 200).pages[page.number], page, truth, 200, rng, faint=False)
    data, _ = scan_page(rgb, PROFILES["office"], 200, np.random.default_rng(5), upside_down=False)
    grey = flatten_lighting(np.asarray(Image.open(io.BytesIO(data)).convert("L")).copy())
    found = identify_any_turn(grey, overview(grey)).identification
    assert found.homography is not None and found.identity.page == page.number
    return grey, found.homography, page


def test_tiles_warped_on_demand_are_the_whole_warp(aligned):
    grey, homography, page = aligned
    whole = warp_to_layout(grey, homography, page)
    lazy = CanonicalPage.warped(grey, homography, page)
    assert lazy.shape == whole.shape
    # A window asked for alone (not on the tile grid), then the page as a whole.
    window = lazy.pixels(517, 1203, 611, 1290)
    assert window.shape == (87, 94)
    assert np.mean(window != whole[1203:1290, 517:611]) < 1e-3
    assert lazy.warped_share < 0.01
    full = lazy.full()
    assert lazy.warped_share == 1.0
    # OpenCV reaches a pixel's source position through another sum: one pixel in ~10^5 moves.
    assert np.mean(full != whole) < 1e-4


def test_box_search_warps_a_fraction_of_the_page_and_finds_the_same_boxes(aligned):
    grey, homography, page = aligned
    before = page_ink(warp_to_layout(grey, homography, page), page)
    ink = aligned_ink(grey, homography, page)
    old, new = locate_boxes(before, page.checkboxes), locate_boxes(ink, page.checkboxes)
    # The boxes, their margins and the corner marks: about a quarter of the page, not all of it.
    assert ink.page.warped_share < 0.4
    np.testing.assert_array_equal(new.offsets, old.offsets)
    assert new.residual == old.residual and new.found_share == old.found_share
    assert abs(ink.black_ratio - before.black_ratio) < 0.002
    assert np.mean(np.concatenate([(a.grey != b.grey).ravel() for a, b in zip(old.windows, new.windows)])) < 1e-4
    for a, b in zip(old.windows, new.windows):
        assert abs(a.paper - b.paper) <= 0.005 * a.paper
    # A comment field's ink, as read_comment measures it, is the whole warp's within 2 % of black
    # (but for the rare pixel sampled from its neighbour in the scan, see the test above).
    region = page.text_regions[0]
    apart = np.abs(ink.region_mm(region.x, region.y, region.w, region.h)
                   - before.region_mm(region.x, region.y, region.w, region.h))
    assert np.mean(apart > 0.02) < 1e-4
    assert ink.page.warped_share < 0.6


def test_scan_block_means_follow_the_canonical_block_means(aligned):
    grey, homography, page = aligned
    before = page_ink(warp_to_layout(grey, homography, page), page)
    ink = aligned_ink(grey, homography, page)
    # On the paper (away from the QR code's dense print, where 1 mm blocks of modules differ most).
    h, w = before.paper.shape
    lower = (slice(h // 3, h), slice(0, w))
    assert np.median(np.abs(ink.paper[lower] - before.paper[lower])) < 0.5
    assert np.percentile(np.abs(ink.paper[lower] - before.paper[lower]), 99) < 2.0


@pytest.mark.parametrize("factor", [1, 2, 4, 6, 8, 12])
def test_block_means_are_the_block_averages(factor):
    grey = np.random.default_rng(factor).integers(0, 256, (97, 131), dtype=np.uint8)
    small, done = block_means(grey, factor)
    assert done == factor
    assert small.shape == (97 // factor, 131 // factor)
    h, w = small.shape
    exact = grey[:h * factor, :w * factor].reshape(h, factor, w, factor).mean(axis=(1, 3))
    # Each step (a halving, or the odd rest) rounds to a whole level: half a level off at most per step.
    steps = {1: 0, 2: 1, 4: 2, 6: 2, 8: 3, 12: 3}[factor]
    assert np.abs(small - exact).max() <= 0.5 * steps + 1e-9
    if factor == 2:
        np.testing.assert_array_equal(small, cv2.resize(grey[:96, :130], (65, 48), interpolation=cv2.INTER_AREA))


def test_block_means_of_an_image_smaller_than_a_block_stop_where_they_can():
    grey = np.full((5, 3), 200, np.uint8)
    small, done = block_means(grey, 8)
    assert done == 2 and small.shape == (2, 1) and int(small[0, 0]) == 200


def _warps_of_the_whole_grid(done: np.ndarray, rects, tile: int, shape: tuple[int, int]) -> list[tuple[int, ...]]:
    """The warp calls (x0, y0, x1, y1 canonical px) that ``CanonicalPage.ensure`` made before it looked at the
    rectangles' tiles only (issue #18): the tiles marked over the whole grid, runs of tiles per row, a run
    repeated on the rows below warped with it. ``done`` is updated in place."""
    h, w = shape
    box = np.array(rects, np.int64).reshape(-1, 4)
    x0, y0 = np.maximum(box[:, 0], 0), np.maximum(box[:, 1], 0)
    x1, y1 = np.minimum(box[:, 2], w), np.minimum(box[:, 3], h)
    keep = (x1 > x0) & (y1 > y0)
    tx0, ty0, tx1, ty1 = x0[keep] // tile, y0[keep] // tile, (x1[keep] - 1) // tile + 1, (y1[keep] - 1) // tile + 1
    marks = np.zeros((done.shape[0] + 1, done.shape[1] + 1), np.int32)
    for a, b, c, d in zip(ty0, tx0, ty1, tx1):
        marks[a, b] += 1
        marks[a, d] -= 1
        marks[c, b] -= 1
        marks[c, d] += 1
    need = (marks.cumsum(axis=0).cumsum(axis=1)[:-1, :-1] > 0) & ~done
    padded = np.zeros((need.shape[0], need.shape[1] + 2), np.int8)
    padded[:, 1:-1] = need
    edges = np.diff(padded, axis=1)
    spans: dict[tuple[int, int], list[list[int]]] = {}
    for ty, start, end in zip(*np.nonzero(edges == 1), np.nonzero(edges == -1)[1]):
        blocks = spans.setdefault((int(start), int(end)), [])
        if blocks and blocks[-1][1] == ty:
            blocks[-1][1] = int(ty) + 1
        else:
            blocks.append([int(ty), int(ty) + 1])
    done |= need
    return [(start * tile, top * tile, min(end * tile, w), min(bottom * tile, h))
            for (start, end), blocks in spans.items() for top, bottom in blocks]


def test_tiles_warped_in_the_same_calls_as_over_the_whole_grid(aligned, monkeypatch):
    # A tile's pixels depend on the warp call that made it (OpenCV rounds each call's source positions from
    # its own origin: ~1 pixel in 10^4 differs between groupings), so looking at the rectangles' tiles only
    # must warp in exactly the calls the whole grid's marking made, for one rectangle or several.
    grey, homography, page = aligned
    calls = []
    real = cv2.warpPerspective

    def recording(src, matrix, size, **kwargs):
        calls.append((size, tuple(np.round(matrix.ravel(), 9))))
        return real(src, matrix, size, **kwargs)

    monkeypatch.setattr(cv2, "warpPerspective", recording)
    canonical = CanonicalPage.warped(grey, homography, page)
    tile = canonical._done.shape
    h, w = canonical.shape
    done = np.zeros(tile, bool)
    rng = np.random.default_rng(7)
    to_scan = homography @ np.diag([1 / T.CANONICAL_PX_PER_MM, 1 / T.CANONICAL_PX_PER_MM, 1.0])
    for _ in range(60):
        rects = [(int(x), int(y), int(x + rw), int(y + rh)) for x, y, rw, rh in zip(
            rng.integers(-40, w, 4), rng.integers(-40, h, 4), rng.integers(1, 300, 4), rng.integers(1, 200, 4))]
        rects = rects[:int(rng.integers(1, 5))]
        calls.clear()
        canonical.ensure(rects)
        want = _warps_of_the_whole_grid(done, rects, T.CANONICAL_TILE_PX, (h, w))
        expected = [((x1 - x0, y1 - y0), tuple(np.round((to_scan @ np.array(
            [[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])).ravel(), 9))) for x0, y0, x1, y1 in want]
        assert calls == expected
    assert np.array_equal(canonical._done, done)


def test_a_stack_of_windows_is_each_window_as_pixels_gives_it(aligned):
    # CanonicalPage.stack gathers every window of a box size in one pass (issue #18): each window holds
    # the page's pixels there, as pixels() gives them, and a window not wholly on the page stays zero.
    grey, homography, page = aligned
    canonical = CanonicalPage.warped(grey, homography, page)
    h, w = canonical.shape
    rng = np.random.default_rng(7)
    x0 = np.concatenate([rng.integers(0, w - 60, 40), [-5, w - 30, 10]])
    y0 = np.concatenate([rng.integers(0, h - 50, 40), [10, 20, h - 10]])
    stacked = canonical.stack(x0, y0, 60, 50)
    assert stacked.shape == (len(x0), 50, 60) and stacked.dtype == np.uint8
    whole = CanonicalPage.warped(grey, homography, page)
    for window, x, y in zip(stacked, x0, y0):
        if 0 <= x and 0 <= y and x + 60 <= w and y + 50 <= h:
            assert np.array_equal(window, whole.pixels(int(x), int(y), int(x) + 60, int(y) + 50))
        else:
            assert not window.any()
