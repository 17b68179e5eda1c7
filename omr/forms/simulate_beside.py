"""Handwriting beside a question's boxes instead of in them, for tests and benchmarks (branch hdate).

A respondent writes the date in figures after the grid («Ngày» row: "12"), under it over the next
question's title, or a word beside a choice question's boxes («Hộ tịch», "có", "x2"), and marks no box:
read box by box the question is blank, sure and wrong. :func:`write_beside` draws one such writing on a
page raster of the simulator (:mod:`omr.forms.simulate`) with the synthetic handwriting of
:mod:`omr.forms.synthetic_handwriting` (a random writer), in a pen colour given; :func:`placement`
chooses where, by kind, from the layout (the boxes and the printed labels on their rows).
"""

from __future__ import annotations

import numpy as np

from omr.forms import synthetic_handwriting as hand
from omr.forms.fonts import text_width_mm
from omr.forms.geometry import PageLayout

MM_PER_INCH = 25.4
# Where writing goes, per question kind: after the last label of a row, under the last row, above the
# first row, between two options of a row.
DATE_PLACES = ("right", "below", "row_end")
CHOICE_PLACES = ("right", "below", "above", "between")
DATE_TEXTS = ("12", "5", "05", "2026", "12/5", "12/05", "12/5/2026", "3", "28", "07")
CHOICE_TEXTS = ("có", "không", "x", "Hộ tịch", "1", "2", "Nam", "đúng", "trực tiếp", "khác", "v", "ok")
# Pens: black and blue ballpoint, a dark and a light pencil (grey 150 is the simulator's faint pen).
# Writing is kept this far from every box (the off-box habits' rule: the boxes themselves stay empty).
CLEAR_OF_BOX_MM = 0.6
PENS = ((25, 25, 25), (35, 55, 150), (100, 100, 100), (150, 150, 150))


def row_extents(page: PageLayout, question: str) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) mm of each row of ``question``'s boxes with the labels printed on it."""
    rows: dict[float, list] = {}
    for box in page.checkboxes:
        if box.question == question:
            rows.setdefault(round(box.y, 1), []).append(box)
    out = []
    for boxes in rows.values():
        top, bottom = min(b.y for b in boxes), max(b.y + b.h for b in boxes)
        x0, x1 = min(b.x for b in boxes), max(b.x + b.w for b in boxes)
        for d in page.decor:
            if d.kind == "text" and top <= d.y <= bottom + 1.5 and d.x >= x0 - 1:
                x1 = max(x1, d.x + text_width_mm(d.text, d.size, d.bold))
        out.append((x0, top, x1, bottom))
    return sorted(out, key=lambda r: r[1])


def placement(page: PageLayout, question: str, place: str, width_mm: float, height_mm: float,
              rng: np.random.Generator, gap_mm: float | None = None) -> tuple[float, float]:
    """Top left (x, y) mm of writing ``width_mm`` x ``height_mm`` put at ``place`` of ``question``.

    ``right``: after the last label of a row (the first row for a date: «Ngày»), 0.5-2.5 mm off;
    ``row_end``: a date's «Năm» row, after its last label (room to the grid's right);
    ``below``: 0.8-2.5 mm under the last row, over the next question's title;
    ``above``: 0.5-1.5 mm over the first row (under the question's title);
    ``between``: in a row, 0.3-1.5 mm after one option's label (over the gap to the next box).
    ``gap_mm``: that distance, instead of a random one.
    """
    def gap(low: float, high: float) -> float:
        return float(rng.uniform(low, high)) if gap_mm is None else gap_mm

    rows = row_extents(page, question)
    boxes = [b for b in page.checkboxes if b.question == question]
    if place == "right":
        x0, y0, x1, y1 = rows[0]
        return x1 + gap(0.5, 2.5), (y0 + y1) / 2 - height_mm / 2 + float(rng.uniform(-1, 1))
    if place == "row_end":
        x0, y0, x1, y1 = rows[-1]
        return x1 + gap(1.0, 8.0), (y0 + y1) / 2 - height_mm / 2 + float(rng.uniform(-1, 1))
    if place == "below":
        x0, y0, x1, y1 = rows[-1]
        x = float(rng.uniform(x0, max(x0, min(x1, x0 + 60) - width_mm)))
        return x, y1 + gap(0.8, 2.5)
    if place == "above":
        x0, y0, x1, y1 = rows[0]
        x = float(rng.uniform(x0, max(x0, min(x1, x0 + 60) - width_mm)))
        return x, y0 - height_mm - gap(0.5, 1.5)
    if place == "between":
        row = rows[int(rng.integers(len(rows)))]
        on_row = sorted((b for b in boxes if row[1] <= b.y <= row[3]), key=lambda b: b.x)
        box = on_row[int(rng.integers(max(1, len(on_row) - 1)))]
        end = box.x + box.w
        for d in page.decor:  # after the option's own label
            if d.kind == "text" and row[1] <= d.y <= row[3] + 1.5 and box.x + box.w <= d.x <= box.x + box.w + 3:
                end = max(end, d.x + text_width_mm(d.text, d.size, d.bold))
        return end + gap(0.3, 1.5), (row[1] + row[3]) / 2 - height_mm / 2 + float(rng.uniform(-1, 1))
    raise ValueError(place)


