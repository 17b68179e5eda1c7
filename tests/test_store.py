"""The database: re-runs, resumes, rescans and conflicts never double-count, a
person's answer outlives machine reads, and the summary counts what happened.
Every test runs on SQLite and on PostgreSQL (see db_fixtures.store_url)."""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3

import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, file_sha, page_result, record, set_aside_result

from omr.data import store as store_module
from omr.data.store import database_url, open_store
from omr.errors import DatabaseError
from omr.model import AMBIGUOUS, MULTIPLE


def snapshot(store) -> tuple:
    """Everything a user can see: the counts and every response."""
    responses = [{k: v for k, v in r.items() if k not in ("id", "created_at")} for r in store.responses()]
    return store.summary(), responses


def test_recording_the_same_file_twice_changes_nothing(store):
    batch = store.ensure_batch("Đợt 1")
    pages = [page_result(7, 1, PAGE1, index=0), page_result(7, 2, PAGE2, index=1),
             set_aside_result("blank", index=2)]
    assert [record(store, batch, p) for p in pages] == ["new", "new", "set_aside"]
    before = snapshot(store)

    assert [record(store, batch, p) for p in pages] == ["already"] * 3
    assert snapshot(store) == before
    assert before[0]["pages"] == 3 and before[0]["responses"] == 1


def test_resume_after_an_interrupted_run_records_no_duplicates(store_url):
    pages = [page_result(serial, page, PAGE1 if page == 1 else PAGE2, index=2 * (serial - 1) + page - 1)
             for serial in (1, 2, 3) for page in (1, 2)]
    first = open_store(store_url)
    batch = first.ensure_batch("Đợt 1")
    for result in pages[:3]:
        record(first, batch, result)
    first.close()  # the run stops here

    resumed = open_store(store_url)
    try:
        assert resumed.ensure_batch("Đợt 1") == batch
        done = [resumed.page_done(file_sha("scan-a.pdf"), p.source.page_index)
                for p in pages]
        assert done == [True] * 3 + [False] * 3
        outcomes = [record(resumed, batch, p) for p in pages]
        assert outcomes == ["already"] * 3 + ["new"] * 3
        summary = resumed.summary()
        assert (summary["pages"], summary["responses"], summary["responses_complete"]) == (6, 3, 3)
    finally:
        resumed.close()


def test_a_page_that_fails_midway_leaves_nothing_behind(store, monkeypatch):
    batch = store.ensure_batch("Đợt 1")
    result = page_result(3, 1, PAGE1)

    def broken(*args, **kwargs):
        raise RuntimeError("killed while writing answers")

    monkeypatch.setattr(store_module.Store, "_write_answers", staticmethod(broken))
    with pytest.raises(RuntimeError):
        record(store, batch, result)
    monkeypatch.undo()

    assert not store.page_done(file_sha(result.source.path), 0)
    assert store.summary()["pages"] == 0 and list(store.responses()) == []
    assert record(store, batch, result) == "new"
    assert list(store.responses())[0]["answers"]["A2"] == ("1", "ok", 0.95)


def test_rescan_with_identical_marks_is_stored_but_not_counted_twice(store):
    batch = store.ensure_batch("Đợt 1")
    assert record(store, batch, page_result(12, 1, PAGE1, path="a.pdf")) == "new"
    assert record(store, batch, page_result(12, 2, PAGE2, path="a.pdf", index=1)) == "new"
    assert record(store, batch, page_result(12, 1, PAGE1, path="b.pdf", index=4)) == "rescan"

    summary = store.summary()
    assert summary["pages"] == 3 and summary["pages_read"] == 3
    assert summary["responses"] == 1 and summary["responses_complete"] == 1
    assert summary["duplicates"] == 1 and summary["conflicts"] == 0
    (response,) = store.responses()
    assert [(p["page"], p["file"]) for p in response["pages"]] == [(1, "a.pdf"), (2, "a.pdf")]
    assert response["flags"] == []


def test_same_serial_with_different_marks_makes_two_flagged_responses(store):
    batch = store.ensure_batch("Đợt 1")
    assert record(store, batch, page_result(40, 1, PAGE1, path="a.pdf")) == "new"
    other_marks = {**PAGE1, "B1": "1"}
    assert record(store, batch, page_result(40, 1, other_marks, path="b.pdf")) == "conflict"

    first, second = store.responses()
    assert (first["serial"], second["serial"]) == (40, 40)
    assert first["flags"] == second["flags"] == ["serial_conflict"]
    assert (first["answers"]["B1"][0], second["answers"]["B1"][0]) == ("5", "1")
    summary = store.summary()
    assert (summary["responses"], summary["conflicts"], summary["responses_in_conflict"]) == (2, 1, 2)

    # A second copy of the conflicting page is a rescan of it, not a third sheet.
    assert record(store, batch, page_result(40, 1, other_marks, path="c.pdf")) == "rescan"
    # Page 2 joins the oldest response still missing page 2; no third response.
    assert record(store, batch, page_result(40, 2, PAGE2, path="a.pdf", index=1)) == "new"
    assert store.summary()["responses"] == 2
    assert [len(r["pages"]) for r in store.responses()] == [2, 1]


