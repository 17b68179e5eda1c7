"""Command line: ``omr`` (also ``python pipeline.py``).

Messages for people are Vietnamese; a user's mistake ends with one clear line
and an exit code (see :mod:`omr.errors`), never a traceback.

Each command imports its stages inside its own function: ``omr --help`` and a
mistyped option answer at once instead of loading OpenCV, pandas and the web
app first. That is start-up time, not a way round an import cycle (the layers
are checked by ``lint-imports``).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import time
from pathlib import Path

from omr.errors import BadArgumentsError, InputFileError, OmrError
from omr.model import STRAY_WRITING_TEXT, VN_TZ, is_stray_writing
from omr.scan.ingest import SCAN_FORMAT_NAMES


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» không phải số nguyên") from None
    if value < 1:
        raise argparse.ArgumentTypeError("phải lớn hơn 0")
    return value


def _unit_code(text: str) -> str:
    from omr.forms.qrcodes import UNIT_PATTERN

    if not UNIT_PATTERN.match(text):
        raise argparse.ArgumentTypeError("mã đơn vị chỉ gồm chữ không dấu, số, '.', '_' hoặc '-' (tối đa 32 ký tự)")
    return text


DB_HELP = "cơ sở dữ liệu: tệp SQLite (mặc định outputs/omr.sqlite) hoặc postgresql://người_dùng@máy/tên"
WORKERS_HELP = ("số tiến trình đọc trang song song (mặc định: một cho mỗi nhân CPU, tối đa 2, nếu bộ nhớ còn trống "
                "đủ khoảng 200 MB cho mỗi tiến trình)")
TEMPLATES_HELP = ("thư mục mẫu phiếu (mặc định: form_templates trong thư mục đang làm việc, nếu không có thì "
                  "form_templates cài kèm omr)")
# The templates folder every command uses when --templates is not given: ./form_templates as always, else the
# folder installed beside the omr package (omr run from another directory used to report an empty or
# missing folder, or export without labels). DEFAULT_TEMPLATES is what default_templates() tries first.
DEFAULT_TEMPLATES = "form_templates"
PROJECT_TEMPLATES = Path(__file__).resolve().parent.parent / "form_templates"


def default_templates() -> str:
    """The templates folder of a command run without --templates: ``./form_templates`` when it is a
    folder, else the project's own (:data:`PROJECT_TEMPLATES`) when present, else ``form_templates``
    (the command then says it is missing and what to pass)."""
    if Path(DEFAULT_TEMPLATES).is_dir() or not PROJECT_TEMPLATES.is_dir():
        return DEFAULT_TEMPLATES
    return str(PROJECT_TEMPLATES)


# argparse's own words (usage line, section titles, its error messages) in Vietnamese. argparse looks
# each one up through its module-level gettext functions when it prints; these stand in for them.
ARGPARSE_VI = {
    "usage: ": "Cách dùng: ",
    "positional arguments": "tham số",
    "options": "tuỳ chọn",
    "optional arguments": "tuỳ chọn",
    "show this help message and exit": "hiện hướng dẫn này rồi thoát",
    "show program's version number and exit": "hiện số phiên bản rồi thoát",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "unrecognized arguments: %s": "tham số không nhận ra: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "lựa chọn %(value)r không có (chọn một trong: %(choices)s)",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "expected one argument": "cần một giá trị",
    "expected at most one argument": "chỉ nhận tối đa một giá trị",
    "expected at least one argument": "cần ít nhất một giá trị",
    "invalid %(type)s value: %(value)r": "giá trị %(value)r không hợp lệ",
    "not allowed with argument %s": "không dùng cùng với %s",
    "one of the arguments %s is required": "cần một trong các tham số %s",
    "ambiguous option: %(option)s could match %(matches)s": "tuỳ chọn %(option)s không rõ: có thể là %(matches)s",
    "ignored explicit argument %r": "giá trị %r bị bỏ qua",
    "unexpected option string: %s": "tuỳ chọn không mong đợi: %s",
    "can't open '%(filename)s': %(error)s": "không mở được «%(filename)s»: %(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "lệnh %(parser_name)r không có (chọn một trong: %(choices)s)",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
}


def _argparse_vi(message: str) -> str:
    return ARGPARSE_VI.get(message, message)


def _argparse_vi_plural(singular: str, plural: str, n: int) -> str:
    if singular == "expected %s argument":
        return "cần %s giá trị"
    return singular if n == 1 else plural


argparse._ = _argparse_vi
argparse.ngettext = _argparse_vi_plural


# Placeholders shown in the usage lines, by argument name.
METAVARS_VI = {"period": "KỲ", "output": "TỆP", "db": "CSDL", "templates": "THƯ_MỤC", "unit": "MÃ_ĐƠN_VỊ",
               "count": "SỐ", "first_serial": "SỐ", "seed": "SỐ", "truth": "TỆP", "dpi": "DPI",
               "profile": "KIỂU", "survey_from": "NGÀY", "survey_to": "NGÀY", "group": "CÁCH", "page_width_mm": "MM",
               "reference": "ẢNH", "batch": "TÊN", "collected_from": "NGÀY", "collected_to": "NGÀY",
               "workers": "SỐ", "sample": "TỆP", "units_file": "TỆP", "source": "TÊN", "mapping": "TỆP", "rejects": "TỆP",
               "format": "ĐỊNH_DẠNG", "issuer": "CƠ_QUAN", "place": "ĐỊA_DANH", "by": "TÊN", "host": "ĐỊA_CHỈ", "port": "CỔNG", "uploads": "THƯ_MỤC",
               "role": "VAI_TRÒ", "template": "MẪU_PHIẾU", "name": "TÊN", "paths": "ĐƯỜNG_DẪN",
               "file": "TỆP", "serial": "SỐ_PHIẾU", "blank": "PHIẾU_TRẮNG", "template_json": "TEMPLATE_JSON"}


class _VietnameseHelp(argparse.HelpFormatter):
    def _get_default_metavar_for_optional(self, action):
        return METAVARS_VI.get(action.dest, action.dest.upper())

    def _get_default_metavar_for_positional(self, action):
        return METAVARS_VI.get(action.dest, action.dest)


class _Parser(argparse.ArgumentParser):
    """argparse in Vietnamese; an error names the subcommand's own help and any option mistyped."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _VietnameseHelp)
        super().__init__(*args, **kwargs)
        self._deepest: list = [self]  # shared with the subcommand parsers: the last one that parsed

    def add_subparsers(self, **kwargs):
        action = super().add_subparsers(**kwargs)
        parent = self
        add_parser = action.add_parser

        def add(name, **options):
            child = add_parser(name, **options)
            child._deepest = parent._deepest  # one record for the whole command line
            return child

        action.add_parser = add
        return action

    def parse_known_args(self, args=None, namespace=None):
        self._deepest[0] = self
        self._arguments = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def _mistyped(self) -> list[str]:
        """Options of this command line that this parser does not know, each with the nearest one it does."""
        known = [o for action in self._actions for o in action.option_strings]
        found = []
        for word in getattr(self, "_arguments", []):
            option = word.split("=", 1)[0]
            if not option.startswith("--") or option == "--":
                continue
            if any(k == option or k.startswith(option) for k in known):
                continue
            near = difflib.get_close_matches(option, known, n=1)
            found.append(f"«{option}»" + (f" (có phải «{near[0]}»?)" if near else ""))
        return found

    def error(self, message: str):
        """argparse's own errors: one Vietnamese line naming the help page, exit 2 (no usage line first).

        The help named is the subcommand's («omr forms print --help»), and an option typed that the
        subcommand does not have is named too, even when argparse only reports a missing one.

        Raises:
            BadArgumentsError: always; ``main`` prints it as «Lỗi: …».
        """
        deepest = self._deepest[0]
        mistyped = deepest._mistyped()
        if mistyped:
            message += "; tuỳ chọn không có: " + ", ".join(mistyped)
        raise BadArgumentsError(f"Lệnh không đúng: {message} (xem «{deepest.prog} --help»)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="omr", description="Đọc phiếu khảo sát Một cửa đã quét: in phiếu, đọc, xuất dữ liệu.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="LỆNH",
                                title="lệnh")

    forms = sub.add_parser("forms", help="in phiếu, xem bố cục, tạo bản quét mẫu")
    forms_sub = forms.add_subparsers(dest="forms_command", required=True, parser_class=_Parser,
                                    metavar="LỆNH", title="lệnh")

    p = forms_sub.add_parser("print", help="in phiếu ra PDF (vector, có mã QR và số phiếu)")
    p.add_argument("template", help="tệp mẫu phiếu YAML, ví dụ form_templates/motcua-2026.yaml")
    p.add_argument("--count", type=_positive_int, required=True, help="số tờ phiếu")
    p.add_argument("--unit", type=_unit_code, help="mã đơn vị (xã/phường) ghi vào mã QR")
    p.add_argument("--first-serial", type=_positive_int, default=1, help="số phiếu đầu tiên (mặc định 1)")
    p.add_argument("-o", "--output", required=True, help="tệp PDF ghi ra")
    p.add_argument("--units", dest="units_file",
                   help="danh mục đơn vị CSV/XLSX: in cơ quan ban hành và tên đơn vị của --unit ở đầu phiếu")
    p.add_argument("--db", help="lấy danh mục đơn vị từ cơ sở dữ liệu này (đã nhập bằng «omr units import»)")

    p = forms_sub.add_parser("layout", help="ghi bố cục (toạ độ mm) ra JSON")
    p.add_argument("template", help="tệp mẫu phiếu YAML, ví dụ form_templates/motcua-2026.yaml")
    p.add_argument("-o", "--output", required=True, help="tệp JSON ghi ra")

    p = forms_sub.add_parser("simulate", help="tạo bản quét mẫu có đáp án biết trước")
    p.add_argument("template", help="tệp mẫu phiếu YAML, ví dụ form_templates/motcua-2026.yaml")
    p.add_argument("--count", type=_positive_int, required=True, help="số tờ phiếu mẫu")
    p.add_argument("--seed", type=int, required=True, help="hạt giống ngẫu nhiên: cùng số cho cùng bản quét")
    p.add_argument("-o", "--output", required=True, help="tệp PDF bản quét mẫu ghi ra")
    p.add_argument("--truth", required=True, help="tệp JSONL ghi đáp án đã điền của từng phiếu")
    p.add_argument("--dpi", type=int, choices=(200, 300), default=200, help="độ phân giải bản quét (mặc định 200)")
    p.add_argument("--profile", choices=("clean", "office", "harsh", "phone", "habits", "offbox"), default="office",
                   help="kiểu bản quét: sạch, máy văn phòng (mặc định), xấu, ảnh điện thoại, "
                        "thói quen đánh dấu thật (nét mờ, gạch xoá, tẩy, khoanh tròn), "
                        "đánh dấu cạnh ô thay vì trong ô (khoanh quanh ô, đánh dấu bên cạnh, bên trên)")
    p.add_argument("--unit", type=_unit_code, help="mã đơn vị ghi vào mã QR")
    p.add_argument("--first-serial", type=_positive_int, default=1, help="số phiếu đầu tiên (mặc định 1)")
    p.add_argument("--survey-from", type=_day,
                   help="ngày khảo sát sớm nhất ghi trên phiếu (ngày/tháng/năm hoặc năm-tháng-ngày)")
    p.add_argument("--survey-to", type=_day,
                   help="ngày khảo sát muộn nhất ghi trên phiếu (ngày/tháng/năm hoặc năm-tháng-ngày)")
    p.add_argument("--units", dest="units_file",
                   help="danh mục đơn vị CSV/XLSX: vẽ cơ quan ban hành và tên đơn vị của --unit ở đầu phiếu, "
                        "như «omr forms print --units»")

    template = sub.add_parser("template", help="tạo mẫu phiếu từ phiếu trắng thiết kế nơi khác, hoặc từ OMRChecker")
    template_sub = template.add_subparsers(dest="template_command", required=True, parser_class=_Parser,
                                    metavar="LỆNH", title="lệnh")
    p = template_sub.add_parser("from-blank", help="tìm ô đánh dấu và khung viết trên phiếu trắng (PDF/PNG)")
    p.add_argument("blank", help="phiếu trắng: PDF hoặc ảnh PNG")
    p.add_argument("-o", "--output", required=True, help="tệp mẫu phiếu YAML, ví dụ form_templates/phieu-xa.yaml")
    p.add_argument("--group", choices=("rows", "columns"), default="rows",
                   help="gom ô thành câu hỏi theo hàng (mặc định) hoặc theo cột")
    p.add_argument("--page-width-mm", type=float, help="chiều rộng trang (mm) của ảnh; mặc định A4")
    p.add_argument("--templates", help=TEMPLATES_HELP + "; phiếu in bằng omr không được đọc lại: lệnh chỉ ra "
                   "tệp mẫu đã có của nó trong thư mục này")
    p = template_sub.add_parser("import-omrchecker", help="nhập template.json của OMRChecker")
    p.add_argument("template_json", metavar="TEMPLATE_JSON", help="tệp template.json của OMRChecker")
    p.add_argument("-o", "--output", required=True, help="tệp mẫu phiếu YAML ghi ra")
    p.add_argument("--reference", help="ảnh phiếu làm ảnh mẫu (mặc định: ảnh đầu tiên cạnh template.json)")

    p = sub.add_parser("scan", help=f"đọc các tệp quét ({SCAN_FORMAT_NAMES}; thư mục) vào cơ sở dữ liệu")
    p.add_argument("paths", nargs="+", help=f"tệp quét ({SCAN_FORMAT_NAMES}) hoặc thư mục")
    p.add_argument("--db", help="cơ sở dữ liệu (mặc định outputs/omr.sqlite; PostgreSQL: postgresql://…)")
    p.add_argument("--batch", help="tên đợt quét (mặc định: ngày giờ hiện tại)")
    p.add_argument("--collected-from", type=_day,
                   help="ngày bắt đầu thu phiếu (ngày/tháng/năm, ví dụ 15/09/2025, hoặc năm-tháng-ngày 2025-09-15)")
    p.add_argument("--collected-to", type=_day,
                   help="ngày kết thúc thu phiếu (ngày/tháng/năm, ví dụ 14/12/2025, hoặc năm-tháng-ngày 2025-12-14)")
    p.add_argument("--workers", type=_positive_int, help=WORKERS_HELP)
    p.add_argument("--templates", help=TEMPLATES_HELP)

    online = sub.add_parser("online", help="phiếu trả lời trực tuyến (Google Forms, cổng dịch vụ công, bảng tính)")
    online_sub = online.add_subparsers(dest="online_command", required=True, parser_class=_Parser,
                                    metavar="LỆNH", title="lệnh")
    p = online_sub.add_parser("mapping", help="đề xuất ánh xạ cột -> câu hỏi và nhãn -> mã, để kiểm tra và sửa")
    p.add_argument("template", help="tệp mẫu phiếu YAML, ví dụ form_templates/motcua-2026.yaml")
    p.add_argument("-o", "--output", required=True, help="tệp ánh xạ YAML ghi ra")
    p.add_argument("--sample", help="tệp xuất mẫu (CSV/XLSX) để đề xuất theo tiêu đề cột và nhãn thật")
    p = online_sub.add_parser("import", help="nhập một tệp xuất trực tuyến (CSV/XLSX) vào cơ sở dữ liệu")
    p.add_argument("file", help="tệp xuất trực tuyến CSV hoặc XLSX")
    p.add_argument("--source", required=True, help="tên nguồn, ví dụ google-forms-2026")
    p.add_argument("--mapping", help="tệp ánh xạ YAML (từ «omr online mapping»)")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--rejects", help="tệp CSV ghi các dòng bị từ chối (mặc định outputs/<tên tệp>.rejects.csv)")
    p.add_argument("--templates", help="thư mục mẫu phiếu khi không có --mapping (mặc định như các lệnh khác)")

    units = sub.add_parser("units", help="danh mục đơn vị hành chính (xã, phường) theo thời gian")
    units_sub = units.add_subparsers(dest="units_command", required=True, parser_class=_Parser,
                                    metavar="LỆNH", title="lệnh")
    p = units_sub.add_parser("import", help="nhập danh mục đơn vị từ CSV/XLSX")
    p.add_argument("file", metavar="units.csv", help="danh mục đơn vị CSV/XLSX: code,name,kind,parent,valid_from,valid_to,predecessors")
    p.add_argument("--db", help=DB_HELP)

    p = sub.add_parser("export", help="xuất dữ liệu: một dòng cho mỗi phiếu")
    p.add_argument("--format", choices=EXPORT_FORMATS, default=None,
                   help="định dạng tệp xuất (mặc định theo đuôi tệp -o, không có thì csv)")
    p.add_argument("-o", "--output", help="tệp xuất (mặc định outputs/export.<định dạng>); ảnh ý kiến viết tay ghi cạnh tệp")
    p.add_argument("--codes", action="store_true",
                   help="CSV/XLSX ghi mã (serial, paper, ok, 1–5) thay cho tiêu đề và nhãn tiếng Việt; "
                        "JSONL/Parquet luôn ghi mã")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--templates", help=TEMPLATES_HELP)

    p = sub.add_parser("comments", help="liệt kê ý kiến viết tay: bản nháp OCR và dấu hiệu tiêu cực")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--flagged", action="store_true", help="chỉ những ý kiến có dấu hiệu tiêu cực")
    comments_sub = p.add_subparsers(dest="comments_command", parser_class=_Parser)
    d = comments_sub.add_parser("draft", help="đọc nháp (lại) các ý kiến viết tay từ ảnh đã lưu")
    d.add_argument("--db", help=DB_HELP)
    d.add_argument("--redo", action="store_true", help="đọc lại cả những ý kiến đã có bản nháp")
    d.add_argument("--batch", help="chỉ một đợt quét (tên đợt)")

    p = sub.add_parser("show", help="vẽ kết quả đọc lên ảnh trang quét để đối chiếu")
    p.add_argument("serial", type=_positive_int, help="số phiếu, ví dụ 1 hoặc 000001")
    p.add_argument("-o", "--output", required=True, help="tệp ảnh PNG ghi ra (nhiều trang: thêm số trang vào tên)")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--templates", help=TEMPLATES_HELP)

    p = sub.add_parser("report", help="báo cáo mức độ hài lòng theo kỳ (XLSX, DOCX hoặc HTML)")
    p.add_argument("--period", required=True, help="kỳ: 2026-11, 2026-Q3, 2026-6M, 2026-9M hoặc 2026")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--unit", type=_unit_code, help="chỉ một đơn vị (mã trong danh mục)")
    scope.add_argument("--all-units", action="store_true", help="tất cả đơn vị, có xếp hạng (mặc định)")
    p.add_argument("--roll-up", action="store_true", help="cộng số liệu đơn vị cũ vào đơn vị kế thừa")
    p.add_argument("--calendar", action="store_true", help="kỳ theo tháng dương lịch thay vì chốt ngày 15–14")
    p.add_argument("-o", "--output", required=True, help="tệp báo cáo: .xlsx, .docx hoặc .html")
    p.add_argument("--issuer", help="cơ quan ban hành in ở đầu báo cáo DOCX, ví dụ «ỦY BAN NHÂN DÂN\\nPHƯỜNG CAO LÃNH» "
                                    "(mặc định: theo danh mục đơn vị)")
    p.add_argument("--place", help="địa danh ở dòng ngày tháng của báo cáo DOCX, ví dụ «Cao Lãnh» "
                                   "(mặc định: theo danh mục đơn vị)")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--templates", help=TEMPLATES_HELP)

    period = sub.add_parser("period", help="chốt số liệu một kỳ báo cáo")
    period_sub = period.add_subparsers(dest="period_command", required=True, parser_class=_Parser,
                                    metavar="LỆNH", title="lệnh")
    p = period_sub.add_parser("close", help="chốt số liệu kỳ (thay đổi sau đó thành số liệu điều chỉnh)")
    p.add_argument("period", help="kỳ: 2026-11, 2026-Q3, 2026-6M, 2026-9M hoặc 2026")
    p.add_argument("--calendar", action="store_true", help="kỳ theo tháng dương lịch")
    p.add_argument("--by", default="", help="người chốt (mặc định: tài khoản đang dùng)")
    p.add_argument("--force", action="store_true",
                   help="chốt cả khi còn mục chưa kiểm tra, không hỏi lại (các mục đó không được tính)")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--templates", help=TEMPLATES_HELP)

    review = sub.add_parser("review", help="ứng dụng web cho nhân viên quét và người kiểm tra")
    review_sub = review.add_subparsers(dest="review_command", required=True, parser_class=_Parser,
                                    metavar="LỆNH", title="lệnh")
    p = review_sub.add_parser("serve", help="chạy ứng dụng web (tải lên đợt quét, kiểm tra, lịch sử)")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--host", default="127.0.0.1",
                   help="địa chỉ lắng nghe (mặc định 127.0.0.1: chỉ máy này; mạng LAN: xem docs/guide.md)")
    p.add_argument("--port", type=_positive_int, default=8000, help="cổng (mặc định 8000)")
    p.add_argument("--uploads", default="outputs/uploads", help="thư mục lưu tệp tải lên (mặc định outputs/uploads)")
    p.add_argument("--templates", help=TEMPLATES_HELP)
    p.add_argument("--workers", type=_positive_int, help=WORKERS_HELP)
    p.add_argument("--https", action="store_true",
                   help="người dùng mở ứng dụng qua HTTPS (proxy TLS phía trước): cookie đăng nhập chỉ gửi qua HTTPS")
    p.add_argument("--behind-proxy", action="store_true",
                   help="tin tiêu đề X-Forwarded-For/-Proto của một proxy ngược (caddy, nginx) đứng trước")
    p.add_argument("--no-worker", action="store_true",
                   help="PostgreSQL: không đọc đợt tải lên trong tiến trình này, để «omr worker» ở máy khác đọc")

    p = sub.add_parser("worker", help="đọc các đợt tải lên từ hàng đợi PostgreSQL (chạy ở máy thứ hai)")
    p.add_argument("--db", help="cơ sở dữ liệu PostgreSQL dùng chung với «omr review serve» (postgresql://...)")
    p.add_argument("--uploads", help="thư mục tải lên của máy chủ, chia sẻ sang máy này (SMB/NFS); "
                                     "mặc định: đường dẫn máy chủ đã ghi")
    p.add_argument("--templates", help=TEMPLATES_HELP)
    p.add_argument("--workers", type=_positive_int, help=WORKERS_HELP)

    users = sub.add_parser("users", help="tài khoản của ứng dụng web")
    users_sub = users.add_subparsers(dest="users_command", required=True, parser_class=_Parser,
                                    metavar="LỆNH", title="lệnh")
    p = users_sub.add_parser("add", help="tạo tài khoản (hỏi mật khẩu, hoặc đọc từ OMR_PASSWORD / --password-stdin)")
    p.add_argument("name", help="tên đăng nhập: chữ không dấu, số, «.», «_», «-»")
    p.add_argument("--role", choices=("admin", "scanner", "reviewer"), default="reviewer",
                   help="vai trò: admin (quản trị), scanner (nhân viên quét), reviewer (người kiểm tra, mặc định)")
    p.add_argument("--password-stdin", action="store_true", help="đọc mật khẩu từ dòng đầu của đầu vào chuẩn")
    p.add_argument("--db", help=DB_HELP)

    db = sub.add_parser("db", help="cơ sở dữ liệu: nâng cấp cấu trúc khi cài phiên bản omr mới")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    p = db_sub.add_parser("upgrade", help="nâng cấp cấu trúc cơ sở dữ liệu lên phiên bản mới nhất "
                                          "(SQLite: sao lưu tệp trước khi nâng cấp)")
    p.add_argument("--db", help=DB_HELP)
    return parser


