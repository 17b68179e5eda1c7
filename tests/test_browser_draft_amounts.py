"""The number parts of a handwriting draft on the reviewer's screen, in headless Chromium (hhand).

A draft «Bị đòi tiền bồi dưỡng 2000 đồng» under a crop that says «200.000 đồng»: the reviewer is told to
compare the numbers with the image, the amount the engine was unsure of is marked apart, and the draft is
not «có vẻ đọc đúng». A draft without numbers shows no such note. Screenshots go to
outputs/test-screenshots/draft-amounts/ for a person to look at.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import sqlalchemy as sa
from db_fixtures import PAGE2, page_result, record
from PIL import Image
from web_helpers import (CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, chromium_browser,
                         crop_png, live_server, logged_in_page, require_chromium)

from omr.data import users
from omr.data.schema import comments
from omr.data.store import open_store
from omr.forms import synthetic_handwriting as hand
from omr.scan.comment_model import NUMBER_CHECK, NUMBER_UNSURE, CommentRead, Word

SHOTS = SCREENSHOTS / "draft-amounts"
PASSWORD = "lan-kiem-tra-so-tien"
NOTE = "hãy so từng chữ số với ảnh"

playwright_api = require_chromium()


def _handwritten_png(text: str) -> bytes:
    image = hand.bare_line(text, np.random.default_rng(3))
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory, repo_root):
    from omr.web import create_app

    folder = tmp_path_factory.mktemp("draft-amounts")
    db = str(folder / "omr.sqlite")
    draft = [("Bị", 100.0, 0, 0), ("đòi", 100.0, 0, 0), ("tiền", 99.0, 0, 0), ("bồi", 96.0, 0, 0),
             ("dưỡng", 99.0, 0, 0), ("2000", 97.0, 0, NUMBER_UNSURE), ("đồng", 99.0, 0, NUMBER_UNSURE),
             ("ngày", 100.0, 1, 0), ("12/3", 100.0, 1, NUMBER_CHECK)]
    with open_store(db) as store:
        users.add_user(store, "lan", PASSWORD, "reviewer")
        batch = store.ensure_batch("dot-so-tien")
        amount = page_result(2, 2, PAGE2, path="so-tien.pdf")
        amount.comments = [CommentRead(
            "H3", True, 150.0, (20.0, 200.0, 170.0, 30.0),
            crop_png=_handwritten_png("Bị đòi tiền bồi dưỡng 200.000 đồng ngày 12/3"),
            draft_text="Bị đòi tiền bồi dưỡng 2000 đồng\nngày 12/3", draft_confidence=98.0,
            words=[Word(*w) for w in draft])]
        record(store, batch, amount)
        plain = page_result(3, 2, PAGE2, path="khong-so.pdf")
        plain.comments = [CommentRead("H3", True, 120.0, (20.0, 200.0, 170.0, 30.0),
                                      crop_png=crop_png("Can bo nhiet tinh"), draft_text="Cán bộ nhiệt tình",
                                      draft_confidence=99.0, likely_correct=True,
                                      words=[Word("Cán", 99.0, 0), Word("bộ", 99.0, 0), Word("nhiệt", 99.0, 0),
                                             Word("tình", 99.0, 0)])]
        record(store, batch, plain)
        with store.reading() as conn:
            amount_id, plain_id = conn.execute(sa.select(comments.c.id).where(comments.c.field == "H3")
                                               .order_by(comments.c.id)).scalars().all()
    app = create_app(db, uploads_dir=folder / "uploads", template_dir=repo_root / "form_templates", start_jobs=False)
    with live_server(app) as url:
        yield {"url": url, "amount": amount_id, "plain": plain_id}


@pytest.fixture(scope="module")
def browser():
    with chromium_browser("draft-amounts", CHROMIUM, CHROMIUM_ARGS) as chromium:
        yield chromium


@pytest.fixture
def page(browser, server):
    with logged_in_page(browser, server["url"], "lan", PASSWORD) as opened:
        yield opened


def test_the_amount_of_a_draft_is_marked_for_the_reviewer_to_check(page, server):
    page.goto(f"{server['url']}/queue/item/comment/{server['amount']}")
    page.wait_for_selector("#image-state", state="hidden")
    page.screenshot(path=str(SHOTS / "amount.png"), full_page=True)
    note = page.locator("#draft-numbers")
    assert note.is_visible() and NOTE in note.inner_text()
    assert page.locator("#draft-numbers mark.number").all_inner_texts() == ["2000 đồng", "12/3"]
    unsure = page.locator("#draft-numbers mark.number-unsure")
    assert unsure.all_inner_texts() == ["2000 đồng"] and "chưa chắc" in note.inner_text()
    # Marked so that it stands out: a red border, not the plain mark's blue.
    assert unsure.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(179, 38, 30)"
    assert "có vẻ đọc đúng" not in page.content()


def test_a_draft_without_numbers_has_no_number_note(page, server):
    page.goto(f"{server['url']}/queue/item/comment/{server['plain']}")
    page.wait_for_selector("#image-state", state="hidden")
    page.screenshot(path=str(SHOTS / "plain.png"), full_page=True)
    assert page.locator("#draft-numbers").count() == 0 and NOTE not in page.content()
