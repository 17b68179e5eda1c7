"""The database schema: every table of the store, and how values are kept in it.

SQLAlchemy Core tables on one MetaData. A change here is a schema change: it
needs an Alembic migration in :mod:`omr.data.migrations` and an upgrade test
(tests/test_migrations.py checks that the migrations and these tables agree).
"""

from __future__ import annotations

from datetime import datetime, timezone

import json

import sqlalchemy as sa

from omr.model import NEEDS_REVIEW

MACHINE = "machine"  # answers.set_by of a machine read; anything else is a person
IMPORTED_BY = "import"  # answers.set_by of imported online answers: the respondent's own, a person's review overrides
SERIAL_CONFLICT = "serial_conflict"  # responses.flags: two sheets carry one serial
# responses.flags: a sheet of a form without serials whose page looks like another scan of a stored sheet
# (same marks, same ink: omr.scan.duplicates); not exported or counted until a person decides (#16).
POSSIBLE_DUPLICATE = "possible_duplicate"
# responses.flags: a paper sheet with every page present and not one mark on any (omr.model.NO_MARKS on each
# page): one whole-sheet review item «phiếu không có câu trả lời nào» instead of one per question, and never a
# valid response in a report (omr.data.completeness.NOT_IN_FIGURES). Set and cleared by the store as pages join.
NO_ANSWERS = "no_answers"
# responses.flags set by a person: the sheet with no answers was looked at and is blank (its answers set blank).
NO_ANSWERS_CHECKED = "no_answers_checked"
# pages.outcome: what recording a page did (Store.record_page)
NEW, ALREADY, RESCAN, CONFLICT, SET_ASIDE = "new", "already", "rescan", "conflict", "set_aside"
DUPLICATE = "duplicate"  # pages.outcome: joined a response flagged POSSIBLE_DUPLICATE (duplicate_of: the stored page)

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
    # Which part of the image (omr.model.WHOLE_IMAGE ...): 0 the whole image, 1 its left/top
    # half, 2 its right/bottom half, for an image holding two form pages (#13, migration 0004).
    sa.Column("part", sa.Integer, nullable=False, default=0, server_default="0"),
    # Forms designed elsewhere (no serial on the paper, #16, migration 0005): the page's inked boxes
    # (omr.scan.duplicates.marks_key) and the ink print that tells another scan of the same sheet.
    sa.Column("marks_key", sa.String(16)),
    sa.Column("ink_print", sa.LargeBinary),
    # source_files.sha256 is unique, so this is UNIQUE(file sha256, page index, part).
    sa.UniqueConstraint("source_file_id", "page_index", "part", name="uq_pages_source_index_part"),
    sa.Index("ix_pages_identity", "form_id", "version", "serial", "page"),
    sa.Index("ix_pages_batch", "batch_id"),
    sa.Index("ix_pages_marks", "form_id", "version", "page", "marks_key"),
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
    # Online responses (omr.online.importer): where each came from, to the row.
    sa.Column("channel", sa.String(10), nullable=False, default="paper", server_default="paper"),  # paper | online
    sa.Column("source", sa.String(200)),  # the survey's source name, e.g. "google-forms-fb"
    sa.Column("import_file_id", sa.ForeignKey("import_files.id")),
    sa.Column("source_row", sa.Integer),  # row in the file as a spreadsheet numbers it (header = 1)
    sa.Column("submitted_at", sa.DateTime(timezone=True)),
    sa.Column("unit_recorded", sa.Text),  # the unit as written in the file, before matching
    sa.Column("answers_sha", sa.String(64)),  # unit and answers: repeated submissions share it
    # answers_sha and submitted_at: the same submission under any source name (migration 0006)
    sa.Column("content_sha", sa.String(64)),
    sa.Index("ix_responses_identity", "form_id", "version", "serial"),
    sa.Index("ix_responses_online", "source", "answers_sha"),
    sa.Index("ix_responses_content", "content_sha"),
    sa.Index("ix_responses_answers", "answers_sha"),
    sa.UniqueConstraint("import_file_id", "source_row", name="uq_responses_import_row"),
)

# An imported online export (omr.online.importer), known by its content: importing the
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

