"""omr's own printed blank uploaded as a blank (``omr template from-blank``): the template holds omr's
questions as printed, and the editor proposes each scale and yes/no question's standard question (#16).

An office that uploads omr's form (or a Word copy of it) got every 1–5 question's boxes labelled
«Lựa chọn 1 … 6» (the small header over the grid's narrow columns was taken for one phrase running across
them), so no link to the standard survey was proposed; the date's digits coded 1 … 10 and never joined
into a day and a month; the yes/no question named with the next question's line.
"""

from __future__ import annotations

from pathlib import Path

import blank_sources
import pytest

from omr.forms.template import SCALE_OPTIONS, load_template
from omr.template_from.blank import from_blank
from omr.web.template_drafts import _suggest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """(the template made from omr's printed blank PDF, the standard template)."""
    folder = tmp_path_factory.mktemp("omr-blank")
    pdf = blank_sources.omr_blank_pdf(folder)
    from_blank(pdf, folder / "motcua-blank.yaml")
    return load_template(folder / "motcua-blank.yaml"), load_template(ROOT / "form_templates" / "motcua-2026.yaml")


def _by_number(template) -> dict[str, object]:
    """The made template's questions by their printed number ("B1."), the date's rows aside."""
    return {q.text.split(".")[0]: q for q in template.questions if q.type != "text"}


def test_every_scale_and_yes_no_question_is_labelled_from_the_print_and_proposed_its_standard_question(made):
    template, standard = made
    by_number = _by_number(template)
    scale = [label for _, label in SCALE_OPTIONS]
    counted = [q for q in standard.questions if q.type in ("scale", "yesno")]
    assert len(counted) == 19
    for q in counted:
        own = by_number[q.id]
        assert own.text == f"{q.id}. {q.text}", own.text
        labels = [o.label for o in own.options]
        if q.type == "scale":
            assert labels[:5] == scale and labels == [o.label for o in q.options], (q.id, labels)
        else:
            assert labels == ["Có", "Không"]
        assert _suggest(own.text, labels, standard)["question"] == q.id


def test_the_date_digits_are_coded_by_digit_and_joined_into_day_and_month(made):
    template, _ = made
    labels = template.extra["labels"]
    assert set(labels) == {"Ngay", "Thang"}
    day_tens, day_units = (template.question(q) for q in labels["Ngay"])
    month_tens, month_units = (template.question(q) for q in labels["Thang"])
    assert [o.code for o in day_tens.options] == ["0", "1", "2", "3"]
    assert [o.code for o in day_units.options] == [str(d) for d in range(10)]
    assert [o.code for o in month_tens.options] == ["0", "1"]
    assert day_tens.text.startswith("A1. Ngày khảo sát") and day_tens.text.endswith("Ngày, chữ số hàng chục")
    assert day_units.text.endswith("Ngày, chữ số hàng đơn vị")
    year = next(q for q in template.questions if [o.label for o in q.options] == ["2025", "2026", "2027"])
    assert year.text.startswith("A1. Ngày khảo sát") and year.text.endswith("Năm")
    assert [o.code for o in year.options] == ["2025", "2026", "2027"]


def test_questions_are_grouped_by_the_printed_section_headings(made):
    """The groups are the form's sections as printed («B. CƠ SỞ VẬT CHẤT, …»), a section running over the
    page break kept whole; a heading naming «góp ý» is not taken for a free-text question."""
    template, standard = made
    assert [(g.id, g.title) for g in template.groups] == [(g.id, g.title) for g in standard.groups]
    for own, printed in zip(template.groups, standard.groups):
        numbers = [q.text.split(".")[0] for q in own.questions]
        assert set(numbers) == {q.id for q in printed.questions}, (own.id, numbers)
