"""Silent-error hunt on forms designed elsewhere (issue #16): people's habits and scanning damage on
OMRChecker's real filled sheets and on the office blanks, read through the scan pipeline.

Sources (``--source``):
- ``omrchecker``: the real scans of ../shared/data/external/omrchecker (each sample's ``template.json``
  imported as ``omr template import-omrchecker`` does). The truth of a question is the answer read on the
  undamaged sheet when omr reads its field as OMRChecker does, status ok; fields where the two differ or
  omr sends the field to review are not counted. Habits are drawn in the template's mm space at 200 dpi
  and laid on the scan through the page's homography (``PageResult.homography``).
- ``office``: the LibreOffice blanks of tests/data/office-blanks (``omr template from-blank``), rendered at
  200 dpi; every question is answered (a cross or a fill, 15 % left blank; truth = what was drawn), the
  habits drawn, then photocopied as tests/office_fill.py does (turned, rescaled, blurred, grey, noisy).
- ``styles``: the same with the held-out blanks of tests/data/office-blanks-styles (styles the others lack).

Kinds (``--kind``), truth = what a person means; "review" = the question must go to a person:
- ``clean``: no damage (control).
- ``cross`` / ``tick``: a cross or a tick, not a fill, in one box of a blank question (truth: that box).
- ``rubbed``: an answered question's mark rubbed out (its box's inside lightened to 15-35 % of its
  darkness, the print with it) and another box of it filled (truth: the new box).
- ``scribbled``: an answered question's mark scribbled over past its box, another box filled beside it
  (truth: the new box).
- ``two``: a second box filled in a single-answer question (truth: review).
- ``pencil``: a light pencil fill (35-55 % dark) in one box of a blank question (truth: that box).
- ``half``: a box half filled (its lower or left 45-60 %) in a blank question (truth: that box).
- ``stray``: a pen line across a question's row of boxes, 3-8 mm past both ends (truth unchanged).
- ``dark`` / ``light``: the sheet photocopied darker (gamma 1.5-2.2, 10-30 levels down) / lighter
  (darkness x 0.4-0.6).
- ``binary``: a 1-bit scan (threshold 110-150, PNG).
- ``photo``: a phone photo: perspective (corners 1-5 % in), a desk round the sheet, a shadow
  (``omr.forms.simulate.cast_shadow``), blur, JPEG quality 70-85.

Counts per kind: right-ok (ok/blank and equal to the truth), review, SILENT (ok/blank and not the
truth), missing (page set aside). Habits touch up to ``--per-page`` questions of a page.

    PYTHONPATH=. .venv/bin/python bench/hunt/elsewhere.py [--source omrchecker,office,styles] [--kind a,b]
        [--copies 1] [--seed 11] [--keep DIR] [--verbose]

Reading is in process (``omr.scan.page.process_page``, as bench/omrchecker_agreement.py), not through the
``omr scan`` CLI: the pages of these forms need no serial or QR code, and a database adds nothing here.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from omrchecker_agreement import DEFAULT_DATA, our_value, sample_sheets  # noqa: E402

from omr.forms.geometry import Checkbox  # noqa: E402
from omr.forms.simulate import _draw_mark, cast_shadow  # noqa: E402
from omr.model import NEEDS_REVIEW  # noqa: E402
from omr.scan.ingest import PageLoader  # noqa: E402
from omr.scan.page import Catalogue, process_page  # noqa: E402
from omr.template_from.omrchecker import expand_labels  # noqa: E402

DPI = 200
PPM = DPI / 25.4
REVIEW = "<review>"  # truth: the question must go to a person
HABITS = ("cross", "tick", "rubbed", "scribbled", "two", "pencil", "half", "stray")
DAMAGES = ("dark", "light", "binary", "photo")
KINDS = ("clean",) + HABITS + DAMAGES
PEN = (25, 25, 60)


@dataclass
class Sheet:
    """One page to damage: its grey image, mm -> px homography, the page size in mm, its boxes by
    question (Checkbox in mm), the truth by question ("" blank, codes joined) and the single-answer ones."""
    name: str
    grey: np.ndarray
    h_mm: np.ndarray
    size_mm: tuple[float, float]
    boxes: dict[str, list[Checkbox]]
    truth: dict[str, str]
    single: set[str]
    catalogue: Catalogue
    scan: object = None  # office: the photocopier applied after the habits (rng -> image)
    styles: dict = field(default_factory=dict)  # question -> how its answer was marked ("fill" when not drawn here)
    notes: list = field(default_factory=list)


def norm(read) -> str:
    return our_value(read)


# ---- drawing in mm space, laid on the image through the homography ----

def _layer(sheet: Sheet) -> np.ndarray:
    w, h = sheet.size_mm
    return np.full((int(h * PPM) + 2, int(w * PPM) + 2, 3), 255, np.uint8)


def _lay(sheet: Sheet, img: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """``img`` (grey) with the layer's ink (RGB, white paper) multiplied in, through the homography."""
    dark = (255.0 - cv2.cvtColor(layer, cv2.COLOR_RGB2GRAY).astype(np.float32)) / 255.0
    m = sheet.h_mm @ np.diag([1 / PPM, 1 / PPM, 1.0])
    warped = cv2.warpPerspective(dark, m, (img.shape[1], img.shape[0]), flags=cv2.INTER_LINEAR, borderValue=0)
    return np.clip(img.astype(np.float32) * (1.0 - warped), 0, 255).astype(np.uint8)