def _day(text: str):
    """A day typed dd/mm/yyyy as the web app and the guide write it, or ISO yyyy-mm-dd (omr.text.dates)."""
    from omr.text.dates import not_a_day, parse_day

    try:
        day = parse_day(text)
    except ValueError:
        day = None
    if day is None:
        raise argparse.ArgumentTypeError(not_a_day(text))
    return day


def _load(template_path: str):
    from omr.forms.layout import resolve_layout
    from omr.forms.template import load_template

    template = load_template(template_path)
    return template, resolve_layout(template)


def _existing_database(url: str | None, first: str = "đọc bản quét bằng «omr scan»") -> str | None:
    """``url`` unchanged, or DatabaseError (exit 7) when it names an SQLite file that does not exist.

    Commands that only read (report, export, comments, show, period close)
    must not create an empty database from a mistyped --db path and then
    report 0 sheets as if all were well.
    """
    from omr.data.store import database_url
    from omr.errors import DatabaseError

    target = database_url(url)
    database = target.database or ""
    if (target.get_backend_name() == "sqlite" and database not in ("", ":memory:")
            and not database.startswith("file:") and not Path(database).expanduser().is_file()):
        raise DatabaseError(f"Không có cơ sở dữ liệu «{database}»: kiểm tra lại --db (lệnh này không tạo "
                            f"cơ sở dữ liệu mới; hãy {first} trước)")
    return url


