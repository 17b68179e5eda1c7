"""A template from a blank form designed elsewhere (``omr template from-blank``).

Offices print their own survey forms from Word. From a blank copy (PDF or
image) this finds the checkboxes (squares and round bubbles) and the text
frames, groups the boxes into questions (a row of boxes is a question, or a
column with ``--group columns``), and writes a pinned template
(:mod:`omr.forms.pinned`): the boxes' positions in mm on the blank, which becomes the
reference image scans are registered to (:mod:`omr.scan.register`), plus a preview
PNG with every box numbered so the user can name the questions and options.

Sizes are in millimetres: a PDF page knows its size; an image is taken to be
an A4 page (210 mm wide in portrait, 297 mm in landscape) unless told.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from omr import tuning as T
from omr.errors import InputFileError
from omr.scan.ingest import PageLoader, count_pages
from omr.scan.ocr import OcrUnavailable
from omr.template_from.boxes import find_boxes, ink_of
from omr.template_from.printed import read_words
from omr.template_from.questions import group_by_print

REFERENCE_PX_PER_MM = 6.0  # ~150 dpi: plenty for registration, small files


@dataclass
class Found:
    kind: str  # square | round | frame
    x: float  # mm, top-left
    y: float
    w: float
    h: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)


# --- detection ----------------------------------------------------------------

def detect(grey: np.ndarray, px_per_mm: float) -> list[Found]:
    """Checkboxes, round bubbles and text frames on a blank page (mm, page top-left)."""
    binary = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                   int(px_per_mm * 4) | 1, 15)
    contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    found: list[Found] = []
    lo, hi = T.BLANK_BOX_MM
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        wm, hm = w / px_per_mm, h / px_per_mm
        area = cv2.contourArea(contour)
        if area <= 0:
            continue
        perimeter = cv2.arcLength(contour, True)
        inner = _inner_dark_share(binary, x, y, w, h)
        if lo <= wm <= hi and lo <= hm <= hi and 0.7 <= wm / hm <= 1.45 and inner < T.BLANK_BOX_MAX_INNER_INK:
            # A square fills ~all of its bounding box, a circle pi/4 (0.785) of it.
            extent = area / (w * h)
            circularity = 4 * np.pi * area / (perimeter * perimeter)
            if extent > 0.86 and len(cv2.approxPolyDP(contour, 0.06 * perimeter, True)) == 4:
                found.append(Found("square", x / px_per_mm, y / px_per_mm, wm, hm))
            elif circularity > T.BLANK_BUBBLE_MIN_CIRCULARITY and 0.65 < extent < 0.86:
                found.append(Found("round", x / px_per_mm, y / px_per_mm, wm, hm))
        elif wm >= T.BLANK_FRAME_MIN_MM[0] and hm >= T.BLANK_FRAME_MIN_MM[1] and inner < 0.05:
            approx = cv2.approxPolyDP(contour, 0.02 * perimeter, True)
            if len(approx) == 4 and area > 0.9 * w * h:
                found.append(Found("frame", x / px_per_mm, y / px_per_mm, wm, hm))
    return _deduplicate(found)


def _inner_dark_share(binary: np.ndarray, x: int, y: int, w: int, h: int) -> float:
    """Share of ink inside a shape, away from its outline (a checkbox is empty, a bullet solid)."""
    mx, my = max(2, w // 4), max(2, h // 4)
    inside = binary[y + my:y + h - my, x + mx:x + w - mx]
    return float(inside.mean() / 255) if inside.size else 1.0


def _deduplicate(found: list[Found]) -> list[Found]:
    """An outline has an outer and an inner contour; a frame's inside may hold a box: keep one each."""
    kept: list[Found] = []
    for f in sorted(found, key=lambda f: -f.w * f.h):
        cx, cy = f.centre
        if any(abs(cx - k.centre[0]) < k.w / 2 and abs(cy - k.centre[1]) < k.h / 2 and k.kind == f.kind
               for k in kept):
            continue
        kept.append(f)
    frames = [f for f in kept if f.kind == "frame"]
    # A frame that holds checkboxes is a table or a box around a question, not a place to write.
    boxes = [f for f in kept if f.kind != "frame"]
    frames = [fr for fr in frames if not any(fr.x <= b.centre[0] <= fr.x + fr.w and fr.y <= b.centre[1] <= fr.y + fr.h
                                             for b in boxes)]
    return sorted(boxes, key=lambda f: (round(f.y), f.x)) + sorted(frames, key=lambda f: (f.y, f.x))


