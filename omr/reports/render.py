"""Writers of a period report: XLSX (native Excel charts), DOCX (draft annex), HTML (printable, inline SVG).

All three lay out the same :class:`omr.reports.figures.Report`; every word a reader
sees is Vietnamese, numbers in the Vietnamese format ("82,66%"). Text that
came from respondents is masked for personal numbers before it gets here,
and written into XLSX as string cells, never formulas, exactly as written (omr.reports.xlsx_cells).
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
import textwrap
from dataclasses import replace
from pathlib import Path

from omr.model import INVALID_MULTIPLE, INVALID_MULTIPLE_TEXT
from omr.reports.dataset import local_time
from omr.reports.heading import BLANK_BODY, BLANK_PLACE, DocumentHeading
from omr.reports.periods import DATE_SOURCES
from omr.reports.xlsx_cells import DAY_FORMAT, as_text, day_value
from omr.text.privacy import CROP_WITHHELD_NOTE, mask_personal_numbers

CHANNEL_TITLES = {"paper": "Phiếu giấy", "online": "Trực tuyến"}
STATE_TITLES = {"reviewed": "đã kiểm tra", "draft": "bản nháp OCR, chưa kiểm tra", "online": "trực tuyến"}
SCORE_TITLES = ("Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng")
SVG_LABEL_CHARS = 48  # characters per line of a chart label in HTML (330 px at 11 px type)


# --- formatting --------------------------------------------------------------------

def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value, digits: int = 2) -> str:
    """12345.678 -> '12.345,68' (Vietnamese separators)."""
    if _missing(value):
        return "–"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def count(value) -> str:
    return "–" if _missing(value) else number(int(value), 0)


def pct(value) -> str:
    return "–" if _missing(value) else number(value) + "%"


def delta(value, unit: bool = True) -> str:
    """A change of a percentage, signed: "+6,74 điểm phần trăm" (``unit`` False: "+6,74", for a table
    column whose header names the unit, DELTA_HEADER)."""
    if _missing(value):
        return "–"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{number(abs(value))}" + (" điểm phần trăm" if unit else "")


# The header of a table column of changes (cells written by delta(value, unit=False)).
DELTA_HEADER = "Thay đổi (điểm phần trăm)"


def local(moment) -> str:
    return local_time(moment).strftime("%d/%m/%Y %H:%M")


def title_lines(report) -> list[str]:
    lines = [f"Kỳ báo cáo: {report.period.title} ({report.period.span}), {report.period.convention_text}",
             f"Phạm vi: {report.scope}" + ("; đơn vị cũ được cộng vào đơn vị kế thừa" if report.roll_up else ""),
             f"So sánh với: {report.previous.title} ({report.previous.span})"
             + (" – số liệu đã chốt" if report.previous_source == "frozen" else
                " – chưa có dữ liệu" if report.previous_source == "none" else ""),
             f"Lập lúc: {local(report.generated_at)}"]
    if report.closed:
        lines.insert(1, f"ĐÃ CHỐT SỐ LIỆU lúc {local(report.closed['closed_at'])} bởi {report.closed['closed_by']}: "
                        "số liệu dưới đây là số liệu đã chốt; thay đổi sau đó ở mục Điều chỉnh")
    return lines


def review_line(report) -> str:
    """What the period still has open in the review queue, by kind (omr.data.review.open_items), and for a
    closed period what was unreviewed in the frozen figures."""
    r = report.review
    open_now = r["open"]
    if report.closed:
        frozen = r["answers"] + r["comments"]
        text = ("Lúc chốt số liệu, mọi câu trả lời và ý kiến trong kỳ đã được kiểm tra." if not frozen else
                f"Lúc chốt số liệu còn {count(r['answers'])} câu trả lời và {count(r['comments'])} ý kiến viết "
                "tay chưa kiểm tra: chúng không được tính vào số liệu đã chốt.")
        text += (f" Hiện còn {count(open_now.total)} mục chưa kiểm tra: {open_now.text()}; kết quả kiểm tra "
                 "được ghi thành số liệu điều chỉnh." if open_now else " Hiện không còn mục nào chưa kiểm tra.")
    elif not open_now:
        text = "Tất cả mục của kỳ trong hàng đợi kiểm tra đã được xử lý."
    else:
        text = (f"CÒN {count(open_now.total)} MỤC CHƯA KIỂM TRA: {open_now.text()}. Mục chưa kiểm tra không "
                "được tính vào chỉ số; số liệu có thể thay đổi sau khi kiểm tra xong.")
    text += " " + incomplete_line(r.get("incomplete", 0), r.get("incomplete_pages"))
    if r.get("possible_duplicates"):
        text += " " + duplicate_line(r["possible_duplicates"])
    if r.get("conflicts"):
        text += " " + conflict_line(r["conflicts"])
    if r.get("no_answers"):
        text += " " + no_answers_line(r["no_answers"])
    for form in getattr(report, "uncounted_forms", None) or []:
        text += " " + uncounted_line(form)
    return text


def uncounted_line(form: dict) -> str:
    """The report's statement on a form whose sheets count in "Số phiếu" but in no indicator (omr.forms.links)."""
    return (f"{count(form['sheets'])} phiếu của mẫu «{form['title']}» ({form['form']} phiên bản {form['version']}) "
            "được tính vào «Số phiếu» nhưng không vào chỉ số nào: chưa câu nào của mẫu này được gắn với câu "
            "của phiếu khảo sát chuẩn (Mẫu phiếu → Sửa → «Tính vào chỉ số»), nên các câu trả lời của nó "
            "không có trong bảng câu hỏi.")


def no_answers_line(n: int) -> str:
    """The report's statement on paper sheets with no answer at all (no mark on any page, or every answer left
    blank by the people who reviewed it), when there are any: they are no valid response and are left out of
    «Tổng số phiếu khảo sát hợp lệ»."""
    return (f"Có {count(n)} phiếu không có câu trả lời nào (không có dấu ở mọi trang, hoặc mọi câu được người "
            "kiểm tra để trống): không tính là phiếu hợp lệ, không được tính vào số liệu.")


def duplicate_line(n: int) -> str:
    """The report's statement on sheets that may be another scan of a stored sheet (#16), when there are any."""
    return (f"Có {count(n)} phiếu giấy có thể là bản quét lại của phiếu đã có, đang chờ người quyết định: "
            "chưa được tính vào số liệu.")


def conflict_line(n: int) -> str:
    """The report's statement on sheets of serial conflicts waiting for a person, when there are any."""
    return (f"Có {count(n)} tờ phiếu giấy trùng số phiếu nhưng khác nội dung, đang chờ người quyết định giữ tờ "
            "nào: chưa tờ nào được tính vào «Số phiếu» và chỉ số.")


def incomplete_line(n: int, by_page: dict[int, int] | None = None) -> str:
    """The report's statement on paper sheets missing a page (issue #14), always given; ``by_page``
    (missing page number -> sheets) names the pages: «1 phiếu thiếu trang 2»."""
    if not n:
        return "Không có phiếu giấy nào thiếu trang."
    pages = "; ".join(f"{count(k)} phiếu thiếu trang {page}" for page, k in sorted((by_page or {}).items()))
    return (f"Có {count(n)} phiếu giấy thiếu trang" + (f" ({pages})" if pages else "")
            + " (trang thất lạc hoặc chưa nhận dạng được): các câu trên trang thiếu không được tính là bỏ trống "
            "và không được tính vào chỉ số; bảng câu hỏi đếm chúng ở cột «Không có câu trả lời».")


INVALID_HEADER = "Không hợp lệ (nhiều ô)"
# Sheets of «Số phiếu» with no answer to the question (a page missing, or a form that does not ask it):
# with it every row of the question table adds up to «Số phiếu» (ABSENT_NOTE says so under the table).
ABSENT_HEADER = "Không có câu trả lời"
ABSENT_NOTE = ("«Không có câu trả lời»: phiếu thiếu trang có câu này, hoặc mẫu phiếu / biểu mẫu trực tuyến không "
               "hỏi câu này; không phải bỏ trống. Mỗi dòng cộng lại bằng «Số phiếu»")
