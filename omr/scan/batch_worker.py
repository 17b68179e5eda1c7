"""The worker side of a scan batch (:mod:`omr.scan.batch`): set up once, then read page after page;
after the batch's marks, workers set up by :func:`init_drafting` draft its stored comment crops.

Apart from :mod:`omr.scan.batch` so that the process handing pages out and
storing them never imports the reading code (OpenCV, the page reader): it names
these functions to its workers (:class:`omr.scan.page_workers.ByName`), and the
workers' fork server imports this module once (start-up time, issue #18).
"""

from __future__ import annotations

from pathlib import Path

from omr.model import PageResult
from omr.scan.catalogue import Catalogue
from omr.scan.comments import set_drafting_in_scan
from omr.scan.ingest import PageLoader
from omr.scan.page import process_image

_catalogue: Catalogue | None = None
_loader: PageLoader | None = None


def init_worker(catalogue: Catalogue | str, single_threaded: bool = False) -> None:
    """Set up a worker: ``catalogue`` as the parent built it (pickled, ~60 kB), or a template folder."""
    global _catalogue, _loader
    if single_threaded:
        # Worker processes already fill the cores; OpenCV's own threads would only contend.
        import cv2

        cv2.setNumThreads(1)
    # Handed over ready-made: resolving every template again took ~0.15 s per worker start.
    _catalogue = catalogue if isinstance(catalogue, Catalogue) else Catalogue.from_folder(catalogue)
    _loader = PageLoader()
    # Marks first, at full speed: comments are drafted from the stored crops once the batch is in (#15).
    set_drafting_in_scan(False)


def init_drafting(single_threaded: bool = False) -> None:
    """Set up a worker that drafts stored comment crops (:func:`omr.scan.comments.draft_stored_task`);
    the handwriting recogniser loads with its first crop."""
    if single_threaded:
        import cv2

        cv2.setNumThreads(1)


def read_task(task: tuple[str, int]) -> list[PageResult]:
    """The form pages of one page image of a file: one, or one per half of a two-page image."""
    path, index = task
    raw = _loader.load(Path(path), index)
    return process_image(raw, _catalogue)
