#!/usr/bin/env python3
"""Hunt: folded and crumpled paper. A fold line (dark crease 0.3-0.8 mm with a shaded side) runs
through a row or column of boxes; the paper does not lie flat, so the part past the fold is shifted
0-1.5 mm (the corner marks cannot model that); ``crumple`` adds a web of creases with shading.

    PYTHONPATH=. .venv/bin/python bench/hunt/fold.py --n 8 --seed 1 [--kind fold|shift|crumple] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import boxes_of, parser, px, run_damaged  # noqa


def crease(img: np.ndarray, p0, p1, rng, width_mm: float, depth: float) -> None:
    """A dark crease from p0 to p1 (px) with a shaded band on one side (in place)."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.float32)
    cv2.line(mask, p0, p1, 1.0, max(1, px(width_mm)), cv2.LINE_AA)
    shade = np.zeros((h, w), np.float32)
    normal = np.array([p1[1] - p0[1], p0[0] - p1[0]], np.float32)
    normal /= max(np.linalg.norm(normal), 1e-6)
    off = (normal * px(2.0)).astype(int)
    cv2.line(shade, (p0[0] + off[0], p0[1] + off[1]), (p1[0] + off[0], p1[1] + off[1]), 1.0, px(4.0))
    shade = cv2.GaussianBlur(shade, (0, 0), px(1.5))
    mask = cv2.GaussianBlur(mask, (0, 0), 0.8)
    factor = 1.0 - depth * mask - 0.12 * rng.uniform(0.5, 1.0) * shade
    img[:] = np.clip(img.astype(np.float32) * factor[:, :, None], 0, 255).astype(np.uint8)


DEPTH = (0.35, 0.7)  # darkness of the crease's core (set by --depth)
VERTICAL = 0.4  # share of folds down a column (set by --vertical)


def fold_through_boxes(img: np.ndarray, page: int, rng, kind: str) -> None:
    boxes = boxes_of(page)
    box = boxes[int(rng.integers(len(boxes)))]
    h, w = img.shape[:2]
    horizontal = rng.random() >= VERTICAL
    if horizontal:  # through the middle of a row of boxes, a slight slope
        y = px(box.y + box.h * rng.uniform(0.2, 0.8))
        slope = rng.uniform(-0.01, 0.01) * w
        p0, p1 = (0, int(y - slope / 2)), (w, int(y + slope / 2))
    else:
        x = px(box.x + box.w * rng.uniform(0.2, 0.8))
        slope = rng.uniform(-0.01, 0.01) * h
        p0, p1 = (int(x - slope / 2), 0), (int(x + slope / 2), h)
    if kind == "shift":  # the half past the fold lifts: shifted 0.5-1.5 mm across the fold
        d = px(rng.uniform(0.5, 1.5)) * (1 if rng.random() < 0.5 else -1)
        m = np.float32([[1, 0, 0 if horizontal else d], [0, 1, d if horizontal else 0]])
        moved = cv2.warpAffine(img, m, (w, h), borderValue=(250, 250, 250))
        if horizontal:
            cut = (p0[1] + p1[1]) // 2
            img[cut:] = moved[cut:]
        else:
            cut = (p0[0] + p1[0]) // 2
            img[:, cut:] = moved[:, cut:]
    crease(img, p0, p1, rng, rng.uniform(0.3, 0.8), rng.uniform(*DEPTH))


def crumple(img: np.ndarray, rng) -> None:
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(6, 14))):
        p0 = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        ang = rng.uniform(0, np.pi)
        length = rng.uniform(0.2, 0.7) * w
        p1 = (int(p0[0] + np.cos(ang) * length), int(p0[1] + np.sin(ang) * length))
        crease(img, p0, p1, rng, rng.uniform(0.2, 0.5), rng.uniform(0.15, 0.45))
    # Uneven light over the bumps.
    low = cv2.resize(rng.uniform(0.85, 1.0, (8, 6)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    img[:] = np.clip(img.astype(np.float32) * low[:, :, None], 0, 255).astype(np.uint8)


def _damage(img, number, rng, kind) -> None:
    if kind == "crumple":
        crumple(img, rng)
    else:
        for _ in range(int(rng.integers(1, 3))):
            fold_through_boxes(img, number, rng, kind)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="fold,shift,crumple")
    p.add_argument("--depth", default="0.35,0.7", help="crease core darkness range, e.g. 0.15,0.3")
    p.add_argument("--vertical", type=float, default=0.4, help="share of folds down a column of boxes")
    args = p.parse_args()
    global DEPTH, VERTICAL
    DEPTH = tuple(map(float, args.depth.split(",")))
    VERTICAL = args.vertical
    run_damaged(args, _damage)


if __name__ == "__main__":
    main()
