#!/usr/bin/env python3
"""Hunt: office stamps over the answers. ``seal``: a red official seal (con dấu: a ring 35-40 mm across,
an inner ring, text between them, a star in the middle, the ink uneven) stamped with its edge over a
question's boxes, grey office scan; ``seal_colour``: the same on a colour scan; ``datestamp``: a blue
rectangular "ĐÃ NHẬP" stamp with a date (double frame, 38-48 x 16-22 mm) over a row of boxes, grey scan;
``datestamp_colour``: the same on a colour scan; ``smallstamp``: a small blue checking stamp (double
frame 8-12 x 7-10 mm, the checker's initials "KT" inside) centred within 2 mm of a box, so that its
frame rings the box, grey scan.
The truth is what the respondent marked: a stamped box must be read as it was or go to review.

    PYTHONPATH=. .venv/bin/python bench/hunt/stamps.py --n 15 --seed 11 [--kind seal,...] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from common import boxes_of, office_scan, parser, px, run_pages
from omr.forms.fonts import font_path
from pens import colour_scan

SEAL_RED = np.array([205, 40, 50], np.float32)
STAMP_BLUE = np.array([50, 70, 170], np.float32)
SEAL_TEXT = "ỦY BAN NHÂN DÂN XÃ AN BÌNH * HUYỆN PHÚ GIÁO * "


def ink_onto(img: np.ndarray, layer: np.ndarray, colour: np.ndarray, rng) -> None:
    """Stamp ink (``layer`` 0..1, full page) onto ``img`` in place: uneven pressure, a few bare spots."""
    h, w = layer.shape
    blotch = cv2.resize(rng.uniform(0.6, 1.0, (40, 28)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    grain = rng.random((h, w)).astype(np.float32) > 0.12
    cover = np.clip(layer * blotch * grain * rng.uniform(0.85, 1.0), 0, 1)
    cover = cv2.GaussianBlur(cover, (0, 0), 0.7)[:, :, None]
    img[:] = np.clip(img * (1 - cover) + colour[None, None, :] * cover, 0, 255).astype(np.uint8)


def seal(img: np.ndarray, page: int, rng) -> None:
    boxes = boxes_of(page)
    b = boxes[int(rng.integers(len(boxes)))]
    r = px(rng.uniform(17.5, 20))
    ang = rng.uniform(0, 2 * np.pi)
    # the ring passes through the chosen box: the centre one radius away from it
    bx, by = px(b.x + b.w / 2), px(b.y + b.h / 2)
    cx, cy = int(bx + r * np.cos(ang)), int(by + r * np.sin(ang))
    h, w = img.shape[:2]
    layer = np.zeros((h, w), np.uint8)
    cv2.circle(layer, (cx, cy), r, 255, max(2, px(1.0)), cv2.LINE_AA)
    cv2.circle(layer, (cx, cy), int(r * 0.68), 255, max(1, px(0.45)), cv2.LINE_AA)
    font = ImageFont.truetype(str(font_path(True)), px(2.8))
    text = SEAL_TEXT
    start = rng.uniform(0, 360)
    for i, ch in enumerate(text):  # text between the rings, letter by letter around the circle
        a = np.deg2rad(start + 360 * i / len(text))
        tile = Image.new("L", (px(4), px(4)), 0)
        ImageDraw.Draw(tile).text((px(2), px(2)), ch, fill=255, font=font, anchor="mm")
        tile = tile.rotate(-np.rad2deg(a) - 90, resample=Image.BILINEAR)
        t = np.asarray(tile)
        rr = r * 0.84
        x0, y0 = int(cx + rr * np.cos(a)) - t.shape[1] // 2, int(cy + rr * np.sin(a)) - t.shape[0] // 2
        if 0 <= x0 and 0 <= y0 and x0 + t.shape[1] < w and y0 + t.shape[0] < h:
            layer[y0:y0 + t.shape[0], x0:x0 + t.shape[1]] = np.maximum(layer[y0:y0 + t.shape[0], x0:x0 + t.shape[1]], t)
    star_r = r * 0.25  # a five-pointed star in the middle
    pts = []
    for k in range(10):
        a = -np.pi / 2 + k * np.pi / 5
        rad = star_r if k % 2 == 0 else star_r * 0.4
        pts.append((cx + rad * np.cos(a), cy + rad * np.sin(a)))
    cv2.fillPoly(layer, [np.array(pts, np.int32)], 255, cv2.LINE_AA)
    ink_onto(img, layer.astype(np.float32) / 255, SEAL_RED, rng)


def framed_tile(sw: int, sh: int, outer_mm: float, inset_mm: float):
    """(tile, its ImageDraw): an sw x sh px stamp face with a double frame, the outer ``outer_mm`` wide,
    the inner 0.3 mm wide ``inset_mm`` inside it."""
    tile = Image.new("L", (sw, sh), 0)
    d = ImageDraw.Draw(tile)
    d.rectangle((1, 1, sw - 2, sh - 2), outline=255, width=max(2, px(outer_mm)))
    d.rectangle((px(inset_mm), px(inset_mm), sw - px(inset_mm), sh - px(inset_mm)), outline=255, width=max(1, px(0.3)))
    return tile, d


def datestamp(img: np.ndarray, page: int, rng) -> None:
    boxes = boxes_of(page)
    b = boxes[int(rng.integers(len(boxes)))]
    sw, sh = px(rng.uniform(38, 48)), px(rng.uniform(16, 22))
    tile, d = framed_tile(sw, sh, 0.7, 1.2)
    big = ImageFont.truetype(str(font_path(True)), int(sh * 0.34))
    small = ImageFont.truetype(str(font_path(True)), int(sh * 0.24))
    d.text((sw // 2, int(sh * 0.33)), "ĐÃ NHẬP", fill=255, font=big, anchor="mm")
    day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
    d.text((sw // 2, int(sh * 0.72)), f"Ngày {day:02d}/{month:02d}/2026", fill=255, font=small, anchor="mm")
    tile = tile.rotate(rng.uniform(-8, 8), resample=Image.BILINEAR, expand=True)
    t = np.asarray(tile)
    x = px(b.x + b.w / 2) - t.shape[1] * rng.uniform(0.2, 0.8)
    press(img, t, x, px(b.y + b.h / 2) - t.shape[0] * rng.uniform(0.2, 0.8), rng)


def press(img: np.ndarray, t: np.ndarray, x: float, y: float, rng) -> None:
    """A stamp's tile ``t`` (uint8 0..255) pressed in blue with its top-left corner at (x, y) px, kept on the page."""
    h, w = img.shape[:2]
    x0, y0 = int(np.clip(x, 0, w - t.shape[1] - 1)), int(np.clip(y, 0, h - t.shape[0] - 1))
    layer = np.zeros((h, w), np.float32)
    layer[y0:y0 + t.shape[0], x0:x0 + t.shape[1]] = t / 255.0
    ink_onto(img, layer, STAMP_BLUE, rng)


