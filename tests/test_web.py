"""The review app through Flask's test client: roles, CSRF, escaping, uploads, the queue, races."""

from __future__ import annotations

import html
import json
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, SQLITE_ONLY, page_result, record
from web_helpers import csrf_token, logged_in, review_app

from omr import tuning as T
from omr.data import review, users
from omr.data.schema import (answers, batches, changes, claims, comments, pages, response_pages, responses, source_files,
                             upload_jobs)
from omr.data.store import open_store
from omr.errors import OmrError
from omr.model import AMBIGUOUS, NEEDS_REVIEW
from omr.scan.batch import run_scan
from omr.web import create_app

PASSWORDS = {"quan": "mat-khau-admin", "thu": "mat-khau-scanner", "lan": "mat-khau-lan", "minh": "mat-khau-minh"}
ROLES = {"quan": "admin", "thu": "scanner", "lan": "reviewer", "minh": "reviewer"}
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


# Argon2id at its smallest cost (db_fixtures.quick_hashes): these tests log in dozens of times.
pytestmark = pytest.mark.usefixtures("quick_hashes")


@pytest.fixture
def app(store_url, tmp_path, repo_root, catalogue):
    def seed(store):
        batch = store.ensure_batch("dot-web")
        for serial in (1, 2):
            record(store, batch, page_result(serial, 1, PAGE1, path=f"s{serial}.pdf",
                                             statuses={"B1": AMBIGUOUS}))
            record(store, batch, page_result(serial, 2, PAGE2, path=f"s{serial}.pdf", index=1))

    people = {name: (PASSWORDS[name], role) for name, role in ROLES.items()}
    with review_app(store_url, tmp_path, repo_root, catalogue, people, seed) as application:
        yield application


def _token(client, path="/login") -> str:
    return csrf_token(client, path)


def login(app, name):
    return logged_in(app, name, PASSWORDS[name])


def _start_queue(client, **flt):
    """The reviewer presses "Bắt đầu kiểm tra" with this filter (saved by a POST with its token)."""
    started = client.post("/queue", data={**flt, "csrf_token": _token(client, "/queue")})
    assert started.status_code == 303 and started.headers["Location"].endswith("/queue/next")


def _store(app):
    return app.extensions["omr_store"]


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_pages_need_a_login_and_the_right_role(app):
    anonymous = app.test_client()
    assert anonymous.get("/queue").headers["Location"].startswith("/login")
    wrong = anonymous.post("/login", data={"name": "lan", "password": "sai-mat-khau", "csrf_token": _token(anonymous)})
    assert wrong.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in _text(wrong)

    reviewer = login(app, "lan")
    for path in ("/admin/users", "/admin/units", "/admin/export.csv", "/batches"):
        refused = reviewer.get(path)
        assert refused.status_code == 403 and "không được phép" in _text(refused), path
    assert reviewer.get("/queue").status_code == 200

    scanner = login(app, "thu")
    assert scanner.get("/queue").status_code == 403
    assert scanner.get("/batches").status_code == 200

    admin = login(app, "quan")
    for path in ("/admin/users", "/admin/units", "/queue", "/batches", "/progress"):
        assert admin.get(path).status_code == 200, path
    # A reviewer cannot make themselves admin through the users form either.
    sneaky = reviewer.post("/admin/users", data={"name": "lan2", "password": "x" * 10, "role": "admin",
                                                "csrf_token": _token(reviewer, "/queue")})
    assert sneaky.status_code == 403
    assert [u.name for u in users.list_users(_store(app))] == sorted(PASSWORDS)


def test_a_write_without_csrf_token_is_refused(app):
    client = login(app, "lan")
    item_url = client.get("/queue/next").headers["Location"]
    page = _text(client.get(item_url))
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    refused = client.post(item_url, data={"value": "3", "version": version})
    assert refused.status_code == 400 and "CSRF" in _text(refused)
    forged = client.post(item_url, data={"value": "3", "version": version, "csrf_token": "bogus"})
    assert forged.status_code == 400
    key = "answer:" + item_url.rsplit("/", 1)[1]
    assert review.load_item(_store(app), key).data["set_by"] == "machine"
    # With its token the same write goes through.
    accepted = client.post(item_url, data={"image_shown": "1",
                                           "value": "3", "version": version, "csrf_token": _token(client, item_url)})
    assert accepted.status_code == 303
    assert review.load_item(_store(app), key).data["value"] == "3"


def _add_comment(app, draft, field="H3"):
    store = _store(app)
    response_id = next(r["id"] for r in store.responses() if r["serial"] == 1)
    with store.reading() as conn:
        page_id = conn.execute(sa.select(pages.c.id).where(pages.c.serial == 1).limit(1)).scalar()
    return store.writing(lambda conn: conn.execute(comments.insert().values(
        response_id=response_id, page_id=page_id, field=field, inked=True, ink_mm2=40.0, x=10, y=200, w=190,
        h=20, crop_png=None, draft_text=draft, draft_confidence=30.0, likely_correct=False, review_priority=1.0,
        status="pending", flags="[]", updated_at=datetime.now(timezone.utc))).inserted_primary_key[0])


def test_html_in_a_comment_is_shown_as_text(app):
    comment_id = _add_comment(app, XSS)
    client = login(app, "lan")
    item_url = f"/queue/item/comment/{comment_id}"
    page = client.get(item_url)
    html = _text(page)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    version = re.search(r'name="version" value="([^"]*)"', html).group(1)
    saved = client.post(item_url, data={"image_shown": "1", "text": XSS + " nhũng nhiễu", "version": version,
                                        "reason": "<b>đậm</b>", "csrf_token": _token(client, item_url)})
    assert saved.status_code == 303
    response_id = next(r["id"] for r in _store(app).responses() if r["serial"] == 1)
    # An inked comment is never saved as empty.
    comment_two = _add_comment(app, "", field="H4")
    empty = client.post(f"/queue/item/comment/{comment_two}", data={"image_shown": "1",
        "text": "  ", "version": re.search(r'name="version" value="([^"]*)"',
                                            _text(client.get(f"/queue/item/comment/{comment_two}"))).group(1),
        "csrf_token": _token(client, "/queue")})
    assert empty.status_code == 409 and "không đọc được" in _text(empty)
    history = _text(client.get(f"/responses/{response_id}"))
    assert "<script>alert" not in history and "&lt;script&gt;" in history and "&lt;b&gt;đậm&lt;/b&gt;" in history


def test_handwriting_outside_every_box_and_frame_is_named_for_the_reviewer(app):
    """A comment of handwriting found outside the template's boxes and frames (omr.scan.page) is titled as
    such in the review, not by its technical field name; an ordinary comment keeps «Ý kiến H3»."""
    stray = _add_comment(app, "Phải đi lại nhiều lần", field="ngoai_o_khung_1")
    ordinary = _add_comment(app, "", field="H3")
    client = login(app, "lan")
    html = _text(client.get(f"/queue/item/comment/{stray}"))
    assert "Có chữ viết ngoài các ô/khung của mẫu phiếu" in html and "ngoai_o_khung_1</h1>" not in html
    assert "Ý kiến H3" in _text(client.get(f"/queue/item/comment/{ordinary}"))


def test_a_flag_the_reviewer_removes_is_said_and_shown_in_the_history(app):
    from omr.text.lexicon import find_terms, flags_json

    draft = "Phai di lai nhieulan moi xong ho so."
    comment_id = _add_comment(app, draft, field="H4")
    _store(app).writing(lambda conn: conn.execute(comments.update().where(comments.c.id == comment_id).values(
        flags=flags_json(find_terms(draft, source="draft")))))
    client = login(app, "lan")
    item_url = f"/queue/item/comment/{comment_id}"
    version = re.search(r'name="version" value="([^"]*)"', _text(client.get(item_url))).group(1)
    saved = client.post(item_url, data={"image_shown": "1", "text": "Cán bộ tận tình", "version": version,
                                        "csrf_token": _token(client, item_url)}, follow_redirects=True)
    assert "không còn dấu hiệu «đi lại nhiều lần»" in _text(saved)
    response_id = next(r["id"] for r in _store(app).responses() if r["serial"] == 1)
    history = _text(client.get(f"/responses/{response_id}"))
    assert "(dấu hiệu: đi lại nhiều lần)" in history and "Cán bộ tận tình (không có dấu hiệu)" in history


