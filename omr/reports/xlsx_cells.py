"""Cells of every XLSX omr writes (the export and report.xlsx): text stays the respondent's text, dates are dates.

A CSV has no cell types, so text that starts like a formula gets a leading ``'`` there
(omr.text.cells.neutralise, OWASP "CSV Injection"). An XLSX cell has a type: a cell of type
string (``t="inlineStr"``/``"s"``) is shown as text by Excel and LibreOffice and never run,
whatever it starts with, so the text is written exactly as the respondent wrote it ("=HYPERLINK(…)"
stays that, without an apostrophe that Excel would show as part of the text). openpyxl makes any
str starting with "=" a formula; :func:`as_text` turns such a cell back into a string cell.

A day ("05/11/2025" or "2025-11-05") in a date column is written as a real date with the
format ``dd/mm/yyyy`` (:data:`DAY_FORMAT`), so a spreadsheet sorts and filters it as a date.
"""

from __future__ import annotations

import re
from datetime import date

# Excel's number format for a day as Vietnamese readers write it (05/11/2025).
DAY_FORMAT = "dd/mm/yyyy"
_VN_DAY = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


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
