"""Online exports as they really come: Google Forms in two UI languages, ';' CSV without BOM,
UTF-16, TCVN3 bytes, XLSX with Excel-mangled dates and codes; rejects, duplicates, mapping."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import yaml

from omr.cli import main
from omr.data.store import open_store
from omr.forms.template import parse_template
from omr.online.importer import format_report, import_online
from omr.online.legacy_vn import TCVN3
from omr.online.mapping import load_mapping, mapping_yaml
from omr.online.table import decode_bytes, read_table, sniff_separator
from omr.online.units import import_units
from omr.online.values import parse_timestamp
from omr.reports.dataset import local_time

MINI = """
form: mini-online
version: 1
title: Phiếu thử trực tuyến
groups:
  - id: G
    title: G
    questions:
      - {id: Q1, type: date, text: Ngày khảo sát, years: [2025, 2026]}
      - {id: Q2, type: single, text: Người trả lời là, options: [{code: "1", label: Cá nhân}, {code: "2", label: "Tổ chức, doanh nghiệp"}]}
      - {id: Q3, type: multiple, text: Ông/Bà biết thông tin qua kênh nào, options: [{code: "1", label: "Loa, đài"}, {code: "2", label: Mạng xã hội}, {code: "3", label: Người quen}, {code: "6", label: Khác}]}
      - {id: B1, type: scale, no_opinion: true, text: "Nơi ngồi chờ đủ chỗ, thoáng mát"}
      - {id: B2, type: scale, no_opinion: true, text: "Công chức hướng dẫn rõ ràng"}
      - {id: H1, type: scale, text: Mức độ hài lòng chung}
      - {id: H4, type: text, lines: 2, text: "Ý kiến khác"}
