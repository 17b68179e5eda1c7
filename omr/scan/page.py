"""One scanned image in, one :class:`~omr.model.PageResult` per form page in it out.

The stages run in order: ingest (done by the caller) → identify → align →
read. Nothing here touches the database, so pages can be processed in worker
processes and stored by the parent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from omr import tuning as T
from omr.errors import TemplateError
from omr.forms.layout import Layout, PageLayout
from omr.model import AMBIGUOUS, BLANK, OK, SET_ASIDE_REASONS, PageResult, PageSource, half_name
from omr.scan.align import aligned_ink, locate_boxes, page_ink, warp_to_layout
from omr.scan.bubbles import pinned_search, read_pinned_boxes
from omr.scan.catalogue import Catalogue
from omr.scan.comments import read_comment
from omr.scan.identify import faint_print, is_blank, overview
from omr.scan.ingest import RawPage
from omr.scan.lighting import flatten_lighting, stretch_to_range
from omr.scan.page_geometry import (
    BoxFit,
    checked_fit,
    crop_part,
    half_with_centre,
    identify_any_turn,
    other_half_has_print,
    page_share_of_image,
    pages_apart_in_halves,
    to_whole_image,
)
from omr.scan.duplicates import ink_print, marks_key
from omr.scan.join import join_pages
from omr.scan.printed_boxes import flag_unprinted, own_outline_evidence, unexplained_marks
from omr.scan.read import questions_with_marks, read_boxes, recalibrate, resolve_questions, shown_confidence
from omr.scan.register import load_reference, match_pinned, pinned_identity
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
        return [outcome]
    results = []
    for part in (1, 2):
        result = _read_half(raw, outcome, part, catalogue)
        if result is not None:
            results.append(result)
    for result in results:
        if len(results) == 2 or result.set_aside == "half_not_form":  # its reason is about its half
            _name_half(result, raw, outcome.grey.shape)
    # Both halves blank after all (they were found otherwise): the image as one page, never nothing.
    return results or [_process(raw, catalogue, split=False)]


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
        if faint is None:  # truly empty paper
            result.set_aside = "blank"
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


# What a stretched too-dark or too-light page may fail with because it is too faint.
_FAINT_MASKS = ("no_form", "no_match", "misaligned")


def _process_page(raw: RawPage, catalogue: Catalogue, split: bool, grey: np.ndarray, view,
                  result: PageResult) -> PageResult | _TwoPages:
    """:func:`_process` from the flattened, non-blank page ``grey`` and its overview ``view`` on."""
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
        return result
    layout = catalogue.layouts.get((result.form_id, result.version))
    if layout is None or result.page not in {p.number for p in layout.pages}:
        result.set_aside = "unknown_form"
        result.detail = f"{result.form_id} v{result.version} trang {result.page}"
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
    if found.anchored_on_qr and not note:
        note = "dấu định vị góc bị che hoặc hỏng: căn theo mã QR và các dấu còn lại"
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
    shown for one of its answers (:func:`omr.scan.read.shown_confidence`, never above what the answer's
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
               result: PageResult, fit: BoxFit | None = None) -> None:
    """Align the page to its layout and read every box, question and comment field into ``result``.

    ``fit``: the aligned ink (and box search) already made with this very
    homography while checking it, reused instead of warping the page again.
    """
    result.homography = homography.tolist()
    unprinted_questions: set[str] = set()  # questions with a box not printed where the template says (#16)
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
    result.boxes = read_pinned_boxes(search, page) if page.pinned else \
        read_boxes(search, page.checkboxes, back=lambda: back_print(layout, page))
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
    questions = [q for q in layout.questions if q.type != "text"]
    result.questions = resolve_questions(questions, result.boxes)
    if page.pinned:
        _review_unexplained_marks(result, ink, page)
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
    result.comments = [read_comment(grey, homography, ink, region, page) for region in page.text_regions]
    if page.pinned:  # no serial on the paper: a rescan is recognised by its ink (omr.scan.duplicates)
        result.ink_print = ink_print(ink, result.boxes, [c.region for c in result.comments])
        result.marks_key = marks_key(result.boxes)


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
    for question in marked:
        recalibrate(blank[question], AMBIGUOUS)
    if marked:
        result.detail = (result.detail + "; " if result.detail else "") + \
            f"dấu bút ngoài mọi ô của mẫu ở câu {', '.join(sorted(marked))}"


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
