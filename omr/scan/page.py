"""One scanned image in, one :class:`~omr.model.PageResult` per form page in it out.

The stages run in order: ingest (done by the caller) → identify → align →
read. Nothing here touches the database, so pages can be processed in worker
processes and stored by the parent.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path

import cv2
import numpy as np

from omr import tuning as T
from omr.errors import TemplateError
from omr.forms.layout import Layout, PageLayout, TextRegion
from omr.model import (AMBIGUOUS, BLANK, EMPTY, MARKED, NEEDS_REVIEW, NO_MARKS, OK, SET_ASIDE_REASONS, STRAY_WRITING_FIELD, UNCERTAIN,
                       PageResult, PageSource, QuestionRead, form_page_name, half_name)
from omr.scan.align import aligned_ink, locate_boxes, page_ink, warp_to_layout
from omr.scan.bubbles import pinned_search, read_pinned_boxes
from omr.scan.catalogue import Catalogue
from omr.scan.comments import BlankPrint, crop_field, png_bytes, read_comment
from omr.scan.identify import faint_print, is_blank, locate_codes, map_points, overview, own_codes, upside_down
from omr.scan.ingest import RawPage
from omr.scan.lighting import block_means, flatten_lighting, stretch_to_range
from omr.scan.page_geometry import (
    BoxFit,
    checked_fit,
    crop_part,
    half_with_centre,
    identify_any_turn,
    ink_skew_degrees,
    other_half_has_print,
    page_share_of_image,
    page_turn_degrees,
    pages_apart_in_halves,
    tilt_from_square,
    to_whole_image,
)
from omr.scan.duplicates import marks_key
from omr.scan.ink_prints import ink_print
from omr.scan.join import join_pages
from omr.scan.form_print import option_labels, page_print, print_core, printed_mask, question_areas, titles_in_place
from omr.scan.line_marks import review_lines_through_boxes, review_lines_through_pinned_boxes
from omr.scan.printed_boxes import (arrows_from_above, circled_boxes, circled_labels, crossed_out, flag_unprinted,
                                    marks_beside_boxes, marks_running_out, outline_continuity,
                                    own_outline_evidence, reference_print, stray_writing, tinted_boxes,
                                    unexplained_marks, writing_in_areas)
from omr.scan.read import (bilevel, faint_strokes_cut, neighbours_of_other_questions, partial_marks, read_boxes,
                           thresholded)
from omr.scan.resolve import partial_numbers, questions_with_marks, recalibrate, resolve_questions, shown_confidence
from omr.scan.register import PageFeatures, load_reference, match_pinned, page_features, pinned_identity, register_to
from omr.scan.show_through import back_print
from omr.text.numbers import vn_percent


def process_image(raw: RawPage, catalogue: Catalogue) -> list[PageResult]:
    """Every form page in one scanned image, each identified, aligned and read (pure but for the catalogue).

    Usually one result, as :func:`process_page` gives it. An image holding two
    form pages (an A3 scan of an unstapled sheet, two pages side by side or
    stacked, either way up; :func:`omr.scan.page_geometry.pages_apart_in_halves`) gives
    one result per half that holds print, in order (left/top first), each with
    ``source.part`` 1 or 2 and its homography onto px of the whole image:

    * a half holding a form page is read as a page of its own (or set aside
      for its own reason, e.g. an unreadable QR code);
    * a half with print that is not a form page is set aside as
      ``"half_not_form"``;
    * a blank half gives nothing: no page is invented.

    When both halves give a page, each one's detail names its half ("nửa trái" ... "nửa dưới" của
    ảnh). A page alone beside a blank half (an A3 scan of one A4 page) is the image's one page: it
    is read on its half (``source.part``), but nothing tells the user of a second page or a half.
    """
    outcome = _process(raw, catalogue, split=True)
    if isinstance(outcome, PageResult):
        beside = _print_beside(raw, outcome)
        return [outcome] + ([beside] if beside is not None else [])
    results = []
    for part in (1, 2):
        result = _read_half(raw, outcome, part, catalogue)
        if result is not None:
            results.append(result)
    for result in results:
        if len(results) == 2 or result.set_aside == "half_not_form":  # its reason is about its half
            _name_half(result, raw, outcome.grey.shape)
        if result.set_aside == "half_not_form" and len(results) == 2 and any(r.set_aside is None for r in results):
            result.detail += f"; {CUT_PAGE_HINT}"  # beside a form page: most likely its other page, cut
    # Both halves blank after all (they were found otherwise): the image as one page, never nothing.
    return results or [_process(raw, catalogue, split=False)]


# What the operator is told of print beside a form page that is no page omr can read (#19: one page of an A3
# scan cut 22 mm, its QR code lost, was dropped without a word).
CUT_PAGE_HINT = ("có thể là trang kia của tờ phiếu bị cắt mép khi quét (mất mã QR): quét lại tờ này cho đủ trang, "
                 "hoặc nhập số phiếu và số trang cho trang này ở hàng đợi kiểm tra")


def _print_beside(raw: RawPage, read: PageResult) -> PageResult | None:
    """A set-aside result for print beside the page ``read`` found in ``raw`` when the page covers little of
    the image and the image was not split (:func:`process_image`), or None.

    Only the strip beyond the page's edge is looked at, when it is wide enough to hold a page
    (``T.CUT_PAGE_MIN_STRIP_SHARE`` of the page's width); it becomes "half_not_form" of the image half it
    lies in, with what to do (:data:`CUT_PAGE_HINT`). Costs one flattening, only for such images.
    """
    if raw.image is None or read.homography is None or read.set_aside is not None:
        return None
    if read.questions and all(q.status in NEEDS_REVIEW for q in read.questions):
        # The page's own placing is in doubt (every answer to review: a steep phone photo placed on its QR
        # code and a few marks): the "print beside" it is most likely the page itself, not a second page.
        return None
    shape = raw.image.shape[:2]
    homography = np.array(read.homography)
    if page_share_of_image(homography, shape) >= T.TWO_UP_MAX_PAGE_SHARE:
        return None
    h, w = shape
    corners = map_points(homography, np.array([[0, 0], [T.PAGE_WIDTH, 0], [T.PAGE_WIDTH, T.PAGE_HEIGHT],
                                               [0, T.PAGE_HEIGHT]], dtype=np.float64))
    across = 0 if w >= h else 1  # pages side by side in a landscape image, stacked in a portrait one
    low, high = float(corners[:, across].min()), float(corners[:, across].max())
    size = high - low
    edge = T.CUT_PAGE_EDGE_SHARE * size
    length = w if across == 0 else h
    strips = [(part, a, b) for part, a, b in ((1, 0, int(low - edge)), (2, int(high + edge), length))
              if b - a >= T.CUT_PAGE_MIN_STRIP_SHARE * size]
    if not strips:
        return None
    grey = flatten_lighting(raw.image)
    for part, a, b in strips:
        strip = grey[:, a:b] if across == 0 else grey[a:b, :]
        if strip.size and not is_blank(np.ascontiguousarray(strip)):
            result = PageResult(PageSource(raw.path, raw.index, raw.sha256, part))
            result.set_aside = "half_not_form"
            result.detail = f"bên cạnh trang phiếu đã đọc; {CUT_PAGE_HINT}"
            _name_half(result, raw, shape)
            return result
    return None


def process_page(raw: RawPage, catalogue: Catalogue) -> PageResult:
    """Identify, align and read one page (pure but for the catalogue lookup).

    An image holding one form page in one half (the other blank or other
    print) gives that page, read on its half. An image holding two form pages
    comes back set aside as ``"two_pages"``, its detail saying which pages
    are in it: :func:`process_image` reads both.
    """
    outcome = _process(raw, catalogue, split=True)
    if isinstance(outcome, PageResult):
        return outcome
    if len(outcome.halves) == 1:
        found = outcome.halves[0].identification
        part = half_with_centre(found.homography, outcome.grey.shape)
        read = _read_half(raw, outcome, part, catalogue)
        if read is not None:
            if other_half_has_print(outcome.grey, found):  # beside other print: say which half it is
                _name_half(read, raw, outcome.grey.shape)
            return read
    result = PageResult(PageSource(raw.path, raw.index, raw.sha256))
    result.set_aside = "two_pages"
    result.detail = "; ".join(_describe(half.identification) for half in outcome.halves)
    return result


@dataclass
class _TwoPages:
    """An image found to hold two form pages: its flattened pixels and the halves identified."""

    grey: np.ndarray
    halves: list


def _read_half(raw: RawPage, two: _TwoPages, part: int, catalogue: Catalogue) -> PageResult | None:
    """One half of a two-page image read as a page of its own, placed in the whole image; None if blank.

    The half is not named in the detail: :func:`_name_half` does that when the other half holds
    something too.
    """
    grey = crop_part(two.grey, part)[0]
    image = crop_part(raw.image, part)[0]
    # Its own fingerprint (of its pixels): a form designed elsewhere takes its serial from it.
    half = RawPage(raw.path, raw.index, image, raw.error)
    result = _process(half, catalogue, split=False, grey=grey)
    if result.set_aside == "blank":
        return None
    result.source = PageSource(raw.path, raw.index, raw.sha256, part)
    if result.homography is not None:
        result.homography = to_whole_image(np.array(result.homography), two.grey.shape, part).tolist()
    if result.set_aside in ("no_form", "no_match"):
        # Print, but no form page omr can read (a letter, a photo, another organisation's form).
        why = SET_ASIDE_REASONS.get(result.set_aside, "") + (f": {result.detail}" if result.detail else "")
        result.set_aside, result.detail = "half_not_form", why
    return result


def _name_half(result: PageResult, raw: RawPage, shape: tuple[int, int]) -> None:
    """Start ``result``'s detail with the half of the image it is ("nửa trái của ảnh (tệp …, trang …)")."""
    h, w = shape[:2]
    where = f"{half_name(result.source.part, w >= h)} của ảnh (tệp {Path(raw.path).name}, trang {raw.index + 1})"
    result.detail = where + ("; " + result.detail if result.detail else "")


def _process(raw: RawPage, catalogue: Catalogue, *, split: bool,
             grey: np.ndarray | None = None) -> PageResult | _TwoPages:
    """The reading of :func:`process_page`; with ``split``, a two-page image comes back as :class:`_TwoPages`.

    ``grey``: the page already flattened (a half of a flattened image), else it is flattened here.
    """
    result = PageResult(PageSource(raw.path, raw.index, raw.sha256))
    if raw.image is None:
        result.set_aside, result.detail = ((raw.error.reason, raw.error.message) if raw.error else ("unreadable", ""))
        return result
    # Light is not ink: every later stage measures marks on the flattened page.
    if grey is None:
        grey = flatten_lighting(raw.image)
    view = overview(grey)
    faint = None
    if is_blank(grey, view):
        faint = faint_print(grey, view)
        if faint is None:  # one even tone: empty paper, or no paper at all (a black or negative image)
            result.set_aside = "blank" if _paper_level(raw.image) >= T.FAINT_DARK_PAPER_LEVEL else "too_dark"
            return result
        # Print too faint (a washed-out or far too dark scan): stretched to its own range and read.
        raw = RawPage(raw.path, raw.index, stretch_to_range(raw.image), raw.error, raw.stream_sha256)
        grey = stretch_to_range(grey)
        view = overview(grey)
        if is_blank(grey, view):
            result.set_aside = faint
            return result
    outcome = _process_page(raw, catalogue, split, grey, view, result)
    if faint is not None and isinstance(outcome, PageResult) and outcome.set_aside in _FAINT_MASKS:
        # Stretched, yet no form page found on it: say the scan is too faint, with what failed.
        why = SET_ASIDE_REASONS.get(outcome.set_aside, outcome.set_aside)
        outcome.set_aside = faint
        outcome.detail = why + (f"; {outcome.detail}" if outcome.detail else "")
    return outcome


def _paper_level(image: np.ndarray) -> float:
    """The level (0-255) of the lightest tenth of ``image`` (grey uint8 (H, W), as stored, before its
    lighting is flattened): paper is light, so an even page darker than the middle grey is no paper seen
    (a scanner lid left open, a negative or wrongly decoded image, a sheet scanned far too dark), never a
    blank sheet; the flattening makes any even tone look like white paper. Sampled every 8th px each way."""
    return float(np.percentile(image[::8, ::8], 90))


# What a stretched too-dark or too-light page may fail with because it is too faint.
_FAINT_MASKS = ("no_form", "no_match", "misaligned")


def _process_page(raw: RawPage, catalogue: Catalogue, split: bool, grey: np.ndarray, view,
                  result: PageResult, flipped: bool = False) -> PageResult | _TwoPages:
    """:func:`_process` from the flattened, non-blank page ``grey`` and its overview ``view`` on.

    ``flipped``: ``grey`` is the image flipped back from a mirrored scan or stretched to square pixels
    (each done once, never both).
    """
    pinned_tried = None
    if catalogue.pinned_only:
        # Only forms designed elsewhere are expected: register first (issue #16, item 6: identify
        # cheaply), and search for omr's own marks only to say why a page matched none of them.
        pinned_tried = match_pinned(raw.image, catalogue.layouts.values())
        match = pinned_tried[0]
        if match is not None:
            _read_pinned(raw.image, match, result)
            return result
    located = identify_any_turn(grey, view)
    found = located.identification
    if found.mirrored and not flipped:
        return _read_mirrored(raw, catalogue, grey, result, found.reason)
    if found.reason in ("misaligned", "no_form") and not flipped:
        stretched = _read_stretched(raw, catalogue, grey, result)
        if stretched is not None:
            return stretched
    small_page = (found.homography is not None
                  and page_share_of_image(found.homography, grey.shape) < T.TWO_UP_MAX_PAGE_SHARE)
    if split and (found.reason in ("no_form", "misaligned") or small_page):
        # Only omr's own pages, each lying in its half, count: other forms have corner squares in
        # each half too, and a photo's one page shows its QR code in one half and reaches into both.
        halves = pages_apart_in_halves(grey)
        if halves:
            # One image, two form pages (or one beside print that is no form page, or beside a blank
            # half: the page lies wholly in its half, so reading the half reads the same page).
            return _TwoPages(grey, halves)
    if found.identity is not None:
        ident = found.identity
        result.form_id, result.version, result.page = ident.form_id, ident.version, ident.page
        result.serial, result.unit = ident.serial, ident.unit
    result.rotated_180 = found.rotated_180
    if found.reason == "qr_unreadable":
        # The corner marks are there but the QR code is not: which form page do the boxes fit?
        match = match_layout(grey, found.homography, catalogue)
        result.set_aside = "qr_unreadable"
        if match is None:
            return result
        layout, page, rotated, homography = match
        result.form_id, result.version, result.page, result.rotated_180 = (layout.form_id, layout.version,
                                                                           page.number, rotated)
        result.detail = f"nhận dạng theo bố cục: {layout.form_id} v{layout.version} trang {page.number}; cần nhập số phiếu"
        _read_page(grey, homography, layout, page, result)  # kept for the reviewer who assigns the serial
        return result
    if found.reason == "no_form" and any(p.pinned for lay in catalogue.layouts.values() for p in lay.pages):
        # None of omr's marks: a form designed elsewhere? Register it to each blank reference.
        match, why = pinned_tried or match_pinned(raw.image, catalogue.layouts.values())
        if match is None:
            result.set_aside, result.detail = "no_match", why
            return result
        _read_pinned(raw.image, match, result)
        return result
    if found.reason is not None:
        result.set_aside = found.reason
        if found.reason in ("no_form", "misaligned"):
            dark = dark_share(raw.image)
            if dark < T.DARK_PART_MIN_SHARE and found.reason == "no_form" and _read_by_print(grey, catalogue, result):
                return result
            if dark >= T.DARK_PART_MIN_SHARE:
                # Its edge is a long straight line that the skew measure would take for a page turned 45°.
                result.set_aside = "too_dark"
                result.detail = ("một phần lớn trang bị tối (nắp máy quét mở, bóng tay hoặc điện thoại che…) "
                                 "nên không tìm đủ dấu định vị góc và mã QR: hãy quét hoặc chụp lại dưới ánh sáng "
                                 "đều, thấy rõ cả trang (đừng bỏ phiếu)")
            else:
                result.detail = _crooked_advice(view)
        return result
    layout = catalogue.layouts.get((result.form_id, result.version))
    if layout is None or result.page not in {p.number for p in layout.pages}:
        result.set_aside = "unknown_form"
        result.detail = form_page_name(result.form_id, result.version, result.page)
        return result
    page = layout.page(result.page)
    fit, note, fits = checked_fit(grey, found.homography, page)
    homography = fit.homography
    if not fits:
        # The boxes are not where this page's layout puts them: does the QR code name the wrong page?
        match = match_layout(grey, homography, catalogue)
        if match is not None and (match[0] is not layout or match[1].number != page.number):
            result.set_aside = "page_mismatch"
            result.detail = (f"mã QR ghi trang {page.number}, các ô in sẵn là của "
                             f"{match[0].form_id} v{match[0].version} trang {match[1].number}")
            return result
    if found.in_perspective and not note:
        note = "ảnh chụp nghiêng: căn theo bốn dấu định vị góc và mã QR"
    elif found.anchored_on_qr and not note:
        tilt = tilt_from_square(page_turn_degrees(homography))
        note = (f"trang bị nghiêng khoảng {tilt:.0f}°: căn theo mã QR và các dấu định vị góc"
                if tilt > T.CROOKED_PAGE_MIN_DEG else
                "dấu định vị góc bị che hoặc hỏng: căn theo mã QR và các dấu còn lại")
    if located.quarter_turn:
        note = "trang bị xoay 90°" + ("; " + note if note else "")
        result.rotated_180 = False
    if note:
        result.detail = (result.detail + "; " if result.detail else "") + note
    _read_page(grey, homography, layout, page, result, fit)
    if not fits and "misaligned" not in result.detail:
        # Most boxes are not where any placing of the page puts them: nothing on it is read silently.
        result.detail = (result.detail + "; " if result.detail else "") + "misaligned"
        for q in result.questions:
            if q.status in (OK, BLANK):
                recalibrate(q, AMBIGUOUS)
    return result


def _read_by_print(grey: np.ndarray, catalogue: Catalogue, result: PageResult) -> bool:
    """A page of omr's own form on which neither corner marks nor a QR code were found (a form enlarged
    ~110 % on a copier has lost both off the sheet's edges), registered on its print: SIFT features of
    each own form page printed blank (:func:`_own_features`), then the fit to the printed
    boxes (:func:`checked_fit`). Read when exactly one page fits; set aside as ``qr_unreadable`` all the
    same (its serial is unknown), kept for the reviewer who assigns the serial, as a page whose QR code
    alone is unreadable. False (``result`` untouched) when no page, or more than one, fits."""
    features = page_features(grey)
    fitting = []
    for layout in catalogue.layouts.values():
        for page in layout.pages:
            if not page.fiducials:  # a form designed elsewhere: registered on its own reference already
                continue
            blank = page_print(layout, page)
            own = _own_features(layout, page)
            found = register_to(grey, own.points, own.descriptors, blank.shape, features)
            if found is None:
                continue
            # The blank's px are layout mm x CANONICAL_PX_PER_MM (omr.scan.form_print).
            fit, _, fits = checked_fit(grey, found.homography @ np.diag([T.CANONICAL_PX_PER_MM, T.CANONICAL_PX_PER_MM, 1.0]), page)
            if fits:
                fitting.append((layout, page, fit))
    if len(fitting) != 1:
        return False
    layout, page, fit = fitting[0]
    enlarged = page_scale_on_image(fit.homography, grey.shape)
    named = f"nhận dạng theo bố cục: {layout.form_id} v{layout.version} trang {page.number}; cần nhập số phiếu"
    if enlarged >= T.COPY_ENLARGED_MIN_SCALE:
        detail = f"phiếu là bản sao phóng to khoảng {enlarged:.0%} nên mất dấu định vị góc và mã QR ở mép giấy: {named}"
    elif _marks_and_code_on_image(fit.homography, page, grey.shape):
        # Scanned whole, yet neither the marks nor the code were found: damaged on the paper (staples across
        # two marks and into the code), which a new scan would not mend.
        detail = ("dấu định vị góc và mã QR có trên ảnh nhưng bị che hoặc hỏng (ghim bấm, giấy dán, vết mực…): "
                  + named)
    else:
        # The page is no larger than the image: turned or shifted partly out of it, which a new scan mends
        # (said by the caller), not a copy whose edges the copier cut.
        return False
    result.form_id, result.version, result.page = layout.form_id, layout.version, page.number
    result.rotated_180 = upside_down(fit.homography)
    result.set_aside = "qr_unreadable"
    result.detail = detail
    _read_page(grey, fit.homography, layout, page, result, fit, by_print=True)
    return True


def _marks_and_code_on_image(homography: np.ndarray, page: PageLayout, shape: tuple[int, int]) -> bool:
    """Whether every corner mark and the QR code of ``page``, placed by ``homography`` (layout mm -> image px),
    lie on the image (h, w px) by at least ``T.MARKS_ON_IMAGE_MIN_MM`` on every side."""
    rects = [(f.x, f.y, f.w, f.h) for f in page.fiducials] + [(page.qr.x, page.qr.y, page.qr.w, page.qr.h)]
    return bool(_rects_on_image(homography, rects, T.MARKS_ON_IMAGE_MIN_MM, shape).all())


def _rects_on_image(homography: np.ndarray, rects, margin: float, shape: tuple[int, ...]) -> np.ndarray:
    """(len(rects),) bool: whether each rectangle (x, y, w, h mm of the layout), grown by ``margin`` mm on every
    side and placed by ``homography`` (layout mm -> image px), lies wholly on the image of ``shape`` (h, w px)."""
    corners = np.array([(x + dx, y + dy) for x, y, w, h in rects
                        for dx in (-margin, w + margin) for dy in (-margin, h + margin)], dtype=np.float64)
    if corners.size == 0:
        return np.zeros(0, dtype=bool)
    points = map_points(homography, corners)
    h, w = shape[:2]
    on = (points[:, 0] >= 0) & (points[:, 0] < w) & (points[:, 1] >= 0) & (points[:, 1] < h)
    return on.reshape(-1, 4).all(axis=1)


# (form id, version, page number) -> SIFT features of the page's print (omr.scan.form_print.page_print).
_OWN_FEATURES: dict[tuple[str, int, int], PageFeatures] = {}


def _own_features(layout: Layout, page: PageLayout) -> PageFeatures:
    """SIFT features of ``page`` of omr's own ``layout`` printed blank, found once per page and process."""
    key = (layout.form_id, layout.version, page.number)
    if key not in _OWN_FEATURES:
        _OWN_FEATURES[key] = page_features(page_print(layout, page))
    return _OWN_FEATURES[key]


def page_scale_on_image(homography: np.ndarray, shape: tuple[int, int]) -> float:
    """How large the page that ``homography`` (layout mm -> image px) places is, against the image taken as
    one A4 sheet (:func:`omr.scan.lighting.nominal_px_per_mm` of ``shape`` (h, w)): the mean of its width
    and height across its middle, in px, over the sheet's. 1.0 for a page that fills the image."""
    w, h = T.PAGE_WIDTH, T.PAGE_HEIGHT
    ends = map_points(homography, np.array([[0.0, h / 2], [w, h / 2], [w / 2, 0.0], [w / 2, h]]))
    across = float(np.hypot(*(ends[1] - ends[0])) / w + np.hypot(*(ends[3] - ends[2])) / h) / 2
    return across / (max(shape) / T.PAGE_HEIGHT)


def dark_share(image: np.ndarray) -> float:
    """How much of one side of ``image`` (grey uint8 (H, W), as stored, before its lighting is flattened)
    is dark, not paper: of its left, right, top and bottom halves, the largest share (0..1) of blocks
    (~2 % of its width) whose mean is below ``DARK_PART_LEVEL`` of the lit paper (the 90th percentile of
    the block means). Print, boxes and marks darken a few percent of such blocks, and a dark desk around
    a photographed sheet a band along every side; a scanner lid left open or a hard shadow over one side
    of the sheet darkens most of that half."""
    side = max(1, image.shape[1] // 50)
    blocks, _ = block_means(image, side)
    paper = float(np.percentile(blocks, 90))
    if paper <= 0 or min(blocks.shape) < 2:
        return 1.0
    dark = blocks < T.DARK_PART_LEVEL * paper
    h, w = dark.shape
    return float(max(dark[:, :w // 2].mean(), dark[:, w - w // 2:].mean(), dark[:h // 2].mean(),
                     dark[h - h // 2:].mean()))


def _crooked_advice(view) -> str:
    """For a page set aside without its corner marks placed: "" or, when its rows of print lie crooked
    (:func:`omr.scan.page_geometry.ink_skew_degrees`), the Vietnamese line saying so and what to do."""
    degrees, gain = ink_skew_degrees(view)
    if tilt_from_square(degrees) <= T.CROOKED_PAGE_MIN_DEG or gain < T.SKEW_MIN_GAIN:
        return ""
    return (f"trang bị nghiêng khoảng {tilt_from_square(degrees):.0f}° nên không tìm đủ dấu định vị góc và mã QR "
            "(có thể một phần phiếu nằm ngoài ảnh): hãy quét hoặc chụp lại cho thẳng, thấy đủ bốn góc phiếu")


def _read_stretched(raw: RawPage, catalogue: Catalogue, grey: np.ndarray,
                    result: PageResult) -> PageResult | None:
    """A page whose pixels are not square and whose file did not say so (a fax saved without its
    resolution), stretched to square pixels by its own QR code and read; None when that does not apply.

    The code is square on paper: the extents of its corners along the image's x and y are equal at any
    turn, so their ratio is the pixels' aspect. Applies when exactly one code of ours is found and the
    ratio is beyond ``1 ± T.ASPECT_FROM_CODE_MIN_STRETCH`` (within ``T.ASPECT_FROM_CODE_MAX_STRETCH``);
    the axis of lower resolution is stretched, as for a declared one
    (:func:`omr.scan.ingest.square_pixels`). The result's homography places the page on the image as
    stored, and its detail says what was done.
    """
    ratio = _pixel_aspect_from_code(grey)
    if ratio is None:
        return None
    stretch = max(ratio, 1 / ratio)
    if not (1 + T.ASPECT_FROM_CODE_MIN_STRETCH < stretch <= T.ASPECT_FROM_CODE_MAX_STRETCH):
        return None
    sx, sy = (1.0, ratio) if ratio > 1 else (1 / ratio, 1.0)
    h, w = grey.shape
    size = (int(round(w * sx)), int(round(h * sy)))
    if size[0] * size[1] > T.MAX_PAGE_PIXELS:
        return None
    image = cv2.resize(raw.image, size, interpolation=cv2.INTER_LINEAR)
    square = cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR)
    outcome = _process_page(RawPage(raw.path, raw.index, image, raw.error, raw.stream_sha256), catalogue, False,
                            square, overview(square), result, flipped=True)
    if outcome.set_aside is not None:
        return None
    back = np.diag([w / size[0], h / size[1], 1.0])  # stretched px -> stored px
    outcome.homography = (back @ np.array(outcome.homography)).tolist()
    note = (f"điểm ảnh không vuông (ảnh fax hoặc tệp không ghi độ phân giải): đã kéo giãn ảnh {stretch:.2f} lần "
            f"theo chiều {'dọc' if ratio > 1 else 'ngang'} để đọc")
    outcome.detail = note + ("; " + outcome.detail if outcome.detail else "")
    return outcome


def _pixel_aspect_from_code(grey: np.ndarray) -> float | None:
    """The stored pixels' aspect (x extent over y extent of our one QR code, 1.0 for square pixels), or
    None when not exactly one code of ours is found.

    A fax at standard resolution (204 x 98 dpi) halves the code's modules along y, and on a 1-bit page
    the reader then often finds no code at all (2 in 8 simulated sheets, measured when this was added).
    So when none is found as stored, the image is also searched stretched by each fax aspect in
    ``T.FAX_PIXEL_ASPECTS`` along y, then along x, and the code's extents found there are taken back to the
    stored pixels. Costs two more searches only on a page that was not identified as stored.
    """
    h, w = grey.shape
    tries = [(1.0, 1.0)]
    for aspect in T.FAX_PIXEL_ASPECTS:
        tries += [(1.0, aspect), (aspect, 1.0)]
    for sx, sy in tries:
        size = (int(round(w * sx)), int(round(h * sy)))
        if size[0] * size[1] > T.MAX_PAGE_PIXELS:
            continue
        image = grey if (sx, sy) == (1.0, 1.0) else cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR)
        found = locate_codes(image)
        if not found:
            continue
        codes = own_codes(found)
        if len(codes) != 1:
            return None  # none of ours, or several: not a single page whose pixels this can tell
        corners = codes[0].corners
        extent_x, extent_y = np.ptp(corners[:, 0]) / sx, np.ptp(corners[:, 1]) / sy
        return float(extent_x / extent_y) if min(extent_x, extent_y) > 0 else None
    return None


MIRRORED_NOTE = "ảnh bị lật ngược như qua gương: đã lật lại để đọc"
MIRRORED_ADVICE = ("ảnh bị lật ngược như qua gương, ví dụ do ứng dụng quét lật ảnh hoặc chụp "
                   "bằng camera trước của điện thoại: hãy tắt chế độ lật ảnh rồi quét hoặc chụp lại phiếu")


def _read_mirrored(raw: RawPage, catalogue: Catalogue, grey: np.ndarray, result: PageResult,
                   reason: str) -> PageResult:
    """A page whose image is mirrored left-right (its QR code reads only mirrored, at print's contrast:
    :func:`omr.scan.identify.mirrored_print`), flipped back and read like any page.

    Read only when the flipped page is found as a page is (its code at its printed place, its marks
    and boxes checked as usual), its detail saying it was flipped, and its homography placing it on the
    image as stored. Otherwise it is set aside for what failed flipped (``reason``, why the image as
    stored was not identified, when nothing was found flipped either), its detail saying first that the
    image is mirrored and what to do.
    """
    width = grey.shape[1]
    flipped_raw = RawPage(raw.path, raw.index, np.ascontiguousarray(raw.image[:, ::-1]), raw.error,
                          raw.stream_sha256)
    flipped_grey = np.ascontiguousarray(grey[:, ::-1])
    outcome = _process_page(flipped_raw, catalogue, False, flipped_grey, overview(flipped_grey), result,
                            flipped=True)
    if outcome.set_aside is not None:
        # Not readable flipped either: the first thing to fix is the mirroring, said first.
        if outcome.set_aside in ("no_form", "no_match"):
            outcome.set_aside = reason
        outcome.detail = MIRRORED_ADVICE + ("; " + outcome.detail if outcome.detail else "")
        outcome.homography = None  # placed on the flipped image, which nobody sees
        return outcome
    if outcome.homography is not None:
        mirror = np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        outcome.homography = (mirror @ np.array(outcome.homography)).tolist()
    outcome.detail = MIRRORED_NOTE + ("; " + outcome.detail if outcome.detail else "")
    return outcome


def _read_pinned(image: np.ndarray, match, result: PageResult) -> None:
    """A page of a form designed elsewhere, matched by registration (:func:`match_pinned`), read on the
    scan as it is (bubble reading there was tuned on unflattened pages), its pages joined (#16 item 5).

    A match that barely beats another form's page (certainty under ``PINNED_MIN_CERTAINTY``: one
    blank imported or saved under two form ids, or two templates of one printed sheet) could be read
    with the wrong boxes: nothing on the page is then read silently, every answer goes to a person."""
    pinned_identity(result, match)
    _read_page(image, match.homography_mm, match.layout, match.page, result)
    if match.runner_up and match.certainty < T.PINNED_MIN_CERTAINTY:
        result.detail += f"; không chắc là mẫu phiếu nào: giống gần như nhau với {match.runner_up}"
        for q in result.questions:
            if q.status in (OK, BLANK):
                recalibrate(q, AMBIGUOUS)
    result.detail += read_certainty_text(result)
    join_pages(result, match.layout)


def read_certainty_text(result: PageResult) -> str:
    """How sure the reads of a page are, for its detail line: the lowest confidence a person would be
    shown for one of its answers (:func:`omr.scan.resolve.shown_confidence`, never above what the answer's
    status allows), and which question; "" for a page without questions.

    This is the reads' own probability of being right, so it cannot say 100 % next to a question sent to
    review, whatever the match to the blank reference scored.
    """
    shown = [(shown_confidence(q.status, q.confidence), q.question) for q in result.questions
             if q.confidence is not None]
    if not shown:
        return ""
    lowest, question = min(shown)
    return f"; độ chắc chắn của lần đọc: thấp nhất {vn_percent(lowest)} (câu {question})"


def _describe(found) -> str:
    """One half of a two-page image, for the operator: which form page it holds."""
    ident = found.identity
    if ident is None:
        return "một trang phiếu (không đọc được mã QR)"
    return f"trang {ident.page} của phiếu số {ident.serial_text}"


def _read_page(grey: np.ndarray, homography: np.ndarray, layout: Layout, page: PageLayout,
               result: PageResult, fit: BoxFit | None = None, by_print: bool = False) -> None:
    """Align the page to its layout and read every box, question and comment field into ``result``.

    ``fit``: the aligned ink (and box search) already made with this very
    homography while checking it, reused instead of warping the page again. ``by_print``: the page was
    registered on its print alone (:func:`_read_by_print`), not on its corner marks.
    """
    result.homography = homography.tolist()
    unprinted_questions: set[str] = set()  # questions with a box not printed where the template says (#16)
    slid_into: set[str] = set()  # questions in a row beside a hidden row (a fold, a slip): maybe another row's boxes
    if fit is not None and fit.homography is homography:
        ink = fit.ink
        search = fit.search if fit.search_mm == T.LOCAL_SEARCH_MM else locate_boxes(ink, page.checkboxes)
    elif page.pinned:  # read on the scan as it is, the whole page warped (bubbles look all over it)
        ink = page_ink(warp_to_layout(grey, homography, page), page)
        # Round bubbles are placed on their printed rings (pinned_search), which replaces the square
        # outline search: not made for them (~15 ms a page on OMRChecker's samples).
        search = None if page.pinned.get("shape") == "round" else locate_boxes(ink, page.checkboxes)
    else:
        ink = aligned_ink(grey, homography, page)
        search = locate_boxes(ink, page.checkboxes)
    if page.pinned:  # a form designed elsewhere: round bubbles, filled-in marks (omr.scan.bubbles)
        search = pinned_search(search, page, ink)
    result.alignment_mm = round(search.residual, 3) if np.isfinite(search.residual) else None
    ruled: list = []  # ruled or squared paper's lines found through the boxes (omr.scan.ruled)
    # On a 1-bit page of omr's own form: whether it was cut at a threshold, measured once, when first asked.
    cut = cache(lambda: thresholded(search, page.checkboxes)) if not page.pinned and bilevel(grey) else None
    result.boxes = read_pinned_boxes(search, page, page.pinned.get("marks") == "fill" and bilevel(grey)) \
        if page.pinned else \
        read_boxes(search, page.checkboxes, back=lambda: back_print(layout, page), ruled=ruled, cut=cut)
    if page.pinned and page.pinned.get("printed_check", True):
        # A box not printed where the template says reads as paper: never blank, to review (#16).
        result.boxes, unprinted = flag_unprinted(read_before := result.boxes, ink, page.pinned.get("shape") == "round")
        # flag_unprinted gives a new read for each box it flags and keeps the others as they were.
        unprinted_questions = {new.question for new, old in zip(result.boxes, read_before) if new is not old}
        if unprinted:
            result.detail = (result.detail + "; " if result.detail else "") + \
                f"{unprinted} ô không thấy in ở chỗ mẫu phiếu ghi"
    elif search.outline is not None:
        # omr's own form: a box whose printed outline is not seen is hidden (a sticky note, a torn or
        # folded-under corner, glare): its inside reads paper, never blank-ok (hhidden).
        paper = np.array([w.paper for w in search.windows])
        unprinted_questions = _flag_hidden_boxes(result, search.outline, paper, ink)
        slid_into = _rows_beside_hidden_rows(result, page, unprinted_questions)
    questions = [q for q in layout.questions if q.type != "text"]
    result.questions = resolve_questions(questions, result.boxes)
    if layout.labels:  # a number marked one digit per column, a column left blank: never a shorter number ok
        _to_review(result, {q.question: q for q in result.questions},
                   partial_numbers(result.questions, layout.labels),
                   "số ghi theo từng cột chữ số thiếu chữ số ở câu {questions}")
    if slid_into:
        reads = {q.question: q for q in result.questions if q.status in (OK, BLANK)}
        _to_review(result, reads, slid_into & set(reads),
                   "hàng ô kề một hàng bị che (nếp gấp, giấy trượt?) có thể là ô của hàng khác ở câu {questions}")
    if unprinted_questions and not page.pinned:
        _review_rows_out_of_place(result, ink, layout, page)
    if page.pinned:
        _review_unexplained_marks(result, ink, page)
        _review_pinned_lines_through_boxes(result, ink, page)
    else:
        _review_marks_beside_boxes(result, ink, layout, page)
        _review_arrows_from_above(result, ink, layout, page)
        _review_writing_in_areas(result, ink, layout, page, by_print)
        review_lines_through_boxes(result, ink, printed_mask(layout, page), page, bool(ruled))  # crease, hair
        _review_marks_running_out(result, ink, layout, page)  # after: a long line or hair names its own cause
        _review_crossed_out(result, ink, layout, page)
        _review_circled_labels(result, ink, layout, page)
        _review_tinted_boxes(result, ink)
        if cut is not None:
            _review_partial_marks(result, ink)
            _review_blanks_beside_cut_strokes(result, ink, cut)
        _review_broken_outlines(result, ink, search.outline if search is not None else None)
    _review_boxes_off_image(result, homography, page, grey.shape)
    blank = [q for q in result.questions if q.status == BLANK]
    # Questions without one sure mark (blank, or only uncertain boxes): faint pencil that a
    # 1-bit scan broke up leaves a page of uncertain boxes and blanks, and no marks (#14).
    # A question whose printed box is missing already goes to review, and its lack of a mark
    # says nothing about the respondent's pen: the share is taken over the other questions
    # (issue #16: 2 whited-out questions of 5 sent a page's one skipped question to review).
    marked = questions_with_marks(result.boxes)
    judged = [q for q in result.questions if q.question in marked or q.question not in unprinted_questions]
    unsure = [q for q in judged if q.question not in marked]
    if len(result.questions) >= 5 and len(unsure) >= T.MOSTLY_BLANK_PAGE_SHARE * len(judged):
        # Respondents skip a question or three, not most of a page: faint pencil lost
        # in a 1-bit scan looks exactly like this, so a person glances at the page.
        result.detail = (result.detail + "; " if result.detail else "") + "mostly_blank"
        for q in blank:
            recalibrate(q, AMBIGUOUS)
    if result.alignment_mm is None or result.alignment_mm > T.ALIGN_REVIEW_MM:
        # Never read a badly aligned page silently: every answer on it goes to a person.
        result.detail = (result.detail + "; " if result.detail else "") + "misaligned"
        for q in result.questions:
            if q.status in (OK, BLANK):
                recalibrate(q, AMBIGUOUS)
    blank = _blank_print(page) if page.pinned and page.text_regions else None
    result.comments = [read_comment(grey, homography, ink, region, page, blank) for region in page.text_regions]
    if (result.questions and all(b.state == EMPTY for b in result.boxes)
            and not any(c.inked or c.faint for c in result.comments)
            and all(q.value in (None, "", []) for q in result.questions)
            and set(filter(None, result.detail.split("; "))) <= {"mostly_blank"}):
        # Not one mark on the page (no inked box, no answer, no handwriting in a comment field, no other
        # note: a tilt, writing beside boxes, a hidden box keep their per-question review): the store joins
        # such pages into one whole-sheet question for a person, «phiếu không có câu trả lời nào», instead of
        # one review item per question (omr.data.schema.NO_ANSWERS). Its questions stay unsure, not blank.
        result.detail = (result.detail + "; " if result.detail else "") + NO_MARKS
    if page.pinned and page.pinned.get("printed_check", True):
        _review_stray_writing(result, grey, homography, ink, page)
    if page.pinned:  # no serial on the paper: a rescan is recognised by its ink (omr.scan.duplicates)
        result.ink_print = ink_print(ink, result.boxes, [c.region for c in result.comments])
        result.marks_key = marks_key(result.boxes)


@lru_cache(maxsize=16)
def _blank_print_of(path: str, width_mm: float) -> BlankPrint | None:
    try:
        return BlankPrint(load_reference(path), width_mm)
    except TemplateError:
        return None


@lru_cache(maxsize=16)
def _reference_print_of(path: str, width_mm: float, shape: tuple[int, int]) -> np.ndarray:
    """:func:`omr.scan.printed_boxes.reference_print` of the blank at ``path``, made once per process for
    each page shape (read-only). Raises TemplateError when the blank cannot be read."""
    printed = reference_print(load_reference(path), width_mm, shape)
    printed.flags.writeable = False
    return printed


def _blank_print(page: PageLayout) -> BlankPrint | None:
    """The print of a pinned page's blank (its reference image), read once per process: printed text inside
    a writing frame is never handwriting (omr.scan.comments.field_ink). None when the page has none."""
    path = page.pinned.get("_reference_path")
    return _blank_print_of(path, float(page.width)) if path else None


def _flag_hidden_boxes(result: PageResult, outline: np.ndarray, paper: np.ndarray, ink) -> set[str]:
    """Boxes of omr's own page whose printed outline is not plainly where the page was read (``outline``:
    the box search's score, (n,) per box of ``result.boxes``; ``paper``: (n,) the paper level around each
    box, 0 off the page; judged by
    :func:`omr.scan.printed_boxes.own_outline_evidence`) become uncertain
    (:func:`omr.scan.printed_boxes.flag_unprinted`): their questions go to review, never blank and never
    an answer chosen among the boxes still seen. Says which questions in the page's detail.

    Returns the questions with a hidden box."""
    before = result.boxes
    evidence = own_outline_evidence(before, outline, paper, ink)
    result.boxes, hidden = flag_unprinted(before, ink, evidence=evidence, min_evidence=T.OWN_MIN_OUTLINE_SHARE)
    if not hidden:
        return set()
    questions = {new.question for new, old in zip(result.boxes, before) if new is not old}
    named = sorted(questions)
    listed = ", ".join(named[:T.HIDDEN_BOXES_NAMED]) + ("…" if len(named) > T.HIDDEN_BOXES_NAMED else "")
    result.detail = (result.detail + "; " if result.detail else "") + \
        f"ô bị che hoặc mất nét in (giấy dán, góc rách, gấp mép, lóa sáng…): {hidden} ô ở câu {listed}, cần xem lại"
    return questions


def _boxes_by_question(result: PageResult) -> dict[str, list[int]]:
    """Question -> indices of its boxes in ``result.boxes`` (the order of ``page.checkboxes``)."""
    by_question: dict[str, list[int]] = {}
    for i, read in enumerate(result.boxes):
        by_question.setdefault(read.question, []).append(i)
    return by_question


def _rows_beside_hidden_rows(result: PageResult, page: PageLayout, hidden: set[str]) -> set[str]:
    """Questions of omr's own page in the row just above or below (layout centres within
    ``FOLD_NEIGHBOUR_MM``, overlapping across) a question more than ``FOLD_HIDDEN_SHARE`` of whose boxes are
    hidden (:func:`_flag_hidden_boxes`): a fold hiding a strip of the sheet, or a feeder's slip, moves the next row
    into the hidden row's place, and a row read there holds another row's boxes and marks (bench/hunt/
    paper2.py fold_hide, branch hfold). ``result.boxes`` and ``page.checkboxes`` are in the same order."""
    members = _boxes_by_question(result)
    # flag_unprinted makes each hidden box uncertain; a marked box under a fold's edge may keep its read
    # (its ink along its sides counts as print), so a row is hidden when most of its boxes are.
    whole = [q for q in hidden
             if sum(result.boxes[i].state == UNCERTAIN for i in members[q]) > T.FOLD_HIDDEN_SHARE * len(members[q])]
    if not whole:  # no hidden row (nearly every page): no row's place needed (issue #18)
        return set()
    spans = {}
    for q, idx in members.items():
        boxes = [page.checkboxes[i] for i in idx]
        spans[q] = (min(b.x for b in boxes), max(b.x + b.w for b in boxes),
                    float(np.mean([b.y + b.h / 2 for b in boxes])))
    near = set()
    for q in whole:
        x0, x1, y = spans[q]
        for other, (ox0, ox1, oy) in spans.items():
            if other != q and other not in hidden and ox0 < x1 and x0 < ox1 and abs(oy - y) <= T.FOLD_NEIGHBOUR_MM:
                near.add(other)
    return near


def _review_rows_out_of_place(result: PageResult, ink, layout: Layout, page: PageLayout) -> None:
    """On omr's own page with a hidden box (a fold, a slip, a cover), a question read ok or blank whose title
    does not show where its boxes were read (:func:`omr.scan.form_print.titles_in_place` under
    ``TITLE_MIN_SHOWN``) goes to review: its row of boxes may be another row's.

    A Z-fold hiding a strip of the sheet moves everything below it up; when the corner marks no longer fit,
    the page is fitted to its boxes, and on rows 6.5-8 mm apart a fit one row off still finds boxes (bench/
    hunt/paper2.py fold_hide seed 12, sheet 4 p1: B2 stored B3's '4' for '3'). The boxes look alike; the
    titles printed on their rows do not. Only pages with a hidden box are looked at (~1 ms a page then)."""
    reads = {q.question: q for q in result.questions if q.status in (OK, BLANK)}
    if not reads:
        return
    shown = titles_in_place(ink, layout, page, _box_shifts(result, page, reads))
    _to_review(result, reads, {q for q, share in shown.items() if share < T.TITLE_MIN_SHOWN},
               "dòng chữ của câu không ở chỗ của hàng ô (nếp gấp, giấy trượt?): hàng ô có thể là của câu khác "
               "ở câu {questions}")


def _review_unexplained_marks(result: PageResult, ink, page: PageLayout) -> None:
    """A question read blank on a pinned page while a pen mark lies on its rows outside every box of the
    template (a box the template missed, ticked): to review, never blank (issue #16;
    :func:`omr.scan.printed_boxes.unexplained_marks`)."""
    blank = {q.question: q for q in result.questions if q.status == BLANK}
    if not blank or "_reference_path" not in page.pinned:
        return
    try:
        reference = load_reference(page.pinned["_reference_path"])
    except TemplateError:
        return
    reads = [r for r in result.boxes]
    marked = [q for q in unexplained_marks(reads, ink, reference, float(page.width), set(blank)) if q in blank]
    _to_review(result, blank, marked, "dấu bút ngoài mọi ô của mẫu ở câu {questions}")


def _review_pinned_lines_through_boxes(result: PageResult, ink, page: PageLayout) -> None:
    """A question read ok on a pinned page on a box whose mark is a long line through it (a pen line along
    the row, a crease): to review (:func:`omr.scan.line_marks.review_lines_through_pinned_boxes`), the
    blank's print told from the line by its reference image. A page without a reference is left as read."""
    if "_reference_path" not in page.pinned or not any(q.status == OK for q in result.questions):
        return
    try:
        printed = _reference_print_of(page.pinned["_reference_path"], float(page.width), ink.shape)
    except TemplateError:
        return
    review_lines_through_pinned_boxes(result, ink, printed)


def _read_on_a_neighbours_mark(result: PageResult, by_question: dict[str, list[int]], marked_beside: set[str]) -> list:
    """The questions of ``result`` read ok on one inked box that faces a box of a question of ``marked_beside``
    (a pen mark found beside its boxes, :func:`_review_marks_beside_boxes`) across a gap of at most
    UNEXPLAINED_BOX_MARGIN_MM + OWN_CROSSING_BAND_MM (the next row of a scale grid, 1.5 mm away; boxes found a
    little apart). A cross or tick drawn half outside its box, above or below, reaches into that box and reads
    as its answer, ok, while the question's own mark drawn outside its box is not looked for (bench/hunt/
    strokes.py outside seed 14, sheet 4 p2 D4 and G2 stored the next row's column ok). Their QuestionReads:
    the caller searches them for a mark beside their boxes too."""
    if not marked_beside:
        return []
    reach = T.UNEXPLAINED_BOX_MARGIN_MM + T.OWN_CROSSING_BAND_MM
    beside = {i for q in marked_beside for i in by_question.get(q, [])}
    out = []
    for q in result.questions:
        if q.status != OK or q.question in marked_beside:
            continue
        inked = [i for i in by_question.get(q.question, []) if result.boxes[i].state != EMPTY]
        if len(inked) == 1 and beside.intersection(neighbours_of_other_questions(result.boxes, inked[0], reach)):
            out.append(q)
    return out


def _review_marks_beside_boxes(result: PageResult, ink, layout: Layout, page: PageLayout) -> None:
    """A question of omr's own form read blank, or on one weak mark, while a pen mark lies beside its
    boxes that neither a box nor the form's print explains (a circle around a box, a tick beside it, a
    cross above it): to review, never blank-ok or a guessed answer-ok
    (:func:`omr.scan.printed_boxes.marks_beside_boxes`). Only those questions are searched, each
    within a few mm of its boxes: most pages have one or two, and none costs more than ~1 ms."""
    by_question = _boxes_by_question(result)
    candidates = {}
    for q in result.questions:
        members = by_question.get(q.question, [])
        inked = [result.boxes[i] for i in members if result.boxes[i].state != EMPTY]
        weak_single = (q.status == OK and len(inked) == 1 and inked[0].state == MARKED
                       and inked[0].confidence < T.OWN_WEAK_MARK_CONFIDENCE)
        if q.status == BLANK or weak_single:
            candidates[q.question] = q
    if not candidates:
        return
    # The print near a question moved with its boxes: their median offset from the layout (mm).
    shifts = _box_shifts(result, page, candidates)
    printed = printed_mask(layout, page)
    found = marks_beside_boxes(result.boxes, ink, printed, set(candidates), shifts)
    for question in found:
        recalibrate(candidates[question], AMBIGUOUS)
    # A circle drawn around a box (branch hblank2) is said as such: the reviewer looks for the box circled.
    circled = {q for q in found if candidates[q].status == AMBIGUOUS
               and circled_boxes(result.boxes, ink, printed, q, shifts.get(q, (0.0, 0.0)))}
    if found:
        note = f"nét bút cạnh các ô mà không nằm trong ô nào ở câu {', '.join(sorted(found))}"
        if circled:
            note += f" (ô được khoanh tròn bên ngoài, không đánh dấu trong ô, ở câu {', '.join(sorted(circled))})"
        result.detail = (result.detail + "; " if result.detail else "") + note
    # The mark found may be drawn half outside its box into the next row's, 1.5 mm away: a question read ok
    # on the box it reaches may be holding the neighbour's answer while its own mark lies outside its boxes.
    # Those questions are searched too, the found questions' boxes excusing the ink around them.
    reached = {q.question: q for q in _read_on_a_neighbours_mark(result, by_question, set(found))}
    also = marks_beside_boxes(result.boxes, ink, printed, set(reached), _box_shifts(result, page, reached),
                              excusing=set(found)) if reached else {}
    for question in also:
        recalibrate(reached[question], AMBIGUOUS)
    if also:
        note = ("nét bút cạnh các ô, ô đã đánh có thể là nét của câu bên cạnh, ở câu " + ", ".join(sorted(also)))
        result.detail = (result.detail + "; " if result.detail else "") + note


def _review_marks_running_out(result: PageResult, ink, layout: Layout, page: PageLayout) -> None:
    """A question of omr's own form read ok whose marked box holds a stroke running on far outside it (a
    signature or initials across a row of boxes, :func:`omr.scan.printed_boxes.marks_running_out`): to
    review as ``ambiguous``, the page's detail saying «nét bút từ ô chạy dài ra ngoài (chữ ký, chữ viết?)
    ở câu …». One window of ~19 mm square per marked box, most rejected on a pixel count."""
    ok = {q.question: q for q in result.questions if q.status == OK}
    if not ok:
        return
    found = marks_running_out(result.boxes, ink, printed_mask(layout, page), set(ok), _box_shifts(result, page, ok),
                              [(r.x, r.y, r.w, r.h) for r in page.text_regions])
    _to_review(result, ok, found, "nét bút từ ô chạy dài ra ngoài (chữ ký, chữ viết?) ở câu {questions}")


def _review_crossed_out(result: PageResult, ink, layout: Layout, page: PageLayout) -> None:
    """A question of omr's own form read ok that one big X crosses out whole (withdrawn: two long strokes
    crossing over its boxes and labels, :func:`omr.scan.printed_boxes.crossed_out`): to review as
    ``ambiguous``, the page's detail saying «có nét gạch chéo cả câu (rút lại câu trả lời?) ở câu …». One
    window per ok question (its area), most rejected on a pixel count."""
    ok = {q.question: q for q in result.questions if q.status == OK}
    if not ok:
        return
    found = crossed_out(result.boxes, ink, printed_mask(layout, page), question_areas(layout, page), set(ok),
                        _box_shifts(result, page, ok), [(r.x, r.y, r.w, r.h) for r in page.text_regions])
    _to_review(result, ok, found, "có nét gạch chéo cả câu (rút lại câu trả lời?) ở câu {questions}")


def _review_arrows_from_above(result: PageResult, ink, layout: Layout, page: PageLayout) -> None:
    """A question of omr's own form still read blank while a pen stroke comes down at one of its boxes from
    above, stopping a few mm short (an arrow whose head lies on the row above's print,
    :func:`omr.scan.printed_boxes.arrows_from_above`): to review as ``ambiguous``, the page's detail saying
    «có nét bút (mũi tên?) chỉ xuống ô nhưng ô không được đánh dấu ở câu …»."""
    blank = {q.question: q for q in result.questions if q.status == BLANK}
    if blank:
        found = arrows_from_above(result.boxes, ink, printed_mask(layout, page), set(blank),
                                  _box_shifts(result, page, blank))
        _to_review(result, blank, set(found),
                   "có nét bút (mũi tên?) chỉ xuống ô nhưng ô không được đánh dấu ở câu {questions}")


def _review_circled_labels(result: PageResult, ink, layout: Layout, page: PageLayout) -> None:
    """A question of omr's own form read ok while another option's printed label, its box empty, is ringed
    by a pen line (a box crossed and another option's word circled: two answers,
    :func:`omr.scan.printed_boxes.circled_labels`): to review as ``ambiguous``, the page's detail saying
    «có đánh dấu ô nhưng lại khoanh tròn chữ của lựa chọn khác ở câu …»."""
    ok = {q.question: q for q in result.questions if q.status == OK}
    if not ok:
        return
    found = circled_labels(result.boxes, ink, printed_mask(layout, page), option_labels(layout, page), set(ok),
                           _box_shifts(result, page, ok))
    _to_review(result, ok, set(found), "có đánh dấu ô nhưng lại khoanh tròn chữ của lựa chọn khác ở câu {questions}")


def _review_tinted_boxes(result: PageResult, ink) -> None:
    """A question of omr's own form read blank while a patch of tint covers one of its boxes and the paper
    around it (a highlighter stroke over the box as the mark, :func:`omr.scan.printed_boxes.tinted_boxes`):
    to review as ``ambiguous``, the page's detail saying «ô bị tô bút dạ quang (không có nét bút) ở câu …»."""
    blank = {q.question: q for q in result.questions if q.status == BLANK}
    if blank:
        _to_review(result, blank, tinted_boxes(result.boxes, ink, set(blank)),
                   "ô bị tô bút dạ quang (không có nét bút) ở câu {questions}")


def _review_partial_marks(result: PageResult, ink) -> None:
    """On a 1-bit page of omr's own form, a question read ok on a box holding only a piece of a mark (a band
    across or down it, the crossing of a cross's arms: what an eraser leaves, its smear lost to the scanner's
    threshold, :func:`omr.scan.read.partial_marks`): to review as ``ambiguous``, the page's detail saying
    «ô chỉ có một phần nét đánh dấu (có thể đã tẩy, bản quét đen trắng) ở câu …»."""
    ok = {q.question: q for q in result.questions if q.status == OK}
    if ok:
        _to_review(result, ok, partial_marks(result.boxes, ink, set(ok)),
                   "ô chỉ có một phần nét đánh dấu (có thể đã tẩy, bản quét đen trắng) ở câu {questions}")


def _review_blanks_beside_cut_strokes(result: PageResult, ink, cut: Callable[[], bool]) -> None:
    """On a 1-bit page of omr's own form cut at a threshold (``cut``: :func:`omr.scan.read.thresholded` of it)
    that shows light strokes the threshold cut up (:func:`omr.scan.read.faint_strokes_cut`: pencil), every
    question read blank: to review as ``ambiguous``, the page's detail saying «trang quét đen trắng làm mất nét
    mờ (bút chì?), ô trống có thể đã được đánh dấu ở câu …». The threshold wipes out a light pencil mark whole
    as often as it cuts one up (bench/hunt/bilevel.py bw_pencil seeds 11-13: 63 such marks stored as blank
    answers, ok)."""
    blank = {q.question: q for q in result.questions if q.status == BLANK}
    if blank and faint_strokes_cut(result.boxes, ink) and cut():
        _to_review(result, blank, set(blank),
                   "trang quét đen trắng làm mất nét mờ (bút chì?), ô trống có thể đã được đánh dấu ở câu {questions}")


def boxes_off_image(homography: np.ndarray, page: PageLayout, shape: tuple[int, ...]) -> set[str]:
    """Questions of ``page`` with a box not wholly on the image: a corner of the box's outline, grown by
    ``T.BOX_ON_IMAGE_MIN_MM`` on every side and placed by ``homography`` (layout mm -> image px), off the
    image of ``shape`` (h, w[, channels] px). A page scanned on a smaller paper setting (A4 on Letter: the
    bottom 18 mm cut) or photographed partly out of the frame loses those boxes' ink; what is left of them
    is no reading of the question."""
    on = _rects_on_image(homography, [(b.x, b.y, b.w, b.h) for b in page.checkboxes], T.BOX_ON_IMAGE_MIN_MM, shape)
    return {b.question for b, whole in zip(page.checkboxes, on) if not whole}


def _review_boxes_off_image(result: PageResult, homography: np.ndarray, page: PageLayout,
                            shape: tuple[int, ...]) -> None:
    """A question read ok or blank with a box cut off by the image's edge (:func:`boxes_off_image`): to review
    as ``ambiguous``, the page's detail saying «ô bị cắt mất ở mép ảnh quét (khổ giấy quét nhỏ hơn trang?) ở câu
    …». A cut box's lost part may hold the mark: a cut row must never read blank, nor as the option whose
    mark happens to show (bench/hunt/deliver.py letter: an A4 page scanned on Letter settings)."""
    reads = {q.question: q for q in result.questions if q.status in (OK, BLANK)}
    if reads:
        _to_review(result, reads, boxes_off_image(homography, page, shape) & set(reads),
                   "ô bị cắt mất ở mép ảnh quét (khổ giấy quét nhỏ hơn trang?) ở câu {questions}")


def _review_broken_outlines(result: PageResult, ink, outline: np.ndarray | None) -> None:
    """A question of omr's own form read ok or blank with a box whose printed outline is missing along part
    of a side (:func:`omr.scan.printed_boxes.outline_continuity` under ``T.CUT_OUTLINE_MIN_SHARE``) on a page
    whose boxes' outlines otherwise run all round (the median of a sample of them at least
    ``T.OWN_RIM_MIN_SHARE``): to review as ``ambiguous``, «ô mất một phần nét in (trang bị cắt, rách, che?) ở câu
    …». A mark only adds ink; print lost along a side means the box was cut or covered there (an A4 page scanned
    on Letter settings and padded white, a torn edge, correction fluid), and the lost part may hold the mark
    (bench/hunt/deliver.py letter).

    ``outline``: the box search's outline score of each box ((n,), :attr:`omr.scan.align.BoxSearch.outline`) or
    None. Only boxes scoring under ``T.CUT_OUTLINE_SCORE_SHARE`` of the page's median are measured (a side lost
    takes a quarter of the outline's ink), and the page's print on a sample of ``T.CUT_RIM_SAMPLE`` boxes."""
    reads = {q.question: q for q in result.questions if q.status in (OK, BLANK)}
    boxes = result.boxes
    if not reads or not boxes:
        return
    if outline is not None and len(outline) == len(boxes):
        score = np.asarray(outline, dtype=float)
        suspects = np.flatnonzero(score < T.CUT_OUTLINE_SCORE_SHARE * float(np.median(score))).tolist()
    else:
        suspects = list(range(len(boxes)))
    suspects = [i for i in suspects if boxes[i].question in reads]
    if not suspects:
        return
    rim = lambda i: outline_continuity(ink, boxes[i].x, boxes[i].y, boxes[i].w, boxes[i].h)  # noqa: E731
    step = max(1, len(boxes) // T.CUT_RIM_SAMPLE)
    if float(np.median([rim(i) for i in range(0, len(boxes), step)])) < T.OWN_RIM_MIN_SHARE:
        return  # a pale or faded print: the outlines' breaks say nothing of one box
    broken = {boxes[i].question for i in suspects if rim(i) < T.CUT_OUTLINE_MIN_SHARE}
    _to_review(result, reads, broken, "ô mất một phần nét in (trang bị cắt, rách, che?) ở câu {questions}")


def _to_review(result: PageResult, reads: dict[str, QuestionRead], found, note: str) -> None:
    """The questions ``found`` (ids of ``reads``) to review as ``ambiguous``, and, when any, ``note`` added to
    the page's detail with ``{questions}`` replaced by their ids, sorted and comma-separated."""
    for question in found:
        recalibrate(reads[question], AMBIGUOUS)
    if found:
        result.detail = (result.detail + "; " if result.detail else "") + \
            note.format(questions=", ".join(sorted(found)))


def _box_shifts(result: PageResult, page: PageLayout, questions) -> dict[str, tuple[float, float]]:
    """Question -> (dx, dy) mm, the median offset of its boxes as found from their layout places (the
    print near a question moved with its boxes)."""
    by_question = _boxes_by_question(result)
    shifts = {}
    for question in questions:
        members = by_question.get(question, [])
        if members:
            shifts[question] = (_median([result.boxes[i].x - page.checkboxes[i].x for i in members]),
                                _median([result.boxes[i].y - page.checkboxes[i].y for i in members]))
    return shifts


def _median(values: list[float]) -> float:
    """``float(np.median(values))`` of a non-empty list of floats, the same value (the middle one, or the mean
    of the two middle ones as NumPy takes it, (a + b) / 2), without NumPy's ~15 us a call (issue #18: two a
    question, for three checks a page)."""
    ordered = sorted(values)
    half = len(ordered) // 2
    return float(ordered[half]) if len(ordered) % 2 else float((ordered[half - 1] + ordered[half]) / 2)


def _review_writing_in_areas(result: PageResult, ink, layout: Layout, page: PageLayout,
                             by_print: bool = False) -> None:
    """A question of omr's own form read blank while handwriting lies in its own area outside its boxes (a
    date written in figures after the grid, a digit under it, a word beside a choice question's boxes):
    not a sure blank, to review as ``ambiguous`` (:func:`omr.scan.printed_boxes.writing_in_areas`, in the
    areas of :func:`omr.scan.form_print.question_areas`). The page's detail says «có chữ viết ngoài ô của
    câu …». Only blank questions are searched (~1 ms each).

    On a page registered on its print alone (``by_print``: an enlarged copy without corner marks) the
    print is placed less exactly, and its edges beside the boxes were taken for writing (the hweb2 trial:
    «có chữ viết ngoài ô của câu A1» on a page with nothing written; reproduced on a 110 % copy with A3
    blank). Such a question still goes to review, but the note claims no writing."""
    blank = {q.question: q for q in result.questions if q.status == BLANK}
    if not blank:
        return
    found = writing_in_areas(result.boxes, ink, printed_mask(layout, page), print_core(layout, page),
                             question_areas(layout, page), set(blank), _box_shifts(result, page, blank),
                             [(r.x, r.y, r.w, r.h) for r in page.text_regions], print_placed_exactly=not by_print)
    for question in found:
        recalibrate(blank[question], AMBIGUOUS)
    if found:
        said = (f"câu {', '.join(sorted(found))} đọc là để trống, nhưng trang chỉ được định vị theo bản in nên "
                "không chắc; cần xem lại" if by_print else f"có chữ viết ngoài ô của câu {', '.join(sorted(found))}")
        result.detail = (result.detail + "; " if result.detail else "") + said


def _review_stray_writing(result: PageResult, grey: np.ndarray, homography: np.ndarray, ink,
                          page: PageLayout) -> None:
    """Handwriting far from every box and frame of a form designed elsewhere (a free-text question the
    template has no frame for): kept as a comment of field ``STRAY_WRITING_FIELD`` + the page's number,
    with its crop, so it
    goes to the comment review instead of vanishing (:func:`omr.scan.printed_boxes.stray_writing`)."""
    if "_reference_path" not in page.pinned:
        return
    try:
        printed = _reference_print_of(page.pinned["_reference_path"], float(page.width), ink.shape)
    except TemplateError:
        return
    found = stray_writing(result.boxes, ink, printed, [(r.x, r.y, r.w, r.h) for r in page.text_regions])
    if found is None:
        return
    area, (x, y, w, h) = found
    m = T.STRAY_CROP_MARGIN_MM
    region = TextRegion(f"{STRAY_WRITING_FIELD}{page.number}", round(x - m, 2), round(y - m, 2), round(w + 2 * m, 2),
                        round(h + 2 * m, 2))
    comment = read_comment(grey, homography, ink, region, page)
    if not comment.inked or comment.crop_png is None:
        # Never dropped: what the comment reader did not count as writing is still shown to a person.
        comment.inked, comment.ink_mm2 = True, round(area, 2)
        comment.crop_png = png_bytes(crop_field(grey, homography, region, T.CANONICAL_PX_PER_MM))
    result.comments.append(comment)
    result.detail = (result.detail + "; " if result.detail else "") + \
        f"có chữ viết ngoài các ô/khung của mẫu ({area:.0f} mm²)"


# Layout mm -> layout mm of the same sheet turned 180°: the fiducials sit symmetrically on the page.
_TURN_180 = np.array([[-1.0, 0.0, T.PAGE_WIDTH], [0.0, -1.0, T.PAGE_HEIGHT], [0.0, 0.0, 1.0]])


def match_layout(grey: np.ndarray, homography: np.ndarray,
                 catalogue: Catalogue) -> tuple[Layout, PageLayout, bool, np.ndarray] | None:
    """The one form page, among all known, whose printed boxes this page shows, either way up.

    A candidate must show the outlines of most of its boxes where its layout
    puts them; the best must clearly beat the runner-up, or nothing is claimed.
    """
    scored = []
    for layout in catalogue.layouts.values():
        for page in layout.pages:
            for rotated in (False, True):
                h = homography @ _TURN_180 if rotated else homography
                search = locate_boxes(aligned_ink(grey, h, page), page.checkboxes)
                if np.isfinite(search.residual) and search.residual <= T.ALIGN_REVIEW_MM:
                    scored.append((search.found_share, layout, page, rotated, h))
    scored.sort(key=lambda item: item[0], reverse=True)
    if not scored or scored[0][0] < T.LAYOUT_MATCH_MIN_SHARE:
        return None
    if len(scored) > 1 and scored[1][0] > scored[0][0] - T.LAYOUT_MATCH_MARGIN:
        return None
    _, layout, page, rotated, h = scored[0]
    return layout, page, rotated, h
