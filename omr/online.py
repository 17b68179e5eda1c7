"""Online responses: Google Forms, portal and hand-made spreadsheet exports.

One export file (CSV or XLSX) becomes online responses of a template, one per
row, through a *mapping*: which column is which question (or the submission
time, or the unit) and which answer label is which option code. ``omr online
mapping`` proposes one (fuzzy, accent-insensitive, with scores) for a person
to check; ``omr online import`` applies it.

Reading copes with what such files really look like: UTF-8 with or without a
BOM, UTF-16 (Excel's "Unicode text"), Windows-1252 bytes holding TCVN3 or VNI
text, ',' ';' or tab separators, title rows above the header, and XLSX cells
that Excel turned into numbers or dates. Every value is NFC.

Normalising a row never guesses: a label, unit or date that cannot be read
sends the row to the rejects file (file, row, column, reason) and the rest of
the file imports. Rows are keyed by (file content, row number), so importing a
file again adds nothing, and after fixing the mapping a second import adds
exactly the rows rejected the first time. The same submission found in a
later, longer export of the same source (same time and answers) is not added
again; the same answers submitted again within minutes are kept and flagged.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from difflib import SequenceMatcher
from itertools import pairwise
from pathlib import Path

import yaml

from .errors import BadArgumentsError, InputFileError, TemplateError
from .legacy_vn import convert_column
from .template import Question, Template, load_template
from .textnorm import fold, nfc
from .windows1258 import decode_windows_1258, repair_lossy_text, vocabulary

VN_TZ = timezone(timedelta(hours=7))  # local time of every response (UTC+7, no daylight saving)

# Tuning, in one place.
SNIFF_LINES = 50  # records read to choose the separator and find the header
HEADER_MIN_SHARE = 0.6  # the header is the first row with at least this share of the widest row's cells
PROPOSE_MIN_SCORE = 0.6  # below this a column is proposed as unused
AUTO_MIN_SCORE = 0.85  # without a mapping file, columns below this are not imported
LABEL_PROPOSE_MIN = 0.85
# A question text found whole inside a header (or the reverse) scores this, if
# it is long enough not to be a common word ("Nam", "Khác").
CONTAINED_SCORE, CONTAINED_MIN_CHARS = 0.9, 12  # a sample label below this gets no proposed code: a person must decide
# Facebook-shared forms get submitted twice by an impatient tap or a reload:
# the same answers within this window are flagged as a repeated submission.
DUPLICATE_WINDOW = timedelta(minutes=10)
# Excel serial day numbers this side of 1954..2119 are dates; outside, plain numbers.
EXCEL_SERIAL_RANGE = (20000, 80000)
EXCEL_EPOCH = datetime(1899, 12, 30)

SUBMITTED_AT, UNIT, IGNORE = "submitted_at", "unit", "ignore"
FIELDS = (SUBMITTED_AT, UNIT, IGNORE)
IMPORTED_BY = "import"  # answers.set_by of imported answers: a person's review still overrides them
DATE_ORDERS = ("auto", "dmy", "mdy")

# Response flags set by the importer
FLAG_DUPLICATE = "duplicate_submission"
FLAG_EXCEL_REPAIRED = "excel_date_repaired"
FLAG_LEGACY = "legacy_encoding"
FLAG_UNIT_OUTDATED = "unit_outdated"

# Column headers with a fixed meaning (folded).
TIMESTAMP_HEADERS = {"timestamp", "dau thoi gian", "thoi gian", "thoi gian gui", "ngay gui", "submitted at",
                     "submission time", "thoi diem gui", "ngay gio gui", "created", "created at"}
UNIT_HEADERS = {"don vi", "ten don vi", "xa phuong", "phuong xa", "xa phuong dac khu", "xa phuong thi tran",
                "unit", "ward", "commune", "don vi giai quyet", "noi giai quyet ho so", "co quan giai quyet",
                "ma don vi", "bo phan mot cua"}
# Personal data a form may collect: never imported (the survey is anonymous).
PERSONAL_HEADERS = {"email address", "dia chi email", "email", "ho ten", "ho va ten", "ten", "so dien thoai",
                    "dien thoai", "sdt", "cccd", "so cccd", "dia chi", "score", "diem", "tong diem"}

GRID_HEADER = re.compile(r"^(?P<title>.*?)\s*\[(?P<row>[^\[\]]+)\]\s*$")
SLASH_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T,]+(.*))?$")
YEAR_FIRST = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[ T,]+(.*))?$")
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(am|pm|sa|ch|a\.m\.|p\.m\.)?$", re.IGNORECASE)
ZONE = re.compile(r"\s*\(?(?:gmt|utc)\s*([+\-])\s*(\d{1,2})(?::?(\d{2}))?\)?\s*$", re.IGNORECASE)
NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
WHOLE_NUMBER = re.compile(r"^0*(\d+)(?:[.,]0+)?$")


# --- reading files --------------------------------------------------------------

@dataclass
class Table:
    """A spreadsheet as rows of cells; row numbers as a spreadsheet shows them (from 1)."""

    path: str
    header: list[str]
    rows: list[tuple[int, list]]  # (row number, cells): str, int, float, datetime or None
    encoding: str  # utf-8, utf-8-sig, utf-16, cp1258, cp1252 or xlsx
    separator: str | None = None
    header_row: int = 1
    legacy: dict[str, int] = field(default_factory=dict)  # {'tcvn3'|'vni': cells converted}
    lossy_words: tuple[int, int] = (0, 0)  # Windows-1258 words with "?" for a letter: (repaired, left)


def read_table(path: str | Path) -> Table:
    """Read a CSV or XLSX export; InputFileError (naming the file) when it cannot be read."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"Không tìm thấy tệp: {path}") from None
    except OSError as exc:
        raise InputFileError(f"Không đọc được tệp {path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise InputFileError(f"{path}: tệp trống")
    suffix = path.suffix.lower()
    if data.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        grid, encoding, separator = _xlsx_grid(path, data), "xlsx", None
    elif suffix == ".xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(f"{path}: định dạng Excel cũ (.xls) chưa được hỗ trợ; "
                             "hãy mở bằng Excel và lưu thành .xlsx hoặc CSV UTF-8")
    else:
        text, encoding = decode_bytes(data, path)
        separator = sniff_separator(text)
        grid = [(i + 1, row) for i, row in enumerate(csv.reader(io.StringIO(text, newline=""),
                                                                delimiter=separator))]
    return _to_table(str(path), grid, encoding, separator)


