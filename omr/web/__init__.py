"""The review web app: scanning staff upload batches, reviewers clear the queue.

Server-rendered pages (Flask + Jinja2, autoescaped), a little JavaScript for
keyboard handling, no build step. Served by waitress (``omr review serve``).

Security in one place:

- login sessions in a signed cookie (HttpOnly, SameSite=Lax, Secure with
  ``https=True``) that carries the user's session version: logout, a password
  change or disabling the user ends every cookie issued before; a login
  ends after ``T.SESSION_IDLE_HOURS`` unused or ``T.SESSION_MAX_HOURS`` after
  it began (omr.web.views._session_expired); users and
  roles from the store (omr.data.users), Argon2id password hashes;
- failed logins throttled per account name and per client address
  (omr.web.throttle: the ``limits`` library of Flask-Limiter, in-memory
  storage: one process, shared by all of waitress's threads; limits in
  omr.tuning);
- CSRF tokens on every POST (Flask-WTF's CSRFProtect), a refused write says so
  in Vietnamese;
- every template is autoescaped: user content (comments may hold HTML) is text;
- images and files are looked up by database id only; uploaded files are
  stored under names the server chose;
- response headers forbid framing, sniffing and scripts from anywhere else.
"""

from __future__ import annotations

import copy
import errno
import html
import os
import resource
import secrets
import tempfile
from pathlib import Path

from flask import Flask, Request, request
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature
from werkzeug.http import parse_cookie
from werkzeug.middleware.proxy_fix import ProxyFix

from omr import tuning as T
from omr.data.store import open_store
from omr.errors import BadArgumentsError
from omr.scan.page import Catalogue
from omr.scan.page_workers import default_workers
from omr.web import template_editor, views
from omr.web.bounds import body_limit, form_parts, login_needed_to_upload, upload_route
from omr.web.console import startup_lines, vietnamese_waitress_log
from omr.web.ids import DatabaseIdConverter
from omr.web.jobs import JobRunner
from omr.web.queue import QueueRunner, uses_job_queue
from omr.web.throttle import LoginThrottle

DEFAULT_UPLOADS = Path("outputs") / "uploads"

csrf = CSRFProtect()


class UploadRequest(Request):
    """Request bodies with files are written straight to disk in the uploads folder, never held in memory.

    The temporary files are listed on the request; what the view does not
    move into a job folder is deleted when the request ends.
    """

    incoming_dir: Path = DEFAULT_UPLOADS / ".incoming"

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        self.incoming_dir.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile("wb+", dir=self.incoming_dir, prefix="upload-", delete=False)
        if not hasattr(self, "incoming_files"):
            self.incoming_files = []
        self.incoming_files.append(Path(handle.name))
        return handle


def cookie_role(app: Flask, cookie_header: str | None) -> str | None:
    """The role of the user logged in by the session cookie in ``cookie_header`` (a Cookie header's
    value) when its signature checks and the login still counts (omr.web.views.live_session_user);
    None otherwise. Reads the database (one user by id); no request context needed."""
    value = parse_cookie(cookie_header or "").get(app.config["SESSION_COOKIE_NAME"])
    if not value:
        return None
    serializer = app.session_interface.get_signing_serializer(app)
    if serializer is None:
        return None
    try:
        data = serializer.loads(value, max_age=int(app.permanent_session_lifetime.total_seconds()))
    except BadSignature:  # forged, altered, signed with another key, or older than the cookie's lifetime
        return None
    user = views.live_session_user(app.extensions["omr_store"], data)
    return None if user is None else user.role


