"""Issue #13, geometry half: page turns, two pages per image, covered corner marks, show-through QR
codes, and light that is not ink.

The user's cases in ../shared/data/cases/ are read with their right values, and generated
variants of each kind (other corners and covers, other shadow strengths and directions, other
turns, both two-page arrangements) are read right too, or sent to review, never silently wrong.
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from case_files import require_cases
from read_checks import assert_no_silent_error

from omr.forms.qr_symbol import qr_matrix
from omr.forms.qrcodes import PageIdentity, encode_payload
from omr.forms.simulate import (
    CORNER_COVERS,
    PROFILES,
    _BlankPages,
    cast_shadow,
    choose_answers,
    cover_corner_mark,
    fill_page,
    scan_page,
    smudge_qr,
)
from omr.model import BLANK, OK
from omr.scan.identify import locate_codes
from omr.scan.ingest import RawPage, iter_pages
from omr.scan.lighting import flatten_lighting
from omr.scan.page import process_image, process_page


# The answers drawn on every case sheet (serial 000001), from the cases' README.
CASE_ANSWERS = {
    "A1": "2026-03-15", "A2": "1", "A3": "2", "A4": "1", "A5": "2", "A6": "3", "A7": "4", "B1": "5", "B2": "4",
    "B3": "3", "B4": "5", "C1": "4", "C2": "5", "C3": "4", "C4": "1", "C5": "2", "D1": "5", "D2": "4", "D3": "5",
    "D4": "4", "D5": "3", "E1": "2", "E2": "4", "F1": "1", "F2": "5", "F3": "2", "F4": "4", "G1": "5", "G2": "4",
    "H1": "5", "H2": "N",  # H2 "Không"
}


def _case(name: str) -> Path:
    return require_cases() / name


def _assert_case_page(result, page_number: int, blank: tuple[str, ...] = ()):
    assert result.set_aside is None, (result.set_aside, result.detail)
    assert (result.form_id, result.page, result.serial) == ("motcua-2026", page_number, 1)
    assert result.alignment_mm is not None and result.alignment_mm < 0.5
    for q in result.questions:
        if q.question in blank:
            assert q.status == BLANK, (q.question, q.value, q.status)
        else:
            assert (q.status, q.value) == (OK, CASE_ANSWERS[q.question]), (q.question, q.value, q.status)
    assert not any(c.inked for c in result.comments), "empty comment boxes read as written"


def test_staple_over_a_corner_mark_case(catalogue):
    """A staple across the top-left mark: no marked box stands in for it; both pages read right."""
    results = [process_page(raw, catalogue) for raw in iter_pages(_case("staple-over-corner-mark.pdf"))]
    assert [r.page for r in results] == [1, 2]
    for result in results:
        _assert_case_page(result, result.page)


@pytest.mark.parametrize("name, page_number, blank", [
    ("shadow-photo-p1.jpg", 1, ()),
    ("shadow-photo-p2.jpg", 2, ("D3", "D4", "D5")),  # a shadow's edge across D3-D5 is not a "2"
])
def test_hard_shadow_photo_cases(catalogue, name, page_number, blank):
    (raw,) = list(iter_pages(_case(name)))
    _assert_case_page(process_page(raw, catalogue), page_number, blank)


def test_two_pages_side_by_side_case(catalogue):
    """One image holding both pages (an A3 scan of the unstapled sheet): both pages read, each as its half."""
    (raw,) = list(iter_pages(_case("two-pages-side-by-side.jpg")))
    results = process_image(raw, catalogue)
    assert [(r.source.part, r.page) for r in results] == [(1, 1), (2, 2)]
    for result in results:
        _assert_case_page(result, result.page)
        assert result.source.page_index == 0 and result.source.path == raw.path
    assert results[0].detail.startswith("nửa trái của ảnh") and results[1].detail.startswith("nửa phải của ảnh")
    # The one-page entry point never reads one page of it as if it were the whole image.
    alone = process_page(raw, catalogue)
    assert alone.set_aside == "two_pages" and not alone.questions
    assert "trang 1 của phiếu số 000001" in alone.detail and "trang 2 của phiếu số 000001" in alone.detail


def _stored_pixels(path: Path) -> np.ndarray:
    """The image's pixels as stored, EXIF orientation ignored (a photo that lost its tag)."""
    with Image.open(path) as img:
        return np.asarray(img.convert("L")).copy()