"""
GRID = "Đánh giá"
HEADER_VI = ["Dấu thời gian", "Xã/phường", "Ngày khảo sát", "Người trả lời là", "Ông/Bà biết thông tin qua kênh nào",
             f"{GRID} [Nơi ngồi chờ đủ chỗ, thoáng mát]", f"{GRID} [Công chức hướng dẫn rõ ràng]",
             "Mức độ hài lòng chung", "Ý kiến khác", "Địa chỉ email"]


@pytest.fixture
def mini(tmp_path):
    path = tmp_path / "mini-online.yaml"
    path.write_text(MINI, encoding="utf-8")
    return path


@pytest.fixture
def registry_store(store, repo_root):
    import_units(store, repo_root / "examples" / "units" / "caolanh.csv")
    return store


def write_csv(path, rows, *, delimiter=",", encoding="utf-8"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def mapping_for(mini, tmp_path, sample=None):
    template = parse_template(mini.read_text(encoding="utf-8"), source=str(mini))
    path = tmp_path / "mapping.yaml"
    path.write_text(mapping_yaml(template, str(mini), sample), encoding="utf-8")
    return path


def answers_by_row(store):
    """Online responses by file row; times in UTC+7 (SQLite hands back naive UTC)."""
    rows = {}
    for r in store.responses():
        if r["channel"] == "online":
            r["submitted_at"] = None if r["submitted_at"] is None else local_time(r["submitted_at"])
            rows[r["source_row"]] = r
    return rows


def to_tcvn3(text: str) -> str:
    """Unicode -> what a .VnTime file holds, read as cp1252 (TCVN3 has no toned capitals)."""
    back = {v: k for k, v in TCVN3.items()}
    return "".join(back.get(ch, back.get(ch.lower(), ch)) for ch in text)


def read_rejects(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))


def test_vietnamese_google_forms_semicolon_no_bom(registry_store, mini, tmp_path):
    rows = [HEADER_VI,
            ["14/08/2025 9:05:10", "Phường Cao Lãnh", "14/08/2025", "Tổ chức, doanh nghiệp",
             "Loa, đài, Mạng xã hội", "Rất hài lòng", "Không ý kiến", "5", "Cán bộ nhiệt tình", "a@b.vn"],
            ["", "", "", "", "", "", "", "", "", ""],  # a blank row: reported, not imported
            ["03/09/2025 14:00:00", "P. Mỹ Ngãi", "03/09/2025", "Cá nhân", "Người quen", "Hài lòng", "Bình thường",
             "4", "", ""]]
    path = write_csv(tmp_path / "gf.csv", rows, delimiter=";")
    report = import_online(registry_store, path, "fb", load_mapping(mapping_for(mini, tmp_path)),
                           rejects=tmp_path / "rej.csv")
    assert (report.imported, report.rejected, report.empty) == (2, 0, 1)
    assert report.table.separator == ";" and report.table.encoding == "utf-8"
    got = answers_by_row(registry_store)
    first = got[2]
    assert first["answers"]["Q2"][0] == "2"  # a label that contains ", "
    assert first["answers"]["Q3"][0] == ["1", "2"]  # checkboxes joined with ", ", labels with ", " inside
    assert (first["answers"]["B1"][0], first["answers"]["B2"][0], first["answers"]["H1"][0]) == ("5", "KYK", "5")
    assert first["answers"]["H4"][0] == "Cán bộ nhiệt tình"
    assert first["unit"] == "30001" and first["unit_recorded"] == "Phường Cao Lãnh"
    assert first["submitted_at"].astimezone().isoformat() and first["source"] == "fb"
    assert got[4]["unit"] == "30002" and got[4]["answers"]["H4"][1] == "blank"
    assert all(v[1] in ("ok", "blank") for v in first["answers"].values())
    assert "email" not in str(first["answers"])  # personal data is never imported


def test_english_google_forms_without_a_mapping(store, mini, tmp_path):
    header = ["Timestamp", "Email Address"] + HEADER_VI[2:9]
    rows = [header,
            ["2025/08/14 9:05:10 AM GMT+7", "", "2025-08-14", "Cá nhân", "Mạng xã hội, Khác", "Hài lòng",
             "Rất hài lòng", "4", ""],
            ["2025/08/14 1:30:00 PM GMT+7", "", "2025-08-14", "cá nhân", "", "hai long", "", "3", "ok"]]
    path = write_csv(tmp_path / "gf-en.csv", rows)
    report = import_online(store, path, "gf-en", None, templates=mini.parent)
    assert (report.imported, report.rejected) == (2, 0), report.problems
    got = answers_by_row(store)
    assert got[2]["submitted_at"] == parse_timestamp("2025-08-14T09:05:10+07:00")
    assert got[3]["submitted_at"] == parse_timestamp("2025-08-14T13:30:00+07:00")
    assert got[3]["answers"]["B1"][0] == "4"  # accent- and case-insensitive label
    assert report.registry_empty and got[2]["unit"] is None


def test_mixed_dates_excel_serials_and_a_row_against_the_file_order(store, mini, tmp_path):
    rows = [HEADER_VI[:4],
            ["25/12/2025 08:00:00", "", "25/12/2025", "Cá nhân"],  # day > 12: the file is day first
            ["2025-12-26T10:00:00+07:00", "", "2025-12-26", "Cá nhân"],
            ["46023,5", "", "46023", "Cá nhân"],  # Excel serial numbers, decimal comma
            ["12/27/2025 09:00:00", "", "27/12/2025", "Cá nhân"],  # month first: contradicts the file
            ["hôm qua", "", "", "Cá nhân"]]
    path = write_csv(tmp_path / "dates.csv", rows, delimiter=";")
    report = import_online(store, path, "dates", load_mapping(mapping_for(mini, tmp_path)),
                           rejects=tmp_path / "rej.csv")
    assert report.normalised.date_order == "dmy"
    assert report.imported == 3 and report.rejected == 2
    got = answers_by_row(store)
    assert got[2]["answers"]["Q1"][0] == "2025-12-25"
    assert got[4]["submitted_at"] == parse_timestamp("2026-01-01T12:00:00+07:00")
    assert got[4]["answers"]["Q1"][0] == "2026-01-01"
    rejects = read_rejects(tmp_path / "rej.csv")
    assert {(r["dòng"], r["cột"]) for r in rejects} == {("5", "Dấu thời gian"), ("6", "Dấu thời gian")}
    assert all(r["tệp"].endswith("dates.csv") and r["lý do"] for r in rejects)


def test_month_first_file_settled_for_the_whole_file(store, mini, tmp_path):
    rows = [HEADER_VI[:4], ["3/4/2026 10:00:00", "", "", "Cá nhân"], ["3/15/2026 10:00:00", "", "", "Cá nhân"]]
    path = write_csv(tmp_path / "us.csv", rows)
    report = import_online(store, path, "us", load_mapping(mapping_for(mini, tmp_path)))
    assert report.normalised.date_order == "mdy" and report.imported == 2
    assert answers_by_row(store)[2]["submitted_at"].astimezone(parse_timestamp("2026-01-01").tzinfo).date() \
        .isoformat() == "2026-03-04"


def test_utf16_tab_separated_excel_unicode_text(store, mini, tmp_path):
    rows = [HEADER_VI[:5], ["14/08/2025 9:05:10", "", "", "Tổ chức, doanh nghiệp", "Người quen"]]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t").writerows(rows)
    path = tmp_path / "unicode.txt"
    path.write_bytes(b"\xff\xfe" + buffer.getvalue().encode("utf-16-le"))
    report = import_online(store, path, "u16", load_mapping(mapping_for(mini, tmp_path)))
    assert report.table.encoding == "utf-16" and report.table.separator == "\t" and report.imported == 1
    assert answers_by_row(store)[2]["answers"]["Q3"][0] == ["3"]


def test_tcvn3_bytes_from_an_old_file(registry_store, mini, tmp_path):
    # .VnTime text saved by an old Excel: Windows-1252 bytes that are TCVN3 letters.
    text = ("Dấu thời gian;Xã/phường;Người trả lời là;Mức độ hài lòng chung;Ý kiến khác\n"
            "01/08/2025 08:00:00;Phường Cao Lãnh;Cá nhân;5;Thủ tục nhanh gọn\n")
    assert "Ph\xadêng Cao L·nh;C¸ nh©n" in to_tcvn3(text)
    path = tmp_path / "old.csv"
    path.write_bytes(to_tcvn3(text).encode("cp1252"))
    report = import_online(registry_store, path, "old", load_mapping(mapping_for(mini, tmp_path)))
    assert report.table.encoding == "cp1252"  # not UTF-8 as a whole
    assert report.table.legacy.get("tcvn3", 0) >= 6 and report.imported == 1, report.problems
    row = answers_by_row(registry_store)[2]
    assert row["unit_recorded"] == "Phường Cao Lãnh" and row["unit"] == "30001"
    assert row["answers"]["Q2"][0] == "1" and row["answers"]["H4"][0] == "Thủ tục nhanh gọn"
    assert "legacy_encoding" in row["flags"]


def test_xlsx_with_title_rows_excel_dates_and_mangled_codes(registry_store, mini, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["DANH SÁCH KẾT QUẢ KHẢO SÁT"])
    sheet.append([])
    sheet.append(["Thời gian gửi", "Đơn vị", "Ngày khảo sát", "Người trả lời là", "Ông/Bà biết thông tin qua kênh nào",
                  "Mức độ hài lòng chung"])
    # "6, 2, 3" typed as codes became 6 Feb 2003; the unit code lost nothing but is a number; scale 5.0.
    sheet.append([datetime(2025, 8, 1, 9, 30), 30001, datetime(2025, 8, 1), 1, datetime(2003, 2, 6), 5.0])
    sheet.append([45870.75, "30002", "01/08/2025", "2", "1, 3", 4])
    sheet.append([45870.8, "Phường 99", "01/08/2025", "9", "7", 4])  # unknown unit, label and code
    path = tmp_path / "portal.xlsx"
    workbook.save(path)
    report = import_online(registry_store, path, "portal", load_mapping(mapping_for(mini, tmp_path)),
                           rejects=tmp_path / "rej.csv")
    assert report.table.header_row == 3 and report.imported == 2 and report.rejected == 1
    got = answers_by_row(registry_store)
    assert got[4]["answers"]["Q3"][0] == ["6", "2", "3"] and "excel_date_repaired" in got[4]["flags"]
    assert got[4]["answers"]["Q1"][0] == "2025-08-01" and got[4]["unit"] == "30001"
    assert got[4]["answers"]["H1"][0] == "5" and got[4]["answers"]["Q2"][0] == "1"
    assert got[5]["submitted_at"] == parse_timestamp("2025-08-01T18:00:00+07:00")
    rejects = read_rejects(tmp_path / "rej.csv")
    assert {r["cột"] for r in rejects} == {"Đơn vị", "Người trả lời là", "Ông/Bà biết thông tin qua kênh nào"}
    assert all(r["dòng"] == "6" for r in rejects)


def test_same_file_twice_longer_export_and_repeated_submissions(store, mini, tmp_path):
    mapping = load_mapping(mapping_for(mini, tmp_path))
    base = [HEADER_VI[:4] + ["Mức độ hài lòng chung"],
            ["01/08/2025 08:00:00", "", "", "Cá nhân", "5"],
            ["01/08/2025 08:03:00", "", "", "Cá nhân", "5"],  # same answers 3 minutes later: flagged
            ["01/08/2025 09:00:00", "", "", "Cá nhân", "5"]]  # an hour later: another person
    first = write_csv(tmp_path / "week1.csv", base)
    report = import_online(store, first, "fb", mapping)
    assert (report.imported, report.repeated) == (3, 1)
    again = import_online(store, first, "fb", mapping)
    assert (again.imported, again.already) == (0, 3)
    # The next week's download holds the old rows too, re-saved (another file), plus a new one.
    longer = write_csv(tmp_path / "week2.csv", base + [["08/08/2025 10:00:00", "", "", "Tổ chức, doanh nghiệp", "4"]],
                       delimiter=";")
    second = import_online(store, longer, "fb", mapping)
    assert (second.imported, second.seen_elsewhere) == (1, 3)
    online = [r for r in store.responses() if r["channel"] == "online"]
    assert len(online) == 4
    assert [r["source_row"] for r in online if "duplicate_submission" in r["flags"]] == [3]


def test_an_import_that_takes_some_rows_exits_0_even_with_rejects(store_url, mini, tmp_path, capsys):
    """One row in, one refused: the import did its work (exit 0); the refusal is reported, not an error."""
    mapping = tmp_path / "m.yaml"
    assert main(["online", "mapping", str(mini), "-o", str(mapping)]) == 0
    path = write_csv(tmp_path / "f.csv", [HEADER_VI[:4], ["01/08/2025 08:00:00", "", "", "Cá nhân"],
                                          ["01/08/2025 09:00:00", "", "", "Hộ gia đình"]])
    assert main(["online", "import", str(path), "--source", "s", "--mapping", str(mapping), "--db", store_url,
                 "--rejects", str(tmp_path / "rej.csv")]) == 0
    captured = capsys.readouterr()
    assert "Bị từ chối: 1 dòng" in captured.out and "không nhập được dòng nào" not in captured.err


def test_reimport_after_fixing_the_mapping_adds_only_the_rejected_rows(store, mini, tmp_path):
    rows = [HEADER_VI[:4], ["01/08/2025 08:00:00", "", "", "Cá nhân"],
            ["01/08/2025 08:10:00", "", "", "Hộ gia đình"]]
    path = write_csv(tmp_path / "f.csv", rows)
    mapping_path = mapping_for(mini, tmp_path, read_table(path))
    text = mapping_path.read_text(encoding="utf-8")
    assert '"Hộ gia đình": null' in text  # proposed with no code: a person decides
    # The refused row's file goes to tmp_path (by default it is outputs/f.rejects.csv, inside the repository).
    first = import_online(store, path, "s", load_mapping(mapping_path), rejects=tmp_path / "rej.csv")
    assert (first.imported, first.rejected) == (1, 1)
    mapping_path.write_text(text.replace('"Hộ gia đình": null', '"Hộ gia đình": "1"'), encoding="utf-8")
    second = import_online(store, path, "s", load_mapping(mapping_path), rejects=tmp_path / "rej2.csv")
    assert (second.imported, second.already, second.rejected) == (1, 1, 0)


def test_an_unknown_label_points_at_a_mapping_from_the_file_itself(store_url, mini, tmp_path, capsys):
    """A mapping made without --sample knows only the template's labels; the import says how to get the rest."""
    mapping = tmp_path / "m.yaml"
    assert main(["online", "mapping", str(mini), "-o", str(mapping)]) == 0
    assert "--sample TỆP" in capsys.readouterr().out  # the proposal itself says it is only the template's labels
    path = write_csv(tmp_path / "f.csv", [HEADER_VI[:4], ["01/08/2025 08:00:00", "", "", "Hộ gia đình"]])
    # Its only row refused: nothing went in, and the exit status says so (a script must not take it as done).
    assert main(["online", "import", str(path), "--source", "s", "--mapping", str(mapping), "--db", store_url,
                 "--rejects", str(tmp_path / "rej.csv")]) == 5
    captured = capsys.readouterr()
    out = captured.out
    assert captured.err.startswith("Lỗi: ") and "không nhập được dòng nào, cả 1 dòng dữ liệu bị từ chối" in captured.err
    assert "nhãn «Hộ gia đình» không có trong các lựa chọn" in out
    # Absolute paths: the suggested command works from whatever folder the operator is in.
    assert f"1 ô có nhãn chưa có mã: đề xuất ánh xạ từ chính tệp này bằng «omr online mapping {mini.resolve()} " \
           f"--sample {path.resolve()} -o ánh-xạ.yaml»" in out
    # A row refused for another reason (a date where a choice belongs) gets no label hint.
    other = write_csv(tmp_path / "g.csv", [HEADER_VI[:4], ["01/08/2025 08:00:00", "", "khong phai ngay", "Cá nhân"]])
    assert main(["online", "import", str(other), "--source", "t", "--mapping", str(mapping), "--db", store_url,
                 "--rejects", str(tmp_path / "rej2.csv")]) == 5
    out = capsys.readouterr().out
    assert "Bị từ chối: 1 dòng" in out and "--sample" not in out