def _secret_key(uploads_dir: Path) -> str:
    """OMR_SECRET_KEY, else a random key kept beside the uploads (sessions survive a restart)."""
    if os.environ.get("OMR_SECRET_KEY"):
        return os.environ["OMR_SECRET_KEY"]
    path = uploads_dir / ".secret-key"
    if not path.exists():
        uploads_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(db_url: str | None = None, *, uploads_dir: str | Path = DEFAULT_UPLOADS,
               template_dir: str | Path = "form_templates", scan_workers: int | None = None,
               start_jobs: bool = True, config: dict | None = None, catalogue=None, https: bool = False,
               behind_proxy: bool = False, queue_worker: bool = True) -> Flask:
    """The app over the database at ``db_url``.

    ``start_jobs`` starts the background reader of uploaded batches (and
    resumes interrupted ones); tests that drive jobs by hand pass False.
    Uploads are read by omr.web.jobs.JobRunner (a thread of this process)
    on SQLite, through the job queue (omr.web.queue.QueueRunner) on
    PostgreSQL; there ``queue_worker`` False leaves the reading to
    ``omr worker`` processes (``omr review serve --no-worker``).
    ``catalogue`` (omr.scan.page.Catalogue) saves reading ``template_dir`` again.
    ``https``: users reach the app over HTTPS (a TLS reverse proxy in front),
    so the session cookie is marked Secure. ``behind_proxy``: trust one
    proxy's X-Forwarded-For / X-Forwarded-Proto / X-Forwarded-Host, so login
    throttling counts the real client address (never set it when clients
    reach waitress directly: they could then pick their own address).
    """
    uploads_dir = Path(uploads_dir).resolve()
    app = _App(__name__)
    app.url_map.converters["int"] = DatabaseIdConverter
    app.url_map.strict_slashes = False  # "/admin/templates/" as typed or bookmarked finds the page, not a 404
    if behind_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    class _Request(UploadRequest):
        incoming_dir = uploads_dir / ".incoming"

    app.request_class = _Request
    app.config.update(
        SECRET_KEY=_secret_key(uploads_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        PREFERRED_URL_SCHEME="https" if https else "http",
        MAX_CONTENT_LENGTH=T.WEB_MAX_UPLOAD_BYTES,
        WTF_CSRF_TIME_LIMIT=T.WEB_CSRF_TIME_LIMIT_S,
        UPLOADS_DIR=uploads_dir,
        TEMPLATE_DIR=str(template_dir),
    )
    if config:
        app.config.update(config)
    store = open_store(db_url)
    app.extensions["omr_store"] = store
    app.extensions["omr_catalogue"] = catalogue or Catalogue.from_folder(template_dir)
    scan_workers = scan_workers or default_workers()  # one per core, bounded (omr.tuning.DEFAULT_MAX_WORKERS)
    if uses_job_queue(db_url):
        runner = QueueRunner(store, db_url, str(template_dir), workers=scan_workers, uploads_dir=uploads_dir,
                             run_worker=queue_worker)
    else:
        runner = JobRunner(store, str(template_dir), workers=scan_workers)
    app.extensions["omr_jobs"] = runner
    @app.url_value_preprocessor
    def _bound_body(endpoint, values) -> None:
        # Before any before_request hook (the CSRF check reads the form): a body over the route's bound
        # for this user (an upload's only for a user who may upload there) is refused with 413 unread. The template editor's blueprint narrows its own routes further.
        configured = app.config.get("MAX_CONTENT_LENGTH")
        role = views.request_role() if upload_route(request.path) is not None else None
        limit = body_limit(request.path, role)
        request.max_content_length = min(limit, configured) if configured else limit
        parts = form_parts(request.path)
        if parts is not None:
            request.max_form_parts = parts

    csrf.init_app(app)
    # One throttle per app (tests build many apps); in memory, shared by the server's threads, which is
    # right for the one waitress process `omr review serve` runs.
    app.extensions["omr_login_throttle"] = LoginThrottle()
    views.register(app)
    app.register_blueprint(template_editor.bp)  # the template editor (admin, issue #16)
    if start_jobs:
        runner.start()
    return app


class _App(Flask):
    """Flask whose redirects carry a Vietnamese body: werkzeug's is an English page («Redirecting...»,
    lang=en) that a browser shows when it does not follow the redirect at once."""

    def redirect(self, location: str, code: int = 302):
        response = super().redirect(location, code)
        target = html.escape(response.headers.get("Location", location))
        response.set_data('<!doctype html>\n<html lang="vi">\n<meta charset="utf-8">\n<title>Đang chuyển trang…'
                          f'</title>\n<h1>Đang chuyển trang…</h1>\n<p>Nếu trang không tự chuyển, hãy bấm '
                          f'<a href="{target}">vào đây</a>.</p>\n')
        response.mimetype = "text/html"
        return response


def waitress_options(behind_proxy: bool) -> dict:
    """Options of waitress's server for ``behind_proxy``: waitress 3 removes X-Forwarded-* headers unless
    told otherwise, which left ProxyFix (create_app) nothing to read: behind a proxy every client had the
    proxy's address, and one guesser's failed logins locked everyone out. The proxy's headers are kept
    only behind a proxy; reached directly, a client's forged X-Forwarded-For is still dropped."""
    return {"clear_untrusted_proxy_headers": not behind_proxy}


def _route_bounded_parser(app: Flask):
    """waitress's request parser with the body bound of the request's path and user (:func:`body_limit`).

    waitress reads a whole body (spooling it to a temporary file) before the app sees the request, and
    its ``max_request_body_size`` is one number for every path: the batch upload's 4 GB let anyone,
    logged in or not, make it write 4 GB to disk with a POST to /login, or to /batches. Once the
    request's head is parsed, this parser holds the request to the bound of its path for the user its
    session cookie logs in (:func:`cookie_role`: an upload route's bound only for a signed, live
    session of a role that may upload there), for a Content-Length (refused before any body byte is
    read) and for a chunked body alike (stopped when it passes the bound): 413 either way.
    """
    from waitress.parser import HTTPRequestParser

    class RouteBoundedParser(HTTPRequestParser):
        role: str | None = None

        def parse_header(self, header_plus):
            super().parse_header(header_plus)
            path = self.path or "/"
            if upload_route(path) is not None and (self.content_length > 0 or self.chunked):  # a body: whose?
                self.role = cookie_role(app, self.headers.get("COOKIE"))
            limit = body_limit(path, self.role)
            if limit < self.adj.max_request_body_size:
                self.adj = copy.copy(self.adj)  # this request's own: waitress reads the bound from here
                self.adj.max_request_body_size = limit

    return RouteBoundedParser


def _vietnamese_error_task(app: Flask):
    """waitress's error task, answering a body over its path's bound (413, refused before it is read)
    with the app's Vietnamese page naming the bound and what to do (views.too_large_response), not
    waitress's English text («Request Entity Too Large … exceeds max_body of 4294967296»). Other errors
    of waitress (a malformed request line or header) keep waitress's own answer."""
    from waitress.task import ErrorTask

    class VietnameseErrorTask(ErrorTask):
        def execute(self):
            if getattr(self.request.error, "code", None) != 413:
                return super().execute()
            path = self.request.path or "/"
            role = getattr(self.request, "role", None)
            as_json = "json" in (self.request.headers.get("CONTENT_TYPE") or "")
            with app.test_request_context("/"):  # the page's links only: nothing of the request is read
                response = views.too_large_response(path, body_limit(path, role), as_json,
                                                    login_needed=login_needed_to_upload(path, role))
                views.security_headers(response)
            body = response.get_data()
            self.status = response.status
            self.response_headers.extend((k, v) for k, v in response.headers.items()
                                         if k.lower() not in ("content-length", "connection"))
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    return VietnameseErrorTask


def allow_open_files() -> int:
    """Raise this process's soft limit of open files (up to its hard limit) so that the server's threads
    can each read a batch upload of ``T.WEB_MAX_UPLOAD_FILES`` files, every one held open until the request
    ends (omr.web.UploadRequest); Debian's default soft limit, 1,024, is less than one such upload holds.
    Returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = T.WEB_SERVER_THREADS * (T.WEB_MAX_UPLOAD_FILES + T.WEB_OPEN_FILES_SPARE_PER_THREAD) + T.WEB_OPEN_FILES_BASE
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


def create_waitress_server(app: Flask, *, host: str, port: int, behind_proxy: bool = False, **options):
    """waitress's server for ``app`` (eight threads), every request's body bounded by its path
    (:func:`body_limit`). Raises OSError when the address cannot be bound."""
    from waitress import create_server
    from waitress.channel import HTTPChannel

    class Channel(HTTPChannel):
        parser_class = _route_bounded_parser(app)
        error_task_class = _vietnamese_error_task(app)

    allow_open_files()
    server = create_server(app, host=host, port=port, threads=T.WEB_SERVER_THREADS,
                           max_request_body_size=T.WEB_MAX_UPLOAD_BYTES,
                           ident="omr", **waitress_options(behind_proxy), **options)
    listeners = [server] if hasattr(server, "channel_class") else [
        s for s in server.map.values() if hasattr(s, "channel_class") and hasattr(s, "effective_port")]
    for listener in listeners:
        listener.channel_class = Channel
    return server


# Why a port could not be opened, in Vietnamese (never the system's English «Address already in use»).
_BIND_ERRORS = {errno.EADDRINUSE: "cổng đang được chương trình khác dùng (có thể là một omr khác đang chạy)",
                errno.EACCES: "không có quyền mở cổng này (cổng dưới 1024 cần quyền quản trị)",
                errno.EADDRNOTAVAIL: "địa chỉ này không phải của máy này"}


def bind_error_text(exc: OSError) -> str:
    """The reason an OSError from binding a port gives, in Vietnamese (its errno number when not known)."""
    return _BIND_ERRORS.get(exc.errno, f"lỗi hệ thống số {exc.errno}" if exc.errno else "lỗi hệ thống")


def serve(db_url: str | None = None, *, host: str = "127.0.0.1", port: int = 8000,
          uploads_dir: str | Path = DEFAULT_UPLOADS, template_dir: str | Path = "form_templates",
          scan_workers: int | None = None, https: bool = False, behind_proxy: bool = False, queue_worker: bool = True) -> None:
    """Run the app with waitress until interrupted (Ctrl+C); other arguments as in create_app."""
    app = create_app(db_url, uploads_dir=uploads_dir, template_dir=template_dir, scan_workers=scan_workers,
                     https=https, behind_proxy=behind_proxy, queue_worker=queue_worker)
    store = app.extensions["omr_store"]
    try:
        try:
            server = create_waitress_server(app, host=host, port=port, behind_proxy=behind_proxy)
        except OSError as exc:  # the port is taken (another omr, another program) or not ours to bind
            raise BadArgumentsError(f"Không mở được cổng {host}:{port}: {bind_error_text(exc)}. "
                                    "Chọn cổng khác bằng --port") from None
        vietnamese_waitress_log()
        for line in startup_lines(host, port, https, str(store.url)):
            print(line, flush=True)
        server.run()
    finally:
        app.extensions["omr_jobs"].stop()
        store.close()
