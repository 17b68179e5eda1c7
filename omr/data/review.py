"""The review queue and the changes reviewers make, as plain functions over the store.

Queue items, in the order a reviewer meets them:

1. ``page``: a page set aside as unidentified (no QR code, unknown form,
   no corner marks...; blank pages are not asked about). The reviewer gives
   its form, page and serial, or rejects it.
2. ``mark`` / ``misaligned``: a machine answer whose status needs a person
   (multiple, ambiguous, invalid); ``misaligned`` when it is on a page whose
   alignment was poor, so every answer of that page was sent.
3. ``comment``: an inked comment box waiting for its transcription, the
   highest review priority first.
4. ``conflict``: two or more different sheets carrying one serial, shown side
   by side; the reviewer keeps one, both (one gets a new serial) or neither
   (:mod:`omr.completeness`, issue #14).
5. ``duplicate``: a sheet of a form without serials that looks like another
   scan of a stored sheet (#16), shown side by side with it; the reviewer
   keeps one or both (:func:`omr.data.completeness.resolve_duplicate`).
6. ``incomplete``: a paper response missing a page; the reviewer assigns the
   set-aside page (a ``page`` item) or declares the missing pages lost.

An item is known by a key ``"<entity>:<id>"`` (entity answer, comment or
page). A reviewer holds the item in front of them by a *claim* that expires,
so two reviewers are never given the same item, and a claim left behind by a
closed browser frees itself. Every write goes through the store's audited
methods with the version the reviewer was shown, so a change made meanwhile
by someone else is never silently overwritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from omr import tuning
from omr.data import completeness
from omr.data.schema import (
    IMPORTED_BY,
    MACHINE,
    NO_ANSWERS,
    NO_ANSWERS_CHECKED,
    POSSIBLE_DUPLICATE,
    SERIAL_CONFLICT,
    answers,
    awaits_review,
    batches,
    boxes,
    changes,
    claims,
    comments,
    decode_value,
    page_reviews,
    pages,
    response_pages,
    responses,
    source_files,
    stored_time,
)
from omr.data.schema import units as unit_registry
from omr.data.store import version_token
from omr.errors import OmrError
from omr.model import AMBIGUOUS, NEEDS_REVIEW, STRAY_WRITING_TEXT, BoxRead, form_page_name, is_stray_writing
from omr.scan.comment_model import NUMBER_UNSURE
from omr.scan.resolve import partial_numbers, recalibrate, resolve_questions, shown_confidence
from omr.text.lexicon import TEXT, flags_of
from omr.text.normalise import printed_text
from omr.text.numbers import vn_decimal, vn_integer

# Long enough to read a hard comment and type it; short enough that an item
# left open in a closed browser comes back to the queue within a coffee break.
CLAIM_TTL = timedelta(minutes=10)
# Gaps between two changes longer than this are a pause, not review time
# (items per hour counts working time only).
IDLE_GAP = timedelta(minutes=5)
# Set-aside reasons that do not need a person: a blank page is a blank page.
NOT_ASKED = ("blank", "not_scan")
# The set-aside reason of a page whose picture could not be decoded (omr.scan.page, omr.scan.ingest):
# such a page can be rejected (the sheet rescanned or declared lost), never assigned to a sheet.
UNREADABLE_IMAGE = "unreadable"

PAGE, MARK, MISALIGNED, COMMENT = "page", "mark", "misaligned", "comment"
CONFLICT, INCOMPLETE = "conflict", "incomplete"  # whole sheets (issue #14), entity "response"
DUPLICATE = "duplicate"  # a sheet that looks like another scan of a stored one (#16), entity "response"
EMPTY = "empty"  # a sheet with no mark on any page: one item, not one per question; entity "response"
KINDS = {
    MARK: "ô đánh dấu cần kiểm tra",
    MISALIGNED: "trang bị lệch",
    PAGE: "trang chưa nhận dạng",
    COMMENT: "ý kiến viết tay",
    CONFLICT: "tờ trùng số phiếu",
    DUPLICATE: "có thể là bản quét lại",
    INCOMPLETE: "phiếu thiếu trang",
    EMPTY: "phiếu không có câu trả lời nào",
}
# A kind's items as a count reads in a sentence ("18 câu trên trang bị lệch"): a misaligned page sends each of
# its questions, so the queue's column "trang bị lệch" counts questions, not pages.
KIND_COUNTED = {
    PAGE: "trang chưa nhận dạng",
    MARK: "câu cần xem lại ô đánh dấu",
    MISALIGNED: "câu trên trang bị lệch",
    COMMENT: "ý kiến viết tay",
    CONFLICT: "nhóm tờ trùng số phiếu",
    DUPLICATE: "tờ có thể là bản quét lại",
    INCOMPLETE: "phiếu thiếu trang",
    EMPTY: "phiếu không có câu trả lời nào",
}
ENTITY_OF_KIND = {PAGE: "page", MARK: "answer", MISALIGNED: "answer", COMMENT: "comment",
                  CONFLICT: "response", DUPLICATE: "response", INCOMPLETE: "response",
                  EMPTY: "response"}


def misaligned_text(alignment_mm: float | None) -> str:
    """Why every question of a page went to a person, in Vietnamese, from the page's residual (mm).

    Two things send a whole page ("misaligned" in its detail): the boxes found lie on average more
    than ``ALIGN_REVIEW_MM`` off their layout places (or none was found: ``None``), or too few of
    the printed boxes (under ``CORNER_CHECK_MIN_BOX_SHARE``) are found where any placing of the page
    puts them, whatever the residual of those found (a page cut off, folded, covered, or read on
    the wrong part of a photo). Only the first is "trang bị lệch N mm": a 0,5 mm residual is well
    within the bound, and saying it sent the page misleads the reviewer (trial of a phone photo).
    """
    if alignment_mm is not None and alignment_mm > tuning.ALIGN_REVIEW_MM:
        why = (f"Trang bị lệch {vn_decimal(alignment_mm, 1)} mm (quá {vn_decimal(tuning.ALIGN_REVIEW_MM, 1)} mm "
               "cho phép)")
    else:
        why = ("Phần lớn các ô in sẵn không thấy ở chỗ mẫu phiếu đặt chúng (trang bị che, gấp, thiếu một phần "
               "hoặc không căn được)")
    return why + ": mọi câu của trang được đưa đi kiểm tra."


class ClaimedError(OmrError):
    """Another reviewer holds this item."""


class ReviewError(OmrError):
    """A reviewer's input cannot be applied (the message says why, in Vietnamese)."""



