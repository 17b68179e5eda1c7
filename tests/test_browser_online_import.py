"""The admin's «Nhập phiếu trực tuyến» in headless Chromium: the link, the upload, the summary, twice.

Screenshots go to outputs/test-screenshots/online-import/ for a person to look at.
"""

from __future__ import annotations

from web_helpers import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, live_server, require_chromium, screenshot_folder

from omr.data import users
from omr.data.store import open_store

SHOTS = SCREENSHOTS / "online-import"

playwright_api = require_chromium()


def test_an_admin_imports_the_demo_export_from_the_navigation(tmp_path, repo_root, quick_hashes):
    from omr.web import create_app

    db = str(tmp_path / "omr.sqlite")
    with open_store(db) as store:
        users.add_user(store, "admin", "quantri-demo-2026", "admin")
    app = create_app(db, uploads_dir=tmp_path / "uploads", template_dir=repo_root / "form_templates",
                     start_jobs=False)
    example = repo_root / "examples" / "online" / "google-forms-vi.csv"
    screenshot_folder("online-import")
    with live_server(app) as url, playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN").new_page()
        page.set_default_timeout(20_000)
        page.goto(url + "/login")
        page.fill("input[name=name]", "admin")
        page.fill("input[name=password]", "quantri-demo-2026")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        with page.expect_navigation():
            page.click("nav >> text=Nhập phiếu trực tuyến")
        page.screenshot(path=str(SHOTS / "01-trang-nhap.png"), full_page=True)
        for attempt in ("02-lan-dau", "03-nhap-lai"):
            page.fill("input[name=source]", "google-forms-fb")
            page.set_input_files("input[name=file]", str(example))
            with page.expect_navigation():
                page.click("#online-form button[type=submit]")
            page.screenshot(path=str(SHOTS / f"{attempt}.png"), full_page=True)
            summary = page.inner_text("#online-summary")
            assert "google-forms-vi.csv" in summary and "google-forms-fb" in summary
            assert "Cấp đổi giấy phép lái xe" in page.inner_text("#online-problems")
        # The second upload of the same file adds nothing: its rows are counted as already there.
        assert page.inner_text("#n-imported") == "0" and int(page.inner_text("#n-already")) > 30
        assert len(page.locator("#online-history tbody tr").all()) == 2
        chromium.close()
    app.extensions["omr_jobs"].stop()
    app.extensions["omr_store"].close()
