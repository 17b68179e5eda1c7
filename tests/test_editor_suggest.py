"""The editor's «Gợi ý» offers only a standard question of the same kind (the fresh-user trial's Writer
form: its yes/no question was offered C2, a 1–5 question, and its 5-box overall question nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from omr.web.template_drafts import _suggest, standard_template

ROOT = Path(__file__).resolve().parent.parent
SCALE = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]


@pytest.fixture(scope="module")
def standard():
    template = standard_template(ROOT / "form_templates")
    assert template is not None and template.form_id == "motcua-2026"
    return template


def suggested(text, labels, standard):
    found = _suggest(text, labels, standard)
    return found and found["question"]


def test_a_yes_no_question_is_offered_the_yes_no_standard_question_never_a_scale(standard):
    assert suggested("Câu 3. Ông/Bà có phải nộp tiền ngoài quy định không?", ["Không", "Có"], standard) == "H2"


def test_the_overall_satisfaction_question_is_offered_h1(standard):
    assert suggested("Câu 4. Mức độ hài lòng chung:", ["1", "2", "3", "4", "5"], standard) == "H1"
    assert suggested("Câu 2. Cán bộ tiếp nhận có thái độ lịch sự, tôn trọng không?", SCALE, standard) == "D1"


def test_questions_of_no_standard_kind_or_unlike_any_get_no_suggestion(standard):
    assert suggested("Câu 1. Giới tính:", ["Nam", "Nữ"], standard) is None
    # Three levels (a kiosk's) are not the 1–5 scale, however alike the text.
    assert suggested("Mức độ hài lòng chung", ["Rất hài lòng", "Hài lòng", "Không hài lòng"], standard) is None
    assert suggested("Câu 6. Mức độ sạch sẽ của nhà vệ sinh", SCALE, standard) is None
