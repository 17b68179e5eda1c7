"""The report cache: one compact row per response, for period reports over millions of responses.

A report needs, per response, its unit, the dates it may count on and its
scale and yes/no answers. Read from ``answers`` that is ~30 rows per
response: 30 million rows for a million responses, far too slow to fetch or
group (SQLite needs ~45 s just to GROUP BY them). So the report keeps a
cache: per block of ``BLOCK_SIZE`` response ids, an Arrow IPC blob in
``report_blocks`` with one row per response:

- ``response_id``, ``unit`` (as stored), ``channel`` (0 paper, 1 online);
- ``form_date`` (the survey date read from the form, status ok),
  ``batch_from`` / ``batch_to`` (its batches' collection dates),
  ``submitted_at`` (online, UTC);
- ``codes``: one byte per report question (:class:`CacheLayout`), see
  ``CODE_*`` below;
- ``pending``: answers awaiting a person (machine reads whose status is in
  :data:`omr.model.NEEDS_REVIEW`, the review queue's rule), and
  ``comments_pending``: comment boxes awaiting transcription;
- ``flagged``: 1 when a comment (paper) or free text (online) carries a
  negative-behaviour flag that is not negated.

The cache is refreshed before every report: rows of responses written since
the last refresh are recomputed, found through ids above the marks kept in
``report_state`` (responses, answers, comments and the ``changes`` audit
trail, which records every edit a person makes) and through batches whose
collection dates changed. On PostgreSQL ids are taken before a transaction
commits, so ids skipped at a refresh are remembered and checked again next
time. A change of the templates' report questions rebuilds everything.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa

from omr.data.completeness import NOT_IN_FIGURES
from omr.data.schema import MACHINE, SERIAL_CONFLICT, report_blocks, report_state
from omr.forms.links import counts_under_own_ids
from omr.model import INVALID_MULTIPLE, NEEDS_REVIEW
from omr.text.lexicon import flags_from_json, flags_of

# Blocks of 10,000 responses: a review edit rewrites one ~300 KB blob, and a
# million responses are 100 blobs.
BLOCK_SIZE = 10_000
# Ids per IN (...) list: well under SQLite's bound-parameter limit.
IN_CHUNK = 500
# Skipped ids remembered per table (PostgreSQL transactions in flight at a refresh).
MAX_GAPS = 50_000
STATE_KEY = "cache"
# Above this share of responses changed (a mass import), rebuilding is cheaper than patching.
REBUILD_SHARE = 0.3
# Which responses the cache holds (omr.data.completeness.NOT_IN_FIGURES), part of the layout signature:
# raised when that rule changes, so a cache built under the old rule is rebuilt once. 2: sheets of an
# undecided serial conflict left out. 3: sheets with no answer at all (no_answers) left out.
ROW_RULES = 3

CODE_MISSING = ord(" ")  # no answer row (the question is not on that form)
CODE_BLANK = ord(".")  # no mark / empty
CODE_PENDING = ord("?")  # a machine read awaiting review
CODE_OTHER = ord("x")  # a value that is no option of the question
CODE_INVALID = ord("!")  # a person's decision: several boxes ticked on a one-answer question (model.INVALID_MULTIPLE)
CODE_NO_OPINION = ord("K")  # "Không ý kiến"
SCALE_CODES = {f'"{n}"': ord(str(n)) for n in range(1, 6)}
VALUE_CODES = {**SCALE_CODES, '"KYK"': CODE_NO_OPINION, '"Y"': ord("Y"), '"N"': ord("N")}

COLUMNS = ("response_id", "unit", "channel", "form_date", "batch_from", "batch_to", "submitted_at", "codes",
           "pending", "comments_pending", "flagged")


@dataclass(frozen=True)
class CacheLayout:
    """Which questions the cache holds, from the templates, and which forms' answers count in them."""

    questions: tuple[str, ...]  # scale and yes/no questions: one code byte each
    date_questions: tuple[str, ...]  # survey-date questions
    text_questions: tuple[str, ...]  # free text (online answers are checked for flags)
    # Questions of other forms linked to a report question (omr.forms.links): (form, version, own id,
    # report question, ((own code, report code), ...)). Their answers count under the report question.
    links: tuple[tuple[str, int, str, str, tuple[tuple[str, str], ...]], ...] = ()
    # Forms whose answers count under their own question ids (omr.forms.links.counts_under_own_ids: forms
    # omr printed), as (form, version). Any other form's answers count only through its links: an
    # office's own form may call a question "H1" without it being the standard H1.
    own_forms: tuple[tuple[str, int], ...] = ()

    @property
    def signature(self) -> str:
        parts = [",".join(part) for part in (self.questions, self.date_questions, self.text_questions)]
        if self.links:  # a link added or changed recounts every response
            parts.append(json.dumps(self.links))
        parts.append("own:" + json.dumps(self.own_forms))  # a form added or dropped recounts too
        parts.append(f"rows:{ROW_RULES}")
        return "|".join(parts)

    @classmethod
    def from_templates(cls, templates: Iterable) -> CacheLayout:
        templates = list(templates)
        questions, dates, texts, own_forms = [], [], [], []
        for template in templates:
            own = counts_under_own_ids(template)
            if own:
                own_forms.append((template.form_id, template.version))
            for q in template.questions:
                # A form designed elsewhere adds no report question of its own (its links count instead);
                # its free text is still checked for flags (a flag counts nothing).
                target = (questions if q.type in ("scale", "yesno") and own else
                          dates if q.type == "date" and own else texts if q.type == "text" else None)
                if target is not None and q.id not in target:
                    target.append(q.id)
        links = []
        for template in templates:
            standard = (getattr(template, "extra", None) or {}).get("standard") or {}
            for qid, link in (standard.get("questions") or {}).items():
                if link["question"] in questions:
                    links.append((template.form_id, template.version, qid, link["question"],
                                  tuple(sorted(link["codes"].items()))))
        return cls(tuple(questions), tuple(dates), tuple(texts), tuple(sorted(links)),
                   tuple(sorted(set(own_forms))))


