"""The template editor (issue #16) in headless Chromium, as an admin uses it: no YAML by hand.

A LibreOffice blank of tests/data/office-blanks/ (checkboxes-portrait, converted to PDF once) is
uploaded; in the editor a box is removed and drawn again where it is printed, a question is split
and merged back, a question and two misread labels are renamed, a writing frame is drawn, the form is
saved, and a filled, photocopied copy (tests/office_fill.py) is tried; the blank uploaded again and saved
under the same form id asks first and becomes version 2. Screenshots:
outputs/test-screenshots/template-editor-*.png.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import blank_sources
import cv2
import office_fill
import pytest
import sqlalchemy as sa
from web_helpers import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, live_server, screenshot_folder, require_chromium

from omr import tuning as T
from omr.data import users
from omr.data.schema import changes, pages
from omr.data.store import open_store
from omr.forms.template import load_template

SHOTS = SCREENSHOTS
# The editor's reads may take this long a page here (see the server fixture).
READ_SECONDS_PER_PAGE = 120.0

playwright_api = require_chromium()


@pytest.fixture(scope="module")
def blank_pdf(tmp_path_factory) -> Path:
    pdfs = {p.stem: p for p in blank_sources.office_pdfs(tmp_path_factory.mktemp("office-pdf"))}
    if "checkboxes-portrait" not in pdfs:
        pytest.skip("LibreOffice (soffice) is needed to turn the office blank into a PDF")
    return pdfs["checkboxes-portrait"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, repo_root):
    import shutil

    from omr.web import create_app

    folder = tmp_path_factory.mktemp("editor")
    templates = folder / "form_templates"
    shutil.copytree(repo_root / "form_templates", templates)
    db = str(folder / "omr.sqlite")
    with open_store(db) as store:
        users.add_user(store, "quan", "mat-khau-quan-tri", "admin")
    app = create_app(db, uploads_dir=folder / "uploads", template_dir=templates, start_jobs=False)
    # The editor's per-page read bound (20 s, 6x a try-on page's median) is for a person waiting; these tests
    # are about the editor's steps, on a machine that may be running the rest of the suite in another worker
    # as well (a try-on page hit 20 s at load 15 on 2 cores). tests/test_template_editor.py tests the bound.
    with pytest.MonkeyPatch.context() as patch, live_server(app) as url:
        patch.setattr(T, "EDITOR_SECONDS_PER_PAGE", READ_SECONDS_PER_PAGE)
        yield {"url": url, "templates": templates, "app": app}


def _box(page, question: str, code: str):
    return page.locator(f'svg rect.box[data-question="{question}"][data-code="{code}"]')


def _options(page, question: str) -> list[str]:
    return page.eval_on_selector_all(f'svg rect.box[data-question="{question}"]',
                                     "els => els.map(e => e.getAttribute('data-code'))")


def _drag_mm(page, rect: dict) -> None:
    """Drag the mouse over the page image from (x, y) to (x + w, y + h), in mm."""
    corners = page.evaluate("""r => {
        const svg = document.querySelector('svg[data-page="1"]');
        const m = svg.getScreenCTM();
        const p = (x, y) => { const q = svg.createSVGPoint(); q.x = x; q.y = y; const s = q.matrixTransform(m);
                              return [s.x, s.y]; };
        return [p(r.x, r.y), p(r.x + r.w, r.y + r.h)];
    }""", rect)
    (x0, y0), (x1, y1) = corners
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=4)
    page.mouse.move(x1, y1, steps=4)
    page.mouse.up()


def _open_tab(pw):
    """Headless Chromium with one tab the size of an office screen: (browser, context, tab)."""
    chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    context = chromium.new_context(viewport={"width": 1400, "height": 950}, locale="vi-VN")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    # An upload or a try-on answers once its read is done: up to the read bound of the server fixture.
    tab.set_default_navigation_timeout(READ_SECONDS_PER_PAGE * 1000 + 30_000)
    return chromium, context, tab


def _script_errors(tab) -> list[str]:
    """A list that fills with the tab's script errors and console errors as they happen."""
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def _log_in(tab, url: str) -> None:
    """Log in as the admin from the login page."""
    tab.goto(url + "/login")
    tab.fill("input[name=name]", "quan")
    tab.fill("input[name=password]", "mat-khau-quan-tri")
    with tab.expect_navigation():
        tab.click("button[type=submit]")