def decode_bytes(data: bytes, path: Path | str = "") -> tuple[str, str]:
    """(text, encoding): BOMs first, then UTF-16 by its zero bytes, UTF-8, Windows-1258, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_utf16(data, "utf-16", path), "utf-16"
    head = data[:2000]
    if head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM: ASCII characters leave a zero byte beside them.
        odd_zeros = head[1::2].count(b"\x00")
        codec = "utf-16-le" if odd_zeros >= head[0::2].count(b"\x00") else "utf-16-be"
        return _decode_utf16(data, codec, path), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Not Unicode: an Excel CSV of a Vietnamese Windows (Windows-1258), or an old
    # Windows file whose TCVN3/VNI text is converted cell by cell later.
    text = decode_windows_1258(data)
    if text is not None:
        return text, "cp1258"
    return data.decode("cp1252", errors="replace").replace("\ufffd", ""), "cp1252"


def _decode_utf16(data: bytes, codec: str, path) -> str:
    try:
        return data.decode(codec).lstrip("\ufeff")
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: tệp UTF-16 bị hỏng (số byte lẻ hoặc ký tự không hợp lệ)") from None


def sniff_separator(text: str) -> str:
    """The separator (',', ';', tab or '|') that splits the first records into equal widths."""
    sample = "\n".join(text.splitlines()[:SNIFF_LINES])
    best, best_score = ",", (0.0, 0)
    for separator in (",", ";", "\t", "|"):
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(sample, newline=""), delimiter=separator) if any(r)]
        except csv.Error:
            continue
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = (count / len(widths), width)
        if score > best_score:
            best, best_score = separator, score
    return best


def _xlsx_grid(path: Path, data: bytes) -> list[tuple[int, list]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputFileError(f"{path}: không đọc được tệp XLSX (hỏng hoặc không phải Excel): {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        grid = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            grid.append((number, list(row)))
        return grid
    except (KeyError, ValueError, TypeError, AttributeError, zipfile.BadZipFile, OSError) as exc:  # a damaged sheet
        raise InputFileError(f"{path}: không đọc được trang tính đầu tiên: {exc}") from None
    finally:
        workbook.close()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _to_table(path: str, grid: list[tuple[int, list]], encoding: str, separator: str | None) -> Table:
    # Blank rows after the header stay (they are reported); trailing ones are sheet formatting.
    while grid and all(_blank(c) for c in grid[-1][1]):
        grid.pop()
    filled = [i for i, (_, cells) in enumerate(grid) if any(not _blank(c) for c in cells)]
    if not filled:
        raise InputFileError(f"{path}: không có dòng dữ liệu nào")
    widest = max(sum(not _blank(c) for c in grid[i][1]) for i in filled[:SNIFF_LINES])
    header_at = next(i for i in filled[:SNIFF_LINES]
                     if sum(not _blank(c) for c in grid[i][1]) >= max(2, HEADER_MIN_SHARE * widest) or widest < 2)
    header_row, header_cells = grid[header_at]
    width = max(len(header_cells), max(len(c) for _, c in grid))
    # Convert legacy text column by column (headers are a column of their own).
    columns = [[cells[i] if i < len(cells) else None for _, cells in grid[header_at + 1:]] for i in range(width)]
    legacy: dict[str, int] = {}
    assume = encoding == "cp1252"
    for i, column in enumerate(columns):
        columns[i], counts = convert_column(column, assume_legacy=assume)
        for kind, n in counts.items():
            legacy[kind] = legacy.get(kind, 0) + n
    header_values, counts = convert_column([None if _blank(c) else str(c).strip() for c in header_cells]
                                           + [None] * (width - len(header_cells)), assume_legacy=assume)
    for kind, n in counts.items():
        legacy[kind] = legacy.get(kind, 0) + n
    header = [nfc(" ".join(h.split())) if h else f"(cột {i + 1})" for i, h in enumerate(header_values)]
    rows = [(number, [columns[i][r] for i in range(width)])
            for r, (number, _) in enumerate(grid[header_at + 1:])]
    return Table(path, header, rows, encoding, separator, header_row, legacy)


# --- dates and times ----------------------------------------------------------------

def excel_serial(value: float) -> datetime | None:
    if EXCEL_SERIAL_RANGE[0] <= value <= EXCEL_SERIAL_RANGE[1]:
        return EXCEL_EPOCH + timedelta(days=float(value))
    return None


def slash_parts(value) -> tuple[int, int] | None:
    """The two leading numbers of a d/m/y or m/d/y text, for settling the order."""
    if isinstance(value, str):
        match = SLASH_DATE.match(value.strip())
        if match:
            return int(match.group(1)), int(match.group(2))
    return None


def decide_date_order(pairs: list[tuple[int, int]], times: list[tuple[tuple[int, int], str]]) -> tuple[str, str]:
    """('dmy'|'mdy', why) for one file, from every d/m text in it.

    A first number above 12 proves day first, a second above 12 month first;
    the majority of proofs wins. Without proof, the order that keeps the
    submission times (rows in submission order, as Google Forms writes them)
    non-decreasing wins; else day first, the Vietnamese convention.
    """
    day_first = sum(1 for a, b in pairs if a > 12 >= b)
    month_first = sum(1 for a, b in pairs if b > 12 >= a)
    if day_first or month_first:
        order = "dmy" if day_first >= month_first else "mdy"
        return order, f"{max(day_first, month_first)} ngày có số {'đầu' if order == 'dmy' else 'thứ hai'} > 12"
    sorted_as = []
    for order in ("dmy", "mdy"):
        stamps = []
        for _, text in times:
            try:
                stamps.append(parse_timestamp(text, order))
            except ValueError:
                stamps = []
                break
        if len(stamps) >= 3 and all(a <= b for a, b in pairwise(stamps)):
            sorted_as.append(order)
    if len(sorted_as) == 1:
        return sorted_as[0], "chỉ thứ tự này giữ dấu thời gian tăng dần theo dòng"
    return "dmy", "không có ngày nào phân biệt được, dùng ngày/tháng (quy ước Việt Nam)"


def _clock(text: str) -> time:
    match = CLOCK.match(text.strip())
    if not match:
        raise ValueError(text)
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    marker = (match.group(4) or "").lower().replace(".", "")
    if marker:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        pm = marker in ("pm", "ch")  # CH: chiều (afternoon), SA: sáng (morning) in Vietnamese UIs
        hour = hour % 12 + (12 if pm else 0)
    return time(hour, minute, second)


def parse_timestamp(value, order: str = "dmy") -> datetime:
    """A submission time as an aware datetime in UTC+7; ValueError when it is none.

    Takes datetime cells, Excel serial numbers (as numbers or text),
    ISO 8601, ``2026/03/05 10:15:30 AM GMT+7`` (Google Forms), ``05/03/2026
    10:15:30`` (d/m or m/d by ``order``), SA/CH or AM/PM, and a GMT/UTC offset.
    Times without a zone are local (UTC+7).
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = excel_serial(float(value))
        if moment is None:
            raise ValueError(value)
    else:
        moment = _parse_timestamp_text(str(value), order)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)
    return moment.astimezone(VN_TZ)


