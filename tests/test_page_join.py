"""Pages of a multi-page form without omr's serials join into one response; joined labels on export (#16, item 5).

The store-level tests feed read pages as the batch hands them over (in batch
order); tests/test_page_join_scans.py reads filled scans of a two-page office
form through ``run_scan``.
"""

from __future__ import annotations

import csv
import hashlib

import pytest
from db_fixtures import file_sha, page_result, set_aside_result

from omr.data.schema import ALREADY, NEW
from omr.errors import TemplateError
from omr.forms.pinned import joined_value, serial_of_value
from omr.forms.template import parse_template
from omr.model import AMBIGUOUS, BLANK, COVER_SHEET, MISSING_PAGE, MULTIPLE, OK, PAGE_ORDER, PART_REVIEW
from omr.reports.dataset import collect
from omr.reports.export import export_responses

FORM = "phieu-ngoai"


def _template_text(pages: int = 2, join: str | None = None, labels: str | None = None) -> str:
    """A pinned template: page n has question Q<n> (digits 0-9) and R<n> (digits 0-9)."""
    lines = [f"form: {FORM}", "version: 1", "title: Phiếu thiết kế ở nơi khác", f"max_pages: {pages}"]
    if join:
        lines.append(f"join: {join}")
    if labels:
        lines.append(f"labels: {labels}")
    lines += ["pinned:", "  marks: fill", "  pages:"]
    box = 0
    numbers = {}
    for n in range(1, pages + 1):
        boxes = {}
        for qid in (f"Q{n}", f"R{n}"):
            numbers[qid] = []
            for d in range(10):
                box += 1
                boxes[box] = [10.0 + 6 * d, 20.0 + (10 if qid.startswith("R") else 0), 5.0, 5.0]
                numbers[qid].append(box)
        lines += [f"    - page: {n}", f"      reference: p/page-{n}.png", "      width: 210", "      height: 297",
                  "      boxes: {" + ", ".join(f"{k}: {v}" for k, v in boxes.items()) + "}"]
    lines += ["groups:", "  - id: A", "    title: Câu hỏi", "    questions:"]
    digits = ", ".join('{code: "%d", label: "%d"}' % (d, d) for d in range(10))
    for qid, boxes in numbers.items():
        lines.append(f"      - {{id: {qid}, text: Chữ số {qid}, type: single, boxes: {boxes}, options: [{digits}]}}")
    return "\n".join(lines) + "\n"


def _pinned_page(path: str, page: int, answers: dict, *, index: int = 0, join: str | None = PAGE_ORDER,
                 form_id: str = FORM, statuses: dict | None = None):
    """A page of a pinned form as the reader returns it: serial from its image hash."""
    result = page_result(0, page, answers, path=path, index=index, form_id=form_id, unit=None, statuses=statuses)
    result.serial = int(result.source.image_sha256[:7], 16)
    result.join = join
    return result


def _store_in_order(store, batch, results, pages_expected=2):
    return store.record_pages(batch, [(r.source.path, file_sha(r.source.path), 1000, r, pages_expected)
                                      for r in results])


def _by_files(store):
    """Each response as (form pages joined, files), sorted by first file."""
    out = []
    for response in store.responses():
        out.append(([p["page"] for p in response["pages"]], [p["file"] for p in response["pages"]]))
    return sorted(out, key=lambda item: item[1])


# --- the template setting --------------------------------------------------------------------------

def test_a_multi_page_pinned_form_joins_by_page_order_unless_told_otherwise():
    assert parse_template(_template_text()).extra["join"] == {"mode": PAGE_ORDER}
    assert parse_template(_template_text(pages=1)).extra["join"] is None  # nothing to join
    assert parse_template(_template_text(join="cover_sheet")).extra["join"] == {"mode": COVER_SHEET, "id": None}
    serial = parse_template(_template_text(join="{serial_field: [SO1, SO2]}",
                                           labels="{SO1: [Q1, R1], SO2: [Q2, R2]}")).extra["join"]
    assert serial == {"mode": "serial_field", "fields": ["SO1", "SO2"]}


