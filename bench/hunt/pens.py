#!/usr/bin/env python3
"""Hunt: pens and hands. ``red``: a red ballpoint (grey office scan); ``red_colour``: the same on a
colour scan; ``gel``: a light blue gel pen on a colour scan; ``highlighter``: a yellow, green or
pink highlighter stroke over a row of boxes (marks left as they were); ``felt``: a felt tip whose
marks are thick and whose ink bled 0.5-2 mm into the next box; ``ghost``: an answer in pencil
half erased (15-35 % of its darkness left, broken) then another box marked; ``tiny``: a tick drawn
very small (1.3-2 mm) in a box corner.
The truth is what the respondent meant (the new mark for ``ghost``; the ticked box for ``tiny``).

    PYTHONPATH=. .venv/bin/python bench/hunt/pens.py --n 10 --seed 1 [--kind red,gel,...] [--keep DIR]
"""
from __future__ import annotations

import copy

import cv2
import numpy as np

import omr.forms.simulate as simulate
from common import (DPI, all_pages, encode_jpeg, form, make_sheets, office_scan, parser, pdf_bytes, px,  # noqa
                    run_and_compare, truths_of)
from omr.forms.simulate import fill_page

RED = (200, 35, 40)
GEL = (110, 170, 235)  # light blue gel ink: grey about 160
HIGHLIGHT = [(255, 240, 70), (150, 240, 120), (255, 150, 200)]


def colour_scan(rgb: np.ndarray, rng) -> bytes:
    """A colour office scan: a little rotation, paper tint, blur, noise, colour JPEG."""
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-0.8, 0.8), 1.0)
    m[:, 2] += rng.uniform(-1, 1, 2) * px(2)
    img = cv2.warpAffine(rgb.astype(np.float32) * rng.uniform(0.9, 1.0), m, (w, h), borderValue=(245, 245, 240))
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 0.9))
    img += rng.normal(0, 2.5, img.shape).astype(np.float32)
    return encode_jpeg(np.clip(img, 0, 255).astype(np.uint8), int(rng.integers(80, 92)))


def with_ink(colour, n, rng):
    """``make_sheets`` with every mark drawn in ``colour`` (RGB)."""
    old = simulate._ink_colour
    simulate._ink_colour = lambda truth, faint: colour
    try:
        return make_sheets(n, rng)
    finally:
        simulate._ink_colour = old


def highlighter(img: np.ndarray, number: int, rng) -> None:
    _, layout, _ = form()
    boxes = next(p for p in layout.pages if p.number == number).checkboxes
    for _ in range(int(rng.integers(1, 3))):
        b = boxes[int(rng.integers(len(boxes)))]
        row = [c for c in boxes if abs(c.y - b.y) < 1]
        x0, x1 = min(c.x for c in row) - rng.uniform(2, 10), max(c.x + c.w for c in row) + rng.uniform(2, 10)
        cy = b.y + b.h / 2 + rng.uniform(-1.5, 1.5)
        tall = rng.uniform(4, 6)
        mask = np.zeros(img.shape[:2], np.uint8)
        pts = np.array([[x0, cy - tall / 2], [x1, cy - tall / 2 + rng.uniform(-1, 1)],
                        [x1, cy + tall / 2 + rng.uniform(-1, 1)], [x0, cy + tall / 2]]) * DPI / 25.4
        cv2.fillPoly(mask, [pts.astype(np.int32)], 255)
        mask = cv2.GaussianBlur(mask, (0, 0), 2).astype(np.float32)[:, :, None] / 255
        colour = np.array(HIGHLIGHT[int(rng.integers(len(HIGHLIGHT)))], np.float32) / 255
        strength = rng.uniform(0.7, 1.0)
        img[:] = np.clip(img * (1 - mask * strength * (1 - colour)), 0, 255).astype(np.uint8)


def felt_bleed(img: np.ndarray, sheet, number: int, rng) -> None:
    """Thicken every mark and let ink run into the next box of the row."""
    _, layout, blanks = form()
    boxes = next(p for p in layout.pages if p.number == number).checkboxes
    ink = (blanks[number].astype(np.int16) - img.astype(np.int16)).max(2) > 60  # the marks (and identity)
    for b in boxes:
        if not sheet.truth.boxes.get(b.question, {}).get(b.option):
            continue
        x0, y0, x1, y1 = px(b.x - 1), px(b.y - 1), px(b.x + b.w + 1), px(b.y + b.h + 1)
        region = ink[y0:y1, x0:x1].astype(np.uint8)
        fat = cv2.dilate(region, np.ones((3, 3), np.uint8), iterations=int(rng.integers(1, 3)))
        sub = img[y0:y1, x0:x1]
        colour = sub[region > 0].min(0) if region.any() else np.array([30, 30, 30])
        sub[fat > 0] = np.minimum(sub[fat > 0], colour)
        row = [c for c in boxes if abs(c.y - b.y) < 1 and c is not b and abs(c.x - b.x) < 12]
        if not row or rng.random() < 0.3:
            continue
        n = row[int(rng.integers(len(row)))]
        toward = 1 if n.x > b.x else -1
        edge_x = (n.x if toward > 0 else n.x + n.w)
        reach = rng.uniform(0.5, 2.0)
        cy = b.y + b.h * rng.uniform(0.3, 0.7)
        start = (b.x + b.w / 2, cy)
        end = (edge_x + toward * reach, cy + rng.uniform(-1, 1))
        layer = np.zeros(img.shape[:2], np.float32)
        cv2.line(layer, (px(start[0]), px(start[1])), (px(end[0]), px(end[1])), 1.0, px(rng.uniform(0.8, 1.6)),
                 cv2.LINE_AA)
        cv2.circle(layer, (px(end[0]), px(end[1])), px(rng.uniform(0.5, 1.0)), 1.0, -1, cv2.LINE_AA)
        layer = cv2.GaussianBlur(layer, (0, 0), 1.5)[:, :, None] * rng.uniform(0.5, 0.85)
        img[:] = np.clip(img * (1 - layer) + colour[None, None, :] * layer, 0, 255).astype(np.uint8)


