"""One line of writing in, text with per-character confidence and alternatives out.

Two engines sit behind one small interface (:class:`Recogniser`):

- :class:`AsterRecogniser`, for handwriting: asterocr's AsterNet, a CNN +
  BiLSTM + attention network with a CTC head, shipped as an ONNX file inside
  the ``asterocr`` wheel (MIT per the package's metadata; see docs/ocr.md).
  Only the ONNX file and the vocabulary are used; omr runs the session itself
  so that nothing can reach for the network (asterocr's own ``AsterOCR``
  class would fall back to a Hugging Face download if the bundled file were
  missing) and so that it runs on one thread. The input is fed the way
  asterocr's training loader feeds it (``asterocr/dataset/loader.py``): RGB,
  32 px high, width scaled with the aspect ratio, bilinear, values /255 in
  0..1, dark writing on white, at most 480 px wide (the loader's cap: wider
  lines are cut at word gaps and read piece by piece).
- :class:`TesseractRecogniser`, for printed text and as the fallback where
  asterocr is not installed: Tesseract's ``vie`` LSTM via tesserocr
  (:mod:`omr.scan.ocr`), word by word: each letter carries its word's confidence,
  and there are no alternatives (post-correction then keeps its words).

Both are made once per process, on first use (:func:`handwriting_recogniser`),
and a lock keeps threads of one process from sharing an engine at once.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from omr import tuning as T
from omr.scan.ocr import OcrUnavailable, line_reader
from omr.text.normalise import nfc


@dataclass(frozen=True)
class CharRead:
    """One character of a line as read, with what else it might be.

    ``confidence`` is the engine's probability (0..1) for ``char``;
    ``alternatives`` are other readings of the same place, best first, each
    (text, probability); an empty text means "no character here".
    ``missed_before`` is the likeliest character the engine saw, but did not
    write, between the previous character and this one, with its probability
    ("", 0.0) when none: in "1,5" read "15" the comma shows there at a few
    per cent (post-correction then does not trust the number). The last
    character of a read also has ``missed_after``, for the frames after it.
    """

    char: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...] = ()
    missed_before: tuple[str, float] = ("", 0.0)
    missed_after: tuple[str, float] = ("", 0.0)  # the same after the last character of a line or piece


@dataclass(frozen=True)
class LineRead:
    """The reading of one line image: ``text`` is ``"".join(c.char for c in chars)`` (NFC)."""

    text: str
    chars: tuple[CharRead, ...]
    engine: str

    @property
    def confidence(self) -> float | None:
        """Mean character confidence (0..1) over letters and digits; None for an empty read."""
        scores = [c.confidence for c in self.chars if not c.char.isspace()]
        return float(np.mean(scores)) if scores else None


class Recogniser(Protocol):
    """Reads one line image: grey uint8, dark writing on white, any size (the engine rescales)."""

    name: str

    def read_line(self, image: np.ndarray) -> LineRead: ...


# --- asterocr ---------------------------------------------------------------------

def _asterocr_assets() -> tuple[Path, Path]:
    """(ONNX model, vocabulary) inside the installed asterocr wheel. Raises OcrUnavailable."""
    # Only the package's folder is needed: finding it runs none of asterocr's code.
    spec = importlib.util.find_spec("asterocr")
    if spec is None or not spec.submodule_search_locations:
        raise OcrUnavailable("Thiếu thư viện asterocr (nhận dạng chữ viết tay)")
    assets = Path(list(spec.submodule_search_locations)[0]) / "assets"
    model, vocab = assets / "asternet.onnx", assets / "vocab.json"
    if not model.is_file() or not vocab.is_file():
        raise OcrUnavailable("Gói asterocr thiếu tệp mô hình asternet.onnx")
    return model, vocab


def ctc_characters(probabilities: np.ndarray, alphabet: list[str], blank: int = 0,
                   top_k: int = T.RECOGNISER_ALTERNATIVES) -> tuple[CharRead, ...]:
    """Greedy CTC decoding that keeps, for each character, its probability and rivals.

    ``probabilities`` is (time, classes), rows summing to 1. A character is a
    run of frames whose best class is the same non-blank class; its
    confidence is that class's highest probability within the run, and its
    alternatives are the other classes at that frame (blank as ""). Over the
    blank frames before a character, the likeliest other non-blank class (not
    the character's own, not its neighbour's) is kept as its ``missed_before``.
    """
    best = probabilities.argmax(axis=1)
    chars: list[CharRead] = []
    previous = -1
    start = 0
    last_char = -1  # class of the last character written
    gap_from = 0  # first frame after it
    for t in range(len(best) + 1):
        current = int(best[t]) if t < len(best) else -1
        if t == len(best) or current != previous:
            if previous not in (-1, blank):
                run = probabilities[start:t]
                peak = start + int(run[:, previous].argmax())
                order = np.argsort(probabilities[peak])[::-1][:top_k + 1]
                rivals = tuple(("" if int(c) == blank else alphabet[int(c)], float(probabilities[peak, c]))
                               for c in order if int(c) != previous)[:top_k]
                missed = _missed_in_gap(probabilities[gap_from:start], best[gap_from:start], blank,
                                        (last_char, previous), alphabet)
                chars.append(CharRead(alphabet[previous], float(probabilities[peak, previous]), rivals, missed))
                last_char, gap_from = previous, t
            previous, start = current, t
    if chars:
        tail = _missed_in_gap(probabilities[gap_from:], best[gap_from:], blank, (last_char, -1), alphabet)
        chars[-1] = replace(chars[-1], missed_after=tail)
    return tuple(chars)


def _missed_in_gap(gap: np.ndarray, best: np.ndarray, blank: int, neighbours: tuple[int, int],
                   alphabet: list[str]) -> tuple[str, float]:
    """The likeliest non-blank class over the blank frames of ``gap`` (frames, classes), the
    neighbouring characters' own classes left out: ("", 0.0) when there is none."""
    frames = gap[best == blank]
    if not len(frames):
        return "", 0.0
    others = frames.max(axis=0).copy()
    others[blank] = 0.0
    for c in neighbours:
        if c >= 0:
            others[c] = 0.0
    c = int(others.argmax())
    return (alphabet[c], float(others[c])) if others[c] > 0.0 else ("", 0.0)