def test_pages_stored_in_one_transaction_see_each_other(store):
    """Issue #18: a transaction's boxes, answers and comments are inserted together at its end; a page
    still sees the pages before it in the same transaction: a rescan of one is a rescan, a page of the
    same serial with other marks a conflict, a page 2 joins the response of its page 1, with its answers."""
    batch = store.ensure_batch("Đợt 1")
    pages = [page_result(50, 1, PAGE1, path="a.pdf"), page_result(50, 2, PAGE2, path="a.pdf", index=1),
             page_result(50, 1, PAGE1, path="b.pdf"), page_result(50, 1, {**PAGE1, "B1": "1"}, path="c.pdf"),
             set_aside_result("blank", path="a.pdf", index=2)]
    items = [(p.source.path, file_sha(p.source.path), 1000, p, 2) for p in pages]
    assert store.record_pages(batch, items) == ["new", "new", "rescan", "conflict", "set_aside"]

    first, second = store.responses()
    assert [p["page"] for p in first["pages"]] == [1, 2] and [p["page"] for p in second["pages"]] == [1]
    assert first["flags"] == second["flags"] == ["serial_conflict"]
    assert {q: a[0] for q, a in first["answers"].items()} == {**PAGE1, **PAGE2}
    assert (first["answers"]["B1"][0], second["answers"]["B1"][0]) == ("5", "1")
    summary = store.summary()
    assert (summary["pages"], summary["duplicates"], summary["responses"]) == (5, 1, 2)
    # Stored again in one transaction: every page already there, nothing added.
    assert store.record_pages(batch, items) == ["already"] * 5
    assert store.summary() == summary


def test_set_aside_pages_are_counted_by_reason_and_make_no_response(store):
    batch = store.ensure_batch("Đợt 1")
    for index, reason in enumerate(["blank", "qr_unreadable", "blank"]):
        assert record(store, batch, set_aside_result(reason, index=index)) == "set_aside"
    summary = store.summary()
    assert summary["pages"] == 3 and summary["pages_read"] == 0
    assert summary["pages_set_aside"] == {"blank": 2, "qr_unreadable": 1}
    assert summary["responses"] == 0


def test_a_persons_answer_survives_machine_reads(store):
    batch = store.ensure_batch("Đợt 1")
    record(store, batch, page_result(9, 1, PAGE1, statuses={"B2": AMBIGUOUS}))
    (response,) = store.responses()
    # A reviewer settles the doubtful B2, and keys in H1 before page 2 is scanned.
    store.set_answer(response["id"], "B2", "3", set_by="lan")
    store.set_answer(response["id"], "H1", "2", set_by="lan")

    assert record(store, batch, page_result(9, 1, PAGE1, path="again.pdf",
                                            statuses={"B2": AMBIGUOUS})) == "rescan"
    assert record(store, batch, page_result(9, 2, PAGE2, path="p2.pdf")) == "new"

    (response,) = store.responses()
    assert response["answers"]["B2"] == ("3", "ok", 1.0)
    assert response["answers"]["H1"] == ("2", "ok", 1.0)
    assert response["set_by"]["H1"] == "lan" and response["set_by"]["D1"] == "machine"
    assert response["answers"]["D1"][0] == "5"
    assert store.summary()["answers_to_review"] == 0


def test_set_answer_requires_a_person(store):
    batch = store.ensure_batch("Đợt 1")
    record(store, batch, page_result(9, 1, PAGE1))
    (response,) = store.responses()
    with pytest.raises(ValueError):
        store.set_answer(response["id"], "B2", "3", set_by="machine")


