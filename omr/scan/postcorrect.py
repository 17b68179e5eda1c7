"""Vietnamese post-correction of a recognised line, using the recogniser's own alternatives.

A handwriting recogniser's first choice is often one letter off a real
word: a tone on the wrong vowel, "u" for "ư", a stray letter. The engine
usually had the right letter as its second or third choice
(:class:`omr.scan.recognise.CharRead`). So each word that is not a valid
Vietnamese syllable (:func:`omr.text.normalise.is_vietnamese_syllable`), or is
not a known domain word, is rebuilt from the alternatives of its least sure
letters, and the most probable spelling that *is* a syllable wins; a known
domain word (the negative-behaviour lexicon, service terms, unit names:
:data:`omr.text.lexicon.DOMAIN_WORDS`) gets a bonus of
:data:`~omr.tuning.SNAP_DOMAIN_BONUS`. Nothing is invented: only
spellings the recogniser offered are considered, and a word with no valid
spelling among them is left as read.

Each word keeps its next-best valid spelling: the lexicon is run on those
too, and a flag seen only there is shown as "có thể" (possible).

Numbers are never rebuilt: a word with a digit ("200.000", "200k", "1,5",
"0912", "12/3/2026") stays exactly as read, since a rival letter or a dropped
one would change an amount, a date or a phone number («200k» snapped to
«20»). It is marked for the reviewer to check (:attr:`CorrectedWord.number`),
and as *unsure* where the engine doubted a digit or a separator, saw one it
did not write, or read letters among the digits (:func:`number_unsure`).
Two fixes are made after the words, where they are safe:

- a money unit misread right after an amount («2000 ông», «200.000 dồng»,
  «200.000d») becomes «đồng» (or «đ», as written short), the amount itself
  untouched (:func:`fix_money_units`);
- a word pair one tone or hat away from a lexicon term («bỏi dưỡng») takes
  the term's spelling (:func:`fix_lexicon_terms`).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, replace

from omr import tuning as T
from omr.scan.recognise import CharRead, LineRead
from omr.text.lexicon import DOMAIN_WORDS, TERMS, Match, find_terms
from omr.text.normalise import is_vietnamese_syllable, nfc, strip_diacritics


@dataclass(frozen=True)
class CorrectedWord:
    """One word of a corrected line: its text, confidence 0..1, what was read, rival spellings."""

    text: str
    confidence: float
    read: str
    valid: bool  # a Vietnamese syllable, a number or a domain word
    alternatives: tuple[str, ...] = ()
    number: bool = False  # part of a number or an amount (its unit too): the reviewer checks it against the image
    unsure: bool = False  # a number the engine doubted, or a unit fixed by rule: never "likely correct"


@dataclass(frozen=True)
class CorrectedLine:
    text: str
    words: tuple[CorrectedWord, ...]

    @property
    def confidence(self) -> float | None:
        """Mean word confidence (0..1), a word that is still no valid spelling counting
        :data:`~omr.tuning.SNAP_INVALID_WORD_FACTOR` of its own; None for an empty line."""
        if not self.words:
            return None
        return float(sum(w.confidence * (1.0 if w.valid else T.SNAP_INVALID_WORD_FACTOR) for w in self.words)
                     / len(self.words))

    def alternative_texts(self) -> list[str]:
        """The line with one uncertain word at a time, and then all of them, in their next spelling."""
        swaps = [i for i, w in enumerate(self.words) if w.alternatives]
        texts = []
        for i in swaps[:T.SNAP_MAX_ALTERNATIVE_LINES]:
            texts.append(" ".join(w.alternatives[0] if j == i else w.text for j, w in enumerate(self.words)))
        if len(swaps) > 1:
            texts.append(" ".join(w.alternatives[0] if w.alternatives else w.text for w in self.words))
        return texts


def _domain_syllables() -> frozenset[str]:
    return frozenset(nfc(s).lower() for phrase in DOMAIN_WORDS for s in phrase.split())


_DOMAIN = _domain_syllables()


def _is_word(letters: str) -> bool:
    lower = letters.lower()
    return bool(letters) and (letters.isdigit() or is_vietnamese_syllable(lower) or lower in _DOMAIN)


def _split_words(chars: tuple[CharRead, ...]) -> list[list[CharRead]]:
    words, current = [], []
    for c in chars:
        if c.char.isspace():
            if current:
                words.append(current)
            current = []
        else:
            current.append(c)
    if current:
        words.append(current)
    return words


def _spellings(core: list[CharRead]) -> list[tuple[str, float]]:
    """(spelling, log probability) of a word's letters, its least sure letters swapped for their rivals."""
    unsure = sorted(range(len(core)), key=lambda i: core[i].confidence)
    unsure = [i for i in unsure if core[i].confidence < T.SNAP_UNSURE_CHAR][:T.SNAP_MAX_POSITIONS]
    options = []
    for i, c in enumerate(core):
        choices = [(c.char, c.confidence)]
        if i in unsure:
            choices += [(alt, p) for alt, p in c.alternatives if p >= T.SNAP_MIN_ALTERNATIVE_PROB]
        options.append(choices)
    out = []
    for combo in itertools.product(*options):
        text = nfc("".join(ch for ch, _ in combo))
        out.append((text, sum(math.log(max(p, 1e-9)) for _, p in combo)))
    return out


