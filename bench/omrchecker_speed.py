"""Speed on OMRChecker's samples, omr beside OMRChecker (issue #16, item 6).

Every sample's ``template.json`` is imported into ONE catalogue (as an office would keep all its forms
designed elsewhere), and every sheet image of the samples (``../shared/data/external/omrchecker``) is
read by ``omr.scan.page.process_page``, repeated ``--rounds`` times (3 rounds of the samples' 29 sheets
≈ the issue's 90 scans). Prints per-sheet and total seconds, split into identifying the form
(registration) and reading it, and the sheets matched to their own sample's template.

OMRChecker side by side: when OMRChecker is importable or ``--omrchecker-dir`` points to a checkout of
it (its ``main.py``), it is run on the same sheets in the same process run and timed the same way.
OMRChecker is not on PyPI (``pip index versions omrchecker``: no matching distribution), so on a
machine without a checkout the issue's figure, measured side by side on this machine, stands in:
90 A4 scans in 4.5 s, i.e. 0.050 s per sheet.

    .venv/bin/python bench/omrchecker_speed.py [--rounds 3] [--omrchecker-dir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from omrchecker_agreement import DEFAULT_DATA, expected_reads, template_for  # noqa: E402

import omr.scan.page as page_module  # noqa: E402
from omr.scan.ingest import PageLoader  # noqa: E402
from omr.scan.page import Catalogue, process_page  # noqa: E402
from omr.template_from.omrchecker import import_omrchecker  # noqa: E402

ISSUE_OMRCHECKER_SECONDS_PER_SHEET = 4.5 / 90  # issue #16: 90 A4 scans in 4.5 s on this machine


def one_catalogue(data: Path, folder: Path, sheets: list[Path]) -> tuple[Catalogue, dict[Path, str]]:
    """The templates of all the sheets' samples in one catalogue; template.json -> its form id."""
    form_of = {}
    for tpl in sorted({template_for(s, data / "samples") for s in sheets}):
        name = "-".join(tpl.parent.relative_to(data / "samples").parts).lower().replace("_", "-")
        import_omrchecker(tpl, folder / f"{name}.yaml")
        form_of[tpl] = name
    return Catalogue.from_folder(folder), form_of


def run_omrchecker(checkout: Path, sheets: list[Path]) -> float | None:
    """Seconds OMRChecker takes on the samples' folders holding ``sheets`` (its own CLI), or None."""
    main = checkout / "main.py"
    if not main.is_file():
        return None
    folders = sorted({template_for(s, DEFAULT_DATA / "samples").parent for s in sheets})
    started = time.perf_counter()
    for folder in folders:
        out = Path(tempfile.mkdtemp(prefix="omrchecker-out-"))
        subprocess.run([sys.executable, str(main), "-i", str(folder), "-o", str(out)], cwd=checkout,
                       capture_output=True, timeout=600)
        shutil.rmtree(out, ignore_errors=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--omrchecker-dir", type=Path)
    parser.add_argument("--verbose", action="store_true", help="list sheets matched to another template")
    args = parser.parse_args()
    snapshots = expected_reads(DEFAULT_DATA / "expected_reads.ambr")
    sheets = []
    for rows in snapshots.values():
        sheets += [DEFAULT_DATA / row["input_path"] for row in rows]
    scratch = Path(tempfile.mkdtemp(prefix="omr-speed-"))
    catalogue, form_of = one_catalogue(DEFAULT_DATA, scratch, sheets)
    pinned_pages = sum(1 for lay in catalogue.layouts.values() for p in lay.pages if p.pinned)
    # Time spent identifying the form (registration to the references), measured around match_pinned.
    spent = {"match": 0.0}
    original = page_module.match_pinned

    def timed(grey, layouts):
        started = time.perf_counter()
        try:
            return original(grey, layouts)
        finally:
            spent["match"] += time.perf_counter() - started

    page_module.match_pinned = timed
    loader = PageLoader()
    right = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(args.rounds):
        for sheet in sheets:
            result = process_page(loader.load(sheet, 0), catalogue)
            own = form_of[template_for(sheet, DEFAULT_DATA / "samples")]
            right += result.form_id == own
            if args.verbose and result.form_id != own:
                print(f"    {sheet.relative_to(DEFAULT_DATA)}: {result.form_id or result.set_aside} ({result.detail[:120]})")
    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    loader.close()
    n = len(sheets) * args.rounds
    print(f"catalogue: {pinned_pages} pinned pages ({len(form_of)} OMRChecker templates); "
          f"{len(sheets)} sheets x {args.rounds} rounds = {n} sheets")
    print(f"omr: {total:.1f} s, {total / n:.3f} s/sheet (identify {spent['match'] / n:.3f}, "
          f"read {(total - spent['match']) / n:.3f}); CPU {cpu / n:.3f} s/sheet (all threads); "
          f"matched to their own template: {right}/{n}")
    theirs = run_omrchecker(args.omrchecker_dir, sheets) if args.omrchecker_dir else None
    if theirs is not None:
        per_sheet = theirs / len(sheets)
        print(f"OMRChecker (run here): {theirs:.1f} s, {per_sheet:.3f} s/sheet")
    else:
        per_sheet = ISSUE_OMRCHECKER_SECONDS_PER_SHEET
        print(f"OMRChecker: not installed (not on PyPI); the issue's side-by-side figure: {per_sheet:.3f} s/sheet")
    print(f"ratio omr / OMRChecker: {total / n / per_sheet:.1f}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
