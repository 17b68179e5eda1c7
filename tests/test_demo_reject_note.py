"""`make demo`: the one online row its example rejects on purpose is said to be deliberate, right under it."""

from __future__ import annotations

import re

from omr.data.store import open_store
from omr.online.importer import import_online
from omr.online.mapping import load_mapping


def _demo_recipe(repo_root) -> tuple[list[str], str]:
    text = (repo_root / "Makefile").read_text(encoding="utf-8")
    note = re.search(r"^DEMO_REJECT_NOTE := (.+)$", text, re.M).group(1)
    recipe = text.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    lines = [line.strip() for line in recipe.splitlines() if line.startswith("\t") and not line.startswith("\t@#")]
    return lines, note


def test_the_demo_says_its_rejected_row_is_deliberate_and_where_to_read_it(repo_root):
    lines, note = _demo_recipe(repo_root)
    at = next(i for i, line in enumerate(lines) if "omr online import" in line)
    assert lines[at + 1] == '@echo "$(DEMO_REJECT_NOTE)"'  # the next thing printed, under the import's summary
    assert "CỐ Ý" in note and "không phải lỗi" in note and "$(OUT)/online-rejects.csv" in note
    assert "--rejects $(OUT)/online-rejects.csv" in lines[at]


def test_the_note_names_the_very_row_the_example_rejects(repo_root, tmp_path):
    _, note = _demo_recipe(repo_root)
    folder = repo_root / "examples" / "online"
    with open_store(str(tmp_path / "omr.sqlite")) as store:
        report = import_online(store, folder / "google-forms-vi.csv", "google-forms-fb",
                               load_mapping(folder / "google-forms-vi.mapping.yaml"), rejects=tmp_path / "r.csv")
    assert report.rejected == 1 and [p.value for p in report.problems] == ["Cấp đổi giấy phép lái xe"]
    assert f"«{report.problems[0].value}»" in note
