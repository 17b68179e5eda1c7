"""Making a page's ink print in the reader (OpenCV, NumPy): see :mod:`omr.scan.duplicates` for what
a print is and how two are compared.

Apart from :mod:`omr.scan.duplicates` so that the process storing pages, which
compares prints, starts without OpenCV and NumPy (issue #18; tests/test_startup.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from omr import tuning as T
from omr.model import EMPTY
from omr.scan.duplicates import HEADER, VERSION


def ink_print(ink, boxes, frames) -> bytes:
    """The ink print of an aligned page: bytes, header then uint8 ink cells (0 paper, 255 black).

    ``ink`` is the page's :class:`omr.scan.align.PageInk`; ``boxes`` the page's
    :class:`omr.model.BoxRead` (x, y, w, h mm where the reader found them; the empty ones are left out);
    ``frames`` (x, y, w, h) mm of its writing frames. Boxes are taken in
    (question, option) order and frames as given, so two prints of one form
    page line up cell for cell. A box's edge (``DUP_BOX_INSET`` of its size)
    is left out: the printed outline is on every sheet.
    """
    cells = []
    b = T.DUP_BOX_CELLS
    # Only the inked boxes: prints are compared between pages of one marks_key (the same inked boxes),
    # and an empty box has no ink to tell two sheets apart. ~1-2 kB a page instead of ~10-20.
    boxes = [box for box in boxes if box.state != EMPTY]
    for box in sorted(boxes, key=lambda r: (r.question, r.option)):
        dx, dy = box.w * T.DUP_BOX_INSET, box.h * T.DUP_BOX_INSET
        cells.append(_cells(ink.region_mm(box.x + dx, box.y + dy, box.w - 2 * dx, box.h - 2 * dy), (b, b)))
    fh, fw = T.DUP_FRAME_CELLS
    for x, y, w, h in frames:
        cells.append(_cells(ink.region_mm(x, y, w, h), (fh, fw)))
    body = np.concatenate(cells) if cells else np.zeros(0, np.uint8)
    return HEADER.pack(VERSION, len(boxes), len(frames)) + body.tobytes()


def _cells(region: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if region.size == 0:
        return np.zeros(shape[0] * shape[1], np.uint8)
    small = cv2.resize(region, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return np.clip(small * 255.0 + 0.5, 0, 255).astype(np.uint8).ravel()
