#!/usr/bin/env python3
"""Hunt: washed-out scans (a failing lamp, a copier set far too light, an over-exposed photo).
The page's contrast is squeezed to ``--contrast`` of its range (print and marks alike), towards white;
``blueburn``: an over-exposed colour photo where blue ballpoint burns out first (blue channel clipped,
the page kept readable). A page whose marks vanish must not read as blank answers.

    PYTHONPATH=. .venv/bin/python bench/hunt/washout.py --n 8 --seed 1 [--contrast 0.08,0.15,0.25] [--keep DIR]
"""
from __future__ import annotations

import numpy as np

from common import (all_pages, encode_jpeg, make_sheets, office_scan, parser, pdf_bytes,  # noqa
                    run_and_compare, truths_of)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--contrast", default="0.08,0.15,0.25")
    p.add_argument("--kind", default="wash,blueburn")
    args = p.parse_args()
    keep = args.keep
    runs = [("wash", float(c)) for c in args.contrast.split(",")] if "wash" in args.kind else []
    if "blueburn" in args.kind:
        runs.append(("blueburn", 0.0))
    for kind, c in runs:
        rng = np.random.default_rng([args.seed, int(c * 1000), len(kind)])
        sheets = make_sheets(args.n, rng)
        images = []
        for s in sheets:
            for number in sorted(s.pages):
                img = s.pages[number].astype(np.float32)
                if kind == "wash":
                    img = 255 - (255 - img) * c * rng.uniform(0.9, 1.1)
                    images.append(office_scan(np.clip(img, 0, 255).astype(np.uint8), rng))
                else:  # exposure x1.6-2.2, clipped: light blue ink goes white, black print stays
                    img = np.clip(img * rng.uniform(1.6, 2.2), 0, 255)
                    img += rng.normal(0, 4, img.shape)
                    images.append(encode_jpeg(np.clip(img, 0, 255).astype(np.uint8), 85))
        args.keep = f"{keep}/{kind}{c}" if keep else None
        run_and_compare(args, {"batch.pdf": pdf_bytes(images)}, truths_of(sheets), all_pages(sheets),
                        label=f"{kind} {c}")


if __name__ == "__main__":
    main()