# Phrases a DOCX table header keeps on one line (a non-breaking space): a narrow column must not wrap
# "(nhiều / ô)". Only the DOCX: XLSX and HTML headers keep plain spaces, so a search for them finds them.
UNBROKEN = ("(nhiều ô)", "phần trăm")


def unbroken(text: str) -> str:
    """``text`` with the spaces inside UNBROKEN phrases made non-breaking."""
    for phrase in UNBROKEN:
        text = text.replace(phrase, phrase.replace(" ", "\u00a0"))
    return text


def question_rows(report) -> tuple[list[str], list[list]]:
    header = ["Nhóm", "Câu", "Nội dung", "1", "2", "3", "4", "5", "Không ý kiến", "Bỏ trống",
              INVALID_HEADER, "Chưa kiểm tra", ABSENT_HEADER, "n hợp lệ", "% hài lòng", "Điểm TB", "Kỳ trước",
              DELTA_HEADER]
    rows = [[r.group, r.question, r.text, r.n1, r.n2, r.n3, r.n4, r.n5, r.kyk, r.blank, r.invalid, r.pending,
             getattr(r, "absent", 0), r.n_valid, r.pct, r.mean, r.prev_pct, r.delta]
            for r in report.questions.itertuples()]
    return header, rows


def factor_groups(report):
    """The factor groups the overall index averages (report.groups without the group of the
    overall-satisfaction question), as a DataFrame in template order."""
    oq = report.overall_question
    questions = report.questions
    own = set(questions.loc[questions["question"] == oq["id"], "group"]) if oq["id"] else set()
    return report.groups[~report.groups["group"].isin(own)]


def overall_averaged(report) -> tuple[list[str], list[str]]:
    """(groups averaged into the overall index, factor groups left out for having no valid answer)."""
    factors = factor_groups(report)
    averaged = [g.group for g in factors.itertuples() if not _missing(g.index)]
    return averaged, [g.group for g in factors.itertuples() if _missing(g.index)]


def overall_label(report) -> str:
    """The overall row's label, naming exactly the groups it averages (domain.md: overall = mean of the
    factor indices, the overall-satisfaction question shown beside, not averaged)."""
    averaged, _ = overall_averaged(report)
    return (f"CHỈ SỐ HÀI LÒNG CHUNG = trung bình chỉ số {len(averaged)} nhóm {', '.join(averaged)}"
            if averaged else "CHỈ SỐ HÀI LÒNG CHUNG (chưa có nhóm nào có câu trả lời hợp lệ)")


def overall_question_label(report) -> str:
    oq = report.overall_question
    return (f"Đối chiếu – câu {oq['id']} (câu hỏi hài lòng chung, trình bày bên cạnh, không tính vào "
            f"trung bình): {oq['text']}")


def overall_note(report) -> str:
    """One sentence under the group table saying what the overall index is and what H1 is, for every format."""
    averaged, empty = overall_averaged(report)
    oq = report.overall_question
    text = (f"Chỉ số hài lòng chung là trung bình cộng chỉ số của {len(averaged)} nhóm tiêu chí "
            f"{', '.join(averaged)} (chỉ số mỗi nhóm là trung bình % hài lòng các câu của nhóm).")
    if empty:
        text += f" Nhóm {', '.join(empty)} chưa có câu trả lời hợp lệ nên không tính."
    if oq["id"]:
        text += (f" Câu {oq['id']} là câu hỏi riêng về mức độ hài lòng chung, được trình bày bên cạnh để đối "
                 "chiếu, không phải một nhóm được cộng vào trung bình.")
    return text


def group_rows(report) -> tuple[list[str], list[list]]:
    """The factor groups, then the overall index (naming the groups it averages), then the
    overall-satisfaction question beside it: the first len(factor_groups(report)) rows are the averaged ones."""
    header = ["Nhóm", "Nội dung", "Chỉ số (%)", "Kỳ trước (%)", DELTA_HEADER]
    rows = [[g.group, g.title, g.index, g.prev_index, g.delta] for g in factor_groups(report).itertuples()]
    oq = report.overall_question
    rows.append(["", overall_label(report), report.overall, report.overall_prev,
                 report.overall - report.overall_prev])
    if oq["id"]:
        rows.append([oq["id"], overall_question_label(report), oq["pct"], oq["prev"], oq["pct"] - oq["prev"]])
    return header, rows


def unit_rows(report) -> tuple[list[str], list[list]]:
    header = ["Hạng", "Mã", "Đơn vị", "Số phiếu", "Chỉ số chung (%)", "Công chức (%)", "Hài lòng chung (%)",
              "Kỳ trước (%)"]
    rows = [["—" if _missing(u.rank) else int(u.rank), u.unit, u.name, u.responses, u.index, u.staff,
             u.overall_question, u.prev_index] for u in report.units.itertuples()]
    return header, rows


def ranking_rule(report) -> str:
    """The ranking rule, stated in every format (#17)."""
    unranked = int(report.units["rank"].isna().sum()) if len(report.units) else 0
    text = (f"Chỉ xếp hạng đơn vị có từ {count(report.min_ranked)} phiếu trở lên trong kỳ: với ít phiếu hơn, "
            "một vài người trả lời đã làm chỉ số thay đổi nhiều nên thứ hạng không đáng tin cậy.")
    if unranked:
        text += f" {count(unranked)} đơn vị chưa đủ số phiếu (hoặc chưa có chỉ số) được liệt kê cuối bảng, không xếp hạng."
    return text


def ranked_units(report):
    """The ranked units only (for the charts)."""
    return report.units[report.units["rank"].notna()] if len(report.units) else report.units


def channel_rows(report) -> tuple[list[str], list[list]]:
    header = ["Mã", "Đơn vị", "Phiếu giấy", "Trực tuyến", "Tổng"]
    rows = [[c.unit, c.name, c.paper, c.online, c.total] for c in report.channels.itertuples()]
    rows.append(["", "Tổng cộng", int(report.channels["paper"].sum()), int(report.channels["online"].sum()),
                 report.n_responses])
    return header, rows


def flag_rows(report) -> tuple[list[str], list[list]]:
    header = ["STT", "Đơn vị", "Kênh", "Số phiếu", "Ngày", "Ô/câu", "Từ ngữ cần chú ý", "Nội dung (đã che số cá nhân)",
              "Tình trạng"]
    rows = []
    for i, f in enumerate(report.flags, 1):
        terms = ", ".join(f["terms"]) + (" (cần đọc kỹ: từ nhiều nghĩa)" if f["ambiguous"] else "")
        rows.append([i, f.get("unit_name") or f["unit"], CHANNEL_TITLES.get(f["channel"], f["channel"]),
                     f.get("serial_shown") or (f"{f['serial']:06d}" if f.get("serial") is not None else ""),
                     _vn_date(f.get("date")),
                     f["field"], terms, f["text"], STATE_TITLES.get(f["state"], f["state"])])
    return header, rows


def revision_rows(report) -> tuple[list[str], list[list]]:
    header = ["Kỳ", "Phát hiện lúc", "Phiếu thêm/bớt", "Thay đổi do người sửa", "Câu trả lời đổi", "Ý kiến mới cần chú ý"]
    rows = [[f"{r['period_title']} ({r['period']})", local(r["found_at"]), r["responses_added"], r["edits"],
             r["answers_changed"], r["new_flags"]] for r in report.revisions]
    return header, rows


