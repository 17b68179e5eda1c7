#!/usr/bin/env python3
"""Hunt: more things that happen to the sheet in the feeder and on the desk.

``double_feed``: a second sheet (another respondent's page, filled) fed with it, its top edge lying over the
bottom of the page 12-60 mm up, turned up to 2 degrees and shifted up to 6 mm sideways, its edge shadowed;
``torn``: a corner torn off (a ragged line 20-70 mm from the corner along each edge, through boxes), the lid
behind it black or white, the tear's fibres a white fringe;
``fold_hide``: the sheet folded flat (a Z fold) so that a strip 4-9 mm tall through a row of boxes is hidden,
everything below it moved up by the strip's height, the crease dark;
``tape_strips``: clear glossy tape (19 mm) across a row of boxes, 1-3 light strips along it (0.4-1.5 mm wide,
the light reflected: 60-95 % washed out) and its film a little grey;
``recycled``: recycled paper (beige or grey, 75-90 % bright, uneven, fibres and dark flecks), the marks in
red or blue ballpoint, colour scan; ``recycled_grey``: the same, grey scan.
The truth is what the respondent marked: a covered or hidden box must go to review or be missing, never be
read as something else or blank.

    PYTHONPATH=. .venv/bin/python bench/hunt/paper2.py --n 15 --seed 11 [--kind torn,...] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import DPI, boxes_of, make_sheets, office_scan, px, run_kinds  # noqa
import omr.forms.simulate as simulate
from paper import tape_band, tape_edges
from pens import RED, colour_scan

KINDS = "double_feed,torn,fold_hide,tape_strips,recycled,recycled_grey"
BLUE = (35, 55, 150)
_DONORS: dict = {}


def double_feed(img: np.ndarray, sheet, page: int, rng) -> None:
    key = (sheet.truth.serial, page)
    if key not in _DONORS:
        _DONORS[key] = make_sheets(1, rng, first_serial=9000 + sheet.truth.serial)[0].pages[page]
    donor = _DONORS[key]
    h, w = img.shape[:2]
    top = h - px(rng.uniform(12, 60))
    m = cv2.getRotationMatrix2D((w / 2, 0), rng.uniform(-2, 2), 1.0)
    m[0, 2] += px(rng.uniform(-6, 6))
    m[1, 2] += top
    over = cv2.warpAffine(donor, m, (w, h), borderValue=(0, 0, 0))
    cover = cv2.warpAffine(np.full((h, w), 255, np.uint8), m, (w, h), borderValue=0)
    shadow = cv2.GaussianBlur(cv2.dilate(cover, np.ones((7, 7), np.uint8)), (0, 0), 3).astype(np.float32) / 255
    out = img.astype(np.float32) * (1 - 0.3 * shadow[:, :, None])
    c = cover[:, :, None] > 127
    img[:] = np.where(c, over, np.clip(out, 0, 255).astype(np.uint8))


def _ragged(a, b, rng, n=40) -> np.ndarray:
    t = np.linspace(0, 1, n)[:, None]
    pts = np.array(a) + (np.array(b) - np.array(a)) * t
    normal = np.array([a[1] - b[1], b[0] - a[0]], np.float32)
    normal /= max(np.linalg.norm(normal), 1e-6)
    wobble = np.cumsum(rng.normal(0, 0.6, n))
    wobble -= np.linspace(wobble[0], wobble[-1], n)
    return pts + wobble[:, None] * normal[None, :]


def torn(img: np.ndarray, page: int, rng) -> None:
    h, w = img.shape[:2]
    wmm, hmm = w * 25.4 / DPI, h * 25.4 / DPI
    corner = int(rng.integers(4))
    cx, cy = (0 if corner in (0, 2) else wmm), (0 if corner in (0, 1) else hmm)
    sx, sy = (1 if cx == 0 else -1), (1 if cy == 0 else -1)
    a = (cx + sx * rng.uniform(20, 70), cy)
    b = (cx, cy + sy * rng.uniform(20, 70))
    edge = _ragged(a, b, rng)
    poly = np.vstack([[cx, cy], edge]) * DPI / 25.4
    lid = (30, 30, 30) if rng.random() < 0.5 else (245, 245, 245)
    cv2.polylines(img, [np.round(edge * DPI / 25.4).astype(np.int32)], False, (252, 252, 252), px(0.8),
                  cv2.LINE_AA)  # the torn fibres: a white fringe
    cv2.fillPoly(img, [np.round(poly).astype(np.int32)], lid)


def fold_hide(img: np.ndarray, page: int, rng) -> None:
    boxes = boxes_of(page)
    b = boxes[int(rng.integers(len(boxes)))]
    strip = px(rng.uniform(4, 9))
    y0 = px(b.y + b.h / 2) - strip // 2 + int(rng.integers(-px(1.5), px(1.5) + 1))
    h = img.shape[0]
    moved = img[y0 + strip:].copy()
    img[y0:h - strip] = moved
    img[h - strip:] = 250
    shade = np.zeros(img.shape[:2], np.float32)
    cv2.line(shade, (0, y0), (img.shape[1], y0), 1.0, max(1, px(0.4)), cv2.LINE_AA)
    shade = cv2.GaussianBlur(shade, (0, 0), 1.0) * rng.uniform(0.3, 0.6)
    img[:] = np.clip(img * (1 - shade[:, :, None]), 0, 255).astype(np.uint8)


def tape_strips(img: np.ndarray, page: int, rng) -> None:
    cy, half, x0, x1 = band = tape_band(img, page, rng)
    f = img[cy - half:cy + half, x0:x1].astype(np.float32) * 0.95 + 5
    gl = np.zeros(f.shape[:2], np.float32)
    for _ in range(int(rng.integers(1, 4))):  # light strips along the tape
        y = int(rng.uniform(0, 2 * half))
        slope = rng.uniform(-0.01, 0.01) * (x1 - x0)
        cv2.line(gl, (0, y), (x1 - x0, int(y + slope)), 1.0, max(1, px(rng.uniform(0.4, 1.5))), cv2.LINE_AA)
    gl = cv2.GaussianBlur(gl, (0, 0), 0.8)[:, :, None] * rng.uniform(0.6, 0.95)
    f = f * (1 - gl) + 255 * gl
    img[cy - half:cy + half, x0:x1] = np.clip(f, 0, 255).astype(np.uint8)
    tape_edges(img, band, 0.75)


def recycled(img: np.ndarray, rng) -> None:
    h, w = img.shape[:2]
    tint = np.array([rng.uniform(0.85, 0.95), rng.uniform(0.8, 0.9), rng.uniform(0.7, 0.85)], np.float32)
    if rng.random() < 0.4:  # grey recycled
        tint[:] = rng.uniform(0.75, 0.88)
    low = cv2.resize(rng.uniform(0.94, 1.0, (30, 21)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    paper = low[:, :, None] * tint[None, None, :]
    flecks = np.ones((h, w), np.float32)
    n = int(h * w / 2500)
    ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
    flecks[ys, xs] = rng.uniform(0.3, 0.8, n)
    for _ in range(int(rng.integers(20, 60))):  # fibres
        x, y, a, length = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0, np.pi), px(rng.uniform(1, 4))
        cv2.line(flecks, (int(x), int(y)), (int(x + np.cos(a) * length), int(y + np.sin(a) * length)),
                 float(rng.uniform(0.5, 0.8)), 1, cv2.LINE_AA)
    flecks = cv2.GaussianBlur(flecks, (0, 0), 0.5)
    img[:] = np.clip(img.astype(np.float32) * paper * flecks[:, :, None], 0, 255).astype(np.uint8)


def make(n, rng, kind):
    """The run's sheets; on recycled paper each sheet's marks in red or blue ballpoint."""
    if kind not in ("recycled", "recycled_grey"):
        return make_sheets(n, rng)
    out = []
    for i in range(n):
        colour = RED if rng.random() < 0.5 else BLUE
        old = simulate._ink_colour
        simulate._ink_colour = lambda truth, faint: colour
        try:
            out += make_sheets(1, rng, first_serial=1 + i)
        finally:
            simulate._ink_colour = old
    return out


def page_image(sheet, pl, rng, kind: str) -> bytes:
    img = sheet.pages[pl.number].copy()
    if kind == "double_feed":
        double_feed(img, sheet, pl.number, rng)
    elif kind == "torn":
        torn(img, pl.number, rng)
    elif kind == "fold_hide":
        fold_hide(img, pl.number, rng)
    elif kind == "tape_strips":
        tape_strips(img, pl.number, rng)
    else:
        recycled(img, rng)
        if kind == "recycled":
            return colour_scan(img, rng)
    return office_scan(img, rng)


def main() -> None:
    run_kinds(__doc__, KINDS, page_image, make)


if __name__ == "__main__":
    main()
