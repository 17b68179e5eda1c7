"""The printed form names its issuing body and unit from the registry and thanks the respondent (#17).

The layout of a form version is frozen: the new lines must not put ink where anything is read.
"""

from __future__ import annotations

import numpy as np
import pypdfium2 as pdfium
import pytest

from omr.forms.printing import THANK_YOU, FormHeader, header_for_unit, print_forms
from omr.online.units import Unit

DPI = 100


def _pages(path) -> list[np.ndarray]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [np.asarray(pdf[i].render(scale=DPI / 72).to_pil().convert("L")) for i in range(len(pdf))]
    finally:
        pdf.close()


def _text(path) -> str:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def _read_zones(page, margin_mm=1.0):
    """Every rectangle the reader looks at on a page, in mm, with a margin."""
    rects = [(b.x, b.y, b.w, b.h) for b in page.checkboxes]
    rects += [(f.x, f.y, f.w, f.h) for f in page.fiducials]
    rects += [(r.x, r.y, r.w, r.h) for r in page.text_regions]
    rects.append((page.qr.x, page.qr.y, page.qr.w, page.qr.h))
    return [(x - margin_mm, y - margin_mm, w + 2 * margin_mm, h + 2 * margin_mm) for x, y, w, h in rects]


@pytest.mark.parametrize("name", ["Phường Cao Lãnh", "Xã Đông Hòa Hiệp Thượng Nguyên Bắc Sông Hậu Giang",
                                  "Đặc khu Côn Đảo"])
def test_the_header_goes_only_where_nothing_is_read(tmp_path, default_layout, name):
    _, layout = default_layout
    plain, headed = tmp_path / "plain.pdf", tmp_path / "headed.pdf"
    print_forms(layout, plain, 1, 7, "30001")
    print_forms(layout, headed, 1, 7, "30001", FormHeader("ỦY BAN NHÂN DÂN", name, "30001"))
    px = DPI / 25.4
    for page, before, after in zip(layout.pages, _pages(plain), _pages(headed), strict=True):
        # Ink added by the header (the bare "Đơn vị: 30001" it replaces may go).
        changed = after.astype(int) < before.astype(int) - 40
        assert changed.any()  # something was printed: the header or the thank-you line
        for x, y, w, h in _read_zones(page):
            zone = changed[int(y * px):int((y + h) * px) + 1, int(x * px):int((x + w) * px) + 1]
            assert not zone.any(), (page.number, (x, y, w, h))
    text = _text(headed)
    assert "ỦY BAN NHÂN DÂN" in text and THANK_YOU in text and "Mã đơn vị: 30001" in text
    assert f"Đơn vị: {name} (mã 30001)" in text.replace("\r", "").replace("\n", " ") or len(layout.pages) == 1


def test_the_issuing_body_stays_left_of_the_national_motto(tmp_path, default_layout):
    _, layout = default_layout
    page = layout.pages[0]
    out = tmp_path / "long.pdf"
    print_forms(layout, out, 1, 1, "30001",
                FormHeader("ỦY BAN NHÂN DÂN", "Xã Đông Hòa Hiệp Thượng Nguyên Bắc Sông Hậu Giang", "30001"))
    plain = tmp_path / "plain.pdf"
    print_forms(layout, plain, 1, 1, "30001")
    changed = _pages(out)[0].astype(int) < _pages(plain)[0].astype(int) - 40
    px = DPI / 25.4
    top = changed[:int(page.serial_anchor[1] * px)]
    columns = np.flatnonzero(top.any(axis=0)) / px
    assert columns.min() >= page.unit_anchor[0] - 0.5 and columns.max() < 64.0  # the motto starts at ~64.6 mm


def test_header_from_the_registry_uses_the_latest_name():
    rows = [Unit("30001", "Xã Cũ", "xã"), Unit("30001", "Phường Cao Lãnh", "phường",
                                                valid_from=__import__("datetime").date(2025, 7, 1))]
    assert header_for_unit("30001", rows).unit_name == "Phường Cao Lãnh"
    assert header_for_unit("030001", rows).unit_code == "030001"
    assert header_for_unit("99999", rows) is None


