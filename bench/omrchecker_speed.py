"""Speed on OMRChecker's samples, omr beside OMRChecker (issue #16, item 6).

Every sample's ``template.json`` is imported into ONE catalogue (as an office would keep all its forms
designed elsewhere), and every sheet image of the samples (``../shared/data/external/omrchecker``) is
read by ``omr.scan.page.process_page``, repeated ``--rounds`` times (3 rounds of the samples' 29 sheets
≈ the issue's 90 scans). Prints per-sheet and total seconds, split into identifying the form
(registration) and reading it, and the sheets matched to their own sample's template.

OMRChecker side by side: with ``--omrchecker-dir`` (a checkout: ``main.py``, ``src/``) and
``--omrchecker-python`` (the interpreter of its own venv), OMRChecker is run in the same bench run, once
per sample folder its snapshot test runs on (copies whose ``config.json`` say ``show_image_level: 0``:
no screen here), ``--rounds`` times, timed two ways: the whole CLI (interpreter start and imports
included), and its work only (``entry_point_for_args`` timed inside the process: templates, configs and
every sheet). Per-sheet figures are medians over the rounds, wall and CPU (children's rusage, or
``process_time`` inside); its Results CSVs are checked against ``expected_reads.ambr`` so a failed or
wrong run cannot pass for a fast one. OMRChecker is not on PyPI; docs/forms-elsewhere.md says how the
checkout was made. Without a checkout the issue's figure stands in: 90 A4 scans in 4.5 s, 0.050 s per sheet.

    .venv/bin/python bench/omrchecker_speed.py [--rounds 3] [--omrchecker-dir DIR --omrchecker-python PY]
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

# profile_page first: it puts $OMR_CODE (another worktree's omr, for A/B in one session) before this checkout.
from profile_page import compare, fingerprint  # noqa: E402, I001
from omrchecker_agreement import DEFAULT_DATA, SKIP_COLUMNS, expected_reads, template_for  # noqa: E402

import cv2  # noqa: E402
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


def run_roots(data: Path, snapshots: dict[str, list[dict]]) -> list[Path]:
    """The sample folders OMRChecker's own snapshot test runs on (one per snapshot), so that a parent's
    ``config.json`` (sample3's) applies as there: the template's folder or its ancestor whose path, with
    ``/`` and ``-`` as ``_``, is the snapshot's name."""
    samples = data / "samples"
    roots = set()
    for name, rows in snapshots.items():
        folder = template_for(data / rows[0]["input_path"], samples).parent
        candidates = [folder, *folder.parents]
        match = [c for c in candidates if c != samples and samples in c.parents
                 and str(c.relative_to(samples)).replace("/", "_").replace("-", "_") == name]
        roots.add(match[0] if match else folder)
    return sorted(roots)


def headless_copies(data: Path, roots: list[Path], work: Path) -> list[Path]:
    """Copies of ``roots`` under ``work`` whose ``config.json`` files say ``show_image_level: 0``.

    Six samples' configs ask for level 5 (windows shown, waiting for a key), which cannot run without a
    screen; OMRChecker has no command-line flag for that. Level 0 is its plain batch mode, also its fastest
    (no drawings, no plots), so the comparison does not favour omr."""
    copies = []
    for root in roots:
        dst = work / root.relative_to(data / "samples")
        shutil.copytree(root, dst)
        for config in dst.rglob("config.json"):
            values = json.loads(config.read_text(encoding="utf-8"))
            values.setdefault("outputs", {})["show_image_level"] = 0
            config.write_text(json.dumps(values, indent=2), encoding="utf-8")
        copies.append(dst)
    return copies


# Runs OMRChecker's own main.py inside one interpreter and times only its work on the folder
# (entry_point_for_args: template and config loading, then every sheet), not the interpreter's start and
# the imports (cv2, pandas, matplotlib, rich, its processors).
_IN_PROCESS = """
import json, os, sys, time
checkout, folder, out = sys.argv[1:4]
sys.path.insert(0, checkout)
os.chdir(checkout)
sys.argv = ["main.py", "-i", folder, "-o", out]
import cv2
threads = int(os.environ.get("OMR_BENCH_OPENCV_THREADS", "-1"))
if threads >= 0:
    cv2.setNumThreads(threads)
import main
args = main.parse_args()
wall, cpu = time.perf_counter(), time.process_time()
main.entry_point_for_args(args)
print("OMRCHECKER_TIMING " + json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}))
"""


# OpenCV threads for both readers (--opencv-threads); -1 leaves OpenCV's default.
_opencv_threads = 1


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_omrchecker(checkout: Path, python: str, folders: list[Path], out: Path, whole_cli: bool) -> dict:
    """Seconds (wall, CPU) OMRChecker takes on ``folders``, one process per folder, as its own CLI.

    ``whole_cli``: the whole command (interpreter start, imports, template loading, sheets), CPU from the
    children's rusage; else only ``entry_point_for_args`` timed inside the process (start-up excluded).
    Raises RuntimeError with OMRChecker's stderr when a run fails (a failed run must not look fast)."""
    env = {**os.environ, "MPLBACKEND": "Agg", "OMR_BENCH_OPENCV_THREADS": str(_opencv_threads)}
    if _opencv_threads > 0:  # the whole command's OpenCV reads its thread count from here at start
        env["OPENCV_FOR_THREADS_NUM"] = str(_opencv_threads)
    wall = cpu = 0.0
    for folder in folders:
        target = out / folder.name
        if whole_cli:
            command = [python, str(checkout / "main.py"), "-i", str(folder), "-o", str(target)]
        else:
            command = [python, "-c", _IN_PROCESS, str(checkout), str(folder), str(target)]
        started, cpu_started = time.perf_counter(), _children_cpu()
        done = subprocess.run(command, cwd=checkout, capture_output=True, text=True, timeout=900, env=env)
        spent, spent_cpu = time.perf_counter() - started, _children_cpu() - cpu_started
        if done.returncode != 0:
            raise RuntimeError(f"OMRChecker failed on {folder}: {done.stderr[-2000:]}")
        if whole_cli:
            wall, cpu = wall + spent, cpu + spent_cpu
        else:
            timing = json.loads(done.stdout.rsplit("OMRCHECKER_TIMING ", 1)[1].split("\n", 1)[0])
            wall, cpu = wall + timing["wall"], cpu + timing["cpu"]
    return {"wall": wall, "cpu": cpu, "sheets": len(omrchecker_rows(out))}


def omrchecker_rows(out: Path) -> list[dict]:
    """Every sheet row OMRChecker wrote under ``out`` (Results, MultiMarkedFiles and ErrorFiles CSVs)."""
    rows = []
    for name in ("Results_*.csv", "MultiMarkedFiles.csv", "ErrorFiles.csv"):
        for path in sorted(out.rglob(name)):
            rows += list(csv.DictReader(path.open(encoding="utf-8")))
    return rows


def agreement(rows: list[dict], work: Path, snapshots: dict[str, list[dict]]) -> tuple[int, int, list[str]]:
    """Sheets whose answers and score OMRChecker wrote here equal its frozen snapshot's row:
    (same, compared, differing input paths)."""
    ours = {Path(r["input_path"]).resolve().relative_to(work.resolve()).as_posix(): r for r in rows}
    same, compared, differing = 0, 0, []
    for expected in (r for rs in snapshots.values() for r in rs):
        key = expected["input_path"].removeprefix("samples/")
        compared += 1
        got = ours.get(key)
        answers = {k: v for k, v in expected.items() if k not in SKIP_COLUMNS or k == "score"}
        if got is not None and all(got.get(k) == v for k, v in answers.items()):
            same += 1
        else:
            differing.append(key)
    return same, compared, differing


def omr_round(sheets: list[Path], loader: PageLoader, catalogue: Catalogue, form_of: dict, verbose: bool,
              profiler: cProfile.Profile | None = None) -> tuple[float, float, int, list[dict]]:
    """One round of omr over every sheet: (wall s, CPU s, sheets matched to their own template,
    fingerprints of the reads)."""
    right, reads = 0, []
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for sheet in sheets:
        result = process_page(loader.load(sheet, 0), catalogue)
        own = form_of[template_for(sheet, DEFAULT_DATA / "samples")]
        right += result.form_id == own
        reads.append(fingerprint(result))
        if verbose and result.form_id != own:
            print(f"    {sheet.relative_to(DEFAULT_DATA)}: {result.form_id or result.set_aside} ({result.detail[:120]})")
    if profiler:
        profiler.disable()
    return time.perf_counter() - started, time.process_time() - cpu_started, right, reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--omrchecker-dir", type=Path, help="a checkout of OMRChecker (its main.py and src/)")
    parser.add_argument("--omrchecker-python", default=sys.executable,
                        help="the interpreter of OMRChecker's own venv (default: this one)")
    parser.add_argument("--opencv-threads", type=int, default=1,
                        help="OpenCV threads in omr and in OMRChecker's timed process (default 1, as omr's batch "
                             "workers run: with OpenCV's default threads on a loaded 2-core machine, omr's CPU a "
                             "sheet measured ~10 %% higher, 0.370 against 0.336 s, from thread overhead alone)")
    parser.add_argument("--verbose", action="store_true", help="list sheets matched to another template")
    parser.add_argument("--save", type=Path, help="write every sheet's read (last round) to this JSON file")
    parser.add_argument("--compare", type=Path, help="print every read differing from this --save file")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="profile the last round (CPU clock) and print its top N functions")
    args = parser.parse_args()
    global _opencv_threads
    _opencv_threads = args.opencv_threads
    if args.opencv_threads >= 0:
        cv2.setNumThreads(args.opencv_threads)
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
    checkout = args.omrchecker_dir.resolve() if args.omrchecker_dir else None
    side_by_side = checkout is not None and (checkout / "main.py").is_file()
    if side_by_side:
        work = scratch / "omrchecker-inputs"
        folders = headless_copies(DEFAULT_DATA, run_roots(DEFAULT_DATA, snapshots), work)
    loader = PageLoader()
    right = 0
    ours = []  # per round: (wall, CPU) seconds for all the sheets
    runs = {True: [], False: []}  # OMRChecker's rounds, interleaved with omr's (the same load on both)
    profiler = None
    for round_no in range(args.rounds):
        last = round_no == args.rounds - 1
        profiler = cProfile.Profile(time.process_time) if args.cprofile and last else None
        wall, cpu, matched, reads = omr_round(sheets, loader, catalogue, form_of, args.verbose, profiler)
        ours.append((wall, cpu))
        right += matched
        if not side_by_side:
            continue
        for whole_cli in (True, False):
            out = scratch / f"omrchecker-out-{round_no}-{'cli' if whole_cli else 'work'}"
            runs[whole_cli].append(run_omrchecker(checkout, args.omrchecker_python, folders, out, whole_cli))
            if round_no == 0 and whole_cli:
                same, compared, differing = agreement(omrchecker_rows(out), work, snapshots)
                print(f"OMRChecker (run here, {checkout}): {runs[True][0]['sheets']} sheets; answers equal to "
                      f"its own snapshot (expected_reads.ambr, answers and score) on {same}/{compared} sheets"
                      + (f"; differing: {', '.join(differing)}" if differing else ""))
            shutil.rmtree(out, ignore_errors=True)
    loader.close()
    n = len(sheets) * args.rounds
    total = sum(w for w, _ in ours)
    # The first round fills each reference's caches (cold); a batch reads warm after its first sheets.
    warm = ours[1:] or ours
    omr_wall = statistics.median(w for w, _ in warm) / len(sheets)
    omr_cpu = statistics.median(c for _, c in warm) / len(sheets)
    print(f"catalogue: {pinned_pages} pinned pages ({len(form_of)} OMRChecker templates); "
          f"{len(sheets)} sheets x {args.rounds} rounds = {n} sheets")
    print(f"omr: {total:.1f} s, warm rounds' median {omr_wall:.3f} s/sheet wall (identify {spent['match'] / n:.3f}, "
          f"read {(total - spent['match']) / n:.3f} on average); CPU {omr_cpu:.3f} s/sheet (all threads); "
          f"matched to their own template: {right}/{n}")
    print("    per round, the first cold (wall, CPU s/sheet): "
          + ", ".join(f"({w / len(sheets):.3f}, {c / len(sheets):.3f})" for w, c in ours))
    if side_by_side:
        labels = ((True, "whole CLI per sample folder (interpreter start + imports included)"),
                  (False, "its work only (entry_point_for_args timed inside; start-up excluded)"))
        for whole_cli, label in labels:
            wall = statistics.median(r["wall"] / r["sheets"] for r in runs[whole_cli])
            cpu = statistics.median(r["cpu"] / r["sheets"] for r in runs[whole_cli])
            print(f"OMRChecker, {label}: median of {args.rounds} rounds {wall:.3f} s/sheet wall, CPU {cpu:.3f} "
                  f"s/sheet")
            print("    per round (wall, CPU s/sheet): " + ", ".join(
                f"({r['wall'] / r['sheets']:.3f}, {r['cpu'] / r['sheets']:.3f})" for r in runs[whole_cli]))
        cpu_of = {k: statistics.median(r["cpu"] / r["sheets"] for r in runs[k]) for k in runs}
        print(f"side by side (CPU a sheet, omr warm / OMRChecker): {omr_cpu / cpu_of[False]:.2f} x its work only, "
              f"{omr_cpu / cpu_of[True]:.2f} x its whole command"
              + ("; omr is no slower than OMRChecker's work" if omr_cpu <= cpu_of[False] else
                 "; omr is slower than OMRChecker's work"))
    else:
        per_sheet = ISSUE_OMRCHECKER_SECONDS_PER_SHEET
        print(f"OMRChecker: not installed (not on PyPI); the issue's side-by-side figure: {per_sheet:.3f} s/sheet")
        print(f"ratio omr / OMRChecker: {omr_wall / per_sheet:.1f}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.cprofile)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.cprofile)
    if args.save:
        args.save.write_text(json.dumps(reads), encoding="utf-8")
    if args.compare:
        differing = compare(json.loads(args.compare.read_text(encoding="utf-8")), json.loads(json.dumps(reads)))
        print(f"reads differing from {args.compare}: {differing} of {len(reads)} sheets")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
