"""What an attack on the review app found (task hattack3), each written as a user would meet it."""

from __future__ import annotations

import html
import re
from pathlib import Path
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, SQLITE_ONLY, page_result, record, qr_unreadable_page
from web_helpers import csrf_token, logged_in, review_app

from omr.data import review, users
from omr.data.schema import IMPORTED_BY, comments, pages, responses
from omr.data.schema import answers as answers_table
from omr.data.schema import units as units_table
from omr.errors import OmrError
from omr.model import AMBIGUOUS, SET_ASIDE_REASONS

PASSWORDS = {"quan": "ca-phe sua da Ben Tre 7", "lan": "lan-kiem-tra-phieu-dong-thap", "thu": "thu-quet-phieu-ca-ngay"}
ROLES = {"quan": "admin", "lan": "reviewer", "thu": "scanner"}

pytestmark = pytest.mark.usefixtures("quick_hashes")


@pytest.fixture
def app(store_url, tmp_path, repo_root, catalogue):
    def seed(store):
        batch = store.ensure_batch("dot-tan-cong")
        record(store, batch, page_result(1, 1, PAGE1, path="s1.pdf", statuses={"B1": AMBIGUOUS}))
        record(store, batch, page_result(1, 2, PAGE2, path="s1.pdf", index=1))

    people = {name: (PASSWORDS[name], role) for name, role in ROLES.items()}
    with review_app(store_url, tmp_path, repo_root, catalogue, people, seed) as application:
        yield application


def _store(app):
    return app.extensions["omr_store"]


def _text(response) -> str:
    return response.get_data(as_text=True)


def login(app, name):
    return logged_in(app, name, PASSWORDS[name])


def _qr_less_page(app) -> int:
    return qr_unreadable_page(_store(app), 3)


def _add_units(app, *codes):
    _store(app).writing(lambda conn: conn.execute(units_table.insert(), [
        {"code": code, "name": f"Phường {code}", "kind": "phường", "predecessors": "", "note": ""} for code in codes]))


def _assign(client, page_id, unit):
    url = f"/queue/item/page/{page_id}"
    return client.post(url, data={"action": "assign", "form": "motcua-2026@1", "page": "1", "serial": "777",
                                  "unit": unit, "image_shown": "1", "csrf_token": csrf_token(client, url)})


def _serial_777(app):
    with _store(app).reading() as conn:
        return conn.execute(sa.select(responses.c.unit).where(responses.c.serial == 777)).all()


# --- 1. the unit typed for a page without QR code ----------------------------------------------------

def test_a_unit_code_not_in_the_registry_is_refused_and_a_known_one_is_kept(app):
    _add_units(app, "30001", "30004")
    page_id = _qr_less_page(app)
    client = login(app, "lan")
    for typed in ("99999", "=1+2<script>", "Đ" * 101):
        refused = _assign(client, page_id, typed)
        assert refused.status_code == 409, typed
        assert "không có trong danh mục đơn vị" in _text(refused) or "dài quá" in _text(refused), typed
        assert "đang được lan kiểm tra" not in _text(refused), "the reviewer's own claim is not another's work"
        assert _serial_777(app) == []
    assert review.load_item(_store(app), f"page:{page_id}").data["pending"]
    saved = _assign(client, page_id, " 30004 ")
    assert saved.status_code == 303
    assert _serial_777(app) == [("30004",)]


def test_a_rejected_page_says_it_cannot_be_saved_and_who_can_restore_it(app):
    """After a rejection the page said «lưu lại sẽ ghi đè» (saving again overwrites), yet every save failed."""
    _add_units(app, "30001")
    page_id = _qr_less_page(app)
    review.reject_page(_store(app), page_id, "thu", reason="ảnh rác")
    client = login(app, "lan")
    shown = _text(client.get(f"/queue/item/page/{page_id}"))
    assert "lưu lại sẽ ghi đè" not in shown
    assert "Trang này đã bị loại bỏ bởi thu, không nhận quyết định khác" in shown
    refused = _assign(client, page_id, "30001")
    assert refused.status_code == 409 and "Trang này đã bị loại bỏ bởi thu" in _text(refused)
    assert "lưu lại sẽ ghi đè" not in _text(refused) and _serial_777(app) == []


def test_with_an_empty_registry_a_typed_unit_says_which_list_to_import(app):
    page_id = _qr_less_page(app)
    client = login(app, "lan")
    refused = _assign(client, page_id, "30001")
    assert refused.status_code == 409
    assert "Danh mục đơn vị chưa được nạp" in _text(refused) and "omr units import" in _text(refused)
    assert _serial_777(app) == []
    # The page can still be assigned without a unit.
    assert _assign(client, page_id, "").status_code == 303
    assert _serial_777(app) == [(None,)]


# --- 2. comments outside the queue, and long comments ---------------------------------------------------

def _comment(app, status: str, draft: str | None) -> int:
    store = _store(app)
    response_id = next(r["id"] for r in store.responses() if r["serial"] == 1)
    with store.reading() as conn:
        page_id = conn.execute(sa.select(pages.c.id).where(pages.c.serial == 1).limit(1)).scalar()
    return store.writing(lambda conn: conn.execute(comments.insert().values(
        response_id=response_id, page_id=page_id, field="H3" if status == "blank" else "H4",
        inked=status != "blank", ink_mm2=0.0 if status == "blank" else 40.0, x=10, y=200, w=190, h=20,
        crop_png=None, draft_text=draft, draft_confidence=30.0, likely_correct=False, review_priority=1.0,
        status=status, flags="[]", updated_at=datetime.now(timezone.utc))).inserted_primary_key[0])


def _post_comment(client, comment_id, text):
    url = f"/queue/item/comment/{comment_id}"
    page = _text(client.get(url))
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    return client.post(url, data={"image_shown": "1",
                                  "text": text, "version": version, "csrf_token": csrf_token(client, url)})


def _comment_row(app, comment_id):
    with _store(app).reading() as conn:
        return conn.execute(sa.select(comments.c.status, comments.c.text).where(comments.c.id == comment_id)).first()