def _now() -> datetime:
    return datetime.now(UTC)


def _schema():
    import pyarrow as pa

    return pa.schema([
        ("response_id", pa.int64()), ("unit", pa.string()), ("channel", pa.int8()),
        ("form_date", pa.date32()), ("batch_from", pa.date32()), ("batch_to", pa.date32()),
        ("submitted_at", pa.timestamp("us", tz="UTC")), ("codes", pa.binary()),
        ("pending", pa.int32()), ("comments_pending", pa.int32()), ("flagged", pa.int8()),
    ])


# --- computing rows -------------------------------------------------------------

class _Raw:
    """Plain DBAPI queries in the open transaction (Row objects cost too much for millions)."""

    def __init__(self, conn: sa.Connection):
        self.cursor = conn.connection.driver_connection.cursor()
        self.mark = "?" if conn.dialect.name == "sqlite" else "%s"

    def all(self, sql: str, params: Iterable = ()) -> list[tuple]:
        self.cursor.execute(sql.replace("%P", self.mark), tuple(params))
        return self.cursor.fetchall()


def _where_ids(column: str, ids: list[int] | tuple[int, int], mark: str = "%P") -> tuple[str, list]:
    if isinstance(ids, tuple):  # an id range, both ends included
        return f"{column} BETWEEN {mark} AND {mark}", list(ids)
    return f"{column} IN ({','.join([mark] * len(ids))})", list(ids)


