"""The `lensboard` command. (Filled in by the foundation's CLI work.)"""

from __future__ import annotations


def main() -> None:
    raise SystemExit("lensboard CLI: not yet implemented")
