"""The ingest cases of ../shared/data/cases/ (issue 13, items 1, 2 and 5), each with its right values.

README.md there gives the answers drawn on every sheet (serial 000001).
The Windows-1258 CSV case is in tests/test_online_windows1258.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from db_fixtures import SQLITE_ONLY

from omr.cli import main
from omr.model import OK
from omr.scan.batch import format_report, run_scan
from omr.scan.ingest import count_pages, iter_pages
from omr.scan.page import process_page

sys.path.insert(0, str(Path(__file__).resolve().parent))
from case_files import require_cases  # noqa: E402

TEMPLATES = str(Path(__file__).resolve().parents[1] / "form_templates")


@pytest.fixture
def cases() -> Path:
    return require_cases()

# From the cases' README: page 1 (A1-D2) and page 2 (D3-H2) of serial 000001; H2 "Không" is code N.
ANSWERS = {
    1: {"A1": "2026-03-15", "A2": "1", "A3": "2", "A4": "1", "A5": "2", "A6": "3", "A7": "4", "B1": "5", "B2": "4",
        "B3": "3", "B4": "5", "C1": "4", "C2": "5", "C3": "4", "C4": "1", "C5": "2", "D1": "5", "D2": "4"},
    2: {"D3": "5", "D4": "4", "D5": "3", "E1": "2", "E2": "4", "F1": "1", "F2": "5", "F3": "2", "F4": "4", "G1": "5",
        "G2": "4", "H1": "5", "H2": "N"},
}


def _read(path, catalogue):
    return [(raw, process_page(raw, catalogue)) for raw in iter_pages(Path(path))]


def _assert_page(result, page_number):
    assert result.set_aside is None, result.detail
    assert (result.serial, result.page) == (1, page_number)
    got = {q.question: q.value for q in result.questions if q.status == OK}
    assert got == ANSWERS[page_number]
    # The comment boxes are empty.
    assert not [c for c in result.comments if c.inked]


def test_scan_16bit_grey_png_reads_like_the_8bit_page(cases, catalogue):
    (raw, result), = _read(cases / "scan-16bit-grey.png", catalogue)
    assert raw.image.min() < 60 and raw.image.max() > 200  # scaled, not clipped to white
    _assert_page(result, 1)


def test_pdf_image_mask_is_read_as_painted(cases, catalogue):
    pages = _read(cases / "pdf-image-mask.pdf", catalogue)
    assert len(pages) == 2
    for number, (raw, result) in enumerate(pages, start=1):
        _assert_page(result, number)


def test_photo_exif_rotated_comes_out_upright_portrait_and_reads(cases, catalogue):
    (raw, result), = _read(cases / "photo-exif-rotated.jpg", catalogue)
    height, width = raw.image.shape
    assert height > width  # upright portrait, as the EXIF Orientation 6 says
    assert not result.rotated_180
    _assert_page(result, 1)


def test_png_declaring_two_billion_frames_is_bounded(cases):
    assert count_pages(cases / "png-declares-2-billion-frames.png") <= 2
    pages = list(iter_pages(cases / "png-declares-2-billion-frames.png"))
    # Its one real frame is 16 x 16 px: named as too small to be a page (T.MIN_PAGE_SIDE_PX), never blank answers.
    assert len(pages) <= 2 and pages[0].image is None and "trang 1: ảnh quá nhỏ" in pages[0].error.message


@SQLITE_ONLY  # the store holds what was read; reading is what is tested
def test_case_png_declaring_two_billion_frames_in_a_batch(store, cases):
    """The 92-byte APNG: bounded, named, and the batch (here a 16-bit scan after it) goes on."""
    report = run_scan([str(cases / "png-declares-2-billion-frames.png"), str(cases / "scan-16bit-grey.png")],
                      store, "b", template_dir=TEMPLATES)
    assert report.pages_seen <= 3
    assert report.outcomes["new"] == 1  # the 16-bit scan is read
    aside = [(Path(p).name, n) for p, n, _, _ in report.set_aside]
    assert ("png-declares-2-billion-frames.png", 1) in aside
    # The declared frame that is not there: one line naming file and page, saying "không đọc được" once
    # (it was "không đọc được ảnh (không đọc được trang này (…); …)"), and what to do.
    (line,) = [line for line in format_report(report, store.summary()).splitlines()
               if "png-declares-2-billion-frames.png, trang 2:" in line]
    assert line.count("không đọc được") == 1 and line.count("(") == 1, line
    assert "ảnh động" in line and "chép lại tệp gốc" in line


@SQLITE_ONLY  # the store holds what was read; reading is what is tested
def test_case_unloadable_pdf_page_in_a_batch(store, cases):
    report = run_scan([str(cases / "pdf-unloadable-page.pdf"), str(cases / "scan-16bit-grey.png")],
                      store, "b", template_dir=TEMPLATES)
    assert report.outcomes["new"] == 1
    (path, page, reason, _detail), = report.set_aside
    assert Path(path).name == "pdf-unloadable-page.pdf" and page == 1 and reason == "unreadable"
    text = format_report(report, store.summary())
    assert "pdf-unloadable-page.pdf, trang 1: không đọc được ảnh (trang PDF bị hỏng" in text


def test_case_folder_through_the_cli_reads_every_good_page_and_names_the_bad_ones(cases, tmp_path, capsys):
    """One batch of the ingest cases: exit 0, no traceback, the bad files named with their page."""
    files = [cases / name for name in ("pdf-unloadable-page.pdf", "png-declares-2-billion-frames.png",
                                        "scan-16bit-grey.png", "pdf-image-mask.pdf", "photo-exif-rotated.jpg")]
    code = main(["scan", *map(str, files), "--db", str(tmp_path / "c.sqlite"), "--templates", TEMPLATES,
                 "--workers", "2"])
    out = capsys.readouterr()
    assert code == 0 and "Traceback" not in out.err + out.out
    text = out.out + out.err
    assert "pdf-unloadable-page.pdf, trang 1" in text
    # Its first frame is 1 px: set aside as no scan (never queued), with why, named once.
    assert "png-declares-2-billion-frames.png, trang 1: không phải bản quét trang phiếu (ảnh quá nhỏ" in text
    assert text.count("ảnh quá nhỏ") == 1
    assert "Phiếu trong cơ sở dữ liệu: 1, đủ trang: 1" in text
