"""Schema versions of the store: Alembic migrations, run from code.

Every schema change is an Alembic revision in ``omr/data/migrations/versions``
with an upgrade test. A database is in one of five states:

- ``empty``: no omr tables. It is created from :data:`omr.data.schema.metadata`
  and stamped with the newest revision (tests/test_migrations.py checks that
  running every migration gives the same tables);
- ``legacy``: omr's tables without ``alembic_version``, written before
  migrations existed (main at 652a73c). It is stamped with :data:`BASELINE`;
- ``current``: at the newest revision;
- ``outdated``: at an older revision: every command but ``omr db upgrade``
  stops with one Vietnamese line saying to run it;
- ``newer``: at a revision this omr does not know (a newer omr wrote it).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from omr.data.job_queue_schema import QUEUE_PREFIX, apply_queue_schema
from omr.data.schema import metadata

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Alembic is imported in the functions that need it, not here: opening a database already at the
# newest revision (every command, every day) needs only its stamped revision and the newest one's
# name, and importing Alembic costs ~170 ms of CPU at each start (issue #18). A new, legacy or
# outdated database still goes through Alembic.

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"  # the schema of omr before migrations
# Tables every database written by omr before migrations has: their presence
# without alembic_version marks a legacy database.
LEGACY_TABLES = frozenset({"batches", "source_files", "pages", "responses", "answers"})
EMPTY, LEGACY, CURRENT, OUTDATED, NEWER = "empty", "legacy", "current", "outdated", "newer"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration for omr's migrations (no alembic.ini), bound to ``connection``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def scripts() -> ScriptDirectory:
    """The migration scripts (parsed once per process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


# How each revision file names itself and the revision it follows ("0004" after "0003"; None first).
_REVISION_LINE = re.compile(r"""^revision\s*(?::[^=]*)?=\s*["']([^"']+)["']\s*$""", re.MULTILINE)
_DOWN_LINE = re.compile(r"""^down_revision\s*(?::[^=]*)?=\s*(None|["']([^"']+)["'])\s*$""", re.MULTILINE)


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision this omr knows.

    Read from the revision files' ``revision`` and ``down_revision`` lines: the
    one revision no other follows (a single line of revisions, as omr's are).
    Anything else (a branch, a line written another way) is left to Alembic.
    """
    named, followed = [], set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION_LINE.findall(text), _DOWN_LINE.findall(text)
        if len(revision) != 1 or len(down) != 1:
            return scripts().get_current_head()
        named.append(revision[0])
        if down[0][1]:
            followed.add(down[0][1])
    heads = [r for r in named if r not in followed]
    if len(heads) != 1 or len(set(named)) != len(named) or not followed <= set(named):
        return scripts().get_current_head()
    return heads[0]


def current_revision(conn: sa.Connection) -> str | None:
    """The revision stamped in the database, or None when it has no ``alembic_version``
    (or an empty one). A table holding several (branches) is read by Alembic, which refuses it."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).fetchall()
    if len(rows) <= 1:
        return rows[0][0] if rows else None
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def schema_state(conn: sa.Connection) -> tuple[str, str | None]:
    """(state, stamped revision) of the database behind ``conn``; states as in the module docstring."""
    tables = set(sa.inspect(conn).get_table_names())
    if "alembic_version" not in tables:
        return (LEGACY if LEGACY_TABLES <= tables else EMPTY), None
    revision = current_revision(conn)
    if revision is None:
        return (LEGACY if LEGACY_TABLES <= tables else EMPTY), None
    if revision == head_revision():
        return CURRENT, revision
    known = {script.revision for script in scripts().walk_revisions()}
    return (OUTDATED if revision in known else NEWER), revision


def stamp(conn: sa.Connection, revision: str) -> None:
    """Record ``revision`` as the database's schema version, running nothing."""
    from alembic.runtime.migration import MigrationContext

    MigrationContext.configure(conn).stamp(scripts(), revision)


def _stamp_new(conn: sa.Connection, revision: str) -> None:
    """:func:`stamp` of a database that holds no revision yet, without importing Alembic: its
    version table as Alembic defines it (``alembic.ddl.impl.DefaultImpl.version_table_impl``,
    the same for every dialect) and the one row Alembic's stamp inserts."""
    table = sa.Table("alembic_version", sa.MetaData(), sa.Column("version_num", sa.String(32), nullable=False),
                     sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))
    table.create(conn, checkfirst=True)
    conn.execute(table.insert().values(version_num=revision))


def prepare(conn: sa.Connection) -> tuple[str, str | None]:
    """Make a new database, stamp a legacy one; report the state found (in one write transaction).

    Returns ``(state, revision)`` as found (``empty`` for a database this call
    made, at the newest revision); the caller refuses ``outdated`` and ``newer``. A legacy database is stamped with :data:`BASELINE` even
    when newer revisions exist: that records what it is and changes nothing
    else, and ``omr db upgrade`` goes on from there.
    """
    state, revision = schema_state(conn)
    if state == EMPTY:
        metadata.create_all(conn)
        apply_queue_schema(conn)  # PostgreSQL only: what migration 0003 creates on an older database
        _stamp_new(conn, head_revision())
        return EMPTY, head_revision()
    if state == LEGACY:
        stamp(conn, BASELINE)
        revision = BASELINE
        state = CURRENT if BASELINE == head_revision() else OUTDATED
    return state, revision


def drop_made(conn: sa.Connection) -> None:
    """Drop what :func:`prepare` makes in an empty database: omr's tables, ``alembic_version`` and the job
    queue's objects (PostgreSQL: its tables, functions and types, all named ``procrastinate_*``), in the
    caller's transaction. Only for a database :func:`prepare` found empty: anything else in it is kept."""
    metadata.drop_all(conn)
    sa.Table("alembic_version", sa.MetaData()).drop(conn, checkfirst=True)
    if conn.dialect.name != "postgresql":
        return
    prefix = QUEUE_PREFIX.replace("_", r"\_") + "%"
    for kind, query in (
            ("TABLE", "SELECT quote_ident(c.relname) FROM pg_class c WHERE c.relkind = 'r' "
                      "AND c.relnamespace = current_schema()::regnamespace AND c.relname LIKE :prefix"),
            ("FUNCTION", "SELECT p.oid::regprocedure::text FROM pg_proc p "
                         "WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE :prefix"),
            ("TYPE", "SELECT quote_ident(t.typname) FROM pg_type t WHERE t.typtype IN ('e', 'c') "
                     "AND t.typnamespace = current_schema()::regnamespace AND t.typname LIKE :prefix "
                     "AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')")):
        for name in conn.execute(sa.text(query), {"prefix": prefix}).scalars().all():
            conn.execute(sa.text(f"DROP {kind} IF EXISTS {name} CASCADE"))


def upgrade(conn: sa.Connection) -> None:
    """Run every migration from the database's revision to the newest, in the caller's transaction."""
    from alembic import command

    command.upgrade(alembic_config(conn), "head")
