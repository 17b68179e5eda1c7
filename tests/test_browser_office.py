"""Pages of #17 in headless Chromium: what a new office user sees, screenshots for a person to check.

Screenshots go to outputs/test-screenshots/office/. The test also checks, in the rendered page, what the
screenshot should show: the forced password change, day-first date fields, unit names, Vietnam time,
the comments on a sheet's history and the favicon the browser loaded.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, page_result, record
from web_helpers import (CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, crop_png,
                         live_server, require_chromium, screenshot_folder)

from omr.data import users
from omr.data.schema import comments, pages, upload_jobs
from omr.data.store import open_store
from omr.model import AMBIGUOUS

SHOTS = SCREENSHOTS / "office"

playwright_api = require_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory, repo_root):
    from omr.online.units import import_units
    from omr.web import create_app

    folder = tmp_path_factory.mktemp("office")
    db = str(folder / "omr.sqlite")
    with open_store(db) as store:
        users.add_user(store, "admin", "quantri-demo", "admin", must_change_password=True)
        import_units(store, repo_root / "examples" / "units" / "caolanh.csv")
        batch = store.ensure_batch("dot-quet-dong-lenh")
        record(store, batch, page_result(1, 1, PAGE1, path="s1.pdf", statuses={"B1": AMBIGUOUS}))
        record(store, batch, page_result(1, 2, PAGE2, path="s1.pdf", index=1))
        from_cli = store.ensure_batch("dot-doc-bang-dong-lenh")
        record(store, from_cli, page_result(2, 1, PAGE1, path="s2.pdf", statuses={"B2": AMBIGUOUS}))
        response_id = next(r["id"] for r in store.responses() if r["serial"] == 1)
        with store.reading() as conn:
            page_id = conn.execute(sa.select(pages.c.id).limit(1)).scalar()
        store.writing(lambda conn: conn.execute(comments.insert().values(
            response_id=response_id, page_id=page_id, field="H3", inked=True, ink_mm2=40.0, x=10, y=200, w=190, h=20,
            crop_png=crop_png("Can bo huong dan tan tinh, cam on"), draft_text="Cán bộ hướng dẫn tận tình, cảm ơn", draft_confidence=80.0,
            likely_correct=True, review_priority=1.0, status="pending", flags=json.dumps([]),
            updated_at=datetime.now(timezone.utc))))
        job_id = store.writing(lambda conn: conn.execute(upload_jobs.insert().values(
            batch_name="dot-quet-dong-lenh", folder="job-x", files="[]", pages_total=2, status="done", error="",
            created_by="admin", created_at=datetime(2026, 3, 1, 17, 30, tzinfo=timezone.utc),
            finished_at=datetime(2026, 3, 1, 17, 31, tzinfo=timezone.utc), pages_at_start=0)).inserted_primary_key[0])
    app = create_app(db, uploads_dir=folder / "uploads", template_dir=repo_root / "form_templates", start_jobs=False)
    with live_server(app) as url:
        yield {"url": url, "response_id": response_id, "job_id": job_id}


def test_a_new_office_user_in_chromium(server):
    screenshot_folder("office")
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(20_000)
        icons = []
        page.on("response", lambda r: icons.append(r) if "favicon" in r.url else None)

        def shot(name):
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        page.goto(server["url"] + "/login")
        page.fill("input[name=name]", "admin")
        page.fill("input[name=password]", "quantri-demo")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url.endswith("/account/password")
        shot("01-doi-mat-khau-lan-dau")
        # Each label sits above its own field, and the three fields line up in one column of one width.
        fields = [page.locator(f"input[name={n}]").bounding_box()
                  for n in ("current_password", "new_password", "new_password_again")]
        assert len({round(f["x"]) for f in fields}) == 1 and len({round(f["width"]) for f in fields}) == 1, fields
        for name in ("current_password", "new_password", "new_password_again"):
            text_bottom = page.evaluate(
                """name => { const label = document.querySelector(`input[name=${name}]`).parentElement;
                             const range = document.createRange(); range.setStart(label.firstChild, 0);
                             range.setEnd(label.firstChild, label.firstChild.textContent.trimEnd().length);
                             return range.getBoundingClientRect().bottom; }""", name)
            assert text_bottom <= page.locator(f"input[name={name}]").bounding_box()["y"] + 1, name
        page.fill("input[name=current_password]", "quantri-demo")
        page.fill("input[name=new_password]", "12345678")
        page.fill("input[name=new_password_again]", "12345678")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert "quá phổ biến" in page.inner_text("main")
        shot("02-mat-khau-yeu-bi-tu-choi")
        page.fill("input[name=current_password]", "quantri-demo")
        page.fill("input[name=new_password]", "ba chu heo con di cho")
        page.fill("input[name=new_password_again]", "ba chu heo con di cho")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert "Đã đổi mật khẩu" in page.inner_text("main")

        page.goto(server["url"] + "/batches")
        collected = page.locator("input[name=collected_from]")
        assert collected.get_attribute("type") == "text" and collected.get_attribute("placeholder") == "ngày/tháng/năm"
        assert "dot-doc-bang-dong-lenh" in page.inner_text("#cli-batches")
        shot("03-dot-quet")

        page.goto(server["url"] + f"/batches/jobs/{server['job_id']}")
        assert "Tải lên lúc 02/03/2026 00:30 (giờ Việt Nam)" in page.inner_text("main")
        assert page.locator("#job-review a").count() == 1
        shot("04-dot-da-doc-xong")

        page.goto(server["url"] + f"/responses/{server['response_id']}")
        assert "Cán bộ hướng dẫn tận tình" in page.inner_text("#comments")
        assert page.evaluate("document.querySelector('img.comment-crop').naturalWidth") == 420
        shot("05-lich-su-phieu")

        page.goto(server["url"] + "/admin/units")
        assert "Phường Cao Lãnh" in page.inner_text("main")
        shot("06-don-vi")

        page.goto(server["url"] + "/admin/users")
        assert page.locator("select[name=role]").input_value() == "reviewer"
        shot("07-nguoi-dung")
        assert any(r.status == 200 and r.url.endswith("favicon.svg") for r in icons), [r.url for r in icons]

        # A guesser at the login page: after five wrong passwords the page says to wait, in Vietnamese.
        guesser = chromium.new_context(viewport={"width": 1280, "height": 600}, locale="vi-VN").new_page()
        for attempt in range(6):
            guesser.goto(server["url"] + "/login")
            guesser.fill("input[name=name]", "admin")
            guesser.fill("input[name=password]", f"doan-bua-{attempt}")
            with guesser.expect_navigation():
                guesser.click("main button[type=submit]")
        assert "Đăng nhập sai quá nhiều lần" in guesser.inner_text("main")
        guesser.screenshot(path=str(SHOTS / "08-dang-nhap-bi-chan.png"), full_page=True)
        chromium.close()