@pytest.mark.parametrize("join, labels, problem", [
    ("by_magic", None, "page_order"),
    ("{serial_field: [Q1]}", None, "2 mã câu hỏi"),
    ("{serial_field: [Q2, Q1]}", None, "không nằm ở trang 1"),
    ("{serial_field: [SO, Q2]}", "{SO: [Q1, R2]}", "cùng một trang"),
    ("{cover_sheet: Q2}", None, "trang 1"),
    ("{serial_field: [X1, Q2]}", None, "X1"),
])
def test_a_join_that_cannot_work_is_one_clear_message_with_its_line(join, labels, problem):
    with pytest.raises(TemplateError, match=problem) as caught:
        parse_template(_template_text(join=join, labels=labels), "phieu.yaml")
    assert "phieu.yaml, dòng 5" in str(caught.value)


def test_join_belongs_to_forms_designed_elsewhere_and_labels_to_existing_questions(default_template_path):
    text = default_template_path.read_text(encoding="utf-8")
    with pytest.raises(TemplateError, match="chỉ dùng cho mẫu phiếu có mục pinned"):
        parse_template(text + "join: page_order\n")
    with pytest.raises(TemplateError, match="không có câu hỏi «Z9»"):
        parse_template(_template_text(labels="{SO: [Q1, Z9]}"))
    with pytest.raises(TemplateError, match="trùng mã câu hỏi"):
        parse_template(_template_text(labels="{Q1: [Q2, R2]}"))
    with pytest.raises(TemplateError, match="đã thuộc nhãn"):
        parse_template(_template_text(labels="{A: [Q1, R1], B: [R1]}"))


def test_changing_join_or_labels_needs_no_new_version():
    """They say how pages and answers are put together, not where a box is printed."""
    plain = parse_template(_template_text())
    assert parse_template(_template_text(join="cover_sheet", labels="{SO: [Q1, R1]}")).content_hash == \
        plain.content_hash


# --- joining by page order, when pages are stored --------------------------------------------------

def test_pages_in_order_make_one_response_each_answer_traced_to_its_page(store):
    batch = store.ensure_batch("dot-1")
    outcomes = _store_in_order(store, batch, [
        _pinned_page("a1.png", 1, {"Q1": "1", "R1": "2"}), _pinned_page("a2.png", 2, {"Q2": "3", "R2": "4"}),
        _pinned_page("b1.png", 1, {"Q1": "5", "R1": "6"}), _pinned_page("b2.png", 2, {"Q2": "7", "R2": "8"})])
    assert outcomes == [NEW] * 4
    assert _by_files(store) == [([1, 2], ["a1.png", "a2.png"]), ([1, 2], ["b1.png", "b2.png"])]
    assert store.summary()["responses_complete"] == 2
    for response in store.responses():
        first = response["pages"][0]["file"][0]
        expected = {"a": {"Q1": "1", "R1": "2", "Q2": "3", "R2": "4"},
                    "b": {"Q1": "5", "R1": "6", "Q2": "7", "R2": "8"}}[first]
        assert {q: v[0] for q, v in response["answers"].items()} == expected
        # The response takes the serial of its page 1; both its pages carry it.
        assert response["serial"] == int(hashlib.sha256(f"{first}1.png#0".encode()).hexdigest()[:7], 16)


def test_pages_out_of_order_or_missing_break_the_group_and_never_read_as_blank(store):
    template = parse_template(_template_text())
    batch = store.ensure_batch("dot-1")
    _store_in_order(store, batch, [
        _pinned_page("a2.png", 2, {"Q2": "3", "R2": "4"}),   # page 2 before its page 1
        _pinned_page("a1.png", 1, {"Q1": "1", "R1": "2"}),
        _pinned_page("c1.png", 1, {"Q1": "9", "R1": "9"}),   # its page 2 never came
        _pinned_page("d1.png", 1, {"Q1": "0", "R1": "0"}), _pinned_page("d2.png", 2, {"Q2": "0", "R2": "0"})])
    assert _by_files(store) == [([1], ["a1.png"]), ([2], ["a2.png"]), ([1], ["c1.png"]), ([1, 2], ["d1.png", "d2.png"])]
    records = {r["source_files"][0]: r for r in collect(store, lambda f, v: template).records}
    assert records["a2.png"]["completeness"] == "incomplete" and records["a2.png"]["missing_pages"] == [1]
    assert records["a2.png"]["status"]["Q1"] == MISSING_PAGE and records["a2.png"]["answers"]["Q1"] is None
    assert records["a2.png"]["status"]["Q2"] == OK and records["a2.png"]["answers"]["Q2"] == "3"
    assert records["c1.png"]["missing_pages"] == [2] and records["c1.png"]["status"]["R2"] == MISSING_PAGE
    assert records["d1.png"]["completeness"] == "complete"
    assert not any(s == BLANK for r in records.values() for s in r["status"].values())