def word_gap_cuts(ink_columns: np.ndarray, max_width: int) -> list[tuple[int, int]]:
    """Column spans of at most ``max_width`` cut in the widest blank gaps.

    ``ink_columns`` is a boolean per column (any ink). A piece ends in the
    widest run of blank columns in its last third, so words stay whole where
    the writing allows; where there is no gap at all it is cut at the limit.
    """
    width = len(ink_columns)
    spans, start = [], 0
    while width - start > max_width:
        window = ink_columns[start + max_width * 2 // 3:start + max_width]
        cut = start + max_width
        best_run, run = 0, 0
        for offset, inked in enumerate(window):
            run = 0 if inked else run + 1
            if run > best_run:
                best_run, cut = run, start + max_width * 2 // 3 + offset - run // 2
        spans.append((start, cut))
        start = cut
    spans.append((start, width))
    return spans


class AsterRecogniser:
    """asterocr's AsterNet through onnxruntime, one thread, for handwritten lines."""

    name = "asterocr"

    def __init__(self) -> None:
        model, vocab = _asterocr_assets()
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - a dependency of asterocr
            raise OcrUnavailable("Thiếu thư viện onnxruntime") from exc
        options = ort.SessionOptions()
        # omr runs one worker process per core: one thread each, or they fight over the cores.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Lines differ in width, so onnxruntime's memory pattern (a buffer plan kept per input shape)
        # is seldom reused and only grows the drafting worker (#18: 216-218 MiB peak with it, under
        # 190 without, same drafts; its arena stays: without it drafting took 2.3x the CPU).
        options.enable_mem_pattern = False
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        # Loading parses the 42 MB model into copies that are freed at once, but glibc keeps the
        # freed heap: handing it back lowers the worker's peak by ~30 MiB (#18).
        release_freed_memory()
        self._input = self._session.get_inputs()[0].name
        self._alphabet = [nfc(c) for c in json.loads(vocab.read_text(encoding="utf-8"))["chars"]]
        self._alphabet[0] = ""  # "<blank>": CTC's blank, index 0 in asterocr's vocabulary
        self._lock = threading.Lock()

    def _tensor(self, image: np.ndarray) -> np.ndarray:
        height = T.ASTER_INPUT_HEIGHT_PX
        h, w = image.shape
        width = max(16, int(round(w * height / max(h, 1))))
        width = (width + 3) // 4 * 4  # the network's time axis is width / 4
        resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
        rgb = np.repeat((resized.astype(np.float32) / 255.0)[None, :, :], 3, axis=0)
        return rgb[None]

    def read_line(self, image: np.ndarray) -> LineRead:
        """Read one line (grey uint8, dark on white). Raises nothing for an empty image: empty read."""
        if image.size == 0 or image.shape[0] < 2 or image.shape[1] < 2:
            return LineRead("", (), self.name)
        h, w = image.shape
        max_width_src = int(T.ASTER_MAX_WIDTH_PX * h / T.ASTER_INPUT_HEIGHT_PX)
        chars: list[CharRead] = []
        spans = word_gap_cuts((image < 128).any(axis=0), max_width_src)
        for number, (x0, x1) in enumerate(spans):
            piece = image[:, x0:x1]
            if not (piece < 128).any():
                continue
            with self._lock:
                log_probs = self._session.run(None, {self._input: self._tensor(piece)})[0]
            probabilities = np.exp(log_probs[:, 0, :].astype(np.float64))
            probabilities /= probabilities.sum(axis=1, keepdims=True)
            piece_chars = ctc_characters(probabilities, self._alphabet)
            if number and chars and piece_chars and not chars[-1].char.isspace():
                chars.append(CharRead(" ", 1.0))  # pieces are cut at word gaps
            chars += piece_chars
        chars = _strip_spaces(chars)
        return LineRead(nfc("".join(c.char for c in chars)), tuple(chars), self.name)


def _strip_spaces(chars: list[CharRead]) -> list[CharRead]:
    while chars and chars[0].char.isspace():
        chars = chars[1:]
    while chars and chars[-1].char.isspace():
        chars = chars[:-1]
    kept: list[CharRead] = []
    for c in chars:  # one space between words
        if not (c.char.isspace() and kept and kept[-1].char.isspace()):
            kept.append(c)
    return kept


def release_freed_memory() -> None:
    """Hand the C heap's freed memory back to the system (glibc ``malloc_trim``); nothing elsewhere."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): its allocator keeps what it keeps
        pass


# --- Tesseract --------------------------------------------------------------------

class TesseractRecogniser:
    """Tesseract ``vie`` (omr.scan.ocr's engine) read symbol by symbol: for print, and the fallback."""

    name = "tesseract"

    def __init__(self) -> None:
        self._reader = line_reader()  # raises OcrUnavailable

    def read_line(self, image: np.ndarray) -> LineRead:
        """Read one line (grey uint8, dark on white) with Tesseract; confidences 0..1."""
        chars: list[CharRead] = []
        for word in self._reader.read(image):
            if chars:
                chars.append(CharRead(" ", 1.0))
            # Tesseract's confidence is per word: every letter of the word carries it.
            chars += [CharRead(ch, word.confidence / 100.0) for ch in word.text]
        return LineRead(nfc("".join(c.char for c in chars)), tuple(chars), self.name)


# --- one engine per process -------------------------------------------------------

_engines: dict[str, Recogniser] = {}
_engine_errors: dict[str, OcrUnavailable] = {}
_engines_lock = threading.Lock()


def _engine(kind: str) -> Recogniser:
    with _engines_lock:
        if kind not in _engines and kind not in _engine_errors:
            try:
                _engines[kind] = AsterRecogniser() if kind == "asterocr" else TesseractRecogniser()
            except OcrUnavailable as exc:
                _engine_errors[kind] = exc
            except (RuntimeError, OSError) as exc:  # onnxruntime / tesserocr failing to load
                _engine_errors[kind] = OcrUnavailable(f"Không khởi động được {kind}: {exc}")
        if kind not in _engines:
            raise _engine_errors[kind]
        return _engines[kind]


def handwriting_recogniser() -> Recogniser:
    """This process's recogniser for handwriting: asterocr, else Tesseract.

    ``OMR_HANDWRITING_ENGINE=tesseract`` forces the fallback (for comparison
    runs). Raises OcrUnavailable when neither engine can be made.
    """
    if os.environ.get("OMR_HANDWRITING_ENGINE", "asterocr") != "tesseract":
        try:
            return _engine("asterocr")
        except OcrUnavailable:
            pass
    return _engine("tesseract")


def printed_recogniser() -> Recogniser:
    """This process's recogniser for printed text (Tesseract). Raises OcrUnavailable."""
    return _engine("tesseract")
