#!/usr/bin/env python3
"""CPU cost per PDF page of reading what a viewer shows: plain scans vs pages with annotations or form fields.

    .venv/bin/python bench/ingest_annotated.py [--pages 20] [--rounds 5]

A simulated grey office batch (one JPEG per page, 200 dpi, as scanners write)
is read as it is, then with a pen cross on every page as an Ink annotation
(what a phone PDF app adds), then with a ticked checkbox form field on every
page, then as a «searchable PDF» (invisible OCR words over each scan). Prints CPU milliseconds per page (time.process_time over the whole file,
divided by its pages; median of the rounds, variants interleaved), so a
loaded machine changes the figures little. Plain pages must cost what they
did: the annotation check is a dictionary walk; annotated pages are rendered
at the scan's resolution.
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
import pikepdf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import omr.scan.ingest as ingest  # noqa: E402
from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.simulate import PROFILES, simulate_batch  # noqa: E402
from omr.forms.template import load_template  # noqa: E402

GREY_OFFICE = dataclasses.replace(PROFILES["office"], binarize_prob=0.0, batch_accidents=False)
CROSS = b"0 0 0.6 RG 1.4 w 202 302 m 214 314 l S 202 314 m 214 302 l S"


def cpu_ms_per_page(path: Path) -> float:
    started = time.process_time()
    pages = sum(1 for _ in ingest.iter_pages(path))
    return (time.process_time() - started) * 1000 / pages


def annotated(plain: Path, out: Path, widget: bool) -> Path:
    """``plain`` with a pen cross (Ink annotation) or a ticked checkbox field on every page."""
    with pikepdf.open(plain) as pdf:
        fields = pikepdf.Array()
        for number, page in enumerate(pdf.pages):
            look = pdf.make_stream(CROSS, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                                   BBox=[200, 300, 216, 316])
            rect = [200, 300, 216, 316]
            if widget:
                annot = pdf.make_indirect(pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Btn,
                    T=pikepdf.String(f"tick{number}"), V=pikepdf.Name.Yes, AS=pikepdf.Name.Yes, Rect=rect, F=4,
                    AP=pikepdf.Dictionary(N=pikepdf.Dictionary(Yes=look))))
                fields.append(annot)
            else:
                annot = pdf.make_indirect(pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Ink, Rect=rect, F=4,
                    InkList=[[202, 302, 214, 314], [202, 314, 214, 302]], AP=pikepdf.Dictionary(N=look)))
            page.obj.Annots = pikepdf.Array([annot])
        if widget:
            pdf.Root.AcroForm = pikepdf.Dictionary(Fields=fields)
        pdf.save(out)
    return out


def searchable(plain: Path, out: Path) -> Path:
    """``plain`` as a scanner's «searchable PDF»: 300 invisible OCR words (text render mode 3) over every page."""
    words = b" ".join(b"BT 3 Tr /F1 9 Tf %d %d Td (tu%d) Tj ET" % (40 + 50 * (i % 10), 60 + 25 * (i // 10), i)
                      for i in range(300))
    with pikepdf.open(plain) as pdf:
        for page in pdf.pages:
            page.obj.Resources.Font = pikepdf.Dictionary(F1=pikepdf.Dictionary(
                Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica))
            page.contents_add(pdf.make_stream(words), prepend=False)
        pdf.save(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    template = load_template(ROOT / "form_templates" / "motcua-2026.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plain = folder / "office.pdf"
        simulate_batch(template, resolve_layout(template, freeze=False), plain, folder / "t.jsonl",
                       count=max(1, args.pages // 2), seed=3, profile=GREY_OFFICE)
        files = {"plain scan (fast path)": plain,
                 "an Ink annotation on every page (rendered)": annotated(plain, folder / "ink.pdf", False),
                 "a ticked checkbox field on every page (rendered, forms)": annotated(plain, folder / "w.pdf", True),
                 "searchable PDF: invisible OCR text over every scan (fast path)": searchable(plain, folder / "s.pdf")}
        check = ingest._shown_annotations
        results: dict[str, list[float]] = {label: [] for label in files}
        results["plain scan, annotation check left out (before)"] = []
        results["searchable PDF rendered (before)"] = []
        for _ in range(args.rounds):
            for label, path in files.items():
                results[label].append(cpu_ms_per_page(path))
            ingest._shown_annotations = lambda page: set()
            results["plain scan, annotation check left out (before)"].append(cpu_ms_per_page(plain))
            ingest._shown_annotations = check
            invisible = ingest._invisible_text
            ingest._invisible_text = lambda obj: False
            results["searchable PDF rendered (before)"].append(cpu_ms_per_page(folder / "s.pdf"))
            ingest._invisible_text = invisible
    width = max(len(label) for label in results)
    print(f"{'input':<{width}}  CPU ms/page (median of {args.rounds})")
    for label, values in results.items():
        print(f"{label:<{width}}  {statistics.median(values):7.1f}")


if __name__ == "__main__":
    main()
