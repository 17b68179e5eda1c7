"""The review queue, claims, audited writes and progress, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, page_result, record, set_aside_result

from omr import tuning as T
from omr.data import review
from omr.data.schema import answers, claims, comments, pages, stored_time, units
from omr.data.store import StaleWriteError, database_url, open_store
from omr.model import AMBIGUOUS, BLANK, MULTIPLE, OK


def _sheet(store, batch_id, serial, *, path=None, statuses=None, page1=None, unit="30001"):
    answers = dict(page1 or PAGE1)
    record(store, batch_id, page_result(serial, 1, answers, path=path or f"s{serial}.pdf", unit=unit,
                                        statuses=statuses))
    record(store, batch_id, page_result(serial, 2, PAGE2, path=path or f"s{serial}.pdf", index=1, unit=unit))


def _response_id(store, serial):
    return next(r["id"] for r in store.responses() if r["serial"] == serial)


def _add_comment(store, response_id, field, *, priority=0.0, status="pending", draft="ý kiến"):
    with store.reading() as conn:
        page_id = conn.execute(sa.select(pages.c.id).where(pages.c.serial.is_not(None)).limit(1)).scalar()

    def work(conn):
        return conn.execute(comments.insert().values(
            response_id=response_id, page_id=page_id, field=field, inked=status != "blank", ink_mm2=40.0,
            x=10, y=200, w=190, h=20, crop_png=None, draft_text=draft, draft_confidence=40.0, likely_correct=False,
            review_priority=priority, status=status, flags="[]", updated_at=datetime.now(timezone.utc))
        ).inserted_primary_key[0]
    return store.writing(work)


@pytest.fixture
def queue_store(store):
    """Two batches: sheet 1 with an ambiguous and a multiple answer, sheet 2 (another unit) with one
    ambiguous answer, sheet 3 clean; a qr-unreadable page, a blank page, two pending comments."""
    b1 = store.ensure_batch("dot-1")
    b2 = store.ensure_batch("dot-2")
    _sheet(store, b1, 1, statuses={"B1": AMBIGUOUS, "B2": MULTIPLE}, page1={**PAGE1, "B2": ["4", "5"]})
    _sheet(store, b2, 2, statuses={"A2": AMBIGUOUS}, unit="30002")
    _sheet(store, b1, 3)
    lost_qr = page_result(9, 1, PAGE1, path="lost.pdf")
    lost_qr.set_aside, lost_qr.serial, lost_qr.detail = "qr_unreadable", None, "nhận dạng theo bố cục"
    record(store, b1, lost_qr)
    record(store, b1, set_aside_result("blank", path="blank.pdf"))
    low = _add_comment(store, _response_id(store, 1), "H3", priority=0.2)
    high = _add_comment(store, _response_id(store, 3), "H4", priority=0.9)
    _add_comment(store, _response_id(store, 3), "H3", status="blank")
    return store, b1, b2, (low, high)


def _keys_in_order(store, who="lan", flt=None):
    """Claim everything in queue order (each claim held), return the keys."""
    keys = []
    flt = flt or review.QueueFilter()
    while (key := review.claim_next(store, who, flt, skip=set(keys))) is not None:
        keys.append(key)
    return keys


def test_queue_holds_doubtful_marks_unidentified_pages_and_inked_comments(queue_store):
    store, b1, b2, (low, high) = queue_store
    keys = _keys_in_order(store)
    kinds = [k.split(":")[0] for k in keys]
    # Unidentified page first (its answers join the queue once it has a serial), then marks, then comments.
    assert kinds == ["page", "answer", "answer", "answer", "comment", "comment"]
    # Comments by review priority, highest first; the blank comment and the blank page are not asked about.
    assert keys[-2:] == [f"comment:{high}", f"comment:{low}"]
    assert review.queue_counts(store) == {"mark": 3, "misaligned": 0, "page": 1, "comment": 2, "conflict": 0,
                                         "duplicate": 0, "incomplete": 0, "empty": 0}


def test_queue_filters_by_batch_unit_and_kind(queue_store):
    store, b1, b2, _ = queue_store
    assert review.queue_counts(store, review.QueueFilter(batch_id=b2))["mark"] == 1
    assert review.queue_counts(store, review.QueueFilter(unit="30001"))["mark"] == 2
    only_pages = _keys_in_order(store, flt=review.QueueFilter(kind="page"))
    assert [k.split(":")[0] for k in only_pages] == ["page"]
    in_b2 = _keys_in_order(store, who="minh", flt=review.QueueFilter(batch_id=b2, kind="mark"))
    item = review.load_item(store, in_b2[0])
    assert (len(in_b2), item.serial, item.data["question"], item.unit) == (1, 2, "A2", "30002")


def test_the_unit_filter_counts_queue_items_not_sheets(queue_store):
    store, _, b2, _ = queue_store
    # 30001 holds 2 sheets (1 and 3); waiting there: 2 marks, 2 comments and the set-aside page = 5 items.
    assert review.units(store) == [("30001", 2), ("30002", 1)]
    assert review.queue_units(store) == [("30001", 5), ("30002", 1)]
    assert review.queue_units(store, review.QueueFilter(kind="comment")) == [("30001", 2)]
    assert review.queue_units(store, review.QueueFilter(batch_id=b2)) == [("30002", 1)]
    # Each unit's count is what the queue holds when filtered to it.
    for unit, n in review.queue_units(store):
        assert sum(review.queue_counts(store, review.QueueFilter(unit=unit)).values()) == n
    # The chosen unit stays in the list at 0 once its items are done.
    assert review.queue_units(store, review.QueueFilter(unit="30002", kind="comment")) == [("30001", 2),
                                                                                       ("30002", 0)]


def test_a_decision_is_audited_leaves_the_queue_and_survives_a_rescan(queue_store):
    store, b1, *_ = queue_store
    key = review.claim_next(store, "lan", review.QueueFilter(kind="mark"))
    item = review.load_item(store, key)
    assert item.data["question"] == "B1" and item.data["status"] == AMBIGUOUS
    review.resolve_answer(store, item.entity_id, "lan", "4", OK, expected=item.data["version"],
                          reason="dấu X mờ ở ô 4")
    assert review.queue_counts(store)["mark"] == 2
    history = review.response_history(store, item.response_id)
    assert len(history) == 1
    change = history[0]
    assert (change["who"], change["entity"], change["field"], change["reason"]) == ("lan", "answer", "B1",
                                                                                     "dấu X mờ ở ô 4")
    machine_confidence = change["old"].pop("confidence")  # kept: a reopened item shows the machine's read
    assert change["old"] == {"value": "5", "status": AMBIGUOUS, "set_by": "machine"}
    assert isinstance(machine_confidence, float) and 0 <= machine_confidence < 1
    assert change["new"] == {"value": "4", "status": OK}
    assert change["at"] is not None
    # Reopened, the item shows the machine's read as it was beside the person's value and who set it.
    reopened = review.load_item(store, key)
    assert (reopened.data["value"], reopened.data["set_by"]) == ("4", "lan")
    assert reopened.data["machine_read"] == {"value": "5", "status": AMBIGUOUS,
                                             "confidence": item.data["confidence"]}
    assert reopened.data["last_change"] == {"who": "lan", "at": stored_time(change["at"])}
    # The same sheet scanned again from another file: the person's value stays.
    record(store, b1, page_result(1, 1, {**PAGE1, "B1": "2"}, path="rescan.pdf",
                                  statuses={"B1": AMBIGUOUS}))
    sheet = next(r for r in store.responses() if r["serial"] == 1)
    assert sheet["answers"]["B1"][:2] == ("4", OK) and sheet["set_by"]["B1"] == "lan"


def test_a_stale_write_is_refused_and_the_first_change_kept(queue_store):
    store, *_ = queue_store
    key = review.claim_next(store, "lan", review.QueueFilter(kind="mark"))
    seen_by_both = review.load_item(store, key)
    review.resolve_answer(store, seen_by_both.entity_id, "lan", "3", OK, expected=seen_by_both.data["version"])
    # minh opened the same item before lan saved (say lan's claim had expired).
    with pytest.raises(StaleWriteError) as refused:
        review.resolve_answer(store, seen_by_both.entity_id, "minh", None, BLANK,
                              expected=seen_by_both.data["version"])
    assert "lan" in refused.value.message and "chưa được lưu" in refused.value.message
    now = review.load_item(store, key)
    assert (now.data["value"], now.data["set_by"]) == ("3", "lan")
    assert len(review.response_history(store, now.response_id)) == 1


def test_two_reviewers_never_hold_the_same_item(queue_store):
    store, *_ = queue_store
    first = review.claim_next(store, "lan", review.QueueFilter(kind="mark"))
    second = review.claim_next(store, "minh", review.QueueFilter(kind="mark"))
    assert first != second and review.holder(store, first) == "lan"
    # minh cannot write an item lan holds, even with the right version.
    lan_item = review.load_item(store, first)
    with pytest.raises(review.ClaimedError):
        review.resolve_answer(store, lan_item.entity_id, "minh", "1", OK, expected=lan_item.data["version"])
    assert review.load_item(store, first).data["set_by"] == "machine"


def test_an_expired_claim_frees_the_item(queue_store):
    store, *_ = queue_store
    key = review.claim_next(store, "lan", review.QueueFilter(kind="page"))
    assert review.claim_next(store, "minh", review.QueueFilter(kind="page")) is None
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    store.writing(lambda conn: conn.execute(claims.update().where(claims.c.item == key).values(expires_at=past)))
    assert review.claim_next(store, "minh", review.QueueFilter(kind="page")) == key


def test_reviewers_racing_for_the_next_item_get_different_items(store_url):
    with open_store(store_url) as store:
        batch = store.ensure_batch("race")
        for serial in range(1, 5):
            _sheet(store, batch, serial, statuses={"B1": AMBIGUOUS})
    got: dict[str, str | None] = {}
    barrier = threading.Barrier(4)

    def reviewer(name):
        with open_store(store_url) as own:  # each reviewer a connection pool of its own, as separate servers
            barrier.wait()
            got[name] = review.claim_next(own, name)

    threads = [threading.Thread(target=reviewer, args=(f"r{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert None not in got.values() and len(set(got.values())) == 4


def test_assigning_an_unidentified_page_reads_it_into_its_sheet(queue_store, catalogue):
    store, *_ = queue_store
    key = review.claim_next(store, "lan", review.QueueFilter(kind="page"))
    item = review.load_item(store, key)
    assert (item.data["set_aside"], item.data["form_id"], item.data["page"]) == ("qr_unreadable", "motcua-2026", 1)
    # The page's boxes were read for page 1: it cannot be filed as page 2.
    with pytest.raises(review.ReviewError):
        review.assign_page(store, catalogue, item.entity_id, "lan", "motcua-2026", 1, 2, 42)
    store.writing(lambda conn: conn.execute(units.insert().values(code="30001", name="Phường 1", kind="phường")))
    outcome = review.assign_page(store, catalogue, item.entity_id, "lan", "motcua-2026", 1, 1, 42, unit="30001",
                                 reason="số phiếu viết tay ở góc")
    assert outcome == "new"
    sheet = next(r for r in store.responses() if r["serial"] == 42)
    assert sheet["answers"]["A2"][:2] == ("1", OK) and sheet["answers"]["B1"][:2] == ("5", OK)
    assert review.queue_counts(store)["page"] == 0
    assert store.summary()["pages_set_aside"] == {"blank": 1}
    change = review.response_history(store, sheet["id"])[0]
    assert change["new"]["serial"] == 42 and change["old"]["set_aside"] == "qr_unreadable"


def test_rejecting_a_page_takes_it_out_of_the_queue(queue_store):
    store, *_ = queue_store
    key = review.claim_next(store, "lan", review.QueueFilter(kind="page"))
    review.reject_page(store, int(key.split(":")[1]), "lan", reason="trang bìa")
    assert review.queue_counts(store)["page"] == 0
    with pytest.raises(StaleWriteError):
        store.reject_page(int(key.split(":")[1]), "minh")


def test_a_transcription_is_audited_and_flagged(queue_store):
    store, b1, b2, (low, high) = queue_store
    key = review.claim_next(store, "lan", review.QueueFilter(kind="comment"))
    assert key == f"comment:{high}"
    item = review.load_item(store, key)
    review.transcribe_comment(store, high, "lan", "Cán bộ <b>nhũng nhiễu</b>, không hách dịch",
                              expected=item.data["version"])
    after = review.load_item(store, key)
    assert after.data["status"] == "reviewed" and after.data["reviewed_by"] == "lan"
    # Flags from the person's text; the negated term is not shown as one.
    assert [f["term"] for f in after.data["flags"]] == ["nhũng nhiễu"]
    change = review.response_history(store, item.response_id)[-1]
    # The machine's draft the person replaced is kept in the audit record.
    assert change["old"] == {"text": None, "status": "pending", "flags": [], "draft": "ý kiến"}
    assert change["new"]["flags"] == ["nhũng nhiễu"]
    assert change["new"]["text"].startswith("Cán bộ <b>")
    with pytest.raises(StaleWriteError):
        review.transcribe_comment(store, high, "minh", "khác", expected=item.data["version"])


def test_accepting_an_unaccented_draft_keeps_its_flag_and_a_dropped_flag_is_audited(queue_store):
    from omr.text.lexicon import find_terms, flags_json

    store, *_ = queue_store
    draft = "Phai di lai nhieulan moi xong ho so."
    drafted = find_terms(draft, source="draft")
    assert [m.term for m in drafted] == ["đi lại nhiều lần"]  # the OCR draft's loose match
    comment = _add_comment(store, _response_id(store, 2), "H4", priority=2.0, draft=draft)
    store.writing(lambda conn: conn.execute(comments.update().where(comments.c.id == comment)
                                            .values(flags=flags_json(drafted))))
    key = f"comment:{comment}"
    assert review.claim(store, key, "lan")
    item = review.load_item(store, key)
    # The reviewer presses Enter: the draft's text, unchanged and without diacritics, is saved.
    review.transcribe_comment(store, comment, "lan", item.data["draft_text"], expected=item.data["version"])
    after = review.load_item(store, key)
    assert [f["term"] for f in after.data["flags"]] == ["đi lại nhiều lần"]
    assert review.flags_dropped(item.data["flags"], item.data["draft_text"]) == []
    # A later edit that removes the complaint drops the flag: visible in the audit trail, old and new.
    assert review.claim(store, key, "minh")
    text = "Cán bộ hướng dẫn tận tình."
    assert review.flags_dropped(after.data["flags"], text) == ["đi lại nhiều lần"]
    review.transcribe_comment(store, comment, "minh", text, expected=after.data["version"], reason="đọc lại ảnh")
    change = review.response_history(store, item.response_id)[-1]
    assert change["old"]["flags"] == ["đi lại nhiều lần"] and change["new"]["flags"] == []
    # Typed with diacritics, the person's own marks decide: "những nhiều" is not "nhũng nhiễu".
    assert [m.term for m in find_terms("Nhân viên những nhiều việc", source="text")] == []


def test_progress_per_batch_and_per_reviewer(queue_store):
    store, b1, b2, _ = queue_store
    before = {b["name"]: b for b in review.batch_progress(store)}
    # dot-1: sheets 1 and 3 (10 answers each), 2 to review, plus 2 comments and 1 unidentified page.
    assert before["dot-1"]["pending"] == 2 + 2 + 1
    assert before["dot-1"]["auto_accepted"] == 20 - 2
    assert before["dot-2"]["pending"] == 1 and before["dot-1"]["reviewed"] == 0
    for _ in range(2):
        item = review.load_item(store, review.claim_next(store, "lan", review.QueueFilter(batch_id=b1, kind="mark")))
        review.resolve_answer(store, item.entity_id, "lan", "3", OK, expected=item.data["version"])
    after = {b["name"]: b for b in review.batch_progress(store)}
    assert (after["dot-1"]["pending"], after["dot-1"]["reviewed"]) == (3, 2)
    (lan,) = review.reviewer_progress(store)
    # Two answers a moment apart: no rate yet (it would be thousands per hour).
    assert lan["who"] == "lan" and lan["decided"] == 2 and lan["per_hour"] is None and lan["hours"] > 0


def test_items_per_hour_counts_working_time_only():
    start = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
    steady = [start + timedelta(seconds=10 * i) for i in range(60)]  # one item every 10 s
    hours, rate = review.items_per_hour(steady)
    assert rate == pytest.approx(360, rel=0.02)
    # A lunch break between two such stretches does not halve the rate.
    after_lunch = [t + timedelta(hours=2) for t in steady]
    _, rate_with_break = review.items_per_hour(steady + after_lunch)
    assert rate_with_break > 250  # the 2-hour gap counts as one 5-minute pause (else ~57 per hour)


def test_items_per_hour_waits_for_a_sensible_span():
    """A reviewer's first minute: 3 items in 20 s would be 540 per hour; no rate is shown until enough work."""
    start = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
    first_minute = [start + timedelta(seconds=s) for s in (0, 10, 20)]
    hours, rate = review.items_per_hour(first_minute)
    assert rate is None and hours * 60 < 1
    # One item every 20 s: after the minimum working time the rate is shown, and it is the true 180 per hour.
    minimum = timedelta(minutes=T.RATE_MIN_WORKED_MINUTES)
    steady = [start + timedelta(seconds=20 * i) for i in range(int(minimum.total_seconds() // 20) + 1)]
    _, rate = review.items_per_hour(steady)
    assert rate == pytest.approx(180, rel=0.05)
    _, rate = review.items_per_hour(steady[: len(steady) // 2])
    assert rate is None


def test_an_answer_to_review_is_never_shown_as_certain(store):
    """A database written before confidences were calibrated holds answers to review at confidence 1.0;
    the review page must not say "không chắc chắn (độ tin cậy 100%)" (issue #14)."""
    from omr import tuning as T

    batch = store.ensure_batch("dot-cu")
    record(store, batch, page_result(9, 1, {"A2": "1", "A3": "2"}, statuses={"A3": AMBIGUOUS}))
    with store.reading() as conn:
        answer_id, response_id = conn.execute(sa.select(answers.c.id, answers.c.response_id)
                                              .where(answers.c.question == "A3")).first()
    store.writing(lambda conn: conn.execute(answers.update().where(answers.c.id == answer_id)
                                            .values(confidence=1.0)))  # as an old database holds it
    shown = review.load_item(store, f"answer:{answer_id}").data["confidence"]
    assert shown <= max(p for _, p in T.CONFIDENCE_BY_STATUS["ambiguous"]) < 0.7
    with store.reading() as conn:
        ok_id = conn.execute(sa.select(answers.c.id).where(answers.c.question == "A2")).scalar()
    assert review.load_item(store, f"answer:{ok_id}").data["confidence"] == pytest.approx(0.95)


def test_assigning_a_page_audits_the_unit_it_was_given(queue_store, catalogue):
    store, *_ = queue_store
    key = review.claim_next(store, "lan", review.QueueFilter(kind="page"))
    store.writing(lambda conn: conn.execute(units.insert().values(code="30002", name="Phường 2", kind="phường")))
    review.assign_page(store, catalogue, int(key.split(":")[1]), "lan", "motcua-2026", 1, 1, 43, unit="30002")
    sheet = next(r for r in store.responses() if r["serial"] == 43)
    change = review.response_history(store, sheet["id"])[0]
    assert change["new"]["unit"] == "30002" and "unit" in change["old"]


def test_a_reviewer_holds_one_item_at_a_time_so_opening_urls_cannot_hoard_the_queue(queue_store):
    store, *_ = queue_store
    first, second = _keys_in_order(store, "lan", review.QueueFilter(kind="mark"))[:2]
    assert review.claim(store, first, "lan") and review.holder(store, first) == "lan"
    assert review.claim(store, second, "lan")  # the next item opened, as by its URL
    assert review.holder(store, first) is None and review.holder(store, second) == "lan"
    assert review.claim_next(store, "minh", review.QueueFilter(kind="mark")) == first


@pytest.mark.parametrize("store_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_rejection_waits_for_an_assignment_in_progress_and_is_then_refused(queue_store, store_url):
    """Two tabs: "assign" and "reject" on one page at the same moment. The rejection must wait for the
    assignment's lock and then find the page decided (before: both passed, the page was in a sheet AND
    listed as rejected)."""
    store, *_ = queue_store
    page_id = int(review.claim_next(store, "lan", review.QueueFilter(kind="page")).split(":")[1])
    outcome = {}
    engine = sa.create_engine(database_url(store_url))
    with engine.connect() as other:
        tx = other.begin()
        # As assign_page holds it: the page row locked, set aside no more, not yet committed.
        other.execute(sa.select(pages.c.id).where(pages.c.id == page_id).with_for_update())
        other.execute(pages.update().where(pages.c.id == page_id).values(set_aside=None))

        def reject():
            try:
                store.reject_page(page_id, "lan")
                outcome["result"] = "rejected"
            except StaleWriteError:
                outcome["result"] = "stale"

        thread = threading.Thread(target=reject)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive(), "the rejection did not wait for the page's lock"
        tx.commit()
    thread.join(30)
    engine.dispose()
    assert outcome["result"] == "stale"
