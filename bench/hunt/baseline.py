#!/usr/bin/env python3
"""Hunt control: undamaged sheets through a quiet office scan (every other hunt compares with it).

    PYTHONPATH=. .venv/bin/python bench/hunt/baseline.py --n 6 --seed 1
"""
from __future__ import annotations

import numpy as np

from common import all_pages, make_sheets, office_scan, parser, run_and_compare, truths_of, pdf_bytes  # noqa


def main() -> None:
    args = parser(__doc__).parse_args()
    rng = np.random.default_rng(args.seed)
    sheets = make_sheets(args.n, rng)
    images = [office_scan(s.pages[p], rng) for s in sheets for p in sorted(s.pages)]
    run_and_compare(args, {"batch.pdf": pdf_bytes(images)}, truths_of(sheets), all_pages(sheets), label="baseline")


if __name__ == "__main__":
    main()
