"""Exports: one record per response, columns in template order, statuses kept,
spreadsheet formula injection neutralised, CSV/XLSX/JSONL agreeing."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime

import openpyxl
import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, file_sha, page_result, record

from omr.errors import BadArgumentsError
from omr.forms.template import load_template, parse_template
from omr.data.schema import comments
from omr.model import AMBIGUOUS, INVALID, MULTIPLE
from omr.reports.dataset import BASE_COLUMNS
from omr.reports.export import export_responses
from omr.scan.comments import CommentRead

# Question ids deliberately out of alphabetical order: columns must follow the template.
MINI_TEMPLATE = """
form: mini
version: 1
title: Phiếu thử
groups:
  - id: G
    title: G. Chung
    questions:
      - {id: Z9, type: single, text: Hình thức, options: [{code: "1", label: Trực tiếp}, {code: "2", label: Trực tuyến}]}
      - {id: M5, type: date, text: Ngày khảo sát, years: [2026]}
      - {id: K2, type: multiple, text: Kênh biết thông tin, options: [{code: "1", label: Loa}, {code: "2", label: Mạng}, {code: "3", label: Người quen}]}
      - {id: C3, type: text, lines: 2, text: Ý kiến khác}
      - {id: A1, type: scale, no_opinion: true, text: Hài lòng chung}
