"""A printed box not found where the template says sends its question to review, never blank (#16, item 4).

Templates made by ``omr template from-blank`` from the office blanks; filled copies photocopied, with
printed boxes whited out in unanswered questions (tests/office_fill.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import blank_sources  # noqa: E402
import office_fill  # noqa: E402

from omr.model import BLANK, NEEDS_REVIEW, OK  # noqa: E402


@pytest.fixture(scope="module")
def office_forms(tmp_path_factory):
    from omr.scan.page import Catalogue
    from omr.template_from.blank import from_blank

    folder = tmp_path_factory.mktemp("office-safety")
    out = {}
    for pdf in blank_sources.office_pdfs(folder):
        if pdf.stem not in ("checkboxes-portrait", "two-pages"):
            continue
        templates = folder / pdf.stem
        from_blank(pdf, templates / f"{pdf.stem}.yaml")
        out[pdf.stem] = (pdf, office_fill.template_boxes(templates / f"{pdf.stem}.yaml"),
                         Catalogue.from_folder(templates), folder)
    assert set(out) == {"checkboxes-portrait", "two-pages"}
    return out


@pytest.mark.parametrize("name, page_no, seed", [("checkboxes-portrait", 1, 0), ("checkboxes-portrait", 1, 1),
                                                 ("two-pages", 1, 2), ("two-pages", 2, 3)])
def test_a_missing_printed_box_sends_its_question_to_review_and_the_rest_reads_right(office_forms, name, page_no,
                                                                                     seed):
    from omr.scan.ingest import PageLoader
    from omr.scan.page import process_page

    pdf, boxes, catalogue, folder = office_forms[name]
    grey, ppm = blank_sources.render_pdf(pdf, 200)[page_no - 1]
    image, truth, erased = office_fill.fill(grey, ppm, boxes, page_no, seed, erase=1)
    path = folder / f"{name}-{page_no}-{seed}.png"
    cv2.imwrite(str(path), image)
    result = process_page(PageLoader().load(path, 0), catalogue)
    assert result.set_aside is None, result.detail
    assert "không thấy in ở chỗ mẫu phiếu ghi" in result.detail
    reads = {q.question: q for q in result.questions}
    for qid in erased:
        assert reads[qid].status in NEEDS_REVIEW, (qid, reads[qid])
    wrong = []
    for qid, code in truth.items():
        if qid in erased:
            continue
        q = reads[qid]
        value = q.value[0] if isinstance(q.value, list) and len(q.value) == 1 else q.value
        if q.status == OK and value != code or q.status == BLANK and code is not None:
            wrong.append((qid, code, q.value, q.status))
    assert not wrong, f"silent errors: {wrong}"


def test_whited_out_box_measures_as_unprinted_and_printed_ones_as_printed(office_forms):
    """The outline evidence itself: printed boxes well above the threshold, a whited-out one well below."""
    import omr.scan.page as page_module
    from omr import tuning as T
    from omr.scan.ingest import PageLoader
    from omr.scan.page import process_page
    from omr.scan.printed_boxes import flag_unprinted, outline_evidence

    pdf, boxes, catalogue, folder = office_forms["checkboxes-portrait"]
    grey, ppm = blank_sources.render_pdf(pdf, 200)[0]
    image, truth, erased = office_fill.fill(grey, ppm, boxes, 1, 5, erase=2)
    path = folder / "evidence.png"
    cv2.imwrite(str(path), image)
    measured = {}

    def recording(reads, ink, round_=False):
        for r in reads:
            measured[(r.question, r.option)] = outline_evidence(ink, r.x, r.y, r.w, r.h, round_)
        return flag_unprinted(reads, ink, round_)

    original = page_module.flag_unprinted
    page_module.flag_unprinted = recording
    try:
        process_page(PageLoader().load(path, 0), catalogue)
    finally:
        page_module.flag_unprinted = original
    gone = [measured[item] for item in erased.items()]
    printed = [v for k, v in measured.items() if k not in set(erased.items())]
    assert len(gone) == 2 and max(gone) < 0.5 * T.PRINTED_MIN_OUTLINE_EVIDENCE
    assert min(printed) > 2 * T.PRINTED_MIN_OUTLINE_EVIDENCE
    assert np.isfinite(printed).all()


@pytest.mark.parametrize("blank_count, page_reviewed", [(1, False), (3, True)])
def test_whited_out_questions_do_not_make_a_page_look_mostly_blank(office_forms, blank_count, page_reviewed):
    """A page of 5 questions, 2 with a printed box whited out (to review): one question skipped of the 3 others
    is read blank, as a respondent left it; all 3 left blank still sends the page's blanks to a person
    (faint marks a scan lost look like that)."""
    from omr.model import BLANK
    from omr.scan.ingest import PageLoader
    from omr.scan.page import process_page

    pdf, boxes, catalogue, folder = office_forms["checkboxes-portrait"]
    grey, ppm = blank_sources.render_pdf(pdf, 200)[0]
    codes: dict[str, list[str]] = {}
    for page_no, _, _, qid, code, _ in boxes:
        if page_no == 1:
            codes.setdefault(qid, []).append(code)
    assert len(codes) == 5
    _, _, erased = office_fill.fill(grey, ppm, boxes, 1, 0, erase=2)  # which two questions the seed whites out
    readable = sorted(set(codes) - set(erased))
    answers = {qid: (None if n < blank_count else codes[qid][-1]) for n, qid in enumerate(readable)}
    image, truth, erased_again = office_fill.fill(grey, ppm, boxes, 1, 0, erase=2, answers=answers)
    assert set(erased_again) == set(erased)
    path = folder / f"mostly-blank-{blank_count}.png"
    cv2.imwrite(str(path), image)
    result = process_page(PageLoader().load(path, 0), catalogue)
    reads = {q.question: q for q in result.questions}
    for qid in erased:
        assert reads[qid].status in NEEDS_REVIEW, (qid, reads[qid])
    for qid, code in answers.items():
        if code is None:
            assert reads[qid].status == (BLANK if not page_reviewed else "ambiguous"), (qid, reads[qid], result.detail)
        else:
            assert (reads[qid].value, reads[qid].status) == (code, OK), (qid, reads[qid])
    assert ("mostly_blank" in result.detail) == page_reviewed, result.detail


@pytest.fixture(scope="module")
def serif_missed_box(tmp_path_factory):
    """The Times New Roman blank's template from its PDF, and a copy of it that missed the "Nam" box (as
    the trial's template made from a 200 dpi scan did): its box and option deleted, the print unchanged."""
    import shutil

    import yaml

    from omr.scan.page import Catalogue
    from omr.template_from.blank import from_blank

    folder = tmp_path_factory.mktemp("serif-missed")
    pdfs = {p.stem: p for p in blank_sources.office_pdfs(folder)}
    if not pdfs:
        pytest.skip("LibreOffice absent: the office blanks cannot be converted")
    pdf = pdfs["checkboxes-portrait-serif"]
    full = folder / "full" / "phieu.yaml"
    from_blank(pdf, full)
    data = yaml.safe_load(full.read_text(encoding="utf-8"))
    question = data["groups"][0]["questions"][0]
    assert question["text"] == "Câu 1. Giới tính" and question["options"][0]["label"] == "Nam"
    missed = question["options"].pop(0)
    question["type"] = "multiple"  # one box left: a lone tick box, as the trial's template had it
    del data["pinned"]["pages"][0]["boxes"][missed["box"]]
    trimmed = folder / "trimmed" / "phieu.yaml"
    shutil.copytree(full.parent / "phieu", trimmed.parent / "phieu")
    trimmed.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return pdf, office_fill.template_boxes(full), Catalogue.from_folder(trimmed.parent), question["id"], folder


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_tick_in_a_box_the_template_missed_goes_to_review_never_blank(serif_missed_box, seed):
    """"Nam" ticked in the box the template does not know: its question reads no box marked, yet a pen
    mark lies on its row outside every box of the template: to review (it read "để trống", blank, with
    full confidence). Left unticked, no question is flagged (the printed "Nam" and its box are the blank's
    print, not a mark), and no answer is silently wrong either way."""
    from omr.scan.ingest import PageLoader
    from omr.scan.page import process_page

    pdf, boxes, catalogue, qid, folder = serif_missed_box
    grey, ppm = blank_sources.render_pdf(pdf, 200)[0]
    for nam in ("1", None):
        image, truth, _ = office_fill.fill(grey, ppm, boxes, 1, seed, answers={qid: nam})
        path = folder / f"filled-{seed}-{nam}.png"
        cv2.imwrite(str(path), image)
        result = process_page(PageLoader().load(path, 0), catalogue)
        reads = {q.question: q for q in result.questions}
        flagged = [part for part in result.detail.split("; ") if part.startswith("dấu bút ngoài mọi ô")]
        if nam:
            assert reads[qid].status in NEEDS_REVIEW, (reads[qid], result.detail)
            assert flagged == [f"dấu bút ngoài mọi ô của mẫu ở câu {qid}"], result.detail
        else:
            assert flagged == [], result.detail
            assert reads[qid].status != OK
        wrong = []
        for other, code in truth.items():
            if other == qid:
                continue
            q = reads[other]
            value = q.value[0] if isinstance(q.value, list) and len(q.value) == 1 else q.value
            if q.status == OK and value != code or q.status == BLANK and code is not None:
                wrong.append((other, code, q.value, q.status))
        assert not wrong, f"silent errors: {wrong}"


