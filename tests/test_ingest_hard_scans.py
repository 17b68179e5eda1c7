"""Scans that used to be set aside with the wrong reason (or none), or lost: a fax in standard mode,
a mirrored image, a halftone photocopy, a crooked phone photo, a PDF cut short.

Every input is generated here from a clean simulated sheet (no external files).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import img2pdf
import numpy as np
import pytest
from PIL import Image

from omr.model import OK
from omr.scan.identify import QR_RECT_MM, map_points
from omr.scan.ingest import RawPage, count_pages, iter_pages
from omr.scan.page import MIRRORED_ADVICE, MIRRORED_NOTE, process_page
from read_checks import answers_of


def assert_reads_like(result, reference, *, share=1.0):
    """The same page and serial; answers the same (at least ``share`` of them), none wrong with status ok."""
    assert result.set_aside is None, (result.set_aside, result.detail)
    assert (result.serial, result.page) == (reference.serial, reference.page)
    got, want = answers_of(result), answers_of(reference)
    assert got.keys() == want.keys()
    wrong_ok = [q for q in want if got[q][1] == OK and got[q][0] != want[q][0]]
    assert not wrong_ok, wrong_ok
    assert sum(got[q] == want[q] for q in want) >= share * len(want)


def _read(path: Path, catalogue, index: int = 0):
    page = [p for p in iter_pages(path) if p.index == index][0]
    assert page.image is not None, page.error
    return page, process_page(page, catalogue)


# --- 1. fax in standard mode: non-square pixels ----------------------------------------------------------

@pytest.mark.parametrize("suffix,xdpi,ydpi", [(".tif", 204, 98), (".png", 200, 100), (".jpg", 100, 200)])
def test_non_square_pixels_are_made_square_from_the_declared_resolution(suffix, xdpi, ydpi, clean_sheet, catalogue,
                                                                        tmp_path):
    pages, reads = clean_sheet
    grey = cv2.resize(pages[0], None, fx=xdpi / 200, fy=ydpi / 200, interpolation=cv2.INTER_AREA)
    path = tmp_path / f"fax{suffix}"
    image = Image.fromarray(grey)
    if suffix == ".tif":  # a G3 fax: 1-bit
        image.point(lambda v: 255 if v > 150 else 0).convert("1").save(path, compression="group3",
                                                                        dpi=(xdpi, ydpi))
    else:
        image.save(path, dpi=(xdpi, ydpi), **({"quality": 92} if suffix == ".jpg" else {}))
    raw, result = _read(path, catalogue)
    top = max(xdpi, ydpi)
    assert raw.image.shape == (round(grey.shape[0] * top / ydpi), round(grey.shape[1] * top / xdpi))
    assert_reads_like(result, reads[0], share=0.9)


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("fx,fy", [(204 / 200, 98 / 200), (0.5, 1.0)])
def test_non_square_pixels_not_declared_are_told_by_the_qr_code(fx, fy, index, clean_sheet, catalogue, tmp_path):
    """A 1-bit fax without its resolution: on many sheets the QR code is not found as stored (its modules
    are halved along one axis), so it is also looked for at the fax's aspect; every page is read."""
    pages, reads = clean_sheet
    squashed = cv2.resize(pages[index], None, fx=fx, fy=fy, interpolation=cv2.INTER_AREA)
    path = tmp_path / "fax.png"
    Image.fromarray(np.where(squashed > 150, 255, 0).astype(np.uint8)).save(path)  # 1-bit, no pHYs
    raw, result = _read(path, catalogue)
    assert raw.image.shape == squashed.shape  # nothing declared: stored as is, stretched when read
    assert_reads_like(result, reads[index], share=0.9)
    assert "điểm ảnh không vuông" in result.detail
    # The homography places the page on the image as stored: the QR code's centre where it was squashed to.
    x, y, w, h = QR_RECT_MM
    centre = map_points(np.array(result.homography), np.array([[x + w / 2, y + h / 2]]))[0]
    expected = map_points(np.array(reads[index].homography), np.array([[x + w / 2, y + h / 2]]))[0] * (fx, fy)
    assert np.hypot(*(centre - expected)) < 5


