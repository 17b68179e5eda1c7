"""A fresh user's trial: unfilled printed forms scanned at 150 dpi made 31 review items per sheet and counted
as valid responses in the report. A sheet with no mark on any page is one review item and no valid response;
a sheet with a mark keeps its doubtful questions in the queue one by one."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa
from PIL import Image

from omr.cli import main
from omr.data import review
from omr.data.schema import answers
from omr.data.store import open_store
from omr.forms.layout import resolve_layout
from omr.forms.template import load_template
from omr.reports.figures import build, write_report

DPI = 150


def _cross(grey: np.ndarray, box, dpi: int, level: int) -> None:
    """A pen cross of grey ``level`` over ``box`` (layout mm) drawn into ``grey`` (uint8, page pixels)."""
    k = dpi / 25.4
    x0, y0, x1, y1 = (int(round(v * k)) for v in (box.x, box.y, box.x + box.w, box.y + box.h))
    n = max(x1 - x0, y1 - y0)
    for t in range(n):
        for dx in (-1, 0, 1):
            grey[y0 + t * (y1 - y0) // n, x0 + t * (x1 - x0) // n + dx] = level
            grey[y0 + t * (y1 - y0) // n, x1 - t * (x1 - x0) // n + dx] = level


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, repo_root):
    """Two printed sheets rendered at 150 dpi (as `pdftoppm -r 150` does): sheet 1 left unfilled, sheet 2 with
    one light pencil cross on page 1; scanned into a fresh database. (db path, scan summary)."""
    folder = tmp_path_factory.mktemp("unfilled")
    pdf = folder / "f.pdf"
    assert main(["forms", "print", str(repo_root / "form_templates/motcua-2026.yaml"), "--count", "2",
                 "--unit", "30001", "-o", str(pdf)]) == 0
    layout = resolve_layout(load_template(repo_root / "form_templates/motcua-2026.yaml"), freeze=False)
    paths = []
    document = pdfium.PdfDocument(str(pdf))
    for i in range(len(document)):
        grey = np.array(document[i].render(scale=DPI / 72).to_pil().convert("L"))
        if i == 2:  # sheet 2, page 1: one light cross in the first box
            _cross(grey, layout.page(1).checkboxes[0], DPI, 150)
        path = folder / f"p-{i + 1}.png"
        Image.fromarray(grey).save(path, dpi=(DPI, DPI))
        paths.append(str(path))
    document.close()
    db = folder / "omr.sqlite"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["scan", *paths, "--db", str(db), "--batch", "b", "--workers", "1",
                     "--collected-from", "01/03/2026", "--collected-to", "2026-03-10"]) == 0
    return db, out.getvalue()


def _sheets(store):
    return {r["serial"]: r for r in store.responses()}


def test_an_unfilled_sheet_is_one_review_item_not_one_per_question(scanned):
    db, summary = scanned
    with open_store(str(db)) as store:
        sheets = _sheets(store)
        counts = review.open_items(store).counts
        with store.reading() as conn:
            waiting = conn.execute(sa.select(answers.c.response_id, sa.func.count())
                                   .where(answers.c.status.in_(("ambiguous", "multiple", "invalid")))
                                   .group_by(answers.c.response_id)).all()
        key = review.claim_next(store, "an", review.QueueFilter(kind=review.EMPTY))
        item = review.load_item(store, key)
    blank, marked = sheets[1], sheets[2]
    assert "no_answers" in blank["flags"] and "no_answers" not in marked["flags"]
    assert counts["empty"] == 1
    # Sheet 2's questions still wait one by one: a light mark never hides the sheet's doubtful questions.
    per_sheet = dict(waiting)
    assert per_sheet[marked["id"]] >= 25
    assert counts["mark"] + counts["misaligned"] == per_sheet[marked["id"]], counts
    assert item.kind == review.EMPTY and review.KINDS[item.kind] == "phiếu không có câu trả lời nào"
    assert "Trang không có dấu nào (lần này): 3" in summary


def test_an_unfilled_sheet_is_no_valid_response_in_the_report(scanned, tmp_path):
    db, _ = scanned
    from docx import Document

    with open_store(str(db)) as store:
        report = build(store, "2026-Q1")
        path = write_report(report, tmp_path / "r.docx")
    assert report.n_responses == 1
    assert report.review["no_answers"] == 1
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "Tổng số phiếu khảo sát hợp lệ trong kỳ: 1 phiếu (không tính 1 phiếu không có câu trả lời nào)" in text


def test_confirming_an_unfilled_sheet_sets_its_answers_blank_and_keeps_it_out(scanned, tmp_path):
    db, _ = scanned
    copy = tmp_path / "c.sqlite"
    copy.write_bytes(db.read_bytes())
    with open_store(str(copy)) as store:
        blank = _sheets(store)[1]
        assert review.claim(store, f"response:{blank['id']}", "an")
        item = review.load_item(store, f"response:{blank['id']}")
        review.resolve_no_answers(store, blank["id"], "an", True, expected=item.data["version"])
        counts = review.open_items(store).counts
        after = _sheets(store)[1]
        report = build(store, "2026-Q1")
    assert counts["empty"] == 0
    assert all(status == "blank" for _, status, _ in after["answers"].values())
    assert report.n_responses == 1


def test_a_sheet_with_answers_goes_back_to_its_questions(scanned, tmp_path):
    db, _ = scanned
    copy = tmp_path / "c.sqlite"
    copy.write_bytes(db.read_bytes())
    with open_store(str(copy)) as store:
        blank = _sheets(store)[1]
        before = review.open_items(store).counts
        assert review.claim(store, f"response:{blank['id']}", "an")
        item = review.load_item(store, f"response:{blank['id']}")
        review.resolve_no_answers(store, blank["id"], "an", False, expected=item.data["version"])
        counts = review.open_items(store).counts
    assert counts["empty"] == 0
    assert counts["mark"] + counts["misaligned"] == before["mark"] + before["misaligned"] + 31