def test_mapping_proposal_scores_grid_rows_and_flags_unknown_labels(mini, tmp_path, capsys):
    rows = [["Dấu thời gian", "Câu 2. Người trả lời là (chọn một)", f"{GRID} [Noi ngoi cho du cho, thoang mat]",
             "Cột lạ không liên quan"],
            ["01/08/2025 08:00:00", "Ca nhan", "Rất hài lòng", "x"]]
    sample = write_csv(tmp_path / "sample.csv", rows)
    out = tmp_path / "proposed.yaml"
    assert main(["online", "mapping", str(mini), "-o", str(out), "--sample", str(sample)]) == 0
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    by_column = {c["column"]: c for c in data["columns"]}
    assert by_column["Dấu thời gian"]["field"] == "submitted_at"
    assert by_column["Câu 2. Người trả lời là (chọn một)"]["question"] == "Q2"
    assert by_column[f"{GRID} [Noi ngoi cho du cho, thoang mat]"]["question"] == "B1"
    assert by_column["Cột lạ không liên quan"]["field"] == "ignore"
    assert all(0 <= c["score"] <= 1 for c in data["columns"])
    assert data["labels"]["Q2"]["Cá nhân"] == "1"
    assert "kiểm tra" in capsys.readouterr().out


def test_bad_files_give_one_vietnamese_line(store_url, mini, tmp_path, capsys):
    broken = tmp_path / "hong.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    assert main(["online", "import", str(broken), "--source", "x", "--db", store_url,
                 "--templates", str(mini.parent)]) == 5
    err = capsys.readouterr().err
    assert "hong.xlsx" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    unrelated = write_csv(tmp_path / "khac.csv", [["a", "b"], ["1", "2"]])
    assert main(["online", "import", str(unrelated), "--source", "x", "--db", store_url,
                 "--templates", str(mini.parent)]) == 5
    assert "không có cột nào khớp" in capsys.readouterr().err
    bad_mapping = tmp_path / "m.yaml"
    bad_mapping.write_text(f"template: {mini}\ncolumns:\n  - {{column: X, question: Z9}}\n", encoding="utf-8")
    assert main(["online", "import", str(unrelated), "--source", "x", "--db", store_url,
                 "--mapping", str(bad_mapping)]) == 3
    assert "Z9" in capsys.readouterr().err