def _upload_blank(tab, url: str, blank_pdf: Path, name: str) -> None:
    """Upload ``blank_pdf`` as the file ``name`` from the templates page and wait for the boxes found."""
    tab.goto(url + "/admin/templates")
    named = Path(tempfile.mkdtemp()) / name
    named.write_bytes(blank_pdf.read_bytes())
    tab.set_input_files("input[name=blank]", str(named))
    with tab.expect_navigation():
        tab.click("#upload-blank button[type=submit]")
    tab.wait_for_selector("svg rect.box")


def test_an_admin_makes_a_template_from_an_office_blank_and_tries_it(server, blank_pdf, repo_root):
    screenshot_folder()
    with playwright_api.sync_playwright() as pw:
        chromium, _, page = _open_tab(pw)
        errors = _script_errors(page)

        def shot(name, full=True):
            page.screenshot(path=str(SHOTS / f"template-editor-{name}.png"), full_page=full)

        _log_in(page, server["url"])
        page.click("header nav >> text=Mẫu phiếu")
        assert "Tạo mẫu từ phiếu trắng" in page.inner_text("main")
        shot("01-danh-sach")

        named = Path(tempfile.mkdtemp()) / "Phiếu khảo sát xã Đông Hòa.pdf"
        named.write_bytes(blank_pdf.read_bytes())
        page.set_input_files("input[name=blank]", str(named))
        with page.expect_navigation():
            page.click("#upload-blank button[type=submit]")
        page.wait_for_selector("svg rect.box")
        assert page.input_value("#form-id") == "phieu-khao-sat-xa-dong-hoa"
        # The page size as Vietnamese writes numbers: to 0.1 mm, decimal comma, never "210.01".
        assert re.fullmatch(r"Trang 1 \(\d+(,\d)? × \d+(,\d)? mm\)", page.inner_text(".editor-page h2"))
        assert "ĐÔNG HÒA" in page.input_value("#form-title")
        # Every found box over the page, grouped by question as printed (truth: 2, 4, 3, 3, 3).
        assert [len(_options(page, q)) for q in ("Q1", "Q2", "Q3", "Q4", "Q5")] == [2, 4, 3, 3, 3]
        assert page.locator(".question-card").count() == 5
        image_ok = page.evaluate("""() => new Promise(done => { const i = new Image();
            i.onload = () => done(i.naturalWidth); i.onerror = () => done(0);
            i.src = document.querySelector('svg image').getAttribute('href'); })""")
        assert image_ok > 1000
        shot("02-o-tim-thay")

        # Remove a box (Q4's third, "Trễ hẹn") and draw it again where it is printed.
        removed = _box(page, "Q4", "3")
        where = {k: float(removed.get_attribute(a))
                 for k, a in (("x", "x"), ("y", "y"), ("w", "width"), ("h", "height"))}
        removed.click()
        page.click("#remove-boxes")
        assert _options(page, "Q4") == ["1", "2"]
        _box(page, "Q4", "1").click()  # Q4 is the question being edited: a drawn box joins it
        _drag_mm(page, {"x": where["x"] - 0.1, "y": where["y"] - 0.1, "w": where["w"] + 0.2, "h": where["h"] + 0.2})
        assert _options(page, "Q4") == ["1", "2", "3"]
        page.fill('.question-card[data-qid="Q4"] tr:nth-child(3) input.label', "Trễ hẹn")

        # Split two of Q2's boxes into a new question, see it, then merge them back.
        _box(page, "Q2", "3").click()
        _box(page, "Q2", "4").click(modifiers=["Shift"])
        page.click("#split-question")
        assert _options(page, "Q2") == ["1", "2"] and len(_options(page, "Q6")) == 2
        shot("03-tach-cau")
        _box(page, "Q2", "1").click()
        _box(page, "Q6", "1").click(modifiers=["Shift"])
        page.click("#merge-questions")
        assert _options(page, "Q2") == ["1", "2", "3", "4"] and not _options(page, "Q6")

        # Rename: a question id and text, and the labels OCR misread.
        q1 = page.locator(f'.question-card[data-uid="{page.get_attribute(".question-card[data-qid=Q1]", "data-uid")}"]')
        q1.locator("input.qid").fill("GIOI_TINH")
        q1.locator("input.qtext").fill("Giới tính")
        q2 = page.locator('.question-card[data-qid="Q2"]')
        q2.locator("tr:nth-child(2) input.label").fill("30 - 45")
        q2.locator("tr:nth-child(3) input.label").fill("46 - 60")
        page.fill("#form-id", "phieu-xa-dong-hoa")

        # "Câu 6. Ý kiến khác" has a dotted line, no box: draw a writing frame over it.
        q5 = {k: float(_box(page, "Q5", "1").get_attribute(k)) for k in ("y", "height")}
        page.check("input[name=draw-kind][value=frame]")
        _drag_mm(page, {"x": 18.0, "y": q5["y"] + 11.2, "w": 160.0, "h": 7.5})
        page.locator('.question-card[data-qid="Y1"] input.qtext').fill("Ý kiến khác")
        order = "Array.from(document.querySelectorAll('.question-card')).map(c => c.dataset.qid)"
        page.click('.question-card[data-qid="Y1"] button.move-up')
        assert page.evaluate(order)[-2:] == ["Y1", "Q5"]
        page.click('.question-card[data-qid="Y1"] button.move-down')
        assert page.evaluate(order)[-2:] == ["Q5", "Y1"]
        _box(page, "Q2", "2").click()
        shot("04-da-sua")
        page.select_option("#zoom", "200")
        _box(page, "Q2", "2").scroll_into_view_if_needed()
        shot("04b-phong-to", full=False)

        page.click("#save")
        page.wait_for_selector("#try-link")
        assert "Đã lưu mẫu phiếu «phieu-xa-dong-hoa» phiên bản 1" in page.inner_text("#editor-message")
        shot("05-da-luu", full=False)
        assert not errors, errors

        template = load_template(server["templates"] / "phieu-xa-dong-hoa.yaml")
        assert [q.id for q in template.questions] == ["GIOI_TINH", "Q2", "Q3", "Q4", "Q5", "Y1"]
        assert template.question("Y1").type == "text" and template.question("Y1").text == "Ý kiến khác"
        assert template.question("GIOI_TINH").text == "Giới tính"
        assert [o.label for o in template.question("Q2").options][1:3] == ["30 - 45", "46 - 60"]
        assert template.question("Q4").options[2].label == "Trễ hẹn"

        # Try it on a filled, photocopied copy of the blank.
        grey, ppm = blank_sources.render_pdf(blank_pdf, 200)[0]
        boxes = office_fill.template_boxes(server["templates"] / "phieu-xa-dong-hoa.yaml")
        filled, truth, _ = office_fill.fill(grey, ppm, boxes, 1, seed=11)
        scan = Path(tempfile.mkdtemp()) / "phieu-da-dien.png"
        cv2.imwrite(str(scan), filled)
        with page.expect_navigation():
            page.click("#try-link")
        page.set_input_files("input[name=scan]", str(scan))
        with page.expect_navigation():
            page.click("#try-form button[type=submit]")
        text = page.inner_text("main")
        assert "Trang này khớp trang 1 của mẫu phiếu." in text
        rows = page.eval_on_selector_all("table.tried-reads tbody tr", """rows => rows.map(r => [r.className,
            r.querySelector('strong').textContent, r.children[1].textContent])""")
        assert [qid for _, qid, _ in rows] == ["GIOI_TINH", "Q2", "Q3", "Q4", "Q5", "Y1"]
        truth = {("GIOI_TINH" if k == "Q1" else k): v for k, v in truth.items()}
        for status, qid, shown in rows:  # no sure read is wrong; blanks are blanks
            if status == "status-ok":
                assert shown.split(" – ")[0] == truth[qid], (qid, shown, truth)
            if status == "status-blank":
                assert truth[qid] is None, (qid, truth)
            if qid == "Y1":  # the writing frame is read as a comment field (its printed dots count as
                assert status == "status-comment"  # writing: see docs/forms-elsewhere.md, the editor's limits)
        assert page.locator("svg.tried-svg rect.read-box").count() == 15
        shot("06-thu-phieu-da-dien")

        page.click("text=Về danh sách mẫu phiếu")
        assert "phiên bản 1" not in page.inner_text("#template-history")  # a new form: nothing replaced
        assert "mẫu mới" in page.inner_text("#template-history")
        assert page.locator('#template-list td', has_text='phieu-xa-dong-hoa.yaml').count() == 1
        shot("07-lich-su")

        # The same blank uploaded again and saved under the same form id: asked first, then version 2.
        page.set_input_files("input[name=blank]", str(named))
        with page.expect_navigation():
            page.click("#upload-blank button[type=submit]")
        page.wait_for_selector("svg rect.box")
        page.fill("#form-id", "phieu-xa-dong-hoa")
        for card in ("Q2", "Q3", "Q5"):  # the labels OCR read wrong or cut short
            card_inputs = page.locator(f'.question-card[data-qid="{card}"] input.label')
            for i in range(card_inputs.count()):
                if not card_inputs.nth(i).input_value().strip():
                    card_inputs.nth(i).fill("Khác")
        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        page.click("#save")
        page.wait_for_selector("#try-link")
        assert asked and "Đã có mẫu phiếu «phieu-xa-dong-hoa» (phiên bản 1). Lưu thành phiên bản 2" in asked[0]
        assert "phiên bản 2" in page.inner_text("#editor-message")
        assert "Phiên bản 1 được giữ ở phieu-xa-dong-hoa/history/v1.yaml" in page.inner_text("#editor-message")
        shot("08-phien-ban-2", full=False)
        # The only console line: the browser noting the 409 that asked before replacing version 1.
        assert [e for e in errors if "409" not in e] == [], errors
        chromium.close()

    with server["app"].extensions["omr_store"].reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(pages)).scalar() == 0  # tried, not stored
        saved = conn.execute(sa.select(changes).where(changes.c.entity == "template")).all()
    assert [(r.who, r.field, r.entity_id) for r in saved] == [("quan", "phieu-xa-dong-hoa", 1),
                                                              ("quan", "phieu-xa-dong-hoa", 2)]
    assert load_template(server["templates"] / "phieu-xa-dong-hoa" / "history" / "v1.yaml").version == 1
    assert load_template(server["templates"] / "phieu-xa-dong-hoa.yaml").version == 2


