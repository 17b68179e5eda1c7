#!/usr/bin/env python3
"""Hunt: scanner and copier streaks. ``toner``: a dark vertical streak (dirty drum or scanner glass,
0.2-2.5 mm wide, 15-70 % dark) down the page through a column of boxes; ``white``: a white dropout
streak (dead sensor line) through a column of boxes, which can erase the mark under it; ``fax``:
horizontal fax lines, a few dark 1-3 px lines and white dropouts, some only part-way across.

    PYTHONPATH=. .venv/bin/python bench/hunt/streak.py --n 8 --seed 1 [--kind toner,white,fax] [--keep DIR]
"""
from __future__ import annotations

import numpy as np

from common import boxes_of, parser, px, run_damaged  # noqa


def toner(img: np.ndarray, page: int, rng, white: bool = False) -> None:
    boxes = boxes_of(page)
    box = boxes[int(rng.integers(len(boxes)))]
    width = px(rng.uniform(0.2, 2.5)) if not white else px(rng.uniform(0.2, 1.0))
    x = px(box.x + box.w * rng.uniform(0.15, 0.85)) - width // 2
    w = img.shape[1]
    x0, x1 = max(0, x), min(w, x + max(1, width))
    if white:
        img[:, x0:x1] = 250
        return
    dark = rng.uniform(0.15, 0.7)
    profile = 1.0 - dark * (0.8 + 0.2 * rng.random(img.shape[0]))  # uneven down its length
    img[:, x0:x1] = (img[:, x0:x1].astype(np.float32) * profile[:, None, None]).astype(np.uint8)


def fax(img: np.ndarray, rng) -> None:
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(3, 9))):
        y = int(rng.uniform(0, h - 3))
        thick = int(rng.integers(1, 4))
        a = int(rng.uniform(0, w * 0.6)) if rng.random() < 0.5 else 0
        b = int(rng.uniform(a + w * 0.2, w))
        if rng.random() < 0.6:
            img[y:y + thick, a:b] = int(rng.uniform(20, 90))
        else:
            img[y:y + thick, a:b] = 255


def _damage(img, number, rng, kind) -> None:
    if kind == "fax":
        fax(img, rng)
    else:
        for _ in range(int(rng.integers(1, 3))):
            toner(img, number, rng, white=(kind == "white"))


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="toner,white,fax")
    run_damaged(p.parse_args(), _damage)


if __name__ == "__main__":
    main()