# --- grouping -------------------------------------------------------------------

def group_boxes(boxes: list[Found], by: str = "rows") -> list[list[int]]:
    """Indices of ``boxes`` grouped into questions: rows (split at wide gaps) or columns."""
    if not boxes:
        return []
    along, across = (1, 0) if by == "rows" else (0, 1)  # rows: same y, ordered by x
    centres = np.array([b.centre for b in boxes])
    size = float(np.median([max(b.w, b.h) for b in boxes]))
    order = np.argsort(centres[:, along])
    lines: list[list[int]] = []
    for i in order:
        if lines and abs(centres[i, along] - np.mean(centres[lines[-1], along])) < 0.6 * size:
            lines[-1].append(int(i))
        else:
            lines.append([int(i)])
    groups = []
    for line in lines:
        line.sort(key=lambda i: centres[i, across])
        gaps = np.diff(centres[line, across])
        limit = max(T.BLANK_QUESTION_GAP_MM, 2.5 * float(np.median(gaps))) if len(gaps) else 0
        current = [line[0]]
        for i, gap in zip(line[1:], gaps):
            if gap > limit:
                groups.append(current)
                current = []
            current.append(i)
        groups.append(current)
    return _merge_lone(groups, centres, size, along, across)


def _merge_lone(groups: list[list[int]], centres: np.ndarray, size: float, along: int,
                across: int) -> list[list[int]]:
    """Options listed one per line (a common Word layout) are one question: lone boxes
    stacked at the same indent, line after line, merge."""
    merged: list[list[int]] = []
    for group in groups:
        if len(group) == 1 and merged:
            last = merged[-1][-1]
            stacked = abs(centres[group[0], across] - centres[last, across]) < 0.5 * size
            close = 0 < centres[group[0], along] - centres[last, along] < T.BLANK_STACK_MAX_MM
            single_column = all(abs(centres[i, across] - centres[last, across]) < 0.5 * size for i in merged[-1])
            if stacked and close and single_column:
                merged[-1].append(group[0])
                continue
        merged.append(list(group))
    return merged


# --- template writing -------------------------------------------------------------

