"""Agreement of omr's reads with OMRChecker's own reads on its sample sheets (issue #8).

Each sample's ``template.json`` is imported (``omr template import-omrchecker``)
into a scratch folder; every sheet named in ``expected_reads.ambr`` is read
by the scan pipeline (``omr.scan.page.process_page``: registration to the
reference, then reading), and each field compared with OMRChecker's read.
Fields joined by OMRChecker's ``customLabels`` (a roll number from its digit
columns) are joined the same way here.

    .venv/bin/python bench/omrchecker_agreement.py [--data DIR] [--verbose]

Prints one row per sample: sheets, fields, agreeing fields, the fields
omr sends to review, and the fields read otherwise than OMRChecker without
review ("differ ok": silent errors, unless OMRChecker is the one wrong).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from omr.model import NEEDS_REVIEW  # noqa: E402
from omr.scan.ingest import PageLoader  # noqa: E402
from omr.scan.page import Catalogue, process_page  # noqa: E402
from omr.template_from.omrchecker import expand_labels, import_omrchecker, read_template_json  # noqa: E402

# The shared real scans: $OMR_EXTERNAL_DATA, else ../shared beside the checkout, else /work/shared.
DEFAULT_DATA = next((p / "omrchecker" for p in (
    [Path(os.environ["OMR_EXTERNAL_DATA"])] if os.environ.get("OMR_EXTERNAL_DATA") else [])
    + [ROOT.parent / "shared" / "data" / "external", Path("/work/shared/data/external")]
    if (p / "omrchecker").is_dir()), Path("/work/shared/data/external/omrchecker"))
SKIP_COLUMNS = {"file_id", "input_path", "output_path", "score"}


def expected_reads(ambr: Path) -> dict[str, list[dict]]:
    """Snapshot name -> rows of its Results CSVs (one per sheet)."""
    text = ambr.read_text(encoding="utf-8")
    out: dict[str, list[dict]] = {}
    for section in re.split(r"^# name: ", text, flags=re.M)[1:]:
        name = section.split("\n", 1)[0].strip().removeprefix("test_run_")
        rows = []
        for block in re.findall(r"'[^']*Results/Results[^']*\.csv': '''\n(.*?)'''", section, flags=re.S):
            lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
            rows += list(csv.DictReader(io.StringIO("\n".join(lines))))
        out[name] = rows
    return out


def template_for(image: Path, root: Path) -> Path:
    folder = image.parent
    while True:
        if (folder / "template.json").is_file():
            return folder / "template.json"
        if folder == root or folder.parent == folder:
            raise FileNotFoundError(f"no template.json above {image}")
        folder = folder.parent


def sample_sheets(data: Path, scratch: Path):
    """Every sheet of ``expected_reads.ambr`` under ``data``: yields (snapshot name, its Results row, image
    path, Catalogue of its imported template, the template's JSON), each template imported once into
    ``scratch``."""
    catalogues: dict[Path, tuple] = {}
    for name, rows in expected_reads(data / "expected_reads.ambr").items():
        for row in rows:
            image = data / row["input_path"]
            tpl = template_for(image, data / "samples")
            if tpl not in catalogues:
                folder = scratch / f"{name}-{len(catalogues)}"
                import_omrchecker(tpl, folder / f"{name.lower().replace('_', '-')}.yaml")
                catalogues[tpl] = (Catalogue.from_folder(folder), read_template_json(tpl))
            yield (name, row, image) + catalogues[tpl]


def our_value(read) -> str:
    if read is None or read.value is None:
        return ""
    if isinstance(read.value, list):
        return "".join(sorted(str(v) for v in read.value))
    return str(read.value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--verbose", action="store_true", help="list every disagreeing field")
    args = parser.parse_args()
    if not (args.data / "expected_reads.ambr").is_file():
        print(f"Không có dữ liệu mẫu OMRChecker ở {args.data}")
        return 1
    snapshots = expected_reads(args.data / "expected_reads.ambr")
    scratch = Path(tempfile.mkdtemp(prefix="omrchecker-bench-"))
    loader = PageLoader()
    totals = [0, 0, 0, 0, 0]
    print(f"{'sample':28} {'sheets':>6} {'fields':>6} {'agree':>6} {'%':>6} {'review':>6} {'differ ok':>9} "
          f"{'sec/sheet':>9}")
    for name, rows in snapshots.items():
        sheets = fields = agree = review = silent = 0
        seconds = []
        catalogues: dict[Path, tuple[Catalogue, dict]] = {}
        for row in rows:
            image = args.data / row["input_path"]
            tpl = template_for(image, args.data / "samples")
            if tpl not in catalogues:
                folder = scratch / f"{name}-{len(catalogues)}"
                import_omrchecker(tpl, folder / f"{name.lower().replace('_', '-')}.yaml")
                catalogues[tpl] = (Catalogue.from_folder(folder), read_template_json(tpl))
            catalogue, data = catalogues[tpl]
            started = time.perf_counter()
            result = process_page(loader.load(image, 0), catalogue)
            seconds.append(time.perf_counter() - started)
            sheets += 1
            by_text = {}
            layout = next(iter(catalogue.layouts.values()))
            qtext = {q.id: q.text for q in layout.questions}
            for q in result.questions:
                by_text[qtext[q.question]] = q
            empty = str(data.get("emptyValue", ""))
            custom = {k: expand_labels(v) for k, v in (data.get("customLabels") or {}).items()}
            for column in [c for c in row if c not in SKIP_COLUMNS]:
                parts = custom.get(column, [column])
                reads = [by_text.get(p) for p in parts]
                ours = "".join(our_value(r) or empty for r in reads)
                theirs = row[column]
                fields += 1
                agree += ours == theirs
                to_review = any(r is not None and r.status in NEEDS_REVIEW for r in reads)
                review += to_review
                # Read otherwise than OMRChecker and not sent to a person: a silent error unless
                # OMRChecker is the one wrong (the notes in docs/forms-elsewhere.md say which).
                silent += ours != theirs and not to_review
                if ours != theirs and args.verbose:
                    statuses = ",".join(r.status if r else "-" for r in reads)
                    print(f"    {image.name} {column}: omr «{ours}» ({statuses}) OMRChecker «{theirs}»")
            if result.set_aside and args.verbose:
                print(f"    {image.name}: để riêng ({result.set_aside}: {result.detail})")
        pct = 100.0 * agree / fields if fields else 0.0
        median = sorted(seconds)[len(seconds) // 2] if seconds else 0.0
        print(f"{name:28} {sheets:6d} {fields:6d} {agree:6d} {pct:6.1f} {review:6d} {silent:9d} {median:9.2f}")
        totals = [a + b for a, b in zip(totals, (sheets, fields, agree, review, silent))]
    pct = 100.0 * totals[2] / totals[1] if totals[1] else 0.0
    print(f"{'ALL':28} {totals[0]:6d} {totals[1]:6d} {totals[2]:6d} {pct:6.1f} {totals[3]:6d} {totals[4]:9d}")
    loader.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
