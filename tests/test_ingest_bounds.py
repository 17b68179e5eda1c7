"""Issue 13 item 2: hostile or broken files cannot stop or sink a batch.

Declared counts are never trusted, pages are streamed; pixels, pages and
seconds per page are bounded, each with a message naming the file and page;
a page that fails to load is named and skipped, and the rest is read.
"""

from __future__ import annotations

import struct
import sys
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from db_fixtures import SQLITE_ONLY
from PIL import Image

from omr import tuning as T
from omr.errors import InputFileError
from omr.scan.batch import format_report, run_scan
from omr.scan.ingest import count_pages, count_pages_checked, iter_pages
from omr.scan.page_workers import Failure, PageWorkers

sys.path.insert(0, str(Path(__file__).resolve().parent))
import page_worker_tasks  # noqa: E402
from ingest_variants import pdf_file, pdf_with_image  # noqa: E402

TEMPLATES = str(Path(__file__).resolve().parents[1] / "form_templates")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def apng_declaring(frames_declared: int, frames_real: int = 1, size: int = 256) -> bytes:
    """An animated PNG whose acTL says ``frames_declared`` frames but that holds ``frames_real``."""
    raw = b"".join(b"\x00" + b"\xff" * size for _ in range(size))
    out = [b"\x89PNG\r\n\x1a\n", _png_chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)),
           _png_chunk(b"acTL", struct.pack(">II", frames_declared, 0))]
    sequence = 0
    for frame in range(frames_real):
        out.append(_png_chunk(b"fcTL", struct.pack(">IIIIIHHBB", sequence, size, size, 0, 0, 1, 1, 0, 0)))
        sequence += 1
        if frame == 0:
            out.append(_png_chunk(b"IDAT", zlib.compress(raw)))
        else:
            out.append(_png_chunk(b"fdAT", struct.pack(">I", sequence) + zlib.compress(raw)))
            sequence += 1
    out.append(_png_chunk(b"IEND", b""))
    return b"".join(out)


# --- declared counts are never trusted -------------------------------------------------

@pytest.mark.parametrize("declared", [2, 1000, 2 ** 31 - 1])
def test_apng_declaring_huge_frame_counts_is_counted_by_its_real_frames(tmp_path, declared):
    path = tmp_path / "anim.png"
    path.write_bytes(apng_declaring(declared))
    started = time.monotonic()
    n = count_pages(path)
    pages = list(iter_pages(path))
    assert time.monotonic() - started < 10
    # The one real frame is read; a declared frame that is not there is named, never invented as pages.
    assert n <= 2 and len(pages) <= 2 and pages[0].image is not None
    if len(pages) == 2:
        assert pages[1].image is None and "anim.png, trang 2" in pages[1].error.message


