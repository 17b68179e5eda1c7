"""Whether a paper response has all its pages, and people's decisions on whole sheets (issue #14).

A paper response knows its pages: ``responses.pages_expected`` (the pages of
its form) and the page numbers joined to it in ``response_pages``. A page
that never arrived, or that was set aside (QR code unreadable, misaligned...)
and not yet given to its sheet, leaves the response *incomplete*. Nothing is
stored for that: it is derived at query time, so assigning the page later
makes the response complete again without any update.

Each question of a missing page has no answer row; exports give it the
status :data:`omr.model.MISSING_PAGE` (never ``blank``), reports leave it
out of the counts (it is not a blank) and state how many sheets are
incomplete. In the review queue a person either assigns the set-aside page
(the existing page item) or declares the missing pages lost
(:func:`mark_pages_lost`, flag :data:`PAGES_LOST`): the response stays
incomplete, but leaves the queue.

Two different sheets carrying one serial (``serial_conflict``) are put in
front of a person side by side (:func:`conflict_group`), who keeps one
(:data:`REJECTED` on the others), keeps both (one gets a new serial) or
neither (:func:`resolve_conflict`).

A sheet of a form without serials whose page looks like another scan of a
stored sheet (same inked boxes, same ink: :mod:`omr.scan.duplicates`) is
flagged ``possible_duplicate`` (:data:`POSSIBLE_DUPLICATE`) when it is
stored. Until a person decides it is left out of exports and reports (the
stored sheet is counted): an operator who rescans a crooked stack expects
each sheet once, and a report counting it twice would go out wrong, while
one short by a sheet waiting in the queue is stated as such. The person sees
both side by side (:func:`duplicate_group`) and keeps one (:data:`REJECTED`
on the other) or both (two respondents who answered alike)
(:func:`resolve_duplicate`). Two sheets are never merged without a person.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from omr.data.schema import (
    NO_ANSWERS,
    NO_ANSWERS_CHECKED,
    POSSIBLE_DUPLICATE,
    SERIAL_CONFLICT,
    batches,
    pages,
    response_pages,
    responses,
    split_flags,
)
from omr.errors import OmrError

# responses.flags set by a person (issue #14)
PAGES_LOST = "pages_lost"  # the missing pages of this sheet will not come: it stays incomplete
REJECTED = "rejected"  # this sheet is not kept (a serial conflict decided against it): no export, no report

KEEP_ONE, KEEP_BOTH, KEEP_NEITHER = "keep", "both", "neither"

# Flags that keep a response out of every report figure (omr.reports.cache builds the figures of the XLSX,
# DOCX and HTML reports from this one list): a sheet not kept, a possible rescan and a serial conflict both
# still waiting for a person. A conflict's sheets carry one serial and different marks: which of them is the
# respondent's is the reviewer's decision, and the report's red box says items not yet checked are not
# counted, so no copy counts until then (counting both put 33 sheets in a report of 31; counting one
# would be a guess). The report says how many sheets wait (omr.reports.figures.conflict_sheets).
# A sheet with no mark on any page (NO_ANSWERS) is no valid response, before a person looks or after.
NOT_IN_FIGURES = (REJECTED, POSSIBLE_DUPLICATE, SERIAL_CONFLICT, NO_ANSWERS)


class DecisionError(OmrError):
    """A person's decision on a sheet cannot be applied (the message says why, in Vietnamese)."""


def missing_pages(response: dict) -> list[int]:
    """Page numbers (1-based) of a paper response that are not joined to it, ascending.

    ``response`` is a dict of :meth:`omr.data.store.Store.responses`. Online
    responses and responses whose number of pages is unknown have none.
    """
    if response.get("channel", "paper") != "paper" or not response.get("pages_expected"):
        return []
    present = {p["page"] for p in response.get("pages", [])}
    return [n for n in range(1, int(response["pages_expected"]) + 1) if n not in present]


def pages_lost(response: dict) -> bool:
    """True when a person declared this response's missing pages lost."""
    return PAGES_LOST in response.get("flags", [])


def page_count():
    """SQL: the number of distinct pages joined to the response of the outer query."""
    return (sa.select(sa.func.count(sa.distinct(response_pages.c.page_number)))
            .where(response_pages.c.response_id == responses.c.id).scalar_subquery())


