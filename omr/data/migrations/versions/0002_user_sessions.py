"""Users: a session version (logout ends every session) and a forced password change.

``session_version`` starts at 0 for every existing user: sessions issued
before the upgrade carry no version and so end, and everyone logs in again
once. ``must_change_password`` starts false for existing users: their
passwords were chosen before this rule existed, and forcing every reviewer to
change at once after an upgrade would stop an office's work for a day.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("session_version")