def _parse_timestamp_text(text: str, order: str) -> datetime:
    text = " ".join(text.strip().split())
    if not text:
        raise ValueError("blank")
    zone = None
    match = ZONE.search(text)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        zone = timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0)))
        text = text[:match.start()].strip()
    if NUMBER.match(text):
        moment = excel_serial(float(text.replace(",", ".")))
        if moment is None:
            raise ValueError(text)
    else:
        moment = None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        if moment is None:
            match = YEAR_FIRST.match(text) or SLASH_DATE.match(text)
            if not match:
                raise ValueError(text)
            a, b, c, rest = match.group(1), match.group(2), match.group(3), match.group(4)
            if len(a) == 4:
                year, month, day = int(a), int(b), int(c)
            else:
                first, second = int(a), int(b)
                day, month = (first, second) if order == "dmy" else (second, first)
                year = int(c) + (2000 if len(c) == 2 else 0)
            moment = datetime.combine(date(year, month, day), _clock(rest) if rest else time())
    if zone is not None:
        moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    return moment


def parse_day(value, order: str) -> date:
    """A date answer (the survey date question) as a date; ValueError when it is none."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_timestamp(value, order).date()


# --- labels to codes ----------------------------------------------------------------

class LabelError(ValueError):
    """A cell holds a label the question and the mapping do not know."""


def _whole(text: str) -> str | None:
    match = WHOLE_NUMBER.match(text.strip())
    return str(int(match.group(1))) if match else None


@dataclass
class LabelIndex:
    """Folded label, code or mapped synonym -> option code, for one question."""

    question: Question
    mapped: dict[str, str | None] = field(default_factory=dict)  # folded label -> code (None: undecided)

    def __post_init__(self):
        self.known: dict[str, str] = {}
        for option in self.question.options:
            self.known[fold(option.label)] = option.code
            self.known[fold(option.code)] = option.code
        self.numeric = {_whole(o.code): o.code for o in self.question.options if _whole(o.code) is not None}

    def code(self, text: str) -> str:
        key = fold(text)
        if key in self.mapped:
            code = self.mapped[key]
            if code is None:
                raise LabelError(f"nhãn «{text}» chưa được gán mã trong tệp ánh xạ")
            return code
        if key in self.known:
            return self.known[key]
        whole = _whole(text)
        if whole is not None and whole in self.numeric:  # "01" for code "1", "4.0" from a number cell
            return self.numeric[whole]
        raise LabelError(f"nhãn «{text}» không có trong các lựa chọn của câu {self.question.id}")

    def codes(self, text: str) -> list[str]:
        """A checkbox cell: labels joined with ", " (labels may hold ", " themselves) or ';'."""
        try:
            return [self.code(text)]
        except LabelError:
            pass
        pieces = [p.strip() for p in re.split(r"[;\n]|,\s", text) if p.strip()]
        found, i = [], 0
        while i < len(pieces):
            for j in range(len(pieces), i, -1):  # the longest run of pieces that is one label
                try:
                    found.append(self.code(", ".join(pieces[i:j])))
                    i = j
                    break
                except LabelError:
                    continue
            else:
                raise LabelError(f"nhãn «{pieces[i]}» không có trong các lựa chọn của câu {self.question.id}")
        return list(dict.fromkeys(found))


def excel_date_codes(value, index: LabelIndex, order: str) -> list[str] | None:
    """Codes "6, 2, 3" that Excel turned into the date 06/02/2003, read back; None if not that.

    Day and month come back in the order they were shown; a year 2000+N
    gives a third code N when N is a code of the question.
    """
    if isinstance(value, datetime):
        day, month, year = value.day, value.month, value.year
        shown = (day, month) if order == "dmy" else (month, day)
    else:
        match = SLASH_DATE.match(str(value).strip()) if isinstance(value, str) else None
        if not match or match.group(4):
            return None
        shown, year = (int(match.group(1)), int(match.group(2))), int(match.group(3))
        year += 2000 if year < 100 else 0
    parts = [str(shown[0]), str(shown[1])]
    if 2000 <= year < 2100 and str(year - 2000) in index.numeric:
        parts.append(str(year - 2000))
    try:
        return list(dict.fromkeys(index.code(p) for p in parts))
    except LabelError:
        return None


# --- mapping ------------------------------------------------------------------------

@dataclass
class ColumnRule:
    column: str  # header text as in the file
    question: str | None = None
    field: str | None = None  # submitted_at | unit | ignore
    score: float | None = None


@dataclass
class Mapping:
    template: Template
    template_path: str
    columns: list[ColumnRule]
    labels: dict[str, dict[str, str | None]]  # question -> {folded label: code or None}
    date_order: str = "auto"
    source: str = ""  # the mapping file, for messages

    def rule_for(self, header: str) -> ColumnRule | None:
        """The rule of a file column: same text folded, or a grid column's [row] text."""
        key = fold(header)
        for rule in self.columns:
            if fold(rule.column) == key:
                return rule
        grid = GRID_HEADER.match(header)
        if grid:
            row_key = fold(grid.group("row"))
            for rule in self.columns:
                if rule.question and fold(rule.column) == row_key:
                    return rule
        # "Timestamp" for "Dấu thời gian" (the other UI language), personal data, a unit column.
        known = _field_of(header)
        if known is not None:
            return ColumnRule(header, field=known, score=1.0)
        return None