def test_summary_counts_one_batch_and_the_whole_database(store):
    march = store.ensure_batch("Tháng 3", "2026-03-01", "2026-03-31")
    april = store.ensure_batch("Tháng 4")
    record(store, march, page_result(1, 1, PAGE1, path="m.pdf", index=0, statuses={"B1": AMBIGUOUS}))
    record(store, march, page_result(1, 2, PAGE2, path="m.pdf", index=1, statuses={"H1": MULTIPLE}))
    record(store, march, page_result(2, 1, PAGE1, path="m.pdf", index=2))
    record(store, march, set_aside_result("no_form", path="m.pdf", index=3))
    # Sheet 2's page 2 and a rescan of sheet 1 arrive in April.
    record(store, april, page_result(2, 2, PAGE2, path="a.pdf", index=0))
    record(store, april, page_result(1, 1, PAGE1, path="a.pdf", index=1, statuses={"B1": AMBIGUOUS}))
    record(store, april, page_result(3, 1, PAGE1, path="a.pdf", index=2))
    record(store, april, page_result(3, 1, {**PAGE1, "A2": "4"}, path="a.pdf", index=3))
    # A reviewer confirms two marks on sheet 3's B2: settled, no longer awaiting review.
    sheet3 = next(r for r in store.responses() if r["serial"] == 3)
    store.set_answer(sheet3["id"], "B2", ["4", "5"], set_by="lan", status=MULTIPLE)

    assert store.summary() == {
        "pages": 8, "pages_read": 7, "pages_set_aside": {"no_form": 1},
        "responses": 4, "responses_paper": 4, "responses_complete": 2, "answers_to_review": 2,
        "duplicates": 1, "conflicts": 1, "responses_in_conflict": 2, "possible_duplicates": 0,
    }
    assert store.summary(march) == {
        "pages": 4, "pages_read": 3, "pages_set_aside": {"no_form": 1},
        "responses": 2, "responses_paper": 2, "responses_complete": 2, "answers_to_review": 2,
        "duplicates": 0, "conflicts": 0, "responses_in_conflict": 0, "possible_duplicates": 0,
    }
    # April holds a page of sheet 2, so that response counts for April too.
    april_summary = store.summary(april)
    assert (april_summary["pages"], april_summary["responses"], april_summary["duplicates"],
            april_summary["conflicts"]) == (4, 3, 1, 1)


def test_completeness_uses_the_page_count_the_caller_gives(store):
    batch = store.ensure_batch("Đợt 1")
    record(store, batch, page_result(1, 1, PAGE1, index=0), pages_expected=None)
    record(store, batch, page_result(2, 1, PAGE1, index=1), pages_expected=1)
    assert store.summary()["responses_complete"] == 1  # sheet 1's page count is unknown yet
    record(store, batch, page_result(1, 2, PAGE2, index=2), pages_expected=2)
    assert store.summary()["responses_complete"] == 2


def test_responses_carry_what_export_needs(store):
    batch = store.ensure_batch("Quý I", "2026-01-01", "2026-03-31")
    record(store, batch, page_result(5, 2, PAGE2, path="/scans/b.pdf", index=3, unit="30007"))
    record(store, batch, page_result(5, 1, {**PAGE1, "A2": ["1", "3"]}, path="/scans/a.pdf", index=0,
                                     unit="30007"))
    (response,) = store.responses()
    assert (response["form_id"], response["version"], response["serial"], response["unit"]) == \
        ("motcua-2026", 1, 5, "30007")
    # Each page carries its image's hash: a serial omr assigned from it is told from one printed on the form.
    assert response["pages"] == [
        {"page": 1, "file": "/scans/a.pdf", "page_index": 0, "part": 0, "batch": "Quý I",
         "image_sha256": hashlib.sha256(b"/scans/a.pdf#0").hexdigest()},
        {"page": 2, "file": "/scans/b.pdf", "page_index": 3, "part": 0, "batch": "Quý I",
         "image_sha256": hashlib.sha256(b"/scans/b.pdf#3").hexdigest()},
    ]
    assert [(b["name"], b["collected_from"].isoformat(), b["collected_to"].isoformat())
            for b in response["batches"]] == [("Quý I", "2026-01-01", "2026-03-31")]
    assert response["answers"]["A2"] == (["1", "3"], "ok", 0.95)
    assert response["answers"]["A1"][0] == "2026-03-05"
    assert set(response["answers"]) == set(PAGE1) | set(PAGE2)


def test_ensure_batch_is_idempotent_and_updates_dates(store):
    first = store.ensure_batch("Đợt 1")
    again = store.ensure_batch("Đợt 1", "2026-04-01", "2026-04-30")
    assert first == again
    record(store, first, page_result(1, 1, PAGE1))
    (response,) = store.responses()
    assert response["batches"][0]["collected_to"].isoformat() == "2026-04-30"
    assert store.ensure_batch("Đợt 2") != first


def test_a_read_page_without_identity_is_refused(store):
    batch = store.ensure_batch("Đợt 1")
    result = page_result(1, 1, PAGE1)
    result.serial = None
    with pytest.raises(ValueError):
        record(store, batch, result)


SHEETS = 15


def _record_worker(url: str, order: list[int], start, results) -> None:
    """One of two processes feeding the same database."""
    try:
        with open_store(url) as worker_store:
            start.wait(timeout=30)  # both begin together, so their writes really overlap
            batch = worker_store.ensure_batch("Đợt chung")
            results.put([record(worker_store, batch, _shared_page(n)) for n in order])
    except Exception as exc:  # reported to the test, which then fails with it
        results.put([f"error: {exc!r}"])