def _rub(sheet: Sheet, img: np.ndarray, box: Checkbox, keep: float) -> np.ndarray:
    """The inside of ``box`` (inset 12 %) and what spilled 0.6 mm round it lightened to ``keep`` of its
    darkness: an eraser takes the mark and some of the print."""
    mask = np.zeros(_layer(sheet).shape[:2], np.float32)
    pad = 0.6
    cv2.rectangle(mask, (int((box.x - pad) * PPM), int((box.y - pad) * PPM)),
                  (int((box.x + box.w + pad) * PPM), int((box.y + box.h + pad) * PPM)), 1.0, -1)
    m = sheet.h_mm @ np.diag([1 / PPM, 1 / PPM, 1.0])
    warped = cv2.warpPerspective(mask, m, (img.shape[1], img.shape[0]), flags=cv2.INTER_LINEAR, borderValue=0)
    warped = cv2.GaussianBlur(warped, (0, 0), 2.0)
    ink = 255.0 - img.astype(np.float32)
    return np.clip(255.0 - ink * (1.0 - warped * (1.0 - keep)), 0, 255).astype(np.uint8)


def _fill(layer: np.ndarray, box: Checkbox, rng, colour=PEN) -> None:
    """A bubble filled with a pen: a solid ellipse/rectangle over 85-100 % of the inside."""
    cx, cy = (box.x + box.w / 2) * PPM, (box.y + box.h / 2) * PPM
    share = rng.uniform(0.85, 1.0)
    axes = (int(box.w / 2 * share * PPM), int(box.h / 2 * share * PPM))
    cv2.ellipse(layer, (int(cx + rng.normal(0, 1)), int(cy + rng.normal(0, 1))), axes, 0, 0, 360, colour, -1,
                cv2.LINE_AA)


def _mark(layer: np.ndarray, box: Checkbox, style: str, rng, colour=PEN) -> None:
    pen_mm = rng.uniform(0.3, 0.5)
    if style == "fill":
        _fill(layer, box, rng, colour)
    else:
        _draw_mark(layer, box, style, DPI, colour, rng, pen_mm)


def _half(layer: np.ndarray, box: Checkbox, rng) -> None:
    share = rng.uniform(0.45, 0.6)
    if rng.random() < 0.5:  # lower part
        top = box.y + box.h * (1 - share)
        cv2.rectangle(layer, (int((box.x + 0.08 * box.w) * PPM), int(top * PPM)),
                      (int((box.x + 0.92 * box.w) * PPM), int((box.y + 0.92 * box.h) * PPM)), PEN, -1)
    else:  # left part
        cv2.rectangle(layer, (int((box.x + 0.08 * box.w) * PPM), int((box.y + 0.08 * box.h) * PPM)),
                      (int((box.x + box.w * share) * PPM), int((box.y + 0.92 * box.h) * PPM)), PEN, -1)


def _scribble_over(layer: np.ndarray, box: Checkbox, rng) -> None:
    """Dense zigzags over the box and 1 mm past it: "not this one"."""
    pen = max(1, int(round(rng.uniform(0.3, 0.5) * PPM)))
    n = int(rng.integers(6, 10))
    pts = []
    for i in range(n + 1):
        fy = -0.2 + 1.4 * i / n
        fx = -0.25 if i % 2 == 0 else 1.25
        pts.append((int((box.x + fx * box.w + rng.normal(0, 0.2)) * PPM), int((box.y + fy * box.h) * PPM)))
    for a, b in zip(pts, pts[1:]):
        cv2.line(layer, a, b, PEN, pen, cv2.LINE_AA)


