"""The job queue (procrastinate) for reading uploaded batches, PostgreSQL only.

Creates procrastinate's tables, types and functions (see
omr.data.job_queue_schema) in the database's schema. SQLite databases get
nothing: their uploads are still read by the server's own thread. Downgrade
drops the queue's objects, and with them any upload not read yet stays
'queued' in upload_jobs (the SQLite-style runner reads it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from alembic import op

from omr.data.job_queue_schema import apply_queue_schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# procrastinate's objects, dependents first (procrastinate/sql/schema.sql of the pinned version).
_QUEUE_TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs",
                 "procrastinate_workers")
_QUEUE_TYPES = ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type", "procrastinate_job_status")


def upgrade() -> None:
    apply_queue_schema(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in _QUEUE_TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    # Functions first: their signatures name the types.
    op.execute("""
        DO $$ DECLARE f record; BEGIN
          FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                   WHERE p.proname LIKE 'procrastinate\\_%' AND p.pronamespace = current_schema()::regnamespace
          LOOP EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE'; END LOOP;
        END $$""")
    for type_name in _QUEUE_TYPES:
        op.execute(f"DROP TYPE IF EXISTS {type_name} CASCADE")
