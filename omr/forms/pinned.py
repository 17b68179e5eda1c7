"""Pinned templates: forms designed elsewhere, whose box positions are given, not flowed.

A pinned template (written by ``omr template from-blank`` or ``omr template
import-omrchecker``) carries a ``pinned:`` section: per page, the blank
reference image the page is registered to, the page size in millimetres, and
numbered boxes and text frames ``[x, y, w, h]`` (mm from the reference's
top-left corner). Questions name their boxes by number, so a user regroups
and renames freely without touching a coordinate::

    pinned:
      marks: cross            # cross: an X or tick; fill: the filled bubble is the answer
      pages:
        - page: 1
          reference: phieu-abc/page-1.png   # relative to the template file
          width: 210.0
          height: 297.0
          anchor: features    # how a scan is aligned: features | page | markers | none
          shape: square       # square boxes or round bubbles
          boxes: {1: [20.0, 40.0, 5.0, 5.0], 2: [40.0, 40.0, 5.0, 5.0]}
          frames: {1: [15.0, 200.0, 180.0, 40.0]}
    groups:
      - id: A
        title: Câu hỏi
        questions:
          - {id: Q1, text: Giới tính, type: single,
             options: [{code: "1", label: Nam, box: 1}, {code: "2", label: Nữ, box: 2}]}
          - {id: Q2, text: Mức độ hài lòng, type: scale, boxes: [3, 4, 5, 6, 7]}
          - {id: Y1, text: Góp ý, type: text, frame: 1}

Two settings of the template itself say what the pages and boxes make together
(issue #16; docs/templates.md, "Forms designed elsewhere")::

    join: page_order              # pages 1, 2, .. n consecutive in a batch are one response (the default)
    join: {serial_field: [SBD1, SBD2]}   # a number written on each page, one question or label per page
    join: cover_sheet             # page 1 is a cover: it starts a response, the pages after it join it
    join: {cover_sheet: MA}       # the same, the cover's number MA (a question or label) is the serial
    labels:                       # values joined from several questions (OMRChecker's customLabels)
      Roll: [roll1, roll2, roll3]
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from omr.model import BLANK, COVER_SHEET, JOIN_MODES, MISSING_PAGE, OK, PAGE_ORDER, PART_REVIEW, SERIAL_FIELD

MARK_STYLES = ("cross", "fill")
ANCHORS = ("features", "page", "markers", "none")
SHAPES = ("square", "round")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _rects(doc, mapping, where: str, page: dict, kind: str) -> dict[int, tuple[float, float, float, float]]:
    raw = page.get(kind, {}) or {}
    if not isinstance(raw, dict):
        raise doc.error(doc.line_of_key(page, kind), where + kind, "phải là bảng: số thứ tự → [x, y, w, h]")
    found = {}
    for number, rect in raw.items():
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise doc.error(doc.line_of_key(page, kind), f"{where}{kind}.{number}", "số thứ tự phải là số nguyên dương")
        if not (isinstance(rect, list) and len(rect) == 4 and all(_number(v) for v in rect)
                and rect[2] > 0 and rect[3] > 0):
            raise doc.error(doc.line_of(rect, doc.line_of_key(page, kind)), f"{where}{kind}.{number}",
                            "cần [x, y, rộng, cao] tính bằng mm, rộng và cao lớn hơn 0")
        found[number] = tuple(float(v) for v in rect)
    return found


def check_pinned(doc, data: dict, groups) -> dict:
    """Validate the ``pinned`` section against the questions; return it normalised.

    The result: ``marks``, ``pages`` (each with ``boxes``/``frames`` by number)
    and ``assign`` (box number → (question id, option code)) and
    ``frames_of`` (frame number → question id).
    """
    raw = data["pinned"]
    line = doc.line_of_key(data, "pinned")
    if not isinstance(raw, dict):
        raise doc.error(line, "pinned", "phải là một bảng (marks, pages)")
    unknown = set(raw) - {"marks", "pages"}
    if unknown:
        raise doc.error(line, "pinned." + sorted(unknown)[0], "trường không được biết; các trường hợp lệ: marks, pages")
    marks = raw.get("marks", "cross")
    if marks not in MARK_STYLES:
        raise doc.error(line, "pinned.marks", "chọn cross (đánh dấu X) hoặc fill (tô kín)")
    pages_raw = raw.get("pages")
    if not isinstance(pages_raw, list) or not pages_raw:
        raise doc.error(line, "pinned.pages", "cần danh sách các trang, mỗi trang có ảnh mẫu trắng và các ô")
    pages, box_page, frame_page = [], {}, {}
    allowed = {"page", "reference", "width", "height", "anchor", "marker", "marker_ratio", "shape", "boxes", "frames",
               "printed_check"}
    for pi, page in enumerate(pages_raw):
        where = f"pinned.pages[{pi}]."
        pline = doc.line_of(page, line) if isinstance(page, (dict, list)) else line
        if not isinstance(page, dict):
            raise doc.error(pline, where.rstrip("."), "phải là một bảng")
        for key in page:
            if key not in allowed:
                raise doc.error(doc.line_of_key(page, key), where + key,
                                "trường không được biết; các trường hợp lệ: " + ", ".join(sorted(allowed)))
        number = page.get("page", pi + 1)
        if number != pi + 1:
            raise doc.error(pline, where + "page", f"các trang phải đánh số liên tiếp từ 1 (cần {pi + 1})")
        reference = page.get("reference")
        if not isinstance(reference, str) or not reference:
            raise doc.error(pline, where + "reference", "cần đường dẫn ảnh mẫu trắng (PNG) của trang")
        if Path(reference).is_absolute() or ".." in Path(reference).parts:
            raise doc.error(pline, where + "reference", "đường dẫn phải nằm trong thư mục mẫu phiếu")
        width, height = page.get("width"), page.get("height")
        if not (_number(width) and _number(height) and width > 0 and height > 0):
            raise doc.error(pline, where + "width", "cần width và height (mm) lớn hơn 0")
        anchor = page.get("anchor", "features")
        if anchor not in ANCHORS:
            raise doc.error(pline, where + "anchor", "chọn một trong: " + ", ".join(ANCHORS))
        marker = page.get("marker")
        if anchor == "markers" and not isinstance(marker, str):
            raise doc.error(pline, where + "marker", "cần ảnh dấu góc khi anchor là markers")
        # Checked as the reference is: the web editor copies both into its drafts and versions.
        if marker is not None and (not isinstance(marker, str) or not marker or Path(marker).is_absolute()
                                   or ".." in Path(marker).parts):
            raise doc.error(pline, where + "marker", "đường dẫn ảnh dấu góc phải nằm trong thư mục mẫu phiếu")
        marker_ratio = page.get("marker_ratio", 17)
        if not _number(marker_ratio) or marker_ratio <= 1:
            raise doc.error(pline, where + "marker_ratio", "tỉ lệ chiều rộng trang / dấu góc phải lớn hơn 1")
        shape = page.get("shape", "square")
        if shape not in SHAPES:
            raise doc.error(pline, where + "shape", "chọn square (ô vuông) hoặc round (ô tròn)")
        # Whether each box's printed outline is checked where it is read (#16): on unless the boxes are
        # not drawn from the print (an OMRChecker template's bubble areas).
        printed_check = page.get("printed_check", True)
        if not isinstance(printed_check, bool):
            raise doc.error(pline, where + "printed_check", "chọn true hoặc false")
        boxes = _rects(doc, data, where, page, "boxes")
        frames = _rects(doc, data, where, page, "frames")
        for n in boxes:
            if n in box_page:
                raise doc.error(pline, f"{where}boxes.{n}", f"ô số {n} đã có ở trang {box_page[n]}")
            box_page[n] = pi + 1
        for n in frames:
            if n in frame_page:
                raise doc.error(pline, f"{where}frames.{n}", f"khung số {n} đã có ở trang {frame_page[n]}")
            frame_page[n] = pi + 1
        pages.append({"page": pi + 1, "reference": reference, "width": float(width), "height": float(height),
                      "anchor": anchor, "marker": marker,
                      "marker_ratio": float(marker_ratio), "shape": shape, "boxes": boxes, "frames": frames,
                      "printed_check": printed_check})

    assign: dict[int, tuple[str, str]] = {}
    frames_of: dict[int, str] = {}
    questions = [q for g in groups for q in g.questions]
    raw_questions = [q for g in data["groups"] for q in g["questions"]]
    for question, qraw in zip(questions, raw_questions):
        qline = doc.line_of(qraw)
        if question.type == "date":
            raise doc.error(qline, f"{question.id}.type", "mẫu phiếu ghim vị trí chưa hỗ trợ câu loại date; "
                            "dùng single cho từng chữ số")
        if question.type == "text":
            frame = qraw.get("frame")
            if frame not in frame_page:
                raise doc.error(qline, f"{question.id}.frame", "cần số khung viết (frames) có trong pinned")
            if frame in frames_of:
                raise doc.error(qline, f"{question.id}.frame", f"khung số {frame} đã dùng cho câu {frames_of[frame]}")
            frames_of[frame] = question.id
            continue
        if "boxes" in qraw:
            numbers = qraw["boxes"]
            if not isinstance(numbers, list) or len(numbers) != len(question.options):
                raise doc.error(qline, f"{question.id}.boxes",
                                f"cần danh sách {len(question.options)} số ô, theo thứ tự các lựa chọn")
        else:
            numbers = [o.get("box") for o in qraw.get("options", [])]
            if len(numbers) != len(question.options):  # scale/yesno options are built in
                raise doc.error(qline, f"{question.id}.boxes",
                                f"câu loại «{question.type}» cần boxes: danh sách {len(question.options)} số ô")
        pages_of_question = set()
        for option, n in zip(question.options, numbers):
            if n not in box_page:
                raise doc.error(qline, f"{question.id}.{option.code}",
                                f"cần số ô (box) có trong pinned; «{n}» không có")
            if n in assign:
                raise doc.error(qline, f"{question.id}.{option.code}", f"ô số {n} đã dùng cho câu {assign[n][0]}")
            assign[n] = (question.id, option.code)
            pages_of_question.add(box_page[n])
        if len(pages_of_question) > 1:
            raise doc.error(qline, question.id, "các ô của một câu hỏi phải cùng một trang")
    return {"marks": marks, "pages": pages, "assign": assign, "frames_of": frames_of}


def reject_positions(doc, data: dict) -> None:
    """Box numbers belong to pinned templates only: a flowed form has no numbered boxes."""
    for group in data.get("groups", []) if isinstance(data.get("groups"), list) else []:
        for qraw in group.get("questions", []) if isinstance(group, dict) else []:
            if not isinstance(qraw, dict):
                continue
            options = qraw.get("options") if isinstance(qraw.get("options"), list) else []
            if "boxes" in qraw or "frame" in qraw or any(isinstance(o, dict) and "box" in o for o in options):
                raise doc.error(doc.line_of(qraw), str(qraw.get("id", "?")),
                                "số ô (box/boxes/frame) chỉ dùng trong mẫu phiếu có mục pinned")


LABEL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")


def check_labels(doc, data: dict, groups) -> dict[str, tuple[str, ...]]:
    """Validate ``labels``: name → the questions whose values join into it, in order.

    A label is a column of its own in exports (OMRChecker's ``customLabels``:
    a roll number bubbled one digit per column). Its name may not be a
    question id; its parts are choice questions of the template, each in one
    label at most. Raises TemplateError naming the line.
    """
    raw = data.get("labels")
    if raw is None:
        return {}
    line = doc.line_of_key(data, "labels")
    if not isinstance(raw, dict):
        raise doc.error(line, "labels", "phải là bảng: tên → danh sách mã câu hỏi được ghép")
    questions = {q.id: q for g in groups for q in g.questions}
    found: dict[str, tuple[str, ...]] = {}
    used: dict[str, str] = {}
    for name, parts in raw.items():
        where = f"labels.{name}"
        if not isinstance(name, str) or not LABEL_NAME.fullmatch(name):
            raise doc.error(line, where, "tên phải bắt đầu bằng chữ cái, chỉ gồm chữ không dấu, số và '_'")
        if name in questions:
            raise doc.error(line, where, f"trùng mã câu hỏi {name}; đặt tên khác")
        if not isinstance(parts, list) or not parts:
            raise doc.error(doc.line_of(parts, line), where, "cần danh sách các mã câu hỏi được ghép, theo thứ tự")
        for part in parts:
            if part not in questions:
                raise doc.error(doc.line_of(parts, line), where, f"không có câu hỏi «{part}»")
            if questions[part].type in ("text", "date"):
                raise doc.error(doc.line_of(parts, line), where, f"câu {part} không phải câu chọn ô")
            if part in used:
                raise doc.error(doc.line_of(parts, line), where, f"câu {part} đã thuộc nhãn {used[part]}")
            used[part] = name
        found[name] = tuple(parts)
    return found


def question_pages(pinned: dict) -> dict[str, int]:
    """Question id → its page number (1-based) in a checked ``pinned`` section."""
    out: dict[str, int] = {}
    for page in pinned["pages"]:
        for number in page["boxes"]:
            if number in pinned["assign"]:
                out[pinned["assign"][number][0]] = page["page"]
        for number in page["frames"]:
            if number in pinned["frames_of"]:
                out[pinned["frames_of"][number]] = page["page"]
    return out


def check_join(doc, data: dict, pinned: dict | None, labels: dict[str, tuple[str, ...]]) -> dict | None:
    """Validate ``join``: how the pages of a multi-page form without omr's serials make one response.

    Returns ``{"mode": PAGE_ORDER}``, ``{"mode": SERIAL_FIELD, "fields":
    [one question or label per page]}`` or ``{"mode": COVER_SHEET, "id": a
    question or label on page 1, or None}``; the default for a pinned form
    of several pages is PAGE_ORDER, for one page None (nothing to join).
    Only pinned templates take it: omr's own forms join by their QR serials.
    Raises TemplateError naming the line.
    """
    if "join" not in data:
        return {"mode": PAGE_ORDER} if pinned is not None and len(pinned["pages"]) > 1 else None
    line = doc.line_of_key(data, "join")
    raw = data["join"]
    if pinned is None:
        raise doc.error(line, "join", "chỉ dùng cho mẫu phiếu có mục pinned; phiếu của omr ghép trang theo mã QR")
    choices = "chọn page_order, cover_sheet, {cover_sheet: MÃ}, hoặc {serial_field: [MÃ trang 1, MÃ trang 2, …]}"
    if isinstance(raw, str):
        if raw == PAGE_ORDER:
            return {"mode": PAGE_ORDER}
        if raw == COVER_SHEET:
            return {"mode": COVER_SHEET, "id": None}
        raise doc.error(line, "join", choices)
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in JOIN_MODES:
        raise doc.error(line, "join", choices)
    mode, value = next(iter(raw.items()))
    on_page = question_pages(pinned)

    def page_of(name: str, where: str) -> int:
        if name in labels:
            found = {on_page.get(part) for part in labels[name]}
            if len(found) != 1:
                raise doc.error(line, where, f"các câu của nhãn {name} phải cùng một trang")
            return found.pop()
        if name not in on_page:
            raise doc.error(line, where, f"không có câu hỏi hay nhãn (labels) «{name}» gắn với ô nào")
        return on_page[name]

    if mode == PAGE_ORDER:
        if value not in (None, True):
            raise doc.error(line, "join.page_order", "không nhận giá trị; viết join: page_order")
        return {"mode": PAGE_ORDER}
    if mode == COVER_SHEET:
        if value is None:
            return {"mode": COVER_SHEET, "id": None}
        if not isinstance(value, str) or page_of(value, "join.cover_sheet") != 1:
            raise doc.error(line, "join.cover_sheet", "cần mã câu hỏi hay nhãn ghi số phiếu, nằm ở trang 1 (trang bìa)")
        return {"mode": COVER_SHEET, "id": value}
    fields = [value] if isinstance(value, str) else value
    if not isinstance(fields, list) or len(fields) != len(pinned["pages"]) or \
            not all(isinstance(f, str) for f in fields):
        raise doc.error(line, "join.serial_field",
                        f"cần danh sách {len(pinned['pages'])} mã câu hỏi hay nhãn, mỗi trang một, theo thứ tự trang")
    for number, name in enumerate(fields, start=1):
        if page_of(name, "join.serial_field") != number:
            raise doc.error(line, "join.serial_field", f"«{name}» không nằm ở trang {number}")
    return {"mode": SERIAL_FIELD, "fields": fields}


def joined_value(parts: list[tuple[object, str | None]]) -> tuple[str | None, str]:
    """One value from several questions' (value, status), in order: (text, status).

    Every part read ``ok`` with one code: the codes concatenated and ``ok``
    (roll digits 0,1,9,0 → "0190"). Every part blank: (None, ``blank``). A part
    on a page that never arrived: (None, ``missing_page``). Anything else (a
    blank digit among others, two marks, an unsure mark, a part never read):
    (None, PART_REVIEW), never a partial number marked ok.
    """
    statuses = [status for _, status in parts]
    if statuses and all(status == BLANK for status in statuses):
        return None, BLANK
    if MISSING_PAGE in statuses:
        return None, MISSING_PAGE
    codes = []
    for value, status in parts:
        if isinstance(value, (list, tuple)):
            value = value[0] if len(value) == 1 else None
        if status != OK or value is None or str(value) == "":
            return None, PART_REVIEW
        codes.append(str(value))
    return ("".join(codes), OK) if codes else (None, PART_REVIEW)


def serial_of_value(text: str) -> int:
    """A response serial from a number read on the form: the number itself when it fits
    (digits, at most 9: an INTEGER column of every database), else a stable hash (< 2**28)."""
    if text.isdigit() and len(text) <= 9:
        return int(text)
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:7], 16)


# A form designed elsewhere carries no serial: omr gives each page one from its image hash
# (omr.scan.register.pinned_identity). Wherever a person sees such a number it is shown with this
# prefix, so that nobody looks for it on the paper; the stored number is unchanged.
ASSIGNED_SERIAL_PREFIX = "omr-"
ASSIGNED_SERIAL_NOTE = "số do omr tự đặt vì phiếu không in số, không ghi trên tờ phiếu"


def hash_serial(image_sha256: str) -> int:
    """The serial omr assigns a page without one: the first 28 bits of its image's SHA-256 (< 2**28)."""
    return int(image_sha256[:7], 16)


def is_assigned_serial(serial: int | None, image_sha256s) -> bool:
    """True when ``serial`` is the number omr assigned from one of these page images (not one printed or written)."""
    return serial is not None and any(s and hash_serial(s) == serial for s in image_sha256s)


def shown_serial(serial: int | None, assigned: bool, digits: int = 6) -> str:
    """A serial as people read it: zero-padded, with ``ASSIGNED_SERIAL_PREFIX`` when omr assigned it."""
    if serial is None:
        return ""
    return f"{ASSIGNED_SERIAL_PREFIX}{serial}" if assigned else str(serial).zfill(digits)

