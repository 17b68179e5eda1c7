"""Reading an online export (CSV or XLSX) into a table of text cells.

Copes with UTF-8 with or without a BOM, UTF-16 (Excel's "Unicode text"),
Windows-1252 bytes holding TCVN3 or VNI text, ',' ';' tab or '|' separators,
title rows above the header, and XLSX cells Excel turned into numbers or dates.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import ParseError, fromstring, iterparse

from omr import tuning as T
from omr.errors import InputFileError
from omr.online.legacy_vn import convert_column, has_unicode_vietnamese
from omr.online.windows1258 import decode_windows_1258
from omr.text.normalise import nfc
from omr.text.numbers import vn_decimal, vn_integer

_LOST_LETTER = re.compile(r"\?+[^\W\d_]", re.UNICODE)
_HAS_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)

# --- reading files --------------------------------------------------------------

@dataclass
class Table:
    """A spreadsheet as rows of cells; row numbers as a spreadsheet shows them (from 1)."""

    path: str
    header: list[str]
    rows: list[tuple[int, list]]  # (row number, cells): str, int, float, datetime or None
    encoding: str  # utf-8, utf-8-sig, utf-8-double, utf-16, cp1258, cp1252 or xlsx
    separator: str | None = None
    header_row: int = 1
    legacy: dict[str, int] = field(default_factory=dict)  # {'tcvn3'|'vni': cells converted}
    lossy_words: tuple[int, int] = (0, 0)  # Windows-1258 words with "?" for a letter: (repaired, left)
    # Bytes that are not UTF-8 in a UTF-8 file, by row number: [(column index, the bytes)]; the cells
    # hold them written out ("\\xff\\xfe"), the importer rejects those rows (omr.online.importer.normalise).
    stray: dict[int, list[tuple[int, bytes]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Bounds:
    """How large a file one import takes: bytes on disk, data rows, and what to do with a larger one.

    ``shown_name``: the file's name as its user knows it (the web app's upload), else its path;
    ``advice``: the end of the refusal (Vietnamese), after "hãy chia tệp …".
    """

    max_bytes: int
    max_rows: int
    shown_name: str | None = None
    advice: str = ""


def cli_bounds() -> Bounds:
    """The command line's bounds (``T.ONLINE_CLI_MAX_FILE_BYTES``, ``T.ONLINE_CLI_MAX_ROWS``), read when called."""
    return Bounds(T.ONLINE_CLI_MAX_FILE_BYTES, T.ONLINE_CLI_MAX_ROWS)


def megabytes(size: int) -> str:
    """A file size as the refusals say it: '12,3 MB', '150 MB' (decimal megabytes, decimal comma)."""
    text = vn_decimal(size / 1e6, 1)
    return f"{text[:-2] if text.endswith(',0') else text} MB"


def check_bounds(path: str | Path, bounds: Bounds) -> None:
    """InputFileError (one Vietnamese line: the file, its size or rows, the bound, split it) when ``path`` is over
    ``bounds``, decided without reading it whole: its size on disk first, then a CSV's records counted while
    streaming (a few KB in memory). Records are counted with any non-blank cell; the first is the header
    and a few title rows may sit above it, so only a count over the bound by more than ``T.ONLINE_SNIFF_LINES`` is
    refused here, the exact count being checked once the table is read (:func:`read_table`). An XLSX's
    rows are bounded while its sheet is read (:func:`_xlsx_grid`). A missing file is left to the reader."""
    path = Path(path)
    name = bounds.shown_name or str(path)
    try:
        size = path.stat().st_size
    except OSError:
        return
    split = f"hãy chia tệp thành nhiều tệp nhỏ hơn (mỗi tệp giữ dòng tiêu đề) rồi nhập lần lượt{bounds.advice}"
    if size > bounds.max_bytes:
        raise InputFileError(f"Tệp «{name}» quá lớn ({megabytes(size)}; tối đa {megabytes(bounds.max_bytes)} "
                             f"một lần nhập): {split}")
    with path.open("rb") as handle:
        head = handle.read(65536)
    if head.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return
    records = _count_records(path, head)
    if records - 1 > bounds.max_rows + T.ONLINE_SNIFF_LINES:
        raise InputFileError(too_many_rows(name, records - 1, size, bounds))


