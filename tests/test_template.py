"""Templates are written by office staff: the shipped form must load, and every
mistake must be reported with the file, the line to look at and the field."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from omr.errors import TemplateError
from omr.forms.template import box_codes, load_template

# A small but complete template. Mutations below change one thing each.
MINIMAL = """\
form: thu-nghiem
version: 1
title: Phiếu thử
groups:
  - id: A
    title: A. Thông tin chung
    questions:
      - id: A1
        text: Giới tính
        type: single
        options:
          - {code: "1", label: Nam}
          - {code: "2", label: Nữ}
      - id: A2
        text: Ngày khảo sát
        type: date
        years: [2025, 2026]
      - id: A3
        text: Nơi ngồi chờ đủ chỗ
        type: scale
        no_opinion: true
      - id: A4
        text: Ý kiến khác
        type: text
        lines: 3
"""

SCALE_LABELS = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]


def write_template(folder: Path, text: str, name: str = "mau-phieu.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"test setup: {old!r} must occur exactly once"
    return text.replace(old, new)


def line_number(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    assert len(hits) >= occurrence, f"test setup: {needle!r} not found"
    return hits[occurrence - 1]


def reported_line(message: str) -> int:
    match = re.search(r"dòng (\d+)", message)
    assert match, f"no 'dòng <n>' in message: {message}"
    return int(match.group(1))


def load_error(path: Path) -> str:
    with pytest.raises(TemplateError) as info:
        load_template(path)
    return info.value.message


# --- the shipped form --------------------------------------------------------

@pytest.fixture(scope="module")
def default_template(default_template_path):
    return load_template(default_template_path)


def test_default_template_has_groups_a_to_h(default_template):
    assert [g.id for g in default_template.groups] == list("ABCDEFGH")
    for group in default_template.groups:
        assert group.title.startswith(f"{group.id}. ")
        assert group.questions


def test_default_template_questions(default_template):
    questions = default_template.questions
    ids = [q.id for q in questions]
    assert len(ids) == 33
    assert len(set(ids)) == len(ids)
    # Every question id starts with its group's letter, so answers sort by group.
    for group in default_template.groups:
        assert all(q.id.startswith(group.id) for q in group.questions)


def test_default_template_header_and_instructions(default_template):
    assert default_template.header == ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
    assert default_template.title.startswith("PHIẾU KHẢO SÁT MỨC ĐỘ HÀI LÒNG")
    joined = " ".join(default_template.instructions)
    assert "đánh dấu X" in joined
    assert "tô kín ô" in joined


def test_default_template_has_two_free_text_questions(default_template):
    texts = [q for q in default_template.questions if q.type == "text"]
    assert len(texts) == 2
    for q in texts:
        assert q.lines >= 1
        assert q.options == ()


def test_default_template_date_question(default_template):
    dates = [q for q in default_template.questions if q.type == "date"]
    assert len(dates) == 1
    date = dates[0]
    assert 2026 in date.years
    codes = box_codes(date)
    # Day tens 0-3, day units 0-9, month tens 0-1, month units 0-9, one box per year.
    assert len(codes) == 4 + 10 + 2 + 10 + len(date.years)
    assert len(set(codes)) == len(codes)
    assert "day_tens:3" in codes and "day_tens:4" not in codes
    assert "month_tens:1" in codes and "month_tens:2" not in codes
    assert {f"year:{y}" for y in date.years} <= set(codes)


def test_default_template_scale_questions(default_template):
    scales = [q for q in default_template.questions if q.type == "scale"]
    assert len(scales) >= 15
    with_no_opinion = 0
    for q in scales:
        codes = [o.code for o in q.options]
        assert codes[:5] == ["1", "2", "3", "4", "5"], q.id
        assert [o.label for o in q.options[:5]] == SCALE_LABELS, q.id
        if len(codes) == 6:
            assert codes[5] == "KYK", q.id
            assert q.options[5].label == "Không ý kiến"
            with_no_opinion += 1
        else:
            assert len(codes) == 5, q.id
    assert with_no_opinion > len(scales) / 2


def test_default_template_yesno_and_choices(default_template):
    for q in default_template.questions:
        if q.type == "yesno":
            assert [(o.code, o.label) for o in q.options] == [("Y", "Có"), ("N", "Không")]
        if q.type in ("single", "multiple"):
            codes = [o.code for o in q.options]
            assert len(codes) >= 2 and len(set(codes)) == len(codes), q.id
            assert all(o.label.strip() for o in q.options), q.id


# --- small valid templates ---------------------------------------------------

def test_minimal_template_loads(tmp_path):
    template = load_template(write_template(tmp_path, MINIMAL))
    assert template.form_id == "thu-nghiem"
    assert template.version == 1
    assert [q.id for q in template.questions] == ["A1", "A2", "A3", "A4"]
    assert template.question("A1").option_label("2") == "Nữ"
    assert template.question("A2").years == (2025, 2026)
    assert [o.code for o in template.question("A3").options] == ["1", "2", "3", "4", "5", "KYK"]
    assert template.question("A4").lines == 3


def test_decomposed_vietnamese_is_normalised_to_nfc(tmp_path):
    # Some editors and input methods save "ờ" as "o" + horn + grave (NFD); the
    # printed form and exported data must still use the precomposed letters.
    nfd = unicodedata.normalize("NFD", MINIMAL)
    assert nfd != MINIMAL
    template = load_template(write_template(tmp_path, nfd))
    assert template.title == "Phiếu thử"
    assert template.question("A3").text == "Nơi ngồi chờ đủ chỗ"
    assert template.question("A1").option_label("2") == "Nữ"
    assert template.groups[0].title == "A. Thông tin chung"


def test_utf8_with_bom_loads(tmp_path):
    # Older Windows Notepad saves "UTF-8" with a byte order mark.
    path = tmp_path / "mau-phieu.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode("utf-8"))
    assert load_template(path).form_id == "thu-nghiem"


def test_comments_and_formatting_do_not_change_the_content_hash(tmp_path):
    original = load_template(write_template(tmp_path, MINIMAL, "a.yaml"))
    reformatted = MINIMAL.replace("          - {code: \"1\", label: Nam}",
                                  "          # giới tính theo giấy tờ\n          - code: \"1\"\n            label: Nam")
    assert load_template(write_template(tmp_path, reformatted, "b.yaml")).content_hash == original.content_hash
    changed = replace_once(MINIMAL, "label: Nam}", "label: Nam giới}")
    assert load_template(write_template(tmp_path, changed, "c.yaml")).content_hash != original.content_hash


# --- validation errors: file, line, field -------------------------------------

VALIDATION_CASES = {
    # id: (mutation of MINIMAL, needle on the line the message must name, field)
    "missing-required-type": (
        lambda t: replace_once(t, "        type: single\n", ""),
        ("- id: A1", 1), "groups[0].questions[0].type"),
    "missing-required-title": (
        lambda t: replace_once(t, "title: Phiếu thử\n", ""),
        ("form: thu-nghiem", 1), "title"),
    "unknown-question-type": (
        lambda t: replace_once(t, "type: scale", "type: thang_diem"),
        ("type: thang_diem", 1), "groups[0].questions[2].type"),
    "duplicate-question-id": (
        lambda t: replace_once(t, "- id: A3", "- id: A1"),
        ("- id: A1", 2), "groups[0].questions[2].id"),
    "duplicate-id-not-first-key": (
        lambda t: replace_once(t, "      - id: A3\n        text: Nơi ngồi chờ đủ chỗ\n",
                               "      - text: Nơi ngồi chờ đủ chỗ\n        id: A2\n"),
        ("id: A2", 2), "groups[0].questions[2].id"),
    "duplicate-id-in-another-group": (
        lambda t: t + "  - id: B\n    title: B. Khác\n    questions:\n"
                      "      - {id: A2, type: yesno, text: Có quay lại không}\n",
        ("{id: A2", 1), "groups[1].questions[0].id"),
    "unknown-key-typo-in-question": (
        lambda t: replace_once(t, "        options:", "        optons:"),
        ("optons:", 1), "groups[0].questions[0].optons"),
    "unknown-key-at-end-of-file": (
        lambda t: t + "ghi_chu: mẫu thử\n",
        ("ghi_chu:", 1), "ghi_chu"),
    "unknown-key-in-group": (
        lambda t: replace_once(t, "    questions:\n", "    mo_ta: nhóm đầu\n    questions:\n"),
        ("mo_ta:", 1), "groups[0].mo_ta"),
    "option-without-code": (
        lambda t: replace_once(t, '{code: "2", label: Nữ}', "{label: Nữ}"),
        ("{label: Nữ}", 1), "groups[0].questions[0].options[1]"),
    "years-not-integers": (
        lambda t: replace_once(t, "years: [2025, 2026]", 'years: [2025, "năm sau"]'),
        ("years:", 1), "groups[0].questions[1].years"),
    "years-with-decimal": (
        lambda t: replace_once(t, "years: [2025, 2026]", "years: [2025, 2026.5]"),
        ("years:", 1), "groups[0].questions[1].years"),
    "years-not-a-list": (
        lambda t: replace_once(t, "years: [2025, 2026]", "years: 2026"),
        ("years:", 1), "groups[0].questions[1].years"),
}


@pytest.mark.parametrize("case", list(VALIDATION_CASES))
def test_validation_error_names_file_line_and_field(tmp_path, case):
    mutate, (needle, occurrence), field = VALIDATION_CASES[case]
    text = mutate(MINIMAL)
    path = write_template(tmp_path, text, "phieu-loi.yaml")
    message = load_error(path)
    assert "phieu-loi.yaml" in message
    assert reported_line(message) == line_number(text, needle, occurrence), message
    assert f"«{field}»" in message


def test_error_messages_say_what_is_wrong(tmp_path):
    def message_for(old, new):
        return load_error(write_template(tmp_path, replace_once(MINIMAL, old, new)))

    message = message_for("type: scale", "type: thang_diem")
    assert "«thang_diem»" in message and "scale" in message and "single" in message
    assert "thiếu trường bắt buộc" in message_for("        type: single\n", "")
    assert "«A1»" in message_for("- id: A3", "- id: A1")
    message = message_for("        options:", "        optons:")
    assert "trường không được biết" in message and "options" in message
    assert "code" in message_for('{code: "2", label: Nữ}', "{label: Nữ}")


def test_line_numbers_are_right_with_windows_line_endings(tmp_path):
    text = replace_once(MINIMAL, "        options:", "        optons:")
    path = tmp_path / "phieu-crlf.yaml"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    assert reported_line(load_error(path)) == line_number(text, "optons:")


YAML_SYNTAX_CASES = {
    # Vietnamese text with a colon, not quoted: the commonest mistake.
    "unquoted-colon": ("text: Nơi ngồi chờ đủ chỗ", "text: Ghi chú: nơi ngồi chờ", "Ghi chú:"),
    "tab-indentation": ("        type: scale", "\ttype: scale", "\ttype"),
    "unclosed-quote": ("text: Nơi ngồi chờ đủ chỗ", 'text: "Nơi ngồi chờ đủ chỗ', '"Nơi ngồi'),
    "unclosed-bracket": ("years: [2025, 2026]", "years: [2025, 2026", "years:"),
}


@pytest.mark.parametrize("case", list(YAML_SYNTAX_CASES))
def test_yaml_syntax_error_names_file_and_line(tmp_path, case):
    old, new, needle = YAML_SYNTAX_CASES[case]
    text = replace_once(MINIMAL, old, new)
    message = load_error(write_template(tmp_path, text, "phieu-cu-phap.yaml"))
    assert "phieu-cu-phap.yaml" in message
    assert "YAML" in message
    assert reported_line(message) == line_number(text, needle), message


LEGACY_TEMPLATE = """\
form: thu-nghiem
version: 1
title: Phieu thu
groups:
  - id: A
    title: A. Thong tin chung
    questions:
      - id: A1
        text: {text}
        type: single
        options:
          - {{code: "1", label: Nam}}
          - {{code: "2", label: Nu}}
