"""The template editor (issue #16) through Flask's test client: roles, CSRF, checks, versions, audit, try-on.

The blank is drawn here (PIL, DejaVu Sans): three questions of square boxes with Vietnamese labels on
an A4 page at 150 dpi, so the tests need neither LibreOffice nor a scanner. The browser test
(tests/test_browser_template_editor.py) uses a LibreOffice blank of tests/data/office-blanks/.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path

import blank_sources
import cv2
import numpy as np
import office_fill
import pytest
import sqlalchemy as sa
from db_fixtures import BOTH_BACKENDS, SQLITE_ONLY
from flask import render_template
from PIL import Image, ImageDraw, ImageFont
from web_helpers import csrf_token, logged_in

from omr.data import users
from omr.data.schema import changes, pages, responses
from omr.data.store import open_store
from omr.errors import BadArgumentsError
from omr.forms.fonts import font_path
from omr.forms.template import load_template
from omr.web import create_app
from omr.web.template_drafts import drafts_dir

PASSWORDS = {"quan": "mat-khau-admin", "thu": "mat-khau-scanner", "lan": "mat-khau-lan"}
ROLES = {"quan": "admin", "thu": "scanner", "lan": "reviewer"}
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PPM = 150 / 25.4
# (question text, y mm, [(label, x mm)]) of the drawn blank; boxes are 4 mm squares.
QUESTIONS = [("Câu 1. Giới tính", 60, [("Nam", 30), ("Nữ", 70)]),
             ("Câu 2. Độ tuổi", 90, [("Trẻ", 30), ("Trung niên", 70), ("Cao tuổi", 110)]),
             ("Câu 3. Có hài lòng không?", 120, [("Có", 30), ("Không", 70)])]

# The editor's store holds users and the audit of saves: SQLite for all, and the audited save on PostgreSQL too.
pytestmark = [pytest.mark.usefixtures("quick_hashes"), SQLITE_ONLY]
# OMRChecker's sample sheets (../shared/data/external, see README): CI has them and refuses to skip.
EXTERNAL = blank_sources.external_root()
if EXTERNAL is None and os.environ.get("OMR_REQUIRE_EXTERNAL_DATA") == "1":
    raise RuntimeError("OMRChecker samples absent (CI requires them)")
SAMPLES = (EXTERNAL or Path("/nonexistent")) / "omrchecker" / "samples"
needs_samples = pytest.mark.skipif(EXTERNAL is None, reason="OMRChecker samples absent (../shared/data/external)")


def drawn_blank() -> np.ndarray:
    """The blank page, grey, 150 dpi A4."""
    image = Image.new("L", (int(210 * PPM), int(297 * PPM)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(font_path()), int(3.6 * PPM))
    title = ImageFont.truetype(str(font_path(bold=True)), int(5 * PPM))
    draw.text((25 * PPM, 25 * PPM), "PHIẾU KHẢO SÁT Ý KIẾN NGƯỜI DÂN", font=title, fill=0)
    for text, y, options in QUESTIONS:
        draw.text((25 * PPM, (y - 10) * PPM), text, font=font, fill=0)
        for label, x in options:
            draw.rectangle([x * PPM, y * PPM, (x + 4) * PPM, (y + 4) * PPM], outline=0, width=2)
            draw.text(((x + 6) * PPM, (y - 0.3) * PPM), label, font=font, fill=0)
    return np.array(image)


def png_bytes(grey: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", grey)
    assert ok
    return data.tobytes()


@pytest.fixture
def app(store_url, tmp_path, repo_root):
    with open_store(store_url) as store:
        for name, role in ROLES.items():
            users.add_user(store, name, PASSWORDS[name], role)
    templates = tmp_path / "form_templates"
    shutil.copytree(repo_root / "form_templates", templates)
    application = create_app(store_url, uploads_dir=tmp_path / "uploads", template_dir=templates, start_jobs=False)
    yield application
    application.extensions["omr_jobs"].stop()
    application.extensions["omr_store"].close()


def _token(client, path="/login") -> str:
    return csrf_token(client, path)


def login(app, name):
    return logged_in(app, name, PASSWORDS[name])


def upload_blank(client, data: bytes, name="Phiếu Xã Đông Hòa.png"):
    return client.post("/admin/templates/blank", content_type="multipart/form-data",
                       data={"csrf_token": _token(client, "/admin/templates"), "blank": (io.BytesIO(data), name)})


def open_editor(client, location: str) -> tuple[dict, str]:
    page = client.get(location).get_data(as_text=True)
    state = json.loads(re.search(r'id="editor-state">(.*?)</script>', page, re.S).group(1))
    return state, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def edit_of(state: dict, **changes_) -> dict:
    payload = {"form_id": state["form_id"], "title": state["title"], "base_version": state["base_version"],
               "questions": json.loads(json.dumps(state["questions"]))}
    payload.update(changes_)
    return payload


@pytest.fixture(scope="module")
def drawn_draft(tmp_path_factory, repo_root) -> tuple[Path, str]:
    """The drawn blank uploaded once for the module, through the editor as an admin uploads it: (the uploads
    folder holding its draft, the editor's URL). Reading a blank takes seconds; ``drafted`` copies this one."""
    folder = tmp_path_factory.mktemp("drawn-draft")
    url = str(folder / "omr.sqlite")
    with open_store(url) as store:
        users.add_user(store, "quan", PASSWORDS["quan"], ROLES["quan"])
    shutil.copytree(repo_root / "form_templates", folder / "form_templates")
    application = create_app(url, uploads_dir=folder / "uploads", template_dir=folder / "form_templates",
                             start_jobs=False)
    try:
        response = upload_blank(login(application, "quan"), png_bytes(drawn_blank()))
        assert response.status_code == 303, response.get_data(as_text=True)
    finally:
        application.extensions["omr_jobs"].stop()
        application.extensions["omr_store"].close()
    return folder / "uploads", response.headers["Location"]


@pytest.fixture
def drafted(app, drawn_draft):
    """The drawn blank's draft in ``app`` (a copy of drawn_draft's), opened in the editor by the admin."""
    uploads, location = drawn_draft
    shutil.copytree(drafts_dir(uploads), drafts_dir(Path(app.config["UPLOADS_DIR"])), dirs_exist_ok=True)
    client = login(app, "quan")
    state, csrf = open_editor(client, location)
    return client, state, csrf


def save(client, state, csrf, payload):
    return client.post(state["save_url"], json=payload, headers={"X-CSRFToken": csrf})


def test_only_an_admin_reaches_the_editor(app, drafted):
    _, state, _ = drafted
    anonymous = app.test_client()
    assert anonymous.get("/admin/templates").status_code == 302
    for name in ("thu", "lan"):
        client = login(app, name)
        token = _token(client, "/account/password")
        assert client.get("/admin/templates").status_code == 403
        assert client.get(f"/admin/templates/drafts/{state['draft']}").status_code == 403
        assert client.get(f"/admin/templates/drafts/{state['draft']}/page-1.png").status_code == 403
        refused = client.post("/admin/templates/blank", content_type="multipart/form-data",
                              data={"csrf_token": token, "blank": (io.BytesIO(png_bytes(drawn_blank())), "b.png")})
        assert refused.status_code == 403
        assert client.post(state["save_url"], json=edit_of(state), headers={"X-CSRFToken": token}).status_code == 403
        assert client.get("/admin/templates/motcua-2026/try").status_code == 403
    assert "Mẫu phiếu" not in login(app, "lan").get("/queue").get_data(as_text=True)


def test_the_blank_is_read_into_questions_and_its_page_shown(drafted):
    client, state, _ = drafted
    assert state["form_id"] == "phieu-xa-dong-hoa"  # from the file name, diacritics folded
    assert [len(q["options"]) for q in state["questions"]] == [len(o) for _, _, o in QUESTIONS]
    first = state["questions"][0]["options"][0]
    assert abs(first["x"] - 30) < 1 and abs(first["y"] - 60) < 1 and abs(first["w"] - 4) < 0.8
    image = client.get(f"/admin/templates/drafts/{state['draft']}/page-1.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert client.get(f"/admin/templates/drafts/{state['draft']}/page-2.png").status_code == 404


def test_a_save_needs_the_csrf_token(drafted):
    client, state, _ = drafted
    for headers in ({}, {"X-CSRFToken": "bogus"}):
        refused = client.post(state["save_url"], json=edit_of(state), headers=headers)
        assert refused.status_code == 400
        assert "CSRF" in refused.get_data(as_text=True)
    assert not list(Path(client.application.config["TEMPLATE_DIR"]).glob("phieu-xa-dong-hoa*"))


def test_one_of_omrs_own_printed_forms_is_named_not_offered_as_a_new_template(app, tmp_path):
    """A page of ``omr forms print`` (omr's QR on it) uploaded as a blank: the fresh user got a new template
    «phieu-omr» with garbled questions. The editor says which of omr's forms it is, and makes no draft."""
    client = login(app, "quan")
    pdf = blank_sources.omr_blank_pdf(tmp_path)
    refused = upload_blank(client, pdf.read_bytes(), name="phieu-omr.pdf")
    assert refused.status_code == 400
    shown = refused.get_data(as_text=True)
    assert "Tệp «phieu-omr.pdf»: đây là mẫu phiếu «motcua-2026» (phiên bản 1) của omr, đã có sẵn" in shown, shown
    assert not any(drafts_dir(Path(client.application.config["UPLOADS_DIR"])).glob("*/meta.json"))


def test_bad_uploads_are_refused_with_the_file_named(app, monkeypatch):
    client = login(app, "quan")
    text = upload_blank(client, b"not a form at all", name="ghi-chu.txt")
    assert text.status_code == 400
    assert "Tệp «ghi-chu.txt» không phải phiếu trắng" in text.get_data(as_text=True)
    empty = upload_blank(client, png_bytes(np.full((800, 600), 255, np.uint8)), name="trang-trang.png")
    assert empty.status_code == 400
    assert "Tệp «trang-trang.png»: không tìm thấy ô đánh dấu" in empty.get_data(as_text=True)
    from omr import tuning as T

    token = _token(client, "/admin/templates")
    monkeypatch.setattr(T, "EDITOR_MAX_FILE_BYTES", 1000)  # refused before it is read, CSRF check included
    huge = client.post("/admin/templates/blank", content_type="multipart/form-data",
                       data={"csrf_token": token, "blank": (io.BytesIO(b"%PDF-" + b"0" * 200_000), "to.pdf")})
    assert huge.status_code == 413 and "Tệp quá lớn" in huge.get_data(as_text=True)
    drafts = Path(app.config["UPLOADS_DIR"]) / "template-drafts"
    assert not drafts.exists() or not any(drafts.iterdir())


def test_a_writing_frame_drawn_over_check_boxes_is_refused(drafted):
    """Second new-user trial: a writing frame drawn over a question's boxes was saved silently; its ticks
    would be read as handwriting. The save is refused, naming the question whose boxes it holds."""
    client, state, csrf = drafted
    payload = edit_of(state)
    first = next(q for q in payload["questions"] if q["type"] != "text")
    xs = [o["x"] for o in first["options"]] + [o["x"] + o["w"] for o in first["options"]]
    ys = [o["y"] for o in first["options"]] + [o["y"] + o["h"] for o in first["options"]]
    frame = {"x": min(xs) - 2, "y": min(ys) - 2, "w": max(xs) - min(xs) + 4, "h": max(ys) - min(ys) + 4}
    payload["questions"].append({"id": "Y9", "text": "Ý kiến khác", "type": "text", "page": first["page"],
                                 "frame": frame})
    response = save(client, state, csrf, payload)
    assert response.status_code == 400, response.get_json()
    problems = " | ".join(response.get_json()["problems"])
    assert f"Câu «Y9»: khung viết chứa {len(first['options'])} ô đánh dấu của câu «{first['id']}»" in problems
    assert not list(Path(client.application.config["TEMPLATE_DIR"]).glob(f"{state['form_id']}*"))
    # The same frame moved below the boxes saves.
    frame["y"] = max(ys) + 5
    frame["h"] = 20
    assert save(client, state, csrf, payload).status_code == 200


def test_every_field_of_an_edit_is_checked(drafted):
    client, state, csrf = drafted
    q = state["questions"]

    def problems(payload):
        response = save(client, state, csrf, payload)
        assert response.status_code == 400, response.get_json()
        return " | ".join(response.get_json()["problems"])

    assert "Mã mẫu phiếu" in problems(edit_of(state, form_id="../../etc/passwd"))
    assert "Mã mẫu phiếu" in problems(edit_of(state, form_id="x" * 41))
    bad = edit_of(state)
    bad["questions"][1]["id"] = q[0]["id"]
    assert "mã câu hỏi bị trùng" in problems(bad)
    bad = edit_of(state)
    bad["questions"][0]["id"] = "1 câu"
    assert "mã câu hỏi phải bắt đầu bằng chữ cái" in problems(bad)
    bad = edit_of(state)
    bad["questions"][0]["options"][0]["x"] = 208.0
    assert "nằm ngoài trang" in problems(bad)
    bad = edit_of(state)
    bad["questions"][0]["options"][0]["w"] = 0.5
    assert "từ 1,5 đến 30 mm (đang là 0,5 ×" in problems(bad)  # decimal commas, as Vietnamese writes them
    bad = edit_of(state)
    bad["questions"][0]["options"][0]["y"] = float("nan")
    response = client.post(state["save_url"], data=json.dumps(bad).replace("NaN", "1e999"),
                           content_type="application/json", headers={"X-CSRFToken": csrf})
    assert response.status_code == 400
    bad = edit_of(state)
    bad["questions"][1]["options"][0].update({k: bad["questions"][0]["options"][0][k] for k in "xywh"})
    assert "chồng lên nhau" in problems(bad)
    bad = edit_of(state)
    bad["questions"][0]["options"][1]["code"] = bad["questions"][0]["options"][0]["code"]
    assert "bị trùng trong câu" in problems(bad)
    bad = edit_of(state)
    bad["questions"][0]["page"] = 2
    assert "trang không có trên phiếu" in problems(bad)
    bad = edit_of(state)
    bad["questions"][0]["type"] = "date"
    assert "loại câu hỏi" in problems(bad)
    assert "Cần ít nhất một câu hỏi" in problems(edit_of(state, questions=[]))
    # Nothing reached the templates folder.
    assert not list(Path(client.application.config["TEMPLATE_DIR"]).glob("phieu-xa-dong-hoa*"))


def test_a_saved_edit_is_a_template_the_scanner_reads_and_labels_stay_text(app, drafted):
    client, state, csrf = drafted
    payload = edit_of(state, title=f"Phiếu {XSS}")
    payload["questions"][0].update(id="GIOI_TINH", text=f"Giới tính\n{XSS}")
    payload["questions"][0]["options"][1]["label"] = "Nữ: \"x\"\n  - {a: b}"
    moved = payload["questions"][2]["options"].pop()  # a box moved from Câu 3 to a new question
    payload["questions"].append({"id": "Q9", "text": "Một ô riêng", "type": "multiple", "page": 1,
                                 "options": [{**moved, "code": "1", "label": "Đồng ý"}]})
    payload["questions"][2]["type"] = "multiple"  # one box left: a lone tick
    payload["questions"].append({"id": "Y1", "text": "Ý kiến khác", "type": "text", "page": 1,
                                 "frame": {"x": 25.0, "y": 150.0, "w": 160.0, "h": 30.0}})
    response = save(client, state, csrf, payload)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == 1
    template = load_template(Path(app.config["TEMPLATE_DIR"]) / "phieu-xa-dong-hoa.yaml")
    assert template.title == f"Phiếu {XSS}"
    assert template.question("GIOI_TINH").text == f"Giới tính {XSS}"  # one line
    assert template.question("GIOI_TINH").options[1].label == 'Nữ: "x" - {a: b}'
    assert [q.id for q in template.questions] == ["GIOI_TINH", "Q2", "Q3", "Q9", "Y1"]
    assert template.extra["pinned"]["frames_of"] == {1: "Y1"}
    # The app reads it at once; the list escapes what was typed.
    assert ("phieu-xa-dong-hoa", 1) in app.extensions["omr_catalogue"].layouts
    listing = client.get("/admin/templates").get_data(as_text=True)
    assert XSS not in listing and "&lt;script&gt;" in listing
    reopened = client.post("/admin/templates/phieu-xa-dong-hoa/edit",
                           data={"csrf_token": _token(client, "/admin/templates")})
    editor = client.get(reopened.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in editor and "<img src=x" not in editor  # the state JSON escapes < and >
    assert open_editor(client, reopened.headers["Location"])[0]["title"] == f"Phiếu {XSS}"


def test_old_drafts_are_removed_and_new_ones_kept(app, drafted):
    import time

    from omr import tuning as T
    from omr.web.template_drafts import drafts_dir, remove_old_drafts

    uploads = Path(app.config["UPLOADS_DIR"])
    assert remove_old_drafts(uploads) == 0
    assert remove_old_drafts(uploads, now=time.time() + (T.EDITOR_DRAFT_KEEP_DAYS + 1) * 86400) == 1
    assert not any(drafts_dir(uploads).iterdir())


@BOTH_BACKENDS
def test_saving_again_makes_a_new_version_keeps_the_old_one_and_is_audited(app, drafted):
    client, state, csrf = drafted
    assert save(client, state, csrf, edit_of(state)).status_code == 200
    # The same draft saved again without saying which version it replaces: asked, not overwritten.
    again = save(client, state, csrf, edit_of(state))
    assert again.status_code == 409 and again.get_json()["current_version"] == 1
    assert "phiên bản 2" in again.get_json()["problems"][0]
    payload = edit_of(state, base_version=1)
    payload["questions"][0]["options"][0]["label"] = "Nam giới"
    second = save(client, state, csrf, payload)
    assert second.status_code == 200 and second.get_json()["version"] == 2
    folder = Path(app.config["TEMPLATE_DIR"])
    assert load_template(folder / "phieu-xa-dong-hoa" / "history" / "v1.yaml").questions[0].options[0].label != \
        "Nam giới"
    assert load_template(folder / "phieu-xa-dong-hoa.yaml").version == 2
    assert (folder / "phieu-xa-dong-hoa" / "v1" / "page-1.png").is_file()
    assert (folder / "layouts" / "phieu-xa-dong-hoa-v1.json").is_file()
    layouts = app.extensions["omr_catalogue"].layouts
    assert ("phieu-xa-dong-hoa", 1) in layouts and ("phieu-xa-dong-hoa", 2) in layouts
    # A second editor still working from version 1 is told, not silently overwritten.
    stale = save(client, state, csrf, edit_of(state, base_version=1))
    assert stale.status_code == 409 and "vừa được lưu thành phiên bản 2" in stale.get_json()["problems"][0]
    with app.extensions["omr_store"].reading() as conn:
        rows = conn.execute(sa.select(changes).where(changes.c.entity == "template").order_by(changes.c.id)).all()
    assert [(r.who, r.field, r.entity_id) for r in rows] == [("quan", "phieu-xa-dong-hoa", 1),
                                                             ("quan", "phieu-xa-dong-hoa", 2)]
    assert rows[0].old_value is None
    assert json.loads(rows[1].old_value) == {"version": 1, "kept_as": "phieu-xa-dong-hoa/history/v1.yaml"}
    history = client.get("/admin/templates").get_data(as_text=True)
    assert "phiên bản 1 (giữ ở phieu-xa-dong-hoa/history/v1.yaml)" in history
    # Reopening the saved template edits version 2.
    reopened = client.post("/admin/templates/phieu-xa-dong-hoa/edit",
                           data={"csrf_token": _token(client, "/admin/templates")})
    assert reopened.status_code == 303
    state2, _ = open_editor(client, reopened.headers["Location"])
    assert state2["base_version"] == 2 and state2["questions"][0]["options"][0]["label"] == "Nam giới"


def test_a_draft_renamed_to_another_form_does_not_replace_it_unasked(drafted):
    client, state, csrf = drafted
    assert save(client, state, csrf, edit_of(state)).status_code == 200  # phieu-xa-dong-hoa v1
    other = save(client, state, csrf, edit_of(state, form_id="phieu-khac", base_version=1))
    assert other.status_code == 200 and other.get_json()["version"] == 1
    # The draft is now phieu-khac v1: its base version says nothing about phieu-xa-dong-hoa v1.
    back = save(client, state, csrf, edit_of(state, base_version=1))
    assert back.status_code == 409
    assert "Đã có mẫu phiếu «phieu-xa-dong-hoa» (phiên bản 1)" in back.get_json()["problems"][0]
    assert save(client, state, csrf, edit_of(state, form_id="phieu-khac", base_version=1)).get_json()["version"] == 2


def test_omr_own_form_is_not_replaced(drafted):
    client, state, csrf = drafted
    refused = save(client, state, csrf, edit_of(state, form_id="motcua-2026", replace_version=1))
    assert refused.status_code == 400 and "mẫu phiếu omr in" in refused.get_json()["problems"][0]
    assert client.post("/admin/templates/motcua-2026/edit",
                       data={"csrf_token": _token(client, "/admin/templates")}).status_code == 400


def test_no_client_text_becomes_a_path(drafted):
    client, state, _ = drafted
    for url in ("/admin/templates/drafts/..%2F..%2Fetc/page-1.png", "/admin/templates/drafts/../meta.json",
                "/admin/templates/drafts/" + "0" * 23 + "g", "/admin/templates/..%2Fmotcua-2026/try",
                "/admin/templates/MOTCUA/try"):
        assert client.get(url).status_code == 404, url


def test_a_filled_scan_is_tried_and_nothing_is_stored(app, drafted):
    client, state, csrf = drafted
    assert save(client, state, csrf, edit_of(state)).status_code == 200
    folder = Path(app.config["TEMPLATE_DIR"])
    boxes = office_fill.template_boxes(folder / "phieu-xa-dong-hoa.yaml")
    filled, truth, _ = office_fill.fill(drawn_blank(), PPM, boxes, 1, seed=5)
    url = "/admin/templates/phieu-xa-dong-hoa/try"
    response = client.post(url, content_type="multipart/form-data",
                           data={"csrf_token": _token(client, url),
                                 "scan": (io.BytesIO(png_bytes(filled)), "da-dien.png")})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The match in an admin's words; the similarity figure only beside a read that needs a look.
    assert "Trang này khớp trang 1 của mẫu phiếu." in html
    assert ("độ tương đồng" not in html) or ("Ảnh trang chỉ giống phiếu trắng ở mức" in html)
    rows = re.findall(r'<tr class="status-(\w+)"><td><strong>(\w+)</strong>.*?</td>\s*<td>(.*?)</td>', html, re.S)
    assert [qid for _, qid, _ in rows] == ["Q1", "Q2", "Q3"]
    for status, qid, shown in rows:
        if status == "ok":  # a read shown as sure is the truth
            assert shown.split(" – ")[0] == truth[qid], (qid, shown, truth)
        elif status == "blank":
            assert truth[qid] is None
    assert html.count('class="read-box') == 7
    # The certainty shown is each read's own probability: a question not read as sure is never at 100 %.
    shown_conf = re.findall(r'<tr class="status-(\w+)">.*?<td class="confidence">(.*?)</td>', html, re.S)
    assert len(shown_conf) == 3 and all(c.endswith("%") for _, c in shown_conf)
    assert all(c != "100%" for status, c in shown_conf if status not in ("ok", "blank"))
    told = re.search(r"Độ chắc chắn của lần đọc: thấp nhất ([\d,]+%) \(câu (\w+)\)", html)
    assert told and told.group(1) == dict((q, c) for q, c in re.findall(
        r'<strong>(\w+)</strong>.*?<td class="confidence">(.*?)</td>', html, re.S))[told.group(2)]
    with app.extensions["omr_store"].reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(pages)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar() == 0
    assert not any((Path(app.config["UPLOADS_DIR"]) / "template-tries").iterdir())
    # A white page is said to be one, never shown as blank answers; pages beyond the form's are named.
    tiff = io.BytesIO()
    Image.new("L", (1240, 1754), 255).save(tiff, "TIFF", save_all=True,
                                           append_images=[Image.fromarray(filled)])
    two = client.post(url, content_type="multipart/form-data",
                      data={"csrf_token": _token(client, url), "scan": (io.BytesIO(tiff.getvalue()), "hai-trang.tif")})
    shown = two.get_data(as_text=True)
    assert two.status_code == 200
    assert "Tệp «hai-trang.tif», trang 1: trang trắng" in shown
    assert "Tệp «hai-trang.tif» có 2 trang, mẫu phiếu có 1: chỉ đọc thử 1 trang đầu" in shown
    assert "read-box" not in shown
    # Not a scan: one message naming the file.
    bad = client.post(url, content_type="multipart/form-data",
                      data={"csrf_token": _token(client, url), "scan": (io.BytesIO(b"hello"), "ghi-chu.txt")})
    assert bad.status_code == 400 and "Tệp «ghi-chu.txt» không phải bản quét" in bad.get_data(as_text=True)


def test_a_new_scan_is_matched_to_the_newest_version_of_a_pinned_form():
    from types import SimpleNamespace

    from omr.scan.register import newest_pinned

    def layout(form, version, pinned=True):
        return SimpleNamespace(form_id=form, version=version,
                               pages=[SimpleNamespace(pinned={"a": 1} if pinned else None)])

    old, new, other, own_v1, own_v2 = (layout("xa", 1), layout("xa", 2), layout("phuong", 1),
                                       layout("motcua", 1, False), layout("motcua", 2, False))
    assert newest_pinned([new, old, other, own_v1, own_v2]) == [new, other, own_v1, own_v2]


def test_the_editor_reads_uploads_in_a_bounded_worker_and_names_the_file_and_page(app, drafted, monkeypatch):
    """A blank or a try-on scan that overruns the time bound stops its worker: a Vietnamese message, no hang."""
    from omr import tuning as T

    from omr.scan import page_workers

    client, state, csrf = drafted
    assert save(client, state, csrf, edit_of(state)).status_code == 200
    monkeypatch.setattr(T, "EDITOR_SECONDS_PER_PAGE", 0.05)
    # The page overruns its own bound, not the machine's load (a loaded test machine's wait for a CPU
    # would otherwise be left out of the bound, and the message would say the server was busy).
    monkeypatch.setattr(page_workers, "_run_queue_wait", lambda pid: 0.0)
    refused = upload_blank(client, png_bytes(drawn_blank()), name="Phiếu chậm.png")
    assert refused.status_code == 400
    assert "Tệp «Phiếu chậm.png», trang 1: đọc quá 0 giây, đã dừng" in refused.get_data(as_text=True)
    url = "/admin/templates/phieu-xa-dong-hoa/try"
    tried = client.post(url, content_type="multipart/form-data",
                        data={"csrf_token": _token(client, url),
                              "scan": (io.BytesIO(png_bytes(drawn_blank())), "thu.png")})
    html = tried.get_data(as_text=True)
    assert tried.status_code == 200 and "Tệp «thu.png», trang 1: đọc quá 0 giây, đã dừng" in html
    assert "read-box" not in html
    monkeypatch.setattr(T, "EDITOR_SECONDS_PER_PAGE", 20.0)
    # The memory cap: a worker allowed too little memory to read the page ends as one named page.
    monkeypatch.setattr(T, "WORKER_MAX_MEMORY_BYTES", 64 * 1024 ** 2)
    small = client.post(url, content_type="multipart/form-data",
                        data={"csrf_token": _token(client, url),
                              "scan": (io.BytesIO(png_bytes(drawn_blank())), "thu.png")})
    assert "Tệp «thu.png», trang 1: cần quá nhiều bộ nhớ để đọc" in small.get_data(as_text=True)


def test_overlap_check_finds_covering_boxes_in_linear_memory():
    """8000 boxes in one column once took an 8000 x 8000 array (2.4 GB); the sweep keeps memory O(N)."""
    import tracemalloc

    from omr.web.template_drafts import _overlaps

    column = [(f"Q{i}/a", (10.0, 1.0 + i * 0.035, 2.0, 2.0)) for i in range(8000)]  # each covers its neighbours
    grid = [(f"Q{i}/a", (5.0 + (i % 40) * 5.0, 5.0 + (i // 40) * 5.0, 3.0, 3.0)) for i in range(1500)]
    tracemalloc.start()
    try:
        assert _overlaps(grid, 1) == []
        found = _overlaps(column, 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 ** 2
    assert len(found) == 10 and found[0] == "Trang 1: ô Q0/a và ô Q1/a chồng lên nhau"
    shifted = grid + [("Q9/b", (5.2, 5.2, 3.0, 3.0))]  # over the first box of the grid
    assert _overlaps(shifted, 2) == ["Trang 2: ô Q0/a và ô Q9/b chồng lên nhau"]


def test_an_edit_with_too_many_boxes_on_a_page_is_refused(drafted):
    from omr import tuning as T

    client, state, csrf = drafted
    payload = edit_of(state)
    template = payload["questions"][0]
    payload["questions"] = [{**template, "id": f"Q{n}", "options": [
        {**template["options"][0], "code": f"c{k}", "x": 5.0 + k * 5.0, "y": 5.0 + n * 1.0}
        for k in range(T.EDITOR_MAX_OPTIONS)]} for n in range(T.EDITOR_MAX_BOXES_PER_PAGE // T.EDITOR_MAX_OPTIONS + 1)]
    response = save(client, state, csrf, payload)
    assert response.status_code == 400
    assert f"nhiều hơn {T.EDITOR_MAX_BOXES_PER_PAGE} ô một trang" in " ".join(response.get_json()["problems"])


def test_bad_input_to_the_editor_is_a_clean_400_in_vietnamese(app, drafted):
    client, state, csrf = drafted
    deep = client.post(state["save_url"], data="[" * 100_000 + "]" * 100_000, content_type="application/json",
                       headers={"X-CSRFToken": csrf})
    assert deep.status_code == 400 and "lồng nhau quá sâu" in " ".join(deep.get_json()["problems"])
    huge = edit_of(state)
    huge["questions"][0]["options"][0]["x"] = 1
    body = json.dumps(huge).replace('"x": 1,', '"x": ' + "9" * 400 + ",", 1)
    number = client.post(state["save_url"], data=body, content_type="application/json", headers={"X-CSRFToken": csrf})
    assert number.status_code == 400 and "cần toạ độ" in " ".join(number.get_json()["problems"])
    # Images too small or too thin to be a page: refused by the ingest, named, never an OpenCV error.
    for size, name, why in (((1, 1), "mot-diem.png", "ảnh quá nhỏ"),
                            ((1, 100_000), "soi-chi.png", "ảnh quá dài và hẹp")):
        blank = upload_blank(client, png_bytes(np.full(size, 255, np.uint8)), name=name)
        html = blank.get_data(as_text=True)
        assert blank.status_code == 400 and f"Tệp «{name}», trang 1: {why}" in html, re.findall(r"flash[^<]*", html)
    assert save(client, state, csrf, edit_of(state)).status_code == 200
    url = "/admin/templates/phieu-xa-dong-hoa/try"
    tried = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": _token(client, url), "scan": (io.BytesIO(png_bytes(np.full((1, 100_000), 255, np.uint8))),
                                                     "soi-chi.png")})
    html = tried.get_data(as_text=True)
    # The page is named, with why it is no page (hattack3's "not_scan"), without brackets inside brackets.
    assert tried.status_code == 200 and "Tệp «soi-chi.png», trang 1: không phải bản quét trang phiếu" in html
    assert "trang phiếu: ảnh quá dài và hẹp" in html and "điểm ảnh))" not in html and "/tmp" not in html and str(app.config["UPLOADS_DIR"]) not in html


def test_the_editor_refuses_question_ids_that_clash_with_export_columns(drafted):
    client, state, csrf = drafted
    for qid in ("unit", "Q7_status"):
        bad = edit_of(state)
        bad["questions"][0]["id"] = qid
        response = save(client, state, csrf, bad)
        assert response.status_code == 400
        assert f"mã câu hỏi «{qid}»" in " ".join(response.get_json()["problems"])


def test_ids_ending_in_a_newline_are_refused(app, drafted):
    """Python's "$" also matches before a final newline: "phieu\n", "Q1\n" and "1\n" passed the id
    checks, so a form saved as a file and folder whose names end in a newline, and a question or option
    that looks the same as another one in every list and export header."""
    client, state, csrf = drafted
    folder = Path(app.config["TEMPLATE_DIR"])
    before = sorted(p.name for p in folder.iterdir())
    with_option = next(i for i, q in enumerate(state["questions"]) if q.get("options"))
    for change in ("form_id", "question", "code"):
        bad = edit_of(state)
        if change == "form_id":
            bad["form_id"] = "phieu-moi\n"
        elif change == "question":
            bad["questions"][0]["id"] += "\n"
        else:
            bad["questions"][with_option]["options"][0]["code"] += "\n"
        response = save(client, state, csrf, bad)
        assert response.status_code == 400, (change, response.get_json())
    assert sorted(p.name for p in folder.iterdir()) == before
    with pytest.raises(BadArgumentsError):
        users.add_user(app.extensions["omr_store"], "tam\n", "mat-khau-tam-thoi-dai-du", "reviewer")


def test_form_ids_of_printed_forms_folders_and_yaml_words_are_safe(app, drafted):
    client, state, csrf = drafted
    folder = Path(app.config["TEMPLATE_DIR"])
    # omr's printed form whose YAML is gone but whose frozen layout (and read pages) remain: still its id.
    (folder / "motcua-2026.yaml").rename(folder.parent / "motcua-2026.yaml")
    assert (folder / "layouts" / "motcua-2026-v1.json").exists()
    taken = save(client, state, csrf, edit_of(state, form_id="motcua-2026", replace_version=1))
    assert taken.status_code == 400 and "mẫu phiếu omr in" in " ".join(taken.get_json()["problems"])
    assert not (folder / "motcua-2026.yaml").exists()
    for name in ("layouts", "history"):
        refused = save(client, state, csrf, edit_of(state, form_id=name))
        assert refused.status_code == 400 and "tên một thư mục" in " ".join(refused.get_json()["problems"])
    # Words YAML would read as booleans, null or numbers stay ids: quoted when written.
    payload = edit_of(state, form_id="0x1f")
    payload["questions"][0]["id"] = "on"
    payload["questions"][1]["id"] = "null"
    payload["questions"][0]["options"][0]["code"] = "no"
    saved = save(client, state, csrf, payload)
    assert saved.status_code == 200, saved.get_json()
    template = load_template(folder / "0x1f.yaml")
    assert template.form_id == "0x1f"
    assert [q.id for q in template.questions][:2] == ["on", "null"]
    assert template.questions[0].options[0].code == "no"


def test_messages_name_the_original_file_never_a_server_path(app, drafted):
    from omr.web.display import page_detail

    client, state, csrf = drafted
    # A name holding '/' is kept whole (and escaped), not cut at the '/'.
    odd = upload_blank(client, png_bytes(np.full((1, 1), 255, np.uint8)), name="Phiếu <b>x</b>.png")
    html = odd.get_data(as_text=True)
    assert odd.status_code == 400 and "Tệp «Phiếu &lt;b&gt;x&lt;/b&gt;.png», trang 1: ảnh quá nhỏ" in html
    # A JPEG declaring 65000 x 65000 px: one fragment naming file and page, no doubled ", trang 1".
    ok, small = cv2.imencode(".jpg", np.full((300, 300), 255, np.uint8))
    data = bytearray(small.tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = (65000).to_bytes(2, "big") * 2
    big = upload_blank(client, bytes(data), name="bigdecl.jpg")
    html = big.get_data(as_text=True)
    assert big.status_code == 400 and "Tệp «bigdecl.jpg», trang 1: ảnh quá lớn (65000 × 65000 điểm ảnh)" in html
    assert html.count("trang 1") == 1 and str(app.config["UPLOADS_DIR"]) not in html
    # Set-aside details shown to people: no server path, no OpenCV assertion text.
    assert page_detail("/srv/omr/uploads/job-7/001.pdf, trang 3: ảnh bị hỏng (OSError)") == "ảnh bị hỏng (OSError)"
    raw = ("/srv/omr/uploads/job-7/002.png, trang 1: lỗi khi đọc trang (error: OpenCV(4.10.0) "
           "/io/opencv/modules/imgproc/src/thresh.cpp:1675: error: (-215:Assertion failed) blockSize % 2 == 1)")
    assert page_detail(raw) == "ảnh không hợp lệ, chương trình xử lý ảnh không đọc được (hãy quét lại trang này)"
    assert page_detail("lỗi khi đọc trang (ImportError: /work/x/lib/_heif.so: failed)") == \
        "lỗi khi đọc trang (ImportError: _heif.so: failed)"


def test_a_save_after_the_session_ended_says_so_in_json_and_too_large_is_named(app, drafted):
    from omr import tuning as T

    client, state, csrf = drafted
    client.post("/logout", data={"csrf_token": _token(client, "/admin/templates")})
    ended = save(client, state, csrf, edit_of(state))  # the token belonged to the session that ended
    answer = ended.get_json()
    assert ended.status_code in (400, 401) and answer["session_ended"] is True
    assert "Phiên đăng nhập đã hết" in answer["problems"][0] and "tải lại trang" in answer["problems"][0]
    fresh = app.test_client()  # no session at all, a token from another: still JSON, never the login page
    anonymous = fresh.post(state["save_url"], json=edit_of(state), headers={"X-CSRFToken": _token(fresh)})
    assert anonymous.status_code in (400, 401) and anonymous.get_json()["session_ended"] is True
    client = login(app, "quan")
    page = client.get(f"/admin/templates/drafts/{state['draft']}").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    big = client.post(state["save_url"], data=b'{"x": "' + b"a" * T.EDITOR_MAX_BODY_BYTES + b'"}',
                      content_type="application/json", headers={"X-CSRFToken": token})
    assert big.status_code == 413 and "quá lớn" in big.get_json()["problems"][0]


# --- Templates aligned by the sheet outline or corner markers (OMRChecker imports, #16 item 3) -----------

def _aligned_elsewhere(folder: Path) -> bytes:
    """A two-page pinned template as ``omr template import-omrchecker`` writes one, in ``folder``: page 1
    aligned by four corner markers (its marker image, sheet / marker width 12), page 2 by the sheet's
    outline; round bubbles, filled marks, no printed-outline check, and a label joining two questions.
    Returns the marker image's bytes."""
    from omr.template_from.blank import write_pinned_template

    assets = folder / "nhap-omrchecker"
    assets.mkdir(parents=True)
    for number in (1, 2):
        page = np.full((600, 400), 255, np.uint8)  # 100 x 150 mm at 4 px/mm
        for x, y in ((20, 30), (30, 30), (20, 40), (30, 40)):
            cv2.circle(page, ((x + 2) * 4 + 2, (y + 2) * 4 + 2), 9, 0, 2)
        cv2.imwrite(str(assets / f"page-{number}.png"), page)
    marker = np.full((40, 40), 255, np.uint8)
    cv2.rectangle(marker, (8, 8), (31, 31), 0, -1)
    cv2.imwrite(str(assets / "marker.png"), marker)
    common = {"width": 100.0, "height": 150.0, "shape": "round", "printed_check": False, "frames": {}}
    pages = [{**common, "reference": "nhap-omrchecker/page-1.png", "anchor": "markers",
              "marker": "nhap-omrchecker/marker.png", "marker_ratio": 12.0,
              "boxes": {1: (20, 30, 5, 5), 2: (30, 30, 5, 5), 3: (20, 40, 5, 5), 4: (30, 40, 5, 5)}},
             {**common, "reference": "nhap-omrchecker/page-2.png", "anchor": "page",
              "boxes": {5: (20, 30, 5, 5), 6: (30, 30, 5, 5)}}]
    groups = [{"id": "Roll", "title": "Roll", "questions": [
                  {"id": "roll1", "text": "roll1", "type": "single", "options": [("0", "0", 1), ("1", "1", 2)]},
                  {"id": "roll2", "text": "roll2", "type": "single", "options": [("0", "0", 3), ("1", "1", 4)]}]},
              {"id": "MCQ", "title": "MCQ", "questions": [
                  {"id": "q1", "text": "q1", "type": "single", "options": [("A", "A", 5), ("B", "B", 6)]}]}]
    write_pinned_template(folder / "nhap-omrchecker.yaml", "nhap-omrchecker", "Phiếu nhập từ OMRChecker: thử",
                          pages, groups, marks="fill", labels={"Roll": ["roll1", "roll2"]})
    return (assets / "marker.png").read_bytes()


def test_a_template_aligned_by_corner_markers_or_the_sheet_outline_is_edited_and_keeps_its_alignment(app):
    folder = Path(app.config["TEMPLATE_DIR"])
    marker = _aligned_elsewhere(folder)
    client = login(app, "quan")
    listing = client.get("/admin/templates").get_data(as_text=True)
    assert 'action="/admin/templates/nhap-omrchecker/edit"' in listing and "sửa tệp YAML" not in listing
    assert 'href="/admin/templates/nhap-omrchecker/try"' in listing
    opened = client.post("/admin/templates/nhap-omrchecker/edit", data={"csrf_token": _token(client, "/admin/templates")})
    assert opened.status_code == 303, opened.get_data(as_text=True)
    state, csrf = open_editor(client, opened.headers["Location"])
    assert state["base_version"] == 1 and [q["id"] for q in state["questions"]] == ["roll1", "roll2", "q1"]
    assert [p["number"] for p in state["pages"]] == [1, 2]
    assert client.get(f"/admin/templates/drafts/{state['draft']}/page-2.png").status_code == 200

    payload = edit_of(state)
    payload["questions"][2].update(id="CAU_1", text="Câu 1. Mức độ hài lòng")  # renamed
    payload["questions"][1]["options"][1]["x"] = 45.0  # roll2's "1" moved
    response = save(client, state, csrf, payload)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == 2

    template = load_template(folder / "nhap-omrchecker.yaml")
    pinned = template.extra["pinned"]
    first, second = pinned["pages"]
    assert (first["anchor"], first["marker"], first["marker_ratio"], first["shape"], first["printed_check"]) == \
        ("markers", "nhap-omrchecker/v2/page-1-marker.png", 12.0, "round", False)
    assert (folder / first["marker"]).read_bytes() == marker  # the marker image copied with the version
    assert (second["anchor"], second["marker"], second["shape"], second["printed_check"]) == \
        ("page", None, "round", False)
    assert pinned["marks"] == "fill"
    assert template.extra["labels"] == {"Roll": ("roll1", "roll2")}
    assert template.question("CAU_1").text == "Câu 1. Mức độ hài lòng" and "q1" not in [q.id for q in
                                                                                         template.questions]
    box = {value: n for n, value in pinned["assign"].items()}
    assert first["boxes"][box[("roll2", "1")]] == (45.0, 40.0, 5.0, 5.0)
    # The layout scans are read with finds the markers with the copied image; version 1 stays readable.
    layouts = app.extensions["omr_catalogue"].layouts
    assert layouts[("nhap-omrchecker", 2)].pages[0].pinned["_marker_path"] == str((folder / first["marker"]).resolve())
    assert ("nhap-omrchecker", 1) in layouts and (folder / "nhap-omrchecker" / "marker.png").is_file()
    assert load_template(folder / "nhap-omrchecker" / "history" / "v1.yaml").question("q1")
    with app.extensions["omr_store"].reading() as conn:
        (row,) = conn.execute(sa.select(changes).where(changes.c.entity == "template")).all()
    assert (row.who, row.field, row.entity_id) == ("quan", "nhap-omrchecker", 2)
    assert json.loads(row.old_value) == {"version": 1, "kept_as": "nhap-omrchecker/history/v1.yaml"}
    # Opened again: version 2, its marker in the draft, saved again as version 3 with the same alignment.
    again = client.post("/admin/templates/nhap-omrchecker/edit", data={"csrf_token": _token(client, "/admin/templates")})
    state3, csrf3 = open_editor(client, again.headers["Location"])
    assert state3["base_version"] == 2 and state3["questions"][2]["id"] == "CAU_1"
    assert save(client, state3, csrf3, edit_of(state3)).get_json()["version"] == 3
    third = load_template(folder / "nhap-omrchecker.yaml").extra["pinned"]["pages"][0]
    assert third["marker"] == "nhap-omrchecker/v3/page-1-marker.png" and (folder / third["marker"]).read_bytes() == marker


def test_a_corner_marker_image_outside_the_templates_folder_is_refused(tmp_path):
    from omr.errors import TemplateError

    _aligned_elsewhere(tmp_path)
    path = tmp_path / "nhap-omrchecker.yaml"
    text = path.read_text(encoding="utf-8")
    for where in ("../marker.png", "/etc/passwd"):  # the editor copies the marker into its drafts and versions
        path.write_text(text.replace('"nhap-omrchecker/marker.png"', json.dumps(where)), encoding="utf-8")
        with pytest.raises(TemplateError, match="ảnh dấu góc phải nằm trong thư mục mẫu phiếu"):
            load_template(path)


@needs_samples
@pytest.mark.parametrize("sample, sheet", [("sample5", "ScanBatch1/camscanner-1.jpg"),  # corner markers, labels
                                           ("sample4", "IMG_20201116_143512.jpg")])  # the sheet's outline
def test_an_omrchecker_template_saved_unchanged_reads_as_before_and_an_edit_takes_effect(app, sample, sheet):
    from omr.scan.ingest import PageLoader
    from omr.scan.page import Catalogue, process_page
    from omr.template_from.omrchecker import import_omrchecker

    folder = Path(app.config["TEMPLATE_DIR"])
    labels = import_omrchecker(SAMPLES / sample / "template.json", folder / f"{sample}.yaml")["labels"]
    loader = PageLoader()

    def read(catalogue) -> tuple[int, dict]:
        result = process_page(loader.load(SAMPLES / sample / sheet, 0), catalogue)
        assert result.set_aside is None and result.form_id == sample, result.detail
        return result.version, {q.question: (q.value, q.status, q.confidence) for q in result.questions}

    _, before = read(Catalogue.from_folder(folder))
    client = login(app, "quan")
    opened = client.post(f"/admin/templates/{sample}/edit", data={"csrf_token": _token(client, "/admin/templates")})
    assert opened.status_code == 303, opened.get_data(as_text=True)
    state, csrf = open_editor(client, opened.headers["Location"])
    saved = save(client, state, csrf, edit_of(state))
    assert saved.status_code == 200 and saved.get_json()["version"] == 2, saved.get_json()
    # Saved back unchanged: every answer, status and confidence as the imported template read them.
    assert read(app.extensions["omr_catalogue"]) == (2, before)

    # One question renamed; the box of the answer another question read removed. (Neither is a part of
    # a label: a label whose question is renamed is dropped, not left naming a question that is gone.)
    parts = {part for joined in labels.values() for part in joined}
    sure = [qid for qid, (value, status, _) in before.items() if status == "ok" and isinstance(value, str)
            and qid not in parts and len(next(q for q in state["questions"] if q["id"] == qid)["options"]) > 2]
    renamed, cut = sure[0], sure[-1]
    payload = edit_of(state, base_version=2)
    for question in payload["questions"]:
        if question["id"] == renamed:
            question.update(id="CAU_DOI_TEN", text="Câu đã đổi tên")
        if question["id"] == cut:
            question["options"] = [o for o in question["options"] if o["code"] != before[cut][0]]
    edited = save(client, state, csrf, payload)
    assert edited.status_code == 200 and edited.get_json()["version"] == 3, edited.get_json()
    template = load_template(folder / f"{sample}.yaml")
    assert template.question("CAU_DOI_TEN").text == "Câu đã đổi tên"
    assert template.extra.get("labels", {}) == {name: tuple(parts) for name, parts in labels.items()}
    version, after = read(app.extensions["omr_catalogue"])
    assert version == 3 and after["CAU_DOI_TEN"] == before[renamed] and renamed not in after
    assert after[cut][:2] == (None, "blank")  # its marked box is gone: nothing of it is read as the answer
    # Every other question reads the same answer (a confidence may move: one bubble fewer on the page).
    assert {q: v[:2] for q, v in after.items() if q not in ("CAU_DOI_TEN", cut)} == \
        {q: v[:2] for q, v in before.items() if q not in (renamed, cut)}


def test_a_try_on_stopped_because_the_machine_was_busy_does_not_blame_the_file():
    """The trial's fine 200 dpi page was told «tệp quá lớn … hãy quét lại» when the machine was loaded."""
    from omr.scan.page_workers import Failure
    from omr.web.template_drafts import _bound_reason

    busy = _bound_reason(Failure("timeout", "máy đang quá bận", busy=True), 20)
    assert "máy chủ đang quá bận" in busy and "tệp không có lỗi" in busy and "quét lại" not in busy
    slow = _bound_reason(Failure("timeout", "đọc trang quá 20 giây, đã dừng"), 20)
    assert "đọc quá 20 giây" in slow


def test_a_free_text_question_with_no_room_for_a_frame_is_named_in_a_warning(app):
    """«Câu 4. Góp ý khác:» printed at the page's foot: no frame can be proposed under it, so the editor
    says which question needs one drawn (the trial's writing under such a question vanished)."""
    blank = Image.fromarray(drawn_blank())
    draw = ImageDraw.Draw(blank)
    draw.text((25 * PPM, 280 * PPM), "Câu 4. Góp ý khác:", font=ImageFont.truetype(str(font_path()), int(3.6 * PPM)),
              fill=0)
    client = login(app, "quan")
    response = upload_blank(client, png_bytes(np.array(blank)), name="Phiếu góp ý.png")
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "editor-warning" in page and "Câu 4. Góp ý khác" in page and "khung viết" in page
    # Said once (the fresh user's editor showed each warning twice, as «Lưu ý: …» and «Cảnh báo: …»).
    assert page.count("có vẻ là câu hỏi ghi ý kiến") == 1, page


def test_reading_says_how_long_it_may_take_and_shows_it_is_busy(app):
    """A fresh user waited 7-33 s a page on a loaded machine where the page promised «1–2 giây»: the forms that
    read (a blank, a filled scan) say it may take tens of seconds and, once sent, show a status line and
    disable their button (busy-form.js) instead of looking hung."""
    client = logged_in(app, "quan", "mat-khau-admin")
    listing = client.get("/admin/templates").get_data(as_text=True)
    assert "1–2 giây" not in listing and "vài chục giây" in listing
    assert 'data-busy-status="blank-reading"' in listing and 'id="blank-reading"' in listing
    script = client.get("/static/busy-form.js").get_data(as_text=True)
    assert "busy-form.js" in listing and "data-busy-status" in script and "disabled = true" in script
    with app.test_request_context("/admin/templates/phieu/try"):
        template = load_template(Path(app.config["TEMPLATE_DIR"]) / "motcua-2026.yaml")
        page = render_template("template_try.html", template=template, file="phieu.yaml", pages=None)
    assert 'data-busy-status="try-reading"' in page and 'id="try-reading"' in page and "vài chục giây" in page
    assert "busy-form.js" in page


def test_the_tried_page_says_the_reader_tags_in_vietnamese():
    """«Trang này khớp trang 1 của mẫu phiếu. Mostly_blank; độ chắc chắn…» (a fresh user trying a blank):
    the reader's tags are said in Vietnamese on the try page and on the review item (display.page_detail)."""
    from omr.web.display import page_detail
    from omr.web.template_drafts import _try_detail

    detail = "khớp ảnh mẫu phieu-xa v1 trang 1 (độ tương đồng 0,93); mostly_blank; no_marks; misaligned"
    shown = _try_detail(page_detail(detail), needs_look=True)
    assert shown.startswith("Trang này khớp trang 1 của mẫu phiếu. Phần lớn câu hỏi của trang không có dấu"), shown
    assert not re.search(r"mostly|no_marks|misaligned|_", shown, re.I), shown
    assert "trang không có dấu nào" in shown and "chưa căn khớp" in shown