def draft_numbers(draft_words: str | None) -> list[dict]:
    """The number parts of a draft (``comments.draft_words`` JSON), consecutive number words joined:
    [{"text": "200.000 đồng", "unsure": False}, ...]; unsure when any of its words is
    (:data:`~omr.scan.comment_model.NUMBER_UNSURE`). Drafts stored before the marks existed give []."""
    parts: list[dict] = []
    previous = None  # (line, index) of the last number word
    for index, word in enumerate(json.loads(draft_words or "[]")):
        mark = word[3] if len(word) > 3 else 0
        if not mark:
            continue
        if previous is not None and previous == (word[2], index - 1):
            parts[-1]["text"] += " " + word[0]
            parts[-1]["unsure"] = parts[-1]["unsure"] or mark == NUMBER_UNSURE
        else:
            parts.append({"text": word[0], "unsure": mark == NUMBER_UNSURE})
        previous = (word[2], index)
    return parts

@dataclass(frozen=True)
class QueueFilter:
    batch_id: int | None = None
    unit: str | None = None
    kind: str | None = None  # a key of KINDS


@dataclass(frozen=True)
class Period:
    """A reporting period's scope for :func:`open_items` (omr.reports.periods decides the dates).

    An item of a response the report dates (by the survey date read from the
    form, else its batch's dates) is in the period when the response is one of
    ``responses`` (dated in the period) and out when it is one of
    ``elsewhere`` (dated in another period). Any other item (a set-aside
    page, a sheet not in the figures) is in the period when a batch that
    carries it was collected in days overlapping ``start``..``end``
    (inclusive) or has no collection dates: it may belong to any period, so
    every period mentions it. ``units``, when given, keeps the items of these
    unit codes only (a report's unit with the old codes rolled up into it).
    """

    start: date
    end: date
    responses: frozenset[int] = frozenset()
    elsewhere: frozenset[int] = frozenset()
    units: frozenset[str] | None = None

    def holds(self, response_id: int | None, batch_in_period: bool) -> bool:
        """Whether an item (of this response, or None; its batch dated in the period or not) is in it."""
        if response_id in self.responses:
            return True
        return bool(batch_in_period) and response_id not in self.elsewhere


