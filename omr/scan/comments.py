"""Read a comment field: written in or not, a clean crop, an OCR draft, flags.

The decision "written in or blank" must be right nearly always: a blank field
that goes to review wastes a person's time, and an inked field read as blank
loses a complaint. It is made on the aligned page's ink (see
:class:`omr.scan.align.PageInk`), in three steps that each remove one thing that
is not handwriting:

1. ink below :data:`~omr.tuning.TEXT_STROKE_LEVEL` is paper: bleed-through
   from the other side and JPEG noise are much lighter than a pen stroke;
2. long straight runs are printed: guide lines and the frame
   (:func:`remove_printed_lines`), found by shape rather than by position, so
   a page a millimetre off still loses them;
3. isolated specks are dust: strokes are judged by their density over about
   a millimetre, which joins a faint line broken into dots by a 1-bit scan and
   thins out a lone speck (:func:`handwriting`).

What is left is handwriting; the field is written in when it covers
:data:`~omr.tuning.TEXT_MIN_INK_MM2`, and may be (faint pencil, pencil a 1-bit
scan mostly erased) from :data:`~omr.tuning.TEXT_FAINT_MIN_MM2`: both go to
review as a comment to transcribe (:func:`maybe_written`), since a comment read
blank is never shown to anyone.

An inked field is then cropped from the *original* scan (bilinear, at
:data:`~omr.tuning.OCR_PX_PER_MM`), cleaned the same way, deskewed, split into
writing lines found from the ink itself (:func:`ink_lines`: never cut at the
printed guide lines), read line by line by the handwriting recogniser
(:mod:`omr.scan.recognise`: asterocr, Tesseract where it is missing), and each
word snapped to a valid Vietnamese spelling among the recogniser's
alternatives (:mod:`omr.scan.postcorrect`). Flags are computed on the corrected
text; a flag seen only in an alternative reading is marked possible.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from omr import tuning as T
from omr.forms.layout import PageLayout, TextRegion
from omr.scan.align import PageInk
from omr.scan.comment_model import NUMBER_CHECK, NUMBER_UNSURE, CommentRead, Word
from omr.scan.components import components_with_stats
from omr.scan.ocr import OcrUnavailable
from omr.scan.postcorrect import CorrectedLine, CorrectedWord, correct_line, flags_with_possible
from omr.scan.recognise import handwriting_recogniser
from omr.text.lexicon import Match

K = T.CANONICAL_PX_PER_MM


# --- pure functions over arrays -------------------------------------------------

def printed_lines(strokes: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Where ``strokes`` (uint8 0/1) are long horizontal or vertical runs: guide lines, frames.

    The mask (uint8 0/1) includes a pixel around each line for its blurred edge.
    """
    h_len = max(int(T.PRINTED_LINE_MIN_MM * px_per_mm), 3)
    v_len = max(int(T.PRINTED_VLINE_MIN_MM * px_per_mm), 3)
    # A line left tilted by the warp steps from row to row; thickening it first
    # keeps it one unbroken run that the long kernel finds.
    reach = max(int(round(T.PRINTED_LINE_TILT_PX_PER_MM * px_per_mm)), 1)
    thick_rows = cv2.dilate(strokes, np.ones((2 * reach + 1, 1), np.uint8))
    thick_cols = cv2.dilate(strokes, np.ones((1, 2 * reach + 1), np.uint8))
    horizontal = cv2.morphologyEx(thick_rows, cv2.MORPH_OPEN, np.ones((1, h_len), np.uint8))
    vertical = cv2.morphologyEx(thick_cols, cv2.MORPH_OPEN, np.ones((v_len, 1), np.uint8))
    return cv2.dilate(horizontal | vertical, np.ones((3, 3), np.uint8)) & strokes_reach(strokes)


def strokes_reach(strokes: np.ndarray) -> np.ndarray:
    # The thickened line search may spill a pixel onto paper; only ink can be printed.
    return cv2.dilate(strokes, np.ones((3, 3), np.uint8))


def remove_specks(strokes: np.ndarray, px_per_mm: float) -> np.ndarray:
    """``strokes`` (uint8 0/1) without connected ink smaller than a stroke on both sides."""
    labels, keep = _speck_labels(strokes, px_per_mm)
    return keep[labels]


def _speck_labels(strokes: np.ndarray, px_per_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """(labels of the 8-connected ink of ``strokes``, uint8 0/1 per label: kept, not a speck or paper)."""
    count, labels, stats, _ = components_with_stats(strokes)
    min_extent = T.TEXT_MIN_STROKE_EXTENT_MM * px_per_mm
    keep = np.zeros(count, np.uint8)
    keep[1:] = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]) >= min_extent
    return labels, keep


@dataclass
class FieldInk:
    """A comment field's ink sorted into handwriting and print, at the page's K px/mm.

    Covers the field and :data:`~omr.tuning.CROP_MARGIN_MM` around it (the crop);
    ``inside_mm2`` counts handwriting inside the frame only.
    """

    written: np.ndarray  # uint8 0/1: areas of handwriting
    printed: np.ndarray  # uint8 0/1: guide lines and frame
    inside_mm2: float


