"""Issue #14: a sheet with a missing page never looks complete; two sheets with one serial reach a person."""

from __future__ import annotations

import csv

import pytest
from db_fixtures import PAGE1, PAGE2, page_result, record

from omr.data import completeness, review
from omr.data.schema import SERIAL_CONFLICT
from omr.data.store import StaleWriteError
from omr.forms.template import parse_template
from omr.model import MISSING_PAGE
from omr.reports.dataset import catalogue_lookup, collect
from omr.reports.export import export_responses


def _dataset(store, repo_root):
    return {r["serial"]: r for r in collect(store, catalogue_lookup(repo_root / "form_templates")).records}


def _response_ids(store, serial):
    return [r["id"] for r in store.responses() if r["serial"] == serial]


@pytest.fixture
def half_sheets(store):
    """Sheet 1 complete; sheet 2 has only page 1 (page 2 was set aside); sheet 3 only page 2."""
    batch = store.ensure_batch("dot-1")
    record(store, batch, page_result(1, 1, PAGE1, path="s1.pdf"))
    record(store, batch, page_result(1, 2, PAGE2, path="s1.pdf", index=1))
    record(store, batch, page_result(2, 1, PAGE1, path="s2.pdf"))
    lost = page_result(2, 2, PAGE2, path="s2.pdf", index=1)
    lost.set_aside, lost.serial = "qr_unreadable", None
    record(store, batch, lost)
    record(store, batch, page_result(3, 2, PAGE2, path="s3.pdf", index=1))
    return store, batch


def test_a_missing_page_marks_only_its_own_forms_questions(half_sheets, repo_root):
    """Another form's columns stay empty on an incomplete sheet (a new user's export marked an office form's
    questions "trang thiếu" on a motcua sheet missing its page 2)."""
    store, batch = half_sheets
    other = page_result(7, 1, {"Q1": "2"}, path="office.png", form_id="phieu-xa", unit="30001")
    record(store, batch, other, pages_expected=1)
    motcua = catalogue_lookup(repo_root / "form_templates")
    office = parse_template("""form: phieu-xa
version: 1
title: Phiếu của xã
groups:
  - id: A
    title: Chung
    questions:
      - {id: Q1, text: "Câu 1", type: single, options: [{code: "1", label: Có}, {code: "2", label: Không}]}
""")
    rows = {r["serial"]: r for r in collect(store, lambda f, v: office if f == "phieu-xa" else motcua(f, v)).records}
    two = rows["000002"]
    assert two["status"]["D1"] == MISSING_PAGE, "its own page-2 question still waits on the page"
    assert two["status"]["Q1"] is None and two["answers"]["Q1"] is None, two["status"]["Q1"]


def test_missing_page_is_incomplete_in_export_not_blank(half_sheets, repo_root):
    store, _ = half_sheets
    rows = _dataset(store, repo_root)
    assert rows["000001"]["completeness"] == "complete" and rows["000001"]["missing_pages"] == []
    two = rows["000002"]
    assert two["completeness"] == "incomplete" and two["missing_pages"] == [2]
    # Every question of page 2 says why it has no value; page 1's keep theirs.
    assert two["status"]["D1"] == MISSING_PAGE and two["answers"]["D1"] is None
    assert two["status"]["H2"] == MISSING_PAGE
    assert two["status"]["B1"] == "ok" and two["answers"]["B1"] == "5"
    # A question page 1 has but the test's page 1 did not read is still missing, not blank.
    assert all(status != "blank" for qid, status in two["status"].items() if two["answers"][qid] is None)
    # The sheet waits for a person (assign the page or declare it lost).
    assert two["review"] == "pending" and two["to_review"] >= 1
    three = rows["000003"]
    assert three["missing_pages"] == [1] and three["status"]["B1"] == MISSING_PAGE


def test_csv_export_shows_completeness(half_sheets, repo_root, tmp_path):
    store, _ = half_sheets
    out = tmp_path / "export.csv"
    export_responses(store, "csv", out, catalogue_lookup(repo_root / "form_templates"))
    with out.open(encoding="utf-8-sig") as fh:
        rows = {r["serial"]: r for r in csv.DictReader(fh)}
    assert rows["000002"]["completeness"] == "incomplete"
    assert rows["000002"]["missing_pages"] == "2"
    assert rows["000002"]["D1_status"] == "missing_page"
    assert rows["000001"]["completeness"] == "complete" and rows["000001"]["D1_status"] == "ok"


