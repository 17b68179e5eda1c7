"""A stack of a form without serials scanned again is not counted twice, and no sheet is dropped silently (#16).

The two-page office form (tests/data/office-blanks/two-pages.docx, template made by ``omr template
from-blank``, joined by page order) is filled and photocopied (tests/office_fill.py). The operator
then rescans some sheets into a new file: the same paper, turned, scaled and noised again. Another
respondent who crossed exactly the same boxes is a different sheet: a person decides, never the machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import blank_sources  # noqa: E402
import office_fill  # noqa: E402

from omr.data import completeness, review  # noqa: E402
from omr.data.schema import POSSIBLE_DUPLICATE, pages  # noqa: E402
from omr.data.store import open_store  # noqa: E402
from omr.reports.dataset import catalogue_lookup, collect  # noqa: E402
from omr.scan.batch import format_report, run_scan  # noqa: E402
from omr.scan.duplicates import print_similarity  # noqa: E402

# Answers of the sheet that a second respondent gives too (every question of both pages named).
SAME = ({"Q1": "2", "Q2": "4"}, {"Q9": "2", "Q10": "4"})


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    """The page-order template and page images: sheets A and B, A scanned again, C answering as B."""
    from omr.template_from.blank import from_blank

    folder = tmp_path_factory.mktemp("duplicates")
    pdfs = {p.stem: p for p in blank_sources.office_pdfs(folder)}
    if "two-pages" not in pdfs:
        pytest.skip("LibreOffice is needed to turn the office blanks into PDF")
    templates = folder / "templates"
    from_blank(pdfs["two-pages"], templates / "two-pages.yaml")
    boxes = office_fill.template_boxes(templates / "two-pages.yaml")
    blank = blank_sources.render_pdf(pdfs["two-pages"], 200)
    questions = {n: sorted({b[3] for b in boxes if b[0] == n}) for n in (1, 2)}
    images = {}
    for page_no in (1, 2):
        grey, ppm = blank[page_no - 1]
        answers = {q: SAME[page_no - 1].get(q) for q in questions[page_no]}
        images[f"A{page_no}"], _, _ = office_fill.fill(grey, ppm, boxes, page_no, 300 + page_no)
        images[f"A{page_no}-again"], _, _ = office_fill.fill(grey, ppm, boxes, page_no, 300 + page_no, scan_seed=9)
        images[f"B{page_no}"], _, _ = office_fill.fill(grey, ppm, boxes, page_no, 400 + page_no, answers=answers)
        images[f"C{page_no}"], _, _ = office_fill.fill(grey, ppm, boxes, page_no, 500 + page_no, answers=answers)
    return {"templates": templates, "images": images, "folder": folder}


def _folder(forms, name: str, names: list[str]) -> Path:
    out = forms["folder"] / name
    out.mkdir(exist_ok=True)
    for i, page in enumerate(names):
        cv2.imwrite(str(out / f"{i:02d}-{page}.png"), forms["images"][page])
    return out


def _exported(store, forms) -> list[tuple[str, ...]]:
    """The sheets in the export, each as the names of its page files."""
    records = collect(store, catalogue_lookup(forms["templates"])).records
    return sorted(tuple(p.split("=")[1].split("#")[0].split("-", 1)[1].removesuffix(".png")
                        for p in r["source_pages"]) for r in records)


def _response_of(store, first_page: str) -> dict:
    (found,) = [r for r in store.responses() if r["pages"] and r["pages"][0]["file"].endswith(f"-{first_page}.png")]
    return found


def test_a_rescanned_sheet_goes_to_a_person_and_is_not_counted_twice(forms, tmp_path):
    with open_store(str(tmp_path / "omr.sqlite")) as store:
        first = _folder(forms, "first", ["A1", "A2", "B1", "B2"])
        run_scan([str(first)], store, "đợt 1", workers=2, template_dir=str(forms["templates"]))
        assert _exported(store, forms) == [("A1", "A2"), ("B1", "B2")]
        # The very same files uploaded again: recognised by their content, nothing added.
        again = run_scan([str(first)], store, "đợt 1", workers=1, template_dir=str(forms["templates"]))
        assert again.pages_skipped_done == 4 and _exported(store, forms) == [("A1", "A2"), ("B1", "B2")]

        # Sheet A rescanned (crooked the first time) into a new file, and C, who answered exactly as B did.
        second = _folder(forms, "second", ["A1-again", "A2-again", "C1", "C2"])
        report = run_scan([str(second)], store, "đợt 1", workers=2, template_dir=str(forms["templates"]))
        later = _response_of(store, "A1-again")
        assert POSSIBLE_DUPLICATE in later["flags"], "another scan of sheet A was counted as a new response"
        assert report.outcomes["duplicate"] == 2  # both pages of A, and no page of C
        assert "có thể là bản quét lại của phiếu đã có" in format_report(report, store.summary())
        # Not counted while it waits, but not lost: its pages are stored and a person is asked.
        exported = _exported(store, forms)
        assert ("A1-again", "A2-again") not in exported and ("A1", "A2") in exported
        other = _response_of(store, "C1")
        assert other["id"] != _response_of(store, "B1")["id"], "two respondents were merged into one sheet"
        assert ("C1", "C2") in exported, "another respondent's sheet was not counted"
        assert store.summary()["possible_duplicates"] >= 1

        key = f"response:{later['id']}"
        assert review.queue_counts(store)[review.DUPLICATE] >= 1
        assert review.claim_next(store, "lan", review.QueueFilter(kind=review.DUPLICATE)) is not None
        assert review.claim(store, key, "lan")
        item = review.load_item(store, key)
        assert item.kind == review.DUPLICATE and item.data["pending"]
        original = _response_of(store, "A1")
        assert [g["id"] for g in item.data["group"]] == [original["id"], later["id"]]  # side by side

        # The reviewer keeps the straighter rescan: the first scan leaves the figures, the sheet counts once.
        review.resolve_duplicate(store, later["id"], "lan", completeness.KEEP_ONE, keep_id=later["id"],
                                 reason="bản quét lại rõ hơn")
        exported = _exported(store, forms)
        assert ("A1-again", "A2-again") in exported and ("A1", "A2") not in exported
        assert review.load_item(store, key).data["pending"] is False
        assert any(h["field"] == "decision" for h in review.response_history(store, original["id"]))


def test_two_respondents_kept_both_are_both_counted(forms, tmp_path):
    """A look-alike a person says is another respondent is counted; a new scan of it later is still caught."""
    with open_store(str(tmp_path / "omr.sqlite")) as store:
        run_scan([str(_folder(forms, "b-then-b", ["B1", "B2"]))], store, "đợt 1", workers=1,
                 template_dir=str(forms["templates"]))
        run_scan([str(_folder(forms, "a-again", ["A1", "A2", "A1-again", "A2-again"]))], store, "đợt 1",
                 workers=1, template_dir=str(forms["templates"]))
        later = _response_of(store, "A1-again")
        assert POSSIBLE_DUPLICATE in later["flags"]
        review.claim(store, f"response:{later['id']}", "lan")
        review.resolve_duplicate(store, later["id"], "lan", completeness.KEEP_BOTH, reason="hai người khác nhau")
        assert _exported(store, forms) == [("A1", "A2"), ("A1-again", "A2-again"), ("B1", "B2")]
        with pytest.raises(review.ReviewError):  # decided: nothing left to decide
            review.resolve_duplicate(store, later["id"], "lan", completeness.KEEP_BOTH)


def test_ink_prints_tell_another_scan_from_another_respondent(forms, tmp_path):
    """The similarity the store relies on, on the pages above: a rescan is above the threshold; another
    respondent with the same answers below it; pages with other inked boxes are not compared at all."""
    from omr import tuning as T
    from omr.scan.ingest import RawPage
    from omr.scan.page import Catalogue, process_page

    catalogue = Catalogue.from_folder(forms["templates"])
    read = {name: process_page(RawPage(name, 0, forms["images"][name]), catalogue)
            for name in ("A1", "A1-again", "B1", "C1")}
    assert all(r.ink_print for r in read.values())
    assert read["A1"].marks_key == read["A1-again"].marks_key and read["B1"].marks_key == read["C1"].marks_key
    assert print_similarity(read["A1"].ink_print, read["A1-again"].ink_print) >= T.DUP_MIN_SIMILARITY
    assert print_similarity(read["B1"].ink_print, read["C1"].ink_print) < T.DUP_MIN_SIMILARITY
    assert read["A1"].marks_key != read["B1"].marks_key
    assert print_similarity(read["A1"].ink_print, read["B1"].ink_print) is None  # other boxes: no comparison
    assert print_similarity(read["A1"].ink_print, None) is None
    assert print_similarity(read["A1"].ink_print, read["A1"].ink_print[:-1]) is None  # another layout


def test_pages_stored_before_have_no_print_and_are_never_compared(store):
    """Pages of omr's own forms (serial in the QR code) carry no ink print: nothing changes for them."""
    from db_fixtures import PAGE1, page_result, record

    batch = store.ensure_batch("đợt 1")
    assert record(store, batch, page_result(7, 1, PAGE1, path="a.pdf")) == "new"
    assert record(store, batch, page_result(8, 1, PAGE1, path="b.pdf")) == "new"
    with store.reading() as conn:
        assert conn.execute(sa.select(pages.c.ink_print, pages.c.marks_key)).all() == [(None, None), (None, None)]
    assert not any(POSSIBLE_DUPLICATE in r["flags"] for r in store.responses())


