"""The OpenAPI schema the frontend client is generated from: stable output and readable operation ids."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from sqlalchemy.orm import sessionmaker

ROOT = Path(__file__).resolve().parents[2]


def _dump_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dump_openapi", ROOT / "scripts" / "dump_openapi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dump_is_stable_and_sorted(tmp_path: Path) -> None:
    dump = _dump_module()
    text = dump.render()
    assert text == dump.render()
    schema = json.loads(text)
    assert text == json.dumps(schema, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    assert "/api/projects" in schema["paths"]
    out = tmp_path / "openapi.json"
    assert dump.main([str(out)]) == 0 and out.read_text() == text
    assert dump.main(["--check", str(out)]) == 0
    out.write_text(text.replace("listProjects", "listProjectz"))
    # As a script, the way `make lint` runs it.
    stale = subprocess.run([sys.executable, str(ROOT / "scripts" / "dump_openapi.py"), "--check", str(out)],
                           capture_output=True, text=True, cwd=tmp_path)
    assert stale.returncode == 1 and "make client" in stale.stderr


def test_every_operation_has_an_explicit_camel_case_id() -> None:
    """FastAPI's generated ids (e.g. `list_projects_api_projects_get`) make unreadable client names."""
    from backend.api.app import create_app

    schema = create_app(sessionmaker()).openapi()
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert ids and len(ids) == len(set(ids))
    bad = [i for i in ids if not re.fullmatch(r"[a-z][A-Za-z0-9]*", i)]
    assert not bad, f"give these routes an operation_id: {bad}"


def test_the_shared_vocabulary_is_exported_as_named_enums() -> None:
    """Splits, flag states and sources, job kinds and states, map statuses: each is one named enum in the
    schema (so the generated TypeScript client has it), with the values backend.core.vocabulary defines,
    and the API's fields and parameters refer to it instead of spelling the values out again."""
    from backend.core import vocabulary

    schema = json.loads(_dump_module().render())
    components = schema["components"]["schemas"]
    for enum in (vocabulary.Split, vocabulary.FlagState, vocabulary.FlagSource, vocabulary.JobKind,
                 vocabulary.JobState, vocabulary.MapStatus):
        assert components[enum.__name__]["enum"] == [member.value for member in enum]
    text = json.dumps(schema)
    for spelled_out in ('["train", "val", "test"]', '["suspected", "confirmed", "dismissed"]',
                        '["pending", "running", "done", "failed"]'):
        assert text.count(spelled_out) == 1, spelled_out  # the component's own list, nowhere else
    assert {"$ref": "#/components/schemas/JobKind"} in components["JobOut"]["properties"]["kind"]["anyOf"]