def similarity(a: str, b: str) -> float:
    """0..1, accent- and case-insensitive: the better of character and word overlap."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return 0.0
    chars = SequenceMatcher(None, fa, fb, autojunk=False).ratio()
    wa, wb = set(fa.split()), set(fb.split())
    words = len(wa & wb) / len(wa | wb)
    # One text inside the other: a header with a hint added, "Câu 5. ..." numbering.
    shorter, longer = sorted((fa, fb), key=len)
    contained = CONTAINED_SCORE if len(shorter) >= CONTAINED_MIN_CHARS and shorter in longer else 0.0
    return round(max(chars, words, contained), 3)


def _header_score(header: str, question: Question) -> float:
    score = similarity(header, question.text)
    grid = GRID_HEADER.match(header)
    if grid:
        score = max(score, similarity(grid.group("row"), question.text))
    return score


def _field_of(header: str) -> str | None:
    key = fold(header)
    grid = GRID_HEADER.match(header)
    if key in TIMESTAMP_HEADERS:
        return SUBMITTED_AT
    if key in PERSONAL_HEADERS:
        return IGNORE
    if not grid and (key in UNIT_HEADERS or key.startswith(("don vi ", "xa phuong ", "phuong xa "))):
        return UNIT
    return None


def propose_columns(template: Template, headers: list[str]) -> list[ColumnRule]:
    """One rule per header: a fixed field, the best question (each used once), or nothing."""
    rules = [ColumnRule(h, field=_field_of(h), score=1.0 if _field_of(h) else None) for h in headers]
    candidates = sorted(((_header_score(h, q), i, q.id) for i, h in enumerate(headers) if rules[i].field is None
                         for q in template.questions), reverse=True)
    used_columns, used_questions = set(), set()
    for score, i, qid in candidates:
        if score < PROPOSE_MIN_SCORE:
            break
        if i in used_columns or qid in used_questions:
            continue
        rules[i].question, rules[i].score = qid, score
        used_columns.add(i)
        used_questions.add(qid)
    for i, rule in enumerate(rules):
        if rule.field is None and rule.question is None:
            best = max((_header_score(rule.column, q) for q in template.questions), default=0.0)
            rule.field, rule.score = IGNORE, best
    return rules


def propose_labels(question: Question, values: list[str]) -> list[tuple[str, str | None, float, str]]:
    """(label seen, proposed code or None, score, closest option label) for a sample's distinct labels."""
    index = LabelIndex(question)
    out = []
    for value in values:
        try:
            out.append((value, index.code(value), 1.0, ""))
            continue
        except LabelError:
            pass
        scored = sorted(((similarity(value, o.label), o) for o in question.options), key=lambda t: -t[0])
        score, option = scored[0] if scored else (0.0, None)
        code = option.code if option is not None and score >= LABEL_PROPOSE_MIN else None
        out.append((value, code, score, option.label if option else ""))
    return out


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def mapping_yaml(template: Template, template_path: str, sample: Table | None = None) -> str:
    """The proposed mapping as commented YAML, for a person to check and edit."""
    lines = [
        f"# Ánh xạ tệp xuất trực tuyến -> mẫu phiếu {template.form_id} phiên bản {template.version}.",
        "# Kiểm tra từng cột: «score» là độ giống (0–1) giữa tiêu đề cột và câu hỏi.",
        "# question: mã câu hỏi; field: submitted_at (thời điểm gửi), unit (đơn vị), ignore (bỏ qua).",
        "# labels: nhãn trả lời -> mã lựa chọn; nhãn có mã null là chưa khớp, cần điền mã trước khi nhập.",
        f"template: {_quote(template_path)}",
        "date_order: auto  # auto | dmy (ngày/tháng/năm) | mdy (tháng/ngày/năm)",
        "columns:",
    ]
    if sample is None:
        headers = ["Dấu thời gian", "Đơn vị"] + [q.text for q in template.questions]
        rules = [ColumnRule("Dấu thời gian", field=SUBMITTED_AT, score=1.0),
                 ColumnRule("Đơn vị", field=UNIT, score=1.0)]
        rules += [ColumnRule(q.text, question=q.id, score=1.0) for q in template.questions]
    else:
        headers = sample.header
        rules = propose_columns(template, headers)
    for rule in rules:
        lines.append(f"  - column: {_quote(rule.column)}")
        if rule.question:
            question = template.question(rule.question)
            lines.append(f"    question: {rule.question}  # {question.text}")
        else:
            note = {"submitted_at": "thời điểm gửi", "unit": "đơn vị",
                    "ignore": "không nhập (không khớp câu hỏi nào, hoặc là dữ liệu cá nhân)"}[rule.field]
            lines.append(f"    field: {rule.field}  # {note}")
        if rule.score is not None:
            lines.append(f"    score: {rule.score:.2f}")
    lines.append("labels:")
    mapped = {r.question: i for i, r in enumerate(rules) if r.question}
    wrote_any = False
    for question in template.questions:
        if not question.is_choice:
            continue
        if sample is not None and question.id in mapped:
            column = mapped[question.id]
            seen: list[str] = []
            for _, cells in sample.rows:
                value = cells[column] if column < len(cells) else None
                if _blank(value) or not isinstance(value, str):
                    continue
                index = LabelIndex(question)
                try:
                    parts = index.codes(value) and [value]
                except LabelError:
                    parts = [p.strip() for p in re.split(r"[;\n]|,\s", value) if p.strip()] \
                        if question.type == "multiple" else [value.strip()]
                for part in parts:
                    if part not in seen:
                        seen.append(part)
            proposals = [p for p in propose_labels(question, seen) if p[2] < 1.0]
        else:
            proposals = []
        lines.append(f"  {question.id}:  # {question.text}")
        for option in question.options:
            lines.append(f"    {_quote(option.label)}: {_quote(option.code)}")
        for value, code, score, closest in proposals:
            shown = _quote(code) if code is not None else "null"
            hint = f"gần nhất «{closest}», score {score:.2f}" if closest else f"score {score:.2f}"
            lines.append(f"    {_quote(value)}: {shown}  # từ tệp mẫu; {hint}")
        wrote_any = True
    if not wrote_any:
        lines[-1] = "labels: {}"
    return "\n".join(lines) + "\n"


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping YAML; TemplateError (file and field named) when it is not valid."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadArgumentsError(f"Không tìm thấy tệp ánh xạ: {path}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: tệp ánh xạ không phải YAML UTF-8 hợp lệ ({exc})") from None
    if not isinstance(data, dict) or "template" not in data or "columns" not in data:
        raise TemplateError(f"{path}: tệp ánh xạ cần các trường template và columns")
    template_path = str(data["template"])
    candidate = Path(template_path)
    if not candidate.exists() and (path.parent / candidate).exists():
        candidate = path.parent / candidate
    template = load_template(candidate)
    date_order = str(data.get("date_order", "auto"))
    if date_order not in DATE_ORDERS:
        raise TemplateError(f"{path}, trường date_order: «{date_order}» không hợp lệ; chọn auto, dmy hoặc mdy")
    ids = {q.id for q in template.questions}
    columns = []
    for i, raw in enumerate(data["columns"] or []):
        where = f"{path}, columns[{i}]"
        if not isinstance(raw, dict) or "column" not in raw:
            raise TemplateError(f"{where}: mỗi mục cần trường column")
        question, kind = raw.get("question"), raw.get("field")
        if (question is None) == (kind is None):
            raise TemplateError(f"{where}: cần đúng một trong hai trường question hoặc field")
        if question is not None and str(question) not in ids:
            raise TemplateError(f"{where}: câu hỏi «{question}» không có trong mẫu phiếu {template.form_id}")
        if kind is not None and kind not in FIELDS:
            raise TemplateError(f"{where}: field «{kind}» không hợp lệ; chọn {', '.join(FIELDS)}")
        columns.append(ColumnRule(nfc(str(raw["column"])), None if question is None else str(question), kind,
                                  raw.get("score")))
    labels: dict[str, dict[str, str | None]] = {}
    raw_labels = data.get("labels") or {}
    if not isinstance(raw_labels, dict):
        raise TemplateError(f"{path}, trường labels: phải là bảng câu hỏi -> {{nhãn: mã}}")
    for qid, table in raw_labels.items():
        qid = str(qid)
        if qid not in ids:
            raise TemplateError(f"{path}, labels: câu hỏi «{qid}» không có trong mẫu phiếu")
        codes = {o.code for o in template.question(qid).options}
        entries: dict[str, str | None] = {}
        for label, code in (table or {}).items():
            if code is not None and str(code) not in codes:
                raise TemplateError(f"{path}, labels.{qid}: mã «{code}» của nhãn «{label}» không phải lựa chọn "
                                    f"của câu {qid} ({', '.join(sorted(codes))})")
            entries[fold(str(label))] = None if code is None else str(code)
        labels[qid] = entries
    return Mapping(template, template_path, columns, labels, date_order, str(path))


