#!/usr/bin/env python3
"""Hunt: what an official adds while checking a sheet, and two respondents' ways of marking.

On one to three questions a page (half of them drawn again left blank: the truth blank), the official's pen
(red, blue or black) adds:
``check_x``: a small "x" or tick (2-3.5 mm) beside the question: left of its number in the margin (half) or
1-4 mm after its last box on the row (half);
``ring_number``: a ring round the question's number ("B3."), 6-9 x 4.5-6 mm;
``initials``: "đã KT" and a flourish (8-14 mm, 3-5 mm tall) in the margin next to a row of the question's boxes,
right (its start 1-4 mm after the row's last box) or left (before the number);
The respondent:
``tap``: 40 % of the one-box answers of single-choice questions get a pen tap in another box of the row (a dot
0.4-0.9 mm or a dash 0.6-1.4 mm, where the pen rested; the truth: the box marked, or review);
``hl_mark``: 30 % of the one-box answers marked with a highlighter stroke over the box instead of a pen
(yellow, green, pink or orange, 5-7 mm tall, 6-12 mm long; grey office scan; truth: that box, or review);
``hl_mark_colour``: the same on a colour scan.

    PYTHONPATH=. .venv/bin/python bench/hunt/official.py --n 15 --seed 11 [--kind check_x,...] [--keep DIR]
"""
from __future__ import annotations

import copy

import cv2
import numpy as np

from common import DPI, form, ink_of, office_scan, px, redraw_questions, run_kinds  # noqa
from omr.forms.simulate import _draw_mark, fill_page
from pens import colour_scan

KINDS = "check_x,ring_number,initials,tap,hl_mark,hl_mark_colour"
PENS = [(190, 30, 40), (35, 55, 150), (25, 25, 25)]
HIGHLIGHT = [(255, 240, 70), (150, 240, 120), (255, 150, 200), (255, 190, 90)]


def _poly(img, pts, colour, pen) -> None:
    p = np.round(np.array(pts) * DPI / 25.4).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(img, [p], False, colour, pen, cv2.LINE_AA)


def _label(pl, q: str):
    """The printed question label (a Decor text starting "Q."), or None."""
    return next((d for d in pl.decor if d.kind == "text" and d.text.startswith(f"{q}.")), None)


def _blank_some(sheet, pl, qs: list[str]) -> np.ndarray:
    """The page drawn again with half of ``qs`` left blank (their truth made blank)."""
    template, _, blanks = form()
    t = sheet.truth
    draw = copy.deepcopy(t)
    for i, q in enumerate(qs):
        if i % 2 == 0:
            for store in (draw.boxes, t.boxes, t.mark_styles):
                store.pop(q, None)
            t.answers[q] = None
            t.intent[q] = "blank"
    return fill_page(blanks[pl.number], pl, draw, DPI, np.random.default_rng(t.serial), False)