def test_labelled_export_never_shows_a_missing_page_as_empty_answers(half_sheets, repo_root, tmp_path):
    """The Vietnamese CSV a user opens: page-2 answers of sheet 2 say «(trang thiếu)», a blank stays empty."""
    store, batch = half_sheets
    record(store, batch, page_result(4, 1, {**PAGE1, "B2": None}, path="s4.pdf"))
    record(store, batch, page_result(4, 2, PAGE2, path="s4.pdf", index=1))
    out = tmp_path / "export.csv"
    export_responses(store, "csv", out, catalogue_lookup(repo_root / "form_templates"), labels=True)
    with out.open(encoding="utf-8-sig") as fh:
        rows = {r["Số phiếu"]: r for r in csv.DictReader(fh)}
    d1 = next(h for h in rows["000002"] if h.startswith("D1. "))
    b2 = next(h for h in rows["000004"] if h.startswith("B2. "))
    assert rows["000002"][d1] == "(trang thiếu)" and rows["000001"][d1] == "Rất hài lòng"
    assert rows["000004"][b2] == "" and rows["000004"]["B2 – trạng thái"] == "để trống"


def test_incomplete_sheet_is_queued_until_a_person_decides(half_sheets, repo_root):
    store, _ = half_sheets
    two, three = _response_ids(store, 2)[0], _response_ids(store, 3)[0]
    counts = review.queue_counts(store, review.QueueFilter(kind=review.INCOMPLETE))
    assert counts[review.INCOMPLETE] == 2
    item = review.load_item(store, f"response:{two}")
    assert item.kind == review.INCOMPLETE and item.data["missing"] == [2] and item.data["pending"]
    # The set-aside page of the same batch is offered as the missing page.
    assert len(item.data["candidates"]) == 1
    assert review.claim(store, f"response:{two}", "lan")
    review.mark_pages_lost(store, two, "lan", expected=item.data["version"], reason="tờ bị rách mất")
    assert review.queue_counts(store, review.QueueFilter(kind=review.INCOMPLETE))[review.INCOMPLETE] == 1
    rows = _dataset(store, repo_root)
    # Still incomplete (the page is lost), but nothing waits for a person on it any more.
    assert rows["000002"]["completeness"] == "incomplete" and rows["000002"]["status"]["D1"] == MISSING_PAGE
    assert rows["000002"]["review"] == "reviewed"
    # A complete sheet cannot be declared to have lost a page.
    one = _response_ids(store, 1)[0]
    with pytest.raises(review.ReviewError):
        review.mark_pages_lost(store, one, "lan", expected=review.load_item(store, f"response:{one}").data["version"])
    assert three in completeness.incomplete_ids(store)


def test_assigning_the_set_aside_page_completes_the_sheet(half_sheets, repo_root, catalogue):
    store, _ = half_sheets
    item = review.load_item(store, f"response:{_response_ids(store, 2)[0]}")
    page_id = item.data["candidates"][0]
    assert review.claim(store, f"page:{page_id}", "lan")
    review.assign_page(store, catalogue, page_id, "lan", "motcua-2026", 1, 2, 2)
    rows = _dataset(store, repo_root)
    assert rows["000002"]["completeness"] == "complete"
    assert review.queue_counts(store, review.QueueFilter(kind=review.INCOMPLETE))[review.INCOMPLETE] == 1  # sheet 3


@pytest.fixture
def conflict(store):
    """Serial 5 twice: two different sheets (different marks on both pages), both complete."""
    batch = store.ensure_batch("dot-1")
    record(store, batch, page_result(5, 1, PAGE1, path="a.pdf"))
    record(store, batch, page_result(5, 2, PAGE2, path="a.pdf", index=1))
    other = {**PAGE1, "B1": "1"}
    assert record(store, batch, page_result(5, 1, other, path="b.pdf")) == "conflict"
    record(store, batch, page_result(5, 2, {**PAGE2, "H1": "2"}, path="b.pdf", index=1))
    return store


def test_serial_conflict_reaches_a_person_with_both_sheets(conflict):
    store = conflict
    ids = _response_ids(store, 5)
    assert len(ids) == 2
    counts = review.queue_counts(store)
    assert counts[review.CONFLICT] == 1  # one item for the pair, not one per sheet
    assert counts[review.INCOMPLETE] == 0
    key = review.claim_next(store, "lan", review.QueueFilter(kind=review.CONFLICT))
    item = review.load_item(store, key)
    assert item.kind == review.CONFLICT
    assert [s["id"] for s in item.data["group"]] == ids
    assert all(len(s["pages"]) == 2 for s in item.data["group"])


