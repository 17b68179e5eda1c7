"""The unit registry: communes, wards and their history, with validity dates.

Since 1 July 2025 local government has two tiers and most communes were
merged, so a unit is data with a validity period, not a fixed list:
``{code, name, kind, parent, valid_from, valid_to, predecessors}``. A code may
have several rows over time (a xã that became a phường, a ward that absorbed
another); a new unit names the units it was formed from in ``predecessors``.

Responses record a unit as a person wrote or chose it ("P.1", "phuong 1",
"Xã Mỹ Ngãi", "29872"). :func:`Registry.resolve` maps such text and the
response's date to the unit valid on that date, and to the unit(s) that
succeed it today. Matching folds accents and case and ignores the kind prefix
(phường, P., xã, X., thị trấn, TT, đặc khu); the prefix decides only between
two units of the same name. Nothing is guessed: text that matches no unit, or
two units on the date, is reported as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

from omr.data.schema import units as table
from omr.errors import InputFileError
from omr.online.table import read_table, refuse_stray_bytes
from omr.text.normalise import fold, nfc

# Resolution statuses
OK, OUTDATED, UNKNOWN, AMBIGUOUS, NOT_YET, BLANK = "ok", "outdated", "unknown", "ambiguous", "not_yet", "blank"

# Folded prefix -> canonical kind. Longest first: "thi xa" must win over "xa".
KIND_PREFIXES = (
    ("thanh pho", "thành phố"), ("thi tran", "thị trấn"), ("thi xa", "thị xã"), ("dac khu", "đặc khu"),
    ("phuong", "phường"), ("huyen", "huyện"), ("quan", "quận"), ("tinh", "tỉnh"), ("xa", "xã"),
    ("tp", "thành phố"), ("tt", "thị trấn"), ("tx", "thị xã"), ("dk", "đặc khu"), ("p", "phường"),
    ("x", "xã"), ("ward", "phường"), ("commune", "xã"),
)
_GLUED_NUMBER = re.compile(r"^(p|f|phuong)(\d+)$")  # "P1", "F1" (spoken "phường" as F), "phuong1"
CSV_COLUMNS = ("code", "name", "kind", "parent", "valid_from", "valid_to", "predecessors")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str
    parent: str | None = None
    valid_from: date | None = None  # None: since before the registry's history
    valid_to: date | None = None  # None: still valid
    predecessors: tuple[str, ...] = ()
    note: str = ""

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Resolution:
    status: str  # ok | outdated | unknown | ambiguous | not_yet | blank
    unit: Unit | None = None  # the unit valid on the date
    today: tuple[Unit, ...] = ()  # its successor(s) valid today
    candidates: tuple[Unit, ...] = field(default=(), compare=False)

    @property
    def accepted(self) -> bool:
        return self.status in (OK, OUTDATED, BLANK)


def name_key(text: str) -> tuple[str | None, str]:
    """(kind or None, core name) of a unit name: ``"P.01"`` -> ``("phường", "1")``."""
    folded = fold(text)
    kind = None
    glued = _GLUED_NUMBER.match(folded)
    if glued:
        return "phường", str(int(glued.group(2)))
    for prefix, canonical in KIND_PREFIXES:
        if folded == prefix:
            break
        if folded.startswith(prefix + " "):
            kind, folded = canonical, folded[len(prefix) + 1:]
            break
    core = " ".join(str(int(w)) if w.isdecimal() else w for w in folded.split())  # not isdigit(): "0¹" is digits to it, not to int()
    return kind, core


def _same_kind(a: str | None, b: str) -> bool:
    return a is not None and fold(a) == fold(b)


class Registry:
    """Units loaded from the store (or a list), with name and code indexes."""

    def __init__(self, units: list[Unit]):
        self.units = list(units)
        self.by_code: dict[str, list[Unit]] = {}
        self.by_name: dict[str, list[Unit]] = {}
        for unit in self.units:
            self.by_code.setdefault(unit.code, []).append(unit)
            self.by_name.setdefault(name_key(unit.name)[1], []).append(unit)
        for rows in self.by_code.values():
            rows.sort(key=lambda u: u.valid_from or date.min)
        numeric = [len(c) for c in self.by_code if c.isdecimal()]
        self._code_width = max(numeric) if numeric else 0

    def __len__(self) -> int:
        return len(self.units)

    def _by_code(self, text: str) -> list[Unit]:
        text = text.strip()
        if text.endswith(".0") and text[:-2].isdecimal():  # a code read from a number cell
            text = text[:-2]
        if text in self.by_code:
            return self.by_code[text]
        if text.isdecimal():
            # Excel drops leading zeros of a code typed as a number: 00123 -> 123.
            for code, rows in self.by_code.items():
                if code.isdecimal() and code.lstrip("0") == text.lstrip("0"):
                    return rows
        return []

    def successors(self, unit: Unit) -> list[Unit]:
        """The units that directly followed ``unit`` when it ended (empty while it is valid)."""
        if unit.valid_to is None:
            return []
        later = [u for u in self.units if u.valid_from is not None and u.valid_from > unit.valid_to
                 and (u.code == unit.code or unit.code in u.predecessors)]
        if not later:
            return []
        first = min(u.valid_from for u in later)
        return [u for u in later if u.valid_from == first]

    def valid_on(self, unit: Unit, day: date) -> list[Unit]:
        """``unit`` itself if valid on ``day``, else what it became by then (through successors)."""
        found: dict[tuple[str, date | None], Unit] = {}
        todo, seen = [unit], set()
        while todo:
            current = todo.pop()
            key = (current.code, current.valid_from)
            if key in seen:
                continue
            seen.add(key)
            if current.valid_on(day):
                found[key] = current
            elif current.valid_to is not None and current.valid_to < day:
                todo.extend(self.successors(current))
        return list(found.values())

    def resolve(self, recorded: str | None, on: date | None, today: date | None = None) -> Resolution:
        """The unit ``recorded`` names on date ``on``, and what it is today.

        ``outdated``: the name had ended by ``on`` (people keep choosing old
        names after a merger) and exactly one unit succeeded it by then.
        """
        if recorded is None or not str(recorded).strip():
            return Resolution(BLANK)
        recorded = nfc(str(recorded))
        today = today or date.today()
        candidates = self._by_code(recorded)
        if not candidates:
            kind, core = name_key(recorded)
            candidates = self.by_name.get(core, [])
            of_kind = [u for u in candidates if _same_kind(kind, u.kind)]
            if of_kind:  # "Phường Cao Lãnh" never means the city of Cao Lãnh
                candidates = of_kind
        if not candidates:
            return Resolution(UNKNOWN)
        if on is None:
            codes = {u.code for u in candidates}
            if len(codes) > 1:
                return Resolution(AMBIGUOUS, candidates=tuple(candidates))
            unit = max(candidates, key=lambda u: u.valid_from or date.min)
            return Resolution(OK, unit, self._today(unit, today), tuple(candidates))
        valid = [u for u in candidates if u.valid_on(on)]
        if len({u.code for u in valid}) == 1:
            return Resolution(OK, valid[0], self._today(valid[0], today), tuple(candidates))
        if len(valid) > 1:
            return Resolution(AMBIGUOUS, candidates=tuple(valid))
        ended = [u for u in candidates if u.valid_to is not None and u.valid_to < on]
        if not ended:
            return Resolution(NOT_YET, candidates=tuple(candidates))
        heirs = {(u.code, u.valid_from): u for old in ended for u in self.valid_on(old, on)}
        if len({u.code for u in heirs.values()}) != 1:
            return Resolution(AMBIGUOUS, candidates=tuple(heirs.values()) or tuple(ended))
        unit = next(iter(heirs.values()))
        return Resolution(OUTDATED, unit, self._today(unit, today), tuple(candidates))

    def _today(self, unit: Unit, today: date) -> tuple[Unit, ...]:
        return tuple(sorted(self.valid_on(unit, today), key=lambda u: u.code))


# --- the units CSV -----------------------------------------------------------

def _parse_day(text: str) -> date:
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d/%m/%Y").date()


def units_from_table(header: list[str], rows: list[tuple[int, list]], source: str) -> tuple[list[Unit], list[str]]:
    """(units, predecessor codes no row defines) from a units table.

    Raises InputFileError naming the file, row and column of the first problem.
    """
    columns = {fold(str(h)).replace(" ", "_"): i for i, h in enumerate(header)}
    missing = [c for c in ("code", "name", "kind") if c not in columns]
    if missing:
        raise InputFileError(f"{source}: thiếu cột {', '.join(missing)} (cần: {', '.join(CSV_COLUMNS)})")
    unnamed = [i for i, h in enumerate(header) if not str(h).strip() or str(h).startswith("(cột ")]
    units: list[Unit] = []
    seen: set[tuple[str, date | None]] = set()
    for number, cells in rows:
        def cell(name: str, cells=cells) -> str:
            i = columns.get(name)
            value = cells[i] if i is not None and i < len(cells) else None
            return "" if value is None else nfc(str(value)).strip()

        if not any(cell(c) for c in CSV_COLUMNS):
            continue
        where = f"{source}, dòng {number}"
        if any(i < len(cells) and cells[i] not in (None, "") for i in unnamed):
            raise InputFileError(f"{where}: nhiều ô hơn dòng tiêu đề (dấu phân cách lẫn trong nội dung? "
                                 "hãy đặt danh sách predecessors trong dấu ngoặc kép)")
        code, name, kind = cell("code"), cell("name"), cell("kind")
        for column, value in (("code", code), ("name", name), ("kind", kind)):
            if not value:
                raise InputFileError(f"{where}, cột {column}: không được để trống")
        days = {}
        for column in ("valid_from", "valid_to"):
            text = cell(column)
            try:
                days[column] = _parse_day(text) if text else None
            except ValueError:
                raise InputFileError(f"{where}, cột {column}: «{text}» không phải ngày (YYYY-MM-DD)") from None
        if days["valid_from"] and days["valid_to"] and days["valid_from"] > days["valid_to"]:
            raise InputFileError(f"{where}: valid_from sau valid_to")
        if (code, days["valid_from"]) in seen:
            raise InputFileError(f"{where}: mã {code} với cùng ngày valid_from đã có ở dòng trước")
        seen.add((code, days["valid_from"]))
        predecessors = tuple(p.strip() for p in re.split(r"[;,]", cell("predecessors")) if p.strip())
        units.append(Unit(code, name, kind, cell("parent") or None, days["valid_from"], days["valid_to"],
                          predecessors, cell("note")))
    known = {u.code for u in units}
    return units, sorted({p for u in units for p in u.predecessors} - known)


def import_units(store, path: str | Path) -> dict:
    """Read a units CSV/XLSX into the store's registry; returns counts for the summary.

    Rows are keyed by (code, valid_from): importing the same file again
    changes nothing, a corrected file replaces the rows it names.
    """
    table = read_table(path)
    refuse_stray_bytes(table)
    units, unknown_predecessors = units_from_table(table.header, table.rows, str(path))
    if not units:
        raise InputFileError(f"{path}: không có đơn vị nào")
    added, changed = save_units(store, units)
    registry = load_registry(store)
    unknown_predecessors = [p for p in unknown_predecessors if p not in registry.by_code]
    return {"rows": len(units), "added": added, "changed": changed, "total": len(registry),
            "unknown_predecessors": unknown_predecessors}


def _row_values(unit: Unit) -> dict:
    return {"code": unit.code, "name": unit.name, "kind": unit.kind, "parent": unit.parent,
            "valid_from": unit.valid_from, "valid_to": unit.valid_to,
            "predecessors": ";".join(unit.predecessors), "note": unit.note}


def save_units(store, new_units: list[Unit]) -> tuple[int, int]:
    """Insert or replace units by (code, valid_from) in one transaction; (added, changed)."""


    def work(conn) -> tuple[int, int]:
        existing = {(r.code, r.valid_from): r for r in conn.execute(sa.select(table))}
        added = changed = 0
        for unit in new_units:
            values = _row_values(unit)
            old = existing.get((unit.code, unit.valid_from))
            if old is None:
                conn.execute(table.insert().values(**values))
                added += 1
            elif any(getattr(old, k) != v for k, v in values.items()):
                conn.execute(table.update().where(table.c.id == old.id).values(**values))
                changed += 1
        return added, changed

    return store.writing(work)


def stored_units(store) -> list[Unit]:


    with store.reading() as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.code, table.c.valid_from)).all()
    return [Unit(r.code, r.name, r.kind, r.parent, r.valid_from, r.valid_to,
                 tuple(p for p in (r.predecessors or "").split(";") if p), r.note or "") for r in rows]


def load_registry(store) -> Registry:
    return Registry(stored_units(store))
