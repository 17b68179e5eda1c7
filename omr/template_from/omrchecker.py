"""Import OMRChecker's ``template.json`` as a pinned omr template.

OMRChecker (github.com/Udayraj123/OMRChecker) describes a bubble sheet in
pixels of a page resized to ``pageDimensions``, after pre-processors that
crop the photo to the sheet (``CropPage``), to four corner markers
(``CropOnMarkers`` with a marker image) or to a reference image
(``FeatureBasedAlignment``). Bubbles come in ``fieldBlocks``: an ``origin``
(top-left of the first bubble), ``bubblesGap`` between the bubbles of one
field, ``labelsGap`` between fields, a ``direction`` and ``bubbleValues``,
both usually from a ``fieldType`` (QTYPE_MCQ4, QTYPE_INT, ...).

OMRChecker's pixels have no physical size; omr's reading thresholds are tuned
for ~5 mm boxes, so the page is scaled to make the median bubble 5 mm wide.
The reference image (a blank sheet, or any filled copy: the printed parts
decide the registration) is warped onto the template's page with the
template's own pre-processor and stored beside the new template.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from omr.errors import InputFileError, TemplateError
from omr.scan.ingest import PageLoader
from omr.scan.register import anchor_registration
from omr.template_from.blank import write_pinned_template

FIELD_TYPES = {
    "QTYPE_INT": ([str(d) for d in range(10)], "vertical"),
    "QTYPE_INT_FROM_1": ([str(d) for d in range(1, 10)] + ["0"], "vertical"),
    "QTYPE_MCQ4": (["A", "B", "C", "D"], "horizontal"),
    "QTYPE_MCQ5": (["A", "B", "C", "D", "E"], "horizontal"),
}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
# omr's box thresholds are tuned for 5 mm boxes (tuning.BOX_SIZE).
BUBBLE_MM = 5.0
REFERENCE_LONGEST_PX = 1800  # the stored reference: enough detail for registration


@dataclass
class Field:
    label: str  # OMRChecker's field label (e.g. q12, roll3)
    block: str
    values: list[str]
    bubbles: list[tuple[float, float, float, float]]  # x, y, w, h in template px


def expand_labels(labels: list[str]) -> list[str]:
    """OMRChecker's label ranges: ``q1..4`` is q1, q2, q3, q4."""
    out = []
    for label in labels:
        match = re.fullmatch(r"(.*?)(\d+)\.\.(\d+)", str(label))
        if match:
            prefix, first, last = match.group(1), int(match.group(2)), int(match.group(3))
            step = 1 if last >= first else -1
            out += [f"{prefix}{i}" for i in range(first, last + step, step)]
        else:
            out.append(str(label))
    return out


def read_template_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"Không tìm thấy tệp mẫu OMRChecker: {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TemplateError(f"{path}: không phải JSON hợp lệ ({exc})") from None
    if not isinstance(data, dict) or "fieldBlocks" not in data or "pageDimensions" not in data:
        raise TemplateError(f"{path}: không phải template.json của OMRChecker (thiếu fieldBlocks/pageDimensions)")
    return data


def fields_of(data: dict, source: str) -> list[Field]:
    """Every field with its bubbles, in the order OMRChecker reads them."""
    default_size = data.get("bubbleDimensions", [20, 20])
    fields = []
    for name, block in data["fieldBlocks"].items():
        where = f"{source}, fieldBlocks.{name}"
        kind = block.get("fieldType")
        if kind in FIELD_TYPES:
            values, direction = FIELD_TYPES[kind]
        elif "bubbleValues" in block:
            values, direction = block["bubbleValues"], block.get("direction", "horizontal")
        else:
            raise TemplateError(f"{where}: kiểu «{kind}» chưa hỗ trợ; dùng bubbleValues và direction")
        values = [str(v) for v in block.get("bubbleValues", values)]
        direction = block.get("direction", direction)
        try:
            ox, oy = (float(v) for v in block["origin"])
            bubbles_gap, labels_gap = float(block["bubblesGap"]), float(block["labelsGap"])
            bw, bh = (float(v) for v in block.get("bubbleDimensions", default_size))
        except (KeyError, TypeError, ValueError):
            raise TemplateError(f"{where}: cần origin, bubblesGap, labelsGap hợp lệ") from None
        along = 1 if direction == "vertical" else 0  # bubbles of one field step along this axis
        lead = [ox, oy]
        for label in expand_labels(block.get("fieldLabels", [])):
            point = list(lead)
            bubbles = []
            for _ in values:
                bubbles.append((point[0], point[1], bw, bh))
                point[along] += bubbles_gap
            fields.append(Field(label, name, values, bubbles))
            lead[1 - along] += labels_gap
    if not fields:
        raise TemplateError(f"{source}: không có trường nào trong fieldBlocks")
    return fields


