#!/usr/bin/env python3
"""Hunt: marks made oddly. One-box questions (scale, single, yes/no), 40 % of them drawn again:
``dashed``: a pen that skips (the cross or tick broken into dashes 0.4-1 mm long, gaps 0.3-0.8 mm);
``corner_x``: a very small X (1.0-1.8 mm) in one corner of the box; ``outside``: a cross or tick drawn
just outside the box, touching its outline (55-80 % of it outside, on the side with room).
The truth is the box meant: read so or sent to review, never blank or another box.

    PYTHONPATH=. .venv/bin/python bench/hunt/strokes.py --n 15 --seed 11 [--kind dashed,...] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import ink_of, office_scan, parser, px, redraw_questions, run_pages  # noqa


def dashed_line(img, a, b, colour, pen, rng) -> None:
    """A line from ``a`` to ``b`` (mm) drawn by a pen that skips."""
    a, b = np.array(a, float), np.array(b, float)
    length = float(np.linalg.norm(b - a))
    s = rng.uniform(0, 0.3)
    while s < length:
        e = min(length, s + rng.uniform(0.4, 1.0))
        p, q = a + (b - a) * s / length, a + (b - a) * e / length
        cv2.line(img, (px(p[0]), px(p[1])), (px(q[0]), px(q[1])), colour, pen, cv2.LINE_AA)
        s = e + rng.uniform(0.3, 0.8)


def strokes_of(style: str, x: float, y: float, w: float, h: float, rng) -> list:
    """The pen strokes (pairs of mm points) of a cross or tick drawn in the rectangle x, y, w, h."""
    j = lambda: rng.normal(0, 0.15)  # noqa: E731
    if style == "cross":
        return [((x + j(), y + j()), (x + w + j(), y + h + j())), ((x + w + j(), y + j()), (x + j(), y + h + j()))]
    m = (x + 0.4 * w + j(), y + h + j())
    return [((x + j(), y + 0.5 * h + j()), m), (m, (x + w + j(), y + j()))]


def page_image(sheet, pl, rng, kind: str) -> bytes:
    img, chosen = redraw_questions(sheet, pl, rng, 0.4)
    colour = ink_of(sheet.truth)
    for q, box, boxes in chosen:
        pen = max(1, px(rng.uniform(0.3, 0.5)))
        style = "cross" if rng.random() < 0.6 else "tick"
        sheet.truth.habits[q] = f"{kind} {style}"
        if kind == "dashed":
            a, b = rng.uniform(0.05, 0.2), rng.uniform(0.8, 1.0)
            for p, e in strokes_of(style, box.x + a * box.w, box.y + a * box.h, (b - a) * box.w, (b - a) * box.h, rng):
                dashed_line(img, p, e, colour, pen, rng)
            continue
        if kind == "corner_x":
            s = rng.uniform(1.0, 1.8)
            x = box.x + (0.4 if rng.random() < 0.5 else box.w - 0.4 - s)
            y = box.y + (0.4 if rng.random() < 0.5 else box.h - 0.4 - s)
            lines = strokes_of("cross", x, y, s, s, rng)
        else:  # outside, touching the outline: above, below, or to the left (the label is on the right)
            s = rng.uniform(3.0, 4.5)
            out = rng.uniform(0.55, 0.8) * s
            side = ["above", "below", "left"][int(rng.integers(3))]
            if side == "above":
                x, y = box.x + (box.w - s) / 2, box.y - out
            elif side == "below":
                x, y = box.x + (box.w - s) / 2, box.y + box.h + out - s
            else:
                x, y = box.x - out, box.y + (box.h - s) / 2
            sheet.truth.habits[q] += f" {side}"
            lines = strokes_of(style, x, y, s, s, rng)
        for p, e in lines:
            cv2.line(img, (px(p[0]), px(p[1])), (px(e[0]), px(e[1])), colour, pen, cv2.LINE_AA)
    return office_scan(img, rng)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="dashed,corner_x,outside")
    run_pages(p.parse_args(), page_image)


if __name__ == "__main__":
    main()