def handwriting(ink: np.ndarray, px_per_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """(written areas, printed lines) of a field's ink (float 0..1), as uint8 0/1 masks.

    Strokes are ink above :data:`~omr.tuning.TEXT_STROKE_LEVEL` that is not a
    printed line. Their local density (a blur over ~1 mm) joins a faint line
    that a 1-bit scan broke into dots back into one written area, while an
    isolated speck of dust spreads thin and drops below the density floor.
    The density is judged at :data:`~omr.tuning.TEXT_DENSITY_PX_PER_MM`: areas
    a millimetre wide need no finer grid, and a quarter of the pixels is a
    quarter of the time.
    """
    labels, keep, printed = _written_labels(ink, px_per_mm)
    if labels is None:
        return np.zeros(ink.shape, np.uint8), printed
    return cv2.resize(keep[labels], (ink.shape[1], ink.shape[0]), interpolation=cv2.INTER_NEAREST), printed


def _written_labels(ink: np.ndarray, px_per_mm: float, level: float = T.TEXT_STROKE_LEVEL
                    ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """:func:`handwriting` at the density grid: (labels of the dense areas, or None when there is
    none; uint8 0/1 per label: a written area, not a speck; the printed lines at full size).
    ``level``: the ink a stroke must exceed (0..1)."""
    strokes = (ink > level).astype(np.uint8)
    printed = printed_lines(strokes, px_per_mm)
    written_strokes = (strokes & (1 - printed)).astype(np.float32)
    scale = T.TEXT_DENSITY_PX_PER_MM / px_per_mm
    coarse = cv2.resize(written_strokes, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    density = cv2.GaussianBlur(coarse, (0, 0), T.TEXT_DENSITY_SIGMA_MM * T.TEXT_DENSITY_PX_PER_MM)
    dense = (density > T.TEXT_MIN_DENSITY).astype(np.uint8)
    if not dense.any():  # a blank field's usual case: nothing written
        return None, np.zeros(1, np.uint8), printed
    labels, keep = _speck_labels(dense, T.TEXT_DENSITY_PX_PER_MM)
    return labels, keep, printed


def _nearest_source(source: int, target: int) -> np.ndarray:
    """For each of ``target`` rows (or columns), the source row ``cv2.resize`` with INTER_NEAREST
    copies it from when it stretches ``source`` rows to ``target`` (asked of OpenCV itself)."""
    index = np.arange(source, dtype=np.int32).reshape(-1, 1)
    return cv2.resize(index, (1, target), interpolation=cv2.INTER_NEAREST).ravel()


def field_ink(ink: PageInk, region: TextRegion, blank: BlankPrint | None = None) -> FieldInk:
    """Handwriting and print in a comment field and its crop margin, on the aligned page.

    Writing may run over the frame, but what lies wholly outside it is the
    form's own print (the question above) or another field's: only written
    areas reaching inside the frame count. They are found and counted on the
    density grid (a quarter of the pixels, issue #18): stretching that grid to
    the page's resolution (nearest neighbour) keeps which areas touch, so the
    areas, and the written mm² inside the frame, are those of the full-size mask.

    ``blank``: the blank form's print (a form designed elsewhere, :class:`BlankPrint`); where it has
    print the page's ink is not handwriting, so a frame drawn over printed text is not "written" on
    every sheet (issue #16).
    """
    return _field_written(field_area(ink, region, blank), region, ink.black_ratio)


def field_area(ink: PageInk, region: TextRegion, blank: BlankPrint | None = None) -> np.ndarray:
    """The ink (float32 0..1 at K px/mm) of a comment field and its crop margin, the print of ``blank``
    (a form designed elsewhere) taken out: what :func:`field_ink` and :func:`faint_writing` judge."""
    m = T.CROP_MARGIN_MM
    area = ink.region_mm(region.x - m, region.y - m, region.w + 2 * m, region.h + 2 * m)
    if blank is not None:
        area = np.where(blank.mask(region.x - m, region.y - m, area.shape) > 0, 0.0, area).astype(np.float32)
    return area


def shade_lifted(ink: np.ndarray, black_ratio: float, px_per_mm: float = K) -> np.ndarray:
    """``ink`` (float32 0..1, 0 paper, 1 the fiducials' black) measured against the paper right around
    each pixel instead of the page's paper map: a soft shade narrower than the lighting's window (a
    fold's shade, a crease's shadow, a gradient at a page's edge) is lifted, a pen stroke kept.

    The shaded paper's ink is a grey *opening* of ``ink`` over ``TEXT_SHADE_WINDOW_MM``: the least ink
    over the window, then the most. Strokes narrower than the window vanish from it, a shade wider
    than it stays. A stroke's ink against that shaded paper: the stroke darkens paper of grey
    ``1 - s (1 - b)`` (``s`` the shade's ink, ``b`` ``black_ratio``) by the share ``(ink - s) / (1 - s
    (1 - b))`` of the black's contrast. Never more than ``ink``; equal to it on paper without shade.
    Same shape, float32.
    """
    return _lift(ink, _shade(ink, px_per_mm), black_ratio)


def _shade(ink: np.ndarray, px_per_mm: float) -> np.ndarray:
    """The shaded paper's ink under ``ink`` (float32 0..1): its grey opening over TEXT_SHADE_WINDOW_MM
    (:func:`shade_lifted`). Same shape, float32."""
    side = max(3, int(round(T.TEXT_SHADE_WINDOW_MM * px_per_mm)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    return cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)


def _lift(ink: np.ndarray, shade: np.ndarray, black_ratio: float) -> np.ndarray:
    """``ink`` measured against the shaded paper ``shade`` (:func:`_shade`): :func:`shade_lifted`'s result."""
    # At least the share left by the darkest shade the opening may return (ink 1 where black_ratio is 0).
    lifted = (ink - shade) / np.maximum(1.0 - shade * (1.0 - black_ratio), 1e-3)
    return np.clip(lifted, 0.0, 1.0, out=lifted)


def _lifts_nothing(ink: np.ndarray, shade: np.ndarray) -> bool:
    """Whether :func:`_lift` gives ``ink`` back unchanged: no shade anywhere (the lifted ink is
    (ink - 0) / max(1 - 0, 1e-3) = ink) and ink already within 0..1 (the clip changes nothing).
    The usual case on a flat-lit scan, where every TEXT_SHADE_WINDOW_MM window holds some bare
    paper: the shade-lifted look at a field is then the first look again (issue #18: about half
    the comment field's CPU)."""
    return not shade.any() and float(ink.min()) >= 0.0 and float(ink.max()) <= 1.0


def _surely_unshaded(ink: np.ndarray, px_per_mm: float) -> bool:
    """Whether :func:`_lifts_nothing` holds of ``ink`` (float32, 0..1) and its :func:`_shade`, told without
    the shade: ink within 0..1, and a pixel of no ink in every ``TEXT_SHADE_WINDOW_MM`` window (the
    windows the opening's erosion takes its least over, clipped at the edges as its replicated border
    does). Then every window's least is 0, the erosion is 0 everywhere and so is the opening. One erosion
    of a uint8 mask instead of two of float32 pixels (issue #18: most fields of a page, blank ones
    included, hold the question's print and take this path). False says nothing: :func:`_lifts_nothing`
    decides on the shade."""
    if ink.size == 0 or float(ink.min()) < 0.0 or float(ink.max()) > 1.0:
        return False
    side = max(3, int(round(T.TEXT_SHADE_WINDOW_MM * px_per_mm)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    return cv2.countNonZero(cv2.erode((ink > 0).view(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE)) == 0


def _field_written(area: np.ndarray, region: TextRegion, black_ratio: float,
                   level: float = T.TEXT_STROKE_LEVEL) -> FieldInk:
    """:func:`field_ink` on the ink (float 0..1, K px/mm) of the field and its crop margin; ``black_ratio``
    that of the ink (:class:`~omr.scan.align.PageInk`, 0 for ink already scaled to its own black);
    ``level`` the ink a stroke must exceed.

    A blank field's usual case, nothing dense enough to be writing in its ink, is decided on the ink as
    it is; otherwise on the ink with its soft shades lifted (:func:`shade_lifted`, never more ink, so it
    finds nothing the first look did not)."""
    m = T.CROP_MARGIN_MM
    labels, keep, printed = _written_labels(area, K, level)
    if labels is not None and not _surely_unshaded(area, K):
        shade = _shade(area, K)
        if not _lifts_nothing(area, shade):
            labels, keep, printed = _written_labels(_lift(area, shade, black_ratio), K, level)
    height, width = area.shape
    if labels is None or not keep.any():  # nothing written anywhere near the field
        return FieldInk(np.zeros((height, width), np.uint8), printed, 0.0)
    inside = int(round((m + T.TEXT_FRAME_MARGIN_MM) * K))
    # Full-size rows and columns inside the frame, as the grid's rows and columns they come from.
    rows = _nearest_source(labels.shape[0], height)[inside:height - inside]
    cols = _nearest_source(labels.shape[1], width)[inside:width - inside]
    touching = np.zeros(len(keep), np.uint8)
    if rows.size and cols.size:
        touching[np.bincount(labels[np.unique(rows)][:, np.unique(cols)].ravel(), minlength=len(keep)) > 0] = 1
    touching &= keep
    if not touching.any():  # only print (the question's own text) dense near the frame: a blank field
        return FieldInk(np.zeros((height, width), np.uint8), printed, 0.0)
    written = touching[labels]
    # Each grid cell stands for (its full-size rows inside the frame) x (its columns inside it) px.
    inside_px = int(np.bincount(rows, minlength=labels.shape[0]) @ written.astype(np.int64)
                    @ np.bincount(cols, minlength=labels.shape[1]))
    return FieldInk(cv2.resize(written, (width, height), interpolation=cv2.INTER_NEAREST), printed,
                    float(inside_px) / (K * K))


class BlankPrint:
    """The print of a blank form designed elsewhere (its template's reference image), for its writing frames.

    ``reference``: the blank (grey uint8, dark print on white) whose width spans ``width_mm`` of the
    page; it is registered to the aligned page (layout mm are the reference's mm).
    """

    def __init__(self, reference: np.ndarray, width_mm: float):
        self.reference = reference
        self.scale = reference.shape[1] / width_mm  # reference px per mm
        values = np.sort(reference[::4, ::4], axis=None)
        self.paper = float(values[int(0.9 * (values.size - 1))])
        self.black = float(values[int(0.002 * (values.size - 1))])

    def _grey(self, x0_mm: float, y0_mm: float, shape: tuple[int, int]) -> np.ndarray:
        """The blank's grey over ``shape`` (h, w) px at K px/mm from (x0, y0) mm; paper outside it."""
        h, w = shape
        to_ref = np.array([[self.scale / K, 0.0, x0_mm * self.scale], [0.0, self.scale / K, y0_mm * self.scale]])
        return cv2.warpAffine(self.reference, to_ref, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=int(self.paper))

    def mask(self, x0_mm: float, y0_mm: float, shape: tuple[int, int]) -> np.ndarray:
        """uint8 0/1 over ``shape`` (h, w) px at K px/mm from (x0, y0) mm: where the blank has print,
        grown by ``TEXT_BLANK_PRINT_SLACK_MM`` for the registration's error and a copier's thicker print."""
        grey = self._grey(x0_mm, y0_mm, shape)
        printed = (grey.astype(np.float32) < self.paper - T.TEXT_BLANK_PRINT_CONTRAST).astype(np.uint8)
        slack = max(1, int(round(T.TEXT_BLANK_PRINT_SLACK_MM * K)))
        return cv2.dilate(printed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * slack + 1, 2 * slack + 1)))

    def ink(self, x0_mm: float, y0_mm: float, shape: tuple[int, int]) -> np.ndarray:
        """The blank's own ink (float32 0 paper .. 1 its darkest print) over ``shape`` px at K px/mm."""
        grey = self._grey(x0_mm, y0_mm, shape).astype(np.float32)
        return np.clip((self.paper - grey) / max(1.0, self.paper - self.black), 0.0, 1.0)

    def read_as_writing_mm2(self, region: TextRegion) -> float:
        """mm² of the blank's own print inside the writing frame ``region`` that the comment reader would
        take for handwriting without :meth:`mask` (its print less long ruled lines, :func:`field_ink`):
        printed text under the frame. At least ``TEXT_MIN_INK_MM2``: the frame is drawn over print, and
        the designer is warned (``omr template from-blank``, the template editor)."""
        m = T.CROP_MARGIN_MM
        shape = (int(round((region.h + 2 * m) * K)), int(round((region.w + 2 * m) * K)))
        return _field_written(self.ink(region.x - m, region.y - m, shape), region, 0.0).inside_mm2


def crop_field(grey: np.ndarray, homography_mm_to_px: np.ndarray, region: TextRegion,
               px_per_mm: float = T.OCR_PX_PER_MM) -> np.ndarray:
    """The field and a margin, resampled from the scan onto the layout (grey uint8)."""
    m = T.CROP_MARGIN_MM
    x, y, w, h = region.x - m, region.y - m, region.w + 2 * m, region.h + 2 * m
    crop_to_mm = np.array([[1.0 / px_per_mm, 0.0, x], [0.0, 1.0 / px_per_mm, y], [0.0, 0.0, 1.0]])
    size = (int(round(w * px_per_mm)), int(round(h * px_per_mm)))
    return cv2.warpPerspective(grey, homography_mm_to_px @ crop_to_mm, size,
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)


def clean_crop(ink: np.ndarray, found: FieldInk) -> np.ndarray:
    """A crop for people and Tesseract: handwriting only, dark on white (grey uint8).

    ``found`` (from the decision, at the page's resolution) says where the
    handwriting and the print are; the crop's own ink keeps the strokes' grey
    edges, which Tesseract reads better than a hard threshold.
    """
    size = (ink.shape[1], ink.shape[0])
    # The written areas are the dense cores of the strokes; tone marks, dots and
    # ascenders stand a little apart from them and belong to the writing too.
    reach = int(round(T.WRITING_REACH_MM * K))
    zone = cv2.dilate(found.written, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1)))
    written = cv2.resize(zone, size, interpolation=cv2.INTER_NEAREST)
    printed = cv2.resize(found.printed, size, interpolation=cv2.INTER_LINEAR)  # nearest would leave edges
    kept = np.where((written > 0) & (printed == 0) & (ink > T.CROP_INK_FLOOR), ink, 0.0)
    strokes = kept[kept > T.TEXT_STROKE_LEVEL]
    # In place from here (the same operations, the same pixels): a whole field's crop at 12 px/mm is
    # ~5 MB of float32 a copy, and each copy made here raised a page worker's peak (issue #18).
    if strokes.size:
        # Faint pencil made as dark as a pen: people read it faster, and Tesseract's
        # own threshold would otherwise drop grey strokes as paper.
        kept /= max(float(np.percentile(strokes, T.STROKE_BLACK_PERCENTILE)), 0.3)
        np.clip(kept, 0.0, 1.0, out=kept)
    np.subtract(1.0, kept, out=kept)
    kept *= 255.0
    return kept.astype(np.uint8)


def estimate_skew(written: np.ndarray, px_per_mm: float) -> float:
    """Angle (degrees) that levels the written lines, by the sharpest row profile; 0 if none.

    Works on the written-area mask, where each line is a row of blobs, at
    :data:`~omr.tuning.DESKEW_PX_PER_MM`: enough to tell half a degree over a
    150 mm line.
    """
    scale = T.DESKEW_PX_PER_MM / px_per_mm
    mask = cv2.resize(written.astype(np.float32), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if mask.sum() < 10:
        return 0.0
    h, w = mask.shape
    best, best_angle = -1.0, 0.0
    for angle in np.arange(-T.DESKEW_MAX_DEG, T.DESKEW_MAX_DEG + 1e-6, T.DESKEW_STEP_DEG):
        rotation = cv2.getRotationMatrix2D((w / 2, h / 2), float(angle), 1.0)
        profile = cv2.warpAffine(mask, rotation, (w, h), flags=cv2.INTER_LINEAR).sum(axis=1)
        score = float(np.square(profile).sum())
        if score > best:
            best, best_angle = score, float(angle)
    return best_angle if abs(best_angle) >= T.DESKEW_MIN_DEG else 0.0


def rotate(image: np.ndarray, angle: float) -> np.ndarray:
    """``image`` (white paper) turned by ``angle`` degrees about its centre."""
    if angle == 0.0:
        return image
    h, w = image.shape
    rotation = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(image, rotation, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def ink_lines(clean: np.ndarray, px_per_mm: float = T.OCR_PX_PER_MM) -> list[np.ndarray]:
    """Each written line of a clean crop, found from the ink alone, top to bottom.

    ``clean`` is grey uint8, dark writing on white, guide lines already
    whitened (:func:`clean_crop`), at ``px_per_mm``. The printed guide lines
    play no part: a line is a chain of connected components, so writing that
    runs across or between the guide lines, or climbs or falls along the
    line, stays one line, and no stroke is ever cut.

    1. Connected components of the ink (below :data:`~omr.tuning.LINE_INK_GREY`);
       those at least :data:`~omr.tuning.LINE_BODY_MIN_MM` tall are letter
       bodies, the rest tone marks, dots, commas and specks.
    2. The row projection of the bodies gives the writing's height (the
       median body height), which sets how far a line may rise or fall
       between neighbouring bodies (:data:`~omr.tuning.LINE_JOIN_HEIGHTS`).
    3. Bodies are chained left to right: each joins the line whose last
       bodies it continues (nearest in height), else starts a new line.
    4. Marks and dots join the line of the nearest body they stand over or
       under (Vietnamese tone marks sit above, the dot of nặng below).

    Each line image holds only its own components (a descender reaching into
    the next line is not pasted into it), trimmed to its ink with a margin of
    :data:`~omr.tuning.LINE_MARGIN_MM`. Lines with less than a millimetre of
    writing are dropped as specks. The work is bounded: at most
    :data:`~omr.tuning.LINE_MAX_COMPONENTS` components (the largest) and
    :data:`~omr.tuning.LINE_MAX_LINES` lines.
    """
    ink = (clean < T.LINE_INK_GREY).astype(np.uint8)
    count, labels, stats, centroids = components_with_stats(ink)
    if count <= 1:
        return []
    x0s, y0s = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    ws, hs = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    ids = np.arange(1, count)
    if len(ids) > T.LINE_MAX_COMPONENTS:  # a scribble or a halftone, not writing: bound the work
        ids = ids[np.argsort(stats[1:, cv2.CC_STAT_AREA])[::-1][:T.LINE_MAX_COMPONENTS]]
    bodies = [int(i) for i in ids if hs[i] >= T.LINE_BODY_MIN_MM * px_per_mm]
    if not bodies:  # only small marks (a dash, a few dots): one line of them
        bodies = [int(i) for i in ids]
    body_height = float(np.median([hs[i] for i in bodies]))
    tolerance = T.LINE_JOIN_HEIGHTS * body_height
    lines: list[list[int]] = []
    recent_y: list[list[float]] = []
    for i in sorted(bodies, key=lambda k: x0s[k]):
        y = float(centroids[i][1])
        best, best_dy = -1, tolerance
        for number, ys in enumerate(recent_y):
            dy = abs(y - float(np.median(ys[-3:])))
            if dy <= best_dy:
                best, best_dy = number, dy
        if best < 0:
            lines.append([i])
            recent_y.append([y])
        else:
            lines[best].append(i)
            recent_y[best].append(y)
    line_of = {i: n for n, members in enumerate(lines) for i in members}
    reach = T.LINE_MARK_REACH_MM * px_per_mm
    for i in (int(k) for k in ids if int(k) not in line_of):
        mx0, mx1, my0, my1 = x0s[i], x0s[i] + ws[i], y0s[i], y0s[i] + hs[i]
        best, best_distance = -1, np.inf
        for j in line_of:
            if x0s[j] > mx1 + reach or x0s[j] + ws[j] < mx0 - reach:
                continue
            top, bottom = y0s[j], y0s[j] + hs[j]
            if my1 <= top:  # above the body: where tone marks are
                distance = top - my1
            elif my0 >= bottom:  # below it: the dot of nặng, or the next line's marks
                distance = T.LINE_MARK_BELOW_PENALTY * (my0 - bottom)
            else:
                distance = 0.0
            if distance < best_distance:
                best, best_distance = j, distance
        if best < 0:
            y = float(centroids[i][1])
            line_of[i] = int(np.argmin([abs(y - float(np.median(ys))) for ys in recent_y]))
        else:
            line_of[i] = line_of[best]
    members_of: dict[int, list[int]] = {}
    for i, n in line_of.items():
        members_of.setdefault(n, []).append(i)
    lookup = np.zeros(count, np.int32)
    images = []
    margin = int(round(T.LINE_MARGIN_MM * px_per_mm))
    for n, members in members_of.items():
        lookup[:] = -1
        lookup[members] = n
        mine = (lookup[labels] == n).astype(np.uint8)
        others = ((labels > 0) & (mine == 0)).astype(np.uint8)
        # The grey edge of a stroke lies just outside its component: keep it, unless it is another line's ink.
        keep = cv2.dilate(mine, np.ones((3, 3), np.uint8)) & (1 - others)
        ys, xs = np.nonzero(mine)
        if xs.max() - xs.min() < px_per_mm:
            continue
        y0, y1 = max(ys.min() - margin, 0), min(ys.max() + margin + 1, clean.shape[0])
        x0, x1 = max(xs.min() - margin, 0), min(xs.max() + margin + 1, clean.shape[1])
        image = np.where(keep[y0:y1, x0:x1] > 0, clean[y0:y1, x0:x1], 255).astype(np.uint8)
        images.append((float(np.median(ys)), image))
    # A draft of more lines than a comment box holds is no help: the reviewer has the crop.
    return [image for _, image in sorted(images, key=lambda item: item[0])][:T.LINE_MAX_LINES]


def comment_quality(lines: list[CorrectedLine]) -> tuple[float | None, bool]:
    """(confidence 0-100, likely correct) of a handwriting draft, from its corrected lines.

    The confidence is the lines' (:attr:`CorrectedLine.confidence`), weighted
    by their length; it is what :data:`~omr.tuning.DRAFT_SHOW_MIN_CONFIDENCE`
    is calibrated on. Likely correct needs every word to be a valid spelling,
    no number (:attr:`~omr.scan.postcorrect.CorrectedWord.number`: the reviewer
    checks every amount against the image), the confidence to reach
    :data:`~omr.tuning.DRAFT_LIKELY_MIN_CONFIDENCE`, and
    a whole sentence (:func:`reads_as_sentence`): a fragment such as «chu đáo:» is
    all valid syllables at full confidence, yet most likely a piece of the line.
    """
    scored = [(line.confidence, len(line.text)) for line in lines if line.confidence is not None]
    if not scored:
        return None, False
    confidence = 100.0 * sum(c * n for c, n in scored) / max(sum(n for _, n in scored), 1)
    spelled = all(w.valid for line in lines for w in line.words)
    # An amount, a date or a phone number is never "a quick check": a digit misread at full confidence
    # («1,5 triệu» read «15 triệu») changes what the comment reports (hhand).
    numbers = any(w.number for line in lines for w in line.words)
    return (round(confidence, 1), spelled and not numbers and confidence >= T.DRAFT_LIKELY_MIN_CONFIDENCE
            and reads_as_sentence(lines))


# A line ending in one of these stops in the middle of a thought: a label read with its colon, a list cut off.
DANGLING_ENDS = (":", ",", ";", "-", "–", "—", "(", "/", "\\")


def reads_as_sentence(lines: list[CorrectedLine]) -> bool:
    """Whether a draft reads as whole: at least :data:`~omr.tuning.DRAFT_LIKELY_MIN_WORDS` words, and no line
    ending in :data:`DANGLING_ENDS` (a printed label's colon, a clause cut off)."""
    words = sum(len(line.text.split()) for line in lines)
    return words >= T.DRAFT_LIKELY_MIN_WORDS and not any(line.text.rstrip().endswith(DANGLING_ENDS)
                                                         for line in lines if line.text.strip())


def number_mark(word: CorrectedWord) -> int:
    """How the review page marks a draft word: 0, NUMBER_CHECK (a number or amount) or NUMBER_UNSURE."""
    return NUMBER_UNSURE if word.unsure else NUMBER_CHECK if word.number else 0


def draft_shown(confidence: float | None) -> bool:
    """Whether the review page fills the box with the draft, or leaves it empty with the
    draft one key away: below :data:`~omr.tuning.DRAFT_SHOW_MIN_CONFIDENCE` fixing the
    draft is expected to cost more than typing the comment."""
    return confidence is not None and confidence >= T.DRAFT_SHOW_MIN_CONFIDENCE


def review_priority(matches: list[Match], confidence: float | None) -> float:
    """Queue order for comments, higher first.

    Possible reports of misconduct come first, whatever their draft: catching
    them early is what the survey is for; a term seen only in an alternative
    reading ("có thể") comes after the sure ones. Then the clearest drafts,
    which a reviewer confirms in seconds, before the ones that must be typed.
    """
    flagged = any(m.flagged and not m.possible for m in matches)
    possible = any(m.flagged and m.possible for m in matches)
    return (1000.0 if flagged else 500.0 if possible else 0.0) + (confidence or 0.0)


def png_bytes(image: np.ndarray) -> bytes:
    # Level 1: a cleaned crop is mostly white and compresses well anyway, 4x faster than 6.
    ok, encoded = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:  # pragma: no cover - a uint8 array always encodes
        raise ValueError("PNG encoding failed")
    return encoded.tobytes()


# --- drafts ---------------------------------------------------------------------

@dataclass
class Draft:
    """A handwriting draft of one comment: what :func:`draft_clean` gives."""

    text: str
    words: list[Word]
    confidence: float | None  # 0-100
    likely_correct: bool
    matches: list[Match]
    review_priority: float
    error: str = ""  # why there is no draft (engine missing or failing)


def draft_clean(clean: np.ndarray, px_per_mm: float = T.OCR_PX_PER_MM) -> Draft:
    """Draft a clean crop (grey uint8, writing dark on white, guide lines gone, at ``px_per_mm``):
    lines from the ink, the handwriting recogniser, post-correction, flags, queue priority.

    Never raises for the engine's sake: an engine missing or failing leaves an
    empty draft with the reason in ``error``, and the comment is still queued.
    """
    lines: list[CorrectedLine] = []
    error = ""
    try:
        recogniser = handwriting_recogniser()
        lines = [correct_line(recogniser.read_line(image)) for image in ink_lines(clean, px_per_mm)]
    except OcrUnavailable as exc:
        error = str(exc)
    except RuntimeError as exc:  # the engine failing on one crop must not lose the comment
        error = f"Nhận dạng chữ viết tay: {exc}"
    lines = [line for line in lines if line.text]
    words = [Word(w.text, round(100.0 * w.confidence, 1), number, number_mark(w))
             for number, line in enumerate(lines) for w in line.words]
    text = "\n".join(line.text for line in lines)
    confidence, likely = comment_quality(lines)
    matches = flags_with_possible(text, lines)
    return Draft(text, words, confidence, likely, matches, review_priority(matches, confidence), error)


def draft_stored_crop(crop_png: bytes) -> Draft:
    """Draft a comment from its stored crop (``comments.crop_png``: clean, at the page's
    :data:`~omr.tuning.CANONICAL_PX_PER_MM`), as the second pass does.

    Raises ValueError if the bytes are not an image.
    """
    crop = cv2.imdecode(np.frombuffer(crop_png, np.uint8), cv2.IMREAD_GRAYSCALE)
    if crop is None:
        raise ValueError("ảnh ý kiến đã lưu không đọc được")
    scale = T.OCR_PX_PER_MM / K
    return draft_clean(cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR))


def draft_stored_task(task: tuple[int, bytes]) -> tuple[int, Draft]:
    """(comment id, stored crop PNG) in, (comment id, its draft) out: the second pass's task, run in
    a scan worker (:mod:`omr.scan.batch`) or by :func:`omr.data.drafting.draft_task`. A crop that is
    no image gives an empty draft whose ``error`` names the comment; never raises for a crop."""
    comment_id, crop_png = task
    try:
        return comment_id, draft_stored_crop(crop_png)
    except ValueError as exc:
        return comment_id, Draft("", [], None, False, [], 0.0, f"Ảnh ý kiến số {comment_id}: {exc}")


def apply_draft(result: CommentRead, draft: Draft) -> None:
    result.words = draft.words
    result.draft_text = draft.text
    result.draft_confidence, result.likely_correct = draft.confidence, draft.likely_correct
    result.matches = draft.matches
    result.review_priority = draft.review_priority
    result.ocr_error = draft.error


# Scan workers of a batch leave drafting to a second pass over the stored crops
# (omr.data.drafting), so that marks are stored at full speed; reading a page on its own
# (omr forms simulate checks, benches, tests) drafts in place.
_drafting_in_scan = True


def set_drafting_in_scan(enabled: bool) -> None:
    """Whether :func:`read_comment` drafts (True) or leaves ``draft_text`` None for the
    second pass (False). Per process: scan workers set it when they start."""
    global _drafting_in_scan
    _drafting_in_scan = enabled


# --- the stage ------------------------------------------------------------------

def maybe_written(inside_mm2: float) -> bool:
    """Whether a field with ``inside_mm2`` (mm²) of written area inside its frame goes to review as a
    comment to transcribe. Surely written from :data:`~omr.tuning.TEXT_MIN_INK_MM2`; from
    :data:`~omr.tuning.TEXT_FAINT_MIN_MM2` it may be faint pencil (or pencil a 1-bit scan mostly
    erased), which empty fields never leave: not surely blank, so a person looks rather than the
    comment being stored blank and lost."""
    return inside_mm2 >= min(T.TEXT_FAINT_MIN_MM2, T.TEXT_MIN_INK_MM2)


def paper_noise(area: np.ndarray) -> float:
    """The paper's noise in a field's ink (float 0..1, mostly paper): its ``TEXT_FAINT_NOISE_PERCENTILE``
    percentile. Grain, JPEG blocks, bleed-through and dust raise it; a field is ~95 % paper, so print and
    a few faint strokes do not."""
    return float(np.percentile(area[::3, ::3], T.TEXT_FAINT_NOISE_PERCENTILE)) if area.size else 0.0


def _dense_inside(area: np.ndarray, level: float, printed: np.ndarray) -> bool:
    """Whether strokes of ``area`` (field ink with its crop margin, K px/mm) above ``level``, off ``printed``
    (uint8 0/1, the print found at a higher level, grown by a pixel for the lower level's wider edges), are
    dense anywhere inside the frame: the density of :func:`_written_labels`, without its printed-line
    search. The print around the frame (the question's own text) is dense on every sheet and is left out."""
    strokes = (area > level).view(np.uint8) & (1 - cv2.dilate(printed, np.ones((3, 3), np.uint8)))
    scale = T.TEXT_DENSITY_PX_PER_MM / K
    coarse = cv2.resize(strokes.astype(np.float32), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    density = cv2.GaussianBlur(coarse, (0, 0), T.TEXT_DENSITY_SIGMA_MM * T.TEXT_DENSITY_PX_PER_MM)
    inside = int((T.CROP_MARGIN_MM + T.TEXT_FRAME_MARGIN_MM) * T.TEXT_DENSITY_PX_PER_MM)
    return bool((density[inside:density.shape[0] - inside, inside:density.shape[1] - inside]
                 > T.TEXT_MIN_DENSITY).any())


def faint_writing(area: np.ndarray, region: TextRegion, black_ratio: float,
                  printed: np.ndarray | None = None) -> FieldInk | None:
    """Faint writing in a field the ordinary look (:func:`field_ink`) left blank: strokes lighter than
    :data:`~omr.tuning.TEXT_STROKE_LEVEL` (pencil almost erased by a grey scan) found the same way (dense,
    not printed lines, soft shades lifted) at :data:`~omr.tuning.TEXT_FAINT_STROKE_LEVEL`, or at
    :data:`~omr.tuning.TEXT_FAINT_NOISE_FACTOR` x the paper's noise (:func:`paper_noise`) when the
    paper is noisier (bleed-through, grain), so noise alone never reads as writing. ``area``: the field's
    ink with its crop margin (:func:`field_area`). The written areas when they cover
    :data:`~omr.tuning.TEXT_FAINT_WRITTEN_MM2` inside the frame, else None. It helps grey scans only: a
    1-bit scan keeps no stroke lighter than its threshold (what the scanner erased is not on the page).
    ``printed``: the print the ordinary look found (:attr:`FieldInk.printed`); given, a field with nothing
    dense inside its frame at the lower level is told blank at a fifth of the cost (most fields, issue #18)."""
    level = max(T.TEXT_FAINT_STROKE_LEVEL, T.TEXT_FAINT_NOISE_FACTOR * paper_noise(area))
    if level >= T.TEXT_STROKE_LEVEL:  # paper as noisy as the ordinary level: nothing more to look for
        return None
    if printed is not None and not _dense_inside(area, level, printed):
        return None
    found = _field_written(area, region, black_ratio, level)
    return found if found.inside_mm2 >= T.TEXT_FAINT_WRITTEN_MM2 else None


def stretched_crop(crop_ink: np.ndarray, found: FieldInk) -> np.ndarray:
    """The raw crop of a faint field for people (grey uint8, dark on white, the size of ``crop_ink``): its
    ink (float 0..1 against the page's paper, any resolution) stretched so that the
    ``CROP_FAINT_STRETCH_PERCENTILE`` percentile of what is not print (``found.printed``: guide lines,
    frame) is black and the paper's noise (:func:`paper_noise`) white; print is black too. Nothing is
    cleaned away: the cleaned crop keeps only the strokes the reader found, for faint writing maybe a part."""
    noise = paper_noise(crop_ink)
    printed = cv2.resize(found.printed, (crop_ink.shape[1], crop_ink.shape[0]), interpolation=cv2.INTER_NEAREST)
    free = crop_ink[printed == 0]
    peak = float(np.percentile(free, T.CROP_FAINT_STRETCH_PERCENTILE)) if free.size else 1.0
    top = max(peak, noise + T.CROP_FAINT_MIN_RANGE)
    stretched = np.clip((crop_ink - noise) / (top - noise), 0.0, 1.0)
    return (255.0 * (1.0 - stretched)).astype(np.uint8)


def read_comment(grey: np.ndarray, homography_mm_to_px: np.ndarray, ink: PageInk, region: TextRegion,
                 page: PageLayout, blank: BlankPrint | None = None) -> CommentRead:
    """Decide, crop, clean and draft one comment field of an aligned page.

    ``page`` is kept for the callers' sake: since #15 the writing lines come
    from the ink, not from the page's printed guide lines. With drafting in
    the scan switched off (:func:`set_drafting_in_scan`) the draft is left
    None for the second pass. ``blank``: the print of a form designed elsewhere, never handwriting
    (:func:`field_ink`).
    """
    area = field_area(ink, region, blank)
    found = _field_written(area, region, ink.black_ratio)
    # Less than surely written: possibly faint writing, which the reviewer is told (and shown raw).
    faint = maybe_written(found.inside_mm2) and found.inside_mm2 < T.TEXT_MIN_INK_MM2
    if not maybe_written(found.inside_mm2):
        lighter = faint_writing(area, region, ink.black_ratio, found.printed)
        if lighter is not None:
            found, faint = lighter, True
    result = CommentRead(region.field, faint or maybe_written(found.inside_mm2), round(found.inside_mm2, 2),
                         (region.x, region.y, region.w, region.h), faint=faint)
    if not result.inked:
        return result
    m = T.CROP_MARGIN_MM
    crop = crop_field(grey, homography_mm_to_px, region)
    crop_ink = ink.ink_of(crop, region.x - m, region.y - m, region.x + region.w + m, region.y + region.h + m)
    clean = rotate(clean_crop(crop_ink, found), estimate_skew(found.written, K))
    # Kept at the page's resolution (~200 dpi, what scanners give): 12 px/mm adds pixels, not detail.
    shown = stretched_crop(crop_ink, found) if faint else clean
    result.crop_png = png_bytes(cv2.resize(shown, None, fx=K / T.OCR_PX_PER_MM, fy=K / T.OCR_PX_PER_MM,
                                           interpolation=cv2.INTER_AREA))
    if _drafting_in_scan:
        apply_draft(result, draft_clean(clean))
    return result

