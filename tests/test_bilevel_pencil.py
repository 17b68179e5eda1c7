"""A light pencil mark that a black-and-white (1-bit) scan's threshold wiped out is never a blank answer stored ok.

bench/hunt/bilevel.py bw_pencil: a scanner's black-and-white mode cuts the page at one grey (a fixed threshold
or Otsu's); a pencil mark lighter than it is gone (44 of 63 wiped marks, seeds 11-13) or leaves a pixel or a few,
and its question was stored as a blank answer, ok (63 SILENT). Where the page shows light strokes the threshold
cut up (a remnant, a grainy stroke in pieces), its blanks go to review (omr.scan.read.faint_strokes_cut); an
unanswered box holding a remnant is uncertain (omr.scan.read.remnant). A page answered in pen, its blanks real,
keeps them blank.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from omr.forms.simulate import PROFILES, _draw_mark, scan_page
from omr.model import BLANK, NEEDS_REVIEW, OK
from omr.scan.ingest import RawPage
from omr.scan.page import process_page
from omr.scan.read import remnant
from read_checks import blank_sheet

DPI = 200
BLACK = (25, 25, 25)
QUESTIONS = ("A2", "A3", "A4", "A6", "A7", "B1", "B2", "B3", "B4", "C1", "C2", "C3", "C4", "C5", "D1", "D2")


def _one_bit(data: bytes, mode: str, scale: float) -> np.ndarray:
    """The grey scan ``data`` made 1-bit (0/255) at ``scale`` times its resolution, by a fixed threshold at 140
    ("fixed") or Otsu's ("otsu"), as bench/hunt/bilevel.py makes them."""
    grey = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
    if scale != 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    if mode == "fixed":
        return np.where(grey > 140, 255, 0).astype(np.uint8)
    return cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]


def _pencil(img: np.ndarray, box, grey: int, rng: np.random.Generator) -> None:
    """A pencil cross in ``box``: grey ``grey`` (0-255), 0.3 mm, grainy (graphite on the paper's tooth: each pixel
    55-100 % of the grey's darkness), as bench/hunt/bilevel.py draws bw_pencil's marks."""
    layer = np.full(img.shape, 255, np.uint8)
    _draw_mark(layer, box, "cross", DPI, (grey, grey, grey), rng, 0.3)
    grain = rng.uniform(0.55, 1.0, img.shape[:2]).astype(np.float32)[:, :, None]
    img[:] = np.clip(img.astype(np.float32) - (255 - layer.astype(np.float32)) * grain, 0, 255).astype(np.uint8)


def _read(default_layout, blanks, catalogue, seed: int, mode: str, scale: float, pencil: bool):
    """Page 1: ten questions crossed in black pen; with ``pencil`` four more crossed in pencil, two of them
    light (grey 160-170, lighter than the threshold: wiped out) and two darker (125-135: cut up by it); the
    rest left blank. Scanned grey (clean office), then made 1-bit. Returns ({question: QuestionRead},
    {question: option meant, "pencil:" + option for a pencil mark, None for a blank})."""
    img, _, boxes = blank_sheet(default_layout, blanks, DPI, 1, 60 + seed)
    rng = np.random.default_rng(seed)
    meant: dict[str, str | None] = {}
    greys = [165, 125, 170, 135]
    for k, q in enumerate(QUESTIONS):
        options = list(boxes[q])
        option = options[int(rng.integers(len(options)))]
        if k < 10:
            _draw_mark(img, boxes[q][option], str(rng.choice(["cross", "tick"])), DPI, BLACK, rng, 0.4)
            meant[q] = option
        elif pencil and k < 14:
            _pencil(img, boxes[q][option], greys[k - 10], rng)
            meant[q] = "pencil:" + option
        else:
            meant[q] = None
    data, _ = scan_page(img, PROFILES["clean"], DPI, rng, upside_down=False)
    result = process_page(RawPage("pencil.png", 0, _one_bit(data, mode, scale)), catalogue)
    assert result.set_aside is None
    return {q.question: q for q in result.questions}, meant


CASES = [(1, "fixed", 1.0), (2, "otsu", 1.5), (3, "fixed", 1.5)]


@pytest.mark.parametrize("seed, mode, scale", CASES)
def test_pencil_wiped_out_by_a_1_bit_threshold_is_no_blank_answer(default_layout, blanks, catalogue, seed, mode,
                                                                  scale):
    reads, meant = _read(default_layout, blanks, catalogue, seed, mode, scale, pencil=True)
    pencil = {q: option.split(":", 1)[1] for q, option in meant.items() if option and option.startswith("pencil:")}
    silent = [f"{q}: {reads[q].status} {reads[q].value!r}, meant {option!r}" for q, option in pencil.items()
              if reads[q].status not in NEEDS_REVIEW and reads[q].value != option]
    assert not silent, f"a pencil mark lost to the 1-bit threshold stored ok: {silent}"
    pen = {q: option for q, option in meant.items() if option and not option.startswith("pencil:")}
    assert {q: (reads[q].status, reads[q].value) for q in pen} == {q: (OK, option) for q, option in pen.items()}


@pytest.mark.parametrize("seed, mode, scale", CASES)
def test_a_1_bit_page_answered_in_pen_keeps_its_blanks(default_layout, blanks, catalogue, seed, mode, scale):
    """The rule above must not send every blank of a 1-bit page to review: answered in pen, nothing is cut up."""
    reads, meant = _read(default_layout, blanks, catalogue, seed, mode, scale, pencil=False)
    assert {q: (reads[q].status, reads[q].value) for q in meant} == \
        {q: (BLANK, None) if option is None else (OK, option) for q, option in meant.items()}


def test_a_remnant_is_any_ink_at_the_threshold():
    core = np.zeros((20, 20), np.float32)
    assert not remnant(core)
    core[5, 7] = 0.2  # under INK_THRESHOLD: paper's grain, not ink
    assert not remnant(core)
    core[9, 9] = 1.0  # one black pixel a threshold left of a stroke
    assert remnant(core)