def too_many_rows(name: str, rows: int, size: int | None, bounds: Bounds) -> str:
    """The refusal of a file of ``rows`` data rows (``size`` bytes when known) over ``bounds.max_rows``."""
    weight = f", {megabytes(size)}" if size is not None else ""
    return (f"Tệp «{name}» có {vn_integer(rows)} dòng dữ liệu{weight}, quá giới hạn {vn_integer(bounds.max_rows)} "
            "dòng một lần nhập: hãy chia tệp thành nhiều tệp, mỗi tệp không quá "
            f"{vn_integer(bounds.max_rows)} dòng (giữ dòng tiêu đề ở mỗi tệp), rồi nhập lần lượt{bounds.advice}")


def _count_records(path: Path, head: bytes) -> int:
    """CSV records of ``path`` with any non-blank cell, streamed (quoted line breaks stay in their record).

    The separator is sniffed from ``head``; UTF-16 is decoded as such, every other encoding as Latin-1,
    which keeps the ASCII quotes, separators and line breaks of UTF-8 and the Windows code pages."""
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head[:2000].count(b"\x00") > len(
        head[:2000]) // 4
    if utf16 and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16-le" if head[1:2000:2].count(b"\x00") >= head[0:2000:2].count(b"\x00") else "utf-16-be"
    else:
        codec = "utf-16" if utf16 else "latin-1"
    separator = sniff_separator(head.decode(codec, errors="replace"))
    count = 0
    with path.open(encoding=codec, errors="replace", newline="") as handle:
        try:
            for row in csv.reader(handle, delimiter=separator):
                if any(cell.strip() for cell in row):
                    count += 1
        except csv.Error:  # a malformed record: the reader says so once it reads the file
            pass
    return count


def read_table(path: str | Path, bounds: Bounds | None = None) -> Table:
    """Read a CSV or XLSX export; InputFileError (naming the file) when it cannot be read or is over
    ``bounds`` (default :func:`cli_bounds`; checked before the file is read whole, see :func:`check_bounds`)."""
    path = Path(path)
    bounds = bounds or cli_bounds()
    check_bounds(path, bounds)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"Không tìm thấy tệp: {path}") from None
    except OSError as exc:
        raise InputFileError(f"Không đọc được tệp {path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise InputFileError(f"{path}: tệp trống")
    suffix = path.suffix.lower()
    if data.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        grid, encoding, separator, stray = _xlsx_grid(path, data, bounds), "xlsx", None, {}
    elif suffix == ".xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(f"{path}: định dạng Excel cũ (.xls) chưa được hỗ trợ; "
                             "hãy mở bằng Excel và lưu thành .xlsx hoặc CSV UTF-8")
    else:
        text, encoding = decode_bytes(data, path)
        if encoding in ("utf-8", "utf-8-sig"):
            text, encoding = _undo_double_encoding(text, encoding, path)
        if encoding in ("cp1252", "utf-8"):
            _check_letters_not_lost(text, path)
        separator = sniff_separator(text)
        grid = [(i + 1, row) for i, row in enumerate(csv.reader(io.StringIO(text, newline=""),
                                                                delimiter=separator))]
        # Stray bytes are lone surrogates in the text (_utf8_with_stray_bytes): one search, not one per cell.
        stray = _take_stray_bytes(grid) if encoding in ("utf-8", "utf-8-sig") and _STRAY.search(text) else {}
    table = _to_table(str(path), grid, encoding, separator)
    if stray:
        if table.header_row in stray:
            column, raw = stray[table.header_row][0]
            raise InputFileError(f"{path}: dòng tiêu đề (dòng {table.header_row}), cột {column + 1} có byte không "
                                 f"phải UTF-8 ({stray_text(raw)}) nên không đọc được tên cột; hãy sửa ô đó hoặc "
                                 "xuất lại tệp từ Google Forms, rồi nhập lại")
        table.stray = {row: spots for row, spots in stray.items() if row > table.header_row}
    if len(table.rows) > bounds.max_rows:
        raise InputFileError(too_many_rows(bounds.shown_name or str(path), len(table.rows), len(data), bounds))
    return table