"""

TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 as old Vietnamese Windows editors write it: base letter + tone mark."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
            out += (base + "".join(c for c in decomposed if c in TONE_MARKS)).encode("cp1258")
    return bytes(out)


@pytest.mark.parametrize("codec, question_text", [("cp1258", "Giới tính"), ("latin-1", "Thông báo")])
def test_non_utf8_file_names_file_and_line(tmp_path, codec, question_text):
    text = LEGACY_TEMPLATE.format(text=question_text)
    data = encode_cp1258(text) if codec == "cp1258" else text.encode(codec)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    path = tmp_path / "phieu-ansi.yaml"
    path.write_bytes(data)
    message = load_error(path)
    assert "phieu-ansi.yaml" in message
    assert "UTF-8" in message
    assert reported_line(message) == line_number(text, question_text), message


def test_missing_file_is_named(tmp_path):
    message = load_error(tmp_path / "khong-co.yaml")
    assert "khong-co.yaml" in message
    assert "Không tìm thấy" in message


@pytest.mark.parametrize("qid", ["unit", "Serial", "date", "batch", "flags", "A1_status", "A4_text_source", "B_crop"])
def test_question_ids_that_would_name_an_export_column_are_refused(tmp_path, qid):
    """An id equal to an export column (or ending like a question's own columns) gave duplicate columns."""
    text = replace_once(MINIMAL, "      - id: A3\n", f"      - id: {qid}\n")
    message = load_error(write_template(tmp_path, text))
    assert f"mã câu hỏi «{qid}»" in message and "bảng xuất dữ liệu" in message
    assert reported_line(message) == line_number(text, f"id: {qid}")


def test_question_ids_like_export_columns_but_not_equal_are_accepted(tmp_path):
    text = replace_once(MINIMAL, "      - id: A3\n", "      - id: unit2\n")
    assert [q.id for q in load_template(write_template(tmp_path, text)).questions][2] == "unit2"
