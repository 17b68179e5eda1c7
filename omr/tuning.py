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
# Pages are warped onto the layout in square tiles of this many canonical px (4 mm), only
# those the reading looks at (omr.scan.align.CanonicalPage, issue #18). Smaller tiles warp
# fewer unneeded pixels but cost a call each per run of them: on omr's own pages the box
# search warped 18 % of the page at 16 px, 23 % at 32, 26 % at 48, and the search with its
# warping took least CPU at 32 (24 and 48 ~0.4 ms more a page, 16 ~2 ms more; 20 pages,
# one process, loaded machine).
CANONICAL_TILE_PX = 32
# Largest page image we decode (pixels): an A4 page at 600 dpi is 35 MP.
MAX_PAGE_PIXELS = 60_000_000
# Pixels count as square when the declared x and y resolutions differ by at most this share: scanners
# write equal values; a fax in standard mode declares 204 x 98 dpi (a ratio of 2.08), fine mode 204 x 196
# (4 %, within: the page's own corner marks absorb a 4 % stretch, as they do a scanner's feed error).
SQUARE_PIXEL_TOLERANCE = 0.05
# A page not found whose one QR code is this much wider than tall (or taller than wide) in pixels has
# non-square pixels its file did not declare (omr.scan.page._read_stretched): 15 % is beyond what a
# phone's perspective does to an 18 mm code that the corner marks could not place anyway (a 2.08 fax
# is far above); up to 2.5, the largest declared ratio omr stretches (a 204 x 98 fax is 2.08).
ASPECT_FROM_CODE_MIN_STRETCH = 0.15
ASPECT_FROM_CODE_MAX_STRETCH = 2.5
# Pixel aspects a fax is sent at whose code may not be found as stored (omr.scan.page._pixel_aspect_from_code):
# ITU-T T.4 standard resolution, 8 pels/mm across and 3.85 lines/mm down (204 x 98 dpi). "Fine" (7.7
# lines/mm) is square to within 4 % and found as stored.
FAX_PIXEL_ASPECTS = (8 / 3.85,)
# An image is not a scan of a form page when its shorter side is under this many pixels (an A4
# page at 200 px is under 1 px per mm: no 2 mm box, no fiducial can be seen; OpenCV's thresholds
# and resizes fail outright on 1 px sides) ...
MIN_PAGE_SIDE_PX = 200
# ... or when its long side is more than this many times its short side: paper is 1.41 (A-series),
# a phone photo 1.78 (16:9), two form pages in one image 1.41; 6 leaves room for a strip of pages
# scanned together and refuses a 100000 x 1 image.
MAX_PAGE_ASPECT = 6.0
# A resolution an image file declares is believed, to say a page's size in mm, only within this range:
# fax and phone photos declare 72-96 dpi, scanners 100-1200; some writers put 1 dpi (meaning none).
DECLARED_DPI_RANGE = (50.0, 2400.0)
# Fiducial search works at ~50 dpi where a 6 mm mark is 12 px: fast, and
# blurs away text and QR modules.
FIDUCIAL_SEARCH_PX_PER_MM = 2.0
# Fiducials' area may differ from nominal by scan scale (93-100 %) and a phone
# photo's distance; outside these bounds a blob is not a fiducial.
FIDUCIAL_AREA_RANGE = (0.35, 2.2)
# Filled squares; QR finder rings are ~0.5. At the ~50 dpi search scale a mark
# turned 1.5° fills only 80 % of its 13 x 13 px bounding box, so 0.8 lost it.
FIDUCIAL_MIN_SOLIDITY = 0.7
# A corner mark on a page lying at any turn (a phone photo taken crooked, found from its QR code:
# omr.scan.identify._compact_solid): the spread (mu20 + mu02) / area^2 of a solid square is 1/6 = 0.167
# whatever its turn; 0.19 leaves room for blur and a 1.6:1 perspective stretch (0.185), while a box
# outline (~0.33), a cross or a word (well above 0.25) stay out. The elongation (square root of the
# moment matrix's eigenvalue ratio) is the side ratio of a rectangle: 1.6 as the upright test allows.
MARK_ANY_TURN_MAX_SPREAD = 0.19
MARK_ANY_TURN_MAX_ELONGATION = 1.6
# A page found by its QR code turned more than this from upright (or from a quarter turn) is said to be
# crooked in its detail, not to have covered corner marks: the corner-mark search sees upright squares
# to ~10° of turn (FIDUCIAL_MIN_SOLIDITY), so a QR-anchored page beyond it is most likely just crooked.
CROOKED_PAGE_MIN_DEG = 10.0
# The turn of a page set aside without marks or QR code is searched every this many degrees (-45..45),
# then degree by degree around the best: rows of text keep a clear peak within ±3° of the page's turn
# (measured on omr's form: a 3° step finds the 12° and 30° turns), at a third of the 1° search's cost.
SKEW_SEARCH_COARSE_DEG = 3.0
# ... and said only when the rows of ink are this many times straighter at that turn than upright:
# omr's form gives 2.1-2.8 at 12-45° (measured on the ~50 dpi overview); an upright page gives 1 (the
# best turn is 0); print without rows of text (a photo, a drawing) has no clear best turn.
SKEW_MIN_GAIN = 1.6
# Centre-to-centre distances of the fiducials must keep the printed aspect
# ratio within this tolerance (perspective of phone photos included).
FIDUCIAL_ASPECT_TOLERANCE = 0.12
QR_CROP_MARGIN_MM = 4.0
# A page is blank when less than this share of it is darker than the paper.
BLANK_MAX_INK_SHARE = 0.002
# A page "blank" by the rule above whose darkest 0.2 % still lies this many grey levels under its paper
# holds print too faint to count as ink (a washed-out scan of 233-255, a dark one): it is stretched and
# read, or set aside as too dark/light, never as blank. Empty paper after the 3x3 median at 50 dpi:
# measured 0-3 levels (tests/test_faint_pages.py: uniform paper with Gaussian noise sigma 8, JPEG
# quality 60); the washed-out form page: 19 levels. 10 sits between.
FAINT_MIN_CONTRAST = 10
# Paper darker than this (0-255) is a too-dark scan, lighter a too-light one: the middle grey.
FAINT_DARK_PAPER_LEVEL = 128
# stretch_to_range maps this percentile of the page to black: the darkest 0.1 %, so one speck of dust
# or a scanner's black edge line does not set the range (a form page's corner marks and QR code are
# ~1 % of it).
STRETCH_INK_PERCENTILE = 0.1

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
# Small boxes (issue #16, omr.scan.read.small_box_state). A cross of two strokes w wide over an
# inside s across fills about 2*sqrt(2)*w/s - (w/s)^2 of it: with w = 0.4-0.6 mm (a ballpoint once
# scanned) 0.28-0.45 of omr's 3.5 mm insides, but 0.75-1.0 of the 1.0-2.5 mm insides of the 2.5-4 mm
# boxes that offices print (measured, office blanks of tests/data at 200 dpi: crosses in 3 mm boxes
# 0.70-0.93), where the fill alone cannot tell a cross from a box filled in. That is where a
# cross of SMALL_BOX_PEN_MM strokes (a heavy ballpoint once scanned) fills MARK_MAX_FILL of the
# inside: w/s = sqrt(2) - sqrt(2 - MARK_MAX_FILL), an inside of ~2.0 mm (boxes under ~3.5 mm; omr's
# 5 mm boxes are never judged so). There a box fuller than MARK_MAX_FILL is measured again over
# the box less SMALL_BOX_WIDE_MARGIN_MM: 0.3 mm printed outlines and their blur stay out (empty
# 2.5-4 mm boxes fill <= 0.05 there, drawn at 150-300 dpi), and a cross leaves paper between its arms.
SMALL_BOX_PEN_MM = 0.6
SMALL_BOX_MAX_CORE_MM = SMALL_BOX_PEN_MM / (2 ** 0.5 - (2 - MARK_MAX_FILL) ** 0.5)
SMALL_BOX_WIDE_MARGIN_MM = 0.4
# Fill of that wider inside, drawn at 150-300 dpi with 0.3-0.5 mm pens (tests/test_small_boxes.py):
# crosses in 3 mm boxes 0.44-0.86 (2.5 mm: up to 0.97, a heavy pen fills them), ticks <= 0.82;
# solid fills 0.99-1.0; scribbles 0.82-1.0; office blanks of tests/data (200 dpi): crosses in 2.9-3.7 mm
# boxes <= 0.80. A cross is a mark up to SMALL_BOX_CROSS_MAX_FILL; a box filled in from
# SMALL_BOX_SOLID_MIN_FILL; between, a person looks (never a sure mark). Of the boxes past
# MARK_MAX_FILL in 2.5-3.5 mm boxes (pens 0.3-0.7 mm): 88 % of crosses are marks at 0.92 (83 % at 0.88);
# 22 % of zigzag scribbles that leave paper too (10 % at 0.88): beside a mark they make the question
# 'multiple' (review), alone they read as a mark, as a lone scribble in omr's own boxes does (#14).
SMALL_BOX_CROSS_MAX_FILL = 0.92
SMALL_BOX_SOLID_MIN_FILL = 0.97
# A box too lightly filled to count as marked, but darker than the page's
# empty boxes by this much (mean ink), may hold a faint mark: it goes to
# review instead of being read as empty, when the darkness has a stroke in it
# (a trace of TRACE_SHORT_MIN_MM or a thin line of RIDGE_MIN_CONTRAST, issue
# #14). Darkness without one is the back's print showing through: on the
# office profile (300 sheets, seed 2026) page 2's bold heading behind boxes 7
# and 8 of question A2 made them 0.036-0.054 darker on 1 sheet in 15, 31 of
# the 207 questions sent to review.
FAINT_EXCESS_DARKNESS = 0.035
# A page on which at least this share of the questions read blank has its
# blank answers reviewed: on specimen batches a filled page has at most ~30 %
# blank, while a page whose faint marks a 1-bit scan erased reads 90-100 %.
# Since issue #14 the share counts every question without a sure mark (blank
# or only uncertain boxes): a 1-bit scan of faint pencil also leaves uncertain
# boxes (harsh, seed 7: 10 blank + 8 uncertain of 18, no mark at all).
MOSTLY_BLANK_PAGE_SHARE = 0.6
# Answers whose least certain box has lower confidence than this go to review.
REVIEW_CONFIDENCE = 0.5

# --- Comment fields (handwritten free text) ------------------------------------
# Ink above this level (0 paper, 1 fiducial black) may be a pen stroke. Measured
# on specimen batches (bench/comments.py): bleed-through from the other side
# reaches 0.2 (blank fields keep <= 1.1 mm2 above 0.25, none above 0.3), while
# faint pencil, blurred, peaks at 0.25-0.4 (at 0.3 some faint comments vanish).
TEXT_STROKE_LEVEL = 0.25
# Strokes are judged by their density over this blur (sigma): a faint line that
# a 1-bit scan broke into dots stays dense, a lone speck spreads below the floor.
TEXT_DENSITY_SIGMA_MM = 0.6
TEXT_MIN_DENSITY = 0.12
TEXT_DENSITY_PX_PER_MM = 4.0
# A comment field's ink is measured against the paper right around it, found by an opening over this
# square (omr.scan.comments.shade_lifted): a soft shade narrower than the lighting's window
# (LIGHT_WINDOW_MM) is not writing. Wider than any pen stroke with its blur (gel pen 0.3-0.5 mm, a felt
# tip ~1 mm); narrow enough that a fold's shade 35 % deep and 10 mm across leaves ~0.07 of ink at its
# middle (the opening follows the shade to within a millimetre of its trough), below TEXT_STROKE_LEVEL.
TEXT_SHADE_WINDOW_MM = 2.0
# The frame is skipped by this margin; a misaligned frame edge that still
# intrudes is removed as a printed line.
TEXT_FRAME_MARGIN_MM = 1.0
# A straight ink run at least this long is printed (a guide line or the frame),
# not handwriting: written letters are 2-5 mm and a handwritten underline is rare.
PRINTED_LINE_MIN_MM = 8.0
PRINTED_VLINE_MIN_MM = 6.0
# Lines are thickened by this (px per mm of resolution, each side) before the
# search, so a line tilted ~1° by an imperfect warp is still one run.
PRINTED_LINE_TILT_PX_PER_MM = 0.125
# Connected ink smaller than this on both sides is dust, toner or a JPEG
# artefact (specks measure 0.2-0.6 mm); the smallest written letter part ~1 mm.
TEXT_MIN_STROKE_EXTENT_MM = 1.0
# A field is written in when its written areas cover at least this. Measured on
# specimen batches (300 office and harsh sheets): blank fields with guide
# lines, dust and bleed-through leave <= 1.1 mm2; written fields >= 50 mm2
# (a single word is ~15 mm2) unless a 1-bit scan erased faint pencil entirely.
TEXT_MIN_INK_MM2 = 3.0
# Below TEXT_MIN_INK_MM2 a field with some written area is not surely blank: faint pencil (grey
# 150-200 on paper 225-255) or pencil a 1-bit scan mostly erased leaves 0.6-2.9 mm2 of it, and a
# comment read blank is never shown to anyone (lost). From this much up it goes to review as a
# comment to transcribe. Measured on branch hpencil (omr.scan.comments._field_written over simulated
# sheets, comment_share 0): 284 empty fields of 70 office + 70 harsh sheets (seeds 2026, 11) leave
# 0.0 mm2 written but one harsh field with 0.625 (dust and bleed-through rarely form a 1 mm dense
# stroke); faint pencil variants (70, seeds 5 and 7, 150-300 dpi, grey and 1-bit) that read blank
# before left 0.69, 0.69, 1.19, 1.44 and 2.06 mm2 (and the case that opened the issue 0.56). So 0.5
# catches those at the cost of ~1 in 140 empty harsh fields sent to review (docs/reading.md).
TEXT_FAINT_MIN_MM2 = 0.5
# A field left blank at TEXT_STROKE_LEVEL is looked at again for writing lighter than it (pencil a grey
# scan almost erased: strokes of 0.15-0.25 ink, tests/test_faint_comments.py), at this level or at
# TEXT_FAINT_NOISE_FACTOR x the field's paper noise (its TEXT_FAINT_NOISE_PERCENTILE percentile of ink),
# whichever is higher, and found possibly written (sent to review labelled faint) from
# TEXT_FAINT_WRITTEN_MM2 of written area inside the frame. Measured on branch hfaint (docs/benchmarks.md
# 2026-12-03): the 6 grey pencil variants stored blank before leave 1.62-42.9 mm2 at 0.2 (at 0.15 a fold's
# shade across a guide line leaves 15-120 mm2 in empty fields, so no lower); 294 empty fields of office and
# harsh sheets with the back always showing through and twice the dust (150/200/300 dpi, 1-bit scans too)
# leave at most 1.06 mm2 at 0.2 (one field; 0.94 the next), the 72 empty and shaded fields of
# test_faint_comments and test_comment_shade 0.0. The paper's noise (90th percentile) measured 0.016-0.06 on
# those grey scans, so 3x it stays below 0.2 there and only a noisier paper raises the level (grain whose
# 90th percentile is 0.1 leaves ~10 mm2 of "writing" at 0.2 and none at 3x it: test_faint_comments).
TEXT_FAINT_STROKE_LEVEL = 0.2
TEXT_FAINT_NOISE_PERCENTILE = 90
TEXT_FAINT_NOISE_FACTOR = 3.0
TEXT_FAINT_WRITTEN_MM2 = 1.5
# A writing frame of a form designed elsewhere may be drawn over printed text (a heading inside the box,
# a label cell taken for a frame in the editor): inside it the blank's print (its reference image, darker
# than its paper by 60 levels, grown by 0.4 mm for the registration's ~0.3 mm error and a copier's thicker
# print) is never handwriting. The same contrast and slack as a pen mark outside the boxes
# (UNEXPLAINED_PRINT_CONTRAST, _SLACK_MM below), measured there on the photocopied office blanks.
TEXT_BLANK_PRINT_CONTRAST = 60
TEXT_BLANK_PRINT_SLACK_MM = 0.4
# A clean crop keeps ink within this distance of the written areas (tone marks
# sit ~1 mm above their letter) and above this floor (paper noise is < 0.1).
WRITING_REACH_MM = 1.5
CROP_INK_FLOOR = 0.1
# In a clean crop, the strokes' ink at this percentile is stretched to black,
# so faint pencil reads like pen (a stroke's core is its darkest part).
STROKE_BLACK_PERCENTILE = 90
# Crops for OCR and review are resampled from the scan at ~300 dpi: Tesseract's
# LSTM reads best with letters 20-40 px tall; handwriting is ~3-4 mm.
OCR_PX_PER_MM = 12.0
# Margin around the field's frame kept in the crop, so a comment written over
# the edge is still seen by the reviewer.
CROP_MARGIN_MM = 2.0
# The crop of a faint field is shown raw, stretched: the paper's noise white, this percentile of its ink
# off the print black (written strokes cover 1-5 % of a field, so the 99.5th is a stroke's core when
# there is writing) but at least CROP_FAINT_MIN_RANGE above the noise, so an empty field's grain is
# not stretched into a black speckle (eyeballed on the hfaint variants: the pencil reads as dark grey).
CROP_FAINT_STRETCH_PERCENTILE = 99.5
CROP_FAINT_MIN_RANGE = 0.15
# Text in a crop is deskewed when the page warp left it tilted more than this.
DESKEW_MIN_DEG = 0.4
DESKEW_MAX_DEG = 3.0
DESKEW_STEP_DEG = 0.5
DESKEW_PX_PER_MM = 2.0
# (#15 removed LINE_ABOVE/BELOW_GUIDE_MM, lines cut at guide lines, and
# LIKELY_CORRECT_*_CONF, Tesseract's word confidences: see the #15 block below.)

