#!/usr/bin/env python3
"""CPU per page per reading stage of one scan worker, and a fingerprint of every read (issue #18).

    .venv/bin/python bench/profile_page.py [--pages 300] [--comments 0.3] [--profile office]
                                           [--save reads.json] [--compare reads.json] [--cprofile 40]

Reads a simulated 200 dpi grey JPEG PDF (made once in bench/out, as bench/speed.py
makes its specimens) page by page in this one process, set up as an ``omr scan``
worker is (OpenCV single-threaded, drafting left to the second pass), and
prints the median and mean CPU milliseconds (``time.process_time``: CPU, not
wall, so another engineer's load on the shared machine does not count) of each
stage of :func:`omr.scan.page.process_image` (as a worker reads), wrapped where ``omr.scan.page``
calls it. "decode" is the page loader (:class:`omr.scan.ingest.PageLoader`).

``--save`` writes every page's read (set-aside reason, identity, homography,
alignment, every box's state/fill/darkness/confidence/position, every
question's value/status/confidence, every comment field's decision, ink and a
hash of its crop) to JSON; ``--compare`` reads such a file and prints every
difference with this run: a speed change must leave the reads identical.
``--cprofile N`` prints cProfile's top functions over the first N pages.
``OMR_CODE=/path/to/worktree`` reads with that worktree's omr (this script's own
stages and fingerprint): main and a branch alternated in one session on one PDF.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import hashlib
import json
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# OMR_CODE: another worktree's omr read with this script (A/B in one session: main against a branch).
sys.path.insert(0, os.environ.get("OMR_CODE", str(ROOT)))

import cv2  # noqa: E402

from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.simulate import PROFILES, simulate_batch  # noqa: E402
from omr.forms.template import load_template  # noqa: E402
from omr.scan import page as page_module  # noqa: E402
from omr.scan.comments import set_drafting_in_scan  # noqa: E402
from omr.scan.ingest import PageLoader, count_pages  # noqa: E402
from omr.scan.page import Catalogue, process_image  # noqa: E402

OUT = ROOT / "bench" / "out"
# The stages as omr.scan.page calls them (its module namespace), in page order.
STAGES = ("flatten_lighting", "overview", "is_blank", "identify_any_turn", "checked_fit", "warp_to_layout",
          "page_ink", "locate_boxes", "read_boxes", "_flag_hidden_boxes", "resolve_questions", "printed_mask",
          "_review_marks_beside_boxes", "_review_writing_in_areas", "review_lines_through_boxes",
          "_review_marks_running_out", "_review_crossed_out", "read_comment")


def specimen(pages: int, comment_share: float, profile: str, as_is: bool = False) -> Path:
    """A ``pages``-page PDF at 200 dpi (made once, kept in bench/out): grey JPEG without batch
    accidents as bench/speed.py's, or with the profile's own 1-bit pages and accidents (``as_is``)."""
    stem = f"profile-{profile}{'-as-is' if as_is else ''}-{pages}-c{round(comment_share * 100)}"
    path = OUT / f"{stem}.pdf"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        template = load_template(ROOT / "form_templates" / "motcua-2026.yaml")
        layout = resolve_layout(template)
        prof = PROFILES[profile] if as_is else dataclasses.replace(PROFILES[profile], binarize_prob=0.0,
                                                                   batch_accidents=False)
        simulate_batch(template, layout, path, OUT / f"{stem}.jsonl", count=pages // len(layout.pages),
                       seed=pages, dpi=200, profile=prof, comment_share=comment_share)
    return path


class StageClock:
    """CPU seconds spent in each wrapped stage during the current page (outermost calls only)."""

    def __init__(self):
        self.page: dict[str, float] = defaultdict(float)
        self.depth = 0

    def wrap(self, name: str, func):
        def timed(*args, **kwargs):
            if self.depth:
                return func(*args, **kwargs)
            self.depth += 1
            started = time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                self.page[name] += time.process_time() - started
                self.depth -= 1
        return timed


def fingerprint(result) -> dict:
    """Everything a page's read says, as plain JSON (crops and ink prints by hash): every field of the
    result, its box reads, question reads and comment reads."""
    def digest(data: bytes | None) -> str | None:
        return hashlib.sha256(data).hexdigest()[:16] if data else None

    return {
        "set_aside": result.set_aside, "detail": result.detail, "form": [result.form_id, result.version, result.page],
        "serial": result.serial, "unit": result.unit, "rotated": result.rotated_180, "join": result.join,
        "source_part": getattr(result.source, "part", None),
        "homography": None if result.homography is None else [round(v, 6) for row in result.homography for v in row],
        "alignment_mm": result.alignment_mm,
        "boxes": [[b.question, b.option, b.state, b.fill, b.darkness, b.confidence, b.x, b.y, b.w, b.h]
                  for b in result.boxes],
        "questions": [[q.question, q.value, q.status, q.confidence, q.score] for q in result.questions],
        "comments": [[c.field, c.inked, c.ink_mm2, list(c.region), c.faint, digest(c.crop_png)]
                     for c in result.comments],
        "ink_print": digest(result.ink_print), "marks_key": result.marks_key,
    }


def image_fingerprint(results: list) -> dict:
    """One page image's reads (:func:`omr.scan.page.process_image`: one result, or one per half)."""
    first = fingerprint(results[0])
    if len(results) > 1:
        first["halves"] = [fingerprint(r) for r in results[1:]]
    return first


