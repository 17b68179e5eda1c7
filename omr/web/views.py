"""Routes of the review app. Every page text is Vietnamese; every POST carries a CSRF token."""

from __future__ import annotations

import functools
import json
import posixpath
import tempfile
import time
import unicodedata
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from omr import tuning as T
from omr import tuning
from omr.data import completeness, review, users
from omr.data.drafting import drafting_progress
from omr.data.schema import IMPORTED_BY, MACHINE, comments, stored_time
from omr.data.schema import answers as answers_table
from omr.data.schema import pages as pages_table
from omr.data.schema import responses as responses_table
from omr.data.store import StaleWriteError
from omr.errors import OmrError
from omr.forms.pinned import ASSIGNED_SERIAL_NOTE, is_assigned_serial, shown_serial
from omr.forms.qrcodes import format_serial
from omr.forms.template import NO_OPINION_CODE, Question
from omr.model import (AMBIGUOUS, BLANK, INVALID_MULTIPLE, INVALID_MULTIPLE_TEXT, MULTIPLE, NEEDS_REVIEW, OK, SET_ASIDE_REASONS,
                       STRAY_WRITING_TEXT, VN_TZ, is_stray_writing)
from omr.online.importer import DUPLICATE_WINDOW
from omr.online.table import megabytes
from omr.reports.export import export_responses
from omr.scan.comments import draft_shown
from omr.scan.ingest import SCAN_ACCEPT, SCAN_FORMAT_NAMES
from omr.text.dates import not_a_day
from omr.text.lexicon import flags_from_json
from omr.text.normalise import quoted
from omr.text.numbers import vn_decimal, vn_integer
from omr.web import bounds, display, images, jobs, online_import, purge
from omr.web.ids import db_id
from omr.web.throttle import LoginThrottled

STATUS_LABELS = {OK: "hợp lệ", BLANK: "để trống", MULTIPLE: "nhiều ô được đánh dấu",
                 "ambiguous": "không chắc chắn", "invalid": "ngày không hợp lệ", "missing_page": "thiếu trang",
                 INVALID_MULTIPLE: INVALID_MULTIPLE_TEXT.lower()}
# responses.flags as a reviewer reads them (issue #14)
FLAG_LABELS = {"serial_conflict": "trùng số phiếu với tờ khác, chờ quyết định",
               "pages_lost": "trang thiếu đã được xác nhận là mất",
               "rejected": "không giữ (trùng số phiếu hoặc bản quét lại): không xuất, không tính vào báo cáo",
               "possible_duplicate": "có thể là bản quét lại của phiếu đã có, chờ quyết định: chưa xuất, "
                                     "chưa tính vào báo cáo",
               "no_answers": "phiếu không có câu trả lời nào: không tính là phiếu hợp lệ trong báo cáo",
               "no_answers_checked": "đã xác nhận phiếu để trống"}
# The item page's hidden field ``image_shown`` (set by static/keys.js): the crop loaded and shown, or it
# failed to load and the reviewer ticked «quyết định không có ảnh».
IMAGE_SHOWN = "1"
IMAGE_FAILED_CONFIRMED = "failed-confirmed"
IMAGE_NOT_SHOWN = ("Chưa lưu: ảnh của mục này chưa hiện xong trên trang khi bạn lưu (ảnh còn đang tải). "
                   "Hãy đợi ảnh hiện ra, xem ảnh rồi quyết định lại.")
HISTORY_LIMIT = 30  # items kept for the "previous" key (the session is a cookie: keep it small)
SKIP_LIMIT = 100


def _shows_image(item: review.Item) -> bool:
    """Whether the item page shows a crop of the scan the reviewer must see before deciding."""
    if item.kind in (review.MARK, review.MISALIGNED):
        return item.page_id is not None
    if item.kind == review.COMMENT:
        return bool(item.data.get("has_crop"))
    if item.kind == review.PAGE:  # a set-aside page assigned to a sheet: its serial is read off the picture
        return bool(item.data.get("has_image"))
    return False


def _store():
    return current_app.extensions["omr_store"]


def _catalogue():
    return current_app.extensions["omr_catalogue"]


# --- login and roles ---------------------------------------------------------------

SESSION_ENDED = ("Phiên đăng nhập đã hết. Bản sửa vẫn được giữ trong trình duyệt: hãy đăng nhập lại "
                 "(trong thẻ mới), rồi tải lại trang này để lưu.")


def login_required(*roles: str):
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.user is None:
                if request.is_json:  # the template editor's save: the page keeps the edit and says why
                    return jsonify(ok=False, session_ended=True, problems=[SESSION_ENDED]), 401
                if g.get("session_expired"):
                    flash(SESSION_EXPIRED + (SAVE_NOT_KEPT if request.method == "POST" else ""), "info")
                return redirect(url_for("login", next=_return_to()))
            if roles and g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


SESSION_EXPIRED = "Phiên làm việc đã hết hạn, hãy đăng nhập lại."
SAVE_NOT_KEPT = (" Nội dung vừa gửi chưa được lưu: sau khi đăng nhập, bạn trở lại đúng trang đó (ý kiến đang gõ "
                 "được trình duyệt điền lại) để lưu lại.")


def here() -> str:
    """This request's path and query, with no '?' when the query is empty (``request.full_path`` always
    ends in one: login links read ``/login?next=/?``)."""
    return request.full_path if request.query_string else request.path


def _return_to() -> str | None:
    """Where a login (or a password change) sends the user back to: this page for a GET; for a POST (a
    save sent after the session ended) the page it was sent from: the Referer's path when it is of this
    site, else the POST's own URL when it is also a page (a queue item's form posts to the item's URL).
    None when there is no such page (home then)."""
    if request.method == "GET":
        return here()
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc == request.host and referrer.scheme in ("http", "https"):
        path = safe_local_path(urlunsplit(("", "", referrer.path, referrer.query, "")))
        if path is not None and urlsplit(path).path != url_for("login"):
            return path
    try:
        current_app.url_map.bind_to_environ(request.environ).match(request.path, method="GET")
    except HTTPException:
        return None
    return request.path


def _safe_next(target: str | None) -> str:
    """``target`` if it is a path of this site, normalised; else the home page."""
    return safe_local_path(target) or url_for("home")


# Longer redirect targets are no page of this app.
MAX_REDIRECT_LENGTH = 2000


def safe_local_path(target: str | None) -> str | None:
    """A same-site path to redirect to, normalised, or None when ``target`` could leave the site.

    Refused: anything with a scheme or host ("https://x", "//x"), a backslash
    (browsers read "/\\x" as "//x"), any control, space or invisible format
    character (browsers drop tab and newline, so "/\t/x" becomes "//x"), and
    a path that becomes "//..." once "." and ".." are resolved. The query is
    kept, the fragment dropped.
    """
    if not target or len(target) > MAX_REDIRECT_LENGTH or "\\" in target:
        return None
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    path = posixpath.normpath(parts.path)
    if parts.path.endswith("/") and path != "/":
        path += "/"
    if path.startswith("//"):
        return None
    return urlunsplit(("", "", path, parts.query, ""))


# Pages a user who must change their password may still open.
PASSWORD_CHANGE_ENDPOINTS = ("account_password", "logout", "login", "static", "favicon")


_clock = time.time  # seconds; tests move it to age a session


def _start_session(user) -> None:
    """A fresh login cookie for ``user``: id, session version, when it started and was last used."""
    now = int(_clock())
    session.clear()
    session["uid"] = user.id
    session["sv"] = user.session_version
    session["at"] = session["seen"] = now


def _login_over(data, now: int) -> bool:
    """Whether the login in ``data`` (a session's dict) was idle over T.SESSION_IDLE_HOURS or began over
    T.SESSION_MAX_HOURS before ``now`` (s); one without these times (issued before they existed) is over."""
    started, seen = data.get("at"), data.get("seen")
    if not isinstance(started, int) or not isinstance(seen, int):
        return True
    return now - seen > tuning.SESSION_IDLE_HOURS * 3600 or now - started > tuning.SESSION_MAX_HOURS * 3600


def _session_expired() -> bool:
    """Whether this request's login is over (:func:`_login_over`); a live one is marked as seen now."""
    now = int(_clock())
    if _login_over(session, now):
        return True
    if now - session["seen"] >= tuning.SESSION_SEEN_STEP_S:
        session["seen"] = now
    return False


def _current_user(store, data):
    """The user whose login ``data`` (a session's dict) holds when that login still counts, else None."""
    user = users.get_user(store, data["uid"])
    # A cookie from before a logout, a password change or disabling carries an older session version.
    if user is not None and user.active and data.get("sv") == user.session_version:
        return user
    return None