@pytest.mark.parametrize("turn", [0, 1, 2, 3])
def test_photo_stored_sideways_without_exif_is_found_every_way(catalogue, turn):
    """photo-exif-rotated.jpg's pixels lie sideways; turned further any number of quarters, the page is found."""
    grey = np.ascontiguousarray(np.rot90(_stored_pixels(_case("photo-exif-rotated.jpg")), turn))
    result = process_page(RawPage("sideways.jpg", 0, grey), catalogue)
    _assert_case_page(result, 1)


# --- generated variants ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def sheet(default_layout):
    """One filled sheet (both pages, RGB at 200 dpi, before scanning) and its truth."""
    template, layout = default_layout
    rng = np.random.default_rng(13)
    blanks = _BlankPages(layout, 200).pages
    truth = choose_answers(template, 4242, rng, None, comment_share=0.0)
    pages = {p.number: fill_page(blanks[p.number], p, truth, 200, rng, faint=False) for p in layout.pages}
    return truth, pages, layout


def _scan(rgb: np.ndarray, seed: int, profile: str = "office") -> np.ndarray:
    data, _ = scan_page(rgb, PROFILES[profile], 200, np.random.default_rng(seed), upside_down=False)
    return np.asarray(Image.open(io.BytesIO(data)).convert("L")).copy()


def _assert_no_silent_error(result, truth, page_number: int, max_review: int = 2, qr_legible: bool = True):
    if qr_legible:
        assert result.set_aside is None, (result.set_aside, result.detail)
        assert (result.page, result.serial) == (page_number, truth.serial)
    elif result.set_aside is None:
        # The damage reached the QR code, yet it was read module by module (error correction repairs the
        # part covered): it must then be this page's own code, never another serial.
        assert (result.page, result.serial) == (page_number, truth.serial)
    else:  # the damage reached the QR code: matched by its boxes, read, set aside for its serial
        assert (result.set_aside, result.page) == ("qr_unreadable", page_number), (result.set_aside, result.detail)
    assert_no_silent_error(result, truth, max_review)


@pytest.mark.parametrize("corner", [0, 1, 2, 3])
@pytest.mark.parametrize("cover", CORNER_COVERS)
def test_one_covered_corner_mark_any_corner_any_cover(catalogue, sheet, corner, cover):
    """A staple, sticker, tear, punch hole or fold over any one mark: the page is read right."""
    truth, pages, layout = sheet
    for number in (1, 2):
        rgb = pages[number].copy()
        cover_corner_mark(rgb, layout.page(number), corner, cover, 200, np.random.default_rng(corner * 7 + number))
        qr_legible = bool(locate_codes(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)))  # a sticker may reach the code
        result = process_page(RawPage("covered.jpg", 0, _scan(rgb, corner + 10 * number)), catalogue)
        _assert_no_silent_error(result, truth, number, qr_legible=qr_legible)


@pytest.mark.parametrize("lost", [(0, 2), (2, 3), (0, 3), (1, 2)])
def test_two_corner_marks_lost_the_qr_code_and_boxes_anchor_the_page(catalogue, sheet, lost):
    truth, pages, layout = sheet
    rgb = pages[1].copy()
    for k in lost:
        cover_corner_mark(rgb, layout.page(1), k, "sticker", 200, np.random.default_rng(k))
    result = process_page(RawPage("two-lost.jpg", 0, _scan(rgb, 3)), catalogue)
    _assert_no_silent_error(result, truth, 1)
    assert "dấu định vị góc bị che" in result.detail


def test_a_marked_box_is_never_taken_for_a_covered_corner_mark(catalogue, default_layout):
    """The staple case's kind: the mark hidden, a filled box the nearest square to that corner."""
    template, layout = default_layout
    rng = np.random.default_rng(5)
    truth = choose_answers(template, 99, rng, None, comment_share=0.0)
    page = layout.page(1)
    top_left_box = min(page.checkboxes, key=lambda b: b.x + b.y)
    truth.boxes.setdefault(top_left_box.question, {})[top_left_box.option] = "cancelled"
    truth.mark_styles.setdefault(top_left_box.question, {})[top_left_box.option] = "fill"
    rgb = fill_page(_BlankPages(layout, 200).pages[1], page, truth, 200, rng, faint=False)
    cover_corner_mark(rgb, page, 0, "staple", 200, np.random.default_rng(1))
    result = process_page(RawPage("staple.jpg", 0, _scan(rgb, 1, "clean")), catalogue)
    assert result.set_aside is None and result.alignment_mm < 0.5
    boxes = {(b.question, b.option): b for b in result.boxes}
    assert boxes[(top_left_box.question, top_left_box.option)].state == "cancelled"