def test_a_comment_box_read_as_empty_cannot_be_written_through_its_url(app):
    blank = _comment(app, "blank", None)
    client = login(app, "lan")
    refused = _post_comment(client, blank, "Ý kiến chèn vào")
    assert refused.status_code == 409 and "không nằm trong hàng đợi" in _text(refused)
    assert tuple(_comment_row(app, blank)) == ("blank", None)
    # A comment in the queue is saved, and can be corrected again afterwards (the "previous" key).
    pending = _comment(app, "pending", "Can bo tan tinh")
    assert _post_comment(client, pending, "Cán bộ tận tình").status_code == 303
    assert _post_comment(client, pending, "Cán bộ rất tận tình").status_code == 303
    assert tuple(_comment_row(app, pending)) == ("reviewed", "Cán bộ rất tận tình")


def test_a_comment_longer_than_the_bound_is_refused_whole_never_cut(app):
    from omr.tuning import MAX_COMMENT_TEXT

    assert MAX_COMMENT_TEXT < 32_767  # Excel's cell limit: the export never has to cut a comment
    pending = _comment(app, "pending", "")
    client = login(app, "lan")
    refused = _post_comment(client, pending, "Ý kiến dài " * 4000)
    assert refused.status_code == 409 and f"tối đa {MAX_COMMENT_TEXT:,}".replace(",", ".") in _text(refused)
    # One sentence, its comma a comma (the thousands' dots were made by replacing every comma).
    assert "dài 43.999 ký tự; tối đa" in _text(refused) and "tự. tối đa" not in _text(refused)
    assert tuple(_comment_row(app, pending)) == ("pending", None)
    longest = "ý" * MAX_COMMENT_TEXT
    assert _post_comment(client, pending, longest).status_code == 303
    assert _comment_row(app, pending).text == longest


def test_a_comment_keeps_its_lines_but_no_control_or_bidi_characters(app):
    """A transcription with a bidi override (shown reversed in the export), a terminal escape and a bell
    was stored as typed; batch names and the editor's labels already refused or dropped them."""
    pending = _comment(app, "pending", "")
    client = login(app, "lan")
    typed = "Cán bộ\u202e tận tình\x1b[2J\x07\r\nlần sau\u200b nhanh hơn"
    assert _post_comment(client, pending, typed).status_code == 303
    assert _comment_row(app, pending).text == "Cán bộ tận tình[2J\nlần sau nhanh hơn"


# --- 3. a file whose pages each take the time limit; cancelling an upload -------------------------------

def _tiff(path, pages: int, size=(1240, 1754)):
    """A multi-page TIFF of white pages (A4 at 150 dpi by default)."""
    from PIL import Image

    frames = [Image.new("L", size, 255) for _ in range(pages)]
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(150, 150))
    return path


class _FakeWorkers:
    """PageWorkers double: pages the batch skips are skipped as the real pool does; the rest go to ``read``."""

    def __init__(self, *args, **kwargs):
        self.handed = []

    def map(self, runs, skip=None):
        from omr.scan.page_workers import Failure

        for run in runs:
            for task in run:
                if skip is not None and skip(task):
                    yield task, Failure("skipped", "không đọc")
                    continue
                self.handed.append(task)
                yield task, self.read(task)


class _HangingWorkers(_FakeWorkers):
    """PageWorkers whose every page hits the time limit (pages of files named 'slow*') or fails at once."""

    def read(self, task):
        from omr.scan.page_workers import Failure

        slow = "slow" in task[0]
        return Failure("timeout" if slow else "error", "đọc trang quá 60 giây, đã dừng" if slow else "hỏng")


def test_a_file_whose_pages_keep_hitting_the_time_limit_is_given_up_named_with_its_unread_pages(
        tmp_path, store, monkeypatch):
    from omr import tuning
    from omr.scan import batch

    monkeypatch.setattr(batch, "PageWorkers", _HangingWorkers)
    slow = _tiff(tmp_path / "slow.tif", 12)
    fine = _tiff(tmp_path / "fine.tif", 2)
    report = batch.run_scan([str(slow), str(fine)], store, "dot-cham", template_dir="form_templates")
    given_up = tuning.TIMEOUTS_IN_A_ROW_GIVE_UP
    assert report.pages_not_read == {str(slow): 12 - given_up}
    message = next(m for m in report.file_errors if str(slow) in m)
    assert f"{12 - given_up} trang còn lại của tệp không được đọc" in message
    # Only the pages that hit the limit were stored (set aside, unreadable); the next file was still read.
    assert store.summary()["pages_set_aside"] == {"unreadable": given_up + 2}


def _uploaded_job(app, tmp_path, who="thu"):
    from omr.web import jobs

    received = [("phiếu chậm.tif", _tiff(tmp_path / "a.tif", 3)), ("tổ 2.tif", _tiff(tmp_path / "b.tif", 2))]
    job_id, accepted, _ = jobs.create_job(_store(app), app.config["UPLOADS_DIR"], "Quý IV", None, None, received, who)
    assert len(accepted) == 2
    return job_id


