#!/usr/bin/env python3
"""Hunt: how phones, apps and old machines deliver pages.

``magic``: a phone scanner app's "magic colour" filter (the page photographed in uneven light, the
background divided out and forced white, contrast stretched so light ink goes white and mid ink black,
sharpened, colour JPEG, 150 or 200 dpi); ``magic_light``: the same with a light blue gel pen;
``document``: the app's grey "document" filter (the same, grey, harder curve); ``chroma``: a colour
scan of a page marked in blue or red pen saved as JPEG quality 20-30 with 4:2:0 chroma subsampling;
``letter``: an A4 page scanned on Letter settings (216 x 279 mm: the bottom 18-22 mm cut off, the page
0-4 mm down and turned up to 0.5 degrees; a question with a box cut by the scan's edge (its inside) must never
be read ok or blank: its truth is set to a value no reading can equal); ``finger``: a phone photo on a dark desk with a fingertip over
the margin (half the pages) or over a box (the other half); ``blur``: a phone photo with motion blur
in one direction (0.4-1.6 mm long).
The truth is what the respondent marked.

    PYTHONPATH=. .venv/bin/python bench/hunt/deliver.py --n 8 --seed 11 [--kind magic,...] [--keep DIR]
"""
from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from common import DPI, QUIET_OFFICE, encode_jpeg, make_sheets, px, run_kinds  # noqa
from omr.forms.simulate import scan_page
from pens import GEL, RED, colour_scan, with_ink
from photo import photograph

KINDS = "magic,magic_light,document,chroma,letter,finger,blur"
BLUE = (35, 55, 150)
CUT = "__cut__"  # the truth of a question whose box the Letter page cut off: no reading equals it


def lit(rgb: np.ndarray, rng) -> np.ndarray:
    """The page as a phone sees it before an app crops it: uneven light, a little blur and noise (float)."""
    h, w = rgb.shape[:2]
    img = rgb.astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    fall = 1 - rng.uniform(0.15, 0.4) * np.hypot(xx - cx, yy - cy) / np.hypot(w, h)
    img *= fall[:, :, None] * np.array([1.0, 0.96, 0.88], np.float32)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.0))
    img += rng.normal(0, 4, img.shape).astype(np.float32)
    return img


def app_filter(rgb: np.ndarray, rng, grey: bool) -> bytes:
    """A scanner app's filter on the phone's picture: background divided out, white forced, a hard
    contrast curve (light ink to white, mid ink to black), unsharp mask; JPEG at 150 or 200 dpi."""
    img = lit(rgb, rng)
    if grey:
        img = img.mean(2, keepdims=True)
    k = np.ones((px(4), px(4)), np.uint8)
    back = np.stack([cv2.GaussianBlur(cv2.dilate(img[:, :, c], k), (0, 0), px(3))
                     for c in range(img.shape[2])], 2)
    norm = np.clip(img / np.maximum(back, 1), 0, 1)  # paper 1.0
    lo = rng.uniform(0.45, 0.6) if grey else rng.uniform(0.35, 0.5)
    hi = rng.uniform(0.82, 0.92)
    out = np.clip((norm - lo) / (hi - lo), 0, 1) * 255
    sharp = cv2.GaussianBlur(out, (0, 0), 1.5)
    out = np.clip(out + rng.uniform(0.5, 1.2) * (out - sharp.reshape(out.shape)), 0, 255).astype(np.uint8)
    if grey:
        out = out[:, :, 0]
    dpi = DPI
    if rng.random() < 0.5:
        dpi = 150
        out = cv2.resize(out, (int(out.shape[1] * 0.75), int(out.shape[0] * 0.75)), interpolation=cv2.INTER_AREA)
    return encode_jpeg(out, int(rng.integers(70, 90)), dpi=dpi)


