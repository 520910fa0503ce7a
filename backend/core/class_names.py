"""A label's class name: the one place that turns a class index into what the user calls it."""

from __future__ import annotations

from collections.abc import Sequence


def class_name(classes: Sequence[str], label: int | None) -> str:
    """`classes[label]`, or the number itself for a dataset without names (or a label beyond them)."""
    if label is None:
        return ""
    return classes[label] if 0 <= label < len(classes) else str(label)
