"""Stream pages out of scan files: PDF, TIFF (multi-page), PNG, JPEG, folders.

Pages are produced one at a time so that a 500-page batch never sits in
memory. Every problem is an :class:`~omr.errors.InputFileError` (whole file)
or :class:`~omr.errors.PageError` (one page) whose message names the file and
page, so the batch can go on.
"""

from __future__ import annotations

import contextlib
import functools
import ctypes
import hashlib
import io
import struct
import logging
import mmap
import re
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omr import tuning as T
from omr.errors import InputFileError, PageError

if TYPE_CHECKING:  # NumPy is imported by the functions that decode: the scan parent, which only
    import numpy as np  # counts and hashes files here, starts without it (~0.1 s CPU, issue #18)

# The scan formats omr reads, as users call them, with their suffixes: the one list that the command
# line's help and hints, the web upload form (its label and accept=) and README give.
# WebP (what Android phones, messaging apps and browsers save photos as) and JPEG 2000 (some
# document scanners and archives) are decoded by Pillow like the others; HEIC through pillow-heif.
# Netpbm (PBM/PGM/PPM/PNM) is what SANE's ``scanimage`` writes by default (Linux scanning stations).
SCAN_FORMATS = (("PDF", (".pdf",)), ("TIFF", (".tif", ".tiff")), ("PNG", (".png",)), ("JPEG", (".jpg", ".jpeg")),
                ("HEIC", (".heic", ".heif")), ("WebP", (".webp",)), ("JPEG 2000", (".jp2", ".j2k", ".jpx")),
                ("BMP", (".bmp",)), ("PNM/PGM/PPM/PBM", (".pnm", ".pgm", ".ppm", ".pbm")))
SCAN_FORMAT_NAMES = ", ".join(name for name, _ in SCAN_FORMATS)  # "PDF, TIFF, PNG, JPEG, HEIC, ..."
SCAN_ACCEPT = ",".join(suffix for _, suffixes in SCAN_FORMATS for suffix in suffixes)  # an <input accept=...>
SCAN_SUFFIXES = {suffix for _, suffixes in SCAN_FORMATS for suffix in suffixes}
IMAGE_SUFFIXES = SCAN_SUFFIXES - {".pdf"}
# Files in a folder given to ``omr scan`` that are no scan omr reads yet are a page someone meant to
# give: other image formats (GIF, AVIF, JPEG XL, camera raw, Photoshop) and office documents. They are
# listed with the scans, so each is named with what to do (never skipped without a word, a lost page).
NAMED_IN_FOLDERS = {".gif", ".avif", ".jxl", ".psd", ".dng", ".cr2", ".nef", ".arw", ".svg", ".xps", ".oxps",
                    ".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx", ".ods", ".ppt", ".pptx"}
PDF_RENDER_DPI = 200


class PageDamage(ValueError):
    """A PDF page found broken while it is decoded; its message is Vietnamese, shown to the user."""


NOT_SCAN = "not_scan"  # omr.model.SET_ASIDE_REASONS: too small or too thin to be a page scan


@dataclass
class RawPage:
    path: str
    index: int  # 0-based
    image: np.ndarray | None  # grey uint8, None when the page could not be decoded
    error: PageError | None = None
    stream_sha256: str | None = None  # of the scanner's encoded image, when the page is one

    @property
    def sha256(self) -> str:
        """The page image's fingerprint: of its encoded stream if known (cheap), else of its pixels."""
        if self.stream_sha256:
            return self.stream_sha256
        return hashlib.sha256(self.image).hexdigest() if self.image is not None else ""


