"""The review app attacked as a colleague on the office network would: against a running waitress server.

Each test starts the real WSGI server (waitress, 8 threads, as `omr review serve`) on a free port of
127.0.0.1 and talks HTTP to it with raw requests, keeping cookies by hand, so saved cookies can be
replayed and headers forged.
"""

from __future__ import annotations

import http.client
import io
import os
import re
import stat
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, page_result, record

from omr.data import users
from omr.data.schema import changes, comments, pages
from omr.data.store import open_store
from omr.errors import BadArgumentsError
from omr.model import AMBIGUOUS
from omr.web import create_app

PASSWORDS = {"quan": "ca-phe sua da Ben Tre 7", "lan": "lan-kiem-tra-phieu-dong-thap", "thu": "thu-quet-phieu-ca-ngay"}
ROLES = {"quan": "admin", "lan": "reviewer", "thu": "scanner"}


# Argon2id at its smallest cost (db_fixtures.quick_hashes): these tests log in dozens of times.
pytestmark = pytest.mark.usefixtures("quick_hashes")


def _fill(url: str, *, must_change: bool = False) -> None:
    with open_store(url) as store:
        for name, role in ROLES.items():
            users.add_user(store, name, PASSWORDS[name], role, must_change_password=must_change)
        batch = store.ensure_batch("dot-bao-mat")
        record(store, batch, page_result(1, 1, PAGE1, path="s1.pdf", statuses={"B1": AMBIGUOUS}))
        record(store, batch, page_result(1, 2, PAGE2, path="s1.pdf", index=1))


class Server:
    """waitress serving the app on 127.0.0.1:<free port> in a thread."""

    def __init__(self, app, behind_proxy: bool = False):
        from omr.web import create_waitress_server

        self.app = app
        # as omr.web.serve starts it
        self.server = create_waitress_server(app, host="127.0.0.1", port=0, behind_proxy=behind_proxy)
        self.port = self.server.effective_port
        self.closing = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            self.server.run()
        except (OSError, ValueError):
            if not self.closing:  # closing the socket under the loop ends it this way
                raise

    def close(self):
        self.closing = True
        self.server.task_dispatcher.shutdown()
        self.server.close()
        self.thread.join(5)
        self.app.extensions["omr_jobs"].stop()
        self.app.extensions["omr_store"].close()


class Browser:
    """HTTP over one server with its own cookie jar; never follows redirects."""

    def __init__(self, port: int, headers: dict | None = None):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.headers = headers or {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = "&".join(f"{quote(k)}={quote(str(v))}" for k, v in form.items())
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if "expires=thu, 01 jan 1970" in value.lower() or cookie_value == "":
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = cookie_value
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def token(self, path: str = "/login") -> str:
        _, _, body = self.request("GET", path)
        return re.search(r'name="csrf_token" value="([^"]+)"', body.decode()).group(1)

    def login(self, name: str, password: str | None = None, next_path: str | None = None):
        token = self.token()
        path = "/login" + (f"?next={next_path}" if next_path is not None else "")
        return self.request("POST", path, {"name": name, "password": password or PASSWORDS[name],
                                           "csrf_token": token})


@pytest.fixture
def db_url(tmp_path):
    url = str(tmp_path / "db" / "omr.sqlite")
    _fill(url)
    return url


def _serve(db_url, tmp_path, repo_root, catalogue, **options) -> Server:
    app = create_app(db_url, uploads_dir=tmp_path / "uploads", template_dir=repo_root / "form_templates",
                     start_jobs=False, catalogue=catalogue, **options)
    return Server(app, options.get("behind_proxy", False))


@pytest.fixture
def server(db_url, tmp_path, repo_root, catalogue):
    running = _serve(db_url, tmp_path, repo_root, catalogue)
    yield running
    running.close()


# --- logins ---------------------------------------------------------------------------------------

def test_forty_wrong_passwords_in_parallel_lock_the_account_even_for_the_right_one(server):
    def guess(i):
        return Browser(server.port).login("quan", f"doan-mat-khau-{i}")[0]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(guess, range(40)))
    # Exactly five guesses were checked, across the server's eight threads; the rest were refused unchecked.
    assert answers.count(401) == 5 and answers.count(429) == 35, answers
    status, headers, body = Browser(server.port).login("quan")
    assert status == 429 and int(headers["retry-after"]) > 0
    assert "Đăng nhập sai quá nhiều lần" in body.decode()
    # Another account is not locked by guesses at this one.
    assert Browser(server.port).login("lan")[0] == 302


