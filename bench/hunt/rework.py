#!/usr/bin/env python3
"""Hunt: sheets worked over after (or before) the respondent, and odd office copies.

``emboss``: the grooves of a ballpoint pressed hard on the sheet above (another respondent's crosses and
ticks, 0-2.5 mm off, in 40 % of the questions) as light relief shading (a dark and a light edge, 4-12 %;
``emboss_deep``: 12-25 %);
``second_pen``: an official "correcting" with a different pen: 15 % of the one-box questions get a cross or
tick in another box (red, black or blue; the truth stays the respondent's: two marks are a question for a
person); ``digit``: 40 % of the one-box answers given by writing the option's code (its first character)
inside the box instead of a mark; ``recolour``: 40 % of the one-box answers marked first in pencil, then a
tick in pen over it (two thirds) or in pen in another box, the pencil left (the pen's box is meant);
``erase``: 30 % of the one-box answers: another box filled in, then rubbed out with an eraser (a grey smear
of 15-35 % of the fill's darkness left), the meant box marked; ``erase_blank``: the same, but nothing new
marked (the respondent erased to leave the question blank: the truth is blank);
``erase_partial``: as erase_blank, but a band (20-40 % of the box's height) of the fill's zigzags is left
at 50-80 % of its darkness; its variants (branch herase2): ``erase_vband`` (the band left down the box, across
its width), ``erase_tick`` (a tick or cross rubbed out, a band of it left), ``erase_circle`` (a ring drawn round
the box rubbed out, a band of it left), ``erase_pencil`` (the fill in pencil, a band left);
``pale``: a form printed with low toner (its print at 30-50 % of its darkness) filled normally;
``twice``: every sheet scanned twice in the same batch, the second time upside down;
``fax``: a fax-like 1-bit scan at 100 dpi (PNG, fixed threshold 110-170, a few specks); ``fax_pale``: the
pale form, filled, then faxed.

    PYTHONPATH=. .venv/bin/python bench/hunt/rework.py --n 15 --seed 11 [--kind emboss,...] [--keep DIR]
"""
from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from common import (DPI, Sheet, all_pages, encode_jpeg, fill_page, form, ink_of, make_sheets,  # noqa
                    office_scan, parser, pdf_bytes, px, redraw_questions, run_and_compare, run_pages, truths_of)
from omr.forms.simulate import _draw_mark, rub_out

PENCIL = (120, 120, 125)
OTHER_PENS = {"red": (190, 30, 40), "black": (25, 25, 25), "blue": (35, 55, 150)}
# Kinds rubbed out leaving part of the mark, nothing new marked (truth blank): kind -> (what was
# drawn, the band left, its colour: None the respondent's pen). "tick": a tick or a cross.
ERASED = {"erase_partial": ("fill", "rows", None), "erase_vband": ("fill", "columns", None),
          "erase_tick": ("tick", "rows", None), "erase_circle": ("circle", "rows", None),
          "erase_pencil": ("fill", "rows", PENCIL)}


def _pen(rng) -> float:
    return rng.uniform(0.3, 0.5)


def emboss(img: np.ndarray, sheet, pl, rng, deep: bool = False) -> None:
    layer = np.zeros(img.shape[:2], np.float32)
    for q in sorted({b.question for b in pl.checkboxes}):
        if rng.random() >= 0.4:
            continue
        boxes = [b for b in pl.checkboxes if b.question == q]
        b = boxes[int(rng.integers(len(boxes)))]
        moved = type(b)(b.question, b.option, b.x + rng.uniform(-2.5, 2.5), b.y + rng.uniform(-2, 2), b.w, b.h)
        _draw_mark(layer, moved, str(rng.choice(["cross", "tick"])), DPI, 1.0, rng, rng.uniform(0.3, 0.45))
    layer = cv2.GaussianBlur(layer, (0, 0), 0.7)
    dy, dx = int(rng.choice([-1, 1])), int(rng.choice([-1, 1]))
    relief = layer - np.roll(np.roll(layer, dy, axis=0), dx, axis=1)  # one side shadowed, the other lit
    depth = rng.uniform(0.12, 0.25) if deep else rng.uniform(0.04, 0.12)
    out = img.astype(np.float32) * (1 - depth * relief[:, :, None])
    img[:] = np.clip(out, 0, 255).astype(np.uint8)


