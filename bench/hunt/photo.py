#!/usr/bin/env python3
"""Hunt: phone photos and odd orientations. ``desk``: the sheet on a dark wooden desk (grain,
knots), moderate perspective, warm light; ``steep``: a strong perspective (the phone held at
30-45 degrees: one edge 20-35 % shorter than the other); ``lowres``: a 100 dpi photo (the sheet
fills ~830 px wide); ``moire``: a photo of the scan shown on a screen (pixel grid, moiré bands,
refresh banding); ``landscape``: a scan turned 90 or 270 degrees in a landscape image; ``upside``:
turned 180 degrees.

    PYTHONPATH=. .venv/bin/python bench/hunt/photo.py --n 8 --seed 1 [--kind desk,...] [--keep DIR]
"""
from __future__ import annotations

import cv2
import numpy as np

from common import all_pages, encode_jpeg, make_sheets, office_scan, parser, run_and_compare, truths_of  # noqa


def wood(h: int, w: int, rng) -> np.ndarray:
    """A dark wooden desk texture, RGB uint8."""
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    warp = cv2.resize(rng.random((8, 8)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    grain = 0.5 + 0.5 * np.sin((x * 3 + warp * 1.5) * 2 * np.pi * rng.uniform(15, 30) + y * 2)
    base = np.array([70, 42, 25], np.float32) * rng.uniform(0.6, 1.2)
    tex = base[None, None, :] * (0.7 + 0.5 * grain[:, :, None])
    for _ in range(int(rng.integers(1, 3))):  # knots
        c = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        cv2.ellipse(tex, c, (int(rng.uniform(20, 60)), int(rng.uniform(10, 30))), 0, 0, 360, (35, 20, 10), -1)
    return np.clip(tex, 0, 255).astype(np.uint8)


def photograph(rgb: np.ndarray, rng, *, steep: float = 0.0, out_scale: float = 1.0, desk: bool = True,
               margin: float = 0.08) -> np.ndarray:
    """The sheet photographed: on a desk, in perspective (``steep``: share one edge is shorter),
    light falling off, noise, the image ``out_scale`` of the sheet's 200 dpi size."""
    h, w = rgb.shape[:2]
    H, W = int(h * (1 + 2 * margin)), int(w * (1 + 2 * margin))
    d = margin * w
    src = np.float32([[0, 0], [w, 0], [0, h], [w, h]])
    jit = lambda: rng.uniform(-0.3, 0.3) * d  # noqa: E731
    dst = np.float32([[d + jit(), d + jit()], [w + d + jit(), d + jit()], [d + jit(), h + d + jit()],
                      [w + d + jit(), h + d + jit()]])
    if steep:  # the top edge (far from the phone) shorter
        shrink = steep * w / 2
        dst[0, 0] += shrink
        dst[1, 0] -= shrink
        dst[0, 1] += steep * h * 0.15
        dst[1, 1] += steep * h * 0.15
        if rng.random() < 0.5:  # and a side tilt: the left edge shorter too
            dst[0, 1] += steep * h * 0.1
            dst[2, 1] -= steep * h * 0.1
    m = cv2.getPerspectiveTransform(src, dst)
    back = wood(H, W, rng) if desk else np.full((H, W, 3), 200, np.uint8)
    warped = cv2.warpPerspective(rgb, m, (W, H), borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (W, H))
    img = np.where(mask[:, :, None] > 127, warped, back).astype(np.float32)
    gx = np.linspace(rng.uniform(0.6, 0.85), 1.0, W, dtype=np.float32)
    if rng.random() < 0.5:
        gx = gx[::-1]
    img *= gx[None, :, None] * np.array([1.0, 0.95, 0.85], np.float32)  # warm light falling off
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.2))
    img += rng.normal(0, 5, img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if out_scale != 1.0:
        img = cv2.resize(img, (int(W * out_scale), int(H * out_scale)), interpolation=cv2.INTER_AREA)
    return img


def moire(rgb: np.ndarray, rng) -> np.ndarray:
    """A photo of the page shown on a monitor: RGB sub-pixel grid at a slight angle, banding."""
    h, w = rgb.shape[:2]
    img = rgb.astype(np.float32)
    period = rng.uniform(2.6, 3.4)
    ang = np.deg2rad(rng.uniform(-3, 3))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = xx * np.cos(ang) + yy * np.sin(ang)
    v = -xx * np.sin(ang) + yy * np.cos(ang)
    grid = 0.75 + 0.25 * np.cos(2 * np.pi * u / period) * np.cos(2 * np.pi * v / period)
    band = 0.9 + 0.1 * np.sin(2 * np.pi * yy / rng.uniform(80, 200))
    img = img * (grid * band)[:, :, None] * np.array([0.9, 1.0, 1.05], np.float32)
    img = img * 0.8 + 25  # screen contrast in a photo
    return photograph(np.clip(img, 0, 255).astype(np.uint8), rng, desk=False, margin=0.03)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--kind", default="desk,steep,lowres,moire,landscape,upside")
    args = p.parse_args()
    keep = args.keep
    for kind in args.kind.split(","):
        rng = np.random.default_rng([args.seed, sum(map(ord, kind))])
        sheets = make_sheets(args.n, rng)
        inputs = {}
        for s in sheets:
            for number in sorted(s.pages):
                img = s.pages[number]
                name = f"s{s.truth.serial:03d}_p{number}.jpg"
                if kind == "desk":
                    data = encode_jpeg(photograph(img, rng), 85)
                elif kind == "steep":
                    data = encode_jpeg(photograph(img, rng, steep=rng.uniform(0.2, 0.35)), 85)
                elif kind == "lowres":
                    data = encode_jpeg(photograph(img, rng, out_scale=0.5), 80, dpi=100)
                elif kind == "moire":
                    data = encode_jpeg(moire(img, rng), 85)
                else:
                    grey = cv2.imdecode(np.frombuffer(office_scan(img, rng), np.uint8), cv2.IMREAD_GRAYSCALE)
                    turn = cv2.ROTATE_180 if kind == "upside" else (
                        cv2.ROTATE_90_CLOCKWISE if rng.random() < 0.5 else cv2.ROTATE_90_COUNTERCLOCKWISE)
                    data = encode_jpeg(cv2.rotate(grey, turn), 88)
                inputs[name] = data
        args.keep = f"{keep}/{kind}" if keep else None
        run_and_compare(args, inputs, truths_of(sheets), all_pages(sheets), label=kind)


if __name__ == "__main__":
    main()
