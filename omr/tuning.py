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
# Finding boxes on a blank form (omr template from-blank): a checkbox or bubble
# is 3-12 mm (10 pt capitals are ~2.5 mm, so letters like O stay out), nearly
# empty inside; a text frame is at least 40 x 8 mm; a bubble's circularity
# (4 pi area / perimeter^2) is above 0.75 (a square's is 0.785 but it has four corners).
BLANK_BOX_MM = (3.0, 12.0)
BLANK_BOX_MAX_INNER_INK = 0.25
BLANK_BUBBLE_MIN_CIRCULARITY = 0.75
BLANK_FRAME_MIN_MM = (40.0, 8.0)
# Boxes on one line belong to one question unless a gap this wide (or 2.5 times
# the line's usual gap) separates them: two questions side by side.
BLANK_QUESTION_GAP_MM = 40.0
# Lone boxes stacked one per line at most this far apart are one question's options.
BLANK_STACK_MAX_MM = 12.0

# --- Issue 13 (ingest half, branch h13a): what scanners and phones write, hostile files ---
# Pages per file: a scanner's feeder holds 50-100 sheets and a batch box 500
# sheets (1000 pages, both sides); twice that is still a real file, more is
# not a scan batch but a hostile or broken file (a PNG declaring 2^31 frames).
MAX_PAGES_PER_FILE = 2000
# Seconds to load and read one page: a page reads in 0.1-0.5 s on one core
# (specimen pages at 200 dpi, the 300 dpi cases; measured on the 2-core build
# machine under load), a few seconds with Tesseract drafting comments; 60 s
# leaves room for a machine shared by other work, and is still short enough
# that a page that hangs a decoder is named and skipped, not the batch stopped.
MAX_SECONDS_PER_PAGE = 60.0
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
# Failed logins allowed for one account name: five typing mistakes in a quarter of an hour is a
# person; more is guessing. After that the account answers 429 until the window ends, even to the
# right password (OWASP Authentication Cheat Sheet: lock out after a small number of failures).
LOGIN_FAILURES_PER_ACCOUNT = "5 per 15 minutes"
# Failed logins allowed from one address over all names: an office behind one NAT address has a
# few dozen staff, so this is several people's mistakes, and stops one machine trying many names.
LOGIN_FAILURES_PER_ADDRESS = "20 per 15 minutes"
# Reports rank a unit only with at least this many responses in the period. With fewer, one or two
# respondents move its index by several points and a ward can top the table on one form; 30 is the
# usual minimum sample for comparing means (central limit rule of thumb). Others are listed unranked.
RANKING_MIN_RESPONSES = 30
# Trimming a comment crop to its writing for the reports: a pixel darker than this grey (0-255) is
# writing. Stored crops are whitened to exactly 255 around the writing (omr.comments); on the six
# crops of a 12-sheet "office" specimen batch 97-98 % of pixels are 255, the other pixels have a
# median of 77-140, and those between 210 and 254 are only the soft edges of the same strokes.
CROP_TRIM_INK_LEVEL = 210
# and this much paper (px of the ~200 dpi crop, ~1 mm) is kept around it so no stroke touches the edge.
CROP_TRIM_MARGIN_PX = 8

# --- Issue #18: throughput and memory of scanning -------------------------------------------------
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
# Runs a worker holds at once: the one it reads and one waiting in its pipe, so it never idles while
# the parent stores a group of pages (~16 pages' worth of statements) before answering it. More would
# only put more of the batch's tail on one worker.
RUNS_AHEAD_PER_WORKER = 2
