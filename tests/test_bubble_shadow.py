"""A hard shadow edge (a hand, a phone) across the bubble columns of a real OMRChecker sheet: an empty
bubble in the shade is never read as a mark stored ok (hshade; bench/hunt/elsewhere.py photo found them on
sample3). The shadow is drawn here, a straight edge down the layout, on OMRChecker's real sample3 sheet."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from omr.scan.ingest import PageLoader
from omr.scan.page import Catalogue, process_page
from omr.template_from.omrchecker import import_omrchecker

from test_omrchecker import SAMPLES, needs_samples

SAMPLE = SAMPLES / "sample3" / "colored-thick-sheet"
IMAGE = "rgb-100-gsm.jpg"
SHADE = 0.5  # share of the light the shadow takes (the hunt's shadows take 25-70 %)


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    """(catalogue, the photo as loaded, its clean read)."""
    folder = tmp_path_factory.mktemp("shadow") / "form_templates"
    import_omrchecker(SAMPLE / "template.json", folder / "sample3.yaml")
    catalogue = Catalogue.from_folder(folder)
    page = PageLoader().load(SAMPLE / IMAGE, 0)
    return catalogue, page, process_page(page, catalogue)


def _shadowed(page, homography: np.ndarray, edge_mm: float):
    """The photo with everything right of the layout's x = ``edge_mm`` in a hard shadow (edge 0.3 mm soft)."""
    image = page.image.astype(np.float32)
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    pts = cv2.perspectiveTransform(np.stack([xs.ravel(), ys.ravel()], axis=1)[None],
                                   np.linalg.inv(homography))[0]
    x_mm = pts[:, 0].reshape(h, w)
    light = 1.0 - SHADE * np.clip(0.5 + (x_mm - edge_mm) / 0.3, 0, 1)
    shade = light if image.ndim == 2 else light[:, :, None]
    return replace(page, image=np.clip(image * shade, 0, 255).astype(np.uint8), stream_sha256=None)


@needs_samples
def test_an_empty_bubble_just_inside_a_shadow_edge_is_never_a_stored_mark(sheet):
    catalogue, page, clean = sheet
    assert clean.set_aside is None
    homography = np.asarray(clean.homography, dtype=np.float64)
    truth = {q.question: (q.value, q.status) for q in clean.questions}
    empty = [b for b in clean.boxes if b.state == "empty"]
    assert empty
    # The edge 1 mm left of the first column of empty bubbles of each block, everything right of it in
    # the shade: that column lies where the page's paper map (a max filter over ~9 mm) still holds the
    # lit paper (before the fix every blank question of the block read that column's option, ok).
    columns = sorted({round(b.x) for b in empty})
    firsts = [c for k, c in enumerate(columns) if k == 0 or c - columns[k - 1] > 20]
    wrong = []
    for column in firsts[:2]:
        result = process_page(_shadowed(page, homography, column - 1.0), catalogue)
        assert result.set_aside is None
        for q in result.questions:
            value, status = truth[q.question]
            if q.status in ("ok", "blank") and status in ("ok", "blank") and q.value != value:
                wrong.append((column, q.question, value, q.value))
    assert not wrong, f"shadowed empty bubbles stored as marks: {wrong}"