def _match_case(spelling: str, read: str) -> str:
    if read[:1].isupper() and spelling[:1].islower():
        return spelling[:1].upper() + spelling[1:]
    return spelling


def correct_word(chars: list[CharRead]) -> CorrectedWord:
    """The best valid spelling of one word (letters, digits and the punctuation around them)."""
    read = nfc("".join(c.char for c in chars))
    start = 0
    while start < len(chars) and not chars[start].char.isalnum():
        start += 1
    end = len(chars)
    while end > start and not chars[end - 1].char.isalnum():
        end -= 1
    core = chars[start:end]
    lead = "".join(c.char for c in chars[:start])
    tail = "".join(c.char for c in chars[end:])
    letters = nfc("".join(c.char for c in core))
    mean = sum(c.confidence for c in chars) / len(chars)
    if not core:
        return CorrectedWord(read, mean, read, True)
    if any(c.char.isdigit() for c in core):  # an amount, a date, a phone number: kept exactly as read
        return CorrectedWord(read, mean, read, number_shaped(letters), number=True)
    scored: dict[str, float] = {}
    for spelling, log_p in _spellings(core):
        if not spelling or not _is_word(spelling):
            continue
        bonus = T.SNAP_DOMAIN_BONUS if spelling.lower() in _DOMAIN else 0.0
        scored[spelling] = max(scored.get(spelling, -math.inf), log_p + bonus)
    if not scored:
        return CorrectedWord(read, mean, read, False)
    ranked = sorted(scored.items(), key=lambda item: item[1], reverse=True)
    best, best_score = ranked[0]
    length = max(len(best), 1)
    # The chosen spelling's probability per letter, bonus taken off again.
    chosen_log_p = best_score - (T.SNAP_DOMAIN_BONUS if best.lower() in _DOMAIN else 0.0)
    confidence = min(math.exp(chosen_log_p / length), 1.0)
    rivals = tuple(lead + _match_case(s, letters) + tail for s, score in ranked[1:]
                   if score >= best_score - T.SNAP_RIVAL_LOG_ODDS)
    return CorrectedWord(lead + _match_case(best, letters) + tail, confidence, read, True, rivals[:2])


def correct_line(line: LineRead) -> CorrectedLine:
    """Snap each word of a recognised line to a valid Vietnamese spelling where its alternatives allow;
    numbers are kept as read and marked (unsure where the engine doubted them); money units after an
    amount and lexicon terms one mark away are fixed (:func:`fix_money_units`, :func:`fix_lexicon_terms`)."""
    spans = _split_spans(line.chars)
    words = []
    for start, end in spans:
        word = correct_word(list(line.chars[start:end]))
        if word.number:
            after = line.chars[end] if end < len(line.chars) else None
            word = replace(word, unsure=number_unsure(line.chars[start:end], after, word.read))
        words.append(word)
    words = fix_lexicon_terms(mark_lost_numbers(fix_money_units(words)))
    return CorrectedLine(nfc(" ".join(w.text for w in words)), tuple(words))