def _output_path(path: str | None, default: str | None = None) -> Path:
    """Where a command writes its file: ``path`` (the user's -o, --truth, --rejects) in a folder that exists,
    else BadArgumentsError (exit 2) naming the folder, as «omr forms print» does; with ``path`` None, the
    ``default`` under outputs/, whose folder is created (omr's own place for its files).

    A mistyped folder («/nonexistent/dir/x.pdf») was created silently, and the file then sat where nobody
    looks for it.
    """
    if path is None:
        out = Path(default)
        out.parent.mkdir(parents=True, exist_ok=True)
        return out
    out = Path(path)
    folder = out.parent
    if not folder.is_dir():
        what = "không phải thư mục" if folder.exists() else "không tồn tại"
        raise BadArgumentsError(f"Thư mục «{folder}» của tệp ra «{out.name}» {what}; hãy tạo thư mục trước "
                                "hoặc chọn nơi lưu khác (-o)")
    return out


def cmd_forms_print(args) -> int:
    from omr.forms.printing import print_forms

    _, layout = _load(args.template)
    header = _form_header(args)
    out = _output_path(args.output)
    pages = print_forms(layout, out, args.count, args.first_serial, args.unit, header)
    last = args.first_serial + args.count - 1
    print(f"Đã in {args.count} phiếu ({pages} trang A4), số phiếu {args.first_serial:06d}–{last:06d}: {out}")
    if header is not None:
        print(f"Đơn vị trên phiếu: {header.unit_name} (mã {header.unit_code})")
    elif args.unit:
        print(f"Phiếu chỉ ghi mã đơn vị {args.unit}: thêm --units <danh mục.csv> (hoặc --db) để in cơ quan "
              "ban hành và tên đơn vị ở đầu phiếu.")
    return 0


