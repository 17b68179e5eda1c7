"""What a fresh user's trial of the review app found (task hweb2), as a user meets it."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
import sqlalchemy as sa
import test_web_hardening as hardening
from web_helpers import csrf_token

from omr.data import users
from omr.data.schema import response_pages
from omr.data.schema import users as users_table
from omr.web import jobs

pytestmark = pytest.mark.usefixtures("quick_hashes")
# The attack tests' app (an admin «quan», a reviewer «lan», a scanner «thu», one sheet read) and login.
app = hardening.app
_login = hardening.login


def _text(response) -> str:
    return response.get_data(as_text=True)


def _store(app):
    return app.extensions["omr_store"]


def _post_login(client, name: str, password: str):
    return client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_token(client)})


# --- 3. passwords and names as Vietnamese keyboards send them --------------------------------------------

VI_PASSWORD = "Cà phê sữa đá Bến Tre 2026"


def test_a_vietnamese_password_typed_composed_or_decomposed_logs_in(app):
    """A keyboard set to «Unicode tổ hợp» sends NFD: the right password gave 401."""
    store = _store(app)
    admin = users.add_user(store, "hoa", VI_PASSWORD, users.REVIEWER, created_by="quan")
    nfd = unicodedata.normalize("NFD", VI_PASSWORD)
    assert nfd != VI_PASSWORD
    assert _post_login(app.test_client(), "hoa", nfd).status_code == 302
    assert _post_login(app.test_client(), "hoa", VI_PASSWORD).status_code == 302
    assert _post_login(app.test_client(), "hoa", VI_PASSWORD.replace("2026", "2025")).status_code == 401
    # A hash made before passwords were normalised, from an NFD password: both forms still log in,
    # and the stored hash becomes the NFC one.
    old_hash = users._hasher.hash(nfd)
    store.writing(lambda conn: conn.execute(users_table.update().where(users_table.c.id == admin.id)
                                            .values(password_hash=old_hash)))
    assert users.authenticate(store, "hoa", VI_PASSWORD) is not None
    with store.reading() as conn:
        new_hash = conn.execute(sa.select(users_table.c.password_hash).where(users_table.c.id == admin.id)).scalar()
    assert new_hash != old_hash and users._hasher.verify(new_hash, VI_PASSWORD)
    assert users.authenticate(store, "hoa", nfd) is not None


def test_a_login_name_matches_whatever_its_case(app):
    """«Admin» gave 401 although «Reviewer» is refused as a duplicate of «reviewer»."""
    response = _post_login(app.test_client(), "QUAN", hardening.PASSWORDS["quan"])
    assert response.status_code == 302
    assert users.authenticate(_store(app), "Lan", hardening.PASSWORDS["lan"]).name == "lan"
    assert users.authenticate(_store(app), "Lan", "sai mat khau roi nhe") is None
    page = _text(app.test_client().get("/login"))
    field = page[page.index('<input name="name"'):]
    field = field[:field.index(">")]
    assert 'autocapitalize="off"' in field and 'autocorrect="off"' in field and 'spellcheck="false"' in field


# --- 4. an admin's temporary password lifts a login lock ---------------------------------------------------

def test_an_admins_temporary_password_lifts_the_login_lock_which_the_users_page_shows(app):
    """A user locked by failed logins stayed locked (429 for ~11 min) after the admin set a temporary
    password, and /admin/users showed no lock."""
    lan = app.test_client()
    for _ in range(5):
        assert _post_login(lan, "lan", "sai mat khau roi nhe").status_code == 401
    assert _post_login(lan, "lan", hardening.PASSWORDS["lan"]).status_code == 429
    admin = _login(app, "quan")
    page = _text(admin.get("/admin/users"))
    # Said so it is not read as the account's «Khoá» (disabled) button: «tạm khoá đăng nhập đến HH:MM ngày DD/MM».
    assert page.count("tạm khoá đăng nhập đến") == 1
    row = page[page.index("<td>lan</td>"):]
    assert re.search(r"tạm khoá đăng nhập đến \d\d:\d\d ngày \d\d/\d\d<", row[:row.index("</tr>")])
    lan_id = next(u.id for u in users.list_users(_store(app)) if u.name == "lan")
    done = admin.post("/admin/users", data={"action": "password", "user_id": str(lan_id),
                                            "password": "mat-khau-tam-moi-2026",
                                            "csrf_token": csrf_token(admin, "/admin/users")})
    assert done.status_code == 200 and "Đã đặt mật khẩu tạm" in _text(done)
    assert "tạm khoá đăng nhập" not in _text(done)
    assert _post_login(lan, "lan", "mat-khau-tam-moi-2026").status_code == 302


# --- 5. the upload's bound on files is exact -------------------------------------------------------------

def test_one_file_over_the_upload_bound_is_refused_as_too_many_files(app):
    """2,012 files were accepted though the form and docs say 2,000: the bound on the form's parts left
    room for 16 fields, 4 of which the form uses."""
    from omr import tuning as T

    scanner = _login(app, "thu")
    files = [(io.BytesIO(b"x"), f"anh-{i:04d}.jpg") for i in range(T.WEB_MAX_UPLOAD_FILES + 1)]
    refused = scanner.post("/batches", content_type="multipart/form-data", data={
        "name": "dot-nhieu-anh", "csrf_token": csrf_token(scanner, "/batches"), "files": files})
    text = _text(refused)
    assert refused.status_code == 413 and "Quá nhiều tệp" in text and "chưa tệp nào được nhận" in text
    assert jobs.list_jobs(_store(app)) == []  # nothing taken


# --- 6. a page that was read fine, opened as a queue item -------------------------------------------------

def test_a_page_read_fine_opened_as_a_queue_item_says_what_it_is(app):
    """/queue/item/page/1 for a page read fine showed «Trang chưa nhận dạng: None», the assign/reject form
    and an image failure message."""
    store = _store(app)
    with store.reading() as conn:
        page_id, response_id = conn.execute(sa.select(response_pages.c.page_id, response_pages.c.response_id)
                                            .order_by(response_pages.c.page_id)).first()
    reviewer = _login(app, "lan")
    opened = reviewer.get(f"/queue/item/page/{page_id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/responses/{response_id}")
    text = _text(reviewer.get(opened.headers["Location"]))
    assert "đã được nhận dạng" in text and "phiếu số" in text and "None" not in text
    # A page id of no page is a plain Vietnamese 404 as before.
    assert reviewer.get("/queue/item/page/999999").status_code == 404


# --- 8. «omr review serve --host 0.0.0.0» on the console ---------------------------------------------------

def test_serving_on_every_interface_prints_lan_addresses_and_warns_about_plain_http():
    """It printed http://0.0.0.0:8000/ (no address a colleague can open) and no word about plain HTTP."""
    from omr.web import console

    lines = console.startup_lines("0.0.0.0", 8000, False, "sqlite:///omr.db", lan=["192.168.1.20", "10.0.0.5"])
    text = "\n".join(lines)
    assert "0.0.0.0" not in text
    assert "http://192.168.1.20:8000/" in text and "http://10.0.0.5:8000/" in text
    assert "HTTP thường (không mã hoá)" in text and "--https" in text
    behind_tls = "\n".join(console.startup_lines("0.0.0.0", 8000, True, "sqlite:///omr.db", lan=["192.168.1.20"]))
    # With --https, an http:// address is one where login fails (secure cookies, CSRF): only the HTTPS
    # server's address is to be opened (a second fresh user, hweb3).
    assert "Cảnh báo" not in behind_tls and "http://" not in behind_tls
    assert "địa chỉ https:// của máy chủ HTTPS" in behind_tls
    local = "\n".join(console.startup_lines("127.0.0.1", 8000, False, "sqlite:///omr.db"))
    assert "http://127.0.0.1:8000/" in local and "Cảnh báo" not in local
    no_network = "\n".join(console.startup_lines("0.0.0.0", 8000, False, "sqlite:///omr.db", lan=[]))
    assert "0.0.0.0" not in no_network and "Không thấy địa chỉ mạng" in no_network
    assert all(not a.startswith("127.") and a != "0.0.0.0" for a in console.lan_addresses())


