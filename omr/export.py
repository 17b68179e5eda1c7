"""Export responses for analysis: CSV, XLSX, JSON Lines or Parquet, one record per response.

Paper and online responses share one schema (the merged dataset of
:mod:`omr.dataset`). Columns, in order: ``serial`` (6 digits; empty online),
``form``, ``version``, ``channel`` (paper | online), ``source`` (online:
the source name; paper: the batch), ``unit`` (registry code, or as recorded
when unknown), ``unit_recorded`` (as written in the file or the QR code),
``unit_name`` (the unit valid on the response's date), ``unit_today`` and
``unit_today_name`` (its successor(s) today, ``;``-joined), ``unit_status``
(ok | outdated | unknown | ambiguous | not_yet | blank | no_registry),
``date`` and ``date_source``, ``submitted_at`` (online, ISO 8601 +07:00),
``source_files``, ``source_pages`` (paper), ``source_row`` (online: the row
in the file), ``batch``, ``flags``, ``review`` (pending | reviewed | none),
``to_review`` (answers, comments and missing pages awaiting a person),
``completeness`` (complete | incomplete: a page of the paper sheet is missing
or set aside, issue #14) and ``missing_pages`` (their numbers; each question
on them has the status ``missing_page``, never ``blank``); then one column per question
holding its option code (multiple choice joined with ``;``, dates ISO), then
one ``<qid>_status`` column per question. Questions follow the template's order; when several forms or
versions are exported together their questions are merged in order of first
appearance.

Free-text questions (comments) hold their text in the question's column:
the reviewed text where a person has confirmed it, else the OCR draft, or
the text typed online; phone and ID numbers are masked
(:mod:`omr.privacy`). Their status is ``blank``, ``pending`` (a draft not
yet reviewed) or ``reviewed`` on paper, ``ok`` online. After all status
columns come, per free-text question, ``<qid>_text_source`` (reviewed |
draft | online), ``<qid>_crop`` (the cleaned crop of a paper comment, a PNG
written next to the export in ``<export name>_crops/``) and ``<qid>_flags``
(negative-behaviour terms found, :mod:`omr.lexicon`, ``;``-joined).

``date`` is the survey date read from the form (the template's ``date``
question, when its status is ``ok``: ``date_source`` = ``form``), otherwise
the day an online response was submitted (``submitted``), otherwise the
collection period of the response's batch(es) as ``from..to`` (``batch``),
otherwise empty.

XLSX adds a codebook sheet: question codes and texts, option codes and labels.

``source_pages`` lists ``<form page>=<file name>#<page index in file, from 0>``.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return) as a formula, so such cells get a leading ``'`` in CSV
and XLSX. JSON Lines keeps values exactly as stored: it is read by programs,
not by spreadsheets, and a program must get the real unit code.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from .errors import BadArgumentsError
from .lexicon import find_terms, flags_from_json
from .completeness import missing_pages, pages_lost
from .model import MISSING_PAGE, NEEDS_REVIEW, OK
from .online import IMPORTED_BY, VN_TZ
from .privacy import mask_personal_numbers
from .qrcodes import format_serial
from .store import MACHINE
from .template import Template

FORMATS = ("csv", "xlsx", "jsonl", "parquet")
BASE_COLUMNS = ("serial", "form", "version", "channel", "source", "unit", "unit_recorded", "unit_name",
                "unit_today", "unit_today_name", "unit_status", "date", "date_source", "submitted_at",
                "source_files", "source_pages", "source_row", "batch", "flags", "review", "to_review",
                "completeness", "missing_pages")
NUMBER_COLUMNS = ("version", "source_row", "to_review")  # kept as numbers in XLSX
COMMENT_COLUMNS = ("text_source", "crop", "flags")  # per free-text question, after the status columns
CODEBOOK_SHEET = "Bảng mã"
CODEBOOK_HEADER = ("question", "question_text", "type", "option_code", "option_label")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = ";"
XLSX_SHEET = "Phiếu"

TemplateLookup = Callable[[str, int], "Template | None"]


# --- pure helpers -----------------------------------------------------------

def neutralise(text: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula (OWASP CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_text(value: object) -> str:
    """One answer as a cell: a code, codes joined with ';', an ISO date, or empty."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