def test_guessing_many_names_from_one_address_is_throttled(server):
    statuses = [Browser(server.port).login(f"nguoi{i}", "sai-mat-khau-roi")[0] for i in range(20)]
    assert statuses == [401] * 20
    # The 21st try from this address is refused, even with a real account and its right password.
    assert Browser(server.port).login("lan")[0] == 429
    # A forged X-Forwarded-For does not help when the server is not behind a proxy.
    forged = Browser(server.port, {"X-Forwarded-For": "10.9.8.7"})
    assert forged.login("lan")[0] == 429


def test_behind_a_proxy_a_guesser_elsewhere_cannot_lock_the_user_out(db_url, tmp_path, repo_root, catalogue):
    proxied = _serve(db_url, tmp_path, repo_root, catalogue, behind_proxy=True)
    try:
        guesser = {"X-Forwarded-For": "10.0.0.66"}
        results = [Browser(proxied.port, guesser).login("quan", f"sai-{i}-quan")[0] for i in range(8)]
        assert results == [401] * 5 + [429] * 3
        # The guesser is locked out of that name, the right password included ...
        assert Browser(proxied.port, guesser).login("quan")[0] == 429
        # ... but the admin at their own desk logs in.
        assert Browser(proxied.port, {"X-Forwarded-For": "10.0.1.50"}).login("quan")[0] == 302
        # One address still has LOGIN_FAILURES_PER_ADDRESS tries in all, whatever names it guesses.
        more = [Browser(proxied.port, guesser).login(f"nguoi{i}", "sai-mat-khau-roi")[0] for i in range(16)]
        assert more == [401] * 15 + [429]
    finally:
        proxied.close()


# --- sessions -------------------------------------------------------------------------------------

def test_a_saved_cookie_dies_at_logout_password_change_and_disabling(server):
    admin = Browser(server.port)
    assert admin.login("quan")[0] == 302
    saved = dict(admin.cookies)
    assert admin.request("GET", "/admin/users")[0] == 200
    admin.request("POST", "/logout", {"csrf_token": admin.token("/progress")})
    thief = Browser(server.port)
    thief.cookies = dict(saved)
    status, headers, _ = thief.request("GET", "/admin/users")
    assert status == 302 and headers["location"].startswith("/login")

    # Two sessions of one reviewer; the password change in one ends the other.
    first, second = Browser(server.port), Browser(server.port)
    assert first.login("lan")[0] == 302 and second.login("lan")[0] == 302
    new_password = "bon con meo nho ngu trua"
    status, _, body = first.request("POST", "/account/password", {
        "current_password": PASSWORDS["lan"], "new_password": new_password, "new_password_again": new_password,
        "csrf_token": first.token("/account/password")})
    assert status == 303, body.decode()
    assert first.request("GET", "/queue")[0] == 200  # the one who changed it stays in
    assert second.request("GET", "/queue")[0] == 302
    assert Browser(server.port).login("lan", PASSWORDS["lan"])[0] == 401
    assert Browser(server.port).login("lan", new_password)[0] == 302

    # Disabled by an admin: the scanner's open session ends at once.
    scanner = Browser(server.port)
    assert scanner.login("thu")[0] == 302 and scanner.request("GET", "/batches")[0] == 200
    admin = Browser(server.port)
    admin.login("quan")
    thu_id = next(u.id for u in users.list_users(server.app.extensions["omr_store"]) if u.name == "thu")
    admin.request("POST", "/admin/users", {"action": "disable", "user_id": thu_id,
                                           "csrf_token": admin.token("/admin/users")})
    assert scanner.request("GET", "/batches")[0] == 302


def test_a_login_ends_after_idle_hours_and_after_a_working_day_however_busy(server, monkeypatch):
    """A browser left open on a shared office PC (or a cookie copied from it) must not open the app the
    next morning; before, a cookie lived Flask's default 31 days."""
    from omr import tuning
    from omr.web import views

    start = 1_800_000_000.0
    clock = {"now": start}
    monkeypatch.setattr(views, "_clock", lambda: clock["now"])
    idle_s, max_s = tuning.SESSION_IDLE_HOURS * 3600, tuning.SESSION_MAX_HOURS * 3600

    left_open = Browser(server.port)
    assert left_open.login("lan")[0] == 302
    copied = dict(left_open.cookies)
    clock["now"] = start + idle_s - 60  # back from a long lunch: still in
    assert left_open.request("GET", "/queue")[0] == 200
    clock["now"] += idle_s + 1  # the next morning after that: out, and so is any copy of the cookie
    status, headers, _ = left_open.request("GET", "/queue")
    assert status == 302 and headers["location"].startswith("/login")
    thief = Browser(server.port)
    thief.cookies = copied
    assert thief.request("GET", "/queue")[0] == 302

    # Busy all day: every request within the idle limit, and still out once the working day is over.
    busy = Browser(server.port)
    clock["now"] = start
    assert busy.login("lan")[0] == 302
    while clock["now"] + idle_s / 2 <= start + max_s:
        clock["now"] += idle_s / 2
        assert busy.request("GET", "/queue")[0] == 200
    clock["now"] = start + max_s + 1
    assert busy.request("GET", "/queue")[0] == 302


