"""Where the failing-input cases of ../shared/data/cases/ are (helper, not a test module).

$OMR_CASES, else ../shared/data/cases beside the checkout, else /work/shared/data/cases.
CI (OMR_REQUIRE_EXTERNAL_DATA=1) has them and refuses to skip the tests that need them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def cases_folder() -> Path:
    candidates = [Path(os.environ["OMR_CASES"])] if os.environ.get("OMR_CASES") else []
    if os.environ.get("OMR_EXTERNAL_DATA"):
        candidates.append(Path(os.environ["OMR_EXTERNAL_DATA"]).parent / "cases")
    candidates += [Path(__file__).resolve().parents[2] / "shared" / "data" / "cases",
                   Path("/work/shared/data/cases")]
    return next((c for c in candidates if c.is_dir()), candidates[-1])


CASES = cases_folder()
if not CASES.is_dir() and os.environ.get("OMR_REQUIRE_EXTERNAL_DATA") == "1":
    raise RuntimeError(f"failing-input cases absent: {CASES} (CI requires them)")


def require_cases() -> Path:
    """The cases folder; the test is skipped where it is absent (CI never: see above)."""
    if not CASES.is_dir():
        pytest.skip(f"failing-input cases absent: {CASES}")
    return CASES
