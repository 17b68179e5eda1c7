#!/usr/bin/env python3
"""Hunt: odd files. ``sideways``: every page scanned turned 90 degrees (either way) at 150 dpi grey
(a landscape image, the resolution written in the JPEG); ``overlap``: two sheets on the glass at
once, the second lying over 25-55 % of the first (from the bottom or a side, slightly turned, its
edge casting a shadow). For ``overlap`` the truth is the sheet beneath: its covered questions must
go to review or be missing, never be read blank; the sheet on top is not put in any other scan.

    PYTHONPATH=. .venv/bin/python bench/hunt/files.py --n 10 --seed 1 [--kind sideways,overlap] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import (all_pages, encode_jpeg, make_sheets, office_scan, parser, pdf_bytes, run_and_compare,  # noqa
                    truths_of)


def overlap(under: np.ndarray, over: np.ndarray, rng) -> np.ndarray:
    h, w = under.shape[:2]
    share = rng.uniform(0.25, 0.55)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-6, 6), 1.0)
    side = int(rng.integers(3))  # 0 bottom, 1 left, 2 right
    if side == 0:
        m[1, 2] += h * (1 - share)
    else:
        m[0, 2] += w * (1 - share) * (-1 if side == 1 else 1)
    top = cv2.warpAffine(over, m, (w, h), borderValue=(0, 0, 0))
    mask = cv2.warpAffine(np.full((h, w), 255, np.uint8), m, (w, h))
    shadow = cv2.GaussianBlur(cv2.dilate(mask, np.ones((15, 15), np.uint8)), (0, 0), 5).astype(np.float32) / 255
    out = (under * (1 - 0.3 * shadow[:, :, None])).astype(np.uint8)
    return np.where(mask[:, :, None] > 127, top, out)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="sideways,overlap")
    args = p.parse_args()
    keep = args.keep
    for kind in args.kind.split(","):
        rng = np.random.default_rng([args.seed, sum(map(ord, kind))])
        sheets = make_sheets(args.n, rng)
        inputs = {}
        if kind == "sideways":
            for s in sheets:
                for number in sorted(s.pages):
                    data = office_scan(s.pages[number], rng)
                    grey = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
                    grey = cv2.resize(grey, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA)
                    grey = cv2.rotate(grey, cv2.ROTATE_90_CLOCKWISE if rng.random() < 0.5
                                      else cv2.ROTATE_90_COUNTERCLOCKWISE)
                    inputs[f"s{s.truth.serial:04d}_p{number}.jpg"] = encode_jpeg(grey, 85, dpi=150)
        else:
            tops = make_sheets(args.n, rng, first_serial=5001)
            images = []
            for s, t in zip(sheets, tops):
                for number in sorted(s.pages):
                    images.append(office_scan(overlap(s.pages[number], t.pages[number], rng), rng))
            inputs["batch.pdf"] = pdf_bytes(images)
        args.keep = f"{keep}/{kind}" if keep else None
        run_and_compare(args, inputs, truths_of(sheets), all_pages(sheets), label=kind)
    args.keep = keep


if __name__ == "__main__":
    main()
