"""The HTML report as a reader sees it in Chromium (Playwright, headless).

Screenshots go to outputs/test-screenshots/report/ for a person to look at.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from test_report import build_dataset
from web_helpers import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, require_chromium, screenshot_folder

from omr.reports.figures import compute_report, write_report

SHOTS = SCREENSHOTS / "report"

playwright_api = require_chromium()


@contextmanager
def _report_in_chromium(store_url, repo_root, tmp_path):
    """(headless Chromium, the HTML report of the test data set for 2025-Q3), the browser closed after."""
    build_dataset(store_url, repo_root)
    report = compute_report(store_url, "2025-Q3", all_units=True, templates=repo_root / "form_templates")
    page_path = write_report(report, tmp_path / "bao-cao.html")
    screenshot_folder("report")
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium, page_path
        finally:
            chromium.close()


@pytest.mark.parametrize("width", [1100, 1280, 600])
def test_the_html_report_keeps_a_margin_from_the_window_edge(store_url, repo_root, tmp_path, monkeypatch, width):
    """A fresh user's trial: at a 1100 px window the title, the tables and the red «CÒN … MỤC CHƯA KIỂM TRA»
    box started at x = 0, flush with the window's edge."""
    monkeypatch.chdir(repo_root)
    with _report_in_chromium(store_url, repo_root, tmp_path) as (chromium, page_path):
        page = chromium.new_context(viewport={"width": width, "height": 900}, locale="vi-VN").new_page()
        page.goto(page_path.as_uri())
        page.screenshot(path=str(SHOTS / f"report-top-{width}.png"))
        for selector in ("h1", ".alert", "table"):
            box = page.locator(selector).first.bounding_box()
            assert box is not None, selector
            # At least 16 px of paper on each side, as a printed page's margin.
            assert box["x"] >= 16 and box["x"] + box["width"] <= width - 16, (selector, box, width)


def test_the_html_report_fits_a_phone_and_gives_the_question_text_the_width(store_url, repo_root, tmp_path,
                                                                              monkeypatch):
    """A trial: on a 390 px phone the report was 1,043 px wide (the whole page scrolled sideways), and at
    1,100 px the «Nội dung» of each question wrapped to 4-5 lines while the «Nhóm» column stood wide."""
    monkeypatch.chdir(repo_root)
    with _report_in_chromium(store_url, repo_root, tmp_path) as (chromium, page_path):
        for width in (1100, 390):
            page = chromium.new_context(viewport={"width": width, "height": 800}, locale="vi-VN").new_page()
            page.goto(page_path.as_uri())
            page.screenshot(path=str(SHOTS / f"report-fit-{width}.png"), full_page=True)
            # The page itself never scrolls sideways: a wide table scrolls inside its own box.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            if width == 390:
                continue
            # Section 2's table: «Nhóm» narrow, «Nội dung» wide enough for a question in at most 3 lines.
            sizes = page.evaluate("""() => {
                const table = [...document.querySelectorAll('table')].find(
                    t => t.tHead.rows[0].cells[1].textContent === 'Câu');
                const head = table.tHead.rows[0].cells;
                const line = parseFloat(getComputedStyle(table.tBodies[0].rows[0].cells[2]).lineHeight);
                const tallest = Math.max(...[...table.tBodies[0].rows].map(r => r.cells[2].clientHeight));
                return {group: head[0].offsetWidth, text: head[2].offsetWidth, lines: tallest / line};
            }""")
            assert sizes["group"] < sizes["text"] / 4, sizes
            assert sizes["lines"] <= 3.5, sizes
