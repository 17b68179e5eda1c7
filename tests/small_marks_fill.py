"""Small and light marks drawn on a page of omr's printed form (branch hdot; tests/test_small_marks.py,
bench/small_marks.py): a pen tap (a dot 0.5-0.9 mm), a speck of dust (0.2-0.3 mm) and a light thin cross.

Pages are RGB rasters at ``dpi`` (omr.forms.simulate._BlankPages); boxes are omr.forms.layout.Checkbox
(mm). Drawing is anti-aliased with sub-pixel positions (cv2's shift of 4 bits).
"""

from __future__ import annotations

import cv2
import numpy as np

MM = 25.4
BLACK = (25, 25, 25)


def px(mm: float, dpi: int) -> float:
    return mm * dpi / MM


def grey_of(share: float) -> tuple[int, int, int]:
    """The RGB colour of ink ``share`` (0 paper, 1 the pen's black) on white paper."""
    v = int(round(255 - share * (255 - BLACK[0])))
    return (v, v, v)


def draw_dot(img: np.ndarray, box, dpi: int, rng: np.random.Generator, diameter_mm: float | None = None,
             share: float | None = None, offset_mm: float = 1.0) -> None:
    """A pen tap: a filled round dot (``diameter_mm`` 0.5-0.9), centre within ``offset_mm`` of the box's."""
    d = float(rng.uniform(0.5, 0.9)) if diameter_mm is None else diameter_mm
    share = float(rng.uniform(0.55, 0.9)) if share is None else share
    cx = box.x + box.w / 2 + rng.uniform(-offset_mm, offset_mm)
    cy = box.y + box.h / 2 + rng.uniform(-offset_mm, offset_mm)
    s = 16  # cv2's sub-pixel shift (4 bits)
    cv2.circle(img, (int(round(px(cx, dpi) * s)), int(round(px(cy, dpi) * s))),
               max(1, int(round(px(d / 2, dpi) * s))), grey_of(share), -1, cv2.LINE_AA, shift=4)


def draw_speck(img: np.ndarray, box, dpi: int, rng: np.random.Generator, diameter_mm: float | None = None,
               share: float | None = None) -> None:
    """A speck of dust (``diameter_mm`` 0.2-0.3, ink ``share`` 0.35-0.85), anywhere inside the box's outline."""
    d = float(rng.uniform(0.2, 0.3)) if diameter_mm is None else diameter_mm
    share = float(rng.uniform(0.35, 0.85)) if share is None else share
    cx = box.x + rng.uniform(0.6, box.w - 0.6)
    cy = box.y + rng.uniform(0.6, box.h - 0.6)
    s = 16
    cv2.circle(img, (int(round(px(cx, dpi) * s)), int(round(px(cy, dpi) * s))),
               max(1, int(round(px(d / 2, dpi) * s))), grey_of(share), -1, cv2.LINE_AA, shift=4)


def draw_light_cross(img: np.ndarray, box, dpi: int, rng: np.random.Generator, share: float | None = None,
                     pen_mm: float = 0.2) -> None:
    """A light thin cross: ``pen_mm`` line at ``share`` (0.3-0.5) of the pen's black, arms 2.5-4 mm."""
    share = float(rng.uniform(0.3, 0.5)) if share is None else share
    arm = float(rng.uniform(1.25, 2.0))
    cx = box.x + box.w / 2 + rng.normal(0, 0.3)
    cy = box.y + box.h / 2 + rng.normal(0, 0.3)
    s = 16
    thickness = max(1, int(round(px(pen_mm, dpi))))

    def p(x, y):
        return int(round(px(x, dpi) * s)), int(round(px(y, dpi) * s))
    for sign in (-1, 1):
        cv2.line(img, p(cx - arm, cy - sign * arm), p(cx + arm, cy + sign * arm), grey_of(share), thickness,
                 cv2.LINE_AA, shift=4)