def incomplete():
    """SQL condition on ``responses``: a paper response with fewer pages than its form has."""
    return sa.and_(responses.c.channel == "paper", responses.c.pages_expected.is_not(None),
                   page_count() < responses.c.pages_expected)


def _has_flag(flag: str):
    return responses.c.flags.contains(flag, autoescape=True)


def missing_pages_not_conflict():
    """SQL condition: incomplete and not a copy in an undecided serial conflict (a second, different copy
    of a stored sheet's page is no sheet missing pages: a person picks the right copy in the queue)."""
    return sa.and_(incomplete(), sa.not_(_has_flag(SERIAL_CONFLICT)))


def awaiting_pages():
    """SQL condition: incomplete, no decision yet, and not part of an undecided serial conflict."""
    return sa.and_(incomplete(), sa.not_(_has_flag(PAGES_LOST)), sa.not_(_has_flag(REJECTED)),
                   sa.not_(_has_flag(SERIAL_CONFLICT)), sa.not_(_has_flag(POSSIBLE_DUPLICATE)))


def awaiting_duplicate():
    """SQL condition on ``responses``: a possible duplicate no person has decided on yet."""
    return sa.and_(_has_flag(POSSIBLE_DUPLICATE), sa.not_(_has_flag(REJECTED)))


def counted(flags: list[str]) -> bool:
    """Whether a response with these flags is in exports: not rejected, not a possible duplicate still
    waiting for a person. (A sheet of an undecided serial conflict is exported, flagged; it is in no
    report figure: :func:`in_figures`.)"""
    return REJECTED not in flags and POSSIBLE_DUPLICATE not in flags


def in_figures(flags: list[str]) -> bool:
    """Whether a response with these flags counts in report figures: none of :data:`NOT_IN_FIGURES`."""
    return not any(flag in flags for flag in NOT_IN_FIGURES)


def awaiting_no_answers():
    """SQL condition on ``responses``: a sheet with no mark on any page that no person has looked at yet."""
    return sa.and_(responses.c.flags.contains(NO_ANSWERS, autoescape=True),
                   sa.not_(responses.c.flags.contains(NO_ANSWERS_CHECKED, autoescape=True)),
                   sa.not_(responses.c.flags.contains(REJECTED, autoescape=True)))


def conflict_heads():
    """SQL: the lowest response id of each group of responses still in a serial conflict."""
    return (sa.select(sa.func.min(responses.c.id))
            .where(_has_flag(SERIAL_CONFLICT), sa.not_(_has_flag(REJECTED)))
            .group_by(responses.c.form_id, responses.c.version, responses.c.serial))


def incomplete_ids(store) -> set[int]:
    """Ids of every incomplete paper response of the store, rejected ones left out."""
    with store.reading() as conn:
        return set(conn.execute(sa.select(responses.c.id).where(incomplete(), sa.not_(_has_flag(REJECTED))))
                   .scalars())


def incomplete_missing_pages(store) -> dict[int, list[int]]:
    """Every incomplete paper response of the store (rejected ones left out): id -> the page numbers
    (1-based, ascending) it lacks, so a report can say «1 phiếu thiếu trang 2»."""
    with store.reading() as conn:
        heads = conn.execute(sa.select(responses.c.id, responses.c.pages_expected)
                             .where(incomplete(), sa.not_(_has_flag(REJECTED)))).all()
        present: dict[int, set[int]] = {row.id: set() for row in heads}
        ids = list(present)
        for i in range(0, len(ids), 500):  # bound parameters per query
            for response_id, page in conn.execute(
                    sa.select(response_pages.c.response_id, response_pages.c.page_number)
                    .where(response_pages.c.response_id.in_(ids[i:i + 500]))):
                present[response_id].add(page)
    return {row.id: [n for n in range(1, int(row.pages_expected) + 1) if n not in present[row.id]]
            for row in heads}


