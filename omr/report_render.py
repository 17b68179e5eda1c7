"""Writers of a period report: XLSX (native Excel charts), DOCX (draft annex), HTML (printable, inline SVG).

All three lay out the same :class:`omr.report.Report`; every word a reader
sees is Vietnamese, numbers in the Vietnamese format ("82,66%"). Text that
came from respondents is masked for personal numbers before it gets here,
and neutralised against formula injection in XLSX.
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path

from .periods import DATE_SOURCES

CHANNEL_TITLES = {"paper": "Phiếu giấy", "online": "Trực tuyến"}
STATE_TITLES = {"reviewed": "đã kiểm tra", "draft": "bản nháp OCR, chưa kiểm tra", "online": "trực tuyến"}
USABLE_WIDTH_CM = 26.5  # A4 landscape less 1.6 cm margins
SCORE_TITLES = ("Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng")


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


def delta(value) -> str:
    if _missing(value):
        return "–"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{number(abs(value))} điểm %"


def local(moment) -> str:
    from .export import local_time

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
    r = report.review
    if not report.awaiting_review:
        text = "Tất cả câu trả lời và ý kiến trong kỳ đã được kiểm tra."
    else:
        text = (f"CÒN {count(report.awaiting_review)} MỤC CHƯA KIỂM TRA: {count(r['answers'])} câu trả lời "
                f"và {count(r['comments'])} ý kiến viết tay đang chờ người kiểm tra. Câu chưa kiểm tra không "
                "được tính vào chỉ số; số liệu có thể thay đổi sau khi kiểm tra xong.")
    if "answers_now" in r:
        text += (f" (Lúc chốt; hiện còn {count(r['answers_now'])} câu trả lời và "
                 f"{count(r['comments_now'])} ý kiến chưa kiểm tra.)")
    text += " " + incomplete_line(r.get("incomplete", 0))
    return text


def incomplete_line(n: int) -> str:
    """The report's statement on paper sheets missing a page (issue #14), always given."""
    if not n:
        return "Không có phiếu giấy nào thiếu trang."
    return (f"Có {count(n)} phiếu giấy thiếu trang (trang thất lạc hoặc chưa nhận dạng được): các câu trên "
            "trang thiếu không được tính là bỏ trống và không được tính vào chỉ số.")


def question_rows(report) -> tuple[list[str], list[list]]:
    header = ["Nhóm", "Câu", "Nội dung", "1", "2", "3", "4", "5", "Không ý kiến", "Bỏ trống", "Chưa kiểm tra",
              "n hợp lệ", "% hài lòng", "Điểm TB", "Kỳ trước", "Thay đổi"]
    rows = [[r.group, r.question, r.text, r.n1, r.n2, r.n3, r.n4, r.n5, r.kyk, r.blank, r.pending, r.n_valid,
             r.pct, r.mean, r.prev_pct, r.delta] for r in report.questions.itertuples()]
    return header, rows


def group_rows(report) -> tuple[list[str], list[list]]:
    header = ["Nhóm", "Nội dung", "Chỉ số (%)", "Kỳ trước (%)", "Thay đổi"]
    rows = [[g.group, g.title, g.index, g.prev_index, g.delta] for g in report.groups.itertuples()]
    oq = report.overall_question
    rows.append(["", "CHỈ SỐ HÀI LÒNG CHUNG (trung bình các nhóm)", report.overall, report.overall_prev,
                 report.overall - report.overall_prev])
    if oq["id"]:
        rows.append([oq["id"], f"Câu {oq['id']}: {oq['text']}", oq["pct"], oq["prev"], oq["pct"] - oq["prev"]])
    return header, rows


