"""Shared fixtures. Tests never write into the repository's form_templates/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def default_template_path(repo_root: Path) -> Path:
    """The shipped One-Stop Shop form (read only: copy it before changing anything)."""
    return repo_root / "form_templates" / "motcua-2026.yaml"


@pytest.fixture
def form_templates_copy(repo_root: Path, tmp_path: Path) -> Path:
    """A private copy of form_templates/ (templates and their frozen layouts/)."""
    dest = tmp_path / "form_templates"
    shutil.copytree(repo_root / "form_templates", dest)
    return dest
