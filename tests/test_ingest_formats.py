"""Issue 13 item 1: ingest reads what scanners and phones write.

Generated variants of one simulated sheet, each read and compared with the
plain 8-bit page: bit depths and colour models (16-bit grey and RGB, CMYK,
palette, alpha, 1-bit, float), EXIF orientations, HEIC, and PDFs whose page
image must be used as the page paints it (/Decode [1 0], /ImageMask, SMask,
/Rotate, an image smaller than the page).
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from omr.ingest import RawPage, image_to_grey, iter_pages
from omr.model import OK
from omr.scan import process_page

A4_PT = (595.276, 841.89)


@pytest.fixture(scope="session")
def sheet(tmp_path_factory, default_layout, catalogue):
    """Page 1 and 2 of one clean simulated sheet (grey uint8, 200 dpi) and how they read."""
    from omr.simulate import simulate_batch

    template, layout = default_layout
    folder = tmp_path_factory.mktemp("sheet")
    simulate_batch(template, layout, folder / "s.pdf", folder / "s.jsonl", count=1, seed=11, profile="clean")
    pages = [p.image for p in iter_pages(folder / "s.pdf")]
    reads = [process_page(RawPage("ref.png", i, g), catalogue) for i, g in enumerate(pages)]
    assert all(r.set_aside is None for r in reads)
    return pages, reads


def _answers(result):
    return {q.question: (q.value, q.status) for q in result.questions}


def assert_reads_like(result, reference, *, exact=True):
    """Same page, same answers; where not exact (1-bit, lossy), a difference must be in review, never ok."""
    assert result.set_aside is None, result.detail
    assert (result.serial, result.page) == (reference.serial, reference.page)
    got, want = _answers(result), _answers(reference)
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

def _write_variant(kind: str, grey: np.ndarray, folder: Path) -> Path:
    if kind == "16bit-grey-png":
        path = folder / "g16.png"
        cv2.imwrite(str(path), grey.astype(np.uint16) * 257)
    elif kind == "16bit-grey-tiff":
        path = folder / "g16.tif"
        cv2.imwrite(str(path), grey.astype(np.uint16) * 257)
    elif kind == "16bit-rgb-png":
        path = folder / "rgb16.png"
        cv2.imwrite(str(path), np.dstack([grey.astype(np.uint16) * 257] * 3))
    elif kind == "16bit-rgb-tiff":
        path = folder / "rgb16.tif"
        cv2.imwrite(str(path), np.dstack([grey.astype(np.uint16) * 257] * 3))
    elif kind == "cmyk-jpeg":
        path = folder / "cmyk.jpg"
        Image.fromarray(grey).convert("CMYK").save(path, quality=95)
    elif kind == "cmyk-tiff":
        path = folder / "cmyk.tif"
        Image.fromarray(grey).convert("CMYK").save(path, compression="tiff_lzw")
    elif kind == "palette-png":
        path = folder / "p.png"
        Image.fromarray(grey).convert("RGB").quantize(64).save(path)
    elif kind == "palette-transparent-paper-png":
        # Paper is the transparent palette entry: shown over white it is the page.
        path = folder / "pt.png"
        img = Image.fromarray(np.where(grey > 230, 255, grey).astype(np.uint8)).convert("P")
        img.save(path, transparency=255)
    elif kind == "rgba-ink-as-alpha-png":
        # Black everywhere, the page in the alpha channel (ink opaque, paper transparent):
        # read without compositing it would be a black page.
        path = folder / "rgba.png"
        rgba = np.dstack([np.zeros_like(grey)] * 3 + [255 - grey])
        Image.fromarray(rgba, "RGBA").save(path)
    elif kind == "la-png":
        path = folder / "la.png"
        Image.fromarray(np.dstack([grey, np.full_like(grey, 255)]), "LA").save(path)
    elif kind == "1bit-g4-tiff":
        path = folder / "bw.tif"
        Image.fromarray(grey).point(lambda v: 255 if v >= 150 else 0).convert("1").save(path, compression="group4")
    elif kind == "float-tiff":
        path = folder / "f.tif"
        Image.fromarray(grey.astype(np.float32) / 255.0, "F").save(path)
    elif kind == "heic":
        path = folder / "photo.heic"
        import pillow_heif

        pillow_heif.register_heif_opener()
        Image.fromarray(grey).convert("RGB").save(path, quality=95)
    else:
        raise AssertionError(kind)
    return path


EXACT = ["16bit-grey-png", "16bit-grey-tiff", "16bit-rgb-png", "16bit-rgb-tiff", "cmyk-tiff", "palette-png",
         "rgba-ink-as-alpha-png", "la-png", "float-tiff"]
LOSSY = ["cmyk-jpeg", "palette-transparent-paper-png", "1bit-g4-tiff", "heic"]


@pytest.mark.parametrize("kind", EXACT + LOSSY)
def test_bit_depths_and_colour_models_read_like_the_8bit_page(kind, sheet, catalogue, tmp_path):
    pages, reads = sheet
    path = _write_variant(kind, pages[0], tmp_path)
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

# The transpose that turns an upright image into what a camera stores with each tag.
_STORED = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_270}


def _exif_jpeg(grey: np.ndarray, orientation: int, path: Path) -> Path:
    stored = Image.fromarray(grey).transpose(_STORED[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.save(path, quality=95, exif=exif.tobytes())
    return path


@pytest.mark.parametrize("orientation", [2, 3, 4, 5, 6, 7, 8])
def test_exif_orientation_gives_the_page_upright(orientation, sheet, tmp_path):
    pages, _ = sheet
    path = _exif_jpeg(pages[0], orientation, tmp_path / f"o{orientation}.jpg")
    raw = next(iter_pages(path))
    assert raw.image.shape == pages[0].shape
    assert np.abs(raw.image.astype(int) - pages[0]).mean() < 3


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_rotated_photos_read(orientation, sheet, catalogue, tmp_path):
    pages, reads = sheet
    _, result = _read_file(_exif_jpeg(pages[1], orientation, tmp_path / "p.jpg"), catalogue)
    assert_reads_like(result, reads[1], exact=False)


def test_heic_with_exif_orientation_is_upright(sheet, tmp_path):
    import pillow_heif

    pillow_heif.register_heif_opener()
    pages, _ = sheet
    path = tmp_path / "iphone.heic"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pages[0]).transpose(_STORED[6]).convert("RGB").save(path, exif=exif.tobytes(), quality=90)
    raw = next(iter_pages(path))
    assert raw.image.shape == pages[0].shape
    assert np.abs(raw.image.astype(int) - pages[0]).mean() < 4


# --- PDF page images used as the page paints them ---------------------------------------------

def pdf_with_image(width_px: int, height_px: int, image_dict: str, data: bytes, *, rotate: int = 0,
                   place: tuple[float, float, float, float] | None = None, smask: bytes | None = None,
                   page_size: tuple[float, float] = A4_PT, fill: str = "") -> bytes:
    """A one-page PDF painting one image XObject (Flate), optionally with /Rotate, placement, SMask."""
    pw, ph = page_size
    x, y, w, h = place or (0, 0, pw, ph)
    content = f"q {fill} {w:.3f} 0 0 {h:.3f} {x:.3f} {y:.3f} cm /Im0 Do Q".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw:.3f} {ph:.3f}] /Rotate {rotate} "
               f"/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>".encode(),
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    packed = zlib.compress(data)
    extra = " /SMask 6 0 R" if smask is not None else ""
    objects.append(f"<< /Type /XObject /Subtype /Image /Width {width_px} /Height {height_px} {image_dict}{extra} "
                   f"/Filter /FlateDecode /Length {len(packed)} >>\nstream\n".encode() + packed + b"\nendstream")
    if smask is not None:
        packed_mask = zlib.compress(smask)
        objects.append(f"<< /Type /XObject /Subtype /Image /Width {width_px} /Height {height_px} /ColorSpace "
                       f"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length {len(packed_mask)} >>\n"
                       f"stream\n".encode() + packed_mask + b"\nendstream")
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _bits(mask: np.ndarray) -> bytes:
    return np.packbits(mask.astype(np.uint8), axis=1).tobytes()


def _pdf_variant(kind: str, grey: np.ndarray) -> bytes:
    h, w = grey.shape
    paper = grey >= 150
    if kind == "image-mask":  # a stencil: sample 0 paints the fill colour (black), 1 leaves the page
        return pdf_with_image(w, h, "/ImageMask true /BitsPerComponent 1", _bits(paper), fill="0 g")
    if kind == "image-mask-decode-1-0":  # a stencil with /Decode [1 0]: sample 1 paints
        return pdf_with_image(w, h, "/ImageMask true /BitsPerComponent 1 /Decode [1 0]", _bits(~paper), fill="0 g")
    if kind == "1bit-decode-1-0":  # inverted 1-bit: 1 is black
        return pdf_with_image(w, h, "/ColorSpace /DeviceGray /BitsPerComponent 1 /Decode [1 0]", _bits(~paper))
    if kind == "8bit-decode-1-0":
        return pdf_with_image(w, h, "/ColorSpace /DeviceGray /BitsPerComponent 8 /Decode [1 0]",
                              (255 - grey).tobytes())
    if kind == "smask":  # black ink whose shape is the soft mask
        return pdf_with_image(w, h, "/ColorSpace /DeviceGray /BitsPerComponent 8", np.zeros_like(grey).tobytes(),
                              smask=(255 - grey).tobytes())
    if kind == "rotate-90":  # stored landscape, the page's /Rotate 90 turns it upright
        stored = np.ascontiguousarray(np.rot90(grey, 1))
        return pdf_with_image(h, w, "/ColorSpace /DeviceGray /BitsPerComponent 8", stored.tobytes(), rotate=90,
                              page_size=(A4_PT[1], A4_PT[0]))
    if kind == "image-smaller-than-page":  # a 96 % copy centred on the page (fit-to-page)
        pw, ph = A4_PT
        return pdf_with_image(w, h, "/ColorSpace /DeviceGray /BitsPerComponent 8", grey.tobytes(),
                              place=(pw * 0.02, ph * 0.02, pw * 0.96, ph * 0.96))
    if kind == "plain":
        return pdf_with_image(w, h, "/ColorSpace /DeviceGray /BitsPerComponent 8", grey.tobytes())
    raise AssertionError(kind)


PDF_KINDS = ["image-mask", "image-mask-decode-1-0", "1bit-decode-1-0", "8bit-decode-1-0", "smask", "rotate-90",
             "image-smaller-than-page", "plain"]


@pytest.mark.parametrize("kind", PDF_KINDS)
def test_pdf_page_image_is_used_as_the_page_paints_it(kind, sheet, catalogue, tmp_path):
    pages, reads = sheet
    for index in (0, 1):
        path = tmp_path / f"{kind}-{index}.pdf"
        path.write_bytes(_pdf_variant(kind, pages[index]))
        raw, result = _read_file(path, catalogue)
        # Paper is paper: never a page taken inverted (the "blank page" of the case).
        assert np.median(raw.image) > 200
        assert_reads_like(result, reads[index], exact=kind in ("plain", "8bit-decode-1-0", "smask", "rotate-90"))


def test_ordinary_scanner_jpeg_keeps_the_fast_path(sheet, tmp_path):
    """A page that is one JPEG painted as is: decoded directly (its stream hashed), not rendered."""
    import img2pdf

    pages, _ = sheet
    buffer = io.BytesIO()
    Image.fromarray(pages[0]).save(buffer, format="JPEG", quality=90, dpi=(200, 200))
    path = tmp_path / "scanner.pdf"
    path.write_bytes(img2pdf.convert(buffer.getvalue()))
    raw = next(iter_pages(path))
    assert raw.stream_sha256 and raw.image.shape == pages[0].shape