def test_a_save_after_the_session_ended_says_why_and_returns_to_the_same_item(server, monkeypatch):
    """A fresh-user trial: a save posted after the session ended went to /login without next, the login
    page said nothing, and the reviewer landed on the home page, far from the comment being typed."""
    from omr import tuning
    from omr.web import views

    start = 1_800_000_000.0
    clock = {"now": start}
    monkeypatch.setattr(views, "_clock", lambda: clock["now"])
    reviewer = Browser(server.port)
    assert reviewer.login("lan")[0] == 302
    item = "/queue/item/comment/7"
    own = f"http://127.0.0.1:{server.port}"
    for referer, back in ((f"{own}{item}?from=queue", f"{item}?from=queue"), ("https://evil.example/x", item),
                          (None, item)):
        token = reviewer.token("/queue")  # the item page was open when the session ended
        clock["now"] += tuning.SESSION_IDLE_HOURS * 3600 + 1
        status, headers, _ = reviewer.request("POST", item, {"text": "ý kiến dài", "csrf_token": token},
                                              headers={"Referer": referer} if referer else None)
        assert status == 302, status
        target = urlsplit(headers["location"])
        assert target.path == "/login" and parse_qs(target.query) == {"next": [back]}, headers["location"]
        page = reviewer.request("GET", headers["location"])[2].decode()
        assert "Phiên làm việc đã hết hạn, hãy đăng nhập lại" in page
        assert reviewer.login("lan")[0] == 302
    clock["now"] += tuning.SESSION_IDLE_HOURS * 3600 + 1
    # Logged in again from that page, the reviewer is back on the item
    status, headers, _ = reviewer.login("lan", next_path=quote(item, safe=""))
    assert status == 302 and headers["location"] == item
    # A first visit (no session at all) says nothing about an ended session, and a GET link has no stray '?'
    fresh = Browser(server.port)
    status, headers, _ = fresh.request("GET", "/")
    assert status == 302 and headers["location"] == "/login?next=/"
    assert "hết hạn" not in fresh.request("GET", headers["location"])[2].decode()
    status, headers, _ = fresh.request("GET", "/queue?kind=mark")
    assert parse_qs(urlsplit(headers["location"]).query) == {"next": ["/queue?kind=mark"]}


def test_session_versions_on_both_backends(store_url):
    with open_store(store_url) as store:
        user = users.add_user(store, "hoa", "hoa-quet-phieu-sang-thu-hai", "reviewer")
        assert user.session_version == 0
        users.end_sessions(store, user.id)
        users.set_active(store, user.id, False, changed_by="quan")
        users.set_password(store, user.id, "mat-khau-tam-thoi-1", changed_by="quan")
        after = users.get_user(store, user.id)
        assert after.session_version == 3 and after.must_change_password and not after.active


def test_the_cookie_is_secure_when_served_over_https(db_url, tmp_path, repo_root, catalogue):
    plain = _serve(db_url, tmp_path, repo_root, catalogue)
    secure = _serve(db_url, tmp_path, repo_root, catalogue, https=True)
    try:
        for running, expected in ((plain, False), (secure, True)):
            browser = Browser(running.port)
            connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
            token = browser.token()
            connection.request("POST", "/login", body=f"name=quan&password={quote(PASSWORDS['quan'])}&csrf_token={token}",
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())})
            response = connection.getresponse()
            cookie = response.getheader("Set-Cookie")
            assert response.status == 302
            assert ("Secure" in cookie) is expected and "HttpOnly" in cookie and "SameSite=Lax" in cookie
            connection.close()
    finally:
        plain.close()
        secure.close()
    from omr.cli import build_parser

    args = build_parser().parse_args(["review", "serve", "--https", "--behind-proxy"])
    assert args.https and args.behind_proxy


# --- passwords ------------------------------------------------------------------------------------

@pytest.mark.parametrize("weak", ["        ", "12345678", "quantri-demo", "kiemtra-demo", "password1", "lan12345",
                                  "matkhau123"])
def test_weak_passwords_are_refused_when_a_user_chooses_one(weak):
    with pytest.raises(BadArgumentsError):
        users.check_password(weak, "lan", chosen=True)


def test_common_passwords_are_refused_even_as_a_first_password():
    for weak in ("        ", "12345678", "password", "\t\t\t\t\t\t\t\t", "a" * 129 + "B9!"):
        with pytest.raises(BadArgumentsError):
            users.check_password(weak, "lan")
    assert users.check_password("ca-phe sua da Ben Tre 7", "lan", chosen=True)


