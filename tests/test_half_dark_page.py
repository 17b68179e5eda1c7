"""A page half dark (a scanner lid left open over one side, a hard shadow over half a photographed sheet)
whose corner marks and QR code cannot be found is set aside as too dark, saying a part of the page is
dark: never "turned about 45°" (the dark half's straight edge was taken for rows of print at 45°), and
never a blank page. A half merely in shadow is read (the lighting flattening, omr.scan.lighting)."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from PIL import Image

from omr.forms.simulate import PROFILES, scan_page
from omr.scan.ingest import RawPage
from omr.scan.page import dark_share, process_page

OFFICE = PROFILES["office"]


@pytest.fixture(scope="module")
def sheet_pages(default_layout):
    from omr.forms.simulate import _BlankPages, choose_answers, fill_page

    template, layout = default_layout
    rng = np.random.default_rng(5)
    blanks = _BlankPages(layout, 200).pages
    truth = choose_answers(template, 5151, rng, None, comment_share=0.0)
    return {p.number: fill_page(blanks[p.number], p, truth, 200, rng, faint=False) for p in layout.pages}


def _half_dark(rgb: np.ndarray, side: str, level: float, one_bit: bool, seed: int) -> np.ndarray:
    """The page with its ``side`` half at ``level`` of its light (0: black, the lid open), then scanned."""
    img = rgb.astype(np.float32)
    h, w = img.shape[:2]
    part = {"right": (slice(None), slice(w // 2, None)), "top": (slice(None, h // 2), slice(None)),
            "left": (slice(None), slice(None, w // 2)), "bottom": (slice(h // 2, None), slice(None))}[side]
    img[part] = img[part] * level + (25 if level == 0 else 0)
    profile = dataclasses.replace(OFFICE, binarize_prob=1.0 if one_bit else 0.0)
    data, _ = scan_page(np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8)), profile, 200,
                        np.random.default_rng(seed), upside_down=False)
    return np.asarray(Image.open(io.BytesIO(data)).convert("L")).copy()


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("side,level,one_bit", [("right", 0.3, True), ("right", 0.0, True), ("top", 0.3, True),
                                                ("top", 0.0, False), ("right", 0.0, False)])
def test_a_half_dark_page_set_aside_says_it_is_dark(page, side, level, one_bit, sheet_pages, catalogue):
    grey = _half_dark(sheet_pages[page], side, level, one_bit, page)
    result = process_page(RawPage("half-dark.jpg", 0, grey), catalogue)
    assert result.set_aside == "too_dark"
    assert "nghiêng" not in result.detail and "trang bị tối" in result.detail


@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
def test_a_half_in_shadow_is_read(side, sheet_pages, catalogue):
    """A shadow that leaves the print visible (30 % of the light, a greyscale scan) is flattened and read."""
    grey = _half_dark(sheet_pages[1], side, 0.3, False, 3)
    result = process_page(RawPage("shadow.jpg", 0, grey), catalogue)
    assert result.set_aside is None and result.page == 1
    assert all(q.status in ("ok", "blank") for q in result.questions)


def test_a_page_scanned_whole_or_photographed_on_a_desk_is_not_half_dark(sheet_pages):
    """The measure behind the reason: print, or a dark desk along every side, is no dark half."""
    data, _ = scan_page(np.ascontiguousarray(sheet_pages[1]), OFFICE, 200, np.random.default_rng(1), upside_down=False)
    assert dark_share(np.asarray(Image.open(io.BytesIO(data)).convert("L"))) < 0.05
    desk = np.full((2700, 1900), 40, np.uint8)
    desk[200:2500, 150:1750] = 230
    assert dark_share(desk) < 0.6
