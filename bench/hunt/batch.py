#!/usr/bin/env python3
"""Hunt: batch accidents. ``dup``: a sheet scanned twice (another pass: other noise);
``interleave``: the pages of two respondents interleaved; ``blank_back``: duplex scanning, a blank
back after every page; ``missing``: page 2 of some sheets never scanned (must not read as blank
answers); ``foreign``: a page of another document (a letter) in the batch; ``photocopy``: the office
photocopied one printed form, so several respondents' sheets carry one serial; ``photocopy_same_p2``:
the same, with the two respondents answering page 2 alike (all 'Hài lòng') and differently on page 1.

    PYTHONPATH=. .venv/bin/python bench/hunt/batch.py --n 6 --seed 1 [--kind dup,...] [--keep DIR]
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from common import (all_pages, encode_jpeg, make_sheets, office_scan, parser, pdf_bytes,  # noqa
                    run_and_compare, truths_of)
from omr.forms.fonts import font_path


def letter(rng) -> np.ndarray:
    """A printed A4 letter (another document) at 200 dpi, RGB."""
    img = Image.new("RGB", (1654, 2339), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(font_path()), 34)
    words = "Ủy ban nhân dân xã thông báo lịch tiếp công dân tháng này tại trụ sở".split()
    for line in range(40):
        text = " ".join(rng.choice(words, size=10))
        draw.text((150, 200 + line * 48), text, fill=(0, 0, 0), font=font)
    return np.asarray(img).copy()


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="dup,interleave,blank_back,missing,foreign,photocopy,photocopy_same_p2")
    args = p.parse_args()
    keep = args.keep
    for kind in args.kind.split(","):
        rng = np.random.default_rng([args.seed, sum(map(ord, kind))])
        args.keep = f"{keep}/{kind}" if keep else None
        if kind.startswith("photocopy"):
            photocopy(args, rng, same_p2=kind.endswith("same_p2"))
            continue
        sheets = make_sheets(args.n, rng)
        scans = [[office_scan(s.pages[n], rng) for n in sorted(s.pages)] for s in sheets]
        expect, missing = all_pages(sheets), {}
        images: list[bytes] = []
        if kind == "dup":
            for i, s in enumerate(sheets):
                images += scans[i]
                if i % 2 == 0:  # fed again: another pass through the scanner
                    images += [office_scan(s.pages[n], rng) for n in sorted(s.pages)]
        elif kind == "interleave":
            for i in range(0, len(sheets) - 1, 2):
                a, b = scans[i], scans[i + 1]
                images += [a[0], b[0], a[1], b[1]]
            if len(sheets) % 2:
                images += scans[-1]
        elif kind == "blank_back":
            blank = encode_jpeg(np.full((2339, 1654), 247, np.uint8) + rng.integers(0, 4, (2339, 1654), dtype=np.uint8))
            for sc in scans:
                for page in sc:
                    images += [page, blank]
        elif kind == "missing":
            for i, (s, sc) in enumerate(zip(sheets, scans)):
                if i % 2 == 0:
                    images += [sc[0]]
                    expect[s.truth.serial] = {1}
                    missing[s.truth.serial] = {2}
                else:
                    images += sc
        elif kind == "foreign":
            for i, sc in enumerate(scans):
                images += sc
                if i % 3 == 1:
                    images.append(office_scan(letter(rng), rng))
        run_and_compare(args, {"batch.pdf": pdf_bytes(images)}, truths_of(sheets), expect, missing, label=kind)


def photocopy(args, rng, same_p2: bool) -> None:
    """Several sheets with one serial: each must end up flagged (or reviewed), never lost or merged."""
    from common import form
    from omr.forms.simulate import fill_page

    groups = max(1, args.n // 3)
    sheets = []
    for g in range(groups):
        copies = make_sheets(3, rng, first_serial=100 + g)  # serials 100+g, 101+g, 102+g: re-serial below
        for c in copies:
            c.truth.serial = 100 + g
            if same_p2 and c is not copies[0]:  # page 2 marked exactly as the first copy's
                template, layout, blanks = form()
                page2 = next(p for p in layout.pages if p.number == 2)
                first = copies[0].truth
                for q in {b.question for b in page2.checkboxes} | {r.field for r in page2.text_regions}:
                    for attr in ("answers", "boxes", "mark_styles", "intent", "comments"):
                        src, dst = getattr(first, attr), getattr(c.truth, attr)
                        if q in src:
                            dst[q] = src[q]
                        else:
                            dst.pop(q, None)
            # Redraw with the shared serial in the QR code.
            _, layout, blanks = form()
            c.pages = {pl.number: fill_page(blanks[pl.number], pl, c.truth, 200, rng, False) for pl in layout.pages}
        sheets += copies
    images = [office_scan(s.pages[n], rng) for s in sheets for n in sorted(s.pages)]
    import tempfile
    tmp = Path(tempfile.mkdtemp(prefix="hunt-pc-"))
    from common import run_omr
    (tmp / "scans").mkdir()
    (tmp / "scans" / "batch.pdf").write_bytes(pdf_bytes(images))
    db = tmp / "hunt.sqlite"
    run_omr([tmp / "scans"], db, args.workers)
    con = sqlite3.connect(str(db))
    rows = list(con.execute("select id, serial, flags from responses order by id"))
    outcomes = list(con.execute("select serial, page, outcome from pages order by id"))
    print(f"{'photocopy_same_p2' if same_p2 else 'photocopy'}: {len(sheets)} sheets on {groups} serials -> "
          f"{len(rows)} responses; flags {[r[2] for r in rows]}; page outcomes {[o[2] for o in outcomes]}")
    lost = 3 * groups - len(rows)
    unflagged = sum(1 for r in rows if not r[2])
    print(f"  respondents lost (no response of their own): {lost}; responses not flagged: {unflagged}")
    # Per response: answers vs the copy it matches best.
    for rid, serial, flags in rows:
        got = {q: (v, s) for q, v, s in con.execute("select question, value, status from answers where response_id=?",
                                                   (rid,))}
        pages = [r[0] for r in con.execute("select page_number from response_pages where response_id=?", (rid,))]
        print(f"  response {rid} serial {serial} flags '{flags}' pages {sorted(pages)}, "
              f"{sum(1 for v in got.values() if v[1] == 'ok')} ok answers")
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        import shutil
        for item in tmp.iterdir():
            shutil.move(str(item), str(Path(args.keep) / item.name))


if __name__ == "__main__":
    main()