def live_session_user(store, data) -> users.User | None:
    """The user of the login in ``data`` (a session's dict, read from a cookie whose signature was
    checked) when it still counts: not idle or old (:func:`_login_over`), the user active, the session
    version current; else None. Changes nothing: waitress asks before it reads a request's body
    (omr.web.create_waitress_server), when no request context exists yet."""
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int) or _login_over(data, int(_clock())):
        return None
    return _current_user(store, data)


def _load_user() -> None:
    """g.user: the logged-in user of this request, or None (a login that ended is cleared from the cookie)."""
    g.user = None
    user_id = session.get("uid")
    if isinstance(user_id, int):
        if _session_expired():
            session.clear()
            g.session_expired = True  # the login page says why (login_required)
            return
        g.user = _current_user(_store(), session)
        if g.user is None:
            session.clear()


def request_role() -> str | None:
    """The role of this request's live login (None: nobody, or a login that no longer counts), read
    without changing the session: the body bound asks before the CSRF check, which needs the session's
    token even when the login has ended (a save after the session ended then goes to the login page)."""
    user = live_session_user(_store(), dict(session))
    return None if user is None else user.role


def _require_password_change():
    if g.user is not None and g.user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        flash("Mật khẩu hiện tại do người khác đặt (hoặc là mật khẩu demo); hãy đặt mật khẩu của riêng bạn "
              "trước khi tiếp tục.", "info")
        # The page they were going to waits for them after the change (a GET: a POST's form is gone).
        return redirect(url_for("account_password", next=here() if request.method == "GET" else None))
    return None


def _after_password_change(target: str | None) -> str:
    """Where a password change ends: ``target`` (the page the user was going to) if it is a path of this
    site other than the login or password pages, else the home page; never another site."""
    path = safe_local_path(target)
    if path is None or urlsplit(path).path in (url_for("login"), url_for("account_password"), url_for("logout")):
        return url_for("home")
    return path


# Pages and page images hold respondents' answers and handwriting: no cache (the browser's disk, a shared
# proxy) keeps them after the reviewer leaves. Static files (CSS, scripts) stay cacheable.
PRIVATE_NO_STORE = "private, no-store"


def security_headers(response: Response) -> Response:
    if response.mimetype in ("text/html", "application/json") or (
            response.headers.get("Content-Disposition", "").startswith("attachment")):
        response.headers["Cache-Control"] = "no-store" if response.mimetype == "text/html" else PRIVATE_NO_STORE
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    return response


def _drop_incoming(_exc=None) -> None:
    jobs.remove_incoming(getattr(request, "incoming_files", []))


# --- helpers for the queue -------------------------------------------------------

def option_keys(question: Question) -> dict[str, str]:
    """The key a reviewer presses for each option: the code itself when it is one character.

    Longer codes (KYK: "không ý kiến") take their first letter, else the
    first free digit, so each option of a question has its own key.
    """
    keys: dict[str, str] = {}
    used: set[str] = set()
    for option in question.options:
        if len(option.code) == 1:
            keys[option.code] = option.code.lower()
            used.add(option.code.lower())
    for option in question.options:
        if option.code in keys:
            continue
        for candidate in [option.code[0].lower()] + [str(d) for d in range(1, 10)]:
            if candidate not in used:
                keys[option.code] = candidate
                used.add(candidate)
                break
    return keys


def _question(form_id: str, version: int, question_id: str) -> Question | None:
    layout = _catalogue().layouts.get((form_id, version))
    if layout is None:
        return None
    return next((q for q in layout.questions if q.id == question_id), None)


def _queue_filter() -> review.QueueFilter:
    saved = session.get("queue_filter") or {}
    return review.QueueFilter(saved.get("batch_id"), saved.get("unit") or None, saved.get("kind") or None)


def _remember(key: str, name: str, limit: int) -> None:
    items = [k for k in session.get(name, []) if k != key]
    items.append(key)
    session[name] = items[-limit:]


def _existing_item(entity: str, ident: int) -> tuple[str, review.Item]:
    """The queue item named in a URL, or 404."""
    key = f"{entity}:{ident}"
    item = review.load_item(_store(), key) if entity in review.ENTITY_OF_KIND.values() else None
    if item is None:
        abort(404)
    return key, item


def _item_url(key: str) -> str:
    entity, ident = review.parse_key(key)
    return url_for("queue_item", entity=entity, ident=ident)


def _machine_words(question: Question | None, value, status: str | None) -> tuple[str, str]:
    """What the machine read, as the review page says it after «Máy đọc:»: (the value in bold, what follows
    the dash). An unsure read is said as unsure first: «(trống) — không chắc chắn» was taken by a
    reviewer for the machine's proposal of «blank» (a fresh user's trial, a circled box)."""
    label = STATUS_LABELS.get(status, status or "")
    if status != AMBIGUOUS:
        return _value_text(question, value), label
    if value is None or value == []:
        return label, ("không có gợi ý: có nét hay dấu chưa rõ là chọn ô nào hay để trống "
                              "(khoanh tròn, dấu nhạt, tẩy xoá…); hãy xem ảnh rồi chọn")
    return label, f"có thể là {_value_text(question, value)}; hãy xem ảnh rồi chọn"


def _value_text(question: Question | None, value) -> str:
    if value is None or value == []:
        return "(trống)"
    if question is not None and question.type == "date" and isinstance(value, str):
        return display.vn_date(value)  # dd/mm/yyyy, as people write dates
    codes = value if isinstance(value, list) else [value]
    if question is None or not question.options:
        return ", ".join(str(c) for c in codes)
    labels = []
    for code in codes:
        try:
            labels.append(f"{code} – {question.option_label(str(code))}")
        except KeyError:
            labels.append(str(code))
    return "; ".join(labels)


def _parse_answer(question: Question, form) -> tuple[object, str]:
    """(value, status) from an item form, or ReviewError with what is wrong."""
    action = form.get("action", "")
    if action == "blank":
        return ([] if question.type == "multiple" else None), BLANK
    if action == "invalid":
        # Two or more boxes really ticked on a one-answer question: no value, and not a blank either.
        if not question.single_answer:
            raise review.ReviewError("Chỉ câu chọn một đáp án mới có thể ghi «không hợp lệ (đánh nhiều ô)».")
        return None, INVALID_MULTIPLE
    if question.type == "date":
        text = (form.get("date") or "").strip()
        try:
            day = display.parse_day(text)
        except ValueError:
            day = None
        if day is None and not text:  # nothing typed: said as such, never «"«» không phải một ngày"»
            raise review.ReviewError("Chưa nhập ngày: hãy gõ ngày ghi trên phiếu (ngày/tháng/năm, ví dụ 05/03/2026), "
                                     "hoặc bấm «Để trống» nếu phiếu không ghi ngày.")
        if day is None:  # 31/02 is no wrong way of writing a day: the message says what is wrong
            why = not_a_day(text)
            raise review.ReviewError(f"{why[:1].upper()}{why[1:]}; hãy gõ lại ngày ghi trên phiếu.")
        if question.years and day.year not in question.years:
            raise review.ReviewError(f"Năm {day.year} không có trên phiếu ({', '.join(map(str, question.years))})")
        return day.isoformat(), OK
    codes = [o.code for o in question.options]
    if question.type == "multiple":
        chosen = form.getlist("values")
        if any(c not in codes for c in chosen):
            raise review.ReviewError("Lựa chọn không có trong câu hỏi")
        chosen = [c for c in codes if c in chosen]
        return chosen, (OK if chosen else BLANK)
    value = form.get("value", "")
    if value not in codes:
        raise review.ReviewError("Lựa chọn không có trong câu hỏi")
    return value, OK


# --- routes ---------------------------------------------------------------------

SERVER_ERROR = ("Máy chủ gặp lỗi không mong đợi nên chưa làm được việc này (chi tiết đã ghi vào nhật ký máy chủ). "
                "Hãy tải lại trang rồi thử lại; nếu vẫn lỗi, báo cho người quản trị kèm thời điểm và việc đang làm.")
NUL_MESSAGE = ("Dữ liệu gửi lên có ký tự NUL (mã 0), không phải chữ gõ được, nên không được nhận. Hãy gõ lại "
               "hoặc dán lại từ văn bản thường (không dán từ tệp nhị phân).")


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values.getlist(key)) for key in values.keys())


def _refuse_nul():
    """400 for a request whose query, form or JSON body holds a NUL character, before any view reads it.

    No user text of omr holds one, and PostgreSQL refuses it in text columns (a 500 before this check);
    uploaded files' contents are not form text and are not looked at here."""
    nul = "\x00" in request.path or _has_nul(request.args)
    if not nul and request.method in ("POST", "PUT", "PATCH"):
        if request.is_json:
            body = request.get_data(as_text=True)
            nul = "\x00" in body or "\\u0000" in body
        else:
            nul = _has_nul(request.form)
    if not nul:
        return None
    if request.is_json:
        return jsonify(ok=False, problems=[NUL_MESSAGE]), 400
    return render_template("error.html", title="Yêu cầu không hợp lệ", message=NUL_MESSAGE), 400