def batch_period(batches: list[dict]) -> str:
    """The collection period of the batches as ``from..to`` ('' when no dates are known)."""
    starts = [b["collected_from"] for b in batches if b.get("collected_from")]
    ends = [b["collected_to"] for b in batches if b.get("collected_to")]
    if not starts and not ends:
        return ""
    start = min(starts).isoformat() if starts else ""
    end = max(ends).isoformat() if ends else ""
    return f"{start}..{end}"


def survey_date(response: dict, template: Template | None) -> tuple[str, str]:
    """(date, date_source): the date on the form, else the submission day, else the batch period."""
    date_question = next((q for q in template.questions if q.type == "date"), None) if template else None
    if date_question is not None:
        value, status, _ = response["answers"].get(date_question.id, (None, None, None))
        if status == OK and value:
            return str(value), "form"
    if response.get("submitted_at") is not None:
        return local_time(response["submitted_at"]).date().isoformat(), "submitted"
    period = batch_period(response["batches"])
    return (period, "batch") if period else ("", "")


def question_columns(templates: Iterable[Template | None],
                     answered: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
    """(value columns, status columns, free-text questions) as question ids, in template order.

    Questions no template names (a response whose template is unknown) come
    last, sorted, so nothing read is silently dropped.
    """
    values: list[str] = []
    statuses: list[str] = []
    texts: list[str] = []
    for template in templates:
        if template is None:
            continue
        for question in template.questions:
            if question.id not in statuses:
                statuses.append(question.id)
                values.append(question.id)
                if question.type == "text":
                    texts.append(question.id)
    for qid in sorted(set(answered) - set(statuses)):
        statuses.append(qid)
        values.append(qid)
    return values, statuses, texts


def comment_cells(response: dict, qid: str) -> dict:
    """One free-text answer for export: text (masked), its source, crop, flags, and status.

    Paper: the reviewed text, else the draft. Online: the text as typed.
    """
    comment = response.get("comments", {}).get(qid)
    if comment is not None:
        reviewed = comment["status"] == "reviewed"
        text = comment["text"] if reviewed else comment["draft_text"] if comment["status"] == "pending" else None
        source = "reviewed" if reviewed else "draft" if comment["status"] == "pending" else ""
        matches = flags_from_json(comment["flags"])
        status, comment_id = comment["status"], comment["id"]
    else:
        value, status, _ = response["answers"].get(qid, (None, None, None))
        text = value if isinstance(value, str) and value.strip() else None
        source = "online" if text is not None else ""
        matches = find_terms(text, source="online")
        comment_id = None
    terms = list(dict.fromkeys(m.term for m in matches if m.flagged))
    return {"text": mask_personal_numbers(text), "text_source": source, "crop": None, "flags": terms,
            "status": status, "comment_id": comment_id}


def local_time(moment: datetime) -> datetime:
    """A stored time in UTC+7 (SQLite hands back naive UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN_TZ)


def review_state(response: dict) -> tuple[str, int]:
    """('pending' | 'reviewed' | 'none', answers awaiting a person) of one response."""
    set_by = response.get("set_by", {})
    waiting = sum(1 for qid, (_, status, _) in response["answers"].items()
                  if status in NEEDS_REVIEW and set_by.get(qid, MACHINE) == MACHINE)
    waiting += sum(1 for c in response.get("comments", {}).values() if c["status"] == "pending")
    if not pages_lost(response):  # a missing page waits for a person: assign it, or declare it lost
        waiting += len(missing_pages(response))
    if waiting:
        return "pending", waiting
    people = [who for who in set_by.values() if who not in (MACHINE, IMPORTED_BY)]
    reviewed_comments = any(c["status"] == "reviewed" for c in response.get("comments", {}).values())
    return ("reviewed" if people or reviewed_comments or pages_lost(response) else "none"), 0


def unit_columns(response: dict, day: str, registry) -> dict:
    """The unit as recorded, on the response's date and today, from the registry."""
    recorded = response.get("unit_recorded") or response["unit"]
    out = {"unit": response["unit"], "unit_recorded": recorded, "unit_name": None, "unit_today": None,
           "unit_today_name": None, "unit_status": "blank" if not response["unit"] else "no_registry"}
    if registry is None or not len(registry) or not response["unit"]:
        return out
    on = None
    if day:
        try:
            on = date.fromisoformat(day.split("..")[-1] or day.split("..")[0])
        except ValueError:
            on = None
    found = registry.resolve(response["unit"], on)  # online: the code matched on import
    out["unit_status"] = found.status
    if found.unit is not None:
        out["unit_name"] = found.unit.name
        out["unit_today"] = [u.code for u in found.today]
        out["unit_today_name"] = [u.name for u in found.today]
    return out


def build_record(response: dict, template: Template | None, value_ids: list[str],
                 status_ids: list[str], registry=None, today: date | None = None,
                 text_ids: Iterable[str] = ()) -> dict:
    """One response as a plain record (typed values, not neutralised)."""
    comments = {qid: comment_cells(response, qid) for qid in text_ids}
    day, day_source = survey_date(response, template)
    files = list(dict.fromkeys(p["file"] for p in response["pages"]))
    if response.get("source_file"):
        files.append(response["source_file"])
    answers = response["answers"]
    online = response.get("channel") == "online"
    review, waiting = review_state(response)
    submitted = response.get("submitted_at")
    missing = missing_pages(response)
    for qid in text_ids:
        if missing and comments[qid]["status"] is None:
            comments[qid]["status"] = MISSING_PAGE
    return {
        "serial": "" if response["serial"] is None else format_serial(response["serial"]),
        "form": response["form_id"],
        "version": response["version"],
        "channel": response.get("channel", "paper"),
        "source": response.get("source") if online else [b["name"] for b in response["batches"]],
        **unit_columns(response, day, registry),
        "date": day,
        "date_source": day_source,
        "submitted_at": local_time(submitted).isoformat() if submitted is not None else None,
        "source_files": files,
        "source_pages": [f"{p['page']}={os.path.basename(p['file'])}#{p['page_index']}"
                         for p in response["pages"]],
        "source_row": response.get("source_row"),
        "batch": [b["name"] for b in response["batches"]],
        "flags": list(response["flags"]),
        "review": review,
        "to_review": waiting,
        "answers": {qid: comments[qid]["text"] if qid in comments else answers[qid][0] if qid in answers else None
                    for qid in value_ids},
        "status": {qid: comments[qid]["status"] if qid in comments else answers[qid][1] if qid in answers
                   else MISSING_PAGE if missing else None for qid in status_ids},
        "comments": comments,
        "completeness": "incomplete" if missing else "complete",
        "missing_pages": missing,
    }


def flat_row(record: dict, value_ids: list[str], status_ids: list[str],
             clean: Callable[[str], str] = str, text_ids: Iterable[str] = ()) -> list:
    """A record as a spreadsheet row, in header order, every text cell neutralised.

    ``clean`` runs before neutralising, so removing characters a format cannot
    hold can never uncover a formula.
    """
    def text(value: object) -> str:
        return neutralise(clean(cell_text(value)))

    row: list = [record[column] if column in NUMBER_COLUMNS else text(record[column]) for column in BASE_COLUMNS]
    row += [text(record["answers"][qid]) for qid in value_ids]
    row += [text(record["status"][qid]) for qid in status_ids]
    row += [text(record["comments"][qid][column]) for qid in text_ids for column in COMMENT_COLUMNS]
    return row


def header(value_ids: list[str], status_ids: list[str], text_ids: Iterable[str] = ()) -> list[str]:
    return (list(BASE_COLUMNS) + value_ids + [f"{qid}_status" for qid in status_ids]
            + [f"{qid}_{column}" for qid in text_ids for column in COMMENT_COLUMNS])


# --- I/O ----------------------------------------------------------------------

def export_responses(store, fmt: str, out_path: str | Path, template_lookup: TemplateLookup) -> int:
    """Write every response of ``store`` to ``out_path`` as ``fmt``; return how many.

    ``template_lookup(form_id, version)`` gives the template (for question
    order, question types and the survey-date question) or None when unknown.
    The file is written to a temporary name first and moved into place, so an
    interrupted export never leaves half a file where the old one was.
    """
    if fmt not in FORMATS:
        raise BadArgumentsError(f"Định dạng xuất «{fmt}» không được hỗ trợ; chọn một trong: {', '.join(FORMATS)}")
    from .dataset import collect, to_frame

    dataset = collect(store, template_lookup)
    records, value_ids, status_ids, text_ids = (dataset.records, dataset.value_ids, dataset.status_ids,
                                                dataset.text_ids)
    write_crops(store, records, Path(out_path))

    with _replacing(Path(out_path)) as tmp:
        if fmt == "csv":
            _write_csv(tmp, records, value_ids, status_ids, text_ids)
        elif fmt == "xlsx":
            _write_xlsx(tmp, records, value_ids, status_ids, dataset.templates, text_ids)
        elif fmt == "parquet":
            # Read by programs (pandas, R, DuckDB): typed values, not neutralised, like JSON Lines.
            to_frame(dataset).to_parquet(tmp, index=False)
        else:
            _write_jsonl(tmp, records)
    return len(records)


def crops_folder(out_path: Path) -> Path:
    """Where an export's comment crops go: ``<name>_crops/`` beside it (one folder per export)."""
    return out_path.with_name(f"{out_path.stem}_crops")


def write_crops(store, records: list[dict], out_path: Path) -> int:
    """Write the crop of every paper comment with ink next to the export and point the records at it.

    The folder is rebuilt whole on each export, so it never holds crops of
    responses the export no longer has. Paths in the records are relative to
    the export file (``<name>_crops/<serial>-<question>.png``), so the export
    and its folder can be moved together.
    """
    wanted = {c["comment_id"]: (record, qid) for record in records
              for qid, c in record["comments"].items() if c["comment_id"] is not None and c["status"] != "blank"}
    folder = crops_folder(out_path)
    staging = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    written = 0
    for comment_id, png in store.comment_crops(list(wanted)):
        record, qid = wanted[comment_id]
        name = f"{record['serial'] or comment_id}-{qid}-{comment_id}.png"
        (staging / name).write_bytes(png)
        record["comments"][qid]["crop"] = f"{folder.name}/{name}"
        written += 1
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return written


def codebook_rows(templates: Iterable[Template]) -> list[list[str]]:
    """Question codes and texts, option codes and labels: one row per option (per question without options)."""
    rows: list[list[str]] = []
    seen: set[tuple[str, str]] = set()
    for template in templates:
        for question in template.questions:
            options = question.options or ((None),)
            for option in options:
                key = (question.id, option.code if option else "")
                if key in seen:
                    continue
                seen.add(key)
                rows.append([question.id, question.text, question.type,
                             option.code if option else "", option.label if option else ""])
    return rows


@contextmanager
def _replacing(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_csv(path: Path, records: list[dict], value_ids: list[str], status_ids: list[str],
               text_ids: list[str]) -> None:
    # utf-8-sig: the BOM makes Excel read Vietnamese diacritics as UTF-8.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header(value_ids, status_ids, text_ids))
        for record in records:
            writer.writerow(flat_row(record, value_ids, status_ids, text_ids=text_ids))


def _write_xlsx(path: Path, records: list[dict], value_ids: list[str], status_ids: list[str],
                templates: Iterable[Template], text_ids: list[str]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(text: str) -> str:
        # Control characters other than tab and newlines are not allowed in XLSX.
        return ILLEGAL_CHARACTERS_RE.sub("", text)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(XLSX_SHEET)
    sheet.freeze_panes = "B2"  # header and serial stay in view while scrolling
    sheet.append(header(value_ids, status_ids, text_ids))
    for record in records:
        # Codes stay text ("0", "KYK" and "1" alike), as in the CSV; empty cells stay empty.
        sheet.append([v if v != "" else None for v in flat_row(record, value_ids, status_ids, clean, text_ids)])
    codebook = workbook.create_sheet(CODEBOOK_SHEET)
    codebook.append(list(CODEBOOK_HEADER))
    for row in codebook_rows(templates):
        codebook.append([neutralise(clean(cell)) or None for cell in row])
    workbook.save(path)


def _write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
