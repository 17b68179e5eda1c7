"""What a new user hits in the first hour, found by trying the README from a fresh clone."""

from __future__ import annotations

import getpass
import socket
import sys

from omr.cli import main
from omr.data.store import open_store


def test_scanning_a_mistyped_folder_creates_no_database(tmp_path, capsys):
    db = tmp_path / "omr.sqlite"
    assert main(["scan", str(tmp_path / "scnas"), "--db", str(db)]) == 5
    err = capsys.readouterr().err
    assert "scnas" in err and "Traceback" not in err
    assert not db.exists(), "a failed scan must not leave an empty database that later reports 0 sheets"
    # ...so the report that follows still says the database is missing, instead of "0 phiếu".
    assert main(["report", "--period", "2025-Q4", "--all-units", "--db", str(db), "-o",
                 str(tmp_path / "r.html")]) == 7


def test_serving_a_database_that_does_not_exist_is_refused(tmp_path, capsys):
    db = tmp_path / "typo.sqlite"
    assert main(["review", "serve", "--db", str(db), "--uploads", str(tmp_path / "up")]) == 7
    assert "typo.sqlite" in capsys.readouterr().err
    assert not db.exists()


def test_a_port_in_use_is_one_vietnamese_line(tmp_path, capsys):
    db = tmp_path / "omr.sqlite"
    open_store(str(db)).close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code = main(["review", "serve", "--db", str(db), "--uploads", str(tmp_path / "up"),
                     "--port", str(port)])
    out, err = capsys.readouterr()
    assert code == 2
    assert f"127.0.0.1:{port}" in err and "--port" in err and "Traceback" not in err
    assert "http://" not in out, "the app must not announce an address it could not open"


def test_ctrl_d_at_the_password_prompt_creates_no_user(tmp_path, capsys, monkeypatch):
    db = tmp_path / "omr.sqlite"
    monkeypatch.delenv("OMR_PASSWORD", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)

    def ctrl_d(prompt=""):
        raise EOFError

    monkeypatch.setattr(getpass, "getpass", ctrl_d)
    assert main(["users", "add", "lan", "--role", "reviewer", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Lỗi: ") and "Traceback" not in err and "mật khẩu" in err


def test_export_and_report_from_another_folder_use_the_project_templates(tmp_path, capsys, monkeypatch):
    """A user who runs `omr export` / `omr report` outside the project folder without --templates got
    «Không tìm thấy thư mục mẫu phiếu: form_templates»; a folder without the stored form exported no labels
    and said nothing. Now the project's form_templates is the default there, and a folder lacking a stored
    form is named in one line with the option to pass."""
    from db_fixtures import page_result, record

    db = tmp_path / "omr.sqlite"
    with open_store(str(db)) as store:
        batch = store.ensure_batch("Đợt một", "2025-07-01", "2025-09-30")
        record(store, batch, page_result(1, 1, {"A1": "2025-08-01", "B1": "5"}, path="s1.pdf"), 1)
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["export", "--format", "csv", "-o", "e.csv", "--db", str(db)]) == 0
    assert "B1. Nơi ngồi chờ đủ chỗ" in (work / "e.csv").read_text(encoding="utf-8-sig")
    assert main(["report", "--period", "2025-Q3", "-o", "r.html", "--db", str(db)]) == 0
    assert "1 phiếu" in capsys.readouterr().out
    (work / "empty").mkdir()
    assert main(["export", "--format", "csv", "-o", "e2.csv", "--db", str(db), "--templates", "empty"]) == 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "motcua-2026 phiên bản 1" in err and "--templates" in err
    assert main(["report", "--period", "2025-Q3", "-o", "r.html", "--db", str(db), "--templates", "missing"]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--templates THƯ_MỤC" in err


def test_the_readmes_first_step_prints_forms_headed_with_the_units_name(tmp_path, capsys, monkeypatch):
    """README step 1 printed forms with no unit registry (units came only at step 4): a clerk following it in
    order got forms headed «Đơn vị: 30001» and reports with «TÊN CƠ QUAN, TỔ CHỨC» (a fresh user's trial).
    Its commands, run in order (200 forms made 1, the database and PDF in a temporary folder), name the unit."""
    import re
    import shlex
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    step = readme[readme.index("\n1. **"):readme.index("\n2. **")]
    commands = [c for c in re.findall(r"`(omr [^`]+)`", step.replace("\n   ", " "))]
    assert commands, step
    db = tmp_path / "omr.sqlite"
    monkeypatch.chdir(root)
    for command in commands:
        args = shlex.split(command.replace("outputs/omr.sqlite", str(db)).replace("--count 200", "--count 1")
                           .replace("-o forms.pdf", f"-o {tmp_path / 'forms.pdf'}"))[1:]
        if "--db" not in args:
            args += ["--db", str(db)]
        assert main(args) == 0, command
    assert "Đơn vị trên phiếu: Phường Cao Lãnh (mã 30001)" in capsys.readouterr().out