def _form_header(args):
    """The issuing body and unit name for --unit, from --units FILE or the registry in --db; None without them.

    A unit code the given registry does not know is refused: hundreds of forms
    would be printed with a wrong code in their QR codes.
    """
    from omr.forms.printing import header_for_unit

    if not args.unit or not (args.units_file or getattr(args, "db", None)):
        return None
    if args.units_file:
        from omr.online.table import read_table, refuse_stray_bytes
        from omr.online.units import units_from_table

        table = read_table(args.units_file)
        refuse_stray_bytes(table)
        registry, _ = units_from_table(table.header, table.rows, args.units_file)
        source = args.units_file
    else:
        from omr.data.store import open_store
        from omr.online.units import stored_units

        with open_store(_existing_database(args.db)) as store:
            registry = stored_units(store)
            source = store.url
    header = header_for_unit(args.unit, registry)
    if header is None:
        raise BadArgumentsError(f"Mã đơn vị {args.unit} không có trong danh mục {source}; kiểm tra lại --unit")
    return header


def cmd_forms_layout(args) -> int:
    from omr.forms.layout import layout_to_dict

    _, layout = _load(args.template)
    out = _output_path(args.output)
    out.write_text(json.dumps(layout_to_dict(layout), ensure_ascii=False, indent=1), encoding="utf-8")
    boxes = sum(len(p.checkboxes) for p in layout.pages)
    print(f"Bố cục {layout.form_id} v{layout.version}: {len(layout.pages)} trang, {boxes} ô đánh dấu: {out}")
    return 0


