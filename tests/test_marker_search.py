"""Corner markers of a form designed elsewhere (OMRChecker's CropOnMarkers), found fast (issue #16, item 6)."""

from __future__ import annotations

import cv2
import numpy as np

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
