"""A fresh user's leftovers: a sheet whose answers all end blank after review counted as a valid response, and
assigning a set-aside page did not recompute the sheet's «no answers» flag.

A sheet whose every answer a person leaves blank counts like a sheet with no mark at all: out of the report's
figures, told in its count «không tính N phiếu không có câu trả lời nào»; a value set again brings it back.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, page_result, record

from omr.data import review
from omr.data.schema import NO_ANSWERS, NO_ANSWERS_CHECKED, comments, pages, response_pages
from omr.model import AMBIGUOUS, BLANK, OK
from omr.reports.figures import build, write_report

BLANK1 = {q: None for q in PAGE1}
BLANK2 = {q: None for q in PAGE2}


@pytest.fixture
def two_sheets(store, repo_root, monkeypatch):
    """Sheet 1 answered; sheet 2 blank but for one doubtful mark the reader took for «5» on B1."""
    monkeypatch.chdir(repo_root)
    batch = store.ensure_batch("dot-1", "2026-01-05", "2026-01-20")
    record(store, batch, page_result(1, 1, PAGE1, path="s1.pdf"))
    record(store, batch, page_result(1, 2, PAGE2, path="s1.pdf", index=1))
    record(store, batch, page_result(2, 1, {**BLANK1, "B1": "5"}, path="s2.pdf", statuses={"B1": AMBIGUOUS}))
    record(store, batch, page_result(2, 2, BLANK2, path="s2.pdf", index=1))
    return store


def _sheet(store, serial):
    return next(r for r in store.responses() if r["serial"] == serial)


def test_a_sheet_left_all_blank_by_its_reviewer_is_out_of_the_figures(two_sheets, tmp_path):
    from docx import Document

    store = two_sheets
    assert build(store, "2026-Q1").n_responses == 2  # the doubtful mark still waits
    sheet = _sheet(store, 2)
    store.set_answer(sheet["id"], "B1", None, "lan", BLANK, reason="vết bẩn, không phải dấu")
    flags = _sheet(store, 2)["flags"]
    report = build(store, "2026-Q1")
    assert NO_ANSWERS in flags and NO_ANSWERS_CHECKED in flags
    assert report.n_responses == 1
    assert report.review["no_answers"] == 1
    text = "\n".join(p.text for p in Document(str(write_report(report, tmp_path / "r.docx"))).paragraphs)
    assert "Tổng số phiếu khảo sát hợp lệ trong kỳ: 1 phiếu (không tính 1 phiếu không có câu trả lời nào)" in text
    assert "mọi câu được người kiểm tra để trống" in text
    # Checked by the person who decided its answers: nothing of the sheet waits in the queue.
    assert review.open_items(store).counts.get(review.EMPTY, 0) == 0


def test_a_value_set_again_brings_the_sheet_back(two_sheets):
    store = two_sheets
    sheet = _sheet(store, 2)
    store.set_answer(sheet["id"], "B1", None, "lan", BLANK)
    store.set_answer(sheet["id"], "B1", "4", "hoa", OK, reason="dấu mờ, đúng là ô 4")
    flags = _sheet(store, 2)["flags"]
    report = build(store, "2026-Q1")
    assert NO_ANSWERS not in flags and NO_ANSWERS_CHECKED not in flags
    assert report.n_responses == 2 and report.review["no_answers"] == 0


def test_a_sheet_with_a_written_comment_is_not_a_sheet_without_answers(two_sheets):
    store = two_sheets
    sheet = _sheet(store, 2)
    with store.reading() as conn:
        page_id = conn.execute(sa.select(response_pages.c.page_id).where(
            response_pages.c.response_id == sheet["id"], response_pages.c.page_number == 2)).scalar()
    store.writing(lambda conn: conn.execute(comments.insert().values(
        response_id=sheet["id"], page_id=page_id, field="H3", inked=True, ink_mm2=40.0, x=0.0, y=0.0, w=10.0,
        h=10.0, status="pending", flags="[]", likely_correct=False, review_priority=1.0,
        updated_at=datetime.now(UTC))))
    store.set_answer(sheet["id"], "B1", None, "lan", BLANK)
    assert NO_ANSWERS not in _sheet(store, 2)["flags"]  # the handwriting still waits for a person
    comment_id = _sheet(store, 2)["comments"]["H3"]["id"]
    store.set_comment_text(comment_id, "Cán bộ nhiệt tình", "lan")
    assert NO_ANSWERS not in _sheet(store, 2)["flags"] and build(store, "2026-Q1").n_responses == 2
    store.set_comment_text(comment_id, "", "lan", reason="chỉ là vết mực")
    assert NO_ANSWERS in _sheet(store, 2)["flags"] and build(store, "2026-Q1").n_responses == 1


def _set_aside_page2(store, batch, serial, answers):
    """Page 2 of sheet ``serial`` recorded set aside (its QR code covered), its boxes read: its pages.id."""
    result = page_result(serial, 2, answers, path=f"s{serial}-p2.pdf", unit=None)
    result.set_aside, result.serial = "qr_unreadable", None
    result.detail = "nhận dạng theo bố cục: motcua-2026 v1 trang 2; cần nhập số phiếu"
    record(store, batch, result)
    with store.reading() as conn:
        return conn.execute(sa.select(sa.func.max(pages.c.id))).scalar()


def _unmarked_page1(store, batch, serial, unit="30001"):
    page1 = page_result(serial, 1, BLANK1, path=f"s{serial}.pdf", statuses={q: AMBIGUOUS for q in BLANK1},
                        unit=unit)
    page1.detail = "no_marks"
    record(store, batch, page1)


def test_assigning_an_unmarked_set_aside_page_flags_the_blank_sheet(store, catalogue):
    """Page 1 scanned with no mark, page 2 set aside with no mark either: once a person assigns page 2, the
    sheet is one «phiếu không có câu trả lời nào» item, as if both pages had been read at once."""
    batch = store.ensure_batch("dot-1")
    _unmarked_page1(store, batch, 3)
    page_id = _set_aside_page2(store, batch, 3, BLANK2)
    assert NO_ANSWERS not in _sheet(store, 3)["flags"]  # page 2 still missing
    assert review.claim(store, f"page:{page_id}", "lan")
    review.assign_page(store, catalogue, page_id, "lan", "motcua-2026", 1, 2, 3)
    assert NO_ANSWERS in _sheet(store, 3)["flags"]
    assert review.open_items(store).counts[review.EMPTY] == 1


def test_assigning_a_marked_set_aside_page_leaves_the_sheet_answered(store, catalogue):
    batch = store.ensure_batch("dot-1")
    _unmarked_page1(store, batch, 4)
    page_id = _set_aside_page2(store, batch, 4, PAGE2)
    assert review.claim(store, f"page:{page_id}", "lan")
    review.assign_page(store, catalogue, page_id, "lan", "motcua-2026", 1, 2, 4)
    assert NO_ANSWERS not in _sheet(store, 4)["flags"]
    assert review.open_items(store).counts.get(review.EMPTY, 0) == 0


def test_a_page_scanned_after_an_unmarked_assigned_page_completes_the_blank_sheet(store, catalogue):
    """The order reversed: page 2 assigned first (no mark), page 1 scanned later with no mark."""
    batch = store.ensure_batch("dot-1")
    page_id = _set_aside_page2(store, batch, 5, BLANK2)
    assert review.claim(store, f"page:{page_id}", "lan")
    review.assign_page(store, catalogue, page_id, "lan", "motcua-2026", 1, 2, 5)
    assert NO_ANSWERS not in _sheet(store, 5)["flags"]
    _unmarked_page1(store, batch, 5, unit=None)
    assert NO_ANSWERS in _sheet(store, 5)["flags"]