def cmd_forms_simulate(args) -> int:
    from omr.forms.simulate import simulate_batch

    template, layout = _load(args.template)
    out = _output_path(args.output)
    truth = _output_path(args.truth)
    if (args.survey_from is None) != (args.survey_to is None) or (
            args.survey_from and args.survey_from > args.survey_to):
        raise BadArgumentsError("Cần cả --survey-from và --survey-to, ngày đầu không sau ngày cuối")
    dates = (args.survey_from, args.survey_to) if args.survey_from else None
    header = _form_header(args)
    summary = simulate_batch(template, layout, out, truth, count=args.count, seed=args.seed, dpi=args.dpi,
                             profile=args.profile, unit=args.unit, first_serial=args.first_serial,
                             survey_dates=dates, header=header)
    print(f"Đã tạo {args.count} phiếu mẫu ({summary.pages} trang quét, hồ sơ «{args.profile}», {args.dpi} dpi): {out}")
    if header is not None:
        print(f"Đơn vị trên phiếu: {header.unit_name} (mã {header.unit_code})")
    print(f"Đáp án: {truth}")
    return 0


def cmd_template_from_blank(args) -> int:
    from omr.template_from.blank import from_blank

    # One of omr's own printed forms is refused (its QR code): its template exists, named in the message.
    summary = from_blank(args.blank, _output_path(args.output), args.group, args.page_width_mm,
                         refuse_omr_forms=True, templates=args.templates)
    print(f"Đã tạo mẫu phiếu {summary['output']}: {summary['pages']} trang, {summary['boxes']} ô đánh dấu, "
          f"{summary['frames']} khung viết, {summary['questions']} câu hỏi")
    for preview in summary["previews"]:
        print(f"Ảnh xem trước (số thứ tự từng ô): {preview}")
    for warning in summary.get("warnings", []):
        print(f"Lưu ý: {warning}")
    print("Tên câu hỏi và nhãn lựa chọn đã được đọc từ bản in: hãy mở tệp YAML và kiểm tra chúng "
          "theo số ô trên ảnh xem trước.")
    return 0


def cmd_template_import_omrchecker(args) -> int:
    from omr.template_from.omrchecker import import_omrchecker

    summary = import_omrchecker(args.template_json, _output_path(args.output), args.reference)
    anchor = {"markers": "bốn dấu góc", "page": "mép tờ phiếu", "none": "cả ảnh", "features": "ảnh mẫu"}
    print(f"Đã nhập {summary['fields']} câu hỏi ({summary['boxes']} ô tròn) vào {summary['output']}")
    print(f"Căn chỉnh theo {anchor[summary['anchor']]}; ảnh mẫu: {summary['reference']}")
    return 0


