#!/usr/bin/env python3
"""Writing beside the boxes instead of in them: caught (to review) or silent (blank ok)? (branch hdate)

    .venv/bin/python bench/area_writing.py [--sheets 52] [--profiles office,harsh] [--seed 7] [--clean]

Each simulated sheet (omr.forms.simulate: answers, pens, scanning profile) leaves the date (A1) and one
choice question of each page unanswered, and writes beside their boxes instead
(omr.forms.simulate_beside: figures after the «Ngày» row or the «Năm» row, under the grid; a word or figure
after, under, above or between a choice question's options), in black, blue, dark or light pencil. A
question so written is *caught* when it goes to review, *silent* when it is read blank (or ok). With
``--clean`` nothing is written: the same questions, blank, must stay blank (false flags counted).
Prints counts per profile, place and pen, the misses, and the CPU time of the check
(``omr.scan.page._review_writing_in_areas``, time.process_time) per page; ``--ordinary``: sheets as the
simulator answers them (nothing blanked on purpose, nothing written), for the check's cost on usual pages.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from omr.forms import simulate as sim  # noqa: E402
from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.simulate_beside import (CHOICE_PLACES, CHOICE_TEXTS, DATE_PLACES, DATE_TEXTS, PENS,  # noqa: E402
                                       write_beside)
from omr.forms.template import load_template  # noqa: E402
from omr.model import BLANK, NEEDS_REVIEW  # noqa: E402
from omr.scan import page as page_mod  # noqa: E402
from omr.scan.catalogue import Catalogue  # noqa: E402
from omr.scan.form_print import question_areas  # noqa: E402
from omr.scan.ingest import RawPage  # noqa: E402

CHOICES = {1: ("A2", "A3", "A4", "A5", "A6", "A7", "C4", "C5"), 2: ("E1", "F1", "F3", "H2")}
PEN_NAMES = {PENS[0]: "black", PENS[1]: "blue", PENS[2]: "pencil100", PENS[3]: "pencil150"}

_cpu = [0.0, 0]
DUMP = ""  # a folder to save the missed questions' areas in (before scanning), or ""
_original = page_mod._review_writing_in_areas


_measured: dict[str, float] = {}
_page_cpu = [0.0]
_original_search = page_mod.writing_in_areas


def _measuring(*args, **kwargs):
    """writing_in_areas with no minimum: every searched question's total kept in _measured."""
    import omr.tuning as T

    keep = T.OWN_WRITING_MIN_MM2
    T.OWN_WRITING_MIN_MM2 = 0.0
    try:
        found = _original_search(*args, **kwargs)
    finally:
        T.OWN_WRITING_MIN_MM2 = keep
    _measured.clear()
    _measured.update({q: a for q, a in found.items()})
    _measured.update({q: 0.0 for q in args[5] if q not in found})
    return {q: a for q, a in found.items() if a >= keep}


def _timed(*args, **kwargs):
    start = time.process_time()
    try:
        return _original(*args, **kwargs)
    finally:
        _cpu[0] += time.process_time() - start
        _cpu[1] += 1


