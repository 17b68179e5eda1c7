"""What people read (#17): the export in Vietnamese, the DOCX report as an administrative document,
the ranking rule, whole chart labels, comment crops trimmed to the writing."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from db_fixtures import PAGE1, PAGE2, page_result, record
from PIL import Image, ImageDraw

from omr.data.store import open_store
from omr.model import AMBIGUOUS
from omr.reports.figures import rank_units, trim_to_writing
from omr.reports.heading import BLANK_BODY, heading_for
from omr.reports.render import bar_svg, column_widths, text_width_cm


@pytest.fixture
def db(tmp_path, repo_root):
    from omr.online.units import import_units

    url = str(tmp_path / "omr.sqlite")
    with open_store(url) as store:
        import_units(store, repo_root / "examples" / "units" / "caolanh.csv")
        batch = store.ensure_batch("dot-1")
        for serial in range(1, 5):
            unit = "30001" if serial < 4 else "30002"
            record(store, batch, page_result(serial, 1, PAGE1, path=f"s{serial}.pdf", unit=unit,
                                             statuses={"B2": AMBIGUOUS} if serial == 2 else None))
            record(store, batch, page_result(serial, 2, PAGE2, path=f"s{serial}.pdf", index=1, unit=unit))
    return url


def _cli(*argv) -> int:
    from omr.cli import main

    return main([str(a) for a in argv])


# --- export ---------------------------------------------------------------------------------------

def test_the_export_speaks_vietnamese_by_default_and_keeps_the_codes_on_request(db, tmp_path, repo_root):
    templates = repo_root / "form_templates"
    assert _cli("export", "--db", db, "-o", tmp_path / "vi.csv", "--templates", templates) == 0
    assert _cli("export", "--db", db, "-o", tmp_path / "codes.csv", "--codes", "--templates", templates) == 0
    vi = list(csv.DictReader(io.StringIO((tmp_path / "vi.csv").read_text("utf-8-sig"))))
    codes = list(csv.DictReader(io.StringIO((tmp_path / "codes.csv").read_text("utf-8-sig"))))
    assert len(vi) == len(codes) == 4
    first, raw = vi[0], codes[0]
    assert raw["channel"] == "paper" and first["Kênh"] == "giấy"
    assert raw["B1"] == "5" and first["B1. Nơi ngồi chờ đủ chỗ, thoáng mát"] == "Rất hài lòng"
    assert raw["C1"] == "KYK" and first[next(k for k in first if k.startswith("C1. "))] == "Không ý kiến"
    assert raw["A1"] == "2026-03-05" and first["Ngày khảo sát"] == "05/03/2026"
    assert raw["B1_status"] == "ok" and first["B1 – trạng thái"] == "hợp lệ"
    assert raw["unit_name"] == first["Tên đơn vị"] == "Phường Cao Lãnh"
    assert {r["completeness"] for r in codes} <= {"complete", "incomplete"}
    assert [r["Đủ trang"] for r in vi] == [{"complete": "đủ trang", "incomplete": "thiếu trang"}[r["completeness"]]
                                           for r in codes]
    second = vi[1]
    assert second["B2 – trạng thái"] == "không chắc chắn" and second["Kiểm tra"] == "chờ kiểm tra"
    # English codes appear nowhere in the Vietnamese file's headers.
    assert not {"serial", "channel", "paper", "B1_status"} & set(first)


def test_the_xlsx_codebook_maps_every_column_and_value_to_its_code(db, tmp_path, repo_root):
    from openpyxl import load_workbook

    assert _cli("export", "--db", db, "--format", "xlsx", "-o", tmp_path / "vi.xlsx",
                "--templates", repo_root / "form_templates") == 0
    book = load_workbook(tmp_path / "vi.xlsx")
    header = [c.value for c in next(book["Phiếu"].iter_rows())]
    assert header[:4] == ["Số phiếu", "Mẫu phiếu", "Phiên bản mẫu", "Kênh"]
    codebook = [[c.value for c in row] for row in book["Bảng mã"].iter_rows()]
    assert codebook[0] == ["Mã câu hỏi / cột", "Nội dung", "Loại", "Mã", "Nhãn"]
    assert ["serial", "Số phiếu", "cột", None, None] in codebook
    assert ["B1_status", "B1 – trạng thái", "cột", None, None] in codebook
    assert ["channel", None, "giá trị", "paper", "giấy"] in codebook
    assert any(row[0] == "B1" and row[3] == "5" and row[4] == "Rất hài lòng" for row in codebook)
    # Question types by their Vietnamese names, never the codes.
    kinds = {row[2] for row in codebook[1:]}
    assert "thang đo" in kinds and not {"scale", "single", "yesno", "text", "date", "multiple"} & kinds
    assert ["completeness", None, "giá trị", "incomplete", "thiếu trang"] in codebook


def test_unknown_codes_are_kept_not_blanked():
    from omr.forms.template import Option, Question
    from omr.reports.export_vi import answer_label, labelled

    scale = Question("B1", "Nơi ngồi", "scale", (Option("1", "Rất không hài lòng"), Option("5", "Rất hài lòng")))
    assert answer_label(scale, "9") == "9" and answer_label(scale, ["1", "5"]) == "Rất không hài lòng; Rất hài lòng"
    record = {"channel": "fax", "date_source": "form", "completeness": "incomplete", "review": "none",
              "unit_status": "ok",
              "flags": ["serial_conflict", "something_new"], "date": "2026-03-05..2026-03-09", "submitted_at": None,
              "answers": {"B1": "5"}, "status": {"B1": "weird"}, "comments": {}}
    shown = labelled(record, {"B1": scale})
    assert shown["channel"] == "fax" and shown["flags"] == ["trùng số phiếu, khác nội dung", "something_new"]
    assert shown["date"] == "05/03/2026 – 09/03/2026" and shown["status"]["B1"] == "weird"
    assert shown["completeness"] == "thiếu trang"


def test_the_vietnamese_headers_name_the_same_columns():
    from omr.reports import export, export_vi

    assert export_vi.BASE_COLUMNS == export.BASE_COLUMNS
    assert export_vi.COMMENT_COLUMNS == export.COMMENT_COLUMNS


# --- ranking --------------------------------------------------------------------------------------

def test_a_unit_needs_the_minimum_sample_to_be_ranked():
    units = pd.DataFrame({"unit": ["a", "b", "c", "d"], "name": list("ABCD"), "responses": [1, 40, 35, 30],
                          "index": [100.0, 70.0, 80.0, float("nan")]})
    ranked = rank_units(units, 30)
    assert list(ranked["unit"]) == ["c", "b", "a", "d"]
    assert list(ranked["rank"][:2]) == [1, 2] and ranked["rank"][2:].isna().all()
    assert list(rank_units(units, 1)["unit"][:3]) == ["a", "c", "b"]


@pytest.mark.parametrize("suffix", [".html", ".xlsx", ".docx"])
def test_every_report_format_states_the_ranking_rule(db, tmp_path, repo_root, suffix):
    out = tmp_path / f"r{suffix}"
    assert _cli("report", "--period", "2026-Q1", "--db", db, "-o", out, "--templates", repo_root / "form_templates") == 0
    if suffix == ".html":
        text = out.read_text("utf-8")
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        text = " ".join(str(c.value) for row in load_workbook(out)["Đơn vị"].iter_rows() for c in row if c.value)
    else:
        from docx import Document

        text = " ".join(p.text for p in Document(out).paragraphs)
    assert "Chỉ xếp hạng đơn vị có từ 30 phiếu trở lên trong kỳ" in text
    assert "2 đơn vị chưa đủ số phiếu" in text


# --- the DOCX as an administrative document ---------------------------------------------------------

def test_the_heading_comes_from_the_registry(repo_root):
    from omr.online.importer import read_table
    from omr.online.units import units_from_table

    table = read_table(repo_root / "examples" / "units" / "caolanh.csv")
    units, _ = units_from_table(table.header, table.rows, "caolanh.csv")
    one = heading_for(units, "30001", ["30001"], day=date(2026, 3, 5))
    assert one.issuer == ("ỦY BAN NHÂN DÂN", "PHƯỜNG CAO LÃNH") and one.date_line() == "Cao Lãnh, ngày 05 tháng 3 năm 2026"
    every = heading_for(units, None, ["30001", "30002", "30003"], day=date(2026, 1, 9))
    assert every.issuer == ("ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG THÁP") and every.date_line() == "Đồng Tháp, ngày 09 tháng 01 năm 2026"
    unknown = heading_for(units, "77777", ["77777"])
    assert unknown.issuer == (BLANK_BODY,) and unknown.place.startswith("…")
    given = heading_for(units, "30001", [], issuer="UBND PHƯỜNG CAO LÃNH\nBỘ PHẬN MỘT CỬA", place="TP. Cao Lãnh")
    assert given.issuer == ("UBND PHƯỜNG CAO LÃNH", "BỘ PHẬN MỘT CỬA") and given.place == "TP. Cao Lãnh"


def test_the_docx_report_is_an_administrative_document(db, tmp_path, repo_root):
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    out = tmp_path / "r.docx"
    assert _cli("report", "--period", "2026-Q1", "--unit", "30001", "--db", db, "-o", out,
                "--templates", repo_root / "form_templates") == 0
    document = Document(out)
    heading = document.tables[0]
    left, right = (cell.text for cell in heading.rows[0].cells)
    assert "ỦY BAN NHÂN DÂN\nPHƯỜNG CAO LÃNH" in left and "Số: ……/BC-UBND" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc" in right
    assert re.search(r"Cao Lãnh, ngày \d{2} tháng \d{1,2} năm \d{4}", right)
    signature = document.tables[1].rows[0].cells
    assert "Nơi nhận:" in signature[0].text and "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH" in signature[1].text
    texts = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in texts and "Phụ lục" in texts
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert document.styles["Normal"].font.size.pt == 14
    assert document.sections[0].page_width < document.sections[0].page_height  # the report: portrait
    assert document.sections[1].page_width > document.sections[1].page_height  # its annex: landscape
    # "(nhiều ô)" stays on one line in the question tables' header (non-breaking space).
    headers = [cell.text for table in document.tables[2:] for cell in table.rows[0].cells]
    assert "Không hợp lệ (nhiều\u00a0ô)" in headers and "Không hợp lệ (nhiều ô)" not in headers
    # Annex tables: numbers right-aligned, every column wide enough for its longest word.
    for table in document.tables[2:]:
        widths = [column.width.cm for column in table.columns]
        assert sum(widths) <= 25.7 + 0.01
        for row_index, row in enumerate(table.rows):
            for cell, width in zip(row.cells, widths):
                for paragraph in cell.paragraphs:
                    size = max((r.font.size.pt for r in paragraph.runs if r.font.size), default=11)
                    bold = any(r.bold for r in paragraph.runs)
                    for word in paragraph.text.split():
                        assert text_width_cm(word, size, bold) <= width - 0.38, (word, width)
                    if row_index and re.fullmatch(r"[−+±]?[\d.]+,\d+( ?%)?", paragraph.text):
                        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.RIGHT, paragraph.text


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice or poppler missing (make test installs both)")
def test_libreoffice_renders_the_docx_without_broken_words(db, tmp_path, repo_root):
    out = tmp_path / "r.docx"
    assert _cli("report", "--period", "2026-Q1", "--db", db, "-o", out, "--templates", repo_root / "form_templates") == 0
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(out)], check=True, capture_output=True, timeout=240)
    text = subprocess.run(["pdftotext", "-raw", str(tmp_path / "r.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    words = set(text.split())
    for word in ("Nhóm", "Không", "kiến", "Chưa", "kiểm", "hợp", "trước", "chung", "CỘNG", "Hạnh"):
        assert word in words, word
    for fragment in ("Nhó", "Khôn", "Chư", "kiể"):
        assert fragment not in words, fragment
    fonts = subprocess.run(["pdffonts", str(tmp_path / "r.pdf")], capture_output=True, text=True).stdout
    assert "LiberationSerif" in fonts or "TimesNewRoman" in fonts


def test_column_widths_never_break_a_word():
    header = ["Nhóm", "Nội dung", "Không ý kiến"]
    rows = [["B", "Thủ tục hành chính được niêm yết công khai đầy đủ, chính xác", "12.345"]]
    widths = column_widths(header, rows, 12.0, {1}, 11)
    assert widths is not None and abs(sum(widths) - 12.0) < 1e-6
    for i, text in enumerate(header + rows[0]):
        for word in text.split():
            assert text_width_cm(word, 11, True) + 0.38 <= widths[i % 3]
    assert column_widths(header, rows, 3.0, {1}, 11) is None  # cannot fit: the caller shrinks the type


# --- charts and crops -----------------------------------------------------------------------------

def test_chart_labels_are_whole():
    label = "THỦ TỤC HÀNH CHÍNH ĐƯỢC NIÊM YẾT CÔNG KHAI ĐẦY ĐỦ, CHÍNH XÁC TẠI BỘ PHẬN MỘT CỬA"
    svg = bar_svg([label, "B2. Ngắn"], [80.0, 50.0], "Tiêu đề", previous=[70.0, None])
    spans = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)
    assert " ".join(spans[:-1]) == label and "…" not in svg
    assert svg.count('class="cp"') == 1  # the previous period marked where it is known


def test_a_png_chart_marks_the_previous_period():
    from omr.reports.render import bar_png

    with_previous = bar_png(["B. Cơ sở vật chất"], [60.0], "t", previous=[50.0])
    without = bar_png(["B. Cơ sở vật chất"], [60.0], "t")
    import numpy as np

    def orange(png: bytes) -> int:
        rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
        return int(((rgb[..., 0] > 200) & (rgb[..., 1] > 90) & (rgb[..., 1] < 140) & (rgb[..., 2] < 40)).sum())

    assert orange(with_previous) > 20 and orange(without) == 0


# Values close to their previous period: the old charts printed "54,98%" right at the bar's end, where the
# previous period's mark (61,36 %) stands (#17).
CLOSE_VALUES = [59.67, 54.98, 56.67, 100.0, 0.0]
CLOSE_PREVIOUS = [58.54, 61.36, 64.29, 98.0, 3.0]


def test_svg_chart_values_never_meet_a_bar_or_a_previous_mark():
    svg = bar_svg([f"Nhóm {i}" for i in range(len(CLOSE_VALUES))], CLOSE_VALUES, "t", previous=CLOSE_PREVIOUS)
    bar_ends = [float(x) + float(w) for x, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)]
    marks = [float(x) for x in re.findall(r'<line x1="([\d.]+)"[^>]*class="cp"', svg)]
    values = re.findall(r'<text x="([\d.]+)" y="[\d.]+" class="cv">([^<]+)</text>', svg)
    assert len(bar_ends) == len(marks) == len(values) == len(CLOSE_VALUES)
    assert [text for _, text in values] == ["59,67%", "54,98%", "56,67%", "100,00%", "0,00%"]
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    for (x, text), end, mark in zip(values, bar_ends, marks):
        # 10 px type: a character is at most ~6.5 px wide; the value starts clear of the bar and the mark.
        assert float(x) >= max(end, mark) + 4 and float(x) + 6.5 * len(text) <= width, (x, end, mark)


def test_png_chart_values_never_meet_a_previous_mark():
    """In each bar's band of the DOCX chart, the value's ink starts right of every orange mark pixel."""
    import numpy as np

    from omr.reports.render import bar_png

    png = bar_png([f"Nhóm {i}" for i in range(len(CLOSE_VALUES))], CLOSE_VALUES, "t", width=7.5,
                  previous=CLOSE_PREVIOUS)
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    blue = (abs(rgb[..., 0] - 0x2f) < 30) & (abs(rgb[..., 1] - 0x6d) < 30) & (abs(rgb[..., 2] - 0xb5) < 30)
    orange = (rgb[..., 0] > 200) & (rgb[..., 1] > 90) & (rgb[..., 1] < 140) & (rgb[..., 2] < 40)
    dark = rgb.sum(axis=2) < 250
    axis_left = int(np.median(np.flatnonzero(blue.any(axis=0))[:5]))
    # The y axis: the darkest column just left of the bars; its rows are the plot's height (the legend is outside).
    spine = max(range(axis_left - 8, axis_left + 1), key=lambda c: dark[:, c].sum())
    plot_rows = np.flatnonzero(dark[:, spine])
    # Bars' bands: rows of the plot holding the orange marks (every bar has one), grouped into runs.
    rows = np.flatnonzero(orange[plot_rows.min():plot_rows.max() + 1].any(axis=1)) + plot_rows.min()
    bands = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    for band in bands:
        top, bottom = band[0], band[-1] + 1
        mark_right = np.flatnonzero(orange[top:bottom].any(axis=0)).max()
        ink = np.flatnonzero(dark[top:bottom, axis_left + 2:].any(axis=0)) + axis_left + 2
        value_ink = ink[ink > np.flatnonzero(blue[top:bottom].any(axis=0)).max(initial=axis_left)]
        assert len(value_ink) and value_ink.min() > mark_right + 3, (top, mark_right, value_ink.min(initial=-1))
    assert len(bands) == len(CLOSE_VALUES)


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfimages") is None,
                    reason="LibreOffice or poppler missing (make test installs both)")
def test_the_group_chart_follows_its_table_on_the_annex_first_page(db, tmp_path, repo_root):
    """#17: the group chart did not fit under the group table and left the annex's first page half empty."""
    out = tmp_path / "r.docx"
    assert _cli("report", "--period", "2026-Q1", "--db", db, "-o", out,
                "--templates", repo_root / "form_templates") == 0
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(out)], check=True, capture_output=True, timeout=240)
    pdf = str(tmp_path / "r.pdf")
    pages = subprocess.run(["pdftotext", "-layout", pdf, "-"], check=True, capture_output=True,
                           text=True).stdout.split("\f")
    annex = next(i for i, text in enumerate(pages, start=1) if "1. Chỉ số theo nhóm tiêu chí" in text)
    listing = subprocess.run(["pdfimages", "-list", pdf], check=True, capture_output=True, text=True).stdout
    image_pages = [int(line.split()[0]) for line in listing.splitlines()[2:] if line.split()[2] == "image"]
    assert image_pages and image_pages[0] == annex, (annex, image_pages)
    assert "2. Kết quả từng câu hỏi" in pages[annex - 1] + pages[annex]  # no page left for the chart alone


