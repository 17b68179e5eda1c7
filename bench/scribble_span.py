#!/usr/bin/env python3
"""Zigzag scribbles spanning two neighbouring boxes of one question: never an answer read ``ok``.

    PYTHONPATH=$PWD .venv/bin/python bench/scribble_span.py [--sheets 60] [--seed 1] [--dpi 300]

A person crossing out two options at once, or a wide scrawl, draws one zigzag over two neighbouring
boxes of a question (horizontal neighbours of a scale row, or vertical ones of a list of options).
One box may come out dense (taken for a scribbled-out box) and the other holding a part of the
zigzag (taken for a plain mark): reading that part as the answer, ``ok``, is a silent error.

Each sheet is one page of omr's own printed form (form_templates/motcua-2026.yaml), every other
question crossed once (the respondent's habit), ``--per-page`` questions holding a zigzag (random
amplitude, stroke spacing, pen 0.3-0.8 mm, ink darkness, start and end inside the boxes or outside),
and as a control ``--per-page`` other questions with a scribble over one box and a separate cross on
another (read ``ok`` as the cross: a question sent to review there is counted as a control review).
The page is scanned with the office profile (grey, no 1-bit mode) and read by the normal path
(:func:`omr.scan.page.process_page`). Prints: zigzag questions read ok or blank (silent), controls
read right / to review / wrong, and crossed questions read wrong with ok (silent).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.qrcodes import PageIdentity  # noqa: E402
from omr.forms.simulate import PROFILES, _BlankPages, _draw_mark, _paste_identity, draw_habit, scan_page  # noqa: E402
from omr.forms.template import load_template  # noqa: E402
from omr.model import BLANK, NEEDS_REVIEW, OK  # noqa: E402
from omr.scan.ingest import RawPage  # noqa: E402
from omr.scan.page import Catalogue, process_page  # noqa: E402

MM = 25.4
GREY_OFFICE = dataclasses.replace(PROFILES["office"], binarize_prob=0.0)
ONE_ANSWER = ("single", "scale", "yesno")  # question types answered by one box


def neighbour_pairs(boxes) -> list[tuple]:
    """Pairs (a, b) of one question's boxes next to each other: the same row with no box of the
    question between them, or one above the other (the same column, the next row)."""
    pairs = []
    for a in boxes:
        for b in boxes:
            if a is b:
                continue
            same_row = abs(a.y - b.y) < 1 and b.x > a.x and not any(
                abs(c.y - a.y) < 1 and a.x < c.x < b.x for c in boxes)
            below = abs(a.x - b.x) < 1 and 0 < b.y - a.y < 9
            if same_row or below:
                pairs.append((a, b))
    return pairs


def zigzag(img: np.ndarray, a, b, dpi: int, rng: np.random.Generator, *, pen_mm: float | None = None,
           colour=None) -> None:
    """A zigzag from (or before) box ``a`` to (or past) box ``b``, in place (RGB page at ``dpi``).

    The path runs along the line between the boxes' centres, swinging across it by a random
    amplitude (1.5-4 mm) every 0.5-2 mm; it starts inside ``a`` or before it, ends inside ``b`` or
    past it, and the swing can be denser over one box (crossing it out) than over the other."""
    px = dpi / MM
    ca = np.array([a.x + a.w / 2, a.y + a.h / 2])
    cb = np.array([b.x + b.w / 2, b.y + b.h / 2])
    axis = (cb - ca) / np.linalg.norm(cb - ca)
    normal = np.array([-axis[1], axis[0]])
    half = a.w / 2
    start = -half - rng.uniform(0.0, 2.5) if rng.random() < 0.5 else rng.uniform(-half + 0.3, 0.5)
    length = float(np.linalg.norm(cb - ca))
    end = length + (half + rng.uniform(0.0, 2.5) if rng.random() < 0.5 else rng.uniform(-0.5, half - 0.3))
    amplitude = rng.uniform(1.5, 4.0)
    steps = (rng.uniform(0.5, 2.0), rng.uniform(0.5, 2.0))  # spacing over a's half and b's half
    pen = pen_mm if pen_mm is not None else rng.uniform(0.3, 0.8)
    if colour is None:
        level = int(rng.integers(15, 110))
        colour = (level, level, level) if rng.random() < 0.5 else (level, level + 20, min(255, level + 110))
    points, t, side = [], start, 1.0
    drift = float(np.clip(rng.normal(0, 0.5), -1.0, 1.0))  # mm across the line, start to end: a hand's slope
    while t < end:
        swing = amplitude * rng.uniform(0.7, 1.1)
        centre = ca + axis * t + normal * (side * swing / 2 + drift * (t - start) / (end - start))
        points.append(centre + rng.normal(0, 0.15, 2))
        t += steps[0] if t < length / 2 else steps[1]
        side = -side
    points.append(ca + axis * end + normal * side * amplitude / 2)
    thickness = max(1, int(round(pen * px)))
    for p, q in zip(points, points[1:]):
        cv2.line(img, tuple(int(v * px) for v in p), tuple(int(v * px) for v in q), colour, thickness, cv2.LINE_AA)


def sheet(template, layout, blanks, catalogue, dpi: int, seed: int, per_page: int, across: bool = False) -> dict:
    """One page with zigzags and controls, read; returns counts. ``across``: each zigzag joins a box
    of one scale question to the box below it, of the next question (rows 6.5 mm apart), and both
    questions count (a zigzag over two questions is no answer to either)."""
    rng = np.random.default_rng(seed)
    page = layout.pages[int(rng.integers(len(layout.pages)))]
    img = blanks[page.number].copy()
    _paste_identity(img, page, PageIdentity(template.form_id, template.version, page.number, seed + 1, None), dpi)
    by_question: dict[str, list] = {}
    for box in page.checkboxes:
        by_question.setdefault(box.question, []).append(box)
    types = {q.id: q.type for q in template.questions}
    choices = [q for q, bs in by_question.items() if types.get(q) in ONE_ANSWER and neighbour_pairs(bs)]
    chosen = list(rng.permutation(choices))
    spans, controls = chosen[:per_page], [q for q in chosen[per_page:2 * per_page] if len(by_question[q]) >= 3]
    pairs_across = []
    if across:
        below = [(a, b) for a in page.checkboxes for b in page.checkboxes if a.question != b.question
                 and types.get(a.question) in ONE_ANSWER and types.get(b.question) in ONE_ANSWER
                 and abs(a.x - b.x) < 1 and 0 < b.y - a.y < 9]
        used: set[str] = set()
        for k in rng.permutation(len(below)):
            a, b = below[k]
            if a.question not in used and b.question not in used and len(pairs_across) < per_page:
                pairs_across.append((a, b))
                used |= {a.question, b.question}
        spans = sorted(used)
        controls = [q for q in controls if q not in used]
    black = (25, 25, 25)
    expected = {}
    for q in ([] if across else spans):
        pairs = neighbour_pairs(by_question[q])
        a, b = pairs[int(rng.integers(len(pairs)))]
        if rng.random() < 0.5:
            a, b = b, a
        zigzag(img, a, b, dpi, rng)
    for a, b in pairs_across:
        zigzag(img, *((a, b) if rng.random() < 0.5 else (b, a)), dpi, rng)
    for q in controls:
        boxes = by_question[q]
        i, j = rng.choice(len(boxes), 2, replace=False)
        draw_habit(img, boxes[i], "scribble", dpi, black, rng, rng.uniform(0.3, 0.6))
        _draw_mark(img, boxes[j], str(rng.choice(["cross", "tick"])), dpi, black, rng, 0.45)
        expected[q] = boxes[j].option
    for q, boxes in by_question.items():
        if q in spans or q in controls or types.get(q) not in ONE_ANSWER:
            continue
        box = boxes[int(rng.integers(len(boxes)))]
        _draw_mark(img, box, "cross", dpi, black, rng, 0.45)
        expected[q] = box.option
    data, _ = scan_page(img, GREY_OFFICE, dpi, rng, upside_down=False)
    result = process_page(RawPage("span.jpg", 0, np.asarray(Image.open(io.BytesIO(data)).convert("L"))), catalogue)
    reads = {r.question: r for r in result.questions}
    out = {"spans": len(spans), "span_silent": 0, "controls": len(controls), "control_right": 0,
           "control_review": 0, "control_wrong": 0, "crossed": 0, "crossed_silent": 0, "crossed_review": 0,
           "silent_cases": []}
    if result.set_aside is not None:
        out["set_aside"] = 1
        return out
    for q in spans:
        r = reads[q]
        if r.status in (OK, BLANK):
            out["span_silent"] += 1
            out["silent_cases"].append((seed, q, r.value, r.status))
    for q in controls:
        r = reads[q]
        key = "control_review" if r.status in NEEDS_REVIEW else (
            "control_right" if r.value == expected[q] else "control_wrong")
        out[key] += 1
    for q, value in expected.items():
        if q in controls:
            continue
        r = reads[q]
        out["crossed"] += 1
        out["crossed_review"] += r.status in NEEDS_REVIEW
        out["crossed_silent"] += r.status == OK and r.value != value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--per-page", type=int, default=3)
    parser.add_argument("--show", action="store_true", help="list the silent cases (seed, question, value)")
    parser.add_argument("--across", action="store_true",
                        help="zigzags over a box and the one below it, of the next question (both count)")
    args = parser.parse_args()
    template = load_template(ROOT / "form_templates" / "motcua-2026.yaml")
    layout = resolve_layout(template)
    blanks = _BlankPages(layout, args.dpi).pages
    catalogue = Catalogue.from_folder(ROOT / "form_templates")
    total: dict = {}
    for n in range(args.sheets):
        counts = sheet(template, layout, blanks, catalogue, args.dpi, args.seed * 100_000 + n, args.per_page,
                       args.across)
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v if k != "silent_cases" else total.get(k, []) + v
    print(f"zigzag questions {total['spans']}: silent (ok or blank) {total['span_silent']}")
    print(f"controls (scribble + separate mark) {total['controls']}: right {total['control_right']}, "
          f"review {total['control_review']}, wrong ok {total['control_wrong']}")
    print(f"crossed questions {total['crossed']}: review {total['crossed_review']}, silent {total['crossed_silent']}")
    if total.get("set_aside"):
        print(f"pages set aside: {total['set_aside']}")
    if args.show:
        for case in total["silent_cases"]:
            print("  silent", case)


if __name__ == "__main__":
    main()
