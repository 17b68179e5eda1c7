"""Forms designed elsewhere identified and placed fast (issue #16, item 6): corner markers (OMRChecker's
CropOnMarkers), descriptor matching, the ring search."""

from __future__ import annotations

from unittest.mock import patch

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from omr.scan import register


def _marker() -> np.ndarray:
    """A printed marker: a black ring around a black dot on white, 60 x 60 px."""
    marker = np.full((60, 60), 255, np.uint8)
    cv2.circle(marker, (30, 30), 24, 0, 6)
    cv2.circle(marker, (30, 30), 9, 0, -1)
    return marker


def _page_with_markers(width_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """A 1,000 x 1,400 px page with the marker printed in its four corners at the size the ratio gives,
    some print between, and the markers' true centres (TL, TR, BR, BL, px)."""
    page = np.full((1400, 1000), 245, np.uint8)
    size = int(round(1000 / width_ratio))
    printed = cv2.resize(_marker(), (size, size), interpolation=cv2.INTER_AREA)
    centres = []
    for cx, cy in ((90, 110), (910, 110), (910, 1290), (90, 1290)):
        x0, y0 = cx - size // 2, cy - size // 2
        page[y0:y0 + size, x0:x0 + size] = printed
        centres.append((x0 + size / 2, y0 + size / 2))
    for row in range(300, 1100, 60):  # rows of bubbles and text between the markers
        for col in range(200, 800, 70):
            cv2.circle(page, (col, row), 14, 60, 2)
    return page, np.array(centres)


def test_markers_are_found_without_trying_every_quarter_at_every_scale(monkeypatch):
    page, truth = _page_with_markers(width_ratio=17)
    calls = []
    original = register.cv2.matchTemplate

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(register.cv2, "matchTemplate", counted)
    found = register.find_markers(page, _marker(), 17)
    assert found is not None
    assert np.abs(found - truth).max() <= 2.0  # page px
    scales = len(np.arange(0.5, 1.45, 0.05))
    # A scale whose quarter already scores no better than the best scale's weakest quarter is dropped:
    # every quarter at every scale (4 x 19 matches, ~0.24 s CPU on a 1,000 px sample) is not needed.
    assert len(calls) < 0.75 * 4 * scales, len(calls)


def test_bubble_insides_measured_together_equal_one_by_one():
    # Round bubbles' insides are measured per window shape in one array operation (issue #16, item 6):
    # every (fill share, mean ink) equals inner_darkness's for that bubble alone, offsets and ring
    # scales included, and a window off the page (paper 0) measures nothing.
    from omr.forms.layout import Checkbox
    from omr.scan.align import BoxWindow
    from omr.scan.bubbles import inner_darkness, inner_darkness_all

    rng = np.random.default_rng(16)
    boxes, windows = [], []
    for i in range(300):
        size = (5.0, 4.0)[i % 2]
        box = Checkbox(question=f"q{i // 4}", option="ABCD"[i % 4], x=10.0 + i, y=20.0 + i / 3, w=size, h=size)
        shape = (92, 92) if size == 5.0 else (84, 84)
        grey = rng.integers(0, 256, shape, dtype=np.uint8)
        cv2.circle(grey, (46, 46), 14, int(rng.integers(0, 120)), -1)
        x0, y0 = int(round(box.x * 8)) - 26, int(round(box.y * 8)) - 26
        windows.append(BoxWindow(x0, y0, grey, 0.0 if i % 37 == 0 else float(rng.uniform(180, 250)), 0.1))
        boxes.append(box)
    offsets = rng.uniform(-1.5, 1.5, (len(boxes), 2))
    scales = rng.choice([1.0, 1.15, 1.3, 1.45], len(boxes))
    together = inner_darkness_all(windows, boxes, offsets, scales)
    alone = [inner_darkness(w, b, dx, dy, s) for w, b, (dx, dy), s in zip(windows, boxes, offsets, scales)]
    assert together == alone
    assert together[0] == (0.0, 0.0) and any(fill > 0 for fill, _ in together)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 60), st.integers(2, 60), st.integers(1, 7), st.integers(0, 2**31 - 1))
def test_descriptor_matching_finds_what_brute_force_finds(queries, trains, block, seed):
    # Identifying a photographed form matches SIFT descriptors (issue #16, item 6): the matrix-product
    # matcher keeps, for every descriptor, the same nearest neighbour and the same two distances as
    # OpenCV's brute force, whatever block of rows it works in, so the same matches pass Lowe's test.
    rng = np.random.default_rng(seed)
    query = rng.integers(0, 200, (queries, 128)).astype(np.float32)
    train = rng.integers(0, 200, (trains, 128)).astype(np.float32)
    train[rng.integers(0, trains)] = query[0]  # an exact match, distance 0
    with patch.object(register.T, "MATCH_BLOCK_ROWS", block):
        nearest, first, second = register.nearest_two(query, train)
    pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(query, train, k=2)
    assert np.allclose(first, [p[0].distance for p in pairs], rtol=1e-5, atol=1e-3)
    assert np.allclose(second, [p[1].distance for p in pairs], rtol=1e-5, atol=1e-3)
    unique = first < second  # a tie may name either of the two
    assert (nearest[unique] == np.array([p[0].trainIdx for p in pairs])[unique]).all()
    assert nearest[0] in np.flatnonzero((train == query[0]).all(axis=1))


