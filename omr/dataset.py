"""The merged dataset: paper and online responses in one schema.

``omr export`` writes it and analysts load it::

    import omr.dataset
    df = omr.dataset.load("outputs/omr.sqlite")      # or a postgresql:// URL
    df[df.channel == "online"].groupby("unit_today").H1.value_counts()

One row per response, columns as in :mod:`omr.export` (``channel`` paper or
online, ``source``, the unit as recorded, on its date and today, dates,
where the response came from, flags, review state), then one column per
question holding option codes (multiple choice joined with ``;``), then
``<question>_status``. Units are resolved against the registry when the
dataset is built, so importing a newer registry updates every row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .completeness import REJECTED
from .template import Template

TemplateLookup = Callable[[str, int], "Template | None"]


@dataclass
class Dataset:
    records: list[dict]  # plain records, see omr.export.build_record
    value_ids: list[str]  # question columns
    status_ids: list[str]  # <question>_status columns
    templates: list[Template]  # the templates of the responses, for the codebook
    text_ids: list[str]  # free-text questions: <question>_text_source, _crop, _flags columns

    def header(self) -> list[str]:
        from .export import header

        return header(self.value_ids, self.status_ids, self.text_ids)


def collect(store, template_lookup: TemplateLookup, today: date | None = None) -> Dataset:
    """Every response of ``store`` as records of the merged schema."""
    from .export import build_record, question_columns
    from .units import load_registry

    # A sheet a person decided not to keep (a serial conflict) is in no dataset.
    items = [r for r in store.responses() if REJECTED not in r["flags"]]
    templates: dict[tuple[str, int], Template | None] = {}
    for response in items:
        key = (response["form_id"], response["version"])
        if key not in templates:
            templates[key] = template_lookup(*key)
    answered = {qid for r in items if templates[(r["form_id"], r["version"])] is None for qid in r["answers"]}
    known = [templates[k] for k in sorted(templates)]
    value_ids, status_ids, text_ids = question_columns(known, answered)
    registry = load_registry(store)
    records = [build_record(r, templates[(r["form_id"], r["version"])], value_ids, status_ids, registry, today,
                            text_ids) for r in items]
    return Dataset(records, value_ids, status_ids, [t for t in known if t is not None], text_ids)


def catalogue_lookup(templates: str | Path = "form_templates") -> TemplateLookup:
    """Templates by (form, version) from a templates folder, frozen layouts included."""
    from .scan import Catalogue

    catalogue = Catalogue.from_folder(templates)

    def lookup(form_id: str, version: int) -> Template | None:
        layout = catalogue.layouts.get((form_id, version))
        return catalogue.template_of(layout) if layout else None

    return lookup


def to_frame(dataset: Dataset):
    """The dataset as a pandas DataFrame (values typed, nothing neutralised)."""
    import pandas as pd

    from .export import COMMENT_COLUMNS, cell_text, header
    from .online import VN_TZ

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
    from .store import open_store

    with open_store(db_url) as store:
        return to_frame(collect(store, catalogue_lookup(templates)))