def test_keep_one_sheet(conflict, repo_root):
    store = conflict
    keep, drop = _response_ids(store, 5)
    assert review.claim(store, f"response:{keep}", "lan")
    review.resolve_conflict(store, keep, "lan", completeness.KEEP_ONE, keep_id=drop)
    rows = collect(store, catalogue_lookup(repo_root / "form_templates")).records
    kept = [r for r in rows if r["serial"] == "000005"]
    assert len(kept) == 1 and kept[0]["answers"]["B1"] == "1"  # the sheet chosen, not the first one
    assert SERIAL_CONFLICT not in kept[0]["flags"]
    assert review.queue_counts(store)[review.CONFLICT] == 0


def test_keep_both_with_a_new_serial(conflict, repo_root):
    store = conflict
    first, second = _response_ids(store, 5)
    review.claim(store, f"response:{first}", "lan")
    with pytest.raises(review.ReviewError):  # the new serial must be free
        review.resolve_conflict(store, first, "lan", completeness.KEEP_BOTH, keep_id=first, new_serial=5)
    review.resolve_conflict(store, first, "lan", completeness.KEEP_BOTH, keep_id=first, new_serial=777)
    rows = {r["serial"]: r for r in collect(store, catalogue_lookup(repo_root / "form_templates")).records}
    assert rows["000005"]["answers"]["B1"] == "5" and rows["000777"]["answers"]["B1"] == "1"
    assert review.queue_counts(store)[review.CONFLICT] == 0


def test_keep_neither(conflict, repo_root):
    store = conflict
    first, _ = _response_ids(store, 5)
    review.claim(store, f"response:{first}", "lan")
    review.resolve_conflict(store, first, "lan", completeness.KEEP_NEITHER)
    rows = collect(store, catalogue_lookup(repo_root / "form_templates")).records
    assert not [r for r in rows if r["serial"] == "000005"]
    history = review.response_history(store, first)
    assert history and history[-1]["entity"] == "response"


def test_two_decisions_on_one_sheet_at_once_keep_only_the_first(conflict, monkeypatch):
    """Two reviewers (or one double click) decide the same sheet at the same moment, each from the flags
    they were shown: the second must be refused, not silently overwrite the first with a history row
    whose "before" is wrong (PostgreSQL reads without waiting for the other's uncommitted write)."""
    import threading
    import time

    import omr.data.store as store_module

    store = conflict
    first, _ = _response_ids(store, 5)
    with store.reading() as conn:
        shown = completeness.sheet(conn, first)["flags_text"]
    real_split = store_module.split_flags
    both_read = threading.Barrier(2, timeout=5)

    def slow_split(text):  # both decisions have read the row before either writes
        try:
            both_read.wait()
        except threading.BrokenBarrierError:
            pass  # the row was locked: the other decision waits for this one, as it should
        time.sleep(0.2)
        return real_split(text)

    monkeypatch.setattr(store_module, "split_flags", slow_split)
    outcomes = []

    def decide(**change):
        try:
            store.decide_response(first, "lan", reason="", expected_flags=shown, **change)
            outcomes.append("saved")
        except StaleWriteError:
            outcomes.append("refused")

    threads = [threading.Thread(target=decide, kwargs={"add_flags": (completeness.REJECTED,)}),
               threading.Thread(target=decide, kwargs={"remove_flags": (SERIAL_CONFLICT,)})]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "saved"]
    history = [c for c in review.response_history(store, first) if c["entity"] == "response"]
    assert len(history) == 1 and history[0]["old"]["flags"] == shown


