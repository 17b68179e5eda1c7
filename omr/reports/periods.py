"""Reporting periods and the date each response counts on.

Administrative-reform reports cut data off from the 15th of the month before
to the 14th of the period's last month (Decree 09/2019/NĐ-CP convention; see
shared/docs/domain.md), so a form dated 20/12/2025 belongs to report-year
2026. Some offices use calendar periods instead (``calendar=True``).

Period labels, as typed on the command line: ``2026-11`` (a month),
``2026-Q3`` (a quarter), ``2026-6M`` and ``2026-9M`` (the first 6 and 9
months), ``2026`` (the year).

A response counts on one date, taken from the first source that has it:

1. ``form``: the survey date read from the form (its ``date`` question with
   status ok: a date still awaiting review does not count yet);
2. ``batch``: the collection dates typed when its batch was scanned — the
   last collection day, so forms of a batch that straddles a cut-off go to
   the later period, the convention's rule for late data;
3. ``online``: the day (UTC+7) an online response was submitted.

A response with none of them has no date and falls in no period; reports
count such responses separately.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from omr.errors import BadArgumentsError

# The cut-off day: the reform reports count from the 15th of the month before
# to the 14th (Decree 09/2019/NĐ-CP). Offices that count differently use
# calendar periods (calendar=True).
CUTOFF_DAY = 15

CUTOFF, CALENDAR = "cutoff", "calendar"
MONTH, QUARTER, HALF, NINE, YEAR = "month", "quarter", "6M", "9M", "year"

DATE_SOURCES = {
    "form": "ngày ghi trên phiếu",
    "batch": "ngày thu phiếu của đợt quét",
    "online": "thời điểm gửi trực tuyến",
}
ROMAN = ("I", "II", "III", "IV")
_LABEL = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{1,2})|[Qq](?P<quarter>[1-4])|(?P<months>[69])[Mm]))?$")


@dataclass(frozen=True)
class Period:
    """A reporting period: ``start`` and ``end`` are both counted (inclusive)."""

    label: str  # canonical: 2026, 2026-Q3, 2026-6M, 2026-9M, 2026-11
    kind: str  # month | quarter | 6M | 9M | year
    year: int
    index: int  # month 1-12 or quarter 1-4 (0 for 6M, 9M, year)
    start: date
    end: date
    convention: str = CUTOFF  # cutoff | calendar

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def title(self) -> str:
        """The period in words, as a report heading says it."""
        if self.kind == MONTH:
            name = f"Tháng {self.index} năm {self.year}"
        elif self.kind == QUARTER:
            name = f"Quý {ROMAN[self.index - 1]} năm {self.year}"
        elif self.kind == HALF:
            name = f"6 tháng đầu năm {self.year}"
        elif self.kind == NINE:
            name = f"9 tháng năm {self.year}"
        else:
            name = f"Năm {self.year}"
        return name

    @property
    def span(self) -> str:
        """``15/06/2026 – 14/09/2026``."""
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"

    @property
    def convention_text(self) -> str:
        if self.convention == CALENDAR:
            return "theo tháng dương lịch"
        return f"chốt số liệu từ ngày {CUTOFF_DAY} tháng trước đến ngày {CUTOFF_DAY - 1} tháng cuối kỳ"


def _month_start(year: int, month: int, convention: str) -> date:
    """First day of report-month ``month``: the 15th of the month before, or the 1st."""
    if convention == CALENDAR:
        return date(year, month, 1)
    if month == 1:
        return date(year - 1, 12, CUTOFF_DAY)
    return date(year, month - 1, CUTOFF_DAY)


def _month_end(year: int, month: int, convention: str) -> date:
    """Last day of report-month ``month``: the 14th, or the month's last day."""
    if convention == CALENDAR:
        following = date(year + month // 12, month % 12 + 1, 1)
        return following - timedelta(days=1)
    return date(year, month, CUTOFF_DAY - 1)


def make_period(kind: str, year: int, index: int = 0, convention: str = CUTOFF) -> Period:
    if convention not in (CUTOFF, CALENDAR):
        raise ValueError(f"unknown convention {convention!r}")
    if kind == MONTH:
        first, last, label = index, index, f"{year}-{index:02d}"
    elif kind == QUARTER:
        first, last, label = 3 * index - 2, 3 * index, f"{year}-Q{index}"
    elif kind in (HALF, NINE):
        first, last, label = 1, 6 if kind == HALF else 9, f"{year}-{kind}"
    elif kind == YEAR:
        first, last, label = 1, 12, str(year)
    else:
        raise ValueError(f"unknown period kind {kind!r}")
    return Period(label, kind, year, index, _month_start(year, first, convention),
                  _month_end(year, last, convention), convention)


def parse_period(text: str, calendar: bool = False) -> Period:
    """The period a user typed; raises BadArgumentsError with the accepted forms."""
    match = _LABEL.match((text or "").strip())
    convention = CALENDAR if calendar else CUTOFF
    problem = (f"Kỳ báo cáo «{text}» không hợp lệ; dùng một trong: 2026-11 (tháng), 2026-Q3 (quý), "
               "2026-6M (6 tháng), 2026-9M (9 tháng), 2026 (năm)")
    if not match:
        raise BadArgumentsError(problem)
    year = int(match["year"])
    if not 2000 <= year <= 2100:
        raise BadArgumentsError(problem)
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise BadArgumentsError(problem)
        return make_period(MONTH, year, month, convention)
    if match["quarter"]:
        return make_period(QUARTER, year, int(match["quarter"]), convention)
    if match["months"]:
        return make_period(HALF if match["months"] == "6" else NINE, year, 0, convention)
    return make_period(YEAR, year, 0, convention)


def previous_period(period: Period) -> Period:
    """The period a report compares with.

    A month or quarter compares with the one just before; 6 months, 9 months
    and a year compare with the same period of the year before (the reform
    reports' "so với cùng kỳ").
    """
    if period.kind == MONTH:
        year, month = (period.year - 1, 12) if period.index == 1 else (period.year, period.index - 1)
        return make_period(MONTH, year, month, period.convention)
    if period.kind == QUARTER:
        year, quarter = (period.year - 1, 4) if period.index == 1 else (period.year, period.index - 1)
        return make_period(QUARTER, year, quarter, period.convention)
    return make_period(period.kind, period.year - 1, period.index, period.convention)


def report_year(day: date, calendar: bool = False) -> int:
    """The report-year a day belongs to: 20/12/2025 -> 2026 under the cut-off convention."""
    if calendar:
        return day.year
    return day.year + 1 if (day.month, day.day) >= (12, CUTOFF_DAY) else day.year


def period_of_day(day: date, kind: str = MONTH, calendar: bool = False) -> Period:
    """The month (or quarter, or year) containing ``day``."""
    convention = CALENDAR if calendar else CUTOFF
    year = report_year(day, calendar)
    if calendar:
        month = day.month
    else:
        month = 1 if year > day.year else (day.month + 1 if day.day >= CUTOFF_DAY else day.month)
    if kind == MONTH:
        return make_period(MONTH, year, month, convention)
    if kind == QUARTER:
        return make_period(QUARTER, year, (month - 1) // 3 + 1, convention)
    return make_period(YEAR, year, 0, convention)


def response_dates(frame):
    """The date each response counts on and its source, vectorised.

    ``frame`` has columns ``form_date`` (ISO text of an ok survey date, or
    null), ``batch_from`` and ``batch_to`` (dates or null) and
    ``submitted_at`` (UTC timestamps or null). Returns (dates as
    ``datetime64[ns]`` normalised to the day, NaT when unknown; sources as
    a ``category`` Series: form | batch | online | null).
    """
    import pandas as pd  # lazy: a heavy dependency, loaded only where used

    form = pd.to_datetime(frame["form_date"], format="%Y-%m-%d", errors="coerce")
    batch = pd.to_datetime(frame["batch_to"], errors="coerce").fillna(
        pd.to_datetime(frame["batch_from"], errors="coerce"))
    submitted = pd.to_datetime(frame["submitted_at"], utc=True, errors="coerce")
    # Vietnam keeps UTC+7 all year (no daylight saving).
    online = (submitted.dt.tz_convert(None) + pd.Timedelta(hours=7)).dt.normalize()
    source = pd.Series(pd.NA, index=frame.index, dtype="object")
    source = source.mask(online.notna(), "online").mask(batch.notna(), "batch").mask(form.notna(), "form")
    day = form.fillna(batch).fillna(online)
    return day, source.astype(pd.CategoricalDtype(list(DATE_SOURCES)))