def test_an_edit_survives_the_session_ending_and_a_reload(server, blank_pdf):
    with playwright_api.sync_playwright() as pw:
        chromium, context, page = _open_tab(pw)
        page.on("dialog", lambda dialog: dialog.accept())  # "leave the page with unsaved changes?"
        _log_in(page, server["url"])
        _upload_blank(page, server["url"], blank_pdf, "Phiếu phiên hết.pdf")
        page.fill("#form-title", "Tiêu đề sửa trước khi phiên hết")
        page.fill("#form-id", "phieu-phien-het")
        page.wait_for_timeout(500)
        context.clear_cookies()  # the session ends (timeout, logout elsewhere)
        page.click("#save")
        page.wait_for_selector("#login-again")
        said = page.inner_text("#editor-message")
        assert "Phiên đăng nhập đã hết" in said and "Máy chủ trả lời" not in said
        assert page.get_attribute("#login-again", "target") == "_blank"
        _log_in(context.new_page(), server["url"])  # logged in again in another tab
        page.reload()
        page.wait_for_selector("svg rect.box")
        assert page.input_value("#form-title") == "Tiêu đề sửa trước khi phiên hết"
        assert "Đã khôi phục bản sửa chưa lưu" in page.inner_text("#editor-message")
        page.click("#save")
        page.wait_for_selector("#try-link")
        assert "Đã lưu mẫu phiếu «phieu-phien-het»" in page.inner_text("#editor-message")
        assert page.evaluate("() => window.sessionStorage.length") == 0
        chromium.close()