def anchor_of(data: dict, folder: Path) -> tuple[str, Path | None, float]:
    """(anchor, marker image, sheet-to-marker width ratio) from the pre-processors.

    OMRChecker runs them in order and the last crop defines the coordinates:
    markers found on the cropped sheet are the same markers on the photo, so
    CropOnMarkers wins over CropPage.
    """
    steps = data.get("preProcessors", []) or []
    steps = sorted(steps, key=lambda step: step.get("name") != "CropOnMarkers")
    for step in steps:
        name, options = step.get("name"), step.get("options", {}) or {}
        if name == "CropOnMarkers":
            marker = folder / options.get("relativePath", "omr_marker.jpg")
            return "markers", marker, float(options.get("sheetToMarkerWidthRatio", 17))
        if name == "CropPage":
            return "page", None, 0.0
        if name == "FeatureBasedAlignment":
            return "features", None, 0.0
    return "none", None, 0.0


def find_reference(data: dict, folder: Path, given: str | None, marker: Path | None) -> Path:
    if given:
        return Path(given)
    for step in data.get("preProcessors", []) or []:
        if step.get("name") == "FeatureBasedAlignment" and step.get("options", {}).get("reference"):
            return folder / step["options"]["reference"]
    images = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES
                    and p.resolve() != (marker.resolve() if marker else None) and "marker" not in p.name)
    if not images:
        raise InputFileError(f"{folder}: không có ảnh phiếu nào để làm ảnh mẫu; dùng --reference ẢNH")
    # A sheet named as the reference (sample6's reference.png, a render of the blank) beats a filled copy.
    named = [p for p in images if "reference" in p.stem.lower()]
    return (named or images)[0]


def _safe_id(label: str, used: set[str], index: int) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", label).strip("_")
    if not base or not base[0].isalpha() or len(base) > 24:
        base = f"q{index}"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}_{n}", n + 1
    used.add(candidate)
    return candidate


def custom_labels(data: dict, ids: dict[str, str], used: set[str], source: str) -> dict[str, list[str]]:
    """OMRChecker's ``customLabels`` as omr ``labels``: name -> the question ids joined, in order.

    OMRChecker concatenates the values of a label's fields (``"Roll":
    ["roll1..9"]`` gives one roll number); omr keeps the fields as questions
    and exports the joined value beside them (issue #16). Names become
    identifiers (``Subject Code`` -> ``Subject_Code``), distinct from every
    question id. An empty label is left out; a field no block defines is a
    TemplateError naming it.
    """
    raw = data.get("customLabels") or {}
    if not isinstance(raw, dict):
        raise TemplateError(f"{source}: customLabels phải là bảng: tên -> danh sách trường")
    labels: dict[str, list[str]] = {}
    for name, parts in raw.items():
        fields = expand_labels(parts if isinstance(parts, list) else [parts])
        unknown = [f for f in fields if f not in ids]
        if unknown:
            raise TemplateError(f"{source}: customLabels.{name}: không có trường «{unknown[0]}» trong fieldBlocks")
        if not fields:
            continue
        base = re.sub(r"[^A-Za-z0-9_]", "_", str(name)).strip("_")[:32]
        if not base or not base[0].isalpha():
            base = "label_" + base
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        labels[candidate] = [ids[f] for f in fields]
    return labels


