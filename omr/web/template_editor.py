"""The template editor (admin, issue #16): a blank form in, a pinned template out, no YAML by hand.

Pages (``/admin/templates``, Vietnamese): the list of templates with the history of saves and an
upload of a blank; the editor of a draft (the page image with every found box drawn over it as SVG,
``static/template-editor.js`` keeps the edit in the browser and posts it whole as JSON with the CSRF
token in ``X-CSRFToken``); and "Thử trên phiếu đã điền", which reads a filled scan with a saved
template and draws what was read over it, storing nothing. The work itself (drafts, checks, saving
versions, trying) is :mod:`omr.web.template_drafts`. Admin only: everyone else gets 403.
"""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from omr import tuning as T
from omr.data import users
from omr.errors import InputFileError, OmrError, TemplateError
from omr.forms.layout import resolve_layout
from omr.forms.template import FORM_ID_PATTERN, load_template
from omr.scan.page import Catalogue
from omr.web import template_drafts as drafts
from omr.web.views import login_required

bp = Blueprint("template_editor", __name__, url_prefix="/admin/templates")


def _uploads() -> Path:
    return Path(current_app.config["UPLOADS_DIR"])


def _template_dir() -> Path:
    return Path(current_app.config["TEMPLATE_DIR"])


def _draft_or_404(draft_id: str) -> drafts.Draft:
    draft = drafts.load_draft(_uploads(), draft_id)
    if draft is None:
        abort(404)
    return draft


def _form_or_404(form_id: str):
    if not FORM_ID_PATTERN.match(form_id) or len(form_id) > drafts.FORM_ID_MAX:
        abort(404)
    found = drafts.find_template(_template_dir(), form_id)
    if found is None:
        abort(404)
    return found


@bp.url_value_preprocessor
def _bound_uploads(endpoint, values) -> None:
    """Bodies posted to the editor hold one file of ``T.EDITOR_MAX_FILE_BYTES`` (plus a few fields) or
    one edit: anything longer is refused with 413 before it is read, so a runaway upload never fills
    the disk (batches keep the app's 4 GB). Set here because URL preprocessors run before the CSRF
    check, which reads the form."""
    if request.method == "POST":
        own = T.EDITOR_MAX_BODY_BYTES if endpoint == "template_editor.save_draft" else T.EDITOR_MAX_FILE_BYTES + 64 * 1024
        # Never above the app's bound for this user (a form's for anyone but a logged-in admin).
        request.max_content_length = min(own, request.max_content_length or own)


def _received(name: str) -> tuple[str, Path] | None:
    upload = request.files.get(name)
    if upload is None or not upload.filename or not hasattr(upload.stream, "name"):
        return None
    return upload.filename, Path(upload.stream.name)


def _templates() -> list[dict]:
    """Every template of the templates folder, for the list: pinned ones can be opened in the editor."""
    shown = []
    for path in sorted(_template_dir().glob("*.yaml")):
        try:
            template = load_template(path)
        except TemplateError as exc:
            shown.append({"file": path.name, "error": exc.message.replace(str(path), path.name)})
            continue
        pinned = template.extra.get("pinned")
        shown.append({"file": path.name, "form_id": template.form_id, "version": template.version,
                      "title": template.title, "questions": len(template.questions),
                      "pages": len(pinned["pages"]) if pinned else template.max_pages,
                      "editable": bool(pinned)})
    return shown