def test_demo_passwords_must_be_changed_at_first_login(tmp_path, repo_root, catalogue, monkeypatch):
    from omr.cli import main

    url = str(tmp_path / "demo.sqlite")
    for name, role, password in (("admin", "admin", "quantri-demo"), ("reviewer", "reviewer", "kiemtra-demo")):
        monkeypatch.setenv("OMR_PASSWORD", password)
        assert main(["users", "add", name, "--role", role, "--db", url]) == 0
    running = _serve(url, tmp_path, repo_root, catalogue)
    try:
        admin = Browser(running.port)
        status, headers, _ = admin.login("admin", "quantri-demo", next_path="/admin/users")
        assert status == 302 and headers["location"] == "/account/password?next=/admin/users"
        # Nothing else opens until the password is changed.
        for path in ("/admin/users", "/progress", "/queue"):
            status, headers, _ = admin.request("GET", path)
            # ... and the page asked for waits for after the change (no stray '?' of an empty query)
            target = urlsplit(headers["location"])
            assert status == 302 and target.path == "/account/password", path
            assert parse_qs(target.query) == {"next": [path]}, headers["location"]
        # The demo password again, or a common one, is refused, in Vietnamese.
        for weak in ("quantri-demo", "12345678", "quantri-demo-2"):
            status, _, body = admin.request("POST", "/account/password", {
                "current_password": "quantri-demo", "new_password": weak, "new_password_again": weak,
                "csrf_token": admin.token("/account/password")})
            assert status == 400 and "Mật khẩu" in body.decode(), weak
        status, _, body = admin.request("POST", "/account/password", {
            "current_password": "sai-mat-khau-hien-tai", "new_password": "ba chu heo con di cho",
            "new_password_again": "ba chu heo con di cho", "csrf_token": admin.token("/account/password")})
        assert status == 400 and "Mật khẩu hiện tại không đúng" in body.decode()
        status, _, _ = admin.request("POST", "/account/password", {
            "current_password": "quantri-demo", "new_password": "ba chu heo con di cho",
            "new_password_again": "ba chu heo con di cho", "csrf_token": admin.token("/account/password")})
        assert status == 303
        assert admin.request("GET", "/admin/users")[0] == 200
    finally:
        running.close()


# --- redirects ------------------------------------------------------------------------------------

OFFSITE = ["%2F%09%2Fevil.example%2F", "/%09/evil.example/", "/%0a/evil.example", "/%0d%0a/evil.example",
           "%5C%5Cevil.example", "/%5Cevil.example", "//evil.example", "https://evil.example/",
           "/a/../..//evil.example", "/%E2%80%8B/evil.example", "%20//evil.example", "/.//evil.example",
           "http:/evil.example"]


def test_a_nul_in_a_redirect_target_is_refused_before_any_redirect(server):
    browser = Browser(server.port)
    status, headers, body = browser.login("quan", next_path="/%00/evil.example")
    assert status == 400 and "location" not in headers and "ký tự NUL" in body.decode()
    browser.login("lan")
    status, _, body = browser.request("GET", "/pages/1?back=/%00/evil.example")
    assert status == 400 and "evil.example" not in body.decode()


@pytest.mark.parametrize("target", OFFSITE)
def test_next_never_leaves_the_site(server, target):
    browser = Browser(server.port)
    status, headers, _ = browser.login("quan", next_path=target)
    assert status == 302
    location = headers["location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", f"127.0.0.1:{server.port}") and not location.startswith("//")
    assert not re.search(r"[\x00-\x20\\]", location), location


def test_next_keeps_a_same_site_path_normalised(server):
    status, headers, _ = Browser(server.port).login("quan", next_path=quote("/queue/../progress?x=1", safe=""))
    assert status == 302 and headers["location"] == "/progress?x=1"


@pytest.mark.parametrize("target", OFFSITE)
def test_back_link_never_leaves_the_site(server, target):
    browser = Browser(server.port)
    browser.login("lan")
    with open_store(server.app.extensions["omr_store"].url.replace("sqlite:///", "")) as store, store.reading() as conn:
        page_id = conn.execute(sa.select(pages.c.id).limit(1)).scalar()
    status, _, body = browser.request("GET", f"/pages/{page_id}?back={target}")
    assert status == 200
    hrefs = re.findall(r'href="([^"]*)"', body.decode())
    assert hrefs and all(not h.startswith("//") and not urlsplit(h).netloc and not urlsplit(h).scheme
                         and not re.search(r"[\x00-\x20\\]", h) for h in hrefs), hrefs


# --- exports and files ----------------------------------------------------------------------------