def test_comment_crops_are_trimmed_to_the_writing():
    image = Image.new("L", (600, 140), 255)
    ImageDraw.Draw(image).rectangle((200, 50, 330, 80), fill=30)
    image.putpixel((420, 60), 190)  # a faint pencil dot is writing too
    trimmed = trim_to_writing(image, margin_px=8)
    assert trimmed.size == (420 - 200 + 1 + 16, 80 - 50 + 1 + 16)
    blank = Image.new("L", (50, 20), 255)
    assert trim_to_writing(blank).size == (50, 20)


def test_the_report_crops_are_trimmed(db, repo_root):
    """A flagged paper comment's crop in the report has no wide white border."""
    from datetime import datetime, timezone

    import sqlalchemy as sa

    from omr.data.schema import comments, pages
    from omr.reports.figures import build

    image = Image.new("L", (800, 200), 255)
    ImageDraw.Draw(image).rectangle((300, 80, 420, 110), fill=0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    with open_store(db) as store:
        response_id = next(r["id"] for r in store.responses() if r["serial"] == 1)
        with store.reading() as conn:
            page_id = conn.execute(sa.select(pages.c.id).where(pages.c.serial == 1).limit(1)).scalar()
        flags = ('[{"term": "nhũng nhiễu", "category": "nhũng nhiễu", "start": 0, "end": 11, '
                 '"matched": "nhũng nhiễu", "negated": false, "ambiguous": false, "source": "text"}]')
        store.writing(lambda conn: conn.execute(comments.insert().values(
            response_id=response_id, page_id=page_id, field="H3", inked=True, ink_mm2=40.0, x=10, y=200, w=190,
            h=20, crop_png=buffer.getvalue(), draft_text="nhũng nhiễu", text="nhũng nhiễu", draft_confidence=90.0,
            likely_correct=True, review_priority=1.0, status="reviewed", flags=flags,
            updated_at=datetime.now(timezone.utc))))
        report = build(store, "2026-Q1", templates=str(repo_root / "form_templates"))
    crop = next(iter(report.crops.values()))
    assert Image.open(io.BytesIO(crop)).size == (121 + 16, 31 + 16)


def test_what_the_html_report_shows_is_not_cut(db, tmp_path, repo_root):
    out = tmp_path / "r.html"
    assert _cli("report", "--period", "2026-Q1", "--db", db, "-o", out, "--templates", repo_root / "form_templates") == 0
    html = out.read_text("utf-8")
    assert "…</text>" not in html and "THỦ T…" not in html
    assert Path(out).stat().st_size > 0


def test_the_users_guide_covers_what_an_office_needs(repo_root):
    guide = (repo_root / "docs" / "guide.md").read_text("utf-8")
    sections = re.findall(r"^## \d+\. (.+)$", guide, re.MULTILINE)
    for wanted in ("Scanner settings", "Loading your own units", "First login and passwords",
                   "Serving on the office LAN with HTTPS", "Backups and upgrades"):
        assert wanted in sections, wanted
    for detail in ("200 dpi", "duplex", "PDF", "omr units import", "--https", "--behind-proxy", "reverse_proxy",
                   ".backup", "pg_dump", "quantri-demo"):
        assert detail in guide, detail
    # Every command-line option the guide uses exists.
    from omr.cli import build_parser

    parser_text = " ".join(str(a.option_strings) for _, p in _all_parsers(build_parser()) for a in p._actions)
    for option in set(re.findall(r"(--[a-z][a-z-]+)", guide)):
        assert option in parser_text, option


def _all_parsers(parser, path=("omr",)):
    import argparse

    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _all_parsers(child, path + (name,))


def test_the_docx_is_dated_in_vietnam_time(db, tmp_path, repo_root):
    """Made at 20:00 UTC on 31 December: in Vietnam it is already 1 January of the next year."""
    from datetime import datetime, timezone

    from docx import Document

    from omr.reports.figures import build, write_report

    with open_store(db) as store:
        made = build(store, "2026-Q1", templates=str(repo_root / "form_templates"))
    made.generated_at = datetime(2026, 12, 31, 20, 0, tzinfo=timezone.utc)
    write_report(made, tmp_path / "r.docx")
    right = Document(tmp_path / "r.docx").tables[0].rows[0].cells[1].text
    assert "ngày 01 tháng 01 năm 2027" in right