def test_the_scanner_who_uploaded_or_an_admin_cancels_a_queued_upload_audited(app, tmp_path):
    from omr.data.schema import changes, upload_jobs

    job_id = _uploaded_job(app, tmp_path)
    users.add_user(_store(app), "tam", "tam-quet-phieu-buoi-sang", "scanner")
    other = logged_in(app, "tam", "tam-quet-phieu-buoi-sang")
    url = f"/batches/jobs/{job_id}/cancel"
    assert other.post(url, data={"confirm": "1", "csrf_token": csrf_token(other, "/batches")}).status_code == 403
    owner = login(app, "thu")
    page = _text(owner.get(f"/batches/jobs/{job_id}"))
    assert 'id="cancel-job"' in page
    unconfirmed = owner.post(url, data={"csrf_token": csrf_token(owner, "/batches")}, follow_redirects=True)
    assert "ô xác nhận" in _text(unconfirmed)
    done = owner.post(url, data={"confirm": "1", "reason": "tệp thử", "csrf_token": csrf_token(owner, "/batches")},
                      follow_redirects=True)
    assert "đã huỷ" in _text(done) and "5 trang không được đọc" in _text(done)
    with _store(app).reading() as conn:
        assert conn.execute(sa.select(upload_jobs.c.status).where(upload_jobs.c.id == job_id)).scalar() == "cancelled"
        audit = conn.execute(sa.select(changes.c.who, changes.c.entity, changes.c.new_value, changes.c.reason)
                             .where(changes.c.entity == "upload")).all()
    assert [tuple(a) for a in audit] == [("thu", "upload", '"cancelled"', "tệp thử")]
    assert "lý do: «tệp thử»" in _text(owner.get(f"/batches/jobs/{job_id}"))
    again = owner.post(url, data={"confirm": "1", "csrf_token": csrf_token(owner, "/batches")}, follow_redirects=True)
    assert "Lần tải lên này đã bị huỷ: không còn gì để huỷ" in _text(again) and "đã đã" not in _text(again)


def test_a_cancel_landing_after_the_readers_last_look_is_not_overwritten_by_done(app, tmp_path):
    """The reader checks for a cancel between files; one arriving after its last check was overwritten by
    finish_job's 'done', and the scanner's cancel vanished."""
    from omr.data.schema import upload_jobs
    from omr.web import jobs

    job_id = _uploaded_job(app, tmp_path)
    jobs.take_job(_store(app), job_id)
    assert jobs.cancel_job(_store(app), job_id, "thu") == jobs.CANCELLING  # after the reader's last check
    jobs.finish_job(_store(app), job_id, jobs.DONE, "")
    with _store(app).reading() as conn:
        row = conn.execute(sa.select(upload_jobs.c.status, upload_jobs.c.error, upload_jobs.c.finished_at)
                           .where(upload_jobs.c.id == job_id)).first()
    assert row.status == "cancelled" and row.finished_at is not None
    assert "Yêu cầu huỷ đến khi mọi trang đã được đọc" in row.error
    jobs.finish_job(_store(app), job_id, jobs.DONE, "lần hai")  # never over an ended cancel either
    with _store(app).reading() as conn:
        assert conn.execute(sa.select(upload_jobs.c.status).where(upload_jobs.c.id == job_id)).scalar() == "cancelled"


def test_a_running_upload_cancelled_stops_and_says_how_many_pages_were_not_read(app, tmp_path, monkeypatch):
    from omr.scan.batch import ScanReport
    from omr.web import jobs

    job_id = _uploaded_job(app, tmp_path)
    job = jobs.take_job(_store(app), job_id)
    assert jobs.cancel_job(_store(app), job_id, "quan") == jobs.CANCELLING
    calls = []

    def run_scan(paths, store, name, *, stop=None, **kwargs):
        calls.append(paths)
        assert stop is not None and stop()  # the reader is asked to stop before its next page
        return ScanReport(stopped=True)

    monkeypatch.setattr(jobs.batch, "run_scan", run_scan)
    jobs.read_taken_job(_store(app), job, Path(job["folder"]), "form_templates")
    ended = jobs.job_status(_store(app), job_id)
    assert ended["status"] == "cancelled" and ended["status_label"] == "đã huỷ"
    assert "Đã dừng theo yêu cầu: 5 trang chưa được đọc." in ended["error"]
    assert len(calls) <= 1  # the second file was never started
    # The job page says who stopped it and when, as information, not as an error (a new user's trial).
    page = _text(login(app, "thu").get(f"/batches/jobs/{job_id}"))
    assert 'id="job-cancelled"' in page and "huỷ bởi <strong>quan</strong>" in page and ", dừng lúc " in page
    assert 'class="flash info" id="job-messages"' in page and "đọc xong lúc" not in page


class _SlowBlankWorkers(_FakeWorkers):
    """PageWorkers that read every page as blank, each taking ``SECONDS`` of the job's clock."""

    SECONDS = 10.0
    clock = [0.0]

    def read(self, task):
        from omr.model import PageResult, PageSource

        self.clock[0] += self.SECONDS
        return [PageResult(PageSource(task[0], task[1], ""), set_aside="blank")]


def test_an_upload_out_of_reading_time_stops_says_how_many_pages_were_not_read_and_reads_them_uploaded_again(
        app, tmp_path, monkeypatch):
    """A job of many slow pages (each under the page limit, never three in a row) held the reader for hours:
    after T.MAX_SECONDS_PER_JOB the pages not reached are left unread, counted in one message; every page
    stored is whole, and uploading the same files again reads only the rest."""
    from omr import tuning
    from omr.scan import batch
    from omr.web import jobs

    store = _store(app)
    clock = _SlowBlankWorkers.clock
    clock[0] = 0.0
    monkeypatch.setattr(batch, "PageWorkers", _SlowBlankWorkers)
    monkeypatch.setattr(jobs, "_clock", lambda: clock[0])
    monkeypatch.setattr(tuning, "STOP_CHECK_EVERY_S", 0.0)  # the budget is looked at before every page
    monkeypatch.setattr(tuning, "MAX_SECONDS_PER_JOB", 15.0)  # two pages of 10 s: the third is not begun
    job_id = _uploaded_job(app, tmp_path)  # 3 pages, then 2
    job = jobs.take_job(store, job_id)
    jobs.read_taken_job(store, job, Path(job["folder"]), "form_templates")
    ended = jobs.job_status(store, job_id)
    assert ended["status"] == "done" and ended["pages_done"] == 2
    message = ended["error"]
    assert message.count("trang chưa được đọc") == 1
    assert "Đã dừng đọc sau 15 giây, thời gian tối đa cho một lần tải lên: 3 trang chưa được đọc (chưa lưu, không vào hàng đợi kiểm tra" in message
    assert "hãy tải lên lại chính các tệp này vào đợt «Quý IV»" in message
    assert [f.get("state") for f in ended["files"]] == ["set_aside", None]  # the second file never begun
    page = _text(login(app, "thu").get(f"/batches/jobs/{job_id}"))
    assert "3 trang chưa được đọc" in page and ", dừng lúc " in page and "đọc xong lúc" not in page

    # The same files uploaded again, with time enough: only the three pages left are read.
    monkeypatch.setattr(tuning, "MAX_SECONDS_PER_JOB", 3600.0)
    (tmp_path / "again").mkdir()
    again_id = _uploaded_job(app, tmp_path / "again")
    again = jobs.take_job(store, again_id)
    before = clock[0]
    jobs.read_taken_job(store, again, Path(again["folder"]), "form_templates")
    done = jobs.job_status(store, again_id)
    assert done["status"] == "done" and not done["error"], done["error"]
    assert clock[0] - before == 3 * _SlowBlankWorkers.SECONDS
    assert done["pages_skipped"] == 2 and done["pages_done"] == 5
    with store.reading() as conn:
        stored = conn.execute(sa.select(pages.c.source_file_id, pages.c.page_index)).all()
    assert len(stored) == len(set(stored)) == 5 + 2  # the seeded sheet's two pages, and each upload page once


