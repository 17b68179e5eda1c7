"""Resolve each question of a page from its boxes' reads: value, status, calibrated confidence.

Pure Python over :class:`omr.model.BoxRead` (no OpenCV, no NumPy), so the
process that stores pages and the review queue use it without loading the
page reader (issue #18: ``omr scan``'s start-up). A question is ``ok`` with a
value, ``blank``, or one of the statuses that go to review
(:data:`omr.model.NEEDS_REVIEW`); it is never silently guessed. The boxes'
states come from :mod:`omr.scan.read`.
"""

from __future__ import annotations

import datetime as dt

from omr import tuning as T
from omr.forms.template import Question, date_parts
from omr.model import (
    AMBIGUOUS,
    BLANK,
    CANCELLED,
    INVALID,
    MARKED,
    MULTIPLE,
    NEEDS_REVIEW,
    OK,
    UNCERTAIN,
    BoxRead,
    QuestionRead,
)


def _resolve_single(reads: list[BoxRead]) -> tuple[object, str]:
    """One answer from a row of boxes: a cancelled box plus one mark is that mark (a mark that
    :func:`doubt_unsure_marks` let stand as one: a pen's, drawn inside its box)."""
    marked = [r.option for r in reads if r.state == MARKED]
    if any(r.state == UNCERTAIN for r in reads):
        return (marked[0] if len(marked) == 1 else None), AMBIGUOUS
    cancelled = [r for r in reads if r.state == CANCELLED]
    if len(marked) == 1:
        return marked[0], OK
    if len(marked) > 1:
        return marked, MULTIPLE
    # Filled in, nothing else: an answer in bubble style, or a cancelled one? It stays in review
    # even as the only ink of its question (issue #14 looked at reading it ok): omr's forms print
    # "Muốn sửa: tô kín ô đã đánh dấu nhầm, rồi đánh dấu X vào ô khác", so a solid fill is how a
    # respondent who follows the form cancels: one who cancels and answers nothing else would be
    # read, silently, as giving the answer they withdrew.
    if cancelled:
        return (cancelled[0].option if len(cancelled) == 1 else None), AMBIGUOUS
    return None, BLANK


def calibrated_confidence(status: str, score: float) -> float:
    """The measured probability (0..1) that a read with this status and raw score is right.

    ``score`` is the least certain box's confidence (0.25-1). The table
    :data:`omr.tuning.CONFIDENCE_BY_STATUS` is measured with
    ``bench/accuracy.py --calibrate`` (share of reads right per status and
    score bin, Laplace-smoothed, so never 0 or 1). A status the table lacks
    takes the ambiguous row: unknown means unsure.
    """
    table = T.CONFIDENCE_BY_STATUS.get(status, T.CONFIDENCE_BY_STATUS[AMBIGUOUS])
    return next(p for low, p in reversed(table) if score >= low or low == table[0][0])


def shown_confidence(status: str, confidence: float | None) -> float | None:
    """The confidence a person is shown for a stored answer: never above what its status can be.

    A database written before confidences were calibrated (issue #14), or an
    answer whose status a later rule changed, can hold an answer to review
    with the confidence of a sure read ("không chắc chắn (độ tin cậy 100%)").
    For a status that goes to review the figure is capped at the highest
    share right measured for that status (:data:`omr.tuning.CONFIDENCE_BY_STATUS`).
    """
    if confidence is None or status not in NEEDS_REVIEW:
        return confidence
    table = T.CONFIDENCE_BY_STATUS.get(status, T.CONFIDENCE_BY_STATUS[AMBIGUOUS])
    return min(confidence, max(p for _, p in table))


def recalibrate(read: QuestionRead, status: str) -> None:
    """Give ``read`` a new status (set by a page-level rule) and the confidence that goes with it."""
    read.status = status
    read.confidence = calibrated_confidence(status, read.score)


def resolve_question(question: Question, reads: list[BoxRead]) -> QuestionRead:
    """One question's value, status and calibrated confidence from its boxes' reads."""
    score = min((r.confidence for r in reads), default=1.0)
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
    return QuestionRead(question.id, value, status, calibrated_confidence(status, score), round(score, 3))


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


def questions_with_marks(reads: list[BoxRead]) -> set[str]:
    """Ids of the questions with at least one box read as surely marked or filled in."""
    return {r.question for r in reads if r.state in (MARKED, CANCELLED)}


def partial_numbers(reads: list[QuestionRead], labels: dict[str, tuple[str, ...]]) -> set[str]:
    """Ids of the blank digit columns of numbers written one digit per column (a template's ``labels``:
    name -> the questions joined, omr.forms.pinned.check_labels) that are partly filled in: some column
    marked, another left blank. «0 5» with the tens left blank is not the day "5" nor "05" but a digit
    skipped or too faint to see: a person decides (#16). Only labels whose questions are all among ``reads``
    (one page) are judged; a column with two marks is already ``multiple``, never joined.
    """
    by_id = {r.question: r for r in reads}
    out: set[str] = set()
    for parts in labels.values():
        if not parts or any(p not in by_id for p in parts):
            continue
        statuses = [by_id[p].status for p in parts]
        if BLANK in statuses and any(s != BLANK for s in statuses):
            out.update(p for p in parts if by_id[p].status == BLANK)
    return out


def resolve_questions(questions: list[Question], reads: list[BoxRead]) -> list[QuestionRead]:
    by_question: dict[str, list[BoxRead]] = {}
    for r in reads:
        by_question.setdefault(r.question, []).append(r)
    return [resolve_question(q, by_question[q.id]) for q in questions if q.id in by_question]