def compare(old: list[dict], new: list[dict]) -> int:
    """Print every difference between two runs' fingerprints; the number of pages that differ."""
    differing = 0
    for n, (a, b) in enumerate(zip(old, new)):
        if a == b:
            continue
        differing += 1
        for key in sorted(a.keys() | b.keys()):
            x_all, y_all = a.get(key), b.get(key)
            if x_all == y_all:
                continue
            if isinstance(x_all, list) and isinstance(y_all, list) and len(x_all) == len(y_all):
                for x, y in zip(x_all, y_all):
                    if x != y:
                        print(f"page {n} {key}: {x} -> {y}")
            else:
                print(f"page {n} {key}: {x_all} -> {y_all}")
    if len(old) != len(new):
        print(f"pages: {len(old)} -> {len(new)}")
        differing += 1
    return differing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--comments", type=float, default=0.3, help="share of sheets with a written comment")
    parser.add_argument("--profile", default="office", choices=sorted(PROFILES))
    parser.add_argument("--as-is", action="store_true",
                        help="the profile's own 1-bit pages and batch accidents, not only grey JPEG pages")
    parser.add_argument("--pdf", type=Path, help="read this PDF instead of a simulated one")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--cprofile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    pdf = args.pdf or specimen(args.pages, args.comments, args.profile, args.as_is)
    cv2.setNumThreads(1)
    set_drafting_in_scan(False)
    catalogue = Catalogue.from_folder(ROOT / "form_templates")
    clock = StageClock()
    for name in (name for name in STAGES if hasattr(page_module, name)):
        setattr(page_module, name, clock.wrap(name, getattr(page_module, name)))
    loader = PageLoader()
    per_stage: dict[str, list[float]] = defaultdict(list)
    reads = []
    total = count_pages(pdf)
    profiler = cProfile.Profile() if args.cprofile else None
    for index in range(total):
        clock.page.clear()
        if profiler and index == 0:
            profiler.enable()
        started = time.process_time()
        raw = loader.load(pdf, index)
        decoded = time.process_time()
        results = process_image(raw, catalogue)
        ended = time.process_time()
        if profiler and index + 1 == args.cprofile:
            profiler.disable()
        per_stage["decode"].append(decoded - started)
        per_stage["read (all stages)"].append(ended - decoded)
        for name in STAGES:
            per_stage[name].append(clock.page.get(name, 0.0))
        per_stage["other"].append(ended - decoded - sum(clock.page.values()))
        per_stage["page total"].append(ended - started)
        reads.append(image_fingerprint(results))
    loader.close()
    print(f"{pdf.name}: {total} pages, CPU ms per page (time.process_time), one process, OpenCV single-threaded")
    print(f"{'stage':<22}{'median':>9}{'mean':>9}")
    for name, values in per_stage.items():
        print(f"{name:<22}{1000 * statistics.median(values):>9.2f}{1000 * statistics.fmean(values):>9.2f}")
    if profiler:
        for order in ("cumulative", "tottime"):
            pstats.Stats(profiler).sort_stats(order).print_stats(30)
    if args.save:
        args.save.write_text(json.dumps(reads), encoding="utf-8")
    if args.compare:
        differing = compare(json.loads(args.compare.read_text(encoding="utf-8")), reads)
        print(f"reads compared with {args.compare}: {differing} of {total} pages differ")


if __name__ == "__main__":
    main()