def test_tiff_whose_directories_loop_ends(tmp_path):
    """A TIFF whose last directory points back at the first: an endless page list, read once."""
    path = tmp_path / "loop.tif"
    frames = [Image.new("L", (400, 300), 255) for _ in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    data = bytearray(path.read_bytes())
    first_ifd = struct.unpack("<I", data[4:8])[0]
    offset = first_ifd
    for _ in range(3):  # walk to the last directory, then point its "next" at the first
        entries = struct.unpack("<H", data[offset:offset + 2])[0]
        next_at = offset + 2 + 12 * entries
        following = struct.unpack("<I", data[next_at:next_at + 4])[0]
        if following == 0:
            data[next_at:next_at + 4] = struct.pack("<I", first_ifd)
            break
        offset = following
    path.write_bytes(bytes(data))
    started = time.monotonic()
    n, _ = count_pages_checked(path)
    pages = list(iter_pages(path))
    assert time.monotonic() - started < 30
    assert n <= T.MAX_PAGES_PER_FILE and len(pages) <= T.MAX_PAGES_PER_FILE
    assert [p.image is not None for p in pages[:3]] == [True, True, True]


def test_pages_per_file_bound_names_the_file_and_where_it_stops(tmp_path, monkeypatch):
    monkeypatch.setattr(T, "MAX_PAGES_PER_FILE", 3)
    path = tmp_path / "many.tif"
    frames = [Image.new("L", (40, 30), 255) for _ in range(5)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    n, message = count_pages_checked(path)
    assert n == 3 and len(list(iter_pages(path))) == 3
    assert "many.tif" in message and "3 trang" in message and "trang 4" in message


@SQLITE_ONLY  # the store holds what was read; the summary is what is tested
def test_a_pdf_over_the_page_bound_says_how_many_pages_it_has_which_were_read_and_to_split_it(
        tmp_path, monkeypatch, store):
    """A 10,000-page PDF was read to page 2000 and said only «tệp có hơn 2000 trang», under «Tệp không đọc
    được»: a fresh user's trial could not tell that 8,000 pages were left, nor that the rest was read."""
    monkeypatch.setattr(T, "MAX_PAGES_PER_FILE", 3)
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 60 80] >>"
    path = tmp_path / "cả năm.pdf"
    path.write_bytes(minimal_pdf([page] * 7))
    n, message = count_pages_checked(path)
    assert n == 3
    assert f"{path}: tệp có 7 trang; chỉ đọc 3 trang đầu" in message
    assert "từ trang 4 trở đi không đọc (4 trang, trang 4–7)" in message
    assert "chia tệp thành nhiều tệp nhỏ hơn (mỗi tệp không quá 3 trang)" in message
    report = run_scan([str(path)], store, "b", template_dir=TEMPLATES)
    assert report.pages_seen == 3
    text = format_report(report, store.summary())
    assert f"Tệp chỉ đọc một phần: {message}" in text and "Tệp không đọc được" not in text


def test_pdf_declaring_more_pages_than_its_tree_holds(tmp_path):
    """/Count 7 over two pages: two pages read, no phantom broken pages."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"
    path = tmp_path / "seven.pdf"
    path.write_bytes(minimal_pdf([page, page], count=7))
    assert count_pages_checked(path) == (2, None)
    assert [p.image is not None for p in iter_pages(path)] == [True, True]


def test_pdf_declaring_two_billion_pages(tmp_path):
    """/Count 2^31 over one page: the declared count is not a page count."""
    pdf = minimal_pdf([b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"], count=2 ** 31)
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    try:
        n = count_pages(path)
    except InputFileError as exc:  # refusing the file, by name, is right too
        assert "count.pdf" in exc.message
        return
    assert n <= T.MAX_PAGES_PER_FILE
    assert len(list(iter_pages(path))) <= T.MAX_PAGES_PER_FILE


# --- pixels -------------------------------------------------------------------------------

def test_png_decompression_bomb_is_refused_before_decoding(tmp_path):
    """A 100 000 x 100 000 PNG of a few kilobytes (10 G pixels) is refused from its header."""
    width = height = 100_000
    row = b"\x00" + b"\x00" * (width // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(200)) + compressor.flush()  # truncated data
    path = tmp_path / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                     + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b""))
    assert path.stat().st_size < 100_000
    pages = list(iter_pages(path))
    assert len(pages) == 1 and pages[0].image is None
    assert "bomb.png, trang 1" in pages[0].error.message and "quá lớn" in pages[0].error.message


def test_huge_pdf_page_is_rendered_within_the_pixel_bound(tmp_path):
    """A 5 m x 5 m PDF page: rendered smaller, never 60 M+ pixels."""
    path = tmp_path / "poster.pdf"
    path.write_bytes(minimal_pdf([b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] >>"]))
    page = next(iter_pages(path))
    assert page.image is not None and page.image.size <= T.MAX_PAGE_PIXELS


# --- broken pages and files: named, skipped, the rest read -----------------------------------

def minimal_pdf(pages: list[bytes], count: int | None = None, broken: set[int] = frozenset()) -> bytes:
    """A PDF with the given page dictionaries (object 3 on); pages in ``broken`` are not page objects."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count or len(pages)} >>".encode())
    for i, page in enumerate(pages):
        objects.append(b"<< /Type /Font >>" if i in broken else page)
    return pdf_file(objects)


