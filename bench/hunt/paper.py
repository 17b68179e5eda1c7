#!/usr/bin/env python3
"""Hunt: things done to the paper. ``punch``: two punch holes (6 mm) through a row of boxes, the
scanner's lid white or black behind them; ``punch_mark``: the first hole on a marked box, the lid
black; ``dogear``: a corner folded over (25-60 mm), showing the
sheet's blank back and a shadow over the boxes beneath; ``tape``: clear tape (19 mm) across a row,
its glare washing out part of it and its edges dark; ``staple``: a staple (12 mm, its legs) lying
over a box; ``sticky``: a yellow sticky note (38-50 mm, a few handwritten lines) covering a
question's boxes.
The truth is what the respondent marked: a covered question must go to review or be missing,
never be read blank.

    PYTHONPATH=. .venv/bin/python bench/hunt/paper.py --n 10 --seed 1 [--kind punch,...] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import boxes_of, parser, px, run_damaged  # noqa


def punch(img: np.ndarray, page: int, rng, on_mark: bool = False) -> None:
    boxes = boxes_of(page)
    if on_mark:  # a box holding ink (its inside darker than paper), the lid black
        inked = [c for c in boxes if img[px(c.y + 1):px(c.y + c.h - 1), px(c.x + 1):px(c.x + c.w - 1)].min() < 128]
        boxes = inked or boxes
    b = boxes[int(rng.integers(len(boxes)))]
    cy = px(b.y + b.h / 2 + rng.uniform(-1.5, 1.5))
    lid = 35 if on_mark or rng.random() >= 0.5 else 245
    r = px(3.0)
    first = px(b.x + b.w / 2 + rng.uniform(-2, 2))
    for cx in (first, first + px(80) * (1 if first < img.shape[1] / 2 else -1)):
        cv2.circle(img, (cx, cy), r + 2, (150, 150, 150), -1, cv2.LINE_AA)  # the hole's shadowed rim
        cv2.circle(img, (cx, cy), r, (lid, lid, lid), -1, cv2.LINE_AA)


def dogear(img: np.ndarray, page: int, rng) -> None:
    h, w = img.shape[:2]
    size = px(rng.uniform(25, 60))
    corner = int(rng.integers(4))
    cx, cy = (0 if corner in (0, 2) else w - 1), (0 if corner in (0, 1) else h - 1)
    sx, sy = (1 if cx == 0 else -1), (1 if cy == 0 else -1)
    a = (cx + sx * size, cy)
    b = (cx, cy + sy * size)
    # the folded flap: the corner's triangle mirrored over the fold line lands inside the page
    flap = np.array([a, b, (cx + sx * size, cy + sy * size)], np.int32)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [flap], 255)
    shadow = cv2.GaussianBlur(cv2.dilate(mask, np.ones((9, 9), np.uint8)), (0, 0), 4)
    img[:] = (img * (1 - 0.35 * shadow[:, :, None] / 255)).astype(np.uint8)
    back = int(rng.uniform(225, 245))
    img[mask > 0] = back
    cv2.fillPoly(img, [np.array([(cx, cy), a, b], np.int32)], (30, 30, 30))  # the missing corner: black lid


def tape_band(img: np.ndarray, page: int, rng) -> tuple[int, int, int, int]:
    """Where a strip of tape lies: 19 mm high across a random box's row (±5 mm), over most of the page's
    width. Returns (centre row, half height, first column, end column), px."""
    boxes = boxes_of(page)
    b = boxes[int(rng.integers(len(boxes)))]
    w = img.shape[1]
    cy = px(b.y + b.h / 2 + rng.uniform(-5, 5))
    half = px(9.5)
    x0, x1 = int(rng.uniform(0, w * 0.3)), int(rng.uniform(w * 0.7, w))
    return cy, half, x0, x1


def tape_edges(img: np.ndarray, band: tuple[int, int, int, int], shade: float) -> None:
    """The tape's two long edges: 2 px lines at `shade` of the image under them."""
    cy, half, x0, x1 = band
    for y in (cy - half, cy + half):
        img[y:y + 2, x0:x1] = (img[y:y + 2, x0:x1] * shade).astype(np.uint8)


