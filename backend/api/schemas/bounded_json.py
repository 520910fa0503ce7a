"""Free-form JSON objects (a project's `ui_state`, hyperparameters, sweep spaces, analysis parameters) with
a bound on their nesting depth and encoded size, checked when the request is validated.

Why: a free-form field is stored as the client sent it and sent back to every member. JSON nested a few
hundred levels deep was saved, then broke every later read of it (the response serializer has a
recursion limit), and a 10 MB value went to every member on each page load. Bounded here, an
out-of-bounds value is a 422 naming the field before anything is saved.

The limits per field (`JsonBounds(...)` in each alias below) are what the dashboard and the CLI need with
room to spare: a dashboard layout is ~6 levels and a few KB; hyperparameters are flat (lists at most).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

log = logging.getLogger(__name__)


class OutOfBounds(ValueError):
    pass


def depth_of(value: object, limit: int) -> int:
    """The nesting depth of `value` (a scalar is 0, `{}` and `[]` are 1), counted without recursion so that
    no input can exhaust the stack; stops counting once past `limit`."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level) for child in children)
    return deepest


@dataclass(frozen=True)
class JsonBounds:
    """At most `max_depth` levels of objects and arrays, at most `max_bytes` as compact UTF-8 JSON."""

    max_depth: int
    max_bytes: int

    def check(self, value: Any) -> Any:
        if depth_of(value, self.max_depth) > self.max_depth:
            raise OutOfBounds(f"nested deeper than {self.max_depth} levels")
        # Depth is bounded now, so encoding cannot recurse far.
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode())
        if size > self.max_bytes:
            raise OutOfBounds(f"{size:,} bytes of JSON, over the limit of {self.max_bytes:,}")
        return value

    def __call__(self, value: Any) -> Any:
        return self.check(value)

    def or_empty(self, value: Any) -> Any:
        """For values read back from the database: one stored before these bounds existed reads as `{}`
        (logged), so that a single bad row cannot break a list that every member loads."""
        if not isinstance(value, dict):
            return {}
        try:
            return self.check(value)
        except (OutOfBounds, ValueError, TypeError, RecursionError) as e:
            log.warning("dropping a stored JSON value that is out of bounds: %s", e)
            return {}


UI_STATE = JsonBounds(max_depth=32, max_bytes=256 * 1024)
HYPERPARAMETERS = JsonBounds(max_depth=8, max_bytes=64 * 1024)
SWEEP_SPACE = JsonBounds(max_depth=8, max_bytes=64 * 1024)
ANALYSIS_PARAMS = JsonBounds(max_depth=8, max_bytes=16 * 1024)

# Input fields: out of bounds is a 422.
UiState = Annotated[dict[str, Any], AfterValidator(UI_STATE)]
Hyperparameters = Annotated[dict[str, Any], AfterValidator(HYPERPARAMETERS)]
SweepSpace = Annotated[dict[str, Any], AfterValidator(SWEEP_SPACE)]
AnalysisParams = Annotated[dict[str, Any], AfterValidator(ANALYSIS_PARAMS)]
# Output field: read defensively (see JsonBounds.or_empty).
StoredUiState = Annotated[dict[str, Any], BeforeValidator(UI_STATE.or_empty)]
