"""How large a request body the review app takes, by path and by who sends it.

waitress (omr.web.create_waitress_server) asks before it reads a body, Flask (omr.web.create_app)
before the CSRF check reads a form: a body over the bound is refused with 413, unread.
"""

from __future__ import annotations

import re

from omr import tuning as T
from omr.data import users

# Paths that take uploads, who may upload there and the body bound they get: the scanner's batches
# (T.WEB_MAX_UPLOAD_BYTES), the template editor's blank and try-on scans (T.EDITOR_MAX_FILE_BYTES plus its
# form fields; its saves are JSON under T.EDITOR_MAX_BODY_BYTES), the admin's online exports
# (T.ONLINE_MAX_FILE_BYTES). Anything else, and anyone else, gets a form's: T.WEB_MAX_FORM_BYTES.
_BATCH_UPLOAD = re.compile(r"^/batches/?$")
_EDITOR = re.compile(r"^/admin/templates/")
_ONLINE_IMPORT = re.compile(r"^/admin/online/?$")


def upload_route(path: str) -> tuple[tuple[str, ...], int] | None:
    """(roles that may upload, body bound in bytes) of the upload route at ``path``; None elsewhere."""
    if _BATCH_UPLOAD.match(path):
        return users.CAN_UPLOAD, T.WEB_MAX_UPLOAD_BYTES
    if _ONLINE_IMPORT.match(path):  # an online export and its optional mapping YAML, plus the form's fields
        return (users.ADMIN,), T.ONLINE_MAX_FILE_BYTES + T.WEB_MAX_FORM_BYTES
    if _EDITOR.match(path):
        return (users.ADMIN,), max(T.EDITOR_MAX_FILE_BYTES + 64 * 1024, T.EDITOR_MAX_BODY_BYTES)
    return None


def body_limit(path: str, role: str | None) -> int:
    """The largest request body (bytes) accepted at ``path`` (the URL path, no query) from a user of
    ``role`` (omr.data.users; None: not logged in): an upload route's own bound for the roles that may
    upload there, ``T.WEB_MAX_FORM_BYTES`` for everything and everyone else, so nobody can make the
    server write a large body to disk before logging in. Used twice: by waitress, before it reads (and
    spools to disk) a body, and by Flask (``request.max_content_length``) for servers other than waitress."""
    route = upload_route(path)
    if route is not None and role in route[0]:
        return route[1]
    return T.WEB_MAX_FORM_BYTES


def login_needed_to_upload(path: str, role: str | None) -> bool:
    """Whether ``path`` takes uploads that a user of ``role`` may not send (not logged in, a login that
    no longer counts, another role): its 413 then says to log in, not to send smaller files."""
    route = upload_route(path)
    return route is not None and role not in route[0]


def form_parts(path: str) -> int | None:
    """The most multipart parts a form posted to ``path`` may hold (werkzeug refuses more with 413): a batch
    upload's ``T.WEB_MAX_UPLOAD_FILES`` files and its fields; None elsewhere (werkzeug's default, 1,000)."""
    if _BATCH_UPLOAD.match(path):
        return T.WEB_MAX_UPLOAD_FILES + T.WEB_UPLOAD_FORM_FIELDS
    return None
