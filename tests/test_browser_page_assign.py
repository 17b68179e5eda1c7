"""Assigning a set-aside page to its sheet, in headless Chromium (hweb2).

A page whose QR code could not be read waits for a reviewer to type its serial. The assign button looked
active before the picture loaded, and the server took an assignment nobody could have checked against the
picture. Now the button waits for the picture («Đang tải ảnh…»), and the sheet of the same batch that lacks
this page is suggested, its serial and page filled in (the unit left empty takes the sheet's). Screenshots go to
outputs/test-screenshots/page-assign/ for a person to look at.
"""

from __future__ import annotations


import numpy as np
import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, page_result, record
from PIL import Image
from web_helpers import (CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, chromium_browser,
                         live_server, logged_in_page, require_chromium)

from omr.data import users
from omr.data.schema import pages
from omr.data.store import open_store

SHOTS = SCREENSHOTS / "page-assign"
PASSWORD = "lan-kiem-tra-phieu-dong-thap"

playwright_api = require_chromium()


@pytest.fixture(scope="module")
def browser():
    with chromium_browser("page-assign", CHROMIUM, CHROMIUM_ARGS) as chromium:
        yield chromium


def test_the_assign_button_waits_for_the_picture_and_the_missing_sheet_is_offered(browser, tmp_path, repo_root,
                                                                                   quick_hashes):
    from omr.web import create_app

    scan = tmp_path / "to-28-trang-1.png"
    picture = np.full((1169, 827), 250, np.uint8)
    picture[80:120, 80:600] = 40  # something to see
    Image.fromarray(picture).save(scan)
    db = str(tmp_path / "omr.sqlite")
    with open_store(db) as store:
        users.add_user(store, "lan", PASSWORD, "reviewer")
        batch = store.ensure_batch("dot-thu")
        record(store, batch, page_result(1, 1, PAGE1, path="s1.pdf"))
        record(store, batch, page_result(1, 2, PAGE2, path="s1.pdf", index=1))
        record(store, batch, page_result(28, 2, PAGE2, path="s28.pdf", index=1, unit="30004"))
        lost = page_result(28, 1, PAGE1, path=str(scan), unit=None)
        lost.set_aside, lost.detail, lost.serial = "qr_unreadable", f"{scan}, trang 1: mã QR bị che", None
        record(store, batch, lost)
        with store.reading() as conn:
            page_id = conn.execute(sa.select(sa.func.max(pages.c.id))).scalar()
    app = create_app(db, uploads_dir=tmp_path / "uploads", template_dir=repo_root / "form_templates",
                     start_jobs=False)
    with live_server(app) as url, logged_in_page(browser, url, "lan", PASSWORD) as page:
        held = []
        page.route("**/img/**", lambda route: held.append(route))
        page.goto(f"{url}/queue/item/page/{page_id}", wait_until="domcontentloaded")
        for _ in range(100):
            if held:
                break
            page.wait_for_timeout(50)
        assert held, "the page's picture was requested"
        assert page.is_visible("#image-state") and page.is_disabled("#assign")
        assert "phiếu số 000028 (thiếu trang 1, đơn vị 30004)" in page.inner_text("#suggested-sheets")
        assert page.input_value("input[name=serial]") == "28" and page.input_value("input[name=page]") == "1"
        page.keyboard.press("Enter")
        page.wait_for_timeout(700)
        assert "/queue/item/page/" in page.url  # nothing sent while the picture loads
        page.screenshot(path=str(SHOTS / "01-picture-loading.png"), full_page=True)
        for route in held:
            route.continue_()
        page.unroute("**/img/**")
        page.wait_for_selector("#image-state", state="hidden")
        assert page.is_enabled("#assign") and page.input_value("#image-shown") == "1"
        page.screenshot(path=str(SHOTS / "02-picture-shown.png"), full_page=True)
        with page.expect_navigation():
            page.click("#assign")
        assert "/queue/item/page/" not in page.url, page.inner_text("main") if page.query_selector("main") else page.content()[-3000:]
    with open_store(db) as store:
        sheet = next(r for r in store.responses() if r["serial"] == 28)
        assert sorted(p["page"] for p in sheet["pages"]) == [1, 2] and sheet["unit"] == "30004"
