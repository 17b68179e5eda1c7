"""Pages: the inked boxes and ink print of a page of a form without serials (another scan of a sheet, #16).

A form designed elsewhere carries no serial, so a stack scanned again would
count every sheet twice. ``pages.marks_key`` (which boxes hold ink) finds the
stored pages that could be the same sheet, and ``pages.ink_print`` (the ink of
its boxes and writing frames, small and aligned) tells another scan of the
same paper from another respondent with the same answers
(:mod:`omr.scan.duplicates`). Both are NULL for every page stored before:
those are never compared. Only columns and an index are added; every row is
kept as it is.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pages") as batch_op:
        batch_op.add_column(sa.Column("marks_key", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("ink_print", sa.LargeBinary(), nullable=True))
        batch_op.create_index("ix_pages_marks", ["form_id", "version", "page", "marks_key"])


def downgrade() -> None:
    with op.batch_alter_table("pages") as batch_op:
        batch_op.drop_index("ix_pages_marks")
        batch_op.drop_column("ink_print")
        batch_op.drop_column("marks_key")
