"""The template editor's work, without Flask: drafts, checking an edit, saving a version, trying a scan.

A *draft* is a folder of its own under ``<uploads>/template-drafts/<24 hex>/`` (a name the server
chose): the uploaded blank, the template ``omr template from-blank`` made from it (same code, same
YAML) or a copy of a saved pinned template (made by the editor, ``from-blank`` or ``import-omrchecker``,
whatever its pages' anchor), its reference and corner-marker images, and ``meta.json`` (who, when,
the version it started from). The browser edits questions and boxes and posts the whole edit as
JSON; :func:`check_edit` trusts none of it (ids, codes, texts, every rectangle in mm inside its
page, overlaps, sizes), :func:`save_edit` writes it with :func:`omr.template_from.blank.write_pinned_template`,
loads it back with :func:`omr.forms.template.load_template` and lays it out with the same code as
the command line before anything in the templates folder changes.

Saving never overwrites: each save is a new template version (the frozen layout of the old one is
kept, so pages already read with it still show), the YAML it replaces is kept as
``<form>/history/v<N>.yaml``, the reference images of each version live in ``<form>/v<N>/``, and the
``changes`` table records who saved which version over which (entity ``template``).
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
import sqlalchemy as sa

from omr import tuning as T
from omr.data.schema import changes
from omr.errors import InputFileError, OmrError, TemplateError
from omr.forms.layout import resolve_layout
from omr.forms.links import LINK_TYPES, check_link, shared_link_problems
from omr.forms.pinned import LABEL_NAME, joined_value
from omr.online.mapping import similarity
from omr.forms.template import (
    CODE_PATTERN,
    FORM_ID_PATTERN,
    ID_PATTERN,
    Template,
    find_template,
    load_template,
    reserved_question_id,
)
from omr.model import BLANK, COVER_SHEET, MULTIPLE, OK, PART_REVIEW, SERIAL_FIELD, SET_ASIDE_REASONS
from omr.scan.ingest import SCAN_FORMAT_NAMES, PageLoader, count_pages, pdf_page_sizes_mm
from omr.scan.batch import WORKER_PRELOAD
from omr.scan.resolve import shown_confidence
from omr.text.numbers import vn_number, vn_percent
from omr.scan.page import Catalogue, process_page
from omr.scan.page_workers import Failure, run_bounded
from omr.template_from.blank import from_blank, frames_over_print, write_pinned_template
from omr.text.normalise import fold, printed_text
from omr.web import jobs
from omr.web.display import page_detail

DRAFT_ID = re.compile(r"^[0-9a-f]{24}$")
DRAFTS = "template-drafts"
BLANK_SUFFIXES = (".pdf", ".png", ".jpg", ".tif")
EDIT_TYPES = ("single", "multiple", "text")
TYPE_LABELS = {"single": "một lựa chọn", "multiple": "nhiều lựa chọn", "text": "ô viết"}
# Folder names inside the templates folder (frozen layouts; a form's kept versions): never a form id.
RESERVED_FORM_IDS = ("layouts", "history")
FORM_ID_MAX = 40  # the audit table's field column is 40 characters
QUESTION_ID_MAX = 20
TEXT_MAX = 500
LABEL_MAX = 200
TRY_PX_PER_MM = 6.0  # the try-on page at the reference images' scale
_SAVING = threading.Lock()  # one save at a time in this process: versions are numbered in order


class EditError(OmrError):
    """An edit the server refuses: ``problems`` lists what is wrong, in Vietnamese, one per line."""

    def __init__(self, problems: list[str], status: int = 400, current_version: int | None = None):
        super().__init__("; ".join(problems))
        self.problems = problems
        self.status = status
        self.current_version = current_version  # on a conflict (409): the saved version to confirm replacing


@dataclass
class Draft:
    id: str
    folder: Path
    meta: dict
    template: Template

    @property
    def pages(self) -> list[dict]:
        return self.template.extra["pinned"]["pages"]


@dataclass
class EditQuestion:
    id: str
    text: str
    type: str
    page: int
    options: list[tuple[str, str, tuple[float, float, float, float]]] = field(default_factory=list)
    frame: tuple[float, float, float, float] | None = None
    link: dict | None = None  # {"question": standard id, "codes": {own code: standard code}} (omr.forms.links)
    was: str | None = None  # the id this question had in the draft's template (the browser's rename), if any


@dataclass
class Edit:
    form_id: str
    title: str
    questions: list[EditQuestion]
    base_version: int | None  # the saved version the edit started from; None for a new blank
    replace_version: int | None  # the user confirmed saving over this version (a new blank, a form id taken)
    standard_form: str | None = None  # the standard form the links point to
    # Numbers marked one digit per column, as the editor shows them (the template's ``labels``): (name, its
    # questions in order, the name it had in the draft or None). None: the browser sent none (an older
    # page): the draft's labels are carried, renamed with their questions (:func:`carried_labels_and_join`).
    numbers: list[tuple[str, list[str], str | None]] | None = None

    @property
    def standard(self) -> dict | None:
        """The template's ``standard`` section (omr.forms.links), or None when no question is linked."""
        links = {q.id: q.link for q in self.questions if q.link}
        return {"form": self.standard_form, "questions": links} if links and self.standard_form else None


# --- drafts ---------------------------------------------------------------------------------

def drafts_dir(uploads_dir: Path) -> Path:
    return Path(uploads_dir) / DRAFTS


