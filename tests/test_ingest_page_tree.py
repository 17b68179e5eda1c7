"""A PDF whose page tree has a broken entry: every page that loads is read, the broken one is named.

qpdf leaves out /Kids entries that are not page dictionaries while pdfium reads
pages by position; counting by qpdf lost the last good page without a word
(cases README, "pdf-unloadable-page"; tester's variant with page 2 broken of 4).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from omr.scan.ingest import count_pages, iter_pages

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_variants import pdf_file  # noqa: E402


def _pages_pdf(n: int, kids: list[str], *, count: int | None = None, damaged: set[int] = frozenset()) -> bytes:
    """A PDF of ``n`` A4 pages, page i (0-based) painting a black bar (i + 1) x 50 pt wide, so pages can
    be told apart; ``kids`` are the /Kids entries ("3 0 R" is page 0's object); pages in ``damaged``
    have a dictionary qpdf cannot parse."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {count or len(kids)} >>".encode()]
    for i in range(n):
        tail = b"/Type /Page <<<< )))" if i in damaged else b"/Type /Page"
        objects.append(f"<< /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {3 + n + i} 0 R ".encode() + tail + b" >>")
    for i in range(n):
        content = f"0 g 0 0 {(i + 1) * 50} 842 re f".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    return pdf_file(objects)


def _bar_pages(pages) -> list[int | None]:
    """Which page (1-based, by bar width) each read page shows; None for a page set aside."""
    out = []
    for page in pages:
        if page.image is None:
            out.append(None)
            continue
        dark = (page.image < 128).mean(axis=0)
        width_share = float((dark > 0.5).mean())
        out.append(round(width_share * 595 / 50))
    return out


@pytest.mark.parametrize("broken", [1, 3])
def test_null_page_tree_entry_is_named_and_every_other_page_read_in_place(tmp_path, capfd, broken):
    kids = [f"{3 + i} 0 R" for i in range(4)]
    kids[broken] = "0 0 R"
    path = tmp_path / "badkid.pdf"
    path.write_bytes(_pages_pdf(4, kids))
    assert count_pages(path) == 4
    pages = list(iter_pages(path))
    want = [1, 2, 3, 4]
    want[broken] = None
    assert [p.index for p in pages] == [0, 1, 2, 3]
    assert _bar_pages(pages) == want
    message = pages[broken].error.message
    assert f"badkid.pdf, trang {broken + 1}" in message and "trang PDF bị hỏng" in message
    assert sum(p.error is not None for p in pages) == 1
    err = capfd.readouterr().err
    assert "Pages tree" not in err and "ignoring" not in err


def test_page_dictionary_qpdf_cannot_parse_does_not_hide_the_last_page(tmp_path, capfd):
    path = tmp_path / "baddict.pdf"
    path.write_bytes(_pages_pdf(4, [f"{3 + i} 0 R" for i in range(4)], damaged={1}))
    pages = list(iter_pages(path))
    assert len(pages) == 4
    # pdfium loads the damaged page: read it; otherwise it is named. Page 4 is read either way.
    assert _bar_pages(pages)[0] == 1 and _bar_pages(pages)[2:] == [3, 4]
    assert pages[1].image is not None or "baddict.pdf, trang 2" in pages[1].error.message
    assert "Pages tree" not in capfd.readouterr().err


def test_declared_count_beyond_the_tree_still_gives_no_phantom_pages(tmp_path):
    path = tmp_path / "phantom.pdf"
    path.write_bytes(_pages_pdf(2, ["3 0 R", "4 0 R"], count=7))
    pages = list(iter_pages(path))
    assert _bar_pages(pages) == [1, 2] and all(p.error is None for p in pages)


def test_flat_broken_page_in_a_file_whose_page_tree_lost_an_entry_is_named_broken_not_blank(tmp_path):
    """qpdf dropped a /Kids entry, so its page list no longer lines up with pdfium's positions; a page that
    is drawn flat white because its image is missing from its resources must still be named broken:
    set aside as "blank", the sheet's answers would be lost without a word."""
    kids = [f"{3 + i} 0 R" for i in range(4)]
    kids[1] = "0 0 R"  # the entry qpdf drops
    pdf = _pages_pdf(4, kids)
    # Page 3 paints an image its /Resources do not hold: pdfium draws nothing, the page comes out white.
    pdf = pdf.replace(b"0 g 0 0 150 842 re f", b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    pdf = pdf_file([obj for obj in _objects(pdf)])
    path = tmp_path / "badkid-flat.pdf"
    path.write_bytes(pdf)
    pages = list(iter_pages(path))
    assert [p.index for p in pages] == [0, 1, 2, 3]
    assert pages[0].error is None and pages[3].error is None  # the good pages are read
    assert pages[1].error is not None  # the null entry
    flat = pages[2]
    assert flat.image is None and flat.error is not None, "a broken page drawn flat must not look like a blank page"
    assert "badkid-flat.pdf, trang 3" in flat.error.message and "hỏng" in flat.error.message
    # Plain words (not "trang ra một màu trong tệp có cây trang bị hỏng") and what to do.
    assert "cây trang" not in flat.error.message and "trang để trống hay trang mất nội dung" in flat.error.message
    assert "hãy quét lại tờ phiếu này" in flat.error.message


def _objects(pdf: bytes) -> list[bytes]:
    """The bodies of the numbered objects of a PDF written by ``pdf_file`` (to rewrite one and its offsets)."""
    import re

    return [m.group(1) for m in re.finditer(rb"\d+ 0 obj\n(.*?)\nendobj", pdf, re.S)]
