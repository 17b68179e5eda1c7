"""Page geometry in millimetres: the boxes, text frames and print of one form page.

The public layout contract (docs/templates.md, "Layout JSON") is made of these records:
millimetres from each page's top-left corner, y downwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omr.forms.template import Question


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)


@dataclass(frozen=True)
class Checkbox:
    question: str
    option: str
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class TextRegion:
    field: str
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Decor:
    """Something printed for people only: text, rule or guide line.

    ``y`` of a text is its baseline. Not part of the reading contract.
    """

    kind: str  # "text" | "line" | "guide" | "frame"
    x: float
    y: float
    x2: float = 0.0
    y2: float = 0.0
    text: str = ""
    size: float = 0.0
    bold: bool = False
    align: str = "left"  # "left" | "center"


@dataclass
class PageLayout:
    number: int
    width: float
    height: float
    fiducials: list[Rect]  # top-left, top-right, bottom-left, bottom-right
    qr: Rect
    serial_anchor: tuple[float, float]  # centre of the printed serial's baseline
    unit_anchor: tuple[float, float]  # left of the printed unit's baseline
    checkboxes: list[Checkbox] = field(default_factory=list)
    text_regions: list[TextRegion] = field(default_factory=list)
    decor: list[Decor] = field(default_factory=list)
    # Forms designed elsewhere (omr.forms.pinned): no fiducials or QR code; the page is
    # registered to a blank reference image. Keys: reference, anchor, marker, shape, marks.
    pinned: dict | None = None


@dataclass
class Layout:
    form_id: str
    version: int
    template_sha256: str
    pages: list[PageLayout]
    # The questions, kept with the frozen layout so that sheets of an old
    # version can be read after the YAML has moved on.
    questions: list[Question] = field(default_factory=list)
    # The template's ``join`` and ``labels`` (omr.forms.pinned.check_join, check_labels): how pages
    # of a form without omr's serials make one response, and values an export joins (issue #16).
    # Not part of the frozen contract's hash: the current template's settings apply.
    join: dict | None = None
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def question_pages(self) -> dict[str, int]:
        """Question or comment field id -> the number of the page its boxes or writing frame are printed on
        (the first page when they span two). Ids on no page are left out."""
        where: dict[str, int] = {}
        for page in sorted(self.pages, key=lambda p: p.number):
            for qid in [c.question for c in page.checkboxes] + [r.field for r in page.text_regions]:
                where.setdefault(qid, page.number)
        return where

    def page(self, number: int) -> PageLayout:
        for page in self.pages:
            if page.number == number:
                return page
        raise KeyError(number)