# --- Forms designed elsewhere (issue #8: omr.scan.register, omr.scan.bubbles, omr.template_from.blank) ---
# Registration to a blank reference image. SIFT features on images whose
# longer side is at most this: an A4 page at ~5 px/mm keeps printed text as
# features, and matching stays well under a second per reference.
REGISTER_MAX_SIDE_PX = 1400
# A page registered on its print (no corner marks, no QR code found) is read only when it is larger than the
# image by this (omr.scan.page.page_scale_on_image): a copy enlarged 108 % and more lost its marks off the
# sheet's edges, which no new scan brings back. A page turned or shifted partly out of the image is no
# larger, and is set aside with what to rescan. Measured: crooked pages with cut corners and an A3 scan's
# cut second page (tests/test_ingest_hard_scans.py, test_two_page_images.py) 0.97-1.000; copies at
# 108-115 % through the simulator's office scan (which also shrinks to 93-100 %) 1.015-1.136.
COPY_ENLARGED_MIN_SCALE = 1.01
# ... or, at any scale, when the page's four corner marks and its QR code all lie on the image by at least
# this (mm) under the fit to the printed boxes: they were scanned, yet not found (a staple across a mark into
# the QR code's finder, stickers, ink), which no new scan mends; a page turned or shifted partly out of the
# image has a mark off its edge. One mm: twice CORNER_CHECK_MAX_RESIDUAL_MM, the largest residual a fit is kept with.
MARKS_ON_IMAGE_MIN_MM = 1.0
# A box of a page is read only when its outline, grown by this (mm) on every side, lies wholly on the image
# (omr.scan.page.boxes_off_image); otherwise its question goes to review. Half a mm: a mark that starts at
# the box's edge (a tick's foot, a cross's arm ends) lies within 0.5 mm of the outline, and half
# MARKS_ON_IMAGE_MIN_MM keeps the rule off pages whose box rows sit 1 mm from an edge the fit places
# within its residual (bench/hunt/deliver.py letter: A4 on Letter, the last row 1-3 mm past the edge).
BOX_ON_IMAGE_MIN_MM = 0.5
# A box of omr's own form whose printed outline is inked along less than this share of one side
# (printed_boxes.outline_continuity, the sides' least), on a page whose boxes' median is OWN_RIM_MIN_SHARE or
# more, lost print there (cut, torn, covered): its question goes to review (omr.scan.page._review_broken_outlines).
# 0.6: a box cut 1 mm or more keeps none of its bottom side (0.0) and its sides' 4 mm of 5 (0.8 of a side
# less the band's ends); a JPEG dropout or a fold breaks 0.1-0.2 of a side (OWN_RIM_MIN_SHARE's 0.9 margin).
CUT_OUTLINE_MIN_SHARE = 0.6
# ... measured only on boxes whose box-search outline score is under this share of the page's median (a box
# that lost one side lost a quarter of its outline's ink or more: 0.75 and under; 0.9 leaves a margin for the
# part-side cuts), and the page's print judged on a sample of this many boxes: ~0.5 ms CPU a page instead of
# ~4.5 ms measuring every box (bench/hunt/deliver.py letter pages, time.process_time, loaded machine).
CUT_OUTLINE_SCORE_SHARE = 0.9
CUT_RIM_SAMPLE = 15
REGISTER_MAX_FEATURES = 4000
# Lowered from OpenCV's 0.04: thin printed lines on white give weak responses.
REGISTER_CONTRAST_THRESHOLD = 0.02
# Lowe's ratio test: a match must be clearly better than the second best
# (bubble grids repeat, so ambiguous matches are common and must go).
REGISTER_RATIO = 0.8
# Query rows per block when matching descriptors (register.nearest_two): 1,000 x 4,000 float32 is a 16 MB
# block of distances, where the whole 4,000 x 4,000 matrix (64 MB) would lift a reading worker past the
# 200 MB line of issue #18. SIFT's 4,000 x 4,000 (OMRChecker's sample6 blank against two photos, CPU, loaded
# machine, 2026-12-03, h16fast): 1,000 rows 0.075-0.165 s, the whole matrix 0.072-0.148, 500 rows
# 0.131-0.163, 250 rows 0.26-0.27 (numpy's product has a per-call cost); cv2.BFMatcher 0.44.
MATCH_BLOCK_ROWS = 1000
# RANSAC reprojection tolerance at the working scale (px), and the fewest
# inliers that make a registration (a real copy gives hundreds).
REGISTER_RANSAC_PX = 4.0
REGISTER_MIN_INLIERS = 15
# Sheet outline search (phone photos on a darker background) and corner
# marker search work at this size; the sheet must cover this share of the photo.
SHEET_SEARCH_SIDE_PX = 900
SHEET_MIN_AREA_SHARE = 0.15
MARKER_SEARCH_SIDE_PX = 1000
MARKER_MIN_CORRELATION = 0.45
# The warped page is compared with its reference at this size (longer side):
# printed text and lines decide, pen marks are a small share.
SIMILARITY_SIDE_PX = 400
# A page is a copy of a reference when the similarity reaches this. Filled
# copies of the OMRChecker samples score 0.35-0.9; other forms and blank paper
# score below 0.15.
PINNED_MIN_SIMILARITY = 0.25
# Pages without fiducials take the page's black from its darkest print
# (this percentile of the aligned page), as a share of its paper.
PINNED_BLACK_PERCENTILE = 0.3
# Round bubbles are placed on their printed ring, searched within this of the
# registered position: OMRChecker templates put bubbles up to ~1.5 mm off the
# print (sample6), and neighbouring bubbles are >= 6 mm apart centre to centre.
BUBBLE_SEARCH_MM = 2.5
# The ring kernel: the printed ring is +-0.35 mm around the box's ellipse
# (thin rings blur to ~0.7 mm once resampled); paper is looked for 0.25 mm
# beyond it, out to OUTLINE_PAPER_BAND_MM.
BUBBLE_RING_HALF_WIDTH_MM = 0.35
BUBBLE_RING_CLEARANCE_MM = 0.25
# A ring is found when paper outside minus ring reaches this (ink units;
# crisp rings score 0.2-0.3, blurred or grey print 0.05-0.12); the ring
# positions are used when at least this share of the page's bubbles is found
# (others take their neighbours' offset), else registration alone places them.
BUBBLE_RING_MIN_SCORE = 0.15
# Printed rings may be larger than a template drawn elsewhere says (UmarFarootAPS: 5 mm bubbles for rings
# of ~7 mm on its roll grid and ~8 mm on its MCQ rows): the ring kernel is tried at these multiples of the
# template's bubble, per block of bubbles with the same options (roll digits, MCQ rows), on about this
# many of the block's bubbles, and a larger one kept only when its mean score is this share above the
# best so far. A 5 mm kernel in a 7 mm ring fits either side of it (r1's fits on scan-type-1: x -1.1 or
# +2.4 mm; with 1.3, all ten at +0.84 +-0.1), so peers were measured over different parts of their bold
# digits, and the inside measured (BUBBLE_INNER_SHARE) is then that of the ring found.
BUBBLE_RING_SCALES = (1.0, 1.15, 1.3, 1.45)
BUBBLE_RING_SCALE_SAMPLE = 60
BUBBLE_RING_SCALE_MARGIN = 0.1
# The scale of each block is measured once on the template's reference image (bubbles.printed_ring_scales:
# the form's print where the template places its bubbles), not on every page: on OMRChecker's 29 samples the
# pages' own choices agreed with their reference on 26 sheets; the 3 others were Sandeep-1507's two phone
# photos of similarity 0.37-0.39 (1.3 for 1.0) and UPSC-mock's angle-3 (1.0 for 1.15), and choosing on each
# page cost ~12 % of a sheet's CPU (branch h16sp). The measures of this many page layouts are kept per process
# (as many references as register.load_reference keeps).
PRINTED_RING_SCALES_KEPT = 32
# Round bubbles' insides are measured this many at a time (bubbles.inner_darkness_all): 128 windows of
# ~92 x 92 px make a ~9 MB boolean stack and ~70 MB of float64 temporaries at most, far under a
# worker's 200 MB (#18), while the per-call overhead is spread over the chunk.
INNER_DARKNESS_CHUNK = 128
# Ring windows matched side by side in one strip (bubbles.ring_fits): 400 windows of 84 x 84 px (5 mm
# bubbles at 8 px/mm) took 0.105 ms a window in strips of 20 against 0.152 one by one (CPU, 2026-12-03,
# h16fast, loaded machine); 20 x 84 x ~120 px float32 is ~0.8 MB a strip.
RING_MATCH_BATCH = 20
BUBBLE_RING_MIN_SHARE = 0.5
# Each bubble's offset is the median of the rings found nearest to it: one fit
# is noisy (+-1 mm on a blurred 850 px scan), the misplacement varies slowly.
BUBBLE_RING_NEIGHBOURS = 12
# Filled bubbles ("marks: fill"): a box's darkness is its mean ink over its
# inner part (this share of its size: the printed ring stays out).
BUBBLE_INNER_SHARE = 0.6
# Printed letters and digits inside empty bubbles measure 0.1-0.75 (bold
# letters on small bubbles): a bubble's mark is its ink beyond the lower quartile of
# the same option on the page, once at least this many share it.
BUBBLE_BASELINE_MIN = 3
# Their lower quartile, not the median: on the Adrian sample 3 of 5 rows chose B,
# and the median of the B bubbles was a filled one.
BUBBLE_BASELINE_PERCENTILE = 25
# The page's threshold on that excess: the largest jump between sorted
# excesses two apart (OMRChecker's looseness) if at least BUBBLE_MIN_JUMP,
# held down to the empty bubbles' median plus BUBBLE_NOISE_SIGMAS robust
# deviations, never below BUBBLE_MIN_EXCESS. On the OMRChecker samples empty
# bubbles' excess stays below 0.05 on clean sheets and 0.2 on a blurred
# 850 px scan; light pencil fills reach 0.08-0.3, pen 0.3-0.9.
BUBBLE_MIN_EXCESS = 0.06
BUBBLE_MIN_JUMP = 0.05
BUBBLE_NOISE_SIGMAS = 6.0
# A bubble at least this far above the median of its own question's bubbles
# is marked even under the page threshold (a light fill on a page of dark ones).
BUBBLE_QUESTION_CONTRAST = 0.12
# Without any bubbles to compare (never in practice), this darkness is a mark.
BUBBLE_FIXED_THRESHOLD = 0.45
# Bubbles within this of the decision go to review.
BUBBLE_UNSURE = 0.03
# A hard shadow edge (a hand, a phone) across the bubble columns of a photographed form made elsewhere:
# the paper map (PAPER_WINDOW_MM max filter) keeps the lit paper for ~4.5 mm into the shade, so an
# empty bubble there measured ~0.3 darker and read filled (bench/hunt/elsewhere.py photo seed 11:
# 2 SILENT on sample3, hshade). A mark's own paper: its window (the ring's search window, ~3 mm round
# the bubble) from BUBBLE_SHADOW_GAP ring radii out (past the ring's stroke and a fill's spill) to
# BUBBLE_SHADOW_BAND_MM beyond, cut in four quarters (left, right, above, below), each quarter's
# BUBBLE_SHADOW_PERCENTILE grey (print, neighbours' rings and fills skipped), the darkest quarter's
# taken. Only when that is BUBBLE_SHADOW_STEP below the map's (the hunt's shadows take 25-70 % of the
# light) is the page measured again against each ring's own paper, and a mark that then falls under
# BUBBLE_UNSURE is uncertain (review), never empty. A band of 1 mm at the 80th percentile took the
# spill of real fills for paper and sent 158 more fields of the 29 real sheets to review
# (community_Sandeep_1507, Shamanth, UPSC_mock); 3 mm at the 90th keeps 1,760 agree / 131 review.
BUBBLE_SHADOW_GAP = 1.2
BUBBLE_SHADOW_BAND_MM = 3.0
BUBBLE_SHADOW_PERCENTILE = 90
BUBBLE_SHADOW_STEP = 0.1
# ring_paper samples every BUBBLE_SHADOW_STRIDE-th pixel each way (K px/mm): paper is smooth at that
# scale, and a quarter keeps ~100 pixels.
BUBBLE_SHADOW_STRIDE = 2
# A bubble not read as a mark but within this darkness of its question's lightest mark (or darker) is
# uncertain: on OMRChecker's sample2 (525 x 700 px, most rows chose B, so B's printed baseline is a
# filled B) a second fill drawn in B measured 0.551 and 0.558 beside marks of 0.585 and 0.539 and read
# empty, the question A ok (bench/hunt/elsewhere.py two, 2026-12-03, hhunt5). Empty bubbles of the
# 29 sample sheets lie far below their question's mark (bold letters ~0.4 against fills 0.6-1.0).
BUBBLE_RIVAL_MARGIN = 0.05
# A bubble with no peers to tell its print (fewer than BUBBLE_BASELINE_MIN open bubbles of its option and
# of its own question: a two-circle question) is compared with the page's median only; at least this
# much darker than it, it is never a sure blank. Measured (bench/hunt/elsewhere.py office, 2026-12-04,
# hfill): a pen cross over a circled «B» 0.36 above the median (circled-letters/1 Q12, seed 12), crosses
# in «Nam» and «Nữ» 0.28 and 0.29 (two-pages/2 Q9, seed 13), all read empty at confidence 1.0 under a
# page threshold of 0.48-0.49; the unpeered printed letters of circled-letters/1 lie -0.15..+0.02 from
# it, its boldest letter (B, 0.41-0.55 where peers measure it) would stand 0.21 above it.
BUBBLE_UNPEERED_INK = 0.25
# A bubble not read as a mark whose printed baseline may be a mark (its option's peers half marks, or five
# or fewer open: bubbles.marked_baselines) is unsure at this much above its lightest unmarked peer (or the
# page's threshold if lower). Measured (2026-12-04, hsmall; tests/test_bubble_marked_baseline.py and
# elsewhere.py styles two, a5-circled-b photocopied): empty circled digits of one option lie within
# 0.02-0.03 of each other (④ 0.535-0.552, ⑤ 0.49-0.51), ballpoint crosses over them 0.10-0.30 above
# (⑤ crossed 0.147 above under a page threshold of 0.191, set between the crosses and the fills). The same
# step tells a bubble "solid" by its darkness alone from its option's print (bubbles.print_dark_as_fill): a
# bold ④ on a dark photocopy measured 0.71-0.79 empty (tests/test_shadow_edge_row.py), pen fills 1.0.
BUBBLE_PEER_STEP = 0.1
# On a 1-bit page, when the marks still seen have a median darkness under this, the fills were cut down
# by the scan's threshold (pencil) and every question read blank has its darkest bubble unsure
# (bubbles.eaten_blanks). Measured (2026-12-04, helse2; OMRChecker's 29 sheets cut at 110, 120, 130): the
# median darkness of the marks read on sample4's pencil sheets 0.35-0.54 (a «D» lost entirely at 115 and
# 135: elsewhere.py binary seed 13), UPSC angle-3 at 110 0.39 (its fills eaten too); pen fills 0.62-1.0
# (adrian's small sheets lowest, 0.62-0.69; UPSC, Sandeep, sample3, sample5 0.71-1.0).
BUBBLE_FAINT_MARKS = 0.55
# Finding boxes on a blank form (omr template from-blank; sizes and the rest: the #16 block at the end):
# a text frame is at least 40 x 8 mm; a bubble's circularity (4 pi area / perimeter^2) is above 0.75
# (a square's is 0.785 but it has four corners).
BLANK_BUBBLE_MIN_CIRCULARITY = 0.75
BLANK_FRAME_MIN_MM = (40.0, 8.0)
# A frame whose inside (less 0.5 mm from its line, the line's blur at 150-300 dpi) is inked above
# this share holds print: a table cell with a label, not a writing frame (second new-user trial: the
# 75 x 9 mm label cells of a 1-5 table, two wrapped lines of 11 pt text, ink 0.19 of their inside at
# 200 dpi and were proposed as 4 writing frames Y1-Y4). An empty frame inks 0; dotted writing guides
# (0.3 mm every 6-8 mm) about 0.02; a short label "Ý kiến khác:" beside the writing space (a quarter
# of the width) about 0.05, and stays a frame. Half the measured label cells' share, above these.
BLANK_FRAME_MAX_INSIDE_INK = 0.09
BLANK_FRAME_INSIDE_MARGIN_MM = 0.5
# A frame is one cell of a larger table when one of its walls runs on past a corner, solid (this share of
# a line's pixels) from 1.2 to 3 mm beyond its hole: the walls are 0.1-0.5 mm (WALL: the band searched
# for them) and the next cell is at least a box's width away; a lone comment box's walls stop at its
# corners (inked 0 there on the fresh user's LibreOffice blank, 1.0 where its table's rules run on).
BLANK_CELL_RULE_MM = (1.2, 3.0)
BLANK_CELL_WALL_MM = 0.4
BLANK_CELL_RULE_SOLID = 0.9
# Such a cell holding print is a label or header cell, not a place to write. Without the page's words,
# print is an inside inked above this share: the fresh user's «Nội dung» header cell (one short word in
# a 59 x 14 mm cell) inks 0.025 at 200 dpi, an empty cell 0; dotted guides (~0.02, above) stay below the
# words' rule only when the words are read.
BLANK_CELL_LABEL_MIN_INK = 0.015
# A writing frame's name is the printed line right above it within 10 mm (a question's line at 11-14 pt
# sits 1-5 mm above its box), or a label left of its first line within 60 mm (a table's label column,
# «Ghi rõ:» before a box: the fresh user's label cells were 59 mm wide).
BLANK_FRAME_LABEL_MM = 10.0
BLANK_FRAME_LEFT_LABEL_MM = 60.0
# Boxes on one line belong to one question unless a gap this wide (or 2.5 times
# the line's usual gap) separates them: two questions side by side.
BLANK_QUESTION_GAP_MM = 40.0
# Lone boxes stacked one per line at most this far apart are one question's options.
BLANK_STACK_MAX_MM = 12.0
# A page set in newspaper columns (Word: Layout > Columns): a vertical strip at least 4 mm wide that no
# printed word or box crosses beside the boxes, with at least 2 question starts («Câu 5.», «4.») at the
# head of a line on each side, parts the page into columns grouped one after the other. 4 mm: wider than
# a word space at 14 pt (~1.5 mm) or a double space; Word's default spacing is 12.5 mm, the held-out
# two-column blanks (tests/data/office-blanks-styles) leave 10 mm plus the ragged right (issue #16).
BLANK_PAGE_GUTTER_MIN_MM = 4.0
BLANK_COLUMN_MIN_QUESTIONS = 2

# --- Issue 13 (ingest half, branch h13a): what scanners and phones write, hostile files ---
# Pages per file: a scanner's feeder holds 50-100 sheets and a batch box 500
# sheets (1000 pages, both sides); twice that is still a real file, more is
# not a scan batch but a hostile or broken file (a PNG declaring 2^31 frames).
MAX_PAGES_PER_FILE = 2000
# A PDF cut short is rescued page by page (omr.scan.ingest.salvage_truncated_pdf) only up to this size,
# as it is read whole into memory: 500 pages of a 300 dpi JPEG scan are ~400 MB; larger files are
# refused whole as before, with the advice to copy the file again.
PDF_SALVAGE_MAX_BYTES = 512 * 1024 * 1024
# How many objects one rescued page may draw on (its contents, resources, images, fonts): a scanned
# page has 3-10; a bound keeps a crafted file's reference web from being walked for long.
PDF_SALVAGE_MAX_REFERENCES = 10_000
# Seconds to load and read one page: a page reads in 0.1-0.5 s on one core
# (specimen pages at 200 dpi, the 300 dpi cases; measured on the 2-core build
# machine under load), a few seconds with Tesseract drafting comments; 60 s
# leaves room for a machine shared by other work, and is still short enough
# that a page that hangs a decoder is named and skipped, not the batch stopped.
MAX_SECONDS_PER_PAGE = 60.0
# The page's seconds above (and EDITOR_SECONDS_PER_PAGE) do not count the time a worker waited for a CPU
# held by other programs (omr.scan.page_workers, Linux schedstat): the fresh-user trial's 1-page 200 dpi
# try-on (3 s of CPU) failed its 20 s on a machine with a load of ~15 on 2 cores, and a batch of the
# trial's Writer form lost both pages to the 60 s at a load of 31. A page still stops after 4 times its
# bound of wall time in all, whatever the load (a reader must not hold an upload for ever).
WORKER_WALL_BOUND_FACTOR = 4.0
# Seconds to count a file's pages (frames are walked, never taken from the
# header): a TIFF's 1000 directories are walked in 0.4 s.
MAX_SECONDS_TO_COUNT_PAGES = 30.0
# A PDF page's embedded image, when its dictionary is not plain (a mask,
# /Decode, another colour space), is checked against a render of the whole
# page at this resolution (A4: 149 x 211 px; 15 ms for a Flate stencil page,
# ~50 ms for a JPEG page, which pdfium decodes whole): enough to see an
# inverted, masked or misplaced image.
PDF_CHECK_DPI = 18
# The embedded image (downsampled to the check render) is the page as painted
# when their mean difference is at most this many grey levels. Measured:
# resampling alone differs by 0.1-1.3 levels on simulated office, harsh and
# phone JPEG pages and by 6 on an 8-bit Flate page (pdfium downsamples fine
# lines differently); a stencil (/ImageMask) taken as decoded by 227-233, an
# image painted through its soft mask by 241. A false alarm only costs a render.
PDF_CHECK_MAX_MEAN_DIFF = 12.0
# ... and when at most this share of the check pixels differ by more than
# PDF_CHECK_PIXEL_DIFF levels (a mask over one corner changes few pixels a
# lot). Measured: resampling <= 0.3 % of pixels, the stencil and soft-mask
# cases 94-99 %.
PDF_CHECK_MAX_DIFF_SHARE = 0.02
PDF_CHECK_PIXEL_DIFF = 96
# A page rendered because its image is not used as is, is rendered at the
# image's own resolution within these bounds (dpi): the 200 dpi floor is
# where boxes and handwriting still read (see CANONICAL_PX_PER_MM), above
# 400 dpi only costs memory.
PDF_RENDER_DPI_RANGE = (200.0, 400.0)
# A PDF page's one image is decoded directly (not rendered) only when it is,
# within this share of each side, the page a viewer shows: it covers at least
# 95 % of the shown width and height (a scan placed fit-to-page at 96 % still
# holds every mark; the 0.95 this replaces, kept) and sticks out of the shown
# box (crop box) by at most 5 % on any edge. A page cropped to half of an A3
# scan sticks out by 100 %: rendered, so only the half the viewer shows is read.
PDF_IMAGE_FIT_SHARE = 0.05
# Data memory of one page-reading worker process (bytes, RLIMIT_DATA: heap and
# private writable mappings, not the address space reserved for thread
# arenas, which grows with the cores): a worker reading specimen and case
# pages peaks at ~0.2 GB resident; a 60 MP page (MAX_PAGE_PIXELS) in grey and
# its float working copies need ~1.5 GB. 4 GiB bounds a decompression bomb
# that gets past the pixel check to one failed page, not the machine.
WORKER_MAX_MEMORY_BYTES = 4 * 1024 ** 3
# Times the web server may stop while reading one uploaded file before that
# file is set aside at start-up: once can be an ordinary restart (an update,
# a power cut); twice on the same file is the file.
JOB_FILE_MAX_ATTEMPTS = 2
# --- #17: security of the review app, reports people read ----------------------------------------
# Passwords longer than this are refused: Argon2 would take them, but zxcvbn's cost grows with the
# square of the length, and no one types a 128-character pass phrase.
MAX_PASSWORD_LENGTH = 128
# zxcvbn score (0-4) every password needs, even one an admin hands out: 1 refuses the top of the
# common-password lists ("12345678", "password1", eight spaces score 0) and nothing else.
MIN_INITIAL_PASSWORD_SCORE = 1
# zxcvbn score a user's own password needs: 3 = "safely unguessable: moderate protection from an
# offline slow-hash scenario" (at least 10^8 guesses; zxcvbn README, Wheeler 2016). Online guessing is
# also throttled; 3 still holds if the Argon2 hashes in a stolen database backup are attacked offline.
MIN_CHOSEN_PASSWORD_SCORE = 3
# Words an attacker of this app knows: its name, the demo passwords printed by `make demo` and the
# Vietnamese words people build passwords from. zxcvbn counts them as a dictionary of guesses.
PASSWORD_PUBLIC_WORDS = ("omr", "motcua", "mot-cua", "quantri", "quantri-demo", "nhanvien", "nhanvien-demo",
                         "kiemtra", "kiemtra-demo", "demo", "matkhau", "mat-khau", "admin", "scanner",
                         "reviewer", "phuong", "ubnd", "hanhchinh", "vietnam")