# The seed draws the shadow's place, direction, edge and kind (band or half-page; the strength draws
# nothing): every strength on a shadow of its own, and the darkest, the hardest, on all three.
@pytest.mark.parametrize("strength, seed", [(0.3, 1), (0.5, 2), (0.7, 1), (0.7, 2), (0.7, 3)])
def test_hard_shadows_of_any_strength_and_direction_make_no_ink(catalogue, sheet, strength, seed):
    """A phone photo with a hand's shadow (random direction, band or half-page): nothing invented."""
    truth, pages, layout = sheet
    for number in (1, 2):
        rgb = pages[number].copy()
        cast_shadow(rgb, np.random.default_rng(seed * 10 + number), strength=strength)
        result = process_page(RawPage("shadow.jpg", 0, _scan(rgb, seed, "phone")), catalogue)
        _assert_no_silent_error(result, truth, number, max_review=3)


@pytest.mark.parametrize("corner", [0, 1, 2, 3])
def test_a_dark_shadow_across_a_corner_mark_does_not_lose_the_page(catalogue, sheet, corner):
    truth, pages, layout = sheet
    rgb = pages[2].copy()
    f = layout.page(2).fiducials[corner]
    through = ((f.x + f.w / 2) * 200 / 25.4, (f.y + f.h / 2) * 200 / 25.4)
    cast_shadow(rgb, np.random.default_rng(corner), strength=0.7, through=through)
    result = process_page(RawPage("shadow.jpg", 0, _scan(rgb, corner, "phone")), catalogue)
    _assert_no_silent_error(result, truth, 2, max_review=3)


@pytest.mark.parametrize("quarters", [1, 2, 3])
@pytest.mark.parametrize("number", [1, 2])
def test_pages_turned_90_180_270_are_read(catalogue, sheet, quarters, number):
    truth, pages, layout = sheet
    rgb = np.ascontiguousarray(np.rot90(pages[number], quarters))
    result = process_page(RawPage("turned.jpg", 0, _scan(rgb, quarters)), catalogue)
    _assert_no_silent_error(result, truth, number)
    assert result.rotated_180 == (quarters == 2)
    assert ("xoay 90°" in result.detail) == (quarters != 2)


# --- QR codes seen through the paper -----------------------------------------------------------

def _symbol(payload: str, dark: int = 20, light: int = 235, px: int = 5) -> np.ndarray:
    img = np.where(qr_matrix(payload), dark, light).astype(np.uint8)
    img = np.pad(img, 4, constant_values=light)
    return cv2.GaussianBlur(cv2.resize(img, None, fx=px, fy=px, interpolation=cv2.INTER_NEAREST), (0, 0), 1.0)


@pytest.mark.parametrize("turn", [0, 1, 2, 3])
def test_a_mirrored_qr_code_is_recognised_as_mirrored(turn):
    payload = encode_payload(PageIdentity("motcua-2026", 1, 2, 7))
    plain = np.ascontiguousarray(np.rot90(_symbol(payload), turn))
    mirrored = np.ascontiguousarray(plain[:, ::-1])
    (p,), (m,) = locate_codes(plain), locate_codes(mirrored)
    assert not p.mirrored and p.contrast > 0.6
    assert m.mirrored


def test_a_faint_qr_code_is_not_the_pages_own():
    """zxing-cpp decodes a code at 10 % contrast (the back page through the paper): its contrast says so."""
    payload = encode_payload(PageIdentity("motcua-2026", 1, 2, 7))
    (faint,) = locate_codes(_symbol(payload, dark=212, light=235))
    assert faint.contrast < 0.3


@pytest.mark.parametrize("number", [1, 2])
def test_back_page_showing_through_never_names_the_page(catalogue, sheet, number):
    """Thin paper: the other side's code shows through, mirrored; the page's own code is smudged.
    The page is never taken for the other side: it is matched by its boxes and waits for its serial."""
    truth, pages, layout = sheet
    other = pages[3 - number]
    darkness = 1.0 - other[:, ::-1].astype(np.float32) / 255.0
    rgb = np.clip(pages[number].astype(np.float32) * (1.0 - 0.3 * darkness), 0, 255).astype(np.uint8)
    smudge_qr(rgb, layout.page(number), 200, np.random.default_rng(number))
    result = process_page(RawPage("thin.jpg", 0, _scan(rgb, number)), catalogue)
    assert result.page == number
    assert result.set_aside == "qr_unreadable"  # kept and read, set aside until a person gives the serial


