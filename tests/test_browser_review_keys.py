"""Review keys in text fields and a picture that fails to load, in headless Chromium (fresh-user trials).

A small store (a doubtful mark, a doubtful date, a handwritten comment; no upload, so the module is quick).
Screenshots go to outputs/test-screenshots/review-keys/ for a person to look at.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, page_result, record
from web_helpers import (CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, chromium_browser,
                         crop_png, live_server, logged_in_page, require_chromium)

from omr.data import users
from omr.data.schema import answers, comments, pages, responses
from omr.data.store import open_store
from omr.model import AMBIGUOUS

SHOTS = SCREENSHOTS / "review-keys"
PASSWORD = "lan-kiem-tra-phieu-dong-thap"

playwright_api = require_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory, repo_root):
    from omr.web import create_app

    folder = tmp_path_factory.mktemp("review-keys")
    db = str(folder / "omr.sqlite")
    with open_store(db) as store:
        users.add_user(store, "lan", PASSWORD, "reviewer")
        batch = store.ensure_batch("dot-phim-tat")
        record(store, batch, page_result(1, 1, PAGE1, path="s1.pdf", statuses={"B1": AMBIGUOUS, "A1": AMBIGUOUS}))
        record(store, batch, page_result(1, 2, PAGE2, path="s1.pdf", index=1))
        record(store, batch, page_result(2, 1, PAGE1, path="s2.pdf", statuses={"B2": AMBIGUOUS}))
        with store.reading() as conn:
            ids = {q: conn.execute(sa.select(answers.c.id).join(responses, responses.c.id == answers.c.response_id)
                                   .where(responses.c.serial == serial, answers.c.question == q)).scalar()
                   for serial, q in ((1, "B1"), (1, "A1"), (2, "B2"))}
            response_id, page_id = conn.execute(sa.select(responses.c.id, pages.c.id).join(
                answers, answers.c.response_id == responses.c.id).join(pages, pages.c.id == answers.c.source_page_id)
                .where(responses.c.serial == 1).limit(1)).one()
        comment_id = store.writing(lambda conn: conn.execute(comments.insert().values(
            response_id=response_id, page_id=page_id, field="H3", inked=True, ink_mm2=40.0, x=10, y=200, w=190,
            h=20, crop_png=crop_png("Can bo huong dan tan tinh"), draft_text="Cán bộ hướng dẫn tận tình", draft_confidence=80.0,
            likely_correct=True, review_priority=1.0, status="pending", flags=json.dumps([]),
            updated_at=datetime.now(timezone.utc))).inserted_primary_key[0])
    app = create_app(db, uploads_dir=folder / "uploads", template_dir=repo_root / "form_templates", start_jobs=False)
    with live_server(app) as url:
        yield {"url": url, "app": app, "answers": ids, "comment": comment_id}


@pytest.fixture(scope="module")
def browser():
    with chromium_browser("review-keys", CHROMIUM, CHROMIUM_ARGS) as chromium:
        yield chromium


@pytest.fixture
def page(browser, server):
    with logged_in_page(browser, server["url"], "lan", PASSWORD) as opened:
        yield opened


def _shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _stored(server, answer_id):
    with server["app"].extensions["omr_store"].reading() as conn:
        return tuple(conn.execute(sa.select(answers.c.value, answers.c.status, answers.c.set_by)
                                  .where(answers.c.id == answer_id)).one())


def _open(page, server, path):
    page.goto(server["url"] + path)
    page.wait_for_selector("#image-state", state="hidden")  # the crop is on screen


def _focused(page) -> str:
    return page.evaluate("document.activeElement ? (document.activeElement.id || document.activeElement.name"
                         " || document.activeElement.tagName) : ''")


def test_arrows_move_the_caret_in_a_text_field_and_page_keys_go_next_and_previous_from_anywhere(page, server):
    """A trial: → / ← did nothing while a text field had focus (the date and the comment fields have it on
    opening), and Escape in the comment box did not leave it. The arrows are the caret's there; PageDown /
    PageUp go next / previous from anywhere; Escape leaves the field, then the arrows are the page's."""
    date_id, mark_id = server["answers"]["A1"], server["answers"]["B1"]
    # 1. The date field (focused on opening): ← moves the caret and stays on the item; PageDown skips.
    date_url = f"/queue/item/answer/{date_id}"
    _open(page, server, date_url)
    assert _focused(page) == "date-input"
    before = _stored(server, date_id)
    page.fill("#date-input", "05/03/2026")
    page.keyboard.press("End")
    for key in ("ArrowLeft", "ArrowLeft", "ArrowRight"):
        page.keyboard.press(key)
    page.wait_for_timeout(500)  # time enough for a navigation to start
    assert page.url.endswith(date_url) and page.evaluate("document.getElementById('date-input').selectionStart") == 9
    assert page.input_value("#date-input") == "05/03/2026"
    assert "PgDn" in page.inner_text("#keys-hint") and "Esc" in page.inner_text("#keys-hint")
    _shot(page, "01-date-field-keys-hint")
    with page.expect_navigation():
        page.keyboard.press("PageDown")
    assert not page.url.endswith(date_url) and "/queue/item/" in page.url
    assert _stored(server, date_id) == before  # skipping saves nothing
    # 2. The reason field: PageUp goes back to the item before.
    page.wait_for_selector("#item-form")
    page.focus("input[name=reason]")
    page.keyboard.type("xem lại")
    with page.expect_navigation():
        page.keyboard.press("PageUp")
    assert page.url.endswith(date_url)
    # 3. The comment box (focused on opening): Escape leaves it without leaving the page; then → skips.
    comment_url = f"/queue/item/comment/{server['comment']}"
    _open(page, server, comment_url)
    assert _focused(page) == "comment-text"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Escape")
    page.wait_for_timeout(500)
    assert page.url.endswith(comment_url) and _focused(page) == "BODY"
    assert page.input_value("#comment-text") == "Cán bộ hướng dẫn tận tình"
    with page.expect_navigation():
        page.keyboard.press("ArrowRight")
    assert not page.url.endswith(comment_url)
    # 4. The reason field of a mark item: Escape leaves it; ← then goes back, as outside any field.
    mark_url = f"/queue/item/answer/{mark_id}"
    _open(page, server, mark_url)
    page.focus("input[name=reason]")
    page.keyboard.press("Escape")
    assert _focused(page) == "BODY" and page.url.endswith(mark_url)
    with page.expect_navigation():
        page.keyboard.press("ArrowLeft")
    assert not page.url.endswith(mark_url)
    # 5. The whole-page view: Escape goes back to the item.
    _open(page, server, mark_url)
    with page.expect_navigation():
        page.click("#crop")
    with page.expect_navigation():
        page.keyboard.press("Escape")
    assert page.url.endswith(mark_url)
    # The queue page's help names the keys.
    page.goto(server["url"] + "/queue")
    assert "PgDn" in page.inner_text("#key-nav") and "Esc" in page.inner_text("#key-escape")
    _shot(page, "02-queue-help")