# Failed logins allowed for one account name from one client address (omr.web.throttle: counted per
# address, so a guesser elsewhere cannot lock a user out): five typing mistakes in a quarter of an hour is a
# person; more is guessing. After that the account answers 429 until the window ends, even to the
# right password (OWASP Authentication Cheat Sheet: lock out after a small number of failures).
LOGIN_FAILURES_PER_ACCOUNT = "5 per 15 minutes"
# Failed logins allowed from one address over all names: an office behind one NAT address has a
# few dozen staff, so this is several people's mistakes, and stops one machine trying many names.
LOGIN_FAILURES_PER_ADDRESS = "20 per 15 minutes"
# Failed logins allowed for one account name over all addresses, except from an address where that
# account logged in before (it is the user's own desk): 30 addresses guessing 4 times each at "admin"
# were never slowed (fresh-user trial). Four people's worth of typing mistakes (4 x the per-account 5)
# in a quarter of an hour; after that guesses at the name from new addresses wait until the window
# moves on (15 minutes at most, never a lock for good), while the user's known address still logs in.
LOGIN_FAILURES_PER_NAME = "20 per 15 minutes"
# Addresses remembered per account name as "logged in here before" (a user's desk, laptop, phone, the
# office NAT); older ones are forgotten first. Bounds the memory a name holds.
LOGIN_KNOWN_ADDRESSES_PER_NAME = 20
# A login nobody uses for this long ends (the next request goes to the login page). Longer than the
# office lunch break and nap (11:30-13:30) with a margin, so a reviewer who comes back stays in;
# shorter than an evening, so a browser left open on a shared office PC, or a cookie copied from it,
# does not open the app the next morning (before, a cookie lived Flask's default 31 days).
SESSION_IDLE_HOURS = 3
# A login ends this long after it started, however busy: a copied cookie kept in use still dies
# within a working day. The same 12 hours as a page's CSRF token (WEB_CSRF_TIME_LIMIT_S).
SESSION_MAX_HOURS = 12
# The last-seen time in the cookie is renewed at most this often: not every image request rewrites the
# cookie, and the idle limit is still exact to a minute.
SESSION_SEEN_STEP_S = 60
# Reports rank a unit only with at least this many responses in the period. With fewer, one or two
# respondents move its index by several points and a ward can top the table on one form; 30 is the
# usual minimum sample for comparing means (central limit rule of thumb). Others are listed unranked.
RANKING_MIN_RESPONSES = 30
# `omr show` draws the reads on the page at this resolution (dpi), never above the scan's own: at
# 150 dpi a 5 mm box is 30 px and 3.6 mm handwriting ~21 px high, both legible; the demo's two-page
# sheet-000001.png falls from 13 MB (200 dpi RGB) to ~0.6 MB with SHOW_GREY_LEVELS (measured on the
# `make demo` office-profile scan: 2.3 MB at 150 dpi with 256 greys, 0.65 MB with 16).
SHOW_DPI = 150
# ... and with this many grey levels (a palette PNG, plus the state colours): scan noise in the paper
# is what makes a PNG big; 16 levels (steps of 17) keep a faint pencil mark (~190-210 grey on
# ~235 paper) apart from the paper.
SHOW_GREY_LEVELS = 16
# /progress shows a reviewer's items per hour only after this much working time (minutes). Before it
# the rate rests on a handful of items and on the gap guessed for the first one: three answers in
# 20 s would show ~500 per hour. At the 10-30 s a reviewer spends per item, 10 minutes is 20-60
# items, so the one guessed gap is at most ~5 % of the time. Shorter spans show "—".
RATE_MIN_WORKED_MINUTES = 10
# Trimming a comment crop to its writing for the reports: a pixel darker than this grey (0-255) is
# writing. Stored crops are whitened to exactly 255 around the writing (omr.comments); on the six
# crops of a 12-sheet "office" specimen batch 97-98 % of pixels are 255, the other pixels have a
# median of 77-140, and those between 210 and 254 are only the soft edges of the same strokes.
CROP_TRIM_INK_LEVEL = 210
# and this much paper (px of the ~200 dpi crop, ~1 mm) is kept around it so no stroke touches the edge.
CROP_TRIM_MARGIN_PX = 8
# --- issue #15: handwriting recogniser, lines from the ink, drafts, post-correction ---
# asterocr's training loader resizes every line to 32 px high (asterocr/dataset/loader.py).
ASTER_INPUT_HEIGHT_PX = 32
# ... and caps its width at 480 px: wider inputs were never seen in training, so
# longer lines are read in pieces cut at word gaps.
ASTER_MAX_WIDTH_PX = 480
# Rival readings kept per character: the third rarely matters, the fourth never did.
RECOGNISER_ALTERNATIVES = 3
# Lines from the ink (comments.ink_lines), on the clean crop (writing made pen-black,
# paper 255): below this grey a pixel is writing; its anti-aliased edge is kept apart.
LINE_INK_GREY = 160
# A component this tall is a letter body; tone marks (~0.5-1 mm), dots and commas are
# smaller. The x-height of handwriting on the form's 8 mm line pitch is 1.7-3 mm.
LINE_BODY_MIN_MM = 1.2
# A body continues a line when its centre is within this many median body heights of
# the line's last bodies: letters of one line wander by a third of their height,
# neighbouring lines are 3-4 body heights apart.
LINE_JOIN_HEIGHTS = 0.6
# A mark belongs to a body it overlaps horizontally, give or take this much.
LINE_MARK_REACH_MM = 0.5
# Distance below a body counts this many times over: Vietnamese tone marks and hats
# sit above their letter, only the dot of nặng sits below.
LINE_MARK_BELOW_PENALTY = 2.0
# Paper kept around a line's ink: asterocr's training lines have a thin margin.
LINE_MARGIN_MM = 0.8
# Post-correction (omr.postcorrect). A letter the recogniser gives less than this
# probability is open to its rivals. On 120 hard synthetic lines 87 % of asterocr's
# right letters are at or above 0.9 and 82 % of its wrong ones below.
SNAP_UNSURE_CHAR = 0.9
# At most this many letters of a word are swapped: with the letter and its 3 rivals,
# 4^4 = 256 spellings at worst, a few milliseconds.
SNAP_MAX_POSITIONS = 4
# A rival letter below this probability is noise, not a reading.
SNAP_MIN_ALTERNATIVE_PROB = 0.02
# A domain word (lexicon, service terms, unit names) may win over a likelier plain
# syllable when it is at most 3 times less probable (log 3): enough to fix a tone mark,
# not enough to turn an ordinary word into a complaint.
SNAP_DOMAIN_BONUS = 1.1
# A rival spelling within 20 times (log 20) of the chosen one is kept as an alternative
# (for "có thể" flags); less likely ones are noise.
SNAP_RIVAL_LOG_ODDS = 3.0
# Alternative lines tried for "có thể" flags: one per uncertain word, at most this many.
SNAP_MAX_ALTERNATIVE_LINES = 8
# A word that is still no Vietnamese spelling after correction is most likely wrong:
# it counts for half its confidence in the line's.
SNAP_INVALID_WORD_FACTOR = 0.5
# Numbers in drafts (omr.postcorrect.number_unsure). A digit or separator read below this
# probability leaves the number unsure: the reviewer is shown it marked and the draft is never
# "likely correct". 0.98, not SNAP_UNSURE_CHAR's 0.9: a wrong digit changes an amount, a wrong
# letter a spelling (bench/comments.py --amounts, hhand: see docs/benchmarks.md).
NUMBER_SURE_CHAR = 0.98
# A digit or separator the engine saw between two characters without writing it, at this
# probability or more, leaves the number unsure: «1,5 triệu» read «15 triệu» at 1.00 for both
# digits showed its comma at 0.034 in the gap (synthetic line, hhand).
NUMBER_MISSED_PROB = 0.02
# Lexicon terms respelt from a reading (omr.postcorrect.fix_lexicon_terms) at most this many tone or hat
# marks away: «bỏi dưỡng» → «bồi dưỡng» is one; «phòng bị» (be prepared) is two from «phong bì».
LEXICON_FIX_MAX_MARKS = 1
# Drafts (comments.comment_quality, comments.draft_shown), confidence 0-100. Calibrated
# on 240 hard synthetic lines (bench/comments.py --calibrate 240; overall CER 0.23, near
# asterocr's 0.24 on real lines): below 50 the mean CER is 0.70 and 90 % of drafts are
# more than half wrong (fixing costs more than typing); 50-60: 0.52; 60-70: 0.40;
# >= 98: 0.016. Real handwriting may spread differently: re-run on real lines when any
# with a licence for tests are found.
DRAFT_SHOW_MIN_CONFIDENCE = 50.0
# "Likely correct" (a quick check is enough): mean CER 0.016 at >= 98 on the same lines.
DRAFT_LIKELY_MIN_CONFIDENCE = 98.0
# "Likely correct" needs a sentence, not a fragment: a fresh user's trial saw «chu đáo:» (two words, every
# syllable valid on its own, confidence 100) marked likely correct. The spelling check says nothing of a
# word or two out of context; the shortest whole comments people write are three words («Rất hài lòng»,
# «Cán bộ nhiệt tình»). Shorter drafts are still shown when confident, only without the «quick check» hint.
DRAFT_LIKELY_MIN_WORDS = 3
# Bounds on ink_lines' work: three lines of handwriting make ~150-500 components; a
# field scribbled over or printed with a halftone makes thousands, and chaining them
# costs components x bodies. Beyond this many only the largest are kept.
LINE_MAX_COMPONENTS = 1500
# A comment box holds 3 guide lines; writing half as high fits 6. More "lines" are noise.
LINE_MAX_LINES = 8
# --- Page geometry and lighting (issue #13 items 3-4, page turns, two pages per image: branch h13b) ---
# Lighting is flattened (omr.scan.lighting) by a closing over this window (mm): wider
# than anything printed that must stay ink (a 6 mm corner mark, a 5 mm box with
# its 0.3 mm outline, a word), narrower than a shadow's lit and dark parts.
LIGHT_WINDOW_MM = 11.0
# ... computed at this resolution (px/mm): a sharp edge of light is placed
# within 0.25 mm, and the last step (omr.scan.lighting.paper_background: the darker
# neighbour wins, then the pixel's own paper) takes out the rest. Ink within
# ~2 work px of the edge on its lit side is divided by the shaded paper and
# fades: at 2 px/mm a faint tick crossing a shadow's edge was lost (simulated
# shadow photos), at 4 px/mm only its last ~0.5 mm. A full-resolution closing
# would cost ~0.1 s a page.
LIGHT_WORK_PX_PER_MM = 4.0
# ... after a median filter over this width (mm): JPEG and sensor noise (sigma
# 3-9 grey levels) would otherwise lift the closing's paper level by ~3 sigma,
# which is 2-3 times more of the paper where a shadow halves the light: empty
# boxes in a shadow measured ~0.05 darker than lit ones and went to review.
# A median keeps a shadow's edge sharp (a blur left a bright and a dark line).
LIGHT_NOISE_MEDIAN_MM = 1.25
# Paper darker than this share of the lit paper (a black scanner lid) is not
# brightened further: dividing by less only amplifies noise. A hard shadow
# takes up to 70 % of the light and a phone's fall-off another 20-40 %, so
# shaded paper can be at 0.2 of the lit paper; a table around a photo ~0.25.
LIGHT_MIN_BACKGROUND_SHARE = 0.12
# A page set aside without its corner marks found, whose one half is mostly dark in the image as stored
# (omr.scan.page.dark_share): a scanner lid left open or a hard shadow over that side. Said so ("too_dark",
# with what happened), not "turned 45°": the dark half's straight edge was what the skew measure found.
# A block (~4 mm) is dark below 0.4 of the lit paper. Measured (dark_share, 6 seeds x 2 pages): office and
# harsh scans 0-0.4 %; a dark wooden desk around a photographed sheet (bench/hunt/photo.py's photograph)
# 26-28 % (a band along every side); a half left black, or at 0.3 of its light in a 1-bit scan, ~100 %.
# 0.6: between the two, with room for a shadow that covers most of a half.
DARK_PART_LEVEL = 0.4
DARK_PART_MIN_SHARE = 0.6
# A decoded QR code is the page's own only when, re-drawn from its payload and
# compared module by module, the plain symbol matches better than its mirror
# image by this share of modules (a clean read matches ~100 % one way and
# ~50 % the other; a noisy phone photo still ~85 % against ~50 %).
QR_MIRROR_MARGIN = 0.1
# ... and when its dark modules are at least this much darker than its light
# ones (share of the light level): print measures 0.5-0.9 even on grey
# photocopies, a back page seen through 70-80 g/m2 paper 0.05-0.15 (BLEED_ALPHA
# in omr.simulate), yet zxing-cpp decodes it.
QR_MIN_CONTRAST = 0.3
# A QR code read module by module (omr.scan.identify.read_code_by_modules, for halftone photocopies):
# the symbol sizes omr's payloads take (versions 1-4: 21-33 modules; a payload with a unit code is
# version 3 or 4 at error correction M), ...
QR_MODULE_COUNTS = (29, 33, 25, 21)
# ... the grid's shifts tried, in modules (the corner marks place the code to ~0.2 mm, a third of a
# 0.6 mm module; a half-module shift each way covers a worse print or feed), ...
QR_MODULE_SHIFTS = ((0.0, 0.0), (0.35, 0.0), (-0.35, 0.0), (0.0, 0.35), (0.0, -0.35),
                    (0.35, 0.35), (-0.35, -0.35), (0.35, -0.35), (-0.35, 0.35))
