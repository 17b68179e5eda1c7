"""Schema migrations: a database written by an older omr is upgraded with nothing lost.

``tests/data/db-before-migrations.sqlite`` was written by omr's main at
652a73c, before migrations existed: 6 simulated office-scanned sheets (one
page set aside as blank), the Cao Lãnh unit registry, the demo's Google Forms
export, a reviewer's login, a reviewer's change to an answer and a
transcribed comment, and a closed period (2025-Q3).
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from db_fixtures import PAGE1, PAGE2, file_sha, page_result, record, set_aside_result

from omr.cli import main
from omr.data import migrate
from omr.data.job_queue_schema import is_omr_object
from omr.data.schema import metadata, pages
from omr.data.store import open_store
from omr.errors import DatabaseError
from omr.model import PageSource
from omr.scan.comments import CommentRead

LEGACY_DB = Path(__file__).parent / "data" / "db-before-migrations.sqlite"


def _rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every omr table, sorted, by table name."""
    with sqlite3.connect(path) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                  if t != "alembic_version" and not t.startswith("sqlite_")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


@pytest.fixture
def legacy_copy(tmp_path) -> Path:
    target = tmp_path / "office.sqlite"
    shutil.copy(LEGACY_DB, target)
    return target


def test_the_fixture_holds_what_an_office_would_lose(legacy_copy):
    rows = _rows(legacy_copy)
    assert len(rows["answers"]) > 100 and len(rows["users"]) == 1 and len(rows["period_closures"]) == 1
    assert any(r for r in rows["changes"]), "a reviewer's change is recorded"
    assert any(c for c in rows["comments"] if "Cán bộ nhiệt tình" in repr(c)), "a transcribed comment is there"


def test_upgrade_keeps_every_row_and_makes_a_dated_backup(legacy_copy, capsys):
    before = _rows(legacy_copy)
    assert main(["db", "upgrade", "--db", str(legacy_copy)]) == 0
    out = capsys.readouterr().out
    after = _rows(legacy_copy)
    for table, rows in before.items():
        assert table in after, f"table {table} lost"
        old_width = len(rows[0]) if rows else 0
        # New columns may be added at the end; every old value stays where it was.
        assert [r[:old_width] for r in after[table]] == rows, f"rows of {table} changed"
    with sqlite3.connect(legacy_copy) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(migrate.head_revision(),)]
    if migrate.head_revision() != migrate.BASELINE:
        backups = list(legacy_copy.parent.glob("office.backup-*.sqlite"))
        assert len(backups) == 1 and str(backups[0]) in out
        assert _rows(backups[0]) == before, "the backup is the database as it was"
    # The upgraded database opens and its answers, comments and users read back.
    with open_store(str(legacy_copy)) as store:
        responses = list(store.responses())
    assert sum(1 for r in responses if r.get("channel") == "online") > 0
    assert any(c["text"] == "Cán bộ nhiệt tình, hướng dẫn chu đáo"
               for r in responses for c in r.get("comments", {}).values())


def test_every_command_stops_on_an_out_of_date_database(legacy_copy, capsys):
    if migrate.head_revision() == migrate.BASELINE:
        pytest.skip("only one schema revision exists: no database can be out of date yet")
    code = main(["export", "--db", str(legacy_copy), "--format", "csv", "-o", str(legacy_copy.parent / "x.csv")])
    err = capsys.readouterr().err
    assert code == DatabaseError.exit_code
    assert "omr db upgrade" in err and "Traceback" not in err and err.count("\n") == 1
    assert not (legacy_copy.parent / "x.csv").exists()


def test_a_database_of_a_newer_omr_is_refused(legacy_copy):
    with sqlite3.connect(legacy_copy) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    with pytest.raises(DatabaseError, match="mới hơn"):
        open_store(str(legacy_copy))


def test_upgrading_a_missing_file_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "typo.sqlite"
    assert main(["db", "upgrade", "--db", str(missing)]) == DatabaseError.exit_code
    assert "typo.sqlite" in capsys.readouterr().err
    assert not missing.exists()


def _diff_against_metadata(conn: sa.Connection) -> list:
    # The job queue's tables (procrastinate, PostgreSQL only) are not omr's metadata: left out.
    context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": is_omr_object})
    return compare_metadata(context, metadata)


def test_migrations_from_nothing_build_the_schema_the_code_declares(store_url):
    """A new database is made from the tables in omr.data.schema; the migrations must build the same."""
    engine = sa.create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    Path(store_url).parent.mkdir(parents=True, exist_ok=True) if "://" not in store_url else None
    try:
        with engine.begin() as conn:
            migrate.upgrade(conn)
        with engine.connect() as conn:
            assert _diff_against_metadata(conn) == []
            assert migrate.schema_state(conn) == (migrate.CURRENT, migrate.head_revision())
    finally:
        engine.dispose()