def _list_page(status: int = 200):
    return render_template("templates_list.html", templates=_templates(),
                           history=drafts.template_history(current_app.extensions["omr_store"]),
                           max_pages=T.EDITOR_MAX_BLANK_PAGES,
                           max_mb=T.EDITOR_MAX_FILE_BYTES // 1024 ** 2), status


def reload_catalogue() -> None:
    """Read the templates folder again, so the app shows the saved version (jobs read it per job)."""
    current_app.extensions["omr_catalogue"] = Catalogue.from_folder(_template_dir())


@bp.get("")
@login_required(users.ADMIN)
def templates_page():
    return _list_page()


@bp.post("/blank")
@login_required(users.ADMIN)
def upload_blank():
    received = _received("blank")
    if received is None:
        flash("Chưa chọn tệp phiếu trắng.", "error")
        return _list_page(400)
    try:
        draft_id = drafts.create_draft_from_blank(_uploads(), received[1], received[0], g.user.name)
    except InputFileError as exc:
        flash(exc.message, "error")
        return _list_page(400)
    # The draft's warnings (frames over print, free-text questions with no frame: from_blank) are shown
    # once, by the editor page itself, for as long as the draft is edited; not flashed again here.
    return redirect(url_for("template_editor.editor_page", draft_id=draft_id), 303)


@bp.post("/<form_id>/edit")
@login_required(users.ADMIN)
def edit_saved(form_id: str):
    path, _ = _form_or_404(form_id)
    try:
        draft_id = drafts.create_draft_from_template(_uploads(), path, g.user.name)
    except (drafts.EditError, OmrError, OSError) as exc:
        flash(getattr(exc, "message", None) or f"Không mở được mẫu phiếu «{form_id}»", "error")
        return _list_page(400)
    return redirect(url_for("template_editor.editor_page", draft_id=draft_id), 303)


@bp.get("/drafts/<draft_id>")
@login_required(users.ADMIN)
def editor_page(draft_id: str):
    draft = _draft_or_404(draft_id)
    state = drafts.editor_state(draft, drafts.standard_template(_template_dir()))
    for page in state["pages"]:
        page["image"] = url_for("template_editor.draft_image", draft_id=draft.id, number=page["number"])
    state["save_url"] = url_for("template_editor.save_draft", draft_id=draft.id)
    return render_template("template_editor.html", state=state, draft=draft)


@bp.get("/drafts/<draft_id>/page-<int:number>.png")
@login_required(users.ADMIN)
def draft_image(draft_id: str, number: int):
    path = drafts.page_image(_draft_or_404(draft_id), number)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.post("/drafts/<draft_id>/save")
@login_required(users.ADMIN)
def save_draft(draft_id: str):
    draft = _draft_or_404(draft_id)
    try:
        payload = request.get_json(silent=True)
    except RecursionError:  # JSON nested thousands deep: Python's parser gives up
        return jsonify(ok=False, problems=["Dữ liệu gửi lên lồng nhau quá sâu, không phải một mẫu phiếu"]), 400
    try:
        standard = drafts.standard_template(_template_dir())
        edit = drafts.check_edit(payload, draft, standard)
        saved = drafts.save_edit(_template_dir(), draft, edit, current_app.extensions["omr_store"], g.user.name)
    except drafts.EditError as exc:
        return jsonify(ok=False, problems=exc.problems, conflict=exc.status == 409,
                       current_version=exc.current_version), exc.status
    except OmrError as exc:
        return jsonify(ok=False, problems=[exc.message]), 400
    kept = f" Phiên bản {saved.previous} được giữ ở {saved.kept_as}." if saved.previous else ""
    kept += "".join(f" Lưu ý: {note}" for note in drafts.standard_id_notes(edit, standard) + list(saved.notes))
    try:
        reload_catalogue()
    except OmrError as exc:  # another template of the folder is broken: the save stands, the app says so
        kept += f" Chưa nạp lại được thư mục mẫu phiếu: {exc.message}"
    return jsonify(ok=True, form_id=saved.form_id, version=saved.version,
                   message=f"Đã lưu mẫu phiếu «{saved.form_id}» phiên bản {saved.version}: {saved.questions} câu hỏi, "
                           f"{saved.boxes} ô, {saved.frames} khung viết.{kept}"
                           + (f" {saved.unlinked_note()}" if saved.unlinked else ""),
                   try_url=url_for("template_editor.try_page", form_id=saved.form_id))


@bp.route("/<form_id>/try", methods=["GET", "POST"])
@login_required(users.ADMIN)
def try_page(form_id: str):
    path, template = _form_or_404(form_id)
    try:
        layout = resolve_layout(template)
    except OmrError as exc:
        flash(exc.message, "error")
        return _list_page(400)
    pages, status = None, 200
    if request.method == "POST":
        received = _received("scan")
        if received is None:
            flash("Chưa chọn tệp phiếu đã điền.", "error")
            status = 400
        else:
            work = _uploads() / "template-tries" / uuid.uuid4().hex
            try:
                pages = drafts.try_scan(received[1], received[0], layout, work)
            except InputFileError as exc:
                flash(exc.message, "error")
                status = 400
            else:
                for page in pages:
                    if page.get("other_form"):
                        other = drafts.find_template(_template_dir(), page["other_form"])
                        drafts.name_other_form(page, other[1].title if other else "")
                    if page.get("image"):
                        page["image_url"] = "data:image/jpeg;base64," + base64.b64encode(page.pop("image")).decode()
    return render_template("template_try.html", template=template, file=path.name, pages=pages), status
