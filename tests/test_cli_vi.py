"""The command line speaks Vietnamese, refuses a mistyped database, and exits with the documented codes."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys

import pytest

from omr.cli import build_parser, main

# README: 2 arguments, 3 template, 4 font, 5 input file, 6 page, 7 database (0 success).
DOCUMENTED_EXIT_CODES = {0, 2, 3, 4, 5, 6, 7}
ENGLISH = re.compile(r"\b(usage|options|positional arguments|the following arguments are required|invalid choice|"
                     r"expected one argument|unrecognized arguments|show this help message|error:|required)\b",
                     re.IGNORECASE)


def _parsers(parser: argparse.ArgumentParser, path=("omr",)):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, path + (name,))


def test_every_option_of_every_command_has_vietnamese_help():
    missing = []
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if not action.help or ENGLISH.search(action.help):
                missing.append((" ".join(path), action.option_strings or action.dest))
    assert missing == []


@pytest.mark.parametrize("path", [p for p, _ in _parsers(build_parser())], ids=" ".join)
def test_help_pages_have_no_english(path, capsys):
    with pytest.raises(SystemExit) as done:
        main(list(path[1:]) + ["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("Cách dùng: omr") and "tuỳ chọn:" in text
    assert not ENGLISH.search(text), text


@pytest.mark.parametrize("argv,expected", [
    ([], "thiếu tham số bắt buộc: LỆNH"),
    (["report"], "thiếu tham số bắt buộc: --period, -o/--output"),
    (["report", "--period"], "tham số --period: cần một giá trị"),
    (["bogus"], "lựa chọn 'bogus' không có"),
    (["export", "--format", "pdf"], "lựa chọn 'pdf' không có"),
    (["show", "abc", "-o", "x.png"], "«abc» không phải số nguyên"),
    (["forms", "simulate", "t.yaml", "--count", "1", "--seed", "x", "-o", "a", "--truth", "b"],
     "tham số --seed: giá trị 'x' không hợp lệ"),
    (["report", "--period", "2026", "-o", "r.xlsx", "--unit", "1", "--all-units"], "không dùng cùng với --unit"),
    (["comments", "--extra"], "tham số không nhận ra: --extra"),
    # The subcommand's own help is named, and a mistyped option is named even when a required one is missing.
    (["forms", "print", "t.yaml", "--count", "3", "-o", "x.pdf", "--unti", "30001"],
     "tuỳ chọn không có: «--unti» (có phải «--unit»?) (xem «omr forms print --help»)"),
    (["forms", "print", "t.yaml", "--cuont", "3", "-o", "x.pdf"],
     "thiếu tham số bắt buộc: --count; tuỳ chọn không có: «--cuont» (có phải «--count»?) "
     "(xem «omr forms print --help»)"),
])
def test_argument_errors_are_one_vietnamese_line_and_exit_2(argv, expected, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    # One line a user can read: the mistake and where the help is, without argparse's usage line first.
    assert len(err.strip().splitlines()) == 1 and err.startswith("Lỗi: Lệnh không đúng: "), err
    assert "--help»" in err and "Cách dùng" not in err
    assert not ENGLISH.search(err), err


@pytest.mark.parametrize("command", [
    ["report", "--period", "2026-Q1", "-o", "{tmp}/r.xlsx"],
    ["report", "--period", "2026-Q1", "-o", "{tmp}/r.docx"],
    ["export", "-o", "{tmp}/e.csv"],
    ["comments"],
    ["show", "1", "-o", "{tmp}/s.png"],
    ["period", "close", "2026-Q1"],
])
def test_read_commands_refuse_a_database_that_does_not_exist(command, tmp_path, capsys):
    typo = tmp_path / "omr.sqllite"
    argv = [part.format(tmp=tmp_path) for part in command] + ["--db", str(typo)]
    assert main(argv) == 7
    err = capsys.readouterr().err
    assert f"Không có cơ sở dữ liệu «{typo}»" in err and len(err.strip().splitlines()) == 1
    # Nothing was created: no database, no report with a green "all checked" banner.
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_default_database_missing_is_refused_too(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--period", "2026-Q1", "-o", "r.html"]) == 7
    assert "outputs/omr.sqlite" in capsys.readouterr().err
    assert not (tmp_path / "outputs" / "omr.sqlite").exists() and not (tmp_path / "r.html").exists()


def test_show_of_an_unknown_serial_exits_with_a_documented_code(tmp_path, store_url, capsys):
    from omr.data.store import open_store

    open_store(store_url).close()  # an existing, empty database
    code = main(["show", "999", "-o", str(tmp_path / "s.png"), "--db", store_url])
    assert code == 2 and code in DOCUMENTED_EXIT_CODES
    assert "Không có phiếu số 000999" in capsys.readouterr().err


def test_no_traceback_from_the_installed_command(tmp_path, repo_root):
    for argv in (["show", "999", "-o", str(tmp_path / "s.png"), "--db", str(tmp_path / "none.sqlite")],
                 ["report", "--period", "2026-Q1", "-o", str(tmp_path / "r.xlsx"), "--db", "mysql://u@h/x"]):
        done = subprocess.run([sys.executable, "-m", "omr", *argv], capture_output=True, text=True, cwd=repo_root)
        assert done.returncode == 7 and "Traceback" not in done.stderr, done.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_waits_for_the_apt_lock(repo_root):
    done = subprocess.run(["make", "-n", "-C", str(repo_root), "apt", "apt-test"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for verb in ("update", "install"):
        assert re.search(rf"apt-get -o DPkg::Lock::Timeout=\d+ {verb}", done.stdout), done.stdout


def test_make_serve_takes_a_port(repo_root):
    def serve_line(*extra):
        done = subprocess.run(["make", "-n", "-C", str(repo_root), "serve", *extra], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return next(line for line in done.stdout.splitlines() if "review serve" in line)

    assert serve_line().endswith("--port 8000")
    assert serve_line("PORT=8123").endswith("--port 8123")


def test_output_piped_to_a_closed_reader_ends_quietly():
    """`omr comments | head -3`: the reader closes early; omr must not print a BrokenPipeError traceback."""
    script = ("import sys, omr.cli as c\n"
              "c.COMMANDS[('comments', None)] = lambda args: [print('dòng', i) for i in range(200000)] and 0\n"
              "sys.exit(c.main(['comments']))\n")
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = writer.stdout.readline()
    writer.stdout.close()  # what `head -1` does after its line
    err = writer.stderr.read().decode()
    writer.wait(timeout=60)
    assert first.startswith("dòng 0".encode())
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert writer.returncode == 0


def test_the_scan_formats_are_named_alike_by_the_help_the_hints_the_web_form_and_readme(tmp_path, capsys,
                                                                                          repo_root, store_url):
    """A trial: «omr scan --help» and the hint for a stray .txt said «PDF, TIFF, PNG, JPEG», README added PNM,
    the web upload form HEIC, WebP and JPEG 2000: three lists of what omr reads, none of them whole."""
    from omr.scan.ingest import SCAN_FORMAT_NAMES

    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    assert SCAN_FORMAT_NAMES in " ".join(capsys.readouterr().out.split())
    stray = tmp_path / "ghi-chu.txt"
    stray.write_text("ghi chú", encoding="utf-8")
    main(["scan", str(stray), "--db", str(tmp_path / "omr.sqlite")])
    said = capsys.readouterr()
    assert f"hãy kiểm tra đã chọn đúng tệp chưa (omr đọc {SCAN_FORMAT_NAMES})" in said.out + said.err
    assert SCAN_FORMAT_NAMES in " ".join((repo_root / "README.md").read_text(encoding="utf-8").split())

