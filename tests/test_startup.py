"""`omr scan` starts in well under a second (issue #18): the process that hands pages out
and stores them loads neither the page reader nor Alembic, and what it does instead of
them gives the same answers."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import sqlalchemy as sa

from omr.data import migrate
from omr.data.store import open_store
from omr.errors import PageError
from omr.scan import batch as batch_module
from omr.scan.ingest import RawPage
from omr.scan.page import Catalogue, process_page
from omr.scan.page_workers import ByName, Failure

# Heavy modules the parent of `omr scan` has no use for (the fork server and workers load them); NumPy
# alone costs the parent ~0.1 s CPU at start-up (issue #18).
READING_ONLY = ("cv2", "omr.scan.page", "omr.scan.read", "omr.scan.comments", "omr.scan.ocr",
                "omr.scan.batch_worker", "alembic", "tqdm", "numpy")


def test_the_scan_parent_does_not_load_the_reader_alembic_or_tqdm(repo_root, tmp_path):
    # An existing database at the newest revision, as on an office's scanning PC the second day.
    open_store(str(tmp_path / "omr.sqlite")).close()
    code = ("import sys\n"
            "import omr.cli, omr.data.store, omr.scan.batch\n"
            "from omr.scan.catalogue import Catalogue\n"
            f"omr.data.store.open_store({str(tmp_path / 'omr.sqlite')!r}).close()\n"
            f"Catalogue.from_folder({str(repo_root / 'form_templates')!r})\n"
            f"print(sorted(m for m in {READING_ONLY!r} if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo_root)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_a_whole_scan_stores_pages_without_loading_the_reader_or_opencv(default_layout, repo_root, tmp_path):
    # The parent of a real `omr scan` (2 workers) unpickles every page's result, its comment fields included,
    # stores it, checks it against stored pages and counts the review queue: none of that needs the reader.
    # (Written comments are drafted in the parent once the marks are in: that loads the reader, and is not
    # start-up; this sheet's comment fields are left empty.)
    from omr.forms.simulate import simulate_batch

    template, layout = default_layout
    pdf = tmp_path / "scan.pdf"
    simulate_batch(template, layout, pdf, tmp_path / "truth.jsonl", count=1, seed=3, profile="clean",
                   comment_share=0.0)
    code = ("import sys\n"
            "from omr.cli import main\n"
            f"code = main(['scan', {str(pdf)!r}, '--db', {str(tmp_path / 'omr.sqlite')!r}, '--batch', 'b', "
            "'--workers', '2'])\n"
            f"print('LOADED', sorted(m for m in {READING_ONLY!r} if m in sys.modules), code)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "Phiếu trong cơ sở dữ liệu: 1, đủ trang: 1" in out.stdout, out.stdout + out.stderr  # both pages read
    loaded = [line for line in out.stdout.splitlines() if line.startswith("LOADED")]
    assert loaded == ["LOADED [] 0"], out.stdout + out.stderr
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'omr.sqlite'}")
    with engine.connect() as conn:  # the comment fields came through: unpickled without omr.scan.comments
        assert conn.exec_driver_sql("SELECT count(*) FROM comments").scalar() >= 1
    engine.dispose()


def test_a_worker_forked_from_the_fork_server_reads_pages_without_loading_anything(default_layout, repo_root,
                                                                                   tmp_path):
    # Each page worker is forked from the fork server, which imports omr.scan.batch.WORKER_PRELOAD once. What a
    # page loads on first use (the PDF libraries, the QR decoder, the drawing of the form's print and its fonts)
    # loaded again in every worker, ~0.3 s CPU at each worker's first page (issue #18): both pages of a sheet
    # with written comments now load no module the preload had not.
    from omr.forms.simulate import simulate_batch

    template, layout = default_layout
    pdf = tmp_path / "scan.pdf"
    simulate_batch(template, layout, pdf, tmp_path / "truth.jsonl", count=1, seed=5, profile="office",
                   comment_share=1.0)
    code = ("import importlib, sys\n"
            f"for name in {batch_module.WORKER_PRELOAD!r}:\n"
            "    importlib.import_module(name)\n"
            "from omr.scan import batch_worker\n"
            "from omr.scan.catalogue import Catalogue\n"
            "from omr.forms.fonts import register_fonts\n"
            "before = set(sys.modules)\n"
            "fonts_parsed = register_fonts.cache_info().currsize\n"
            f"batch_worker.init_worker(Catalogue.from_folder({str(repo_root / 'form_templates')!r}), True)\n"
            f"pages = [batch_worker.read_task(({str(pdf)!r}, i)) for i in range(2)]\n"
            "import json\n"
            "print(json.dumps({'read': [(r.page, r.set_aside, sum(c.inked for c in r.comments)) for p in pages for r in p],\n"
            "                  'fonts_parsed_before': fonts_parsed, 'loaded': sorted(set(sys.modules) - before)}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo_root)
    seen = json.loads(out.stdout.splitlines()[-1])
    (page1, aside1, _), (page2, aside2, inked2) = seen["read"]
    assert (page1, aside1, page2, aside2) == (1, None, 2, None) and inked2 >= 1, seen  # both read, comments too
    assert seen["fonts_parsed_before"] == 1, seen
    assert seen["loaded"] == [], seen


def test_omr_help_and_a_mistyped_option_load_no_heavy_library(repo_root):
    code = ("import sys\n"
            "from omr.cli import main\n"
            "for argv in (['--help'], ['scan', '--no-such-option'], ['export', '--help']):\n"
            "    try:\n"
            "        main(argv)\n"
            "    except SystemExit:\n"
            "        pass\n"
            "print('LOADED', sorted(m for m in ('numpy', 'cv2', 'sqlalchemy', 'yaml', 'PIL', 'pandas') "
            "if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo_root)
    assert out.stdout.splitlines()[-1] == "LOADED []", out.stdout + out.stderr


def test_the_newest_revision_read_from_the_files_is_alembics():
    assert migrate.head_revision() == migrate.scripts().get_current_head()


def test_the_stamped_revision_read_without_alembic_is_alembics(tmp_path):
    from alembic.runtime.migration import MigrationContext

    store = open_store(str(tmp_path / "omr.sqlite"))
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'omr.sqlite'}")
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == MigrationContext.configure(conn).get_current_revision() \
            == migrate.head_revision()
        conn.exec_driver_sql("DELETE FROM alembic_version")
        assert migrate.current_revision(conn) is None  # an emptied table: as Alembic says, no revision
    engine.dispose()
    store.close()
    fresh = sa.create_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with fresh.connect() as conn:
        assert migrate.current_revision(conn) is None
    fresh.dispose()


def test_a_page_whose_reader_died_is_set_aside_as_the_reader_would(repo_root):
    catalogue = Catalogue.from_folder(repo_root / "form_templates")
    failure = Failure("crashed", "chương trình đọc trang bị dừng đột ngột")
    built = batch_module._failed_page(("scan.pdf", 4), failure)
    read = process_page(RawPage("scan.pdf", 4, None, PageError(f"scan.pdf, trang 5: {failure.message}")), catalogue)
    assert built == read
    assert built.set_aside == "unreadable" and "trang 5" in built.detail and built.questions == []


def test_a_function_named_to_a_worker_pickles_as_a_name_and_runs():
    named = pickle.loads(pickle.dumps(ByName("numpy", "add")))
    assert named == ByName("numpy", "add")
    assert named(np.int64(2), 3) == 5


def test_a_new_database_is_stamped_as_alembic_stamps_it(tmp_path):
    from alembic.runtime.migration import MigrationContext

    open_store(str(tmp_path / "ours.sqlite")).close()
    theirs = sa.create_engine(f"sqlite:///{tmp_path / 'theirs.sqlite'}")
    with theirs.begin() as conn:
        MigrationContext.configure(conn).stamp(migrate.scripts(), migrate.head_revision())
    theirs.dispose()

    def version_table(name: str) -> tuple:
        engine = sa.create_engine(f"sqlite:///{tmp_path / name}")
        with engine.connect() as conn:
            ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'alembic_version'").scalar()
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
            alembic_reads = MigrationContext.configure(conn).get_current_revision()
        engine.dispose()
        return ddl, rows, alembic_reads

    assert version_table("ours.sqlite") == version_table("theirs.sqlite")
    assert version_table("ours.sqlite")[2] == migrate.head_revision()
