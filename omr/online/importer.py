"""Online responses: Google Forms, portal and hand-made spreadsheet exports.

One export file (CSV or XLSX) becomes online responses of a template, one per
row, through a *mapping*: which column is which question (or the submission
time, or the unit) and which answer label is which option code. ``omr online
mapping`` proposes one (fuzzy, accent-insensitive, with scores) for a person
to check; ``omr online import`` applies it.

Reading copes with what such files really look like: UTF-8 with or without a
BOM, UTF-16 (Excel's "Unicode text"), Windows-1252 bytes holding TCVN3 or VNI
text, ',' ';' or tab separators, title rows above the header, and XLSX cells
that Excel turned into numbers or dates. Every value is NFC.

Normalising a row never guesses: a label, unit or date that cannot be read
sends the row to the rejects file (file, row, column, reason) and the rest of
the file imports. Rows are keyed by (file content, row number), so importing a
file again adds nothing, and after fixing the mapping a second import adds
exactly the rows rejected the first time. A submission is known by its
content (time and answers after the mapping, text NFC with whitespace
collapsed: :func:`content_fingerprint`), not by the file or the source name:
a later export of the same sheet holding every earlier row, or the same
export imported again under another ``--source``, adds only the new rows and
says how many were already there. Two people who answered alike at different
times are two responses; the same answers submitted again within minutes are
kept and flagged.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from omr import tuning as T
from omr.data.private_files import replacing
from omr.data.schema import IMPORTED_BY, add_flag, answers, encode_value, import_files, responses
from omr.errors import BadArgumentsError, InputFileError, TemplateError
from omr.forms.template import Question, Template, load_template
from omr.model import VN_TZ
from omr.online.mapping import (
    IGNORE,
    SUBMITTED_AT,
    UNIT,
    ColumnRule,
    Mapping,
    mapping_from_file,
    propose_columns,
)
from omr.online.table import Bounds, Table, UnreadFormula, cli_bounds, is_blank_cell, read_table, stray_text
from omr.online.units import AMBIGUOUS, BLANK, NOT_YET, OUTDATED, load_registry
from omr.online.values import (
    NUMBER,
    SLASH_DATE,
    LabelError,
    LabelIndex,
    UnknownLabelError,
    decide_date_order,
    excel_date_codes,
    parse_day,
    parse_timestamp,
    slash_parts,
    whole_number_text,
)
from omr.online.windows1258 import repair_lossy_text, vocabulary
from omr.text.cells import neutralise
from omr.text.normalise import fold, nfc

# Facebook-shared forms get submitted twice by an impatient tap or a reload:
# the same answers within this window are flagged as a repeated submission.
DUPLICATE_WINDOW = timedelta(minutes=10)
# Response flags set by the importer
FLAG_DUPLICATE = "duplicate_submission"
FLAG_EXCEL_REPAIRED = "excel_date_repaired"
FLAG_LEGACY = "legacy_encoding"
FLAG_UNIT_OUTDATED = "unit_outdated"

# --- normalising rows ---------------------------------------------------------------

@dataclass
class Problem:
    row: int
    column: str
    reason: str
    value: str = ""


@dataclass
class OnlineRow:
    row: int
    submitted_at: datetime | None
    survey_date: date | None
    unit_recorded: str | None
    unit: str | None  # registry code valid on the date (or as recorded when there is no registry)
    answers: dict[str, object]  # question -> code, [codes], ISO date, text or None
    flags: set[str] = field(default_factory=set)
    # Questions no column of the file holds (not asked online): no answer row is stored for them, so
    # reports count them «Không có câu trả lời», never «Bỏ trống». They stay None in ``answers``, whose
    # fingerprint (answers_sha) must not change.
    absent: frozenset[str] = frozenset()

    def answers_sha(self, form_id: str, version: int) -> str:
        """The unit and answers (not the time): repeated submissions share it; see :func:`answers_fingerprint`."""
        return answers_fingerprint(form_id, version, self.unit_recorded, self.answers)

    def content_sha(self, form_id: str, version: int) -> str | None:
        """The submission itself (answers and time), whatever file or source name it came in; None without a time."""
        return content_fingerprint(self.answers_sha(form_id, version), self.submitted_at)


def _fingerprint_value(value: object) -> object:
    """An answer as the fingerprint sees it: text NFC with whitespace runs made one space.

    Lists of codes keep their order (the export's option order), so fingerprints stored before
    migration 0006 stay valid; so does any text without stray whitespace."""
    if isinstance(value, str):
        return " ".join(nfc(value).split())
    return value


def answers_fingerprint(form_id: str, version: int, unit_recorded: str | None, answers: dict[str, object]) -> str:
    """SHA-256 hex of a response's content without its time.

    ``answers`` maps question id -> code, [codes], ISO date, text or None, as
    the mapping turned the row's labels into codes (so a relabelled or
    re-encoded export of the same answers gives the same value). Text is NFC
    with whitespace collapsed, the unit folded (no diacritics, lower case).
    Migration 0006_online_fingerprint keeps a frozen copy: change both or neither.
    """
    payload = json.dumps([form_id, version, fold(unit_recorded or ""),
                          sorted((q, _fingerprint_value(v)) for q, v in answers.items())],
                         ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def content_fingerprint(answers_sha: str, submitted_at: datetime | None) -> str | None:
    """SHA-256 hex of the answers and the submission time (ISO 8601 in Vietnam time, UTC+7, as the
    importer has always written it; a naive time is UTC, as SQLite hands it back); None without a
    time, because two identical untimed rows may be two people."""
    if submitted_at is None:
        return None
    stamp = submitted_at if submitted_at.tzinfo else submitted_at.replace(tzinfo=UTC)
    stamp = stamp.astimezone(VN_TZ)
    return hashlib.sha256(f"{answers_sha}|{stamp.isoformat()}".encode()).hexdigest()


@dataclass
class Normalised:
    rows: list[OnlineRow]
    problems: list[Problem]
    rejected_rows: set[int]
    empty_rows: list[int]
    date_order: str
    date_order_reason: str
    used_columns: dict[str, str]  # header -> question id or field
    unused_columns: list[str]
    quirks: Counter
    template_path: str = ""  # the template the mapping names, for the --sample hint
    # Columns the mapping names for a question that the file does not have: their questions are stored as
    # not asked (OnlineRow.absent), and the summary names them.
    missing_columns: list[str] = field(default_factory=list)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


# What to do when no column matches a question, on the command line (the web app says its own:
# omr.web.online_import.WEB_NO_COLUMNS_ADVICE).
NO_COLUMNS_ADVICE = "hãy tạo tệp ánh xạ bằng «omr online mapping» rồi nhập với --mapping"


def normalise(table: Table, mapping: Mapping, registry=None, today: date | None = None) -> Normalised:
    """Every row of ``table`` as an OnlineRow or as problems; nothing is dropped silently."""
    template = mapping.template
    roles: dict[int, ColumnRule] = {}
    unused = []
    for i, header in enumerate(table.header):
        rule = mapping.rule_for(header)
        if rule is None or rule.field == IGNORE:
            unused.append(header)
        else:
            roles[i] = rule
    if not any(r.question for r in roles.values()):
        if table.encoding == "cp1252" and not table.legacy:
            raise InputFileError(f"{table.path}: không xác định được bảng mã của tệp (không phải UTF-8, UTF-16, "
                                 "Windows-1258, TCVN3 hay VNI) nên không đọc được tiêu đề cột; hãy mở tệp bằng "
                                 "Excel và lưu lại dạng «CSV UTF-8 (Comma delimited)»")
        raise InputFileError(f"{table.path}: không có cột nào khớp với câu hỏi của mẫu phiếu {template.form_id}; "
                             f"{NO_COLUMNS_ADVICE}")
    used = {table.header[i]: (r.question or r.field) for i, r in roles.items()}
    present = {id(r) for r in roles.values()}
    missing_columns = [r.column for r in mapping.columns
                       if r.question and id(r) not in present and r.field != IGNORE]
    asked = {r.question for r in roles.values() if r.question}
    absent = frozenset(q.id for q in template.questions if q.id not in asked)
    time_columns = [i for i, r in roles.items() if r.field == SUBMITTED_AT]
    unit_columns = [i for i, r in roles.items() if r.field == UNIT]
    questions = {q.id: q for q in template.questions}
    date_columns = [i for i, r in roles.items() if r.question and questions[r.question].type == "date"]

    quirks: Counter = Counter()
    pairs: list[tuple[int, int]] = []
    stamp_texts: list[tuple[tuple[int, int], str]] = []
    for number, cells in table.rows:
        for i in time_columns + date_columns:
            parts = slash_parts(cells[i])
            if parts:
                pairs.append(parts)
                if i in time_columns:
                    stamp_texts.append((parts, cells[i]))
    if mapping.date_order != "auto":
        order, why = mapping.date_order, "theo tệp ánh xạ"
    else:
        order, why = decide_date_order(pairs, stamp_texts)
    indexes = {qid: LabelIndex(q, mapping.labels.get(qid, {})) for qid, q in questions.items() if q.is_choice}

    rows, problems, rejected, empty = [], [], set(), []
    for number, cells in table.rows:
        def value_of(i, cells=cells):
            return cells[i] if i < len(cells) else None

        if all(is_blank_cell(value_of(i)) for i in roles):
            empty.append(number)
            continue
        spots = [(i, raw) for i, raw in table.stray.get(number, []) if i in roles]
        if spots:
            # One reason naming the bytes, not a label error for each cell the damage garbled.
            column, raw = spots[0]
            more = f"; cùng dòng còn {len(spots) - 1} ô như vậy" if len(spots) > 1 else ""
            problems.append(Problem(number, table.header[column], f"ô có byte không phải UTF-8 ({stray_text(raw)}), "
                                    f"không đọc được; hãy sửa ô này trong tệp (hoặc xuất lại tệp) rồi nhập lại{more}",
                                    _cell_text(value_of(column))))
            rejected.add(number)
            continue
        issues: list[Problem] = []
        flags: set[str] = set()
        submitted = None
        # A formula whose result the file does not hold (omr.online.table.UnreadFormula) is never a blank
        # nor a value: its row is rejected naming the cell.
        unread = [Problem(number, table.header[i], value_of(i).refusal, str(value_of(i)))
                  for i in roles if isinstance(value_of(i), UnreadFormula)]
        if unread:
            problems.extend(unread)
            rejected.add(number)
            continue
        for i in time_columns:
            value = value_of(i)
            if is_blank_cell(value):
                continue
            try:
                submitted = parse_timestamp(value, order)
            except (ValueError, OverflowError):
                issues.append(Problem(number, table.header[i], "thời điểm gửi không đọc được", _cell_text(value)))
                continue
            parts = slash_parts(value)
            if parts and ((order == "dmy" and parts[1] > 12) or (order == "mdy" and parts[0] > 12)):
                issues.append(Problem(number, table.header[i], "ngày/tháng ngược với thứ tự của cả tệp",
                                      _cell_text(value)))
            if isinstance(value, (int, float)) or (isinstance(value, str) and NUMBER.match(value.strip())):
                quirks["excel_serial_time"] += 1
        answers: dict[str, object] = {}
        for i, rule in roles.items():
            if not rule.question:
                continue
            question = questions[rule.question]
            value = value_of(i)
            header = table.header[i]
            if is_blank_cell(value):
                answers.setdefault(question.id, None)
                continue
            text = _cell_text(value)
            try:
                if question.type == "text":
                    answers[question.id] = nfc(text)
                elif question.type == "date":
                    answers[question.id] = parse_day(value, order).isoformat()
                elif question.type == "multiple":
                    repaired = None
                    if isinstance(value, datetime) or (SLASH_DATE.match(text) and not _label_known(indexes, question, text)):
                        repaired = excel_date_codes(value, indexes[question.id], order)
                        if repaired is None:
                            raise LabelError(f"ô bị Excel đổi thành ngày «{text}», không khôi phục được mã")
                        flags.add(FLAG_EXCEL_REPAIRED)
                        quirks["excel_date_repaired"] += 1
                    codes = repaired or indexes[question.id].codes(text)
                    previous = answers.get(question.id) or []
                    answers[question.id] = list(dict.fromkeys(list(previous) + codes))
                else:
                    if isinstance(value, (datetime, date)):
                        raise LabelError(f"ô chứa ngày «{text}» thay vì một lựa chọn")
                    code = indexes[question.id].code(text)
                    if answers.get(question.id) not in (None, code):
                        raise LabelError(f"câu {question.id} có hai câu trả lời khác nhau")
                    answers[question.id] = code
                    if whole_number_text(text) is not None and text != code and fold(text) not in indexes[question.id].known:
                        quirks["number_as_code"] += 1
            except LabelError as exc:
                issues.append(Problem(number, header, str(exc), text))
                if isinstance(exc, UnknownLabelError):
                    quirks["unknown_label"] += 1
            except (ValueError, OverflowError):
                issues.append(Problem(number, header, "ngày không đọc được", text))
        for qid in questions:
            answers.setdefault(qid, None)
        survey_day = None
        date_question = next((q for q in template.questions if q.type == "date"), None)
        if date_question is not None and answers.get(date_question.id):
            survey_day = date.fromisoformat(answers[date_question.id])
        recorded = None
        unit = None
        for i in unit_columns:
            if not is_blank_cell(value_of(i)):
                recorded = nfc(_cell_text(value_of(i)))
                header = table.header[i]
        if recorded is not None:
            if registry is None or len(registry) == 0:
                unit = recorded
            else:
                on = survey_day or (submitted.date() if submitted else None)
                found = registry.resolve(recorded, on, today)
                if found.status == OUTDATED:
                    flags.add(FLAG_UNIT_OUTDATED)
                    quirks["unit_outdated"] += 1
                if found.accepted and found.status != BLANK:
                    unit = found.unit.code
                else:
                    issues.append(Problem(number, header, _unit_reason(found, on), recorded))
        if issues:
            problems.extend(issues)
            rejected.add(number)
            continue
        rows.append(OnlineRow(number, submitted, survey_day, recorded, unit, answers, flags, absent))
    if table.legacy:
        for row in rows:
            row.flags.add(FLAG_LEGACY)
    return Normalised(rows, problems, rejected, empty, order, why, used, unused, quirks, mapping.template_path,
                      missing_columns)


def _label_known(indexes: dict, question: Question, text: str) -> bool:
    try:
        indexes[question.id].codes(text)
        return True
    except LabelError:
        return False


def _unit_reason(found, on: date | None) -> str:
    day = on.strftime("%d/%m/%Y") if on else "không rõ ngày"
    if found.status == AMBIGUOUS:
        names = "; ".join(f"{u.name} ({u.code})" for u in found.candidates[:5])
        return f"đơn vị khớp nhiều đơn vị vào ngày {day}: {names}"
    if found.status == NOT_YET:
        return f"đơn vị chưa tồn tại vào ngày {day}"
    return "đơn vị không có trong danh mục đơn vị (omr units import)"


# --- importing ------------------------------------------------------------------

@dataclass
class ImportReport:
    path: str
    source: str
    rows: int
    imported: int
    already: int  # rows of this file imported before
    seen_elsewhere: int  # the same submission already stored from another file, under any source name
    repeated: int  # flagged as a repeated submission
    rejected: int
    empty: int
    problems: list[Problem]
    rejects_path: str | None
    table: Table
    normalised: Normalised
    registry_empty: bool
    seen_sources: list[str] = field(default_factory=list)  # source names the seen_elsewhere rows were under


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def pick_template(folder: str | Path, table: Table) -> tuple[Template, str]:
    """The template in ``folder`` whose questions match the most columns (no mapping given)."""
    folder = Path(folder)
    best = None
    for path in sorted(folder.glob("*.yaml")):
        template = load_template(path)
        matched = sum(1 for r in propose_columns(template, table.header) if r.question
                      and (r.score or 0) >= T.ONLINE_AUTO_MIN_SCORE)
        if best is None or matched > best[0]:
            best = (matched, template, str(path))
    if best is None:
        raise TemplateError(f"Không tìm thấy mẫu phiếu nào trong {folder}")
    return best[1], best[2]


def import_online(store, path: str | Path, source: str, mapping: Mapping | None = None,
                  templates: str | Path = "form_templates", rejects: str | Path | None = None,
                  today: date | None = None, max_rows: int | None = None,
                  shown_name: str | None = None, max_bytes: int | None = None, advice: str = "") -> ImportReport:
    """Import one export file as online responses of ``source``; see the module docstring.

    ``max_rows``, ``max_bytes``: a file with more data rows or bytes is refused before it is read whole
    (InputFileError, nothing stored); by default the command line's bounds (``T.ONLINE_CLI_MAX_ROWS``,
    ``T.ONLINE_CLI_MAX_FILE_BYTES``), the web app passes its own. ``shown_name``: the file's name as its
    user knows it, in that message; ``advice``: what else to do, ending it (omr.online.table.Bounds).
    """
    if not source or not source.strip():
        raise BadArgumentsError("Cần tên nguồn (--source), ví dụ google-forms-2026")
    path = Path(path)
    bounds = cli_bounds()
    table = read_table(path, Bounds(max_bytes or bounds.max_bytes, max_rows or bounds.max_rows,
                                    shown_name, advice))
    registry = load_registry(store)
    if mapping is None:
        template, template_path = pick_template(templates, table)
        repair_lossy_table(table, template, None, registry)
        mapping = mapping_from_file(template, template_path, table)
    else:
        repair_lossy_table(table, mapping.template, mapping, registry)
    result = normalise(table, mapping, registry, today)
    sha = file_sha256(path)
    details = {"encoding": table.encoding, "separator": table.separator, "header_row": table.header_row,
               "date_order": result.date_order, "legacy": table.legacy, "mapping": mapping.source,
               "columns": result.used_columns}
    counts = record_online(store, path, sha, source.strip(), mapping.template, result.rows, len(table.rows),
                           details)
    rejects_path = None
    if result.problems:
        rejects_path = Path(rejects) if rejects else Path("outputs") / f"{path.stem}.rejects.csv"
        write_rejects(rejects_path, shown_name or str(path), result.problems)
    return ImportReport(str(path), source.strip(), len(table.rows), counts["imported"], counts["already"],
                        counts["seen_elsewhere"], counts["repeated"], len(result.rejected_rows),
                        len(result.empty_rows), result.problems, None if rejects_path is None else str(rejects_path),
                        table, result, len(registry) == 0, counts["seen_sources"])


def repair_lossy_table(table: Table, template: Template, mapping: Mapping | None, registry) -> None:
    """In a Windows-1258 table, put back letters a lossy save replaced by "?" (see omr.online.windows1258).

    Words are repaired against the template's questions and labels, the
    mapping's column headers and the registry's unit names; the counts land
    in ``table.lossy_words`` for the summary.
    """
    if table.encoding != "cp1258":
        return
    texts = [template.title, *template.header, *[q.text for q in template.questions],
             *[o.label for q in template.questions for o in q.options],
             *[u.name for u in getattr(registry, "units", [])]]
    if mapping is not None:
        texts += [r.column for r in mapping.columns]
    words = vocabulary(texts)
    phrases = {fold(t): t for t in texts if isinstance(t, str)}
    if mapping is not None:
        for labels in mapping.labels.values():
            for key in labels:
                phrases.setdefault(key, key)
    repaired = left = 0

    def fix(value):
        nonlocal repaired, left
        if not isinstance(value, str) or "?" not in value:
            return value
        text, fixed, unfixed = repair_lossy_text(value, words, phrases)
        repaired, left = repaired + fixed, left + unfixed
        return text

    table.header = [fix(h) for h in table.header]
    table.rows = [(number, [fix(c) for c in cells]) for number, cells in table.rows]
    table.lossy_words = (repaired, left)


def write_rejects(path: Path, source_file: str, problems: list[Problem]) -> None:
    """The rejects as CSV (UTF-8 with BOM for Excel): file, row, column, reason, value."""
    # Respondents' answers: the rejects file is its owner's only (0600), as exports are, also when it
    # replaces an older one that others could read.
    with replacing(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tệp", "dòng", "cột", "lý do", "giá trị"])
        for p in problems:
            writer.writerow([neutralise(source_file), p.row, neutralise(p.column), p.reason, neutralise(p.value)])


def record_online(store, path: Path, sha: str, source: str, template: Template, rows: list[OnlineRow],
                  total_rows: int, details: dict) -> dict:
    """Store the rows in one transaction; returns the counts.

    ``imported`` rows added; ``already`` rows of this very file imported
    before; ``seen_elsewhere`` rows whose submission (time and answers, see
    :func:`content_fingerprint`) is already stored from another file, under
    any source name: an overlapping later export, or the same export imported
    under a new ``--source``; ``seen_sources`` the source names they were
    found under; ``repeated`` rows added but flagged as the same answers sent
    again within DUPLICATE_WINDOW. Matching counts copies: a file holding a
    submission twice (two people at the same second with the same answers)
    adds the second copy when the store holds only one.
    """

    def work(conn) -> dict:
        now = datetime.now(UTC)
        found = conn.execute(sa.select(import_files.c.id).where(import_files.c.sha256 == sha)).first()
        if found is None:
            file_id = conn.execute(import_files.insert().values(
                path=str(path), sha256=sha, size=path.stat().st_size, source=source, rows=total_rows,
                details=json.dumps(details, ensure_ascii=False, default=str), created_at=now)).inserted_primary_key[0]
        else:
            file_id = found.id
        done_rows = set(conn.execute(sa.select(responses.c.source_row)
                                     .where(responses.c.import_file_id == file_id)).scalars())
        todo = [(row, row.answers_sha(template.form_id, template.version)) for row in rows
                if row.row not in done_rows]
        todo = [(row, a_sha, content_fingerprint(a_sha, row.submitted_at)) for row, a_sha in todo]
        # Stored copies of each submission from other files (any source), and the times of the same answers.
        stored: Counter = Counter()
        stored_sources: dict[str, str] = {}
        times_of: dict[str, list[datetime]] = {}
        wanted_content = sorted({c for _, _, c in todo if c})
        wanted_answers = sorted({a for _, a, _ in todo})
        for chunk in _chunks(wanted_content):
            for r in conn.execute(sa.select(responses.c.content_sha, responses.c.source)
                                  .where(responses.c.channel == "online", responses.c.content_sha.in_(chunk),
                                         sa.or_(responses.c.import_file_id.is_(None),
                                                responses.c.import_file_id != file_id))):
                stored[r.content_sha] += 1
                stored_sources.setdefault(r.content_sha, r.source or "")
        for chunk in _chunks(wanted_answers):
            for r in conn.execute(sa.select(responses.c.answers_sha, responses.c.submitted_at)
                                  .where(responses.c.channel == "online", responses.c.answers_sha.in_(chunk),
                                         responses.c.submitted_at.is_not(None))):
                stamp = r.submitted_at if r.submitted_at.tzinfo else r.submitted_at.replace(tzinfo=UTC)
                times_of.setdefault(r.answers_sha, []).append(stamp)
        counts = {"imported": 0, "already": len(rows) - len(todo), "seen_elsewhere": 0, "repeated": 0,
                  "seen_sources": set()}
        for row, answers_sha, content_sha in todo:
            if content_sha is not None and stored[content_sha] > 0:
                stored[content_sha] -= 1
                counts["seen_elsewhere"] += 1
                counts["seen_sources"].add(stored_sources[content_sha])
                continue
            flags = ""
            for flag in sorted(row.flags):
                flags = add_flag(flags, flag)
            if row.submitted_at is not None and any(
                    abs(row.submitted_at - t) <= DUPLICATE_WINDOW for t in times_of.get(answers_sha, [])):
                flags = add_flag(flags, FLAG_DUPLICATE)
                counts["repeated"] += 1
            response_id = conn.execute(responses.insert().values(
                form_id=template.form_id, version=template.version, serial=None, unit=row.unit,
                pages_expected=None, flags=flags, created_at=now, channel="online", source=source,
                import_file_id=file_id, source_row=row.row,
                # UTC: SQLite keeps no zone and hands back naive times, read as UTC.
                submitted_at=None if row.submitted_at is None else row.submitted_at.astimezone(UTC),
                unit_recorded=row.unit_recorded, answers_sha=answers_sha, content_sha=content_sha,
            )).inserted_primary_key[0]
            conn.execute(answers.insert(), [
                {"response_id": response_id, "question": qid, "value": encode_value(value),
                 "status": "blank" if value in (None, [], "") else "ok", "confidence": 1.0,
                 "source_page_id": None, "set_by": IMPORTED_BY, "updated_at": now}
                for qid, value in row.answers.items() if qid not in row.absent])
            if row.submitted_at is not None:
                times_of.setdefault(answers_sha, []).append(row.submitted_at)
            counts["imported"] += 1
        counts["seen_sources"] = sorted(counts["seen_sources"])
        return counts

    return store.writing(work)


def _chunks(values: list[str], size: int = 500):
    """``values`` in slices small enough for one IN (...) on every backend."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- the summary -------------------------------------------------------------------