def expand_paths(paths: list[str], skipped: list[Path] | None = None) -> list[Path]:
    """Files to read, folders expanded (sorted, scans only); missing paths are errors.

    ``skipped``, when given, gets the files found in the folders that are not listed (a note, a
    spreadsheet, hidden files; not those in hidden folders), sorted, so that the summary can name them:
    a page saved as something omr does not know is never lost without a word.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file())
            listed = [p for p in found if _listed_in_folder(p)]
            files += listed
            if skipped is not None:
                chosen = set(listed)
                # Not what is inside hidden folders (.git, .thumbnails): tools', not people's, files.
                skipped += [p for p in found if p not in chosen
                            and not any(part.startswith(".") for part in p.relative_to(path).parts[:-1])]
        elif path.is_file():
            files.append(path)
        else:
            raise InputFileError(f"Không tìm thấy tệp hoặc thư mục: {path}")
    return files


def _listed_in_folder(path: Path) -> bool:
    """Whether a file found in a folder is read (a scan) or named as one omr cannot read
    (:data:`NAMED_IN_FOLDERS`, or no suffix but a PDF's or an image's first bytes: "scan0001");
    other files (notes, thumbnails' databases, hidden files) are left alone."""
    if path.name.startswith("."):
        return False
    suffix = path.suffix.lower()
    if suffix in SCAN_SUFFIXES or suffix in NAMED_IN_FOLDERS:
        return True
    if suffix:
        return False
    try:
        kind = content_kind(path)
    except OSError:
        return True  # named: it cannot even be read
    return kind is not None and (kind == PDF_KIND or kind.startswith("ảnh "))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def count_pages(path: Path) -> int:
    """Number of pages actually in the file, at most ``T.MAX_PAGES_PER_FILE``.

    The count a file declares (an APNG's frame count, a PDF's /Count) is
    never trusted: image frames are walked one by one, and PDF pages beyond
    the bound are not counted. Use :func:`count_pages_checked` to tell
    the user that a file was cut. Raises InputFileError for a file that cannot
    be opened (the message names it).
    """
    return _count_pages(path)[0]


def count_pages_checked(path: Path) -> tuple[int, str | None]:
    """(pages to read, None) or, for a file cut at the bound, (pages, the Vietnamese message saying so).

    The message says how many pages the file holds when that is known (a PDF's page tree, checked
    by :func:`_pdf_pages`), which pages are not read, and to split the file. Bounds:
    ``T.MAX_PAGES_PER_FILE`` pages, ``T.MAX_SECONDS_TO_COUNT_PAGES`` seconds of walking frames.
    Raises InputFileError like count_pages.
    """
    n, total = _count_pages(path)
    if total is not None and total <= n:
        return n, None
    split = (f"Hãy chia tệp thành nhiều tệp nhỏ hơn (mỗi tệp không quá {n} trang) "
             f"và gửi lại các trang từ {n + 1} trở đi.")
    if total is None:  # frames not walked past the bound: how many there are is not known
        return n, (f"{path}: tệp có hơn {n} trang (hoặc khai báo như vậy); chỉ đọc {n} trang đầu, "
                   f"từ trang {n + 1} trở đi không đọc. {split}")
    return n, (f"{path}: tệp có {total} trang; chỉ đọc {n} trang đầu (trang 1–{n}), "
               f"từ trang {n + 1} trở đi không đọc ({total - n} trang, trang {n + 1}–{total}). {split}")


def _count_pages(path: Path) -> tuple[int, int | None]:
    """(pages to read, pages in the file or None when more than the bound and not counted), without
    decoding pixels where the format allows."""
    _check_not_empty(path)
    _check_scan_suffix(path)
    if _reads_as_pdf(path):
        pdf = _open_pdf(path)
        dictionaries = None
        try:
            found, dictionaries, _ = _pdf_pages(pdf, path)
        finally:
            pdf.close()
            if dictionaries is not None:
                dictionaries.close()
        if _cut_short(path) is not None:
            found += 1  # the first page that could not be read: named when it is read
        return min(found, T.MAX_PAGES_PER_FILE), found
    img = _open_image(path)
    with img:
        if img.format == "PPM":
            found = len(pnm_offsets(path, T.MAX_PAGES_PER_FILE + 1))
            return min(found, T.MAX_PAGES_PER_FILE), (found if found <= T.MAX_PAGES_PER_FILE else None)
        count, started = 0, time.monotonic()
        while count < T.MAX_PAGES_PER_FILE:
            if count and time.monotonic() - started > T.MAX_SECONDS_TO_COUNT_PAGES:
                return count, None
            try:
                img.seek(count)
            except EOFError:
                return count, count
            except Exception:  # a broken frame: it is a page, reported when it is read
                return count + 1, count + 1
            count += 1
        try:
            img.seek(count)
        except Exception:
            return count, count
        return count, None


def _reads_as_pdf(path: Path) -> bool:
    """Whether ``path`` is read as a PDF: named .pdf, or named as an image but holding a PDF (a phone
    app's "scan.jpg" that is a PDF; no image reader opens it, and it was refused as an unknown format).
    Reads the first kilobyte of an image-named file (OSError propagates)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return True
    if suffix not in IMAGE_SUFFIXES:
        return False
    with open(path, "rb") as handle:
        return b"%PDF-" in handle.read(_PDF_HEADER_WITHIN)


def _check_not_empty(path: Path) -> None:
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: tệp rỗng (0 byte)")


def _check_scan_suffix(path: Path) -> None:
    """Refuse, for the whole file at once, a suffix omr does not read (a GIF of 3,000 frames was counted
    frame by frame, then refused once per frame: 2,000 lines and 2,000 queue items)."""
    suffix = path.suffix.lower()
    if suffix != ".pdf" and suffix not in IMAGE_SUFFIXES:
        try:
            kind = content_kind(path)
        except OSError:
            kind = None
        # Said as an unreadable image is (_not_an_image), with how to make the PDF for an office document.
        raise InputFileError(f"{path}: không phải tệp ảnh hay PDF đọc được"
                             + (pdf_hint(path.name) or f"; {_what_and_advice(kind)}")
                             + f" (omr đọc {SCAN_FORMAT_NAMES})")


def _open_pdf(path: Path):
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text:
            raise InputFileError(f"{path}: tệp PDF có mật khẩu, hãy quét lại không đặt mật khẩu") from None
        kind = content_kind(path)
        if kind != PDF_KIND:
            # Named .pdf but something else (a text file, a photo, a Word document renamed): not a damaged PDF.
            raise InputFileError(not_a_pdf_message(path, kind)) from None
        if _looks_truncated(path):
            salvaged = salvage_truncated_pdf(path)
            if salvaged is not None:
                pdf = pdfium.PdfDocument(salvaged[0])
                _init_forms(pdf)
                return pdf
            raise InputFileError(f"{path}: tệp PDF bị hỏng, có vẻ bị cắt cụt (thiếu phần cuối tệp, thường do "
                                 "chép hoặc tải lên chưa xong), không mở được; "
                                 "hãy chép lại tệp gốc từ máy quét") from None
        raise InputFileError(f"{path}: tệp PDF bị hỏng, không mở được") from None
    _init_forms(pdf)
    return pdf


def pdf_page_sizes_mm(path: Path, limit: int) -> list[tuple[float, float]]:
    """(width, height) in mm of the first ``limit`` pages of a PDF, from its page boxes: nothing is drawn.

    A check before drawing: a 333-byte PDF can declare a 200 x 200 inch page, which is then drawn at the
    MAX_PAGE_PIXELS bound and searched for boxes for minutes. Raises InputFileError (naming ``path``) for
    a PDF that does not open, and (naming the page too) for a page whose size pdfium cannot read (a broken
    page object: pdfium's "Failed to get page size by index").
    """
    import pypdfium2 as pdfium

    pdf = _open_pdf(path)
    try:
        sizes = []
        for index in range(min(len(pdf), limit)):
            try:
                width_pt, height_pt = pdf.get_page_size(index)
            except pdfium.PdfiumError:
                raise InputFileError(f"{path}, trang {index + 1}: trang PDF bị hỏng, không mở được; "
                                     "hãy quét lại hoặc xuất lại tệp PDF") from None
            sizes.append((width_pt * 25.4 / 72.0, height_pt * 25.4 / 72.0))
        return sizes
    finally:
        pdf.close()


def _init_forms(pdf) -> None:
    """Let pdfium draw the document's form fields (AcroForm widgets: a ticked checkbox, typed text) as a viewer does.

    Without a form environment pdfium draws every annotation but the widgets, so a checkbox
    ticked in a PDF app would vanish from the render. pypdfium2 wants this before any page
    is loaded; it does nothing for a document without forms. A form pdfium cannot set up is
    left without one: :func:`_iter_pdf` then sets aside each page with a form field shown
    (:func:`_shown_annotations`) instead of reading it without its ticks.
    """
    with contextlib.suppress(Exception):  # pdfium refuses the form: such pages are set aside when read
        pdf.init_forms()


PDF_KIND = "tệp PDF"
# What a file holds, told by its first bytes: (signature at byte 0, what it is in Vietnamese). Signatures:
# PNG, JPEG, TIFF (both byte orders), GIF, JPEG 2000, RTF, OLE2 (Office 97-2003 documents); ZIP, BMP, HEIC and WebP
# are told below.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "ảnh PNG"),
    (b"\xff\xd8\xff", "ảnh JPEG"),
    (b"II*\x00", "ảnh TIFF"),
    (b"MM\x00*", "ảnh TIFF"),
    (b"GIF87a", "ảnh GIF"),
    (b"GIF89a", "ảnh GIF"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "ảnh JPEG 2000"),  # the JP2 signature box (ISO/IEC 15444-1, I.5.1)
    (b"\xff\x4f\xff\x51", "ảnh JPEG 2000"),  # a bare codestream: SOC then SIZ (ISO/IEC 15444-1, A.2)
    (b"{\\rtf", "văn bản RTF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "tài liệu Office cũ (Word .doc, Excel .xls hoặc PowerPoint .ppt)"),
)
# The suffix under which omr reads an image that was named .pdf.
_IMAGE_SUFFIXES = {"ảnh PNG": ".png", "ảnh JPEG": ".jpg", "ảnh TIFF": ".tif", "ảnh BMP": ".bmp", "ảnh HEIC": ".heic",
                   "ảnh WebP": ".webp", "ảnh JPEG 2000": ".jp2", "ảnh PNM": ".pnm"}
# Office Open XML files are ZIP archives: their first folder says which; OpenDocument ones name their type first.
_ZIP_KINDS = (("word/", "tài liệu Word (.docx)"), ("xl/", "bảng tính Excel (.xlsx)"),
              ("ppt/", "bản trình chiếu PowerPoint (.pptx)"))
_OPENDOCUMENT = {b"application/vnd.oasis.opendocument.text": "văn bản OpenDocument (.odt)",
                 b"application/vnd.oasis.opendocument.spreadsheet": "bảng tính OpenDocument (.ods)"}
_DOCUMENT_KINDS = ("Word", "Office", "OpenDocument", "RTF", "PowerPoint", "Excel")
# The PDF header may follow a few bytes of junk: readers look for it in the first kilobyte
# (PDF 32000-1, 7.5.2, and Adobe's implementation note to it).
_PDF_HEADER_WITHIN = 1024


def content_kind(path: Path) -> str | None:
    """What a file seems to hold, from its first bytes, said in Vietnamese: ``PDF_KIND``, "ảnh PNG",
    "tài liệu Word (.docx)", "văn bản thuần (text)", ...; None when nothing is recognised.

    Used to tell a user that a file named ``.pdf`` is not one (a text file, a photo or a Word document
    renamed), rather than calling it a damaged PDF. Reads 4 KiB (and a ZIP's list of files).
    Raises OSError when the file cannot be read.
    """
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if b"%PDF-" in head[:_PDF_HEADER_WITHIN]:
        return PDF_KIND
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00":  # size, then 4 reserved zero bytes
        return "ảnh BMP"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "ảnh HEIC"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "ảnh WebP"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path, head)
    if pnm_header(head) is not None:  # before text: a plain (P1-P3) Netpbm image is text, a raw one near it
        return "ảnh PNM"
    return _text_kind(head)


# A Netpbm header (Netpbm's pbm(5), pgm(5), ppm(5)): "P1"-"P6", then width, height and (but for the
# bitmaps P1, P4) the largest sample value, each after white space or "#" comments to the line's end,
# then one white-space character before the raster.
_PNM_SPACE = rb"(?:[ \t\r\n\v\f]|#[^\r\n]*[\r\n])+"
_PNM_SIZE = re.compile(rb"P([1-6])" + _PNM_SPACE + rb"(\d{1,9})" + _PNM_SPACE + rb"(\d{1,9})")
_PNM_MAXVAL = re.compile(_PNM_SPACE + rb"(\d{1,5})[ \t\r\n\v\f]")


def pnm_header(head: bytes) -> tuple[int, int, int, int, int] | None:
    """The header at the start of ``head`` when it is a Netpbm image's (PBM, PGM, PPM: what SANE's
    ``scanimage`` writes): (format 1-6, width, height, largest sample value (1 for bitmaps), header
    length in bytes); None otherwise (text starting with "P5 ..." included: sizes must be there)."""
    found = _PNM_SIZE.match(head)
    if found is None:
        return None
    kind, width, height = int(found[1]), int(found[2]), int(found[3])
    if kind in (1, 4):
        end = found.end()
        if end >= len(head) or head[end:end + 1] not in b" \t\r\n\v\f":
            return None
        maxval, length = 1, end + 1
    else:
        value = _PNM_MAXVAL.match(head, found.end())
        if value is None:
            return None
        maxval, length = int(value[1]), value.end()
        if not 1 <= maxval <= 65535:
            return None
    if width < 1 or height < 1:
        return None
    return kind, width, height, maxval, length


def _zip_kind(path: Path, head: bytes) -> str:
    for mimetype, kind in _OPENDOCUMENT.items():
        if mimetype in head[:200]:
            return kind
    try:
        names = zip_first_names(path)
    except OSError:
        names = []
    for folder, kind in _ZIP_KINDS:
        if any(name.startswith(folder) for name in names):
            return kind
    return "tệp nén ZIP"


def zip_first_names(path: Path, limit: int | None = None) -> list[str]:
    """The names of the first ``limit`` (default ``T.ZIP_KIND_MAX_ENTRIES``) entries of a ZIP file's
    central directory, read with bounded memory: at most ``T.ZIP_KIND_MAX_DIRECTORY_BYTES`` of the
    directory, whatever entry count its end record claims (``zipfile.ZipFile`` builds an object for
    every entry first: a 94 MB fake .docx listing 2 million entries took gigabytes). Zip64 too.
    An archive whose directory cannot be found or parsed gives the names read so far (maybe none).
    Raises OSError when the file cannot be read.
    """
    limit = T.ZIP_KIND_MAX_ENTRIES if limit is None else limit
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        tail_start = max(0, size - (22 + 65535 + 20))  # the end record, its comment, a zip64 locator
        handle.seek(tail_start)
        tail = handle.read()
        end = tail.rfind(b"PK\x05\x06")
        if end < 0 or len(tail) - end < 22:
            return []
        cd_size, cd_offset = struct.unpack("<II", tail[end + 12:end + 20])
        if cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:  # Zip64: the locator just before the end record
            locator = tail[end - 20:end] if end >= 20 else b""
            if not locator.startswith(b"PK\x06\x07"):
                return []
            (z64_end,) = struct.unpack("<Q", locator[8:16])
            if z64_end > size - 56:
                return []
            handle.seek(z64_end)
            record = handle.read(56)
            if not record.startswith(b"PK\x06\x06"):
                return []
            cd_size, cd_offset = struct.unpack("<QQ", record[40:56])
        if cd_offset >= size:
            return []
        handle.seek(cd_offset)
        directory = handle.read(min(cd_size, T.ZIP_KIND_MAX_DIRECTORY_BYTES))
    names, at = [], 0
    while len(names) < limit and at + 46 <= len(directory) and directory[at:at + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack("<HHH", directory[at + 28:at + 34])
        name = directory[at + 46:at + 46 + name_len]
        if len(name) < name_len:
            break
        names.append(name.decode("utf-8", "replace"))
        at += 46 + name_len + extra_len + comment_len
    return names


def _text_kind(head: bytes) -> str | None:
    """Plain text (UTF-8, UTF-16 with its mark, an 8-bit code page), a web page or XML; else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "văn bản thuần (text)"
    if not head or b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut where the 4 KiB end is still UTF-8; otherwise an 8-bit code page (TCVN3, 1258).
        text = head[:exc.start].decode("utf-8") if exc.start >= len(head) - 3 else head.decode("cp1252", "replace")
    controls = sum(ord(ch) < 32 and ch not in "\t\n\f\r" for ch in text)
    if controls > len(text) // 100:  # binary data of some kind
        return None
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<!doctype html", "<html")):
        return "trang web (HTML)"
    if start.startswith("<?xml"):
        return "tệp XML"
    return "văn bản thuần (text)"


def not_a_pdf_message(path: Path | str, kind: str | None) -> str:
    """The Vietnamese line for a file named .pdf that holds something else (``kind``: :func:`content_kind`).

    Names the file, says what it seems to be and what to do: an image is read under its own suffix,
    an office document is saved as PDF first, anything else holds no scanned page.
    """
    return f"{path}: không phải tệp PDF dù tên có đuôi .pdf: {_what_and_advice(kind)}"


def _what_and_advice(kind: str | None) -> str:
    what = f"nội dung là {kind}" if kind else "không nhận ra nội dung của tệp"
    if kind in _IMAGE_SUFFIXES:
        advice = f"hãy đổi đuôi tên tệp thành {_IMAGE_SUFFIXES[kind]} rồi đọc lại"
    elif kind and kind.startswith("ảnh "):  # GIF: a format omr does not read
        advice = "hãy lưu ảnh thành PNG hoặc JPEG rồi đọc lại"
    elif kind and any(word in kind for word in _DOCUMENT_KINDS):
        advice = "hãy mở bằng Word hoặc LibreOffice và «Lưu thành PDF» (Save as PDF), rồi dùng tệp PDF đó"
    else:
        advice = "tệp này không có trang phiếu quét nào để đọc; hãy kiểm tra đã chọn đúng tệp chưa"
    return f"{what}; {advice}"


def _looks_truncated(path: Path) -> bool:
    """A PDF whose last kilobyte has no %%EOF marker (PDF 32000-1, 7.5.5) was cut short."""
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - 1024))
        return b"%%EOF" not in handle.read()