def official(sheet, pl, rng, kind: str) -> np.ndarray:
    template, _, _ = form()
    kinds = {q.id: q.type for q in template.questions}
    qs = sorted({b.question for b in pl.checkboxes if kinds.get(b.question) in ("single", "scale", "yesno")
                 and _label(pl, b.question) is not None})
    pick = [str(q) for q in rng.choice(qs, size=min(len(qs), int(rng.integers(1, 4))), replace=False)]
    rng.shuffle(pick)
    img = _blank_some(sheet, pl, pick)
    colour = PENS[int(rng.integers(len(PENS)))]
    pen = max(1, px(rng.uniform(0.3, 0.45)))
    for q in pick:
        label = _label(pl, q)
        boxes = [b for b in pl.checkboxes if b.question == q]
        row = [b for b in boxes if abs(b.y - boxes[0].y) < 1]
        last = max(row, key=lambda b: b.x)
        yc = last.y + last.h / 2
        if kind == "check_x":
            s = rng.uniform(2, 3.5)
            if rng.random() < 0.5:
                cx, cy = label.x - rng.uniform(1.5, 4), label.y - 1.3 + rng.uniform(-1, 1)
            else:
                cx, cy = last.x + last.w + rng.uniform(1, 4) + s / 2, yc + rng.uniform(-1.5, 1.5)
            if rng.random() < 0.5:  # x
                _poly(img, [(cx - s / 2, cy - s / 2), (cx + s / 2, cy + s / 2)], colour, pen)
                _poly(img, [(cx + s / 2, cy - s / 2), (cx - s / 2, cy + s / 2)], colour, pen)
            else:  # tick
                _poly(img, [(cx - s / 2, cy), (cx - s / 6, cy + s / 2), (cx + s / 2, cy - s / 2)], colour, pen)
            sheet.truth.habits[q] = "official x/tick beside"
        elif kind == "ring_number":
            wmm, hmm = rng.uniform(6, 9), rng.uniform(4.5, 6)
            cx, cy = label.x + 2.5 + rng.uniform(-0.8, 0.8), label.y - 1.3 + rng.uniform(-0.6, 0.6)
            cv2.ellipse(img, (px(cx), px(cy)), (px(wmm / 2), px(hmm / 2)), float(rng.uniform(-15, 15)),
                        float(rng.uniform(-30, 0)), float(rng.uniform(330, 380)), colour, pen, cv2.LINE_AA)
            sheet.truth.habits[q] = "official ring round the number"
        else:  # initials
            right = rng.random() < 0.5
            length, tall = rng.uniform(8, 14), rng.uniform(3, 5)
            x0 = last.x + last.w + rng.uniform(1, 4) if right else max(1.0, label.x - length - rng.uniform(0.5, 2))
            y0 = yc + rng.uniform(-1.5, 1.5)
            scale = px(tall) / 22  # the Hershey script font's capitals are ~22 px tall at scale 1
            (tw, th), _ = cv2.getTextSize("da KT", cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, pen)
            k = min(1.0, px(length) / max(tw, 1))
            cv2.putText(img, "da KT", (px(x0), px(y0) + th // 2), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale * k,
                        colour, pen, cv2.LINE_AA)
            t = np.linspace(0, 1, 40)
            _poly(img, np.stack([x0 + length * t, y0 + tall / 2 + 0.6 + 0.6 * np.sin(t * 5)], 1), colour, pen)
            sheet.truth.habits[q] = "official initials beside"
    return img


def tap(sheet, pl, rng) -> np.ndarray:
    img, chosen = redraw_questions(sheet, pl, rng, 0.4, ("scale", "single"))
    colour = ink_of(sheet.truth)
    for q, box, boxes in chosen:
        _draw_mark(img, box, str(rng.choice(["cross", "tick"])), DPI, colour, rng, rng.uniform(0.3, 0.5))
        others = [b for b in boxes if b is not box]
        o = others[int(rng.integers(len(others)))]
        cx, cy = o.x + o.w * rng.uniform(0.2, 0.8), o.y + o.h * rng.uniform(0.2, 0.8)
        if rng.random() < 0.5:
            cv2.circle(img, (px(cx), px(cy)), max(1, px(rng.uniform(0.2, 0.45))), colour, -1, cv2.LINE_AA)
        else:
            a, length = rng.uniform(0, np.pi), rng.uniform(0.6, 1.4)
            d = np.array([np.cos(a), np.sin(a)]) * length / 2
            _poly(img, [(cx - d[0], cy - d[1]), (cx + d[0], cy + d[1])], colour, max(1, px(rng.uniform(0.3, 0.45))))
        sheet.truth.habits[q] = f"tap in {o.option}"
    return img


def hl_mark(sheet, pl, rng) -> np.ndarray:
    img, chosen = redraw_questions(sheet, pl, rng, 0.3)
    for q, box, boxes in chosen:
        length, tall = rng.uniform(6, 12), rng.uniform(5, 7)
        cx, cy = box.x + box.w / 2 + rng.uniform(-1, 1), box.y + box.h / 2 + rng.uniform(-0.8, 0.8)
        ang = np.radians(rng.uniform(-8, 8))
        rect = ((px(cx), px(cy)), (px(length), px(tall)), float(np.degrees(ang)))
        mask = np.zeros(img.shape[:2], np.uint8)
        cv2.fillPoly(mask, [cv2.boxPoints(rect).astype(np.int32)], 255)
        mask = cv2.GaussianBlur(mask, (0, 0), 1.5).astype(np.float32)[:, :, None] / 255
        col = np.array(HIGHLIGHT[int(rng.integers(len(HIGHLIGHT)))], np.float32) / 255
        strength = rng.uniform(0.75, 1.0)
        img[:] = np.clip(img * (1 - mask * strength * (1 - col)), 0, 255).astype(np.uint8)
        sheet.truth.habits[q] = "highlighter over the box"
    return img


def page_image(sheet, pl, rng, kind: str) -> bytes:
    if kind == "tap":
        return office_scan(tap(sheet, pl, rng), rng)
    if kind in ("hl_mark", "hl_mark_colour"):
        img = hl_mark(sheet, pl, rng)
        return colour_scan(img, rng) if kind == "hl_mark_colour" else office_scan(img, rng)
    return office_scan(official(sheet, pl, rng, kind), rng)


def main() -> None:
    run_kinds(__doc__, KINDS, page_image)


if __name__ == "__main__":
    main()