def test_broken_page_among_good_ones_is_named_and_the_others_are_read(tmp_path):
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
    path = tmp_path / "three.pdf"
    path.write_bytes(minimal_pdf([page, page, page], broken={1}))
    pages = list(iter_pages(path))
    assert [p.index for p in pages] == [0, 1, 2]
    assert pages[0].image is not None and pages[2].image is not None
    assert pages[1].image is None and "three.pdf, trang 2" in pages[1].error.message


@SQLITE_ONLY  # the store holds what was read; reading is what is tested
def test_truncated_pdf_names_the_file_and_the_batch_goes_on(tmp_path, office_batch, store):
    pdf, _, _ = office_batch
    data = pdf.read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 2])
    report = run_scan([str(cut), str(pdf)], store, "b", template_dir=TEMPLATES)
    text = format_report(report, store.summary())
    # Its readable first pages are read; the first page lost is named with the file, in one line.
    line = next(line for line in text.splitlines() if "cut.pdf" in line and "cắt cụt" in line)
    read = int(line.split("đã đọc ")[1].split(" trang")[0])
    assert read >= 1 and f"từ trang {read + 1} trở đi không đọc được" in line
    # The good file is read whole, and the cut one's first pages too.
    assert report.outcomes["new"] + report.outcomes["rescan"] + report.outcomes["conflict"] >= 14 + read


def _docx_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize("content,kind,advice", [
    ("Danh sách phiếu đã thu, đợt 1\nTổ 1: 25 phiếu\n".encode(), "văn bản thuần (text)", "không có trang phiếu"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "ảnh PNG", "đổi đuôi tên tệp thành .png"),
    (_docx_bytes(), "tài liệu Word (.docx)", "Lưu thành PDF"),
], ids=["text", "png", "docx"])
def test_a_file_named_pdf_that_is_not_one_says_what_it_is(tmp_path, content, kind, advice):
    path = tmp_path / "phiếu đợt 1.pdf"
    path.write_bytes(content)
    for read in (count_pages, lambda p: list(iter_pages(p))):
        with pytest.raises(InputFileError) as raised:
            read(path)
        message = raised.value.message
        assert message.startswith(f"{path}: không phải tệp PDF") and f"nội dung là {kind}" in message, message
        assert advice in message and "cắt cụt" not in message and "bị hỏng" not in message, message


@SQLITE_ONLY  # the store holds what was read; reading is what is tested
def test_a_text_file_named_pdf_is_named_and_the_batch_goes_on(tmp_path, store):
    notes = tmp_path / "ghi-chu.pdf"
    notes.write_text("Ghi chú: đợt quét tháng 3, còn thiếu 2 phiếu.", encoding="utf-8")
    blank = tmp_path / "trang.png"
    Image.fromarray(np.full((2339, 1654), 250, np.uint8)).save(blank)
    report = run_scan([str(notes), str(blank)], store, "b", template_dir=TEMPLATES)
    assert report.pages_seen == 1 and report.set_aside[0][2] == "blank", "the next file was read"
    text = format_report(report, store.summary())
    assert (f"Tệp không đọc được: {notes}: không phải tệp PDF dù tên có đuôi .pdf: "
            "nội dung là văn bản thuần (text); tệp này không có trang phiếu quét nào để đọc") in text, text


@SQLITE_ONLY  # the store holds what was read; reading is what is tested
def test_a_gif_of_many_frames_is_refused_once_for_the_whole_file(tmp_path, store):
    """A GIF given by name was counted frame by frame, then refused once per frame (a 3,000-frame GIF made
    2,000 "unexpected error" lines and 2,000 queue items; found by re-running the cases' variants)."""
    gif = tmp_path / "ảnh chụp.gif"
    frames = [Image.fromarray(np.full((40, 30), 40 * k % 255, np.uint8)) for k in range(30)]
    frames[0].save(gif, save_all=True, append_images=frames[1:])
    blank = tmp_path / "trang.png"
    Image.fromarray(np.full((2339, 1654), 250, np.uint8)).save(blank)
    report = run_scan([str(gif), str(blank)], store, "b", template_dir=TEMPLATES)
    assert report.pages_seen == 1 and report.set_aside[0][2] == "blank", "the next file was read"
    text = format_report(report, store.summary())
    assert text.count(str(gif)) == 1, text
    assert (f"{gif}: không phải tệp ảnh hay PDF đọc được; nội dung là ảnh GIF; "
            "hãy lưu ảnh thành PNG hoặc JPEG rồi đọc lại") in text, text
    assert "không mong đợi" not in text and store.summary()["pages"] == 1


