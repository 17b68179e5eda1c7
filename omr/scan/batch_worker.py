"""The worker side of a scan batch (:mod:`omr.scan.batch`): set up once, then read page after page;
after the batch's marks, workers set up by :func:`init_drafting` draft its stored comment crops.

Apart from :mod:`omr.scan.batch` so that the process handing pages out and
storing them never imports the reading code (OpenCV, the page reader): it names
these functions to its workers (:class:`omr.scan.page_workers.ByName`), and the
workers' fork server imports this module once (start-up time, issue #18).
"""

from __future__ import annotations

from pathlib import Path

import numpy.ma
import pikepdf
import pypdfium2
import pypdfium2.raw
import zxingcpp

from omr.errors import FontMissingError
from omr.forms import printing
from omr.forms.fonts import register_fonts
from omr.model import PageResult
from omr.scan.catalogue import Catalogue
from omr.scan.comments import set_drafting_in_scan
from omr.scan.ingest import PageLoader
from omr.scan.page import process_image

# What reading a page loads on first use, loaded here with this module, so once in the fork server
# and not again at every worker's first page (~0.3 s CPU each, issue #18): the PDF libraries
# (omr.scan.ingest), the QR decoder (omr.scan.identify), the drawing of omr's own form and Pillow
# behind it (omr.scan.form_print renders its print once per process), and NumPy's masked arrays
# (np.median imports them at its first call). Named here so that nothing drops them as unused.
PRELOADED = (numpy.ma, pikepdf, pypdfium2, pypdfium2.raw, zxingcpp, printing)
try:
    # The form's fonts parsed once here too (~0.15 s CPU): every worker's first page of omr's own
    # form draws its print with them (omr.scan.form_print).
    register_fonts()
except FontMissingError:  # said where the print is drawn, as without this (a fork server must not fail)
    pass

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
