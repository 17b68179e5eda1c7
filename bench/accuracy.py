#!/usr/bin/env python3
"""Accuracy benchmark: specimen sheets per profile, read back, compared with their truth.

    .venv/bin/python bench/accuracy.py [--sheets 300] [--profiles clean,office,harsh,phone] [--workers 2]

Prints per profile: box accuracy with a confusion table (truth × read), question
accuracy, the share of questions sent to review, silent errors (a value
accepted without review that differs from the truth) per 10,000 questions, a
reliability table (confidence bins -> share of reads right) and, on the
``habits`` profile, how each marking habit came out. ``--calibrate`` prints
``omr.tuning.CONFIDENCE_BY_STATUS`` measured over the profiles run (issue #14:
run with a seed other than the default so the check is not the fit itself:
``--calibrate --seed 7 --sheets 300``). Targets (issue #3):
clean no silent error; office and harsh silent errors <= 0.1 % and review <= 3 %.

Damage profiles (issue #13, omr.forms.simulate.simulate_damaged_batch): ``staple``
(a covered or broken corner mark: staple, sticker, tear, punch hole, fold; two
marks on one page in five), ``shadow`` (phone photos with a hard shadow, one in
three across a corner mark), ``turn`` (pages scanned turned 90°/270°), ``two_up``
(both pages in one image: each half read as its page, part 1 = page 1), ``show_through``
(the back page's code showing through, the page's own smudged on half the
pages). Pages read as another page of their sheet are counted as wrong pages.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from omr.scan import batch_worker  # noqa: E402
from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.simulate import simulate_batch, simulate_damaged_batch  # noqa: E402
from omr.forms.template import load_template  # noqa: E402
from omr.model import BLANK, NEEDS_REVIEW  # noqa: E402
from omr.scan.ingest import count_pages  # noqa: E402

STATES = ("empty", "marked", "cancelled", "uncertain")
# Damage profile -> (damage kind, scanning profile it is combined with).
DAMAGED = {"staple": ("corner", "office"), "shadow": ("shadow", "phone"), "turn": ("turn", "office"),
           "two_up": ("two_up", "office"), "show_through": ("show_through", "office")}


def evaluate(profile: str, sheets: int, workers: int, seed: int) -> dict:
    template = load_template(ROOT / "form_templates" / "motcua-2026.yaml")
    layout = resolve_layout(template)
    with tempfile.TemporaryDirectory() as tmp:
        pdf, truth_path = Path(tmp) / "scans.pdf", Path(tmp) / "truth.jsonl"
        if profile in DAMAGED:
            damage, base = DAMAGED[profile]
            simulate_damaged_batch(template, layout, pdf, truth_path, count=sheets, seed=seed, damage=damage, base=base)
        else:
            simulate_batch(template, layout, pdf, truth_path, count=sheets, seed=seed, profile=profile)
        truths = {json.loads(line)["serial"]: json.loads(line) for line in truth_path.read_text().splitlines()}
        tasks = [(str(pdf), i) for i in range(count_pages(pdf))]
        started = time.perf_counter()
        # The same worker set-up as `omr scan` (omr.scan.batch_worker), without the database.
        with multiprocessing.get_context("forkserver").Pool(
                workers, initializer=batch_worker.init_worker, initargs=(str(ROOT / "form_templates"), True)) as pool:
            # Each task gives the pages of one image: two for an image holding two pages (two_up).
            results = [page for image in pool.imap(batch_worker.read_task, tasks, chunksize=8) for page in image]
        elapsed = time.perf_counter() - started
    confusion, questions, set_aside = Counter(), Counter(), Counter()
    reliability: Counter = Counter()  # (confidence bin, status group, right?) -> questions
    calibration: Counter = Counter()  # (status, raw score bin, right?) -> questions
    habit_outcomes: Counter = Counter()  # (habit, correct | review | silent) -> questions
    silent_examples, review_list = [], []
    page_at = {p["index"]: p["page"] for t in truths.values() for p in t["scan_pages"]}
    wrong_pages = 0
    for r in results:
        if r.set_aside:
            set_aside[r.set_aside] += 1
            continue
        truth = truths[r.serial]
        # A half of a two-page image (two_up) holds page 1 on the left or top, page 2 on the right or bottom.
        expected_page = r.source.part if r.source.part else page_at.get(r.source.page_index, r.page)
        if expected_page != r.page:
            wrong_pages += 1  # e.g. identified by the back page's code seen through the paper
        for b in r.boxes:
            confusion[(truth["boxes"].get(b.question, {}).get(b.option, "empty"), b.state)] += 1
        for q in r.questions:
            questions["all"] += 1
            expected = truth["answers"][q.question]
            right = (expected in (None, []) if q.status == BLANK else q.value == expected)
            group = "review" if q.status in NEEDS_REVIEW else "accepted"
            reliability[(confidence_bin(q.confidence), group, right)] += 1
            calibration[(q.status, score_bin(q.score), right)] += 1
            if q.status in NEEDS_REVIEW:
                questions["review"] += 1
                outcome = "review"
                review_list.append((r.serial, r.page, q.question, q.status, q.value, expected,
                                    truth.get("habits", {}).get(q.question, ""), r.detail,
                                    [(b.option, b.state, b.fill, b.darkness,
                                      truth["boxes"].get(b.question, {}).get(b.option, "empty"))
                                     for b in r.boxes if b.question == q.question
                                     and (b.state != "empty" or b.option in truth["boxes"].get(b.question, {}))]))
            elif right:
                questions["correct"] += 1
                outcome = "correct"
            else:
                questions["silent"] += 1
                outcome = "silent"
                silent_examples.append((r.serial, q.question, q.value, q.status, expected,
                                        truth.get("habits", {}).get(q.question, "")))
            habit_outcomes[(truth.get("habits", {}).get(q.question, "-"), outcome)] += 1
    boxes = sum(confusion.values())
    return {"profile": profile, "sheets": sheets, "pages": len(results), "seconds": elapsed,
            "box_accuracy": sum(v for (t, s), v in confusion.items() if t == s) / max(boxes, 1),
            "boxes": boxes, "confusion": confusion, "questions": questions["all"],
            "question_accuracy": questions["correct"] / max(questions["all"], 1),
            "review_share": questions["review"] / max(questions["all"], 1),
            "silent_share": questions["silent"] / max(questions["all"], 1), "silent": questions["silent"],
            "set_aside": dict(set_aside), "silent_examples": silent_examples[:8], "wrong_pages": wrong_pages,
            "details": Counter(part.split(":")[0].split(" (tệp ")[0] for r in results if not r.set_aside
                               for part in r.detail.split("; ") if part),
            "reliability": reliability, "habits": habit_outcomes, "calibration": calibration,
            "review_list": review_list}


# Raw score bins (lower bounds) of omr.tuning.CONFIDENCE_BY_STATUS.
SCORE_BINS = (0.0, 0.5, 0.75, 0.95)


def score_bin(score: float) -> float:
    return max(b for b in SCORE_BINS if score >= b)


def print_calibration(calibration: Counter) -> None:
    """The CONFIDENCE_BY_STATUS table measured here: (right + 1) / (reads + 2) per status and score bin.

    An empty bin takes the nearest measured bin below it (or above, for the first).
    """
    print("\nCONFIDENCE_BY_STATUS = {  # measured: right / reads per bin in comments")
    for status in ("ok", "blank", "multiple", "ambiguous", "invalid"):
        cells, notes, last = [], [], None
        for low in SCORE_BINS:
            right, wrong = calibration[(status, low, True)], calibration[(status, low, False)]
            if right + wrong:
                last = (right + 1) / (right + wrong + 2)
            notes.append(f"{right}/{right + wrong}")
            cells.append([low, last])
        first = next((c[1] for c in cells if c[1] is not None), 0.5)
        # Four decimals, rounded down: 28517 right of 28517 is 0.99996, never shown as a certain 1.0.
        row = ", ".join(f"({low}, {math.floor((p if p is not None else first) * 10000) / 10000})"
                        for low, p in cells)
        print(f'    "{status}": ({row}),  # {" ".join(notes)}')
    print("}")


# Confidence bins of the reliability table: lower bounds.
CONFIDENCE_BINS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


def confidence_bin(confidence: float) -> float:
    """The lower bound of the bin holding ``confidence``."""
    return max(b for b in CONFIDENCE_BINS if confidence >= b)


def print_reliability(reliability: Counter) -> None:
    """Confidence bins -> share of questions whose read is right, for accepted and reviewed reads."""
    print("reliability (confidence bin -> share right; accepted = ok/blank, review = proposed value):")
    for group in ("accepted", "review"):
        for low in CONFIDENCE_BINS:
            right, wrong = reliability[(low, group, True)], reliability[(low, group, False)]
            if right + wrong:
                print(f"  {group:>8} [{low:.2f}, ...): {right + wrong:>6} questions, right {right / (right + wrong):.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=300)
    parser.add_argument("--profiles", default="clean,office,harsh,phone,habits")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--calibrate", action="store_true",
                        help="print omr.tuning.CONFIDENCE_BY_STATUS measured over the profiles run")
    parser.add_argument("--list-review", action="store_true",
                        help="list every question sent to review: sheet, page, question, status, value read, "
                             "truth, habit, page notes, and its boxes (option, state read, fill, darkness, truth)")
    args = parser.parse_args()
    pooled: Counter = Counter()
    for profile in args.profiles.split(","):
        r = evaluate(profile, args.sheets, args.workers, args.seed)
        pooled.update(r["calibration"])
        print(f"\n== {profile}: {r['sheets']} sheets, {r['pages']} pages, {r['pages'] / r['seconds']:.1f} pages/s")
        print(f"boxes: {r['boxes']}, accuracy {r['box_accuracy']:.4%}")
        print("confusion (rows: truth, columns: read): " + " ".join(f"{s:>10}" for s in STATES))
        for t in ("empty", "marked", "cancelled"):
            print(f"{t:>40} " + " ".join(f"{r['confusion'][(t, s)]:>10}" for s in STATES))
        print(f"questions: {r['questions']}, correct without review {r['question_accuracy']:.3%}, "
              f"to review {r['review_share']:.3%}, silent errors {r['silent']} ({r['silent_share']:.3%}, "
              f"{r['silent_share'] * 10000:.1f} per 10,000 questions)")
        print_reliability(r["reliability"])
        habits = sorted({h for h, _ in r["habits"]} - {"-"})
        for habit in habits:
            counts = {o: r["habits"][(habit, o)] for o in ("correct", "review", "silent")}
            print(f"  habit {habit:>12}: " + ", ".join(f"{o} {n}" for o, n in counts.items()))
        print(f"pages set aside: {r['set_aside']}; pages read as another page: {r['wrong_pages']}")
        print(f"notes on pages read: {dict(r['details'])}")
        for example in r["silent_examples"]:
            print(f"  silent: sheet {example[0]} {example[1]} read {example[2]!r} ({example[3]}), truth {example[4]!r}"
                  + (f", habit {example[5]}" if example[5] else ""))
        if args.list_review:
            for item in r["review_list"]:
                print("  review: sheet {} p{} {} {} read {!r} truth {!r} habit {!r} notes {!r} boxes {}".format(*item))
    if args.calibrate:
        print_calibration(pooled)


if __name__ == "__main__":
    main()
