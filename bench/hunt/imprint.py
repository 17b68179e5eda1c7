#!/usr/bin/env python3
"""Hunt: traces of other sheets. ``staple_back``: the imprint of a staple's folded legs from the sheet
stapled behind (two short grey dents 1.5-3 mm long, 0.3-0.6 mm wide, a shadowed side, 8-12 mm apart),
one of them on a box left empty; ``carbon``: a carbon-copy imprint of another sheet's marks (crosses
and ticks at 12-30 % of the pen's darkness, bluish grey, 0.5-1.5 mm off) in boxes of 30 % of the
questions.
The truth is what the respondent marked; the traces are no answer.

    PYTHONPATH=. .venv/bin/python bench/hunt/imprint.py --n 15 --seed 11 [--kind staple_back,carbon] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import DPI, boxes_of, office_scan, parser, px, run_pages  # noqa
from omr.forms.simulate import _draw_mark


def staple_back(img: np.ndarray, sheet, page: int, rng) -> None:
    empty = [b for b in boxes_of(page) if not sheet.truth.boxes.get(b.question, {}).get(b.option)]
    b = empty[int(rng.integers(len(empty)))]
    ang = rng.uniform(-0.5, 0.5) + (np.pi / 2 if rng.random() < 0.3 else 0)
    d = np.array([np.cos(ang), np.sin(ang)])
    gap = rng.uniform(8, 12)
    first = np.array([b.x + b.w * rng.uniform(0.25, 0.75), b.y + b.h * rng.uniform(0.25, 0.75)])
    for centre in (first, first + d * gap * (1 if rng.random() < 0.5 else -1)):
        length, wide = rng.uniform(1.5, 3.0), rng.uniform(0.3, 0.6)
        a, e = centre - d * length / 2, centre + d * length / 2
        layer = np.zeros(img.shape[:2], np.float32)
        cv2.line(layer, (px(a[0]), px(a[1])), (px(e[0]), px(e[1])), 1.0, max(1, px(wide)), cv2.LINE_AA)
        shade = np.roll(layer, 1, axis=0) * 0.6  # the dent's shadowed side
        layer = cv2.GaussianBlur(np.maximum(layer * rng.uniform(0.25, 0.55), shade * 0.5), (0, 0), 0.8)
        img[:] = np.clip(img * (1 - layer[:, :, None]), 0, 255).astype(np.uint8)


def carbon(img: np.ndarray, sheet, page: int, rng) -> None:
    layer = np.full(img.shape, 255, np.uint8)
    questions = sorted({b.question for b in boxes_of(page)})
    for q in questions:
        if rng.random() >= 0.3:
            continue
        boxes = [b for b in boxes_of(page) if b.question == q]
        b = boxes[int(rng.integers(len(boxes)))]
        moved = type(b)(b.question, b.option, b.x + rng.uniform(-1.5, 1.5), b.y + rng.uniform(-1, 1), b.w, b.h)
        _draw_mark(layer, moved, str(rng.choice(["cross", "tick"])), DPI, (30, 30, 60), rng, rng.uniform(0.4, 0.6))
    share = rng.uniform(0.12, 0.30)
    faded = 255 - (255 - cv2.GaussianBlur(layer, (0, 0), 1.0).astype(np.float32)) * share
    img[:] = np.minimum(img, faded.astype(np.uint8))


def page_image(sheet, pl, rng, kind: str) -> bytes:
    img = sheet.pages[pl.number].copy()
    (staple_back if kind == "staple_back" else carbon)(img, sheet, pl.number, rng)
    return office_scan(img, rng)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="staple_back,carbon")
    run_pages(p.parse_args(), page_image)


if __name__ == "__main__":
    main()
