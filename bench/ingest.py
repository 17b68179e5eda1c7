#!/usr/bin/env python3
"""Ingest cost per page: decoding what scanners write, and the PDF image check (issue #13).

    .venv/bin/python bench/ingest.py [--pages 40]

Prints milliseconds per page (median of all pages, one process) for:
- a grey office scan PDF (one JPEG per page): as now (the image dictionary
  read with qpdf: a plain image keeps the fast path), the fast path
  unchecked (before issue #13), the fast path checked against a small
  render (what an image with /Decode, masks or another colour space costs),
  and rendering every page at 200 dpi;
- the same pages as a 16-bit grey PNG, a CMYK JPEG, an EXIF-rotated JPEG.
The dictionary read must cost a small share of a page's ingest; the render
check and rendering are what a page whose image is not plain costs.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import omr.scan.ingest as ingest  # noqa: E402
from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.simulate import PROFILES, simulate_batch  # noqa: E402
from omr.forms.template import load_template  # noqa: E402

GREY_OFFICE = dataclasses.replace(PROFILES["office"], binarize_prob=0.0, batch_accidents=False)


def per_page_ms(path: Path) -> float:
    times = []
    started = time.perf_counter()
    for _ in ingest.iter_pages(path):
        now = time.perf_counter()
        times.append((now - started) * 1000)
        started = now
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    template = load_template(ROOT / "form_templates" / "motcua-2026.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pdf = folder / "office.pdf"
        simulate_batch(template, resolve_layout(template, freeze=False), pdf, folder / "t.jsonl",
                       count=max(1, args.pages // 2), seed=3, profile=GREY_OFFICE)
        rows = [("PDF, JPEG pages: now (image dictionary read, fast path)", per_page_ms(pdf))]
        plain = ingest._image_painted_as_stored
        ingest._image_painted_as_stored = lambda dictionaries, index: True
        rows.append(("PDF, JPEG pages: fast path unchecked (before)", per_page_ms(pdf)))
        ingest._image_painted_as_stored = lambda dictionaries, index: False
        rows.append(("PDF, JPEG pages: fast path checked by a small render", per_page_ms(pdf)))
        ingest._embedded_scan = lambda page: None
        rows.append(("PDF, JPEG pages: rendered at 200 dpi", per_page_ms(pdf)))
        ingest._image_painted_as_stored = plain
        grey = next(ingest.iter_pages(pdf)).image
        g16 = folder / "g16.png"
        cv2.imwrite(str(g16), grey.astype(np.uint16) * 257)
        cmyk = folder / "cmyk.jpg"
        Image.fromarray(grey).convert("CMYK").save(cmyk, quality=90)
        rotated = folder / "exif6.jpg"
        exif = Image.Exif()
        exif[0x0112] = 6
        Image.fromarray(grey).transpose(Image.Transpose.ROTATE_90).save(rotated, quality=90, exif=exif.tobytes())
        for label, path in (("16-bit grey PNG", g16), ("CMYK JPEG", cmyk), ("JPEG, EXIF orientation 6", rotated)):
            rows.append((label, statistics.median(per_page_ms(path) for _ in range(5))))
    width = max(len(label) for label, _ in rows)
    print(f"{'input':<{width}}  ms/page")
    for label, ms in rows:
        print(f"{label:<{width}}  {ms:7.1f}")


if __name__ == "__main__":
    main()
