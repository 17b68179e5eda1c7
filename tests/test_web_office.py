"""The review app as an office uses it: comments on the history page, unit names, dd/mm/yyyy, Vietnam time."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, SQLITE_ONLY, page_result, record
from web_helpers import csrf_token, logged_in, review_app

from omr.data import users
from omr.data.schema import changes, comments, pages, upload_jobs
from omr.model import AMBIGUOUS
from omr.web.display import parse_day, unit_label, vn_date, vn_time

PASSWORDS = {"quan": "mat-khau-admin", "thu": "mat-khau-scanner", "lan": "mat-khau-lan"}
ROLES = {"quan": "admin", "thu": "scanner", "lan": "reviewer"}


# Argon2id at its smallest cost (db_fixtures.quick_hashes): these tests log in dozens of times.
pytestmark = pytest.mark.usefixtures("quick_hashes")


@pytest.fixture
def app(store_url, tmp_path, repo_root, catalogue):
    from omr.online.units import import_units

    def seed(store):
        import_units(store, repo_root / "examples" / "units" / "caolanh.csv")
        batch = store.ensure_batch("dot-dong-lenh")
        for serial, unit in ((1, "30001"), (2, "99999")):
            record(store, batch, page_result(serial, 1, PAGE1, path=f"s{serial}.pdf", statuses={"B1": AMBIGUOUS},
                                             unit=unit))
            record(store, batch, page_result(serial, 2, PAGE2, path=f"s{serial}.pdf", index=1, unit=unit))

    people = {name: (PASSWORDS[name], role) for name, role in ROLES.items()}
    with review_app(store_url, tmp_path, repo_root, catalogue, people, seed) as application:
        yield application


def _token(client, path="/login") -> str:
    return csrf_token(client, path)


def login(app, name):
    return logged_in(app, name, PASSWORDS[name])


def _store(app):
    return app.extensions["omr_store"]


def _text(response) -> str:
    return response.get_data(as_text=True)


def _response_id(app, serial=1) -> int:
    return next(r["id"] for r in _store(app).responses() if r["serial"] == serial)


@SQLITE_ONLY  # the page's text; no store SQL
def test_the_queue_page_lists_every_key_the_item_page_uses(app):
    queue = _text(login(app, "lan").get("/queue"))
    keys = queue[queue.index("Phím tắt"):]
    assert re.search(r'<li id="key-invalid"><kbd>Insert</kbd>: không hợp lệ', keys)
    for key in ("Enter", "Delete", "Backspace", "→", "←"):
        assert f"<kbd>{key}</kbd>" in keys


def test_the_sheet_history_shows_the_handwritten_comments(app):
    store = _store(app)
    response_id = _response_id(app)
    with store.reading() as conn:
        page_id = conn.execute(sa.select(pages.c.id).where(pages.c.serial == 1).limit(1)).scalar()
    flags = json.dumps([{"term": "nhũng nhiễu", "category": "nhũng nhiễu", "matched": "nhũng nhiễu", "start": 8, "end": 19,
                         "negated": False, "ambiguous": False}])

    def add(field, draft, status):
        return store.writing(lambda conn: conn.execute(comments.insert().values(
            response_id=response_id, page_id=page_id, field=field, inked=status != "blank", ink_mm2=40.0, x=10,
            y=200, w=190, h=20, crop_png=b"\x89PNG fake" if status != "blank" else None, draft_text=draft,
            draft_confidence=70.0, likely_correct=False, review_priority=1.0, status=status, flags=flags,
            updated_at=datetime.now(timezone.utc))).inserted_primary_key[0])

    comment_id = add("H3", "Cán bộ nhũng nhiễu <b>dân</b>", "pending")
    add("H4", None, "blank")
    page = _text(login(app, "lan").get(f"/responses/{response_id}"))
    table = page[page.index('id="comments"'):page.index("Lịch sử thay đổi")]
    assert "Cán bộ nhũng nhiễu &lt;b&gt;dân&lt;/b&gt;" in table and "bản nháp OCR, chưa duyệt" in table
    assert f"/img/comment/{comment_id}.png" in table and "nhũng nhiễu" in table and "chờ duyệt" in table
    assert "H4" not in table  # a blank box is no comment
    other = _text(login(app, "lan").get(f"/responses/{_response_id(app, 2)}"))
    assert "Phiếu này không có ý kiến viết tay" in other


def test_units_are_shown_with_their_names(app):
    admin = login(app, "quan")
    units_page = _text(admin.get("/admin/units"))
    assert "Phường Cao Lãnh" in units_page
    assert re.search(r"99999</td>\s*<td><em>chưa có trong danh mục", units_page)
    queue = _text(admin.get("/queue"))
    assert "30001 – Phường Cao Lãnh (1 mục)" in queue  # one item to review (B1 of sheet 1), as the queue counts
    history = _text(admin.get(f"/responses/{_response_id(app)}"))
    assert "đơn vị 30001 – Phường Cao Lãnh" in history
    item = _text(admin.get(admin.get("/queue/next").headers["Location"]))
    assert "– Phường Cao Lãnh" in item or "Đơn vị 99999" in item


def test_a_new_user_starts_with_the_least_role(app):
    admin = login(app, "quan")
    page = _text(admin.get("/admin/users"))
    select = page[page.index('<select name="role">'):]
    first = re.search(r'<option value="(\w+)"( selected)?>', select)
    assert first.group(1) == "reviewer" and first.group(2) == " selected"
    # A form sent without a role (an old page, a script) makes a reviewer too.
    admin.post("/admin/users", data={"action": "add", "name": "moi", "password": "mot-mat-khau-tam-thoi",
                                     "csrf_token": _token(admin, "/admin/users")})
    new = next(u for u in users.list_users(_store(app)) if u.name == "moi")
    assert new.role == "reviewer" and new.must_change_password


@pytest.mark.parametrize("typed,expected", [("15/09/2025", date(2025, 9, 15)), ("5/9/2025", date(2025, 9, 5)),
                                             ("05.09.2025", date(2025, 9, 5)), ("2025-09-15", date(2025, 9, 15)),
                                             ("", None)])
def test_days_are_typed_day_first(typed, expected):
    assert parse_day(typed) == expected


@pytest.mark.parametrize("typed", ["31/02/2025", "09/15/2025", "15-09", "hôm nay", "2025/09/15"])
def test_impossible_or_month_first_days_are_refused(typed):
    with pytest.raises(ValueError):
        parse_day(typed)


def test_the_upload_form_takes_dates_as_dd_mm_yyyy(app):
    scanner = login(app, "thu")
    page = _text(scanner.get("/batches"))
    assert 'type="date"' not in page and page.count('placeholder="ngày/tháng/năm"') == 2
    # A date as the placeholder (an example day, today) looks like a value already filled in.
    assert not re.search(r'placeholder="[^"]*\d+/\d+/\d{4}', page)
    refused = scanner.post("/batches", data={"name": "dot", "collected_from": "15/09/2025",
                                             "collected_to": "31/02/2025", "csrf_token": _token(scanner, "/batches")})
    assert refused.status_code == 400
    assert "Ngày 31/02/2025 không có trong lịch: tháng 2 năm 2025 chỉ có 28 ngày (ngày kết thúc thu)" in _text(refused)
    reversed_days = scanner.post("/batches", data={"name": "dot", "collected_from": "14/10/2025",
                                                   "collected_to": "15/09/2025",
                                                   "csrf_token": _token(scanner, "/batches")})
    assert "Ngày bắt đầu thu phải trước" in _text(reversed_days)


def test_batches_read_on_the_command_line_are_listed(app):
    scanner = login(app, "thu")
    page = _text(scanner.get("/batches"))
    table = page[page.index('id="cli-batches"'):]
    assert "dot-dong-lenh" in table
    reviewer_view = _text(login(app, "quan").get("/batches"))
    batch_id = next(b.id for b in _batch_rows(app) if b.name == "dot-dong-lenh")
    assert f'href="/queue?batch={batch_id}"' in reviewer_view


def _batch_rows(app):
    from omr.data.schema import batches

    with _store(app).reading() as conn:
        return conn.execute(sa.select(batches)).all()


def test_a_finished_job_counts_what_is_left_to_review_and_links_to_its_queue(app):
    store = _store(app)
    job_id = store.writing(lambda conn: conn.execute(upload_jobs.insert().values(
        batch_name="dot-dong-lenh", folder="job-x", files="[]", pages_total=4, status="done", error="",
        created_by="thu", created_at=datetime(2026, 3, 1, 17, 30, tzinfo=timezone.utc),
        finished_at=datetime(2026, 3, 1, 17, 45, tzinfo=timezone.utc), pages_at_start=0)).inserted_primary_key[0])
    admin = login(app, "quan")
    page = _text(admin.get(f"/batches/jobs/{job_id}"))
    batch_id = next(b.id for b in _batch_rows(app) if b.name == "dot-dong-lenh")
    assert re.search(r'id="to-review">2</strong> mục cần kiểm tra', page), page
    # The kinds, as the queue counts them (omr.data.review.open_items), and the progress page agrees.
    from omr.data import review

    waiting = review.open_items(store, review.QueueFilter(batch_id=batch_id))
    assert waiting.total == 2 and f'id="to-review-kinds">{waiting.text()}</span>' in page
    progress = _text(admin.get("/progress"))
    row = progress[progress.index('data-batch="dot-dong-lenh"'):]
    assert re.search(r'<td class="pending" title="[^"]+">2</td>', row[:row.index("</tr>")])
    assert f'href="/queue?batch={batch_id}"' in page
    # Uploaded 17:30 UTC on 1 March is 00:30 on 2 March in Vietnam.
    assert "Tải lên lúc 02/03/2026 00:30 (giờ Việt Nam)" in page and "đọc xong lúc 02/03/2026 00:45" in page
    # Following the link filters the queue to that batch.
    assert admin.get(f"/queue?batch={batch_id}").status_code == 200


def test_times_are_shown_in_vietnam_time(app):
    store = _store(app)
    response_id = _response_id(app)
    store.writing(lambda conn: conn.execute(changes.insert().values(
        who="lan", at=datetime(2026, 12, 31, 20, 5, 9, tzinfo=timezone.utc), entity="answer", entity_id=1,
        response_id=response_id, field="B1", old_value=json.dumps({"value": "2", "status": "ambiguous"}),
        new_value=json.dumps({"value": "3", "status": "ok"}), reason="")))
    page = _text(login(app, "lan").get(f"/responses/{response_id}"))
    assert "Thời điểm (giờ Việt Nam)" in page and "01/01/2027 03:05:09" in page and "UTC)" not in page
    assert vn_time(datetime(2026, 6, 30, 17, 0)) == "01/07/2026 00:00"  # naive = UTC, as stored
    assert vn_date("2026-03-05") == "05/03/2026" and vn_date(None) == ""
    assert unit_label("030001", {"30001": "Phường Cao Lãnh"}) == "030001 – Phường Cao Lãnh"


@SQLITE_ONLY  # static files; no store SQL
def test_there_is_a_favicon(app):
    client = app.test_client()
    moved = client.get("/favicon.ico")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    assert 'rel="icon"' in _text(client.get("/login"))
