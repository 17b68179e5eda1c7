"""The merged dataset: paper and online responses in one schema.

``omr export`` writes it and analysts load it::

    import omr.reports.dataset
    df = omr.reports.dataset.load("outputs/omr.sqlite")      # or a postgresql:// URL
    df[df.channel == "online"].groupby("unit_today").H1.value_counts()

One row per response, columns as in :mod:`omr.reports.export` (``channel`` paper or
online, ``source``, the unit as recorded, on its date and today, dates,
where the response came from, flags, review state), then one column per
question holding option codes (multiple choice joined with ``;``), then
``<question>_status``. Units are resolved against the registry when the
dataset is built, so importing a newer registry updates every row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from omr.data.completeness import counted, in_figures, missing_pages, pages_lost
from omr.data.schema import IMPORTED_BY, MACHINE, NO_ANSWERS, NO_ANSWERS_CHECKED
from omr.data.store import open_store
from omr.data.uploads import uploaded_file_names
from omr.forms.pinned import joined_value
from omr.forms.pinned import shown_serial
from omr.forms.template import Template
from omr.model import EXPORT_BASE_COLUMNS, EXPORT_COMMENT_COLUMNS, MISSING_PAGE, NEEDS_REVIEW, OK, VN_TZ
from omr.online.units import load_registry
from omr.scan.page import Catalogue
from omr.text.lexicon import find_terms, flags_from_json
from omr.text.privacy import CROP_WITHHELD_NOTE, holds_personal_number, mask_personal_numbers

TemplateLookup = Callable[[str, int], "Template | None"]

# The export's own columns live in omr.model, so that a template's question ids are checked against
# them where templates are loaded (omr.forms.template), below this layer.
BASE_COLUMNS = EXPORT_BASE_COLUMNS
COMMENT_COLUMNS = EXPORT_COMMENT_COLUMNS  # per free-text question, after the status columns
LIST_SEPARATOR = ";"


# --- records ------------------------------------------------------------------

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

    A template's ``labels`` (values joined from several questions, such as an
    OMRChecker roll number) are columns too, each just before its first part.

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
        for name, parts in template.extra.get("labels", {}).items():
            # A joined value (issue #16) stands just before its parts, which stay for tracing it.
            if name not in statuses:
                at = min(values.index(p) for p in parts)
                values.insert(at, name)
                statuses.insert(min(statuses.index(p) for p in parts), name)
    for qid in sorted(set(answered) - set(statuses)):
        statuses.append(qid)
        values.append(qid)
    return values, statuses, texts


def comment_cells(response: dict, qid: str) -> dict:
    """One free-text answer for export: text (masked), its source, crop, flags, and status.

    Paper: the reviewed text, else the draft; ``faint`` "faint" where the scan found possibly faint
    writing (else ""). ``crop`` is None (:func:`omr.reports.export.write_crops` points it at the crop's
    file), or ``CROP_WITHHELD_NOTE`` when the draft or the reviewed text holds a phone or ID number.
    Online: the text as typed.
    """
    comment = response.get("comments", {}).get(qid)
    if comment is not None:
        reviewed = comment["status"] == "reviewed"
        text = comment["text"] if reviewed else comment["draft_text"] if comment["status"] == "pending" else None
        source = "reviewed" if reviewed else "draft" if comment["status"] == "pending" else ""
        matches = flags_from_json(comment["flags"])
        status, comment_id = comment["status"], comment["id"]
        faint = "faint" if comment.get("faint") else ""
    else:
        value, status, _ = response["answers"].get(qid, (None, None, None))
        text = value if isinstance(value, str) and value.strip() else None
        source = "online" if text is not None else ""
        matches = find_terms(text, source="online")
        comment_id = None
        faint = ""
    terms = list(dict.fromkeys(m.term for m in matches if m.flagged))
    # A crop would show the number the text hides: the note stands in its place, no crop is written.
    withheld = comment is not None and status != "blank" and holds_personal_number(comment["draft_text"],
                                                                                   comment["text"])
    return {"text": mask_personal_numbers(text), "text_source": source,
            "crop": CROP_WITHHELD_NOTE if withheld else None, "flags": terms,
            "faint": faint, "status": status, "comment_id": comment_id}


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
    flags = response.get("flags", [])
    # A serial conflict waits for a person (keep which sheet), a sheet with no answer until one looks at it;
    # a checked blank sheet stays out of the figures without waiting.
    if not in_figures(flags) and not (NO_ANSWERS in flags and NO_ANSWERS_CHECKED in flags):
        waiting += 1
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
                 text_ids: Iterable[str] = (), file_names: Mapping[str, str] | None = None) -> dict:
    """One response as a plain record (typed values, not neutralised).

    ``file_names``: a scan file's stored path -> the name to show for it (the web app's uploads,
    stored as ``job-…/001.pdf``, under the name their user gave); paths not in it are shown as stored.
    """
    comments = {qid: comment_cells(response, qid) for qid in text_ids}
    day, day_source = survey_date(response, template)
    shown = file_names or {}
    files = list(dict.fromkeys(shown.get(p["file"], p["file"]) for p in response["pages"]))
    if response.get("source_file"):
        files.append(response["source_file"])
    answers = response["answers"]
    online = response.get("channel") == "online"
    review, waiting = review_state(response)
    submitted = response.get("submitted_at")
    missing = missing_pages(response)
    # Only the response's own form's questions wait on its missing pages; another form's columns stay empty
    # (a new user's trial saw an office form's questions marked "trang thiếu" on a motcua sheet).
    own = {q.id for q in template.questions} if template is not None else None

    def waits_on_missing_page(qid: str) -> bool:
        return bool(missing) and (own is None or qid in own)

    for qid in text_ids:
        if waits_on_missing_page(qid) and comments[qid]["status"] is None:
            comments[qid]["status"] = MISSING_PAGE
    joined = label_cells(response, template, missing)
    return {
        # A number omr assigned (no serial on the form) is shown as such: "omr-169220897".
        "serial": shown_serial(response["serial"], response.get("serial_assigned", False)),
        "form": response["form_id"],
        "version": response["version"],
        "channel": response.get("channel", "paper"),
        "source": response.get("source") if online else [b["name"] for b in response["batches"]],
        **unit_columns(response, day, registry),
        "date": day,
        "date_source": day_source,
        "submitted_at": local_time(submitted).isoformat() if submitted is not None else None,
        "source_files": files,
        # Pages of a file counted from 1, as a PDF viewer and the scan summary count them (#17);
        # "@1"/"@2": the left/top or right/bottom half of a two-page image (#13).
        "source_pages": [f"{p['page']}={os.path.basename(shown.get(p['file'], p['file']))}#{p['page_index'] + 1}"
                         + (f"@{p['part']}" if p.get("part") else "") for p in response["pages"]],
        "source_row": response.get("source_row"),
        "batch": [b["name"] for b in response["batches"]],
        "flags": list(response["flags"]),
        "review": review,
        "to_review": waiting,
        "answers": {qid: comments[qid]["text"] if qid in comments else joined[qid][0] if qid in joined
                    else unknown_answer(answers[qid][0]) if qid in answers and (own is None or qid not in own)
                    else answers[qid][0] if qid in answers else None for qid in value_ids},
        "status": {qid: comments[qid]["status"] if qid in comments else joined[qid][1] if qid in joined
                   else answers[qid][1] if qid in answers else MISSING_PAGE if waits_on_missing_page(qid) else None
                   for qid in status_ids},
        "label_parts": {name: list(parts) for name, parts in labels_of(template).items()},
        "comments": comments,
        "completeness": "incomplete" if missing else "complete",
        "missing_pages": missing,
    }


def unknown_answer(value):
    """An answer to a question no known template describes, as exported: text masked like a comment's
    (:func:`omr.text.privacy.mask_personal_numbers`), since it may be free text typed online; codes,
    lists and numbers as they are."""
    return mask_personal_numbers(value) if isinstance(value, str) else value


def labels_of(template: Template | None) -> dict[str, tuple[str, ...]]:
    """The template's labels: name -> the questions joined into it (omr.forms.pinned.check_labels)."""
    return template.extra.get("labels", {}) if template is not None else {}