def _add_comment(store, text: str, crop: bytes | None, serial: int = 1) -> int:
    response_id = next(r["id"] for r in store.responses() if r["serial"] == serial)
    with store.reading() as conn:
        page_id = conn.execute(sa.select(pages.c.id).where(pages.c.serial == serial).limit(1)).scalar()
    return store.writing(lambda conn: conn.execute(comments.insert().values(
        response_id=response_id, page_id=page_id, field="H3", inked=True, ink_mm2=40.0, x=10, y=200, w=190,
        h=20, crop_png=crop, draft_text=text, draft_confidence=30.0, likely_correct=False, review_priority=1.0,
        status="pending", flags="[]", updated_at=datetime.now(timezone.utc))).inserted_primary_key[0])


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (40, 10), 255).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_web_export_is_one_zip_with_the_crops_and_leaves_nothing_in_tmp(server, tmp_path, monkeypatch):
    import tempfile

    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    store = server.app.extensions["omr_store"]
    _add_comment(store, "＝HYPERLINK(\"http://x\") cán bộ tốt", _png())
    admin = Browser(server.port)
    admin.login("quan")
    for fmt in ("csv", "xlsx"):
        status, headers, data = admin.request("GET", f"/admin/export.{fmt}")
        assert status == 200 and headers["content-type"] == "application/zip"
        assert "attachment" in headers["content-disposition"] and ".zip" in headers["content-disposition"]
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            names = bundle.namelist()
            crops = [n for n in names if n.startswith("omr-export_crops/") and n.endswith(".png")]
            assert f"omr-export.{fmt}" in names and len(crops) == 1
            assert bundle.read(crops[0]) == _png()
            # Unzipped, every file is private as the export itself is (the crops were 0644: handwriting).
            modes = {n: oct(stat.S_IMODE(bundle.getinfo(n).external_attr >> 16)) for n in names if not n.endswith("/")}
            assert set(modes.values()) == {"0o600"}, modes
            if fmt == "csv":
                text = bundle.read("omr-export.csv").decode("utf-8-sig")
                assert "'＝HYPERLINK" in text and crops[0] in text
        assert list(private_tmp.iterdir()) == []
    assert list((tmp_path / "uploads").glob("**/*.png")) == []


def test_the_database_exports_and_reports_are_private_whatever_the_umask(tmp_path, db_url, repo_root):
    """A fresh user's trial: omr.sqlite (password hashes, answers, comments), its -wal, the exports and the
    reports were created 0644 under the usual umask 022, readable by any account of a shared office box,
    while the uploads were 0600."""
    for mask in (0o022, 0o002, 0o077):
        out = tmp_path / f"export-{mask:o}.csv"
        report = tmp_path / f"report-{mask:o}.html"
        fresh = tmp_path / f"new-{mask:o}" / "omr.sqlite"
        env = {**os.environ, "PYTHONPATH": str(repo_root)}
        script = (f"import os, sys; os.umask({mask}); from omr.cli import main; "
                  f"sys.exit(main(['export', '--db', {db_url!r}, '-o', {str(out)!r}, '--templates', "
                  f"{str(repo_root / 'form_templates')!r}]) or main(['report', '--period', '2026-Q1', '--db', "
                  f"{db_url!r}, '-o', {str(report)!r}, '--templates', {str(repo_root / 'form_templates')!r}]) "
                  f"or main(['units', 'import', {str(repo_root / 'examples' / 'units' / 'caolanh.csv')!r}, "
                  f"'--db', {str(fresh)!r}]))")
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=repo_root)
        assert done.returncode == 0, done.stderr
        assert stat.S_IMODE(out.stat().st_mode) == 0o600 and stat.S_IMODE(report.stat().st_mode) == 0o600
        made = [fresh] + [p for p in fresh.parent.glob("omr.sqlite-*")]
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in made), [(p.name, oct(p.stat().st_mode)) for p in made]


def test_full_width_formula_starts_are_neutralised_in_csv_and_xlsx(tmp_path, db_url, repo_root, catalogue):
    from openpyxl import load_workbook

    from omr.reports.export import export_responses

    texts = ["＝1+1", "＋SUM(A1)", "－2+3", "＠cmd", "﹦1+1", "−1+1", "=1+1"]
    with open_store(db_url) as store:
        batch = store.ensure_batch("dot-cong-thuc")
        for serial, text in enumerate(texts, start=10):
            record(store, batch, page_result(serial, 1, PAGE1, path=f"f{serial}.pdf"))
            _add_comment(store, text, None, serial)

        def lookup(form_id, version):
            layout = catalogue.layouts.get((form_id, version))
            return catalogue.template_of(layout) if layout else None

        export_responses(store, "csv", tmp_path / "x.csv", lookup)
        export_responses(store, "xlsx", tmp_path / "x.xlsx", lookup)
    csv_text = (tmp_path / "x.csv").read_text("utf-8-sig")
    cells = [c for row in load_workbook(tmp_path / "x.xlsx")["Phiếu"].iter_rows() for c in row
             if isinstance(c.value, str)]
    for text in texts:
        assert f"'{text}" in csv_text or f"\"'{text}" in csv_text, text
    # XLSX: every such text is a string cell, shown and never run, and exactly the respondent's text (an
    # apostrophe would be shown by Excel as part of it); the package holds no formula at all.
    signed = [c for c in cells if c.value[:1] in "=+-@＝＋－＠﹦−"]
    assert sorted(c.value for c in signed) == sorted(texts) and all(c.data_type == "s" for c in signed)
    with zipfile.ZipFile(tmp_path / "x.xlsx") as package:
        assert not any("<f>" in package.read(name).decode("utf-8") for name in package.namelist()
                       if name.startswith("xl/worksheets/"))


