"""Export responses for analysis: CSV, XLSX or JSON Lines, one record per response.

Columns, in order: ``serial`` (6 digits), ``form``, ``version``, ``unit``,
``date`` and ``date_source``, ``source_files``, ``source_pages``, ``batch``,
``flags``; then one column per question holding its option code (multiple
choice joined with ``;``, dates ISO), then one ``<qid>_status`` column per
question. Questions follow the template's order; when several forms or
versions are exported together their questions are merged in order of first
appearance. Free-text questions have only a status column (the comments
themselves come with the review stage).

``date`` is the survey date read from the form (the template's ``date``
question, when its status is ``ok``: ``date_source`` = ``form``), otherwise
the collection period of the response's batch(es) as ``from..to``
(``batch``), otherwise empty.

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
import tempfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from .errors import BadArgumentsError
from .model import OK
from .qrcodes import format_serial
from .template import Template

FORMATS = ("csv", "xlsx", "jsonl")
BASE_COLUMNS = ("serial", "form", "version", "unit", "date", "date_source",
                "source_files", "source_pages", "batch", "flags")
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
    """(date, date_source): the date on the form, else the batch period, else ('', '')."""
    date_question = next((q for q in template.questions if q.type == "date"), None) if template else None
    if date_question is not None:
        value, status, _ = response["answers"].get(date_question.id, (None, None, None))
        if status == OK and value:
            return str(value), "form"
    period = batch_period(response["batches"])
    return (period, "batch") if period else ("", "")


def question_columns(templates: Iterable[Template | None], answered: Iterable[str]) -> tuple[list[str], list[str]]:
    """(value columns, status columns) as question ids, in template order.

    Questions no template names (a response whose template is unknown) come
    last, sorted, so nothing read is silently dropped.
    """
    values: list[str] = []
    statuses: list[str] = []
    for template in templates:
        if template is None:
            continue
        for question in template.questions:
            if question.id not in statuses:
                statuses.append(question.id)
                if question.type != "text":
                    values.append(question.id)
    for qid in sorted(set(answered) - set(statuses)):
        statuses.append(qid)
        values.append(qid)
    return values, statuses


def build_record(response: dict, template: Template | None, value_ids: list[str],
                 status_ids: list[str]) -> dict:
    """One response as a plain record (typed values, not neutralised)."""
    day, day_source = survey_date(response, template)
    files = list(dict.fromkeys(p["file"] for p in response["pages"]))
    answers = response["answers"]
    return {
        "serial": format_serial(response["serial"]),
        "form": response["form_id"],
        "version": response["version"],
        "unit": response["unit"],
        "date": day,
        "date_source": day_source,
        "source_files": files,
        "source_pages": [f"{p['page']}={os.path.basename(p['file'])}#{p['page_index']}"
                         for p in response["pages"]],
        "batch": [b["name"] for b in response["batches"]],
        "flags": list(response["flags"]),
        "answers": {qid: answers[qid][0] if qid in answers else None for qid in value_ids},
        "status": {qid: answers[qid][1] if qid in answers else None for qid in status_ids},
    }


def flat_row(record: dict, value_ids: list[str], status_ids: list[str],
             clean: Callable[[str], str] = str) -> list:
    """A record as a spreadsheet row, in header order, every text cell neutralised.

    ``clean`` runs before neutralising, so removing characters a format cannot
    hold can never uncover a formula.
    """
    def text(value: object) -> str:
        return neutralise(clean(cell_text(value)))

    row: list = [record[column] if column == "version" else text(record[column]) for column in BASE_COLUMNS]
    row += [text(record["answers"][qid]) for qid in value_ids]
    row += [text(record["status"][qid]) for qid in status_ids]
    return row


def header(value_ids: list[str], status_ids: list[str]) -> list[str]:
    return list(BASE_COLUMNS) + value_ids + [f"{qid}_status" for qid in status_ids]


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
    items = list(store.responses())
    templates: dict[tuple[str, int], Template | None] = {}
    for response in items:
        key = (response["form_id"], response["version"])
        if key not in templates:
            templates[key] = template_lookup(*key)
    answered = {qid for r in items if templates[(r["form_id"], r["version"])] is None for qid in r["answers"]}
    value_ids, status_ids = question_columns((templates[k] for k in sorted(templates)), answered)
    records = [build_record(r, templates[(r["form_id"], r["version"])], value_ids, status_ids) for r in items]

    with _replacing(Path(out_path)) as tmp:
        if fmt == "csv":
            _write_csv(tmp, records, value_ids, status_ids)
        elif fmt == "xlsx":
            _write_xlsx(tmp, records, value_ids, status_ids)
        else:
            _write_jsonl(tmp, records)
    return len(records)


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


def _write_csv(path: Path, records: list[dict], value_ids: list[str], status_ids: list[str]) -> None:
    # utf-8-sig: the BOM makes Excel read Vietnamese diacritics as UTF-8.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header(value_ids, status_ids))
        for record in records:
            writer.writerow(flat_row(record, value_ids, status_ids))


def _write_xlsx(path: Path, records: list[dict], value_ids: list[str], status_ids: list[str]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(text: str) -> str:
        # Control characters other than tab and newlines are not allowed in XLSX.
        return ILLEGAL_CHARACTERS_RE.sub("", text)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(XLSX_SHEET)
    sheet.freeze_panes = "B2"  # header and serial stay in view while scrolling
    sheet.append(header(value_ids, status_ids))
    for record in records:
        # Codes stay text ("0", "KYK" and "1" alike), as in the CSV; empty cells stay empty.
        sheet.append([v if v != "" else None for v in flat_row(record, value_ids, status_ids, clean)])
    workbook.save(path)


def _write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