def unit_rows(report) -> tuple[list[str], list[list]]:
    header = ["Hạng", "Mã", "Đơn vị", "Số phiếu", "Chỉ số chung (%)", "Công chức (%)", "Hài lòng chung (%)",
              "Kỳ trước (%)"]
    rows = [[None if _missing(u.rank) else int(u.rank), u.unit, u.name, u.responses, u.index, u.staff,
             u.overall_question, u.prev_index] for u in report.units.itertuples()]
    return header, rows


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
                     f"{f['serial']:06d}" if f.get("serial") is not None else "", _vn_date(f.get("date")),
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

    from .privacy import mask_personal_numbers

    header = ["Kỳ", "Lúc", "Người sửa", "Loại", "Phiếu (mã nội bộ)", "Câu/ô", "Trước", "Sau"]
    entities = {"answer": "câu trả lời", "comment": "ý kiến", "page": "trang"}
    rows = [[r["period"], local(datetime.fromisoformat(e["at"])), e["who"], entities.get(e["entity"], e["entity"]),
             e["response_id"], e["field"], mask_personal_numbers(change_text(e["old"])),
             mask_personal_numbers(change_text(e["new"]))]
            for r in report.revisions for e in r["edit_rows"]]
    return header, rows


STATUS_TITLES = {"ok": "đã xác nhận", "blank": "bỏ trống", "multiple": "nhiều dấu", "ambiguous": "chưa chắc chắn",
                 "invalid": "không hợp lệ", "pending": "chờ kiểm tra", "reviewed": "đã kiểm tra"}


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
        return delta(value)
    if kind == "mean":
        return number(value)
    if isinstance(value, float):
        return number(value)
    if isinstance(value, int) or hasattr(value, "dtype"):
        return count(value)
    return "" if value is None else str(value)


QUESTION_KINDS = [""] * 12 + ["pct", "mean", "pct", "delta"]
GROUP_KINDS = ["", "", "pct", "pct", "delta"]
UNIT_KINDS = ["", "", "", "", "pct", "pct", "pct", "pct"]


# --- charts as PNG (DOCX) -------------------------------------------------------------

def bar_png(labels: list[str], values: list[float], title: str, width: float = 6.3) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    clean = [0.0 if _missing(v) else float(v) for v in values]
    height = max(1.6, 0.32 * len(labels) + 0.8)
    fig, ax = plt.subplots(figsize=(width, height), dpi=150)
    bars = ax.barh(range(len(labels)), clean, color="#2f6db5")
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% hài lòng", fontsize=8)
    ax.set_title(title, fontsize=10)
    for bar, value in zip(bars, values):
        ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, pct(value), va="center", fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


# --- charts as SVG (HTML) -------------------------------------------------------------

