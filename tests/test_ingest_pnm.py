"""Netpbm scans (PBM, PGM, PPM, PNM): what SANE's ``scanimage`` writes by default on Linux scanning stations.

They were refused as «nội dung là văn bản thuần (text)» (the pixel bytes decoded as cp1252) or «không nhận
ra nội dung» (16-bit, largest value 4095), and skipped without a word in a folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from omr.scan.ingest import RawPage, _open_image, content_kind, image_to_grey, iter_pages, pnm_header
from omr.scan.page import process_page

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_ingest_formats import assert_reads_like  # noqa: E402


def _write_pnm(path: Path, magic: str, samples: np.ndarray, maxval: int | None) -> Path:
    """A raw Netpbm file as scanimage writes it: header with a comment, then the samples (big-endian if 16-bit)."""
    height, width = samples.shape[:2]
    header = f"{magic}\n# SANE data follows\n{width} {height}\n" + (f"{maxval}\n" if maxval else "")
    if magic == "P4":
        data = np.packbits(samples.astype(bool), axis=1).tobytes()
    elif maxval and maxval > 255:
        data = samples.astype(">u2").tobytes()
    else:
        data = samples.astype(np.uint8).tobytes()
    path.write_bytes(header.encode() + data)
    return path


def _only_page(path: Path) -> np.ndarray:
    pages = list(iter_pages(path))
    assert len(pages) == 1 and pages[0].image is not None, pages[0].error
    return pages[0].image


def test_8bit_pgm_reads_like_the_page(clean_sheet, catalogue, tmp_path):
    pages, reads = clean_sheet
    path = _write_pnm(tmp_path / "out1.pgm", "P5", pages[0], 255)
    image = _only_page(path)
    assert np.array_equal(image, pages[0])
    assert_reads_like(process_page(RawPage(str(path), 0, image), catalogue), reads[0])


@pytest.mark.parametrize("maxval", [4095, 65535])
def test_16bit_pnm_is_scaled_by_its_declared_largest_value(maxval, clean_sheet, catalogue, tmp_path):
    """A 12-bit scanner's 0-4095 (and a full 16-bit page) comes out as the 8-bit page, never black or clipped."""
    pages, reads = clean_sheet
    samples = np.rint(pages[1].astype(np.float64) * maxval / 255)
    path = _write_pnm(tmp_path / "scan.pnm", "P5", samples, maxval)
    image = _only_page(path)
    assert np.abs(image.astype(int) - pages[1]).max() <= 1
    assert_reads_like(process_page(RawPage(str(path), 0, image), catalogue), reads[1])


def test_pbm_bitmap_reads_with_ink_black(clean_sheet, catalogue, tmp_path):
    """In a PBM 1 is black: the page must not come out as its negative."""
    pages, reads = clean_sheet
    ink = pages[0] < 128
    path = _write_pnm(tmp_path / "out1.pbm", "P4", ink, None)
    image = _only_page(path)
    assert np.array_equal(image == 0, ink)
    assert_reads_like(process_page(RawPage(str(path), 0, image), catalogue), reads[0], exact=False)


def test_colour_and_plain_pnm_are_recognised_by_their_header(tmp_path):
    """By content, whatever the name: raw colour (P6), plain text grey (P2), without a suffix; text is not."""
    colour = _write_pnm(tmp_path / "scan0001", "P6", np.full((300, 400, 3), 200), 255)
    plain = tmp_path / "plain.pgm"
    plain.write_text("P2\n# plain\n4 2\n15\n0 5 10 15\n15 10 5 0\n")
    note = tmp_path / "note.txt"
    note.write_text("P5 là phiếu số 5\n3 2 1\n")
    assert content_kind(colour) == content_kind(plain) == "ảnh PNM"
    assert content_kind(note) == "văn bản thuần (text)" and pnm_header(note.read_bytes()) is None
    with _open_image(plain) as img:
        image = image_to_grey(img)
    assert image.tolist() == [[0, 85, 170, 255], [255, 170, 85, 0]]