def decode_bytes(data: bytes, path: Path | str = "") -> tuple[str, str]:
    """(text, encoding): BOMs first, then UTF-16 by its zero bytes, UTF-8, Windows-1258, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8):]
        try:
            return body.decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
        text = _utf8_with_stray_bytes(body, path)  # Excel's «CSV UTF-8» with a stray byte: named, row by row
        return (text if text is not None else body.decode("utf-8", errors="replace")), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_utf16(data, "utf-16", path), "utf-16"
    head = data[:2000]
    if head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM: ASCII characters leave a zero byte beside them.
        odd_zeros = head[1::2].count(b"\x00")
        codec = "utf-16-le" if odd_zeros >= head[0::2].count(b"\x00") else "utf-16-be"
        return _decode_utf16(data, codec, path), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = _utf8_with_stray_bytes(data, path)
    if text is not None:
        return text, "utf-8"
    # Not Unicode: an Excel CSV of a Vietnamese Windows (Windows-1258), or an old
    # Windows file whose TCVN3/VNI text is converted cell by cell later.
    text = decode_windows_1258(data)
    if text is not None:
        return text, "cp1258"
    return data.decode("cp1252", errors="replace").replace("\ufffd", ""), "cp1252"


_STRAY = re.compile("[\udc80-\udcff]+")


def _utf8_with_stray_bytes(data: bytes, path: Path | str) -> str | None:
    """``data`` as UTF-8 when it is UTF-8 but for a few stray bytes, else None (another encoding).

    Each line that is not valid UTF-8 must still be UTF-8 text (at least ``T.UTF8_STRAY_LINE_MIN_LETTERS``
    valid non-ASCII characters per stray byte, unless it has at most ``T.UTF8_STRAY_FEW_BYTES`` of them), and
    so must the whole file: one line without them (a Windows-1258 row pasted in) and the file is not UTF-8.
    The stray bytes stay in the text as lone surrogates (Python's "surrogateescape"), which no UTF-8 text
    holds, for :func:`_take_stray_bytes`. More damaged lines than
    ``T.UTF8_STRAY_MAX_ROWS`` or ``T.UTF8_STRAY_MAX_ROW_SHARE`` of the lines: InputFileError naming them.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    lines = text.splitlines()
    damaged = []
    for number, line in enumerate(lines, 1):
        stray = sum(len(run) for run in _STRAY.findall(line))
        if not stray:
            continue
        letters = sum(1 for ch in line if ord(ch) > 0x7F) - stray
        if letters < T.UTF8_STRAY_LINE_MIN_LETTERS * stray and stray > T.UTF8_STRAY_FEW_BYTES:
            return None
        damaged.append(number)
    stray_total = sum(len(run) for run in _STRAY.findall(text))
    letters_total = sum(1 for ch in text if ord(ch) > 0x7F) - stray_total
    if letters_total < T.UTF8_STRAY_LINE_MIN_LETTERS * stray_total:
        return None  # hardly any UTF-8 letter in the whole file: another encoding
    if len(damaged) > max(T.UTF8_STRAY_MAX_ROWS, T.UTF8_STRAY_MAX_ROW_SHARE * len(lines)):
        shown = ", ".join(vn_integer(n) for n in damaged[:10]) + (", …" if len(damaged) > 10 else "")
        raise InputFileError(
            f"{path}: tệp UTF-8 có {vn_integer(len(damaged))} dòng chứa byte không phải UTF-8 (dòng {shown}): "
            "tệp bị hỏng khi chép hoặc sửa, không nhập; hãy xuất lại tệp từ Google Forms (hoặc lưu lại dạng "
            "«CSV UTF-8 (Comma delimited)») rồi nhập lại")
    return text


def stray_text(raw: bytes) -> str:
    """Bytes as the user can find them in a hex editor: "\\xff\\xfe"."""
    return "".join(f"\\x{byte:02x}" for byte in raw)


def refuse_stray_bytes(table: Table) -> None:
    """InputFileError naming the first row, column and bytes that are not UTF-8, for a table every row of
    which must be read (the units registry: a unit name with a stray byte is no name to store)."""
    if table.stray:
        row = min(table.stray)
        column, raw = table.stray[row][0]
        name = table.header[column] if column < len(table.header) else f"cột {column + 1}"
        raise InputFileError(f"{table.path}: dòng {row}, cột «{name}» có byte không phải UTF-8 ({stray_text(raw)}), "
                             "không đọc được; hãy sửa ô đó (hoặc xuất lại tệp) rồi nhập lại")


def _take_stray_bytes(grid: list[tuple[int, list]]) -> dict[int, list[tuple[int, bytes]]]:
    """The stray bytes left by :func:`_utf8_with_stray_bytes` in ``grid``'s cells, by row: [(column index,
    bytes)]; each cell keeps its text with the bytes written out ("\\xff\\xfe") in their place."""
    found: dict[int, list[tuple[int, bytes]]] = {}
    for number, cells in grid:
        for i, cell in enumerate(cells):
            if isinstance(cell, str) and _STRAY.search(cell):
                raw = b"".join(run.encode("utf-8", "surrogateescape") for run in _STRAY.findall(cell))
                found.setdefault(number, []).append((i, raw))
                cells[i] = _STRAY.sub(lambda m: stray_text(m.group().encode("utf-8", "surrogateescape")), cell)
    return found


def _check_letters_not_lost(text: str, path: Path) -> None:
    """InputFileError (one Vietnamese line naming the file) when the CSV's Vietnamese letters were saved as "?".

    A Western code page cannot hold ă, ơ, ư, đ, ạ, ế ...: the spreadsheet wrote "?" for each
    ("Dấu thời gian" became "D?u th?i gian"); the letters are gone from the file and no mapping can
    match its headers, so the user must save it again as "CSV UTF-8". Words with a "?" followed by a
    letter: at least ``T.LOST_LETTERS_MIN_WORDS`` and ``T.LOST_LETTERS_MIN_SHARE`` of the words with letters.
    (Windows-1258 files lose only some letters and are repaired instead: omr.online.windows1258.)
    """
    words = [w for w in text.split() if _HAS_LETTER.search(w)]
    lost = [w for w in words if _LOST_LETTER.search(w)]
    if len(lost) < T.LOST_LETTERS_MIN_WORDS or len(lost) < T.LOST_LETTERS_MIN_SHARE * len(words):
        return
    example = next((w for w in lost if len(w) <= 30), lost[0][:30]).strip(',;"')
    raise InputFileError(
        f"{path}: {len(lost)} chữ bị mất chữ cái tiếng Việt, thay bằng dấu «?» (ví dụ «{example}»): tệp đã được "
        "lưu bằng bảng mã phương Tây (Windows-1252), không giữ được chữ tiếng Việt, nên không đọc được; "
        "hãy mở tệp gốc (hoặc tải lại từ Google Forms) và lưu lại dạng «CSV UTF-8 (Comma delimited)»")


def _undo_double_encoding(text: str, encoding: str, path: Path) -> tuple[str, str]:
    """(text, encoding) with UTF-8 that was read as Windows-1252 and saved again turned back into Vietnamese.

    Excel opens a UTF-8 CSV without a BOM as Windows-1252 and "Save as CSV UTF-8" keeps the garbage
    ("Dấu thời gian" becomes "Dáº¥u thá»i gian"). When every character maps back to one Windows-1252
    (or Latin-1) byte and those bytes are valid UTF-8 holding Vietnamese letters, the file is repaired
    (encoding "utf-8-double"). When the bytes Windows-1252 has no character for were dropped (shown as
    U+FFFD), the letters cannot be settled: InputFileError names the encoding as the cause, in
    Vietnamese, at least ``T.DOUBLE_UTF8_MIN_WORDS`` damaged words. Otherwise the text is unchanged.
    """
    if not any(0xC0 <= ord(ch) <= 0xFF for ch in text):
        return text, encoding
    raw = bytearray()
    lost = False
    for ch in text:
        if ch == "\ufffd":
            raw += b"\x81"  # a byte Windows-1252 has no character for: lost
            lost = True
            continue
        try:
            raw += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) > 0xFF:
                return text, encoding  # a real Unicode letter: not double-encoded
            raw += bytes([ord(ch)])
    repaired = bytes(raw).decode("utf-8", errors="replace")
    damaged = [w for w, r in zip(text.split(), repaired.split()) if w != r and has_unicode_vietnamese(r)]
    if len(damaged) < T.DOUBLE_UTF8_MIN_WORDS:
        return text, encoding
    if lost or "\ufffd" in repaired:
        example = next((w for w in damaged if len(w) <= 30), damaged[0][:30]).strip(',;"')
        raise InputFileError(
            f"{path}: {len(damaged)} chữ tiếng Việt bị mã hoá hai lần (ví dụ «{example}»): tệp UTF-8 đã được mở "
            "bằng bảng mã phương Tây (Windows-1252) rồi lưu lại, một số chữ cái bị mất nên không đọc được; "
            "hãy tải lại tệp gốc từ Google Forms, hoặc mở tệp gốc bằng Excel qua «Dữ liệu → Từ văn bản/CSV» "
            "chọn mã UTF-8, rồi lưu dạng «CSV UTF-8 (Comma delimited)»")
    return repaired, "utf-8-double"


