#!/usr/bin/env python3
"""Hunt: coffee rings and water stains over the boxes. ``coffee``: a brown ring 60-90 mm across
(tide line 1-3 mm, 20-60 % dark, a light tint inside) with its line crossing boxes; ``water``: an
irregular grey tide-marked blot 30-80 mm across over a block of boxes; ``splash``: a few coffee
drops 2-6 mm, some landing in a box.

    PYTHONPATH=. .venv/bin/python bench/hunt/stain.py --n 8 --seed 1 [--kind coffee,water,splash] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import boxes_of, parser, px, run_damaged  # noqa

COFFEE = np.array([0.55, 0.75, 0.95], np.float32)  # RGB transmission of coffee per unit darkness (brown)


def _apply(img: np.ndarray, density: np.ndarray, colour=COFFEE) -> None:
    """Darken ``img`` by ``density`` (0-1 per px) in ``colour``'s proportions (in place)."""
    absorb = density[:, :, None] * (1.0 - colour)[None, None, :]
    img[:] = np.clip(img.astype(np.float32) * (1.0 - absorb / (1.0 - colour).max()), 0, 255).astype(np.uint8)


def coffee(img: np.ndarray, page: int, rng) -> None:
    h, w = img.shape[:2]
    box = boxes_of(page)[int(rng.integers(len(boxes_of(page))))]
    r = px(rng.uniform(30, 45))
    ang = rng.uniform(0, 2 * np.pi)  # the ring's line passes through the chosen box
    cx = int(px(box.x + box.w / 2) - r * np.cos(ang))
    cy = int(px(box.y + box.h / 2) - r * np.sin(ang))
    d = np.zeros((h, w), np.float32)
    cv2.circle(d, (cx, cy), r, rng.uniform(0.05, 0.12), -1)
    ring = np.zeros((h, w), np.float32)
    cv2.circle(ring, (cx, cy), r, 1.0, max(2, px(rng.uniform(1.0, 3.0))))
    # A tide line darker on parts of its length.
    wobble = cv2.resize(rng.uniform(0.4, 1.0, (6, 6)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    d = np.maximum(d, ring * wobble * rng.uniform(0.2, 0.6))
    _apply(img, cv2.GaussianBlur(d, (0, 0), 1.5))


def water(img: np.ndarray, page: int, rng) -> None:
    h, w = img.shape[:2]
    box = boxes_of(page)[int(rng.integers(len(boxes_of(page))))]
    size = px(rng.uniform(30, 80))
    noise = cv2.resize(rng.random((12, 12)).astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:size, 0:size] / size - 0.5
    blob = ((np.sqrt(xx ** 2 + yy ** 2) + 0.25 * (noise - 0.5)) < 0.4).astype(np.uint8)
    edge = cv2.morphologyEx(blob, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)).astype(np.float32)
    dens = blob * rng.uniform(0.03, 0.1) + edge * rng.uniform(0.15, 0.4)
    dens = cv2.GaussianBlur(dens.astype(np.float32), (0, 0), 1.2)
    full = np.zeros((h, w), np.float32)
    x0 = px(box.x + box.w / 2) - size // 2 + int(rng.uniform(-0.3, 0.3) * size)
    y0 = px(box.y + box.h / 2) - size // 2 + int(rng.uniform(-0.3, 0.3) * size)
    xs, ys = max(0, x0), max(0, y0)
    xe, ye = min(w, x0 + size), min(h, y0 + size)
    full[ys:ye, xs:xe] = dens[ys - y0:ye - y0, xs - x0:xe - x0]
    _apply(img, full, np.array([0.8, 0.8, 0.85], np.float32))


def splash(img: np.ndarray, page: int, rng) -> None:
    h, w = img.shape[:2]
    d = np.zeros((h, w), np.float32)
    boxes = boxes_of(page)
    for _ in range(int(rng.integers(3, 8))):
        if rng.random() < 0.5:
            b = boxes[int(rng.integers(len(boxes)))]
            c = (px(b.x + b.w * rng.uniform(0, 1)), px(b.y + b.h * rng.uniform(0, 1)))
        else:
            c = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        rad = px(rng.uniform(1.0, 3.0))
        cv2.ellipse(d, c, (rad, int(rad * rng.uniform(0.6, 1.0))), rng.uniform(0, 180), 0, 360,
                    rng.uniform(0.15, 0.5), -1)
        cv2.ellipse(d, c, (rad, int(rad * rng.uniform(0.6, 1.0))), 0, 0, 360, rng.uniform(0.3, 0.7), 1)
    _apply(img, cv2.GaussianBlur(d, (0, 0), 1.0))


KINDS = {"coffee": coffee, "water": water, "splash": splash}


def _damage(img, number, rng, kind) -> None:
    for _ in range(int(rng.integers(1, 3))):
        KINDS[kind](img, number, rng)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="coffee,water,splash")
    run_damaged(p.parse_args(), _damage)


if __name__ == "__main__":
    main()
