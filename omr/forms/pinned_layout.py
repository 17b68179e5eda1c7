"""Layouts of pinned templates: forms designed elsewhere, whose boxes sit where the blank shows them.

The template side (checking the ``pinned:`` section) is :mod:`omr.forms.pinned`.
"""

from __future__ import annotations

from pathlib import Path

from omr.errors import TemplateError
from omr.forms.geometry import Checkbox, Layout, PageLayout, Rect, TextRegion


def compute_pinned_layout(template):
    """The layout of a pinned template: its boxes where the reference shows them.

    Raises TemplateError when no question is tied to any box or frame.
    """
    pinned = template.extra["pinned"]
    order = {}  # print order of options, for stable layouts
    for q in template.questions:
        for i, o in enumerate(q.options):
            order[(q.id, o.code)] = (q.id, i)
    pages = []
    for spec in pinned["pages"]:
        boxes = []
        for n, (x, y, w, h) in sorted(spec["boxes"].items()):
            if n in pinned["assign"]:
                qid, code = pinned["assign"][n]
                boxes.append(Checkbox(qid, code, round(x, 3), round(y, 3), round(w, 3), round(h, 3)))
        boxes.sort(key=lambda b: [i for i, q in enumerate(template.questions) if q.id == b.question][0] * 1000
                   + order[(b.question, b.option)][1])
        regions = [TextRegion(pinned["frames_of"][n], *(round(v, 3) for v in rect))
                   for n, rect in sorted(spec["frames"].items()) if n in pinned["frames_of"]]
        pages.append(PageLayout(spec["page"], spec["width"], spec["height"], [], Rect(0.0, 0.0, 0.0, 0.0),
                                (0.0, 0.0), (0.0, 0.0), boxes, regions, [],
                                pinned={"reference": spec["reference"], "anchor": spec["anchor"],
                                        "marker": spec["marker"], "marker_ratio": spec["marker_ratio"],
                                        "shape": spec["shape"],
                                        "marks": pinned["marks"], "printed_check": spec["printed_check"]}))
    pages = [p for p in pages if p.checkboxes or p.text_regions]
    if not pages:
        raise TemplateError(f"{template.source}: không có câu hỏi nào gắn với ô nào")
    return Layout(template.form_id, template.version, template.content_hash, pages, list(template.questions),
                  join=template.extra.get("join"), labels=dict(template.extra.get("labels", {})))


def resolve_references(layout, base: Path) -> None:
    """Give every pinned page the absolute paths of its reference (and marker) images."""
    for page in layout.pages:
        if page.pinned:
            page.pinned["_reference_path"] = str((base / page.pinned["reference"]).resolve())
            if page.pinned.get("marker"):
                page.pinned["_marker_path"] = str((base / page.pinned["marker"]).resolve())
