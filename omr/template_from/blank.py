"""A template from a blank form designed elsewhere (``omr template from-blank``).

Offices print their own survey forms from Word. From a blank copy (PDF or
image) this finds the boxes (squares, round and lettered bubbles, table and
comb cells: :mod:`omr.template_from.boxes`) and the writing frames, reads the
printed text once (:mod:`omr.template_from.printed`, Tesseract), groups the
boxes into questions by the print and labels them from it
(:mod:`omr.template_from.questions`), and writes a pinned template
(:mod:`omr.forms.pinned`): the boxes' positions in mm on the blank, which
becomes the reference image scans are registered to (:mod:`omr.scan.register`),
the question and option labels as printed (for the user to check, not to
type), plus a preview PNG with every box numbered.

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
from omr.forms.geometry import TextRegion
from omr.forms.template import find_template
from omr.scan.comments import BlankPrint
from omr.scan.identify import decode_qr
from omr.scan.ingest import PageLoader, count_pages
from omr.scan.ocr import OcrUnavailable
from omr.template_from.boxes import Found, find_boxes, ink_of
from omr.template_from.printed import read_circled, read_label, read_pdf_words, read_words
from omr.template_from.questions import group_by_print, number_fields
from omr.text.normalise import fold

REFERENCE_PX_PER_MM = 6.0  # ~150 dpi: plenty for registration, small files


# --- finding and grouping: omr.template_from.boxes (shapes), .printed (text), .questions (grouping) -----


# --- template writing -------------------------------------------------------------

def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def write_pinned_template(out: Path, form_id: str, title: str, pages: list[dict], groups: list[dict],
                          marks: str = "cross", note: str = "", version: int = 1,
                          labels: dict[str, list[str]] | None = None, join: dict | None = None,
                          standard: dict | None = None) -> None:
    """Write a pinned template YAML that a person can read and edit.

    ``pages``: reference, width, height, anchor, shape, boxes {n: rect}, frames
    {n: rect} (and marker, marker_ratio); ``groups``: id, title, questions with
    id, text, type and options [(code, label, box)] or frame. Every text is written
    JSON-quoted (a valid YAML double-quoted string, whatever it holds), ids and codes too
    (``no``, ``on``, ``null``, ``0x1f`` stay strings, never YAML's booleans or numbers);
    they are the caller's to check (omr.forms.template patterns), as ``load_template`` does after.
    ``version``: the template version (a new one for every saved change, see omr.web.template_drafts).
    ``labels``: name -> question ids whose values an export joins (omr.forms.pinned.check_labels);
    ``join``: how pages join (omr.forms.pinned.check_join's result; a program
    rewriting a template passes its ``extra["join"]`` and ``extra["labels"]``
    so that neither is lost). A form of several pages without ``join`` gets
    ``join: page_order``, the default, written out so that a person sees where
    to change it (docs/templates.md).
    ``standard``: links of questions to the standard survey's (omr.forms.links.check_standard's result),
    written after the groups.
    """
    lines = [f"# {note}" if note else "# Mẫu phiếu ghim vị trí ô (pinned)",
             "# Sửa tên câu hỏi (text), mã và nhãn lựa chọn (code, label); số ô (box) khớp với ảnh xem trước.",
             "# Có thể gộp, tách, xoá câu hỏi; không cần sửa toạ độ trong mục pinned.",
             f"form: {_q(form_id)}", f"version: {int(version)}", f"title: {_q(title)}", f"max_pages: {len(pages)}",
             "pinned:", f"  marks: {marks}", "  pages:"]
    head = []
    if join and join["mode"] == "serial_field":
        head = [f"join: {{serial_field: [{', '.join(_q(f) for f in join['fields'])}]}}"]
    elif join and join["mode"] == "cover_sheet":
        head = [f"join: {{cover_sheet: {_q(join['id'])}}}" if join.get("id") else "join: cover_sheet"]
    elif len(pages) > 1:
        head = ["# Ghép các trang thành một phiếu: page_order (các trang 1, 2, … liền nhau trong đợt quét),",
                "# {serial_field: [MÃ trang 1, MÃ trang 2, …]} (số phiếu ghi trên từng trang)",
                "# hoặc cover_sheet (trang bìa).",
                "join: page_order"]
    if labels:
        head.append("labels:  # giá trị ghép từ nhiều câu (ví dụ số báo danh mỗi cột một chữ số)")
        head += [f"  {_q(name)}: [{', '.join(_q(p) for p in parts)}]" for name, parts in labels.items()]
    lines[-3:-3] = head
    for i, page in enumerate(pages, start=1):
        lines += [f"    - page: {i}", f"      reference: {_q(page['reference'])}",
                  f"      width: {page['width']}", f"      height: {page['height']}",
                  f"      anchor: {page.get('anchor', 'features')}", f"      shape: {page.get('shape', 'square')}"]
        if page.get("printed_check") is False:
            lines.append("      printed_check: false")
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
        lines += [f"  - id: {_q(group['id'])}", f"    title: {_q(group['title'])}", "    questions:"]
        for q in group["questions"]:
            lines += [f"      - id: {_q(q['id'])}", f"        text: {_q(q['text'])}", f"        type: {q['type']}"]
            if q["type"] == "text":
                lines.append(f"        frame: {q['frame']}")
                continue
            lines.append("        options:")
            lines += [f"          - {{code: {_q(code)}, label: {_q(label)}, box: {box}}}"
                      for code, label, box in q["options"]]
    if standard and standard.get("questions"):
        lines += ["# Câu nào của phiếu chuẩn mỗi câu trả lời (để báo cáo tính vào chỉ số),",
                  "# và mã chuẩn của từng lựa chọn.",
                  "standard:", f"  form: {_q(standard['form'])}", "  questions:"]
        for qid, link in standard["questions"].items():
            codes = ", ".join(f"{_q(k)}: {_q(v)}" for k, v in link["codes"].items())
            lines.append(f"    {_q(qid)}: {{question: {_q(link['question'])}, codes: {{{codes}}}}}")
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
                # The ingest's message already names the file and the page.
                raise InputFileError(raw.error.message if raw.error else f"{path}, trang {index + 1}: không đọc được")
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
               page_width_mm: float | None = None, read_text: bool = True, refuse_omr_forms: bool = False,
               templates: str | Path | None = None) -> dict:
    """Find, group and label the boxes of a blank form; write the template, reference image(s) and preview(s).

    Args:
        blank: the blank form (PDF, or an image taken to be A4 unless ``page_width_mm`` is given).
        output: the template YAML to write; its reference images go to ``<folder>/<form id>/``.
        group_by: ``rows`` (questions by the print) or ``columns`` (answer sheets).
        read_text: read the print (labels; letters told from boxes): from a PDF's own text layer when it
            has one (Word/LibreOffice exports), else with Tesseract.
        refuse_omr_forms: refuse one of omr's own printed forms: its template exists already (the template
            editor's upload, ``omr template from-blank``); off, it is read like any blank (the box-finding
            tests and bench read omr's standard blank, whose layout is the truth).
        templates: the templates folder where a refused form's template file is looked for, to name it in
            the message (the command line); None: the message sends to the editor's list of forms.

    Returns:
        A summary: output, boxes, frames, questions, pages, previews, form_id, and warnings (Vietnamese
        sentences for the person checking the template: a free-text question left without a frame).

    Raises:
        InputFileError: the file is missing or unreadable, no box nor frame is found on it, or (with
            ``refuse_omr_forms``) it is one of omr's own printed forms (its first page carries omr's QR code:
            :func:`omr_form_message`).
    """
    blank, out = Path(blank), Path(output)
    if not blank.is_file():
        raise InputFileError(f"Không tìm thấy tệp phiếu trắng: {blank}")
    form_id = re.sub(r"[^a-z0-9-]+", "-", out.stem.lower()).strip("-") or "phieu"
    asset_dir = out.parent / form_id  # made once a page is read: a refused blank leaves nothing behind
    pages, groups, previews = [], [], []
    labels: dict[str, list[str]] = {}  # number fields: a name -> the questions of its digits (pinned labels)
    box_number = frame_number = question_number = lettered = 0
    title = ""
    warnings: list[str] = []
    for page_no, (grey, px_per_mm) in enumerate(_pages_of(blank, page_width_mm), start=1):
        if page_no == 1 and refuse_omr_forms and (own := omr_form_message(grey, templates)):
            raise InputFileError(f"{blank}: {own}")
        layer = read_pdf_words(blank, page_no - 1) if read_text and blank.suffix.lower() == ".pdf" else None
        finding = detect_page(grey, px_per_mm, read_text=read_text, group_by=group_by, words=layer)
        if page_no == 1:
            title = _title_of(finding.words, finding.found)
        boxes = [f for f in finding.found if f.kind != "frame"]
        frames = [f for f in finding.found if f.kind == "frame"]
        numbers: dict[int, int] = {}
        box_rects, frame_rects = {}, {}
        questions, frame_labels = [], []
        shown_boxes: list = []
        own_id: dict[int, dict] = {}  # index in finding.questions -> its question here
        for index, q in enumerate(finding.questions):
            if q.comb:  # one written character per cell: the whole comb is one writing frame
                frame_number += 1
                cells = [boxes[i] for i in q.boxes]
                x0, y0 = min(c.x for c in cells), min(c.y for c in cells)
                x1, y1 = max(c.x + c.w for c in cells), max(c.y + c.h for c in cells)
                comb = Found("frame", x0, y0, x1 - x0, y1 - y0)
                frame_rects[frame_number] = (comb.x, comb.y, comb.w, comb.h)
                frame_labels.append((frame_number, comb))
                questions.append({"id": f"Y{frame_number}", "text": q.text or f"Ô viết {frame_number} (đặt tên)",
                                  "type": "text", "frame": frame_number})
                continue
            question_number += 1
            options = []
            for i, code, label in zip(q.boxes, q.codes, q.labels):
                box_number += 1
                numbers[i] = box_number
                b = boxes[i]
                box_rects[box_number] = (b.x, b.y, b.w, b.h)
                shown_boxes.append((b, box_number))
                lettered += b.kind == "round" and b.lettered
                options.append((code, label, box_number))
            questions.append({"id": f"Q{question_number}", "text": q.text or f"Câu {question_number} (đặt tên)",
                              "type": "multiple" if q.multiple else "single", "options": options})
            own_id[index] = questions[-1]
        for parts, name in number_fields(finding.questions, boxes, finding.words):
            members = [own_id[i] for i in parts if i in own_id]
            if len(members) == len(parts):
                labels[_label_name(name, labels, question_number)] = [m["id"] for m in members]
                _name_digits(members)
        page_w, page_h = grey.shape[1] / px_per_mm, grey.shape[0] / px_per_mm
        proposed, unframed = free_text_prompts(finding.words, finding.found, page_w, page_h)
        frames = frames + proposed
        warnings += [f"Trang {page_no}: câu «{text}» có vẻ là câu hỏi ghi ý kiến nhưng không tìm thấy khung viết "
                     "hay chỗ trống bên dưới; hãy vẽ khung viết cho câu này trong trình sửa mẫu, nếu không chữ viết "
                     "ở đó chỉ được đưa đi kiểm tra như «chữ viết ngoài các ô/khung»" for text in unframed]
        for f in frames:
            frame_number += 1
            frame_rects[frame_number] = (f.x, f.y, f.w, f.h)
            questions.append({"id": f"Y{frame_number}", "text": _frame_text(f, finding.words, boxes) or
                              f"Ý kiến {frame_number} (đặt tên)", "type": "text", "frame": frame_number})
            frame_labels.append((frame_number, f))
        reference = cv2.resize(grey, (int(round(grey.shape[1] / px_per_mm * REFERENCE_PX_PER_MM)),
                                      int(round(grey.shape[0] / px_per_mm * REFERENCE_PX_PER_MM))),
                               interpolation=cv2.INTER_AREA)
        warnings += frames_over_print(reference, grey.shape[1] / px_per_mm, [
            (q["id"], q["text"], frame_rects[q["frame"]]) for q in questions if q["type"] == "text"], page_no)
        asset_dir.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(asset_dir / f"page-{page_no}.png"), reference)
        kinds = {b.kind for b, _ in shown_boxes}
        pages.append({"reference": f"{form_id}/page-{page_no}.png", "width": round(grey.shape[1] / px_per_mm, 2),
                      "height": round(grey.shape[0] / px_per_mm, 2), "anchor": "features",
                      "shape": "round" if kinds == {"round"} else "square", "boxes": box_rects,
                      "frames": frame_rects})
        _into_sections(groups, questions, section_headings(finding.words, finding.found), page_no,
                       {**{q["id"]: box_rects[q["options"][0][2]][1] for q in questions if q["type"] != "text"},
                        **{q["id"]: frame_rects[q["frame"]][1] for q in questions if q["type"] == "text"}})
        preview = asset_dir / f"preview-{page_no}.png"
        render_preview(reference, REFERENCE_PX_PER_MM, [b for b, _ in shown_boxes], [n for _, n in shown_boxes],
                       frame_labels, questions, preview)
        previews.append(str(preview))
    if box_number == 0 and frame_number == 0:
        raise InputFileError(f"{blank}: không tìm thấy ô đánh dấu hay khung viết nào trên phiếu trắng")
    # Bubbles with a printed letter or digit are an answer sheet's: they are filled in, and read against
    # the same printed letter elsewhere on the page (omr.scan.bubbles); boxes are crossed.
    marks = "fill" if lettered * 2 > box_number else "cross"
    write_pinned_template(out, form_id, title or f"Phiếu {blank.stem}", pages, groups, marks=marks,
                          note=f"Tạo từ phiếu trắng {blank.name} bởi omr template from-blank", labels=labels)
    return {"output": str(out), "boxes": box_number, "frames": frame_number, "questions": question_number,
            "pages": len(pages), "previews": previews, "form_id": form_id, "warnings": warnings}


def omr_form_message(grey: np.ndarray, templates: str | Path | None = None) -> str:
    """Why a blank's page (grey uint8) is not made into a new template, in Vietnamese: it carries omr's own
    QR code (a page of ``omr forms print``: form id, version, page), so its template already exists and
    a template read back from its print would only garble it (the fresh user's «phieu-omr»). "" when the
    page has no omr code.

    ``templates``: the templates folder (the command line's): the message names the form's template file
    in it (:func:`omr.forms.template.find_template`), or says it is not there; None (the web editor): it
    sends to the editor's list of forms."""
    codes = decode_qr(grey)
    if not codes:
        return ""
    code = codes[0]
    why = ("phiếu in bằng omr mang mã QR của mẫu, nên phiếu đã điền được quét thẳng theo mẫu đó; không cần (và "
           "không nên) tạo mẫu mới từ tờ phiếu này. ")
    if templates is None:
        return (f"đây là mẫu phiếu «{code.form_id}» (phiên bản {code.version}) của omr, đã có sẵn: " + why +
                f"Để sửa mẫu, hãy mở mẫu «{code.form_id}» trong danh sách Mẫu phiếu")
    said = f"đây là phiếu in bằng omr theo mẫu «{code.form_id}» (phiên bản {code.version}), đã có sẵn: " + why
    found = find_template(Path(templates), code.form_id)  # None too where the folder is missing
    if found is not None:
        return said + f"Tệp mẫu phiếu: {found[0]} (sửa mẫu trong tệp đó hoặc trong trình sửa mẫu)"
    return said + (f"Thư mục mẫu phiếu {templates} không có tệp mẫu «{code.form_id}»: hãy chỉ thư mục chứa "
                   "tệp mẫu đã dùng để in phiếu bằng --templates THƯ_MỤC")


# A digit's place in a number, counted from the right (units first).
DIGIT_PLACES = ("hàng đơn vị", "hàng chục", "hàng trăm", "hàng nghìn")


# A section's heading: its mark («A.», «II.», «PHẦN 2») then words in capitals («B. CƠ SỞ VẬT CHẤT»).
SECTION_MARK = re.compile(r"^(?:(?P<mark>[A-ZĐ]|[IVX]{1,4})[.)]|PHẦN\s+(?P<part>[IVX]{1,4}|\d{1,2})[.:]?)\s")


def section_headings(words: list, found: list) -> list[tuple[float, str, str]]:
    """The page's section headings, top down, as (top mm, mark, text): printed lines with no box on them
    that start with a section's mark (:data:`SECTION_MARK`) and whose letters after it are at least
    ``BLANK_SECTION_CAPITALS`` capitals (a question «A5. Giới tính» or «a) …» is not one; a title has no
    mark)."""
    lines: dict[int, list] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    out = []
    for members in lines.values():
        members = sorted(members, key=lambda w: w.x)
        text = " ".join(w.text for w in members).strip()
        match = SECTION_MARK.match(text + " ")
        if not match:
            continue
        top, bottom = min(w.y for w in members), max(w.bottom for w in members)
        if any(top <= f.y + f.h / 2 <= bottom for f in found if f.kind != "frame"):
            continue
        letters = [c for c in text[match.end():] if c.isalpha()]
        if len(letters) < 4 or sum(c.isupper() for c in letters) < T.BLANK_SECTION_CAPITALS * len(letters):
            continue
        out.append((top, match.group("mark") or match.group("part"), text))
    return sorted(out)


def _into_sections(groups: list[dict], questions: list[dict], headings: list[tuple[float, str, str]],
                   page_no: int, top_of: dict[str, float]) -> None:
    """Append a page's questions (in their order) to ``groups``: each in the section whose heading is
    printed above it (``top_of``: a question's top, mm), the ones above the page's first heading in the
    last section of the page before (a section running over a page), else in the page's own group
    («Trang N»). A section's id is its mark («B», «II»; "S" for «PHẦN 2»), made unique with "_2", "_3", …."""
    used = {g["id"] for g in groups}
    current = groups[-1] if groups and groups[-1].get("section") else None
    for q in questions:
        heading = next((h for h in reversed(headings) if h[0] < top_of[q["id"]]), None)
        if heading is not None and (current is None or current.get("heading") != (page_no, heading[0])):
            base = heading[1] if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", heading[1]) else "S"
            gid, n = base, 1
            while gid in used:
                n += 1
                gid = f"{base}_{n}"
            used.add(gid)
            current = {"id": gid, "title": heading[2], "questions": [], "section": True,
                       "heading": (page_no, heading[0])}
            groups.append(current)
        elif heading is None and current is None:
            gid = f"P{page_no}"
            current = {"id": gid, "title": f"Trang {page_no}", "questions": []}
            used.add(gid)
            groups.append(current)
        current["questions"].append(q)


def _label_name(printed: str, taken: dict, questions: int) -> str:
    """The export column name of a number field (omr.forms.pinned.LABEL_NAME: ASCII letters, digits, "_"):
    the row's printed name without its marks («Ngày» -> "Ngay", «Số báo danh» -> "So_bao_danh"), else
    "So"; made unique among ``taken`` and never a question id (Q1 …, Y1 …)."""
    words = re.sub(r"[^a-z0-9 ]+", " ", fold(printed)).split()
    base = "_".join(words)[:30].strip("_")
    base = base[:1].upper() + base[1:] if base and base[0].isalpha() else "So" + (f"_{base}" if base else "")
    name, n = base, 1
    while name in taken or re.fullmatch(r"[QY]\d+", name):
        n += 1
        name = f"{base}_{n}"
    return name


def _name_digits(members: list[dict]) -> None:
    """Each digit question of a number field named after the first one's text and its place
    («A1. Ngày khảo sát … – Ngày, chữ số hàng chục»): the export's codebook tells the columns apart."""
    base = members[0]["text"]
    for place, q in enumerate(reversed(members)):
        where = DIGIT_PLACES[place] if place < len(DIGIT_PLACES) else f"thứ {len(members) - place}"
        q["text"] = f"{base}, chữ số {where}"


def frames_over_print(reference: np.ndarray, width_mm: float, frames: list[tuple[str, str, tuple]],
                      page_no: int) -> list[str]:
    """Warnings (Vietnamese, one per frame) for the writing frames drawn over the blank's printed text.

    Args:
        reference: the blank page (grey uint8) whose width spans ``width_mm``.
        frames: (question id, question text, (x, y, w, h) mm) of each writing frame of the page.
        page_no: the page's number, for the message.

    A frame is over print when the comment reader would take at least ``TEXT_MIN_INK_MM2`` of the
    blank's own print inside it for handwriting (:meth:`omr.scan.comments.BlankPrint.read_as_writing_mm2`).
    The reader leaves the blank's print out of every frame, but handwriting over printed text is hard
    to read and to review: the designer is told which frame to shrink.
    """
    if not frames:
        return []
    blank = BlankPrint(reference, width_mm)
    out = []
    for qid, text, (x, y, w, h) in frames:
        area = blank.read_as_writing_mm2(TextRegion(qid, x, y, w, h))
        if area >= T.TEXT_MIN_INK_MM2:
            out.append(f"Khung viết {qid} («{text}», trang {page_no}) nằm đè lên chữ in của phiếu (khoảng "
                       f"{area:.0f} mm² chữ in trong khung): chữ in không được tính là chữ viết tay, nhưng chữ viết "
                       "đè lên chữ in khó đọc; hãy thu khung lại cho khỏi chữ in.")
    return out


def _title_of(words: list, found: list | None = None) -> str:
    """The form's printed title: the lines set in the tallest letters in the top third of page 1,
    above its first box (``found``, mm: Tesseract reads a row of bubbles or a grid's boxes as tall
    junk, "œ@ mD5Ø", and joins a table row to the title's line), skipping the national motto
    (CỘNG HÒA …, Độc lập …), joined in order. When no such line lies above the first box (a box in
    the page's heading), the whole top third is looked at."""
    boxes = [f for f in found or [] if f.kind != "frame"]
    first_box = min((b.y for b in boxes), default=1e9)
    return _tallest_lines([w for w in words if w.bottom <= first_box]) or _tallest_lines(words)


def _tallest_lines(words: list) -> str:
    lines: dict[int, list] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    heights = {}
    for number, line_words in lines.items():
        text = " ".join(w.text for w in sorted(line_words, key=lambda w: w.x))
        if len(text) < 8 or min(w.y for w in line_words) > 100 or \
                re.search(r"CỘNG HÒA|Độc lập|Hạnh phúc", text, re.IGNORECASE):
            continue
        heights[number] = (float(np.median([w.h for w in line_words])), text)
    if not heights:
        return ""
    tallest = max(h for h, _ in heights.values())
    return " ".join(text for n, (h, text) in sorted(heights.items()) if h >= 0.9 * tallest)


# A printed free-text prompt: "Ý kiến khác:", "Góp ý", "Kiến nghị", "Đề xuất", "Lý do …", "… (ghi rõ):".
FREE_TEXT_PROMPT = re.compile(r"ý\s*kiến|góp\s*ý|kiến\s*nghị|đề\s*xuất|đề\s*nghị|phản\s*ánh|lý\s*do|ghi\s*rõ|"
                              r"\bkhác\s*:", re.IGNORECASE)
PROMPT_NUMBER = re.compile(r"^(câu\s*\d+|[A-ZĐ]?\d{1,2}[.):]|[IVX]{1,4}[.)]|[a-zđ][.)])", re.IGNORECASE)
DOTTED = re.compile(r"^[._…·\-–—]+$")


def free_text_prompts(words: list, found: list, page_w: float, page_h: float) -> tuple[list[Found], list[str]]:
    """Writing frames proposed under printed free-text questions that have none (a form typed in Word:
    «Câu 5. Ý kiến khác:» followed by empty, dotted or ruled lines), and the prompts left without one.

    A prompt is a printed line naming a free-text answer (:data:`FREE_TEXT_PROMPT`) that is set as a
    question (it starts with its number, "Câu 5.", or ends with ":" or "?"), with no box on its line and no
    frame below it within ``FREE_TEXT_FRAME_NEAR_MM``. Under it, the paper down to the next printed word
    (dotted leader lines count as paper), box or frame, at most ``FREE_TEXT_MAX_MM``, becomes a frame
    from the prompt's left to the page's text's right edge when it is at least ``FREE_TEXT_MIN_MM`` tall.

    Args:
        words: the page's printed words (mm, :class:`omr.template_from.printed.PrintedWord`).
        found: the boxes and frames found on the page (mm).
        page_w, page_h: the page's size, mm.

    Returns:
        (frames proposed, texts of the prompts with no room for one).
    """
    lines: dict[int, list] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    shapes = list(found)
    printed = [w for w in words if not DOTTED.match(w.text)]
    right = max((w.right for w in printed), default=page_w - 20.0)
    right = max(right, max((f.x + f.w for f in shapes), default=0.0))
    proposed: list[Found] = []
    unframed: list[str] = []
    for members in sorted(lines.values(), key=lambda ws: min(w.y for w in ws)):
        members = sorted(members, key=lambda w: w.x)
        text = " ".join(w.text for w in members if not DOTTED.match(w.text)).strip()
        if not text or not FREE_TEXT_PROMPT.search(text):
            continue
        if not (PROMPT_NUMBER.match(text) or text.endswith((":", "?"))):
            continue  # a title or an instruction ("PHIẾU LẤY Ý KIẾN …"), not a question
        if section_headings(members, shapes):
            continue  # a section's heading («G. TIẾP NHẬN, XỬ LÝ GÓP Ý, PHẢN ÁNH»), not a question
        top = min(w.y for w in members)
        bottom = max(w.bottom for w in members)
        left = members[0].x
        if any(f.y < bottom and f.y + f.h > top for f in shapes if f.kind != "frame"):
            continue  # boxes on its line: a choice question ("Khác: ☐")
        if any(f.kind == "frame" and bottom - 2 <= f.y <= bottom + T.FREE_TEXT_FRAME_NEAR_MM for f in shapes):
            continue  # it has its frame
        own_lines = {m.line for m in members}
        below = [w.y for w in printed if w.y > bottom + 0.5 and w.right > left and w.line not in own_lines]
        below += [f.y for f in shapes if f.y > bottom + 0.5 and f.x + f.w > left]
        end = min(min(below, default=page_h - T.FREE_TEXT_PAGE_MARGIN_MM), bottom + T.FREE_TEXT_MAX_MM,
                  page_h - T.FREE_TEXT_PAGE_MARGIN_MM)
        y0, y1 = bottom + T.FREE_TEXT_GAP_MM, end - T.FREE_TEXT_GAP_MM
        if y1 - y0 >= T.FREE_TEXT_MIN_MM and right - left >= T.FREE_TEXT_MIN_MM:
            frame = Found("frame", round(left, 2), round(y0, 2), round(right - left, 2), round(y1 - y0, 2))
            proposed.append(frame)
            shapes.append(frame)
        else:
            unframed.append(text.strip(" :"))
    return proposed, unframed


def _frame_text(frame, words: list, boxes: list = ()) -> str:
    """A writing frame's own label: the printed words left of its first line («Ghi rõ: [ ]», a table's
    label cell), else the printed line right above it (its question: "Ý kiến khác:"), within
    ``BLANK_FRAME_LABEL_MM`` (left: ``BLANK_FRAME_LEFT_LABEL_MM``); never a line with boxes on it
    (another question's options, «2. Độ tuổi: ○ …»): then "" (the editor's «Ý kiến k (đặt tên)»).
    ``frame``: a Found (mm); ``words``: PrintedWord (mm); ``boxes``: the page's boxes (mm)."""
    top = frame.y + min(frame.h, T.BLANK_FRAME_LABEL_MM)
    left = [w for w in words if frame.x - T.BLANK_FRAME_LEFT_LABEL_MM <= w.x and w.right <= frame.x + 1
            and frame.y <= w.y + w.h / 2 <= top and not DOTTED.match(w.text)]
    if left:
        line = min(left, key=lambda w: w.y).line
        return " ".join(w.text for w in sorted((w for w in left if w.line == line), key=lambda w: w.x)).strip(" :")
    above = [w for w in words if frame.y - T.BLANK_FRAME_LABEL_MM <= w.bottom <= frame.y + 1
             and frame.x - 2 <= w.x <= frame.x + frame.w]
    lines: dict[int, list] = {}
    for w in above:
        lines.setdefault(w.line, []).append(w)
    for number in sorted(lines, reverse=True):
        line = sorted(lines[number], key=lambda w: w.x)
        y0, y1 = min(w.y for w in line), max(w.bottom for w in line)
        if any(y0 - 0.5 <= b.y + b.h / 2 <= y1 + 0.5 for b in boxes):
            return ""  # the line above is a choice question's: not this frame's name
        return " ".join(w.text for w in line).strip(" :")
    return ""



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


# --- one page: boxes, print, questions -------------------------------------------------------------

@dataclass
class PageFinding:
    """What was found on one blank page: ``found`` (boxes, then frames; mm), the printed ``words``
    (empty when Tesseract is unavailable), and ``groups`` (indices of boxes per question)."""

    found: list
    words: list
    groups: list[list[int]] | None = None
    questions: list = field(default_factory=list)


def detect_page(grey: np.ndarray, px_per_mm: float, read_text: bool = True, group_by: str = "rows",
                words: list | None = None) -> PageFinding:
    """Find the boxes of one blank page, read its print and group the boxes into questions by it.

    Args:
        grey: the blank page (grey uint8), 150-300 dpi.
        px_per_mm: its scale.
        read_text: read the printed text with Tesseract (labels, letters told from boxes); when False or
            when Tesseract is unavailable, boxes are found and grouped by geometry alone.
        group_by: ``rows`` or ``columns`` (see :func:`omr.template_from.questions.group_by_print`).
        words: the page's printed words already read (a PDF's text layer,
            :func:`omr.template_from.printed.read_pdf_words`, mm); when None they are read with Tesseract.
            Words from Tesseract (a scanned blank) have each label read again from its own crop
            (:func:`omr.template_from.printed.read_label`, through ``group_by_print``'s ``reader``).
    """
    if words is None:
        words = []
        if read_text:
            try:
                words = read_words(grey, px_per_mm)
            except OcrUnavailable:
                words = []
    ink = ink_of(grey, px_per_mm)
    found = find_boxes(grey, px_per_mm, words)
    if read_text and not any(w.exact for w in words):
        # A scanned blank: Tesseract's page reading takes a circled digit for a symbol ("®", "@"); each
        # ring's digit, and its letter, is read on its own. (A PDF's text layer names it: "①" is "1".)
        try:
            for f in found:
                if f.kind == "round" and f.lettered:
                    f.glyph = read_circled(grey, px_per_mm, (f.x, f.y, f.w, f.h))
                    f.letter = read_circled(grey, px_per_mm, (f.x, f.y, f.w, f.h), T.BLANK_CIRCLED_LETTERS)
        except OcrUnavailable:
            pass
    boxes = [f for f in found if f.kind != "frame"]
    erase = [(b.x, b.y, b.w, b.h) for b in boxes]

    def read_again(area: tuple[float, float, float, float]) -> tuple[str, float]:
        try:
            return read_label(grey, px_per_mm, area, erase)
        except OcrUnavailable:
            return "", 0.0

    # A scanned blank: each label is read again from its own crop, the boxes painted out of it.
    scanned = read_text and bool(words) and not any(w.exact for w in words)
    questions = group_by_print(boxes, words, ink, px_per_mm, group_by, reader=read_again if scanned else None)
    return PageFinding(found, words, [q.boxes for q in questions], questions)