def test_renamed_questions_show_in_the_list_and_new_ids_are_renumbered_without_touching_saved_ones(server,
                                                                                                   blank_pdf):
    screenshot_folder()
    with playwright_api.sync_playwright() as pw:
        chromium, _, page = _open_tab(pw)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _log_in(page, server["url"])
        _upload_blank(page, server["url"], blank_pdf, "Phiếu đánh số.pdf")

        def ids():
            return page.evaluate("Array.from(document.querySelectorAll('.question-card')).map(c => c.dataset.qid)")

        def targets():
            return page.eval_on_selector_all("#move-target option", "os => os.map(o => o.textContent)")

        # A renamed question is listed under its new text where boxes are moved to it.
        page.locator('.question-card[data-qid="Q1"] input.qtext').fill("Giới tính")
        assert targets()[0] == "Q1 – Giới tính"

        # Two questions deleted leave gaps; renumbering closes them (none of these was ever saved).
        for qid in ("Q2", "Q4"):
            page.click(f'.question-card[data-qid="{qid}"] button.remove-question')
        assert ids() == ["Q1", "Q3", "Q5"]
        page.click("#renumber")
        assert ids() == ["Q1", "Q2", "Q3"]
        assert [t.split(" – ")[0] for t in targets()] == ["Q1", "Q2", "Q3"] and targets()[0] == "Q1 – Giới tính"
        assert _options(page, "Q2") and not _options(page, "Q5")  # the boxes follow their question's new id
        page.screenshot(path=str(SHOTS / "template-editor-09-danh-so-lai.png"), full_page=True)

        for i in range(page.locator("input.label").count()):  # labels OCR missed
            if not page.locator("input.label").nth(i).input_value().strip():
                page.locator("input.label").nth(i).fill("Khác")
        page.fill("#form-id", "phieu-danh-so")
        page.click("#save")
        page.wait_for_selector("#try-link")
        assert [q.id for q in load_template(server["templates"] / "phieu-danh-so.yaml").questions] == [
            "Q1", "Q2", "Q3"]

        # Saved ids are never renumbered nor given to a new question: answers are stored under them.
        page.click('.question-card[data-qid="Q2"] button.remove-question')
        q1 = {k: float(_box(page, "Q1", "1").get_attribute(k)) for k in ("x", "y", "width", "height")}
        page.check("input[name=draw-kind][value=box]")
        _box(page, "Q1", "1").scroll_into_view_if_needed()
        _drag_mm(page, {"x": 160.0, "y": q1["y"], "w": q1["width"], "h": q1["height"]})
        assert ids() == ["Q1", "Q3", "Q4"], page.inner_text("#editor-message")
        page.click("#renumber")
        assert ids() == ["Q1", "Q3", "Q4"]
        assert "mã các câu đã lưu không đổi" in page.inner_text("#editor-message")
        page.screenshot(path=str(SHOTS / "template-editor-10-ma-da-luu-giu-nguyen.png"), full_page=True)
        assert not errors, errors
        chromium.close()


