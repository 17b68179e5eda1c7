"""Issue 13 item 5: an Excel CSV from a Vietnamese Windows (Windows-1258) imports like the UTF-8 file."""

from __future__ import annotations

import sys
import unicodedata
from datetime import UTC
from pathlib import Path

import pytest

from omr.data.store import open_store
from omr.errors import InputFileError
from omr.online.importer import format_report, import_online
from omr.online.mapping import load_mapping
from omr.online.table import decode_bytes
from omr.online.windows1258 import decode_windows_1258, repair_lossy_text, vocabulary

sys.path.insert(0, str(Path(__file__).resolve().parent))
from case_files import require_cases  # noqa: E402

TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


@pytest.fixture
def cases() -> Path:
    return require_cases()


def excel_windows_1258(text: str) -> bytes:
    """What Excel's "CSV (Comma delimited)" writes on a Vietnamese Windows.

    Letters cp1258 holds stay one byte (â, ơ, đ, á ...); the others are split
    into base letter and a combining tone mark (ế = ê + U+0301), as Windows does.
    """
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            ch.encode("cp1258")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS))
        out.append(base + "".join(c for c in parts if c in TONE_MARKS))
    return "".join(out).encode("cp1258")


def lossy_windows_1258(text: str) -> bytes:
    """The same saved without decomposing: each letter cp1258 lacks becomes "?"."""
    return unicodedata.normalize("NFC", text).encode("cp1258", errors="replace")


def _answers(store, source):
    """Online answers by file row; times as naive UTC (SQLite hands them back naive, PostgreSQL aware)."""
    def utc(t):
        return t if t is None or t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)
    return {r["source_row"]: (r["answers"], r["unit_recorded"], utc(r["submitted_at"]), sorted(r["flags"]))
            for r in store.responses() if r["channel"] == "online" and r["source"] == source}


@pytest.fixture
def other_store(tmp_path):
    """A second, empty database: the same answers imported into one store are recognised as already there."""
    with open_store(str(tmp_path / "other" / "omr.sqlite")) as opened:
        yield opened


@pytest.fixture
def example(repo_root):
    folder = repo_root / "examples" / "online"
    return folder / "google-forms-vi.csv", load_mapping(folder / "google-forms-vi.mapping.yaml")


def test_case_file_is_the_excel_save_of_the_example(example, cases):
    """Our generator reproduces the case byte for byte, so its variants are what Excel writes."""
    csv_path, _ = example
    case = cases / "online-windows-1258.csv"
    assert excel_windows_1258(csv_path.read_text(encoding="utf-8")) == case.read_bytes()


def test_case_windows_1258_imports_exactly_like_the_utf8_file(store, other_store, example, tmp_path, cases):
    csv_path, mapping = example
    case = cases / "online-windows-1258.csv"
    utf8 = import_online(store, csv_path, "utf8", mapping, rejects=tmp_path / "a.csv")
    legacy = import_online(other_store, case, "win", mapping, rejects=tmp_path / "b.csv")
    assert legacy.table.encoding == "cp1258"
    assert legacy.table.header == utf8.table.header
    assert (legacy.imported, legacy.rejected) == (utf8.imported, utf8.rejected) == (36, 1)
    assert _answers(other_store, "win") == _answers(store, "utf8")
    assert "Windows-1258" in format_report(legacy)
    # Into the store that holds the UTF-8 import, under a new source name: the same 36 answers, none added.
    again = import_online(store, case, "google-forms-2026", mapping, rejects=tmp_path / "c.csv")
    assert (again.imported, again.seen_elsewhere, again.seen_sources) == (0, 36, ["utf8"])
    assert sum(r["channel"] == "online" for r in store.responses()) == 36
    assert "36 dòng đã có sẵn trong cơ sở dữ liệu" in format_report(again)