def iter_pages(path: Path, start: int = 0) -> Iterator[RawPage]:
    """Yield the pages of one file from ``start`` on, decoding each on demand."""
    _check_not_empty(path)
    if _reads_as_pdf(path):
        yield from _iter_pdf(path, start)
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        yield from _iter_image(path, start)
    else:
        _check_scan_suffix(path)


def _iter_pdf(path: Path, start: int) -> Iterator[RawPage]:
    pdf = _open_pdf(path)
    dictionaries = None
    try:
        count, dictionaries, tree_damaged = _pdf_pages(pdf, path)
        optional_content = _has_optional_content(dictionaries)
        index, since_opening = start, 0
        while index < min(count, T.MAX_PAGES_PER_FILE):
            if since_opening == T.PDF_PAGES_PER_OPENING:
                # pdfium keeps every image stream it has handed out until the document is
                # closed (~0.7 MB a page of a 200 dpi JPEG scan): reopen, so memory stays flat.
                pdf.close()
                if dictionaries is not None:
                    dictionaries.close()
                pdf = _open_pdf(path)
                dictionaries = _pdf_pages(pdf, path)[1]
                since_opening = 0
            since_opening += 1
            # The caller may send the index of a later page to go to (PageLoader: a worker's next chunk
            # of the same file), instead of reopening the file; by default the next page.
            jump = yield _pdf_page(pdf, dictionaries, path, index, optional_content, tree_damaged)
            index = jump if jump is not None and jump > index else index + 1
        read = _cut_short(path)
        if read is not None and index <= read < T.MAX_PAGES_PER_FILE:
            yield RawPage(str(path), read, None, PageError(
                f"{path}: tệp PDF bị cắt cụt (thiếu phần cuối tệp, thường do chép hoặc tải lên chưa xong): "
                f"đã đọc {read} trang đầu, từ trang {read + 1} trở đi không đọc được; hãy chép lại tệp gốc "
                "từ máy quét rồi đọc lại tệp đó"))
    finally:
        pdf.close()
        if dictionaries is not None:
            dictionaries.close()


def _pdf_page(pdf, dictionaries, path: Path, index: int, optional_content: bool, tree_damaged: bool) -> RawPage:
    """Page ``index`` of an open PDF as a :class:`RawPage`: its scan, or why it cannot be read (PageError)."""
    try:
        page = pdf[index]
    except Exception:  # a broken page object (pdfium: "Failed to load page"): name it, go on
        return RawPage(str(path), index, None, PageError(
            f"{path}, trang {index + 1}: trang PDF bị hỏng, không mở được; "
            "hãy quét lại hoặc xuất lại tệp PDF"))
    try:
        pixels = _largest_image_pixels(page)
        if pixels > T.MAX_PAGE_PIXELS:
            # pdfium decodes an image whole to paint it, whatever the render size: refuse first.
            return RawPage(str(path), index, None, PageError(
                f"{path}, trang {index + 1}: ảnh trong trang quá lớn ({pixels / 1e6:.0f} triệu điểm ảnh); "
                "hãy quét ở 200–300 dpi", "unreadable"))
        shown = _shown_annotations(page)
        if _WIDGET in shown and not page.formenv:
            # A form field pdfium has no form environment to draw: read without it, a ticked
            # box would come out blank. A person looks at the page instead.
            return RawPage(str(path), index, None, PageError(
                f"{path}, trang {index + 1}: trang có ô biểu mẫu (form) điền trên máy mà omr không vẽ "
                "được; hãy in trang ra PDF («Print to PDF», làm phẳng biểu mẫu) rồi đọc lại tệp đó"))
        # Drawn over the page (annotations, form fields) or with optional content: the embedded
        # image is not what a viewer shows, so the page is rendered with all of it.
        embedded = None if shown or optional_content else _embedded_scan(page)
        if embedded is not None and (_image_painted_as_stored(dictionaries, index)
                                     or _painted_as_decoded(page, embedded[0])):
            raw = RawPage(str(path), index, *embedded)
        else:
            raw = RawPage(str(path), index, _painted_image_only(page, render_pdf_page(page, _render_dpi(page)),
                                                                shown))
        damage = _uniform_page_damage(raw.image, dictionaries, index)
        if damage is None and raw.stream_sha256 is None:
            damage = _unpainted_scan(dictionaries, index)
        if damage is None and dictionaries is None and tree_damaged and _flat(raw.image):
            # qpdf's page list no longer lines up with pdfium's positions, so this page's own
            # dictionary cannot be checked; a flat page in a file whose page tree lost entries
            # is most likely broken, and called blank its answers would vanish: a person looks.
            damage = ("trang hiện ra toàn một màu, mà danh sách trang của tệp lại bị hỏng, nên không "
                      "biết đó là trang để trống hay trang mất nội dung")
        not_scan = (not_a_page(raw.image.shape[1], raw.image.shape[0], _render_dpi(page))
                    if damage is None else None)
        if damage is not None:
            # Drawn as one flat colour because the page is broken: never a "blank page".
            raw = RawPage(str(path), index, None, PageError(
                f"{path}, trang {index + 1}: trang PDF bị hỏng: {damage}; "
                "hãy quét lại tờ phiếu này hoặc xuất lại tệp PDF từ máy quét, rồi đọc lại tệp đó"))
        elif not_scan:
            raw = RawPage(str(path), index, None,
                          PageError(f"{path}, trang {index + 1}: {not_scan}", NOT_SCAN))
        return raw
    except Exception as exc:  # pdfium errors for one broken page: go on
        # Our own reasons are Vietnamese (PageDamage); pdfium's and qpdf's are English, with object
        # addresses ("Failed to get bitmap of image <PdfImage 0x7f…>"): never shown to the user.
        why = f"trình đọc PDF báo: {exc}" if isinstance(exc, PageDamage) else "không vẽ được ảnh của trang"
        return RawPage(str(path), index, None,
                       PageError(f"{path}, trang {index + 1}: trang PDF bị hỏng, {why}; "
                                 "hãy quét lại tờ phiếu này hoặc xuất lại tệp PDF từ máy quét"))
    finally:
        page.close()


class _QpdfMessages(logging.Filter):
    """Keeps qpdf's English messages (logged by pikepdf as "pikepdf._core") off the user's terminal.

    pikepdf sends qpdf's warnings to Python logging, whose last-resort handler
    prints them on stderr ("Pages tree includes non-dictionary object;
    ignoring"). omr names every page it cannot read in Vietnamese instead, so
    they are dropped; while :func:`_qpdf_messages` is active in a thread they
    are collected there to be counted.
    """

    def __init__(self):
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        collected = getattr(self.local, "messages", None)
        if collected is not None:
            collected.append(record.getMessage())
        return False


_QPDF_FILTER = _QpdfMessages()
logging.getLogger("pikepdf._core").addFilter(_QPDF_FILTER)

# pypdfium2 logs an English warning when forms are set up on an XFA document (pdfium is built without
# XFA): kept off the user's terminal like qpdf's; such a page is drawn from its AcroForm part.
logging.getLogger("pypdfium2._helpers.document").addFilter(lambda record: "XFA" not in record.getMessage())

# qpdf's words for a /Kids entry it drops from the page tree (QPDF_pages.cc): each is a page slot.
_QPDF_DROPPED_PAGE = "Pages tree includes non-dictionary object"


@contextlib.contextmanager
def _qpdf_messages():
    """Collect, in this thread, the qpdf messages logged inside the block (a list of str)."""
    messages: list[str] = []
    outer = getattr(_QPDF_FILTER.local, "messages", None)
    _QPDF_FILTER.local.messages = messages
    try:
        yield messages
    finally:
        _QPDF_FILTER.local.messages = outer


_PDF_OBJECT = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n]+(\d{1,5})[ \t\r\n]+obj\b")
_PDF_REF = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n]+\d{1,5}[ \t\r\n]+R\b")
_PDF_PARENT = re.compile(rb"/Parent[ \t\r\n]*(\d{1,10})[ \t\r\n]+\d{1,5}[ \t\r\n]+R\b")
_PDF_PAGE_TYPE = re.compile(rb"/Type[ \t\r\n]*/Page(?![A-Za-z])")


