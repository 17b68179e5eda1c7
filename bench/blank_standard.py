"""omr's own printed blank through ``omr template from-blank``, question by question against its template (#16).

An office uploads omr's own form (or a Word copy of it) as a blank: the template made from it must hold
the standard questions, labelled from the print, each choice question its own boxes, the date's digits as
number fields (``labels``), and the editor must propose the standard question of each scale and yes/no
question (omr.web.template_drafts._suggest, as the editor shows it). Inputs, each made here from ``form_templates/motcua-2026.yaml``:

- ``pdf``: the printed PDF (words from its text layer);
- ``png200``, ``png300``: that PDF rendered by pdfium at 200 and 300 dpi (words by Tesseract);
- ``scan200``: the 200 dpi page through the simulator's office scan (noise, blur, JPEG, photocopy, 1-bit;
  no turn, shift or shrink, so that the layout's millimetres stay the truth).

Prints per input: truth questions (a date's five digit rows count as five), questions grouped as printed,
question texts as printed, option labels as printed, links proposed right (scale and yes/no questions),
number fields (a date's day and month tens + units joined); then every difference, one a line.

    .venv/bin/python bench/blank_standard.py [--only pdf png200 png300 scan200] [--quiet]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from blank_sources import omr_blank_pdf, render_pdf  # noqa: E402

from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.simulate import PROFILES, scan_page  # noqa: E402
from omr.forms.template import load_template  # noqa: E402
from omr.template_from.blank import from_blank  # noqa: E402
from omr.text.normalise import fold  # noqa: E402

# The editor's proposal of a standard question for a drafted question (shown in «Tính vào chỉ số»).
from omr.web.template_drafts import _suggest as suggest_link  # noqa: E402

NUMBERING = re.compile(r"^\s*([A-ZĐ]\d{1,2}|câu\s*\d+)[.:)]\s*", re.IGNORECASE)
HINT = re.compile(r"\s*\((có thể chọn nhiều ô|đánh dấu từng chữ số[^)]*)\)\s*", re.IGNORECASE)
INPUTS = ("pdf", "png200", "png300", "scan200")


def _plain(text: str) -> str:
    """A question's text without its printed number, hint and final colon, folded."""
    return fold(HINT.sub(" ", NUMBERING.sub("", text or "")).strip(" :?"))


def truth_of(template, layout) -> tuple[dict, dict]:
    """(truth key -> [(page, rect mm, label)], truth key -> (standard qid, text, type)).

    A date's digit rows are keys "A1/day_tens" …, labelled with their digit."""
    options = {}
    meta = {}
    for page in layout.pages:
        for c in page.checkboxes:
            q = template.question(c.question)
            key = c.question + ("/" + c.option.split(":")[0] if ":" in c.option else "")
            if q.type == "date":
                label = c.option.split(":")[1]
            else:
                label = next(o.label for o in q.options if o.code == c.option)
            options.setdefault(key, []).append((page.number, (c.x, c.y, c.w, c.h), label))
            meta[key] = (q.id, q.text, q.type)
    return options, meta


def _inputs(folder: Path, only: list[str]) -> dict[str, Path]:
    pdf = omr_blank_pdf(folder)
    out = {}
    if "pdf" in only:
        out["pdf"] = pdf
    for name in only:
        if name == "pdf":
            continue
        dpi = int(re.sub(r"\D", "", name))
        pages = render_pdf(pdf, dpi)
        if name.startswith("scan"):
            profile = dataclasses.replace(PROFILES["office"], rotation_deg=0.0, shift_mm=0.0, scale_min=1.0)
            rng = np.random.default_rng(16)
            scanned = []
            for grey, _ in pages:
                data, _ = scan_page(cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB), profile, dpi, rng, False)
                scanned.append(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE))
            images = scanned
        else:
            images = [grey for grey, _ in pages]
        path = folder / f"{name}.tif"
        cv2.imwritemulti(str(path), images)
        out[name] = path
    return out


