"""A zigzag drawn over two neighbouring boxes of one question is never read as an answer (hzig).

A person crossing out two options at once, or a wide scrawl over both, leaves one box dense (taken
for a box scribbled out) and the other holding a run of the same zigzag (taken for a plain mark, or
for a box circled): read ``ok`` as that box, the question was a silent error (54 of 480 such
questions on bench/scribble_span.py, seeds 1-4 at 300 dpi). A scribble over one box beside a separate cross or tick is
still read as the cross, ok.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from test_habits import _as_raw, _boxes, _page

from omr.forms.simulate import _BlankPages, _draw_mark, draw_habit
from omr.model import NEEDS_REVIEW, OK
from omr.scan.page import process_page

MM = 25.4

# question: (from option, to option, start mm along the line from the first box's centre (negative:
# before it), end mm past the second box's centre, swing amplitude mm, spacing over the first box,
# spacing over the second, pen mm, grey level). Horizontal neighbours with their labels between them
# (A3-A7, C5), a scale row's neighbours 12 mm apart (B1), and boxes one above the other (A2 1 and 6).
ZIGZAGS = {
    "A3": ("1", "2", -4.0, 1.0, 3.0, 0.8, 1.6, 0.5, 30),
    "A4": ("2", "1", -0.5, 3.5, 2.5, 0.7, 1.2, 0.8, 60),
    "A5": ("1", "2", -1.0, -1.0, 3.5, 0.6, 1.8, 0.4, 25),
    "A6": ("3", "2", -4.5, 0.0, 2.0, 0.9, 1.9, 0.6, 90),
    "A7": ("1", "2", -3.5, 0.5, 3.5, 1.4, 1.4, 0.8, 100),
    "C5": ("2", "3", -2.0, 0.0, 3.0, 0.7, 1.5, 0.3, 25),
    "B1": ("2", "3", -1.0, 1.5, 3.0, 0.6, 1.2, 0.5, 40),
    "A2": ("1", "6", -1.5, 1.0, 4.0, 0.7, 1.0, 0.6, 40),
}


@pytest.fixture(scope="module")
def blanks(default_layout):
    _, layout = default_layout
    return {dpi: _BlankPages(layout, dpi).pages for dpi in (200, 300)}


def _zigzag(img, a, b, dpi, start, end, amplitude, step_a, step_b, pen_mm, level):
    """A zigzag along the line from box ``a``'s centre to box ``b``'s, swinging ``amplitude`` mm
    across it, one swing every ``step_a`` mm over the first half and ``step_b`` over the second."""
    px = dpi / MM
    ca, cb = np.array([a.x + a.w / 2, a.y + a.h / 2]), np.array([b.x + b.w / 2, b.y + b.h / 2])
    length = float(np.linalg.norm(cb - ca))
    axis = (cb - ca) / length
    normal = np.array([-axis[1], axis[0]])
    points, t, side = [], start, 1.0
    while t < length + end:
        points.append(ca + axis * t + normal * side * amplitude / 2)
        t += step_a if t < length / 2 else step_b
        side = -side
    colour, pen = (level, level, level), max(1, int(round(pen_mm * px)))
    for p, q in zip(points, points[1:]):
        cv2.line(img, tuple(int(v * px) for v in p), tuple(int(v * px) for v in q), colour, pen, cv2.LINE_AA)


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_zigzag_over_two_boxes_is_never_an_answer(default_layout, blanks, catalogue, dpi):
    rng = np.random.default_rng(dpi + 5)
    img, page = _page(default_layout, blanks, dpi)
    black = (25, 25, 25)
    for qid, (first, second, *shape) in ZIGZAGS.items():
        boxes = _boxes(page, qid)
        _zigzag(img, boxes[first], boxes[second], dpi, *shape)
    # Controls: a scribble over one box and a separate cross or tick, beside it or further on.
    controls = {"C1": ("2", "3", "cross"), "C2": ("4", "5", "tick"), "C3": ("1", "4", "cross"),
                "B2": ("3", "2", "cross")}
    for qid, (scribbled, meant, style) in controls.items():
        boxes = _boxes(page, qid)
        draw_habit(img, boxes[scribbled], "scribble", dpi, black, rng, 0.45)
        _draw_mark(img, boxes[meant], style, dpi, black, rng, 0.45)
    for qid in ("B3", "B4", "C4", "D1", "D2"):  # the respondent's plain crosses
        _draw_mark(img, _boxes(page, qid)["1" if qid == "C4" else "4"], "cross", dpi, black, rng, 0.45)
    result = process_page(_as_raw(img, dpi, rng), catalogue)
    assert result.set_aside is None
    reads = {q.question: q for q in result.questions}
    silent = {qid: (reads[qid].value, reads[qid].status) for qid in ZIGZAGS
              if reads[qid].status not in NEEDS_REVIEW}
    assert not silent, f"zigzag over two boxes read as an answer (silent error): {silent}"
    for qid, (_, meant, _) in controls.items():
        assert (reads[qid].value, reads[qid].status) == (meant, OK), f"{qid}: {reads[qid]}"

