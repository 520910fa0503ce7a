from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api.deps import SessionDep
from backend.api.schemas.health import HealthOut, ReadinessOut
from backend.api.services.readiness import broker_state, database_state, worker_state

router = APIRouter(tags=["health"])


@router.get("/health", operation_id="health")
def health() -> HealthOut:
    """Liveness: the process answers (always 200). `broker` says whether the broker is reachable, so a
    dead Redis is visible here without the orchestrator restarting an API that is fine."""
    return HealthOut(status="ok", broker=broker_state(cached=True))


@router.get("/ready", operation_id="ready", response_model=ReadinessOut,
            responses={503: {"model": ReadinessOut, "description": "A dependency is down (see checks)"}})
def ready(session: SessionDep) -> ReadinessOut | JSONResponse:
    """Readiness: the database, the broker and at least one worker answer; 503 otherwise."""
    checks = {"database": database_state(session), "broker": broker_state(), "worker": worker_state(session)}
    ok = all(v == "ok" for v in checks.values())
    body = ReadinessOut(status="ok" if ok else "degraded", checks=checks)
    return body if ok else JSONResponse(status_code=503, content=body.model_dump())