def _shared_page(n: int):
    # Sheet k has page 1 in a.pdf and page 2 in b.pdf, both at index k.
    serial, page = divmod(n, 2)
    return page_result(serial + 1, page + 1, PAGE1 if page == 0 else PAGE2,
                       path="a.pdf" if page == 0 else "b.pdf", index=serial)


def test_two_processes_writing_at_once_keep_the_data_whole(store_url):
    open_store(store_url).close()  # tables exist before the race starts
    # Both work on the same sheet at the same moment: one takes page 1 while
    # the other takes page 2 (one response must come of it), then each takes
    # the page the other just did (recorded once).
    first_order = list(range(2 * SHEETS))
    second_order = [n ^ 1 for n in first_order]
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_record_worker, args=(store_url, order, start, results))
               for order in (first_order, second_order)]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=60) + results.get(timeout=60))
    for worker in workers:
        worker.join(timeout=30)
    assert outcomes == ["already"] * 2 * SHEETS + ["new"] * 2 * SHEETS

    with open_store(store_url) as check:
        summary = check.summary()
        assert (summary["pages"], summary["responses"], summary["responses_complete"]) == \
            (2 * SHEETS, SHEETS, SHEETS)
        assert (summary["duplicates"], summary["conflicts"]) == (0, 0)
        assert sorted(r["serial"] for r in check.responses()) == list(range(1, SHEETS + 1))


# --- opening a database (URL handling is the same for every backend) --------

def test_default_database_is_an_sqlite_file_under_outputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_store() as opened:
        batch = opened.ensure_batch("Đợt 1")
        record(opened, batch, page_result(1, 1, PAGE1))
        assert opened.backend == "sqlite"
    assert (tmp_path / "outputs" / "omr.sqlite").is_file()


def test_sqlite_file_uses_wal_and_enforces_foreign_keys(tmp_path):
    path = tmp_path / "new" / "dir" / "omr.sqlite"
    with open_store(str(path)) as opened:
        opened.ensure_batch("Đợt 1")
        with opened._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        with pytest.raises(sa.exc.IntegrityError), opened._write() as conn:
            conn.execute(store_module.pages.insert().values(
                batch_id=999, source_file_id=999, page_index=0, outcome="new",
                created_at=store_module._now()))
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_postgresql_urls_use_the_installed_driver():
    assert database_url("postgresql://omr@db.example/khaosat").drivername == "postgresql+psycopg"
    assert database_url("postgres://omr@db.example/khaosat").drivername == "postgresql+psycopg"
    assert database_url("data/omr.sqlite").drivername == "sqlite"
    assert database_url("data/omr.sqlite").database == "data/omr.sqlite"


def test_unreachable_database_names_the_url_but_not_the_password():
    with pytest.raises(DatabaseError) as caught:
        open_store("postgresql://omr:bimat123@127.0.0.1:1/khaosat")
    message = caught.value.message
    assert "127.0.0.1:1/khaosat" in message and "bimat123" not in message
    assert message.startswith("Không kết nối được cơ sở dữ liệu")
    assert caught.value.exit_code == 7


def test_sqlite_path_that_cannot_be_a_database_is_a_database_error(tmp_path):
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(DatabaseError) as caught:
        open_store(str(tmp_path / "a_file" / "omr.sqlite"))
    assert "a_file" in caught.value.message


def test_unparseable_url_is_a_database_error_without_the_password():
    with pytest.raises(DatabaseError) as caught:
        open_store("postgresql+psycopg://omr:bimat123@host:notaport/db")
    assert "bimat123" not in caught.value.message


def test_a_page_printing_another_unit_than_its_sheet_waits_for_a_person(store):
    """Page 2 of sheet 5 prints unit 30002, its page 1 printed 30001: the first unit used to win silently.
    Now the page is set aside for a person, saying both units and what to do, and the sheet keeps its
    own unit and waits for its page 2; the page is in the review queue."""
    from db_fixtures import page_result, record

    from omr.data import review
    from omr.data.schema import pages

    batch = store.ensure_batch("Đợt một")
    assert record(store, batch, page_result(5, 1, {"B1": "5"}, path="s5.pdf", unit="30001")) == "new"
    assert record(store, batch, page_result(5, 2, {"H1": "4"}, path="s5.pdf", index=1, unit="30002")) == "set_aside"
    (sheet,) = store.responses()
    assert sheet["unit"] == "30001" and [p["page"] for p in sheet["pages"]] == [1]
    with store.reading() as conn:
        aside = conn.execute(sa.select(pages.c.set_aside, pages.c.detail).where(pages.c.set_aside.is_not(None))).one()
    assert aside.set_aside == "unit_clash"
    assert "mã đơn vị 30001" in aside.detail and "mang mã 30002" in aside.detail and "hàng đợi kiểm tra" in aside.detail
    assert review.open_items(store).counts[review.PAGE] == 1
