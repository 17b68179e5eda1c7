"""The heading of the DOCX report as a Vietnamese administrative document (Decree 30/2020/NĐ-CP, Appendix I).

Who issues it (the issuing body and the body above it), its number and
symbol, the place and date, and who signs: taken from the unit registry
where it can be, otherwise left as the dotted blanks the Decree's templates
show, for the office to fill in. Nothing here is guessed: a body the
registry does not name is printed as "TÊN CƠ QUAN, TỔ CHỨC".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

BLANK_BODY = "TÊN CƠ QUAN, TỔ CHỨC"
BLANK_PLACE = "……………"
# "Số: ……/BC-UBND": the number is given by the office's clerk (văn thư) when the report is issued.
NUMBER_SYMBOL = "Số: ……/BC-UBND"
KIND_PREFIX = re.compile(r"^(phường|xã|thị trấn|đặc khu|thành phố|tỉnh|quận|huyện|thị xã)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class DocumentHeading:
    """``superior``: the body above the issuer ("" when none is printed); ``issuer``: e.g.
    "ỦY BAN NHÂN DÂN PHƯỜNG CAO LÃNH" as two lines; ``place``: the place name of the date line;
    ``signer_title``: e.g. ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"); ``signer_name``: "" to sign by hand."""

    superior: str
    issuer: tuple[str, ...]
    place: str
    number_symbol: str = NUMBER_SYMBOL
    signer_title: tuple[str, ...] = ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    signer_name: str = ""
    day: date | None = None

    def date_line(self) -> str:
        """"Cao Lãnh, ngày 05 tháng 3 năm 2026": day below 10 and month below 3 with a leading zero (Decree 30)."""
        day = self.day or date.today()
        month = f"{day.month:02d}" if day.month < 3 else str(day.month)
        return f"{self.place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def place_of(name: str) -> str:
    """'Phường Cao Lãnh' -> 'Cao Lãnh' (the place name without the unit's kind)."""
    return KIND_PREFIX.sub("", name.strip()) or name.strip()


def heading_for(units, unit_code: str | None, reported_codes: list[str], day: date | None = None,
                issuer: str | None = None, place: str | None = None) -> DocumentHeading:
    """The heading of a report on ``unit_code`` (or on all of ``reported_codes``) from registry rows.

    One unit: its People's Committee issues the report. All units: the
    People's Committee of the parent they share in the registry, if any.
    ``issuer`` and ``place`` override what the registry gives.
    """
    latest: dict[str, object] = {}
    for unit in units:
        if unit.code not in latest or (unit.valid_from or date.min) >= (latest[unit.code].valid_from or date.min):
            latest[unit.code] = unit

    def name(code):
        return latest[code].name if code in latest else None

    if unit_code is not None:
        body = latest.get(unit_code)
    else:
        parents = {latest[c].parent for c in reported_codes if c in latest}
        body = latest.get(parents.pop()) if len(parents) == 1 and None not in parents else None
    # A People's Committee is printed without a body above it (Decree 30, Appendix I, I.2: the superior
    # body is printed only for bodies that have a "cơ quan chủ quản"); --issuer may give two lines.
    superior = ""
    if issuer:
        lines = tuple(issuer.upper().split("\n"))
    elif body is not None:
        lines = ("ỦY BAN NHÂN DÂN", body.name.upper())
    else:
        lines = (BLANK_BODY,)
    where = place or (place_of(name(body.code)) if body is not None else BLANK_PLACE)
    return DocumentHeading(superior, lines, where, day=day)