# ... and the share of modules that must agree with the decoded payload's own print: error correction M
# repairs ~15 % of codewords, so a decode from modules agreeing less is not trusted as the page's code.
QR_MODULE_MIN_AGREEMENT = 0.85
# ... and when its centre lies within this distance of the printed QR place
# under the corner marks' homography (the crop searched is the QR plus 4 mm).
QR_PLACE_TOLERANCE_MM = 5.0
# A homography from the corner marks is trusted when the ordinary box search
# finds at least this share of the page's box outlines (a filled page shows
# ~97 %, a page shifted by a wrong corner mark far fewer) and its residual is
# within ALIGN_REVIEW_MM; otherwise a covered mark is suspected (omr.scan.page_geometry).
CORNER_CHECK_MIN_BOX_SHARE = 0.8
# Re-fitting a rebuilt homography to the boxes: each outline is first looked
# for this far around its predicted place. Less than half the closest pitch
# of two boxes (6.5 mm rows), so a neighbour's outline is not taken instead;
# three marks and the QR code predict boxes within ~2 mm even on phone photos.
ANCHOR_BOX_SEARCH_MM = 3.0
# RANSAC tolerance of that fit (mm on the layout): outlines are found to
# ~0.25 mm; a pen stroke that pulled a box's search off its outline is further.
ANCHOR_RANSAC_MM = 0.6
# Fewer box outlines than this do not make a fit (a page has 50-100 boxes).
ANCHOR_MIN_BOXES = 12
# The QR code's sides, measured in mm through the corner marks' homography,
# must be within this share of QR_SIZE: fit-to-page (93 %) and a phone's
# perspective change it by < 10 %; four marks of two A-size pages side by side
# (taken for one turned page) make it 1/sqrt(2) = 0.71 times as large.
QR_SIZE_TOLERANCE = 0.15
# A page whose marks do not make a rectangle is anchored on its QR code: each
# mark is looked for within this reach of where the code predicts it, plus this
# share of its distance from the code (a 0.1 mm error on the code's 18 mm side
# grows to ~2 mm at the far corner; phone perspective adds ~3 %). Blobs of a
# mark's size and shape are rare near the corners (boxes start 15 mm in).
QR_ANCHOR_REACH_MM = 3.0
QR_ANCHOR_REACH_SHARE = 0.04
# A steep phone photo (20-35°: one edge up to 35 % shorter, bench/hunt/photo.py steep) is anchored on its
# four marks found in perspective (omr.scan.identify.anchor_in_perspective). A mark's area against a 6 mm
# square at the QR code's scale: the near edge is up to 1/0.65 = 1.54x the far one's scale (area 2.4x),
# times FIDUCIAL_AREA_RANGE's room for blur and print (0.35-2.2) gives 0.15-5.
PERSPECTIVE_MARK_AREA_RANGE = (0.15, 5.0)
# ... searched at this many px per mm of the QR code's scale: at the overview's ~2 px/mm a far mark (scale
# 0.65) is 7 px wide, 2 px from the words beside it and blurred into the desk; at 4 px/mm it stands apart.
PERSPECTIVE_SEARCH_PX_PER_MM = 4.0
# ... and may be squeezed by a curling page (cases.py curl: the curled edge's marks 30 x 55 px, 1:1.8): a
# solid 1:2.2 rectangle has spread (1 + 2.2^2) / (12 * 2.2) = 0.22; a box outline or a word stays well above.
PERSPECTIVE_MARK_MAX_SPREAD = 0.22
PERSPECTIVE_MARK_MAX_ELONGATION = 2.2
# A corner mark stands 8 mm in from the paper's edge with nothing printed within 5 mm: at most this share of
# a ring half its side wide around it may be ink (blur and JPEG at its rim); a filled box among print or a
# knot in a wooden desk is surrounded by ink or dark wood (measured on photo.py steep seed 11: marks < 0.03).
PERSPECTIVE_MARK_RING_MAX_DARK = 0.1
# The outermost candidates per corner tried: 3^4 = 81 homographies, ~1 ms; a mark covered by something
# mark-like further out still leaves it among the three.
PERSPECTIVE_CANDIDATES = 3
# The four marks' homography must put each QR corner within this distance (mm) of where the code shows it:
# the true marks do within ~0.5 mm on photo.py steep photos; one wrong mark moves the code by several mm.
PERSPECTIVE_QR_MAX_ERROR_MM = 1.5
# A page covering less than this share of its image may share it with a second
# page: the image's halves are then identified too. One A4 page of a two-page
# A3 image covers ~50 %; a scan covers ~100 %, a phone photo of one page ~20-90 %
# (a 12 MP 3:4 photo with the page at 70 % of the width: 51 %). Only a gate for
# looking: the image is split only when a page lies in each half
# (omr.scan.page_geometry.pages_apart_in_halves), never for its page's share.
TWO_UP_MAX_PAGE_SHARE = 0.6
# A page found in an image with a blank other half is read as its half (pages.part) when at
# least this share of its area lies in that half. A page scanned 1.5° askew in its half of an
# A3 scan (the office simulator profile) keeps 98-99.6 % in it; a photo of one page in the middle
# of a table ~50 %.
TWO_UP_PAGE_IN_HALF_SHARE = 0.95
# A page read from an image it covers less than TWO_UP_MAX_PAGE_SHARE of, and not split: the strip of the
# image beyond the page's edge is looked at when it is at least this share of the page's width (one page
# of an A3 scan cut 22 mm, its QR code lost, leaves ~90 %; the margins of a phone photo of one page at 70 %
# of the frame ~20 % each side). Print there is said to the operator (a cut-off second page, dropped
# silently before), never read.
CUT_PAGE_MIN_STRIP_SHARE = 0.5
# ... and starts this share of the page's width beyond its edge (the page's own edge and shadow).
CUT_PAGE_EDGE_SHARE = 0.04
# A page whose boxes are found with a larger residual than this (mm; scans
# measure 0.1-0.2) is re-fitted to its box outlines before reading: a page
# anchored on its QR code, or a curled sheet, reads better for it.
CORNER_CHECK_MAX_RESIDUAL_MM = 0.5
# On a page whose lighting was flattened, the paper level (align.page_ink, a
# max filter) is capped at this share above the page's median paper: the max
# filter picks noise above the paper, and noise is 2-4 times stronger where a
# shadow was lifted, so empty boxes there read ~0.04 darker and went to review
# (simulated shadow photos: 8 % of questions to review, 2.3 % with the cap).
PAPER_MAX_OVER_MEDIAN = 1.02
# The search over rebuilt homographies stops at one that finds this share of
# the box outlines within CORNER_CHECK_MAX_RESIDUAL_MM (each try costs ~0.1 s).
CORNER_CHECK_SURE_BOX_SHARE = 0.95
# A homography re-fitted to the box outlines must keep the marks and QR code
# it was built on within this distance (mm): box grids repeat every 6.5 mm
# (rows) and 12 mm (scale columns), and a fit locked one column off still
# finds most outlines (seen on a simulated torn corner: 6 answers silently
# shifted by one column). Marks and boxes agree within ~1 mm on phone photos.
ANCHOR_AGREEMENT_MM = 2.0
# --- Box judgement against the respondent's own marks (issue #14: omr.read) ---
# A stroke's core is this percentile of the ink of a box's inked pixels: the
# pen's own darkness, little changed by how much of the box the mark covers.
STROKE_CORE_PERCENTILE = 90
# Fewer inked pixels than this (at 8 px/mm, ~0.3 mm2) have no core worth comparing.
STROKE_CORE_MIN_PX = 20
# A faint trace is connected ink above this level: below the 0.25 of a mark's
# fill, so a thin light stroke (pencil barely touching, 0.12-0.2 mm, blurred to
# ink 0.15-0.3) still joins up; JPEG noise stays < 0.12 and does not connect.
TRACE_INK_LEVEL = 0.15
# The trace is looked for this much further inside than BOX_INNER_MARGIN_MM:
# the printed outline's blur on a misregistered box must not count as a stroke.
TRACE_EDGE_TRIM_MM = 0.25
# A trace this long (mm) is a stroke, not dust: specks measure 0.2-0.6 mm. On
# specimen batches (harsh, 40 sheets) 17 of 5936 empty boxes hold traces of
# 1.0-2.4 mm (bleed-through and dust under noise), nearly without ink above
# INK_THRESHOLD (fill <= 0.005 but one); faint single strokes (habits) measure
# 2-3 mm, 5 % of them 1.0-1.75 mm with no ink above it at all. So a trace of
# TRACE_MIN_MM counts, and a shorter one from TRACE_SHORT_MIN_MM with at least
# TRACE_SHORT_MIN_FILL of the inside above INK_THRESHOLD.
TRACE_MIN_MM = 1.5
TRACE_SHORT_MIN_MM = 1.0
TRACE_SHORT_MIN_FILL = 0.005
# A pen tap: a dot in a box, too small for a mark's fill (a 0.5-0.9 mm dot fills 0.02-0.04 of a
# 5 mm box's inside, under EMPTY_MAX_FILL) and for a trace (TRACE_SHORT_MIN_MM). An 'empty' box
# whose core holds one connected blob of ink above TRACE_INK_LEVEL, reaching INK_THRESHOLD, with at
# least DOT_MIN_INK_MM2 of ink in it (its ink summed, page black = 1, mm2: blur spreads a dot but
# keeps its ink) is uncertain, never a sure blank (omr.scan.read.holds_dot). Measured (branch hdot,
# bench/small_marks.py, seed 11, 10 sheets per profile and dpi, office and harsh, 200 and 300 dpi,
# grey and 1-bit scans): dots of 0.5-0.9 mm at 55-90 % of black hold 0.155-0.92 mm2 (one on a
# 1-bit scan that kept 0.24 mm of it: 0.047, lost); dust specks of 0.2-0.3 mm at 35-85 % at most
# 0.065 mm2 on grey scans, 0.094 on 1-bit ones (a solid speck); scanner noise alone < 0.02.
# 0.12 lies between the two. Only in a question with no other ink (where the dot would read blank,
# ok): beside a mark, a dark speck of 0.5-0.6 mm (the simulator's dust at 200 dpi) is a pen tap's
# twin, and the mark is the answer; there the rule sent answered questions to review (test_off_box_marks).
DOT_MIN_INK_MM2 = 0.12
# A light stroke that a 1-bit scan broke into dots (a 0.2 mm line at 30-50 % of black, thresholded):
# an 'empty' box whose core holds ink above INK_THRESHOLD in at least SCATTER_MIN_PIECES separate
# pieces spread over at least SCATTER_MIN_MM (the larger side of their bounding box) is uncertain
# (omr.scan.read.scattered_stroke). Measured (bench/small_marks.py variants, every page 1-bit, seed 5,
# 8 sheets per profile and dpi, office and harsh, 150-300 dpi): of 61 light crosses beside a heavy one,
# 39 were erased entirely and 6 left one pixel (lost: nothing to see), the other 16 left 2-13 pieces
# over 1.1-2.9 mm (12 of them 4 or more over 1.6 mm or more), all read as the heavy box alone, ok;
# every other box of those pages (empty, dust specks 0.2-0.3 mm, photocopier specks) held at most 2
# pieces within 1.1 mm. At 3 pieces a speck of dust beside two photocopier specks counted (harsh,
# 1-bit, bench/small_marks.py 'dust'): 4.
SCATTER_MIN_PIECES = 4
SCATTER_MIN_MM = 1.5
# ... on a halftone (dithered) 1-bit scan the paper itself is scattered dots: the scanner's white point is set a
# little under the paper (bench/hunt/bilevel.py --bw dither: the page's 90th percentile), so the paper's greyer
# pixels come out as lone black dots, 1-2 % of the pixels, and every empty box's core held 7-16 pieces: 97 % of
# a dithered page's questions went to review, ``scattered`` (bench/hunt/why_review.py, bw_plain seed 11: 304 of
# 310). The pieces count as a stroke only when denser than SCATTER_PAPER_FACTOR times the page's paper dots
# (omr.scan.read.paper_dots: lone dots of at most PAPER_DOT_MAX_PX px, the median over the boxes' windows, each
# without its box and PAPER_DOT_CLEAR_MM around it). Measured (branch hbw2, 2026-12-04, /tmp probe on
# bilevel.py pages all dithered, bw_plain, bw_pencil, bw_erase_partial, bw_tickcross, seed 5, 6 sheets, 48
# pages, 200 and 300 dpi): of 3,363 empty boxes (fill <= EMPTY_MAX_FILL, truth not marked) the core's pieces per
# px over the paper's dots: median 1.05, 99th percentile 1.73, 99.9th 2.08, max 2.59; no box marked in truth
# (pencil included: dithered, grey pencil keeps its dots' density, fill 0.1 and more) read that empty. On a
# grey or thresholded page the paper has no lone dots (0) and the rule is as before. A lone dot is 1-2 px: a
# dithered paper pixel (200 dpi), or one spread over two canonical px (300 dpi resampled to 8 px/mm).
SCATTER_PAPER_FACTOR = 2.0
PAPER_DOT_MAX_PX = 2
# 0.6 mm: clear of a pen stroke running out of the box by its width (0.3-0.5 mm) and the printed outline's.
PAPER_DOT_CLEAR_MM = 0.6
# The respondent's typical mark is known once the page has this many marks
# (a page of the default form has 15-20): one or two may be the odd ones out.
MIN_MARKS_FOR_HABIT = 4
# A mark whose core is lighter than this share of the respondent's typical
# core is doubtful: erased pencil leaves ~0.4-0.55 of the mark's darkness,
# while one pen on one sheet varies by < 20 % (blur of thin strokes included).
# The typical core is taken over every box holding a mark's share of ink, boxes
# too full for a mark included: a felt tip's crosses all are (fill ~0.8), and
# its ink soaked through from the other side (0.25-0.6 of its darkness) was
# otherwise the page's only "marks", their own typical (hunter, felt_soak40/60).
LIGHT_MARK_SHARE = 0.62
# Coverage: the inside is cut into a grid of this many cells a side; a cell is
# covered when this share of it is ink. A cross covers its two diagonals (7-10
# of 16 cells), a scribble or a solid fill nearly all of them.
COVERAGE_GRID = 4
COVERAGE_CELL_FILL = 0.15
# A scribbled-over box covers at least this share of the cells and is at least
# this full (real scribbles 0.4-0.65, issue #14; crosses 28-49 %, see the
# EMPTY_MAX_FILL notes). Then either a line across it meets this many strokes
# (a cross or tick is met at most twice: median over specimen marks <= 2) or it
# is fuller than the respondent's typical mark and the question's other marks
# by this much (a heavy felt pen's crosses are all heavy).
SCRIBBLE_MIN_COVERAGE = 0.85
SCRIBBLE_MIN_FILL = 0.35
SCRIBBLE_MIN_STROKES = 3
SCRIBBLE_FILL_EXCESS = 0.3
# A scribble cancels its box only when the question's plain mark is sure to be the answer
# (omr.scan.read._sure_cancellation). Its stroke core must be at least this share of the
# scribble's: one pen on one sheet varies by < 20 % (LIGHT_MARK_SHARE's reason), while a felt
# tip's cross soaked through to the other side shows at 0.25-0.6 of its darkness (hunter's
# felt_soak40/60: ghosts' cores 0.36 of the page's black against the crosses' 0.91).
CANCEL_PLAIN_MIN_SHARE = LIGHT_MARK_SHARE
# A box only denser than the rest (no back and forth) is a cancellation only beside a plain
# mark met by at least this many strokes across (median over lines): a cross is met twice,
# while one stroke through a box (striking out an option not chosen), a slash or a dot is met
# once, and beside those the heavy box is as likely the cross meant (hunter, strike_box: the
# crosses 0.5-0.54 full with 2 strokes across, the strokes 0.18-0.25 with 1).
CANCEL_PLAIN_MIN_STROKES = 2
# A marked box met by SCRIBBLE_MIN_STROKES strokes across or more is a texture, not a pen's mark
# (omr.scan.read.doubt_unsure_marks: the ridges of an inked thumbprint measure 3-8 strokes across,
# bench/hunt/marks.py thumb), when its ink has greys: its darkness (mean ink) under this share of its
# fill. Thumbprints measure 0.49-0.65 (ridges fading into the paper), pen crosses on grey scans
# 0.6-0.75; on a 1-bit scan ink is 0 or 1 and darkness equals fill (harsh profile: a dithered cross
# is met by 3 strokes and more, and must stay a mark).
TEXTURE_MAX_DARKNESS_SHARE = 0.9
# A correction's mark (beside a cancelled box) covering at most this share of the COVERAGE_GRID cells
# is a sliver, asked whether it runs out of its box (omr.scan.read.doubt_unsure_marks): the rim of a
# thumbprint pressed on the box above or below covers 4 of 16 cells (0.25, bench/hunt marks.py thumb
# seeds 12-13), a pen's cross 7-10 and a tick ~6 (the COVERAGE_GRID notes).
SLIVER_MAX_COVERAGE = 0.3
# Beside a box cancelled only for being denser than the rest (rule 3 of omr.scan.read.
# judge_against_respondent, no back and forth), the plain mark must not be a stroke running out of its
# box toward another question's box at most CORRECTION_NEIGHBOUR_GAP_MM away (the next scale row's
# box lies 1.5 mm above or below, found 1.5-1.6 mm apart; 2.5 mm as printed_boxes'
# UNEXPLAINED_BOX_MARGIN_MM + OWN_CROSSING_BAND_MM): such a stroke is the end of a mark
# drawn in the gap, the neighbour question's (bench/hunt/strokes.py --kind outside seed 12 sheet 5 D5:
# D4's cross drawn below its box reached into D5's '4' beside D5's heavy cross, stored '4' ok).
# Not asked of a real scribble or fill: a circle round the next row's box crosses into a box beside it
# (tests/test_habits.py). Leaving is omr.scan.read._leaves_toward.
CORRECTION_NEIGHBOUR_GAP_MM = 2.5
# A punch hole (bench/hunt/paper.py punch: 6 mm, the scanner's black lid behind it) or any solid
# round patch over a box is read 'cancelled' from its fill, beside a real mark a "correction"
# (omr.scan.read.solid_disc). A pen's fill is the box's square (zigzags spilling 0-1.2 mm, a
# solid rectangle inside); a hole is a disc larger than the box's inscribed circle. On the ink at
# INK_THRESHOLD of the box's window, opened with a DISC_OPEN_MM disc (the 0.3 mm outline and pen
# strokes up to ~0.8 mm wide vanish, solid ink stays), the patch's deepest point within
# DISC_CENTRE_MM of the box's centre (holes punched up to ~1.5 mm off it) gives its inscribed
# radius R; a disc when R is at least DISC_MIN_RADIUS_MM (a 5 mm hole ~2.5 mm; a pen's dot 0.7-1.1 mm)
# and at most DISC_MAX_RIM_SHARE of DISC_RIM_SAMPLES points on the circle (1 + DISC_RIM_MARGIN) R around
# it lie on the patch, leaving out the longest run of them (a disc ends at R all round, running on
# only where it touches a neighbour's ink, one run; a square of half side R runs on at its four
# corners). Measured (scratch run of 5 office scans of page 1, `_draw_mark` "fill" corrections beside
# a cross/tick/slash/dot, holes 5-7 mm drawn as bench/hunt/paper.py does, lid grey 35-120, up to 1 mm
# off the box's centre; the pages of tests/test_punch_holes.py seeds 1-6, lids 35/90/120: 90 pen fills,
# 178 holes), the share by (DISC_RIM_MARGIN): fills from 0.125 (0.08) / 0.222 (0.11) / 0.18 (0.15),
# holes up to 0.333 / 0.194 / 0.083: 0.15 kept, the only margin where they do not overlap or touch
# (DISC_OPEN_MM 1.0, 1.2, 1.4 gave the same). Before the longest run was left out, holes touching
# a filled box above measured up to 0.35.
DISC_OPEN_MM = 1.0
DISC_CENTRE_MM = 1.5
DISC_MIN_RADIUS_MM = 2.2
DISC_RIM_MARGIN = 0.15
DISC_RIM_SAMPLES = 72
DISC_MAX_RIM_SHARE = 0.13  # between 0.083 (holes) and 0.18 (fills), DISC_RIM_MARGIN 0.15
# A filled box rubbed out with an eraser, a band of the fill's zigzags left dark and nothing new
# marked (bench/hunt/rework.py erase_partial: stored ok as the erased option, 6 and 10 of ~465
# questions at seeds 11 / 12), reads 'marked' like a bar drawn through the box. What no pen's mark
# has is the eraser's smear over the rest of the box: the paper the band leaves free is grey
# (15-35 % of the fill's darkness). So a marked box whose inside's ERASED_GREY_PERCENTILE-th
# percentile of ink (the lightest tenth: the paper between a mark's strokes) stands at least
# ERASED_GREY_MIN_EXCESS above its page's empty boxes (their median darkness, or its question's
# own empty boxes when those are darker: a highlighter or a stain over the whole row) is uncertain
# (omr.scan.read.erased_beneath). Measured (branch herase2, 2026-12-03): marked boxes of questions
# read ok on bench/accuracy.py --seed 2026 sheets (40 office / harsh / phone, 30 habits: 4,841
# boxes) stand -0.014..0.018 above (99th percentile 0.000); the 16 erased bands stored ok by the
# hunt at seeds 11 / 12 stand 0.113..0.211. 0.06: three times the marks' largest, half the
# erasures' smallest, and a pencil fill (ink ~0.55) rubbed to 15 % still shows 0.08.
ERASED_GREY_PERCENTILE = 10
ERASED_GREY_MIN_EXCESS = 0.06
# A tick or cross rubbed out, a piece of it left, nothing new marked (bench/hunt/rework.py
# erase_tick: 40 questions stored ok as the erased option at seed 11) keeps white paper between its
# strokes, so ERASED_GREY_* miss it. What no pen's mark has: its line is lighter than the page's
# other marks (the band the eraser missed keeps 50-80 % of the pen's darkness) and it sits in a grey
# halo (the faint ghost of the rest of the mark and the smear rubbed along the row) where a pen's
# line has a sharp edge. omr.scan.read.stroke_and_halo: the line's darkness is the
# ERASED_STROKE_PERCENTILE-th percentile of the inside's ink (its core, not its edge); the halo ratio
# counts pixels of ink ERASED_HALO_MIN_INK..INK_THRESHOLD (above paper noise after the office scan's
# JPEG, under a line) per pixel of ink. Both must hold (uncertain, never another answer). Measured
# (branch hetick, 2026-12-03): darkness / the page's median over marked boxes: 70 leftovers of the
# hunt at seed 11 0.60-0.80; 375 pen marks on the same pages 0.975-1.03; 1,330 marked boxes of
# bench/accuracy.py --profiles harsh (light pens, blur) 0.938-1.24. Halo ratio: leftovers 0.87-4.47;
# the hunt's pen marks 0.08-0.33; harsh 0-1.67 (99th percentile 0.81), hence the darkness too.
ERASED_STROKE_PERCENTILE = 97
ERASED_HALO_MIN_INK = 0.06
ERASED_STROKE_MAX_SHARE = 0.88  # between the leftovers' 0.80 and harsh pen marks' 0.938
ERASED_HALO_MIN_RATIO = 0.6  # between the hunt's pen marks' 0.33 and the leftovers' 0.87
# One pen line running over two boxes of a question (a zigzag crossing both out, a wide scrawl):
# the box it only passes through is no plain mark beside a scribbled-out box (omr.scan.read.
# _leaves_toward, hzig: 54 of 480 such questions read ok on bench/scribble_span.py before). A
# stroke leaves a box toward a side when ink within JOIN_INSIDE_MM inside that side's outline
# runs on, connected, from JOIN_EDGE_GAP_MM outside it to JOIN_OUT_MIN_MM out (or the window's
# edge, LOCAL_SEARCH_MM + OUTLINE_PAPER_BAND_MM from the layout's outline). JOIN_EDGE_GAP_MM
# clears the printed outline (~0.3 mm, its blur and a box placed ~0.1 mm off); the printed
# labels beside omr's boxes start ~1.7 mm from the outline, so text does not touch that gap;
# JOIN_OUT_MIN_MM: past a cross's overshoot (its arms end within ~0.3 mm of the outline,
# simulate._draw_mark) and past the gap to a box printed below (1.5 mm on motcua-2026).
# JOIN_ROW_TOLERANCE_MM: how far along the side the stroke may move between the inner strip and
# the gap (a sloped stroke crossing the outline band at ~30 degrees moves ~1.7 mm).
JOIN_EDGE_GAP_MM = 0.5
JOIN_INSIDE_MM = 1.2
JOIN_OUT_MIN_MM = 1.5
JOIN_ROW_TOLERANCE_MM = 1.0
# A circle around the box: ink RING_NEAR_MM to RING_FAR_MM outside the outline
# in at least this share of RING_DIRECTIONS directions, while the median box of
# its row and the question's other marks show ink in at most CIRCLE_ROW_MAX_RING
# of them. Specimen batches: circled boxes 1.0 (5th percentile); crosses with
# labels and question text around up to 0.81, empty boxes up to 0.75.
RING_NEAR_MM = 0.5
RING_FAR_MM = 2.2
RING_DIRECTIONS = 16
CIRCLE_MIN_RING = 0.9
CIRCLE_ROW_MAX_RING = 0.65
# A circle is a pen's ring: one or two strokes, cut into at most four arcs where it passes within
# RING_NEAR_MM of the box's corners, plus a printed label's letters reaching into the band. The ink
# of the band (RING_NEAR_MM to RING_FAR_MM outside the outline) must lie in at most CIRCLE_MAX_PIECES
# connected pieces of at least CIRCLE_PIECE_MIN_MM2 (JPEG specks and dust left out; 0.05 mm2 is ~3 px
# at 8 px/mm). Measured (branch hsilent, 200 dpi, loaded machine, own variants): the 17 circled
# corrections of `omr forms simulate` habits (60 sheets, seed 7) lie in 1-4 pieces; the 26 boxes ringed
# by a date stamp's lettering and frame (bench/hunt/stamps.py --kind datestamp --seed 11) in 6-16:
# ringed by a stamp, a box is no circled answer (seed 11 sheet 14 D4 was stored ok as 'KYK').
CIRCLE_MAX_PIECES = 5
CIRCLE_PIECE_MIN_MM2 = 0.05
# A thin line too light for TRACE_INK_LEVEL (omr.read.thin_line_contrast): the
# ink along a RIDGE_LENGTH_MM line minus the darker of two parallel lines
# RIDGE_OFFSET_MM beside it, best over RIDGE_DIRECTIONS directions and every
# position. 1.5 mm (12 px) averages pixel noise out and fits inside the 3.5 mm
# core of a 5 mm box (faint single strokes measure 2-3.5 mm). Lines beside at
# 0.4 mm lie on paper next to a stroke of 0.1-0.3 mm (~0.5 mm once blurred),
# while a uniform haze, the edge of a blot and anything wider than ~0.8 mm
# give ~0. 8 directions: 22.5 deg apart, a 1.5 mm line 11 deg off a stroke
# leaves it by <= 0.15 mm at its ends. The line is averaged in 3 pieces and the
# faintest kept, so a speck of dust (0.2-0.6 mm) on it is not a line.
RIDGE_LENGTH_MM = 1.5
RIDGE_OFFSET_MM = 0.4
RIDGE_DIRECTIONS = 8
RIDGE_SEGMENTS = 3
# An empty box with this thin-line contrast (page black = 1) holds a faint
# stroke: uncertain. Measured (bench/accuracy.py habits, 300 sheets, seed 2026):
# faint single strokes 0.13-0.33 (the 4 read blank before had 0.13-0.15, no ink
# above TRACE_INK_LEVEL); empty boxes of questions with no other ink: 99th
# percentile 0.11, highest 0.15 (the back's marks showing through, 5-15 % of
# their darkness); noise alone (harsh profile's sigma) <= 0.05. Lighter strokes
# than this are the level of show-through and are not told from it: a 0.1 mm
# ballpoint line at a quarter of its black reads ~0.08 and is lost.
RIDGE_MIN_CONTRAST = 0.11
# The back's print showing through a box (omr/scan/show_through.py): the form's other page,
# printed as `omr forms print` prints it, mirrored left-right. Paper diffuses what shows
# through: the predicted print is softened by a Gaussian of this sigma (mm), about the blur
# of a 200-300 dpi scan, so a print line ~0.2 mm wide is matched by its blurred trace.
SHOW_THROUGH_BLUR_MM = 0.1
# Office duplex printers put the back within about 1 mm of where the front says it is, and the
# box search has already taken out the scan's own shift: the predicted print is tried within
# this many mm either way (a back further off is not discounted: its boxes go to review).
SHOW_THROUGH_SHIFT_MM = 1.0
# The most of the back's darkness that shows through: office paper (70-80 g/m2) is 85-94 %
# opaque, so 6-15 % shows; thin 60 g/m2 paper and a darker scan up to ~25 %. The fit may take
# at most this share, so a real stroke lying along the print is not taken as show-through
# unless it is as light as show-through can be.
SHOW_THROUGH_MAX_ALPHA = 0.25
# Below this ink (0..1, the print's black = 1) nothing of the back is printed near the box:
# paper grain of the render, the blur's far tails. Nothing is discounted there.
SHOW_THROUGH_MIN_PRINT = 0.2
# The back's print is taken to explain a box's ink only when, fitted (shift and share), it leaves
# at most this share of the ink's energy (sum of squares over the box core); else nothing is
# discounted. Measured on tests/test_habits.py's drawings (page 2 behind page 1 at 15 % of its
# darkness, shifted up to 0.7 mm, softened 0.05 mm; a pencil or fine ballpoint stroke, 0.1-0.15 mm,
# at 0.38-0.5 of its darkness): the back's heading alone leaves 0.02-0.07; a faint stroke crossing
# print leaves 0.74-0.80 (a fine ballpoint's ridge 0.126 fell to 0.109 and read blank when the fit
# was allowed to take part of it). 0.25 is far from both.
SHOW_THROUGH_MAX_REST = 0.25
# Confidence of a question's read: the share of reads right, per status and raw
# score bin (the least certain box's confidence; bins by lower bound), measured by
# `bench/accuracy.py --calibrate --seed 7 --sheets 200` over the five profiles
# (clean, office, harsh, phone, habits: 31,031 questions), Laplace-smoothed
# ((right + 1) / (reads + 2)), so never 0 or 1; an empty bin takes the nearest
# measured one. Measured right/reads per bin: ok 0/0, 102/102, 13/13,
# 28517/28517; blank 1516/1517 (all >= 0.95); multiple 297/364 (the marks read
# are the marks made); ambiguous 156/297, 0/1, 0/16, 131/204 (the value
# proposed is the truth); invalid: no read (0.5, nothing known). The accuracy
# check runs on seed 2026. Not yet re-measured after the show-through rule
# (omr/scan/show_through.py, 2026-12-01): the 300-sheet calibration run did not
# finish under load; that rule only keeps empty boxes empty where the back's print
# explains their ink (office: 16 of 9,313 questions fewer sent to review).
CONFIDENCE_BY_STATUS = {
    "ok": ((0.0, 0.9904), (0.5, 0.9904), (0.75, 0.9333), (0.95, 0.9999)),
    "blank": ((0.0, 0.9987), (0.5, 0.9987), (0.75, 0.9987), (0.95, 0.9987)),
    "multiple": ((0.0, 0.8142), (0.5, 0.8142), (0.75, 0.8142), (0.95, 0.8142)),
    "ambiguous": ((0.0, 0.5251), (0.5, 0.3333), (0.75, 0.0556), (0.95, 0.6408)),
    "invalid": ((0.0, 0.5), (0.5, 0.5), (0.75, 0.5), (0.95, 0.5)),
}
# Fill mode (omr.bubbles): a bubble whose inner part is at least this share ink
# (above INK_THRESHOLD) is a solid fill. Pen and pencil fills on the OMRChecker
# samples cover 0.9-1.0 of the inner part; bold printed letters in empty bubbles
# cover well under half of it. Solid fills are never an "empty" level.
BUBBLE_SOLID_FILL = 0.9
# ... or whose inner part's mean ink is at least this (relative to the page's black; issue #16): a fill
# share alone is a cliff on a blurred scan. A painted column on UmarFarootAPS's 850 px scan measured
# 0.86-0.94 of its inner part ink, the side of 0.9 depending on a 0.1 mm shift of the placement (the ECC
# refinement's), and the fills under 0.9 were their own option's "empty" level: B read empty, ok. Those
# fills' mean ink: 0.87-0.94. Empty bubbles on all 29 sheets of bench/omrchecker_agreement.py: at most
# 0.522 (bold D on scan-type-1, whose share of ink reaches 0.82). Pen fills go down to 0.47, so this is
# only what is surely ink, not a line between fills and print.
BUBBLE_SOLID_DARKNESS = 0.75

# --- #17 job queue (procrastinate workers on PostgreSQL, omr.web.queue) ----------------------------
# A worker tells the database it is alive this often (s): procrastinate's own default.
JOB_QUEUE_HEARTBEAT_S = 10.0
# A worker silent this long (s) is taken for dead and its upload is put back in the queue: three
# missed heartbeats (procrastinate's default stalled_worker_timeout), so one slow database round
# trip under load does not look like a death, and a killed worker's upload waits half a minute.
JOB_QUEUE_STALLED_AFTER_S = 30.0
# How often (s) each running worker looks for uploads of dead workers: as often as one can be
# found dead, so a second machine's crash is noticed within a minute even if nothing restarts.
JOB_QUEUE_RECOVERY_EVERY_S = 30.0
# The job page of a queued upload says no reading worker is connected when none has sent a heartbeat for this
# long: three heartbeats (JOB_QUEUE_HEARTBEAT_S) missed, the same span after which a worker's job is taken for
# stalled (JOB_QUEUE_STALLED_AFTER_S); a live worker's row is never older than one heartbeat.
JOB_QUEUE_NO_WORKER_AFTER_S = JOB_QUEUE_STALLED_AFTER_S

