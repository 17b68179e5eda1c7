"""Mask personal numbers in text that leaves the database (Decree 13/2023/NĐ-CP).

Comments carry phone numbers ("gọi tôi 0912 345 678") and ID numbers (the
old 9-digit CMND, the 12-digit CCCD). Exports and reports show the comment
with such numbers replaced by a label; the database keeps the text as written,
for the people entitled to see it.

Masking errs towards masking: a 9- or 12-digit run that is not an ID is still
hidden. Money written with thousands dots ("150.000.000 đồng") is not an ID:
ID numbers are written without dots, phone numbers with or without.
Numbers glued to letters (dossier codes such as "H20-251014-0001") are left.
A grouped number of 9 digits starting with 0 is a phone number a handwriting
draft dropped a digit of, and is masked too.
"""

from __future__ import annotations

import re

PHONE_LABEL = "[SĐT đã ẩn]"
ID_LABEL = "[số giấy tờ đã ẩn]"

# A digit, then digits with at most one space, dot or dash between them.
_SEP = r"[ .\-]?"
# Vietnamese mobiles and landlines: 0 + 9-10 digits, or +84 / 84 + 9-10 digits.
_PHONE = re.compile(r"(?<![\w.])(?:\(?\+?84\)?" + _SEP + r"|0)(?:\d" + _SEP + r"){8,9}\d(?![\d])")
# A phone number one digit short, as a handwriting draft drops one («0987.000.123» read «087.000.123»):
# 0 and 8 more digits, grouped by dots, spaces or dashes. Money never starts with 0; 9 digits not
# grouped are an old ID number (below).
_PHONE_SHORT = re.compile(r"(?<![\w.])0(?:\d" + _SEP + r"){7}\d(?![ .\-]?\d)(?!\w)")
# IDs: 9 (CMND) or 12 (CCCD) digits, possibly grouped by spaces; never dots or dashes,
# which belong to money ("150.000.000") and dossier codes ("H20-251014-0001").
_ID = re.compile(r"(?<![\w.\-])\d(?: ?\d){8}(?:(?: ?\d){3})?(?![\w.\-])")


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def mask_personal_numbers(text: str | None) -> str | None:
    """``text`` with phone and ID numbers replaced by labels.

    >>> mask_personal_numbers("Gọi 0912 345 678 hoặc +84 912.345.678")
    'Gọi [SĐT đã ẩn] hoặc [SĐT đã ẩn]'
    >>> mask_personal_numbers("CCCD 079123456789, nộp 150.000.000 đồng")
    'CCCD [số giấy tờ đã ẩn], nộp 150.000.000 đồng'
    """
    if not text:
        return text
    text = _PHONE.sub(lambda m: PHONE_LABEL if _digit_count(m.group()) in (10, 11, 12) else m.group(), text)
    text = _ID.sub(lambda m: ID_LABEL if _digit_count(m.group()) in (9, 12) else m.group(), text)
    return _PHONE_SHORT.sub(lambda m: PHONE_LABEL if not m.group().isdigit() else m.group(), text)
