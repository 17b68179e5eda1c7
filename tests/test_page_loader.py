"""A worker's page loader keeps a PDF open across its chunks of the same file (issue #18), and never
hands out a page under another page's number."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from omr import tuning as T
from omr.errors import InputFileError
from omr.scan import ingest
from omr.scan.ingest import PageLoader, iter_pages


def _numbered_pdf(path, pages: int):
    """A PDF of ``pages`` A4 greyscale JPEG scans at 100 dpi, page n darkened n levels (each image differs)."""
    images = [Image.fromarray(np.full((1169, 827), 250 - n, np.uint8)) for n in range(pages)]
    for n, image in enumerate(images):
        image.paste(0, (50 + 10 * n, 50, 60 + 10 * n, 60))  # a mark where only this page has one
    images[0].save(path, save_all=True, append_images=images[1:], resolution=100.0)
    return path


def test_a_worker_taking_every_other_chunk_opens_the_pdf_once_per_bound_and_gets_each_page(tmp_path, monkeypatch):
    pdf = _numbered_pdf(tmp_path / "scan.pdf", 40)
    truth = {page.index: page.sha256 for page in iter_pages(pdf)}
    assert len(set(truth.values())) == 40 and all(truth.values())  # 40 decoded pages, each its own
    opened = []
    real_open = ingest._open_pdf
    monkeypatch.setattr(ingest, "_open_pdf", lambda path: opened.append(path) or real_open(path))
    monkeypatch.setattr(T, "PDF_PAGES_PER_OPENING", 12)
    # Two workers, chunks of 8 pages: this one gets pages 0-7, 16-23, 32-39.
    mine = [i for start in range(0, 40, 16) for i in range(start, start + 8)]
    loader = PageLoader()
    got = [loader.load(pdf, i) for i in mine]
    loader.close()
    assert [(p.index, p.sha256) for p in got] == [(i, truth[i]) for i in mine]
    assert len(opened) == 2  # once, then once more after 12 pages read (memory bound), not once per chunk


def test_going_back_in_a_file_or_past_its_end(tmp_path):
    pdf = _numbered_pdf(tmp_path / "scan.pdf", 5)
    truth = {page.index: page.sha256 for page in iter_pages(pdf)}
    loader = PageLoader()
    assert [loader.load(pdf, i).sha256 for i in (3, 1, 4, 0)] == [truth[i] for i in (3, 1, 4, 0)]
    with pytest.raises(InputFileError, match="trang 8"):
        loader.load(pdf, 7)
    assert loader.load(pdf, 2).sha256 == truth[2]
    loader.close()