# --- light is not ink --------------------------------------------------------------------------

def test_flattening_removes_a_light_step_and_keeps_a_corner_mark():
    """A 60 % shadow step across a 6 mm mark on an A4 page at 8 px/mm: paper even, the mark still black."""
    page = np.full((2376, 1680), 230, np.uint8)
    page[1000:1048, 816:864] = 25  # a 6 mm mark, half in the shadow
    light = np.ones_like(page, np.float32)
    light[:, 840:] = 0.4
    shaded = (page * light).astype(np.uint8)
    flat = flatten_lighting(shaded).astype(np.float32)
    lit_paper, shade_paper = np.median(flat[100:800, 100:700]), np.median(flat[100:800, 1000:1600])
    assert abs(lit_paper - shade_paper) < 0.03 * lit_paper
    # No ink along the shadow's edge, away from the mark.
    assert flat[100:800, 830:850].min() > 0.85 * lit_paper
    assert flat[1005:1043, 821:836].mean() < 0.25 * lit_paper and flat[1005:1043, 844:859].mean() < 0.25 * lit_paper


def test_a_code_naming_another_page_than_the_printed_boxes_is_set_aside(catalogue, sheet):
    """A legible, upright code that names page 2 on a page whose boxes are page 1's (a label stuck on
    the wrong side, a misprint): never read from the wrong layout; set aside, saying which page it is."""
    from omr.forms.simulate import _paste_identity

    truth, pages, layout = sheet
    rgb = pages[1].copy()
    _paste_identity(rgb, layout.page(1), PageIdentity(truth.form, truth.version, 2, truth.serial), 200)
    result = process_page(RawPage("label.jpg", 0, _scan(rgb, 4, "clean")), catalogue)
    assert result.set_aside == "page_mismatch"
    assert "mã QR ghi trang 2" in result.detail and "trang 1" in result.detail
    assert not result.questions


@pytest.mark.parametrize("damage", [((1, "tear"), (3, "staple")), ((0, "fold"), (2, "punch")),
                                    ((2, "tear"), (3, "sticker"))])
def test_two_marks_damaged_differently_never_shift_the_answers(catalogue, sheet, damage):
    """A torn corner and a stapled one (a simulated batch read page 2 of such a sheet one scale column
    off: box grids repeat, so a fit to the boxes alone found most outlines a column away). The page
    is read right, or its answers go to review; none is silently shifted."""
    truth, pages, layout = sheet
    rgb = pages[2].copy()
    for corner, cover in damage:
        cover_corner_mark(rgb, layout.page(2), corner, cover, 200, np.random.default_rng(corner))
    result = process_page(RawPage("damaged.jpg", 0, _scan(rgb, 6)), catalogue)
    _assert_no_silent_error(result, truth, 2, max_review=len(result.questions))


def test_a_fit_one_scale_column_off_does_not_keep_its_anchors():
    """The guard against repeating box grids: a homography moved one scale column (12 mm) from the
    marks and QR code it was built on is refused, one within a millimetre is kept."""
    from omr.scan.identify import FIDUCIAL_CENTRES_MM, QR_RECT_MM, map_points
    from omr.scan.page_geometry import Anchoring

    px_per_mm = 200 / 25.4
    h = np.diag([px_per_mm, px_per_mm, 1.0])
    x, y, w, hh = QR_RECT_MM
    qr_mm = np.array([[x, y], [x + w, y], [x + w, y + hh], [x, y + hh]])
    kept = [0, 2]  # top-left and bottom-left marks; the right-hand ones torn and stapled
    anchoring = Anchoring(h, FIDUCIAL_CENTRES_MM[kept], map_points(h, FIDUCIAL_CENTRES_MM[kept]),
                          (qr_mm, map_points(h, qr_mm)), len(kept))
    shift = np.array([[1.0, 0.0, 12.0 * px_per_mm], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    nudge = np.array([[1.0, 0.0, 0.8 * px_per_mm], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert not anchoring.kept_by(shift @ h)
    assert anchoring.kept_by(nudge @ h)