def page_image(sheet, pl, rng, kind: str) -> bytes:
    colour = ink_of(sheet.truth)
    if kind in ("emboss", "emboss_deep"):
        img = sheet.pages[pl.number].copy()
        emboss(img, sheet, pl, rng, kind == "emboss_deep")
        return office_scan(img, rng)
    if kind == "fax":
        return fax(sheet.pages[pl.number], rng)
    share = {"second_pen": 0.15, "erase": 0.3, "erase_blank": 0.3}.get(kind, 0.3 if kind in ERASED else 0.4)
    types = ("scale", "single", "yesno")
    img, chosen = redraw_questions(sheet, pl, rng, share, types)
    t = sheet.truth
    for q, box, boxes in chosen:
        pen = _pen(rng)
        others = [b for b in boxes if b is not box]
        other = others[int(rng.integers(len(others)))]
        if kind == "second_pen":
            _draw_mark(img, box, str(rng.choice(["cross", "tick"])), DPI, colour, rng, pen)
            name = str(rng.choice(list(OTHER_PENS)))
            _draw_mark(img, other, str(rng.choice(["cross", "tick"])), DPI, OTHER_PENS[name], rng, pen)
            t.habits[q] = f"second_pen {name} in {other.option}"
        elif kind == "digit":
            code = box.option[:1]
            scale = rng.uniform(1.1, 1.5) * DPI / 200  # 3-4.5 mm tall: a hand's digit filling the box
            (w, h), _ = cv2.getTextSize(code, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, 1)
            cx, cy = px(box.x + box.w / 2) + int(rng.integers(-2, 3)), px(box.y + box.h / 2) + int(rng.integers(-2, 3))
            cv2.putText(img, code, (cx - w // 2, cy + h // 2), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, colour,
                        max(1, px(rng.uniform(0.3, 0.45))), cv2.LINE_AA)
            t.habits[q] = f"digit {code} in the box"
        elif kind == "recolour":
            pen_colour = OTHER_PENS[str(rng.choice(["red", "blue", "black"]))]
            if rng.random() < 2 / 3:
                _draw_mark(img, box, str(rng.choice(["cross", "tick"])), DPI, PENCIL, rng, 0.3)
                _draw_mark(img, box, "tick", DPI, pen_colour, rng, pen)
                t.habits[q] = "pen tick over pencil"
            else:
                _draw_mark(img, other, str(rng.choice(["cross", "tick"])), DPI, PENCIL, rng, 0.3)
                _draw_mark(img, box, "tick", DPI, pen_colour, rng, pen)
                t.habits[q] = f"pencil in {other.option}, pen in {box.option}"
        else:  # erase, erase_blank, erase_partial and its variants
            style, band, ink = ERASED.get(kind, ("fill", None, colour))
            if style == "tick":
                style = str(rng.choice(["tick", "cross"]))
            rub_out(img, other, style, DPI, colour if ink is None else ink, rng, 0.3 if ink == PENCIL else pen, band)
            if kind == "erase":
                _draw_mark(img, box, str(rng.choice(["cross", "tick"])), DPI, colour, rng, pen)
                t.habits[q] = f"erased fill in {other.option}, new mark"
            else:
                t.habits[q] = f"erased fill in {other.option}, left blank"
                t.answers[q] = None
                t.intent[q] = "blank"
                t.boxes.pop(q, None)
                t.mark_styles.pop(q, None)
    return office_scan(img, rng)


def fax(rgb: np.ndarray, rng) -> bytes:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    grey = grey + rng.normal(0, 4, grey.shape)
    small = cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    threshold = rng.uniform(110, 170)
    bw = np.where(small > threshold, 255, 0).astype(np.uint8)
    specks = rng.random(bw.shape) < 0.0005
    bw[specks] = 0
    buf = io.BytesIO()
    Image.fromarray(bw).convert("1").save(buf, format="PNG", dpi=(100, 100))
    return buf.getvalue()


def pale_sheets(n: int, rng, kind: str) -> list[Sheet]:
    template, layout, blanks = form()
    sheets = make_sheets(n, rng)
    if kind not in ("pale", "fax_pale"):
        return sheets
    for s in sheets:
        toner = rng.uniform(0.3, 0.5)
        for p in layout.pages:
            pale = (255 - (255 - blanks[p.number].astype(np.float32)) * toner).astype(np.uint8)
            s.pages[p.number] = fill_page(pale, p, s.truth, DPI, rng, False)
    return sheets


def run_twice(args) -> None:
    rng = np.random.default_rng([args.seed, sum(map(ord, "twice"))])
    sheets = make_sheets(args.n, rng)
    images = []
    for s in sheets:
        for number in sorted(s.pages):
            images.append(office_scan(s.pages[number], rng))
    for s in sheets:  # the stack fed again, turned round
        for number in sorted(s.pages):
            grey = cv2.imdecode(np.frombuffer(office_scan(s.pages[number], rng), np.uint8), cv2.IMREAD_GRAYSCALE)
            images.append(encode_jpeg(cv2.rotate(grey, cv2.ROTATE_180), 88))
    keep = args.keep
    args.keep = f"{keep}/twice" if keep else None
    run_and_compare(args, {"batch.pdf": pdf_bytes(images)}, truths_of(sheets), all_pages(sheets), label="twice")
    args.keep = keep


def page_or_pale(sheet, pl, rng, kind: str) -> bytes:
    if kind == "pale":
        return office_scan(sheet.pages[pl.number], rng)
    if kind == "fax_pale":
        return fax(sheet.pages[pl.number], rng)
    return page_image(sheet, pl, rng, kind)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="emboss,second_pen,digit,recolour,erase,erase_blank,pale,twice,fax")
    args = p.parse_args()
    kinds = args.kind.split(",")
    if "twice" in kinds:
        run_twice(args)
    args.kind = ",".join(k for k in kinds if k != "twice")
    if args.kind:
        run_pages(args, page_or_pale, make=pale_sheets)


if __name__ == "__main__":
    main()
