"""Reading the store: batch summaries, responses with their answers, comments and crops.

:class:`StoreQueries` is mixed into :class:`omr.data.store.Store`; every method
reads in one transaction and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import sqlalchemy as sa

from omr.data.schema import (
    CONFLICT,
    NEW,
    POSSIBLE_DUPLICATE,
    RESCAN,
    SERIAL_CONFLICT,
    SET_ASIDE,
    answers,
    awaits_review,
    batches,
    boxes,
    comments,
    decode_value,
    import_files,
    pages,
    response_pages,
    responses,
    source_files,
    split_flags,
)
from omr.data import completeness
from omr.forms.pinned import is_assigned_serial
from omr.model import NEEDS_REVIEW


class StoreQueries:
    """The read side of the store (see :class:`omr.data.store.Store` for the write side)."""

    @staticmethod
    def _response_ids(batch_id: int | None):
        """Responses with at least one page in the batch (all responses for None)."""
        if batch_id is None:
            return sa.select(responses.c.id)
        return (sa.select(response_pages.c.response_id)
                .join(pages, pages.c.id == response_pages.c.page_id)
                .where(pages.c.batch_id == batch_id))

    def copies_of_page(self, form_id: str, version: int, serial: int, page: int) -> int:
        """How many sheets (responses) of ``form_id`` version ``version`` carrying ``serial`` hold their page
        ``page`` (1-based): after a serial conflict is stored, which copy of that page it was (2 for the
        second). Rescans of one sheet count once (they join no second response)."""
        with self.reading() as conn:
            return conn.execute(
                sa.select(sa.func.count(sa.distinct(responses.c.id)))
                .join(response_pages, response_pages.c.response_id == responses.c.id)
                .where(responses.c.form_id == form_id, responses.c.version == version,
                       responses.c.serial == serial, response_pages.c.page_number == page)).scalar() or 0

    def summary(self, batch_id: int | None = None) -> dict:
        """Counts for the end-of-run report, for one batch or the whole database.

        Keys: ``pages``, ``pages_read``, ``pages_set_aside`` ({reason: count}),
        ``responses``, ``responses_paper`` (of those, paper sheets: not online answers),
        ``responses_complete`` (all ``pages_expected`` pages
        present), ``answers_to_review`` (machine answers with a status in
        model.NEEDS_REVIEW), ``duplicates`` (rescans), ``conflicts`` (pages
        that repeat a serial with other marks), ``responses_in_conflict``, ``possible_duplicates``
        (sheets of a form without serials that may be another scan of a stored one, awaiting a person).
        """
        page_filter = sa.true() if batch_id is None else pages.c.batch_id == batch_id
        in_scope = responses.c.id.in_(self._response_ids(batch_id))
        page_count = (sa.select(sa.func.count()).select_from(response_pages)
                      .where(response_pages.c.response_id == responses.c.id).scalar_subquery())
        with self._read() as conn:
            by_outcome = conn.execute(
                sa.select(pages.c.outcome, pages.c.set_aside, sa.func.count())
                .where(page_filter).group_by(pages.c.outcome, pages.c.set_aside)).all()
            n_responses = conn.execute(sa.select(sa.func.count()).select_from(responses).where(in_scope)).scalar()
            n_paper = conn.execute(sa.select(sa.func.count()).select_from(responses)
                                   .where(in_scope, responses.c.channel == "paper")).scalar()
            complete = conn.execute(
                sa.select(sa.func.count()).select_from(responses)
                .where(in_scope, responses.c.pages_expected.is_not(None),
                       page_count >= responses.c.pages_expected)).scalar()
            conflicting = conn.execute(
                sa.select(sa.func.count()).select_from(responses)
                .where(in_scope, responses.c.flags.contains(SERIAL_CONFLICT, autoescape=True))).scalar()
            possible_duplicates = conn.execute(
                sa.select(sa.func.count()).select_from(responses)
                .where(in_scope, responses.c.flags.contains(POSSIBLE_DUPLICATE, autoescape=True),
                       sa.not_(responses.c.flags.contains("rejected", autoescape=True)))).scalar()
            to_review = conn.execute(
                sa.select(sa.func.count()).select_from(answers)
                .where(answers.c.response_id.in_(self._response_ids(batch_id)),
                       awaits_review())).scalar()
        set_aside: dict[str, int] = {}
        totals = {NEW: 0, RESCAN: 0, CONFLICT: 0, SET_ASIDE: 0}
        for outcome, reason, count in by_outcome:
            totals[outcome] = totals.get(outcome, 0) + count
            if reason is not None:
                set_aside[reason] = set_aside.get(reason, 0) + count
        n_pages = sum(totals.values())
        return {
            "pages": n_pages,
            "pages_read": n_pages - totals[SET_ASIDE],
            "pages_set_aside": dict(sorted(set_aside.items())),
            "responses": n_responses,
            "responses_paper": n_paper,
            "responses_complete": complete,
            "answers_to_review": to_review,
            "duplicates": totals[RESCAN],
            "conflicts": totals[CONFLICT],
            "responses_in_conflict": conflicting,
            "possible_duplicates": possible_duplicates,
        }

    def incomplete_sheets(self, limit: int) -> tuple[list[dict], int]:
        """Paper responses missing pages (omr.data.completeness.missing_pages_not_conflict: a copy in an
        undecided serial conflict is not one) the first ``limit``, and how many in all.

        Ordered by form, version, serial, id. Each is ``{"form_id", "version", "serial"
        (None when unknown), "missing": [page numbers, 1-based], "lost": declared lost by a person,
        "pages": [{"page", "file" (source_files.path), "page_index" (0-based)}]}``, the pages it has.
        """
        with self._read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(responses)
                                 .where(completeness.missing_pages_not_conflict())).scalar()
            heads = conn.execute(
                sa.select(responses.c.id, responses.c.form_id, responses.c.version, responses.c.serial,
                          responses.c.pages_expected, responses.c.flags)
                .where(completeness.missing_pages_not_conflict())
                .order_by(responses.c.form_id, responses.c.version, responses.c.serial, responses.c.id)
                .limit(limit)).all()
            joined = conn.execute(
                sa.select(response_pages.c.response_id, response_pages.c.page_number, source_files.c.path,
                          pages.c.page_index)
                .join(pages, pages.c.id == response_pages.c.page_id)
                .join(source_files, source_files.c.id == pages.c.source_file_id)
                .where(response_pages.c.response_id.in_([h.id for h in heads]))
                .order_by(response_pages.c.page_number)).all() if heads else []
        pages_of: dict[int, list[dict]] = {}
        for row in joined:
            pages_of.setdefault(row.response_id, []).append(
                {"page": row.page_number, "file": row.path, "page_index": row.page_index})
        sheets = []
        for head in heads:
            sheet = {"form_id": head.form_id, "version": head.version, "serial": head.serial,
                     "pages_expected": head.pages_expected, "pages": pages_of.get(head.id, []),
                     "lost": completeness.PAGES_LOST in split_flags(head.flags)}
            sheet["missing"] = completeness.missing_pages(sheet)
            sheets.append(sheet)
        return sheets, total

    def responses(self, batch_id: int | None = None) -> Iterator[dict]:
        """Every response (with a page in ``batch_id``), ordered by form, version, serial.

        Each is a dict: ``id``, ``form_id``, ``version``, ``serial`` (int), ``serial_assigned`` (True when
        omr gave the serial from a page image: a form without printed serials),
        ``unit``, ``pages_expected``, ``flags`` (list), ``created_at``,
        ``pages`` ([{page, file, page_index, part, batch}] by page number; ``part`` 0 the whole
        image, 1-2 a half of a two-page image),
        ``batches`` ([{name, collected_from, collected_to}]), ``answers``
        ({question: (value, status, confidence)}) and ``set_by``
        ({question: 'machine' or a person}). Online responses (``channel``
        'online', ``serial`` None, after the paper ones of their form) also
        carry ``source``, ``source_file``, ``source_row``, ``submitted_at``
        and ``unit_recorded`` (None for paper). ``comments`` maps each
        free-text question of a paper response to its comment row (``id``,
        ``status``, ``draft_text``, ``text``, ``flags`` JSON, ``page_id``;
        crops via :meth:`comment_crops`).
        """
        in_scope = responses.c.id.in_(self._response_ids(batch_id))
        with self._read() as conn:
            heads = conn.execute(sa.select(responses).where(in_scope).order_by(
                responses.c.form_id, responses.c.version, responses.c.channel.desc(), responses.c.serial,
                responses.c.submitted_at, responses.c.id)).all()
            import_paths = dict(conn.execute(sa.select(import_files.c.id, import_files.c.path)).all())
            page_rows = conn.execute(
                sa.select(response_pages.c.response_id, response_pages.c.page_number, source_files.c.path,
                          pages.c.page_index, pages.c.part, batches.c.name, batches.c.collected_from,
                          batches.c.collected_to, pages.c.image_sha256)
                .join(pages, pages.c.id == response_pages.c.page_id)
                .join(source_files, source_files.c.id == pages.c.source_file_id)
                .join(batches, batches.c.id == pages.c.batch_id)
                .where(response_pages.c.response_id.in_(self._response_ids(batch_id)))
                .order_by(response_pages.c.response_id, response_pages.c.page_number)).all()
            answer_rows = conn.execute(
                sa.select(answers.c.response_id, answers.c.question, answers.c.value, answers.c.status,
                          answers.c.confidence, answers.c.set_by)
                .where(answers.c.response_id.in_(self._response_ids(batch_id)))
                .order_by(answers.c.response_id, answers.c.id)).all()
            comment_rows = conn.execute(
                sa.select(comments.c.id, comments.c.response_id, comments.c.field, comments.c.status,
                          comments.c.draft_text, comments.c.text, comments.c.flags, comments.c.page_id,
                          comments.c.faint)
                .where(comments.c.response_id.in_(self._response_ids(batch_id)))).all()

        pages_of: dict[int, list] = {}
        batches_of: dict[int, dict] = {}
        for row in page_rows:
            pages_of.setdefault(row.response_id, []).append(
                {"page": row.page_number, "file": row.path, "page_index": row.page_index, "part": row.part,
                 "batch": row.name, "image_sha256": row.image_sha256})
            batches_of.setdefault(row.response_id, {}).setdefault(row.name, {
                "name": row.name, "collected_from": row.collected_from, "collected_to": row.collected_to})
        answers_of: dict[int, dict] = {}
        set_by_of: dict[int, dict] = {}
        for row in answer_rows:
            answers_of.setdefault(row.response_id, {})[row.question] = (
                decode_value(row.value), row.status, row.confidence)
            set_by_of.setdefault(row.response_id, {})[row.question] = row.set_by
        comments_of: dict[int, dict] = {}
        for row in comment_rows:
            comments_of.setdefault(row.response_id, {})[row.field] = {
                "id": row.id, "status": row.status, "draft_text": row.draft_text, "text": row.text,
                "flags": row.flags, "page_id": row.page_id, "faint": bool(row.faint)}
        for head in heads:
            yield {
                "id": head.id,
                "form_id": head.form_id,
                "version": head.version,
                "serial": head.serial,
                # omr gave the serial from a page's image (a form without printed serials, omr.forms.pinned)
                "serial_assigned": is_assigned_serial(head.serial, [p["image_sha256"] for p in
                                                                    pages_of.get(head.id, [])]),
                "unit": head.unit,
                "pages_expected": head.pages_expected,
                "flags": split_flags(head.flags),
                "created_at": head.created_at,
                "pages": pages_of.get(head.id, []),
                "batches": list(batches_of.get(head.id, {}).values()),
                "answers": answers_of.get(head.id, {}),
                "set_by": set_by_of.get(head.id, {}),
                "channel": head.channel or "paper",
                "source": head.source,
                "source_file": import_paths.get(head.import_file_id),
                "source_row": head.source_row,
                "submitted_at": head.submitted_at,
                "unit_recorded": head.unit_recorded,
                "comments": comments_of.get(head.id, {}),
            }

    def inked_comments(self) -> list[dict]:
        """Every comment with handwriting, in review order (flagged first, clearest drafts next).

        Dicts: ``id``, ``serial``, ``serial_assigned`` (omr gave it from a page's image: shown as such),
        ``field``, ``status``, ``draft_text``, ``draft_confidence``, ``likely_correct``, ``text``,
        ``flags`` (JSON), ``faint`` (possibly faint writing: omr.scan.comments.CommentRead.faint).
        """
        with self._read() as conn:
            rows = conn.execute(
                sa.select(comments.c.id, comments.c.response_id, responses.c.serial, comments.c.field,
                          comments.c.status, comments.c.draft_text, comments.c.draft_confidence,
                          comments.c.likely_correct, comments.c.text, comments.c.flags, comments.c.faint)
                .join(responses, responses.c.id == comments.c.response_id)
                .where(comments.c.inked.is_(True))
                .order_by(comments.c.review_priority.desc(), comments.c.id)).all()
            images: dict[int, list[str]] = {}
            for response_id, image in conn.execute(
                    sa.select(response_pages.c.response_id, pages.c.image_sha256)
                    .join(pages, pages.c.id == response_pages.c.page_id)
                    .where(response_pages.c.response_id.in_(
                        sa.select(comments.c.response_id).where(comments.c.inked.is_(True))))):
                images.setdefault(response_id, []).append(image)
        return [{**row._mapping, "serial_assigned": is_assigned_serial(row.serial, images.get(row.response_id, []))}
                for row in rows]

    def comment_crops(self, comment_ids: list[int]) -> Iterator[tuple[int, bytes]]:
        """(comment id, PNG bytes) of those comments that have a crop, a few at a time."""
        for start in range(0, len(comment_ids), 200):  # crops are ~20 KB: never all in memory
            with self._read() as conn:
                rows = conn.execute(sa.select(comments.c.id, comments.c.crop_png).where(
                    comments.c.id.in_(comment_ids[start:start + 200]), comments.c.crop_png.is_not(None))).all()
            yield from ((row.id, bytes(row.crop_png)) for row in rows)

    def pages_of_serial(self, serial: int) -> list[dict]:
        """Every page read into a response with this serial, for audit images.

        Each item: ``path``, ``page_index``, ``part`` (0 the whole image, 1-2 a
        half of a two-page image), ``page``, ``rotated_180``,
        ``homography`` (3x3, layout mm -> px of the whole image), ``boxes`` (dicts of the
        boxes table) and ``review`` (questions of its response awaiting review).
        """
        with self._read() as conn:
            rows = conn.execute(
                sa.select(pages.c.id, pages.c.page_index, pages.c.part, pages.c.homography, pages.c.page,
                          pages.c.rotated_180, source_files.c.path, response_pages.c.response_id)
                .join(source_files, source_files.c.id == pages.c.source_file_id)
                .join(response_pages, response_pages.c.page_id == pages.c.id)
                .where(pages.c.serial == serial).order_by(pages.c.page, pages.c.id)).all()
            found = []
            for row in rows:
                box_rows = conn.execute(sa.select(boxes).where(boxes.c.page_id == row.id)).mappings().all()
                review = conn.execute(sa.select(answers.c.question).where(
                    answers.c.response_id == row.response_id,
                    answers.c.status.in_(NEEDS_REVIEW))).scalars().all()
                found.append({"path": row.path, "page_index": row.page_index, "part": row.part, "page": row.page,
                              "rotated_180": bool(row.rotated_180), "homography": json.loads(row.homography),
                              "boxes": [dict(b) for b in box_rows], "review": set(review)})
        return found