def pen_layer(page, truth, rng) -> np.ndarray:
    """A white page with ``truth``'s marks only (no identity, no comments)."""
    t = copy.deepcopy(truth)
    t.comments = {}
    white = np.full((px(297), px(210), 3), 255, np.uint8)
    old = simulate._paste_identity
    simulate._paste_identity = lambda *a, **k: None
    old_stray = simulate.P_STRAY_PER_PAGE
    simulate.P_STRAY_PER_PAGE = 0.0
    try:
        return fill_page(white, page, t, DPI, rng, False)
    finally:
        simulate._paste_identity = old
        simulate.P_STRAY_PER_PAGE = old_stray


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="red,red_colour,gel,highlighter,felt,ghost,tiny")
    args = p.parse_args()
    keep = args.keep
    template, layout, blanks = form()
    single = {q.id for q in template.questions if q.type in ("scale", "single")}
    for kind in args.kind.split(","):
        rng = np.random.default_rng([args.seed, sum(map(ord, kind))])
        if kind in ("red", "red_colour"):
            sheets = with_ink(RED, args.n, rng)
        elif kind == "gel":
            sheets = with_ink(GEL, args.n, rng)
        else:
            sheets = make_sheets(args.n, rng)
        images = []
        for s in sheets:
            for pl in layout.pages:
                img = s.pages[pl.number].copy()
                if kind == "highlighter":
                    highlighter(img, pl.number, rng)
                elif kind == "felt":
                    felt_bleed(img, s, pl.number, rng)
                elif kind in ("ghost", "tiny"):
                    img = redraw(s, pl, kind, single, blanks, rng)
                if kind in ("red_colour", "gel"):
                    images.append(colour_scan(img, rng))
                else:
                    images.append(office_scan(img, rng))
        args.keep = f"{keep}/{kind}" if keep else None
        run_and_compare(args, {"batch.pdf": pdf_bytes(images)}, truths_of(sheets), all_pages(sheets), label=kind)


def redraw(s, pl, kind, single, blanks, rng) -> np.ndarray:
    """The page drawn again with some single-answer questions' marks replaced by the kind's."""
    t = s.truth
    qs = sorted({b.question for b in pl.checkboxes if b.question in single
                 and list(t.boxes.get(b.question, {}).values()) == ["marked"]})
    chosen = [q for q in qs if rng.random() < 0.4]
    draw = copy.deepcopy(t)
    for q in chosen:
        draw.boxes[q] = {}
    img = fill_page(blanks[pl.number], pl, draw, DPI, rng, False)
    for q in chosen:
        want = next(iter(t.boxes[q]))
        box = next(b for b in pl.checkboxes if b.question == q and b.option == want)
        colour = (35, 55, 150) if t.ink == "blue" else (25, 25, 25)
        if kind == "ghost":
            others = [b for b in pl.checkboxes if b.question == q and b.option != want]
            old = others[int(rng.integers(len(others)))]
            one = copy.deepcopy(t)
            one.boxes = {q: {old.option: "marked"}}
            one.mark_styles = {q: {old.option: str(rng.choice(["cross", "tick", "slash", "fill"]))}}
            ghost = pen_layer(pl, one, np.random.default_rng(rng.integers(1 << 30)))
            gone = ghost.astype(np.float32)
            keep_share = rng.uniform(0.15, 0.35)
            broken = cv2.resize(rng.random((12, 12)).astype(np.float32), (gone.shape[1], gone.shape[0]),
                                interpolation=cv2.INTER_LINEAR)
            share = np.where(broken > 0.35, keep_share, keep_share * 0.3)[:, :, None]
            faded = 255 - (255 - gone) * share  # pencil grey left after the eraser
            faded = 255 - (255 - faded) * 0.6  # pencil, greyer than ink
            img = np.minimum(img, faded.astype(np.uint8))
            new = copy.deepcopy(t)
            new.boxes = {q: {want: "marked"}}
            new.mark_styles = {q: {want: str(rng.choice(["cross", "tick", "fill"]))}}
            img = np.minimum(img, pen_layer(pl, new, np.random.default_rng(rng.integers(1 << 30))))
        else:  # tiny tick in a corner
            size = rng.uniform(1.3, 2.0)
            cx = box.x + (0.3 + size / 2 if rng.random() < 0.5 else box.w - 0.3 - size / 2)
            cy = box.y + (0.3 + size / 2 if rng.random() < 0.5 else box.h - 0.3 - size / 2)
            pen = max(1, px(rng.uniform(0.3, 0.45)))
            a = (px(cx - size / 2), px(cy))
            m = (px(cx - size / 6), px(cy + size / 2))
            e = (px(cx + size / 2), px(cy - size / 2))
            cv2.line(img, a, m, colour, pen, cv2.LINE_AA)
            cv2.line(img, m, e, colour, pen, cv2.LINE_AA)
    return img


if __name__ == "__main__":
    main()
