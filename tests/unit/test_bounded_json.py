"""The depth and size bounds of free-form JSON fields (backend/api/schemas/bounded_json.py)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from backend.api.schemas.bounded_json import JsonBounds, depth_of


def test_depth_is_counted_without_recursion() -> None:
    assert depth_of(1, 10) == 0
    assert depth_of({}, 10) == 1
    assert depth_of({"a": [1, {"b": []}]}, 10) == 4
    very_deep: list[Any] = []
    for _ in range(100_000):
        very_deep = [very_deep]
    assert depth_of(very_deep, 32) == 33  # stops counting past the limit, and never recurses


def test_bounds_check_depth_then_size() -> None:
    bounds = JsonBounds(max_depth=2, max_bytes=20)
    assert bounds.check({"a": [1, 2]}) == {"a": [1, 2]}
    with pytest.raises(ValueError, match="nested deeper than 2 levels"):
        bounds.check({"a": [[1]]})
    with pytest.raises(ValueError, match="22 bytes of JSON, over the limit of 20"):
        bounds.check({"a": "é" * 7})  # UTF-8 bytes, not characters: 8 for {"a":""}, 2 for each é
    # Stored values read back: anything out of bounds (or not an object) reads as {}.
    assert bounds.or_empty({"a": [[1]]}) == {} and bounds.or_empty(None) == {} and bounds.or_empty({"a": 1}) == {"a": 1}


def test_nan_is_not_json() -> None:
    class Body(BaseModel):
        value: dict[str, Any]

    bounds = JsonBounds(max_depth=4, max_bytes=100)
    with pytest.raises(ValueError):
        bounds.check({"x": float("nan")})
    assert Body(value=bounds.check({"x": 1.5})).value == {"x": 1.5}
    with pytest.raises(ValidationError):
        Body.model_validate({"value": 1})