# --- smaller faults -------------------------------------------------------------------------------

def test_setting_the_password_of_no_one_fails_without_an_audit_row(server):
    store = server.app.extensions["omr_store"]
    with store.reading() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(changes)).scalar()
    admin = Browser(server.port)
    admin.login("quan")
    for user_id in ("987654", "99999999999999999999", "-1", "abc"):
        status, _, body = admin.request("POST", "/admin/users", {
            "action": "password", "user_id": user_id, "password": "mot-mat-khau-tam-thoi",
            "csrf_token": admin.token("/admin/users")})
        assert status == 400 and "Không có người dùng" in body.decode() and "Đã đặt mật khẩu" not in body.decode()
    with pytest.raises(BadArgumentsError):
        users.set_password(store, 987654, "mot-mat-khau-tam-thoi", changed_by="quan")
    with store.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(changes)).scalar() == before


def test_huge_ids_in_urls_are_not_found_not_errors(server):
    reviewer = Browser(server.port)
    reviewer.login("lan")
    admin = Browser(server.port)
    admin.login("quan")
    huge = "9" * 30
    for browser, path in ((reviewer, f"/responses/{huge}"), (reviewer, f"/queue/item/answer/{huge}"),
                          (reviewer, "/responses/2147483648"), (reviewer, f"/img/answer/{huge}.png"),
                          (reviewer, f"/img/comment/{huge}.png"), (reviewer, f"/pages/{huge}"),
                          (admin, f"/batches/jobs/{huge}")):
        status, _, body = browser.request("GET", path)
        assert status == 404 and "Không tìm thấy" in body.decode(), path
    for path in (f"/img/page/1.png?comment={huge}", f"/queue?batch={huge}"):
        assert reviewer.request("GET", path)[0] == 200, path
    # Skipping an item of no kind the queue has: not found, not a server error.
    token = reviewer.token("/queue")
    for path in ("/queue/item/evil/1/skip", "/queue/item/answers/1/skip"):
        status, _, body = reviewer.request("POST", path, {"csrf_token": token})
        assert status == 404 and "Không tìm thấy" in body.decode(), path


@pytest.mark.parametrize("url", ["mysql://u:secret@db.example/omr", "oracle://u@h/x", "mssql+pyodbc://h/x"])
def test_an_unsupported_database_is_one_vietnamese_line(url, repo_root, tmp_path):
    done = subprocess.run([sys.executable, "-m", "omr", "report", "--period", "2026-Q1", "--db", url,
                           "-o", str(tmp_path / "r.xlsx")], capture_output=True, text=True, cwd=repo_root,
                          env={**os.environ, "PYTHONPATH": str(repo_root)})
    assert done.returncode == 7 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Không hỗ trợ cơ sở dữ liệu" in lines[0] and "secret" not in lines[0]