# --- Issue #16: boxes on blank forms made elsewhere (omr/template_from/boxes.py, printed.py) -----------
# Outside size of a printed box, mm: the issue's contract (2 to 8 mm), with 10 % for print and scan
# scale. Below 2 mm a box cannot be ticked; above 8 mm a square is a table cell for writing.
BLANK_BOX_OUTER_MM = (1.8, 8.8)
# ...but a round bubble may be smaller: the character ○ typed in an 11 pt Times New Roman line (Liberation
# Serif) is a ring 1.71 mm across (its hole 1.5 mm), which respondents tick as they do a ☐; 1.5 mm keeps it
# at 150-300 dpi with room for the scale of a print and scan. Letters' counters of that size (o, 0, D of
# 11-14 pt text) are told apart by the printed words (drop_glyphs), as the larger ones always were.
BLANK_ROUND_MIN_MM = 1.5
# A hole under 2 mm fills less of its bounding box once pixelated: the 1.5 mm hole of that ○ at 150 dpi
# (12 px) fills 0.57 of it (0.65 at 200 dpi), under the 0.6 that larger rounds need; small holes down to
# 0.55 are judged as rounds (a diamond, extent 0.5, stays out). Such a small ring holds no printed letter
# (circled digits at 10 pt are 2.6 mm): Tesseract reads the ring itself as "o", never its code.
BLANK_SMALL_ROUND_MM = 2.0
BLANK_SMALL_ROUND_MIN_EXTENT = 0.55
# Width/height of a box's hole: squares and circles are ~1; comb cells for one digit are up to ~1.5 tall.
BLANK_BOX_ASPECT = (0.6, 1.7)
# A square's hole fills its bounding box (1.0; 0.85 leaves room for rounded corners and blur at 150 dpi);
# a circle fills pi/4 = 0.785 of it.
BLANK_SQUARE_MIN_EXTENT = 0.85
# Ink (mean threshold): darker by BLANK_INK_CONTRAST grey levels than the mean within BLANK_INK_WINDOW_MM:
# 4 mm is wider than any box line yet local enough for the uneven light of a scanned or photographed
# blank; 15 keeps light-grey hairlines (Word's 0.25 pt table rules) and drops paper texture.
BLANK_INK_WINDOW_MM = 4.0
BLANK_INK_CONTRAST = 15
# Hairline ink (second search): darker by this than the brightest paper within the window. It keeps
# the anti-aliased pixels of a 0.2 mm ring at 150 dpi (20-55 levels below the paper) that the mean
# threshold loses; a flatbed's paper noise is ~4 levels.
BLANK_HAIRLINE_CONTRAST = 20
# Anything darker than this is ink even where the local window sees no contrast (inside bold areas).
BLANK_INK_DARK_LEVEL = 90
# A box is drawn with a line: its rim is at most 0.8 mm (Word's 2.25 pt border is 0.79 mm) and at most
# 18 % of its size (boxes of 2 to 8 mm measured 0.25-0.5 mm, 10-17 %; a bold O of 12 pt on 2.7 mm, 22 %). A bold O of a 14 pt title has a rim of ~0.6 mm on 3.5 mm (17 %), so the rim
# alone does not tell glyphs from small boxes: the printed words do (BLANK_TEXT_MIN_CONFIDENCE).
BLANK_RIM_MAX_MM = 0.8
BLANK_RIM_MAX_SHARE = 0.18
# Ink inside a box's hole: a lettered bubble's letter covers 5-30 % of it; more is a filled shape.
BLANK_BOX_MAX_INSIDE_INK = 0.35
BLANK_LETTERED_MIN_INK = 0.04
# Tesseract's word confidence (0-100) above which a word of two or more letters is printed text, and
# a hole inside it a letter's counter. Measured on omr's own blank: title words read at 85-96.
BLANK_TEXT_MIN_CONFIDENCE = 60.0
# A blank PDF's own text layer is used for its labels when its page holds at least this many visible
# characters (#16): Word/LibreOffice exports of the office blanks hold 180-700 a page; a scanned blank
# has none, or a handful from a scanner's stamp, and is read with Tesseract instead.
BLANK_TEXT_LAYER_MIN_CHARS = 20
# Bound on the characters read from one page's text layer: a dense A4 page of 8 pt text holds ~10 000.
BLANK_TEXT_LAYER_MAX_CHARS = 50_000
# Two characters of a text layer without a space between them are still two words when the blank
# between their glyphs is wider than this share of the font's line height: a letter's side bearings
# leave 0.05-0.15 of it (DejaVu Sans 11 pt in the office blanks: 1.2 pt of 12.8 pt), a space ~0.3;
# omr's own blank places each date digit in its bubble as separate text, 2-3 line heights apart.
BLANK_TEXT_LAYER_WORD_GAP = 0.35
# Tesseract reads a box's right wall glued to its label as a letter ("☐30" as "[130"): a character
# that starts more than this inside the box is the wall, not the label's (office blanks at 200 dpi: the
# phantom "1" starts 1.0 mm inside a 3 mm box; a label's first letter starts >= 0.8 mm right of it).
# The same bound tells a box's wall read as a letter beside a hole ("☐Nam" read "LÌNam": the "Ì" starts
# 1.1 mm inside a 4.6 mm box at 200 dpi, 0.5 mm inside a 3.4 mm one) from the letter beside a counter,
# which starts where the counter's letter ends (boxes.drop_glyphs).
BLANK_EDGE_AS_LETTER_MM = 0.3
# A hole in a character read as a letter is a letter's counter when a neighbour in its word is at least
# 0.55 as tall (lower-case letters beside capitals are ~0.7) and closer than 0.35 of its height (letters
# are set ~0.1 apart; a box is set a space, ~0.4 of its height or more, from its label).
BLANK_TEXT_NEIGHBOUR_HEIGHT = 0.55
BLANK_TEXT_LETTER_GAP = 0.35
# A lettered ring is a letter's outline (boxes._is_letter_outline) when Tesseract boxed a character there
# whose sides lie within 0.25 of the ring's size of the ring's (the scanned "Q" of checkboxes-portrait at
# 300 dpi: 0.02-0.11), and a neighbour on its baseline (bottoms within 0.25 of its height: that Q's tail
# reaches 0.12 below the "u" beside it, the Q of "Q1" on OMRChecker's real sample6 scan 0.21 below its
# "1") is shorter than 0.85 of it (that "u": 0.65, that "1": 0.79; a capital's neighbour capital is
# 0.9-1.0 of it, and so are bubbles strung into one word, level with one another).
BLANK_OUTLINE_MATCH = 0.25
BLANK_OUTLINE_BASELINE = 0.25
BLANK_OUTLINE_SHORTER = 0.85
# A PDF's text layer gives each glyph's own box: a hole lying at least 60 % inside a letter's or digit's
# box (grown by 0.2 mm for anti-aliasing and the rim added to the hole) is its counter. A serif Ô's
# counter lies 85-100 % inside its box (Times New Roman 13 pt); a letter printed in a drawn bubble covers
# at most ~45 % of the bubble (a 7 pt letter in a 3 mm ring), so the bubble stays.
BLANK_GLYPH_COVER = 0.6
# A round hole whose side walls are more than 1.4 times as thick as its top and bottom is a serif letter's
# counter (wall_contrast, walls summed in darkness to a fraction of a pixel): Liberation Serif (Times New
# Roman's metrics) O, Ô, D, Q, 0 of 13-18 pt measured 1.62-3.0 at 150-300 dpi, the trial's 200 dpi scan
# 1.73-3.04; every true ring of the office blanks, omr's blank, OMRChecker's sample6 and the generated
# variants (2.8-5 mm, 0.2-0.3 mm lines, joined to dots or rules) measured 0.67-1.08, DejaVu Sans letters
# 1.24-1.28 (those are left to the words). Squares are not judged by it (none of the serif counters is one).
BLANK_SERIF_WALLS = 1.4
BLANK_GLYPH_PAD_MM = 0.2
# Ink inside a box that survives opening by a 0.5 mm square is a solid shape (a QR code's alignment
# pattern has a one-module (0.6 mm) centre; a bullet), not a letter printed in a bubble (strokes of 7-10 pt type are 0.2-0.4 mm). Above
# 8 % of the inside, the hole is not a box.
BLANK_SOLID_MM = 0.5
BLANK_BOX_MAX_SOLID_INSIDE = 0.08
# A lettered ring found by its outline (its letter touches the ring): ring plus letter cover at most
# 60 % of the disc in the ink map (a circled digit at 10 pt and 150 dpi: 54-56 %; a solid dot 100 %).
# Letters (Ô, Ö) are told apart by the printed words.
BLANK_LETTERED_RING_MAX_INK = 0.6
# On a scan the ink map widens strokes: circled digits ①-⑤ (DejaVu Sans regular and bold, OpenSymbol,
# 10-14 pt, 150-300 dpi, tests/blank_sources.scanned) covered 0.36-0.84 of the disc, and every ① of the
# scanned office blank at 150-200 dpi was lost. Such a ring is still taken (as "loose") when the pixels
# darker than halfway between paper and print cover at most 70 % of the disc (the digits: 0.25-0.62,
# clean or scanned; a solid dot 1.0). Scanned letters' outlines pass too (Q, Đ of 11 pt DejaVu Sans at
# 200 dpi: 0.48), so a loose ring inside a word read by Tesseract is dropped (boxes.drop_glyphs).
BLANK_LETTERED_RING_MAX_DARK = 0.7
# The digit inside a lettered ring on a scanned blank (printed.read_circled): what lies within 0.72 of
# the ring's half-size from its centre (the digit of a circled ① reaches ~0.6 of it, the ring's inner
# edge ~0.85), scaled to 40 px tall, read by Tesseract as one character (English model, digits only).
# Unsure readings (under 60 of Tesseract's 0-100 confidence) are tried again with a tighter cut, a smaller
# and a wider one. Measured on ①-⑨ drawn in DejaVu Sans, DejaVu Sans Bold and OpenSymbol at 10-14 pt,
# 150-300 dpi, clean and scanned (1080 rings; a prototype of tests/test_blank_circled.py's blank drawn
# with PIL): the first try alone 990 right, 1 wrong (confidence 27), 89 unread; with the retries and the
# confidence cut 1058 right, 0 wrong, 22 unread. The Vietnamese model: 1032 right, 4 wrong at confidence
# 65-85. With capitals A-E in the whitelist an OpenSymbol ① at 200 dpi read "D": digits only.
BLANK_CIRCLED_CHARACTERS = "0123456789"
# Circled letters (Ⓐ Ⓑ Ⓒ Ⓓ, ⓐ ⓑ ⓒ: answer sheets typed in Word) are read a second time with letters only:
# the answer letters A-H and a-h (no answer sheet of the office blanks or OMRChecker's samples goes past
# H; a shorter list leaves Tesseract fewer look-alikes). Their readings too count only as a run (A B C D).
# Read as one word (printed._letter_api), not one character: on the 30 circled letters of
# tests/data/office-blanks/circled-letters.docx scanned at 150, 200 and 300 dpi (90 rings, first cut only,
# readings at confidence >= 40), single-character mode read 61-70 right and 0-3 wrong (Ⓒ read "E" at
# 300 dpi), single-word mode 86-87 right and 0-1 wrong, at glyph heights 28, 40 and 56 px.
BLANK_CIRCLED_LETTERS = "ABCDEFGHabcdefgh"
BLANK_CIRCLED_TRIES = ((0.72, 40), (0.62, 40), (0.72, 28), (0.8, 40))
BLANK_CIRCLED_MIN_CONFIDENCE = 60
# A ring whose surroundings span less than this many grey levels from paper to print holds nothing to read.
BLANK_CIRCLED_MIN_CONTRAST = 40
# A question's rings read as one run (1..n or n..1) give every ring its digit when at least half of them
# were read and agree, and at most one in 3 + 1 of the readings disagrees (questions._circled_sequence):
# 22 of 1080 rings were unread in the measurement above, never more than one of a row, none misread; a
# digit misread in a row of 5 is then overruled by the 4 others instead of proposed as a label.
BLANK_CIRCLED_RUN_SHARE = 0.5
BLANK_CIRCLED_RUN_AGREE = 3
# ...and at least 3 readings agree (a question of two rings: both, ascending). On a real scan (OMRChecker's
# community/Sandeep-1507 sheets, ①-④ rings ~4 mm, grey print at ~25 px) a faint ① read "3" beside a right
# "2" made the run 3 2 1 0 out of two readings, and two right readings "3 4" with a ring of another
# question grouped in extrapolated a "5"; with 3 readings neither is taken.
BLANK_CIRCLED_RUN_MIN = 3
# ...and is at least 2.5 mm across: the outlines of letters of 10-12 pt body text with a counter
# (o, d, Đ, Ô) measured 2.0-2.4 mm on omr's blank and the office blanks; circled digits at 10 pt 2.6 mm.
BLANK_LETTERED_RING_MIN_MM = 2.5
# Smaller outlines, down to 2.0 mm, are lettered rings only where Tesseract's page reading saw a symbol over
# them (boxes._read_as_symbol): it reads a circled letter or digit as "@", "®", "©", a letter's outline as
# the letter. Circled capitals Ⓐ-Ⓓ in STIX at 10 pt measure 2.41-2.46 mm (tests/data/office-blanks/
# circled-letters.docx) and were missed at 200-300 dpi.
BLANK_LETTERED_RING_SYMBOL_MIN_MM = 2.0
# Grouping boxes into questions by the print (omr/template_from/questions.py).
# A printed vertical rule between two boxes of a row splits them (a date's tens | units) when it is
# at least 1.2 box heights and at least this tall (mm): taller than any letter of 8-14 pt body text.
BLANK_SEPARATOR_MIN_MM = 4.0
# An unlabelled gap in a row (grid of bare boxes) wider than 1.6 times the row's usual unlabelled gap
# starts another question (omr's date: 7.2 mm between units, 12+ mm between tens and units).
BLANK_UNLABELLED_GAP_RATIO = 1.6
# A row of ten boxes printed «☐0 ☐1 … ☐9» on a scanned or image blank is a digit column when all but at most
# this many of its labels read as their digit (the rest unread or misread): bench/blank_standard.py's png200,
# png300 and scan200 read one or two of a date row's ten small digits wrong («1» lost beside its box, «4» as
# «A»); the issue's rule (#16: "at most one or two unreadable/misread labels").
BLANK_DIGIT_MISREAD_MAX = 2
# A digit column's label read again from its own crop: the print right of its box up to the next box, at most
# this wide (mm): omr's date prints a 10 pt digit 1.0 mm after its box (about 1.6 mm wide); Word's "☐0"
# sets it right against the box.
BLANK_DIGIT_LABEL_MM = 4.0
# ...when at least this many of the row's ten labels were read as their digit on the page: a LibreOffice
# blank at 200 dpi had a date's units row «☐ 0 … ☐ 9» read "0 1 2 3" and nothing after (the rest one junk
# word); each crop read again gave its digit. Three agreeing in place is no chance reading of other print.
BLANK_DIGIT_REREAD_MIN = 3
# Options wrapped to a second line start at the same indent as the first line's, within 4 mm.
BLANK_INDENT_MM = 4.0
# A column heading is read up to 14 mm above a grid's top box (omr's heading of 3 lines is ~12 mm).
BLANK_HEADING_MAX_MM = 14.0
# A question's text is the nearest line without boxes up to 15 mm above its first box.
BLANK_QUESTION_TEXT_MAX_MM = 15.0
# Words of one label are set at most 4 mm apart (a space is ~1 mm at 11 pt); a wider blank ends it.
BLANK_LABEL_WORD_GAP_MM = 4.0
# Two words either side of a grid's column border are one phrase running across it only when the blank
# between them is under 1.2 of their letters' height: a space is 0.3-0.5 of it (DejaVu and Liberation at
# 6.5-13 pt), while omr's own scale header at 6.5 pt (words 1.9-2.3 mm tall) sets «thường» and «Hài» of
# neighbouring 12 mm columns 3.7 mm apart, which the 4 mm rule alone took for one phrase (h16ed).
BLANK_PHRASE_GAP_HEIGHTS = 1.2
# Across a column rule drawn in the ink, two words are one phrase (a sentence over the table: «… vào ô
# tương ứng …») only when set a space apart, under 0.6 of their height (a space is 0.3-0.5 of it, above);
# two header cells' words either side of a rule are further apart (the fresh user's «thường | HL»: 3.6 mm
# at 11 pt, 0.9 of the height).
BLANK_RULED_PHRASE_GAP_HEIGHTS = 0.6
# A section heading's letters after its mark are capitals (omr's «B. CƠ SỞ VẬT CHẤT, TRANG THIẾT BỊ»,
# Word forms' «II. ĐÁNH GIÁ»); a question «A5. Giới tính» has 1 capital in 9 letters. 0.8 leaves room for
# a unit or abbreviation in lower case inside a heading.
BLANK_SECTION_CAPITALS = 0.8
# A comb field (one written digit per cell): cells at most 1 mm apart (they share a ruled wall) and at
# least 1.15 times as tall as wide (Word combs and OMRChecker's sample6: 5 x 7 mm, 4.5 x 7.2 mm); square
# cells side by side stay choice boxes.
BLANK_COMB_MAX_GAP_MM = 1.0
BLANK_COMB_MIN_ASPECT = 1.15
# A row label in a table cell wraps above and below its boxes: a row of boxes owns the page halfway to
# the next rows, up to 8 mm each way (Word's grid rows with 3-line labels are ~18 mm tall).
BLANK_ROW_BAND_MM = 8.0
# A grid row's label cell (omr.template_from.questions._cell_text): a gap between two lines wider than
# this many line heights (glyph-box heights, median) starts a new cell. Measured from the PDF text
# layers: lines of one cell are 0.2-0.3 line apart in DejaVu Sans (the trial's form) and up to 0.6 in
# Liberation Serif (grid-and-cells-serif, 2.1 mm under 3.6 mm glyphs); two cells of the serif grid 1.8
# apart, but those of the trial's table only 0.25. So the gap is a last resort at 1.2: the table's rule,
# a question's number and a line level with another row's boxes cut the cells first.
BLANK_CELL_GAP_LINES = 1.2
# Labels of a scanned blank read again from their own crops (printed.read_label, questions._label).
# The crop is grown by 0.5 mm each way (a label's accents and descenders reach ~0.4 mm past Tesseract's
# word boxes at 11 pt) and so are the boxes painted out of it.
BLANK_REREAD_PAD_MM = 0.5
# A run of rows with ink shorter than 0.35 of the tallest run in the crop is a line's marks (the accents
# over capitals, "Ấ", set a blank row apart at 300 dpi), not a line: it joins its nearest run.
BLANK_REREAD_MARK_SHARE = 0.35
# A run of rows under 1 mm tall is a speck or a rule's end, not a line of 8-14 pt text (x-height >= 1.4 mm).
BLANK_REREAD_MIN_LINE_MM = 1.0
# Each line is scaled to 48 px tall before Tesseract reads it: its LSTM model reads best with capitals
# of 20-40 px (a line box holds capitals at ~0.6 of its height: 29 px).
BLANK_REREAD_LINE_PX = 48
# A label's crop read again replaces the page reading when its lowest word confidence is at least this
# (and at least the page reading's). On the office blanks scanned at 150-300 dpi (bench/blank_labels.py
# --scan, 339 re-reads) the 30 replacements were read at 72-97: 27 right where the page's reading was
# wrong, 3 dashes wrong either way ("46 60" -> "4G — 60" at 72); the 5 crop readings under the page's
# confidence (19-92) were kept out, 4 of them worse. 60 is Tesseract's usual "sure" line, as for words
# (BLANK_TEXT_MIN_CONFIDENCE).
BLANK_REREAD_MIN_CONFIDENCE = 60.0
# Ink running straight for 5 mm across or down a label's crop is a rule (a table's border, a form's
# "______"): the longest straight stroke of a letter or dash of 8-14 pt is under 5 mm (an em dash "—"
# of 14 pt: 4.9 mm; an en dash of 11 pt: 2 mm). Down a crop, a rule also spans 0.9
# of its height (a letter never spans a crop grown by BLANK_REREAD_PAD_MM above and below its word).
BLANK_REREAD_RULE_MM = 5.0
# A label crop's print: pixels darker than its paper by half the way to its print (the midpoint a
# binarisation takes); its rules are looked for in pixels darker by a quarter of the way, where a scanned
# hairline (Word's 0.25 pt table rule, 40-60 levels under the paper after blur) stays one piece.
BLANK_REREAD_INK_LEVEL = 0.5
BLANK_REREAD_RULE_LEVEL = 0.25
# A piece of ink at a label crop's edge at most 0.35 mm thick is a rule's end (Word's table rules are
# 0.1-0.3 mm, thickened to ~0.35 by a scan's blur); a letter's stroke cut by the crop is thicker, and its
# cut piece as long as the stroke is (0.3 mm strokes of 11 pt text cut across are >= 0.5 mm long).
BLANK_REREAD_RULE_WIDTH_MM = 0.35
# A leader's dot is at most 0.3 of its line's height each way (a period of 11 pt DejaVu Sans in a line box
# of 4.4 mm: 0.5 mm, 0.11; a dot under "ạ" or "ộ" is a piece of its own too, so a run is required): at
# least 4 dots level, less than a line height apart and evenly spaced (widest gap at most 1.6 times the
# narrowest: a leader's dots are typed ~0.28 line apart; the dots under "Bộ phận Một" fall 1-3 letters
# apart) make a leader.
BLANK_LEADER_DOT_SHARE = 0.3
BLANK_LEADER_MIN_DOTS = 4
BLANK_LEADER_EVEN = 1.6
# A leader read from the ink map between a label and its box (questions._leader_drawn): at least 3 mm
# of row (4 dots typed 0.28 line apart at 8 pt), of whose ink at least 0.8 is a leader's dots or an
# underscore (the rest: a box's or a letter's edge caught at the gap's ends).
BLANK_LEADER_MIN_MM = 3.0
BLANK_LEADER_MIN_SHARE = 0.8
# A grid's heading cell is read again from 0.3 mm inside the halfway lines between its columns (with
# BLANK_REREAD_PAD_MM: 0.8 mm), where a table's vertical rule (0.1-0.3 mm, drawn there) is not.
BLANK_HEADING_INSET_MM = 0.3
# A pinned box's printed outline must be where it is read (omr/scan/printed_boxes.py): the outline band
# is the edge +- 0.5 mm (registration leaves ~0.3 mm; Word's lines are 0.1-0.5 mm), compared with
# paper 0.8-1.6 mm outside it.
PRINTED_RIM_BAND_MM = 0.5
# A pen mark the template cannot explain (omr/scan/printed_boxes.py, unexplained_marks): ink of the
# aligned page (at least 0.5 of the page's black) that is not the blank's print (its reference: darker than
# its paper by 60 levels, grown by 0.4 mm for the registration's ~0.3 mm error), not within 1.5 mm of any
# box of the template (a tick's arm running out of its box: the margin keeps the common short ones), on a
# question's rows of boxes up to 40 mm beyond its first and last box, at least 0.2 mm wide (opened: slivers
# of misregistered print are thinner, a ballpoint line is 0.3-0.5 mm) and at least 0.5 mm² in one stroke.
# Measured on the Times New Roman office blank filled and photocopied (8 seeds, 200 dpi): a cross in a
# 3.4 mm box the template missed left 0.84-2.8 mm² once its printed walls are taken out; every question
# without such a mark measured 0.0.
UNEXPLAINED_INK = 0.5
UNEXPLAINED_PRINT_CONTRAST = 60
UNEXPLAINED_PRINT_SLACK_MM = 0.4
UNEXPLAINED_MIN_LINE_MM = 0.2
UNEXPLAINED_BOX_MARGIN_MM = 1.5
UNEXPLAINED_BAND_MM = 40.0
UNEXPLAINED_MIN_MM2 = 0.5
# The same search on omr's own forms (omr/scan/printed_boxes.py, marks_beside_boxes), whose print is known
# from the layout (omr/scan/form_print.py): a respondent who circles a box (0.6-1.6 mm clear of it, or
# touching only its corners), ticks beside it (0.5-2 mm off) or crosses just above or below it leaves the
# box empty, and the question read blank with full confidence. Looked for within OWN_MARK_NEAR_MM of the
# question's boxes, all sides: a loop clear of a 5 mm box by 1.6 mm reaches 1.6 + 0.3 mm (half a thick
# pen) beyond it, a tick or cross beside it starts 0.3-2 mm off; 3 mm holds a stroke of each and stays
# under the simulator's stray notes (>= 3 mm beside and >= 5 mm above or below any box) and the next row
# of the default form's scale grid (6.5 mm pitch: its boxes, 1.5 mm away, excuse their own marks' ink).
OWN_MARK_NEAR_MM = 3.0
# A box is circled (omr/scan/printed_boxes.py, circled_boxes; branch hblank2) when ink that is not print lies
# on all four sides of it beyond 0.4 mm of its outline (its own print grown, a pen's width) and within
# OWN_MARK_NEAR_MM: the trial's circles were drawn 1-2 mm clear with a 0.4 mm pen, the offbox profile's
# 0.6-1.6 mm clear.
OWN_CIRCLE_CLEAR_MM = 0.4
# A printed option label ringed by a pen line (omr/scan/printed_boxes.py, circled_labels; branch hhunt9): a
# respondent circles the word of the answer meant 1-2.5 mm clear of it (bench/hunt/respond.py circle_label,
# habits3.py mark_circle draw 1-2.5 mm right and left, 1-2 mm above and below half the text's height). The
# ring is looked for within OWN_LABEL_RING_MM of the label's core, its middle OWN_LABEL_CORE_MM up and down
# from the centre of the text's line (a 10 pt line: x-height ~1.8 mm; the accents and ascenders above it are
# print, masked). 3.0 mm: as OWN_MARK_NEAR_MM; a ring 2.5 mm clear of the text and a 0.5 mm pen fits.
OWN_LABEL_RING_MM = 3.0
OWN_LABEL_CORE_MM = 1.0
# A ring drawn tight cuts through the word's first or last letter (habits3.py mark_circle seed 13 sheet 6 A7:
# «Nông dân» ringed through its N): left and right, the ring is looked for up to 1 mm into the word (at most
# a quarter of its width), where the print itself is masked.
OWN_LABEL_INSET_MM = 1.0
# omr's own layout places an option's label BOX_LABEL_GAP after its box, on the box's row: a text within
# OWN_LABEL_MATCH_MM of that place, its baseline at most OWN_LABEL_BELOW_MM below the box's top edge plus its
# height, is that box's label (the layout's own coordinates, exact to rounding; the next text on a row starts
# >= 10 mm on).
OWN_LABEL_MATCH_MM = 0.6
OWN_LABEL_BELOW_MM = 1.0
# A stroke coming down at a box of a question read blank (omr/scan/printed_boxes.py, arrows_from_above; branch
# hhunt9): an arrow drawn down to the box meant stopping 3-5 mm short (bench/hunt/habits3.py arrow_short, 7-12 mm
# long, tail up to 6 mm aside) has its head on the row above's print, masked, so what is seen is a steep stroke
# ending 4-8 mm above the box. Looked for up to OWN_ARROW_WINDOW_MM above the question's boxes; at least
# OWN_ARROW_MIN_MM long (half the shortest arrow: the print cuts it); within OWN_ARROW_STEEP_DEG of the vertical
# (the simulator's stray notes and underlines are level, within ~15 degrees); its lower end within
# OWN_ARROW_REACH_MM of a box and aimed at it within OWN_ARROW_AIM_DEG (the arrows bow by up to 1.5 mm).
OWN_ARROW_WINDOW_MM = 15.0
OWN_ARROW_REACH_MM = 8.0
OWN_ARROW_MIN_MM = 4.0
OWN_ARROW_STEEP_DEG = 45.0
OWN_ARROW_AIM_DEG = 35.0
# Where the stroke ends: the mean of its pixels within OWN_ARROW_TIP_MM of its lowest point along its axis (about a
# ballpoint's line width, 0.3-0.5 mm: the end itself, not a point up the shaft, whatever the stroke's length).
OWN_ARROW_TIP_MM = 0.3
# Ink from 0.3 of the page's black (INK_THRESHOLD, 0.25, is a box's mark; faint pencil measures 0.3-0.45):
# at 0.5, as for forms designed elsewhere, the simulator's pencil sheets lost 5 of 75 marks beside a box.
OWN_MARK_INK = 0.3
# The form's print is grown by 1 px (0.125 mm) only, not UNEXPLAINED_PRINT_SLACK_MM: it is drawn from the
# layout and moved with the question's boxes as found (their median offset), so what is left of the
# registration's error is ~1 px, and on the default form a tick beside a box of section A lies over the
# option's printed label: with 0.4 mm of slack the label's mask swallowed it (0.27 mm² left, at 200 dpi),
# with 0.125 mm 0.78 mm².
OWN_PRINT_SLACK_MM = 0.125
# A stroke left of at least 0.7 mm² (a 0.3 mm line 2.3 mm long). Measured (40 sheets each, seed 5, every
# question read blank or on one weak mark, print grown by 0.125 mm): office and harsh with no such mark
# drawn, the largest stroke left 0.19 and 0.47 mm² (dust, JPEG and blur at the print's edges); marks
# beside a box of the offbox profile 1.0-25 mm², a tick over a section A label 0.78 mm².
OWN_MARK_MIN_MM2 = 0.7
# A mark drawn mostly outside its box reaching into the next scale row's inked box, 1.5 mm away
# (omr/scan/printed_boxes.py, _stroke_into_own_box, branch hout): ink that is not print within 1.0 mm on
# both sides of an empty box's outline facing that box, in the same columns. 1.0 mm: the outline grown by
# OWN_PRINT_SLACK_MM (~0.4 mm) leaves ~0.6 mm of each band, and the gap is 1.5 mm, so the band outside
# stays clear of the neighbour's own outline. 0.3 mm of columns: a 0.3 mm pen's diagonal arm covers
# ~0.4 mm of the outline; a speck of dust lies on one side only.
OWN_CROSSING_BAND_MM = 1.0
OWN_CROSSING_MIN_MM = 0.3
# A mark in the gap touching the box without entering it (the hunt's seed 11 sheet 7 G2, a cross 80 %
# above its box): ink within 0.6 mm outside the outline, the grown outline's ~0.4 mm and a pen's width
# beyond; a neighbour's mark running out of its box 1.5 mm away stops short of it.
OWN_TOUCH_MM = 0.6
# A weak single mark whose ink within UNEXPLAINED_BOX_MARGIN_MM outside its box is more than its ink inside
# (omr/scan/printed_boxes.py, _mark_mostly_outside, branch hout) is not that box's: an "x" after the
# previous option's label touching the box (hunt respond.py x_label seed 12). 1.0: more outside than in,
# the brief's "mostly outside"; a tick's long arm running out of its box leaves most of the tick inside.
OWN_OUTSIDE_SHARE = 1.0
# A question read ok on one mark is searched too when that mark is weak: its box's confidence under
# this (classify_fill: a fill within ~0.02 of the edges of the marked zone), as a cross drawn just
# above a box leaves when one arm dips into it.
OWN_WEAK_MARK_CONFIDENCE = 0.85
# Writing in a question's own area (omr/scan/printed_boxes.py, writing_in_areas; branch hdate): a date
# written in figures after the grid, a digit below it over the next title, a word beside a choice
# question's boxes leave every box empty, and the question read blank with full confidence. The area
# (omr/scan/form_print.py, question_areas) is the rectangle around the question's boxes, its title and the
# texts printed on its rows, padded by OWN_AREA_PAD_MM above, below and left (a word written under or over a
# row of options starts 0.8-2.5 mm off it and is 2-4 mm tall: at 3 mm most of its ink was outside) and by
# OWN_AREA_RIGHT_MM to the right (a word written after the last option starts 1-4 mm after it: with 3 mm
# only its first letter was inside); a date's runs OWN_DATE_AREA_RIGHT_MM to the right of its last label
# (figures written after «9»: 2-3 figures of ~3 mm and their gaps) and OWN_DATE_AREA_BELOW_MM below its
# last row (a figure written under the grid, over the next question's title 2-5.5 mm below it), all kept
# OWN_AREA_PAGE_EDGE_MM in from the page's edge (a scanner's border, as STRAY_PAGE_EDGE_MM). Only questions
# read blank are searched.
OWN_AREA_PAD_MM = 4.5
OWN_AREA_RIGHT_MM = 12.0
OWN_DATE_AREA_RIGHT_MM = 15.0
OWN_DATE_AREA_BELOW_MM = 6.5
OWN_AREA_PAGE_EDGE_MM = 8.0
# The print is registered again per tile of OWN_TILE_MM along the area (a row of labels ~25 mm long
# moves as one), within +-OWN_TILE_SEARCH_MM of where the question's boxes put it: on harsh scans a page-2
# label can sit up to 0.3 mm off its boxes (rotation and the warp's interpolation), and its edges, beyond
# the print's 1 px growth, look like strokes. The offset is the one putting most of the tile's ink profile
# (across, then down) under the print's; made only when the first pass, unregistered, leaves strokes.
OWN_TILE_MM = 25.0
OWN_TILE_SEARCH_MM = 0.375
# Ink from 0.22 of the page's black, a little under a box's mark (INK_THRESHOLD 0.25): handwriting in light
# pencil (grey 150 through a writer's lighter hand) measures 0.25-0.35 once scanned, thinner than a cross's
# arm; at 0.3 (OWN_MARK_INK) bench/area_writing.py caught 47 of 60 written questions on office scans, at
# 0.22 (with the minima below) 77 of 90, while blank questions with nothing written stayed under 0.75 mm².
OWN_WRITING_INK = 0.22
# Strokes of at least 0.2 mm² each (dust specks, JPEG blocks and slivers of print left after registration
# are smaller), together at least 1.0 mm² (a "1" of 3 mm at a 0.3 mm pen is ~1 mm²; a figure or a
# letter more). Measured with bench/area_writing.py (30 sheets a profile, seed 7, the date and a choice
# question of each page blank): with nothing written the largest total of a blank question was 0.72 mm²
# (harsh; office 0.25) apart from the simulator's stray pen lines lying in a blank question's area (3.6-19
# mm², rightly sent to review); a question written beside measured 0.2-23 mm², most from 2 mm².
OWN_WRITING_MIN_STROKE_MM2 = 0.2
OWN_WRITING_MIN_MM2 = 1.0
# A stroke left in a question's area that lies wholly within 0.375 mm (3 px) of the grown print is the print's
# own edge (omr/scan/printed_boxes.py, _stroke_total; branch hblank2): text rendered by poppler (pdftoppm)
# sits 1-2 px (at 8 px/mm) off pdfium's drawing of the same PDF along a title line (glyph positions rounded
# differently), and the edges of every title line stuck out of the print grown by 1 px in slivers of
# 0.2-0.6 mm² reaching 2.0-3.0 px beyond it, that summed to 1.4-1.8 mm² over A1's area on the trial's
# unfilled sheet (pdftoppm -r 200, grey and JPEG). At 2 px 1.3 mm² were left; at 3 px none, on pdftoppm and
# pdfium renderings at 150/200/300 dpi, grey, 1-bit and JPEG (largest 0.22 mm²). Cost, bench/area_writing.py
# --sheets 15: writing beside boxes caught office 40 -> 40 of 45, harsh 36 -> 35 of 45 (a pencil word over
# the option labels of a 1-bit harsh scan).
OWN_SLIVER_REACH_MM = 0.375
# ... unless they are at most 2 in the question's area (branch hsliver): then they count as writing. A
# renderer's offset leaves slivers along every glyph line: on the unfilled sheet rendered by pdftoppm at
# 150/200/300 dpi (grey, 1-bit, JPEG, both pages) an area held 1-27 of them, and those holding 1-2 summed at
# most 0.73 mm² (3: 0.78; 4: up to 1.25 mm², past OWN_WRITING_MIN_MM2), with no other stroke. The pencil word
# «đúng» over F1's labels on a 1-bit harsh scan (bench/area_writing.py --sheets 15, seed 7, sheet 13) left
# 2 such pieces (0.73 mm²) beside a 0.28 mm² stroke beyond: 1.02 mm², caught again (harsh 35 -> 36 of 45).
OWN_SLIVER_FEW = 2
# Outline ink minus the ink around it, below which the box is "not printed here". Measured on the
# office blanks filled and photocopied (bench/blank_safety.py, 3 copies each): printed boxes 0.29-0.68,
# whited-out boxes 0.007-0.023. Off for imported OMRChecker templates (their bubble areas are not
# printed outlines: 31 % of printed bubbles measure below 0.1 at the template's size).
PRINTED_MIN_OUTLINE_EVIDENCE = 0.1
# Identifying a page among the forms designed elsewhere, cheaply first (omr/scan/register.py, #16):
# the page's SIFT features are computed once (not once per reference); the strongest 800 of the page and
# of each reference are matched (brute force, deterministic: 1/25 of the work of 4000 x 4000, which was
# 90 % of the time) and checked by RANSAC; only the best 2 references by inliers (and any within 80 % of
# the best: one form imported twice) are registered with all features and scored by similarity.
IDENTIFY_FEATURES = 800
IDENTIFY_CANDIDATES = 2
IDENTIFY_KEEP_SHARE = 0.8
# Before any features: every reference is ranked by a global descriptor, the page stretched to
# 48 x 64 px (a 4.4 mm cell on A4: text is texture, blocks of print remain), high-passed (Gaussian
# sigma 6 px, the size of a block) and correlated with the reference's. Only the best
# IDENTIFY_CANDIDATES (and any within 0.1 of the best: one form imported twice) are registered; if
# none of those registers with IDENTIFY_SURE_SIMILARITY the full feature search runs, so a wrong
# ranking costs time, never a wrong form. Measured on the OMRChecker samples (bench/omrchecker_speed.py):
# another form registered by its sheet outline to a phone photo scored up to 0.32 (sample1's
# MobileCamera sheet against sample3), above PINNED_MIN_SIMILARITY; 0.5 leaves a margin over that.
IDENTIFY_THUMB_PX = (48, 64)
IDENTIFY_THUMB_BLUR_PX = 6.0
IDENTIFY_THUMB_KEEP = 0.1
IDENTIFY_SURE_SIMILARITY = 0.5
# Before any features: the shortlisted templates are placed by their printed anchors (sheet outline,
# corner markers, the whole image), as OMRChecker does, and verified by similarity; when the best
# reaches IDENTIFY_SURE_SIMILARITY only the templates scoring PINNED_MIN_SIMILARITY are registered by
# features (the page is still read with the full registration: reading with the anchors' own
# homography, 0.2 px away, lost 2 of 1,765 fields on bench/omrchecker_agreement.py). SIFT was ~90 % of
# a sheet's time: detection 0.9 s CPU at 1400 px, 0.4 s per 4000 x 4000 match. False: register every
# shortlisted template by features as well.
IDENTIFY_ANCHORS_FIRST = True
# ... or a feature registration with this many RANSAC inliers: true copies of the OMRChecker samples
# gave 82-438 (photos and photocopies whose similarity is only 0.27-0.46); other forms give a few
# dozen at most (forms sharing one printed sheet, UPSC-mock and sample3, match each other: they are
# one design, and either template's reading is then the template's own matter).
IDENTIFY_SURE_INLIERS = 100
# Refinement by intensity (register.refine, issue #16 item 6): the page placed by its printed anchors is
# aligned with its reference by ECC at this size (longer side of the reference), ECC's own Gaussian
# blur (px, odd) and its stopping rule; a refinement that moves a corner by more than this share of the
# reference's longer side has slid to another part of the print and is dropped.
# On since branch h16t: with it on (and the rings found at their printed size, BUBBLE_RING_SCALES),
# bench/omrchecker_agreement.py gives 1,760 of 1,765 agreeing, 128 to review, 1 differing without review
# (13 before); branch h16s had it off because tests/test_omrchecker.py's painted column read q41 "D" ok
# with its painted B hidden (the fill-share cliff, fixed by BUBBLE_SOLID_DARKNESS) and the roll's first
# digit went to review (the ring kernel smaller than the printed rings): docs/benchmarks.md #16.
IDENTIFY_REFINE = True
REFINE_LEVELS = ((250, 40), (500, 10))
REFINE_MIN_SIMILARITY = 0.15
REFINE_BLUR_PX = 5
REFINE_HIGH_PASS_PX = 3.0
# ECC stops when an iteration changes the homography's parameters by less than REFINE_EPSILON. 1e-3 (was
# 1e-4), branch h16oc2: the 43 refinements of OMRChecker's 29 samples take 2.60 s CPU instead of 3.61
# (-28 %, ~35 ms a sheet), their similarities within -0.0003..+0.0041, and every sheet's form, answers
# and statuses the same (bench/omrchecker_speed.py --compare; docs/benchmarks.md). Fewer iterations
# instead ((500, 5) at the fine level) moved UPSC-mock's xeroxed sheet to sample3's template: not taken.
REFINE_EPSILON = 1e-3
REFINE_MAX_MOVE = 0.05
# A page more than this much larger than the frame it is warped onto is first shrunk by area averaging.
WARP_PRESHRINK_BELOW = 0.8
# A page matched to a form designed elsewhere is read silently only when its similarity beats the
# runner-up from another form page by this share of itself ((best - second) / best). One blank saved
# under two form ids scores 0 %; two templates of one printed sheet (OMRChecker's sample3 and
# UPSC-mock) 3-5 %, and their reads differ; distinct forms 49-100 % (bench/omrchecker_speed.py
# --verbose on the OMRChecker samples). Below it every answer on the page goes to review.
PINNED_MIN_CERTAINTY = 0.2