ENCODING_NAMES = {"utf-8": "UTF-8 (không BOM)", "utf-8-sig": "UTF-8 có BOM", "utf-16": "UTF-16",
                  "utf-8-double": "UTF-8 bị mã hoá hai lần (mở bằng bảng mã phương Tây rồi lưu lại; đã sửa)",
                  "cp1252": "không phải Unicode (đọc theo Windows-1252)", "xlsx": "XLSX",
                  "cp1258": "Windows-1258 (CSV của Excel trên Windows tiếng Việt)"}
SEPARATOR_NAMES = {",": "dấu phẩy", ";": "dấu chấm phẩy", "\t": "tab", "|": "dấu |"}


# The summary's line for mapped columns the file lacks (the command line and the web result page).
MISSING_COLUMNS_TEXT = "Cột trong ánh xạ không có trong tệp"
MISSING_COLUMNS_NOTE = "câu hỏi của các cột này được ghi là không hỏi trực tuyến, không phải bỏ trống"


def format_report(report: ImportReport) -> str:
    """The Vietnamese end-of-import summary."""
    table, norm = report.table, report.normalised
    lines = [f"Tệp {report.path} — nguồn «{report.source}»"]
    shape = ENCODING_NAMES.get(table.encoding, table.encoding)
    if table.separator:
        shape += f", phân cách bằng {SEPARATOR_NAMES.get(table.separator, table.separator)}"
    if table.header_row > 1:
        shape += f", tiêu đề ở dòng {table.header_row}"
    lines.append(f"  Định dạng: {shape}")
    if table.legacy:
        kinds = ", ".join(f"{n} ô {k.upper()}" for k, n in sorted(table.legacy.items()))
        lines.append(f"  Đã chuyển mã cũ sang Unicode: {kinds}")
    repaired, left = table.lossy_words
    if repaired or left:
        lines.append(f"  Tệp Windows-1258 bị mất chữ (Excel ghi «?» thay chữ có dấu): khôi phục {repaired} từ"
                     + (f"; {left} từ không khôi phục được (hãy lưu lại tệp dạng «CSV UTF-8»)" if left else ""))
    lines.append(f"  Thứ tự ngày: {'ngày/tháng' if norm.date_order == 'dmy' else 'tháng/ngày'} ({norm.date_order_reason})")
    lines.append(f"  Cột dùng: {len(norm.used_columns)}; cột bỏ qua: {len(norm.unused_columns)}"
                 + (f" ({'; '.join(norm.unused_columns[:6])}{' …' if len(norm.unused_columns) > 6 else ''})"
                    if norm.unused_columns else ""))
    if norm.missing_columns:
        lines.append(f"  {MISSING_COLUMNS_TEXT}: {len(norm.missing_columns)} ({'; '.join(norm.missing_columns[:6])}"
                     f"{' …' if len(norm.missing_columns) > 6 else ''}) — {MISSING_COLUMNS_NOTE}")
    lines.append(f"  Dòng dữ liệu: {report.rows}; đã nhập mới: {report.imported}; đã có từ lần nhập trước: "
                 f"{report.already}; trùng bài đã nhập từ tệp khác: {report.seen_elsewhere}")
    if report.seen_elsewhere:
        names = ", ".join(f"«{name}»" for name in report.seen_sources)
        lines.append(f"  {report.seen_elsewhere} dòng đã có sẵn trong cơ sở dữ liệu (cùng thời điểm gửi và cùng câu "
                     f"trả lời, đã nhập từ nguồn {names}) nên không nhập lại: mỗi bài chỉ được tính một lần dù "
                     "tệp xuất sau chứa lại các dòng cũ hay được nhập với tên nguồn khác")
    if report.repeated:
        lines.append(f"  Gửi lặp lại trong vòng {int(DUPLICATE_WINDOW.total_seconds() // 60)} phút "
                     f"(đã nhập, gắn cờ {FLAG_DUPLICATE}): {report.repeated}")
    if report.empty:
        lines.append(f"  Dòng trống (bỏ qua): {report.empty}")
    for key, text in (("excel_date_repaired", "ô mã bị Excel đổi thành ngày, đã khôi phục"),
                      ("excel_serial_time", "thời điểm dạng số ngày Excel"),
                      ("unit_outdated", "đơn vị ghi tên cũ, đã quy về đơn vị kế thừa"),
                      ("number_as_code", "mã bị mất số 0 đầu hoặc dạng số thập phân")):
        if norm.quirks.get(key):
            lines.append(f"  {text[0].upper() + text[1:]}: {norm.quirks[key]}")
    if report.registry_empty:
        lines.append("  Chưa có danh mục đơn vị: đơn vị được giữ nguyên như ghi trong tệp (omr units import)")
    if report.rejected:
        lines.append(f"  Bị từ chối: {report.rejected} dòng ({len(report.problems)} lỗi), xem {report.rejects_path}")
        for problem in report.problems[:5]:
            lines.append(f"    dòng {problem.row}, cột «{problem.column}»: {problem.reason}")
        if len(report.problems) > 5:
            lines.append("    …")
        if norm.quirks.get("unknown_label"):
            # Absolute paths: the command works from any folder the operator runs it in (trial, stop 25).
            template = norm.template_path or "<mẫu phiếu>.yaml"
            if Path(template).exists():
                template = str(Path(template).resolve())
            lines.append(f"  {norm.quirks['unknown_label']} ô có nhãn chưa có mã: đề xuất ánh xạ từ chính tệp này "
                         f"bằng «omr online mapping {template} --sample {Path(report.path).resolve()} "
                         "-o ánh-xạ.yaml», "
                         "điền mã cho các nhãn null rồi nhập lại với --mapping ánh-xạ.yaml")
        lines.append("  Sửa tệp ánh xạ hoặc danh mục rồi nhập lại: các dòng đã nhập không bị nhập hai lần.")
    else:
        lines.append("  Bị từ chối: 0")
    return "\n".join(lines)
