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
"""

from __future__ import annotations

from pathlib import Path

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
