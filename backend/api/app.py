"""The app factory. It only assembles: routers live in api/routes, one module per resource."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from backend.api.body_limit import BodySizeLimit
from backend.api.docs_page import install_docs
from backend.api.errors import AUTH_RESPONSES, ERROR_RESPONSES, install_error_handlers
from backend.api.guard import Authorized, IdsGuarded
from backend.api.path_guard import RejectControlCharacters
from backend.api.routes import (
    analyses,
    auth,
    compare,
    datasets,
    downloads,
    fields,
    flags,
    health,
    jobs,
    maps,
    members,
    metrics,
    projects,
    retrain,
    samples,
    specs,
    suspects,
    sweeps,
    versions,
)
from backend.api.samples_fast_path import Grants, SamplesFastPath
from backend.api.security_headers import SecurityHeaders
from backend.core.db.session import default_session_factory
from backend.core.settings import get_settings

API_DESCRIPTION = """
Lensboard's REST API. Everything the dashboard and the CLI do goes through it.

Long work (imports, training, maps, analyses) runs as **jobs** on Celery workers: the endpoint
answers 202 with a job, whose progress is at `GET /api/jobs/{id}` and live on the
Server-Sent Events stream `GET /api/jobs-stream`.

Errors are JSON: `{"detail": "<message>"}` with 404 for unknown ids, 409 for conflicts
(for example training a version that is already training) and 422 for invalid input.
"""


def api_router() -> APIRouter:
    # Every route, signed in or not, takes its ids through the guard or is refused (backend/api/guard.py).
    router = APIRouter(prefix="/api", responses=ERROR_RESPONSES, dependencies=[IdsGuarded])
    # Open to all: liveness/readiness probes; auth checks its own callers (signing in needs no account).
    router.include_router(health.router)
    router.include_router(auth.router, responses=AUTH_RESPONSES)
    # Everything else is project data (or, for specs, the site's). Each route takes its ids through the
    # guard's resolvers (backend/api/guard.py), and the guard at the router refuses any route that takes
    # an id some other way. `compare` comes before `versions`: /versions/compare must win over /versions/{version_id}.
    for module in (projects, members, datasets, compare, versions, jobs, metrics, samples, fields, maps,
                   analyses, flags, retrain, suspects, downloads, sweeps, specs):
        router.include_router(module.router, dependencies=[Authorized], responses=AUTH_RESPONSES)
    return router


def create_app(session_factory: sessionmaker[Session] | None = None) -> FastAPI:
    app = FastAPI(title="Lensboard", version="0.1.0", description=API_DESCRIPTION,
                  openapi_url="/openapi.json", docs_url=None, redoc_url=None)
    app.state.session_factory = session_factory or default_session_factory()
    install_error_handlers(app)
    app.state.grants = Grants(get_settings().access_cache_seconds)
    app.add_middleware(SamplesFastPath, grants=app.state.grants)
    # Added last, so outermost: a bad path or an over-sized body is refused before anything reads it, and
    # every response (the fast path's, the 422 and the 413 included) carries the security headers.
    app.add_middleware(BodySizeLimit)
    app.add_middleware(RejectControlCharacters)
    app.add_middleware(SecurityHeaders)
    app.include_router(api_router())
    install_docs(app)
    _mount_frontend(app, get_settings().frontend_dist)
    return app


def _mount_frontend(app: FastAPI, dist: Path) -> None:
    """Serve the built dashboard; every non-API path falls back to index.html for client routing."""
    index = dist / "index.html"
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    def spa(path: str) -> FileResponse | HTMLResponse:
        if path.startswith("api/"):
            return HTMLResponse(status_code=404, content='{"detail":"not found"}', media_type="application/json")
        if path and _is_file_under(dist, path):
            return FileResponse(dist / path)
        if index.is_file():
            return FileResponse(index)
        return HTMLResponse("<!doctype html><title>Lensboard</title><h1>Lensboard</h1>"
                            "<p>The dashboard is not built yet. The API is at <a href='/docs'>/docs</a>.</p>")


def _is_file_under(root: Path, path: str) -> bool:
    """Whether `path` names a file inside `root` (never outside it through `..` or a link); a name the
    file system refuses (too long) is no file, not a server error."""
    try:
        candidate = (root / path).resolve()
        return root.resolve() in candidate.parents and candidate.is_file()
    except (OSError, ValueError):
        return False
