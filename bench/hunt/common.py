"""Shared harness of the silent-error hunt (bench/hunt/*.py): make filled sheets, damage them, scan
them with the ``omr scan`` CLI into a temporary SQLite database and compare what was stored with the truth.

Each hunt script builds sheets with :func:`make_sheets` (the simulator's answers drawn on omr's
printed form, RGB at 200 dpi before scanning), turns them into scan images its own way (a damage
function, then :func:`office_scan` or its own camera), writes them with :func:`write_pdf` or as
image files, and calls :func:`run_and_compare` with the truth of every page it put in the batch.

Counts printed (per question of every page that should be read):
  right-ok   stored ok/blank and equal to the truth
  review     stored with a status a person reviews (multiple, ambiguous, invalid)
  SILENT     stored ok/blank but different from the truth (the worst outcome)
  missing    no answer stored (its page set aside or never identified): shown as a missing page
  MISSING-AS-BLANK  a page known missing or set aside whose questions were stored as blank answers
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from omr.forms.layout import resolve_layout  # noqa: E402
from omr.forms.simulate import (Profile, SheetTruth, _BlankPages, choose_answers,  # noqa: E402
                                fill_page, scan_page)
from omr.forms.template import load_template  # noqa: E402

DPI = 200
REVIEW = ("multiple", "ambiguous", "invalid", "flagged")
TEMPLATE = ROOT / "form_templates" / "motcua-2026.yaml"
# Office scanning without the simulator's own accidents (no upside-down page, no photocopy): the
# hunt's damage is the only thing tested.
QUIET_OFFICE = Profile("quiet", 1.0, 2.0, 0.97, 4.0, 0.6, (80, 92), 0.0, 0.0, 0.0, False, faint_prob=0.0,
                       blue_prob=0.4)


@dataclass
class Sheet:
    truth: SheetTruth
    pages: dict[int, np.ndarray]  # page number -> RGB uint8 (filled, not scanned)
    blanks: dict[int, np.ndarray] = field(default_factory=dict)


_CACHE: dict = {}


def form():
    """(template, layout, blank RGB pages {page number: array}) of the motcua-2026 form at DPI."""
    if "form" not in _CACHE:
        template = load_template(TEMPLATE)
        layout = resolve_layout(template)
        _CACHE["form"] = (template, layout, _BlankPages(layout, DPI).pages)
    return _CACHE["form"]


def page_of_question() -> dict[str, int]:
    """Question id -> page number it is printed on (text questions included)."""
    _, layout, _ = form()
    out = {}
    for page in layout.pages:
        for box in page.checkboxes:
            out.setdefault(box.question, page.number)
        for region in page.text_regions:
            out.setdefault(region.field, page.number)
    return out


def make_sheets(n: int, rng: np.random.Generator, first_serial: int = 1, unit: str | None = "30001",
                comment_share: float = 0.0) -> list[Sheet]:
    """``n`` filled sheets (black or blue ballpoint, no faint pen), serials from ``first_serial``."""
    template, layout, blanks = form()
    out = []
    for serial in range(first_serial, first_serial + n):
        truth = choose_answers(template, serial, rng, unit, comment_share)
        truth.ink = "blue" if rng.random() < 0.4 else "black"
        pages = {p.number: fill_page(blanks[p.number], p, truth, DPI, rng, False) for p in layout.pages}
        out.append(Sheet(truth, pages, blanks))
    return out


def office_scan(rgb: np.ndarray, rng: np.random.Generator, profile: Profile = QUIET_OFFICE) -> bytes:
    """JPEG bytes of ``rgb`` through an office scanner (the simulator's scan_page)."""
    data, _ = scan_page(rgb, profile, DPI, rng, False)
    return data


def encode_jpeg(img: np.ndarray, quality: int = 88, dpi: int = DPI) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality, dpi=(dpi, dpi))
    return buf.getvalue()


def write_pdf(images: list[bytes], path: Path) -> None:
    """One A4 PDF page per JPEG/PNG image, in order."""
    import img2pdf

    layout_fun = img2pdf.get_layout_fun((img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297)))
    with open(path, "wb") as fh:
        img2pdf.convert(images, layout_fun=layout_fun, outputstream=fh, rotation=img2pdf.Rotation.ifvalid)