# --- Issue #18: throughput and memory of scanning -------------------------------------------------
# Page-reading processes when none is asked for (omr.scan.page_workers.default_workers): one per CPU up to
# this many. Two readers on the 2-core build machine read 1.54x one's pages (#18, docs/benchmarks.md); a
# third on 2 cores only competes with the parent storing the pages and, in the web app, with the people
# reviewing. The web app's upload reader used 1 and read 0.4-1.1 pages/s (fresh-user trial).
DEFAULT_MAX_WORKERS = 2
# Memory one reader process may come to (bytes), for counting how many the machine's free memory holds:
# the largest process was 192-193 MiB at 5,000 pages (#18, docs/benchmarks.md), held under 200 MB.
WORKER_MEMORY_BYTES = 200 * 1024 ** 2
# Pages stored per database transaction. One commit per page cost ~4 ms of the parent's time on
# SQLite (WAL append + lock round trip) and a server round trip on PostgreSQL; the parent must keep
# up with two or more readers at 30+ pages/s each. 16 pages is ~0.3-0.5 s of reading with two
# workers: a run killed at any moment re-reads at most that many pages on resume.
STORE_PAGES_PER_TRANSACTION = 16
# ... and no page waits uncommitted longer than this (s), so a slow batch (photos, OCR-heavy
# sheets) still shows progress to a second reader (the web app) and loses little if killed.
STORE_MAX_SECONDS_UNCOMMITTED = 2.0
# Consecutive pages of one file handed to a worker at once. Longer runs mean fewer round trips and
# the PDF kept open; shorter ones share the last pages of a batch fairly between the workers (the
# tail of a 500-page batch is at most one run of one worker: 8 pages, ~0.3 s).
PAGES_PER_WORKER_RUN = 8
# Stored comment crops handed to a drafting worker at once (omr.scan.batch, after a batch's marks are
# in). A crop takes ~0.1-0.3 s to draft, so a round trip per crop costs nothing, and one or two
# crops a run share the last ones fairly between the workers (the tail is one run of one worker).
COMMENTS_PER_WORKER_RUN = 1
# JPEG pages are decoded at 1/2, 1/4 or 1/8 of their size when this many px/mm (the long side) remain.
# The finest resampling any stage does from the scan is the comment crop at OCR_PX_PER_MM (12 px/mm,
# 305 dpi); 11.5 lets a 600 dpi scan (23.6 px/mm) decode at 300 dpi, 4 % under the crop's grid, which
# a bilinear resample does not show; boxes are read at CANONICAL_PX_PER_MM (8), well below either.
DECODE_MIN_PX_PER_MM = 11.5
# A PDF is closed and opened again after this many pages read from it: pdfium holds each page's
# image stream until the document closes, so one worker reading a 500-page, 346 MB PDF front to back
# grew by ~0.7 MB a page (86 MB at page 0, 217 MB at page 180). Opening costs a few ms (xref and
# page tree), under 0.1 ms a page at 32; 32 pages of retained streams are ~25 MB.
PDF_PAGES_PER_OPENING = 32
# A PDF page whose pixels all lie within this many grey levels is flat: pdfium draws a broken
# /Contents, /Resources or corrupt Flate image as pure white or black (0 levels apart), while a
# scanned sheet has paper texture and noise. The check (decoding the page's images with qpdf) only
# costs time, so it runs on flat pages alone; 4 levels allows for pdfium's anti-aliasing at edges.
PDF_FLAT_PAGE_RANGE = 4
# Runs a worker holds at once: the one it reads and one waiting in its pipe, so it never idles while
# the parent stores a group of pages (~16 pages' worth of statements) before answering it. More would
# only put more of the batch's tail on one worker.
RUNS_AHEAD_PER_WORKER = 2

# --- The template editor of the web app (issue #16: omr/web/template_editor.py) ---
# Questions named in the editor's save message as counted in no indicator (not linked to the standard
# survey), the rest counted ("và N câu khác"): a form has 10-30 one-answer questions, and ten ids are
# one line of the message; with more left unlinked the count says what matters (link them).
EDITOR_UNLINKED_LISTED = 10
# A blank is read while the admin waits: `from_blank` took 0.85-1.34 s a page (median 1.18) on the
# office blanks (bench/template_editor.py, 2-core machine at load ~11), so 6 pages stay under ~10 s.
# Longer forms: use `omr template from-blank` on the command line.
EDITOR_MAX_BLANK_PAGES = 6
# Seconds per page for the editor's reads (a blank, a try-on scan), done in a watched worker while an
# admin's request waits: from_blank takes a median 1.2 s a page on the office blanks and a try-on page
# 3.1 s (bench/template_editor.py); 20 s is 6x the slower on a loaded 2-core machine, and stops a
# hostile blank sooner than MAX_SECONDS_PER_PAGE (a security test's 6-page PDF of 14400 pt pages held
# the server 233 s, ~40 s a page).
EDITOR_SECONDS_PER_PAGE = 20.0
# A blank from Word is < 1 MB as PDF; a 300 dpi grey scan of 6 A4 pages is ~6 MB a page in PNG.
EDITOR_MAX_FILE_BYTES = 50 * 1024 ** 2
# Longest side (mm) of a PDF page the template editor reads as a blank form. A paper form is at most A3
# (420 mm); 600 mm (A2's 594 mm and a margin) takes any real sheet. The hweb2 trial's 333-byte PDF with a
# 200 x 200 inch (5080 mm) page held a request for 70 s, drawn at MAX_PAGE_PIXELS and searched for boxes,
# before «không tìm thấy ô đánh dấu»; checked from the page box, nothing drawn.
EDITOR_MAX_PAGE_MM = 600.0
# A box drawn or kept in the editor: from_blank finds boxes of 2 to 8 mm (+-10 %); below 1.5 mm no
# pen mark can be told from the outline, above 30 mm it is a writing frame, not a box.
EDITOR_BOX_MIN_MM = 1.5
EDITOR_BOX_MAX_MM = 30.0
# A writing frame holds at least one written word: 5 mm is one line of handwriting.
EDITOR_FRAME_MIN_MM = 5.0
# Two boxes that share more than this of the smaller one's area are the same printed box drawn twice
# (a box's neighbour is >= 1 mm away on every form measured), which would read one mark twice.
EDITOR_BOX_MAX_OVERLAP = 0.3
# Bounds on an edit posted by the browser: omr's own form has 25 questions and 104 boxes; the
# OMRChecker answer sheets ~200 questions of 4-5 bubbles.
EDITOR_MAX_QUESTIONS = 400
EDITOR_MAX_OPTIONS = 40
EDITOR_MAX_BODY_BYTES = 2 * 1024 ** 2
# Boxes on one page of an edit: the OMRChecker answer sheets, the densest forms measured, hold ~1000
# bubbles on a page (200 questions x 4-5); omr's own form 104 over two pages. 1500 leaves room and
# bounds the overlap check (a sort-and-sweep, O(N) memory) to milliseconds.
EDITOR_MAX_BOXES_PER_PAGE = 1500
# A draft (an uploaded blank being edited) left unsaved this long is removed when the next one is made:
# a working week covers an edit left overnight or over a weekend; a draft holds ~0.5 MB a page.
EDITOR_DRAFT_KEEP_DAYS = 7

# --- Purging old uploads (omr/web/purge.py) ---
# The days an admin may type: 100 years is beyond any keeping rule (a timedelta of 99,999,999,999 days
# overflowed into a 500). Decree 30/2020/ND-CP keeps most records 5-20 years.
PURGE_MAX_DAYS = 36_500

# --- Telling what a ZIP file named .pdf is (omr/scan/ingest.py: zip_first_names) ---
# A .docx / .xlsx / .pptx is told by its first folder (word/, xl/, ppt/), named among the first few
# entries of the directory ([Content_Types].xml, _rels/, then the folder: ~15 entries in files Word
# and LibreOffice write); 1000 is ample. 1 MiB holds 1000 entries with names of ~1000 bytes, and bounds
# what a fake archive claiming millions of entries can make omr read (a 2M-entry one exhausted memory).
ZIP_KIND_MAX_ENTRIES = 1000
ZIP_KIND_MAX_DIRECTORY_BYTES = 1024 ** 2

# --- Request bodies of the web app (omr/web/__init__.py: body_limit) ---
# A body posted anywhere but an upload (a login, a review decision, a comment of at most 10,000
# characters: ~90 KB percent-encoded at 9 bytes a Vietnamese letter) is far below 1 MiB; a larger one
# is refused before it is read (waitress used to spool a 4 GB body of POST /login to disk first).
WEB_MAX_FORM_BYTES = 1024 ** 2
# Files one upload of a batch may hold (POST /batches; werkzeug's multipart parser refused a form of over
# 1,000 parts, its default, with the same 413 as a body over 4 GB: a phone's 997 photos were «over 4 GB»).
# A 2,000-page batch (MAX_PAGES_PER_FILE's figure: the largest batch an office scans in one go) of one photo
# or one-page scan a page is 2,000 files; the form's few fields (name, dates, CSRF token) come on top
# (omr.web.bounds.form_parts). Each file is held open while the request is read: the server raises its
# open-file limit to match (omr.web.allow_open_files).
WEB_MAX_UPLOAD_FILES = 2000

