"""Which printed question texts make a question from a blank form multiple-choice (omr template from-blank)."""

from __future__ import annotations

import pytest

from omr.template_from.questions import asks_for_several


@pytest.mark.parametrize("text", [
    "Câu 3. Ông/Bà biết thông tin qua kênh nào? (có thể chọn nhiều)",
    "Ông/Bà biết thông tin qua kênh nào? (chọn nhiều phương án)",
    "Khó khăn gặp phải (đánh dấu mọi ô phù hợp)",
    "Câu 7. Nội dung cần cải thiện (có thể đánh dấu nhiều ô)",
    "CÂU 5. LÝ DO (CÓ THỂ CHỌN NHIỀU)",
    "Hình thức nộp hồ sơ (tích nhiều lựa chọn nếu có)",
])
def test_texts_that_ask_for_several_answers_make_a_multiple_choice_question(text):
    assert asks_for_several(text)


@pytest.mark.parametrize("text", [
    # A new user's trial: both boxes ticked were read as a valid answer "1;2", not sent to review.
    "Câu 2. Ông/Bà có phải đi lại nhiều lần không?",
    "Ông/Bà chờ đợi nhiều không?",
    "Mức độ hài lòng với nhiều thủ tục",
    "Câu 1. Giới tính",
])
def test_nhieu_alone_does_not_make_a_question_multiple_choice(text):
    assert not asks_for_several(text)
