"""Renaming a question in the template editor carries the labels and the page join that name it (#16).

A label (``labels``: an export column joined from several questions, OMRChecker's roll number) lost its
column silently when one of its questions was renamed in the editor, and a template whose ``join`` named
a renamed question could not be saved at all. The browser sends each question's id in the draft as
``was``; an edit kept from an older page without it is matched by its boxes.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from test_template_editor import _token, app, edit_of, login, open_editor, save  # noqa: F401 (app: fixture)

from omr.forms.template import load_template


def _two_page_form(folder: Path, join: dict | None) -> None:
    """A two-page pinned form: page 1 a roll number of two digit questions joined by the label «Roll», page 2
    one question; pages joined by the number on each page when ``join`` says so."""
    from omr.template_from.blank import write_pinned_template

    assets = folder / "ghep-trang"
    assets.mkdir(parents=True)
    for number in (1, 2):
        page = np.full((600, 400), 255, np.uint8)
        for x, y in ((20, 30), (30, 30), (20, 40), (30, 40)):
            cv2.rectangle(page, (x * 4, y * 4), ((x + 5) * 4, (y + 5) * 4), 0, 2)
        cv2.imwrite(str(assets / f"page-{number}.png"), page)
    common = {"width": 100.0, "height": 150.0, "frames": {}}
    pages = [{**common, "reference": "ghep-trang/page-1.png",
              "boxes": {1: (20, 30, 5, 5), 2: (30, 30, 5, 5), 3: (20, 40, 5, 5), 4: (30, 40, 5, 5)}},
             {**common, "reference": "ghep-trang/page-2.png",
              "boxes": {5: (20, 30, 5, 5), 6: (30, 30, 5, 5), 7: (20, 40, 5, 5), 8: (30, 40, 5, 5)}}]
    groups = [{"id": "P1", "title": "Trang 1", "questions": [
                  {"id": "roll1", "text": "Số phiếu, chữ số 1", "type": "single", "options": [("0", "0", 1), ("1", "1", 2)]},
                  {"id": "roll2", "text": "Số phiếu, chữ số 2", "type": "single", "options": [("0", "0", 3), ("1", "1", 4)]}]},
              {"id": "P2", "title": "Trang 2", "questions": [
                  {"id": "q1", "text": "Câu 1", "type": "single", "options": [("1", "Có", 5), ("2", "Không", 6)]},
                  {"id": "q2", "text": "Câu 2", "type": "single", "options": [("1", "Có", 7), ("2", "Không", 8)]}]}]
    write_pinned_template(folder / "ghep-trang.yaml", "ghep-trang", "Phiếu hai trang", pages, groups,
                          labels={"Roll": ["roll1", "roll2"]}, join=join)


def _opened(app):  # noqa: F811 (the fixture's name)
    client = login(app, "quan")
    opened = client.post("/admin/templates/ghep-trang/edit", data={"csrf_token": _token(client, "/admin/templates")})
    assert opened.status_code == 303, opened.get_data(as_text=True)
    state, csrf = open_editor(client, opened.headers["Location"])
    payload = edit_of(state)
    for q in payload["questions"]:
        q["was"] = q["id"]  # as the browser sends it (template-editor.js)
    return client, state, csrf, payload


def test_renamed_questions_carry_their_label_and_the_page_join(app):  # noqa: F811
    folder = Path(app.config["TEMPLATE_DIR"])
    _two_page_form(folder, {"mode": "serial_field", "fields": ["Roll", "q2"]})
    client, state, csrf, payload = _opened(app)
    by_id = {q["id"]: q for q in payload["questions"]}
    by_id["roll2"]["id"] = "SO_2"
    by_id["q2"]["id"] = "SO_PHIEU_T2"
    response = save(client, state, csrf, payload)
    assert response.status_code == 200, response.get_json()
    template = load_template(folder / "ghep-trang.yaml")
    assert template.extra["labels"] == {"Roll": ("roll1", "SO_2")}
    assert template.extra["join"] == {"mode": "serial_field", "fields": ["Roll", "SO_PHIEU_T2"]}

    # An edit kept from an older page (no ``was``): the renamed question is known by its boxes.
    client, state, csrf, payload = _opened(app)
    for q in payload["questions"]:
        del q["was"]
    by_id = {q["id"]: q for q in payload["questions"]}
    by_id["roll1"]["id"] = "SO_1"
    response = save(client, state, csrf, payload)
    assert response.status_code == 200, response.get_json()
    assert load_template(folder / "ghep-trang.yaml").extra["labels"] == {"Roll": ("SO_1", "SO_2")}


def test_a_join_naming_a_removed_question_says_what_to_fix_and_a_dropped_label_is_told(app):  # noqa: F811
    folder = Path(app.config["TEMPLATE_DIR"])
    _two_page_form(folder, {"mode": "serial_field", "fields": ["Roll", "q2"]})
    client, state, csrf, payload = _opened(app)
    payload["questions"] = [q for q in payload["questions"] if q["id"] != "q2"]
    response = save(client, state, csrf, payload)
    assert response.status_code == 400
    problems = " ".join(response.get_json()["problems"])
    assert "Cách ghép trang theo số phiếu ghi trên từng trang (join: serial_field) cần câu «q2», mà bản sửa đã xoá" in problems
    assert "sửa mục join" in problems

    # Without a join, removing a digit of the roll number drops its label, and the save says so.
    text = (folder / "ghep-trang.yaml").read_text(encoding="utf-8")
    (folder / "ghep-trang.yaml").write_text(text.replace('join: {serial_field: ["Roll", "q2"]}\n', ""),
                                            encoding="utf-8")
    client, state, csrf, payload = _opened(app)
    payload["questions"] = [q for q in payload["questions"] if q["id"] != "roll2"]
    response = save(client, state, csrf, payload)
    assert response.status_code == 200, response.get_json()
    message = response.get_json()["message"]
    assert "nhãn «Roll» (ghép các câu roll1, roll2 thành một cột khi xuất) đã bỏ vì câu roll2" in message
    assert not load_template(folder / "ghep-trang.yaml").extra.get("labels")


def test_an_imported_templates_groups_are_kept_through_an_edit(app):  # noqa: F811
    """OMRChecker's field blocks become groups on import («Roll», «MCQ»); saving an edit kept them as one
    group per page («Trang 1»). They stay, renamed questions in theirs and a new question in the group of
    the question before it."""
    from omr.template_from.blank import write_pinned_template

    folder = Path(app.config["TEMPLATE_DIR"])
    assets = folder / "nhom"
    assets.mkdir(parents=True)
    page = np.full((600, 400), 255, np.uint8)
    cv2.imwrite(str(assets / "page-1.png"), page)
    rects = {n: (20 + 10 * ((n - 1) % 2), 20 + 10 * ((n - 1) // 2), 5, 5) for n in range(1, 9)}
    pages = [{"reference": "nhom/page-1.png", "width": 100.0, "height": 150.0, "frames": {}, "boxes": rects,
              "shape": "round"}]
    groups = [{"id": "Roll", "title": "Roll", "questions": [
                  {"id": "roll1", "text": "roll1", "type": "single", "options": [("0", "0", 1), ("1", "1", 2)]},
                  {"id": "roll2", "text": "roll2", "type": "single", "options": [("0", "0", 3), ("1", "1", 4)]}]},
              {"id": "MCQ_Block_Q1", "title": "MCQ_Block_Q1", "questions": [
                  {"id": "q1", "text": "q1", "type": "single", "options": [("A", "A", 5), ("B", "B", 6)]},
                  {"id": "q2", "text": "q2", "type": "single", "options": [("A", "A", 7), ("B", "B", 8)]}]}]
    write_pinned_template(folder / "nhom.yaml", "nhom", "Phiếu nhập từ OMRChecker: nhóm", pages, groups,
                          marks="fill", labels={"Roll": ["roll1", "roll2"]})
    client = login(app, "quan")
    opened = client.post("/admin/templates/nhom/edit", data={"csrf_token": _token(client, "/admin/templates")})
    state, csrf = open_editor(client, opened.headers["Location"])
    payload = edit_of(state)
    for q in payload["questions"]:
        q["was"] = q["id"]
    payload["questions"][2]["id"] = "CAU_1"
    payload["questions"].append({"id": "Q3", "text": "Câu 3", "type": "single", "page": 1, "options": [
        {"code": "A", "label": "A", "x": 20, "y": 70, "w": 5, "h": 5},
        {"code": "B", "label": "B", "x": 30, "y": 70, "w": 5, "h": 5}]})
    response = save(client, state, csrf, payload)
    assert response.status_code == 200, response.get_json()
    template = load_template(folder / "nhom.yaml")
    assert [(g.id, g.title, [q.id for q in g.questions]) for g in template.groups] == [
        ("Roll", "Roll", ["roll1", "roll2"]), ("MCQ_Block_Q1", "MCQ_Block_Q1", ["CAU_1", "q2", "Q3"])]
    assert template.extra["labels"] == {"Roll": ("roll1", "roll2")}
