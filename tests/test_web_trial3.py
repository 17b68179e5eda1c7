"""What a fresh user's trial and attack on the review app found (task hweb, /tmp/trial-out), as a user meets it."""

from __future__ import annotations

import io

import pytest
import test_web_hardening as hardening
from web_helpers import csrf_token

pytestmark = pytest.mark.usefixtures("quick_hashes")
# The attack tests' app (an admin «quan», a reviewer «lan», a scanner «thu», one sheet read) and login.
app = hardening.app
_login = hardening.login


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- 1. an anonymous upload is held to a form's bound ---------------------------------------------------

def test_an_upload_from_nobody_or_a_reviewer_is_held_to_a_forms_bound_and_says_to_log_in(app, tmp_path):
    """POST /batches with no cookie took a 4 GB body (spooled to disk) before the app said 400 (CSRF)."""
    two_mib = b"%PDF-1.4\n" + b"0" * (2 * 1024 ** 2)
    for client in (app.test_client(), _login(app, "lan")):
        response = client.post("/batches", data={"name": "dot-moi", "files": [(io.BytesIO(two_mib), "quet.pdf")]},
                               content_type="multipart/form-data")
        assert response.status_code == 413, response.status_code
        text = _text(response)
        assert "Chưa đăng nhập" in text and "đăng nhập lại" in text and "vượt giới hạn" not in text
    incoming = tmp_path / "uploads" / ".incoming"
    assert not incoming.exists() or list(incoming.iterdir()) == []
    # A logged-in scanner's upload of the same body is taken.
    scanner = _login(app, "thu")
    token = csrf_token(scanner, "/batches")
    response = scanner.post("/batches", data={"name": "dot-moi", "csrf_token": token,
                                              "files": [(io.BytesIO(two_mib), "quet.pdf")]},
                            content_type="multipart/form-data")
    # read, then judged by its content (a PDF of zeros): refused naming the file and why, never by its size
    text = _text(response)
    assert response.status_code == 400, response.status_code
    assert "Tệp «quet.pdf» bị từ chối: tệp PDF bị hỏng" in text and "vượt giới hạn" not in text
    assert "Chưa có lần tải lên nào" in text  # nothing of it kept as an upload


# --- 3. a PDF whose page does not load, as a blank form or a try-on scan ----------------------------------

# A page object that is no page (a font dictionary in the page tree): pdfium opens the file but cannot size
# or load the page («Failed to get page size by index»).
UNLOADABLE_PAGE_PDF = (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages "
                       b"/Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Font >>\nendobj\ntrailer\n"
                       b"<< /Size 4 /Root 1 0 R >>\n%%EOF\n")


@pytest.mark.parametrize("url, field", [("/admin/templates/blank", "blank"), ("/admin/templates/motcua-2026/try", "scan")])
def test_a_pdf_whose_page_does_not_load_is_named_not_a_server_error(app, url, field):
    """«Mẫu phiếu» → «Phiếu trắng» with such a PDF answered 500 «Lỗi máy chủ»; the command line names it."""
    client = _login(app, "quan")
    page = "/admin/templates" if field == "blank" else url
    response = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), field: (io.BytesIO(UNLOADABLE_PAGE_PDF), "phieu-hong.pdf")})
    text = _text(response)
    # The blank is refused; a try-on shows the page's own error among the pages read (its page was never 500).
    assert response.status_code == (400 if field == "blank" else 200), text[:300]
    assert "«phieu-hong.pdf»" in text and "trang 1" in text and "trang PDF bị hỏng" in text
    assert "Lỗi máy chủ" not in text


# --- 4. many files in one upload ------------------------------------------------------------------------

def _upload(client, count: int):
    files = [(io.BytesIO(b"x"), f"anh-{i:04d}.jpg") for i in range(count)]
    return client.post("/batches", content_type="multipart/form-data",
                       data={"name": "dot-nhieu-anh", "csrf_token": csrf_token(client, "/batches"), "files": files})


def test_an_upload_of_many_small_files_says_how_many_files_at_most_not_4_gb(app):
    """997 one-byte files (a phone's one photo a page) were refused «vượt giới hạn 4 GB»: werkzeug's
    1,000-part bound of a form raised the same 413 as the byte bound."""
    from omr import tuning as T

    scanner = _login(app, "thu")
    page = _text(scanner.get("/batches"))
    assert f"tối đa {T.WEB_MAX_UPLOAD_FILES:,} tệp".replace(",", ".") in page
    taken = _upload(scanner, 1200)  # over werkzeug's default, under the bound: read (each file then judged)
    text = _text(taken)
    assert taken.status_code == 400 and "vượt giới hạn" not in text
    # Every one of the 1,200 files is named with why it was refused (one byte is no scan), the last too.
    assert text.count("bị từ chối: không phải bản quét") == 1200
    assert "Tệp «anh-0000.jpg» bị từ chối" in text and "Tệp «anh-1199.jpg» bị từ chối" in text
    refused = _upload(scanner, T.WEB_MAX_UPLOAD_FILES + 20)
    text = _text(refused)
    assert refused.status_code == 413 and "Quá nhiều tệp" in text
    assert f"tối đa {T.WEB_MAX_UPLOAD_FILES:,} tệp".replace(",", ".") in text and "chia thành nhiều lần" in text
    assert "4 GB" not in text


# --- 5. an admin's own password is changed on «Đổi mật khẩu» only ----------------------------------------

def test_an_admin_cannot_set_their_own_password_without_the_current_one(app):
    """A borrowed admin session set a temporary password for its own account on /admin/users (no current
    password asked), then logged in with it: /account/password's protection was bypassed."""
    from omr.data import users

    admin = _login(app, "quan")
    own = next(u.id for u in users.list_users(app.extensions["omr_store"]) if u.name == "quan")
    response = admin.post("/admin/users", data={"action": "password", "user_id": str(own),
                                                "password": "mat-khau-cua-ke-muon-phien-9",
                                                "csrf_token": csrf_token(admin, "/admin/users")})
    text = _text(response)
    assert response.status_code == 400 and "Đổi mật khẩu" in text and "mật khẩu hiện tại" in text
    thief = app.test_client()
    refused = thief.post("/login", data={"name": "quan", "password": "mat-khau-cua-ke-muon-phien-9",
                                         "csrf_token": csrf_token(thief)})
    assert refused.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in _text(refused)
    _login(app, "quan")  # the admin's own password still works
    # Another user's temporary password is still set there.
    lan = next(u.id for u in users.list_users(app.extensions["omr_store"]) if u.name == "lan")
    response = admin.post("/admin/users", data={"action": "password", "user_id": str(lan),
                                                "password": "mat-khau-tam-cho-lan-42",
                                                "csrf_token": csrf_token(admin, "/admin/users")})
    assert response.status_code == 200 and "Đã đặt mật khẩu tạm" in _text(response)
    # ...and it works: lan logs in with it and is sent to change it.
    lan_client = app.test_client()
    first = lan_client.post("/login", data={"name": "lan", "password": "mat-khau-tam-cho-lan-42",
                                            "csrf_token": csrf_token(lan_client)})
    assert first.status_code == 302 and first.headers["Location"].endswith("/account/password")
