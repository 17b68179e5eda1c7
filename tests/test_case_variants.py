"""Variants of the failing-input cases (../shared/data/cases/) that still failed once the cases themselves
were fixed: other ways scanners, image software and spreadsheets store the same page or export.

- 32-bit integer and float TIFFs holding 8- or 16-bit values (ImageJ, numpy, scientific scanner software):
  divided by 2^32 they came out black and were set aside as blank pages.
- An uncompressed TIFF stored turned, with its Orientation tag (5-8): Pillow's memory map sheared it and
  the page was set aside as too light.
- A Windows-1258 CSV saved lossily (letters the code page lacks written as "?") imported without a
  mapping: the time, unit and overall-satisfaction (H1) columns were not recognised, H1 came in blank.
"""

from __future__ import annotations

import io
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin

from omr.data.store import open_store
from omr.online.importer import import_online
from omr.online.windows1258 import repair_word, vocabulary
from omr.scan.ingest import iter_pages
from omr.scan.page import process_page

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_variants import STORED_FOR_ORIENTATION  # noqa: E402
from test_ingest_formats import assert_reads_like  # noqa: E402
from test_online_windows1258 import _answers, lossy_windows_1258  # noqa: E402


def _only_page(path: Path) -> np.ndarray:
    pages = list(iter_pages(path))
    assert len(pages) == 1 and pages[0].image is not None, pages[0].error
    return pages[0].image


# --- 32-bit integer and float samples ---------------------------------------------------------------

@pytest.mark.parametrize("kind", ["int32-8bit-values", "float-0-255", "float-0-65535"])
def test_wide_samples_holding_narrow_values_read_like_the_8bit_page(kind, clean_sheet, catalogue, tmp_path):
    pages, reads = clean_sheet
    grey = pages[0]
    path = tmp_path / f"{kind}.tif"
    if kind == "int32-8bit-values":
        Image.fromarray(grey.astype(np.int32), "I").save(path)
    elif kind == "float-0-255":
        Image.fromarray(grey.astype(np.float32), "F").save(path)
    else:
        Image.fromarray(grey.astype(np.float32) * 257, "F").save(path)
    image = _only_page(path)
    assert np.abs(image.astype(int) - grey).max() <= 1  # scaled by its values' range, never black
    if kind == "float-0-255":
        from omr.scan.ingest import RawPage

        assert_reads_like(process_page(RawPage(str(path), 0, image), catalogue), reads[0])


# --- TIFF Orientation 5-8, uncompressed (one strip) --------------------------------------------------

@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_an_uncompressed_tiff_stored_turned_comes_out_upright(orientation, clean_sheet, catalogue, tmp_path):
    pages, reads = clean_sheet
    stored = Image.fromarray(pages[0]).transpose(STORED_FOR_ORIENTATION[orientation])
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[274] = orientation
    path = tmp_path / f"turned{orientation}.tif"
    stored.save(path, tiffinfo=tags)  # no compression: one strip Pillow would memory-map
    image = _only_page(path)
    assert image.shape == pages[0].shape and np.array_equal(image, pages[0])
    if orientation == 6:
        from omr.scan.ingest import RawPage

        assert_reads_like(process_page(RawPage(str(path), 0, image), catalogue), reads[0])


# --- lossy Windows-1258 CSV without a mapping ----------------------------------------------------------

def test_lossy_windows_1258_without_a_mapping_keeps_every_coded_answer_and_time(repo_root, tmp_path):
    example = repo_root / "examples" / "online" / "google-forms-vi.csv"
    text = example.read_text(encoding="utf-8")
    lossy = tmp_path / "lossy.csv"
    lossy.write_bytes(lossy_windows_1258(text))
    assert b"D?u th?i gian" in lossy.read_bytes() and b"M?c \xf0? h\xe0i l?ng chung" in lossy.read_bytes()
    templates = repo_root / "form_templates"
    with open_store(str(tmp_path / "u.sqlite")) as a, open_store(str(tmp_path / "l.sqlite")) as b:
        utf8 = import_online(a, example, "s", None, templates=templates, rejects=tmp_path / "ra.csv")
        report = import_online(b, lossy, "s", None, templates=templates, rejects=tmp_path / "rb.csv")
        theirs, ours = _answers(a, "s"), _answers(b, "s")
    assert report.table.encoding == "cp1258" and report.imported == utf8.imported == 36
    assert ours.keys() == theirs.keys()
    free_text = {"H3", "H4"}
    for row in theirs:
        # Every coded answer (H1, overall satisfaction, included) and the time of sending are the file's.
        assert {q: v for q, v in ours[row][0].items() if q not in free_text} == \
               {q: v for q, v in theirs[row][0].items() if q not in free_text}, row
        assert ours[row][2] == theirs[row][2] is not None, row
        assert ours[row][1] is not None  # the unit column is used
    assert sum(v[0]["H1"][0] is not None for v in ours.values()) > 30


