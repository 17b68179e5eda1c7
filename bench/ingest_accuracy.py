#!/usr/bin/env python3
"""Ingest kinds of issue #13, read back and compared with their truth.

    .venv/bin/python bench/ingest_accuracy.py [--sheets 10] [--workers 2] [--kinds all]

Specimen sheets (office profile, grey) are written page by page in every kind
of tests/ingest_variants.py: bit depths and colour models, HEIC, EXIF
orientations 3/6/8, PDFs painting their image through /ImageMask, /Decode,
an SMask, /Rotate or a smaller placement. Prints per kind: pages, pages
read, questions sent to review, silent errors (a value accepted without
review that differs from the truth) and pages set aside with their reasons.
Target: every kind as good as "plain" (the PDF the simulator writes).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from ingest_variants import IMAGE_KINDS, PDF_KINDS, exif_jpeg, pdf_variant, write_variant  # noqa: E402

from omr.scan import batch_worker  # noqa: E402
from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.simulate import PROFILES, simulate_batch  # noqa: E402
from omr.forms.template import load_template  # noqa: E402
from omr.model import BLANK, NEEDS_REVIEW  # noqa: E402
from omr.scan.ingest import iter_pages  # noqa: E402

GREY_OFFICE = dataclasses.replace(PROFILES["office"], binarize_prob=0.0, batch_accidents=False)
EXIF_KINDS = ["exif-3", "exif-6", "exif-8"]


def write_kind(kind: str, grey, folder: Path, number: int) -> Path:
    """One page written as ``kind``, in a file of its own under ``folder``."""
    sub = folder / kind / f"{number:04d}"
    sub.mkdir(parents=True)
    if kind in PDF_KINDS:
        path = sub / "page.pdf"
        path.write_bytes(pdf_variant(kind, grey))
        return path
    if kind in EXIF_KINDS:
        return exif_jpeg(grey, int(kind.split("-")[1]), sub / "photo.jpg")
    return write_variant(kind, grey, sub)


def score(results, truths) -> dict:
    questions, set_aside = Counter(), Counter()
    for r in results:
        if r.set_aside:
            set_aside[r.set_aside] += 1
            continue
        truth = truths[r.serial]
        for q in r.questions:
            questions["all"] += 1
            expected = truth["answers"][q.question]
            if q.status in NEEDS_REVIEW:
                questions["review"] += 1
            elif not (expected in (None, []) if q.status == BLANK else q.value == expected):
                questions["silent"] += 1
    return {"pages": len(results), "read": len(results) - sum(set_aside.values()), "questions": questions["all"],
            "review": questions["review"], "silent": questions["silent"], "set_aside": dict(set_aside)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--kinds", default="all")
    args = parser.parse_args()
    kinds = IMAGE_KINDS + EXIF_KINDS + PDF_KINDS if args.kinds == "all" else args.kinds.split(",")
    template = load_template(ROOT / "form_templates" / "motcua-2026.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pdf, truth_path = folder / "scans.pdf", folder / "truth.jsonl"
        simulate_batch(template, resolve_layout(template), pdf, truth_path, count=args.sheets, seed=args.seed,
                       profile=GREY_OFFICE)
        truths = {json.loads(line)["serial"]: json.loads(line) for line in truth_path.read_text().splitlines()}
        pages = [raw.image for raw in iter_pages(pdf)]
        print(f"{args.sheets} sheets, {len(pages)} pages per kind (office profile, grey)")
        print(f"{'kind':<30} {'pages':>5} {'read':>5} {'to review':>10} {'silent':>7}  set aside")
        with multiprocessing.get_context("forkserver").Pool(
                args.workers, initializer=batch_worker.init_worker, initargs=(str(ROOT / "form_templates"), True)) as pool:
            for kind in kinds:
                tasks = [(str(write_kind(kind, grey, folder, n)), 0) for n, grey in enumerate(pages)]
                # Each task gives the pages of one image (two for an image holding two pages).
                r = score([p for image in pool.map(batch_worker.read_task, tasks, chunksize=4) for p in image], truths)
                share = r["review"] / max(r["questions"], 1)
                print(f"{kind:<30} {r['pages']:>5} {r['read']:>5} {share:>9.2%} {r['silent']:>7}  {r['set_aside'] or '-'}")


if __name__ == "__main__":
    main()
