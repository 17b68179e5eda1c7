"""Vietnamese text in the pre-Unicode encodings TCVN3 (ABC) and VNI, to Unicode.

Old spreadsheets typed with the .VnTime (TCVN3) or VNI-Times fonts store
Vietnamese as Latin-1 look-alikes: "Hµ Néi" (TCVN3) or "Haø Noäi" (VNI) for
"Hà Nội". Read as cp1252, such a cell is plain Latin-1 text. We convert a cell
only when the converted words are Vietnamese syllables: French or German
words with accents (café, Müller) stay as they are.

TCVN3 maps one byte to one precomposed lower-case letter (capitals with tone
marks came from a separate font, so they convert to lower case). VNI writes a
base letter followed by a mark character; both tables are below.
"""

from __future__ import annotations

import re

from omr.text.normalise import is_vietnamese_syllable, nfc

# TCVN 5712:1993 (VN3, "ABC"): byte -> letter.
_TCVN3_BYTES = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}
# As characters of text that was read as cp1252 (or Latin-1: the same above 0x9F).
TCVN3 = {bytes([b]).decode("latin-1"): ch for b, ch in _TCVN3_BYTES.items()}

# VNI-Win: marks that follow a base vowel, as cp1252 characters (lower, upper).
_VNI_MARKS = {
    "acute": ("ù", "Ù"), "grave": ("ø", "Ø"), "hook": ("û", "Û"), "tilde": ("õ", "Õ"), "dot": ("ï", "Ï"),
}
_VNI_HAT = {  # circumflex (â ê ô) then a tone: one character each
    "": ("â", "Â"), "acute": ("á", "Á"), "grave": ("à", "À"), "hook": ("å", "Å"),
    "tilde": ("ã", "Ã"), "dot": ("ä", "Ä"),
}
_VNI_BREVE = {  # ă then a tone
    "": ("ê", "Ê"), "acute": ("é", "É"), "grave": ("è", "È"), "hook": ("ú", "Ú"),
    "tilde": ("ü", "Ü"), "dot": ("ë", "Ë"),
}
_TONE_COMBINING = {"": "", "acute": "\u0301", "grave": "\u0300", "hook": "\u0309", "tilde": "\u0303",
                   "dot": "\u0323"}


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}

    def put(seq_lower: str, seq_upper: str, letter: str) -> None:
        table[seq_lower] = nfc(letter)
        table[seq_upper] = nfc(letter).upper()

    for vowel in "aeiouy":
        for tone, (low, up) in _VNI_MARKS.items():
            put(vowel + low, vowel.upper() + up, vowel + _TONE_COMBINING[tone])
    for vowel in "aeo":
        for tone, (low, up) in _VNI_HAT.items():
            put(vowel + low, vowel.upper() + up, vowel + "\u0302" + _TONE_COMBINING[tone])
    for tone, (low, up) in _VNI_BREVE.items():
        put("a" + low, "A" + up, "a\u0306" + _TONE_COMBINING[tone])
    # ơ and ư are one character each ("ô", "ö"), followed by an optional tone.
    for base, (low, up) in (("o\u031b", ("ô", "Ô")), ("u\u031b", ("ö", "Ö"))):
        put(low, up, base)
        for tone, (tlow, tup) in _VNI_MARKS.items():
            put(low + tlow, up + tup, base + _TONE_COMBINING[tone])
    # i has single-character forms; ỵ and đ too.
    for low, up, letter in (("í", "Í", "í"), ("ì", "Ì", "ì"), ("æ", "Æ", "ỉ"), ("ó", "Ó", "ĩ"),
                            ("ò", "Ò", "ị"), ("î", "Î", "ỵ"), ("ñ", "Ñ", "đ")):
        table[low] = letter
        table[up] = letter.upper()
    return table


VNI = _vni_table()
_VNI_LONGEST = max(len(k) for k in VNI)

_WORD = re.compile(r"\w+", re.UNICODE)


def tcvn3_to_unicode(text: str) -> str:
    return nfc("".join(TCVN3.get(ch, ch) for ch in text))


