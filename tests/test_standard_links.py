"""An office's own Word form counts in the report once its questions are linked to the standard survey's.

A user made a form in Word (☐ boxes, a 4-row satisfaction table, a yes/no question), made its template
from the blank, scanned a filled copy and ran the quarterly report: the sheet counted in "Số phiếu"
but none of its answers reached an indicator. Here the same kind of form is generated, converted by
LibreOffice, filled, photocopied and scanned with ``omr scan``; the report must say the sheet counts
in no indicator, then, with the questions linked (omr.forms.links, the template's ``standard``
section), count its answers under the standard questions, with no rescan.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from blank_sources import libreoffice_to_pdf, render_pdf
from office_fill import fill, template_boxes
from web_helpers import logged_in

from omr.cli import main
from omr.data import users
from omr.data.store import open_store
from omr.errors import TemplateError
from omr.forms.links import check_link, proposed_codes
from omr.forms.template import load_template
from omr.reports.figures import build, write_report
from omr.reports.render import review_line
from omr.web import create_app

BOX = "☐"
TABLE_ROWS = ["Câu 4. Công chức hướng dẫn rõ ràng, tận tình", "Câu 5. Không phải nộp giấy tờ ngoài quy định",
              "Câu 6. Kết quả đúng quy định, đầy đủ", "Câu 7. Mức độ hài lòng chung"]
# What the respondent crossed (the form's own codes) and where the link counts it.
CROSSED = {"Q1": "2", "Q4": "5", "Q5": "4", "Q6": "2", "Q7": "5", "Q8": "2"}
LINKS = {"Q4": ("D3", None), "Q5": ("C2", None), "Q6": ("E2", None), "Q7": ("H1", None),
         "Q8": ("H2", {"1": "N", "2": "Y"})}


def _word_form(path: Path) -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(18)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "DejaVu Sans", Pt(11)

    def choice(question: str, options: list[str]) -> None:
        paragraph = doc.add_paragraph()
        paragraph.add_run(question + "  ")
        for option in options:
            paragraph.add_run(BOX).font.size = Pt(18)
            paragraph.add_run(" " + option + "    ")

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run("PHIẾU LẤY Ý KIẾN NGƯỜI DÂN VỀ BỘ PHẬN MỘT CỬA").font.size = Pt(14)
    choice("Câu 1. Giới tính:", ["Nam", "Nữ"])
    choice("Câu 2. Độ tuổi:", ["Dưới 30", "30 – 45", "46 – 60", "Trên 60"])
    choice("Câu 3. Hình thức nộp hồ sơ:", ["Trực tiếp", "Trực tuyến", "Bưu chính"])
    doc.add_paragraph("Câu 4–7. Mức độ hài lòng của Ông/Bà:")
    table = doc.add_table(rows=5, cols=6)
    table.style = "Table Grid"
    for i, heading in enumerate(["Nội dung", "Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng",
                                 "Rất hài lòng"]):
        table.cell(0, i).text = heading
    for j, text in enumerate(TABLE_ROWS, start=1):
        table.cell(j, 0).text = text
        for i in range(1, 6):
            paragraph = table.cell(j, i).paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run(BOX).font.size = Pt(18)
    choice("Câu 8. Ông/Bà có bị yêu cầu trả thêm tiền ngoài phí, lệ phí không?", ["Không", "Có"])
    doc.save(path)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """(templates folder with motcua-2026 and the office form, its YAML, a database with one scanned sheet)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (libreoffice-writer-nogui) is needed to make the Word blank"
    work = tmp_path_factory.mktemp("office-form")
    source = work / "phieu-xa.docx"
    _word_form(source)
    libreoffice_to_pdf(soffice, [source], work)
    repo_root = Path(__file__).resolve().parent.parent
    templates = work / "form_templates"
    shutil.copytree(repo_root / "form_templates", templates)
    assert main(["template", "from-blank", str(work / "phieu-xa.pdf"), "-o", str(templates / "phieu-xa.yaml")]) == 0
    yaml_path = templates / "phieu-xa.yaml"

    grey, ppm = render_pdf(work / "phieu-xa.pdf", 200)[0]
    filled, truth, _ = fill(grey, ppm, template_boxes(yaml_path), 1, seed=7,
                            answers={**{q: None for q in ("Q2", "Q3")}, **CROSSED})
    assert {q: truth[q] for q in CROSSED} == CROSSED
    scans = work / "scans"
    scans.mkdir()
    cv2.imwrite(str(scans / "phieu-1.png"), filled)
    db = f"sqlite:///{work / 'omr.sqlite'}"
    assert main(["scan", str(scans), "--db", db, "--templates", str(templates), "--batch", "Quý IV",
                 "--collected-from", "2025-09-15", "--collected-to", "2025-12-14", "--workers", "1"]) == 0
    return templates, yaml_path, db


