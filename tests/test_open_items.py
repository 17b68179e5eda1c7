"""What is left to review is counted by one function, and said the same in the queue, the report, the period
close, the job page and the progress page (every kind of open item, not only answers and comments)."""

from __future__ import annotations

import io
import sys
from datetime import date

import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, page_result, record
from test_review import _add_comment

from omr.cli import main
from omr.data import review
from omr.data.schema import POSSIBLE_DUPLICATE, period_closures, responses
from omr.data.store import open_store
from omr.model import AMBIGUOUS
from omr.reports.figures import UnreviewedItemsError, build, close_period

EVERY_KIND = {review.MARK: 1, review.MISALIGNED: 2, review.PAGE: 1, review.COMMENT: 1, review.CONFLICT: 1,
              review.DUPLICATE: 1, review.INCOMPLETE: 1}


def _sheet(store, batch, serial, page1=None, *, statuses=None, path=None):
    path = path or f"s{serial}.pdf"
    record(store, batch, page_result(serial, 1, {**PAGE1, "A1": "2025-08-01", **(page1 or {})}, path=path,
                                     statuses=statuses))
    record(store, batch, page_result(serial, 2, PAGE2, path=path, index=1))


def every_kind(store, *, dated=True):
    """One or two open items of every kind in a batch collected in 2025-Q3 (or with no dates)."""
    batch = store.ensure_batch("dot-q3", *(("2025-07-01", "2025-09-14") if dated else ()))
    _sheet(store, batch, 1, statuses={"B1": AMBIGUOUS})  # a doubtful mark
    tilted = page_result(2, 1, {**PAGE1, "A1": "2025-08-01"}, path="s2.pdf",
                         statuses={"B1": AMBIGUOUS, "B2": AMBIGUOUS})
    tilted.detail = "misaligned: 2,4 mm"  # every answer of a badly aligned page goes to a person
    record(store, batch, tilted)
    record(store, batch, page_result(2, 2, PAGE2, path="s2.pdf", index=1))
    _sheet(store, batch, 3)  # serial 3 twice, different marks: a serial conflict
    assert record(store, batch, page_result(3, 1, {**PAGE1, "A1": "2025-08-01", "B1": "1"}, path="t3.pdf")) \
        == "conflict"
    record(store, batch, page_result(3, 2, {**PAGE2, "H1": "2"}, path="t3.pdf", index=1))
    record(store, batch, page_result(4, 1, {**PAGE1, "A1": "2025-08-01"}, path="s4.pdf"))  # page 2 never came
    unread = page_result(5, 2, PAGE2, path="lost.pdf")  # an unidentified page
    unread.set_aside, unread.serial = "qr_unreadable", None
    record(store, batch, unread)
    _sheet(store, batch, 5)
    _sheet(store, batch, 6)
    store.writing(lambda conn: conn.execute(responses.update().where(responses.c.serial == 6)
                                            .values(flags=POSSIBLE_DUPLICATE)))
    with store.reading() as conn:
        one = conn.execute(sa.select(responses.c.id).where(responses.c.serial == 5)).scalar()
    _add_comment(store, one, "H4")
    return batch


