"""Days as Vietnamese people type them: dd/mm/yyyy first (15/09/2025, also 5/9/2025, 15.09.2025 or
15-09-2025), or ISO yyyy-mm-dd; the one parser of the web app's and the command line's date fields."""

from __future__ import annotations

import re
from datetime import date

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
