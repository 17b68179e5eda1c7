"""Windows-1258: the code page a Vietnamese Windows writes "CSV (Comma delimited)" in.

Excel on a Vietnamese Windows saves a CSV in Windows-1258 (cp1258): the
letters of Latin-1 plus ă, â, đ, ê, ô, ơ, ư and their capitals, with the five
tone marks stored as *combining* characters after the vowel (bytes CC grave,
EC acute, D2 hook above, DE tilde, F2 dot below). Only some toned letters
(à, á, é, ...) have a byte of their own. Windows decomposes the others when it
saves, but a file saved without decomposition has each of those letters
replaced by ``?``: "Rất hài lòng" comes out "R?t hài lòng". Such a file is
*lossy*; its words are repaired against the words the import expects (the
template's questions and labels, the mapping's column headers, the unit
registry) when exactly one of them fits.

Sources: Microsoft's code page table for Windows-1258 (bestfit1258.txt, as
Python's ``cp1258`` codec); Unicode's NFC/NFD rules for combining marks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from omr import tuning as T
from omr.text.normalise import fold, is_vietnamese_syllable, nfc

# Bytes whose meaning differs between Windows-1252 and Windows-1258: the
# Vietnamese letters and the five combining tone marks. A file without any of
# them reads the same in both code pages.
WINDOWS_1258_ONLY = frozenset(b"\xc3\xcc\xd0\xd2\xd5\xdd\xde\xe3\xec\xf0\xf2\xf5\xfd\xfe")

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# A word where a lossy save put "?" for a letter: letters and "?" together.
_LOSSY_WORD = re.compile(r"(?<![\w?])[\w?]*[^\W\d_][\w?]*(?![\w?])", re.UNICODE)
def vietnamese_word_score(text: str) -> tuple[int, int]:
    """(words with a non-ASCII letter that are Vietnamese syllables, those that are not)."""
    good = bad = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        if is_vietnamese_syllable(word):
            good += 1
        else:
            bad += 1
    return good, bad




def decode_windows_1258(data: bytes) -> str | None:
    """``data`` read as Windows-1258 (NFC), or None when that is not its encoding.

    Taken only when the bytes particular to Windows-1258 occur, at least
    T.WINDOWS_1258_MIN_SYLLABLE_SHARE of the non-ASCII words then are Vietnamese syllables,
    and reading the same bytes as Windows-1252 gives fewer such syllables.
    A TCVN3 or VNI file (converted later, cell by cell) fails the first test.

    Real files are not always clean: a line that is valid UTF-8 (rows pasted
    in from another export) is read as UTF-8, and a few bytes Windows-1258
    leaves undefined (0x81, 0x8A, ..., a stray byte from a broken paste) are
    dropped, at most T.WINDOWS_1258_MAX_UNDEFINED_BYTES or T.WINDOWS_1258_MAX_UNDEFINED_SHARE of the
    file's non-ASCII bytes; more than that is not this code page.
    """
    if not any(byte in WINDOWS_1258_ONLY for byte in data):
        return None
    text, undefined = _decode_lines(data)
    high = sum(1 for byte in data if byte >= 0x80)
    if undefined > max(T.WINDOWS_1258_MAX_UNDEFINED_BYTES, T.WINDOWS_1258_MAX_UNDEFINED_SHARE * high):
        return None
    good, bad = vietnamese_word_score(text)
    if good == 0 or good < T.WINDOWS_1258_MIN_SYLLABLE_SHARE * (good + bad):
        return None
    other_good, _ = vietnamese_word_score(data.decode("cp1252", errors="replace"))
    return text if good > other_good else None


def _decode_lines(data: bytes) -> tuple[str, int]:
    """(text, bytes left undefined): UTF-8 lines as UTF-8, the others as Windows-1258."""
    parts, undefined = [], 0
    for line in data.splitlines(keepends=True):
        if any(byte >= 0x80 for byte in line):
            try:
                parts.append(line.decode("utf-8"))
                continue
            except UnicodeDecodeError:
                pass
        decoded = line.decode("cp1258", errors="replace")
        undefined += decoded.count("\ufffd")
        parts.append(decoded.replace("\ufffd", ""))
    return nfc("".join(parts)), undefined


def vocabulary(texts: Iterable[str]) -> dict[int, list[str]]:
    """The distinct words (NFC) of ``texts``, by length, to repair lossy words against."""
    words: dict[int, set[str]] = {}
    for text in texts:
        if not isinstance(text, str):
            continue
        for word in _WORD.findall(nfc(text)):
            words.setdefault(len(word), set()).add(word)
    return {n: sorted(ws) for n, ws in words.items()}


_PLACEHOLDER = "qqlosty"  # stands for a "?" while a text is folded; no Vietnamese word holds it


def phrase_pattern(text: str) -> re.Pattern | None:
    """A pattern matching the folded phrases ``text`` may have been before "?" replaced letters.

    Each "?" stood for one letter (one NFC character), which folds to one
    letter. None when ``text`` has no "?" inside a word.
    """
    if "?" not in text:
        return None
    folded = fold(text.replace("?", _PLACEHOLDER))
    if _PLACEHOLDER not in folded:
        return None
    return re.compile(".".join(re.escape(part) for part in folded.split(_PLACEHOLDER)))


def lossy_fold(text: str) -> str | None:
    """``text`` folded (:func:`omr.text.normalise.fold`) with "?" left for each letter a lossy save lost,
    or None when it has no "?" inside a word. Each lost letter folds to one letter, so the result lines
    up character by character with the folded original."""
    if "?" not in text:
        return None
    folded = fold(text.replace("?", _PLACEHOLDER))
    if _PLACEHOLDER not in folded:
        return None
    return folded.replace(_PLACEHOLDER, "?")


def lossy_fits(lossy: str, folded: str, *, prefix: bool = False) -> bool:
    """Whether folded text ``folded`` could be what a :func:`lossy_fold` text was (each "?" one letter);
    with ``prefix``, whether ``lossy`` starts with such a text."""
    if len(lossy) != len(folded) and not (prefix and len(lossy) >= len(folded)):
        return False
    return all(a == b or (a == "?" and b.isalnum()) for a, b in zip(lossy, folded))


def lossy_contains(lossy: str, folded: str) -> bool:
    """Whether one of a :func:`lossy_fold` text and a folded text holds the other (each "?" one letter)."""
    if len(folded) <= len(lossy):
        pattern = "".join(f"[{re.escape(ch)}?]" if ch.isalnum() else re.escape(ch) for ch in folded)
        return re.search(pattern, lossy) is not None
    pattern = "".join("[^\\W_]" if ch == "?" else re.escape(ch) for ch in lossy)
    return re.search(pattern, folded) is not None


def repair_phrase(text: str, phrases: dict[str, str]) -> str | None:
    """The one phrase (``phrases``: folded -> as written) a lossy ``text`` fits, or None."""
    for candidate in (text, text.rstrip().rstrip("?")):  # a last "?" may be the question's own
        pattern = phrase_pattern(candidate)
        if pattern is None:
            continue
        found = {phrases[key] for key in phrases if pattern.fullmatch(key)}
        if len(found) == 1:
            return found.pop()
    return None


def _lost_in_1258(letter: str) -> bool:
    """Whether a lossy Windows-1258 save turns ``letter`` (one NFC character) into "?": only letters
    the code page has no byte for (ấ, ậ, ỹ ...); â, á, ư ... it holds are written as they are."""
    try:
        letter.encode("cp1258")
    except UnicodeEncodeError:
        return True
    return False


def _fits(word: str, candidate: str) -> bool:
    """``word`` (with "?" for lost letters) could be ``candidate`` saved lossily: equal letters (case aside)
    where it has no "?", and at each "?" a letter Windows-1258 cannot hold ("c?n" fits "cận", never "cán",
    whose "á" would have been kept)."""
    return all(w.lower() == c.lower() if w != "?" else _lost_in_1258(c) for w, c in zip(word, candidate))


def repair_word(word: str, words: dict[int, list[str]]) -> str | None:
    """``word`` with each "?" replaced by the letter of the one vocabulary word it fits, else None.

    A word fits a candidate of the same length whose letters equal its own
    (case aside) wherever it has no "?". Two different candidates ("s?" fits
    "số" and "sở") leave it unrepaired.
    """
    found = {c.lower(): c for c in words.get(len(word), ()) if _fits(word, c)}
    if len(found) != 1:
        return None
    candidate = next(iter(found.values()))
    upper = [ch.isupper() for ch in word if ch != "?" and ch.isalpha()]
    all_upper = bool(upper) and all(upper) and len(upper) > 1
    out = []
    for i, (w, c) in enumerate(zip(word, candidate)):
        if w != "?":
            out.append(w)
        elif all_upper:
            out.append(c.upper())
        elif i == 0:
            out.append(c)
        else:
            out.append(c.lower())
    return "".join(out)


def repair_lossy_text(text: str, words: dict[int, list[str]],
                      phrases: dict[str, str] | None = None) -> tuple[str, int, int]:
    """(text with lossy words repaired, words repaired, words left with a "?" inside).

    The whole text is first matched against ``phrases`` (folded -> as
    written: headers, labels, unit names); failing one fit, word by word
    against ``words``. A "?" at the end of a word ("hài lòng?") is
    punctuation unless a vocabulary word fits; it is not counted as left.
    """
    whole = repair_phrase(text, phrases or {})
    if whole is not None:
        return whole, text.count("?"), 0
    repaired = left = 0

    def fix(match: re.Match) -> str:
        nonlocal repaired, left
        word = match.group(0)
        if "?" not in word:
            return word
        fixed = repair_word(word, words)
        if fixed is not None:
            repaired += 1
            return fixed
        if "?" in word.rstrip("?") or match.end() < len(text.rstrip()):
            left += 1  # a "?" inside a word, or ending one mid-sentence ("s? tiền"): a lost letter
        return word

    return _LOSSY_WORD.sub(fix, text), repaired, left