def test_a_new_database_is_stamped_with_the_newest_revision(store_url):
    with open_store(store_url) as store:
        assert store.schema_revision() == migrate.head_revision()


def test_the_upgraded_legacy_database_matches_the_declared_schema(legacy_copy):
    assert main(["db", "upgrade", "--db", str(legacy_copy)]) == 0
    engine = sa.create_engine(f"sqlite:///{legacy_copy}")
    try:
        with engine.connect() as conn:
            assert _diff_against_metadata(conn) == []
    finally:
        engine.dispose()


# --- 0004: pages.part (two form pages in one image, #13) ---------------------------------------

_KEPT_TABLES = ("pages", "boxes", "responses", "response_pages", "answers", "comments", "changes")


def _table_rows(conn: sa.Connection, table: str,
                leave_out: tuple[str, ...] = ("part", "marks_key", "ink_print", "faint")) -> list[tuple]:
    """Every row of ``table`` by id, without the columns ``leave_out`` (``part`` is absent before 0004,
    ``marks_key`` and ``ink_print`` before 0005, ``comments.faint`` before 0007)."""
    columns = [c["name"] for c in sa.inspect(conn).get_columns(table) if c["name"] not in leave_out]
    quoted = ", ".join(f'"{c}"' for c in columns)
    return [tuple(r) for r in conn.execute(sa.text(f'SELECT {quoted} FROM "{table}" ORDER BY id'))]


def _downgrade(store, revision: str) -> None:
    """``store``'s database taken back to ``revision`` (SQLite with its foreign keys off, as batch mode needs)."""
    with store._engine.connect() as conn:
        if store.backend == "sqlite":
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        with conn.begin():
            command.downgrade(migrate.alembic_config(conn), revision)


def test_0004_keeps_every_page_answer_comment_and_change_and_old_pages_are_whole_images(store_url):
    """A database at 0003 holding read pages, a set-aside page, a person's answer and comment
    transcription upgrades with every row kept (ids and references too), every old page part 0,
    and the new key takes the second half of an image while still refusing a page stored twice."""

    with open_store(store_url) as store:
        batch = store.ensure_batch("đợt 1")
        first = page_result(7, 1, PAGE1, path="a.pdf")
        first.comments = [CommentRead("Y1", True, 120.0, (20.0, 200.0, 170.0, 30.0), crop_png=b"png")]
        record(store, batch, first)
        record(store, batch, page_result(7, 2, PAGE2, path="a.pdf", index=1))
        record(store, batch, set_aside_result("blank", path="a.pdf", index=2))
        response = next(iter(store.responses()))
        store.set_answer(response["id"], "B2", "3", set_by="lan", reason="sửa theo phiếu")
        with store.reading() as conn:
            comment_id = conn.execute(sa.text("SELECT id FROM comments")).scalar()
        store.set_comment_text(comment_id, "Cán bộ nhiệt tình", "lan")
        engine = store._engine
        _downgrade(store, "0003")
        with engine.connect() as conn:
            assert "part" not in {c["name"] for c in sa.inspect(conn).get_columns("pages")}
            before = {t: _table_rows(conn, t) for t in _KEPT_TABLES}
        assert len(before["pages"]) == 3 and len(before["changes"]) == 2 and before["comments"]
        store.upgrade_schema(backup_dir=Path(store_url).parent if "://" not in store_url else None)
        assert store.schema_revision() == migrate.head_revision()
        with engine.connect() as conn:
            after = {t: _table_rows(conn, t) for t in _KEPT_TABLES}
            parts = conn.execute(sa.select(pages.c.part)).scalars().all()
        assert after == before
        assert parts == [0, 0, 0]
        # The same file again: nothing recorded twice; the second half of its first image is a page of its own.
        assert record(store, batch, page_result(7, 1, PAGE1, path="a.pdf")) == "already"
        half = replace(page_result(8, 1, PAGE1, path="a.pdf"), source=PageSource("a.pdf", 0, "x", 2))
        assert store.record_page(batch, "a.pdf", file_sha("a.pdf"), 1000, half, pages_expected=2) == "new"
        assert store.record_page(batch, "a.pdf", file_sha("a.pdf"), 1000, half, pages_expected=2) == "already"


def test_pages_of_a_database_written_before_migrations_become_whole_images(legacy_copy):
    before = _rows(legacy_copy)["pages"]
    assert main(["db", "upgrade", "--db", str(legacy_copy)]) == 0
    with sqlite3.connect(legacy_copy) as conn:
        parts = [p for (p,) in conn.execute("SELECT part FROM pages")]
    assert len(parts) == len(before) > 0 and set(parts) == {0}


