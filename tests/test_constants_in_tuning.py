"""Every tuning constant lives once in omr/tuning.py with why it has its value.

Thresholds had crept into their modules without a reason beside them (the web's upload form fields,
server threads and upload bound, the privacy window, online-import scores, database retries): a
module-level number outside tuning.py must now be a definition listed here, or move.
"""

from __future__ import annotations

import ast
from pathlib import Path

import omr

# Definitions, not tuning: sizes of stored fields and formats (a database id, a column's width, Excel's
# cell), units (mm per inch), flag and enum values, the report's layout set by Decree 30, the simulator's
# model of respondents, drawing sizes of pictures shown to people, caches' sizes.
DEFINITIONS = {
    "web/ids.py": {"MAX_DB_ID"},
    "web/template_drafts.py": {"FORM_ID_MAX", "QUESTION_ID_MAX", "TEXT_MAX", "LABEL_MAX", "TRY_PX_PER_MM"},
    "web/images.py": {"CROP_PX_PER_MM", "CROP_MARGIN_MM", "PAGE_WIDTH_PX", "PAGES_KEPT", "STRIPS_KEPT",
                      "MESSAGE_CHARS_PER_LINE"},
    "web/throttle.py": {"MAX_NAME_KEY"},
    "web/views.py": {"HISTORY_LIMIT", "SKIP_LIMIT", "MAX_REDIRECT_LENGTH"},
    "template_from/omrchecker.py": {"BUBBLE_MM", "REFERENCE_LONGEST_PX"},
    "template_from/blank.py": {"REFERENCE_PX_PER_MM"},
    "data/users.py": {"MIN_PASSWORD_LENGTH"},
    "data/review.py": {"MAX_UNIT_CODE"},
    "data/private_files.py": {"PRIVATE_FILE_MODE", "PRIVATE_FOLDER_MODE"},
    "data/store.py": {"SQLITE_FILE_MODE"},
    "scan/duplicates.py": {"VERSION"},
    "scan/comment_model.py": {"NUMBER_CHECK", "NUMBER_UNSURE"},
    "scan/ingest.py": {"PDF_RENDER_DPI", "_PDF_HEADER_WITHIN", "_WIDGET", "_NOT_SHOWN_FLAGS", "_UNKNOWN_ANNOTATION"},
    "scan/line_marks.py": {"_PERCENTILE_SLACK"},
    "scan/components.py": {"_MAX_U16_LABELS"},
    "scan/show.py": {"REVIEW", "REVIEW_EMPTY", "MM_PER_INCH"},
    "scan/read.py": {"_CHAMFER_DIAGONAL"},
    "reports/render.py": {"SVG_LABEL_CHARS", "CHART_PT", "CHART_LINE_IN", "CHART_BAR_GAP_IN", "CHART_FRAME_IN",
                          "CHART_LABEL_SHARE", "BODY_PT", "HEADING_PT", "MOTTO_PT", "TABLE_PT", "TABLE_MIN_PT",
                          "CELL_PADDING_CM", "PORTRAIT_WIDTH_CM", "LANDSCAPE_WIDTH_CM", "MAX_PICTURE_HEIGHT_CM",
                          "CHART_WIDTH_CM", "WIDE_CHART_WIDTH_CM"},
    "reports/export.py": {"EXCEL_CELL_LIMIT"},
    "reports/figures.py": {"REVISION_DETAIL_ROWS"},
    "reports/cache.py": {"BLOCK_SIZE", "IN_CHUNK", "MAX_GAPS", "REBUILD_SHARE", "ROW_RULES"},
    "reports/periods.py": {"CUTOFF_DAY"},
    "forms/printing.py": {"GUIDE_GREY", "ISSUER_PT", "ISSUER_MIN_PT", "UNIT_LINE_PT", "THANK_YOU_PT", "HEADER_GAP_MM"},
    "forms/fonts.py": {"PT_TO_MM"},
    "forms/simulate_beside.py": {"MM_PER_INCH", "CLEAR_OF_BOX_MM", "PENS"},
    "forms/synthetic_handwriting.py": {"_VIETNAMESE_RANGES"},
    "forms/simulate.py": {"MM_PER_INCH", "P_BLANK", "P_DOUBLE_MARK", "P_CORRECTION", "P_FILLED_AS_ANSWER",
                          "P_NO_OPINION", "P_STRAY_PER_PAGE", "P_COMMENT_SHEET", "P_SECOND_COMMENT", "BLEED_ALPHA",
                          "FELT_PEN_MM", "FELT_SOAK_PROB", "FELT_SOAK_SHARE"},
    "forms/qrcodes.py": {"SERIAL_DIGITS"},
}


def _numeric(node: ast.AST) -> bool:
    """A number, or numbers put together (``4 * 1024 ** 3``, ``(7.0, 4.0)``, ``-1``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.BinOp):
        return _numeric(node.left) and _numeric(node.right)
    if isinstance(node, ast.UnaryOp):
        return _numeric(node.operand)
    if isinstance(node, ast.Tuple):
        return bool(node.elts) and all(_numeric(e) for e in node.elts)
    return False


def test_module_level_numbers_outside_tuning_are_listed_definitions():
    root = Path(omr.__file__).parent
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name == "tuning.py" or name.startswith("data/migrations/"):
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            else:
                continue
            if node.value is None or not _numeric(node.value):
                continue
            for target in targets:
                if isinstance(target, ast.Name) and target.id.lstrip("_").isupper():
                    found.setdefault(name, set()).add(target.id)
    strays = {name: sorted(names - DEFINITIONS.get(name, set())) for name, names in found.items()}
    assert {name: names for name, names in strays.items() if names} == {}, "move these to omr/tuning.py"
