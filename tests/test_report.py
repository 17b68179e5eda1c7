"""Period reports: figures against a hand calculation, roll-up, closing and revisions, the three formats.

The small dataset (report period 2025-Q3 = 15/06/2025 - 14/09/2025, cut-off convention):

| # | channel | unit  | date (source)            | B1  | B2  | D1        | H1 | H2 |
|---|---------|-------|--------------------------|-----|-----|-----------|----|----|
| 1 | paper   | 29872 | 15/06/2025 form (edge)   | 5   | 4   | 3         | 4  | N  |
| 2 | paper   | 30001 | 14/09/2025 form (edge)   | 4   | KYK | 5         | 5  | Y  |
| 3 | paper   | 30001 | 15/09/2025 form: Q4      | 1   | 1   | 1         | 1  |    |
| 4 | paper   | 29881 | 14/06/2025 form: Q2      | 2   | 3   | 4         | 2  |    |
| 5 | paper   | 30001 | 01/08/2025 form          | --  | 2   | ? (4)     | 3  |    |
| 6 | online  | 30002 | 14/09 17:00 (+7): Q3     | 5   |     | 4         | 5  |    |
| 7 | online  | 30002 | 15/09 01:00 (+7): Q4     | 1   |     | 1         | 1  |    |
| 8 | paper   | 30001 | no form date; batch 01-20/07/2025 | 3 |  |          | 4  |    |

Phường 1 (29872) ended on 30/06/2025 and was merged into Phường Cao Lãnh (30001) on 1/7/2025.
Q3 by hand: B1 valid 5,4,5,3 -> 75 %, mean 4.25; B2 valid 4,2 (1 KYK) -> 50 %, mean 3;
D1 valid 3,5,4 (1 awaiting review) -> 66.67 %, mean 4; H1 valid 4,5,3,5,4 -> 80 %, mean 4.2;
group B = (75 + 50) / 2 = 62.5, D = 66.67, overall = (62.5 + 66.67) / 2 = 64.58; H2: 1 yes of 2.
Previous (Q2): response 4 only: B 0 %, D 100 %, overall 50 %.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import zipfile

import pytest
import sqlalchemy as sa
from db_fixtures import page_result, record

from omr.cli import main
from omr.data.schema import answers, comments, responses
from omr.data.store import open_store
from omr.model import AMBIGUOUS
from omr.online.units import import_units
from omr.reports.figures import build, close_period, write_report
from omr.text.lexicon import flags_json, flags_of


def _crop_png() -> bytes:
    """A stand-in comment crop: handwriting-like text on white."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("L", (360, 48), 255)
    ImageDraw.Draw(image).text((8, 14), "Can bo hach dich", fill=20)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


PNG = _crop_png()


def _online(conn, unit, moment, values, text=None):
    rid = conn.execute(responses.insert().values(
        form_id="motcua-2026", version=1, serial=None, unit=unit, flags="", created_at=datetime.now(UTC),
        channel="online", source="test-online", submitted_at=moment)).inserted_primary_key[0]
    rows = [{"response_id": rid, "question": q, "value": json.dumps(v, ensure_ascii=False), "status": "ok",
             "confidence": 1.0, "source_page_id": None, "set_by": "import", "updated_at": datetime.now(UTC)}
            for q, v in values.items()]
    if text:
        rows.append({"response_id": rid, "question": "H3", "value": json.dumps(text, ensure_ascii=False),
                     "status": "ok", "confidence": 1.0, "source_page_id": None, "set_by": "import",
                     "updated_at": datetime.now(UTC)})
    conn.execute(answers.insert(), rows)
    return rid


def _comment(conn, serial, field, *, status, draft=None, text=None, crop=None):
    rid, page = conn.execute(sa.text(
        "SELECT r.id, p.id FROM responses r JOIN response_pages x ON x.response_id = r.id "
        "JOIN pages p ON p.id = x.page_id WHERE r.serial = :s"), {"s": serial}).first()
    flags = flags_of(text, source="text") if text else flags_of(draft)
    conn.execute(comments.insert().values(
        response_id=rid, page_id=page, field=field, inked=True, ink_mm2=40.0, x=10, y=200, w=180, h=20,
        crop_png=crop, draft_text=draft, status=status, text=text, flags=flags_json(flags),
        updated_at=datetime.now(UTC)))


