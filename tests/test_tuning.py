"""omr/tuning.py holds every recognition constant once: a second assignment of a name silently replaces
the first for every module that reads it (LINE_MARK_REACH_MM was once 0.5 mm for the comments' accents and
8 mm for the line-through-box check, and the comments linked accents 8 mm away until it was found)."""

import ast
from collections import Counter
from pathlib import Path

import omr.tuning

TUNING = Path(omr.tuning.__file__)


def _assigned_names(tree: ast.Module) -> list[str]:
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            names.extend(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def test_every_tuning_constant_is_assigned_once():
    counts = Counter(_assigned_names(ast.parse(TUNING.read_text(encoding="utf-8"))))
    assert [name for name, n in counts.items() if n > 1] == []