def test_forms_print_reads_the_registry_and_refuses_an_unknown_unit(tmp_path, repo_root, capsys):
    from omr.cli import main

    template = str(repo_root / "form_templates" / "motcua-2026.yaml")
    units = str(repo_root / "examples" / "units" / "caolanh.csv")
    out = tmp_path / "f.pdf"
    assert main(["forms", "print", template, "--count", "1", "--unit", "30001", "--units", units, "-o", str(out)]) == 0
    assert "Phường Cao Lãnh (mã 30001)" in capsys.readouterr().out
    assert "PHƯỜNG CAO LÃNH" in _text(out)
    assert main(["forms", "print", template, "--count", "1", "--unit", "30009", "--units", units,
                 "-o", str(tmp_path / "g.pdf")]) == 2
    assert "Mã đơn vị 30009 không có trong danh mục" in capsys.readouterr().err
    assert not (tmp_path / "g.pdf").exists()


def test_a_printed_form_with_its_header_is_still_read(tmp_path, repo_root):
    """Print, rasterise as a 200 dpi scan, read: both pages identified, nothing set aside."""
    from omr.cli import main
    from omr.data.store import open_store
    from omr.scan.batch import run_scan

    template = str(repo_root / "form_templates" / "motcua-2026.yaml")
    out = tmp_path / "f.pdf"
    assert main(["forms", "print", template, "--count", "2", "--unit", "30001", "--units",
                 str(repo_root / "examples" / "units" / "caolanh.csv"), "-o", str(out)]) == 0
    scans = tmp_path / "scans"
    scans.mkdir()
    from PIL import Image

    pdf = pdfium.PdfDocument(str(out))
    for i in range(len(pdf)):
        pdf[i].render(scale=200 / 72).to_pil().convert("L").save(scans / f"p{i}.png", dpi=(200, 200))
    pdf.close()
    assert Image.open(scans / "p0.png").size[0] > 1500
    with open_store(str(tmp_path / "omr.sqlite")) as store:
        report = run_scan([str(scans)], store, "in-thu", template_dir=str(repo_root / "form_templates"), workers=1)
        summary = store.summary()
    assert summary["pages_read"] == 4 and not summary["pages_set_aside"], (summary, report)


def test_the_simulated_sheet_carries_the_printed_header(tmp_path, repo_root, default_layout, capsys):
    """`make demo`'s scans show the issuing body and unit name as forms.pdf prints them, not a bare code."""
    from omr.cli import main
    from omr.forms.qrcodes import PageIdentity
    from omr.forms.simulate import _BlankPages, _paste_identity

    template, layout = default_layout
    header = FormHeader("ỦY BAN NHÂN DÂN", "Phường Cao Lãnh", "30001")
    printed = tmp_path / "printed.pdf"
    print_forms(layout, printed, 1, 7, "30001", header)
    printed_pages = _pages(printed)
    px = DPI / 25.4
    headed = _BlankPages(layout, DPI, header).pages
    bare = _BlankPages(layout, DPI).pages
    for page, on_paper in zip(layout.pages, printed_pages, strict=True):
        sheets = {}
        for name, blanks in (("headed", headed), ("bare", bare)):
            rgb = blanks[page.number].copy()
            _paste_identity(rgb, page, PageIdentity(template.form_id, template.version, page.number, 7, "30001"), DPI,
                            header_printed=blanks is headed)
            sheets[name] = np.asarray(rgb).mean(axis=2)
        # The band above the questions, left of the QR code: where the header and the unit line are.
        band = (slice(0, int((page.serial_anchor[1] + 1) * px)), slice(0, int((page.qr.x - 1) * px)))
        printed_ink = on_paper[band] < 128
        assert printed_ink.sum() > 50, page.number
        for name, sheet in sheets.items():
            same = ((sheet[band] < 128) == printed_ink).mean()
            if name == "headed":
                assert same > 0.999, (page.number, same)  # the very header of the printed form
            else:
                assert ((sheet[band] < 128) != printed_ink).sum() > 100, page.number  # the old bare code differs
    # The command line: --units on `forms simulate`, as on `forms print`.
    out, truth = tmp_path / "scans.pdf", tmp_path / "truth.jsonl"
    units = str(repo_root / "examples" / "units" / "caolanh.csv")
    assert main(["forms", "simulate", str(repo_root / "form_templates" / "motcua-2026.yaml"), "--count", "1",
                 "--seed", "1", "--profile", "clean", "--unit", "30001", "--units", units,
                 "-o", str(out), "--truth", str(truth)]) == 0
    assert out.stat().st_size > 0 and "Đơn vị trên phiếu: Phường Cao Lãnh (mã 30001)" in capsys.readouterr().out