"""


@pytest.fixture(scope="module")
def motcua(default_template_path):
    return load_template(default_template_path)


@pytest.fixture(scope="module")
def mini():
    return parse_template(MINI_TEMPLATE, source="mini.yaml")


def lookup_for(*templates):
    by_key = {(t.form_id, t.version): t for t in templates}
    return lambda form_id, version: by_key.get((form_id, version))


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


def read_xlsx(path):
    """(the first sheet, its rows as the CSV's text: a date cell as its ISO day, as the codes CSV writes it)."""
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return sheet, [["" if v is None else v.date().isoformat() if isinstance(v, datetime) else str(v) for v in row]
                   for row in sheet.iter_rows(values_only=True)]


def mini_page(serial, answers, *, statuses=None, unit="30001", index=0, path="mini.pdf"):
    return page_result(serial, 1, answers, form_id="mini", statuses=statuses, unit=unit, index=index, path=path)


def test_columns_follow_the_default_template(store, motcua, tmp_path):
    batch = store.ensure_batch("Đợt 1")
    # Page 2 first, so the database order of answers is not the template order.
    record(store, batch, page_result(1, 2, PAGE2, index=1))
    record(store, batch, page_result(1, 1, PAGE1, index=0))
    assert export_responses(store, "csv", tmp_path / "out.csv", lookup_for(motcua)) == 1

    head, row = read_csv(tmp_path / "out.csv")
    question_ids = [q.id for q in motcua.questions]
    comment_columns = [f"{qid}_{part}" for qid in ("H3", "H4") for part in ("text_source", "crop", "flags", "faint")]
    assert head == list(BASE_COLUMNS) + question_ids + [f"{q}_status" for q in question_ids] + comment_columns
    values = dict(zip(head, row))
    assert values["serial"] == "000001" and values["form"] == "motcua-2026" and values["version"] == "1"
    assert (values["A2"], values["C1"], values["H2"], values["A1"]) == ("1", "KYK", "N", "2026-03-05")
    assert (values["A2_status"], values["A4"], values["A4_status"]) == ("ok", "", "")  # A4 never read


def test_a_comment_sent_to_review_as_possibly_faint_says_so_in_the_export(store, motcua, tmp_path):
    """hfaint: the reviewer was told «có thể có chữ viết mờ»; the export keeps it (``<qid>_faint``)."""
    from omr.scan.comments import CommentRead

    batch = store.ensure_batch("Đợt 1")
    page = page_result(1, 2, PAGE2, index=1)
    page.comments = [CommentRead("H3", True, 1.2, (20.0, 200.0, 170.0, 30.0), crop_png=b"png", faint=True),
                     CommentRead("H4", True, 80.0, (20.0, 240.0, 170.0, 30.0), crop_png=b"png")]
    record(store, batch, page)
    record(store, batch, page_result(1, 1, PAGE1, index=0))
    export_responses(store, "csv", tmp_path / "out.csv", lookup_for(motcua))
    head, row = read_csv(tmp_path / "out.csv")
    values = dict(zip(head, row))
    assert (values["H3_faint"], values["H4_faint"]) == ("faint", "")
    export_responses(store, "xlsx", tmp_path / "out.xlsx", lookup_for(motcua), labels=True)
    _, rows = read_xlsx(tmp_path / "out.xlsx")
    assert "có thể có chữ viết mờ" in rows[1] and "H3 – chữ viết mờ" in rows[0]


def test_columns_follow_template_order_not_alphabetical(store, mini, tmp_path):
    batch = store.ensure_batch("Đợt 1")
    record(store, batch, mini_page(4, {"A1": "5", "K2": ["1", "3"], "Z9": "2", "C3": None, "M5": None}))
    export_responses(store, "csv", tmp_path / "out.csv", lookup_for(mini))
    head, _ = read_csv(tmp_path / "out.csv")
    assert head[len(BASE_COLUMNS):] == ["Z9", "M5", "K2", "C3", "A1",
                                        "Z9_status", "M5_status", "K2_status", "C3_status", "A1_status",
                                        "C3_text_source", "C3_crop", "C3_flags", "C3_faint"]


def test_values_statuses_and_survey_dates(store, mini, tmp_path):
    quarter = store.ensure_batch("Quý I", "2026-01-01", "2026-03-31")
    undated = store.ensure_batch("Không ngày")
    record(store, quarter, mini_page(1, {"Z9": "1", "M5": "2026-02-14", "K2": ["1", "3"], "A1": "4", "C3": None},
                                     index=0))
    record(store, quarter, mini_page(2, {"Z9": ["1", "2"], "M5": None, "K2": None, "A1": "5", "C3": None},
                                     statuses={"Z9": MULTIPLE, "M5": INVALID}, index=1))
    record(store, undated, mini_page(3, {"Z9": "2", "M5": "2026-02-30", "K2": ["2"], "A1": "KYK", "C3": None},
                                     statuses={"M5": INVALID, "A1": AMBIGUOUS}, path="other.pdf"))
    assert export_responses(store, "csv", tmp_path / "out.csv", lookup_for(mini)) == 3

    head, *rows = read_csv(tmp_path / "out.csv")
    by_serial = {row[0]: dict(zip(head, row)) for row in rows}
    first, second, third = by_serial["000001"], by_serial["000002"], by_serial["000003"]
    assert (first["date"], first["date_source"]) == ("2026-02-14", "form")
    assert (second["date"], second["date_source"]) == ("2026-01-01..2026-03-31", "batch")
    assert (third["date"], third["date_source"]) == ("", "")  # invalid date, batch without dates
    assert first["K2"] == "1;3" and third["K2"] == "2"
    assert (second["Z9"], second["Z9_status"]) == ("1;2", "multiple")
    assert (second["M5"], second["M5_status"]) == ("", "invalid")
    assert (third["A1"], third["A1_status"]) == ("KYK", "ambiguous")
    assert first["C3_status"] == "blank"
    assert first["source_files"] == "mini.pdf" and third["source_pages"] == "1=other.pdf#1"
    assert first["batch"] == "Quý I" and third["batch"] == "Không ngày"


def test_conflict_flags_and_multi_file_sources_are_exported(store, motcua, tmp_path):
    batch = store.ensure_batch("Đợt 1")
    record(store, batch, page_result(8, 1, PAGE1, path="/scans/a.pdf", index=5))
    record(store, batch, page_result(8, 2, PAGE2, path="/scans/b.pdf", index=0))
    record(store, batch, page_result(8, 1, {**PAGE1, "A3": "1"}, path="/scans/c.pdf", index=0))
    export_responses(store, "csv", tmp_path / "out.csv", lookup_for(motcua))
    head, *rows = read_csv(tmp_path / "out.csv")
    rows = [dict(zip(head, row)) for row in rows]
    assert [(r["serial"], r["flags"]) for r in rows] == [("000008", "serial_conflict")] * 2
    assert rows[0]["source_files"] == "/scans/a.pdf;/scans/b.pdf"
    # The 6th page of a.pdf (stored index 5) is "#6", as a PDF viewer numbers it; the first page is "#1".
    assert rows[0]["source_pages"] == "1=a.pdf#6;2=b.pdf#1"
    assert rows[1]["source_pages"] == "1=c.pdf#1"


def injected_store(store):
    """Units and a value that a spreadsheet would run as formulas."""
    batch = store.ensure_batch("Đợt 1")
    units = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "30001"]
    for serial, unit in enumerate(units, start=1):
        record(store, batch, mini_page(serial, {"Z9": "1", "M5": "2026-02-14", "K2": ["2"], "A1": "4", "C3": None},
                                       unit=unit, index=serial))
    return units