def edit_rows(report) -> tuple[list[str], list[list]]:
    """Who changed what in a closed period after it was closed (from the audit trail)."""
    from datetime import datetime


    header = ["Kỳ", "Lúc", "Người sửa", "Loại", "Phiếu (mã nội bộ)", "Câu/ô", "Trước", "Sau"]
    entities = {"answer": "câu trả lời", "comment": "ý kiến", "page": "trang"}
    rows = [[r["period"], local(datetime.fromisoformat(e["at"])), e["who"], entities.get(e["entity"], e["entity"]),
             e["response_id"], e["field"], mask_personal_numbers(change_text(e["old"])),
             mask_personal_numbers(change_text(e["new"]))]
            for r in report.revisions for e in r["edit_rows"]]
    return header, rows


STATUS_TITLES = {"ok": "đã xác nhận", "blank": "bỏ trống", "multiple": "nhiều dấu", "ambiguous": "chưa chắc chắn",
                 "invalid": "không hợp lệ", "pending": "chờ kiểm tra", "reviewed": "đã kiểm tra",
                 INVALID_MULTIPLE: INVALID_MULTIPLE_TEXT.lower()}


def change_text(stored: str | None) -> str:
    """An audit value (JSON) in words: '4 (chưa chắc chắn)'."""
    import json

    if not stored:
        return "(chưa có)"
    try:
        value = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(value, dict):
        return str(value)
    shown = value.get("value", value.get("text"))
    shown = "(trống)" if shown in (None, "", []) else "; ".join(map(str, shown)) if isinstance(shown, list) else str(shown)
    status = value.get("status")
    if isinstance(value.get("flags"), list) and "text" in value:  # a comment's flagged terms (audited)
        shown += f" [dấu hiệu: {', '.join(value['flags'])}]" if value["flags"] else " [không có dấu hiệu]"
    return f"{shown} ({STATUS_TITLES.get(status, status)})" if status else shown


def _vn_date(iso: str | None) -> str:
    if not iso:
        return ""
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def cell_text(value, kind: str = "") -> str:
    if kind == "pct":
        return pct(value)
    if kind == "delta":
        return delta(value, unit=False)
    if kind == "mean":
        return number(value)
    if isinstance(value, float):
        return number(value)
    if isinstance(value, int) or hasattr(value, "dtype"):
        return count(value)
    return "" if value is None else str(value)


# What % satisfied leaves out, as every writer says it.
NOT_COUNTED = "không tính ô bỏ trống, câu đánh nhiều ô (không hợp lệ), «Không ý kiến» và câu chưa kiểm tra"
QUESTION_KINDS = [""] * 14 + ["pct", "mean", "pct", "delta"]
GROUP_KINDS = ["", "", "pct", "pct", "delta"]
UNIT_KINDS = ["", "", "", "", "pct", "pct", "pct", "pct"]


# --- charts as PNG (DOCX) -------------------------------------------------------------
# Both chart kinds print each bar's value in a column of its own right of the 0-100 % scale, never at the
# bar's end: the previous period's mark sits on the scale (at most 100 %), so the two cannot collide (#17).

CHART_PT = 8  # DOCX chart type: labels and values (the PNG is drawn at the size it is placed, so 8 pt prints as 8 pt)
CHART_LINE_IN = 0.15  # one line of a wrapped label (8 pt type at ~1.35 line spacing), inches
CHART_BAR_GAP_IN = 0.09  # between two bars' label blocks, inches
CHART_FRAME_IN = 0.95  # title, x axis with its label and the legend below it, inches
CHART_LABEL_SHARE = 0.42  # of the chart's width for the labels; the rest is the bars and the value column
PREVIOUS_COLOUR = "#e07000"


