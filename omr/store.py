"""The database: scanned pages, the responses they join into, and answers.

One :class:`~omr.model.PageResult` becomes one row of ``pages`` (with its
``boxes``). A page that was read joins a *response*: the pages of one sheet,
found by (form, version, serial). Each question read on the page becomes an
*answer* of that response. Scanning staff rescan, re-run and interrupt
batches, so recording is built to be repeated:

- the same page of the same file (by content hash) is recorded once;
- a different file showing the same sheet page with the same marks is kept as
  a page, but does not count as a second response (a rescan);
- a different file showing the same sheet page with *different* marks is a
  second sheet carrying the same serial (a photocopied form): it becomes a
  response of its own and both are flagged ``serial_conflict`` for review;
- an answer a person has set is never overwritten by a machine read.

Each page is recorded in one transaction, so a run killed at any moment
leaves whole pages only, and resuming skips what is done.

Runs on SQLite (the default file ``outputs/omr.sqlite``) and PostgreSQL,
through SQLAlchemy Core. SQLite writers take the write lock up front
(``BEGIN IMMEDIATE``) and wait for each other (busy timeout, then retries), so
two processes can feed one file; on PostgreSQL an advisory lock per serial
keeps two processes from creating the same response twice.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from .errors import DatabaseError, OmrError
from .model import NEEDS_REVIEW, OK, PageResult, PageSource, QuestionRead

DEFAULT_SQLITE_PATH = Path("outputs") / "omr.sqlite"

# Outcomes of Store.record_page
NEW, ALREADY, RESCAN, CONFLICT, SET_ASIDE = "new", "already", "rescan", "conflict", "set_aside"

MACHINE = "machine"  # answers.set_by of a machine read; anything else is a person
SERIAL_CONFLICT = "serial_conflict"  # responses.flags: two sheets carry one serial

# SQLite lets one writer at a time; a page takes milliseconds, so a writer
# waiting 30 s means something is stuck rather than busy.
SQLITE_BUSY_TIMEOUT_S = 30.0
# After the busy timeout (or a PostgreSQL deadlock) the page is retried whole.
LOCK_RETRIES = 6
# Another process inserting the same unique row between our check and our
# insert: the retry sees its row. More than this is a real constraint bug.
UNIQUE_RACE_RETRIES = 3
# A database server that does not answer in 10 s is treated as unreachable.
POSTGRES_CONNECT_TIMEOUT_S = 10

metadata = sa.MetaData()

batches = sa.Table(
    "batches", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("collected_from", sa.Date),
    sa.Column("collected_to", sa.Date),
)

# A scanned file, known by its content: renaming or moving it changes nothing.
source_files = sa.Table(
    "source_files", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

pages = sa.Table(
    "pages", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("batch_id", sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("source_file_id", sa.ForeignKey("source_files.id"), nullable=False),
    sa.Column("page_index", sa.Integer, nullable=False),
    sa.Column("image_sha256", sa.String(64)),
    sa.Column("form_id", sa.String(100)),
    sa.Column("version", sa.Integer),
    sa.Column("page", sa.Integer),
    sa.Column("serial", sa.Integer),
    sa.Column("unit", sa.String(100)),
    sa.Column("rotated_180", sa.Boolean, nullable=False, default=False),
    sa.Column("alignment_mm", sa.Float),
    sa.Column("set_aside", sa.String(40)),  # a key of model.SET_ASIDE_REASONS
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.Column("homography", sa.Text),  # JSON 3x3
    sa.Column("outcome", sa.String(20), nullable=False),  # new | rescan | conflict | set_aside
    sa.Column("duplicate_of", sa.ForeignKey("pages.id")),  # the page a rescan repeats
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # source_files.sha256 is unique, so this is UNIQUE(file sha256, page index).
    sa.UniqueConstraint("source_file_id", "page_index", name="uq_pages_source_index"),
    sa.Index("ix_pages_identity", "form_id", "version", "serial", "page"),
    sa.Index("ix_pages_batch", "batch_id"),
)

boxes = sa.Table(
    "boxes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("page_id", sa.ForeignKey("pages.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("question", sa.String(40), nullable=False),
    sa.Column("option", sa.String(40), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("fill", sa.Float, nullable=False),
    sa.Column("darkness", sa.Float, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("x", sa.Float, nullable=False),
    sa.Column("y", sa.Float, nullable=False),
    sa.Column("w", sa.Float, nullable=False),
    sa.Column("h", sa.Float, nullable=False),
)

responses = sa.Table(
    "responses", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("form_id", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("serial", sa.Integer),  # NULL for online responses
    sa.Column("unit", sa.String(100)),  # a registry code when known (online: resolved on import)
    sa.Column("pages_expected", sa.Integer),  # pages of the form; None: not told
    sa.Column("flags", sa.Text, nullable=False, default=""),  # comma-separated, sorted
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # Online responses (omr.online): where each came from, to the row.
    sa.Column("channel", sa.String(10), nullable=False, default="paper", server_default="paper"),  # paper | online
    sa.Column("source", sa.String(200)),  # the survey's source name, e.g. "google-forms-fb"
    sa.Column("import_file_id", sa.ForeignKey("import_files.id")),
    sa.Column("source_row", sa.Integer),  # row in the file as a spreadsheet numbers it (header = 1)
    sa.Column("submitted_at", sa.DateTime(timezone=True)),
    sa.Column("unit_recorded", sa.Text),  # the unit as written in the file, before matching
    sa.Column("answers_sha", sa.String(64)),  # unit and answers: repeated submissions share it
    sa.Column("content_sha", sa.String(64)),  # answers_sha and submitted_at: the same submission
    sa.Index("ix_responses_identity", "form_id", "version", "serial"),
    sa.Index("ix_responses_online", "source", "answers_sha"),
    sa.UniqueConstraint("import_file_id", "source_row", name="uq_responses_import_row"),
)

# An imported online export (omr.online), known by its content: importing the
# same file again adds nothing.
import_files = sa.Table(
    "import_files", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("details", sa.Text, nullable=False, default="{}"),  # JSON: encoding, separator, date order...
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# The unit registry (omr.units): communes and wards with their validity dates.
# One row per (code, valid_from): a code may change name or kind over time.
units = sa.Table(
    "units", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(40), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("parent", sa.String(40)),
    sa.Column("valid_from", sa.Date),  # NULL: since before the registry's history
    sa.Column("valid_to", sa.Date),  # NULL: still valid
    sa.Column("predecessors", sa.Text, nullable=False, default=""),  # codes joined with ';'
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Index("ix_units_code", "code"),
)

response_pages = sa.Table(
    "response_pages", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("response_id", sa.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False),
    sa.Column("page_id", sa.ForeignKey("pages.id"), nullable=False, unique=True),
    sa.Column("page_number", sa.Integer, nullable=False),
    sa.UniqueConstraint("response_id", "page_number", name="uq_response_pages_number"),
)

answers = sa.Table(
    "answers", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("response_id", sa.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False),
    sa.Column("question", sa.String(40), nullable=False),
    sa.Column("value", sa.Text),  # JSON: "code", ["codes"], "YYYY-MM-DD"; NULL for no value
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("source_page_id", sa.ForeignKey("pages.id")),
    sa.Column("set_by", sa.String(100), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("response_id", "question", name="uq_answers_response_question"),
)


# One free-text field of a response (a comment box). Every text field of every
# page read gets a row, blank ones too, so "no comment" is a recorded fact. An
# inked field keeps its cleaned crop (PNG bytes, in the database so every
# station and the review app see the same image) and its OCR draft; a person's
# transcription goes to ``text`` and is never overwritten by a machine. A page
# set aside (no serial yet) keeps its comments with no response; they join
# the response when a person assigns the page.
comments = sa.Table(
    "comments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("response_id", sa.ForeignKey("responses.id", ondelete="CASCADE")),
    sa.Column("page_id", sa.ForeignKey("pages.id"), nullable=False, index=True),
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("inked", sa.Boolean, nullable=False),
    sa.Column("ink_mm2", sa.Float, nullable=False),  # handwriting found in the frame (omr.comments)
    # The field's frame on the page, mm in layout coordinates (see pages.homography).
    sa.Column("x", sa.Float, nullable=False),
    sa.Column("y", sa.Float, nullable=False),
    sa.Column("w", sa.Float, nullable=False),
    sa.Column("h", sa.Float, nullable=False),
    sa.Column("crop_png", sa.LargeBinary),  # cleaned crop; NULL for a blank field
    sa.Column("draft_text", sa.Text),  # Tesseract (vie) draft, lines joined by "\n"
    sa.Column("draft_confidence", sa.Float),  # mean word confidence 0-100
    sa.Column("draft_words", sa.Text),  # JSON [[word, confidence, line], ...]
    sa.Column("likely_correct", sa.Boolean, nullable=False, default=False),
    sa.Column("review_priority", sa.Float, nullable=False, default=0.0),  # higher: reviewed sooner
    sa.Column("status", sa.String(20), nullable=False),  # blank | pending | reviewed
    sa.Column("text", sa.Text),  # a person's transcription; NULL until reviewed
    sa.Column("reviewed_by", sa.String(100)),
    sa.Column("reviewed_at", sa.DateTime(timezone=True)),
    # JSON list of omr.lexicon.Match, negated ones included (Match.flagged tells):
    # of the reviewed text once there is one, else of the draft.
    sa.Column("flags", sa.Text, nullable=False, default="[]"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("response_id", "field", name="uq_comments_response_field"),
)

# People who use the review app (omr.users): admin, scanner or reviewer.
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# The audit trail: every change a person makes, with the value before and after
# (JSON objects, see Store._record_change). Never updated, never deleted.
changes = sa.Table(
    "changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.String(100), nullable=False),
    sa.Column("entity", sa.String(20), nullable=False),  # answer | comment | page | user | response (#14)
    sa.Column("entity_id", sa.Integer, nullable=False),
    sa.Column("response_id", sa.Integer, index=True),  # the response it belongs to, for its history
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("old_value", sa.Text),
    sa.Column("new_value", sa.Text),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Index("ix_changes_who_at", "who", "at"),
)

# Review queue items a reviewer holds for a while (omr.review), so two never work on one.
claims = sa.Table(
    "claims", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("item", sa.String(40), nullable=False, unique=True),  # e.g. "answer:12"
    sa.Column("who", sa.String(100), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

# A set-aside page a reviewer decided on: rejected (not a form page). Pages given
# an identity stop being set aside instead.
page_reviews = sa.Table(
    "page_reviews", metadata,
    sa.Column("page_id", sa.ForeignKey("pages.id"), primary_key=True),
    sa.Column("decision", sa.String(20), nullable=False),  # rejected
    sa.Column("decided_by", sa.String(100), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
)

# Files uploaded in the review app, read in the background by the same
# pipeline as `omr scan`; a job not 'done' is resumed when the server starts.
upload_jobs = sa.Table(
    "upload_jobs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("batch_name", sa.String(200), nullable=False),
    sa.Column("collected_from", sa.Date),
    sa.Column("collected_to", sa.Date),
    sa.Column("folder", sa.Text, nullable=False),
    sa.Column("files", sa.Text, nullable=False),  # JSON [{name, stored, sha256, size, pages}]
    sa.Column("pages_total", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # queued | running | done | failed
    sa.Column("error", sa.Text, nullable=False, default=""),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("pages_at_start", sa.Integer, nullable=False, default=0),  # for pages/s after a resume
)

# Period reports (omr.report_cache, omr.report). The report cache keeps, per
# block of response ids, one compact row per response (unit, dates, every
# scale/yes-no answer as one character, review counts) as an Arrow IPC blob,
# so a report over a million responses reads megabytes, not 30 M answer rows.
# It is refreshed from the ids written since (report_state holds the marks).
report_blocks = sa.Table(
    "report_blocks", metadata,
    sa.Column("block", sa.Integer, primary_key=True),  # response id // omr.report_cache.BLOCK_SIZE
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
report_state = sa.Table(
    "report_state", metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# A closed reporting period ("chốt số liệu"): its figures as they were when
# closed (JSON, omr.report.Aggregates), never changed afterwards.
period_closures = sa.Table(
    "period_closures", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("period", sa.String(20), nullable=False),  # label: 2026-Q3
    sa.Column("convention", sa.String(10), nullable=False),  # cutoff | calendar
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_by", sa.String(100), nullable=False),
    sa.Column("figures", sa.Text, nullable=False),
    sa.UniqueConstraint("period", "convention", name="uq_period_closures_period"),
)

# What changed in a closed period after it was closed (a review edit, a late
# import): the difference found, recorded once, shown in later reports.
period_revisions = sa.Table(
    "period_revisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("closure_id", sa.ForeignKey("period_closures.id"), nullable=False, index=True),
    sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delta", sa.Text, nullable=False),  # JSON: Aggregates now minus closed-plus-earlier-revisions
    sa.Column("details", sa.Text, nullable=False),  # JSON: responses added, answers changed (who, when)
)

def awaits_review() -> sa.ColumnElement[bool]:
    """An answer a person has still to look at: a machine read with a doubtful status.

    The scan summary and the review queue both ask this; export.review_state and
    omr.report_cache apply the same rule to rows already in memory.
    """
    return sa.and_(answers.c.set_by == MACHINE, answers.c.status.in_(NEEDS_REVIEW))


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


def mark_signature(reads: list[tuple[str, str, str]]) -> tuple[tuple[str, str, str], ...]:
    """What makes two scans the same sheet page: the state of every box."""
    return tuple(sorted(reads))


def add_flag(flags: str, flag: str) -> str:
    """Flags are a sorted comma-separated set, stable for comparisons and exports."""
    return ",".join(sorted(set(split_flags(flags)) | {flag}))


def split_flags(flags: str | None) -> list[str]:
    return [f for f in (flags or "").split(",") if f]


def encode_value(value: object) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def decode_value(text: str | None) -> object:
    return None if text is None else json.loads(text)


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

def open_store(url: str | None = None) -> Store:
    """Open (and create if missing) the database at ``url``.

    Raises
    ------
    DatabaseError
        The database cannot be reached or created; the message names the URL
        with its password masked.
    """
    target = database_url(url)
    shown = masked(target)
    try:
        if target.get_backend_name() == "sqlite":
            engine = _sqlite_engine(target)
        else:
            connect_args = {}
            if target.get_backend_name() == "postgresql" and "connect_timeout" not in target.query:
                connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
            engine = sa.create_engine(target, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, OSError) as exc:
        raise DatabaseError(f"Không mở được cơ sở dữ liệu {shown}: {_reason(exc)}") from None
    store = Store(engine, shown)
    try:
        store._create_tables()
    except (sa.exc.DBAPIError, OSError) as exc:
        engine.dispose()
        raise DatabaseError(f"Không kết nối được cơ sở dữ liệu {shown}: {_reason(exc)}") from None
    return store


def _sqlite_engine(target: sa.URL) -> sa.Engine:
    database = target.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(target, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

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
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
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

class Store:
    """Recording and querying scanned pages; obtain one with :func:`open_store`."""

    def __init__(self, engine: sa.Engine, shown_url: str):
        self._engine = engine
        self.url = shown_url  # password masked

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
        for attempt in range(LOCK_RETRIES + 1):
            try:
                with self._write() as conn:
                    return work(conn)
            except sa.exc.IntegrityError:
                unique_races += 1
                if unique_races > UNIQUE_RACE_RETRIES:
                    raise
            except sa.exc.OperationalError as exc:
                if not _is_lock_error(exc) or attempt == LOCK_RETRIES:
                    raise DatabaseError(f"Lỗi cơ sở dữ liệu {self.url}: {_reason(exc)}") from None
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _create_tables(self) -> None:
        try:
            with self._write() as conn:
                metadata.create_all(conn)
        except (sa.exc.IntegrityError, sa.exc.ProgrammingError):
            # Another process created the same tables between our check and
            # our CREATE (PostgreSQL); checking again finds them made.
            with self._write() as conn:
                metadata.create_all(conn)

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

    def page_done(self, file_sha256: str, page_index: int) -> bool:
        """Whether this page of this file (by content) is recorded: resuming skips it."""
        with self._read() as conn:
            return self._page_done(conn, file_sha256, page_index)

    def pages_done(self, file_sha256: str) -> set[int]:
        """Indices of the pages of this file (by content) already recorded: one query per file."""
        query = (sa.select(pages.c.page_index)
                 .join(source_files, source_files.c.id == pages.c.source_file_id)
                 .where(source_files.c.sha256 == file_sha256))
        with self._read() as conn:
            return set(conn.execute(query).scalars())

    @staticmethod
    def _page_done(conn: sa.Connection, file_sha256: str, page_index: int) -> bool:
        query = (sa.select(pages.c.id)
                 .join(source_files, source_files.c.id == pages.c.source_file_id)
                 .where(source_files.c.sha256 == file_sha256, pages.c.page_index == page_index))
        return conn.execute(query).first() is not None

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
        return self._run_write(lambda conn: self._record(
            conn, batch_id, file_path, file_sha256, file_size, result, pages_expected))

    def _record(self, conn: sa.Connection, batch_id: int, file_path: str, file_sha256: str,
                file_size: int, result: PageResult, pages_expected: int | None) -> str:
        page_index = result.source.page_index
        if self._page_done(conn, file_sha256, page_index):
            return ALREADY
        source_id = self._source_file_id(conn, file_path, file_sha256, file_size)
        if result.set_aside is not None:
            page_id = self._insert_page(conn, batch_id, source_id, result, SET_ASIDE)
            self._write_comments(conn, None, page_id, result.comments)
            return SET_ASIDE

        identity = (result.form_id, result.version, result.serial)
        if conn.dialect.name == "postgresql":
            # Held to commit: a concurrent page of the same sheet waits, then sees ours.
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(serial_lock_key(*identity))))
        same_page = self._same_sheet_page(conn, result.form_id, result.version, result.serial, result.page)
        marks = mark_signature([(b.question, b.option, b.state) for b in result.boxes])
        stored = self._signatures(conn, same_page)
        for page_id in same_page:
            if stored[page_id] == marks:
                self._insert_page(conn, batch_id, source_id, result, RESCAN, duplicate_of=page_id)
                return RESCAN

        outcome = CONFLICT if same_page else NEW
        response_id = self._response_for(conn, result, pages_expected)
        page_id = self._insert_page(conn, batch_id, source_id, result, outcome)
        conn.execute(response_pages.insert().values(
            response_id=response_id, page_id=page_id, page_number=result.page))
        if outcome == CONFLICT:
            self._flag_identity(conn, *identity, SERIAL_CONFLICT)
        self._write_answers(conn, response_id, page_id, result.questions)
        self._write_comments(conn, response_id, page_id, result.comments)
        return outcome

    @staticmethod
    def _source_file_id(conn: sa.Connection, path: str, sha256: str, size: int) -> int:
        row = conn.execute(sa.select(source_files.c.id).where(source_files.c.sha256 == sha256)).first()
        if row is not None:
            return row.id
        return conn.execute(source_files.insert().values(
            path=str(path), sha256=sha256, size=size, created_at=_now())).inserted_primary_key[0]

    @staticmethod
    def _insert_page(conn: sa.Connection, batch_id: int, source_id: int, result: PageResult,
                     outcome: str, duplicate_of: int | None = None) -> int:
        page_id = conn.execute(pages.insert().values(
            batch_id=batch_id, source_file_id=source_id, page_index=result.source.page_index,
            image_sha256=result.source.image_sha256, form_id=result.form_id, version=result.version,
            page=result.page, serial=result.serial, unit=result.unit, rotated_180=bool(result.rotated_180),
            alignment_mm=result.alignment_mm, set_aside=result.set_aside, detail=result.detail or "",
            homography=None if result.homography is None else json.dumps(result.homography),
            outcome=outcome, duplicate_of=duplicate_of, created_at=_now(),
        )).inserted_primary_key[0]
        if result.boxes:
            conn.execute(boxes.insert(), [
                {"page_id": page_id, "question": b.question, "option": b.option, "state": b.state,
                 "fill": b.fill, "darkness": b.darkness, "confidence": b.confidence,
                 "x": b.x, "y": b.y, "w": b.w, "h": b.h}
                for b in result.boxes])
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
    def _response_for(conn: sa.Connection, result: PageResult, pages_expected: int | None) -> int:
        """The oldest response of this sheet still missing this page, or a new one."""
        has_page = (sa.select(response_pages.c.id)
                    .where(response_pages.c.response_id == responses.c.id,
                           response_pages.c.page_number == result.page)
                    .exists())
        row = conn.execute(
            sa.select(responses.c.id, responses.c.unit)
            .where(responses.c.form_id == result.form_id, responses.c.version == result.version,
                   responses.c.serial == result.serial, ~has_page)
            .order_by(responses.c.id).limit(1)).first()
        if row is None:
            return conn.execute(responses.insert().values(
                form_id=result.form_id, version=result.version, serial=result.serial, unit=result.unit,
                pages_expected=pages_expected, flags="", created_at=_now())).inserted_primary_key[0]
        changes: dict[str, Any] = {}
        if row.unit is None and result.unit is not None:
            changes["unit"] = result.unit
        if pages_expected is not None:
            changes["pages_expected"] = pages_expected
        if changes:
            conn.execute(responses.update().where(responses.c.id == row.id).values(**changes))
        return row.id

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
                       reads: list[QuestionRead]) -> None:
        existing = {row.question: row for row in conn.execute(
            sa.select(answers.c.id, answers.c.question, answers.c.set_by)
            .where(answers.c.response_id == response_id))}
        now = _now()
        inserts, updates = [], []
        for read in reads:
            values = {"value": encode_value(read.value), "status": read.status,
                      "confidence": float(read.confidence), "source_page_id": page_id,
                      "set_by": MACHINE, "updated_at": now}
            old = existing.get(read.question)
            if old is None:
                inserts.append({"response_id": response_id, "question": read.question, **values})
            elif old.set_by == MACHINE:
                updates.append({"answer_id": old.id, **values})
            # else: a person decided this answer; a machine read never overrides them.
        # One statement each, executed for many rows: a page has ~20 questions.
        if inserts:
            conn.execute(answers.insert(), inserts)
        if updates:
            conn.execute(answers.update().where(answers.c.id == sa.bindparam("answer_id")), updates)

    @staticmethod
    def _write_comments(conn: sa.Connection, response_id: int | None, page_id: int, reads: list) -> None:
        """The page's comment fields (omr.comments.CommentRead).

        Only ever for a page new to its response (a rescan keeps the first
        page's comments), so no row of these fields exists yet, and none a
        person has reviewed can be replaced; the unique key would refuse it.
        """
        from .lexicon import flags_json

        if not reads:
            return
        now = _now()
        conn.execute(comments.insert(), [
            {"response_id": response_id, "page_id": page_id, "field": r.field, "inked": bool(r.inked),
             "ink_mm2": float(r.ink_mm2), "x": r.region[0], "y": r.region[1], "w": r.region[2],
             "h": r.region[3], "crop_png": r.crop_png, "draft_text": r.draft_text,
             "draft_confidence": r.draft_confidence,
             "draft_words": json.dumps([[w.text, w.confidence, w.line] for w in r.words], ensure_ascii=False),
             "likely_correct": bool(r.likely_correct), "review_priority": float(r.review_priority),
             "status": "pending" if r.inked else "blank", "flags": flags_json(r.matches), "updated_at": now}
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
                sa.select(answers.c.id, answers.c.value, answers.c.status, answers.c.set_by, answers.c.updated_at)
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
                None if old is None else {"value": decode_value(old.value), "status": old.status,
                                          "set_by": old.set_by},
                {"value": value, "status": status}, reason, now)
            return version_token(now)

        return self._run_write(work)

    def set_comment_text(self, comment_id: int, text: str, set_by: str, *, reason: str = "",
                         expected_updated_at: str | None = None) -> str:
        """A person's transcription of a comment: stored, flags recomputed, change audited.

        Same stale-write rule and return value as :meth:`set_answer`.
        """
        from .lexicon import find_terms, flags_json

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
            conn.execute(comments.update().where(comments.c.id == comment_id).values(
                text=text, status="reviewed", reviewed_by=set_by, reviewed_at=now,
                flags=flags_json(find_terms(text, source="text")), updated_at=now))
            self._record_change(conn, set_by, "comment", comment_id, old.response_id, old.field,
                                {"text": old.text, "status": old.status}, {"text": text, "status": "reviewed"},
                                reason, now)
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
            response_id = self._response_for(conn, result, pages_expected)
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
            self._record_change(
                conn, who, "page", page_id, response_id, "identity",
                {"form_id": row.form_id, "version": row.version, "page": row.page, "serial": row.serial,
                 "set_aside": row.set_aside},
                {"form_id": form_id, "version": version, "page": page_number, "serial": serial,
                 "set_aside": None}, reason)
            return outcome

        return self._run_write(work)

    def reject_page(self, page_id: int, who: str, *, reason: str = "") -> None:
        """A person decided a set-aside page is no form page (or unusable): it leaves the queue."""
        def work(conn: sa.Connection) -> None:
            row = conn.execute(sa.select(pages.c.set_aside).where(pages.c.id == page_id)).first()
            decided = conn.execute(sa.select(page_reviews.c.page_id).where(page_reviews.c.page_id == page_id)).first()
            if row is None or row.set_aside is None or decided is not None:
                raise StaleWriteError("Trang này vừa được người khác xử lý; tải lại hàng đợi.")
            now = _now()
            conn.execute(page_reviews.insert().values(page_id=page_id, decision="rejected", decided_by=who,
                                                      decided_at=now))
            self._record_change(conn, who, "page", page_id, None, "decision", {"set_aside": row.set_aside},
                                {"decision": "rejected"}, reason, now)

        self._run_write(work)

    def decide_response(self, response_id: int, who: str, *, add_flags: tuple[str, ...] = (),
                        remove_flags: tuple[str, ...] = (), serial: int | None = None, reason: str = "",
                        expected_flags: str | None = None) -> None:
        """A person's decision on a whole response (issue #14): flags added or removed, a new serial.

        ``expected_flags`` is the flags text the person was shown; if the
        response changed meanwhile, StaleWriteError. Audited as entity 'response'.
        """
        def work(conn: sa.Connection) -> None:
            row = conn.execute(sa.select(responses.c.flags, responses.c.serial)
                               .where(responses.c.id == response_id)).first()
            if row is None or (expected_flags is not None and row.flags != expected_flags):
                raise StaleWriteError("Phiếu này vừa được người khác xử lý; tải lại hàng đợi.")
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

        self._run_write(work)

    @staticmethod
    def _same_sheet_page(conn: sa.Connection, form_id: str, version: int, serial: int, page_number: int) -> list[int]:
        """Pages already joined to a response as this page of this sheet."""
        return conn.execute(
            sa.select(pages.c.id)
            .join(response_pages, response_pages.c.page_id == pages.c.id)
            .where(pages.c.form_id == form_id, pages.c.version == version,
                   pages.c.serial == serial, response_pages.c.page_number == page_number)
            .order_by(pages.c.id)).scalars().all()

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

    # -- for modules that query the store's tables themselves (omr.review, omr.users) --

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """A read transaction."""
        with self._read() as conn:
            yield conn

    def writing(self, work: Callable[[sa.Connection], Any]) -> Any:
        """Run ``work(conn)`` in one write transaction, retried whole on lock contention."""
        return self._run_write(work)

    # -- queries --

    @staticmethod
    def _response_ids(batch_id: int | None):
        """Responses with at least one page in the batch (all responses for None)."""
        if batch_id is None:
            return sa.select(responses.c.id)
        return (sa.select(response_pages.c.response_id)
                .join(pages, pages.c.id == response_pages.c.page_id)
                .where(pages.c.batch_id == batch_id))

    def summary(self, batch_id: int | None = None) -> dict:
        """Counts for the end-of-run report, for one batch or the whole database.

        Keys: ``pages``, ``pages_read``, ``pages_set_aside`` ({reason: count}),
        ``responses``, ``responses_complete`` (all ``pages_expected`` pages
        present), ``answers_to_review`` (machine answers with a status in
        model.NEEDS_REVIEW), ``duplicates`` (rescans), ``conflicts`` (pages
        that repeat a serial with other marks), ``responses_in_conflict``.
        """
        page_filter = sa.true() if batch_id is None else pages.c.batch_id == batch_id
        in_scope = responses.c.id.in_(self._response_ids(batch_id))
        page_count = (sa.select(sa.func.count()).select_from(response_pages)
                      .where(response_pages.c.response_id == responses.c.id).scalar_subquery())
        with self._read() as conn:
            by_outcome = conn.execute(
                sa.select(pages.c.outcome, pages.c.set_aside, sa.func.count())
                .where(page_filter).group_by(pages.c.outcome, pages.c.set_aside)).all()
            n_responses = conn.execute(sa.select(sa.func.count()).select_from(responses).where(in_scope)).scalar()
            complete = conn.execute(
                sa.select(sa.func.count()).select_from(responses)
                .where(in_scope, responses.c.pages_expected.is_not(None),
                       page_count >= responses.c.pages_expected)).scalar()
            conflicting = conn.execute(
                sa.select(sa.func.count()).select_from(responses)
                .where(in_scope, responses.c.flags.contains(SERIAL_CONFLICT, autoescape=True))).scalar()
            to_review = conn.execute(
                sa.select(sa.func.count()).select_from(answers)
                .where(answers.c.response_id.in_(self._response_ids(batch_id)),
                       awaits_review())).scalar()
        set_aside: dict[str, int] = {}
        totals = {NEW: 0, RESCAN: 0, CONFLICT: 0, SET_ASIDE: 0}
        for outcome, reason, count in by_outcome:
            totals[outcome] = totals.get(outcome, 0) + count
            if reason is not None:
                set_aside[reason] = set_aside.get(reason, 0) + count
        n_pages = sum(totals.values())
        return {
            "pages": n_pages,
            "pages_read": n_pages - totals[SET_ASIDE],
            "pages_set_aside": dict(sorted(set_aside.items())),
            "responses": n_responses,
            "responses_complete": complete,
            "answers_to_review": to_review,
            "duplicates": totals[RESCAN],
            "conflicts": totals[CONFLICT],
            "responses_in_conflict": conflicting,
        }

    def responses(self, batch_id: int | None = None) -> Iterator[dict]:
        """Every response (with a page in ``batch_id``), ordered by form, version, serial.

        Each is a dict: ``id``, ``form_id``, ``version``, ``serial`` (int),
        ``unit``, ``pages_expected``, ``flags`` (list), ``created_at``,
        ``pages`` ([{page, file, page_index, batch}] by page number),
        ``batches`` ([{name, collected_from, collected_to}]), ``answers``
        ({question: (value, status, confidence)}) and ``set_by``
        ({question: 'machine' or a person}). Online responses (``channel``
        'online', ``serial`` None, after the paper ones of their form) also
        carry ``source``, ``source_file``, ``source_row``, ``submitted_at``
        and ``unit_recorded`` (None for paper). ``comments`` maps each
        free-text question of a paper response to its comment row (``id``,
        ``status``, ``draft_text``, ``text``, ``flags`` JSON, ``page_id``;
        crops via :meth:`comment_crops`).
        """
        in_scope = responses.c.id.in_(self._response_ids(batch_id))
        with self._read() as conn:
            heads = conn.execute(sa.select(responses).where(in_scope).order_by(
                responses.c.form_id, responses.c.version, responses.c.channel.desc(), responses.c.serial,
                responses.c.submitted_at, responses.c.id)).all()
            import_paths = dict(conn.execute(sa.select(import_files.c.id, import_files.c.path)).all())
            page_rows = conn.execute(
                sa.select(response_pages.c.response_id, response_pages.c.page_number, source_files.c.path,
                          pages.c.page_index, batches.c.name, batches.c.collected_from, batches.c.collected_to)
                .join(pages, pages.c.id == response_pages.c.page_id)
                .join(source_files, source_files.c.id == pages.c.source_file_id)
                .join(batches, batches.c.id == pages.c.batch_id)
                .where(response_pages.c.response_id.in_(self._response_ids(batch_id)))
                .order_by(response_pages.c.response_id, response_pages.c.page_number)).all()
            answer_rows = conn.execute(
                sa.select(answers.c.response_id, answers.c.question, answers.c.value, answers.c.status,
                          answers.c.confidence, answers.c.set_by)
                .where(answers.c.response_id.in_(self._response_ids(batch_id)))
                .order_by(answers.c.response_id, answers.c.id)).all()
            comment_rows = conn.execute(
                sa.select(comments.c.id, comments.c.response_id, comments.c.field, comments.c.status,
                          comments.c.draft_text, comments.c.text, comments.c.flags, comments.c.page_id)
                .where(comments.c.response_id.in_(self._response_ids(batch_id)))).all()

        pages_of: dict[int, list] = {}
        batches_of: dict[int, dict] = {}
        for row in page_rows:
            pages_of.setdefault(row.response_id, []).append(
                {"page": row.page_number, "file": row.path, "page_index": row.page_index, "batch": row.name})
            batches_of.setdefault(row.response_id, {}).setdefault(row.name, {
                "name": row.name, "collected_from": row.collected_from, "collected_to": row.collected_to})
        answers_of: dict[int, dict] = {}
        set_by_of: dict[int, dict] = {}
        for row in answer_rows:
            answers_of.setdefault(row.response_id, {})[row.question] = (
                decode_value(row.value), row.status, row.confidence)
            set_by_of.setdefault(row.response_id, {})[row.question] = row.set_by
        comments_of: dict[int, dict] = {}
        for row in comment_rows:
            comments_of.setdefault(row.response_id, {})[row.field] = {
                "id": row.id, "status": row.status, "draft_text": row.draft_text, "text": row.text,
                "flags": row.flags, "page_id": row.page_id}
        for head in heads:
            yield {
                "id": head.id,
                "form_id": head.form_id,
                "version": head.version,
                "serial": head.serial,
                "unit": head.unit,
                "pages_expected": head.pages_expected,
                "flags": split_flags(head.flags),
                "created_at": head.created_at,
                "pages": pages_of.get(head.id, []),
                "batches": list(batches_of.get(head.id, {}).values()),
                "answers": answers_of.get(head.id, {}),
                "set_by": set_by_of.get(head.id, {}),
                "channel": head.channel or "paper",
                "source": head.source,
                "source_file": import_paths.get(head.import_file_id),
                "source_row": head.source_row,
                "submitted_at": head.submitted_at,
                "unit_recorded": head.unit_recorded,
                "comments": comments_of.get(head.id, {}),
            }

    def inked_comments(self) -> list[dict]:
        """Every comment with handwriting, in review order (flagged first, clearest drafts next).

        Dicts: ``id``, ``serial``, ``field``, ``status``, ``draft_text``,
        ``draft_confidence``, ``likely_correct``, ``text``, ``flags`` (JSON).
        """
        with self._read() as conn:
            rows = conn.execute(
                sa.select(comments.c.id, responses.c.serial, comments.c.field, comments.c.status,
                          comments.c.draft_text, comments.c.draft_confidence, comments.c.likely_correct,
                          comments.c.text, comments.c.flags)
                .join(responses, responses.c.id == comments.c.response_id)
                .where(comments.c.inked.is_(True))
                .order_by(comments.c.review_priority.desc(), comments.c.id)).all()
        return [dict(row._mapping) for row in rows]

    def comment_crops(self, comment_ids: list[int]) -> Iterator[tuple[int, bytes]]:
        """(comment id, PNG bytes) of those comments that have a crop, a few at a time."""
        for start in range(0, len(comment_ids), 200):  # crops are ~20 KB: never all in memory
            with self._read() as conn:
                rows = conn.execute(sa.select(comments.c.id, comments.c.crop_png).where(
                    comments.c.id.in_(comment_ids[start:start + 200]), comments.c.crop_png.is_not(None))).all()
            yield from ((row.id, bytes(row.crop_png)) for row in rows)

    def pages_of_serial(self, serial: int) -> list[dict]:
        """Every page read into a response with this serial, for audit images.

        Each item: ``path``, ``page_index``, ``page``, ``rotated_180``,
        ``homography`` (3x3, layout mm -> image px), ``boxes`` (dicts of the
        boxes table) and ``review`` (questions of its response awaiting review).
        """
        with self._read() as conn:
            rows = conn.execute(
                sa.select(pages.c.id, pages.c.page_index, pages.c.homography, pages.c.page, pages.c.rotated_180,
                          source_files.c.path, response_pages.c.response_id)
                .join(source_files, source_files.c.id == pages.c.source_file_id)
                .join(response_pages, response_pages.c.page_id == pages.c.id)
                .where(pages.c.serial == serial).order_by(pages.c.page, pages.c.id)).all()
            found = []
            for row in rows:
                box_rows = conn.execute(sa.select(boxes).where(boxes.c.page_id == row.id)).mappings().all()
                review = conn.execute(sa.select(answers.c.question).where(
                    answers.c.response_id == row.response_id,
                    answers.c.status.in_(NEEDS_REVIEW))).scalars().all()
                found.append({"path": row.path, "page_index": row.page_index, "page": row.page,
                              "rotated_180": bool(row.rotated_180), "homography": json.loads(row.homography),
                              "boxes": [dict(b) for b in box_rows], "review": set(review)})
        return found
