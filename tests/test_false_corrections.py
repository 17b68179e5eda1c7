"""A filled box beside ink that is not a pen's mark is never read as a correction (bench/hunt).

The form says "Muốn sửa: tô kín ô đã đánh dấu nhầm, rồi đánh dấu X vào ô khác", so a box filled in
(or scribbled over) plus one mark reads as the mark. The hunt found that reading taken, ok at
confidence ~1.0, when the "mark" was the ridged edge of an inked thumbprint (điểm chỉ) spilling from
a neighbouring box, or a hair on the scanner glass lying across a box: those must go to a person.
A real fill-and-cross correction still reads ok.
"""

from __future__ import annotations

import dataclasses
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from omr.forms.simulate import PROFILES, _draw_mark, scan_page
from omr.model import NEEDS_REVIEW, OK
from omr.scan.ingest import RawPage
from omr.scan.page import process_page
from read_checks import blank_sheet

DPI = 200
BLACK = (25, 25, 25)
BLUE = (35, 55, 150)  # the simulator's blue ballpoint: the hunt's respondents
PURPLE = (95, 45, 150)


def _px(mm: float) -> float:
    return mm * DPI / 25.4


def _thumbprint(img, cx_mm: float, cy_mm: float, rx_mm: float, ry_mm: float, colour, rng, density=0.95):
    """An inked thumb pressed at (cx, cy) mm: an ellipse of ridges 0.45 mm apart, blotchy (as bench/hunt/marks.py)."""
    cx, cy, rx, ry = _px(cx_mm), _px(cy_mm), _px(rx_mm), _px(ry_mm)
    h, w = img.shape[:2]
    x0, x1 = int(max(0, cx - rx - 4)), int(min(w, cx + rx + 4))
    y0, y1 = int(max(0, cy - ry - 4)), int(min(h, cy + ry + 4))
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    u, v = (xx - cx) / rx, (yy - cy) / ry
    cover = density * np.clip((1.0 - np.sqrt(u ** 2 + v ** 2)) / 0.12, 0, 1)
    warp = cv2.resize(rng.random((5, 5)).astype(np.float32), (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC)
    phase = np.sqrt((u * rx) ** 2 + ((v - 0.3) * ry) ** 2) + 6 * warp
    cover = cover * (0.5 + 0.5 * np.sin(2 * np.pi * phase / _px(0.45))) ** 0.7
    blotch = cv2.resize(rng.uniform(0.55, 1.0, (6, 6)).astype(np.float32), (x1 - x0, y1 - y0),
                        interpolation=cv2.INTER_CUBIC)
    cover = np.clip(cover * blotch, 0, 1)[:, :, None]
    region = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = np.clip(region * (1 - cover) + np.array(colour, np.float32) * cover, 0, 255).astype(np.uint8)


def _hair(img, box, rng):
    """A dark fibre 0.2 mm thick, 20 mm long, lying across ``box`` at a slant (bench/hunt/glass.py hair)."""
    cx, cy, ang = box.x + box.w * 0.45, box.y + box.h * 0.55, 0.3
    t = np.linspace(-10, 10, 60)
    pts = np.stack([cx + np.cos(ang) * t, cy + np.sin(ang) * t + 0.01 * t ** 2], 1) * DPI / 25.4
    cv2.polylines(img, [pts.astype(np.int32)], False, (30, 30, 30), max(1, int(round(_px(0.2)))), cv2.LINE_AA)


@pytest.fixture(scope="module")
def page_reads(default_layout, blanks, catalogue):
    """One page 1 with the cases below drawn on it, read: {question: QuestionRead}."""
    img, page, boxes = blank_sheet(default_layout, blanks, DPI, 1, 7)
    rng = np.random.default_rng(5)
    # The respondent's own habit: plain crosses on the other scale questions.
    for q in ("C1", "C2", "C3", "D1", "D2"):
        _draw_mark(img, boxes[q]["4"], "cross", DPI, BLUE, rng, 0.3)
    # A2: a thumbprint on option 1, its lower edge spilling into option 6 printed 6.5 mm below.
    one = boxes["A2"]["1"]
    _thumbprint(img, one.x + one.w / 2, one.y + one.h / 2, 6.0, 7.0, BLACK, rng)
    # B1 and B2 (rows 6.5 mm apart): a thumbprint on B1's 4 spilling into B2's 4, and one on B2's 5
    # spilling into B1's 5: each question holds its own print and the other's edge.
    for q, other, option in (("B1", "B2", "4"), ("B2", "B1", "5")):
        b = boxes[q][option]
        shift = 0.3 if other > q else -0.3
        _thumbprint(img, b.x + b.w / 2, b.y + b.h / 2 + shift, 6.0, 7.0, BLACK, rng)
    # B3: a thumbprint on its 3, its lower edge spilling into the box 3 of B4, left blank.
    three = boxes["B3"]["3"]
    _thumbprint(img, three.x + three.w / 2, three.y + three.h / 2 + 0.3, 6.0, 8.0, BLACK, rng)
    # A5: filled in as the answer (bubble style), a hair lying across its box 2.
    _draw_mark(img, boxes["A5"]["1"], "fill", DPI, BLUE, rng, 0.45)
    _hair(img, boxes["A5"]["2"], rng)
    # A3, A4, A6, A7, C4: a real correction, the wrong box filled in, then a cross, a tick, a slash
    # or a dot in another.
    _draw_mark(img, boxes["A3"]["1"], "fill", DPI, BLUE, rng, 0.45)
    _draw_mark(img, boxes["A3"]["3"], "cross", DPI, BLUE, rng, 0.45)
    _draw_mark(img, boxes["A4"]["2"], "fill", DPI, BLUE, rng, 0.45)
    _draw_mark(img, boxes["A4"]["1"], "tick", DPI, BLUE, rng, 0.45)
    _draw_mark(img, boxes["A6"]["3"], "fill", DPI, BLUE, rng, 0.6)
    _draw_mark(img, boxes["A6"]["1"], "cross", DPI, BLUE, rng, 0.6)
    _draw_mark(img, boxes["A7"]["1"], "fill", DPI, BLUE, rng, 0.45)
    _draw_mark(img, boxes["A7"]["2"], "slash", DPI, BLUE, rng, 0.45)
    _draw_mark(img, boxes["C4"]["0"], "fill", DPI, BLUE, rng, 0.45)
    _draw_mark(img, boxes["C4"]["2"], "dot", DPI, BLUE, rng, 0.45)
    office = dataclasses.replace(PROFILES["office"], binarize_prob=0.0)  # grey, as tests/test_habits.py
    data, _ = scan_page(img, office, DPI, rng, upside_down=False)
    raw = RawPage("thumbs.jpg", 0, np.asarray(Image.open(io.BytesIO(data)).convert("L")))
    result = process_page(raw, catalogue)
    assert result.set_aside is None
    return {q.question: q for q in result.questions}


def _right_or_review(read, meant):
    assert read.status in NEEDS_REVIEW or (read.status == OK and read.value == meant), \
        f"{read.question}: {read.value!r} {read.status} at {read.confidence}, meant {meant!r} (silent error)"


def test_a_thumbprints_edge_in_the_box_below_is_not_the_answer(page_reads):
    _right_or_review(page_reads["A2"], "1")


def test_a_thumbprint_beside_another_thumbprints_edge_is_not_a_correction(page_reads):
    _right_or_review(page_reads["B1"], "4")
    _right_or_review(page_reads["B2"], "5")


def test_a_thumbprints_edge_in_a_blank_question_is_not_an_answer(page_reads):
    _right_or_review(page_reads["B3"], "3")
    assert page_reads["B4"].status != OK


def test_a_hair_beside_a_filled_box_is_not_a_correction(page_reads):
    assert page_reads["A5"].status != OK


@pytest.mark.parametrize("question, meant", [("A3", "3"), ("A4", "1"), ("A6", "1"), ("A7", "2"), ("C4", "2")])
def test_a_filled_box_then_a_pen_mark_still_reads_the_correction(page_reads, question, meant):
    read = page_reads[question]
    assert (read.value, read.status) == (meant, OK)
    assert read.confidence > 0.9


# --- the rule itself, on the evidence measured on the hunt's pages (marks.py thumb, seeds 11-12) ---

def _box(option, state, fill, darkness, stroke, coverage, ring, across):
    from omr.model import BoxRead
    from omr.scan.read import BoxEvidence

    return (BoxRead("D3", option, state, fill, darkness, 1.0, 0.0, 0.0, 5.0, 5.0),
            BoxEvidence(fill, darkness, stroke, 3.0, coverage, ring, across))


def _doubt(*boxes, leaves=False):
    from omr.scan.read import doubt_unsure_marks

    reads, evidence = [b[0] for b in boxes], [b[1] for b in boxes]
    doubt_unsure_marks(reads, evidence, lambda i: leaves)
    return [r.state for r in reads]


def test_a_thumbprint_taken_for_a_scribble_beside_another_prints_ridges_is_no_correction():
    # Sheet 12 B3: the print on 5 cancelled as a scribble (rule 3), the neighbour's print's ridges in 4.
    states = _doubt(_box("5", "cancelled", 0.455, 0.243, 0.386, 0.94, 1.0, 6.5),
                    _box("4", "marked", 0.436, 0.231, 0.454, 0.75, 0.56, 5.0))
    assert states == ["cancelled", "uncertain"]


def test_a_thumbprints_rim_in_a_blank_questions_box_is_no_mark():
    # Sheet 1 D3, left blank: the rim of the print on the question below, met by 4 ridges.
    assert _doubt(_box("3", "marked", 0.291, 0.163, 0.548, 0.50, 0.50, 4.0)) == ["uncertain"]


def test_a_thumbprints_rim_in_a_box_corner_beside_a_cancelled_print_is_no_correction():
    # Sheet 14 D3 (seed 12): two ridges of the rim in a corner of 5, running out of the box.
    cancelled = _box("3", "cancelled", 0.480, 0.241, 0.419, 1.0, 1.0, 6.0)
    rim = _box("5", "marked", 0.102, 0.080, 0.352, 0.25, 0.44, 2.0)
    assert _doubt(cancelled, rim, leaves=True) == ["cancelled", "uncertain"]


def test_pen_marks_stay_marks():
    cross = _box("4", "marked", 0.30, 0.21, 0.80, 0.69, 0.12, 2.0)
    fill = _box("2", "cancelled", 1.0, 0.77, 0.79, 1.0, 0.7, 1.0)
    assert _doubt(fill, cross) == ["cancelled", "marked"]
    # A 1-bit scan's dithered cross is met by more strokes, but its ink has no greys.
    assert _doubt(_box("4", "marked", 0.21, 0.21, 1.0, 0.62, 0.2, 3.5)) == ["marked"]
    # A slash drawn inside its box beside a filled box is the correction.
    slash = _box("4", "marked", 0.22, 0.16, 0.80, 0.44, 0.1, 1.0)
    assert _doubt(fill, slash, leaves=False) == ["cancelled", "marked"]
    assert _doubt(fill, slash, leaves=True) == ["cancelled", "uncertain"]  # a hair across the box
