"""The scanning job as staff run it: omr scan, again, export, show."""

from __future__ import annotations

import csv
import json
import stat
from datetime import date

import sqlalchemy as sa

from omr import tuning as T
from omr.cli import main
from omr.data import review
from omr.data.schema import batches, pages
from omr.data.store import open_store


def test_scan_twice_changes_nothing_and_exports(office_batch, tmp_path, capsys):
    pdf, truth_path, summary = office_batch
    db = tmp_path / "omr.sqlite"
    # Dates as the web app and the guide write them (day first), or ISO.
    assert main(["scan", str(pdf), "--db", str(db), "--batch", "b1", "--workers", "2",
                 "--collected-from", "15/09/2026", "--collected-to", "2026-10-14"]) == 0
    first = capsys.readouterr().out
    with open_store(str(db)) as store:
        batch = review.batch_named(store, "b1")
        with store.reading() as conn:
            stored = conn.execute(sa.select(batches.c.collected_from, batches.c.collected_to)
                                  .where(batches.c.id == batch)).one()
        waiting = review.open_items(store, review.QueueFilter(batch_id=batch))
    assert tuple(stored) == (date(2026, 9, 15), date(2026, 10, 14))
    # The summary ends with what the review queue holds for the batch, as the web app counts it.
    assert (f"Hàng đợi kiểm tra của đợt: {waiting.total} mục ({waiting.text()})" if waiting
            else "Hàng đợi kiểm tra của đợt: không còn mục nào") in first
    assert "Phiếu trong cơ sở dữ liệu: 8, đủ trang: 8" in first
    assert "trang trắng" in first  # the blank page, named with its page number
    assert "Trang quét lại" in first  # the duplicated page, not counted twice

    assert main(["scan", str(pdf), "--db", str(db), "--batch", "b1"]) == 0
    again = capsys.readouterr().out
    assert f"trong đó {summary.pages} trang đã đọc từ lần trước" in again
    assert "Phiếu trong cơ sở dữ liệu: 8, đủ trang: 8" in again

    out = tmp_path / "export.csv"
    assert main(["export", "--db", str(db), "--format", "csv", "-o", str(out), "--codes"]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert sorted(r["serial"] for r in rows) == [f"{i:06d}" for i in range(1, 9)]
    truths = {json.loads(l)["serial"]: json.loads(l) for l in truth_path.read_text().splitlines()}
    for row in rows:
        truth = truths[int(row["serial"])]
        if row["H1_status"] == "ok":
            assert row["H1"] == truth["answers"]["H1"]
        if row["A1_status"] == "ok":
            assert row["date"] == truth["answers"]["A1"] and row["date_source"] == "form"

    png = tmp_path / "sheet.png"
    assert main(["show", "1", "--db", str(db), "-o", str(png)]) == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    # The picture shows a respondent's answers: private as the exports are (it was 0644 under umask 022).
    assert stat.S_IMODE(png.stat().st_mode) == 0o600
    _assert_shown_sheet_is_small_and_legible(png, serial=1)


def _assert_shown_sheet_is_small_and_legible(png, serial):
    """`omr show` of a 200 dpi two-page sheet: a palette PNG at ~T.SHOW_DPI, well under the 13 MB it was (#17),
    with the reads in their colours and both pages' QR codes still decodable."""
    import numpy as np
    from PIL import Image

    from omr import tuning as T
    from omr.model import MARKED
    from omr.scan.identify import decode_qr
    from omr.scan.show import COLOURS

    assert png.stat().st_size < 1_500_000, png.stat().st_size
    picture = Image.open(png)
    assert picture.mode == "P"
    # Two A4 pages side by side; a fit-to-page print may make the paper ~7 % larger than 210 mm at SHOW_DPI.
    a4_width = 210 / 25.4 * T.SHOW_DPI
    assert 2 * a4_width * 0.95 < picture.size[0] < 2 * a4_width * 1.15 + 40, picture.size
    rgb = np.asarray(picture.convert("RGB"))
    marked = COLOURS[MARKED][::-1]  # BGR -> RGB
    assert (rgb == marked).all(axis=2).sum() > 100  # the marked boxes are outlined in green
    found = decode_qr(np.asarray(picture.convert("L")))
    assert sorted((c.serial, c.page) for c in found) == [(serial, 1), (serial, 2)]


def test_a_date_that_is_not_one_names_the_accepted_forms(tmp_path, capsys):
    code = main(["scan", str(tmp_path), "--db", str(tmp_path / "x.sqlite"), "--collected-from", "31/02/2026",
                 "--collected-to", "2026-03-01"])
    err = capsys.readouterr().err
    # Written the right way, but February has no 31st: said as such, not as a wrong way of writing a day.
    assert code != 0 and "--collected-from: ngày 31/02/2026 không có trong lịch: tháng 2 năm 2026 chỉ có 28 ngày" in err
    assert not (tmp_path / "x.sqlite").exists()
    code = main(["scan", str(tmp_path), "--db", str(tmp_path / "x.sqlite"), "--collected-from", "hôm qua",
                 "--collected-to", "2026-03-01"])
    err = capsys.readouterr().err
    assert code != 0 and "--collected-from: «hôm qua» không phải một ngày" in err
    assert "ngày/tháng/năm (ví dụ 15/09/2025) hoặc năm-tháng-ngày (2025-09-15)" in err
    # Nothing typed (an empty shell variable) is said as such, and typed quotes are not quoted again.
    for typed, said in (("", "--collected-from: chưa nhập ngày"), ('"mai"', "--collected-from: «mai» không phải")):
        code = main(["scan", str(tmp_path), "--db", str(tmp_path / "x.sqlite"), "--collected-from", typed,
                     "--collected-to", "2026-03-01"])
        err = capsys.readouterr().err
        assert code != 0 and said in err and "«»" not in err and '«"' not in err, (typed, err)


def test_scan_missing_file_is_one_clear_line(tmp_path, capsys):
    code = main(["scan", str(tmp_path / "nope.pdf"), "--db", str(tmp_path / "x.sqlite")])
    err = capsys.readouterr().err
    assert code == 5 and "nope.pdf" in err and "Traceback" not in err


def test_scan_goes_on_after_a_corrupt_file(office_batch, tmp_path, capsys):
    pdf, _, _ = office_batch
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 garbage" * 10)
    code = main(["scan", str(broken), str(pdf), "--db", str(tmp_path / "x.sqlite"), "--workers", "1"])
    out = capsys.readouterr().out
    assert code == 5  # told something was wrong …
    assert "broken.pdf" in out and "hỏng" in out
    assert "Phiếu trong cơ sở dữ liệu: 8" in out  # … and the good file was read all the same


def test_a_word_file_is_refused_in_vietnamese_with_how_to_make_a_pdf(tmp_path, capsys):
    document = tmp_path / "phieu.docx"
    document.write_bytes(b"PK\x03\x04 not a scan")
    picture = tmp_path / "anh.png"
    picture.write_bytes(b"not a picture at all")
    code = main(["scan", str(document), str(picture), "--db", str(tmp_path / "x.sqlite"), "--workers", "1"])
    out = capsys.readouterr().out
    assert code == 5
    assert "phieu.docx: không phải tệp ảnh hay PDF đọc được; đây là tệp văn bản (.docx)" in out
    assert "«Lưu thành PDF»" in out
    assert "anh.png: không phải tệp ảnh hay PDF đọc được" in out
    assert "Error" not in out and "Traceback" not in out


def test_a_page_matching_no_form_is_told_once_with_a_decimal_comma():
    from omr.scan.batch import ScanReport, format_report
    from omr.scan.register import vn_decimal

    assert (vn_decimal(0.333), vn_decimal(-0.001), vn_decimal(0.93)) == ("0,33", "0,00", "0,93")
    report = ScanReport(pages_seen=1)
    why = f"giống nhất: mau-a v1 trang 1, độ tương đồng {vn_decimal(-0.001)}"
    report.set_aside.append(("khac.png", 1, "no_match", why))
    line = format_report(report, {"responses": 0}).splitlines()[-1]
    assert line == ("  - khac.png, trang 1: không khớp mẫu phiếu nào (phiếu không có dấu định vị của omr; "
                    "giống nhất: mau-a v1 trang 1, độ tương đồng 0,00)")
    assert line.count("không khớp mẫu phiếu nào") == 1


def test_a_pinned_match_with_no_rival_claims_no_certainty_and_the_read_says_how_sure_it_is():
    """One template tried (the editor's try-on): the margin over a runner-up is no probability, so a low
    similarity is never shown next to "độ chắc chắn 100%"; the certainty shown is the reads' own,
    capped by their status (a question to review is never 100 %)."""
    from types import SimpleNamespace

    import numpy as np

    from omr.model import AMBIGUOUS, OK, PageResult, PageSource, QuestionRead
    from omr.scan.page import read_certainty_text
    from omr.scan.register import PinnedMatch, Registration, pinned_identity

    layout = SimpleNamespace(form_id="mau-a", version=1)
    match = PinnedMatch(layout, SimpleNamespace(number=1), np.eye(3), Registration(np.eye(3), "features",
                                                                                   similarity=0.31), 1.0)
    result = PageResult(PageSource("a.png", 0, "ab" * 32))
    pinned_identity(result, match)
    assert "100%" not in result.detail and "0,31" in result.detail and "thấp" in result.detail
    result.questions = [QuestionRead("Q1", "1", OK, 0.995), QuestionRead("Q2", None, AMBIGUOUS, 1.0)]
    text = read_certainty_text(result)
    assert "câu Q2" in text and "100%" not in text
    # With a rival form page, the margin is told as a margin, with a decimal comma under 10 %.
    match.runner_up, match.certainty = "mau-b v1 trang 1 (0,30)", 0.032
    pinned_identity(result, match)
    assert "hơn mẫu kế tiếp 3,2%: mau-b v1 trang 1 (0,30)" in result.detail


def test_numbers_shown_in_vietnamese_take_a_decimal_comma():
    from omr.text.numbers import vn_decimal, vn_number, vn_percent

    assert (vn_decimal(12.345, 1), vn_decimal(-0.04, 1)) == ("12,3", "0,0")
    assert (vn_number(1.5), vn_number(30.0)) == ("1,5", "30")
    assert (vn_percent(0.999), vn_percent(0.05), vn_percent(0.0)) == ("100%", "5,0%", "0,0%")


def test_a_one_page_file_of_a_two_page_form_names_the_sheet_and_its_missing_page(office_batch, tmp_path, capsys):
    import cv2

    from omr.scan.ingest import PageLoader

    pdf, _, _ = office_batch
    loader = PageLoader()
    try:
        page = loader.load(pdf, 0).image  # the first sheet's page 1, alone
    finally:
        loader.close()
    one_page = tmp_path / "tờ-1.png"
    cv2.imencode(".png", page)[1].tofile(str(one_page))
    assert main(["scan", str(one_page), "--db", str(tmp_path / "omr.sqlite"), "--batch", "b1"]) == 0
    out = capsys.readouterr().out
    assert "Phiếu trong cơ sở dữ liệu: 1, đủ trang: 0" in out
    assert "Phiếu thiếu trang: 1" in out
    assert f"  - Phiếu số 000001 (motcua-2026 v1): thiếu trang 2; có trang 1 ({one_page}, trang 1)" in out


def test_the_summary_lists_ten_incomplete_sheets_then_counts_the_rest(store):
    from db_fixtures import PAGE1, PAGE2, page_result, record

    from omr import tuning as T
    from omr.scan.batch import ScanReport, format_report

    batch = store.ensure_batch("b")
    for serial in range(1, 13):  # twelve sheets with page 1 only
        record(store, batch, page_result(serial, 1, PAGE1, path=f"to-{serial}.pdf"))
    record(store, batch, page_result(13, 1, PAGE1, path="du.pdf"))
    record(store, batch, page_result(13, 2, PAGE2, path="du.pdf", index=1))
    record(store, batch, page_result(14, 2, PAGE2, path="chi-trang-2.pdf"))
    text = format_report(ScanReport(), store.summary(), store.incomplete_sheets(T.SUMMARY_SHEETS_LISTED))
    listed = [line for line in text.splitlines() if line.startswith("  - Phiếu số")]
    assert "Phiếu thiếu trang: 13" in text and "  và 3 phiếu khác" in text
    assert len(listed) == T.SUMMARY_SHEETS_LISTED == 10
    assert listed[0] == "  - Phiếu số 000001 (motcua-2026 v1): thiếu trang 2; có trang 1 (to-1.pdf, trang 1)"
    assert "000013" not in text  # complete: not named
    sheets, total = store.incomplete_sheets(20)
    assert total == 13 and {s["serial"]: s["missing"] for s in sheets}[14] == [1]


def test_a_tiff_of_many_tiny_pages_is_said_in_one_line_and_every_page_stays_stored(tmp_path, capsys):
    """A multi-page TIFF of tiny pages printed one line per page (2,000 lines for 2,000 pages): the pages
    of one file set aside for one reason are one line with the count and the pages as ranges, while the
    store keeps each page with its own reason and detail."""
    from PIL import Image

    tiff = tmp_path / "nho.tif"
    tiny = [Image.new("L", (40, 30), 255) for _ in range(40)]
    tiny[0].save(tiff, save_all=True, append_images=tiny[1:])
    db = tmp_path / "x.sqlite"
    main(["scan", str(tiff), "--db", str(db), "--workers", "1"])
    out = capsys.readouterr().out
    assert "Trang để riêng: 40" in out
    listed = [line for line in out.splitlines() if str(tiff) in line]
    assert listed == [f"  - 40 trang của tệp {tiff} được để riêng: không phải bản quét trang phiếu "
                      "(ảnh quá nhỏ để là một trang quét (40 × 30 điểm ảnh); một trang phiếu cần ít nhất "
                      f"{T.MIN_PAGE_SIDE_PX} điểm ảnh mỗi cạnh: nhỏ hơn thế thì trên một trang A5 hay A4 mỗi "
                      "milimét chưa được một điểm ảnh, không thấy được ô đánh dấu hay dấu định vị nào): trang 1–40"]
    with open_store(str(db)) as store, store.reading() as conn:
        stored = conn.execute(sa.select(pages.c.page_index, pages.c.set_aside, pages.c.detail)).all()
    assert sorted(p.page_index for p in stored) == list(range(40))
    assert {p.set_aside for p in stored} == {"not_scan"}
    assert all(f"trang {p.page_index + 1}: ảnh quá nhỏ" in p.detail for p in stored)


def test_set_aside_pages_are_grouped_per_file_and_reason_with_ranges_and_each_detail():
    from omr.scan.batch import ScanReport, format_report

    report = ScanReport(pages_seen=2004)
    report.set_aside.append(("a.pdf", 7, "blank", ""))  # alone with its reason: its own line, as before
    for page in [*range(1, 1998), 2000, 2002]:
        report.set_aside.append(("x.tif", page, "not_scan", f"x.tif, trang {page}: ảnh quá nhỏ (10 × 10 điểm ảnh)"))
    for page, size in ((3, "0,31"), (4, "0,31"), (9, "0,12")):
        report.set_aside.append(("y.pdf", page, "no_match", f"giống nhất: mau-a v1 trang 1, độ tương đồng {size}"))
    lines = format_report(report, {"responses": 0}).splitlines()
    start = lines.index("Trang để riêng: 2.003")
    assert lines[start + 1:] == [
        "  - a.pdf, trang 7: trang trắng",
        "  - 1.999 trang của tệp x.tif được để riêng: không phải bản quét trang phiếu "
        "(ảnh quá nhỏ (10 × 10 điểm ảnh)): trang 1–1.997, 2.000, 2.002",
        "  - 3 trang của tệp y.pdf được để riêng: không khớp mẫu phiếu nào (phiếu không có dấu định vị của omr): "
        "trang 3–4, 9",
        "      trang 3–4: giống nhất: mau-a v1 trang 1, độ tương đồng 0,31",
        "      trang 9: giống nhất: mau-a v1 trang 1, độ tương đồng 0,12",
    ]


def test_page_ranges_beyond_the_few_listed_are_counted_and_so_are_details():
    from omr.scan.batch import ScanReport, format_report

    report = ScanReport()
    odd = range(1, 2 * T.SUMMARY_ASIDE_RANGES_LISTED + 7, 2)  # every other page: one range each
    for page in odd:
        report.set_aside.append(("z.tif", page, "unreadable", f"lỗi {page}"))
    lines = format_report(report, {"responses": 0}).splitlines()
    head = next(line for line in lines if "z.tif" in line)
    assert head.endswith(f"và {len(odd) - T.SUMMARY_ASIDE_RANGES_LISTED} trang khác")
    assert lines[-1] == f"      và {len(odd) - T.SUMMARY_ASIDE_DETAILS_LISTED} trang khác, mỗi trang một chi tiết khác"


def test_every_count_of_the_scan_summary_takes_the_vietnamese_thousands_dot():
    """A trial's summary read «Số trang trong các tệp: 1997» above «1.997 trang của tệp …»: one format."""
    import re
    from collections import Counter

    from omr.scan.batch import ScanReport, format_report

    report = ScanReport()
    report.pages_seen, report.pages_skipped_done, report.images_split = 2400, 1200, 1100
    report.outcomes = Counter(new=1997, rescan=1001, conflict=1002, duplicate=1003)
    report.answers_to_review, report.comments_inked, report.comments_flagged = 12345, 1500, 1001
    report.comments_possible = 1004
    report.set_aside = [("a.tif", n, "too_small", "") for n in range(1, 1998)]
    summary = {"responses": 5000, "responses_paper": 3500, "responses_complete": 2499}
    sheet = {"serial": None, "form_id": "motcua-2026", "version": 1, "missing": [2],
             "pages": [{"page": 1, "file": "b.pdf", "page_index": 1999}]}
    text = format_report(report, summary, ([sheet], 1001))
    assert "Số trang trong các tệp: 2.400 (trong đó 1.200 trang" in text
    assert "Phiếu trong cơ sở dữ liệu: 3.500, đủ trang: 2.499 (chỉ tính phiếu giấy; ngoài ra 1.500" in text
    assert "trang 1 (b.pdf, trang 2.000)" in text and "và 1.000 phiếu khác" in text
    assert re.findall(r"(?<![\d.,-])\d{4,}(?![\d.,])", text) == [], text


def test_a_batch_scanned_without_a_name_gets_a_vietnamese_one():
    """The default batch name is what people read in the web app, exports and reports: with diacritics."""
    from datetime import datetime

    from omr.cli import default_batch_name

    assert default_batch_name(datetime(2026, 12, 2, 8, 5, 3)) == "Đợt quét 02/12/2026 08:05:03"


def test_the_default_batch_name_is_in_vietnam_time_whatever_the_server_clock():
    """A server on UTC (most are) named a batch scanned at 08:05 in Vietnam «… 01:05:03»: everything else
    the web app shows is Vietnam time, so the name is too; the day changes with it near midnight."""
    from datetime import datetime, timezone

    from omr.cli import default_batch_name

    assert default_batch_name(datetime(2026, 12, 2, 1, 5, 3, tzinfo=timezone.utc)) == "Đợt quét 02/12/2026 08:05:03"
    assert default_batch_name(datetime(2026, 12, 1, 18, 30, 0, tzinfo=timezone.utc)) == "Đợt quét 02/12/2026 01:30:00"


def test_a_second_different_copy_of_a_stored_sheets_page_is_named_as_such_not_as_a_sheet_missing_pages(
        store, tmp_path, monkeypatch, repo_root):
    """A rescan of sheet 000001's page 1 with other marks, after the whole sheet was stored, was summed up as
    «Phiếu thiếu trang: 1 — Phiếu số 000001 …: thiếu trang 2», though 000001 is complete (a fresh user's trial)."""
    from db_fixtures import PAGE1, PAGE2, page_result, record
    from PIL import Image

    from omr import tuning as T
    from omr.scan import batch

    again = tmp_path / "tờ 1 lần hai.tif"
    Image.new("L", (200, 280), 255).save(again)

    class Workers:  # the page read as sheet 000001's page 1 with other marks (reading is not what is tested)
        def __init__(self, *args, **kwargs):
            pass

        def map(self, runs, skip=None):
            for run in runs:
                for task in run:
                    yield task, [page_result(1, 1, dict(PAGE1, B1="1"), path=task[0], index=task[1])]

    monkeypatch.setattr(batch, "PageWorkers", Workers)
    stored = store.ensure_batch("b")
    record(store, stored, page_result(1, 1, PAGE1, path="s01.pdf"))
    record(store, stored, page_result(1, 2, PAGE2, path="s01.pdf", index=1))
    report = batch.run_scan([str(again)], store, "b", template_dir=str(repo_root / "form_templates"))
    assert report.outcomes["conflict"] == 1
    text = batch.format_report(report, store.summary(), store.incomplete_sheets(T.SUMMARY_SHEETS_LISTED))
    assert "Trang trùng số phiếu nhưng khác nội dung (cần kiểm tra): 1" in text
    assert (f"  - {again}, trang 1: bản thứ hai của trang 1 phiếu số 000001, khác dấu với bản đã lưu; lưu riêng, "
            "chờ người kiểm tra chọn bản đúng (chưa tính vào số liệu)") in text
    assert "thiếu trang" not in text, text
    # A third copy with other marks again is the third, not «bản thứ hai» once more (a second fresh user, hweb3).
    third = tmp_path / "tờ 1 lần ba.tif"
    Image.new("L", (200, 281), 255).save(third)
    monkeypatch.setattr(Workers, "map", lambda self, runs, skip=None: (
        (task, [page_result(1, 1, dict(PAGE1, B1="2"), path=task[0], index=task[1])]) for run in runs for task in run))
    report = batch.run_scan([str(third)], store, "b", template_dir=str(repo_root / "form_templates"))
    assert report.outcomes["conflict"] == 1
    text = batch.format_report(report, store.summary(), store.incomplete_sheets(T.SUMMARY_SHEETS_LISTED))
    assert f"  - {third}, trang 1: bản thứ ba của trang 1 phiếu số 000001, khác dấu với các bản đã lưu;" in text, text
