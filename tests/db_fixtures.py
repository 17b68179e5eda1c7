"""Fixtures and builders for the store and export tests.

conftest.py registers this module as a plugin, so ``store_url``, ``store`` and
``postgres_url`` are available to every test; builders are imported. Every store test runs twice: on an
SQLite file and on PostgreSQL, each PostgreSQL test in a schema of its own
that is dropped afterwards, unless it is marked ``SQLITE_ONLY`` (its store is plumbing, not what it tests).
"""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest
import sqlalchemy as sa

from omr.data.schema import pages
from omr.data.store import database_url, open_store
from omr.model import AMBIGUOUS, BLANK, EMPTY, MARKED, OK, BoxRead, PageResult, PageSource, QuestionRead

POSTGRES_DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


# For tests (or modules, as ``pytestmark``) that use a store only as plumbing (a web app's users, a scan's
# destination) while what they check is not the store's SQL: they run on SQLite alone. The SQL itself is
# tested on both databases (test_store, test_page_join, test_review, test_migrations...).
SQLITE_ONLY = pytest.mark.store_backends("sqlite")
BOTH_BACKENDS = pytest.mark.store_backends("sqlite", "postgres")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL; skips (or fails, under OMR_REQUIRE_POSTGRES=1) when it is down."""
    url = os.environ.get("OMR_TEST_POSTGRES_URL", POSTGRES_DEFAULT_URL)
    engine = sa.create_engine(database_url(url), connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as exc:
        if os.environ.get("OMR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL unreachable at {database_url(url).render_as_string()}: {exc.orig}")
        pytest.skip("PostgreSQL unreachable")
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """A URL for an empty database: an SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "db" / "omr.sqlite")
        return
    base = database_url(request.getfixturevalue("postgres_url"))
    schema = f"omr_test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        # search_path makes every unqualified table name land in the test's schema.
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(store_url):
    with open_store(store_url) as opened:
        yield opened


@pytest.fixture
def quick_hashes(monkeypatch):
    """Argon2id at its smallest cost, for tests that log in dozens of times (the real cost is ~0.1 s each)."""
    from argon2 import PasswordHasher

    from omr.data import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def file_sha(path: str) -> str:
    """A stand-in content hash: one per file name, as if each file had its own content."""
    return hashlib.sha256(path.encode()).hexdigest()


def page_result(serial: int, page: int, answers: dict[str, object], *, path: str = "scan-a.pdf",
                index: int = 0, form_id: str = "motcua-2026", version: int = 1, unit: str | None = "30001",
                statuses: dict[str, str] | None = None) -> PageResult:
    """A read page as the reader would return it.

    ``answers`` maps question -> code, list of codes, ISO date or None; each
    chosen code gets a marked box and an unanswered question one empty box.
    ``statuses`` overrides the status of some questions (default ok, or blank
    for None).
    """
    statuses = statuses or {}
    boxes, questions = [], []
    for qid, value in answers.items():
        codes = [] if value is None else value if isinstance(value, list) else [value]
        for code in codes:
            boxes.append(BoxRead(qid, str(code), MARKED, 0.4, 0.8, 0.95, 10.0, 20.0, 5.0, 5.0))
        if not codes:
            boxes.append(BoxRead(qid, "1", EMPTY, 0.0, 0.0, 0.99, 10.0, 20.0, 5.0, 5.0))
        status = statuses.get(qid, BLANK if value is None else OK)
        questions.append(QuestionRead(qid, value, status, 0.5 if status == AMBIGUOUS else 0.95))
    return PageResult(
        source=PageSource(path, index, hashlib.sha256(f"{path}#{index}".encode()).hexdigest()),
        form_id=form_id, version=version, page=page, serial=serial, unit=unit,
        alignment_mm=0.2, homography=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        boxes=boxes, questions=questions)


def set_aside_result(reason: str, *, path: str = "scan-a.pdf", index: int = 0) -> PageResult:
    return PageResult(source=PageSource(path, index, hashlib.sha256(f"{path}#{index}".encode()).hexdigest()),
                      set_aside=reason, detail="test")


def record(store, batch_id: int, result: PageResult, pages_expected: int | None = 2) -> str:
    path = result.source.path
    return store.record_page(batch_id, path, file_sha(path), 1000, result, pages_expected=pages_expected)


# A page 1 and a page 2 of the default form, as dictionaries of answers.
PAGE1 = {"A1": "2026-03-05", "A2": "1", "A3": "2", "B1": "5", "B2": "4", "C1": "KYK"}
PAGE2 = {"D1": "5", "E1": "2", "H1": "4", "H2": "N"}


def with_ink(result: PageResult, seed: int, rescan: int = 0) -> PageResult:
    """``result`` as a page of a form without serials: its ink print and inked boxes (omr.scan.duplicates).

    Each box and frame holds a stroke drawn from ``seed`` (one respondent's hand); ``rescan`` > 0 adds
    scanner noise and a slight shift, as the same paper scanned again gives.
    """
    import numpy as np

    from omr.scan.duplicates import marks_key
    from omr.scan.ink_prints import ink_print

    class _Ink:
        def __init__(self):
            self.n = 0

        def region_mm(self, x, y, w, h):
            self.n += 1
            rng = np.random.default_rng([seed, self.n])
            size = 40
            ink = np.zeros((size, size), np.float32)
            a, b = rng.integers(4, size - 4, 2), rng.integers(4, size - 4, 2)
            for t in np.linspace(0.0, 1.0, 80):
                px, py = (a + (b - a) * t).astype(int)
                ink[max(py - 2, 0):py + 2, max(px - 2, 0):px + 2] = 0.9
            if rescan:
                noise = np.random.default_rng([seed, self.n, rescan])
                ink = np.roll(ink, 1, axis=1) + noise.normal(0, 0.03, ink.shape).astype(np.float32)
            return np.clip(ink, 0, 1)

    result.ink_print = ink_print(_Ink(), result.boxes, [])
    result.marks_key = marks_key(result.boxes)
    return result


def qr_unreadable_page(store, serial: int) -> int:
    """Record page 1 of sheet ``serial`` (``s<serial>.pdf``) with its QR code unreadable, in the store's
    first batch: set aside, its boxes read, waiting for a reviewer to assign it. Returns its pages.id."""
    with store.reading() as conn:
        batch_id = conn.execute(sa.select(sa.func.min(pages.c.batch_id))).scalar()
    result = page_result(serial, 1, PAGE1, path=f"s{serial}.pdf", unit=None)
    result.set_aside, result.detail, result.serial = "qr_unreadable", f"s{serial}.pdf, trang 1: mã QR bị che", None
    record(store, batch_id, result)
    with store.reading() as conn:
        return conn.execute(sa.select(sa.func.max(pages.c.id))).scalar()
