"""Templates from blank forms, read on filled copies: answers right, silent errors, and the printed-box
check (issue #16, items 4 and the targets).

Default: each office blank of tests/data/office-blanks (LibreOffice -> PDF) becomes a template with
``omr template from-blank``; filled copies are made (one cross per question, 15 % skipped, two questions
per page with a printed box whited out and left unanswered: a box missing where the template says), then
photocopied (turned ±2.5°, rescaled, blurred, grey, noisy) and read by the scan pipeline. Prints
answers right (of the questions whose boxes are all printed), silent errors (status ok or blank with the
wrong value), whited-out questions sent to review, and the outline evidence of printed and whited-out
boxes (:func:`omr.scan.printed_boxes.outline_evidence`).

``--omrchecker``: the same evidence on OMRChecker's samples (imported templates, ../shared), where and the
box moved 3 mm: why the check is off for imported OMRChecker templates.

    .venv/bin/python bench/blank_safety.py [--copies 3] [--omrchecker]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from omrchecker_agreement import DEFAULT_DATA, expected_reads, template_for  # noqa: E402

import omr.scan.page as page_module  # noqa: E402
from omr import tuning as T  # noqa: E402
from omr.scan.ingest import PageLoader  # noqa: E402
from omr.scan.page import Catalogue, process_page  # noqa: E402
from omr.scan.printed_boxes import flag_unprinted, outline_evidence  # noqa: E402
from omr.template_from.omrchecker import import_omrchecker  # noqa: E402

MEASURED: list[tuple[str, float, float]] = []


def _recording(reads, ink, round_=False):
    for r in reads:
        here = outline_evidence(ink, r.x, r.y, r.w, r.h, round_)
        moved = outline_evidence(ink, r.x + 3.0, r.y + 3.0, r.w, r.h, round_)
        MEASURED.append((r.question, here, moved))
    return flag_unprinted(reads, ink, round_)


def office(copies: int) -> None:
    import shutil

    import blank_sources
    import cv2
    import office_fill

    from omr.model import NEEDS_REVIEW
    from omr.template_from.blank import from_blank

    work = Path(tempfile.mkdtemp(prefix="omr-office-fill-"))
    sources = Path(tempfile.gettempdir()) / "omr-blank-sources"
    sources.mkdir(exist_ok=True)
    evidence = {"printed": [], "erased": []}
    current: dict = {}

    def recording(reads, ink, round_=False):
        for r in reads:
            kind = "erased" if (r.question, r.option) in current.get("erased_boxes", set()) else "printed"
            evidence[kind].append(outline_evidence(ink, r.x, r.y, r.w, r.h, round_))
        return flag_unprinted(reads, ink, round_)

    page_module.flag_unprinted = recording
    totals = dict(answered=0, right=0, silent=0, review=0, erased=0, erased_review=0)
    print(f"{'blank':28} {'page':>4} {'copies':>6} {'questions':>9} {'right':>5} {'silent':>6} {'erased→review':>13} {'s/page':>6}")
    for pdf in blank_sources.office_pdfs(sources):
        folder = work / pdf.stem
        from_blank(pdf, folder / f"{pdf.stem}.yaml")
        boxes = office_fill.template_boxes(folder / f"{pdf.stem}.yaml")
        catalogue = Catalogue.from_folder(folder)
        for page_no, (grey, ppm) in enumerate(blank_sources.render_pdf(pdf, 200), start=1):
            row = dict(questions=0, right=0, silent=0, erased=0, erased_review=0)
            seconds = []
            for seed in range(copies):
                image, truth, erased = office_fill.fill(grey, ppm, boxes, page_no, seed, erase=2)
                current["erased_boxes"] = set(erased.items())
                path = work / f"{pdf.stem}-{page_no}-{seed}.png"
                cv2.imwrite(str(path), image)
                started = time.perf_counter()
                result = process_page(loader.load(path, 0), catalogue)
                seconds.append(time.perf_counter() - started)
                reads = {q.question: q for q in result.questions}
                for qid, code in truth.items():
                    q = reads.get(qid)
                    value = None if q is None else q.value
                    if isinstance(value, list):
                        value = value[0] if len(value) == 1 else (None if not value else value)
                    review = q is not None and q.status in NEEDS_REVIEW
                    if qid in erased:
                        row["erased"] += 1
                        row["erased_review"] += review
                        row["silent"] += not review
                        continue
                    row["questions"] += 1
                    row["right"] += (not review) and value == code
                    row["silent"] += (not review) and value != code
            print(f"{pdf.stem:28} {page_no:4d} {copies:6d} {row['questions']:9d} {row['right']:5d} {row['silent']:6d} "
                  f"{row['erased_review']:>6d}/{row['erased']:<6d} {np.median(seconds):6.1f}")
            for k in ("right", "silent", "erased", "erased_review"):
                totals[k] += row[k]
            totals["answered"] += row["questions"]
    print(f"answers right: {totals['right']}/{totals['answered']} "
          f"({100 * totals['right'] / max(1, totals['answered']):.1f} %); silent errors: {totals['silent']}; "
          f"whited-out boxes' questions to review: {totals['erased_review']}/{totals['erased']}")
    for kind, values in evidence.items():
        if values:
            v = np.array(values)
            print(f"outline evidence, {kind:7}: n={v.size} min {v.min():.3f} p5 {np.percentile(v, 5):.3f} "
                  f"median {np.median(v):.3f} p95 {np.percentile(v, 95):.3f} max {v.max():.3f}")
    shutil.rmtree(work, ignore_errors=True)


loader = PageLoader()


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--omrchecker", action="store_true")
    args = parser.parse_args()
    if not args.omrchecker:
        office(args.copies)
        return
    page_module.flag_unprinted = _recording
    snapshots = expected_reads(DEFAULT_DATA / "expected_reads.ambr")
    scratch = Path(tempfile.mkdtemp(prefix="omr-safety-"))
    catalogues: dict[Path, Catalogue] = {}
    print(f"{'sample':28} {'boxes':>6} {'printed<thr':>11} {'moved>=thr':>10} {'p5 printed':>10} {'p95 moved':>9}")
    for name, rows in snapshots.items():
        start = len(MEASURED)
        for row in rows:
            image = DEFAULT_DATA / row["input_path"]
            tpl = template_for(image, DEFAULT_DATA / "samples")
            if tpl not in catalogues:
                folder = scratch / f"{name}-{len(catalogues)}"
                import_omrchecker(tpl, folder / f"{name.lower().replace('_', '-')}.yaml")
                catalogues[tpl] = Catalogue.from_folder(folder)
            process_page(loader.load(image, 0), catalogues[tpl])
        values = MEASURED[start:]
        if not values:
            continue
        here = np.array([v[1] for v in values])
        moved = np.array([v[2] for v in values])
        thr = T.PRINTED_MIN_OUTLINE_EVIDENCE
        print(f"{name:28} {len(values):6d} {int((here < thr).sum()):11d} {int((moved >= thr).sum()):10d} "
              f"{np.percentile(here, 5):10.3f} {np.percentile(moved, 95):9.3f}")
    here = np.array([v[1] for v in MEASURED])
    moved = np.array([v[2] for v in MEASURED])
    print(f"{'ALL':28} {len(MEASURED):6d} {int((here < T.PRINTED_MIN_OUTLINE_EVIDENCE).sum()):11d} "
          f"{int((moved >= T.PRINTED_MIN_OUTLINE_EVIDENCE).sum()):10d}")


if __name__ == "__main__":
    main()