def test_generated_windows_1258_without_a_mapping_file(store, other_store, example, tmp_path):
    """A variant: only some rows, no mapping given (columns proposed from the template)."""
    csv_path, _ = example
    lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
    text = "".join(lines[:1] + lines[5:20])
    (tmp_path / "u.csv").write_text(text, encoding="utf-8")
    (tmp_path / "w.csv").write_bytes(excel_windows_1258(text))
    a = import_online(store, tmp_path / "u.csv", "u", None, rejects=tmp_path / "ra.csv")
    b = import_online(other_store, tmp_path / "w.csv", "w", None, rejects=tmp_path / "rb.csv")
    assert b.table.encoding == "cp1258" and a.imported == b.imported > 10
    assert _answers(other_store, "w") == _answers(store, "u")


def test_lossy_windows_1258_with_question_marks_imports_like_the_utf8_file(store, other_store, example, tmp_path):
    csv_path, mapping = example
    text = csv_path.read_text(encoding="utf-8")
    lossy = tmp_path / "lossy.csv"
    lossy.write_bytes(lossy_windows_1258(text))
    assert b"R?t h\xe0i l?ng" in lossy.read_bytes()  # "Rất hài lòng" lost its "ấ" and "ò"
    utf8 = import_online(store, csv_path, "utf8", mapping, rejects=tmp_path / "a.csv")
    report = import_online(other_store, lossy, "lossy", mapping, rejects=tmp_path / "b.csv")
    assert report.table.encoding == "cp1258"
    assert report.table.header == utf8.table.header
    assert (report.imported, report.rejected) == (utf8.imported, utf8.rejected)
    ours, theirs = _answers(other_store, "lossy"), _answers(store, "utf8")
    free_text = {q.id for q in mapping.template.questions if q.type == "text"}
    assert ours.keys() == theirs.keys() and free_text
    coded = 0
    for row in theirs:
        # Every coded answer and time is the same; free text (unit names, comments) may keep a "?"
        # where no expected word fits: the summary says how many.
        assert {q: v for q, v in ours[row][0].items() if q not in free_text} == \
               {q: v for q, v in theirs[row][0].items() if q not in free_text}, row
        assert ours[row][2] == theirs[row][2]
        coded += sum(q not in free_text and v[0] is not None for q, v in theirs[row][0].items())
    assert coded > 500
    summary = format_report(report)
    assert "mất chữ" in summary and "khôi phục" in summary


def test_windows_1258_is_told_from_windows_1252_and_tcvn3():
    text = "Xã/phường,Mức độ hài lòng chung\nPhường Mỹ Phú,Rất hài lòng\n"
    decoded, encoding = decode_bytes(excel_windows_1258(text))
    assert (decoded, encoding) == (text, "cp1258")
    # French in Windows-1252 reads as Windows-1252.
    assert decode_bytes("Café,Thé\nÉté,Noël\n".encode("cp1252"))[1] == "cp1252"
    assert decode_windows_1258("Café,Thé\nÉté,Noël\n".encode("cp1252")) is None
    # TCVN3 bytes (read as Windows-1252, converted cell by cell later) are not Windows-1258.
    from omr.online.legacy_vn import TCVN3
    back = {v: k for k, v in TCVN3.items()}
    tcvn3 = "".join(back.get(ch, back.get(ch.lower(), ch)) for ch in text).encode("cp1252")
    assert decode_bytes(tcvn3)[1] == "cp1252"


def test_lossy_word_repair_refuses_a_guess():
    words = vocabulary(["Số lượng", "Cơ sở vật chất"])
    # Word by word, "s?" fits both "số" and "sở"; the whole phrase fits one header.
    assert repair_lossy_text("Cơ s? v?t ch?t", words) == ("Cơ s? vật chất", 2, 1)
    assert repair_lossy_text("Cơ s? v?t ch?t", words, {"co so vat chat": "Cơ sở vật chất"}) == \
        ("Cơ sở vật chất", 3, 0)
    # "s?" fits both "số" and "sở": left as it is, and counted.
    assert repair_lossy_text("s? tiền", words) == ("s? tiền", 0, 1)
    # A question's own "?" at the end of a word is not a lost letter.
    assert repair_lossy_text("hài lòng?", words) == ("hài lòng?", 0, 0)


