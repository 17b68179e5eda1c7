"""Circled letters Ⓐ Ⓑ Ⓒ Ⓓ (and ⓐ ⓑ ⓒ, ① … ⑤) typed as bubbles on a Word answer sheet (#16, item 1-2).

The office blank ``tests/data/office-blanks/circled-letters.docx`` (made by ``make_blanks.py``) types them in
Symbola and STIX (the symbol fonts Debian has them in; Word takes them from Segoe UI Symbol or Cambria Math)
at 10-14 pt, rings 2.4-4.1 mm. A circled letter is ONE bubble whose label and code are its letter, never
text. Before: from the PDF's text layer every option was «Lựa chọn k» (the Ⓐ was not read as "A") and the
four 2.4 mm rings of the 10 pt STIX row were not found; from a scan no letter was read at all.

Also the label readings of a scanned blank: a range's dash and a domain phrase's marks.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import blank_sources
import pytest
from hypothesis import given
from hypothesis import strategies as st

from omr.template_from.blank import detect_page
from omr.template_from.printed import circled_character, read_pdf_words
from omr.template_from.questions import _circled_sequence, _reread, ocr_label
from omr.text.lexicon import DOMAIN_WORDS
from omr.text.normalise import fold, strip_diacritics

STEM = "circled-letters"


def _fonts_installed() -> None:
    """The blank's symbol fonts must be installed (``make test`` does): without them LibreOffice prints
    the circled letters as empty boxes and the test would measure nothing. Fails, never skips."""
    listed = subprocess.run([shutil.which("fc-list") or "fc-list", ":", "family"], capture_output=True,
                            text=True).stdout
    for family in ("Symbola", "STIXGeneral"):
        assert family in listed, f"font {family} missing: apt-get install fonts-symbola fonts-stix (make apt-test)"


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    _fonts_installed()
    blank_sources.soffice()
    folder = tmp_path_factory.mktemp("circled-letters")
    [pdf] = [p for p in blank_sources.office_pdfs(folder) if p.stem == STEM]
    [(boxes, _)] = blank_sources._office_truth(pdf)
    truth = json.loads((blank_sources.OFFICE_DIR / f"{STEM}.truth.json").read_text(encoding="utf-8"))
    return pdf, boxes, truth["pages"]["1"]["labels"]


def _questions(page):
    return [q for q in page.questions if not q.comb]


@pytest.mark.parametrize("dpi", [150, 200, 300])
def test_text_layer_every_circled_letter_is_one_bubble_labelled_with_its_letter(blank, dpi):
    pdf, truth_boxes, truth_labels = blank
    [(grey, ppm)] = blank_sources.render_pdf(pdf, dpi)
    page = detect_page(grey, ppm, words=read_pdf_words(pdf, 0))
    found = [f for f in page.found if f.kind != "frame"]
    assert len(found) == len(truth_boxes)  # the 2.4 mm rings too, and no letter's counter as a box
    questions = _questions(page)
    assert [q.labels for q in questions] == truth_labels
    # The code of a lettered bubble is its letter (the answer written to the export), also beside a word.
    assert questions[0].codes == ["A", "B", "C", "D"]
    assert questions[-1].codes == ["A", "B"] and questions[-1].labels == ["Đúng", "Sai"]


def test_scanned_circled_letters_read_as_their_letters_and_never_as_another(blank):
    pdf, truth_boxes, truth_labels = blank
    [(grey, ppm)] = blank_sources.render_pdf(pdf, 200)
    page = detect_page(blank_sources.scanned(grey), ppm)  # no text layer: Tesseract reads the print
    assert len([f for f in page.found if f.kind != "frame"]) == len(truth_boxes)
    questions = _questions(page)
    assert [len(q.labels) for q in questions] == [len(t) for t in truth_labels]
    right = 0
    for q, truth in zip(questions, truth_labels):
        for k, (label, expected) in enumerate(zip(q.labels, truth)):
            # A label is the print's or the placeholder a person fills in: never another letter.
            assert label in (expected, f"Lựa chọn {k + 1}"), (q.text, q.labels, truth)
        right += q.labels == truth
    assert right >= 10, f"{right} of {len(truth_labels)} questions labelled as printed"


def test_a_run_of_circled_letters_read_with_one_ring_unread_or_misread():
    assert _circled_sequence(["A", "B", "", "D"], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ["A", "B", "C", "D"]
    assert _circled_sequence(["a", "b", "C"], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ["a", "b", "c"]
    # One misread in four: not enough agreeing readings to overrule it, so no ring is labelled by the run.
    assert _circled_sequence(["A", "B", "E", "D"], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") is None
    assert _circled_sequence(["A", "B", "C", "D"]) is None  # letters are no digits' run


def test_circled_characters_are_the_character_printed_in_them():
    assert [circled_character(c) for c in "①⑳ⒶⓏⓐⓩ⓪☐A"] == ["1", "20", "A", "Z", "a", "z", "0", "☐", "A"]


DASHES = "-‐‑‒–—―−"


@given(st.integers(0, 999), st.integers(0, 999), st.sampled_from(DASHES), st.sampled_from(["", " ", "  "]),
       st.sampled_from(["", " "]))
def test_a_dash_read_between_two_numbers_is_the_ranges_spaced_en_dash(a, b, dash, before, after):
    assert ocr_label(f"Từ {a}{before}{dash}{after}{b} tuổi") == f"Từ {a} – {b} tuổi"


def _folded_phrase(phrase):
    return tuple(fold(w) for w in phrase.split())


_PHRASES = [p for p in DOMAIN_WORDS if len(p.split()) >= 2]
# Phrases the lexicon spells one way only when folded ("cộc cằn" and "cọc cằn" are both in it).
_ONE_SPELLING = [p for p in _PHRASES if len({q for q in _PHRASES if _folded_phrase(q) == _folded_phrase(p)}) == 1]


@given(st.sampled_from(_ONE_SPELLING), st.data())
def test_a_domain_phrase_read_with_wrong_marks_takes_the_phrases(phrase, data):
    words = phrase.split()
    k = data.draw(st.integers(0, len(words) - 1))
    words[k] = strip_diacritics(words[k])  # its marks lost (or, read as another, below)
    assert ocr_label("Qua " + " ".join(words)) == "Qua " + phrase


def test_serif_marks_misread_in_a_known_phrase_and_words_outside_phrases_kept():
    assert ocr_label("Trực tuyến trên Cống dịch vụ công") == "Trực tuyến trên Cổng dịch vụ công"
    assert ocr_label("Bộ phân Một cửa") == "Bộ phận Một cửa"
    assert ocr_label("Cống thoát nước") == "Cống thoát nước"  # a real word, not in a domain phrase
    assert ocr_label("Có") == "Có"


def test_a_phrase_the_lexicon_spells_two_ways_is_left_as_read():
    assert ocr_label("Nhân viên coc cằn") == "Nhân viên coc cằn"
    assert ocr_label("Nhân viên cọc cằn") == "Nhân viên cọc cằn"


class _Word:
    def __init__(self, text, exact):
        self.text, self.exact, self.confidence = text, exact, 100.0
        self.x, self.y, self.w, self.h = 0.0, 0.0, 5.0, 3.0


def test_a_pdf_text_layer_label_is_kept_as_printed():
    # A form that printed a hyphen or a word as it is: the text layer is exact, never "corrected".
    assert _reread("30-45", [_Word("30-45", True)], None, (0, 0, 5, 3)) == "30-45"
    assert _reread("Cống dịch vụ công", [_Word("Cống", True)], None, (0, 0, 5, 3)) == "Cống dịch vụ công"
    assert _reread("30-45", [_Word("30-45", False)], None, (0, 0, 5, 3)) == "30 – 45"
