"""The printed text of a blank form: a PDF's own text layer, or Tesseract's layout analysis (issue #16).

From a blank page this gives every printed word with its box (mm) and the
text line it belongs to. :mod:`omr.template_from.boxes` uses the words to
tell the counters of letters (O, D, Đ, 0) from boxes, and
:mod:`omr.template_from.questions` to give each box and question its printed
label, in Vietnamese (Debian's ``tesseract-ocr-vie`` data).

:func:`read_pdf_words` takes the words from a PDF's text layer (Word and LibreOffice exports have
one); :func:`read_words` reads a rendered page (a scanned blank) with Tesseract. Both give the same
:class:`PrintedWord` records. When Tesseract or its Vietnamese data is missing, :func:`read_words` raises
:class:`omr.scan.ocr.OcrUnavailable`; callers then go on without labels.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from omr import tuning as T
from omr.scan.ocr import LANGUAGE, OcrUnavailable, line_reader, tessdata_dir
from omr.text.normalise import nfc

_engine_lock = threading.Lock()
_engine = None

# Characters offices type for a box; a "word" made of these is a box, not text.
BOX_CHARACTERS = set("☐□○◯❑❒▢⬜◻◽〇☑☒⃝")


@dataclass(frozen=True)
class PrintedWord:
    """A printed word: its text (NFC), confidence (0-100: Tesseract's; 100 from a text layer), box in mm,
    and its line's number."""

    text: str
    confidence: float
    x: float
    y: float
    w: float
    h: float
    line: int
    symbols: tuple = ()  # ((character, x, y, w, h) mm, ...): each printed character and its box
    # True for a PDF's text layer: the characters and their glyph boxes are the print's own, not a reading.
    exact: bool = False

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


def _small_engine(psm_name: str, whitelist: str):
    """A Tesseract engine for one glyph: the English model (installed with Tesseract itself; it misread
    fewer circled digits than the Vietnamese one, see ``BLANK_CIRCLED_CHARACTERS``), else the Vietnamese
    one, in page segmentation mode ``psm_name`` (tesserocr.PSM), reading only ``whitelist``."""
    try:
        import tesserocr  # lazy: a heavy dependency, loaded only where used
    except ImportError as exc:  # pragma: no cover - the wheel is a dependency
        raise OcrUnavailable("Thiếu thư viện tesserocr") from exc
    folder = tessdata_dir()
    language = "eng" if (Path(folder) / "eng.traineddata").is_file() else LANGUAGE
    engine = tesserocr.PyTessBaseAPI(path=folder, lang=language, psm=getattr(tesserocr.PSM, psm_name),
                                     oem=tesserocr.OEM.LSTM_ONLY)
    engine.SetVariable("tessedit_char_whitelist", whitelist)
    return engine


def _glyph_api():
    """The engine for the digit in a circled digit (①): one character, digits only."""
    global _glyph_engine
    if _glyph_engine is None:
        _glyph_engine = _small_engine("SINGLE_CHAR", T.BLANK_CIRCLED_CHARACTERS)
    return _glyph_engine


_glyph_engine = None
_letter_engine = None


def _letter_api():
    """The engine for the letter in a circled-letter bubble (Ⓐ, ⓐ): one word, letters
    ``BLANK_CIRCLED_LETTERS`` only (Tesseract's single-character mode read 61-70 of 90 circled letters
    right, single-word mode 86-87, none or one wrong: see ``BLANK_CIRCLED_LETTERS``)."""
    global _letter_engine
    if _letter_engine is None:
        _letter_engine = _small_engine("SINGLE_WORD", T.BLANK_CIRCLED_LETTERS)
    return _letter_engine


def _inside_ring(grey: np.ndarray, px_per_mm: float, box: tuple[float, float, float, float],
                 reach: float) -> np.ndarray | None:
    """The darkness (0 paper .. 1 print) of what a ring holds: the pixels of ``box`` (x, y, w, h mm) within
    ``reach`` of its half-size from its centre (the ring itself left out), paper and print measured around it."""
    x, y, w, h = box
    x0, y0 = max(0, int(np.floor(x * px_per_mm))), max(0, int(np.floor(y * px_per_mm)))
    x1 = min(grey.shape[1], int(np.ceil((x + w) * px_per_mm)) + 1)
    y1 = min(grey.shape[0], int(np.ceil((y + h) * px_per_mm)) + 1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    pad = 4
    around = np.sort(grey[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad], axis=None)
    paper, black = float(around[int(0.9 * (around.size - 1))]), float(around[int(0.02 * (around.size - 1))])
    if paper - black < T.BLANK_CIRCLED_MIN_CONTRAST:
        return None
    crop = grey[y0:y1, x0:x1].astype(np.float32)
    rows, cols = np.mgrid[0:crop.shape[0], 0:crop.shape[1]]
    cx, cy = (x + w / 2) * px_per_mm - x0 - 0.5, (y + h / 2) * px_per_mm - y0 - 0.5
    rx, ry = reach * w * px_per_mm / 2, reach * h * px_per_mm / 2
    inside = ((cols - cx) / rx) ** 2 + ((rows - cy) / ry) ** 2 <= 1.0
    return np.clip((paper - crop) / (paper - black), 0.0, 1.0) * inside


def read_circled(grey: np.ndarray, px_per_mm: float, box: tuple[float, float, float, float],
                 characters: str = T.BLANK_CIRCLED_CHARACTERS) -> str:
    """The digit (or, with ``characters`` = ``BLANK_CIRCLED_LETTERS``, the letter) printed inside a ring
    (① … ⑨, Ⓐ … Ⓗ), read from a scanned blank; "" when unsure.

    The ring is left out (only what lies within a share of its half-size from its centre is kept), the
    glyph cut to its own box, scaled to a fixed height, and read by Tesseract as one character with a
    whitelist of ``characters`` (digits, ``BLANK_CIRCLED_CHARACTERS``, by default). A reading under ``BLANK_CIRCLED_MIN_CONFIDENCE`` is tried
    again with the next cut and height of ``BLANK_CIRCLED_TRIES``; none sure gives "".

    Args:
        grey: the blank page, grey uint8, dark print on white.
        px_per_mm: its scale.
        box: the ring's outside (x, y, w, h), mm from the page's top-left.

    Raises:
        OcrUnavailable: Tesseract or its data is missing.
    """
    from PIL import Image  # lazy: a heavy dependency, loaded only where used

    with _engine_lock:
        api = _letter_api() if characters == T.BLANK_CIRCLED_LETTERS else _glyph_api()
        for reach, height in T.BLANK_CIRCLED_TRIES:
            dark = _inside_ring(grey, px_per_mm, box, reach)
            if dark is None:
                return ""
            rows, cols = np.nonzero(dark > 0.5)
            if rows.size == 0:
                return ""
            glyph = dark[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
            scale = height / glyph.shape[0]
            glyph = cv2.resize(glyph, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
            image = (255 * (1.0 - np.clip(glyph, 0.0, 1.0))).astype(np.uint8)
            image = cv2.copyMakeBorder(image, height // 2, height // 2, height // 2, height // 2,
                                       cv2.BORDER_CONSTANT, value=255)
            api.SetImage(Image.fromarray(image))
            text = (api.GetUTF8Text() or "").strip()
            confidence = api.MeanTextConf()
            api.Clear()
            if len(text) == 2 and text[0] != text[1] and text[0].upper() == text[1].upper():
                text = text[0]  # a letter whose case the word reading could not tell ("Cc" for Ⓒ): the first
            if len(text) == 1 and text in characters and confidence >= T.BLANK_CIRCLED_MIN_CONFIDENCE:
                return text
    return ""


def is_box_text(text: str) -> bool:
    """True for a word that is only box characters (☐, ○ …), which offices type as boxes."""
    stripped = text.strip()
    return bool(stripped) and all(ch in BOX_CHARACTERS for ch in stripped)


def circled_character(char: str) -> str:
    """A circled digit or letter typed as a bubble as the character printed in it: ① … ⑳ as "1" … "20",
    Ⓐ … Ⓩ as "A" … "Z", ⓐ … ⓩ as "a" … "z", ⓪ as "0"; other characters as they are."""
    if "\u2460" <= char <= "\u2473":
        return str(ord(char) - 0x2460 + 1)
    if "\u24b6" <= char <= "\u24cf":
        return chr(ord("A") + ord(char) - 0x24B6)
    if "\u24d0" <= char <= "\u24e9":
        return chr(ord("a") + ord(char) - 0x24D0)
    if char == "\u24ea":
        return "0"
    return char


def is_circled_character(char: str) -> bool:
    """Whether ``char`` is a circled digit or letter (① … ⑳, Ⓐ … Ⓩ, ⓐ … ⓩ, ⓪): one bubble, its ring the box."""
    return len(char) == 1 and circled_character(char) != char


def read_pdf_words(path: str | Path, index: int) -> list[PrintedWord] | None:
    """Every printed word of page ``index`` of a PDF, from the PDF's own text layer, with its box in mm.

    Word and LibreOffice exports carry every character with its box; reading them is exact where
    Tesseract reads a bold title or a row of bubbles as junk ("œ@ mD5Ø", issue #16). The records are
    those :func:`read_words` makes: words split at spaces, line ends and blanks wider than
    ``BLANK_TEXT_LAYER_WORD_GAP`` of the font's line height (a box character ☐ ○ is a word of its own),
    ``confidence`` 100, ``exact`` True, boxes from the characters' glyph boxes (pdfium, points) turned
    into mm from the page's top-left (a symbol keeps its character as printed: "①", where the word reads
    "1"), and ``line`` counted from 1 in the text layer's order, a new line
    wherever the text layer ends one or the next character is not level with the line (a table cell).
    Characters drawn white (invisible on paper) are skipped; a circled digit or letter (①, Ⓐ) reads as
    the character in it ("1", "A").

    Returns:
        The words, or None when the page has no usable text layer (a scanned blank, a rotated page,
        fewer than ``BLANK_TEXT_LAYER_MIN_CHARS`` visible characters): the caller then reads the
        rendered page with :func:`read_words`.

    Raises:
        Nothing for a broken PDF: pdfium's errors give None (OCR then reads the page).
    """
    import pypdfium2  # lazy: a heavy dependency, loaded only where used
    import pypdfium2.raw as pdfium_c  # lazy: as above

    try:
        doc = pypdfium2.PdfDocument(str(path))
    except Exception:  # pdfium cannot open it: OCR reads the rendered page instead
        return None
    try:
        if not 0 <= index < len(doc):
            return None
        page = doc[index]
        if page.get_rotation() % 360:
            return None
        left, _, _, top = page.get_cropbox()
        textpage = page.get_textpage()
        mm = 25.4 / 72
        count = min(textpage.count_chars(), T.BLANK_TEXT_LAYER_MAX_CHARS)
        chars: list = []  # (char, x, y, w, h mm) or None at a word break
        red, green, blue, alpha = (ctypes.c_uint() for _ in range(4))
        for i in range(count):
            char = textpage.get_text_range(i, 1)
            if not char or char.isspace():
                chars.append("\n" if char in ("\r", "\n") else None)
                continue
            pdfium_c.FPDFText_GetFillColor(textpage.raw, i, red, green, blue, alpha)
            if min(red.value, green.value, blue.value) >= 240 or alpha.value == 0:
                chars.append(None)  # white text: a cell's invisible marker, not print
                continue
            x0, y0, x1, y1 = textpage.get_charbox(i, loose=False)
            if x1 <= x0 or y1 <= y0:
                chars.append(None)
                continue
            _, loose_bottom, _, loose_top = textpage.get_charbox(i, loose=True)
            chars.append((circled_character(char), (x0 - left) * mm, (top - y1) * mm, (x1 - x0) * mm, (y1 - y0) * mm,
                          (top - (loose_top + loose_bottom) / 2) * mm, (loose_top - loose_bottom) * mm, char))
        textpage.close()
    except Exception:  # a page pdfium cannot read: OCR reads it instead
        return None
    finally:
        doc.close()
    visible = [c for c in chars if isinstance(c, tuple)]
    if len(visible) < T.BLANK_TEXT_LAYER_MIN_CHARS:
        return None
    words: list[PrintedWord] = []
    line, current = 0, []
    line_centre, line_height, line_right = None, 0.0, 0.0

    def close() -> None:
        if current:
            x0 = min(c[1] for c in current)
            y0 = min(c[2] for c in current)
            x1 = max(c[1] + c[3] for c in current)
            y1 = max(c[2] + c[4] for c in current)
            # Symbols keep the character as printed (a circled digit stays "①": a ring, not a glyph's counter).
            words.append(PrintedWord(nfc("".join(c[0] for c in current)), 100.0, x0, y0, x1 - x0, y1 - y0, line,
                                     tuple((c[7],) + c[1:5] for c in current), exact=True))
            current.clear()

    new_line = True
    for c in chars:
        if c is None or c == "\n":
            close()
            new_line = new_line or c == "\n"
            continue
        _, x, _, w, _, centre, h, _ = c  # level by the font's line box (same for accents and commas)
        if line_centre is None or abs(centre - line_centre) > 0.5 * max(line_height, h) or x < line_right - 1.0:
            new_line = True
        if new_line:
            close()
            line += 1
            line_centre, line_height, line_right, new_line = centre, h, x, False
        elif c[0] in BOX_CHARACTERS or (current and current[-1][0] in BOX_CHARACTERS):
            close()  # a box typed against its label ("☐Nam") is a word of its own
        elif current and x - (current[-1][1] + current[-1][3]) > T.BLANK_TEXT_LAYER_WORD_GAP * h:
            close()  # characters set apart without a space (digits placed one per bubble) are words apart
        current.append(c)
        line_right = max(line_right, x + w)
        line_height = max(line_height, h)
    close()
    return words


def _label_ink(crop: np.ndarray, level: float) -> np.ndarray | None:
    """The print of a label's crop as a boolean mask (True = ink), or None when it holds no contrast:
    pixels darker than the paper (90th percentile) by ``level`` of the way to the print (1st percentile)."""
    if crop.size == 0:
        return None
    ordered = np.sort(crop, axis=None)
    paper, black = float(ordered[int(0.9 * (ordered.size - 1))]), float(ordered[int(0.01 * (ordered.size - 1))])
    if paper - black < T.BLANK_CIRCLED_MIN_CONTRAST:
        return None
    return crop < paper - level * (paper - black)


def _text_lines(ink: np.ndarray, px_per_mm: float) -> list[tuple[int, int]]:
    """The text lines of a label's mask, (top, bottom) rows: runs of rows holding ink, a run shorter than
    ``BLANK_REREAD_MARK_SHARE`` of the tallest joined to its nearest neighbour (a line of Vietnamese
    capitals' marks set apart from its letters by a blank row at 300 dpi)."""
    rows = ink.any(axis=1)
    runs: list[list[int]] = []
    for y, on in enumerate(rows):
        if on and runs and runs[-1][1] == y:
            runs[-1][1] = y + 1
        elif on:
            runs.append([y, y + 1])
    while len(runs) > 1:
        tallest = max(b - a for a, b in runs)
        k = min(range(len(runs)), key=lambda i: runs[i][1] - runs[i][0])
        if runs[k][1] - runs[k][0] >= T.BLANK_REREAD_MARK_SHARE * tallest:
            break
        if k == 0:
            j = 1
        elif k == len(runs) - 1:
            j = k - 1
        else:
            j = k - 1 if runs[k][0] - runs[k - 1][1] <= runs[k + 1][0] - runs[k][1] else k + 1
        a, b = sorted((j, k))
        runs[a:b + 1] = [[runs[a][0], runs[b][1]]]
    min_px = T.BLANK_REREAD_MIN_LINE_MM * px_per_mm
    return [(a, b) for a, b in runs if b - a >= min_px]


def strip_leaders(ink: np.ndarray, line_px: float) -> np.ndarray:
    """A label line's mask without its dotted leaders, underscores and rules.

    Connected pieces of ink are dropped when they are:
    - a leader's dots: at most ``BLANK_LEADER_DOT_SHARE`` of the line's height both ways, centred on the
      line's lower half, and at least ``BLANK_LEADER_MIN_DOTS`` of them level (centres within a third of the
      line's height), spaced less than one line height apart and evenly (the widest gap at most
      ``BLANK_LEADER_EVEN`` times the narrowest): "Trực tiếp ........ ☐", not the dots under "Bộ phận";
    - a rule or an underscore: at most ``BLANK_LEADER_DOT_SHARE`` of the line's height tall and over one
      line height long ("☐______Sớm hơn hẹn").

    Args:
        ink: boolean mask of one text line (True = ink).
        line_px: the line's height in pixels.
    Returns:
        The mask with those pieces cleared (a copy).
    """
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    keep = np.ones(count, dtype=bool)
    keep[0] = False
    small = T.BLANK_LEADER_DOT_SHARE * line_px
    dots = []
    for k in range(1, count):
        x, y, w, h, _ = stats[k]
        if h <= small and w > line_px:
            keep[k] = False  # an underscore or a horizontal rule
        elif w <= small and h <= small and centroids[k][1] >= 0.5 * ink.shape[0]:
            dots.append(k)  # on the lower half: a leader's dots sit on the baseline, accents above it
    dots.sort(key=lambda k: centroids[k][0])
    run: list[int] = []

    def close_run() -> None:
        gaps = np.diff([centroids[k][0] for k in run])
        if len(run) >= T.BLANK_LEADER_MIN_DOTS and gaps.max() <= T.BLANK_LEADER_EVEN * max(1.0, gaps.min()):
            keep[run] = False

    for k in dots:
        if run:
            gap = centroids[k][0] - centroids[run[-1]][0]
            last = centroids[run[-1]][0] - centroids[run[-2]][0] if len(run) > 1 else gap
            uneven = max(gap, last) > T.BLANK_LEADER_EVEN * max(1.0, min(gap, last))
            if gap > line_px or abs(centroids[k][1] - centroids[run[-1]][1]) > line_px / 3 or uneven:
                close_run()
                run = []
        run.append(k)
    close_run()
    return keep[labels]


def read_label(grey: np.ndarray, px_per_mm: float, area: tuple[float, float, float, float],
               erase: list[tuple[float, float, float, float]] = ()) -> tuple[str, float]:
    """A printed label read again from its own crop, one text line at a time (Tesseract, single line, vie).

    A page read by Tesseract's layout analysis misreads a label followed by dotted leaders ("Trực tiếp tại
    Bộ phận Một cửa ......" read "ii:iựứC tiếp tại BỘ DHần"), glues words and loses one line of a heading
    wrapped in its cell. Here the crop ``area`` (grown by ``BLANK_REREAD_PAD_MM``) has the ``erase``
    rectangles (the page's boxes, grown by the same) painted white, is cut into its text lines by the
    rows holding ink (:func:`_text_lines`), each line stripped of leaders and rules (:func:`strip_leaders`),
    trimmed to its print, scaled to ``BLANK_REREAD_LINE_PX`` tall and read as one line; the lines'
    readings are joined with a space, top to bottom.

    Args:
        grey: the blank page, grey uint8, dark print on white.
        px_per_mm: its scale.
        area: the label's (x, y, w, h), mm from the page's top-left.
        erase: (x, y, w, h) mm of print that is not the label's (boxes).
    Returns:
        (text in NFC, Tesseract's lowest confidence 0-100 over its words holding a letter or digit: a lone
        mark's, "_" or "'", says nothing of the label), or ("", 0.0) when nothing was read.
    Raises:
        OcrUnavailable: Tesseract or its Vietnamese data is missing.
    """
    reader = line_reader()
    pad = T.BLANK_REREAD_PAD_MM
    x, y, w, h = area
    x0, y0 = max(0, int(np.floor((x - pad) * px_per_mm))), max(0, int(np.floor((y - pad) * px_per_mm)))
    x1 = min(grey.shape[1], int(np.ceil((x + w + pad) * px_per_mm)))
    y1 = min(grey.shape[0], int(np.ceil((y + h + pad) * px_per_mm)))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return "", 0.0
    crop = grey[y0:y1, x0:x1].copy()
    for ex, ey, ew, eh in erase:
        c0, r0 = int(np.floor((ex - pad) * px_per_mm)) - x0, int(np.floor((ey - pad) * px_per_mm)) - y0
        c1, r1 = int(np.ceil((ex + ew + pad) * px_per_mm)) - x0, int(np.ceil((ey + eh + pad) * px_per_mm)) - y0
        if c1 > 0 and r1 > 0 and c0 < crop.shape[1] and r0 < crop.shape[0]:
            crop[max(0, r0):r1, max(0, c0):c1] = 255
    ink = _label_ink(crop, T.BLANK_REREAD_INK_LEVEL)
    if ink is None:
        return "", 0.0
    # A table's rules and a form's underscores run longer than any stroke of a letter: out before the lines.
    # They are looked for in the faint print too (a hairline rule is lighter than text once scanned).
    mask = _label_ink(crop, T.BLANK_REREAD_RULE_LEVEL).astype(np.uint8)
    long_px = int(round(T.BLANK_REREAD_RULE_MM * px_per_mm))
    tall_px = max(long_px, int(0.9 * mask.shape[0]))
    thin = T.BLANK_REREAD_RULE_WIDTH_MM * px_per_mm
    rules = np.zeros_like(mask)
    for kernel, across in (((1, long_px), 3), ((tall_px, 1), 2)):
        # A straight run is a rule only when it is thin across (blurred letters of a word run together in
        # the faint print along their x-height, as thick as it).
        opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones(kernel, np.uint8),
                                  borderType=cv2.BORDER_CONSTANT, borderValue=0)  # outside the crop: paper
        count, pieces, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
        for k in range(1, count):
            if stats[k][across] <= 2 * thin:
                rules[pieces == k] = 1
    ink = ink & (cv2.dilate(rules, np.ones((3, 3), np.uint8)) == 0)
    # What is left of a rule at the crop's edge (a hairline border broken by the threshold) is thinner
    # than any letter's stroke, unlike a letter the crop cuts.
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    for k in range(1, count):
        px, py, pw, ph, _ = stats[k]
        at_edge = px == 0 or py == 0 or px + pw == ink.shape[1] or py + ph == ink.shape[0]
        if at_edge and min(pw, ph) <= thin:
            ink[pieces == k] = False
    texts, confidences = [], []
    for top, bottom in _text_lines(ink, px_per_mm):
        line = strip_leaders(ink[top:bottom], bottom - top)
        cols = np.nonzero(line.any(axis=0))[0]
        rows = np.nonzero(line.any(axis=1))[0]
        if cols.size == 0:
            continue
        # The grey of the line's kept print only: what was stripped becomes paper.
        kept = cv2.dilate(line.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        piece = np.where(kept, crop[top:bottom], 255).astype(np.uint8)[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        scale = T.BLANK_REREAD_LINE_PX / max(1, bottom - top)
        piece = cv2.resize(piece, None, fx=scale, fy=scale,
                           interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
        border = T.BLANK_REREAD_LINE_PX // 2
        piece = cv2.copyMakeBorder(piece, border, border, border, border, cv2.BORDER_CONSTANT, value=255)
        words = reader.read(piece)
        if words:
            texts.append(" ".join(word.text for word in words))
            # Tesseract's confidence in a lone mark ("_", "'", "|": a rule's remains) says nothing of the
            # label's words; the text cleaned by the caller drops such marks.
            confidences += [min((word.confidence for word in words if any(ch.isalnum() for ch in word.text)),
                                default=100.0)]
    if not texts:
        return "", 0.0
    return nfc(" ".join(texts)), float(min(confidences))