def run(profile_name: str, sheets: int, seed: int, clean: bool, dpi: int = 200, ordinary: bool = False) -> dict:
    template = load_template(ROOT / "form_templates" / "motcua-2026.yaml")
    layout = resolve_layout(template)
    catalogue = Catalogue.from_folder(ROOT / "form_templates")
    profile = sim.PROFILES[profile_name]
    blanks = sim._BlankPages(layout, dpi).pages
    rng = np.random.default_rng(seed)
    counts: Counter = Counter()
    misses, false_flags = [], []
    sizes, clean_sizes = [], []  # mm² measured: written questions; blank questions with nothing written
    for serial in range(1, sheets + 1):
        truth = sim.choose_answers(template, serial, rng, None)
        truth.ink = "blue" if rng.random() < profile.blue_prob else "black"
        faint = truth.faint = bool(rng.random() < profile.faint_prob)
        targets = {1: ["A1", str(rng.choice(CHOICES[1]))], 2: [str(rng.choice(CHOICES[2]))]}
        if ordinary:  # the sheet as answered: nothing left blank on purpose, nothing written
            targets = {1: [], 2: []}
        for qs in targets.values():
            for q in qs:
                truth.boxes[q], truth.mark_styles[q] = {}, {}
        for page in layout.pages:
            img = sim.fill_page(blanks[page.number], page, truth, dpi, rng, faint)
            written = {}
            for q in targets[page.number]:
                date = q == "A1"
                place = str(rng.choice(DATE_PLACES if date else CHOICE_PLACES))
                text = str(rng.choice(DATE_TEXTS if date else CHOICE_TEXTS))
                pen = PENS[int(rng.integers(len(PENS)))]
                if not clean:
                    write_beside(img, page, q, place, text, dpi, pen, rng)
                written[q] = (place, text, PEN_NAMES[pen])
            if profile.dust_specks:
                sim.add_dust(img, rng.poisson(profile.dust_specks), rng)
            data, kind = sim.scan_page(img, profile, dpi, rng, upside_down=False)
            raw = RawPage(f"s{serial}p{page.number}", 0, np.asarray(Image.open(io.BytesIO(data)).convert("L")))
            _measured.clear()
            start = time.process_time()
            result = page_mod.process_page(raw, catalogue)
            _page_cpu[0] += time.process_time() - start
            counts["pages"] += 1
            if result.set_aside is not None:
                counts["set_aside"] += 1
                continue
            reads = {q.question: q for q in result.questions}
            for q, (place, text, pen) in written.items():
                read = reads[q]
                caught = read.status in NEEDS_REVIEW
                key = "date" if q == "A1" else "choice"
                if clean:
                    counts["clean_blank"] += 1
                    if caught:
                        counts["false_flag"] += 1
                        false_flags.append((serial, page.number, q, read.status, kind, result.detail))
                    continue
                counts["variants"] += 1
                sizes.append(_measured.get(q, -1.0))
                counts["caught" if caught else "silent"] += 1
                counts[f"{key}:{place}:{'caught' if caught else 'silent'}"] += 1
                counts[f"pen:{pen}:{'caught' if caught else 'silent'}"] += 1
                if not caught:
                    misses.append((serial, page.number, q, place, text, pen, kind, read.status == BLANK))
                    if DUMP:
                        x0, y0, x1, y1 = question_areas(layout, page)[q]
                        k = dpi / 25.4
                        crop = img[int(y0 * k):int(y1 * k), int(x0 * k):int(x1 * k)]
                        Image.fromarray(crop).save(f"{DUMP}/{profile_name}-{serial}-{page.number}-{q}.png")
                        Image.fromarray(raw.image).save(f"{DUMP}/scan-{profile_name}-{serial}-{page.number}.png")
            clean_sizes.extend(a for q, a in _measured.items() if clean or q not in written)
            # Questions not targeted, flagged by this check: the writing of a target reaching them, or noise.
            for q, read in reads.items():
                if q not in written and "có chữ viết ngoài ô" in result.detail and q in result.detail.split(
                        "có chữ viết ngoài ô của câu ")[-1].split(";")[0].split(", "):
                    counts["other_flagged"] += 1
                    if DUMP:
                        x0, y0, x1, y1 = question_areas(layout, page)[q]
                        k = dpi / 25.4
                        crop = img[int(y0 * k):int(y1 * k), int(x0 * k):int(x1 * k)]
                        Image.fromarray(crop).save(f"{DUMP}/flag-{profile_name}-{serial}-{page.number}-{q}.png")
    return {"counts": counts, "misses": misses, "false_flags": false_flags, "sizes": sizes,
            "clean_sizes": clean_sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=52)
    parser.add_argument("--profiles", default="office,harsh")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clean", action="store_true")
    parser.add_argument("--ordinary", action="store_true",
                        help="sheets as the simulator answers them (no question blanked, nothing written): CPU")
    parser.add_argument("--sizes", action="store_true", help="print the stroke areas measured (mm²)")
    parser.add_argument("--dump", default="", help="save the missed questions' areas (PNG) in this folder")
    args = parser.parse_args()
    global DUMP
    DUMP = args.dump
    page_mod._review_writing_in_areas = _timed
    if args.sizes:
        page_mod.writing_in_areas = _measuring
    for name in args.profiles.split(","):
        _cpu[:] = [0.0, 0]
        _page_cpu[0] = 0.0
        out = run(name, args.sheets, args.seed, args.clean or args.ordinary, ordinary=args.ordinary)
        c = out["counts"]
        print(f"== {name}: {dict(sorted(c.items()))}")
        if not (args.clean or args.ordinary):
            print(f"   caught {c['caught']} of {c['variants']}, silent {c['silent']}")
        for miss in out["misses"]:
            print("   miss", miss)
        for flag in out["false_flags"]:
            print("   false flag", flag)
        if args.sizes:
            print("   written:", sorted(round(a, 1) for a in out["sizes"]))
            print("   nothing written (largest 20):", sorted(round(a, 2) for a in out["clean_sizes"])[-20:])
        if _cpu[1]:
            print(f"   check CPU {1000 * _cpu[0] / _cpu[1]:.2f} ms per page over {_cpu[1]} pages "
                  f"(the whole page's reading: {1000 * _page_cpu[0] / _cpu[1]:.1f} ms)")


if __name__ == "__main__":
    main()
