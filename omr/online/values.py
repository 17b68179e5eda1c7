"""Reading one cell of an online export: timestamps, days, and answer labels to option codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from itertools import pairwise

from omr import tuning as T
from omr.forms.template import Question
from omr.model import VN_TZ
from omr.text.normalise import fold

EXCEL_EPOCH = datetime(1899, 12, 30)
SLASH_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T,]+(.*))?$")
YEAR_FIRST = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[ T,]+(.*))?$")
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(am|pm|sa|ch|a\.m\.|p\.m\.)?$", re.IGNORECASE)
ZONE = re.compile(r"\s*\(?(?:gmt|utc)\s*([+\-])\s*(\d{1,2})(?::?(\d{2}))?\)?\s*$", re.IGNORECASE)
NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
WHOLE_NUMBER = re.compile(r"^0*(\d+)(?:[.,]0+)?$")

# --- dates and times ----------------------------------------------------------------

def excel_serial(value: float) -> datetime | None:
    if T.ONLINE_EXCEL_SERIAL_RANGE[0] <= value <= T.ONLINE_EXCEL_SERIAL_RANGE[1]:
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


class UnknownLabelError(LabelError):
    """A label with no code: not an option of the question, or left ``null`` in the mapping file.

    A mapping proposed from the export itself (``omr online mapping … --sample FILE``)
    lists every label the file uses, so the import message points there.
    """


def whole_number_text(text: str) -> str | None:
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
        self.numeric = {whole_number_text(o.code): o.code for o in self.question.options if whole_number_text(o.code) is not None}

    def code(self, text: str) -> str:
        key = fold(text)
        if key in self.mapped:
            code = self.mapped[key]
            if code is None:
                raise UnknownLabelError(f"nhãn «{text}» chưa được gán mã trong tệp ánh xạ")
            return code
        if key in self.known:
            return self.known[key]
        whole = whole_number_text(text)
        if whole is not None and whole in self.numeric:  # "01" for code "1", "4.0" from a number cell
            return self.numeric[whole]
        raise UnknownLabelError(f"nhãn «{text}» không có trong các lựa chọn của câu {self.question.id}")

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
                raise UnknownLabelError(f"nhãn «{pieces[i]}» không có trong các lựa chọn của câu {self.question.id}")
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


