"""Spreadsheet cells that stay text: formula injection neutralised.

A spreadsheet (Excel, LibreOffice, Google Sheets) runs a cell that starts with
``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) as a formula
(OWASP, "CSV Injection"), so such text gets a leading ``'``.
"""

from __future__ import annotations

import unicodedata

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula (OWASP CSV injection).

    The first character is compared after NFKC folding as well, so the
    full-width and small forms (＝＋－＠, ﹦﹢﹣﹫), which East Asian input methods
    type and spreadsheets may fold to ASCII, are caught too; so is the minus sign U+2212.
    """
    if not text:
        return text
    first = text[0]
    if text.startswith(FORMULA_STARTS) or first == "\u2212" or unicodedata.normalize("NFKC", first) in FORMULA_STARTS:
        return "'" + text
    return text
