"""Resolve a template into page geometry, and freeze it per template version.

Authors never write coordinates: :func:`compute_layout` flows the questions
over A4 pages. The result is the public layout contract (see docs/templates.md, "Layout
JSON"): millimetres from each page's top-left corner. Because text widths come
from a font file that the operating system may update, the layout of every
version is frozen to ``layouts/<form>-v<version>.json`` beside the template the
first time it is printed; reading always uses the frozen file, so sheets
printed from any version stay readable.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from omr import tuning as T
from omr.errors import TemplateChangedError, TemplateError
from omr.forms.fonts import PT_TO_MM, text_width_mm, wrap_text
from omr.forms.geometry import Checkbox, Decor, Layout, PageLayout, Rect, TextRegion
from omr.forms.pinned_layout import compute_pinned_layout, resolve_references
from omr.forms.template import NO_OPINION_LABEL, SCALE_OPTIONS, Option, Question, Template, date_parts

SCHEMA = "omr-layout/1"


def line_height(size_pt: float) -> float:
    return size_pt * PT_TO_MM * T.LINE_HEIGHT_FACTOR


# --- blocks: content with coordinates relative to its own top-left ---------

@dataclass
class _Block:
    height: float
    checkboxes: list[Checkbox] = field(default_factory=list)
    text_regions: list[TextRegion] = field(default_factory=list)
    decor: list[Decor] = field(default_factory=list)
    keep_with_next: bool = False
    repeat_header: "_Block | None" = None  # a scale row's column header, repeated after a page break


def _text_lines(block: _Block, lines: list[str], x: float, y: float, size: float,
                bold: bool = False, align: str = "left") -> float:
    """Add wrapped lines at top ``y``; return the height used."""
    lh = line_height(size)
    for i, line in enumerate(lines):
        baseline = y + (i + 1) * lh - lh * 0.25
        block.decor.append(Decor("text", x, baseline, text=line, size=size, bold=bold, align=align))
    return lh * len(lines)


def _box_in_row(block: _Block, question: str, option: str, x: float, row_top: float) -> None:
    y = row_top + (T.OPTION_ROW_HEIGHT - T.BOX_SIZE) / 2
    block.checkboxes.append(Checkbox(question, option, x, y, T.BOX_SIZE, T.BOX_SIZE))


def _row_baseline(row_top: float) -> float:
    # Body text sits visually centred on the box: baseline ~1.2 mm above the box bottom.
    return row_top + (T.OPTION_ROW_HEIGHT + T.BOX_SIZE) / 2 - 1.2


def _question_label(question: Question) -> str:
    hint = " (có thể chọn nhiều ô)" if question.type == "multiple" else ""
    return f"{question.id}. {question.text}{hint}"


def _with_colon(label: str) -> str:
    return label if label.endswith(("?", ":")) else label + ":"


def _choice_block(question: Question, width: float) -> _Block:
    block = _Block(0.0)
    label = _with_colon(_question_label(question))
    widths = [T.BOX_SIZE + T.BOX_LABEL_GAP + text_width_mm(o.label, T.BODY_PT) for o in question.options]
    inline_width = sum(widths) + T.OPTION_GAP * len(widths)
    label_width = text_width_mm(label, T.BODY_PT)
    if label_width + 3.0 + inline_width <= width:
        block.decor.append(Decor("text", 0.0, _row_baseline(0.0), text=label, size=T.BODY_PT))
        x = label_width + 3.0
        for option, w in zip(question.options, widths):
            _box_in_row(block, question.id, option.code, x, 0.0)
            block.decor.append(Decor("text", x + T.BOX_SIZE + T.BOX_LABEL_GAP, _row_baseline(0.0),
                                     text=option.label, size=T.BODY_PT))
            x += w + T.OPTION_GAP
        block.height = T.OPTION_ROW_HEIGHT
        return block
    y = _text_lines(block, wrap_text(label, width, T.BODY_PT), 0.0, 0.0, T.BODY_PT)
    indent = 4.0
    x, row_top = indent, y
    for option, w in zip(question.options, widths):
        if x > indent and x + w > width:
            x, row_top = indent, row_top + T.OPTION_ROW_HEIGHT
        _box_in_row(block, question.id, option.code, x, row_top)
        block.decor.append(Decor("text", x + T.BOX_SIZE + T.BOX_LABEL_GAP, _row_baseline(row_top),
                                 text=option.label, size=T.BODY_PT))
        x += w + T.OPTION_GAP
    block.height = row_top + T.OPTION_ROW_HEIGHT
    return block


def _scale_columns(width: float) -> list[float]:
    """Left edges of the six answer columns (1..5 and Không ý kiến)."""
    first = width - 6 * T.SCALE_COLUMN_WIDTH
    return [first + i * T.SCALE_COLUMN_WIDTH for i in range(6)]


def _scale_header_block(question: Question, width: float) -> _Block:
    block = _Block(0.0, keep_with_next=True)
    labels = [label for _, label in SCALE_OPTIONS] + [NO_OPINION_LABEL]
    wrapped = [wrap_text(label, T.SCALE_COLUMN_WIDTH - 1.0, T.SMALL_PT) for label in labels]
    lh = line_height(T.SMALL_PT)
    height = max(len(w) for w in wrapped) * lh + 1.0
    for left, lines in zip(_scale_columns(width), wrapped):
        top = height - 1.0 - len(lines) * lh  # bottom-aligned over the boxes
        _text_lines(block, lines, left + T.SCALE_COLUMN_WIDTH / 2, top, T.SMALL_PT, align="center")
    block.height = height
    return block


def _scale_block(question: Question, width: float) -> _Block:
    block = _Block(0.0)
    columns = _scale_columns(width)
    text_width = columns[0] - 2.0
    lines = wrap_text(_question_label(question), text_width, T.BODY_PT)
    text_height = len(lines) * line_height(T.BODY_PT)
    row_height = max(T.OPTION_ROW_HEIGHT, text_height + 1.6)
    _text_lines(block, lines, 0.0, (row_height - text_height) / 2, T.BODY_PT)
    box_top = (row_height - T.BOX_SIZE) / 2
    by_code = {o.code: o for o in question.options}
    for left, code in zip(columns, ["1", "2", "3", "4", "5", "KYK"]):
        if code in by_code:
            block.checkboxes.append(Checkbox(question.id, code, left + (T.SCALE_COLUMN_WIDTH - T.BOX_SIZE) / 2,
                                             box_top, T.BOX_SIZE, T.BOX_SIZE))
    block.height = row_height
    return block


def _date_block(question: Question, width: float) -> _Block:
    block = _Block(0.0)
    label = f"{question.id}. {question.text} (đánh dấu từng chữ số, ví dụ ngày 05: ô 0 rồi ô 5):"
    y = _text_lines(block, wrap_text(label, width, T.BODY_PT), 0.0, 0.0, T.BODY_PT)
    parts = dict(date_parts(question))
    digit_step = T.BOX_SIZE + 1.0 + text_width_mm("0", T.BODY_PT) + 2.6
    year_step = T.BOX_SIZE + 1.0 + text_width_mm("0000", T.BODY_PT) + 3.0
    rows = [("Ngày", "day_tens", "day_units"), ("Tháng", "month_tens", "month_units"), ("Năm", "year", None)]
    prefix = 16.0
    for i, (name, tens, units) in enumerate(rows):
        row_top = y + i * T.OPTION_ROW_HEIGHT
        block.decor.append(Decor("text", 4.0, _row_baseline(row_top), text=name + ":", size=T.BODY_PT))
        x = prefix
        step = year_step if units is None else digit_step
        for digit in parts[tens]:
            _box_in_row(block, question.id, f"{tens}:{digit}", x, row_top)
            block.decor.append(Decor("text", x + T.BOX_SIZE + 1.0, _row_baseline(row_top), text=digit, size=T.BODY_PT))
            x += step
        if units is not None:
            x = prefix + 4 * digit_step + 6.0
            block.decor.append(Decor("line", x - 3.5, row_top + 0.8, x - 3.5, row_top + T.OPTION_ROW_HEIGHT - 0.8,
                                     size=0.2))
            for digit in parts[units]:
                _box_in_row(block, question.id, f"{units}:{digit}", x, row_top)
                block.decor.append(Decor("text", x + T.BOX_SIZE + 1.0, _row_baseline(row_top), text=digit,
                                         size=T.BODY_PT))
                x += digit_step
    block.height = y + 3 * T.OPTION_ROW_HEIGHT
    if x > width:
        raise TemplateError(f"Câu {question.id}: quá nhiều năm để in trên một dòng")
    return block


def _text_field_block(question: Question, width: float) -> _Block:
    block = _Block(0.0)
    y = _text_lines(block, wrap_text(_with_colon(_question_label(question)), width, T.BODY_PT), 0.0, 0.0, T.BODY_PT)
    top = y + 1.0
    height = question.lines * T.TEXT_LINE_SPACING + 2.0
    block.decor.append(Decor("frame", 0.0, top, width, top + height, size=0.3))
    for i in range(1, question.lines + 1):
        gy = top + 1.0 + i * T.TEXT_LINE_SPACING - 1.5
        block.decor.append(Decor("guide", 2.0, gy, width - 2.0, gy, size=0.15))
    block.text_regions.append(TextRegion(question.id, 0.0, top, width, height))
    block.height = top + height
    return block


def _question_blocks(template: Template, width: float) -> list[_Block]:
    blocks: list[_Block] = []
    for group in template.groups:
        heading = _Block(0.0, keep_with_next=True)
        heading.height = _text_lines(heading, wrap_text(group.title, width, T.HEADING_PT, True),
                                     0.0, T.GROUP_GAP, T.HEADING_PT, bold=True) + T.GROUP_GAP + 0.6
        blocks.append(heading)
        previous_type = None
        header = None
        for question in group.questions:
            if question.type == "scale" and previous_type != "scale":
                header = _scale_header_block(question, width)
                blocks.append(header)
            builder = {"single": _choice_block, "multiple": _choice_block, "yesno": _choice_block,
                       "scale": _scale_block, "date": _date_block, "text": _text_field_block}[question.type]
            block = builder(question, width)
            if question.type == "scale":  # scale rows form a table: no gap between them
                block.repeat_header = header
            else:
                block.height += T.QUESTION_GAP
            blocks.append(block)
            previous_type = question.type
    return blocks


# --- pages -----------------------------------------------------------------

def _new_page(number: int) -> PageLayout:
    inset, size = T.FIDUCIAL_INSET, T.FIDUCIAL_SIZE
    right = T.PAGE_WIDTH - inset - size
    bottom = T.PAGE_HEIGHT - inset - size
    fiducials = [Rect(inset, inset, size, size), Rect(right, inset, size, size),
                 Rect(inset, bottom, size, size), Rect(right, bottom, size, size)]
    qr = Rect(right - T.QR_GAP_FROM_FIDUCIAL - T.QR_SIZE, inset, T.QR_SIZE, T.QR_SIZE)
    return PageLayout(number, T.PAGE_WIDTH, T.PAGE_HEIGHT, fiducials, qr,
                      serial_anchor=(qr.x + qr.w / 2, qr.y + qr.h + 3.4),
                      unit_anchor=(T.CONTENT_LEFT, inset + 3.5))


def _first_page_header(template: Template, page: PageLayout) -> float:
    centre = T.PAGE_WIDTH / 2
    block = _Block(0.0)
    y = _text_lines(block, list(template.header), centre, T.FIDUCIAL_INSET, 10.0, bold=True, align="center")
    y += T.FIDUCIAL_INSET + 1.0
    if len(template.header) > 1:
        half = text_width_mm(template.header[-1], 10.0, True) / 2
        block.decor.append(Decor("line", centre - half, y - 1.2, centre + half, y - 1.2, size=0.3))
    # The title is kept clear of the QR code and the printed serial on its left.
    y = max(y + 2.0, page.serial_anchor[1] + 2.5)
    y += _text_lines(block, wrap_text(template.title, 160.0, T.TITLE_PT, True), centre, y, T.TITLE_PT,
                     bold=True, align="center") + 1.5
    for line in template.instructions:
        y += _text_lines(block, wrap_text(line, T.CONTENT_RIGHT - T.CONTENT_LEFT, T.BODY_PT),
                         T.CONTENT_LEFT, y, T.BODY_PT)
    page.decor.extend(block.decor)
    return y + 1.0


def _place(page: PageLayout, block: _Block, x0: float, y0: float) -> None:
    page.checkboxes += [Checkbox(c.question, c.option, round(c.x + x0, 3), round(c.y + y0, 3), c.w, c.h)
                        for c in block.checkboxes]
    page.text_regions += [TextRegion(r.field, round(r.x + x0, 3), round(r.y + y0, 3), r.w, r.h)
                          for r in block.text_regions]
    for d in block.decor:
        dx2 = d.x2 + x0 if d.kind in ("line", "guide", "frame") else d.x2
        dy2 = d.y2 + y0 if d.kind in ("line", "guide", "frame") else d.y2
        page.decor.append(Decor(d.kind, round(d.x + x0, 3), round(d.y + y0, 3), round(dx2, 3), round(dy2, 3),
                                d.text, d.size, d.bold, d.align))


def compute_layout(template: Template) -> Layout:
    """Flow the template's questions over A4 pages (pure; depends on font metrics)."""
    if template.extra.get("pinned"):
        return compute_pinned_layout(template)
    width = T.CONTENT_RIGHT - T.CONTENT_LEFT
    blocks = _question_blocks(template, width)
    pages = [_new_page(1)]
    y = _first_page_header(template, pages[0])
    for i, block in enumerate(blocks):
        needed = block.height
        if block.keep_with_next:
            j = i + 1
            while j < len(blocks) and blocks[j - 1].keep_with_next:
                needed += blocks[j].height
                j += 1
        if y + needed > T.CONTENT_BOTTOM:
            pages.append(_new_page(len(pages) + 1))
            title = f"{template.title} (tiếp theo)"
            block_head = _Block(0.0)
            # Below the unit line, left of the QR code.
            _text_lines(block_head, wrap_text(title, 140.0, 7.5, True), T.CONTENT_LEFT, T.FIDUCIAL_INSET + 6,
                        7.5, bold=True)
            pages[-1].decor.extend(block_head.decor)
            y = T.CONTENT_TOP_FOLLOWING_PAGES
            if block.repeat_header is not None:
                _place(pages[-1], block.repeat_header, T.CONTENT_LEFT, y)
                y += block.repeat_header.height
            if block.height > T.CONTENT_BOTTOM - y:
                raise TemplateError(f"{template.source}: một câu hỏi quá dài, không vừa một trang")
        _place(pages[-1], block, T.CONTENT_LEFT, y)
        y += block.height
    if len(pages) > template.max_pages:
        raise TemplateError(
            f"{template.source}: các câu hỏi cần {len(pages)} trang A4, nhiều hơn max_pages = {template.max_pages}. "
            "Bớt câu hỏi hoặc tăng max_pages.")
    for page in pages:
        note = f"Trang {page.number}/{len(pages)}"
        if page.number < len(pages):
            note += " — xin mời xem tiếp trang sau"
        page.decor.append(Decor("text", T.PAGE_WIDTH / 2, T.PAGE_HEIGHT - T.FIDUCIAL_INSET - 1.5, text=note,
                                size=7.5, align="center"))
    return Layout(template.form_id, template.version, template.content_hash, pages, list(template.questions),
                  labels=dict(template.extra.get("labels", {})))


