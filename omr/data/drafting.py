"""Handwriting drafts as a second pass over the stored crops, off the scan's hot path.

Reading a page's marks takes tens of milliseconds; drafting a written comment
takes about 100 ms of CPU per line (asterocr). Drafting inside the scan would
make a batch's marks wait for its comments, and the mark throughput would
fall as the share of written comments rises. So ``omr scan`` stores every
page's marks and every inked comment's crop first, with no draft
(``comments.draft_text`` NULL), and then the same workers draft the batch's
comments from the stored crops (:func:`draft_pending`). ``omr comments
draft`` runs the same pass again: on comments never drafted (a scan killed
half way), or on all of them (``--redo``, after a model update).

A person's work is never touched: a draft only fills the draft columns, and
the flags are rewritten only while no one has transcribed the comment
(after that they are the transcription's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import sqlalchemy as sa

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
    """Worker side: one stored crop in, its draft out (a crop that is no image: an empty draft)."""
    # Here, not at the top: it brings OpenCV and the OCR engine, which `omr scan`'s parent process
    # (which imports this module through the store) needs only when a batch has comments to draft
    # (start-up time, issue #18).
    from omr.scan.comments import Draft, draft_stored_crop

    comment_id, crop_png = task
    try:
        return comment_id, draft_stored_crop(crop_png)
    except ValueError as exc:
        return comment_id, Draft("", [], None, False, [], 0.0, f"Ảnh ý kiến số {comment_id}: {exc}")


def _chunks(store, ids: list[int], chunk: int = 64) -> Iterator[list[tuple[int, bytes]]]:
    # Read here, in the caller's thread, a chunk at a time: crops stay out of memory
    # until needed, and no pool thread touches the database.
    for start in range(0, len(ids), chunk):
        with store.reading() as conn:
            rows = conn.execute(sa.select(comments.c.id, comments.c.crop_png)
                                .where(comments.c.id.in_(ids[start:start + chunk]))
                                .order_by(comments.c.id)).all()
        yield [(row.id, bytes(row.crop_png)) for row in rows]


def save_draft(store, comment_id: int, draft: Draft) -> None:
    """Store a draft in the draft columns; the flags too while no person has transcribed it."""
    values = {"draft_text": draft.text, "draft_confidence": draft.confidence,
              "draft_words": json.dumps([[w.text, w.confidence, w.line] for w in draft.words], ensure_ascii=False),
              "likely_correct": bool(draft.likely_correct), "review_priority": float(draft.review_priority)}

    def write(conn: sa.Connection) -> None:
        conn.execute(comments.update().where(comments.c.id == comment_id).values(**values))
        conn.execute(comments.update().where(comments.c.id == comment_id, comments.c.text.is_(None))
                     .values(flags=flags_json(draft.matches)))

    store.writing(write)


def draft_pending(store, *, batch_id: int | None = None, redo: bool = False,
                  map_tasks: Callable[[Callable, Iterable], Iterable] | None = None,
                  progress: Callable[[int], None] | None = None) -> DraftReport:
    """Draft the inked comments that have no draft yet (all of them with ``redo``).

    ``batch_id`` limits the pass to one batch; ``map_tasks`` runs
    :func:`draft_task` over the tasks (a worker pool's ``imap``; in this
    process by default); ``progress`` is called with 1 per comment drafted.
    """
    with store.reading() as conn:
        ids = [row.id for row in conn.execute(_pending_query(batch_id, redo))]
    report = DraftReport()
    run = map_tasks or map
    for chunk in _chunks(store, ids):
        for comment_id, draft in run(draft_task, chunk):
            _record(store, report, comment_id, draft, progress)
    return report


def _record(store, report: DraftReport, comment_id: int, draft: Draft,
            progress: Callable[[int], None] | None) -> None:
    if draft.error:  # no engine: the comment stays undrafted, for `omr comments draft` to retry
        if draft.error not in report.problems:
            report.problems.append(draft.error)
        return
    save_draft(store, comment_id, draft)
    report.drafted += 1
    sure = any(m.flagged and not m.possible for m in draft.matches)
    report.flagged += sure
    report.possible += not sure and any(m.flagged and m.possible for m in draft.matches)
    if progress:
        progress(1)
