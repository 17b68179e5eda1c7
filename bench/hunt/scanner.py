#!/usr/bin/env python3
"""Hunt: paper colour and scanner faults. ``yellow``, ``pink``, ``blue``, ``green``: the form printed
on coloured paper, grey office scan; ``yellow_colour`` ... ``green_colour``: the same on a colour scan;
``jpeg``: heavy JPEG compression (quality 10-20); ``stretch``: a scanner feeding the sheet unevenly
(vertical scale drifting between 0.97 and 1.03 down the page); ``skip``: a feeder that slips (a few
bands of 1-3 pixel rows dropped or doubled).
The truth is what the respondent marked.

    PYTHONPATH=. .venv/bin/python bench/hunt/scanner.py --n 15 --seed 11 [--kind yellow,jpeg,...] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import QUIET_OFFICE, encode_jpeg, office_scan, parser, run_pages  # noqa
from omr.forms.simulate import scan_page
from pens import colour_scan

PAPER = {"yellow": (255, 243, 160), "pink": (252, 205, 218), "blue": (195, 222, 247), "green": (200, 237, 200)}


def uneven(img: np.ndarray, rng) -> np.ndarray:
    """Rows resampled with a scale drifting smoothly between 0.97 and 1.03 down the page."""
    h = img.shape[0]
    knots = rng.uniform(0.97, 1.03, 6)
    scale = np.interp(np.linspace(0, 5, h), np.arange(6), knots)
    src = np.cumsum(scale) - scale[0]
    src = src - (src[-1] - (h - 1)) / 2  # the page stays centred
    map_y = np.repeat(src.astype(np.float32)[:, None], img.shape[1], 1)
    map_x = np.repeat(np.arange(img.shape[1], dtype=np.float32)[None, :], h, 0)
    return cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def skip_rows(img: np.ndarray, rng) -> np.ndarray:
    rows = list(range(img.shape[0]))
    for _ in range(int(rng.integers(3, 8))):
        at, n = int(rng.integers(200, len(rows) - 200)), int(rng.integers(1, 4))
        if rng.random() < 0.5:
            del rows[at:at + n]
        else:
            rows[at:at] = [rows[at]] * n
    out = img[np.array(rows)]
    if out.shape[0] < img.shape[0]:
        out = np.vstack([out, np.full((img.shape[0] - out.shape[0],) + img.shape[1:], 255, img.dtype)])
    return out[:img.shape[0]]


def page_image(sheet, pl, rng, kind: str) -> bytes:
    img = sheet.pages[pl.number].copy()
    paper = PAPER.get(kind.split("_")[0])
    if paper:
        img = (img.astype(np.float32) * np.array(paper, np.float32) / 255).astype(np.uint8)
        return colour_scan(img, rng) if kind.endswith("_colour") else office_scan(img, rng)
    if kind == "jpeg":
        data, _ = scan_page(img, QUIET_OFFICE, 200, rng, False)
        grey = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
        return encode_jpeg(grey, int(rng.integers(10, 21)))
    img = uneven(img, rng) if kind == "stretch" else skip_rows(img, rng)
    return office_scan(img, rng)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="yellow,pink,blue,green,yellow_colour,pink_colour,blue_colour,green_colour,"
                                     "jpeg,stretch,skip")
    run_pages(p.parse_args(), page_image)


if __name__ == "__main__":
    main()
