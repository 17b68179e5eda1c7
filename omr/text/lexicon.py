"""Flag comments that may report negative behaviour by officials.

A flag asks a person to look; it never blames anyone. The terms are the
domain brief's lexicon (official terms and colloquial ones). Matching works on
folded text (:func:`omr.text.normalise.fold`), so comments typed or OCR-read without
diacritics match too, and every flag keeps the span of the original text it
matched. Three things keep flags honest:

- **Negation.** "không nhũng nhiễu" and "không có tiêu cực" are praise: a
  negator shortly before the term, in the same clause, turns the match into a
  *negated* one, kept but not flagged. "không những ... mà còn" is not a negator.
- **Folded collisions.** Folding can turn one word into another ("cò", a
  broker, folds to "co", as does "có", has, by far the commoner word). A
  one-word term therefore matches only with its diacritics; phrases of two
  words or more are distinctive enough to match folded.
- **Ambiguous terms.** "bồi dưỡng" is also training and "phong bì" also a
  literal envelope: they are not flagged in their innocent contexts ("lớp bồi
  dưỡng nghiệp vụ", "phong bì đựng hồ sơ") and otherwise flagged as
  ``ambiguous`` so the reviewer knows to read closely.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import asdict, dataclass

from rapidfuzz.distance import Levenshtein

from omr import tuning as T
from omr.text.normalise import fold, fold_with_map, nfc, strip_diacritics

DRAFT = "draft"
TEXT = "text"  # a reviewer's transcription (omr.data.store.set_comment_text)
OFFICIAL = "official"
COLLOQUIAL = "colloquial"

# (term, category, ambiguous). Variants a person would write are listed as terms.
TERMS: tuple[tuple[str, str, bool], ...] = (
    ("nhũng nhiễu", OFFICIAL, False),
    ("sách nhiễu", OFFICIAL, False),
    ("gây phiền hà", OFFICIAL, False),
    ("phiền hà", OFFICIAL, False),
    ("gây khó khăn", OFFICIAL, False),
    ("cửa quyền", OFFICIAL, False),
    ("hách dịch", OFFICIAL, False),
    ("quan liêu", OFFICIAL, False),
    ("tiêu cực", OFFICIAL, False),
    ("hối lộ", OFFICIAL, False),
    ("đùn đẩy trách nhiệm", OFFICIAL, False),
    ("đùn đẩy", OFFICIAL, False),
    ("kéo dài thời gian", OFFICIAL, False),
    ("yêu cầu bổ sung giấy tờ ngoài quy định", OFFICIAL, False),
    ("giấy tờ ngoài quy định", OFFICIAL, False),
    ("chi phí ngoài quy định", OFFICIAL, False),
    ("tiền ngoài quy định", OFFICIAL, False),
    ("vòi vĩnh", COLLOQUIAL, False),
    ("bồi dưỡng", COLLOQUIAL, True),
    ("phong bì", COLLOQUIAL, True),
    ("tiền trà nước", COLLOQUIAL, False),
    ("trà nước", COLLOQUIAL, False),
    ("tiền cà phê", COLLOQUIAL, False),
    ("tiền cafe", COLLOQUIAL, False),
    ("lót tay", COLLOQUIAL, False),
    ("chung chi", COLLOQUIAL, False),
    ("làm luật", COLLOQUIAL, False),
    ("cò giấy tờ", COLLOQUIAL, False),
    ("cò", COLLOQUIAL, False),
    ("đi cửa sau", COLLOQUIAL, False),
    ("hẹn lên hẹn xuống", COLLOQUIAL, False),
    ("hẹn lại nhiều lần", COLLOQUIAL, False),
    ("trễ hẹn", COLLOQUIAL, False),
    ("đi lại nhiều lần", COLLOQUIAL, False),
    ("làm khó", COLLOQUIAL, False),
    ("hạch sách", COLLOQUIAL, False),
    ("quát nạt", COLLOQUIAL, False),
    ("cáu gắt", COLLOQUIAL, False),
    ("bỏ vị trí", COLLOQUIAL, False),
    ("đút lót", COLLOQUIAL, False),
    ("lo lót", COLLOQUIAL, False),
    # Added on a fresh user's review of the lexicon against the domain brief (harassment, delays, money asked
    # for, a rude attitude): words people write for them beside the brief's own.
    ("gây khó dễ", COLLOQUIAL, False),
    ("làm khó dễ", COLLOQUIAL, False),
    ("hạch họe", COLLOQUIAL, False),
    ("hoạch họe", COLLOQUIAL, False),
    ("hoạnh họe", COLLOQUIAL, False),
    ("bôi trơn", COLLOQUIAL, False),
    ("ăn tiền", COLLOQUIAL, False),
    ("hống hách", COLLOQUIAL, False),
    ("thô lỗ", COLLOQUIAL, False),
    ("quát tháo", COLLOQUIAL, False),
    ("nạt nộ", COLLOQUIAL, False),
    ("cộc cằn", COLLOQUIAL, False),
    ("cọc cằn", COLLOQUIAL, False),
    ("thiếu tôn trọng", COLLOQUIAL, False),
    ("vô trách nhiệm", COLLOQUIAL, False),
    ("thiếu trách nhiệm", COLLOQUIAL, False),
    ("chậm trễ", OFFICIAL, False),
    ("trễ hạn", OFFICIAL, False),
    ("quá hạn", OFFICIAL, False),
)

# Phrasings too varied for a term list: (term reported, category, pattern). A pattern is
# written with diacritics, lower case, words separated by one space; its only regex syntax
# is groups, "|", "?" and the {NUM} ({TRIPS}) placeholders below. It matches folded text
# (the pattern's diacritics stripped) and, where a person typed marks, the text as written
# (see _diacritics_agree). The term reported is the lexicon's word for what the phrase says,
# so reports count "đi lại ba lần" and "đi lại nhiều lần" together.
# Counts of two or more: "hai", "3", "3-4" (folded "3 4"), "nhiều", "mấy", "vài".
_COUNT = r"(hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|[2-9]|[1-9]\d)"
NUM = rf"({_COUNT}( {_COUNT})?|nhiều|mấy|vài|bao nhiêu|mấy chục|cả chục|chục)"
TRIPS = r"(lần|lượt|bận|chuyến|buổi)"
# Giving money to get a file through: "phải đưa tiền", "chi tiền", "biếu thêm tiền".
# Not "gửi tiền" (paying a fee by post) nor "nộp tiền" (paying the fee itself).
_GIVE = r"(đưa|chi|biếu|đút|dúi|lo)"
PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("đưa tiền", COLLOQUIAL, rf"{_GIVE}( thêm)?( cho (cán bộ|công chức|nhân viên|người ta|họ|anh ấy|chị ấy))? tiền"),
    ("đưa tiền", COLLOQUIAL, r"(phải|cần|bắt) có tiền"),
    ("đưa tiền", COLLOQUIAL, rf"{_GIVE}( thêm)? phong bì"),
    ("đòi tiền", COLLOQUIAL, r"((đòi|vòi|xin|gợi ý|ra giá)( thêm)?|thu thêm) tiền"),
    ("đòi tiền", COLLOQUIAL, r"(đòi|vòi|xin)( thêm)? phong bì"),
    # Coming back again and again: "bắt đi lại ba lần", "phải lên xã 3-4 lần", "đi đi lại lại".
    # The one with "phải/bắt/bị" first: its span starts there, within reach of a negator before it.
    ("đi lại nhiều lần", COLLOQUIAL,
     rf"(phải|bắt|bị|mất công)( bắt| phải)?( đi)? (đi lại|đi|lên|xuống|đến|tới|về|ra|vào|quay lại|trở lại|chạy)"
     rf"( (xã|phường|huyện|tỉnh|ủy ban|bộ phận một cửa|một cửa))?( (tới|đến|mất|cả|hơn|gần|thêm))? {NUM} {TRIPS}"),
    ("đi lại nhiều lần", COLLOQUIAL,
     rf"(đi lại|đi về|quay lại|quay về|trở lại|chạy|chạy đi chạy lại|lên xuống|đi tới đi lui)"
     rf"( (tới|đến|mất|cả|hơn|gần|thêm))? {NUM} {TRIPS}"),
    ("đi lại nhiều lần", COLLOQUIAL, r"(đi đi lại lại|đi đi về về|đi lên đi xuống|đi tới đi lui)"),
    ("hẹn lên hẹn xuống", COLLOQUIAL, r"hẹn (tới hẹn lui|đi hẹn lại|tới hẹn lại|hết lần này đến lần khác)"),
    ("hẹn lên hẹn xuống", COLLOQUIAL, rf"hẹn( lại)? {NUM} {TRIPS}"),
    # Asked for more papers again and again: "bắt bổ sung nhiều lần", "bổ sung hồ sơ 3 lần".
    ("bổ sung nhiều lần", COLLOQUIAL,
     rf"(bổ sung|sửa|làm lại|nộp lại|sửa đi sửa lại)( (hồ sơ|giấy tờ|giấy|lại))?( (tới|đến|mất|cả|hơn|gần|thêm))?"
     rf" {NUM} {TRIPS}"),
    ("bổ sung nhiều lần", COLLOQUIAL, r"(bổ sung đi bổ sung lại|bổ sung tới bổ sung lui|sửa đi sửa lại)"),
    # Waiting long at the counter: "chờ lâu", "phải đợi rất lâu", "chờ đợi quá lâu", "ngồi chờ cả buổi",
    # "chờ 2 tiếng". Hours and sessions only: "chờ 3 ngày là có kết quả" is the dossier's time, no complaint.
    # The "phải/bắt/bị" first, as above: "không phải chờ lâu" is praise.
    ("chờ lâu", COLLOQUIAL,
     rf"((phải|bắt|bị)( ngồi)? )?(chờ đợi|chờ|đợi)( rất| quá| hơi| khá| cực kỳ| thật)? "
     rf"(lâu|mãi|cả buổi|cả ngày|cả sáng|cả chiều|nửa ngày|{NUM} (tiếng|giờ|buổi))"),
    # A rude attitude told plainly: "thái độ không tốt", "thái độ phục vụ rất kém". Not "thái độ không tệ".
    ("thái độ không tốt", COLLOQUIAL,
     r"thái độ( phục vụ| làm việc| giao tiếp| tiếp dân| của cán bộ| cán bộ| nhân viên)?( rất| quá| hơi| còn)? "
     r"(không tốt|chưa tốt|kém|tệ|khó chịu|thờ ơ|lồi lõm|không đúng mực|chưa đúng mực|cửa quyền|hách dịch|"
     r"hống hách|gắt gỏng|cộc cằn|cọc cằn|thô lỗ|coi thường người dân|xem thường người dân)"),
    # Results late: "trả kết quả trễ", "giải quyết hồ sơ quá chậm".
    ("chậm trễ", OFFICIAL,
     r"(trả|giải quyết|xử lý)( kết quả| hồ sơ)?( rất| quá| hơi| còn)? (chậm|trễ|muộn|lâu)"),
)
# Words right after a money pattern that make it an ordinary payment: cash ("tiền mặt"),
# fees and taxes set by law, change given back.
INNOCENT_AFTER_MONEY = ("mat", "le phi", "phi", "thue", "thua", "theo quy dinh", "dung quy dinh")
# Words right after "cho lau" typed without diacritics that make it "cho lau (nhà, dọn...)", to let someone mop
# or wipe, not "chờ lâu" (folded text; text typed with diacritics says which it is).
INNOCENT_AFTER_WAIT = ("nha", "don", "chui", "sach", "kinh", "ban", "ghe", "san")

# Words of the domain that post-correction of handwriting drafts prefers when the
# recogniser's alternatives allow (omr.postcorrect): the terms above, negators, service
# terms of the form (fields of procedure, the one-stop shop) and unit kinds and names.
DOMAIN_WORDS: tuple[str, ...] = tuple(term for term, _, _ in TERMS) + (
    "không", "chưa", "chẳng", "có", "bị", "được", "rất", "hài lòng", "không hài lòng", "bình thường",
    "hộ tịch", "chứng thực", "đất đai", "xây dựng", "hộ kinh doanh", "lao động", "người có công",
    "bảo trợ xã hội", "tư pháp", "khai sinh", "khai tử", "kết hôn", "cư trú", "sổ đỏ", "giấy chứng nhận",
    "bộ phận một cửa", "tiếp nhận", "trả kết quả", "hồ sơ", "thủ tục", "cán bộ", "công chức", "nhân viên",
    "dịch vụ công", "cổng dịch vụ công", "trực tuyến", "bưu chính", "lệ phí", "phí", "đúng hẹn", "trễ hẹn", "giấy hẹn",
    "hướng dẫn", "tận tình", "nhiệt tình", "thái độ", "phục vụ", "chờ", "ghế", "máy lấy số",
    "ủy ban nhân dân", "trung tâm phục vụ hành chính công", "xã", "phường", "đặc khu", "tỉnh", "thành phố",
    "Cao Lãnh", "Mỹ Ngãi", "Mỹ Trà", "Hòa Thuận", "Hòa An", "Tịnh Thới", "Tân Thuận", "Mỹ Phú",
    "Nhị Mỹ", "An Bình", "Mỹ Tân", "Tân Nghĩa", "Đồng Tháp",
)

# Words that negate a term when they come shortly before it in the same clause.
NEGATORS = ("không hề", "không có", "không bị", "không thấy", "chưa từng", "chưa bao giờ", "chưa có",
            "chưa thấy", "không", "ko", "k", "khong", "chẳng", "chả", "chưa", "hết", "không còn")
# "không những X mà còn Y", "không chỉ X": emphasis, not negation.
NOT_NEGATORS = ("không những", "không chỉ", "chẳng những",
                # "nếu không đưa tiền thì ...": a condition someone was put under, a complaint.
                "nếu không", "nếu ko", "nếu chưa")
# "(không đưa tiền) thì không / thì bị / là chưa ...": the negated act is a condition (folded text).
CONDITION_AFTER = re.compile(r"(\S+ ){0,3}(thi|la|se) (khong|ko|chua|bi|phai|moi|se|cu|van)\b")
# A negator does not reach across a clause: "Không chờ lâu, nhưng cán bộ hách dịch".
PUNCTUATION_BREAK = re.compile(r"[.,;:!?\n]")
# With diacritics only: folded "nhung" is also "những" (of "không những") and "nhũng".
CONJUNCTION_BREAK = re.compile(r"\b(?:nhưng|tuy nhiên)\b", re.IGNORECASE)

# Innocent contexts of the ambiguous terms (folded), right after or before the term.
INNOCENT_AFTER = {
    "boi duong": ("nghiep vu", "chuyen mon", "kien thuc", "ky nang", "can bo", "cong chuc", "chinh tri",
                  "suc khoe"),
    "phong bi": ("dung", "thu", "ho so", "giay"),
}
INNOCENT_BEFORE = {
    "boi duong": ("lop", "khoa", "tap huan", "dao tao", "duoc"),
    "phong bi": ("mua", "ban", "cap", "cho", "trong", "vao"),
}


@dataclass(frozen=True)
class Match:
    """One lexicon term found in a text. ``start``/``end`` index the NFC text."""

    term: str
    category: str
    start: int
    end: int
    matched: str  # the text as written
    negated: bool = False
    ambiguous: bool = False
    source: str = "draft"  # draft | text (a person's transcription) | online
    fuzzy: bool = False  # an OCR draft's near miss of the term (see _near_matches)
    possible: bool = False  # seen only in an alternative reading of a draft: shown as "có thể" (#15)

    @property
    def flagged(self) -> bool:
        return not self.negated


# The terms' and phrasings' regular expressions are compiled at the first search, not at import:
# the scan's storing process imports this module and, with no written comment, never searches
# (compiling them was ~0.06 s CPU of its start-up, issue #18).
@functools.cache
def _folded_terms() -> list[tuple[str, str, str, bool, re.Pattern]]:
    # Longest first, so "tiền trà nước" wins over "trà nước" at the same place.
    items = [(fold(term), term, category, ambiguous) for term, category, ambiguous in TERMS]
    return [(folded, term, category, ambiguous,
             re.compile(r"(?<![a-z0-9])" + re.escape(folded) + r"(?![a-z0-9])"))
            for folded, term, category, ambiguous in sorted(items, key=lambda item: -len(item[0]))]


@functools.cache
def _compiled_patterns() -> list[tuple[str, str, re.Pattern, re.Pattern]]:
    out = []
    for term, category, pattern in PATTERNS:
        # strip_diacritics maps one character to one, leaving the regex syntax as it is.
        folded = strip_diacritics(pattern)
        out.append((term, category,
                    re.compile(r"(?<![a-z0-9])" + folded + r"(?![a-z0-9])"),
                    re.compile(pattern)))
    return out


# Words right after a pattern's match that make it innocent (folded), by the term the pattern reports, and
# whether only a match written without diacritics can be innocent so.
_INNOCENT_AFTER_PATTERN = {"đưa tiền": (INNOCENT_AFTER_MONEY, False), "đòi tiền": (INNOCENT_AFTER_MONEY, False),
                           "chờ lâu": (INNOCENT_AFTER_WAIT, True)}
_WORD_BREAKS = re.compile(r"[\W_]+")
_FOLDED_NEGATORS = sorted({fold(n) for n in NEGATORS}, key=len, reverse=True)
_FOLDED_NOT_NEGATORS = tuple(fold(n) for n in NOT_NEGATORS)


def find_terms(text: str | None, source: str = "draft") -> list[Match]:
    """Every lexicon term in ``text``, negated ones included, in reading order.

    >>> [m.term for m in find_terms("Cán bộ nhũng nhiễu")]
    ['nhũng nhiễu']
    >>> find_terms("Công chức không nhũng nhiễu")[0].negated
    True
    >>> find_terms("can bo hach dich")[0].term
    'hách dịch'

    ``source``: ``draft`` (OCR), ``text`` (a reviewer's transcription) or
    ``online``. A draft, and a reviewer's text typed without any Vietnamese
    diacritics (accepted from the draft unchanged, or typed without accents),
    is matched loosely: near misses of long phrases count ("di lai nhieulan").
    Otherwise a person's text must carry the term's own letters.
    """
    if not text:
        return []
    original = nfc(text)
    loose = source == DRAFT or (source == TEXT and strip_diacritics(original) == original)
    folded, index = fold_with_map(original)
    lowered = original.lower()
    taken: list[tuple[int, int]] = []
    found: list[Match] = []
    # Plain terms, longest first; then the phrasings of PATTERNS; the ambiguous terms last, so
    # "đưa phong bì" is a bribe, not an envelope to read closely.
    for ambiguous_pass in (False, True):
        for folded_term, term, category, ambiguous, pattern in _folded_terms():
            if ambiguous != ambiguous_pass:
                continue
            for hit in pattern.finditer(folded):
                if _overlaps(hit, taken):
                    continue
                start, end = index[hit.start()], index[hit.end() - 1] + 1
                if not _diacritics_agree(lowered[start:end], term, single_word=" " not in folded_term,
                                         trust_marks=not loose):
                    continue
                if ambiguous and _innocent(folded, hit.start(), hit.end(), folded_term):
                    continue
                taken.append((hit.start(), hit.end()))
                found.append(Match(term, category, start, end, original[start:end],
                                   _negated(original, start, end), ambiguous, source))
        if not ambiguous_pass:
            found += _pattern_matches(original, folded, index, lowered, taken, loose, source)
    if loose:
        found += _near_matches(original, folded, index, taken, source)
    return sorted(found, key=lambda m: m.start)


def _overlaps(hit: re.Match, taken: list[tuple[int, int]]) -> bool:
    return any(hit.start() < end and start < hit.end() for start, end in taken)


def _pattern_matches(original: str, folded: str, index: list[int], lowered: str,
                     taken: list[tuple[int, int]], loose: bool, source: str) -> list[Match]:
    """Matches of :data:`PATTERNS` not overlapping ``taken`` (which grows with them).

    As for terms, text without diacritics (and an OCR draft) matches on letters;
    text a person typed with diacritics must match the pattern as written
    ("đi lại bà Lan" is a visit, "di lai ba lan" may be three trips).
    """
    found: list[Match] = []
    for term, category, pattern, written_pattern in _compiled_patterns():
        for hit in pattern.finditer(folded):
            if _overlaps(hit, taken):
                continue
            start, end = index[hit.start()], index[hit.end() - 1] + 1
            written = " ".join(_WORD_BREAKS.sub(" ", lowered[start:end]).split())
            if not (loose or strip_diacritics(written) == written or written_pattern.fullmatch(written)):
                continue
            after = f" {folded[hit.end():].strip()} "
            innocent, bare_only = _INNOCENT_AFTER_PATTERN.get(term, ((), False))
            if ((not bare_only or strip_diacritics(written) == written)
                    and any(after.startswith(f" {w} ") for w in innocent)):
                continue
            taken.append((hit.start(), hit.end()))
            found.append(Match(term, category, start, end, original[start:end],
                               _negated(original, start, end), False, source))
    return found


def _diacritics_agree(written_lower: str, term: str, single_word: bool, trust_marks: bool) -> bool:
    """Whether a folded match stands, given the diacritics actually written.

    Text without diacritics matches on letters alone. Text with them must
    carry the term's own where they can be trusted ("những nhiều", many, is
    not "nhũng nhiễu"): always for one word, and for phrases in text a person
    typed. OCR drafts misplace tone marks, so there the letters decide.
    """
    bare = strip_diacritics(written_lower) == written_lower
    if bare and not single_word:
        return True
    same = " ".join(written_lower.split()) == term
    return same or (not single_word and not trust_marks)


def _near_matches(original: str, folded: str, index: list[int], taken: list[tuple[int, int]],
                  source: str) -> list[Match]:
    """Long phrases in an OCR draft read with a letter or two wrong ("ngodi quy dinh").

    Only phrases of :data:`~omr.tuning.LEXICON_FUZZY_MIN_CHARS` or more letters: shorter ones
    would meet ordinary words one edit away.
    """
    tokens = [(m.start(), m.end()) for m in re.finditer(r"\S+", folded)]
    found: list[Match] = []
    for folded_term, term, category, ambiguous, _ in _folded_terms():
        if ambiguous or len(folded_term) < T.LEXICON_FUZZY_MIN_CHARS:
            continue
        allowed = 1 if len(folded_term) < T.LEXICON_FUZZY_TWO_EDITS_CHARS else 2
        words = folded_term.count(" ") + 1
        for size in {words, max(words - 1, 1), words + 1}:  # a space lost or added by OCR
            for i in range(len(tokens) - size + 1):
                a, b = tokens[i][0], tokens[i + size - 1][1]
                if any(a < end and start < b for start, end in taken):
                    continue
                if Levenshtein.distance(folded[a:b], folded_term, score_cutoff=allowed) <= allowed:
                    taken.append((a, b))
                    start, end = index[a], index[b - 1] + 1
                    found.append(Match(term, category, start, end, original[start:end],
                                       _negated(original, start), ambiguous, source, fuzzy=True))
    return found


def flags_of(text: str | None, source: str = "draft") -> list[Match]:
    """The matches that ask for a person's attention (negated ones left out)."""
    return [m for m in find_terms(text, source) if m.flagged]