# --- JSON contract and frozen layouts --------------------------------------

def layout_to_dict(layout: Layout) -> dict:
    return {
        "schema": SCHEMA,
        "units": "mm",
        "origin": "top-left",
        "form": layout.form_id,
        "version": layout.version,
        "template_sha256": layout.template_sha256,
        "pages": [
            {
                "page": p.number,
                "width": p.width,
                "height": p.height,
                "fiducials": [dict(asdict(r), corner=c) for r, c in
                              zip(p.fiducials, ("top-left", "top-right", "bottom-left", "bottom-right"))],
                "qr": asdict(p.qr),
                "serial_anchor": list(p.serial_anchor),
                "unit_anchor": list(p.unit_anchor),
                "checkboxes": [asdict(c) for c in p.checkboxes],
                "text_regions": [asdict(r) for r in p.text_regions],
                "decor": [{k: v for k, v in asdict(d).items() if v not in ("", 0.0, False) or k in ("x", "y")}
                          for d in p.decor],
                **({"pinned": {k: v for k, v in p.pinned.items() if not k.startswith("_")}} if p.pinned else {}),
            }
            for p in layout.pages
        ],
        "questions": [
            {"id": q.id, "type": q.type, "text": q.text,
             "options": [{"code": o.code, "label": o.label} for o in q.options], "years": list(q.years),
             "lines": q.lines}
            for q in layout.questions
        ],
        **({"join": layout.join} if layout.join else {}),
        **({"labels": {name: list(parts) for name, parts in layout.labels.items()}} if layout.labels else {}),
    }