@dataclass(frozen=True)
class OpenItems:
    """What is open in the review queue, by kind (every key of KINDS, in queue order)."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __bool__(self) -> bool:
        return self.total > 0

    def by_kind(self) -> list[tuple[str, int]]:
        """(kind, count) of the kinds with open items, in the order the queue shows them."""
        return [(kind, self.counts[kind]) for kind in KINDS if self.counts.get(kind)]

    def text(self) -> str:
        """The open items by kind in Vietnamese, e.g. "18 câu trên trang bị lệch, 2 trang chưa nhận dạng"
        ("" when nothing is open). Counts use the Vietnamese thousands separator."""
        return ", ".join(f"{vn_integer(n)} {KIND_COUNTED[kind]}" for kind, n in self.by_kind())


@dataclass
class Item:
    key: str
    kind: str
    entity_id: int
    response_id: int | None
    page_id: int | None
    batch: str | None
    serial: int | None
    unit: str | None
    data: dict = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def parse_key(key: str) -> tuple[str, int]:
    entity, _, ident = (key or "").partition(":")
    if entity not in ("answer", "comment", "page", "response") or not ident.isdecimal():
        raise ReviewError(f"Mục «{key}» không hợp lệ")
    return entity, int(ident)


# --- the queue ----------------------------------------------------------------

def _misaligned(detail_col):
    return detail_col.contains("misaligned", autoescape=True)


def _in_period(batch_id_col, period: Period | None):
    """SQL: the batch of ``batch_id_col`` was collected in days overlapping the period, or has no dates."""
    if period is None:
        return sa.true()
    # A missing end is open: a batch with only a start date counts from that day on, one with neither always.
    dated = sa.select(batches.c.id).where(
        sa.or_(batches.c.collected_from.is_(None), batches.c.collected_from <= period.end),
        sa.or_(batches.c.collected_to.is_(None), batches.c.collected_to >= period.start))
    return batch_id_col.in_(dated)


def _scoped(query, period: Period | None, unit_col, batch_cond, response_col=None):
    """The query with the period's units, and columns ``in_period`` (by batch dates) and
    ``period_response`` (its response id, or null) that :func:`open_items` checks against the period."""
    if period is None:
        return query
    if period.units is not None:
        query = query.where(unit_col.in_(sorted(period.units)))
    response = response_col if response_col is not None else sa.null()
    return query.add_columns(batch_cond.label("in_period"), response.label("period_response"))


def _answer_query(flt: QueueFilter, period: Period | None = None):
    query = (sa.select(answers.c.id, answers.c.response_id, answers.c.source_page_id, pages.c.detail,
                       batches.c.name.label("batch"), responses.c.serial, responses.c.unit)
             .join(responses, responses.c.id == answers.c.response_id)
             .join(pages, pages.c.id == answers.c.source_page_id)
             .join(batches, batches.c.id == pages.c.batch_id)
             .where(awaits_review(),
                    # a sheet with no mark anywhere is one EMPTY item, its questions not one each
                    sa.not_(responses.c.flags.contains(NO_ANSWERS, autoescape=True))))
    if flt.batch_id is not None:
        query = query.where(pages.c.batch_id == flt.batch_id)
    if flt.unit:
        query = query.where(responses.c.unit == flt.unit)
    if flt.kind == MARK:
        query = query.where(sa.not_(_misaligned(pages.c.detail)))
    elif flt.kind == MISALIGNED:
        query = query.where(_misaligned(pages.c.detail))
    query = _scoped(query, period, responses.c.unit, _in_period(pages.c.batch_id, period), answers.c.response_id)
    return query.order_by(responses.c.serial, answers.c.response_id, answers.c.id)


def _comment_query(flt: QueueFilter, period: Period | None = None):
    query = (sa.select(comments.c.id, comments.c.response_id, comments.c.page_id, batches.c.name.label("batch"),
                       responses.c.serial, responses.c.unit)
             .join(responses, responses.c.id == comments.c.response_id)
             .join(pages, pages.c.id == comments.c.page_id)
             .join(batches, batches.c.id == pages.c.batch_id)
             .where(comments.c.status == "pending"))
    if flt.batch_id is not None:
        query = query.where(pages.c.batch_id == flt.batch_id)
    if flt.unit:
        query = query.where(responses.c.unit == flt.unit)
    query = _scoped(query, period, responses.c.unit, _in_period(pages.c.batch_id, period), comments.c.response_id)
    return query.order_by(comments.c.review_priority.desc(), comments.c.id)


def _page_query(flt: QueueFilter, period: Period | None = None):
    decided = sa.select(page_reviews.c.page_id)
    query = (sa.select(pages.c.id, pages.c.serial, pages.c.unit, batches.c.name.label("batch"))
             .join(batches, batches.c.id == pages.c.batch_id)
             .where(pages.c.set_aside.is_not(None), pages.c.set_aside.not_in(NOT_ASKED),
                    pages.c.id.not_in(decided)))
    if flt.batch_id is not None:
        query = query.where(pages.c.batch_id == flt.batch_id)
    if flt.unit:
        query = query.where(pages.c.unit == flt.unit)
    query = _scoped(query, period, pages.c.unit, _in_period(pages.c.batch_id, period))
    return query.order_by(pages.c.id)


def _sheets_on(page_condition, group: bool):
    """SQL condition on ``responses``: a page of the sheet meets ``page_condition``; with ``group`` (a serial
    conflict, shown by its lowest response id), a page of any sheet of its group does, so the conflict
    counts in the batch of the new sheet as well as in the batch of the one stored before."""
    on_pages = (sa.select(response_pages.c.response_id).join(pages, pages.c.id == response_pages.c.page_id)
                .where(page_condition))
    if not group:
        return responses.c.id.in_(on_pages)
    member = responses.alias("member")
    groups = sa.select(member.c.form_id, member.c.version, member.c.serial).where(
        member.c.id.in_(on_pages), member.c.flags.contains(SERIAL_CONFLICT, autoescape=True),
        sa.not_(member.c.flags.contains(completeness.REJECTED, autoescape=True)))
    return sa.tuple_(responses.c.form_id, responses.c.version, responses.c.serial).in_(groups)


def _response_query(flt: QueueFilter, condition, period: Period | None = None, *, group: bool = False):
    query = sa.select(responses.c.id, responses.c.serial, responses.c.unit).where(condition)
    if flt.batch_id is not None:
        query = query.where(_sheets_on(pages.c.batch_id == flt.batch_id, group))
    if flt.unit:
        query = query.where(responses.c.unit == flt.unit)
    if period is not None:
        # A whole sheet is in the period when any of its pages' batches is (or the report dates it there).
        query = _scoped(query, period, responses.c.unit, _sheets_on(_in_period(pages.c.batch_id, period), group),
                        responses.c.id)
    return query.order_by(responses.c.serial, responses.c.id)


def _sources(flt: QueueFilter, period: Period | None = None):
    """(kind, entity, query) in queue order, as the filter (and the period, for counts) allows."""
    if flt.kind in (None, "", PAGE):
        yield PAGE, "page", _page_query(flt, period)
    if flt.kind in (None, "", MARK, MISALIGNED):
        yield MARK, "answer", _answer_query(flt, period)
    if flt.kind in (None, "", COMMENT):
        yield COMMENT, "comment", _comment_query(flt, period)
    if flt.kind in (None, "", CONFLICT):
        yield CONFLICT, "response", _response_query(flt, responses.c.id.in_(completeness.conflict_heads()), period,
                                                    group=True)
    if flt.kind in (None, "", DUPLICATE):
        yield DUPLICATE, "response", _response_query(flt, completeness.awaiting_duplicate(), period)
    if flt.kind in (None, "", INCOMPLETE):
        yield INCOMPLETE, "response", _response_query(flt, completeness.awaiting_pages(), period)
    if flt.kind in (None, "", EMPTY):
        yield EMPTY, "response", _response_query(flt, completeness.awaiting_no_answers(), period)


def queue_counts(store, flt: QueueFilter = QueueFilter()) -> dict[str, int]:
    """Items waiting, by kind (claimed ones included): :func:`open_items` as a dict."""
    return open_items(store, flt).counts


def open_items(store, flt: QueueFilter = QueueFilter(), *, period: Period | None = None) -> OpenItems:
    """What is open in the review queue, by kind: the one count every page, report and command shows.

    ``flt`` scopes it as the queue page does (batch, unit, kind); ``period``
    to a reporting period (see :class:`Period`). Claimed items are included:
    a claim is someone looking, not a decision. The counts are exactly the
    items :func:`claim_next` would hand out under the same filter (a serial
    conflict is one item whatever the number of sheets in it; a misaligned
    page one item per question it sends).
    """
    counts = {kind: 0 for kind in KINDS}
    with store.reading() as conn:
        for kind, entity, query in _sources(flt, period):
            if period is not None:
                # Checked here, not in SQL: a period's responses can be more than a query may bind.
                for row in conn.execute(query.order_by(None)):
                    if period.holds(row.period_response, row.in_period):
                        detail = row.detail if entity == "answer" else None
                        counts[MISALIGNED if "misaligned" in (detail or "") else kind] += 1
            elif entity == "answer":
                rows = conn.execute(query.with_only_columns(pages.c.detail, sa.func.count())
                                    .group_by(pages.c.detail).order_by(None)).all()
                for detail, n in rows:
                    counts[MISALIGNED if "misaligned" in (detail or "") else MARK] += n
            else:
                counts[kind] = conn.execute(
                    sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar()
    if flt.kind in KINDS:
        counts = {k: (v if k == flt.kind else 0) for k, v in counts.items()}
    return OpenItems(counts)


def queue_units(store, flt: QueueFilter = QueueFilter()) -> list[tuple[str, int]]:
    """(unit code, items waiting) for the queue's unit filter, by code; the filter's unit itself is ignored.

    Counts what the queue would hold with the same batch and kind for each unit,
    so "30001 (12 mục)" means twelve items to review, not twelve sheets. Items of
    pages with no unit yet are not listed. The filter's own unit stays listed
    (count 0) after its last item is done, so the selection does not vanish.
    """
    counts: dict[str, int] = {}
    every_unit = QueueFilter(flt.batch_id, None, flt.kind)
    with store.reading() as conn:
        for _kind, _entity, query in _sources(every_unit):
            waiting = query.order_by(None).subquery()
            for unit, n in conn.execute(sa.select(waiting.c.unit, sa.func.count())
                                        .where(waiting.c.unit.is_not(None)).group_by(waiting.c.unit)):
                counts[unit] = counts.get(unit, 0) + n
    if flt.unit:
        counts.setdefault(flt.unit, 0)
    return sorted(counts.items())


def _held_by_others(conn: sa.Connection, who: str, now: datetime) -> dict[str, set[int]]:
    held: dict[str, set[int]] = {"answer": set(), "comment": set(), "page": set(), "response": set()}
    for row in conn.execute(sa.select(claims.c.item).where(claims.c.who != who, claims.c.expires_at > now)):
        entity, _, ident = row.item.partition(":")
        if entity in held and ident.isdecimal():
            held[entity].add(int(ident))
    return held


def _id_column(entity: str):
    return {"answer": answers.c.id, "comment": comments.c.id, "page": pages.c.id, "response": responses.c.id}[entity]


def claim_next(store, who: str, flt: QueueFilter = QueueFilter(), *, skip: set[str] = frozenset()) -> str | None:
    """Claim the first waiting item nobody else holds (and not in ``skip``); return its key or None.

    Two reviewers asking at the same moment get different items: the claim
    is a unique row, and whoever loses the race moves on to the next item.
    """
    for _ in range(20):  # each round loses at most a race or two; 20 means something is wrong
        now = _now()
        with store.reading() as conn:
            held = _held_by_others(conn, who, now)
            candidates = []
            for _kind, entity, query in _sources(flt):
                excluded = held[entity] | {int(k.split(":")[1]) for k in skip if k.startswith(entity + ":")}
                if excluded:
                    query = query.where(_id_column(entity).not_in(excluded))
                row = conn.execute(query.limit(1)).first()
                if row is not None:
                    candidates.append(f"{entity}:{row.id}")
        if not candidates:
            return None
        for key in candidates:
            if claim(store, key, who):
                return key
    return None


def claim(store, key: str, who: str) -> bool:
    """Hold ``key`` for ``who`` for CLAIM_TTL (renewing their own claim), letting go of any other item
    ``who`` held; False if someone else holds ``key``."""
    parse_key(key)

    def work(conn: sa.Connection) -> bool:
        now = _now()
        expires = now + CLAIM_TTL
        # One claim per reviewer: opening an item lets go of the one they held before, so nobody can
        # hoard the queue by opening item URLs one after another (web attack of stop 24).
        conn.execute(claims.delete().where(claims.c.who == who, claims.c.item != key))
        taken = conn.execute(claims.update().where(
            claims.c.item == key, sa.or_(claims.c.who == who, claims.c.expires_at <= now))
            .values(who=who, expires_at=expires)).rowcount
        if taken:
            return True
        if conn.execute(sa.select(claims.c.id).where(claims.c.item == key)).first() is not None:
            return False
        # A race with another reviewer inserting the same item ends in IntegrityError;
        # the store retries this whole function, which then sees their claim.
        conn.execute(claims.insert().values(item=key, who=who, expires_at=expires))
        return True

    return store.writing(work)


def holder(store, key: str) -> str | None:
    """Who holds an unexpired claim on ``key`` (None: nobody)."""
    with store.reading() as conn:
        row = conn.execute(sa.select(claims.c.who).where(claims.c.item == key, claims.c.expires_at > _now())).first()
    return row.who if row else None


def release(store, key: str, who: str) -> None:
    store.writing(lambda conn: conn.execute(claims.delete().where(claims.c.item == key, claims.c.who == who)))


def _check_claim(store, key: str, who: str) -> None:
    other = holder(store, key)
    if other is not None and other != who:
        raise ClaimedError(f"Mục này đang được {other} kiểm tra; thay đổi của bạn chưa được lưu.")


# --- one item -----------------------------------------------------------------

def load_item(store, key: str) -> Item | None:
    """Everything the item page shows, or None when the item no longer exists."""
    entity, ident = parse_key(key)
    with store.reading() as conn:
        if entity == "answer":
            row = conn.execute(
                sa.select(answers, pages.c.detail, pages.c.alignment_mm, batches.c.name.label("batch"),
                          responses.c.serial, responses.c.unit, responses.c.form_id, responses.c.version)
                .join(responses, responses.c.id == answers.c.response_id)
                .outerjoin(pages, pages.c.id == answers.c.source_page_id)
                .outerjoin(batches, batches.c.id == pages.c.batch_id)
                .where(answers.c.id == ident)).first()
            if row is None:
                return None
            kind = MISALIGNED if "misaligned" in (row.detail or "") else MARK
            machine_read, last_change = (None, None) if row.set_by == MACHINE else _answer_trail(conn, ident)
            box_rows = conn.execute(sa.select(boxes).where(
                boxes.c.page_id == row.source_page_id, boxes.c.question == row.question)
                .order_by(boxes.c.id)).mappings().all() if row.source_page_id else []
            return Item(key, kind, ident, row.response_id, row.source_page_id, row.batch, row.serial, row.unit, {
                "question": row.question, "value": decode_value(row.value), "status": row.status,
                "confidence": shown_confidence(row.status, row.confidence), "set_by": row.set_by, "version": version_token(row.updated_at),
                "form_id": row.form_id, "form_version": row.version, "alignment_mm": row.alignment_mm,
                "misaligned_text": misaligned_text(row.alignment_mm) if kind == MISALIGNED else "",
                "boxes": [dict(b) for b in box_rows], "pending": row.set_by == MACHINE and row.status in NEEDS_REVIEW,
                # A person's answer: what the machine had read before it, and who changed it last, when.
                "machine_read": machine_read, "last_change": last_change})
        if entity == "comment":
            row = conn.execute(
                sa.select(comments.c.id, comments.c.response_id, comments.c.page_id, comments.c.field,
                          comments.c.draft_text, comments.c.draft_confidence, comments.c.likely_correct,
                          comments.c.draft_words, comments.c.flags, comments.c.status, comments.c.text, comments.c.reviewed_by,
                          comments.c.updated_at, comments.c.crop_png.is_not(None).label("has_crop"), comments.c.faint,
                          batches.c.name.label("batch"), responses.c.serial, responses.c.unit,
                          responses.c.form_id, responses.c.version)
                .join(responses, responses.c.id == comments.c.response_id)
                .join(pages, pages.c.id == comments.c.page_id)
                .join(batches, batches.c.id == pages.c.batch_id)
                .where(comments.c.id == ident)).first()
            if row is None:
                return None
            return Item(key, COMMENT, ident, row.response_id, row.page_id, row.batch, row.serial, row.unit, {
                "field": row.field, "draft_text": row.draft_text or "", "draft_confidence": row.draft_confidence,
                # Handwriting outside every box and frame of the form (omr.scan.page): named for what it is.
                "title": STRAY_WRITING_TEXT if is_stray_writing(row.field) else f"Ý kiến {row.field}",
                "likely_correct": bool(row.likely_correct),
                # Amounts, dates and phone numbers of the draft, for the reviewer to compare with the image.
                "numbers": draft_numbers(row.draft_words),
                # Possibly faint writing (omr.scan.comments): little written area, or found only below the
                # ordinary stroke level; its crop is the raw one, stretched.
                "faint": bool(row.faint),
                # Negated matches ("không nhũng nhiễu") are kept in the row but ask for no attention.
                "flags": [f for f in json.loads(row.flags or "[]") if not f.get("negated")],
                "status": row.status, "text": row.text, "reviewed_by": row.reviewed_by,
                "version": version_token(row.updated_at), "has_crop": bool(row.has_crop),
                "form_id": row.form_id, "form_version": row.version, "pending": row.status == "pending"})
        if entity == "response":
            return _sheet_item(conn, key, ident)
        row = conn.execute(
            sa.select(pages, batches.c.name.label("batch"))
            .join(batches, batches.c.id == pages.c.batch_id).where(pages.c.id == ident)).first()
        if row is None:
            return None
        decided = conn.execute(sa.select(page_reviews).where(page_reviews.c.page_id == ident)).first()
        n_boxes = conn.execute(sa.select(sa.func.count()).select_from(boxes).where(boxes.c.page_id == ident)).scalar()
        # The sheet the page is part of (a page read fine, or assigned by a person); None when set aside.
        sheet_id = conn.execute(sa.select(response_pages.c.response_id)
                                .where(response_pages.c.page_id == ident)).scalars().first()
        return Item(key, PAGE, ident, None, ident, row.batch, row.serial, row.unit, {
            "set_aside": row.set_aside, "detail": row.detail, "form_id": row.form_id, "form_version": row.version,
            "page": row.page, "page_index": row.page_index, "has_boxes": n_boxes > 0,
            # No picture was decoded from the file's page: nothing to look at or to assign to a sheet.
            "has_image": row.set_aside not in (UNREADABLE_IMAGE, "not_scan"),
            "homography": row.homography is not None,
            "decision": decided.decision if decided else None,
            "decided_by": decided.decided_by if decided else None, "response_id": sheet_id,
            "pending": row.set_aside is not None and row.set_aside not in NOT_ASKED and decided is None})


def _answer_trail(conn: sa.Connection, answer_id: int) -> tuple[dict | None, dict | None]:
    """(the machine's read a person replaced, the last change) of an answer, from the audit trail.

    The machine's read is the ``old`` side of the latest change that replaced an answer set by
    the machine: ``{"value", "status", "confidence"}``; confidence is the shown one
    (omr.scan.resolve.shown_confidence, 0..1) or None when the audit row predates its recording.
    None when no change replaced a machine read (an answer a person typed in). The last change
    is ``{"who", "at"}`` (at: aware UTC datetime) or None when the answer has no audited change.
    """
    rows = conn.execute(sa.select(changes.c.who, changes.c.at, changes.c.old_value)
                        .where(changes.c.entity == "answer", changes.c.entity_id == answer_id)
                        .order_by(changes.c.at.desc(), changes.c.id.desc())).all()
    if not rows:
        return None, None
    last_change = {"who": rows[0].who, "at": stored_time(rows[0].at)}
    for row in rows:
        try:
            old = json.loads(row.old_value) if row.old_value else None
        except ValueError:
            continue
        if isinstance(old, dict) and old.get("set_by") == MACHINE:
            confidence = old.get("confidence")
            status = old.get("status")
            return {"value": old.get("value"), "status": status,
                    "confidence": shown_confidence(status, confidence) if isinstance(confidence, (int, float))
                    else None}, last_change
    return None, last_change


def _sheet_item(conn: sa.Connection, key: str, response_id: int) -> Item | None:
    """A whole-sheet item: a serial conflict (every sheet of the group) or an incomplete response."""
    record = completeness.sheet(conn, response_id)
    if record is None:
        return None
    if POSSIBLE_DUPLICATE in record["flags"] and completeness.REJECTED not in record["flags"]:
        group = completeness.duplicate_group(conn, response_id)
        return Item(key, DUPLICATE, response_id, response_id,
                    record["pages"][0]["page_id"] if record["pages"] else None, None, record["serial"],
                    record["unit"], {**record, "group": group, "version": record["flags_text"],
                                     "pending": len(group) > 1})
    if NO_ANSWERS in record["flags"] and completeness.REJECTED not in record["flags"]:
        return Item(key, EMPTY, response_id, response_id,
                    record["pages"][0]["page_id"] if record["pages"] else None, None, record["serial"],
                    record["unit"], {**record, "group": [], "version": record["flags_text"],
                                     "pending": NO_ANSWERS_CHECKED not in record["flags"]})
    group = completeness.conflict_group(conn, response_id) if SERIAL_CONFLICT in record["flags"] else []
    kind = CONFLICT if len(group) > 1 else INCOMPLETE
    pending = (len(group) > 1 if kind == CONFLICT else
               bool(record["missing"]) and not {completeness.PAGES_LOST, completeness.REJECTED} & set(record["flags"]))
    return Item(key, kind, response_id, response_id, record["pages"][0]["page_id"] if record["pages"] else None,
                None, record["serial"], record["unit"],
                {**record, "group": group, "version": record["flags_text"], "pending": pending})


def mark_pages_lost(store, response_id: int, who: str, *, expected: str, reason: str = "") -> None:
    """The reviewer declares the missing pages of a response lost (it stays incomplete, leaves the queue)."""
    key = f"response:{response_id}"
    _check_claim(store, key, who)
    try:
        completeness.mark_pages_lost(store, response_id, who, reason=reason, expected_flags=expected)
    except completeness.DecisionError as exc:
        raise ReviewError(exc.message) from None
    release(store, key, who)


def resolve_no_answers(store, response_id: int, who: str, blank: bool, *, expected: str, reason: str = "") -> None:
    """A person's decision on a sheet with no mark on any page (:data:`EMPTY`).

    ``blank``: the person saw no answer on the pages: every answer still waiting is set blank by them and the
    sheet is flagged ``no_answers_checked`` (it stays out of the report figures: no valid response). Otherwise
    the sheet has answers the scan missed: ``no_answers`` is removed and its questions enter the queue one by
    one. ``expected``: the flags text shown; StaleWriteError when the sheet changed meanwhile."""
    key = f"response:{response_id}"
    _check_claim(store, key, who)
    if blank:
        store.decide_response(response_id, who, add_flags=(NO_ANSWERS_CHECKED,), reason=reason,
                              expected_flags=expected)
        with store.reading() as conn:
            waiting = conn.execute(sa.select(answers.c.question).where(answers.c.response_id == response_id,
                                                                       awaits_review())).scalars().all()
        for question in waiting:
            store.set_answer(response_id, question, None, who, "blank", reason=reason)
    else:
        store.decide_response(response_id, who, remove_flags=(NO_ANSWERS,), reason=reason, expected_flags=expected)
    release(store, key, who)


def resolve_conflict(store, response_id: int, who: str, decision: str, *, keep_id: int | None = None,
                     new_serial: int | None = None, new_serials: dict[int, int] | None = None, reason: str = "",
                     shown: list[int] | None = None) -> None:
    """The reviewer's decision on sheets sharing a serial (see omr.data.completeness.resolve_conflict)."""
    key = f"response:{response_id}"
    _check_claim(store, key, who)
    try:
        completeness.resolve_conflict(store, response_id, who, decision, keep_id=keep_id, new_serial=new_serial,
                                      new_serials=new_serials, reason=reason, shown=shown)
    except completeness.DecisionError as exc:
        raise ReviewError(exc.message) from None
    release(store, key, who)


def resolve_duplicate(store, response_id: int, who: str, decision: str, *, keep_id: int | None = None,
                      reason: str = "", shown: list[int] | None = None) -> None:
    """The reviewer's decision on a possible duplicate (see omr.data.completeness.resolve_duplicate)."""
    key = f"response:{response_id}"
    _check_claim(store, key, who)
    try:
        completeness.resolve_duplicate(store, response_id, who, decision, keep_id=keep_id, reason=reason,
                                       shown=shown)
    except completeness.DecisionError as exc:
        raise ReviewError(exc.message) from None
    release(store, key, who)


def resolve_answer(store, answer_id: int, who: str, value: object, status: str, *, expected: str,
                   reason: str = "") -> str:
    """A reviewer's decision on one answer (value None with status 'blank' for no answer)."""
    key = f"answer:{answer_id}"
    _check_claim(store, key, who)
    with store.reading() as conn:
        row = conn.execute(sa.select(answers.c.response_id, answers.c.question)
                           .where(answers.c.id == answer_id)).first()
    if row is None:
        raise ReviewError("Câu trả lời này không còn trong cơ sở dữ liệu")
    token = store.set_answer(row.response_id, row.question, value, who, status, reason=reason,
                             expected_updated_at=expected)
    release(store, key, who)
    return token


def editable(item: Item) -> bool:
    """Whether a reviewer may save a decision on ``item``: it waits in the queue, or a person decided it
    before (a correction through the "previous" key). Items the machine settled and never queued (a
    comment box read as empty, a mark read with confidence) are not written through their URL."""
    if item.data.get("pending"):
        return True
    if item.kind == COMMENT:
        return item.data["status"] == "reviewed"
    if item.kind in (MARK, MISALIGNED):
        # An imported online answer is the respondent's own, never queued: not written through its URL.
        return item.data["set_by"] not in (MACHINE, IMPORTED_BY)
    if item.kind == PAGE:
        return False  # a page decided (rejected, read half by half) takes no other decision: an admin restores it
    return True  # whole sheets: omr.data.completeness checks each decision against the sheet's state


NOT_IN_QUEUE = ("Mục này không nằm trong hàng đợi kiểm tra (máy đã đọc xong, không cần người xem): "
                "không thể sửa qua hàng đợi.")


def not_editable_reason(item: Item) -> str:
    """Why a decision on ``item`` (not :func:`editable`) cannot be saved, in Vietnamese."""
    if item.kind == PAGE and item.data.get("decision") == "rejected":
        by = f" bởi {item.data['decided_by']}" if item.data.get("decided_by") else ""
        return (f"Trang này đã bị loại bỏ{by}, không nhận quyết định khác: quản trị viên có thể đưa trang "
                "trở lại hàng đợi (nút «Đưa lại vào hàng đợi» ở trang của lần tải lên).")
    if item.kind == PAGE and item.data.get("decision"):
        return "Trang này đã được xử lý (đọc lại từng nửa ảnh), không nhận quyết định khác."
    return NOT_IN_QUEUE


def transcribe_comment(store, comment_id: int, who: str, text: str, *, expected: str, reason: str = "") -> str:
    """A reviewer's text for a comment (flags recomputed from it, change audited); the new version token.

    Raises ReviewError when the comment is not in the queue (see :func:`editable`) or ``text`` is longer
    than ``tuning.MAX_COMMENT_TEXT`` characters (refused whole: the export never cuts a comment).
    """
    key = f"comment:{comment_id}"
    # What a reviewer typed, without control or format characters (a terminal escape, a bidi override
    # that shows the text reversed in the export): the same rule as the editor's labels.
    text = printed_text(text, keep_newlines=True)
    if len(text) > tuning.MAX_COMMENT_TEXT:
        raise ReviewError(f"Nội dung ý kiến dài {_thousands(len(text))} ký tự; tối đa "
                          f"{_thousands(tuning.MAX_COMMENT_TEXT)} ký tự (chưa lưu): hãy rút gọn.")
    item = load_item(store, key)
    if item is None:
        raise ReviewError("Ý kiến này không còn trong cơ sở dữ liệu")
    if not editable(item):
        raise ReviewError(NOT_IN_QUEUE)
    _check_claim(store, key, who)
    token = store.set_comment_text(comment_id, text, who, reason=reason, expected_updated_at=expected)
    release(store, key, who)
    return token


def _thousands(value: int) -> str:
    """10001 -> "10.001" (a dot between thousands, as Vietnamese writes it)."""
    return f"{value:,}".replace(",", ".")


def flags_dropped(before: list[dict], text: str) -> list[str]:
    """Terms flagged before (``Item.data["flags"]`` of a comment) that ``text`` no longer flags, sorted.

    Possible flags (seen only in an alternative OCR reading) are left out: they never were a flag.
    """
    now = {m.term for m in flags_of(text, source=TEXT)}
    return sorted({f["term"] for f in before if not f.get("possible") and not f.get("negated")} - now)


def page_reads(store, layout, page_id: int, page_number: int):
    """The questions of one form page resolved from a set-aside page's stored boxes."""
    with store.reading() as conn:
        rows = conn.execute(sa.select(boxes).where(boxes.c.page_id == page_id)).mappings().all()
    reads = [BoxRead(r["question"], r["option"], r["state"], r["fill"], r["darkness"], r["confidence"],
                     r["x"], r["y"], r["w"], r["h"]) for r in rows]
    page_questions = {b.question for b in layout.page(page_number).checkboxes}
    resolved = resolve_questions([q for q in layout.questions if q.id in page_questions and q.type != "text"], reads)
    partial = partial_numbers(resolved, layout.labels)  # a number's column left blank: to review, as a scan's
    for read in resolved:
        if read.question in partial:
            recalibrate(read, AMBIGUOUS)
    return resolved


def assign_page(store, catalogue, page_id: int, who: str, form_id: str, version: int, page_number: int,
                serial: int, *, unit: str | None = None, reason: str = "") -> str:
    """Give an unidentified page its form, page and serial; its stored marks become answers.

    ``unit``: a code of the unit registry (omr.online.units, ``units`` table), or None. Raises ReviewError
    for a code longer than the column holds (MAX_UNIT_CODE), a code not in the registry, any code while the
    registry is empty (nothing to check it against: the message says to import the list), and a page not
    waiting in the queue (see :func:`editable`).
    """
    key = f"page:{page_id}"
    unit = check_unit_code(store, unit)
    _check_claim(store, key, who)
    item = load_item(store, key)
    if item is None:
        raise ReviewError("Trang này không còn trong cơ sở dữ liệu")
    if not editable(item):
        raise ReviewError(not_editable_reason(item))
    if not item.data["has_image"]:
        raise ReviewError("Không đọc được ảnh của trang này nên không thể gán cho phiếu nào: hãy loại bỏ trang, "
                          "rồi quét lại tờ phiếu (nếu tờ đã mất, đánh dấu trang đã mất ở phiếu thiếu trang)")
    layout = catalogue.layouts.get((form_id, version))
    if layout is None or page_number not in {p.number for p in layout.pages}:
        raise ReviewError(f"Không có mẫu phiếu {form_id} phiên bản {version} trang {page_number}")
    read_as = (item.data["form_id"], item.data["form_version"], item.data["page"])
    if item.data["set_aside"] == "unknown_form" or (item.data["has_boxes"] and None in read_as):
        # A page of a form omr does not have: its boxes were never read against any page of the catalogue.
        raise ReviewError(f"Trang này là của {form_page_name(*read_as)}, không có trong hệ thống, nên các ô trên "
                          "trang chưa được đọc và không thể gán trang cho phiếu: hãy thêm mẫu phiếu đó (trang Mẫu "
                          "phiếu) rồi quét lại tờ phiếu, hoặc loại bỏ trang")
    if not item.data["has_boxes"]:
        raise ReviewError("Trang này không đọc được ô nào (không thấy dấu định vị): hãy quét lại tờ phiếu "
                          "hoặc loại bỏ trang")
    if read_as != (form_id, version, page_number):
        # The boxes were measured where the matched page has them; another page's boxes are elsewhere.
        raise ReviewError(f"Các ô trên trang này được đọc theo {form_page_name(*read_as)}; chỉ có thể nhập số "
                          "phiếu cho trang đó, hoặc loại bỏ trang")
    reads = page_reads(store, layout, page_id, page_number)
    outcome = store.assign_page(page_id, form_id, version, page_number, serial, reads, who, unit=unit,
                                reason=reason, pages_expected=len(layout.pages))
    release(store, key, who)
    return outcome


# responses.unit and pages.unit are String(100); registry codes (units.code) are String(40).
MAX_UNIT_CODE = 100


def check_unit_code(store, code: str | None) -> str | None:
    """``code`` stripped (None for none) when the unit registry has it; else ReviewError in Vietnamese.

    With an empty registry every code is refused: a typed code could not be told from a typo, and a
    wrong unit on a sheet moves it into another unit's report. The page can still be assigned with no unit.
    """
    code = (code or "").strip()
    if not code:
        return None
    if len(code) > MAX_UNIT_CODE:
        raise ReviewError(f"Mã đơn vị dài quá {MAX_UNIT_CODE} ký tự; hãy gõ mã trong danh mục đơn vị (ví dụ 30001).")
    with store.reading() as conn:
        known = conn.execute(sa.select(unit_registry.c.code).where(unit_registry.c.code == code).limit(1)).first()
        if known is None and conn.execute(sa.select(unit_registry.c.id).limit(1)).first() is None:
            raise ReviewError("Danh mục đơn vị chưa được nạp nên chưa kiểm tra được mã đơn vị: quản trị viên "
                              "cần nạp danh sách xã, phường (tệp CSV mã và tên đơn vị) bằng lệnh "
                              "«omr units import units.csv». Có thể để trống mã đơn vị và gán trang ngay.")
    if known is None:
        raise ReviewError(f"Mã đơn vị «{code[:40]}» không có trong danh mục đơn vị (xem trang Đơn vị); "
                          "hãy kiểm tra lại mã trên tờ phiếu, hoặc để trống.")
    return code


def reject_page(store, page_id: int, who: str, *, reason: str = "") -> None:
    key = f"page:{page_id}"
    _check_claim(store, key, who)
    store.reject_page(page_id, who, reason=reason)
    release(store, key, who)


def _waiting_pages_of_file(file_sha256: str, batch_name: str | None, since: datetime | None):
    """SELECT of (page id, set_aside, form_id) of the pages of one scanned file (by content hash) that wait in
    the queue; with ``batch_name`` / ``since``, only those an upload job stored itself (into its batch, once
    it was made): the same file uploaded again by someone else has its pages skipped as already stored, and
    those belong to the other upload."""
    query = (sa.select(pages.c.id, pages.c.set_aside, pages.c.form_id)
             .join(source_files, source_files.c.id == pages.c.source_file_id)
             .outerjoin(page_reviews, page_reviews.c.page_id == pages.c.id)
             .where(source_files.c.sha256 == file_sha256, pages.c.set_aside.is_not(None),
                    pages.c.set_aside.not_in(NOT_ASKED), page_reviews.c.page_id.is_(None)))
    if batch_name is not None:
        query = query.join(batches, batches.c.id == pages.c.batch_id).where(batches.c.name == batch_name)
    if since is not None:
        query = query.where(pages.c.created_at >= since)
    return query.order_by(pages.c.id)


def unidentified_pages(store, file_sha256: str, batch_name: str | None = None,
                       since: datetime | None = None) -> tuple[list[int], int]:
    """(ids of the pages of one scanned file waiting in the queue as no form page at all, how many of its
    waiting pages were matched to a form: by layout, awaiting a serial, ...). Scoped as
    :func:`_waiting_pages_of_file`."""
    with store.reading() as conn:
        rows = conn.execute(_waiting_pages_of_file(file_sha256, batch_name, since)).all()
    return [r.id for r in rows if r.form_id is None], sum(r.form_id is not None for r in rows)


def reject_file_pages(store, file_sha256: str, who: str, *, reason: str = "", batch_name: str | None = None,
                      since: datetime | None = None) -> tuple[int, int]:
    """Reject at once the pages of one scanned file that are no form page (one audit row per page, one
    transaction): for a file that is no batch of forms (2,000 pages of noise). Pages matched to a form (by
    layout, waiting for their serial) are form pages and stay in the queue for a reviewer. Scoped to one
    upload as :func:`_waiting_pages_of_file`. Returns (pages rejected, form pages left in the queue)."""
    def work(conn: sa.Connection) -> tuple[int, int]:
        rows = conn.execute(_waiting_pages_of_file(file_sha256, batch_name, since)).all()
        chosen = [(r.id, r.set_aside) for r in rows if r.form_id is None]
        store.reject_pages_in(conn, chosen, who, reason, whole_file=True)
        if chosen:
            conn.execute(claims.delete().where(claims.c.item.in_([f"page:{i}" for i, _ in chosen])))
        return len(chosen), len(rows) - len(chosen)

    return store.writing(work)


def restore_page(store, page_id: int, who: str, *, reason: str = "") -> None:
    """An admin puts a rejected page back in the queue (audited). Raises StaleWriteError (omr.data.store)
    when the page is not rejected."""
    store.restore_page(page_id, who, reason=reason)


# --- history and progress ------------------------------------------------------

def response_history(store, response_id: int) -> list[dict]:
    """Every recorded change to a response (answers, comments, pages), oldest first."""
    with store.reading() as conn:
        rows = conn.execute(sa.select(changes).where(changes.c.response_id == response_id)
                            .order_by(changes.c.at, changes.c.id)).mappings().all()
    return [{**dict(r), "old": json.loads(r["old_value"]) if r["old_value"] else None,
             "new": json.loads(r["new_value"]) if r["new_value"] else None} for r in rows]


def batch_progress(store) -> list[dict]:
    """Per batch: pages, answers auto-accepted, items open in the queue and items reviewed.

    ``pending`` is the batch's open queue items (:func:`open_items`, every kind:
    serial conflicts and sheets missing a page included) and ``open`` the same
    by kind, so the job and progress pages agree with the queue.
    """
    with store.reading() as conn:
        result = {row.id: {"id": row.id, "name": row.name, "created_at": row.created_at, "pages": 0,
                           "set_aside": 0, "auto_accepted": 0, "pending": 0, "reviewed": 0}
                  for row in conn.execute(sa.select(batches).order_by(batches.c.created_at.desc(), batches.c.id))}
        for batch_id, set_aside, n in conn.execute(
                sa.select(pages.c.batch_id, pages.c.set_aside.is_not(None), sa.func.count())
                .group_by(pages.c.batch_id, pages.c.set_aside.is_not(None))):
            result[batch_id]["pages"] += n
            if set_aside:
                result[batch_id]["set_aside"] += n
        # Grouped by plain columns: PostgreSQL does not match "set_by = $1" in GROUP BY to the one in SELECT.
        by_answer = (sa.select(pages.c.batch_id, answers.c.set_by, answers.c.status, sa.func.count())
                     .join(pages, pages.c.id == answers.c.source_page_id)
                     .group_by(pages.c.batch_id, answers.c.set_by, answers.c.status))
        for batch_id, set_by, status, n in conn.execute(by_answer):
            if set_by != MACHINE:
                result[batch_id]["reviewed"] += n
            elif status not in NEEDS_REVIEW:
                result[batch_id]["auto_accepted"] += n
        for batch_id, n in conn.execute(
                sa.select(pages.c.batch_id, sa.func.count())
                .join(pages, pages.c.id == comments.c.page_id).where(comments.c.status == "reviewed")
                .group_by(pages.c.batch_id)):
            result[batch_id]["reviewed"] += n
        for batch_id, n in conn.execute(
                sa.select(pages.c.batch_id, sa.func.count())
                .join(page_reviews, page_reviews.c.page_id == pages.c.id)
                .where(pages.c.set_aside.is_not(None), pages.c.set_aside.not_in(NOT_ASKED))
                .group_by(pages.c.batch_id)):
            result[batch_id]["reviewed"] += n
        assigned = conn.execute(
            sa.select(pages.c.batch_id, sa.func.count(sa.distinct(changes.c.entity_id)))
            .join(pages, pages.c.id == changes.c.entity_id)
            .where(changes.c.entity == "page", changes.c.field == "identity").group_by(pages.c.batch_id))
        for batch_id, n in assigned:
            result[batch_id]["reviewed"] += n
    for row in result.values():
        row["open"] = open_items(store, QueueFilter(batch_id=row["id"]))
        row["pending"] = row["open"].total
    return list(result.values())


def batch_named(store, name: str) -> int | None:
    """The id of the batch called ``name`` (None: no such batch)."""
    with store.reading() as conn:
        return conn.execute(sa.select(batches.c.id).where(batches.c.name == name)).scalar()


def items_per_hour(times: list[datetime]) -> tuple[float, float | None]:
    """(working hours, items per hour or None) from the times of one person's changes.

    Working time is the sum of the gaps between consecutive changes, gaps
    longer than IDLE_GAP counted as IDLE_GAP (a pause); the first item of
    each stretch counts one typical gap so a single item is not infinitely fast.
    The rate is None (shown "—") until the working time reaches
    tuning.RATE_MIN_WORKED_MINUTES: a reviewer's first minute is no rate.
    """
    if not times:
        return 0.0, None
    times = sorted(times)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    worked = sum((min(g, IDLE_GAP) for g in gaps), timedelta())
    typical = min(gaps) if gaps else timedelta(seconds=30)
    worked += max(typical, timedelta(seconds=1))
    hours = worked.total_seconds() / 3600
    if worked < timedelta(minutes=tuning.RATE_MIN_WORKED_MINUTES):
        return hours, None
    return hours, len(times) / hours


def reviewer_progress(store) -> list[dict]:
    """Per person: items decided, working hours and items per hour, latest first."""
    with store.reading() as conn:
        rows = conn.execute(sa.select(changes.c.who, changes.c.at)
                            .where(changes.c.entity.in_(("answer", "comment", "page", "response")))
                            .order_by(changes.c.who, changes.c.at)).all()
    times: dict[str, list[datetime]] = {}
    for row in rows:
        times.setdefault(row.who, []).append(stored_time(row.at))
    result = []
    for who, seen in times.items():
        hours, rate = items_per_hour(seen)
        result.append({"who": who, "decided": len(seen), "hours": hours, "per_hour": rate, "last": max(seen)})
    return sorted(result, key=lambda r: r["last"], reverse=True)


def units(store) -> list[tuple[str, int]]:
    """Unit codes seen on responses, with their response counts."""
    with store.reading() as conn:
        return [(u, n) for u, n in conn.execute(
            sa.select(responses.c.unit, sa.func.count()).where(responses.c.unit.is_not(None))
            .group_by(responses.c.unit).order_by(responses.c.unit))]
