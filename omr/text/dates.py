"""Days as Vietnamese people type them: dd/mm/yyyy first (15/09/2025, also 5/9/2025, 15.09.2025 or
15-09-2025), or ISO yyyy-mm-dd; the one parser of the web app's and the command line's date fields."""

from __future__ import annotations

import re
from datetime import date

from omr.text.normalise import quoted

DMY = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$")
ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
# How a message names the accepted forms, in Vietnamese.
ACCEPTED = "ngày/tháng/năm (ví dụ 15/09/2025) hoặc năm-tháng-ngày (2025-09-15)"


def parse_day(text: str | None) -> date | None:
    """A day typed as dd/mm/yyyy (also d/m/yyyy, with '.' or '-') or as ISO yyyy-mm-dd; None for empty.

    Raises ValueError for anything else, or a day that does not exist (31/02/2026).
    """
    text = (text or "").strip()
    if not text:
        return None
    iso = ISO.match(text)
    if iso:
        return date(int(iso[1]), int(iso[2]), int(iso[3]))
    dmy = DMY.match(text)
    if dmy:
        return date(int(dmy[3]), int(dmy[2]), int(dmy[1]))
    raise ValueError(text)


def not_a_day(text: str) -> str:
    """Why ``text`` is no day, in Vietnamese, lower case (a caller capitalises it): nothing typed is said
    as such («chưa nhập ngày», never ««» không phải một ngày»), a day the calendar lacks too («tháng 2 năm
    2026 chỉ có 28 ngày»), not as a wrong way of writing one; the typed text is quoted once («mai», even
    when typed with its own quote marks).

    >>> not_a_day("  ")
    'chưa nhập ngày: hãy viết ngày/tháng/năm (ví dụ 15/09/2025) hoặc năm-tháng-ngày (2025-09-15)'
    >>> not_a_day('"mai"')
    '«mai» không phải một ngày: hãy viết ngày/tháng/năm (ví dụ 15/09/2025) hoặc năm-tháng-ngày (2025-09-15)'

    >>> not_a_day("31/02/2026")
    'ngày 31/02/2026 không có trong lịch: tháng 2 năm 2026 chỉ có 28 ngày'
    >>> not_a_day("15/13/2026")
    'ngày 15/13/2026 không có trong lịch: không có tháng 13'
    >>> not_a_day("mai")
    '«mai» không phải một ngày: hãy viết ngày/tháng/năm (ví dụ 15/09/2025) hoặc năm-tháng-ngày (2025-09-15)'
    """
    if not (text or "").strip():
        return f"chưa nhập ngày: hãy viết {ACCEPTED}"
    parts = None
    iso, dmy = ISO.match(text or ""), DMY.match(text or "")
    if iso:
        parts = int(iso[3]), int(iso[2]), int(iso[1])
    elif dmy:
        parts = int(dmy[1]), int(dmy[2]), int(dmy[3])
    if parts is None:
        return f"{quoted(text)} không phải một ngày: hãy viết {ACCEPTED}"
    day, month, year = parts
    shown = f"{day:02d}/{month:02d}/{year}"
    if not 1 <= month <= 12:
        return f"ngày {shown} không có trong lịch: không có tháng {month}"
    if day < 1:
        return f"ngày {shown} không có trong lịch: không có ngày {day}"
    if not 1 <= year <= 9999:
        return f"ngày {shown} không có trong lịch: năm {year} không hợp lệ"
    last = (date(year + (month == 12), month % 12 + 1, 1) - date(year, month, 1)).days if year < 9999 or month < 12 \
        else 31
    return f"ngày {shown} không có trong lịch: tháng {month} năm {year} chỉ có {last} ngày"

