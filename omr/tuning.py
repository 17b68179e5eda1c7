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
