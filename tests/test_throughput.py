"""Scanning at speed (issue #18) without losing or doubling anything.

Pages are stored several to a transaction, each page whole; pages are handed
to workers lazily, in runs; workers start only when there is work for them.
Speed and memory figures are in bench/speed.py, not here.
"""

from __future__ import annotations

import json
import shutil
import sys
from itertools import count

import numpy as np
import page_worker_tasks
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event as sa_event
from db_fixtures import PAGE1, PAGE2, file_sha, page_result, set_aside_result

from omr import tuning as T
from omr.data import schema
from omr.data import store as store_module
from omr.data.store import open_store
from omr.scan import batch as batch_module
from omr.scan.batch import run_scan
from omr.scan.page_workers import PageWorkers


def items(*results, size=1000, expected=2):
    return [(r.source.path, file_sha(r.source.path), size, r, expected) for r in results]


def snapshot(store) -> tuple:
    responses = sorted(({k: v for k, v in r.items() if k not in ("id", "created_at")} for r in store.responses()),
                       key=lambda r: (r["serial"], sorted(r["answers"].items())))
    return store.summary(), responses


# --- the store: several pages per transaction ---------------------------------------------------

def test_pages_stored_together_are_all_or_nothing(store, monkeypatch):
    batch = store.ensure_batch("Đợt 1")
    pages = items(page_result(1, 1, PAGE1, index=0), page_result(1, 2, PAGE2, index=1),
                  page_result(2, 1, PAGE1, index=2))
    calls = count()
    real = store_module.Store._write_answers

    def dies_on_the_third_page(*args, **kwargs):
        if next(calls) == 2:
            raise RuntimeError("killed while writing the third page")
        return real(*args, **kwargs)

    monkeypatch.setattr(store_module.Store, "_write_answers", staticmethod(dies_on_the_third_page))
    with pytest.raises(RuntimeError):
        store.record_pages(batch, pages)
    monkeypatch.undo()
    # Not the first two pages either: a transaction holds whole pages, all of them or none.
    assert store.summary()["pages"] == 0 and list(store.responses()) == []
    assert not any(store.page_done(file_sha("scan-a.pdf"), i) for i in range(3))

    assert store.record_pages(batch, pages) == ["new", "new", "new"]
    summary = store.summary()
    assert (summary["pages"], summary["responses"], summary["responses_complete"]) == (3, 2, 1)


def test_pages_in_one_transaction_see_each_other(store):
    """A sheet's two pages, a rescan of page 1 and the same page again, all in one transaction."""
    batch = store.ensure_batch("Đợt 1")
    first = page_result(4, 1, PAGE1, index=0)
    rescan = page_result(4, 1, PAGE1, path="scan-b.pdf", index=0)
    outcomes = store.record_pages(batch, items(first, page_result(4, 2, PAGE2, index=1), rescan, first,
                                               set_aside_result("blank", index=2)))
    assert outcomes == ["new", "new", "rescan", "already", "set_aside"]
    summary = store.summary()
    assert (summary["pages"], summary["responses"], summary["responses_complete"]) == (4, 1, 1)


def test_a_page_without_identity_stops_the_group_before_anything_is_written(store):
    batch = store.ensure_batch("Đợt 1")
    broken = page_result(5, 1, PAGE1, index=1)
    broken.serial = None
    with pytest.raises(ValueError):
        store.record_pages(batch, items(page_result(5, 2, PAGE2, index=0), broken))
    assert store.summary()["pages"] == 0


# --- the batch: interrupted, resumed, nothing lost or counted twice --------------------------------

