"""Online exports imported in the web app: an admin uploads a CSV/XLSX, it is imported, audited.

The import itself is the command line's (omr.online.importer.import_online: reading, mapping,
normalising, duplicates); this module keeps the uploaded file under a name the server chose
(``<uploads>/online/<sha256>.<ext>``), bounds its size and rows, writes the rejects CSV beside it and
records who imported which file when (one ``changes`` row, entity ``ONLINE_ENTITY``).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from omr import tuning as T
from omr.data.schema import changes, import_files, stored_time
from omr.errors import InputFileError, OmrError
from omr.forms.template import Template, load_template
from omr.online.importer import NO_COLUMNS_ADVICE, ImportReport, file_sha256, import_online
from omr.online.mapping import load_mapping, mapping_yaml
from omr.online.table import Bounds, check_bounds, megabytes
from omr.text.numbers import vn_integer

ONLINE_ENTITY = "online_import"  # changes.entity of an import (entity_id: the import_files row)
ONLINE_FIELD = "file_imported"
SUFFIXES = (".csv", ".xlsx", ".txt", ".tsv")
# The web app's advice when no column of an export matches a question: the form's own mapping field and
# the starter mapping it offers (admin_online_mapping), not the command line.
WEB_NO_COLUMNS_ADVICE = ("hãy tải «tệp ánh xạ mẫu» của mẫu phiếu (liên kết dưới ô «Tệp ánh xạ cột» của trang "
                         "này), sửa mỗi dòng «column:» cho đúng tiêu đề cột trong tệp xuất, rồi chọn tệp đó ở ô "
                         "«Tệp ánh xạ cột» và nhập lại")


@dataclass
class WebImport:
    """One upload's import: the importer's report, the name the admin's file had, the import file's id."""

    report: ImportReport
    name: str
    file_id: int | None


def shown_name(filename: str) -> str:
    """The uploaded file's own name (no folders), NFC, at most 200 characters, for messages and the audit."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "tệp không tên"
    return "".join(c for c in name if c.isprintable())[:200]


def import_upload(store, uploads_dir: Path, filename: str, received: Path, source: str, who: str,
                  templates: str | Path, mapping_file: Path | None = None, mapping_name: str = "") -> WebImport:
    """Import the uploaded export ``received`` (a temporary file) as online responses of ``source``.

    ``filename`` is the name the browser sent (shown and audited, never used as a path). The file is
    kept as ``<uploads_dir>/online/<sha256><suffix>``, its rejects CSV beside it. Raises
    InputFileError (Vietnamese, naming ``filename``) for a suffix other than CSV/XLSX, a file over
    ``T.ONLINE_MAX_FILE_BYTES`` or with more than ``T.ONLINE_MAX_ROWS`` data rows, and every error of
    the importer (BadArgumentsError, TemplateError, InputFileError), the server's paths replaced by
    ``filename`` (the mapping file's by «``mapping_name``», the name its browser sent). The audit row (who, when, file name, sha256, counts) is written after the import.
    """
    name = shown_name(filename)
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputFileError(f"Tệp «{name}» không phải tệp xuất trực tuyến: chỉ nhận CSV hoặc XLSX "
                             "(tải từ Google Forms, cổng dịch vụ công hoặc bảng tính)")
    check_bounds(received, _web_bounds(name))  # size and rows, before the file is hashed, kept or read whole
    folder = Path(uploads_dir) / "online"
    folder.mkdir(parents=True, exist_ok=True)
    sha = file_sha256(received)
    kept = folder / f"{sha}{suffix}"
    if not kept.exists():
        shutil.move(str(received), kept)
    rejects = folder / f"{sha}.rejects.csv"
    try:
        mapping = load_mapping(mapping_file, templates) if mapping_file is not None else None
        bounds = _web_bounds(name)
        report = import_online(store, kept, source, mapping, templates=templates, rejects=rejects,
                               max_rows=bounds.max_rows, max_bytes=bounds.max_bytes, shown_name=name,
                               advice=bounds.advice)
    except Exception as exc:
        message = getattr(exc, "message", None)
        if message is not None:  # an OmrError: its message says the server's paths; the admin knows the name
            for path in (kept.resolve(), kept):
                message = message.replace(str(path), f"«{name}»")
            message = message.replace(NO_COLUMNS_ADVICE, WEB_NO_COLUMNS_ADVICE).replace(
                "bằng «omr online mapping»", "từ «tệp ánh xạ mẫu» tải trên trang này")
            if mapping_file is not None:
                message = message.replace(str(mapping_file), f"«{shown_name(mapping_name)}»"
                                          if mapping_name else "tệp ánh xạ")
            exc.message = message
            exc.args = (message,)
        with store.reading() as conn:
            stored = conn.execute(sa.select(import_files.c.id).where(import_files.c.sha256 == sha)).first()
        if stored is None:  # nothing of it imported: the server keeps no copy of a refused file
            kept.unlink(missing_ok=True)
        raise
    with store.reading() as conn:
        file_id = conn.execute(sa.select(import_files.c.id).where(import_files.c.sha256 == sha)).scalar()
    audit = {"name": name, "sha256": sha, "source": report.source, "rows": report.rows,
             "imported": report.imported, "already": report.already, "seen_elsewhere": report.seen_elsewhere,
             "repeated": report.repeated, "rejected": report.rejected}
    store.writing(lambda conn: store._record_change(conn, who, ONLINE_ENTITY, file_id or 0, None, ONLINE_FIELD,
                                                    None, audit, reason="nhập phiếu trực tuyến trên ứng dụng web"))
    return WebImport(report, name, file_id)


