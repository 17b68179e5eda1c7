"""Issue 13 item 1: ingest reads what scanners and phones write.

Generated variants of one simulated clean_sheet, each read and compared with the
plain 8-bit page: bit depths and colour models (16-bit grey and RGB, CMYK,
palette, alpha, 1-bit, float), EXIF orientations, HEIC, and PDFs whose page
image must be used as the page paints it (/Decode [1 0], /ImageMask, SMask,
/Rotate, an image smaller than the page).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omr.model import OK
from omr.scan.ingest import image_to_grey, iter_pages
from omr.scan.page import process_page
from read_checks import answers_of

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_variants import (  # noqa: E402
    IMAGE_KINDS,
    PDF_KINDS,
    STORED_FOR_ORIENTATION,
    exif_jpeg,
    pdf_variant,
    write_variant,
)




def assert_reads_like(result, reference, *, exact=True):
    """Same page, same answers; where not exact (1-bit, lossy), a difference must be in review, never ok."""
    assert result.set_aside is None, result.detail
    assert (result.serial, result.page) == (reference.serial, reference.page)
    got, want = answers_of(result), answers_of(reference)
    assert got.keys() == want.keys()
    if exact:
        assert got == want
    else:
        wrong_ok = [q for q in want if got[q][1] == OK and got[q][0] != want[q][0]]
        assert not wrong_ok, wrong_ok
        assert sum(got[q] == want[q] for q in want) >= 0.9 * len(want)


def _read_file(path, catalogue, index=0):
    page = [p for p in iter_pages(Path(path)) if p.index == index][0]
    assert page.image is not None and page.image.dtype == np.uint8 and page.image.ndim == 2, page.error
    return page, process_page(page, catalogue)


# --- bit depths and colour models ----------------------------------------------------------

EXACT = ["16bit-grey-png", "16bit-grey-tiff", "16bit-rgb-png", "16bit-rgb-tiff", "cmyk-tiff", "palette-png",
         "rgba-ink-as-alpha-png", "la-png", "float-tiff"]
LOSSY = ["cmyk-jpeg", "palette-transparent-paper-png", "1bit-g4-tiff", "heic"]
assert sorted(EXACT + LOSSY) == sorted(IMAGE_KINDS)


@pytest.mark.parametrize("kind", EXACT + LOSSY)
def test_bit_depths_and_colour_models_read_like_the_8bit_page(kind, clean_sheet, catalogue, tmp_path):
    pages, reads = clean_sheet
    path = write_variant(kind, pages[0], tmp_path)
    raw, result = _read_file(path, catalogue)
    if kind in EXACT and kind != "palette-png":
        # Scaled, not clipped: the same grey levels (within rounding) as the 8-bit page.
        assert np.abs(raw.image.astype(int) - pages[0]).max() <= 1
    assert_reads_like(result, reads[0], exact=kind in EXACT)


def test_grey_conversion_scales_every_depth_to_the_full_range():
    ramp16 = np.linspace(0, 65535, 256).astype(np.uint16).reshape(16, 16)
    img16 = Image.fromarray(ramp16)
    assert img16.mode.startswith("I;16")
    assert np.array_equal(image_to_grey(img16), np.rint(ramp16 / 257).astype(np.uint8))
    # 32-bit integer image holding 16-bit values (as some TIFF readers give): scaled by 16 bits, not clipped.
    img32 = Image.fromarray(ramp16.astype(np.int32))
    assert img32.mode == "I"
    assert np.array_equal(image_to_grey(img32), np.rint(ramp16 / 257).astype(np.uint8))
    # 8-bit values in a 32-bit image stay as they are.
    ramp8 = np.arange(256, dtype=np.int32).reshape(16, 16)
    assert np.array_equal(image_to_grey(Image.fromarray(ramp8)), ramp8.astype(np.uint8))
    assert image_to_grey(Image.fromarray(np.full((4, 4), 0.5, np.float32))).max() == 128


# --- EXIF orientation ---------------------------------------------------------------------

@pytest.mark.parametrize("orientation", [2, 3, 4, 5, 6, 7, 8])
def test_exif_orientation_gives_the_page_upright(orientation, clean_sheet, tmp_path):
    pages, _ = clean_sheet
    path = exif_jpeg(pages[0], orientation, tmp_path / f"o{orientation}.jpg")
    raw = next(iter_pages(path))
    assert raw.image.shape == pages[0].shape
    assert np.abs(raw.image.astype(int) - pages[0]).mean() < 3


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_rotated_photos_read(orientation, clean_sheet, catalogue, tmp_path):
    pages, reads = clean_sheet
    _, result = _read_file(exif_jpeg(pages[1], orientation, tmp_path / "p.jpg"), catalogue)
    assert_reads_like(result, reads[1], exact=False)


def test_heic_with_exif_orientation_is_upright(clean_sheet, tmp_path):
    import pillow_heif

    pillow_heif.register_heif_opener()
    pages, _ = clean_sheet
    path = tmp_path / "iphone.heic"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pages[0]).transpose(STORED_FOR_ORIENTATION[6]).convert("RGB").save(path, exif=exif.tobytes(), quality=90)
    raw = next(iter_pages(path))
    assert raw.image.shape == pages[0].shape
    assert np.abs(raw.image.astype(int) - pages[0]).mean() < 4


# --- PDF page images used as the page paints them ---------------------------------------------

@pytest.mark.parametrize("kind", PDF_KINDS)
def test_pdf_page_image_is_used_as_the_page_paints_it(kind, clean_sheet, catalogue, tmp_path):
    pages, reads = clean_sheet
    for index in (0, 1):
        path = tmp_path / f"{kind}-{index}.pdf"
        path.write_bytes(pdf_variant(kind, pages[index]))
        raw, result = _read_file(path, catalogue)
        # Paper is paper: never a page taken inverted (the "blank page" of the case).
        assert np.median(raw.image) > 200
        assert_reads_like(result, reads[index], exact=kind in ("plain", "8bit-decode-1-0", "smask", "rotate-90"))


def test_ordinary_scanner_jpeg_keeps_the_fast_path(clean_sheet, tmp_path):
    """A page that is one JPEG painted as is: decoded directly (its stream hashed), not rendered."""
    import img2pdf

    pages, _ = clean_sheet
    buffer = io.BytesIO()
    Image.fromarray(pages[0]).save(buffer, format="JPEG", quality=90, dpi=(200, 200))
    path = tmp_path / "scanner.pdf"
    path.write_bytes(img2pdf.convert(buffer.getvalue()))
    raw = next(iter_pages(path))
    assert raw.stream_sha256 and raw.image.shape == pages[0].shape


# --- TIFF PhotometricInterpretation MinIsWhite (0): 0 is white, the largest value black -------------------

def _min_is_white_tiff(grey: np.ndarray, bits: int) -> bytes:
    """``grey`` (uint8, 255 = paper) as an uncompressed one-strip little-endian TIFF of ``bits`` per sample
    (1, 8, 16, or 32 for float 0..1) declaring MinIsWhite, its samples stored that way: ink is the
    largest value. Written byte by byte, as no writer installed here stores such samples on request."""
    import struct

    darkness = 255 - grey.astype(np.uint32)  # MinIsWhite: 0 paper, the full scale ink
    height, width = grey.shape
    if bits == 1:
        data = np.packbits(darkness >= 128, axis=1).tobytes()
    elif bits == 8:
        data = darkness.astype(np.uint8).tobytes()
    elif bits == 16:
        data = (darkness * 257).astype("<u2").tobytes()
    else:
        data = (darkness / 255.0).astype("<f4").tobytes()
    entries = [(256, width), (257, height), (258, bits), (259, 1), (262, 0), (273, None), (277, 1),
               (278, height), (279, len(data)), (339, 3 if bits == 32 else 1)]
    start = 8 + 2 + 12 * len(entries) + 4
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHII", tag, 4, 1, start if value is None else value) for tag, value in entries)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + data


@pytest.mark.parametrize("bits", [1, 8, 16, 32])
def test_a_min_is_white_tiff_reads_as_the_page_never_its_negative(bits, clean_sheet, catalogue, tmp_path):
    """A 16-bit MinIsWhite TIFF was read as a negative (black paper, then set aside); 1- and 8-bit ones
    Pillow inverts itself, and must stay inverted once only."""
    pages, reads = clean_sheet
    path = tmp_path / f"miw{bits}.tif"
    path.write_bytes(_min_is_white_tiff(pages[0], bits))
    assert Image.open(path).tag_v2[262] == 0
    raw, result = _read_file(path, catalogue)
    assert np.median(raw.image) > 200  # paper is white
    if bits != 1:
        assert np.abs(raw.image.astype(int) - pages[0]).max() <= 1
    assert_reads_like(result, reads[0], exact=bits != 1)