def bar_svg(labels: list[str], values: list[float], title: str, previous: list[float] | None = None) -> str:
    row, left, width = 24, 330, 340
    height = 40 + row * len(labels)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 80} {height}" '
             f'role="img" aria-label="{html.escape(title)}" class="chart">',
             f'<text x="0" y="16" class="ct">{html.escape(title)}</text>']
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 30 + i * row
        short = label if len(label) <= 44 else label[:42] + "…"
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" class="cl">{html.escape(short)}</text>')
        v = 0.0 if _missing(value) else float(value)
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{width * v / 100:.1f}" height="{row - 8}" class="cb"/>')
        if previous is not None and not _missing(previous[i]):
            x = left + width * float(previous[i]) / 100
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 1}" y2="{y + row - 3}" class="cp"/>')
        parts.append(f'<text x="{left + width * v / 100 + 4:.1f}" y="{y + 14}" class="cv">{pct(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --- HTML -------------------------------------------------------------------------------

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:12px;color:#111;margin:24px auto;max-width:1100px}
h1{font-size:19px;margin:0 0 6px}h2{font-size:15px;margin:22px 0 6px;border-bottom:2px solid #2f6db5}
p.meta{margin:2px 0;color:#333}
.alert{border:3px solid #b00020;background:#fde7ea;color:#7a0016;font-weight:bold;padding:10px 12px;margin:12px 0;
font-size:14px}.ok{border:2px solid #1b7f3b;background:#e6f4ea;color:#1b5e20;padding:8px 12px;margin:12px 0}
.closed{border:2px solid #6a4c00;background:#fff4d6;padding:8px 12px;margin:12px 0}
.kpi{display:flex;gap:14px;margin:10px 0}.kpi div{border:1px solid #ccd;padding:8px 12px;min-width:150px}
.kpi b{display:block;font-size:20px;color:#2f6db5}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid #bbb;padding:3px 5px;vertical-align:top}
th{background:#e8eef7}td.n{text-align:right;white-space:nowrap}tr.total td{font-weight:bold;background:#f3f3f3}
svg.chart{width:100%;max-width:760px;height:auto;margin:8px 0}.ct{font-size:13px;font-weight:bold}
.cl{font-size:11px}.cv{font-size:10px}.cb{fill:#2f6db5}.cp{stroke:#d35400;stroke-width:2}
img.crop{max-width:420px;border:1px solid #999}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}table,svg,.alert{page-break-inside:avoid}}
"""


def _html_table(header: list[str], rows: list[list], kinds: list[str] | None = None, total_last: bool = False) -> str:
    kinds = kinds or [""] * len(header)
    out = ["<table><thead><tr>", *[f"<th>{html.escape(h)}</th>" for h in header], "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cls = ' class="total"' if total_last and i == len(rows) - 1 else ""
        out.append(f"<tr{cls}>")
        for value, kind in zip(row, kinds):
            numeric = kind or isinstance(value, (int, float)) or hasattr(value, "dtype")
            out.append(f'<td{" class=n" if numeric else ""}>{html.escape(cell_text(value, kind))}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def write_html(report, path: Path) -> None:
    esc = html.escape
    parts = ["<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>",
             f"<title>Báo cáo mức độ hài lòng – {esc(report.period.title)}</title><style>{CSS}</style></head><body>",
             "<h1>BÁO CÁO KẾT QUẢ KHẢO SÁT MỨC ĐỘ HÀI LÒNG ĐỐI VỚI SỰ PHỤC VỤ CỦA BỘ PHẬN MỘT CỬA</h1>"]
    parts += [f"<p class='meta'>{esc(line)}</p>" for line in title_lines(report)]
    parts.append(f"<div class='{'alert' if report.awaiting_review else 'ok'}'>{esc(review_line(report))}</div>")
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
    parts.append(bar_svg([f"{g.group}. {g.title.split('. ', 1)[-1]}" for g in report.groups.itertuples()],
                         list(report.groups["index"]), "Chỉ số hài lòng theo nhóm (vạch cam: kỳ trước)",
                         list(report.groups["prev_index"])))
    parts.append("<h2>2. Kết quả từng câu hỏi</h2><p class='meta'>% hài lòng = (số phiếu chọn 4 + 5) / số phiếu hợp lệ "
                 "(1–5) × 100; không tính ô bỏ trống, «Không ý kiến» và câu chưa kiểm tra.</p>")
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
                     f"bỏ trống: {count(y.blank)}; chưa kiểm tra: {count(y.pending)} – tỷ lệ trả lời «Có»: "
                     f"{pct(y.pct_yes)}.</p>")
    parts.append(f"<h2>4. Ý kiến phản ánh cần chú ý ({count(len(report.flags))})</h2>"
                 "<p class='meta'>Từ ngữ được đánh dấu để người có trách nhiệm đọc và xác minh, không phải kết luận. "
                 "Số điện thoại, số giấy tờ đã được che.</p>")
    header, rows = flag_rows(report)
    if rows:
        table = ["<table><thead><tr>", *[f"<th>{esc(h)}</th>" for h in header], "<th>Ảnh ô ý kiến</th></tr></thead><tbody>"]
        for row, flag in zip(rows, report.flags):
            crop = report.crops.get(flag.get("crop_comment"))
            img = (f"<img class='crop' alt='ảnh ô ý kiến' src='data:image/png;base64,{base64.b64encode(crop).decode()}'>"
                   if crop else "")
            table.append("<tr>" + "".join(f"<td>{esc(cell_text(v))}</td>" for v in row) + f"<td>{img}</td></tr>")
        parts.append("".join(table) + "</tbody></table>")
    else:
        parts.append("<p>Không có ý kiến nào chứa từ ngữ cần chú ý.</p>")
    parts.append("<h2>5. Xếp hạng đơn vị</h2>")
    header, rows = unit_rows(report)
    parts.append(_html_table(header, rows, UNIT_KINDS))
    if len(report.units) > 1:
        top = report.units.head(30)
        parts.append(bar_svg([str(n) for n in top["name"]], list(top["index"]), "Chỉ số hài lòng chung theo đơn vị"))
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

    from .export import neutralise

    def safe(value):
        if isinstance(value, str):
            return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
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
                cell = sheet.cell(r, c, safe(value))
                if kind in ("pct", "delta"):
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
    alert.font = Font(bold=True, size=13, color="FFFFFF" if report.awaiting_review else "1B5E20")
    alert.fill = PatternFill("solid", fgColor="B00020" if report.awaiting_review else "E6F4EA")
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
    n_groups = len(report.groups)
    chart(sheet, "Chỉ số hài lòng theo nhóm", 2, 3, top + 1, top + n_groups, f"A{end + 2}",
          height=max(7.5, 1.0 * n_groups + 2))
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 60
    for col in "CDEFGH":
        sheet.column_dimensions[col].width = 16

    sheet = book.create_sheet("Câu hỏi")
    header, rows = question_rows(report)
    end = table(sheet, 1, header, rows, QUESTION_KINDS)
    chart(sheet, "% hài lòng từng câu", 3, 13, 2, end, f"B{end + 2}", height=max(12, 0.8 * (end - 1) + 2))
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
                                             ("Chưa kiểm tra", y.pending), ("Tỷ lệ «Có» (%)", y.pct_yes)), 0):
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
    table(sheet, 3, header + ["Ảnh ô ý kiến"], rows)
    for i, flag in enumerate(report.flags):
        crop = report.crops.get(flag.get("crop_comment"))
        if crop:
            image = Image(io.BytesIO(crop))
            scale = min(1.0, 360 / max(image.width, 1))
            image.width, image.height = image.width * scale, image.height * scale
            sheet.add_image(image, f"J{4 + i}")
            sheet.row_dimensions[4 + i].height = max(30, image.height * 0.75)
        for column in range(1, 10):
            sheet.cell(4 + i, column).alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCDEFGHIJ", (5, 22, 11, 9, 11, 7, 22, 60, 14, 50)):
        sheet.column_dimensions[column].width = width

    sheet = book.create_sheet("Đơn vị")
    header, rows = unit_rows(report)
    end = table(sheet, 1, header, rows, UNIT_KINDS)
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

def write_docx(report, path: Path) -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.6))
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(11)

    document.add_paragraph("Phụ lục").runs[0].bold = True
    document.add_heading("KẾT QUẢ KHẢO SÁT MỨC ĐỘ HÀI LÒNG ĐỐI VỚI SỰ PHỤC VỤ CỦA BỘ PHẬN MỘT CỬA", level=1)
    document.add_paragraph().add_run("(Kèm theo báo cáo công tác cải cách hành chính – bản dự thảo)").italic = True
    for line in title_lines(report):
        document.add_paragraph(line)
    alert = document.add_paragraph().add_run(review_line(report))
    alert.bold = True
    alert.font.size = Pt(13)
    alert.font.color.rgb = RGBColor(0xB0, 0x00, 0x20) if report.awaiting_review else RGBColor(0x1B, 0x5E, 0x20)
    document.add_paragraph(
        f"Tổng số phiếu: {count(report.n_responses)}. Chỉ số hài lòng chung: {pct(report.overall)} "
        f"({delta(report.overall - report.overall_prev)} so với kỳ trước). Câu {report.overall_question['id']} "
        f"(mức độ hài lòng chung): {pct(report.overall_question['pct'])}. "
        f"Ý kiến có từ ngữ cần chú ý: {count(len(report.flags))}.")

    def table(header: list[str], rows: list[list], kinds: list[str] | None = None, widths: dict | None = None) -> None:
        # One pass per row over its cells: python-docx's column-wise access rescans the
        # whole table, which takes minutes for thousands of flagged comments.
        kinds = kinds or [""] * len(header)
        widths = widths or {}
        # Fixed widths: the wide columns as asked, the others share what is left of the
        # landscape page. LibreOffice reads the grid, Word the cells: set both.
        rest = (USABLE_WIDTH_CM - sum(widths.values())) / max(1, len(header) - len(widths))
        sizes = [Cm(widths.get(i, rest)) for i in range(len(header))]
        t = document.add_table(rows=1, cols=len(header))
        t.style = "Table Grid"
        t.autofit = False
        for column, size in zip(t.columns, sizes):
            column.width = size

        def fill(cells, texts, bold=False):
            for cell, text in zip(cells, texts):  # add_row copies the grid widths into its cells
                run = cell.paragraphs[0].add_run(text)
                run.font.size = Pt(9)
                if bold:
                    run.bold = True

        for cell, size in zip(t.rows[0].cells, sizes):
            cell.width = size
        fill(t.rows[0].cells, header, bold=True)
        for row in rows:
            fill(t.add_row().cells, [cell_text(value, kind) for value, kind in zip(row, kinds)])

    document.add_heading("1. Chỉ số theo nhóm tiêu chí", level=2)
    header, rows = group_rows(report)
    table(header, rows, GROUP_KINDS, {0: 1.5, 1: 13})
    document.add_picture(io.BytesIO(bar_png([f"{g.group}. {g.title.split('. ', 1)[-1]}"
                                             for g in report.groups.itertuples()], list(report.groups["index"]),
                                            "Chỉ số hài lòng theo nhóm")), width=Cm(17))
    document.add_heading("2. Kết quả từng câu hỏi", level=2)
    document.add_paragraph("% hài lòng = (số phiếu chọn 4 + 5) / số phiếu hợp lệ (1–5) × 100; không tính ô bỏ trống, "
                           "«Không ý kiến» và câu chưa kiểm tra.")
    header, rows = question_rows(report)
    table(header, rows, QUESTION_KINDS, {0: 1.1, 1: 1.1, 2: 7.0, 12: 1.8, 14: 1.8, 15: 2.2})
    document.add_picture(io.BytesIO(bar_png([f"{q.question}. {q.text[:55]}" for q in report.questions.itertuples()],
                                            list(report.questions["pct"]), "% hài lòng từng câu", 8.5)), width=Cm(22))
    document.add_heading("3. Thái độ, tác phong công chức", level=2)
    table(header, [r for r in rows if r[0] == "D"], QUESTION_KINDS, {0: 1.1, 1: 1.1, 2: 7.0, 12: 1.8, 14: 1.8, 15: 2.2})
    for y in report.yesno.itertuples():
        document.add_paragraph(f"{y.question}. {y.text} Có: {count(y.yes)}; Không: {count(y.no)}; bỏ trống: "
                               f"{count(y.blank)}; chưa kiểm tra: {count(y.pending)} – tỷ lệ «Có»: {pct(y.pct_yes)}.")
    document.add_heading(f"4. Ý kiến phản ánh cần chú ý ({count(len(report.flags))})", level=2)
    document.add_paragraph("Từ ngữ được đánh dấu để đọc và xác minh, không phải kết luận; số điện thoại, số giấy tờ "
                           "đã được che.")
    header, rows = flag_rows(report)
    if rows:
        table(header, rows, widths={0: 1.0, 6: 4, 7: 9})
        for flag, row in zip(report.flags, rows):
            crop = report.crops.get(flag.get("crop_comment"))
            if crop:
                document.add_paragraph(f"Ảnh ô ý kiến – ý kiến số {row[0]} ({row[1]}, phiếu {row[3]}):")
                document.add_picture(io.BytesIO(crop), width=Cm(12))
    else:
        document.add_paragraph("Không có ý kiến nào chứa từ ngữ cần chú ý.")
    document.add_heading("5. Xếp hạng đơn vị", level=2)
    header, rows = unit_rows(report)
    table(header, rows, UNIT_KINDS, {0: 1.3, 2: 7})
    if len(report.units) > 1:
        top = report.units.head(30)
        document.add_picture(io.BytesIO(bar_png([str(n) for n in top["name"]], list(top["index"]),
                                                "Chỉ số hài lòng chung theo đơn vị")), width=Cm(17))
    document.add_heading("6. Số phiếu theo kênh và đơn vị", level=2)
    header, rows = channel_rows(report)
    table(header, rows)
    sources = "; ".join(f"{DATE_SOURCES[k]}: {count(v)}" for k, v in report.date_sources.items())
    document.add_paragraph(f"Ngày tính vào kỳ lấy theo: {sources}.")
    document.add_heading("7. Điều chỉnh số liệu sau khi chốt", level=2)
    header, rows = revision_rows(report)
    if rows:
        table(header, rows)
        eheader, erows = edit_rows(report)
        if erows:
            document.add_paragraph("Các thay đổi do người kiểm tra thực hiện sau khi chốt:")
            table(eheader, erows, widths={6: 6, 7: 6})
    else:
        document.add_paragraph("Không có điều chỉnh.")
    document.save(path)