def cmd_scan(args) -> int:
    import datetime as dt

    from omr.scan.page_workers import default_workers, start_fork_server

    # The readers' fork server imports the reading modules while this process does (issue #18).
    # (The name of omr.scan.batch.WORKER_PRELOAD's module, so that it starts before anything else loads.)
    start_fork_server(["omr.scan.batch_worker"])
    from omr import tuning as T
    from omr.data import review
    from omr.data.store import open_store
    from omr.scan.batch import format_report, run_scan
    from omr.scan.ingest import expand_paths
    from omr.text.numbers import vn_decimal, vn_integer

    if (args.collected_from is None) != (args.collected_to is None):
        raise BadArgumentsError("Cần cả --collected-from và --collected-to (hoặc bỏ cả hai)")
    if args.collected_from and args.collected_from > args.collected_to:
        raise BadArgumentsError("--collected-from phải trước hoặc bằng --collected-to")
    batch = args.batch or default_batch_name(dt.datetime.now(dt.timezone.utc))
    expand_paths(args.paths)  # a mistyped path fails here, before a database is created for nothing
    with open_store(args.db) as store:
        started = time.monotonic()
        bar = _progress_bar()
        try:
            report = run_scan(args.paths, store, batch, collected_from=args.collected_from,
                              collected_to=args.collected_to, workers=args.workers or default_workers(),
                              template_dir=args.templates,
                              progress=bar.update)
        finally:
            bar.close()
        elapsed = time.monotonic() - started
        done = sum(report.outcomes.values())
        batch_id = review.batch_named(store, batch)
        if batch_id is None:  # no page read (omr.scan.batch.run_scan makes the batch at the first page)
            print(f"Không đọc được trang nào nên không tạo đợt quét «{batch}» — cơ sở dữ liệu {store.url}")
        else:
            print(f"Đợt quét «{batch}» — cơ sở dữ liệu {store.url}")
        print(format_report(report, store.summary(), store.incomplete_sheets(T.SUMMARY_SHEETS_LISTED)))
        waiting = review.open_items(store, review.QueueFilter(batch_id=batch_id)) if batch_id else None
        if waiting:  # what the review queue holds for this batch (every run of it), as the web app counts it
            print(f"Hàng đợi kiểm tra của đợt: {vn_integer(waiting.total)} mục ({waiting.text()})")
        elif batch_id is not None:
            print("Hàng đợi kiểm tra của đợt: không còn mục nào")
        if done:

            print(f"Thời gian: {vn_decimal(elapsed, 1)} giây ({vn_decimal(done / elapsed, 1)} trang/giây)")
    return 0 if not report.file_errors else 5


def default_batch_name(now) -> str:
    """The name of a batch scanned without --batch, as people read it in the web app, exports and reports:
    «Đợt quét 02/12/2026 08:15:30» (was the ASCII slug «dot-2026-12-02-081530»), in Vietnam time
    (omr.model.VN_TZ) like every time the web app shows, whatever the server's clock zone (UTC on most
    servers: a batch scanned at 08:15 was named «01:15»). ``now``: an aware datetime; a naive one is
    taken as Vietnam time already."""
    if now.tzinfo is not None:
        now = now.astimezone(VN_TZ)
    return now.strftime("Đợt quét %d/%m/%Y %H:%M:%S")