def test_a_failed_import_creates_no_database(mini, tmp_path, capsys):
    """An import that fails on its file or mapping leaves nothing where no database was (a later «omr report»
    would otherwise take the empty file for real data); a database that was there stays, and a good import
    creates it."""
    db = tmp_path / "mới" / "omr.sqlite"
    templates = str(mini.parent)
    broken = tmp_path / "hong.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    assert main(["online", "import", str(broken), "--source", "x", "--db", str(db), "--templates", templates]) == 5
    unrelated = write_csv(tmp_path / "khac.csv", [["a", "b"], ["1", "2"]])
    assert main(["online", "import", str(unrelated), "--source", "x", "--db", str(db), "--templates", templates]) == 5
    assert "không có cột nào khớp" in capsys.readouterr().err
    bad_mapping = tmp_path / "ánh xạ" / "m.yaml"  # not among the templates
    bad_mapping.parent.mkdir()
    bad_mapping.write_text(f"template: {mini}\ncolumns:\n  - {{column: X, question: Z9}}\n", encoding="utf-8")
    assert main(["online", "import", str(unrelated), "--source", "x", "--db", str(db), "--mapping",
                 str(bad_mapping)]) == 3
    assert main(["units", "import", str(unrelated), "--db", str(db)]) == 5
    assert not db.parent.exists(), "no database and no folder for it"

    good = write_csv(tmp_path / "f.csv", [HEADER_VI[:4], ["01/08/2025 08:00:00", "", "", "Cá nhân"]])
    assert main(["online", "import", str(good), "--source", "s", "--db", str(db), "--templates", templates,
                 "--rejects", str(tmp_path / "rej.csv")]) == 0
    assert db.is_file()
    capsys.readouterr()
    assert main(["online", "import", str(unrelated), "--source", "x", "--db", str(db), "--templates", templates]) == 5
    assert db.is_file(), "a database that was there is never removed"
    with open_store(str(db)) as store:
        assert len(list(store.responses())) == 1, "the response imported before is still there"