def vni_to_unicode(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        for size in range(_VNI_LONGEST, 0, -1):
            piece = text[i:i + size]
            if piece in VNI:
                out.append(VNI[piece])
                i += size
                break
        else:
            out.append(text[i])
            i += 1
    return nfc("".join(out))


def _changed_words(original: str, converted: str) -> list[str]:
    before = _WORD.findall(original)
    after = _WORD.findall(converted)
    if len(before) != len(after):
        # A mark character inside a word made the tokeniser split it: compare changed words only.
        return [w for w in after if w not in before]
    return [a for b, a in zip(before, after) if a != b]


def _vietnamese_score(original: str, converted: str) -> int:
    """How many changed words are syllables; -1 when any changed word is not one."""
    changed = [w for w in _changed_words(original, converted) if not w.isdigit()]
    if not changed or not all(is_vietnamese_syllable(w) for w in changed):
        return -1
    return len(changed)


def _is_latin1(text: str) -> bool:
    return all(ord(ch) < 0x100 for ch in text)


def detect_legacy(text: str) -> str | None:
    """'tcvn3', 'vni' or None: which legacy encoding ``text`` (read as cp1252) is in.

    Only text made of Latin-1 characters with some above 0x9F can be legacy;
    the conversion must turn every changed word into a Vietnamese syllable.
    """
    if not text or not _is_latin1(text) or all(ord(ch) < 0xA0 for ch in text):
        return None
    scores = {"tcvn3": _vietnamese_score(text, tcvn3_to_unicode(text)),
              "vni": _vietnamese_score(text, vni_to_unicode(text))}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else None


# Latin-1 letters that are also Vietnamese letters in Unicode text ("Hòa An", "Có").
VIETNAMESE_LATIN1 = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")


# Latin-1 characters that stand for a letter or mark in TCVN3 or VNI and are no Vietnamese letter in Unicode
# (µ, «, ö ...). A no-break space (U+00A0, pasted from the web) or a symbol such as °, ± or ² is in neither
# table (× is: a TCVN3 letter): a Unicode cell holding one is no legacy text ("Có\u00a0" was taken as TCVN3
# and became "Cú").
LEGACY_MARKERS = frozenset(ch for ch in set(TCVN3) | {c for seq in VNI for c in seq}
                           if ord(ch) >= 0xA0 and ch not in VIETNAMESE_LATIN1)


# «…» around words: Vietnamese quotation marks, not TCVN3's ô and ằ, which sit inside words ("Kh«ng", "b»ng"):
# « not after a letter and before one, » after a mark-free stretch and not before a letter.
_QUOTED = re.compile(r"(?<![^\W\d_])«(?=[^\W\d_])([^«»]*?[^\s«»])»(?![^\W\d_])")


def has_legacy_marker(text: str) -> bool:
    """A Latin-1 character that no Unicode Vietnamese word has but TCVN3 or VNI text does (µ, «, ö ...);
    « and » quoting words («Có») are quotation marks, no marker."""
    return _is_latin1(text) and any(ch in LEGACY_MARKERS for ch in _QUOTED.sub(r" \1 ", text))


def has_unicode_vietnamese(text: str) -> bool:
    """A Vietnamese letter outside Latin-1 (ă, đ, ơ, ư, ạ ...): the text is Unicode already."""
    return any(0x100 <= ord(ch) <= 0x1B0 or 0x1EA0 <= ord(ch) <= 0x1EF9 for ch in text)


def convert_column(values: list, assume_legacy: bool = False) -> tuple[list, dict[str, int]]:
    """Convert the legacy-encoded text cells of one column; (values, {encoding: cells converted}).

    A cell converts when it has a legacy marker and converts into
    Vietnamese syllables. When the column has such cells and no Unicode
    Vietnamese at all (or ``assume_legacy``: the file itself was not
    Unicode), every cell that converts into syllables is converted, so
    "Cã" (TCVN3 for "Có") goes with "Kh«ng" in the same column.
    """
    texts = [v for v in values if isinstance(v, str)]
    marked = [t for t in texts if has_legacy_marker(t) and detect_legacy(t)]
    whole = assume_legacy or (bool(marked) and not any(has_unicode_vietnamese(t) for t in texts))
    counts: dict[str, int] = {}
    out = []
    for value in values:
        if isinstance(value, str) and (whole or has_legacy_marker(value)):
            converted, kind = to_unicode(value)
            if kind:
                counts[kind] = counts.get(kind, 0) + 1
            out.append(converted)
        else:
            out.append(nfc(value) if isinstance(value, str) else value)
    return out, counts


def to_unicode(text: str) -> tuple[str, str | None]:
    """(NFC text, the legacy encoding it was converted from or None)."""
    kind = detect_legacy(text)
    if kind == "tcvn3":
        return tcvn3_to_unicode(text), kind
    if kind == "vni":
        return vni_to_unicode(text), kind
    return nfc(text), None
