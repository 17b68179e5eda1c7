"""A fresh user's trial (hblank2): an unfilled sheet of omr's own form, printed by `omr forms print` and
rendered by `pdftoppm -r 200 -gray`, was never one «phiếu không có câu trả lời nào» item: page 1 said «có chữ
viết ngoài ô của câu A1» and its 31 questions went to review one by one. Poppler draws the form's text 1-2 px
off the layout's own drawing (omr.scan.form_print), and the edges of A1's title stuck out of the print in
slivers that added up to "writing". The print's own edges are never writing, at any resolution or kind of
scan; writing beside the boxes still is."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omr.cli import main
from omr.data import review
from omr.data.store import open_store
from omr.forms.simulate_beside import write_beside
from omr.model import NO_MARKS, NEEDS_REVIEW
from omr.scan.ingest import RawPage
from omr.scan.page import process_page

WRITING = "có chữ viết ngoài ô của câu"


@pytest.fixture(scope="module")
def printed(tmp_path_factory, repo_root):
    """The trial's PDF: 2 sheets of the default form, unit 30001 (4 pages)."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (Debian package poppler-utils, installed by `make test`) is needed: the trial's "
                    "pages were rendered by it")
    folder = tmp_path_factory.mktemp("unfilled_print")
    pdf = folder / "f.pdf"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["forms", "print", str(repo_root / "form_templates/motcua-2026.yaml"), "--count", "2",
                     "--unit", "30001", "-o", str(pdf)]) == 0
    return pdf


def _render(pdf, folder, dpi: int, kind: str, first: int = 1, last: int = 1) -> list:
    """Pages ``first``..``last`` of ``pdf`` rendered by pdftoppm at ``dpi``: grey PNG, 1-bit or JPEG."""
    option = {"grey": ["-gray", "-png"], "1-bit": ["-mono"], "jpeg": ["-gray", "-jpeg"]}[kind]
    stem = folder / f"{kind}{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), *option, "-f", str(first), "-l", str(last), str(pdf), str(stem)],
                   check=True)
    return sorted(folder.glob(f"{kind}{dpi}-*"))


@pytest.fixture(scope="module")
def trial_scan(printed, tmp_path_factory):
    """The trial's scan: every page of ``printed`` by `pdftoppm -r 200 -gray -png`, alone in a folder."""
    folder = tmp_path_factory.mktemp("trial_scan")
    return _render(printed, folder, 200, "grey", 1, 4)


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("kind", ["grey", "1-bit", "jpeg"])
def test_an_unfilled_printed_page_has_no_writing_and_no_marks(printed, trial_scan, tmp_path, catalogue, dpi, kind):
    # Page 2 once, at the trial's scan.
    paths = trial_scan[:2] if (dpi, kind) == (200, "grey") else _render(printed, tmp_path, dpi, kind)
    for path in paths:
        result = process_page(RawPage(str(path), 0, np.asarray(Image.open(path).convert("L"))), catalogue)
        assert result.set_aside is None, result.detail
        assert WRITING not in result.detail, (path.name, result.detail)
        assert NO_MARKS in result.detail.split("; "), (path.name, result.detail)


def test_writing_beside_the_date_on_the_printed_page_still_goes_to_review(trial_scan, catalogue, default_layout):
    """The same page at 200 dpi with the day written in figures after the «Ngày» row, no box marked."""
    _, layout = default_layout
    path = trial_scan[0]
    rgb = np.asarray(Image.open(path).convert("RGB")).copy()
    write_beside(rgb, layout.page(1), "A1", "right", "12", 200, (25, 25, 25), np.random.default_rng(3))
    result = process_page(RawPage("written.png", 0, np.asarray(Image.fromarray(rgb).convert("L"))), catalogue)
    reads = {q.question: q for q in result.questions}
    assert WRITING in result.detail and "A1" in result.detail.split(WRITING)[1], result.detail
    assert reads["A1"].status in NEEDS_REVIEW
    assert NO_MARKS not in result.detail.split("; ")


def test_the_unfilled_printed_sheets_are_one_review_item_each(trial_scan, tmp_path):
    """The trial's command line: `pdftoppm -r 200 -gray -png f.pdf`, then `omr scan` of the folder."""
    folder = tmp_path / "x"
    folder.mkdir()
    for path in trial_scan:
        shutil.copyfile(path, folder / path.name)
    assert len(trial_scan) == 4
    db = tmp_path / "b.sqlite"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["scan", str(folder), "--db", str(db), "--workers", "1"]) == 0
    with open_store(str(db)) as store:
        counts = review.open_items(store).counts
        flags = [r["flags"] for r in store.responses()]
    assert len(flags) == 2 and all("no_answers" in f for f in flags), flags
    assert counts["empty"] == 2
    assert sum(counts.values()) == 2, counts


def test_a_pencil_word_over_the_option_labels_of_a_1bit_scan_still_goes_to_review(catalogue):
    """bench/area_writing.py --sheets 15 (harsh, seed 7, sheet 13 page 2): «đúng» written in pencil over F1's
    option labels, nothing marked, scanned 1-bit. The print cuts the word into pieces, two of them lying
    within OWN_SLIVER_REACH_MM of the labels: taken for the print's own edges, the rest (0.28 mm²) was too
    little and F1 was stored blank ok, the written answer lost (branch hsliver)."""
    path = Path(__file__).parent / "data" / "pages" / "harsh-1bit-pencil-word-over-F1-labels.png"
    result = process_page(RawPage(path.name, 0, np.asarray(Image.open(path).convert("L"))), catalogue)
    reads = {q.question: q for q in result.questions}
    assert result.set_aside is None, result.detail
    assert reads["F1"].status in NEEDS_REVIEW, (reads["F1"].status, result.detail)
    assert WRITING in result.detail and "F1" in result.detail.split(WRITING)[1], result.detail
