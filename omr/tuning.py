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
# Filled squares; QR finder rings are ~0.5. At the ~50 dpi search scale a mark
# turned 1.5° fills only 80 % of its 13 x 13 px bounding box, so 0.8 lost it.
FIDUCIAL_MIN_SOLIDITY = 0.7
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
# Text in a crop is deskewed when the page warp left it tilted more than this.
DESKEW_MIN_DEG = 0.4
DESKEW_MAX_DEG = 3.0
DESKEW_STEP_DEG = 0.5
DESKEW_PX_PER_MM = 2.0
# A writing line is the band from this far above its guide line to this far below.
LINE_ABOVE_GUIDE_MM = 7.0
LINE_BELOW_GUIDE_MM = 1.5
# A draft is shown as "likely correct" when Tesseract's mean word confidence is
# at least this and no word is below the minimum: printed-style text reads at
# 90-96 on specimen batches, handwriting-like strokes at 30-70. A person still
# confirms it.
LIKELY_CORRECT_MEAN_CONF = 85.0
LIKELY_CORRECT_MIN_WORD_CONF = 60.0

# --- Forms designed elsewhere (issue #8: omr.scan.register, omr.scan.bubbles, omr.template_from.blank) ---
# Registration to a blank reference image. SIFT features on images whose
# longer side is at most this: an A4 page at ~5 px/mm keeps printed text as
# features, and matching stays well under a second per reference.
REGISTER_MAX_SIDE_PX = 1400
REGISTER_MAX_FEATURES = 4000
# Lowered from OpenCV's 0.04: thin printed lines on white give weak responses.
REGISTER_CONTRAST_THRESHOLD = 0.02
# Lowe's ratio test: a match must be clearly better than the second best
# (bubble grids repeat, so ambiguous matches are common and must go).
REGISTER_RATIO = 0.8
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
# Finding boxes on a blank form (omr template from-blank; sizes and the rest: the #16 block at the end):
# a text frame is at least 40 x 8 mm; a bubble's circularity (4 pi area / perimeter^2) is above 0.75
# (a square's is 0.785 but it has four corners).
BLANK_BUBBLE_MIN_CIRCULARITY = 0.75
BLANK_FRAME_MIN_MM = (40.0, 8.0)
# Boxes on one line belong to one question unless a gap this wide (or 2.5 times
# the line's usual gap) separates them: two questions side by side.
BLANK_QUESTION_GAP_MM = 40.0
# Lone boxes stacked one per line at most this far apart are one question's options.
BLANK_STACK_MAX_MM = 12.0

# --- Issue #16: boxes on blank forms made elsewhere (omr/template_from/boxes.py, printed.py) -----------
# Outside size of a printed box, mm: the contract (2 to 8 mm), with 10 % for print and scan
# scale. Below 2 mm a box cannot be ticked; above 8 mm a square is a table cell for writing.
BLANK_BOX_OUTER_MM = (1.8, 8.8)
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
# A hole in a character read as a letter is a letter's counter when a neighbour in its word is at least
# 0.55 as tall (lower-case letters beside capitals are ~0.7) and closer than 0.35 of its height (letters
# are set ~0.1 apart; a box is set a space, ~0.4 of its height or more, from its label).
BLANK_TEXT_NEIGHBOUR_HEIGHT = 0.55
BLANK_TEXT_LETTER_GAP = 0.35
# Ink inside a box that survives opening by a 0.5 mm square is a solid shape (a QR code's alignment
# pattern has a one-module (0.6 mm) centre; a bullet), not a letter printed in a bubble (strokes of 7-10 pt type are 0.2-0.4 mm). Above
# 8 % of the inside, the hole is not a box.
BLANK_SOLID_MM = 0.5
BLANK_BOX_MAX_SOLID_INSIDE = 0.08
# A lettered ring found by its outline (its letter touches the ring): ring plus letter cover at most
# 60 % of the disc (a circled digit at 10 pt and 150 dpi: 54-56 %; a solid dot 100 %). Letters (Ô, Ö) are
# told apart by the printed words.
BLANK_LETTERED_RING_MAX_INK = 0.6
# ...and is at least 2.5 mm across: the outlines of letters of 10-12 pt body text with a counter
# (o, d, Đ, Ô) measured 2.0-2.4 mm on omr's blank and the office blanks; circled digits at 10 pt 2.6 mm.
BLANK_LETTERED_RING_MIN_MM = 2.5
# Grouping boxes into questions by the print (omr/template_from/questions.py).
# A printed vertical rule between two boxes of a row splits them (a date's tens | units) when it is
# at least 1.2 box heights and at least this tall (mm): taller than any letter of 8-14 pt body text.
BLANK_SEPARATOR_MIN_MM = 4.0
# An unlabelled gap in a row (grid of bare boxes) wider than 1.6 times the row's usual unlabelled gap
# starts another question (omr's date: 7.2 mm between units, 12+ mm between tens and units).
BLANK_UNLABELLED_GAP_RATIO = 1.6
# Options wrapped to a second line start at the same indent as the first line's, within 4 mm.
BLANK_INDENT_MM = 4.0
# A column heading is read up to 14 mm above a grid's top box (omr's heading of 3 lines is ~12 mm).
BLANK_HEADING_MAX_MM = 14.0
# A question's text is the nearest line without boxes up to 15 mm above its first box.
BLANK_QUESTION_TEXT_MAX_MM = 15.0
# Words of one label are set at most 4 mm apart (a space is ~1 mm at 11 pt); a wider blank ends it.
BLANK_LABEL_WORD_GAP_MM = 4.0
# A comb field (one written digit per cell): cells at most 1 mm apart (they share a ruled wall) and at
# least 1.15 times as tall as wide (Word combs and OMRChecker's sample6: 5 x 7 mm, 4.5 x 7.2 mm); square
# cells side by side stay choice boxes.
BLANK_COMB_MAX_GAP_MM = 1.0
BLANK_COMB_MIN_ASPECT = 1.15
# A row label in a table cell wraps above and below its boxes: a row of boxes owns the page halfway to
# the next rows, up to 8 mm each way (Word's grid rows with 3-line labels are ~18 mm tall).
BLANK_ROW_BAND_MM = 8.0
# A pinned box's printed outline must be where it is read (omr/scan/printed_boxes.py): the outline band
# is the edge +- 0.5 mm (registration leaves ~0.3 mm; Word's lines are 0.1-0.5 mm), compared with
# paper 0.8-1.6 mm outside it.
PRINTED_RIM_BAND_MM = 0.5
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
