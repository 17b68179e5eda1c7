"""Synthetic Vietnamese handwriting for tests and benchmarks (never for reading).

No Vietnamese handwriting line images under a licence that allows tests could
be found in a package registry reachable here, so lines are rendered from
handwriting-style fonts that cover Vietnamese (Patrick Hand, Itim, Mali,
Pangolin: SIL Open Font License 1.1, from the npm packages
``@fontsource/<name>`` 5.3.0; see tests/data/handwriting-fonts/README.md).
Each writer gets a font, a slant, a size, a pen width and an ink; each glyph a
jitter of baseline, size and angle; each line a drift up or down (slanted
lines). It is easier than real handwriting: figures measured on it are an
upper bound of what real writers give, and are reported as synthetic.

Fontsource splits each font into per-script subsets; a character is drawn
from the subset whose Unicode ranges hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from omr.text.normalise import nfc

DEFAULT_FONT_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "handwriting-fonts"
FONT_NAMES = ("patrick-hand", "itim", "mali", "pangolin")
# Fontsource's "vietnamese" subset ranges (its unicode.json); everything else is in "latin".
_VIETNAMESE_RANGES = ((0x0102, 0x0103), (0x0110, 0x0111), (0x0128, 0x0129), (0x0168, 0x0169),
                      (0x01A0, 0x01A1), (0x01AF, 0x01B0), (0x0300, 0x0301), (0x0303, 0x0304),
                      (0x0308, 0x0309), (0x0323, 0x0323), (0x0329, 0x0329), (0x1EA0, 0x1EF9), (0x20AB, 0x20AB))

# Comments as citizens write them (praise, complaints, suggestions), for rendering only.
SENTENCES = (
    "Cán bộ hướng dẫn tận tình, chu đáo.",
    "Công chức không nhũng nhiễu, rất nhiệt tình.",
    "Phải đi lại nhiều lần mới xong hồ sơ.",
    "Cán bộ có thái độ hách dịch, gây khó khăn cho dân.",
    "Bị yêu cầu bổ sung giấy tờ ngoài quy định.",
    "Nơi chờ hơi chật, cần thêm ghế ngồi.",
    "Hẹn lên hẹn xuống, trễ hẹn hai tuần.",
    "Đề nghị có thêm máy lấy số tự động.",
    "Phải đưa tiền trà nước thì mới được giải quyết nhanh.",
    "Không có tiêu cực, mọi việc đúng hẹn.",
    "Dịch vụ công trực tuyến còn khó sử dụng.",
    "Nhân viên vui vẻ, giải thích rõ ràng.",
    "Thủ tục chứng thực nhanh gọn, tôi rất hài lòng.",
    "Hồ sơ đất đai bị trả lại ba lần không rõ lý do.",
    "Cần bố trí thêm quạt mát ở phòng chờ.",
    "Cán bộ tiếp dân cáu gắt, quát nạt người già.",
    "Đăng ký khai sinh cho con rất thuận tiện.",
    "Mong cán bộ đeo thẻ tên khi làm việc.",
    "Nhà vệ sinh cần sạch sẽ hơn.",
    "Bộ phận một cửa làm việc đúng giờ.",
    "Có người bỏ vị trí trong giờ làm việc.",
    "Tôi phải chờ gần hai tiếng mới được tiếp nhận.",
    "Đề nghị niêm yết công khai phí và lệ phí.",
    "Cán bộ làm khó, đòi thêm giấy xác nhận cư trú.",
    "Hướng dẫn nộp hồ sơ trực tuyến chưa rõ.",
    "Cảm ơn cán bộ đã hỗ trợ tận tình.",
    "Trả kết quả sớm hơn hẹn, rất tốt.",
    "Chỗ để xe chật, trời nắng không có mái che.",
    "Nên có wifi miễn phí cho người dân.",
    "Không thấy hiện tượng vòi vĩnh.",
    "Thái độ phục vụ chưa tốt, còn thờ ơ.",
    "Xin cấp bản sao giấy khai sinh mất một buổi.",
    "Phường cần thêm người ở quầy hộ tịch.",
    "Cán bộ đùn đẩy trách nhiệm cho nhau.",
    "Mọi thủ tục đều được giải quyết đúng hạn.",
    "Tôi bị đòi chi phí ngoài quy định.",
    "Bưu điện trả kết quả tận nhà rất tiện.",
    "Cần thêm bảng hướng dẫn bằng chữ to.",
    "Người già được ưu tiên, rất đáng khen.",
    "Máy tra cứu bị hỏng đã lâu chưa sửa.",
)


def _in_vietnamese_subset(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _VIETNAMESE_RANGES)


@lru_cache(maxsize=64)
def _font(font_dir: str, name: str, subset: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(Path(font_dir) / f"{name}-{subset}-400-normal.woff"), size,
                              layout_engine=ImageFont.Layout.BASIC)


def available(font_dir: Path = DEFAULT_FONT_DIR) -> bool:
    """Whether the handwriting fonts are present (they ship with the tests, not the package)."""
    return all((font_dir / f"{name}-{subset}-400-normal.woff").is_file()
               for name in FONT_NAMES for subset in ("latin", "vietnamese"))


@dataclass(frozen=True)
class Writer:
    """How one person writes: font, size (px per mm of x-height), slant, pen, ink, drift."""

    font: str
    x_height_mm: float
    slant_deg: float
    pen_px: int  # >0 thickens, <0 thins, 0 as the font draws
    ink: int  # grey level of the ink, 0 black .. ~120 faint
    drift_deg: float  # the line climbs (+) or falls (-)
    jitter: float  # 0..1, how uneven the glyphs are
    wobble_mm: float = 0.0  # elastic distortion of the strokes (a hurried hand), mm

    @staticmethod
    def random(rng: np.random.Generator) -> "Writer":
        return Writer(font=str(rng.choice(FONT_NAMES)), x_height_mm=float(rng.uniform(1.7, 2.6)),
                      slant_deg=float(rng.uniform(-12, 12)), pen_px=int(rng.integers(-1, 2)),
                      ink=int(rng.integers(0, 90)), drift_deg=float(rng.normal(0, 1.8)),
                      jitter=float(rng.uniform(0.2, 1.0)), wobble_mm=float(rng.uniform(0.0, 1.0)))


def render_line(text: str, writer: Writer, rng: np.random.Generator, px_per_mm: float = 12.0,
                font_dir: Path = DEFAULT_FONT_DIR) -> tuple[np.ndarray, int]:
    """(image, baseline row) of ``text`` written by ``writer``: grey uint8, dark on white.

    The baseline row is where the line's start sits; the line drifts by
    ``writer.drift_deg`` from there.
    """
    text = nfc(text)
    size = int(round(writer.x_height_mm * px_per_mm / 0.5))  # x-height is about half the em
    pad = size
    canvas = Image.new("L", (int(size * 0.7 * len(text)) + 4 * pad, 3 * size), 255)
    draw = ImageDraw.Draw(canvas)
    baseline = 2 * size
    x = float(pad)
    for ch in text:
        subset = "vietnamese" if _in_vietnamese_subset(ch) else "latin"
        glyph_size = max(6, int(round(size * (1 + writer.jitter * rng.normal(0, 0.05)))))
        font = _font(str(font_dir), writer.font, subset, glyph_size)
        if ch == " ":
            x += font.getlength(" ") * rng.uniform(0.8, 1.6)
            continue
        dy = writer.jitter * rng.normal(0, 0.04 * size)
        draw.text((x, baseline + dy), ch, font=font, fill=writer.ink, anchor="ls")
        x += font.getlength(ch) * (1 + writer.jitter * rng.normal(0, 0.05))
    image = np.asarray(canvas)[:, :int(x) + pad].copy()
    if writer.pen_px > 0:
        image = cv2.erode(image, np.ones((writer.pen_px + 1, writer.pen_px + 1), np.uint8))
    elif writer.pen_px < 0 and size > 40:
        image = cv2.dilate(image, np.ones((2, 2), np.uint8))
    if writer.wobble_mm > 0:
        image = _wobble(image, writer.wobble_mm * px_per_mm, px_per_mm, rng)
    h, w = image.shape
    shear = np.tan(np.radians(writer.slant_deg))
    # Slant about the baseline (tops lean right for a positive slant) ...
    image = cv2.warpAffine(image, np.float32([[1, shear, -shear * baseline], [0, 1, 0]]), (w, h),
                           flags=cv2.INTER_LINEAR, borderValue=255)
    # ... then turn the line about its start, with room above and below for the drift.
    extra = int(abs(np.sin(np.radians(writer.drift_deg))) * w) + 2
    white = np.full((extra, w), 255, np.uint8)
    image = np.vstack([white, image, white])
    baseline += extra
    rotation = cv2.getRotationMatrix2D((float(pad), float(baseline)), writer.drift_deg, 1.0)
    out = cv2.warpAffine(image, rotation, (w, h + 2 * extra), flags=cv2.INTER_LINEAR, borderValue=255)
    return out, baseline


def _wobble(image: np.ndarray, amplitude_px: float, px_per_mm: float, rng: np.random.Generator) -> np.ndarray:
    """Bend strokes by a smooth random displacement (correlated over ~1.5 mm)."""
    h, w = image.shape
    sigma = 1.5 * px_per_mm
    fields = []
    for _ in range(2):
        noise = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), sigma)
        fields.append(noise / (np.abs(noise).max() + 1e-6) * amplitude_px)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(image, xs + fields[0], ys + fields[1], cv2.INTER_LINEAR, borderValue=255)


def bare_line(text: str, rng: np.random.Generator, px_per_mm: float = 12.0,
              font_dir: Path = DEFAULT_FONT_DIR, writer: Writer | None = None) -> np.ndarray:
    """One line of a random writer, trimmed to its ink with a 1 mm margin (grey uint8)."""
    image, _ = render_line(text, writer or Writer.random(rng), rng, px_per_mm, font_dir)
    return trim(image, px_per_mm)


def trim(image: np.ndarray, px_per_mm: float = 12.0) -> np.ndarray:
    """``image`` cut to its ink (below 160) with a 1 mm margin."""
    rows = np.flatnonzero((image < 160).any(axis=1))
    cols = np.flatnonzero((image < 160).any(axis=0))
    m = int(px_per_mm)
    return image[max(rows[0] - m, 0):rows[-1] + m, max(cols[0] - m, 0):cols[-1] + m]


def hard_line(text: str, rng: np.random.Generator, px_per_mm: float = 12.0,
              font_dir: Path = DEFAULT_FONT_DIR) -> np.ndarray:
    """A line made hard to read on purpose, for calibrating confidence against CER.

    Strokes bent by up to 3 mm (:func:`_wobble`), the line blurred as if
    scanned at 25-100 % of the resolution, grey noise up to sigma 60. At these
    strengths asterocr's CER on the set is about 0.23, close to the 0.24 it
    measured on real handwritten lines (domain brief), with every confidence
    from 30 to 100: a spread the clean fonts alone never give.
    """
    writer = Writer.random(rng)
    writer = Writer(writer.font, writer.x_height_mm, writer.slant_deg, writer.pen_px, writer.ink,
                    writer.drift_deg, writer.jitter, float(rng.uniform(0.0, 3.0)))
    image = bare_line(text, rng, px_per_mm, font_dir, writer)
    factor = float(rng.uniform(0.25, 1.0))
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    image = cv2.resize(small, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    noise = rng.normal(0.0, float(rng.uniform(0.0, 60.0)), image.shape)
    return np.clip(image.astype(np.float64) + noise, 0, 255).astype(np.uint8)
