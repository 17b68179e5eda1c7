"""A free-text question printed with no frame on a blank form (the trial's Writer form: «Câu 5. Ý kiến
khác:» and six empty lines) gets a proposed writing frame, or a warning naming it when there is no room."""

from __future__ import annotations

from omr.template_from.blank import free_text_prompts
from omr.template_from.boxes import Found
from omr.template_from.printed import PrintedWord

A4 = (210.0, 297.0)


def line(text: str, x: float, y: float, number: int, h: float = 3.5) -> list[PrintedWord]:
    """The words of one printed line, 2 mm a letter."""
    words, at = [], x
    for word in text.split():
        words.append(PrintedWord(word, 100.0, at, y, 2.0 * len(word), h, number, exact=True))
        at += 2.0 * len(word) + 1.5
    return words


def choice_rows() -> tuple[list[PrintedWord], list[Found]]:
    words = line("PHIẾU LẤY Ý KIẾN NGƯỜI DÂN", 40, 20, 0, 5) + line("Câu 1. Giới tính:", 25, 60, 1)
    boxes = [Found("square", 25, 68, 4, 4), Found("square", 60, 68, 4, 4)]
    words += line("Nam", 31, 68, 2) + line("Nữ", 66, 68, 2)
    return words, boxes


def test_a_prompt_with_empty_lines_under_it_gets_a_frame_there():
    words, boxes = choice_rows()
    words += line("Câu 5. Ý kiến khác:", 25, 80, 3)
    frames, unframed = free_text_prompts(words, boxes, *A4)
    assert unframed == []
    assert len(frames) == 1
    frame = frames[0]
    assert frame.kind == "frame" and frame.x == 25 and 83.5 < frame.y < 86
    assert frame.h >= 40  # down to the page's foot, at most FREE_TEXT_MAX_MM
    # The title holds «Ý KIẾN» but asks nothing: no frame under it.
    assert all(f.y > 80 for f in frames)


def test_dotted_lines_count_as_room_and_the_next_question_ends_the_frame():
    words, boxes = choice_rows()
    words += line("Góp ý của Ông/Bà:", 25, 80, 3)
    words += line("....................................", 25, 90, 4) + line("......................", 25, 98, 5)
    words += line("Câu 6. Xin cảm ơn", 25, 110, 6)
    frames, unframed = free_text_prompts(words, boxes, *A4)
    assert unframed == [] and len(frames) == 1
    assert frames[0].y + frames[0].h < 110


def test_a_prompt_with_no_room_under_it_is_named_in_a_warning():
    words, boxes = choice_rows()
    words += line("Câu 5. Kiến nghị khác:", 25, 80, 3) + line("Câu 6. Nghề nghiệp:", 25, 86, 4)
    boxes.append(Found("square", 25, 92, 4, 4))
    frames, unframed = free_text_prompts(words, boxes, *A4)
    assert frames == []
    assert unframed == ["Câu 5. Kiến nghị khác"]


def test_a_choice_named_other_and_a_prompt_with_its_frame_get_nothing():
    words, boxes = choice_rows()
    words += line("Khác:", 31, 80, 3)
    boxes.append(Found("square", 25, 80, 4, 4))  # «☐ Khác:» is an option
    words += line("Ý kiến khác:", 25, 100, 4)
    boxes.append(Found("frame", 25, 106, 160, 30))  # its own frame
    frames, unframed = free_text_prompts(words, boxes, *A4)
    assert frames == [] and unframed == []
