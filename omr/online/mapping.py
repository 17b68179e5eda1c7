"""Mappings: which column of an export is which question, and which label is which option code.

``omr online mapping`` proposes one (fuzzy, accent-insensitive, with scores) for
a person to check; ``omr online import`` applies it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import yaml

from omr import tuning as T
from omr.errors import BadArgumentsError, TemplateError
from omr.forms.template import Question, Template, load_template
from omr.online.table import Table, is_blank_cell
from omr.online.values import LabelError, LabelIndex
from omr.online.windows1258 import lossy_contains, lossy_fits, lossy_fold
from omr.text.normalise import fold, nfc

# A question text found whole inside a header (or the reverse) scores this, if
# it is long enough not to be a common word ("Nam", "Khác").
CONTAINED_SCORE, CONTAINED_MIN_CHARS = 0.9, 12  # a sample label below this gets no proposed code: a person must decide
SUBMITTED_AT, UNIT, IGNORE = "submitted_at", "unit", "ignore"
FIELDS = (SUBMITTED_AT, UNIT, IGNORE)
DATE_ORDERS = ("auto", "dmy", "mdy")
# Column headers with a fixed meaning (folded).
TIMESTAMP_HEADERS = {"timestamp", "dau thoi gian", "thoi gian", "thoi gian gui", "ngay gui", "submitted at",
                     "submission time", "thoi diem gui", "ngay gio gui", "created", "created at"}
UNIT_HEADERS = {"don vi", "ten don vi", "xa phuong", "phuong xa", "xa phuong dac khu", "xa phuong thi tran",
                "unit", "ward", "commune", "don vi giai quyet", "noi giai quyet ho so", "co quan giai quyet",
                "ma don vi", "bo phan mot cua"}
UNIT_HEADER_STARTS = ("don vi ", "xa phuong ", "phuong xa ")
# Personal data a form may collect: never imported (the survey is anonymous).
PERSONAL_HEADERS = {"email address", "dia chi email", "email", "ho ten", "ho va ten", "ten", "so dien thoai",
                    "dien thoai", "sdt", "cccd", "so cccd", "dia chi", "score", "diem", "tong diem"}
GRID_HEADER = re.compile(r"^(?P<title>.*?)\s*\[(?P<row>[^\[\]]+)\]\s*$")

# --- mapping ------------------------------------------------------------------------

@dataclass
class ColumnRule:
    column: str  # header text as in the file
    question: str | None = None
    field: str | None = None  # submitted_at | unit | ignore
    score: float | None = None


@dataclass
class Mapping:
    template: Template
    template_path: str
    columns: list[ColumnRule]
    labels: dict[str, dict[str, str | None]]  # question -> {folded label: code or None}
    date_order: str = "auto"
    source: str = ""  # the mapping file, for messages

    def rule_for(self, header: str) -> ColumnRule | None:
        """The rule of a file column: same text folded, or a grid column's [row] text."""
        key = fold(header)
        for rule in self.columns:
            if fold(rule.column) == key:
                return rule
        grid = GRID_HEADER.match(header)
        if grid:
            row_key = fold(grid.group("row"))
            for rule in self.columns:
                if rule.question and fold(rule.column) == row_key:
                    return rule
        # "Timestamp" for "Dấu thời gian" (the other UI language), personal data, a unit column.
        known = _field_of(header)
        if known is not None:
            return ColumnRule(header, field=known, score=1.0)
        return None


