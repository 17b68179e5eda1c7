"""Tesseract, in process, with Debian's Vietnamese data: one draft per written line.

tesserocr wraps the Tesseract C++ API, so a line costs tens of milliseconds
instead of a process start per field. One engine is made per process (worker
processes each get their own) on first use; a lock keeps threads of one
process (the review app's background scan) from sharing it at once.

Tesseract reads Vietnamese print well and handwriting badly (domain brief:
CER ~0.6 on real handwritten lines). Its drafts are a head start for the
reviewer, never an answer.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from omr.scan.comment_model import Word
from omr.text.normalise import nfc

# Tesseract would start an OpenMP thread per core for every line; omr already
# runs one worker process per core, and threads on top only fight over them.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

LANGUAGE = "vie"
# Where Debian's tesseract-ocr-vie puts its data (5 on bookworm, 4.00 before).
TESSDATA_CANDIDATES = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                       "/usr/share/tessdata", "/usr/local/share/tessdata")


class OcrUnavailable(RuntimeError):
    """Tesseract or its Vietnamese data is missing: comments are kept as images, without drafts."""


def tessdata_dir() -> str:
    """The folder holding ``vie.traineddata`` (TESSDATA_PREFIX first, then Debian's places)."""
    candidates = [os.environ["TESSDATA_PREFIX"]] if os.environ.get("TESSDATA_PREFIX") else []
    candidates += TESSDATA_CANDIDATES
    for folder in candidates:
        if (Path(folder) / f"{LANGUAGE}.traineddata").is_file():
            return folder
    raise OcrUnavailable("Không tìm thấy dữ liệu tiếng Việt của Tesseract (gói tesseract-ocr-vie)")


class LineReader:
    """A Tesseract engine set up for one line of text at a time."""

    def __init__(self) -> None:
        try:
            import tesserocr  # lazy: a heavy dependency, loaded only where used
        except ImportError as exc:  # pragma: no cover - the wheel is a dependency
            raise OcrUnavailable("Thiếu thư viện tesserocr") from exc
        self._tesserocr = tesserocr
        self._api = tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang=LANGUAGE,
                                            psm=tesserocr.PSM.SINGLE_LINE, oem=tesserocr.OEM.LSTM_ONLY)
        # Crops are resampled to ~300 dpi; saying so stops Tesseract guessing per image.
        self._api.SetVariable("user_defined_dpi", "300")
        self._lock = threading.Lock()

    def read(self, line: np.ndarray, line_number: int = 0) -> list[Word]:
        """The words of one line image (grey uint8, dark text on white)."""
        from PIL import Image  # lazy: a heavy dependency, loaded only where used

        tesserocr = self._tesserocr
        level = tesserocr.RIL.WORD
        words: list[Word] = []
        with self._lock:
            self._api.SetImage(Image.fromarray(line))
            self._api.Recognize()
            iterator = self._api.GetIterator()
            for item in tesserocr.iterate_level(iterator, level):
                try:
                    text = item.GetUTF8Text(level)
                except RuntimeError:  # tesserocr's "No text returned": an empty word box
                    continue
                if text and text.strip():
                    words.append(Word(nfc(text.strip()), round(float(item.Confidence(level)), 1), line_number))
        return words


_reader: LineReader | None = None
_reader_error: OcrUnavailable | None = None
_reader_lock = threading.Lock()


def line_reader() -> LineReader:
    """This process's engine, made on first use. Raises OcrUnavailable (every time) if it cannot be."""
    global _reader, _reader_error
    with _reader_lock:
        if _reader is None and _reader_error is None:
            try:
                _reader = LineReader()
            except OcrUnavailable as exc:
                _reader_error = exc
            except RuntimeError as exc:  # tesserocr: "Failed to init API"
                _reader_error = OcrUnavailable(f"Không khởi động được Tesseract: {exc}")
        if _reader is None:
            raise _reader_error  # type: ignore[misc]
        return _reader
