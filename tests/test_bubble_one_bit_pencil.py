"""A pencil-filled bubble sheet scanned black and white (1 bit): the scanner's threshold cuts the light
fills down to the bolder strokes of their printed letter, or to nothing. A question whose fill was lost is
not a sure blank (bench/hunt/elsewhere.py --kind binary --seed 13: OMRChecker sample4
IMG_20201116_150717658 q5, «D» stored blank at confidence 0.75; at threshold 115 IMG_20201116_150750830
q1 and q6, «A» stored blank). The variants here: OMRChecker's real sample4 sheets (pencil fills) cut at
several thresholds, each answer of the clean read either read again or sent to review, never stored blank
or wrong."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from omr.scan.ingest import PageLoader
from omr.scan.page import Catalogue, process_page
from omr.template_from.omrchecker import import_omrchecker

from test_omrchecker import SAMPLES, needs_samples

SAMPLE = SAMPLES / "sample4"
IMAGES = ("IMG_20201116_150717658.jpg", "IMG_20201116_150750830.jpg", "IMG_20201116_143512.jpg")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pencil-1bit") / "form_templates"
    import_omrchecker(SAMPLE / "template.json", folder / "sample4.yaml")
    return Catalogue.from_folder(folder)


@needs_samples
@pytest.mark.parametrize("threshold", [115, 135, 150])
def test_a_pencil_fill_lost_to_a_black_and_white_scan_is_never_stored_blank(catalogue, tmp_path, threshold):
    loader = PageLoader()
    wrong, answered = [], 0
    for name in IMAGES:
        clean = process_page(loader.load(SAMPLE / name, 0), catalogue)
        assert clean.set_aside is None
        truth = {q.question: q.value for q in clean.questions if q.status == "ok"}
        answered += len(truth)
        grey = cv2.imread(str(SAMPLE / name), cv2.IMREAD_GRAYSCALE)
        path = tmp_path / f"{threshold}-{name}.png"
        Image.fromarray(np.where(cv2.GaussianBlur(grey, (3, 3), 0) < threshold, 0, 255).astype(np.uint8)) \
            .convert("1").save(path)
        result = process_page(loader.load(path, 0), catalogue)
        if result.set_aside:
            continue  # set aside: every question missing, never blank
        for q in result.questions:
            if q.question in truth and q.status in ("ok", "blank") and q.value != truth[q.question]:
                wrong.append((name, q.question, truth[q.question], q.value))
    loader.close()
    assert answered >= 25  # the clean reads of the three sheets (ten questions each, all answered)
    assert not wrong, f"fills lost to the 1-bit threshold stored as answers: {wrong}"