def test_csv_and_xlsx_neutralise_formula_injection(store, mini, tmp_path):
    units = injected_store(store)
    export_responses(store, "csv", tmp_path / "out.csv", lookup_for(mini))
    export_responses(store, "xlsx", tmp_path / "out.xlsx", lookup_for(mini))

    head, *rows = read_csv(tmp_path / "out.csv")
    unit_column = head.index("unit")
    assert [row[unit_column] for row in rows] == ["'" + u for u in units[:-1]] + ["30001"]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for row in rows for cell in row)

    # XLSX cells have a type: a string cell is shown as text and never run, so the text stays exact there
    # (an apostrophe would be shown by Excel as part of the respondent's text).
    sheet, _ = read_xlsx(tmp_path / "out.xlsx")
    cells = [sheet.cell(row=r, column=unit_column + 1) for r in range(2, len(units) + 2)]
    assert [c.value for c in cells] == units
    assert all(c.data_type == "s" for c in cells)  # text, not formulas
    with zipfile.ZipFile(tmp_path / "out.xlsx") as package:
        assert not any("<f>" in package.read(name).decode("utf-8") for name in package.namelist()
                       if name.startswith("xl/worksheets/"))


def test_xlsx_has_the_same_rows_as_csv(store, motcua, tmp_path):
    batch = store.ensure_batch("Đợt 1", "2026-03-01", "2026-03-31")
    for serial in (3, 1, 2):
        record(store, batch, page_result(serial, 1, PAGE1, index=2 * serial))
        record(store, batch, page_result(serial, 2, {**PAGE2, "H1": None}, index=2 * serial + 1,
                                         statuses={"D1": AMBIGUOUS}))
    assert export_responses(store, "csv", tmp_path / "out.csv", lookup_for(motcua)) == 3
    assert export_responses(store, "xlsx", tmp_path / "out.xlsx", lookup_for(motcua)) == 3
    csv_rows = read_csv(tmp_path / "out.csv")
    sheet, xlsx_rows = read_xlsx(tmp_path / "out.xlsx")
    assert xlsx_rows == csv_rows
    assert [row[0] for row in csv_rows[1:]] == ["000001", "000002", "000003"]
    assert sheet.cell(row=2, column=1).data_type == "s"  # serial keeps its leading zeros


def test_jsonl_keeps_values_typed_and_unneutralised(store, mini, tmp_path):
    units = injected_store(store)
    count = export_responses(store, "jsonl", tmp_path / "out.jsonl", lookup_for(mini))
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert count == len(records) == len(units)
    assert [r["unit"] for r in records] == units
    first = records[0]
    assert first["serial"] == "000001" and first["version"] == 1
    assert first["answers"] == {"Z9": "1", "M5": "2026-02-14", "K2": ["2"], "C3": None, "A1": "4"}
    assert list(first["status"]) == ["Z9", "M5", "K2", "C3", "A1"] and first["status"]["C3"] == "blank"
    assert (first["date"], first["date_source"]) == ("2026-02-14", "form")


def test_jsonl_writes_vietnamese_as_text(store, mini, tmp_path):
    batch = store.ensure_batch("Đợt khảo sát quý I")
    record(store, batch, mini_page(1, {"Z9": "1"}))
    export_responses(store, "jsonl", tmp_path / "out.jsonl", lookup_for(mini))
    text = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    assert "Đợt khảo sát quý I" in text and "\\u" not in text


def test_responses_of_an_unknown_template_keep_their_answers(store, tmp_path):
    batch = store.ensure_batch("Đợt 1")
    record(store, batch, mini_page(1, {"Z9": "2", "A1": "3"}))
    assert export_responses(store, "csv", tmp_path / "out.csv", lambda form_id, version: None) == 1
    head, row = read_csv(tmp_path / "out.csv")
    values = dict(zip(head, row))
    assert (values["A1"], values["Z9"], values["Z9_status"]) == ("3", "2", "ok")


def test_unknown_format_is_refused_in_vietnamese(store, tmp_path):
    with pytest.raises(BadArgumentsError) as caught:
        export_responses(store, "ods", tmp_path / "out.ods", lambda form_id, version: None)
    assert "ods" in caught.value.message and "Định dạng" in caught.value.message
    assert not (tmp_path / "out.ods").exists()


