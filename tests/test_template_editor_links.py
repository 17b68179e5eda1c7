"""The template editor's links to the standard survey, its placeholder names and its try-on messages.

Through Flask's test client, on the drawn blank of tests/test_template_editor.py (its fixtures):
- each question can be linked to a question of the standard survey (the list shown in the editor,
  with its scale), the codes checked, and the link written in the template's ``standard`` section;
- a name still holding the editor's placeholder ("Ý kiến (đặt tên)") is refused on saving;
- a page of omr's own form tried on an office template is said to be that form's page.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from db_fixtures import BOTH_BACKENDS, SQLITE_ONLY
from test_template_editor import (  # noqa: F401  (fixtures)
    _token,
    app,
    drafted,
    drawn_draft,
    edit_of,
    open_editor,
    save,
)

from omr.forms.template import load_template

# The editor's store is plumbing (users, audit) but for the report through links, on PostgreSQL too.
pytestmark = [pytest.mark.usefixtures("quick_hashes"), SQLITE_ONLY]


def test_the_editor_lists_the_standard_questions_with_their_scale(drafted):
    _, state, _ = drafted
    standard = state["standard"]
    assert standard["form"] == "motcua-2026"
    by_id = {q["id"]: q for q in standard["questions"]}
    assert by_id["D3"]["text"] == "Công chức hướng dẫn một lần, rõ ràng, tận tình"
    assert by_id["D3"]["scale"] == "thang 1–5"
    assert [c["code"] for c in by_id["D3"]["codes"]] == ["1", "2", "3", "4", "5", "KYK"]
    assert [c["label"] for c in by_id["H2"]["codes"]] == ["Có", "Không"]
    assert "A1" not in by_id and "H4" not in by_id  # a date or a comment is no indicator


def test_a_linked_question_is_saved_in_the_template_and_reopened(app, drafted):
    client, state, csrf = drafted
    payload = edit_of(state)
    q3 = next(q for q in payload["questions"] if q["id"] == "Q3")  # "Có hài lòng không?": Có, Không
    q3["link"] = {"question": "H2", "codes": {"1": "Y", "2": "N"}}
    response = save(client, state, csrf, payload)
    assert response.status_code == 200, response.get_json()
    path = Path(app.config["TEMPLATE_DIR"]) / "phieu-xa-dong-hoa.yaml"
    template = load_template(path)
    assert template.extra["standard"] == {"form": "motcua-2026",
                                          "questions": {"Q3": {"question": "H2", "codes": {"1": "Y", "2": "N"}}}}
    assert "standard:" in path.read_text(encoding="utf-8")
    # Opened again from the list: the link is there to see and change.
    again = client.post(f"/admin/templates/{template.form_id}/edit",
                        data={"csrf_token": _token(client, "/admin/templates")})
    reopened, _ = open_editor(client, again.headers["Location"])
    assert next(q for q in reopened["questions"] if q["id"] == "Q3")["link"]["question"] == "H2"


def test_links_that_do_not_fit_are_refused_with_the_reason(drafted):
    client, state, csrf = drafted
    cases = [
        ("Q2", {"question": "D3", "codes": {"1": "1", "2": "2"}}, "lựa chọn mã 3 chưa có mã tương ứng của câu D3"),
        ("Q3", {"question": "H2", "codes": {"1": "Y", "2": "Y"}}, "hai lựa chọn cùng gắn một mã của câu H2"),
        ("Q3", {"question": "H2", "codes": {"1": "Y", "2": "5"}}, "«5» không phải mã của câu H2"),
        ("Q3", {"question": "A1", "codes": {"1": "1", "2": "2"}}, "câu A1 của phiếu chuẩn không được tính"),
        ("Q3", {"question": "ZZ", "codes": {"1": "1", "2": "2"}}, "câu «ZZ» không có trong phiếu chuẩn"),
    ]
    for qid, link, problem in cases:
        payload = edit_of(state)
        next(q for q in payload["questions"] if q["id"] == qid)["link"] = link
        response = save(client, state, csrf, payload)
        assert response.status_code == 400
        assert any(problem in p for p in response.get_json()["problems"]), (problem, response.get_json())


def test_a_placeholder_name_is_refused_before_it_becomes_an_export_header(drafted):
    client, state, csrf = drafted
    payload = edit_of(state)
    payload["questions"].append({"id": "Y1", "text": "Ý kiến (đặt tên)", "type": "text", "page": 1,
                                 "frame": {"x": 20, "y": 200, "w": 150, "h": 40}})
    response = save(client, state, csrf, payload)
    assert response.status_code == 400
    assert any("hãy đặt tên câu hỏi thay cho «Ý kiến (đặt tên)»" in p for p in response.get_json()["problems"])
    payload["questions"][-1]["text"] = "Ý kiến khác"
    assert save(client, state, csrf, payload).status_code == 200


def test_a_page_of_omr_own_form_tried_on_an_office_template_is_named(app, drafted, default_layout, tmp_path):
    from omr.forms.simulate import simulate_batch

    client, state, csrf = drafted
    assert save(client, state, csrf, edit_of(state)).status_code == 200
    template, layout = default_layout
    pdf = tmp_path / "motcua.pdf"
    simulate_batch(template, layout, pdf, tmp_path / "truth.jsonl", count=1, seed=3, profile="clean")
    url = "/admin/templates/phieu-xa-dong-hoa/try"
    response = client.post(url, content_type="multipart/form-data",
                           data={"csrf_token": _token(client, url), "scan": (io.BytesIO(pdf.read_bytes()), "mc.pdf")})
    html = response.get_data(as_text=True)
    assert "không có trong hệ thống" not in html
    assert (f"Tệp «mc.pdf», trang 1: đây là trang 1 của một mẫu phiếu khác, mẫu omr in «{template.title}» "
            "(motcua-2026) phiên bản 1") in html
    assert "không phải của mẫu «phieu-xa-dong-hoa» đang thử" in html


def test_the_similarity_is_explained_only_when_a_read_needs_a_look():
    from omr.web.template_drafts import _try_detail

    detail = ("khớp ảnh mẫu phieu-xa v1 trang 1 (độ tương đồng 0,31, thấp: ảnh khác nhiều so với ảnh mẫu); "
              "độ chắc chắn của lần đọc: thấp nhất 100% (câu Q1)")
    sure = _try_detail(detail, needs_look=False)
    assert sure.startswith("Trang này khớp trang 1 của mẫu phiếu.") and "0,31" not in sure
    assert "mẫu phiếu. Độ chắc chắn của lần đọc" in sure, sure  # a new sentence starts with a capital
    doubtful = _try_detail(detail, needs_look=True)
    assert "Ảnh trang chỉ giống phiếu trắng ở mức 0,31 (thang 0–1" in doubtful
    assert "dấu tích, chữ viết" in doubtful


def test_the_save_message_counts_the_questions_no_indicator_counts(drafted):
    """Saved with one question linked: the message names the one-answer questions left unlinked and says
    the period report will not count them (it said nothing, and the report then left them out silently)."""
    client, state, csrf = drafted
    payload = edit_of(state)
    next(q for q in payload["questions"] if q["id"] == "Q3")["link"] = {"question": "H2", "codes": {"1": "Y", "2": "N"}}
    unlinked = [q["id"] for q in payload["questions"] if q["type"] == "single" and q["id"] != "Q3"]
    assert unlinked  # the drawn blank has other one-answer questions
    response = save(client, state, csrf, payload)
    assert response.status_code == 200, response.get_json()
    message = response.get_json()["message"]
    assert (f"{len(unlinked)} câu một lựa chọn không được tính vào chỉ số nào ({', '.join(unlinked)}): chưa gắn "
            "với câu nào của phiếu khảo sát chuẩn (chọn ở «Tính vào chỉ số»); báo cáo theo kỳ sẽ không tính các "
            "câu này.") in message
    assert "Q3" not in message.split("chỉ số nào", 1)[1]


def test_the_unlinked_note_lists_a_few_and_counts_the_rest_or_says_nothing_when_all_count():
    from omr import tuning as T
    from omr.web.template_drafts import Saved

    many = tuple(f"Q{n}" for n in range(1, T.EDITOR_UNLINKED_LISTED + 4))
    saved = Saved("f", 1, Path("f.yaml"), None, None, len(many), 50, 0, unlinked=many, standard=False)
    note = saved.unlinked_note()
    assert note.startswith(f"{len(many)} câu một lựa chọn không được tính vào chỉ số nào (Q1, Q2, ")
    assert f"Q{T.EDITOR_UNLINKED_LISTED} và 3 câu khác): thư mục mẫu phiếu chưa có phiếu khảo sát chuẩn" in note
    assert Saved("f", 1, Path("f.yaml"), None, None, 2, 10, 0).unlinked_note() == ""


def _online_sheet(store_url, form, values, when="2025-08-01T09:00:00+07:00"):
    """One online response of ``form`` v1 with these answers (the form's own ids and codes)."""
    import json
    from datetime import UTC, datetime

    from omr.data.schema import answers, responses
    from omr.data.store import open_store

    with open_store(store_url) as store:
        def work(conn):
            rid = conn.execute(responses.insert().values(
                form_id=form, version=1, serial=None, unit="30001", flags="", created_at=datetime.now(UTC),
                channel="online", source="test", submitted_at=datetime.fromisoformat(when))).inserted_primary_key[0]
            conn.execute(answers.insert(), [
                {"response_id": rid, "question": q, "value": json.dumps(v), "status": "ok", "confidence": 1.0,
                 "source_page_id": None, "set_by": "import", "updated_at": datetime.now(UTC)}
                for q, v in values.items()])
        store.writing(work)


def _report(app, store_url):
    from omr.data.store import open_store
    from omr.reports.figures import build

    with open_store(store_url) as store:
        return build(store, "2025-Q3", templates=app.config["TEMPLATE_DIR"])


@BOTH_BACKENDS
def test_an_office_question_named_like_a_standard_one_counts_only_through_a_link(app, drafted, store_url):
    """An office form's question called "H1" is not the standard H1: unlinked, its answers count nowhere."""
    client, state, csrf = drafted
    payload = edit_of(state)
    q2 = next(q for q in payload["questions"] if q["id"] == "Q2")  # Trẻ, Trung niên, Cao tuổi
    q2["id"] = "H1"
    response = save(client, state, csrf, payload)
    assert response.status_code == 200, response.get_json()
    assert ("Lưu ý: Câu «H1» trùng mã với câu H1 của phiếu chuẩn nhưng không gắn với câu đó: câu trả lời của nó "
            "không được tính vào chỉ số H1") in response.get_json()["message"]
    _online_sheet(store_url, "motcua-2026", {"H1": "5"})
    _online_sheet(store_url, "phieu-xa-dong-hoa", {"H1": "1", "Q3": "1"})
    report = _report(app, store_url)
    h1 = report.questions.set_index("question").loc["H1"]
    assert h1["text"] == "Mức độ hài lòng chung của Ông/Bà đối với Bộ phận Một cửa"
    assert (h1["n_valid"], h1["n5"], h1["n1"]) == (1, 1, 0)  # only the standard form's answer
    assert [f["form"] for f in report.uncounted_forms] == ["phieu-xa-dong-hoa"]


def test_two_questions_linked_to_one_standard_question_are_refused(drafted):
    client, state, csrf = drafted
    payload = edit_of(state)
    for qid in ("Q1", "Q3"):  # two options each
        next(q for q in payload["questions"] if q["id"] == qid)["link"] = {"question": "H2",
                                                                           "codes": {"1": "Y", "2": "N"}}
    response = save(client, state, csrf, payload)
    assert response.status_code == 400
    assert any("Câu «Q1» và câu «Q3» cùng gắn với câu H2 của phiếu chuẩn" in p
               for p in response.get_json()["problems"]), response.get_json()
