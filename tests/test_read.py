"""Reading scanned pages: every answer right or sent to a person, never silently wrong."""

from __future__ import annotations

import io
import json

import cv2
import numpy as np
import pytest
from PIL import Image

from omr.errors import InputFileError
from omr.forms.simulate import PROFILES, _BlankPages, choose_answers, fill_page, scan_page
from omr.forms.template import Question, date_parts
from omr.model import AMBIGUOUS, BLANK, CANCELLED, EMPTY, INVALID, MARKED, MULTIPLE, NEEDS_REVIEW, OK, BoxRead
from omr.scan.ingest import RawPage, count_pages, iter_pages
from omr.scan.page import process_page
from omr.scan.read import classify_fill
from omr.scan.resolve import resolve_question


def _truth_value_matches(question_type, read_value, status, truth_value):
    if status == BLANK:
        return truth_value in (None, [])
    return read_value == truth_value


def _read_batch(pdf, truth_path, catalogue):
    truths = {json.loads(l)["serial"]: json.loads(l) for l in truth_path.read_text().splitlines()}
    results = [process_page(raw, catalogue) for raw in iter_pages(pdf)]
    return truths, results


def test_office_batch_has_no_silent_error(office_batch, catalogue):
    pdf, truth_path, summary = office_batch
    truths, results = _read_batch(pdf, truth_path, catalogue)
    read = [r for r in results if r.set_aside is None]
    assert [r.set_aside for r in results if r.set_aside] == ["blank"]
    assert len(read) == 8 * 2 + summary.duplicated_pages
    questions = review = 0
    boxes_right = boxes = 0
    for r in read:
        truth = truths[r.serial]
        assert r.alignment_mm is not None and r.alignment_mm < 1.0
        for b in r.boxes:
            boxes += 1
            boxes_right += b.state == truth["boxes"].get(b.question, {}).get(b.option, EMPTY)
        for q in r.questions:
            questions += 1
            if q.status in NEEDS_REVIEW:
                review += 1
                continue
            assert _truth_value_matches(None, q.value, q.status, truth["answers"][q.question]), \
                f"sheet {r.serial} {q.question}: read {q.value!r} ({q.status}), truth {truth['answers'][q.question]!r}"
    assert boxes_right / boxes > 0.99
    assert review / questions < 0.08


def test_faint_pencil_is_never_read_as_blank(default_layout, catalogue):
    """Pencil on a dim page: each mark is read or sent to review, not lost."""
    template, layout = default_layout
    rng = np.random.default_rng(8)
    blanks = _BlankPages(layout, 200).pages
    page = layout.pages[0]
    for serial in range(3):
        truth = choose_answers(template, serial + 1, rng, None)
        rgb = fill_page(blanks[1], page, truth, 200, rng, faint=True)
        rgb = (rgb.astype(np.float32) * 0.8).astype(np.uint8)  # a dim, greyish scan
        data, _ = scan_page(rgb, PROFILES["office"], 200, rng, upside_down=False)
        grey = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
        result = process_page(RawPage("faint.png", 0, grey), catalogue)
        assert result.set_aside is None
        for q in result.questions:
            if truth.intent[q.question] == "answered":
                assert q.status != BLANK, f"{q.question} lost: marks {truth.boxes[q.question]}"


def _reads(states: dict[str, str]) -> list[BoxRead]:
    fills = {EMPTY: 0.0, MARKED: 0.3, CANCELLED: 0.95, "uncertain": 0.06}
    out = []
    for code, state in states.items():
        s, conf = classify_fill(fills[state])
        out.append(BoxRead("Q", code, s, fills[state], fills[state], conf, 0, 0, 5, 5))
    return out