def flags_json(matches: list[Match]) -> str:
    return json.dumps([asdict(m) for m in matches], ensure_ascii=False)


def flags_from_json(text: str | None) -> list[Match]:
    return [Match(**item) for item in json.loads(text or "[]")]


def _negated(original: str, term_start: int, term_end: int | None = None) -> bool:
    """Whether a negator shortly before ``term_start``, in the same clause, negates the term.

    "không đưa tiền thì không nhận hồ sơ" is no praise but a condition put on
    someone: a negated term followed in its clause by "thì/là không ..." (see
    :data:`CONDITION_AFTER`) stays flagged.
    """
    clause = PUNCTUATION_BREAK.split(original[:term_start])[-1]
    clause = fold(CONJUNCTION_BREAK.split(clause)[-1])
    window = " ".join(clause.split()[-T.LEXICON_NEGATION_WINDOW_WORDS:])
    padded = f" {window} "
    for not_negator in _FOLDED_NOT_NEGATORS:
        padded = padded.replace(f" {not_negator} ", " ")
    negated = any(f" {negator} " in padded for negator in _FOLDED_NEGATORS)
    if negated and term_end is not None:
        rest = fold(PUNCTUATION_BREAK.split(original[term_end:])[0])
        negated = not CONDITION_AFTER.match(rest)
    return negated


def _innocent(folded: str, start: int, end: int, folded_term: str) -> bool:
    after = folded[end:].split()[:2]
    before = folded[:start].split()[-1:]
    after_text = " ".join(after)
    return (any(after_text.startswith(word) for word in INNOCENT_AFTER.get(folded_term, ()))
            or any(word in before for word in INNOCENT_BEFORE.get(folded_term, ())))
