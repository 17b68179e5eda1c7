"""What a fresh user's trial and attack on the review app found (task hweb2), as a user meets it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from db_fixtures import PAGE1, PAGE2, page_result, record, qr_unreadable_page
from web_helpers import csrf_token, logged_in, review_app

from omr.model import AMBIGUOUS

PASSWORDS = {"quan": "ca-phe sua da Ben Tre 7", "lan": "lan-kiem-tra-phieu-dong-thap"}
ROLES = {"quan": "admin", "lan": "reviewer"}

pytestmark = pytest.mark.usefixtures("quick_hashes")


@pytest.fixture
def app(store_url, tmp_path, repo_root, catalogue):
    def seed(store):
        batch = store.ensure_batch("dot-thu")
        record(store, batch, page_result(1, 1, PAGE1, path="s1.pdf", statuses={"B1": AMBIGUOUS}))
        record(store, batch, page_result(1, 2, PAGE2, path="s1.pdf", index=1))
        # Sheet 28 arrived without its page 1: only page 2 was read.
        record(store, batch, page_result(28, 2, PAGE2, path="s28.pdf", index=1, unit="30004"))

    people = {name: (PASSWORDS[name], role) for name, role in ROLES.items()}
    with review_app(store_url, tmp_path, repo_root, catalogue, people, seed) as application:
        yield application


def _store(app):
    return app.extensions["omr_store"]


def _text(response) -> str:
    return response.get_data(as_text=True)


def _qr_less_page(app) -> int:
    return qr_unreadable_page(_store(app), 28)


def _sheet_28_pages(app) -> int:
    with _store(app).reading() as conn:
        return conn.execute(sa.text("select count(*) from response_pages rp join responses r "
                                    "on r.id = rp.response_id where r.serial = 28")).scalar()


# --- 1. assigning a set-aside page ---------------------------------------------------------------------

def test_assigning_a_page_needs_the_picture_shown(app):
    page_id = _qr_less_page(app)
    client = logged_in(app, "lan", PASSWORDS["lan"])
    url = f"/queue/item/page/{page_id}"
    html = _text(client.get(url))
    # The form carries the field the page's script sets once the picture is drawn.
    assert 'name="image_shown"' in html and 'id="image-state"' in html
    data = {"action": "assign", "form": "motcua-2026@1", "page": "1", "serial": "28", "unit": "",
            "csrf_token": csrf_token(client, url)}
    refused = client.post(url, data=data)
    assert refused.status_code == 409 and "ảnh của mục này chưa hiện xong" in _text(refused)
    assert _sheet_28_pages(app) == 1
    saved = client.post(url, data={**data, "image_shown": "1", "csrf_token": csrf_token(client, url)})
    assert saved.status_code == 303, re.findall(r"flash error[^<]*<", _text(saved))
    assert _sheet_28_pages(app) == 2


def test_the_sheet_missing_a_page_is_suggested_with_its_unit(app):
    page_id = _qr_less_page(app)
    html = _text(logged_in(app, "lan", PASSWORDS["lan"]).get(f"/queue/item/page/{page_id}"))
    assert 'id="suggested-sheets"' in html
    assert "phiếu số <strong>000028</strong> (thiếu trang 1, đơn vị 30004)" in html
    # One candidate: its serial and page are filled in (the reviewer checks them on the picture); the unit
    # left empty takes the sheet's (a unit typed is checked against a registry that may not be loaded).
    assert 'name="serial" inputmode="numeric" value="28"' in html
    assert 'name="unit" value=""' in html
    assert 'name="page" inputmode="numeric" value="1"' in html
    # Sheet 1 is complete: never suggested.
    assert "000001" not in html.split('id="suggested-sheets"')[1].split("</p>")[0]


# --- 2. logins behind one address ----------------------------------------------------------------------

def test_invented_names_from_one_address_do_not_lock_out_a_user_known_there():
    from omr.web.throttle import LoginThrottle, LoginThrottled

    throttle = LoginThrottle()  # the shipped limits
    office = "203.0.113.7"  # one NAT for the whole office
    assert throttle.attempt("lan", office, lambda: "lan") == "lan"  # lan worked from here yesterday
    for i in range(20):
        assert throttle.attempt(f"nguoi-la-{i}", office, lambda: None) is None
    # The guesser is throttled from that address...
    with pytest.raises(LoginThrottled):
        throttle.attempt("nguoi-la-21", office, lambda: None)
    # ...and so is a name never seen there (nothing tells it from a guess)...
    with pytest.raises(LoginThrottled):
        throttle.attempt("quan", office, lambda: "quan")
    # ...but lan, known from this address, with the right password, gets in.
    assert throttle.attempt("lan", office, lambda: "lan") == "lan"
    # Guessing at lan's own name from there is still bounded by the per-(name, address) limit.
    for _ in range(5):
        assert throttle.attempt("lan", office, lambda: None) is None
    with pytest.raises(LoginThrottled):
        throttle.attempt("lan", office, lambda: "lan")


# --- 3. files refused at upload ------------------------------------------------------------------------

def test_refused_files_are_named_on_the_job_page_after_a_reload_and_to_another_user(app, tmp_path):
    from PIL import Image

    scan = tmp_path / "to-1.png"
    Image.new("L", (400, 560), 255).save(scan)
    empty = tmp_path / "rong.pdf"
    empty.write_bytes(b"")
    text = tmp_path / "ghi-chu.pdf"
    text.write_text("Đây là văn bản, không phải bản quét", encoding="utf-8")
    uploader = logged_in(app, "quan", PASSWORDS["quan"])
    with open(scan, "rb") as a, open(empty, "rb") as b, open(text, "rb") as c:
        response = uploader.post("/batches", data={
            "name": "dot-tu-choi", "csrf_token": csrf_token(uploader, "/batches"),
            "files": [(a, "tờ 1.png"), (b, "rỗng.pdf"), (c, "ghi chú.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 303
    job_url = response.headers["Location"]
    uploader.get(job_url)  # the flashed messages are used up here
    for client in (uploader, logged_in(app, "quan", PASSWORDS["quan"])):  # a reload; another session
        html = _text(client.get(job_url))
        assert 'id="refused-files"' in html
        assert "Tệp «rỗng.pdf» bị từ chối: tệp rỗng (0 byte)." in html
        assert "Tệp «ghi chú.pdf» bị từ chối: không phải bản quét" in html
        assert "tờ 1.png" in html


# --- 4. the template editor and a huge PDF page --------------------------------------------------------

def _tiny_pdf(width_pt: float, height_pt: float) -> bytes:
    """A valid one-page PDF of a few hundred bytes, its page box ``width_pt`` x ``height_pt``."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_pt:g} {height_pt:g}] >>".encode()]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_a_pdf_with_a_200_inch_page_is_refused_at_once_naming_the_file(app):
    import io
    import resource

    pdf = _tiny_pdf(200 * 72, 200 * 72)
    assert len(pdf) < 400
    client = logged_in(app, "quan", PASSWORDS["quan"])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    response = client.post("/admin/templates/blank", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/admin/templates"), "blank": (io.BytesIO(pdf), "phiếu to.pdf")})
    used = (resource.getrusage(resource.RUSAGE_SELF).ru_utime
            + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before)
    text = _text(response)
    assert response.status_code == 400
    assert "Tệp «phiếu to.pdf», trang 1: trang khổ 5080 × 5080 mm" in text
    assert used < 3.0, used  # refused from the page box: nothing drawn, no worker started


# --- 5. small things -----------------------------------------------------------------------------------

def test_a_redirect_body_is_vietnamese(app):
    client = logged_in(app, "lan", PASSWORDS["lan"])
    response = client.get("/queue/next")
    assert 300 <= response.status_code < 400
    body = _text(response)
    assert "Redirecting" not in body and 'lang="en"' not in body
    assert 'lang="vi"' in body and "Đang chuyển trang" in body


def test_a_name_typed_with_a_trailing_space_is_said_as_stored(app):
    admin = logged_in(app, "quan", PASSWORDS["quan"])
    response = admin.post("/admin/users", data={"action": "add", "name": "hoa ", "password": "hoa-doc-phieu-ca-ngay-7",
                                                "role": "reviewer", "csrf_token": csrf_token(admin, "/admin/users")},
                          follow_redirects=True)
    text = _text(response)
    assert "Đã tạo người dùng «hoa»;" in text and "«hoa »" not in text


def test_users_add_on_the_command_line_says_the_name_without_its_space(store_url, monkeypatch, capsys):
    import io

    from omr.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("hoa-doc-phieu-ca-ngay-7\n"))
    assert main(["users", "add", "hoa ", "--role", "scanner", "--password-stdin", "--db", store_url]) == 0
    out = capsys.readouterr().out
    assert "Đã tạo tài khoản «hoa» (" in out


def test_forms_print_into_a_missing_folder_says_so_and_creates_nothing(tmp_path, repo_root, capsys):
    from omr.cli import main

    out = tmp_path / "khong-co" / "con" / "phieu.pdf"
    code = main(["forms", "print", str(repo_root / "form_templates" / "motcua-2026.yaml"), "--count", "1",
                 "--unit", "30001", "-o", str(out)])
    assert code == 2
    assert f"Thư mục «{out.parent}» của tệp ra «phieu.pdf» không tồn tại" in capsys.readouterr().err
    assert not (tmp_path / "khong-co").exists()


def test_scanning_only_a_text_file_creates_no_batch(tmp_path, capsys):
    from omr.cli import main

    text = tmp_path / "ghi-chu.pdf"
    text.write_text("Đây là văn bản, không phải bản quét", encoding="utf-8")
    db = tmp_path / "omr.sqlite"
    assert main(["scan", str(text), "--db", str(db), "--batch", "đợt thử"]) == 5
    captured = capsys.readouterr()
    assert "không phải tệp PDF dù tên có đuôi .pdf" in captured.out + captured.err
    assert "không tạo đợt quét «đợt thử»" in captured.out
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM batches")).scalar() == 0
    engine.dispose()