# --- 4. pages far too small to be scans; rejecting a file's unidentified pages at once ---------------------

def test_tiny_pages_are_set_aside_as_not_a_scan_with_their_size_and_never_queued(tmp_path):
    from omr.scan.ingest import iter_pages
    from omr.scan.page import process_page
    from omr.scan.catalogue import Catalogue

    tiny = _tiff(tmp_path / "tiny.tif", 3, size=(8, 8))
    raws = list(iter_pages(tiny))
    assert len(raws) == 3 and all(r.image is None and r.error.reason == "not_scan" for r in raws)
    message = raws[0].error.message
    assert "8 × 8 điểm ảnh, 1,4 × 1,4 mm ở 150 dpi" in message and "ít nhất 200 điểm ảnh" in message
    assert "33,9 mm ở 150 dpi" in message
    result = process_page(raws[0], Catalogue.from_folder("form_templates"))
    assert result.set_aside == "not_scan"


def test_not_a_scan_pages_are_not_queue_items(store):
    from db_fixtures import set_aside_result

    batch = store.ensure_batch("dot-nho")
    for index in range(3):
        record(store, batch, set_aside_result("not_scan", path="tiny.tif", index=index))
    record(store, batch, set_aside_result("no_form", path="tiny.tif", index=3))
    assert review.queue_counts(store)["page"] == 1


def test_the_uploader_rejects_every_unidentified_page_of_one_file_at_once_confirmed_and_audited(app, tmp_path):
    from db_fixtures import set_aside_result

    from omr.data.schema import changes, source_files

    job_id = _uploaded_job(app, tmp_path)
    store = _store(app)
    batch_id = store.ensure_batch("Quý IV")  # the job's batch: the pages it stores
    from omr.web import jobs

    first = jobs.job_status(store, job_id)["files"][0]
    for index in range(3):
        record(store, batch_id, set_aside_result("no_form", path="noise.tif", index=index))
    store.writing(lambda conn: conn.execute(source_files.update().where(source_files.c.path == "noise.tif")
                                            .values(sha256=first["sha256"])))
    reviewer = login(app, "lan")
    assert review.queue_counts(store)["page"] == 3
    owner = login(app, "thu")
    page = _text(owner.get(f"/batches/jobs/{job_id}"))
    assert "Loại bỏ 3 trang" in page
    url = f"/batches/jobs/{job_id}/files/1/reject"
    unconfirmed = owner.post(url, data={"csrf_token": csrf_token(owner, "/batches")}, follow_redirects=True)
    assert "ô xác nhận" in _text(unconfirmed) and review.queue_counts(store)["page"] == 3
    assert reviewer.post(url, data={"confirm": "1", "csrf_token": csrf_token(reviewer, "/queue")}).status_code == 403
    done = owner.post(url, data={"confirm": "1", "reason": "ảnh rác", "csrf_token": csrf_token(owner, "/batches")},
                      follow_redirects=True)
    assert "Đã loại bỏ 3 trang chưa nhận dạng của tệp «phiếu chậm.tif»" in _text(done)
    assert review.queue_counts(store)["page"] == 0
    # The set-aside pages still listed on the job page say they were rejected, and by whom.
    assert _text(owner.get(f"/batches/jobs/{job_id}")).count("<td>đã loại bỏ (thu)</td>") == 3
    with store.reading() as conn:
        audit = conn.execute(sa.select(changes.c.who, changes.c.reason).where(changes.c.entity == "page")).all()
    assert [tuple(a) for a in audit] == [("thu", "ảnh rác")] * 3


