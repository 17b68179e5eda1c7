"""Stream pages out of scan files: PDF, TIFF (multi-page), PNG, JPEG, folders.

Pages are produced one at a time so that a 500-page batch never sits in
memory. Every problem is an :class:`~omr.errors.InputFileError` (whole file)
or :class:`~omr.errors.PageError` (one page) whose message names the file and
page, so the batch can go on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from omr import tuning as T
from omr.errors import InputFileError, PageError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}
SCAN_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}
PDF_RENDER_DPI = 200


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


def expand_paths(paths: list[str]) -> list[Path]:
    """Files to read, folders expanded (sorted, scans only); missing paths are errors."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SCAN_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise InputFileError(f"Không tìm thấy tệp hoặc thư mục: {path}")
    return files


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def count_pages(path: Path) -> int:
    """Number of pages, or InputFileError for a file that cannot be opened."""
    _check_not_empty(path)
    if path.suffix.lower() == ".pdf":
        pdf = _open_pdf(path)
        try:
            return len(pdf)
        finally:
            pdf.close()
    from PIL import Image  # lazy: a heavy dependency, loaded only where used

    try:
        with Image.open(path) as img:
            return getattr(img, "n_frames", 1)
    except Exception as exc:  # PIL raises many types for broken files
        raise InputFileError(f"{path}: không phải tệp ảnh đọc được ({type(exc).__name__})") from None


def _check_not_empty(path: Path) -> None:
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: tệp rỗng (0 byte)")


def _open_pdf(path: Path):
    import pypdfium2 as pdfium  # lazy: a heavy dependency, loaded only where used

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text:
            raise InputFileError(f"{path}: tệp PDF có mật khẩu, hãy quét lại không đặt mật khẩu") from None
        raise InputFileError(f"{path}: tệp PDF bị hỏng, không mở được") from None


def iter_pages(path: Path, start: int = 0) -> Iterator[RawPage]:
    """Yield the pages of one file from ``start`` on, decoding each on demand."""
    _check_not_empty(path)
    if path.suffix.lower() == ".pdf":
        yield from _iter_pdf(path, start)
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        yield from _iter_image(path, start)
    else:
        raise InputFileError(f"{path}: không phải tệp quét (PDF, TIFF, PNG, JPEG)")


def _iter_pdf(path: Path, start: int) -> Iterator[RawPage]:
    pdf = _open_pdf(path)
    try:
        for index in range(start, len(pdf)):
            page = pdf[index]
            try:
                embedded = _embedded_scan(page)
                if embedded is not None:
                    yield RawPage(str(path), index, *embedded)
                    continue
                width_pt, height_pt = page.get_size()
                scale = PDF_RENDER_DPI / 72.0
                if width_pt * height_pt * scale * scale > T.MAX_PAGE_PIXELS:
                    scale = (T.MAX_PAGE_PIXELS / (width_pt * height_pt)) ** 0.5
                bitmap = page.render(scale=scale, grayscale=True)
                array = bitmap.to_numpy()
                image = np.ascontiguousarray(array[:, :, 0] if array.ndim == 3 else array)
                yield RawPage(str(path), index, image)
            except Exception as exc:  # pdfium errors for one broken page: go on
                yield RawPage(str(path), index, None,
                              PageError(f"{path}, trang {index + 1}: không đọc được trang ({exc})"))
            finally:
                page.close()
    finally:
        pdf.close()


def _embedded_scan(page) -> tuple[np.ndarray, None, str | None] | None:
    """The page's scanned image decoded directly, when the page is just that image.

    Scanners write one image per page; decoding it (a JPEG, usually) costs a
    quarter of rendering the page, and keeps the scanner's own resolution.
    Anything else (text, several images, rotation) returns None: render it.
    """
    import cv2  # lazy: a heavy dependency, loaded only where used
    import pypdfium2.raw as pdfium_c  # lazy: a heavy dependency, loaded only where used

    if page.get_rotation() != 0:
        return None
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    image = objects[0]
    m = image.get_matrix()
    width_pt, height_pt = page.get_size()
    if abs(m.b) > 1e-3 or abs(m.c) > 1e-3 or m.a < 0.95 * width_pt or m.d < 0.95 * height_pt:
        return None
    width, height = image.get_px_size()
    if width * height > T.MAX_PAGE_PIXELS:
        return None
    digest = None
    if image.get_filters() == ["DCTDecode"]:
        encoded = bytes(image.get_data(decode_simple=False))
        digest = hashlib.sha256(encoded).hexdigest()
        grey = cv2.imdecode(np.frombuffer(encoded, np.uint8), cv2.IMREAD_GRAYSCALE)
    else:
        array = image.get_bitmap().to_numpy()
        grey = array if array.ndim == 2 else cv2.cvtColor(array[:, :, :3], cv2.COLOR_BGR2GRAY)
    if grey is None or grey.dtype != np.uint8 or grey.shape != (height, width):
        return None
    return np.ascontiguousarray(grey), None, digest


def _iter_image(path: Path, start: int) -> Iterator[RawPage]:
    from PIL import Image  # lazy: a heavy dependency, loaded only where used

    Image.MAX_IMAGE_PIXELS = None  # we check the size ourselves, with a clearer message
    try:
        img = Image.open(path)
    except Exception as exc:
        raise InputFileError(f"{path}: không phải tệp ảnh đọc được ({type(exc).__name__})") from None
    with img:
        frames = getattr(img, "n_frames", 1)
        for index in range(start, frames):
            try:
                img.seek(index)
                if img.width * img.height > T.MAX_PAGE_PIXELS:
                    yield RawPage(str(path), index, None, PageError(
                        f"{path}, trang {index + 1}: ảnh quá lớn ({img.width} × {img.height} điểm ảnh); "
                        "hãy quét ở 200–300 dpi", "unreadable"))
                    continue
                grey = np.asarray(img.convert("L"))
                yield RawPage(str(path), index, np.ascontiguousarray(grey))
            except Exception as exc:
                yield RawPage(str(path), index, None,
                              PageError(f"{path}, trang {index + 1}: ảnh bị hỏng ({type(exc).__name__})"))


class PageLoader:
    """Load single pages by (path, index), keeping the last file open.

    Worker processes each hold one loader, so a PDF is opened once per worker,
    not once per page.
    """

    def __init__(self):
        self._path: Path | None = None
        self._pages: Iterator[RawPage] | None = None
        self._next_index = -1

    def load(self, path: Path, index: int) -> RawPage:
        if self._path != path or index != self._next_index or self._pages is None:
            self.close()
            self._path, self._pages = path, iter_pages(path, start=index)
        try:
            page = next(self._pages)
        except StopIteration:
            raise InputFileError(f"{path}: không có trang {index + 1}") from None
        self._next_index = index + 1
        return page

    def close(self) -> None:
        """Close the open file (a PDF holds a native handle until then)."""
        if self._pages is not None:
            self._pages.close()
            self._pages = None