def salvage_truncated_pdf(path: Path) -> tuple[bytes, int] | None:
    """The readable first pages of a PDF cut short (a download or copy that did not finish), as a new
    PDF in memory, and how many pages it holds; None when no page can be rescued.

    pdfium refuses such a file whole (its cross-reference table and often its page tree were in the
    lost tail). The objects written completely (``N G obj ... endobj``, a stream with its
    ``endstream``) are found in file order; the pages among them are taken in that order up to the
    first one that needs an object that was cut, and a page tree, catalogue and cross-reference table
    are written after them. Bounds: files up to ``T.PDF_SALVAGE_MAX_BYTES`` (read whole into memory),
    ``T.MAX_PAGES_PER_FILE`` pages. Cached per file (size and modification time), as the batch asks
    once to count and again per opening.
    """
    try:
        stat = path.stat()
    except OSError:
        return None
    return _salvage_cached(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _salvage_cached(path: str, size: int, _mtime: int) -> tuple[bytes, int] | None:
    if size > T.PDF_SALVAGE_MAX_BYTES:
        return None
    with open(path, "rb") as handle:
        data = handle.read()
    objects: dict[int, tuple[int, int, bytes]] = {}  # number -> (start, end, the object's text before any stream)
    order: list[int] = []
    at = 0
    while True:
        match = _PDF_OBJECT.search(data, at)
        if match is None:
            break
        end = data.find(b"endobj", match.end())
        if end < 0:
            break
        body = data[match.end():end]
        stream = body.find(b"stream")
        if stream >= 0 and body.find(b"endstream", stream) < 0:
            break  # a stream cut short
        number = int(match.group(1))
        objects[number] = (match.start(), end + len(b"endobj"), body if stream < 0 else body[:stream])
        order.append(number)
        at = end + len(b"endobj")
    pages: list[int] = []
    parents: set[int] = set()
    for number in order:
        head = objects[number][2]
        if not _PDF_PAGE_TYPE.search(head) or number in pages:
            continue
        if not _needs_only(number, objects) or len(pages) >= T.MAX_PAGES_PER_FILE:
            break
        pages.append(number)
        parents.update(int(m.group(1)) for m in _PDF_PARENT.finditer(head))
    if not pages:
        return None
    cut = max(objects[n][1] for n in objects)
    top = max(objects) + 1
    # The pages name their lost parent: the new page tree takes its number when it is free and the same for all.
    tree = parents.pop() if len(parents) == 1 and next(iter(parents)) not in objects else top
    catalogue = top + 1
    out = bytearray(data[:cut])
    offsets = {n: objects[n][0] for n in objects}
    kids = b" ".join(b"%d 0 R" % n for n in pages)
    offsets[tree] = len(out) + 1
    out += b"\n%d 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n" % (tree, kids, len(pages))
    offsets[catalogue] = len(out)
    out += b"%d 0 obj\n<< /Type /Catalog /Pages %d 0 R >>\nendobj\n" % (catalogue, tree)
    xref = len(out)
    out += b"xref\n0 %d\n" % (catalogue + 1)
    for n in range(catalogue + 1):
        out += (b"%010d 00000 n\r\n" % offsets[n]) if n in offsets else b"0000000000 65535 f\r\n"
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (catalogue + 1, catalogue, xref)
    return bytes(out), len(pages)


def _needs_only(number: int, objects: dict) -> bool:
    """Whether every object page ``number`` refers to (through its resources and contents, not its parent)
    was written completely (at most ``T.PDF_SALVAGE_MAX_REFERENCES`` of them looked at)."""
    seen, todo = {number}, [number]
    while todo:
        head = _PDF_PARENT.sub(b"", objects[todo.pop()][2])
        for match in _PDF_REF.finditer(head):
            ref = int(match.group(1))
            if ref in seen:
                continue
            if ref not in objects:
                return False
            seen.add(ref)
            if len(seen) > T.PDF_SALVAGE_MAX_REFERENCES:
                return False
            todo.append(ref)
    return True


def _cut_short(path: Path) -> int | None:
    """For a PDF cut short that :func:`salvage_truncated_pdf` rescued: how many pages it reads; else None."""
    if not _looks_truncated(path):
        return None
    try:
        import pypdfium2 as pdfium

        pdfium.PdfDocument(str(path)).close()
        return None  # pdfium opens it as it is
    except Exception:
        pass
    salvaged = salvage_truncated_pdf(path)
    return None if salvaged is None else salvaged[1]


def _pdf_pages(pdf, path: Path):
    """(pages to read, the qpdf document aligned with pdfium's page positions or None, whether the
    page tree is damaged: qpdf dropped entries or disagrees with pdfium's count).

    Pages are read by pdfium position, so the count must be the page tree's
    entries, broken ones included: a broken entry is a page the user must be
    told about, and dropping it would shift and lose the last page.

    * pdfium believes a /Count larger than the tree (a 2-page file declaring 7
      gives 5 phantom pages, which fail to load);
    * qpdf walks /Kids but silently leaves out entries that are not page
      dictionaries (a null or damaged object), so its count is short by those.

    The count is qpdf's pages plus the entries qpdf dropped, at most pdfium's
    count; then every further page pdfium can load is added (a page that loads
    is always read). The qpdf document is returned only when its pages are
    exactly pdfium's (else its i-th page would be another page's dictionary);
    callers close it. Without qpdf: pdfium's count.
    """
    found = len(pdf)
    with _qpdf_messages() as messages:
        dictionaries = _open_pdf_dictionaries(path)
        if dictionaries is None:
            return found, None, False
        try:
            tree = len(dictionaries.pages)
            warnings = list(messages) + [str(w) for w in dictionaries.get_warnings()]
        except Exception:  # a page tree qpdf cannot walk: pdfium's count, each bad page named when read
            dictionaries.close()
            return found, None, True
    dropped = sum(_QPDF_DROPPED_PAGE in w for w in warnings)
    count = min(found, tree + dropped)
    for index in range(min(found, T.MAX_PAGES_PER_FILE + 1) - 1, count - 1, -1):
        if _pdfium_loads(pdf, index):
            count = index + 1
            break
    damaged = tree != count or dropped > 0
    if tree != count:
        dictionaries.close()
        dictionaries = None
    return count, dictionaries, damaged


def _pdfium_loads(pdf, index: int) -> bool:
    """Whether pdfium can load page ``index`` (no rendering)."""
    try:
        pdf[index].close()
    except Exception:  # pdfium: "Failed to load page"
        return False
    return True


def _open_pdf_dictionaries(path: Path):
    """The PDF opened with pikepdf (qpdf) to read image dictionaries, or None if qpdf cannot."""
    import pikepdf

    try:
        return pikepdf.open(path)
    except Exception:  # qpdf refuses what pdfium opens (or the reverse): then every page image is checked
        return None


# Filters qpdf decodes itself (its "generalized" level); JPEG, JPEG 2000, JBIG2 and CCITT
# images are checked by pdfium's decoding and the fast path's own checks instead.
_QPDF_DECODES = ("/FlateDecode", "/LZWDecode", "/ASCII85Decode", "/ASCIIHexDecode", "/RunLengthDecode")


def _flat(image: np.ndarray | None) -> bool:
    """Whether a page came out as one flat colour (every pixel within ``T.PDF_FLAT_PAGE_RANGE`` levels)."""
    return image is not None and image.size > 0 and int(image.max()) - int(image.min()) <= T.PDF_FLAT_PAGE_RANGE


def _uniform_page_damage(image: np.ndarray, dictionaries, index: int) -> str | None:
    """Why a PDF page that came out as one flat colour is broken (Vietnamese), or None if it is not.

    pdfium draws what it can and silently leaves out the rest: a page whose
    /Contents is not a content stream, whose /Resources lack the image its
    content paints, or whose image stream has corrupt Flate data comes out
    white or black, which would be set aside as a blank page and thrown away.
    Checked (with qpdf) only for a page whose every pixel is within
    ``T.PDF_FLAT_PAGE_RANGE`` grey levels; a page qpdf cannot align is not checked.
    """
    import pikepdf

    if dictionaries is None or not _flat(image):
        return None
    try:
        page = dictionaries.pages[index]
        contents = page.obj.get("/Contents")
        if contents is not None and not (isinstance(contents, pikepdf.Stream) or (
                isinstance(contents, pikepdf.Array) and all(isinstance(c, pikepdf.Stream) for c in contents))):
            return "nội dung trang không hợp lệ"
        resources = page.obj.get("/Resources")
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        for operands, operator in pikepdf.parse_content_stream(page, "Do"):
            name = operands[0] if operands else None
            if xobjects is None or name is None or name not in xobjects:
                return "thiếu ảnh mà trang cần vẽ (tài nguyên trang hỏng)"
            xobject = xobjects[name]
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Image":
                filters = xobject.get("/Filter")
                names = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters or "")]
                if all(name in _QPDF_DECODES for name in names if name):
                    xobject.read_bytes()  # decodes the stream: corrupt data raises
                elif names == ["/DCTDecode"] and not _jpeg_decodes(bytes(xobject.read_raw_bytes())):
                    # qpdf leaves JPEG to others and pdfium paints nothing for bytes it cannot decode:
                    # a scan whose JPEG data is garbage came out white and was called a blank page.
                    return "dữ liệu ảnh quét (JPEG) bị hỏng, không giải mã được"
    except pikepdf.DataDecodingError:
        return "dữ liệu ảnh quét bị hỏng, không giải nén được"
    except Exception:  # qpdf cannot parse the page: it is broken
        return "cấu trúc trang không đọc được"
    return None



