"""Specimen scans with known answers, for tests, the demo and benchmarks.

The simulator fills printed forms the way people do (crosses, ticks, dots,
filled boxes, faint pencil, blue ink, corrections by filling, stray strokes,
handwriting-like comments) and then scans them the way offices do (rotation,
shift, fit-to-page shrink, noise, blur, JPEG, 1-bit thresholding, upside-down
pages, shuffled order, a duplicated page, a blank page; phone photos with
perspective and uneven light). ``truth.jsonl`` keeps the intent of every sheet.

Everything is drawn from one ``numpy.random.Generator`` seeded by the caller,
so a seed reproduces a batch exactly.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from omr.forms import synthetic_handwriting as hand
from omr.forms.fonts import font_path
from omr.forms.layout import Checkbox, Layout, PageLayout
from omr.forms.printing import FormHeader, print_blank_pages
from omr.forms.qr_symbol import qr_matrix
from omr.forms.qrcodes import PageIdentity, encode_payload, format_serial
from omr.forms.template import NO_OPINION_CODE, Question, Template, box_codes, date_parts
from omr.text.normalise import strip_diacritics

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Profile:
    """How a batch is answered and scanned. Probabilities are per page unless named per box."""

    name: str
    rotation_deg: float  # uniform in ±rotation_deg
    shift_mm: float
    scale_min: float  # fit-to-page printing shrinks the page to scale_min..1
    noise_sigma: float
    blur_max: float  # Gaussian sigma in px, uniform 0..blur_max
    jpeg_quality: tuple[int, int]
    binarize_prob: float  # 1-bit scan
    upside_down_prob: float
    photocopy_prob: float
    batch_accidents: bool  # shuffled pages, a duplicated page, a blank page
    phone: bool = False
    faint_prob: float = 0.1  # per sheet: pencil or a pen running dry
    blue_prob: float = 0.4  # per sheet: blue ink
    bleed_prob: float = 0.0  # per sheet: thin paper, the other side shows through
    dust_specks: float = 0.0  # mean number of dust specks per page
    habits: float = 0.0  # per answered question: a real marking habit (see add_habits), issue #14
    felt_prob: float = 0.0  # per sheet: a felt-tip pen (FELT_PEN_MM) whose crosses may soak through (soak_through)
    habit_kinds: tuple[str, ...] = ()  # the habits add_habits draws from; () = HABITS


PROFILES = {
    "clean": Profile("clean", 0.3, 1.0, 1.0, 2.0, 0.0, (92, 95), 0.0, 0.0, 0.0, False, faint_prob=0.0),
    "office": Profile("office", 3.0, 4.0, 0.93, 5.0, 0.8, (70, 90), 0.25, 0.1, 0.1, True,
                      bleed_prob=0.2, dust_specks=3.0),
    "harsh": Profile("harsh", 3.0, 6.0, 0.93, 9.0, 1.3, (45, 70), 0.35, 0.15, 0.35, True, faint_prob=0.2,
                     bleed_prob=0.4, dust_specks=8.0),
    "phone": Profile("phone", 3.0, 8.0, 0.93, 6.0, 1.2, (60, 85), 0.0, 0.1, 0.0, False, phone=True),
    # Office scanning of sheets filled the way real people do (issue #14): faint single
    # strokes, scribbled and struck-through cancellations, erased pencil, ticks running
    # out of the box, a circle around the box meant.
    "habits": Profile("habits", 2.0, 3.0, 0.95, 4.0, 0.8, (75, 92), 0.0, 0.05, 0.0, False,
                      faint_prob=0.05, bleed_prob=0.2, dust_specks=2.0, habits=0.08, felt_prob=0.05),
    # Office scanning of sheets where a respondent marks beside the box instead of in it: a circle
    # around it with a gap or touching its corners, a tick beside it, a cross above or below it.
    # The box itself stays empty: read blank, that is a silent error (the answer meant is lost).
    "offbox": Profile("offbox", 3.0, 4.0, 0.93, 5.0, 0.8, (70, 90), 0.25, 0.1, 0.0, False,
                      bleed_prob=0.2, dust_specks=3.0, habits=0.08,
                      habit_kinds=("circle_gap", "circle_corners", "tick_beside", "mark_above", "mark_below")),
}

# Sheet-level answering habits (per question unless stated).
P_BLANK = 0.05
P_DOUBLE_MARK = 0.01  # two marks on a single-choice question
P_CORRECTION = 0.025  # one box filled to cancel it, another marked
P_FILLED_AS_ANSWER = 0.005  # a box filled in like a bubble, nothing else
P_NO_OPINION = 0.04
P_STRAY_PER_PAGE = 0.3
P_COMMENT_SHEET = 0.3  # sheets with a comment; the speed target assumes 30 %
P_SECOND_COMMENT = 0.3  # a commenting sheet fills each further comment box with this chance
# Darkness of the other side showing through, as a share of its own: office
# paper (70-80 g/m2) is 85-94 % opaque, so 5-15 % of the back shows.
BLEED_ALPHA = (0.05, 0.15)
MARK_STYLES = ("cross", "cross", "cross", "tick", "tick", "dot", "slash")
# A felt-tip pen's line (mm): its crosses fill 0.75-0.85 of a 5 mm box's inside, more than a
# ballpoint's mark and less than a box filled in (hunter's felt variants drew 0.9-1.1 mm).
FELT_PEN_MM = 0.9
# Share of felt-tip sheets whose ink soaks through to the other side, and how dark it shows
# there (share of its own darkness): cheap felt pens on 70 g/m2 paper, 25-60 %.
FELT_SOAK_PROB = 0.5
FELT_SOAK_SHARE = (0.25, 0.6)

COMMENT_BANK = hand.SENTENCES[:10] + (  # the handwriting generator's first ten, then the simulator's own
    "Liên hệ tôi qua số 0912 345 678 nếu cần.",
    "Dịch vụ công trực tuyến còn khó sử dụng.",
    "Nhân viên quát nạt người dân, cần chấn chỉnh.",
    "Rất hài lòng với cách phục vụ.",
)


@dataclass
class SheetTruth:
    serial: int
    form: str
    version: int
    unit: str | None
    answers: dict = field(default_factory=dict)  # question -> code | [codes] | "YYYY-MM-DD" | None
    intent: dict = field(default_factory=dict)  # question -> answered | blank | multiple | filled_only | partial
    boxes: dict = field(default_factory=dict)  # question -> {code: marked | cancelled}, non-empty boxes only
    mark_styles: dict = field(default_factory=dict)  # question -> {code: style}
    comments: dict = field(default_factory=dict)  # field -> {"text", "style"}
    ink: str = "black"
    scan_pages: list = field(default_factory=list)  # [{"page", "index", "upside_down"}]
    faint: bool = False  # pencil or a pen running dry
    scan_kinds: dict = field(default_factory=dict)  # page number -> "jpeg" | "1-bit"
    habits: dict = field(default_factory=dict)  # question -> marking habit drawn (add_habits)
    felt: bool = False  # a felt-tip pen (FELT_PEN_MM)
    soaked: float = 0.0  # share of the felt ink's darkness that soaked through to the other side

    def to_json(self) -> dict:
        return {"serial": self.serial, "serial_text": format_serial(self.serial), "form": self.form,
                "version": self.version, "unit": self.unit, "answers": self.answers, "intent": self.intent,
                "boxes": self.boxes, "mark_styles": self.mark_styles, "comments": self.comments, "ink": self.ink,
                "scan_pages": self.scan_pages, "faint": self.faint, "scan_kinds": self.scan_kinds,
                "habits": self.habits, "felt": self.felt, "soaked": self.soaked}


@dataclass
class BatchSummary:
    sheets: int
    pages: int
    blank_pages: int
    duplicated_pages: int


# --- answering (pure) -------------------------------------------------------

def _choose_answer(q: Question, rng: np.random.Generator, truth: SheetTruth,
                   survey_dates: tuple[dt.date, dt.date] | None = None) -> None:
    """Decide one question's intended answer and which boxes carry ink."""
    marks: dict[str, str] = {}
    if rng.random() < P_BLANK:
        truth.answers[q.id], truth.intent[q.id] = None if q.type != "multiple" else [], "blank"
        truth.boxes[q.id] = {}
        return
    if q.type == "date":
        _choose_date(q, rng, truth, survey_dates)
        return
    codes = [o.code for o in q.options]
    substantive = [c for c in codes if c != NO_OPINION_CODE]
    if q.type == "multiple":
        k = int(rng.integers(1, min(3, len(codes)) + 1))
        chosen = sorted(rng.choice(codes, size=k, replace=False).tolist(), key=codes.index)
        marks = {c: "marked" for c in chosen}
        truth.answers[q.id], truth.intent[q.id] = chosen, "answered"
    else:
        if NO_OPINION_CODE in codes and rng.random() < P_NO_OPINION:
            answer = NO_OPINION_CODE
        elif q.type == "scale":  # people are mostly satisfied: skew towards 4 and 5
            answer = str(rng.choice(["1", "2", "3", "4", "5"], p=[0.04, 0.08, 0.18, 0.42, 0.28]))
        else:
            answer = str(rng.choice(substantive))
        marks = {answer: "marked"}
        truth.answers[q.id], truth.intent[q.id] = answer, "answered"
        roll = rng.random()
        others = [c for c in codes if c != answer]
        if roll < P_DOUBLE_MARK:
            other = str(rng.choice(others))
            marks[other] = "marked"
            truth.answers[q.id], truth.intent[q.id] = sorted(marks, key=codes.index), "multiple"
        elif roll < P_DOUBLE_MARK + P_CORRECTION:
            marks[str(rng.choice(others))] = "cancelled"
        elif roll < P_DOUBLE_MARK + P_CORRECTION + P_FILLED_AS_ANSWER:
            marks = {answer: "cancelled"}
            truth.intent[q.id] = "filled_only"
    truth.boxes[q.id] = marks