def _split_spans(chars: tuple[CharRead, ...]) -> list[tuple[int, int]]:
    """(start, end) indices of the words of ``chars`` (runs of non-space characters)."""
    spans, start = [], None
    for i, c in enumerate(chars):
        if c.char.isspace():
            if start is not None:
                spans.append((start, i))
            start = None
        elif start is None:
            start = i
    if start is not None:
        spans.append((start, len(chars)))
    return spans


# How numbers are written in comments: digits with dots, commas, slashes, colons or dashes between
# them («200.000», «1,5», «12/3/2026», «8:30», «0912-345-678»), a leading + or (, and a unit glued on
# («200k», «2tr», «200.000đ», «500d», «8h», «30p», «2m»). Digits among other letters («20QK», «c0») are
# a misreading, or a code the reviewer must check anyway.
_UNIT_SUFFIX = r"(?:k|K|đ|Đ|d|D|tr|Tr|TR|h|g|p|m|ph|vnđ|VNĐ|vnd|VND|đồng|triệu|nghìn|ngàn|tỷ|tỉ|lần|%)?"
NUMBER_SHAPE = re.compile(r"^[+(]?\d+(?:[.,/:\-]\d+)*(?:[hg]\d{1,2})?" + _UNIT_SUFFIX + r"$")  # «7h30», «8g15»
_NUMBER_PUNCTUATION = set(".,/:-+()")
_QUIET_PUNCTUATION = set(".,;:!?()\"'«»")


def number_shaped(core: str) -> bool:
    """Whether ``core`` (a word without its punctuation) is written as a number is: :data:`NUMBER_SHAPE`,
    or a syllable glued to one where a space was missed («phí50.000đ», «chờ15», «2trmới»)."""
    if NUMBER_SHAPE.match(core):
        return True
    head = re.match(r"^(\D+)(\d.*)$", core)
    if head and is_vietnamese_syllable(head.group(1).lower()) and NUMBER_SHAPE.match(head.group(2)):
        return True
    for cut in range(len(core) - 1, 0, -1):
        tail = core[cut:]
        if tail.isalpha() and NUMBER_SHAPE.match(core[:cut]) and is_vietnamese_syllable(tail.lower()):
            return True
    return False


def number_unsure(chars: tuple[CharRead, ...], after: CharRead | None, read: str) -> bool:
    """Whether a number word's digits are in doubt: a digit or separator read below
    :data:`~omr.tuning.NUMBER_SURE_CHAR`, a digit or separator the engine saw at
    :data:`~omr.tuning.NUMBER_MISSED_PROB` or more without writing it (within the word or right
    after it, ``after`` being the next character, or at the end of the read), or a shape no number is written in
    (:data:`NUMBER_SHAPE`: letters among digits, stray signs)."""
    start = 0
    while start < len(chars) and not chars[start].char.isalnum():
        start += 1
    end = len(chars)
    while end > start and not chars[end - 1].char.isalnum():
        end -= 1
    core = nfc("".join(c.char for c in chars[start:end]))
    lead_tail = [c.char for c in chars[:start]] + [c.char for c in chars[end:]]
    if not number_shaped(core) or any(ch not in _QUIET_PUNCTUATION | _NUMBER_PUNCTUATION for ch in lead_tail):
        return True
    for i, c in enumerate(chars[start:end]):
        if (c.char.isdigit() or c.char in _NUMBER_PUNCTUATION) and c.confidence < T.NUMBER_SURE_CHAR:
            return True
        missed, p = c.missed_before
        inside = i > 0
        if p >= T.NUMBER_MISSED_PROB and (missed.isdigit() or (inside and missed in _NUMBER_PUNCTUATION)):
            return True
    for missed, p in ((after.missed_before if after is not None else ("", 0.0)), chars[-1].missed_after):
        if p >= T.NUMBER_MISSED_PROB and missed.isdigit():
            return True
    return False