def _jpeg_decodes(data: bytes) -> bool:
    """Whether ``data`` decodes as a JPEG image (Pillow; cut short or garbage bytes do not)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    except Exception:  # any decoder error: the bytes are not a whole JPEG
        return False
    return True


_UNPAINTED = "trang có ảnh quét nhưng nội dung trang không vẽ ảnh đó (nội dung trang hỏng)"


def _unpainted_scan(dictionaries, index: int) -> str | None:
    """Why a rendered PDF page is broken when its resources hold a page-sized scan its content never paints
    (a content stream emptied or garbled when the file was written: rendered, the page looked blank and
    was set aside as one, its scan lost); None otherwise, or when qpdf cannot align or parse the page
    (:func:`_uniform_page_damage` judges those). Vietnamese."""
    import pikepdf

    if dictionaries is None:
        return None
    try:
        page = dictionaries.pages[index]
        resources = page.obj.get("/Resources")
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        if not _holds_page_image(xobjects):
            return None
        if pikepdf.parse_content_stream(page, "Do"):
            return None
    except Exception:  # qpdf cannot parse it: judged by the page's look (_uniform_page_damage)
        return None
    return _UNPAINTED


def _holds_page_image(xobjects) -> bool:
    """Whether a page's /XObject resources hold an image large enough to be a page scan
    (each side at least ``T.MIN_PAGE_SIDE_PX``, as :func:`not_a_page` asks of a scan)."""
    import pikepdf

    if not isinstance(xobjects, pikepdf.Dictionary):
        return False
    for key in xobjects.keys():
        xobject = xobjects[key]
        if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Image":
            width, height = xobject.get("/Width", 0), xobject.get("/Height", 0)
            if int(width) >= T.MIN_PAGE_SIDE_PX and int(height) >= T.MIN_PAGE_SIDE_PX:
                return True
    return False


# pdfium's annotation subtype for a form field (FPDF_ANNOT_WIDGET), and the annotation flags under
# which a viewer does not show an annotation on screen: Hidden and NoView (PDF 32000-1:2008,
# 12.5.3, Table 165: bits 2 and 6; pdfium's FPDF_ANNOT_FLAG_HIDDEN and FPDF_ANNOT_FLAG_NOVIEW).
_WIDGET = 20
_NOT_SHOWN_FLAGS = (1 << 1) | (1 << 5)
# pdfium's marker for an annotation it cannot classify (FPDF_ANNOT_UNKNOWN).
_UNKNOWN_ANNOTATION = 0


def _shown_annotations(page) -> set[int]:
    """pdfium subtypes (FPDF_ANNOT_*) of the annotations a viewer shows on ``page``; empty for none.

    Ink, shapes, stamps, typed text and form fields that phone PDF apps and
    Acrobat's pen or «fill & sign» put on a scanned page are annotations, not
    page content: a viewer draws them over the scan, the embedded image does
    not hold them. Annotations flagged Hidden or NoView are left out, as a
    viewer leaves them; one pdfium cannot load counts as shown (when in doubt,
    the page is rendered). Reads the annotation dictionaries only (no drawing).
    """
    import pypdfium2.raw as pdfium_c

    shown: set[int] = set()
    for i in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
        annot = pdfium_c.FPDFPage_GetAnnot(page, i)
        if not annot:
            shown.add(_UNKNOWN_ANNOTATION)
            continue
        try:
            if not pdfium_c.FPDFAnnot_GetFlags(annot) & _NOT_SHOWN_FLAGS:
                shown.add(int(pdfium_c.FPDFAnnot_GetSubtype(annot)))
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return shown


def _has_optional_content(dictionaries) -> bool:
    """Whether the document declares optional content (layers, /OCProperties in its catalogue).

    A viewer shows or hides such content by the layers' default state, which
    the embedded image knows nothing of: its pages are rendered. Without qpdf's
    view of the file (``dictionaries`` None) it cannot be told, and False is
    returned; pages then still go through :func:`_painted_as_decoded`'s check.
    """
    if dictionaries is None:
        return False
    try:
        return "/OCProperties" in dictionaries.Root
    except Exception:  # a catalogue qpdf cannot read: in doubt, render
        return True


# Image dictionary keys that make a page paint something other than the
# image's decoded samples (PDF 32000-1:2008, 8.9.5 Table 89, 11.6.5.3).
_PAINTING_KEYS = ("/ImageMask", "/Decode", "/SMask", "/Mask", "/SMaskInData")
_PLAIN_COLOUR_SPACES = ("/DeviceGray", "/DeviceRGB")


def _image_painted_as_stored(dictionaries, index: int) -> bool:
    """Whether page ``index``'s one image is painted exactly as its samples decode (cheap, no render).

    True only for an image without /ImageMask, /Decode, /SMask, /Mask or
    /SMaskInData, in DeviceGray, DeviceRGB or an ICC space of 1 or 3
    components: what office scanners write. Anything else, or a page whose
    dictionaries qpdf cannot read, is False: check it against a render.
    """
    import pikepdf

    if dictionaries is None:
        return False
    try:
        resources = dictionaries.pages[index].obj.get("/Resources")
        xobjects = resources.get("/XObject") if resources is not None else None
        images = [x for x in (xobjects.values() if xobjects is not None else ())
                  if x.get("/Subtype") == "/Image"]
        if len(images) != 1 or any(key in images[0] for key in _PAINTING_KEYS):
            return False
        space = images[0].get("/ColorSpace")
        if str(space) in _PLAIN_COLOUR_SPACES:
            return True
        return (isinstance(space, pikepdf.Array) and len(space) == 2 and str(space[0]) == "/ICCBased"
                and int(space[1].get("/N", 0)) in (1, 3))
    except Exception:  # a damaged dictionary: check by rendering
        return False


def render_pdf_page(page, dpi: float) -> np.ndarray:
    """The page as a viewer paints it: grey uint8 (H, W) at ``dpi``, at most ``T.MAX_PAGE_PIXELS``.

    pdfium applies everything a page says about its images (/Decode arrays,
    /ImageMask stencils, soft masks, /Rotate, placement on the page) on a
    white background. A page with no area raises PageDamage.
    """
    import numpy as np  # here, not at the top: see TYPE_CHECKING above
    width_pt, height_pt = page.get_size()
    if not (width_pt > 0 and height_pt > 0):
        raise PageDamage("trang không có kích thước")
    scale = dpi / 72.0
    if width_pt * height_pt * scale * scale > T.MAX_PAGE_PIXELS:
        # pdfium rounds the bitmap's sides up: keep clear of the bound by a pixel a side.
        scale = (T.MAX_PAGE_PIXELS / (width_pt * height_pt)) ** 0.5 * 0.999
    array = page.render(scale=scale, grayscale=True).to_numpy()
    return np.ascontiguousarray(array[:, :, 0] if array.ndim == 3 else array)


def _render_dpi(page) -> float:
    """The page's scanned resolution if it holds one image (bounded), else PDF_RENDER_DPI."""
    import pypdfium2.raw as pdfium_c

    low, high = T.PDF_RENDER_DPI_RANGE
    try:
        images = [o for o in page.get_objects(max_depth=1) if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
        if len(images) == 1:
            width_px, height_px = images[0].get_px_size()
            m = images[0].get_matrix()
            extent_pt = max(abs(m.a) + abs(m.c), abs(m.b) + abs(m.d))
            if extent_pt > 0:
                return float(min(max(max(width_px, height_px) / extent_pt * 72.0, low), high))
    except Exception:  # an image we cannot measure: the default resolution
        pass
    return float(PDF_RENDER_DPI)


def _painted_as_decoded(page, grey: np.ndarray) -> bool:
    """Whether the decoded embedded image looks like a small render of the page.

    The fast path decodes a page's scanned image directly, but a PDF may paint
    that image inverted (/Decode [1 0]), as a stencil (/ImageMask), through a
    soft mask, or elsewhere than over the whole page; then the bytes are not
    the page. A render at ``T.PDF_CHECK_DPI`` (~15 ms for A4) is compared
    with the image downsampled to it; any disagreement beyond the thresholds
    in omr/tuning.py means: render the page instead.
    """
    import numpy as np  # here, not at the top: see TYPE_CHECKING above
    import cv2

    check = render_pdf_page(page, T.PDF_CHECK_DPI).astype(np.int16)
    if check.size == 0:
        return False
    small = cv2.resize(grey, (check.shape[1], check.shape[0]), interpolation=cv2.INTER_AREA).astype(np.int16)
    diff = np.abs(small - check)
    return bool(diff.mean() <= T.PDF_CHECK_MAX_MEAN_DIFF
                and (diff > T.PDF_CHECK_PIXEL_DIFF).mean() <= T.PDF_CHECK_MAX_DIFF_SHARE)


def not_a_page(width: int, height: int, dpi: float | None = None) -> str | None:
    """Why an image of ``width`` x ``height`` px is not a scanned page (Vietnamese), or None if it may be one.

    Bounds: ``T.MIN_PAGE_SIDE_PX`` on the shorter side, ``T.MAX_PAGE_ASPECT`` long side / short side.
    No later stage (thresholds, resizes, the overview) then sees a 1 px or 100000 x 1 image. ``dpi``, the
    resolution the file declares (or a PDF page is drawn at), puts the sizes in millimetres too. Such a
    page is set aside as "not_scan" (omr.model.SET_ASIDE_REASONS): not asked of a reviewer.
    """
    short, long = min(width, height), max(width, height)
    mm = (lambda px: f"{px * 25.4 / dpi:.1f}".replace(".", ",")) if dpi and dpi > 0 else None
    size = f"{width} × {height} điểm ảnh" + (f", {mm(width)} × {mm(height)} mm ở {dpi:.0f} dpi" if mm else "")
    if long > T.MAX_PAGE_ASPECT * short:
        return f"ảnh quá dài và hẹp để là một trang phiếu ({size})"
    if short < T.MIN_PAGE_SIDE_PX:
        return (f"ảnh quá nhỏ để là một trang quét ({size}); một trang phiếu cần ít nhất {T.MIN_PAGE_SIDE_PX} "
                "điểm ảnh mỗi cạnh" + (f" ({mm(T.MIN_PAGE_SIDE_PX)} mm ở {dpi:.0f} dpi)" if mm else "")
                + ": nhỏ hơn thế thì trên một trang A5 hay A4 mỗi milimét chưa được một điểm ảnh, "
                  "không thấy được ô đánh dấu hay dấu định vị nào")
    return None


def _declared_dpi(img) -> float | None:
    """The resolution an image file declares (the smaller of x and y), or None when it declares none."""
    try:
        dpi = float(min(img.info.get("dpi", (0, 0))[:2]))
    except (TypeError, ValueError):
        return None
    low, high = T.DECLARED_DPI_RANGE
    return dpi if low <= dpi <= high else None  # "1 dpi" (a default of some writers) says nothing


def _declared_xy_dpi(img) -> tuple[float, float] | None:
    """The (x, y) resolution an image file declares (TIFF X/YResolution, PNG pHYs, JPEG density, as
    Pillow gives them in ``info["dpi"]``), or None when it declares none or one outside
    ``T.DECLARED_DPI_RANGE``."""
    try:
        x, y = (float(v) for v in img.info.get("dpi", (0, 0))[:2])
    except (TypeError, ValueError):
        return None
    low, high = T.DECLARED_DPI_RANGE
    return (x, y) if low <= x <= high and low <= y <= high else None


def square_pixels(grey: np.ndarray, dpi: tuple[float, float] | None) -> np.ndarray:
    """``grey`` (H, W uint8) resampled so that its pixels are square, from its declared (x, y) dpi.

    A fax in standard mode is 204 x 98 dpi: each pixel twice as tall as wide, the page half as tall in
    pixels as it is. The axis of lower resolution is stretched to the higher one (nothing the scan holds
    is lost). Unchanged when ``dpi`` is None or its two values are within ``T.SQUARE_PIXEL_TOLERANCE``
    of each other (every ordinary scan: no copy made). The result may be up to
    ``T.DECLARED_DPI_RANGE[1] / T.DECLARED_DPI_RANGE[0]`` times larger: the caller checks its size.
    """
    if dpi is None:
        return grey
    x, y = dpi
    if abs(x / y - 1.0) <= T.SQUARE_PIXEL_TOLERANCE:
        return grey
    h, w = grey.shape[:2]
    top = max(x, y)
    size = (int(round(w * top / x)), int(round(h * top / y)))
    import cv2  # as the other readers here: the scan parent never loads OpenCV (tests/test_startup.py)

    return cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR)


