"""Faint writing in a comment field, from the scan to the reviewer's screen, in headless Chromium (hfaint).

Pencil a grey scan almost erased (synthetic handwriting, grey 175 on paper, page 2 of the office profile at
200 dpi, as tests/test_faint_comments.py draws it) was stored blank: now it goes to review, stored faint,
and its item says «Có thể có chữ viết mờ» above the raw crop, stretched (the pencil dark on white, the guide
lines kept). A surely written comment carries no such label. Screenshots go to
outputs/test-screenshots/faint-comments/ for a person to look at.
"""

from __future__ import annotations

import dataclasses
import io

import cv2
import numpy as np
import pytest
import sqlalchemy as sa
from db_fixtures import PAGE2, page_result, record
from PIL import Image
from test_faint_comments import _pencil_page as pencil_page
from web_helpers import (CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, chromium_browser,
                         crop_png, live_server, logged_in_page, require_chromium)

from omr.data import users
from omr.data.schema import comments
from omr.data.store import open_store
from omr.forms.simulate import PROFILES, _BlankPages, choose_answers, fill_page, scan_page
from omr.scan.comments import CommentRead
from omr.scan.ingest import RawPage
from omr.scan.page import process_page

SHOTS = SCREENSHOTS / "faint-comments"
PASSWORD = "lan-kiem-tra-phieu-dong-thap"
DPI = 200
LABEL = "Có thể có chữ viết mờ"

playwright_api = require_chromium()


def _faint_pencil_scan(template, layout) -> np.ndarray:
    """Page 2 (grey uint8, as scanned) with «đòi tiền» in H3 as pencil of grey 175: the faint-comment
    variant (200 dpi, grey, 175) that was stored blank before hfaint."""
    rng = np.random.default_rng(DPI)
    truth = choose_answers(template, 8000 + DPI, rng, None, comment_share=0.0)
    blank = fill_page(_BlankPages(layout, DPI).pages[2], layout.page(2), truth, DPI, rng, faint=False)
    region = next(r for r in layout.page(2).text_regions if r.field == "H3")
    rgb = pencil_page(blank, region, DPI, 175, seed=8)
    grey_office = dataclasses.replace(PROFILES["office"], binarize_prob=0.0)
    data, _ = scan_page(np.ascontiguousarray(rgb), grey_office, DPI, np.random.default_rng(58), upside_down=False)
    return np.asarray(Image.open(io.BytesIO(data)).convert("L")).copy()


@pytest.fixture(scope="module")
def server(tmp_path_factory, repo_root, default_layout, catalogue):
    from omr.web import create_app

    template, layout = default_layout
    result = process_page(RawPage("but-chi-mo.pdf", 0, _faint_pencil_scan(template, layout)), catalogue)
    assert result.set_aside is None and result.page == 2
    faint = next(c for c in result.comments if c.field == "H3")
    folder = tmp_path_factory.mktemp("faint-comments")
    db = str(folder / "omr.sqlite")
    with open_store(db) as store:
        users.add_user(store, "lan", PASSWORD, "reviewer")
        batch = store.ensure_batch("dot-but-chi")
        record(store, batch, result)
        clear = page_result(2, 2, PAGE2, path="but-bi.pdf")
        clear.comments = [CommentRead("H3", True, 120.0, (20.0, 200.0, 170.0, 30.0),
                                      crop_png=crop_png("Can bo nhiet tinh"), draft_text="Cán bộ nhiệt tình")]
        record(store, batch, clear)
        with store.reading() as conn:
            faint_id, clear_id = conn.execute(sa.select(comments.c.id).where(comments.c.field == "H3")
                                              .order_by(comments.c.id)).scalars().all()
    app = create_app(db, uploads_dir=folder / "uploads", template_dir=repo_root / "form_templates", start_jobs=False)
    with live_server(app) as url:
        yield {"url": url, "faint": faint_id, "clear": clear_id, "read": faint}


@pytest.fixture(scope="module")
def browser():
    with chromium_browser("faint-comments", CHROMIUM, CHROMIUM_ARGS) as chromium:
        yield chromium


@pytest.fixture
def page(browser, server):
    with logged_in_page(browser, server["url"], "lan", PASSWORD) as opened:
        yield opened


def test_faint_pencil_goes_to_review_labelled_faint_with_its_raw_crop(page, server):
    read = server["read"]
    assert read.inked and read.faint, "the pencil was stored blank: a lost comment"
    page.goto(f"{server['url']}/queue/item/comment/{server['faint']}")
    page.wait_for_selector("#image-state", state="hidden")  # the crop is on screen
    page.screenshot(path=str(SHOTS / "faint.png"), full_page=True)
    label = page.locator("#faint-writing")
    assert label.is_visible() and LABEL in label.inner_text()
    # The crop shown is the raw one, stretched: the frame and guide lines are still there (the cleaned crop
    # whitens them), and the pencil is dark on white, not the pale grey it was scanned.
    crop = cv2.imdecode(np.frombuffer(page.request.get(
        f"{server['url']}/img/comment/{server['faint']}.png").body(), np.uint8), cv2.IMREAD_GRAYSCALE)
    rows_dark = (crop < 128).mean(axis=1)
    assert (rows_dark > 0.5).sum() >= 2, "frame or guide lines kept"
    assert np.percentile(crop, 1) < 100


def test_a_surely_written_comment_carries_no_faint_label(page, server):
    page.goto(f"{server['url']}/queue/item/comment/{server['clear']}")
    page.wait_for_selector("#image-state", state="hidden")
    page.screenshot(path=str(SHOTS / "clear.png"), full_page=True)
    assert page.locator("#faint-writing").count() == 0 and LABEL not in page.content()