def test_ring_search_matches_each_sampled_bubble_once_and_finds_the_same_rings(monkeypatch):
    # The ring's scale is chosen on a sample of bubbles; their fits at the template's own size are the
    # very matches the ring search would make again (same window, same kernel), so they are reused:
    # fewer template matches, the same offsets and scales as matching every bubble anew.
    from omr.forms.layout import Checkbox
    from omr.scan import bubbles
    from omr.scan.align import K, PageInk

    rng = np.random.default_rng(3)
    canvas = np.full((int(150 * K), int(100 * K)), 235, np.uint8)
    boxes = []
    for q in range(25):
        for o, option in enumerate("ABCD"):
            box = Checkbox(f"q{q + 1}", option, 10.0 + 12.0 * o, 10.0 + 5.5 * q, 5.0, 5.0)
            boxes.append(box)
            centre = (int(round((box.x + 2.8) * K)), int(round((box.y + 2.4) * K)))
            cv2.circle(canvas, centre, int(2.5 * K), 70, 2, cv2.LINE_AA)
    ink = PageInk(np.clip(canvas + rng.normal(0, 3, canvas.shape), 0, 255).astype(np.uint8),
                  np.full((150, 100), 235.0, np.float32), black_ratio=0.1)
    calls = []  # one per window matched
    original = bubbles.ring_fits

    def counted(windows, kernel):
        calls.extend([1] * len(windows))
        return original(windows, kernel)

    monkeypatch.setattr(bubbles, "ring_fits", counted)
    reused = bubbles.ring_search(ink, boxes)
    reusing = len(calls)
    scale_of = bubbles.ring_scale
    monkeypatch.setattr(bubbles, "ring_scale", lambda *args: scale_of(*args[:6], None))  # no fits kept
    calls.clear()
    anew = bubbles.ring_search(ink, boxes)
    assert np.array_equal(reused.offsets, anew.offsets) and np.array_equal(reused.scales, anew.scales)
    assert np.abs(anew.offsets - (0.3, -0.1)).max() < 0.3  # on the rings
    sample = len(boxes[::max(1, len(boxes) // bubbles.T.BUBBLE_RING_SCALE_SAMPLE)])
    assert reusing == len(calls) - sample, (reusing, len(calls), sample)


def test_rings_matched_side_by_side_fit_where_each_window_alone_fits():
    # The ring kernel is matched on many bubbles' windows at once (issue #16, item 6): each window's best
    # fit and its score are the ones a match on that window alone gives.
    from omr.scan import bubbles
    from omr.scan.align import K

    rng = np.random.default_rng(5)
    kernel = bubbles.ring_kernel(int(5 * K), int(5 * K), 2)
    windows = []
    for _ in range(47):  # two full strips and a part
        grey = np.full((84, 84), 235.0, np.float32)
        centre = (int(rng.integers(25, 59)), int(rng.integers(25, 59)))
        cv2.circle(grey, centre, 20, float(rng.integers(40, 120)), 2, cv2.LINE_AA)
        windows.append(grey + rng.normal(0, 3, grey.shape).astype(np.float32))
    together = bubbles.ring_fits(windows, kernel)
    for window, (top, where) in zip(windows, together):
        _, alone, _, alone_where = cv2.minMaxLoc(cv2.matchTemplate(window, kernel, cv2.TM_CCORR))
        assert where == alone_where
        assert abs(top - alone) <= 1e-4 * abs(alone)


def test_a_pinned_forms_ring_size_is_measured_once_on_its_own_print(tmp_path, monkeypatch):
    # The rings' printed size is the form's, not the page's: it is measured once on the template's
    # reference image (its print exactly where the template places the bubbles), and every page of the
    # form is searched at that size, however blurred (a page's own sample of bubbles chose 1.3 where the
    # form's print says 1.0 on two of Sandeep-1507's phone photos) and without trying every size again.
    from omr.forms.geometry import PageLayout
    from omr.forms.layout import Checkbox
    from omr.scan import bubbles
    from omr.scan.align import K, PageInk

    def sheet(blur: float, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        canvas = np.full((int(120 * K), int(80 * K)), 235, np.uint8)
        for q in range(10):
            for o in range(4):
                centre = (int(round((12.5 + 14.0 * o + 0.8) * K)), int(round((12.5 + 10.0 * q + 0.2) * K)))
                cv2.circle(canvas, centre, int(3.5 * K), 70, 3, cv2.LINE_AA)  # 7 mm rings, 5 mm in the template
                if o == q % 4:
                    cv2.circle(canvas, centre, int(3.1 * K), 45, -1, cv2.LINE_AA)
        if blur:
            canvas = cv2.GaussianBlur(canvas, (0, 0), blur)
        return np.clip(canvas + rng.normal(0, 3, canvas.shape), 0, 255).astype(np.uint8)

    cv2.imwrite(str(tmp_path / "reference.png"), sheet(0.0, 1))
    boxes = [Checkbox(f"q{q + 1}", option, 10.0 + 14.0 * o, 10.0 + 10.0 * q, 5.0, 5.0)
             for q in range(10) for o, option in enumerate("ABCD")]
    page = PageLayout(1, 80.0, 120.0, [], None, (0.0, 0.0), (0.0, 0.0), boxes,
                      pinned={"_reference_path": str(tmp_path / "reference.png"), "shape": "round"})
    measured = []
    original = bubbles.ring_scale
    monkeypatch.setattr(bubbles, "ring_scale", lambda *args: measured.append(1) or original(*args))
    paper = np.full((120, 80), 235.0, np.float32)
    searches = [bubbles.pinned_search(None, page, PageInk(sheet(blur, seed), paper, black_ratio=0.1))
                for blur, seed in ((1.0, 2), (4.0, 3), (0.5, 4))]
    assert len(measured) == 1  # one block, measured on the reference once for the three pages
    for search in searches:
        assert set(search.scales) == {1.45} or set(search.scales) == {1.3}
        assert np.array_equal(search.scales, searches[0].scales)
        assert np.abs(search.offsets - (0.8, 0.2)).max() < 0.3  # every bubble on its ring
