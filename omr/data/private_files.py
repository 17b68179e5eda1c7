"""Files that hold respondents' answers, comments or handwriting (personal data, omr.text.privacy):
exports, reports, their crops, the online import's rejects file. They are readable by their owner only,
whatever the umask, as the uploads and the database are (omr.data.store). To share one, copy it where
colleagues may read it, or chmod it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; moved onto ``path`` once written (readers never see half a
    file), with mode ``PRIVATE_FILE_MODE`` whether or not ``path`` existed before (its old mode is not
    kept); removed if the writing fails (``path`` is then left as it was). Creates ``path``'s folder.
    Raises OSError when the folder cannot be made or written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, PRIVATE_FILE_MODE)  # mkstemp's already; said, as writers may replace the file
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
