"""A fresh user's leftovers in the review app (task hleft), as a user meets them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from db_fixtures import page_result, record
from web_helpers import csrf_token, logged_in, review_app

from omr.data.schema import pages

PASSWORDS = {"lan": "lan-kiem-tra-phieu-dong-thap"}

pytestmark = pytest.mark.usefixtures("quick_hashes")


@pytest.fixture
def app(store_url, tmp_path, repo_root, catalogue):
    with review_app(store_url, tmp_path, repo_root, catalogue, {"lan": (PASSWORDS["lan"], "reviewer")}) as application:
        yield application


def _store(app):
    return app.extensions["omr_store"]


def _page_of_another_form(app, form_id, version, page) -> int:
    """A page set aside as of a form omr does not have, its boxes stored as read: its pages.id."""
    store = _store(app)
    batch = store.ensure_batch("dot-la")
    result = page_result(1, 1, {"A2": "1", "B1": "5"}, path="la.pdf", form_id=form_id, version=version, unit=None)
    result.page, result.serial, result.set_aside = page, None, "unknown_form"
    result.detail = "mẫu phiếu không có trong hệ thống"
    record(store, batch, result)
    with store.reading() as conn:
        return conn.execute(sa.select(sa.func.max(pages.c.id))).scalar()


@pytest.mark.parametrize("form, shown", [((None, None, None), "mẫu phiếu không rõ tên"),
                                         (("phieu-cu", 3, 1), "mẫu phiếu phieu-cu phiên bản 3 trang 1")])
def test_assigning_a_page_of_an_unknown_form_says_so_in_vietnamese(app, form, shown):
    page_id = _page_of_another_form(app, *form)
    client = logged_in(app, "lan", PASSWORDS["lan"])
    url = f"/queue/item/page/{page_id}"
    client.get(url)
    refused = client.post(url, data={"action": "assign", "form": "motcua-2026@1", "page": "1", "serial": "12",
                                     "unit": "", "image_shown": "1", "csrf_token": csrf_token(client, url)})
    html = refused.get_data(as_text=True)
    errors = " ".join(re.findall(r'class="flash error"[^>]*>([^<]*)<', html))
    assert refused.status_code == 409
    assert f"Trang này là của {shown}, không có trong hệ thống" in errors, errors
    assert "None" not in errors
