from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from backend.api.deps import SessionDep

router = APIRouter(tags=["health"])


@router.get("/health", operation_id="health")
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready", operation_id="ready", response_model=None)
def ready(session: SessionDep) -> dict[str, Any] | JSONResponse:
    """Readiness: the database and the broker answer."""
    checks: dict[str, str] = {}
    try:
        session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as e:
        checks["database"] = f"down: {type(e).__name__}"
    try:
        from worker.celery_app import get_celery

        with get_celery().connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as e:
        checks["broker"] = f"down: {type(e).__name__}"
    ok = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if ok else "degraded", "checks": checks}
    return body if ok else JSONResponse(status_code=503, content=body)