def bar_png(labels: list[str], values: list[float], title: str, width: float = 6.3,
            previous: list[float] | None = None) -> bytes:
    """A horizontal bar chart as PNG, ``width`` inches wide as placed (type prints at CHART_PT).

    Labels are wrapped whole, never cut; ``previous`` (one value or None per
    bar) is an orange mark on the bar; values are printed in a column right of
    the 100 % line, so no value meets a mark. The legend sits under the axis.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams["font.family"] = ["Liberation Serif", "DejaVu Serif", "serif"]
    clean = [0.0 if _missing(v) else float(v) for v in values]
    # The labels take at most CHART_LABEL_SHARE of the width, wrapped by their printed width.
    wrapped = ["\n".join(wrap_printed(label, width * 2.54 * CHART_LABEL_SHARE, CHART_PT)) or " " for label in labels]
    lines = sum(label.count("\n") + 1 for label in wrapped)
    height = max(1.6, CHART_LINE_IN * lines + CHART_BAR_GAP_IN * len(labels) + CHART_FRAME_IN)
    fig, ax = plt.subplots(figsize=(width, height), dpi=200, layout="constrained")
    bars = ax.barh(range(len(labels)), clean, height=0.62, color="#2f6db5", label="Kỳ này")
    ax.set_yticks(range(len(labels)), wrapped, fontsize=CHART_PT)
    ax.tick_params(axis="both", labelsize=CHART_PT, length=2)
    ax.invert_yaxis()
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("% hài lòng", fontsize=CHART_PT)
    ax.set_title(title, fontsize=CHART_PT + 1.5)
    handles = [bars]
    if previous is not None and any(not _missing(p) for p in previous):
        marks = [(float(p), i) for i, p in enumerate(previous) if not _missing(p)]
        handles.append(ax.scatter([m[0] for m in marks], [m[1] for m in marks], marker="|", s=170, linewidths=2.0,
                                  color=PREVIOUS_COLOUR, zorder=3, label="Kỳ trước", clip_on=False))
    for i, value in enumerate(values):
        # x in axes fraction (1 = the 100 % line), y in data: the value column, clear of bars and marks.
        ax.annotate(pct(value), xy=(1.0, i), xycoords=("axes fraction", "data"), xytext=(7, 0),
                    textcoords="offset points", va="center", ha="left", fontsize=CHART_PT, annotation_clip=False)
    ax.spines[["top", "right"]].set_visible(False)
    # Under the axis and its label, never over a bar: the layout makes room for it.
    fig.legend(handles=handles, fontsize=CHART_PT - 1, loc="outside lower right", ncol=len(handles), frameon=False)
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    return out.getvalue()


# --- charts as SVG (HTML) -------------------------------------------------------------

def bar_svg(labels: list[str], values: list[float], title: str, previous: list[float] | None = None) -> str:
    """A horizontal bar chart; labels are wrapped onto as many lines as they need, never cut (#17).

    Values stand in a column right of the 100 % line, clear of the bars and of
    the previous period's marks (which are at most at 100 %).
    """
    line_height, left, width, chars = 13, 330, 340, SVG_LABEL_CHARS
    values_x = left + width + 8  # the value column
    wrapped = [textwrap.wrap(label, chars) or [""] for label in labels]
    rows = [max(24, 10 + line_height * len(lines)) for lines in wrapped]
    height = 40 + sum(rows)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {values_x + 60} {height}" '
             f'role="img" aria-label="{html.escape(title)}" class="chart">',
             f'<text x="0" y="16" class="ct">{html.escape(title)}</text>',
             f'<line x1="{left + width}" x2="{left + width}" y1="26" y2="{height - 6}" class="cg"/>']
    y = 30
    for i, (lines, value, row) in enumerate(zip(wrapped, values, rows)):
        first = y + row / 2 - (len(lines) - 1) * line_height / 2 + 4
        spans = "".join(f'<tspan x="{left - 6}" y="{first + k * line_height:.1f}">{html.escape(line)}</tspan>'
                        for k, line in enumerate(lines))
        parts.append(f'<text text-anchor="end" class="cl">{spans}</text>')
        v = 0.0 if _missing(value) else float(value)
        bar_top = y + row / 2 - 8
        parts.append(f'<rect x="{left}" y="{bar_top:.1f}" width="{width * v / 100:.1f}" height="16" class="cb"/>')
        if previous is not None and not _missing(previous[i]):
            x = left + width * float(previous[i]) / 100
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bar_top - 2:.1f}" y2="{bar_top + 18:.1f}" class="cp"/>')
        parts.append(f'<text x="{values_x}" y="{bar_top + 12:.1f}" class="cv">{pct(value)}</text>')
        y += row
    parts.append("</svg>")
    return "".join(parts)


# --- HTML -------------------------------------------------------------------------------

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:12px;color:#111;margin:24px auto;max-width:1100px;
padding:0 32px}
h1{font-size:19px;margin:0 0 6px}h2{font-size:15px;margin:22px 0 6px;border-bottom:2px solid #2f6db5}
p.meta{margin:2px 0;color:#333}
.alert{border:3px solid #b00020;background:#fde7ea;color:#7a0016;font-weight:bold;padding:10px 12px;margin:12px 0;
font-size:14px}.ok{border:2px solid #1b7f3b;background:#e6f4ea;color:#1b5e20;padding:8px 12px;margin:12px 0}
.closed{border:2px solid #6a4c00;background:#fff4d6;padding:8px 12px;margin:12px 0}
.kpi{display:flex;flex-wrap:wrap;gap:14px;margin:10px 0}.kpi div{border:1px solid #ccd;padding:8px 12px;min-width:150px}
.kpi b{display:block;font-size:20px;color:#2f6db5}
.wide{overflow-x:auto;margin:6px 0}table{border-collapse:collapse;width:100%}
th,td{border:1px solid #bbb;padding:3px 5px;vertical-align:top;line-height:1.35}th.text{min-width:22em}
th{background:#e8eef7}td.n{text-align:right;white-space:nowrap}tr.total td{font-weight:bold;background:#f3f3f3}
svg.chart{width:100%;max-width:760px;height:auto;margin:8px 0}.ct{font-size:13px;font-weight:bold}
.cl{font-size:11px}.cv{font-size:10px}.cb{fill:#2f6db5}.cp{stroke:#d35400;stroke-width:2}.cg{stroke:#ccc}
img.crop{max-width:420px;border:1px solid #999}
@media screen and (max-width:480px){body{margin:12px auto;padding:0 16px}}
@page{margin:15mm}@media print{body{margin:0;padding:0;max-width:none}h2{page-break-after:avoid}table,svg,.alert{page-break-inside:avoid}}
"""


def _html_head(header: list[str]) -> str:
    """A table's opening, in a box that scrolls sideways on a narrow screen (the page itself never does),
    the «Nội dung» column marked to take the width (a question's text in 1-2 lines, not 4-5)."""
    cells = "".join(f"<th{' class=text' if h.startswith('Nội dung') else ''}>{html.escape(h)}</th>" for h in header)
    return f"<div class=wide><table><thead><tr>{cells}"


def _html_table(header: list[str], rows: list[list], kinds: list[str] | None = None, total_last: bool = False) -> str:
    kinds = kinds or [""] * len(header)
    out = [_html_head(header), "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cls = ' class="total"' if total_last and i == len(rows) - 1 else ""
        out.append(f"<tr{cls}>")
        for value, kind in zip(row, kinds):
            numeric = kind or isinstance(value, (int, float)) or hasattr(value, "dtype")
            out.append(f'<td{" class=n" if numeric else ""}>{html.escape(cell_text(value, kind))}</td>')
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def write_html(report, path: Path) -> None:
    esc = html.escape
    parts = ["<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>",
             f"<title>Báo cáo mức độ hài lòng – {esc(report.period.title)}</title><style>{CSS}</style></head><body>",
             "<h1>BÁO CÁO KẾT QUẢ KHẢO SÁT MỨC ĐỘ HÀI LÒNG ĐỐI VỚI SỰ PHỤC VỤ CỦA BỘ PHẬN MỘT CỬA</h1>"]
    parts += [f"<p class='meta'>{esc(line)}</p>" for line in title_lines(report)]
    parts.append(f"<div class='{'alert' if report.needs_attention else 'ok'}'>{esc(review_line(report))}</div>")
    if report.closed:
        parts.append(f"<div class='closed'>Số liệu kỳ này đã chốt lúc {esc(local(report.closed['closed_at']))}. "
                     "Các thay đổi phát hiện sau khi chốt không làm thay đổi số liệu đã chốt; xem mục Điều chỉnh.</div>")
    oq = report.overall_question
    parts.append("<div class='kpi'>"
                 f"<div>Số phiếu<b>{count(report.n_responses)}</b></div>"
                 f"<div>Chỉ số hài lòng chung<b>{pct(report.overall)}</b>{esc(delta(report.overall - report.overall_prev))}</div>"
                 f"<div>Câu {esc(oq['id'])} (hài lòng chung)<b>{pct(oq['pct'])}</b></div>"
                 f"<div>Ý kiến cần chú ý<b>{count(len(report.flags))}</b></div></div>")
    parts.append("<h2>1. Chỉ số theo nhóm tiêu chí</h2>")
    header, rows = group_rows(report)
    parts.append(_html_table(header, rows, GROUP_KINDS))
    parts.append(f"<p class='meta' id='overall-note'>{esc(overall_note(report))}</p>")
    factors = factor_groups(report)
    parts.append(bar_svg([f"{g.group}. {g.title.split('. ', 1)[-1]}" for g in factors.itertuples()],
                         list(factors["index"]), "Chỉ số hài lòng theo nhóm (vạch cam: kỳ trước)",
                         list(factors["prev_index"])))
    parts.append("<h2>2. Kết quả từng câu hỏi</h2><p class='meta'>% hài lòng = (số phiếu chọn 4 + 5) / số phiếu hợp lệ "
                 f"(1–5) × 100; {esc(NOT_COUNTED)}. {esc(ABSENT_NOTE)}.</p>")
    header, rows = question_rows(report)
    parts.append(_html_table(header, rows, QUESTION_KINDS))
    parts.append(bar_svg([f"{q.question}. {q.text}" for q in report.questions.itertuples()],
                         list(report.questions["pct"]), "% hài lòng từng câu (vạch cam: kỳ trước)",
                         list(report.questions["prev_pct"])))
    parts.append("<h2>3. Thái độ, tác phong công chức</h2>")
    header, rows = question_rows(report)
    staff_rows = [r for r in rows if r[0] == "D"]
    parts.append(_html_table(header, staff_rows, QUESTION_KINDS))
    for y in report.yesno.itertuples():
        parts.append(f"<p><b>{esc(y.question)}. {esc(y.text)}</b> Có: {count(y.yes)}; Không: {count(y.no)}; "
                     f"bỏ trống: {count(y.blank)}; không hợp lệ (đánh nhiều ô): {count(y.invalid)}; "
                     f"chưa kiểm tra: {count(y.pending)}; {ABSENT_HEADER.lower()}: {count(getattr(y, 'absent', 0))}"
                     " – tỷ lệ trả lời «Có»: "
                     f"{pct(y.pct_yes)}.</p>")
    parts.append(f"<h2>4. Ý kiến phản ánh cần chú ý ({count(len(report.flags))})</h2>"
                 "<p class='meta'>Từ ngữ được đánh dấu để người có trách nhiệm đọc và xác minh, không phải kết luận. "
                 "Số điện thoại, số giấy tờ đã được che.</p>")
    header, rows = flag_rows(report)
    if rows:
        table = [_html_head(header), "<th>Ảnh ô ý kiến</th></tr></thead><tbody>"]
        for row, flag in zip(rows, report.flags):
            crop = report.crops.get(flag.get("crop_comment"))
            img = (f"<img class='crop' alt='ảnh ô ý kiến' src='data:image/png;base64,{base64.b64encode(crop).decode()}'>"
                   if crop else f"<i>{esc(CROP_WITHHELD_NOTE)}</i>" if flag.get("crop_withheld") else "")
            table.append("<tr>" + "".join(f"<td>{esc(cell_text(v))}</td>" for v in row) + f"<td>{img}</td></tr>")
        parts.append("".join(table) + "</tbody></table></div>")
    else:
        parts.append("<p>Không có ý kiến nào chứa từ ngữ cần chú ý.</p>")
    parts.append("<h2>5. Xếp hạng đơn vị</h2>")
    parts.append(f"<p class='meta'>{esc(ranking_rule(report))}</p>")
    header, rows = unit_rows(report)
    parts.append(_html_table(header, rows, UNIT_KINDS))
    top = ranked_units(report).head(30)
    if len(top) > 1:
        parts.append(bar_svg([str(n) for n in top["name"]], list(top["index"]),
                             "Chỉ số hài lòng chung theo đơn vị (vạch cam: kỳ trước)", list(top["prev_index"])))
    parts.append("<h2>6. Số phiếu theo kênh và đơn vị</h2>")
    header, rows = channel_rows(report)
    parts.append(_html_table(header, rows, total_last=True))
    sources = "; ".join(f"{DATE_SOURCES[k]}: {count(v)}" for k, v in report.date_sources.items())
    parts.append(f"<p class='meta'>Ngày tính vào kỳ lấy theo: {esc(sources)}.</p>")
    parts.append("<h2>7. Điều chỉnh số liệu sau khi chốt</h2>")
    header, rows = revision_rows(report)
    parts.append(_html_table(header, rows) if rows else "<p>Không có điều chỉnh.</p>")
    header, rows = edit_rows(report)
    if rows:
        parts.append("<p class='meta'>Các thay đổi do người kiểm tra thực hiện sau khi chốt:</p>")
        parts.append(_html_table(header, rows))
    parts.append("</body></html>")
    path.write_text("".join(parts), encoding="utf-8")


# --- XLSX ---------------------------------------------------------------------------------

def write_xlsx(report, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.chart import BarChart, Reference
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font, PatternFill


    def safe(value):
        # Text as it is: every cell with text is a string cell, never run (xlsx_cells.as_text on each cell).
        if isinstance(value, str):
            return ILLEGAL_CHARACTERS_RE.sub("", value)
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
        return value

    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="E8EEF7")
    book = Workbook()

    def table(sheet, top: int, header: list[str], rows: list[list], kinds: list[str] | None = None) -> int:
        kinds = kinds or [""] * len(header)
        for c, h in enumerate(header, 1):
            cell = sheet.cell(top, c, h)
            cell.font, cell.fill = bold, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for r, row in enumerate(rows, top + 1):
            for c, (value, kind) in enumerate(zip(row, kinds), 1):
                day = day_value(value) if kind == "day" else None
                cell = as_text(sheet.cell(r, c, day if day is not None else safe(value)))
                if day is not None:
                    cell.number_format = DAY_FORMAT
                elif kind in ("pct", "delta"):
                    cell.number_format = '0.00"%"' if kind == "pct" else '+0.00;-0.00;0.00'
                elif kind == "mean" or isinstance(value, float):
                    cell.number_format = "0.00"
        return top + len(rows)

    def chart(sheet, title: str, labels_col: int, values_col: int, first: int, last: int, anchor: str,
              height: float = 7.5) -> None:
        bar = BarChart()
        bar.type, bar.title, bar.style = "bar", title, 10
        bar.y_axis.title, bar.y_axis.scaling.min, bar.y_axis.scaling.max = "% hài lòng", 0, 100
        bar.x_axis.scaling.orientation = "maxMin"
        bar.add_data(Reference(sheet, min_col=values_col, min_row=first - 1, max_row=last), titles_from_data=True)
        bar.set_categories(Reference(sheet, min_col=labels_col, min_row=first, max_row=last))
        bar.legend = None
        bar.height, bar.width = height, 18
        sheet.add_chart(bar, anchor)

    sheet = book.active
    sheet.title = "Tổng hợp"
    sheet["A1"] = "BÁO CÁO KẾT QUẢ KHẢO SÁT MỨC ĐỘ HÀI LÒNG ĐỐI VỚI SỰ PHỤC VỤ CỦA BỘ PHẬN MỘT CỬA"
    sheet["A1"].font = Font(bold=True, size=14)
    lines = title_lines(report)
    for i, line in enumerate(lines, 2):
        sheet.cell(i, 1, line)
    alert_row = len(lines) + 3
    alert = sheet.cell(alert_row, 1, review_line(report))
    alert.font = Font(bold=True, size=13, color="FFFFFF" if report.needs_attention else "1B5E20")
    alert.fill = PatternFill("solid", fgColor="B00020" if report.needs_attention else "E6F4EA")
    sheet.merge_cells(start_row=alert_row, start_column=1, end_row=alert_row, end_column=8)
    sheet.row_dimensions[alert_row].height = 48
    alert.alignment = Alignment(wrap_text=True, vertical="center")
    kpi = alert_row + 2
    for r, (label, value) in enumerate((("Số phiếu", report.n_responses),
                                         ("Chỉ số hài lòng chung (%)", report.overall),
                                         (f"Câu {report.overall_question['id']}: hài lòng chung (%)",
                                          report.overall_question["pct"]),
                                         ("Ý kiến cần chú ý", len(report.flags))), kpi):
        sheet.cell(r, 2, label).font = bold
        cell = sheet.cell(r, 3, safe(value))
        cell.font = Font(bold=True, size=12, color="2F6DB5")
        cell.number_format = '0.00"%"' if isinstance(value, float) else "#,##0"
    kpi += 3
    header, rows = group_rows(report)
    top = kpi + 2
    end = table(sheet, top, header, rows, GROUP_KINDS)
    sheet.cell(end + 1, 2, overall_note(report)).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[end + 1].height = 60
    end += 1
    n_groups = len(factor_groups(report))  # the chart shows the averaged groups only
    chart(sheet, "Chỉ số hài lòng theo nhóm", 2, 3, top + 1, top + n_groups, f"A{end + 2}",
          height=max(7.5, 1.0 * n_groups + 2))
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 60
    for col in "CDEFGH":
        sheet.column_dimensions[col].width = 16

    sheet = book.create_sheet("Câu hỏi")
    header, rows = question_rows(report)
    end = table(sheet, 1, header, rows, QUESTION_KINDS)
    sheet.cell(end + 1, 1, f"{NOT_COUNTED[:1].upper()}{NOT_COUNTED[1:]}. {ABSENT_NOTE}.")
    chart(sheet, "% hài lòng từng câu", 3, header.index("% hài lòng") + 1, 2, end, f"B{end + 2}",
          height=max(12, 0.8 * (end - 1) + 2))
    sheet.column_dimensions["C"].width = 60
    sheet.freeze_panes = "D2"

    sheet = book.create_sheet("Thái độ công chức")
    sheet["A1"] = "Thái độ, tác phong của công chức tiếp nhận và trả kết quả"
    sheet["A1"].font = Font(bold=True, size=12)
    staff = [r for r in rows if r[0] == "D"]
    end = table(sheet, 3, header, staff, QUESTION_KINDS)
    row = end + 2
    for y in report.yesno.itertuples():
        sheet.cell(row, 1, f"{y.question}. {y.text}").font = bold
        for c, (label, value) in enumerate((("Có", y.yes), ("Không", y.no), ("Bỏ trống", y.blank),
                                             ("Không hợp lệ (nhiều ô)", y.invalid), ("Chưa kiểm tra", y.pending),
                                             (ABSENT_HEADER, getattr(y, "absent", 0)),
                                             ("Tỷ lệ «Có» (%)", y.pct_yes)), 0):
            sheet.cell(row + 1, 2 + c, label).font = bold
            sheet.cell(row + 2, 2 + c, safe(value))
        row += 4
    _, urows = unit_rows(report)
    table(sheet, row, ["Mã", "Đơn vị", "Chỉ số công chức (%)"], [[r[1], r[2], r[5]] for r in urows],
          ["", "", "pct"])
    sheet.column_dimensions["C"].width = 50

    sheet = book.create_sheet("Ý kiến cần chú ý")
    sheet["A1"] = ("Ý kiến có từ ngữ cần chú ý (để đọc và xác minh, không phải kết luận); số điện thoại, "
                   "số giấy tờ đã được che")
    sheet["A1"].font = bold
    header, rows = flag_rows(report)
    table(sheet, 3, header + ["Ảnh ô ý kiến"], rows, [("day" if h == "Ngày" else "") for h in header] + [""])
    for i, flag in enumerate(report.flags):
        crop = report.crops.get(flag.get("crop_comment"))
        if crop:
            image = Image(io.BytesIO(crop))
            scale = min(1.0, 360 / max(image.width, 1))
            image.width, image.height = image.width * scale, image.height * scale
            sheet.add_image(image, f"J{4 + i}")
            sheet.row_dimensions[4 + i].height = max(30, image.height * 0.75)
        elif flag.get("crop_withheld"):
            sheet[f"J{4 + i}"] = CROP_WITHHELD_NOTE
        for column in range(1, 10):
            sheet.cell(4 + i, column).alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCDEFGHIJ", (5, 22, 11, 9, 11, 7, 22, 60, 14, 50)):
        sheet.column_dimensions[column].width = width

    sheet = book.create_sheet("Đơn vị")
    header, rows = unit_rows(report)
    end = table(sheet, 1, header, rows, UNIT_KINDS)
    sheet.cell(end + 1, 1, ranking_rule(report))
    end += 1
    if len(rows) > 1:
        chart(sheet, "Chỉ số hài lòng chung theo đơn vị", 3, 5, 2, min(end, 31), "J2", height=max(7.5, 0.8 * len(rows[:30]) + 2))
    cheader, crow = channel_rows(report)
    table(sheet, end + 3, cheader, crow)
    sources = "; ".join(f"{DATE_SOURCES[k]}: {count(v)}" for k, v in report.date_sources.items())
    sheet.cell(end + 5 + len(crow), 1, f"Ngày tính vào kỳ lấy theo: {sources}")
    sheet.column_dimensions["B"].width = 30
    sheet.column_dimensions["C"].width = 34

    sheet = book.create_sheet("Điều chỉnh")
    sheet["A1"] = "Điều chỉnh số liệu phát hiện sau khi chốt kỳ"
    sheet["A1"].font = bold
    header, rows = revision_rows(report)
    if rows:
        end = table(sheet, 3, header, rows)
        eheader, erows = edit_rows(report)
        if erows:
            sheet.cell(end + 2, 1, "Các thay đổi do người kiểm tra thực hiện sau khi chốt").font = bold
            table(sheet, end + 3, eheader, erows)
    else:
        sheet["A3"] = "Không có điều chỉnh."
    for column, width in zip("ABCDEFGH", (28, 18, 16, 20, 18, 14, 32, 32)):
        sheet.column_dimensions[column].width = width
    for sheet in book.worksheets:  # printed: landscape, one page wide
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    book.save(path)


# --- DOCX ---------------------------------------------------------------------------------
# A Vietnamese administrative document (Decree 30/2020/NĐ-CP, Appendix I): the report itself on portrait A4
# (margins top/bottom 2 cm, left 3 cm, right 1.5 cm; Times New Roman 14 pt body), then its annex of tables
# and charts on landscape A4 (Appendix I allows an annex in landscape), tables at TABLE_PT.

BODY_PT = 14  # Decree 30: body text 13-14 pt
HEADING_PT = 12  # issuing body and the national name: 12-13 pt (the motto line below it: 13-14 pt)
MOTTO_PT = 13
TABLE_PT = 11  # annex tables; shrunk (down to TABLE_MIN_PT) only where a table cannot otherwise fit the page
TABLE_MIN_PT = 9
CELL_PADDING_CM = 0.5  # Word's default cell margins (2 x 0.19 cm) and a little slack for rounding
PORTRAIT_WIDTH_CM = 21.0 - 3.0 - 1.5
LANDSCAPE_WIDTH_CM = 29.7 - 2.0 - 2.0
MAX_PICTURE_HEIGHT_CM = 21.0 - 2.0 - 2.0 - 1.0  # landscape page height less margins and a caption line
# Charts are drawn at the width they are placed (their 8 pt type prints at 8 pt) and short enough that the
# group chart fits under the group table on the annex's first page (#17: it used to leave that page half empty).
CHART_WIDTH_CM = 19.0
WIDE_CHART_WIDTH_CM = 22.0  # the per-question chart: its labels are whole questions
# Liberation 2 first: the 1.x fonts lack Vietnamese glyphs such as "ư" (their fallback width is wrong), and
# fontconfig gives LibreOffice the 2.x files for "Times New Roman".
SERIF_FILES = {False: ("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
                       "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
                       "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
               True: ("/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
                      "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
                      "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")}
_FONT_CACHE: dict = {}


def text_width_cm(text: str, size_pt: float, bold: bool = False) -> float:
    """Printed width of ``text`` in Times New Roman (Liberation Serif has the same metrics), in cm."""
    from PIL import ImageFont

    key = (bold, size_pt)
    if key not in _FONT_CACHE:
        font = None
        for candidate in SERIF_FILES[bold]:
            if Path(candidate).exists():
                font = ImageFont.truetype(candidate, size=int(size_pt * 20))  # 20 units per point
                break
        _FONT_CACHE[key] = font
    font = _FONT_CACHE[key]
    if font is None:  # no serif font installed: an average Times glyph is ~0.5 em
        return len(text) * size_pt * 0.5 * 2.54 / 72
    return font.getlength(text) / 20 * 2.54 / 72


def wrap_printed(text: str, width_cm: float, size_pt: float) -> list[str]:
    """``text`` in lines no wider than ``width_cm`` when printed (Times metrics); words are never split."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width_cm(f"{lines[-1]} {word}", size_pt) <= width_cm:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def column_widths(header: list[str], texts: list[list[str]], usable_cm: float, wide: set[int],
                  size_pt: float) -> list[float] | None:
    """Widths (cm) so that no word is broken and numbers stay on one line; None when they cannot fit.

    Each column needs its longest word (a number is one word); a column not
    in ``wide`` gets its longest cell on one line where there is room; the
    ``wide`` (text) columns share what is left.
    """
    def longest(cells, whole: bool, bold: bool) -> float:
        parts = [c if whole else w for c in cells for w in (_words(c) or [""])] if not whole else cells
        return max((text_width_cm(p, size_pt, bold) for p in parts), default=0.0) + CELL_PADDING_CM

    n = len(header)
    columns = [[row[i] for row in texts] for i in range(n)]
    need = [max(longest(columns[i], False, False), longest([header[i]], False, True)) for i in range(n)]
    if sum(need) > usable_cm:
        return None
    whole = [max(need[i], longest(columns[i], True, False)) if i not in wide else need[i] for i in range(n)]
    widths = whole if sum(whole) <= usable_cm else need
    spare = usable_cm - sum(widths)
    targets = [i for i in range(n) if i in wide] or list(range(n))
    return [w + (spare / len(targets) if i in targets else 0.0) for i, w in enumerate(widths)]


def _words(text: str) -> list[str]:
    """The words a printed cell may break between: at spaces, never at a non-breaking space."""
    return [w for w in re.split(r"[^\S\u00a0]+", text) if w]


def _numeric(value, kind: str) -> bool:
    if kind in ("pct", "mean", "delta"):
        return True
    return not isinstance(value, (str, bool)) and value is not None and (
        isinstance(value, (int, float)) or hasattr(value, "dtype"))


def write_docx(report, path: Path) -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor
    from docx.text.paragraph import Paragraph


    heading = report.heading or DocumentHeading("", (BLANK_BODY,), BLANK_PLACE)
    if heading.day is None:  # dated in Vietnam time, like "Lập lúc" above it

        heading = replace(heading, day=local_time(report.generated_at).date())
    document = Document()
    for style_name in ("Normal", "Table Grid"):
        style = document.styles[style_name]
        style.font.name = "Times New Roman"
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "Times New Roman")
    document.styles["Normal"].font.size = Pt(BODY_PT)
    document.styles["Normal"].paragraph_format.space_after = Pt(0)

    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    section.left_margin, section.right_margin = Cm(3.0), Cm(1.5)

    def para(container, text="", *, size=BODY_PT, bold=False, italic=False, align=None, indent=False,
             color=None, space_after=0.0, keep=False):
        paragraph = container.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        if indent:
            paragraph.paragraph_format.first_line_indent = Cm(1.0)
        paragraph.paragraph_format.space_after = Pt(space_after)
        if keep:
            paragraph.paragraph_format.keep_with_next = True
        if text:
            run = paragraph.add_run(text)
            run.font.size, run.bold, run.italic = Pt(size), bold, italic
            if color is not None:
                run.font.color.rgb = color
        return paragraph

    def rule(container, width_cm, available_cm):
        """A centred rule ``width_cm`` long under a heading line (the paragraph's bottom border)."""
        paragraph = container.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt = paragraph.paragraph_format
        fmt.space_after = Pt(2)
        props = paragraph._p.get_or_add_pPr()
        border = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
            bottom.set(qn(key), value)
        border.append(bottom)
        props.append(border)
        side = max(0.0, (available_cm - width_cm) / 2)
        fmt.left_indent, fmt.right_indent = Cm(side), Cm(side)
        run = paragraph.add_run()
        run.font.size = Pt(2)
        return paragraph

    def borderless(table):
        properties = table._tbl.tblPr
        borders = OxmlElement("w:tblBorders")
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
            element = OxmlElement(f"w:{edge}")
            element.set(qn("w:val"), "nil")
            borders.append(element)
        properties.append(borders)

    # -- the heading block: issuing body and number left, national motto and place/date right --
    top = document.add_table(rows=1, cols=2)
    borderless(top)
    top.autofit = False
    left_cm, right_cm = 6.0, PORTRAIT_WIDTH_CM - 6.0
    for column, cell, width in zip(top.columns, top.rows[0].cells, (left_cm, right_cm)):
        column.width = cell.width = Cm(width)
    left, right = top.rows[0].cells
    left.paragraphs[0].text = ""
    if heading.superior:
        para(left, heading.superior, size=HEADING_PT, align=WD_ALIGN_PARAGRAPH.CENTER)
    for line in heading.issuer:
        para(left, line, size=HEADING_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    widest = max(text_width_cm(line, HEADING_PT, True) for line in heading.issuer)
    rule(left, min(left_cm, widest) / 3, left_cm)
    para(left, heading.number_symbol, size=HEADING_PT, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=2)
    right.paragraphs[0].text = ""
    para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=HEADING_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(right, "Độc lập - Tự do - Hạnh phúc", size=MOTTO_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    rule(right, text_width_cm("Độc lập - Tự do - Hạnh phúc", MOTTO_PT, True), right_cm)
    para(right, heading.date_line(), size=BODY_PT, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for cell in (left, right):
        first = cell.paragraphs[0]
        first._p.getparent().remove(first._p)

    # -- title and body --
    para(document, "", space_after=6)
    para(document, "BÁO CÁO", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(document, "Kết quả khảo sát mức độ hài lòng của tổ chức, cá nhân đối với sự phục vụ của Bộ phận Một cửa",
         bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(document, f"{report.period.title} ({report.period.span})", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    rule(document, 4.0, PORTRAIT_WIDTH_CM)
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    for line in title_lines(report):
        para(document, line, align=justify, indent=True, space_after=3)
    para(document, review_line(report), bold=True, align=justify, indent=True, space_after=3,
         color=RGBColor(0xB0, 0x00, 0x20) if report.needs_attention else RGBColor(0x1B, 0x5E, 0x20))
    oq = report.overall_question
    averaged, _ = overall_averaged(report)
    left_out = report.review.get("no_answers", 0)
    para(document, f"Tổng số phiếu khảo sát hợp lệ trong kỳ: {count(report.n_responses)} phiếu"
                   + (f" (không tính {count(left_out)} phiếu không có câu trả lời nào)" if left_out else "")
                   + ". Chỉ số hài lòng "
                   f"chung (trung bình {len(averaged)} nhóm {', '.join(averaged)}) đạt {pct(report.overall)} "
                   f"({delta(report.overall - report.overall_prev)} so với kỳ trước); câu {oq['id']} (câu hỏi "
                   f"mức độ hài lòng chung, trình bày bên cạnh) đạt {pct(oq['pct'])}.", align=justify, indent=True,
         space_after=3)
    para(document, f"Có {count(len(report.flags))} ý kiến chứa từ ngữ cần chú ý, được liệt kê để người có trách "
                   "nhiệm đọc và xác minh (không phải kết luận).", align=justify, indent=True, space_after=3)
    para(document, ranking_rule(report), align=justify, indent=True, space_after=3)
    para(document, "Số liệu chi tiết tại Phụ lục kèm theo Báo cáo này.", align=justify, indent=True, space_after=12)

    # -- recipients and signature --
    sign = document.add_table(rows=1, cols=2)
    borderless(sign)
    sign.autofit = False
    for column, cell in zip(sign.columns, sign.rows[0].cells):
        column.width = cell.width = Cm(PORTRAIT_WIDTH_CM / 2)
    recipients, signer = sign.rows[0].cells
    recipients.paragraphs[0].text = ""
    para(recipients, "Nơi nhận:", size=12, bold=True, italic=True)
    for line in ("- Như trên;", "- Lưu: VT."):
        para(recipients, line, size=11)
    signer.paragraphs[0].text = ""
    for line in heading.signer_title:
        para(signer, line, size=BODY_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(signer, "(Ký, ghi rõ họ tên, đóng dấu)", size=BODY_PT, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER,
         space_after=60)
    para(signer, heading.signer_name or "", size=BODY_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for cell in (recipients, signer):
        first = cell.paragraphs[0]
        if not first.text:
            first._p.getparent().remove(first._p)
    # One block on one page: LibreOffice split the row, «Nơi nhận» and «TM. ỦY BAN NHÂN DÂN» ending page 1 and
    # «CHỦ TỊCH» alone on page 2 (a fresh user's trial). The row never splits; its lines keep together.
    sign.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for cell in (recipients, signer):
        for paragraph in cell.paragraphs[:-1]:
            paragraph.paragraph_format.keep_with_next = True

    # -- the annex, landscape --
    annex = document.add_section(WD_SECTION.NEW_PAGE)
    # The portrait section now ends in an empty paragraph after the signature table (python-docx puts its
    # section break there). At the usual 12 pt line that paragraph did not fit under the table's 60 pt
    # signing space and LibreOffice gave it a page of its own: an empty page 2 (the fresh-user trial). It
    # is made 1 pt high with no spacing, so it stays on the signature's page.
    breaker = [p for p in document.element.body.iterchildren(qn("w:p"))
               if p.pPr is not None and p.pPr.find(qn("w:sectPr")) is not None][-1]
    fmt = Paragraph(breaker, document).paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing, fmt.line_spacing_rule = Pt(1), WD_LINE_SPACING.EXACTLY
    mark = OxmlElement("w:rPr")  # the paragraph mark's own size, 1 pt
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "2")
    mark.append(size)
    breaker.pPr.insert_element_before(mark, "w:sectPr")
    annex.orientation = WD_ORIENT.LANDSCAPE
    annex.page_width, annex.page_height = Cm(29.7), Cm(21.0)
    annex.top_margin, annex.bottom_margin = Cm(2.0), Cm(2.0)
    annex.left_margin, annex.right_margin = Cm(2.0), Cm(2.0)
    para(document, "Phụ lục", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(document, "KẾT QUẢ KHẢO SÁT MỨC ĐỘ HÀI LÒNG ĐỐI VỚI SỰ PHỤC VỤ CỦA BỘ PHẬN MỘT CỬA", bold=True,
         align=WD_ALIGN_PARAGRAPH.CENTER)
    para(document, f"(Kèm theo Báo cáo số ……/BC-UBND ngày …/…/{heading.day.year})",
         italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)

    def section_title(text):
        # Kept with what follows (and a note under it kept with its table, ``keep=True`` there): else a
        # title can end a page alone, its table on the next (fresh-user trial: «3. Thái độ…» under the chart
        # at the foot of page 6 of tests/test_report.py's annex). The page the title leaves holds only the
        # chart then, which pdftotext shows as empty: it is not (tests/test_report.py counts its picture).
        para(document, text, bold=True, space_after=4, keep=True).paragraph_format.space_before = Pt(8)

    def table(header: list[str], rows: list[list], kinds: list[str] | None = None, wide: set[int] | None = None):
        kinds = kinds or [""] * len(header)
        header = [unbroken(h) for h in header]
        wide = wide if wide is not None else set()
        texts = [[cell_text(value, kind) for value, kind in zip(row, kinds)] for row in rows]
        size = TABLE_PT
        widths = column_widths(header, texts, LANDSCAPE_WIDTH_CM, wide, size)
        while widths is None and size > TABLE_MIN_PT:
            size -= 0.5
            widths = column_widths(header, texts, LANDSCAPE_WIDTH_CM, wide, size)
        if widths is None:  # cannot happen with the report's tables; shares the page evenly rather than fail
            widths = [LANDSCAPE_WIDTH_CM / len(header)] * len(header)
        numeric = [any(_numeric(row[i], kinds[i]) for row in rows) for i in range(len(header))]
        t = document.add_table(rows=1, cols=len(header))
        t.style = "Table Grid"
        t.autofit = False
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for column, width in zip(t.columns, widths):
            column.width = Cm(width)
        # The header row repeats on every page; no row is split across pages.
        header_props = t.rows[0]._tr.get_or_add_trPr()
        header_props.append(OxmlElement("w:tblHeader"))

        def fill(row, values, bold=False, raw=None):
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
            for i, (cell, text, width) in enumerate(zip(row.cells, values, widths)):
                cell.width = Cm(width)  # LibreOffice reads the grid, Word the cells: set both
                paragraph = cell.paragraphs[0]
                if bold:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                elif numeric[i] and raw is not None and _numeric(raw[i], kinds[i]):
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                run = paragraph.add_run(text)
                run.font.size = Pt(size)
                run.bold = bold

        fill(t.rows[0], header, bold=True)
        for row, values in zip(rows, texts):
            fill(t.add_row(), values, raw=row)

    def picture(png: bytes, width_cm: float):
        from PIL import Image

        with Image.open(io.BytesIO(png)) as image:
            aspect = image.height / image.width
        # A chart taller than the landscape page would be clipped: scale it to fit the page's height.
        width_cm = min(width_cm, MAX_PICTURE_HEIGHT_CM / aspect)
        document.add_picture(io.BytesIO(png), width=Cm(width_cm))
        document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        # Clear of the table above it (LibreOffice otherwise draws the picture over the table's last border).
        document.paragraphs[-1].paragraph_format.space_before = Pt(6)

    section_title("1. Chỉ số theo nhóm tiêu chí")
    header, rows = group_rows(report)
    table(header, rows, GROUP_KINDS, {1})
    factors = factor_groups(report)
    picture(bar_png([f"{g.group}. {g.title.split('. ', 1)[-1]}" for g in factors.itertuples()],
                    list(factors["index"]), "Chỉ số hài lòng theo nhóm (vạch cam: kỳ trước)",
                    CHART_WIDTH_CM / 2.54, list(factors["prev_index"])), CHART_WIDTH_CM)
    # Under the chart (the chart keeps its place beside the table on the annex's first page, #17).
    para(document, overall_note(report), size=12, space_after=4)
    section_title("2. Kết quả từng câu hỏi")
    para(document, f"% hài lòng = (số phiếu chọn 4 + 5) / số phiếu hợp lệ (1–5) × 100; {NOT_COUNTED}. "
                   f"{ABSENT_NOTE}.", size=12, space_after=4, keep=True)
    header, rows = question_rows(report)
    table(header, rows, QUESTION_KINDS, {2})
    picture(bar_png([f"{q.question}. {q.text}" for q in report.questions.itertuples()],
                    list(report.questions["pct"]), "% hài lòng từng câu (vạch cam: kỳ trước)",
                    WIDE_CHART_WIDTH_CM / 2.54, list(report.questions["prev_pct"])), WIDE_CHART_WIDTH_CM)
    section_title("3. Thái độ, tác phong công chức")
    table(header, [r for r in rows if r[0] == "D"], QUESTION_KINDS, {2})
    for y in report.yesno.itertuples():
        para(document, f"{y.question}. {y.text} Có: {count(y.yes)}; Không: {count(y.no)}; bỏ trống: "
                       f"{count(y.blank)}; không hợp lệ (đánh nhiều ô): {count(y.invalid)}; chưa kiểm tra: "
                       f"{count(y.pending)}; {ABSENT_HEADER.lower()}: {count(getattr(y, 'absent', 0))} – tỷ lệ «Có»: "
                       f"{pct(y.pct_yes)}.",
             size=12, space_after=2)
    section_title(f"4. Ý kiến phản ánh cần chú ý ({count(len(report.flags))})")
    header, rows = flag_rows(report)
    para(document, "Từ ngữ được đánh dấu để đọc và xác minh, không phải kết luận; số điện thoại, số giấy tờ "
                   "đã được che.", size=12, space_after=4, keep=bool(rows))
    if rows:
        table(header, rows, wide={6, 7})
        for flag, row in zip(report.flags, rows):
            crop = report.crops.get(flag.get("crop_comment"))
            if crop:
                para(document, f"Ảnh ô ý kiến – ý kiến số {row[0]} ({row[1]}, phiếu {row[3]}):", size=12, keep=True)
                picture(crop, 12)
            elif flag.get("crop_withheld"):
                para(document, f"Ảnh ô ý kiến – ý kiến số {row[0]} ({row[1]}, phiếu {row[3]}): {CROP_WITHHELD_NOTE}.",
                     size=12)
    else:
        para(document, "Không có ý kiến nào chứa từ ngữ cần chú ý.", size=12)
    section_title("5. Xếp hạng đơn vị")
    para(document, ranking_rule(report), size=12, space_after=4, keep=True)
    header, rows = unit_rows(report)
    table(header, rows, UNIT_KINDS, {2})
    top = ranked_units(report).head(30)
    if len(top) > 1:
        picture(bar_png([str(n) for n in top["name"]], list(top["index"]),
                        "Chỉ số hài lòng chung theo đơn vị (vạch cam: kỳ trước)", CHART_WIDTH_CM / 2.54,
                        list(top["prev_index"])), CHART_WIDTH_CM)
    section_title("6. Số phiếu theo kênh và đơn vị")
    header, rows = channel_rows(report)
    table(header, rows, wide={1})
    sources = "; ".join(f"{DATE_SOURCES[k]}: {count(v)}" for k, v in report.date_sources.items())
    para(document, f"Ngày tính vào kỳ lấy theo: {sources}.", size=12)
    section_title("7. Điều chỉnh số liệu sau khi chốt")
    header, rows = revision_rows(report)
    if rows:
        table(header, rows)
        eheader, erows = edit_rows(report)
        if erows:
            para(document, "Các thay đổi do người kiểm tra thực hiện sau khi chốt:", size=12, keep=True)
            table(eheader, erows, wide={6, 7})
    else:
        para(document, "Không có điều chỉnh.", size=12)
    document.save(path)
