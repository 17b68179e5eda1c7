"""Words a user reads: units said in full, status words written alike, examples in Vietnamese with diacritics."""

from __future__ import annotations

import re

import pytest

from omr.data import users
from omr.errors import BadArgumentsError
from omr.model import INVALID_MULTIPLE
from omr.reports import render
from omr.reports.export_vi import VALUE_LABELS
from omr.text.normalise import strip_diacritics


def test_a_change_of_a_percentage_is_said_in_percentage_points():
    assert render.delta(6.7449) == "+6,74 điểm phần trăm" and render.delta(-1.5) == "−1,50 điểm phần trăm"
    # In a table the column header names the unit once; the cells are signed numbers.
    assert render.cell_text(6.7449, "delta") == "+6,74"
    assert render.DELTA_HEADER == "Thay đổi (điểm phần trăm)"
    assert "điểm %" not in render.delta(2.0) + render.DELTA_HEADER


def test_the_docx_header_does_not_break_inside_a_phrase():
    assert render.unbroken(render.INVALID_HEADER) == "Không hợp lệ (nhiều\u00a0ô)"
    assert render.unbroken(render.DELTA_HEADER) == "Thay đổi (điểm phần\u00a0trăm)"
    # Column widths treat "(nhiều ô)" as one word: the column is wide enough for it on one line.
    widths = render.column_widths(["Nội dung", render.unbroken(render.INVALID_HEADER)], [["x", "0"]], 10.0, {0}, 11)
    assert widths[1] >= render.text_width_cm("(nhiều ô)", 11, True)


def test_the_exports_status_words_are_written_alike():
    words = VALUE_LABELS["status"]
    assert words[INVALID_MULTIPLE] == "không hợp lệ (đánh nhiều ô)"
    assert all(text[0] == text[0].lower() for text in words.values()), words


def test_the_password_hint_gives_a_vietnamese_example_the_checker_accepts():
    with pytest.raises(BadArgumentsError) as refused:
        users.check_password("matkhau123", "lan", chosen=True)
    example = re.search(r"«([^»]+)»", refused.value.message).group(1)
    assert strip_diacritics(example) != example  # it has diacritics
    assert users.check_password(example, "lan", chosen=True) == example
