"""Command line: ``omr`` (also ``python pipeline.py``).

Messages for people are Vietnamese; a user's mistake ends with one clear line
and an exit code (see :mod:`omr.errors`), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
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
    return parser


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


COMMANDS = {
    ("forms", "print"): cmd_forms_print,
    ("forms", "layout"): cmd_forms_layout,
    ("forms", "simulate"): cmd_forms_simulate,
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
