"""A fresh user's leftover: the handwriting draft «chu đáo:» (a fragment: two words and a label's colon) was
marked «có vẻ đọc đúng» at confidence 100. A draft is likely correct only when it reads as a whole sentence."""

from __future__ import annotations

import numpy as np
import pytest

from omr.scan import comments as C
from omr.scan.postcorrect import correct_line
from omr.scan.recognise import CharRead, LineRead


def _line(text: str) -> LineRead:
    """A line the recogniser read with full confidence and no rival letters."""
    return LineRead(text, tuple(CharRead(c, 1.0) for c in text), "test")


@pytest.mark.parametrize("lines, likely", [
    (["chu đáo:"], False),  # the trial's draft
    (["chu đáo"], False),  # two words: the spelling check says nothing of them out of context
    (["Cán bộ rất chu đáo,"], False),  # cut off mid-sentence
    (["Cán bộ hướng dẫn -"], False),
    (["Cán bộ rất chu đáo"], True),
    (["Rất hài lòng"], True),
    (["Cán bộ hướng dẫn", "rất nhiệt tình."], True),
    (["Thủ tục:", "nhanh gọn, cán bộ tận tình"], False),  # a line read off a printed label
])
def test_only_a_whole_sentence_is_likely_correct(lines, likely):
    confidence, likely_correct = C.comment_quality([correct_line(_line(text)) for text in lines])
    assert confidence == 100.0
    assert likely_correct is likely


class _Reads:
    """A recogniser that reads every ink line of a crop as the same text."""

    def __init__(self, text: str):
        self.text = text

    def read_line(self, image):
        return _line(self.text)


def test_the_drafting_of_a_crop_keeps_a_fragment_out_of_quick_checks(monkeypatch):
    crop = np.full((120, 600), 255, np.uint8)
    crop[50:70, 40:400] = 0  # one line of ink
    monkeypatch.setattr(C, "handwriting_recogniser", lambda: _Reads("chu đáo:"))
    draft = C.draft_clean(crop)
    assert draft.text == "chu đáo:" and draft.confidence == 100.0
    assert draft.likely_correct is False
    monkeypatch.setattr(C, "handwriting_recogniser", lambda: _Reads("Cán bộ rất chu đáo"))
    assert C.draft_clean(crop).likely_correct is True
