"""Faint pencil in a comment field goes to review, never stored blank (a lost comment).

A comment read blank is never shown to anyone. Faint pencil (grey 150-200 on paper 225-255, thin
strokes), or pencil that a 1-bit scan mostly erased, may leave less than ``TEXT_MIN_INK_MM2`` of written
area: before branch hpencil such a field was stored blank, silently. The variants are synthetic
handwriting (omr.forms.synthetic_handwriting) drawn as pencil into page 2's comment fields and scanned by
the office profile at 150-300 dpi, grey and 1-bit. Empty fields of the same scans must stay blank, so
review is not flooded.

Branch hfaint: on grey scans, writing lighter than the ordinary stroke level is looked for again, against
the paper's noise (omr.scan.comments.faint_writing): all 12 grey variants now go to review (6 were stored
blank), labelled possibly faint (``CommentRead.faint``) when found that way or from less than a surely
written field's area. A 1-bit scan that left nothing of the pencil cannot be helped (10 of 12 1-bit
variants are still stored blank: the scanner's threshold erased them, there is nothing on the page).
"""

from __future__ import annotations

import dataclasses
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from omr import tuning as T
from omr.forms import synthetic_handwriting as hand
from omr.forms.simulate import PROFILES, _BlankPages, choose_answers, fill_page, scan_page
from omr.scan.ingest import RawPage
from omr.scan.page import process_page

WORDS = ("thái độ không tốt", "phải chờ lâu", "xin cảm ơn", "đòi tiền", "cán bộ gây khó dễ")


@pytest.fixture(scope="module")
def blank_pages(default_layout):
    """dpi -> page 2 (RGB) of a sheet filled in without comments, with its QR code."""
    template, layout = default_layout
    pages = {}
    for dpi in (150, 200, 300):
        rng = np.random.default_rng(dpi)
        truth = choose_answers(template, 8000 + dpi, rng, None, comment_share=0.0)
        pages[dpi] = fill_page(_BlankPages(layout, dpi).pages[2], layout.page(2), truth, dpi, rng, faint=False)
    return pages


def _pencil_page(blank: np.ndarray, region, dpi: int, grey: int, seed: int) -> np.ndarray:
    """``blank`` with one line of synthetic handwriting in ``region`` as pencil of ``grey`` (0-255): thin
    strokes that darken the paper towards ``grey``."""
    rng = np.random.default_rng(seed)
    px_per_mm = dpi / 25.4
    writer = dataclasses.replace(hand.Writer.random(rng), ink=0, pen_px=-1)
    line, _ = hand.render_line(WORDS[seed % len(WORDS)], writer, rng, px_per_mm=px_per_mm)
    ink = 1.0 - hand.trim(line, px_per_mm).astype(np.float32) / 255.0
    x0, y0 = int((region.x + 3) * px_per_mm), int((region.y + 2) * px_per_mm)
    h = min(ink.shape[0], int((region.h - 3) * px_per_mm))
    w = min(ink.shape[1], int((region.w - 6) * px_per_mm))
    page = blank.copy()
    paper = page[y0:y0 + h, x0:x0 + w].astype(np.float32)
    page[y0:y0 + h, x0:x0 + w] = (paper * (1.0 - ink[:h, :w, None] * (1.0 - grey / 255.0))).astype(np.uint8)
    return page


def _read(rgb: np.ndarray, dpi: int, one_bit: bool, seed: int, catalogue) -> dict:
    profile = dataclasses.replace(PROFILES["office"], binarize_prob=1.0 if one_bit else 0.0)
    data, _ = scan_page(np.ascontiguousarray(rgb), profile, dpi, np.random.default_rng(seed), upside_down=False)
    grey = np.asarray(Image.open(io.BytesIO(data)).convert("L")).copy()
    result = process_page(RawPage("pencil.png", 0, grey), catalogue)
    assert result.set_aside is None and result.page == 2
    return {c.field: c for c in result.comments}


VARIANTS = [(dpi, one_bit, grey) for dpi in (150, 200, 300) for one_bit in (False, True) for grey in (175, 180, 185, 190)]


