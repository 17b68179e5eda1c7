"""Mask personal numbers in text that leaves the database (Decree 13/2023/NĐ-CP).

Comments carry phone numbers ("gọi tôi 0912 345 678") and ID numbers (the
old 9-digit CMND, the 12-digit CCCD). Exports and reports show the comment
with such numbers replaced by a label; the database keeps the text as written,
for the people entitled to see it.

Masking errs towards masking: a 9- or 12-digit run that is not an ID is still
hidden. Money written with thousands dots ("150.000.000 đồng") is not an ID:
ID numbers are written without dots, phone numbers with or without. An amount in
thousands groups followed by its unit ("84.900.000.000 đồng") is money even when its
digits could be a phone number with the country code.
Numbers glued to letters (dossier codes such as "H20-251014-0001") are left.
A grouped number of 9 digits starting with 0 is a phone number a handwriting
draft dropped a digit of, and is masked too.

Handwriting drafts also read digits as look-alike letters ("O9l2 345 678",
"0912 3A5 67B"). Inside a digit-dense run (mostly real digits, see
:data:`~omr.tuning.PRIVACY_RUN_MIN_DIGITS`) a same-length copy of the text reads
the look-alikes as digits; numbers found in that copy are masked in the text
as written. Words ("Số 10 Bis", "Ông Bảo", "lô B12") never form such a run.

The reader also makes up one character inside a number ("0912 345 6x8", "09123456?8"): inside a run of
at least :data:`~omr.tuning.PRIVACY_JUNK_RUN_MIN_DIGITS` real digits, one character that is neither a
digit, a look-alike nor a separator stands for a digit ("ISO 9001:2015", 8 digits, stays). An area code
in brackets ("(091) 234-5678", "(0277) 3851 234") is part of the phone number, and a run of digits
grouped by spaces longer than a CCCD (:data:`~omr.tuning.PRIVACY_LONG_RUN_MIN_DIGITS`: a bank account,
"1903 5678 9012 34") is masked whole.
"""

from __future__ import annotations

import re

from omr import tuning as T

PHONE_LABEL = "[SĐT đã ẩn]"
ID_LABEL = "[số giấy tờ đã ẩn]"
# Shown in reports and exports for the reform office in place of a handwriting crop whose comment had a
# number masked: the picture would show the number the text hides (the lead's decision; the review app,
# for logged-in reviewers, still shows it).
CROP_WITHHELD_NOTE = "Ảnh bị ẩn vì có số điện thoại hoặc số định danh"

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
# A number ends before a letter, digit or dash, and before a dot only when the dot ends a sentence
# («CMND 341234567.», «…», "..."): a dot then a digit or letter goes on a number ("341234567.5").
_END = r"(?![\w\-])(?!\.+[\w\-])"
_ID = re.compile(r"(?<![\w.\-])\d(?: ?\d){8}(?:(?: ?\d){3})?" + _END)
# A phone number with its area code in brackets: "(091) 234-5678", "(0277) 3851 234" (10 or 11 digits).
_PHONE_BRACKETED = re.compile(r"(?<![\w.])\(0\d{1,3}\)[ .\-]?(?:\d" + _SEP + r"){5,8}\d(?!\d)")
# Digits grouped by single spaces, longer than a CCCD ("1903 5678 9012 34"): masked whole, not cut after
# its first 12 digits by the ID pattern.
_LONG = re.compile(r"(?<![\w.\-])\d(?: ?\d){%d,}" % (T.PRIVACY_LONG_RUN_MIN_DIGITS - 1) + _END)


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


# Letters (and a bar) handwriting OCR reads for digits: O/o/D for 0, l/I/i/| for 1, Z/z for 2, A for 4
# ("3A5"), S/s for 5, b/G for 6 ("345 G78": a 6 whose loop is left open), T for 7, B for 8, g/q for 9 (the shapes a hand-written digit shares with them).
_LOOKALIKES = {"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "i": "1", "|": "1", "Z": "2", "z": "2",
               "A": "4", "S": "5", "s": "5", "b": "6", "G": "6", "T": "7", "B": "8", "g": "9", "q": "9"}