def test_a_scan_stopped_between_transactions_resumes_to_the_same_data(office_batch, tmp_path, monkeypatch):
    # One worker: pages arrive in file order, so which copy of the batch's duplicate sheet is the
    # rescan is the same in both runs.
    pdf, _truth, _summary = office_batch
    monkeypatch.setattr(T, "STORE_PAGES_PER_TRANSACTION", 3)
    # Transactions of 3 pages, never fewer: on a loaded machine a page can take longer than the
    # oldest page may wait, and a commit of 2 made this test fail though nothing was lost.
    monkeypatch.setattr(T, "STORE_MAX_SECONDS_UNCOMMITTED", 1e6)
    with open_store(str(tmp_path / "whole.sqlite")) as whole:
        clean = run_scan([str(pdf)], whole, "Đợt 1", workers=1)
        expected = snapshot(whole)
    assert clean.pages_seen == expected[0]["pages"] > 6

    stored = []

    def stop_after_the_first_transaction(pages: int) -> None:
        stored.append(pages)
        raise KeyboardInterrupt  # the operator's Ctrl-C, as the first pages are committed

    with open_store(str(tmp_path / "stopped.sqlite")) as stopped:
        with pytest.raises(KeyboardInterrupt):
            run_scan([str(pdf)], stopped, "Đợt 1", workers=1, progress=stop_after_the_first_transaction)
        kept = stopped.summary()["pages"]
        assert stored == [1] and 3 <= kept < clean.pages_seen  # whole transactions only
        resumed = run_scan([str(pdf)], stopped, "Đợt 1", workers=1)
        assert resumed.pages_skipped_done == kept
        assert sum(resumed.outcomes.values()) == clean.pages_seen - kept
        assert snapshot(stopped) == expected


def test_a_file_named_twice_is_read_once(office_batch, tmp_path):
    pdf, _truth, _summary = office_batch
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(pdf, folder / "a.pdf")
    with open_store(str(tmp_path / "omr.sqlite")) as store:
        report = run_scan([str(folder), str(folder / "a.pdf")], store, "Đợt 1", workers=2)
        assert report.pages_seen == store.summary()["pages"]
        assert report.outcomes["already"] == 0 and not report.file_errors


# --- workers: lazy hand-out, started as needed ---------------------------------------------------------

def test_runs_are_drawn_only_as_workers_free_up():
    drawn = []

    def runs():
        for n in range(200):
            drawn.append(n)
            yield [f"page{n}"]

    pool = PageWorkers(2, page_worker_tasks.init, ("x",), page_worker_tasks.task, seconds_per_task=30)
    outcomes = pool.map(runs())
    try:
        first = next(outcomes)
        assert first[1] == first[0].upper()
        assert len(drawn) <= 2 * T.RUNS_AHEAD_PER_WORKER + 1  # the runs in flight and the next, not the batch
    finally:
        outcomes.close()
    assert len(drawn) < 200


def test_workers_start_only_when_there_is_a_run_for_them(monkeypatch):
    started = []
    real = PageWorkers._start

    def counted(self):
        started.append(1)
        return real(self)

    monkeypatch.setattr(PageWorkers, "_start", counted)
    pool = PageWorkers(4, page_worker_tasks.init, ("x",), page_worker_tasks.task, seconds_per_task=30)
    assert dict(pool.map(iter([["a", "b", "c"]]))) == {"a": "A", "b": "B", "c": "C"}
    assert len(started) == 1


def test_consecutive_pages_go_out_in_bounded_runs():
    tasks = [("a.pdf", i) for i in range(20)] + [("b.pdf", 0), ("b.pdf", 2)]
    runs = list(batch_module._runs(iter(tasks), size=8))
    assert [len(r) for r in runs] == [8, 8, 4, 1, 1]
    assert [t for r in runs for t in r] == tasks


# --- decoding at the resolution the reading needs --------------------------------------------------

@pytest.mark.parametrize("dpi, factor", [(150, 1), (200, 1), (300, 1), (400, 1), (600, 2), (1200, 4), (2400, 8)])
def test_jpeg_reduction_keeps_what_the_comment_crops_need(dpi, factor):
    from omr.scan.ingest import jpeg_reduction

    assert jpeg_reduction(dpi / 25.4) == factor
    assert dpi / 25.4 / factor >= min(T.DECODE_MIN_PX_PER_MM, dpi / 25.4)


@pytest.fixture(scope="module")
def sheet_600dpi(tmp_path_factory, default_layout):
    """One sheet scanned at 600 dpi into a JPEG PDF, and its page 1 as a JPEG file of its own."""
    import io

    import pikepdf
    from PIL import Image

    from omr.forms.simulate import simulate_batch

    template, layout = default_layout
    folder = tmp_path_factory.mktemp("hidpi")
    pdf, truth = folder / "600dpi.pdf", folder / "truth.jsonl"
    simulate_batch(template, layout, pdf, truth, count=1, seed=3, dpi=600, profile="clean")
    with pikepdf.open(pdf) as doc:
        image = next(iter(doc.pages[0].get_images().values()))
        assert image.Filter == "/DCTDecode"
        page1 = Image.open(io.BytesIO(image.read_raw_bytes()))
    # As a scanner saves it (600 dpi declared), and as a phone would (72 dpi: paper size unknown).
    page1.save(folder / "page1-600dpi.jpg", quality=95, dpi=(600, 600))
    page1.save(folder / "page1-72dpi.jpg", quality=95, dpi=(72, 72))
    return pdf, folder, [json.loads(line) for line in truth.read_text().splitlines()][0]


