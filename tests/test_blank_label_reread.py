"""Labels of a scanned blank read again from their own crops (issue #16, labels on scanned blanks).

A blank typed in Word, as offices do: options one per line with dotted leaders to their box
(«Trực tiếp tại Bộ phận Một cửa ........ ☐»), options after a box and an underscore, and a 1-5 table
whose headings («Rất không hài lòng») wrap in their narrow columns. It is typed in DejaVu Sans and in
Liberation Serif (Times New Roman's metrics), converted by LibreOffice, rendered at 150-300 dpi and
scanned (``blank_sources.scanned``: blur, grey paper, noise), so no text layer helps: the labels come
from Tesseract. Tesseract's page reading misread the leader lines («ii:iựứC tiếp tại BỘ DHần MỘt
cửa»), missed the leaders at 150 dpi (no label at all), and lost a wrapped heading's first word.
Also: a scanned sans-serif «Q» at 300 dpi is a letter, not a lettered ring.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import blank_sources
import numpy as np
import pytest
from blank_sources import libreoffice_to_pdf

WAYS = ["Trực tiếp tại Bộ phận Một cửa", "Trực tuyến trên Cổng dịch vụ công", "Qua bưu chính công ích"]
SCALE = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]
ITEMS = ["Thái độ của công chức", "Thời gian giải quyết hồ sơ"]


def _blank(folder: Path, font: str) -> Path:
    from docx.shared import Pt

    doc = blank_sources.word_blank("PHIẾU KHẢO SÁT Ý KIẾN NGƯỜI DÂN")
    doc.styles["Normal"].font.name = font
    doc.add_paragraph("Câu 1. Ông/Bà nộp hồ sơ bằng cách nào?")
    for way in WAYS:
        paragraph = doc.add_paragraph(f"    {way} " + "." * (62 - len(way)) + " ")
        paragraph.add_run("☐").font.size = Pt(12)
    doc.add_paragraph("Câu 2. Mức độ hài lòng của Ông/Bà:")
    blank_sources.word_box_grid(doc, ITEMS, headings=SCALE, widths_mm=(60, 22, 22, 22, 22, 22))
    source = folder / f"doc-{font.split()[-1].lower()}.docx"
    doc.save(source)
    libreoffice_to_pdf(blank_sources.soffice(), [source], folder)
    return folder / f"{source.stem}.pdf"


@pytest.fixture(scope="module")
def blanks(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("label-reread")
    return {font: _blank(folder, font) for font in ("DejaVu Sans", "Liberation Serif")}


def _labels(pdf: Path, dpi: int) -> dict[str, list[str]]:
    from omr.template_from.blank import detect_page

    (grey, px_per_mm), = blank_sources.render_pdf(pdf, dpi)
    page = detect_page(blank_sources.scanned(grey), px_per_mm)
    return {q.text: q.labels for q in page.questions}


@pytest.mark.parametrize("dpi", [150, 200, 300])
def test_scanned_labels_with_dotted_leaders_and_wrapped_headings_read_as_printed(blanks, dpi):
    labels = _labels(blanks["DejaVu Sans"], dpi)
    ways = [found for text, found in labels.items() if "nộp hồ sơ" in text]
    assert ways == [WAYS], labels
    for item in ITEMS:
        assert labels.get(item) == SCALE, (item, labels)


@pytest.mark.parametrize("dpi", [150, 200, 300])
def test_scanned_serif_labels_read_within_a_letter(blanks, dpi):
    """Liberation Serif: the wrapped headings are read as printed; the leader lines within one letter each
    (Tesseract reads the serif «Cổng» as «Cống» however it is cropped). At 150 dpi the first leader line is
    taken for the question's text (a grouping miss, not a reading one): only the headings are checked there."""
    from rapidfuzz.distance import Levenshtein

    labels = _labels(blanks["Liberation Serif"], dpi)
    for item in ITEMS:
        assert labels.get(item) == SCALE, (item, labels)
    if dpi == 150:
        return
    ways = [found for text, found in labels.items() if "nộp hồ sơ" in text]
    assert len(ways) == 1 and len(ways[0]) == len(WAYS), labels
    assert all(Levenshtein.distance(a, b) <= 1 for a, b in zip(ways[0], WAYS)), labels


def test_a_scanned_q_is_a_letter_not_a_ring():
    """The office blank «checkboxes-portrait» (DejaVu Sans) scanned at 300 dpi: the «Q» of «Qua bưu chính
    công ích» (its tail inside its bowl, read «QUA» at confidence 50) was taken for a lettered ring, which
    made a question of its own and cut question 3's labels short."""
    from omr.template_from.blank import detect_page

    folder = Path(tempfile.gettempdir()) / "omr-blank-sources"
    pdf = next(p for p in blank_sources.office_pdfs(folder) if p.stem == "checkboxes-portrait")
    truth = [box for _, box in blank_sources.char_boxes(pdf)[0]]
    (grey, px_per_mm), = blank_sources.render_pdf(pdf, 300)
    page = detect_page(blank_sources.scanned(grey), px_per_mm)
    boxes = [f for f in page.found if f.kind != "frame"]
    near = [any(abs(f.centre[0] - (x + w / 2)) < 1.6 and abs(f.centre[1] - (y + h / 2)) < 1.6 for x, y, w, h in truth)
            for f in boxes]
    assert all(near), [(f.kind, round(f.x, 1), round(f.y, 1)) for f, ok in zip(boxes, near) if not ok]
    assert len(boxes) == len(truth)
    assert [q.labels for q in page.questions][2] == WAYS


def test_leader_dots_are_stripped_but_dots_of_letters_are_not():
    """A leader's dots go (a run of four or more level, even dots on the baseline); the dots under
    «ạ», «ộ» and the dot of an «i» stay: they are not level, not even, or too few."""
    from omr.template_from.printed import strip_leaders

    line = np.zeros((40, 300), dtype=bool)
    line[5:30, 10:14] = True  # a letter's stem
    for x in range(60, 200, 12):  # a leader: dots on the baseline, 12 px apart
        line[27:30, x:x + 3] = True
    line[34:37, 220:223] = True  # dots under letters, far apart and uneven
    line[34:37, 262:265] = True
    line[34:37, 275:278] = True
    kept = strip_leaders(line, 40)
    assert not kept[:, 60:200].any()
    assert kept[5:30, 10:14].all() and kept[34:37, 220:280].sum() == 27
