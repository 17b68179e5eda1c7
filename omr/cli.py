"""Command line: ``omr`` (also ``python pipeline.py``).

Messages for people are Vietnamese; a user's mistake ends with one clear line
and an exit code (see :mod:`omr.errors`), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .errors import BadArgumentsError, OmrError


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» không phải số nguyên") from None
    if value < 1:
        raise argparse.ArgumentTypeError("phải lớn hơn 0")
    return value


def _unit_code(text: str) -> str:
    from .qrcodes import UNIT_PATTERN

    if not UNIT_PATTERN.match(text):
        raise argparse.ArgumentTypeError("mã đơn vị chỉ gồm chữ không dấu, số, '.', '_' hoặc '-' (tối đa 32 ký tự)")
    return text


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors, as one line and exit 2
        self.print_usage(sys.stderr)
        raise BadArgumentsError(f"Lệnh không đúng: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="omr", description="Đọc phiếu khảo sát Một cửa đã quét: in phiếu, đọc, xuất dữ liệu.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    forms = sub.add_parser("forms", help="in phiếu, xem bố cục, tạo bản quét mẫu")
    forms_sub = forms.add_subparsers(dest="forms_command", required=True, parser_class=_Parser)

    p = forms_sub.add_parser("print", help="in phiếu ra PDF (vector, có mã QR và số phiếu)")
    p.add_argument("template")
    p.add_argument("--count", type=_positive_int, required=True, help="số tờ phiếu")
    p.add_argument("--unit", type=_unit_code, help="mã đơn vị (xã/phường) ghi vào mã QR")
    p.add_argument("--first-serial", type=_positive_int, default=1, help="số phiếu đầu tiên (mặc định 1)")
    p.add_argument("-o", "--output", required=True)

    p = forms_sub.add_parser("layout", help="ghi bố cục (toạ độ mm) ra JSON")
    p.add_argument("template")
    p.add_argument("-o", "--output", required=True)

    p = forms_sub.add_parser("simulate", help="tạo bản quét mẫu có đáp án biết trước")
    p.add_argument("template")
    p.add_argument("--count", type=_positive_int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--truth", required=True)
    p.add_argument("--dpi", type=int, choices=(200, 300), default=200)
    p.add_argument("--profile", choices=("clean", "office", "harsh", "phone"), default="office")
    p.add_argument("--unit", type=_unit_code)
    p.add_argument("--first-serial", type=_positive_int, default=1)

    p = sub.add_parser("scan", help="đọc các tệp quét (PDF, TIFF, PNG, JPEG, thư mục) vào cơ sở dữ liệu")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--db", help="cơ sở dữ liệu (mặc định outputs/omr.sqlite; PostgreSQL: postgresql://…)")
    p.add_argument("--batch", help="tên đợt quét (mặc định: ngày giờ hiện tại)")
    p.add_argument("--collected-from", type=_iso_date, help="ngày bắt đầu thu phiếu (YYYY-MM-DD)")
    p.add_argument("--collected-to", type=_iso_date, help="ngày kết thúc thu phiếu (YYYY-MM-DD)")
    p.add_argument("--workers", type=_positive_int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--templates", default="form_templates", help="thư mục mẫu phiếu (mặc định form_templates)")

    p = sub.add_parser("export", help="xuất dữ liệu: một dòng cho mỗi phiếu")
    p.add_argument("--format", choices=("csv", "xlsx", "jsonl"), default="csv")
    p.add_argument("-o", "--output")
    p.add_argument("--db")
    p.add_argument("--templates", default="form_templates")

    p = sub.add_parser("show", help="vẽ kết quả đọc lên ảnh trang quét để đối chiếu")
    p.add_argument("serial", type=_positive_int)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--db")
    p.add_argument("--templates", default="form_templates")
    return parser


def _iso_date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» không phải ngày dạng YYYY-MM-DD") from None


def _load(template_path: str):
    from .layout import resolve_layout
    from .template import load_template

    template = load_template(template_path)
    return template, resolve_layout(template)


def _output_path(path: str) -> Path:
    out = Path(path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    return out


def cmd_forms_print(args) -> int:
    from .printing import print_forms

    _, layout = _load(args.template)
    out = _output_path(args.output)
    pages = print_forms(layout, out, args.count, args.first_serial, args.unit)
    last = args.first_serial + args.count - 1
    print(f"Đã in {args.count} phiếu ({pages} trang A4), số phiếu {args.first_serial:06d}–{last:06d}: {out}")
    return 0


def cmd_forms_layout(args) -> int:
    from .layout import layout_to_dict

    _, layout = _load(args.template)
    out = _output_path(args.output)
    out.write_text(json.dumps(layout_to_dict(layout), ensure_ascii=False, indent=1), encoding="utf-8")
    boxes = sum(len(p.checkboxes) for p in layout.pages)
    print(f"Bố cục {layout.form_id} v{layout.version}: {len(layout.pages)} trang, {boxes} ô đánh dấu: {out}")
    return 0


def cmd_forms_simulate(args) -> int:
    from .simulate import simulate_batch

    template, layout = _load(args.template)
    out = _output_path(args.output)
    truth = _output_path(args.truth)
    summary = simulate_batch(template, layout, out, truth, count=args.count, seed=args.seed, dpi=args.dpi,
                             profile=args.profile, unit=args.unit, first_serial=args.first_serial)
    print(f"Đã tạo {args.count} phiếu mẫu ({summary.pages} trang quét, hồ sơ «{args.profile}», {args.dpi} dpi): {out}")
    print(f"Đáp án: {truth}")
    return 0


def cmd_scan(args) -> int:
    import datetime as dt

    from tqdm import tqdm

    from .batch import format_report, run_scan
    from .store import open_store

    if (args.collected_from is None) != (args.collected_to is None):
        raise BadArgumentsError("Cần cả --collected-from và --collected-to (hoặc bỏ cả hai)")
    if args.collected_from and args.collected_from > args.collected_to:
        raise BadArgumentsError("--collected-from phải trước hoặc bằng --collected-to")
    batch = args.batch or dt.datetime.now().strftime("dot-%Y-%m-%d-%H%M%S")
    with open_store(args.db) as store:
        started = time.monotonic()
        bar = tqdm(unit=" trang", desc="Đang đọc", file=sys.stderr, dynamic_ncols=True,
                   disable=not sys.stderr.isatty() and os.environ.get("OMR_PROGRESS") != "1")
        try:
            report = run_scan(args.paths, store, batch, collected_from=args.collected_from,
                              collected_to=args.collected_to, workers=args.workers, template_dir=args.templates,
                              progress=bar.update)
        finally:
            bar.close()
        elapsed = time.monotonic() - started
        done = sum(report.outcomes.values())
        print(f"Đợt quét «{batch}» — cơ sở dữ liệu {store.url}")
        print(format_report(report, store.summary()))
        if done:
            print(f"Thời gian: {elapsed:.1f} giây ({done / elapsed:.1f} trang/giây)")
    return 0 if not report.file_errors else 5


def cmd_export(args) -> int:
    from .export import export_responses
    from .scan import Catalogue
    from .store import open_store

    out = _output_path(args.output or f"outputs/export.{args.format}")
    catalogue = Catalogue.from_folder(args.templates)

    def lookup(form_id, version):
        layout = catalogue.layouts.get((form_id, version))
        return catalogue.template_of(layout) if layout else None

    with open_store(args.db) as store:
        n = export_responses(store, args.format, out, lookup)
    print(f"Đã xuất {n} phiếu: {out}")
    return 0


def cmd_show(args) -> int:
    from .scan import Catalogue
    from .show import render_serial
    from .store import open_store

    out = _output_path(args.output)
    with open_store(args.db) as store:
        pages = render_serial(store, Catalogue.from_folder(args.templates), args.serial, out)
    print(f"Phiếu số {args.serial:06d}: {pages} trang, ảnh đối chiếu: {out}")
    print("Màu: xanh lá = đã đánh dấu, xanh dương = ô tô kín (huỷ), đỏ = cần kiểm tra, xám = ô trống")
    return 0


COMMANDS = {
    ("forms", "print"): cmd_forms_print,
    ("forms", "layout"): cmd_forms_layout,
    ("forms", "simulate"): cmd_forms_simulate,
    ("scan", None): cmd_scan,
    ("export", None): cmd_export,
    ("show", None): cmd_show,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        key = (args.command, getattr(args, f"{args.command}_command", None))
        return COMMANDS[key](args)
    except OmrError as exc:
        print(f"Lỗi: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
