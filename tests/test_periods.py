"""Reporting periods: the 15th-to-14th cut-off convention, calendar periods, each response's date."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from omr.errors import BadArgumentsError
from omr.reports.periods import parse_period, period_of_day, previous_period, report_year, response_dates


@pytest.mark.parametrize("label, start, end", [
    ("2026-11", date(2026, 10, 15), date(2026, 11, 14)),
    ("2026-01", date(2025, 12, 15), date(2026, 1, 14)),
    ("2026-Q1", date(2025, 12, 15), date(2026, 3, 14)),
    ("2026-Q3", date(2026, 6, 15), date(2026, 9, 14)),
    ("2026-q4", date(2026, 9, 15), date(2026, 12, 14)),
    ("2026-6M", date(2025, 12, 15), date(2026, 6, 14)),
    ("2026-9M", date(2025, 12, 15), date(2026, 9, 14)),
    ("2026", date(2025, 12, 15), date(2026, 12, 14)),
])
def test_cutoff_periods_match_the_decree_table(label, start, end):
    period = parse_period(label)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("label, start, end", [
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2026-6M", date(2026, 1, 1), date(2026, 6, 30)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
])
def test_calendar_periods(label, start, end):
    period = parse_period(label, calendar=True)
    assert (period.start, period.end) == (start, end)


def test_edge_days_and_report_year():
    q3 = parse_period("2026-Q3")
    assert q3.contains(date(2026, 6, 15)) and q3.contains(date(2026, 9, 14))
    assert not q3.contains(date(2026, 6, 14)) and not q3.contains(date(2026, 9, 15))
    assert report_year(date(2025, 12, 20)) == 2026 and report_year(date(2025, 12, 14)) == 2025
    assert report_year(date(2025, 12, 20), calendar=True) == 2025
    assert period_of_day(date(2025, 12, 20)).label == "2026-01"
    assert period_of_day(date(2026, 6, 15), "quarter").label == "2026-Q3"
    assert period_of_day(date(2026, 6, 14), "quarter").label == "2026-Q2"
    assert parse_period("2026").contains(date(2025, 12, 20))


def test_previous_periods_and_titles():
    assert previous_period(parse_period("2026-Q1")).label == "2025-Q4"
    assert previous_period(parse_period("2026-01")).label == "2025-12"
    assert previous_period(parse_period("2026-9M")).label == "2025-9M"  # the same period a year before
    assert parse_period("2026-Q3").title == "Quý III năm 2026"
    assert parse_period("2026-6M").title == "6 tháng đầu năm 2026"
    assert parse_period("2026-Q3").span == "15/06/2026 – 14/09/2026"


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "26-Q1", "2026-7M", "", "quý 3"])
def test_bad_period_is_one_vietnamese_message(text):
    with pytest.raises(BadArgumentsError, match="Kỳ báo cáo"):
        parse_period(text)


def test_response_dates_prefer_form_then_batch_then_online():
    frame = pd.DataFrame({
        "form_date": [date(2026, 9, 14), None, None, None],
        "batch_from": [date(2026, 9, 1), date(2026, 9, 1), None, None],
        "batch_to": [date(2026, 9, 20), date(2026, 9, 20), None, None],
        # 14/09 18:30 UTC is already 15/09 in Vietnam (UTC+7).
        "submitted_at": [None, None, pd.Timestamp("2026-09-14 18:30", tz="UTC"), None],
    })
    day, source = response_dates(frame)
    assert list(day.dt.date.astype(object).where(day.notna(), None)) == [
        date(2026, 9, 14), date(2026, 9, 20), date(2026, 9, 15), None]
    assert list(source.astype(object).where(source.notna(), None)) == ["form", "batch", "online", None]