# --- 0006: online submissions known by their content, whatever the source name (hux2) --------

def test_0006_recomputes_online_fingerprints_and_keeps_every_row(store_url, repo_root, tmp_path):
    """Online rows stored before 0006 (fingerprints of the old definition) get the new fingerprint from
    the answers as imported, even where a reviewer changed an answer since; nothing else changes, and a
    re-saved export imported afterwards under a new source name adds nothing."""
    from omr.online.importer import import_online
    from omr.online.mapping import load_mapping

    folder = repo_root / "examples" / "online"
    mapping = load_mapping(folder / "google-forms-vi.mapping.yaml")
    with open_store(store_url) as store:
        assert import_online(store, folder / "google-forms-vi.csv", "google-forms-fb", mapping,
                             rejects=tmp_path / "r.csv").imported == 36
        edited = next(r for r in store.responses() if r["channel"] == "online")
        store.set_answer(edited["id"], "H1", "1", set_by="lan", reason="sửa theo phiếu")
        engine = store._engine
        with engine.connect() as conn:
            expected = dict(conn.execute(sa.text("SELECT id, content_sha FROM responses")).all())
        with engine.connect() as conn:
            with conn.begin():
                command.downgrade(migrate.alembic_config(conn), "0005")
                conn.execute(sa.text("UPDATE responses SET content_sha = 'old-' || id, answers_sha = 'old'"))
        with engine.connect() as conn:
            before = {t: _table_rows(conn, t) for t in ("answers", "changes", "import_files")}
            count = conn.execute(sa.text("SELECT COUNT(*) FROM responses")).scalar()
        store.upgrade_schema(backup_dir=Path(store_url).parent if "://" not in store_url else None)
        assert store.schema_revision() == migrate.head_revision()
        with engine.connect() as conn:
            assert {t: _table_rows(conn, t) for t in before} == before
            assert conn.execute(sa.text("SELECT COUNT(*) FROM responses")).scalar() == count == 36
            assert dict(conn.execute(sa.text("SELECT id, content_sha FROM responses")).all()) == expected
        resaved = tmp_path / "resaved.csv"
        resaved.write_text((folder / "google-forms-vi.csv").read_text(encoding="utf-8").replace("\n", "\r\n"),
                           encoding="utf-8-sig")
        again = import_online(store, resaved, "google-forms-2026", mapping, rejects=tmp_path / "r2.csv")
        assert (again.imported, again.seen_elsewhere) == (0, 36)


def test_online_answers_of_a_database_written_before_migrations_are_not_imported_again(legacy_copy, repo_root,
                                                                                     tmp_path):
    assert main(["db", "upgrade", "--db", str(legacy_copy)]) == 0
    folder = repo_root / "examples" / "online"
    resaved = tmp_path / "google-forms-q4.csv"
    resaved.write_text((folder / "google-forms-vi.csv").read_text(encoding="utf-8"), encoding="utf-8-sig")
    before = len(_rows(legacy_copy)["responses"])
    assert main(["online", "import", str(resaved), "--source", "google-forms-2026", "--db", str(legacy_copy),
                 "--mapping", str(folder / "google-forms-vi.mapping.yaml"),
                 "--rejects", str(tmp_path / "r.csv")]) == 0
    assert len(_rows(legacy_copy)["responses"]) == before


# --- 0005: pages.marks_key, pages.ink_print (another scan of a sheet without serials, #16) ---------


def test_0005_keeps_every_row_and_old_pages_are_never_compared(store_url):
    """A database at 0004 holding read pages (one of a pinned form with its ink print), a set-aside page,
    a person's answer and a serial conflict upgrades with every row of every table kept; pages stored
    before carry no print and no key, so none of them is ever called a duplicate."""
    from omr.data.schema import POSSIBLE_DUPLICATE

    with open_store(store_url) as store:
        batch = store.ensure_batch("đợt 1")
        record(store, batch, page_result(7, 1, PAGE1, path="a.pdf"))
        record(store, batch, page_result(7, 2, PAGE2, path="a.pdf", index=1))
        record(store, batch, page_result(7, 1, {**PAGE1, "B1": "2"}, path="b.pdf"))  # a serial conflict
        record(store, batch, set_aside_result("blank", path="a.pdf", index=2))
        response = next(iter(store.responses()))
        store.set_answer(response["id"], "B2", "3", set_by="lan", reason="sửa theo phiếu")
        engine = store._engine
        _downgrade(store, "0004")
        with engine.connect() as conn:
            assert not {"marks_key", "ink_print"} & {c["name"] for c in sa.inspect(conn).get_columns("pages")}
            before = {t: _table_rows(conn, t, ("marks_key", "ink_print", "faint")) for t in _KEPT_TABLES}
            flags_before = conn.execute(sa.text("SELECT id, flags FROM responses ORDER BY id")).all()
        assert len(before["pages"]) == 4 and before["answers"] and before["changes"]
        store.upgrade_schema(backup_dir=Path(store_url).parent if "://" not in store_url else None)
        assert store.schema_revision() == migrate.head_revision()
        with engine.connect() as conn:
            after = {t: _table_rows(conn, t, ("marks_key", "ink_print", "faint")) for t in _KEPT_TABLES}
            prints = conn.execute(sa.select(pages.c.marks_key, pages.c.ink_print)).all()
            flags_after = conn.execute(sa.text("SELECT id, flags FROM responses ORDER BY id")).all()
        assert after == before and flags_after == flags_before
        assert set(prints) == {(None, None)}
        # A new page of the same sheet after the upgrade: recorded as before, not taken for a duplicate.
        assert record(store, batch, page_result(7, 2, PAGE2, path="c.pdf")) == "rescan"
        assert not any(POSSIBLE_DUPLICATE in r["flags"] for r in store.responses())