def smallstamp(img: np.ndarray, page: int, rng) -> None:
    """A small checking stamp whose double frame rings a box (its straight lines meeting at corners)."""
    boxes = boxes_of(page)
    b = boxes[int(rng.integers(len(boxes)))]
    sw, sh = px(rng.uniform(8, 12)), px(rng.uniform(7, 10))
    tile, d = framed_tile(sw, sh, 0.6, 1.0)
    d.text((sw // 2, sh // 2), "KT", fill=255, font=ImageFont.truetype(str(font_path(True)), int(sh * 0.3)),
           anchor="mm")
    t = np.asarray(tile.rotate(rng.uniform(-6, 6), resample=Image.BILINEAR, expand=True))
    x = px(b.x + b.w / 2 + rng.uniform(-2, 2)) - t.shape[1] // 2
    press(img, t, x, px(b.y + b.h / 2 + rng.uniform(-2, 2)) - t.shape[0] // 2, rng)


def page_image(sheet, pl, rng, kind: str) -> bytes:
    img = sheet.pages[pl.number].copy()
    (seal if kind.startswith("seal") else smallstamp if kind == "smallstamp" else datestamp)(img, pl.number, rng)
    return colour_scan(img, rng) if kind.endswith("_colour") else office_scan(img, rng)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="seal,seal_colour,datestamp,datestamp_colour")
    run_pages(p.parse_args(), page_image)


if __name__ == "__main__":
    main()
