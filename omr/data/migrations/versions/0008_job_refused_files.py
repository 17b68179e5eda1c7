"""Upload jobs: the files refused at upload, with their reasons (hweb2).

The reasons a file of an upload was refused (not a scan, empty, truncated,
too large) were said once, right after the upload; after a reload, or to
another user opening the job, they were gone. ``upload_jobs.refused`` keeps
them: JSON ``[{"name", "reason"}]``. Jobs stored before get ``[]`` (their
refusals were never kept). No row is changed otherwise.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("upload_jobs") as batch_op:
        batch_op.add_column(sa.Column("refused", sa.Text(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("upload_jobs") as batch_op:
        batch_op.drop_column("refused")
