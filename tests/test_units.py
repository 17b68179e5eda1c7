"""The unit registry: the Cao Lãnh history, lenient name matching, units on a date and today."""

from __future__ import annotations

from datetime import date

import pytest

from omr.cli import main
from omr.data.store import open_store
from omr.errors import InputFileError
from omr.online.units import (
    AMBIGUOUS,
    NOT_YET,
    OK,
    OUTDATED,
    UNKNOWN,
    Registry,
    Unit,
    import_units,
    load_registry,
    name_key,
)

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def caolanh(repo_root):
    from omr.online.table import read_table
    from omr.online.units import units_from_table

    table = read_table(repo_root / "examples" / "units" / "caolanh.csv")
    units, unknown = units_from_table(table.header, table.rows, "caolanh.csv")
    assert unknown == []  # every predecessor is a unit of the file
    return Registry(units)


@pytest.mark.parametrize("text,expected", [
    ("Phường 1", ("phường", "1")), ("P.1", ("phường", "1")), ("phuong 01", ("phường", "1")),
    ("P1", ("phường", "1")), ("xã Mỹ Tân", ("xã", "my tan")), ("X. Mỹ Tân", ("xã", "my tan")),
    ("Thị trấn Mỹ Thọ", ("thị trấn", "my tho")), ("TT Mỹ Thọ", ("thị trấn", "my tho")),
    ("Hoà Thuận", (None, "hoa thuan")), ("thị xã Hồng Ngự", ("thị xã", "hong ngu")),
    ("Đặc khu Phú Quốc", ("đặc khu", "phu quoc")),
])
def test_unit_names_fold_prefix_accent_and_case(text, expected):
    assert name_key(text) == expected


def test_cao_lanh_history_by_date(caolanh):
    # 2024: 15 units of the city; 2025 H1: 13; from 1 July 2025: three wards of the new province.
    def valid(day):
        return sorted(u.name for u in caolanh.units if u.parent == "866" and u.valid_on(day))
    assert len(valid(date(2024, 6, 1))) == 15
    assert len(valid(date(2025, 3, 1))) == 13
    new = sorted(u.name for u in caolanh.units if u.valid_on(date(2025, 7, 1)) and u.kind == "phường")
    assert new == ["Phường Cao Lãnh", "Phường Mỹ Ngãi", "Phường Mỹ Trà"]


@pytest.mark.parametrize("recorded,on,status,code,today", [
    ("Phường 1", date(2024, 5, 1), OK, "29872", ["30001"]),
    ("phuong 1", date(2025, 3, 1), OK, "29872", ["30001"]),
    ("P.2", date(2024, 5, 1), OK, "29875", ["30001"]),  # Phường 2 -> Phường 1 (2025) -> Cao Lãnh
    ("Xã Mỹ Ngãi", date(2024, 5, 1), OK, "29887", ["30002"]),
    ("Mỹ Ngãi", date(2025, 3, 1), OK, "29887", ["30002"]),  # a phường since 1/1/2025, same code
    ("Mỹ Ngãi", date(2025, 8, 1), OK, "30002", ["30002"]),
    ("Phường Mỹ Phú", date(2025, 9, 1), OUTDATED, "30003", ["30003"]),  # old name after the merger
    ("Hoà An", date(2024, 1, 1), OK, "29905", ["30001"]),  # tone mark placed the old way
    ("29896", date(2024, 1, 1), OK, "29896", ["30003"]),
    ("Phường Cao Lãnh", date(2024, 1, 1), NOT_YET, None, []),
    ("Phường 5", date(2024, 1, 1), UNKNOWN, None, []),
])
def test_resolve_on_a_date_and_today(caolanh, recorded, on, status, code, today):
    found = caolanh.resolve(recorded, on, TODAY)
    assert found.status == status
    assert (found.unit.code if found.unit else None) == code
    assert [u.code for u in found.today] == today


def test_two_units_of_one_name_are_reported_not_guessed():
    registry = Registry([Unit("1", "Phường 1", "phường", "A"), Unit("2", "Phường 1", "phường", "B"),
                         Unit("3", "Xã An Bình", "xã", "A"), Unit("4", "Phường An Bình", "phường", "B")])
    assert registry.resolve("P.1", date(2026, 1, 1)).status == AMBIGUOUS
    # The prefix decides between two units of the same name.
    assert registry.resolve("xã An Bình", date(2026, 1, 1)).unit.code == "3"
    assert registry.resolve("An Bình", date(2026, 1, 1)).status == AMBIGUOUS


def test_code_with_lost_leading_zeros():
    registry = Registry([Unit("00004", "Phường Ba Đình", "phường")])
    assert registry.resolve("4", date(2026, 1, 1)).unit.code == "00004"
    assert registry.resolve("4.0", date(2026, 1, 1)).unit.code == "00004"


def test_units_import_is_idempotent_and_updates(store, repo_root, tmp_path):
    first = import_units(store, repo_root / "examples" / "units" / "caolanh.csv")
    assert (first["added"], first["changed"], first["total"]) == (29, 0, 29)
    again = import_units(store, repo_root / "examples" / "units" / "caolanh.csv")
    assert (again["added"], again["changed"], again["total"]) == (0, 0, 29)
    fix = tmp_path / "fix.csv"
    # Semicolons and no BOM, as Excel saves under Vietnamese regional settings; a d/m/Y date.
    fix.write_text("code;name;kind;parent;valid_from;valid_to;predecessors\n"
                   '30001;Phường Cao Lãnh;phường;82;01/07/2025;;"29872,29881"\n', encoding="utf-8")
    changed = import_units(store, fix)
    assert (changed["added"], changed["changed"]) == (0, 1)
    assert load_registry(store).resolve("30001", date(2026, 1, 1)).unit.predecessors == ("29872", "29881")
    # An unquoted list in a ';' file shifts cells: refused, naming the row, rather than cut short.
    shifted = tmp_path / "shifted.csv"
    shifted.write_text("code;name;kind;parent;valid_from;valid_to;predecessors\n"
                       "30001;Phường Cao Lãnh;phường;82;2025-07-01;;29872;29881\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="shifted.csv, dòng 2"):
        import_units(store, shifted)
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,kind,valid_from\n1,Xã A,xã,31/02/2025\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="bad.csv, dòng 2, cột valid_from"):
        import_units(store, bad)


def test_units_cli_messages(store_url, repo_root, tmp_path, capsys):
    assert main(["units", "import", str(repo_root / "examples" / "units" / "caolanh.csv"), "--db", store_url]) == 0
    assert "thêm 29" in capsys.readouterr().out
    bad = tmp_path / "units.csv"
    bad.write_text("ma,ten\n1,Xã A\n", encoding="utf-8")
    assert main(["units", "import", str(bad), "--db", store_url]) == 5
    err = capsys.readouterr().err
    assert "units.csv" in err and "thiếu cột" in err and "Traceback" not in err
    with open_store(store_url) as opened:
        assert len(load_registry(opened)) == 29
