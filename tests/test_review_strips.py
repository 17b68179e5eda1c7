"""The reviewer's strip of a question shows the print above its boxes whole (the trial's strip cut the
column headings "Không / hài lòng" after their first line): it grows up to the nearest empty paper."""

from __future__ import annotations

import cv2
import numpy as np
import sqlalchemy as sa
from db_fixtures import SQLITE_ONLY

from omr.data.schema import pages
from omr import tuning as T
from omr.forms.simulate import simulate_batch
from omr.scan.batch import run_scan
from omr.web import images
from omr.web.images import CROP_MARGIN_MM, CROP_PX_PER_MM


@SQLITE_ONLY  # the store holds the scanned page; the strip's picture is what is tested
def test_question_strips_never_cut_through_a_line_of_print(store, default_layout, tmp_path, repo_root):
    template, layout = default_layout
    pdf = tmp_path / "phieu.pdf"
    simulate_batch(template, layout, pdf, tmp_path / "truth.jsonl", count=1, seed=9, profile="clean")
    run_scan([str(pdf)], store, "đợt", template_dir=str(repo_root / "form_templates"))
    with store.reading() as conn:
        page_id = conn.execute(sa.select(pages.c.id).where(pages.c.page == 1)).scalar_one()
    grown = 0
    for question in ("B1", "B2", "B4", "C1", "C2"):
        strip = cv2.imdecode(np.frombuffer(images.question_strip(store, page_id, question), np.uint8),
                             cv2.IMREAD_GRAYSCALE)
        inner = strip[:, strip.shape[1] // 20: -strip.shape[1] // 20]
        assert (inner[0] < 128).mean() < 0.003, f"{question}: the strip's top edge cuts through print"
        fixed = (CROP_MARGIN_MM[0] + 4) * CROP_PX_PER_MM  # the old strip: 7 mm above 5 mm boxes, 4 mm below
        grown += strip.shape[0] > fixed + 5
    # The first rows of a group carry their column headings above them: those strips grew to show them.
    assert grown >= 1


def test_the_strip_stops_in_empty_paper_above_a_heading_of_several_lines():
    px = images.CROP_PX_PER_MM
    strip = np.full((100, 200), 255, np.uint8)
    strip[40:48, 20:180] = 0  # a heading's two lines, 2 px of leading between them
    strip[50:58, 20:180] = 0
    need = int(round(T.REVIEW_STRIP_GAP_MM * px))
    cut = images._empty_row_above(strip, 55)
    assert cut < 40 and 40 - cut <= need  # above both lines, not in their leading
    assert images._empty_row_above(strip, 90) > 60  # already in empty paper: hardly grows
    strip[:, :] = 0
    assert images._empty_row_above(strip, 50) == 0
