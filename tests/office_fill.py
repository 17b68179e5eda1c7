"""Filled scans of the office blanks, as a respondent and an office scanner make them (issue #16).

From a blank page (grey, px/mm) and its template made by ``omr template from-blank``: one answer per
question is crossed (pen, slightly off-centre), the page is photocopied (turned, rescaled, blurred,
grey paper, noise), and boxes can be whited out (a printed box missing where the template says).
The truth is kept per question: the crossed option, or None.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def template_boxes(template_path: Path):
    """(page number, box number, rect mm, question id, option code, question type) of a pinned template."""
    from omr.forms.template import load_template

    template = load_template(template_path)
    pinned = template.extra["pinned"]
    types = {q.id: q.type for q in template.questions}
    out = []
    for page_no, page in enumerate(pinned["pages"], start=1):
        for number, rect in page["boxes"].items():
            qid, code = pinned["assign"][number]
            out.append((page_no, number, tuple(rect), qid, code, types[qid]))
    return out


def fill(grey: np.ndarray, ppm: float, boxes, page_no: int, seed: int, erase: int = 0,
         answers: dict[str, str | None] | None = None, scan_seed: int | None = None,
         writing: tuple[str, float, float] | None = None):
    """A filled copy of a blank page: returns (image, truth {question: code or None},
    whited-out boxes {question: code}). ``answers`` chooses the code crossed (None: left blank) for
    the questions it names; the others are answered at random. ``scan_seed`` scans the same filled
    paper again (another turn, scale and noise): the same ``seed`` with another ``scan_seed`` is the
    operator rescanning one sheet. ``writing``: (text, x mm, y mm) handwritten (synthetic handwriting,
    a random writer) with its top left there."""
    rng = np.random.default_rng(seed)
    page = grey.copy()
    if writing is not None:
        from omr.forms.synthetic_handwriting import bare_line

        text, x, y = writing
        line = bare_line(text, np.random.default_rng([seed, 7]), ppm)
        x0, y0 = int(x * ppm), int(y * ppm)
        h, w = min(line.shape[0], page.shape[0] - y0), min(line.shape[1], page.shape[1] - x0)
        page[y0:y0 + h, x0:x0 + w] = np.minimum(page[y0:y0 + h, x0:x0 + w], line[:h, :w])
    by_question: dict[str, list] = {}
    for p, number, rect, qid, code, _ in boxes:
        if p == page_no:
            by_question.setdefault(qid, []).append((number, rect, code))
    truth: dict[str, str | None] = {}
    erased: dict[str, str] = {}
    questions = sorted(by_question)
    erase_these = set(rng.choice(questions, size=min(erase, len(questions)), replace=False)) if erase else set()
    for qid in questions:
        options = by_question[qid]
        if qid in erase_these:
            # White-out one printed box (a sticker, a torn corner, another version of the form), and
            # leave the question unanswered: read as blank, it would be a silent error.
            number, (x, y, w, h), code = options[int(rng.integers(len(options)))]
            pad = 0.6
            cv2.rectangle(page, (int((x - pad) * ppm), int((y - pad) * ppm)),
                          (int((x + w + pad) * ppm), int((y + h + pad) * ppm)), 255, -1)
            truth[qid] = None
            erased[qid] = code
            continue
        if answers is not None and qid in answers:
            chosen = [o for o in options if o[2] == answers[qid]]
            if not chosen:
                truth[qid] = None
                continue
            number, (x, y, w, h), code = chosen[0]
        elif rng.random() < 0.15:
            truth[qid] = None  # skipped
            continue
        else:
            number, (x, y, w, h), code = options[int(rng.integers(len(options)))]
        jitter = rng.normal(0, 0.15 * w, 2)
        cx, cy = x + w / 2 + jitter[0], y + h / 2 + jitter[1]
        arm = 0.38 * min(w, h)
        thickness = max(2, int(round(0.35 * ppm)))  # a ballpoint line
        for sx in (-1, 1):
            cv2.line(page, (int((cx - arm) * ppm), int((cy - sx * arm) * ppm)),
                     (int((cx + arm) * ppm), int((cy + sx * arm) * ppm)), 25, thickness, cv2.LINE_AA)
        truth[qid] = code
    return photocopy(page, rng if scan_seed is None else np.random.default_rng([seed, scan_seed])), truth, erased


def photocopy(page: np.ndarray, rng) -> np.ndarray:
    h, w = page.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-2.5, 2.5)), float(rng.uniform(0.95, 1.03)))
    out = cv2.warpAffine(page, m, (w, h), borderValue=255)
    out = cv2.GaussianBlur(out, (3, 3), 0).astype(np.int16) - 10
    return np.clip(out + rng.normal(0, 4, out.shape), 0, 255).astype(np.uint8)
