"""Online responses: one fingerprint per submission, whatever the source name (hux2).

``responses.content_sha`` used to be compared only within one source name, so
the same Google Sheet imported under a new ``--source`` (the help's example
``google-forms-2026`` invites one per period) added every row again. The
importer now looks a submission up by its fingerprint across all sources;
this migration adds the indexes that lookup needs (``content_sha``,
``answers_sha``) and recomputes both values of every stored online response
with the new normalisation (text NFC with whitespace collapsed; the
rest as before, so most values come out unchanged), from the answers as they were imported: an answer a
person changed since is taken from its first audit-trail entry. A response
whose imported answers cannot be rebuilt keeps its old values. No row is
added, changed otherwise or removed.

The two functions below are a frozen copy of omr.online.importer's
answers_fingerprint / content_fingerprint at this revision.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import hashlib
import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_VN_TZ = timezone(timedelta(hours=7))
_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _fold(text: str) -> str:
    out = []
    for ch in _nfc(text):
        if ch in "đĐ":
            out.append("d" if ch == "đ" else "D")
            continue
        out.append(unicodedata.normalize("NFD", ch)[0])
    return _SEPARATORS.sub(" ", "".join(out).lower()).strip()


def _value(value):
    if isinstance(value, str):
        return " ".join(_nfc(value).split())
    return value


def answers_fingerprint(form_id, version, unit_recorded, answers) -> str:
    payload = json.dumps([form_id, version, _fold(unit_recorded or ""),
                          sorted((q, _value(v)) for q, v in answers.items())], ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def content_fingerprint(answers_sha, submitted_at):
    if submitted_at is None:
        return None
    stamp = submitted_at if submitted_at.tzinfo else submitted_at.replace(tzinfo=UTC)
    return hashlib.sha256(f"{answers_sha}|{stamp.astimezone(_VN_TZ).isoformat()}".encode()).hexdigest()


def _imported_answers(bind, response_id: int) -> dict | None:
    """The response's answers as the importer stored them, or None when that cannot be told."""
    result = {}
    for answer in bind.execute(sa.text("SELECT id, question, value, set_by FROM answers WHERE response_id = :r"),
                               {"r": response_id}):
        value = None if answer.value is None else json.loads(answer.value)
        if answer.set_by != "import":
            first = bind.execute(sa.text("SELECT old_value FROM changes WHERE entity = 'answer' AND entity_id = :a "
                                         "ORDER BY at, id LIMIT 1"), {"a": answer.id}).first()
            old = json.loads(first.old_value) if first is not None and first.old_value else None
            if not isinstance(old, dict) or old.get("set_by") != "import":
                return None
            value = old.get("value")
        result[answer.question] = value
    return result or None


def upgrade() -> None:
    bind = op.get_bind()
    online = bind.execute(sa.text("SELECT id, form_id, version, unit_recorded, submitted_at FROM responses "
                                  "WHERE channel = 'online'")).all()
    for row in online:
        imported = _imported_answers(bind, row.id)
        if imported is None:
            continue
        submitted = row.submitted_at
        if isinstance(submitted, str):  # SQLite through a raw text query
            submitted = datetime.fromisoformat(submitted)
        answers_sha = answers_fingerprint(row.form_id, row.version, row.unit_recorded, imported)
        bind.execute(sa.text("UPDATE responses SET answers_sha = :a, content_sha = :c WHERE id = :i"),
                     {"a": answers_sha, "c": content_fingerprint(answers_sha, submitted), "i": row.id})
    op.create_index("ix_responses_content", "responses", ["content_sha"])
    op.create_index("ix_responses_answers", "responses", ["answers_sha"])


def downgrade() -> None:
    # The recomputed fingerprints stay: the older code compares them only within one source.
    op.drop_index("ix_responses_answers", table_name="responses")
    op.drop_index("ix_responses_content", table_name="responses")