def _id_sets(ids: list[int] | tuple[int, int]) -> list[list[int] | tuple[int, int]]:
    if isinstance(ids, tuple):
        return [ids]
    ids = sorted(ids)
    return [ids[i:i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]


def _as_date(value):
    from datetime import date

    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_utc(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def compute_rows(conn: sa.Connection, layout: CacheLayout, ids: list[int] | tuple[int, int]):
    """Cache rows (an Arrow table) of the responses with these ids (a list, or an inclusive range)."""
    import pandas as pd  # lazy: a heavy dependency, loaded only where used
    import pyarrow as pa


    raw = _Raw(conn)
    heads, answer_rows, batch_rows, comment_rows = [], [], [], []
    for part in _id_sets(ids):
        where, params = _where_ids("id", part)
        # A sheet a person decided not to keep counts nowhere, nor one waiting for a person: a possible
        # rescan of a stored sheet (#16) or a sheet of a serial conflict (omr.data.completeness.NOT_IN_FIGURES).
        heads += raw.all(f"SELECT id, unit, channel, submitted_at, form_id, version FROM responses WHERE {where} "
                         + "".join(" AND flags NOT LIKE %P" for _ in NOT_IN_FIGURES),
                         params + [f"%{flag}%" for flag in NOT_IN_FIGURES])
        where, params = _where_ids("response_id", part)
        answer_rows += raw.all(f"SELECT response_id, question, value, status, set_by FROM answers WHERE {where}",
                               params)
        where, params = _where_ids("x.response_id", part)
        batch_rows += raw.all(
            "SELECT x.response_id, MAX(b.collected_from), MAX(b.collected_to) FROM response_pages x "
            "JOIN pages p ON p.id = x.page_id JOIN batches b ON b.id = p.batch_id "
            f"WHERE {where} GROUP BY x.response_id", params)
        where, params = _where_ids("response_id", part)
        comment_rows += raw.all(
            f"SELECT response_id, status, flags FROM comments WHERE {where} AND (status = 'pending' OR flags <> '[]')",
            params)
    if not heads:
        return pa.Table.from_pylist([], schema=_schema())
    heads.sort()
    # Rows of responses left out above (rejected, possible duplicates) are dropped too: their answers
    # must not land on another response's row.
    kept = {h[0] for h in heads}
    answer_rows = [r for r in answer_rows if r[0] in kept]
    batch_rows = [r for r in batch_rows if r[0] in kept]
    comment_rows = [r for r in comment_rows if r[0] in kept]
    response_ids = np.fromiter((h[0] for h in heads), dtype=np.int64, count=len(heads))
    index = pd.Index(response_ids)
    n = len(heads)
    codes = np.full((n, len(layout.questions)), CODE_MISSING, dtype=np.uint8)
    pending = np.zeros(n, dtype=np.int32)
    form_date = [None] * n
    flagged = np.zeros(n, dtype=np.int8)
    if answer_rows:
        frame = pd.DataFrame(answer_rows, columns=["response_id", "question", "value", "status", "set_by"])
        # "counted": the report question each answer counts under (its own id on a form omr printed, its
        # link's target otherwise), None when it counts in none.
        frame = _counted(frame, layout, {h[0]: (h[4], h[5]) for h in heads})
        row = index.get_indexer(frame["response_id"])
        machine = (frame["set_by"] == MACHINE).to_numpy()
        status = frame["status"].to_numpy()
        waiting = machine & np.isin(status, NEEDS_REVIEW)
        np.add.at(pending, row[waiting], 1)
        column = pd.Index(layout.questions).get_indexer(frame["counted"])
        value_code = frame["value"].map(VALUE_CODES).fillna(CODE_OTHER).to_numpy(dtype=np.uint8)
        blank = (status == "blank") | frame["value"].isna().to_numpy()
        code = np.where(waiting, CODE_PENDING,
                        np.where(status == INVALID_MULTIPLE, CODE_INVALID,
                                 np.where(status == "ok", np.where(blank, CODE_BLANK, value_code),
                                          np.where(blank, CODE_BLANK, CODE_OTHER)))).astype(np.uint8)
        keep = column >= 0
        if layout.links:  # answers are unique per (response, question): only links can make two meet
            code = _one_answer_per_cell(row, column, code, keep, len(layout.questions))
        codes[row[keep], column[keep]] = code[keep]
        is_date = frame["counted"].isin(layout.date_questions).to_numpy() & (status == "ok")
        for r, value in zip(row[is_date], frame["value"].to_numpy()[is_date]):
            if isinstance(value, str) and len(value) >= 12:
                form_date[r] = _as_date(value[1:11])
        is_text = frame["question"].isin(layout.text_questions).to_numpy() & ~blank
        for r, value in zip(row[is_text], frame["value"].to_numpy()[is_text]):
            text = json.loads(value)
            if isinstance(text, str) and any(m.flagged for m in flags_of(text, source="online")):
                flagged[r] = 1
    batch_from, batch_to = [None] * n, [None] * n
    for response_id, start, end in batch_rows:
        r = index.get_loc(response_id)
        batch_from[r], batch_to[r] = _as_date(start), _as_date(end)
    comments_pending = np.zeros(n, dtype=np.int32)
    for response_id, status, flags in comment_rows:
        r = index.get_loc(response_id)
        comments_pending[r] += status == "pending"
        if any(m.flagged for m in flags_from_json(flags)):
            flagged[r] = 1
    columns = {
        "response_id": response_ids,
        "unit": [h[1] for h in heads],
        "channel": np.array([1 if h[2] == "online" else 0 for h in heads], dtype=np.int8),
        "form_date": form_date, "batch_from": batch_from, "batch_to": batch_to,
        "submitted_at": [_as_utc(h[3]) for h in heads],
        "codes": [bytes(r) for r in codes],
        "pending": pending, "comments_pending": comments_pending, "flagged": flagged,
    }
    return pa.Table.from_pydict(columns, schema=_schema())


def _counted(frame, layout: CacheLayout, forms: dict[int, tuple[str, int]]):
    """``frame`` (changed in place) with a ``counted`` column: the report question each answer counts under,
    or None.

    An answer of a form omr printed (``layout.own_forms``) counts under its own question id; an answer
    to a linked question (omr.forms.links) under its link's report question, its value turned into the
    report question's code (a code the link does not map stays as it is, then counted as no option of
    the report question); any other answer (an office's own form, a form no template describes) counts
    in no report question, whatever its id: an "H1" of an office's form is not the standard H1.
    ``forms``: response id -> (form, version).
    """
    own = set(layout.own_forms)
    own_response = [rid for rid, form in forms.items() if form in own]
    if len(own_response) == len(forms):  # every response of a form omr printed (the usual case)
        frame["counted"] = frame["question"]
    else:
        frame["counted"] = frame["question"].where(frame["response_id"].isin(own_response), None)
    links = {(form, version, qid): (target, dict(codes)) for form, version, qid, target, codes in layout.links}
    linked_questions = {qid for _, _, qid in links}
    for i in frame.index[frame["question"].isin(linked_questions)]:
        form = forms.get(frame.at[i, "response_id"])
        link = links.get((form[0], form[1], frame.at[i, "question"])) if form else None
        if link is None:
            continue
        frame.at[i, "counted"] = link[0]
        value = frame.at[i, "value"]
        if isinstance(value, str):
            code = json.loads(value)
            if isinstance(code, str) and code in link[1]:
                frame.at[i, "value"] = json.dumps(link[1][code])
    return frame


def _one_answer_per_cell(row, column, code, keep, width: int):
    """``code`` with answers that land on one response's one report question and disagree made CODE_OTHER.

    Two questions of a form linked to one standard question (refused by the editor and the template
    loader, but a store may hold such answers) give a response two answers to count there: the cache
    never keeps one of them by row order; when they differ neither counts as a valid answer (shown as
    "no option" in the report, beside the valid ones).
    """
    import pandas as pd

    at = np.flatnonzero(keep)
    cell = row[at].astype(np.int64) * max(width, 1) + column[at]
    if not pd.Index(cell).has_duplicates:
        return code
    differing = pd.Series(code[at]).groupby(cell).transform("nunique").to_numpy() > 1
    code = code.copy()
    code[at[differing]] = CODE_OTHER
    return code


# --- blocks ----------------------------------------------------------------------

def _to_blob(table) -> bytes:
    import pyarrow as pa

    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _from_blob(blob: bytes):
    import pyarrow as pa

    return pa.ipc.open_stream(pa.py_buffer(blob)).read_all()


def _save_block(conn: sa.Connection, block: int, table) -> None:
    conn.execute(report_blocks.delete().where(report_blocks.c.block == block))
    if table.num_rows:
        conn.execute(report_blocks.insert().values(block=block, data=_to_blob(table), rows=table.num_rows,
                                                   updated_at=_now()))


def _read_state(conn: sa.Connection) -> dict | None:
    row = conn.execute(sa.select(report_state.c.value).where(report_state.c.key == STATE_KEY)).first()
    return json.loads(row.value) if row else None


def _write_state(conn: sa.Connection, state: dict) -> None:
    conn.execute(report_state.delete().where(report_state.c.key == STATE_KEY))
    conn.execute(report_state.insert().values(key=STATE_KEY, value=json.dumps(state)))


_MARKED = {  # table -> (id column, response id column)
    "responses": ("id", "id"),
    "answers": ("id", "response_id"),
    "comments": ("id", "response_id"),
    "changes": ("id", "response_id"),
}


def _batch_dates(raw: _Raw) -> dict[str, list]:
    return {str(i): [str(a) if a else None, str(b) if b else None]
            for i, a, b in raw.all("SELECT id, collected_from, collected_to FROM batches")}


def _dirty(conn: sa.Connection, state: dict) -> tuple[set[int], dict, dict, dict]:
    """(response ids written since the marks, new marks, new gaps, batch dates now)."""
    raw = _Raw(conn)
    dirty: set[int] = set()
    marks, gaps = {}, {}
    for table, (id_column, response_column) in _MARKED.items():
        mark = state["marks"].get(table, 0)
        old_gaps = state["gaps"].get(table, [])
        sql = f"SELECT {id_column}, {response_column} FROM {table} WHERE {id_column} > %P"
        rows = raw.all(sql, [mark])
        for chunk in [old_gaps[i:i + IN_CHUNK] for i in range(0, len(old_gaps), IN_CHUNK)]:
            where, params = _where_ids(id_column, chunk)
            rows += raw.all(f"SELECT {id_column}, {response_column} FROM {table} WHERE {where}", params)
        seen = {r[0] for r in rows}
        dirty.update(r[1] for r in rows if r[1] is not None)
        top = max([mark] + [r[0] for r in rows])
        missing = [i for i in old_gaps if i not in seen] + [i for i in range(mark + 1, top + 1) if i not in seen]
        marks[table], gaps[table] = top, missing[-MAX_GAPS:]
    dirty |= _conflict_partners(raw, dirty)
    batches_now = _batch_dates(raw)
    changed = [int(b) for b, dates in batches_now.items() if state["batches"].get(b) != dates]
    for chunk in [changed[i:i + IN_CHUNK] for i in range(0, len(changed), IN_CHUNK)]:
        where, params = _where_ids("p.batch_id", chunk)
        dirty.update(r[0] for r in raw.all(
            f"SELECT x.response_id FROM response_pages x JOIN pages p ON p.id = x.page_id WHERE {where}", params))
    return dirty, marks, gaps, batches_now


def _conflict_partners(raw: _Raw, dirty: set[int]) -> set[int]:
    """Responses sharing a serial conflict with a dirty response. Storing a second sheet with a serial
    flags the first one too (omr.data.store) without writing a row the marks see; that first sheet
    leaves the figures (NOT_IN_FIGURES) all the same."""
    keys = set()
    ids = sorted(dirty)
    for chunk in [ids[i:i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]:
        where, params = _where_ids("id", chunk)
        keys.update(raw.all(f"SELECT form_id, version, serial FROM responses WHERE {where} AND flags LIKE %P",
                            params + [f"%{SERIAL_CONFLICT}%"]))
    partners: set[int] = set()
    for form_id, version, serial in keys:
        partners.update(r[0] for r in raw.all(
            "SELECT id FROM responses WHERE form_id = %P AND version = %P AND serial = %P",
            [form_id, version, serial]))
    return partners


def _marks_now(conn: sa.Connection) -> dict:
    raw = _Raw(conn)
    return {table: raw.all(f"SELECT COALESCE(MAX({id_column}), 0) FROM {table}")[0][0]
            for table, (id_column, _) in _MARKED.items()}


@dataclass
class RefreshStats:
    full: bool
    responses: int  # rows recomputed
    blocks: int  # blocks rewritten


def refresh(store, layout: CacheLayout) -> RefreshStats:
    """Bring the cache up to date with the store; rebuilds it whole when the layout changed."""
    with store.reading() as conn:
        state = _read_state(conn)
    if state is None or state.get("layout") != layout.signature:
        return _rebuild(store, layout)
    with store.reading() as conn:
        dirty, marks, gaps, batches_now = _dirty(conn, state)
    if len(dirty) > max(BLOCK_SIZE, REBUILD_SHARE * marks["responses"]):
        return _rebuild(store, layout)  # block by block beats id lists when most rows changed
    by_block: dict[int, list[int]] = {}
    for response_id in dirty:
        by_block.setdefault(response_id // BLOCK_SIZE, []).append(response_id)

    def work(conn: sa.Connection) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        # One pass over the store for every dirty response, then split by block.
        computed = compute_rows(conn, layout, sorted(dirty)) if dirty else None
        blocks_of = pc.divide(computed["response_id"], BLOCK_SIZE) if computed is not None else None
        for block, ids in sorted(by_block.items()):
            row = conn.execute(sa.select(report_blocks.c.data).where(report_blocks.c.block == block)).first()
            fresh = computed.filter(pc.equal(blocks_of, block))
            if row is not None:
                old = _from_blob(row.data)
                old = old.filter(pc.invert(pc.is_in(old["response_id"], pa.array(ids, pa.int64()))))
                fresh = pa.concat_tables([old, fresh]).sort_by("response_id")
            _save_block(conn, block, fresh)
        _write_state(conn, {"layout": layout.signature, "marks": marks, "gaps": gaps, "batches": batches_now})

    store.writing(work)
    return RefreshStats(False, len(dirty), len(by_block))


def _rebuild(store, layout: CacheLayout) -> RefreshStats:
    with store.reading() as conn:
        marks = _marks_now(conn)
        batches_now = _batch_dates(_Raw(conn))
    store.writing(lambda conn: conn.execute(report_blocks.delete()))
    total = blocks = 0
    for block in range(marks["responses"] // BLOCK_SIZE + 1):
        def work(conn: sa.Connection, block=block) -> int:
            table = compute_rows(conn, layout, (block * BLOCK_SIZE, (block + 1) * BLOCK_SIZE - 1))
            _save_block(conn, block, table)
            return table.num_rows

        done = store.writing(work)
        total += done
        blocks += done > 0
    # Marks taken before the rows were read: anything written meanwhile is read again next time.
    store.writing(lambda conn: _write_state(conn, {"layout": layout.signature, "marks": marks,
                                                   "gaps": {t: [] for t in marks}, "batches": batches_now}))
    return RefreshStats(True, total, blocks)


def load(store, layout: CacheLayout):
    """(rows as a DataFrame without ``codes``, codes as a uint8 matrix responses x layout.questions)."""
    import pyarrow as pa

    with store.reading() as conn:
        blobs = conn.execute(sa.select(report_blocks.c.data).order_by(report_blocks.c.block)).scalars().all()
    tables = [_from_blob(b) for b in blobs]
    table = pa.concat_tables(tables) if tables else pa.Table.from_pylist([], schema=_schema())
    width = len(layout.questions)
    codes_column = table.column("codes").combine_chunks() if table.num_rows else None
    if codes_column is not None and width:
        offsets = np.frombuffer(codes_column.buffers()[1], dtype=np.int32)[codes_column.offset:][:len(codes_column) + 1]
        data = np.frombuffer(codes_column.buffers()[2], dtype=np.uint8)
        codes = data[offsets[0]:offsets[-1]].reshape(len(codes_column), width)
    else:
        codes = np.zeros((table.num_rows, width), dtype=np.uint8)
    frame = table.drop_columns(["codes"]).to_pandas(date_as_object=False)
    return frame, codes