def test_a_bulk_reject_touches_only_this_uploads_pages_that_match_no_form_and_an_admin_can_undo_it(
        app, tmp_path):
    """Pages of the same file stored by another upload (skipped here as already stored) are not this
    scanner's to reject; a page matched to a form by its layout (waiting for its serial) is a form page;
    a rejected page's comment box does not stay "pending" for ever; an admin puts a page back."""
    from db_fixtures import set_aside_result

    from omr.data.schema import changes, source_files
    from omr.web import jobs

    job_id = _uploaded_job(app, tmp_path)
    store = _store(app)
    sha = jobs.job_status(store, job_id)["files"][0]["sha256"]
    other_batch = store.ensure_batch("đợt của người khác")
    record(store, other_batch, set_aside_result("no_form", path="noise.tif", index=0))  # another upload's
    own_batch = store.ensure_batch("Quý IV")
    record(store, own_batch, set_aside_result("no_form", path="noise.tif", index=1))
    by_layout = page_result(5, 1, PAGE1, path="noise.tif", unit=None, index=2)
    by_layout.set_aside, by_layout.serial = "qr_unreadable", None
    by_layout.detail = "nhận dạng theo bố cục: motcua-2026 v1 trang 1; cần nhập số phiếu"
    record(store, own_batch, by_layout)
    store.writing(lambda conn: conn.execute(source_files.update().where(source_files.c.path == "noise.tif")
                                            .values(sha256=sha)))  # one file, the job's first
    with store.reading() as conn:
        noise_id, = conn.execute(sa.select(pages.c.id).where(pages.c.batch_id == own_batch,
                                                             pages.c.form_id.is_(None))).scalars()
        other_id, = conn.execute(sa.select(pages.c.id).where(pages.c.batch_id == other_batch)).scalars()
    comment_id = store.writing(lambda conn: conn.execute(comments.insert().values(
        response_id=None, page_id=noise_id, field="H4", inked=True, ink_mm2=40.0, x=10, y=200, w=190, h=20,
        crop_png=None, draft_text="chữ", draft_confidence=30.0, likely_correct=False, review_priority=1.0,
        status="pending", flags="[]", updated_at=datetime.now(timezone.utc))).inserted_primary_key[0])
    assert review.queue_counts(store)["page"] == 3
    owner = login(app, "thu")
    assert "Loại bỏ 1 trang" in _text(owner.get(f"/batches/jobs/{job_id}"))
    done = owner.post(f"/batches/jobs/{job_id}/files/1/reject",
                      data={"confirm": "1", "csrf_token": csrf_token(owner, "/batches")}, follow_redirects=True)
    text = _text(done)
    assert "Đã loại bỏ 1 trang chưa nhận dạng" in text
    assert "1 trang đã nhận ra mẫu phiếu (chỉ cần nhập số phiếu) vẫn chờ người kiểm tra" in text
    assert review.queue_counts(store)["page"] == 2  # the other upload's page and the form page wait
    with store.reading() as conn:
        assert conn.execute(sa.select(comments.c.status).where(comments.c.id == comment_id)).scalar() == "rejected"
    # Undone by an admin, audited; the comment box waits again with its page.
    admin = login(app, "quan")
    assert owner.post(f"/pages/{noise_id}/restore", data={"csrf_token": csrf_token(owner, "/batches")}
                      ).status_code == 403
    restored = admin.post(f"/pages/{noise_id}/restore", data={"job": str(job_id), "reason": "nhầm",
                                                              "csrf_token": csrf_token(admin, "/batches")},
                          follow_redirects=True)
    assert "Đã đưa trang trở lại hàng đợi kiểm tra" in _text(restored)
    assert review.queue_counts(store)["page"] == 3
    with store.reading() as conn:
        assert conn.execute(sa.select(comments.c.status).where(comments.c.id == comment_id)).scalar() == "pending"
        audit = conn.execute(sa.select(changes.c.who, changes.c.reason).where(
            changes.c.entity == "page", changes.c.entity_id == noise_id).order_by(changes.c.id)).all()
    assert [tuple(a) for a in audit] == [("thu", ""), ("quan", "nhầm")]
    assert other_id != noise_id


# --- 5. a NUL character in anything a user sends -----------------------------------------------------------

NUL_REFUSED = "ký tự NUL"


def test_a_nul_character_anywhere_in_a_request_is_refused_in_vietnamese(app):
    anonymous = app.test_client()
    refused = anonymous.post("/login", data={"name": "quan\x00", "password": "x",
                                             "csrf_token": csrf_token(anonymous)})
    assert refused.status_code == 400 and NUL_REFUSED in _text(refused)
    reviewer = login(app, "lan")
    for url in ("/queue?unit=3\x000", "/queue?kind=page&batch=%00", "/progress?x\x00=1"):
        got = reviewer.get(url)
        assert got.status_code == 400 and NUL_REFUSED in _text(got), url
    pending = _comment(app, "pending", "")
    url = f"/queue/item/comment/{pending}"
    version = re.search(r'name="version" value="([^"]*)"', _text(reviewer.get(url))).group(1)
    posted = reviewer.post(url, data={"image_shown": "1", "text": "Tốt\x00", "version": version, "reason": "a",
                                      "csrf_token": csrf_token(reviewer, url)})
    assert posted.status_code == 400 and NUL_REFUSED in _text(posted)
    assert tuple(_comment_row(app, pending)) == ("pending", None)
    # The template editor's JSON saves carry it escaped.
    admin = login(app, "quan")
    saved = admin.post("/admin/templates/drafts/1/save", data='{"name": "a\\u0000"}',
                       headers={"Content-Type": "application/json", "X-CSRFToken": csrf_token(admin, "/progress")})
    assert saved.status_code == 400 and NUL_REFUSED in saved.get_json()["problems"][0]


def test_a_batch_name_that_cannot_be_stored_leaves_no_file_behind(app, tmp_path):
    scanner = login(app, "thu")
    uploads = app.config["UPLOADS_DIR"]
    for name in ("Quý IV\x00", "Quý\x07IV"):
        with open(_tiff(tmp_path / "a.tif", 1), "rb") as handle:
            refused = scanner.post("/batches", data={"name": name, "files": (handle, "a.tif"),
                                                     "csrf_token": csrf_token(scanner, "/batches")},
                                   content_type="multipart/form-data")
        assert refused.status_code == 400, name
        assert not list(uploads.glob("job-*")) and not list((uploads / ".incoming").glob("*"))
    from omr.web import jobs

    assert jobs.list_jobs(_store(app)) == []


# --- 7. Vietnamese passwords an attacker guesses first ----------------------------------------------------

@pytest.mark.parametrize("weak", ["Hà Nội 2026", "Việt Nam 2026", "ha noi 2026", "HANOI2026", "motcuaxa2026",
                                  "xinchao2026", "anhyeuem123", "Cao Lãnh 1", "hanhchinh2026"])
def test_guessable_vietnamese_passwords_are_refused_when_a_user_chooses_one(weak):
    from omr.errors import BadArgumentsError

    with pytest.raises(BadArgumentsError, match="quá dễ đoán|quá phổ biến"):
        users.check_password(weak, "lan", chosen=True)