def run_omr(inputs: list[Path], db: Path, workers: int = 1) -> subprocess.CompletedProcess:
    """``omr scan`` (this worktree's code) on ``inputs`` into the SQLite file ``db``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "omr", "scan", "--db", str(db), "--batch", "hunt", "--workers", str(workers),
           "--templates", str(ROOT / "form_templates"), *map(str, inputs)]
    proc = subprocess.run(cmd, cwd=str(ROOT), env=env, capture_output=True, text=True)
    if proc.returncode not in (0,):
        print(f"omr scan exit {proc.returncode}: {proc.stderr[-2000:]}", file=sys.stderr)
    return proc


def stored(db: Path) -> tuple[dict, list]:
    """({serial: {question: (value, status)}}, [page rows (serial, page, set_aside, outcome, detail, index)]).

    An answer of a response carrying a flag (serial_conflict...) gets the status "flagged": a
    person decides on that response before its answers count. With two responses on one serial
    the last one read wins here (batch.py looks at those itself).
    """
    con = sqlite3.connect(str(db))
    answers: dict = {}
    flagged = {serial for serial, flags in con.execute("select serial, flags from responses") if flags}
    for serial, question, value, status in con.execute(
            "select r.serial, a.question, a.value, a.status from answers a join responses r on r.id = a.response_id"):
        if serial in flagged and status not in REVIEW:
            status = "flagged"  # the response waits for a person's decision (e.g. serial_conflict)
        answers.setdefault(serial, {})[question] = (json.loads(value) if value is not None else None, status)
    pages = list(con.execute("select serial, page, set_aside, outcome, detail, page_index from pages order by id"))
    con.close()
    return answers, pages




def compare(answers: dict, truths: dict[int, dict], expect: dict[int, set[int]], missing: dict[int, set[int]],
            examples: int = 200) -> Counter:
    """Counts over the truth's questions. ``expect``: serial -> pages put in the batch readable;
    ``missing``: serial -> pages deliberately absent or unreadable (their questions must not be blank).

    A question of a page in ``expect`` stored as ok/blank with another value is SILENT; a question
    of a page in ``missing`` stored ok/blank is MISSING-AS-BLANK (if blank) or SILENT.
    """
    where = page_of_question()
    counts: Counter = Counter()
    shown = 0
    for serial, truth in truths.items():
        got = answers.get(serial, {})
        for qid, want in truth["answers"].items():
            page = where.get(qid)
            if _is_text(qid):
                continue  # comments are not hunted here
            if page in missing.get(serial, set()):
                if qid in got and got[qid][1] not in REVIEW:
                    counts["MISSING-AS-BLANK" if got[qid][1] == "blank" else "SILENT"] += 1
                    if shown < examples:
                        shown += 1
                        print(f"  missing page {page} of {serial}: {qid} stored {got[qid]}")
                else:
                    counts["missing-ok"] += 1
                continue
            if page not in expect.get(serial, set()):
                continue
            if qid not in got:
                counts["missing"] += 1
                continue
            value, status = got[qid]
            if status in REVIEW:
                counts["review"] += 1
            elif _same(value, status, want):
                counts["right-ok"] += 1
            else:
                counts["SILENT"] += 1
                if shown < examples:
                    shown += 1
                    print(f"  SILENT sheet {serial} p{page} {qid}: stored {value!r} ({status}), truth {want!r}, "
                          f"boxes {truth['boxes'].get(qid)}")
    return counts


def _is_text(qid: str) -> bool:
    if "text_ids" not in _CACHE:
        template, _, _ = form()
        _CACHE["text_ids"] = {q.id for q in template.questions if q.type == "text"}
    return qid in _CACHE["text_ids"]


def _same(value, status: str, want) -> bool:
    if status == "blank":
        return want in (None, [])
    if isinstance(want, list):
        return isinstance(value, list) and sorted(value) == sorted(want)
    return value == want


def parser(doc: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--n", type=int, default=10, help="sheets (or cases) to make")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--keep", metavar="DIR", help="keep the scans, truth and database in DIR")
    p.add_argument("--workers", type=int, default=1)
    return p


def run_and_compare(args, inputs: dict[str, bytes], truths: dict[int, dict], expect: dict[int, set[int]],
                    missing: dict[int, set[int]] | None = None, label: str = "") -> Counter:
    """Write ``inputs`` (file name -> bytes) to a folder, ``omr scan`` it, compare, print the counts."""
    tmp = Path(tempfile.mkdtemp(prefix="hunt-"))
    scans = tmp / "scans"
    scans.mkdir()
    for name, data in inputs.items():
        (scans / name).write_bytes(data)
    (tmp / "truth.jsonl").write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in truths.values()))
    db = tmp / "hunt.sqlite"
    proc = run_omr([scans], db, args.workers)
    answers, pages = stored(db) if db.exists() else ({}, [])
    counts = compare(answers, truths, expect, missing or {})
    set_aside = Counter(p[2] for p in pages if p[2])
    outcomes = Counter(p[3] for p in pages)
    print(f"{label}: right-ok {counts['right-ok']}, to-review {counts['review']}, SILENT {counts['SILENT']}, "
          f"missing {counts['missing']}, missing-page-as-blank {counts['MISSING-AS-BLANK']} "
          f"(missing pages kept out {counts['missing-ok']}); pages {len(pages)} {dict(outcomes)}, "
          f"set aside {dict(set_aside)}; omr exit {proc.returncode}")
    if args.keep:
        keep = Path(args.keep)
        keep.mkdir(parents=True, exist_ok=True)
        for item in tmp.iterdir():
            dest = keep / item.name
            if dest.exists():
                shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
            shutil.move(str(item), str(dest))
        (keep / "omr_stdout.txt").write_text(proc.stdout + "\n--- stderr\n" + proc.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    return counts


def truths_of(sheets: list[Sheet]) -> dict[int, dict]:
    return {s.truth.serial: s.truth.to_json() for s in sheets}


def all_pages(sheets: list[Sheet]) -> dict[int, set[int]]:
    return {s.truth.serial: set(s.pages) for s in sheets}


def pdf_bytes(images: list[bytes]) -> bytes:
    """The bytes of a PDF holding ``images`` (see write_pdf)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.pdf"
        write_pdf(images, path)
        return path.read_bytes()


