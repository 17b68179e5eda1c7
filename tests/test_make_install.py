"""`make install` (first step of `make demo`): pip's progress shown, one line a package, never minutes of silence."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

PIP_SAYS = """\
Obtaining file:///work/omr
  Installing build dependencies: started
Collecting numpy>=1.26
  Downloading numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.whl (16.3 MB)
  Using cached segno-1.6.1-py3-none-any.whl (76 kB)
Requirement already satisfied: pip in ./.venv/lib/python3.11/site-packages (24.0)
WARNING: Location 'file:///srv/simple/segno/' is ignored: it is neither a file nor a directory.
Installing collected packages: numpy
ERROR: Could not find a version that satisfies the requirement nosuch
Successfully installed numpy-2.1.0
"""


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("bash") is None, reason="make and bash")
def test_the_install_says_it_takes_minutes_and_shows_each_package_not_each_file(repo_root, tmp_path):
    """After «Cài các gói Python…» pip ran with -q: minutes with nothing on screen (a fresh user's trial)."""
    recipe = subprocess.run(["make", "-n", "-B", ".venv/.installed"], cwd=repo_root, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    said = next(line for line in recipe if "Cài các gói Python" in line)
    assert "5 phút" in said
    installs = [line for line in recipe if " -m pip install " in line]
    assert installs and all(" -q" not in line for line in installs)
    sample = tmp_path / "pip.txt"
    sample.write_text(PIP_SAYS, encoding="utf-8")
    command = re.sub(r"\S+ -m pip install .*? 2>&1", f"cat {sample} 2>&1", installs[-1])
    shown = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True).stdout.splitlines()
    assert shown == ["Obtaining file:///work/omr", "  Installing build dependencies: started",
                     "Collecting numpy>=1.26", "Installing collected packages: numpy",
                     "ERROR: Could not find a version that satisfies the requirement nosuch",
                     "Successfully installed numpy-2.1.0"]
    failing = re.sub(r"\S+ -m pip install .*? 2>&1", f"(cat {sample}; exit 1) 2>&1", installs[-1])
    assert subprocess.run(["bash", "-c", failing], capture_output=True).returncode != 0, "pip's failure is kept"
