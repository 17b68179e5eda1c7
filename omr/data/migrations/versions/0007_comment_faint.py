"""Comments: possibly faint writing (hfaint).

A comment field with only a little written area (faint pencil, pencil a
1-bit scan mostly erased) goes to review rather than being stored blank, but
the reviewer was not told why: ``comments.faint`` says the field may hold
faint writing, so the review app labels it «có thể có chữ viết mờ» and shows
the uncleaned crop. Rows stored before get it from what decided their review
at that time: a field sent to review with less than 3.0 mm² of written area
(``TEXT_MIN_INK_MM2`` at revision 0006, frozen here) was sent as possibly
faint. Every other row is kept as it is (false).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# omr.tuning.TEXT_MIN_INK_MM2 at revision 0006: below it an inked field was "maybe written" (faint).
_SURELY_WRITTEN_MM2 = 3.0


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch_op:
        batch_op.add_column(sa.Column("faint", sa.Boolean(), nullable=False, server_default=sa.false()))
    comments = sa.table("comments", sa.column("faint", sa.Boolean()), sa.column("inked", sa.Boolean()),
                        sa.column("ink_mm2", sa.Float()))
    op.execute(comments.update().where(comments.c.inked.is_(True), comments.c.ink_mm2 < _SURELY_WRITTEN_MM2)
               .values(faint=True))


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch_op:
        batch_op.drop_column("faint")
