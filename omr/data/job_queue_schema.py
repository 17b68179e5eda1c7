"""The job queue's tables (procrastinate) in omr's PostgreSQL database.

On PostgreSQL, uploaded batches are read through procrastinate
(https://procrastinate.readthedocs.io), a job queue kept in PostgreSQL itself,
so ``omr worker`` on another machine can read them. Its tables, types and
functions (``procrastinate_jobs``, ``procrastinate_workers``, ...) are created
by omr: by migration 0003 for an existing database, and with omr's own tables
for a new one (:func:`omr.data.migrate.prepare`). SQLite has no queue: its
uploads are read by the server's own thread (omr.web.jobs.JobRunner).

procrastinate's schema names nothing with a schema: every object lands in the
first schema of the connection's ``search_path``, as omr's own tables do, and
its functions find their tables the same way at run time.
"""

from __future__ import annotations

from importlib import resources

import sqlalchemy as sa

# Names of the queue's objects; omr's schema comparisons (tests, autogenerate) leave them alone.
QUEUE_PREFIX = "procrastinate_"


def queue_schema_sql() -> str:
    """procrastinate's schema.sql of the installed version (the pinned one, see pyproject.toml)."""
    return (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")


def apply_queue_schema(conn: sa.Connection) -> bool:
    """Create the queue's objects in ``conn``'s database, in the caller's transaction.

    PostgreSQL only: returns False and does nothing on any other backend.
    The SQL runs on the driver connection without parameters, so psycopg
    does not take the ``%`` in its PL/pgSQL messages for placeholders.
    """
    if conn.dialect.name != "postgresql":
        return False
    conn.connection.driver_connection.execute(queue_schema_sql())
    return True


def has_queue_schema(conn: sa.Connection) -> bool:
    """True when the queue's jobs table is in ``conn``'s schema."""
    return conn.dialect.name == "postgresql" and sa.inspect(conn).has_table(QUEUE_PREFIX + "jobs")


def is_omr_object(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: False for the queue's tables, which omr's metadata does not declare."""
    return not (type_ == "table" and name is not None and name.startswith(QUEUE_PREFIX))
