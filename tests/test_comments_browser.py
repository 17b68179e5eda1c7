"""The comment review page in headless Chromium (#15): crop, empty box, draft one key away, "có thể" flags."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import cv2
import numpy as np
import pytest
import sqlalchemy as sa
from test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, _session, _shot, playwright_api, server  # noqa: F401
from web_helpers import screenshot_folder

from omr import tuning as T
from omr.data.schema import comments, pages
from omr.forms import synthetic_handwriting as hand

pytestmark = pytest.mark.skipif(not hand.available(), reason="handwriting fonts missing from tests/data")


@pytest.fixture(scope="module")
def browser():
    """Chromium as test_browser starts it."""
    screenshot_folder()
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _comment(server, draft: str, confidence: float, flags: list[dict], field: str = "H8") -> int:
    store = server["app"].extensions["omr_store"]
    with store.reading() as conn:
        page_id = conn.execute(sa.select(pages.c.id).where(pages.c.serial.is_not(None)).limit(1)).scalar()
        response_id = conn.execute(sa.text("SELECT response_id FROM response_pages WHERE page_id = :p"),
                                   {"p": page_id}).scalar()
    line = hand.bare_line("Trả hẹn hai tuần, phải đi lại nhiều lần", np.random.default_rng(5), px_per_mm=8.0)
    crop = np.full((int(30 * 8), int(190 * 8)), 255, np.uint8)
    crop[40:40 + line.shape[0], 30:30 + line.shape[1]] = line
    png = cv2.imencode(".png", crop)[1].tobytes()
    return store.writing(lambda conn: conn.execute(comments.insert().values(
        response_id=response_id, page_id=page_id, field=field, inked=True, ink_mm2=60.0, x=10, y=200, w=190,
        h=26, crop_png=png, draft_text=draft, draft_confidence=confidence, likely_correct=False,
        review_priority=500.0 + confidence, status="pending", flags=json.dumps(flags, ensure_ascii=False),
        updated_at=datetime.now(timezone.utc))).inserted_primary_key[0])


def test_a_doubtful_handwriting_draft_is_one_key_away(browser, server):  # noqa: F811 - server: test_browser's
    # The browser fixtures' server has sheets once test_browser's upload ran; add one page if not.
    store = server["app"].extensions["omr_store"]
    with store.reading() as conn:
        has_page = conn.execute(sa.select(pages.c.id).where(pages.c.serial.is_not(None)).limit(1)).scalar()
    if has_page is None:
        from db_fixtures import PAGE1, page_result, record

        record(store, store.ensure_batch("dot-trinh-duyet"), page_result(1, 1, PAGE1, path="b1.pdf"))
    draft = "Trả hẹn hai tuần, phải đi lại nhiều lần"
    flags = [{"term": "trễ hẹn", "category": "colloquial", "start": 0, "end": 7, "matched": "Trả hẹn",
              "negated": False, "ambiguous": False, "source": "draft", "fuzzy": False, "possible": True},
             {"term": "đi lại nhiều lần", "category": "colloquial", "start": 22, "end": 38,
              "matched": "đi lại nhiều lần", "negated": False, "ambiguous": False, "source": "draft",
              "fuzzy": False, "possible": False}]
    comment_id = _comment(server, draft, T.DRAFT_SHOW_MIN_CONFIDENCE - 12, flags)
    context, page = _session(browser, server, "lan")
    try:
        page.goto(f"{server['url']}/queue/item/comment/{comment_id}")
        assert page.input_value("#comment-text") == ""  # nothing to delete before typing
        assert page.is_visible("#use-draft") and page.is_visible("#crop")
        assert page.inner_text(".flag-possible") == "có thể: trễ hẹn"
        _shot(page, "20-handwriting-draft-withheld")
        page.keyboard.press("F2")
        page.wait_for_function("document.getElementById('comment-text').value.length > 0")
        assert page.input_value("#comment-text") == draft
        _shot(page, "21-handwriting-draft-taken")
    finally:
        context.close()


def test_a_comment_typed_when_the_session_ended_comes_back_after_login(browser, server, monkeypatch):  # noqa: F811
    """A fresh-user trial: a save after the session had ended went to /login with no next and no word of
    why, the reviewer landed on the home page and the typed transcription was lost."""
    from test_browser import LOGINS

    from omr.web import views

    store = server["app"].extensions["omr_store"]
    with store.reading() as conn:
        has_page = conn.execute(sa.select(pages.c.id).where(pages.c.serial.is_not(None)).limit(1)).scalar()
    if has_page is None:
        from db_fixtures import PAGE1, page_result, record

        record(store, store.ensure_batch("dot-trinh-duyet"), page_result(1, 1, PAGE1, path="b1.pdf"))
    comment_id = _comment(server, "Tra hen hai tuan", T.DRAFT_SHOW_MIN_CONFIDENCE + 5, [], field="H9")
    typed = "Trả hẹn hai tuần, phải đi lại nhiều lần mới xong hồ sơ đất đai"
    context, page = _session(browser, server, "lan")
    try:
        item = f"/queue/item/comment/{comment_id}"
        page.goto(server["url"] + item)
        page.wait_for_function("document.getElementById('image-shown').value === '1'")
        page.fill("#comment-text", typed)
        later = views._clock() + T.SESSION_IDLE_HOURS * 3600 + 60
        monkeypatch.setattr(views, "_clock", lambda: later)
        with page.expect_navigation():
            page.press("#comment-text", "Enter")
        assert page.url.startswith(server["url"] + "/login?next=")
        assert "Phiên làm việc đã hết hạn, hãy đăng nhập lại" in page.inner_text("main")
        page.fill("input[name=name]", "lan")
        page.fill("input[name=password]", LOGINS["lan"][1])
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url == server["url"] + item
        assert page.input_value("#comment-text") == typed
        assert page.is_visible("#comment-restored")
        _shot(page, "22-comment-typed-kept-over-a-login")
        page.reload()  # kept for one return only: a later visit shows what is stored
        assert page.input_value("#comment-text") != typed
    finally:
        context.close()
