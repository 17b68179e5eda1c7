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
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

from omr import tuning as T
from omr.scan.recognise import CharRead, LineRead
from omr.text.lexicon import DOMAIN_WORDS, Match, find_terms
from omr.text.normalise import is_vietnamese_syllable, nfc


@dataclass(frozen=True)
class CorrectedWord:
    """One word of a corrected line: its text, confidence 0..1, what was read, rival spellings."""

    text: str
    confidence: float
    read: str
    valid: bool  # a Vietnamese syllable, a number or a domain word
    alternatives: tuple[str, ...] = ()


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
    """Snap each word of a recognised line to a valid Vietnamese spelling where its alternatives allow."""
    words = tuple(correct_word(w) for w in _split_words(line.chars))
    return CorrectedLine(nfc(" ".join(w.text for w in words)), words)


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