# --- seconds and crashes: watched workers ----------------------------------------------------

def _run(tasks, **kwargs):
    pool = PageWorkers(2, page_worker_tasks.init, ("x",), page_worker_tasks.task, **kwargs)
    return dict(pool.map([[t] for t in tasks]))


def test_a_page_that_hangs_is_stopped_and_the_others_answer():
    started = time.monotonic()
    out = _run(["a", "slow", "b", "c"], seconds_per_task=3)
    assert time.monotonic() - started < 30
    assert out["a"] == "A" and out["b"] == "B" and out["c"] == "C"
    assert isinstance(out["slow"], Failure) and out["slow"].kind == "timeout" and "3 giây" in out["slow"].message


def test_a_page_that_kills_its_reader_or_fails_is_named_and_the_rest_of_its_run_is_read():
    pool = PageWorkers(1, page_worker_tasks.init, ("x",), page_worker_tasks.task, seconds_per_task=20)
    out = list(pool.map([["a", "die", "b"], ["bug", "c"]]))
    got = dict(out)
    assert len(out) == 5 and got["a"] == "A" and got["b"] == "B" and got["c"] == "C"
    assert got["die"].kind == "crashed" and got["bug"].kind == "error" and "broken decoder" in got["bug"].message


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory bound is Linux's RLIMIT_DATA")
def test_memory_bomb_in_a_worker_is_one_failed_page():
    out = _run(["a", "bomb"], seconds_per_task=30, max_memory_bytes=2 * 1024 ** 3)
    assert out["a"] == "A"
    assert isinstance(out["bomb"], Failure) and out["bomb"].kind in ("memory", "crashed")


def test_pdf_page_whose_jpeg_is_cut_short_is_named_never_read_as_blank(tmp_path):
    """A scan's JPEG stream cut before its end: decoders fill the rest grey; the page is refused."""

    grey = np.full((400, 300), 240, np.uint8)
    grey[50:350:20, 40:260] = 30
    _, encoded = cv2.imencode(".jpg", grey)
    cut = encoded.tobytes()[: len(encoded) * 2 // 3]
    path = tmp_path / "cutjpeg.pdf"
    path.write_bytes(pdf_with_image(300, 400, "/ColorSpace /DeviceGray /BitsPerComponent 8", cut,
                                    encoded_as="DCTDecode"))
    page, = list(iter_pages(path))
    assert page.image is None and "cutjpeg.pdf, trang 1" in page.error.message and "cắt cụt" in page.error.message
    whole = tmp_path / "whole.pdf"
    whole.write_bytes(pdf_with_image(300, 400, "/ColorSpace /DeviceGray /BitsPerComponent 8", encoded.tobytes(),
                                     encoded_as="DCTDecode"))
    assert next(iter_pages(whole)).stream_sha256  # the whole JPEG keeps the fast path


def test_truncated_jpeg_and_png_files_are_named(tmp_path):
    grey = np.full((400, 300), 240, np.uint8)
    for suffix in (".jpg", ".png"):
        _, encoded = cv2.imencode(suffix, grey)
        path = tmp_path / f"cut{suffix}"
        path.write_bytes(encoded.tobytes()[: len(encoded) // 2])
        try:
            pages = list(iter_pages(path))
        except InputFileError as exc:
            assert path.name in exc.message
            continue
        assert pages[0].image is None and f"{path.name}, trang 1" in pages[0].error.message


def test_a_tiff_cut_in_half_is_called_damaged_not_an_unknown_format(tmp_path):
    """A TIFF whose directory lies past the cut (a copy that did not finish) does not open at all: it is
    named as a damaged TIFF, to copy again, never as a file of an unknown format."""
    grey = np.full((400, 300), 240, np.uint8)
    path = tmp_path / "cut.tif"
    cv2.imwrite(str(path), grey)  # libtiff writes the directory after the pixels
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputFileError) as raised:
        list(iter_pages(path))
    message = raised.value.message
    assert message.startswith(f"{path}: tệp ảnh TIFF bị hỏng hoặc bị cắt cụt"), message
    assert "định dạng không nhận ra" not in message


def test_pdf_page_painting_an_image_beyond_the_pixel_bound_is_refused_before_decoding(tmp_path):
    """A 40 000 x 40 000 image drawn small on an A4 page: pdfium would decode it whole (1.6 GB) to paint it."""
    path = tmp_path / "bom.pdf"
    path.write_bytes(pdf_with_image(40_000, 40_000, "/ColorSpace /DeviceGray /BitsPerComponent 8", b"\x00" * 4096,
                                    place=(100, 100, 200, 200)))
    started = time.monotonic()
    pages = list(iter_pages(path))
    assert time.monotonic() - started < 5
    assert len(pages) == 1 and pages[0].image is None
    assert "bom.pdf, trang 1: ảnh trong trang quá lớn (1600 triệu điểm ảnh)" in pages[0].error.message


def _fake_zip64(path: Path, entries: int, first: bytes = b"a") -> None:
    """A ZIP (Zip64 end records) whose directory lists ``entries`` one-byte-named empty entries."""
    local = b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", 20, 0, 0, 0, 0, 0, 0, 0, 1, 0) + b"a"

    def entry(name: bytes) -> bytes:
        return b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0,
                                           0, 0) + name
    directory = entry(first) + entry(b"a") * (entries - 1)
    with open(path, "wb") as out:
        out.write(local + directory)
        z64 = len(local) + len(directory)
        out.write(b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, entries, entries, len(directory),
                                               len(local)))
        out.write(b"PK\x06\x07" + struct.pack("<IQI", 0, z64, 1))
        out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))