OMRCHECKER = (blank_sources.external_root() or Path("/nonexistent")) / "omrchecker" / "samples"
if not OMRCHECKER.is_dir() and os.environ.get("OMR_REQUIRE_EXTERNAL_DATA") == "1":
    raise RuntimeError(f"OMRChecker samples absent: {OMRCHECKER} (CI requires them)")


@pytest.mark.skipif(not OMRCHECKER.is_dir(), reason=f"OMRChecker samples absent: {OMRCHECKER}")
def test_an_omrchecker_template_aligned_by_corner_markers_is_edited_in_the_browser(server):
    """sample5 imported (``anchor: markers``, its marker image, labels): opened from the list, a question
    renamed, saved as version 2 with its alignment, and tried on one of OMRChecker's scans."""
    from omr.template_from.omrchecker import import_omrchecker

    screenshot_folder()
    templates = server["templates"]
    summary = import_omrchecker(OMRCHECKER / "sample5" / "template.json", templates / "sample5.yaml")
    blocks = [(g.id, g.title, len(g.questions)) for g in load_template(templates / "sample5.yaml").groups]
    with playwright_api.sync_playwright() as pw:
        chromium, _, page = _open_tab(pw)
        errors = _script_errors(page)
        _log_in(page, server["url"])
        page.click("header nav >> text=Mẫu phiếu")
        row = page.locator("#template-list tr", has_text="sample5.yaml")
        assert "sửa tệp YAML" not in row.inner_text()
        with page.expect_navigation():
            row.locator("button", has_text="Sửa").click()
        page.wait_for_selector("svg rect.box")
        assert page.input_value("#form-id") == "sample5"
        assert page.locator("svg rect.box").count() == summary["boxes"]
        assert "Từ tệp «sample5.yaml», phiên bản 1" in page.inner_text("main")
        page.screenshot(path=str(SHOTS / "template-editor-11-omrchecker-mo.png"), full_page=True)

        card = page.locator('.question-card[data-qid="q1"]')
        card.locator("input.qid").fill("CAU_1")
        page.locator('.question-card[data-qid="CAU_1"] input.qtext').fill("Câu 1. Môn Toán – đáp án đúng")
        assert _options(page, "CAU_1") == ["A", "B", "C", "D"]
        _box(page, "CAU_1", "A").click()
        page.click("#save")
        page.wait_for_selector("#try-link")
        assert "Đã lưu mẫu phiếu «sample5» phiên bản 2" in page.inner_text("#editor-message")
        assert "Phiên bản 1 được giữ ở sample5/history/v1.yaml" in page.inner_text("#editor-message")
        page.screenshot(path=str(SHOTS / "template-editor-12-omrchecker-da-luu.png"), full_page=False)

        text = (templates / "sample5.yaml").read_text(encoding="utf-8")
        assert "version: 2" in text and 'id: "CAU_1"' in text and 'text: "Câu 1. Môn Toán – đáp án đúng"' in text
        assert 'id: "q1"' not in text
        assert "anchor: markers" in text and 'marker: "sample5/v2/page-1-marker.jpg"' in text
        assert "marks: fill" in text and "shape: round" in text and "printed_check: false" in text
        template = load_template(templates / "sample5.yaml")
        assert template.extra["labels"] == {name: tuple(parts) for name, parts in summary["labels"].items()}
        # OMRChecker's field blocks stay the template's groups (they were one group per page after an edit).
        assert len(blocks) > 1 and [(g.id, g.title, len(g.questions)) for g in template.groups] == blocks
        assert (templates / "sample5" / "v2" / "page-1-marker.jpg").read_bytes() == \
            (templates / "sample5" / "marker.jpg").read_bytes()

        # Tried on OMRChecker's scan: aligned by its corner markers, the renamed question read (D, OMRChecker's read).
        with page.expect_navigation():
            page.click("#try-link")
        page.set_input_files("input[name=scan]", str(OMRCHECKER / "sample5" / "ScanBatch1" / "camscanner-1.jpg"))
        with page.expect_navigation():
            page.click("#try-form button[type=submit]")
        assert "Trang này khớp trang 1 của mẫu phiếu." in page.inner_text("main")
        rows = page.eval_on_selector_all("table.tried-reads tbody tr", """rows => rows.map(r => [r.className,
            r.querySelector('strong').textContent, r.children[1].textContent])""")
        assert ["status-ok", "CAU_1", "D – D"] in [list(r) for r in rows]
        page.screenshot(path=str(SHOTS / "template-editor-13-omrchecker-thu.png"), full_page=True)
        assert [e for e in errors if "409" not in e] == [], errors
        chromium.close()
    with server["app"].extensions["omr_store"].reading() as conn:
        saved = conn.execute(sa.select(changes).where(changes.c.entity == "template", changes.c.field == "sample5")).all()
    assert [(r.who, r.entity_id) for r in saved] == [("quan", 2)]


