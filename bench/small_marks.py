#!/usr/bin/env python3
"""Small and light marks on omr's own printed form: silent errors and false alarms (branch hdot).

    .venv/bin/python bench/small_marks.py [--seeds 1,2,3] [--sheets 12] [--dpi 200,300] [--profiles office,harsh]

Each sheet is a page of form_templates/motcua-2026.yaml, printed and rasterised (the simulator's blank
pages), answered in the ordinary way (a cross or tick per question) except on a few target questions,
which get one variant each:

* ``dot``: a pen tap, a round dot 0.5-0.9 mm across, within 1 mm of the box centre, ink 55-90 % of
  black, nothing else in the question (truth: that box). Read blank and ok, the answer is lost.
* ``light``: a heavy cross in one box and a light thin cross (0.2 mm line, 30-50 % darkness) in another
  box of the same question. Either could be meant: read as the heavy box alone and ok is silent.
* ``dust``: a speck of dust 0.2-0.3 mm, ink 35-85 %, anywhere in a box of an unanswered question
  (truth: blank). Sent to review it is a false alarm (counted, not an error).

The page is scanned with the profile's artefacts (omr.forms.simulate.scan_page: noise, blur, JPEG or
1-bit) and read by omr.scan.page.process_page. Prints per profile and dpi the targets read silently
wrong (status ok and a value other than the truth; for ``light`` any ok), sent to review, and right,
plus the ordinary questions' silent errors.

Measured (branch hdot, --seeds 1,2,3 --sheets 12 --dpi 150,200,300, office and harsh; targets per
variant in all): dots silent 43 -> 3 of 343; light crosses silent 71 -> 58 of 353, all 1-bit scans (most erased
whole by the threshold: nothing left to see) but 7 grey at harsh 150 dpi (too faint for the trace and
thin-line tests); dust questions to review 46 -> 64 of 384 (most by the thin-line test, as before);
ordinary questions 0 silent, 0 review either way.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.qrcodes import PageIdentity  # noqa: E402
from omr.forms.simulate import PROFILES, _BlankPages, _draw_mark, _paste_identity, scan_page  # noqa: E402
from omr.forms.template import load_template  # noqa: E402
from omr.model import BLANK, NEEDS_REVIEW, OK  # noqa: E402
from omr.scan.ingest import RawPage  # noqa: E402
from omr.scan.page import Catalogue, process_page  # noqa: E402
from small_marks_fill import BLACK, draw_dot, draw_light_cross, draw_speck  # noqa: E402

VARIANTS = ("dot", "light", "dust")


class Form:
    """The printed form's blank pages at one dpi, its layout and the reading catalogue."""

    def __init__(self, dpi: int):
        self.template = load_template(ROOT / "form_templates" / "motcua-2026.yaml")
        self.layout = resolve_layout(self.template, freeze=False)
        self.blanks = _BlankPages(self.layout, dpi).pages
        self.catalogue = Catalogue.from_folder(ROOT / "form_templates")
        self.types = {q.id: q.type for q in self.template.questions}
        self.dpi = dpi

    def sheet(self, number: int, serial: int):
        """(image, {question: {option: Checkbox}}) of a blank page with its identity pasted."""
        page = self.layout.page(number)
        img = self.blanks[number].copy()
        _paste_identity(img, page, PageIdentity(self.template.form_id, self.template.version, number, serial, None),
                        self.dpi)
        questions: dict[str, dict] = {}
        for box in page.checkboxes:
            if self.types.get(box.question) in ("single", "scale"):
                questions.setdefault(box.question, {})[box.option] = box
        return img, questions


