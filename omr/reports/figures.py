"""Period reports for the administrative-reform cut-offs (issue #7).

``omr report --period P [--unit CODE | --all-units] [--roll-up] [--calendar] -o report.xlsx|.docx|.html``

The figures follow the ministry's index (SIPAS practice, shared/docs/domain.md):

- per scale question: the distribution 1-5, "Không ý kiến", blanks, answers
  a reviewer found invalid (several boxes ticked, model.INVALID_MULTIPLE) and
  answers awaiting review; % satisfied = (n4 + n5) / n_valid x 100 where
  n_valid counts answers 1-5 only (blanks, invalid, KYK and unreviewed marks
  are excluded); the mean score on 1-5 and n_valid;
- per group: the mean of its questions' indices; overall: the mean of the
  group indices, shown beside the overall-satisfaction question;
- the staff-attitude section (group D and "asked to pay beyond fees"),
  every flagged comment (text masked for personal numbers, crop for paper),
  responses by channel and unit, units ranked, the change against the
  previous period, and the answers still awaiting review.

Data flow: :mod:`omr.reports.cache` keeps one compact row per response;
:func:`aggregate` counts a period's answers per unit *as stored* (an
:class:`Aggregates`, also what closing a period freezes); :func:`build`
rolls units up when asked, restricts to a unit and derives the indices;
:mod:`omr.reports.render` writes XLSX, DOCX or HTML.

Closing a period (``omr period close P``) stores its Aggregates. A report on
a closed period shows those frozen figures; whenever the live figures of a
closed period differ from frozen-plus-recorded-revisions (a review edit, a
late import), the difference is recorded once as a revision and listed in
that period's reports and in the next period's report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from omr.data import completeness, review as review_queue
from omr.data.schema import answers as answers_table
from omr.data.schema import changes, comments, period_closures, period_revisions, responses, stored_time
from omr.data.store import open_store
from omr.errors import BadArgumentsError, OmrError, TemplateError
from omr.forms.links import counts_under_own_ids
from omr.forms.pinned import is_assigned_serial, shown_serial
from omr.forms.template import Group, load_template
from omr.online.units import load_registry
from omr.reports import cache as report_cache
from omr.reports import render as report_render
from omr.reports.dataset import catalogue_lookup
from omr.data.private_files import replacing
from omr.reports.periods import DATE_SOURCES, Period, parse_period, previous_period, response_dates
from omr.text.lexicon import flags_from_json, flags_of
from omr.text.numbers import vn_integer
from omr.text.privacy import holds_personal_number, mask_personal_numbers
from omr.tuning import CROP_TRIM_INK_LEVEL, CROP_TRIM_MARGIN_PX, RANKING_MIN_RESPONSES

# The default form's roles (form_templates/motcua-2026.yaml). The overall-
# satisfaction group is shown beside the overall index, not averaged into it.
OVERALL_GROUP = "H"
STAFF_GROUP = "D"  # civil servants: the staff-attitude section
PAY_QUESTION = "H2"  # "asked to pay anything beyond fees?" (yes/no)
SATISFIED = ("4", "5")
SCALE = ("1", "2", "3", "4", "5")
CHANNELS = {0: "paper", 1: "online"}
CHANNEL_NAMES = {"paper": "Phiếu giấy", "online": "Trực tuyến"}
NO_UNIT = ""
NO_UNIT_NAME = "(chưa rõ đơn vị)"
FORMATS = (".xlsx", ".docx", ".html")
# Change-log rows listed per revision; the counts are always complete.
REVISION_DETAIL_ROWS = 200


class ReportError(OmrError):
    exit_code = 2


# --- aggregates: what a period holds, per unit as stored -------------------------------

@dataclass
class Aggregates:
    """A period's counts per stored unit code: the raw material of every figure, and what closing freezes."""

    answers: pd.DataFrame  # unit, question, code, n  (code: 1-5, K, Y, N, '.', '?', 'x', '!' invalid)
    responses: pd.DataFrame  # unit, channel, date_source, n
    review: pd.DataFrame  # unit, answers, comments  (awaiting a person)
    flags: list[dict] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"answers": self.answers.values.tolist(), "responses": self.responses.values.tolist(),
                           "review": self.review.values.tolist(), "flags": self.flags},
                          ensure_ascii=False, default=_json_default)

    @classmethod
    def from_json(cls, text: str) -> Aggregates:
        data = json.loads(text)
        return cls(_frame(data["answers"], ANSWER_COLUMNS), _frame(data["responses"], RESPONSE_COLUMNS),
                   _frame(data["review"], REVIEW_COLUMNS), data.get("flags", []))

    def combine(self, other: Aggregates, sign: int = 1) -> Aggregates:
        """self + sign * other, counts only (flags: self's, plus other's new ones when adding)."""
        def merged(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
            b = b.copy()
            values = [c for c in b.columns if c not in keys]
            b[values] = b[values] * sign
            out = pd.concat([a, b]).groupby(keys, as_index=False, observed=True)[values].sum()
            return out[(out[values] != 0).any(axis=1)].reset_index(drop=True)

        keys = {f["key"] for f in self.flags}
        flags = self.flags + ([f for f in other.flags if f["key"] not in keys] if sign > 0 else [])
        return Aggregates(merged(self.answers, other.answers, ["unit", "question", "code"]),
                          merged(self.responses, other.responses, ["unit", "channel", "date_source"]),
                          merged(self.review, other.review, ["unit"]), flags)

    def is_empty(self) -> bool:
        return not (len(self.answers) or len(self.responses) or len(self.review))


ANSWER_COLUMNS = ["unit", "question", "code", "n"]
RESPONSE_COLUMNS = ["unit", "channel", "date_source", "n"]
REVIEW_COLUMNS = ["unit", "answers", "comments"]


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column in ("n", "answers", "comments"):
            frame[column] = frame[column].astype("int64")
    return frame


def _json_default(value: object):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


@dataclass
class Responses:
    """Every response's cache row with the date it counts on."""

    frame: pd.DataFrame  # response_id, unit, channel, day, date_source, pending, comments_pending, flagged
    codes: np.ndarray  # responses x layout.questions, uint8
    layout: report_cache.CacheLayout


def load_responses(store, layout: report_cache.CacheLayout) -> Responses:
    report_cache.refresh(store, layout)
    frame, codes = report_cache.load(store, layout)
    frame["day"], frame["date_source"] = response_dates(frame)
    frame["unit"] = frame["unit"].fillna(NO_UNIT)
    return Responses(frame, codes, layout)


def aggregate(store, data: Responses, period: Period) -> Aggregates:
    """The period's counts per stored unit (vectorised over the cache rows)."""
    frame = data.frame
    inside = ((frame["day"] >= pd.Timestamp(period.start)) & (frame["day"] <= pd.Timestamp(period.end))).to_numpy()
    sub = frame[inside]
    units = pd.Categorical(sub["unit"])
    unit_index = units.codes.astype(np.int64)
    names = list(units.categories)
    rows = []
    codes = data.codes[inside]
    for j, question in enumerate(data.layout.questions):
        counts = np.bincount(unit_index * 256 + codes[:, j], minlength=len(names) * 256)
        for key in np.flatnonzero(counts):
            code = chr(key % 256)
            if code != chr(report_cache.CODE_MISSING):
                rows.append((names[key // 256], question, code, int(counts[key])))
    answers = _frame(rows, ANSWER_COLUMNS)
    by_channel = (sub.assign(channel=sub["channel"].map(CHANNELS), date_source=sub["date_source"].astype(str))
                  .groupby(["unit", "channel", "date_source"], observed=True).size().reset_index(name="n"))
    review = (sub.groupby("unit", observed=True)[["pending", "comments_pending"]].sum().reset_index()
              .rename(columns={"pending": "answers", "comments_pending": "comments"}))
    review = review[(review["answers"] > 0) | (review["comments"] > 0)].reset_index(drop=True)
    flagged = sub.loc[sub["flagged"] > 0, ["response_id", "day"]]
    flags = flagged_comments(store, data.layout, dict(zip(flagged["response_id"], flagged["day"])))
    return Aggregates(answers, _frame(by_channel.values.tolist(), RESPONSE_COLUMNS),
                      _frame(review.values.tolist(), REVIEW_COLUMNS), flags)


def flagged_comments(store, layout: report_cache.CacheLayout, days: dict[int, pd.Timestamp]) -> list[dict]:
    """Every flagged (not negated) comment or online free text of these responses, text masked; a paper
    comment whose draft or reviewed text holds a phone or ID number has no crop (``crop_comment`` None,
    ``crop_withheld`` True): the picture would show the number."""
    found: list[dict] = []
    ids = sorted(int(i) for i in days)
    with store.reading() as conn:
        for start in range(0, len(ids), report_cache.IN_CHUNK):
            chunk = ids[start:start + report_cache.IN_CHUNK]
            heads = {r.id: r for r in conn.execute(
                sa.select(responses.c.id, responses.c.unit, responses.c.serial, responses.c.channel)
                .where(responses.c.id.in_(chunk)))}
            assigned = assigned_serial_ids(conn, chunk)
            for row in conn.execute(
                    sa.select(comments.c.id, comments.c.response_id, comments.c.field, comments.c.status,
                              comments.c.text, comments.c.draft_text, comments.c.flags,
                              comments.c.crop_png.is_not(None).label("has_crop"))
                    .where(comments.c.response_id.in_(chunk), comments.c.flags != "[]")
                    .order_by(comments.c.response_id, comments.c.field)):
                matches = [m for m in flags_from_json(row.flags) if m.flagged]
                if matches:
                    reviewed = row.status == "reviewed"
                    withheld = bool(row.has_crop) and holds_personal_number(row.draft_text, row.text)
                    found.append(_flag_item(f"comment:{row.id}", heads[row.response_id], row.field,
                                            row.text if reviewed else row.draft_text,
                                            "reviewed" if reviewed else "draft", matches, days, row.id
                                            if row.has_crop and not withheld else None, row.response_id in assigned,
                                            crop_withheld=withheld))
            if layout.text_questions:
                for row in conn.execute(
                        sa.select(answers_table.c.response_id, answers_table.c.question, answers_table.c.value)
                        .where(answers_table.c.response_id.in_(chunk),
                               answers_table.c.question.in_(layout.text_questions),
                               answers_table.c.value.is_not(None))
                        .order_by(answers_table.c.response_id, answers_table.c.question)):
                    text = json.loads(row.value)
                    matches = [m for m in flags_of(text, source="online") if m.flagged] if isinstance(text, str) else []
                    if matches:
                        found.append(_flag_item(f"answer:{row.response_id}:{row.question}", heads[row.response_id],
                                                row.question, text, "online", matches, days, None))
    return found


def assigned_serial_ids(conn: sa.Connection, response_ids: list[int]) -> set[int]:
    """Of these responses, those whose serial omr assigned from a page image (omr.forms.pinned.hash_serial)."""
    from omr.data.schema import pages, response_pages

    rows = conn.execute(sa.select(responses.c.id, responses.c.serial, pages.c.image_sha256)
                        .join(response_pages, response_pages.c.response_id == responses.c.id)
                        .join(pages, pages.c.id == response_pages.c.page_id)
                        .where(responses.c.id.in_(response_ids))).all()
    return {r.id for r in rows if is_assigned_serial(r.serial, [r.image_sha256])}


def _flag_item(key: str, head, field_id: str, text: str | None, state: str, matches: list, days: dict,
               crop_comment: int | None, assigned: bool = False, crop_withheld: bool = False) -> dict:
    day = days.get(head.id)
    return {"key": key, "response_id": head.id, "unit": head.unit or NO_UNIT, "serial": head.serial,
            "serial_shown": shown_serial(head.serial, assigned) if head.serial is not None else "",
            "channel": head.channel or "paper", "field": field_id,
            "date": None if day is None or pd.isna(day) else pd.Timestamp(day).date().isoformat(),
            "text": mask_personal_numbers(text or ""), "state": state,
            "terms": sorted({m.term for m in matches}), "ambiguous": any(m.ambiguous for m in matches),
            "crop_comment": crop_comment, "crop_withheld": crop_withheld}


# --- closing and revisions ----------------------------------------------------------

@dataclass
class Closure:
    id: int
    period: str
    convention: str
    closed_at: datetime
    closed_by: str
    figures: Aggregates


@dataclass
class Revision:
    closure_period: str
    found_at: datetime
    delta: Aggregates
    details: dict


def closure_of(store, period: Period) -> Closure | None:
    with store.reading() as conn:
        row = conn.execute(sa.select(period_closures).where(period_closures.c.period == period.label,
                                                            period_closures.c.convention == period.convention)).first()
    if row is None:
        return None
    return Closure(row.id, row.period, row.convention, stored_time(row.closed_at), row.closed_by,
                   Aggregates.from_json(row.figures))


def revisions_of(store, closure: Closure) -> list[Revision]:
    with store.reading() as conn:
        rows = conn.execute(sa.select(period_revisions).where(period_revisions.c.closure_id == closure.id)
                            .order_by(period_revisions.c.id)).all()
    return [Revision(closure.period, stored_time(r.found_at), Aggregates.from_json(r.delta), json.loads(r.details))
            for r in rows]


def record_revision(store, closure: Closure, live: Aggregates, data: Responses, period: Period) -> Revision | None:
    """Record the difference between a closed period's live figures and what was closed (plus earlier revisions)."""
    known = closure.figures
    earlier = revisions_of(store, closure)
    for revision in earlier:
        known = known.combine(revision.delta)
    delta = live.combine(known, sign=-1)
    known_flags = {f["key"] for f in known.flags}
    new_flags = [f for f in live.flags if f["key"] not in known_flags]
    delta.flags = new_flags
    if delta.is_empty() and not new_flags:
        return None
    since = earlier[-1].found_at if earlier else closure.closed_at
    frame = data.frame
    inside = (frame["day"] >= pd.Timestamp(period.start)) & (frame["day"] <= pd.Timestamp(period.end))
    in_period = set(frame.loc[inside, "response_id"].astype(int))
    with store.reading() as conn:
        edits = [r for r in conn.execute(
            sa.select(changes.c.at, changes.c.who, changes.c.entity, changes.c.response_id, changes.c.field,
                      changes.c.old_value, changes.c.new_value)
            .where(changes.c.at > since).order_by(changes.c.id)) if r.response_id in in_period]
    details = {
        "responses_added": int(delta.responses["n"].sum()) if len(delta.responses) else 0,
        "edits": len(edits),
        "edit_rows": [{"at": stored_time(e.at).isoformat(), "who": e.who, "entity": e.entity,
                       "response_id": e.response_id, "field": e.field, "old": e.old_value, "new": e.new_value}
                      for e in edits[:REVISION_DETAIL_ROWS]],
    }
    found_at = datetime.now(UTC)

    def work(conn: sa.Connection) -> None:
        conn.execute(period_revisions.insert().values(closure_id=closure.id, found_at=found_at,
                                                      delta=delta.to_json(),
                                                      details=json.dumps(details, ensure_ascii=False)))

    store.writing(work)
    return Revision(closure.period, found_at, delta, details)


class UnreviewedItemsError(ReportError):
    """Closing a period with items open in the review queue, without consent (exit 2).

    ``open`` is what is open, by kind (:class:`omr.data.review.OpenItems`).
    """

    def __init__(self, message: str, open_items: review_queue.OpenItems):
        super().__init__(message)
        self.open = open_items


def open_review(store, data: Responses, period: Period, mapped: Callable | None = None,
                unit: str | None = None) -> review_queue.OpenItems:
    """What is open in the review queue for this period (and unit), by kind (:func:`omr.data.review.open_items`).

    An item of a dated response is in the period its response is dated in
    (``data``); any other when its batch was collected in the period or has
    no dates (:class:`omr.data.review.Period`); with
    ``unit``, the unit codes that ``mapped`` shows as it (old codes rolled up).
    """
    frame = data.frame
    inside = (frame["day"] >= pd.Timestamp(period.start)) & (frame["day"] <= pd.Timestamp(period.end))
    dated = frame["day"].notna()
    units = None
    if unit is not None:
        units = frozenset(code for code, _n in review_queue.queue_units(store)
                          if (mapped(code)[0] if mapped else code) == unit) | {unit}
    return review_queue.open_items(store, period=review_queue.Period(
        period.start, period.end, frozenset(int(i) for i in frame.loc[inside, "response_id"]),
        frozenset(int(i) for i in frame.loc[dated & ~inside, "response_id"]), units))


def open_items_line(open_items: review_queue.OpenItems) -> str:
    """"25 mục chưa kiểm tra (18 câu trên trang bị lệch, …)" for the CLI's messages."""
    return f"{vn_integer(open_items.total)} mục chưa kiểm tra ({open_items.text()})"


def close_period(store, period_text: str, templates: str | Path = "form_templates", *, calendar: bool = False,
                 who: str = "", unreviewed_ok: bool = False
                 ) -> tuple[Period, Aggregates, review_queue.OpenItems]:
    """Freeze a period's figures ("chốt số liệu"); return them and what was open in the queue then.

    Answers and comments still awaiting a reviewer are not counted in the frozen
    figures (their review later becomes a revision). Closing with anything open
    in the review queue for the period (:func:`open_review`: answers, comments,
    unidentified pages, serial conflicts, possible rescans, sheets missing a
    page) needs ``unreviewed_ok`` (the CLI's confirmation or ``--force``).

    Raises:
        ReportError: the period was closed before, or its text is not a period.
        UnreviewedItemsError: items await review and ``unreviewed_ok`` is False;
            nothing is stored.
    """
    period = parse_period(period_text, calendar)
    if closure_of(store, period) is not None:
        raise ReportError(f"Kỳ {period.label} ({period.title}) đã được chốt số liệu trước đó; "
                          "các thay đổi sau khi chốt được ghi thành số liệu điều chỉnh.")
    layout = _layout(store, templates)
    data = load_responses(store, layout)
    figures = aggregate(store, data, period)
    waiting = open_review(store, data, period)
    if waiting and not unreviewed_ok:
        raise UnreviewedItemsError(
            f"Kỳ {period.label} ({period.title}) còn {open_items_line(waiting)}; chúng không được tính vào số "
            "liệu chốt. Hãy kiểm tra xong rồi chốt, hoặc chốt ngay bằng «omr period close … --force» (kết quả "
            "kiểm tra sau đó thành số liệu điều chỉnh).", waiting)

    def work(conn: sa.Connection) -> None:
        conn.execute(period_closures.insert().values(
            period=period.label, convention=period.convention, closed_at=datetime.now(UTC),
            closed_by=who or _user(), figures=figures.to_json()))

    store.writing(work)
    return period, figures, waiting


def pending_review(figures: Aggregates) -> tuple[int, int]:
    """(answers, handwritten comments) of ``figures`` still awaiting a reviewer."""
    if not len(figures.review):
        return 0, 0
    return int(figures.review["answers"].sum()), int(figures.review["comments"].sum())


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "không rõ"


# --- figures --------------------------------------------------------------------------

@dataclass
class QuestionInfo:
    id: str
    text: str
    type: str
    group: str
    group_title: str


def _templates(store, templates: str | Path) -> list:
    """The templates of the forms in the store, with their groups (frozen layouts keep no groups)."""
    from dataclasses import replace


    folder = Path(templates)
    written = []
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        try:
            written.append(load_template(path))
        except TemplateError:
            continue  # `omr forms` reports a broken template; a report uses the others
    lookup = catalogue_lookup(templates)
    with store.reading() as conn:
        keys = conn.execute(sa.select(responses.c.form_id, responses.c.version).distinct()).all()
    if not keys:
        keys = [(t.form_id, t.version) for t in written][:1]
    found = []
    for form, version in sorted(keys):
        exact = next((t for t in written if (t.form_id, t.version) == (form, version)), None)
        if exact is not None:
            found.append(exact)
            continue
        frozen = lookup(form, version)
        if frozen is None:
            continue
        # An older version: its questions, grouped as the form's current template groups them.
        model = next((t for t in written if t.form_id == form), None)
        groups, placed = [], set()
        for group in (model.groups if model else ()):
            ids = {q.id for q in group.questions}
            members = tuple(q for q in frozen.questions if q.id in ids)
            placed |= {q.id for q in members}
            if members:
                groups.append(Group(group.id, group.title, members))
        for q in frozen.questions:
            if q.id not in placed:
                groups.append(Group(q.id[:1], q.id[:1], (q,)))
        found.append(replace(frozen, groups=tuple(groups)))
    # The standard form a form's questions are linked to (omr.forms.links) is computed even when none
    # of its own sheets is stored: the linked answers count under its questions.
    for template in list(found):
        standard = template.extra.get("standard") or {}
        if standard.get("questions") and not any(t.form_id == standard["form"] for t in found):
            model = max((t for t in written if t.form_id == standard["form"]), key=lambda t: t.version, default=None)
            if model is not None:
                found.append(model)
    return found


def _layout(store, templates: str | Path) -> report_cache.CacheLayout:
    return report_cache.CacheLayout.from_templates(_templates(store, templates))


def question_infos(template_list: list) -> dict[str, QuestionInfo]:
    """The report questions' texts and groups, from the forms omr printed only: an office's own form
    (omr.forms.links.counts_under_own_ids) may name a question "H1" that is not the standard H1."""
    infos: dict[str, QuestionInfo] = {}
    for template in template_list:
        if not counts_under_own_ids(template):
            continue
        for group in template.groups:
            for q in group.questions:
                infos.setdefault(q.id, QuestionInfo(q.id, q.text, q.type, group.id, group.title))
    return infos


def question_table(answers: pd.DataFrame, infos: dict[str, QuestionInfo]) -> pd.DataFrame:
    """Per scale question: distribution, n_valid, % satisfied, mean (vectorised over the counts)."""
    scale = [q for q in infos.values() if q.type == "scale"]
    counts = (answers[answers["question"].isin([q.id for q in scale])]
              .pivot_table(index="question", columns="code", values="n", aggfunc="sum", fill_value=0))
    counts = counts.reindex(index=[q.id for q in scale], columns=list(SCALE) + ["K", ".", "!", "?", "x"],
                            fill_value=0)
    table = pd.DataFrame({
        "group": [q.group for q in scale], "question": [q.id for q in scale], "text": [q.text for q in scale]},
        index=counts.index)
    for code in SCALE:
        table[f"n{code}"] = counts[code]
    table["kyk"], table["blank"], table["invalid"] = counts["K"], counts["."], counts["!"]
    table["pending"], table["other"] = counts["?"], counts["x"]
    table["n_valid"] = counts[list(SCALE)].sum(axis=1)
    valid = table["n_valid"].replace(0, np.nan)
    table["pct"] = (table["n4"] + table["n5"]) / valid * 100
    table["mean"] = sum(int(c) * table[f"n{c}"] for c in SCALE) / valid
    return table.reset_index(drop=True)


# The question table's counts of answer rows (every code a sheet can give a scale question); a sheet of
# «Số phiếu» not in one of them has no answer row for the question ("absent").
ANSWER_CODES_SHOWN = [f"n{code}" for code in SCALE] + ["kyk", "blank", "invalid", "pending", "other"]


def group_table(questions: pd.DataFrame, infos: dict[str, QuestionInfo]) -> pd.DataFrame:
    titles = {q.group: q.group_title for q in infos.values()}
    groups = questions.groupby("group", sort=False).agg(index=("pct", "mean"), n_valid=("n_valid", "sum"))
    groups["title"] = [titles[g] for g in groups.index]
    return groups.reset_index()


def overall_index(groups: pd.DataFrame) -> float:
    """The mean of the factor (group) indices, the overall-satisfaction group aside."""
    return float(groups.loc[groups["group"] != OVERALL_GROUP, "index"].mean())


def unit_indices(answers: pd.DataFrame, infos: dict[str, QuestionInfo]) -> pd.DataFrame:
    """Per unit: overall index, staff index and the overall-satisfaction question's % satisfied."""
    scale = {q.id: q.group for q in infos.values() if q.type == "scale"}
    subset = answers[answers["question"].isin(scale) & answers["code"].isin(SCALE)]
    if subset.empty:
        return pd.DataFrame(columns=["unit", "index", "staff", "overall_question", "n_valid"])
    subset = subset.assign(sat=np.where(subset["code"].isin(SATISFIED), subset["n"], 0))
    per_q = subset.groupby(["unit", "question"]).agg(n=("n", "sum"), sat=("sat", "sum")).reset_index()
    per_q["pct"] = per_q["sat"] / per_q["n"] * 100
    per_q["group"] = per_q["question"].map(scale)
    per_group = per_q.groupby(["unit", "group"])["pct"].mean().unstack()
    factors = [g for g in per_group.columns if g != OVERALL_GROUP]
    out = pd.DataFrame({"index": per_group[factors].mean(axis=1)})
    out["staff"] = per_group.get(STAFF_GROUP, np.nan)
    out["overall_question"] = per_group.get(OVERALL_GROUP, np.nan)
    out["n_valid"] = per_q.groupby("unit")["n"].sum()
    return out.reset_index()


@dataclass
class Report:
    """Everything a report shows (tables as DataFrames); the writers only lay it out."""

    period: Period
    previous: Period
    scope: str  # words: "tất cả đơn vị" or the unit's name
    roll_up: bool
    generated_at: datetime
    n_responses: int
    channels: pd.DataFrame  # unit, name, paper, online, total
    date_sources: dict[str, int]
    questions: pd.DataFrame  # + prev_pct, delta
    groups: pd.DataFrame  # + prev_index, delta
    overall: float
    overall_prev: float
    overall_question: dict  # id, text, pct, prev
    yesno: pd.DataFrame  # question, text, yes, no, blank, invalid, pending, pct_yes
    units: pd.DataFrame  # rank, unit, name, responses, index, staff, overall_question, prev_index
    staff_questions: pd.DataFrame
    flags: list[dict]
    review: dict  # answers, comments, responses
    closed: dict | None  # closed_at, closed_by when the period is closed
    revisions: list[dict]  # of this period and of the previous one
    previous_source: str  # "frozen" | "live" | "none"
    crops: dict[int, bytes] = field(default_factory=dict)
    # (#17) units with fewer responses than this are listed but not ranked (RANKING_MIN_RESPONSES)
    min_ranked: int = 1
    # (#17) who issues the DOCX report, where and when (omr.reports.heading); None: placeholders
    heading: object = None
    # Forms none of whose questions counts in an indicator (an office's own form not linked to the
    # standard survey): form, version, title, sheets of the period. Counted in "Số phiếu" only.
    uncounted_forms: list = field(default_factory=list)

    @property
    def awaiting_review(self) -> int:
        """Items open in the review queue for the period now, every kind (``review["open"]``)."""
        return self.review["open"].total

    @property
    def needs_attention(self) -> bool:
        """Something is open now, or the frozen figures were closed with answers or comments unreviewed."""
        return bool(self.awaiting_review or self.review["answers"] or self.review["comments"])


def unit_mapper(registry, period: Period, roll_up: bool) -> Callable[[str], tuple[str, str]]:
    """unit code as stored -> (code, name) shown: the unit itself, or with roll_up its successor at period end."""
    cache: dict[str, tuple[str, str]] = {}

    def mapped(code: str) -> tuple[str, str]:
        if code in cache:
            return cache[code]
        rows = registry.by_code.get(code, []) if code else []
        if not rows:
            result = (code, code or NO_UNIT_NAME)
        else:
            current = [u for u in rows if u.valid_on(period.end)]
            unit = current[0] if current else max(rows, key=lambda u: u.valid_from or date.min)
            result = (unit.code, unit.name)
            if roll_up and not current:
                heirs = {u.code: u for u in registry.valid_on(unit, period.end)}
                if len(heirs) == 1:  # a unit split between several successors stays itself
                    heir = next(iter(heirs.values()))
                    result = (heir.code, heir.name)
        cache[code] = result
        return result

    return mapped


def _apply_units(frame: pd.DataFrame, mapped: Callable, unit: str | None) -> pd.DataFrame:
    if frame.empty:
        return frame.assign(name=pd.Series(dtype=str))
    codes = {c: mapped(c) for c in frame["unit"].unique()}
    out = frame.assign(unit=frame["unit"].map(lambda c: codes[c][0]), name=frame["unit"].map(lambda c: codes[c][1]))
    if unit is not None:
        out = out[out["unit"] == unit]
    return out


def build(store, period_text: str, *, unit: str | None = None, roll_up: bool = False, calendar: bool = False,
          templates: str | Path = "form_templates", data: Responses | None = None,
          min_ranked: int = RANKING_MIN_RESPONSES) -> Report:
    """Compute a period report (recording any revision of a closed period it finds).

    ``min_ranked``: a unit needs at least this many responses in the period
    to be ranked (see omr.tuning.RANKING_MIN_RESPONSES); others are listed
    after the ranked ones, without a rank.
    """
    period = parse_period(period_text, calendar)
    previous = previous_period(period)
    template_list = _templates(store, templates)
    if not template_list:
        raise ReportError(f"Không tìm thấy mẫu phiếu nào để lập báo cáo trong thư mục «{templates}»: chỉ thư mục "
                          "mẫu phiếu đã dùng khi quét bằng --templates THƯ_MỤC")
    infos = question_infos(template_list)
    layout = report_cache.CacheLayout.from_templates(template_list)
    data = data or load_responses(store, layout)
    registry = load_registry(store)
    if unit is not None and unit not in registry.by_code and unit not in set(data.frame["unit"]):
        raise ReportError(f"Không có đơn vị mã «{unit}» trong danh mục đơn vị hay trong dữ liệu")

    revisions: list[dict] = []
    current_live = aggregate(store, data, period)
    current, closed = current_live, None
    closure = closure_of(store, period)
    if closure is not None:
        record_revision(store, closure, current_live, data, period)
        current = closure.figures
        closed = {"closed_at": closure.closed_at, "closed_by": closure.closed_by}
        revisions += [_revision_row(r, period) for r in revisions_of(store, closure)]
    prev_closure = closure_of(store, previous)
    previous_live = aggregate(store, data, previous)
    if prev_closure is not None:
        record_revision(store, prev_closure, previous_live, data, previous)
        prev, previous_source = prev_closure.figures, "frozen"
        revisions += [_revision_row(r, previous) for r in revisions_of(store, prev_closure)]
    else:
        prev = previous_live
        previous_source = "live" if not previous_live.is_empty() else "none"

    mapped = unit_mapper(registry, period, roll_up)
    answers = _apply_units(current.answers, mapped, unit)
    prev_answers = _apply_units(prev.answers, unit_mapper(registry, period, roll_up), unit)
    questions = question_table(answers, infos)
    prev_questions = question_table(prev_answers, infos)
    questions["prev_pct"] = prev_questions["pct"].to_numpy()
    questions["delta"] = questions["pct"] - questions["prev_pct"]
    groups = group_table(questions, infos)
    prev_groups = group_table(prev_questions, infos)
    groups["prev_index"] = prev_groups["index"].to_numpy()
    groups["delta"] = groups["index"] - groups["prev_index"]
    overall_row = questions[questions["group"] == OVERALL_GROUP]
    overall_question = {"id": overall_row["question"].iloc[0] if len(overall_row) else "",
                        "text": overall_row["text"].iloc[0] if len(overall_row) else "",
                        "pct": float(overall_row["pct"].iloc[0]) if len(overall_row) else float("nan"),
                        "prev": float(overall_row["prev_pct"].iloc[0]) if len(overall_row) else float("nan")}

    resp = _apply_units(current.responses, mapped, unit)
    # Sheets in «Số phiếu» with no answer row for a question: a page of theirs is missing, or their form
    # (an online form, an office's own form) does not ask it. Never blanks; shown so that every row of the
    # question table adds up to «Số phiếu».
    questions["absent"] = (int(resp["n"].sum()) - questions[ANSWER_CODES_SHOWN].sum(axis=1)).clip(lower=0)
    channels = (resp.pivot_table(index=["unit", "name"], columns="channel", values="n", aggfunc="sum", fill_value=0)
                .reindex(columns=list(CHANNEL_NAMES), fill_value=0) if len(resp) else
                pd.DataFrame(columns=list(CHANNEL_NAMES)))
    channels["total"] = channels.sum(axis=1) if len(channels) else []
    channels = channels.reset_index() if len(resp) else pd.DataFrame(columns=["unit", "name", "paper", "online", "total"])
    date_sources = {s: int(resp.loc[resp["date_source"] == s, "n"].sum()) for s in DATE_SOURCES} if len(resp) else {}

    yesno_ids = [q for q in infos.values() if q.type == "yesno"]
    yes_rows = []
    for q in yesno_ids:
        a = answers[answers["question"] == q.id].groupby("code")["n"].sum()
        yes, no = int(a.get("Y", 0)), int(a.get("N", 0))
        yes_rows.append({"question": q.id, "text": q.text, "yes": yes, "no": no, "blank": int(a.get(".", 0)),
                         "invalid": int(a.get("!", 0)), "pending": int(a.get("?", 0)),
                         "absent": max(0, int(resp["n"].sum()) - int(a.sum())),  # as questions["absent"]
                         "pct_yes": yes / (yes + no) * 100 if yes + no else np.nan})
    yesno = pd.DataFrame(yes_rows, columns=["question", "text", "yes", "no", "blank", "invalid", "pending", "absent",
                                            "pct_yes"])

    units = unit_indices(answers, infos)
    prev_units = unit_indices(prev_answers, infos)[["unit", "index"]].rename(columns={"index": "prev_index"})
    counts = channels[["unit", "name", "total"]].rename(columns={"total": "responses"})
    units = counts.merge(units, on="unit", how="left").merge(prev_units, on="unit", how="left")
    units = rank_units(units, min_ranked)

    flags = [dict(f, **dict(zip(("unit", "unit_name"), mapped(f["unit"])))) for f in current.flags]
    if unit is not None:
        flags = [f for f in flags if f["unit"] == unit]
    review_rows = _apply_units(current.review, mapped, unit)
    review = {"answers": int(review_rows["answers"].sum()) if len(review_rows) else 0,
              "comments": int(review_rows["comments"].sum()) if len(review_rows) else 0}
    review["open"] = open_review(store, data, period, mapped, unit)
    review["incomplete_pages"], review["incomplete"] = incomplete_sheets(store, data, period, mapped, unit)
    review["possible_duplicates"] = possible_duplicate_sheets(store, period, mapped, unit)
    review["conflicts"] = conflict_sheets(store, period, mapped, unit)
    review["no_answers"] = _waiting_in_period(completeness.no_answer_sheets(store), period, mapped, unit)
    crops = _crops(store, [f["crop_comment"] for f in flags if f.get("crop_comment")])
    uncounted = uncounted_forms(store, template_list, layout, data, period, mapped, unit)
    scope = "tất cả đơn vị" if unit is None else f"{mapped(unit)[1]} (mã {unit})"
    return Report(period, previous, scope, roll_up, datetime.now(UTC), int(channels["total"].sum()) if len(channels)
                  else 0, channels, date_sources, questions, groups, overall_index(groups),
                  overall_index(prev_groups), overall_question, yesno, units,
                  questions[questions["group"] == STAFF_GROUP].reset_index(drop=True), flags, review, closed,
                  revisions, previous_source, crops, min_ranked, uncounted_forms=uncounted)


def uncounted_forms(store, template_list: list, layout: report_cache.CacheLayout, data: Responses, period: Period,
                    mapped: Callable, unit: str | None) -> list[dict]:
    """Forms whose sheets of the period count in "Số phiếu" but in no indicator, with their sheet counts.

    A form counts in an indicator when one of its questions is a report question (scale, yes/no) or is
    linked to one (omr.forms.links). The others, an office's own form not linked yet, add sheets but no
    answer: they are not in any indicator's base (n_valid counts answers), and the report says so.
    Returns [{"form", "version", "title", "sheets"}], the forms with at least one sheet in the period.
    """
    counted = set(layout.questions)
    linked = {(form, version) for form, version, *_ in layout.links}
    own = set(layout.own_forms)  # an office's own form counts through its links only, whatever its ids
    forms = [t for t in template_list
             if (t.form_id, t.version) not in linked
             and not ((t.form_id, t.version) in own and any(q.id in counted for q in t.questions))]
    if not forms:
        return []
    frame = data.frame
    inside = frame[(frame["day"] >= pd.Timestamp(period.start)) & (frame["day"] <= pd.Timestamp(period.end))]
    out = []
    with store.reading() as conn:
        for template in forms:
            ids = set(conn.execute(sa.select(responses.c.id).where(
                responses.c.form_id == template.form_id, responses.c.version == template.version)).scalars())
            rows = inside[inside["response_id"].isin(ids)]
            sheets = len(_apply_units(rows[["unit"]], mapped, unit)) if len(rows) else 0
            if sheets:
                out.append({"form": template.form_id, "version": template.version, "title": template.title,
                            "sheets": sheets})
    return out


def rank_units(units: pd.DataFrame, min_ranked: int) -> pd.DataFrame:
    """Units ranked by overall index, only those with at least ``min_ranked`` responses (#17).

    Ranked units come first (best index first, ties share a rank), then the
    units with too few responses or no index, with rank NaN. One respondent
    must not put a ward at the top of the table.
    """
    units = units.copy()
    eligible = (units["responses"].fillna(0) >= min_ranked) & units["index"].notna()
    units["_eligible"] = eligible
    units = units.sort_values(["_eligible", "index", "responses"], ascending=[False, False, False],
                              na_position="last")
    units.insert(0, "rank", units["index"].where(units["_eligible"]).rank(ascending=False, method="min"))
    return units.drop(columns="_eligible").reset_index(drop=True)


def incomplete_sheets(store, data: Responses, period: Period, mapped: Callable,
                      unit: str | None) -> tuple[dict[int, int], int]:
    """Paper sheets of the period (and unit) missing a page (omr.completeness), counted live, by missing
    page number, and all of them: ({2: 3}, 3) is three sheets without their page 2 (a sheet missing two
    pages counts under both numbers, once in the total).

    Their missing questions have no answer and count nowhere (not as blanks);
    the report states how many sheets lack which page, and each question's
    «Không có câu trả lời» column counts them.
    """
    missing = completeness.incomplete_missing_pages(store)
    frame = data.frame
    inside = frame[(frame["day"] >= pd.Timestamp(period.start)) & (frame["day"] <= pd.Timestamp(period.end))
                   & frame["response_id"].isin(list(missing))]
    shown = _apply_units(inside[["response_id", "unit"]], mapped, unit)
    by_page: dict[int, int] = {}
    for response_id in shown["response_id"]:
        for page in missing[int(response_id)]:
            by_page[page] = by_page.get(page, 0) + 1
    return dict(sorted(by_page.items())), len(shown)


def possible_duplicate_sheets(store, period: Period, mapped: Callable, unit: str | None) -> int:
    """Paper sheets (of the unit) that may be another scan of a stored sheet and wait for a person (#16),
    collected in the period (by their batches' dates; a batch without dates counts in every period).

    They are not in the figures until a person decides, so the report states how many there are.
    """
    return _waiting_in_period(completeness.awaiting_duplicate_sheets(store), period, mapped, unit)


def conflict_sheets(store, period: Period, mapped: Callable, unit: str | None) -> int:
    """Paper sheets (of the unit) of serial conflicts waiting for a person (every sheet of each group),
    collected in the period as :func:`possible_duplicate_sheets` counts them.

    No sheet of an undecided conflict is in the figures (omr.data.completeness.NOT_IN_FIGURES), so the
    report states how many sheets that leaves out.
    """
    return _waiting_in_period(completeness.awaiting_conflict_sheets(store), period, mapped, unit)


def _waiting_in_period(rows: list, period: Period, mapped: Callable, unit: str | None) -> int:
    if not rows:
        return 0
    frame = pd.DataFrame(rows, columns=["id", "unit", "start", "end"])
    start, end = pd.to_datetime(frame["start"]), pd.to_datetime(frame["end"])
    inside = frame[(start.isna() | (start <= pd.Timestamp(period.end)))
                   & (end.isna() | (end >= pd.Timestamp(period.start)))]
    return len(_apply_units(inside[["unit"]], mapped, unit))


def _revision_row(revision: Revision, period: Period) -> dict:
    delta = revision.delta
    return {"period": period.label, "period_title": period.title, "found_at": revision.found_at,
            "responses_added": revision.details.get("responses_added", 0),
            "edits": revision.details.get("edits", 0),
            "answers_changed": int(delta.answers["n"].abs().sum() // 2) if len(delta.answers) else 0,
            "new_flags": len(delta.flags), "edit_rows": revision.details.get("edit_rows", [])}


def _crops(store, comment_ids: list[int]) -> dict[int, bytes]:
    if not comment_ids:
        return {}
    import io

    from PIL import Image, UnidentifiedImageError

    found = {}
    with store.reading() as conn:
        rows = conn.execute(sa.select(comments.c.id, comments.c.crop_png).where(comments.c.id.in_(comment_ids)))
        for row in rows:
            # Re-encoded, so a damaged crop is left out (the report shows its text) instead of breaking a writer.
            try:
                with Image.open(io.BytesIO(bytes(row.crop_png))) as image:
                    out = io.BytesIO()
                    trim_to_writing(image).save(out, format="PNG")
                found[row.id] = out.getvalue()
            except (UnidentifiedImageError, OSError, ValueError):
                continue
    return found


def trim_to_writing(image, margin_px: int = CROP_TRIM_MARGIN_PX):
    """The part of a comment crop that holds writing, plus ``margin_px``: the empty paper around it cut off (#17).

    Writing is any pixel darker than CROP_TRIM_INK_LEVEL (0-255 grey); the
    stored crop has already had guide lines and dust whitened (omr.scan.comments).
    A crop with no such pixel is returned whole. ``image``: a PIL image.
    """
    grey = np.asarray(image.convert("L"))
    rows = np.flatnonzero((grey < CROP_TRIM_INK_LEVEL).any(axis=1))
    cols = np.flatnonzero((grey < CROP_TRIM_INK_LEVEL).any(axis=0))
    if not len(rows) or not len(cols):
        return image
    top, bottom = max(0, rows[0] - margin_px), min(grey.shape[0], rows[-1] + 1 + margin_px)
    left, right = max(0, cols[0] - margin_px), min(grey.shape[1], cols[-1] + 1 + margin_px)
    return image.crop((int(left), int(top), int(right), int(bottom)))


# --- entry points ---------------------------------------------------------------------

def output_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise BadArgumentsError(f"Tệp báo cáo «{path}»: chỉ hỗ trợ đuôi {', '.join(FORMATS)}")
    return suffix


def write_report(report: Report, path: str | Path, heading=None) -> Path:
    """Write ``report`` to ``path`` (format from the suffix); ``heading`` (omr.reports.heading) for the DOCX."""
    path = Path(path)
    suffix = output_format(path)
    if heading is not None:
        report.heading = heading
    with replacing(path) as tmp:
        {".xlsx": report_render.write_xlsx, ".docx": report_render.write_docx,
         ".html": report_render.write_html}[suffix](report, tmp)
    return path


def compute_report(db_url: str | None, period_text: str, *, unit: str | None = None, all_units: bool = True,
                   roll_up: bool = False, calendar: bool = False,
                   templates: str | Path = "form_templates") -> Report:
    with open_store(db_url) as store:
        return build(store, period_text, unit=None if all_units and unit is None else unit, roll_up=roll_up,
                     calendar=calendar, templates=templates)