def test_renaming_questions_in_the_browser_carries_the_label_and_the_page_join(server):
    """A two-page form whose roll-number label and page join name two questions: both renamed in the panel,
    saved, and the template's ``labels`` and ``join`` follow the new ids (#16: the label's column was
    dropped silently and the join refused to save)."""
    from test_template_editor_renames import _two_page_form

    screenshot_folder()
    templates = server["templates"]
    _two_page_form(templates, {"mode": "serial_field", "fields": ["Roll", "q2"]})
    with playwright_api.sync_playwright() as pw:
        chromium, _, page = _open_tab(pw)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _log_in(page, server["url"])
        page.click("header nav >> text=Mẫu phiếu")
        row = page.locator("#template-list tr", has_text="ghep-trang.yaml")
        with page.expect_navigation():
            row.locator("button", has_text="Sửa").click()
        page.wait_for_selector("svg rect.box")
        page.locator('.question-card[data-qid="roll2"] input.qid').fill("SO_2")
        page.locator('.question-card[data-qid="q2"] input.qid').fill("SO_T2")
        page.click("#save")
        page.wait_for_selector("#try-link")
        assert "Đã lưu mẫu phiếu «ghep-trang» phiên bản 2" in page.inner_text("#editor-message")
        page.screenshot(path=str(SHOTS / "template-editor-14-doi-ma-nhan-ghep.png"), full_page=False)
        template = load_template(templates / "ghep-trang.yaml")
        assert template.extra["labels"] == {"Roll": ("roll1", "SO_2")}
        assert template.extra["join"] == {"mode": "serial_field", "fields": ["Roll", "SO_T2"]}

        # A question the join needs, deleted: the save says what to fix, in Vietnamese, and nothing is saved.
        page.click('.question-card[data-qid="SO_T2"] button.remove-question')
        page.click("#save")
        page.locator("#editor-message", has_text="Cách ghép trang").wait_for()
        shown = page.inner_text("#editor-message")
        assert "Cách ghép trang theo số phiếu ghi trên từng trang (join: serial_field) cần câu «q2», mà bản sửa đã xoá" in shown
        page.screenshot(path=str(SHOTS / "template-editor-15-ghep-trang-thieu-cau.png"), full_page=False)
        assert load_template(templates / "ghep-trang.yaml").version == 2
        assert not errors, errors
        chromium.close()