def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def write_pinned_template(out: Path, form_id: str, title: str, pages: list[dict], groups: list[dict],
                          marks: str = "cross", note: str = "") -> None:
    """Write a pinned template YAML that a person can read and edit.

    ``pages``: reference, width, height, anchor, shape, boxes {n: rect}, frames
    {n: rect} (and marker, marker_ratio); ``groups``: id, title, questions with
    id, text, type and options [(code, label, box)] or frame.
    """
    lines = [f"# {note}" if note else "# Mẫu phiếu ghim vị trí ô (pinned)",
             "# Sửa tên câu hỏi (text), mã và nhãn lựa chọn (code, label); số ô (box) khớp với ảnh xem trước.",
             "# Có thể gộp, tách, xoá câu hỏi; không cần sửa toạ độ trong mục pinned.",
             f"form: {form_id}", "version: 1", f"title: {_q(title)}", f"max_pages: {len(pages)}",
             "pinned:", f"  marks: {marks}", "  pages:"]
    for i, page in enumerate(pages, start=1):
        lines += [f"    - page: {i}", f"      reference: {_q(page['reference'])}",
                  f"      width: {page['width']}", f"      height: {page['height']}",
                  f"      anchor: {page.get('anchor', 'features')}", f"      shape: {page.get('shape', 'square')}"]
        if page.get("marker"):
            lines += [f"      marker: {_q(page['marker'])}", f"      marker_ratio: {page.get('marker_ratio', 17)}"]
        for kind in ("boxes", "frames"):
            items = page.get(kind, {})
            if not items:
                lines.append(f"      {kind}: {{}}")
                continue
            lines.append(f"      {kind}:  # số: [x, y, rộng, cao] mm từ góc trên bên trái")
            lines += [f"        {n}: [{', '.join(f'{v:.2f}' for v in rect)}]" for n, rect in sorted(items.items())]
    lines.append("groups:")
    for group in groups:
        lines += [f"  - id: {group['id']}", f"    title: {_q(group['title'])}", "    questions:"]
        for q in group["questions"]:
            lines += [f"      - id: {q['id']}", f"        text: {_q(q['text'])}", f"        type: {q['type']}"]
            if q["type"] == "text":
                lines.append(f"        frame: {q['frame']}")
                continue
            lines.append("        options:")
            lines += [f"          - {{code: {_q(code)}, label: {_q(label)}, box: {box}}}"
                      for code, label, box in q["options"]]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _pages_of(path: Path, page_width_mm: float | None) -> list[tuple[np.ndarray, float]]:
    """(grey image, px per mm) of every page of a blank form file."""
    loader = PageLoader()
    pages = []
    try:
        for index in range(count_pages(path)):
            raw = loader.load(path, index)
            if raw.image is None:
                raise InputFileError(f"{path}, trang {index + 1}: {raw.error.message if raw.error else 'không đọc được'}")
            grey = raw.image
            if page_width_mm:
                width_mm = page_width_mm
            elif path.suffix.lower() == ".pdf":
                import pypdfium2  # lazy: a heavy dependency, loaded only where used

                pdf = pypdfium2.PdfDocument(str(path))
                try:
                    width_mm = pdf[index].get_size()[0] * 25.4 / 72
                finally:
                    pdf.close()
            else:
                width_mm = T.PAGE_WIDTH if grey.shape[0] >= grey.shape[1] else T.PAGE_HEIGHT
            pages.append((grey, grey.shape[1] / width_mm))
    finally:
        loader.close()
    return pages


def from_blank(blank: str | Path, output: str | Path, group_by: str = "rows",
               page_width_mm: float | None = None) -> dict:
    """Detect, group and write the template, the reference image(s) and the preview(s)."""
    blank, out = Path(blank), Path(output)
    if not blank.is_file():
        raise InputFileError(f"Không tìm thấy tệp phiếu trắng: {blank}")
    form_id = re.sub(r"[^a-z0-9-]+", "-", out.stem.lower()).strip("-") or "phieu"
    asset_dir = out.parent / form_id
    asset_dir.mkdir(parents=True, exist_ok=True)
    pages, groups, previews = [], [], []
    box_number = frame_number = question_number = 0
    for page_no, (grey, px_per_mm) in enumerate(_pages_of(blank, page_width_mm), start=1):
        found = detect(grey, px_per_mm)
        boxes = [f for f in found if f.kind != "frame"]
        frames = [f for f in found if f.kind == "frame"]
        numbers = {}
        box_rects, frame_rects = {}, {}
        for i, b in enumerate(boxes):
            box_number += 1
            numbers[i] = box_number
            box_rects[box_number] = (b.x, b.y, b.w, b.h)
        questions = []
        for members in group_boxes(boxes, group_by):
            question_number += 1
            options = [(str(k), f"Ô {numbers[i]}", numbers[i]) for k, i in enumerate(members, start=1)]
            questions.append({"id": f"Q{question_number}", "text": f"Câu {question_number} (đặt tên)",
                              "type": "single" if len(members) > 1 else "multiple", "options": options})
        frame_labels = []
        for f in frames:
            frame_number += 1
            frame_rects[frame_number] = (f.x, f.y, f.w, f.h)
            questions.append({"id": f"Y{frame_number}", "text": f"Ý kiến {frame_number} (đặt tên)", "type": "text",
                              "frame": frame_number})
            frame_labels.append((frame_number, f))
        reference = cv2.resize(grey, (int(round(grey.shape[1] / px_per_mm * REFERENCE_PX_PER_MM)),
                                      int(round(grey.shape[0] / px_per_mm * REFERENCE_PX_PER_MM))),
                               interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(asset_dir / f"page-{page_no}.png"), reference)
        kinds = {b.kind for b in boxes}
        pages.append({"reference": f"{form_id}/page-{page_no}.png", "width": round(grey.shape[1] / px_per_mm, 2),
                      "height": round(grey.shape[0] / px_per_mm, 2), "anchor": "features",
                      "shape": "round" if kinds == {"round"} else "square", "boxes": box_rects,
                      "frames": frame_rects})
        if questions:
            groups.append({"id": f"P{page_no}", "title": f"Trang {page_no}", "questions": questions})
        preview = asset_dir / f"preview-{page_no}.png"
        render_preview(reference, REFERENCE_PX_PER_MM, boxes, [numbers[i] for i in range(len(boxes))], frame_labels,
                       questions, preview)
        previews.append(str(preview))
    if box_number == 0 and frame_number == 0:
        raise InputFileError(f"{blank}: không tìm thấy ô đánh dấu hay khung viết nào trên phiếu trắng")
    title = f"Phiếu {blank.stem}"
    write_pinned_template(out, form_id, title, pages, groups, marks="cross",
                          note=f"Tạo từ phiếu trắng {blank.name} bởi omr template from-blank")
    return {"output": str(out), "boxes": box_number, "frames": frame_number, "questions": question_number,
            "pages": len(pages), "previews": previews, "form_id": form_id}