def compare(name: str, blank: Path, folder: Path, template, layout, standard) -> tuple[dict, list[str]]:
    """Figures and the differences (one line each) of one input's template against the truth."""
    truth, meta = truth_of(template, layout)
    start = time.process_time()
    from_blank(blank, folder / f"{name}.yaml")
    seconds = time.process_time() - start
    made = load_template(folder / f"{name}.yaml")
    pinned = made.extra["pinned"]
    rects = {n: (page["page"], r) for page in pinned["pages"] for n, r in page["boxes"].items()}
    where = {}  # truth (key, index) -> found box number
    for key, options in truth.items():
        for k, (page, (x, y, w, h), _) in enumerate(options):
            cx, cy = x + w / 2, y + h / 2
            best = min(((np.hypot(r[0] + r[2] / 2 - cx, r[1] + r[3] / 2 - cy), n) for n, (p, r) in rects.items()
                        if p == page), default=(99.0, None))
            if best[0] < 1.6:
                where[(key, k)] = best[1]
    found_q = {}  # box number -> (question, option)
    for n, (qid, code) in pinned["assign"].items():
        found_q[n] = (made.question(qid), code)
    diffs = []
    figures = dict.fromkeys(("questions", "grouped", "texts", "labels", "options", "links_right", "links",
                             "numbers_right", "numbers"), 0)
    own_of: dict[str, str] = {}
    for key, options in truth.items():
        figures["questions"] += 1
        qid, text, qtype = meta[key]
        numbers = [where.get((key, k)) for k in range(len(options))]
        if None in numbers:
            diffs.append(f"{name} {key}: {numbers.count(None)} of {len(options)} boxes not found")
            continue
        owners = {found_q[n][0].id if n in found_q else None for n in numbers}
        if len(owners) != 1 or None in owners:
            diffs.append(f"{name} {key}: boxes in questions {sorted(map(str, owners))}")
            continue
        own = made.question(owners.pop())
        own_of[key] = own.id
        if len(own.options) != len(options):
            diffs.append(f"{name} {key}: grouped with other boxes ({own.id}, {len(own.options)} boxes)")
            continue
        figures["grouped"] += 1
        wanted_text = text if qtype != "date" else text
        if _plain(wanted_text) in _plain(own.text) and (qtype == "date" or _plain(wanted_text) == _plain(own.text)):
            figures["texts"] += 1
        else:
            diffs.append(f"{name} {key} text: {own.text!r} (printed {text!r})")
        by_number = {pinned_n: code for pinned_n, (_, code) in found_q.items()}
        own_labels = {o.code: o.label for o in own.options}
        for k, (_, _, label) in enumerate(options):
            figures["labels"] += 1
            got = own_labels.get(by_number[numbers[k]], "")
            if fold(got) == fold(label):
                figures["options"] += 1
            else:
                diffs.append(f"{name} {key} option {k + 1}: {got!r} (printed {label!r})")
        if qtype in ("scale", "yesno"):
            figures["links"] += 1
            suggested = suggest_link(own.text, [o.label for o in own.options], standard)
            if suggested and suggested["question"] == qid:
                figures["links_right"] += 1
            else:
                diffs.append(f"{name} {key}: link proposed {suggested} (wanted {qid})")
    joined = {tuple(parts) for parts in made.extra.get("labels", {}).values()}
    for a, b in (("A1/day_tens", "A1/day_units"), ("A1/month_tens", "A1/month_units")):
        figures["numbers"] += 1
        if (own_of.get(a), own_of.get(b)) in joined:
            figures["numbers_right"] += 1
        else:
            diffs.append(f"{name} {a}+{b}: not one number field (labels {made.extra.get('labels')})")
    extra = [q.id for q in made.questions if q.type != "text" and q.id not in own_of.values()]
    if extra:
        diffs.append(f"{name}: questions matching no printed question: {extra}")
    figures["cpu"] = seconds
    return figures, diffs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=INPUTS, default=list(INPUTS))
    parser.add_argument("--quiet", action="store_true", help="figures only, no list of differences")
    args = parser.parse_args()
    template = load_template(ROOT / "form_templates" / "motcua-2026.yaml")
    layout = resolve_layout(template)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inputs = _inputs(folder, args.only)
        print(f"{'input':8s} {'grouped':>9s} {'texts':>9s} {'labels':>9s} {'links':>7s} {'numbers':>7s} {'cpu s':>6s}")
        all_diffs = []
        for name, path in inputs.items():
            f, diffs = compare(name, path, folder, template, layout, template)
            all_diffs += diffs
            print(f"{name:8s} {f['grouped']:4d}/{f['questions']:<4d} {f['texts']:4d}/{f['questions']:<4d} "
                  f"{f['options']:4d}/{f['labels']:<4d} {f['links_right']:3d}/{f['links']:<3d} "
                  f"{f['numbers_right']:3d}/{f['numbers']:<3d} {f['cpu']:6.1f}")
        if not args.quiet:
            print("\n".join(all_diffs))


if __name__ == "__main__":
    main()
