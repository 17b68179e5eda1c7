"""A fresh user's trial (hblank2): the XLSX export wrote «Thời điểm gửi (giờ Việt Nam)» as text
('11/06/2025 09:34:00'), which a spreadsheet neither sorts nor filters as a time. It is a real date and time
shown dd/mm/yyyy hh:mm:ss, at the Vietnam clock time; the CSV keeps its text as it was."""

from __future__ import annotations

import csv
from datetime import datetime

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omr.cli import main
from omr.data.store import open_store
from omr.online.importer import import_online
from omr.online.mapping import load_mapping
from omr.reports.xlsx_cells import moment_value


@pytest.fixture
def online_db(store_url, repo_root, tmp_path, monkeypatch):
    monkeypatch.chdir(repo_root)  # the bundled mapping names its template relative to the repository
    with open_store(store_url) as store:
        mapping = load_mapping(repo_root / "examples" / "online" / "google-forms-vi.mapping.yaml")
        import_online(store, repo_root / "examples" / "online" / "google-forms-vi.csv", "google-forms-fb",
                      mapping, rejects=tmp_path / "rejects.csv")
    return store_url


def _export(store_url, repo_root, path, codes):
    args = ["export", "--format", path.suffix[1:], "-o", str(path), "--db", store_url, "--templates", str(repo_root / "form_templates")]
    assert main(args + (["--codes"] if codes else [])) == 0


@pytest.mark.parametrize("codes", [False, True])
def test_the_xlsx_submission_time_is_a_real_date_and_time(online_db, repo_root, tmp_path, codes):
    _export(online_db, repo_root, tmp_path / "out.xlsx", codes)
    _export(online_db, repo_root, tmp_path / "out.csv", codes)
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    head = [c.value for c in sheet[1]]
    column = head.index("submitted_at" if codes else "Thời điểm gửi (giờ Việt Nam)")
    cells = [row[column] for row in sheet.iter_rows(min_row=2) if row[column].value is not None]
    assert len(cells) >= 30
    assert all(isinstance(c.value, datetime) and c.number_format == "dd/mm/yyyy hh:mm:ss" for c in cells)
    # Google Forms' first row, 14/05/2025 10:34:00 Vietnam time: the clock time kept, not turned to UTC.
    assert datetime(2025, 5, 14, 10, 34) in {c.value for c in cells}
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    texts = {row[column] for row in rows[1:] if row[column]}
    expected = "2025-05-14T10:34:00+07:00" if codes else "14/05/2025 10:34:00"
    assert expected in texts  # the CSV keeps its text


@settings(deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)).map(
    lambda d: d.replace(microsecond=0)))
def test_a_moment_reads_back_from_both_spellings(moment):
    assert moment_value(moment.strftime("%d/%m/%Y %H:%M:%S")) == moment
    assert moment_value(moment.isoformat() + "+07:00") == moment


def test_text_that_is_no_moment_stays_text():
    for text in ("31/02/2025 10:00:00", "14/05/2025", "2025-05-14", "14/05/2025 10:34", "sáng 14/05", None, 5):
        assert moment_value(text) is None, text
