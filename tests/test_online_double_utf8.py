"""A UTF-8 export opened by Excel as Windows-1252 and saved again ("Dáº¥u thá»i gian"): repaired, or refused naming the encoding.

Found by re-running the cases (hcases): such a file without --mapping imported 36 responses with every answer blank
and no review; with --mapping it blamed the mapping (exit 5).
"""

from __future__ import annotations

import pytest
from test_online_windows1258 import _answers, example, other_store  # noqa: F401  (fixtures)

from omr.cli import main
from omr.errors import InputFileError
from omr.online.importer import format_report, import_online
from omr.online.table import decode_bytes, read_table


def double_encoded(text: str, codec: str = "cp1252") -> bytes:
    """What Excel writes: the UTF-8 bytes shown as Windows-1252 characters, then saved as UTF-8.

    Windows shows the five bytes cp1252 has no letter for (0x81, 0x8D, 0x8F, 0x90, 0x9D) as C1 controls,
    which is Latin-1's reading of them; ``codec="cp1252-lossy"`` drops them (U+FFFD) as other tools do.
    """
    raw = text.encode("utf-8")
    if codec == "cp1252-lossy":
        return raw.decode("cp1252", errors="replace").encode("utf-8")
    return "".join(bytes([b]).decode("cp1252", errors="strict") if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
                   else chr(b) for b in raw).encode("utf-8")


def test_double_encoded_export_imports_exactly_like_the_original(store, other_store, example, tmp_path):  # noqa: F811
    csv_path, mapping = example
    garbled = tmp_path / "excel-saved.csv"
    garbled.write_bytes(double_encoded(csv_path.read_text(encoding="utf-8")))
    assert "Dáº¥u" in garbled.read_text(encoding="utf-8")  # really garbled on disk
    utf8 = import_online(store, csv_path, "utf8", mapping, rejects=tmp_path / "a.csv")
    repaired = import_online(other_store, garbled, "excel", mapping, rejects=tmp_path / "b.csv")
    assert repaired.table.encoding == "utf-8-double"
    assert repaired.table.header == utf8.table.header
    assert (repaired.imported, repaired.rejected) == (utf8.imported, utf8.rejected) == (36, 1)
    assert _answers(other_store, "excel") == _answers(store, "utf8")
    assert "mã hoá hai lần" in format_report(repaired)


def test_double_encoded_without_a_mapping_never_imports_blank_answers(store, example, tmp_path):  # noqa: F811
    csv_path, _ = example
    garbled = tmp_path / "excel-saved.csv"
    garbled.write_bytes(double_encoded(csv_path.read_text(encoding="utf-8")))
    assert main(["online", "import", str(garbled), "--source", "excel", "--db", str(tmp_path / "x.sqlite"),
                 "--rejects", str(tmp_path / "r.csv")]) == 0
    from omr.data.store import open_store
    with open_store(str(tmp_path / "x.sqlite")) as opened:
        rows = [r for r in opened.responses() if r["channel"] == "online"]
    assert len(rows) == 36
    assert all(any(v not in (None, "") for v in r["answers"].values()) for r in rows)


def test_lost_bytes_name_the_encoding_not_the_mapping(example, tmp_path, capsys):  # noqa: F811
    csv_path, _ = example
    garbled = tmp_path / "excel-saved.csv"
    garbled.write_bytes(double_encoded(csv_path.read_text(encoding="utf-8"), "cp1252-lossy"))
    with pytest.raises(InputFileError, match="mã hoá hai lần.*Windows-1252"):
        read_table(garbled)
    mapping_path = csv_path.with_name("google-forms-vi.mapping.yaml")
    code = main(["online", "import", str(garbled), "--source", "x", "--mapping", str(mapping_path),
                 "--db", str(tmp_path / "y.sqlite")])
    err = capsys.readouterr().err
    assert code != 0 and "mã hoá hai lần" in err and "ánh xạ" not in err


@pytest.mark.parametrize("text", ["Café,Thé\nÉté,Noël\n", "Dấu thời gian,Xã\nHà Nội,Ông Bà\n",
                                  "Name,City\nJosé Müller,Zürich\nÅsa,Malmö\n"])
def test_correct_files_are_left_as_they_are(text, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_bytes(text.encode("utf-8"))
    table = read_table(path)
    assert table.encoding == "utf-8"
    assert decode_bytes(text.encode("utf-8"))[0] == text