def test_empty_database_exports_a_header_only(store, motcua, tmp_path):
    assert export_responses(store, "csv", tmp_path / "sub" / "out.csv", lookup_for(motcua)) == 0
    assert read_csv(tmp_path / "sub" / "out.csv")[0][:2] == ["serial", "form"]


def test_the_command_line_export_names_web_uploads_as_their_user_named_them(store, store_url, tmp_path):
    """A sheet uploaded in the web app (stored as uploads/job-…/001.pdf) is exported by ``omr export``
    under the name its user uploaded, as the web export does; a file read with ``omr scan`` keeps its own."""
    import datetime as dt

    from omr.cli import main
    from omr.data.schema import upload_jobs

    stored = str(tmp_path / "uploads" / "job-0123456789ab" / "001.pdf")
    batch = store.ensure_batch("Đợt 1")
    record(store, batch, mini_page(1, {"Z9": "1", "M5": None, "K2": None, "A1": "4", "C3": None}, path=stored))
    record(store, batch, mini_page(2, {"Z9": "2", "M5": None, "K2": None, "A1": "5", "C3": None},
                                   path="quet-may-tram.pdf"))
    files = [{"name": "Phiếu tổ 1 (bản quét).pdf", "stored": "001.pdf", "sha256": file_sha(stored), "size": 1000,
              "pages": 1}]
    store.writing(lambda conn: conn.execute(upload_jobs.insert().values(
        batch_name="Đợt 1", folder=str(tmp_path / "uploads" / "job-0123456789ab"),
        files=json.dumps(files, ensure_ascii=False), pages_total=1, status="done", error="", created_by="thu",
        created_at=dt.datetime.now(dt.timezone.utc), pages_at_start=0)))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "mini.yaml").write_text(MINI_TEMPLATE, encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["export", "--codes", "-o", str(out), "--db", store_url, "--templates", str(templates)]) == 0
    head, *rows = read_csv(out)
    by_serial = {row[0]: dict(zip(head, row)) for row in rows}
    assert by_serial["000001"]["source_files"] == "Phiếu tổ 1 (bản quét).pdf"
    assert by_serial["000001"]["source_pages"] == "1=Phiếu tổ 1 (bản quét).pdf#1"
    assert by_serial["000002"]["source_files"] == "quet-may-tram.pdf"
    assert "001.pdf" not in out.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("labels", [False, True])
def test_xlsx_days_are_dates_shown_day_first_and_comments_stay_exact(store, motcua, tmp_path, labels):
    """A fresh user's trial: the XLSX wrote days as text ("05/11/2025": no sorting or filtering by date) and
    a comment starting with "=" with an apostrophe Excel shows as part of the respondent's text."""
    batch = store.ensure_batch("Đợt 1", "2026-03-01", "2026-03-31")
    record(store, batch, page_result(1, 1, PAGE1, index=0))
    second = page_result(1, 2, PAGE2, index=1)
    second.comments = [CommentRead("H3", True, 40.0, (10.0, 200.0, 150.0, 30.0))]
    record(store, batch, second)
    with store.reading() as conn:
        comment_id = conn.execute(sa.select(comments.c.id).where(comments.c.field == "H3")).scalar_one()
    store.set_comment_text(comment_id, '=HYPERLINK("http://x") rất tốt', "an")
    export_responses(store, "xlsx", tmp_path / "out.xlsx", lookup_for(motcua), labels=labels)
    export_responses(store, "csv", tmp_path / "out.csv", lookup_for(motcua), labels=labels)
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    names = [c.value for c in sheet[1]]
    cells = dict(zip(range(len(names)), sheet[2]))
    day = cells[BASE_COLUMNS.index("date")]
    answer = cells[len(BASE_COLUMNS)]  # A1, the form's survey-date question
    for cell in (day, answer):
        assert isinstance(cell.value, datetime) and cell.value.date().isoformat() == "2026-03-05", cell.value
        assert cell.number_format == "dd/mm/yyyy"
    comment = [c for c in sheet[2] if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert [c.value for c in comment] == ['=HYPERLINK("http://x") rất tốt'] and comment[0].data_type == "s"
    head, *rows = read_csv(tmp_path / "out.csv")
    assert "'=HYPERLINK(\"http://x\") rất tốt" in rows[0]  # CSV keeps the standard defence


def _export_cli_store(store, tmp_path):
    """The mini form's templates folder and one sheet stored (for the command line's export)."""
    batch = store.ensure_batch("Đợt 1")
    record(store, batch, mini_page(1, {"Z9": "1", "M5": None, "K2": None, "A1": "4", "C3": None}))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "mini.yaml").write_text(MINI_TEMPLATE, encoding="utf-8")
    return templates


