"""Filled scans of a two-page office form read through a batch join into responses (#16, item 5).

The template is made by ``omr template from-blank`` from tests/data/office-blanks/two-pages.docx;
each page is filled with crosses and photocopied (tests/office_fill.py). Pages are single images
in a folder (read in name order) or pages of one TIFF, read by ``run_scan`` with two workers, so
pages finish out of order and the batch must still store them in order.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import blank_sources  # noqa: E402
import office_fill  # noqa: E402
from db_fixtures import SQLITE_ONLY  # noqa: E402

from omr.data.store import open_store  # noqa: E402
from omr.model import MISSING_PAGE, OK  # noqa: E402
from omr.reports.dataset import catalogue_lookup, collect  # noqa: E402
from omr.scan.batch import run_scan  # noqa: E402

# Sheets of the two-page form: the answers crossed on each page (None: left blank, others at random).
# Reading scans is what these tests check and the slow part; the joining is the same SQL on both
# databases, tested on both in tests/test_page_join.py (pages fed to the store in batch order).
pytestmark = SQLITE_ONLY

SERIALS = {"S13": ({"Q1": "1", "Q2": "3"}, {"Q9": "1", "Q10": "3"}),
           "S24": ({"Q1": "2", "Q2": "4"}, {"Q9": "2", "Q10": "4"}),
           "SNO": ({"Q1": "2", "Q2": None}, {"Q9": "2", "Q10": "1"})}


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    """Templates (page-order and serial-field folders), filled page images and their truth."""
    from omr.template_from.blank import from_blank

    folder = tmp_path_factory.mktemp("join-scans")
    pdfs = {p.stem: p for p in blank_sources.office_pdfs(folder)}
    if "two-pages" not in pdfs:
        pytest.skip("LibreOffice is needed to turn the office blanks into PDF")
    by_order = folder / "templates"
    from_blank(pdfs["two-pages"], by_order / "two-pages.yaml")
    from_blank(pdfs["checkboxes-portrait"], by_order / "checkboxes-portrait.yaml")
    boxes = office_fill.template_boxes(by_order / "two-pages.yaml")
    other_boxes = office_fill.template_boxes(by_order / "checkboxes-portrait.yaml")
    # The same form numbered on every page: a two-digit serial from Q1, Q2 (page 1) and Q9, Q10 (page 2).
    by_serial = folder / "templates-serial"
    shutil.copytree(by_order / "two-pages", by_serial / "two-pages")
    text = (by_order / "two-pages.yaml").read_text(encoding="utf-8")
    assert "join: page_order" in text  # written out by from-blank for a form of several pages
    text = text.replace("join: page_order", "join: {serial_field: [SO1, SO2]}\nlabels: {SO1: [Q1, Q2], SO2: [Q9, Q10]}")
    (by_serial / "two-pages.yaml").write_text(text, encoding="utf-8")

    blank = blank_sources.render_pdf(pdfs["two-pages"], 200)
    images, truth = {}, {}
    seed = 100
    for sheet in ("A", "B", "C"):
        for page_no in (1, 2):
            grey, ppm = blank[page_no - 1]
            images[f"{sheet}{page_no}"], truth[f"{sheet}{page_no}"], _ = office_fill.fill(grey, ppm, boxes, page_no,
                                                                                          seed)
            seed += 1
    for sheet, answers in SERIALS.items():
        for page_no in (1, 2):
            grey, ppm = blank[page_no - 1]
            images[f"{sheet}-{page_no}"], truth[f"{sheet}-{page_no}"], _ = office_fill.fill(
                grey, ppm, boxes, page_no, seed, answers=answers[page_no - 1])
            seed += 1
    grey, ppm = blank_sources.render_pdf(pdfs["checkboxes-portrait"], 200)[0]
    images["K1"], truth["K1"], _ = office_fill.fill(grey, ppm, other_boxes, 1, seed)
    images["blank"] = np.full_like(blank[0][0], 250)
    return {"by_order": by_order, "by_serial": by_serial, "images": images, "truth": truth, "folder": folder}


@pytest.fixture
def sqlite_store(tmp_path):
    """An SQLite store (``store`` is SQLite too here: see pytestmark)."""
    with open_store(str(tmp_path / "omr.sqlite")) as opened:
        yield opened


def _batch_folder(forms, name: str, pages: list[str]) -> Path:
    """A folder of one image per page, named so that sorting keeps the given order."""
    out = forms["folder"] / name
    out.mkdir(exist_ok=True)
    for i, page in enumerate(pages):
        cv2.imwrite(str(out / f"{i:02d}-{page}.png"), forms["images"][page])
    return out


def _responses(store, templates):
    """Each response's pages as the names given to them, and its export record."""
    records = {tuple(r["source_pages"]): r for r in collect(store, catalogue_lookup(templates)).records}
    out = {}
    for pages, record in records.items():
        names = tuple(p.split("=")[1].split("#")[0].split("-", 1)[1].removesuffix(".png") for p in pages)
        out[names] = record
    return out


