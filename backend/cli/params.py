"""Parsing `--set key=value` options into hyperparameters."""

from __future__ import annotations

import json
from typing import Any

from backend.cli.client import CliError


def parse_assignments(items: list[str]) -> dict[str, Any]:
    """`key=value` pairs; values are JSON when they parse (3, 0.5, [3,4,5], true), else strings."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CliError(f"--set expects key=value, got {item!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out