def make_sheet(form: Form, number: int, rng: np.random.Generator, variants: tuple[str, ...], targets: int = 5):
    """A page with ``targets`` questions carrying a variant each (drawn from ``variants``), the rest
    answered by a plain cross or tick. Returns (image, {question: (variant, truth option or None,
    option of the box the variant's small mark is in)},
    {question: option} of the ordinary answers)."""
    img, questions = form.sheet(number, int(rng.integers(1, 999)))
    ids = sorted(q for q in questions if len(questions[q]) > 1)
    chosen = [str(q) for q in rng.choice(ids, size=min(targets, len(ids)), replace=False)]
    special: dict[str, tuple[str, str | None, str]] = {}
    for qid in chosen:
        variant = str(rng.choice(variants))
        options = sorted(questions[qid])
        if variant == "dot":
            option = str(rng.choice(options))
            draw_dot(img, questions[qid][option], form.dpi, rng)
            special[qid] = ("dot", option, option)
        elif variant == "light":
            heavy, light = (str(o) for o in rng.choice(options, size=2, replace=False))
            _draw_mark(img, questions[qid][heavy], "cross", form.dpi, BLACK, rng, float(rng.uniform(0.4, 0.6)))
            draw_light_cross(img, questions[qid][light], form.dpi, rng)
            special[qid] = ("light", heavy, light)
        else:
            option = str(rng.choice(options))
            draw_speck(img, questions[qid][option], form.dpi, rng)
            special[qid] = ("dust", None, option)
    answers = {}
    for qid, boxes in sorted(questions.items()):
        if qid in special:
            continue
        option = str(rng.choice(sorted(boxes)))
        _draw_mark(img, boxes[option], str(rng.choice(["cross", "tick"])), form.dpi, BLACK, rng,
                   float(rng.uniform(0.35, 0.55)))
        answers[qid] = option
    return img, special, answers


def read(form: Form, img: np.ndarray, profile: str, rng: np.random.Generator):
    """The page scanned with ``profile``'s artefacts and read: (PageResult, {question: QuestionRead},
    scan kind 'jpeg' or '1-bit')."""
    data, kind = scan_page(img, PROFILES[profile], form.dpi, rng, upside_down=False)
    grey = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
    result = process_page(RawPage("variant.png", 0, grey), form.catalogue)
    return result, {q.question: q for q in result.questions}, kind


def outcome(variant: str, truth: str | None, q) -> str:
    """'silent', 'review' or 'right' for a target question's read."""
    if q.status in NEEDS_REVIEW:
        return "review"
    if variant == "light":
        return "silent" if q.status == OK else "right"
    if variant == "dust":
        return "right" if q.status == BLANK else "silent"
    return "right" if q.status == OK and q.value == truth else "silent"


def run(seeds: list[int], sheets: int, dpis: list[int], profiles: list[str], verbose: bool) -> Counter:
    counts: Counter = Counter()
    for dpi in dpis:
        form = Form(dpi)
        for profile in profiles:
            for seed in seeds:
                rng = np.random.default_rng([seed, dpi, PROFILES[profile].noise_sigma.__int__()])
                for sheet in range(sheets):
                    img, special, answers = make_sheet(form, 1 + sheet % 2, rng, VARIANTS)
                    result, reads, kind = read(form, img, profile, rng)
                    if result.set_aside:
                        counts[(profile, dpi, "set_aside")] += 1
                        continue
                    for qid, (variant, truth, _) in special.items():
                        q = reads[qid]
                        got = outcome(variant, truth, q)
                        counts[(profile, dpi, variant, got)] += 1
                        if kind == "1-bit":
                            counts[(profile, dpi, variant, got, kind)] += 1
                        if got == "silent" and verbose:
                            boxes = [(b.option, b.state, b.fill, b.darkness) for b in result.boxes
                                     if b.question == qid and (b.state != "empty" or b.fill > 0.005)]
                            print(f"  silent {profile} {dpi} {kind} seed {seed} sheet {sheet} {variant} {qid}: truth "
                                  f"{truth} read {q.value!r} {q.status} {boxes}")
                    for qid, option in answers.items():
                        q = reads[qid]
                        got = "review" if q.status in NEEDS_REVIEW else ("right" if q.value == option else "silent")
                        counts[(profile, dpi, "plain", got)] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--sheets", type=int, default=12)
    parser.add_argument("--dpi", default="200,300")
    parser.add_argument("--profiles", default="office,harsh")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    counts = run([int(s) for s in args.seeds.split(",")], args.sheets, [int(d) for d in args.dpi.split(",")],
                 args.profiles.split(","), args.verbose)
    for profile in args.profiles.split(","):
        for dpi in [int(d) for d in args.dpi.split(",")]:
            line = [f"{profile:7s} {dpi} dpi"]
            for variant in VARIANTS + ("plain",):
                n = sum(counts[(profile, dpi, variant, k)] for k in ("silent", "review", "right"))
                line.append(f"{variant}: {counts[(profile, dpi, variant, 'silent')]} silent "
                            f"({counts[(profile, dpi, variant, 'silent', '1-bit')]} 1-bit), "
                            f"{counts[(profile, dpi, variant, 'review')]} review / {n}")
            print("  ".join(line))


if __name__ == "__main__":
    main()
