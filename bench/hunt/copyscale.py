#!/usr/bin/env python3
"""Hunt: forms photocopied at 90-110 % (reduce / enlarge on the copier), then filled and scanned.
Enlarged copies lose the page edge (the corner marks can be cut off at 106 % and more); reduced ones
have a wide margin. ``--anisotropic`` also stretches one direction 1-3 % more (a copier's feed).

    PYTHONPATH=. .venv/bin/python bench/hunt/copyscale.py --n 8 --seed 1 [--scales 0.9,0.95,1.05,1.1] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import all_pages, make_sheets, office_scan, parser, pdf_bytes, run_and_compare, truths_of  # noqa


def copy_scaled(rgb: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """The page scaled by (sx, sy) about its centre onto an A4 sheet (cut at the edges)."""
    h, w = rgb.shape[:2]
    m = np.float32([[sx, 0, w / 2 * (1 - sx)], [0, sy, h / 2 * (1 - sy)]])
    return cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_AREA, borderValue=(255, 255, 255))


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--scales", default="0.9,0.95,1.05,1.1")
    p.add_argument("--anisotropic", action="store_true")
    args = p.parse_args()
    keep = args.keep
    for scale in map(float, args.scales.split(",")):
        rng = np.random.default_rng([args.seed, int(scale * 100)])
        sheets = make_sheets(args.n, rng)
        images = []
        for s in sheets:
            for number in sorted(s.pages):
                sy = scale * (1 + rng.uniform(0.01, 0.03) * (1 if rng.random() < 0.5 else -1)) \
                    if args.anisotropic else scale
                # The copy is what the respondent fills: scale the blank, draw the marks on it.
                # (Equivalent here: marks scale with the page, as if drawn on the copy.)
                images.append(office_scan(copy_scaled(s.pages[number], scale, sy), rng))
        args.keep = f"{keep}/{scale}" if keep else None
        run_and_compare(args, {"batch.pdf": pdf_bytes(images)}, truths_of(sheets), all_pages(sheets),
                        label=f"scale {scale}{' aniso' if args.anisotropic else ''}")


if __name__ == "__main__":
    main()
