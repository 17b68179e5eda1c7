#!/usr/bin/env python3
"""Hunt: answers given beside the box, and corrections made the respondent's own way.

Choice questions (single, yes/no) answered with one box, 40 % of them drawn again:
``circle_label``: the option's printed label circled, its box left empty; ``underline_label``: the
label underlined; ``x_label``: an "x" written just after the label.
Any one-box question (scale too), 40 % drawn again: ``arrow``: another box crossed, then struck out
(scribbled over or crossed with a line) and an arrow drawn from it to the box meant (which is crossed
half the time, left empty the other half); ``number``: another box crossed and struck out, the code of
the option meant (its digit) written beside it.
The truth is what the respondent meant: the question must be read so or go to review, never be stored
blank or as the struck-out box.

    PYTHONPATH=. .venv/bin/python bench/hunt/respond.py --n 15 --seed 11 [--kind circle_label,...] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import DPI, form, ink_of, office_scan, parser, px, redraw_questions, run_pages  # noqa
from omr import tuning as T
from omr.forms.fonts import text_width_mm
from omr.forms.simulate import _draw_mark

LABEL_KINDS = ("circle_label", "underline_label", "x_label")


def label_rect(box, q):
    """(x0, y0, x1, y1) mm of the option's printed label (right of its box, centred on it)."""
    template, _, _ = form()
    question = next(x for x in template.questions if x.id == q)
    label = next(o.label for o in question.options if o.code == box.option)
    x0 = box.x + box.w + T.BOX_LABEL_GAP
    half = T.BODY_PT * 0.3528 * 0.75 / 2
    cy = box.y + box.h / 2
    return x0, cy - half, x0 + text_width_mm(label, T.BODY_PT), cy + half


def pt(x_mm: float, y_mm: float) -> tuple[int, int]:
    return px(x_mm), px(y_mm)


def strike(img, box, colour, rng, pen) -> str:
    """Strike a crossed box out: scribbled over (the form's rule) or crossed through with a line."""
    if rng.random() < 0.5:
        _draw_mark(img, box, "fill", DPI, colour, rng, pen * 25.4 / DPI)
        return "fill"
    else:
        y = box.y + box.h * rng.uniform(0.35, 0.65)
        cv2.line(img, pt(box.x - rng.uniform(1, 3), y + rng.uniform(-1, 1)),
                 pt(box.x + box.w + rng.uniform(1, 3), y + rng.uniform(-1, 1)), colour, pen + 1, cv2.LINE_AA)
        return "line"


def write_digit(img, x_mm, y_mm, digit: str, colour, rng) -> None:
    scale = rng.uniform(0.7, 0.95) * DPI / 200
    cv2.putText(img, digit, pt(x_mm, y_mm), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, colour,
                max(1, px(rng.uniform(0.3, 0.45))), cv2.LINE_AA)


def page_image(sheet, pl, rng, kind: str) -> bytes:
    types = ("single", "yesno") if kind in LABEL_KINDS else ("scale", "single", "yesno")
    img, chosen = redraw_questions(sheet, pl, rng, 0.4, types)
    colour = ink_of(sheet.truth)
    for q, box, boxes in chosen:
        pen = max(1, px(rng.uniform(0.3, 0.5)))
        if kind in LABEL_KINDS:
            x0, y0, x1, y1 = label_rect(box, q)
            if kind == "circle_label":
                c = pt((x0 + x1) / 2 + rng.uniform(-0.5, 0.5), (y0 + y1) / 2 + rng.uniform(-0.3, 0.3))
                axes = (px((x1 - x0) / 2 + rng.uniform(1.0, 2.5)), px((y1 - y0) / 2 + rng.uniform(1.0, 2.0)))
                cv2.ellipse(img, c, axes, rng.uniform(-4, 4), rng.uniform(0, 40), rng.uniform(330, 390), colour, pen,
                            cv2.LINE_AA)
            elif kind == "underline_label":
                y = y1 + rng.uniform(0.6, 1.4)
                cv2.line(img, pt(x0 - rng.uniform(0, 1), y), pt(x1 + rng.uniform(0, 1.5), y + rng.uniform(-0.5, 0.5)),
                         colour, pen, cv2.LINE_AA)
            else:
                s = rng.uniform(1.8, 2.8)
                cx, cy = x1 + rng.uniform(1.5, 3.0) + s / 2, (y0 + y1) / 2 + rng.uniform(-0.5, 0.5)
                cv2.line(img, pt(cx - s / 2, cy - s / 2), pt(cx + s / 2, cy + s / 2), colour, pen, cv2.LINE_AA)
                cv2.line(img, pt(cx + s / 2, cy - s / 2), pt(cx - s / 2, cy + s / 2), colour, pen, cv2.LINE_AA)
            sheet.truth.habits[q] = kind
            continue
        others = [b for b in boxes if b is not box]
        old = others[int(rng.integers(len(others)))]
        _draw_mark(img, old, "cross", DPI, colour, rng, pen * 25.4 / DPI)
        how = f"{kind}: {old.option} crossed, struck out ({strike(img, old, colour, rng, pen)})"
        if kind == "arrow":
            if rng.random() < 0.5:
                _draw_mark(img, box, "cross", DPI, colour, rng, pen * 25.4 / DPI)
                how += ", meant box crossed"
        sheet.truth.habits[q] = how
        if kind == "arrow":
            # from just outside the struck box, bowing above the row, to the meant box's edge
            a = np.array([old.x + old.w / 2, old.y - rng.uniform(0.5, 1.5)])
            e = np.array([box.x + box.w / 2 + rng.uniform(-1, 1), box.y - rng.uniform(-0.3, 0.8)])
            mid = (a + e) / 2 - np.array([0, rng.uniform(2, 4)])
            ts = np.linspace(0, 1, 24)[:, None]
            curve = (1 - ts) ** 2 * a + 2 * (1 - ts) * ts * mid + ts ** 2 * e
            cv2.polylines(img, [(curve * DPI / 25.4).astype(np.int32)], False, colour, pen, cv2.LINE_AA)
            d = curve[-1] - curve[-3]
            d = d / (np.linalg.norm(d) + 1e-9)
            for turn in (2.6, -2.6):  # the arrow's head
                r = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]]) @ d
                cv2.line(img, pt(*e), pt(*(e + 1.6 * r)), colour, pen, cv2.LINE_AA)
        else:  # the code of the meant option written beside the struck box
            side = 1 if old.x < box.x or rng.random() < 0.3 else -1
            x = old.x + old.w + rng.uniform(0.8, 1.5) if side > 0 else old.x - rng.uniform(3.0, 4.0)
            write_digit(img, x, old.y + old.h * rng.uniform(0.7, 1.1), box.option[:1], colour, rng)
    return office_scan(img, rng)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="circle_label,underline_label,x_label,arrow,number")
    run_pages(p.parse_args(), page_image)


if __name__ == "__main__":
    main()