def _raw(port: int, head: bytes, body: bytes = b"", wait: float = 10.0) -> bytes:
    """Send a request's head (and some body) on a raw socket; what the server answered within ``wait`` s."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(head + body)
        try:
            return sock.recv(4096)
        except TimeoutError:
            return b""


@pytest.mark.parametrize("path", ["/login", "/queue", "/khong-co-trang-nay"])
def test_a_huge_body_is_refused_before_waitress_reads_it_except_on_an_upload(server, path):
    """A 4 GB POST to /login (no login needed) was spooled whole to disk before Flask said 413."""
    answer = _raw(server.port, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-"
                               "urlencoded\r\nContent-Length: 4000000000\r\n\r\n".encode(), b"a" * 1000)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Chunked, with no length given: stopped once past the bound (1 MiB), not at 4 GB.
    chunk = b"100000\r\n" + b"a" * 0x100000 + b"\r\n"
    answer = _raw(server.port, f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode(),
                  chunk * 2)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def _cookie_header(browser: Browser) -> str:
    return "Cookie: " + "; ".join(f"{k}={v}" for k, v in browser.cookies.items()) + "\r\n"


def test_the_batch_upload_still_takes_a_large_body_from_a_logged_in_scanner(server):
    """The upload route keeps its bound for a user who may upload: waitress waits for the body rather than refusing it."""
    scanner = Browser(server.port)
    assert scanner.login("thu")[0] == 302
    answer = _raw(server.port, ("POST /batches HTTP/1.1\r\nHost: x\r\n" + _cookie_header(scanner)
                                + "Content-Length: 20000000\r\n\r\n").encode(), b"a" * 1000, wait=2.0)
    assert answer == b""  # still reading the 20 MB it was promised


@pytest.mark.parametrize("who", ["nobody", "reviewer", "forged", "logged-out", "scanner-on-admin-route"])
def test_a_large_upload_without_a_live_uploader_session_is_refused_before_any_byte_is_read(server, who):
    """A fresh-user trial: POST /batches with no cookie and Content-Length 3.9 GB was spooled by waitress
    to /tmp (300 MiB sent, 300 MiB on disk) before the app answered 400 for the missing CSRF token; 20
    such connections filled the disk. Only a signed, live session of a role that may upload there gets
    the upload's bound; anyone else gets a form's, refused from the headers."""
    path = "/admin/online" if who == "scanner-on-admin-route" else "/batches"
    browser = Browser(server.port)
    if who == "reviewer":
        assert browser.login("lan")[0] == 302
    elif who in ("forged", "logged-out", "scanner-on-admin-route"):
        assert browser.login("quan" if who == "forged" else "thu")[0] == 302
        if who == "forged":  # the admin's cookie, its signature altered
            name, value = next(iter(browser.cookies.items()))
            browser.cookies[name] = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
        if who == "logged-out":  # a copy of the scanner's cookie, kept after the scanner logged out
            saved = dict(browser.cookies)
            browser.request("POST", "/logout", {"csrf_token": browser.token("/batches")})
            browser.cookies = saved
    answer = _raw_whole(server.port, (f"POST {path} HTTP/1.1\r\nHost: x\r\n" + _cookie_header(browser)
                                      + "Content-Type: multipart/form-data; boundary=x\r\n"
                                        "Content-Length: 3900000000\r\n\r\n").encode(), b"a" * 1000)
    head, _, body = answer.decode("utf-8", "replace").partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 413"), head
    assert "Chưa đăng nhập" in body and "đăng nhập lại" in body and "vượt giới hạn" not in body


def test_a_form_over_the_bound_is_refused_by_flask_too(server):
    """Under another WSGI server (or a test client) Flask holds non-upload routes to the same bound."""
    client = server.app.test_client()
    response = client.post("/login", data={"name": "x" * (2 * 1024 ** 2), "password": "y"})
    assert response.status_code == 413


def _raw_whole(port: int, head: bytes, body: bytes) -> bytes:
    """Like _raw, but the whole answer: read until the server closes the connection."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(head + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("path, limit, advice", [
    ("/login", "1 MB", "rút ngắn nội dung"),
    ("/batches", "4 GB", "chia thành nhiều lần tải lên"),
    ("/admin/templates/blank", "50 MB", "quét lại"),
])
def test_a_body_over_the_bound_gets_a_vietnamese_page_naming_the_bound_and_what_to_do(server, path, limit, advice):
    """A fresh-user trial got waitress's English text («Request Entity Too Large … exceeds max_body of
    4294967296»). waitress still refuses before reading the body (no disk filled), but in Vietnamese."""
    too_big = {"1 MB": 2 * 1024 ** 2, "4 GB": 5 * 1024 ** 3, "50 MB": 60 * 1024 ** 2}[limit]
    admin = Browser(server.port)
    assert admin.login("quan")[0] == 302  # uploads take their own bound from a user who may upload only
    answer = _raw_whole(server.port, (f"POST {path} HTTP/1.1\r\nHost: x\r\n" + _cookie_header(admin)
                                      + "Content-Type: multipart/form-data; boundary=x\r\n"
                                      f"Content-Length: {too_big}\r\n\r\n").encode(), b"a" * 1000)
    head, _, body = answer.decode("utf-8", "replace").partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 413"), head
    assert "text/html" in head and "max_body" not in body and "Request Entity" not in body
    assert ("Dữ liệu gửi lên quá lớn" if path == "/login" else "Tệp quá lớn") in body
    assert limit in body and advice in body, body
    if path == "/login":  # Flask says the same under another server (its own bound on the route)
        response = server.app.test_client().post(path, data={"name": "x" * too_big, "password": "y"})
        assert response.status_code == 413 and limit in response.get_data(as_text=True)
        assert advice in response.get_data(as_text=True)


