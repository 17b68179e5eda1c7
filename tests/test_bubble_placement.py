"""Filled bubbles placed by registration alone (rings too faint to find): a fill beside the place measured
is not a blank (issue #16; bench/hunt/elsewhere.py ``light``: a lighter copy of OMRChecker's sample3, its
template drawn ~2 mm off the print, two filled D read blank ok)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from omr.forms.layout import Checkbox
from omr.forms.template import Question
from omr.scan.align import BoxSearch, BoxWindow, K
from omr import tuning as T
from omr.scan.bubbles import darkest_nearby, read_filled
from omr.scan.ingest import PageLoader
from omr.scan.page import Catalogue, process_page
from omr.scan.resolve import resolve_questions
from omr.template_from.omrchecker import import_omrchecker
from test_omrchecker import SAMPLES, needs_samples

PAD_MM = 4.0  # the window's margin round the bubble: ring_search's search and band


def _page(choices, shift_mm: float, found_share: float, seed: int = 1, fill_level: int = 40):
    """Windows (canonical px) of rows of bubbles A-D, faint rings printed ``shift_mm`` right of and below
    where the template places them, the choices of each row filled inside its printed ring ("-": none)
    at grey ``fill_level``."""
    rng = np.random.default_rng(seed)
    boxes, windows = [], []
    pad, side = int(PAD_MM * K), int(5 * K)
    shift = int(round(shift_mm * K))
    for q, choice in enumerate(choices):
        for o, option in enumerate("ABCD"):
            box = Checkbox(f"q{q + 1}", option, 20.0 + 10.0 * o, 20.0 + 10.0 * q, 5.0, 5.0)
            grey = np.full((side + 2 * pad,) * 2, 235, np.uint8)
            centre = (pad + side // 2 + shift, pad + side // 2 + shift)
            cv2.circle(grey, centre, side // 2 - 1, 200, 1, cv2.LINE_AA)  # a faint printed ring
            if option in choice:
                cv2.circle(grey, centre, side // 2 - 4, fill_level, -1, cv2.LINE_AA)
            noisy = grey.astype(np.float32) + rng.normal(0, 3, grey.shape).astype(np.float32)
            windows.append(BoxWindow(int(box.x * K) - pad, int(box.y * K) - pad,
                                     np.clip(noisy, 0, 255).astype(np.uint8), 235.0, 30.0 / 235.0))
            boxes.append(box)
    return BoxSearch(np.zeros((len(boxes), 2)), 0.0, windows, found_share), boxes


def _read(choices: str, shift_mm: float, found_share: float):
    search, boxes = _page(choices, shift_mm, found_share)
    questions = [Question(f"q{i + 1}", "?", "single") for i in range(len(choices))]
    return resolve_questions(questions, read_filled(search, boxes))


def test_fills_beside_the_place_of_bubbles_not_found_on_their_rings_are_never_read_blank():
    choices = "BDACB-DA"
    for q, choice in zip(_read(choices, 2.4, 0.0), choices):
        if choice == "-":
            continue
        assert q.status != "blank", q  # on main: the fills 2.4 mm off read blank, ok
        assert q.status != "ok" or q.value == choice


@pytest.mark.parametrize("found_share", [0.0, 1.0])
def test_fills_where_the_bubbles_are_placed_still_read_ok(found_share):
    choices = "BDACB-DA"
    reads = _read(choices, 0.0, found_share)
    assert [q.value or "-" for q in reads] == list(choices)
    assert all(q.status in ("ok", "blank") for q in reads)



SAMPLE2 = SAMPLES / "sample2"


@needs_samples
def test_a_second_fill_as_dark_as_the_answer_is_not_hidden_by_filled_peers(tmp_path):
    """OMRChecker's sample2 (a real 525 x 700 px scan; most rows chose B, so B's printed baseline is a
    filled B) with a second fill drawn in B of q3 and q5 beside their A, as bench/hunt/elsewhere.py's kind
    ``two`` drew it (tests/data/pages/sample2-second-fills.png, seed 11). On main B read empty and both
    questions 'A', ok."""
    import_omrchecker(SAMPLE2 / "template.json", tmp_path / "form" / "adrian.yaml")
    catalogue = Catalogue.from_folder(tmp_path / "form")
    layout = next(iter(catalogue.layouts.values()))
    ids = {q.text: q.id for q in layout.questions}
    page = Path(__file__).parent / "data" / "pages" / "sample2-second-fills.png"
    reads = {q.question: q for q in process_page(PageLoader().load(page, 0), catalogue).questions}
    for text in ("q3", "q5"):
        assert reads[ids[text]].status not in ("ok", "blank"), (text, reads[ids[text]])


def test_the_darkest_place_nearby_is_the_exact_mean_of_the_darkest_placement():
    """darkest_nearby gives the inner ellipse's exact mean grey at its darkest reachable place (every
    placement within the reach checked pixel by pixel here), not an FFT's approximation of it."""
    rng = np.random.default_rng(7)
    pad, side = int(PAD_MM * K), int(5 * K)
    box = Checkbox("q1", "A", 20.0, 20.0, 5.0, 5.0)
    grey = rng.integers(150, 256, (side + 2 * pad, side + 2 * pad)).astype(np.uint8)
    fill = np.zeros_like(grey)
    cv2.circle(fill, (pad + side // 2 + 9, pad + side // 2 - 4), side // 3, 1, -1)  # a fill off the place
    grey[fill > 0] = rng.integers(20, 90, int(fill.sum()))
    window = BoxWindow(int(box.x * K) - pad, int(box.y * K) - pad, grey, 235.0, 0.1)
    reach = np.array([[1.5, 1.0]])
    got = darkest_nearby([window], [box], reach)[0]

    ax = ay = max(int(round(box.w * K * T.BUBBLE_INNER_SHARE / 2)), 1)
    ys, xs = np.mgrid[-ay:ay + 1, -ax:ax + 1]
    inside = (xs / ax) ** 2 + (ys / ay) ** 2 <= 1.0
    cx = cy = int(round((box.x + box.w / 2) * K - window.x0))
    rx, ry = int(round(1.5 * K)), int(round(1.0 * K))
    darkest = min(int(grey[y - ay:y + ay + 1, x - ax:x + ax + 1][inside].sum())
                  for y in range(cy - ry, cy + ry + 1) for x in range(cx - rx, cx + rx + 1))
    assert got == window.mean_ink(darkest / int(inside.sum()))
    assert got > 0.5  # the fill beside the place is found


def test_bubbles_measured_together_read_as_each_measured_alone():
    """darkest_nearby sums a page's bubbles whose windows and reach lie alike together: every bubble of
    a grid (fills off their places at random, one bubble with a shorter reach, one window of another
    size) reads exactly what it reads measured on its own."""
    rng = np.random.default_rng(11)
    pad, side = int(PAD_MM * K), int(5 * K)
    windows, boxes, reach = [], [], []
    for n in range(40):
        box = Checkbox(f"q{n // 4}", "ABCD"[n % 4], 20.0 + 7 * (n % 4), 20.0 + 7 * (n // 4), 5.0, 5.0)
        extra = 4 if n == 7 else 0  # one window of another shape
        grey = rng.integers(150, 256, (side + 2 * pad + extra, side + 2 * pad + extra)).astype(np.uint8)
        if n % 3 == 0:
            fill = np.zeros_like(grey)
            cv2.circle(fill, (pad + side // 2 + int(rng.integers(-9, 10)), pad + side // 2 + int(rng.integers(-9, 10))),
                       side // 3, 1, -1)
            grey[fill > 0] = rng.integers(20, 90, int(fill.sum()))
        windows.append(BoxWindow(int(box.x * K) - pad, int(box.y * K) - pad, grey, 235.0, 0.1))
        boxes.append(box)
        reach.append([0.5, 0.25] if n == 12 else [1.5, 1.0])
    reach = np.array(reach)
    together = darkest_nearby(windows, boxes, reach)
    alone = [darkest_nearby([w], [b], reach[i:i + 1])[0] for i, (w, b) in enumerate(zip(windows, boxes))]
    assert together.tolist() == alone
    assert sum(v > 0.5 for v in alone) >= 10  # the fills are found, not every bubble read alike