# --- 0007: comments.faint (possibly faint writing, hfaint) -------------------------------------------


def test_0007_keeps_every_row_and_marks_the_comments_sent_to_review_as_faint(store_url):
    """A database at 0006 holding a surely written comment (a person's transcription too), one sent to review
    with a faint comment's 1.2 mm² of writing and a blank one upgrades with every row kept; only the faint
    one is marked faint (what sent it to review then: less than 3 mm² of written area)."""
    with open_store(store_url) as store:
        batch = store.ensure_batch("đợt 1")
        first = page_result(7, 2, PAGE2, path="a.pdf")
        first.comments = [CommentRead("H3", True, 120.0, (20.0, 200.0, 170.0, 30.0), crop_png=b"png"),
                          CommentRead("H4", True, 1.2, (20.0, 240.0, 170.0, 30.0), crop_png=b"png")]
        record(store, batch, page_result(7, 1, PAGE1, path="a.pdf", index=1))
        record(store, batch, first)
        second = page_result(8, 2, PAGE2, path="b.pdf")
        second.comments = [CommentRead("H3", False, 0.0, (20.0, 200.0, 170.0, 30.0))]
        record(store, batch, second)
        with store.reading() as conn:
            written = conn.execute(sa.text("SELECT id FROM comments WHERE field = 'H3' AND inked")).scalar()
        store.set_comment_text(written, "Cán bộ nhiệt tình", "lan")
        engine = store._engine
        _downgrade(store, "0006")
        with engine.connect() as conn:
            assert "faint" not in {c["name"] for c in sa.inspect(conn).get_columns("comments")}
            before = {t: _table_rows(conn, t) for t in _KEPT_TABLES}
        assert len(before["comments"]) == 3
        store.upgrade_schema(backup_dir=Path(store_url).parent if "://" not in store_url else None)
        assert store.schema_revision() == migrate.head_revision()
        with engine.connect() as conn:
            after = {t: _table_rows(conn, t) for t in _KEPT_TABLES}
            faint = dict(conn.execute(sa.text("SELECT ink_mm2, faint FROM comments")).all())
        assert after == before
        assert {mm2: bool(f) for mm2, f in faint.items()} == {120.0: False, 1.2: True, 0.0: False}


# --- 0008: upload_jobs.refused (files refused at upload, hweb2) --------------------------------------


def test_0008_keeps_every_upload_job_and_gives_old_jobs_no_refused_files(store_url):
    """A job stored at 0007 upgrades unchanged, with an empty list of refused files (never kept then)."""
    from datetime import datetime, timezone

    from omr.data.schema import upload_jobs

    with open_store(store_url) as store:
        engine = store._engine
        _downgrade(store, "0007")
        with engine.begin() as conn:
            assert "refused" not in {c["name"] for c in sa.inspect(conn).get_columns("upload_jobs")}
            conn.execute(sa.text(
                "INSERT INTO upload_jobs (batch_name, folder, files, pages_total, status, error, created_by, "
                "created_at, pages_at_start) VALUES ('đợt 1', '/srv/job-1', '[]', 3, 'done', '', 'thu', :at, 0)"),
                {"at": datetime(2026, 12, 1, tzinfo=timezone.utc)})
            before = conn.execute(sa.text("SELECT batch_name, folder, pages_total, status FROM upload_jobs")).all()
        store.upgrade_schema(backup_dir=Path(store_url).parent if "://" not in store_url else None)
        assert store.schema_revision() == migrate.head_revision()
        with engine.connect() as conn:
            after = conn.execute(sa.text("SELECT batch_name, folder, pages_total, status FROM upload_jobs")).all()
            refused = conn.execute(sa.select(upload_jobs.c.refused)).scalars().all()
        assert after == before and refused == ["[]"]