def _tables_and_objects(url: str) -> set[str]:
    """What the database at ``url`` holds: its tables, and on PostgreSQL its functions and own types too."""
    import sqlalchemy as sa

    from omr.data.store import database_url

    engine = sa.create_engine(database_url(url))
    try:
        with engine.connect() as conn:
            found = set(sa.inspect(conn).get_table_names())
            if conn.dialect.name == "postgresql":
                found |= set(conn.execute(sa.text(
                    "SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace "
                    "UNION SELECT typname FROM pg_type WHERE typnamespace = current_schema()::regnamespace "
                    "AND typtype IN ('e', 'c')")).scalars())
    finally:
        engine.dispose()
    return found


def test_a_failed_command_into_an_empty_database_leaves_no_tables(store_url, mini, tmp_path, capsys, monkeypatch):
    """PostgreSQL too: a failed online import, units import or users add into an empty database left omr's
    tables (and the job queue's) there; a later command took them for a database in use. Anything that was
    in the database before stays."""
    import sqlalchemy as sa

    from omr.data.store import database_url

    postgres = store_url.startswith("postgresql")
    if postgres:  # something of another program's, in the same schema: never touched
        engine = sa.create_engine(database_url(store_url))
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE other_app (id integer)"))
            conn.execute(sa.text("INSERT INTO other_app VALUES (1)"))
        engine.dispose()
    before = _tables_and_objects(store_url) if postgres else set()
    unrelated = write_csv(tmp_path / "khac.csv", [["a", "b"], ["1", "2"]])
    assert main(["online", "import", str(unrelated), "--source", "x", "--db", store_url,
                 "--templates", str(mini.parent)]) == 5
    assert main(["units", "import", str(unrelated), "--db", store_url]) == 5
    monkeypatch.setenv("OMR_PASSWORD", "mot-mat-khau-du-dai-cho-thu")
    assert main(["users", "add", "tên có dấu cách!", "--role", "admin", "--db", store_url]) == 2
    err = capsys.readouterr().err
    assert "vẫn còn lại" not in err
    if postgres:
        assert _tables_and_objects(store_url) == before
        engine = sa.create_engine(database_url(store_url))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id FROM other_app")).scalars().all() == [1]
        engine.dispose()
    else:
        assert not Path(store_url).parent.exists()
    good = write_csv(tmp_path / "f.csv", [HEADER_VI[:4], ["01/08/2025 08:00:00", "", "", "Cá nhân"]])
    assert main(["online", "import", str(good), "--source", "s", "--db", store_url, "--templates", str(mini.parent),
                 "--rejects", str(tmp_path / "rej.csv")]) == 0
    with open_store(store_url) as store:
        assert len(list(store.responses())) == 1


def test_tables_a_failed_command_made_and_stored_into_stay_and_it_says_so(store_url):
    from omr.data.store import open_store_or_nothing
    from omr.errors import BadArgumentsError

    with pytest.raises(BadArgumentsError) as raised:
        with open_store_or_nothing(store_url) as store:
            store.ensure_batch("dot-1")
            raise BadArgumentsError("dòng 3 sai")
    message = raised.value.message
    assert message.startswith("dòng 3 sai\nCác bảng của omr mà lệnh này vừa tạo trong cơ sở dữ liệu ")
    assert "vẫn còn lại (đã có dữ liệu được lưu vào trước khi lỗi xảy ra)" in message
    from omr.data import review

    with open_store(store_url) as store:
        assert review.batch_named(store, "dot-1") is not None