def label_cells(response: dict, template: Template | None, missing: list[int]) -> dict[str, tuple[str | None, str]]:
    """Label name -> (joined value, status) of one response (:func:`omr.forms.pinned.joined_value`).

    A part with no answer is ``missing_page`` when a page of the sheet is
    missing, else unread (review): a partial number is never ``ok``.
    """
    answers = response["answers"]
    out = {}
    for name, parts in labels_of(template).items():
        reads = [answers[p][:2] if p in answers else (None, MISSING_PAGE if missing else None) for p in parts]
        out[name] = joined_value(reads)
    return out


def header(value_ids: list[str], status_ids: list[str], text_ids: Iterable[str] = ()) -> list[str]:
    return (list(BASE_COLUMNS) + value_ids + [f"{qid}_status" for qid in status_ids]
            + [f"{qid}_{column}" for qid in text_ids for column in COMMENT_COLUMNS])


# --- the dataset ----------------------------------------------------------------


@dataclass
class Dataset:
    records: list[dict]  # plain records, see build_record
    value_ids: list[str]  # question columns
    status_ids: list[str]  # <question>_status columns
    templates: list[Template]  # the templates of the responses, for the codebook
    text_ids: list[str]  # free-text questions: <question>_text_source, _crop, _flags, _faint columns

    def header(self) -> list[str]:
        return header(self.value_ids, self.status_ids, self.text_ids)


