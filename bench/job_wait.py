"""Waiting on a Lensboard job through the API: the one loop the end-to-end benches share."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Protocol

FINISHED = ("SUCCESS", "FAILURE", "REVOKED")


class Getter(Protocol):
    def get(self, url: str, *, params: Any = None) -> Any: ...


class Api(Protocol):
    """What the end-to-end benches ask of a client: httpx.Client, or FastAPI's TestClient in a smoke test."""

    def get(self, url: str, *, params: Any = ...) -> Any: ...

    def post(self, url: str, *, json: Any = ...) -> Any: ...


def ok(r: Any) -> Any:
    """The response's JSON, or the bench stops with the request and the server's answer."""
    if r.status_code >= 400:
        raise SystemExit(f"{r.request.method} {r.request.url}: {r.status_code} {r.text}")
    return r.json()


def wait_job(api: Getter, job_id: int, timeout: float, poll: float = 0.2) -> dict[str, Any]:
    """The finished job; the bench stops when it failed or did not finish in `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = ok(api.get(f"/jobs/{job_id}"))
        if job["state"] in FINISHED:
            if job["state"] != "SUCCESS":
                raise SystemExit(f"job {job_id} ({job['kind']}) ended {job['state']}: {job['error']}")
            return job
        time.sleep(poll)
    raise SystemExit(f"job {job_id} did not finish in {timeout} s")


def span(job: dict[str, Any]) -> float:
    """Seconds from the job's start to its end (NaN when it has neither)."""
    if not job.get("started_at") or not job.get("finished_at"):
        return float("nan")
    return datetime.fromisoformat(job["finished_at"]).timestamp() - datetime.fromisoformat(
        job["started_at"]).timestamp()