def import_omrchecker(template_json: str | Path, output: str | Path, reference: str | None = None) -> dict:
    """Write a pinned omr template (YAML + reference image) from an OMRChecker template.

    Returns a summary: fields, boxes, anchor, reference image used.
    """
    source = Path(template_json)
    data = read_template_json(source)
    folder = source.parent
    out = Path(output)
    width_px, height_px = (float(v) for v in data["pageDimensions"])
    fields = fields_of(data, str(source))
    anchor, marker, ratio = anchor_of(data, folder)
    if marker is not None and not marker.is_file():
        raise InputFileError(f"{source}: không tìm thấy ảnh dấu góc {marker}")
    reference_path = find_reference(data, folder, reference, marker)

    loader = PageLoader()
    try:
        raw = loader.load(reference_path, 0)
    finally:
        loader.close()
    if raw.image is None:
        raise InputFileError(f"Không đọc được ảnh mẫu {reference_path}: {raw.error.message if raw.error else ''}")
    grey = raw.image

    scale = REFERENCE_LONGEST_PX / max(width_px, height_px)
    canvas = (int(round(width_px * scale)), int(round(height_px * scale)))
    pinned = {"anchor": anchor if anchor != "features" else "none", "marker_ratio": ratio or 17}
    if anchor == "markers":
        pinned["_marker_path"] = str(marker)
    found = anchor_registration(grey, pinned, canvas)
    if found is None:
        what = {"markers": "bốn dấu góc", "page": "mép tờ phiếu"}.get(anchor, "trang")
        raise InputFileError(f"{reference_path}: không tìm thấy {what} trên ảnh mẫu; chọn ảnh khác bằng --reference")
    reference_image = cv2.warpPerspective(grey, found.homography, canvas,
                                          flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)

    sizes = [b[2] for f in fields for b in f.bubbles] + [b[3] for f in fields for b in f.bubbles]
    mm_per_px = BUBBLE_MM / float(np.median(sizes))
    used: set[str] = set()
    ids: dict[str, str] = {}  # OMRChecker field label -> question id
    groups: dict[str, dict] = {}
    boxes: dict[int, tuple[float, float, float, float]] = {}
    number = 0
    for index, f in enumerate(fields, start=1):
        options = []
        for value, (x, y, w, h) in zip(f.values, f.bubbles):
            number += 1
            boxes[number] = (x * mm_per_px, y * mm_per_px, w * mm_per_px, h * mm_per_px)
            code = re.sub(r"[^A-Za-z0-9_]", "_", value) or f"v{number}"
            options.append((code, value, number))
        group = groups.setdefault(f.block, {"id": re.sub(r"[^A-Za-z0-9_]", "_", f.block) or "G",
                                            "title": f.block, "questions": []})
        ids[f.label] = _safe_id(f.label, used, index)
        group["questions"].append({"id": ids[f.label], "text": f.label,
                                   "type": "single" if len(options) > 1 else "multiple",
                                   "options": options})
    form_id = re.sub(r"[^a-z0-9-]+", "-", out.stem.lower()).strip("-") or "omrchecker"
    asset_dir = out.parent / form_id
    asset_dir.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(asset_dir / "page-1.png"), reference_image)
    page = {"reference": f"{form_id}/page-1.png", "width": round(width_px * mm_per_px, 3),
            "height": round(height_px * mm_per_px, 3), "anchor": anchor if anchor != "features" else "features",
            "shape": "round", "boxes": boxes, "frames": {},
            # Its bubble areas are crop boxes, not printed outlines (#16: 2,684 of 8,630 printed bubbles of
            # the samples fail the outline check at the template's size): positions come from the ring search.
            "printed_check": False}
    if anchor == "features":
        page["anchor"] = "features"
    if marker is not None:
        shutil.copyfile(marker, asset_dir / ("marker" + marker.suffix.lower()))
        page["marker"] = f"{form_id}/marker{marker.suffix.lower()}"
        page["marker_ratio"] = ratio
    title = f"Phiếu nhập từ OMRChecker: {source.parent.name}"
    labels = custom_labels(data, ids, used, str(source))
    write_pinned_template(out, form_id, title, [page], list(groups.values()), marks="fill",
                          note=f"Nhập từ {source}; ảnh mẫu: {reference_path}", labels=labels)
    return {"fields": len(fields), "boxes": number, "anchor": anchor, "reference": str(reference_path),
            "form_id": form_id, "output": str(out), "labels": labels}