def test_a_writing_frame_over_printed_text_is_warned_of_on_upload_and_on_saving(server, tmp_path):
    """The blank's comment box drawn around a printed hint (#16): the editor says so, naming the frame,
    when the blank is uploaded and when the form is saved."""
    from test_blank_frame_print import frame_blank_pdf

    screenshot_folder()
    pdf = frame_blank_pdf(tmp_path)
    with playwright_api.sync_playwright() as pw:
        chromium, _, page = _open_tab(pw)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _log_in(page, server["url"])
        _upload_blank(page, server["url"], pdf, "Phiếu khung đè chữ.pdf")
        warned = page.locator("p", has_text="nằm đè lên chữ in")
        assert warned.count() == 1  # once: the editor's warning, not also a flash of the upload
        assert re.match(r"Cảnh báo: Khung viết Y\d+ \(«Ý kiến khác», trang 1\) nằm đè lên chữ in", warned.inner_text())
        page.screenshot(path=str(SHOTS / "template-editor-16-khung-de-chu-in.png"), full_page=False)
        page.fill("#form-id", "phieu-khung-de-chu")
        page.click("#save")
        page.wait_for_selector("#try-link")
        message = page.inner_text("#editor-message")
        assert "Lưu ý: Khung viết" in message and "nằm đè lên chữ in" in message, message
        page.screenshot(path=str(SHOTS / "template-editor-17-khung-de-chu-in-da-luu.png"), full_page=False)
        assert not errors, errors
        chromium.close()


