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


# --- 7. the web app's upload reader uses the cores ------------------------------------------------------

GIB = 1024 ** 3


@pytest.mark.parametrize("cpus, memory, workers", [
    (2, 8 * GIB, 2),  # the 2-core office PC: both cores read
    (16, 8 * GIB, 2),  # bounded: the parent stores the pages, people review on the same machine
    (1, 8 * GIB, 1),
    (2, 300 * 1024 ** 2, 1),  # 300 MB free: one reader (~200 MB) beside the server
    (2, 650 * 1024 ** 2, 2),
    (2, 100 * 1024 ** 2, 1),  # never none
    (2, None, 2),  # memory unknown (no /proc/meminfo): the cores decide
])
def test_the_default_number_of_page_workers(cpus, memory, workers):
    from omr.scan.page_workers import default_workers

    assert default_workers(memory, cpus) == workers


def _reader_workers(app) -> int:
    """Page workers of the app's upload reader: its own thread (SQLite) or its job queue's reader (PostgreSQL)."""
    runner = app.extensions["omr_jobs"]
    return runner.reader.workers if hasattr(runner, "reader") else runner.workers


def test_the_web_app_reads_uploads_with_a_worker_per_core_by_default(store_url, tmp_path, repo_root, catalogue,
                                                                     monkeypatch):
    import os

    from omr.scan import page_workers
    from omr.web import create_app

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(page_workers, "available_memory_bytes", lambda: 4 * GIB)
    app = create_app(store_url, uploads_dir=tmp_path / "up", template_dir=repo_root / "form_templates",
                     start_jobs=False, catalogue=catalogue)
    try:
        assert _reader_workers(app) == 2
    finally:
        app.extensions["omr_jobs"].stop()
        app.extensions["omr_store"].close()
    named = create_app(store_url, uploads_dir=tmp_path / "up", template_dir=repo_root / "form_templates",
                       start_jobs=False, catalogue=catalogue, scan_workers=1)
    try:
        assert _reader_workers(named) == 1  # --workers 1 as asked
    finally:
        named.extensions["omr_jobs"].stop()
        named.extensions["omr_store"].close()


def test_review_serve_and_scan_leave_the_default_to_the_machine():
    from omr.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["review", "serve"]).workers is None
    assert parser.parse_args(["scan", "x.pdf"]).workers is None
    assert parser.parse_args(["review", "serve", "--workers", "1"]).workers == 1