def _choose_date(q: Question, rng: np.random.Generator, truth: SheetTruth,
                 survey_dates: tuple[dt.date, dt.date] | None = None) -> None:
    if survey_dates is not None:
        first, last = (d.toordinal() for d in survey_dates)
        day = dt.date.fromordinal(int(rng.integers(first, last + 1)))
    else:
        year = int(rng.choice(q.years))
        day = dt.date.fromordinal(dt.date(year, 1, 1).toordinal() + int(rng.integers(0, 365)))
    digits = {"day_tens": str(day.day // 10), "day_units": str(day.day % 10),
              "month_tens": str(day.month // 10), "month_units": str(day.month % 10), "year": str(day.year)}
    truth.answers[q.id], truth.intent[q.id] = day.isoformat(), "answered"
    truth.boxes[q.id] = {f"{part}:{digits[part]}": "marked" for part, _ in date_parts(q)}


def choose_answers(template: Template, serial: int, rng: np.random.Generator, unit: str | None,
                   comment_share: float = P_COMMENT_SHEET,
                   survey_dates: tuple[dt.date, dt.date] | None = None,
                   comment_styles: tuple[str, ...] = ("print", "script")) -> SheetTruth:
    truth = SheetTruth(serial, template.form_id, template.version, unit)
    text_ids = [q.id for q in template.questions if q.type == "text"]
    commented: set[str] = set()
    if text_ids and rng.random() < comment_share:
        commented.add(str(rng.choice(text_ids)))
        commented.update(qid for qid in text_ids if rng.random() < P_SECOND_COMMENT)
    for q in template.questions:
        if q.type == "text":
            if q.id in commented:
                text = str(rng.choice(COMMENT_BANK))
                style = str(rng.choice(list(comment_styles)))
                # Script strokes have no Vietnamese diacritics: "written" is what is on the paper.
                written = strip_diacritics(text) if style == "script" else text
                truth.comments[q.id] = {"text": text, "style": style, "written": written}
            truth.answers[q.id] = truth.comments.get(q.id, {}).get("text")
            truth.intent[q.id] = "answered" if q.id in truth.comments else "blank"
            continue
        _choose_answer(q, rng, truth, survey_dates)
        truth.mark_styles[q.id] = {code: ("fill" if state == "cancelled" else str(rng.choice(MARK_STYLES)))
                                   for code, state in truth.boxes[q.id].items()}
    return truth


# --- drawing ----------------------------------------------------------------

def _px(mm: float, dpi: int) -> float:
    return mm * dpi / MM_PER_INCH


def _ink_colour(truth: SheetTruth, faint: bool) -> tuple[int, int, int]:
    if faint:  # pencil or a dry pen: mid grey
        return (150, 150, 150)
    return (35, 55, 150) if truth.ink == "blue" else (25, 25, 25)


def _draw_mark(img: np.ndarray, box: Checkbox, style: str, dpi: int, colour, rng: np.random.Generator,
               pen_mm: float) -> None:
    x0, y0 = _px(box.x, dpi), _px(box.y, dpi)
    w, h = _px(box.w, dpi), _px(box.h, dpi)
    pen = max(1, int(round(_px(pen_mm, dpi))))

    def pt(fx: float, fy: float) -> tuple[int, int]:
        jitter = _px(0.35, dpi)
        return (int(x0 + fx * w + rng.normal(0, jitter)), int(y0 + fy * h + rng.normal(0, jitter)))

    if style == "cross":
        a, b = rng.uniform(0.05, 0.25), rng.uniform(0.75, 1.05)
        cv2.line(img, pt(a, a), pt(b, b), colour, pen, cv2.LINE_AA)
        cv2.line(img, pt(b, a), pt(a, b), colour, pen, cv2.LINE_AA)
    elif style == "tick":
        cv2.line(img, pt(0.15, 0.5), pt(0.4, 0.85), colour, pen, cv2.LINE_AA)
        cv2.line(img, pt(0.4, 0.85), pt(0.95, 0.0), colour, pen, cv2.LINE_AA)
    elif style == "slash":
        cv2.line(img, pt(0.8, 0.1), pt(0.2, 0.9), colour, pen + 1, cv2.LINE_AA)
    elif style == "dot":
        r = int(round(_px(rng.uniform(0.7, 1.1), dpi)))
        cv2.circle(img, pt(0.5, 0.5), r, colour, -1, cv2.LINE_AA)
    elif style == "fill":
        # Scribbled fill: dense zigzags that cover the inside and spill a little.
        n = int(max(6, h / max(pen, 1) * 1.3))
        for i in range(n):
            fy = -0.02 + 1.04 * i / (n - 1)
            cv2.line(img, pt(-0.03, fy), pt(1.03, min(1.04, fy + 0.12)), colour, pen + 2, cv2.LINE_AA)
        cv2.rectangle(img, pt(0.1, 0.1), pt(0.9, 0.9), colour, -1)
    else:
        raise ValueError(style)


def rub_out(img: np.ndarray, box: Checkbox, style: str, dpi: int, colour, rng: np.random.Generator, pen_mm: float,
            band: str | None = None) -> None:
    """A mark of ``style`` (:func:`_draw_mark`'s, or "circle": a ring round the box) drawn on ``box``
    and rubbed out with an eraser, in place on ``img`` (RGB uint8 at ``dpi``).

    The eraser leaves a grey smear of 15-35 % of the mark's darkness, smeared along the row (a box
    blur 9-25 px wide and 3-9 px tall at 200 dpi, 60 % of it). ``band``: "rows" leaves a band of the
    mark (20-40 % of the box's height, its top from -5 % to 60 % of it) at 50-80 % of its darkness,
    where the eraser did not reach; "columns" the same band across the box's width; None none
    (bench/hunt/rework.py erase, erase_blank, erase_partial and its variants).
    """
    layer = np.full(img.shape, 255, np.uint8)
    if style == "circle":
        centre = (int(round(_px(box.x + box.w / 2, dpi))), int(round(_px(box.y + box.h / 2, dpi))))
        axes = (int(round(_px(box.w * rng.uniform(0.7, 0.85), dpi))), int(round(_px(box.h * rng.uniform(0.7, 0.85), dpi))))
        cv2.ellipse(layer, centre, axes, 0, 0, 360, colour, max(1, int(round(_px(pen_mm, dpi)))), cv2.LINE_AA)
    else:
        _draw_mark(layer, box, style, dpi, colour, rng, pen_mm)
    full = 255 - layer.astype(np.float32)
    dark = full * rng.uniform(0.15, 0.35)
    k = (int(rng.integers(9, 25)) | 1, int(rng.integers(3, 9)) | 1)  # rubbed along the row
    dark = cv2.blur(dark, k) * 0.6 + dark * 0.4
    if band is not None:  # a band of the mark the eraser missed
        start, size = (box.y, box.h) if band == "rows" else (box.x, box.w)
        first = int(round(_px(start + size * rng.uniform(-0.05, 0.6), dpi)))
        kept = np.zeros(img.shape, np.float32)
        length = int(round(_px(size * rng.uniform(0.2, 0.4), dpi)))
        if band == "rows":
            kept[first:first + length] = 1
        else:
            kept[:, first:first + length] = 1
        dark = np.maximum(dark, full * kept * rng.uniform(0.5, 0.8))
    img[:] = np.clip(img.astype(np.float32) - dark, 0, 255).astype(np.uint8)


def _draw_stray(img: np.ndarray, page: PageLayout, dpi: int, colour, rng: np.random.Generator) -> None:
    """A pen stroke outside the boxes: a note in the margin or underlining the question."""
    for _ in range(20):  # outside every box and comment field: inside one it would be an answer
        y, x, length = rng.uniform(60, 260), rng.uniform(20, 100), rng.uniform(8, 30)
        boxes = [(b.x, b.y, b.w, b.h) for b in page.checkboxes] + [(r.x, r.y, r.w, r.h) for r in page.text_regions]
        if not any(bx - 3 < x + length and x - 3 < bx + bw and by - 5 < y < by + bh + 5 for bx, by, bw, bh in boxes):
            break
    else:
        return
    p1 = (int(_px(x, dpi)), int(_px(y, dpi)))
    p2 = (int(_px(x + length, dpi)), int(_px(y + rng.uniform(-2, 2), dpi)))
    cv2.line(img, p1, p2, colour, max(1, int(_px(0.4, dpi))), cv2.LINE_AA)


def _draw_comment(img: np.ndarray, region, text: str, style: str, dpi: int, colour,
                  rng: np.random.Generator) -> None:
    """Write a comment on the guide lines: a printed-style font, Hershey script strokes, or
    synthetic Vietnamese handwriting ("hand", :mod:`omr.forms.synthetic_handwriting`)."""
    line_pitch = _px(8.0, dpi)
    left = _px(region.x + 3.0, dpi)
    max_width = _px(region.w - 8.0, dpi)
    if style == "hand":
        _draw_handwriting(img, region, text, dpi, colour, rng)
        return
    if style == "print":
        pil = Image.fromarray(img)
        draw = ImageDraw.Draw(pil)
        font = ImageFont.truetype(str(font_path()), int(_px(3.6, dpi)))
        words, lines, cur = text.split(), [], ""
        for word in words:
            cand = f"{cur} {word}".strip()
            if cur and draw.textlength(cand, font=font) > max_width:
                lines.append(cur)
                cur = word
            else:
                cur = cand
        lines.append(cur)
        for i, line in enumerate(lines[:3]):
            baseline = _px(region.y + 1.0, dpi) + (i + 1) * line_pitch - _px(1.8, dpi) + rng.normal(0, 1.5)
            draw.text((left + rng.normal(0, 2), baseline), line, fill=colour, font=font, anchor="ls")
        img[:] = np.asarray(pil)
        return
    folded = strip_diacritics(text)
    scale = _px(3.6, dpi) / 22.0  # Hershey glyphs are ~22 units tall at scale 1
    thickness = max(1, int(round(_px(0.35, dpi))))
    x, line = left, 0
    for word in folded.split():
        (tw, _), _ = cv2.getTextSize(word + " ", cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, thickness)
        if x + tw > left + max_width:
            x, line = left, line + 1
            if line > 2:
                break
        baseline = _px(region.y + 1.0, dpi) + (line + 1) * line_pitch - _px(1.8, dpi) + rng.normal(0, 2.0)
        cv2.putText(img, word, (int(x), int(baseline)), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
                    scale * rng.uniform(0.92, 1.08), colour, thickness, cv2.LINE_AA)
        x += tw * rng.uniform(0.98, 1.1)


def _draw_handwriting(img: np.ndarray, region, text: str, dpi: int, colour, rng: np.random.Generator) -> None:
    """One writer's hand on the field: lines wrap at the frame, sit on, above, across or
    between the guide lines, and climb or fall (see omr.forms.synthetic_handwriting)."""
    writer = hand.Writer.random(rng)
    px_per_mm = dpi / 25.4
    max_width = _px(region.w - 8.0, dpi)
    words, rows, current = text.split(), [], []
    for word in words:
        trial = " ".join(current + [word])
        if current and hand.render_line(trial, writer, np.random.default_rng(0), px_per_mm)[0].shape[1] > max_width:
            rows.append(" ".join(current))
            current = [word]
        else:
            current.append(word)
    rows.append(" ".join(current))
    height, width = img.shape[:2]
    for i, row in enumerate(rows[:3]):
        line, baseline = hand.render_line(row, writer, rng, px_per_mm)
        # Guide i sits at region.y + 1 + 8 (i + 1) - 1.5 mm; writers land anywhere near it.
        y_mm = region.y + 1.0 + 8.0 * (i + 1) - 1.5 + float(rng.uniform(-2.5, 1.2))
        top = int(round(_px(y_mm, dpi))) - baseline
        x0 = int(round(_px(region.x + 3.0, dpi) + rng.normal(0, 2)))
        y_a, y_b = max(top, 0), min(top + line.shape[0], height)
        x_b = min(x0 + line.shape[1], width)
        if y_b <= y_a or x_b <= x0:
            continue
        alpha = (255.0 - line[y_a - top:y_b - top, :x_b - x0].astype(np.float32))[:, :, None] / 255.0
        patch = img[y_a:y_b, x0:x_b].astype(np.float32)
        img[y_a:y_b, x0:x_b] = (patch * (1 - alpha) + np.array(colour, np.float32) * alpha).astype(np.uint8)


class _BlankPages:
    """Rasters of the printed form without QR code or serial, rendered once per batch.

    With ``header`` (the unit's issuing body and name) the rasters carry it as
    ``omr forms print --units`` prints it; the QR code and serial are pasted per sheet.
    """

    def __init__(self, layout: Layout, dpi: int, header: FormHeader | None = None):
        import pypdfium2 as pdfium

        self.header = header
        with tempfile.TemporaryDirectory() as tmp:
            pdf_path = Path(tmp) / "blank.pdf"
            print_blank_pages(layout, pdf_path, header)
            pdf = pdfium.PdfDocument(str(pdf_path))
            self.pages = {}
            for index, page_layout in enumerate(layout.pages):
                bitmap = pdf[index].render(scale=dpi / 72.0)
                self.pages[page_layout.number] = np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
            pdf.close()


def _paste_identity(img: np.ndarray, page: PageLayout, identity: PageIdentity, dpi: int,
                    header_printed: bool = False) -> None:
    """Paste the QR code, the serial and (unless the blank already carries the unit's header) "Đơn vị: code"."""
    matrix = qr_matrix(encode_payload(identity))
    x0, y0 = int(round(_px(page.qr.x, dpi))), int(round(_px(page.qr.y, dpi)))
    size = int(round(_px(page.qr.w, dpi)))
    modules = cv2.resize((~matrix).astype(np.uint8) * 255, (size, size), interpolation=cv2.INTER_NEAREST)
    img[y0:y0 + size, x0:x0 + size] = modules[:, :, None]
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    bold = ImageFont.truetype(str(font_path(True)), int(_px(8 * 0.3528, dpi)))
    sx, sy = page.serial_anchor
    draw.text((_px(sx, dpi), _px(sy, dpi)), f"Số phiếu: {format_serial(identity.serial)}", fill=(0, 0, 0),
              font=bold, anchor="ms")
    if identity.unit and not header_printed:
        regular = ImageFont.truetype(str(font_path()), int(_px(8 * 0.3528, dpi)))
        ux, uy = page.unit_anchor
        draw.text((_px(ux, dpi), _px(uy, dpi)), f"Đơn vị: {identity.unit}", fill=(0, 0, 0), font=regular,
                  anchor="ls")
    img[:] = np.asarray(pil)


def fill_page(blank: np.ndarray, page: PageLayout, truth: SheetTruth, dpi: int, rng: np.random.Generator,
              faint: bool, header_printed: bool = False) -> np.ndarray:
    """The page as the respondent hands it back (RGB, before scanning).

    ``header_printed``: ``blank`` came from ``_BlankPages(..., header)`` and
    already shows the unit, so the bare unit code is not pasted over it.
    """
    img = blank.copy()
    _paste_identity(img, page, PageIdentity(truth.form, truth.version, page.number, truth.serial, truth.unit), dpi,
                    header_printed)
    colour = _ink_colour(truth, faint)
    pen_mm = rng.uniform(0.3, 0.6)
    if truth.felt:
        pen_mm = FELT_PEN_MM
    for box in page.checkboxes:
        state = truth.boxes.get(box.question, {}).get(box.option)
        if state:
            style = truth.mark_styles[box.question][box.option]
            if style in HABIT_STYLES:
                draw_habit(img, box, style, dpi, colour, rng, pen_mm, page.checkboxes)
            else:
                _draw_mark(img, box, style, dpi, colour, rng, pen_mm)
    for region in page.text_regions:
        comment = truth.comments.get(region.field)
        if comment:
            _draw_comment(img, region, comment["text"], comment["style"], dpi, colour, rng)
    if rng.random() < P_STRAY_PER_PAGE:
        _draw_stray(img, page, dpi, colour, rng)
    return img


def bleed_through(pages: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Each page with its sheet's other side showing through, mirrored and faint (thin paper).

    Pages 1 and 2 are the two sides of one sheet (3 and 4 the next, ...).
    """
    out = []
    for i, img in enumerate(pages):
        other = pages[i ^ 1] if (i ^ 1) < len(pages) else None
        if other is None:
            out.append(img)
            continue
        alpha = rng.uniform(*BLEED_ALPHA)
        darkness = 1.0 - other[:, ::-1].astype(np.float32) / 255.0  # the back, seen through the paper
        out.append(np.clip(img.astype(np.float32) * (1.0 - alpha * darkness), 0, 255).astype(np.uint8))
    return out


def soak_through(pages: list[np.ndarray], blanks: list[np.ndarray], layout_pages: list[PageLayout], dpi: int,
                 share: float) -> list[np.ndarray]:
    """Each page (RGB uint8) with the respondent's marks of its sheet's other side soaked through.

    A felt tip's ink goes through the paper, not just its shadow (:func:`bleed_through`): the
    marks of the other side (what the respondent added to its boxes: the filled page less its
    ``blanks`` page, within 1 mm of a box) appear mirrored left-right at ``share`` of their
    darkness, softened by the paper (0.15 mm). Pages 1 and 2 are the two sides of one sheet.
    """
    inks = []
    margin = _px(1.0, dpi)
    for img, blank, page in zip(pages, blanks, layout_pages):
        added = np.clip(blank.astype(np.float32) - img.astype(np.float32), 0, 255).max(axis=2) / 255.0
        near = np.zeros(added.shape, np.float32)
        for box in page.checkboxes:
            x0, y0 = int(_px(box.x, dpi) - margin), int(_px(box.y, dpi) - margin)
            x1, y1 = int(_px(box.x + box.w, dpi) + margin), int(_px(box.y + box.h, dpi) + margin)
            near[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = 1.0
        inks.append(cv2.GaussianBlur(added * near, (0, 0), _px(0.15, dpi)))
    out = []
    for i, img in enumerate(pages):
        if (i ^ 1) >= len(pages):
            out.append(img)
            continue
        back = inks[i ^ 1][:, ::-1] * share
        out.append(np.clip(img.astype(np.float32) * (1.0 - back[:, :, None]), 0, 255).astype(np.uint8))
    return out


def add_dust(img: np.ndarray, count: int, rng: np.random.Generator) -> None:
    """Dark specks of dust or toner, 1-2 px, anywhere on the page (in place)."""
    h, w = img.shape[:2]
    for _ in range(int(count)):
        centre = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        grey = int(rng.uniform(40, 120))
        cv2.circle(img, centre, int(rng.integers(1, 3)), (grey, grey, grey), -1)


# --- scanning ---------------------------------------------------------------

def scan_page(rgb: np.ndarray, profile: Profile, dpi: int, rng: np.random.Generator,
              upside_down: bool) -> tuple[bytes, str]:
    """Apply the scanner's (or phone's) artefacts; return encoded image bytes and kind."""
    h, w = rgb.shape[:2]
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if not profile.phone else None
    img = rgb if profile.phone else grey
    paper = rng.uniform(0.88, 1.0) if profile.name != "clean" else 1.0
    img = (img.astype(np.float32) * paper)
    if rng.random() < profile.photocopy_prob:  # photocopy: lower contrast, grey paper, toner specks
        img = 60 + img * 0.72
        specks = rng.random(img.shape[:2]) < 0.0004
        img[specks] = 40
    scale = rng.uniform(profile.scale_min, 1.0)
    angle = rng.uniform(-profile.rotation_deg, profile.rotation_deg)
    shift = rng.uniform(-1, 1, 2) * _px(profile.shift_mm, dpi)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    matrix[:, 2] += shift
    border = 255 * paper
    if profile.phone:
        # Table around the sheet, perspective of a hand-held phone, light falling off to one side.
        src = np.float32([[0, 0], [w, 0], [0, h], [w, h]])
        d = 0.06 * w
        dst = np.float32([[d + rng.uniform(-d, d) * 0.5, d + rng.uniform(-d, d) * 0.5],
                          [w - d + rng.uniform(-d, d) * 0.5, d + rng.uniform(-d, d) * 0.5],
                          [d + rng.uniform(-d, d) * 0.5, h - d + rng.uniform(-d, d) * 0.5],
                          [w - d + rng.uniform(-d, d) * 0.5, h - d + rng.uniform(-d, d) * 0.5]])
        persp = cv2.getPerspectiveTransform(src, dst)
        affine = np.vstack([matrix, [0, 0, 1]])
        img = cv2.warpPerspective(img, persp @ affine, (w, h), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=(70, 60, 50))
        gx = np.linspace(rng.uniform(0.6, 0.8), 1.0, w, dtype=np.float32)
        gy = np.linspace(1.0, rng.uniform(0.75, 0.95), h, dtype=np.float32)
        if rng.random() < 0.5:
            gx = gx[::-1]
        img = img * (gy[:, None] * gx[None, :])[:, :, None]
    else:
        img = cv2.warpAffine(img, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                             borderValue=float(border))
    if profile.blur_max > 0:
        sigma = rng.uniform(0, profile.blur_max)
        if sigma > 0.3:
            img = cv2.GaussianBlur(img, (0, 0), sigma)
    img = img + rng.normal(0, profile.noise_sigma, img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if upside_down:
        img = cv2.rotate(img, cv2.ROTATE_180)
    if rng.random() < profile.binarize_prob:
        threshold = rng.uniform(140, 180)
        bw = Image.fromarray(img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY))
        bw = bw.point(lambda v: 255 if v > threshold else 0).convert("1")
        buf = io.BytesIO()
        bw.save(buf, format="PNG", dpi=(dpi, dpi))
        return buf.getvalue(), "1-bit"
    quality = int(rng.integers(profile.jpeg_quality[0], profile.jpeg_quality[1] + 1))
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality, dpi=(dpi, dpi))
    return buf.getvalue(), "jpeg"


def blank_scan(shape: tuple[int, int], dpi: int, rng: np.random.Generator) -> bytes:
    """An empty sheet fed through the scanner: paper tone, noise, a little dust."""
    img = np.full(shape, rng.uniform(225, 250), np.float32) + rng.normal(0, 3, shape).astype(np.float32)
    for _ in range(int(rng.integers(0, 6))):
        cv2.circle(img, (int(rng.uniform(0, shape[1])), int(rng.uniform(0, shape[0]))), 1, 90, -1)
    buf = io.BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(buf, format="JPEG", quality=80, dpi=(dpi, dpi))
    return buf.getvalue()


def simulate_batch(template: Template, layout: Layout, pdf_path: str | Path, truth_path: str | Path, *,
                   count: int, seed: int, dpi: int = 200, profile: "str | Profile" = "office", unit: str | None = None,
                   first_serial: int = 1, comment_share: float = P_COMMENT_SHEET,
                   survey_dates: tuple[dt.date, dt.date] | None = None,
                   comment_styles: tuple[str, ...] = ("print", "script"),
                   header: FormHeader | None = None) -> BatchSummary:
    """Write ``count`` filled and scanned sheets to one PDF and their truth to JSONL.

    ``header``: the unit's issuing body and name (:func:`omr.forms.printing.header_for_unit`),
    drawn as ``omr forms print --units`` draws it; without it the sheets show the bare unit code.

    ``comment_share`` is the share of sheets with a written comment (0 to 1);
    ``survey_dates`` (first, last) the days the survey dates are drawn from
    (default: any day of the template's years); ``comment_styles`` how
    comments are written: "print", "script" (no diacritics) and "hand"
    (synthetic Vietnamese handwriting; needs the fonts in tests/data).
    """
    import img2pdf

    prof = profile if isinstance(profile, Profile) else PROFILES[profile]
    rng = np.random.default_rng(seed)
    blanks = _BlankPages(layout, dpi, header).pages
    shape = next(iter(blanks.values())).shape[:2]
    truths: list[SheetTruth] = []
    pages: list[tuple[SheetTruth | None, int, bytes, bool]] = []  # (sheet, page number, bytes, upside down)
    for serial in range(first_serial, first_serial + count):
        truth = choose_answers(template, serial, rng, unit, comment_share, survey_dates, comment_styles)
        if prof.habits:
            add_habits(template, truth, rng, prof.habits, prof.habit_kinds or HABITS)
        truth.ink = "blue" if rng.random() < prof.blue_prob else "black"
        faint = truth.faint = bool(rng.random() < prof.faint_prob)
        if prof.felt_prob:  # drawn only then: the other profiles' sheets stay as they were
            truth.felt = bool(rng.random() < prof.felt_prob) and not faint
            if truth.felt and rng.random() < FELT_SOAK_PROB:
                truth.soaked = float(rng.uniform(*FELT_SOAK_SHARE))
        truths.append(truth)
        sheet_pages = []
        filled_pages = [fill_page(blanks[page.number], page, truth, dpi, rng, faint, header is not None)
                        for page in layout.pages]
        if truth.soaked and len(filled_pages) > 1:
            filled_pages = soak_through(filled_pages, [blanks[page.number] for page in layout.pages],
                                        layout.pages, dpi, truth.soaked)
        if len(filled_pages) > 1 and rng.random() < prof.bleed_prob:
            filled_pages = bleed_through(filled_pages, rng)
        for page, filled in zip(layout.pages, filled_pages):
            if prof.dust_specks:
                add_dust(filled, rng.poisson(prof.dust_specks), rng)
            upside = bool(rng.random() < prof.upside_down_prob)
            data, truth.scan_kinds[page.number] = scan_page(filled, prof, dpi, rng, upside)
            sheet_pages.append((truth, page.number, data, upside))
        # Shuffled order: the back side scanned before the front now and then.
        if prof.batch_accidents and len(sheet_pages) > 1 and rng.random() < 0.1:
            sheet_pages.reverse()
        pages.extend(sheet_pages)
    blank_pages = duplicated = 0
    if prof.batch_accidents and count >= 3:
        # One sheet swapped with its neighbour, one page fed twice, one blank separator.
        i = int(rng.integers(0, len(pages) - 2)) // 2 * 2
        span = len(layout.pages)
        if i + 2 * span <= len(pages):
            pages[i:i + 2 * span] = pages[i + span:i + 2 * span] + pages[i:i + span]
        dup = int(rng.integers(0, len(pages)))
        pages.insert(dup + 1, pages[dup])
        duplicated = 1
        pages.insert(int(rng.integers(0, len(pages) + 1)), (None, 0, blank_scan(shape, dpi, rng), False))
        blank_pages = 1
    for index, (truth, number, _, upside) in enumerate(pages):
        if truth is not None:
            truth.scan_pages.append({"page": number, "index": index, "upside_down": upside})
    page_size = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
    layout_fun = img2pdf.get_layout_fun(page_size)
    with open(pdf_path, "wb") as fh:
        img2pdf.convert([data for _, _, data, _ in pages], layout_fun=layout_fun, outputstream=fh,
                        rotation=img2pdf.Rotation.ifvalid)
    with open(truth_path, "w", encoding="utf-8") as fh:
        for truth in truths:
            fh.write(json.dumps(truth.to_json(), ensure_ascii=False) + "\n")
    return BatchSummary(count, len(pages), blank_pages, duplicated)


def box_states(template: Template, truth: dict) -> dict[tuple[str, str], str]:
    """Every box of a truth record as (question, option) -> empty | marked | cancelled."""
    states = {}
    for q in template.questions:
        if q.type == "text":
            continue
        marked = truth["boxes"].get(q.id, {})
        for code in box_codes(q):
            states[(q.id, code)] = marked.get(code, "empty")
    return states


# --- Damage to the page geometry and light (issue #13: items 3-4, turns, two pages per image) ---

DAMAGE_KINDS = ("corner", "shadow", "turn", "two_up", "show_through")
CORNER_COVERS = ("staple", "sticker", "tear", "punch", "fold")


def cover_corner_mark(img: np.ndarray, page: PageLayout, corner: int, cover: str, dpi: int,
                      rng: np.random.Generator) -> None:
    """Hide or break one corner mark of a filled page (RGB, in place), the way paper gets damaged.

    ``corner``: 0-3 (TL, TR, BL, BR); ``cover``: one of :data:`CORNER_COVERS`:
    a staple (a metal bar ~0.8 x 13 mm across the mark, joining it into a
    shape that is no longer square), a white sticker over the whole mark, the
    corner torn off (the scanner's lid shows: black or white), a punch hole
    (6 mm) through the mark, or the corner folded over (the back of the paper,
    light grey, over the mark).
    """
    f = page.fiducials[corner]
    cx, cy = _px(f.x + f.w / 2, dpi), _px(f.y + f.h / 2, dpi)
    h, w = img.shape[:2]
    if cover == "staple":
        angle = rng.uniform(-60, 60) + (90 if rng.random() < 0.5 else 0)
        length, width = _px(rng.uniform(11, 15), dpi), max(2, int(_px(rng.uniform(0.7, 1.0), dpi)))
        offset = rng.uniform(-1, 1, 2) * _px(2.5, dpi)
        dx, dy = np.cos(np.radians(angle)) * length / 2, np.sin(np.radians(angle)) * length / 2
        p0 = (int(cx + offset[0] - dx), int(cy + offset[1] - dy))
        p1 = (int(cx + offset[0] + dx), int(cy + offset[1] + dy))
        grey = int(rng.uniform(50, 110))
        cv2.line(img, p0, p1, (grey, grey, grey), width, cv2.LINE_AA)
    elif cover == "sticker":
        size = _px(rng.uniform(9, 14), dpi)
        centre = (cx + rng.uniform(-1, 1) * _px(1.5, dpi), cy + rng.uniform(-1, 1) * _px(1.5, dpi))
        box = cv2.boxPoints((centre, (size, size * rng.uniform(0.7, 1.0)), rng.uniform(0, 90)))
        tone = (int(rng.uniform(235, 255)), int(rng.uniform(225, 255)), int(rng.uniform(150, 255)))
        cv2.fillPoly(img, [np.round(box).astype(np.int32)], tone, cv2.LINE_AA)
    elif cover == "punch":
        radius = int(_px(3.0, dpi))
        centre = (int(cx + rng.uniform(-1, 1) * _px(2, dpi)), int(cy + rng.uniform(-1, 1) * _px(2, dpi)))
        lid = 20 if rng.random() < 0.5 else 250
        cv2.circle(img, centre, radius, (lid, lid, lid), -1, cv2.LINE_AA)
    else:  # "tear" or "fold": a triangle cut across the corner, reaching past the mark
        # How far in from the page's corner the cut reaches, past the mark's far side (mm).
        left, top = corner in (0, 2), corner in (0, 1)
        mark_far_x = f.x + f.w if left else page.width - f.x
        mark_far_y = f.y + f.h if top else page.height - f.y
        reach = _px(mark_far_x + rng.uniform(1.5, 6), dpi), _px(mark_far_y + rng.uniform(1.5, 6), dpi)
        x_edge = 0 if left else w - 1
        y_edge = 0 if top else h - 1
        x_in = reach[0] if left else w - 1 - reach[0]
        y_in = reach[1] if top else h - 1 - reach[1]
        triangle = np.array([[x_edge, y_edge], [x_in, y_edge], [x_edge, y_in]], dtype=np.int32)
        if cover == "tear":
            lid = 25 if rng.random() < 0.5 else 252
            tone = (lid, lid, lid)
        else:
            back = int(rng.uniform(200, 235))
            tone = (back, back, back)
        cv2.fillPoly(img, [triangle], tone, cv2.LINE_AA)


def cast_shadow(img: np.ndarray, rng: np.random.Generator, strength: float | None = None,
                through: tuple[float, float] | None = None) -> None:
    """A hard shadow (a hand, a phone) over part of the page (RGB, in place).

    The light falls by ``strength`` (share of the light taken, 0.25-0.7 when
    not given) beyond a straight edge at a random angle, softened over
    0.5-3 mm; ``through`` (x, y px) is a point the edge passes through (a corner
    mark, say), else a random one. Half of the shadows are a band (an arm).
    """
    h, w = img.shape[:2]
    dpi_px = w / 210.0
    strength = rng.uniform(0.25, 0.7) if strength is None else strength
    px, py = through if through is not None else (rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h)
    angle = rng.uniform(0, np.pi)
    nx, ny = np.cos(angle), np.sin(angle)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    distance = (xx - px) * nx + (yy - py) * ny
    soft = rng.uniform(0.5, 3.0) * dpi_px
    inside = np.clip(0.5 + distance / soft, 0, 1)
    if rng.random() < 0.5:
        width = rng.uniform(30, 90) * dpi_px
        inside = inside * np.clip(0.5 + (width - distance) / soft, 0, 1)
    light = 1.0 - strength * inside
    img[:] = np.clip(img.astype(np.float32) * light[:, :, None], 0, 255).astype(np.uint8)


def smudge_qr(img: np.ndarray, page: PageLayout, dpi: int, rng: np.random.Generator) -> None:
    """Make a page's own QR code unreadable: a felt-pen scribble or a coffee stain over it (RGB, in place)."""
    x0, y0 = _px(page.qr.x, dpi), _px(page.qr.y, dpi)
    size = _px(page.qr.w, dpi)
    if rng.random() < 0.5:
        for _ in range(6):
            p0 = (int(x0 + rng.uniform(0, size)), int(y0 + rng.uniform(0, size)))
            p1 = (int(x0 + rng.uniform(0, size)), int(y0 + rng.uniform(0, size)))
            cv2.line(img, p0, p1, (30, 30, 120), int(_px(1.5, dpi)), cv2.LINE_AA)
    else:
        centre = (int(x0 + size / 2), int(y0 + size / 2))
        cv2.ellipse(img, centre, (int(size * 0.4), int(size * 0.3)), rng.uniform(0, 180), 0, 360,
                    (90, 70, 50), -1, cv2.LINE_AA)


def simulate_damaged_batch(template: Template, layout: Layout, pdf_path: str | Path, truth_path: str | Path, *,
                           count: int, seed: int, damage: str, base: str = "office", dpi: int = 200) -> int:
    """Write ``count`` filled sheets, each damaged by ``damage``, scanned with the ``base`` profile.

    ``damage`` (one of :data:`DAMAGE_KINDS`):

    * ``corner``: one corner mark covered (a random one of :data:`CORNER_COVERS`)
      on every page; on one page in five, two marks;
    * ``shadow``: a hard shadow on every page, one in three across a corner mark;
    * ``turn``: every page scanned turned 90° or 270° (a landscape scan);
    * ``two_up``: both pages of a sheet in one image, side by side or stacked
      (both turned 90° when stacked, as on an A3 portrait scan);
    * ``show_through``: thin paper, the other side showing through strongly
      (15-30 % of its darkness), and on half the pages the page's own QR code
      smudged, so that only the back page's mirrored code is legible.

    The truth file is as :func:`simulate_batch` writes it. Returns the number
    of images written.
    """
    import img2pdf

    if damage not in DAMAGE_KINDS:
        raise ValueError(f"unknown damage {damage!r}")
    prof = PROFILES[base]
    rng = np.random.default_rng(seed)
    blanks = _BlankPages(layout, dpi).pages
    images: list[bytes] = []
    with open(truth_path, "w", encoding="utf-8") as fh:
        for serial in range(1, count + 1):
            truth = choose_answers(template, serial, rng, None, P_COMMENT_SHEET, None)
            truth.ink = "blue" if rng.random() < prof.blue_prob else "black"
            truth.faint = bool(rng.random() < prof.faint_prob)
            filled = [fill_page(blanks[page.number], page, truth, dpi, rng, truth.faint) for page in layout.pages]
            if damage == "show_through" and len(filled) > 1:
                strong = []
                for i, img in enumerate(filled):
                    alpha = rng.uniform(0.15, 0.3)
                    darkness = 1.0 - filled[i ^ 1][:, ::-1].astype(np.float32) / 255.0 if (i ^ 1) < len(filled) else 0
                    strong.append(np.clip(img.astype(np.float32) * (1.0 - alpha * darkness), 0, 255).astype(np.uint8))
                filled = strong
                for page, img in zip(layout.pages, filled):
                    if rng.random() < 0.5:
                        smudge_qr(img, page, dpi, rng)
            for page, img in zip(layout.pages, filled):
                if damage == "corner":
                    corners = rng.permutation(4)[:2 if rng.random() < 0.2 else 1]
                    for corner in corners:
                        cover_corner_mark(img, page, int(corner), str(rng.choice(CORNER_COVERS)), dpi, rng)
                elif damage == "shadow":
                    through = None
                    if rng.random() < 1 / 3:
                        f = page.fiducials[int(rng.integers(0, 4))]
                        through = (_px(f.x + f.w / 2, dpi), _px(f.y + f.h / 2, dpi))
                    cast_shadow(img, rng, through=through)
            if damage == "two_up" and len(filled) > 1:
                if rng.random() < 0.5:
                    sheets = [np.hstack(filled[i:i + 2]) for i in range(0, len(filled) - 1, 2)]
                else:
                    sheets = [np.vstack([np.rot90(p) for p in filled[i:i + 2]]) for i in range(0, len(filled) - 1, 2)]
                filled = [np.ascontiguousarray(s) for s in sheets]
            elif damage == "turn":
                filled = [np.ascontiguousarray(np.rot90(p, 1 if rng.random() < 0.5 else 3)) for p in filled]
            for index, img in enumerate(filled):
                data, kind = scan_page(img, prof, dpi, rng, False)
                truth.scan_kinds[index + 1] = kind
                truth.scan_pages.append({"page": index + 1, "index": len(images), "upside_down": False})
                images.append(data)
            fh.write(json.dumps(truth.to_json(), ensure_ascii=False) + "\n")
    with open(pdf_path, "wb") as out:
        img2pdf.convert(images, outputstream=out, rotation=img2pdf.Rotation.ifvalid)
    return len(images)


# --- real marking habits (issue #14) ------------------------------------------
# Drawn independently of the ordinary marks above, from what respondents do on
# paper: a faint single stroke, cancelling by filling, scribbling over or
# striking through a box, erasing pencil, a tick running out of its box, a
# circle around the box they finally meant.

# Marks beside the box instead of in it (the box meant stays empty): a circle around it, clear of it
# by 0.6-1.6 mm, or one that only touches its corners; a tick beside it; a small cross just above or
# below it (on the side with room, else beside it: rows of omr's scale questions are 1.5 mm apart).
OFF_BOX_HABITS = ("circle_gap", "circle_corners", "tick_beside", "mark_above", "mark_below")
HABIT_STYLES = ("faint_stroke", "scribble", "struck_tick", "erasure", "tick_out", "circled",
                "struck_out") + OFF_BOX_HABITS
# Habits add_habits draws by default; "fill" is the solid cancellation the ordinary styles already have;
# "strike_out": every option not chosen struck out with one stroke through its box, the answer crossed.
HABITS = ("faint_stroke", "scribble", "struck_tick", "erasure", "tick_out", "circled", "fill", "strike_out")


def _lighter(colour, share: float) -> tuple[int, int, int]:
    """The colour of ``colour`` at ``share`` of its darkness on white paper."""
    return tuple(int(round(255 - (255 - c) * share)) for c in colour)


def draw_habit(img: np.ndarray, box: Checkbox, style: str, dpi: int, colour, rng: np.random.Generator,
               pen_mm: float, others: list[Checkbox] | tuple = ()) -> None:
    """Draw one habit (a name of ``HABIT_STYLES``) on the box, in place (RGB uint8 page at ``dpi``).

    ``others``: the page's boxes; a mark above or below the box (``mark_above``, ``mark_below``)
    goes to the other side when that side has no room for it before the next box, beside the box
    when neither has, and a tick beside it to the side with room."""
    if style in OFF_BOX_HABITS:
        _draw_off_box(img, box, style, dpi, colour, rng, pen_mm, others)
        return
    x0, y0 = _px(box.x, dpi), _px(box.y, dpi)
    w, h = _px(box.w, dpi), _px(box.h, dpi)
    pen = max(1, int(round(_px(pen_mm, dpi))))

    def pt(fx: float, fy: float, jitter_mm: float = 0.3) -> tuple[int, int]:
        jitter = _px(jitter_mm, dpi)
        return (int(x0 + fx * w + rng.normal(0, jitter)), int(y0 + fy * h + rng.normal(0, jitter)))

    if style == "faint_stroke":
        # One light, thin stroke (a pencil barely touching, a pen running dry): ~4 % of the inside.
        light = _lighter(colour, rng.uniform(0.45, 0.7))
        thin = max(1, int(round(_px(rng.uniform(0.12, 0.2), dpi))))
        if rng.random() < 0.5:
            cv2.line(img, pt(0.25, 0.75), pt(0.75, 0.25), light, thin, cv2.LINE_AA)
        else:
            cv2.line(img, pt(0.2, 0.55), pt(0.4, 0.8), light, thin, cv2.LINE_AA)
            cv2.line(img, pt(0.4, 0.8), pt(0.8, 0.2), light, thin, cv2.LINE_AA)
    elif style == "scribble":
        # Dense back-and-forth strokes over the box, not solid: ~40-90 % of the inside.
        n = int(rng.integers(4, 8))
        points = []
        for i in range(n + 1):
            fy = 0.08 + 0.84 * i / n
            points.append(pt(0.05 if i % 2 == 0 else 0.95, fy, 0.2))
        for a, b in zip(points, points[1:]):
            cv2.line(img, a, b, colour, pen, cv2.LINE_AA)
        for i in range(n // 2 + 1 if rng.random() < 0.5 else 0):  # a second pass across
            fx = 0.1 + 0.8 * i / max(n // 2, 1)
            cv2.line(img, pt(fx, 0.05, 0.2), pt(min(fx + 0.25, 0.95), 0.95, 0.2), colour, pen, cv2.LINE_AA)
    elif style == "struck_tick":
        # A tick, then a firm stroke through it: "not this one".
        cv2.line(img, pt(0.15, 0.5), pt(0.4, 0.85), colour, pen, cv2.LINE_AA)
        cv2.line(img, pt(0.4, 0.85), pt(0.95, 0.0), colour, pen, cv2.LINE_AA)
        cv2.line(img, pt(-0.05, 0.45), pt(1.05, 0.55), colour, pen + 1, cv2.LINE_AA)
        cv2.line(img, pt(-0.05, 0.6), pt(1.05, 0.4), colour, pen + 1, cv2.LINE_AA)
    elif style == "erasure":
        # A pencil cross rubbed out: a smudged residue about half as dark as the respondent's marks.
        layer = np.zeros(img.shape[:2], np.float32)
        a, b = rng.uniform(0.1, 0.25), rng.uniform(0.75, 0.95)
        cv2.line(layer, pt(a, a), pt(b, b), 1.0, pen + 1, cv2.LINE_AA)
        cv2.line(layer, pt(b, a), pt(a, b), 1.0, pen + 1, cv2.LINE_AA)
        layer = cv2.GaussianBlur(layer, (0, 0), _px(0.15, dpi)) * rng.uniform(0.4, 0.55)
        ink = np.array(colour, np.float32)
        img[:] = np.clip(img * (1 - layer[:, :, None]) + ink * layer[:, :, None], 0, 255).astype(np.uint8)
    elif style == "tick_out":
        # A quick tick whose long arm runs 2-4 mm out of the box.
        out = rng.uniform(2.0, 4.0) / box.w
        cv2.line(img, pt(0.2, 0.5), pt(0.45, 0.85), colour, pen, cv2.LINE_AA)
        cv2.line(img, pt(0.45, 0.85), pt(0.95 + out * 0.6, -out), colour, pen, cv2.LINE_AA)
    elif style == "struck_out":
        # An option not chosen struck out: one firm stroke through the box, across its outline,
        # level or a little sloped ("gạch bỏ phương án không chọn").
        fy = rng.uniform(0.35, 0.65)
        slope = rng.uniform(-0.15, 0.15)
        cv2.line(img, pt(rng.uniform(-0.3, -0.05), fy - slope, 0.1), pt(rng.uniform(1.05, 1.3), fy + slope, 0.1),
                 colour, pen, cv2.LINE_AA)
    elif style == "circled":
        # The box meant, crossed and then circled (another box is crossed too).
        a, b = rng.uniform(0.05, 0.25), rng.uniform(0.75, 1.0)
        cv2.line(img, pt(a, a), pt(b, b), colour, pen, cv2.LINE_AA)
        cv2.line(img, pt(b, a), pt(a, b), colour, pen, cv2.LINE_AA)
        centre = pt(0.5, 0.5, 0.2)
        radius = _px(box.w / 2 + rng.uniform(1.2, 1.8), dpi)
        cv2.ellipse(img, centre, (int(radius * rng.uniform(0.95, 1.15)), int(radius * rng.uniform(0.9, 1.05))),
                    float(rng.uniform(-20, 20)), float(rng.uniform(-40, 0)), float(rng.uniform(320, 370)),
                    colour, pen, cv2.LINE_AA)
    else:
        raise ValueError(style)


def _room_mm(box: Checkbox, others, side: str) -> float:
    """Free paper (mm) on one ``side`` of ``box`` ("above", "below", "left", "right") before another
    box of ``others`` that faces it there (20 mm when none is within reach)."""
    room = 20.0
    for other in others:
        if other is box:
            continue
        if side in ("above", "below"):
            if other.x >= box.x + box.w or other.x + other.w <= box.x:
                continue
            gap = other.y - (box.y + box.h) if side == "below" else box.y - (other.y + other.h)
        else:
            if other.y >= box.y + box.h or other.y + other.h <= box.y:
                continue
            gap = other.x - (box.x + box.w) if side == "right" else box.x - (other.x + other.w)
        if gap >= 0:
            room = min(room, gap)
    return room


def _off_box_place(box: Checkbox, others, sides: tuple[str, ...], gap: float,
                   size: float) -> tuple[str, float, float] | None:
    """Where a mark of ``size`` mm, ``gap`` mm off the box, goes: the first of ``sides`` with room for
    it (0.3 mm short of the next box), else the roomier side with the gap and mark shrunk to fit (the
    mark at least 1.2 mm); None when no side has room even so (a respondent does not draw into the
    next question's box)."""
    rooms = {side: _room_mm(box, others, side) for side in sides}
    for side in sides:
        if rooms[side] >= gap + size + 0.3:
            return side, gap, size
    side = max(sides, key=rooms.get)
    gap = min(gap, 0.4)
    if rooms[side] < gap + 1.2 + 0.3:
        return None
    return side, gap, min(size, rooms[side] - gap - 0.3)


def _draw_off_box(img: np.ndarray, box: Checkbox, style: str, dpi: int, colour, rng: np.random.Generator,
                  pen_mm: float, others) -> None:
    """One of ``OFF_BOX_HABITS`` drawn around or beside ``box``, never inside it (in place)."""
    pen = max(1, int(round(_px(pen_mm, dpi))))
    cx, cy = box.x + box.w / 2, box.y + box.h / 2

    def p(x_mm: float, y_mm: float, jitter_mm: float = 0.1) -> tuple[int, int]:
        return (int(round(_px(x_mm + rng.normal(0, jitter_mm), dpi))),
                int(round(_px(y_mm + rng.normal(0, jitter_mm), dpi))))

    if style in ("circle_gap", "circle_corners"):
        start = rng.uniform(0, 2 * np.pi)
        t = start + np.linspace(0, rng.uniform(1.95, 2.2) * np.pi, 120)  # a hand's loop closes or overlaps
        if style == "circle_gap":
            # A loop hugging the box 0.6-1.6 mm clear of its outline all round: the outline grown by
            # the gap, its corners rounded (radius 1-1.5 gaps: still >= 0.79 gap clear of the corner).
            gap = rng.uniform(0.6, 1.6)
            hw, hh = box.w / 2 + gap + rng.uniform(0, 0.15), box.h / 2 + gap + rng.uniform(0, 0.15)
            r = gap * rng.uniform(1.0, 1.5)
            corners = ((1, 1), (-1, 1), (-1, -1), (1, -1))  # bottom right first, then clockwise on screen
            arcs = [(sx * (hw - r) + r * np.cos(a), sy * (hh - r) + r * np.sin(a))
                    for k, (sx, sy) in enumerate(corners)
                    for a in np.linspace(k * np.pi / 2, (k + 1) * np.pi / 2, 8)]
            start = int(rng.integers(0, len(arcs)))
            arcs = arcs[start:] + arcs[:start]
            loop = np.array(arcs + arcs[:int(rng.integers(1, 6))])  # closed, the pen running on a little
            xs, ys = loop[:, 0], loop[:, 1]
        else:
            # A round circle through the corners (radius the half diagonal, +-0.1 mm): it only
            # touches the box there.
            radius = float(np.hypot(box.w, box.h)) / 2 + rng.uniform(-0.05, 0.1)
            xs, ys = radius * np.cos(t), radius * np.sin(t)
        wobble = rng.normal(0, 0.05, 2)
        points = np.stack([_px(cx + wobble[0] + xs, dpi), _px(cy + wobble[1] + ys, dpi)], axis=1)
        cv2.polylines(img, [np.round(points).astype(np.int32)], False, colour, pen, cv2.LINE_AA)
    elif style == "tick_beside":
        # A tick of about the box's size, 0.5-2 mm to its right (or left), clear of it.
        sides = ("right", "left") if rng.random() < 0.6 else ("left", "right")
        side, gap, size = _off_box_place(box, others, sides, rng.uniform(0.5, 2.0),
                                         box.h * rng.uniform(0.7, 1.0)) or ("right", 0.5, 1.2)
        left = box.x + box.w + gap if side == "right" else box.x - gap - size
        top = cy - size / 2
        cv2.line(img, p(left, top + 0.5 * size), p(left + 0.3 * size, top + size), colour, pen, cv2.LINE_AA)
        cv2.line(img, p(left + 0.3 * size, top + size), p(left + size, top), colour, pen, cv2.LINE_AA)
    else:  # mark_above / mark_below: a small cross just off the box's top or bottom edge
        sides = ("above", "below") if style == "mark_above" else ("below", "above")
        # Between two rows of boxes 1.5 mm apart there is no room: the cross goes beside the box.
        side, gap, size = _off_box_place(box, others, sides + ("right", "left"), rng.uniform(0.3, 1.0),
                                         rng.uniform(2.2, 3.2)) or ("right", 0.5, 1.2)
        if side in ("above", "below"):
            top = box.y - gap - size if side == "above" else box.y + box.h + gap
            left = cx - size / 2 + rng.uniform(-0.5, 0.5)
        else:
            top = cy - size / 2
            left = box.x + box.w + gap if side == "right" else box.x - gap - size
        cv2.line(img, p(left, top), p(left + size, top + size), colour, pen, cv2.LINE_AA)
        cv2.line(img, p(left + size, top), p(left, top + size), colour, pen, cv2.LINE_AA)


def add_habits(template: Template, truth: SheetTruth, rng: np.random.Generator, share: float,
               kinds: tuple[str, ...] = HABITS) -> None:
    """Redraw ``share`` of the sheet's plainly answered single-choice questions with one habit each.

    The intended answer stays the truth; boxes meant as cancelled are recorded
    ``cancelled`` (erased and struck-through included). Habits are chosen
    uniformly from ``kinds`` (``HABITS`` by default); ``truth.habits`` records which was drawn
    where. A habit of ``OFF_BOX_HABITS`` is drawn beside the box meant, which stays empty on paper
    while the truth keeps it as the answer: read blank, that is a silent error.
    """
    for q in template.questions:
        if q.type not in ("single", "scale", "yesno") or truth.intent.get(q.id) != "answered":
            continue
        marks = truth.boxes.get(q.id, {})
        if len(marks) != 1 or rng.random() >= share:
            continue
        answer = next(iter(marks))
        habit = str(rng.choice(kinds))
        others = [o.code for o in q.options if o.code != answer]
        truth.habits[q.id] = habit
        if habit in ("faint_stroke", "tick_out") + OFF_BOX_HABITS:
            truth.mark_styles[q.id] = {answer: habit}
            continue
        if habit == "strike_out":
            for other in others:
                marks[other] = "cancelled"
            truth.mark_styles[q.id] = {answer: "cross", **{other: "struck_out" for other in others}}
            continue
        other = str(rng.choice(others))
        marks[other] = "cancelled"
        styles = {"scribble": ("scribble", "cross"), "struck_tick": ("struck_tick", "tick"),
                  "erasure": ("erasure", "cross"), "circled": ("cross", "circled"), "fill": ("fill", "cross")}
        other_style, answer_style = styles[habit]
        truth.mark_styles[q.id] = {answer: answer_style, other: other_style}