def test_an_encoding_that_cannot_be_settled_is_named_not_the_mapping(store, example, tmp_path):
    """Bytes that are neither Unicode, Windows-1258, TCVN3 nor VNI: the message names the encoding."""
    _, mapping = example
    path = tmp_path / "koi8.csv"
    path.write_bytes("Время,Оценка\n01/05/2025 10:00,хорошо\n".encode("koi8_r"))
    with pytest.raises(InputFileError) as err:
        import_online(store, path, "x", mapping)
    assert "koi8.csv" in err.value.message and "bảng mã" in err.value.message
    assert "ánh xạ" not in err.value.message


@pytest.mark.parametrize("damage", ["stray_undefined_byte", "rows_pasted_as_utf8"])
def test_a_windows_1258_file_with_real_world_noise_imports_like_the_utf8_file(store, other_store, example, tmp_path,
                                                                             damage):
    """A stray byte Windows-1258 does not define, or rows pasted in from a UTF-8 export, must not turn
    the file into mojibake read as TCVN3/VNI (which then blamed the mapping)."""
    csv_path, mapping = example
    text = csv_path.read_text(encoding="utf-8")
    lines = excel_windows_1258(text).splitlines(keepends=True)
    if damage == "stray_undefined_byte":
        lines[20] = lines[20].rstrip(b"\r\n") + b"\x9d" + lines[20][len(lines[20].rstrip(b"\r\n")):]
    else:
        utf8_lines = text.encode("utf-8").splitlines(keepends=True)
        for i in (5, 12, 30):
            lines[i] = utf8_lines[i].rstrip(b"\r\n") + b"\r\n"
    (tmp_path / "noisy.csv").write_bytes(b"".join(lines))
    utf8 = import_online(store, csv_path, "utf8", mapping, rejects=tmp_path / "a.csv")
    noisy = import_online(other_store, tmp_path / "noisy.csv", "noisy", mapping, rejects=tmp_path / "b.csv")
    assert noisy.table.encoding == "cp1258"
    assert (noisy.imported, noisy.rejected) == (utf8.imported, utf8.rejected)
    assert _answers(other_store, "noisy") == _answers(store, "utf8")


# --- a CSV saved in a Western code page: Vietnamese letters lost as "?" (tester's F2) -----------

@pytest.mark.parametrize("codec", ["cp1252", "ascii"])
@pytest.mark.parametrize("with_mapping", [False, True])
def test_csv_with_vietnamese_letters_lost_as_question_marks_names_the_cause(tmp_path, example, codec,
                                                                          with_mapping, capsys):
    """Saved as Windows-1252 (or plain ASCII) with "?" for letters it lacks: one Vietnamese line naming the
    lost letters and "CSV UTF-8", the input-error exit code; never the mapping blamed, never TCVN3/VNI."""
    from omr.cli import main

    csv_path, _ = example
    mapping_path = csv_path.with_name("google-forms-vi.mapping.yaml")
    lossy = tmp_path / "lossy.csv"
    lossy.write_bytes(csv_path.read_text(encoding="utf-8").encode(codec, errors="replace"))
    args = ["online", "import", str(lossy), "--source", "gf", "--db", str(tmp_path / "o.sqlite")]
    if with_mapping:
        args += ["--mapping", str(mapping_path)]
    assert main(args) == InputFileError.exit_code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "lossy.csv" in err
    assert "«?»" in err and "CSV UTF-8" in err and "Windows-1252" in err
    assert "ánh xạ" not in err and "TCVN3" not in err and "Traceback" not in err


def test_a_few_question_marks_in_answers_are_not_lost_letters(tmp_path, example):
    """A question's own "?" and an URL's "?id=" in a UTF-8 export are text, not lost letters."""
    from omr.online.table import read_table

    csv_path, _ = example
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",", ",Vì sao? https://dichvucong.gov.vn/p?id=1 ", 1)
    ok = tmp_path / "ok.csv"
    ok.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read_table(ok).encoding == "utf-8"
