"""Where the boxes go: the layout is the contract between printed paper and the reader."""

from __future__ import annotations

import json
import shutil
from itertools import combinations

import pytest

from omr import tuning as T
from omr.cli import main
from omr.errors import TemplateChangedError, TemplateError
from omr.forms.layout import compute_layout, layout_from_dict, layout_to_dict, load_layouts, resolve_layout
from omr.forms.template import box_codes, load_template, parse_template

FORM_FILE = "motcua-2026.yaml"
FROZEN_V1 = "motcua-2026-v1.json"


def dense_template_text() -> str:
    """Long wrapped options, a scale table crossing page breaks, date, yes/no and text."""
    lines = ["form: thu-day-dac", "version: 1", "title: Phiếu thử bố cục dày đặc", "max_pages: 4", "groups:",
             "  - id: A", "    title: A. Câu hỏi nhiều lựa chọn dài", "    questions:"]
    for i in range(1, 9):
        lines += [f"      - id: A{i}",
                  f"        text: Câu hỏi số {i} có nội dung khá dài để phải xuống dòng khi in trên giấy A4 dọc",
                  f"        type: {'multiple' if i % 2 else 'single'}", "        options:"]
        lines += [f'          - {{code: "{j}", label: Lựa chọn thứ {j} của câu {i} với nhãn dài}}' for j in range(1, 8)]
    lines += ["  - id: B", "    title: B. Bảng thang điểm dài qua trang", "    questions:"]
    lines += [f'      - {{id: B{i}, type: scale, no_opinion: {str(i % 3 > 0).lower()}, '
              f'text: "Tiêu chí số {i} về chất lượng phục vụ của cán bộ tại quầy tiếp nhận hồ sơ"}}'
              for i in range(1, 31)]
    lines += ["      - {id: B31, type: yesno, no_opinion: true, text: 'Ông/Bà có quay lại không?'}",
              "      - {id: B32, type: date, years: [2024, 2025, 2026, 2027], text: Ngày nhận kết quả}",
              "      - {id: B33, type: text, lines: 5, text: Góp ý khác}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def default_template(default_template_path):
    return load_template(default_template_path)


@pytest.fixture(scope="module", params=["default", "dense"])
def template_and_layout(request, default_template):
    if request.param == "default":
        template = default_template
    else:
        template = parse_template(dense_template_text(), "thu-day-dac.yaml")
    return template, compute_layout(template)


def gap(a, b) -> float:
    """Clearance between two rectangles (0 when they touch or overlap)."""
    dx = max(b.x - (a.x + a.w), a.x - (b.x + b.w), 0.0)
    dy = max(b.y - (a.y + a.h), a.y - (b.y + b.h), 0.0)
    return max(dx, dy)


def overlaps(a, b) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


# --- geometry ----------------------------------------------------------------

def test_default_form_is_two_pages_with_180_boxes(default_template):
    layout = compute_layout(default_template)
    assert [p.number for p in layout.pages] == [1, 2]
    assert sum(len(p.checkboxes) for p in layout.pages) == 180


def test_dense_form_flows_over_several_pages():
    layout = compute_layout(parse_template(dense_template_text(), "thu-day-dac.yaml"))
    assert len(layout.pages) >= 3
    # The scale table is split across pages, not pushed wholesale to a new one.
    scale_pages = {p.number for p in layout.pages for c in p.checkboxes if c.question.startswith("B")}
    assert len(scale_pages) >= 2


def test_every_answer_has_exactly_one_box(template_and_layout):
    template, layout = template_and_layout
    placed = [(c.question, c.option) for p in layout.pages for c in p.checkboxes]
    assert len(placed) == len(set(placed))
    expected = {(q.id, code) for q in template.questions for code in box_codes(q)}
    assert set(placed) == expected
    regions = [r.field for p in layout.pages for r in p.text_regions]
    assert sorted(regions) == sorted(q.id for q in template.questions if q.type == "text")


def test_a_question_never_splits_across_pages(template_and_layout):
    _, layout = template_and_layout
    page_of: dict[str, set[int]] = {}
    for page in layout.pages:
        for c in page.checkboxes:
            page_of.setdefault(c.question, set()).add(page.number)
    assert {q: pages for q, pages in page_of.items() if len(pages) > 1} == {}


def test_every_checkbox_is_big_enough_for_a_pen_mark(template_and_layout):
    _, layout = template_and_layout
    small = [c for p in layout.pages for c in p.checkboxes if c.w < 4.5 or c.h < 4.5]
    assert small == []


def test_no_two_checkboxes_overlap(template_and_layout):
    _, layout = template_and_layout
    for page in layout.pages:
        for a, b in combinations(page.checkboxes, 2):
            # At least 1 mm apart, so a slightly shifted scan never reads one box's ink for another.
            assert gap(a, b) >= 1.0, (page.number, a, b)


def test_checkboxes_and_text_regions_stay_in_the_content_area(template_and_layout):
    _, layout = template_and_layout
    for page in layout.pages:
        assert (page.width, page.height) == (210.0, 297.0)
        for item in [*page.checkboxes, *page.text_regions]:
            assert T.CONTENT_LEFT <= item.x and item.x + item.w <= T.CONTENT_RIGHT, (page.number, item)
            assert T.CONTENT_TOP_FOLLOWING_PAGES <= item.y and item.y + item.h <= T.CONTENT_BOTTOM, (page.number, item)
        for region in page.text_regions:
            assert not any(overlaps(region, c) for c in page.checkboxes), region


def test_checkboxes_keep_clear_of_fiducials_and_qr(template_and_layout):
    _, layout = template_and_layout
    for page in layout.pages:
        assert len(page.fiducials) == 4
        marks = [*page.fiducials, page.qr]
        for item in [*page.checkboxes, *page.text_regions]:
            for mark in marks:
                assert gap(item, mark) >= 3.0, (page.number, item, mark)


def test_fiducials_are_in_the_four_corners(template_and_layout):
    _, layout = template_and_layout
    for page in layout.pages:
        tl, tr, bl, br = page.fiducials
        assert tl.x == bl.x < 20 and tr.x == br.x > page.width - 20
        assert tl.y == tr.y < 20 and bl.y == br.y > page.height - 20
        for f in page.fiducials:
            assert 0 < f.x and f.x + f.w < page.width and 0 < f.y and f.y + f.h < page.height
        assert not any(overlaps(page.qr, f) for f in page.fiducials)


# --- determinism and the JSON contract ---------------------------------------

def test_layout_is_deterministic(default_template_path):
    first = layout_to_dict(compute_layout(load_template(default_template_path)))
    second = layout_to_dict(compute_layout(load_template(default_template_path)))
    assert first == second
    assert json.dumps(first, ensure_ascii=False) == json.dumps(second, ensure_ascii=False)


def test_json_round_trip(template_and_layout):
    _, layout = template_and_layout
    as_dict = layout_to_dict(layout)
    assert layout_to_dict(layout_from_dict(as_dict)) == as_dict
    through_text = json.loads(json.dumps(as_dict, ensure_ascii=False))
    assert layout_to_dict(layout_from_dict(through_text)) == as_dict


def test_layout_from_dict_rejects_other_formats(default_template):
    data = layout_to_dict(compute_layout(default_template))
    data["schema"] = "omr-layout/99"
    with pytest.raises(TemplateError) as info:
        layout_from_dict(data)
    assert "omr-layout/1" in info.value.message


# --- frozen layouts per template version ---------------------------------------

@pytest.fixture
def lone_template(tmp_path, default_template_path):
    """The default template alone in a folder, never frozen yet."""
    path = tmp_path / FORM_FILE
    shutil.copy(default_template_path, path)
    return path


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"test setup: {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_first_resolve_freezes_the_layout(lone_template):
    frozen = lone_template.parent / "layouts" / FROZEN_V1
    assert not frozen.exists()
    layout = resolve_layout(load_template(lone_template))
    assert frozen.is_file()
    assert json.loads(frozen.read_text(encoding="utf-8")) == layout_to_dict(layout)
    before = frozen.read_bytes()
    assert layout_to_dict(resolve_layout(load_template(lone_template))) == layout_to_dict(layout)
    assert frozen.read_bytes() == before


def test_frozen_layout_wins_over_recomputing(lone_template):
    # Sheets already printed must be read with the geometry they were printed
    # with, even if a font update would now place the boxes differently.
    resolve_layout(load_template(lone_template))
    frozen = lone_template.parent / "layouts" / FROZEN_V1
    data = json.loads(frozen.read_text(encoding="utf-8"))
    data["pages"][0]["checkboxes"][0]["x"] += 1.0
    frozen.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    layout = resolve_layout(load_template(lone_template))
    assert layout.pages[0].checkboxes[0].x == data["pages"][0]["checkboxes"][0]["x"]


def test_comment_only_edit_keeps_the_frozen_layout(lone_template):
    layout = resolve_layout(load_template(lone_template))
    text = lone_template.read_text(encoding="utf-8")
    lone_template.write_text("# Ghi chú: bản in tháng 3\n" + text, encoding="utf-8")
    assert layout_to_dict(resolve_layout(load_template(lone_template))) == layout_to_dict(layout)


def test_changed_text_without_new_version_is_refused(lone_template):
    resolve_layout(load_template(lone_template))
    frozen = lone_template.parent / "layouts" / FROZEN_V1
    before = frozen.read_bytes()
    edit(lone_template, "Nơi ngồi chờ đủ chỗ, thoáng mát", "Nơi ngồi chờ rộng rãi, thoáng mát")
    with pytest.raises(TemplateChangedError) as info:
        resolve_layout(load_template(lone_template))
    message = info.value.message
    assert FORM_FILE in message
    assert "tăng version" in message
    assert frozen.read_bytes() == before


def test_new_version_gets_its_own_frozen_layout(lone_template):
    resolve_layout(load_template(lone_template))
    layouts = lone_template.parent / "layouts"
    v1 = (layouts / FROZEN_V1).read_bytes()
    edit(lone_template, "Nơi ngồi chờ đủ chỗ, thoáng mát", "Nơi ngồi chờ rộng rãi, thoáng mát")
    edit(lone_template, "version: 1\n", "version: 2\n")
    layout = resolve_layout(load_template(lone_template))
    assert layout.version == 2
    assert (layouts / "motcua-2026-v2.json").is_file()
    assert (layouts / FROZEN_V1).read_bytes() == v1
    texts = [d.text for p in layout.pages for d in p.decor]
    assert any("rộng rãi" in t for t in texts)
    # Both versions stay readable: sheets of v1 are still in circulation.
    assert set(load_layouts(lone_template.parent)) == {("motcua-2026", 1), ("motcua-2026", 2)}


# --- `omr forms layout` ----------------------------------------------------------

def test_cli_layout_writes_the_json_contract(form_templates_copy, tmp_path, capsys):
    frozen = form_templates_copy / "layouts" / FROZEN_V1
    frozen_before = frozen.read_bytes()
    out = tmp_path / "ra" / "layout.json"
    out.parent.mkdir()  # -o names a file in a folder that exists (a missing one: exit 2, tests/test_output_folders.py)
    assert main(["forms", "layout", str(form_templates_copy / FORM_FILE), "-o", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema"] == "omr-layout/1"
    assert data["units"] == "mm"
    assert data["form"] == "motcua-2026" and data["version"] == 1
    assert len(data["pages"]) == 2
    for number, page in enumerate(data["pages"], start=1):
        assert page["page"] == number
        assert page["width"] == 210 and page["height"] == 297
        assert [f["corner"] for f in page["fiducials"]] == ["top-left", "top-right", "bottom-left", "bottom-right"]
        for mark in [*page["fiducials"], page["qr"]]:
            assert all(isinstance(mark[k], (int, float)) for k in ("x", "y", "w", "h"))
        assert page["checkboxes"]
        for box in page["checkboxes"]:
            assert isinstance(box["question"], str) and isinstance(box["option"], str)
            assert all(isinstance(box[k], (int, float)) for k in ("x", "y", "w", "h"))
        for region in page["text_regions"]:
            assert isinstance(region["field"], str)
            assert all(isinstance(region[k], (int, float)) for k in ("x", "y", "w", "h"))
    assert sum(len(p["checkboxes"]) for p in data["pages"]) == 180
    assert [r["field"] for p in data["pages"] for r in p["text_regions"]] == ["H3", "H4"]
    # The command reports the frozen layout, and does not touch it.
    assert data == json.loads(frozen_before.decode("utf-8"))
    assert frozen.read_bytes() == frozen_before
    assert "180 ô" in capsys.readouterr().out
