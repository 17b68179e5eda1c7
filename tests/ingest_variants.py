"""Generated variants of a scanned page, as scanners, phones and PDF writers store it (issue #13).

Not a test module: tests/test_ingest_formats.py and bench/ingest.py use it.
Each writer takes an upright grey page (uint8, H x W) and writes the same
page another way: other bit depths and colour models, EXIF orientations,
HEIC, and PDFs whose image is painted through /ImageMask, /Decode, an
SMask, /Rotate or a smaller placement.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

A4_PT = (595.276, 841.89)

IMAGE_KINDS = ["16bit-grey-png", "16bit-grey-tiff", "16bit-rgb-png", "16bit-rgb-tiff", "cmyk-jpeg", "cmyk-tiff",
               "palette-png", "palette-transparent-paper-png", "rgba-ink-as-alpha-png", "la-png", "1bit-g4-tiff",
               "float-tiff", "heic"]
PDF_KINDS = ["image-mask", "image-mask-decode-1-0", "1bit-decode-1-0", "8bit-decode-1-0", "smask", "rotate-90",
             "image-smaller-than-page", "plain"]


def write_variant(kind: str, grey: np.ndarray, folder: Path) -> Path:
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


# The transpose that turns an upright image into what a camera stores with each tag.
STORED_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_270}


def exif_jpeg(grey: np.ndarray, orientation: int, path: Path) -> Path:
    """The page as a camera stores it with EXIF Orientation ``orientation`` (2-8)."""
    stored = Image.fromarray(grey).transpose(STORED_FOR_ORIENTATION[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.save(path, quality=95, exif=exif.tobytes())
    return path


def pdf_with_image(width_px: int, height_px: int, image_dict: str, data: bytes, *, rotate: int = 0,
                   place: tuple[float, float, float, float] | None = None, smask: bytes | None = None,
                   page_size: tuple[float, float] = A4_PT, fill: str = "", encoded_as: str | None = None) -> bytes:
    """A one-page PDF painting one image XObject (Flate, or ``data`` already encoded as ``encoded_as``),
    optionally with /Rotate, a placement, an SMask."""
    pw, ph = page_size
    x, y, w, h = place or (0, 0, pw, ph)
    content = f"q {fill} {w:.3f} 0 0 {h:.3f} {x:.3f} {y:.3f} cm /Im0 Do Q".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw:.3f} {ph:.3f}] /Rotate {rotate} "
               f"/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>".encode(),
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    packed = data if encoded_as else zlib.compress(data)
    extra = " /SMask 6 0 R" if smask is not None else ""
    objects.append(f"<< /Type /XObject /Subtype /Image /Width {width_px} /Height {height_px} {image_dict}{extra} "
                   f"/Filter /{encoded_as or 'FlateDecode'} /Length {len(packed)} >>\nstream\n".encode()
                   + packed + b"\nendstream")
    if smask is not None:
        packed_mask = zlib.compress(smask)
        objects.append(f"<< /Type /XObject /Subtype /Image /Width {width_px} /Height {height_px} /ColorSpace "
                       f"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length {len(packed_mask)} >>\n"
                       f"stream\n".encode() + packed_mask + b"\nendstream")
    return pdf_file(objects)


def pdf_file(objects: list[bytes]) -> bytes:
    """A PDF file of numbered objects (1 0 obj, 2 0 obj, ...) with its cross-reference table; object 1 is the root."""
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


def pdf_variant(kind: str, grey: np.ndarray) -> bytes:
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