@pytest.mark.parametrize("good", ["ca-phe sang Ben Tre mua 9", "con mèo vàng ngủ trên mái nhà 7",
                                  "Bàn phím xanh, đèn vàng 42"])
def test_a_pass_phrase_of_unrelated_words_is_still_accepted(good):
    assert users.check_password(good, "lan", chosen=True) == good


def test_the_units_own_name_is_refused_as_a_password_once_the_registry_holds_it(store):
    from omr.errors import BadArgumentsError

    users.add_user(store, "lan", "mat-khau-tam-thoi-9x", "reviewer", must_change_password=True)
    user = users.list_users(store)[0]
    assert users.check_password("Tân Khánh Đông 9", "lan", chosen=True)  # unknown before the import
    store.writing(lambda conn: conn.execute(units_table.insert().values(
        code="29911", name="Xã Tân Khánh Đông", kind="xã", predecessors="", note="")))
    with pytest.raises(BadArgumentsError, match="quá dễ đoán"):
        users.change_own_password(store, user.id, "mat-khau-tam-thoi-9x", "Tân Khánh Đông 9")
    users.change_own_password(store, user.id, "mat-khau-tam-thoi-9x", "ca-phe sang Ben Tre mua 9")


# --- 8. a link cannot change the reviewer's saved queue filter --------------------------------------------

def test_a_filter_in_a_link_is_shown_but_only_a_posted_start_saves_it(app):
    store = _store(app)
    comment_id = _comment(app, "pending", "")
    reviewer = login(app, "lan")
    # A link (from anywhere) shows the comments only, and changes nothing stored.
    shown = _text(reviewer.get("/queue?kind=comment&unit=30001"))
    assert re.search(r'id="count-total">1<', shown)
    assert 'name="kind" value="comment"' in shown
    assert re.search(r'id="count-total">2<', _text(reviewer.get("/queue")))  # the saved filter: all kinds
    first = reviewer.get("/queue/next").headers["Location"]
    assert "/queue/item/answer/" in first  # the saved filter still holds: the answer comes first
    review.release(store, "answer:" + first.rsplit("/", 1)[1], "lan")
    # Without its token the start is refused; with it, the filter is saved.
    assert reviewer.post("/queue", data={"kind": "comment"}).status_code == 400
    started = reviewer.post("/queue", data={"kind": "comment", "csrf_token": csrf_token(reviewer, "/queue")})
    assert started.status_code == 303
    assert re.search(r'id="count-total">1<', _text(reviewer.get("/queue")))
    assert reviewer.get("/queue/next").headers["Location"].endswith(f"/queue/item/comment/{comment_id}")


# --- 9. a 31-digit serial; every error page in Vietnamese -----------------------------------------------

def test_a_serial_too_long_for_the_database_is_a_message_not_a_500(app):
    store = _store(app)
    batch = store.ensure_batch("dot-trung")
    record(store, batch, page_result(1, 1, {**PAGE1, "B1": "1"}, path="copy.pdf"))
    record(store, batch, page_result(1, 2, {**PAGE2, "H1": "1"}, path="copy.pdf", index=1))
    ids = [r["id"] for r in store.responses() if r["serial"] == 1]
    client = login(app, "lan")
    url = f"/queue/item/response/{ids[0]}"
    shown = re.search(r'name="shown" value="([^"]*)"', _text(client.get(url))).group(1)
    refused = client.post(url, data={"action": "both", "keep": str(ids[0]), "new_serial": "9" * 31,
                                     "shown": shown, "csrf_token": csrf_token(client, url)})
    assert refused.status_code == 409 and "Cần số phiếu mới (1 đến 999999)" in _text(refused)
    assert sorted(r["id"] for r in store.responses() if r["serial"] == 1) == sorted(ids)


@SQLITE_ONLY  # error pages; no store SQL
def test_error_pages_are_vietnamese_and_a_500_shows_no_trace(app, monkeypatch):
    client = login(app, "lan")

    def broken(*args, **kwargs):
        raise RuntimeError("/srv/omr/secret.py line 12: boom")

    monkeypatch.setattr(review, "queue_counts", broken)
    failed = client.get("/queue")
    body = _text(failed)
    assert failed.status_code == 500 and "Máy chủ gặp lỗi không mong đợi" in body
    assert "Traceback" not in body and "/srv/omr" not in body and "boom" not in body
    missing = client.get("/khong-co-trang-nay")
    assert missing.status_code == 404 and "Trang hoặc mục này không có" in _text(missing)
    wrong = client.get("/logout")
    assert wrong.status_code == 405 and "không nhận kiểu yêu cầu" in _text(wrong)
    app.config["MAX_CONTENT_LENGTH"] = 100
    large = client.post("/login", data={"name": "x" * 500, "password": "y"})
    assert large.status_code == 413 and "vượt giới hạn" in _text(large)


# --- 10. nothing with personal data is kept in a cache ---------------------------------------------------