def test_waitress_queue_depth_is_said_in_vietnamese(caplog):
    """Waitress's English «Task queue depth is N» reached the console."""
    import logging

    from omr.web import console

    console.vietnamese_waitress_log()
    console.vietnamese_waitress_log()  # once, however often called
    with caplog.at_level(logging.WARNING, logger="waitress.queue"):
        logging.getLogger("waitress.queue").warning("Task queue depth is %d", 3)
    said = [r.getMessage() for r in caplog.records if r.name == "waitress.queue"]
    assert said and "Task queue" not in said[0] and "3 yêu cầu đang chờ" in said[0]


def test_a_wrong_password_being_checked_while_the_admin_unlocks_does_not_show_the_name_locked_again():
    """A failed try still being verified when the admin set a temporary password counted against the
    name's old counter once it finished, and /admin/users said «đang bị khoá đến …» for a name that
    could log in."""
    from omr.web.throttle import LoginThrottle

    throttle = LoginThrottle(per_account="3 per 15 minutes")
    for _ in range(2):
        assert throttle.attempt("lan", "10.0.0.9", lambda: None) is None
    assert throttle.locked_until("lan") is None

    def wrong_while_unlocked():
        throttle.unlock("Lan")  # the admin's temporary password, while this try is being checked
        return None

    assert throttle.attempt("lan", "10.0.0.9", wrong_while_unlocked) is None
    assert throttle.locked_until("lan") is None
    assert throttle.attempt("lan", "10.0.0.9", lambda: "lan") == "lan"  # and the name is not locked indeed
    for _ in range(3):  # failures after the unlock still lock it
        throttle.attempt("lan", "10.0.0.9", lambda: None)
    assert throttle.locked_until("LAN") is not None


def test_a_port_in_use_is_said_in_vietnamese_only(tmp_path, repo_root):
    """«Không mở được cổng 127.0.0.1:8766 (Address already in use): …» carried the system's English (hweb3)."""
    import socket

    from omr.errors import BadArgumentsError
    from omr.web import serve

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(BadArgumentsError) as refused:
            serve(f"sqlite:///{tmp_path / 'omr.sqlite'}", host="127.0.0.1", port=port, uploads_dir=tmp_path / "up",
                  template_dir=repo_root / "form_templates", queue_worker=False)
    message = refused.value.message
    assert f"Không mở được cổng 127.0.0.1:{port}: cổng đang được chương trình khác dùng" in message
    assert "Address" not in message and "--port" in message