class _NoBar:
    """The progress bar when none is shown (output not a terminal): counts nothing, costs nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar():
    """A tqdm bar of pages read on stderr when it is a terminal (or OMR_PROGRESS=1), else :class:`_NoBar`.

    tqdm is imported only when a bar is shown: ~60 ms of start-up otherwise (issue #18).
    """
    if not sys.stderr.isatty() and os.environ.get("OMR_PROGRESS") != "1":
        return _NoBar()
    from tqdm import tqdm

    return tqdm(unit=" trang", desc="Đang đọc", file=sys.stderr, dynamic_ncols=True)


EXPORT_FORMATS = ("csv", "xlsx", "jsonl", "parquet")


def _export_format(given: str | None, output: str | None) -> str:
    """The format ``omr export`` writes: ``given`` (--format), else the suffix of ``output`` (-o) when it
    is one of EXPORT_FORMATS, else csv. A suffix of EXPORT_FORMATS contradicting ``given`` raises
    BadArgumentsError (exit 2): «-o out.xlsx» without --format silently wrote CSV into the .xlsx file,
    which Excel then refuses to open."""
    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    if given is None:
        return suffix if suffix in EXPORT_FORMATS else "csv"
    if suffix in EXPORT_FORMATS and suffix != given:
        raise BadArgumentsError(f"Tệp xuất «{Path(output).name}» có đuôi .{suffix} nhưng --format là {given}; "
                                f"hãy đổi đuôi tệp thành .{given} hoặc bỏ --format")
    return given


def cmd_export(args) -> int:
    from omr.data.store import open_store
    from omr.reports.dataset import catalogue_lookup
    from omr.reports.export import export_responses
    from omr.text.numbers import vn_integer

    fmt = _export_format(args.format, args.output)
    out = _output_path(args.output, f"outputs/export.{fmt}")
    lookup = catalogue_lookup(args.templates)
    with open_store(_existing_database(args.db)) as store:
        _warn_missing_templates(store, lookup, args.templates, "cột của mẫu đó không có nội dung câu hỏi và nhãn")
        n = export_responses(store, fmt, out, lookup, labels=not args.codes)
    print(f"Đã xuất {vn_integer(n)} phiếu: {out}")
    return 0


def _warn_missing_templates(store, lookup, folder: str, consequence: str, fails_without_any: bool = False) -> None:
    """One Vietnamese line on stderr when forms of stored responses are not in the templates folder:
    which forms, what it costs (``consequence``) and the option to pass. ``fails_without_any``: the
    command stops with its own error when the folder has none of them, so say nothing then."""
    import sqlalchemy as sa

    from omr.data.schema import responses

    with store.reading() as conn:
        keys = conn.execute(sa.select(responses.c.form_id, responses.c.version).distinct()).all()
    missing = sorted(f"{form} phiên bản {version}" for form, version in keys if lookup(form, version) is None)
    if missing and (len(missing) < len(keys) or not fails_without_any):
        print(f"Lưu ý: thư mục mẫu phiếu «{folder}» không có mẫu {', '.join(missing)} của phiếu đã lưu: "
              f"{consequence}; chỉ thư mục mẫu phiếu đã dùng khi quét bằng --templates THƯ_MỤC.", file=sys.stderr)


def cmd_comments_draft(args) -> int:
    """Draft handwritten comments from their stored crops (#15): the ones never drafted, or all."""
    import sqlalchemy as sa

    from omr.data.drafting import draft_pending
    from omr.data.schema import batches
    from omr.data.store import open_store

    with open_store(args.db) as store:
        batch_id = None
        if args.batch:
            with store.reading() as conn:
                batch_id = conn.execute(sa.select(batches.c.id).where(batches.c.name == args.batch)).scalar()
            if batch_id is None:
                raise BadArgumentsError(f"Không có đợt quét tên «{args.batch}» trong cơ sở dữ liệu")
        report = draft_pending(store, batch_id=batch_id, redo=args.redo)
    print(f"Đã đọc nháp {report.drafted} ý kiến viết tay; {report.flagged} có dấu hiệu tiêu cực"
          + (f", {report.possible} có thể có" if report.possible else ""))
    for problem in report.problems:
        print(f"Cảnh báo: chưa đọc nháp được ({problem}); chạy lại lệnh này khi đã khắc phục")
    return 0


def cmd_comments(args) -> int:
    from omr.data.store import open_store
    from omr.forms.pinned import shown_serial
    from omr.text.lexicon import flags_from_json
    from omr.text.privacy import mask_personal_numbers

    with open_store(_existing_database(args.db)) as store:
        rows = store.inked_comments()
    status_text = {"pending": "chờ duyệt", "reviewed": "đã duyệt"}
    shown = 0
    for row in rows:
        flags = [m for m in flags_from_json(row["flags"]) if m.flagged]
        if args.flagged and not flags:
            continue
        shown += 1
        reviewed = row["status"] == "reviewed"
        text = row["text"] if reviewed else row["draft_text"]
        hint = "" if reviewed else (
            f", nháp OCR độ tin cậy {row['draft_confidence']:.0f}" if row["draft_confidence"] is not None
            else ", chưa có nháp OCR")
        if row["likely_correct"] and not reviewed:
            hint += ", có thể đúng"
        if row["faint"]:
            hint += ", có thể có chữ viết mờ"
        field_ = f"{row['field']} ({STRAY_WRITING_TEXT.lower()})" if is_stray_writing(row['field']) else row['field']
        print(f"Phiếu {shown_serial(row['serial'], row['serial_assigned'])} · {field_} · {status_text.get(row['status'], row['status'])}{hint}")
        print(f"  «{mask_personal_numbers(text or '') or '—'}»")
        if flags:
            print("  Dấu hiệu tiêu cực: " + "; ".join(
                f"{m.term}" + (f" (viết: «{m.matched}»)" if m.matched.lower() != m.term else "")
                + (" — cần đọc kỹ ngữ cảnh" if m.ambiguous else "") + (" (có thể)" if m.possible else "")
                for m in flags))
    flagged = sum(any(m.flagged for m in flags_from_json(r["flags"])) for r in rows)
    print(f"Tổng: {len(rows)} ý kiến viết tay, {sum(r['status'] == 'pending' for r in rows)} chờ duyệt, "
          f"{flagged} có dấu hiệu tiêu cực" + (f"; đã liệt kê {shown}" if args.flagged else ""))
    return 0


def cmd_show(args) -> int:
    from omr.data.store import open_store
    from omr.scan.page import Catalogue
    from omr.data.private_files import replacing
    from omr.scan.show import render_serial

    out = _output_path(args.output)
    with open_store(_existing_database(args.db)) as store:
        catalogue = Catalogue.from_folder(args.templates)
        with replacing(out) as tmp:  # private, as the exports: the picture shows a respondent's answers
            pages = render_serial(store, catalogue, args.serial, tmp, named=out)
    print(f"Phiếu số {args.serial:06d}: {pages} trang, ảnh đối chiếu: {out}")
    print("Màu: xanh lá = đã đánh dấu, xanh dương = ô tô kín (huỷ), đỏ = cần kiểm tra, xám = ô trống")
    return 0


def cmd_online_mapping(args) -> int:
    from omr.forms.template import load_template
    from omr.online.mapping import mapping_yaml
    from omr.online.table import read_table

    template = load_template(args.template)
    sample = read_table(args.sample) if args.sample else None
    out = _output_path(args.output)
    out.write_text(mapping_yaml(template, args.template, sample), encoding="utf-8")
    basis = f"theo tệp mẫu {args.sample}" if sample else "theo nội dung câu hỏi"
    print(f"Đã đề xuất ánh xạ {basis} cho mẫu {template.form_id} v{template.version}: {out}")
    if sample is None:
        # Without a sample only the template's own labels are listed: an export's other wordings
        # ("Rất hài lòng " with a space, an old form's labels) would be refused at import.
        print("Chưa có --sample: ánh xạ chỉ gồm tiêu đề và nhãn của mẫu phiếu. Để đề xuất theo tiêu đề cột và "
              f"nhãn thật của tệp xuất, chạy lại với --sample TỆP, ví dụ «omr online mapping {args.template} "
              f"--sample tệp-xuất.csv -o {args.output}».")
    print("Hãy kiểm tra từng cột và các nhãn có mã null trước khi nhập.")
    return 0


def cmd_online_import(args) -> int:
    from omr.data.store import open_store_or_nothing
    from omr.online.importer import format_report, import_online
    from omr.online.mapping import load_mapping

    mapping = load_mapping(args.mapping, args.templates) if args.mapping else None
    if args.rejects:
        _output_path(args.rejects)  # a mistyped folder fails before any work (the default outputs/ is made)
    # An import that fails on its file or mapping leaves no new, empty database behind.
    with open_store_or_nothing(args.db) as store:
        report = import_online(store, args.file, args.source, mapping, templates=args.templates,
                               rejects=args.rejects)
        print(format_report(report))
    if report.rejected and not (report.imported or report.already or report.seen_elsewhere):
        # Every data row refused: a script or scheduled job running the import must see it failed, not exit 0
        # as if the answers were in (hcases, stop 33).
        print(f"Lỗi: {args.file}: không nhập được dòng nào, cả {report.rejected} dòng dữ liệu bị từ chối "
              "(lý do ở trên và trong tệp dòng bị từ chối)", file=sys.stderr)
        return InputFileError.exit_code
    return 0


def cmd_units_import(args) -> int:
    from omr.data.store import open_store_or_nothing
    from omr.online.units import import_units

    with open_store_or_nothing(args.db) as store:
        counts = import_units(store, args.file)
    print(f"Danh mục đơn vị từ {args.file}: {counts['rows']} dòng, thêm {counts['added']}, "
          f"cập nhật {counts['changed']}; cơ sở dữ liệu có {counts['total']} đơn vị.")
    if counts["unknown_predecessors"]:
        print("Cảnh báo: mã đơn vị tiền thân chưa có trong danh mục: " + ", ".join(counts["unknown_predecessors"]))
    return 0


def cmd_review_serve(args) -> int:
    from omr.web import serve

    serve(_existing_database(args.db, "tạo tài khoản quản trị bằng «omr users add TÊN --role admin --db …»"), host=args.host, port=args.port, uploads_dir=args.uploads, template_dir=args.templates,
          scan_workers=args.workers, https=args.https, behind_proxy=args.behind_proxy,
          queue_worker=not args.no_worker)
    return 0


def cmd_worker(args) -> int:
    from omr.data.store import open_store
    from omr.errors import BadArgumentsError
    from omr.scan.page_workers import default_workers
    from omr.web import queue

    if not queue.uses_job_queue(args.db):
        raise BadArgumentsError("«omr worker» cần cơ sở dữ liệu PostgreSQL (--db postgresql://...); với SQLite, "
                                "«omr review serve» tự đọc các đợt tải lên")
    if args.uploads and not Path(args.uploads).is_dir():
        raise BadArgumentsError(f"Không thấy thư mục tải lên «{args.uploads}» trên máy này: gắn thư mục "
                                "chia sẻ của máy chủ (SMB/NFS) rồi chỉ ra bằng --uploads")
    with open_store(args.db) as store:
        reader = queue.UploadReader(store, args.templates, args.workers or default_workers(), args.uploads,
                                    say=lambda line: print(line, flush=True))
        print(f"Đang chờ đợt tải lên từ {store.url}; dừng: Ctrl+C", flush=True)
        queue.run_worker(args.db, store, reader)
    print("Đã dừng đọc.", flush=True)
    return 0


def cmd_users_add(args) -> int:
    from omr.data.store import open_store_or_nothing
    from omr.data.users import ROLE_LABELS, add_user, read_new_password

    name = args.name.strip()  # «admin » typed with a space: the account is «admin», and said so
    password = read_new_password(args.password_stdin, name)
    with open_store_or_nothing(args.db) as store:
        # A password typed by whoever runs the command is the user's first one, to be replaced at first login.
        added = add_user(store, name, password, args.role, must_change_password=True)
        print(f"Đã tạo tài khoản «{added.name}» ({ROLE_LABELS[args.role]}) trong {store.url}; "
              "người dùng phải đổi mật khẩu ở lần đăng nhập đầu tiên.")
    return 0


def cmd_report(args) -> int:
    from omr.data.store import open_store
    from omr.online.units import stored_units
    from omr.reports.dataset import catalogue_lookup
    from omr.reports.figures import build, open_items_line, output_format, write_report
    from omr.reports.heading import heading_for
    from omr.reports.render import pct
    from omr.text.numbers import vn_integer

    output_format(args.output)  # a wrong extension fails before any work
    out = _output_path(args.output)
    with open_store(_existing_database(args.db)) as store:
        _warn_missing_templates(store, catalogue_lookup(args.templates), args.templates,
                                "câu trả lời của mẫu đó không có trong bảng câu hỏi và chỉ số", fails_without_any=True)
        report = build(store, args.period, unit=args.unit, roll_up=args.roll_up, calendar=args.calendar,
                       templates=args.templates)
        heading = heading_for(stored_units(store), args.unit, [str(u) for u in report.units["unit"]],
                              issuer=args.issuer.replace("\\n", "\n") if args.issuer else None, place=args.place)
    write_report(report, out, heading)
    print(f"Báo cáo {report.period.title} ({report.period.span}), {report.scope}: "
          f"{vn_integer(report.n_responses)} phiếu, "
          f"chỉ số hài lòng chung {pct(report.overall)}: {out}")
    if report.awaiting_review:
        print(f"Lưu ý: còn {open_items_line(report.review['open'])}; chúng không được tính vào chỉ số.")
    return 0


def cmd_period_close(args) -> int:
    from omr.data.store import open_store
    from omr.reports.figures import UnreviewedItemsError, close_period, open_items_line

    with open_store(_existing_database(args.db)) as store:
        try:
            period, figures, waiting = close_period(store, args.period, args.templates, calendar=args.calendar,
                                                    who=args.by, unreviewed_ok=args.force)
        except UnreviewedItemsError as exc:
            # At a terminal the person closing decides; a script must say --force.
            if not _confirm(exc.message, "Vẫn chốt số liệu bây giờ?"):
                if sys.stdin.isatty():
                    print("Chưa chốt số liệu.")
                    return 0
                raise
            period, figures, waiting = close_period(store, args.period, args.templates, calendar=args.calendar,
                                                    who=args.by, unreviewed_ok=True)
    n = int(figures.responses["n"].sum()) if len(figures.responses) else 0
    print(f"Đã chốt số liệu {period.title} ({period.span}): {n} phiếu. Thay đổi sau thời điểm này sẽ được "
          "ghi thành số liệu điều chỉnh trong báo cáo sau.")
    if waiting:
        print(f"Lưu ý: đã chốt khi còn {open_items_line(waiting)}.")
    return 0


def _confirm(warning: str, question: str) -> bool:
    """Ask yes/no at a terminal (default no); False at once when stdin is not a terminal."""
    if not sys.stdin.isatty():
        return False
    print(f"Cảnh báo: {warning}")
    try:
        answer = input(f"{question} [c/K] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("c", "có", "co", "y", "yes")


def cmd_db_upgrade(args) -> int:
    from omr.data.store import open_store

    with open_store(_existing_database(args.db), upgrading=True) as store:
        before, after, backup = store.upgrade_schema()
        if before == after:
            print(f"Cơ sở dữ liệu {store.url} đã ở phiên bản cấu trúc mới nhất ({after}); không có gì thay đổi.")
            return 0
        print(f"Đã nâng cấp cơ sở dữ liệu {store.url} từ phiên bản cấu trúc {before} lên {after}.")
        if backup:
            print(f"Bản sao lưu trước khi nâng cấp: {backup}")
    return 0


COMMANDS = {
    ("db", "upgrade"): cmd_db_upgrade,
    ("report", None): cmd_report,
    ("period", "close"): cmd_period_close,
    ("template", "from-blank"): cmd_template_from_blank,
    ("template", "import-omrchecker"): cmd_template_import_omrchecker,
    ("forms", "print"): cmd_forms_print,
    ("forms", "layout"): cmd_forms_layout,
    ("forms", "simulate"): cmd_forms_simulate,
    ("scan", None): cmd_scan,
    ("export", None): cmd_export,
    ("comments", None): cmd_comments,
    ("comments", "draft"): cmd_comments_draft,
    ("show", None): cmd_show,
    ("review", "serve"): cmd_review_serve,
    ("worker", None): cmd_worker,
    ("users", "add"): cmd_users_add,
    ("online", "mapping"): cmd_online_mapping,
    ("online", "import"): cmd_online_import,
    ("units", "import"): cmd_units_import,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if hasattr(args, "templates") and args.templates is None:
            args.templates = default_templates()
        key = (args.command, getattr(args, f"{args.command}_command", None))
        code = COMMANDS[key](args)
        sys.stdout.flush()  # a closed reader fails here, inside the handler below, not at interpreter exit
        return code
    except BrokenPipeError:
        # The reader went away (`omr comments | head -3`): stop quietly like other Unix tools. Point stdout at
        # /dev/null so the interpreter's final flush of what is still buffered cannot raise a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0
    except OmrError as exc:
        print(f"Lỗi: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