def _stray(layer: np.ndarray, boxes: list[Checkbox], rng) -> None:
    x0 = min(b.x for b in boxes) - rng.uniform(3, 8)
    x1 = max(b.x + b.w for b in boxes) + rng.uniform(3, 8)
    row = boxes[int(rng.integers(len(boxes)))]
    y = row.y + row.h * rng.uniform(0.2, 0.8)
    slope = rng.uniform(-0.03, 0.03)
    pen = max(1, int(round(rng.uniform(0.25, 0.45) * PPM)))
    cv2.line(layer, (int(x0 * PPM), int(y * PPM)), (int(x1 * PPM), int((y + slope * (x1 - x0)) * PPM)), PEN, pen,
             cv2.LINE_AA)


def apply_habit(sheet: Sheet, kind: str, rng, per_page: int) -> tuple[np.ndarray, dict[str, str], list[str]]:
    """The sheet's grey image with ``kind`` drawn on up to ``per_page`` questions: (image, truth of every
    counted question, questions touched)."""
    img = sheet.grey.copy()
    truth = dict(sheet.truth)
    layer = _layer(sheet)
    blank = [q for q, v in truth.items() if v == "" and len(sheet.boxes.get(q, [])) >= 2]
    answered = [q for q, v in truth.items() if v and len(v) == 1 and q in sheet.single
                and len(sheet.boxes.get(q, [])) >= 2 and any(b.option == v for b in sheet.boxes[q])]
    pool = {"cross": blank, "tick": blank, "pencil": blank, "half": blank, "rubbed": answered,
            "scribbled": answered, "two": answered, "stray": [q for q in truth if sheet.boxes.get(q)]}[kind]
    touched = list(rng.permutation(pool)[:per_page]) if pool else []
    for q in touched:
        boxes = sheet.boxes[q]
        if kind in ("cross", "tick", "pencil", "half"):
            box = boxes[int(rng.integers(len(boxes)))]
            if kind == "pencil":
                grey = int(255 * (1 - rng.uniform(0.35, 0.55)))
                _mark(layer, box, "fill", rng, (grey, grey, grey))
            elif kind == "half":
                _half(layer, box, rng)
            else:
                _mark(layer, box, kind, rng)
            truth[q] = box.option
        elif kind in ("rubbed", "scribbled", "two"):
            old = next(b for b in boxes if b.option == truth[q])
            new = [b for b in boxes if b.option != truth[q]]
            new = new[int(rng.integers(len(new)))]
            if kind == "rubbed":
                img = _rub(sheet, img, old, rng.uniform(0.15, 0.35))
                truth[q] = new.option
            elif kind == "scribbled":
                _scribble_over(layer, old, rng)
                truth[q] = new.option
            else:
                truth[q] = REVIEW
            # The new mark in the first one's style: a fill beside a cross is omr's correction convention
            # (docs/reading.md: the dense box is the one cancelled), not two answers.
            _mark(layer, new, sheet.styles.get(q, "fill"), rng)
        elif kind == "stray":
            _stray(layer, boxes, rng)
    return _lay(sheet, img, layer), truth, touched


def damage(img: np.ndarray, kind: str, rng) -> np.ndarray:
    """A whole-sheet damage of ``kind`` (DAMAGES) on a grey image."""
    f = img.astype(np.float32)
    if kind == "dark":
        out = 255.0 * (f / 255.0) ** rng.uniform(1.5, 2.2) - rng.uniform(10, 30)
        return np.clip(cv2.GaussianBlur(out, (3, 3), 0), 0, 255).astype(np.uint8)
    if kind == "light":
        out = 255.0 - (255.0 - f) * rng.uniform(0.4, 0.6)
        return np.clip(cv2.GaussianBlur(out, (3, 3), 0), 0, 255).astype(np.uint8)
    if kind == "binary":
        return np.where(cv2.GaussianBlur(img, (3, 3), 0) < rng.uniform(110, 150), 0, 255).astype(np.uint8)
    if kind == "photo":
        h, w = img.shape
        margin = int(0.06 * max(h, w))
        canvas = (w + 2 * margin, h + 2 * margin)
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        jitter = rng.uniform(0.01, 0.05, (4, 2)) * np.float32([w, h])
        sign = np.float32([[1, 1], [-1, 1], [-1, -1], [1, -1]])
        dst = src + margin + sign * jitter
        m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
        desk = int(rng.integers(70, 130))
        out = cv2.warpPerspective(img, m, canvas, borderMode=cv2.BORDER_CONSTANT, borderValue=desk)
        rgb = cv2.cvtColor(out, cv2.COLOR_GRAY2RGB)
        cast_shadow(rgb, rng, strength=rng.uniform(0.2, 0.5))
        out = cv2.GaussianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (0, 0), rng.uniform(0.6, 1.1))
        out = np.clip(out + rng.normal(0, 3, out.shape), 0, 255).astype(np.uint8)
        ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 86))])
        return cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    raise ValueError(kind)