def _read_all(path, catalogue):
    from omr.scan.ingest import iter_pages
    from omr.scan.page import process_page

    return [(raw.image.shape, process_page(raw, catalogue)) for raw in iter_pages(path)]


def test_a_600_dpi_scan_is_decoded_at_half_size_and_read_right(sheet_600dpi):
    from omr.scan.page import Catalogue

    pdf, folder, truth = sheet_600dpi
    catalogue = Catalogue.from_folder("form_templates")
    pages = _read_all(pdf, catalogue) + _read_all(folder / "page1-600dpi.jpg", catalogue)
    whole = _read_all(folder / "page1-72dpi.jpg", catalogue)
    assert len(pages) == 3 and len(whole) == 1
    assert whole[0][0] == (7016, 4961)  # a photo's paper size is unknown: decoded whole
    for shape, result in pages + whole:
        if shape != (7016, 4961):
            # 600 dpi A4 is 7016 px tall: half of it is 300 dpi, still above every stage's grid.
            assert abs(shape[0] - 3508) <= 2 and abs(shape[1] - 2481) <= 2
        assert result.set_aside is None and result.serial == truth["serial"]
        for q in result.questions:
            assert (q.value, q.status) == (truth["answers"][q.question], "ok" if q.value else "blank"), q.question
    written = {c.field: c.inked for _, r in pages for c in r.comments}
    assert written == {f: truth["answers"].get(f) is not None for f in written}


# --- memory flat in the batch size ---------------------------------------------------------------

def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_reading_a_long_pdf_front_to_back_keeps_memory_flat(tmp_path):
    """One worker reads a whole file in order: its memory must not grow with the pages read."""
    from PIL import Image

    from omr.scan.ingest import iter_pages

    rng = np.random.default_rng(18)
    # Noise compresses badly: each page is a ~1 MB JPEG stream of its own, like a grey office scan.
    pages = [Image.fromarray(rng.integers(0, 256, (1100, 800), dtype=np.uint8)) for _ in range(4)]
    pdf = tmp_path / "long.pdf"
    pages[0].save(pdf, save_all=True, append_images=[pages[i % 4] for i in range(1, 120)], resolution=100,
                  quality=92)
    assert pdf.stat().st_size > 80 * 1024 ** 2
    seen = {}
    for raw in iter_pages(pdf):
        assert raw.image is not None and raw.stream_sha256  # the fast path: the JPEG decoded directly
        if raw.index in (T.PDF_PAGES_PER_OPENING, 119):
            seen[raw.index] = _rss_mib()
    # Kept streams would be ~64 MB more at page 119 than at page 32; a re-opened document stays level.
    assert seen[119] - seen[T.PDF_PAGES_PER_OPENING] < 40, seen


@pytest.mark.parametrize("q", [0, 0.5, 50, 90, 99, 100])
def test_grey_percentile_from_the_histogram_is_numpys(q):
    """Issue #18: the lighting and blank tests take percentiles from the histogram; same values as NumPy's."""
    from omr.scan.lighting import grey_percentile

    rng = np.random.default_rng(int(q * 10))
    images = [np.clip(rng.normal(225, 25, (300, 200)), 0, 255).astype(np.uint8),  # paper and noise
              rng.integers(0, 256, (7, 5), dtype=np.uint8),  # few pixels: levels differ around the rank
              np.full((40, 30), 17, np.uint8), np.array([[0, 255]], np.uint8),
              np.repeat(np.arange(256, dtype=np.uint8), 3)[None, :]]
    for image in images:
        assert grey_percentile(image, q) == float(np.percentile(image, q))



@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 255), st.integers(1, 400)), min_size=1, max_size=6),
       st.integers(-2, 2), st.integers(0, 10 ** 6), st.sampled_from([1, 3, 17]))