def similarity(a: str, b: str) -> float:
    """0..1, accent- and case-insensitive: the better of character and word overlap."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return 0.0
    chars = SequenceMatcher(None, fa, fb, autojunk=False).ratio()
    wa, wb = set(fa.split()), set(fb.split())
    words = len(wa & wb) / len(wa | wb)
    # One text inside the other: a header with a hint added, "Câu 5. ..." numbering.
    shorter, longer = sorted((fa, fb), key=len)
    contained = CONTAINED_SCORE if len(shorter) >= CONTAINED_MIN_CHARS and shorter in longer else 0.0
    # A header from a lossy Windows-1258 save ("M?c đ? hài l?ng"): each "?" is one lost letter.
    la, lb = lossy_fold(a), lossy_fold(b)
    if (la is None) != (lb is None):
        lossy, clean = (la, fb) if la is not None else (lb, fa)
        if lossy_fits(lossy, clean):
            return 1.0
        if min(len(lossy), len(clean)) >= CONTAINED_MIN_CHARS and lossy_contains(lossy, clean):
            contained = CONTAINED_SCORE
    return round(max(chars, words, contained), 3)


def _header_score(header: str, question: Question) -> float:
    score = similarity(header, question.text)
    grid = GRID_HEADER.match(header)
    if grid:
        score = max(score, similarity(grid.group("row"), question.text))
    return score


def _field_of(header: str) -> str | None:
    key = fold(header)
    grid = GRID_HEADER.match(header)
    lossy = lossy_fold(header)  # a lossy Windows-1258 header ("D?u th?i gian"): "?" is any one letter

    def known(keys) -> bool:
        return key in keys or (lossy is not None and any(lossy_fits(lossy, k) for k in keys))

    if known(TIMESTAMP_HEADERS):
        return SUBMITTED_AT
    if known(PERSONAL_HEADERS):
        return IGNORE
    if not grid and (known(UNIT_HEADERS) or key.startswith(UNIT_HEADER_STARTS) or (
            lossy is not None and any(lossy_fits(lossy, start, prefix=True) for start in UNIT_HEADER_STARTS))):
        return UNIT
    return None


def propose_columns(template: Template, headers: list[str]) -> list[ColumnRule]:
    """One rule per header: a fixed field, the best question (each used once), or nothing."""
    rules = [ColumnRule(h, field=_field_of(h), score=1.0 if _field_of(h) else None) for h in headers]
    candidates = sorted(((_header_score(h, q), i, q.id) for i, h in enumerate(headers) if rules[i].field is None
                         for q in template.questions), reverse=True)
    used_columns, used_questions = set(), set()
    for score, i, qid in candidates:
        if score < T.ONLINE_PROPOSE_MIN_SCORE:
            break
        if i in used_columns or qid in used_questions:
            continue
        rules[i].question, rules[i].score = qid, score
        used_columns.add(i)
        used_questions.add(qid)
    for i, rule in enumerate(rules):
        if rule.field is None and rule.question is None:
            best = max((_header_score(rule.column, q) for q in template.questions), default=0.0)
            rule.field, rule.score = IGNORE, best
    return rules


def propose_labels(question: Question, values: list[str]) -> list[tuple[str, str | None, float, str]]:
    """(label seen, proposed code or None, score, closest option label) for a sample's distinct labels."""
    index = LabelIndex(question)
    out = []
    for value in values:
        try:
            out.append((value, index.code(value), 1.0, ""))
            continue
        except LabelError:
            pass
        scored = sorted(((similarity(value, o.label), o) for o in question.options), key=lambda t: -t[0])
        score, option = scored[0] if scored else (0.0, None)
        code = option.code if option is not None and score >= T.ONLINE_LABEL_PROPOSE_MIN else None
        out.append((value, code, score, option.label if option else ""))
    return out


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def mapping_yaml(template: Template, template_path: str, sample: Table | None = None) -> str:
    """The proposed mapping as commented YAML, for a person to check and edit.

    Without ``sample`` it is a starter: one column per question named by its text, with no «score» (no
    file was compared), for a person to rename to the export's headers."""
    lines = [
        f"# Ánh xạ tệp xuất trực tuyến -> mẫu phiếu {template.form_id} phiên bản {template.version}.",
        "# Kiểm tra từng cột: «score» là độ giống (0–1) giữa tiêu đề cột và câu hỏi." if sample is not None else
        "# Tệp ánh xạ mẫu, chưa so với tệp xuất nào: sửa mỗi «column» cho đúng tiêu đề cột trong tệp xuất.",
        "# question: mã câu hỏi; field: submitted_at (thời điểm gửi), unit (đơn vị), ignore (bỏ qua).",
        "# labels: nhãn trả lời -> mã lựa chọn; nhãn có mã null là chưa khớp, cần điền mã trước khi nhập.",
        f"template: {_quote(template_path)}",
        "date_order: auto  # auto | dmy (ngày/tháng/năm) | mdy (tháng/ngày/năm)",
        "columns:",
    ]
    if sample is None:
        headers = ["Dấu thời gian", "Đơn vị"] + [q.text for q in template.questions]
        rules = [ColumnRule("Dấu thời gian", field=SUBMITTED_AT), ColumnRule("Đơn vị", field=UNIT)]
        rules += [ColumnRule(q.text, question=q.id) for q in template.questions]
    else:
        headers = sample.header
        rules = propose_columns(template, headers)
    for rule in rules:
        lines.append(f"  - column: {_quote(rule.column)}")
        if rule.question:
            question = template.question(rule.question)
            lines.append(f"    question: {rule.question}  # {question.text}")
        else:
            note = {"submitted_at": "thời điểm gửi", "unit": "đơn vị",
                    "ignore": "không nhập (không khớp câu hỏi nào, hoặc là dữ liệu cá nhân)"}[rule.field]
            lines.append(f"    field: {rule.field}  # {note}")
        if rule.score is not None:
            lines.append(f"    score: {rule.score:.2f}")
    lines.append("labels:")
    mapped = {r.question: i for i, r in enumerate(rules) if r.question}
    wrote_any = False
    for question in template.questions:
        if not question.is_choice:
            continue
        if sample is not None and question.id in mapped:
            column = mapped[question.id]
            seen: list[str] = []
            for _, cells in sample.rows:
                value = cells[column] if column < len(cells) else None
                if is_blank_cell(value) or not isinstance(value, str):
                    continue
                index = LabelIndex(question)
                try:
                    parts = index.codes(value) and [value]
                except LabelError:
                    parts = [p.strip() for p in re.split(r"[;\n]|,\s", value) if p.strip()] \
                        if question.type == "multiple" else [value.strip()]
                for part in parts:
                    if part not in seen:
                        seen.append(part)
            proposals = [p for p in propose_labels(question, seen) if p[2] < 1.0]
        else:
            proposals = []
        lines.append(f"  {question.id}:  # {question.text}")
        for option in question.options:
            lines.append(f"    {_quote(option.label)}: {_quote(option.code)}")
        for value, code, score, closest in proposals:
            shown = _quote(code) if code is not None else "null"
            hint = f"gần nhất «{closest}», score {score:.2f}" if closest else f"score {score:.2f}"
            lines.append(f"    {_quote(value)}: {shown}  # từ tệp mẫu; {hint}")
        wrote_any = True
    if not wrote_any:
        lines[-1] = "labels: {}"
    return "\n".join(lines) + "\n"