def _no_silent_errors(record, truth_pages):
    """Every answer marked ok is the answer crossed on its page."""
    truth = {q: code for page in truth_pages for q, code in page.items()}
    wrong = [(q, record["answers"][q], truth[q]) for q, status in record["status"].items()
             if status == OK and q in truth and record["answers"][q] != truth[q]]
    assert not wrong, wrong


def test_pages_in_order_join_into_whole_responses(forms, sqlite_store):
    store = sqlite_store
    folder = _batch_folder(forms, "in-order", ["A1", "A2", "B1", "B2"])
    report = run_scan([str(folder)], store, "dot-1", workers=2, template_dir=str(forms["by_order"]))
    assert report.outcomes["new"] == 4 and not report.set_aside
    responses = _responses(store, forms["by_order"])
    assert set(responses) == {("A1", "A2"), ("B1", "B2")}
    for names, record in responses.items():
        assert record["completeness"] == "complete"
        _no_silent_errors(record, [forms["truth"][n] for n in names])
        # Every answer traces to its page: page 1's questions to the first file, page 2's to the second.
        assert record["source_pages"][0].startswith("1=") and record["source_pages"][1].startswith("2=")
    # Reading the same files again counts nothing twice.
    again = run_scan([str(folder)], store, "dot-1", workers=1, template_dir=str(forms["by_order"]))
    assert again.pages_skipped_done == 4 and len(list(store.responses())) == 2


def test_out_of_order_missing_and_mixed_pages_leave_incomplete_responses_never_blanks(forms, store):
    pages = ["C2", "C1", "A1", "K1", "A2", "B1", "blank", "B2"]
    folder = _batch_folder(forms, "mixed", pages)
    run_scan([str(folder)], store, "dot-1", workers=2, template_dir=str(forms["by_order"]))
    responses = _responses(store, forms["by_order"])
    assert set(responses) == {("C2",), ("C1",), ("A1",), ("K1",), ("A2",), ("B1", "B2")}
    assert responses[("B1", "B2")]["completeness"] == "complete"  # the blank back of a page is skipped
    for names, missing in ((("C2",), [1]), (("C1",), [2]), (("A1",), [2]), (("A2",), [1])):
        record = responses[names]
        assert record["completeness"] == "incomplete" and record["missing_pages"] == missing
        questions_missing = ["Q9", "Q10"] if missing == [2] else ["Q1", "Q8"]
        assert all(record["status"][q] == MISSING_PAGE and record["answers"][q] is None for q in questions_missing)
        _no_silent_errors(record, [forms["truth"][n] for n in names])
    assert responses[("K1",)]["form"] == "checkboxes-portrait"


def test_pages_of_one_file_join_page_after_page(forms, sqlite_store):
    store = sqlite_store
    from PIL import Image

    path = forms["folder"] / "lo.tif"
    frames = [Image.fromarray(forms["images"][n]) for n in ("A1", "A2", "B1", "B2", "C1")]
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_deflate", dpi=(200, 200))
    run_scan([str(path)], store, "dot-1", workers=2, template_dir=str(forms["by_order"]))
    joined = sorted([p["page_index"] for p in r["pages"]] for r in store.responses())
    assert joined == [[0, 1], [2, 3], [4]]


def test_a_serial_on_each_page_joins_pages_in_any_order_and_an_unsure_one_goes_to_a_person(forms, store):
    folder = _batch_folder(forms, "serials", ["S13-1", "S24-1", "S24-2", "SNO-1", "S13-2"])
    report = run_scan([str(folder)], store, "dot-1", workers=2, template_dir=str(forms["by_serial"]))
    responses = {r["serial"]: r for r in store.responses()}
    assert set(responses) == {13, 24}
    assert all(len(r["pages"]) == 2 for r in responses.values())
    assert sorted(p["file"].rsplit("-", 2)[-2] for p in responses[13]["pages"]) == ["S13", "S13"]
    # The number left half blank is no guess: the page waits for a person to type the serial.
    (aside,) = report.set_aside
    assert aside[0].endswith("SNO-1.png") and aside[2] == "serial_unreadable" and "SO1" in aside[3]
