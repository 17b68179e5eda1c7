"""A fresh user's leftover: «omr forms print -o» into a missing folder exits 2 naming the folder, while every
other command created the folder silently (a mistyped «-o bao-coa/q1.docx» left the report where nobody looked).
Every file a user names goes into a folder that exists; omr's own default place, outputs/, is still made."""

from __future__ import annotations

import pytest

from omr.cli import main
from omr.data.store import open_store

TEMPLATE = "form_templates/motcua-2026.yaml"


def _commands(repo_root, db):
    template = str(repo_root / TEMPLATE)
    return {
        "export": lambda out: ["export", "--format", "xlsx", "-o", out, "--db", db],
        "report": lambda out: ["report", "--period", "2026-Q1", "-o", out.replace(".xlsx", ".docx"), "--db", db],
        "forms layout": lambda out: ["forms", "layout", template, "-o", out.replace(".xlsx", ".json")],
        "forms simulate": lambda out: ["forms", "simulate", template, "--count", "1", "--seed", "1", "-o",
                                       out.replace(".xlsx", ".pdf"), "--truth", out.replace(".xlsx", ".jsonl")],
        "show": lambda out: ["show", "1", "-o", out.replace(".xlsx", ".png"), "--db", db],
        "online mapping": lambda out: ["online", "mapping", template, "-o", out.replace(".xlsx", ".yaml")],
        "forms print": lambda out: ["forms", "print", template, "--count", "1", "-o", out.replace(".xlsx", ".pdf")],
    }


@pytest.mark.parametrize("command", ["export", "report", "forms layout", "forms simulate", "show", "online mapping",
                                     "forms print"])
def test_a_file_named_into_a_missing_folder_is_refused_naming_the_folder(command, tmp_path, repo_root, capsys):
    db = tmp_path / "omr.sqlite"
    open_store(str(db)).close()
    out = tmp_path / "khong-co" / "thu-muc" / "ket-qua.xlsx"
    args = _commands(repo_root, str(db))[command](str(out))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"Thư mục «{out.parent}» của tệp ra «" in err and "không tồn tại" in err, err
    assert not (tmp_path / "khong-co").exists()


def test_a_rejects_file_in_a_missing_folder_is_refused_before_the_import(tmp_path, capsys):
    db = tmp_path / "omr.sqlite"
    csv = tmp_path / "online.csv"
    csv.write_text("Dấu thời gian,B1\n05/03/2026 10:00:00,5\n", encoding="utf-8")
    rejects = tmp_path / "sai" / "loi.csv"
    assert main(["online", "import", str(csv), "--source", "gf", "--db", str(db), "--rejects", str(rejects)]) == 2
    assert f"Thư mục «{rejects.parent}»" in capsys.readouterr().err
    assert not rejects.parent.exists() and not db.exists()


def test_the_default_outputs_folder_is_still_made(tmp_path, monkeypatch, repo_root):
    db = tmp_path / "omr.sqlite"
    open_store(str(db)).close()
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--db", str(db), "--templates", str(repo_root / "form_templates")]) == 0
    assert (tmp_path / "outputs" / "export.csv").is_file()


def test_a_file_in_an_existing_folder_is_written(tmp_path, repo_root):
    out = tmp_path / "bo-cuc.json"
    assert main(["forms", "layout", str(repo_root / TEMPLATE), "-o", str(out)]) == 0
    assert out.is_file()
