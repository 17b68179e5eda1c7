"""Identifying and reading a form designed elsewhere does the reference's work once (issue #16: CPU
per sheet on OMRChecker's samples), with the same results as when it was done on every call."""

from __future__ import annotations

import cv2
import numpy as np

from omr.model import BoxRead
from omr.scan import printed_boxes, register
from omr.scan.align import K, PageInk


def _printed_form(seed: int, size=(900, 700)) -> np.ndarray:
    """A blank-like grey page: boxes and lines of print on paper (uint8 (h, w))."""
    rng = np.random.default_rng(seed)
    page = np.full(size, 235, np.uint8)
    for _ in range(60):
        x, y = int(rng.integers(20, size[1] - 60)), int(rng.integers(20, size[0] - 30))
        cv2.rectangle(page, (x, y), (x + int(rng.integers(10, 50)), y + int(rng.integers(8, 20))), 40, 2)
    for y in range(40, size[0] - 40, 90):
        cv2.line(page, (30, y), (size[1] - 30, y), 60, 2)
    return page


def test_similarity_resizes_a_reference_once_and_scores_as_before(monkeypatch):
    reference = _printed_form(1)
    other = _printed_form(2)
    page = cv2.GaussianBlur(reference, (3, 3), 0)
    shift = np.eye(3)
    register._similarity_cache.clear()
    resized = []
    original = register._resized
    monkeypatch.setattr(register, "_resized", lambda image, side: resized.append(image) or original(image, side))

    first = register.similarity(page, reference, shift)
    again = register.similarity(page, reference, shift)
    against_other = register.similarity(page, other, shift)

    assert sum(image is reference for image in resized) == 1  # the blank's copy made once, not per call
    assert first == again
    # What the comparison gave when the reference's side was computed on every call.
    ref_small = original(reference, register.T.SIMILARITY_SIDE_PX)
    to_small = register._resampling(ref_small.shape[1] / reference.shape[1], ref_small.shape[0] / reference.shape[0])
    warped = register.warp_onto_reference(page, shift, (ref_small.shape[1], ref_small.shape[0]), to_small)
    a, b = register._high_pass(warped).ravel(), register._high_pass(ref_small).ravel()
    a, b = a - a.mean(), b - b.mean()
    assert first == float((a * b).sum() / float(np.sqrt((a * a).sum() * (b * b).sum())))
    assert first > 0.5 > against_other


def test_a_reference_array_at_a_reused_address_is_not_mistaken_for_another():
    register._similarity_cache.clear()
    page = _printed_form(3)
    one = register.similarity(page, _printed_form(3), np.eye(3))  # a temporary: freed after the call
    two = register.similarity(page, _printed_form(4), np.eye(3))
    assert one > 0.9 > two


def _page_with_stray_marks(width_mm=60, height_mm=40):
    """An aligned page (PageInk) with two questions of two boxes each, and a pen stroke outside every box
    on each question's row; the blank (reference) has no print there."""
    canonical = np.full((int(height_mm * K), int(width_mm * K)), 255, np.uint8)
    reads = []
    for question, y in (("q1", 10.0), ("q2", 25.0)):
        for option, x in (("A", 10.0), ("B", 20.0)):
            reads.append(BoxRead(question, option, "empty", 0.0, 0.0, 1.0, x, y, 5.0, 5.0))
        # a tick 15 mm right of the last box: a box the template missed
        cv2.rectangle(canonical, (int(40 * K), int((y + 1) * K)), (int(44 * K), int((y + 4) * K)), 0, -1)
    ink = PageInk(canonical, np.full((height_mm, width_mm), 255, np.float32), 0.0)
    reference = np.full((height_mm * 4, width_mm * 4), 240, np.uint8)  # 4 px/mm, nothing printed
    return reads, ink, reference, float(width_mm)


def test_stray_marks_are_looked_for_only_beside_the_questions_asked():
    reads, ink, reference, width = _page_with_stray_marks()
    everywhere = printed_boxes.unexplained_marks(reads, ink, reference, width)
    assert set(everywhere) == {"q1", "q2"}

    only_q2 = printed_boxes.unexplained_marks(reads, ink, reference, width, {"q2"})

    assert only_q2 == {"q2": everywhere["q2"]}
    assert printed_boxes.unexplained_marks(reads, ink, reference, width, set()) == {}
