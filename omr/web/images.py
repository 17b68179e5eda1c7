"""Pictures for reviewers: a question's strip of the page, the whole page with it highlighted.

Images are found by database id only: the page's source file and index come
from the store, never from the client.
"""

from __future__ import annotations

import functools
import json
import textwrap
from pathlib import Path

import cv2
import numpy as np
import sqlalchemy as sa

from omr import tuning as T
from omr.data.schema import boxes, pages, source_files
from omr.data.uploads import purged_upload, shown_file_name, uploaded_names
from omr.forms.fonts import font_path
from omr.model import CANCELLED, EMPTY, MARKED, UNCERTAIN
from omr.scan.identify import map_points
from omr.scan.ingest import PageLoader
from omr.scan.page_geometry import crop_part
from omr.scan.show import draw_reads
from omr.web.display import vn_time

CROP_PX_PER_MM = 5.0  # 210 mm -> 1050 px: printed question text stays legible
CROP_MARGIN_MM = (7.0, 4.0)  # above, below the question's boxes: room for its printed text
PAGE_WIDTH_PX = 1100  # whole-page view, enough to see a box and its neighbours
# A 200 dpi A4 grey page is ~4 MB decoded: six pages cover the items of a few sheets in a row.
PAGES_KEPT = 6
STRIPS_KEPT = 512  # ~20 kB each
MESSAGE_CHARS_PER_LINE = 80  # DejaVu Sans at 20 px: ~10 px a character, the message picture is 900 px wide
# BGR
BOX_COLOURS = {MARKED: (40, 160, 40), CANCELLED: (200, 90, 20), UNCERTAIN: (0, 140, 255), EMPTY: (160, 160, 160)}


class ImageMissing(Exception):
    """The scan file of a page cannot be opened (moved or deleted): the message says which."""


class _NotLoaded(Exception):
    """Raised inside the cache: the file could not be opened (``opened`` False) or the page not decoded."""

    def __init__(self, opened: bool):
        super().__init__(opened)
        self.opened = opened


def _page_row(conn: sa.Connection, page_id: int):
    row = conn.execute(
        sa.select(pages.c.id, pages.c.page_index, pages.c.part, pages.c.homography, pages.c.rotated_180,
                  source_files.c.path, source_files.c.sha256)
        .join(source_files, source_files.c.id == pages.c.source_file_id).where(pages.c.id == page_id)).first()
    if row is None:
        return None
    # Messages name the file as its user named it on upload, not its stored name (omr.data.uploads).
    shown = shown_file_name(row.path, uploaded_names(conn, [row.sha256]).get(row.sha256))
    if not Path(row.path).exists():
        purged = purged_upload(conn, row.path, row.sha256)
        if purged is not None:  # deleted on purpose (omr.web.purge): say by whom and when
            who, when = purged
            raise ImageMissing(f"Ảnh gốc ({shown}, trang {row.page_index + 1}) đã được {who} xoá khỏi máy chủ "
                               f"lúc {vn_time(when)} (giờ Việt Nam), khi dọn tệp tải lên cũ; "
                               "kết quả đọc và ảnh ý kiến viết tay vẫn được giữ.")
    return row, shown