def form_id_from_name(name: str) -> str:
    """A form id from a file name: 'Phiếu khảo sát Xã Đông Hòa.pdf' -> 'phieu-khao-sat-xa-dong-hoa'."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    text = re.sub(r"[^a-z0-9]+", "-", fold(stem)).strip("-")[:FORM_ID_MAX].strip("-")
    return text if text and text[0].isalnum() else "phieu"


def _new_draft_folder(uploads_dir: Path) -> tuple[str, Path]:
    remove_old_drafts(uploads_dir)
    draft_id = secrets.token_hex(12)
    folder = drafts_dir(uploads_dir) / draft_id
    folder.mkdir(parents=True)
    return draft_id, folder


def remove_old_drafts(uploads_dir: Path, now: float | None = None) -> int:
    """Delete drafts not touched for ``T.EDITOR_DRAFT_KEEP_DAYS`` days; returns how many."""
    root = drafts_dir(uploads_dir)
    if not root.is_dir():
        return 0
    limit = (now if now is not None else time.time()) - T.EDITOR_DRAFT_KEEP_DAYS * 86400
    removed = 0
    for folder in root.iterdir():
        try:
            stamp = max((p.stat().st_mtime for p in folder.rglob("*")), default=folder.stat().st_mtime)
        except OSError:
            continue
        if DRAFT_ID.match(folder.name) and stamp < limit:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _write_meta(folder: Path, meta: dict) -> None:
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")


def create_draft_from_blank(uploads_dir: Path, received: Path, client_name: str, who: str) -> str:
    """Read an uploaded blank form with ``from_blank`` into a new draft; returns the draft id.

    ``received``: the uploaded file (moved or deleted here). Bounds: ``T.EDITOR_MAX_FILE_BYTES``,
    PDF / PNG / JPEG / TIFF by their first bytes, at most ``T.EDITOR_MAX_BLANK_PAGES`` pages.
    Raises InputFileError with one Vietnamese message naming the file (and page) for a bad upload.
    """
    shown = jobs.display_name(client_name)
    try:
        size = received.stat().st_size
        if size == 0:
            raise InputFileError(f"Tệp «{shown}» rỗng (0 byte)")
        if size > T.EDITOR_MAX_FILE_BYTES:
            raise InputFileError(f"Tệp «{shown}» lớn hơn {T.EDITOR_MAX_FILE_BYTES // 1024 ** 2} MB: "
                                 "phiếu trắng chỉ cần một bản PDF hoặc ảnh quét 150–300 dpi")
        suffix = jobs.scan_suffix(received)
        if suffix not in BLANK_SUFFIXES:
            raise InputFileError(f"Tệp «{shown}» không phải phiếu trắng dạng PDF, PNG, JPEG hay TIFF"
                                 + jobs.pdf_hint(shown))
        draft_id, folder = _new_draft_folder(uploads_dir)
        blank = folder / f"blank{suffix}"
        shutil.move(str(received), blank)
    finally:
        received.unlink(missing_ok=True)
    try:
        n_pages = _page_count(blank, shown)
        if n_pages > T.EDITOR_MAX_BLANK_PAGES:
            raise InputFileError(f"Tệp «{shown}» có {n_pages} trang; trình sửa mẫu nhận tối đa "
                                 f"{T.EDITOR_MAX_BLANK_PAGES} trang (phiếu dài hơn: dùng lệnh "
                                 "«omr template from-blank»)")
        if suffix == ".pdf":
            _check_page_sizes(blank, shown)
        form_id = form_id_from_name(shown)
        # Read in a watched worker process (memory cap, time bound), never in the web server's own.
        seconds = T.EDITOR_SECONDS_PER_PAGE * n_pages
        [(_, outcome)] = run_bounded(_blank_task, [(str(blank), str(folder / f"{form_id}.yaml"))],
                                     seconds_per_task=seconds, preload=WORKER_PRELOAD)
        pages = "trang 1" if n_pages == 1 else f"trang 1–{n_pages}"
        if isinstance(outcome, Failure):
            raise InputFileError(f"Tệp «{shown}», {pages}: {_bound_reason(outcome, seconds)}")
        if isinstance(outcome, InputFileError):
            raise InputFileError(_named(outcome.message, blank, shown))
        summary = outcome
        _write_meta(folder, {"form_id": summary["form_id"], "yaml": f"{form_id}.yaml", "source": shown,
                             "base_version": None, "created_by": who,
                             "created_at": datetime.now(timezone.utc).isoformat(),
                             "warnings": summary.get("warnings", [])})
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return draft_id


def _check_page_sizes(path: Path, shown: str) -> None:
    """InputFileError naming the file and page when a PDF page is larger than any paper form
    (``T.EDITOR_MAX_PAGE_MM`` on its longer side), before anything is drawn or searched."""
    try:
        sizes = pdf_page_sizes_mm(path, T.EDITOR_MAX_BLANK_PAGES)
    except InputFileError as exc:
        raise InputFileError(_named(exc.message, path, shown)) from None
    for number, (width_mm, height_mm) in enumerate(sizes, 1):
        if max(width_mm, height_mm) > T.EDITOR_MAX_PAGE_MM:
            size = f"{width_mm:.0f} × {height_mm:.0f} mm".replace(".", ",")
            raise InputFileError(f"Tệp «{shown}», trang {number}: trang khổ {size}, lớn hơn mọi tờ phiếu giấy "
                                 f"(tối đa {T.EDITOR_MAX_PAGE_MM:.0f} mm mỗi cạnh; khổ A3 là 297 × 420 mm); "
                                 "hãy xuất lại phiếu trắng ở khổ giấy thật (A4 hoặc A3)")


def _blank_task(task: tuple[str, str]):
    """In a worker: ``from_blank`` of (blank path, YAML path); its summary, or the InputFileError it raised
    (also for one of omr's own printed forms: its template exists, it is not offered as a new one)."""
    try:
        return from_blank(task[0], task[1], refuse_omr_forms=True)
    except InputFileError as exc:
        return exc


def _bound_reason(failure: Failure, seconds: float) -> str:
    """Why reading an upload in a worker stopped, for the admin (Vietnamese, no server path)."""
    if failure.kind == "timeout" and failure.busy:  # the machine's load, not the file: never blame the file
        return ("máy chủ đang quá bận nên chưa đọc xong trong thời gian cho phép, đã dừng; tệp không có lỗi, "
                "hãy thử lại sau ít phút")
    if failure.kind == "timeout":
        return f"đọc quá {seconds:.0f} giây, đã dừng (tệp quá lớn hoặc quá phức tạp; hãy quét lại ở 200–300 dpi)"
    if failure.kind in ("memory", "crashed") or any(
            sign in failure.message.lower() for sign in ("memory", "map segment", "cannot allocate")):
        return "cần quá nhiều bộ nhớ để đọc, đã dừng (ảnh quá lớn; hãy quét lại ở 200–300 dpi)"
    return "không đọc được trang (lỗi của chương trình đọc ảnh; hãy quét lại hoặc xuất lại tệp)"


def _page_count(path: Path, shown: str) -> int:
    """Pages in an uploaded file (streamed, bounded: omr.scan.ingest.count_pages), its errors naming
    the file as the user called it (``shown``), not the server's copy.

    Raises InputFileError."""
    try:
        return count_pages(path)
    except InputFileError as exc:
        raise InputFileError(_named(exc.message, path, shown)) from None


def _named(message: str, path: Path, shown: str) -> str:
    """An ingest message about ``path`` (which names the server's path) with the client's file name instead."""
    rest = message.replace(str(path), "").lstrip(":, ")
    return f"Tệp «{shown}», {rest}" if rest.startswith("trang ") else f"Tệp «{shown}»: {rest}"


def create_draft_from_template(uploads_dir: Path, template_path: Path, who: str) -> str:
    """A draft holding a copy of a saved pinned template (its YAML, reference and corner-marker images);
    returns its id.

    Every anchor opens: ``features`` (``omr template from-blank``, the editor), and ``page``, ``markers``
    and ``none`` (``omr template import-omrchecker``); the draft keeps each page's anchor, marker image
    and ratio, box shape and printed-outline check, and :func:`save_edit` writes them back.
    Raises EditError for a template the editor cannot open (omr's own printed forms: not pinned).
    """
    template = load_template(template_path)
    pinned = template.extra.get("pinned")
    if not pinned:
        raise EditError([f"Mẫu phiếu «{template.form_id}» do omr in (có dấu định vị và mã QR): sửa bằng tệp YAML"])
    draft_id, folder = _new_draft_folder(uploads_dir)
    try:
        for name in _page_files(pinned["pages"]):  # at the same relative paths: the YAML is copied as it is
            target = folder / name  # relative, no '..' (checked by omr.forms.pinned)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template_path.parent / name, target)
        shutil.copyfile(template_path, folder / f"{template.form_id}.yaml")
        _write_meta(folder, {"form_id": template.form_id, "yaml": f"{template.form_id}.yaml",
                             "source": template_path.name, "base_version": template.version, "created_by": who,
                             "created_at": datetime.now(timezone.utc).isoformat()})
        load_template(folder / f"{template.form_id}.yaml")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return draft_id


def _page_files(pages: list[dict]) -> list[str]:
    """The files the pages of a checked ``pinned`` section name, relative to the template: each page's
    reference image, then its corner-marker image (``anchor: markers``), each once."""
    names = [name for page in pages for name in (page["reference"], page.get("marker")) if name]
    return list(dict.fromkeys(names))


def load_draft(uploads_dir: Path, draft_id: str) -> Draft | None:
    """The draft named ``draft_id`` (24 hex digits, else None: no client text reaches the disk)."""
    if not isinstance(draft_id, str) or not DRAFT_ID.match(draft_id):
        return None
    folder = drafts_dir(uploads_dir) / draft_id
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        template = load_template(folder / meta["yaml"])
    except (OSError, ValueError, KeyError, TemplateError):
        return None
    return Draft(draft_id, folder, meta, template)


def page_image(draft: Draft, number: int) -> Path | None:
    """The reference image of page ``number`` of a draft, or None."""
    pages = draft.pages
    if not 1 <= number <= len(pages):
        return None
    path = (draft.folder / pages[number - 1]["reference"]).resolve()
    return path if path.is_file() and draft.folder.resolve() in path.parents else None


# Words of the placeholders the editor gives a new question or frame: never saved as a name.
PLACEHOLDER_MARK = "(đặt tên)"
STANDARD_TYPE_WORDS = {"scale": "thang 1–5", "yesno": "Có / Không"}


def standard_template(template_dir: Path) -> Template | None:
    """The standard survey whose questions the report computes: the newest omr-printed template with the most
    scale and yes/no questions in ``template_dir`` (form_templates/motcua-2026.yaml), or None."""
    best = None
    for path in sorted(Path(template_dir).glob("*.yaml")):
        try:
            template = load_template(path)
        except TemplateError:
            continue
        if template.extra.get("pinned"):
            continue
        counted = sum(q.type in STANDARD_TYPE_WORDS for q in template.questions)
        if counted and (best is None or (counted, template.version) > best[0]):
            best = ((counted, template.version), template)
    return best[1] if best else None


def standard_choices(standard: Template | None) -> dict | None:
    """The standard questions offered in the editor's "Tính vào chỉ số" list: id, text, group, scale, codes."""
    if standard is None:
        return None
    questions = []
    for group in standard.groups:
        for q in group.questions:
            if q.type in STANDARD_TYPE_WORDS:
                questions.append({"id": q.id, "text": q.text, "group": group.title, "type": q.type,
                                  "scale": STANDARD_TYPE_WORDS[q.type],
                                  "codes": [{"code": o.code, "label": o.label} for o in q.options]})
    return {"form": standard.form_id, "title": standard.title, "questions": questions}


# A question's own number printed before its text ("Câu 4.", "A4.", "II."): not part of what it asks.
_NUMBERING = re.compile(r"^\s*(câu\s*\d+\s*[.:)]?|[A-ZĐ]?\d{1,2}[.):]|[IVX]{1,4}[.)])\s*", re.IGNORECASE)


def _kind_of(labels: list[str]) -> str | None:
    """The standard question type a drafted question's options can be linked as: ``yesno`` for two options
    Có / Không (either order), ``scale`` for five levels (a "Không ý kiến" box aside), else None."""
    folded = [fold(label).strip(" .:") for label in labels]
    if sorted(folded) == ["co", "khong"]:
        return "yesno"
    if len([f for f in folded if f != "khong y kien"]) == 5:
        return "scale"
    return None


def _suggest(text: str, labels: list[str], standard: Template | None) -> dict | None:
    """The standard question of the same kind (:func:`_kind_of`: a yes/no question is never offered a 1–5
    scale, nor a three-box question either) whose text, its printed number left out, is most like
    ``text`` (omr.online.mapping.similarity, at least ``EDITOR_SUGGEST_MIN_SCORE``), or None. Only shown:
    the admin chooses; a question is never linked on a guess."""
    kind = _kind_of(labels)
    if standard is None or kind is None:
        return None
    asked = _NUMBERING.sub("", text).strip(" :")
    scored = [(similarity(asked, q.text), q.id) for q in standard.questions if q.type == kind]
    score, qid = max(scored, default=(0.0, ""))
    return {"question": qid, "score": score} if score >= T.EDITOR_SUGGEST_MIN_SCORE else None


def editor_state(draft: Draft, standard: Template | None = None) -> dict:
    """What the browser edits: the form, its pages (mm) and its questions with their boxes (mm).

    Questions of types the editor does not offer (scale, yes/no) become single-choice questions with
    the same codes and labels; boxes in no question are gathered in one question to regroup.
    ``standard`` (:func:`standard_template`): the questions a question can be linked to, and each
    question's saved link (omr.forms.links) as ``link``.
    """
    template, pinned = draft.template, draft.template.extra["pinned"]
    links = (template.extra.get("standard") or {}).get("questions") or {}
    box_page = {n: page["page"] for page in pinned["pages"] for n in page["boxes"]}
    rects = {n: rect for page in pinned["pages"] for n, rect in page["boxes"].items()}
    frame_page = {n: page["page"] for page in pinned["pages"] for n in page["frames"]}
    frame_rects = {n: rect for page in pinned["pages"] for n, rect in page["frames"].items()}
    by_option = {value: n for n, value in pinned["assign"].items()}
    questions = []
    for q in template.questions:
        if q.type == "text":
            frame = next((n for n, qid in pinned["frames_of"].items() if qid == q.id), None)
            if frame is None:
                continue
            questions.append({"id": q.id, "text": q.text, "type": "text", "page": frame_page[frame],
                              "frame": _rect_json(frame_rects[frame])})
            continue
        options = []
        for o in q.options:
            n = by_option.get((q.id, o.code))
            if n is not None:
                options.append({"code": o.code, "label": o.label, **_rect_json(rects[n])})
        if options:
            numbers = [by_option[(q.id, o["code"])] for o in options]
            questions.append({"id": q.id, "text": q.text, "type": "multiple" if q.type == "multiple" else "single",
                              "page": box_page[numbers[0]], "options": options, "link": links.get(q.id),
                              "suggest": None if q.id in links or q.type == "multiple" else
                              _suggest(q.text, [o["label"] for o in options], standard)})
    loose = [n for n in sorted(rects) if n not in pinned["assign"]]
    for page in sorted({box_page[n] for n in loose}):
        numbers = [n for n in loose if box_page[n] == page]
        questions.append({"id": f"X{page}", "text": "Ô chưa thuộc câu hỏi nào", "type": "multiple", "page": page,
                          "options": [{"code": str(i), "label": "", **_rect_json(rects[n])}
                                      for i, n in enumerate(numbers, start=1)]})
    return {"draft": draft.id, "form_id": template.form_id, "title": template.title,
            "base_version": draft.meta.get("base_version"), "source": draft.meta.get("source", ""),
            "warnings": draft.meta.get("warnings", []),
            "marks": pinned["marks"],
            "pages": [{"number": p["page"], "width": p["width"], "height": p["height"]} for p in pinned["pages"]],
            "questions": questions, "standard": standard_choices(standard), "placeholder": PLACEHOLDER_MARK,
            # Numbers marked one digit per column (``labels``): shown as one question with its digit columns.
            "numbers": [{"name": name, "parts": list(parts)}
                        for name, parts in (template.extra.get("labels") or {}).items()],
            "limits": {"box_min": T.EDITOR_BOX_MIN_MM, "box_max": T.EDITOR_BOX_MAX_MM,
                       "frame_min": T.EDITOR_FRAME_MIN_MM}}


def _rect_json(rect) -> dict:
    x, y, w, h = rect
    return {"x": round(x, 2), "y": round(y, 2), "w": round(w, 2), "h": round(h, 2)}


# --- checking an edit ----------------------------------------------------------------------

def _clean_text(value, what: str, problems: list[str], limit: int, required: bool = True) -> str:
    if not isinstance(value, str):
        problems.append(f"{what}: phải là chữ")
        return ""
    text = printed_text(" ".join(value.split()))  # newlines and tabs are one space: a label is one line
    if required and not text:
        problems.append(f"{what}: không được để trống")
    if len(text) > limit:
        problems.append(f"{what}: dài quá {limit} ký tự")
    return text[:limit]


def _is_coordinate(value) -> bool:
    """A number a coordinate in mm can be: finite, not a bool, not a 400-digit integer (no float holds it)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return abs(value) <= 1_000_000
    return math.isfinite(value)


def _rect(value, page: dict, what: str, problems: list[str], frame: bool = False):
    """(x, y, w, h) mm inside the page, of a box's or a frame's size; None (a problem noted) otherwise."""
    keys = ("x", "y", "w", "h")
    if not isinstance(value, dict) or not all(_is_coordinate(value.get(k)) for k in keys):
        problems.append(f"{what}: cần toạ độ x, y, rộng, cao (mm)")
        return None
    x, y, w, h = (round(float(value[k]), 2) for k in keys)
    low = T.EDITOR_FRAME_MIN_MM if frame else T.EDITOR_BOX_MIN_MM
    high = max(page["width"], page["height"]) if frame else T.EDITOR_BOX_MAX_MM
    if not (low <= w <= high and low <= h <= high):
        kind = "khung viết" if frame else "ô đánh dấu"
        problems.append(f"{what}: {kind} phải rộng và cao từ {vn_number(low)} đến {vn_number(high)} mm "
                        f"(đang là {vn_number(w)} × {vn_number(h)} mm)")
        return None
    if x < 0 or y < 0 or x + w > page["width"] + 0.01 or y + h > page["height"] + 0.01:
        problems.append(f"{what}: nằm ngoài trang ({vn_number(page['width'])} × {vn_number(page['height'])} mm)")
        return None
    return (x, y, w, h)


def check_edit(payload, draft: Draft, standard: Template | None = None) -> Edit:
    """The edit posted by the browser, checked in full; raises EditError listing every problem.

    Checked: the form id (lower-case ASCII, digits, '-', at most 40), the title, each question's id
    (unique, a letter then letters, digits, '_'), text, type (single / multiple / text) and page, each
    option's code (unique in its question) and label, every rectangle (numbers, inside its page, a box
    1.5-30 mm, a frame at least 5 mm), two boxes overlapping, and the counts (``T.EDITOR_MAX_*``).
    Page sizes come from the draft, never from the client. A name still holding the editor's placeholder
    ("Ý kiến (đặt tên)") is refused: it would become an export header. A question's ``link`` to a
    question of ``standard`` (:func:`standard_template`) is checked by omr.forms.links.check_link.
    """
    problems: list[str] = []
    if not isinstance(payload, dict):
        raise EditError(["Dữ liệu gửi lên không phải một mẫu phiếu"])
    form_id = payload.get("form_id")
    if not isinstance(form_id, str) or not FORM_ID_PATTERN.match(form_id) or len(form_id) > FORM_ID_MAX:
        problems.append("Mã mẫu phiếu: chỉ dùng chữ thường không dấu, số và dấu '-', tối đa 40 ký tự "
                        "(ví dụ phieu-xa-dong-hoa)")
        form_id = ""
    elif form_id in RESERVED_FORM_IDS:
        problems.append(f"Mã mẫu phiếu «{form_id}» là tên một thư mục của thư mục mẫu phiếu; hãy chọn mã khác")
        form_id = ""
    title = _clean_text(payload.get("title"), "Tên phiếu", problems, LABEL_MAX)
    versions = []
    for key in ("base_version", "replace_version"):
        value = payload.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10_000):
            problems.append("Phiên bản không hợp lệ")
            value = None
        versions.append(value)
    raw_questions = payload.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise EditError(problems + ["Cần ít nhất một câu hỏi"])
    if len(raw_questions) > T.EDITOR_MAX_QUESTIONS:
        raise EditError(problems + [f"Nhiều hơn {T.EDITOR_MAX_QUESTIONS} câu hỏi"])
    pages = draft.pages
    questions: list[EditQuestion] = []
    seen_ids: set[str] = set()
    placed: dict[int, list[tuple[str, tuple]]] = {}
    for qi, raw in enumerate(raw_questions, start=1):
        if not isinstance(raw, dict):
            problems.append(f"Câu thứ {qi}: không hợp lệ")
            continue
        qid = raw.get("id")
        where = f"Câu «{qid}»" if isinstance(qid, str) and len(qid) <= QUESTION_ID_MAX else f"Câu thứ {qi}"
        if not isinstance(qid, str) or not ID_PATTERN.match(qid) or len(qid) > QUESTION_ID_MAX:
            problems.append(f"{where}: mã câu hỏi phải bắt đầu bằng chữ cái, chỉ gồm chữ không dấu, số, '_' "
                            f"(tối đa {QUESTION_ID_MAX} ký tự), ví dụ Q1")
            qid = ""
        elif reserved_question_id(qid):
            problems.append(f"{where}: {reserved_question_id(qid)}")
        elif qid in seen_ids:
            problems.append(f"{where}: mã câu hỏi bị trùng")
        seen_ids.add(qid)
        text = _clean_text(raw.get("text"), f"{where}, nội dung câu hỏi", problems, TEXT_MAX)
        if PLACEHOLDER_MARK in text:
            problems.append(f"{where}: hãy đặt tên câu hỏi thay cho «{text}» (tên này thành tiêu đề cột khi xuất "
                            "dữ liệu)")
        qtype = raw.get("type")
        if qtype not in EDIT_TYPES:
            problems.append(f"{where}: loại câu hỏi phải là một lựa chọn, nhiều lựa chọn hoặc ô viết")
            continue
        page_no = raw.get("page")
        if not isinstance(page_no, int) or isinstance(page_no, bool) or not 1 <= page_no <= len(pages):
            problems.append(f"{where}: trang không có trên phiếu")
            continue
        page = pages[page_no - 1]
        was = raw.get("was")
        question = EditQuestion(qid, text, qtype, page_no,
                                was=was if isinstance(was, str) and len(was) <= QUESTION_ID_MAX else None)
        if qtype == "text":
            question.frame = _rect(raw.get("frame"), page, f"{where}, khung viết", problems, frame=True)
            questions.append(question)
            continue
        options = raw.get("options")
        if not isinstance(options, list) or not options:
            problems.append(f"{where}: không có ô nào")
            continue
        if len(options) > T.EDITOR_MAX_OPTIONS:
            problems.append(f"{where}: nhiều hơn {T.EDITOR_MAX_OPTIONS} ô")
            continue
        if len(options) < 2 and qtype == "single":
            problems.append(f"{where}: câu một lựa chọn cần ít nhất hai ô (một ô đứng riêng: chọn «nhiều lựa chọn»)")
        codes: set[str] = set()
        for oi, option in enumerate(options, start=1):
            owhere = f"{where}, ô thứ {oi}"
            if not isinstance(option, dict):
                problems.append(f"{owhere}: không hợp lệ")
                continue
            code = option.get("code")
            if not isinstance(code, str) or not CODE_PATTERN.match(code) or len(code) > 20:
                problems.append(f"{owhere}: mã lựa chọn chỉ gồm chữ không dấu, số, '_' (tối đa 20 ký tự)")
                code = ""
            elif code in codes:
                problems.append(f"{owhere}: mã lựa chọn «{code}» bị trùng trong câu")
            codes.add(code)
            label = _clean_text(option.get("label"), f"{owhere}, nhãn", problems, LABEL_MAX)
            rect = _rect(option, page, owhere, problems)
            if rect is not None:
                question.options.append((code, label, rect))
                placed.setdefault(page_no, []).append((f"{qid or where}/{code}", rect))
        link = raw.get("link")
        if link is not None:
            if standard is None:
                problems.append(f"{where}: không có phiếu khảo sát chuẩn trong thư mục mẫu phiếu để gắn câu hỏi")
            elif qtype != "single":
                problems.append(f"{where}: chỉ câu một lựa chọn mới tính được vào chỉ số của phiếu chuẩn")
            elif not isinstance(link, dict) or not isinstance(link.get("question"), str) or not isinstance(
                    link.get("codes"), dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                        for k, v in link["codes"].items()):
                problems.append(f"{where}: liên kết với phiếu chuẩn không hợp lệ")
            else:
                own = [code for code, _, _ in question.options]
                found = check_link(qid or where, own, link, standard)
                problems += found
                if not found:
                    question.link = {"question": link["question"], "codes": {c: link["codes"][c] for c in own}}
        questions.append(question)
    for page_no, items in sorted(placed.items()):
        if len(items) > T.EDITOR_MAX_BOXES_PER_PAGE:
            problems.append(f"Trang {page_no}: {len(items)} ô, nhiều hơn {T.EDITOR_MAX_BOXES_PER_PAGE} ô một trang")
            continue
        problems += _overlaps(items, page_no)
    problems += _frames_over_boxes(questions)
    problems += shared_link_problems({q.id: q.link["question"] for q in questions if q.link})
    numbers = None if payload.get("numbers") is None else _check_numbers(payload["numbers"], questions, problems)
    if problems:
        raise EditError(problems)
    return Edit(form_id, title, questions, versions[0], versions[1],
                standard.form_id if standard is not None else None, numbers)


def _check_numbers(raw, questions: list[EditQuestion], problems: list[str]) -> list[tuple[str, list[str], str | None]]:
    """The edit's numbers (one digit per column, the template's ``labels``), checked as
    omr.forms.pinned.check_labels checks a YAML's: a list of {name, parts, was}; a name (a letter, then
    letters, digits, '_', at most 40) that is no question's and no other number's; two parts or more, each a
    choice question of the edit, in one number at most. Problems (Vietnamese) are added to ``problems``."""
    if not isinstance(raw, list) or len(raw) > T.EDITOR_MAX_QUESTIONS:
        problems.append("Danh sách số ghép từ nhiều cột không hợp lệ")
        return []
    choice = {q.id for q in questions if q.type != "text"}
    ids = {q.id for q in questions}
    out: list[tuple[str, list[str], str | None]] = []
    owner: dict[str, str] = {}
    for k, item in enumerate(raw, start=1):
        name = item.get("name") if isinstance(item, dict) else None
        parts = item.get("parts") if isinstance(item, dict) else None
        where = f"Số «{name}»" if isinstance(name, str) and len(name) <= 40 else f"Số ghép thứ {k}"
        if not isinstance(name, str) or not LABEL_NAME.fullmatch(name):
            problems.append(f"{where}: tên phải bắt đầu bằng chữ cái, chỉ gồm chữ không dấu, số và '_' "
                            "(tối đa 40 ký tự), ví dụ Ngay")
            continue
        if name in ids or any(name == n for n, _, _ in out):
            problems.append(f"{where}: trùng tên một câu hỏi hay một số khác; hãy đặt tên khác")
            continue
        if not isinstance(parts, list) or len(parts) < 2 or not all(isinstance(p, str) for p in parts):
            problems.append(f"{where}: cần ít nhất hai câu (mỗi câu một cột chữ số), theo thứ tự")
            continue
        bad = [p for p in parts if p not in choice]
        twice = [p for p in parts if p in owner or parts.count(p) > 1]
        if bad:
            problems.append(f"{where}: {', '.join(bad[:5])} không phải câu chọn ô của mẫu phiếu")
            continue
        if twice:
            problems.append(f"{where}: câu {twice[0]} đã thuộc số «{owner.get(twice[0], name)}»")
            continue
        owner.update(dict.fromkeys(parts, name))
        was = item.get("was")
        out.append((name, list(parts), was if isinstance(was, str) and len(was) <= 40 else None))
    return out


def standard_id_notes(edit: Edit, standard: Template | None) -> list[str]:
    """Notes (Vietnamese) on questions named like a question of the standard survey without being linked
    to it: their answers count in no indicator (omr.reports.cache counts an office form's answers only
    through its links), which an admin naming a question "H1" may not expect. Empty when none."""
    if standard is None:
        return []
    counted = {q.id for q in standard.questions if q.type in STANDARD_TYPE_WORDS}
    return [f"Câu «{q.id}» trùng mã với câu {q.id} của phiếu chuẩn nhưng không gắn với câu đó: câu trả lời "
            f"của nó không được tính vào chỉ số {q.id} (muốn tính, hãy chọn câu ở mục «Tính vào chỉ số»)."
            for q in edit.questions if q.id in counted and (q.link or {}).get("question") != q.id]


def _frames_over_boxes(questions: list[EditQuestion]) -> list[str]:
    """Writing frames that hold check boxes of a question (a box's centre inside the frame, on its page).

    A frame drawn over boxes reads their ticks as handwriting and their marks are read twice (second
    new-user trial: the editor saved one silently), so the save is refused with the boxes named.
    """
    found = []
    for frame_q in questions:
        if frame_q.type != "text" or frame_q.frame is None:
            continue
        fx, fy, fw, fh = frame_q.frame
        for q in questions:
            if q.type == "text" or q.page != frame_q.page:
                continue
            inside = [code for code, _, (x, y, w, h) in q.options
                      if fx <= x + w / 2 <= fx + fw and fy <= y + h / 2 <= fy + fh]
            if inside:
                boxes = ", ".join(f"«{c}»" for c in inside[:5]) + ("…" if len(inside) > 5 else "")
                found.append(f"Câu «{frame_q.id}»: khung viết chứa {len(inside)} ô đánh dấu của câu «{q.id}» "
                             f"({boxes}); hãy thu khung viết lại cho khỏi các ô, hoặc xoá khung")
    return found


def _overlaps(items: list[tuple[str, tuple]], page_no: int) -> list[str]:
    """Boxes of one page that cover each other (more than ``T.EDITOR_BOX_MAX_OVERLAP`` of the smaller).

    Sort and sweep along x: each box is compared only with the boxes that start before it ends, so
    memory is O(N) (a box is at most ``T.EDITOR_BOX_MAX_MM`` wide). At most 10 pairs are named.
    """
    if len(items) < 2:
        return []
    r = np.array([rect for _, rect in items], dtype=float)
    order = np.argsort(r[:, 0], kind="stable")
    x0, y0 = r[order, 0], r[order, 1]
    x1, y1 = x0 + r[order, 2], y0 + r[order, 3]
    area = r[order, 2] * r[order, 3]
    found = []
    for i in range(len(order) - 1):
        end = int(np.searchsorted(x0, x1[i], side="left"))  # boxes i+1 .. end-1 start before box i ends
        if end <= i + 1:
            continue
        j = np.arange(i + 1, end)
        iw = np.clip(np.minimum(x1[i], x1[j]) - np.maximum(x0[i], x0[j]), 0, None)
        ih = np.clip(np.minimum(y1[i], y1[j]) - np.maximum(y0[i], y0[j]), 0, None)
        share = iw * ih / np.minimum(area[i], area[j])
        for k in j[share > T.EDITOR_BOX_MAX_OVERLAP]:
            a, b = sorted((int(order[i]), int(order[k])))
            found.append((a, b))
        if len(found) >= 10:
            break
    return [f"Trang {page_no}: ô {items[a][0]} và ô {items[b][0]} chồng lên nhau" for a, b in sorted(found)[:10]]


# --- renames: labels and join follow --------------------------------------------------------------

def renames(draft: Draft, edit: Edit) -> dict[str, str]:
    """Old id (in the draft's template) -> new id (in the edit) of every question the edit renamed.

    The browser sends each question's id in the draft as ``was``; a question without one (an edit kept
    from an older page) whose boxes are exactly those of a question of the draft that is gone from the
    edit is that question renamed. A ``was`` naming no question of the draft, or claimed twice, counts
    for nothing.
    """
    template = draft.template
    old_ids = {q.id for q in template.questions}
    new_ids = {q.id for q in edit.questions}
    out: dict[str, str] = {}
    claimed: set[str] = set()
    for q in edit.questions:
        if q.was in old_ids and q.was not in claimed:
            claimed.add(q.was)
            if q.was != q.id:
                out[q.was] = q.id
    pinned = template.extra["pinned"]
    rects = {n: (page["page"], tuple(round(v, 2) for v in rect)) for page in pinned["pages"]
             for n, rect in page["boxes"].items()}
    boxes_of: dict[str, frozenset] = {}
    for n, (qid, _) in pinned["assign"].items():
        boxes_of[qid] = boxes_of.get(qid, frozenset()) | {rects[n]}
    gone = {qid: boxes for qid, boxes in boxes_of.items() if qid not in new_ids and qid not in claimed}
    for q in edit.questions:
        if q.was is not None or q.type == "text" or q.id in old_ids:
            continue
        mine = frozenset((q.page, tuple(round(v, 2) for v in rect)) for _, _, rect in q.options)
        same = [qid for qid, boxes in gone.items() if boxes == mine]
        if len(same) == 1:
            out[same[0]] = q.id
            del gone[same[0]]
    return out


def carried_labels_and_join(draft: Draft, edit: Edit) -> tuple[dict[str, list[str]], dict | None, list[str]]:
    """The draft template's ``labels`` and ``join`` (#16 item 5) for the edit: (labels, join, notes).

    Renamed questions (:func:`renames`) are renamed in both. A label one of whose questions the edit
    removed (deleted, merged into another, made a writing frame) is dropped, and ``notes`` says so in
    Vietnamese (the save's message shows it: an export column the admin would otherwise lose silently).
    Raises EditError naming what to fix when ``join`` names a question or label that is gone, or when a
    question was renamed to a label's name.
    """
    renamed = renames(draft, edit)
    choice = {q.id for q in edit.questions if q.type != "text"}
    labels: dict[str, list[str]] = {}
    notes: list[str] = []
    problems: list[str] = []
    old_labels = draft.template.extra.get("labels") or {}
    if edit.numbers is not None:  # the editor showed the numbers: they are as the admin left them
        kept = {was: name for name, _, was in edit.numbers if was in old_labels}
        renamed = {**renamed, **{was: name for was, name in kept.items() if was != name}}
        labels = {name: list(parts) for name, parts, _ in edit.numbers}
        notes += [f"số «{name}» (ghép các câu {', '.join(parts)} thành một cột khi xuất) đã bỏ trong bản sửa."
                  for name, parts in old_labels.items() if name not in kept]
        old_labels = {}
    for name, parts in old_labels.items():
        new_parts = [renamed.get(p, p) for p in parts]
        missing = [old for old, new in zip(parts, new_parts) if new not in choice]
        if missing:
            notes.append(f"nhãn «{name}» (ghép các câu {', '.join(parts)} thành một cột khi xuất) đã bỏ vì "
                         f"câu {', '.join(missing)} không còn là câu chọn ô trong bản sửa.")
            continue
        if name in {q.id for q in edit.questions}:
            problems.append(f"Câu «{name}»: trùng tên nhãn «{name}» (ghép các câu {', '.join(new_parts)} khi xuất); "
                            "hãy đặt mã câu hỏi khác")
            continue
        labels[name] = new_parts
    join = draft.template.extra.get("join")
    if join and join["mode"] in (SERIAL_FIELD, COVER_SHEET):
        names = join["fields"] if join["mode"] == SERIAL_FIELD else [join["id"]] if join.get("id") else []
        shown = "theo số phiếu ghi trên từng trang (join: serial_field)" if join["mode"] == SERIAL_FIELD else \
            "theo trang bìa (join: cover_sheet)"
        moved = []
        for name in names:
            new = renamed.get(name, name)
            if new not in labels and new not in choice:
                if name in (draft.template.extra.get("labels") or {}):
                    gone = f"nhãn «{name}», mà bản sửa đã xoá một câu của nhãn: hãy giữ lại các câu của nhãn"
                else:
                    gone = f"câu «{name}», mà bản sửa đã xoá: hãy giữ lại câu đó"
                problems.append(f"Cách ghép trang {shown} cần {gone}, hoặc sửa mục join trong tệp YAML "
                                "của mẫu phiếu")
            moved.append(new)
        join = {"mode": SERIAL_FIELD, "fields": moved} if join["mode"] == SERIAL_FIELD else \
            {"mode": COVER_SHEET, "id": moved[0] if moved else None}
    if problems:
        raise EditError(problems)
    return labels, join, notes


def frames_over_print_notes(draft: Draft, edit: Edit) -> list[str]:
    """Warnings (Vietnamese) for the edit's writing frames drawn over the blank's printed text, naming each
    (:func:`omr.template_from.blank.frames_over_print`, on the draft's reference images). The save stands:
    the reader leaves the print out of the frame; the admin is told to shrink it."""
    notes = []
    for page in draft.pages:
        frames = [(q.id, q.text, q.frame) for q in edit.questions
                  if q.type == "text" and q.page == page["page"] and q.frame is not None]
        if not frames:
            continue
        reference = cv2.imread(str(draft.folder / page["reference"]), cv2.IMREAD_GRAYSCALE)
        if reference is not None:
            notes += frames_over_print(reference, float(page["width"]), frames, page["page"])
    return notes


def kept_groups(draft: Draft, edit: Edit, placed: list[tuple[int, dict]]) -> list[dict]:
    """The edit's questions (``placed``: (page, question dict) in order) in the groups of the draft's template.

    Each question stays in its group (an OMRChecker import's blocks: «Roll», «MCQ_Block_Q1»; a blank's
    pages), followed through renames (:func:`renames`); a new question joins the group of the question
    before it on its page, or its page's group («Trang N»). The order of the questions (the export's
    columns) is kept: a group whose questions the edit moved apart is written as several groups with the
    same title (ids made unique with "_2", "_3", …).
    """
    back = {new: old for old, new in renames(draft, edit).items()}
    group_of = {q.id: (g.id, g.title) for g in draft.template.groups for q in g.questions}
    was = {q.id: q.was for q in edit.questions if q.was in group_of}
    groups: list[dict] = []
    used: set[str] = set()
    previous: tuple[int, tuple[str, str]] | None = None
    for page_no, question in placed:
        own = group_of.get(was.get(question["id"]) or back.get(question["id"], question["id"]))
        if own is None:
            own = previous[1] if previous and previous[0] == page_no else (f"P{page_no}", f"Trang {page_no}")
        if groups and previous and previous[1] == own:
            groups[-1]["questions"].append(question)
        else:
            gid, n = own[0], 1
            while gid in used:
                n += 1
                gid = f"{own[0]}_{n}"
            used.add(gid)
            groups.append({"id": gid, "title": own[1], "questions": [question]})
        previous = (page_no, own)
    return groups


# --- saving a version ---------------------------------------------------------------------------

@dataclass
class Saved:
    form_id: str
    version: int
    path: Path
    previous: int | None
    kept_as: str | None
    questions: int
    boxes: int
    frames: int
    # One-answer questions linked to no standard question (omr.forms.links): the report counts them in no
    # indicator. ``standard``: whether a standard survey was there to link them to.
    unlinked: tuple[str, ...] = ()
    standard: bool = True
    notes: tuple[str, ...] = ()  # what the save changed that the admin did not ask for (a label dropped), Vietnamese

    def unlinked_note(self) -> str:
        """The save message's sentence on the questions the period report will not count, or ""."""
        if not self.unlinked:
            return ""
        shown = ", ".join(self.unlinked[:T.EDITOR_UNLINKED_LISTED])
        more = len(self.unlinked) - T.EDITOR_UNLINKED_LISTED
        names = shown + (f" và {more} câu khác" if more > 0 else "")
        why = ("chưa gắn với câu nào của phiếu khảo sát chuẩn (chọn ở «Tính vào chỉ số»)" if self.standard else
               "thư mục mẫu phiếu chưa có phiếu khảo sát chuẩn để gắn")
        return (f"{len(self.unlinked)} câu một lựa chọn không được tính vào chỉ số nào ({names}): {why}; "
                "báo cáo theo kỳ sẽ không tính các câu này.")


def _frozen_versions(template_dir: Path, form_id: str) -> list[int]:
    found = []
    for path in Path(template_dir).rglob(f"layouts/{form_id}-v*.json"):
        tail = path.stem[len(form_id) + 2:]
        if tail.isdecimal():
            found.append(int(tail))
    return found


def _printed_layout_frozen(template_dir: Path, form_id: str) -> bool:
    """Whether a frozen layout of ``form_id`` (``layouts/<form>-v<N>.json``) is of an omr printed form.

    Its YAML may be gone (moved, renamed) while pages read with it stay in the database: the id stays
    that form's. A layout that cannot be read counts as printed (refused, never taken over).
    """
    for path in Path(template_dir).rglob(f"layouts/{form_id}-v*.json"):
        if not path.stem[len(form_id) + 2:].isdecimal():
            continue
        try:
            pages = json.loads(path.read_text(encoding="utf-8")).get("pages") or []
        except (OSError, ValueError, AttributeError):
            return True
        if not pages or any(not isinstance(page, dict) or not page.get("pinned") for page in pages):
            return True
    return False


def save_edit(template_dir: Path, draft: Draft, edit: Edit, store, who: str) -> Saved:
    """Write ``edit`` as a new version of its form in ``template_dir``; returns what was saved.

    The template is written by ``write_pinned_template`` into the draft, loaded back by
    ``load_template`` and laid out (``resolve_layout``) before the templates folder is touched.
    Then: reference (and corner-marker) images to ``<form>/v<N>/``, the YAML it replaces kept as
    ``<form>/history/v<old>.yaml``, the new YAML in its place, one ``changes`` row (who, when,
    the version before). Raises EditError: 409 when the form was saved by someone else since the
    draft was opened, or when the form id is taken and the user has not confirmed a new version of it;
    400 when the form id belongs to one of omr's own printed forms or the template does not load.
    """
    template_dir = Path(template_dir)
    with _SAVING:
        current = find_template(template_dir, edit.form_id)
        previous = current[1].version if current else None
        # The version the edit started from counts only for the form the draft was opened from or last
        # saved as: renamed to another form's id, the edit is new to that form and must be confirmed.
        base = edit.base_version if edit.form_id == draft.meta.get("form_id") else None
        if (current and not current[1].extra.get("pinned")) or (
                current is None and _printed_layout_frozen(template_dir, edit.form_id)):
            raise EditError([f"Mã «{edit.form_id}» là của một mẫu phiếu omr in (có mã QR); hãy chọn mã khác"])
        if current and base != previous and edit.replace_version != previous:
            if base is not None:
                raise EditError([f"Mẫu phiếu «{edit.form_id}» vừa được lưu thành phiên bản {previous} sau khi "
                                 f"bạn mở (bạn sửa từ phiên bản {base}). Lưu đè thành phiên bản mới? "
                                 "(phiên bản kia vẫn được giữ; hoặc bấm Huỷ, mở lại bản mới nhất rồi sửa)"],
                                status=409, current_version=previous)
            raise EditError([f"Đã có mẫu phiếu «{edit.form_id}» (phiên bản {previous}). Lưu thành phiên bản "
                             f"{max([previous] + _frozen_versions(template_dir, edit.form_id)) + 1} của mẫu này? "
                             "Phiên bản cũ vẫn được giữ."], status=409, current_version=previous)
        if current is None and (template_dir / f"{edit.form_id}.yaml").exists():
            raise EditError([f"Tệp {edit.form_id}.yaml đã có nhưng không đọc được; hãy chọn mã khác"])
        version = max([previous or 0] + _frozen_versions(template_dir, edit.form_id)) + 1
        labels, join, notes = carried_labels_and_join(draft, edit)
        notes += frames_over_print_notes(draft, edit)
        staged, counts = _write_staged(draft, edit, version, labels, join)
        target = current[0] if current else template_dir / f"{edit.form_id}.yaml"
        if current:
            resolve_layout(current[1])  # the old version's layout frozen (if it was not yet): its pages stay readable
        images = template_dir / edit.form_id / f"v{version}"
        images.mkdir(parents=True, exist_ok=True)
        for staged_image in sorted((staged.parent / edit.form_id / f"v{version}").iterdir()):  # pages, markers
            shutil.copyfile(staged_image, images / staged_image.name)
        kept_as = None
        if current:
            history = template_dir / edit.form_id / "history"
            history.mkdir(parents=True, exist_ok=True)
            kept = history / f"v{previous}.yaml"
            if kept.exists():  # never overwritten: a second copy gets the time it was replaced
                kept = history / f"v{previous}-{datetime.now(timezone.utc):%Y%m%d%H%M%S}.yaml"
            shutil.copyfile(target, kept)
            kept_as = kept.relative_to(template_dir).as_posix()
        incoming = target.with_name(target.name + ".saving")
        shutil.copyfile(staged, incoming)
        os.replace(incoming, target)
        try:
            resolve_layout(load_template(target))  # freezes the new version's layout
        except OmrError:
            if kept_as:
                shutil.copyfile(template_dir / kept_as, target)
            else:
                target.unlink(missing_ok=True)
            raise
        unlinked = tuple(q.id for q in edit.questions if q.type in LINK_TYPES and not q.link)
        saved = Saved(edit.form_id, version, target, previous, kept_as, *counts, unlinked=unlinked,
                      standard=edit.standard_form is not None, notes=tuple(notes))
        record_save(store, who, saved, draft)
        draft.meta.update(form_id=edit.form_id, base_version=version)  # the draft now edits what was saved
        _write_meta(draft.folder, draft.meta)
        return saved


def _write_staged(draft: Draft, edit: Edit, version: int, labels: dict[str, list[str]] | None = None,
                  join: dict | None = None) -> tuple[Path, tuple[int, int, int]]:
    """The new template written and loaded back inside the draft folder; (its path, (questions, boxes, frames)).

    ``labels`` and ``join``: the blank's, with the edit's renames followed (:func:`carried_labels_and_join`)."""
    stage = draft.folder / "saving"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / edit.form_id / f"v{version}").mkdir(parents=True)
    pages: list[dict] = []
    placed: list[tuple[int, dict]] = []  # (page, question as written), in the template's order
    box_number = frame_number = 0
    for page in draft.pages:
        shutil.copyfile(draft.folder / page["reference"],
                        stage / edit.form_id / f"v{version}" / f"page-{page['page']}.png")
        # How a scan is aligned to the page is the template's, never the edit's: kept as it was
        # (an OMRChecker import's sheet outline or corner markers, their image and size ratio).
        kept = {"anchor": page["anchor"], "shape": page["shape"], "printed_check": page["printed_check"]}
        if page.get("marker"):
            marker = f"page-{page['page']}-marker{Path(page['marker']).suffix.lower()}"
            shutil.copyfile(draft.folder / page["marker"], stage / edit.form_id / f"v{version}" / marker)
            kept.update(marker=f"{edit.form_id}/v{version}/{marker}", marker_ratio=page["marker_ratio"])
        boxes, frames, questions = {}, {}, []
        for q in (q for q in edit.questions if q.page == page["page"]):
            if q.type == "text":
                frame_number += 1
                frames[frame_number] = q.frame
                questions.append({"id": q.id, "text": q.text, "type": "text", "frame": frame_number})
                continue
            options = []
            for code, label, rect in q.options:
                box_number += 1
                boxes[box_number] = rect
                options.append((code, label, box_number))
            questions.append({"id": q.id, "text": q.text, "type": q.type, "options": options})
        pages.append({"reference": f"{edit.form_id}/v{version}/page-{page['page']}.png", "width": page["width"],
                      "height": page["height"], **kept, "boxes": boxes, "frames": frames})
        placed += [(page["page"], question) for question in questions]
    groups = kept_groups(draft, edit, placed)
    staged = stage / f"{edit.form_id}.yaml"
    write_pinned_template(staged, edit.form_id, edit.title, pages, groups,
                          marks=draft.template.extra["pinned"]["marks"], version=version,
                          labels=labels or None, join=join, standard=edit.standard,
                          note="Sửa trong trình sửa mẫu phiếu của ứng dụng web (omr review serve)")
    try:
        template = load_template(staged)
        resolve_layout(template, freeze=False)
    except TemplateError as exc:
        raise EditError([exc.message.replace(str(staged), f"{edit.form_id}.yaml")]) from None
    return staged, (len(edit.questions), box_number, frame_number)


# --- the audit trail -----------------------------------------------------------------------

def record_save(store, who: str, saved: Saved, draft: Draft) -> None:
    """One ``changes`` row: entity 'template', entity_id the new version, field the form id."""
    old = None if saved.previous is None else {"version": saved.previous, "kept_as": saved.kept_as}
    new = {"version": saved.version, "file": saved.path.name, "questions": saved.questions, "boxes": saved.boxes,
           "frames": saved.frames, "from": draft.meta.get("source", "")}
    store.writing(lambda conn: store._record_change(conn, who, "template", saved.version, None, saved.form_id,
                                                    old, new))


def template_history(store, limit: int = 50) -> list[dict]:
    """The latest template saves, newest first: at, who, form, version, previous version, where it is kept."""
    with store.reading() as conn:
        rows = conn.execute(sa.select(changes).where(changes.c.entity == "template")
                            .order_by(changes.c.at.desc(), changes.c.id.desc()).limit(limit)).mappings().all()
    out = []
    for row in rows:
        old = json.loads(row["old_value"]) if row["old_value"] else None
        new = json.loads(row["new_value"]) if row["new_value"] else {}
        out.append({"at": row["at"], "who": row["who"], "form_id": row["field"], "version": row["entity_id"],
                    "previous": old.get("version") if old else None, "kept_as": old.get("kept_as") if old else None,
                    "questions": new.get("questions"), "boxes": new.get("boxes"), "source": new.get("from", "")})
    return out


# --- trying a filled scan ------------------------------------------------------------------------

STATUS_TEXT = {OK: "đọc được", BLANK: "để trống", MULTIPLE: "nhiều ô", "ambiguous": "không chắc: cần kiểm tra",
               "invalid": "không hợp lệ", PART_REVIEW: "thiếu chữ số hoặc chữ số không chắc: cần kiểm tra"}


def try_scan(received: Path, client_name: str, layout, folder: Path) -> list[dict]:
    """Read a filled scan with one saved template, nothing stored; one dict per page of the scan.

    Each page: ``number``, ``error`` (why it was not read, Vietnamese) or ``image`` (the page warped onto
    the template, JPEG bytes at 6 px/mm), ``width``/``height`` (mm), ``boxes`` (x, y, w, h mm, state),
    ``frames`` (x, y, w, h mm, inked) and ``questions`` (id, text, value shown, status, status text,
    where to draw it). At most as many pages as the template has; a last entry with an ``error`` names
    the pages beyond them. Raises InputFileError (naming the file) for a file that is not a scan.
    """
    shown = jobs.display_name(client_name)
    try:
        if received.stat().st_size == 0:
            raise InputFileError(f"Tệp «{shown}» rỗng (0 byte)")
        if received.stat().st_size > T.EDITOR_MAX_FILE_BYTES:
            raise InputFileError(f"Tệp «{shown}» lớn hơn {T.EDITOR_MAX_FILE_BYTES // 1024 ** 2} MB")
        suffix = jobs.scan_suffix(received)
        if suffix is None:
            raise InputFileError(f"Tệp «{shown}» không phải bản quét ({SCAN_FORMAT_NAMES})")
        folder.mkdir(parents=True, exist_ok=True)
        scan = folder / f"thu{suffix}"
        shutil.move(str(received), scan)
    finally:
        received.unlink(missing_ok=True)
    try:
        in_file = _page_count(scan, shown)
        n_pages = min(in_file, len(layout.pages))
        # Each page read in a watched worker process (memory cap, time bound per page), as in a batch.
        done = run_bounded(_try_task, [(str(scan), index, shown) for index in range(n_pages)],
                           initializer=_init_try, initargs=(layout,), seconds_per_task=T.EDITOR_SECONDS_PER_PAGE,
                           preload=WORKER_PRELOAD)
        out = []
        for (_, index, _), outcome in done:
            if isinstance(outcome, Failure):
                outcome = {"number": index + 1, "error": f"Tệp «{shown}», trang {index + 1}: "
                                                         f"{_bound_reason(outcome, T.EDITOR_SECONDS_PER_PAGE)}"}
            out.append(outcome)
        if in_file > n_pages:
            out.append({"number": n_pages + 1, "error": f"Tệp «{shown}» có {in_file} trang, mẫu phiếu có {n_pages}: "
                                                         f"chỉ đọc thử {n_pages} trang đầu"})
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_try_layout = None
_try_loader: PageLoader | None = None


def _init_try(layout) -> None:
    """Set up a try-on worker with the template's layout."""
    global _try_layout, _try_loader
    _try_layout, _try_loader = layout, PageLoader()


def _try_task(task: tuple[str, int, str]) -> dict:
    """In a worker: one page of a filled scan read with the template (see :func:`try_scan`)."""
    path, index, shown = task
    layout = _try_layout
    raw = _try_loader.load(Path(path), index)
    result = process_page(raw, Catalogue({(layout.form_id, layout.version): layout}))
    return _tried_page(raw, result, layout, {q.id: q for q in layout.questions}, shown, index)


# The identification note of a pinned page (omr.scan.register.pinned_identity): which blank, how similar.
_MATCH_NOTE = re.compile(r"khớp ảnh mẫu (?P<form>\S+) v(?P<version>\d+) trang (?P<page>\d+) "
                         r"\(độ tương đồng (?P<similarity>[0-9]+,?[0-9]*)(?P<low>, thấp)?[^()]*\)")


def _try_detail(detail: str, needs_look: bool) -> str:
    """The page's note as an admin trying a template reads it.

    The similarity (0-1: the filled page against the blank, once aligned) is lowered by every tick,
    handwriting, a fold or a darker scan, so on a well-read page it only worries: it is shown, in
    words, when it is low and some box needs a look (``needs_look``: a question to review, a box
    not found where printed); otherwise the note says the page matched, and any other remark stays.
    """
    found = _MATCH_NOTE.search(detail or "")
    if not found:
        return detail
    rest = (detail[:found.start()] + detail[found.end():]).strip(" ;")
    note = f"Trang này khớp trang {found['page']} của mẫu phiếu."
    if found["low"] and needs_look:
        note += (f" Ảnh trang chỉ giống phiếu trắng ở mức {found['similarity']} (thang 0–1, sau khi căn thẳng; "
                 "dấu tích, chữ viết, nếp gấp và độ sáng của bản quét đều làm giảm số này, nên dưới 0,5 là thấp). "
                 "Hãy xem các ô trên hình có nằm đúng chỗ in không; nếu lệch, quét lại trang phẳng và rõ hơn.")
    # The rest is a remark of its own ("độ chắc chắn …"): a sentence, so it starts with a capital.
    return f"{note} {rest[:1].upper()}{rest[1:]}." if rest else note


def name_other_form(page: dict, title: str) -> None:
    """Put the other form's title (found by the web app in its templates folder) into a tried page's error."""
    form = page.get("other_form")
    if form and title:
        page["error"] = page["error"].replace(f"mẫu omr in «{form}»", f"mẫu omr in «{title}» ({form})", 1)


def _other_form_page(result, layout) -> str | None:
    """Why a page carrying omr's QR code of another form is not read: it belongs to that form."""
    if result.set_aside != "unknown_form" or not result.form_id or result.form_id == layout.form_id:
        return None
    return (f"đây là trang {result.page} của một mẫu phiếu khác, mẫu omr in «{result.form_id}» phiên bản "
            f"{result.version} (đọc từ mã QR trên trang), không phải của mẫu «{layout.form_id}» đang thử. Hãy "
            "thử bằng một phiếu đã điền của chính mẫu này.")


def _tried_page(raw, result, layout, questions: dict, shown: str, index: int) -> dict:
    other = _other_form_page(result, layout)
    if other:
        return {"number": index + 1, "error": f"Tệp «{shown}», trang {index + 1}: {other}",
                "other_form": result.form_id}
    if result.set_aside or result.homography is None or raw.image is None:
        reason = SET_ASIDE_REASONS.get(result.set_aside, result.set_aside or "không căn được")
        detail = f": {page_detail(result.detail)}" if result.detail else ""  # as the scan summary says it
        return {"number": index + 1, "error": f"Tệp «{shown}», trang {index + 1}: {reason}{detail}"}
    page = next(p for p in layout.pages if p.number == result.page)
    size = (int(round(page.width * TRY_PX_PER_MM)), int(round(page.height * TRY_PX_PER_MM)))
    to_px = np.diag([TRY_PX_PER_MM, TRY_PX_PER_MM, 1.0]) @ np.linalg.inv(np.array(result.homography, dtype=float))
    warped = cv2.warpPerspective(raw.image, to_px, size, flags=cv2.INTER_AREA, borderValue=255)
    ok, jpeg = cv2.imencode(".jpg", warped, [cv2.IMWRITE_JPEG_QUALITY, 80])
    boxes = [{"x": b.x, "y": b.y, "w": b.w, "h": b.h, "state": b.state, "question": b.question}
             for b in result.boxes]
    first_box = {}
    for b in result.boxes:
        first_box.setdefault(b.question, b)
    regions = {c.field: c.region for c in result.comments}
    reads = []
    for read in result.questions:
        q = questions.get(read.question)
        # The read's own probability, never above what its status allows (a question to review is no 100 %).
        confidence = shown_confidence(read.status, read.confidence)
        reads.append({"id": read.question, "text": q.text if q else "", "value": _value_text(q, read.value),
                      "status": read.status, "status_text": STATUS_TEXT.get(read.status, read.status),
                      "confidence_text": "" if confidence is None else vn_percent(confidence),
                      "at": _anchor_of(first_box.get(read.question), regions.get(read.question))})
    by_id = {read.question: read for read in result.questions}
    for name, parts in layout.labels.items():  # a number marked one digit per column: the number read
        if all(p in by_id for p in parts):
            value, status = joined_value([(by_id[p].value, by_id[p].status) for p in parts])
            reads.append({"id": name, "text": f"số ghép từ các cột {' + '.join(parts)}",
                          "value": value if value is not None else "(trống)" if status == BLANK else "(chưa ghép được)",
                          "status": status, "status_text": STATUS_TEXT.get(status, status), "confidence_text": "",
                          "at": _anchor_of(first_box.get(parts[0]), None), "number": True})
    for comment in result.comments:
        q = questions.get(comment.field)
        reads.append({"id": comment.field, "text": q.text if q else "", "value": "có chữ viết" if comment.inked
                      else "(trống)", "status": "comment", "status_text": "ô viết", "confidence_text": "",
                      "at": _anchor_of(None, comment.region)})
    frames = [{"x": c.region[0], "y": c.region[1], "w": c.region[2], "h": c.region[3], "inked": c.inked}
              for c in result.comments]
    return {"number": index + 1, "image": jpeg.tobytes() if ok else b"", "width": page.width, "height": page.height,
            "boxes": boxes, "frames": frames, "questions": reads,
            "detail": _try_detail(page_detail(result.detail), any(r["status"] not in (OK, BLANK, "comment") for r in reads)
                                  or "không thấy in" in (result.detail or ""))}


def _anchor_of(box, region) -> dict:
    if box is not None:
        return {"x": round(box.x, 1), "y": round(box.y, 1)}
    if region is not None:
        return {"x": round(region[0], 1), "y": round(region[1], 1)}
    return {"x": 0.0, "y": 0.0}


def _value_text(question, value) -> str:
    if value is None or value == []:
        return "(trống)"
    codes = value if isinstance(value, list) else [value]
    labels = []
    for code in codes:
        try:
            labels.append(f"{code} – {question.option_label(str(code))}" if question else str(code))
        except KeyError:
            labels.append(str(code))
    return "; ".join(labels)