def test_a_blank_page_between_is_skipped_another_page_between_breaks_the_group(store):
    batch = store.ensure_batch("dot-1")
    _store_in_order(store, batch, [
        _pinned_page("a1.png", 1, {"Q1": "1"}), set_aside_result("blank", path="back.png"),  # duplex back
        _pinned_page("a2.png", 2, {"Q2": "2"}),
        _pinned_page("b1.png", 1, {"Q1": "1"}), set_aside_result("no_match", path="photo.png"),
        _pinned_page("b2.png", 2, {"Q2": "2"}),
        _pinned_page("c1.png", 1, {"Q1": "1"}), _pinned_page("other.png", 1, {"Q1": "1"}, form_id="khac"),
        _pinned_page("c2.png", 2, {"Q2": "2"})])
    assert _by_files(store) == [([1, 2], ["a1.png", "a2.png"]), ([1], ["b1.png"]), ([2], ["b2.png"]),
                                ([1], ["c1.png"]), ([2], ["c2.png"]), ([1], ["other.png"])]


def test_a_run_stopped_between_the_pages_of_a_sheet_joins_them_when_resumed(store):
    batch = store.ensure_batch("dot-1")
    _store_in_order(store, batch, [_pinned_page("a1.png", 1, {"Q1": "1"})])  # the run is killed here
    _store_in_order(store, batch, [_pinned_page("a2.png", 2, {"Q2": "2"})])  # the next run
    # The same files again (a rescan of the same file): recorded once, counted once.
    again = _store_in_order(store, batch, [_pinned_page("a1.png", 1, {"Q1": "1"}),
                                           _pinned_page("a2.png", 2, {"Q2": "2"})])
    assert again == [ALREADY, ALREADY]
    assert _by_files(store) == [([1, 2], ["a1.png", "a2.png"])]


def test_one_file_of_many_pages_joins_page_after_page(store):
    batch = store.ensure_batch("dot-1")
    pages = [_pinned_page("lo.pdf", n, {f"Q{n}": "1"}, index=i) for i, n in enumerate([1, 2, 1, 2, 2])]
    _store_in_order(store, batch, pages)
    joined = sorted([p["page_index"] for p in r["pages"]] for r in store.responses())
    assert joined == [[0, 1], [2, 3], [4]]


def test_pages_of_two_batches_never_join(store):
    first, second = store.ensure_batch("dot-1"), store.ensure_batch("dot-2")
    _store_in_order(store, first, [_pinned_page("a1.png", 1, {"Q1": "1"})])
    _store_in_order(store, second, [_pinned_page("a2.png", 2, {"Q2": "2"})])
    assert _by_files(store) == [([1], ["a1.png"]), ([2], ["a2.png"])]


def test_a_cover_sheet_starts_a_response_for_the_pages_after_it(store):
    batch = store.ensure_batch("dot-1")
    _store_in_order(store, batch, [
        _pinned_page("a0.png", 1, {"Q1": "1"}, join=COVER_SHEET),
        _pinned_page("a3.png", 3, {"Q3": "3"}, join=COVER_SHEET),  # any order after the cover
        _pinned_page("a2.png", 2, {"Q2": "2"}, join=COVER_SHEET),
        _pinned_page("x2.png", 2, {"Q2": "2"}, join=COVER_SHEET),  # a second page 2: not this sheet's
        _pinned_page("b0.png", 1, {"Q1": "1"}, join=COVER_SHEET),
        _pinned_page("b2.png", 2, {"Q2": "2"}, join=COVER_SHEET)], pages_expected=3)
    assert _by_files(store) == [([1, 2, 3], ["a0.png", "a2.png", "a3.png"]), ([1, 2], ["b0.png", "b2.png"]),
                                ([2], ["x2.png"])]
    assert store.summary()["responses_complete"] == 1


