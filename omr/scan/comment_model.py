"""What a comment field held, as plain records: :class:`Word` (one word Tesseract read) and
:class:`CommentRead` (one field of one page).

Kept apart from :mod:`omr.scan.comments` and :mod:`omr.scan.ocr`, which load
OpenCV and NumPy: a page's result travels from a worker to the process that
stores it pickled, and unpickling a ``CommentRead`` imports the module that
defines it. The storing process of ``omr scan`` then starts without the
reader (issue #18: start-up under a second).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omr.text.lexicon import Match


@dataclass(frozen=True)
class Word:
    """One word Tesseract read in a comment field, with its confidence and its line's number."""

    text: str
    confidence: float  # 0-100, Tesseract's
    line: int
    # Part of a number or an amount: 0 no, NUMBER_CHECK (the reviewer compares it with the image),
    # NUMBER_UNSURE (the engine doubted a digit or separator, or a unit was fixed by rule).
    number: int = 0


NUMBER_CHECK = 1
NUMBER_UNSURE = 2


@dataclass
class CommentRead:
    """One comment field as read from one page."""

    field: str
    inked: bool
    ink_mm2: float
    region: tuple[float, float, float, float]  # x, y, w, h in layout mm
    crop_png: bytes | None = None
    draft_text: str | None = None
    words: list[Word] = field(default_factory=list)
    draft_confidence: float | None = None
    likely_correct: bool = False
    matches: list[Match] = field(default_factory=list)  # lexicon terms in the draft, negated ones too
    review_priority: float = 0.0
    ocr_error: str = ""
    # Possibly faint writing (inked from less than TEXT_MIN_INK_MM2, or found only by its strokes against the
    # paper's noise): the reviewer is told so, and ``crop_png`` is the raw crop, stretched, not the cleaned one.
    faint: bool = False
