"""Amounts, numbers and key words in handwriting drafts (hhand).

A draft read «bỏi dưỡng 2000 ông» for «bồi dưỡng 200.000 đồng»: the amount and its unit changed, and a
reviewer accepting the draft unread would store the wrong amount. Drafts now keep every number exactly as
the recogniser read it (post-correction never rebuilds one), fix a money unit misread after an amount and a
lexicon term one mark away, mark the number parts for the reviewer (unsure ones apart), and never call a
draft with a number «có vẻ đọc đúng».
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from omr.data.review import draft_numbers
from omr.scan import comments as C
from omr.scan.comment_model import NUMBER_CHECK, NUMBER_UNSURE
from omr.scan.postcorrect import correct_line
from omr.scan.recognise import CharRead, LineRead, ctc_characters
from omr.text.lexicon import find_terms
from omr.text.privacy import PHONE_LABEL, mask_personal_numbers


def _line(text: str, doubts: dict[int, tuple[float, tuple]] | None = None,
          missed: dict[int, tuple[str, float]] | None = None) -> LineRead:
    """A line read at full confidence but for ``doubts`` (index: (confidence, rivals)) and the characters
    seen but not written before index ``missed``."""
    doubts, missed = doubts or {}, missed or {}
    chars = tuple(CharRead(ch, doubts.get(i, (1.0, ()))[0], doubts.get(i, (1.0, ()))[1], missed.get(i, ("", 0.0)))
                  for i, ch in enumerate(text))
    return LineRead(text, chars, "test")


def _numbers(line):
    return [(w.text, w.unsure) for w in line.words if w.number]


def test_the_trial_draft_gets_its_unit_and_term_back_and_its_amount_marked_unsure():
    line = correct_line(_line("đòi tiền bỏi dưỡng 2000 ông"))
    assert line.text == "đòi tiền bồi dưỡng 2000 đồng"
    # The amount is as read (never invented: 200.000 stays for the reviewer to see); the unit was a rule's guess.
    assert _numbers(line) == [("2000", False), ("đồng", True)]
    assert [m.term for m in find_terms(line.text)] == ["đòi tiền", "bồi dưỡng"]


@pytest.mark.parametrize("read, drafted", [
    ("nộp 200.000 dồng phí", "nộp 200.000 đồng phí"),
    ("đưa 500 nghìn dong", "đưa 500 nghìn đồng"),
    ("nộp 200.000d", "nộp 200.000đ"),  # written short: kept short
    ("mất 1,5 triệu đông", "mất 1,5 triệu đồng"),
    ("gặp 2 ông cán bộ", "gặp 2 ông cán bộ"),  # two men, not two đồng
    ("phòng bị trước", "phòng bị trước"),  # two marks from «phong bì»: left as read
])
def test_money_units_after_an_amount_are_fixed_and_nothing_else(read, drafted):
    assert correct_line(_line(read)).text == drafted


def test_a_number_is_never_rebuilt_from_the_recognisers_rivals():
    # «200k» read «20Qk», the Q's rivals a 0 and nothing, the k's nothing: snapping made it «20», an amount ten
    # times smaller that looked clean. The number stays as read and is marked unsure.
    line = correct_line(_line("nộp 20Qk", {5: (0.4, (("", 0.35), ("0", 0.2))), 6: (0.5, (("", 0.45),))}))
    assert line.text == "nộp 20Qk"
    assert _numbers(line) == [("20Qk", True)]


def test_a_separator_seen_but_not_written_leaves_the_number_unsure():
    # «1,5 triệu» read «15 triệu» with both digits at 1.00: only the gap showed the comma (0.034 on a synthetic line).
    line = correct_line(_line("mất 15 triệu", missed={5: (",", 0.034)}))
    assert _numbers(line) == [("15", True), ("triệu", False)]
    clean = correct_line(_line("mất 15 triệu"))
    assert _numbers(clean) == [("15", False), ("triệu", False)]
    doubted = correct_line(_line("mất 15 triệu", {5: (0.9, (("3", 0.08),))}))
    assert _numbers(doubted)[0] == ("15", True)


def test_ctc_decoding_keeps_what_the_blank_frames_almost_wrote():
    alphabet = ["", "1", "5", ","]
    frames = np.array([[0.05, 0.9, 0.0, 0.05],    # 1
                       [0.9, 0.06, 0.0, 0.04],    # blank, a comma at 0.04
                       [0.95, 0.0, 0.02, 0.03],   # blank
                       [0.05, 0.0, 0.95, 0.0]])   # 5
    chars = ctc_characters(frames, alphabet)
    assert "".join(c.char for c in chars) == "15"
    assert chars[1].missed_before == (",", pytest.approx(0.04))  # the neighbours' own classes left out
    assert chars[0].missed_before == ("", 0.0)
    # After the last character: «0912 000 345» losing its 5 at the end of the line.
    tail = ctc_characters(np.array([[0.05, 0.0, 0.95, 0.0], [0.9, 0.0, 0.0, 0.1]]), alphabet)
    assert tail[-1].missed_after == (",", pytest.approx(0.1))
    line = correct_line(LineRead("gọi 0912 000 34", tuple(CharRead(c, 1.0) for c in "gọi 0912 000 3")
                                 + (CharRead("4", 1.0, (), ("", 0.0), ("5", 0.05)),), "test"))
    assert _numbers(line)[-1] == ("34", True)


@pytest.mark.parametrize("read, numbers", [
    ("đưa sao nghĩn cho cán bộ", [("sao", True), ("nghĩn", True)]),  # «500 nghìn», its digits read as letters
    ("đưa năm trăm nghìn", [("trăm", False), ("nghìn", False)]),  # an amount in words: checked, not doubted
    ("chờ từ 7h30 đến 10h", [("7h30", False), ("10h", False)]),  # times are numbers as written
    ("nộp lệ phí50.000đ", [("phí50.000đ", False)]),  # a space missed, the number whole
])
def test_amounts_are_marked_however_they_were_read(read, numbers):
    assert _numbers(correct_line(_line(read))) == numbers


@pytest.mark.parametrize("draft", ["SĐT 087.000.123 nếu cần", "gọi 0912-000-34"])
def test_a_phone_number_a_draft_dropped_a_digit_of_is_still_masked(draft):
    assert PHONE_LABEL in mask_personal_numbers(draft)


@pytest.mark.parametrize("text", ["Đưa 2000 đồng cho cán bộ", "Hẹn ngày 12 mới trả kết quả"])
def test_a_draft_with_a_number_is_never_likely_correct(text):
    confidence, likely = C.comment_quality([correct_line(_line(text))])
    assert confidence == 100.0 and likely is False
    assert C.comment_quality([correct_line(_line("Cán bộ rất chu đáo"))])[1] is True


def test_phone_numbers_in_drafts_are_kept_whole_and_masked():
    # A doubted digit of a phone number with «nothing» as its rival: snapping could drop it and the
    # number would no longer look like a phone to the masking.
    line = correct_line(_line("gọi 0912345678 nhé", {13: (0.45, (("", 0.4),))}))
    assert "0912345678" in line.text and _numbers(line) == [("0912345678", True)]
    assert PHONE_LABEL in mask_personal_numbers(line.text)


def test_the_stored_words_carry_the_number_marks_and_the_review_page_groups_them(monkeypatch):
    class Reads:
        def read_line(self, image):
            return _line("đòi 200.000 ông tiền bỏi dưỡng", missed={6: ("0", 0.1)})

    crop = np.full((120, 600), 255, np.uint8)
    crop[50:70, 40:400] = 0
    monkeypatch.setattr(C, "handwriting_recogniser", lambda: Reads())
    draft = C.draft_clean(crop)
    assert draft.text == "đòi 200.000 đồng tiền bồi dưỡng" and not draft.likely_correct
    assert [w.number for w in draft.words] == [0, NUMBER_UNSURE, NUMBER_UNSURE, 0, 0, 0]
    stored = json.dumps([[w.text, w.confidence, w.line, w.number] for w in draft.words])
    assert draft_numbers(stored) == [{"text": "200.000 đồng", "unsure": True}]
    sure = json.dumps([["nộp", 100, 0, 0], ["50.000đ", 100, 0, NUMBER_CHECK], ["ngày", 100, 0, 0],
                       ["12/3", 100, 1, NUMBER_CHECK]])
    assert draft_numbers(sure) == [{"text": "50.000đ", "unsure": False}, {"text": "12/3", "unsure": False}]
    assert draft_numbers(json.dumps([["200.000", 90, 0]])) == []  # stored before the marks: nothing claimed
