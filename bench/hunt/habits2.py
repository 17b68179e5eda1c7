#!/usr/bin/env python3
"""Hunt: what respondents and offices add to a filled sheet.

``signature``: the respondent's signature or initials (a looping scrawl 20-45 mm long, 4-9 mm tall, the
respondent's pen) across a row of a question's boxes, on one or two questions a page (half of them left blank);
``blob``: a ballpoint blob or ink drop (a dark, slightly ragged dot 1.5-3 mm across) in an empty box of an
answered question (half) or in the 1.5 mm gap between two boxes one above the other (half), 1-3 a page;
``ruled``: the sheet photocopied with ruled notebook paper showing through (light grey lines 0.15-0.3 mm wide,
12-30 % dark, every 7-8 mm, turned up to 0.6 degrees; a square grid on half of the pages);
``big_x``: one question a page (of those answered with one box, 1-4 boxes on one or two rows) crossed out with
one big X over all its boxes, running 2-5 mm past them (meaning: withdrawn; the truth is review);
``mirror``: a felt pen's marks of another sheet soaked through from the back (the other page of another
respondent's sheet, its marks thickened to a felt tip's 0.8-1.4 mm, mirrored left-right, at 20-40 % of
their darkness, softened 0.15 mm). Unlike the simulator's ``soak_through`` (the sheet's own other side,
near the boxes only) these are another sheet's marks, everywhere;
``tick_between``: 40 % of the one-box answers whose box has another box 1.5 mm below it (scale rows, two-row
options) drawn as a tick 4-6 mm tall whose vertex sits in the gap between the two boxes, its long arm rising
through the box meant (the truth: the upper box; the lower box's question keeps its own truth).

    PYTHONPATH=. .venv/bin/python bench/hunt/habits2.py --n 15 --seed 11 [--kind signature,...] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import (DPI, boxes_of, form, ink_of, make_sheets, office_scan, px,  # noqa
                    redraw_questions, run_kinds)
from omr.forms.simulate import _draw_mark

REVIEW_TRUTH = ["REVIEW"]  # an answer no reading stores ok: anything but review is SILENT
KINDS = "signature,blob,ruled,big_x,mirror,tick_between"


def _questions(page: int) -> dict[str, list]:
    out: dict[str, list] = {}
    for b in boxes_of(page):
        out.setdefault(b.question, []).append(b)
    return out


def _poly(img, pts, colour, pen) -> None:
    p = np.round(np.array(pts) * DPI / 25.4).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(img, [p], False, colour, pen, cv2.LINE_AA)


def signature(img, sheet, page, rng) -> None:
    qs = _questions(page)
    rows = []  # (question, y centre, x from, x to) of a row of at least two boxes
    for q, boxes in qs.items():
        ys = {}
        for b in boxes:
            ys.setdefault(round(b.y), []).append(b)
        for row in ys.values():
            if len(row) >= 2:
                rows.append((q, row[0].y + row[0].h / 2, min(b.x for b in row), max(b.x + b.w for b in row)))
    blank = [r for r in rows if not sheet.truth.boxes.get(r[0])]
    answered = [r for r in rows if sheet.truth.boxes.get(r[0])]
    colour = ink_of(sheet.truth)
    for _ in range(int(rng.integers(1, 3))):
        pool = blank if (blank and rng.random() < 0.5) or not answered else answered
        q, yc, x0, x1 = pool[int(rng.integers(len(pool)))]
        length, tall = rng.uniform(20, 45), rng.uniform(4, 9)
        start = rng.uniform(x0 - 5, max(x0 - 5, x1 - length * 0.6))
        y0 = yc + rng.uniform(-2, 2)
        loops = length / rng.uniform(3.5, 6)  # one letter loop every 3.5-6 mm
        t = np.linspace(0, 1, 400)
        x = start + length * t + rng.uniform(0.8, 1.5) * np.sin(2 * np.pi * loops * t + rng.uniform(0, 6))
        y = (y0 - tall / 2 * np.cos(2 * np.pi * loops * t) * (0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(1, 3) * t))
             + rng.uniform(-2, 2) * t)
        pen = max(1, px(rng.uniform(0.3, 0.5)))
        _poly(img, np.stack([x, y], 1), colour, pen)
        if rng.random() < 0.5:  # the flourish under it
            fx = np.linspace(start - 2, start + length + 3, 50)
            _poly(img, np.stack([fx, y0 + tall / 2 + 1 + 0.8 * np.sin(np.linspace(0, 3, 50))], 1), colour, pen)
        sheet.truth.habits[q] = "signature"


def _blob(img, cx, cy, d, colour, rng) -> None:
    r = d / 2
    ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    rad = r * (1 + rng.normal(0, 0.08, ang.size))
    pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1) * DPI / 25.4
    cv2.fillPoly(img, [np.round(pts).astype(np.int32)], tuple(int(c * 0.8) for c in colour), cv2.LINE_AA)


def blob(img, sheet, page, rng) -> None:
    boxes = boxes_of(page)
    colour = ink_of(sheet.truth)
    empty_of_answered = [b for b in boxes if sheet.truth.boxes.get(b.question) and not
                         sheet.truth.boxes[b.question].get(b.option)]
    stacked = [(a, b) for a in boxes for b in boxes if abs(a.x - b.x) < 1 and 5.5 < b.y - a.y < 8]
    for _ in range(int(rng.integers(1, 4))):
        d = rng.uniform(1.5, 3.0)
        if rng.random() < 0.5 and empty_of_answered:
            b = empty_of_answered[int(rng.integers(len(empty_of_answered)))]
            cx, cy = b.x + b.w * rng.uniform(0.3, 0.7), b.y + b.h * rng.uniform(0.3, 0.7)
            sheet.truth.habits[b.question] = "blob in"
        elif stacked:
            a, b = stacked[int(rng.integers(len(stacked)))]
            cx, cy = a.x + a.w * rng.uniform(0.3, 0.7), (a.y + a.h + b.y) / 2 + rng.uniform(-0.4, 0.4)
            sheet.truth.habits[a.question] = sheet.truth.habits[b.question] = "blob between"
        else:
            continue
        _blob(img, cx, cy, d, colour, rng)


def ruled(img, sheet, page, rng) -> None:
    h, w = img.shape[:2]
    layer = np.zeros((h, w), np.float32)
    step, wide = rng.uniform(7, 8), max(1, px(rng.uniform(0.15, 0.3)))
    tilt = np.tan(np.radians(rng.uniform(-0.6, 0.6)))
    wmm, hmm = w * 25.4 / DPI, h * 25.4 / DPI
    for y in np.arange(rng.uniform(0, step), hmm + 10, step):
        cv2.line(layer, (0, px(y)), (w, px(y + wmm * tilt)), 1.0, wide, cv2.LINE_AA)
    if rng.random() < 0.5:
        for x in np.arange(rng.uniform(0, step), wmm + 10, step):
            cv2.line(layer, (px(x), 0), (px(x - hmm * tilt), h), 1.0, wide, cv2.LINE_AA)
    dark = rng.uniform(0.12, 0.30)
    img[:] = np.clip(img * (1 - dark * layer[:, :, None]), 0, 255).astype(np.uint8)


def big_x(img, sheet, page, rng) -> None:
    qs = _questions(page)
    kinds = {q.id: q.type for q in form()[0].questions}
    cands = [q for q, bs in qs.items() if kinds.get(q) in ("single", "scale", "yesno") and len(bs) <= 8
             and len(sheet.truth.boxes.get(q, {})) == 1 and len({round(b.y) for b in bs}) <= 2]
    if not cands:
        return
    q = cands[int(rng.integers(len(cands)))]
    bs = qs[q]
    x0, x1 = min(b.x for b in bs) - rng.uniform(2, 5), max(b.x + b.w for b in bs) + rng.uniform(2, 5)
    y0, y1 = min(b.y for b in bs) - rng.uniform(2, 5), max(b.y + b.h for b in bs) + rng.uniform(2, 5)
    pen = max(1, px(rng.uniform(0.35, 0.6)))
    j = lambda: rng.normal(0, 0.8)  # noqa: E731
    colour = ink_of(sheet.truth)
    for a, e in (((x0 + j(), y0 + j()), (x1 + j(), y1 + j())), ((x1 + j(), y0 + j()), (x0 + j(), y1 + j()))):
        t = np.linspace(0, 1, 60)[:, None]
        bow = np.sin(np.pi * t) * rng.normal(0, 1.0)
        pts = np.array(a) + (np.array(e) - np.array(a)) * t + bow * np.array([0, 1])
        _poly(img, pts, colour, pen)
    sheet.truth.answers[q] = REVIEW_TRUTH
    sheet.truth.habits[q] = "big_x"


_DONORS: dict = {}


def mirror(img, sheet, page, rng) -> None:
    _, layout, blanks = form()
    key = sheet.truth.serial
    if key not in _DONORS:
        _DONORS[key] = make_sheets(1, rng, first_serial=9000 + key)[0]
    donor = _DONORS[key]
    other = page + 1 if page % 2 else page - 1
    if other not in donor.pages:
        other = page
    added = np.clip(blanks[other].astype(np.float32) - donor.pages[other].astype(np.float32), 0, 255).max(axis=2) / 255
    k = max(1, px(rng.uniform(0.4, 1.0)))
    added = cv2.dilate(added, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    back = cv2.GaussianBlur(added, (0, 0), max(0.5, 0.15 * DPI / 25.4))[:, ::-1] * rng.uniform(0.2, 0.4)
    img[:] = np.clip(img * (1 - back[:, :, None]), 0, 255).astype(np.uint8)


def page_image(sheet, pl, rng, kind: str) -> bytes:
    if kind == "tick_between":
        return office_scan(tick_between(sheet, pl, rng), rng)
    img = sheet.pages[pl.number].copy()
    {"signature": signature, "blob": blob, "ruled": ruled, "big_x": big_x, "mirror": mirror}[kind](
        img, sheet, pl.number, rng)
    return office_scan(img, rng)


def tick_between(sheet, pl, rng) -> np.ndarray:
    img, chosen = redraw_questions(sheet, pl, rng, 0.4)
    colour = ink_of(sheet.truth)
    for q, box, boxes in chosen:
        pen = max(1, px(rng.uniform(0.3, 0.5)))
        below = [b for b in pl.checkboxes if abs(b.x - box.x) < 1 and 5.5 < b.y - box.y < 8]
        if not below:
            _draw_mark(img, box, "tick", DPI, colour, rng, rng.uniform(0.3, 0.5))
            continue
        tall = rng.uniform(4, 6)
        vx = box.x + box.w * rng.uniform(0.3, 0.5)
        vy = (box.y + box.h + below[0].y) / 2 + rng.uniform(-0.4, 0.4)
        short = (vx - rng.uniform(1.2, 2.0), vy - rng.uniform(1.5, 2.5))
        top = (vx + rng.uniform(1.5, 2.8), vy - tall)
        _poly(img, [short, (vx, vy), top], colour, pen)
        sheet.truth.habits[q] = f"tick_between {below[0].question}"
    return img


def main() -> None:
    run_kinds(__doc__, KINDS, page_image)


if __name__ == "__main__":
    main()
