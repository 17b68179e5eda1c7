#!/usr/bin/env python3
"""Hunt: arrows near a box, a mark plus a circled label, and a copier low on toner in stripes.

Questions answered with one box (scale, single, yes/no), 40 % of them drawn again:
``arrow_short``: the box meant left empty, an arrow pointing at it from the left (over the previous
option's label or box) or from above (only where no box lies within 12 mm above) whose tip stops 3-5 mm
short of its outline (the truth: the box meant; review is fine, a blank is not);
``arrow_prev``: the box meant left empty, an arrow starting inside the box beside it (left, or right
for the first box) running level to the box meant, its tip 0-1 mm before the box's edge (truth: the
box meant);
``mark_circle``: the box meant crossed as usual, and another option's printed label circled (a small
ring 1-2.5 mm past the label): two answers, the truth is review;
``toner_bands``: the whole filled page photocopied by a copier low on toner: 2-5 vertical bands 6-25 mm
wide where print and marks are 35-65 % as dark (truth unchanged);
``behind``: another respondent's sheet lying behind the page on the glass (thin 60 g paper), its print and
marks seen through it at 10-25 % of their darkness, not mirrored (its face is the page's back), shifted
2-40 mm and covering 40-100 % of the page (truth unchanged).

    PYTHONPATH=. .venv/bin/python bench/hunt/habits3.py --n 6 --seed 13 [--kind arrow_short,...] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import DPI, ink_of, make_sheets, office_scan, px, redraw_questions, run_kinds  # noqa
from omr.forms.simulate import _draw_mark
from respond import label_rect

REVIEW_TRUTH = ["REVIEW"]  # an answer no reading stores ok: anything but review is SILENT
KINDS = "arrow_short,arrow_prev,mark_circle,toner_bands,behind"


def _arrow(img, a, e, colour, pen, rng, bow: float = 0.0) -> None:
    """A pen arrow from ``a`` to ``e`` (mm), bowed by ``bow`` mm, with a 1.3-2 mm head at ``e``."""
    a, e = np.asarray(a, float), np.asarray(e, float)
    d = (e - a) / (np.linalg.norm(e - a) + 1e-9)
    normal = np.array([-d[1], d[0]])
    ts = np.linspace(0, 1, 30)[:, None]
    curve = a + (e - a) * ts + np.sin(np.pi * ts) * bow * normal
    cv2.polylines(img, [(curve * DPI / 25.4).astype(np.int32)], False, colour, pen, cv2.LINE_AA)
    d = curve[-1] - curve[-3]
    d = d / (np.linalg.norm(d) + 1e-9)
    size = rng.uniform(1.3, 2.0)
    for turn in (2.6, -2.6):
        r = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]]) @ d
        p = e + size * r
        cv2.line(img, (px(e[0]), px(e[1])), (px(p[0]), px(p[1])), colour, pen, cv2.LINE_AA)


def arrows(sheet, pl, rng, kind: str) -> np.ndarray:
    types = {"arrow_prev": ("scale",), "mark_circle": ("single", "yesno")}.get(kind, ("scale", "single", "yesno"))
    img, chosen = redraw_questions(sheet, pl, rng, 0.4, types)
    colour = ink_of(sheet.truth)
    for q, box, boxes in chosen:
        pen = max(1, px(rng.uniform(0.3, 0.5)))
        cy = box.y + box.h / 2
        if kind == "arrow_short":
            gap = rng.uniform(3.0, 5.0)
            # From above only where no row of boxes lies in the way (scale grids: the row above is 1.5 mm off).
            above_free = not any(b.x < box.x + box.w and box.x < b.x + b.w and 0 < box.y - b.y < 12
                                 for b in pl.checkboxes)
            if not above_free or rng.random() < 0.5:  # from the left, level
                e = (box.x - gap, cy + rng.uniform(-0.8, 0.8))
                a = (e[0] - rng.uniform(8, 15), cy + rng.uniform(-3, 3))
            else:  # from above, slanting down
                e = (box.x + box.w / 2 + rng.uniform(-1, 1), box.y - gap)
                a = (e[0] + rng.uniform(-6, 6), e[1] - rng.uniform(7, 12))
            _arrow(img, a, e, colour, pen, rng, rng.uniform(-1.5, 1.5))
            sheet.truth.habits[q] = f"arrow_short {gap:.1f} mm"
        elif kind == "arrow_prev":
            row = sorted((b for b in boxes if abs(b.y - box.y) < 1), key=lambda b: b.x)
            i = row.index(box)
            if len(row) < 2:
                _draw_mark(img, box, "cross", DPI, colour, rng, pen * 25.4 / DPI)
                continue
            prev = row[i - 1] if i > 0 else row[i + 1]
            side = 1 if prev.x < box.x else -1
            a = (prev.x + prev.w * rng.uniform(0.3, 0.7), prev.y + prev.h * rng.uniform(0.35, 0.65))
            tip = rng.uniform(0.0, 1.0)
            e = (box.x - tip if side > 0 else box.x + box.w + tip, cy + rng.uniform(-0.6, 0.6))
            _arrow(img, a, e, colour, pen, rng, rng.uniform(-0.5, 0.5))
            sheet.truth.habits[q] = f"arrow_prev from {prev.option}"
        else:  # mark_circle
            _draw_mark(img, box, "cross", DPI, colour, rng, pen * 25.4 / DPI)
            others = [b for b in boxes if b is not box]
            other = others[int(rng.integers(len(others)))]
            x0, y0, x1, y1 = label_rect(other, q)
            c = (px((x0 + x1) / 2 + rng.uniform(-0.5, 0.5)), px((y0 + y1) / 2 + rng.uniform(-0.3, 0.3)))
            axes = (px((x1 - x0) / 2 + rng.uniform(1.0, 2.5)), px((y1 - y0) / 2 + rng.uniform(1.0, 2.0)))
            cv2.ellipse(img, c, axes, rng.uniform(-4, 4), rng.uniform(0, 40), rng.uniform(330, 390), colour, pen,
                        cv2.LINE_AA)
            sheet.truth.answers[q] = REVIEW_TRUTH
            sheet.truth.habits[q] = f"mark_circle {box.option} + label {other.option}"
    return img


def toner_bands(img: np.ndarray, rng) -> np.ndarray:
    h, w = img.shape[:2]
    keep = np.ones(w, np.float32)
    for _ in range(int(rng.integers(2, 6))):
        width = px(rng.uniform(6, 25))
        x = int(rng.integers(0, w - width))
        ramp = np.minimum(1, np.minimum(np.arange(width) + 1, width - np.arange(width)) / max(1, px(2)))
        keep[x:x + width] = np.minimum(keep[x:x + width], 1 - ramp * (1 - rng.uniform(0.35, 0.65)))
    ink = 255 - img.astype(np.float32)
    return np.clip(255 - ink * keep[None, :, None], 0, 255).astype(np.uint8)


_DONORS: dict = {}


def behind(img: np.ndarray, sheet, page: int, rng) -> np.ndarray:
    key = sheet.truth.serial
    if key not in _DONORS:
        _DONORS[key] = make_sheets(1, rng, first_serial=9000 + key)[0]
    donor = _DONORS[key].pages[page if page in _DONORS[key].pages else min(_DONORS[key].pages)]
    dark = (255 - donor.astype(np.float32)).max(axis=2) / 255
    h, w = dark.shape
    shift = np.float32([[1, 0, px(rng.uniform(-40, 40))], [0, 1, px(rng.uniform(-40, 40))]])
    dark = cv2.warpAffine(dark, shift, (w, h), borderValue=0)
    cover = np.zeros((h, w), np.float32)  # the part of the page the sheet behind lies under
    share = rng.uniform(0.4, 1.0)
    if rng.random() < 0.5:
        cover[:int(h * share)] = 1 if rng.random() < 0.5 else 0
        cover[int(h * share):] = 1 - cover[0, 0] if share < 1 else cover[0, 0]
    else:
        cover[:, :int(w * share)] = 1
    cover = cv2.GaussianBlur(cover, (0, 0), px(1.0))
    back = cv2.GaussianBlur(dark, (0, 0), max(0.5, px(0.2))) * cover * rng.uniform(0.10, 0.25)
    return np.clip(img * (1 - back[:, :, None]), 0, 255).astype(np.uint8)


def page_image(sheet, pl, rng, kind: str) -> bytes:
    if kind == "behind":
        return office_scan(behind(sheet.pages[pl.number].copy(), sheet, pl.number, rng), rng)
    if kind == "toner_bands":
        return office_scan(toner_bands(sheet.pages[pl.number].copy(), rng), rng)
    return office_scan(arrows(sheet, pl, rng, kind), rng)


def main() -> None:
    run_kinds(__doc__, KINDS, page_image)


if __name__ == "__main__":
    main()