def tape(img: np.ndarray, page: int, rng) -> None:
    cy, half, x0, x1 = band = tape_band(img, page, rng)
    f = img[cy - half:cy + half, x0:x1].astype(np.float32)
    gl = np.zeros(f.shape[:2], np.float32)
    for _ in range(int(rng.integers(1, 4))):  # glare patches
        gx = int(rng.uniform(0, x1 - x0))
        cv2.ellipse(gl, (gx, half + int(rng.uniform(-half / 2, half / 2))),
                    (px(rng.uniform(8, 30)), px(rng.uniform(3, 8))), 0, 0, 360, 1.0, -1)
    gl = cv2.GaussianBlur(gl, (0, 0), px(2))[:, :, None] * rng.uniform(0.6, 0.95)
    f = f * 0.96 + 4  # the tape's film: a little grey
    f = f * (1 - gl) + 255 * gl  # glare washes the marks out
    img[cy - half:cy + half, x0:x1] = np.clip(f, 0, 255).astype(np.uint8)
    tape_edges(img, band, 0.7)


def staple(img: np.ndarray, page: int, rng) -> None:
    boxes = boxes_of(page)
    b = boxes[int(rng.integers(len(boxes)))]
    cx, cy = b.x + b.w * rng.uniform(0.2, 0.8), b.y + b.h * rng.uniform(0.2, 0.8)
    ang = rng.uniform(0, np.pi)
    L = rng.uniform(11, 13) / 2
    dx, dy = np.cos(ang) * L, np.sin(ang) * L
    p0, p1 = (px(cx - dx), px(cy - dy)), (px(cx + dx), px(cy + dy))
    grey = int(rng.uniform(40, 110))
    cv2.line(img, p0, p1, (grey, grey, grey), px(rng.uniform(0.6, 0.8)), cv2.LINE_AA)
    hi = min(255, grey + 90)
    cv2.line(img, p0, p1, (hi, hi, hi), 1, cv2.LINE_AA)  # the wire's highlight
    for p in (p0, p1):  # the legs folded under: short dark stubs
        cv2.circle(img, p, px(0.5), (grey, grey, grey), -1)


def sticky(img: np.ndarray, page: int, rng) -> None:
    boxes = boxes_of(page)
    b = boxes[int(rng.integers(len(boxes)))]
    row = [c for c in boxes if c.question == b.question]
    x0 = min(c.x for c in row) - rng.uniform(2, 8)
    y0 = min(c.y for c in row) - rng.uniform(2, 10)
    wmm = max(rng.uniform(38, 50), max(c.x + c.w for c in row) - x0 + 3)
    hmm = rng.uniform(38, 50)
    p0, p1 = (px(x0), px(y0)), (px(x0 + wmm), px(y0 + hmm))
    cv2.rectangle(img, (p0[0] + 4, p0[1] + 6), (p1[0] + 4, p1[1] + 6), (170, 170, 170), -1)  # shadow
    cv2.rectangle(img, p0, p1, (250, 235, 120), -1)
    for i in range(int(rng.integers(1, 4))):  # a few handwritten words
        y = p0[1] + px(8 + 9 * i)
        x = p0[0] + px(3)
        pts = [(x + k * px(1.2), y + int(px(1.5) * np.sin(k * rng.uniform(0.8, 1.6)))) for k in range(
            int(rng.uniform(10, (wmm - 8) / 1.2)))]
        cv2.polylines(img, [np.array(pts, np.int32)], False, (30, 40, 120), 2, cv2.LINE_AA)


KINDS = {"punch": punch, "punch_mark": lambda img, page, rng: punch(img, page, rng, True), "dogear": dogear, "tape": tape, "staple": staple, "sticky": sticky}


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="punch,dogear,tape,staple,sticky")
    args = p.parse_args()
    run_damaged(args, lambda img, number, rng, kind: KINDS[kind](img, number, rng))


if __name__ == "__main__":
    main()