def _bytes_text(size: int) -> str:
    """A byte bound as people read it: '4 GB', '50 MB', '1 MB', '512 KB' (binary units, as the bounds are set)."""
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if size >= scale:
            return f"{vn_decimal(size / scale, 0 if size % scale == 0 else 1)} {unit}"
    return f"{size} byte"


TOO_LARGE_TITLE = "Dữ liệu gửi lên quá lớn"


def too_large_message(path: str, limit: int) -> str:
    """What a user reads when a request to ``path`` (URL path) was over its body bound ``limit`` (bytes):
    the bound, and what to do on that page (Vietnamese). Said by Flask's 413 and by waitress's own, which
    refuses a body over the bound before reading it (omr.web.create_waitress_server)."""
    size = _bytes_text(limit) if limit else "của máy chủ"
    if path.rstrip("/") == "/batches":
        return (f"Các tệp chọn cho một lần tải lên vượt giới hạn {size} của máy chủ nên chưa tệp nào được nhận. "
                "Hãy chia thành nhiều lần tải lên (mỗi lần ít tệp hơn), hoặc chia tệp PDF lớn thành nhiều tệp "
                "nhỏ hơn, rồi tải lên lại vào cùng đợt quét.")
    if path.startswith("/admin/templates/"):  # the bound of the file (the body's holds a few form fields more)
        size = _bytes_text(min(limit, tuning.EDITOR_MAX_FILE_BYTES)) if limit else size
        return (f"Tệp gửi lên vượt giới hạn {size} của trình sửa mẫu phiếu nên chưa được nhận. Hãy quét lại "
                "phiếu trắng ở 200–300 dpi, đen trắng hoặc xám (không quét màu), chỉ gồm các trang của phiếu, "
                "rồi gửi lại.")
    if path.rstrip("/") == "/admin/online":  # the export file's bound (the body's holds the form's fields more)
        return (f"Tệp xuất trực tuyến gửi lên vượt giới hạn {megabytes(tuning.ONLINE_MAX_FILE_BYTES)} "
                "một lần nhập trên ứng dụng web nên chưa được nhận. Hãy chia tệp thành nhiều tệp nhỏ hơn (mỗi tệp "
                f"giữ dòng tiêu đề, không quá {vn_integer(tuning.ONLINE_MAX_ROWS)} dòng) rồi nhập lần lượt"
                f"{online_import.cli_advice()}.")
    return (f"Nội dung gửi lên vượt giới hạn {size} của một biểu mẫu nên chưa được nhận. Hãy rút ngắn nội dung "
            "đã gõ hoặc đã dán rồi gửi lại; để tải tệp quét, hãy dùng trang «Đợt quét».")


OWN_PASSWORD_HERE = ("Không đặt mật khẩu tạm cho chính mình ở đây: hãy đổi mật khẩu của bạn ở trang «Đổi mật "
                     "khẩu» (/account/password), trang đó hỏi mật khẩu hiện tại.")
PAGE_NOT_SET_ASIDE = ("Trang này đã được nhận dạng, không phải trang chưa nhận dạng, và không thuộc phiếu nào còn "
                      "lưu: không có gì để kiểm tra ở đây. Hãy về hàng đợi.")
TOO_MANY_FILES = ("Một lần tải lên nhận tối đa {files} tệp; các tệp đã chọn nhiều hơn thế nên chưa tệp nào được "
                  "nhận. Hãy chia thành nhiều lần tải lên, mỗi lần không quá {files} tệp, vào cùng đợt quét (cùng "
                  "tên đợt), hoặc gộp các ảnh chụp thành một tệp PDF nhiều trang rồi tải lên lại.")
LOGIN_TO_UPLOAD = ("Máy chủ chỉ nhận tệp tải lên từ người đã đăng nhập bằng tài khoản được phép tải lên trang "
                   "này; yêu cầu này không kèm phiên đăng nhập còn hiệu lực (chưa đăng nhập, phiên đã hết hạn "
                   "hoặc đã đăng xuất) nên chưa tệp nào được nhận. Hãy đăng nhập lại (trong thẻ mới), rồi tải "
                   "lại trang này, chọn tệp và tải lên lại.")


def too_large_response(path: str, limit: int, as_json: bool, *, login_needed: bool = False) -> Response:
    """The 413 answer for ``path`` over ``limit`` bytes: the editor's JSON (its save says why and keeps
    the edit) or a Vietnamese page. ``login_needed``: the body was held to a form's bound because its
    sender may not upload there (omr.web.bounds.login_needed_to_upload): the answer says to log in.
    Needs a request context (any path: nothing of the request is read)."""
    if login_needed:
        if as_json:
            response = jsonify(ok=False, session_ended=True, problems=[SESSION_ENDED])
        else:
            response = current_app.make_response(render_template(
                "error.html", title="Chưa đăng nhập", message=LOGIN_TO_UPLOAD))
    elif as_json:
        response = jsonify(ok=False, too_large=True, problems=[
            f"Bản sửa quá lớn để gửi lên máy chủ (giới hạn {_bytes_text(limit)}); hãy bớt câu hỏi hoặc ô "
            "rồi lưu lại."])
    else:
        files = path.rstrip("/") in ("/batches", "/admin/online") or path.startswith("/admin/templates/")
        response = current_app.make_response(render_template(
            "error.html", title="Tệp quá lớn" if files else TOO_LARGE_TITLE, message=too_large_message(path, limit)))
    response.status_code = 413
    return response