def test_the_store_asks_about_a_look_alike_only_within_its_form_page_unit_and_period(store):
    """Candidates are the same form page with the same inked boxes, in the same unit, from a batch whose
    collection dates overlap; another respondent's ink is a new sheet; a rejected sheet is no candidate."""
    from db_fixtures import PAGE1, page_result, record, with_ink

    march = store.ensure_batch("Tháng 3", "2026-03-01", "2026-03-31")
    march_again = store.ensure_batch("Tháng 3 quét lại", "2026-03-01", "2026-03-31")
    june = store.ensure_batch("Tháng 6", "2026-06-01", "2026-06-30")
    assert record(store, march, with_ink(page_result(11, 1, PAGE1, path="a.pdf"), seed=1)) == "new"
    rescan = with_ink(page_result(12, 1, PAGE1, path="b.pdf"), seed=1, rescan=1)
    assert record(store, march_again, rescan) == "duplicate"
    # Another hand, the same boxes: a sheet of its own, counted.
    assert record(store, march_again, with_ink(page_result(13, 1, PAGE1, path="c.pdf"), seed=2)) == "new"
    # The same ink in another unit, or in a period that does not overlap: not compared.
    assert record(store, march_again, with_ink(page_result(14, 1, PAGE1, path="d.pdf", unit="30002"), seed=1,
                                               rescan=2)) == "new"
    assert record(store, june, with_ink(page_result(15, 1, PAGE1, path="e.pdf"), seed=1, rescan=3)) == "new"
    flagged = {r["serial"] for r in store.responses() if POSSIBLE_DUPLICATE in r["flags"]}
    assert flagged == {12}
    assert store.summary()["possible_duplicates"] == 1
    with store.reading() as conn:
        (later,) = [r for r in conn.execute(sa.select(pages.c.serial, pages.c.duplicate_of)) if r.serial == 12]
        first_id = conn.execute(sa.select(pages.c.id).where(pages.c.serial == 11)).scalar()
    assert later.duplicate_of == first_id
    # The person decides sheet 12 is the one to keep: sheet 11 is rejected, and no longer a candidate.
    by_serial = {r["serial"]: r["id"] for r in store.responses()}
    completeness.resolve_duplicate(store, by_serial[12], "lan", completeness.KEEP_ONE, keep_id=by_serial[12])
    flags = {r["serial"]: r["flags"] for r in store.responses()}
    assert completeness.REJECTED in flags[11] and POSSIBLE_DUPLICATE not in flags[12]
    assert record(store, march_again, with_ink(page_result(16, 1, PAGE1, path="f.pdf"), seed=1, rescan=4)) \
        == "duplicate"  # of sheet 12, the one kept
