"""Options stacked one under another on a blank made elsewhere: each row holds one box.

A row of one box measured the spacing of its coded gaps with numpy's median of nothing (a
RuntimeWarning, a NaN kept for a comparison that happened not to run): the row is one segment, with
no warning.
"""

from __future__ import annotations

import warnings

from omr.template_from.boxes import Found
from omr.template_from.printed import PrintedWord
from omr.template_from.questions import group_by_print


def _line(text: str, x: float, y: float, number: int) -> list[PrintedWord]:
    words, at = [], x
    for word in text.split():
        words.append(PrintedWord(word, 100.0, at, y, 2.0 * len(word), 3.5, number, exact=True))
        at += 2.0 * len(word) + 1.5
    return words


def test_a_question_with_one_option_a_row_groups_its_boxes_without_a_warning():
    words = _line("Câu 1. Ông/bà đến bằng phương tiện gì?", 25, 60, 0)
    boxes = []
    for k, label in enumerate(("Xe máy", "Ô tô", "Đi bộ")):
        y = 68 + 8 * k
        boxes.append(Found("square", 25, y, 4, 4))
        words += _line(label, 31, y, k + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        questions = group_by_print(boxes, words)
    assert len(questions) == 1, questions
    assert sorted(questions[0].boxes) == [0, 1, 2]
    assert [questions[0].labels[i] for i in range(3)] == ["Xe máy", "Ô tô", "Đi bộ"]