_AS_DIGITS = str.maketrans(_LOOKALIKES)
_TOKEN = r"[\d" + re.escape("".join(_LOOKALIKES)) + r"]+"
# A run: tokens of digits and look-alikes joined by single separators, not glued to other letters nor to a
# slash (dates "01/01/1990", fractions "9.5/10").
_RUN = re.compile(r"(?<![\w|/])" + _TOKEN + r"(?:[ .\-]" + _TOKEN + r")*(?![\w|/])")
# A date written with dots or dashes, day first ("01-01-1990", "1.3.26"): never part of a phone number (a
# phone is never grouped day-month-year), though its digits and the number after it look like one
# ("ngày 01-01-1990 100 đồng").
_DATE = re.compile(r"(?<![\w.\-])(?:0?[1-9]|[12]\d|3[01])([.\-])(?:0?[1-9]|1[0-2])\1(?:19|20)?\d\d(?![\w.\-])")
# Money in thousands groups led by three digits ("840.000.000.000 đồng"): never a phone number, though
# "84" starts one ("84.912.345.678", its first group two digits, stays a phone number).
# "84.100.000.000" neither: after the country code a Vietnamese number goes on with 2, 3, 5, 7, 8 or 9
# (landlines 02x, mobiles 03-09 but 04 and 06), never 0, 1, 4 or 6.
_MONEY = re.compile(r"[1-9]\d\d(?:\.\d{3})+|84\.[0146]\d\d(?:\.\d{3})+")
# An amount in thousands groups followed by its unit ("84.900.000.000 đồng"): money, whatever its digits;
# hidden like a date before numbers are searched.
_AMOUNT = re.compile(r"(?<![\w.\-])\d{1,3}(?:\.\d{3})+(?= ?(?:đồng|đ|vnđ|vnd)(?!\w))", re.IGNORECASE)
_HIDDEN = "#"  # stands for a masked number in the text still searched: neither a word, digit nor separator
# A phone label a draft glued to its number, the space between lost ("SĐT0936.000.285", "số0925000528"):
# the label is set apart so the number is found (a number glued to other letters stays a code).
_GLUED_LABEL = re.compile(r"(?<!\w)(?:s[đd]t|đt|dđ|tel|zalo|số)(?=[\dOoD])", re.IGNORECASE)


def _digit_dense(text: str) -> bool:
    """Whether ``text`` (a run, separators included) holds enough real digits to be a number
    with look-alike letters among its digits (:data:`~omr.tuning.PRIVACY_RUN_MIN_DIGITS`, share)."""
    digits = _digit_count(text)
    symbols = digits + sum(ch in _LOOKALIKES for ch in text)
    return digits >= T.PRIVACY_RUN_MIN_DIGITS and digits >= T.PRIVACY_RUN_MIN_DIGIT_SHARE * symbols


# "Do", "Bis", "So": a capitalised word, with a vowel after its capital; "Ozq" is digits read as letters.
_TITLE_WORD = re.compile(r"[A-Z][a-z]*[aeiouy][a-z]*")


def _edge_token_is_digits(token: str, leading: bool) -> bool:
    """Whether a token of look-alike letters only, at one end of a run, is part of the number.

    At the start only as the first group of a phone number, 3 or 4 symbols from its leading 0
    ("OSO 000 0000"; "SBD 123456", "DO 1.000.000", "Bis": labels and words); at the end unless it is a
    capitalised word ("0912 345 678 Do"): a lower-case group such as "ooo" or "lzs" is digits all misread.
    """
    if _TITLE_WORD.fullmatch(token):
        return False
    return not leading or (_LOOKALIKES[token[0]] == "0" and len(token) in (3, 4))


def _read_as_digits(text: str) -> str:
    """``text`` of the same length with the look-alike letters of its digit-dense runs read as digits.

    Groups of look-alike letters at either end of a run are left out of it unless they read as digits
    (:func:`_edge_token_is_digits`: "0912 345 678 Do", "Số 10 Bis" stay words); between two groups
    holding digits such a group is digits all misread ("000 Ioo 000").
    """
    chars = list(text)
    for run in _RUN.finditer(text):
        span = _number_part(text, _run_tokens(run))
        if span is not None:
            chars[span[0]:span[1]] = text[span[0]:span[1]].translate(_AS_DIGITS)
    return "".join(chars)


