#!/usr/bin/env python3
"""Why do a hunt's questions go to review? Each page of a hunt kind is made as the hunt makes it (same seed, same
pages), read in process (``process_page``, every page decoded by omr's own ingest) with the reading's rules
watched, and every question sent to review is put down to the rule that sent it: a box made uncertain (or
cancelled) by a box rule of ``omr.scan.read`` (the stage and, where it tells, which test), or a question sent by
a page rule of ``omr.scan.page`` / ``omr.scan.line_marks`` (the function that called ``recalibrate``).

Counts are printed for questions whose truth is a plain answer (one value or blank), per cause and per page
kind (1-bit: fixed threshold / Otsu-like / dithered, and dpi); ``--show N`` lists N examples per cause.

    PYTHONPATH=. .venv/bin/python bench/hunt/why_review.py --script bilevel --kind bw_plain --n 15 --seed 11 [--bw dither]
"""
from __future__ import annotations

import importlib
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from common import form, make_sheets, parser

import omr.scan.line_marks as line_marks
from omr import tuning as T
import omr.scan.page as page_mod
import omr.scan.read as read_mod
from omr.model import CANCELLED, EMPTY, MARKED, NEEDS_REVIEW, UNCERTAIN
from omr.scan.catalogue import Catalogue
from omr.scan.ingest import iter_pages

ROOT = Path(__file__).resolve().parent.parent.parent
_TRACE: dict = {}


def _states(reads) -> list[str]:
    return [r.state for r in reads]


def _box_stage(name, fn):
    """A read.py stage wrapped: the states before and after, each change put down to ``name``."""
    def wrapped(reads, *args, **kwargs):
        before = _states(reads)
        out = fn(reads, *args, **kwargs)
        for i, (a, r) in enumerate(zip(before, reads)):
            if a != r.state:
                _TRACE.setdefault("changes", {})[i] = (name, a, r.state)
        return out
    return wrapped


def _install() -> None:
    judge, doubt, erased, solid = (read_mod.judge_against_respondent, read_mod.doubt_unsure_marks,
                                   read_mod._doubt_erased, read_mod.solid_disc)
    original_read = page_mod.read_boxes

    def judge_wrapped(reads, evidence, *args, **kwargs):
        # What read_boxes did before the respondent's rules: classify_fill, then the faint/dot/scatter rules.
        initial = {}
        for i, (r, e) in enumerate(zip(reads, evidence)):
            first, _ = read_mod.classify_fill(e.fill)
            if r.state != first:
                why = "dot" if e.core is not None and read_mod.holds_dot(e.core) else \
                    "scattered" if e.core is not None and read_mod.scattered_stroke(e.core) else \
                    "remnant" if (e.core is not None and read_mod.remnant(e.core) and e.trace_mm < T.TRACE_SHORT_MIN_MM
                                  and e.ridge < T.RIDGE_MIN_CONTRAST) else "dark_trace"
                initial[i] = (f"read_boxes.{why}", first, r.state)
            elif r.state == UNCERTAIN:
                initial[i] = ("classify_fill.between", first, r.state)
        _TRACE["changes"] = dict(initial)
        _TRACE["evidence"] = evidence
        before = _states(reads)
        strokes = [e.stroke for e in evidence]
        out = judge(reads, evidence, *args, **kwargs)
        for i, (a, r) in enumerate(zip(before, reads)):
            if a != r.state:
                e = evidence[i]
                if a == EMPTY:
                    rule = "rule1_trace"
                elif r.state == CANCELLED:
                    rule = "rule3/4_cancel"
                elif a in (MARKED, CANCELLED) and r.state == UNCERTAIN and e.stroke < max(strokes):
                    rule = "rule2_light_or_runon"
                else:
                    rule = "runon"
                _TRACE["changes"][i] = (f"judge.{rule}", a, r.state)
        return out

    def solid_wrapped(*args, **kwargs):
        out = solid(*args, **kwargs)
        if out:
            _TRACE.setdefault("discs", 0)
            _TRACE["discs"] += 1
        return out

    def read_wrapped(search, boxes, back=None, **kwargs):
        _TRACE.clear()
        reads = original_read(search, boxes, back, **kwargs)
        _TRACE["reads"] = list(reads)
        _TRACE["final_states"] = _states(reads)
        return reads

    read_mod.judge_against_respondent = judge_wrapped
    read_mod.doubt_unsure_marks = _box_stage("doubt_unsure_marks", doubt)
    read_mod.solid_disc = solid_wrapped

    def erased_wrapped(reads, evidence, search, boxes, baseline):
        before = _states(reads)
        out = erased(reads, evidence, search, boxes, baseline)
        for i, (a, r) in enumerate(zip(before, reads)):
            if a != r.state:
                _TRACE.setdefault("changes", {})[i] = ("doubt_erased", a, r.state)
        return out

    read_mod._doubt_erased = erased_wrapped
    page_mod.read_boxes = read_wrapped
    original_recal = page_mod.recalibrate

    def recal(q, status):
        frame, names = sys._getframe(1), []
        while frame is not None and len(names) < 3:
            names.append(frame.f_code.co_name)
            frame = frame.f_back
        cause = next((n for n in names if n not in ("_to_review",)), names[0])
        if cause == "_read_page":
            cause = "mostly_blank_or_misaligned"
        _TRACE.setdefault("page_rules", {}).setdefault(q.question, cause)
        return original_recal(q, status)

    page_mod.recalibrate = recal
    line_marks.recalibrate = recal