@pytest.mark.parametrize("text,expected", [
    ("05/03/2026 10:15:30", "2026-03-05T10:15:30+07:00"),
    ("2026/03/05 10:15:30 CH GMT+7", "2026-03-05T22:15:30+07:00"),
    ("2026/03/05 12:15:30 SA GMT+7", "2026-03-05T00:15:30+07:00"),
    ("2026-03-05T03:15:30Z", "2026-03-05T10:15:30+07:00"),
    ("05/03/2026 10:15:30 GMT+0", "2026-03-05T17:15:30+07:00"),
    ("46086.4375", "2026-03-05T10:30:00+07:00"),
    ("5/3/26 8:00", "2026-03-05T08:00:00+07:00"),
])
def test_timestamp_formats(text, expected):
    assert parse_timestamp(text, "dmy").isoformat() == expected


def test_encoding_and_separator_sniffing():
    assert decode_bytes("a;b\n".encode("utf-8-sig"))[1] == "utf-8-sig"
    assert decode_bytes("Dấu thời gian\tB\n".encode("utf-16-le"))[1] == "utf-16"  # no BOM
    assert decode_bytes("Hµ Néi".encode("cp1252"))[1] == "cp1252"
    # ';' with decimal commas inside cells, as Vietnamese regional settings save it.
    assert sniff_separator("A;B;C\n4,5;1;2\n3,0;2;1\n") == ";"
    assert sniff_separator('A,B,C\n"x; y",1,2\n') == ","


def test_each_quarters_download_under_a_new_source_name_adds_only_the_new_rows(store, mini, tmp_path):
    """The usual case: each quarter's download of the same Google Sheet holds every earlier row, and
    the help's example invites a new --source per period. A response is counted once whatever the
    source name; text differing only in spacing is the same answer; two people who answered alike at
    different times are two responses, and so are two identical rows of one file."""
    mapping = load_mapping(mapping_for(mini, tmp_path))
    header = HEADER_VI[:4] + ["Mức độ hài lòng chung", "Ý kiến khác"]
    q3 = [["20/08/2025 08:00:00", "", "", "Cá nhân", "5", "Cán bộ  nhiệt tình"],
          ["21/08/2025 09:00:00", "", "", "Cá nhân", "4", ""],
          ["21/08/2025 09:30:00", "", "", "Cá nhân", "4", ""]]  # answered like the row above: another person
    first = import_online(store, write_csv(tmp_path / "q3.csv", [header] + q3), "google-forms-2025-q3", mapping)
    assert first.imported == 3
    # Q4's download: the Q3 rows re-saved by Excel (spacing changed), then new ones.
    q4 = [[*q3[0][:5], " Cán bộ nhiệt tình "], q3[1], q3[2],
          ["01/10/2025 10:00:00", "", "", "Cá nhân", "4", ""],  # alike again, another day: new
          ["02/10/2025 11:00:00", "", "", "Tổ chức, doanh nghiệp", "3", ""],
          ["02/10/2025 11:00:00", "", "", "Tổ chức, doanh nghiệp", "3", ""]]  # same second, twice in one file
    second = import_online(store, write_csv(tmp_path / "q4.csv", [header] + q4, delimiter=";"),
                           "google-forms-2025-q4", mapping)
    assert (second.imported, second.seen_elsewhere, second.seen_sources) == (3, 3, ["google-forms-2025-q3"])
    summary = format_report(second)
    assert "3 dòng đã có sẵn trong cơ sở dữ liệu" in summary and "google-forms-2025-q3" in summary
    # The same Q4 file under yet another name, and a later download holding everything: nothing new.
    third = import_online(store, write_csv(tmp_path / "q4b.csv", [header] + q4), "sheet", mapping)
    assert (third.imported, third.seen_elsewhere) == (0, 6)
    online = [r for r in store.responses() if r["channel"] == "online"]
    assert len(online) == 6
    assert sorted(r["source"] for r in online) == ["google-forms-2025-q3"] * 3 + ["google-forms-2025-q4"] * 3


def test_the_example_mapping_finds_its_template_when_run_from_another_folder(repo_root, tmp_path, monkeypatch):
    """The example mapping names `form_templates/motcua-2026.yaml` from the project's folder; an operator
    running `omr online import … --mapping <project>/examples/online/…` from elsewhere still gets it."""
    monkeypatch.chdir(tmp_path)
    mapping = load_mapping(repo_root / "examples" / "online" / "google-forms-vi.mapping.yaml")
    assert mapping.template.form_id == "motcua-2026"


