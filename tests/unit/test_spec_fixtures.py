"""The frontend's spec-driven form tests read the architectures from a fixture; it must match what the API serves."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "frontend" / "scripts" / "make_spec_fixtures.py"


def test_architectures_fixture_matches_the_api() -> None:
    spec = importlib.util.spec_from_file_location("make_spec_fixtures", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.OUT.read_text() == module.render(), (
        "frontend/src/test/fixtures/architectures.json is out of date: "
        "run .venv/bin/python frontend/scripts/make_spec_fixtures.py")