def test_grey_percentile_by_counts_at_its_bounds_is_numpys(runs, nudge, seed, width):
    """Issue #18: grey_percentile finds its order statistics' level by counting pixels above levels (stepping
    down from the brightest, then halving), not from a histogram. On piecewise flat images (the lighting's
    closed paper estimate) with q put where NumPy's rank sits on a run's last pixel, one either side or two
    (where the order statistics around it straddle two levels and NumPy must interpolate), its value is
    NumPy's own."""
    from omr.scan.lighting import grey_percentile

    rng = np.random.default_rng(seed)
    pixels = np.concatenate([np.full(count, level, np.uint8) for level, count in runs])
    pixels = np.concatenate([pixels, np.full((-len(pixels)) % width, runs[0][0], np.uint8)])
    image = rng.permutation(pixels).reshape(-1, width)
    n = image.size
    if n < 4:
        return
    boundary = int(np.cumsum([c for _, c in runs])[int(rng.integers(len(runs)))]) - 1
    rank = min(max(boundary + nudge, 0), n - 1)
    for q in (100 * rank / (n - 1), 99.0, 90.0, 0.0, 100.0):
        assert grey_percentile(image, q) == float(np.percentile(image, q)), (q, runs)

# --- the store's statements a page (issue #18: the storing process caps 2 workers) ----------------

def _statements(store) -> list[str]:
    """The SQL statements the store's engine runs from now on (executemany counted once)."""
    seen: list[str] = []
    sa_event.listen(store._engine, "before_cursor_execute",
                    lambda _conn, _cursor, statement, *_rest: seen.append(statement))
    return seen


def test_storing_a_sheets_marked_pages_takes_few_statements(store):
    """Two-page sheets with marks, as a scan stores them (16 pages a transaction): each page is
    looked up, inserted and joined, with no question asked twice and no update that changes nothing."""
    batch = store.ensure_batch("Đợt 1")
    pages = []
    for serial in range(1, 9):
        pages += [page_result(serial, 1, PAGE1, index=2 * serial), page_result(serial, 2, PAGE2, index=2 * serial + 1)]
    seen = _statements(store)
    assert store.record_pages(batch, items(*pages)) == ["new"] * 16
    # PostgreSQL takes the sheet's advisory lock too: one statement more a page.
    per_page = len(seen) / 16 - (store._engine.dialect.name == "postgresql")
    # Before: 8.4 a page on SQLite (the response missing the page asked twice, its flags and every
    # joined page's detail read back for the no-answers check, pages_expected set again on every page 2).
    assert per_page <= 6, f"{per_page:.2f} statements a page:\n" + "\n".join(seen)
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in seen), seen


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, 3), st.integers(1, 2), st.booleans()), min_size=1, max_size=9),
       st.integers(1, 4))
def test_a_sheet_is_flagged_without_answers_exactly_when_all_its_pages_are_in_and_unmarked(
        tmp_path_factory, pages, chunk):
    """Whatever the order, the repeats (rescans, conflicting copies) and the transactions' sizes:
    ``no_answers`` is on a paper sheet exactly when its every page is joined and none has a mark."""
    results = []
    for n, (serial, page, marked) in enumerate(pages):
        result = page_result(serial, page, (PAGE1 if page == 1 else PAGE2) if marked else {}, index=n)
        if not marked:
            result.detail = "no_marks; mostly_blank" if n % 2 else "no_marks"
        results.append(result)
    with open_store(str(tmp_path_factory.mktemp("flags") / "s.sqlite")) as store:
        batch = store.ensure_batch("Đợt 1")
        for start in range(0, len(results), chunk):
            store.record_pages(batch, items(*results[start:start + chunk]))
        with store.reading() as conn:
            joined = conn.execute(sa.select(schema.response_pages.c.response_id, schema.response_pages.c.page_number,
                                            schema.pages.c.detail)
                                  .join(schema.pages, schema.pages.c.id == schema.response_pages.c.page_id)).all()
            flags = dict(conn.execute(sa.select(schema.responses.c.id, schema.responses.c.flags)).all())
    by_response: dict[int, list] = {}
    for response_id, number, detail in joined:
        by_response.setdefault(response_id, []).append((number, detail))
    for response_id, flag_text in flags.items():
        mine = by_response.get(response_id, [])
        empty = (len({n for n, _ in mine}) >= 2
                 and all(d and d.split("; ")[0] == "no_marks" for _, d in mine))
        assert ("no_answers" in flag_text.split(",")) == empty, (response_id, mine, flag_text)
