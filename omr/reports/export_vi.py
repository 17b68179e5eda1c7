"""The export as people read it: Vietnamese column headers and labels instead of codes (#17).

``omr export`` writes CSV and XLSX this way by default (``--codes`` keeps the
codes; JSON Lines and Parquet, read by programs, always keep them). The codes
are not lost: the XLSX "Bảng mã" sheet lists every column's code name and
every code with its label, and the code of a question stays at the start of
its header ("B1. Nơi ngồi chờ…").

A label replaces a code in a cell only where the code is known: an option
code the template does not have, or a flag added by a later version, stays
as it is, so nothing is ever blanked out by the translation.
"""

from __future__ import annotations

from collections.abc import Iterable

from omr.forms.pinned import ASSIGNED_SERIAL_NOTE, ASSIGNED_SERIAL_PREFIX
from omr.forms.template import Question, Template
from omr.model import INVALID_MULTIPLE, INVALID_MULTIPLE_TEXT, MISSING_PAGE, MISSING_PAGE_TEXT

# Column headers of the base columns (omr.reports.export.BASE_COLUMNS), in the same order.
COLUMN_LABELS = {
    "serial": "Số phiếu", "form": "Mẫu phiếu", "version": "Phiên bản mẫu", "channel": "Kênh",
    "source": "Nguồn", "unit": "Mã đơn vị", "unit_recorded": "Đơn vị như ghi nhận", "unit_name": "Tên đơn vị",
    "unit_today": "Mã đơn vị hiện nay", "unit_today_name": "Tên đơn vị hiện nay",
    "unit_status": "Tình trạng mã đơn vị", "date": "Ngày khảo sát", "date_source": "Ngày lấy từ",
    "submitted_at": "Thời điểm gửi (giờ Việt Nam)", "source_files": "Tệp gốc", "source_pages": "Trang gốc",
    "source_row": "Dòng trong tệp gốc", "batch": "Đợt quét", "flags": "Cảnh báo", "review": "Kiểm tra",
    "to_review": "Số mục chờ kiểm tra", "completeness": "Đủ trang", "missing_pages": "Trang thiếu",
}
COMMENT_COLUMN_LABELS = {"text_source": "nguồn nội dung", "crop": "ảnh chữ viết", "flags": "dấu hiệu tiêu cực",
                         "faint": "chữ viết mờ"}
STATUS_SUFFIX = "trạng thái"

# Values of the coded columns, code -> label. Keys are column names (answer statuses under "status").
VALUE_LABELS = {
    "channel": {"paper": "giấy", "online": "trực tuyến"},
    "date_source": {"form": "ghi trên phiếu", "submitted": "ngày gửi trực tuyến", "batch": "thời gian thu phiếu của đợt"},
    "completeness": {"complete": "đủ trang", "incomplete": "thiếu trang"},
    "review": {"pending": "chờ kiểm tra", "reviewed": "đã kiểm tra", "none": "không cần kiểm tra"},
    "unit_status": {"ok": "đúng", "outdated": "tên/mã cũ, đã quy về đơn vị mới", "unknown": "không có trong danh mục",
                    "ambiguous": "không rõ đơn vị nào", "not_yet": "đơn vị chưa thành lập vào ngày đó",
                    "blank": "không ghi", "no_registry": "chưa nhập danh mục đơn vị"},
    "status": {"ok": "hợp lệ", "blank": "để trống", "multiple": "nhiều ô được đánh dấu",
               "ambiguous": "không chắc chắn", "invalid": "ngày không hợp lệ", "pending": "chờ duyệt",
               "reviewed": "đã duyệt", "missing_page": "trang thiếu (chưa có giá trị, không phải để trống)",
               "review": "cần kiểm tra (có phần để trống, nhiều ô hoặc không chắc chắn)",
               INVALID_MULTIPLE: INVALID_MULTIPLE_TEXT.lower()},  # status words are lower-case, as "hợp lệ"
    "text_source": {"reviewed": "đã duyệt", "draft": "bản nháp OCR", "online": "gõ trực tuyến"},
    "faint": {"faint": "có thể có chữ viết mờ"},
    "flags": {"serial_conflict": "trùng số phiếu, khác nội dung", "duplicate_submission": "gửi lặp lại",
              "excel_date_repaired": "đã sửa ô Excel đổi thành ngày", "legacy_encoding": "đã chuyển mã TCVN3/VNI",
              "unit_outdated": "đơn vị cũ, đã quy về đơn vị mới", "rescan": "quét lại",
              "pages_lost": "trang thiếu đã xác nhận là mất", "rejected": "không giữ (trùng số phiếu)",
              "possible_duplicate": "có thể là bản quét lại, chờ quyết định",
              "no_answers": "phiếu không có câu trả lời nào: không tính là phiếu hợp lệ",
              "no_answers_checked": "đã xác nhận phiếu để trống"},
}
LIST_SEPARATOR = "; "

# The "Loại" column of the "Bảng mã" sheet: question types (omr.forms.template.QUESTION_TYPES) and a joined
# value ("label", omr.reports.export.codebook_rows), as a person reads them.
TYPE_LABELS = {"single": "một lựa chọn", "multiple": "nhiều lựa chọn", "scale": "thang đo", "yesno": "có/không",
               "date": "ngày", "text": "văn bản", "label": "giá trị ghép từ nhiều cột"}