def test_password_checks_run_side_by_side_and_the_limit_still_holds_exactly():
    """The throttle's lock was held through the (slow) password check: every login in the office waited
    for the one before it. Two checks must run at once, and racing wrong guesses still get only the
    limit's number of tries."""
    from omr.web.throttle import LoginThrottle, LoginThrottled

    throttle = LoginThrottle(per_account="2/minute", per_address="100/minute")
    both_checking = threading.Barrier(2, timeout=10)

    def side_by_side(name):
        return throttle.attempt(name, "10.0.0.1", lambda: (both_checking.wait(), "ok")[1])

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(side_by_side, ["lan", "thu"])) == ["ok", "ok"]  # a held lock: BrokenBarrierError

    release = threading.Event()
    started = threading.Semaphore(0)

    def wrong_guess(i):
        def verify():
            started.release()
            release.wait(10)
            return None
        try:
            throttle.attempt("quan", "10.0.0.2", verify)
            return "checked"
        except LoginThrottled:
            return "throttled"

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(wrong_guess, i) for i in range(6)]
        assert started.acquire(timeout=10) and started.acquire(timeout=10)
        # Two guesses are being checked; the other four are refused without a check meanwhile.
        deadline = time.monotonic() + 10
        while sum(f.done() for f in futures) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [f.result() for f in futures if f.done()] == ["throttled"] * 4
        release.set()
        assert sorted(f.result(10) for f in futures) == ["checked"] * 2 + ["throttled"] * 4


def test_guessing_one_name_from_many_addresses_is_slowed_but_never_locks_the_user_out_for_good():
    """30 addresses guessing 4 times each at `admin` were never slowed (each stayed under the per-address
    and the per-(name, address) limits). Now the name has a bound over all addresses; the user at an
    address where they logged in before still gets in, and anyone gets in once the window has moved on."""
    from omr.web.throttle import LoginThrottle, LoginThrottled

    throttle = LoginThrottle()  # the shipped limits
    assert throttle.attempt("quan", "10.0.1.50", lambda: "quan") == "quan"  # the admin's own desk, earlier

    def guess(address):
        try:
            return throttle.attempt("quan", address, lambda: None)
        except LoginThrottled:
            return "throttled"

    results = [guess(f"10.9.{i}.1") for i in range(30) for _ in range(4)]
    assert results.count("throttled") >= 100, results.count("throttled")
    with pytest.raises(LoginThrottled) as refused:  # a new address, the right password: wait (minutes)
        throttle.attempt("quan", "10.0.2.99", lambda: "quan")
    assert 0 < refused.value.retry_after_s <= 15 * 60
    assert throttle.attempt("quan", "10.0.1.50", lambda: "quan") == "quan"  # the admin's desk: in
    assert throttle.attempt("lan", "10.0.2.99", lambda: "lan") == "lan"  # other names: untouched

    # The lock is the moving window only: once it has moved on, the right password gets in from anywhere.
    short = LoginThrottle(per_name="3 per 2 seconds")
    for i in range(3):
        assert short.attempt("quan", f"10.8.{i}.1", lambda: None) is None
    with pytest.raises(LoginThrottled):
        short.attempt("quan", "10.0.2.99", lambda: "quan")
    time.sleep(2.2)
    assert short.attempt("quan", "10.0.2.99", lambda: "quan") == "quan"


def test_the_comment_crops_beside_an_export_are_private_whatever_the_umask(tmp_path):
    """«omr export» wrote the CSV 0600 but the handwriting crops beside it 0644, readable by any account."""
    from omr.reports.export import write_crops

    class Store:
        def comment_crops(self, ids):
            return [(i, _png()) for i in ids]

    records = [{"serial": "000001", "comments": {"H3": {"comment_id": 7, "status": "pending"}}}]
    old = os.umask(0o022)
    try:
        assert write_crops(Store(), records, tmp_path / "export.csv") == 1
    finally:
        os.umask(old)
    crop = tmp_path / records[0]["comments"]["H3"]["crop"]
    assert crop.read_bytes() == _png() and stat.S_IMODE(crop.stat().st_mode) == 0o600


def test_an_online_rejects_file_written_over_an_older_one_is_private(tmp_path):
    """online-rejects.csv (respondents' answers) was made 0600 only when new: one left 0644 by an older
    run, or copied in, stayed readable by every account of the office box after the new rejects went in."""
    from omr.online.importer import Problem, write_rejects

    path = tmp_path / "online-rejects.csv"
    path.write_text("cũ\n", encoding="utf-8")
    path.chmod(0o644)
    write_rejects(path, "khảo sát.csv", [Problem(7, "Q3", "giá trị không có trong danh sách", "0912 345 678")])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = path.read_text(encoding="utf-8-sig").splitlines()
    assert rows == ["tệp,dòng,cột,lý do,giá trị", "khảo sát.csv,7,Q3,giá trị không có trong danh sách,0912 345 678"]
    assert [p.name for p in tmp_path.iterdir()] == ["online-rejects.csv"]  # no temporary file left