def layout_from_dict(data: dict) -> Layout:
    if data.get("schema") != SCHEMA:
        raise TemplateError(f"Bố cục không đúng định dạng {SCHEMA}")
    pages = []
    for p in data["pages"]:
        pages.append(PageLayout(
            number=p["page"], width=p["width"], height=p["height"],
            fiducials=[Rect(f["x"], f["y"], f["w"], f["h"]) for f in p["fiducials"]],
            qr=Rect(**p["qr"]),
            serial_anchor=tuple(p["serial_anchor"]), unit_anchor=tuple(p["unit_anchor"]),
            checkboxes=[Checkbox(**c) for c in p["checkboxes"]],
            text_regions=[TextRegion(**r) for r in p["text_regions"]],
            decor=[Decor(**d) for d in p["decor"]],
            pinned=p.get("pinned"),
        ))
    questions = [Question(q["id"], q["text"], q["type"], tuple(Option(o["code"], o["label"]) for o in q["options"]),
                          tuple(q.get("years", ())), q.get("lines", 0)) for q in data.get("questions", [])]
    return Layout(data["form"], data["version"], data["template_sha256"], pages, questions, join=data.get("join"),
                  labels={name: tuple(parts) for name, parts in (data.get("labels") or {}).items()})


def frozen_layout_path(template: Template) -> Path:
    return Path(template.source).resolve().parent / "layouts" / f"{template.form_id}-v{template.version}.json"


