"""Shared fixtures. Tests never write into the repository's form_templates/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# The database fixtures (store_url, store, postgres_url) for every test module.
pytest_plugins = ["db_fixtures"]


@pytest.fixture(scope="session", autouse=True)
def run_folder(tmp_path_factory) -> Path:
    """A temporary folder shared by every pytest-xdist worker of this run (this process's own without xdist).

    Things expensive to build and the same for every worker are built there once, under a file lock:
    the office blanks converted to PDF by LibreOffice (tests/blank_sources.py).
    """
    import blank_sources

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    blank_sources.PDF_CACHE = shared / "office-pdf-cache"
    return shared


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def default_template_path(repo_root: Path) -> Path:
    """The shipped One-Stop Shop form (read only: copy it before changing anything)."""
    return repo_root / "form_templates" / "motcua-2026.yaml"


@pytest.fixture
def form_templates_copy(repo_root: Path, tmp_path: Path) -> Path:
    """A private copy of form_templates/ (templates and their frozen layouts/)."""
    dest = tmp_path / "form_templates"
    shutil.copytree(repo_root / "form_templates", dest)
    return dest


@pytest.fixture(scope="session")
def default_layout(default_template_path):
    from omr.forms.layout import resolve_layout
    from omr.forms.template import load_template

    template = load_template(default_template_path)
    return template, resolve_layout(template, freeze=False)


@pytest.fixture(scope="session")
def blanks(default_layout):
    """The printed blank pages of the default form, as the simulator renders them before any fill:
    {dpi: {page number: RGB uint8 (H, W, 3)}} at 200 and 300 dpi, read-only."""
    from omr.forms.simulate import _BlankPages

    _, layout = default_layout
    pages = {dpi: _BlankPages(layout, dpi).pages for dpi in (200, 300)}
    for by_number in pages.values():
        for image in by_number.values():
            image.flags.writeable = False  # shared by every test of a worker: draw on a copy
    return pages


@pytest.fixture(scope="session")
def clean_sheet(tmp_path_factory, default_layout, catalogue):
    """Pages 1 and 2 of one clean simulated sheet (grey uint8, 200 dpi) and how they read: (pages, reads)."""
    from omr.forms.simulate import simulate_batch
    from omr.scan.ingest import RawPage, iter_pages
    from omr.scan.page import process_page

    template, layout = default_layout
    folder = tmp_path_factory.mktemp("sheet")
    simulate_batch(template, layout, folder / "s.pdf", folder / "s.jsonl", count=1, seed=11, profile="clean")
    pages = [p.image for p in iter_pages(folder / "s.pdf")]
    reads = [process_page(RawPage("ref.png", i, g), catalogue) for i, g in enumerate(pages)]
    assert all(r.set_aside is None for r in reads)
    return pages, reads


@pytest.fixture(scope="session")
def catalogue(repo_root):
    from omr.scan.page import Catalogue

    return Catalogue.from_folder(repo_root / "form_templates")


@pytest.fixture(scope="session")
def office_batch(tmp_path_factory, default_layout):
    """Eight sheets through the office scanner profile: upside-down pages, a duplicate, a blank page."""
    from omr.forms.simulate import simulate_batch

    template, layout = default_layout
    folder = tmp_path_factory.mktemp("office")
    pdf, truth = folder / "scans.pdf", folder / "truth.jsonl"
    summary = simulate_batch(template, layout, pdf, truth, count=8, seed=5, profile="office")
    return pdf, truth, summary


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "store_backends(*names): the databases ('sqlite', 'postgres') a test taking store_url runs on; "
        "the closest mark wins (a test's own over its module's pytestmark). Tests whose store use is only "
        "plumbing take db_fixtures.SQLITE_ONLY; the store's SQL is tested on both.")


def pytest_collection_modifyitems(config, items):
    """Drop the store_url copies a ``store_backends`` mark leaves out (deselected, not skipped)."""
    kept, dropped = [], []
    for item in items:
        backend = getattr(getattr(item, "callspec", None), "params", {}).get("store_url")
        mark = item.get_closest_marker("store_backends")
        if backend is not None and mark is not None and backend not in mark.args:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_terminal_summary(terminalreporter):
    """Say plainly when the PostgreSQL half of the suite did not run."""
    skipped = terminalreporter.stats.get("skipped", [])
    unreachable = [r for r in skipped if "PostgreSQL unreachable" in str(r.longrepr)]
    if unreachable:
        terminalreporter.write_line(
            f"PostgreSQL: no server reachable, {len(unreachable)} PostgreSQL tests SKIPPED "
            "(set OMR_TEST_POSTGRES_URL, or run .ci/run, to include them)", yellow=True, bold=True)