def px(mm: float) -> int:
    return int(round(mm * DPI / 25.4))


def boxes_of(page_number: int):
    """The printed checkboxes of a page (omr.forms Checkbox: x, y, w, h mm; question; option)."""
    _, layout, _ = form()
    return next(p for p in layout.pages if p.number == page_number).checkboxes


def marked_boxes(sheet: Sheet, page_number: int, states=("marked",)):
    """Checkboxes of a page the truth marks (state in ``states``)."""
    return [b for b in boxes_of(page_number) if sheet.truth.boxes.get(b.question, {}).get(b.option) in states]


def run_damaged(args, damage, with_truth: bool = False) -> None:
    """For each kind of ``args.kind`` (comma-separated): ``args.n`` sheets whose every page is damaged in
    place by ``damage(img, page number, rng, kind)`` (img: RGB uint8 at DPI; with ``with_truth``, the
    sheet's SheetTruth is passed fifth, for damage aimed at questions left blank), scanned by the quiet office
    profile into one PDF, read by `omr scan` and compared with the truth (:func:`run_and_compare`); with
    ``args.keep``, each kind's files in its own folder below it."""
    keep = args.keep
    for kind in args.kind.split(","):
        rng = np.random.default_rng([args.seed, sum(map(ord, kind))])
        sheets = make_sheets(args.n, rng)
        images = []
        for s in sheets:
            for number in sorted(s.pages):
                img = s.pages[number].copy()
                damage(img, number, rng, kind, *((s.truth,) if with_truth else ()))
                images.append(office_scan(img, rng))
        args.keep = f"{keep}/{kind}" if keep else None
        run_and_compare(args, {"batch.pdf": pdf_bytes(images)}, truths_of(sheets), all_pages(sheets), label=kind)
    args.keep = keep


def run_kinds(doc: str, kinds: str, page_image, make=None) -> None:
    """A hunt script's whole command line: the common options plus ``--kind`` (default ``kinds``, comma-separated),
    then :func:`run_pages`."""
    p = parser(doc)
    p.add_argument("--kind", default=kinds)
    run_pages(p.parse_args(), page_image, make)


def run_pages(args, page_image, make=None) -> None:
    """For each kind of ``args.kind``: ``args.n`` sheets (``make(n, rng, kind)``, default
    :func:`make_sheets`), every page turned into scan bytes by ``page_image(sheet, page layout, rng,
    kind)`` (the damage and the scanner both its own), read by `omr scan` and compared with the
    sheets' truth, which ``page_image`` may change (what the respondent meant)."""
    _, layout, _ = form()
    keep = args.keep
    for kind in args.kind.split(","):
        rng = np.random.default_rng([args.seed, sum(map(ord, kind))])
        sheets = make(args.n, rng, kind) if make else make_sheets(args.n, rng)
        images = [page_image(s, pl, rng, kind) for s in sheets for pl in layout.pages]
        args.keep = f"{keep}/{kind}" if keep else None
        run_and_compare(args, {"batch.pdf": pdf_bytes(images)}, truths_of(sheets), all_pages(sheets), label=kind)
    args.keep = keep



def ink_of(truth) -> tuple[int, int, int]:
    """The respondent's pen colour (RGB) on this sheet, as the simulator draws it."""
    return (35, 55, 150) if truth.ink == "blue" else (25, 25, 25)


def redraw_questions(sheet: Sheet, pl, rng: np.random.Generator, share: float, types=("scale", "single", "yesno"),
                     ) -> tuple[np.ndarray, list]:
    """The page drawn again without the marks of some questions answered with one marked box.

    Each such question (of a type in ``types``) is chosen with chance ``share``; returns (RGB page,
    [(question id, its marked Checkbox, the question's Checkboxes)]) for the caller to draw those
    answers its own way. The truth is left as it was (what the respondent meant)."""
    import copy

    template, _, blanks = form()
    kinds = {q.id: q.type for q in template.questions}
    t = sheet.truth
    qs = sorted({b.question for b in pl.checkboxes if kinds.get(b.question) in types
                 and list(t.boxes.get(b.question, {}).values()) == ["marked"]})
    chosen = [q for q in qs if rng.random() < share]
    draw = copy.deepcopy(t)
    for q in chosen:
        draw.boxes[q] = {}
    img = fill_page(blanks[pl.number], pl, draw, DPI, rng, False)
    out = []
    for q in chosen:
        want = next(iter(t.boxes[q]))
        boxes = [b for b in pl.checkboxes if b.question == q]
        out.append((q, next(b for b in boxes if b.option == want), boxes))
    return img, out
