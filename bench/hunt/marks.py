#!/usr/bin/env python3
"""Hunt: marks made with a stamp pad or a finger, and answers changed with correction fluid.

``thumb``: a thumbprint from an ink pad (điểm chỉ: purple or black, 11-15 x 14-19 mm, ridges) centred
on the box meant, spilling towards its neighbours; ``dab``: a fingertip dab from a stamp pad, 6-9 mm,
a little off the box centre; ``whiteout``: one box crossed, covered with correction fluid (a white
blob 6-9 mm hiding the cross and the printed box outline, a grey rim), then another box crossed;
``whiteout_thin``: the same with a thin coat, the cross showing through at 15-35 %.
The truth is the box meant (thumb, dab) or the box crossed after the fluid.

    PYTHONPATH=. .venv/bin/python bench/hunt/marks.py --n 8 --seed 1 [--kind thumb,dab,whiteout] [--keep DIR]
"""
from __future__ import annotations

import copy

import cv2
import numpy as np

from common import (DPI, all_pages, form, make_sheets, office_scan, parser, pdf_bytes, px,  # noqa
                    run_and_compare, truths_of)
from omr.forms.simulate import fill_page

PURPLE = np.array([95, 45, 150], np.float32)
BLACK = np.array([30, 30, 35], np.float32)


