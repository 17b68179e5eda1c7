"""A page worker's memory (issue #18: under 200 MB a worker): the comment crop's float copies.

A commented page was a worker's largest page: a whole field's crop at OCR_PX_PER_MM is ~5 MB of
float32 a copy, and making its clean crop and its ink held three copies at once. These check that each
step makes its float copy once and works on it in place, with the same pixels as the formula.
"""

from __future__ import annotations

import tracemalloc

import cv2
import numpy as np

from omr import tuning as T
from omr.scan.align import PageInk
from omr.scan.comments import FieldInk, clean_crop

K = T.CANONICAL_PX_PER_MM
FIELD_MM = (190.0, 50.0)  # a wide comment field, with its margins (w, h)


def _peak_bytes(func, *args) -> tuple[int, object]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = func(*args)
        return tracemalloc.get_traced_memory()[1] - base, result
    finally:
        tracemalloc.stop()


def _field():
    rng = np.random.default_rng(18)
    w, h = (int(round(v * T.OCR_PX_PER_MM)) for v in FIELD_MM)
    ink = rng.random((h, w), dtype=np.float32)
    wk, hk = (int(round(v * K)) for v in FIELD_MM)
    written = (rng.random((hk, wk)) < 0.3).astype(np.uint8)
    printed = (rng.random((hk, wk)) < 0.05).astype(np.uint8)
    return ink, FieldInk(written, printed, 100.0)


def test_the_clean_crop_of_a_wide_field_holds_one_float_copy_of_it():
    ink, found = _field()
    peak, clean = _peak_bytes(clean_crop, ink, found)
    # kept (one float32 copy), the masks and resized zones, the strokes' percentile, the uint8 result:
    # ~3.3 copies' worth; it held ~4.6 (kept, kept / black, its clip at once).
    assert peak < 4 * ink.nbytes, f"{peak / 2 ** 20:.1f} MiB for a {ink.nbytes / 2 ** 20:.1f} MiB crop"
    # The same pixels as the formula written out whole.
    reach = int(round(T.WRITING_REACH_MM * K))
    zone = cv2.dilate(found.written, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1)))
    written = cv2.resize(zone, (ink.shape[1], ink.shape[0]), interpolation=cv2.INTER_NEAREST) > 0
    printed = cv2.resize(found.printed, (ink.shape[1], ink.shape[0]), interpolation=cv2.INTER_LINEAR) == 0
    kept = np.where(written & printed & (ink > T.CROP_INK_FLOOR), ink, 0.0)
    strokes = kept[kept > T.TEXT_STROKE_LEVEL]
    kept = np.clip(kept / max(float(np.percentile(strokes, T.STROKE_BLACK_PERCENTILE)), 0.3), 0.0, 1.0)
    assert np.array_equal(clean, (255.0 * (1.0 - kept)).astype(np.uint8))


def test_a_crops_ink_holds_one_float_copy_of_it():
    rng = np.random.default_rng(7)
    paper = np.full((297, 210), 230.0, np.float32) + rng.random((297, 210), dtype=np.float32) * 10
    page = PageInk(np.zeros((297 * int(K), 210 * int(K)), np.uint8), paper, 0.2)
    w, h = (int(round(v * T.OCR_PX_PER_MM)) for v in FIELD_MM)
    grey = rng.integers(0, 256, (h, w), dtype=np.uint8)
    peak, ink = _peak_bytes(page.ink_of, grey, 10.0, 100.0, 10.0 + FIELD_MM[0], 100.0 + FIELD_MM[1])
    float_copy = grey.size * 4
    # the paper resized to the crop and the ink: two float copies; it held four.
    assert peak < 2.5 * float_copy, f"{peak / 2 ** 20:.1f} MiB for a {float_copy / 2 ** 20:.1f} MiB float copy"
    small = page._paper_under(10.0, 100.0, 10.0 + FIELD_MM[0], 100.0 + FIELD_MM[1])
    resized = cv2.resize(small, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    expected = np.clip((1.0 - grey.astype(np.float32) / resized) / (1.0 - 0.2), 0.0, 1.0)
    assert np.array_equal(ink, expected)