def starter_templates(templates: str | Path) -> list[tuple[Template, Path]]:
    """The form templates (``*.yaml`` in ``templates``, as the importer picks from) an admin can get a
    starter mapping of, with their files; a template that does not load is left out."""
    found = []
    for path in sorted(Path(templates).glob("*.yaml")):
        try:
            found.append((load_template(path), path))
        except OmrError:  # an invalid template is the template editor's to say, not this list's
            continue
    return found


def starter_mapping(templates: str | Path, form_id: str, version: int) -> str | None:
    """A mapping YAML for the form ``form_id`` version ``version`` (omr.online.mapping.mapping_yaml, no
    sample): one column per question named by its text, for the admin to rename to the export's
    headers; None when no template of ``templates`` is that form."""
    for template, path in starter_templates(templates):
        if template.form_id == form_id and template.version == version:
            # The template's file name only: the server's folders are no business of the download's, and
            # the import finds it in the templates folder (omr.online.mapping.load_mapping).
            return mapping_yaml(template, path.name)
    return None


def cli_advice() -> str:
    """The end of a web refusal over its bounds: the command line takes larger files (Vietnamese)."""
    return (f", hoặc nhập bằng lệnh «omr online import» trên máy chủ (nhận tới {vn_integer(T.ONLINE_CLI_MAX_ROWS)} "
            f"dòng, {megabytes(T.ONLINE_CLI_MAX_FILE_BYTES)} một tệp)")


def _web_bounds(name: str) -> Bounds:
    return Bounds(T.ONLINE_MAX_FILE_BYTES, T.ONLINE_MAX_ROWS, name, cli_advice())


def past_imports(store, limit: int = 50) -> list[dict]:
    """The latest web imports, newest first: who, when (aware UTC), and the audited file name and counts."""
    with store.reading() as conn:
        rows = conn.execute(sa.select(changes.c.at, changes.c.who, changes.c.entity_id, changes.c.new_value)
                            .where(changes.c.entity == ONLINE_ENTITY, changes.c.field == ONLINE_FIELD)
                            .order_by(changes.c.id.desc()).limit(limit)).all()
    return [{"at": stored_time(r.at), "who": r.who, "file_id": r.entity_id, **json.loads(r.new_value or "{}")}
            for r in rows]


def rejects_path(uploads_dir: Path, file_id: int, store) -> Path | None:
    """The rejects CSV of the imported file ``file_id`` when the web app wrote one, else None."""
    with store.reading() as conn:
        sha = conn.execute(sa.select(import_files.c.sha256).where(import_files.c.id == file_id)).scalar()
    if sha is None:
        return None
    path = Path(uploads_dir) / "online" / f"{sha}.rejects.csv"
    return path if path.is_file() else None
