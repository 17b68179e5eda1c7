"""Vietnamese text normalisation shared by every stage that compares text.

Handwriting OCR and people typing on phones drop diacritics, Excel and old
files mix composed and decomposed Unicode, and headers come in any case. To
compare such text we *fold* it: NFC, lower case, diacritics removed (``đ`` to
``d``), runs of whitespace and punctuation to one space. Folding keeps one
character per input character where it can, so a span found in folded text
points at the same span of the NFC original (see :func:`fold_with_map`).
"""

from __future__ import annotations

import re
import unicodedata

_WORD_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)

# One Vietnamese syllable, folded (no diacritics, lower case).
_ONSET = r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
# Nuclei ending in a glide take no final consonant (ai, ao, oi, ieu ...); the others may.
_OPEN_NUCLEI = r"(uoi|uou|ieu|yeu|oai|oay|oeo|uay|uya|ai|ao|au|ay|eo|eu|ia|iu|oi|ua|ui|uu|ya)"
_CLOSED_NUCLEI = r"(oo(ng|c)|(uye|ie|ye|uo|oa|oe|ue|uy|[aeiouy])(ch|ng|nh|[cmnpt])?)"
_SYLLABLE = re.compile(rf"^{_ONSET}({_OPEN_NUCLEI}|{_CLOSED_NUCLEI})$")
_TONE_MARKS = set("\u0300\u0301\u0303\u0309\u0323")


def nfc(text: str) -> str:
    """Unicode NFC: how text is stored everywhere in omr."""
    return unicodedata.normalize("NFC", text)


# Unicode categories never kept in text a person typed: control characters (a terminal's escape
# sequences, a bell), format characters (bidi overrides such as U+202E that reverse what is shown,
# zero-width characters), private-use and lone surrogates.
UNPRINTED_CATEGORIES = ("Cc", "Cf", "Co", "Cs")


def printed_text(text: str, keep_newlines: bool = False) -> str:
    r"""``text`` (NFC) without the characters of ``UNPRINTED_CATEGORIES``; with ``keep_newlines`` its
    line breaks (CR LF, CR) kept as "\n" and tabs as spaces, for text of several lines (a comment).

    >>> printed_text("Cán bộ\u202e tốt\x1b[31m\x07"), printed_text("a\r\nb\tc", keep_newlines=True)
    ('Cán bộ tốt[31m', 'a\nb c')
    """
    text = nfc(text)
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(ch for ch in text if (keep_newlines and ch == "\n")
                   or unicodedata.category(ch) not in UNPRINTED_CATEGORIES)


def strip_diacritics(text: str) -> str:
    """``"Nhũng nhiễu, Đà"`` -> ``"Nhung nhieu, Da"``; one character per character of NFC input."""
    out = []
    for ch in nfc(text):
        if ch in "đĐ":
            out.append("d" if ch == "đ" else "D")
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        out.append(base)
    return "".join(out)


def fold(text: str) -> str:
    """Text for comparison: no diacritics, lower case, words separated by one space.

    >>> fold("  Không  NHŨNG-nhiễu! ")
    'khong nhung nhieu'
    """
    return _WORD_SEPARATORS.sub(" ", strip_diacritics(text).lower()).strip()


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Folded text and, for each of its characters, its index in ``nfc(text)``.

    Used to report a match found in folded text as a span of the original.
    """
    source = nfc(text)
    stripped = strip_diacritics(source).lower()
    folded: list[str] = []
    index: list[int] = []
    pending_space = False
    for i, ch in enumerate(stripped):
        if ch.isalnum():
            if pending_space and folded:
                folded.append(" ")
                index.append(i - 1)
            folded.append(ch)
            index.append(i)
            pending_space = False
        else:
            pending_space = True
    return "".join(folded), index


def is_vietnamese_syllable(word: str) -> bool:
    """Whether ``word`` can be one written Vietnamese syllable (at most one tone mark).

    >>> is_vietnamese_syllable("nhiễu"), is_vietnamese_syllable("nhieu"), is_vietnamese_syllable("cqu")
    (True, True, False)
    """
    tones = sum(1 for ch in unicodedata.normalize("NFD", word) if ch in _TONE_MARKS)
    return tones <= 1 and bool(_SYLLABLE.match(strip_diacritics(word).lower()))


# Quote marks a person may type around a value (ASCII, typographic, guillemets, CJK corner brackets).
_QUOTES = "\"'«»“”„‟‘’‚‛‹›「」『』"


def quoted(text: str | None) -> str:
    """``text`` as a message shows what a person typed: stripped, inside «…», its own enclosing quote
    marks dropped so the marks never nest («mai», not ««mai»» nor «"mai"»).

    >>> quoted(' "mai" ')
    '«mai»'
    >>> quoted("«15/9»")
    '«15/9»'
    """
    return f"«{(text or '').strip().strip(_QUOTES).strip()}»"