# What a handwritten «đồng» after an amount is read as: the đ's bar lost, a tone moved, the đ dropped.
UNIT_MISREADS = frozenset(nfc(w) for w in (
    "ông", "ong", "ồng", "dồng", "dong", "đong", "đông", "dông", "đống", "đóng", "dóng", "đòng", "dòng",
    "đổng", "đỗng", "đọng", "động", "dộng", "đồg", "dồg", "đồnq", "đông.", "đồn", "dồn", "đồnng"))
# The unit as written: part of the amount, checked with it.
UNITS = frozenset(nfc(w) for w in ("đồng", "đ", "vnđ", "vnd"))
# Magnitude words: «500 nghìn ông» is an amount too.
MAGNITUDES = frozenset(nfc(w) for w in ("nghìn", "ngàn", "ngàn", "triệu", "tr", "tỷ", "tỉ", "trăm", "k"))
_MONEY_DIGITS = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$|^\d{4,}$")


def _core(text: str) -> tuple[str, str, str]:
    """(lead punctuation, letters, tail punctuation) of a word."""
    start = 0
    while start < len(text) and not text[start].isalnum():
        start += 1
    end = len(text)
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[:start], text[start:end], text[end:]


def _is_amount(words: list[CorrectedWord], i: int) -> bool:
    """Whether word ``i`` ends an amount: a number written as money («200.000», «2000»), or a
    magnitude word after a number («500 nghìn», «1,5 triệu»)."""
    _, core, tail = _core(words[i].text)
    if tail:  # «200.000,» ends a clause: what follows is no unit of it
        return False
    if any(ch.isdigit() for ch in core):
        return bool(_MONEY_DIGITS.match(core))
    return core.lower() in MAGNITUDES and i > 0 and words[i - 1].number and not _core(words[i - 1].text)[2]


def fix_money_units(words: list[CorrectedWord]) -> list[CorrectedWord]:
    """A money unit misread after an amount, fixed: «2000 ông» → «2000 đồng», «200.000 dồng» →
    «200.000 đồng», «500 nghìn dong» → «500 nghìn đồng», a lone «d» → «đ», «200.000d» → «200.000đ».

    The amount is never touched; the unit word is marked number and unsure (a rule's guess: the
    reviewer checks it, and the draft is not "likely correct"). A digit group too short to be
    money («2 ông»: two men) is left alone."""
    out = list(words)
    for i, word in enumerate(out):
        lead, core, tail = _core(word.text)
        if word.number and re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+d|\d{4,}d", core):
            out[i] = replace(word, text=lead + core[:-1] + "đ" + tail, unsure=True)
            continue
        if i > 0 and not lead and not word.number and out[i - 1].number and nfc(core.lower()) in MAGNITUDES \
                and not _core(out[i - 1].text)[2]:
            out[i] = replace(word, number=True)  # «500 nghìn», «1,5 triệu»: the magnitude is part of the amount
            continue
        if i == 0 or lead or not _is_amount(out, i - 1):
            continue
        lower = nfc(core.lower())
        if lower in UNITS:
            out[i] = replace(word, number=True)
            continue
        if lower in UNIT_MISREADS:
            fixed = "đồng"
        elif lower == "d":
            fixed = "đ"
        else:
            continue
        fixed = fixed.upper() if core.isupper() and len(core) > 1 else fixed
        out[i] = replace(word, text=fixed + tail, valid=True, number=True, unsure=True,
                         alternatives=(word.text,) + word.alternatives[:1])
        if _is_amount(out, i - 1) and not out[i - 1].number:  # the magnitude word is part of the amount
            out[i - 1] = replace(out[i - 1], number=True)
    return out


# Magnitudes by their letters (marks dropped: «nghĩn», «trieu»), and the words that count before them.
_FOLDED_MAGNITUDES = frozenset({"nghin", "ngan", "trieu"})
COUNT_WORDS = frozenset(nfc(w) for w in (
    "một", "hai", "ba", "bốn", "tư", "năm", "lăm", "sáu", "bảy", "bẩy", "tám", "chín", "mười", "mươi", "trăm",
    "mấy", "vài", "mốt", "rưỡi", "chục", "nghìn", "ngàn", "triệu"))