@pytest.fixture
def open_store_url(store_url, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    with open_store(store_url) as store:
        every_kind(store)
    return store_url


def test_the_one_count_has_every_kind_and_matches_what_the_queue_hands_out(open_store_url):
    with open_store(open_store_url) as store:
        waiting = review.open_items(store)
        assert waiting.counts == {**{k: 0 for k in review.KINDS}, **EVERY_KIND}
        assert waiting.total == 8 and review.queue_counts(store) == waiting.counts
        handed = []
        while (key := review.claim_next(store, "lan", skip=set(handed))) is not None:
            handed.append(key)
        assert len(handed) == waiting.total
        assert waiting.text() == ("1 câu cần xem lại ô đánh dấu, 2 câu trên trang bị lệch, 1 trang chưa nhận dạng, "
                                  "1 ý kiến viết tay, 1 nhóm tờ trùng số phiếu, 1 tờ có thể là bản quét lại, "
                                  "1 phiếu thiếu trang")


def test_a_period_holds_its_own_items_only(open_store_url):
    with open_store(open_store_url) as store:
        q3 = review.open_items(store, period=review.Period(date(2025, 6, 15), date(2025, 9, 14)))
        q4 = review.open_items(store, period=review.Period(date(2025, 9, 15), date(2025, 12, 14)))
        assert q3.counts == review.open_items(store).counts and not q4
        # A response the report dates in Q4 (its form says so) moves its items there, whatever its batch.
        moved = next(r["id"] for r in store.responses() if r["serial"] == 1)
        q4 = review.open_items(store, period=review.Period(date(2025, 9, 15), date(2025, 12, 14),
                                                           responses=frozenset({moved})))
        assert q4.by_kind() == [(review.MARK, 1)]
        q3 = review.open_items(store, period=review.Period(date(2025, 6, 15), date(2025, 9, 14),
                                                           elsewhere=frozenset({moved})))
        assert q3.counts[review.MARK] == 0 and q3.total == 7
        # A unit's report counts its own unit's items.
        assert not review.open_items(store, period=review.Period(date(2025, 6, 15), date(2025, 9, 14),
                                                                 units=frozenset({"29999"})))


def test_undated_batches_are_mentioned_in_every_period(store_url):
    with open_store(store_url) as store:
        every_kind(store, dated=False)
        for start, end in ((date(2025, 6, 15), date(2025, 9, 14)), (date(2026, 3, 15), date(2026, 6, 14))):
            assert review.open_items(store, period=review.Period(start, end)).counts == \
                review.open_items(store).counts


def test_the_report_states_every_kind_left_to_review(open_store_url, capsys, tmp_path):
    with open_store(open_store_url) as store:
        report = build(store, "2025-Q3")
    assert report.awaiting_review == 8 and report.review["open"].counts[review.CONFLICT] == 1
    out = tmp_path / "r.html"
    assert main(["report", "--period", "2025-Q3", "--db", open_store_url, "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "còn 8 mục chưa kiểm tra (1 câu cần xem lại ô đánh dấu, 2 câu trên trang bị lệch" in printed
    html = out.read_text(encoding="utf-8")
    assert "CÒN 8 MỤC CHƯA KIỂM TRA" in html and "1 nhóm tờ trùng số phiếu" in html
    with open_store(open_store_url) as store:
        assert build(store, "2025-Q4").awaiting_review == 0


def test_closing_a_period_with_only_conflicts_and_set_aside_pages_open_lists_them(store_url, repo_root, monkeypatch,
                                                                                     capsys):
    """Answers and comments all done: a period with a serial conflict and an unidentified page still asks."""
    monkeypatch.chdir(repo_root)
    with open_store(store_url) as store:
        batch = store.ensure_batch("dot-q3", "2025-07-01", "2025-09-14")
        _sheet(store, batch, 3)
        record(store, batch, page_result(3, 1, {**PAGE1, "A1": "2025-08-01", "B1": "1"}, path="t3.pdf"))
        record(store, batch, page_result(3, 2, {**PAGE2, "H1": "2"}, path="t3.pdf", index=1))
        unread = page_result(5, 2, PAGE2, path="s5.pdf", index=1)
        unread.set_aside, unread.serial = "qr_unreadable", None
        record(store, batch, unread)
        with pytest.raises(UnreviewedItemsError) as refused:
            close_period(store, "2025-Q3", who="truongphong")
        assert refused.value.open.by_kind() == [(review.PAGE, 1), (review.CONFLICT, 1)]
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["period", "close", "2025-Q3", "--db", store_url]) == 2
    err = capsys.readouterr().err
    assert "còn 2 mục chưa kiểm tra (1 trang chưa nhận dạng, 1 nhóm tờ trùng số phiếu)" in err and "--force" in err
    with open_store(store_url) as store, store.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(period_closures)).scalar() == 0
    assert main(["period", "close", "2025-Q3", "--db", store_url, "--force", "--by", "tp"]) == 0
    assert "đã chốt khi còn 2 mục chưa kiểm tra (1 trang chưa nhận dạng, 1 nhóm tờ trùng số phiếu)" in \
        capsys.readouterr().out


def test_batch_progress_counts_what_the_batch_has_in_the_queue(open_store_url):
    with open_store(open_store_url) as store:
        batch = next(b for b in review.batch_progress(store) if b["name"] == "dot-q3")
        assert batch["pending"] == 8 == review.open_items(store, review.QueueFilter(batch_id=batch["id"])).total
        assert batch["open"].counts[review.CONFLICT] == 1


def test_a_serial_conflict_counts_in_the_batch_of_each_of_its_sheets(store_url, repo_root, monkeypatch):
    """A new upload whose sheet carries a serial stored before: its job page must count the conflict."""
    monkeypatch.chdir(repo_root)
    with open_store(store_url) as store:
        first, upload = store.ensure_batch("dot-truoc"), store.ensure_batch("dot-tai-len")
        _sheet(store, first, 7)
        assert record(store, upload, page_result(7, 1, {**PAGE1, "A1": "2025-08-01", "B1": "1"}, path="u7.pdf")) \
            == "conflict"
        record(store, upload, page_result(7, 2, {**PAGE2, "H1": "2"}, path="u7.pdf", index=1))
        for batch in (first, upload):
            assert review.open_items(store, review.QueueFilter(batch_id=batch)).counts[review.CONFLICT] == 1
            assert review.claim_next(store, "lan", review.QueueFilter(batch_id=batch, kind=review.CONFLICT))
            review.release(store, review.claim_next(store, "lan", review.QueueFilter(batch_id=batch)), "lan")
        progress = {b["name"]: b["open"].counts[review.CONFLICT] for b in review.batch_progress(store)}
        assert progress == {"dot-truoc": 1, "dot-tai-len": 1}
        assert review.open_items(store).counts[review.CONFLICT] == 1  # one item, not one per batch