def register(app: Flask) -> None:
    app.before_request(_refuse_nul)
    app.before_request(_load_user)
    app.before_request(_require_password_change)
    app.after_request(security_headers)
    app.teardown_request(_drop_incoming)

    app.jinja_env.filters["vn_time"] = display.vn_time
    app.jinja_env.filters["vn_date"] = display.vn_date
    app.jinja_env.filters["page_detail"] = display.page_detail
    app.jinja_env.filters["batch_title"] = display.batch_title
    # What a scan upload accepts (the batch upload, the template editor's try): what «omr scan» reads.
    app.jinja_env.globals.update(scan_formats=SCAN_FORMAT_NAMES, scan_accept=SCAN_ACCEPT)

    @app.context_processor
    def _globals():
        return {"user": g.get("user"), "role_labels": users.ROLE_LABELS, "format_serial": _serial_text,
                "unit_label": _unit_label,
                "can_review": g.get("user") is not None and g.user.role in users.CAN_REVIEW,
                "can_upload": g.get("user") is not None and g.user.role in users.CAN_UPLOAD,
                "draft_shown": draft_shown}

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        if request.is_json:  # the session that held the token ended (template editor's save)
            return jsonify(ok=False, session_ended=True, problems=[
                "Phiên đăng nhập đã hết (hoặc mã bảo vệ CSRF không hợp lệ). " + SESSION_ENDED.split(". ", 1)[1]]), 400
        return render_template("error.html", title="Yêu cầu bị từ chối",
                               message="Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã bảo vệ CSRF). "
                                       "Hãy tải lại trang rồi thử lại."), 400

    @app.errorhandler(403)
    def _forbidden(exc):
        return render_template("error.html", title="Không có quyền",
                               message="Tài khoản của bạn không được phép mở trang này."), 403

    @app.errorhandler(404)
    def _not_found(exc):
        return render_template("error.html", title="Không tìm thấy", message="Trang hoặc mục này không có."), 404

    @app.errorhandler(405)
    def _method_not_allowed(exc):
        return render_template("error.html", title="Không thực hiện được",
                               message="Trang này không nhận kiểu yêu cầu đó; hãy mở trang từ trình đơn."), 405

    @app.errorhandler(500)
    def _server_error(exc):
        # Flask logged the exception with its traceback; the user reads what to do, never a path or code.
        if request.is_json:
            return jsonify(ok=False, problems=[SERVER_ERROR]), 500
        return render_template("error.html", title="Lỗi máy chủ", message=SERVER_ERROR), 500

    def _too_many_files():
        """413 «Quá nhiều tệp»: an upload of more than T.WEB_MAX_UPLOAD_FILES files, none taken."""
        return current_app.make_response((render_template(
            "error.html", title="Quá nhiều tệp",
            message=TOO_MANY_FILES.format(files=vn_integer(tuning.WEB_MAX_UPLOAD_FILES))), 413))

    @app.errorhandler(413)
    def _too_large(exc):
        limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH") or 0
        if bounds.form_parts(request.path) is not None and request.content_length is not None \
                and request.content_length <= limit:
            # werkzeug says 413 for a form of too many parts as for too many bytes: this one was not too many bytes.
            return _too_many_files()
        # Whose login: only an upload route's answer depends on it (one database read, skipped elsewhere).
        role = request_role() if bounds.upload_route(request.path) is not None else None
        return too_large_response(request.path, limit, request.is_json,
                                  login_needed=bounds.login_needed_to_upload(request.path, role))

    @app.get("/")
    @login_required()
    def home():
        if g.user.role == users.SCANNER:
            return redirect(url_for("batches_page"))
        if g.user.role == users.REVIEWER:
            return redirect(url_for("queue_page"))
        return redirect(url_for("progress_page"))

    @app.errorhandler(LoginThrottled)
    def _throttled(exc):
        minutes = max(1, round(exc.retry_after_s / 60))
        response = current_app.make_response((render_template(
            "login.html", name="", throttled=True,
            message=f"Đăng nhập sai quá nhiều lần với tài khoản này hoặc từ máy này; hãy thử lại sau khoảng "
                    f"{minutes} phút."), 429))
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "POST":
            name = request.form.get("name", "").strip()
            password = request.form.get("password", "")
            throttle = current_app.extensions["omr_login_throttle"]
            user = throttle.attempt(name, request.remote_addr or "", lambda: users.authenticate(_store(), name, password))
            if user is None:
                flash("Sai tên đăng nhập hoặc mật khẩu.", "error")
                return render_template("login.html", name=name), 401
            _start_session(user)
            if user.must_change_password:  # the page they were going to comes after the change
                return redirect(url_for("account_password", next=safe_local_path(request.args.get("next"))))
            return redirect(_safe_next(request.args.get("next")))
        return render_template("login.html", name="")

    @app.get("/favicon.ico")
    def favicon():
        # Browsers ask for /favicon.ico before reading the page's <link rel="icon">.
        return redirect(url_for("static", filename="favicon.svg"), 301)

    @app.post("/logout")
    def logout():
        if g.user is not None:
            # Ends this cookie and any copy of it (and the user's other sessions): a saved cookie is worthless.
            users.end_sessions(_store(), g.user.id)
        session.clear()
        return redirect(url_for("login"))

    @app.route("/account/password", methods=["GET", "POST"])
    @login_required()
    def account_password():
        status = 200
        if request.method == "POST":
            new = request.form.get("new_password") or ""
            try:
                if new != (request.form.get("new_password_again") or ""):
                    raise review.ReviewError("Hai lần nhập mật khẩu mới không giống nhau")
                current = request.form.get("current_password") or ""
                # A wrong current password counts as a failed login of this account from this address: a
                # borrowed session (an unlocked desk, a copied cookie) cannot guess it without limit.
                throttle = current_app.extensions["omr_login_throttle"]
                if throttle.attempt(g.user.name, request.remote_addr or "",
                                    lambda: users.authenticate(_store(), g.user.name, current)) is None:
                    raise review.ReviewError("Mật khẩu hiện tại không đúng")
                users.change_own_password(_store(), g.user.id, current, new)
            except LoginThrottled as exc:
                flash(f"Nhập sai mật khẩu quá nhiều lần; hãy thử lại sau khoảng "
                      f"{max(1, round(exc.retry_after_s / 60))} phút.", "error")
                status = 429
            except OmrError as exc:
                flash(exc.message, "error")
                status = 400
            else:
                # The change ended every session, this one too: start a fresh one under the new version.
                _start_session(users.get_user(_store(), g.user.id))
                flash("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc.", "ok")
                # A fresh GET (the address bar leaves the form's URL): the page they were going to, or home.
                return redirect(_after_password_change(request.args.get("next")), 303)
        return render_template("account.html", must_change=g.user.must_change_password), status

    # -- batches (scanning staff) --

    @app.get("/batches")
    @login_required(*users.CAN_UPLOAD)
    def batches_page():
        return render_template("batches.html", **_batches_context())

    @app.post("/batches")
    @login_required(*users.CAN_UPLOAD)
    def upload_batch():
        # Files counted exactly: werkzeug's bound on the form's parts leaves room for its fields, so up to
        # T.WEB_MAX_UPLOAD_FILES + T.WEB_UPLOAD_FORM_FIELDS files got through it.
        if sum(1 for _, f in request.files.items(multi=True) if f.filename) > tuning.WEB_MAX_UPLOAD_FILES:
            return _too_many_files()
        name = (request.form.get("name") or "").strip()
        errors = []
        if not name or len(name) > 200:
            errors.append("Cần tên đợt quét (tối đa 200 ký tự).")
        elif not name.isprintable():  # checked before any uploaded file is kept
            errors.append("Tên đợt quét có ký tự điều khiển (không in được); hãy gõ lại tên.")
        collected = []
        for field, label in (("collected_from", "ngày bắt đầu thu"), ("collected_to", "ngày kết thúc thu")):
            text = (request.form.get(field) or "").strip()
            try:
                collected.append(display.parse_day(text))
            except ValueError:
                why = not_a_day(text)
                errors.append(f"{why[:1].upper()}{why[1:]} ({label}).")
                collected.append(None)
        if (collected[0] is None) != (collected[1] is None):
            errors.append("Cần cả ngày bắt đầu và ngày kết thúc thu phiếu, hoặc bỏ trống cả hai.")
        elif collected[0] and collected[1] and collected[0] > collected[1]:
            errors.append("Ngày bắt đầu thu phải trước hoặc bằng ngày kết thúc.")
        received = [(f.filename or "", Path(f.stream.name)) for f in request.files.getlist("files")
                    if f.filename and hasattr(f.stream, "name")]
        if not received:
            errors.append("Chưa chọn tệp quét nào.")
        if errors:
            for message in errors:
                flash(message, "error")
            return render_template("batches.html", **_batches_context(), form=request.form), 400
        job_id, accepted, refused = jobs.create_job(_store(), current_app.config["UPLOADS_DIR"], name,
                                                    collected[0], collected[1], received, g.user.name)
        for item in refused:
            flash(f"Tệp «{item.name}» bị từ chối: {item.reason}.", "error")
        if job_id is None:
            return render_template("batches.html", **_batches_context(), form=request.form), 400
        flash(f"Đã nhận {len(accepted)} tệp ({sum(f['pages'] for f in accepted)} trang) cho đợt «{name}»; "
              "đang đọc ở chế độ nền, có thể đóng trình duyệt.", "ok")
        # A file cut at the page bound is said on the job page this redirects to (job.html), on every visit.
        current_app.extensions["omr_jobs"].wake()
        return redirect(url_for("job_page", job_id=job_id), 303)

    @app.get("/batches/jobs/<int:job_id>")
    @login_required(*users.CAN_UPLOAD)
    def job_page(job_id: int):
        job = jobs.job_status(_store(), job_id)
        if job is None:
            abort(404)
        # The batch the job read into: what is left to review, and the queue filtered to it.
        batch = next((b for b in review.batch_progress(_store()) if b["name"] == job["batch_name"]), None)
        no_reader = job["status"] == jobs.QUEUED and current_app.extensions["omr_jobs"].no_reader_connected()
        return render_template("job.html", job=job, batch=batch, cancelled=jobs.cancellation(_store(), job_id),
                               no_reader=no_reader, no_reader_s=int(tuning.JOB_QUEUE_NO_WORKER_AFTER_S))

    @app.post("/batches/jobs/<int:job_id>/cancel")
    @login_required(*users.CAN_UPLOAD)
    def job_cancel(job_id: int):
        job = jobs.job_status(_store(), job_id)
        if job is None:
            abort(404)
        if g.user.role != users.ADMIN and job["created_by"] != g.user.name:
            abort(403)  # a scanner cancels only their own uploads
        if request.form.get("confirm") != "1":
            flash("Hãy đánh dấu ô xác nhận để huỷ việc đọc lần tải lên này.", "error")
            return redirect(url_for("job_page", job_id=job_id), 303)
        try:
            status = jobs.cancel_job(_store(), job_id, g.user.name,
                                     reason=(request.form.get("reason") or "").strip()[:500])
        except jobs.CancelError as exc:
            flash(exc.message, "error")
        else:
            flash("Đã huỷ: không trang nào được đọc." if status == jobs.CANCELLED else
                  "Đang dừng: các trang đang đọc dở sẽ xong trong ít phút, các trang còn lại không được đọc.", "ok")
        return redirect(url_for("job_page", job_id=job_id), 303)

    @app.post("/batches/jobs/<int:job_id>/files/<int:number>/reject")
    @login_required(*users.CAN_UPLOAD)
    def job_file_reject(job_id: int, number: int):
        job = jobs.job_status(_store(), job_id)
        if job is None or not 1 <= number <= len(job["files"]):
            abort(404)
        if g.user.role != users.ADMIN and job["created_by"] != g.user.name:
            abort(403)  # a scanner decides only on their own uploads
        entry = job["files"][number - 1]
        if request.form.get("confirm") != "1":
            flash("Hãy đánh dấu ô xác nhận để loại bỏ các trang chưa nhận dạng của tệp này.", "error")
        else:
            rejected, kept = review.reject_file_pages(
                _store(), entry["sha256"], g.user.name, reason=(request.form.get("reason") or "").strip()[:500],
                batch_name=job["batch_name"], since=stored_time(job["created_at"]))
            flash(f"Đã loại bỏ {rejected} trang chưa nhận dạng của tệp «{entry['name']}» khỏi hàng đợi "
                  "(mỗi trang được ghi lại trong lịch sử; quản trị viên có thể đưa lại trang vào hàng đợi)."
                  + (f" {kept} trang đã nhận ra mẫu phiếu (chỉ cần nhập số phiếu) vẫn chờ người kiểm tra: "
                     "đó là trang phiếu, không loại bỏ hàng loạt." if kept else ""), "ok")
        return redirect(url_for("job_page", job_id=job_id), 303)

    @app.post("/pages/<int:page_id>/restore")
    @login_required(users.ADMIN)
    def page_restore(page_id: int):
        """An admin undoes a page's rejection: it waits in the queue again (audited)."""
        try:
            review.restore_page(_store(), page_id, g.user.name,
                                reason=(request.form.get("reason") or "").strip()[:500])
        except StaleWriteError as exc:
            flash(exc.message, "error")
        else:
            flash("Đã đưa trang trở lại hàng đợi kiểm tra (được ghi lại trong lịch sử).", "ok")
        job_id = db_id(request.form.get("job", ""))
        return redirect(url_for("job_page", job_id=job_id) if job_id else url_for("queue_page"), 303)

    # -- the queue (reviewers) --

    def _filter_from(values) -> dict:
        kind = values.get("kind", "")
        return {"batch_id": db_id(values.get("batch", "")), "unit": (values.get("unit") or "").strip()[:100],
                "kind": kind if kind in review.KINDS else ""}

    @app.post("/queue")
    @login_required(*users.CAN_REVIEW)
    def queue_start():
        """The reviewer starts with the filter shown: saved in the session (a POST with its CSRF token)."""
        session["queue_filter"] = _filter_from(request.form)
        session["queue_skip"] = []
        return redirect(url_for("queue_next"), 303)

    @app.get("/queue")
    @login_required(*users.CAN_REVIEW)
    def queue_page():
        # A filter in the URL is shown, never saved: a GET (a link on another site) changes nothing.
        if "kind" in request.args or "batch" in request.args or "unit" in request.args:
            shown = _filter_from(request.args)
            flt = review.QueueFilter(shown["batch_id"], shown["unit"] or None, shown["kind"] or None)
        else:
            flt = _queue_filter()
        return render_template("queue.html", counts=review.queue_counts(_store(), flt), kinds=review.KINDS,
                               batches=review.batch_progress(_store()),
                               units=review.queue_units(_store(), flt), flt=flt,
                               done=request.args.get("done") == "1")

    @app.get("/queue/next")
    @login_required(*users.CAN_REVIEW)
    def queue_next():
        key = review.claim_next(_store(), g.user.name, _queue_filter(), skip=set(session.get("queue_skip", [])))
        if key is None and session.get("queue_skip"):
            flash("Chỉ còn các mục bạn đã bỏ qua; chúng được đưa lại từ đầu.", "info")
            session["queue_skip"] = []
            key = review.claim_next(_store(), g.user.name, _queue_filter())
        if key is None:
            return redirect(url_for("queue_page", done=1))
        return redirect(_item_url(key))

    @app.get("/queue/item/<entity>/<int:ident>")
    @login_required(*users.CAN_REVIEW)
    def queue_item(entity: str, ident: int):
        key, item = _existing_item(entity, ident)
        if item.kind == review.PAGE and item.data["set_aside"] is None and item.data["decision"] is None:
            # A page that was identified (read fine, or assigned since): no page to identify here.
            if item.data["response_id"] is None:
                return render_template("error.html", title="Không tìm thấy", message=PAGE_NOT_SET_ASIDE), 404
            # The serial of the response it lands on: a sheet given a new serial (keep-all of a serial
            # conflict) still shows the old one on its page.
            with _store().reading() as conn:
                serial = conn.execute(sa.select(responses_table.c.serial).where(
                    responses_table.c.id == item.data["response_id"])).scalar()
            flash(f"Trang #{ident} đã được nhận dạng: trang {item.data['page']} của phiếu số "
                  f"{_serial_text(serial if serial is not None else item.serial)}. Đây là lịch sử của phiếu đó.",
                  "info")
            return redirect(url_for("response_page", response_id=item.data["response_id"]))
        held_by = None
        if item.data["pending"] and not review.claim(_store(), key, g.user.name):
            held_by = review.holder(_store(), key)
        return _render_item(item, held_by)

    @app.post("/queue/item/<entity>/<int:ident>")
    @login_required(*users.CAN_REVIEW)
    def queue_item_save(entity: str, ident: int):
        key, item = _existing_item(entity, ident)
        reason = (request.form.get("reason") or "").strip()[:500]
        expected = request.form.get("version", "")
        try:
            if not review.editable(item):  # a URL typed by hand for something the machine settled, a decided page
                raise review.ReviewError(review.not_editable_reason(item))
            _check_image_shown(item, request.form)
            if entity == "answer":
                question = _question(item.data["form_id"], item.data["form_version"], item.data["question"])
                if question is None:
                    raise review.ReviewError("Không tìm thấy mẫu phiếu của câu hỏi này")
                if request.form.get("action") == "accept":
                    value, status = item.data["value"], OK
                    if question.single_answer and isinstance(value, list) or value is None or value == []:
                        raise review.ReviewError("Máy không đọc ra một giá trị để chấp nhận; hãy chọn một ô "
                                                 "hoặc bấm để trống.")
                else:
                    value, status = _parse_answer(question, request.form)
                review.resolve_answer(_store(), ident, g.user.name, value, status, expected=expected, reason=reason)
            elif entity == "comment":
                text = (request.form.get("text") or "").replace("\r\n", "\n").strip()
                if not text:
                    # An inked box is never recorded as saying nothing; illegible is a statement too.
                    raise review.ReviewError("Hãy gõ nội dung ý kiến; nếu không đọc được, gõ «[không đọc được]».")
                review.transcribe_comment(_store(), ident, g.user.name, text, expected=expected, reason=reason)
                dropped = review.flags_dropped(item.data["flags"], text)
                if dropped:
                    flash("Nội dung đã lưu không còn dấu hiệu " + ", ".join(f"«{t}»" for t in dropped)
                          + " mà bản đọc trước có; thay đổi này được ghi trong lịch sử của phiếu.", "info")
            elif entity == "response":
                _decide_sheet(item, ident, request.form, expected, reason)
            elif request.form.get("action") == "reject":
                review.reject_page(_store(), ident, g.user.name, reason=reason)
            else:
                form_key = request.form.get("form", "")
                form_id, _, version = form_key.rpartition("@")
                try:
                    page_number = int(request.form.get("page", ""))
                    serial = int(request.form.get("serial", ""))
                    version_number = int(version)
                except ValueError:
                    raise review.ReviewError("Cần mẫu phiếu, số trang và số phiếu (chữ số)") from None
                if not 1 <= serial <= 999_999:
                    raise review.ReviewError("Số phiếu phải từ 1 đến 999999")
                unit = (request.form.get("unit") or "").strip() or None
                outcome = review.assign_page(_store(), _catalogue(), ident, g.user.name, form_id, version_number,
                                             page_number, serial, unit=unit, reason=reason)
                if outcome == "conflict":
                    flash(f"Phiếu số {format_serial(serial)} trang {page_number} đã có: hai tờ trùng số phiếu, "
                          "cả hai được đánh dấu để kiểm tra.", "info")
        except (StaleWriteError, review.ClaimedError, review.ReviewError) as exc:
            flash(exc.message, "error")
            fresh = review.load_item(_store(), key)
            holder = review.holder(_store(), key) if fresh else None
            # The reviewer's own claim is no one else's work to mention («đang được lan kiểm tra» to lan).
            return _render_item(fresh or item, holder if holder != g.user.name else None), 409
        _remember(key, "queue_history", HISTORY_LIMIT)
        return redirect(url_for("queue_next"), 303)

    @app.post("/queue/item/<entity>/<int:ident>/skip")
    @login_required(*users.CAN_REVIEW)
    def queue_skip(entity: str, ident: int):
        if entity not in review.ENTITY_OF_KIND.values():
            abort(404)  # no kind of queue item (was a ReviewError escaping as a 500)
        key = f"{entity}:{ident}"
        review.release(_store(), key, g.user.name)
        _remember(key, "queue_skip", SKIP_LIMIT)
        _remember(key, "queue_history", HISTORY_LIMIT)
        return redirect(url_for("queue_next"), 303)

    @app.get("/queue/previous")
    @login_required(*users.CAN_REVIEW)
    def queue_previous():
        history = session.get("queue_history", [])
        current = request.args.get("from", "")
        keys = [k for k in history if k != current]
        if not keys:
            flash("Chưa có mục nào trước đó.", "info")
            return redirect(url_for("queue_next"))
        return redirect(_item_url(keys[-1]))

    def _check_image_shown(item: review.Item, form) -> None:
        """Refuse a decision from a page that never showed the item's picture (ReviewError, nothing saved).

        The item page's script sets the hidden field ``image_shown`` to IMAGE_SHOWN once the crop has
        loaded and is drawn, or to IMAGE_FAILED_CONFIRMED when it could not load and the reviewer ticked
        that they decide without it; a save sent before (Enter pressed while the picture was still
        loading) would record a decision nobody looked at. The machine's read is never accepted unseen.
        """
        if not _shows_image(item):
            return
        if item.kind == review.PAGE and form.get("action") == "reject":
            return  # a rejected page is kept and can be restored; only an assignment reads the picture
        shown = form.get("image_shown", "")
        if shown == IMAGE_SHOWN or (shown == IMAGE_FAILED_CONFIRMED and form.get("action") != "accept"):
            return
        raise review.ReviewError(IMAGE_NOT_SHOWN)

    def _decide_sheet(item, ident: int, form, expected: str, reason: str) -> None:
        """A decision on a whole sheet (issue #14): missing pages lost, a serial conflict settled, or a
        possible duplicate (#16) kept once or twice."""
        action = form.get("action", "")
        # The sheets the page showed: a sheet scanned since is never decided unseen.
        shown = [n for part in form.get("shown", "").split(",") if (n := _whole_number(part)) is not None]
        if item.kind == review.DUPLICATE:
            keep = form.get("keep", "")
            if action not in ("keep", "both"):
                raise review.ReviewError("Hãy chọn một quyết định cho tờ phiếu")
            review.resolve_duplicate(_store(), ident, g.user.name, action,
                                     keep_id=_whole_number(keep), reason=reason, shown=shown)
        elif item.kind == review.EMPTY:
            if action not in ("empty", "answered"):
                raise review.ReviewError("Hãy chọn một quyết định cho tờ phiếu")
            review.resolve_no_answers(_store(), ident, g.user.name, action == "empty", expected=expected,
                                      reason=reason)
        elif action == "lost":
            review.mark_pages_lost(_store(), ident, g.user.name, expected=expected, reason=reason)
        elif action in ("keep", "both", "neither"):
            keep = form.get("keep", "")
            keep_id = _whole_number(keep)
            # One new serial per sheet not kept (field new_serial_<sheet id>; the kept sheet's is ignored);
            # a group of two may send the single field new_serial instead.
            new_serials: dict[int, int] = {}
            serial_text = (form.get("new_serial") or "").strip()
            texts = [(sheet_id, (form.get(f"new_serial_{sheet_id}") or "").strip()) for sheet_id in shown]
            for sheet_id, text in [*texts, (None, serial_text)]:
                if action == "both" and text and not (text.isascii() and text.isdecimal()):
                    raise review.ReviewError("Cần số phiếu mới (chữ số) cho mỗi tờ không giữ số cũ")
                if action == "both" and text and sheet_id is not None and sheet_id != keep_id:
                    new_serials[sheet_id] = _whole_number(text)
            review.resolve_conflict(_store(), ident, g.user.name, action, keep_id=keep_id,
                                    new_serial=_whole_number(serial_text),
                                    new_serials=new_serials if action == "both" else None, reason=reason,
                                    shown=shown)
        else:
            raise review.ReviewError("Hãy chọn một quyết định cho tờ phiếu")

    def _render_item(item: review.Item, held_by: str | None):
        question = None
        keys: dict[str, str] = {}
        if item.kind in (review.MARK, review.MISALIGNED):
            question = _question(item.data["form_id"], item.data["form_version"], item.data["question"])
            keys = option_keys(question) if question is not None else {}
        forms = sorted(_catalogue().layouts)
        source, suggested = None, []
        if item.kind == review.PAGE:
            with _store().reading() as conn:
                source = display.page_source(conn, item.entity_id)
                if item.data["pending"] and item.data["has_image"] and item.serial is None:
                    suggested = completeness.sheets_missing_page(conn, item.entity_id)
        history = [k for k in session.get("queue_history", []) if k != item.key]
        return render_template(
            "item.html", item=item, question=question, keys=keys, held_by=held_by,
            can_save=review.editable(item), not_editable=review.not_editable_reason(item),
            status_label=STATUS_LABELS.get(item.data.get("status"), item.data.get("status")),
            value_text=_value_text(question, item.data.get("value")), kinds=review.KINDS,
            machine_words=_machine_words(question, item.data.get("value"), item.data.get("status")),
            machine=_machine_read(item, question), needs_image=_shows_image(item),
            set_aside_label=SET_ASIDE_REASONS.get(item.data.get("set_aside"), item.data.get("set_aside")),
            forms=forms, source=source, suggested=suggested, counts=review.queue_counts(_store(), _queue_filter()),
            has_previous=bool(history),
            no_opinion=NO_OPINION_CODE, needs_review=NEEDS_REVIEW)

    def _machine_read(item: review.Item, question) -> dict | None:
        """A person's answer reopened: the machine's read it replaced, in words (None if none recorded)."""
        read = item.data.get("machine_read")
        if item.kind not in (review.MARK, review.MISALIGNED) or read is None:
            return None
        text, status = _machine_words(question, read["value"], read["status"])
        return {"text": text, "status": status, "confidence": read["confidence"]}

    # -- images, by id only --

    def _png(render) -> Response:
        try:
            data = render()
        except images.ImageMissing as exc:
            data = images.message_png(str(exc))
        except Exception:  # a stored page that cannot be drawn (an OpenCV error): a message, never a 500
            app.logger.exception("image of a stored page not drawn")
            data = images.message_png("Không vẽ được ảnh của trang này (ảnh gốc không hợp lệ)")
        response = Response(data, mimetype="image/png")
        response.headers["Cache-Control"] = PRIVATE_NO_STORE
        return response

    @app.get("/img/answer/<int:answer_id>.png")
    @login_required(*users.CAN_REVIEW)
    def answer_image(answer_id: int):
        item = review.load_item(_store(), f"answer:{answer_id}")
        if item is None or item.page_id is None:
            abort(404)
        return _png(lambda: images.question_strip(_store(), item.page_id, item.data["question"]))

    @app.get("/img/comment/<int:comment_id>.png")
    @login_required(*users.CAN_REVIEW)
    def comment_image(comment_id: int):
        with _store().reading() as conn:
            row = conn.execute(comments.select().with_only_columns(comments.c.crop_png)
                               .where(comments.c.id == comment_id)).first()
        if row is None or row.crop_png is None:
            abort(404)
        response = Response(bytes(row.crop_png), mimetype="image/png")
        response.headers["Cache-Control"] = PRIVATE_NO_STORE
        return response

    @app.get("/img/page/<int:page_id>.png")
    @login_required(*users.CAN_REVIEW)
    def page_image(page_id: int):
        question = request.args.get("question") or None
        region = None
        comment_id = db_id(request.args.get("comment"))
        if comment_id is not None:
            with _store().reading() as conn:
                row = conn.execute(comments.select().with_only_columns(
                    comments.c.x, comments.c.y, comments.c.w, comments.c.h, comments.c.page_id)
                    .where(comments.c.id == comment_id)).first()
            if row is not None and row.page_id == page_id:
                region = (row.x, row.y, row.w, row.h)
        return _png(lambda: images.whole_page(_store(), page_id, question, region))

    @app.get("/pages/<int:page_id>")
    @login_required(*users.CAN_REVIEW)
    def page_view(page_id: int):
        return render_template("page.html", page_id=page_id, question=request.args.get("question", ""),
                               comment=request.args.get("comment", ""), back=_safe_next(request.args.get("back")))

    # -- responses and their history --

    @app.get("/responses/<int:response_id>")
    @login_required(*users.CAN_REVIEW)
    def response_page(response_id: int):
        with _store().reading() as conn:
            head = conn.execute(responses_table.select().where(responses_table.c.id == response_id)).first()
        if head is None:
            abort(404)
        response = next((r for r in _store().responses() if r["id"] == response_id), None)
        layout = _catalogue().layouts.get((head.form_id, head.version))
        questions = {q.id: q for q in layout.questions} if layout else {}
        with _store().reading() as conn:
            answer_ids = dict(conn.execute(sa.select(answers_table.c.question, answers_table.c.id)
                                           .where(answers_table.c.response_id == response_id)).all())
        rows = []
        for qid, (value, status, _confidence) in (response or {}).get("answers", {}).items():
            set_by = response["set_by"].get(qid)
            # A person's decision (or one still waiting) opens again from here: a reviewer who slipped once
            # the queue is empty fixes it without typing a URL (trial, stop 25); machine reads are not edited.
            editable = status in NEEDS_REVIEW or set_by not in (MACHINE, IMPORTED_BY)
            rows.append({"question": qid, "text": questions[qid].text if qid in questions else "",
                         "value": _value_text(questions.get(qid), value), "status": STATUS_LABELS.get(status, status),
                         "set_by": set_by, "answer_id": answer_ids.get(qid) if editable else None})
        missing = completeness.missing_pages(response) if response else []
        # The questions and comment fields printed on a missing page: shown «trang thiếu», never left out (a
        # reader took a sheet with only page 1 for one whose respondent wrote no comment).
        on_page = layout.question_pages() if layout else {}
        absent = {qid: page for qid, page in on_page.items() if page in missing}
        if absent:
            shown = {r["question"] for r in rows}
            rows += [{"question": q.id, "text": q.text, "value": "",
                      "status": f"trang thiếu (câu in ở trang {absent[q.id]}, chưa có trong cơ sở dữ liệu)",
                      "set_by": None, "answer_id": None, "missing_page": absent[q.id]}
                     for q in layout.questions if q.id in absent and q.id not in shown
                     and q.id not in {r.field for p in layout.pages for r in p.text_regions}]
            order = {q.id: i for i, q in enumerate(layout.questions)}
            rows.sort(key=lambda r: order.get(r["question"], len(order)))
        missing_fields = sorted({qid: page for qid, page in absent.items()
                                 if qid in {r.field for p in layout.pages for r in p.text_regions}}.items())
        flags = [FLAG_LABELS.get(f, f) for f in (response or {}).get("flags", [])]
        history = review.response_history(_store(), response_id)
        for change in history:
            question = questions.get(change["field"])
            change["field_text"] = history_item(change["entity"], change["field"])
            for side in ("old", "new"):
                data = change[side]
                if isinstance(data, dict) and "value" in data:
                    status = STATUS_LABELS.get(data.get("status"), data.get("status"))
                    if data["value"] in (None, []) and status:  # "để trống", "không hợp lệ (đánh nhiều ô)"
                        change[side + "_text"] = status
                    else:
                        change[side + "_text"] = _value_text(question, data["value"]) + (f" ({status})"
                                                                                          if status else "")
                elif isinstance(data, dict) and "text" in data:
                    # Before a person's first text, the value was the machine's draft (when it made one).
                    change[side + "_text"] = (data["text"] if data["text"] is not None else
                                              f"bản nháp của máy: {quoted(data['draft'])}" if data.get("draft")
                                              else "(chưa có)")
                    if "flags" in data:  # the flagged terms: a flag the text dropped shows
                        change[side + "_text"] += (" (dấu hiệu: " + ", ".join(data["flags"]) + ")"
                                                   if data["flags"] else " (không có dấu hiệu)")
                elif isinstance(data, dict) and "flags" in data:  # a decision on the whole sheet (#14)
                    labels = [FLAG_LABELS.get(f, f) for f in data["flags"].split(",") if f]
                    change[side + "_text"] = (f"số phiếu {_serial_text(data.get('serial'))}"
                                              + (f"; {', '.join(labels)}" if labels else ""))
                elif data is None:
                    change[side + "_text"] = "(chưa có)"
                else:
                    change[side + "_text"] = json.dumps(data, ensure_ascii=False)
        return render_template("response.html", head=head, response=response, rows=rows, history=history,
                               comments=_response_comments(response_id),
                               missing=missing, flags=flags, missing_fields=missing_fields)

    # -- progress --

    @app.get("/progress")
    @login_required()
    def progress_page():
        batch_rows = review.batch_progress(_store())
        return render_template("progress.html", batches=batch_rows,
                               reviewers=review.reviewer_progress(_store()),
                               rate_min_minutes=tuning.RATE_MIN_WORKED_MINUTES,
                               drafts={b["id"]: drafting_progress(_store(), b["id"]) for b in batch_rows})

    # -- admin --

    @app.route("/admin/users", methods=["GET", "POST"])
    @login_required(users.ADMIN)
    def admin_users():
        status = 200
        if request.method == "POST":
            action = request.form.get("action", "add")
            try:
                if action == "add":
                    # The admin chose this password: the new user replaces it at first login.
                    added = users.add_user(_store(), (request.form.get("name") or "").strip(),
                                           request.form.get("password") or "",
                                           request.form.get("role") or users.REVIEWER,
                                           created_by=g.user.name, must_change_password=True)
                    # The name as stored («admin », typed with a trailing space, was said back with it).
                    flash(f"Đã tạo người dùng «{added.name}»; người này phải đổi mật khẩu "
                          "ở lần đăng nhập đầu tiên.", "ok")
                elif action in ("disable", "enable"):
                    user_id = db_id(request.form.get("user_id"))
                    if user_id is None:
                        raise review.ReviewError("Không có người dùng này")
                    if user_id == g.user.id:
                        raise review.ReviewError("Không thể tự khoá tài khoản của mình")
                    users.set_active(_store(), user_id, action == "enable", changed_by=g.user.name)
                    flash("Đã cập nhật tài khoản.", "ok")
                elif action == "password":
                    user_id = db_id(request.form.get("user_id"))
                    if user_id is None:
                        raise review.ReviewError("Không có người dùng này")
                    if user_id == g.user.id:
                        # /account/password asks for the current password so a borrowed session cannot take the
                        # account over: this form must not be the way round it.
                        raise review.ReviewError(OWN_PASSWORD_HERE)
                    users.set_password(_store(), user_id, request.form.get("password") or "",
                                       changed_by=g.user.name)
                    target = users.get_user(_store(), user_id)
                    if target is not None:  # the new password must let them in now, not after the lock
                        current_app.extensions["omr_login_throttle"].unlock(target.name)
                    flash("Đã đặt mật khẩu tạm; người dùng phải đổi ở lần đăng nhập sau.", "ok")
            except (OmrError, ValueError, KeyError) as exc:
                flash(getattr(exc, "message", "Dữ liệu không hợp lệ"), "error")
                status = 400
        # The least powerful role first: a new user starts as a reviewer unless the admin chooses otherwise.
        people = users.list_users(_store())
        throttle = current_app.extensions["omr_login_throttle"]
        locks = {u.id: until for u in people if (until := throttle.locked_until(u.name)) is not None}
        return render_template("users.html", users=people, roles=(users.REVIEWER, users.SCANNER, users.ADMIN),
                               locks={i: datetime.fromtimestamp(t, timezone.utc) for i, t in locks.items()}), status

    @app.post("/admin/uploads/purge")
    @login_required(users.ADMIN)
    def admin_purge_uploads():
        text = (request.form.get("days") or "").strip()
        if not text.isdecimal() or len(text) > 9 or not 1 <= int(text) <= tuning.PURGE_MAX_DAYS:
            bounds = f"số nguyên từ 1 đến {vn_integer(tuning.PURGE_MAX_DAYS)}"
            flash(f"Chưa nhập số ngày ({bounds})." if not text else
                  f"{quoted(text[:20])} không phải số ngày hợp lệ ({bounds}).", "error")
            return redirect(url_for("batches_page"), 303)
        done = purge.purge_uploads(_store(), int(text), g.user.name)
        images.forget_pictures()  # pictures kept in memory of the files just deleted
        flash(f"Đã xoá {done.files} tệp của {done.jobs} lần tải lên đã kết thúc quá {int(text)} ngày "
              f"({_size_text(done.freed_bytes)}); kết quả đọc và ảnh ý kiến viết tay vẫn được giữ.", "ok")
        for job_id, why in done.kept:
            flash(f"Giữ lại lần tải lên #{job_id}: {why}.", "info")
        return redirect(url_for("batches_page"), 303)

    @app.route("/admin/online", methods=["GET", "POST"])
    @login_required(users.ADMIN)
    def admin_online():
        """An online export (CSV/XLSX) imported by the command line's importer, audited (issue: hweb3)."""
        done, status = None, 200
        if request.method == "POST":
            source = (request.form.get("source") or "").strip()
            upload = request.files.get("file")
            mapping = request.files.get("mapping")
            errors = []
            if not source or len(source) > 200 or not source.isprintable():
                errors.append("Cần tên nguồn (tối đa 200 ký tự, không có ký tự điều khiển), "
                              "ví dụ google-forms-2026.")
            if upload is None or not upload.filename or not hasattr(upload.stream, "name"):
                errors.append("Chưa chọn tệp xuất trực tuyến (CSV hoặc XLSX).")
            mapping_path = None
            if mapping is not None and mapping.filename:
                if not mapping.filename.lower().endswith((".yaml", ".yml")) or not hasattr(mapping.stream, "name"):
                    errors.append(f"Tệp ánh xạ {quoted(online_import.shown_name(mapping.filename))} phải là "
                                  "tệp YAML (tải «tệp ánh xạ mẫu» dưới ô «Tệp ánh xạ cột» rồi sửa).")
                else:
                    mapping_path = Path(mapping.stream.name)
            if not errors:
                try:
                    done = online_import.import_upload(
                        _store(), current_app.config["UPLOADS_DIR"], upload.filename, Path(upload.stream.name),
                        source, g.user.name, current_app.config["TEMPLATE_DIR"], mapping_path,
                        mapping_name=mapping.filename if mapping_path is not None else "")
                except OmrError as exc:
                    errors.append(exc.message)
            for message in errors:
                flash(message, "error")
            status = 400 if errors else 200
        return render_template("online_import.html", done=done, form=request.form,
                               past=online_import.past_imports(_store()),
                               starters=online_import.starter_templates(current_app.config["TEMPLATE_DIR"]),
                               shown_problems=tuning.ONLINE_PROBLEMS_SHOWN,
                               repeat_minutes=int(DUPLICATE_WINDOW.total_seconds() // 60),
                               max_bytes=megabytes(tuning.ONLINE_MAX_FILE_BYTES),
                               max_rows=vn_integer(tuning.ONLINE_MAX_ROWS)), status

    @app.get("/admin/online/mapping/<form_id>-v<int:version>.yaml")
    @login_required(users.ADMIN)
    def admin_online_mapping(form_id: str, version: int):
        """A starter mapping file of one form, for an export whose columns the importer did not recognise."""
        text = online_import.starter_mapping(current_app.config["TEMPLATE_DIR"], form_id, version)
        if text is None:
            abort(404)
        response = current_app.make_response(text)
        response.headers["Content-Type"] = "application/yaml; charset=utf-8"
        response.headers["Content-Disposition"] = f'attachment; filename="anh-xa-{form_id}-v{version}.yaml"'
        return response

    @app.get("/admin/online/<int:file_id>/rejects.csv")
    @login_required(users.ADMIN)
    def admin_online_rejects(file_id: int):
        path = online_import.rejects_path(current_app.config["UPLOADS_DIR"], file_id, _store())
        if path is None:
            abort(404)
        return send_file(path, mimetype="text/csv", as_attachment=True,
                         download_name=f"dong-bi-tu-choi-{file_id}.csv")

    @app.get("/admin/units")
    @login_required(users.ADMIN)
    def admin_units():
        return render_template("units.html", units=review.units(_store()))

    @app.get("/admin/export.<fmt>")
    @login_required(users.ADMIN)
    def admin_export(fmt: str):
        if fmt not in ("csv", "xlsx"):
            abort(404)
        catalogue = _catalogue()

        def lookup(form_id, version):
            layout = catalogue.layouts.get((form_id, version))
            return catalogue.template_of(layout) if layout else None

        # Vietnamese headers and labels for people; ?codes=1 for the codes (programs, old macros).
        archive = export_zip(_store(), fmt, lookup, labels=request.args.get("codes") != "1")
        return send_file(archive, mimetype="application/zip", as_attachment=True,
                         download_name=export_zip_name(fmt))


def export_zip_name(fmt: str, now: datetime | None = None) -> str:
    """The download name of an export, dated in Vietnam (omr.model.VN_TZ), not the server's clock:
    'omr-export-csv-2026-03-06.zip' at 01:00 on 6 March in Vietnam (18:00 UTC on the 5th)."""
    today = (now or datetime.now(timezone.utc)).astimezone(VN_TZ).date()
    return f"omr-export-{fmt}-{today.isoformat()}.zip"


def export_zip(store, fmt: str, template_lookup, *, labels: bool = True, work_dir: str | None = None):
    """The export as one zip: ``omr-export.<fmt>`` and its ``omr-export_crops/`` folder of comment crops.

    Written in a private temporary folder (mode 0700, removed before
    returning, so no crop stays on disk) into an anonymous temporary file
    (unlinked at once: it vanishes when closed). Returns the open file,
    positioned at its start. ``labels``: Vietnamese headers and labels
    (omr.reports.export_vi) rather than codes. ``work_dir``: where temporary files go (tests).
    """
    archive = tempfile.TemporaryFile(dir=work_dir)
    try:
        with tempfile.TemporaryDirectory(prefix="omr-export-", dir=work_dir) as folder:
            out = Path(folder) / f"omr-export.{fmt}"
            export_responses(store, fmt, out, template_lookup, labels=labels)
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
                for path in sorted(Path(folder).rglob("*")):
                    if path.is_file():
                        bundle.write(path, path.relative_to(folder).as_posix())
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return archive


COMMENT_STATUS_LABELS = {"pending": "chờ duyệt", "reviewed": "đã duyệt"}


def _response_comments(response_id: int) -> list[dict]:
    """The handwritten comments of one response (inked boxes only): text or draft, status, flags, crop."""
    with _store().reading() as conn:
        rows = conn.execute(sa.select(comments.c.id, comments.c.field, comments.c.status, comments.c.draft_text,
                                      comments.c.text, comments.c.flags, comments.c.crop_png.is_not(None))
                            .where(comments.c.response_id == response_id, comments.c.status != "blank")
                            .order_by(comments.c.field)).all()
    shown = []
    for row in rows:
        reviewed = row.status == "reviewed"
        shown.append({"id": row.id, "field": row.field, "has_crop": bool(row[6]),
                      "text": row.text if reviewed else row.draft_text,
                      "source": "" if reviewed else "bản nháp OCR, chưa duyệt" if row.draft_text else "",
                      "status": COMMENT_STATUS_LABELS.get(row.status, row.status),
                      "flags": [m.term for m in flags_from_json(row.flags) if m.flagged]})
    return shown


def _batches_context() -> dict:
    """The uploads, and the batches read with `omr scan` on the command line (no upload job)."""
    uploads = jobs.list_jobs(_store())
    uploaded = {job["batch_name"] for job in uploads}
    from_cli = [b for b in review.batch_progress(_store()) if b["name"] not in uploaded]
    return {"jobs": uploads, "cli_batches": from_cli, "max_files": vn_integer(tuning.WEB_MAX_UPLOAD_FILES),
            "max_size": _bytes_text(T.WEB_MAX_UPLOAD_BYTES)}


def _whole_number(text: str) -> int | None:
    """``text`` (a form field) as a whole number when it is ASCII digits only, else None. A run of more digits
    than any serial or id has (int() refuses over 4,300: a pasted run was a 500) is 10**18, which every range
    check refuses."""
    if not (text.isascii() and text.isdecimal()):
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10 ** 18


def _size_text(size: int) -> str:
    """Bytes freed, said in MB, or in KB under one MB (45 KB was "0,0 MB")."""
    if size < 1_000_000:
        return f"{vn_decimal(size / 1e3, 0) if size else '0'} KB"
    return f"{vn_decimal(size / 1e6, 1)} MB"


def _unit_label(code: str | None) -> str:
    """A unit as people read it, '30001 – Phường Cao Lãnh' (registry read once per request)."""
    if "unit_names" not in g:
        g.unit_names = display.unit_names(_store())
    return display.unit_label(code, g.unit_names)


# What a response's history names a change of the whole sheet or page by (changes.field), in Vietnamese.
HISTORY_ITEMS = {"decision": "Quyết định", "identity": "Nhận dạng trang"}


def history_item(entity: str, field_: str) -> str:
    """The «Mục» of one change in a response's history, in Vietnamese: «Câu B1» for an answer, «Ý kiến H4»
    for a comment (handwriting outside every box named so), «Quyết định» for a decision on the sheet."""
    if entity == "answer":
        return f"Câu {field_}"
    if entity == "comment":
        return STRAY_WRITING_TEXT if is_stray_writing(field_) else f"Ý kiến {field_}"
    return HISTORY_ITEMS.get(field_, field_)


def _serial_text(serial) -> str:
    """A sheet's serial as shown: a number omr assigned (a form without printed serials) says so."""
    if not serial:
        return "—"
    with _store().reading() as conn:
        images_of = conn.execute(sa.select(pages_table.c.image_sha256).where(pages_table.c.serial == serial)
                                 ).scalars().all()
    if is_assigned_serial(serial, images_of):
        return f"{shown_serial(serial, True)} ({ASSIGNED_SERIAL_NOTE})"
    return format_serial(serial)