def _page_kind(grey: np.ndarray) -> str:
    """'dither' when most black pixels stand alone or in pairs on the paper, else 'threshold'; and the width."""
    black = grey < 128
    if not (grey[::4, ::4].astype(int) % 255 == 0).mean() > 0.995:
        return "grey"
    lone = black[1:-1, 1:-1] & ~black[:-2, 1:-1] & ~black[2:, 1:-1] & ~black[1:-1, :-2] & ~black[1:-1, 2:]
    dpi = 300 if grey.shape[1] > 2000 else 200
    kind = "dither" if lone.sum() > 0.05 * black.sum() else "threshold"
    return f"{kind}@{dpi}"


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--script", default="bilevel", help="the hunt script whose page_image makes the pages")
    p.add_argument("--kind", default="bw_plain")
    p.add_argument("--show", type=int, default=3, help="examples printed per cause")
    p.add_argument("--pages", default="", help="only these 'serial:page' pages (comma-separated)")
    p.add_argument("--bw", default="", help="bilevel.py only: binarisations to choose from per page (e.g. dither)")
    args = p.parse_args()
    hunt = importlib.import_module(args.script)
    if args.bw:
        hunt.MODES[:] = args.bw.split(",")
    _install()
    catalogue = Catalogue.from_folder(ROOT / "form_templates")
    _, layout, _ = form()
    only = set(filter(None, args.pages.split(",")))
    for kind in args.kind.split(","):
        rng = np.random.default_rng([args.seed, sum(map(ord, kind))])
        sheets = make_sheets(args.n, rng)
        causes: Counter = Counter()
        by_kind: dict = defaultdict(Counter)
        examples: dict = defaultdict(list)
        totals: Counter = Counter()
        with tempfile.TemporaryDirectory() as tmp:
            for s in sheets:
                for pl in layout.pages:
                    data = hunt.page_image(s, pl, rng, kind)
                    if only and f"{s.truth.serial}:{pl.number}" not in only:
                        continue
                    path = Path(tmp) / ("p.png" if data[:4] == b"\x89PNG" else "p.jpg")
                    path.write_bytes(data)
                    raw = next(iter_pages(path))
                    pkind = _page_kind(raw.image)
                    result = page_mod.process_page(raw, catalogue)
                    if result.set_aside:
                        totals["set_aside"] += 1
                        continue
                    _tally(result, s, pl, pkind, causes, by_kind, examples, totals)
        print(f"{kind} seed {args.seed} n {args.n}: {dict(totals)}")
        for cause, n in causes.most_common():
            print(f"  {n:4d}  {cause}")
            for ex in examples[cause][:args.show]:
                print(f"          {ex}")
        for pkind, c in sorted(by_kind.items()):
            print(f"  {pkind}: {dict(c)}")


def _tally(result, sheet, pl, pkind, causes, by_kind, examples, totals) -> None:
    truth = sheet.truth
    changes = _TRACE.get("changes", {})
    final = _TRACE.get("final_states", [])
    rules = _TRACE.get("page_rules", {})
    evidence = _TRACE.get("evidence", [])
    by_q: dict = defaultdict(list)
    for i, r in enumerate(result.boxes):
        by_q[r.question].append(i)
    for q in result.questions:
        want = truth.answers.get(q.question)
        if isinstance(want, list) and want and want[0] == "REVIEW":
            continue
        ok = q.status not in NEEDS_REVIEW
        if ok:
            same = (want in (None, []) if q.status == "blank" else
                    (sorted(q.value) == sorted(want) if isinstance(want, list) else q.value == want))
            totals["right-ok" if same else "SILENT"] += 1
            by_kind[pkind]["right-ok" if same else "SILENT"] += 1
            if not same:
                examples["SILENT"].append(f"{truth.serial}:{pl.number} {q.question} {q.value!r} truth {want!r}")
            continue
        totals["review"] += 1
        by_kind[pkind]["review"] += 1
        if q.question in rules:
            cause = f"page.{rules[q.question]}"
        else:
            why = []
            for i in by_q[q.question]:
                box = result.boxes[i]
                if i < len(final) and box.state != final[i]:
                    why.append(f"hidden({final[i]}->{box.state})")
                elif i in changes and box.state in (UNCERTAIN, CANCELLED):
                    why.append(changes[i][0])
                elif box.state == UNCERTAIN:
                    why.append("uncertain?")
            marked = sum(result.boxes[i].state == MARKED for i in by_q[q.question])
            cause = f"{q.status}:" + (",".join(sorted(set(why))) or f"marked={marked}")
        causes[cause] += 1
        by_kind[pkind][cause] += 1
        box_notes = []
        for i in by_q[q.question]:
            b = result.boxes[i]
            if b.state != EMPTY and i < len(evidence):
                e = evidence[i]
                box_notes.append(f"{b.option}:{b.state} fill {e.fill:.2f} dark {e.darkness:.2f} stroke {e.stroke:.2f} "
                                 f"trace {e.trace_mm:.1f} cov {e.coverage:.2f} across {e.strokes_across:.1f}")
        examples[cause].append(f"{truth.serial}:{pl.number} {q.question} [{pkind}] truth {want!r} "
                               f"habit {truth.habits.get(q.question, '')!r}: " + "; ".join(box_notes))


if __name__ == "__main__":
    main()