@SQLITE_ONLY  # response headers; no store SQL
def test_pages_and_page_images_are_never_stored_in_a_cache(app):
    client = login(app, "lan")
    item_url = client.get("/queue/next").headers["Location"]
    for url in ("/queue", item_url, "/progress", "/login"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    with _store(app).reading() as conn:
        page_id = conn.execute(sa.select(sa.func.min(pages.c.id))).scalar()
    image = client.get(f"/img/page/{page_id}.png")
    assert image.status_code == 200 and image.headers["Cache-Control"] == "private, no-store"
    export = login(app, "quan").get("/admin/export.csv")
    assert export.headers["Cache-Control"] == "private, no-store"
    # The app's own style sheet may be cached.
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")


def test_a_text_longer_than_an_excel_cell_is_cut_with_a_note_never_silently():
    from omr.reports.export import EXCEL_CELL_LIMIT, fit_excel_cell

    assert fit_excel_cell("Cán bộ tận tình") == "Cán bộ tận tình"
    long = "Ý kiến dài " * 4000
    cell = fit_excel_cell(long)
    assert len(cell) <= EXCEL_CELL_LIMIT and cell.startswith("Ý kiến dài")
    missing = len(long) - cell.index(" … [còn ")
    assert f"còn {missing:,}".replace(",", ".") + " ký tự, quá giới hạn một ô Excel" in cell
    assert cell.endswith("đọc đủ trong bản xuất CSV]")


# --- web attack of stop 24 -------------------------------------------------------------------------------

def test_guessing_the_current_password_from_a_borrowed_session_is_throttled_like_a_login(app):
    client = login(app, "lan")
    url = "/account/password"
    answers = [client.post(url, data={"current_password": f"doan-sai-{i}", "new_password": "mat khau moi rat dai 9",
                                      "new_password_again": "mat khau moi rat dai 9",
                                      "csrf_token": csrf_token(client, url)}).status_code for i in range(8)]
    assert answers[0] == 400 and answers[-1] == 429, answers
    # Even the right password now waits: the guesses counted against the account.
    right = client.post(url, data={"current_password": PASSWORDS["lan"], "new_password": "mat khau moi rat dai 9",
                                   "new_password_again": "mat khau moi rat dai 9", "csrf_token": csrf_token(client, url)})
    assert right.status_code == 429 and "thử lại sau" in _text(right)
    assert users.authenticate(_store(app), "lan", PASSWORDS["lan"]) is not None  # unchanged


def test_an_online_answer_opened_by_its_url_shows_no_scan_and_cannot_be_overwritten(app):
    store = _store(app)
    response_id = next(r["id"] for r in store.responses() if r["serial"] == 1)
    with store.reading() as conn:
        answer_id = conn.execute(sa.select(answers_table.c.id).where(
            answers_table.c.response_id == response_id, answers_table.c.question == "B2")).scalar()
    # As the importer stores a respondent's online answer: no page, set by the import.
    store.writing(lambda conn: conn.execute(answers_table.update().where(answers_table.c.id == answer_id).values(
        source_page_id=None, set_by=IMPORTED_BY)))
    client = login(app, "lan")
    url = f"/queue/item/answer/{answer_id}"
    page = client.get(url)
    assert page.status_code == 200 and "không có ảnh quét" in _text(page)
    # The respondent's own answer, never shown as a machine read «hợp lệ (độ tin cậy 100%)».
    assert "người trả lời (nhận trực tuyến)" in _text(page) and "độ tin cậy 100%" not in _text(page)
    item = review.load_item(store, f"answer:{answer_id}")
    posted = client.post(url, data={"choice": "1", "version": item.data["version"], "csrf_token": csrf_token(client, url)})
    assert posted.status_code in (400, 409) and "không nằm trong hàng đợi" in _text(posted)
    assert review.load_item(store, f"answer:{answer_id}").data["set_by"] == IMPORTED_BY


def test_a_user_name_differing_only_in_case_is_refused(app):
    with pytest.raises(OmrError) as refused:
        users.add_user(_store(app), "LAN", "mot mat khau rat dai khac 5")
    assert "«lan»" in refused.value.message


@SQLITE_ONLY  # redirects; the store is plumbing
@pytest.mark.parametrize("going_to, lands_on", [
    ("/queue?kind=comment", "/queue?kind=comment"),  # the page they asked for, its query kept
    ("//evil.example/login", "/"),  # another site: home (for a reviewer, then the queue)
    ("/\\evil.example", "/"),
    ("/login", "/"),  # the login or password page again would look like nothing happened
    ("/account/password", "/"),
])
def test_a_forced_password_change_ends_on_the_page_the_user_was_going_to(app, going_to, lands_on):
    """Fresh-user trial: after the change the address bar stayed on the form's URL and the page asked for
    before the login was lost. The change ends with a redirect to that page (never another site), or home."""
    store = _store(app)
    lan = next(u for u in users.list_users(store) if u.name == "lan")
    users.set_password(store, lan.id, "mat-khau-tam-thoi-9x", changed_by="quan")
    client = app.test_client()
    login_url = f"/login?next={quote(going_to, safe='')}"
    sent = client.post(login_url, data={"name": "lan", "password": "mat-khau-tam-thoi-9x",
                                        "csrf_token": csrf_token(client, login_url)})
    form_url = sent.headers["Location"]
    assert form_url.startswith("/account/password")
    changed = client.post(form_url, data={"current_password": "mat-khau-tam-thoi-9x",
                                          "new_password": "mat khau moi rat dai 9",
                                          "new_password_again": "mat khau moi rat dai 9",
                                          "csrf_token": csrf_token(client, form_url)})
    assert changed.status_code == 303 and changed.headers["Location"] == lands_on
    shown = client.get(lands_on, follow_redirects=True)
    assert shown.status_code == 200 and "Đã đổi mật khẩu" in _text(shown)
    assert shown.request.path.startswith("/queue")


@SQLITE_ONLY  # redirects; the store is plumbing
def test_a_page_opened_before_the_forced_change_is_the_page_after_it(app):
    store = _store(app)
    lan = next(u for u in users.list_users(store) if u.name == "lan")
    users.set_password(store, lan.id, "mat-khau-tam-thoi-9x", changed_by="quan")
    client = logged_in(app, "lan", "mat-khau-tam-thoi-9x")
    asked = client.get("/progress")
    form_url = asked.headers["Location"]
    assert form_url.startswith("/account/password")
    changed = client.post(form_url, data={"current_password": "mat-khau-tam-thoi-9x",
                                          "new_password": "mat khau moi rat dai 9",
                                          "new_password_again": "mat khau moi rat dai 9",
                                          "csrf_token": csrf_token(client, form_url)})
    assert changed.status_code == 303 and changed.headers["Location"] == "/progress"


def test_a_file_over_the_page_bound_is_said_at_upload_with_its_full_stop(app, tmp_path, monkeypatch):
    """A 3000-page PDF said «Đã nhận 1 tệp (2000 trang)» at upload; that pages from 2001 on are not read
    was said only when the job ended, and without its final full stop."""
    import io

    from omr.scan import ingest

    monkeypatch.setattr(ingest.T, "MAX_PAGES_PER_FILE", 3)
    data = _tiff(tmp_path / "many.tif", 5, size=(200, 280)).read_bytes()
    client = login(app, "thu")
    response = client.post("/batches", content_type="multipart/form-data", follow_redirects=True, data={
        "csrf_token": csrf_token(client, "/batches"), "name": "Quý IV",
        "files": (io.BytesIO(data), "tổ 1 cả năm.tif")})
    text = html.unescape(_text(response))
    assert response.status_code == 200 and "Đã nhận 1 tệp (3 trang)" in text
    assert "tổ 1 cả năm.tif: tệp có hơn 3 trang" in text and "từ trang 4 trở đi không đọc" in text
    assert "gửi lại các trang từ 4 trở đi." in text and str(app.config["UPLOADS_DIR"]) not in text


class _BlankWorkers(_FakeWorkers):
    """PageWorkers that read every page as blank, at once."""

    def read(self, task):
        from omr.model import PageResult, PageSource

        return [PageResult(PageSource(task[0], task[1], ""), set_aside="blank")]


def test_a_pdf_over_the_page_bound_says_on_its_job_page_how_many_of_its_pages_are_not_read(
        app, tmp_path, monkeypatch):
    """A 10,000-page PDF was read to page 2000 while its job page said only «… — 2000 trang»: the pages
    not read were said in one flash after the upload, gone at the next refresh (a fresh user's trial)."""
    from PIL import Image

    from omr.scan import batch, ingest
    from omr.web import jobs

    monkeypatch.setattr(ingest.T, "MAX_PAGES_PER_FILE", 3)
    monkeypatch.setattr(batch, "PageWorkers", _BlankWorkers)
    made = tmp_path / "in.pdf"
    frames = [Image.new("L", (200, 280), 255) for _ in range(7)]
    frames[0].save(made, save_all=True, append_images=frames[1:])
    job_id, accepted, _ = jobs.create_job(_store(app), app.config["UPLOADS_DIR"], "Quý IV", None, None,
                                          [("cả năm.pdf", made)], "thu")
    client = login(app, "thu")
    said = ("cả năm.pdf: tệp có 7 trang; chỉ đọc 3 trang đầu (trang 1–3), từ trang 4 trở đi không đọc "
            "(4 trang, trang 4–7). Hãy chia tệp thành nhiều tệp nhỏ hơn (mỗi tệp không quá 3 trang)")
    waiting = html.unescape(re.sub(r"<[^>]+>", "", _text(client.get(f"/batches/jobs/{job_id}"))))
    assert said in waiting and "cả năm.pdf — 3 trang (chỉ phần đầu của tệp được đọc" in waiting
    job = jobs.take_job(_store(app), job_id)
    jobs.read_taken_job(_store(app), job, Path(job["folder"]), "form_templates")
    ended = html.unescape(_text(client.get(f"/batches/jobs/{job_id}")))
    assert ended.count(said) == 1, "said once, not again among the job's messages"
    assert str(app.config["UPLOADS_DIR"]) not in ended


def test_a_jobs_set_aside_pages_are_listed_in_page_order_with_runs_of_blank_pages_in_one_row(app, tmp_path):
    """The job page listed each blank page of an upload as its own row, in the order the workers stored
    them (1, 9, 2, 10, 3, …): 2,000 rows for a file of blank pages (a fresh user's trial)."""
    from omr.model import PageResult, PageSource
    from omr.web import jobs

    job_id = _uploaded_job(app, tmp_path)  # «phiếu chậm.tif» of 3 pages, «tổ 2.tif» of 2
    files = jobs.job_status(_store(app), job_id)["files"]
    store, batch_id = _store(app), _store(app).ensure_batch("Quý IV")
    stored = [(1, 1), (0, 0), (0, 2), (1, 0), (0, 1)]  # (file, page index) in worker order
    for number, index in stored:
        reason = "too_dark" if (number, index) == (0, 1) else "blank"
        store.record_page(batch_id, f"/tmp/{number}.tif", files[number]["sha256"], 1000,
                          PageResult(PageSource(f"/tmp/{number}.tif", index, ""), set_aside=reason))
    page = html.unescape(_text(login(app, "thu").get(f"/batches/jobs/{job_id}")))
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", page)
    assert rows == [("phiếu chậm.tif", "1", "trang trắng"),
                    ("phiếu chậm.tif", "2", SET_ASIDE_REASONS["too_dark"]),
                    ("phiếu chậm.tif", "3", "trang trắng"),
                    ("tổ 2.tif", "1–2", "trang trắng")]
    assert "Trang để riêng (5)" in page


def test_an_unsure_read_is_said_as_unsure_never_as_a_blank_or_a_value_proposed(app):
    """A circled box (ambiguous, no value) showed «Máy đọc: (trống) — không chắc chắn (64%)»: a reviewer
    could take «trống» for the machine's proposal (a fresh user's trial)."""
    store = _store(app)
    batch = store.ensure_batch("dot-tan-cong")
    record(store, batch, page_result(2, 1, dict(PAGE1, B1=None), path="s2.pdf", statuses={"B1": AMBIGUOUS}))
    with store.reading() as conn:
        ids = dict(conn.execute(sa.select(responses.c.serial, answers_table.c.id)
                                .join(responses, responses.c.id == answers_table.c.response_id)
                                .where(answers_table.c.question == "B1")).all())
    client = login(app, "lan")
    for serial, proposal in ((2, "không có gợi ý"), (1, "có thể là 5")):
        page = html.unescape(re.sub(r"<[^>]+>", "", _text(client.get(f"/queue/item/answer/{ids[serial]}"))))
        said = re.search(r"Máy đọc: ([^\n]*)", page).group(1)
        assert said.startswith(f"không chắc chắn — {proposal}"), said
        assert "(trống)" not in said
