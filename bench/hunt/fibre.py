#!/usr/bin/env python3
"""Hunt: short hairs and fibres on the scanner glass, 5-15 mm long, lying on the boxes.

Each page gets 3-6 fibres: curved (a bend of up to ~15 % of the length, a little wiggle), 0.1-0.3 mm
wide, black to mid grey, drawn anti-aliased at 8x (a 0.1 mm fibre is 0.8 px at 200 dpi: it scans as
a light grey line). Half of them lie on a box of a question the sheet leaves blank (alone there a
fibre looks like a slash), the rest on any box (beside a filled box one reads as a correction).
Where, by ``--kind``:

  across   through the box's inside at a random point, any direction;
  corner   through a point within 0.8 mm of one of the box's corners (inside or out): the fibre
           clips the corner, little of it inside;
  edge     along one side (within 15 degrees of it), 0.3-1.2 mm inside the outline;
  short    5-8 mm long, centred in the box (it barely leaves it: a slash poking out 1-2 mm).

    PYTHONPATH=. .venv/bin/python bench/hunt/fibre.py --n 20 --seed 11 [--kind across,corner,edge,short] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import DPI, boxes_of, parser, run_damaged  # noqa

SUPER = 8  # supersampling of the fibre's mask


def fibre_path(centre: tuple[float, float], angle: float, length: float, bend: float, rng) -> np.ndarray:
    """Points (mm, (60, 2)) of a curved fibre through ``centre`` at its middle: a quadratic bow of
    ``bend`` x length at the middle, plus a small wiggle (a fibre is not a parabola)."""
    t = np.linspace(-0.5, 0.5, 60)
    along = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-along[1], along[0]])
    wiggle = rng.uniform(-0.03, 0.03) * length * np.sin(2 * np.pi * (t * rng.uniform(1.0, 2.0) + rng.uniform(0, 1)))
    offset = bend * length * (0.25 - t ** 2) * 4 * 0.5 + wiggle
    offset -= np.interp(0.0, t, offset)  # the middle stays on ``centre``
    return np.asarray(centre)[None, :] + (t * length)[:, None] * along[None, :] + offset[:, None] * normal[None, :]


def draw_fibre(img: np.ndarray, points_mm: np.ndarray, width_mm: float, grey: int) -> None:
    """Darken ``img`` (RGB uint8 at DPI) towards ``grey`` along the polyline ``points_mm`` (mm),
    ``width_mm`` wide, anti-aliased by drawing at SUPER x and averaging down, in place."""
    scale = DPI / 25.4
    pts = points_mm * scale
    x0, y0 = int(np.floor(pts[:, 0].min())) - 3, int(np.floor(pts[:, 1].min())) - 3
    x1, y1 = int(np.ceil(pts[:, 0].max())) + 4, int(np.ceil(pts[:, 1].max())) + 4
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    big = np.zeros(((y1 - y0) * SUPER, (x1 - x0) * SUPER), np.uint8)
    local = ((pts - [x0, y0]) * SUPER * 16).astype(np.int32)  # 4 bits of sub-pixel shift
    cv2.polylines(big, [local], False, 255, max(1, int(round(width_mm * scale * SUPER))), cv2.LINE_AA, shift=4)
    cover = cv2.resize(big, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    patch = img[y0:y1, x0:x1].astype(np.float32)
    patch = patch * (1 - cover[:, :, None]) + np.minimum(patch, grey) * cover[:, :, None]
    img[y0:y1, x0:x1] = np.clip(patch, 0, 255).astype(np.uint8)


def _blank_questions(page: int, truth) -> set[str]:
    return {b.question for b in boxes_of(page) if not truth.boxes.get(b.question)}


def place(box, kind: str, rng) -> tuple[tuple[float, float], float, float]:
    """(centre mm, angle radians, length mm) of a fibre of ``kind`` on ``box``."""
    if kind == "across":
        centre = (box.x + box.w * rng.uniform(0.15, 0.85), box.y + box.h * rng.uniform(0.15, 0.85))
        return centre, rng.uniform(0, np.pi), rng.uniform(5, 15)
    if kind == "corner":
        cx, cy = box.x + box.w * rng.integers(0, 2), box.y + box.h * rng.integers(0, 2)
        centre = (cx + rng.uniform(-0.8, 0.8), cy + rng.uniform(-0.8, 0.8))
        length = rng.uniform(5, 15)
        # The fibre's middle near the corner or one of its ends: shift the centre along the fibre.
        angle = rng.uniform(0, np.pi)
        slide = rng.uniform(-0.4, 0.4) * length
        return (centre[0] + np.cos(angle) * slide, centre[1] + np.sin(angle) * slide), angle, length
    if kind == "edge":
        side = int(rng.integers(4))
        inset = rng.uniform(0.3, 1.2)
        tilt = np.deg2rad(rng.uniform(-15, 15))
        along = rng.uniform(0.2, 0.8)
        if side == 0:
            centre, angle = (box.x + box.w * along, box.y + inset), tilt
        elif side == 1:
            centre, angle = (box.x + box.w * along, box.y + box.h - inset), tilt
        elif side == 2:
            centre, angle = (box.x + inset, box.y + box.h * along), np.pi / 2 + tilt
        else:
            centre, angle = (box.x + box.w - inset, box.y + box.h * along), np.pi / 2 + tilt
        return centre, angle, rng.uniform(5, 15)
    if kind == "short":
        centre = (box.x + box.w * rng.uniform(0.35, 0.65), box.y + box.h * rng.uniform(0.35, 0.65))
        return centre, rng.uniform(0, np.pi), rng.uniform(5, 8)
    raise ValueError(kind)


def damage(img: np.ndarray, page: int, rng, kind: str, truth) -> None:
    """3-6 fibres of ``kind`` on page ``page``'s boxes (``truth``: the sheet's SheetTruth), in place."""
    boxes = boxes_of(page)
    blank = _blank_questions(page, truth)
    blank_boxes = [b for b in boxes if b.question in blank]
    for _ in range(int(rng.integers(3, 7))):
        pool = blank_boxes if blank_boxes and rng.random() < 0.5 else boxes
        box = pool[int(rng.integers(len(pool)))]
        centre, angle, length = place(box, kind, rng)
        bend = rng.uniform(-0.15, 0.15)
        grey = int(rng.uniform(15, 140))
        draw_fibre(img, fibre_path(centre, angle, length, bend, rng), rng.uniform(0.1, 0.3), grey)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="across,corner,edge,short")
    args = p.parse_args()
    run_damaged(args, damage, with_truth=True)


if __name__ == "__main__":
    main()