def print_blob(img: np.ndarray, cx: float, cy: float, rx: float, ry: float, colour, rng, ridges: bool,
               density: float) -> None:
    """An inked finger pressed at (cx, cy) px with radii (rx, ry) px (in place)."""
    h, w = img.shape[:2]
    x0, x1 = int(max(0, cx - rx - 4)), int(min(w, cx + rx + 4))
    y0, y1 = int(max(0, cy - ry - 4)), int(min(h, cy + ry + 4))
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    ang = rng.uniform(-0.4, 0.4)
    u = ((xx - cx) * np.cos(ang) + (yy - cy) * np.sin(ang)) / rx
    v = (-(xx - cx) * np.sin(ang) + (yy - cy) * np.cos(ang)) / ry
    r = np.sqrt(u ** 2 + v ** 2)
    inside = np.clip((1.0 - r) / 0.12, 0, 1)  # soft edge
    cover = density * inside
    if ridges:  # loops of a fingerprint: ridges 0.45 mm apart
        warp = cv2.resize(rng.random((5, 5)).astype(np.float32), (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC)
        period = px(0.45)
        phase = np.sqrt((u * rx) ** 2 + ((v - 0.3) * ry) ** 2) + 6 * warp
        cover = cover * (0.5 + 0.5 * np.sin(2 * np.pi * phase / period)) ** 0.7
    blotch = cv2.resize(rng.uniform(0.55, 1.0, (6, 6)).astype(np.float32), (x1 - x0, y1 - y0),
                        interpolation=cv2.INTER_CUBIC)
    cover = np.clip(cover * blotch, 0, 1)[:, :, None]
    region = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = np.clip(region * (1 - cover) + colour[None, None, :] * cover, 0, 255).astype(np.uint8)


def white_out(img: np.ndarray, box, rng, show: float) -> None:
    """Correction fluid over ``box`` (in place): ``show`` of what was under shows through."""
    cx, cy = px(box.x + box.w / 2) + px(rng.uniform(-0.5, 0.5)), px(box.y + box.h / 2) + px(rng.uniform(-0.5, 0.5))
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    axes = (px(rng.uniform(3.0, 4.5)), px(rng.uniform(3.0, 4.5)))
    cv2.ellipse(mask, (cx, cy), axes, rng.uniform(0, 180), 0, 360, 255, -1)
    for _ in range(3):  # brush strokes, lumpy
        off = (cx + px(rng.uniform(-1.5, 1.5)), cy + px(rng.uniform(-1.5, 1.5)))
        cv2.ellipse(mask, off, (px(rng.uniform(2, 3.5)), px(rng.uniform(2, 3.5))), 0, 0, 360, 255, -1)
    rim = cv2.morphologyEx(mask, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    m = (mask > 0)[:, :, None]
    white = np.full_like(img, 252)
    covered = (img.astype(np.float32) * show + white * (1 - show)).astype(np.uint8)
    img[:] = np.where(m, covered, img)
    img[rim > 0] = (img[rim > 0] * 0.75).astype(np.uint8)  # the blob's raised edge casts a grey rim


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="thumb,dab,whiteout,whiteout_thin")
    args = p.parse_args()
    keep = args.keep
    template, layout, blanks = form()
    single = {q.id for q in template.questions if q.type in ("scale", "single")}
    for kind in args.kind.split(","):
        rng = np.random.default_rng([args.seed, sum(map(ord, kind))])
        sheets = make_sheets(args.n, rng)
        images = []
        for s in sheets:
            t = s.truth
            for pl in layout.pages:
                qs = sorted({b.question for b in pl.checkboxes if b.question in single
                             and list(t.boxes.get(b.question, {}).values()) == ["marked"]})
                chosen = [q for q in qs if rng.random() < 0.35]
                draw = copy.deepcopy(t)
                for q in chosen:  # these questions get the special mark instead of a pen's
                    draw.boxes[q] = {}
                    if kind.startswith("whiteout"):
                        want = next(iter(t.boxes[q]))
                        others = [b.option for b in pl.checkboxes if b.question == q and b.option != want]
                        wrong = str(rng.choice(others))
                        draw.boxes[q] = {wrong: "marked"}  # the first answer, to be whited out
                        draw.mark_styles[q] = {wrong: "cross"}
                img = fill_page(blanks[pl.number], pl, draw, DPI, rng, False)
                for q in chosen:
                    want = next(iter(t.boxes[q]))
                    box = next(b for b in pl.checkboxes if b.question == q and b.option == want)
                    cx, cy = px(box.x + box.w / 2), px(box.y + box.h / 2)
                    if kind == "thumb":
                        colour = PURPLE if rng.random() < 0.6 else BLACK
                        print_blob(img, cx + px(rng.normal(0, 0.8)), cy + px(rng.normal(0, 0.8)),
                                   px(rng.uniform(5.5, 7.5)), px(rng.uniform(7, 9.5)), colour, rng, True,
                                   rng.uniform(0.6, 0.95))
                    elif kind == "dab":
                        colour = PURPLE if rng.random() < 0.6 else BLACK
                        print_blob(img, cx + px(rng.normal(0, 1.0)), cy + px(rng.normal(0, 1.0)),
                                   px(rng.uniform(3, 4.5)), px(rng.uniform(3.5, 4.5)), colour, rng, False,
                                   rng.uniform(0.5, 0.9))
                    else:
                        wrong = next(iter(draw.boxes[q]))
                        wbox = next(b for b in pl.checkboxes if b.question == q and b.option == wrong)
                        white_out(img, wbox, rng, 0.0 if kind == "whiteout" else rng.uniform(0.15, 0.35))
                        one = copy.deepcopy(t)  # the new cross, drawn after the fluid dried
                        one.boxes = {q: {want: "marked"}}
                        one.mark_styles = {q: {want: "cross"}}
                        one.comments = {}
                        pen = np.full_like(img, 255)
                        pen = fill_page(pen, pl, one, DPI, np.random.default_rng(rng.integers(1 << 30)), False)
                        img = _overlay_marks(img, pen, pl)
                images.append(office_scan(img, rng))
        args.keep = f"{keep}/{kind}" if keep else None
        run_and_compare(args, {"batch.pdf": pdf_bytes(images)}, truths_of(sheets), all_pages(sheets), label=kind)


def _overlay_marks(img: np.ndarray, pen: np.ndarray, page) -> np.ndarray:
    """``img`` with the dark pixels of ``pen`` (a white page with marks) inside the boxes' areas."""
    mask = np.zeros(img.shape[:2], np.uint8)
    for b in page.checkboxes:
        cv2.rectangle(mask, (px(b.x - 1.5), px(b.y - 1.5)), (px(b.x + b.w + 1.5), px(b.y + b.h + 1.5)), 255, -1)
    return np.where((mask > 0)[:, :, None], np.minimum(img, pen), img)


if __name__ == "__main__":
    main()
