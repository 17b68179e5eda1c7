"""A mark rubbed out, a piece of it left, on a black-and-white (1-bit) scan is never an answer stored ok.

bench/hunt/bilevel.py: on a 1-bit scan (a fax, an office scanner's black-and-white mode) the eraser's grey
smear, which tells an erased leftover from a pen's mark on a grey scan (omr.scan.read.erased_beneath,
stroke_and_halo), turns white and the leftover black: the band of a fill, the piece of a tick or a cross,
was stored ok as the erased option (bw_erase_partial, bw_erase_tick, bw_erase_vband: 29, 55 and 72 of 465
questions at seed 11). What is left is only a piece of a mark: it spans a band of the box, where a pen's
cross, tick or slash spans most of it both ways (omr.scan.read.partial_mark). The same pages' crosses,
ticks and dots still read ok.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from omr.forms.simulate import PROFILES, _draw_mark, rub_out, scan_page
from omr.model import BLANK, NEEDS_REVIEW, OK
from omr.scan.ingest import RawPage
from omr.scan.page import process_page
from omr.scan.read import bilevel, partial_mark
from read_checks import blank_sheet

DPI = 200
BLACK = (25, 25, 25)
BLUE = (35, 55, 150)
QUESTIONS = ("A2", "A3", "A4", "A6", "A7", "B1", "B2", "B3", "B4", "C1", "C2", "C3", "C4", "C5", "D1", "D2")


def _one_bit(data: bytes, mode: str, scale: float) -> np.ndarray:
    """The grey office scan ``data`` made 1-bit (0/255) at ``scale`` times its resolution: a fixed threshold
    ("fixed": 140, or "fixed:T" at T), Otsu's ("otsu"), or the scanner's halftone mode ("dither": its white
    point at the page's 90th percentile, then Floyd-Steinberg dithering), as bench/hunt/bilevel.py makes them."""
    grey = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
    if scale != 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    if mode.startswith("fixed"):
        return np.where(grey > float(mode.partition(":")[2] or 140), 255, 0).astype(np.uint8)
    if mode == "dither":
        white = float(np.percentile(grey, 90))
        stretched = np.clip(grey.astype(np.float32) * 255 / white, 0, 255).astype(np.uint8)
        return np.asarray(Image.fromarray(stretched).convert("1").convert("L"))
    return cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]


ERASED = [("fill", "rows"), ("fill", "columns"), ("tick", "rows"), ("cross", "rows")]
_READS: dict = {}


def _blank_page(default_layout, blanks, serial: int, seed: int):
    """Page 1 of the form at DPI with sheet ``serial``'s code: (RGB image, {question: [Checkbox]}, rng of
    ``seed``, the pen's colour: blue for an odd seed, black for an even one)."""
    img, page, _ = blank_sheet(default_layout, blanks, DPI, 1, serial)
    boxes: dict[str, list] = {}
    for b in page.checkboxes:
        boxes.setdefault(b.question, []).append(b)
    return img, boxes, np.random.default_rng(seed), BLUE if seed % 2 else BLACK