@pytest.mark.parametrize("states, value, status", [
    ({"1": EMPTY, "2": MARKED, "3": EMPTY}, "2", OK),
    ({"1": CANCELLED, "2": MARKED, "3": EMPTY}, "2", OK),  # corrected answer
    ({"1": MARKED, "2": MARKED, "3": EMPTY}, ["1", "2"], MULTIPLE),
    ({"1": CANCELLED, "2": EMPTY, "3": EMPTY}, "1", AMBIGUOUS),  # a lone filled box
    ({"1": EMPTY, "2": EMPTY, "3": EMPTY}, None, BLANK),
    ({"1": EMPTY, "2": "uncertain", "3": EMPTY}, None, AMBIGUOUS),
])
def test_single_choice_resolution(states, value, status):
    q = Question("Q", "?", "single")
    read = resolve_question(q, _reads(states))
    assert (read.value, read.status) == (value, status)


def test_multiple_choice_ignores_cancelled_boxes():
    q = Question("Q", "?", "multiple")
    read = resolve_question(q, _reads({"1": MARKED, "2": CANCELLED, "3": MARKED}))
    assert (read.value, read.status) == (["1", "3"], OK)


def _date_reads(q, digits):
    states = {}
    for part, codes in date_parts(q):
        for d in codes:
            states[f"{part}:{d}"] = MARKED if digits.get(part) == d else EMPTY
    return _reads(states)


def test_dates_are_assembled_and_checked():
    q = Question("A1", "Ngày", "date", years=(2025, 2026))
    ok = resolve_question(q, _date_reads(q, {"day_tens": "0", "day_units": "5", "month_tens": "1",
                                             "month_units": "2", "year": "2025"}))
    assert (ok.value, ok.status) == ("2025-12-05", OK)
    bad = resolve_question(q, _date_reads(q, {"day_tens": "3", "day_units": "1", "month_tens": "0",
                                              "month_units": "2", "year": "2026"}))
    assert bad.status == INVALID
    half = resolve_question(q, _date_reads(q, {"day_tens": "1", "day_units": "5"}))
    assert half.status == AMBIGUOUS
    assert resolve_question(q, _date_reads(q, {})).status == BLANK


# --- bad input: one clear message naming the file (and page), no traceback -----------

def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty.pdf.*0 byte"):
        count_pages(path)