def collect(store, template_lookup: TemplateLookup, today: date | None = None,
            file_names: Mapping[str, str] | None = None) -> Dataset:
    """Every response of ``store`` as records of the merged schema.

    ``file_names``: see :func:`build_record`; by default every scan file uploaded in the web app is
    named as its user named it (omr.data.uploads), so ``omr export`` and the web export agree.
    """
    # A sheet a person decided not to keep (a serial conflict, a rescan) is in no dataset, nor one that may
    # be another scan of a stored sheet until a person decides (omr.data.completeness, #16).
    items = [r for r in store.responses() if counted(r["flags"])]
    templates: dict[tuple[str, int], Template | None] = {}
    for response in items:
        key = (response["form_id"], response["version"])
        if key not in templates:
            templates[key] = template_lookup(*key)
    answered = {qid for r in items if templates[(r["form_id"], r["version"])] is None for qid in r["answers"]}
    known = [templates[k] for k in sorted(templates)]
    value_ids, status_ids, text_ids = question_columns(known, answered)
    registry = load_registry(store)
    if file_names is None:
        with store.reading() as conn:
            file_names = uploaded_file_names(conn)
    records = [build_record(r, templates[(r["form_id"], r["version"])], value_ids, status_ids, registry, today,
                            text_ids, file_names) for r in items]
    return Dataset(records, value_ids, status_ids, [t for t in known if t is not None], text_ids)


def catalogue_lookup(templates: str | Path = "form_templates") -> TemplateLookup:
    """Templates by (form, version) from a templates folder, frozen layouts included."""
    catalogue = Catalogue.from_folder(templates)

    def lookup(form_id: str, version: int) -> Template | None:
        layout = catalogue.layouts.get((form_id, version))
        return catalogue.template_of(layout) if layout else None

    return lookup


def to_frame(dataset: Dataset):
    """The dataset as a pandas DataFrame (values typed, nothing neutralised)."""
    import pandas as pd  # lazy: a heavy dependency, loaded only where used


    columns = header(dataset.value_ids, dataset.status_ids, dataset.text_ids)
    comment_columns = {f"{qid}_{part}": (qid, part) for qid in dataset.text_ids for part in COMMENT_COLUMNS}
    rows = []
    for record in dataset.records:
        row = {}
        for column in columns:
            if column in comment_columns:
                qid, part = comment_columns[column]
                value = record["comments"][qid][part]
            elif column.endswith("_status") and column[:-len("_status")] in record["status"]:
                value = record["status"][column[:-len("_status")]]
            elif column in record["answers"] and column not in record:
                value = record["answers"][column]
            else:
                value = record.get(column)
            if isinstance(value, list):
                value = cell_text(value)
            row[column] = value
        rows.append(row)
    frame = pd.DataFrame(rows, columns=columns)
    frame["version"] = frame["version"].astype("Int64")
    frame["source_row"] = frame["source_row"].astype("Int64")
    frame["to_review"] = frame["to_review"].astype("Int64")
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True).dt.tz_convert(VN_TZ)
    return frame


def load(db_url: str | None = None, templates: str | Path = "form_templates"):
    """The merged dataset of the database at ``db_url`` as a pandas DataFrame.

    ``templates`` is the folder of form templates (question order and types).
    """
    with open_store(db_url) as store:
        return to_frame(collect(store, catalogue_lookup(templates)))
