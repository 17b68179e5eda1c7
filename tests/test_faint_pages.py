"""Very dark or very light scans and broken PDF pages are never set aside as "blank" (cases F4/F5).

A page set aside as "trang trắng" invites the operator to throw the sheet away: only empty paper may
get that reason. A page with print that is too dark or too light is stretched to its own range and
read; if it still cannot be read it is "ảnh quá tối/quá nhạt"; a PDF page drawn flat because it is
broken is "trang PDF bị hỏng". Variants are generated from omr's own simulator.
"""

from __future__ import annotations

import json
import struct
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from omr.model import OK
from omr.scan.ingest import iter_pages
from omr.scan.page import process_page

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_variants import pdf_file, pdf_with_image  # noqa: E402


@pytest.fixture(scope="module")
def clean_sheet(tmp_path_factory, default_layout):
    """Both pages (grey uint8) of one clean simulated sheet and its true answers."""
    from omr.forms.simulate import simulate_batch

    template, layout = default_layout
    folder = tmp_path_factory.mktemp("faint")
    pdf, truth = folder / "sim.pdf", folder / "truth.jsonl"
    simulate_batch(template, layout, pdf, truth, count=1, seed=11, profile="clean")
    pages = [raw.image for raw in iter_pages(pdf)]
    answers = json.loads(truth.read_text(encoding="utf-8").splitlines()[0])["answers"]
    return pages, answers


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _with_sbit(png: bytes, bits: int) -> bytes:
    """The PNG with an sBIT chunk (significant bits) right after IHDR."""
    ihdr_end = 8 + 8 + 13 + 4
    return png[:ihdr_end] + _png_chunk(b"sBIT", bytes([bits])) + png[ihdr_end:]


def _variant(grey: np.ndarray, kind: str, path: Path) -> Path:
    values = grey.astype(np.float64) / 255.0
    if kind == "washed-out":  # 8-bit, everything within 233-255
        Image.fromarray(np.rint(233 + values * 22).astype(np.uint8)).save(path)
    elif kind == "dark":  # 8-bit, everything within 0-40
        Image.fromarray(np.rint(values * 40).astype(np.uint8)).save(path)
    elif kind in ("12-bit", "12-bit-sbit", "12-bit-dim-sbit"):  # a 12-bit scan in a 16-bit PNG
        top = 4095 if kind != "12-bit-dim-sbit" else 3000  # paper under the 12-bit white
        Image.fromarray(np.rint(values * top).astype(np.uint16)).save(path)
        if kind != "12-bit":
            path.write_bytes(_with_sbit(path.read_bytes(), 12))
    return path


@pytest.mark.parametrize("kind", ["washed-out", "dark", "12-bit", "12-bit-sbit", "12-bit-dim-sbit"])
def test_too_dark_or_too_light_page_is_stretched_and_read(tmp_path, catalogue, clean_sheet, kind):
    pages, truth = clean_sheet
    for number, grey in enumerate(pages, start=1):
        path = _variant(grey, kind, tmp_path / f"{kind}-{number}.png")
        (raw,) = list(iter_pages(path))
        result = process_page(raw, catalogue)
        assert result.set_aside is None, (result.set_aside, result.detail)
        assert (result.serial, result.page) == (1, number)
        ok = {q.question: q.value for q in result.questions if q.status == OK}
        # Never a wrong answer marked ok; and the page is really read, not all sent to review.
        assert {k: truth[k] for k in ok} == ok
        assert len(ok) >= 0.8 * len(result.questions)


def test_faint_print_that_cannot_be_read_is_too_light_never_blank(tmp_path, catalogue):
    paper = np.full((2339, 1654), 255, np.uint8)
    for row in range(200, 2100, 60):  # lines of faint "text", 20 levels under the paper
        paper[row:row + 12, 150:1500] = 235
    path = tmp_path / "faint.png"
    Image.fromarray(paper).save(path)
    (raw,) = list(iter_pages(path))
    result = process_page(raw, catalogue)
    assert result.set_aside == "too_light"
    dark = tmp_path / "dark.png"
    Image.fromarray((paper.astype(np.int32) - 215).astype(np.uint8)).save(dark)  # paper 40, print 20
    assert process_page(next(iter_pages(dark)), catalogue).set_aside == "too_dark"


def test_empty_paper_is_still_blank(tmp_path, catalogue):
    rng = np.random.default_rng(3)
    # A white sheet is blank; one scanned far too dark shows no paper, so it may be any page (a sheet
    # that should be scanned again): too dark, never blank, which would invite throwing it away.
    for level, reason in ((245, "blank"), (60, "too_dark")):
        noisy = np.clip(level + rng.normal(0, 8, (2339, 1654)), 0, 255).astype(np.uint8)
        _, encoded = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 60])
        path = tmp_path / f"empty-{level}.jpg"
        path.write_bytes(encoded.tobytes())
        assert process_page(next(iter_pages(path)), catalogue).set_aside == reason


def _good_image_pdf() -> tuple[bytes, bytes]:
    grey = np.full((400, 300), 240, np.uint8)
    grey[50:350:20, 40:260] = 30
    return grey.tobytes(), pdf_with_image(300, 400, "/ColorSpace /DeviceGray /BitsPerComponent 8",
                                          zlib.compress(grey.tobytes()), encoded_as="FlateDecode")


@pytest.mark.parametrize("damage", ["corrupt-flate", "resources", "contents"])
def test_broken_pdf_page_is_named_as_broken_never_blank(tmp_path, catalogue, damage):
    raw_pixels, good = _good_image_pdf()
    if damage == "corrupt-flate":
        packed = bytearray(zlib.compress(raw_pixels))
        packed[20:60] = bytes(40)
        data = pdf_with_image(300, 400, "/ColorSpace /DeviceGray /BitsPerComponent 8", bytes(packed),
                              encoded_as="FlateDecode")
    elif damage == "resources":
        data = good.replace(b"/Resources << /XObject << /Im0 5 0 R >> >>", b"/Resources 7 ", 1)
    else:
        data = good.replace(b"/Contents 4 0 R", b"/Contents 9 ", 1)
    assert data != good
    path = tmp_path / f"{damage}.pdf"
    path.write_bytes(data)
    (raw,) = list(iter_pages(path))
    assert raw.image is None and f"{damage}.pdf, trang 1: trang PDF bị hỏng" in raw.error.message
    result = process_page(raw, catalogue)
    assert result.set_aside == "unreadable" and "trang PDF bị hỏng" in result.detail


def test_good_and_empty_pdf_pages_are_not_called_broken(tmp_path):
    _, good = _good_image_pdf()
    path = tmp_path / "good.pdf"
    path.write_bytes(good)
    assert next(iter_pages(path)).image is not None
    empty = tmp_path / "empty.pdf"  # a page with nothing on it at all (an empty content stream): white
    empty.write_bytes(pdf_file([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
                                b"<< /Length 0 >>\nstream\n\nendstream"]))
    page = next(iter_pages(empty))
    assert page.image is not None and page.error is None
    _, white = cv2.imencode(".jpg", np.full((400, 300), 255, np.uint8))  # a blank sheet scanned to JPEG
    jpeg = tmp_path / "white-jpeg.pdf"
    jpeg.write_bytes(pdf_with_image(300, 400, "/ColorSpace /DeviceGray /BitsPerComponent 8", white.tobytes(),
                                    encoded_as="DCTDecode"))
    page = next(iter_pages(jpeg))
    assert page.image is not None and page.error is None
