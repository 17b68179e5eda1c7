"""The database: scanned pages, the responses they join into, and answers.

One :class:`~omr.model.PageResult` becomes one row of ``pages`` (with its
``boxes``). A page that was read joins a *response*: the pages of one sheet,
found by (form, version, serial). Each question read on the page becomes an
*answer* of that response. Scanning staff rescan, re-run and interrupt
batches, so recording is built to be repeated:

- the same page of the same file (by content hash; one half of an image holding two
  pages is a page of its own) is recorded once;
- a different file showing the same sheet page with the same marks is kept as
  a page, but does not count as a second response (a rescan);
- a different file showing the same sheet page with *different* marks is a
  second sheet carrying the same serial (a photocopied form): it becomes a
  response of its own and both are flagged ``serial_conflict`` for review;
- an answer a person has set is never overwritten by a machine read.

Each page is recorded whole within one transaction (several pages may share
one, :meth:`Store.record_pages`), so a run killed at any moment leaves whole
pages only, and resuming skips what is done.

Runs on SQLite (the default file ``outputs/omr.sqlite``) and PostgreSQL,
through SQLAlchemy Core. SQLite writers take the write lock up front
(``BEGIN IMMEDIATE``) and wait for each other (busy timeout, then retries), so
two processes can feed one file; on PostgreSQL an advisory lock per serial
keeps two processes from creating the same response twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from omr.data import drafting, migrate
from omr.data.completeness import REJECTED, ResponseDecision
from omr.data.queries import StoreQueries
from omr.data.schema import (
    ALREADY,
    CONFLICT,
    DUPLICATE,
    MACHINE,
    NEW,
    NO_ANSWERS,
    NO_ANSWERS_CHECKED,
    POSSIBLE_DUPLICATE,
    RESCAN,
    SERIAL_CONFLICT,
    SET_ASIDE,
    add_flag,
    answers,
    batches,
    boxes,
    changes,
    comments,
    decode_value,
    encode_value,
    mark_signature,
    metadata,
    page_reviews,
    pages,
    response_pages,
    responses,
    source_files,
    split_flags,
)
from omr import tuning as T
from omr.errors import DatabaseError, OmrError
from omr.model import EMPTY, NEEDS_REVIEW, NO_MARKS, OK, PAGE_ORDER, VN_TZ, PageResult, PageSource, QuestionRead
from omr.scan.duplicates import print_similarity
from omr.text.lexicon import TEXT, find_terms, flags_from_json, flags_json

DEFAULT_SQLITE_PATH = Path("outputs") / "omr.sqlite"
# The set-aside reason an older omr gave a two-page image it could not split (#13).
LEGACY_TWO_PAGES = "two_pages"



# A new SQLite database file: readable and writable by its owner only (password hashes, personal data).
SQLITE_FILE_MODE = 0o600

# --- statements of the per-page path, built once ------------------------------------
# Recording a page runs ~10 statements; building each from scratch (coercing
# every value, computing its cache key) cost more of the parent's time than
# SQLite did (profile of a 500-page batch, issue #18). These are built once;
# values go in as bound parameters, and SQLAlchemy reuses their compiled form.

_PAGE_DONE = (sa.select(pages.c.id)
              .join(source_files, source_files.c.id == pages.c.source_file_id)
              .where(source_files.c.sha256 == sa.bindparam("sha"), pages.c.page_index == sa.bindparam("index"),
                     pages.c.part == sa.bindparam("part"))
              .limit(1))
_SOURCE_FILE = sa.select(source_files.c.id).where(source_files.c.sha256 == sa.bindparam("sha"))
_INSERT_SOURCE_FILE = source_files.insert()
_INSERT_PAGE = pages.insert()
_SAME_SHEET_PAGE = (sa.select(pages.c.id)
                    .join(response_pages, response_pages.c.page_id == pages.c.id)
                    .where(pages.c.form_id == sa.bindparam("form_id"), pages.c.version == sa.bindparam("version"),
                           pages.c.serial == sa.bindparam("serial"),
                           response_pages.c.page_number == sa.bindparam("page_number"))
                    .order_by(pages.c.id))
_RESPONSE_MISSING_PAGE = (
    sa.select(responses.c.id, responses.c.unit, responses.c.pages_expected)
    .where(responses.c.form_id == sa.bindparam("form_id"), responses.c.version == sa.bindparam("version"),
           responses.c.serial == sa.bindparam("serial"),
           ~sa.select(response_pages.c.id)
           .where(response_pages.c.response_id == responses.c.id,
                  response_pages.c.page_number == sa.bindparam("page_number")).exists())
    .order_by(responses.c.id).limit(1))
# The last page stored in a batch that is not a blank page: a page joined by page order follows it (#16).
_PAGE_BEFORE = (sa.select(pages.c.id, pages.c.form_id, pages.c.version, pages.c.page, pages.c.serial,
                          pages.c.set_aside)
                .where(pages.c.batch_id == sa.bindparam("batch_id"),
                       sa.or_(pages.c.set_aside.is_(None), pages.c.set_aside.not_in(("blank", "not_scan"))))
                .order_by(pages.c.id.desc()).limit(1))
# Whether the response a page joined already has a page of this number (a cover sheet's group is full).
_rp_other = response_pages.alias("rp_other")
_RESPONSE_OF_PAGE_HAS = (
    sa.select(_rp_other.c.id)
    .join(response_pages, response_pages.c.response_id == _rp_other.c.response_id)
    .where(response_pages.c.page_id == sa.bindparam("page_id"),
           _rp_other.c.page_number == sa.bindparam("page_number"))
    .limit(1))
# Stored pages that may be another scan of a page of a form without serials (#16): the same form page
# and inked boxes, the same unit, joined to another response not rejected, from a batch whose collection
# dates (when both are known) overlap this one's; the newest first.
_other_batch = batches.alias("other_batch")
_this_batch = batches.alias("this_batch")
_DUPLICATE_CANDIDATES = (
    sa.select(pages.c.id, pages.c.ink_print)
    .join(response_pages, response_pages.c.page_id == pages.c.id)
    .join(responses, responses.c.id == response_pages.c.response_id)
    .join(_other_batch, _other_batch.c.id == pages.c.batch_id)
    .join(_this_batch, _this_batch.c.id == sa.bindparam("batch_id"))
    .where(pages.c.form_id == sa.bindparam("form_id"), pages.c.version == sa.bindparam("version"),
           pages.c.page == sa.bindparam("page"), pages.c.marks_key == sa.bindparam("marks_key"),
           pages.c.unit.is_not_distinct_from(sa.bindparam("unit", type_=sa.String)),
           pages.c.ink_print.is_not(None), responses.c.id != sa.bindparam("response_id"),
           sa.not_(responses.c.flags.contains(REJECTED, autoescape=True)),
           sa.or_(_other_batch.c.collected_from.is_(None), _this_batch.c.collected_to.is_(None),
                  _other_batch.c.collected_from <= _this_batch.c.collected_to),
           sa.or_(_other_batch.c.collected_to.is_(None), _this_batch.c.collected_from.is_(None),
                  _other_batch.c.collected_to >= _this_batch.c.collected_from))
    .order_by(pages.c.id.desc()).limit(sa.bindparam("limit")))
_INSERT_RESPONSE = responses.insert()
_RESPONSE_FLAGS = (sa.select(responses.c.flags, responses.c.pages_expected)
                   .where(responses.c.id == sa.bindparam("response_id")))
_SET_RESPONSE_FLAGS = (responses.update().where(responses.c.id == sa.bindparam("response_id"))
                       .values(flags=sa.bindparam("flags")))
# The page numbers, ids and details of a response's joined pages (is every page without a mark?).
_JOINED_PAGE_DETAILS = (sa.select(response_pages.c.page_number, pages.c.id, pages.c.detail)
                        .join(pages, pages.c.id == response_pages.c.page_id)
                        .where(response_pages.c.response_id == sa.bindparam("response_id")))
_INSERT_RESPONSE_PAGE = response_pages.insert()
_ANSWERS_OF = (sa.select(answers.c.id, answers.c.question, answers.c.set_by)
               .where(answers.c.response_id == sa.bindparam("response_id")))



def _has_a_mark(detail: str | None) -> bool:
    """Whether a read page has a mark: its detail's tags (``"; "``-separated) are not only
    :data:`~omr.model.NO_MARKS` with or without ``mostly_blank`` (omr.scan.page)."""
    tags = set(filter(None, (detail or "").split("; ")))
    return not (NO_MARKS in tags and tags <= {NO_MARKS, "mostly_blank"})


# Which of some page images of files (by content) are recorded: their (page index, part).
_PAGES_DONE_OF = (sa.select(pages.c.page_index, pages.c.part)
                  .join(source_files, source_files.c.id == pages.c.source_file_id)
                  .where(source_files.c.sha256 == sa.bindparam("sha"),
                         pages.c.page_index.in_(sa.bindparam("indices", expanding=True))))


@dataclass
class _KnownInTransaction:
    """What one write transaction storing pages knows of their files: the (page index, part) recorded,
    by file hash, and the files' ``source_files`` ids. Asked once per file for all its pages in the
    transaction, not once per page (the store's CPU per page, issue #18), and kept up to date as
    pages are written, so a page named twice in one transaction is still stored once."""

    done: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    rows: _PageRows = field(default_factory=lambda: _PageRows())  # the pages' many-row tables, inserted at the end
    # Responses created in this transaction, with the questions it gave them answers for: only this
    # transaction can have answered them, so a later page of one is not asked for its answers.
    answered: dict[int, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, conn: sa.Connection, wanted: list[tuple[str, int]]) -> _KnownInTransaction:
        """For the (file hash, page index) pairs of the pages about to be stored."""
        by_file: dict[str, set[int]] = {}
        for sha, index in wanted:
            by_file.setdefault(sha, set()).add(index)
        known = cls()
        for sha, indices in by_file.items():
            known.done[sha] = {(row.page_index, row.part)
                               for row in conn.execute(_PAGES_DONE_OF, {"sha": sha, "indices": sorted(indices)})}
        return known


# The many-row tables of a stored page, in the order their rows are given to :class:`_PageRows`.
_PAGE_ROW_COLUMNS = {
    "boxes": ("page_id", "question", "option", "state", "fill", "darkness", "confidence", "x", "y", "w", "h"),
    "answers": ("response_id", "question", "value", "status", "confidence", "source_page_id", "set_by",
                "updated_at"),
    "comments": ("response_id", "page_id", "field", "inked", "ink_mm2", "x", "y", "w", "h", "crop_png",
                 "draft_text", "draft_confidence", "draft_words", "likely_correct", "review_priority", "status",
                 "flags", "updated_at", "faint"),
}
_PAGE_ROW_TABLES = {"boxes": boxes, "answers": answers, "comments": comments}
# Statements of _PageRows by dialect name and table: (driver SQL or None, each column's bind processor).
_PAGE_ROW_SQL: dict[tuple[str, str], tuple[str | None, tuple]] = {}


class _PageRows:
    """The rows of boxes, answers and comments of the pages stored in one transaction, inserted
    together: one driver-level executemany per table (issue #18).

    A page has ~100 boxes, ~20 answers and a few comment fields. Inserted page by page through
    SQLAlchemy, each row's parameters were built one by one (most of the storing parent's CPU);
    here rows are tuples in the table's column order, given to the driver as they are, after
    the bind processors SQLAlchemy itself would apply (SQLite's date-times, say), so the stored
    values are the same. Rows wait until :meth:`flush`: whatever reads one of these tables in the
    transaction flushes it first (:meth:`flush` with its name), and the transaction flushes all
    before it commits, so a commit still holds whole pages only.
    """

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {name: [] for name in _PAGE_ROW_COLUMNS}

    def add(self, table: str, rows: list[tuple]) -> None:
        """Rows of ``table`` ("boxes", "answers" or "comments"), tuples in ``_PAGE_ROW_COLUMNS`` order."""
        self.rows[table].extend(rows)

    def flush(self, conn: sa.Connection, *tables: str) -> None:
        """Insert the waiting rows of ``tables`` (all when none named). Raises what the insert
        raises (IntegrityError for a row a unique key refuses, as SQLAlchemy wraps it)."""
        for name in tables or tuple(self.rows):
            rows, self.rows[name] = self.rows[name], []
            if not rows:
                continue
            sql, processors = _page_row_sql(conn.dialect, name)
            if any(processors):  # column by column (map: a C loop), then back into rows
                columns = [list(values) if f is None else list(map(f, values))
                           for f, values in zip(processors, zip(*rows))]
                rows = list(zip(*columns))
            if sql is None:  # a driver whose parameter style is not positional: through SQLAlchemy
                conn.execute(_PAGE_ROW_TABLES[name].insert(), [dict(zip(_PAGE_ROW_COLUMNS[name], row))
                                                               for row in rows])
            else:
                conn.exec_driver_sql(sql, rows)


def _page_row_sql(dialect: sa.Dialect, name: str) -> tuple[str | None, tuple]:
    """The driver's INSERT of ``_PAGE_ROW_COLUMNS[name]`` (positional parameters; None when the
    driver takes none) and each column's bind processor (None where SQLAlchemy binds as is)."""
    key = (dialect.name, name)
    if key not in _PAGE_ROW_SQL:
        table, columns = _PAGE_ROW_TABLES[name], _PAGE_ROW_COLUMNS[name]
        mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
        quote = dialect.identifier_preparer.quote
        sql = None if mark is None else (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
                                         f"VALUES ({', '.join([mark] * len(columns))})")
        processors = tuple(table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
        _PAGE_ROW_SQL[key] = (sql, processors)
    return _PAGE_ROW_SQL[key]


# --- pure helpers ---------------------------------------------------------------

def database_url(url: str | None = None) -> sa.URL:
    """The SQLAlchemy URL for what a user typed.

    None is the default SQLite file; a filesystem path is an SQLite file;
    ``postgresql://`` (and ``postgres://``) use the psycopg 3 driver, the one
    installed. Raises DatabaseError for text that is no database URL.
    """
    if url is None:
        return sa.URL.create("sqlite", database=str(DEFAULT_SQLITE_PATH))
    if "://" not in url:
        return sa.URL.create("sqlite", database=url)
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    try:
        return sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is no number
        raise DatabaseError(f"Địa chỉ cơ sở dữ liệu không hợp lệ: {_mask_text(url)}") from None


def masked(url: sa.URL) -> str:
    """The URL for messages: the password never reaches a screen or a log."""
    return url.render_as_string(hide_password=True)


def _mask_text(url: str) -> str:
    # For text that did not even parse: hide whatever sits between ':' and '@'.
    head, sep, tail = url.rpartition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, userinfo = head.partition("://")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}{':***' if ':' in userinfo else ''}@{tail}"


def serial_lock_key(form_id: str, version: int, serial: int) -> int:
    """A signed 64-bit key for pg_advisory_xact_lock, one per sheet identity."""
    digest = hashlib.sha256(f"{form_id}|{version}|{serial}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def version_token(value: datetime | None) -> str:
    """A row's ``updated_at`` as text a form can carry back: the version a person saw.

    SQLite hands back naive UTC datetimes and PostgreSQL aware ones; both
    become the same UTC ISO text, to the microsecond.
    """
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


class StaleWriteError(OmrError):
    """Someone else changed the value since this person loaded it: their change is not lost."""

    exit_code = 7

    def __init__(self, message: str, current: dict | None = None):
        super().__init__(message)
        self.current = current or {}


# The status of a comment box on a page a person rejected (schema: blank | pending | reviewed | rejected).
COMMENT_REJECTED = "rejected"
# pages.set_aside of a page whose printed unit differs from its sheet's (omr.model.SET_ASIDE_REASONS).
UNIT_CLASH = "unit_clash"


class UnitClashError(StaleWriteError):
    """A page given a unit other than the one its sheet's other pages carry (a person must decide which)."""


def _is_lock_error(exc: sa.exc.DBAPIError) -> bool:
    """Waiting longer may help: SQLite busy/locked, PostgreSQL deadlock or serialisation."""
    if getattr(exc.orig, "sqlstate", None) in ("40P01", "40001"):
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text or "busy" in text


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


# --- opening ------------------------------------------------------------------

SUPPORTED_BACKENDS = ("sqlite", "postgresql")  # the two drivers installed and tested


def open_store(url: str | None = None, *, upgrading: bool = False) -> Store:
    """Open (and create if missing) the database at ``url``.

    A new database gets the newest schema; one written before migrations is
    stamped with the baseline revision (:mod:`omr.data.migrate`). With
    ``upgrading`` (only ``omr db upgrade``) an out-of-date schema is accepted
    so that :meth:`Store.upgrade_schema` can bring it up to date.

    Raises
    ------
    DatabaseError
        The database cannot be reached or created, its schema is older than
        this omr (run ``omr db upgrade``) or newer; the message names the URL
        with its password masked.
    """
    target = database_url(url)
    shown = masked(target)
    if target.get_backend_name() not in SUPPORTED_BACKENDS:
        # mysql://, oracle://...: one line naming what works, not a missing-driver traceback.
        raise DatabaseError(f"Không hỗ trợ cơ sở dữ liệu «{target.get_backend_name()}» ({shown}): "
                            "chỉ dùng được SQLite (đường dẫn tệp) hoặc PostgreSQL (postgresql://...)")
    try:
        if target.get_backend_name() == "sqlite":
            engine = _sqlite_engine(target)
        else:
            connect_args = {}
            if target.get_backend_name() == "postgresql" and "connect_timeout" not in target.query:
                connect_args["connect_timeout"] = T.POSTGRES_CONNECT_TIMEOUT_S
            engine = sa.create_engine(target, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError, OSError) as exc:
        raise DatabaseError(f"Không mở được cơ sở dữ liệu {shown}: {_reason(exc)}") from None
    store = Store(engine, shown)
    try:
        state, revision = store._prepare_schema()
    except (sa.exc.DBAPIError, OSError) as exc:
        engine.dispose()
        raise DatabaseError(f"Không kết nối được cơ sở dữ liệu {shown}: {_reason(exc)}") from None
    if state == migrate.NEWER or (state == migrate.OUTDATED and not upgrading):
        engine.dispose()
        raise DatabaseError(_schema_message(state, revision, target))
    return store


@contextmanager
def open_store_or_nothing(url: str | None = None) -> Iterator[Store]:
    """:func:`open_store` for a command that writes, as a with-block that closes the store: when the block
    fails (raises) and the database is an SQLite file this very opening created, in which nothing was
    stored, the file and the folders made for it are removed again.

    So a command that fails on its input (a bad export file or mapping) leaves no empty database
    behind that a later command would take for real data ("0 phiếu"). On PostgreSQL (a database
    exists before omr is pointed at it) the schema this opening made in an empty database is dropped
    again (:func:`omr.data.migrate.drop_made`), in one transaction. A database that existed, or that
    holds any row, is never touched; when a file or schema this opening made has to stay (a row was
    stored, the drop failed), an :class:`~omr.errors.OmrError` raised by the block says so in its message.
    Raises what :func:`open_store` and the block raise.
    """
    made = _sqlite_paths_to_make(database_url(url))
    try:
        store = open_store(url)
    except BaseException:
        _remove_made(made)
        raise
    try:
        yield store
    except BaseException as exc:
        if made:  # an SQLite file this opening made: removed, unless something was stored in it
            why_kept = None if _holds_nothing(store) else _ROWS_STORED
        elif store.schema_made:  # a database that was there (PostgreSQL's always is), empty: its new tables go
            why_kept = _drop_made_schema(store)
        else:
            why_kept = None
        store.close()
        if made and not why_kept:
            _remove_made(made)
        if why_kept and isinstance(exc, OmrError):  # said plainly: the next command finds these tables
            exc.message = (f"{exc.message}\nCác bảng của omr mà lệnh này vừa tạo trong cơ sở dữ liệu {store.url} "
                           f"vẫn còn lại ({why_kept}); các lệnh sau sẽ dùng tiếp các bảng này.")
        raise
    store.close()


_ROWS_STORED = "đã có dữ liệu được lưu vào trước khi lỗi xảy ra"


class _RowsStored(Exception):
    """A row is in a table of the schema to drop: the drop is called off (its transaction rolled back)."""


def _drop_made_schema(store: Store) -> str | None:
    """Drop the schema that opening ``store`` made (PostgreSQL) if no table of it holds a row, in one
    transaction holding the tables locked from the check to the drop; why it stays (Vietnamese), or None."""
    try:
        with store._write() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in metadata.sorted_tables)
                conn.execute(sa.text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))
            if any(conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
                   for table in metadata.sorted_tables):
                raise _RowsStored
            migrate.drop_made(conn)
    except _RowsStored:
        return _ROWS_STORED
    except sa.exc.DBAPIError as exc:
        return f"không xoá được: {_reason(exc)}"
    return None