def resolve_layout(template: Template, freeze: bool = True) -> Layout:
    """The layout of this template version: the frozen one if it exists.

    Raises TemplateChangedError when the frozen layout of the same version was
    made from different questions: the author must raise ``version``.
    """
    path = frozen_layout_path(template) if template.source else None
    if path and path.is_file():
        layout = layout_from_dict(json.loads(path.read_text(encoding="utf-8")))
        _resolve_references(layout, path)
        if layout.template_sha256 != template.content_hash:
            raise TemplateChangedError(
                f"{template.source}: nội dung mẫu phiếu đã thay đổi nhưng version vẫn là {template.version}. "
                f"Phiếu đã in theo version {template.version} sẽ không đọc đúng: hãy tăng version "
                f"(bố cục cũ được giữ trong {path}).")
        # Not in the hash: the template's current join and labels apply to its frozen layout.
        layout.join = template.extra.get("join")
        layout.labels = dict(template.extra.get("labels", {}))
        return layout
    layout = compute_layout(template)
    if path and freeze:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(layout_to_dict(layout), ensure_ascii=False, indent=1), encoding="utf-8")
    if path:
        _resolve_references(layout, path)
    return layout


def _resolve_references(layout: Layout, frozen_path: Path) -> None:
    """Pinned pages name their reference images relative to the template folder (layouts/..)."""
    if any(p.pinned for p in layout.pages):
        resolve_references(layout, frozen_path.parent.parent)


def load_layouts(folder: str | Path) -> dict[tuple[str, int], Layout]:
    """Every frozen layout under ``folder`` (recursively), keyed by (form, version)."""
    found: dict[tuple[str, int], Layout] = {}
    for path in sorted(Path(folder).rglob("layouts/*.json")):
        try:
            layout = layout_from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError):
            continue
        _resolve_references(layout, path)
        found[(layout.form_id, layout.version)] = layout
    return found