def _yaml_error(path: Path, text: str, exc: yaml.YAMLError) -> str:
    """PyYAML's error on a mapping file said in Vietnamese with the file and line (1-based): its own
    English text is not shown (a fresh user's trial saw «unacceptable character #x0000 …»)."""
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML refuses (NUL, other controls): no mark
        line = text[:exc.position].count("\n") + 1
        return (f"{path}, dòng {line}: tệp ánh xạ có ký tự không được phép trong YAML (mã U+{exc.character:04X}); "
                "hãy xoá ký tự đó hoặc tạo lại tệp bằng «omr online mapping»")
    mark = getattr(exc, "problem_mark", None)
    where = f", dòng {mark.line + 1}" if mark is not None else ""
    return (f"{path}{where}: tệp ánh xạ không phải YAML hợp lệ (kiểm tra dấu hai chấm, dấu nháy, dấu ngoặc "
            "và thụt lề ở dòng này hoặc dòng trên nó)")


def load_mapping(path: str | Path, templates: str | Path | None = None) -> Mapping:
    """Read a mapping YAML; TemplateError (file and field named) when it is not valid.

    Its ``template`` is a path, relative to the folder omr runs from, the mapping's folder or one above
    it; or a file name in ``templates`` (the templates folder: a starter mapping downloaded from the web
    app names its template by file name only, never by the server's path)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadArgumentsError(f"Không tìm thấy tệp ánh xạ: {path}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise TemplateError(f"{path}, dòng {line}: tệp ánh xạ không phải văn bản "
                            "UTF-8 (hãy lưu lại tệp với bảng mã UTF-8)") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TemplateError(_yaml_error(path, text, exc)) from None
    if not isinstance(data, dict) or "template" not in data or "columns" not in data:
        raise TemplateError(f"{path}: tệp ánh xạ cần các trường template và columns")
    template_path = str(data["template"])
    candidate = Path(template_path)
    if not candidate.exists() and not candidate.is_absolute():
        # Written relative to the folder omr was run from when the mapping was made (the project's); run
        # from elsewhere, it is found beside the mapping or in a folder above it.
        for folder in (path.parent, *path.resolve().parent.parents):
            if (folder / candidate).exists():
                candidate = folder / candidate
                break
        else:
            if templates is not None and (Path(templates) / candidate.name).exists():
                candidate = Path(templates) / candidate.name
    template = load_template(candidate)
    date_order = str(data.get("date_order", "auto"))
    if date_order not in DATE_ORDERS:
        raise TemplateError(f"{path}, trường date_order: «{date_order}» không hợp lệ; chọn auto, dmy hoặc mdy")
    ids = {q.id for q in template.questions}
    columns = []
    for i, raw in enumerate(data["columns"] or []):
        where = f"{path}, columns[{i}]"
        if not isinstance(raw, dict) or "column" not in raw:
            raise TemplateError(f"{where}: mỗi mục cần trường column")
        question, kind = raw.get("question"), raw.get("field")
        if (question is None) == (kind is None):
            raise TemplateError(f"{where}: cần đúng một trong hai trường question hoặc field")
        if question is not None and str(question) not in ids:
            raise TemplateError(f"{where}: câu hỏi «{question}» không có trong mẫu phiếu {template.form_id}")
        if kind is not None and kind not in FIELDS:
            raise TemplateError(f"{where}: field «{kind}» không hợp lệ; chọn {', '.join(FIELDS)}")
        columns.append(ColumnRule(nfc(str(raw["column"])), None if question is None else str(question), kind,
                                  raw.get("score")))
    labels: dict[str, dict[str, str | None]] = {}
    raw_labels = data.get("labels") or {}
    if not isinstance(raw_labels, dict):
        raise TemplateError(f"{path}, trường labels: phải là bảng câu hỏi -> {{nhãn: mã}}")
    for qid, table in raw_labels.items():
        qid = str(qid)
        if qid not in ids:
            raise TemplateError(f"{path}, labels: câu hỏi «{qid}» không có trong mẫu phiếu")
        codes = {o.code for o in template.question(qid).options}
        entries: dict[str, str | None] = {}
        for label, code in (table or {}).items():
            if code is not None and str(code) not in codes:
                raise TemplateError(f"{path}, labels.{qid}: mã «{code}» của nhãn «{label}» không phải lựa chọn "
                                    f"của câu {qid} ({', '.join(sorted(codes))})")
            entries[fold(str(label))] = None if code is None else str(code)
        labels[qid] = entries
    return Mapping(template, str(candidate), columns, labels, date_order, str(path))


def mapping_from_file(template: Template, template_path: str, table: Table) -> Mapping:
    """Without a mapping file: the proposal's confident columns, the template's own labels."""
    rules = [r if r.field or (r.score or 0) >= T.ONLINE_AUTO_MIN_SCORE
             else ColumnRule(r.column, field=IGNORE, score=r.score)
             for r in propose_columns(template, table.header)]
    return Mapping(template, template_path, rules, {}, "auto", "(tự động)")