def _run_tokens(run: re.Match) -> list[tuple[int, int]]:
    """(start, end) in the searched text of the tokens of a :data:`_RUN` match (its separators left out)."""
    return [(m.start() + run.start(), m.end() + run.start()) for m in re.finditer(r"[^ .\-]+", run.group())]


def _number_part(text: str, tokens: list[tuple[int, int]]) -> tuple[int, int] | None:
    """(start, end) in ``text`` of the digit-dense part of a run's ``tokens`` (start, end), or None."""
    keep = [i for i, (s, e) in enumerate(tokens) if _digit_count(text[s:e])]
    if not keep:
        return None
    first, last = keep[0], keep[-1]
    while first > 0 and _edge_token_is_digits(text[slice(*tokens[first - 1])], leading=True):
        first -= 1
    while last < len(tokens) - 1 and _edge_token_is_digits(text[slice(*tokens[last + 1])], leading=False):
        last += 1
    start, end = tokens[first][0], tokens[last][1]
    return (start, end) if _digit_dense(text[start:end]) else None


_PUNCTUATION = set(",;:!?)")  # followed by a space, ends a number rather than standing in it
_FILLER = "0"  # the digit a made-up character stands for in the copy searched (any digit would do)


def _phone_then_more(run: str) -> bool:
    """Whether a long run of digits (:data:`_LONG`) is a phone number and a group after it ("0912 345 678
    100 đồng"): the phone number alone is masked, the group kept, as a bank account never splits so."""
    m = _PHONE.match(run)
    return bool(m) and _digit_count(m.group()) in (10, 11) and run[m.end():m.end() + 1] == " "


def _fill_junk(text: str, found: list[tuple[int, int, str]]) -> str:
    """``text`` of the same length with each character the reader made up inside a number read as a digit.

    A character that is neither a digit, a look-alike, a separator nor a space, between two digits
    or a digit and a separator (never beside a letter: "gọi 0912"; "6x8" is a digit), stands for a
    digit when, so read, it lies inside the number part of a run (:func:`_number_part`, not at its
    ends) holding at least :data:`~omr.tuning.PRIVACY_JUNK_RUN_MIN_DIGITS` digits and look-alikes and
    digit-dense without it (:func:`_digit_dense`): "0912 3A5 6x8", not "ISO 9001:2015" (8 digits). A
    run with two such characters never forms (the other one breaks it). Characters beside a number already ``found``
    (spans as :func:`_number_spans` gives them) or a date, and punctuation before a space, are
    punctuation ("0912345678, 0987654321", "ngày 01-01-1990, 1 đồng").
    """
    digits, symbol = set("0123456789"), set("0123456789") | set(_LOOKALIKES)
    taken = [(s, e) for s, e, _ in found] + [m.span() for m in _DATE.finditer(text)]
    chars = list(text)
    for i in range(1, len(text) - 1):
        ch, left, right = text[i], text[i - 1], text[i + 1]
        if ch in symbol or ch.isspace() or ch in ".-" or not (left in digits or right in digits):
            continue
        if not ({left, right} <= digits | set(" .-")) or any(s < i + 3 and i - 2 < e for s, e in taken):
            continue
        if ch in _PUNCTUATION and right == " ":  # "ngày 01-01-1990, 1 đồng": punctuation ends a number
            continue
        trial = text[:i] + _FILLER + text[i + 1:]
        # Only the runs near the character: a number is far shorter than the window either side.
        window = (max(0, i - T.PRIVACY_JUNK_WINDOW_CHARS), min(len(text), i + T.PRIVACY_JUNK_WINDOW_CHARS))
        for run in _RUN.finditer(trial, *window):
            if run.start() < i < run.end() - 1:
                span = _number_part(trial, _run_tokens(run))
                if span is not None and span[0] < i < span[1] - 1:
                    part = text[span[0]:span[1]]
                    read = _digit_count(part) + sum(c in _LOOKALIKES for c in part)
                    if read >= T.PRIVACY_JUNK_RUN_MIN_DIGITS and _digit_dense(part):
                        chars[i] = _FILLER
                break
    return "".join(chars)