def test_square_pixels_keep_the_image_as_stored(clean_sheet, tmp_path):
    pages, _ = clean_sheet
    path = tmp_path / "scan.png"
    Image.fromarray(pages[0]).save(path, dpi=(200, 200))
    assert np.array_equal(next(iter_pages(path)).image, pages[0])


# --- 2. mirrored image ----------------------------------------------------------------------------------

@pytest.mark.parametrize("flip", ["left_right", "top_bottom"])
def test_a_mirrored_scan_is_flipped_back_and_read_saying_so(flip, clean_sheet, catalogue, tmp_path):
    pages, reads = clean_sheet
    mirrored = np.ascontiguousarray(pages[0][:, ::-1] if flip == "left_right" else pages[0][::-1, :])
    path = tmp_path / "mirror.png"
    Image.fromarray(mirrored).save(path, dpi=(200, 200))
    _, result = _read(path, catalogue)
    assert_reads_like(result, reads[0])
    assert MIRRORED_NOTE in result.detail
    # The homography places the page on the image as stored: the QR code where the mirrored image shows it.
    x, y, w, h = QR_RECT_MM
    centre = map_points(np.array(result.homography), np.array([[x + w / 2, y + h / 2]]))[0]
    expected = map_points(np.array(reads[0].homography), np.array([[x + w / 2, y + h / 2]]))[0]
    width, height = pages[0].shape[1], pages[0].shape[0]
    expected = (width - 1 - expected[0], expected[1]) if flip == "left_right" else (expected[0],
                                                                                    height - 1 - expected[1])
    assert np.hypot(*(centre - expected)) < 5


def test_a_mirrored_scan_that_cannot_be_read_says_it_is_mirrored(clean_sheet, catalogue):
    pages, _ = clean_sheet
    mirrored = np.ascontiguousarray(pages[0][:, ::-1])
    # The corner marks under white paper: the page is not found even flipped back; the QR code is seen.
    damaged = mirrored.copy()
    h, w = damaged.shape
    k = 118  # 15 mm at 200 dpi: the marks (8-14 mm in) go, the QR code (18 mm in) stays
    for y0, x0 in ((0, 0), (0, w - k), (h - k, 0), (h - k, w - k)):
        damaged[y0:y0 + k, x0:x0 + k] = 255
    result = process_page(RawPage("m.png", 0, damaged), catalogue)
    assert result.set_aside is not None and result.detail.startswith(MIRRORED_ADVICE)
    assert not result.questions or all(q.status != OK for q in result.questions)


# --- 5. a PDF cut short ---------------------------------------------------------------------------------

def test_a_pdf_cut_short_gives_its_readable_pages_and_names_the_first_lost(clean_sheet, tmp_path):
    pages, _ = clean_sheet
    three = [pages[0], pages[1], pages[0][::-1, ::-1]]
    data = img2pdf.convert([cv2.imencode(".png", p)[1].tobytes() for p in three])
    whole = tmp_path / "whole.pdf"
    whole.write_bytes(data)
    sizes = [len(cv2.imencode(".png", p)[1]) for p in three]
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) - sizes[2] // 2])  # inside the third page's image
    assert count_pages(cut) == 3
    got = list(iter_pages(cut))
    assert [p.index for p in got] == [0, 1, 2]
    assert np.array_equal(got[0].image, pages[0]) and np.array_equal(got[1].image, pages[1])
    assert got[2].image is None
    message = got[2].error.message
    assert "\n" not in message and str(cut) in message and "cắt cụt" in message
    assert "đã đọc 2 trang đầu, từ trang 3 trở đi không đọc được" in message
    # Read from a later page on (a worker that opens the file at page 2), the same pages.
    assert [p.index for p in iter_pages(cut, start=1)] == [1, 2]
    # A whole file is read as before; a file cut before any page ends is refused whole, named.
    assert [p.image is not None for p in iter_pages(whole)] == [True, True, True]
    early = tmp_path / "early.pdf"
    early.write_bytes(data[:2000])
    from omr.errors import InputFileError

    with pytest.raises(InputFileError, match="early.pdf: tệp PDF bị hỏng, có vẻ bị cắt cụt"):
        list(iter_pages(early))


# --- 4. a page photographed crooked -------------------------------------------------------------------

