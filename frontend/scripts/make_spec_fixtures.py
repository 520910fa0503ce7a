"""Writes what GET /api/architectures serves to src/test/fixtures/architectures.json, so the spec-driven form
tests run on the real specs (tests/unit/test_spec_fixtures.py fails when the fixture falls behind).

Run from the repository root: .venv/bin/python frontend/scripts/make_spec_fixtures.py
"""

from __future__ import annotations

import json
from pathlib import Path

from backend.api.routes.specs import list_architectures

OUT = Path(__file__).resolve().parent.parent / "src" / "test" / "fixtures" / "architectures.json"


def render() -> str:
    return json.dumps([a.model_dump(mode="json") for a in list_architectures()], indent=1) + "\n"


if __name__ == "__main__":
    OUT.write_text(render())
    print(f"wrote {OUT}")
