#!/usr/bin/env python3
"""Period-report speed benchmark (issue #7): a report over 1,000,000 responses in <= 10 s.

    .venv/bin/python bench/report.py [--responses 1000000] [--db URL] [--keep] [--runs 3]

Builds a synthetic database (default: an SQLite file in a temporary folder;
``--db postgresql://...`` for PostgreSQL, where it must be an empty schema or
database) with ``--responses`` responses of the default form spread over
report-year 2026 (15/12/2025 - 14/12/2026), 102 units (the size of the new
Dong Thap), 70 % paper and 30 % online:

- paper: one page each in a batch per unit and month (with collection
  dates); the survey date on the form for 95 %, blank for 5 % (those fall
  back to the batch's dates); 31 answers each (context, 18 scale questions,
  yes/no), with ~3 % blanks, ~6 % "Không ý kiến" and ~0.5 % marks awaiting
  review; 2 % carry a transcribed comment, some flagged by the lexicon;
- online: 30 answers each (no survey date: the submission time dates them),
  2 % with free text.

Rows go in with executemany (SQLite) or COPY (PostgreSQL), in chunks. Then
the report for ``--period 2026 --all-units`` is computed ``--runs`` times
(figures only, then written once as XLSX, DOCX and HTML) and the median
time is printed with the figures' headline numbers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from omr.data.store import open_store
from omr.forms.template import load_template
from omr.online.units import Unit, save_units
from omr.reports import figures as report_module

TEMPLATE = ROOT / "form_templates" / "motcua-2026.yaml"
N_UNITS = 102
CHUNK = 50_000
YEAR_START = date(2025, 12, 15)
YEAR_DAYS = 365
ONLINE_SHARE = 0.30
COMMENT_SHARE = 0.02
TEXTS = ("Cán bộ nhiệt tình, hướng dẫn rõ ràng.", "Phải đi lại nhiều lần mới xong hồ sơ.",
         "Có hiện tượng nhũng nhiễu, đòi tiền trà nước.", "Không có tiêu cực, rất hài lòng.",
         "Nên bố trí thêm ghế ngồi chờ.")


def _stamp(moment: datetime, backend: str) -> str:
    if backend == "sqlite":  # SQLAlchemy's SQLite DateTime text: naive UTC
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return moment.astimezone(UTC).isoformat(sep=" ")


class Writer:
    """Bulk rows into one table: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, raw, backend: str):
        self.raw, self.backend = raw, backend

    def rows(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        cursor = self.raw.cursor()
        if self.backend == "sqlite":
            marks = ",".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})", rows)
        else:
            with cursor.copy(f"COPY {table} ({','.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        cursor.close()


def build(url: str, n: int, seed: int = 7) -> None:
    template = load_template(TEMPLATE)
    rng = np.random.default_rng(seed)
    units = [Unit(str(40001 + i), f"Phường Thử {i + 1}", "phường", "82", date(2025, 7, 1)) for i in range(N_UNITS)]
    store = open_store(url)
    save_units(store, units)
    backend = store.backend
    questions = [q for q in template.questions if q.type != "text"]
    scale_ids = [q.id for q in questions if q.type == "scale"]
    now = _stamp(datetime.now(UTC), backend)
    t0 = time.perf_counter()

    def work(conn):
        raw = conn.connection.driver_connection
        out = Writer(raw, backend)
        # Batches: one per unit and calendar month of collection, with their dates.
        batch_rows, batch_of = [], {}
        for u in range(N_UNITS):
            for m in range(13):
                first = date(2025 + (11 + m) // 12, (11 + m) % 12 + 1, 1)
                last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
                batch_of[(u, m)] = len(batch_rows) + 1
                batch_rows.append((len(batch_rows) + 1, f"bench-{u}-{m}", now, first.isoformat(),
                                   last.isoformat()))
        out.rows("batches", ("id", "name", "created_at", "collected_from", "collected_to"), batch_rows)
        out.rows("source_files", ("id", "path", "sha256", "size", "created_at"),
                 [(1, "bench.pdf", "0" * 64, 1, now)])
        response_id = page_id = answer_id = comment_id = 0
        for start in range(0, n, CHUNK):
            size = min(CHUNK, n - start)
            online = rng.random(size) < ONLINE_SHARE
            unit = rng.integers(0, N_UNITS, size)
            # Unit quality differs, so the ranking has something to rank.
            bias = (unit % 7) * 0.08
            day = rng.integers(0, YEAR_DAYS, size)
            dates = [YEAR_START + timedelta(days=int(d)) for d in day]
            resp, pages, links, ans, comm = [], [], [], [], []
            for i in range(size):
                response_id += 1
                rid = response_id
                d = dates[i]
                code = units[int(unit[i])].code
                if online[i]:
                    moment = datetime(d.year, d.month, d.day, 9, tzinfo=UTC) + timedelta(minutes=int(day[i]))
                    resp.append((rid, "motcua-2026", 1, None, code, None, "", now, "online", "bench-online",
                                 _stamp(moment - timedelta(hours=7), backend)))
                else:
                    page_id += 1
                    month = (d.year - 2025) * 12 + d.month - 12
                    resp.append((rid, "motcua-2026", 1, rid, code, 2, "", now, "paper", None, None))
                    pages.append((page_id, batch_of[(int(unit[i]), month)], 1, page_id, "motcua-2026", 1, 1, rid,
                                  code, False, "", "new", now))
                    links.append((rid, page_id, 1))
                draws = rng.random(len(questions))
                for q, r in zip(questions, draws):
                    status, set_by = "ok", ("import" if online[i] else "machine")
                    if q.type == "date":
                        if online[i]:
                            continue
                        value = None if r < 0.05 else json.dumps(d.isoformat())
                        status = "blank" if value is None else "ok"
                    elif r < 0.03:
                        value, status = None, "blank"
                    elif q.type == "scale":
                        if r < 0.09 and len(q.options) > 5:
                            value = '"KYK"'
                        else:
                            score = min(5, max(1, int(round(3.9 + bias[i] + (r - 0.5) * 3))))
                            value = f'"{score}"'
                        if not online[i] and r > 0.995:
                            status = "ambiguous"
                    else:
                        value = json.dumps(q.options[int(r * 1000) % len(q.options)].code)
                    answer_id += 1
                    ans.append((answer_id, rid, q.id, value, status, 0.95,
                                None if online[i] else page_id, set_by, now))
                if rng.random() < COMMENT_SHARE:
                    text = TEXTS[int(rng.integers(0, len(TEXTS)))]
                    if online[i]:
                        answer_id += 1
                        ans.append((answer_id, rid, "H3", json.dumps(text, ensure_ascii=False), "ok", 1.0, None,
                                    "import", now))
                    else:
                        from omr.text.lexicon import flags_json, flags_of

                        comment_id += 1
                        comm.append((comment_id, rid, page_id, "H3", True, 0.1, 10.0, 200.0, 180.0, 20.0, None,
                                     text, 80.0, True, 0.5, "reviewed", text, "bench",
                                     flags_json(flags_of(text, source="text")), now))
            out.rows("responses", ("id", "form_id", "version", "serial", "unit", "pages_expected", "flags",
                                   "created_at", "channel", "source", "submitted_at"), resp)
            out.rows("pages", ("id", "batch_id", "source_file_id", "page_index", "form_id", "version", "page",
                               "serial", "unit", "rotated_180", "detail", "outcome", "created_at"), pages)
            out.rows("response_pages", ("response_id", "page_id", "page_number"), links)
            out.rows("answers", ("id", "response_id", "question", "value", "status", "confidence",
                                 "source_page_id", "set_by", "updated_at"), ans)
            out.rows("comments", ("id", "response_id", "page_id", "field", "inked", "ink_mm2", "x", "y", "w", "h",
                                  "crop_png", "draft_text", "draft_confidence", "likely_correct",
                                  "review_priority", "status", "text", "reviewed_by", "flags", "updated_at"), comm)
            print(f"  {start + size:>9,} phiếu ({time.perf_counter() - t0:.0f} s)", flush=True)
        if backend == "postgresql":
            for table in ("batches", "source_files", "responses", "pages", "response_pages", "answers", "comments"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT coalesce(max(id), 1) FROM {table}))")

    store.writing(work)
    if backend == "postgresql":
        with store.reading() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with store.reading() as conn:
            conn.exec_driver_sql("ANALYZE")
    store.close()
    print(f"Đã tạo {n:,} phiếu ({len(scale_ids)} câu thang điểm) trong {time.perf_counter() - t0:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--db", help="database URL (default: a new SQLite file in a temporary folder)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file (its path is printed)")
    parser.add_argument("--reuse", action="store_true", help="--db already holds the synthetic data")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="omr-bench-report-"))
    url = args.db or str(folder / "bench.sqlite")
    if not args.reuse:
        build(url, args.responses)
    from omr.reports.cache import refresh
    from omr.reports.figures import _layout

    with open_store(url) as store:
        t0 = time.perf_counter()
        stats = refresh(store, _layout(store, ROOT / "form_templates"))
        print(f"Bộ đệm báo cáo: {'dựng lại toàn bộ' if stats.full else 'cập nhật'} {stats.responses:,} phiếu, "
              f"{stats.blocks} khối: {time.perf_counter() - t0:.1f} s (một lần; sau đó chỉ cập nhật phần thay đổi)")
    times = []
    figures = None
    for _ in range(args.runs):
        t0 = time.perf_counter()
        figures = report_module.compute_report(url, "2026", all_units=True, templates=ROOT / "form_templates")
        times.append(time.perf_counter() - t0)
    assert figures is not None
    print(f"Báo cáo kỳ 2026 (tất cả đơn vị), {figures.n_responses:,} phiếu: trung vị {statistics.median(times):.2f} s "
          f"({', '.join(f'{t:.2f}' for t in times)}); chỉ số chung {figures.overall:.2f} %, "
          f"{figures.awaiting_review:,} mục chưa kiểm tra, {len(figures.flags):,} ý kiến cần chú ý")
    # A day of review: 1,000 answers settled by a person, spread over the whole database.
    with open_store(url) as store:
        ids = np.random.default_rng(3).integers(1, figures.n_responses, 1000)
        for rid in ids:
            store.set_answer(int(rid), "D1", "5", "bench-reviewer")
    t0 = time.perf_counter()
    figures = report_module.compute_report(url, "2026", all_units=True, templates=ROOT / "form_templates")
    print(f"Sau 1.000 câu được người kiểm tra sửa: báo cáo {time.perf_counter() - t0:.2f} s")
    for suffix in (".xlsx", ".docx", ".html"):
        t0 = time.perf_counter()
        path = folder / f"report{suffix}"
        report_module.write_report(figures, path)
        print(f"  ghi {path.name}: {time.perf_counter() - t0:.2f} s ({path.stat().st_size / 1024:.0f} KB)")
    if args.keep or args.db:
        print(f"Giữ lại: {url}")
    else:
        Path(url).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
