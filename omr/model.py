"""Plain records that flow between the reading stages and the store.

ingest → identify → align → read produce one :class:`PageResult` per scanned
page; the store keeps them and joins pages with the same serial into responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta, timezone

VN_TZ = timezone(timedelta(hours=7))  # Vietnam time of every response and report (UTC+7, no daylight saving)

# Box states
EMPTY, MARKED, CANCELLED, UNCERTAIN = "empty", "marked", "cancelled", "uncertain"

# Question statuses. Only OK carries a machine value without review.
OK = "ok"
BLANK = "blank"  # no mark at all: a value of its own, not sent to review
MULTIPLE = "multiple"  # two or more marks on a single-answer question
AMBIGUOUS = "ambiguous"  # a mark the reader is unsure of, or a lone filled box
INVALID = "invalid"  # a date whose digits make no date
# A person's decision on a one-answer question with two or more boxes really ticked (no value):
# not a blank (the respondent did answer) and no valid answer. Reports leave it out of n_valid like
# a blank and count it in a column of its own; exports show INVALID_MULTIPLE_TEXT.
INVALID_MULTIPLE = "invalid_multiple"
INVALID_MULTIPLE_TEXT = "Không hợp lệ (đánh nhiều ô)"
NEEDS_REVIEW = (MULTIPLE, AMBIGUOUS, INVALID)
# PageResult.detail tag of a page with no mark at all: no inked box, no answer, no handwriting in a comment field.
NO_MARKS = "no_marks"
# The comment field of handwriting found far from every box and frame of a form designed elsewhere
# (omr.scan.printed_boxes.stray_writing): a free-text question the template has no frame for. It goes to
# the comment review with its crop, never dropped; people read it as STRAY_WRITING_TEXT. One per page:
# the field is this prefix and the page's number (a response holds one comment per field).
STRAY_WRITING_FIELD = "ngoai_o_khung_"
STRAY_WRITING_TEXT = "Có chữ viết ngoài các ô/khung của mẫu phiếu"


def is_stray_writing(field_: str) -> bool:
    """Whether a comment field is handwriting found outside every box and frame (STRAY_WRITING_FIELD)."""
    return field_.startswith(STRAY_WRITING_FIELD)
# A question on a page of the sheet that never arrived or was set aside (issue #14): no value
# until the page is assigned; never a blank. Only in exports (derived, never stored).
MISSING_PAGE = "missing_page"
# What a labelled export (CSV/XLSX in Vietnamese) writes in the answer cell of such a question, so the cell
# never looks like an unanswered one (blank answers stay empty cells).
MISSING_PAGE_TEXT = "(trang thiếu)"
# A value joined from several questions (an OMRChecker customLabel: a roll number of one-digit
# columns, issue #16) when a part is blank, multiple or unsure: no value, a person looks. Derived
# in exports only, never stored; a partial number is never marked ok.
PART_REVIEW = "review"

# How the pages of a multi-page form without omr's QR serials join into one response (issue #16):
# the template's ``join`` (omr.forms.pinned). PAGE_ORDER and COVER_SHEET are decided when pages
# are stored, from the page stored before (omr.data.store); SERIAL_FIELD when a page is read.
PAGE_ORDER, SERIAL_FIELD, COVER_SHEET = "page_order", "serial_field", "cover_sheet"
JOIN_MODES = (PAGE_ORDER, SERIAL_FIELD, COVER_SHEET)

# Why a page was set aside (not read into a response)
SET_ASIDE_REASONS = {
    "blank": "trang trắng",
    # Print or marks on the page, too faint to read even stretched to the page's own range (F4/F5):
    # never "blank", which would invite the operator to throw the sheet away.
    "too_dark": "ảnh quá tối, không đọc được: chỉnh độ sáng của máy quét rồi quét lại trang (đừng bỏ phiếu)",
    "too_light": "ảnh quá nhạt, không đọc được: chỉnh độ đậm của máy quét rồi quét lại trang (đừng bỏ phiếu)",
    "no_form": "không tìm thấy phiếu (không thấy dấu định vị)",
    "qr_unreadable": "không đọc được mã QR",
    "unknown_form": "mẫu phiếu không có trong hệ thống",
    "misaligned": "trang bị lệch, không căn chỉnh được",
    "unreadable": "không đọc được ảnh",
    # An image far too small (or thin) to be a scan of a form page (omr.scan.ingest.not_a_page): not a
    # reviewer's question, shown on the upload's page with its size. Its detail always says why (too small,
    # too thin), so the reason does not say it again.
    "not_scan": "không phải bản quét trang phiếu",
    "no_match": "không khớp mẫu phiếu nào (phiếu không có dấu định vị của omr)",
    # Written before two-page images were split and read (#13); kept for pages stored then.
    "two_pages": "hai trang trong một ảnh: quét từng trang riêng",
    # One half of a two-page image has print that omr cannot read as a form page (#13).
    "half_not_form": "nửa ảnh này có nội dung in nhưng không phải trang phiếu đọc được",
    "serial_unreadable": ("không đọc chắc được số phiếu ghi trên trang (cần để ghép các trang của một phiếu): "
                          "nhập số phiếu"),
    "page_mismatch": "mã QR không khớp với các ô của trang (có thể là mã của mặt sau hiện qua giấy mỏng): kiểm tra rồi quét lại trang",
    # A page whose printed unit differs from the unit of the sheet it would join (omr.data.store): two sheets
    # of different units sharing a serial, or a misprint; a person decides, the first unit never wins silently.
    "unit_clash": "mã đơn vị in trên trang này khác mã của các trang khác cùng số phiếu",
}


# Which part of a scanned image a page is (pages.part): the whole image, or one half of an
# image holding two form pages (an A3 scan of an unstapled sheet, two pages stacked; #13).
WHOLE_IMAGE, FIRST_HALF, SECOND_HALF = 0, 1, 2
HALF_NAMES = ("nửa trái", "nửa phải", "nửa trên", "nửa dưới")  # left, right; top, bottom


def form_page_name(form_id: str | None, version: int | None, page: int | None) -> str:
    """A form page as a message names it: «mẫu phiếu motcua-2026 phiên bản 1 trang 2»; a part not known
    is left out («mẫu phiếu không rõ tên» without a form id), never shown as «None»."""
    text = f"mẫu phiếu {form_id}" if form_id else "mẫu phiếu không rõ tên"
    if version is not None:
        text += f" phiên bản {version}"
    return text + (f" trang {page}" if page is not None else "")


def half_name(part: int, landscape: bool) -> str:
    """The Vietnamese name of a half for the operator: "nửa trái" ... "nửa dưới" ("" for the whole image).

    ``landscape``: the image is at least as wide as high, so its halves are left and right
    (omr.scan.page_geometry.half_region); otherwise top and bottom.
    """
    if part == WHOLE_IMAGE:
        return ""
    return HALF_NAMES[(0 if landscape else 2) + part - 1]


@dataclass(frozen=True)
class PageSource:
    """Where a page came from: enough to find the pixels again."""

    path: str
    page_index: int  # 0-based within the file
    image_sha256: str
    part: int = WHOLE_IMAGE  # 0 the whole image, 1 its left/top half, 2 its right/bottom half


@dataclass
class BoxRead:
    question: str
    option: str
    state: str
    fill: float  # share of the box's inside that is ink, 0..1
    darkness: float  # mean ink darkness inside, 0..1 relative to the page's black
    confidence: float  # 0..1
    x: float  # found position on the aligned page, mm (after local search)
    y: float
    w: float
    h: float

    def __post_init__(self) -> None:
        # Plain floats, whatever the reader computed them with: a page's ~115 box reads cross from the
        # worker to the storing process pickled, and NumPy scalars there made pickling a page's result
        # 0.59 ms instead of 0.16 (bench, 2026-12-03, docs/benchmarks.md) and the parent import NumPy.
        self.x, self.y = float(self.x), float(self.y)


@dataclass
class QuestionRead:
    question: str
    value: object  # code | [codes] | "YYYY-MM-DD" | None
    status: str
    confidence: float  # measured probability that value and status are right (omr.scan.resolve.calibrated_confidence)
    score: float = 1.0  # the raw read score it was calibrated from: the least certain box's, 0..1


@dataclass
class PageResult:
    source: PageSource
    form_id: str | None = None
    version: int | None = None
    page: int | None = None
    serial: int | None = None
    unit: str | None = None
    rotated_180: bool = False
    alignment_mm: float | None = None  # residual of the box local search, median, mm
    set_aside: str | None = None  # a key of SET_ASIDE_REASONS, or None when read
    detail: str = ""
    homography: list | None = None  # 3x3, layout mm -> image px of the page as stored
    boxes: list[BoxRead] = field(default_factory=list)
    questions: list[QuestionRead] = field(default_factory=list)
    comments: list = field(default_factory=list)  # omr.scan.comments.CommentRead, one per comment field
    # PAGE_ORDER or COVER_SHEET: the store joins this page to the response of the page stored before
    # it in the batch and replaces ``serial`` with that response's (omr.data.store); None: by serial.
    join: str | None = None
    # Pages of a form designed elsewhere: the ink of its boxes and writing frames, small and aligned
    # (omr.scan.ink_prints.ink_print), to tell another scan of a stored sheet from another respondent's.
    ink_print: bytes | None = None
    marks_key: str | None = None  # omr.scan.duplicates.marks_key: which boxes hold ink


# Columns of the response export (omr.reports.dataset): one row per response, these base columns, then
# a column per question, ``<question>_status`` and, per free-text question, ``<question>_<comment column>``.
EXPORT_BASE_COLUMNS = ("serial", "form", "version", "channel", "source", "unit", "unit_recorded", "unit_name",
                       "unit_today", "unit_today_name", "unit_status", "date", "date_source", "submitted_at",
                       "source_files", "source_pages", "source_row", "batch", "flags", "review", "to_review",
                       "completeness", "missing_pages")
# ``faint``: "faint" where the scan found possibly faint writing (omr.scan.comments.CommentRead.faint).
EXPORT_COMMENT_COLUMNS = ("text_source", "crop", "flags", "faint")
# Endings of the export's per-question columns: a question id ending so would name another's column.
EXPORT_QUESTION_SUFFIXES = ("status", *EXPORT_COMMENT_COLUMNS)