def _link_section(template) -> str:
    lines = ["standard:", '  form: "motcua-2026"', "  questions:"]
    standard = load_template(Path(template).parent / "motcua-2026.yaml")
    own = load_template(template)
    for qid, (target, codes) in LINKS.items():
        options = [(o.code, o.label) for o in own.question(qid).options]
        codes = codes or proposed_codes(options, standard.question(target))
        assert proposed_codes(options, standard.question(target)) == codes  # what the editor proposes
        assert check_link(qid, [c for c, _ in options], {"question": target, "codes": codes}, standard) == []
        pairs = ", ".join(f'"{k}": "{v}"' for k, v in codes.items())
        lines.append(f'    "{qid}": {{question: "{target}", codes: {{{pairs}}}}}')
    return "\n".join(lines) + "\n"


def test_unlinked_office_form_is_counted_in_sheets_only_then_linked_answers_count(office, tmp_path):
    templates, yaml_path, db = office
    before = load_template(yaml_path)
    with open_store(db) as store:
        report = build(store, "2025-Q4", templates=templates)
    assert report.n_responses == 1
    assert report.uncounted_forms == [{"form": "phieu-xa", "version": 1, "title": before.title, "sheets": 1}]
    assert "1 phiếu của mẫu" in review_line(report) and "không vào chỉ số nào" in review_line(report)
    assert report.questions["n_valid"].sum() == 0

    original = yaml_path.read_text(encoding="utf-8")
    try:
        yaml_path.write_text(original + _link_section(yaml_path), encoding="utf-8")
        after = load_template(yaml_path)
        assert after.content_hash == before.content_hash  # no new version: pages already read stay its pages
        with open_store(db) as store:
            report = build(store, "2025-Q4", templates=templates)
        table = report.questions.set_index("question")
        assert table.loc["D3", "n5"] == 1 and table.loc["C2", "n4"] == 1 and table.loc["E2", "n2"] == 1
        assert table.loc["H1", "n5"] == 1
        assert table["n_valid"].sum() == 4  # nothing else counted: unlinked Q1 (Nữ) is in no indicator
        yesno = report.yesno.set_index("question")
        assert yesno.loc["H2", "yes"] == 1 and yesno.loc["H2", "no"] == 0  # "Có" is the form's 2nd box
        assert report.uncounted_forms == []
        assert "không vào chỉ số nào" not in review_line(report)
        out = write_report(report, tmp_path / "bao-cao.html")
        assert "Công chức hướng dẫn một lần, rõ ràng, tận tình" in out.read_text(encoding="utf-8")
    finally:
        yaml_path.write_text(original, encoding="utf-8")


def test_the_serial_omr_assigned_is_shown_as_such_in_the_export(office, tmp_path):
    """The sheet's "Số phiếu" is a number derived from its image: the export says omr assigned it."""
    import json

    from omr.forms.pinned import ASSIGNED_SERIAL_PREFIX

    templates, _, db = office
    out = tmp_path / "xuat.jsonl"
    assert main(["export", "--format", "jsonl", "-o", str(out), "--db", db, "--templates", str(templates)]) == 0
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["serial"].startswith(ASSIGNED_SERIAL_PREFIX) and row["serial"][len(ASSIGNED_SERIAL_PREFIX):].isdigit()
    with open_store(db) as store:
        (response,) = list(store.responses())
        users.add_user(store, "lan", "mat-khau-lan-1", "reviewer")
    assert response["serial_assigned"] and row["serial"] == f"{ASSIGNED_SERIAL_PREFIX}{response['serial']}"
    # The review app's sheet page says the number is omr's, not one to look for on the paper.
    app = create_app(db, uploads_dir=tmp_path / "uploads", template_dir=templates, start_jobs=False)
    try:
        page = logged_in(app, "lan", "mat-khau-lan-1").get(f"/responses/{response['id']}").get_data(as_text=True)
    finally:
        app.extensions["omr_jobs"].stop()
        app.extensions["omr_store"].close()
    assert f"Phiếu số {row['serial']} (số do omr tự đặt vì phiếu không in số, không ghi trên tờ phiếu)" in page