def test_a_lost_letter_is_only_one_windows_1258_cannot_hold():
    words = vocabulary(["cán bộ tiếp nhận", "cận", "Mức độ"])
    # "c?n": á and â are bytes of Windows-1258, so only "cận" (ậ) could have lost its letter.
    assert repair_word("c?n", words) == "cận"
    assert repair_word("nh?n", words) == "nhận"
    assert repair_word("M?c", words) == "Mức"
    # "cán" saved lossily stays "cán": nothing to repair, and "c?n" never becomes it.
    only_can = vocabulary(["cán bộ"])
    assert repair_word("c?n", only_can) is None
    assert unicodedata.normalize("NFC", "ậ").encode("cp1258", errors="replace") == b"?"


# --- a PDF under an image's name ------------------------------------------------------------------------

def test_a_pdf_named_as_a_jpeg_is_read_as_the_pdf_it_is(clean_sheet, tmp_path):
    """A phone scanning app's "scan.jpg" holding a PDF was refused as an unknown format."""
    from ingest_variants import pdf_variant

    from omr.scan.ingest import count_pages

    pages, _ = clean_sheet
    data = pdf_variant("plain", pages[0])
    (tmp_path / "scan.pdf").write_bytes(data)
    (tmp_path / "scan.jpg").write_bytes(data)
    assert count_pages(tmp_path / "scan.jpg") == 1
    assert np.array_equal(_only_page(tmp_path / "scan.jpg"), _only_page(tmp_path / "scan.pdf"))


# --- failures found outside ingest, fixed by their owners (tests/test_comment_shade.py has variants) -------

@pytest.fixture(scope="module")
def filled_sheet(default_layout):
    """One filled sheet (both pages, RGB at 200 dpi, before scanning), no comments, and its truth."""
    from omr.forms.simulate import _BlankPages, choose_answers, fill_page

    template, layout = default_layout
    rng = np.random.default_rng(77)
    blanks = _BlankPages(layout, 200).pages
    truth = choose_answers(template, 5151, rng, None, comment_share=0.0)
    return truth, {p.number: fill_page(blanks[p.number], p, truth, 200, rng, faint=False) for p in layout.pages}


def _office_scan(rgb: np.ndarray, seed: int) -> np.ndarray:
    import io

    from omr.forms.simulate import PROFILES, scan_page

    data, _ = scan_page(np.ascontiguousarray(rgb), PROFILES["office"], 200, np.random.default_rng(seed),
                        upside_down=False)
    return np.asarray(Image.open(io.BytesIO(data)).convert("L")).copy()


def test_a_fold_shade_down_page_2_writes_no_comment(filled_sheet, catalogue):
    from omr.scan.ingest import RawPage

    truth, pages = filled_sheet
    rgb = pages[2].astype(np.float32)
    x = np.arange(rgb.shape[1]) - rgb.shape[1] // 2
    shade = 1 - 0.35 * np.clip(1 - np.abs(x) / 40, 0, 1)  # 35 % darker at the fold, 5 mm each side
    grey = _office_scan(np.clip(rgb * shade[None, :, None], 0, 255).astype(np.uint8), 0)
    result = process_page(RawPage("fold.jpg", 0, grey), catalogue)
    assert result.set_aside is None and result.page == 2
    assert [c.field for c in result.comments if c.inked] == []


