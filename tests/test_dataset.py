"""The merged dataset (paper + online) behind `omr export` and omr.reports.dataset.load, and a fuzz of the importer."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
from db_fixtures import PAGE1, PAGE2, page_result, record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import omr.reports.dataset
from omr.cli import main
from omr.data.store import open_store
from omr.errors import InputFileError
from omr.online.importer import import_online
from omr.online.mapping import load_mapping
from omr.online.units import import_units


def build_merged(store_url, repo_root, tmp_path):
    """Two paper sheets (unit 30001 on their QR codes) and the bundled Google Forms export."""
    with open_store(store_url) as store:
        batch = store.ensure_batch("Đợt 1", "2026-09-15", "2026-10-14")
        for serial in (1, 2):
            record(store, batch, page_result(serial, 1, dict(PAGE1, A1="2026-09-20"), index=2 * serial, unit="30001"))
            record(store, batch, page_result(serial, 2, PAGE2, index=2 * serial + 1, unit="30001"))
        import_units(store, repo_root / "examples" / "units" / "caolanh.csv")
        mapping = load_mapping(repo_root / "examples" / "online" / "google-forms-vi.mapping.yaml")
        report = import_online(store, repo_root / "examples" / "online" / "google-forms-vi.csv", "google-forms-fb",
                               mapping, rejects=tmp_path / "rejects.csv")
    return report


def test_load_merges_paper_and_online_in_one_schema(store_url, repo_root, tmp_path, monkeypatch):
    monkeypatch.chdir(repo_root)  # the bundled mapping names its template relative to the repository
    report = build_merged(store_url, repo_root, tmp_path)
    assert report.imported == 36 and report.rejected == 1  # the "Other" answer typed in is reported
    frame = omr.reports.dataset.load(store_url, templates=repo_root / "form_templates")
    assert frame["channel"].value_counts().to_dict() == {"online": 36, "paper": 2}
    paper = frame[frame["channel"] == "paper"]
    online = frame[frame["channel"] == "online"]
    assert list(paper["serial"]) == ["000001", "000002"] and set(online["serial"]) == {""}
    assert set(paper["source"]) == {"Đợt 1"} and set(online["source"]) == {"google-forms-fb"}
    assert set(paper["unit_name"]) == {"Phường Cao Lãnh"} and set(paper["date_source"]) == {"form"}
    # Old ward names of 2025 roll up to today's wards.
    assert set(online["unit_today"]) == {"30001", "30002", "30003"}
    p3 = online[online["unit_recorded"] == "P.3"].iloc[0]
    assert (p3["unit"], p3["unit_name"], p3["unit_today_name"]) == ("29881", "Phường 3", "Phường Cao Lãnh")
    assert online["source_row"].notna().all() and paper["source_row"].isna().all()
    assert str(online["submitted_at"].dt.tz) == "UTC+07:00"
    assert (online["submitted_at"].dt.strftime("%d/%m/%Y %-H:%M:%S").iloc[0]
            == "14/05/2025 10:34:00")  # the export's first row, as Google Forms wrote it
    assert online["flags"].str.contains("duplicate_submission").sum() == 1
    assert set(frame["review"]) <= {"none", "pending", "reviewed"}
    assert online["H3"].str.len().gt(0).any()  # free text typed online is in its question's column
    assert set(online["A2_status"]) <= {"ok", "blank"}


def test_export_formats_share_the_dataset(store_url, repo_root, tmp_path, monkeypatch):
    monkeypatch.chdir(repo_root)
    build_merged(store_url, repo_root, tmp_path)
    with open_store(store_url) as store:  # a respondent typed a formula into a comment box
        row = next(r for r in store.responses() if r["channel"] == "online")
        store.set_answer(row["id"], "H4", "=HYPERLINK(\"http://x\")", "kiemtra")
    out = {}
    for fmt in ("csv", "xlsx", "parquet"):
        out[fmt] = tmp_path / f"export.{fmt}"
        # --codes: this test compares the formats column for column, by their code names.
        assert main(["export", "--db", store_url, "--format", fmt, "-o", str(out[fmt]), "--codes"]) == 0
    raw = out["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))
    assert {r["channel"] for r in rows} == {"paper", "online"} and len(rows) == 38
    edited = next(r for r in rows if r["H4"].startswith("'="))
    assert edited["review"] == "reviewed"
    book = openpyxl.load_workbook(out["xlsx"])
    assert book.sheetnames == ["Phiếu", "Bảng mã"]
    codebook = [tuple(r) for r in book["Bảng mã"].iter_rows(values_only=True)]
    assert codebook[0] == ("question", "question_text", "type", "option_code", "option_label")
    assert ("A2", "Lĩnh vực thủ tục hành chính Ông/Bà đã giải quyết", "single", "1", "Hộ tịch") in codebook
    assert ("B1", "Nơi ngồi chờ đủ chỗ, thoáng mát", "scale", "KYK", "Không ý kiến") in codebook
    parquet = pd.read_parquet(out["parquet"])
    assert len(parquet) == 38 and (parquet["H4"] == "=HYPERLINK(\"http://x\")").sum() == 1  # programs get it raw
    assert list(parquet.columns) == list(rows[0].keys())


# --- fuzz: the importer never crashes, and every row is imported or reported ------------------

HEADERS = ["Dấu thời gian", "Timestamp", "Xã/phường", "Ngày khảo sát", "Người trả lời là",
           "Đánh giá [Nơi ngồi chờ đủ chỗ, thoáng mát]", "Mức độ hài lòng chung", "Ý kiến khác", "Cột lạ", ""]
CELLS = ["", " ", "Cá nhân", "ca nhan", "Tổ chức, doanh nghiệp", "Rất hài lòng", "Không ý kiến", "5", "05", "4.0",
         "7", "Phường Cao Lãnh", "P.1", "xã Hư Cấu", "29872", "14/08/2025 9:05:10", "08/14/2025 9:05:10",
         "2025/08/14 9:05:10 PM GMT+7", "46023,5", "2025-08-14", "31/02/2025", "C¸ nh©n", "Haø Noäi", "=1+1",
         "a;b", 'x"y', "\t", "日本語", "\u0000", "Loa, đài, Mạng xã hội"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_exports_never_crash_and_every_row_is_accounted_for(data, repo_root):
    headers = data.draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=7))
    n_rows = data.draw(st.integers(0, 8))
    rows = [[data.draw(st.sampled_from(CELLS) | st.text(max_size=12)) for _ in headers] for _ in range(n_rows)]
    separator = data.draw(st.sampled_from([",", ";", "\t"]))
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    folder = Path(tempfile.mkdtemp())
    try:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=separator).writerows([headers] + rows)
        path = folder / "fuzz.csv"
        path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
        mapping = load_mapping(repo_root / "tests" / "data" / "fuzz-mapping.yaml")
        with open_store(str(folder / "db.sqlite")) as store:
            import_units(store, repo_root / "examples" / "units" / "caolanh.csv")
            try:
                first = import_online(store, path, "fuzz", mapping, rejects=folder / "rej.csv")
            except InputFileError as exc:
                assert "fuzz.csv" in exc.message  # one clear message naming the file
                return
            accounted = first.imported + first.already + first.seen_elsewhere + first.rejected + first.empty
            assert accounted == first.rows
            assert {p.row for p in first.problems} == first.normalised.rejected_rows
            assert sum(1 for r in store.responses() if r["channel"] == "online") == first.imported
            again = import_online(store, path, "fuzz", mapping, rejects=folder / "rej.csv")
            assert (again.imported, again.already) == (0, first.imported)
            assert sum(1 for r in store.responses() if r["channel"] == "online") == first.imported
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_scan_summary_counts_paper_sheets_not_online_answers(store_url, repo_root, tmp_path):
    from omr.scan.batch import ScanReport, format_report

    report = build_merged(store_url, repo_root, tmp_path)
    with open_store(store_url) as store:
        summary = store.summary()
    online = summary["responses"] - 2
    assert online == report.imported > 0 and summary["responses_paper"] == 2
    text = format_report(ScanReport(), summary)
    assert (f"Phiếu trong cơ sở dữ liệu: 2, đủ trang: 2 (chỉ tính phiếu giấy; ngoài ra {online} phiếu trả lời "
            "trực tuyến)") in text