# A CSV saved in a Western code page (Windows-1252, "CSV (Comma delimited)" on a non-Vietnamese Windows)
# has "?" for each Vietnamese letter the code page lacks. A "?" followed by a letter inside a word never
# occurs in Vietnamese text (a question's "?" ends its word); the demo export saved so has 962 such words
# of 2,263 (42 %), the UTF-8 original none. An URL's "?id=" or two in answers stay far under these bounds.
LOST_LETTERS_MIN_WORDS = 3
LOST_LETTERS_MIN_SHARE = 0.02
# A UTF-8 CSV opened as Windows-1252 and saved again ("Dáº¥u thá»i gian"): words that turn back into
# Vietnamese when their characters are taken as Windows-1252 bytes. The demo export so saved has 1,000+
# such words; a correct UTF-8 file none (any letter beyond Latin-1 stops the check), and a Western
# name or two ("Nguyá»…n" typed on a foreign keyboard) stay under 3.
DOUBLE_UTF8_MIN_WORDS = 3
# A UTF-8 CSV with a few bytes that are not UTF-8 (a broken paste put "\xff\xfe" into one answer): its
# lines that are otherwise UTF-8 Vietnamese (at least UTF8_STRAY_LINE_MIN_LETTERS valid non-ASCII
# characters for each stray byte; a Windows-1258 or TCVN3 line has about none, every Vietnamese letter is
# a stray byte there) make the file UTF-8, each damaged row rejected naming the byte. The case file
# (37 rows, 2 stray bytes in row 6, 73 valid non-ASCII letters in that line) is read so; more damaged rows than
# the larger of 3 or 1 % of the lines (as Windows-1258 tolerates 3 undefined bytes or 0.5 %) is a
# damaged export: the whole file is refused, to be exported again.
UTF8_STRAY_LINE_MIN_LETTERS = 2
UTF8_STRAY_MAX_ROWS = 3
UTF8_STRAY_MAX_ROW_SHARE = 0.01
# A line with this many stray bytes or fewer is UTF-8 with a stray byte even without UTF-8 letters (an
# ASCII answer row with a broken paste's "\xff\xfe"), as long as the whole file has the letters above;
# a Windows-1258 answer row holds more Vietnamese letters than that (online-windows-1258.csv's rows: 84-577
# bytes above 0x7F each).
UTF8_STRAY_FEW_BYTES = 2

# --- another scan of a stored sheet of a form without serials (omr.scan.duplicates, #16) ---
# Each box's ink on a 10 x 10 grid: a box of 4-5 mm gives ~0.4 mm cells, finer than where two
# respondents' crosses differ (the arms, the centre, ~1 mm) and coarser than what a rescan's
# remaining alignment error moves (median residual ~0.1-0.2 mm).
DUP_BOX_CELLS = 10
# The outer 12 % of a box is left out: its printed outline is on every sheet, not the respondent's ink.
DUP_BOX_INSET = 0.12
# A writing frame's ink on 12 x 48 cells (rows x columns): handwriting lines and their words, not strokes.
DUP_FRAME_CELLS = (12, 48)
# A box or frame counts when a cell reaches this ink (0 paper, 1 black): a pen stroke averaged into a
# cell is ~0.4-0.9, paper noise and a photocopy's grey stay under 0.15.
DUP_INKED = 0.35
# A box or frame whose cells' standard deviation (0..1 scale) is under this is flat (a solid fill or
# nothing): no shape to correlate. The value the first (NumPy) version used, kept so that the same prints
# give the same similarity: 1e-3 is a quarter of one grey level of 255, so only segments within a grey
# level or so of flat are under it (one cell of 100 off by one level: 3.9e-4).
DUP_FLAT_STD = 1e-3
# Two scans of one sheet whose ink prints are at least this alike go to a person as a possible duplicate.
# Measured (tests/office_fill.py on three office forms of tests/data/office-blanks made by from-blank,
# 200 dpi photocopies, 4 sheets each: bench/duplicates.py): another scan of the same
# paper 0.94-0.99 (12 pairs); another respondent given the same answers (the same pen cross, only placed
# differently: closer than two people's hands) -0.31-0.49 (12 pairs). 0.8 keeps every rescan with a
# margin; a look-alike sheet above it costs a person one look, never a merged response.
DUP_MIN_SIMILARITY = 0.8
# Stored pages compared per new page (the newest with the same form page, inked boxes, unit and
# period): a rescan follows its first scan within days, and a print comparison is ~50 µs.
DUP_MAX_CANDIDATES = 500

# Sheets missing pages named one by one in the `omr scan` summary (serial, pages it lacks), the rest
# counted ("và N phiếu khác"): ten lines fit a terminal screen beside the other counts, and a batch with
# more incomplete sheets than that has a systematic cause (a tray of page 2s not scanned) shown by the count.
SUMMARY_SHEETS_LISTED = 10
# Set-aside pages of one file with one reason said in one line of the `omr scan` summary ("1.997 trang
# của tệp X được để riêng: …"), their page numbers as ranges ("trang 3–1.999"): at most this many ranges
# and this many different details per line, the rest counted ("và N trang khác"). A 2,000-page TIFF of
# tiny pages printed 2,000 lines, scrolling the counts off the screen; five ranges fit one terminal line
# and name the pages of a few misfed sheets, while the stored pages keep every page's own reason and detail.
SUMMARY_ASIDE_RANGES_LISTED = 5
SUMMARY_ASIDE_DETAILS_LISTED = 5

# --- bounds on what a reviewer types (omr.data.review, task hattack3) ---
# A reviewer's transcription of one handwritten comment: a comment box holds 3 guide lines, a few
# hundred characters when written small (TEXT_LINE_SPACING); 10,000 is thirty times that, so no real
# transcription meets it, and far below Excel's cell limit of 32,767 characters, so the XLSX export never
# has to cut a comment (a longer text is refused whole, with the bound, never shortened silently).
MAX_COMMENT_TEXT = 10_000

# --- files and jobs that would hold the reader for hours (omr.scan.batch, omr.web.jobs) ---
# Pages of one file in a row that each hit MAX_SECONDS_PER_PAGE before the rest of the file is given up
# on (not read, named in one message with how many pages). A real scan page takes 0.2-2 s; one slow page
# (a huge photo) happens, three in a row is a file built to stall the reader (a 382 KB PDF of 2,000 such
# pages held it for ~33 hours). Three costs at most 3 minutes of the reader before it moves on.
TIMEOUTS_IN_A_ROW_GIVE_UP = 3
# How often a reading batch asks whether its upload was cancelled (one small query): a cancel takes
# effect within this plus the pages being read.
STOP_CHECK_EVERY_S = 2.0
# Seconds one upload job may read for, from when its reader takes it (a server restart resumes it with
# a new budget), before the pages it has not reached are left unread, counted in one message, to be
# read by uploading the same files again (the pages stored are skipped). Pages that each stay under
# MAX_SECONDS_PER_PAGE, never TIMEOUTS_IN_A_ROW_GIVE_UP in a row, could otherwise hold the one reader
# (and every upload queued behind it) for days: 2,000 pages of 50 s are 28 hours. The largest honest
# upload, 4 GB (WEB_MAX_UPLOAD_BYTES) of 300 dpi grey scans at ~0.5 MB a page, is ~8,000 pages; at
# the slowest real page (2 s, handwriting drafted, one worker on the loaded 2-core build machine)
# that is ~4.4 hours. Six hours leaves room above it and still ends a stalling job within a working day.
MAX_SECONDS_PER_JOB = 6 * 3600.0

# Review strips (omr.web.images): a question's strip grows upward from 7 mm above its boxes to the
# nearest row of empty paper, at most this far, so that column headings printed over the boxes (two
# lines of 7.5 pt, ~6 mm on omr's form; Word tables' heading rows up to ~10 mm) are read whole:
# the trial's strip cut "Không / hài lòng" after its first line.
REVIEW_STRIP_GROW_MM = 12.0
# ... and it stops in a band of empty paper at least this tall: measured on omr's form scanned (office
# profile, 5 px/mm), the empty rows between the lines of one column heading ("Rất / không / hài lòng")
# are 1.2 mm and the space above the heading 2.4 mm; 1.8 mm lies between. (Word's single spacing at
# 9-11 pt leaves under 1 mm between a cell's lines.)
REVIEW_STRIP_GAP_MM = 1.8

# Handwriting far from every box and frame of a form designed elsewhere (omr/scan/printed_boxes.py,
# stray_writing; the trial's Writer form had «Câu 5. Ý kiến khác:» and empty lines, no frame): the page's
# ink that is not the blank's print (as UNEXPLAINED_* above), more than 5 mm from any box (a tick's arm or
# a circled label beside a box is the box's: unexplained_marks looks there), outside each question's rows
# of boxes (unexplained_marks' band), 3 mm around a frame (writing over a frame's edge is the frame's) and
# 8 mm in from the page's edge (a scanner's dark border, a punched hole). Strokes of at least 0.3 mm² each
# (dust and photocopier speckle are smaller; a handwritten letter at 3-4 mm is 1-3 mm²), at least 8 mm²
# together: one short handwritten word. Measured: the trial's line «Phải đi lại nhiều lần, cán bộ hẹn lên
# hẹn xuống» (DejaVu Oblique, 200 dpi) 64-65 mm² on its scan and on its upside-down phone photo; the six
# office blanks of tests/data/office-blanks filled and photocopied as tests/office_fill.py does (21 pages,
# 3 seeds each) 0 mm² (no stroke at all) away from the boxes.
STRAY_BOX_MARGIN_MM = 5.0
STRAY_FRAME_MARGIN_MM = 3.0
STRAY_PAGE_EDGE_MM = 8.0
STRAY_MIN_STROKE_MM2 = 0.3
STRAY_MIN_MM2 = 8.0
# The crop of stray handwriting (above) reaches 3 mm past its strokes: a letter's faint tail, and enough
# paper around it to read the line.
STRAY_CROP_MARGIN_MM = 3.0
# A free-text question printed with no frame on a blank (omr/template_from/blank.py, free_text_prompts): a
# frame is proposed over the paper under it, 1 mm clear of the print above and below, down to the next
# print and at most 60 mm (a half page of lines is one answer's room, not the rest of the page), kept
# 10 mm above the page's foot; at least 12 mm tall (two handwritten lines of ~5 mm) or the question is
# named in a warning instead. A frame starting within 15 mm under the prompt is its own frame already.
FREE_TEXT_GAP_MM = 1.0
FREE_TEXT_MAX_MM = 60.0
FREE_TEXT_PAGE_MARGIN_MM = 10.0
FREE_TEXT_MIN_MM = 12.0
FREE_TEXT_FRAME_NEAR_MM = 15.0
# The editor's «Gợi ý» (omr/web/template_drafts.py, _suggest): a drafted question is offered the standard
# question of its own kind (yes/no, or a 5-level scale) whose text, its "Câu 4." left out, is at least this
# like its own. Measured on the trial's Writer form against motcua-2026: «Mức độ hài lòng chung» -> H1
# 0.90, «Ông/Bà có phải nộp tiền ngoài quy định không?» -> H2 0.595 (the only yes/no question), «Cán bộ
# tiếp nhận có thái độ lịch sự, tôn trọng không?» -> D1 0.667; an unrelated «Mức độ sạch sẽ của nhà vệ
# sinh» scores 0.465 at best (H1) and gets no suggestion.
EDITOR_SUGGEST_MIN_SCORE = 0.55
# omr's own forms: a box whose printed outline scores under this in the box search (outline_scores: outline
# ink minus the paper band just outside it, where the box is finally placed) is hidden, not empty: a sticky
# note, a torn or folded-under corner, glare or a stamp over it (hhidden; omr/scan/printed_boxes.py,
# own_outline_evidence). 0.1 as PRINTED_MIN_OUTLINE_EVIDENCE: a printed 0.3 mm outline scores 0.5-0.9, paper
# and an opaque cover ~0. Measured on simulated sheets (5-6 each of office, harsh, phone, habits, 200 dpi,
# ~4000 boxes): unmarked boxes 0.23-0.95 (page medians 0.47-0.81); only solidly filled boxes whose ink
# spills over the paper band scored under 0.1 (0.09; they get own_outline_evidence's second measure).
OWN_MIN_OUTLINE_SCORE = 0.1
# ... or under this share of the page's median box score (glare lifting the outline, and the marks in the
# box with it, towards paper). The same sheets: unmarked boxes 0.84-1.0+ of their page's median, marked ones
# from 0.2 (a cross's strokes over the paper band: second measure); a glare spot at 80 % white left the
# outlines under it at 0.16-0.31 while a cross there read uncertain or not at all. Half is far from both.
OWN_MIN_OUTLINE_SHARE = 0.5
# A box whose local paper level is under this share of the page's median box's is not on paper (a black
# lid behind a torn or folded-under part): hidden, whatever its outline scores against that dark "paper"
# (a black corner's JPEG noise read as marks and an outline in tests/test_hidden_boxes.py). Simulated phone
# and harsh pages (flattened lighting): every box's paper 0.99-1.0 of its page's median.
OWN_MIN_PAPER_SHARE = 0.6
# A surely marked or filled box scoring low in the search (its ink over the paper band) still counts as
# printed when ink runs along at least this share of each of its four sides (printed_boxes.outline_continuity):
# a printed outline runs all the way round (1.0 bar a JPEG dropout), a stamp's letters over a hidden box or a
# cover's edge ink a part of a side only.
OWN_RIM_MIN_SHARE = 0.9
# How many questions with a hidden box the page's detail names before "…".
HIDDEN_BOXES_NAMED = 12

# Long lines through a box (omr/scan/line_marks.py, hline): a fold's crease, a hair or another
# sheet's edge on the glass, a line ruled down a column is read as a mark in every box it crosses;
# alone in its question it was a confident answer to a question left blank (bench/hunt: fold, glass
# hair/edge/ruler, 4-8 SILENT per 20 sheets each). Each box read as marked in a question read ok is
# looked at. Measured on the hunts' kept scans (glass ruler/hair, fold; seed 11, 20 sheets each,
# 1504 right marks, 11 silent lines) and 10 office sheets (338 marks):
# Line ink: 0.2 of the page's black (a shade under INK_THRESHOLD, 0.25, a box's mark): a hair or a
# crease fades along its length, and a gap in it ends the line.
LINE_MARK_INK = 0.2
# Fewer inked pixels inside (0.125 mm each) than this is no stroke: 8 px is a 0.25 mm dot.
LINE_MARK_MIN_PIXELS = 8
# Directions of the Hough vote over the inside: 5 degrees apart, a straight line 3.5 mm long (the
# inside of a 5 mm box) is off the band's centre by 0.08 mm at most.
LINE_MARK_ANGLES = 36
# The band either side of a line (mm): holds a 0.8 mm crease blurred by a scan; followed outside the
# box, it widens by LINE_MARK_BEND mm per mm (a hair 8-40 mm long bends by up to ~1.4 mm over 6 mm).
LINE_MARK_BAND_MM = 0.5
LINE_MARK_BEND = 0.06
# A box whose ink is a line: one straight stroke holds at least this share of it. Lines alone in a
# box measured 0.95-1.0 (every silent one); a cross, a tick with arms alike hold 0.5-0.7; a line
# across a real mark 0.5-0.89 (those answers were right: a line over a mark is not what this looks for).
LINE_MARK_OWN_SHARE = 0.75
# Steps along the line (mm) and how far it is followed beyond the box (mm): LINE_MARK_MIN_RUN_MM and
# room to cross a label or the next box's outline (print is neither ink nor gap).
LINE_MARK_STEP_MM = 0.25
# (Named LINE_MARK_REACH_MM until branch hhair: that name, defined again here, replaced the comments'
# LINE_MARK_REACH_MM = 0.5 above, so omr.scan.comments joined tone marks to letters 8 mm away.)
LINE_THROUGH_REACH_MM = 8.0
# Beside the band, paper this far (mm) on at least one side: a line, not a blot (a filled box, a thumb).
LINE_MARK_CLEAR_MM = 1.25
# A gap of paper in the line longer than this (mm) ends it: pencil grain and 1-bit scans break a line
# into dots ~0.25 mm apart; the 1.5 mm between two rows of boxes is print, not gap.
LINE_MARK_MAX_GAP_MM = 1.0
# Line ink beyond the box's outline, both sides together (mm), from which the mark is a line through
# the box: every silent line ran on 5.25-12.5 mm; every real mark (crosses, ticks, slashes, marks with
# a line across them excepted) at most 2.0 mm (its arms poke 0.5-1.5 mm out of the box).
LINE_MARK_MIN_RUN_MM = 4.0
# CPU (~45 ms a page): each box is first looked at within LINE_MARK_FIRST_LOOK_MM (mm) of it; nothing
# beyond it (fewer than LINE_MARK_MIN_RING_PIXELS of line ink in the ring LINE_MARK_RING_MM beyond its
# outline, 6 px = a 0.15 mm hair crossing it) or a stroke that runs under LINE_MARK_FOLLOW_MM (mm)
# beyond it ends the look; only a stroke running on is followed over LINE_THROUGH_REACH_MM. 10 office
# sheets: 4.5 of 15.5 boxes a page pass the ring, 1.7 hold one stroke, none is followed further.
LINE_MARK_FIRST_LOOK_MM = 2.0
LINE_MARK_FOLLOW_MM = 1.0
LINE_MARK_RING_MM = (0.4, 1.4)
LINE_MARK_MIN_RING_PIXELS = 6
# A stroke clipping a box's corner is 1-2 mm long inside it: its direction is known to ~15 degrees
# only (every direction within this share of the best holds it), so each is followed outwards
# (only for a stroke already seen running on) and the longest run kept (bench/hunt glass edge,
# seed 12: a sheet's edge across a box's corner ran on 2.75 mm at the best direction, 10+ mm at one
# 10 degrees off).
LINE_MARK_ANGLE_SLACK = 0.1
# A box's cross struck out with a level line (omr.scan.line_marks.struck_through, branch hhunt): a
# respondent's «gạch đi» along the row, the answer meant shown by an arrow or a number written beside
# (bench/hunt/respond.py arrow/number, seed 11: 112 SILENT of 930 questions, every one a crossed box
# struck through with a line 1-3 mm past both sides, sloped up to ~12 degrees). Its direction: within
# STRIKE_MAX_SLOPE_DEG of level (a cross's arms lie 35-55 degrees off it, a tick's long arm more);
# it holds STRIKE_MIN_SHARE of the inside's ink or more (a floor only: a level line across a cross
# holds 0.48-0.57, the level band through a plain cross's centre 0.39, measured on the 8 px/mm window
# of tests/test_struck_marks.py; what tells them apart is the run: nothing of a plain cross runs on
# level out of both sides); it runs on STRIKE_MIN_OUT_MM beyond the outline on both sides
# (a cross's arms poke out at one end each, diagonally; pen marks' shorter run beyond the box is at
# most 0.25 mm in 99 %, see HAIR_BOTH_SIDES_MM). The window reaches STRIKE_REACH_MM beyond the box:
# room for STRIKE_MIN_OUT_MM of run and more (off the window is a gap). CPU (time.process_time around
# line_marks._struck, 60 office pages of bench/profile_page.py, loaded machine): window 4.0 mm, no first
# look 26 ms a page; first look inside the window 13.7 ms; window 1.5 mm 8.3 ms; first look on two strips
# of the page's ink before the window 1.9 ms (of ~95). respond.py arrow/number seed 11 the same each time. First look (CPU): line ink within STRIKE_MIN_OUT_MM beyond
# both the left and the right side, else no strike (most marks end there). A strike runs on from the
# outline itself: a gap of paper longer than STRIKE_MAX_GAP_MM (one step) ends it. A circled box is not asked (CIRCLE_MIN_RING):
# bench/accuracy.py --profiles habits --sheets 30 sent 4 of 5 "circled" answers (a cross ringed ~1 mm
# clear of the box) to review, the ring's crossings on the level counted as runs.
STRIKE_MAX_GAP_MM = 0.25
STRIKE_MAX_SLOPE_DEG = 20.0
STRIKE_MIN_SHARE = 0.2
STRIKE_MIN_OUT_MM = 0.75
STRIKE_REACH_MM = 1.5
# Hairs and fibres on the glass (omr.scan.line_marks.hairs_among_marks, branch hhair). A short hair
# (5-15 mm) crossing a box reads as a slash poking 1-3 mm out, under LINE_MARK_MIN_RUN_MM; what gives
# it away is its ink: the ink summed across a stroke per mm along it (stroke_width; a black line
# 0.4 mm wide gives 0.4) against the respondent's pen: the HAIR_REFERENCE_PERCENTILE percentile of the
# page's crosses and ticks (a slash is often drawn heavier: the simulator's by 1 px, and against the
# median of all marks a thin tick on a page of slashes measured 0.57-0.64 of it). Measured on 24
# sheets (bench/hunt/fibre.py damage, seeds 21-22, quiet office scans, the four kinds and none), one-
# stroke marks: 1,474 pen marks (ticks, slashes, dots) all at 0.68 or more (1 dot 0.68, ticks 0.74+);
# 206 hairs, 197 under 0.6, 201 with the rule below at 0.65 / 0.85 (at 0.7 / 0.9: 204, that dot too).
# Every mark is asked (a bent hair, or two, holds no one straight stroke): of the marks that are not one
# stroke, 2,436 pen marks (crosses, ticks) none under 0.65, 14 hairs 11 (glass.py/fibre.py seed 13
# across: two such hairs were stored ok).
HAIR_REFERENCE_PERCENTILE = 25
HAIR_WIDTH_SHARE = 0.65
# Under HAIR_PASSING_WIDTH_SHARE a stroke is a hair when it also passes the box by: its line
# HAIR_OFF_CENTRE_MM or more from the box's centre (pen marks at most 0.88 mm, dots aside: a slash or
# a tick is drawn across the middle; a hair along a side or across a corner 1-1.9 mm), or running on
# HAIR_BOTH_SIDES_MM or more beyond the box at both ends (pen marks' shorter side at most 0.25 mm in
# 99 %, 1 of 1,495 at 0.5; hairs' median 0.25, a quarter 1 mm or more). Same data: 4 more hairs,
# no pen mark (at 0.9: a tick at 0.9 whose short arm ran 0.5 mm out); those left are as wide as the
# pen and lie within the box like a slash (not told apart).
HAIR_PASSING_WIDTH_SHARE = 0.85
HAIR_OFF_CENTRE_MM = 0.9
HAIR_BOTH_SIDES_MM = 0.5
# The pen's width is taken from marks whose stroke crosses this much of the 3.5 mm inside (mm):
# crosses, ticks and slashes cross 3.9-5 mm, dots 1.5-2.3 mm (a dot's "width" is its diameter).
HAIR_REFERENCE_MIN_LENGTH_MM = 3.0
# Ink below this (0..1 of the page's black) is not summed across a stroke: paper's grain and JPEG
# noise reach ~0.05 beside a line; a 0.1 mm hair's anti-aliased edge ~0.3.
STROKE_WIDTH_INK_FLOOR = 0.1

# A page placed by its four corner marks in perspective is taken for a steep photo (its detail says so, and it
# is placed that way first) only when the far side is at least 3 % smaller than the near side: a flat scan
# turned in the plane or a fax with non-square pixels maps affinely (ratio 1.00-1.01 with the marks' own
# error), and is placed by the QR code and the marks as before, so its detail names the turn or the stretch.
# Steep photos of bench/hunt/photo.py (20-35 degrees) measure well above (see perspective_ratio).
PHOTO_PERSPECTIVE_MIN_RATIO = 1.03