def write(img: np.ndarray, path: Path, binary: bool) -> None:
    if binary:
        from PIL import Image

        Image.fromarray(img).convert("1").save(path)
    else:
        cv2.imwrite(str(path), img)


# ---- sources ----

def omrchecker_sheets(scratch: Path, loader: PageLoader, verbose: bool) -> list[Sheet]:
    """OMRChecker's real sheets with the truth of every field omr reads as OMRChecker does, status ok."""
    out = []
    for name, row, image, catalogue, data in sample_sheets(DEFAULT_DATA, scratch):
        grey = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)
        path = scratch / f"clean-{name}-{image.stem}.png"
        cv2.imwrite(str(path), grey)
        result = process_page(loader.load(path, 0), catalogue)
        if result.set_aside or result.homography is None:
            if verbose:
                print(f"  {image.name}: set aside on the clean sheet ({result.set_aside})")
            continue
        layout = next(iter(catalogue.layouts.values()))
        qtext = {q.id: q.text for q in layout.questions}
        by_text = {qtext[q.question]: q for q in result.questions}
        empty = str(data.get("emptyValue", ""))
        custom = {k: expand_labels(v) for k, v in (data.get("customLabels") or {}).items()}
        truth = {}
        for column in [c for c in row if c not in ("file_id", "input_path", "output_path", "score")]:
            parts = custom.get(column, [column])
            reads = [by_text.get(p) for p in parts]
            ours = "".join(our_value(r) or empty for r in reads)
            if ours != row[column] or any(r is None or r.status in NEEDS_REVIEW for r in reads):
                continue
            for r in reads:
                truth[r.question] = norm(r)
        boxes: dict[str, list[Checkbox]] = {}
        for b in result.boxes:
            boxes.setdefault(b.question, []).append(Checkbox(b.question, b.option, b.x, b.y, b.w, b.h))
        page = layout.pages[(result.page or 1) - 1]
        single = {q.id for q in layout.questions if q.single_answer}
        out.append(Sheet(f"{name}/{image.stem}", grey, np.array(result.homography, np.float64),
                         (page.width, page.height), boxes, truth, single, catalogue))
    return out


def office_sheets(scratch: Path, rng, held_out: bool = False) -> list[Sheet]:
    """The office blanks (``held_out``: those of tests/data/office-blanks-styles), every question answered
    (a cross or a fill; 15 % blank), not yet photocopied."""
    import blank_sources
    import office_fill

    from omr.forms.template import load_template
    from omr.template_from.blank import from_blank

    sources = Path(tempfile.gettempdir()) / "omr-blank-sources" / ("styles" if held_out else "")
    sources.mkdir(parents=True, exist_ok=True)
    out = []
    for pdf in blank_sources.office_pdfs(sources, blank_sources.STYLES_DIR if held_out else blank_sources.OFFICE_DIR):
        folder = scratch / pdf.stem
        yaml = folder / f"{pdf.stem}.yaml"
        from_blank(pdf, yaml)
        template = load_template(yaml)
        single = {q.id for q in template.questions if q.single_answer}
        catalogue = Catalogue.from_folder(folder)
        all_boxes = office_fill.template_boxes(yaml)
        for page_no, (grey, ppm) in enumerate(blank_sources.render_pdf(pdf, DPI), start=1):
            boxes: dict[str, list[Checkbox]] = {}
            for p, _number, (x, y, w, h), qid, code, _type in all_boxes:
                if p == page_no:
                    boxes.setdefault(qid, []).append(Checkbox(qid, code, x, y, w, h))
            if not boxes:
                continue
            size = (grey.shape[1] / ppm, grey.shape[0] / ppm)
            sheet = Sheet(f"{pdf.stem}/{page_no}", grey, np.diag([ppm, ppm, 1.0]), size, boxes, {}, single,
                          catalogue, scan=office_fill.photocopy)
            layer = _layer(sheet)
            for q in sorted(boxes):
                if rng.random() < 0.15:
                    sheet.truth[q] = ""
                    continue
                box = boxes[q][int(rng.integers(len(boxes[q])))]
                sheet.styles[q] = "cross" if rng.random() < 0.5 else "fill"
                _mark(layer, box, sheet.styles[q], rng)
                sheet.truth[q] = box.option
            sheet.grey = _lay(sheet, grey, layer)
            out.append(sheet)
    return out


