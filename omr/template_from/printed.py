"""The printed text of a blank form, read once with Tesseract's layout analysis (issue #16).

From a blank page this gives every printed word with its box (mm) and the
text line it belongs to. :mod:`omr.template_from.boxes` uses the words to
tell the counters of letters (O, D, Đ, 0) from boxes, and
:mod:`omr.template_from.labels` to give each box and question its printed
label, in Vietnamese (Debian's ``tesseract-ocr-vie`` data).

When Tesseract or its Vietnamese data is missing, :func:`read_words` raises
:class:`omr.scan.ocr.OcrUnavailable`; callers then go on without labels.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from omr.scan.ocr import LANGUAGE, OcrUnavailable, tessdata_dir
from omr.text.normalise import nfc

_engine_lock = threading.Lock()
_engine = None

# Characters offices type for a box; a "word" made of these is a box, not text.
BOX_CHARACTERS = set("☐□○◯❑❒▢⬜◻◽〇☑☒⃝")


@dataclass(frozen=True)
class PrintedWord:
    """A printed word: its text (NFC), Tesseract's confidence (0-100), box in mm, and its line's number."""

    text: str
    confidence: float
    x: float
    y: float
    w: float
    h: float
    line: int
    symbols: tuple = ()  # ((character, x, y, w, h) mm, ...): each printed character and its box

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


def _api():
    global _engine
    if _engine is None:
        try:
            import tesserocr  # lazy: a heavy dependency, loaded only where used
        except ImportError as exc:  # pragma: no cover - the wheel is a dependency
            raise OcrUnavailable("Thiếu thư viện tesserocr") from exc
        _engine = tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang=LANGUAGE, psm=tesserocr.PSM.AUTO,
                                          oem=tesserocr.OEM.LSTM_ONLY)
    return _engine


def read_words(grey: np.ndarray, px_per_mm: float) -> list[PrintedWord]:
    """Every printed word of a blank page, in reading order, with its box in mm.

    Args:
        grey: the page, grey uint8, dark print on white.
        px_per_mm: its scale; Tesseract is told the resolution (25.4 * px_per_mm dpi).

    Raises:
        OcrUnavailable: Tesseract or its Vietnamese data is missing.
    """
    import tesserocr  # lazy: a heavy dependency, loaded only where used
    from PIL import Image  # lazy: a heavy dependency, loaded only where used

    words: list[PrintedWord] = []
    with _engine_lock:
        api = _api()
        api.SetVariable("user_defined_dpi", str(int(round(px_per_mm * 25.4))))
        api.SetImage(Image.fromarray(grey))
        api.Recognize()
        iterator = api.GetIterator()
        if iterator is None or not (api.GetUTF8Text() or "").strip():
            # A page with no print (a white page uploaded as a blank): tesserocr's iterator raises
            # "No text returned" on its first symbol.
            api.Clear()
            return []
        line = 0
        current: dict | None = None
        symbols: list = []

        def close() -> None:
            if current is not None and current["text"]:
                words.append(PrintedWord(current["text"], current["confidence"], *current["box"], current["line"],
                                         tuple(symbols)))

        while True:
            if iterator.IsAtBeginningOf(tesserocr.RIL.TEXTLINE):
                line += 1
            if iterator.IsAtBeginningOf(tesserocr.RIL.WORD):
                close()
                text = iterator.GetUTF8Text(tesserocr.RIL.WORD)
                box = iterator.BoundingBox(tesserocr.RIL.WORD)
                current, symbols = None, []
                if text and box:
                    x0, y0, x1, y1 = box
                    current = {"text": nfc(text.strip()), "confidence": float(iterator.Confidence(tesserocr.RIL.WORD)),
                               "box": (x0 / px_per_mm, y0 / px_per_mm, (x1 - x0) / px_per_mm, (y1 - y0) / px_per_mm),
                               "line": line}
            char = iterator.GetUTF8Text(tesserocr.RIL.SYMBOL)
            box = iterator.BoundingBox(tesserocr.RIL.SYMBOL)
            if char and box:
                x0, y0, x1, y1 = box
                symbols.append((char, x0 / px_per_mm, y0 / px_per_mm, (x1 - x0) / px_per_mm, (y1 - y0) / px_per_mm))
            if not iterator.Next(tesserocr.RIL.SYMBOL):
                break
        close()
        api.Clear()
    return [w for w in words if w.text]


def is_box_text(text: str) -> bool:
    """True for a word that is only box characters (☐, ○ …), which offices type as boxes."""
    stripped = text.strip()
    return bool(stripped) and all(ch in BOX_CHARACTERS for ch in stripped)
