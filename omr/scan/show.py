"""``omr show``: a scanned sheet with what was read drawn on it, for audit."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from omr import tuning as T
from omr.errors import BadArgumentsError, InputFileError
from omr.model import CANCELLED, EMPTY, MARKED
from omr.scan.identify import map_points
from omr.scan.ingest import PageLoader
from omr.scan.page_geometry import crop_part

# BGR colours
COLOURS = {MARKED: (40, 160, 40), CANCELLED: (200, 90, 20), EMPTY: (170, 170, 170)}
REVIEW = (30, 30, 220)
REVIEW_EMPTY = (120, 120, 240)
MM_PER_INCH = 25.4


def render_serial(store, catalogue, serial: int, out_path: str | Path, *, named: str | Path | None = None) -> int:
    """Draw every stored page of sheet ``serial`` side by side into one PNG; return the page count.

    ``named``: the file the picture is for when ``out_path`` is a temporary file to be moved onto it
    (omr.data.private_files.replacing, which makes it private): its suffix picks the format and errors name it.

    Pages are shown at most at ``T.SHOW_DPI`` with ``T.SHOW_GREY_LEVELS`` greys
    plus the state colours, as a palette PNG (a few hundred KB, not the 13 MB
    of a full-resolution colour image of a noisy scan).

    Raises:
        BadArgumentsError: no sheet ``serial``, or ``out_path`` cannot be written.
        InputFileError: a stored page's scan file cannot be opened again.
    """
    pages = store.pages_of_serial(serial)
    if not pages:
        # The SERIAL argument names no sheet: an argument error (exit 2), as documented.
        raise BadArgumentsError(f"Không có phiếu số {serial:06d} trong cơ sở dữ liệu {store.url}")
    loader = PageLoader()
    images = []
    try:
        for page in pages:
            raw = loader.load(Path(page["path"]), page["page_index"])
            if raw.image is None:
                raise InputFileError(f"{page['path']}, trang {page['page_index'] + 1}: không mở lại được ảnh gốc")
            # A page read from one half of a two-page image is shown as that half.
            image, to_part = crop_part(raw.image, page.get("part", 0))
            grey, homography = shown_size(image, to_part @ np.array(page["homography"]))
            drawn = draw_reads(grey, homography, page["boxes"], page["review"])
            # Shown upright for the reader, whichever way the sheet went through the scanner.
            images.append(cv2.rotate(drawn, cv2.ROTATE_180) if page["rotated_180"] else drawn)
    finally:
        loader.close()
    height = max(i.shape[0] for i in images)
    padded = [cv2.copyMakeBorder(i, 0, height - i.shape[0], 0, 20, cv2.BORDER_CONSTANT, value=(255, 255, 255))
              for i in images]
    picture = palette_image(np.hstack(padded))
    named = Path(named if named is not None else out_path)
    try:
        if named.suffix.lower() in ("", ".png"):
            picture.save(out_path, format="PNG", optimize=True)
        else:  # another format the user named (.jpg, .webp): as that format, in colour
            picture.convert("RGB").save(out_path, format=Image.registered_extensions()[named.suffix.lower()])
    except (OSError, ValueError, KeyError):
        raise BadArgumentsError(f"Không ghi được tệp ảnh {named} (kiểm tra lại -o; nên dùng đuôi .png)") from None
    return len(images)


def shown_size(grey: np.ndarray, homography: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``grey`` (H, W uint8) reduced to at most ``T.SHOW_DPI``, with the mm -> px homography to match.

    The scan's resolution is read from the homography (px per mm along the
    form's x axis), so a phone photo and a 300 dpi scan are both shown at
    ~``T.SHOW_DPI``; a coarser image is left as it is.
    """
    origin, across = (np.asarray(homography, np.float64) @ np.array([[0.0, 100.0], [0.0, 0.0], [1.0, 1.0]])).T
    px_per_mm = float(np.hypot(*(across[:2] / across[2] - origin[:2] / origin[2]))) / 100.0
    scale = min(1.0, T.SHOW_DPI / MM_PER_INCH / px_per_mm) if px_per_mm > 0 else 1.0
    if scale >= 0.999:
        return grey, homography
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return small, np.diag([scale, scale, 1.0]) @ homography


def palette_image(bgr: np.ndarray) -> Image.Image:
    """A drawn page (H, W, 3 BGR) as a palette image: ``T.SHOW_GREY_LEVELS`` greys plus the state colours."""
    levels = T.SHOW_GREY_LEVELS
    step = 255 / (levels - 1)
    index = np.round(bgr.mean(axis=2) / step).astype(np.uint8)
    palette = [round(i * step) for i in range(levels) for _ in range(3)]
    for n, colour in enumerate((*COLOURS.values(), REVIEW, REVIEW_EMPTY)):
        index[(bgr == colour).all(axis=2)] = levels + n
        palette += [colour[2], colour[1], colour[0]]  # RGB
    picture = Image.fromarray(index, "P")
    picture.putpalette(palette)
    return picture


def draw_reads(grey: np.ndarray, homography: np.ndarray, boxes: list[dict], review: set[str]) -> np.ndarray:
    """The page in colour with each box outlined by its state; questions to review in red.

    Lines are drawn without anti-aliasing so every outline pixel has its
    state's exact colour (``palette_image`` keeps them).
    """
    img = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    thickness = max(2, grey.shape[1] // 600)
    for b in boxes:
        corners = map_points(homography, np.array([[b["x"], b["y"]], [b["x"] + b["w"], b["y"]],
                                                   [b["x"] + b["w"], b["y"] + b["h"]], [b["x"], b["y"] + b["h"]]]))
        colour = REVIEW if b["question"] in review and b["state"] != EMPTY else COLOURS.get(b["state"], REVIEW)
        if b["question"] in review and b["state"] == EMPTY:
            colour = REVIEW_EMPTY
        cv2.polylines(img, [np.round(corners).astype(np.int32)], True, colour, thickness, cv2.LINE_8)
    return img
