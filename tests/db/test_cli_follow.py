"""Following a job from the CLI, against the real API and database (both dialects)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.cli.client import ApiClient, ApiError, CliError
from backend.cli.jobs import follow_job
from backend.core.db.models import Job
from backend.core.jobs.submit import create_job


def _job(factory: sessionmaker[Session], **values: object) -> dict[str, object]:
    with factory() as s:
        job = create_job(s, "import", params={})
        for k, v in values.items():
            setattr(job, k, v)
        s.commit()
        return {"id": job.id, "kind": "import", "state": "PENDING", "progress": 0.0, "message": "queued",
                "detail": {}}


def test_follow_job_until_success(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    pending = _job(session_factory, state="SUCCESS", progress=1.0, message="imported", result={"n": 3})
    done = follow_job(ApiClient(http=client), pending, "import")
    assert done["state"] == "SUCCESS" and done["result"] == {"n": 3}


def test_follow_job_reports_the_failure(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    pending = _job(session_factory, state="FAILURE", message="failed", error="ImdbFormatError: not a gzip file")
    with pytest.raises(CliError, match="import\\) failure: ImdbFormatError: not a gzip file"):
        follow_job(ApiClient(http=client), pending, "import")
    with session_factory() as s:
        assert s.get(Job, pending["id"]) is not None


def test_api_errors_carry_the_detail(client: TestClient) -> None:
    api = ApiClient(http=client)
    with pytest.raises(ApiError) as e:
        api.get("/jobs/424242")
    assert e.value.status == 404 and e.value.detail == "job 424242 not found"
    with pytest.raises(CliError, match="no project named 'ghost'"):
        api.project("ghost")