def mark_lost_numbers(words: list[CorrectedWord]) -> list[CorrectedWord]:
    """A word before a magnitude («sao nghìn»: «500 nghìn» with its digits read as letters) that is no
    number and no counting word is an amount lost in the reading: it and the magnitude are marked
    number and unsure, for the reviewer to read off the image."""
    out = list(words)
    for i in range(1, len(out)):
        lead, core, _ = _core(out[i].text)
        if lead or strip_diacritics(core).lower() not in _FOLDED_MAGNITUDES:
            continue
        before = out[i - 1]
        _, before_core, before_tail = _core(before.text)
        if before.number or before_tail or not before_core:
            continue
        if nfc(before_core.lower()) in COUNT_WORDS:  # «năm trăm nghìn»: an amount in words, checked as one
            out[i - 1], out[i] = replace(before, number=True), replace(out[i], number=True)
            continue
        out[i - 1] = replace(before, number=True, unsure=True)
        out[i] = replace(out[i], number=True, unsure=True)
    return out


def _lexicon_pairs() -> dict[str, str]:
    """Folded form → spelling of the lexicon's terms of two syllables or more (one spelling per fold)."""
    pairs: dict[str, list[str]] = {}
    for term, _category, _ambiguous in TERMS:
        if len(term.split()) >= 2:
            pairs.setdefault(strip_diacritics(nfc(term)).lower(), []).append(nfc(term))
    return {folded: spellings[0] for folded, spellings in pairs.items() if len(spellings) == 1}


_LEXICON_BY_FOLD = _lexicon_pairs()
_LEXICON_LENGTHS = sorted({len(t.split()) for t in _LEXICON_BY_FOLD.values()}, reverse=True)


def fix_lexicon_terms(words: list[CorrectedWord]) -> list[CorrectedWord]:
    """Words that spell a lexicon term of two syllables or more but for at most
    :data:`~omr.tuning.LEXICON_FIX_MAX_MARKS` tone or hat marks («bỏi dưỡng»), respelt as the term
    («bồi dưỡng»). Letters are never changed, only marks; numbers never; the words read are kept
    as the alternatives (for "có thể" flags). Two marks away is left alone: «phòng bị» (be
    prepared) is two marks from «phong bì» (an envelope of money)."""
    out = list(words)
    i = 0
    while i < len(out):
        for n in _LEXICON_LENGTHS:
            window = out[i:i + n]
            if len(window) < n or any(w.number for w in window):
                continue
            parts = [_core(w.text) for w in window]
            if any(p[0] for p in parts) or any(p[2] for p in parts[:-1]):  # punctuation inside: no phrase
                continue
            written = nfc(" ".join(p[1] for p in parts))
            term = _LEXICON_BY_FOLD.get(strip_diacritics(written).lower())
            if term is None or term == written.lower():
                continue
            marks = sum(a != b for a, b in zip(written.lower(), term))
            if len(written) != len(term) or marks > T.LEXICON_FIX_MAX_MARKS:
                continue
            for j, (word, syllable, (_, core, tail)) in enumerate(zip(window, term.split(), parts)):
                if core.lower() != syllable:
                    out[i + j] = replace(word, text=_match_case(syllable, core) + tail, valid=True,
                                         alternatives=(word.text,) + word.alternatives[:1])
            i += n - 1
            break
        i += 1
    return out


def flags_with_possible(text: str, lines: list[CorrectedLine]) -> list[Match]:
    """Lexicon matches of the corrected ``text``, plus those seen only in an alternative
    spelling of the lines, marked ``possible`` (shown as "có thể")."""
    matches = find_terms(text, source="draft")
    seen = {m.term for m in matches}
    for line in lines:
        for alternative in line.alternative_texts():
            for match in find_terms(alternative, source="draft"):
                if match.term not in seen and match.flagged:
                    seen.add(match.term)
                    matches.append(replace(match, possible=True))
    return matches

