"""A UTF-8 export with a few bytes that are not UTF-8 (a broken paste put "\\xff\\xfe" into one answer).

The whole file was taken as Windows-1258: «Đã chuyển mã cũ sang Unicode: 2 ô VNI» though there was none,
every row flagged legacy_encoding, and the damaged row rejected with 29 label errors, none naming the byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from omr.data.store import open_store
from omr.errors import InputFileError
from omr.online.importer import FLAG_LEGACY, format_report, import_online
from omr.online.mapping import load_mapping
from omr.online.table import read_table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_online_windows1258 import _answers  # noqa: E402

STRAY = b"\xff\xfe"
LETTERS = "ài lòng".encode()  # inside "Hài lòng", an answer most rows have


@pytest.fixture
def example(repo_root):
    folder = repo_root / "examples" / "online"
    return folder / "google-forms-vi.csv", load_mapping(folder / "google-forms-vi.mapping.yaml")


@pytest.fixture
def other_store(tmp_path):
    with open_store(str(tmp_path / "other" / "omr.sqlite")) as opened:
        yield opened


def _damaged(csv_path: Path, rows: list[int]) -> bytes:
    """The export with STRAY put before the first "ài lòng" of each of ``rows`` (file lines, from 1)."""
    lines = csv_path.read_bytes().splitlines(keepends=True)
    for row in rows:
        at = lines[row - 1].index(LETTERS)
        lines[row - 1] = lines[row - 1][:at] + STRAY + lines[row - 1][at:]
    return b"".join(lines)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["utf-8", "excel-csv-utf-8-with-bom"])
def test_a_stray_byte_rejects_its_row_only_naming_the_byte(bom, store, other_store, example, tmp_path):
    csv_path, mapping = example
    damaged = tmp_path / "broken.csv"
    damaged.write_bytes(bom + _damaged(csv_path, [6]))
    clean = import_online(store, csv_path, "clean", mapping, rejects=tmp_path / "a.csv")
    broken = import_online(other_store, damaged, "broken", mapping, rejects=tmp_path / "b.csv")

    assert broken.table.encoding.startswith("utf-8") and not broken.table.legacy  # no false VNI conversion
    report = format_report(broken)
    assert "VNI" not in report and "Windows-1258" not in report, report
    row6 = [p for p in broken.problems if p.row == 6]
    assert len(row6) == 1, row6  # one reason, not a label error per cell
    assert "\\xff\\xfe" in row6[0].reason and row6[0].column in broken.table.header
    assert "dòng 6" in report and "\\xff\\xfe" in report
    # Every other row as from the clean file; none flagged as converted from a legacy encoding.
    assert broken.rejected == clean.rejected + 1 and broken.imported == clean.imported - 1
    expected = {row: value for row, value in _answers(store, "clean").items() if row != 6}
    assert _answers(other_store, "broken") == expected
    assert not any(FLAG_LEGACY in flags for *_, flags in expected.values())


def test_many_damaged_rows_refuse_the_file_with_one_line(store, example, tmp_path):
    csv_path, mapping = example
    damaged = tmp_path / "broken.csv"
    damaged.write_bytes(_damaged(csv_path, [3, 6, 9, 12, 15]))
    with pytest.raises(InputFileError) as raised:
        import_online(store, damaged, "broken", mapping, rejects=tmp_path / "b.csv")
    message = raised.value.message
    assert "5 dòng chứa byte không phải UTF-8" in message and "3, 6, 9, 12, 15" in message, message
    assert not list(store.responses())


def test_a_stray_byte_in_an_ascii_row_is_named_too(tmp_path):
    """A row without Vietnamese letters (a name typed without accents, numbers) took the file to Windows-1258,
    its byte read as «ÿ»."""
    path = tmp_path / "export.csv"
    path.write_bytes("Họ và tên,Điểm hài lòng\nNguyễn Văn Ánh,5\nTrần Thị Bích,4\n".encode() + b"Le Van C,\xff3\n")
    table = read_table(path)
    assert table.encoding == "utf-8" and table.rows[-1][1] == ["Le Van C", "\\xff3"]
    assert table.stray == {4: [(1, b"\xff")]}


def test_a_units_file_with_a_stray_byte_is_refused_naming_it(store, tmp_path):
    from omr.online.units import import_units

    path = tmp_path / "units.csv"
    path.write_bytes("code,name,kind\n30001,Phường Hàng Bạc,phường\n".encode() + "30002,Phường Hàng Đào".encode()
                     + b"\xff,ph\xc6\xb0\xe1\xbb\x9dng\n")
    with pytest.raises(InputFileError) as raised:
        import_units(store, path)
    assert "dòng 3, cột «name»" in raised.value.message and "\\xff" in raised.value.message, raised.value.message
