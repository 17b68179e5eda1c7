"""A too-large online export is refused before it is read whole: one Vietnamese line naming the file,
its size or rows and the bound, and how to split it (a fresh user's 578 MB, 1.1 M-row CSV grew
`omr online import` to 3.8 GB and ended in a MemoryError traceback)."""

from __future__ import annotations

import tracemalloc

import pytest

from omr import tuning as T
from omr.cli import main
from omr.errors import InputFileError
from omr.online.table import read_table


def _export(path, rows: int, comment: str = "Cán bộ hướng dẫn tận tình, chu đáo") -> None:
    """A Google Forms-like export of ``rows`` responses (one multi-line quoted comment each)."""
    lines = ["Dấu thời gian,Phường/xã,Ý kiến khác"]
    lines += [f'15/06/2026 8:{i % 60:02d}:00,Phường Cao Lãnh,"{comment} {i}\ndòng hai"' for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_csv_over_the_row_bound_is_refused_while_streaming(tmp_path, monkeypatch):
    monkeypatch.setattr(T, "ONLINE_CLI_MAX_ROWS", 1_000)
    path = tmp_path / "xuat-ca-nam.csv"
    _export(path, 6_000, "Cán bộ hướng dẫn tận tình, chu đáo. " * 12)  # ~3 MB, 12,000 lines (two a comment)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError) as refused:
            read_table(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = refused.value.message
    assert "xuat-ca-nam.csv" in message and "6.000 dòng dữ liệu" in message  # records, not lines
    assert "giới hạn 1.000 dòng" in message and "chia tệp" in message
    assert size > 2_500_000 and peak < size / 5, (peak, size)  # never the whole file in memory


def test_a_csv_over_the_byte_bound_is_refused_from_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(T, "ONLINE_CLI_MAX_FILE_BYTES", 100_000)
    path = tmp_path / "lon.csv"
    _export(path, 3_000)
    with pytest.raises(InputFileError, match=r"«.*lon\.csv» quá lớn \(0,3 MB; tối đa 0,1 MB một lần nhập\): hãy chia"):
        read_table(path)


def test_the_command_says_one_line_and_stores_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(T, "ONLINE_CLI_MAX_ROWS", 100)
    path = tmp_path / "xuat.csv"
    _export(path, 500)
    db = tmp_path / "x.sqlite"
    code = main(["online", "import", str(path), "--source", "gf", "--db", str(db)])
    err = capsys.readouterr().err.strip()
    assert code != 0 and "Traceback" not in err and len(err.splitlines()) == 1
    assert "500 dòng dữ liệu" in err and "giới hạn 100 dòng" in err
    assert not db.exists()


def test_a_file_at_the_bound_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(T, "ONLINE_CLI_MAX_ROWS", 100)
    path = tmp_path / "vua.csv"
    _export(path, 100)
    assert len(read_table(path).rows) == 100
    _export(path, 101)  # one more than the bound: the exact count after reading refuses it
    with pytest.raises(InputFileError, match="101 dòng dữ liệu"):
        read_table(path)