def test_a_mapping_that_is_not_yaml_is_named_with_its_line_in_vietnamese(store_url, mini, tmp_path, capsys):
    """PyYAML's English text (a mapping with a NUL, an unclosed bracket) was shown inside the message,
    with no line number (a fresh user's trial)."""
    export = write_csv(tmp_path / "x.csv", [["a", "b"], ["1", "2"]])
    mapping = tmp_path / "m.yaml"
    for text, said in ((b"template: x\ncolumns: [\n\x00", "dòng 3: tệp ánh xạ có ký tự không được phép trong YAML "
                        "(mã U+0000)"),
                       (b"template: x\ncolumns: [a,\nb: c\n", "dòng 4: tệp ánh xạ không phải YAML hợp lệ"),
                       (b"template: x\n# \xff\n", "dòng 2: tệp ánh xạ không phải văn bản UTF-8")):
        mapping.write_bytes(text)
        assert main(["online", "import", str(export), "--source", "x", "--db", store_url,
                     "--mapping", str(mapping)]) == 3
        err = capsys.readouterr().err
        assert f"{mapping}, {said}" in err, err
        assert not any(word in err for word in ("unacceptable", "expected", "while", "position", "codec")), err


def _xlsx_with_formulas(path, rows, *, cached: dict[str, str] | None = None, recalc: bool = True):
    """An XLSX of ``rows`` as openpyxl (or pandas) writes it: formulas with no stored result. ``cached``:
    cell -> the stored result (a string, as Excel stores ="…"; "0" for a number, as XlsxWriter stores);
    ``recalc``: the workbook asks for a full recalculation on opening, as openpyxl's and XlsxWriter's do."""
    import re
    import zipfile

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
    for cell, value in (cached or {}).items():
        kind = "" if value == "0" else ' t="str"'
        sheet, found = re.subn(rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?',
                               rf'<c r="{cell}"\1{kind}><f>\2</f><v>{value}</v>', sheet)
        assert found == 1, cell
    parts["xl/worksheets/sheet1.xml"] = sheet.encode("utf-8")
    calc = parts["xl/workbook.xml"].decode("utf-8")
    assert 'fullCalcOnLoad="1"' in calc
    if not recalc:
        parts["xl/workbook.xml"] = calc.replace(' fullCalcOnLoad="1"', "").encode("utf-8")
    with zipfile.ZipFile(path, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return path


FORMULA_HEADER = ["Dấu thời gian", "Ngày khảo sát", "Người trả lời là", f"{GRID} [Nơi ngồi chờ đủ chỗ, thoáng mát]",
                  "Ý kiến khác"]


def test_an_xlsx_formula_without_a_stored_result_rejects_its_row_never_a_blank(store, mini, tmp_path):
    """A fresh user's trial: an XLSX written by a script put ="Rất hài lòng" in a scale answer and formulas in
    the comment; openpyxl's data_only read gave None, imported as «left blank» (status ok, no warning)."""
    path = _xlsx_with_formulas(tmp_path / "cong-thuc.xlsx", [
        FORMULA_HEADER,
        ["01/08/2025 09:30", "01/08/2025", "Cá nhân", "Hài lòng", "Tốt"],
        ["01/08/2025 10:30", "01/08/2025", "Cá nhân", '="Rất hài lòng"', '=HYPERLINK("http://evil.example","x")'],
        ["01/08/2025 11:30", "01/08/2025", "Cá nhân", "Hài lòng", "=1+1"],
    ])
    report = import_online(store, path, "f", load_mapping(mapping_for(mini, tmp_path)), rejects=tmp_path / "rej.csv")
    assert report.imported == 1 and report.rejected == 2
    assert sorted(answers_by_row(store)) == [2]
    rejects = read_rejects(tmp_path / "rej.csv")
    assert {(r["dòng"], r["cột"]) for r in rejects} == {("3", FORMULA_HEADER[3]), ("3", "Ý kiến khác"),
                                                        ("4", "Ý kiến khác")}
    by_cell = {(r["dòng"], r["cột"]): r for r in rejects}
    reason = by_cell[("3", FORMULA_HEADER[3])]["lý do"]
    assert "ô D3 là công thức" in reason and "lưu lại" in reason and "Excel" in reason
    assert by_cell[("4", "Ý kiến khác")]["giá trị"] == "'=1+1"  # the formula, shown, never run
    assert all(r["tệp"].endswith("cong-thuc.xlsx") for r in rejects)


def test_an_xlsx_formula_whose_stored_result_is_a_placeholder_is_refused_and_excels_own_is_taken(store, mini, tmp_path):
    """XlsxWriter stores 0 as every formula's result and asks for a recalculation on opening: that 0 is no
    answer. A file saved by Excel stores each result and asks for none: the result is the answer."""
    rows = [FORMULA_HEADER, ["01/08/2025 09:30", "01/08/2025", "Cá nhân", "Hài lòng", "=1-1"]]
    placeholder = _xlsx_with_formulas(tmp_path / "xlsxwriter.xlsx", rows, cached={"E2": "0"})
    report = import_online(store, placeholder, "f", load_mapping(mapping_for(mini, tmp_path)),
                           rejects=tmp_path / "rej.csv")
    assert report.imported == 0 and report.rejected == 1
    assert "ô E2 là công thức" in read_rejects(tmp_path / "rej.csv")[0]["lý do"]
    rows[1][3] = '="Rất hài lòng"'
    saved = _xlsx_with_formulas(tmp_path / "excel.xlsx", rows, cached={"D2": "Rất hài lòng", "E2": "0"}, recalc=False)
    report = import_online(store, saved, "g", load_mapping(mapping_for(mini, tmp_path)), rejects=tmp_path / "rej2.csv")
    assert report.imported == 1 and report.rejected == 0, (report.problems, report)
    answers = answers_by_row(store)[2]["answers"]
    assert answers["B1"][0] == "5" and answers["H4"][0] == "0"


@pytest.mark.parametrize("known", [True, False])
def test_phone_numbers_typed_online_are_masked_in_every_export(store, mini, tmp_path, known):
    from omr.reports.export import export_responses
    from omr.text.privacy import PHONE_LABEL

    template = parse_template(mini.read_text(encoding="utf-8"), source=str(mini))
    rows = [HEADER_VI[:2] + ["Ý kiến khác"],
            ["14/08/2025 9:05:10", "", "Cán bộ hách dịch, gọi tôi 0912 345 678"]]
    path = write_csv(tmp_path / "gf.csv", rows)
    assert import_online(store, path, "fb", load_mapping(mapping_for(mini, tmp_path))).imported == 1
    # A response whose template the export does not know (a template removed since) still has its text
    # exported, under the question's id: masked like any comment.
    lookup = (lambda form_id, version: template) if known else (lambda form_id, version: None)
    for fmt in ("csv", "xlsx", "jsonl"):
        out = tmp_path / f"out.{fmt}"
        export_responses(store, fmt, out, lookup, labels=fmt != "jsonl")
        text = (out.read_text(encoding="utf-8-sig") if fmt != "xlsx" else
                str([c.value for row in openpyxl.load_workbook(out).active.iter_rows() for c in row]))
        assert "345" not in text and PHONE_LABEL in text and "hách dịch" in text, fmt


def test_vietnamese_quotation_marks_in_a_unicode_comment_are_no_legacy_text(tmp_path):
    """«…» are Vietnamese quotation marks; « and » are also TCVN3's ô and ằ. A UTF-8 comment of Latin-1
    letters quoting a word, «Tôi hài lòng «Có»», was converted as legacy text into «Tơi hài lịng «Cĩ»» and
    stored so. Inside a word they still mark TCVN3 («Kh«ng» is «Không»)."""
    from omr.online.legacy_vn import convert_column
    from omr.online.table import read_table

    quoted = ["Tôi hài lòng «Có»", "«Hài lòng», cám ơn", "Có «À» và «Ò»!"]
    assert convert_column(quoted + ["Cán bộ nhiệt tình"]) == (quoted + ["Cán bộ nhiệt tình"], {})
    path = tmp_path / "y-kien.csv"
    path.write_text("Dấu thời gian,Ý kiến\n01/08/2025 08:00:00,Tôi hài lòng «Có»\n"
                    "01/08/2025 09:00:00,Rất tốt\n", encoding="utf-8")
    table = read_table(path)
    assert [cells[1] for _, cells in table.rows] == ["Tôi hài lòng «Có»", "Rất tốt"] and table.legacy == {}
    # TCVN3 with « inside a word, and a quoted TCVN3 word with another marker, still convert.
    assert convert_column(["Kh«ng hµi lßng"]) == (["Không hài lòng"], {"tcvn3": 1})


def test_mapped_columns_missing_from_the_file_are_named_and_their_questions_not_counted_blank(store, mini, tmp_path):
    """A mapping naming columns the file lacks (a second fresh user, hweb3): the questions of those columns
    were not asked online, so they get no answer row (reports: «Không có câu trả lời»), never «Bỏ trống»;
    the summary names the columns. A question whose column is there but empty stays blank."""
    rows = [HEADER_VI[:4] + ["Mức độ hài lòng chung"], ["01/08/2025 08:00:00", "", "", "Cá nhân", ""]]
    path = write_csv(tmp_path / "short.csv", rows)
    report = import_online(store, path, "s", load_mapping(mapping_for(mini, tmp_path)), rejects=tmp_path / "rej.csv")
    assert (report.imported, report.rejected) == (1, 0)
    answers = answers_by_row(store)[2]["answers"]
    assert answers["Q2"][0] == "1" and answers["H1"][1] == "blank" and answers["Q1"][1] == "blank"
    assert not {"Q3", "B1", "B2", "H4"} & set(answers)  # not asked: no answer row, never "blank"
    assert report.normalised.missing_columns == ["Ông/Bà biết thông tin qua kênh nào", "Nơi ngồi chờ đủ chỗ, thoáng mát",
                                                 "Công chức hướng dẫn rõ ràng", "Ý kiến khác"]
    summary = format_report(report)
    assert "Cột trong ánh xạ không có trong tệp: 4 (Ông/Bà biết thông tin qua kênh nào;" in summary
    assert "không hỏi trực tuyến" in summary
    # The same file again is still the same submissions: the fingerprint did not change with this.
    again = import_online(store, path, "s", load_mapping(mapping_for(mini, tmp_path)), rejects=tmp_path / "rej2.csv")
    assert (again.imported, again.already) == (0, 1)
