"""Every tuning constant of omr in one place, each with the reason for its value.

Print geometry (millimetres, A4 portrait) comes first: it is a contract with
paper already in people's hands, so changing it means a new template version.
Recognition thresholds follow (SDAPS keeps them in one module for the same
reason: one place to read and to tune against the accuracy benchmark).
"""

# --- Print geometry (mm) ---------------------------------------------------
PAGE_WIDTH = 210.0
PAGE_HEIGHT = 297.0
# Fiducials sit 8 mm in: office scanners crop up to ~4 mm at the edges, and a
# fit-to-page print at 93 % moves a corner mark about 10 mm inwards at most.
FIDUCIAL_INSET = 8.0
FIDUCIAL_SIZE = 6.0
# 18 mm QR, version 2-3: modules of ~0.6 mm are 4.7 px at 200 dpi, above the
# 3 px that decoders need even after JPEG and 1-bit thresholding.
QR_SIZE = 18.0
QR_GAP_FROM_FIDUCIAL = 4.0
CONTENT_LEFT = 15.0
CONTENT_RIGHT = 195.0
# Above the bottom fiducials (top edge at 297 - 8 - 6 = 283 mm) with room for the footer.
CONTENT_BOTTOM = 279.0
# Just below the serial printed under the QR code (baseline at 29.4 mm).
CONTENT_TOP_FOLLOWING_PAGES = 30.5

# A ballpoint X needs at least 4.5 mm (issue #2); 5 mm leaves room for shaky hands.
BOX_SIZE = 5.0
BOX_LABEL_GAP = 1.5
OPTION_GAP = 4.5
OPTION_ROW_HEIGHT = 6.5
BOX_LINE_WIDTH = 0.3

BODY_PT = 9.0
SMALL_PT = 6.5
HEADING_PT = 9.5
TITLE_PT = 11.0
LINE_HEIGHT_FACTOR = 1.25  # of the font size, in mm after conversion

SCALE_COLUMN_WIDTH = 12.0
TEXT_LINE_SPACING = 8.0  # handwriting line pitch in comment boxes
GROUP_GAP = 1.5
QUESTION_GAP = 1.2

# --- Reading ------------------------------------------------------------------
# Pages are warped onto the layout at 8 px/mm (203 dpi): the scans arrive at
# 200-300 dpi, and a 5 mm box is then 40 px, plenty for a 0.3 mm pen line.
CANONICAL_PX_PER_MM = 8.0
# Largest page image we decode (pixels): an A4 page at 600 dpi is 35 MP.
MAX_PAGE_PIXELS = 60_000_000
# Fiducial search works at ~50 dpi where a 6 mm mark is 12 px: fast, and
# blurs away text and QR modules.
FIDUCIAL_SEARCH_PX_PER_MM = 2.0
# Fiducials' area may differ from nominal by scan scale (93-100 %) and a phone
# photo's distance; outside these bounds a blob is not a fiducial.
FIDUCIAL_AREA_RANGE = (0.35, 2.2)
FIDUCIAL_MIN_SOLIDITY = 0.8  # filled squares; QR finder rings are ~0.5
# Centre-to-centre distances of the fiducials must keep the printed aspect
# ratio within this tolerance (perspective of phone photos included).
FIDUCIAL_ASPECT_TOLERANCE = 0.12
QR_CROP_MARGIN_MM = 4.0
# A page is blank when less than this share of it is darker than the paper.
BLANK_MAX_INK_SHARE = 0.002

# Local search: after the homography, each box may still be off by paper curl
# or a scanner's uneven feed; look this far around the predicted position.
LOCAL_SEARCH_MM = 1.5
# The outline search compares the outline with a band of paper this wide
# just outside it; an outline is "found" when it is darker than that band
# by this share of the page's black (a printed 0.3 mm line scores 0.5-0.9).
OUTLINE_PAPER_BAND_MM = 0.8
OUTLINE_FOUND_MIN_SCORE = 0.25
# The paper level is the brightest value within this window (mm, odd): wider
# than a box or a word, so ink never counts as paper.
PAPER_WINDOW_MM = 9
# Box offsets are pulled towards their neighbours' median when they differ by
# more than this: a mark's stroke must not drag a box off its outline.
LOCAL_OFFSET_OUTLIER_MM = 0.6
# Median offset above which the page is treated as misaligned: every answer
# on it goes to review instead of being read silently.
ALIGN_REVIEW_MM = 1.0

# A comment box counts as written in when this share of its inside is ink
# (after guide lines and specks are removed); a short word is ~1 %.
TEXT_INK_MIN_SHARE = 0.003

# Identifying a page whose QR code is unreadable by its boxes: the best form
# page must show the outlines of this share of its boxes where its layout puts
# them (a filled page shows ~97 %; another form page ~10-40 %), and beat the
# runner-up by this margin.
LAYOUT_MATCH_MIN_SHARE = 0.8
LAYOUT_MATCH_MARGIN = 0.2

# Ink is measured relative to the page itself: 0 = its paper (local, so
# uneven light on phone photos cancels), 1 = the black of its own fiducials.
INK_THRESHOLD = 0.25  # faint pencil is 0.3-0.45 on this scale once blurred; noise and JPEG < 0.12
BOX_INNER_MARGIN_MM = 0.75  # skip the 0.3 mm outline and its blur/misregistration
# Fill share of the box inside, measured on specimen batches (200 dpi, office
# profile): empty boxes <= 0.5 %; dots 16-26 %, ticks 20-35 %, crosses 28-49 %
# and up to 66 % with a heavy felt pen; a box filled in to cancel it ~100 %.
EMPTY_MAX_FILL = 0.04
MARK_MIN_FILL = 0.075
MARK_MAX_FILL = 0.75
CANCEL_MIN_FILL = 0.86
# A box too lightly filled to count as marked, but darker than the page's
# empty boxes by this much (mean ink), may hold a faint mark: it goes to
# review instead of being read as empty.
FAINT_EXCESS_DARKNESS = 0.035
# A page on which at least this share of the questions read blank has its
# blank answers reviewed: on specimen batches a filled page has at most ~30 %
# blank, while a page whose faint marks a 1-bit scan erased reads 90-100 %.
MOSTLY_BLANK_PAGE_SHARE = 0.6
# Answers whose least certain box has lower confidence than this go to review.
REVIEW_CONFIDENCE = 0.5
