"""Alembic environment for omr's store.

omr runs migrations from code (:mod:`omr.data.migrate`), handing Alembic an
open connection in ``config.attributes["connection"]``; there is no
alembic.ini. SQLite cannot ALTER most things in place, so every operation runs
in batch mode (copy the table, move the rows, swap), which Alembic does only
where the dialect needs it.
"""

from alembic import context

from omr.data.job_queue_schema import is_omr_object
from omr.data.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True, include_name=is_omr_object)
with context.begin_transaction():
    context.run_migrations()
