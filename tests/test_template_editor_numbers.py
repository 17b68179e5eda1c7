"""Numbers marked one digit per column in the template editor (#16): shown, renamed, made, dropped.

A template's ``labels`` (a date's day = its tens and units questions, a roll number) were carried through a
save but the editor did not show them: an admin could neither see which questions make a number nor name
it (the export's column), nor join digit columns that ``from-blank`` missed. The browser now gets them as
``numbers`` and posts them back with the edit; the server checks them as a YAML's ``labels`` are checked.
"""

from __future__ import annotations

from pathlib import Path

from test_template_editor import app, save  # noqa: F401 (app: fixture)
from test_template_editor_renames import _opened, _two_page_form

from omr.forms.template import load_template


def test_the_editor_shows_a_templates_numbers_and_a_rename_is_saved_with_the_page_join(app):  # noqa: F811
    folder = Path(app.config["TEMPLATE_DIR"])
    _two_page_form(folder, {"mode": "serial_field", "fields": ["Roll", "q2"]})
    client, state, csrf, payload = _opened(app)
    assert state["numbers"] == [{"name": "Roll", "parts": ["roll1", "roll2"]}]
    payload["numbers"] = [{"name": "So_phieu", "was": "Roll", "parts": ["roll1", "roll2"]}]
    response = save(client, state, csrf, payload)
    assert response.status_code == 200, response.get_json()
    template = load_template(folder / "ghep-trang.yaml")
    assert template.extra["labels"] == {"So_phieu": ("roll1", "roll2")}
    assert template.extra["join"] == {"mode": "serial_field", "fields": ["So_phieu", "q2"]}


def test_a_number_made_in_the_editor_is_saved_and_one_dropped_is_told(app):  # noqa: F811
    folder = Path(app.config["TEMPLATE_DIR"])
    _two_page_form(folder, None)
    client, state, csrf, payload = _opened(app)
    payload["numbers"] = [{"name": "Roll", "was": "Roll", "parts": ["roll1", "roll2"]},
                          {"name": "Hai_cau", "was": None, "parts": ["q1", "q2"]}]
    response = save(client, state, csrf, payload)
    assert response.status_code == 200, response.get_json()
    assert load_template(folder / "ghep-trang.yaml").extra["labels"] == {"Roll": ("roll1", "roll2"),
                                                                         "Hai_cau": ("q1", "q2")}

    client, state, csrf, payload = _opened(app)
    assert [n["name"] for n in state["numbers"]] == ["Roll", "Hai_cau"]
    payload["numbers"] = [{"name": "Roll", "was": "Roll", "parts": ["roll1", "roll2"]}]
    response = save(client, state, csrf, payload)
    assert response.status_code == 200, response.get_json()
    assert "số «Hai_cau» (ghép các câu q1, q2 thành một cột khi xuất) đã bỏ trong bản sửa" in \
        response.get_json()["message"]
    assert load_template(folder / "ghep-trang.yaml").extra["labels"] == {"Roll": ("roll1", "roll2")}


def test_a_number_the_template_could_not_hold_is_refused_with_what_to_fix(app):  # noqa: F811
    folder = Path(app.config["TEMPLATE_DIR"])
    _two_page_form(folder, None)
    client, state, csrf, payload = _opened(app)
    before = (folder / "ghep-trang.yaml").read_text(encoding="utf-8")
    for numbers, wanted in (
            ([{"name": "1so", "parts": ["roll1", "roll2"]}], "Số «1so»: tên phải bắt đầu bằng chữ cái"),
            ([{"name": "q1", "parts": ["roll1", "roll2"]}], "Số «q1»: trùng tên một câu hỏi"),
            ([{"name": "So", "parts": ["roll1"]}], "Số «So»: cần ít nhất hai câu"),
            ([{"name": "So", "parts": ["roll1", "khong_co"]}], "Số «So»: khong_co không phải câu chọn ô"),
            ([{"name": "A", "parts": ["roll1", "roll2"]}, {"name": "B", "parts": ["roll2", "q1"]}],
             "Số «B»: câu roll2 đã thuộc số «A»"),
            ("Roll", "Danh sách số ghép từ nhiều cột không hợp lệ")):
        payload["numbers"] = numbers
        response = save(client, state, csrf, payload)
        assert response.status_code == 400, numbers
        assert any(p.startswith(wanted) for p in response.get_json()["problems"]), response.get_json()
    assert (folder / "ghep-trang.yaml").read_text(encoding="utf-8") == before