def sheet(conn: sa.Connection, response_id: int) -> dict | None:
    """One response as the review page shows it: identity, flags and its pages ({page, page_id}), or None."""
    head = conn.execute(sa.select(responses).where(responses.c.id == response_id)).first()
    if head is None:
        return None
    joined = conn.execute(
        sa.select(response_pages.c.page_number, response_pages.c.page_id, pages.c.batch_id)
        .join(pages, pages.c.id == response_pages.c.page_id)
        .where(response_pages.c.response_id == response_id).order_by(response_pages.c.page_number)).all()
    found = [{"page": r.page_number, "page_id": r.page_id} for r in joined]
    record = {"id": head.id, "form_id": head.form_id, "version": head.version, "serial": head.serial,
              "unit": head.unit, "pages_expected": head.pages_expected, "flags": split_flags(head.flags),
              "flags_text": head.flags, "channel": head.channel or "paper", "pages": found}
    record["missing"] = missing_pages(record)
    batch_ids = {r.batch_id for r in joined}
    # Set-aside pages of the same batches still waiting for a person: one of them may be the missing page.
    record["candidates"] = [r.id for r in conn.execute(
        sa.select(pages.c.id).where(pages.c.batch_id.in_(batch_ids), pages.c.set_aside.is_not(None),
                                    pages.c.set_aside != "blank").order_by(pages.c.id).limit(20))] \
        if record["missing"] and batch_ids else []
    return record


def sheets_missing_page(conn: sa.Connection, page_id: int, limit: int = 5) -> list[dict]:
    """The sheets a set-aside page may belong to: paper responses of the page's batch that lack a page.

    When the page's form and page number are known (read before it was set aside), only sheets of that
    form lacking that page. Each: ``{"id", "serial", "unit", "missing"}`` (missing: 1-based page numbers),
    by serial, at most ``limit``; [] when the page is unknown. A suggestion for the reviewer, never applied
    by itself: the serial printed on the picture decides.
    """
    page = conn.execute(sa.select(pages.c.batch_id, pages.c.form_id, pages.c.version, pages.c.page)
                        .where(pages.c.id == page_id)).first()
    if page is None:
        return []
    in_batch = (sa.select(response_pages.c.response_id).join(pages, pages.c.id == response_pages.c.page_id)
                .where(pages.c.batch_id == page.batch_id))
    query = (sa.select(responses.c.id).where(responses.c.id.in_(in_batch), awaiting_pages())
             .order_by(responses.c.serial, responses.c.id))
    if page.form_id is not None and page.version is not None:
        query = query.where(responses.c.form_id == page.form_id, responses.c.version == page.version)
    found = []
    for response_id in conn.execute(query).scalars():
        record = sheet(conn, response_id)
        if record is None or (page.page is not None and page.page not in record["missing"]):
            continue
        found.append({"id": record["id"], "serial": record["serial"], "unit": record["unit"],
                      "missing": record["missing"]})
        if len(found) >= limit:
            break
    return found


@dataclass(frozen=True)
class ResponseDecision:
    """One response's part of a person's decision (:meth:`omr.data.store.Store.decide_responses`): flags
    added and removed, a new serial (None: kept), the flags text the person was shown (None: not checked)."""
    response_id: int
    add_flags: tuple[str, ...] = ()
    remove_flags: tuple[str, ...] = ()
    serial: int | None = None
    expected_flags: str | None = None


def conflict_group(conn: sa.Connection, response_id: int) -> list[dict]:
    """The responses sharing ``response_id``'s form, version and serial still in conflict, by id."""
    head = conn.execute(sa.select(responses.c.form_id, responses.c.version, responses.c.serial)
                        .where(responses.c.id == response_id)).first()
    if head is None:
        return []
    ids = conn.execute(sa.select(responses.c.id).where(
        responses.c.form_id == head.form_id, responses.c.version == head.version,
        responses.c.serial == head.serial, _has_flag(SERIAL_CONFLICT), sa.not_(_has_flag(REJECTED)))
        .order_by(responses.c.id)).scalars().all()
    return [s for s in (sheet(conn, i) for i in ids) if s is not None]


def mark_pages_lost(store, response_id: int, who: str, *, reason: str = "", expected_flags: str | None = None) -> None:
    """A person declares the missing pages of an incomplete response lost; it leaves the queue.

    Raises DecisionError when the response is complete (nothing to declare).
    """
    with store.reading() as conn:
        record = sheet(conn, response_id)
    if record is None:
        raise DecisionError("Phiếu này không còn trong cơ sở dữ liệu")
    if not record["missing"]:
        raise DecisionError("Phiếu này đã đủ trang; không có trang nào để đánh dấu là mất")
    store.decide_response(response_id, who, add_flags=(PAGES_LOST,), reason=reason, expected_flags=expected_flags)