def _largest_image_pixels(page) -> int:
    """Pixels (width x height, as the image dictionaries declare them) of the page's largest image.

    Read from the dictionaries, nothing decoded; images inside form XObjects are counted too.
    """
    import pypdfium2.raw as pdfium_c

    largest = 0
    for obj in page.get_objects(max_depth=8):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            width, height = obj.get_px_size()
            largest = max(largest, int(width) * int(height))
    return largest


def _embedded_scan(page) -> tuple[np.ndarray, None, str | None] | None:
    """The page's scanned image decoded directly, when the page is just that image (and invisible OCR text).

    Scanners write one image per page; decoding it (a JPEG, usually) costs a
    quarter of rendering the page, and keeps the scanner's own resolution.
    Anything else (visible text, drawing, several images, rotation, transparency,
    a crop box or clipping path hiding part of the image) returns None: render it.
    """
    import numpy as np  # here, not at the top: see TYPE_CHECKING above
    import cv2
    import pypdfium2.raw as pdfium_c

    if page.get_rotation() != 0:
        return None
    objects = list(page.get_objects(max_depth=1))
    images = [o for o in objects if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
    if len(images) != 1 or any(not _invisible_text(o) for o in objects if o is not images[0]):
        return None
    image = images[0]
    if pdfium_c.FPDFPageObj_HasTransparency(image):  # painted see-through (alpha, blend mode, mask)
        return None
    m = image.get_matrix()
    width_pt, height_pt = page.get_size()
    if not _covers_shown_page(m, _clipped(page.get_bbox(), _clip_box(image)), width_pt, height_pt):
        return None
    width, height = image.get_px_size()
    if width * height > T.MAX_PAGE_PIXELS:
        return None
    digest = None
    if image.get_filters() == ["DCTDecode"]:
        encoded = bytes(image.get_data(decode_simple=False))
        if not encoded.rstrip(b"\x00\t\n\r ").endswith(b"\xff\xd9"):
            # No end-of-image marker: the JPEG was cut short. Decoders fill the
            # missing rows with grey, which would read as a page of blank answers.
            raise PageDamage("ảnh JPEG của trang bị cắt cụt (thiếu phần cuối); hãy quét lại trang này")
        digest = hashlib.sha256(encoded).hexdigest()
        factor = jpeg_reduction(max(width, height) / (max(width_pt, height_pt) / 72.0 * 25.4))  # px per mm of page
        flags = {1: cv2.IMREAD_GRAYSCALE, 2: cv2.IMREAD_REDUCED_GRAYSCALE_2, 4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
                 8: cv2.IMREAD_REDUCED_GRAYSCALE_8}
        grey = cv2.imdecode(np.frombuffer(encoded, np.uint8), flags[factor])
        # libjpeg scales each side to ceil(side / factor).
        height, width = -(-height // factor), -(-width // factor)
    else:
        array = image.get_bitmap().to_numpy()
        grey = array if array.ndim == 2 else cv2.cvtColor(array[:, :, :3], cv2.COLOR_BGR2GRAY)
    if grey is None or grey.dtype != np.uint8 or grey.shape != (height, width):
        return None
    return np.ascontiguousarray(grey), None, digest


def _painted_image_only(page, rendered: np.ndarray, shown_annotations: set[int]) -> np.ndarray:
    """``rendered`` (the whole page, grey) cut to the rectangle its one image is painted in, when that image
    is all the page shows; otherwise ``rendered`` as it is.

    A phone scanning app or «Print to PDF» fits a scan onto an A4 page: an A3 scan of both pages of a
    sheet, landscape, lies in a band across a portrait page, white above and below. The page's own
    shape then told how to halve it (top and bottom, through both form pages) and the spread was set
    aside as misaligned. The white around the image is no part of the scan (nothing is painted there),
    so cutting it away loses nothing. Page rotation, annotations, other visible objects: as rendered.
    """
    import numpy as np  # here, not at the top: see TYPE_CHECKING above
    import pypdfium2.raw as pdfium_c

    if shown_annotations or page.get_rotation() != 0:
        return rendered
    try:
        objects = list(page.get_objects(max_depth=1))
        images = [o for o in objects if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
        if len(images) != 1 or any(not _invisible_text(o) for o in objects if o is not images[0]):
            return rendered
        shown = page.get_bbox()
        left, bottom, right, top = _clipped(shown, tuple(images[0].get_bounds()))
    except Exception:  # an object pdfium cannot measure: the page as rendered
        return rendered
    h, w = rendered.shape[:2]
    sx, sy = w / max(shown[2] - shown[0], 1e-6), h / max(shown[3] - shown[1], 1e-6)
    x0, x1 = max(0, int(np.floor((left - shown[0]) * sx))), min(w, int(np.ceil((right - shown[0]) * sx)))
    y0, y1 = max(0, int(np.floor((shown[3] - top) * sy))), min(h, int(np.ceil((shown[3] - bottom) * sy)))
    if (x0, y0, x1, y1) == (0, 0, w, h) or not_a_page(x1 - x0, y1 - y0) is not None:
        return rendered  # the whole page already, or too small a part to be a scan: the page as rendered
    return np.ascontiguousarray(rendered[y0:y1, x0:x1])


def _covers_shown_page(m, shown: tuple[float, float, float, float], width_pt: float, height_pt: float) -> bool:
    """Whether an image placed by matrix ``m`` (pdfium's, points) is, give or take, the page a viewer shows.

    ``shown``: the page's visible box (left, bottom, right, top; the crop box
    within the media box, and within the image's clipping path), ``width_pt`` x
    ``height_pt`` the page's size. The image,
    upright and unturned, must cover all but ``T.PDF_IMAGE_FIT_SHARE`` of each
    side and stick out of it by no more than that on any edge: a page cropped
    to a part of its scan (half of an A3 sheet, a phone app's crop, by crop box
    or clipping path) shows that part only, and decoding the whole image would
    read what the viewer hides.
    """
    left, bottom, right, top = shown
    share = T.PDF_IMAGE_FIT_SHARE
    slack_x, slack_y = share * width_pt, share * height_pt
    if abs(m.b) > 1e-3 or abs(m.c) > 1e-3 or m.a < (1 - share) * width_pt or m.d < (1 - share) * height_pt:
        return False
    return (m.e >= left - slack_x and m.e + m.a <= right + slack_x
            and m.f >= bottom - slack_y and m.f + m.d <= top + slack_y)


def _invisible_text(obj) -> bool:
    """Whether a page object is text painted invisibly (render mode 3, PDF 32000-1:2008, 9.3.6).

    A scanner's «searchable PDF» lays the OCR'd words over the scan that way:
    nothing of it shows, so the page is still just its image. Any other mode
    paints (or clips, modes 4-7) and is not invisible.
    """
    import pypdfium2.raw as pdfium_c

    return (obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT
            and pdfium_c.FPDFTextObj_GetTextRenderMode(obj) == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE)


def _clip_box(obj) -> tuple[float, float, float, float] | None:
    """The box (left, bottom, right, top; page points) a page object's clipping paths leave, or None for none.

    The clip is the intersection of its paths: the intersection of their
    bounding boxes holds it. pdfium drops a clip that is the whole page.
    """
    import pypdfium2.raw as pdfium_c

    clip = pdfium_c.FPDFPageObj_GetClipPath(obj)
    if not clip:
        return None
    box = None
    x, y = ctypes.c_float(), ctypes.c_float()
    for i in range(pdfium_c.FPDFClipPath_CountPaths(clip)):
        xs, ys = [], []
        for j in range(pdfium_c.FPDFClipPath_CountPathSegments(clip, i)):
            segment = pdfium_c.FPDFClipPath_GetPathSegment(clip, i, j)
            if segment and pdfium_c.FPDFPathSegment_GetPoint(segment, x, y):
                xs.append(x.value)
                ys.append(y.value)
        if xs:
            box = _clipped(box, (min(xs), min(ys), max(xs), max(ys)))
    return box


def _clipped(box, clip):
    """The intersection of two (left, bottom, right, top) boxes; either may be None (no bound)."""
    if box is None or clip is None:
        return clip if box is None else box
    return (max(box[0], clip[0]), max(box[1], clip[1]), min(box[2], clip[2]), min(box[3], clip[3]))


def jpeg_reduction(px_per_mm: float) -> int:
    """The JPEG decoder's scale-down (1, 2, 4 or 8) that still gives the reading what it needs.

    ``px_per_mm`` is the scan's resolution along its long side. libjpeg
    scales by 1/2, 1/4, 1/8 inside the inverse DCT, so a 600 dpi scan decoded
    at half size costs about a quarter of the full decode, and every later
    stage works on a quarter of the pixels. The largest factor keeping at
    least ``T.DECODE_MIN_PX_PER_MM`` is chosen (source of that figure: the
    finest resolution any stage resamples the scan to, see omr/tuning.py).
    """
    factor = 1
    while factor < 8 and px_per_mm / (factor * 2) >= T.DECODE_MIN_PX_PER_MM:
        factor *= 2
    return factor


_heif_registered = False


def _register_heif() -> None:
    """Let Pillow open iPhone HEIC/HEIF photos (pillow-heif), once per process."""
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


def _open_image(path: Path):
    from PIL import Image, UnidentifiedImageError

    _register_heif()
    Image.MAX_IMAGE_PIXELS = None  # we check the size ourselves, with a clearer message
    try:
        return Image.open(path)
    except UnidentifiedImageError:
        raise InputFileError(_not_an_image(path)) from None
    except Exception:
        raise InputFileError(f"{path}: tệp ảnh bị hỏng, không mở được; hãy chép lại tệp gốc từ máy quét "
                             "hoặc quét lại") from None


# Office documents people send instead of a scan: they must be saved as PDF first.
DOCUMENT_SUFFIXES = {".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx", ".ods", ".ppt", ".pptx"}


def pdf_hint(name: str) -> str:
    """For an office document's file name ("phieu.docx"), how to make the PDF omr reads; "" for others."""
    suffix = Path(name).suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        return ""
    return (f"; đây là tệp văn bản ({suffix}): hãy mở bằng Word hoặc LibreOffice và «Lưu thành PDF» "
            "(Save as PDF), rồi dùng tệp PDF đó")


# Leading bytes of the image formats scanners and phones write (their specifications' signatures):
# a file that starts with one yet does not open is a damaged or cut-short image, not another format.
IMAGE_SIGNATURES = ((b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"\x89PNG\r\n\x1a\n", "PNG"),
                    (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"BM", "BMP"),
                    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"), (b"\xff\x4f\xff\x51", "JPEG 2000"))


def _not_an_image(path: Path) -> str:
    """The Vietnamese message for a file no image reader recognises (never an exception's English name):
    a damaged image when the file starts as one of :data:`IMAGE_SIGNATURES` does (a TIFF cut short by a
    copy), else not an image (with how to make a PDF of an office document)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        head = b""
    kind = next((name for signature, name in IMAGE_SIGNATURES if head.startswith(signature)), None)
    if kind is None and head[:1] == b"P":  # a Netpbm header may hold comments: read it whole
        try:
            with open(path, "rb") as handle:
                kind = "PNM" if pnm_header(handle.read(4096)) is not None else None
        except OSError:
            pass
    if kind is not None:
        return (f"{path}: tệp ảnh {kind} bị hỏng hoặc bị cắt cụt (chép chưa xong), không mở được; "
                "hãy chép lại tệp gốc từ máy quét hoặc quét lại")
    return f"{path}: không phải tệp ảnh hay PDF đọc được" + (pdf_hint(path.name) or " (định dạng không nhận ra)")


# What may follow a plain (P1-P3) header up to its image's end: decimal samples, white space and
# "#" comments (Pillow skips them there); the first other byte starts the next image or is damage.
_PNM_PLAIN_RASTER = re.compile(rb"[0-9 \t\r\n\v\f]*(?:#[^\r\n]*[0-9 \t\r\n\v\f]*)*")


def pnm_offsets(path: Path, limit: int) -> list[int]:
    """Where each image of a Netpbm file starts (bytes), at most ``limit``: a file may hold several
    images one after another (Netpbm's pnm(5); ``pamsplit`` splits them). A raw (P4-P6) image ends
    where its header's size says; a plain (P1-P3) one at the first byte that is not a sample, white
    space or a comment. White space between images is skipped. Anything else after an image (a
    damaged or cut header) is one more offset, so that it is a page named when read (:func:`_iter_pnm`),
    never dropped unsaid. Reads one header per raw image, and a plain file through a memory map
    (OSError propagates)."""
    offsets = [0]
    size = path.stat().st_size
    with open(path, "rb") as handle:
        while len(offsets) < limit:
            handle.seek(offsets[-1])
            header = pnm_header(handle.read(4096))
            if header is None:  # the damaged part after the last image: nothing more is found
                break
            kind, width, height, maxval, length = header
            if kind >= 4:
                row = (width + 7) // 8 if kind == 4 else width * (3 if kind == 6 else 1) * (2 if maxval > 255 else 1)
                following = offsets[-1] + length + row * height
            else:
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                    following = _PNM_PLAIN_RASTER.match(mapped, offsets[-1] + length).end()
            handle.seek(following)
            head = handle.read(4096)
            gap = len(head) - len(head.lstrip(b" \t\r\n\v\f"))
            blank = bool(head) and gap == len(head)  # 4 KB of white space (in gap): skip what follows too
            while blank:
                head = handle.read(4096)
                lead = len(head) - len(head.lstrip(b" \t\r\n\v\f"))
                gap, blank = gap + lead, bool(head) and lead == len(head)
            if following + gap >= size:  # only white space after the image: the file's end
                break
            offsets.append(following + gap)
    return offsets


class _FileFrom(io.RawIOBase):
    """A file read from byte ``start`` on, as if it began there: Pillow opens the second and later
    images of a Netpbm file through it (``Image.open`` reads from position 0)."""

    def __init__(self, path: Path, start: int):
        super().__init__()
        self._file = open(path, "rb")
        self._start = start
        self._file.seek(start)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._file.readinto(buffer)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(self._start + offset if whence == 0 else offset, whence) - self._start

    def tell(self) -> int:
        return self._file.tell() - self._start

    def close(self) -> None:
        self._file.close()
        super().close()


def _iter_image(path: Path, start: int) -> Iterator[RawPage]:
    """Frames streamed one at a time until the file really ends (never its declared count)."""
    img = _open_image(path)
    with img:
        if img.format == "PPM":
            yield from _iter_pnm(img, path, start)
            return
        for index in range(start, T.MAX_PAGES_PER_FILE):
            try:
                img.seek(index)
            except EOFError:
                return
            except Exception:  # a frame whose header is broken (or missing) ends the file
                # Said without "không đọc được" nor parentheses: the summary puts it inside
                # "không đọc được ảnh (…)" (omr.scan.batch._reason_with).
                yield RawPage(str(path), index, None, PageError(
                    f"{path}, trang {index + 1}: tệp ghi là có trang {index + 1} nhưng không có ảnh của trang đó, "
                    "vì tệp bị cắt cụt hoặc là ảnh động khai báo nhiều trang hơn số trang có thật; các trang "
                    "trước đã được đọc; nếu tờ phiếu có trang này, hãy chép lại tệp gốc từ máy quét hoặc quét lại"))
                return
            yield _frame_page(img, path, index)


def _iter_pnm(img, path: Path, start: int) -> Iterator[RawPage]:
    """The images of a Netpbm file (:func:`pnm_offsets`) from ``start`` on; ``img`` is the first, open."""
    from PIL import Image

    offsets = pnm_offsets(path, T.MAX_PAGES_PER_FILE)
    for index in range(start, len(offsets)):
        if index == 0:
            yield _frame_page(img, path, 0)
            continue
        if not _pnm_header_at(path, offsets[index]):
            # Said without "không đọc được" nor parentheses: see _iter_image.
            yield RawPage(str(path), index, None, PageError(
                f"{path}, trang {index + 1}: sau trang {index} tệp còn dữ liệu nhưng đầu ảnh của trang {index + 1} "
                "bị hỏng hoặc bị cắt cụt, nên trang này không có ảnh; các trang trước đã được đọc; nếu tờ phiếu "
                "có trang này, hãy chép lại tệp gốc từ máy quét hoặc quét lại"))
            return
        try:
            frame = Image.open(_FileFrom(path, offsets[index]))
        except Exception:
            yield RawPage(str(path), index, None,
                          PageError(f"{path}, trang {index + 1}: ảnh bị hỏng, không giải mã được"))
            continue
        with frame:
            yield _frame_page(frame, path, index)


def _pnm_header_at(path: Path, offset: int) -> bool:
    """Whether a Netpbm header starts at byte ``offset`` of ``path``."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        return pnm_header(handle.read(4096)) is not None


def _frame_page(img, path: Path, index: int) -> RawPage:
    """The current frame of ``img`` (page ``index`` of ``path``) as a page, within the bounds on its size;
    a frame that cannot be decoded is a page with its error."""
    import numpy as np  # here, not at the top: see TYPE_CHECKING above
    try:
        not_scan = not_a_page(img.width, img.height, _declared_dpi(img))
        if not_scan:
            return RawPage(str(path), index, None, PageError(f"{path}, trang {index + 1}: {not_scan}", NOT_SCAN))
        if img.width * img.height > T.MAX_PAGE_PIXELS:
            return RawPage(str(path), index, None, PageError(
                f"{path}, trang {index + 1}: ảnh quá lớn ({img.width} × {img.height} điểm ảnh); "
                "hãy quét ở 200–300 dpi", "unreadable"))
        _draft_jpeg(img)
        _decode_turned_tiff_unmapped(img)
        bits = _png_significant_bits(path) if img.mode.startswith("I;16") else None
        grey = square_pixels(image_to_grey(img, bits), _declared_xy_dpi(img))
        if grey.size > T.MAX_PAGE_PIXELS:
            return RawPage(str(path), index, None, PageError(
                f"{path}, trang {index + 1}: ảnh quá lớn sau khi đưa về điểm ảnh vuông "
                f"({grey.shape[1]} × {grey.shape[0]} điểm ảnh); hãy quét ở 200–300 dpi", "unreadable"))
        grey = exif_upright(grey, exif_orientation(img))
        return RawPage(str(path), index, np.ascontiguousarray(grey))
    except Exception:
        return RawPage(str(path), index, None, PageError(f"{path}, trang {index + 1}: ảnh bị hỏng, không giải mã được"))


def _decode_turned_tiff_unmapped(img) -> None:
    """Keep Pillow from memory-mapping a TIFF frame stored turned (Orientation tag 5-8, TIFF 6.0 tag 274).

    Pillow (13.0) gives such a frame its upright size (width and height swapped) before decoding, and
    its memory-map shortcut for one uncompressed strip maps the stored rows with that swapped size:
    the pixels come out sheared, and the page was set aside as too light. Without a file name Pillow
    reads the strip through its ordinary decoder, which it then turns upright itself.
    """
    if getattr(img, "format", None) == "TIFF" and getattr(img, "tag_v2", {}).get(274) in (5, 6, 7, 8):
        img.filename = ""


def _draft_jpeg(img) -> None:
    """Let a scanner's JPEG with resolution to spare decode scaled down (and grey only).

    Pillow's draft mode makes libjpeg scale in the inverse DCT and skip the
    colour planes. Only for a JPEG whose declared resolution (JFIF/EXIF dpi,
    what scanners write) leaves at least ``T.DECODE_MIN_PX_PER_MM`` after
    halving: a phone photo (72 dpi or none declared) may show the sheet on a
    part of its frame only, so its pixels per mm of paper are unknown here,
    and it is decoded whole.
    """
    if getattr(img, "format", None) != "JPEG" or img.mode not in ("RGB", "YCbCr", "L"):
        return
    try:
        declared_dpi = float(min(img.info.get("dpi", (0, 0))[:2]))
    except (TypeError, ValueError):
        return
    factor = jpeg_reduction(declared_dpi / 25.4)
    if factor == 1:
        # Full size: keep the exact grey of the RGB -> L path (libjpeg's own luma differs by
        # rounding, enough to move a mark near a threshold on a blurred 850 px scan).
        return
    img.draft("L", (img.width // factor, img.height // factor))  # Pillow scales by side // requested side


def image_to_grey(img, significant_bits: int | None = None) -> np.ndarray:
    """Any PIL image as grey uint8 (H, W), its full range scaled, never clipped.

    - 1-bit, 8-bit grey: as is. 16-bit grey (``I;16*``): scaled by its
      ``significant_bits`` (PNG sBIT, PNG 1.2 section 4.2.6) when they hold its
      values, else by the fewest bits of 8-16 that hold its brightest value
      (a 12-bit scanner's 0-4095 becomes 0-255, a full 16-bit page is divided by
      257); 32-bit ``I`` and float ``F`` beyond 0-1 by the fewest bits (8-32)
      that hold the brightest value (a 32-bit TIFF's BitsPerSample is its
      container, not its range: 8-bit values in it stay as they are); float
      ``F`` as 0-1 when it stays within it.
    - Colour (RGB, 16-bit RGB as Pillow reduces it, CMYK incl. Adobe's
      inverted JPEGs, YCbCr, palette): luma by ITU-R 601-2, as Pillow's
      ``convert("L")``.
    - Alpha (RGBA, LA, PA, palette transparency): composited over white paper,
      since a transparent scan background is paper, not ink.
    - A TIFF whose PhotometricInterpretation is 0 (MinIsWhite, TIFF 6.0 section 4:
      0 is white, the largest value black) is inverted where Pillow leaves its
      samples as stored (16-bit, 32-bit, float); Pillow inverts 1- to 8-bit itself.
    """
    grey = _grey_of(img, significant_bits)
    if _min_is_white_as_stored(img):
        return 255 - grey  # a negative otherwise: paper black, ink white, then set aside as too dark
    return grey


# Modes Pillow decodes a MinIsWhite TIFF into already inverted (raw modes "1;I", "L;I", "L;2I", "L;4I").
_INVERTED_BY_PILLOW = ("1", "L")


def _min_is_white_as_stored(img) -> bool:
    """Whether ``img`` is a TIFF frame declaring MinIsWhite (tag 262 = 0) that Pillow decoded as stored."""
    tags = getattr(img, "tag_v2", None)
    if tags is None or getattr(img, "format", None) != "TIFF":
        return False
    try:
        photometric = int(tags.get(262, -1))
    except (TypeError, ValueError):
        return False
    return photometric == 0 and img.mode not in _INVERTED_BY_PILLOW


def _grey_of(img, significant_bits: int | None) -> np.ndarray:
    """:func:`image_to_grey` before a MinIsWhite TIFF is inverted: the samples as Pillow decodes them."""
    import numpy as np  # here, not at the top: see TYPE_CHECKING above
    from PIL import Image

    mode = img.mode
    if mode in ("1", "L"):
        return np.asarray(img.convert("L"))
    if mode in ("RGB", "RGBA"):
        wide = _sixteen_bit_colour_grey(img)
        if wide is not None:
            return wide
    if mode.startswith("I;16"):
        stored = np.asarray(img)
        top = int(stored.max()) if stored.size else 0
        # A 10-, 12- or 14-bit scan stored in 16 bits (values 0-4095 for 12 bits): scaled by its
        # significant bits (PNG sBIT), else by the fewest bits (8-16) that hold its brightest value,
        # never by 16 bits, which would leave the page nearly black.
        bits = significant_bits if significant_bits and 8 <= significant_bits <= 16 else None
        if bits is None or top >= 1 << bits:
            bits = _bits_holding(top)
        values = stored.astype(np.uint32)
        if bits == 16:  # rint(v / 257) in integers: (v + 128) // 257, a third of the float path's time
            return ((values + 128) // 257).astype(np.uint8)
        full = (1 << bits) - 1
        return ((values * 255 + full // 2) // full).astype(np.uint8)  # rint(v * 255 / full)
    if mode == "I" and getattr(img, "format", None) == "PPM":
        # A 16-bit Netpbm image (largest sample value 256-65535, e.g. 4095 for a 12-bit scanner): Pillow
        # has scaled it by its declared largest value to 0-65535, as a PNG's sBIT would say its range.
        values = np.asarray(img).astype(np.uint32)
        return ((values + 128) // 257).astype(np.uint8)
    if mode.startswith("I") or mode == "F":
        values = np.asarray(img).astype(np.float64)
        if mode == "F" and (values.size == 0 or (values.min() >= 0 and values.max() <= 1.0)):
            full = 1.0
        elif mode.startswith("I;16"):
            full = 65535.0
        else:
            # The fewest bits (8-32) that hold the brightest value, as for 16-bit above: a TIFF's
            # BitsPerSample (32) is the size of the sample's container, not the range of its values
            # (ImageJ, numpy and scientific scanner software store 8- or 16-bit values in 32-bit
            # integers or floats 0-255 / 0-65535). Divided by 2^32 such a page came out black and was
            # set aside as a blank page.
            top = float(values.max()) if values.size else 0.0
            bits = min(32, max(8, int(np.ceil(np.log2(max(top, 0.0) + 1.0)))))
            full = float(2 ** bits - 1)
        return np.clip(np.rint(values * (255.0 / full)), 0, 255).astype(np.uint8)
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(paper, rgba).convert("L"))
    if mode in ("RGB", "L", "P", "CMYK", "YCbCr", "HSV"):
        return np.asarray(img.convert("RGB").convert("L"))
    return np.asarray(img.convert("L"))


def _sixteen_bit_colour_grey(img) -> np.ndarray | None:
    """A 16-bit-per-sample colour PNG or TIFF frame (not yet decoded) as grey uint8 (H, W) from all its
    16 bits, scaled like 16-bit grey (the fewest bits of 8-16 holding its brightest luma); None for
    any other image, or one OpenCV cannot decode as stored.

    Pillow keeps only the high byte of each sample: a 10-bit scanner's 0-1023 in 16 bits came out
    0-3, a black page set aside as blank. Luma by ITU-R 601-2, alpha over white paper.
    """
    import numpy as np  # here, not at the top: see TYPE_CHECKING above
    import cv2

    tile = getattr(img, "tile", None)
    path = getattr(img, "filename", "")
    if not tile or not path or img.format not in ("PNG", "TIFF"):
        return None
    rawmode = tile[0].args[0] if isinstance(tile[0].args, tuple) else tile[0].args
    if not isinstance(rawmode, str) or ";16" not in rawmode:
        return None
    flags = cv2.IMREAD_UNCHANGED  # as stored: 16 bits, alpha kept, EXIF orientation left to exif_upright
    try:
        if img.format == "PNG":
            stored = cv2.imread(str(path), flags)
        else:
            ok, frames = cv2.imreadmulti(str(path), start=img.tell(), count=1, flags=flags)
            stored = frames[0] if ok and frames else None
    except cv2.error:  # what OpenCV cannot decode Pillow may: its 8-bit reading is used instead
        return None
    if stored is None or stored.dtype != np.uint16 or stored.ndim != 3 or stored.shape[2] not in (3, 4) \
            or stored.shape[:2] not in ((img.height, img.width), (img.width, img.height)):
        return None
    samples = stored.astype(np.float64)
    luma = samples[..., 2] * 0.299 + samples[..., 1] * 0.587 + samples[..., 0] * 0.114  # BGR(A)
    top = float(luma.max()) if luma.size else 0.0
    full = float((1 << _bits_holding(top)) - 1)
    if stored.shape[2] == 4:
        # Alpha is scaled like the samples, by the fewest bits holding its largest value: a 12-bit
        # scanner's opaque page stores alpha 4095, which over 65535 made the page almost transparent,
        # composited into white paper and set aside as a blank page.
        alpha_top = float(samples[..., 3].max()) if luma.size else 0.0
        alpha = samples[..., 3] / float((1 << _bits_holding(alpha_top)) - 1)
        luma = luma * alpha + full * (1.0 - alpha)
    return np.clip(np.rint(luma * (255.0 / full)), 0, 255).astype(np.uint8)


def _bits_holding(top: float) -> int:
    """The fewest bits, 8 to 16, whose range holds ``top`` (a sample's largest value)."""
    import numpy as np  # here, not at the top: see TYPE_CHECKING above
    return min(16, max(8, int(np.ceil(np.log2(max(top, 0.0) + 1.0)))))


def _png_significant_bits(path: Path) -> int | None:
    """The grey sample's significant bits from a PNG's sBIT chunk (PNG 1.2, 4.2.6), or None.

    Reads chunk headers only, up to the first IDAT (at most 64 chunks).
    """
    try:
        with open(path, "rb") as handle:
            if handle.read(8) != b"\x89PNG\r\n\x1a\n":
                return None
            for _ in range(64):
                header = handle.read(8)
                if len(header) < 8:
                    return None
                length, kind = struct.unpack(">I4s", header)
                if kind == b"IDAT":
                    return None
                if kind == b"sBIT":
                    data = handle.read(min(length, 4))
                    return int(data[0]) if data else None
                handle.seek(length + 4, 1)  # the data and its CRC
    except OSError:
        return None
    return None


# EXIF Orientation (0x0112) -> the PIL transpose that shows the image upright,
# as Pillow's ImageOps.exif_transpose does (EXIF 2.32, tag 274).
_EXIF_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
                   6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}


def exif_orientation(img) -> int:
    """The EXIF Orientation of the current frame (1-8), 1 when absent or unreadable."""
    try:
        value = img.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block is no reason to lose the page
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def exif_upright(grey: np.ndarray, orientation: int) -> np.ndarray:
    """``grey`` (H, W) turned/flipped as the EXIF Orientation says a viewer shows it."""
    import numpy as np  # here, not at the top: see TYPE_CHECKING above
    from PIL import Image

    method = _EXIF_TRANSPOSE.get(orientation)
    if method is None:
        return grey
    return np.asarray(Image.fromarray(grey).transpose(getattr(Image.Transpose, method)))


class PageLoader:
    """Load single pages by (path, index), keeping the last file open.

    Worker processes each hold one loader, so a PDF is opened once per worker,
    not once per page; a PDF stays open when the next page asked is further on
    in it (with 2 workers each takes every other chunk of a file: opening the
    file again for each cost a few ms, issue #18). :func:`_iter_pdf` still closes
    and reopens it every ``T.PDF_PAGES_PER_OPENING`` pages read, so memory stays flat.
    """

    def __init__(self):
        self._path: Path | None = None
        self._pages: Generator[RawPage, int | None, None] | None = None
        self._next_index = -1
        self._pdf = False

    def load(self, path: Path, index: int) -> RawPage:
        """Page ``index`` (0-based) of ``path``. Raises InputFileError for a page the file does not have."""
        ahead = self._pages is not None and self._path == path and self._pdf and index > self._next_index
        if not ahead and (self._path != path or index != self._next_index or self._pages is None):
            self.close()
            self._path, self._pages = path, iter_pages(path, start=index)
            self._pdf = path.suffix.lower() == ".pdf"
        try:
            page = self._pages.send(index) if ahead else next(self._pages)
        except StopIteration:
            self.close()
            raise InputFileError(f"{path}: không có trang {index + 1}") from None
        if ahead and page.index != index:  # never a wrong page under another page's number: open afresh
            self.close()
            return self.load(path, index)
        self._next_index = index + 1
        return page

    def close(self) -> None:
        """Close the open file (a PDF holds a native handle until then)."""
        if self._pages is not None:
            self._pages.close()
            self._pages = None
