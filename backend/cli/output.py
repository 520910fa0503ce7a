"""Console output shared by the commands: one console, tables, errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

# Soft wrap: messages stay one line each, whole when piped or captured.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    t = Table(title=title, header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    for row in rows:
        t.add_row(*(fmt(v) for v in row))
    return t


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def error(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