@pytest.mark.parametrize("level", [0, 40, 100])
def test_an_even_dark_page_is_never_called_blank(level, clean_sheet, catalogue):
    """A page decoded all black (a negative, a wrong decode, the scanner's lid open) is set aside as too
    dark, which tells the operator to scan it again, never as a blank page to throw away."""
    from omr.scan.ingest import RawPage

    pages, _ = clean_sheet
    result = process_page(RawPage("black.png", 0, np.full_like(pages[0], level)), catalogue)
    assert result.set_aside == "too_dark"
    paper = process_page(RawPage("paper.png", 0, np.full_like(pages[0], 235)), catalogue)
    assert paper.set_aside == "blank"


# --- 16-bit colour holding fewer significant bits ---------------------------------------------------------

@pytest.mark.parametrize("name,bits", [("rgb10.png", 10), ("rgb12.png", 12), ("rgb12-lzw.tif", 12),
                                       ("rgb16.tif", 16)])
def test_sixteen_bit_colour_keeps_all_its_bits(name, bits, clean_sheet, catalogue, tmp_path):
    """Pillow keeps the high byte of a 16-bit colour sample: a 10-bit scan came out 0-3, set aside as blank."""
    import cv2

    pages, reads = clean_sheet
    grey = pages[0]
    values = (grey.astype(np.uint32) * ((1 << bits) - 1) // 255).astype(np.uint16)
    path = tmp_path / name
    params = [cv2.IMWRITE_TIFF_COMPRESSION, 5] if "lzw" in name else []
    cv2.imwrite(str(path), np.dstack([values] * 3), params)
    image = _only_page(path)
    assert np.abs(image.astype(int) - grey).max() <= 1
    if bits == 10:
        from omr.scan.ingest import RawPage

        assert_reads_like(process_page(RawPage(str(path), 0, image), catalogue), reads[0])


# --- round 2 (branch hcases): 16-bit alpha, WebP and JPEG 2000, folders ------------------------------------

def _png(samples: np.ndarray, colour_type: int) -> bytes:
    """A 16-bit PNG written by hand (PNG 1.2: IHDR, one IDAT, IEND) of ``samples`` (H, W, C) uint16."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    h, w = samples.shape[:2]
    rows = samples.astype(">u2").reshape(h, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("kind", ["grey-alpha-12bit", "rgba-12bit"])
def test_sixteen_bit_alpha_holding_fewer_bits_is_opaque(kind, clean_sheet, catalogue, tmp_path):
    """A 12-bit scanner's page with alpha (4095 = opaque in its 12 bits) was taken as nearly transparent
    over 65535, composited into white paper and set aside as a blank page."""
    from omr.scan.ingest import RawPage

    pages, reads = clean_sheet
    grey = pages[0]
    values = grey.astype(np.uint32) * 4095 // 255
    alpha = np.full_like(values, 4095)
    samples = np.dstack([values, alpha]) if kind == "grey-alpha-12bit" else np.dstack([values] * 3 + [alpha])
    path = tmp_path / f"{kind}.png"
    path.write_bytes(_png(samples, 4 if kind == "grey-alpha-12bit" else 6))
    image = _only_page(path)
    assert np.abs(image.astype(int) - grey).max() <= 1
    assert_reads_like(process_page(RawPage(str(path), 0, image), catalogue), reads[0])


@pytest.mark.parametrize("name", ["phone.webp", "scan.jp2"])
def test_webp_and_jpeg_2000_pages_are_read(name, clean_sheet, catalogue, tmp_path):
    """Android phones and messaging apps save photos as WebP, some scanners write JPEG 2000: both were
    refused (and skipped without a word inside a folder)."""
    from omr.scan.ingest import RawPage

    pages, reads = clean_sheet
    path = tmp_path / name
    if name.endswith(".webp"):
        Image.fromarray(pages[0]).save(path, lossless=True)
    else:
        Image.fromarray(pages[0]).save(path, irreversible=False)  # lossless JPEG 2000 (5/3 wavelet)
    image = _only_page(path)
    assert np.array_equal(image, pages[0])
    assert_reads_like(process_page(RawPage(str(path), 0, image), catalogue), reads[0])


def test_a_folder_names_every_page_image_it_cannot_read(clean_sheet, tmp_path, capsys, repo_root):
    """A folder scan listed only the suffixes omr reads: a GIF, or a scan saved without a suffix, was left
    out without a word (a lost page). Now each is named with what to do; notes and hidden files are not."""
    from omr.cli import main

    pages, _ = clean_sheet
    folder = tmp_path / "đợt 1"
    folder.mkdir()
    Image.fromarray(pages[0]).save(folder / "trang1.webp", lossless=True)
    Image.fromarray(pages[1]).save(folder / "trang2.gif")
    Image.fromarray(pages[1]).save(folder / "scan0002", format="PNG")
    (folder / "ghi chú.txt").write_text("đợt 1", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    code = main(["scan", str(folder), "--db", str(tmp_path / "f.sqlite"), "--templates",
                 str(repo_root / "form_templates")])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 5 and "Traceback" not in text  # InputFileError's exit: some file was not read
    assert f"{folder / 'trang2.gif'}: không phải tệp ảnh hay PDF đọc được; nội dung là ảnh GIF" in text
    assert f"{folder / 'scan0002'}: không phải tệp ảnh hay PDF đọc được; nội dung là ảnh PNG; " \
           "hãy đổi đuôi tên tệp thành .png" in text
    # The note is no scan: named in the one line of files not read, the system's hidden file only counted.
    assert "không phải bản quét, không đọc (2 tệp; " in text and f"{folder / 'ghi chú.txt'} và 1 tệp ẩn" in text
    assert ".DS_Store" not in text
    assert "Trang đọc được lần này: 1" in text  # the WebP page


# --- a page that fails in the middle of a PDF: other breakages -----------------------------------------------

@pytest.fixture(scope="module")
def three_page_pdf(clean_sheet):
    """A 3-page PDF (pages 1, 2, 1 of the clean sheet as JPEGs, as img2pdf writes scans) as bytes."""
    import img2pdf

    pages, _ = clean_sheet
    jpegs = []
    for grey in (pages[0], pages[1], pages[0]):
        buffer = io.BytesIO()
        Image.fromarray(grey).save(buffer, format="JPEG", quality=90, dpi=(200, 200))
        jpegs.append(buffer.getvalue())
    return img2pdf.convert(jpegs)


def _break_page_2(data: bytes, how: str, path: Path) -> Path:
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(data))
    page = pdf.pages[1]
    image = list(page.Resources.XObject.values())[0]
    if how == "emptied contents":  # a writer that lost the page's drawing: its scan is still in the file
        page.obj["/Contents"] = pdf.make_stream(b"")
    elif how == "garbled contents":
        page.obj["/Contents"] = pdf.make_stream(b"q 1 0 0 1 0 0 cm BT /F9 12 Tf (x) Tj ET Q ]]]] >>>> /Im0 Dx")
    else:  # an image filter no reader knows: pdfium's error is English, with an object address
        image.write(b"abc" * 100, filter=pikepdf.Name("/FooDecode"), type_check=False)
    pdf.save(path)
    return path


@pytest.mark.parametrize("how", ["emptied contents", "garbled contents", "unknown filter"])
def test_a_broken_middle_pdf_page_is_named_in_vietnamese_never_blank(how, three_page_pdf, tmp_path):
    """Page 2's content stream emptied or garbled rendered white and was set aside as a blank page (its scan
    lost without a word); an image pdfium cannot decode was named with pdfium's English error
    ("Failed to get bitmap of image <PdfImage 0x7f…>"). Pages 1 and 3 are read either way."""
    path = _break_page_2(three_page_pdf, how, tmp_path / "lô.pdf")
    pages = list(iter_pages(path))
    assert [p.index for p in pages] == [0, 1, 2]
    assert pages[0].image is not None and pages[2].image is not None
    broken = pages[1]
    assert broken.image is None and broken.error.reason == "unreadable"
    message = broken.error.message
    assert message.startswith(f"{path}, trang 2: trang PDF bị hỏng")
    assert "Failed" not in message and "0x" not in message and "<" not in message
    assert "hãy quét lại tờ phiếu này" in message


# --- staples over two corner marks, one of them into the QR code ------------------------------------------------

def _staple(img: np.ndarray, p0_mm: tuple[float, float], p1_mm: tuple[float, float]) -> None:
    """A metal staple (0.9 mm wide, dark grey) drawn from ``p0_mm`` to ``p1_mm`` (page mm at 200 dpi)."""
    import cv2

    to_px = 200 / 25.4
    cv2.line(img, tuple(int(v * to_px) for v in p0_mm), tuple(int(v * to_px) for v in p1_mm), (80, 80, 80),
             int(0.9 * to_px), cv2.LINE_AA)


@pytest.mark.parametrize("number", [1, 2])
def test_staples_across_two_marks_and_into_the_qr_code_never_call_the_page_no_form(number, filled_sheet,
                                                                                   catalogue, default_layout):
    """Staples across both top corner marks, the right one running into the QR code's finder: neither the
    code nor three marks were found and the page was set aside as «không tìm thấy phiếu» (no form), a page
    an operator throws away. The marks and code are on the image, so the page is found by its print, read,
    and set aside for its serial (qr_unreadable), nothing read wrong."""
    from read_checks import assert_no_silent_error

    from omr.scan.ingest import RawPage

    truth, pages = filled_sheet
    _, layout = default_layout
    page = layout.page(number)
    rgb = pages[number].copy()
    tl, tr = page.fiducials[0], page.fiducials[1]
    _staple(rgb, (tl.x - 2, tl.y + tl.h + 3), (tl.x + tl.w + 3, tl.y - 2))  # across the top-left mark
    qr = page.qr
    _staple(rgb, (qr.x + qr.w - 3, tl.y + 2), (tr.x + tr.w + 4, tl.y + 1))  # from the code's finder across the mark
    result = process_page(RawPage("staples.jpg", 0, _office_scan(rgb, number)), catalogue)
    assert result.set_aside in (None, "qr_unreadable"), (result.set_aside, result.detail)
    assert result.page == number
    if result.set_aside == "qr_unreadable":
        assert "cần nhập số phiếu" in result.detail
    assert_no_silent_error(result, truth, max_review=3)


# --- a steep phone photo of one page with a hand's shadow ----------------------------------------------------

@pytest.mark.parametrize("seed", [1, 6])
def test_a_steep_shadowed_photo_of_one_page_is_never_told_as_a_cut_second_page(seed, filled_sheet, catalogue):
    """A phone held at a steep angle over a page half in a hand's shadow: the page is placed on its QR code
    and a few marks, every answer to review. Its own lower part was taken for print beside it and set
    aside as «nửa dưới … có thể là trang kia của tờ phiếu bị cắt mép», a second page that is not there."""
    import cv2

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench" / "hunt"))
    from photo import photograph
    from read_checks import assert_no_silent_error

    from omr.forms.simulate import cast_shadow
    from omr.scan.ingest import RawPage
    from omr.scan.page import process_image

    truth, pages = filled_sheet
    rng = np.random.default_rng(seed)
    rgb = pages[1].copy()
    cast_shadow(rgb, rng, strength=0.6)
    grey = cv2.cvtColor(photograph(rgb, rng, steep=0.35), cv2.COLOR_RGB2GRAY)
    results = process_image(RawPage("ảnh chụp.jpg", 0, grey), catalogue)
    assert [r.set_aside for r in results if r.set_aside == "half_not_form"] == []
    (result,) = results
    if result.set_aside is None:
        assert result.page == 1
        assert_no_silent_error(result, truth, max_review=len(result.questions))


# --- round 3 (branch hcases): a no-break space in a Unicode CSV is not TCVN3 --------------------------------

@pytest.mark.parametrize("excel", [False, True])
def test_a_no_break_space_after_a_label_or_comment_never_turns_it_into_tcvn3(excel, repo_root, tmp_path):
    """A label or comment pasted from a web page ends in a no-break space (U+00A0, byte 0xA0). A cell of
    Latin-1 letters holding one was taken for TCVN3 text: "Có\\u00a0" became "Cú" and "Hài lòng" "Hài lũng"
    (every such row refused), and a comment "Tôi hài lòng" was stored as "Tụi hài lũng" without a word."""
    import csv

    from omr.online.mapping import load_mapping
    from test_online_windows1258 import excel_windows_1258

    folder = repo_root / "examples" / "online"
    mapping = load_mapping(folder / "google-forms-vi.mapping.yaml")
    rows = list(csv.reader(io.StringIO((folder / "google-forms-vi.csv").read_text(encoding="utf-8"))))
    comment = rows[0].index(next(h for h in rows[0] if h.startswith("Ý kiến")))
    rows[1][comment] = "Tôi hài lòng"  # Latin-1 letters only, as many short Vietnamese comments are

    def write(name: str, table: list[list[str]]) -> Path:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(table)
        path = tmp_path / name
        path.write_bytes(excel_windows_1258(buffer.getvalue()) if excel else buffer.getvalue().encode("utf-8"))
        return path

    pasted = [rows[0]] + [[v + "\u00a0" if v in ("Có", "Hài lòng", "Tôi hài lòng") else v for v in r]
                          for r in rows[1:]]
    assert sum(v.endswith("\u00a0") for r in pasted for v in r) > 100
    with open_store(str(tmp_path / "a.sqlite")) as a, open_store(str(tmp_path / "b.sqlite")) as b:
        plain = import_online(a, write("plain.csv", rows), "s", mapping, rejects=tmp_path / "ra.csv")
        report = import_online(b, write("pasted.csv", pasted), "s", mapping, rejects=tmp_path / "rb.csv")
        theirs, ours = _answers(a, "s"), _answers(b, "s")
    assert report.table.legacy == {}  # nothing taken for TCVN3 or VNI
    assert (report.imported, report.rejected) == (plain.imported, plain.rejected) == (36, 1)

    def trimmed(answers: dict) -> dict:
        return {row: ({q: v.strip() if isinstance(v, str) else v for q, v in got[0].items()},) + got[1:]
                for row, got in answers.items()}

    assert trimmed(ours) == trimmed(theirs)
    assert "Tôi hài lòng" in str(ours)


# --- round 3 (branch hcases): a two-page scan fitted onto an A4 page of a PDF -------------------------------------

@pytest.mark.parametrize("how", ["landscape spread on a portrait page", "stacked pages on a landscape page"])
def test_both_pages_fitted_onto_one_pdf_page_are_both_read(how, clean_sheet, catalogue, tmp_path):
    """A phone scanning app or «Print to PDF» fits an A3 scan of both pages onto an A4 page: the spread lies in
    a band across the page, white above and below (or beside). The page's own shape chose the halves, across
    both form pages, and the image was set aside as «trang bị lệch» (misaligned), the wrong reason. The white
    around the image is no part of the scan: both pages are read, each as on its own."""
    import img2pdf

    from omr.scan.ingest import RawPage
    from omr.scan.page import process_image

    pages, reads = clean_sheet
    if how.startswith("landscape"):
        spread, page_mm = np.hstack(pages), (210, 297)
    else:
        spread, page_mm = np.vstack(pages), (297, 210)
    buffer = io.BytesIO()
    Image.fromarray(spread).save(buffer, format="JPEG", quality=92, dpi=(200, 200))
    fit = img2pdf.get_layout_fun(tuple(img2pdf.mm_to_pt(v) for v in page_mm))
    path = tmp_path / "a3-fitted.pdf"
    path.write_bytes(img2pdf.convert(buffer.getvalue(), layout_fun=fit))
    image = _only_page(path)
    results = process_image(RawPage(str(path), 0, image), catalogue)
    assert [(r.set_aside, r.page) for r in results] == [(None, 1), (None, 2)], [r.detail for r in results]
    for result, reference in zip(results, reads):
        assert_reads_like(result, reference, exact=False)


# --- round 3 (branch hcases): a PDF page whose JPEG scan is garbage --------------------------------------------------

def test_a_pdf_page_whose_jpeg_is_garbage_is_broken_never_blank(three_page_pdf, tmp_path):
    """pdfium paints nothing for JPEG bytes it cannot decode and qpdf leaves JPEG alone: page 2 came out white
    and was set aside as «trang trắng» (a blank page, thrown away), its scan lost without a word."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(three_page_pdf))
    image = list(pdf.pages[1].Resources.XObject.values())[0]
    image.write(b"\xff\xd8" + bytes(range(256)) * 40 + b"\xff\xd9", filter=pikepdf.Name.DCTDecode, type_check=False)
    path = tmp_path / "lô.pdf"
    pdf.save(path)
    pages = list(iter_pages(path))
    assert [p.index for p in pages] == [0, 1, 2]
    assert pages[0].image is not None and pages[2].image is not None
    broken = pages[1]
    assert broken.image is None and broken.error.reason == "unreadable", broken.error
    assert broken.error.message.startswith(f"{path}, trang 2: trang PDF bị hỏng")
