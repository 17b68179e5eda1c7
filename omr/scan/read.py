"""Read every checkbox of an aligned page, and resolve each question.

A box is measured on the page's own ink scale (:func:`omr.scan.align.ink_map`), so
thresholds adapt to the ink darkness and paper tone of each page. Box states:
empty, marked, cancelled (filled in completely), or uncertain. A question is
``ok`` with a value, ``blank``, or one of the statuses that go to review
(:data:`omr.model.NEEDS_REVIEW`); it is never silently guessed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from omr import tuning as T
from omr.forms.layout import Checkbox
from omr.forms.template import Question, date_parts
from omr.model import (
    AMBIGUOUS,
    BLANK,
    CANCELLED,
    EMPTY,
    INVALID,
    MARKED,
    MULTIPLE,
    OK,
    UNCERTAIN,
    BoxRead,
    QuestionRead,
)
from omr.scan.align import BoxSearch, BoxWindow, K


def measure_box(window: BoxWindow, box: Checkbox, dx: float, dy: float) -> tuple[float, float]:
    """(fill share, mean ink) of the inside of a box moved by (dx, dy) mm.

    ``window`` holds the canonical pixels around the box, from
    :func:`omr.scan.align.locate_boxes`.
    """
    if window.paper <= 0:
        return 0.0, 0.0  # off the page
    m = T.BOX_INNER_MARGIN_MM
    left, top = int(round((box.x + dx + m) * K)) - window.x0, int(round((box.y + dy + m) * K)) - window.y0
    right = int(round((box.x + dx + box.w - m) * K)) - window.x0
    bottom = int(round((box.y + dy + box.h - m) * K)) - window.y0
    inside = window.grey[max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)]
    if inside.size == 0:
        return 0.0, 0.0
    fill = float(np.count_nonzero(inside < window.ink_cutoff(T.INK_THRESHOLD))) / inside.size
    return fill, window.mean_ink(float(inside.mean()))


def classify_fill(fill: float) -> tuple[str, float]:
    """Box state and confidence (0.5-1 inside a zone, 0.25 between zones)."""
    def inside(distance: float) -> float:
        return 0.5 + 0.5 * min(1.0, distance / 0.03)

    if fill <= T.EMPTY_MAX_FILL:
        return EMPTY, inside(T.EMPTY_MAX_FILL - fill + 0.01)
    if fill < T.MARK_MIN_FILL:
        return UNCERTAIN, 0.25
    if fill <= T.MARK_MAX_FILL:
        return MARKED, inside(min(fill - T.MARK_MIN_FILL, T.MARK_MAX_FILL - fill))
    if fill < T.CANCEL_MIN_FILL:
        return UNCERTAIN, 0.25
    return CANCELLED, inside(fill - T.CANCEL_MIN_FILL + 0.01)


def read_boxes(search: BoxSearch, boxes: list[Checkbox]) -> list[BoxRead]:
    """Measure and classify every box; an 'empty' box darker than its page's empty boxes is uncertain."""
    offsets = search.offsets
    measured = [measure_box(window, box, dx, dy) for window, box, (dx, dy) in zip(search.windows, boxes, offsets)]
    empty_darkness = [d for f, d in measured if f <= T.EMPTY_MAX_FILL]
    baseline = float(np.median(empty_darkness)) if empty_darkness else 0.0
    spread = float(np.median(np.abs(np.array(empty_darkness) - baseline))) if empty_darkness else 0.0
    faint_limit = baseline + max(T.FAINT_EXCESS_DARKNESS, 6 * spread)
    reads = []
    for box, (dx, dy), (fill, darkness) in zip(boxes, offsets, measured):
        state, confidence = classify_fill(fill)
        if state == EMPTY and darkness > faint_limit:
            state, confidence = UNCERTAIN, 0.3
        reads.append(BoxRead(box.question, box.option, state, round(fill, 4), round(darkness, 4),
                             round(confidence, 3), round(box.x + dx, 2), round(box.y + dy, 2), box.w, box.h))
    return reads


def _resolve_single(reads: list[BoxRead]) -> tuple[object, str]:
    """One answer from a row of boxes: a cancelled box plus one mark is that mark."""
    marked = [r.option for r in reads if r.state == MARKED]
    if any(r.state == UNCERTAIN for r in reads):
        return (marked[0] if len(marked) == 1 else None), AMBIGUOUS
    cancelled = [r for r in reads if r.state == CANCELLED]
    if len(marked) == 1:
        return marked[0], OK
    if len(marked) > 1:
        return marked, MULTIPLE
    if cancelled:  # filled in, nothing else: an answer in bubble style, or a cancelled one?
        return (cancelled[0].option if len(cancelled) == 1 else None), AMBIGUOUS
    return None, BLANK


def resolve_question(question: Question, reads: list[BoxRead]) -> QuestionRead:
    confidence = min((r.confidence for r in reads), default=1.0)
    if question.type == "date":
        value, status = _resolve_date(question, reads)
    elif question.type == "multiple":
        marked = [r.option for r in reads if r.state == MARKED]
        if any(r.state == UNCERTAIN for r in reads):
            value, status = marked, AMBIGUOUS
        elif marked:
            value, status = marked, OK
        elif any(r.state == CANCELLED for r in reads):
            value, status = [], AMBIGUOUS
        else:
            value, status = [], BLANK
    else:
        value, status = _resolve_single(reads)
    return QuestionRead(question.id, value, status, round(confidence, 3))


def _resolve_date(question: Question, reads: list[BoxRead]) -> tuple[object, str]:
    digits: dict[str, str] = {}
    statuses = []
    for part, _ in date_parts(question):
        part_reads = [r for r in reads if r.option.startswith(part + ":")]
        value, status = _resolve_single(part_reads)
        statuses.append(status)
        if status == OK:
            digits[part] = str(value).split(":", 1)[1]
    if all(s == BLANK for s in statuses):
        return None, BLANK
    for worst in (MULTIPLE, AMBIGUOUS):
        if worst in statuses:
            return None, worst
    if BLANK in statuses:
        return None, AMBIGUOUS  # a date half filled in
    try:
        day = dt.date(int(digits["year"]), int(digits["month_tens"] + digits["month_units"]),
                      int(digits["day_tens"] + digits["day_units"]))
    except ValueError:
        return None, INVALID
    return day.isoformat(), OK


def resolve_questions(questions: list[Question], reads: list[BoxRead]) -> list[QuestionRead]:
    by_question: dict[str, list[BoxRead]] = {}
    for r in reads:
        by_question.setdefault(r.question, []).append(r)
    return [resolve_question(q, by_question[q.id]) for q in questions if q.id in by_question]
