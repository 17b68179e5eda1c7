"""Cells of every XLSX omr writes (the export and report.xlsx): text stays the respondent's text, dates are dates.

A CSV has no cell types, so text that starts like a formula gets a leading ``'`` there
(omr.text.cells.neutralise, OWASP "CSV Injection"). An XLSX cell has a type: a cell of type
string (``t="inlineStr"``/``"s"``) is shown as text by Excel and LibreOffice and never run,
whatever it starts with, so the text is written exactly as the respondent wrote it ("=HYPERLINK(…)"
stays that, without an apostrophe that Excel would show as part of the text). openpyxl makes any
str starting with "=" a formula; :func:`as_text` turns such a cell back into a string cell.

A day ("05/11/2025" or "2025-11-05") in a date column is written as a real date with the
format ``dd/mm/yyyy`` (:data:`DAY_FORMAT`), so a spreadsheet sorts and filters it as a date; a moment
("11/06/2025 09:34:00" or ISO 8601 with its offset) in a timestamp column as a real date and time with the
format ``dd/mm/yyyy hh:mm:ss`` (:data:`MOMENT_FORMAT`), at the clock time written (Vietnam time: an XLSX
cell has no time zone).
"""

from __future__ import annotations

import re
from datetime import date, datetime

# Excel's number format for a day as Vietnamese readers write it (05/11/2025).
DAY_FORMAT = "dd/mm/yyyy"
_VN_DAY = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# Excel's number format for a moment as Vietnamese readers write it (11/06/2025 09:34:00).
MOMENT_FORMAT = "dd/mm/yyyy hh:mm:ss"
_VN_MOMENT = re.compile(r"(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2}):(\d{2})")
_ISO_MOMENT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")


def as_text(cell):
    """``cell`` (an openpyxl cell) with a str value kept a string cell, never a formula; returns it."""
    if isinstance(cell.value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell


def day_value(text: object) -> date | None:
    """The day a cell's text names, exactly "dd/mm/yyyy" or "yyyy-mm-dd" (a real calendar day), else None."""
    if not isinstance(text, str):
        return None
    vn, iso = _VN_DAY.fullmatch(text), _ISO_DAY.fullmatch(text)
    try:
        if vn:
            return date(int(vn[3]), int(vn[2]), int(vn[1]))
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
    except ValueError:
        return None
    return None


def moment_value(text: object) -> datetime | None:
    """The moment a cell's text names, exactly "dd/mm/yyyy hh:mm:ss" or ISO 8601 "yyyy-mm-ddThh:mm:ss" (with
    or without fractions of a second and an offset), as a naive datetime at the clock time written (the
    offset dropped: the export's moments are all Vietnam time); None for other text or an impossible moment."""
    if not isinstance(text, str):
        return None
    vn, iso = _VN_MOMENT.fullmatch(text), _ISO_MOMENT.fullmatch(text)
    try:
        if vn:
            return datetime(int(vn[3]), int(vn[2]), int(vn[1]), int(vn[4]), int(vn[5]), int(vn[6]))
        if iso:
            return datetime(*(int(iso[i]) for i in range(1, 7)))
    except ValueError:
        return None
    return None
