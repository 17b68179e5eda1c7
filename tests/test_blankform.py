"""Templates from a blank form designed elsewhere, and reading filled copies of it (issue #8)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from omr.errors import TemplateError

PX = 200 / 25.4  # a 200 dpi image of an A4 page


def _mm(v: float) -> int:
    return int(round(v * PX))


# What the office's Word form holds: question rows of square boxes, options one per
# line, a row of round bubbles, and a comment frame. (label, boxes' top-left in mm)
ROWS = [("Gioi tinh", [(60, 40), (90, 40)]),
        ("Muc do hai long", [(60, 60), (80, 60), (100, 60), (120, 60), (140, 60)])]
STACK = [(30, 90), (30, 100), (30, 110)]
BUBBLES = [(60, 140), (80, 140), (100, 140), (120, 140)]
FRAME = (20, 170, 170, 40)


def _blank() -> np.ndarray:
    page = np.full((_mm(297), _mm(210)), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(page, "PHIEU KHAO SAT Y KIEN NGUOI DAN", (_mm(25), _mm(20)), font, 1.3, 0, 3)
    for y, text in [(45, "1. Gioi tinh"), (65, "2. Hai long"), (85, "3. Cach nop ho so:"), (145, "4. Diem")]:
        cv2.putText(page, text, (_mm(20), _mm(y)), font, 0.8, 0, 2)
    for label, boxes in ROWS:
        for x, y in boxes:
            cv2.rectangle(page, (_mm(x), _mm(y)), (_mm(x + 5), _mm(y + 5)), 0, 2)
    for (x, y), text in zip(STACK, ["Truc tiep", "Truc tuyen", "Buu chinh"]):
        cv2.rectangle(page, (_mm(x), _mm(y)), (_mm(x + 5), _mm(y + 5)), 0, 2)
        cv2.putText(page, text, (_mm(x + 8), _mm(y + 4.5)), font, 0.8, 0, 2)
    for (x, y), text in zip(BUBBLES, "ABCD"):
        cv2.circle(page, (_mm(x + 2.5), _mm(y + 2.5)), _mm(2.5), 0, 2)
        cv2.putText(page, text, (_mm(x + 7), _mm(y + 4.5)), font, 0.7, 0, 2)
    x, y, w, h = FRAME
    cv2.putText(page, "5. Y kien khac:", (_mm(x), _mm(y - 3)), font, 0.8, 0, 2)
    cv2.rectangle(page, (_mm(x), _mm(y)), (_mm(x + w), _mm(y + h)), 0, 2)
    cv2.putText(page, "Xin cam on Ong/Ba da tham gia khao sat", (_mm(40), _mm(240)), font, 0.9, 0, 2)
    return page


def _cross(page: np.ndarray, x: float, y: float) -> None:
    cv2.line(page, (_mm(x + 0.8), _mm(y + 0.8)), (_mm(x + 4.2), _mm(y + 4.2)), 30, 3)
    cv2.line(page, (_mm(x + 4.2), _mm(y + 0.8)), (_mm(x + 0.8), _mm(y + 4.2)), 30, 3)


def _photocopy(page: np.ndarray, angle: float, scale: float) -> np.ndarray:
    """Turned, shrunk and blurred, on a slightly grey paper: a photocopy scanned again."""
    h, w = page.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    out = cv2.warpAffine(page, m, (w, h), borderValue=255)
    out = cv2.GaussianBlur(out, (3, 3), 0).astype(np.int16) - 12
    rng = np.random.default_rng(1)
    return np.clip(out + rng.normal(0, 4, out.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    from omr.template_from.blank import from_blank

    folder = tmp_path_factory.mktemp("blank")
    blank = folder / "phieu-xa.png"
    cv2.imwrite(str(blank), _blank())
    templates = folder / "form_templates"
    summary = from_blank(blank, templates / "phieu-xa.yaml")
    return folder, templates, summary


def test_finds_every_box_bubble_and_frame_and_groups_them_into_questions(made):
    from omr.forms.template import load_template

    _, templates, summary = made
    assert summary["boxes"] == 2 + 5 + 3 + 4 and summary["frames"] == 1
    template = load_template(templates / "phieu-xa.yaml")
    pinned = template.extra["pinned"]["pages"][0]
    found = sorted((round(x), round(y)) for x, y, w, h in pinned["boxes"].values())
    assert found == sorted([(x, y) for _, boxes in ROWS for x, y in boxes] + STACK + BUBBLES)
    assert all(abs(w - 5) < 0.6 and abs(h - 5) < 0.6 for _, _, w, h in pinned["boxes"].values())
    sizes = sorted(len(q.options) for q in template.questions if q.type != "text")
    assert sizes == [2, 3, 4, 5]  # a row, options one per line, bubbles, the scale row
    assert [q.type for q in template.questions].count("text") == 1
    assert (templates / "phieu-xa" / "preview-1.png").is_file()
    assert (templates / "phieu-xa" / "page-1.png").is_file()


def _answer_key(templates):
    """Question id of each group of boxes, by the boxes' positions."""
    from omr.forms.layout import resolve_layout
    from omr.forms.template import load_template

    layout = resolve_layout(load_template(templates / "phieu-xa.yaml"))
    by_position = {}
    for box in layout.pages[0].checkboxes:
        by_position[(round(box.x), round(box.y))] = (box.question, box.option)
    return by_position