def test_a_date_marked_digit_by_digit_is_one_number_per_row_in_the_editor_and_on_the_try_page(server, tmp_path):
    """An office's Word blank with a date marked one digit per box (tests/data/office-numbers): the editor
    shows the day and the month each as one number with its digit columns; the day is renamed, the month
    unjoined and joined again from its columns, a box split off a column and moved back leaves the number
    whole, and merging a number's two columns drops it with a message; saved, a filled scan tried shows
    the day and month read (#16)."""
    pdfs = blank_sources.office_pdfs(tmp_path / "pdf", blank_sources.NUMBERS_DIR)
    if not pdfs:
        pytest.skip("LibreOffice (soffice) is needed to turn the office blank into a PDF")
    screenshot_folder()
    with playwright_api.sync_playwright() as pw:
        chromium, _, page = _open_tab(pw)
        errors = _script_errors(page)
        _log_in(page, server["url"])
        _upload_blank(page, server["url"], pdfs[0], "Ngày nhận hồ sơ.pdf")

        def columns(name: str) -> list[str]:
            return page.eval_on_selector_all(f'.number-card[data-number="{name}"] .question-card',
                                             "cards => cards.map(c => c.getAttribute('data-qid'))")

        assert page.eval_on_selector_all(".number-card", "cs => cs.map(c => c.getAttribute('data-number'))") == \
            ["Ngay", "Thang"]
        day, month = columns("Ngay"), columns("Thang")
        assert len(day) == 2 and len(month) == 2
        assert _options(page, day[0]) == ["0", "1", "2", "3"] and _options(page, month[1]) == [str(d) for d in range(10)]
        card = page.locator('.number-card[data-number="Ngay"]')
        assert f"{day[0]} (hàng chục) + {day[1]} (hàng đơn vị)" in card.inner_text()
        assert page.locator("svg rect.number-outline").count() == 2
        page.screenshot(path=str(SHOTS / "template-editor-18-so-theo-cot.png"), full_page=False)

        card.locator("input.number-name").fill("Ngay_nhan")
        assert page.locator('svg text.number-name', has_text="Số Ngay_nhan").count() == 1
        page.locator('.number-card[data-number="Thang"] button.unmake-number').click()
        assert page.locator('.number-card[data-number="Thang"]').count() == 0
        assert "Đã bỏ ghép số «Thang»" in page.inner_text("#editor-message")
        _box(page, month[0], "1").click()
        _box(page, month[1], "5").click(modifiers=["Shift"])
        page.click("#make-number")
        assert columns("So1") == month
        page.locator('.number-card[data-number="So1"] input.number-name').fill("Thang")

        # A box split off the day's units and moved back: the day stays one number of two columns.
        _box(page, day[1], "9").click()
        page.click("#split-question")
        assert columns("Ngay_nhan") == day and len(_options(page, day[1])) == 9
        page.select_option("#move-target", label=next(t for t in page.eval_on_selector_all(
            "#move-target option", "os => os.map(o => o.textContent)") if t.startswith(day[1] + " ")))
        page.click("#move-boxes")
        assert len(_options(page, day[1])) == 10 and columns("Ngay_nhan") == day
        page.screenshot(path=str(SHOTS / "template-editor-19-so-doi-ten.png"), full_page=False)

        page.click("#save")
        page.wait_for_selector("#try-link")
        template = load_template(server["templates"] / "ngay-nhan-ho-so.yaml")
        assert template.extra["labels"] == {"Ngay_nhan": tuple(day), "Thang": tuple(month)}

        # Tried on a filled, photocopied copy: the day and the month read as numbers.
        grey, ppm = blank_sources.render_pdf(pdfs[0], 200)[0]
        boxes = office_fill.template_boxes(server["templates"] / "ngay-nhan-ho-so.yaml")
        answers = dict(zip(day + month, ["1", "5", "0", "8"]))
        filled, _, _ = office_fill.fill(grey, ppm, boxes, 1, seed=3, answers=answers)
        scan = tmp_path / "da-dien.png"
        cv2.imwrite(str(scan), filled)
        with page.expect_navigation():
            page.click("#try-link")
        page.set_input_files("input[name=scan]", str(scan))
        with page.expect_navigation():  # the read may take longer than a click waits on a loaded machine
            page.click("#try-form button[type=submit]", no_wait_after=True)
        rows = page.eval_on_selector_all("table.tried-reads tbody tr.number-read", """rows => rows.map(r => [
            r.className, r.querySelector('strong').textContent, r.children[1].textContent])""")
        assert rows == [["status-ok number-read", "Ngay_nhan", "15"], ["status-ok number-read", "Thang", "08"]]
        page.screenshot(path=str(SHOTS / "template-editor-20-so-doc-thu.png"), full_page=True)

        # Back in the editor: merging the month's two columns into one question leaves no number to join.
        page.go_back()
        page.go_back()
        page.wait_for_selector("svg rect.box")
        _box(page, month[0], "0").click()
        _box(page, month[1], "0").click(modifiers=["Shift"])
        page.click("#merge-questions")
        assert page.locator('.number-card[data-number="Thang"]').count() == 0
        assert "Số «Thang» không còn đủ hai cột chữ số nên đã bỏ ghép" in page.inner_text("#editor-message")
        page.screenshot(path=str(SHOTS / "template-editor-21-so-gop-cot.png"), full_page=False)
        assert not errors, errors
        chromium.close()