def build_dataset(url: str, repo_root: Path) -> None:
    with open_store(url) as store:
        import_units(store, repo_root / "examples" / "units" / "caolanh.csv")
        batch = store.ensure_batch("Đợt quý III")
        late = store.ensure_batch("Đợt tháng 7", "2025-07-01", "2025-07-20")
        sheets = [
            (1, "29872", {"A1": "2025-06-15", "B1": "5", "B2": "4", "D1": "3", "H1": "4", "H2": "N"}, {}),
            (2, "30001", {"A1": "2025-09-14", "B1": "4", "B2": "KYK", "D1": "5", "H1": "5", "H2": "Y"}, {}),
            (3, "30001", {"A1": "2025-09-15", "B1": "1", "B2": "1", "D1": "1", "H1": "1"}, {}),
            (4, "29881", {"A1": "2025-06-14", "B1": "2", "B2": "3", "D1": "4", "H1": "2"}, {}),
            (5, "30001", {"A1": "2025-08-01", "B1": None, "B2": "2", "D1": "4", "H1": "3"}, {"D1": AMBIGUOUS}),
        ]
        for serial, unit, values, statuses in sheets:
            record(store, batch, page_result(serial, 1, values, index=serial, unit=unit, statuses=statuses), 1)
        record(store, late, page_result(8, 1, {"A1": None, "B1": "3", "H1": "4"}, path="late.pdf", unit="30001"), 1)

        def work(conn):
            _online(conn, "30002", datetime(2025, 9, 14, 10, 0, tzinfo=UTC), {"B1": "5", "D1": "4", "H1": "5"},
                    "=HYPERLINK(\"http://x\") Cán bộ nhũng nhiễu, gọi 0912 345 678")
            _online(conn, "30002", datetime(2025, 9, 14, 18, 0, tzinfo=UTC), {"B1": "1", "D1": "1", "H1": "1"})
            _comment(conn, 2, "H4", status="pending", draft="Cán bộ hách dịch", crop=PNG)
            _comment(conn, 1, "H4", status="reviewed", text="Không có tiêu cực")

        store.writing(work)


@pytest.fixture
def dataset(store_url, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    build_dataset(store_url, repo_root)
    return store_url


def _question(report, qid):
    return report.questions.set_index("question").loc[qid]


def test_figures_match_the_hand_calculation(dataset):
    with open_store(dataset) as store:
        report = build(store, "2025-Q3")
    assert report.n_responses == 5  # 1, 2, 5, 6, 8: both edge days in, 15/09 and 14/06 out
    b1, b2, d1, h1 = (_question(report, q) for q in ("B1", "B2", "D1", "H1"))
    assert (b1.n_valid, b1.n4 + b1.n5, b1.blank) == (4, 3, 1)
    assert b1.pct == pytest.approx(75.0) and b1["mean"] == pytest.approx(4.25)
    assert (b2.n_valid, b2.kyk) == (2, 1) and b2.pct == pytest.approx(50.0) and b2["mean"] == pytest.approx(3.0)
    # Sheets 6 (online) and 8 have no B2 at all: counted apart, so that the row adds up to «Số phiếu».
    assert b2.absent == 2 and b1.absent == 0
    assert (d1.n_valid, d1.pending) == (3, 1) and d1.pct == pytest.approx(200 / 3)
    assert h1.pct == pytest.approx(80.0) and h1["mean"] == pytest.approx(4.2)
    groups = report.groups.set_index("group")["index"]
    assert groups["B"] == pytest.approx(62.5) and groups["D"] == pytest.approx(200 / 3)
    assert report.overall == pytest.approx((62.5 + 200 / 3) / 2)
    assert report.overall_question["pct"] == pytest.approx(80.0)
    assert report.overall_prev == pytest.approx(50.0)  # Q2: B 0 %, D 100 %
    assert _question(report, "B1").prev_pct == pytest.approx(0.0)
    h2 = report.yesno.set_index("question").loc["H2"]
    assert (h2.yes, h2.no, h2.pct_yes) == (1, 1, 50.0)
    assert report.date_sources == {"form": 3, "batch": 1, "online": 1}
    assert {k: v for k, v in report.review.items() if k != "open"} == {
        "answers": 1, "comments": 1, "incomplete": 0, "incomplete_pages": {}, "possible_duplicates": 0,
        "conflicts": 0, "no_answers": 0}
    assert report.review["open"].by_kind() == [("mark", 1), ("comment", 1)]
    assert report.awaiting_review == 2
    # Flagged: the online text and the pending paper draft; "Không có tiêu cực" is praise.
    flags = {f["field"]: f for f in report.flags}
    assert set(flags) == {"H3", "H4"}
    assert flags["H3"]["terms"] == ["nhũng nhiễu"] and "0912" not in flags["H3"]["text"]
    assert "[SĐT đã ẩn]" in flags["H3"]["text"]
    assert flags["H4"]["state"] == "draft" and report.crops[flags["H4"]["crop_comment"]].startswith(b"\x89PNG")


def test_units_merged_on_1_july_2025_roll_up(dataset):
    with open_store(dataset) as store:
        separate = build(store, "2025-Q3")
        rolled = build(store, "2025-Q3", roll_up=True)
        one = build(store, "2025-Q3", unit="30001", roll_up=True)
    assert dict(zip(separate.channels["unit"], separate.channels["total"])) == {"29872": 1, "30001": 3, "30002": 1}
    assert dict(zip(rolled.channels["unit"], rolled.channels["total"])) == {"30001": 4, "30002": 1}
    units = rolled.units.set_index("unit")
    # 30001 with Phường 1: B1 5,4,3 -> 66.67; B2 4,2 -> 50; D1 3,5 -> 50; overall (58.33 + 50) / 2.
    assert units.loc["30001", "index"] == pytest.approx(((200 / 3 + 50) / 2 + 50) / 2)
    assert units.loc["30001", "name"] == "Phường Cao Lãnh"
    # One or four responses: below the ranking minimum (#17), listed best first but not ranked.
    assert list(rolled.units["unit"]) == ["30002", "30001"] and rolled.units["rank"].isna().all()
    assert one.n_responses == 4 and one.scope.startswith("Phường Cao Lãnh")
    assert _question(one, "B1").n_valid == 3


class _Terminal(io.StringIO):
    """stdin of a person at a terminal, typing ``answer``."""

    def isatty(self):
        return True


def test_closing_with_items_to_review_warns_and_needs_consent(dataset, monkeypatch, capsys):
    def closed():
        return closed_by(dataset)

    # A script (stdin not a terminal): refused with the count, nothing stored.
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["period", "close", "2025-Q3", "--db", dataset]) == 2
    err = capsys.readouterr().err
    assert "còn 2 mục chưa kiểm tra (1 câu cần xem lại ô đánh dấu, 1 ý kiến viết tay)" in err and "--force" in err
    assert len(err.strip().splitlines()) == 1 and closed() is None
    # A person at a terminal who answers no (or just presses Enter): not closed.
    monkeypatch.setattr(sys, "stdin", _Terminal("\n"))
    assert main(["period", "close", "2025-Q3", "--db", dataset]) == 0
    out = capsys.readouterr().out
    assert "còn 2 mục chưa kiểm tra" in out and "[c/K]" in out and "Chưa chốt số liệu." in out
    assert closed() is None
    # ... who answers yes: closed, and reminded of what was left out.
    monkeypatch.setattr(sys, "stdin", _Terminal("c\n"))
    assert main(["period", "close", "2025-Q3", "--db", dataset, "--by", "truongphong"]) == 0
    assert "đã chốt khi còn 2 mục chưa kiểm tra" in capsys.readouterr().out
    assert closed() == "truongphong"