# ---- the run ----

def judge(truth: str, read) -> str:
    if read is None:
        return "missing"
    if read.status in NEEDS_REVIEW:
        return "review"
    if truth == REVIEW:
        return "SILENT"
    return "right-ok" if norm(read) == truth else "SILENT"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source", default="omrchecker,office")
    p.add_argument("--kind", default=",".join(KINDS))
    p.add_argument("--copies", type=int, default=1, help="damaged copies of each sheet per kind")
    p.add_argument("--per-page", type=int, default=4, help="questions a habit touches on a page")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--keep", type=Path, help="keep the damaged images of SILENT questions here")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    kinds = [k for k in args.kind.split(",") if k]
    for k in kinds:
        if k not in KINDS:
            p.error(f"unknown kind {k}; kinds: {', '.join(KINDS)}")
    scratch = Path(tempfile.mkdtemp(prefix="omr-hunt-elsewhere-"))
    loader = PageLoader()
    rng = np.random.default_rng(args.seed)
    sheets: list[Sheet] = []
    for source in args.source.split(","):
        if source == "omrchecker":
            sheets += omrchecker_sheets(scratch, loader, args.verbose)
        elif source in ("office", "styles"):
            sheets += office_sheets(scratch, rng, held_out=source == "styles")
        else:
            p.error(f"unknown source {source}")
    print(f"{len(sheets)} sheets, {sum(len(s.truth) for s in sheets)} questions with a truth")
    print(f"{'kind':10} {'source':10} {'questions':>9} {'right-ok':>8} {'review':>6} {'SILENT':>6} {'missing':>7}")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        counts: dict[str, Counter] = {}
        for copy in range(args.copies):
            for i, sheet in enumerate(sheets):
                srng = np.random.default_rng([args.seed, KINDS.index(kind), copy, i])
                if kind in HABITS:
                    img, truth, touched = apply_habit(sheet, kind, srng, args.per_page)
                else:
                    img, truth, touched = sheet.grey, dict(sheet.truth), []
                if sheet.scan is not None:
                    img = sheet.scan(img, srng)
                if kind in DAMAGES:
                    img = damage(img, kind, srng)
                source = "office" if sheet.scan is not None else "omrchecker"
                path = scratch / f"{kind}-{copy}-{i}.png"
                write(img, path, kind == "binary")
                result = process_page(loader.load(path, 0), sheet.catalogue)
                reads = {} if result.set_aside else {q.question: q for q in result.questions}
                # A habit's kind is judged on the questions it touched (stray: and all others, whose truth
                # it does not change); a damage on every question with a truth.
                judged = touched if kind in HABITS and kind != "stray" else list(truth)
                c = counts.setdefault(source, Counter())
                for q in judged:
                    verdict = judge(truth[q], reads.get(q))
                    c[verdict] += 1
                    if verdict == "SILENT" or (args.verbose and verdict != "right-ok"):
                        r = reads.get(q)
                        print(f"    {verdict} {kind} {sheet.name} copy {copy} {q}: truth «{truth[q]}» "
                              f"read «{norm(r)}» {r.status if r else '-'}"
                              + (f" (kept {path.name})" if args.keep and verdict == "SILENT" else ""))
                        if args.keep and verdict == "SILENT":
                            shutil.copy(path, args.keep / f"{kind}-{copy}-{i}.png")
        for source, c in counts.items():
            n = sum(c.values())
            print(f"{kind:10} {source:10} {n:9d} {c['right-ok']:8d} {c['review']:6d} {c['SILENT']:6d} "
                  f"{c['missing']:7d}", flush=True)
    loader.close()
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
