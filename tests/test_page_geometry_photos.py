"""A phone photo of ONE page is one page, whatever share of the frame the page fills.

A user's 12 MP photo (3:4, the page filling 70 % of the width, all four corner marks in view) was
taken for two pages: the page covered under 60 % of the image, its top half showed the QR code
and the top marks, and the bottom half "had print" (the page's own bottom half). The top half
was read alone, the boxes below the middle were not in it, every answer went to review, the
bottom half was set aside, and a second photo of the same sheet then read differently: a false
serial conflict. Two pages are split only on evidence: a page of omr's own (its QR code read)
lying in each half (:func:`omr.scan.page_geometry.pages_apart_in_halves`).

The photos are generated here: perspective of a hand-held phone, rotation 0-10°, the page
filling 60-90 % of a 3:4 or 4:3 frame, a table around it, light falling off, a hard shadow.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import sqlalchemy as sa
from db_fixtures import SQLITE_ONLY
from PIL import Image
from read_checks import assert_no_silent_error

from omr.data.schema import pages
from omr.forms.simulate import _BlankPages, cast_shadow, choose_answers, fill_page
from omr.model import NEEDS_REVIEW
from omr.scan.batch import format_report, run_scan
from omr.scan.ingest import RawPage
from omr.scan.lighting import flatten_lighting
from omr.scan.page import process_image, process_page
from omr.scan.page_geometry import find_two_pages, pages_apart_in_halves

DPI = 200


@pytest.fixture(scope="module")
def sheets(default_layout):
    """Two filled sheets (serials 5151 and 5252), both pages each, RGB at 200 dpi before the photo."""
    template, layout = default_layout
    rng = np.random.default_rng(51)
    blanks = _BlankPages(layout, DPI).pages
    out = {}
    for serial in (5151, 5252):
        truth = choose_answers(template, serial, rng, None, comment_share=0.0)
        out[serial] = truth, {p.number: fill_page(blanks[p.number], p, truth, DPI, rng, faint=False)
                              for p in layout.pages}
    return out


def _photo(rgb: np.ndarray, frame: tuple[int, int], share: float, angle: float, seed: int,
           shadow: bool = True, centre: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """A phone photo (grey, ``frame`` = (w, h) px) of the page ``rgb``.

    The page's larger extent (width in a portrait frame, height in a landscape one, before the
    turn) is ``share`` of the frame's same side; it is turned ``angle`` degrees about ``centre``
    (shares of the frame), seen with a hand-held phone's perspective (corners moved up to 2 % of
    the page), on a wooden table, with light falling off to one side and, with ``shadow``, a hard
    shadow across the page; saved as JPEG quality 85 and read back.
    """
    rng = np.random.default_rng(seed)
    fw, fh = frame
    h, w = rgb.shape[:2]
    scale = share * fw / w if fh >= fw else share * fh / h
    page = rgb.copy()
    if shadow:
        cast_shadow(page, rng, strength=rng.uniform(0.25, 0.45))
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    placed = (corners - [w / 2, h / 2]) * scale
    turn = np.deg2rad(angle)
    rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]], np.float32)
    placed = placed @ rot.T + [centre[0] * fw, centre[1] * fh]
    placed += rng.uniform(-0.02, 0.02, (4, 2)).astype(np.float32) * [w * scale, h * scale]
    margin = 0.01 * min(fw, fh)  # all four corner marks in view, as the user's photos had them
    assert placed.min() >= margin and (placed <= [fw - margin, fh - margin]).all(), "the page leaves the frame"
    matrix = cv2.getPerspectiveTransform(corners, placed.astype(np.float32))
    table = np.empty((fh, fw, 3), np.float32)
    table[:] = (70, 100, 135)
    table += rng.normal(0, 8, table.shape).astype(np.float32)
    warped = cv2.warpPerspective(page.astype(np.float32), matrix, (fw, fh), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), matrix, (fw, fh))[..., None]
    img = table * (1 - mask) + warped * mask
    light = np.linspace(rng.uniform(0.7, 0.85), 1.0, fw, dtype=np.float32)[None, :, None]
    img = cv2.GaussianBlur(img * light, (3, 3), 0)
    ok, data = cv2.imencode(".jpg", np.clip(img, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)


PORTRAIT, LANDSCAPE = (2400, 3200), (4000, 3000)

# (frame, share of the frame, rotation °, page number, seed): 3:4 frames at 60-85 % of the width
# (the trial's photos failed at 70 %, under TWO_UP_MAX_PAGE_SHARE of the area), 4:3 frames with the
# portrait page at 60-85 % of the height (more, turned, leaves the frame).
PHOTOS = [
    (PORTRAIT, 0.60, 0.0, 1, 1),
    (PORTRAIT, 0.65, 10.0, 2, 2),
    (PORTRAIT, 0.70, 0.0, 1, 3),
    (PORTRAIT, 0.70, -6.0, 2, 4),
    (PORTRAIT, 0.75, 3.0, 1, 5),
    (PORTRAIT, 0.85, -4.0, 1, 6),
    (LANDSCAPE, 0.60, 4.0, 1, 7),
    (LANDSCAPE, 0.85, -6.0, 2, 8),
]


@pytest.mark.parametrize("frame, share, angle, number, seed", PHOTOS)
def test_a_phone_photo_of_one_page_is_read_as_one_page(catalogue, sheets, frame, share, angle, number, seed):
    truth, filled = sheets[5151]
    grey = _photo(filled[number], frame, share, angle, seed)
    results = process_image(RawPage("anh-chup.jpg", 0, grey), catalogue)
    assert len(results) == 1, [(r.source.part, r.set_aside, r.detail) for r in results]
    (result,) = results
    assert result.source.part == 0, result.detail
    assert result.set_aside is None, (result.set_aside, result.detail)
    assert (result.page, result.serial) == (number, truth.serial)
    assert "misaligned" not in result.detail and "nửa" not in result.detail, result.detail
    assert result.alignment_mm is not None and result.alignment_mm <= 0.5
    assert_no_silent_error(result, truth, 2)
    # The one-page entry point reads it the same way.
    alone = process_page(RawPage("anh-chup.jpg", 0, grey), catalogue)
    assert alone.set_aside is None and alone.source.part == 0
    assert [(q.question, q.value, q.status) for q in alone.questions] == \
        [(q.question, q.value, q.status) for q in result.questions]


def test_a_half_that_shows_only_part_of_the_photos_page_is_no_evidence_of_two(sheets):
    """The trial's case itself: the top half of a 3:4 photo at 70 % holds the page's QR code, so a page
    is found there, but it reaches far into the bottom half: no page of its own, no split."""
    _truth, filled = sheets[5151]
    grey = flatten_lighting(_photo(filled[1], PORTRAIT, 0.70, 0.0, 3))
    found = [half for half in find_two_pages(grey) if half.identification.identity is not None]
    assert found, "the top half shows the page's code: the evidence must be refused, not missed"
    assert pages_apart_in_halves(grey) == []


@pytest.mark.parametrize("frame, seed", [(LANDSCAPE, 11), (PORTRAIT, 12)])
def test_a_photo_of_two_pages_is_still_split(catalogue, sheets, frame, seed):
    """Both pages of a sheet photographed side by side (4:3) or one above the other (3:4, each page
    turned a quarter): each page lies in its half and shows its code, so each is read as its half."""
    truth, filled = sheets[5252]
    if frame == LANDSCAPE:
        both = np.hstack([filled[1], np.full_like(filled[1][:, :60], 240), filled[2]])
        grey = _photo(both, frame, 0.8, 2.0, seed, shadow=False)
    else:
        both = np.rot90(np.hstack([filled[1], np.full_like(filled[1][:, :60], 240), filled[2]]), 1)
        grey = _photo(np.ascontiguousarray(both), frame, 0.8, -2.0, seed, shadow=False)
    results = process_image(RawPage("hai-trang.jpg", 0, grey), catalogue)
    assert [r.source.part for r in results] == [1, 2], [(r.set_aside, r.detail) for r in results]
    assert sorted(r.page for r in results) == [1, 2]
    for result in results:
        assert result.set_aside is None and result.serial == truth.serial, result.detail
        assert_no_silent_error(result, truth, 2)


def _write_jpeg(path, grey: np.ndarray) -> None:
    Image.fromarray(grey).save(path, quality=92)


@SQLITE_ONLY  # the store holds what was read; reading is what is tested
def test_photos_of_one_sheet_at_any_width_are_one_page_and_rescans(store, sheets, tmp_path, repo_root):
    """The trial in a store: photos of one sheet at 70, 78 and 85 % width and tilted 0-10° are one
    page each; the first is new with no answer to review for being "misaligned", every other photo
    is a rescan of it (never "trùng số phiếu… khác nội dung"), and scanning a file again changes nothing."""
    truth, filled = sheets[5151]
    templates = str(repo_root / "form_templates")
    shots = [(0.70, 0.0), (0.78, 2.0), (0.85, -4.0), (0.65, 10.0)]
    outcomes = []
    for k, (share, angle) in enumerate(shots):
        path = tmp_path / f"anh-{k}.jpg"
        _write_jpeg(path, _photo(filled[1], PORTRAIT, share, angle, 20 + k))
        report = run_scan([str(path)], store, "đợt ảnh", template_dir=templates)
        text = format_report(report, store.summary())
        assert "hai trang" not in text and "nửa" not in text and report.images_split == 0, text
        assert not report.set_aside, text
        outcomes.append({key: n for key, n in report.outcomes.items() if n})
    assert outcomes == [{"new": 1}] + [{"rescan": 1}] * (len(shots) - 1)
    (response,) = list(store.responses())
    assert response["serial"] == truth.serial
    assert "serial_conflict" not in (response.get("flags") or "")
    review = [q for q, (_v, status, _c) in response["answers"].items() if status in NEEDS_REVIEW]
    assert len(review) <= 2, review
    with store.reading() as conn:
        details = conn.execute(sa.select(pages.c.detail)).scalars().all()
    assert not any("misaligned" in (d or "") for d in details), details
    again = run_scan([str(tmp_path / "anh-0.jpg")], store, "đợt ảnh", template_dir=templates)
    assert again.pages_skipped_done == 1 and sum(again.outcomes.values()) == 0