@pytest.mark.parametrize("suffix", ["xlsx", "jsonl", "parquet", "csv"])
def test_export_without_format_writes_what_the_file_name_says(store, store_url, tmp_path, suffix):
    """«omr export -o out.xlsx» without --format wrote CSV text into out.xlsx, which Excel refuses to open."""
    from omr.cli import main

    templates = _export_cli_store(store, tmp_path)
    out = tmp_path / f"out.{suffix.upper() if suffix == 'xlsx' else suffix}"
    assert main(["export", "--codes", "-o", str(out), "--db", store_url, "--templates", str(templates)]) == 0
    data = out.read_bytes()
    if suffix == "xlsx":
        assert zipfile.is_zipfile(out)
        assert openpyxl.load_workbook(out).active.max_row == 2
    elif suffix == "parquet":
        assert data[:4] == b"PAR1"
    elif suffix == "jsonl":
        assert json.loads(data.decode("utf-8").splitlines()[0])["answers"]["A1"] == "4"
    else:
        assert read_csv(out)[0][:2] == ["serial", "form"]


def test_export_refuses_a_file_name_contradicting_the_format(store, store_url, tmp_path, capsys):
    from omr.cli import main

    templates = _export_cli_store(store, tmp_path)
    out = tmp_path / "out.xlsx"
    assert main(["export", "--format", "csv", "-o", str(out), "--db", store_url, "--templates", str(templates)]) == 2
    err = capsys.readouterr().err
    assert "out.xlsx" in err and "--format" in err and "đuôi" in err and "Traceback" not in err
    assert not out.exists()
    # An explicit format with a suffix that names no format is the user's choice.
    other = tmp_path / "out.txt"
    assert main(["export", "--codes", "--format", "csv", "-o", str(other), "--db", store_url, "--templates", str(templates)]) == 0
    assert read_csv(other)[0][:2] == ["serial", "form"]


def test_a_comment_whose_text_had_a_phone_number_masked_is_exported_without_its_picture(store, motcua, tmp_path):
    """The export masked «0912 345 678» in the text but wrote the handwriting crop beside it, number and all:
    the office that receives it must get the note, no picture; a comment without a number keeps its crop."""
    from omr.text.privacy import CROP_WITHHELD_NOTE

    batch = store.ensure_batch("Đợt 1")
    page = page_result(1, 2, PAGE2, index=1)
    page.comments = [CommentRead("H3", True, 80.0, (20.0, 200.0, 170.0, 30.0), crop_png=b"crop H3"),
                     CommentRead("H4", True, 80.0, (20.0, 240.0, 170.0, 30.0), crop_png=b"crop H4")]
    record(store, batch, page)
    record(store, batch, page_result(1, 1, PAGE1, index=0))
    drafts = {"H3": "Cán bộ hướng dẫn tận tình", "H4": "Cán bộ hách dịch, gọi tôi 0912 345 678"}
    store.writing(lambda conn: [conn.execute(comments.update().where(comments.c.field == f).values(draft_text=t))
                                for f, t in drafts.items()])
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"out.{fmt}"
        export_responses(store, fmt, out, lookup_for(motcua))
        head, row = read_csv(out) if fmt == "csv" else read_xlsx(out)[1]
        values = dict(zip(head, row))
        assert values["H4_crop"] == CROP_WITHHELD_NOTE == "Ảnh bị ẩn vì có số điện thoại hoặc số định danh"
        assert values["H3_crop"].startswith("out_crops/") and values["H3_crop"].endswith(".png")
        crops = sorted((tmp_path / "out_crops").iterdir())
        assert [p.read_bytes() for p in crops] == [b"crop H3"], crops
    # The reviewer took the number out of the text: the picture still shows it, still withheld.
    store.writing(lambda conn: conn.execute(comments.update().where(comments.c.field == "H4").values(
        status="reviewed", text="Cán bộ hách dịch")))
    export_responses(store, "csv", tmp_path / "out.csv", lookup_for(motcua))
    head, row = read_csv(tmp_path / "out.csv")
    assert dict(zip(head, row))["H4_crop"] == CROP_WITHHELD_NOTE
    assert [p.read_bytes() for p in (tmp_path / "out_crops").iterdir()] == [b"crop H3"]