def resolve_conflict(store, response_id: int, who: str, decision: str, *, keep_id: int | None = None,
                     new_serial: int | None = None, new_serials: dict[int, int] | None = None, reason: str = "",
                     shown: list[int] | None = None) -> None:
    """A person's decision on the sheets that share ``response_id``'s serial.

    ``decision``: KEEP_ONE (``keep_id`` stays, the others are REJECTED),
    KEEP_BOTH (every sheet is kept: ``keep_id`` keeps the serial, each other sheet gets its own new
    serial, from ``new_serials`` {sheet id: serial} or, for a group of two, ``new_serial``; no two alike
    and none that a response of the form carries), KEEP_NEITHER (all REJECTED). Every sheet of the group
    loses its ``serial_conflict`` flag. ``shown``: the ids of the sheets the person saw; when the group is
    no longer those (a sheet of that serial scanned since), nothing is written. Raises DecisionError on a
    decision that does not fit the group.
    """
    wanted = dict(new_serials or {})
    if decision == KEEP_BOTH and any(not 1 <= s <= 999_999 for s in [*wanted.values(), *([new_serial] if
                                                                                          new_serial is not None
                                                                                          else [])]):
        # before any query: a 31-digit serial overflowed the database's integer (a 500, not a message)
        raise DecisionError("Cần số phiếu mới (1 đến 999999) cho mỗi tờ không giữ số cũ")
    with store.reading() as conn:
        group = conflict_group(conn, response_id)
        ids = [g["id"] for g in group]
        others = [i for i in ids if i != keep_id]
        if decision == KEEP_BOTH and new_serial is not None and len(others) == 1 and others[0] not in wanted:
            wanted[others[0]] = new_serial
        serials = [wanted[i] for i in others if i in wanted]
        if decision == KEEP_BOTH and serials and group:
            taken = conn.execute(sa.select(responses.c.serial).where(
                responses.c.form_id == group[0]["form_id"], responses.c.serial.in_(serials))
                .order_by(responses.c.serial)).scalars().first()
        else:
            taken = None
    if len(group) < 2:
        raise DecisionError("Không còn tờ trùng số phiếu này để quyết định; tải lại hàng đợi.")
    _check_shown(ids, shown)
    if decision in (KEEP_ONE, KEEP_BOTH) and keep_id not in ids:
        raise DecisionError("Hãy chọn tờ phiếu được giữ")
    if decision == KEEP_BOTH:
        if len(serials) != len(others):
            raise DecisionError("Cần số phiếu mới (1 đến 999999) cho mỗi tờ không giữ số cũ")
        if len(set(serials)) != len(serials):
            raise DecisionError("Mỗi tờ cần một số phiếu mới khác nhau")
        if taken is not None:
            raise DecisionError(f"Số phiếu {taken:06d} đã có phiếu khác dùng; hãy chọn số khác")
    elif decision not in (KEEP_ONE, KEEP_NEITHER):
        raise DecisionError("Quyết định không hợp lệ")
    # Every sheet in one transaction: if a new serial was taken meanwhile (or a sheet changed), nothing is
    # written and the whole group keeps its conflict (never some sheets renumbered, the rest not).
    decisions = []
    for g in group:
        kept = decision == KEEP_BOTH or (decision == KEEP_ONE and g["id"] == keep_id)
        decisions.append(ResponseDecision(
            g["id"], add_flags=() if kept else (REJECTED,), remove_flags=(SERIAL_CONFLICT,),
            serial=wanted[g["id"]] if decision == KEEP_BOTH and g["id"] != keep_id else None,
            expected_flags=g["flags_text"]))
    store.decide_responses(who, decisions, reason=reason)


def _check_shown(ids: list[int], shown: list[int] | None) -> None:
    """DecisionError when the person decided on other sheets than the group now holds (None: not checked)."""
    if shown is not None and sorted(shown) != sorted(ids):
        raise DecisionError("Nhóm tờ phiếu đã thay đổi từ khi bạn mở trang (có tờ mới quét cùng số, hoặc một tờ "
                            "đã được xử lý); chưa lưu gì. Hãy xem lại các tờ rồi quyết định.")


def awaiting_conflict():
    """SQL condition on ``responses``: a sheet of a serial conflict no person has decided on yet."""
    return sa.and_(_has_flag(SERIAL_CONFLICT), sa.not_(_has_flag(REJECTED)))