def render_preview(reference: np.ndarray, px_per_mm: float, boxes: list[Found], numbers: list[int],
                   frames: list[tuple[int, Found]], questions: list[dict], out: Path) -> None:
    """The blank page with every found box outlined and numbered, each question in its own colour."""
    canvas = cv2.cvtColor(reference, cv2.COLOR_GRAY2BGR)
    palette = [(200, 30, 30), (30, 140, 30), (30, 30, 200), (160, 0, 160), (0, 130, 170)]
    colour_of = {}
    for qi, q in enumerate(questions):
        for _, _, n in q.get("options", []):
            colour_of[n] = palette[qi % len(palette)]
    for b, n in zip(boxes, numbers):
        p0 = (int(b.x * px_per_mm), int(b.y * px_per_mm))
        p1 = (int((b.x + b.w) * px_per_mm), int((b.y + b.h) * px_per_mm))
        colour = colour_of.get(n, (0, 0, 255))
        cv2.rectangle(canvas, p0, p1, colour, 2)
        cv2.putText(canvas, str(n), (p1[0] + 2, p0[1] + 2), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)
    for n, f in frames:
        p0 = (int(f.x * px_per_mm), int(f.y * px_per_mm))
        p1 = (int((f.x + f.w) * px_per_mm), int((f.y + f.h) * px_per_mm))
        cv2.rectangle(canvas, p0, p1, (0, 120, 255), 2)
        cv2.putText(canvas, f"K{n}", (p0[0] + 4, p0[1] + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 120, 255), 2,
                    cv2.LINE_AA)
    cv2.imwrite(str(out), canvas)


# --- issue #16: the new finder, page by page -------------------------------------------------------

@dataclass
class PageFinding:
    """What was found on one blank page: ``found`` (boxes, then frames; mm), the printed ``words``
    (empty when Tesseract is unavailable), and ``groups`` (indices of boxes per question)."""

    found: list
    words: list
    groups: list[list[int]] | None = None
    questions: list = field(default_factory=list)


def detect_page(grey: np.ndarray, px_per_mm: float, read_text: bool = True, group_by: str = "rows") -> PageFinding:
    """Find the boxes of one blank page, read its print and group the boxes into questions by it.

    Args:
        grey: the blank page (grey uint8), 150-300 dpi.
        px_per_mm: its scale.
        read_text: read the printed text with Tesseract (labels, letters told from boxes); when False or
            when Tesseract is unavailable, boxes are found and grouped by geometry alone.
        group_by: ``rows`` or ``columns`` (see :func:`omr.template_from.questions.group_by_print`).
    """
    words: list = []
    if read_text:
        try:
            words = read_words(grey, px_per_mm)
        except OcrUnavailable:
            words = []
    ink = ink_of(grey, px_per_mm)
    found = find_boxes(grey, px_per_mm, words)
    boxes = [f for f in found if f.kind != "frame"]
    questions = group_by_print(boxes, words, ink, px_per_mm, group_by)
    return PageFinding(found, words, [q.boxes for q in questions], questions)
