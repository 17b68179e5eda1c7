"""Form templates: load and validate the YAML an author writes.

A template says *what* a form asks; :mod:`omr.forms.layout` decides *where*. Errors
name the file, the YAML line and the field, in Vietnamese, because template
authors are office staff, not programmers.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from omr.errors import TemplateError
from omr.model import EXPORT_BASE_COLUMNS, EXPORT_QUESTION_SUFFIXES
from omr.forms.links import check_standard
from omr.forms.pinned import check_join, check_labels, check_pinned, reject_positions
from omr.text.normalise import nfc

QUESTION_TYPES = ("single", "multiple", "scale", "yesno", "date", "text")

# The standard five-level satisfaction scale (SIPAS practice, domain brief).
SCALE_OPTIONS = (
    ("1", "Rất không hài lòng"),
    ("2", "Không hài lòng"),
    ("3", "Bình thường"),
    ("4", "Hài lòng"),
    ("5", "Rất hài lòng"),
)
NO_OPINION_CODE = "KYK"
NO_OPINION_LABEL = "Không ý kiến"
YESNO_OPTIONS = (("Y", "Có"), ("N", "Không"))

ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\Z")
FORM_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")


def reserved_question_id(qid: str) -> str | None:
    """Why ``qid`` cannot be a question id (Vietnamese), or None.

    The export (omr.reports.dataset) has one column per question next to its own columns
    (``omr.model.EXPORT_BASE_COLUMNS``: serial, form, unit, batch, date, flags, ...) and
    ``<question>_status``, ``_text_source``, ``_crop``, ``_flags``: a question named like one of
    them would give two columns of one name (parquet refuses the file). Compared ignoring case,
    as a spreadsheet does.
    """
    folded = qid.casefold()
    if folded in EXPORT_BASE_COLUMNS:
        return (f"mã câu hỏi «{qid}» trùng tên một cột của bảng xuất dữ liệu "
                f"({', '.join(EXPORT_BASE_COLUMNS)}); hãy đặt mã khác, ví dụ Q_{qid}")
    for suffix in EXPORT_QUESTION_SUFFIXES:
        if folded.endswith(f"_{suffix}"):
            return (f"mã câu hỏi «{qid}» kết thúc bằng «_{suffix}», trùng tên cột của bảng xuất dữ liệu "
                    f"dành cho câu khác; hãy đặt mã khác")
    return None
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_]+\Z")


@dataclass(frozen=True)
class Option:
    code: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: str
    options: tuple[Option, ...] = ()
    years: tuple[int, ...] = ()
    lines: int = 0
    line: int = field(default=0, compare=False)  # YAML line, for messages

    @property
    def is_choice(self) -> bool:
        return self.type in ("single", "multiple", "scale", "yesno")

    @property
    def single_answer(self) -> bool:
        return self.type in ("single", "scale", "yesno")

    def option_label(self, code: str) -> str:
        for option in self.options:
            if option.code == code:
                return option.label
        raise KeyError(code)


@dataclass(frozen=True)
class Group:
    id: str
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Template:
    form_id: str
    version: int
    title: str
    header: tuple[str, ...]
    instructions: tuple[str, ...]
    groups: tuple[Group, ...]
    max_pages: int
    content_hash: str
    source: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for g in self.groups for q in g.questions)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)


class _Doc:
    """Plain Python values from YAML nodes, remembering each node's line."""

    def __init__(self, source: str):
        self.source = source
        self.lines: dict[int, int] = {}
        self.key_lines: dict[tuple[int, str], int] = {}

    def convert(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            value: Any = {}
            for key_node, value_node in node.value:
                key = self.convert(key_node)
                # Integer keys only number the boxes and frames of pinned templates (omr.forms.pinned).
                if not isinstance(key, str) and not (isinstance(key, int) and not isinstance(key, bool)):
                    raise self.error(key_node.start_mark.line + 1, str(key), "tên trường phải là chữ")
                if key in value:
                    raise self.error(key_node.start_mark.line + 1, key, "trường bị lặp lại")
                value[key] = self.convert(value_node)
                self.key_lines[(id(value), key)] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            value = [self.convert(item) for item in node.value]
        else:
            value = yaml.SafeLoader.construct_object(yaml.SafeLoader(""), node)
        if isinstance(value, (dict, list)):
            self.lines[id(value)] = node.start_mark.line + 1
        return value

    def line_of(self, value: Any, default: int = 1) -> int:
        return self.lines.get(id(value), default)

    def line_of_key(self, mapping: dict, key: str) -> int:
        """The line of ``key`` in ``mapping``, else the mapping's first line."""
        return self.key_lines.get((id(mapping), key), self.line_of(mapping))

    def error(self, line: int, field_name: str, problem: str) -> TemplateError:
        return TemplateError(f"{self.source}, dòng {line}, trường «{field_name}»: {problem}")


def load_template(path: str | Path) -> Template:
    """Read and validate a template file.

    Raises
    ------
    TemplateError
        With file, line and field for the first problem found.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TemplateError(f"Không tìm thấy tệp mẫu phiếu: {path}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TemplateError(f"{path}, dòng {line}: tệp mẫu phiếu phải được lưu với mã UTF-8") from None
    return parse_template(text, source=str(path))


def find_template(template_dir: Path, form_id: str) -> tuple[Path, Template] | None:
    """The YAML file in ``template_dir`` (not its subfolders) that defines ``form_id``, or None."""
    for path in sorted(Path(template_dir).glob("*.yaml")):
        try:
            template = load_template(path)
        except TemplateError:
            continue
        if template.form_id == form_id:
            return path, template
    return None


def _compose(text: str) -> yaml.Node | None:
    """The YAML node tree of ``text``: composed by libyaml when PyYAML has it (~15x less CPU, paid
    at every start of a scan and its workers, issue #18), the same nodes, tags and marks. Invalid
    YAML is composed again by PyYAML's own parser, so the error raised (yaml.YAMLError) and the
    message made of it are the same with or without libyaml."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        try:
            return yaml.compose(text, Loader=loader)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def parse_template(text: str, source: str = "<template>") -> Template:
    doc = _Doc(source)
    try:
        node = _compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        opened = getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", exc)
        if mark and opened and opened.line < mark.line and any(
                word in (getattr(exc, "context", "") or "") for word in ("quoted", "flow")):
            raise TemplateError(f"{source}, dòng {opened.line + 1}: YAML không hợp lệ, dấu nháy hoặc dấu ngoặc "
                                f"mở ở dòng này chưa được đóng (phát hiện ở dòng {mark.line + 1}: {problem})") from None
        where = f", dòng {mark.line + 1}" if mark else ""
        raise TemplateError(f"{source}{where}: YAML không hợp lệ ({problem})") from None
    if node is None:
        raise TemplateError(f"{source}: tệp mẫu phiếu trống")
    data = doc.convert(node)
    if not isinstance(data, dict):
        raise doc.error(1, "(gốc)", "phải là một bảng các trường (form, version, groups, …)")
    return _build_template(data, doc)


def _require(doc: _Doc, mapping: dict, key: str, kind: type | tuple, where: str) -> Any:
    line = doc.line_of_key(mapping, key)
    if key not in mapping:
        raise doc.error(line, f"{where}{key}", "thiếu trường bắt buộc")
    value = mapping[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = {str: "chữ", int: "số nguyên", list: "danh sách", dict: "bảng"}.get(kind, str(kind))
        raise doc.error(line, f"{where}{key}", f"phải là {expected}")
    return value


def _check_keys(doc: _Doc, mapping: dict, allowed: set[str], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise doc.error(doc.line_of_key(mapping, key), f"{where}{key}",
                            "trường không được biết; các trường hợp lệ: " + ", ".join(sorted(allowed)))


def _build_template(data: dict, doc: _Doc) -> Template:
    _check_keys(doc, data, {"form", "version", "title", "header", "instructions", "groups", "max_pages",
                            "pinned", "join", "labels", "standard"}, "")
    form_id = _require(doc, data, "form", str, "")
    if not FORM_ID_PATTERN.match(form_id):
        raise doc.error(doc.line_of(data), "form", "chỉ dùng chữ thường không dấu, số và dấu '-' (ví dụ motcua-2026)")
    version = _require(doc, data, "version", int, "")
    if version < 1:
        raise doc.error(doc.line_of(data), "version", "phải là số nguyên dương")
    title = nfc(_require(doc, data, "title", str, ""))
    header = tuple(nfc(str(x)) for x in data.get("header", []))
    instructions = tuple(nfc(str(x)) for x in data.get("instructions", []))
    max_pages = data.get("max_pages", 2)
    if not isinstance(max_pages, int) or max_pages < 1:
        raise doc.error(doc.line_of(data), "max_pages", "phải là số nguyên dương")

    groups_raw = _require(doc, data, "groups", list, "")
    if not groups_raw:
        raise doc.error(doc.line_of(data), "groups", "cần ít nhất một nhóm câu hỏi")
    seen_ids: set[str] = set()
    groups = []
    for gi, graw in enumerate(groups_raw):
        where = f"groups[{gi}]."
        if not isinstance(graw, dict):
            raise doc.error(doc.line_of(groups_raw), f"groups[{gi}]", "phải là một bảng (id, title, questions)")
        _check_keys(doc, graw, {"id", "title", "questions"}, where)
        gid = str(_require(doc, graw, "id", str, where))
        gtitle = nfc(_require(doc, graw, "title", str, where))
        qraws = _require(doc, graw, "questions", list, where)
        questions = tuple(_build_question(doc, q, f"{where}questions[{qi}].", seen_ids)
                          for qi, q in enumerate(qraws))
        if not questions:
            raise doc.error(doc.line_of(graw), f"{where}questions", "nhóm không có câu hỏi nào")
        groups.append(Group(gid, gtitle, questions))

    extra = {}
    if "pinned" in data:  # a form designed elsewhere: box positions given, not flowed (omr.template_from.blank)

        extra["pinned"] = check_pinned(doc, data, groups)
    else:
        reject_positions(doc, data)
    extra["labels"] = check_labels(doc, data, groups)
    extra["join"] = check_join(doc, data, extra.get("pinned"), extra["labels"])
    extra["standard"] = check_standard(doc, data, groups)
    # How pages join and which answers an export joins say nothing about where a box is
    # printed: changing them needs no new version (the frozen layout takes them from here).
    # Nor do links to the standard survey's questions (omr.forms.links): they only say how the report counts.
    hashed = {k: v for k, v in data.items() if k not in ("join", "labels", "standard")}
    canonical = json.dumps(hashed, ensure_ascii=False, sort_keys=True, default=str)
    content_hash = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return Template(form_id, version, title, header, instructions, tuple(groups), max_pages,
                    content_hash, source=doc.source, extra=extra)


def _build_question(doc: _Doc, raw: Any, where: str, seen_ids: set[str]) -> Question:
    if not isinstance(raw, dict):
        raise doc.error(1, where.rstrip("."), "câu hỏi phải là một bảng (id, text, type, …)")
    line = doc.line_of(raw)
    _check_keys(doc, raw, {"id", "text", "type", "options", "no_opinion", "years", "lines", "boxes", "frame"}, where)
    qid = str(_require(doc, raw, "id", str, where))
    if not ID_PATTERN.match(qid):
        raise doc.error(doc.line_of_key(raw, "id"), f"{where}id",
                        f"«{qid}» không hợp lệ: dùng chữ không dấu và số, ví dụ B1")
    reserved = reserved_question_id(qid)
    if reserved:
        raise doc.error(doc.line_of_key(raw, "id"), f"{where}id", reserved)
    if qid in seen_ids:
        raise doc.error(doc.line_of_key(raw, "id"), f"{where}id", f"mã câu hỏi «{qid}» đã dùng ở câu khác")
    seen_ids.add(qid)
    text = nfc(_require(doc, raw, "text", str, where))
    qtype = _require(doc, raw, "type", str, where)
    if qtype not in QUESTION_TYPES:
        raise doc.error(doc.line_of_key(raw, "type"), f"{where}type",
                        f"«{qtype}» không hợp lệ; chọn một trong: {', '.join(QUESTION_TYPES)}")
    no_opinion = raw.get("no_opinion", False)
    if not isinstance(no_opinion, bool):
        raise doc.error(line, f"{where}no_opinion", "phải là true hoặc false")

    options: list[Option] = []
    if qtype in ("single", "multiple"):
        raw_options = _require(doc, raw, "options", list, where)
        # A lone tick box on a form designed elsewhere ("☐ Đồng ý") is a multiple question of one option.
        lone_tick = qtype == "multiple" and len(raw_options) == 1 and isinstance(raw_options[0], dict) \
            and "box" in raw_options[0]
        if len(raw_options) < 2 and not lone_tick:
            raise doc.error(line, f"{where}options", "cần ít nhất hai lựa chọn")
        for oi, oraw in enumerate(raw_options):
            owhere = f"{where}options[{oi}]"
            # "box" (the number of a found box) only in pinned templates; checked with them.
            if not isinstance(oraw, dict) or not {"code", "label"} <= set(oraw) <= {"code", "label", "box"}:
                raise doc.error(doc.line_of(oraw, line), owhere, "mỗi lựa chọn cần đúng hai trường: code và label")
            code, label = str(oraw["code"]), nfc(str(oraw["label"]))
            if not CODE_PATTERN.match(code):
                raise doc.error(doc.line_of(oraw, line), owhere + ".code", f"mã «{code}» chỉ gồm chữ không dấu, số, '_'")
            options.append(Option(code, label))
    elif "options" in raw:
        raise doc.error(line, f"{where}options", f"câu loại «{qtype}» không nhận danh sách lựa chọn")
    if qtype == "scale":
        options = [Option(c, label) for c, label in SCALE_OPTIONS]
    elif qtype == "yesno":
        options = [Option(c, label) for c, label in YESNO_OPTIONS]
    if no_opinion:
        if qtype in ("date", "text"):
            raise doc.error(line, f"{where}no_opinion", f"câu loại «{qtype}» không có lựa chọn «Không ý kiến»")
        options.append(Option(NO_OPINION_CODE, NO_OPINION_LABEL))
    codes = [o.code for o in options]
    if len(set(codes)) != len(codes):
        raise doc.error(line, f"{where}options", "có mã lựa chọn bị trùng")

    years: tuple[int, ...] = ()
    if qtype == "date":
        years_raw = _require(doc, raw, "years", list, where)
        if not years_raw or not all(isinstance(y, int) and 2000 <= y <= 2100 for y in years_raw):
            raise doc.error(doc.line_of_key(raw, "years"), f"{where}years",
                            "cần danh sách năm, ví dụ [2025, 2026, 2027]")
        years = tuple(years_raw)
    lines = 0
    if qtype == "text":
        lines = raw.get("lines", 4)
        if not isinstance(lines, int) or not 1 <= lines <= 20:
            raise doc.error(line, f"{where}lines", "số dòng viết phải từ 1 đến 20")
    return Question(qid, text, qtype, tuple(options), years, lines, line)


def date_parts(question: Question) -> list[tuple[str, tuple[str, ...]]]:
    """The mark grids of a date question: (part, digit codes) in print order.

    A date is marked digit by digit: day tens 0–3, day units 0–9, month tens
    0–1, month units 0–9, then one box per allowed year. Each part is one
    single-choice row; a box's option code is ``"part:digit"``.
    """
    digits = tuple(str(d) for d in range(10))
    return [
        ("day_tens", ("0", "1", "2", "3")),
        ("day_units", digits),
        ("month_tens", ("0", "1")),
        ("month_units", digits),
        ("year", tuple(str(y) for y in question.years)),
    ]


def box_codes(question: Question) -> list[str]:
    """Every checkbox option code of a question, in print order."""
    if question.type == "date":
        return [f"{part}:{d}" for part, ds in date_parts(question) for d in ds]
    return [o.code for o in question.options]