def write_beside(img: np.ndarray, page: PageLayout, question: str, place: str, text: str, dpi: int,
                 colour: tuple[int, int, int], rng: np.random.Generator,
                 gap_mm: float | None = None) -> tuple[float, float, float, float]:
    """Write ``text`` (synthetic handwriting of a random writer, x-height 1.7-2.6 mm) at ``place`` of
    ``question`` on ``img`` (RGB uint8 page raster at ``dpi``, in place), in ``colour``; ``gap_mm``: its
    distance from the boxes and labels (:func:`placement`), None for a random one.

    Returns the writing's ink box (x, y, w, h) mm on the page. The ink is kept CLEAR_OF_BOX_MM off every box."""
    px_per_mm = dpi / MM_PER_INCH
    writer = hand.Writer.random(rng)
    line = hand.bare_line(text, rng, px_per_mm, writer=writer)
    # The line is trimmed to its ink with a 1 mm margin: placed by its ink.
    h_mm, w_mm = line.shape[0] / px_per_mm - 2.0, line.shape[1] / px_per_mm - 2.0
    x, y = placement(page, question, place, w_mm, h_mm, rng, gap_mm)
    x0, y0 = int(round((x - 1.0) * px_per_mm)), int(round((y - 1.0) * px_per_mm))
    height, width = img.shape[:2]
    ya, yb, xa, xb = max(y0, 0), min(y0 + line.shape[0], height), max(x0, 0), min(x0 + line.shape[1], width)
    if yb > ya and xb > xa:
        # The writer's ink level in the line (0 black .. ~90) darkens as the pen's colour allows.
        alpha = (255.0 - line[ya - y0:yb - y0, xa - x0:xb - x0].astype(np.float32)) / 255.0
        # Writing beside the boxes never runs into one (CLEAR_OF_BOX_MM around each): a box holding ink is
        # another case (a mark, read as one).
        for box in page.checkboxes:
            top = int((box.y - CLEAR_OF_BOX_MM) * px_per_mm) - ya
            left = int((box.x - CLEAR_OF_BOX_MM) * px_per_mm) - xa
            bottom = int(np.ceil((box.y + box.h + CLEAR_OF_BOX_MM) * px_per_mm)) - ya
            right = int(np.ceil((box.x + box.w + CLEAR_OF_BOX_MM) * px_per_mm)) - xa
            if bottom > 0 and right > 0 and top < alpha.shape[0] and left < alpha.shape[1]:
                alpha[max(top, 0):bottom, max(left, 0):right] = 0
        alpha = alpha[:, :, None]
        patch = img[ya:yb, xa:xb].astype(np.float32)
        img[ya:yb, xa:xb] = (patch * (1 - alpha) + np.array(colour, np.float32) * alpha).astype(np.uint8)
    return x, y, w_mm, h_mm