# --- labels joined on export ------------------------------------------------------------------------

@pytest.mark.parametrize("parts, expected", [
    ([("0", OK), ("1", OK), ("9", OK)], ("019", OK)),
    ([(["7"], OK), ("2", OK)], ("72", OK)),
    ([("0", OK), (None, BLANK), ("9", OK)], (None, PART_REVIEW)),   # a blank digit: never "09"
    ([("0", OK), (["1", "2"], MULTIPLE), ("9", OK)], (None, PART_REVIEW)),
    ([("0", OK), ("1", AMBIGUOUS), ("9", OK)], (None, PART_REVIEW)),
    ([("0", OK), (None, None), ("9", OK)], (None, PART_REVIEW)),      # a part never read
    ([(None, BLANK), (None, BLANK)], (None, BLANK)),
    ([("0", OK), (None, MISSING_PAGE)], (None, MISSING_PAGE)),
])
def test_a_joined_value_is_whole_or_empty(parts, expected):
    assert joined_value(parts) == expected


def test_serials_read_on_the_form_are_the_number_itself_when_they_fit():
    assert serial_of_value("0190880") == 190880
    assert serial_of_value("E503110026") == serial_of_value("E503110026") < 2 ** 28
    assert serial_of_value("1234567890") != 1234567890


def test_labels_are_columns_beside_their_parts_in_every_export(store, tmp_path):
    template = parse_template(_template_text(pages=1, labels="{SoBD: [Q1, R1]}"))
    batch = store.ensure_batch("dot-1")
    store.record_pages(batch, [(f"s{i}.png", file_sha(f"s{i}.png"), 1, r, 1) for i, r in enumerate([
        _pinned_page("s0.png", 1, {"Q1": "0", "R1": "7"}, join=None),
        _pinned_page("s1.png", 1, {"Q1": "0", "R1": None}, join=None),
        _pinned_page("s2.png", 1, {"Q1": "0", "R1": ["3", "4"]}, join=None, statuses={"R1": MULTIPLE}),
        _pinned_page("s3.png", 1, {"Q1": None, "R1": None}, join=None)])])
    lookup = lambda form, version: template  # noqa: E731
    out = tmp_path / "x.csv"
    export_responses(store, "csv", out, lookup)
    with out.open(encoding="utf-8-sig") as handle:
        rows = {r["source_files"]: r for r in csv.DictReader(handle)}
    header = list(next(iter(rows.values())))
    assert header.index("SoBD") + 1 == header.index("Q1") and "SoBD_status" in header
    assert (rows["s0.png"]["SoBD"], rows["s0.png"]["SoBD_status"]) == ("07", OK)
    assert (rows["s1.png"]["SoBD"], rows["s1.png"]["SoBD_status"]) == ("", PART_REVIEW)
    assert (rows["s2.png"]["SoBD"], rows["s2.png"]["SoBD_status"]) == ("", PART_REVIEW)
    assert (rows["s3.png"]["SoBD"], rows["s3.png"]["SoBD_status"]) == ("", BLANK)
    # The parts stay, so every joined value can be traced to the bubbles it came from.
    assert (rows["s0.png"]["Q1"], rows["s0.png"]["R1"]) == ("0", "7") and rows["s1.png"]["R1_status"] == BLANK
    # The codebook says what a label is made of.
    xlsx = tmp_path / "x.xlsx"
    export_responses(store, "xlsx", xlsx, lookup, labels=True)
    from openpyxl import load_workbook

    book = load_workbook(xlsx, read_only=True)
    codebook = [tuple(r[:3]) for r in book["Bảng mã"].iter_rows(values_only=True)]
    assert ("SoBD", "Q1 + R1", "giá trị ghép từ nhiều cột") in codebook
    sheet_rows = list(book["Phiếu"].iter_rows(values_only=True))
    statuses = [row[sheet_rows[0].index("SoBD – trạng thái")] for row in sheet_rows[1:]]
    assert "cần kiểm tra (có phần để trống, nhiều ô hoặc không chắc chắn)" in statuses