@SQLITE_ONLY  # paths and names from the client; no store SQL
def test_no_path_from_the_client_reaches_the_disk(app, tmp_path, office_batch):
    client = login(app, "lan")
    for path in ("/img/page/..%2F..%2F..%2Fetc%2Fpasswd.png", "/img/page/-1.png", "/static/../../omr/store.py",
                 "/static/..%2F..%2Fstore.py", "/img/comment/abc.png"):
        assert client.get(path).status_code == 404, path
    assert client.get("/pages/1?back=//evil.example/x").status_code == 200
    assert "//evil.example" not in _text(client.get("/pages/1?back=//evil.example/x"))
    # After login, "next" only goes to a path of this site.
    fresh = app.test_client()
    after = fresh.post("/login?next=//evil.example/", data={"name": "lan", "password": PASSWORDS["lan"],
                                                            "csrf_token": _token(fresh)})
    assert after.headers["Location"] == "/"
    # An upload's name is shown, never used as a path.
    scanner = login(app, "thu")
    pdf, _, _ = office_batch
    with open(pdf, "rb") as handle:
        response = scanner.post("/batches", data={
            "name": "dot-ten-la", "csrf_token": _token(scanner, "/batches"),
            "files": [(handle, "../../../../tmp/evil.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 303
    job = _store(app).reading
    with job() as conn:
        row = conn.execute(sa.select(upload_jobs)).mappings().one()
    folder = Path(row["folder"])
    assert folder.parent == (tmp_path / "uploads").resolve()
    assert [p.name for p in folder.iterdir()] == ["001.pdf"]
    assert "evil.pdf" in row["files"] and not Path("/tmp/evil.pdf").exists()


@SQLITE_ONLY  # refused before anything is stored
def test_an_upload_that_is_not_a_scan_is_refused_cleanly(app, tmp_path):
    client = login(app, "thu")
    not_scan = tmp_path / "bao-cao.pdf"
    not_scan.write_text("Đây là văn bản, không phải bản quét", encoding="utf-8")
    broken = tmp_path / "hong.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    with open(not_scan, "rb") as a, open(broken, "rb") as b:
        response = client.post("/batches", data={
            "name": "dot-loi", "csrf_token": _token(client, "/batches"),
            "files": [(a, "bao-cao.pdf"), (b, "hỏng.pdf")]}, content_type="multipart/form-data")
    html = _text(response)
    assert response.status_code == 400
    assert "Tệp «bao-cao.pdf» bị từ chối: không phải bản quét: nội dung là văn bản thuần (text); chỉ nhận PDF" in html
    assert "Tệp «hỏng.pdf» bị từ chối" in html and "hỏng" in html and "Traceback" not in html
    with _store(app).reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(upload_jobs)).scalar() == 0
    uploads = tmp_path / "uploads"
    assert list((uploads / ".incoming").iterdir()) == []
    assert not [p for p in uploads.iterdir() if p.name.startswith("job-")]


def _wait_done(store, job_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.reading() as conn:
            status = conn.execute(sa.select(upload_jobs.c.status).where(upload_jobs.c.id == job_id)).scalar()
        if status in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError("upload job did not finish")


@SQLITE_ONLY  # the job page; skipping read pages: SQL tested on both in test_two_page_images
def test_the_same_file_uploaded_again_says_its_pages_were_read_before(app, office_batch, repo_root):
    from omr.web.jobs import read_taken_job, take_job

    pdf, _, summary = office_batch
    client = login(app, "thu")
    job_ids = []
    for _ in range(2):
        with open(pdf, "rb") as handle:
            response = client.post("/batches", data={
                "name": "dot-lap", "csrf_token": _token(client, "/batches"), "files": [(handle, "quét 1.pdf")]},
                content_type="multipart/form-data")
        assert response.status_code == 303
        job_ids.append(int(response.headers["Location"].rsplit("/", 1)[1]))
        job = take_job(_store(app), job_ids[-1])  # read now, as the background reader would
        read_taken_job(_store(app), job, Path(job["folder"]), str(repo_root / "form_templates"))
    first, again = (_text(client.get(f"/batches/jobs/{i}")) for i in job_ids)
    assert "đã xong" in again and 'id="pages-skipped"' not in first
    assert f"<strong>{summary.pages}</strong> trang đã đọc trước đó, bỏ qua" in again


def test_an_uploaded_file_is_hashed_once_when_accepted_not_again_to_be_read(app, office_batch, repo_root,
                                                                           monkeypatch):
    """Issue #18: the reader does not read a whole upload again to hash it (hashed as it was accepted);
    its pages are stored under that hash, so the job's progress counts them."""
    from omr.scan import batch
    from omr.web.jobs import job_status, read_taken_job, take_job

    hashed_again = []
    real = batch.file_sha256
    monkeypatch.setattr(batch, "file_sha256", lambda path: hashed_again.append(path) or real(path))
    pdf, _, summary = office_batch
    client = login(app, "thu")
    with open(pdf, "rb") as handle:
        response = client.post("/batches", data={
            "name": "dot-bam", "csrf_token": _token(client, "/batches"), "files": [(handle, "quét 1.pdf")]},
            content_type="multipart/form-data")
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    job = take_job(_store(app), job_id)
    read_taken_job(_store(app), job, Path(job["folder"]), str(repo_root / "form_templates"))
    assert hashed_again == []
    status = job_status(_store(app), job_id)
    assert status["status"] == "done" and status["pages_done"] == summary.pages > 0


def test_an_upload_is_read_in_the_background_and_resumed_after_a_restart(app, store_url, tmp_path, repo_root,
                                                                         office_batch, monkeypatch):
    pdf, _, summary = office_batch
    # A transaction per page, so that the stop below falls after exactly five stored pages (#18 stores 16).
    monkeypatch.setattr(T, "STORE_PAGES_PER_TRANSACTION", 1)
    client = login(app, "thu")
    with open(pdf, "rb") as handle:
        response = client.post("/batches", data={
            "name": "dot-van-phong", "collected_from": "2026-09-15", "collected_to": "2026-10-14",
            "csrf_token": _token(client, "/batches"), "files": [(handle, "quét 1.pdf")]},
            content_type="multipart/form-data")
    assert response.status_code == 303
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    waiting = _text(client.get(f"/batches/jobs/{job_id}"))
    assert "đang chờ" in waiting and 'http-equiv="refresh"' in waiting
    # The server stops with the job part done: 5 pages stored, the job still marked running.
    store = _store(app)
    with store.reading() as conn:
        row = conn.execute(sa.select(upload_jobs)).mappings().one()
    stored_file = Path(row["folder"]) / json.loads(row["files"])[0]["stored"]

    class ServerStopped(Exception):
        pass

    seen = []

    def stop_after_five(_n):
        seen.append(1)
        if len(seen) == 5:
            raise ServerStopped

    with pytest.raises(ServerStopped):
        run_scan([str(stored_file)], store, "dot-van-phong", template_dir=str(repo_root / "form_templates"),
                 progress=stop_after_five)
    store.writing(lambda conn: conn.execute(upload_jobs.update().values(status="running")))
    restarted = create_app(store_url, uploads_dir=tmp_path / "uploads", template_dir=repo_root / "form_templates",
                           start_jobs=True)
    try:
        assert _wait_done(restarted.extensions["omr_store"], job_id) == "done"
    finally:
        restarted.extensions["omr_jobs"].stop()
        restarted.extensions["omr_store"].close()
    done = _text(client.get(f"/batches/jobs/{job_id}"))
    assert "đã xong" in done and 'http-equiv="refresh"' not in done
    total = re.search(r'<span id="pages-done">(\d+)</span> / (\d+) trang', done)
    assert total.group(1) == total.group(2) == str(summary.pages)
    assert "trang trắng" in done  # the office batch's blank page, with its reason
    # Every page once: the 5 stored before the stop were skipped, not read twice.
    assert store.summary(store.ensure_batch("dot-van-phong"))["pages"] == summary.pages
    assert "trang/giây" in done
    with store.reading() as conn:
        assert conn.execute(sa.select(upload_jobs.c.pages_at_start)).scalar() == 5


def test_a_reviewer_clears_an_item_and_the_history_shows_it(app):
    client = login(app, "lan")
    item_url = client.get("/queue/next").headers["Location"]
    html = _text(client.get(item_url))
    assert "B1." in html and "không chắc chắn" in html and 'data-key="4"' in html
    version = re.search(r'name="version" value="([^"]*)"', html).group(1)
    after = client.post(item_url, data={"image_shown": "1", "value": "4", "version": version, "reason": "dấu mờ",
                                        "csrf_token": _token(client, item_url)})
    assert after.status_code == 303 and after.headers["Location"].endswith("/queue/next")
    # The unit filter counts what is left to review (1 mark), not the unit's 2 sheets.
    assert re.search(r'<option value="30001"[^>]*>[^<]*\(1 mục\)</option>', _text(client.get("/queue")))
    key = "answer:" + item_url.rsplit("/", 1)[1]
    item = review.load_item(_store(app), key)
    history = _text(client.get(f"/responses/{item.response_id}"))
    assert "lan" in history and "dấu mờ" in history and "4 – Hài lòng" in history
    assert re.search(r"<td>lan</td><td>Câu [A-Z]\d+</td>", history)  # the «Mục» column names the question
    assert "5 – Rất hài lòng (không chắc chắn)" in history
    # The decided answer opens again from the sheet's page (a slip fixed once the queue is empty); answers the
    # machine settled do not (they are not edited through a URL).
    links = re.findall(r'class="edit-answer" href="([^"]+)"', history)
    with _store(app).reading() as conn:
        rows = conn.execute(sa.select(answers.c.id, answers.c.set_by, answers.c.status)
                            .where(answers.c.response_id == item.response_id)).all()
    opened = {f"/queue/item/answer/{a}" for a, by, status in rows if by != "machine" or status in NEEDS_REVIEW}
    assert f"/queue/item/answer/{item_url.rsplit('/', 1)[1]}" in links and set(links) == opened
    assert len(links) < len(rows)  # the machine's sure reads: no link
    # Blank by key, then the queue is empty.
    next_url = client.get("/queue/next").headers["Location"]
    version = re.search(r'name="version" value="([^"]*)"', _text(client.get(next_url))).group(1)
    client.post(next_url, data={"image_shown": "1",
                                "action": "blank", "version": version, "csrf_token": _token(client, next_url)})
    assert "Đã hết mục cần kiểm tra" in _text(client.get("/queue/next", follow_redirects=True))
    progress = _text(login(app, "quan").get("/progress"))
    assert re.search(r'<td class="reviewed">2</td>', progress)
    # Two items a moment apart are no rate: "—", not thousands per hour.
    assert re.search(r'<td class="per-hour"><span title="cần ít nhất 10 phút làm việc">—</span></td>', progress)


def test_two_reviewers_racing_on_one_item(app):
    lan, minh = login(app, "lan"), login(app, "minh")
    lan_url = lan.get("/queue/next").headers["Location"]
    minh_url = minh.get("/queue/next").headers["Location"]
    assert lan_url != minh_url  # never the same item at once
    lan_html = _text(lan.get(lan_url))
    lan_version = re.search(r'name="version" value="([^"]*)"', lan_html).group(1)
    # minh opens lan's item directly: told who holds it; a save is refused.
    held = _text(minh.get(lan_url))
    assert "đang được lan kiểm tra" in held
    refused = minh.post(lan_url, data={"image_shown": "1",
                                       "value": "1", "version": lan_version, "csrf_token": _token(minh, lan_url)})
    assert refused.status_code == 409 and "đang được lan kiểm tra" in _text(refused)
    # lan's claim runs out (browser closed); minh takes the item, lan comes back and saves first.
    store = _store(app)
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    store.writing(lambda conn: conn.execute(claims.update().values(expires_at=past)))
    minh_html = _text(minh.get(lan_url))
    minh_version = re.search(r'name="version" value="([^"]*)"', minh_html).group(1)
    store.writing(lambda conn: conn.execute(claims.update().values(expires_at=past)))
    assert lan.post(lan_url, data={"image_shown": "1", "value": "2", "version": lan_version,
                                   "csrf_token": _token(lan, "/queue")}).status_code == 303
    stale = minh.post(lan_url, data={"image_shown": "1",
                                     "value": "5", "version": minh_version, "csrf_token": _token(minh, "/queue")})
    assert stale.status_code == 409 and "vừa được lan sửa" in _text(stale) and "chưa được lưu" in _text(stale)
    key = "answer:" + lan_url.rsplit("/", 1)[1]
    assert review.load_item(store, key).data["value"] == "2"


def _export_csv(client) -> str:
    """The CSV inside the web export's zip."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(client.get("/admin/export.csv?codes=1").data)) as bundle:
        return bundle.read("omr-export.csv").decode("utf-8")


def test_the_web_export_is_in_vietnamese_and_dated_in_vietnam(app):
    import csv
    import io
    import zipfile

    from omr.model import VN_TZ
    from omr.web.views import export_zip_name

    # 18:00 UTC on 5 March is already 6 March in Vietnam.
    assert export_zip_name("csv", datetime(2026, 3, 5, 18, 0, tzinfo=timezone.utc)) == "omr-export-csv-2026-03-06.zip"
    response = login(app, "quan").get("/admin/export.csv")
    assert datetime.now(VN_TZ).date().isoformat() in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as bundle:
        rows = list(csv.DictReader(io.StringIO(bundle.read("omr-export.csv").decode("utf-8-sig"))))
    assert rows and {row["Đủ trang"] for row in rows} <= {"đủ trang", "thiếu trang"}


@SQLITE_ONLY  # routing only
def test_pages_are_found_with_a_trailing_slash(app):
    admin = login(app, "quan")
    for path in ("/admin/templates/", "/admin/users/", "/batches/", "/queue/"):
        assert admin.get(path).status_code == 200, path


@SQLITE_ONLY  # refused before anything is stored
def test_a_word_file_for_a_blank_form_or_a_batch_says_how_to_make_a_pdf(app):
    import io

    admin = login(app, "quan")
    refused = admin.post("/admin/templates/blank", content_type="multipart/form-data", data={
        "csrf_token": _token(admin, "/admin/templates"), "blank": (io.BytesIO(b"PK\x03\x04 word"), "phieu.docx")})
    assert refused.status_code == 400
    text = _text(refused)
    assert "Tệp «phieu.docx» không phải phiếu trắng" in text and "«Lưu thành PDF»" in text
    scanner = login(app, "thu")
    batch = scanner.post("/batches", data={"name": "dot-word", "csrf_token": _token(scanner, "/batches"),
                                           "files": [(io.BytesIO(b"PK\x03\x04 word"), "phieu.docx")]},
                         content_type="multipart/form-data", follow_redirects=True)
    assert "«Lưu thành PDF»" in _text(batch)


def test_two_boxes_on_a_one_answer_question_say_a_number_key_chooses(app):
    from omr.model import MULTIPLE

    store = _store(app)
    record(store, store.ensure_batch("dot-web"), page_result(3, 1, dict(PAGE1, B1=["2", "4"]), path="s3.pdf",
                                                            statuses={"B1": MULTIPLE}))
    with store.reading() as conn:
        answer_id = conn.execute(sa.select(answers.c.id).where(answers.c.status == MULTIPLE)).scalar_one()
    html = _text(login(app, "lan").get(f"/queue/item/answer/{answer_id}"))
    # No value to accept with Enter: the page says which keys decide instead.
    assert 'id="accept"' not in html and 'id="choose-hint"' in html
    assert "Nhấn phím số của câu trả lời đúng" in html and "<kbd>1</kbd>" in html


def test_a_page_sent_whole_to_review_says_why_not_a_small_offset(app):
    """A page whose answers all went to review says the reason: "lệch 1,4 mm" only when the offset passed
    the bound; a page with a 0,5 mm residual went for its boxes not found, and never reads "lệch 0,5 mm"
    (the trial's phone photo, read on its top half)."""
    store = _store(app)
    batch = store.ensure_batch("dot-web")
    for serial, alignment in ((61, 0.5), (62, 1.4)):
        result = page_result(serial, 1, PAGE1, path=f"lech{serial}.jpg", statuses={q: AMBIGUOUS for q in PAGE1})
        result.alignment_mm, result.detail = alignment, "misaligned"
        record(store, batch, result)
    reviewer = login(app, "lan")
    shown = {}
    for serial in (61, 62):
        with store.reading() as conn:
            answer_id = conn.execute(sa.select(answers.c.id).join(responses, responses.c.id == answers.c.response_id)
                                     .where(responses.c.serial == serial, answers.c.question == "A2")).scalar_one()
        html = _text(reviewer.get(f"/queue/item/answer/{answer_id}"))
        shown[serial] = re.search(r'<span id="misaligned-why">([^<]*)</span>', html).group(1)
    assert "lệch" not in shown[61] and "Phần lớn các ô in sẵn không thấy" in shown[61], shown[61]
    assert shown[62].startswith("Trang bị lệch 1,4 mm (quá 1,0 mm cho phép)"), shown[62]
    assert all(text.endswith("mọi câu của trang được đưa đi kiểm tra.") for text in shown.values())


def test_the_export_follows_review_decisions(app):
    admin = login(app, "quan")
    before = _export_csv(admin)
    header = before.lstrip("\ufeff").splitlines()[0].split(",")
    column = header.index("B1_status")
    assert [line.split(",")[column] for line in before.splitlines()[1:]] == [AMBIGUOUS, AMBIGUOUS]
    reviewer = login(app, "lan")
    for _ in range(2):
        url = reviewer.get("/queue/next").headers["Location"]
        version = re.search(r'name="version" value="([^"]*)"', _text(reviewer.get(url))).group(1)
        reviewer.post(url, data={"image_shown": "1",
                                 "value": "3", "version": version, "csrf_token": _token(reviewer, url)})
    after = _export_csv(admin).splitlines()[1:]
    assert [line.split(",")[column] for line in after] == ["ok", "ok"]
    assert [line.split(",")[header.index("B1")] for line in after] == ["3", "3"]


def test_users_add_on_the_command_line(store_url, monkeypatch, capsys):
    import io

    from omr.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("mot-mat-khau-dai\n"))
    assert main(["users", "add", "hoa", "--role", "scanner", "--password-stdin", "--db", store_url]) == 0
    assert "Đã tạo tài khoản «hoa» (nhân viên quét)" in capsys.readouterr().out
    monkeypatch.setenv("OMR_PASSWORD", "ngan")
    assert main(["users", "add", "hai", "--db", store_url]) == 2
    assert "Mật khẩu phải có ít nhất 8 ký tự" in capsys.readouterr().err
    monkeypatch.setenv("OMR_PASSWORD", "mot-mat-khau-khac")
    assert main(["users", "add", "hoa", "--db", store_url]) == 2
    assert "Đã có người dùng «hoa»" in capsys.readouterr().err
    with open_store(store_url) as store:
        hoa = users.authenticate(store, "hoa", "mot-mat-khau-dai")
        assert hoa is not None and hoa.role == "scanner"
        assert users.authenticate(store, "hoa", "mot-mat-khau-khac") is None
        from omr.data.schema import users as users_table

        with store.reading() as conn:
            stored = conn.execute(sa.select(users_table.c.password_hash)).scalar()
        assert stored.startswith("$argon2id$") and "mot-mat-khau-dai" not in stored


def test_review_serve_starts_the_app(tmp_path, repo_root):
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = tmp_path / "omr.sqlite"
    open_store(str(db)).close()  # serve refuses a database that does not exist (a mistyped --db)
    server = subprocess.Popen(
        [sys.executable, "-m", "omr", "review", "serve", "--db", str(db), "--port", str(port),
         "--uploads", str(tmp_path / "uploads"), "--templates", str(repo_root / "form_templates")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=repo_root)
    try:
        banner = server.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in banner
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as page:
                    body = page.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        assert "Đăng nhập" in body and 'name="csrf_token"' in body
    finally:
        server.terminate()
        server.wait(10)


def test_each_option_has_its_own_key():
    from omr.forms.template import Option, Question
    from omr.web.views import option_keys

    scale = Question("B1", "", "scale", tuple(Option(c, c) for c in ("1", "2", "3", "4", "5", "KYK")))
    assert option_keys(scale) == {"1": "1", "2": "2", "3": "3", "4": "4", "5": "5", "KYK": "k"}
    clash = Question("X", "", "single", (Option("K", "a"), Option("KYK", "b"), Option("AB", "c")))
    keys = option_keys(clash)
    assert keys["K"] == "k" and keys["AB"] == "a" and len(set(keys.values())) == 3


def test_sheets_sharing_a_serial_are_decided_side_by_side(app):
    """Issue #14: a serial conflict reaches a person, who sees both sheets and keeps both with a new serial."""
    store = _store(app)
    batch = store.ensure_batch("dot-web-2")
    record(store, batch, page_result(1, 1, {**PAGE1, "B1": "1"}, path="copy.pdf", statuses={"B1": AMBIGUOUS}))
    record(store, batch, page_result(1, 2, {**PAGE2, "H1": "1"}, path="copy.pdf", index=1))
    ids = [r["id"] for r in store.responses() if r["serial"] == 1]
    assert len(ids) == 2
    client = login(app, "lan")
    queue = _text(client.get("/queue?kind=conflict"))
    assert re.search(r'id="count-conflict">1<', queue)
    _start_queue(client, kind="conflict")
    item_url = client.get("/queue/next").headers["Location"]
    assert item_url.endswith(f"/queue/item/response/{ids[0]}")
    html = _text(client.get(item_url))
    assert "2 tờ phiếu khác nhau cùng mang số 000001" in html
    assert all(f'id="sheet-{i}"' in html for i in ids) and html.count("/img/page/") == 4
    shown = re.search(r'name="shown" value="([^"]*)"', html).group(1)  # the sheets the page showed
    refused = client.post(item_url, data={"action": "both", "keep": str(ids[0]), "new_serial": "2", "shown": shown,
                                          "csrf_token": _token(client, item_url)})
    assert refused.status_code == 409 and "đã có phiếu khác dùng" in _text(refused)
    done = client.post(item_url, data={"action": "both", "keep": str(ids[0]), "new_serial": "42", "shown": shown,
                                       "csrf_token": _token(client, item_url)})
    assert done.status_code == 303
    serials = sorted(r["serial"] for r in store.responses())
    assert serials == [1, 2, 42]
    assert re.search(r'id="count-conflict">0<', _text(client.get("/queue")))


def test_four_sheets_sharing_a_serial_can_all_be_kept(app):
    """A fresh user's find: with 4 sheets of serial 000001 the page said «giữ cả hai» but offered only «keep
    one» / «keep none», so three real responses had to be dropped; the badge said «Hai tờ» and sheet 3's
    second page was labelled «Tờ 2, trang 2», sheet 4's only page «Tờ 1, trang 1». Every sheet is kept now, each extra one with its own new
    serial, each change audited."""
    store = _store(app)
    batch = store.ensure_batch("dot-web-4")
    record(store, batch, page_result(1, 1, {**PAGE1, "B1": "1"}, path="c1.pdf", statuses={"B1": AMBIGUOUS}))
    record(store, batch, page_result(1, 2, {**PAGE2, "H1": "1"}, path="c1.pdf", index=1))
    record(store, batch, page_result(1, 1, {**PAGE1, "B1": "3"}, path="c3.pdf", statuses={"B1": AMBIGUOUS}))
    record(store, batch, page_result(1, 2, {**PAGE2, "H1": "3"}, path="c3.pdf", index=1))
    record(store, batch, page_result(1, 1, {**PAGE1, "B1": "2"}, path="c2.pdf", statuses={"B1": AMBIGUOUS}))
    ids = sorted(r["id"] for r in store.responses() if r["serial"] == 1)
    assert len(ids) == 4
    client = login(app, "lan")
    _start_queue(client, kind="conflict")
    item_url = client.get("/queue/next").headers["Location"]
    html = _text(client.get(item_url))
    assert "4 tờ phiếu khác nhau cùng mang số 000001" in html and "Hai tờ" not in html
    assert "giữ cả hai" not in html and "Giữ cả 4 tờ" in html
    alts = re.findall(r'alt="(Tờ \d, trang \d)"', html)
    assert alts == ["Tờ 1, trang 1", "Tờ 1, trang 2", "Tờ 2, trang 1", "Tờ 2, trang 2", "Tờ 3, trang 1",
                    "Tờ 3, trang 2", "Tờ 4, trang 1"]
    shown = re.search(r'name="shown" value="([^"]*)"', html).group(1)
    fields = re.findall(r'name="(new_serial_\d+)"', html)
    assert len(fields) == 4
    keep = ids[1]
    data = {"action": "both", "keep": str(keep), "shown": shown, "csrf_token": _token(client, item_url)}
    # a sheet without its new serial, two alike, or one already used: nothing is written
    missing = client.post(item_url, data={**data, f"new_serial_{ids[0]}": "50", f"new_serial_{ids[2]}": "51"})
    assert missing.status_code == 409 and "cho mỗi tờ" in _text(missing)
    alike = {f"new_serial_{ids[0]}": "50", f"new_serial_{ids[2]}": "50", f"new_serial_{ids[3]}": "52"}
    refused = client.post(item_url, data={**data, **alike})
    assert refused.status_code == 409 and "khác nhau" in _text(refused)
    used = {f"new_serial_{ids[0]}": "50", f"new_serial_{ids[2]}": "2", f"new_serial_{ids[3]}": "52"}
    refused = client.post(item_url, data={**data, **used})
    assert refused.status_code == 409 and "000002 đã có phiếu khác dùng" in _text(refused)
    assert sorted(r["serial"] for r in store.responses()) == [1, 1, 1, 1, 2]
    # The form comes back with the reviewer's choice and typed serials, not «Tờ 1» and empty fields (hweb3).
    again = _text(refused)
    assert re.findall(r'name="keep" value="(\d+)" checked', again) == [str(keep)]
    for sheet_id, typed in used.items():
        assert re.search(rf'name="{sheet_id}"[^>]*value="{typed}"', again), sheet_id
    chosen = {f"new_serial_{ids[0]}": "50", f"new_serial_{ids[2]}": "51", f"new_serial_{ids[3]}": "52",
              f"new_serial_{keep}": "99"}  # the kept sheet's field is ignored
    done = client.post(item_url, data={**data, **chosen})
    assert done.status_code == 303
    by_id = {r["id"]: r for r in store.responses()}
    assert [by_id[i]["serial"] for i in ids] == [50, 1, 51, 52]
    assert not any("rejected" in (by_id[i]["flags"] or "") or "serial_conflict" in (by_id[i]["flags"] or "")
                   for i in ids)
    with store.reading() as conn:
        audited = conn.execute(sa.select(changes.c.entity_id, changes.c.who).where(
            changes.c.entity == "response", changes.c.field == "decision")).all()
    assert sorted(audited) == [(i, "lan") for i in ids]
    assert re.search(r'id="count-conflict">0<', _text(client.get("/queue")))
    # A page of a sheet given a new serial, opened as a queue item: the note names the serial it lands on.
    with store.reading() as conn:
        page_id = conn.execute(sa.select(response_pages.c.page_id).where(response_pages.c.response_id == ids[0])
                               .order_by(response_pages.c.page_id)).scalars().first()
    opened = client.get(f"/queue/item/page/{page_id}")
    assert opened.headers["Location"].endswith(f"/responses/{ids[0]}")
    landed = _text(client.get(opened.headers["Location"]))
    assert "của phiếu số 000050." in landed and "phiếu số 000001" not in landed
    # Its history names the decision in Vietnamese, not by the raw field name «decision».
    items = re.findall(r'<td>lan</td><td>([^<]*)</td>', landed)
    assert items and "Quyết định" in items and "decision" not in items


def test_a_sheet_scanned_after_the_page_was_opened_is_never_decided_unseen(app):
    """A reviewer opens a serial conflict of two sheets; meanwhile a batch read in the background adds a
    third sheet of that serial. "Keep sheet 1" must not reject the third, which the reviewer never saw
    (before, it was rejected: out of exports and reports)."""
    store = _store(app)
    batch = store.ensure_batch("dot-web-late")
    for n, path in enumerate(("a.pdf", "b.pdf")):
        record(store, batch, page_result(3, 1, {**PAGE1, "B1": str(n + 1)}, path=path))
        record(store, batch, page_result(3, 2, PAGE2, path=path, index=1))
    ids = [r["id"] for r in store.responses() if r["serial"] == 3]
    client = login(app, "lan")
    item_url = f"/queue/item/response/{ids[0]}"
    html = _text(client.get(item_url))
    assert "2 tờ phiếu khác nhau cùng mang số 000003" in html
    shown = re.search(r'name="shown" value="([^"]*)"', html).group(1)
    token = _token(client, item_url)
    record(store, batch, page_result(3, 1, {**PAGE1, "B1": "3"}, path="c.pdf"))  # scanned meanwhile
    refused = client.post(item_url, data={"action": "keep", "keep": str(ids[0]), "shown": shown, "csrf_token": token})
    assert refused.status_code == 409 and "Nhóm tờ phiếu đã thay đổi" in _text(refused)
    assert all("rejected" not in r["flags"] for r in store.responses() if r["serial"] == 3)
    # Seen again with the third sheet, the decision covers all three.
    html = _text(client.get(item_url))
    assert "3 tờ phiếu khác nhau cùng mang số 000003" in html
    shown = re.search(r'name="shown" value="([^"]*)"', html).group(1)
    done = client.post(item_url, data={"action": "keep", "keep": str(ids[0]), "shown": shown, "csrf_token": token})
    assert done.status_code == 303
    assert sorted(bool(r["flags"]) for r in store.responses() if r["serial"] == 3) == [False, True, True]


def test_an_incomplete_sheet_is_declared_lost_from_the_queue(app):
    store = _store(app)
    batch = store.ensure_batch("dot-web-3")
    record(store, batch, page_result(7, 1, PAGE1, path="half.pdf"))
    client = login(app, "lan")
    _start_queue(client, kind="incomplete")
    item_url = client.get("/queue/next").headers["Location"]
    html = _text(client.get(item_url))
    assert "Phiếu số 000007 thiếu trang 2" in html
    version = re.search(r'name="version" value="([^"]*)"', html).group(1)
    done = client.post(item_url, data={"action": "lost", "version": version, "reason": "tờ bị mất",
                                       "csrf_token": _token(client, item_url)})
    assert done.status_code == 303
    assert re.search(r'id="count-incomplete">0<', _text(client.get("/queue")))
    response_id = int(item_url.rsplit("/", 1)[1])
    page = _text(client.get(f"/responses/{response_id}"))
    assert "Phiếu thiếu trang 2" in page and "trang thiếu đã được xác nhận là mất" in page
    assert "tờ bị mất" in page  # the reason, in the history


def test_enter_never_accepts_a_doubtful_blank_and_delete_saves_it_once_the_picture_was_shown(app):
    """A doubtful read of nothing marked has no Enter button (a faint mark looks like nothing): the page
    asks for a number key or Delete. A save from a page that never showed the crop is refused whole."""
    store = _store(app)
    batch = store.ensure_batch("dot-web")
    record(store, batch, page_result(3, 1, {"A2": "1", "B1": None}, path="s3.pdf", statuses={"B1": AMBIGUOUS}))
    response_id = next(r["id"] for r in store.responses() if r["serial"] == 3)
    with store.reading() as conn:
        answer_id = conn.execute(sa.select(answers.c.id).where(answers.c.response_id == response_id,
                                                               answers.c.question == "B1")).scalar()
    client = login(app, "lan")
    url = f"/queue/item/answer/{answer_id}"
    page = _text(client.get(url))
    assert 'id="accept"' not in page and 'id="choose-hint"' in page
    assert "Phím Enter không chấp nhận «để trống»" in page and "<kbd>Delete</kbd>" in page
    assert 'name="image_shown"' in page and "Đang tải ảnh…" in page
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    unseen = client.post(url, data={"action": "blank", "version": version, "csrf_token": _token(client, url)})
    assert unseen.status_code == 409 and "ảnh của mục này chưa hiện xong" in _text(unseen)
    assert review.load_item(store, f"answer:{answer_id}").data["set_by"] == "machine"
    # The picture failed and the reviewer ticked that they decide without it: a chosen key saves, but
    # never the machine's read accepted unseen.
    failed = client.post(url, data={"image_shown": "failed-confirmed", "action": "accept", "version": version,
                                    "csrf_token": _token(client, url)})
    assert failed.status_code == 409 and review.load_item(store, f"answer:{answer_id}").data["set_by"] == "machine"
    saved = client.post(url, data={"image_shown": "1", "action": "blank", "version": version,
                                   "csrf_token": _token(client, url)})
    assert saved.status_code == 303
    item = review.load_item(store, f"answer:{answer_id}")
    assert item.data["value"] is None and item.data["set_by"] == "lan"


@SQLITE_ONLY  # the picture of a page; no store SQL
def test_a_page_from_a_thin_image_is_set_aside_and_its_picture_is_never_a_500(app, tmp_path, repo_root,
                                                                              monkeypatch):
    import cv2
    import numpy as np

    from omr.web import images

    thin = tmp_path / "soi-chi.png"
    cv2.imwrite(str(thin), np.full((1, 100_000), 255, np.uint8))
    report = run_scan([str(thin)], _store(app), "dot-mong", template_dir=str(repo_root / "form_templates"))
    assert report.set_aside and "quá dài và hẹp" in report.set_aside[0][3]
    with _store(app).reading() as conn:
        page_id = conn.execute(sa.select(sa.func.max(pages.c.id))).scalar()
    client = login(app, "lan")
    shown = client.get(f"/img/page/{page_id}.png")
    assert shown.status_code == 200 and shown.mimetype == "image/png"

    def broken(*args, **kwargs):
        raise cv2.error("OpenCV(4.x) resize.cpp:4065: error: (-215:Assertion failed) !dsize.empty()")

    monkeypatch.setattr(images, "whole_page", broken)
    still = client.get(f"/img/page/{page_id}.png")
    assert still.status_code == 200 and still.mimetype == "image/png"


def _upload_and_read(app, client, repo_root, path: Path, shown_name: str, batch: str) -> int:
    """Upload ``path`` as ``shown_name`` and read it now, as the background reader would; the job id."""
    from omr.web.jobs import read_taken_job, take_job

    with open(path, "rb") as handle:
        response = client.post("/batches", data={
            "name": batch, "csrf_token": _token(client, "/batches"), "files": [(handle, shown_name)]},
            content_type="multipart/form-data")
    assert response.status_code == 303, _text(response)
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    job = take_job(_store(app), job_id)
    read_taken_job(_store(app), job, Path(job["folder"]), str(repo_root / "form_templates"))
    return job_id


def test_an_unreadable_uploaded_page_is_named_as_uploaded_and_cannot_be_assigned(app, repo_root):
    from case_files import require_cases

    from omr.web import images

    case = require_cases() / "pdf-unloadable-page.pdf"
    scanner = login(app, "thu")
    job_id = _upload_and_read(app, scanner, repo_root, case, "phiếu tổ 3.pdf", "dot-hong")
    job_html = _text(scanner.get(f"/batches/jobs/{job_id}"))
    assert "<td>phiếu tổ 3.pdf</td><td>1</td>" in job_html and "001.pdf" not in job_html
    with _store(app).reading() as conn:
        page_id, stored_path = conn.execute(
            sa.select(pages.c.id, source_files.c.path).join(source_files, source_files.c.id == pages.c.source_file_id)
            .where(pages.c.set_aside == "unreadable")).one()
    assert Path(stored_path).name == "001.pdf"  # the stored name stays the data's trace

    client = login(app, "lan")
    url = f"/queue/item/page/{page_id}"
    html = _text(client.get(url))
    assert "Tệp «phiếu tổ 3.pdf», trang 1" in html
    assert "001.pdf" not in html and "job-" not in html
    # No picture: the page can only be rejected; assigning it is neither offered nor accepted.
    assert 'value="assign"' not in html and "Gán cho phiếu" not in html and 'id="reject"' in html
    refused = client.post(url, data={"action": "assign", "form": "demo@1", "page": "1", "serial": "7",
                                     "csrf_token": _token(client, url)})
    assert refused.status_code == 409
    assert "Không đọc được ảnh của trang này nên không thể gán cho phiếu nào" in _text(refused)
    assert review.load_item(_store(app), f"page:{page_id}").data["pending"]
    # The picture's place says which file, by the user's name.
    with pytest.raises(images.ImageMissing, match="Không đọc được ảnh trang 1 của tệp phiếu tổ 3.pdf"):
        images.whole_page(_store(app), page_id)
    rejected = client.post(url, data={"action": "reject", "csrf_token": _token(client, url)})
    assert rejected.status_code == 303


def test_a_readable_set_aside_page_still_offers_assigning(app):
    with _store(app).reading() as conn:
        batch_id = conn.execute(sa.select(sa.func.min(pages.c.batch_id))).scalar()
    store = _store(app)
    result = page_result(3, 1, PAGE1, path="/srv/uploads/job-0001/001.pdf")
    result.set_aside, result.detail = "qr_unreadable", "/srv/uploads/job-0001/001.pdf, trang 1: mã QR bị che"
    result.serial = None
    record(store, batch_id, result)
    with store.reading() as conn:
        page_id = conn.execute(sa.select(sa.func.max(pages.c.id))).scalar()
    html = _text(login(app, "lan").get(f"/queue/item/page/{page_id}"))
    assert 'value="assign"' in html and 'id="no-image"' not in html
    # A file read on the command line (no upload) is named by its own name; the path never shows.
    assert "Tệp «001.pdf», trang 1" in html and "/srv/uploads" not in html and "mã QR bị che" in html


def test_a_set_aside_detail_names_the_file_as_uploaded():
    from omr.web.display import page_detail

    stored = "/srv/omr/uploads/job-0007/001.pdf"
    detail = f"{stored}, trang 2: trang hỏng; xem thêm 001.pdf và 0001.pdf"
    assert page_detail(detail, stored, "tổ 3.pdf") == "trang hỏng; xem thêm tổ 3.pdf và 0001.pdf"
    assert page_detail(f"đọc lại {stored} sau", stored, "tổ 3.pdf") == "đọc lại tổ 3.pdf sau"
    assert page_detail(f"đọc lại {stored} sau") == "đọc lại 001.pdf sau"  # no upload: its own name


def test_two_boxes_really_ticked_are_recorded_invalid_never_as_a_skipped_question(app):
    """The respondent ticked 2 and 4 on a one-answer question: the reviewer records "Không hợp lệ
    (đánh nhiều ô)", audited like any correction; the export says so in words, not an empty cell."""
    import csv
    import io
    import zipfile

    from omr.model import INVALID_MULTIPLE, MULTIPLE

    store = _store(app)
    record(store, store.ensure_batch("dot-web"), page_result(3, 1, dict(PAGE1, B1=["2", "4"]), path="s3.pdf",
                                                            statuses={"B1": MULTIPLE}))
    with store.reading() as conn:
        answer_id = conn.execute(sa.select(answers.c.id).where(answers.c.status == MULTIPLE)).scalar_one()
    reviewer = login(app, "lan")
    url = f"/queue/item/answer/{answer_id}"
    page = _text(reviewer.get(url))
    assert re.search(r'<button[^>]*value="invalid"[^>]*id="invalid"', page) and "Không hợp lệ (đánh nhiều ô)" in page
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    saved = reviewer.post(url, data={"image_shown": "1",
                                     "action": "invalid", "version": version, "reason": "đánh cả ô 2 và ô 4",
                                     "csrf_token": _token(reviewer, url)})
    assert saved.status_code == 303
    item = review.load_item(store, f"answer:{answer_id}")
    assert (item.data["value"], item.data["status"], item.data["set_by"]) == (None, INVALID_MULTIPLE, "lan")
    assert not item.data["pending"]
    history = _text(reviewer.get(f"/responses/{item.response_id}"))
    assert "không hợp lệ (đánh nhiều ô)" in history and "đánh cả ô 2 và ô 4" in history
    # Said plainly: no value is not "(trống)" followed by a bracketed status in brackets.
    assert "(trống) (" not in history and "((" not in history and "))" not in history
    admin = login(app, "quan")
    codes = _export_csv(admin).lstrip("\ufeff").splitlines()
    header = codes[0].split(",")
    row = next(line.split(",") for line in codes[1:] if line.split(",")[header.index("serial")] == "000003")
    assert (row[header.index("B1")], row[header.index("B1_status")]) == ("", INVALID_MULTIPLE)
    with zipfile.ZipFile(io.BytesIO(admin.get("/admin/export.csv").data)) as bundle:
        rows = list(csv.reader(io.StringIO(bundle.read("omr-export.csv").decode("utf-8-sig"))))
    shown = [cell for r in rows[1:] for cell in r]
    # The answer cell says it as the answers' labels are written, the status column as the other statuses
    # ("hợp lệ", "để trống").
    assert shown.count("Không hợp lệ (đánh nhiều ô)") == 1 and shown.count("không hợp lệ (đánh nhiều ô)") == 1
    assert "hợp lệ" in shown
    # A question that is not one-answer cannot be recorded so.
    with store.reading() as conn:
        date_id = conn.execute(sa.select(answers.c.id).where(answers.c.question == "A1")).scalars().first()
    # (a date the machine doubted: one it read surely is not in the queue, and not written through its URL)
    store.writing(lambda conn: conn.execute(answers.update().where(answers.c.id == date_id).values(status=AMBIGUOUS)))
    date_url = f"/queue/item/answer/{date_id}"
    page = _text(reviewer.get(date_url))
    assert 'id="invalid"' not in page
    # The format hint is words, not an example day a reviewer could take for the value read.
    assert 'placeholder="ngày/tháng/năm"' in page and not re.search(r'placeholder="[^"]*\d+/\d+/\d{4}', page)
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    refused = _text(reviewer.post(date_url, data={"image_shown": "1", "action": "invalid", "version": version,
                                                  "csrf_token": _token(reviewer, date_url)}, follow_redirects=True))
    assert "Chỉ câu chọn một đáp án" in refused
    assert review.load_item(store, f"answer:{date_id}").data["status"] != INVALID_MULTIPLE
    # 31/02 is written the right way but is no day: the reviewer is told that, and their own claim on the
    # item is not shown as someone else's («Mục này đang được lan kiểm tra» to lan).
    page = _text(reviewer.get(date_url))
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    refused = reviewer.post(date_url, data={"image_shown": "1",
                                            "action": "save", "date": "31/02/2026", "version": version,
                                            "csrf_token": _token(reviewer, date_url)}, follow_redirects=True)
    text = _text(refused)
    assert "Ngày 31/02/2026 không có trong lịch: tháng 2 năm 2026 chỉ có 28 ngày" in text
    assert "không phải ngày dạng" not in text and "đang được lan" not in text and 'id="held"' not in text
    # Nothing typed has its own message (a trial saw «"«» không phải một ngày"»), and a value typed inside
    # quote marks is quoted once.
    for typed, said in (("", "Chưa nhập ngày: hãy gõ ngày ghi trên phiếu"), ("  ", "Chưa nhập ngày"),
                        ('"hôm qua"', "«hôm qua» không phải một ngày"), ("«mai»", "«mai» không phải một ngày")):
        page = _text(reviewer.get(date_url))
        version = re.search(r'name="version" value="([^"]*)"', page).group(1)
        text = html.unescape(_text(reviewer.post(
            date_url, data={"image_shown": "1", "action": "save", "date": typed, "version": version,
                            "csrf_token": _token(reviewer, date_url)}, follow_redirects=True)))
        assert said in text, (typed, text)
        assert "«»" not in text and "««" not in text and "»»" not in text and '«"' not in text
        assert review.load_item(store, f"answer:{date_id}").data["status"] == AMBIGUOUS


def test_a_possible_rescan_is_shown_beside_the_stored_sheet_and_kept_once(app):
    """#16: a sheet of a form without serials that looks like another scan of a stored one reaches a
    person side by side with it; keeping one leaves the sheet counted once."""
    from db_fixtures import with_ink

    store = _store(app)
    batch = store.ensure_batch("dot-web-dup")
    record(store, batch, with_ink(page_result(21, 1, PAGE1, path="first.pdf"), seed=5))
    record(store, batch, with_ink(page_result(22, 1, PAGE1, path="again.pdf"), seed=5, rescan=1))
    ids = {r["serial"]: r["id"] for r in store.responses()}
    client = login(app, "lan")
    assert re.search(r'id="count-duplicate">1<', _text(client.get("/queue?kind=duplicate")))
    _start_queue(client, kind="duplicate")
    item_url = client.get("/queue/next?kind=duplicate").headers["Location"]
    assert item_url.endswith(f"/queue/item/response/{ids[22]}")
    html = _text(client.get(item_url))
    assert "Có thể là bản quét lại của một tờ phiếu đã có" in html
    assert f'id="sheet-{ids[21]}"' in html and f'id="sheet-{ids[22]}"' in html
    shown = re.search(r'name="shown" value="([^"]*)"', html).group(1)  # the sheets the page showed
    done = client.post(item_url, data={"action": "keep", "keep": str(ids[21]), "shown": shown,
                                       "csrf_token": _token(client, item_url)})
    assert done.status_code == 303
    flags = {r["serial"]: r["flags"] for r in store.responses()}
    assert flags[22] == ["rejected"] and flags[21] == []
    assert re.search(r'id="count-duplicate">0<', _text(client.get("/queue")))


def test_the_web_export_names_uploaded_files_as_their_user_named_them(app, office_batch, repo_root):
    import csv
    import io
    import zipfile

    pdf, _, _ = office_batch
    _upload_and_read(app, login(app, "thu"), repo_root, pdf, "quét tổ 1.pdf", "dot-ten-tep")
    response = login(app, "quan").get("/admin/export.csv?codes=1")
    with zipfile.ZipFile(io.BytesIO(response.data)) as bundle:
        rows = list(csv.DictReader(io.StringIO(bundle.read("omr-export.csv").decode("utf-8-sig"))))
    uploaded = [r for r in rows if "quét tổ 1.pdf" in r["source_files"]]
    assert len(uploaded) == 8  # the office batch's eight sheets
    assert all(r["source_pages"].startswith("1=quét tổ 1.pdf#") for r in uploaded)
    assert not any("001.pdf" in r["source_files"] + r["source_pages"] for r in rows)
    assert {r["source_files"] for r in rows} - {r["source_files"] for r in uploaded} == {"s1.pdf", "s2.pdf"}


# --- purging old uploads (admin only, audited) -------------------------------------------------

def _old_upload(app, tmp_path, batch_name: str, *, days_ago: float, statuses=None, pages_stored: int = 2,
                serial: int = 50, status: str = "done", file_state: str = "done",
                extra_entries: tuple = ()) -> tuple[int, Path, list[int]]:
    """An upload job finished ``days_ago`` days ago: its file on disk and ``pages_stored`` of its two pages
    stored in ``batch_name`` (answers with ``statuses``); (job id, the stored file, the page ids)."""
    from db_fixtures import file_sha

    store = _store(app)
    folder = tmp_path / "uploads" / f"job-{batch_name}"
    folder.mkdir(parents=True)
    stored = folder / "001.pdf"
    stored.write_bytes(b"%PDF-1.4 scan " * 100)
    batch = store.ensure_batch(batch_name)
    for index, (number, answers_) in enumerate(((1, PAGE1), (2, PAGE2))[:pages_stored]):
        record(store, batch, page_result(serial, number, answers_, path=str(stored), index=index,
                                         statuses=statuses if number == 1 else None))
    finished = datetime.now(timezone.utc) - timedelta(days=days_ago)
    files = [{"name": f"quét {batch_name}.pdf", "stored": "001.pdf", "sha256": file_sha(str(stored)),
              "size": stored.stat().st_size, "pages": 2, "state": file_state}]
    files += [dict(files[0], **entry) for entry in extra_entries]
    job_id = store.writing(lambda conn: conn.execute(upload_jobs.insert().values(
        batch_name=batch_name, folder=str(folder), files=json.dumps(files, ensure_ascii=False), pages_total=2,
        status=status, error="", created_by="thu", created_at=finished, started_at=finished,
        finished_at=finished, pages_at_start=0)).inserted_primary_key[0])
    with store.reading() as conn:
        page_ids = conn.execute(sa.select(pages.c.id).join(source_files, source_files.c.id == pages.c.source_file_id)
                                .where(source_files.c.path == str(stored)).order_by(pages.c.id)).scalars().all()
    return job_id, stored, page_ids


def test_only_an_admin_purges_old_uploads_and_each_purge_is_recorded(app, tmp_path):
    from omr.data.schema import changes
    from omr.web import images

    old_id, old_file, old_pages = _old_upload(app, tmp_path, "cu", days_ago=100, serial=50)
    waiting_id, waiting_file, _ = _old_upload(app, tmp_path, "cho", days_ago=100, serial=51,
                                              statuses={"B1": AMBIGUOUS})
    partial_id, partial_file, _ = _old_upload(app, tmp_path, "thieu", days_ago=100, serial=52, pages_stored=1)
    _recent_id, recent_file, _ = _old_upload(app, tmp_path, "moi", days_ago=10, serial=53)
    for name in ("thu", "lan"):  # scanning staff and reviewers cannot
        client = login(app, name)
        refused = client.post("/admin/uploads/purge", data={"days": "90",
                                                            "csrf_token": _token(client, "/account/password")})
        assert refused.status_code == 403
    admin = login(app, "quan")
    assert 'id="purge-form"' in _text(admin.get("/batches"))
    assert 'id="purge-form"' not in _text(login(app, "thu").get("/batches"))
    bad = admin.post("/admin/uploads/purge", data={"days": "0", "csrf_token": _token(admin, "/batches")},
                     follow_redirects=True)
    assert "không phải số ngày hợp lệ" in _text(bad)
    empty = admin.post("/admin/uploads/purge", data={"days": "", "csrf_token": _token(admin, "/batches")},
                       follow_redirects=True)
    assert "Chưa nhập số ngày (số nguyên từ 1 đến 36.500)" in _text(empty) and "«»" not in _text(empty)
    for days in ("99999999999", "36501", "9" * 5000):  # was a 500 (OverflowError; int() of 5000 digits)
        huge = admin.post("/admin/uploads/purge", data={"days": days, "csrf_token": _token(admin, "/batches")},
                          follow_redirects=True)
        assert huge.status_code == 200 and "(số nguyên từ 1 đến 36.500)" in _text(huge), days
    assert all(p.exists() for p in (old_file, waiting_file, partial_file, recent_file))

    before = list(_store(app).responses())
    done = admin.post("/admin/uploads/purge", data={"days": "90", "csrf_token": _token(admin, "/batches")},
                      follow_redirects=True)
    html = _text(done)
    assert "Đã xoá 1 tệp của 1 lần tải lên đã kết thúc quá 90 ngày (1 KB)" in html  # 1,400 bytes, not "0,0 MB"
    assert f"Giữ lại lần tải lên #{waiting_id}: đợt còn 1 mục chờ kiểm tra" in html
    assert f"Giữ lại lần tải lên #{partial_id}: tệp quét thieu.pdf chưa lưu đủ trang" in html
    assert not old_file.exists() and not old_file.parent.exists()
    assert waiting_file.exists() and partial_file.exists() and recent_file.exists(), "only what may go, goes"
    # The reads stay: every response as it was.
    assert list(_store(app).responses()) == before
    with _store(app).reading() as conn:
        entry = json.loads(conn.execute(sa.select(upload_jobs.c.files).where(upload_jobs.c.id == old_id)).scalar())[0]
        audit = conn.execute(sa.select(changes).where(changes.c.entity == "upload")).mappings().all()
    assert entry["purged_by"] == "quan" and entry["purged_at"]
    assert [(a["who"], a["entity_id"], a["field"]) for a in audit] == [("quan", old_id, "files_purged")]
    assert "quét cu.pdf" in audit[0]["old_value"]
    # The page's picture says the file was purged, by whom and when (Vietnam time), never a broken image.
    with pytest.raises(images.ImageMissing, match=r"Ảnh gốc \(quét cu\.pdf, trang 1\) đã được quan xoá khỏi "
                                                   r"máy chủ lúc \d\d/\d\d/\d{4} \d\d:\d\d \(giờ Việt Nam\)"):
        images.whole_page(_store(app), old_pages[0])
    shown = login(app, "lan").get(f"/img/page/{old_pages[0]}.png")
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    # A second purge finds nothing more to do and records nothing more.
    again = admin.post("/admin/uploads/purge", data={"days": "90", "csrf_token": _token(admin, "/batches")},
                       follow_redirects=True)
    assert "Đã xoá 0 tệp của 0 lần tải lên" in _text(again)
    with _store(app).reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(changes)
                            .where(changes.c.entity == "upload")).scalar() == 1


def test_a_purge_keeps_unfinished_uploads_and_never_deletes_outside_the_job_folder(app, tmp_path):
    from omr.web.purge import purge_uploads

    failed_id, failed_file, _ = _old_upload(app, tmp_path, "loi", days_ago=100, serial=60, status="failed")
    aside_id, aside_file, _ = _old_upload(app, tmp_path, "treo", days_ago=100, serial=61, file_state="set_aside")
    victim = tmp_path / "uploads" / "khac.pdf"  # a file of someone else, beside the job folders
    victim.write_bytes(b"%PDF-1.4 not ours")
    odd_id, odd_file, _ = _old_upload(app, tmp_path, "la", days_ago=100, serial=62,
                                      extra_entries=({"name": "lạ.pdf", "stored": "../khac.pdf"},))
    with pytest.raises(OmrError, match="Số ngày"):
        purge_uploads(_store(app), 0, "quan")
    done = purge_uploads(_store(app), 30, "quan")
    kept = dict(done.kept)
    assert kept[failed_id] == "lần tải lên bị lỗi, chưa đọc xong"
    assert kept[aside_id] == "có tệp chưa đọc xong: quét treo.pdf"
    assert failed_file.exists() and aside_file.exists()
    assert (done.jobs, done.files) == (1, 1) and odd_id not in kept and not odd_file.exists()
    assert victim.exists(), "a stored name never leads out of the job's own folder"


def test_a_cancelled_upload_is_purged_when_its_stored_files_are_whole_and_kept_saying_why_otherwise(app, tmp_path):
    """A cancelled job was kept for ever as «lần tải lên bị lỗi, chưa đọc xong», which it is not."""
    from omr.web.purge import purge_uploads

    whole_id, whole_file, _ = _old_upload(app, tmp_path, "huy-du", days_ago=100, serial=70, status="cancelled")
    none_id, none_file, _ = _old_upload(app, tmp_path, "huy-som", days_ago=100, serial=71, status="cancelled",
                                        pages_stored=0, file_state="reading")
    half_id, half_file, _ = _old_upload(app, tmp_path, "huy-do", days_ago=100, serial=72, status="cancelled",
                                        pages_stored=1, file_state="reading")
    done = purge_uploads(_store(app), 30, "quan")
    assert dict(done.kept) == {half_id: "lần tải lên đã bị huỷ khi tệp quét huy-do.pdf mới lưu 1/2 trang "
                                        "(tải lại tệp này để đọc nốt, rồi xoá)"}
    assert (done.jobs, done.files) == (2, 2)
    assert not whole_file.exists() and not none_file.exists() and half_file.exists()
    assert whole_id != none_id


def test_a_comment_history_and_its_reopened_item_show_the_machine_draft_that_was_replaced(app):
    """A fresh-user trial: the history said the value before was «(chưa có)» where the machine's draft
    stood, and the comment reopened (a correction) showed no draft at all. The audit row keeps it."""
    draft = "Thu tuc nhanh gon, can bo <b>vui ve</b>"
    comment_id = _add_comment(app, draft, field="H5")
    client = login(app, "lan")
    item_url = f"/queue/item/comment/{comment_id}"
    version = re.search(r'name="version" value="([^"]*)"', _text(client.get(item_url))).group(1)
    saved = client.post(item_url, data={"image_shown": "1", "text": "Thủ tục nhanh gọn, cán bộ vui vẻ",
                                        "version": version, "csrf_token": _token(client, item_url)})
    assert saved.status_code == 303
    with _store(app).reading() as conn:
        old = json.loads(conn.execute(sa.select(changes.c.old_value).where(changes.c.entity == "comment",
                                                                            changes.c.entity_id == comment_id)).scalar())
    assert old["draft"] == draft and old["text"] is None
    response_id = next(r["id"] for r in _store(app).responses() if r["serial"] == 1)
    history = _text(client.get(f"/responses/{response_id}"))
    assert html.escape(f"bản nháp của máy: «{draft}»", quote=False) in history and "<b>vui" not in history
    assert "(chưa có)" not in history
    reopened = _text(client.get(item_url))
    assert html.escape(draft, quote=False) in reopened and 'id="machine-draft"' in reopened


@SQLITE_ONLY  # the job page's counts; the SQL of stored pages is the same on both
def test_the_job_page_counts_a_two_page_image_and_a_file_given_twice_as_read(app, clean_sheet, repo_root):
    """A fresh-user trial: a side-by-side image read as two pages showed «— 1 trang» and nothing else, and
    a job whose file came twice ended «1 / 2 trang», its copy skipped as already read, as if a page was lost."""
    import io

    from PIL import Image

    from omr.web.jobs import read_taken_job, take_job

    pages_of_sheet, _ = clean_sheet
    buffer = io.BytesIO()
    Image.fromarray(np.hstack([pages_of_sheet[0], pages_of_sheet[1]])).save(buffer, format="JPEG", quality=92)
    client = login(app, "thu")
    response = client.post("/batches", content_type="multipart/form-data", data={
        "name": "đợt A3", "csrf_token": _token(client, "/batches"),
        "files": [(io.BytesIO(buffer.getvalue()), "A3 tổ 1.jpg"), (io.BytesIO(buffer.getvalue()), "A3 tổ 1 (bản sao).jpg")]})
    assert response.status_code == 303
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    job = take_job(_store(app), job_id)
    read_taken_job(_store(app), job, Path(job["folder"]), str(repo_root / "form_templates"))
    page = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", _text(client.get(f"/batches/jobs/{job_id}")))))
    assert "đã xong" in page and " 2 / 2 trang" in page, page
    assert "1 trang đã đọc trước đó, bỏ qua" in page
    assert "A3 tổ 1.jpg — 1 trang (1 ảnh chứa hai trang phiếu: đọc thành 2 trang phiếu)" in page


def _apng_declaring_a_missing_frame() -> bytes:
    """A PNG animation that declares two frames and holds one (its second frame's chunks cut out)."""
    import io
    import struct

    from PIL import Image

    buffer = io.BytesIO()
    frames = [Image.new("L", (300, 400), 255), Image.new("L", (300, 400), 0)]
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])
    data, position, out, frame_controls = buffer.getvalue(), 8, buffer.getvalue()[:8], 0
    while position < len(data):
        size = struct.unpack(">I", data[position:position + 4])[0]
        kind, chunk = data[position + 4:position + 8], data[position:position + 12 + size]
        frame_controls += kind == b"fcTL"
        if not (frame_controls >= 2 and kind in (b"fcTL", b"fdAT")):
            out += chunk
        position += 12 + size
    return out


@SQLITE_ONLY  # the job page's words; the SQL of set-aside pages is the same on both
def test_a_file_counted_with_a_page_that_has_no_picture_says_where_that_page_went(app, repo_root):
    """«big.png — 2 trang» for a file with one real frame: the count is what the file declares (its page 2
    is set aside and named), and the file's line now says so."""
    import io

    from omr.web.jobs import read_taken_job, take_job

    client = login(app, "thu")
    response = client.post("/batches", content_type="multipart/form-data", data={
        "name": "đợt ảnh", "csrf_token": _token(client, "/batches"),
        "files": [(io.BytesIO(_apng_declaring_a_missing_frame()), "big.png")]})
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    job = take_job(_store(app), job_id)
    read_taken_job(_store(app), job, Path(job["folder"]), str(repo_root / "form_templates"))
    page = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", _text(client.get(f"/batches/jobs/{job_id}")))))
    assert "big.png — 2 trang (2 trang để riêng, lý do ở bảng «Trang để riêng» bên dưới)" in page, page
    assert "tệp ghi là có trang 2 nhưng không có ảnh" in page
    assert " ." not in page and " ," not in page  # «1 trang chưa nhận dạng .» (trial): no stray space


def test_a_sheet_missing_its_comment_page_says_so_and_lists_the_missing_questions(app):
    """A fresh user's trial: with only page 1 scanned, the sheet's page said «Phiếu này không có ý kiến viết
    tay» (the comment fields are on page 2) and left page 2's questions out of the answers table."""
    store = _store(app)
    batch = store.ensure_batch("dot-web-missing")
    record(store, batch, page_result(8, 1, PAGE1, path="only-page-1.pdf"))
    response_id = next(r["id"] for r in store.responses() if r["serial"] == 8)
    client = login(app, "lan")
    page = _text(client.get(f"/responses/{response_id}"))
    assert "Phiếu này không có ý kiến viết tay" not in page
    assert "ô ý kiến H3 in ở trang 2" in page and "ô ý kiến H4 in ở trang 2" in page
    rows = dict(re.findall(r"<tr[^>]*><td>([A-Z]\d)</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>", page))
    page2 = ["D3", "D4", "D5", "E1", "E2", "F1", "F2", "F3", "F4", "G1", "G2", "H1", "H2"]
    assert all(rows.get(q, "").startswith("trang thiếu") for q in page2), rows
    assert rows["A2"] == "hợp lệ"  # page 1's answers as they were
    assert "H3" not in rows  # a comment field is told in the comment section, not as an answer


def test_a_sheet_with_no_mark_is_one_item_the_reviewer_confirms_blank(app):
    store = _store(app)
    batch = store.ensure_batch("dot-web-empty")
    questions = {1: {q: None for q in PAGE1}, 2: {q: None for q in PAGE2}}
    for number, answers_of_page in questions.items():
        result = page_result(9, number, answers_of_page, path="empty.pdf", index=number - 1,
                             statuses={q: AMBIGUOUS for q in answers_of_page})
        result.detail = "mostly_blank; no_marks"
        record(store, batch, result)
    client = login(app, "lan")
    _start_queue(client, kind="empty")
    item_url = client.get("/queue/next").headers["Location"]
    html = _text(client.get(item_url))
    assert "Phiếu số 000009: phiếu không có câu trả lời nào" in html
    version = re.search(r'name="version" value="([^"]*)"', html).group(1)
    done = client.post(item_url, data={"action": "empty", "version": version,
                                       "csrf_token": _token(client, item_url)})
    assert done.status_code == 303
    assert re.search(r'id="count-empty">0<', _text(client.get("/queue")))
    sheet = next(r for r in store.responses() if r["serial"] == 9)
    assert all(status == "blank" for _, status, _ in sheet["answers"].values())
    assert all(sheet["set_by"][q] == "lan" for q in sheet["answers"])


def test_the_web_upload_form_accepts_every_format_omr_reads(app, tmp_path):
    """The form's label and its accept= list are the formats the command line reads (omr.scan.ingest), and
    each is recognised by its first bytes when uploaded (a BMP was read by «omr scan», refused here)."""
    from PIL import Image

    from omr.scan.ingest import SCAN_FORMAT_NAMES, SCAN_SUFFIXES
    from omr.web.jobs import scan_suffix

    page = html.unescape(_text(login(app, "thu").get("/batches")))
    assert f"Tệp quét ({SCAN_FORMAT_NAMES};" in page
    accept = re.search(r'name="files"[^>]*accept="([^"]*)"', page).group(1)
    assert set(accept.split(",")) == SCAN_SUFFIXES
    image = Image.fromarray(np.full((32, 24), 200, np.uint8))
    for fmt in ("TIFF", "PNG", "JPEG", "WEBP", "JPEG2000", "BMP", "PPM"):
        image.save(tmp_path / fmt, format=fmt)
        assert scan_suffix(tmp_path / fmt) in SCAN_SUFFIXES, fmt


def test_a_batch_named_with_the_word_dot_is_not_headed_dot_dot(app):
    """A trial: the batch «Đợt quét mẫu» was headed «Đợt Đợt quét mẫu» on the review page."""
    _store(app).writing(lambda conn: conn.execute(
        sa.update(batches).where(batches.c.name == "dot-web").values(name="Đợt quét mẫu")))
    client = login(app, "lan")
    page = html.unescape(_text(client.get(client.get("/queue/next").headers["Location"])))
    assert "<span>Đợt quét mẫu</span>" in page and "Đợt Đợt" not in page
    from omr.web.display import batch_title  # the rule, for names the page does not show here

    assert [batch_title(n) for n in ("ĐỢT 2", "đợt 3", "Quý IV", "Dot 4")] == ["ĐỢT 2", "đợt 3", "Đợt Quý IV",
                                                                                 "Đợt Dot 4"]


def test_a_pasted_run_of_thousands_of_digits_as_a_new_serial_is_refused_not_a_server_error(app):
    """Python's int() refuses more than 4,300 digits: a long paste into «Số phiếu mới» (or a tampered
    «shown») answered 500 «Lỗi máy chủ»; it is a new serial out of range, said as such, nothing written."""
    store = _store(app)
    batch = store.ensure_batch("dot-web-digits")
    record(store, batch, page_result(1, 1, {**PAGE1, "B1": "1"}, path="d.pdf", statuses={"B1": AMBIGUOUS}))
    record(store, batch, page_result(1, 2, {**PAGE2, "H1": "1"}, path="d.pdf", index=1))
    ids = [r["id"] for r in store.responses() if r["serial"] == 1]
    client = login(app, "lan")
    _start_queue(client, kind="conflict")
    item_url = client.get("/queue/next").headers["Location"]
    shown = re.search(r'name="shown" value="([^"]*)"', _text(client.get(item_url))).group(1)
    long_digits = "9" * 5000
    for data in ({f"new_serial_{ids[1]}": long_digits, "shown": shown}, {"new_serial": long_digits, "shown": shown},
                 {f"new_serial_{ids[1]}": "42", "shown": f"{shown},{long_digits}"}):
        refused = client.post(item_url, data={"action": "both", "keep": str(ids[0]), **data,
                                              "csrf_token": _token(client, item_url)})
        assert refused.status_code == 409, refused.status_code
        assert "Cần số phiếu mới (1 đến 999999)" in _text(refused) or "Nhóm tờ phiếu đã thay đổi" in _text(refused)
    assert sorted(r["serial"] for r in store.responses()) == [1, 1, 2]