def test_two_conflicts_given_the_same_new_serial_at_once_do_not_both_keep_it(conflict, monkeypatch):
    """Two reviewers settle two serial conflicts at the same moment and both choose 777 for the second
    sheet: both saw 777 free; only one may get it, the other is told, and nothing of its decision is half
    written (without the check in the writing transaction, two sheets 777 were counted, no flag)."""
    import threading

    store = conflict
    batch = store.ensure_batch("dot-2")
    record(store, batch, page_result(6, 1, PAGE1, path="c.pdf"))
    record(store, batch, page_result(6, 2, PAGE2, path="c.pdf", index=1))
    record(store, batch, page_result(6, 1, {**PAGE1, "B1": "2"}, path="d.pdf"))
    record(store, batch, page_result(6, 2, {**PAGE2, "H1": "3"}, path="d.pdf", index=1))
    real_decide = store.decide_responses
    both_checked = threading.Barrier(2, timeout=5)
    first_write = threading.local()

    def decide_after_both_checked(*args, **kwargs):
        if not getattr(first_write, "done", False):
            first_write.done = True
            both_checked.wait()  # each reviewer's "777 is free" check is behind them
        return real_decide(*args, **kwargs)

    monkeypatch.setattr(store, "decide_responses", decide_after_both_checked)
    outcomes = {}

    def settle(serial):
        first, _ = _response_ids(store, serial)
        try:
            review.resolve_conflict(store, first, f"nguoi{serial}", completeness.KEEP_BOTH, keep_id=first,
                                    new_serial=777)
            outcomes[serial] = "saved"
        except StaleWriteError:
            outcomes[serial] = "refused"

    threads = [threading.Thread(target=settle, args=(serial,)) for serial in (5, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["refused", "saved"]
    assert len(_response_ids(store, 777)) == 1
    refused = next(serial for serial, outcome in outcomes.items() if outcome == "refused")
    # The refused pair is untouched: still two sheets in conflict, still waiting for a person.
    assert len(_response_ids(store, refused)) == 2
    assert all(SERIAL_CONFLICT in r["flags"] for r in store.responses() if r["serial"] == refused)


def test_three_sheets_kept_are_renumbered_all_or_none_when_a_new_serial_is_taken_meanwhile(conflict,
                                                                                            monkeypatch):
    """Three sheets share serial 5; the reviewer keeps all, the others to get 50 and 51. A batch read
    meanwhile stores a sheet 51 after the check and before the writes: nothing of the decision may be
    written. Sheet by sheet, the first became 50 and left the conflict while the reviewer was told the
    decision was refused (a half-done decision, the group changed under them)."""
    store = conflict
    batch = store.ensure_batch("dot-3")
    record(store, batch, page_result(5, 1, {**PAGE1, "B1": "2"}, path="c.pdf"))
    record(store, batch, page_result(5, 2, {**PAGE2, "H1": "3"}, path="c.pdf", index=1))
    ids = _response_ids(store, 5)
    assert len(ids) == 3
    before = {r["id"]: (r["serial"], r["flags"]) for r in store.responses() if r["id"] in ids}
    real_check = completeness._check_shown

    def scanned_meanwhile(group_ids, shown):
        real_check(group_ids, shown)
        record(store, batch, page_result(51, 1, PAGE1, path="d.pdf"))  # after the check, before the writes

    monkeypatch.setattr(completeness, "_check_shown", scanned_meanwhile)
    review.claim(store, f"response:{ids[0]}", "lan")
    with pytest.raises(StaleWriteError, match="000051"):
        review.resolve_conflict(store, ids[0], "lan", completeness.KEEP_BOTH, keep_id=ids[0],
                                new_serials={ids[1]: 50, ids[2]: 51}, shown=ids)
    after = {r["id"]: (r["serial"], r["flags"]) for r in store.responses() if r["id"] in ids}
    assert after == before and all(SERIAL_CONFLICT in flags for _, flags in after.values())
    assert _response_ids(store, 50) == [] and review.queue_counts(store)[review.CONFLICT] == 1


def test_a_page_given_another_unit_than_its_sheets_other_page_is_refused(half_sheets, repo_root, catalogue):
    """Sheet 2's page 1 says unit 30001; its set-aside page 2 typed as 866 must not move the sheet (or
    silently keep either): the reviewer is told the other page's unit and the page stays in the queue."""
    import sqlalchemy as sa

    from omr.data.schema import units

    store, _ = half_sheets
    store.writing(lambda conn: conn.execute(units.insert(), [
        {"code": "30001", "name": "Phường Cao Lãnh", "kind": "phường"}, {"code": "866", "name": "Xã Mỹ An",
                                                                        "kind": "xã"}]))
    item = review.load_item(store, f"response:{_response_ids(store, 2)[0]}")
    page_id = item.data["candidates"][0]
    assert review.claim(store, f"page:{page_id}", "lan")
    with pytest.raises(StaleWriteError, match="Phiếu số 000002 đã có trang 1 mang mã đơn vị 30001, khác mã 866"):
        review.assign_page(store, catalogue, page_id, "lan", "motcua-2026", 1, 2, 2, unit="866")
    assert [r["unit"] for r in store.responses() if r["serial"] == 2] == ["30001"]
    with store.reading() as conn:
        from omr.data.schema import pages
        assert conn.execute(sa.select(pages.c.set_aside).where(pages.c.id == page_id)).scalar() == "qr_unreadable"
    review.assign_page(store, catalogue, page_id, "lan", "motcua-2026", 1, 2, 2, unit="30001")
    assert _dataset(store, repo_root)["000002"]["completeness"] == "complete"