# --- Online exports imported in the web app (omr/web/online_import.py) ---
# A Google Forms export of 10,000 responses is ~6 MB as CSV (the demo export, examples/online/
# google-forms-vi.csv: 37 rows in 21,640 bytes, ~585 bytes a row); 20 MB takes 3x that and still
# bounds what one admin's upload stores.
ONLINE_MAX_FILE_BYTES = 20_000_000  # decimal: the page says «20 MB»
# Rows of one upload: a province's whole year online is ~15-20 k responses (domain brief); 50,000 takes
# it in one file while keeping an import (~1 ms a row normalised and stored) to about a minute.
ONLINE_MAX_ROWS = 50_000
# Rejected cells listed on the result page (all of them are in the rejects CSV offered for download).
ONLINE_PROBLEMS_SHOWN = 50
# --- Online exports imported by `omr online import` (omr/online/table.py check_bounds) ---
# An import holds the whole table in memory several times over (text, cells, columns, normalised rows):
# a fresh user's 578 MB, 1.1 M-row CSV grew the process to 3.8 GB (~3.5 KB a row) and died in a
# MemoryError. Measured (branch hleft, loaded machine): 20,000 rows of the demo export (10.3 MB) imported with
# a peak of 198 MB RSS for the whole process (~5 KB a row over the interpreter), so 200,000 rows (10 years of a
# province's online responses) peak near 1 GB: one import fits an office PC with 4-8 GB; the web app's
# ONLINE_MAX_ROWS stays lower because its import runs in the server while people work. Bytes: 200,000 rows
# of ~515 bytes (the demo export) is ~103 MB; 150 MB leaves room for long comments, and a larger file is
# refused from its size alone, before it is read.
ONLINE_CLI_MAX_ROWS = 200_000
ONLINE_CLI_MAX_FILE_BYTES = 150_000_000  # decimal: the message says «150 MB»

# A marked box's stroke running on far outside it (printed_boxes.marks_running_out, branch hhunt3): a
# signature or initials scrawled across a row of boxes. A cross or tick pokes at most ~1 mm out of its box
# (the simulator's 1.05 of the box + 0.35 mm jitter), a mark drawn 55-80 % outside a 3-4.5 mm box reaches
# ~3.6 mm + half the pen (bench/hunt/strokes.py outside); a signature's loop through a box runs on 5-20 mm
# (bench/hunt/habits2.py signature: 6-12 mm on the SILENT ones seen; tests/test_signature_marks.py 6.7-6.9).
# A quick tick whose long arm runs 2-4 mm out of the box (the habits' tick_out) measures up to 5.2 mm
# (tests/test_habits.py at 200 dpi: pen, anti-aliasing and blur past the drawn tip). 6.0 mm sits between.
OWN_RUN_OUT_MM = 6.0
# The window searched around the box (mm on every side): past OWN_RUN_OUT_MM with room for the stroke.
OWN_RUN_OUT_REACH_MM = 7.0
# Gaps bridged when following the stroke out of the box (mm): the printed outline (0.3 mm) grown by the
# print slack (OWN_PRINT_SLACK_MM each side) is cut out of the ink mask; 1 mm joins across it.
OWN_RUN_OUT_BRIDGE_MM = 1.0
# The ink followed out of the box (0..1 of the page's black): a pen's signature, not the faint grey of
# ruled notebook lines or a grid showing through a copy (12-30 % dark, bench/hunt/habits2.py ruled: with
# OWN_WRITING_INK 0.22 the check sent 22-31 more of ~465 questions to review on those sheets).
OWN_RUN_OUT_INK = 0.35

# One big X crossing a whole question out (printed_boxes.crossed_out, branch hbigx). The hunt's X
# (bench/hunt/habits2.py big_x) spans a question of 1-4 boxes 2-5 mm past them: 15-100 mm long. A tick's
# long arm is 4-6 mm, a cross's arm over a 5 mm box ~7 mm, a letter 2-5 mm tall: 12 mm is past all of them.
BIG_X_MIN_STROKE_MM = 12.0
# Each arm at least this far off level (degrees): the flattest X of the hunt (5 boxes, ~90 mm wide over
# 9 mm) slants ~5.7 deg; an underline or strike along a row within ~2 deg.
BIG_X_MIN_SLANT_DEG = 3.0
# Gaps a piece bridges (mm): the print (labels, outlines, grown by OWN_PRINT_SLACK_MM) cut out of the
# stroke where it crosses it (a label's letters, an outline 0.3 mm + 2 x 0.125 mm), and the bow of a hand-drawn
# stroke leaving the 1 px line now and then.
BIG_X_MAX_GAP_MM = 2.0
# How far from the question's boxes the X's crossing may lie (mm): the hunt's X spans the boxes 2-5 mm past
# them on every side with 0.8 mm jitter and a bow of ~1 mm, so its crossing sits over the boxes' rows within
# ~2 mm; a neighbour's X reaching into this question's area crosses over the neighbour's row, 5 mm or more away.
BIG_X_CROSS_MARGIN_MM = 2.5
# How far past the question's boxes an X over them is looked for (mm): the hunt's runs on 2-5 mm past them
# with 0.8 mm jitter; the rest of the question's area (title lines, room for a word after the options) is
# left out of the search, which halves its cost (the area's ink is computed only where asked).
BIG_X_REACH_MM = 6.0

# A 1-bit page (omr.scan.read.bilevel, branch hhunt4): at most BILEVEL_MAX_GREY_SHARE of every
# BILEVEL_STEP-th pixel both ways lies between BILEVEL_EDGE and 255 - BILEVEL_EDGE once flattened.
BILEVEL_STEP = 4
BILEVEL_EDGE = 24
BILEVEL_MAX_GREY_SHARE = 0.02
# A piece of a mark on a 1-bit page (omr.scan.read.partial_mark): the box less FRAGMENT_MARGIN_MM a side
# (clear of the printed outline), its ink (specks under FRAGMENT_SPECK_MM2 left out) spanning under
# FRAGMENT_MAX_EXTENT of its height or width; a dot (DOT_MIN_SOLID of its bounding box inked, at most
# DOT_MAX_ASPECT long for wide) is a whole mark.
FRAGMENT_MARGIN_MM = 0.75
# A 1-bit page cut at a threshold (omr.scan.read.thresholded), not halftoned: around its boxes (each box and
# PAPER_DOT_CLEAR_MM left out), lone dots (pieces of at most PAPER_DOT_MAX_PX px) at most this share of the inked
# pixels. Measured (2026-12-04, branch hpencil, /tmp probe): bench/hunt/bilevel.py bw_plain, bw_pencil and
# bw_erase_tick seeds 11-12, 5 sheets: thresholded pages 0-0.0049 (the most: a pencil mark's specks just outside
# its box), halftone pages 0.13-0.37; tests/test_bilevel_erasures.py's pages: thresholded 0-0.0004, clean halftone
# pages 0.021-0.046 (their paper's lone dots alone, 0.0006 a pixel, could not tell them: a clean page's white
# point leaves its paper white). Twice the most thresholded, half the least halftone.
CUT_PAGE_MAX_DOT_SHARE = 0.01
# A light pencil stroke cut up by a 1-bit scan's threshold (omr.scan.read.faint_strokes_cut): a box's core ink
# in at least this many 8-connected pieces. Measured (2026-12-04, branch hpencil, bench/hunt/bilevel.py seeds
# 11-13, 10 sheets, thresholded pages only, /tmp probe on the core at INK_THRESHOLD): pen marks read marked,
# 2,491 boxes of bw_plain, bw_tickcross, bw_erase_tick and bw_pencil's pen questions: at most 2 pieces; pencil
# marks read marked (64): median 3, 90th percentile 19; what an eraser left (bw_erase_partial): up to 25. Pages
# flagged: none of bw_plain's or bw_tickcross's (77 pages).
CUT_STROKE_MIN_PIECES = 4
FRAGMENT_SPECK_MM2 = 0.05
FRAGMENT_MAX_EXTENT = 0.7
# ... its extent measured only on pieces of at least this (mm², opened ink): a halftone page's few specks of an
# eraser's dithered smear (0.06-0.12 mm², 4-8 px at 8 px/mm) beside the band it left stretched the extent to
# the whole box (bench/hunt/bilevel.py bw_erase_vband seed 13 sheet 6 p1 A2, hhunt6). 3x the speck cut-off,
# under the least mark (MARK_MIN_AREA_MM2). Own variants (tests/test_bilevel_erasures.py _read, 0.4 mm pen,
# seeds 1-6, 2026-12-03, branch hvband): 40 pen crosses/ticks/dots on fixed-threshold and Otsu pages keep their
# extent, all 40 ok; on halftone pages 8 of 20 lose some (pen strokes dithered into pieces), pen marks read ok
# 7 -> 6 of 20 (the rest went to review before already).
FRAGMENT_EXTENT_MIN_MM2 = 0.15
# A band an eraser left of a fill, a dithered smear joined to it (omr.scan.read.band_left): columns at least
# BAND_MIN_SOLID inked side by side, the next ones at most BAND_MAX_EDGE (cut sharp), the rest under BAND_MAX_REST.
# bench/hunt/bilevel.py bw_erase_vband seed 11 sheet 5 p2 E1 (2026-12-03, branch hvband): band 0.89-1.0, next
# columns 0.32 and 0.43, rest 0.44 mean. A round fill's columns fade (a disc's chord: 0.85 -> 0.78 next to it).
BAND_MIN_SOLID = 0.85
BAND_MAX_EDGE = 0.5
BAND_MAX_REST = 0.55
DOT_MIN_SOLID = 0.7
DOT_MAX_ASPECT = 1.5
# ... and round: a patch whose first and last rows (or columns) both span at least this share of its widest is
# cut straight, a piece an eraser left (omr.scan.read.cut_straight, branch hhunt6). Measured on 1-bit pages of
# own variants (/tmp dots harness: 136 pen dots, 0.4 mm pen, 46 seeds, fixed/Otsu/dithered, 200/300 dpi): dots'
# edges 0.11-0.64 of the widest among those solid enough to count as dots; the crossing of an erased cross left by
# bench/hunt/bilevel.py bw_erase_tick seed 12 (sheet 12 p2 G1): 0.92. Between the two.
DOT_MAX_EDGE_SHARE = 0.8
# ... and convex: at least this share of its convex hull inked (omr.scan.read.convex_share, branch hhunt6). Same
# harness: 32 solid pen dots 0.94-1.0; an erased cross's crossing left in a band 1.2-1.5 mm tall (an hourglass,
# tests/test_bilevel_erasures.py's crossings) 0.78-0.84, 6 of 48 read ok on main.
DOT_MIN_CONVEX = 0.9
# ... and a dot holds at least this share of the box's (opened) ink. On a halftone (dithered) page an eraser's
# smear, opened, is specks all over the box, and one of them may be solid and round: 0.1-0.3 of the ink
# (bench/hunt/bilevel.py --bw dither, seed 11: bw_erase_partial sheet 6 p2 D3, bw_erase_tick sheet 3 p2 E1,
# stored ok once the paper's dots no longer sent every question to review). A pen's dot is the box's ink but
# for a speck or two of its dithered edge.
DOT_MIN_INK_SHARE = 0.8
# A speckle, not a mark, on a 1-bit page (omr.scan.read.speckled): the box's inside cut into at least this
# many pieces, black and white together. Own variants (tests/test_bilevel_erasures.py pages, 2026-12-03,
# branch hbwblank): 240 crosses, ticks, dots (0.4 mm pen, 12 seeds, fixed threshold at 200 dpi and Otsu's at
# 300 dpi) 2-6 pieces, 48 more on pages cut at an eraser smear's grey 2-6; erased pieces left by an eraser
# 2-12; the smear itself cut at its median grey 20-30 in 8 of 8 (bench/hunt/bilevel.py bw_erase_blank seed 11
# sheet 13 p2 F1: 22). Twice a pen mark's most, well under the smear's least. White pieces under
# FRAGMENT_SPECK_MM2 are not counted (branch hbw2): on halftone pages a pen's stroke is full of single white
# holes (up to 23 white pieces); without them pen marks 2-19 pieces (mostly 2-6), erased leftovers caught 12-21.
SPECKLE_MIN_PIECES = 12
# Less ink than any mark, in a box read marked on a 1-bit page (omr.scan.read.partial_mark): its ink, opened
# 2 px, under this (mm²). Own variants (tests/test_bilevel_erasures.py, halftone pages, 10 seeds, 2026-12-03,
# branch hbwblank): 60 crosses, ticks, dots 0.64-4.8 mm² (41-308 px at 8 px/mm); an eraser's smear dithered
# into dots 0-0.09 mm² (0-6 px), 3 of 10 read marked and ok before. About the geometric mean of the two.
MARK_MIN_AREA_MM2 = 0.25

# A highlighter stroke over a box as the mark (bench/hunt/official.py hl_mark, branch hfold): the box's inside
# (TINT_INSET_MM in from its outline) and one of the four bands beside it (TINT_BAND_FROM_MM..TINT_BAND_TO_MM outside the
# outline, clear of the printed line) all at least TINT_MIN_INK: the blank question goes to review.
# Measured (tests/test_highlighter_mark.py's page, grey office scan): a yellow stroke's inside 0.10, pink/green/
# orange darker (their grey 187-200 against paper ~250: 0.2-0.27); the page's blank boxes 0.000-0.008 inside and
# beside. 0.06 sits below the lightest highlighter with room for a weak stroke (strength 0.75).
# Bands 0.4-1.0 mm out: clear of the printed outline (0.3 mm) and within a stroke sticking out 1-3 mm.
TINT_INSET_MM = 0.6
TINT_BAND_FROM_MM = 0.4
TINT_BAND_TO_MM = 1.0
TINT_MIN_INK = 0.06

# A question whose boxes are mostly hidden (outline not seen) sends the rows beside it to review: a fold hiding a
# 4-9 mm strip moves the next row into the hidden row's place (bench/hunt/paper2.py fold_hide, branch hfold).
# Rows of omr's own form are 6.5 mm (scale rows) to 8 mm apart: 9 mm takes the rows just above and below only.
FOLD_NEIGHBOUR_MM = 9.0
# ... when over this share of its boxes are hidden: fold_hide seed 11 sheet 15 p1, C3's marked box kept its read
# (5 of 6 hidden) and C2 read C3's mark; a staple over one box of a row (1 of 2-8) stays out.
FOLD_HIDDEN_SHARE = 0.5
# On a page with a hidden box, a question read ok or blank whose title's print shows under this share where its
# boxes were read goes to review (omr.scan.form_print.titles_in_place, branch hhunt6): measured on
# bench/hunt/paper2.py fold_hide seed 12 (15 sheets, code at 0bbf30a): titles of rows in place 0.87-1.0, of rows
# slid into another's place 0.0-0.66 (sheet 4 p1 B2, stored B3's '4' for '3': 0.17). Between the two.
TITLE_MIN_SHOWN = 0.75


# Ruled or squared paper showing through a copied sheet (omr.scan.ruled, branch hbw): faint lines every 7-8 mm
# across the page (bench/hunt/habits2.py ruled: 12-30 % dark, 0.15-0.3 mm wide, tilted up to 0.6 degrees)
# made every empty box they cross hold a faint trace, so 61-64 % of the questions went to review. A line is
# looked for in each such box's window (the box and ~2.3 mm around it), level and upright: on the paper
# before the box, inside it and after it (each part at least RULED_MIN_PART_MM long, RULED_OUTLINE_MM either
# side of the printed outline left out) the median ink of a row (each column's largest of 3 rows) lies in
# RULED_MIN_INK..RULED_MAX_INK, RULED_MIN_CONTRAST above the rows RULED_SIDE_MM away, over at most
# RULED_MAX_WIDTH_MM of rows. RULED_OUTLINE_MM: the 0.3 mm outline, its blur and the search's rounding.
RULED_OUTLINE_MM = 0.4
RULED_MIN_PART_MM = 0.6
# The hunt's lines read 0.1-0.3 once scanned (their darkness less the scanner's blur); pen and print are
# 0.8-1 and faint pencil 0.3-0.45, so a line darker than RULED_MAX_INK is nobody's ruling; paper noise 0-0.03.
RULED_MIN_INK = 0.06
RULED_MAX_INK = 0.5
RULED_MIN_CONTRAST = 0.04
RULED_SIDE_MM = 0.75
RULED_MAX_WIDTH_MM = 0.6
# A page is ruled when such lines cross the windows of at least RULED_MIN_CANDIDATES boxes at
# RULED_MIN_POSITIONS places at least RULED_MIN_SPACING_MM apart (one crease, hair or pencil stroke
# along a row is one place; ruled paper's 7-8 mm pitch crosses every row of boxes).
RULED_MIN_CANDIDATES = 4
RULED_MIN_POSITIONS = 3
RULED_MIN_SPACING_MM = 3.0


# Personal numbers read by handwriting OCR with digits as look-alike letters («O9l2 345 678»,
# omr.text.privacy, branch hphone): look-alikes are read as digits only inside a run of digits, look-alikes
# and single separators holding at least PRIVACY_RUN_MIN_DIGITS real digits that are at least
# PRIVACY_RUN_MIN_DIGIT_SHARE of its digits and look-alikes. 6 of a 9-12 digit number: a phone number
# with 4 of its 10 digits misread is still found; "lô B12", "Số 10 Bis" (2 digits) never qualify, and a
# run with more letters than this share is a word or a code, not a number (lead's brief, task hphone).
PRIVACY_RUN_MIN_DIGITS = 6
PRIVACY_RUN_MIN_DIGIT_SHARE = 0.6
# One character the handwriting reader made up inside a number («0912 345 6x8», «09123456?8», task
# hphone2) stands for a digit when the run around it holds at least PRIVACY_JUNK_RUN_MIN_DIGITS real
# digits: 9 is the shortest personal number (the old CMND, a phone number one digit short), and 8 digits
# around one odd character are ordinary text («ISO 9001:2015»). Only one such character per run.
PRIVACY_JUNK_RUN_MIN_DIGITS = 9
# A run of digits grouped by single spaces longer than a CCCD's 12 digits («1903 5678 9012 34», a bank
# account or a card number) is masked whole: the ID pattern alone hid its first 12 digits and let the
# rest out (task hphone2). 13 = 12 + 1.
PRIVACY_LONG_RUN_MIN_DIGITS = 13

# A vertical digit grid (template_from.questions._vertical_digit_grid: columns of boxes labelled 0 … 9
# downwards, one column a digit, #16): a column's steps are even within this share of its first step. A
# Word table row sets its cells within a fraction of a mm of one another (0.3 mm in 8.5 mm on the h16vert
# test blanks at 150-300 dpi, 4 %); a stack of one question's options under one another is set by their
# text (one line, two lines: 50 % or more apart).
BLANK_GRID_PITCH_TOLERANCE = 0.2
# ...and one of its columns has at least this many digits: a units column (0 … 9) or a day's tens (0 … 3).
# Two columns of two («☐0 ☐1» twice) are too little to tell a grid from two yes/no stacks labelled 0 and 1.
BLANK_GRID_MIN_DIGITS = 3
# A grid column's heading is printed at most this far above its first box's top (mm): on the h16vert blanks
# (Word table, 11 pt) the heading's first line «Ngày (đơn» starts 13 mm above the first box, its wrapped
# «vị)» 8 mm; the question's own line above the table 21 mm.
BLANK_GRID_HEADING_MM = 16.0
# ...its wrapped lines are at most this share of a line's height apart (within a cell, 11 pt: 1.4 mm gap for
# 2.9 mm letters, 0.5); the question's line above is a paragraph apart (5 mm, 1.7).
BLANK_GRID_HEADING_GAP = 0.9
# ...a column of at least this many boxes is judged as a row of ten is (_digit_columns: up to
# BLANK_DIGIT_MISREAD_MAX labels unread or misread, "8" read "6" from a 300 dpi render of the h16vert
# blank); a shorter one (a day's tens 0 … 3, a month's 0 1) as a short row: every digit read right, one unread.
BLANK_GRID_FULL_COLUMN = 5

# --- Constants that lived in their modules (moved here, task hmisc) -----------------------------------
# Handwriting drafts (omr.text.privacy._fill_junk): characters searched either side of a character the
# reader made up inside a number. The longest number masked whole is a 16-digit card number in groups
# («1903 5678 9012 3456», 19 characters); 40 either side holds it with room for a run around it.
PRIVACY_JUNK_WINDOW_CHARS = 40

# The review app (omr.web, omr.web.bounds). A scanner batch of 500 pages at 300 dpi grey is a few hundred
# MB; 4 GB covers several at once and still stops a runaway client filling the disk.
WEB_MAX_UPLOAD_BYTES = 4 * 1024 ** 3
# The batch upload form's fields besides its files (name, two dates, CSRF token: 4), with room to spare
# for fields added later; werkzeug refuses a form with more parts than WEB_MAX_UPLOAD_FILES plus this.
WEB_UPLOAD_FORM_FIELDS = 16
# waitress's threads: a few reviewers and a scanner at once, each request short (one office's trial).
WEB_SERVER_THREADS = 8
# Open files the server asks for (omr.web.allow_open_files): each thread may hold a batch upload's
# WEB_MAX_UPLOAD_FILES files plus this many of its own (socket, database, templates, crops being read),
# and the process this many more besides (Debian's default soft limit, 1,024, which it ran within before).
WEB_OPEN_FILES_SPARE_PER_THREAD = 64
WEB_OPEN_FILES_BASE = 1024
# A reviewer's page (its CSRF token) stays valid for a working day; tokens still die with the session.
WEB_CSRF_TIME_LIMIT_S = 12 * 3600

# Near matches of the report's phrase list in OCR drafts (omr.text.lexicon): phrases this long may differ
# by one edit, twice this long by two. At 10 letters one edit is 10 %: OCR of handwriting gets more wrong
# than that, ordinary words rarely come that close to a phrase.
LEXICON_FUZZY_MIN_CHARS = 10
LEXICON_FUZZY_TWO_EDITS_CHARS = 20
# Words between a negator and the term it negates: "không có ai (gây) nhũng nhiễu" puts it a few words back.
LEXICON_NEGATION_WINDOW_WORDS = 4

# Online exports (omr.online.mapping): a column matching a question below this score is proposed as unused;
# without a mapping file, columns below ONLINE_AUTO_MIN_SCORE are not imported (a column taken for the
# wrong question would store answers silently wrong), and an option label below ONLINE_LABEL_PROPOSE_MIN not proposed.
ONLINE_PROPOSE_MIN_SCORE = 0.6
ONLINE_AUTO_MIN_SCORE = 0.85
ONLINE_LABEL_PROPOSE_MIN = 0.85
# Reading a table (omr.online.table): records read to choose the separator and find the header; the header
# is the first row with at least this share of the widest row's cells (titles above it fill one or two).
ONLINE_SNIFF_LINES = 50
ONLINE_HEADER_MIN_SHARE = 0.6
# Excel serial day numbers within this range (1954-10-03 .. 2119-01-11) are dates; outside, plain numbers
# (omr.online.values): a survey date is never outside it, a count or an amount is rarely inside.
ONLINE_EXCEL_SERIAL_RANGE = (20000, 80000)
# Share of a file's non-ASCII words that must be Vietnamese syllables when it is read as Windows-1258,
# for that reading to be taken (omr.online.windows1258: a Windows-1252 or TCVN3 file read as
# Windows-1258 scores well under half).
WINDOWS_1258_MIN_SYLLABLE_SHARE = 0.9
# A few bytes Windows-1258 leaves undefined are noise in a real Windows-1258 file (a stray byte from a
# broken paste); a file with more is in another encoding. Three bytes, or 0.5 % of the non-ASCII bytes
# (the case file has ~2,400), whichever is more.
WINDOWS_1258_MAX_UNDEFINED_BYTES = 3
WINDOWS_1258_MAX_UNDEFINED_SHARE = 0.005

# The database (omr.data.store). SQLite lets one writer at a time; a page takes milliseconds, so a writer
# waiting 30 s means something is stuck rather than busy.
SQLITE_BUSY_TIMEOUT_S = 30.0
# After the busy timeout (or a PostgreSQL deadlock) the page is retried whole, this many times.
DB_LOCK_RETRIES = 6
# Another process inserting the same unique row between our check and our insert: the retry sees its
# row. More than this is a real constraint bug.
DB_UNIQUE_RACE_RETRIES = 3
# A database server that does not answer in 10 s is treated as unreachable.
POSTGRES_CONNECT_TIMEOUT_S = 10