def test_a_page_whose_serial_was_not_read_joins_its_sheet_once_a_person_types_the_serial(store):
    from omr.data import review
    from omr.forms.layout import compute_layout
    from omr.scan.page import Catalogue

    template = parse_template(_template_text(join="{serial_field: [Q1, Q2]}"))
    catalogue = Catalogue({(FORM, 1): compute_layout(template)})
    batch = store.ensure_batch("dot-1")
    first = _pinned_page("a1.png", 1, {"Q1": "7", "R1": "1"}, join=None)
    first.serial = 7
    unsure = _pinned_page("a2.png", 2, {"Q2": None, "R2": "5"}, join=None)
    unsure.set_aside, unsure.serial = "serial_unreadable", None  # as omr.scan.join leaves it
    _store_in_order(store, batch, [first, unsure])
    assert [r["serial"] for r in store.responses()] == [7] and store.summary()["responses_complete"] == 0
    key = review.claim_next(store, "ana")
    assert key is not None and key.startswith("page:")
    review.assign_page(store, catalogue, int(key.split(":")[1]), "ana", FORM, 1, 2, 7, reason="số 7 viết mờ")
    (response,) = store.responses()
    assert [p["file"] for p in response["pages"]] == ["a1.png", "a2.png"]
    assert response["answers"]["R2"][0] == "5" and store.summary()["responses_complete"] == 1


def test_a_cover_number_an_earlier_sheet_carries_keeps_its_pages_and_goes_to_a_person(store):
    from omr.data.schema import SERIAL_CONFLICT

    batch = store.ensure_batch("dot-1")
    sheets = []
    for name, answer in (("a", "1"), ("b", "2")):  # two covers with the number 5 bubbled, other answers
        cover = _pinned_page(f"{name}0.png", 1, {"Q1": "5", "R1": answer}, join=COVER_SHEET)
        cover.serial = 5  # as omr.scan.join sets it from the cover's number
        sheets += [cover, _pinned_page(f"{name}2.png", 2, {"Q2": answer}, join=COVER_SHEET)]
    _store_in_order(store, batch, sheets)
    assert _by_files(store) == [([1, 2], ["a0.png", "a2.png"]), ([1, 2], ["b0.png", "b2.png"])]
    assert all(SERIAL_CONFLICT in r["flags"] for r in store.responses())


@pytest.mark.parametrize("join", ["{serial_field: [SO1, Q2]}", "{cover_sheet: SO1}", "cover_sheet", "page_order"])
def test_a_template_written_again_keeps_its_join_and_labels(tmp_path, join):
    """A program that rewrites a pinned template (the web editor) passes them through write_pinned_template."""
    from omr.forms.template import load_template
    from omr.template_from.blank import write_pinned_template

    template = parse_template(_template_text(join=join, labels="{SO1: [Q1, R1]}"))
    pinned = template.extra["pinned"]
    pages = [{**page, "boxes": page["boxes"], "frames": {}} for page in pinned["pages"]]
    by_box = {n: qc for n, qc in pinned["assign"].items()}
    groups = [{"id": "A", "title": "Câu hỏi", "questions": [
        {"id": q.id, "text": q.text, "type": q.type,
         "options": [(o.code, o.label, next(n for n, qc in by_box.items() if qc == (q.id, o.code)))
                     for o in q.options]} for q in template.questions]}]
    out = tmp_path / "again.yaml"
    write_pinned_template(out, FORM, "Phiếu", pages, groups, marks="fill", labels=template.extra["labels"],
                          join=template.extra["join"])
    again = load_template(out)
    assert again.extra["join"] == template.extra["join"] and again.extra["labels"] == template.extra["labels"]
