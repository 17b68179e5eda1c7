"""Pages: which part of the scanned image a page is (two form pages in one image, #13).

An image may hold two form pages (an A3 scan of an unstapled sheet, two pages
stacked): each half is read and stored as a page of its own. ``pages.part``
says which: 0 the whole image, 1 its left (or top) half, 2 its right (or
bottom) half. Every page stored before is a whole image: part 0. The unique
key becomes (file, page index, part), so a rescan of the same file still
records nothing twice. SQLite rebuilds the table (batch mode); every row, id
and reference to it is kept.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pages") as batch_op:
        batch_op.add_column(sa.Column("part", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint("uq_pages_source_index", type_="unique")
        batch_op.create_unique_constraint("uq_pages_source_index_part", ["source_file_id", "page_index", "part"])


def downgrade() -> None:
    # Refused rather than losing pages: the second half of a two-page image has no place in the old key.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT COUNT(*) FROM pages WHERE part <> 0")).scalar():
        raise RuntimeError("pages read from halves of two-page images exist: the old schema cannot hold them")
    with op.batch_alter_table("pages") as batch_op:
        batch_op.drop_constraint("uq_pages_source_index_part", type_="unique")
        batch_op.create_unique_constraint("uq_pages_source_index", ["source_file_id", "page_index"])
        batch_op.drop_column("part")
