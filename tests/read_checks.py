"""Checks shared by the tests that read simulated sheets (helper, not a test module)."""

from __future__ import annotations

from omr.model import BLANK, NEEDS_REVIEW


def assert_no_silent_error(result, truth, max_review: int) -> None:
    """Every answer of ``result`` not sent to review is the simulator's ``truth`` (a blank only where
    nothing was marked), at most ``max_review`` questions go to review, and no comment field reads
    as written (the truth has no comments)."""
    review = [q.question for q in result.questions if q.status in NEEDS_REVIEW]
    for q in result.questions:
        if q.status in NEEDS_REVIEW:
            continue
        expected = truth.answers[q.question]
        if q.status == BLANK:
            assert expected in (None, []), (q.question, expected)
        else:
            assert q.value == expected, (q.question, q.value, expected)
    assert len(review) <= max_review, review
    assert not any(c.inked for c in result.comments)


def answers_of(result) -> dict[str, tuple]:
    """{question id: (value, status)} of one page's read (a PageResult)."""
    return {q.question: (q.value, q.status) for q in result.questions}


def blank_sheet(default_layout, blanks, dpi: int, number: int, serial: int):
    """Page ``number`` of the default form, unfilled, with its QR code for sheet ``serial``: (RGB image to draw
    on, its PageLayout, {question id: {option code: Checkbox}})."""
    from omr.forms.qrcodes import PageIdentity
    from omr.forms.simulate import _paste_identity

    template, layout = default_layout
    page = layout.page(number)
    img = blanks[dpi][number].copy()
    _paste_identity(img, page, PageIdentity(template.form_id, template.version, number, serial, None), dpi)
    questions: dict[str, dict] = {}
    for box in page.checkboxes:
        questions.setdefault(box.question, {})[box.option] = box
    return img, page, questions
