"""No route takes an id the access guard does not resolve (backend/api/id_coverage.py): every route of the app
is introspected (path, query and body parameters, through every dependency and into body models), the check
is shown to catch each way a new route could take an id around the guard, and a route that does so anyway
is refused at run time by the router-level guard. Also: no route module imports another."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from backend.api.app import create_app
from backend.api.guard import Authorized, VersionDep, checked_body, project_in_path, version_in_path
from backend.api.id_coverage import api_routes, unguarded_ids
from backend.api.ids import SampleId
from backend.core.db.models import ModelVersion
from tests.support.accounts import admin_token, bearer
from tests.support.versions import version_with_results

ROUTES = Path(__file__).resolve().parents[2] / "backend" / "api" / "routes"


def test_every_route_takes_its_ids_through_the_guard() -> None:
    routes = api_routes(create_app(sessionmaker()))
    assert len(routes) > 60
    unsound = {f"{sorted(r.methods)} {path}": unguarded_ids(r) for path, r in routes if unguarded_ids(r)}
    assert not unsound, f"routes that take ids around the guard: {unsound}"
    # The check has something to look at: most routes do take ids, all through resolvers.
    assert sum(any(n.endswith("_id") for n in r.param_convertors) for _, r in routes) > 50


class Trial(BaseModel):
    dataset_id: int | None = None  # an id field without its kind: nobody resolves it


class Nested(BaseModel):
    trial: Trial


class Marked(BaseModel):
    sample_ids: list[SampleId]


class Wrapped(BaseModel):
    inner: list[Marked]


def dataset_filter(dataset_id: int = Query()) -> int:
    """A dependency of no resolver that reads an id (module level: the routes' annotations name it)."""
    return dataset_id


def _sneaky_router() -> APIRouter:
    """Routes that each take an id some way around the guard, and two that do it right."""
    router = APIRouter()

    @router.get("/versions/{version_id}/plain")
    def plain_path(version_id: int) -> None: ...

    @router.get("/versions/{version_id}/undeclared")
    def undeclared(request: Request) -> None: ...  # would read request.path_params itself

    @router.get("/versions/{version_id}/twice")
    def twice(version: VersionDep, version_id: int) -> None: ...  # resolved, and read raw beside

    @router.get("/jobs-by-filter")
    def query_filter(version_id: int | None = None) -> None: ...

    @router.get("/compare-raw")
    def compare_raw(a: int, b: int) -> None: ...

    @router.get("/projects/{project_id}/through-a-dependency")
    def through_dependency(project: Annotated[object, Depends(project_in_path)],
                           dataset: Annotated[int, Depends(dataset_filter)]) -> None: ...

    @router.post("/projects/{project_id}/raw-body")
    def raw_body(project: Annotated[object, Depends(project_in_path)], body: Marked) -> None: ...

    @router.post("/projects/{project_id}/nested-body")
    def nested_body(body: Annotated[Nested, Depends(checked_body(Nested, project_in_path))]) -> None: ...

    @router.post("/versions/{version_id}/checked-unmarked")
    def checked_unmarked(body: Annotated[Trial, Depends(checked_body(Trial, version_in_path))]) -> None: ...

    @router.get("/versions/{version_id}/sound")
    def sound(version: VersionDep) -> None: ...

    @router.post("/versions/{version_id}/sound-body")
    def sound_body(body: Annotated[Marked, Depends(checked_body(Marked, version_in_path))]) -> None: ...

    return router


def test_the_check_names_every_id_taken_around_the_guard() -> None:
    app = FastAPI()
    app.include_router(_sneaky_router())
    found = {path: unguarded_ids(r) for path, r in api_routes(app)}
    assert found == {
        "/versions/{version_id}/plain": ["path.version_id"],
        "/versions/{version_id}/undeclared": ["path.version_id"],
        "/versions/{version_id}/twice": ["path.version_id"],
        "/jobs-by-filter": ["query.version_id"],
        "/compare-raw": ["query.a", "query.b"],
        "/projects/{project_id}/through-a-dependency": ["query.dataset_id"],
        "/projects/{project_id}/raw-body": ["body.sample_ids"],
        "/projects/{project_id}/nested-body": ["body.trial.dataset_id"],
        "/versions/{version_id}/checked-unmarked": ["body.dataset_id"],
        "/versions/{version_id}/sound": [],
        "/versions/{version_id}/sound-body": [],
    }


def test_a_route_that_takes_an_id_around_the_guard_is_refused(session_factory: sessionmaker[Session]) -> None:
    """Behind the router-level guard, such a route never runs, not even for an administrator; sound routes
    beside it do, and ids nested in a checked body are resolved too."""
    version_id, own = version_with_results(session_factory, with_metrics=False)
    _, foreign = version_with_results(session_factory, with_metrics=True)
    with session_factory() as s:
        project_id = s.get_one(ModelVersion, version_id).project_id
    ran: list[int] = []
    router = APIRouter()

    @router.post("/projects/{project_id}/nested")
    def nested(body: Annotated[Wrapped, Depends(checked_body(Wrapped, project_in_path))]) -> int:
        return len(body.inner)

    @router.get("/versions/{version_id}/sneaky")
    def sneaky(version_id: int) -> None:
        ran.append(version_id)

    @router.get("/versions/{version_id}/sound")
    def sound(version: VersionDep) -> dict[str, int]:
        return {"id": version.id}

    app = FastAPI()
    app.state.session_factory = session_factory
    app.include_router(router, prefix="/api/test", dependencies=[Authorized])  # as api_router() does
    with TestClient(app, headers=bearer(admin_token(session_factory))) as client:
        r = client.get(f"/api/test/versions/{version_id}/sneaky")
        assert r.status_code == 500 and "guard" in r.json()["detail"]
        assert ran == []
        assert client.get(f"/api/test/versions/{version_id}/sound").json() == {"id": version_id}
        nested = f"/api/test/projects/{project_id}/nested"
        assert client.post(nested, json={"inner": [{"sample_ids": [min(own)]}]}).json() == 1
        r = client.post(nested, json={"inner": [{"sample_ids": [min(own)]}, {"sample_ids": [min(foreign)]}]})
        assert r.status_code == 404 and r.json()["detail"] == f"sample {min(foreign)} not found"
    with session_factory() as s:
        assert s.get(ModelVersion, version_id) is not None


def test_no_route_module_imports_another() -> None:
    """Lookups that routes share live in backend/api/lookups.py and backend/api/guard.py."""
    offenders = []
    for module in sorted(ROUTES.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("backend.api.routes"):
                offenders.append(f"{module.name}: from {node.module} import ...")
    assert offenders == []