def test_closing_with_force_does_not_ask(dataset, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", _Terminal(""))  # would answer no if asked
    assert main(["period", "close", "2025-Q3", "--force", "--by", "x", "--db", dataset]) == 0
    assert "[c/K]" not in capsys.readouterr().out and closed_by(dataset) == "x"
    # A period with nothing left to review closes without a question.
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["period", "close", "2024-Q3", "--by", "y", "--db", dataset]) == 0


def closed_by(url):
    with open_store(url) as store:
        report = build(store, "2025-Q3")
    return report.closed["closed_by"] if report.closed else None


def test_closing_freezes_figures_and_later_changes_become_revisions(dataset, tmp_path):
    with open_store(dataset) as store:
        close_period(store, "2025-Q3", who="truongphong", unreviewed_ok=True)
        before = build(store, "2025-Q3")
        assert before.closed["closed_by"] == "truongphong" and before.revisions == []
        # After closing: a reviewer settles D1 of sheet 5, and a late online response dated in Q3 arrives.
        rid = store.writing(lambda conn: conn.execute(
            sa.select(responses.c.id).where(responses.c.serial == 5)).scalar())
        store.set_answer(rid, "D1", "4", "kiemtra")
        store.writing(lambda conn: _online(conn, "30002", datetime(2025, 8, 1, 3, 0, tzinfo=UTC),
                                           {"B1": "2", "H1": "2"}))
        closed = build(store, "2025-Q3")
        # The closed report keeps its frozen figures ...
        assert closed.n_responses == 5 and _question(closed, "D1").n_valid == 3
        assert _question(closed, "D1").pct == pytest.approx(200 / 3)
        # ... and shows the revision, recorded once.
        assert len(closed.revisions) == 1
        revision = closed.revisions[0]
        assert revision["responses_added"] == 1 and revision["edits"] == 1
        assert revision["edit_rows"][0]["who"] == "kiemtra"
        again = build(store, "2025-Q3")
        assert len(again.revisions) == 1
        # The next period's report shows it too, and compares with the frozen figures.
        following = build(store, "2025-Q4")
        assert following.previous_source == "frozen" and len(following.revisions) == 1
        assert following.overall_prev == pytest.approx(closed.overall)
        assert main(["period", "close", "2025-Q3", "--db", dataset]) == 2  # closing twice is refused
    out = write_report(closed, tmp_path / "closed.xlsx")
    sheet = openpyxl.load_workbook(out)["Điều chỉnh"]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "kiemtra" in cells and "Quý III năm 2025 (2025-Q3)" in cells


