#!/usr/bin/env python3
"""Hunt: new variants of the failing-input cases' kinds (../shared/data/cases), through `omr scan`.

``staple2``: staples over two corner marks (the top or the left edge, or a diagonal pair);
``staple_qr``: a staple or a sticker over the QR code (one corner mark covered too on half);
``shadow_steep``: a hard hand or phone shadow over half the page, in a phone photo held at 20-30 degrees;
``curl``: a page curling up along one edge (the rows there squeezed and shaded), photographed;
``two_pages``: both pages of a sheet in one image, each at its own scale (90-105 %) and turn (-4..4
degrees), with a gap of 0-40 mm or an overlap of 5-15 mm, in either order.

    PYTHONPATH=. .venv/bin/python bench/hunt/cases.py --n 8 --seed 11 [--kind staple2,...] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np
from photo import photograph

from common import (DPI, all_pages, encode_jpeg, form, make_sheets, office_scan, parser, px, run_and_compare,
                    truths_of)
from omr.forms.simulate import cast_shadow, cover_corner_mark


def grey_scan(rgb: np.ndarray, rng) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(office_scan(rgb, rng), np.uint8), cv2.IMREAD_GRAYSCALE)


def staple(img: np.ndarray, centre: tuple[float, float], rng, length_mm: float = 13.0) -> None:
    """A metal staple (~0.8 x 13 mm, dark grey) across ``centre`` (px) at a random angle."""
    angle = np.radians(rng.uniform(0, 180))
    half = px(length_mm) / 2
    dx, dy = np.cos(angle) * half, np.sin(angle) * half
    g = int(rng.uniform(50, 110))
    cv2.line(img, (int(centre[0] - dx), int(centre[1] - dy)), (int(centre[0] + dx), int(centre[1] + dy)),
             (g, g, g), max(2, px(rng.uniform(0.7, 1.0))), cv2.LINE_AA)


def curl(rgb: np.ndarray, rng) -> np.ndarray:
    """The page curling up along one edge: the last 25-45 mm squeezed (foreshortened to 55-80 %) and shaded."""
    h, w = rgb.shape[:2]
    side = int(rng.integers(4))
    img = np.ascontiguousarray(np.rot90(rgb, side))  # curl along the bottom edge of the turned image
    hh, ww = img.shape[:2]
    depth = px(rng.uniform(25, 45))
    squeeze = rng.uniform(0.55, 0.8)
    start = hh - depth
    # Source row for each output row of the curled part: foreshortened more and more towards the edge.
    out_rows = int(depth * squeeze)
    u = np.linspace(0, 1, out_rows, dtype=np.float32)
    src = np.clip(start + depth * (1 - np.cos(u * np.pi / 2)) ** 0.7, start, hh - 1)
    curled = img[src.astype(int)]
    shade = (1 - rng.uniform(0.15, 0.35) * u ** 1.5)[:, None, None]
    curled = np.clip(curled.astype(np.float32) * shade, 0, 255).astype(np.uint8)
    out = np.full_like(img, 40)
    out[:start] = img[:start]
    out[start:start + out_rows] = curled
    return np.ascontiguousarray(np.rot90(out, -side))


def two_pages(p1: np.ndarray, p2: np.ndarray, rng) -> tuple[np.ndarray, str]:
    """Both pages (grey scans) in one image, each scaled and turned on its own, a gap or an overlap."""
    def place(g: np.ndarray) -> np.ndarray:
        scale = rng.uniform(0.9, 1.05)
        angle = rng.uniform(-4, 4)
        h, w = g.shape
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
        return cv2.warpAffine(g, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=245)
    a, b = place(p1), place(p2)
    if rng.random() < 0.5:
        a, b = b, a
    gap = int(px(rng.uniform(-15, 40)))
    h, w = a.shape
    out = np.full((h, 2 * w + max(gap, 0)), 245, np.uint8)
    out[:, :w] = a
    x = w + gap
    out[:, x:x + w] = np.minimum(out[:, x:x + w], b) if gap < 0 else b
    return out, f"gap {gap}px"


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="staple2,staple_qr,shadow_steep,curl,two_pages")
    args = p.parse_args()
    keep = args.keep
    _, layout, _ = form()
    for kind in args.kind.split(","):
        rng = np.random.default_rng([args.seed, sum(map(ord, kind))])
        sheets = make_sheets(args.n, rng)
        inputs = {}
        for s in sheets:
            if kind == "two_pages":
                g1, g2 = grey_scan(s.pages[1], rng), grey_scan(s.pages[2], rng)
                img, _ = two_pages(g1, g2, rng)
                inputs[f"s{s.truth.serial:03d}_a3.jpg"] = encode_jpeg(img, 88)
                continue
            for number in sorted(s.pages):
                page = layout.page(number)
                img = s.pages[number].copy()
                name = f"s{s.truth.serial:03d}_p{number}.jpg"
                if kind == "staple2":
                    pair = [(0, 1), (0, 2), (1, 3), (0, 3)][int(rng.integers(4))]
                    for corner in pair:
                        f = page.fiducials[corner]
                        staple(img, (px(f.x + f.w / 2) + rng.uniform(-1, 1) * px(2),
                                     px(f.y + f.h / 2) + rng.uniform(-1, 1) * px(2)), rng)
                    inputs[name] = office_scan(img, rng)
                elif kind == "staple_qr":
                    q = page.qr
                    c = (px(q.x + q.w * rng.uniform(0.2, 0.8)), px(q.y + q.h * rng.uniform(0.2, 0.8)))
                    if rng.random() < 0.5:
                        staple(img, c, rng)
                    else:
                        size = px(rng.uniform(8, 14))
                        box = cv2.boxPoints((c, (size, size * 0.8), rng.uniform(0, 90)))
                        cv2.fillPoly(img, [np.round(box).astype(np.int32)], (250, 248, 240), cv2.LINE_AA)
                    if rng.random() < 0.5:
                        cover_corner_mark(img, page, int(rng.integers(4)), "staple", DPI, rng)
                    inputs[name] = office_scan(img, rng)
                elif kind == "shadow_steep":
                    cast_shadow(img, rng, strength=rng.uniform(0.4, 0.7))
                    inputs[name] = encode_jpeg(photograph(img, rng, steep=rng.uniform(0.25, 0.4)), 85)
                elif kind == "curl":
                    img = curl(img, rng)
                    cast_shadow(img, rng, strength=rng.uniform(0.2, 0.5))
                    inputs[name] = encode_jpeg(photograph(img, rng, steep=rng.uniform(0.0, 0.15)), 85)
        args.keep = f"{keep}/{kind}" if keep else None
        run_and_compare(args, inputs, truths_of(sheets), all_pages(sheets), label=kind)
    args.keep = keep


if __name__ == "__main__":
    main()