def test_a_folder_of_pgm_scans_is_read_and_its_other_files_named(clean_sheet, tmp_path, capsys, repo_root):
    """scanimage --batch writes out1.pnm, out2.pnm...: a folder of them was read as holding no page; the
    other files in it (a note) were skipped without a word."""
    from omr.cli import main

    pages, _ = clean_sheet
    folder = tmp_path / "đợt 1"
    folder.mkdir()
    _write_pnm(folder / "out1.pgm", "P5", pages[0], 255)
    _write_pnm(folder / "out2.pnm", "P5", pages[1].astype(np.uint32) * 257, 65535)
    (folder / "ghi chú.txt").write_text("đợt 1", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    db = tmp_path / "f.sqlite"
    code = main(["scan", str(folder), "--db", str(db), "--templates", str(repo_root / "form_templates")])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 0 and "Traceback" not in text, text
    assert "Trang đọc được lần này: 2" in text and "đủ trang: 1" in text, text
    skipped = [line for line in text.splitlines() if "không phải bản quét, không đọc" in line]
    assert len(skipped) == 1 and str(folder / "ghi chú.txt") in skipped[0] and "1 tệp ẩn" in skipped[0], text
    assert ".DS_Store" not in text


def test_web_upload_accepts_a_pnm_scan(tmp_path):
    from omr.web.jobs import scan_suffix

    path = _write_pnm(tmp_path / "upload.bin", "P5", np.full((300, 400), 250), 255)
    assert scan_suffix(path) == ".pnm"


def test_a_pnm_file_holding_two_images_gives_both_pages(clean_sheet, catalogue, tmp_path):
    """Netpbm lets one file hold several images one after another: the second page was dropped unsaid."""
    pages, reads = clean_sheet
    first = _write_pnm(tmp_path / "a.pgm", "P5", pages[0], 255).read_bytes()
    second = _write_pnm(tmp_path / "b.pgm", "P5", pages[1].astype(np.uint32) * 257, 65535).read_bytes()
    path = tmp_path / "both.pgm"
    path.write_bytes(first + b"\n" + second)
    found = list(iter_pages(path))
    assert [p.index for p in found] == [0, 1] and all(p.image is not None for p in found), found
    assert np.array_equal(found[0].image, pages[0]) and np.array_equal(found[1].image, pages[1])
    assert_reads_like(process_page(RawPage(str(path), 1, found[1].image), catalogue), reads[1])


def _plain_pgm(samples: np.ndarray) -> bytes:
    """A plain (P2) grey image: the samples as decimal text, one image row a line."""
    rows = "\n".join(" ".join(str(v) for v in row) for row in samples.tolist())
    return f"P2\n# plain\n{samples.shape[1]} {samples.shape[0]}\n255\n{rows}\n".encode()


def test_a_damaged_header_after_the_last_good_image_is_named_as_a_page(tmp_path):
    """Two good pages then a header cut short (a copy that stopped): the third page was dropped unsaid."""
    from omr.scan.ingest import count_pages_checked

    rng = np.random.default_rng(5)
    first, second = (rng.integers(0, 256, (300, 400)).astype(np.uint8) for _ in range(2))
    good = [_write_pnm(tmp_path / f"{n}.pgm", "P5", s, 255).read_bytes() for n, s in (("a", first), ("b", second))]
    path = tmp_path / "cut.pgm"
    path.write_bytes(good[0] + good[1] + b"\nP5\n# SANE data follows\n40")
    found = list(iter_pages(path))
    assert [p.index for p in found] == [0, 1, 2], found
    assert np.array_equal(found[0].image, first) and np.array_equal(found[1].image, second)
    assert found[2].image is None
    message = str(found[2].error)
    assert message.startswith(f"{path}, trang 3:") and "đầu ảnh của trang 3 bị hỏng" in message, message
    assert count_pages_checked(path)[0] == 3


def test_a_plain_pnm_file_holding_two_images_gives_both_pages(tmp_path):
    """A plain (text) file with two images was read as its first only: the second page was lost unsaid."""
    from omr.scan.ingest import count_pages_checked

    rng = np.random.default_rng(6)
    first = rng.integers(0, 256, (260, 300)).astype(np.uint8)
    second = rng.integers(0, 256, (300, 250)).astype(np.uint8)
    path = tmp_path / "plain2.pgm"
    path.write_bytes(_plain_pgm(first) + _plain_pgm(second) + b"P2 junk")
    found = list(iter_pages(path))
    assert [p.index for p in found] == [0, 1, 2], found
    assert np.array_equal(found[0].image, first) and np.array_equal(found[1].image, second)
    assert found[2].image is None and "trang 3" in str(found[2].error)
    assert count_pages_checked(path)[0] == 3


@pytest.mark.parametrize("padding", [5000, 4096 * 3 + 17])
def test_images_parted_by_more_than_4_kb_of_white_space_are_all_read(tmp_path, padding):
    """White space between two images longer than one 4 KB read was counted twice (its first block again):
    the second image's offset fell inside it, and a page that was there came out as a damaged header, or,
    the file's end then seeming near, was dropped unsaid."""
    from omr.scan.ingest import count_pages_checked, pnm_offsets

    rng = np.random.default_rng(7)
    first, second = (rng.integers(0, 256, (300, 400)).astype(np.uint8) for _ in range(2))
    good = [_write_pnm(tmp_path / f"{n}.pgm", "P5", s, 255).read_bytes() for n, s in (("a", first), ("b", second))]
    path = tmp_path / "spaced.pgm"
    path.write_bytes(good[0] + b"\n" * padding + good[1])
    assert pnm_offsets(path, 10) == [0, len(good[0]) + padding]
    found = list(iter_pages(path))
    assert [p.index for p in found] == [0, 1] and all(p.image is not None for p in found), found
    assert np.array_equal(found[0].image, first) and np.array_equal(found[1].image, second)
    assert count_pages_checked(path)[0] == 2
    # A small last image after the white space: the file's end is no nearer than it is.
    small = rng.integers(0, 256, (20, 30)).astype(np.uint8)
    tail = _write_pnm(tmp_path / "c.pgm", "P5", small, 255).read_bytes()
    path.write_bytes(good[0] + b" " * padding + tail)
    assert pnm_offsets(path, 10) == [0, len(good[0]) + padding]
    # More than 4 KB of white space after the last image ends the file: no page after it.
    path.write_bytes(good[0] + b"\n" * padding)
    assert pnm_offsets(path, 10) == [0]