def _turned(grey: np.ndarray, degrees: float, whole: bool) -> np.ndarray:
    """``grey`` turned ``degrees`` counter-clockwise on white; ``whole``: the frame grown to show all of it."""
    h, w = grey.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    size = (w, h)
    if whole:
        c, s = abs(turn[0, 0]), abs(turn[0, 1])
        size = (int(h * s + w * c), int(h * c + w * s))
        turn[0, 2] += size[0] / 2 - w / 2
        turn[1, 2] += size[1] / 2 - h / 2
    return cv2.warpAffine(grey, turn, size, borderValue=255)


@pytest.mark.parametrize("degrees", [12, 30, -30, 45])
def test_a_crooked_page_is_found_at_any_turn(degrees, clean_sheet, catalogue):
    pages, reads = clean_sheet
    result = process_page(RawPage("crooked.jpg", 0, _turned(pages[0], degrees, whole=True)), catalogue)
    assert_reads_like(result, reads[0], share=0.9)
    if abs(degrees) > 12:
        assert f"trang bị nghiêng khoảng {abs(degrees)}°" in result.detail


@pytest.mark.parametrize("degrees", [12, 30])
def test_a_crooked_page_whose_corners_are_cut_off_says_so(degrees, clean_sheet, catalogue):
    pages, _ = clean_sheet
    result = process_page(RawPage("crooked.jpg", 0, _turned(pages[0], degrees, whole=False)), catalogue)
    assert result.set_aside == "no_form"
    assert f"trang bị nghiêng khoảng {degrees}°" in result.detail and "thấy đủ bốn góc phiếu" in result.detail


def test_an_upright_page_set_aside_is_not_called_crooked(catalogue):
    letter = np.full((2339, 1654), 255, np.uint8)
    for y in range(200, 2200, 60):  # rows of "text", upright, no form marks
        letter[y:y + 14, 150:1500] = 40
    result = process_page(RawPage("letter.png", 0, letter), catalogue)
    assert result.set_aside == "no_form" and "nghiêng" not in result.detail


# --- 3. a halftone photocopy ---------------------------------------------------------------------------

def _halftone(grey: np.ndarray, period: float, dots: str = "round", blur: float = 0.0) -> np.ndarray:
    """A photocopier's 45° dot screen of ``period`` px: every grey level (print included) drawn as dots,
    ``round`` (sum of cosines) or ``square`` (product of sines) dots, the copy blurred by ``blur`` px."""
    level = 40 + grey.astype(np.float32) * 0.8
    h, w = grey.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = (xx + yy) / np.sqrt(2), (xx - yy) / np.sqrt(2)
    if dots == "round":
        screen = (np.cos(2 * np.pi * u / period) + np.cos(2 * np.pi * v / period) + 2) * 63.75
    else:
        screen = (np.sin(np.pi * u / period) * np.sin(np.pi * v / period) + 1) * 127.5
    copy = np.where(level > screen, 250, 15).astype(np.uint8)
    return cv2.GaussianBlur(copy, (0, 0), blur) if blur else copy


# Screens as coarse as the code's modules (~5 px at 200 dpi): the decoder read none of these before.
@pytest.mark.parametrize("period,dots,blur", [(5.0, "round", 0.0), (5.0, "square", 0.6), (4.0, "square", 0.0)])
def test_a_halftone_photocopy_has_its_qr_code_read(period, dots, blur, clean_sheet, catalogue):
    pages, reads = clean_sheet
    copy = _halftone(pages[0], period, dots, blur)
    result = process_page(RawPage("copy.jpg", 0, copy), catalogue)
    assert result.set_aside is None, (result.set_aside, result.detail)
    assert (result.serial, result.unit, result.page) == (reads[0].serial, reads[0].unit, reads[0].page)
    want = answers_of(reads[0])
    assert not [q.question for q in result.questions if q.status == OK and q.value != want[q.question][0]]


def test_a_code_too_damaged_to_read_by_modules_stays_unreadable(clean_sheet, catalogue):
    pages, _ = clean_sheet
    copy = _halftone(pages[0], 5.0, "square", 0.6)
    h, w = copy.shape
    copy[int(h * 0.03):int(h * 0.06), int(w * 0.83):int(w * 0.92)] = 255  # a third of the code under paper
    result = process_page(RawPage("copy.jpg", 0, copy), catalogue)
    assert result.set_aside == "qr_unreadable" and result.serial is None