@pytest.mark.parametrize("angle, scale", [(0.0, 1.0), (2.5, 0.93), (-4.0, 1.05)])
def test_filled_copies_are_registered_and_read_without_any_omr_marks(made, angle, scale):
    from omr.scan.ingest import PageLoader
    from omr.scan.page import Catalogue, process_page

    folder, templates, _ = made
    key = _answer_key(templates)
    page = _blank()
    ticked = [(90, 40), (120, 60), (30, 100)]
    for x, y in ticked:
        _cross(page, x, y)
    cv2.circle(page, (_mm(102.5), _mm(142.5)), _mm(2.0), 40, -1)  # bubble C filled in
    scan = folder / f"scan-{angle}.png"
    cv2.imwrite(str(scan), _photocopy(page, angle, scale))
    result = process_page(PageLoader().load(scan, 0), Catalogue.from_folder(templates))
    assert result.set_aside is None, result.detail
    assert result.form_id == "phieu-xa" and "độ chắc chắn" in result.detail
    answers = {q.question: (q.value, q.status) for q in result.questions}
    for x, y in ticked:
        question, option = key[(x, y)]
        value, status = answers[question]
        assert option in (value if isinstance(value, list) else [value]), (question, answers[question])
    question, option = key[(100, 140)]
    assert option in str(answers[question][0]) or answers[question][1] != "ok"  # a filled bubble is never silently lost
    assert result.alignment_mm is not None and result.alignment_mm < 1.0


def test_a_page_of_another_form_is_set_aside(made):
    from omr.scan.ingest import PageLoader
    from omr.scan.page import Catalogue, process_page

    folder, templates, _ = made
    other = np.full((_mm(297), _mm(210)), 255, np.uint8)
    for i in range(12):
        cv2.putText(other, f"Bang ke chung tu so {i * 37 % 11} ngay {i + 3}", (_mm(20), _mm(30 + i * 18)),
                    cv2.FONT_HERSHEY_COMPLEX, 0.9, 0, 2)
    path = folder / "other.png"
    cv2.imwrite(str(path), other)
    result = process_page(PageLoader().load(path, 0), Catalogue.from_folder(templates))
    assert result.set_aside == "no_match" and not result.questions


def test_a_box_used_twice_is_refused_with_file_line_and_field(made, tmp_path):
    from omr.forms.template import load_template

    _, templates, _ = made
    text = (templates / "phieu-xa.yaml").read_text(encoding="utf-8")
    first_box = text.index("box: ")
    number = text[first_box + 5:text.index("}", first_box)]
    second = text.index("box: ", first_box + 1)
    broken = text[:second + 5] + number + text[text.index("}", second):]
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(TemplateError, match=r"broken\.yaml, dòng \d+.*đã dùng cho câu"):
        load_template(path)


def test_box_numbers_belong_to_pinned_templates_only(tmp_path):
    from omr.forms.template import load_template

    path = tmp_path / "t.yaml"
    path.write_text("form: a\nversion: 1\ntitle: T\ngroups:\n  - id: A\n    title: A\n    questions:\n"
                    "      - {id: Q1, text: X, type: single, options: [{code: a, label: A, box: 1}, "
                    "{code: b, label: B, box: 2}]}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="chỉ dùng trong mẫu phiếu có mục pinned"):
        load_template(path)


def test_cli_from_blank_writes_template_and_preview(tmp_path):
    from omr.cli import main

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), _blank())
    (tmp_path / "ft").mkdir()  # -o names a file in a folder that exists (tests/test_output_folders.py)
    assert main(["template", "from-blank", str(blank), "-o", str(tmp_path / "ft" / "xa.yaml")]) == 0
    assert (tmp_path / "ft" / "xa.yaml").is_file() and (tmp_path / "ft" / "xa" / "preview-1.png").is_file()
    assert main(["template", "from-blank", str(tmp_path / "missing.png"), "-o", str(tmp_path / "x.yaml")]) == 5


def test_cli_from_blank_refuses_omr_own_printed_form_naming_its_template(tmp_path, capsys, monkeypatch):
    """A blank printed by omr itself (its QR code) is refused: its template exists, and the one line says
    which file holds it (the default templates folder: omr's own, run where no ./form_templates is); nothing
    is written (#16: a template read back from omr's print garbled it)."""
    from blank_sources import ROOT, omr_blank_pdf

    from omr.cli import main

    pdf = omr_blank_pdf(tmp_path)
    templates = ROOT / "form_templates"
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "ft" / "phieu-omr.yaml"
    out.parent.mkdir()
    assert main(["template", "from-blank", str(pdf), "-o", str(out)]) == 5
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert str(pdf) in err and "«motcua-2026»" in err and str(templates / "motcua-2026.yaml") in err, err
    assert not out.exists() and not (out.parent / "phieu-omr").exists()
