"""The form versions omr can read: every template of a folder, resolved to its layout.

Kept apart from :mod:`omr.scan.page` (which reads pages and imports OpenCV) so that a
process that only hands pages out and stores them (``omr scan``'s parent, the web app)
loads the catalogue without the reading code (start-up time, issue #18).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from omr.errors import TemplateError
from omr.forms.layout import Layout, load_layouts, resolve_layout
from omr.forms.links import PINNED_LAYOUT
from omr.forms.template import Group, Template, load_template


@dataclass
class Catalogue:
    """Every form version omr can read, keyed by (form id, version)."""

    layouts: dict[tuple[str, int], Layout] = field(default_factory=dict)

    @classmethod
    def from_folder(cls, folder: str | Path = "form_templates") -> "Catalogue":
        """The layouts frozen in ``folder`` and those of its ``*.yaml`` templates.

        Raises TemplateError (Vietnamese message) when ``folder`` is not a directory
        or a template in it is invalid.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise TemplateError(f"Không tìm thấy thư mục mẫu phiếu: {folder}; chỉ thư mục chứa các tệp mẫu phiếu "
                                "YAML (thư mục đã dùng khi quét) bằng --templates THƯ_MỤC")
        layouts = load_layouts(folder)
        for path in sorted(folder.glob("*.yaml")):
            layout = resolve_layout(load_template(path))
            layouts[(layout.form_id, layout.version)] = layout
        return cls(layouts)

    @property
    def pinned_only(self) -> bool:
        """True when every form here is designed elsewhere (read by registration to a blank
        reference): no page can carry omr's QR code and corner marks worth searching for first."""
        return bool(self.layouts) and all(p.pinned for lay in self.layouts.values() for p in lay.pages)

    @staticmethod
    def template_of(layout: Layout) -> Template:
        """The questions of a frozen layout as a Template (enough to export and report)."""
        group = Group("", "", tuple(layout.questions))
        extra = {"join": layout.join, "labels": dict(layout.labels)}
        if any(p.pinned for p in layout.pages):  # a form designed elsewhere: the report counts it by its links
            extra[PINNED_LAYOUT] = True
        return Template(layout.form_id, layout.version, "", (), (), (group,), len(layout.pages),
                        layout.template_sha256, extra=extra)
