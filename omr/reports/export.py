"""Export responses for analysis: CSV, XLSX, JSON Lines or Parquet, one record per response.

Paper and online responses share one schema (the merged dataset of
:mod:`omr.reports.dataset`). Columns, in order: ``serial`` (6 digits; empty online),
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
one ``<qid>_status`` column per question. A template's ``labels`` (values
joined from several questions: an OMRChecker ``customLabels`` roll number)
are columns too, just before their parts (which stay, to trace the value):
the parts' codes concatenated when every part is ``ok``; otherwise empty with
the status ``review`` (a blank, double or unsure part: never a partial
number), ``blank`` (every part blank) or ``missing_page``. The codebook lists
each label with its parts; JSON Lines records carry ``label_parts``.

That is the flat layout of CSV, XLSX and Parquet. JSON Lines writes each response as one nested object
instead: the fields before the questions as keys, then ``answers`` ({question: value}), ``status``
({question: status}), ``comments`` ({question: {text, text_source, crop, flags, faint, status,
comment_id}}) and ``label_parts``; no ``<qid>`` or ``<qid>_status`` key at its top level (docs/online.md).
Questions follow the template's order; when several forms or
versions are exported together their questions are merged in order of first
appearance.

Free-text questions (comments) hold their text in the question's column:
the reviewed text where a person has confirmed it, else the OCR draft, or
the text typed online; phone and ID numbers are masked
(:mod:`omr.text.privacy`). Their status is ``blank``, ``pending`` (a draft not
yet reviewed) or ``reviewed`` on paper, ``ok`` online. After all status
columns come, per free-text question, ``<qid>_text_source`` (reviewed |
draft | online), ``<qid>_crop`` (the cleaned crop of a paper comment, raw and stretched for a faint one, a PNG
written next to the export in ``<export name>_crops/``), ``<qid>_flags``
(negative-behaviour terms found, :mod:`omr.text.lexicon`, ``;``-joined) and ``<qid>_faint``
(``faint`` where the scan found possibly faint writing: the reviewer was told so; else empty).

``date`` is the survey date read from the form (the template's ``date``
question, when its status is ``ok``: ``date_source`` = ``form``), otherwise
the day an online response was submitted (``submitted``), otherwise the
collection period of the response's batch(es) as ``from..to`` (``batch``),
otherwise empty.

XLSX adds a codebook sheet: question codes and texts, option codes and labels.

``source_pages`` lists ``<form page>=<file name>#<page of the file, from 1>``, as a PDF viewer
and the scan summary number pages, with ``@1`` (left or top half) or ``@2`` (right or bottom
half) after a page read from one half of an image holding two form pages.

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
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path

from omr.data.private_files import PRIVATE_FOLDER_MODE, replacing
from omr.errors import BadArgumentsError
from omr.forms.template import Template
from omr.reports import export_vi
from omr.reports.dataset import BASE_COLUMNS, COMMENT_COLUMNS, TemplateLookup, cell_text, collect, header, to_frame
from omr.reports.xlsx_cells import DAY_FORMAT, MOMENT_FORMAT, as_text, day_value, moment_value
from omr.text.cells import neutralise

FORMATS = ("csv", "xlsx", "jsonl", "parquet")
NUMBER_COLUMNS = ("version", "source_row", "to_review")  # kept as numbers in XLSX
CODEBOOK_SHEET = "Bảng mã"
CODEBOOK_HEADER = ("question", "question_text", "type", "option_code", "option_label")
CODEBOOK_HEADER_VI = ("Mã câu hỏi / cột", "Nội dung", "Loại", "Mã", "Nhãn")  # with labels=True
XLSX_SHEET = "Phiếu"


# --- rows ---------------------------------------------------------------------

def flat_row(record: dict, value_ids: list[str], status_ids: list[str],
             clean: Callable[[str], str] = str, text_ids: Iterable[str] = (), *, guard: bool = True) -> list:
    """A record as a spreadsheet row, in header order, every text cell neutralised.

    ``clean`` runs before neutralising, so removing characters a format cannot
    hold can never uncover a formula. ``guard`` False leaves text exactly as it is (no leading ``'``):
    for XLSX, whose string cells are never run (omr.reports.xlsx_cells).
    """
    def text(value: object) -> str:
        shown = clean(cell_text(value))
        return neutralise(shown) if guard else shown

    row: list = [record[column] if column in NUMBER_COLUMNS else text(record[column]) for column in BASE_COLUMNS]
    row += [text(record["answers"][qid]) for qid in value_ids]
    row += [text(record["status"][qid]) for qid in status_ids]
    row += [text(record["comments"][qid][column]) for qid in text_ids for column in COMMENT_COLUMNS]
    return row


# --- I/O ----------------------------------------------------------------------

def export_responses(store, fmt: str, out_path: str | Path, template_lookup: TemplateLookup,
                     labels: bool = False, file_names: Mapping[str, str] | None = None) -> int:
    """Write every response of ``store`` to ``out_path`` as ``fmt``; return how many.

    ``template_lookup(form_id, version)`` gives the template (for question
    order, question types and the survey-date question) or None when unknown.
    ``labels``: CSV and XLSX get Vietnamese headers and option labels instead
    of codes (:mod:`omr.reports.export_vi`; the XLSX "Bảng mã" sheet then also maps
    every column and coded value to its code). JSON Lines and Parquet always
    keep the codes. ``file_names``: stored scan path -> the name shown in ``source_files`` and
    ``source_pages``; by default the web app's uploads under their user's name, others as stored
    (omr.data.uploads).
    The file is written to a temporary name first and moved into place, so an
    interrupted export never leaves half a file where the old one was.
    """
    if fmt not in FORMATS:
        raise BadArgumentsError(f"Định dạng xuất «{fmt}» không được hỗ trợ; chọn một trong: {', '.join(FORMATS)}")

    dataset = collect(store, template_lookup, file_names=file_names)
    records, value_ids, status_ids, text_ids = (dataset.records, dataset.value_ids, dataset.status_ids,
                                                dataset.text_ids)
    write_crops(store, records, Path(out_path))

    with replacing(Path(out_path)) as tmp:
        if fmt == "csv":
            _write_csv(tmp, records, value_ids, status_ids, text_ids, dataset.templates if labels else None)
        elif fmt == "xlsx":
            _write_xlsx(tmp, records, value_ids, status_ids, dataset.templates, text_ids, labels)
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
    and its folder can be moved together. A comment whose ``crop`` already holds the withheld note
    (omr.text.privacy.CROP_WITHHELD_NOTE: its text had a phone or ID number) gets no file.
    Returns the number of crops written.
    """
    wanted = {c["comment_id"]: (record, qid) for record in records
              for qid, c in record["comments"].items()
              if c["comment_id"] is not None and c["status"] != "blank" and c.get("crop") is None}
    folder = crops_folder(out_path)
    staging = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    os.chmod(staging, PRIVATE_FOLDER_MODE)
    written = 0
    for comment_id, png in store.comment_crops(list(wanted)):
        record, qid = wanted[comment_id]
        name = f"{record['serial'] or comment_id}-{qid}-{comment_id}.png"
        with replacing(staging / name) as tmp:  # private (PRIVATE_FILE_MODE) as the export: handwriting
            tmp.write_bytes(png)
        record["comments"][qid]["crop"] = f"{folder.name}/{name}"
        written += 1
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return written


def codebook_rows(templates: Iterable[Template], labels: bool = False) -> list[list[str]]:
    """Question codes and texts, option codes and labels: one row per option (per question without options).

    ``labels``: the type column in Vietnamese ("thang đo" for ``scale``, :data:`export_vi.TYPE_LABELS`)."""
    kind = export_vi.type_label if labels else str
    rows: list[list[str]] = []
    seen: set[tuple[str, str]] = set()
    for template in templates:
        for name, parts in template.extra.get("labels", {}).items():
            if (name, "") not in seen:  # a joined value: which columns it is made of, in order
                seen.add((name, ""))
                rows.append([name, " + ".join(parts), kind("label"), "", ""])
        for question in template.questions:
            options = question.options or ((None),)
            for option in options:
                key = (question.id, option.code if option else "")
                if key in seen:
                    continue
                seen.add(key)
                rows.append([question.id, question.text, kind(question.type),
                             option.code if option else "", option.label if option else ""])
    return rows


def _write_csv(path: Path, records: list[dict], value_ids: list[str], status_ids: list[str],
               text_ids: list[str], label_templates: Iterable[Template] | None = None) -> None:
    # utf-8-sig: the BOM makes Excel read Vietnamese diacritics as UTF-8.
    questions = export_vi.questions_of(label_templates) if label_templates is not None else None
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        if questions is None:
            writer.writerow(header(value_ids, status_ids, text_ids))
        else:
            writer.writerow([neutralise(h) for h in export_vi.header(value_ids, status_ids, text_ids, questions)])
        for record in records:
            shown = record if questions is None else export_vi.labelled(record, questions)
            writer.writerow(flat_row(shown, value_ids, status_ids, text_ids=text_ids))


# Excel's limit on the characters of one cell (Microsoft, "Excel specifications and limits");
# openpyxl cuts longer text there without a word.
EXCEL_CELL_LIMIT = 32_767


def fit_excel_cell(text: str) -> str:
    """``text`` if it fits one Excel cell, else cut with a visible note saying how much is missing and where
    to read it whole (the CSV export keeps every character): never cut silently."""
    if len(text) <= EXCEL_CELL_LIMIT:
        return text

    def note(missing: int) -> str:
        count = f"{missing:,}".replace(",", ".")  # Vietnamese thousands separator
        return f" … [còn {count} ký tự, quá giới hạn một ô Excel; đọc đủ trong bản xuất CSV]"

    kept = EXCEL_CELL_LIMIT - len(note(len(text)))  # the count only shrinks: the note never gets longer
    return text[:kept] + note(len(text) - kept)


def _write_xlsx(path: Path, records: list[dict], value_ids: list[str], status_ids: list[str],
                templates: Iterable[Template], text_ids: list[str], labels: bool = False) -> None:
    from openpyxl import Workbook  # lazy: a heavy dependency, loaded only where used
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # lazy: a heavy dependency, loaded only where used
    from openpyxl.cell.cell import WriteOnlyCell  # lazy: a heavy dependency, loaded only where used

    def clean(text: str) -> str:
        # Control characters other than tab and newlines are not allowed in XLSX.
        return fit_excel_cell(ILLEGAL_CHARACTERS_RE.sub("", text))

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(XLSX_SHEET)
    sheet.freeze_panes = "B2"  # header and serial stay in view while scrolling
    templates = list(templates)
    questions = export_vi.questions_of(templates) if labels else None

    def cells(target, values: list, days: set[int] = frozenset(), moments: set[int] = frozenset()) -> list:
        """Typed cells: text as string cells, never formulas (no apostrophe added: omr.reports.xlsx_cells);
        in the ``days`` columns a day as a real date shown dd/mm/yyyy, in the ``moments`` columns a moment
        as a real date and time shown dd/mm/yyyy hh:mm:ss."""
        out = []
        for i, value in enumerate(values):
            day = day_value(value) if i in days else None
            moment = moment_value(value) if i in moments else None
            typed = moment if moment is not None else day
            cell = WriteOnlyCell(target, value=typed if typed is not None else value)
            if typed is not None:
                cell.number_format = MOMENT_FORMAT if moment is not None else DAY_FORMAT
            out.append(as_text(cell))
        return out

    names = header(value_ids, status_ids, text_ids)
    date_questions = {q.id for t in templates for q in t.questions if q.type == "date"}
    days = {i for i, name in enumerate(names) if name in ("date", "submitted_at") or name in date_questions}
    moments = {i for i, name in enumerate(names) if name == "submitted_at"}  # a clock time too
    if questions is None:
        sheet.append(cells(sheet, names))
    else:
        sheet.append(cells(sheet, [clean(h) for h in export_vi.header(value_ids, status_ids, text_ids, questions)]))
    for record in records:
        shown = record if questions is None else export_vi.labelled(record, questions)
        # Codes stay text ("0", "KYK" and "1" alike), as in the CSV; empty cells stay empty.
        sheet.append(cells(sheet, [v if v != "" else None
                                   for v in flat_row(shown, value_ids, status_ids, clean, text_ids, guard=False)],
                           days, moments))
    codebook = workbook.create_sheet(CODEBOOK_SHEET)
    codebook.append(list(CODEBOOK_HEADER if questions is None else CODEBOOK_HEADER_VI))
    extra = (export_vi.codebook_extra_rows(header(value_ids, status_ids, text_ids), value_ids, status_ids, text_ids,
                                           questions) if questions is not None else [])
    for row in codebook_rows(templates, labels=questions is not None) + extra:
        codebook.append(cells(codebook, [clean(cell) or None for cell in row]))
    workbook.save(path)


def _write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
