"""``omr show``: a scanned sheet with what was read drawn on it, for audit."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from omr.errors import BadArgumentsError, InputFileError
from omr.model import CANCELLED, EMPTY, MARKED
from omr.scan.identify import map_points
from omr.scan.ingest import PageLoader
from omr.scan.page_geometry import crop_part

# BGR colours
COLOURS = {MARKED: (40, 160, 40), CANCELLED: (200, 90, 20), EMPTY: (170, 170, 170)}
REVIEW = (30, 30, 220)


def render_serial(store, catalogue, serial: int, out_path: str | Path) -> int:
    """Draw every stored page of sheet ``serial`` side by side into one PNG; return the page count."""
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
            drawn = draw_reads(image, to_part @ np.array(page["homography"]), page["boxes"], page["review"])
            # Shown upright for the reader, whichever way the sheet went through the scanner.
            images.append(cv2.rotate(drawn, cv2.ROTATE_180) if page["rotated_180"] else drawn)
    finally:
        loader.close()
    height = max(i.shape[0] for i in images)
    padded = [cv2.copyMakeBorder(i, 0, height - i.shape[0], 0, 20, cv2.BORDER_CONSTANT, value=(255, 255, 255))
              for i in images]
    if not cv2.imwrite(str(out_path), np.hstack(padded)):
        raise BadArgumentsError(f"Không ghi được tệp ảnh {out_path} (kiểm tra lại -o)")
    return len(images)


def draw_reads(grey: np.ndarray, homography: np.ndarray, boxes: list[dict], review: set[str]) -> np.ndarray:
    """The page in colour with each box outlined by its state; questions to review in red."""
    img = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    thickness = max(2, grey.shape[1] // 600)
    for b in boxes:
        corners = map_points(homography, np.array([[b["x"], b["y"]], [b["x"] + b["w"], b["y"]],
                                                   [b["x"] + b["w"], b["y"] + b["h"]], [b["x"], b["y"] + b["h"]]]))
        colour = REVIEW if b["question"] in review and b["state"] != EMPTY else COLOURS.get(b["state"], REVIEW)
        if b["question"] in review and b["state"] == EMPTY:
            colour = (120, 120, 240)
        cv2.polylines(img, [np.round(corners).astype(np.int32)], True, colour, thickness, cv2.LINE_AA)
    return img
