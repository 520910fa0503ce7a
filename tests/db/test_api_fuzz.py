"""Fuzz every API operation from /openapi.json with schemathesis: no 5xx, and every response (status code,
body) is one the schema declares.

It runs against the ASGI app on a fresh SQLite database holding a project with a dataset and a trained
version, and path ids fixed to those rows, so the fuzzed bodies and queries reach the real handlers instead
of stopping at a 404. SQLite only: the fuzzing checks the HTTP contract, which does not depend on the
database, and PostgreSQL would double a run that is already the slowest database test.

Every call is signed in with the API token of an ordinary user (not an administrator) who owns the seeded
project, so the fuzzed requests get past the access guard as a real user's would; anonymous calls would all
stop at the 401 (tests/db/test_access.py walks every operation for that).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import checks
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import overrides
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.api.app import create_app
from backend.core.artifacts import get_store
from backend.core.db.models import Sample
from backend.core.db.session import make_engine, make_session_factory
from tests.conftest import reset_caches
from tests.support.accounts import add_member, bearer, user_token
from tests.support.databases import SqliteDatabases
from tests.support.datasets import synthetic_reviews
from tests.support.versions import trained_version
from tests.support.worker_process import lensboard_env

MAX_EXAMPLES = 25
FUZZER = "fuzzer"


def _seed(factory: sessionmaker[Session]) -> dict[str, Any]:
    """The ids of a trained version (and so a project, a ready dataset, samples, metrics, a checkpoint)."""
    data = synthetic_reviews(60, seed=3)
    v = trained_version(factory, get_store(), data.texts, data.labels, data.splits, epochs=1, max_length=32)
    with factory() as s:
        sample_id = s.scalars(select(Sample.id).where(Sample.dataset_id == v.dataset_id).limit(1)).one()
    return {"project_id": v.project_id, "dataset_id": v.dataset_id, "version_id": v.version_id,
            "sample_id": sample_id, "epoch": 1}


@pytest.fixture
def api_schema(sqlite_dbs: SqliteDatabases, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, dict[str, str]]]:
    """The schema to fuzz, and the headers that sign its calls in."""
    data_dir = tmp_path / "lensboard"
    data_dir.mkdir()
    url = sqlite_dbs.fresh()
    for k, v in lensboard_env(url, f"sqla+sqlite:///{data_dir / 'broker.sqlite'}", data_dir).items():
        if k.startswith(("LENSBOARD_", "DATABASE_URL", "CELERY_BROKER_URL")):
            monkeypatch.setenv(k, v)
    monkeypatch.setenv("LENSBOARD_IMPORT_ROOTS", f'["{data_dir}"]')
    # Rate limits off, so that every example reaches its handler (tests/db/test_rate_limits.py covers 429).
    for kind in ("ANALYZE", "TRAIN", "COMPUTE", "LOGIN"):
        monkeypatch.setenv(f"LENSBOARD_RATE_LIMIT_{kind}_PER_MINUTE", "0")
    reset_caches()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    seeded = _seed(factory)
    headers = bearer(user_token(factory, FUZZER))
    add_member(factory, seeded["project_id"], FUZZER, "owner")
    config = SchemathesisConfig.from_dict({"parameters": seeded})
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(factory), config=config)
    # The job stream never ends by design; deleting the project would take the seeded rows from every
    # operation after it (deletion has its own tests). revokeToken and logout would sign the fuzzer out
    # (its token's id is a small integer the fuzzer soon tries) and leave every later operation at a 401;
    # tests/db/test_access.py covers both.
    yield schema.exclude(operation_id=["streamJobs", "deleteProject", "revokeToken", "logout"]), headers
    engine.dispose()
    reset_caches()


CHECKS = [checks.not_a_server_error, checks.response_schema_conformance, checks.status_code_conformance]
# Readiness answers its documented 503 here by design: no worker runs beside this test.
CHECKS_FOR = {"ready": [checks.response_schema_conformance, checks.status_code_conformance]}
# Where a signed-in owner may still meet a 401 (a made-up password or link) or a 403 (administrators only:
# the user list, and the operations the schema marks x-admin-only, which read paths on the server).
MAY_BE_401 = {"login", "useLoginLink"}
MAY_BE_403 = {"listUsers", "createUser"}


def test_api_contract(api_schema: tuple[Any, dict[str, str]]) -> None:
    # One loop over the operations rather than schemathesis' pytest plugin, whose lazy schemas do not
    # work with pytest 9; every operation runs, and the failures of all of them are reported together.
    schema, headers = api_schema
    failures: dict[str, str] = {}
    # 401/403 are declared everywhere, so the checks above would pass a fuzzer that never got in.
    refused: dict[str, set[int]] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50

    for operation in operations:
        fixed = overrides.for_operation(schema.config, operation=operation).as_strategy_kwargs()
        op_id = operation.definition.raw.get("operationId", "")
        op_checks = CHECKS_FOR.get(op_id, CHECKS)
        admin_only = op_id in MAY_BE_403 or bool(operation.definition.raw.get("x-admin-only"))
        unexpected = {401, 403} - ({401} if op_id in MAY_BE_401 else set()) - ({403} if admin_only else set())

        @hypothesis.given(case=operation.as_strategy(**fixed))
        @hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                             suppress_health_check=list(hypothesis.HealthCheck), print_blob=False)
        def fuzz(case: Any) -> None:
            # fuzz() runs within this iteration, so the loop variable is the current one.
            # The token replaces any Authorization header the fuzzer made up from the security schemes.
            response = case.call_and_validate(headers=headers, checks=op_checks)  # noqa: B023
            if response.status_code in unexpected:  # noqa: B023
                refused.setdefault(operation.label, set()).add(response.status_code)  # noqa: B023

        try:
            fuzz()
        except BaseException as e:  # schemathesis raises exception groups: each is a finding
            if isinstance(e, KeyboardInterrupt):
                raise
            failures[operation.label] = str(e)[:3000]
    assert not failures, "\n\n".join(f"{label}:\n{message}" for label, message in failures.items())
    assert not refused, f"the fuzzer's owner token was refused: {refused}"