def _decode_utf16(data: bytes, codec: str, path) -> str:
    try:
        return data.decode(codec).lstrip("\ufeff")
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: tệp UTF-16 bị hỏng (số byte lẻ hoặc ký tự không hợp lệ)") from None


def sniff_separator(text: str) -> str:
    """The separator (',', ';', tab or '|') that splits the first records into equal widths."""
    sample = "\n".join(text.splitlines()[:T.ONLINE_SNIFF_LINES])
    best, best_score = ",", (0.0, 0)
    for separator in (",", ";", "\t", "|"):
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(sample, newline=""), delimiter=separator) if any(r)]
        except csv.Error:
            continue
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = (count / len(widths), width)
        if score > best_score:
            best, best_score = separator, score
    return best


def _xlsx_grid(path: Path, data: bytes, bounds: Bounds) -> list[tuple[int, list]]:
    from openpyxl import load_workbook  # lazy: a heavy dependency, loaded only where used
    from openpyxl.utils.exceptions import InvalidFileException  # lazy: a heavy dependency, loaded only where used

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputFileError(f"{path}: không đọc được tệp XLSX (hỏng hoặc không phải Excel): {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        grid = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            grid.append((number, list(row)))
            if number - 1 > bounds.max_rows + T.ONLINE_SNIFF_LINES:  # stopped while streaming: memory stays bounded
                raise InputFileError(too_many_rows(bounds.shown_name or str(path), number - 1, len(data), bounds)
                                     .replace(" có ", " có hơn ", 1))
        _mark_unread_formulas(grid, data, sheet._worksheet_path)
        return grid
    except (KeyError, ValueError, TypeError, AttributeError, zipfile.BadZipFile, OSError, ParseError) as exc:  # damaged
        raise InputFileError(f"{path}: không đọc được trang tính đầu tiên: {exc}") from None
    finally:
        workbook.close()


UNREAD_FORMULA = ("ô {cell} là công thức mà tệp không lưu kết quả đã tính (tệp do một chương trình tạo ra, chưa "
                  "được mở và lưu bằng Excel) nên không biết câu trả lời; hãy mở tệp bằng Excel hoặc LibreOffice "
                  "rồi lưu lại, hoặc dán giá trị thay cho công thức (Dán đặc biệt → Giá trị), rồi nhập lại")


@dataclass(frozen=True)
class UnreadFormula:
    """An XLSX cell holding a formula whose result the file does not give: no stored value (openpyxl,
    pandas and many generators store none), or one the file itself says is not computed yet (its
    workbook asks for a full recalculation on opening, ``<calcPr fullCalcOnLoad="1">``: XlsxWriter
    stores 0 for every formula so). Never a blank: the importer rejects its row with ``refusal``
    (omr.online.importer.normalise), naming the cell. Excel and LibreOffice save every result."""

    cell: str  # its address as the spreadsheet shows it: "B3"
    formula: str  # "=1+1" ("=" alone for a cell of a shared formula)

    @property
    def refusal(self) -> str:
        return UNREAD_FORMULA.format(cell=self.cell)

    def __str__(self) -> str:
        return self.formula


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _mark_unread_formulas(grid: list[tuple[int, list]], data: bytes, sheet_path: str) -> None:
    """Put an :class:`UnreadFormula` in ``grid`` (rows numbered from 1, as openpyxl read them with
    data_only) in place of each formula cell of the sheet at ``sheet_path`` (inside the XLSX ``data``)
    with no stored result, or of every formula cell when the workbook asks for a full recalculation on
    opening (its results are not computed). openpyxl's data_only read gives None for the first (taken
    for an empty cell) and the placeholder (0) for the second. A sheet without formulas is not read again."""
    from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter  # lazy: heavy, loaded only where used

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        with package.open(sheet_path.lstrip("/")) as source:
            if not _has_formula_tag(source):
                return
        stale = _recalculated_on_opening(package)
        rows = dict(grid)
        with package.open(sheet_path.lstrip("/")) as source:
            row_number, column = 0, 0
            for _, element in iterparse(source):
                if element.tag == _SHEET_NS + "row":
                    element.clear()
                    continue
                if element.tag != _SHEET_NS + "c":
                    continue
                where = element.get("r")
                if where:
                    row_number, column = coordinate_to_tuple(where)
                else:
                    column += 1
                formula = element.find(_SHEET_NS + "f")
                if formula is not None and (stale or not element.findtext(_SHEET_NS + "v")):
                    cells = rows.get(row_number)
                    if cells is not None:
                        cells.extend([None] * (column - len(cells)))
                        cells[column - 1] = UnreadFormula(where or f"{get_column_letter(column)}{row_number}",
                                                          "=" + (formula.text or ""))
                element.clear()


def _recalculated_on_opening(package: zipfile.ZipFile) -> bool:
    """Whether the workbook of the XLSX ``package`` says ``<calcPr fullCalcOnLoad="1">``: its formulas'
    stored results are not computed (openpyxl's own parse of calcPr takes a missing attribute for True)."""
    relations = fromstring(package.read("_rels/.rels"))
    target = next((r.get("Target") for r in relations if (r.get("Type") or "").endswith("/officeDocument")),
                  "xl/workbook.xml")
    calc = fromstring(package.read(target.lstrip("/"))).find(_SHEET_NS + "calcPr")
    return calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")


def _has_formula_tag(source) -> bool:
    """Whether the sheet XML ``source`` (a binary stream) holds a formula element (``<f>``, any prefix)."""
    tail = b""
    while chunk := source.read(1 << 20):
        text = tail + chunk
        if re.search(rb"<(?:\w+:)?f[ >/]", text):
            return True
        tail = text[-16:]
    return False


def is_blank_cell(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _to_table(path: str, grid: list[tuple[int, list]], encoding: str, separator: str | None) -> Table:
    # Blank rows after the header stay (they are reported); trailing ones are sheet formatting.
    while grid and all(is_blank_cell(c) for c in grid[-1][1]):
        grid.pop()
    filled = [i for i, (_, cells) in enumerate(grid) if any(not is_blank_cell(c) for c in cells)]
    if not filled:
        raise InputFileError(f"{path}: không có dòng dữ liệu nào")
    widest = max(sum(not is_blank_cell(c) for c in grid[i][1]) for i in filled[:T.ONLINE_SNIFF_LINES])
    header_at = next(i for i in filled[:T.ONLINE_SNIFF_LINES]
                     if sum(not is_blank_cell(c) for c in grid[i][1]) >= max(2, T.ONLINE_HEADER_MIN_SHARE * widest)
                     or widest < 2)
    header_row, header_cells = grid[header_at]
    width = max(len(header_cells), max(len(c) for _, c in grid))
    # Convert legacy text column by column (headers are a column of their own).
    columns = [[cells[i] if i < len(cells) else None for _, cells in grid[header_at + 1:]] for i in range(width)]
    legacy: dict[str, int] = {}
    assume = encoding == "cp1252"
    for i, column in enumerate(columns):
        columns[i], counts = convert_column(column, assume_legacy=assume)
        for kind, n in counts.items():
            legacy[kind] = legacy.get(kind, 0) + n
    header_values, counts = convert_column([None if is_blank_cell(c) else str(c).strip() for c in header_cells]
                                           + [None] * (width - len(header_cells)), assume_legacy=assume)
    for kind, n in counts.items():
        legacy[kind] = legacy.get(kind, 0) + n
    header = [nfc(" ".join(h.split())) if h else f"(cột {i + 1})" for i, h in enumerate(header_values)]
    rows = [(number, [columns[i][r] for i in range(width)])
            for r, (number, _) in enumerate(grid[header_at + 1:])]
    return Table(path, header, rows, encoding, separator, header_row, legacy)


