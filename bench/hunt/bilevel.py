#!/usr/bin/env python3
"""Hunt: black-and-white (1-bit) office scans of reworked sheets.

Every page is scanned by the quiet office profile (grey, JPEG), then turned into a 1-bit PNG the way a
fax or an office scanner's black-and-white mode does: at 200 or 300 dpi (``--dpi``; 300 dpi is the grey scan
enlarged 1.5x), by a fixed threshold (110-170), Otsu's threshold, or Floyd-Steinberg dithering (``--bw``),
chosen per page. Kinds (``bw_`` + what is on the sheet):
``bw_plain``: the sheets as filled (control);
``bw_erase_partial``, ``bw_erase_vband``, ``bw_erase_tick``, ``bw_erase_circle``, ``bw_erase_pencil``,
``bw_erase_blank``, ``bw_erase``: rework.py's rubbed-out marks (truth blank but for ``bw_erase``: the new mark);
``bw_pencil``: 40 % of the one-box answers drawn in light pencil (grey 95-165, grainy, 0.25-0.4 mm), a cross,
tick or fill (truth: that box; a SILENT one must be looked at: the threshold may have wiped the mark out);
``bw_tickcross``: 30 % of the one-box answers corrected by ticking one box, striking the tick out with two
strokes (an X through it) and ticking the box meant (truth: the box meant, or review);
``bw_circled``: 30 % of the one-box answers corrected by crossing two boxes and circling the one meant
(truth: the circled box, or review).

    PYTHONPATH=. .venv/bin/python bench/hunt/bilevel.py --n 15 --seed 11 [--kind bw_pencil,...] [--keep DIR]
"""
from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from common import DPI, ink_of, office_scan, parser, redraw_questions, run_pages
from omr.forms.simulate import _draw_mark, draw_habit
import rework

KINDS = ("bw_plain,bw_erase_partial,bw_erase_vband,bw_erase_tick,bw_erase_circle,bw_erase_pencil,bw_erase_blank,"
         "bw_erase,bw_pencil,bw_tickcross,bw_circled")
MODES = ["fixed", "otsu", "dither"]
DPIS = [200, 300]


def bilevel(jpeg: bytes, rng) -> bytes:
    """1-bit PNG bytes of a grey office scan (JPEG bytes)."""
    grey = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    dpi = int(rng.choice(DPIS))
    scale = dpi / DPI
    if scale != 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    mode = str(rng.choice(MODES))
    if mode == "fixed":
        bw = np.where(grey > rng.uniform(110, 170), 255, 0).astype(np.uint8)
        img = Image.fromarray(bw).convert("1", dither=Image.Dither.NONE)
    elif mode == "otsu":
        _, bw = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        img = Image.fromarray(bw).convert("1", dither=Image.Dither.NONE)
    else:  # the scanner's halftone mode: its white point set a little under the paper, then dithered
        white = float(np.percentile(grey, 90))
        stretched = np.clip(grey.astype(np.float32) * 255 / max(white, 1), 0, 255).astype(np.uint8)
        img = Image.fromarray(stretched).convert("1")  # Floyd-Steinberg
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def _pencil(img, box, rng) -> None:
    layer = np.full(img.shape, 255, np.uint8)
    grey = int(rng.uniform(95, 165))
    _draw_mark(layer, box, str(rng.choice(["cross", "tick", "fill"])), DPI, (grey, grey, grey + 4), rng,
               rng.uniform(0.25, 0.4))
    grain = rng.uniform(0.55, 1.0, img.shape[:2]).astype(np.float32)[:, :, None]  # graphite on paper's tooth
    dark = (255 - layer.astype(np.float32)) * grain
    img[:] = np.clip(img.astype(np.float32) - dark, 0, 255).astype(np.uint8)


def drawn(sheet, pl, rng, kind: str) -> np.ndarray:
    """The page (RGB) with the kind's answers drawn."""
    colour = ink_of(sheet.truth)
    share = 0.4 if kind == "bw_pencil" else 0.3
    img, chosen = redraw_questions(sheet, pl, rng, share, ("scale", "single", "yesno"))
    t = sheet.truth
    for q, box, boxes in chosen:
        pen = rng.uniform(0.3, 0.5)
        others = [b for b in boxes if b is not box]
        other = others[int(rng.integers(len(others)))]
        if kind == "bw_pencil":
            _pencil(img, box, rng)
            t.habits[q] = "pencil"
        elif kind == "bw_tickcross":
            draw_habit(img, other, "struck_tick", DPI, colour, rng, pen)
            _draw_mark(img, box, "tick", DPI, colour, rng, pen)
            t.habits[q] = f"tick in {other.option} struck out, tick in {box.option}"
        else:  # bw_circled
            _draw_mark(img, other, "cross", DPI, colour, rng, pen)
            draw_habit(img, box, "circled", DPI, colour, rng, pen)
            t.habits[q] = f"cross in {other.option}, {box.option} crossed and circled"
    return img


def page_image(sheet, pl, rng, kind: str) -> bytes:
    sub = kind[3:]
    if sub == "plain":
        jpeg = office_scan(sheet.pages[pl.number], rng)
    elif sub.startswith("erase"):
        jpeg = rework.page_image(sheet, pl, rng, sub)
    else:
        jpeg = office_scan(drawn(sheet, pl, rng, kind), rng)
    return bilevel(jpeg, rng)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default=KINDS)
    p.add_argument("--bw", default="fixed,otsu,dither", help="binarisations to choose from per page")
    p.add_argument("--dpi", default="200,300", help="resolutions to choose from per page")
    args = p.parse_args()
    MODES[:] = args.bw.split(",")
    DPIS[:] = [int(d) for d in args.dpi.split(",")]
    run_pages(args, page_image)


if __name__ == "__main__":
    main()
