"""Handwriting drafts as a second pass over the stored crops, off the scan's hot path.

Reading a page's marks takes tens of milliseconds; drafting a written comment
takes about 100 ms of CPU per line (asterocr). Drafting inside the scan would
make a batch's marks wait for its comments, and the mark throughput would
fall as the share of written comments rises. So ``omr scan`` stores every
page's marks and every inked comment's crop first, with no draft
(``comments.draft_text`` NULL), and then the batch's comments are drafted
from the stored crops (:func:`draft_pending`) in the scan's worker processes
(:mod:`omr.scan.batch`), not in the process that stores: that process only
reads crops and writes drafts, several to a transaction (issue #18: drafting
in it took ~22 ms of its CPU a page at 30 % commented sheets, four times what
storing the pages took, and left the other cores idle). ``omr comments
draft`` runs the same pass again: on comments never drafted (a scan killed
half way), or on all of them (``--redo``, after a model update).

A person's work is never touched: a draft only fills the draft columns, and
the flags are rewritten only while no one has transcribed the comment
(after that they are the transcription's).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import sqlalchemy as sa

from omr import tuning as T
from omr.data.schema import comments, pages
from omr.text.lexicon import flags_json

if TYPE_CHECKING:  # annotations only: the drafting code itself is imported where a crop is drafted
    from omr.scan.comments import Draft


@dataclass
class DraftReport:
    """What a drafting pass did: comments drafted, of them flagged, and why drafts are missing."""

    drafted: int = 0
    flagged: int = 0
    possible: int = 0  # flagged only in an alternative reading ("có thể")
    problems: list[str] = field(default_factory=list)


def _pending_query(batch_id: int | None, redo: bool):
    query = sa.select(comments.c.id).where(comments.c.inked.is_(True), comments.c.crop_png.is_not(None))
    if not redo:
        query = query.where(comments.c.draft_text.is_(None))
    if batch_id is not None:
        query = query.where(comments.c.page_id.in_(sa.select(pages.c.id).where(pages.c.batch_id == batch_id)))
    return query.order_by(comments.c.id)


def drafting_progress(store, batch_id: int | None = None) -> tuple[int, int]:
    """(drafted, inked) comments of a batch (of all batches for None): the web app shows it."""
    with store.reading() as conn:
        inked_query = sa.select(sa.func.count()).select_from(comments).where(
            comments.c.inked.is_(True), comments.c.crop_png.is_not(None))
        if batch_id is not None:
            inked_query = inked_query.where(
                comments.c.page_id.in_(sa.select(pages.c.id).where(pages.c.batch_id == batch_id)))
        inked = conn.execute(inked_query).scalar() or 0
        waiting = conn.execute(sa.select(sa.func.count()).select_from(
            _pending_query(batch_id, False).subquery())).scalar() or 0
    return inked - waiting, inked


def draft_task(task: tuple[int, bytes]) -> tuple[int, Draft]:
    """One stored crop in, its draft out (a crop that is no image: an empty draft with the reason)."""
    # Here, not at the top: it brings OpenCV and the OCR engine, which `omr scan`'s parent process
    # (which imports this module through the store) never needs: its workers draft (issue #18).
    from omr.scan.comments import draft_stored_task

    return draft_stored_task(task)


def _crops(store, ids: list[int], chunk: int = 64) -> Iterator[tuple[int, bytes]]:
    """(comment id, crop PNG) of ``ids``, read from the store a chunk at a time, lazily."""
    # Read in the caller's thread when the drafter asks for the next crop: crops stay out of
    # memory until needed, and no other thread or process touches the database.
    for start in range(0, len(ids), chunk):
        with store.reading() as conn:
            rows = conn.execute(sa.select(comments.c.id, comments.c.crop_png)
                                .where(comments.c.id.in_(ids[start:start + chunk]))
                                .order_by(comments.c.id)).all()
        yield from ((row.id, bytes(row.crop_png)) for row in rows)


def _draft_values(comment_id: int, draft: Draft) -> dict:
    return {"comment_id": comment_id, "draft_text": draft.text, "draft_confidence": draft.confidence,
            "draft_words": json.dumps([[w.text, w.confidence, w.line, w.number] for w in draft.words], ensure_ascii=False),
            "likely_correct": bool(draft.likely_correct), "review_priority": float(draft.review_priority),
            "flags": flags_json(draft.matches)}


# Built once (one compiled form, executed for many rows; the columns set are the rows' keys): a draft
# fills the draft columns, and the flags while no person has transcribed the comment (after that
# they are the transcription's).
_SAVE_DRAFT = comments.update().where(comments.c.id == sa.bindparam("comment_id"))
_SAVE_FLAGS = comments.update().where(comments.c.id == sa.bindparam("comment_id"), comments.c.text.is_(None))


def save_drafts(store, drafts: list[tuple[int, Draft]]) -> None:
    """Store drafts (comment id, draft) in the draft columns, all in one transaction, and their
    flags where no person has transcribed the comment. Raises DatabaseError."""
    if not drafts:
        return
    rows = [_draft_values(comment_id, draft) for comment_id, draft in drafts]

    def write(conn: sa.Connection) -> None:
        conn.execute(_SAVE_DRAFT, [{k: v for k, v in row.items() if k != "flags"} for row in rows])
        conn.execute(_SAVE_FLAGS, [{"comment_id": row["comment_id"], "flags": row["flags"]} for row in rows])

    store.writing(write)


def draft_pending(store, *, batch_id: int | None = None, redo: bool = False,
                  drafter: Callable[[Iterable[tuple[int, bytes]]], Iterable[tuple[int, Draft]]] | None = None,
                  progress: Callable[[int], None] | None = None) -> DraftReport:
    """Draft the inked comments that have no draft yet (all of them with ``redo``).

    ``batch_id`` limits the pass to one batch. ``drafter`` turns the
    (comment id, crop PNG) tasks, drawn lazily, into (comment id, draft)
    pairs in any order, a draft being a :class:`omr.scan.comments.Draft` or
    anything whose ``error`` says why there is none (the comment then stays
    undrafted for a later pass); by default :func:`draft_task` in this
    process (``omr scan`` drafts in its workers: :mod:`omr.scan.batch`).
    Drafts are stored as they come, up to ``T.STORE_PAGES_PER_TRANSACTION``
    to a transaction and none waiting longer than
    ``T.STORE_MAX_SECONDS_UNCOMMITTED`` (as pages are: a killed pass loses
    only those, drafted again by the next). ``progress`` is called with 1
    per comment drafted, once it is stored.
    """
    with store.reading() as conn:
        ids = [row.id for row in conn.execute(_pending_query(batch_id, redo))]
    report = DraftReport()
    if not ids:
        return report
    tasks = _crops(store, ids)
    outcomes = drafter(tasks) if drafter is not None else map(draft_task, tasks)
    waiting: list[tuple[int, Draft]] = []
    oldest = 0.0

    def flush() -> None:
        ready = waiting[:]
        waiting.clear()  # taken out first: a write that fails is not tried again on the way out
        save_drafts(store, ready)
        for _comment_id, draft in ready:
            _count(report, draft)
            if progress:
                progress(1)

    try:
        for comment_id, draft in outcomes:
            if draft.error:  # no engine: the comment stays undrafted, for `omr comments draft` to retry
                if draft.error not in report.problems:
                    report.problems.append(draft.error)
                continue
            if not waiting:
                oldest = time.monotonic()
            waiting.append((comment_id, draft))
            if (len(waiting) >= T.STORE_PAGES_PER_TRANSACTION
                    or time.monotonic() - oldest >= T.STORE_MAX_SECONDS_UNCOMMITTED):
                flush()
    finally:
        try:
            flush()  # whatever ends the pass (the last draft, Ctrl-C, a database error), what was drafted is kept
        finally:
            if hasattr(outcomes, "close"):
                outcomes.close()  # a drafter's worker processes stop now, not when collected
    return report


def _count(report: DraftReport, draft: Draft) -> None:
    report.drafted += 1
    sure = any(m.flagged and not m.possible for m in draft.matches)
    report.flagged += sure
    report.possible += not sure and any(m.flagged and m.possible for m in draft.matches)