def mapping_from_file(template: Template, template_path: str, table: Table) -> Mapping:
    """Without a mapping file: the proposal's confident columns, the template's own labels."""
    rules = [r if r.field or (r.score or 0) >= AUTO_MIN_SCORE else ColumnRule(r.column, field=IGNORE, score=r.score)
             for r in propose_columns(template, table.header)]
    return Mapping(template, template_path, rules, {}, "auto", "(tự động)")


# --- normalising rows ---------------------------------------------------------------

@dataclass
class Problem:
    row: int
    column: str
    reason: str
    value: str = ""


@dataclass
class OnlineRow:
    row: int
    submitted_at: datetime | None
    survey_date: date | None
    unit_recorded: str | None
    unit: str | None  # registry code valid on the date (or as recorded when there is no registry)
    answers: dict[str, object]  # question -> code, [codes], ISO date, text or None
    flags: set[str] = field(default_factory=set)

    def answers_sha(self, form_id: str, version: int) -> str:
        payload = json.dumps([form_id, version, fold(self.unit_recorded or ""), sorted(self.answers.items())],
                             ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def content_sha(self, form_id: str, version: int) -> str | None:
        if self.submitted_at is None:
            return None  # without a time two identical rows may be two people
        return hashlib.sha256(f"{self.answers_sha(form_id, version)}|{self.submitted_at.isoformat()}"
                              .encode()).hexdigest()


@dataclass
class Normalised:
    rows: list[OnlineRow]
    problems: list[Problem]
    rejected_rows: set[int]
    empty_rows: list[int]
    date_order: str
    date_order_reason: str
    used_columns: dict[str, str]  # header -> question id or field
    unused_columns: list[str]
    quirks: Counter


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def normalise(table: Table, mapping: Mapping, registry=None, today: date | None = None) -> Normalised:
    """Every row of ``table`` as an OnlineRow or as problems; nothing is dropped silently."""
    from .units import BLANK, OUTDATED

    template = mapping.template
    roles: dict[int, ColumnRule] = {}
    unused = []
    for i, header in enumerate(table.header):
        rule = mapping.rule_for(header)
        if rule is None or rule.field == IGNORE:
            unused.append(header)
        else:
            roles[i] = rule
    if not any(r.question for r in roles.values()):
        if table.encoding == "cp1252" and not table.legacy:
            raise InputFileError(f"{table.path}: không xác định được bảng mã của tệp (không phải UTF-8, UTF-16, "
                                 "Windows-1258, TCVN3 hay VNI) nên không đọc được tiêu đề cột; hãy mở tệp bằng "
                                 "Excel và lưu lại dạng «CSV UTF-8 (Comma delimited)»")
        raise InputFileError(f"{table.path}: không có cột nào khớp với câu hỏi của mẫu phiếu {template.form_id}; "
                             "hãy tạo tệp ánh xạ bằng «omr online mapping» rồi nhập với --mapping")
    used = {table.header[i]: (r.question or r.field) for i, r in roles.items()}
    time_columns = [i for i, r in roles.items() if r.field == SUBMITTED_AT]
    unit_columns = [i for i, r in roles.items() if r.field == UNIT]
    questions = {q.id: q for q in template.questions}
    date_columns = [i for i, r in roles.items() if r.question and questions[r.question].type == "date"]

    quirks: Counter = Counter()
    pairs: list[tuple[int, int]] = []
    stamp_texts: list[tuple[tuple[int, int], str]] = []
    for number, cells in table.rows:
        for i in time_columns + date_columns:
            parts = slash_parts(cells[i])
            if parts:
                pairs.append(parts)
                if i in time_columns:
                    stamp_texts.append((parts, cells[i]))
    if mapping.date_order != "auto":
        order, why = mapping.date_order, "theo tệp ánh xạ"
    else:
        order, why = decide_date_order(pairs, stamp_texts)
    indexes = {qid: LabelIndex(q, mapping.labels.get(qid, {})) for qid, q in questions.items() if q.is_choice}

    rows, problems, rejected, empty = [], [], set(), []
    for number, cells in table.rows:
        def value_of(i, cells=cells):
            return cells[i] if i < len(cells) else None

        if all(_blank(value_of(i)) for i in roles):
            empty.append(number)
            continue
        issues: list[Problem] = []
        flags: set[str] = set()
        submitted = None
        for i in time_columns:
            value = value_of(i)
            if _blank(value):
                continue
            try:
                submitted = parse_timestamp(value, order)
            except (ValueError, OverflowError):
                issues.append(Problem(number, table.header[i], "thời điểm gửi không đọc được", _cell_text(value)))
                continue
            parts = slash_parts(value)
            if parts and ((order == "dmy" and parts[1] > 12) or (order == "mdy" and parts[0] > 12)):
                issues.append(Problem(number, table.header[i], "ngày/tháng ngược với thứ tự của cả tệp",
                                      _cell_text(value)))
            if isinstance(value, (int, float)) or (isinstance(value, str) and NUMBER.match(value.strip())):
                quirks["excel_serial_time"] += 1
        answers: dict[str, object] = {}
        for i, rule in roles.items():
            if not rule.question:
                continue
            question = questions[rule.question]
            value = value_of(i)
            header = table.header[i]
            if _blank(value):
                answers.setdefault(question.id, None)
                continue
            text = _cell_text(value)
            try:
                if question.type == "text":
                    answers[question.id] = nfc(text)
                elif question.type == "date":
                    answers[question.id] = parse_day(value, order).isoformat()
                elif question.type == "multiple":
                    repaired = None
                    if isinstance(value, datetime) or (SLASH_DATE.match(text) and not _label_known(indexes, question, text)):
                        repaired = excel_date_codes(value, indexes[question.id], order)
                        if repaired is None:
                            raise LabelError(f"ô bị Excel đổi thành ngày «{text}», không khôi phục được mã")
                        flags.add(FLAG_EXCEL_REPAIRED)
                        quirks["excel_date_repaired"] += 1
                    codes = repaired or indexes[question.id].codes(text)
                    previous = answers.get(question.id) or []
                    answers[question.id] = list(dict.fromkeys(list(previous) + codes))
                else:
                    if isinstance(value, (datetime, date)):
                        raise LabelError(f"ô chứa ngày «{text}» thay vì một lựa chọn")
                    code = indexes[question.id].code(text)
                    if answers.get(question.id) not in (None, code):
                        raise LabelError(f"câu {question.id} có hai câu trả lời khác nhau")
                    answers[question.id] = code
                    if _whole(text) is not None and text != code and fold(text) not in indexes[question.id].known:
                        quirks["number_as_code"] += 1
            except LabelError as exc:
                issues.append(Problem(number, header, str(exc), text))
            except (ValueError, OverflowError):
                issues.append(Problem(number, header, "ngày không đọc được", text))
        for qid in questions:
            answers.setdefault(qid, None)
        survey_day = None
        date_question = next((q for q in template.questions if q.type == "date"), None)
        if date_question is not None and answers.get(date_question.id):
            survey_day = date.fromisoformat(answers[date_question.id])
        recorded = None
        unit = None
        for i in unit_columns:
            if not _blank(value_of(i)):
                recorded = nfc(_cell_text(value_of(i)))
                header = table.header[i]
        if recorded is not None:
            if registry is None or len(registry) == 0:
                unit = recorded
            else:
                on = survey_day or (submitted.date() if submitted else None)
                found = registry.resolve(recorded, on, today)
                if found.status == OUTDATED:
                    flags.add(FLAG_UNIT_OUTDATED)
                    quirks["unit_outdated"] += 1
                if found.accepted and found.status != BLANK:
                    unit = found.unit.code
                else:
                    issues.append(Problem(number, header, _unit_reason(found, on), recorded))
        if issues:
            problems.extend(issues)
            rejected.add(number)
            continue
        rows.append(OnlineRow(number, submitted, survey_day, recorded, unit, answers, flags))
    if table.legacy:
        for row in rows:
            row.flags.add(FLAG_LEGACY)
    return Normalised(rows, problems, rejected, empty, order, why, used, unused, quirks)


def _label_known(indexes: dict, question: Question, text: str) -> bool:
    try:
        indexes[question.id].codes(text)
        return True
    except LabelError:
        return False


def _unit_reason(found, on: date | None) -> str:
    from .units import AMBIGUOUS, NOT_YET

    day = on.strftime("%d/%m/%Y") if on else "không rõ ngày"
    if found.status == AMBIGUOUS:
        names = "; ".join(f"{u.name} ({u.code})" for u in found.candidates[:5])
        return f"đơn vị khớp nhiều đơn vị vào ngày {day}: {names}"
    if found.status == NOT_YET:
        return f"đơn vị chưa tồn tại vào ngày {day}"
    return "đơn vị không có trong danh mục đơn vị (omr units import)"


# --- importing ------------------------------------------------------------------

@dataclass
class ImportReport:
    path: str
    source: str
    rows: int
    imported: int
    already: int  # rows of this file imported before
    seen_elsewhere: int  # the same submission imported from another file of the source
    repeated: int  # flagged as a repeated submission
    rejected: int
    empty: int
    problems: list[Problem]
    rejects_path: str | None
    table: Table
    normalised: Normalised
    registry_empty: bool


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def pick_template(folder: str | Path, table: Table) -> tuple[Template, str]:
    """The template in ``folder`` whose questions match the most columns (no mapping given)."""
    folder = Path(folder)
    best = None
    for path in sorted(folder.glob("*.yaml")):
        template = load_template(path)
        matched = sum(1 for r in propose_columns(template, table.header) if r.question
                      and (r.score or 0) >= AUTO_MIN_SCORE)
        if best is None or matched > best[0]:
            best = (matched, template, str(path))
    if best is None:
        raise TemplateError(f"Không tìm thấy mẫu phiếu nào trong {folder}")
    return best[1], best[2]


def import_online(store, path: str | Path, source: str, mapping: Mapping | None = None,
                  templates: str | Path = "form_templates", rejects: str | Path | None = None,
                  today: date | None = None) -> ImportReport:
    """Import one export file as online responses of ``source``; see the module docstring."""
    from .units import load_registry

    if not source or not source.strip():
        raise BadArgumentsError("Cần tên nguồn (--source), ví dụ google-forms-2026")
    path = Path(path)
    table = read_table(path)
    registry = load_registry(store)
    if mapping is None:
        template, template_path = pick_template(templates, table)
        repair_lossy_table(table, template, None, registry)
        mapping = mapping_from_file(template, template_path, table)
    else:
        repair_lossy_table(table, mapping.template, mapping, registry)
    result = normalise(table, mapping, registry, today)
    sha = file_sha256(path)
    details = {"encoding": table.encoding, "separator": table.separator, "header_row": table.header_row,
               "date_order": result.date_order, "legacy": table.legacy, "mapping": mapping.source,
               "columns": result.used_columns}
    counts = record_online(store, path, sha, source.strip(), mapping.template, result.rows, len(table.rows),
                           details)
    rejects_path = None
    if result.problems:
        rejects_path = Path(rejects) if rejects else Path("outputs") / f"{path.stem}.rejects.csv"
        write_rejects(rejects_path, str(path), result.problems)
    return ImportReport(str(path), source.strip(), len(table.rows), counts["imported"], counts["already"],
                        counts["seen_elsewhere"], counts["repeated"], len(result.rejected_rows),
                        len(result.empty_rows), result.problems, None if rejects_path is None else str(rejects_path),
                        table, result, len(registry) == 0)


def repair_lossy_table(table: Table, template: Template, mapping: Mapping | None, registry) -> None:
    """In a Windows-1258 table, put back letters a lossy save replaced by "?" (see omr.windows1258).

    Words are repaired against the template's questions and labels, the
    mapping's column headers and the registry's unit names; the counts land
    in ``table.lossy_words`` for the summary.
    """
    if table.encoding != "cp1258":
        return
    texts = [template.title, *template.header, *[q.text for q in template.questions],
             *[o.label for q in template.questions for o in q.options],
             *[u.name for u in getattr(registry, "units", [])]]
    if mapping is not None:
        texts += [r.column for r in mapping.columns]
    words = vocabulary(texts)
    phrases = {fold(t): t for t in texts if isinstance(t, str)}
    if mapping is not None:
        for labels in mapping.labels.values():
            for key in labels:
                phrases.setdefault(key, key)
    repaired = left = 0

    def fix(value):
        nonlocal repaired, left
        if not isinstance(value, str) or "?" not in value:
            return value
        text, fixed, unfixed = repair_lossy_text(value, words, phrases)
        repaired, left = repaired + fixed, left + unfixed
        return text

    table.header = [fix(h) for h in table.header]
    table.rows = [(number, [fix(c) for c in cells]) for number, cells in table.rows]
    table.lossy_words = (repaired, left)


def write_rejects(path: Path, source_file: str, problems: list[Problem]) -> None:
    """The rejects as CSV (UTF-8 with BOM for Excel): file, row, column, reason, value."""
    from .export import neutralise

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tệp", "dòng", "cột", "lý do", "giá trị"])
        for p in problems:
            writer.writerow([neutralise(source_file), p.row, neutralise(p.column), p.reason, neutralise(p.value)])


def record_online(store, path: Path, sha: str, source: str, template: Template, rows: list[OnlineRow],
                  total_rows: int, details: dict) -> dict:
    """Store the rows in one transaction; counts: imported, already, seen_elsewhere, repeated."""
    import sqlalchemy as sa

    from .store import add_flag, answers, encode_value, import_files, responses

    def work(conn) -> dict:
        now = datetime.now(UTC)
        found = conn.execute(sa.select(import_files.c.id).where(import_files.c.sha256 == sha)).first()
        if found is None:
            file_id = conn.execute(import_files.insert().values(
                path=str(path), sha256=sha, size=path.stat().st_size, source=source, rows=total_rows,
                details=json.dumps(details, ensure_ascii=False, default=str), created_at=now)).inserted_primary_key[0]
        else:
            file_id = found.id
        done_rows = set(conn.execute(sa.select(responses.c.source_row)
                                     .where(responses.c.import_file_id == file_id)).scalars())
        earlier = conn.execute(sa.select(responses.c.id, responses.c.answers_sha, responses.c.content_sha,
                                         responses.c.submitted_at, responses.c.flags)
                               .where(responses.c.channel == "online", responses.c.source == source)).all()
        contents = {r.content_sha for r in earlier if r.content_sha}
        times_of: dict[str, list[datetime]] = {}
        for r in earlier:
            if r.submitted_at is not None:
                stamp = r.submitted_at if r.submitted_at.tzinfo else r.submitted_at.replace(tzinfo=UTC)
                times_of.setdefault(r.answers_sha, []).append(stamp)
        counts = {"imported": 0, "already": 0, "seen_elsewhere": 0, "repeated": 0}
        for row in rows:
            if row.row in done_rows:
                counts["already"] += 1
                continue
            answers_sha = row.answers_sha(template.form_id, template.version)
            content_sha = row.content_sha(template.form_id, template.version)
            if content_sha is not None and content_sha in contents:
                counts["seen_elsewhere"] += 1
                continue
            flags = ""
            for flag in sorted(row.flags):
                flags = add_flag(flags, flag)
            if row.submitted_at is not None and any(
                    abs(row.submitted_at - t) <= DUPLICATE_WINDOW for t in times_of.get(answers_sha, [])):
                flags = add_flag(flags, FLAG_DUPLICATE)
                counts["repeated"] += 1
            response_id = conn.execute(responses.insert().values(
                form_id=template.form_id, version=template.version, serial=None, unit=row.unit,
                pages_expected=None, flags=flags, created_at=now, channel="online", source=source,
                import_file_id=file_id, source_row=row.row,
                # UTC: SQLite keeps no zone and hands back naive times, read as UTC.
                submitted_at=None if row.submitted_at is None else row.submitted_at.astimezone(UTC),
                unit_recorded=row.unit_recorded, answers_sha=answers_sha, content_sha=content_sha,
            )).inserted_primary_key[0]
            conn.execute(answers.insert(), [
                {"response_id": response_id, "question": qid, "value": encode_value(value),
                 "status": "blank" if value in (None, [], "") else "ok", "confidence": 1.0,
                 "source_page_id": None, "set_by": IMPORTED_BY, "updated_at": now}
                for qid, value in row.answers.items()])
            if content_sha is not None:
                contents.add(content_sha)
            if row.submitted_at is not None:
                times_of.setdefault(answers_sha, []).append(row.submitted_at)
            counts["imported"] += 1
        return counts

    return store.writing(work)


# --- the summary -------------------------------------------------------------------

ENCODING_NAMES = {"utf-8": "UTF-8 (không BOM)", "utf-8-sig": "UTF-8 có BOM", "utf-16": "UTF-16",
                  "cp1252": "không phải Unicode (đọc theo Windows-1252)", "xlsx": "XLSX",
                  "cp1258": "Windows-1258 (CSV của Excel trên Windows tiếng Việt)"}
SEPARATOR_NAMES = {",": "dấu phẩy", ";": "dấu chấm phẩy", "\t": "tab", "|": "dấu |"}


def format_report(report: ImportReport) -> str:
    """The Vietnamese end-of-import summary."""
    table, norm = report.table, report.normalised
    lines = [f"Tệp {report.path} — nguồn «{report.source}»"]
    shape = ENCODING_NAMES.get(table.encoding, table.encoding)
    if table.separator:
        shape += f", phân cách bằng {SEPARATOR_NAMES.get(table.separator, table.separator)}"
    if table.header_row > 1:
        shape += f", tiêu đề ở dòng {table.header_row}"
    lines.append(f"  Định dạng: {shape}")
    if table.legacy:
        kinds = ", ".join(f"{n} ô {k.upper()}" for k, n in sorted(table.legacy.items()))
        lines.append(f"  Đã chuyển mã cũ sang Unicode: {kinds}")
    repaired, left = table.lossy_words
    if repaired or left:
        lines.append(f"  Tệp Windows-1258 bị mất chữ (Excel ghi «?» thay chữ có dấu): khôi phục {repaired} từ"
                     + (f"; {left} từ không khôi phục được (hãy lưu lại tệp dạng «CSV UTF-8»)" if left else ""))
    lines.append(f"  Thứ tự ngày: {'ngày/tháng' if norm.date_order == 'dmy' else 'tháng/ngày'} ({norm.date_order_reason})")
    lines.append(f"  Cột dùng: {len(norm.used_columns)}; cột bỏ qua: {len(norm.unused_columns)}"
                 + (f" ({'; '.join(norm.unused_columns[:6])}{' …' if len(norm.unused_columns) > 6 else ''})"
                    if norm.unused_columns else ""))
    lines.append(f"  Dòng dữ liệu: {report.rows}; đã nhập mới: {report.imported}; đã có từ lần nhập trước: "
                 f"{report.already}; trùng bài đã nhập từ tệp khác: {report.seen_elsewhere}")
    if report.repeated:
        lines.append(f"  Gửi lặp lại trong vòng {int(DUPLICATE_WINDOW.total_seconds() // 60)} phút "
                     f"(đã nhập, gắn cờ {FLAG_DUPLICATE}): {report.repeated}")
    if report.empty:
        lines.append(f"  Dòng trống (bỏ qua): {report.empty}")
    for key, text in (("excel_date_repaired", "ô mã bị Excel đổi thành ngày, đã khôi phục"),
                      ("excel_serial_time", "thời điểm dạng số ngày Excel"),
                      ("unit_outdated", "đơn vị ghi tên cũ, đã quy về đơn vị kế thừa"),
                      ("number_as_code", "mã bị mất số 0 đầu hoặc dạng số thập phân")):
        if norm.quirks.get(key):
            lines.append(f"  {text[0].upper() + text[1:]}: {norm.quirks[key]}")
    if report.registry_empty:
        lines.append("  Chưa có danh mục đơn vị: đơn vị được giữ nguyên như ghi trong tệp (omr units import)")
    if report.rejected:
        lines.append(f"  Bị từ chối: {report.rejected} dòng ({len(report.problems)} lỗi), xem {report.rejects_path}")
        for problem in report.problems[:5]:
            lines.append(f"    dòng {problem.row}, cột «{problem.column}»: {problem.reason}")
        if len(report.problems) > 5:
            lines.append("    …")
        lines.append("  Sửa tệp ánh xạ hoặc danh mục rồi nhập lại: các dòng đã nhập không bị nhập hai lần.")
    else:
        lines.append("  Bị từ chối: 0")
    return "\n".join(lines)