@pytest.fixture(scope="module")
def pencil_reads(blank_pages, default_layout, catalogue):
    """(variant, written field, reads by field) for every variant."""
    _, layout = default_layout
    regions = layout.page(2).text_regions
    out = []
    for n, (dpi, one_bit, grey) in enumerate(VARIANTS):
        region = regions[n % len(regions)]
        rgb = _pencil_page(blank_pages[dpi], region, dpi, grey, seed=n)
        out.append(((dpi, one_bit, grey), region.field, _read(rgb, dpi, one_bit, 50 + n, catalogue)))
    return out


def test_faint_pencil_the_reader_sees_is_never_stored_blank(pencil_reads):
    lost = [(variant, read.ink_mm2) for variant, field, reads in pencil_reads
            for read in [reads[field]] if read.ink_mm2 >= T.TEXT_FAINT_MIN_MM2 and not read.inked]
    assert not lost
    # Not vacuous: some variants leave only a faint comment's few mm² of writing (less than a surely
    # written field), and those go to review.
    faint = [read for _, field, reads in pencil_reads for read in [reads[field]]
             if T.TEXT_FAINT_MIN_MM2 <= read.ink_mm2 < T.TEXT_MIN_INK_MM2]
    assert faint and all(read.inked for read in faint)


def test_the_empty_field_beside_faint_pencil_stays_blank(pencil_reads):
    sent = [(variant, f) for variant, field, reads in pencil_reads for f, read in reads.items()
            if f != field and read.inked]
    assert not sent


def test_faint_pencil_on_a_grey_scan_goes_to_review_labelled_faint(pencil_reads):
    grey = [(variant, reads[field]) for variant, field, reads in pencil_reads if not variant[1]]
    assert len(grey) == 12
    assert [variant for variant, read in grey if not read.inked] == []
    # Told to the reviewer: faint wherever the ordinary look found less than a surely written field.
    faint = [variant for variant, read in grey if read.faint]
    assert len(faint) >= 6
    assert all(read.faint for _, read in grey if read.ink_mm2 < T.TEXT_MIN_INK_MM2)


def test_a_surely_written_pencil_comment_is_not_called_faint(pencil_reads):
    """The faint label is for what the ordinary look barely found: a comment it read plainly is not faint."""
    plain = [read for variant, field, reads in pencil_reads for read in [reads[field]]
             if read.inked and not read.faint]
    assert plain and all(read.ink_mm2 >= T.TEXT_MIN_INK_MM2 for read in plain)


def test_the_comment_listing_says_which_comments_may_hold_faint_writing(store_url, capsys):
    from db_fixtures import PAGE2, page_result, record

    from omr.cli import main
    from omr.data.store import open_store
    from omr.scan.comments import CommentRead

    with open_store(store_url) as store:
        page = page_result(1, 2, PAGE2)
        page.comments = [CommentRead("H3", True, 1.2, (20.0, 200.0, 170.0, 30.0), crop_png=b"png", faint=True),
                         CommentRead("H4", True, 80.0, (20.0, 240.0, 170.0, 30.0), crop_png=b"png")]
        record(store, store.ensure_batch("đợt 1"), page)
    assert main(["comments", "--db", store_url]) == 0
    blocks = {block.split(" · ")[1]: block for block in capsys.readouterr().out.split("Phiếu ")[1:]}
    assert "có thể có chữ viết mờ" in blocks["H3"] and "mờ" not in blocks["H4"]


def test_grainy_paper_is_not_taken_for_faint_writing():
    """The second look's level rises with the paper's noise: grain ~0.5 mm across (a rough recycled paper, a
    noisy scanner), whose 90th percentile of ink is 0.1, would leave ~10 mm² of "writing" at the fixed 0.2
    level; 3x its noise leaves none."""
    from omr.forms.layout import TextRegion
    from omr.scan import comments as C

    region = TextRegion("H3", 0.0, 0.0, 180.0, 26.0)
    m = T.CROP_MARGIN_MM
    shape = (int((region.h + 2 * m) * C.K), int((region.w + 2 * m) * C.K))
    grain = cv2.GaussianBlur(np.random.default_rng(1).normal(0, 1, shape).astype(np.float32), (0, 0), 2.0)
    area = np.clip(grain / grain.std() * 0.08, 0.0, 1.0)
    assert C.paper_noise(area) > 0.09
    assert C._field_written(area, region, 0.1, T.TEXT_FAINT_STROKE_LEVEL).inside_mm2 >= T.TEXT_FAINT_WRITTEN_MM2
    assert C.faint_writing(area, region, 0.1) is None