def test_corrupt_pdf(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nthis is not a pdf at all" * 3)
    with pytest.raises(InputFileError, match="broken.pdf.*hỏng"):
        list(iter_pages(path))


def test_encrypted_pdf(tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "locked.pdf"
    canvas = Canvas(str(path), encrypt=StandardEncryption("secret", canPrint=0))
    canvas.drawString(100, 100, "x")
    canvas.save()
    with pytest.raises(InputFileError, match="locked.pdf.*mật khẩu"):
        list(iter_pages(path))


def test_huge_image_is_refused_without_decoding(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("1", (20_000, 20_000), 1).save(path)
    pages = list(iter_pages(path))
    assert len(pages) == 1 and pages[0].image is None
    assert "huge.png, trang 1" in pages[0].error.message and "20000 × 20000" in pages[0].error.message


def test_blank_page_is_skipped_not_an_error(catalogue):
    rng = np.random.default_rng(1)
    grey = np.clip(rng.normal(240, 3, (2339, 1654)), 0, 255).astype(np.uint8)
    assert process_page(RawPage("blank.png", 0, grey), catalogue).set_aside == "blank"


def test_photo_without_a_form(catalogue):
    """A phone photo of a desk: light gradient, objects, shadows; no form on it."""
    import cv2

    rng = np.random.default_rng(2)
    grey = np.tile(np.linspace(90, 200, 2000, dtype=np.float32), (1500, 1))
    for _ in range(40):
        centre = (int(rng.integers(0, 2000)), int(rng.integers(0, 1500)))
        cv2.circle(grey, centre, int(rng.integers(20, 200)), float(rng.integers(0, 255)), -1)
    grey = cv2.GaussianBlur(grey, (0, 0), 3).astype(np.uint8)
    assert process_page(RawPage("photo.jpg", 0, grey), catalogue).set_aside == "no_form"


def test_page_of_an_unknown_form(tmp_path, default_template_path, catalogue):
    """A form printed from a template omr does not have is set aside as unknown, with its name."""
    from omr.forms.layout import compute_layout
    from omr.forms.simulate import simulate_batch
    from omr.forms.template import load_template

    text = default_template_path.read_text(encoding="utf-8").replace("form: motcua-2026", "form: other-form")
    other = tmp_path / "other.yaml"
    other.write_text(text, encoding="utf-8")
    template = load_template(other)
    simulate_batch(template, compute_layout(template), tmp_path / "o.pdf", tmp_path / "o.jsonl",
                   count=1, seed=1, profile="clean")
    raw = next(iter_pages(tmp_path / "o.pdf"))
    result = process_page(raw, catalogue)
    assert result.set_aside == "unknown_form"
    assert "other-form" in result.detail


# --- hard pages: no QR, a corner lost, strong skew ------------------------------------

def _filled_page(default_layout, page_number, seed=4):
    template, layout = default_layout
    rng = np.random.default_rng(seed)
    blanks = _BlankPages(layout, 200).pages
    truth = choose_answers(template, 77, rng, None)
    rgb = fill_page(blanks[page_number], layout.page(page_number), truth, 200, rng, faint=False)
    grey = np.asarray(Image.fromarray(rgb).convert("L")).copy()
    return truth, grey, layout.page(page_number)


def _px(mm):
    return int(round(mm * 200 / 25.4))


def _assert_read_as_truth(result, truth):
    assert result.alignment_mm is not None and result.alignment_mm < 1.0
    for q in result.questions:
        if q.status not in NEEDS_REVIEW:
            assert _truth_value_matches(None, q.value, q.status, truth.answers[q.question]), q.question


@pytest.mark.parametrize("page_number, upside_down", [(1, False), (2, True)])
def test_page_without_a_readable_qr_is_matched_by_its_boxes(default_layout, catalogue, page_number, upside_down):
    """The QR code torn off: form and page come from the boxes, the reads are kept, a person gives the serial."""
    truth, grey, page = _filled_page(default_layout, page_number)
    q = page.qr
    grey[_px(q.y) - 4:_px(q.y + q.h) + 4, _px(q.x) - 4:_px(q.x + q.w) + 4] = 255
    if upside_down:
        grey = np.ascontiguousarray(grey[::-1, ::-1])
    result = process_page(RawPage("noqr.png", 0, grey), catalogue)
    assert result.set_aside == "qr_unreadable"
    assert (result.form_id, result.version, result.page, result.serial) == ("motcua-2026", 1, page_number, None)
    assert result.rotated_180 == upside_down
    assert "cần nhập số phiếu" in result.detail
    _assert_read_as_truth(result, truth)


def test_a_fiducial_cut_off_at_the_scanner_edge(default_layout, catalogue):
    truth, grey, page = _filled_page(default_layout, 1)
    f = page.fiducials[3]  # bottom-right
    grey[_px(f.y) - 6:, _px(f.x) - 6:] = 255
    result = process_page(RawPage("corner.png", 0, grey), catalogue)
    assert result.set_aside is None and result.serial == 77
    _assert_read_as_truth(result, truth)


def test_a_solid_patch_of_the_qr_code_never_stands_in_for_a_lost_corner_mark(default_layout, catalogue):
    """The top-right mark lost at the scanner's edge, a mark-sized solid patch in the QR code beside it:
    the page is still aligned on the three marks left, and read."""
    truth, grey, page = _filled_page(default_layout, 1)
    f, q = page.fiducials[1], page.qr  # top-right mark, and the QR code beside it
    grey[:_px(f.y + f.h) + 6, _px(f.x) - 6:] = 255
    size = _px(f.w)  # a patch of dark modules as large as a mark, inside the code
    x, y = _px(q.x + q.w) - size, _px(q.y + q.h) - size
    grey[y:y + size, x:x + size] = 0
    result = process_page(RawPage("corner.png", 0, grey), catalogue)
    assert result.set_aside is None and result.serial == 77
    _assert_read_as_truth(result, truth)


# At 100 % a 5° skew puts two corner marks of an A4 sheet off the scan; fit-to-page prints keep them.
@pytest.mark.parametrize("angle, scale", [(5.0, 0.93), (-5.0, 0.95), (3.0, 1.0)])
def test_five_degree_skew_and_fit_to_page_scaling(default_layout, catalogue, angle, scale):
    import cv2

    truth, grey, page = _filled_page(default_layout, 1)
    h, w = grey.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    skewed = cv2.warpAffine(grey, matrix, (w, h), borderValue=255)
    result = process_page(RawPage("skew.png", 0, skewed), catalogue)
    assert result.set_aside is None and result.serial == 77
    _assert_read_as_truth(result, truth)


def test_a_page_read_almost_all_blank_goes_to_a_person(default_layout, catalogue):
    """Faint pencil erased by a 1-bit scan reads as blank everywhere: never accept that silently."""
    template, layout = default_layout
    rng = np.random.default_rng(3)
    truth = choose_answers(template, 5, rng, None)
    truth.boxes = {q: {} for q in truth.boxes}  # nothing visible on the page
    blanks = _BlankPages(layout, 200).pages
    rgb = fill_page(blanks[1], layout.page(1), truth, 200, rng, faint=False)
    grey = np.asarray(Image.fromarray(rgb).convert("L"))
    result = process_page(RawPage("pale.png", 0, grey), catalogue)
    assert result.set_aside is None and "mostly_blank" in result.detail
    assert result.questions and all(q.status == AMBIGUOUS for q in result.questions)


def test_confidence_is_a_probability_that_never_contradicts_the_status():
    """Issue #14: no "không chắc chắn (độ tin cậy 100%)"; a sure read is not shown as a coin toss."""
    from omr import tuning as T
    from omr.scan.resolve import calibrated_confidence, recalibrate

    q = Question("Q", "?", "single")
    sure = resolve_question(q, _reads({"1": EMPTY, "2": MARKED, "3": EMPTY}))
    unsure = resolve_question(q, _reads({"1": EMPTY, "2": "uncertain", "3": EMPTY}))
    assert sure.status == OK and unsure.status == AMBIGUOUS
    assert 0.0 < unsure.confidence < 0.9 <= sure.confidence < 1.0
    # Every status in review shows less confidence than any accepted read, at every raw score.
    accepted_floor = min(p for status in (OK, BLANK) for _, p in T.CONFIDENCE_BY_STATUS[status])
    for status in (AMBIGUOUS, INVALID):
        for score in (0.25, 0.5, 0.8, 1.0):
            assert calibrated_confidence(status, score) < accepted_floor
    # A page-level rule that sends a sure read to review takes the confidence that goes with review.
    recalibrate(sure, AMBIGUOUS)
    assert sure.status == AMBIGUOUS and sure.confidence < accepted_floor


def test_thin_line_contrast_sees_a_faint_stroke_not_noise_dust_or_haze():
    """Issue #14: a stroke lighter than the trace level still stands out as a line; noise, a speck and a
    haze of show-through do not (ink on the page's scale, 0 paper .. 1 black, 8 px/mm)."""
    from omr import tuning as T
    from omr.scan.read import thin_line_contrast

    rng = np.random.default_rng(14)
    paper = np.clip(rng.normal(0.0, 0.04, (6, 26, 26)), 0, 1).astype(np.float32)  # harsh-profile noise
    stroke, tick, speck, haze, wide = (paper[i].copy() for i in range(1, 6))
    cv2.line(stroke, (5, 20), (20, 5), 0.14, 1, cv2.LINE_AA)  # 0.12 mm at 14 % of black: under TRACE_INK_LEVEL
    cv2.line(tick, (4, 14), (9, 20), 0.14, 2, cv2.LINE_AA)
    cv2.line(tick, (9, 20), (21, 4), 0.14, 2, cv2.LINE_AA)
    cv2.circle(speck, (13, 13), 2, 0.7, -1)  # dust, 0.5 mm
    haze += 0.1  # a solid block behind the paper showing through
    wide[:, 6:20] += 0.12  # a blot 1.75 mm wide
    got = thin_line_contrast(np.stack([paper[0], stroke, tick, speck, haze, wide]))
    assert got[1] >= T.RIDGE_MIN_CONTRAST and got[2] >= T.RIDGE_MIN_CONTRAST
    assert max(got[0], got[3], got[4], got[5]) < T.RIDGE_MIN_CONTRAST