def chroma(rgb: np.ndarray, rng) -> bytes:
    """A colour office scan saved at JPEG quality 20-30 with 4:2:0 chroma subsampling."""
    raw = cv2.imdecode(np.frombuffer(colour_scan(rgb, rng), np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    buf = io.BytesIO()
    Image.fromarray(raw).save(buf, format="JPEG", quality=int(rng.integers(20, 31)), subsampling=2, dpi=(DPI, DPI))
    return buf.getvalue()


def letter(sheet, pl, rng) -> bytes:
    """The page on a Letter-sized scan: 216 x 279 mm, the A4 page 0-4 mm down, turned, its bottom cut."""
    img = sheet.pages[pl.number]
    h, w = img.shape[:2]
    down = rng.uniform(0, 4)
    angle = rng.uniform(-0.5, 0.5)
    W, H = px(216), px(279)
    m = cv2.getRotationMatrix2D((w / 2, 0), angle, 1.0)
    m[0, 2] += (W - w) / 2 + px(rng.uniform(-2, 2))
    m[1, 2] += px(down)
    out = cv2.warpAffine(img, m, (W, H), borderValue=(250, 250, 250))
    for b in pl.checkboxes:  # a box whose inside (its outline 0.3 mm in) runs off the scan is cut: its
        # question's truth is a value no reading equals (a box cut through its outline's line only is whole)
        corners = np.array([[px(b.x + dx), px(b.y + dy), 1.0] for dx in (0.3, b.w - 0.3) for dy in (0.3, b.h - 0.3)])
        if ((corners @ m.T)[:, 1] > H - 1).any():
            sheet.truth.answers[b.question] = CUT
    data, _ = scan_page(out, QUIET_OFFICE, DPI, rng, False)
    return data


def finger(img: np.ndarray, pl, rng) -> np.ndarray:
    """A fingertip over the margin (from the nearest edge) or over a box; RGB in place."""
    h, w = img.shape[:2]
    if rng.random() < 0.5:
        b = pl.checkboxes[int(rng.integers(len(pl.checkboxes)))]
        tip = np.array([px(b.x + b.w / 2 + rng.uniform(-2, 2)), px(b.y + b.h / 2 + rng.uniform(-2, 2))], float)
    else:
        side = int(rng.integers(4))
        t = rng.uniform(0.15, 0.85)
        into = px(rng.uniform(4, 14))
        tip = np.array([[into, t * h], [w - into, t * h], [t * w, into], [t * w, h - into]][side], float)
    # the finger comes in from the nearest edge
    d = [tip[0], w - tip[0], tip[1], h - tip[1]]
    edge = int(np.argmin(d))
    direction = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]][edge], float)
    direction += rng.uniform(-0.4, 0.4, 2)
    direction /= np.linalg.norm(direction)
    width = px(rng.uniform(15, 19))
    length = int(max(d[edge] + px(40), px(60)))
    mask = np.zeros((h, w), np.uint8)
    end = tip + direction * length
    cv2.line(mask, tuple(int(v) for v in tip + direction * width / 2), tuple(int(v) for v in end), 255, width)
    cv2.circle(mask, tuple(int(v) for v in tip + direction * width / 2), width // 2, 255, -1)
    soft = cv2.GaussianBlur(mask, (0, 0), 3).astype(np.float32)[:, :, None] / 255
    skin = np.array([205, 150, 120], np.float32) * rng.uniform(0.6, 1.0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 0.85 + 0.15 * np.cos((xx * direction[1] - yy * direction[0]) / max(width, 1) * np.pi)
    finger_px = skin[None, None, :] * shade[:, :, None]
    shadow = cv2.GaussianBlur(np.roll(mask, (px(2), px(2)), (0, 1)), (0, 0), 8).astype(np.float32)[:, :, None] / 255
    out = img.astype(np.float32) * (1 - 0.35 * shadow)
    out = out * (1 - soft) + finger_px * soft
    img[:] = np.clip(out, 0, 255).astype(np.uint8)
    return img


def motion_blur(rgb: np.ndarray, rng) -> np.ndarray:
    n = max(3, px(rng.uniform(0.4, 1.6)))
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1
    rot = cv2.getRotationMatrix2D(((n - 1) / 2, (n - 1) / 2), rng.uniform(0, 180), 1.0)
    k = cv2.warpAffine(k, rot, (n, n))
    k /= k.sum()
    return cv2.filter2D(rgb, -1, k)


def page_image(sheet, pl, rng, kind: str) -> bytes:
    img = sheet.pages[pl.number].copy()
    if kind in ("magic", "magic_light", "document"):
        return app_filter(img, rng, grey=kind == "document")
    if kind == "chroma":
        return chroma(img, rng)
    if kind == "letter":
        return letter(sheet, pl, rng)
    if kind == "finger":
        return encode_jpeg(photograph(finger(img, pl, rng), rng), 85)
    if kind == "blur":
        return encode_jpeg(photograph(motion_blur(img, rng), rng), 85)
    raise SystemExit(f"unknown kind {kind}")


def make(n: int, rng, kind: str):
    if kind == "magic_light":
        return with_ink(GEL, n, rng)
    if kind == "chroma":
        return with_ink(RED if rng.random() < 0.5 else BLUE, n, rng)
    return make_sheets(n, rng)


def main() -> None:
    run_kinds(__doc__, KINDS, page_image, make)


if __name__ == "__main__":
    main()