def _number_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of the phone and ID numbers of ``text``: phone numbers first, then IDs,
    then phone numbers one digit short, each pass blind to what an earlier one masked and to dates."""
    spans: list[tuple[int, int, str]] = []
    text = _DATE.sub(lambda m: _HIDDEN * len(m.group()), text)
    text = _AMOUNT.sub(lambda m: _HIDDEN * len(m.group()), text)
    passes = ((_LONG, ID_LABEL, lambda s: not _phone_then_more(s)),
              (_PHONE, PHONE_LABEL, lambda s: _digit_count(s) in (10, 11, 12) and not _MONEY.fullmatch(s)),
              (_PHONE_BRACKETED, PHONE_LABEL, lambda s: _digit_count(s) in (10, 11)),
              (_ID, ID_LABEL, lambda s: _digit_count(s) in (9, 12)),
              (_PHONE_SHORT, PHONE_LABEL, lambda s: not s.isdigit()))
    for pattern, label, accept in passes:
        found = [(m.start(), m.end(), label) for m in pattern.finditer(text) if accept(m.group())]
        for start, end, _ in found:
            text = text[:start] + _HIDDEN * (end - start) + text[end:]
        spans += found
    return spans


def mask_personal_numbers(text: str | None) -> str | None:
    """``text`` with phone and ID numbers replaced by labels.

    Numbers whose digits a handwriting draft read as look-alike letters are masked too
    (the letters inside digit-dense runs are read as digits to find them), numbers with one
    character the draft made up ("0912 345 6x8"), and numbers a draft glued to their label
    ("SĐT0936.000.285"). ``None`` and ``""`` come back as given.

    >>> mask_personal_numbers("Gọi 0912 345 678 hoặc +84 912.345.678")
    'Gọi [SĐT đã ẩn] hoặc [SĐT đã ẩn]'
    >>> mask_personal_numbers("CCCD 079123456789, nộp 150.000.000 đồng")
    'CCCD [số giấy tờ đã ẩn], nộp 150.000.000 đồng'
    >>> mask_personal_numbers("sđt O9l2.345.678, số 10 Bis")
    'sđt [SĐT đã ẩn], số 10 Bis'
    >>> mask_personal_numbers("gọi (091) 234-5678 hoặc 09123456?8, ISO 9001:2015")
    'gọi [SĐT đã ẩn] hoặc [SĐT đã ẩn], ISO 9001:2015'
    """
    if not text:
        return text
    spans = _number_spans(text)
    unglued = _GLUED_LABEL.sub(lambda m: _HIDDEN * len(m.group()), text)
    as_digits = _read_as_digits(_fill_junk(unglued, spans))
    if as_digits != text:
        spans += [(s, e, label) for s, e, label in _number_spans(as_digits) if _digit_dense(text[s:e])]
    if not spans:
        return text
    merged: list[list] = []  # [start, end, label, length of the longest span merged]
    for start, end, label in sorted(spans):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            if end - start > last[3]:
                last[2], last[3] = label, end - start
            last[1] = max(last[1], end)
        else:
            merged.append([start, end, label, end - start])
    out, at = [], 0
    for start, end, label, _ in merged:
        out += [text[at:start], label]
        at = end
    return "".join(out + [text[at:]])


def holds_personal_number(*texts: str | None) -> bool:
    """Whether any of ``texts`` (a comment's draft and reviewed text; None for one not there) has a phone
    or ID number that :func:`mask_personal_numbers` masks: the comment's handwriting crop then shows it,
    and is withheld from reports and exports (:data:`CROP_WITHHELD_NOTE`).

    >>> holds_personal_number("Cán bộ tốt", "gọi 0912 345 678")
    True
    >>> holds_personal_number(None, "nộp 150.000.000 đồng")
    False
    """
    return any(text and mask_personal_numbers(text) != text for text in texts)
