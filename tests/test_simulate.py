"""Specimen batches: their truth must describe exactly what is on the pages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from omr.cli import main
from omr.forms.simulate import PROFILES, choose_answers, simulate_batch
from omr.scan.identify import identify
from omr.scan.ingest import iter_pages


def _truths(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_truth_accounts_for_every_page(office_batch, default_layout):
    pdf, truth_path, summary = office_batch
    truths = _truths(truth_path)
    assert [t["serial"] for t in truths] == list(range(1, 9))
    indices = [p["index"] for t in truths for p in t["scan_pages"]]
    # every page of every sheet is in the PDF; the blank page is nobody's
    pages_per_sheet = {t["serial"]: sorted({p["page"] for p in t["scan_pages"]}) for t in truths}
    assert all(pages == [1, 2] for pages in pages_per_sheet.values())
    assert summary.pages == 8 * 2 + summary.blank_pages + summary.duplicated_pages
    assert len(indices) == 8 * 2 + summary.duplicated_pages
    assert len(set(indices)) == len(indices)
    assert summary.blank_pages == 1 and summary.duplicated_pages == 1


def test_every_printed_page_identifies_as_its_truth_says(office_batch):
    pdf, truth_path, _ = office_batch
    where = {p["index"]: (t["serial"], p["page"], p["upside_down"]) for t in _truths(truth_path)
             for p in t["scan_pages"]}
    seen_upside_down = False
    for raw in iter_pages(pdf):
        if raw.index not in where:
            continue  # the blank page
        serial, page, upside_down = where[raw.index]
        found = identify(raw.image)
        assert found.identity is not None, f"page {raw.index} not identified"
        assert (found.identity.serial, found.identity.page) == (serial, page)
        assert found.rotated_180 == upside_down
        seen_upside_down |= upside_down
    assert seen_upside_down, "the office profile should turn some pages upside down"


def test_same_seed_same_batch(tmp_path, default_layout):
    template, layout = default_layout
    for name in ("a", "b"):
        simulate_batch(template, layout, tmp_path / f"{name}.pdf", tmp_path / f"{name}.jsonl",
                       count=2, seed=42, profile="harsh")
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()
    pages_a = [p.image for p in iter_pages(tmp_path / "a.pdf")]
    pages_b = [p.image for p in iter_pages(tmp_path / "b.pdf")]
    assert len(pages_a) == len(pages_b)
    assert all(np.array_equal(a, b) for a, b in zip(pages_a, pages_b))


def test_answers_are_realistic_and_consistent(default_layout):
    """Over many sheets every habit occurs, and intent agrees with the inked boxes."""
    template, _ = default_layout
    rng = np.random.default_rng(0)
    intents, styles = set(), set()
    for serial in range(400):
        truth = choose_answers(template, serial, rng, None)
        for q in template.questions:
            intent = truth.intent[q.id]
            intents.add(intent)
            if q.type == "text":
                continue
            boxes = truth.boxes[q.id]
            marked = [c for c, s in boxes.items() if s == "marked"]
            styles.update(truth.mark_styles[q.id].values())
            if intent == "blank":
                assert not boxes
            elif intent == "multiple":
                assert len(marked) == 2 and sorted(truth.answers[q.id]) == sorted(marked)
            elif intent == "filled_only":
                assert list(boxes.values()) == ["cancelled"]
            elif q.type in ("single", "scale", "yesno"):
                assert marked == [truth.answers[q.id]]
    assert {"answered", "blank", "multiple", "filled_only"} <= intents
    assert {"cross", "tick", "dot", "slash", "fill"} <= styles


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_cli_simulate_each_profile(tmp_path, default_template_path, form_templates_copy, profile, capsys):
    template = form_templates_copy / default_template_path.name
    out, truth = tmp_path / "s.pdf", tmp_path / "t.jsonl"
    dpi = 300 if profile == "clean" else 200
    code = main(["forms", "simulate", str(template), "--count", "1", "--seed", "3", "-o", str(out),
                 "--truth", str(truth), "--profile", profile, "--dpi", str(dpi)])
    assert code == 0
    pages = list(iter_pages(out))
    assert len(pages) == 2
    # the scanned image inside the PDF is A4 at the requested dpi
    expected_width = round(210 / 25.4 * dpi)
    assert abs(pages[0].image.shape[1] - expected_width) <= 2
    assert "Đáp án" in capsys.readouterr().out
    assert len(_truths(truth)) == 1