# The unit registry (omr.online.units): communes and wards with their validity dates.
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
    sa.Column("ink_mm2", sa.Float, nullable=False),  # handwriting found in the frame (omr.scan.comments)
    # The field's frame on the page, mm in layout coordinates (see pages.homography).
    sa.Column("x", sa.Float, nullable=False),
    sa.Column("y", sa.Float, nullable=False),
    sa.Column("w", sa.Float, nullable=False),
    sa.Column("h", sa.Float, nullable=False),
    sa.Column("crop_png", sa.LargeBinary),  # cleaned crop (raw for a faint field); NULL for a blank field
    # Handwriting draft (omr.scan.comments: asterocr, else Tesseract), lines joined by "\n";
    # NULL until the drafting pass (omr.data.drafting) has read the crop (#15).
    sa.Column("draft_text", sa.Text),
    sa.Column("draft_confidence", sa.Float),  # 0-100, calibrated against CER (omr.tuning DRAFT_*)
    sa.Column("draft_words", sa.Text),  # JSON [[word, confidence, line, number mark (0/1/2; absent in drafts stored before it existed)], ...]
    sa.Column("likely_correct", sa.Boolean, nullable=False, default=False),
    sa.Column("review_priority", sa.Float, nullable=False, default=0.0),  # higher: reviewed sooner
    sa.Column("status", sa.String(20), nullable=False),  # blank | pending | reviewed | rejected (its page)
    sa.Column("text", sa.Text),  # a person's transcription; NULL until reviewed
    sa.Column("reviewed_by", sa.String(100)),
    sa.Column("reviewed_at", sa.DateTime(timezone=True)),
    # JSON list of omr.text.lexicon.Match, negated ones included (Match.flagged tells):
    # of the reviewed text once there is one, else of the draft.
    sa.Column("flags", sa.Text, nullable=False, default="[]"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # Possibly faint writing (omr.scan.comments.CommentRead.faint): a little written area, or faint
    # strokes found only against the paper's noise; the review app says so («có thể có chữ viết mờ»).
    sa.Column("faint", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.UniqueConstraint("response_id", "field", name="uq_comments_response_field"),
)

# People who use the review app (omr.data.users): admin, scanner or reviewer.
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # A login cookie carries the version it was issued under; logout, a password
    # change or disabling the user adds one, which ends every session issued before
    # (migration 0002).
    sa.Column("session_version", sa.Integer, nullable=False, default=0, server_default="0"),
    # True for a password set by someone else (omr users add, an admin in the app):
    # the user must choose their own at the next login (migration 0002).
    sa.Column("must_change_password", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
)

# The audit trail: every change a person makes, with the value before and after
# (JSON objects, see Store._record_change). Never updated, never deleted.
changes = sa.Table(
    "changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.String(100), nullable=False),
    sa.Column("entity", sa.String(20), nullable=False),  # answer | comment | page | user | response | template
    sa.Column("entity_id", sa.Integer, nullable=False),
    sa.Column("response_id", sa.Integer, index=True),  # the response it belongs to, for its history
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("old_value", sa.Text),
    sa.Column("new_value", sa.Text),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Index("ix_changes_who_at", "who", "at"),
)

# Review queue items a reviewer holds for a while (omr.data.review), so two never work on one.
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
    # rejected (by a person); split (an old "two_pages" image read again half by half, #13)
    sa.Column("decision", sa.String(20), nullable=False),
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
    # JSON [{name, reason}]: the files of the upload refused at once (migration 0008), shown on the job page
    sa.Column("refused", sa.Text, nullable=False, default="[]", server_default="[]"),
)

# Period reports (omr.reports.cache, omr.reports.figures). The report cache keeps, per
# block of response ids, one compact row per response (unit, dates, every
# scale/yes-no answer as one character, review counts) as an Arrow IPC blob,
# so a report over a million responses reads megabytes, not 30 M answer rows.
# It is refreshed from the ids written since (report_state holds the marks).
report_blocks = sa.Table(
    "report_blocks", metadata,
    sa.Column("block", sa.Integer, primary_key=True),  # response id // omr.reports.cache.BLOCK_SIZE
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
# closed (JSON, omr.reports.figures.Aggregates), never changed afterwards.
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

    The scan summary and the review queue both ask this; omr.reports.dataset.review_state and
    omr.reports.cache apply the same rule to rows already in memory.
    """
    return sa.and_(answers.c.set_by == MACHINE, answers.c.status.in_(NEEDS_REVIEW))


# --- values as stored -------------------------------------------------------------

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


def stored_time(value: datetime | None) -> datetime | None:
    """A time read from a ``DateTime(timezone=True)`` column as an aware UTC datetime (None stays None).

    PostgreSQL returns aware times; SQLite returns the stored UTC time naive, so it is marked UTC here.
    """
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

