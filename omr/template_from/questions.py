"""Boxes grouped into questions by the print, with the question and option labels read from it (#16, item 2).

Input: the boxes found on a blank page (:mod:`omr.template_from.boxes`, mm), its printed words
(:mod:`omr.template_from.printed`, mm) and its ink map (for printed separators). Rules, in order:

1. **Rows.** Boxes whose centres are level (within 0.6 of a box) are one printed row.
2. **Splits in a row.** A row is cut between two boxes where the print says a new question starts:
   a vertical rule printed between them (the "|" between a date's tens and units), a question's own
   text between them ("Câu 5.", "A4.", a phrase ending in ":" or "?"), or an empty gap wider than
   ``BLANK_QUESTION_GAP_MM`` or than 1.6 times the row's usual unlabelled gap.
3. **Rows joined.** A row continues the question above when it has no question text of its own,
   follows within ``BLANK_STACK_MAX_MM``, and either starts at the same indent with nothing printed
   to its left (options wrapped to a second line) or is a lone box under a box of that question (options
   one per line, with or without dotted leaders).
4. **Labels.** An option's label is the text right of its box up to the next box (or, when there is
   none, left of it back to the previous box: "Trực tiếp ........ ☐"); a box with no text on its row
   takes its column's heading (a satisfaction grid). A letter or digit printed inside a bubble is its
   code. The question's text is the text left of its first box, joined to the nearest line above
   without boxes when that is only a short heading ("Ngày:"), else that line above.
5. **Read again.** On a scanned blank each label (and grid heading, over its cell's width and all its
   wrapped lines) is read again from its own crop, leaders and rules taken out (:func:`_reread`).

Every result is a suggestion written into the YAML for a person to check (``omr template from-blank``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from omr import tuning as T
from omr.template_from.printed import circled_character, is_circled_character, strip_leaders
from omr.text.lexicon import DOMAIN_WORDS
from omr.text.normalise import fold, nfc, strip_diacritics

# A question's own text starts with its number ("Câu 5.", "5.", "A4.", "II.", "a)") or ends with ":" / "?".
QUESTION_START = re.compile(r"^(câu\s*\d+|[A-ZĐ]?\d{1,2}[.):]|[IVX]{1,4}[.)]|[a-zđ][.)])", re.IGNORECASE)
# How Tesseract reads an empty square box printed before a word (omr's blank and Word's ☐ at 150-300 dpi).
BOX_AS_LETTERS = {"L", "LI", "LÌ", "LỊ", "LÍ", "Lì", "IRị", "H", "O", "[", "]", "[]", "LJ", "U"}
LEADER = re.compile(r"[._…·\-–—]{2,}|^[._…·]+$")
# The letters of circled-letter bubbles in order (Ⓐ Ⓑ …), for a run of them (:func:`_circled_sequence`).
LETTER_RUN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# How Tesseract reads a table's vertical rule standing alone among a header row's words.
RULE_AS_TEXT = re.compile(r"[|\[\]!]+")


@dataclass
class Question:
    """One question found on the page: its boxes (indices into the page's boxes), text and option labels."""

    boxes: list[int]
    text: str = ""
    labels: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    multiple: bool = False
    comb: bool = False  # a comb field: cells sharing their walls, one written character each


def _clean(text: str) -> str:
    # Tesseract reads a box's edge glued to a word as a bracket or bar: "]Nam", "Nữ [", "|2025".
    text = " ".join(re.sub(r"^[\[\]|Il]{1,2}(?=[\dA-ZĐÀ-Ỹa-zà-ỹ])|[\[\]|]+$", "", t) if re.match(r"^[\[\]|]", t)
                    or re.search(r"[\[\]|]$", t) else t for t in text.split())
    text = LEADER.sub(" ", text).replace("_", " ")
    text = re.sub(r"[☐□○◯❑▢⬜◻|]+", " ", text)
    tokens = [t for t in text.split() if not re.fullmatch(r"[‹›«»+*^~=]+", t)]
    # A box read as letters ("L", "LÌ", "IRị") in front of its label.
    while len(tokens) > 1 and tokens[0] in BOX_AS_LETTERS:
        tokens = tokens[1:]
    text = " ".join(tokens)
    return re.sub(r"\s+", " ", text).strip(" :;,.-–")


def _words_between(words, y0: float, y1: float, x0: float, x1: float):
    """Words whose centre is level with the band y0..y1 and lies between x0 and x1, in x order."""
    out = [w for w in words if y0 <= w.y + w.h / 2 <= y1 and x0 <= w.x + w.w / 2 <= x1]
    return sorted(out, key=lambda w: w.x)


def _is_question_text(words) -> bool:
    if not words:
        return False
    # Leader dots read by Tesseract end in stray ":" ("....c-:"): they are not a question's colon.
    text = " ".join(w.text for w in words if not LEADER.search(w.text))
    return bool(QUESTION_START.match(words[0].text)) or text.rstrip().endswith((":", "?"))


def _separator(ink: np.ndarray | None, px_per_mm: float, left, right) -> bool:
    """A vertical rule printed between two boxes of a row, at least as tall as the boxes (1.2 x)."""
    if ink is None:
        return False
    x0 = int((left.x + left.w + 0.4) * px_per_mm)
    x1 = int((right.x - 0.4) * px_per_mm)
    height = max(left.h, right.h)
    cy = (left.centre[1] + right.centre[1]) / 2
    y0 = int((cy - 0.9 * height) * px_per_mm)
    y1 = int((cy + 0.9 * height) * px_per_mm)
    if x1 <= x0 or y0 < 0 or y1 > ink.shape[0]:
        return False
    strip = ink[y0:y1, x0:x1] > 0
    if strip.size == 0:
        return False
    needed = max(1.2 * height, T.BLANK_SEPARATOR_MIN_MM) * px_per_mm
    return bool((strip.sum(axis=0) >= min(needed, strip.shape[0] - 1)).any())


def group_by_print(boxes: list, words: list, ink: np.ndarray | None = None, px_per_mm: float = 1.0,
                   by: str = "rows", reader: Callable | None = None) -> list[Question]:
    """Questions of one page, from its boxes (mm), printed words (mm) and ink map.

    Args:
        boxes: ``Found`` boxes (no frames), mm from the page's top-left.
        words: ``PrintedWord`` list (may be empty: then only the geometry groups, labels stay empty).
        ink: binary ink map of the page (255 = ink) at ``px_per_mm``, for printed separators; optional.
        by: ``rows`` (the default) or ``columns`` (a column of boxes is a question: answer sheets).
        reader: for a scanned blank, ``reader((x, y, w, h) mm) -> (text, confidence 0-100)`` reads a label's
            own crop again (:func:`omr.template_from.printed.read_label`); see :func:`_reread`.

    Returns:
        Questions in reading order, each with its boxes' indices, text, labels and codes.
    """
    if not boxes:
        return []
    if by == "columns":
        return _by_columns(boxes, words)
    size = float(np.median([max(b.w, b.h) for b in boxes]))
    grid = _vertical_digit_grid(boxes, words, size, reader)
    in_grid = {i for column in grid for i in column.boxes}
    columns = _page_columns(list(range(len(boxes))), boxes, words, size)
    questions: list[Question] = []
    for x0, x1 in columns:
        # A page in newspaper columns: each column's boxes and words are grouped on their own, left first.
        mine = {i for i, b in enumerate(boxes) if x0 <= b.centre[0] < x1}
        own_words = words if len(columns) == 1 else [w for w in words if x0 <= w.x + w.w / 2 < x1]
        rows = [[i for i in row if i not in in_grid and i in mine] for row in _rows(boxes, size)]
        segments: list[list[int]] = []
        for row in rows:
            if row:
                segments += _split_row(row, boxes, own_words, ink, px_per_mm)
        column_questions = _join_rows(segments, boxes, own_words)
        for q in column_questions:
            _label(q, boxes, own_words, ink, px_per_mm, reader)
            q.comb = _is_comb(q.boxes, boxes)
        questions += column_questions
    _digit_columns(questions, boxes, words, reader)
    if grid:
        # The grid's columns take the place of the first question printed below the grid's top.
        top = boxes[grid[0].boxes[0]].centre[1]
        at = next((k for k, q in enumerate(questions) if boxes[q.boxes[0]].centre[1] > top), len(questions))
        questions[at:at] = grid
    return questions


def _digit_beside(box, words: list) -> str:
    """The digit printed right after ``box`` (within ``BLANK_DIGIT_LABEL_MM``, level with it): «☐ 0», «☐0»
    (a word Tesseract read across the box and its digit, "L]0", "O0", keeps what lies right of the box), or
    "" when what is there is not one digit."""
    band = (box.y - 0.3 * box.h, box.y + 1.3 * box.h)
    right = box.x + box.w
    # A word ending within the box's right wall is the box (a text layer's "☐"), not what follows it.
    near = sorted((w for w in words if band[0] <= w.y + w.h / 2 <= band[1] and w.right > right + 0.3
                   and w.x < right + T.BLANK_DIGIT_LABEL_MM), key=lambda w: w.x)
    if not near:
        return ""
    word = _outside(near[0], box) if near[0].x < right and near[0].symbols else near[0]
    return _as_digit(word.text)


# Letters Tesseract reads for a small digit set beside a box ("☐ 0" read "Llo" at 300 dpi, "☐1" read "LI").
DIGIT_LOOKALIKES = {"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "i": "1", "|": "1", "Z": "2",
                    "z": "2", "S": "5", "s": "5", "B": "8", "g": "9", "q": "9"}


def _as_digit(text: str) -> str:
    """One digit read beside a box (:data:`DIGIT_LOOKALIKES` taken for their digit), or "" for anything else."""
    text = _clean(text)
    text = DIGIT_LOOKALIKES.get(text, text)
    return text if len(text) == 1 and text.isdigit() else ""


def _vertical_digit_grid(boxes: list, words: list, size: float, reader: Callable | None = None) -> list[Question]:
    """Columns of boxes each labelled 0, 1, 2 … downwards, two or more side by side (a day's tens and
    units, a month's, a student number marked digit by digit in a grid): one question per column, its
    labels and codes the digits, its text the column's printed heading. Empty when there is no such grid.

    A column is boxes one under another (centres within 0.5 of a box across), evenly spaced (each step
    within ``BLANK_GRID_PITCH_TOLERANCE`` of the column's first), the k-th labelled with the digit k right of
    it (:func:`_digit_beside`; on a scanned blank a label not read as its digit is read again from its own
    crop by ``reader``): in a column of ``BLANK_GRID_FULL_COLUMN`` boxes or more, all but at most
    ``BLANK_DIGIT_MISREAD_MAX`` labels read as their digit (the others unread or another digit, as
    :func:`_digit_columns` takes a row); in a shorter one, every label read is its place's digit and at most
    one is unread. A grid is two or more such columns whose
    first boxes are level and whose steps are alike, one of them at least ``BLANK_GRID_MIN_DIGITS`` long:
    rows grouped by the row (the default) made of it one question of mixed digits ("0 0 0 0 1 1 …").
    """
    if len(boxes) < 2 * 2:
        return []
    columns: list[Question] = []
    for stack in _aligned(boxes, size, 0, 0.5):
        for run in _even_runs(stack, boxes, size):
            column = _digit_column(run, boxes, words, reader)
            if column is not None:
                columns.append(column)
    grids: list[list[Question]] = []
    for column in sorted(columns, key=lambda c: boxes[c.boxes[0]].centre[0]):
        first = boxes[column.boxes[0]]
        pitch = boxes[column.boxes[1]].centre[1] - first.centre[1]
        for grid in grids:
            other = boxes[grid[-1].boxes[0]]
            other_pitch = boxes[grid[-1].boxes[1]].centre[1] - other.centre[1]
            if abs(first.centre[1] - other.centre[1]) < 0.5 * size and \
                    abs(pitch - other_pitch) <= T.BLANK_GRID_PITCH_TOLERANCE * other_pitch:
                grid.append(column)
                break
        else:
            grids.append([column])
    out = []
    for grid in sorted(grids, key=lambda g: boxes[g[0].boxes[0]].centre[1]):
        if len(grid) >= 2 and max(len(c.boxes) for c in grid) >= T.BLANK_GRID_MIN_DIGITS:
            for column in grid:
                column.text = _clean(" ".join(w.text for w in _grid_heading(column, grid, boxes, words)))
            out += grid
    return out


def _even_runs(stack: list[int], boxes: list, size: float) -> list[list[int]]:
    """The runs of two or more boxes of a column (``stack``, top down) set at an even step: each step within
    ``BLANK_GRID_PITCH_TOLERANCE`` of the run's first, and more than a box apart (not a double outline)."""
    runs: list[list[int]] = []
    run = [stack[0]]
    for i in stack[1:]:
        step = boxes[i].centre[1] - boxes[run[-1]].centre[1]
        first = boxes[run[1]].centre[1] - boxes[run[0]].centre[1] if len(run) > 1 else step
        if step > size and abs(step - first) <= T.BLANK_GRID_PITCH_TOLERANCE * first:
            run.append(i)
        else:
            runs.append(run)
            run = [i]
    runs.append(run)
    return [r for r in runs if len(r) >= 2]


def _digit_column(run: list[int], boxes: list, words: list, reader: Callable | None) -> Question | None:
    """A Question of a column of boxes (``run``, top down) when the k-th is labelled with the digit k (see
    :func:`_vertical_digit_grid`), else None."""
    labels = [_digit_beside(boxes[i], words) for i in run]
    read = sum(label == str(k) for k, label in enumerate(labels))
    # Read again only a column that reads as digits already (a scanned page's Tesseract costs ~30 ms a
    # crop; a stack of options or a 1-5 grid's column has no digit beside its boxes).
    if read < (T.BLANK_DIGIT_REREAD_MIN if len(run) >= T.BLANK_GRID_FULL_COLUMN else 1):
        return None
    for k, i in enumerate(run):
        if labels[k] != str(k) and reader is not None:
            b = boxes[i]
            text, _ = reader((b.x + b.w, b.y, T.BLANK_DIGIT_LABEL_MM, b.h))
            labels[k] = _as_digit(text) or labels[k]
    agree, wrong = _digit_reads(Question(run, "", labels))  # each label one digit or ""
    if not _reads_as_digits(agree, wrong, len(run), full=len(run) >= T.BLANK_GRID_FULL_COLUMN):
        return None
    digits = [str(k) for k in range(len(run))]
    return Question(list(run), "", digits, list(digits))


def _grid_heading(column: Question, grid: list[Question], boxes: list, words: list) -> list:
    """The words printed over a grid's column (halfway to its neighbours' boxes), by line then x: the
    nearest line above its first box, within ``BLANK_GRID_HEADING_MM`` of its top, and the lines above it
    that it wraps from (each at most ``BLANK_GRID_HEADING_GAP`` of a line's height apart: the question's own
    text above the grid is set a paragraph apart)."""
    first = boxes[column.boxes[0]]
    xs = sorted(boxes[c.boxes[0]].centre[0] for c in grid)
    k = xs.index(first.centre[0])
    half = (xs[1] - xs[0]) / 2
    left = (xs[k - 1] + xs[k]) / 2 if k > 0 else xs[k] - half
    right = (xs[k] + xs[k + 1]) / 2 if k + 1 < len(xs) else xs[k] + half
    above = [w for w in words if left <= w.x + w.w / 2 <= right and w.bottom <= first.y + 0.2 * first.h
             and w.y >= first.y - T.BLANK_GRID_HEADING_MM and not _is_code([w])]
    lines: list[list] = []
    for w in sorted(above, key=lambda w: -(w.y + w.h / 2)):
        if lines and abs(w.y + w.h / 2 - np.mean([v.y + v.h / 2 for v in lines[-1]])) < 0.5 * w.h:
            lines[-1].append(w)
        else:
            lines.append([w])
    kept: list[list] = []
    for line in lines:
        if kept:
            top = min(v.y for v in kept[-1])
            height = float(np.median([v.h for v in kept[-1]]))
            if top - max(v.bottom for v in line) > T.BLANK_GRID_HEADING_GAP * height:
                break
        kept.append(line)
    return [w for line in reversed(kept) for w in sorted(line, key=lambda w: w.x)]


def _digit_reads(question: Question) -> tuple[int, int]:
    """(labels that read as their place's digit, labels that read as another digit) of a question whose
    k-th box would be the digit k (0, 1, 2 …). A label read as anything else (a letter, two digits run
    together, nothing) is neither: Tesseract's misreading of a small digit beside a box."""
    agree = sum(label == str(k) for k, label in enumerate(question.labels))
    wrong = sum(len(label) == 1 and label.isdigit() and label != str(k) for k, label in enumerate(question.labels))
    return agree, wrong


def _reads_as_digits(agree: int, wrong: int, count: int, full: bool) -> bool:
    """Whether ``count`` boxes whose labels read ``agree`` times as their place's digit and ``wrong`` times as
    another (:func:`_digit_reads`, after reading again) are the digits 0 … count-1: a full row or column all
    but at most ``BLANK_DIGIT_MISREAD_MAX`` of them; a shorter one every label read its digit, at most one
    unread."""
    if full:
        return agree >= count - T.BLANK_DIGIT_MISREAD_MAX
    return not wrong and agree >= max(1, count - 1)


def _digit_columns(questions: list[Question], boxes: list, words: list, reader: Callable | None = None) -> None:
    """Rows of boxes labelled 0 … 9 whose print was misread in a label or two (a scanned or image blank:
    «☐0 ☐1 … ☐9» read "0 1 2 L 4 5 6 7 8 g") labelled and coded 0 … 9, so that :func:`number_fields`
    joins them; changed in place.

    A row of ten boxes with at least ``BLANK_DIGIT_REREAD_MIN`` labels read as their digit has the others read again, each
    from its own crop right of its box (``reader``, :func:`omr.template_from.printed.read_label`); it is a
    digit column when then at least ten minus ``BLANK_DIGIT_MISREAD_MAX`` labels read as their digit and the
    others as nothing or another digit. A shorter row (a day's tens «0 1 2 3», a month's «0 1») is one only
    beside such a column on one printed row (:func:`_next_in_row`), its labels read again the same way,
    every label read being its place's digit and at most one unread. Anything else keeps its labels: no guess.
    """
    def again(q: Question) -> Question:
        """``q`` with each label that is not its place's digit read again from its own crop."""
        labels = list(q.labels)
        for k, i in enumerate(q.boxes):
            if labels[k] == str(k) or reader is None:
                continue
            b = boxes[i]
            end = boxes[q.boxes[k + 1]].x if k + 1 < len(q.boxes) else b.x + b.w + T.BLANK_DIGIT_LABEL_MM
            text, _ = reader((b.x + b.w, b.y, min(end - b.x - b.w, T.BLANK_DIGIT_LABEL_MM), b.h))
            text = _clean(text)
            if len(text) == 1 and text.isdigit():
                labels[k] = text
        return Question(q.boxes, q.text, labels)

    full = set()
    for k, q in enumerate(questions):
        if q.comb or len(q.boxes) != 10 or _digit_run(q) or _digit_reads(q)[0] < T.BLANK_DIGIT_REREAD_MIN:
            continue
        if _reads_as_digits(*_digit_reads(again(q)), 10, full=True):
            full.add(k)
    for k, q in enumerate(questions):
        if q.comb or _digit_run(q) or len(q.boxes) < 2 or len(q.boxes) > 10:
            continue
        if k not in full:
            beside = (k + 1 < len(questions) and (k + 1 in full or _digit_run(questions[k + 1])) and
                      _next_in_row(q, questions[k + 1], boxes, words)) or \
                     (k > 0 and (k - 1 in full or _digit_run(questions[k - 1])) and
                      _next_in_row(questions[k - 1], q, boxes, words))
            if not beside:
                continue
            if not _reads_as_digits(*_digit_reads(again(q)), len(q.boxes), full=False):
                continue
        q.labels = [str(d) for d in range(len(q.boxes))]
        q.codes = list(q.labels)


def _page_columns(members: list[int], boxes: list, words: list, size: float) -> list[tuple[float, float]]:
    """The page's newspaper columns (Word: Layout > Columns) as x ranges (mm), left to right; one range
    (the whole page) when it has none.

    A gutter is a vertical strip at least ``BLANK_PAGE_GUTTER_MIN_MM`` wide that no printed word or box
    crosses from a box size above the first of ``members`` (indices into ``boxes``) to a box size below the
    last, with boxes on both sides and, on each side, at least ``BLANK_COLUMN_MIN_QUESTIONS`` question
    starts («Câu 5.», «4.») at the head of their line (no word nor box before them on their side). A grid's
    label column beside its boxes, or options «☐ a) Có» in a tab column, has no question start on one side
    and stays one column. Each side is parted again the same way (three columns)."""
    if len(members) < 2 or not words:
        return [(-np.inf, np.inf)]
    top = min(boxes[i].y for i in members) - 2 * size
    bottom = max(boxes[i].y + boxes[i].h for i in members) + size
    band = [w for w in words if top <= w.y + w.h / 2 <= bottom]
    spans = sorted([(w.x, w.right) for w in band] + [(boxes[i].x, boxes[i].x + boxes[i].w) for i in members])
    gutters = []
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach >= T.BLANK_PAGE_GUTTER_MIN_MM:
            gutters.append((reach, x0))
        reach = max(reach, x1)
    for g0, g1 in sorted(gutters, key=lambda g: g[0] - g[1]):
        cut = (g0 + g1) / 2
        left = [i for i in members if boxes[i].centre[0] < cut]
        right = [i for i in members if boxes[i].centre[0] >= cut]
        if not left or not right:
            continue
        sides = ([w for w in band if w.x < cut], [w for w in band if w.x >= cut])
        if all(_line_starts(side, [boxes[i] for i in own]) >= T.BLANK_COLUMN_MIN_QUESTIONS
               for side, own in zip(sides, (left, right))):
            return ([(x0, min(x1, cut)) for x0, x1 in _page_columns(left, boxes, words, size)] +
                    [(max(x0, cut), x1) for x0, x1 in _page_columns(right, boxes, words, size)])
    return [(-np.inf, np.inf)]


def _line_starts(words: list, boxes: list) -> int:
    """Words of one side of a page that start a question («Câu», «5.», «a)») at the head of their line:
    no word nor box before them on that line."""
    count = 0
    for w in words:
        if not (QUESTION_START.match(w.text) or fold(w.text) == "cau"):
            continue
        mid = w.y + w.h / 2
        before = [v for v in words if v.x < w.x and abs(v.y + v.h / 2 - mid) < 0.5 * w.h] + \
            [b for b in boxes if b.x < w.x and abs(b.centre[1] - mid) < 0.5 * max(w.h, b.h)]
        count += not before
    return count


def _next_in_row(left: Question, right: Question, boxes: list, words: list) -> bool:
    """``right`` goes on where ``left`` ends, on the same printed row, with nothing printed between them but
    ``left``'s last box's digit (the two digit columns of one number, «☐0 … ☐3 | ☐0 … ☐9»)."""
    last = boxes[left.boxes[-1]]
    first = boxes[right.boxes[0]]
    level = abs(first.centre[1] - last.centre[1]) < 0.6 * first.h and first.x > last.x
    # Not printed between: a word that starts before the last box ends (a scanned row's digits read as one
    # word, "|2|1|7J1", running into the gap) or a rule read as text (the "|" between tens and units).
    between = [w for w in _words_between(words, first.y - 0.3 * first.h, first.y + 1.3 * first.h,
                                         last.x + last.w, first.x)
               if w.x >= last.x + last.w - T.BLANK_REREAD_PAD_MM and not RULE_AS_TEXT.fullmatch(w.text)]
    return level and (not between or _is_code(between))


def _is_comb(members: list[int], boxes: list) -> bool:
    """A comb field: at least three cells in a row that share their walls, each taller than wide
    (a place to write one digit), not square choices set apart."""
    if len(members) < 3:
        return False
    cells = sorted((boxes[i] for i in members), key=lambda b: b.x)
    level = all(abs(c.centre[1] - cells[0].centre[1]) < 0.3 * c.h for c in cells)
    touching = all(b.x - (a.x + a.w) < T.BLANK_COMB_MAX_GAP_MM for a, b in zip(cells, cells[1:]))
    tall = all(c.h >= T.BLANK_COMB_MIN_ASPECT * c.w for c in cells)
    return level and touching and tall


def _rows(boxes: list, size: float) -> list[list[int]]:
    return _aligned(boxes, size, 1, 0.6)


def _aligned(boxes: list, size: float, axis: int, share: float) -> list[list[int]]:
    """The boxes (indices) in lines: rows (``axis`` 1: centres level) or columns (``axis`` 0: centres one
    under another), a box joining the line before when its centre is within ``share`` of ``size`` (mm) of the
    line's mean; lines in order along ``axis``, each box of a line in order along the other (by its edge)."""
    order = sorted(range(len(boxes)), key=lambda i: boxes[i].centre[axis])
    lines: list[list[int]] = []
    for i in order:
        if lines and abs(boxes[i].centre[axis] - np.mean([boxes[j].centre[axis] for j in lines[-1]])) < share * size:
            lines[-1].append(i)
        else:
            lines.append([i])
    for line in lines:
        line.sort(key=lambda i: boxes[i].y if axis == 0 else boxes[i].x)
    return lines


def _split_row(row: list[int], boxes: list, words: list, ink, px_per_mm: float) -> list[list[int]]:
    gaps = [boxes[b].x - (boxes[a].x + boxes[a].w) for a, b in zip(row, row[1:])]
    empty_gaps = []
    between = []
    for a, b in zip(row, row[1:]):
        A, B = boxes[a], boxes[b]
        inside = _words_between(words, A.y - 0.3 * A.h, A.y + 1.3 * A.h, A.x + A.w, B.x)
        if inside and all(RULE_AS_TEXT.fullmatch(w.text) for w in inside):
            inside = []  # a printed rule read as text ("||" between a date's tens and units on a 1-bit scan)
        between.append(inside)
        if not inside:
            empty_gaps.append(B.x - (A.x + A.w))
        elif _is_code(inside):
            empty_gaps.append(B.x - inside[-1].right)
    usual = float(np.median(empty_gaps)) if empty_gaps else None
    # A row whose boxes mostly have a digit or letter each («☐0 ☐1 … ☐9»): a box whose label was not read
    # (a scanned blank) leaves a gap from box to box, measured against the row's usual box-to-box gap.
    # A row of one box has no gap: no pitch (None, as for a row with few coded gaps), never a median of nothing.
    coded = [gaps[k] for k, inside in enumerate(between) if inside and _is_code(inside)]
    pitch = float(np.median(coded)) if coded and len(coded) * 2 >= len(gaps) else None
    rules = [_separator(ink, px_per_mm, boxes[a], boxes[b]) for a, b in zip(row, row[1:])]
    # Rules between every pair of boxes are a table's cell borders, not a printed separator.
    if len(rules) >= 2 and sum(rules) >= len(rules) / 2:
        rules = [False] * len(rules)
    # Labels printed before their boxes («Chuyển đổi số ☐   Kỹ năng mềm ☐»): the text between two boxes is the
    # right box's label, and the blank that parts questions is the one before it.
    precede = _labels_precede(row, boxes, words)
    segments = [[row[0]]]
    for k, (a, b) in enumerate(zip(row, row[1:])):
        gap, inside = gaps[k], between[k]
        # The gap that counts is the blank after the left box's label: a long label is not a gap.
        label_end = boxes[a].x + boxes[a].w
        for w in inside:
            if w.x - label_end > T.BLANK_LABEL_WORD_GAP_MM:
                break
            label_end = max(label_end, w.right)
        blank = boxes[b].x - label_end
        if inside and a in precede and b in precede:
            blank = inside[0].x - (boxes[a].x + boxes[a].w)
        split = blank > T.BLANK_QUESTION_GAP_MM or rules[k]
        if not split and usual is not None and (not inside or _is_code(inside)):
            # Boxes without labels, or with a digit or letter each (a date's digits read from a PDF's
            # text layer): a blank wider than the row's usual one parts two questions.
            if inside or pitch is None:
                split = (blank if inside else gap) > T.BLANK_UNLABELLED_GAP_RATIO * usual + 0.5
            else:
                split = gap > T.BLANK_UNLABELLED_GAP_RATIO * pitch + 0.5
        elif not split and inside:
            # The text between two boxes is the left box's label, then maybe the right one's question.
            split = _question_start_after_label(inside)
        if split:
            segments.append([b])
        else:
            segments[-1].append(b)
    return segments


def _is_code(inside: list) -> bool:
    """The text between two boxes is one digit or letter or two with at most one letter (the left box's code,
    "0" … "9", "10", "A"), a box's edge glued to it as Tesseract reads one on a scanned blank ("]1", "[3")
    left out."""
    if len(inside) != 1:
        return False
    text = inside[0].text.strip("[]|")
    # Two letters are a word, not a code: a short label («Nữ», «Có») after its box's neighbour.
    return 0 < len(text) <= 2 and text.isalnum() and sum(c.isalpha() for c in text) <= 1


def _question_start_after_label(inside: list) -> bool:
    """Text between two boxes holds a question's start: a number after the left box's label ("… Nữ
    A6. Độ tuổi"), or a phrase ending in ':' or '?' (the right box's question, "Giới tính:")."""
    for k, w in enumerate(inside):
        if k > 0 and QUESTION_START.match(w.text):
            return True
        if w.text.endswith((":", "?")):
            return True
    return False


def _left_text(segment: list[int], boxes: list, words: list, previous_right: float = 0.0) -> list:
    first = boxes[segment[0]]
    return _words_between(words, first.y - 0.3 * first.h, first.y + 1.3 * first.h, previous_right, first.x)


def _join_rows(segments: list[list[int]], boxes: list, words: list) -> list[Question]:
    questions: list[Question] = []
    previous_right_of: dict[int, float] = {}
    # Where each segment's own left text may start: after the previous segment on the same row.
    for seg in segments:
        first = boxes[seg[0]]
        same_row = [s for s in segments if s is not seg and abs(boxes[s[-1]].centre[1] - first.centre[1]) < first.h * 0.6
                    and boxes[s[-1]].x < first.x]
        previous_right_of[id(seg)] = max((boxes[s[-1]].x + boxes[s[-1]].w for s in same_row), default=0.0)
    for seg in segments:
        left = _left_text(seg, boxes, words, previous_right_of[id(seg)])
        own_question = _is_question_text(left)
        if questions and not own_question and previous_right_of[id(seg)] == 0.0:
            last = questions[-1]
            last_box = boxes[last.boxes[-1]]
            first = boxes[seg[0]]
            close = 0 < first.centre[1] - last_box.centre[1] < T.BLANK_STACK_MAX_MM
            # Nothing printed to its left: also no word that starts left of the box and runs over it (a
            # line of small rings read as one junk word, "Câu5.@®@®©®", has its centre among the rings).
            over = [w for w in words if first.y - 0.3 * first.h <= w.y + w.h / 2 <= first.y + 1.3 * first.h
                    and w.x < first.x - first.w and w.right > first.x + first.w / 2]
            wrapped = not left and not over and abs(first.x - min(boxes[i].x for i in last.boxes)) < T.BLANK_INDENT_MM
            # Options one per line: lone boxes one under another (labels right, or left with leaders
            # that end wherever the label's dots end).
            rows_of_last = [round(boxes[i].centre[1] / max(0.5, 0.6 * first.h)) for i in last.boxes]
            lone_column = len(seg) == 1 and len(set(rows_of_last)) == len(rows_of_last)
            if close and (wrapped or lone_column):
                last.boxes += seg
                continue
        questions.append(Question(list(seg)))
    return questions


def _labels_precede(members: list[int], boxes: list, words: list) -> set[int]:
    """Boxes of a question whose label is printed before them ("1 lần ☐ 2 lần ☐ 3 lần ☐").

    Decided per printed row of the question's boxes: labels precede the boxes when the row has two
    boxes or more, every box has text right before it (after the previous box), and nothing is printed
    after the last box up to the next box of the page (or the row's end). A label after each box
    ("☐ Nam ☐ Nữ") leaves text after the last box; bubbles with nothing between them ("① ② ③")
    lack text before the second. Returns the indices (into ``boxes``) of those rows' boxes.
    """
    rows: dict[int, list[int]] = {}
    for i in members:
        level = next((r for r in rows if abs(boxes[r].centre[1] - boxes[i].centre[1]) < 0.6 * boxes[i].h), i)
        rows.setdefault(level, []).append(i)
    before: set[int] = set()
    for row in rows.values():
        if len(row) < 2:
            continue
        row.sort(key=lambda i: boxes[i].x)
        ok = all(_label_before(boxes[i], boxes, words, first=i == row[0]) for i in row)
        last = boxes[row[-1]]
        band = (last.y - 0.3 * last.h, last.y + 1.3 * last.h)
        level = [b for b in boxes if abs(b.centre[1] - last.centre[1]) < 0.6 * last.h and b is not last]
        next_x = min((b.x for b in level if b.x > last.x), default=1e9)
        after = [w for w in _words_between(words, *band, last.x + last.w, next_x) if _clean(w.text)]
        if ok and not after:
            before.update(row)
    return before


def _label_before(box, boxes: list, words: list, first: bool) -> str:
    """The label printed right before ``box``: the words after the previous box on its row; for a row's
    first box only those after the question's own text (a word ending in ':' or '?') and after the last
    blank wider than ``BLANK_LABEL_WORD_GAP_MM``."""
    return _clean(" ".join(w.text for w in _label_before_words(box, boxes, words, first)))


def _label_before_words(box, boxes: list, words: list, first: bool) -> list:
    """The words of :func:`_label_before`, in x order."""
    band = (box.y - 0.3 * box.h, box.y + 1.3 * box.h)
    level = [b for b in boxes if abs(b.centre[1] - box.centre[1]) < 0.6 * box.h and b is not box]
    prev_right = max((b.x + b.w for b in level if b.x < box.x), default=0.0)
    left = _words_between(words, *band, prev_right, box.x)
    if first:
        for k in range(len(left) - 1, -1, -1):
            if left[k].text.endswith((":", "?")) or (k + 1 < len(left) and
                                                      left[k + 1].x - left[k].right > T.BLANK_LABEL_WORD_GAP_MM):
                left = left[k + 1:]
                break
    return left


def _label(question: Question, boxes: list, words: list, ink: np.ndarray | None = None,
           px_per_mm: float = 1.0, reader: Callable | None = None) -> None:
    labels, codes = [], []
    members = question.boxes
    precede = _labels_precede(members, boxes, words)
    heading_of: dict[int, str] = {}
    letter_of: dict[int, str] = {}  # the letter or digit printed in a lettered bubble
    for k, i in enumerate(members):
        box = boxes[i]
        if i in precede:
            first = all(boxes[j].x >= box.x for j in precede if abs(boxes[j].centre[1] - box.centre[1]) < 0.6 * box.h)
            before = _label_before_words(box, boxes, words, first)
            text = _reread(_clean(" ".join(w.text for w in before)), before, reader, _area(before))
            labels.append(text or f"Lựa chọn {k + 1}")
            codes.append(str(k + 1))
            continue
        # A circled character of a PDF's text layer (Ⓐ, ①) is the bubble itself: its glyph box is the ring's,
        # a little wider than the ring's hole-based outline; any other word must fit inside the box.
        inside = [w for w in words if box.contains(w.x + w.w / 2, w.y + w.h / 2) and (w.w < box.w or _circled(w))]
        letter = "".join(w.text for w in inside).strip()
        row_boxes = sorted((b for b in boxes if abs(b.centre[1] - box.centre[1]) < 0.6 * box.h and b is not box),
                           key=lambda b: b.x)
        next_x = min((b.x for b in row_boxes if b.x > box.x), default=1e9)
        prev_right = max((b.x + b.w for b in row_boxes if b.x < box.x), default=0.0)
        band = (box.y - 0.3 * box.h, box.y + 1.3 * box.h)
        right = _words_between(words, *band, box.x + box.w, next_x)
        glued = [w for w in words if w.x < box.x + box.w <= w.right and band[0] <= w.y + w.h / 2 <= band[1]
                 and w not in right]
        # A word that starts inside the box holds the box's edge read as letters ("[130-45").
        right = [_outside(w, box, next_x) for w in glued] + [
            _outside(w, box, next_x) if w.x < box.x + box.w and w.symbols else w for w in right]
        text = _clean(" ".join(w.text for w in right))
        used = right
        if right and QUESTION_START.match(right[0].text) and not text[:1].isdigit():
            text = ""
        if _is_question_text(right):
            # Text ending in ':' right of a box is the next question's: the label stops before it.
            kept = []
            for w in right:
                if QUESTION_START.match(w.text) and kept:
                    break
                kept.append(w)
            text = _clean(" ".join(w.text for w in kept)) if not QUESTION_START.match(right[0].text) else ""
            used = kept
        if (text in BOX_AS_LETTERS or (len(text.replace(" ", "")) <= 2 and not text.isdigit()
                                       and _in_grid(box, boxes))) and _column_heading(box, boxes, words,
                                                                                      ink, px_per_mm):
            # A grid's box read by Tesseract as one or two letters ("L", "T", "ỊL") beside this one: not a
            # label; the column's heading is (a 1-5 table's rows read "L 2 3 L L", "1 T 3 4 5" from a scan).
            text = ""
        if box.kind == "round" and box.glyph is not None and not any(
                len(t) >= 2 and t.isalpha() for t in text.split()):
            text = ""  # Tesseract's page reading of the ring itself ("©", "6@", "Ø0 6", "7"), no word beside it
        if text:
            text = _reread(text, used, reader, _area(used))
        if not text:
            left = _words_between(words, *band, prev_right, box.x)
            leader = _leader_runs_to_box(left) or bool(left and _leader_drawn(ink, px_per_mm, left[-1].right, box))
            if left and leader and not _is_question_text(left):
                text = _reread(_clean(" ".join(w.text for w in left)), left, reader, _area(left))
        if not text:
            heading, x0, x1 = _column_heading_words(box, boxes, words, ink, px_per_mm)
            text = _clean(" ".join(w.text for w in heading))
            if heading:
                # The heading's cell, its whole width: a word Tesseract lost ("Rất" of a wrapped heading)
                # is read again with the others.
                # Kept inside the cell's walls (the table's rules run at x0 and x1).
                y0, y1 = min(w.y for w in heading), max(w.bottom for w in heading)
                inset = T.BLANK_REREAD_PAD_MM + T.BLANK_HEADING_INSET_MM
                text = _reread(text, heading, reader, (x0 + inset, y0, x1 - x0 - 2 * inset, y1 - y0))
            heading_of[k] = text
        if box.glyph == "" and letter.isdigit():
            letter = ""  # the ring's own reading was unsure: the page reading's digit is no surer ("7" for ④)
        lettered = box.kind == "round" and (box.lettered or any(_circled(w) for w in inside))
        if lettered and letter and len(letter) <= 2 and letter.isalnum():
            codes.append(letter)
            letter_of[k] = letter
            text = text or letter
        else:
            codes.append(str(k + 1))
        labels.append(text or f"Lựa chọn {k + 1}")
    # A column's heading labels a grid's boxes only when most of the boxes that need one have one: a
    # line above a row that reaches only its first box ("Số báo danh" over "① ② ③ ④") is a heading
    # of something else, not a label.
    if len(heading_of) >= 2 and sum(bool(t) for t in heading_of.values()) * 2 <= len(heading_of):
        for k, text in heading_of.items():
            if text and labels[k] == text:
                labels[k] = letter_of.get(k) or f"Lựa chọn {k + 1}"
    # The digits read inside each ring on a scanned blank (Tesseract's page reading takes a circled digit
    # for "®", "@", "6©") count only as a run: a letter in a drawn bubble (B, D) may read as a digit.
    rings = [boxes[i].kind == "round" and boxes[i].lettered for i in members]
    sequence = _circled_sequence([boxes[i].glyph if ring else None for i, ring in zip(members, rings)])
    if sequence is None:
        # Circled letters (Ⓐ Ⓑ Ⓒ Ⓓ, ⓐ ⓑ ⓒ), read letters only: a run of the alphabet, in the case most read.
        sequence = _circled_sequence([boxes[i].letter if ring else None for i, ring in zip(members, rings)],
                                     LETTER_RUN)
    if sequence is not None:
        for k, value in enumerate(sequence):
            if labels[k] in (f"Lựa chọn {k + 1}", letter_of.get(k)):
                labels[k] = value
            codes[k] = value
    question.labels = _digit_scale(labels)
    if len(set(codes)) != len(codes):
        codes = [str(k + 1) for k in range(len(members))]
    if len(set(question.labels)) == len(members) and all(label.isdigit() for label in question.labels):
        # Numbers printed as the labels (a date's digits «0 … 9», years «2025 2026»): each box's code is its
        # number, so that a number field joins the digits marked (labels, :func:`number_fields`).
        codes = list(question.labels)
    question.codes = codes
    question.text = _question_text(question, boxes, words, ink, px_per_mm)
    question.multiple = len(members) == 1 or asks_for_several(question.text)


def _digit_run(question: Question) -> bool:
    """A question whose options are the digits 0 … k in order (k >= 1): one digit of a number."""
    return len(question.labels) >= 2 and question.labels == [str(d) for d in range(len(question.labels))]


def number_fields(questions: list[Question], boxes: list, words: list) -> list[tuple[list[int], str]]:
    """Questions that are the digits of one number written by marking a box per digit (omr's date:
    «Ngày: ☐0 … ☐3 | ☐0 … ☐9», the day's tens then its units), as (indices into ``questions``, the
    row's printed name or "").

    Two or more questions in a row, one after another on one printed row, each with the digits 0 … k
    as its labels in order (:func:`_digit_run`), with nothing printed between two of them but the last
    box's digit (no question text of its own). Rows one under another are separate numbers (a day
    and a month): a digit's place is told by the row, never by a guess across rows.
    """
    fields: list[tuple[list[int], str]] = []
    run: list[int] = []

    def close() -> None:
        if len(run) < 2:
            return
        if column := _column_name(questions[run[0]], boxes):
            fields.append((list(run), column))
        else:
            name = [w for w in _left_text(questions[run[0]].boxes, boxes, words) if not _is_code([w])]
            # The row's name ends at its colon: after it, a scanned box's edge read as letters ("Tháng:[L").
            fields.append((list(run), _clean(" ".join(w.text for w in name).split(":")[0])))

    for k, q in enumerate(questions):
        if not _digit_run(q) or q.comb:
            close()
            run = []
            continue
        if run:
            if _next_in_row(questions[run[-1]], q, boxes, words) or _next_column(questions[run[-1]], q, boxes):
                run.append(k)
                continue
            close()
        run = [k]
    close()
    return fields


def _column_name(question: Question, boxes: list) -> str:
    """The name of a vertical digit column's number (:func:`_vertical_digit_grid`): its heading before a
    bracket or a comma («Ngày (chục)», «Ngày, hàng đơn vị» -> «Ngày»); "" for a row of boxes or a column
    with no heading."""
    cells = [boxes[i] for i in question.boxes]
    if len(cells) < 2 or any(abs(c.centre[0] - cells[0].centre[0]) > 0.5 * cells[0].w for c in cells):
        return ""
    return re.split(r"[(,:\-–]", question.text)[0].strip()


def _next_column(left: Question, right: Question, boxes: list) -> bool:
    """``right`` is the next digit of ``left``'s number in a vertical grid: both columns (their first boxes
    level, ``right`` to the right) headed by the same name (:func:`_column_name`: «Ngày (chục)», «Ngày (đơn
    vị)»). Columns named apart («Ngày …», «Tháng …») or not named are separate numbers: no guess."""
    a, b = boxes[left.boxes[0]], boxes[right.boxes[0]]
    name = _column_name(left, boxes)
    return bool(name) and abs(a.centre[1] - b.centre[1]) < 0.6 * b.h and b.x > a.x and \
        fold(name) == fold(_column_name(right, boxes))


def _circled_sequence(reads: list[str | None], alphabet: str = "0123456789") -> list[str] | None:
    """The digits of a question's lettered rings as one run (① ② ③ ④ ⑤ or ⑤ ④ … ①), from what was read
    inside each on a scanned blank (``None``: not a lettered ring, "": not read). With ``alphabet`` =
    :data:`LETTER_RUN` the readings are letters, compared whatever their case (Ⓐ Ⓑ Ⓒ Ⓓ, ⓐ ⓑ ⓒ), and the run
    is written in the case most readings have (capitals on a tie).

    Every ring must be lettered. The run (first digit, step +1 or -1) that most readings agree with is
    taken when at least ``BLANK_CIRCLED_RUN_SHARE`` of the rings and ``BLANK_CIRCLED_RUN_MIN`` readings
    agree with it (or both rings of a question of two, in print order), and the
    readings that disagree are none, or one per ``BLANK_CIRCLED_RUN_AGREE`` that agree (a misread
    overruled by its row). Returns the run's digits, one per ring, or None (each ring keeps its own
    reading, an unread one its place number).
    """
    if len(reads) < 2 or any(r is None for r in reads):
        return None
    values = [(k, alphabet.index(r.upper())) for k, r in enumerate(reads) if r and len(r) == 1 and r.upper() in alphabet]
    best = None
    for step in (1, -1):
        for k0, v0 in values:
            start = v0 - step * k0
            agree = sum(v == start + step * k for k, v in values)
            if best is None or agree > best[0]:
                best = (agree, start, step)
    if best is None:
        return None
    agree, start, step = best
    disagree = sum(1 for r in reads if r) - agree
    # Two readings make a run only as the whole of a question of two rings, in print order (1 2, 3 4).
    enough = agree >= T.BLANK_CIRCLED_RUN_MIN or (len(reads) == 2 and agree == 2 and step == 1)
    if not enough or agree < T.BLANK_CIRCLED_RUN_SHARE * len(reads) or (
            disagree and agree < T.BLANK_CIRCLED_RUN_AGREE * disagree + 1):
        return None
    run = [start + step * k for k in range(len(reads))]
    if not all(0 <= v < len(alphabet) for v in run):
        return None
    lower = sum(bool(r) and r.islower() for r in reads) > sum(bool(r) and r.isupper() for r in reads)
    return [alphabet[v].lower() if lower else alphabet[v] for v in run]


def _digit_scale(labels: list[str]) -> list[str]:
    """A scale's labels made consistent: when every label read is the digit of its place (1..n in order,
    the column headings of a 1-5 table) and the others were not read ("Lựa chọn k"), all become digits.

    A second new-user trial's 1-5 table was proposed as 1, «Lựa chọn 2», «Lựa chọn 3», 4, 5: the headings
    of the narrow columns were read for some columns only. Any other label read leaves the labels as they are.
    """
    read = [k for k, text in enumerate(labels) if text != f"Lựa chọn {k + 1}"]
    if len(labels) < 2 or not read or any(labels[k] != str(k + 1) for k in read):
        return labels
    return [str(k + 1) for k in range(len(labels))]


# Printed phrases that ask for several answers. "nhiều" alone is not one: "đi lại nhiều lần" (many times) is a
# yes/no question, and taking it for "choose several" reads both boxes ticked as a valid answer, silently (a new
# user's trial: «Ông/Bà có phải đi lại nhiều lần không?» ☐ Có ☐ Không). A question wrongly left single-choice
# only sends a double mark to review, so the phrases are the explicit ones.
_SEVERAL = re.compile(
    r"(?:chọn|đánh dấu|tích|khoanh)\s+(?:được\s+)?nhiều"
    r"|nhiều\s+(?:lựa\s+chọn|phương\s+án|đáp\s+án|ô|câu\s+trả\s+lời)"
    r"|có\s+thể\s+(?:chọn|đánh\s+dấu|tích)"
    r"|(?:mọi|tất\s+cả(?:\s+các)?)\s+(?:ô|phương\s+án|lựa\s+chọn)\s+phù\s+hợp",
    re.IGNORECASE)


def asks_for_several(text: str) -> bool:
    """Whether a question's printed text asks for several answers ("có thể chọn nhiều", "chọn nhiều phương án",
    "đánh dấu mọi ô phù hợp"), in NFC Vietnamese. "nhiều" on its own ("nhiều lần") does not."""
    return bool(_SEVERAL.search(nfc(text)))


def _circled(word) -> bool:
    """A word of a PDF's text layer that is one circled digit or letter typed as a bubble (①, Ⓐ, ⓐ)."""
    return word.exact and len(word.symbols) == 1 and is_circled_character(word.symbols[0][0])


def _outside(word, box, next_x: float = 1e9):
    """A word Tesseract read across a box and its label ("☐30" as "130"), keeping only the letters right
    of the box (by their own boxes): a character starting inside the box is its edge read as a letter
    ("☐30" read "[130": the "1" begins 1 mm inside the box's right wall), within ``BLANK_EDGE_AS_LETTER_MM``,
    and before the row's next box at ``next_x`` mm (a row of digit boxes «☐0 ☐1 … ☐9» read as one word is
    ten labels, not one)."""
    edge = box.x + box.w - T.BLANK_EDGE_AS_LETTER_MM
    symbols = tuple(sym for sym in word.symbols if sym[1] >= edge and box.x + box.w < sym[1] + sym[3] / 2 < next_x)
    kept = nfc("".join(circled_character(sym[0]) for sym in symbols))  # a text layer's symbols are as printed ("①")
    return type(word)(kept, word.confidence, box.x + box.w, word.y, max(0.1, min(word.right, next_x) - box.x - box.w), word.h,
                      word.line, symbols, word.exact)


def _in_grid(box, boxes: list) -> bool:
    """Whether ``box`` is in a grid: another box level with it, and another in its column on another row."""
    level = any(b is not box and abs(b.centre[1] - box.centre[1]) < 0.6 * box.h for b in boxes)
    column = any(abs(b.centre[0] - box.centre[0]) < 0.6 * box.w and abs(b.centre[1] - box.centre[1]) >= 0.6 * box.h
                 for b in boxes)
    return level and column


def _column_heading(box, boxes: list, words: list, ink: np.ndarray | None = None, px_per_mm: float = 1.0) -> str:
    """The printed heading above a column of boxes (a satisfaction grid), up to 25 mm above its top box."""
    return _clean(" ".join(w.text for w in _column_heading_words(box, boxes, words, ink, px_per_mm)[0]))


def _column_heading_words(box, boxes: list, words: list, ink: np.ndarray | None = None,
                          px_per_mm: float = 1.0) -> tuple[list, float, float]:
    """The words of :func:`_column_heading` (by line, then x) and the x-range (mm) of its cell; ``ink``
    (the page's ink map, ``px_per_mm``), when given, says where the table's column rules are drawn."""
    # The column's heading cell reaches halfway to the neighbouring columns' boxes.
    row = sorted(b.centre[0] for b in boxes if abs(b.centre[1] - box.centre[1]) < 0.6 * box.h)
    cx = box.centre[0]
    left = max((x for x in row if x < cx - 0.5 * box.w), default=None)
    right = min((x for x in row if x > cx + 0.5 * box.w), default=None)
    pitch = (right - cx) if right is not None else (cx - left) if left is not None else 4 * box.w
    left = cx - pitch if left is None else left
    right = cx + pitch if right is None else right
    x0, x1 = (cx + left) / 2, (cx + right) / 2
    # The grid's column: the boxes straight above this one with no print between them in the column's
    # cell (a heading, another question's options set in that column: «Trực tiếp … ☐» above the grid).
    top = box.y
    for b in sorted((b for b in boxes if abs(b.centre[0] - cx) < 0.6 * box.w and b.y < top), key=lambda b: -b.y):
        if any(b.y + b.h <= w.y + w.h / 2 <= top and x0 <= w.x + w.w / 2 <= x1 and not RULE_AS_TEXT.fullmatch(w.text)
               for w in words):
            break
        top = b.y
    level = [b for b in boxes if abs(b.centre[1] - box.centre[1]) < 0.6 * box.h]
    # A tall first row (its label wrapped over lines, the box set in its middle): the heading is read up to
    # BLANK_HEADING_MAX_MM above the rule drawn over the row, not above the box.
    ceiling = _row_top(ink, px_per_mm, x0, x1, top) - T.BLANK_HEADING_MAX_MM
    header = _header_lines(top, row, pitch, boxes, words, _column_rules(ink, px_per_mm, level, pitch),
                           _own_label_lines(top, row, pitch, words, ink, px_per_mm, ceiling), ceiling)
    above = [w for w in words if ceiling <= w.y + w.h / 2 < top and x0 <= w.x + w.w / 2 <= x1 and w.line in header]
    # Only the lines right above: a heading, not a question far up the page.
    if not above:
        return [], x0, x1
    return _wrapped_heading(above), x0, x1


def _wrapped_heading(above: list) -> list:
    """The lines of a heading cell's words (``above``), nearest the boxes first, up while the blank
    between two lines is under ``BLANK_CELL_GAP_LINES`` of a line's height (a heading wrapped in its narrow
    column: «Rất không / hài lòng»), in reading order (by line, then x). A line set further up is another
    thing's (a question far up the page), not the heading's."""
    above = [w for w in above if not RULE_AS_TEXT.fullmatch(w.text)]
    lines: dict[int, list] = {}
    for w in above:
        lines.setdefault(w.line, []).append(w)
    order = sorted(lines.values(), key=lambda ws: -max(w.bottom for w in ws))
    kept = list(order[0]) if order else []
    for previous, line in zip(order, order[1:]):
        height = float(np.median([w.h for w in previous + line]))
        if min(w.y for w in previous) - max(w.bottom for w in line) > T.BLANK_CELL_GAP_LINES * height:
            break
        kept += line
    kept.sort(key=lambda w: (w.line, w.x))
    return kept


def _column_rules(ink: np.ndarray | None, px_per_mm: float, row: list, pitch: float) -> list[float]:
    """The x (mm) of the vertical rules drawn between the boxes of one row of a table (``row``: its boxes),
    and before its first and after its last box within ``pitch`` mm (or the next box's distance): ink columns solid
    (``BLANK_CELL_RULE_SOLID``) over the row's height, outside every box. Empty without ``ink``.

    A Word table's columns are as wide as their headings, its boxes set anywhere in them: the halfway
    points between boxes are not its borders (the fresh user's «Bình thường | HL» header cells).
    """
    if ink is None or not row:
        return []
    y0, y1 = min(b.y for b in row), max(b.y + b.h for b in row)
    centres = sorted(b.centre[0] for b in row)
    # The outer rules are looked for as far out as the neighbouring column's box is (a wide first column).
    before = max(pitch, centres[1] - centres[0]) if len(centres) > 1 else pitch
    after = max(pitch, centres[-1] - centres[-2]) if len(centres) > 1 else pitch
    x0, x1 = min(b.x for b in row) - before, max(b.x + b.w for b in row) + after
    r0, r1 = max(0, int(y0 * px_per_mm)), min(ink.shape[0], int(np.ceil(y1 * px_per_mm)))
    c0, c1 = max(0, int(x0 * px_per_mm)), min(ink.shape[1], int(np.ceil(x1 * px_per_mm)))
    if r1 - r0 < 2 or c1 <= c0:
        return []
    solid = np.nonzero((ink[r0:r1, c0:c1] > 0).mean(axis=0) >= T.BLANK_CELL_RULE_SOLID)[0]
    xs = [(c0 + c + 0.5) / px_per_mm for c in solid]
    margin = T.BLANK_CELL_WALL_MM
    xs = [x for x in xs if not any(b.x - margin <= x <= b.x + b.w + margin for b in row)]
    rules: list[float] = []
    for x in sorted(xs):  # one rule per run of neighbouring columns
        if rules and x - rules[-1][-1] <= margin:
            rules[-1].append(x)
        else:
            rules.append([x])
    return [float(np.mean(r)) for r in rules]


def _row_top(ink: np.ndarray | None, px_per_mm: float, x0: float, x1: float, top: float) -> float:
    """The y (mm) of the lowest rule drawn across ``x0``..``x1`` (a grid column's cell, mm) less than
    ``BLANK_HEADING_MAX_MM`` above ``top`` (its top box's top, mm): the top of the box's table row; ``top``
    itself without ``ink`` or such a rule."""
    if ink is None:
        return top
    c0, c1 = max(0, int(x0 * px_per_mm)), min(ink.shape[1], int(x1 * px_per_mm))
    r0, r1 = max(0, int((top - T.BLANK_HEADING_MAX_MM) * px_per_mm)), min(ink.shape[0], int(top * px_per_mm))
    if c1 - c0 < 2 or r1 <= r0:
        return top
    ruled = np.nonzero((ink[r0:r1, c0:c1] > 0).mean(axis=1) >= T.BLANK_CELL_RULE_SOLID)[0]
    return (r0 + int(ruled[-1])) / px_per_mm if ruled.size else top


def _own_label_lines(top: float, row_x: list[float], pitch: float, words: list, ink: np.ndarray | None,
                     px_per_mm: float, ceiling: float) -> set[int]:
    """The printed lines above a grid's top box (``top`` mm) that are its top row's own label, wrapped in
    the label column left of the grid («3. Công chức lịch sự, tôn / trọng» set level with its boxes): all
    their words left of the first column (``row_x[0] - pitch / 2``) and no rule drawn between them and the
    box (:func:`_rule_between`: a header cell «Nội dung» is ruled off from the row); lines below
    ``ceiling`` (mm). Empty without ``ink``."""
    if ink is None or not row_x:
        return set()
    lines: dict[int, list] = {}
    for w in words:
        if ceiling <= w.y + w.h / 2 < top:
            lines.setdefault(w.line, []).append(w)
    edge = row_x[0] - pitch / 2
    return {n for n, line in lines.items() if max(w.right for w in line) < edge and not _rule_between(
        ink, px_per_mm, min(w.x for w in line), max(w.right for w in line), max(w.bottom for w in line), top)}


def _header_lines(top: float, row_x: list[float], pitch: float, boxes: list, words: list,
                  rules: list[float] | None = None, own: set[int] | frozenset = frozenset(),
                  ceiling: float | None = None) -> set[int]:
    """The printed lines that make a grid's own header row: the lines right above its top box (within
    ``BLANK_HEADING_MAX_MM``), nearest first, up to the first line that is not a heading.

    A line is not a grid's heading when it holds boxes (another question's options: «☐ Dưới 30 … ☐ Trên
    60» printed above a 1-5 table), reads as a question's text ("Câu 3.", ends in ':' or '?'), or runs
    across a border between the grid's columns (a sentence: words closer than ``BLANK_LABEL_WORD_GAP_MM``
    on both sides of a border; a header cell's words stay in their cell). So a column whose heading was
    not read (an OCR miss, an empty cell) gets none, never the text of another question (issue #16).

    Args:
        top: the top (mm) of the grid's top box.
        row_x: the centres (mm) of the boxes of one row of the grid, in x order.
        pitch: the distance (mm) between neighbouring columns (or a box's width times 4 for a lone box).
        rules: the x (mm) of the table's column rules drawn between the boxes (:func:`_column_rules`):
            where there are, they are the borders, and two words either side of a drawn rule are two cells'.
        own: lines of the grid's top row's own label (:func:`_own_label_lines`), passed over.
        ceiling: the highest y (mm) read (default ``top - BLANK_HEADING_MAX_MM``; :func:`_row_top`).
    Returns:
        The ``line`` numbers of the header's lines (empty when none).
    """
    ceiling = top - T.BLANK_HEADING_MAX_MM if ceiling is None else ceiling
    near = {w.line for w in words if ceiling <= w.y + w.h / 2 < top}
    lines: dict[int, list] = {}
    for w in words:  # each line whole, not only its words inside the band (a sentence's taller letters)
        if w.line in near:
            lines.setdefault(w.line, []).append(w)
    borders = [(a + b) / 2 for a, b in zip(row_x, row_x[1:])]
    if row_x:
        borders += [row_x[0] - pitch / 2, row_x[-1] + pitch / 2]
    drawn = []
    if rules:
        # Each gap between two boxes whose rule is drawn has it as its border, no halfway point.
        gaps = list(zip(row_x, row_x[1:]))
        drawn = [r for r in rules if any(a < r < b for a, b in gaps)]
        borders = [(a + b) / 2 for a, b in gaps if not any(a < r < b for r in drawn)]
        if row_x:  # the table's outer rules, nearest the first and last boxes, else half a pitch out
            before, after = [r for r in rules if r < row_x[0]], [r for r in rules if r > row_x[-1]]
            drawn += [max(before)] if before else []
            drawn += [min(after)] if after else []
            borders += [] if before else [row_x[0] - pitch / 2]
            borders += [] if after else [row_x[-1] + pitch / 2]
    header: set[int] = set()
    for number in sorted(lines, key=lambda n: -max(w.bottom for w in lines[n])):
        if number in own:
            continue
        line = sorted(lines[number], key=lambda w: w.x)
        y0, y1 = min(w.y for w in line), max(w.bottom for w in line)
        holds_boxes = any(y0 - 0.5 <= b.centre[1] <= y1 + 0.5 for b in boxes if b.y + b.h <= top + 0.01)
        if holds_boxes or _is_question_text(line) or _runs_across(line, borders) or _runs_across(line, drawn, True):
            break
        header.add(number)
    return header


def _runs_across(line: list, borders: list[float], drawn: bool = False) -> bool:
    """A printed line (words in x order) that runs across one of ``borders`` (mm): a word over it, or two
    words either side of it set as one phrase (less than ``BLANK_LABEL_WORD_GAP_MM`` apart). A table's
    vertical rule read as a word ("|", "]") is the border itself, not a word across it. Small print sets
    its spaces closer: two words more than ``BLANK_PHRASE_GAP_HEIGHTS`` of their height apart are two cells'
    (omr's scale header at 6.5 pt, «thường | Hài lòng» 3.7 mm apart in 12 mm columns). A ``drawn`` border
    is a printed rule: words either side of it are one phrase only when set a space apart (under
    ``BLANK_RULED_PHRASE_GAP_HEIGHTS`` of their height: a sentence above the table)."""
    line = [w for w in line if not RULE_AS_TEXT.fullmatch(w.text)]
    for border in borders:
        if any(w.x < border < w.right for w in line):
            return True
        for a, b in zip(line, line[1:]):
            heights = T.BLANK_RULED_PHRASE_GAP_HEIGHTS if drawn else T.BLANK_PHRASE_GAP_HEIGHTS
            phrase_gap = min(T.BLANK_LABEL_WORD_GAP_MM, heights * max(a.h, b.h))
            if a.right <= border <= b.x and b.x - a.right < phrase_gap:
                return True
    return False


def _row_band(box, boxes: list) -> tuple[float, float]:
    """The band of the page a row of a grid of boxes owns: halfway to the rows above and below, at most
    ``BLANK_ROW_BAND_MM`` each way, at least the box's own height (a row label in a tall table cell
    wraps to lines above and below its boxes)."""
    cy = box.centre[1]
    level = (box.y - 0.3 * box.h, box.y + 1.3 * box.h)
    row_x = [b.centre[0] for b in boxes if abs(b.centre[1] - cy) < 0.6 * box.h]
    in_grid = len(row_x) >= 2 and any(
        abs(b.centre[1] - cy) >= 0.6 * box.h and abs(b.centre[1] - cy) < 3 * T.BLANK_ROW_BAND_MM
        and sum(abs(b.centre[0] - x) < 0.6 * box.w for x in row_x) > 0
        and sum(abs(o.centre[0] - x) < 0.6 * box.w for o in boxes if abs(o.centre[1] - b.centre[1]) < 0.6 * box.h
                for x in row_x) >= 2
        for b in boxes)
    if not in_grid:
        return level
    others = [b.centre[1] for b in boxes if abs(b.centre[1] - cy) >= 0.6 * box.h]
    above = max((y for y in others if y < cy), default=cy - 2 * T.BLANK_ROW_BAND_MM)
    below = min((y for y in others if y > cy), default=cy + 2 * T.BLANK_ROW_BAND_MM)
    reach_up = min(T.BLANK_ROW_BAND_MM, max(0.8 * box.h, (cy - above) / 2))
    reach_down = min(T.BLANK_ROW_BAND_MM, max(0.8 * box.h, (below - cy) / 2))
    return cy - reach_up, cy + reach_down


def _rule_between(ink: np.ndarray | None, px_per_mm: float, x0: float, x1: float, y0: float, y1: float) -> bool:
    """A horizontal rule printed across x0..x1 (mm) between y0 and y1 (mm): a table's cell border."""
    if ink is None or y1 <= y0:
        return False
    c0, c1 = max(0, int(x0 * px_per_mm)), min(ink.shape[1], int(x1 * px_per_mm))
    r0, r1 = max(0, int(y0 * px_per_mm)), min(ink.shape[0], int(np.ceil(y1 * px_per_mm)))
    if c1 - c0 < 2 or r1 <= r0:
        return False
    strip = ink[r0:r1, c0:c1] > 0
    return bool((strip.mean(axis=1) >= 0.8).any())


def _cell_text(first, boxes: list, words: list, start: float, ink: np.ndarray | None = None,
               px_per_mm: float = 1.0) -> list | None:
    """The words of a grid row's own label cell, its wrapped lines all together, or None when no line of
    text is level with the row's boxes (then the row's band decides, :func:`_row_band`).

    The lines left of the box, within 3 bands above and below, are cut into cells: a new cell starts at
    a question's number ("Câu 5."), at a rule printed across the lines' width between two lines (the
    table's border, from ``ink``), at a gap wider than ``BLANK_CELL_GAP_LINES`` line heights (the
    cell's padding), or at a line level with another row's boxes. A cell of 3 lines whose
    boxes sit by its first line (Word's top-aligned cells) owns its last line, which the band halfway
    to the next row would give to that row ("tận tình Câu 5. …").
    """
    reach = 3 * T.BLANK_ROW_BAND_MM
    cy = first.centre[1]
    near = [w for w in words if cy - reach <= w.y + w.h / 2 <= cy + reach]
    lines: dict[int, list] = {}
    for w in near:
        lines.setdefault(w.line, []).append(w)
    rows_y = sorted({round(b.centre[1], 1) for b in boxes if b.x >= start})
    found = []
    def in_a_box(w) -> bool:  # a text layer's ☐ glyph is on its line: the box, not text running on
        cx, cy_ = w.x + w.w / 2, w.y + w.h / 2
        return any(b.x - 0.5 <= cx <= b.x + b.w + 0.5 and b.y - 0.5 <= cy_ <= b.y + b.h + 0.5 for b in boxes)

    for line_words in lines.values():
        if any(w.x + w.w / 2 > first.x and not in_a_box(w) for w in line_words):
            continue  # runs on past the box: a heading or a question of its own
        own = sorted((w for w in line_words if start <= w.x + w.w / 2 <= first.x), key=lambda w: w.x)
        if not own:
            continue
        y0, y1 = min(w.y for w in own), max(w.y + w.h for w in own)
        height = y1 - y0
        row = next((y for y in rows_y if y0 - 0.25 * height <= y <= y1 + 0.25 * height), None)
        found.append((y0, y1, row, own))
    if not found:
        return None
    found.sort(key=lambda t: t[0])
    heights = [t[1] - t[0] for t in found]
    gap_max = T.BLANK_CELL_GAP_LINES * float(np.median(heights))
    cells: list[list] = []
    cell_row = None
    previous_bottom = None
    previous_x = (0.0, 0.0)
    for y0, y1, row, own in found:
        x0, x1 = min(w.x for w in own), max(w.x + w.w for w in own)
        span = (min(x0, previous_x[0]), max(x1, previous_x[1]))  # a table's rule runs across both lines
        new = (not cells or QUESTION_START.match(" ".join(w.text for w in own[:2])) is not None
               or (previous_bottom is not None and y0 - previous_bottom > gap_max)
               or (previous_bottom is not None and _rule_between(ink, px_per_mm, span[0], span[1], previous_bottom,
                                                                  y0))
               or (row is not None and cell_row is not None and row != cell_row))
        if new:
            cells.append([])
            cell_row = None
        cells[-1].append((y0, y1, row, own))
        cell_row = row if row is not None else cell_row
        previous_bottom, previous_x = y1, (x0, x1)
    mine = round(cy, 1)
    for cell in cells:
        if any(row is not None and abs(row - mine) < 0.6 * first.h for _, _, row, _ in cell):
            return [w for *_, own in cell for w in own]
    return None


def _question_text(question: Question, boxes: list, words: list, ink: np.ndarray | None = None,
                   px_per_mm: float = 1.0) -> str:
    first = boxes[question.boxes[0]]
    row = [b for b in boxes if abs(b.centre[1] - first.centre[1]) < 0.6 * first.h and b.x < first.x]
    start = max((b.x + b.w for b in row), default=0.0)
    band = _row_band(first, boxes)
    left = _words_between(words, *band, start, first.x)
    # A line above or below that runs on past the box is a heading or a question of its own, not a
    # wrapped row label.
    level = (first.y - 0.3 * first.h, first.y + 1.3 * first.h)
    runs_on = {w.line for w in words if band[0] <= w.y + w.h / 2 <= band[1] and w.x + w.w / 2 > first.x
               and not level[0] <= w.y + w.h / 2 <= level[1]}
    # A line below the row that starts with a question's number is the next question's ("H3. Lý do …"
    # under a yes/no row whose boxes share the columns of a scale grid above).
    below_starts = {w.line for w in left if w.y + w.h / 2 > level[1] and QUESTION_START.match(w.text)
                    and w.x <= min(v.x for v in left if v.line == w.line)}
    left = sorted((w for w in left if w.line not in runs_on and w.line not in below_starts),
                  key=lambda w: (w.line, w.x))
    if band != level:  # a grid row: its label cell's lines, however they wrap
        cell = _cell_text(first, boxes, words, start, ink, px_per_mm)
        if cell is not None:
            left = sorted(cell, key=lambda w: (w.line, w.x))
    if row and _is_code(left):
        left = []  # the code printed after the previous box on the row ("… ☐3 | ☐0"): that box's label
    own = _clean(" ".join(w.text for w in left)) if left else ""
    own_is_label = bool(left) and not _is_question_text(left) and (
        len(question.boxes) == 1 or own == question.labels[0] or any(LEADER.search(w.text) for w in left))
    above = _line_above(first, boxes, words)
    if own and not own_is_label:
        if len(own.split()) <= 2 and above:
            return f"{above} – {own}"
        return own
    return above or own


def _line_above(first, boxes: list, words: list) -> str:
    """The nearest printed line above a box without boxes of its own (a question's text), within
    ``BLANK_QUESTION_TEXT_MAX_MM``; counted from the top of a stack of rows of boxes each set after a
    short name of its own (omr's date: «Ngày: ☐…», «Tháng: ☐…», «Năm: ☐…» under «A1. Ngày khảo sát»),
    so the last row of the stack finds the question's text as the first does."""
    lines: dict[int, list] = {}
    for w in words:
        if w.y + w.h / 2 < first.y:
            lines.setdefault(w.line, []).append(w)
    limit = first.y - T.BLANK_QUESTION_TEXT_MAX_MM
    for line in sorted(lines, key=lambda n: -max(w.y for w in lines[n])):
        line_words = sorted(lines[line], key=lambda w: w.x)
        if max(w.y + w.h / 2 for w in line_words) < limit:
            break
        y0 = min(w.y for w in line_words)
        y1 = max(w.bottom for w in line_words)
        level = [b for b in boxes if y0 - 0.5 <= b.centre[1] <= y1 + 0.5]
        if level:
            start = min(b.x for b in level)
            prefix = [w for w in line_words if w.right <= start]
            if prefix and not any(w.x > start for w in line_words if not _is_code([w])) and \
                    len(_clean(" ".join(w.text for w in prefix)).split()) <= 2:
                limit = min(limit, y0 - T.BLANK_QUESTION_TEXT_MAX_MM)  # a short-named row of a stack
            continue
        text = _clean(" ".join(w.text for w in line_words))
        if text:
            return text
    return ""


def _by_columns(boxes: list, words: list) -> list[Question]:
    size = float(np.median([max(b.w, b.h) for b in boxes]))
    questions = []
    for column in _aligned(boxes, size, 0, 0.6):
        q = Question(column)
        _label(q, boxes, words)
        questions.append(q)
    return questions


def _area(used: list) -> tuple[float, float, float, float] | None:
    """The box (x, y, w, h mm) around a label's words, or None for none."""
    if not used:
        return None
    x0, y0 = min(w.x for w in used), min(w.y for w in used)
    return x0, y0, max(w.right for w in used) - x0, max(w.bottom for w in used) - y0


def _reread(text: str, used: list, reader: Callable | None, area) -> str:
    """A label read from a scanned blank's page (``text``, from the words ``used``), or its own crop's
    reading (``reader(area)``, :func:`omr.template_from.printed.read_label`) when that one is surer.

    The crop's reading replaces the page's when Tesseract's lowest word confidence in it is at least
    ``BLANK_REREAD_MIN_CONFIDENCE`` and not under the page reading's lowest (the words ``used``);
    a crop read as nothing, or as something that cleans to nothing, leaves the page's. Without a reader
    (a PDF's text layer, Tesseract missing) the page's reading is kept.
    """
    if not used or any(getattr(w, "exact", False) for w in used):
        return text
    if reader is None or area is None:
        return ocr_label(text)
    again, confidence = reader(area)
    again = _clean(again)
    if not again or confidence < T.BLANK_REREAD_MIN_CONFIDENCE:
        return ocr_label(text)
    if confidence < min(w.confidence for w in used) and text:
        return ocr_label(text)
    return ocr_label(again)


# A dash between two numbers as Tesseract reads a range ("30-45", "46 — 60", "30—45"): any dash, spaced or not.
_RANGE_DASH = re.compile(r"(?<=\d)\s*[-‐‑‒–—―−]\s*(?=\d)")


def _domain_phrases() -> dict[tuple[str, ...], tuple[str, ...]]:
    """The domain lexicon's phrases of two words or more, by their folded words. A folded spelling two
    phrases share ("cộc cằn", "cọc cằn": both in the lexicon) is left out: its marks cannot be told."""
    phrases: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for phrase in DOMAIN_WORDS:
        words = tuple(nfc(phrase).split())
        if len(words) >= 2:
            phrases.setdefault(tuple(fold(w) for w in words), set()).add(words)
    return {key: next(iter(spelt)) for key, spelt in phrases.items() if len(spelt) == 1}


_DOMAIN_PHRASES = _domain_phrases()


def _as_cased(word: str, like: str) -> str:
    """``word`` with the letter case of ``like`` (same length): "cổng" like "Cống" -> "Cổng"."""
    return "".join(c.upper() if o.isupper() else c for c, o in zip(word, like))


def ocr_label(text: str) -> str:
    """A label read by Tesseract from a blank without a text layer, with two misreadings of print put right.

    - A range: a dash between two numbers, whatever Tesseract made of it ("30-45", "46 — 60", "30—45"),
      becomes the en dash set between spaces that Vietnamese forms print ("30 – 45"): Tesseract tells
      neither the dash's kind nor its spaces apart at 150-300 dpi (8 of 20 label misses of the office blanks).
    - A domain phrase: words that spell a phrase of two words or more of the domain lexicon
      (:data:`omr.text.lexicon.DOMAIN_WORDS`: "cổng dịch vụ công", "bộ phận một cửa", "đúng hẹn") but for
      their tone marks and vowel marks take the phrase's marks, each word keeping its letter case: a serif
      "ổ" read "ố" ("Cống dịch vụ công"). Whole words only, and only phrases of two words or more: one word
      alone is too often another real one ("có", "cò").
    """
    text = _RANGE_DASH.sub(" – ", nfc(text))
    words = text.split(" ")
    folded = [fold(w) if w and fold(w) == strip_diacritics(w).lower() else None for w in words]
    for i in range(len(words)):
        for key, phrase in _DOMAIN_PHRASES.items():
            n = len(key)
            if tuple(folded[i:i + n]) == key:
                for k in range(n):
                    words[i + k] = _as_cased(phrase[k], words[i + k])
    return " ".join(words)


def _leader_runs_to_box(left: list) -> bool:
    """Whether the words left of a box (in x order) hold a leader read as text («cửa ........», «____»),
    in the box's own cell: after the last table wall read as text («|»). Underscores Tesseract glued to a
    grid row's number in the cell before («2__ | Thời gian chờ khám ☐») are no leader of the row's label."""
    walls = [j for j, w in enumerate(left) if RULE_AS_TEXT.fullmatch(w.text)]
    return any(LEADER.search(w.text) for w in left[walls[-1] + 1 if walls else 0:])


def _leader_drawn(ink: np.ndarray | None, px_per_mm: float, x0: float, box) -> bool:
    """Whether the print between a label's last word (ending at ``x0`` mm) and its ``box`` on the right is
    a leader Tesseract did not read as a word (dots or an underscore: "Trực tiếp tại Bộ phận Một cửa ....☐"
    at 150 dpi): at least ``BLANK_LEADER_MIN_MM`` of row, holding ink, of which
    :func:`omr.template_from.printed.strip_leaders` takes at least ``BLANK_LEADER_MIN_SHARE`` away.
    """
    if ink is None or box.x - x0 < T.BLANK_LEADER_MIN_MM:
        return False
    c0, c1 = max(0, int(np.ceil(x0 * px_per_mm)) + 1), min(ink.shape[1], int(np.floor(box.x * px_per_mm)) - 1)
    r0 = max(0, int((box.y - 0.3 * box.h) * px_per_mm))
    r1 = min(ink.shape[0], int(np.ceil((box.y + 1.3 * box.h) * px_per_mm)))
    if c1 - c0 < 4 or r1 - r0 < 4:
        return False
    gap = ink[r0:r1, c0:c1] > 0
    total = int(gap.sum())
    if total == 0:
        return False
    kept = int(strip_leaders(gap, r1 - r0).sum())
    return total - kept >= T.BLANK_LEADER_MIN_SHARE * total
