from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.api.auth import CurrentPrincipal
from backend.api.deps import SessionDep
from backend.api.errors import Conflict
from backend.api.guard import JobDep, JobQueryDep, ProjectQueryDep, VersionQueryDep
from backend.api.schemas.common import ErrorOut
from backend.api.schemas.jobs import JobOut
from backend.core.auth import accounts
from backend.core.auth.access import visible_projects
from backend.core.db.models import Job
from backend.core.jobs import broker_queues
from backend.core.jobs.cancel import cancel_job
from backend.core.vocabulary import ACTIVE_STATES, JobState

router = APIRouter(tags=["jobs"])

SSE_POLL_SECONDS = 0.5
SSE_KEEPALIVE_SECONDS = 15.0
# A stream outlives the check made when it opened: the credential is asked again this often, and the stream
# ends once it is revoked or expired (or its user disabled).
SSE_RECHECK_SECONDS = 5.0


@router.get("/jobs", operation_id="listJobs")
def list_jobs(
    principal: CurrentPrincipal,
    session: SessionDep,
    project: ProjectQueryDep,
    version: VersionQueryDep,
    kind: str | None = None,
    active: bool = False,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[JobOut]:
    q = select(Job).order_by(Job.id.desc()).limit(limit)
    visible = visible_projects(principal.user)
    if visible is not None:
        q = q.where(Job.project_id.in_(visible))
    if project is not None:
        q = q.where(Job.project_id == project.id)
    if version is not None:
        q = q.where(Job.version_id == version.id)
    if kind is not None:
        q = q.where(Job.kind == kind)
    if active:
        q = q.where(Job.state.in_(ACTIVE_STATES))
    return job_views(session.scalars(q).all())


@router.get("/jobs/{job_id}", operation_id="getJob")
def get_job(job: JobDep) -> JobOut:
    return job_views([job])[0]


@router.post("/jobs/{job_id}/cancel", operation_id="cancelJob", responses={409: {"model": ErrorOut}})
def cancel(job: JobDep, session: SessionDep) -> JobOut:
    """Cancel a queued or running job of any kind. A queued job never starts; a running one stops at its
    next progress report (training: within a batch), keeping what it had finished (e.g. whole epochs)."""
    if not cancel_job(session, job):
        raise Conflict(f"job {job.id} already finished ({job.state.lower()}): nothing to cancel", job_id=job.id)
    return job_views([job])[0]


def job_views(jobs: Sequence[Job]) -> list[JobOut]:
    """JobOut with each job's lane and, for queued ones, the position of its message in that lane (asked of
    the broker once, only when some job waits), which also becomes its status text."""
    waiting = broker_queues.positions() if any(j.state == JobState.PENDING for j in jobs) else {}
    out = []
    for j in jobs:
        view = JobOut.model_validate(j)
        place = waiting.get(j.celery_task_id or "") if j.state == JobState.PENDING else None
        if place is not None:
            view.position = place[1]
            view.message = broker_queues.waiting_message(place[0], place[1])
        out.append(view)
    return out


@router.get(
    "/jobs-stream",
    operation_id="streamJobs",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events: `job` events"}},
)
async def stream_jobs(request: Request, principal: CurrentPrincipal, project: ProjectQueryDep,
                      job: JobQueryDep) -> StreamingResponse:
    """Server-Sent Events with every change of the selected jobs (event `job`, data: a JobOut).

    The worker writes job state to the database; this stream watches it, so it works the same in
    embedded and distributed mode without a second channel.
    """
    factory: sessionmaker[Session] = request.app.state.session_factory
    visible = visible_projects(principal.user)
    project_id = project.id if project is not None else None
    job_id = job.id if job is not None else None
    credential_id = principal.credential.id

    def signed_in() -> bool:
        with factory() as s:
            return accounts.is_live(s, credential_id)

    def snapshot(since_id: int) -> list[JobOut]:
        with factory() as s:
            q = select(Job).where(Job.id >= since_id)
            if visible is not None:  # re-read each poll: a membership granted later shows up
                q = q.where(Job.project_id.in_(visible))
            if project_id is not None:
                q = q.where(Job.project_id == project_id)
            if job_id is not None:
                q = q.where(Job.id == job_id)
            return job_views(s.scalars(q.order_by(Job.id)).all())

    async def events() -> AsyncIterator[bytes]:
        seen: dict[int, str] = {}
        # Only jobs that are active now or appear later; finished history is in GET /jobs.
        first = await asyncio.to_thread(snapshot, 0)
        newest = max((j.id for j in first), default=0)
        floor = min((j.id for j in first if j.state in ACTIVE_STATES), default=newest + 1)
        for j in first:
            if j.id >= floor or j.id == job_id:
                seen[j.id] = j.updated_at.isoformat()
                yield _sse(j)
        idle = unchecked = 0.0
        while not await request.is_disconnected():
            await asyncio.sleep(SSE_POLL_SECONDS)
            idle += SSE_POLL_SECONDS
            unchecked += SSE_POLL_SECONDS
            if unchecked >= SSE_RECHECK_SECONDS:
                unchecked = 0.0
                if not await asyncio.to_thread(signed_in):
                    return
            for j in await asyncio.to_thread(snapshot, floor):
                stamp = f"{j.updated_at.isoformat()}|{j.state}|{j.progress}|{j.position}"
                if seen.get(j.id) != stamp:
                    seen[j.id] = stamp
                    idle = 0.0
                    yield _sse(j)
            if idle >= SSE_KEEPALIVE_SECONDS:
                idle = 0.0
                yield b": keep-alive\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _sse(job: JobOut) -> bytes:
    return f"event: job\nid: {job.id}\ndata: {json.dumps(job.model_dump(mode='json'))}\n\n".encode()