def page_pixels(row, shown_name: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """A stored page's pixels and its homography (layout mm -> those px, or None), from its ``_page_row``.

    A page read from one half of a two-page image (``part`` 1 or 2) is that
    half: its homography, stored onto the whole image, is moved onto the half.
    ``shown_name``: the file's name in ImageMissing messages (default: the stored path's last part).
    """
    grey, to_part = crop_part(load_grey(row.path, row.page_index, shown_name), row.part)
    if row.homography is None:
        return grey, None
    return grey, to_part @ np.array(json.loads(row.homography))


def load_grey(path: str, index: int, shown_name: str | None = None) -> np.ndarray:
    """The page image's pixels; the last few decoded are kept, as consecutive items share pages.

    Raises ImageMissing naming the file as ``shown_name`` (default: ``path``'s last part) and the page.
    """
    try:
        stamp = Path(path).stat().st_mtime_ns
    except OSError:
        stamp = None
    try:
        return _load_grey(path, index, stamp)
    except _NotLoaded as exc:
        name = shown_name or Path(path).name
        if not exc.opened:
            raise ImageMissing(f"Không mở được tệp quét gốc ({name}, trang {index + 1})") from exc.__cause__
        raise ImageMissing(f"Không đọc được ảnh trang {index + 1} của tệp {name}") from None


@functools.lru_cache(maxsize=PAGES_KEPT)
def _load_grey(path: str, index: int, _stamp: int | None) -> np.ndarray:
    loader = PageLoader()
    try:
        raw = loader.load(Path(path), index)
    except Exception as exc:  # a missing or changed file: say so in the picture's place
        raise _NotLoaded(opened=False) from exc
    finally:
        loader.close()
    if raw.image is None:
        raise _NotLoaded(opened=True)
    raw.image.setflags(write=False)  # shared by the cache: nobody may draw on it
    return raw.image


def forget_pictures() -> None:
    """Drop the pages and question strips kept in memory (after scan files were purged: omr.web.purge)."""
    _load_grey.cache_clear()
    _question_strip.cache_clear()


def encode_png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise RuntimeError("PNG encoding failed")
    return data.tobytes()


def question_strip(store, page_id: int, question: str) -> bytes:
    """The page's full width around one question's boxes, upright, boxes outlined by state.

    A page's boxes and homography never change once stored, so strips are kept.
    """
    return _question_strip(store, page_id, question)


@functools.lru_cache(maxsize=STRIPS_KEPT)
def _question_strip(store, page_id: int, question: str) -> bytes:
    with store.reading() as conn:
        found = _page_row(conn, page_id)
        box_rows = conn.execute(sa.select(boxes).where(boxes.c.page_id == page_id, boxes.c.question == question)
                                ).mappings().all()
    if found is None or found[0].homography is None or not box_rows:
        raise ImageMissing("Trang này không có ô của câu hỏi")
    grey, homography = page_pixels(*found)
    top = max(min(b["y"] for b in box_rows) - CROP_MARGIN_MM[0], 0.0)
    bottom = min(max(b["y"] + b["h"] for b in box_rows) + CROP_MARGIN_MM[1], T.PAGE_HEIGHT)
    # The strip grows upward to the nearest line of empty paper: column headings over the boxes
    # ("Không / hài lòng") are shown whole, never cut through a line of print.
    reach = max(top - T.REVIEW_STRIP_GROW_MM, 0.0)
    strip = _warp_region(grey, homography, 0.0, reach, T.PAGE_WIDTH, bottom, box_rows)
    cut = _empty_row_above(strip, int(round((top - reach) * CROP_PX_PER_MM)))
    return encode_png(strip[cut:])


def _empty_row_above(strip: np.ndarray, start: int) -> int:
    """A pixel row at or above ``start`` in a band of empty paper at least ``REVIEW_STRIP_GAP_MM`` tall
    (the middle of the first such band found going up), or 0.

    The gap between two lines of one heading ("Rất / không / hài lòng") is narrower than the band, so
    a heading is kept whole. A row is empty when fewer than 0.3 % of its pixels (the outer 5 % at either
    side aside: a scanner's dark page edge) are dark (grey < 128): dust and noise do not stop it, print does.
    """
    grey = strip[:, :, 0] if strip.ndim == 3 else strip
    margin = grey.shape[1] // 20
    dark = (grey[:, margin:grey.shape[1] - margin] < 128).mean(axis=1)
    need = max(1, int(round(T.REVIEW_STRIP_GAP_MM * CROP_PX_PER_MM)))
    run = 0
    for row in range(min(start, len(dark) - 1), -1, -1):
        run = run + 1 if dark[row] < 0.003 else 0
        if run >= need:
            return row + need // 2
    return 0


def _warp_region(grey: np.ndarray, homography: np.ndarray, x0: float, y0: float, x1: float, y1: float,
                 box_rows) -> np.ndarray:
    """Layout mm rectangle -> upright image (the homography maps layout mm to image px)."""
    s = CROP_PX_PER_MM
    size = (int(round((x1 - x0) * s)), int(round((y1 - y0) * s)))
    to_mm = np.array([[1 / s, 0, x0], [0, 1 / s, y0], [0, 0, 1]])
    strip = cv2.warpPerspective(grey, homography @ to_mm, size, flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
                                borderValue=255)
    strip = cv2.cvtColor(strip, cv2.COLOR_GRAY2BGR)
    for b in box_rows:
        p0 = (int(round((b["x"] - x0) * s)) - 3, int(round((b["y"] - y0) * s)) - 3)
        p1 = (int(round((b["x"] + b["w"] - x0) * s)) + 3, int(round((b["y"] + b["h"] - y0) * s)) + 3)
        cv2.rectangle(strip, p0, p1, BOX_COLOURS.get(b["state"], (0, 0, 255)), 2)
    return strip


def whole_page(store, page_id: int, question: str | None = None, region: tuple | None = None) -> bytes:
    """The whole page upright, boxes drawn by state; ``question``'s boxes (or a comment ``region``) in red."""
    with store.reading() as conn:
        found = _page_row(conn, page_id)
        box_rows = conn.execute(sa.select(boxes).where(boxes.c.page_id == page_id)).mappings().all()
    if found is None:
        raise ImageMissing("Không có trang này")
    row, shown = found
    grey, homography = page_pixels(row, shown)
    if homography is not None:
        image = draw_reads(grey, homography, [dict(b) for b in box_rows], {question} if question else set())
        if region is not None:
            x, y, w, h = region

            corners = map_points(homography, np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]))
            cv2.polylines(image, [np.round(corners).astype(np.int32)], True, (30, 30, 220),
                          max(3, grey.shape[1] // 400), cv2.LINE_AA)
    else:
        image = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    if row.rotated_180:
        image = cv2.rotate(image, cv2.ROTATE_180)
    scale = PAGE_WIDTH_PX / image.shape[1]
    if scale < 1:  # never a side of 0 px (a very wide, thin image): OpenCV would refuse it
        size = (PAGE_WIDTH_PX, max(1, int(round(image.shape[0] * scale))))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return encode_png(image)


def message_png(text: str) -> bytes:
    """A small picture saying what went wrong, in place of a scan that cannot be shown."""
    from PIL import Image, ImageDraw  # lazy: a heavy dependency, loaded only where used


    lines = textwrap.wrap(text, MESSAGE_CHARS_PER_LINE) or [""]
    image = Image.new("RGB", (900, 80 + 26 * (len(lines) - 1)), (255, 245, 230))
    draw = ImageDraw.Draw(image)
    try:
        from PIL import ImageFont  # lazy: a heavy dependency, loaded only where used

        font = ImageFont.truetype(str(font_path()), 20)
    except Exception:  # no DejaVu: Pillow's own font still shows the message (without diacritics)
        font = None
    draw.multiline_text((16, 28), "\n".join(lines), fill=(150, 40, 0), font=font, spacing=6)
    out = np.array(image)[:, :, ::-1]
    return encode_png(out)
