#!/usr/bin/env python3
"""Hunt: things on the scanner glass or the page's edge. ``hair``: hairs or fibres on the glass,
thin (0.1-0.25 mm) dark curves 8-40 mm long, some lying across a box; ``edge``: the edge of another
sheet lying over the page at a slant (a sharp line, the covered side a little greyer), crossing the
boxes of several rows once each; ``ruler``: a respondent's pencil or pen line drawn with a ruler
down a column of boxes (as if ruling a margin).

    PYTHONPATH=. .venv/bin/python bench/hunt/glass.py --n 8 --seed 1 [--kind hair,edge,ruler] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import boxes_of, parser, px, run_damaged  # noqa


def hair(img: np.ndarray, page: int, rng) -> None:
    boxes = boxes_of(page)
    for _ in range(int(rng.integers(2, 6))):
        b = boxes[int(rng.integers(len(boxes)))]
        cx, cy = b.x + b.w * rng.uniform(0.2, 0.8), b.y + b.h * rng.uniform(0.2, 0.8)
        length = rng.uniform(8, 40)
        ang = rng.uniform(0, np.pi)
        bend = rng.uniform(-0.6, 0.6)
        t = np.linspace(-0.5, 0.5, 60)
        xs = cx + np.cos(ang) * t * length - np.sin(ang) * bend * (t ** 2 - 0.25) * length * 0.5
        ys = cy + np.sin(ang) * t * length + np.cos(ang) * bend * (t ** 2 - 0.25) * length * 0.5
        pts = np.stack([xs, ys], 1) * 200 / 25.4
        grey = int(rng.uniform(20, 90))
        cv2.polylines(img, [pts.astype(np.int32)], False, (grey, grey, grey), max(1, px(rng.uniform(0.1, 0.25))),
                      cv2.LINE_AA)


def edge(img: np.ndarray, page: int, rng) -> None:
    h, w = img.shape[:2]
    b = boxes_of(page)[int(rng.integers(len(boxes_of(page))))]
    cx, cy = px(b.x + b.w / 2), px(b.y + b.h / 2)
    ang = np.deg2rad(rng.uniform(60, 88) * (1 if rng.random() < 0.5 else -1))  # steep: one box per row
    dx, dy = np.cos(ang), np.sin(ang)
    p0 = (int(cx - dx * 3000), int(cy - dy * 3000))
    p1 = (int(cx + dx * 3000), int(cy + dy * 3000))
    yy, xx = np.mgrid[0:h, 0:w]
    side = ((xx - cx) * dy - (yy - cy) * dx) > 0
    img[side] = (img[side] * rng.uniform(0.88, 0.96)).astype(np.uint8)
    grey = int(rng.uniform(40, 140))
    cv2.line(img, p0, p1, (grey, grey, grey), max(1, px(rng.uniform(0.15, 0.4))), cv2.LINE_AA)


def ruler(img: np.ndarray, page: int, rng) -> None:
    b = boxes_of(page)[int(rng.integers(len(boxes_of(page))))]
    x = px(b.x + b.w * rng.uniform(0.3, 0.7))
    y0, y1 = px(b.y - rng.uniform(10, 60)), px(b.y + rng.uniform(10, 80))
    grey = int(rng.uniform(30, 120))
    colour = (grey, grey, grey) if rng.random() < 0.5 else (30, 40, 140)
    cv2.line(img, (x, y0), (x + px(rng.uniform(-1, 1)), y1), colour, max(1, px(rng.uniform(0.25, 0.5))),
             cv2.LINE_AA)


KINDS = {"hair": hair, "edge": edge, "ruler": ruler}


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="hair,edge,ruler")
    args = p.parse_args()
    run_damaged(args, lambda img, number, rng, kind: KINDS[kind](img, number, rng))


if __name__ == "__main__":
    main()