def test_a_zip_listing_a_huge_number_of_entries_is_told_apart_in_bounded_memory(tmp_path):
    """A fake .docx whose directory lists 2 million entries made content_kind build every entry (zipfile):
    gigabytes. Only the first entries are read now; the kind is still told from them."""
    import tracemalloc

    from omr.scan.ingest import content_kind

    path = tmp_path / "phiếu.pdf"
    _fake_zip64(path, 300_000, first=b"word/document.xml")
    tracemalloc.start()
    try:
        kind = content_kind(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert kind == "tài liệu Word (.docx)"
    assert peak < 4 * T.ZIP_KIND_MAX_DIRECTORY_BYTES, peak  # zipfile took > 100 MB for this one
    path.write_bytes(_docx_bytes())  # an ordinary .docx is still named
    assert content_kind(path) == "tài liệu Word (.docx)"


def test_time_spent_waiting_for_a_busy_machine_is_not_counted_against_a_page(monkeypatch):
    """The trial's 1-page try-on failed its 20 s on a machine loaded by other work. A page's bound counts
    its time less its wait for a CPU (the worker's run-queue wait, faked here as all of its time): a page
    that took 4 s of wall time, all of it waiting, is read under a 3 s bound; one that waits past 4 times
    the bound is stopped, and the message says the machine was busy, not the page at fault. With no wait
    (a hang), the bound is the bound."""
    from omr.scan import page_workers

    starts: dict[int, float] = {}

    def all_waiting(pid):
        return time.monotonic() - starts.setdefault(pid, time.monotonic())

    monkeypatch.setattr(page_workers, "_run_queue_wait", all_waiting)
    out = _run(["a", "wait4"], seconds_per_task=3)
    assert out == {"a": "A", "wait4": "WAIT4"}
    started = time.monotonic()
    out = _run(["wait60"], seconds_per_task=3)
    assert time.monotonic() - started < 40
    failure = out["wait60"]
    assert isinstance(failure, Failure) and failure.kind == "timeout" and failure.busy
    assert "máy đang quá bận" in failure.message
    monkeypatch.setattr(page_workers, "_run_queue_wait", lambda pid: 0.0)
    out = _run(["wait6"], seconds_per_task=3)
    assert isinstance(out["wait6"], Failure) and not out["wait6"].busy and "3 giây" in out["wait6"].message
