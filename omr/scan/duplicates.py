"""A page's ink print: what tells another scan of the same paper from another respondent's sheet (#16).

A form designed elsewhere carries no serial: its pages get one from their own
image hash (:func:`omr.scan.register.pinned_identity`), so a stack scanned
again (the operator rescans crooked pages into a new file) would count every
sheet twice. The same answers are not enough to call two pages one sheet: on
a short form many respondents tick the same boxes. What differs between two
respondents is the ink itself: where in the box the cross sits, its arms,
the handwriting in the writing frames. Another scan of the same paper
repeats it, up to scanner noise and the remaining alignment error.

The ink print keeps that ink, small and aligned: for each inked box as the reader
located it (layout mm), its ink on a ``DUP_BOX_CELLS`` square grid; for each
writing frame, its ink on a ``DUP_FRAME_CELLS`` grid. :func:`print_similarity`
compares two prints of one form page, only where there is ink: the shape of
each inked box and frame, not which boxes are inked (the store has already
checked the marks are the same). The store uses it to put a page that looks
like another scan of a stored one in front of a person
(:mod:`omr.data.completeness`); two sheets are never merged by this alone.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np

from omr import tuning as T
from omr.model import EMPTY

_HEADER = struct.Struct("<BHH")  # format version, boxes, frames
_VERSION = 1


def marks_key(boxes) -> str:
    """Which boxes of a page hold ink (any state but empty), as 16 hex digits: the store's lookup key.

    Not the boxes' states: another scan of the same cross can read ``marked`` once and ``uncertain``
    or ``cancelled`` the next (measured on rescanned office forms), but it does not vanish.
    """
    inked = sorted(f"{b.question}\x1f{b.option}" for b in boxes if b.state != EMPTY)
    return hashlib.sha256("\x1e".join(inked).encode()).hexdigest()[:16]


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
    return _HEADER.pack(_VERSION, len(boxes), len(frames)) + body.tobytes()


def _cells(region: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if region.size == 0:
        return np.zeros(shape[0] * shape[1], np.uint8)
    # OpenCV only where prints are made (the reader): the store compares prints (print_similarity) in the
    # parent of `omr scan`, which never loads OpenCV (start-up, issue #18; tests/test_startup.py).
    import cv2

    small = cv2.resize(region, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return np.clip(small * 255.0 + 0.5, 0, 255).astype(np.uint8).ravel()


def _segments(data: bytes) -> list[np.ndarray] | None:
    if len(data) < _HEADER.size:
        return None
    version, n_boxes, n_frames = _HEADER.unpack_from(data)
    body = np.frombuffer(data, np.uint8, offset=_HEADER.size)
    sizes = [T.DUP_BOX_CELLS ** 2] * n_boxes + [T.DUP_FRAME_CELLS[0] * T.DUP_FRAME_CELLS[1]] * n_frames
    if version != _VERSION or body.size != sum(sizes):
        return None
    return np.split(body.astype(np.float32) / 255.0, np.cumsum(sizes)[:-1]) if sizes else []


def print_similarity(a: bytes | None, b: bytes | None) -> float | None:
    """How alike the ink of two prints of one form page is: -1..1, or None when there is nothing to compare.

    Only the boxes and frames inked on either page count (a cell above
    ``DUP_INKED``); each gives the correlation of its cells (the shape of the
    ink, not its amount: a paler scan of the same cross still matches), and the
    similarity is their mean. None when either print is missing or of another
    layout, or neither page has any ink: a blank sheet is like every blank sheet.
    """
    if not a or not b:
        return None
    sa, sb = _segments(a), _segments(b)
    if sa is None or sb is None or len(sa) != len(sb):
        return None
    scores = []
    for x, y in zip(sa, sb, strict=True):
        if max(float(x.max(initial=0.0)), float(y.max(initial=0.0))) < T.DUP_INKED:
            continue
        flat_x, flat_y = x.std() < 1e-3, y.std() < 1e-3
        if flat_x and flat_y:
            continue  # solid fills on both: no shape to compare
        if flat_x or flat_y:
            scores.append(0.0)  # a solid fill against a stroke: not alike
            continue
        scores.append(float(np.corrcoef(x, y)[0, 1]))
    return float(np.mean(scores)) if scores else None
