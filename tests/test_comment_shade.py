"""A soft shade across a comment field (a fold's shade, a crease's shadow, a gradient) is not writing.

The lighting flattening (omr.scan.lighting) only lifts shades wider than its window (11 mm): a fold's
shade 4-20 mm across made empty comment fields read as written (sent to the comment review with an empty
crop). omr.scan.comments.shade_lifted measures a field's ink against the paper right around it. Light
handwriting (synthetic pencil, omr.forms.synthetic_handwriting) under the same shade still reads written.

Scanned by the office profile without its 1-bit scans (a 1-bit scan turns a shade near its threshold into
speckle, a case these tests leave out: see docs/reading.md).
"""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from PIL import Image

from omr.forms.simulate import PROFILES, _BlankPages, choose_answers, fill_page, scan_page
from omr.scan.ingest import RawPage
from omr.scan.page import process_page

DPI = 200
GREY_OFFICE = dataclasses.replace(PROFILES["office"], binarize_prob=0.0)


@pytest.fixture(scope="module")
def page_2(default_layout):
    """(template, layout, the blank page 2 RGB at 200 dpi)."""
    template, layout = default_layout
    return template, layout, _BlankPages(layout, DPI).pages[2]


def _filled(page_2, seed: int, written: bool):
    template, layout, blank = page_2
    rng = np.random.default_rng(seed)
    truth = choose_answers(template, 7000 + seed, rng, None, comment_share=1.0 if written else 0.0,
                           comment_styles=("hand",))
    return truth, fill_page(blank, layout.page(2), truth, DPI, rng, faint=written)


def _shaded(rgb: np.ndarray, vertical: bool, centre_mm: float, half_mm: float, depth: float) -> np.ndarray:
    """``rgb`` darkened by a soft band (a fold's shade): ``depth`` darker at ``centre_mm``, fading to nothing
    ``half_mm`` either side; down the page (``vertical``) or across it."""
    n = rgb.shape[1] if vertical else rgb.shape[0]
    t = np.arange(n) * 25.4 / DPI - centre_mm
    shade = 1 - depth * np.clip(1 - np.abs(t) / half_mm, 0, 1)
    shade = shade[None, :, None] if vertical else shade[:, None, None]
    return np.clip(rgb.astype(np.float32) * shade, 0, 255).astype(np.uint8)


def _comments(rgb: np.ndarray, seed: int, catalogue) -> dict[str, bool]:
    data, _ = scan_page(np.ascontiguousarray(rgb), GREY_OFFICE, DPI, np.random.default_rng(seed), upside_down=False)
    grey = np.asarray(Image.open(io.BytesIO(data)).convert("L")).copy()
    result = process_page(RawPage("shade.jpg", 0, grey), catalogue)
    assert result.set_aside is None and result.page == 2
    return {c.field: c.inked for c in result.comments}


# Down the page through both fields at 30/50/80 % of its width, and across a field's middle, one of its
# guide lines or its frame; 2-10 mm either side; 20-50 % darker.
BLANK_VARIANTS = [(v, c, h, d) for v, c in ((True, 63.0), (True, 105.0), (True, 168.0), (False, 226.3),
                                             (False, 231.5), (False, 250.7))
                  for h, d in ((2.0, 0.5), (5.0, 0.35), (10.0, 0.35), (10.0, 0.5))]


@pytest.mark.parametrize("vertical,centre_mm,half_mm,depth", BLANK_VARIANTS)
def test_a_soft_shade_leaves_an_empty_comment_field_empty(vertical, centre_mm, half_mm, depth, page_2, catalogue):
    _, rgb = _filled(page_2, 1, written=False)
    seed = int(centre_mm * 10 + half_mm * 100 + depth * 1000)
    assert _comments(_shaded(rgb, vertical, centre_mm, half_mm, depth), seed, catalogue) == {"H3": False,
                                                                                                "H4": False}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("vertical,half_mm,depth", [(True, 5.0, 0.35), (False, 5.0, 0.35), (True, 10.0, 0.5)])
def test_light_handwriting_under_a_shade_still_reads_written(seed, vertical, half_mm, depth, page_2, catalogue):
    """Pencil-grey synthetic handwriting, the shade through the middle of the first field written in."""
    truth, rgb = _filled(page_2, 100 + seed, written=True)
    _, layout, _ = page_2
    region = next(r for r in layout.page(2).text_regions if r.field in truth.comments)
    centre = 105.0 if vertical else region.y + region.h / 2
    read = _comments(_shaded(rgb, vertical, centre, half_mm, depth), seed, catalogue)
    assert read == {field: field in truth.comments for field in read}