def test_a_picture_that_fails_to_load_is_a_message_in_its_place_and_nothing_is_saved(page, server):
    """A trial saw the browser's broken-image icon above the red «Không tải được ảnh…» box. The picture is
    replaced by a Vietnamese message; the rule stays: no decision before the reviewer ticks that they decide
    without it."""
    mark_id = server["answers"]["B2"]
    url = f"/queue/item/answer/{mark_id}"
    page.route("**/img/**", lambda route: route.abort())
    try:
        page.goto(server["url"] + url)
        page.wait_for_selector("#image-failed", state="visible")
        note = page.wait_for_selector(".image-missing", state="visible")
        assert note.inner_text() == "Không tải được ảnh câu B2 trên bản quét."  # the box under it says what to do
        assert page.is_hidden("#crop")  # no broken-image icon
        box = page.locator("#image-failed").bounding_box()
        assert note.bounding_box()["y"] < box["y"]  # the message stands where the picture was, above the box
        before = _stored(server, mark_id)
        option = page.locator("button.option").first.get_attribute("data-key")
        for key in ("Enter", option):
            page.keyboard.press(key)
        page.wait_for_timeout(700)  # time enough for a form to be sent
        assert page.url.endswith(url) and _stored(server, mark_id) == before
        _shot(page, "03-picture-failed-message")
        # The whole-page view too: a message, not an icon.
        page.goto(server["url"] + f"/queue/item/answer/{mark_id}")
        page.wait_for_selector("#image-failed", state="visible")
        page.goto(server["url"] + page.get_attribute("a:has(#crop)", "href"))
        note = page.wait_for_selector(".image-missing", state="visible")
        assert note.inner_text().startswith("Không tải được ảnh cả trang quét") and "(F5)" in note.inner_text()
        assert page.is_hidden("img.page-full")
        _shot(page, "04-whole-page-failed-message")
    finally:
        page.unroute("**/img/**")