def test_writers_lay_out_the_figures_and_neutralise_formulas(dataset, tmp_path):
    with open_store(dataset) as store:
        report = build(store, "2025-Q3")
    xlsx = write_report(report, tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["Tổng hợp", "Câu hỏi", "Thái độ công chức", "Ý kiến cần chú ý", "Đơn vị", "Điều chỉnh"]
    summary = [c for row in book["Tổng hợp"].iter_rows(values_only=True) for c in row if c is not None]
    assert any(isinstance(c, str) and c.startswith("CÒN 2 MỤC CHƯA KIỂM TRA") for c in summary)
    assert book["Tổng hợp"]._charts and book["Câu hỏi"]._charts
    header = [c.value for c in book["Câu hỏi"][1]]
    questions = {r[1]: r for r in book["Câu hỏi"].iter_rows(min_row=2, values_only=True) if r[1]}
    assert questions["B1"][header.index("% hài lòng")] == pytest.approx(75.0)
    assert questions["B1"][header.index("n hợp lệ")] == 4
    texts = [r[7] for r in book["Ý kiến cần chú ý"].iter_rows(min_row=4) if r[7].value]
    # The respondent's text exactly (no apostrophe Excel would show), in a string cell: shown, never run.
    injected = [c for c in texts if c.value.startswith("=HYPERLINK")]
    assert injected and all(c.data_type == "s" for c in injected)
    assert not any(c.value.startswith("'") for c in texts)
    days = [r[4] for r in book["Ý kiến cần chú ý"].iter_rows(min_row=4) if r[4].value]
    assert days and all(isinstance(c.value, datetime) and c.number_format == "dd/mm/yyyy" for c in days)
    with zipfile.ZipFile(xlsx) as package:
        assert not any("<f>" in package.read(name).decode("utf-8") for name in package.namelist()
                       if name.startswith("xl/worksheets/"))
    assert book["Ý kiến cần chú ý"]._images  # the paper comment's crop

    from docx import Document

    docx_path = write_report(report, tmp_path / "r.docx")
    document = Document(docx_path)
    body = "\n".join(p.text for p in document.paragraphs)
    assert "CÒN 2 MỤC CHƯA KIỂM TRA" in body and "Quý III năm 2025" in body
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "75,00%" in cells and "64,58%" in cells
    assert len(document.inline_shapes) >= 3  # charts and the crop

    html_path = write_report(report, tmp_path / "r.html")
    page = html_path.read_text(encoding="utf-8")
    assert page.count("<svg") >= 2 and "data:image/png;base64," in page and "<script" not in page
    assert "75,00%" in page and "&lt;" not in page.split("<body>")[0]
    assert "=HYPERLINK(&quot;http://x&quot;)" in page  # escaped in HTML


def test_a_flagged_comment_holding_a_phone_number_is_reported_without_its_picture(dataset, tmp_path):
    """The report masked «0912 345 678» in the text and then showed the handwriting beside it, number and
    all: a comment whose draft or reviewed text had a number masked is shown with a note, no picture."""
    from docx import Document

    from omr.text.privacy import CROP_WITHHELD_NOTE

    def work(conn):
        _comment(conn, 5, "H3", status="pending", draft="Cán bộ hách dịch, gọi tôi 0912 345 678", crop=PNG)
        # The reviewer took the number out of the text; the picture still shows it.
        _comment(conn, 8, "H3", status="reviewed", draft="Cán bộ nhũng nhiễu, SĐT 0987654321",
                 text="Cán bộ nhũng nhiễu", crop=PNG)

    with open_store(dataset) as store:
        store.writing(work)
        report = build(store, "2025-Q3")
    paper = {(f["serial"], f["field"]): f for f in report.flags if f["channel"] == "paper"}
    assert set(paper) == {(2, "H4"), (5, "H3"), (8, "H3")}
    assert [(k, f["crop_withheld"]) for k, f in sorted(paper.items())] == [
        ((2, "H4"), False), ((5, "H3"), True), ((8, "H3"), True)]
    assert list(report.crops) == [paper[(2, "H4")]["crop_comment"]]
    assert "0912" not in paper[(5, "H3")]["text"] and "[SĐT đã ẩn]" in paper[(5, "H3")]["text"]

    page = write_report(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 1 and page.count(CROP_WITHHELD_NOTE) == 2
    document = Document(write_report(report, tmp_path / "r.docx"))
    lines = [p.text for p in document.paragraphs if p.text.startswith("Ảnh ô ý kiến – ý kiến số")]
    assert len(lines) == 3 and sum(line.endswith(f": {CROP_WITHHELD_NOTE}.") for line in lines) == 2, lines
    sheet = openpyxl.load_workbook(write_report(report, tmp_path / "r.xlsx"))["Ý kiến cần chú ý"]
    notes = [c.value for c in sheet["J"] if c.value == CROP_WITHHELD_NOTE]
    assert len(notes) == 2 and len(sheet._images) == 1


def test_cli_report_and_bad_input(dataset, tmp_path, capsys):
    out = tmp_path / "bao-cao.html"
    assert main(["report", "--period", "2025-Q3", "--all-units", "--roll-up", "--db", dataset, "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Quý III năm 2025" in printed and "còn 2 mục chưa kiểm tra" in printed and out.exists()
    assert main(["report", "--period", "2025-Q5", "--db", dataset, "-o", str(out)]) == 2
    assert main(["report", "--period", "2025-Q3", "--db", dataset, "-o", str(tmp_path / "r.pdf")]) == 2
    assert main(["report", "--period", "2025-Q3", "--unit", "99999", "--db", dataset, "-o", str(out)]) == 2
    assert "Lỗi:" in capsys.readouterr().err


def test_docx_renders_through_libreoffice(dataset, tmp_path):
    with open_store(dataset) as store:
        path = write_report(build(store, "2025-Q3"), tmp_path / "r.docx")
    # A profile of its own: another test may run LibreOffice at the same time (pytest-xdist).
    subprocess.run(["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    # LibreOffice (standing in for Word) lays it out with its Vietnamese text intact.
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "MỨC ĐỘ HÀI LÒNG" in text.upper() and "Quý III năm 2025" in text
    # No empty page (the trial's report had one after the signature: the section break's paragraph). A page
    # holding only a chart has no text for pdftotext but is not empty: its picture counts.
    pages = text.rstrip("\f").split("\f")
    pictured = _pages_with_pictures(tmp_path / "r.pdf")
    assert all(page.strip() or i + 1 in pictured for i, page in enumerate(pages)), \
        [i + 1 for i, page in enumerate(pages) if not page.strip() and i + 1 not in pictured]
    # No section title ends a page alone, its table on the next (fresh-user trial: «3. Thái độ…» at the foot
    # of the annex's page 6, under the chart, its table on page 7).
    last_lines = [[line.strip() for line in page.splitlines() if line.strip()][-1:] for page in pages]
    alone = [(i + 1, last) for i, last in enumerate(last_lines) if last and SECTION_TITLE.match(last[0])]
    assert not alone, alone


SECTION_TITLE = re.compile(r"^\d+\. \w")  # «3. Thái độ, tác phong công chức» (table rows: «1  Phường…», «H2. …»)


def _pages_with_pictures(pdf: Path) -> set[int]:
    """1-based numbers of the pages of ``pdf`` that draw a picture (pdfimages -list)."""
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    return {int(line.split()[0]) for line in listing.splitlines()[2:] if line.split()}


def test_annex_titles_and_notes_are_kept_with_the_table_under_them(dataset, tmp_path):
    """Each numbered annex title, and any note between it and its table, is «keep with next»: a title never
    ends a page alone in Word or LibreOffice, whatever the lengths of the tables before it."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    with open_store(dataset) as store:
        path = write_report(build(store, "2025-Q3"), tmp_path / "r.docx")
    document = Document(str(path))
    body = list(document.element.body.iterchildren())
    titles = [i for i, e in enumerate(body) if e.tag == qn("w:p") and SECTION_TITLE.match("".join(e.itertext()))]
    assert len(titles) == 7, ["".join(body[i].itertext()) for i in titles]
    tabled = 0
    for i in titles:
        assert Paragraph(body[i], document).paragraph_format.keep_with_next, "".join(body[i].itertext())
        j = i  # the title and the notes under it, up to what they introduce (a table, a chart, the next title)
        while body[j].tag == qn("w:p") and not body[j].findall(".//" + qn("w:drawing")) and \
                (j == i or not SECTION_TITLE.match("".join(body[j].itertext()))):
            j += 1
        if body[j].tag == qn("w:tbl"):
            tabled += 1
            for k in range(i, j):
                assert Paragraph(body[k], document).paragraph_format.keep_with_next, "".join(body[k].itertext())
    assert tabled >= 5  # sections 1, 2, 3, 4 (two flags), 5, 6 have a table; 7 has none in this dataset


def test_the_section_break_after_the_signature_cannot_push_an_empty_page(dataset, tmp_path):
    """python-docx ends the portrait part with an empty paragraph after the signature table; at a 12 pt
    line it overflowed a full page 1 and LibreOffice showed an empty page 2 (fresh-user trial). It is
    1 pt high with no spacing."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    with open_store(dataset) as store:
        path = write_report(build(store, "2025-Q3"), tmp_path / "r.docx")
    body = Document(str(path)).element.body
    breaks = [p for p in body.iterchildren(qn("w:p")) if p.pPr is not None and p.pPr.find(qn("w:sectPr")) is not None]
    assert len(breaks) == 1 and not "".join(breaks[0].itertext()).strip()
    spacing = breaks[0].pPr.find(qn("w:spacing"))
    assert spacing is not None and int(spacing.get(qn("w:line"))) <= Pt(1).twips
    assert spacing.get(qn("w:lineRule")) == "exact"
    assert int(spacing.get(qn("w:after"), "0")) == 0 and int(spacing.get(qn("w:before"), "0")) == 0


def test_the_signature_block_is_never_split_across_pages(dataset, tmp_path):
    """LibreOffice split the signature table's row: «Nơi nhận» and «TM. ỦY BAN NHÂN DÂN» ended page 1,
    «CHỦ TỊCH (Ký, ghi rõ họ tên…)» stood alone on page 2 (a fresh user's trial). The row cannot split
    and each line of it keeps with the next."""
    from docx import Document
    from docx.oxml.ns import qn

    with open_store(dataset) as store:
        path = write_report(build(store, "2025-Q3"), tmp_path / "r.docx")
    sign = next(t for t in Document(str(path)).tables if "Nơi nhận:" in t.rows[0].cells[0].text)
    row = sign.rows[0]
    assert row._tr.trPr is not None and row._tr.trPr.find(qn("w:cantSplit")) is not None
    assert "CHỦ TỊCH" in row.cells[1].text
    for cell in row.cells:
        assert all(p.paragraph_format.keep_with_next for p in cell.paragraphs[:-1]), cell.text


def test_cache_refresh_matches_a_rebuild_after_edits(dataset):
    from omr.reports import cache as report_cache
    from omr.reports.figures import _layout

    with open_store(dataset) as store:
        layout = _layout(store, "form_templates")
        assert report_cache.refresh(store, layout).full
        rid = store.writing(lambda conn: conn.execute(
            sa.select(responses.c.id).where(responses.c.serial == 5)).scalar())
        store.set_answer(rid, "B1", "KYK", "kiemtra")  # a review edit
        store.ensure_batch("Đợt tháng 7", "2025-07-01", "2025-07-31")  # corrected collection dates
        store.writing(lambda conn: _online(conn, "30001", datetime(2025, 8, 2, tzinfo=UTC), {"H1": "5"}))
        stats = report_cache.refresh(store, layout)
        assert not stats.full and stats.responses == 3
        patched, patched_codes = report_cache.load(store, layout)
        store.writing(lambda conn: conn.execute(sa.text("DELETE FROM report_state")))
        assert report_cache.refresh(store, layout).full
        rebuilt, rebuilt_codes = report_cache.load(store, layout)
    assert patched.equals(rebuilt) and (patched_codes == rebuilt_codes).all()
    row = patched.set_index("response_id").loc[rid]
    assert chr(patched_codes[patched["response_id"].tolist().index(rid), layout.questions.index("B1")]) == "K"
    assert row["pending"] == 1  # D1 still awaits review
    assert str(patched.set_index("response_id")["batch_to"].dropna().iloc[0])[:10] == "2025-07-31"


def test_a_sheet_missing_a_page_is_stated_and_not_counted_as_blanks(store, repo_root, monkeypatch, tmp_path):
    """Issue #14: sheet 2 lost its page 2 (H1 is there): H1 has no blank; the report says 1 sheet is incomplete."""
    monkeypatch.chdir(repo_root)
    batch = store.ensure_batch("Đợt quý III")
    record(store, batch, page_result(1, 1, {"A1": "2025-08-01", "B1": "5"}, path="s1.pdf"), 2)
    record(store, batch, page_result(1, 2, {"H1": "4"}, path="s1.pdf", index=1), 2)
    record(store, batch, page_result(2, 1, {"A1": "2025-08-02", "B1": "4"}, path="s2.pdf"), 2)
    report = build(store, "2025-Q3")
    h1 = _question(report, "H1")
    assert (h1.blank, h1.n_valid, h1.n4) == (0, 1, 1)  # the missing page is no blank answer
    assert _question(report, "B1").n_valid == 2
    assert report.review["incomplete"] == 1 and report.review["incomplete_pages"] == {2: 1}
    # Every row adds up to «Số phiếu»: the sheet without its page 2 is counted apart, never as a blank.
    assert (_question(report, "H1").absent, _question(report, "B1").absent) == (1, 0)
    assert report.yesno.set_index("question").loc["H2"].absent == 2  # no sheet answered H2 at all
    for suffix in ("html", "xlsx", "docx"):
        out = write_report(report, tmp_path / f"report.{suffix}")
        if suffix == "html":
            text = out.read_text(encoding="utf-8")
        elif suffix == "xlsx":
            book = openpyxl.load_workbook(out)
            sheet = book["Câu hỏi"]
            header = [c.value for c in sheet[1]]
            h1 = next(row for row in sheet.iter_rows(values_only=True) if row[1] == "H1")
            assert h1[header.index("Không có câu trả lời")] == 1 and h1[header.index("Bỏ trống")] == 0
            text = " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value)
        else:
            import docx

            document = docx.Document(str(out))
            text = " ".join(p.text for p in document.paragraphs)
            text += " ".join(c.text for t in document.tables for row in t.rows for c in row.cells)
        assert "Có 1 phiếu giấy thiếu trang (1 phiếu thiếu trang 2)" in text, suffix
        assert "Không có câu trả lời" in text and "Mỗi dòng cộng lại bằng «Số phiếu»" in text, suffix


def test_a_double_mark_a_reviewer_finds_invalid_is_left_out_of_n_valid_and_counted_apart(dataset, tmp_path):
    """D1 of sheet 5 (awaiting review) really has two boxes ticked: the reviewer records "Không hợp
    lệ (đánh nhiều ô)". It is no valid answer (n_valid stays 3, 66.67 %), not a blank either, and
    every writer counts it in its own column."""
    from omr.model import INVALID_MULTIPLE

    with open_store(dataset) as store:
        response_id = next(r["id"] for r in store.responses() if r["serial"] == 5)
        store.set_answer(response_id, "D1", None, "lan", INVALID_MULTIPLE, reason="hai ô 3 và 5")
        report = build(store, "2025-Q3")
    d1 = _question(report, "D1")
    assert (d1.n_valid, d1.blank, d1.invalid, d1.pending) == (3, 0, 1, 0)
    assert d1.pct == pytest.approx(200 / 3)
    assert report.review["answers"] == 0
    xlsx = write_report(report, tmp_path / "r.xlsx")
    sheet = openpyxl.load_workbook(xlsx)["Câu hỏi"]
    rows = list(sheet.iter_rows(values_only=True))
    header, d1_row = rows[0], next(r for r in rows if r[1] == "D1")
    assert d1_row[header.index("Không hợp lệ (nhiều ô)")] == 1 and d1_row[header.index("Bỏ trống")] == 0
    assert d1_row[header.index("n hợp lệ")] == 3
    html = write_report(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Không hợp lệ (nhiều ô)" in html and "câu đánh nhiều ô (không hợp lệ)" in html


def test_the_overall_index_row_names_the_groups_it_averages_and_h1_stands_beside(dataset, tmp_path):
    """An official who averages the group rows above "CHỈ SỐ HÀI LÒNG CHUNG" gets its number: the row
    names the groups it averages (B and D here: the others have no valid answer), H is not one of the
    rows above it, and H1 comes after it as the question shown beside, in every format."""
    from docx import Document

    with open_store(dataset) as store:
        report = build(store, "2025-Q3")
    label = "CHỈ SỐ HÀI LÒNG CHUNG = trung bình chỉ số 2 nhóm B, D"
    sheet = openpyxl.load_workbook(write_report(report, tmp_path / "r.xlsx"))["Tổng hợp"]
    rows = [r for r in sheet.iter_rows(values_only=True) if any(c is not None for c in r)]
    at = next(i for i, r in enumerate(rows) if r[1] == label)
    top = next(i for i, r in enumerate(rows) if r[:2] == ("Nhóm", "Nội dung"))
    above = rows[top + 1:at]
    assert [r[0] for r in above] == ["B", "C", "D", "E", "F", "G"]  # the factor groups, H not among them
    values = [r[2] for r in above if isinstance(r[2], (int, float))]
    assert sum(values) / len(values) == pytest.approx(rows[at][2]) == pytest.approx(report.overall)
    assert rows[at + 1][0] == "H1" and rows[at + 1][1].startswith("Đối chiếu – câu H1 (câu hỏi hài lòng chung, "
                                                                   "trình bày bên cạnh, không tính vào trung bình)")
    note = ("Chỉ số hài lòng chung là trung bình cộng chỉ số của 2 nhóm tiêu chí B, D (chỉ số mỗi nhóm là trung "
            "bình % hài lòng các câu của nhóm). Nhóm C, E, F, G chưa có câu trả lời hợp lệ nên không tính. Câu H1 "
            "là câu hỏi riêng về mức độ hài lòng chung")
    assert rows[at + 2][1].startswith(note)
    document = Document(write_report(report, tmp_path / "r.docx"))
    group_table = next(t for t in document.tables if t.rows[0].cells[0].text == "Nhóm"
                       and t.rows[0].cells[1].text == "Nội dung")
    firsts = [row.cells[0].text for row in group_table.rows[1:]]
    labels = [row.cells[1].text for row in group_table.rows[1:]]
    assert firsts == ["B", "C", "D", "E", "F", "G", "", "H1"] and labels[6] == label
    assert any(p.text.startswith(note) for p in document.paragraphs)
    page = write_report(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert label in page and "Đối chiếu – câu H1" in page and note in page
    assert page.index(label) < page.index("Đối chiếu – câu H1")


def test_a_possible_rescan_is_not_counted_and_the_report_says_so(store, repo_root, monkeypatch, tmp_path):
    """#16: a sheet of a form without serials that looks like another scan of a stored sheet is left out of
    the figures until a person decides, and the report states how many such sheets wait; once a person
    keeps both (two respondents), both count."""
    from db_fixtures import with_ink

    from omr.data import completeness

    monkeypatch.chdir(repo_root)
    batch = store.ensure_batch("Đợt quý III", "2025-07-01", "2025-09-30")
    record(store, batch, with_ink(page_result(1, 1, {"A1": "2025-08-01", "B1": "5"}, path="s1.pdf"), seed=3), 1)
    record(store, batch, with_ink(page_result(2, 1, {"A1": "2025-08-01", "B1": "5"}, path="s1-again.pdf"), seed=3,
                                  rescan=1), 1)
    report = build(store, "2025-Q3")
    assert _question(report, "B1").n_valid == 1 and report.review["possible_duplicates"] == 1
    out = write_report(report, tmp_path / "report.html")
    assert "Có 1 phiếu giấy có thể là bản quét lại của phiếu đã có" in out.read_text(encoding="utf-8")
    later = next(r["id"] for r in store.responses() if r["serial"] == 2)
    completeness.resolve_duplicate(store, later, "lan", completeness.KEEP_BOTH)
    report = build(store, "2025-Q3")
    assert _question(report, "B1").n_valid == 2 and report.review["possible_duplicates"] == 0


def test_an_undecided_serial_conflict_counts_no_copy_and_the_report_says_so(store, repo_root, monkeypatch, tmp_path):
    """A second sheet scanned with serial 1 but other marks: until a reviewer decides which is the
    respondent's, neither copy is in «Số phiếu» or an indicator (the red box says unchecked items are not
    counted), and every format says how many sheets wait. The report run before the second scan built the
    cache: the first copy must leave it all the same. Once a person keeps one, it counts once."""
    from omr.data import completeness

    monkeypatch.chdir(repo_root)
    batch = store.ensure_batch("Đợt quý III", "2025-07-01", "2025-09-30")
    record(store, batch, page_result(1, 1, {"A1": "2025-08-01", "B1": "5"}, path="s1.pdf"), 1)
    record(store, batch, page_result(2, 1, {"A1": "2025-08-02", "B1": "4"}, path="s2.pdf"), 1)
    assert build(store, "2025-Q3").n_responses == 2
    record(store, batch, page_result(1, 1, {"A1": "2025-08-01", "B1": "1"}, path="s1-other.pdf"), 1)
    report = build(store, "2025-Q3")
    assert report.n_responses == 1 and _question(report, "B1").n_valid == 1
    assert report.review["conflicts"] == 2
    for suffix in ("html", "xlsx", "docx"):
        out = write_report(report, tmp_path / f"report.{suffix}")
        if suffix == "html":
            text = out.read_text(encoding="utf-8")
        elif suffix == "xlsx":
            book = openpyxl.load_workbook(out)
            text = " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value)
        else:
            import docx

            text = " ".join(p.text for p in docx.Document(str(out)).paragraphs)
        assert "Có 2 tờ phiếu giấy trùng số phiếu nhưng khác nội dung" in text, suffix
    first = min(r["id"] for r in store.responses() if r["serial"] == 1)
    completeness.resolve_conflict(store, first, "lan", completeness.KEEP_ONE, keep_id=first)
    report = build(store, "2025-Q3")
    assert report.n_responses == 2 and report.review["conflicts"] == 0
    assert _question(report, "B1").n5 == 1 and _question(report, "B1").n1 == 0
