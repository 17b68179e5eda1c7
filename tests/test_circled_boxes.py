"""A fresh user's trial (hblank2): circles drawn around the box meant (a common habit; ellipses with a 0.4 mm
pen, 1-2 mm clear of the box) sent every question to review with the page reason «ô bị che hoặc mất nét in
(giấy dán, góc rách, gấp mép, lóa sáng…)»: the circle inks the paper band the box search compares the printed
outline with, and the boxes looked covered. The print is there: the page says the boxes are circled, never
covered, and no question is stored ok with another answer than the one circled."""

from __future__ import annotations

import shutil
import subprocess

import cv2
import numpy as np
import pytest
from PIL import Image

from omr.forms.printing import print_forms
from omr.model import NEEDS_REVIEW, OK
from omr.scan.ingest import RawPage
from omr.scan.page import process_page

DPI = 200
COVERED = "ô bị che hoặc mất nét in"
CIRCLED = "ô được khoanh tròn bên ngoài"


@pytest.fixture(scope="module")
def pages(tmp_path_factory, default_layout):
    """Pages 1 and 2 of one printed sheet, rendered as the trial did (pdftoppm -r 200 -gray)."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (Debian package poppler-utils, installed by `make test`) is needed")
    _, layout = default_layout
    folder = tmp_path_factory.mktemp("circled")
    print_forms(layout, folder / "f.pdf", 1, 1, "30001")
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", str(folder / "f.pdf"), str(folder / "p")], check=True)
    return [np.asarray(Image.open(p).convert("L")) for p in sorted(folder.glob("p-*.png"))]


def _circle_one_box_per_question(grey: np.ndarray, page, rng) -> dict[str, str]:
    k = DPI / 25.4
    img, chosen = grey.copy(), {}
    by_question: dict[str, list] = {}
    for box in page.checkboxes:
        by_question.setdefault(box.question, []).append(box)
    for question, boxes in by_question.items():
        box = boxes[int(rng.integers(len(boxes)))]
        gap = rng.uniform(1.0, 2.0)
        centre = (int((box.x + box.w / 2) * k * 16), int((box.y + box.h / 2) * k * 16))
        axes = (int((box.w / 2 + gap) * k * 16), int((box.h / 2 + gap) * k * 16))
        cv2.ellipse(img, centre, axes, rng.uniform(-10, 10), 0, 360, 30, int(round(0.4 * k)), cv2.LINE_AA, 4)
        chosen[question] = box.option
    return img, chosen


@pytest.mark.parametrize("number,seed", [(1, 1), (2, 2), (1, 3)])
def test_circled_boxes_are_said_circled_never_covered(pages, default_layout, catalogue, number, seed):
    _, layout = default_layout
    page = layout.page(number)
    img, chosen = _circle_one_box_per_question(pages[number - 1], page, np.random.default_rng(seed))
    result = process_page(RawPage("circled.png", 0, img), catalogue)
    assert result.set_aside is None
    assert COVERED not in result.detail, result.detail
    assert CIRCLED in result.detail, result.detail
    for q in result.questions:
        if q.question not in chosen:
            continue
        # Read as the box circled, or sent to a person: never another answer stored ok.
        assert q.status in NEEDS_REVIEW or (q.status == OK and q.value == chosen[q.question]), (q, result.detail)