def type_label(code: str) -> str:
    """A question type code ("scale") as its Vietnamese name ("thang đo"); an unknown code as it is."""
    return TYPE_LABELS.get(code, code)


def questions_of(templates: Iterable[Template | None]) -> dict[str, Question]:
    """Question id -> its question, the first template that has it winning (as the column order does)."""
    found: dict[str, Question] = {}
    for template in templates:
        if template is None:
            continue
        for question in template.questions:
            found.setdefault(question.id, question)
    return found


# The code names of the columns, in omr.reports.export's order (omr.reports.export checks they agree).
BASE_COLUMNS = tuple(COLUMN_LABELS)
COMMENT_COLUMNS = tuple(COMMENT_COLUMN_LABELS)


def header(value_ids: list[str], status_ids: list[str], text_ids: Iterable[str],
           questions: dict[str, Question]) -> list[str]:
    """The Vietnamese header, column for column the same as omr.reports.export.header's codes."""
    def named(qid: str) -> str:
        question = questions.get(qid)
        return f"{qid}. {question.text}" if question is not None else qid

    return ([COLUMN_LABELS[c] for c in BASE_COLUMNS] + [named(q) for q in value_ids]
            + [f"{q} – {STATUS_SUFFIX}" for q in status_ids]
            + [f"{q} – {COMMENT_COLUMN_LABELS[c]}" for q in text_ids for c in COMMENT_COLUMNS])


def vn_day(text: str) -> str:
    """'2026-03-05' -> '05/03/2026'; 'from..to' -> 'dd/mm/yyyy – dd/mm/yyyy'; other text unchanged."""
    if not text:
        return text
    if ".." in text:
        return " – ".join(vn_day(part) for part in text.split(".."))
    parts = text[:10].split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
        rest = text[10:]
        if rest.startswith("T"):  # an ISO timestamp with offset: keep the clock time, drop the offset
            rest = " " + rest[1:9]
        return f"{parts[2]}/{parts[1]}/{parts[0]}{rest}"
    return text


def _mapped(column: str, value):
    table = VALUE_LABELS[column]
    if isinstance(value, (list, tuple)):
        return [table.get(v, v) for v in value]
    return table.get(value, value) if isinstance(value, str) else value


def answer_label(question: Question | None, value):
    """An answer as its option label(s), a date as dd/mm/yyyy; anything unknown as it is."""
    if value is None or question is None:
        return value
    if question.type == "date" and isinstance(value, str):
        return vn_day(value)
    if not question.options:
        return value
    codes = value if isinstance(value, (list, tuple)) else [value]
    labels = []
    for code in codes:
        try:
            labels.append(question.option_label(str(code)))
        except KeyError:
            labels.append(str(code))
    return LIST_SEPARATOR.join(labels) if isinstance(value, (list, tuple)) else labels[0]


def labelled(record: dict, questions: dict[str, Question]) -> dict:
    """A copy of an export record (omr.reports.export.build_record) with labels in place of codes."""
    out = dict(record)
    for column in ("channel", "date_source", "completeness", "review", "unit_status", "flags"):
        out[column] = _mapped(column, record[column])
    out["date"] = vn_day(record["date"] or "")
    out["submitted_at"] = vn_day(record["submitted_at"] or "")
    # A reviewer's "several boxes ticked" has no value: the answer cell says so, never looks skipped.
    # A question on a page that never arrived says so too: an empty cell would read as a blank answer.
    out["answers"] = {qid: (INVALID_MULTIPLE_TEXT if record["status"].get(qid) == INVALID_MULTIPLE
                            else MISSING_PAGE_TEXT if record["status"].get(qid) == MISSING_PAGE and value is None
                            else value if questions.get(qid) is not None and questions[qid].type == "text"
                            else answer_label(questions.get(qid), value))
                      for qid, value in record["answers"].items()}
    out["status"] = {qid: _mapped("status", status) for qid, status in record["status"].items()}
    out["comments"] = {qid: {**cells, "text_source": _mapped("text_source", cells["text_source"]),
                             "faint": _mapped("faint", cells["faint"]),
                             "flags": cells["flags"]}
                       for qid, cells in record["comments"].items()}
    return out


def codebook_extra_rows(code_header: list[str], value_ids: list[str], status_ids: list[str],
                        text_ids: Iterable[str], questions: dict[str, Question]) -> list[list[str]]:
    """Rows for the "Bảng mã" sheet: each column's code name (``code_header``, omr.reports.export.header) and
    Vietnamese header, and each coded value's label."""
    rows = [[code, label, "cột", "", ""] for code, label in
            zip(code_header, header(value_ids, status_ids, list(text_ids), questions), strict=True)
            if code not in questions]
    for column in (*[c for c in BASE_COLUMNS if c in VALUE_LABELS], "status", "text_source", "faint"):
        for code, label in VALUE_LABELS[column].items():
            rows.append([column if column != "status" else "<câu hỏi>_status", "", "giá trị", code, label])
    rows.append(["serial", "", "giá trị", f"{ASSIGNED_SERIAL_PREFIX}…", ASSIGNED_SERIAL_NOTE])
    return rows