def _read(default_layout, blanks, catalogue, seed: int, mode: str, scale: float):
    """Page 1: every third question of QUESTIONS rubbed out (a fill, a tick or a cross drawn, then erased
    leaving a band of it: ERASED in turn), nothing new marked; the others a cross, a tick or a dot; scanned
    grey, then made 1-bit. Returns ({question: QuestionRead}, {question: option meant or None}), read once
    per module."""
    key = (seed, mode, scale)
    if key in _READS:
        return _READS[key]
    img, boxes, rng, pen_colour = _blank_page(default_layout, blanks, 80 + seed, seed)
    meant: dict[str, str | None] = {}
    for k, q in enumerate(QUESTIONS):
        box = boxes[q][int(rng.integers(len(boxes[q])))]
        if k % 3 == 0:
            style, band = ERASED[(k // 3 + seed) % len(ERASED)]
            rub_out(img, box, style, DPI, pen_colour, rng, 0.4, band)
            meant[q] = None
        else:
            _draw_mark(img, box, str(rng.choice(["cross", "tick", "dot"])), DPI, pen_colour, rng, 0.4)
            meant[q] = box.option
    data, _ = scan_page(img, PROFILES["clean"], DPI, rng, upside_down=False)
    raw = RawPage("erased.png", 0, _one_bit(data, mode, scale))
    result = process_page(raw, catalogue)
    assert result.set_aside is None
    _READS[key] = {q.question: q for q in result.questions}, meant
    return _READS[key]


# The hunt's bw_erase_partial, bw_erase_vband and bw_erase_tick (a piece of a tick, the crossing of a
# cross's arms), at 200 dpi by a fixed threshold and at 300 dpi by Otsu's.
CASES = [(3, "fixed", 1.0), (6, "otsu", 1.5)]


@pytest.mark.parametrize("seed, mode, scale", CASES)
def test_a_piece_of_an_erased_mark_on_a_1_bit_scan_goes_to_review(default_layout, blanks, catalogue, seed, mode,
                                                                  scale):
    reads, meant = _read(default_layout, blanks, catalogue, seed, mode, scale)
    silent = [f"{q}: {reads[q].value!r} {reads[q].status}" for q, option in meant.items()
              if option is None and reads[q].status not in NEEDS_REVIEW and reads[q].value is not None]
    assert not silent, f"what the eraser left on a 1-bit scan stored as an answer: {silent}"


@pytest.mark.parametrize("seed, mode, scale", CASES)
def test_crosses_ticks_and_dots_on_a_1_bit_scan_still_read_ok(default_layout, blanks, catalogue, seed, mode, scale):
    reads, meant = _read(default_layout, blanks, catalogue, seed, mode, scale)
    marks = {q: option for q, option in meant.items() if option is not None}
    assert not [q for q, option in marks.items() if reads[q].status == OK and reads[q].value != option]
    ok = [q for q, option in marks.items() if (reads[q].status, reads[q].value) == (OK, option)]
    assert len(ok) == len(marks), {q: (reads[q].status, reads[q].value) for q in marks}


def test_a_grey_scan_is_not_taken_for_a_1_bit_one():
    rng = np.random.default_rng(1)
    grey = np.clip(rng.normal(235, 6, (400, 300)), 0, 255).astype(np.uint8)
    grey[100:120, 50:250] = 30
    assert not bilevel(grey)
    assert bilevel(np.where(grey > 140, 255, 0).astype(np.uint8))


def _smear_at_threshold(default_layout, blanks, catalogue, seed: int, dither: bool = False):
    """Page 1: one question's fill rubbed out clean (only the eraser's grey smear left, nothing new marked),
    six others a cross, a tick or a dot; scanned grey, then made 1-bit by a fixed threshold at the smear's
    own median grey (bench/hunt/bilevel.py bw_erase_blank seed 11, sheet 13 p2 F1: threshold 168, smear
    median 169), so the smear turns into a speckle of black over the whole box; with ``dither``, by the
    scanner's halftone mode instead (white point at the page's 90th percentile, Floyd-Steinberg): the smear a
    scatter of single dots (bw_erase_blank seed 12, sheet 4 p2 F3). Returns (reads, meant)."""
    img, boxes, rng, pen_colour = _blank_page(default_layout, blanks, 90 + seed, seed)
    meant: dict[str, str | None] = {}
    erased = boxes[QUESTIONS[0]][int(rng.integers(len(boxes[QUESTIONS[0]])))]
    rub_out(img, erased, "fill", DPI, pen_colour, rng, 0.4)
    meant[QUESTIONS[0]] = None
    for q in QUESTIONS[1:7]:
        box = boxes[q][int(rng.integers(len(boxes[q])))]
        _draw_mark(img, box, str(rng.choice(["cross", "tick", "dot"])), DPI, pen_colour, rng, 0.4)
        meant[q] = box.option
    data, _ = scan_page(img, PROFILES["clean"], DPI, rng, upside_down=False)
    grey = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
    px = DPI / 25.4  # the box's middle half (the clean scan moves the page well under a millimetre)
    y0, x0 = int((erased.y + erased.h / 4) * px), int((erased.x + erased.w / 4) * px)
    smear = float(np.median(grey[y0:y0 + int(erased.h / 2 * px), x0:x0 + int(erased.w / 2 * px)]))
    bw = _one_bit(data, "dither" if dither else f"fixed:{smear}", 1.0)
    result = process_page(RawPage("smear.png", 0, bw), catalogue)
    assert result.set_aside is None
    return {q.question: q for q in result.questions}, meant


@pytest.mark.parametrize("seed", [1, 2])
def test_an_eraser_smear_cut_at_the_threshold_is_no_answer(default_layout, blanks, catalogue, seed):
    reads, meant = _smear_at_threshold(default_layout, blanks, catalogue, seed)
    erased = QUESTIONS[0]
    assert reads[erased].status in NEEDS_REVIEW or reads[erased].value is None, \
        f"an eraser's smear speckled by the 1-bit threshold stored as {reads[erased].value!r}"
    marks = {q: option for q, option in meant.items() if option is not None}
    assert {q: (reads[q].status, reads[q].value) for q in marks} == {q: (OK, option) for q, option in marks.items()}


@pytest.mark.parametrize("seed", [5, 9])
def test_an_eraser_smear_dithered_into_dots_is_no_answer(default_layout, blanks, catalogue, seed):
    """A halftone scan's pen marks often go to review already (their edges dithered); the smear must."""
    reads, meant = _smear_at_threshold(default_layout, blanks, catalogue, seed, dither=True)
    erased = QUESTIONS[0]
    assert reads[erased].status in NEEDS_REVIEW or reads[erased].value is None, \
        f"an eraser's smear dithered into dots stored as {reads[erased].value!r}"
    # Whatever goes to review, nothing else of the page is stored ok as what was not meant: a mark as another
    # option, a box left untouched as an answer.
    silent = [f"{q}: {reads[q].value!r}, meant {meant.get(q)!r}" for q in reads
              if reads[q].status == OK and reads[q].value != meant.get(q)]
    assert not silent, f"stored ok, not what was meant: {silent}"


def _crossings_left(default_layout, blanks, catalogue, seed: int, mode: str, scale: float):
    """Page 1: twelve questions' crosses (0.5 mm pen) rubbed out but for a band 1.2-1.5 mm tall through their
    crossing (what an eraser missed: the two arms' middles, a solid patch about as wide as tall, bench/hunt/
    bilevel.py bw_erase_tick seed 12, sheet 12 p2 G1), nothing new marked; scanned grey, then made 1-bit.
    Returns (reads, meant)."""
    img, boxes, rng, pen_colour = _blank_page(default_layout, blanks, 120 + seed, seed)
    meant: dict[str, str | None] = {}
    for q in QUESTIONS[:12]:
        box = boxes[q][int(rng.integers(len(boxes[q])))]
        layer = np.full(img.shape, 255, np.uint8)
        _draw_mark(layer, box, "cross", DPI, pen_colour, rng, 0.5)
        full = 255 - layer.astype(np.float32)
        band = np.zeros(img.shape[:2], np.float32)
        half = rng.uniform(0.6, 0.75) * DPI / 25.4
        middle = (box.y + box.h / 2) * DPI / 25.4
        band[int(round(middle - half)):int(round(middle + half))] = 1
        dark = np.maximum(full * 0.2, full * band[:, :, None] * rng.uniform(0.6, 0.8))
        img[:] = np.clip(img.astype(np.float32) - dark, 0, 255).astype(np.uint8)
        meant[q] = None
    data, _ = scan_page(img, PROFILES["clean"], DPI, rng, upside_down=False)
    result = process_page(RawPage("crossings.png", 0, _one_bit(data, mode, scale)), catalogue)
    assert result.set_aside is None
    return {q.question: q for q in result.questions}, meant


@pytest.mark.parametrize("seed, mode, scale", [(4, "otsu", 1.0), (3, "fixed", 1.5)])
def test_the_crossing_of_an_erased_cross_is_no_dot(default_layout, blanks, catalogue, seed, mode, scale):
    """The crossing an eraser leaves of a cross is solid and about as wide as tall, like a pen's dot, but pinched
    at the middle (an hourglass) or cut straight along the band the eraser missed; a dot is round and convex
    (omr.scan.read.partial_mark; the dots of the tests above still read ok)."""
    reads, meant = _crossings_left(default_layout, blanks, catalogue, seed, mode, scale)
    silent = [f"{q}: {reads[q].value!r}" for q, option in meant.items()
              if option is None and reads[q].status not in NEEDS_REVIEW and reads[q].value is not None]
    assert not silent, f"the crossing of an erased cross stored as an answer: {silent}"
    # The questions nobody touched stay blank: the erased crosses' review does not spread to the page.
    untouched = [q for q in reads if q not in meant]
    assert untouched
    assert {q: (reads[q].status, reads[q].value) for q in untouched} == {q: (BLANK, None) for q in untouched}


# What an eraser left of a fill on a halftone page, the box's inside (1 = black) as read: a solid band down
# it, the smear beside it dithered into a net of black joined to the band (bench/hunt/bilevel.py bw_erase_vband
# seed 11, sheet 5 p2 E1, stored '2' ok before).
VBAND_NET = """
###############.###.........
###############.###.........
###############...##........
..#############...##........
..#############...##.##...##
################..##.##...##
####################........
####################..##....
..#############...##..###...
..#############...##..###...
..#############...####....##
..#############...##########
...############.....#######.
...#############........###.
..###############.....#####.
..###############....###....
..###############.######....
###############...######....
###############............#
..#############............#
..#############..##.####....
...############..##.#####...
..#############..########...
###############..#######....
###############..#####...##.
..#############..##.##...##.
#################...########
###################..#######"""


def _inside(text: str) -> np.ndarray:
    return np.array([[c == "#" for c in row] for row in text.strip().splitlines()], np.float32)


def _band_with_specks(rng) -> np.ndarray:
    """A 28 px (3.5 mm at 8 px/mm) inside: a solid band down 0.43 of it, and three 2x2 px specks (0.06 mm²,
    a dithered smear's) on the far side (bench/hunt/bilevel.py bw_erase_vband seed 13, sheet 6 p1 A2)."""
    inside = np.zeros((28, 28), np.float32)
    left = int(rng.integers(0, 4))
    inside[:, left:left + 12] = 1
    for y in rng.choice(np.arange(0, 26, 3), 3, replace=False):
        x = int(rng.integers(22, 26))
        inside[y:y + 2, x:x + 2] = 1
    return inside


def _pen(kind: str, rng) -> np.ndarray:
    """A 28 px inside with a 0.4 mm (3 px) pen's cross, tick, fill or round fill."""
    img = np.zeros((28, 28), np.uint8)
    j = lambda: int(rng.integers(-2, 3))  # noqa: E731
    if kind == "cross":
        cv2.line(img, (3 + j(), 3 + j()), (24 + j(), 24 + j()), 1, 3)
        cv2.line(img, (24 + j(), 3 + j()), (3 + j(), 24 + j()), 1, 3)
    elif kind == "tick":
        cv2.line(img, (3 + j(), 15 + j()), (10 + j(), 24 + j()), 1, 3)
        cv2.line(img, (10 + j(), 24 + j()), (24 + j(), 2 + j()), 1, 3)
    elif kind == "fill":
        img[1 + abs(j()):27 - abs(j()), 1 + abs(j()):27 - abs(j())] = 1
    else:
        cv2.circle(img, (14 + j(), 14 + j()), 13, 1, -1)
    return img.astype(np.float32)


def test_a_band_left_of_a_fill_beside_a_dithered_smear_is_a_piece_of_a_mark():
    """The smear's specks, apart from the band or joined to it as a net, do not make the band a whole mark."""
    assert partial_mark(_inside(VBAND_NET))
    rng = np.random.default_rng(5)
    assert all(partial_mark(_band_with_specks(rng)) for _ in range(10))


@pytest.mark.parametrize("kind", ["cross", "tick", "fill", "round"])
def test_a_pens_cross_tick_and_fill_stay_whole_marks(kind):
    rng = np.random.default_rng(7)
    assert not any(partial_mark(_pen(kind, rng)) for _ in range(10))


def _halftone_page(default_layout, blanks, catalogue, seed: int, scale: float):
    """Page 1 of a sheet answered with a pen (a cross or a tick in one box of twelve questions, four left
    blank, two of those with a light grey stroke, pencil-like, beside a pen's cross in another box), scanned
    grey, then made 1-bit by the scanner's halftone mode (white point at the page's 90th percentile,
    Floyd-Steinberg) at ``scale`` times 200 dpi. Returns ({question: QuestionRead}, {question: option meant,
    None for blank, "?" for the two strokes})."""
    img, boxes, rng, pen_colour = _blank_page(default_layout, blanks, 140 + seed, seed)
    meant: dict[str, str | None] = {}
    for k, q in enumerate(QUESTIONS):
        picks = rng.permutation(len(boxes[q]))
        if k % 4 == 3:
            meant[q] = None
            continue
        box = boxes[q][int(picks[0])]
        _draw_mark(img, box, str(rng.choice(["cross", "tick"])), DPI, pen_colour, rng, 0.4)
        meant[q] = box.option
        if k in (2, 6):  # a light second stroke beside the cross: the respondent's doubt, never the cross alone
            _draw_mark(img, boxes[q][int(picks[1])], "cross", DPI, (150, 150, 150), rng, 0.2)
            meant[q] = "?"
    data, _ = scan_page(img, PROFILES["clean"], DPI, rng, upside_down=False)
    result = process_page(RawPage("halftone.png", 0, _one_bit(data, "dither", scale)), catalogue)
    assert result.set_aside is None
    return {q.question: q for q in result.questions}, meant


# Even seeds: a black pen (a blue one, halftoned too, still goes to review as pieces of a mark at 200 dpi).
@pytest.mark.parametrize("seed, scale", [(2, 1.0), (8, 1.5)])
def test_a_halftone_pages_paper_dots_are_no_strokes(default_layout, blanks, catalogue, seed, scale):
    """A halftone (dithered) scan prints the paper as scattered dots: every empty box held more pieces than a
    light stroke broken into dots, and every question of the page went to review (bench/hunt/bilevel.py
    ``--bw dither``). The paper's own dots are no stroke (omr.scan.read.paper_dots); a light stroke beside a
    cross still keeps its question from being stored as the cross alone."""
    reads, meant = _halftone_page(default_layout, blanks, catalogue, seed, scale)
    plain = {q: option for q, option in meant.items() if option != "?"}
    silent = [f"{q}: {reads[q].value!r}" for q, option in meant.items()
              if reads[q].status not in NEEDS_REVIEW and reads[q].value != (None if option == "?" else option)]
    assert not silent, f"stored ok, not what was meant: {silent}"
    # Every blank box reads blank (the paper's dots are no stroke) and every cross or tick reads ok: none of them
    # goes to review.
    assert {q: (reads[q].status, reads[q].value) for q in plain} == \
        {q: (BLANK, None) if option is None else (OK, option) for q, option in plain.items()}