def _sqlite_paths_to_make(target: sa.URL) -> list[Path]:
    """The SQLite file ``target`` names and its missing folders (innermost first), when the file does not exist."""
    database = target.database or ""
    if (target.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:")):
        return []
    path = Path(database).expanduser()
    if path.exists():
        return []
    made = [path]
    folder = path.parent
    while not folder.exists():
        made.append(folder)
        folder = folder.parent
    return made


def _holds_nothing(store: Store) -> bool:
    """Whether no table of omr's schema holds a row (the Alembic stamp is not in the schema)."""
    try:
        with store._read() as conn:
            return not any(conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
                           for table in metadata.sorted_tables)
    except sa.exc.DBAPIError:
        return False  # unsure: keep it


def _remove_made(made: list[Path]) -> None:
    """Remove an SQLite file made by this process (with its WAL and journal) and then its folders, if empty."""
    if not made:
        return
    database = made[0]
    for path in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal"))):
        path.unlink(missing_ok=True)
    for folder in made[1:]:
        try:
            folder.rmdir()
        except OSError:  # something else was put in it meanwhile
            break


def _schema_message(state: str, revision: str | None, target: sa.URL) -> str:
    shown = masked(target)
    if state == migrate.NEWER:
        return (f"Cơ sở dữ liệu {shown} được một phiên bản omr mới hơn tạo ra (cấu trúc {revision}); "
                f"hãy cập nhật omr trước khi dùng nó.")
    db = target.database if target.get_backend_name() == "sqlite" else shown
    return (f"Cơ sở dữ liệu {shown} có cấu trúc cũ (phiên bản {revision}, cần {migrate.head_revision()}): "
            f"chạy «omr db upgrade --db {db}» để nâng cấp (dữ liệu được giữ nguyên, có bản sao lưu).")


def _sqlite_engine(target: sa.URL) -> sa.Engine:
    database = target.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # A new database is its owner's only (it holds password hashes, answers and comments); SQLite gives
        # its -wal and -shm files the database's mode. An existing file keeps the mode it has.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(Path(database).expanduser(), os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE))
    engine = sa.create_engine(target, connect_args={"timeout": T.SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # SQLAlchemy emits BEGIN itself (below): pysqlite's own would be deferred.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL: readers never block the writer and a killed writer leaves no damage.
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode cannot corrupt the file; a power cut may lose the
        # last pages committed, which the next run reads again (resume). FULL
        # would fsync every page and halve scanning speed.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(T.SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A writer that starts with a read lock and upgrades later fails at once
        # (SQLITE_BUSY, no waiting) when another process wrote meanwhile; taking
        # the write lock at BEGIN makes it wait its turn instead.
        immediate = conn.get_execution_options().get("omr_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# --- the store ----------------------------------------------------------------

class Store(StoreQueries):
    """Recording and querying scanned pages; obtain one with :func:`open_store`."""

    def __init__(self, engine: sa.Engine, shown_url: str):
        self._engine = engine
        self.url = shown_url  # password masked
        self.schema_made = False  # this opening found the database empty and made omr's schema in it

    @property
    def backend(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- transactions --

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        with self._engine.connect() as conn:
            conn = conn.execution_options(omr_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def _run_write(self, work: Callable[[sa.Connection], Any]) -> Any:
        """Run ``work`` in one write transaction, retrying it whole on lock contention."""
        delay = 0.05
        unique_races = 0
        for attempt in range(T.DB_LOCK_RETRIES + 1):
            try:
                with self._write() as conn:
                    return work(conn)
            except sa.exc.IntegrityError:
                unique_races += 1
                if unique_races > T.DB_UNIQUE_RACE_RETRIES:
                    raise
            except sa.exc.OperationalError as exc:
                if not _is_lock_error(exc) or attempt == T.DB_LOCK_RETRIES:
                    raise DatabaseError(f"Lỗi cơ sở dữ liệu {self.url}: {_reason(exc)}") from None
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _prepare_schema(self) -> tuple[str, str | None]:
        """Create or stamp the schema (see :func:`omr.data.migrate.prepare`); return (state, revision)."""
        try:
            with self._write() as conn:
                state, revision = migrate.prepare(conn)
        except (sa.exc.IntegrityError, sa.exc.ProgrammingError):
            # Another process created the same tables between our check and
            # our CREATE (PostgreSQL); checking again finds them made.
            with self._write() as conn:
                state, revision = migrate.prepare(conn)
        if state == migrate.EMPTY:
            self.schema_made = True
            return migrate.CURRENT, revision
        return state, revision

    def schema_revision(self) -> str | None:
        """The schema revision stamped in the database."""
        with self._read() as conn:
            return migrate.current_revision(conn)

    def upgrade_schema(self, backup_dir: Path | None = None) -> tuple[str | None, str, Path | None]:
        """Run every pending migration; return (revision before, revision after, backup file or None).

        An SQLite file is first copied, through SQLite's online backup (so
        pages still in the write-ahead log are included), to
        ``<name>.backup-<YYYYMMDD-HHMMSS>.sqlite`` beside it (or in
        ``backup_dir``). The migrations then run in one transaction: on any
        error nothing is changed. SQLite's foreign-key enforcement is off
        while tables are rebuilt (Alembic batch mode), and the keys are
        checked before the commit.

        Raises DatabaseError when the database is newer than this omr, or a
        migration fails (the message says the data is unchanged).
        """
        before = self.schema_revision()
        head = migrate.head_revision()
        if before == head:
            return before, head, None
        backup = self._backup_sqlite(backup_dir) if self.backend == "sqlite" else None
        try:
            with self._engine.connect() as conn:
                sqlite = self.backend == "sqlite"
                if sqlite:
                    # Only outside a transaction does SQLite take this; on the raw
                    # connection, before SQLAlchemy begins one.
                    conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
                try:
                    conn = conn.execution_options(omr_write=True)
                    with conn.begin():
                        migrate.upgrade(conn)
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() if sqlite else []
                        if broken:
                            raise DatabaseError(f"Nâng cấp {self.url} dừng lại: {len(broken)} khoá ngoại không "
                                                f"khớp (bảng {broken[0][0]}); dữ liệu không bị thay đổi.")
                finally:
                    if sqlite:
                        conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
        except (sa.exc.DBAPIError, OSError) as exc:
            raise DatabaseError(f"Nâng cấp cơ sở dữ liệu {self.url} thất bại, dữ liệu không bị thay đổi: "
                                f"{_reason(exc)}") from None
        return before, self.schema_revision() or head, backup

    def _backup_sqlite(self, backup_dir: Path | None) -> Path | None:
        database = self._engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        source = Path(database).expanduser()
        stamp = datetime.now(VN_TZ).strftime("%Y%m%d-%H%M%S")  # Vietnam time, as everywhere a user reads
        target = (backup_dir or source.parent) / f"{source.stem}.backup-{stamp}{source.suffix or '.sqlite'}"
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        dst.close()
        src.close()
        return target

    def draft_pending(self, **options) -> drafting.DraftReport:
        """Draft the inked comments that have no draft yet: :func:`omr.data.drafting.draft_pending`."""
        return drafting.draft_pending(self, **options)

    # -- batches --

    def ensure_batch(self, name: str, collected_from: date | str | None = None,
                     collected_to: date | str | None = None) -> int:
        """The id of batch ``name``, created if new.

        Collection dates given here replace the stored ones (a user re-running
        a batch with corrected dates means the correction); None keeps them.
        """
        start, end = _as_date(collected_from), _as_date(collected_to)

        def work(conn: sa.Connection) -> int:
            row = conn.execute(sa.select(batches.c.id).where(batches.c.name == name)).first()
            if row is None:
                return conn.execute(batches.insert().values(
                    name=name, created_at=_now(), collected_from=start, collected_to=end)).inserted_primary_key[0]
            changes = {k: v for k, v in (("collected_from", start), ("collected_to", end)) if v is not None}
            if changes:
                conn.execute(batches.update().where(batches.c.id == row.id).values(**changes))
            return row.id

        return self._run_write(work)

    # -- pages --

    def page_done(self, file_sha256: str, page_index: int, part: int = 0) -> bool:
        """Whether this page (``part`` of the image, omr.model.WHOLE_IMAGE ...) of this file (by content)
        is recorded: resuming skips it."""
        with self._read() as conn:
            return self._page_done(conn, file_sha256, page_index, part)

    def pages_done(self, file_sha256: str) -> set[int]:
        """Indices of the page images of this file (by content) already recorded: one query per file.

        The pages of one image (its two halves) are stored in one transaction, so an index
        here has all of its pages recorded. An image an older omr set aside as "two_pages"
        is not done: it is read again, half by half (#13).
        """
        query = (sa.select(pages.c.page_index)
                 .join(source_files, source_files.c.id == pages.c.source_file_id)
                 .where(source_files.c.sha256 == file_sha256,
                        sa.or_(pages.c.set_aside.is_(None), pages.c.set_aside != LEGACY_TWO_PAGES)))
        with self._read() as conn:
            return set(conn.execute(query).scalars())

    @staticmethod
    def _page_done(conn: sa.Connection, file_sha256: str, page_index: int, part: int = 0) -> bool:
        return conn.execute(_PAGE_DONE, {"sha": file_sha256, "index": page_index, "part": part}).first() is not None

    def record_page(self, batch_id: int, file_path: str, file_sha256: str, file_size: int,
                    result: PageResult, pages_expected: int | None = None) -> str:
        """Store one scanned page in one transaction; return what happened.

        ``pages_expected`` is the number of pages of the form (from its
        layout); a response with that many pages is complete.

        Returns one of ``'new'`` (joined a response), ``'already'`` (this page
        of this file was recorded before: nothing changed), ``'rescan'`` (the
        same sheet page with the same marks from another file: stored, not
        counted again), ``'conflict'`` (the same sheet page with other marks:
        a response of its own, flagged), ``'set_aside'``.

        After a conflict, further pages with that serial join the oldest
        response still missing their page number, so a second copy of page 2
        goes with the second copy of page 1 when page 1 arrived first.
        """
        if result.set_aside is None and None in (result.form_id, result.version, result.page, result.serial):
            raise ValueError("a page that was read needs form_id, version, page and serial; "
                             "otherwise set result.set_aside")
        def work(conn: sa.Connection) -> str:
            known = _KnownInTransaction.of(conn, [(file_sha256, result.source.page_index)])
            outcome = self._record(conn, batch_id, file_path, file_sha256, file_size, result, pages_expected, known)
            known.rows.flush(conn)
            return outcome

        return self._run_write(work)

    def record_pages(self, batch_id: int, pages_to_store: list[tuple[str, str, int, PageResult, int | None]]
                     ) -> list[str]:
        """Store several scanned pages in one transaction; what happened to each, in order.

        ``pages_to_store`` holds ``(file_path, file_sha256, file_size, result,
        pages_expected)`` tuples, each as :meth:`record_page` takes them. The
        pages are committed together or not at all, so a run killed at any
        moment still leaves whole pages only (those of the last transaction are
        read again on resume). One commit for many pages is what makes the
        store keep up with the readers: a commit costs a WAL write on SQLite
        and a round trip and a flush on PostgreSQL (issue #18).
        Outcomes as :meth:`record_page`. Raises ValueError for a read page
        without its identity (before anything is written) and DatabaseError.
        """
        for _path, _sha, _size, result, _expected in pages_to_store:
            if result.set_aside is None and None in (result.form_id, result.version, result.page, result.serial):
                raise ValueError("a page that was read needs form_id, version, page and serial; "
                                 "otherwise set result.set_aside")
        if not pages_to_store:
            return []

        def work(conn: sa.Connection) -> list[str]:
            # Asked once for all the pages (inside the transaction, so what another process
            # committed before it began counts): which are recorded, and their files' rows.
            known = _KnownInTransaction.of(conn, [(sha, result.source.page_index)
                                                  for _path, sha, _size, result, _expected in pages_to_store])
            outcomes = [self._record(conn, batch_id, path, sha, size, result, expected, known)
                        for path, sha, size, result, expected in pages_to_store]
            known.rows.flush(conn)  # the pages' boxes, answers and comments, one insert per table
            return outcomes

        return self._run_write(work)

    def _record(self, conn: sa.Connection, batch_id: int, file_path: str, file_sha256: str,
                file_size: int, result: PageResult, pages_expected: int | None,
                known: _KnownInTransaction) -> str:
        page_index = result.source.page_index
        if (page_index, result.source.part) in known.done.get(file_sha256, ()):
            return ALREADY
        known.done.setdefault(file_sha256, set()).add((page_index, result.source.part))
        source_id = known.sources.get(file_sha256)
        if source_id is None:
            source_id = known.sources[file_sha256] = self._source_file_id(conn, file_path, file_sha256, file_size)
        if result.source.part:
            self._settle_legacy_two_pages(conn, source_id, page_index)
        if result.set_aside is not None:
            page_id = self._insert_page(conn, batch_id, source_id, result, SET_ASIDE, known.rows)
            self._write_comments(known.rows, None, page_id, result.comments)
            return SET_ASIDE

        if result.join is not None:
            result.serial = self._joined_serial(conn, batch_id, result)
        identity = (result.form_id, result.version, result.serial)
        if conn.dialect.name == "postgresql":
            # Held to commit: a concurrent page of the same sheet waits, then sees ours.
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(serial_lock_key(*identity))))
        same_page = self._same_sheet_page(conn, result.form_id, result.version, result.serial, result.page)
        marks = mark_signature([(b.question, b.option, b.state) for b in result.boxes])
        if same_page:
            known.rows.flush(conn, "boxes")  # the stored pages' boxes, those of this transaction's too
        stored = self._signatures(conn, same_page)
        for page_id in same_page:
            if stored[page_id] == marks:
                self._insert_page(conn, batch_id, source_id, result, RESCAN, known.rows, duplicate_of=page_id)
                return RESCAN

        # The response this page would join: asked once, for the unit check and for joining it.
        sheet = self._sheet_missing_page(conn, result)
        clash = self._unit_clash(conn, result, sheet)
        if clash:  # the sheet's other pages print another unit: a person decides, never the page order
            result.set_aside, result.detail = UNIT_CLASH, clash
            page_id = self._insert_page(conn, batch_id, source_id, result, SET_ASIDE, known.rows)
            self._write_comments(known.rows, None, page_id, result.comments)
            return SET_ASIDE
        outcome = CONFLICT if same_page else NEW
        response_id, created = self._response_for(conn, result, pages_expected, sheet)
        duplicate_of = None
        if outcome == NEW and result.ink_print is not None:
            duplicate_of = self._looks_like(conn, batch_id, result, response_id)
            if duplicate_of is not None:
                outcome = DUPLICATE
                self._flag_response(conn, response_id, POSSIBLE_DUPLICATE)
        page_id = self._insert_page(conn, batch_id, source_id, result, outcome, known.rows, duplicate_of=duplicate_of)
        conn.execute(_INSERT_RESPONSE_PAGE, {"response_id": response_id, "page_id": page_id,
                                             "page_number": result.page})
        if outcome == CONFLICT:
            self._flag_identity(conn, *identity, SERIAL_CONFLICT)
        self._flag_no_answers(conn, response_id, page_marked=_has_a_mark(result.detail), created=created)
        if created:
            known.answered[response_id] = set()
        questions = {q.question for q in result.questions}
        mine = known.answered.get(response_id)
        self._write_answers(conn, response_id, page_id, result.questions,
                            new_response=mine is not None and not (mine & questions), rows=known.rows)
        if mine is not None:
            mine |= questions
        self._write_comments(known.rows, response_id, page_id, result.comments)
        return outcome

    @staticmethod
    def _looks_like(conn: sa.Connection, batch_id: int, result: PageResult, response_id: int) -> int | None:
        """The stored page of another response this page looks like another scan of (#16), or None.

        A page of a form without serials (``result.ink_print`` set) whose inked boxes are those of a
        stored page of the same form page, unit and period, and whose ink print is at least
        ``DUP_MIN_SIMILARITY`` alike (:func:`omr.scan.duplicates.print_similarity`): the most alike.
        """
        best, best_id = T.DUP_MIN_SIMILARITY, None
        rows = conn.execute(_DUPLICATE_CANDIDATES, {
            "batch_id": batch_id, "form_id": result.form_id, "version": result.version, "page": result.page,
            "marks_key": result.marks_key, "unit": result.unit, "response_id": response_id,
            "limit": T.DUP_MAX_CANDIDATES})
        for row in rows:
            score = print_similarity(result.ink_print, row.ink_print)
            if score is not None and score >= best:
                best, best_id = score, row.id
        return best_id

    @staticmethod
    def _flag_no_answers(conn: sa.Connection, response_id: int, *, page_marked: bool = False,
                         created: bool = False) -> None:
        """Sets :data:`NO_ANSWERS` on a paper sheet whose every page is joined and carries no mark at all
        (detail tags only ``no_marks`` and ``mostly_blank``: omr.scan.page), clears it when a page joined
        since has one. A person's decision (:data:`NO_ANSWERS_CHECKED`) is left as it is.

        ``page_marked``: the page just joined has a mark (:func:`_has_a_mark`), so the sheet is not
        empty and only a flag set earlier is cleared; ``created``: the response was made for that page
        in this transaction (its flags hold neither flag), so nothing is to be done (issue #18: these
        queries were a quarter of the storing process's time a page)."""
        if page_marked and created:
            return
        row = conn.execute(_RESPONSE_FLAGS, {"response_id": response_id}).first()
        flags = split_flags(row.flags)
        if NO_ANSWERS_CHECKED in flags or not row.pages_expected:
            return
        if page_marked:
            empty = False
        else:
            joined = conn.execute(_JOINED_PAGE_DETAILS, {"response_id": response_id}).all()
            tags = {page_id: set(filter(None, (detail or "").split("; "))) for _, page_id, detail in joined}
            empty = (len({page_number for page_number, _, _ in joined}) >= row.pages_expected
                     and all(NO_MARKS in page_tags for page_tags in tags.values()))
            if empty:
                # A scanned page's other notes (a tilt, writing beside boxes...) keep its per-question review; a
                # page a person assigned was found unmarked from its stored boxes when assigned
                # (:meth:`assign_page`), its notes being those that set it aside.
                noted = [page_id for page_id, page_tags in tags.items()
                         if not page_tags <= {NO_MARKS, "mostly_blank"}]
                empty = not noted or len(noted) == len(conn.execute(
                    sa.select(changes.c.entity_id).distinct().where(
                        changes.c.entity == "page", changes.c.field == "identity",
                        changes.c.entity_id.in_(noted))).all())
        if empty != (NO_ANSWERS in flags):
            new = add_flag(row.flags, NO_ANSWERS) if empty else ",".join(f for f in flags if f != NO_ANSWERS)
            conn.execute(_SET_RESPONSE_FLAGS, {"response_id": response_id, "flags": new})

    @staticmethod
    def _page_unmarked(conn: sa.Connection, page_id: int, detail: str | None, reads: list[QuestionRead]) -> bool:
        """Whether a set-aside page a person assigns carries no mark at all: boxes were read (every one
        EMPTY), no question has a value, no comment field has ink (faint included), and it was not read
        misaligned (boxes read off their place say nothing of the pen)."""
        if "misaligned" in (detail or "").split("; ") or any(q.value not in (None, "", []) for q in reads):
            return False
        states = conn.execute(sa.select(boxes.c.state).where(boxes.c.page_id == page_id)).scalars().all()
        if not states or any(state != EMPTY for state in states):
            return False
        return conn.execute(sa.select(comments.c.id).where(
            comments.c.page_id == page_id, sa.or_(comments.c.inked, comments.c.faint))).first() is None

    @staticmethod
    def _flag_answered_blank(conn: sa.Connection, response_id: int) -> None:
        """After a person's decision on one of a paper sheet's answers or comments: a sheet with every page in
        whose answers have all ended blank (none waiting for a person, no value, no comment with writing)
        counts like a sheet with no mark (:data:`NO_ANSWERS`, checked by that person: out of the report
        figures, told in the report's count); a sheet so flagged that gets a value again loses both flags.
        A sheet still waiting on a read, or on a page, is left as it is."""
        row = conn.execute(sa.select(responses.c.flags, responses.c.pages_expected)
                           .where(responses.c.id == response_id)).first()
        if row is None or not row.pages_expected:
            return
        flags = split_flags(row.flags)
        if REJECTED in flags:
            return
        has_value = waiting = False
        for value, status, set_by in conn.execute(sa.select(answers.c.value, answers.c.status, answers.c.set_by)
                                                  .where(answers.c.response_id == response_id)):
            if decode_value(value) not in (None, "", []):
                has_value = True
            elif status in NEEDS_REVIEW and set_by == MACHINE:
                waiting = True
        for status, text in conn.execute(sa.select(comments.c.status, comments.c.text)
                                         .where(comments.c.response_id == response_id)):
            if status == "pending":
                waiting = True
            elif status == "reviewed" and (text or "").strip():
                has_value = True
        if has_value:
            new = ",".join(f for f in flags if f not in (NO_ANSWERS, NO_ANSWERS_CHECKED))
        elif waiting:
            return
        else:
            present = conn.execute(sa.select(sa.func.count(sa.distinct(response_pages.c.page_number)))
                                   .where(response_pages.c.response_id == response_id)).scalar()
            if present < row.pages_expected:  # a page still to come (or lost) may hold answers: left as it is
                return
            new = add_flag(add_flag(row.flags, NO_ANSWERS), NO_ANSWERS_CHECKED)
        if new != (row.flags or ""):
            conn.execute(responses.update().where(responses.c.id == response_id).values(flags=new))

    @staticmethod
    def _flag_response(conn: sa.Connection, response_id: int, flag: str) -> None:
        row = conn.execute(sa.select(responses.c.flags).where(responses.c.id == response_id)).first()
        flags = add_flag(row.flags, flag)
        if flags != row.flags:
            conn.execute(responses.update().where(responses.c.id == response_id).values(flags=flags))

    @staticmethod
    def _settle_legacy_two_pages(conn: sa.Connection, source_id: int, page_index: int) -> None:
        """The image an older omr set aside whole as "two_pages" is now read half by half: its
        old page leaves the review queue (decided "split" by the machine; the row stays)."""
        old = conn.execute(sa.select(pages.c.id).where(
            pages.c.source_file_id == source_id, pages.c.page_index == page_index, pages.c.part == 0,
            pages.c.set_aside == LEGACY_TWO_PAGES,
            pages.c.id.not_in(sa.select(page_reviews.c.page_id)))).scalars().all()
        for page_id in old:
            conn.execute(page_reviews.insert().values(page_id=page_id, decision="split", decided_by=MACHINE,
                                                      decided_at=_now()))

    @staticmethod
    def _joined_serial(conn: sa.Connection, batch_id: int, result: PageResult) -> int:
        """The serial of the response a page of a form joined by page order joins (issue #16).

        The page stored just before it in the batch (blank pages left out: the
        backs of a duplex scan) decides. ``page_order``: page n joins the
        response of the page before when that is page n-1 of the same form
        version. ``cover_sheet``: a page other than the cover (page 1) joins
        the response of the page before when that is of the same form version
        and that response does not have this page yet (by response, not
        serial: a cover whose number an earlier sheet carries is a serial
        conflict, and its pages join its own response). Otherwise the page keeps
        its own serial and starts a response of its own, incomplete (a page out
        of order, a page missing, another form between): its missing pages are
        ``missing_page`` in exports, never blank answers. Batch runs store
        pages in batch order (omr.scan.batch), a resumed run after what the
        killed one stored, so the page before is the page before on paper.
        """
        if result.page is None or result.page <= 1:
            return result.serial
        before = conn.execute(_PAGE_BEFORE, {"batch_id": batch_id}).first()
        if before is None or before.set_aside is not None or (before.form_id, before.version) != (
                result.form_id, result.version):
            return result.serial
        if result.join == PAGE_ORDER:
            return before.serial if before.page == result.page - 1 else result.serial
        taken = conn.execute(_RESPONSE_OF_PAGE_HAS, {"page_id": before.id, "page_number": result.page}).first()
        return before.serial if taken is None else result.serial

    @staticmethod
    def _source_file_id(conn: sa.Connection, path: str, sha256: str, size: int) -> int:
        row = conn.execute(_SOURCE_FILE, {"sha": sha256}).first()
        if row is not None:
            return row.id
        return conn.execute(_INSERT_SOURCE_FILE, {"path": str(path), "sha256": sha256, "size": size,
                                                  "created_at": _now()}).inserted_primary_key[0]

    @staticmethod
    def _insert_page(conn: sa.Connection, batch_id: int, source_id: int, result: PageResult,
                     outcome: str, rows: _PageRows, duplicate_of: int | None = None) -> int:
        """The page's row (inserted now: its id is returned) and its boxes' rows (added to ``rows``)."""
        page_id = conn.execute(_INSERT_PAGE, dict(
            batch_id=batch_id, source_file_id=source_id, page_index=result.source.page_index, part=result.source.part,
            image_sha256=result.source.image_sha256, form_id=result.form_id, version=result.version,
            page=result.page, serial=result.serial, unit=result.unit, rotated_180=bool(result.rotated_180),
            alignment_mm=result.alignment_mm, set_aside=result.set_aside, detail=result.detail or "",
            homography=None if result.homography is None else json.dumps(result.homography),
            outcome=outcome, duplicate_of=duplicate_of, created_at=_now(),
            marks_key=result.marks_key, ink_print=result.ink_print,
        )).inserted_primary_key[0]
        rows.add("boxes", [(page_id, b.question, b.option, b.state, b.fill, b.darkness, b.confidence,
                            b.x, b.y, b.w, b.h) for b in result.boxes])
        return page_id

    @staticmethod
    def _signatures(conn: sa.Connection, page_ids: list[int]) -> dict[int, tuple]:
        reads: dict[int, list] = {pid: [] for pid in page_ids}
        if page_ids:
            rows = conn.execute(sa.select(boxes.c.page_id, boxes.c.question, boxes.c.option, boxes.c.state)
                                .where(boxes.c.page_id.in_(page_ids)))
            for row in rows:
                reads[row.page_id].append((row.question, row.option, row.state))
        return {pid: mark_signature(r) for pid, r in reads.items()}

    @staticmethod
    def _sheet_missing_page(conn: sa.Connection, result: PageResult) -> sa.Row | None:
        """The oldest response of the page's sheet (form, version, serial) still missing its page number:
        its id, unit and pages expected; None when there is none."""
        return conn.execute(_RESPONSE_MISSING_PAGE, {
            "form_id": result.form_id, "version": result.version, "serial": result.serial,
            "page_number": result.page}).first()

    @staticmethod
    def _unit_clash(conn: sa.Connection, result: PageResult, row: sa.Row | None) -> str:
        """Why the page cannot join its sheet: the response it would join (``row``, from
        :meth:`_sheet_missing_page`) carries another unit than the one printed on the page ("" when they
        agree or either is unknown)."""
        if result.unit is None:
            return ""
        if row is None or row.unit is None or row.unit == result.unit:
            return ""
        others = sorted(set(conn.execute(sa.select(response_pages.c.page_number).where(
            response_pages.c.response_id == row.id)).scalars()))
        shown = ", ".join(str(n) for n in others) or "khác"
        return (f"phiếu số {result.serial:06d} đã có trang {shown} mang mã đơn vị {row.unit}, trang {result.page} "
                f"này mang mã {result.unit} (hai tờ khác đơn vị trùng số phiếu, hoặc mã in sai): xem tờ phiếu rồi "
                "nhập số phiếu và mã đơn vị đúng cho trang này ở hàng đợi kiểm tra")

    @staticmethod
    def _response_for(conn: sa.Connection, result: PageResult, pages_expected: int | None,
                      row: sa.Row | None) -> tuple[int, bool]:
        """The oldest response of this sheet still missing this page (``row``: :meth:`_sheet_missing_page`,
        asked in this transaction with nothing written since), or a new one; and whether it is new."""
        if row is None:
            return conn.execute(_INSERT_RESPONSE, dict(
                form_id=result.form_id, version=result.version, serial=result.serial, unit=result.unit,
                pages_expected=pages_expected, flags="", created_at=_now())).inserted_primary_key[0], True
        changes: dict[str, Any] = {}
        if row.unit is None and result.unit is not None:
            changes["unit"] = result.unit
        if pages_expected is not None and pages_expected != row.pages_expected:
            changes["pages_expected"] = pages_expected
        if changes:
            conn.execute(responses.update().where(responses.c.id == row.id).values(**changes))
        return row.id, False

    @staticmethod
    def _flag_identity(conn: sa.Connection, form_id: str, version: int, serial: int, flag: str) -> None:
        rows = conn.execute(sa.select(responses.c.id, responses.c.flags).where(
            responses.c.form_id == form_id, responses.c.version == version, responses.c.serial == serial)).all()
        for row in rows:
            flags = add_flag(row.flags, flag)
            if flags != row.flags:
                conn.execute(responses.update().where(responses.c.id == row.id).values(flags=flags))

    @staticmethod
    def _write_answers(conn: sa.Connection, response_id: int, page_id: int,
                       reads: list[QuestionRead], *, new_response: bool = False, rows: _PageRows | None = None) -> None:
        """The page's answers: new ones inserted, the machine's earlier ones replaced, a person's kept.
        ``new_response``: the response was created in this transaction, so it has no answers yet.
        ``rows``: the transaction's waiting rows, where new answers wait (else inserted now)."""
        if rows is None:
            rows, now_too = _PageRows(), True
        else:
            now_too = False
        if not new_response:
            rows.flush(conn, "answers")  # answers of this transaction's earlier pages count as stored
        existing = {} if new_response else {
            row.question: row for row in conn.execute(_ANSWERS_OF, {"response_id": response_id})}
        now = _now()
        inserts, updates = [], []
        for read in reads:
            old = existing.get(read.question)
            if old is None:
                inserts.append((response_id, read.question, encode_value(read.value), read.status,
                                float(read.confidence), page_id, MACHINE, now))
            elif old.set_by == MACHINE:
                updates.append({"answer_id": old.id, "value": encode_value(read.value), "status": read.status,
                                "confidence": float(read.confidence), "source_page_id": page_id,
                                "set_by": MACHINE, "updated_at": now})
            # else: a person decided this answer; a machine read never overrides them.
        # One statement each, executed for many rows: a page has ~20 questions.
        rows.add("answers", inserts)
        if now_too:
            rows.flush(conn)
        if updates:
            conn.execute(answers.update().where(answers.c.id == sa.bindparam("answer_id")), updates)

    @staticmethod
    def _write_comments(rows: _PageRows, response_id: int | None, page_id: int, reads: list) -> None:
        """The page's comment fields (omr.scan.comments.CommentRead), added to the transaction's ``rows``.

        Only ever for a page new to its response (a rescan keeps the first
        page's comments), so no row of these fields exists yet, and none a
        person has reviewed can be replaced; the unique key would refuse it.
        """
        if not reads:
            return
        now = _now()
        rows.add("comments", [
            (response_id, page_id, r.field, bool(r.inked), float(r.ink_mm2), r.region[0], r.region[1], r.region[2],
             r.region[3], r.crop_png, r.draft_text, r.draft_confidence,
             json.dumps([[w.text, w.confidence, w.line, w.number] for w in r.words], ensure_ascii=False),
             bool(r.likely_correct), float(r.review_priority), "pending" if r.inked else "blank",
             flags_json(r.matches), now, bool(r.faint))
            for r in reads])

    # -- answers set by people --

    def set_answer(self, response_id: int, question: str, value: object, set_by: str,
                   status: str = OK, *, reason: str = "", expected_updated_at: str | None = None) -> str:
        """Record a person's answer (review, manual entry); machine reads never replace it.

        The change goes to the audit trail (``changes``) in the same
        transaction. ``expected_updated_at`` is the :func:`version_token` of
        the answer the person was shown ("" when there was none): if the
        answer changed since, nothing is written and StaleWriteError is
        raised. Returns the new version token.
        """
        if not set_by or set_by == MACHINE:
            raise ValueError("set_by must name the person who set the answer")

        def work(conn: sa.Connection) -> str:
            if conn.execute(sa.select(responses.c.id).where(responses.c.id == response_id)).first() is None:
                raise KeyError(f"no response {response_id}")
            old = conn.execute(
                sa.select(answers.c.id, answers.c.value, answers.c.status, answers.c.confidence, answers.c.set_by,
                          answers.c.updated_at)
                .where(answers.c.response_id == response_id, answers.c.question == question)
                .with_for_update()).first()
            if expected_updated_at is not None and version_token(old and old.updated_at) != expected_updated_at:
                raise StaleWriteError(
                    f"Câu {question} vừa được {old.set_by if old else 'người khác'} sửa sau khi bạn mở; "
                    "thay đổi của bạn chưa được lưu. Hãy xem giá trị mới rồi quyết định lại.",
                    {"value": decode_value(old.value) if old else None, "status": old.status if old else None,
                     "set_by": old.set_by if old else None})
            now = _now()
            values = {"value": encode_value(value), "status": status, "confidence": 1.0,
                      "set_by": set_by, "updated_at": now}
            if old is None:
                answer_id = conn.execute(answers.insert().values(
                    response_id=response_id, question=question, **values)).inserted_primary_key[0]
            else:
                answer_id = old.id
                conn.execute(answers.update().where(answers.c.id == old.id).values(**values))
            self._record_change(
                conn, set_by, "answer", answer_id, response_id, question,
                # The confidence too: a reopened item shows the machine's read as it was (value, status,
                # confidence), after the answer row holds the person's.
                None if old is None else {"value": decode_value(old.value), "status": old.status,
                                          "confidence": old.confidence, "set_by": old.set_by},
                {"value": value, "status": status}, reason, now)
            self._flag_answered_blank(conn, response_id)
            return version_token(now)

        return self._run_write(work)

    def set_comment_text(self, comment_id: int, text: str, set_by: str, *, reason: str = "",
                         expected_updated_at: str | None = None) -> str:
        """A person's transcription of a comment: stored, flags recomputed, change audited.

        Flags come from ``text`` (:func:`omr.text.lexicon.find_terms`, source ``text``: loose
        matching when typed without diacritics); the audit row keeps the flagged terms before
        and after, so a flag the person's text removes shows in the history.
        Same stale-write rule and return value as :meth:`set_answer`.
        """
        if not set_by or set_by == MACHINE:
            raise ValueError("set_by must name the person who transcribed the comment")

        def work(conn: sa.Connection) -> str:
            old = conn.execute(sa.select(comments).where(comments.c.id == comment_id).with_for_update()).first()
            if old is None:
                raise KeyError(f"no comment {comment_id}")
            if expected_updated_at is not None and version_token(old.updated_at) != expected_updated_at:
                raise StaleWriteError(
                    f"Ý kiến {old.field} vừa được {old.reviewed_by or 'người khác'} sửa sau khi bạn mở; "
                    "thay đổi của bạn chưa được lưu. Hãy xem nội dung mới rồi quyết định lại.",
                    {"text": old.text, "status": old.status, "set_by": old.reviewed_by})
            now = _now()
            matches = find_terms(text, source=TEXT)
            conn.execute(comments.update().where(comments.c.id == comment_id).values(
                text=text, status="reviewed", reviewed_by=set_by, reviewed_at=now,
                flags=flags_json(matches), updated_at=now))
            # The flags before and after are audited too: a flag the person's text drops is a visible change.
            self._record_change(conn, set_by, "comment", comment_id, old.response_id, old.field,
                                {"text": old.text, "status": old.status,
                                 # the machine's draft the person's text replaces: the value before, to read
                                 "draft": old.draft_text,
                                 "flags": [m.term for m in flags_from_json(old.flags) if m.flagged]},
                                {"text": text, "status": "reviewed", "flags": [m.term for m in matches if m.flagged]},
                                reason, now)
            if old.response_id is not None:
                self._flag_answered_blank(conn, old.response_id)
            return version_token(now)

        return self._run_write(work)

    # -- set-aside pages decided by people --

    def assign_page(self, page_id: int, form_id: str, version: int, page_number: int, serial: int,
                    reads: list[QuestionRead], who: str, *, unit: str | None = None, reason: str = "",
                    pages_expected: int | None = None) -> str:
        """Give a set-aside page the identity a person read off it and join it to its response.

        ``reads`` are the page's questions resolved from its stored boxes (a
        machine reading, so they go to review by the usual rules). Returns
        'new' or 'conflict' (that sheet page is already in; both are flagged).
        Raises StaleWriteError when the page is no longer set aside.
        """
        def work(conn: sa.Connection) -> str:
            row = conn.execute(sa.select(pages).where(pages.c.id == page_id).with_for_update()).first()
            decided = conn.execute(sa.select(page_reviews.c.page_id).where(page_reviews.c.page_id == page_id)).first()
            if row is None or row.set_aside is None or decided is not None:
                raise StaleWriteError("Trang này vừa được người khác xử lý; tải lại hàng đợi.")
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(serial_lock_key(form_id, version, serial))))
            outcome = CONFLICT if self._same_sheet_page(conn, form_id, version, serial, page_number) else NEW
            result = PageResult(PageSource(str(row.id), row.page_index, row.image_sha256 or ""),
                                form_id=form_id, version=version, page=page_number, serial=serial,
                                unit=unit or row.unit)
            sheet = self._sheet_missing_page(conn, result)
            unit_have = sheet.unit if sheet is not None else None
            if unit_have is not None and result.unit is not None and unit_have != result.unit:
                # The sheet's other pages say another unit: a person must say which is right, never the
                # order the pages were assigned in (a page 2 given 866 made the whole sheet 866, silently).
                others = conn.execute(sa.select(response_pages.c.page_number).where(
                    response_pages.c.response_id == sheet.id)).scalars().all()
                shown = ", ".join(str(n) for n in sorted(set(others))) or "khác"
                raise UnitClashError(
                    f"Phiếu số {serial:06d} đã có trang {shown} mang mã đơn vị {unit_have}, khác mã {result.unit} "
                    "của trang này: các trang của một tờ phiếu phải cùng một đơn vị. Hãy xem lại mã đơn vị "
                    "trên tờ phiếu (gõ lại mã đúng) hoặc số phiếu; trang này vẫn chờ trong hàng đợi.")
            response_id, _created = self._response_for(conn, result, pages_expected, sheet)
            conn.execute(pages.update().where(pages.c.id == page_id).values(
                form_id=form_id, version=version, page=page_number, serial=serial, unit=unit or row.unit,
                set_aside=None, outcome=outcome))
            conn.execute(response_pages.insert().values(
                response_id=response_id, page_id=page_id, page_number=page_number))
            if outcome == CONFLICT:
                self._flag_identity(conn, form_id, version, serial, SERIAL_CONFLICT)
            self._write_answers(conn, response_id, page_id, reads)
            # The page's comments, read when it was scanned, join the response with it.
            conn.execute(comments.update().where(comments.c.page_id == page_id, comments.c.response_id.is_(None))
                         .values(response_id=response_id))
            detail = row.detail
            if self._page_unmarked(conn, page_id, row.detail, reads):
                # Its detail was written when it was set aside (no_marks only for a page read with no other
                # note): a page that carries no mark is tagged now, so the sheet's no_answers flag counts it.
                detail = row.detail if NO_MARKS in (row.detail or "").split("; ") else \
                    (row.detail + "; " if row.detail else "") + NO_MARKS
                conn.execute(pages.update().where(pages.c.id == page_id).values(detail=detail))
            self._record_change(
                conn, who, "page", page_id, response_id, "identity",
                {"form_id": row.form_id, "version": row.version, "page": row.page, "serial": row.serial,
                 "unit": row.unit, "set_aside": row.set_aside},
                {"form_id": form_id, "version": version, "page": page_number, "serial": serial,
                 "unit": result.unit, "set_aside": None, **({"detail": detail} if detail != row.detail else {})},
                reason)
            self._flag_no_answers(conn, response_id)  # after the audit row, which tells a page a person assigned
            return outcome

        return self._run_write(work)

    def reject_page(self, page_id: int, who: str, *, reason: str = "") -> None:
        """A person decided a set-aside page is no form page (or unusable): it leaves the queue."""
        def work(conn: sa.Connection) -> None:
            # Locked until commit, as assign_page locks it: without the lock PostgreSQL let an assignment
            # and a rejection of the same page both pass their checks (the page joined a sheet AND was
            # listed as rejected; web attack of stop 24).
            row = conn.execute(sa.select(pages.c.set_aside).where(pages.c.id == page_id).with_for_update()).first()
            decided = conn.execute(sa.select(page_reviews.c.page_id).where(page_reviews.c.page_id == page_id)).first()
            if row is None or row.set_aside is None or decided is not None:
                raise StaleWriteError("Trang này vừa được người khác xử lý; tải lại hàng đợi.")
            self.reject_pages_in(conn, [(page_id, row.set_aside)], who, reason)

        self._run_write(work)

    def reject_pages_in(self, conn: sa.Connection, rows: list[tuple[int, str]], who: str, reason: str = "",
                        **audit) -> None:
        """In an open transaction: reject set-aside pages ``(page id, set_aside)`` (one audit row each,
        ``audit`` added to its new value); their comment boxes, which no sheet will ever hold, are
        rejected with them (a rejected page's comment stayed "pending" forever)."""
        now = _now()
        for page_id, set_aside in rows:
            conn.execute(page_reviews.insert().values(page_id=page_id, decision="rejected", decided_by=who,
                                                      decided_at=now))
            self._record_change(conn, who, "page", page_id, None, "decision", {"set_aside": set_aside},
                                {"decision": "rejected", **audit}, reason, now)
        ids = [page_id for page_id, _ in rows]
        for start in range(0, len(ids), 500):
            conn.execute(comments.update().where(comments.c.page_id.in_(ids[start:start + 500]),
                                                 comments.c.response_id.is_(None), comments.c.status == "pending")
                         .values(status=COMMENT_REJECTED))

    def restore_page(self, page_id: int, who: str, *, reason: str = "") -> None:
        """Undo a page's rejection (an admin's decision): it waits in the queue again, its comment boxes
        pending again; audited. Raises StaleWriteError when the page is not rejected (any more)."""
        def work(conn: sa.Connection) -> None:
            row = conn.execute(sa.select(pages.c.set_aside).where(pages.c.id == page_id).with_for_update()).first()
            decided = conn.execute(sa.select(page_reviews.c.decision, page_reviews.c.decided_by).where(
                page_reviews.c.page_id == page_id)).first()
            if row is None or row.set_aside is None or decided is None or decided.decision != "rejected":
                raise StaleWriteError("Trang này không còn ở trạng thái bị loại bỏ; tải lại trang.")
            conn.execute(page_reviews.delete().where(page_reviews.c.page_id == page_id))
            conn.execute(comments.update().where(comments.c.page_id == page_id, comments.c.response_id.is_(None),
                                                 comments.c.status == COMMENT_REJECTED).values(status="pending"))
            self._record_change(conn, who, "page", page_id, None, "decision",
                                {"decision": "rejected", "decided_by": decided.decided_by},
                                {"decision": None, "set_aside": row.set_aside, "restored": True}, reason)

        self._run_write(work)

    def decide_response(self, response_id: int, who: str, *, add_flags: tuple[str, ...] = (),
                        remove_flags: tuple[str, ...] = (), serial: int | None = None, reason: str = "",
                        expected_flags: str | None = None) -> None:
        """A person's decision on a whole response (issue #14): flags added or removed, a new serial.

        ``expected_flags`` is the flags text the person was shown; if the
        response changed meanwhile, StaleWriteError. Audited as entity 'response'.
        """
        self.decide_responses(who, [ResponseDecision(response_id, add_flags, remove_flags, serial, expected_flags)],
                              reason=reason)

    def decide_responses(self, who: str, decisions: list[ResponseDecision], *, reason: str = "") -> None:
        """One person's decision on several responses at once (the sheets of a serial conflict or a possible
        duplicate), each as :meth:`decide_response`, in order, in one transaction: all are written or, on
        StaleWriteError (one changed meanwhile, or its new serial was taken), none."""
        def work(conn: sa.Connection) -> None:
            for decision in decisions:
                self._decide_one(conn, who, decision, reason)

        self._run_write(work)

    def _decide_one(self, conn: sa.Connection, who: str, decision: ResponseDecision, reason: str) -> None:
        """:meth:`decide_responses` of one response, on ``conn`` (a write transaction)."""
        response_id, add_flags, remove_flags = decision.response_id, decision.add_flags, decision.remove_flags
        serial, expected_flags = decision.serial, decision.expected_flags
        # Locked until commit: a second decision at the same moment waits, then sees this one's flags
        # and is refused as stale (without the lock, PostgreSQL lets both pass the check).
        row = conn.execute(sa.select(responses.c.flags, responses.c.serial, responses.c.form_id,
                                     responses.c.version)
                           .where(responses.c.id == response_id).with_for_update()).first()
        if row is None or (expected_flags is not None and row.flags != expected_flags):
            raise StaleWriteError("Phiếu này vừa được người khác xử lý; tải lại hàng đợi.")
        if serial is not None and serial != row.serial:
            # The new serial is checked free here, in the writing transaction (held against pages of
            # that serial being stored meanwhile), not only before it: two sheets given the same new
            # serial at once would otherwise both keep it, with no conflict flag to show it.
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                    serial_lock_key(row.form_id, row.version, serial))))
            if conn.execute(sa.select(responses.c.id).where(
                    responses.c.form_id == row.form_id, responses.c.serial == serial,
                    responses.c.id != response_id)).first() is not None:
                raise StaleWriteError(f"Số phiếu {serial:06d} vừa được phiếu khác dùng; hãy chọn số khác.")
        flags = row.flags
        for flag in add_flags:
            flags = add_flag(flags, flag)
        flags = ",".join(f for f in split_flags(flags) if f not in remove_flags)
        values: dict[str, Any] = {"flags": flags}
        if serial is not None:
            values["serial"] = serial
        conn.execute(responses.update().where(responses.c.id == response_id).values(**values))
        self._record_change(conn, who, "response", response_id, response_id, "decision",
                            {"flags": row.flags, "serial": row.serial},
                            {"flags": flags, "serial": values.get("serial", row.serial)}, reason)

    @staticmethod
    def _same_sheet_page(conn: sa.Connection, form_id: str, version: int, serial: int, page_number: int) -> list[int]:
        """Pages already joined to a response as this page of this sheet."""
        return conn.execute(_SAME_SHEET_PAGE, {"form_id": form_id, "version": version, "serial": serial,
                                               "page_number": page_number}).scalars().all()

    @staticmethod
    def _record_change(conn: sa.Connection, who: str, entity: str, entity_id: int, response_id: int | None,
                       field: str, old: object, new: object, reason: str = "",
                       at: datetime | None = None) -> None:
        """One audit row; old and new are JSON (None: there was no value before)."""
        conn.execute(changes.insert().values(
            at=at or _now(), who=who, entity=entity, entity_id=entity_id, response_id=response_id, field=field,
            old_value=None if old is None else json.dumps(old, ensure_ascii=False, default=str),
            new_value=None if new is None else json.dumps(new, ensure_ascii=False, default=str),
            reason=(reason or "").strip()))

    # -- for modules that query the store's tables themselves (omr.data.review, omr.data.users) --

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """A read transaction."""
        with self._read() as conn:
            yield conn

    def writing(self, work: Callable[[sa.Connection], Any]) -> Any:
        """Run ``work(conn)`` in one write transaction, retried whole on lock contention."""
        return self._run_write(work)