def awaiting_duplicate_sheets(store) -> list[tuple[int, str | None, object, object]]:
    """(response id, unit, earliest collection start, latest collection end) of every possible duplicate
    still waiting for a person: the report says how many of its period are not counted yet."""
    return _waiting_sheets(store, awaiting_duplicate())


def awaiting_conflict_sheets(store) -> list[tuple[int, str | None, object, object]]:
    """As :func:`awaiting_duplicate_sheets`, for every sheet of a serial conflict still waiting for a
    person (each sheet of a group, so a group of two gives two rows)."""
    return _waiting_sheets(store, awaiting_conflict())


def no_answer_sheets(store) -> list[tuple[int, str | None, object, object]]:
    """As :func:`awaiting_duplicate_sheets`, for every paper sheet with no mark on any page (``no_answers``),
    looked at by a person or not: never a valid response, the report says how many it left out."""
    return _waiting_sheets(store, sa.and_(responses.c.flags.contains(NO_ANSWERS, autoescape=True),
                                          sa.not_(responses.c.flags.contains(REJECTED, autoescape=True))))


def _waiting_sheets(store, condition) -> list[tuple[int, str | None, object, object]]:
    query = (sa.select(responses.c.id, responses.c.unit, sa.func.min(batches.c.collected_from),
                       sa.func.max(batches.c.collected_to))
             .join(response_pages, response_pages.c.response_id == responses.c.id)
             .join(pages, pages.c.id == response_pages.c.page_id)
             .join(batches, batches.c.id == pages.c.batch_id)
             .where(condition).group_by(responses.c.id, responses.c.unit))
    with store.reading() as conn:
        return [tuple(row) for row in conn.execute(query)]


def duplicate_group(conn: sa.Connection, response_id: int) -> list[dict]:
    """The stored sheets ``response_id``'s pages look like another scan of (oldest first), then the
    response itself; [] when it is not a possible duplicate."""
    head = conn.execute(sa.select(responses.c.flags).where(responses.c.id == response_id)).first()
    if head is None or POSSIBLE_DUPLICATE not in split_flags(head.flags):
        return []
    earlier = (sa.select(pages.c.duplicate_of).join(response_pages, response_pages.c.page_id == pages.c.id)
               .where(response_pages.c.response_id == response_id, pages.c.duplicate_of.is_not(None)))
    ids = conn.execute(sa.select(response_pages.c.response_id).distinct()
                       .where(response_pages.c.page_id.in_(earlier), response_pages.c.response_id != response_id)
                       ).scalars().all()
    return [s for s in (sheet(conn, i) for i in sorted(ids) + [response_id]) if s is not None]


def resolve_duplicate(store, response_id: int, who: str, decision: str, *, keep_id: int | None = None,
                      reason: str = "", shown: list[int] | None = None) -> None:
    """A person's decision on a possible duplicate (``response_id``, the later scan) and the sheets it looks like.

    KEEP_ONE: ``keep_id`` stays, every other sheet of the group is REJECTED (kept in the
    database, out of exports and reports). KEEP_BOTH: different respondents who answered alike,
    every sheet is counted. Either way the later one loses its ``possible_duplicate`` flag; each
    change is audited. ``shown`` as in :func:`resolve_conflict`. Raises DecisionError on a decision that
    does not fit the group.
    """
    with store.reading() as conn:
        group = duplicate_group(conn, response_id)
    ids = [g["id"] for g in group]
    if len(group) < 2:
        raise DecisionError("Phiếu này không còn chờ quyết định trùng bản quét; tải lại hàng đợi.")
    _check_shown(ids, shown)
    if decision == KEEP_ONE and keep_id not in ids:
        raise DecisionError("Hãy chọn tờ phiếu được giữ")
    if decision not in (KEEP_ONE, KEEP_BOTH):
        raise DecisionError("Quyết định không hợp lệ")
    decisions = []
    for g in group:
        kept = decision == KEEP_BOTH or g["id"] == keep_id
        if kept and g["id"] != response_id:
            continue  # a stored sheet that stays as it is: nothing to write
        decisions.append(ResponseDecision(g["id"], add_flags=() if kept else (REJECTED,),
                                          remove_flags=(POSSIBLE_DUPLICATE,) if g["id"] == response_id else (),
                                          expected_flags=g["flags_text"]))
    store.decide_responses(who, decisions, reason=reason)  # all or, one having changed meanwhile, none
