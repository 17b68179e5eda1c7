"""In headless Chromium: an admin links an office form's questions to the standard survey's, and a
placeholder name is refused before saving. Screenshots: outputs/test-screenshots/template-links-*.png.

The blank is the Word form of tests/test_standard_links.py (a 4-row satisfaction table whose cells
wrap, a yes/no question printed "Không" before "Có"), converted by LibreOffice.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from blank_sources import libreoffice_to_pdf
from web_helpers import screenshot_folder
from test_browser_template_editor import (  # noqa: F401  (the server fixture)
    SHOTS,
    _drag_mm,
    _log_in,
    _open_tab,
    _upload_blank,
    playwright_api,
    server,
)
from test_standard_links import TABLE_ROWS, _word_form

from omr.forms.template import load_template


@pytest.fixture(scope="module")
def word_blank(tmp_path_factory) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (libreoffice-writer-nogui) is needed to make the Word blank"
    folder = tmp_path_factory.mktemp("word-blank")
    _word_form(folder / "phieu-xa.docx")
    libreoffice_to_pdf(soffice, [folder / "phieu-xa.docx"], folder)
    return folder / "phieu-xa.pdf"


def _std_codes(page, qid: str) -> list[str]:
    return page.eval_on_selector_all(f'.question-card[data-qid="{qid}"] select.std-code',
                                     "els => els.map(e => e.value)")


def test_an_admin_links_questions_to_the_standard_survey_and_names_every_frame(server, word_blank):
    screenshot_folder()  # made once per run, never emptied under another worker's shots (xdist)
    with playwright_api.sync_playwright() as pw:
        chromium, _, page = _open_tab(pw)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def shot(name):
            page.screenshot(path=str(SHOTS / f"template-links-{name}.png"), full_page=True)

        _log_in(page, server["url"])
        _upload_blank(page, server["url"], word_blank, "Phiếu xã Mỹ Thọ.pdf")
        # The table's rows have their own wrapped text (not the previous cell's last line).
        texts = [page.input_value(f'.question-card[data-qid="Q{n}"] input.qtext') for n in (4, 5, 6, 7)]
        assert texts == TABLE_ROWS
        q4 = page.locator('.question-card[data-qid="Q4"]')
        options = q4.locator("select.qlink option").all_inner_texts()
        assert "D3 (thang 1–5). Công chức hướng dẫn một lần, rõ ràng, tận tình" in options
        assert "H2 (Có / Không). Ông/Bà có bị yêu cầu trả thêm khoản tiền nào ngoài phí, lệ phí không?" in options
        assert q4.locator("select.qlink optgroup").count() >= 6  # the standard form's groups, B to H
        q4.locator("select.qlink").select_option("D3")
        assert _std_codes(page, "Q4") == ["1", "2", "3", "4", "5"]  # 5 boxes onto 1..5, "Không ý kiến" unused
        # As an online import proposes a column's question, the editor suggests one; the admin takes it.
        suggest = page.locator('.question-card[data-qid="Q5"] button.link-suggest')
        assert suggest.inner_text().startswith("Gợi ý: C2")
        assert page.locator('.question-card[data-qid="Q5"] select.qlink').input_value() == ""  # never chosen alone
        suggest.click()
        assert page.locator('.question-card[data-qid="Q5"] select.qlink').input_value() == "C2"
        assert _std_codes(page, "Q5") == ["1", "2", "3", "4", "5"]
        page.locator('.question-card[data-qid="Q7"] select.qlink').select_option("H1")
        page.locator('.question-card[data-qid="Q8"] select.qlink').select_option("H2")
        assert _std_codes(page, "Q8") == ["N", "Y"]  # by the printed labels: "Không" first, then "Có"
        # Q2 (4 age groups) linked to a 1-5 scale cannot map in order: the admin is told to choose.
        page.locator('.question-card[data-qid="Q2"] select.qlink').select_option("B1")
        assert "chọn mã chuẩn cho từng ô" in page.inner_text('.question-card[data-qid="Q2"] .link-problem')
        page.locator('.question-card[data-qid="Q2"] select.qlink').select_option("")
        page.locator('.question-card[data-qid="Q4"]').scroll_into_view_if_needed()
        shot("01-gan-chi-so")

        # A writing frame keeps its placeholder name: saving is refused and says why.
        page.check("input[name=draw-kind][value=frame]")
        page.evaluate("""() => { const svg = document.querySelector('svg[data-page="1"]');
            const r = svg.getBoundingClientRect();
            window.scrollTo(0, window.scrollY + r.top + r.height * 200 / 297 - 200); }""")
        _drag_mm(page, {"x": 22, "y": 215, "w": 160, "h": 30})
        page.fill("#form-id", "phieu-xa-my-tho")
        assert page.locator('.question-card[data-qid="Y1"]').count() == 1
        page.click("#save")
        page.wait_for_selector("#editor-message >> text=Chưa lưu được mẫu phiếu")
        message = page.inner_text("#editor-message")
        assert "hãy đặt tên câu hỏi thay cho «Ý kiến (đặt tên)»" in message
        shot("02-ten-tam-bi-tu-choi")
        page.locator('.question-card[data-qid="Y1"] input.qtext').fill("Ý kiến khác của Ông/Bà")
        page.click("#save")
        page.wait_for_selector("#try-link")
        shot("03-da-luu")
        assert not errors, errors
        chromium.close()
    template = load_template(server["templates"] / "phieu-xa-my-tho.yaml")
    links = template.extra["standard"]["questions"]
    assert links == {"Q4": {"question": "D3", "codes": {str(n): str(n) for n in range(1, 6)}},
                     "Q5": {"question": "C2", "codes": {str(n): str(n) for n in range(1, 6)}},
                     "Q7": {"question": "H1", "codes": {str(n): str(n) for n in range(1, 6)}},
                     "Q8": {"question": "H2", "codes": {"1": "N", "2": "Y"}}}
    assert template.question("Y1").text == "Ý kiến khác của Ông/Bà"
