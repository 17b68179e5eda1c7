"""Issue #13: two form pages in one image (an A3 scan of an unstapled sheet, two pages stacked) are split
and read, each half as a page of its own, traced to its file, page index and half.

Generated variants with omr's simulator: side by side, stacked, stacked and turned, the whole image
turned 90°/180°/270°, a different sheet in each half, one half blank, one half printed but no form
page, one half's QR code smudged. Then the store (SQLite and PostgreSQL): both halves stored, a rescan
counts nothing twice, the reviewer's page image is the half.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import sqlalchemy as sa
from db_fixtures import SQLITE_ONLY
from PIL import Image
from read_checks import assert_no_silent_error

from omr.data import review
from omr.data.schema import answers, page_reviews, pages
from omr.forms.simulate import PROFILES, _BlankPages, choose_answers, fill_page, scan_page, smudge_qr
from omr.model import BLANK, NEEDS_REVIEW, SET_ASIDE_REASONS, PageResult, PageSource
from omr.scan.batch import format_report, run_scan
from omr.scan.ingest import RawPage, file_sha256
from omr.scan.page import process_image, process_page
from omr.web import images

DPI = 200


@pytest.fixture(scope="module")
def sheets(default_layout):
    """Two filled sheets (serials 4242 and 4343), both pages each, RGB at 200 dpi before scanning."""
    template, layout = default_layout
    rng = np.random.default_rng(13)
    blanks = _BlankPages(layout, DPI).pages
    out = {}
    for serial in (4242, 4343):
        truth = choose_answers(template, serial, rng, None, comment_share=0.0)
        out[serial] = truth, {p.number: fill_page(blanks[p.number], p, truth, DPI, rng, faint=False)
                              for p in layout.pages}
    return out, layout


def _scan(rgb: np.ndarray, seed: int) -> np.ndarray:
    data, _ = scan_page(np.ascontiguousarray(rgb), PROFILES["office"], DPI, np.random.default_rng(seed),
                        upside_down=False)
    return np.asarray(Image.open(io.BytesIO(data)).convert("L")).copy()


def _assert_read_right(result, truth, page_number: int, max_review: int = 3) -> None:
    """Identified as this page of this sheet; every answer not sent to review is the truth, and at most
    ``max_review`` of its ~16 questions go to review (3: the office profile makes some pages 1-bit, where a
    mark whose ink spans under 0.7 of its box goes to review as a possible eraser's leftover, read.partial_mark;
    side_by_side_turned_270 sends C3 and D2 so, beside A2's two answers)."""
    assert result.set_aside is None, (result.set_aside, result.detail)
    assert (result.page, result.serial) == (page_number, truth.serial)
    assert_no_silent_error(result, truth, max_review)


# arrangement -> (image from pages 1 and 2 of one sheet, the page expected in part 1 and in part 2)
ARRANGEMENTS = {
    "side_by_side": (lambda p1, p2: np.hstack([p1, p2]), (1, 2)),
    "stacked": (lambda p1, p2: np.vstack([p1, p2]), (1, 2)),
    "stacked_turned": (lambda p1, p2: np.vstack([np.rot90(p1), np.rot90(p2)]), (1, 2)),
    "side_by_side_turned_90": (lambda p1, p2: np.rot90(np.hstack([p1, p2]), 1), (2, 1)),
    "side_by_side_turned_180": (lambda p1, p2: np.rot90(np.hstack([p1, p2]), 2), (2, 1)),
    "side_by_side_turned_270": (lambda p1, p2: np.rot90(np.hstack([p1, p2]), 3), (1, 2)),
    "stacked_turned_180": (lambda p1, p2: np.rot90(np.vstack([p1, p2]), 2), (2, 1)),
}


@pytest.mark.parametrize("arrangement", list(ARRANGEMENTS))
def test_both_pages_of_a_two_page_image_are_read_each_as_its_half(catalogue, sheets, arrangement):
    by_serial, _layout = sheets
    truth, filled = by_serial[4242]
    build, expected_pages = ARRANGEMENTS[arrangement]
    grey = _scan(build(filled[1], filled[2]), 2)
    results = process_image(RawPage("a3.jpg", 0, grey), catalogue)
    assert [r.source.part for r in results] == [1, 2]
    for result, page_number in zip(results, expected_pages):
        _assert_read_right(result, truth, page_number)
        assert (result.source.path, result.source.page_index) == ("a3.jpg", 0)
    landscape = grey.shape[1] >= grey.shape[0]
    names = ("nửa trái", "nửa phải") if landscape else ("nửa trên", "nửa dưới")
    for result, name in zip(results, names):
        assert result.detail.startswith(f"{name} của ảnh (tệp a3.jpg, trang 1)"), result.detail


def test_a_different_sheet_in_each_half_gives_two_responses_pages(catalogue, sheets):
    """Page 1 of one sheet beside page 2 of another: each read with its own serial, nothing mixed."""
    by_serial, _layout = sheets
    (truth_a, filled_a), (truth_b, filled_b) = by_serial[4242], by_serial[4343]
    results = process_image(RawPage("mixed.jpg", 3, _scan(np.hstack([filled_a[1], filled_b[2]]), 5)), catalogue)
    assert [r.source.part for r in results] == [1, 2]
    _assert_read_right(results[0], truth_a, 1)
    _assert_read_right(results[1], truth_b, 2)
    assert all(r.source.page_index == 3 for r in results)


@pytest.mark.parametrize("blank_side", [1, 2])
def test_a_blank_half_is_no_page(catalogue, sheets, blank_side):
    """One page beside white paper (an A3 scan of one page): the page is read, nothing is invented."""
    by_serial, _layout = sheets
    truth, filled = by_serial[4242]
    white = np.full_like(filled[2], 250)
    halves = [filled[2], white] if blank_side == 2 else [white, filled[2]]
    results = process_image(RawPage("a3.jpg", 0, _scan(np.hstack(halves), 7)), catalogue)
    assert len(results) == 1
    _assert_read_right(results[0], truth, 2)
    assert results[0].source.part == 3 - blank_side
    assert "nửa" not in results[0].detail, "the image's one page: no half of a two-page image"


@SQLITE_ONLY  # the store holds what was read; reading is what is tested
def test_one_page_on_a_double_width_image_is_read_and_called_one_page(store, sheets, tmp_path, repo_root):
    """One page of the form on the left half of a double-width image, the right half blank paper (an A3
    scan of one A4 page): the page is read, and neither the scan summary nor the page says two pages."""
    by_serial, _layout = sheets
    truth, filled = by_serial[4242]
    paper = np.full_like(filled[1], 250)
    path = tmp_path / "a3-mot-trang.jpg"
    _write_jpeg(path, _scan(np.hstack([filled[1], paper]), 11))
    report = run_scan([str(path)], store, "đợt", template_dir=str(repo_root / "form_templates"))
    assert report.pages_seen == 1 and report.outcomes["new"] == 1 and not report.set_aside
    text = format_report(report, store.summary())
    assert "hai trang" not in text and "nửa" not in text, text
    assert report.images_split == 0
    (response,) = list(store.responses())
    assert response["serial"] == truth.serial and len(response["pages"]) == 1
    with store.reading() as conn:
        (detail,) = conn.execute(sa.select(pages.c.detail)).scalars().all()
    assert "nửa" not in (detail or "") and "hai trang" not in (detail or "")
    for question, (value, status, _confidence) in response["answers"].items():
        if status not in NEEDS_REVIEW and status != BLANK:
            assert value == truth.answers[question], question


def _printed_letter(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """An A4 page of print that is no form: lines of text, a table, a dark photo-like block (RGB)."""
    rng = np.random.default_rng(seed)
    page = np.full(shape, 245, np.uint8)
    h, w = shape[:2]
    for row in range(12, 60):
        y = int(h * row / 64)
        x = int(w * 0.1)
        while x < w * 0.88:
            word = int(rng.integers(20, 90))
            cv2.rectangle(page, (x, y), (min(x + word, int(w * 0.9)), y + 14), (40, 40, 40), -1)
            x += word + 18
    cv2.rectangle(page, (int(w * 0.1), int(h * 0.04)), (int(w * 0.6), int(h * 0.16)), (70, 90, 80), -1)
    return page


@pytest.mark.parametrize("other_side", [1, 2])
def test_a_half_with_print_that_is_no_form_is_set_aside_naming_the_half(catalogue, sheets, other_side):
    by_serial, _layout = sheets
    truth, filled = by_serial[4242]
    letter = _printed_letter(filled[1].shape, other_side)
    halves = [filled[1], letter] if other_side == 2 else [letter, filled[1]]
    results = process_image(RawPage("scans/a3.jpg", 4, _scan(np.hstack(halves), 9)), catalogue)
    assert [r.source.part for r in results] == [1, 2]
    page, other = results[2 - other_side], results[other_side - 1]
    _assert_read_right(page, truth, 1)
    assert other.set_aside == "half_not_form" and not other.questions
    name = "nửa phải" if other_side == 2 else "nửa trái"
    assert other.detail.startswith(f"{name} của ảnh (tệp a3.jpg, trang 5)"), other.detail
    assert SET_ASIDE_REASONS["half_not_form"]


def test_a_half_whose_qr_code_is_smudged_is_still_its_own_page(catalogue, sheets):
    """The second page's code unreadable: it is matched by its boxes and waits for its serial; the
    first is read; neither is taken for the whole image."""
    by_serial, layout = sheets
    truth, filled = by_serial[4242]
    right = filled[2].copy()
    smudge_qr(right, layout.page(2), DPI, np.random.default_rng(0))
    results = process_image(RawPage("a3.jpg", 0, _scan(np.hstack([filled[1], right]), 2)), catalogue)
    assert [r.source.part for r in results] == [1, 2]
    _assert_read_right(results[0], truth, 1)
    assert (results[1].set_aside, results[1].page) == ("qr_unreadable", 2)
    assert results[1].questions, "read, for the reviewer who gives the serial"


# --- stored: both halves, nothing twice, the reviewer sees the half ------------------------------

def _write_jpeg(path, grey: np.ndarray) -> None:
    Image.fromarray(grey).save(path, quality=92)


def test_a_two_page_image_is_stored_as_two_pages_and_a_rescan_adds_nothing(store, sheets, tmp_path, repo_root):
    by_serial, _layout = sheets
    truth, filled = by_serial[4242]
    grey = _scan(np.hstack([filled[1], filled[2]]), 2)
    path = tmp_path / "a3.jpg"
    _write_jpeg(path, grey)
    templates = str(repo_root / "form_templates")
    ticks = []
    report = run_scan([str(path)], store, "đợt A3", template_dir=templates, progress=ticks.append)
    assert report.pages_seen == 1 and report.outcomes["new"] == 2 and not report.set_aside
    assert "Ảnh chứa hai trang phiếu (mỗi nửa ảnh đọc thành một trang): 1" in format_report(report, store.summary())
    assert sum(ticks) == 1, "progress counts page images of the file, as the web app's total does"
    with store.reading() as conn:
        rows = conn.execute(sa.select(pages.c.id, pages.c.page_index, pages.c.part, pages.c.page, pages.c.serial)
                            .order_by(pages.c.part)).all()
        sources = dict(conn.execute(sa.select(answers.c.question, answers.c.source_page_id)).all())
    assert [(r.page_index, r.part, r.page, r.serial) for r in rows] == [(0, 1, 1, 4242), (0, 2, 2, 4242)]
    # Every answer traces to its scan, page and half.
    assert sources["A2"] == rows[0].id and sources["H1"] == rows[1].id
    (response,) = list(store.responses())
    assert len(response["pages"]) == 2
    assert {p["part"] for p in response["pages"]} == {1, 2}
    for question, (value, status, _confidence) in response["answers"].items():
        if status not in NEEDS_REVIEW and status != BLANK:
            assert value == truth.answers[question], question

    again = run_scan([str(path)], store, "đợt A3", template_dir=templates)
    assert again.pages_skipped_done == 1 and sum(again.outcomes.values()) == 0
    copy = tmp_path / "copy" / "a3-again.jpg"  # the same file under another name
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    assert run_scan([str(copy)], store, "đợt A3", template_dir=templates).pages_skipped_done == 1
    with store.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(pages)).scalar() == 2
    assert len(list(store.responses())) == 1

    # The reviewer's picture of each page is its half, upright, not the whole A3 image.
    for row in rows:
        shown = cv2.imdecode(np.frombuffer(images.whole_page(store, row.id), np.uint8), cv2.IMREAD_GRAYSCALE)
        assert shown.shape[0] > 1.3 * shown.shape[1], "a portrait A4 page, not the landscape image"
        half = grey[:, : grey.shape[1] // 2] if row.part == 1 else grey[:, grey.shape[1] // 2:]
        other = grey[:, grey.shape[1] // 2:] if row.part == 1 else grey[:, : grey.shape[1] // 2]
        size = (shown.shape[1], shown.shape[0])
        same = np.median(np.abs(cv2.resize(half, size).astype(int) - shown))
        different = np.mean(np.abs(cv2.resize(other, size).astype(int) - shown))
        assert same < 8 and different > same + 8, (same, different)
        strip = cv2.imdecode(np.frombuffer(images.question_strip(store, row.id, "A2" if row.part == 1 else "H1"),
                                           np.uint8), cv2.IMREAD_COLOR)
        assert strip.shape[1] == round(210 * images.CROP_PX_PER_MM) and strip.mean() > 150, "a strip of paper"


@SQLITE_ONLY  # the store holds what was read; reading is what is tested
def test_a_set_aside_half_is_named_in_the_scan_report_and_kept_for_review(store, sheets, tmp_path, repo_root):
    by_serial, _layout = sheets
    truth, filled = by_serial[4242]
    grey = _scan(np.hstack([filled[1], _printed_letter(filled[1].shape, 3)]), 4)
    path = tmp_path / "a3 (1).jpg"
    _write_jpeg(path, grey)
    report = run_scan([str(path)], store, "đợt", template_dir=str(repo_root / "form_templates"))
    assert report.outcomes["new"] == 1 and report.outcomes["set_aside"] == 1
    text = format_report(report, store.summary())
    line = next(x for x in text.splitlines() if "nửa phải" in x)
    assert line.startswith(f"  - {path}, trang 1, nửa phải: {SET_ASIDE_REASONS['half_not_form']}"), line
    with store.reading() as conn:
        aside = conn.execute(sa.select(pages.c.id, pages.c.part, pages.c.homography)
                             .where(pages.c.set_aside == "half_not_form")).one()
    assert aside.part == 2 and aside.homography is None
    shown = cv2.imdecode(np.frombuffer(images.whole_page(store, aside.id), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert shown.shape[0] > 1.3 * shown.shape[1], "the reviewer sees the half that was set aside"


def test_an_image_an_older_omr_set_aside_as_two_pages_is_read_on_the_next_scan(store, sheets, tmp_path,
                                                                                repo_root):
    """Stored whole as "two_pages" before halves were read: scanning the file again reads both halves,
    the old page leaves the review queue (kept, decided "split"), and a third scan adds nothing."""
    by_serial, _layout = sheets
    _truth, filled = by_serial[4242]
    path = tmp_path / "a3.jpg"
    _write_jpeg(path, _scan(np.hstack([filled[1], filled[2]]), 2))
    batch = store.ensure_batch("cũ")
    old = PageResult(PageSource(str(path), 0, "x"), set_aside="two_pages", detail="trang 1; trang 2")
    store.record_page(batch, str(path), file_sha256(path), path.stat().st_size, old)
    assert review.queue_counts(store).get(review.PAGE) == 1
    templates = str(repo_root / "form_templates")
    report = run_scan([str(path)], store, "cũ", template_dir=templates)
    assert report.outcomes["new"] == 2
    with store.reading() as conn:
        rows = conn.execute(sa.select(pages.c.part, pages.c.set_aside, page_reviews.c.decision)
                            .outerjoin(page_reviews, page_reviews.c.page_id == pages.c.id)
                            .order_by(pages.c.part)).all()
    assert [tuple(r) for r in rows] == [(0, "two_pages", "split"), (1, None, None), (2, None, None)]
    assert not review.queue_counts(store).get(review.PAGE)
    again = run_scan([str(path)], store, "cũ", template_dir=templates)
    assert sum(again.outcomes.values()) == 0 and again.pages_skipped_done == 1


def test_the_one_page_entry_point_reads_a_page_beside_a_blank_half_and_sets_two_pages_aside(catalogue, sheets):
    """process_page gives one page: the page of an image whose other half is blank, read on its half;
    for an image holding two pages, nothing read as if it were the whole image ("two_pages")."""
    by_serial, _layout = sheets
    truth, filled = by_serial[4242]
    alone = process_page(RawPage("a3.jpg", 0, _scan(np.hstack([np.full_like(filled[1], 250), filled[1]]), 8)),
                         catalogue)
    _assert_read_right(alone, truth, 1)
    assert alone.source.part == 2 and "nửa" not in alone.detail
    both = process_page(RawPage("a3.jpg", 0, _scan(np.vstack([filled[1], filled[2]]), 8)), catalogue)
    assert both.set_aside == "two_pages" and not both.questions
    assert "trang 1 của phiếu số 004242" in both.detail and "trang 2 của phiếu số 004242" in both.detail


@pytest.mark.parametrize("cut_mm", [22, 44])
def test_a_second_page_cut_off_at_the_edge_is_told_with_what_to_do(catalogue, sheets, cut_mm):
    """An A3 scan whose right edge was cut (page 2's QR code and right marks lost): page 1 is read, and
    page 2 is never dropped without a word (at 44 mm the image was read as one page and the rest
    ignored): a set-aside half naming the file, page and half, and saying what to do."""
    by_serial, _layout = sheets
    truth, filled = by_serial[4242]
    whole = np.hstack([filled[1], filled[2]])
    cut = whole[:, : whole.shape[1] - round(cut_mm / 25.4 * DPI)]
    results = process_image(RawPage("a3-cat.jpg", 6, _scan(cut, 11)), catalogue)
    read = [r for r in results if r.set_aside is None]
    aside = [r for r in results if r.set_aside is not None]
    assert len(read) == 1 and len(aside) == 1, [(r.set_aside, r.detail) for r in results]
    _assert_read_right(read[0], truth, 1)
    assert aside[0].set_aside == "half_not_form" and aside[0].source.part == 2
    assert aside[0].detail.startswith("nửa phải của ảnh (tệp a3-cat.jpg, trang 7)"), aside[0].detail
    assert "quét lại tờ này cho đủ trang" in aside[0].detail