@pytest.mark.parametrize("seed", [0, 1])
def test_handwriting_far_from_every_box_and_frame_goes_to_review_never_dropped(office_forms, seed):
    """The trial's Writer form: «Ý kiến khác:» printed with empty lines under it and no frame in the
    template. A line written there used to vanish (no comment, no review, nothing exported); it is kept
    as a comment of its own, inked and with its crop (the comment review shows it). The same page without
    the line makes no such comment."""
    from omr.model import is_stray_writing
    from omr.scan.ingest import PageLoader
    from omr.scan.page import process_page

    pdf, boxes, catalogue, folder = office_forms["checkboxes-portrait"]
    grey, ppm = blank_sources.render_pdf(pdf, 200)[0]
    lowest = max(y + h for page, _, (x, y, w, h), *_ in boxes if page == 1)
    page_h = grey.shape[0] / ppm
    assert lowest + 40 < page_h, "no empty paper under the boxes to write on"
    for text in ("Cán bộ hẹn lên hẹn xuống, phải đi lại nhiều lần", None):
        writing = (text, 30.0, lowest + 20.0) if text else None
        image, truth, _ = office_fill.fill(grey, ppm, boxes, 1, seed, writing=writing)
        path = folder / f"stray-{seed}-{bool(text)}.png"
        cv2.imwrite(str(path), image)
        result = process_page(PageLoader().load(path, 0), catalogue)
        assert result.set_aside is None, result.detail
        stray = [c for c in result.comments if is_stray_writing(c.field)]
        if text:
            assert len(stray) == 1, result.detail
            assert stray[0].inked and stray[0].crop_png, stray[0]
            x, y, w, h = stray[0].region
            assert y <= lowest + 22 and y + h >= lowest + 22 and w > 40, stray[0].region
            assert "có chữ viết ngoài các ô/khung" in result.detail
        else:
            assert stray == [], result.detail