def test_a_link_that_does_not_fit_is_refused(tmp_path):
    standard = load_template(Path(__file__).resolve().parent.parent / "form_templates" / "motcua-2026.yaml")
    scale = standard.question("D3")
    four = [("1", "Kém"), ("2", "Trung bình"), ("3", "Khá"), ("4", "Tốt")]
    assert proposed_codes(four, scale) is None  # 4 boxes onto 5 levels: the admin chooses
    assert check_link("Q4", ["1", "2", "3", "4"], {"question": "D3", "codes": {"1": "1", "2": "2"}}, standard)
    assert check_link("Q4", ["1", "2"], {"question": "D3", "codes": {"1": "5", "2": "5"}}, standard)
    assert check_link("Q4", ["1", "2"], {"question": "A1", "codes": {"1": "1", "2": "2"}}, standard)
    path = tmp_path / "x.yaml"
    path.write_text(
        'form: "x"\nversion: 1\ntitle: "X"\ngroups:\n  - id: P1\n    title: "Trang 1"\n    questions:\n'
        '      - {id: Q1, text: "Hài lòng?", type: single,\n'
        '         options: [{code: "1", label: Có}, {code: "2", label: Không}]}\n'
        'standard:\n  form: "motcua-2026"\n  questions:\n    "Q1": {question: "H2", codes: {"1": "Y", "9": "N"}}\n',
        encoding="utf-8")
    with pytest.raises(TemplateError, match="mã «9» không phải lựa chọn của câu Q1"):
        load_template(path)


def test_a_template_linking_two_questions_to_one_standard_question_is_refused_with_its_line(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(
        'form: "x"\nversion: 1\ntitle: "X"\ngroups:\n  - id: P1\n    title: "Trang 1"\n    questions:\n'
        '      - {id: Q1, text: "Hài lòng?", type: single,\n'
        '         options: [{code: "1", label: Có}, {code: "2", label: Không}]}\n'
        '      - {id: Q2, text: "Có phải trả thêm?", type: single,\n'
        '         options: [{code: "1", label: Có}, {code: "2", label: Không}]}\n'
        'standard:\n  form: "motcua-2026"\n  questions:\n'
        '    "Q1": {question: "H2", codes: {"1": "Y", "2": "N"}}\n'
        '    "Q2": {question: "H2", codes: {"1": "Y", "2": "N"}}\n',
        encoding="utf-8")
    with pytest.raises(TemplateError, match="Câu «Q1» và câu «Q2» cùng gắn với câu H2 của phiếu chuẩn") as caught:
        load_template(path)
    assert ", dòng 1" in str(caught.value), str(caught.value)


def test_a_stored_sheet_answering_one_report_question_twice_is_not_counted_by_row_order(store):
    """Data written before two links to one standard question were refused: the two answers differ,
    so neither is counted as a valid answer (the cache must not keep whichever row came last)."""
    import json
    from datetime import UTC, datetime

    from omr.data.schema import answers, responses
    from omr.reports.cache import CODE_OTHER, CacheLayout, compute_rows

    def work(conn):
        ids = []
        for q1, q3 in (("1", "2"), ("2", "1"), ("1", "1")):
            rid = conn.execute(responses.insert().values(
                form_id="x", version=1, serial=None, unit="30001", flags="", created_at=datetime.now(UTC),
                channel="online", source="t", submitted_at=datetime.now(UTC))).inserted_primary_key[0]
            conn.execute(answers.insert(), [
                {"response_id": rid, "question": q, "value": json.dumps(v), "status": "ok", "confidence": 1.0,
                 "source_page_id": None, "set_by": "import", "updated_at": datetime.now(UTC)}
                for q, v in (("Q1", q1), ("Q3", q3))])
            ids.append(rid)
        return ids

    ids = store.writing(work)
    codes = (("1", "Y"), ("2", "N"))
    layout = CacheLayout(("H2",), (), (), (("x", 1, "Q1", "H2", codes), ("x", 1, "Q3", "H2", codes)))
    with store.reading() as conn:
        rows = compute_rows(conn, layout, ids).to_pydict()
    assert [c[0] for c in rows["codes"]] == [CODE_OTHER, CODE_OTHER, ord("Y")]
