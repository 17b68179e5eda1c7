"""The one font every printed form uses, and text measurement in millimetres.

DejaVu Sans (Debian's fonts-dejavu-core) covers every Vietnamese letter with
its tone marks as precomposed glyphs. Layouts are frozen per template version
(:mod:`omr.forms.layout`), so a later font release cannot move boxes on a form that
is already printed.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from omr.errors import FontMissingError

PT_TO_MM = 25.4 / 72.0

FONT_DIRS = (
    os.environ.get("OMR_FONT_DIR", ""),
    "/usr/share/fonts/truetype/dejavu",
    "/usr/local/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
)
FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
FONT_NAMES = {False: "OmrSans", True: "OmrSans-Bold"}


@functools.cache
def font_path(bold: bool = False) -> Path:
    name = FONT_FILES[bold]
    for folder in FONT_DIRS:
        if folder and (Path(folder) / name).is_file():
            return Path(folder) / name
    raise FontMissingError(
        f"Không tìm thấy phông chữ {name}. Cài gói fonts-dejavu-core "
        "(sudo apt-get install fonts-dejavu-core) hoặc đặt OMR_FONT_DIR."
    )


@functools.cache
def register_fonts() -> None:
    """Register both weights with reportlab (idempotent)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for bold in (False, True):
        pdfmetrics.registerFont(TTFont(FONT_NAMES[bold], str(font_path(bold))))


def text_width_mm(text: str, size_pt: float, bold: bool = False) -> float:
    from reportlab.pdfbase import pdfmetrics

    register_fonts()
    return pdfmetrics.stringWidth(text, FONT_NAMES[bold], size_pt) * PT_TO_MM


def wrap_text(text: str, width_mm: float, size_pt: float, bold: bool = False) -> list[str]:
    """Greedy word wrap; a single word wider than the line stays whole."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and text_width_mm(candidate, size_pt, bold) > width_mm:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]
