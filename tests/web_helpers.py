"""The web app in tests: a live waitress server, a logged-in test client (helper, not a test module)."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from waitress.server import create_server

# Where the browser tests leave their screenshots for a person to look at (README: outputs/ is not tracked).
SCREENSHOTS = Path(__file__).resolve().parent.parent / "outputs" / "test-screenshots"
# One id per test run: the same in every pytest-xdist worker of the run, else this process's own.
_RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
# Debian's chromium (`make test` installs it), driven headless by Playwright in every browser test.
CHROMIUM = os.environ.get("OMR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_chromium():
    """Playwright's sync API module, for a browser test module to import at its top.

    Skips the module when Playwright is not installed; fails it loudly (no quiet skip) when Debian's
    chromium is missing at ``CHROMIUM``, since `make test` and CI install it.
    """
    api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (installs the Debian package chromium)",
                    pytrace=False)
    return api


def screenshot_folder(sub: str = "") -> Path:
    """``outputs/test-screenshots/`` (or its folder ``sub``), emptied of an earlier run's shots.

    The browser test modules share the folder, and under pytest-xdist they run at the same time in
    different workers: the first of them in a run empties it (under a file lock, the run's id written in
    it), so no module deletes the shots another one is taking.
    """
    SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
    stamp = SCREENSHOTS / ".test-run"
    with open(SCREENSHOTS.parent / ".test-screenshots.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.is_file() or stamp.read_text() != _RUN_ID:
            shutil.rmtree(SCREENSHOTS, ignore_errors=True)
            SCREENSHOTS.mkdir()
            stamp.write_text(_RUN_ID)
    folder = SCREENSHOTS / sub
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def live_server(app, threads: int = 4):
    """``app`` served by waitress on a free port of 127.0.0.1 in a daemon thread; yields its base URL.

    On leaving: the server closed, then the app's background jobs and store."""
    httpd = create_server(app, host="127.0.0.1", port=0, threads=threads)
    closing = threading.Event()

    def run():
        try:
            httpd.run()
        except (OSError, ValueError):  # the socket closed under the loop when the test ends
            if not closing.is_set():
                raise

    threading.Thread(target=run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.effective_port}"
    finally:
        closing.set()
        httpd.task_dispatcher.shutdown()
        httpd.close()
        app.extensions["omr_jobs"].stop()
        app.extensions["omr_store"].close()


@contextmanager
def review_app(store_url: str, tmp_path: Path, repo_root: Path, catalogue, people: dict[str, tuple[str, str]],
               seed=None):
    """The review web app on ``store_url`` (jobs not started), with ``people`` (name -> (password, role))
    added and ``seed(store)`` run first; closed after. One set-up for the web tests' ``app`` fixtures."""
    from omr.data import users
    from omr.data.store import open_store
    from omr.web import create_app

    with open_store(store_url) as store:
        for name, (password, role) in people.items():
            users.add_user(store, name, password, role)
        if seed is not None:
            seed(store)
    application = create_app(store_url, uploads_dir=tmp_path / "uploads",
                             template_dir=repo_root / "form_templates", start_jobs=False, catalogue=catalogue)
    try:
        yield application
    finally:
        application.extensions["omr_jobs"].stop()
        application.extensions["omr_store"].close()


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the form on ``path``, as a browser would post it back."""
    page = client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def logged_in(app, name: str, password: str):
    """A Flask test client logged in as ``name`` (the login must succeed: a redirect)."""
    client = app.test_client()
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def crop_png(text: str, size: tuple[int, int] = (420, 60)) -> bytes:
    """A stand-in comment crop for the review app's tests: ``text`` drawn on white, PNG bytes."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("L", size, 255)
    ImageDraw.Draw(image).text((8, (size[1] - 20) // 2), text, fill=0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@contextmanager
def chromium_browser(sub: str, executable: str, args: list[str]):
    """Headless Chromium (Playwright) at ``executable`` with ``args``, for one browser test module; its
    screenshot folder ``sub`` (:func:`screenshot_folder`) emptied of an earlier run's shots first."""
    from playwright.sync_api import sync_playwright

    screenshot_folder(sub)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=args, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def logged_in_page(browser, url: str, name: str, password: str):
    """A new page of ``browser`` (1280 x 900 px, vi-VN, 20 s timeouts) logged in to the review app at ``url``
    as ``name``; its context closed after."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    opened.goto(url + "/login")
    opened.fill("input[name=name]", name)
    opened.fill("input[name=password]", password)
    with opened.expect_navigation():
        opened.click("main button[type=submit]")
    try:
        yield opened
    finally:
        context.close()
