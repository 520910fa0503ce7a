"""Jobs through the API on the real embedded broker (no worker): each kind goes to its lane, a queued job
shows its place in the lane, cancel takes it out of the queue and undoes what it was making; recovery
leaves a job whose message waits in its lane alone and re-sends one whose message is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.db.models import Job, ModelVersion, SuspectRanking
from backend.core.jobs import broker_queues
from backend.core.jobs.app import get_celery
from backend.core.jobs.lanes import Lane
from backend.core.jobs.submit import create_job, enqueue
from backend.core.settings import get_settings
from backend.core.vocabulary import JobKind
from tests.support.datasets import insert_synthetic_dataset
from tests.support.versions import insert_version
from worker.job_runner import resend_lost_pending


def _project(client: TestClient, session_factory: sessionmaker[Session]) -> tuple[int, int]:
    pid = client.post("/api/projects", json={"name": "lanes"}).json()["id"]
    with session_factory() as s:
        return pid, insert_synthetic_dataset(s, get_store(), pid, n=40).id


def _train(client: TestClient, session_factory: sessionmaker[Session], pid: int, dataset_id: int) -> tuple[int, int]:
    with session_factory() as s:
        vid = insert_version(s, pid, dataset_id).id
    r = client.post(f"/api/versions/{vid}/train", json={"epochs": 3})
    assert r.status_code == 202, r.text
    return vid, r.json()["id"]


def _age(session_factory: sessionmaker[Session], job_id: int, by: timedelta) -> None:
    with session_factory() as s:
        s.execute(update(Job).where(Job.id == job_id).values(updated_at=datetime.now(UTC) - by))
        s.commit()


def test_queued_jobs_show_their_lane_and_place(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    pid, dataset_id = _project(client, session_factory)
    (_, first), (_, second) = (_train(client, session_factory, pid, dataset_id) for _ in range(2))
    jobs = {j["id"]: j for j in client.get("/api/jobs", params={"project_id": pid}).json()}
    assert (jobs[first]["lane"], jobs[first]["position"], jobs[first]["message"]) == (
        "bulk", 1, "waiting: 1st in the bulk lane")
    assert (jobs[second]["position"], jobs[second]["message"]) == (2, "waiting: 2nd in the bulk lane")
    assert jobs[first]["title"] == "Training: 3 epochs"
    # The same through GET /jobs/{id}; nothing is waiting in the interactive lane.
    assert client.get(f"/api/jobs/{second}").json()["position"] == 2
    assert broker_queues.waiting(Lane.INTERACTIVE) == []
    assert [q.task_id for q in broker_queues.waiting(Lane.BULK)] == [jobs[first]["celery_task_id"],
                                                                     jobs[second]["celery_task_id"]]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_queued_jobs_place_and_cancel_on_redis(redis_env: dict[str, str], client: TestClient,
                                               session_factory: sessionmaker[Session]) -> None:
    """Redis keeps a lane as a list that workers pop from its end: the place counts from there."""
    pid, dataset_id = _project(client, session_factory)
    (_, first), (_, second), (_, third) = (_train(client, session_factory, pid, dataset_id) for _ in range(3))
    assert [client.get(f"/api/jobs/{j}").json()["position"] for j in (first, second, third)] == [1, 2, 3]
    assert client.post(f"/api/jobs/{second}/cancel").status_code == 200
    assert [client.get(f"/api/jobs/{j}").json()["position"] for j in (first, third)] == [1, 2]
    assert client.get(f"/api/jobs/{third}").json()["message"] == "waiting: 2nd in the bulk lane"


def test_cancel_a_queued_training(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    pid, dataset_id = _project(client, session_factory)
    vid, first = _train(client, session_factory, pid, dataset_id)
    _, second = _train(client, session_factory, pid, dataset_id)
    r = client.post(f"/api/jobs/{first}/cancel")
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["message"], r.json()["position"]) == ("REVOKED", "cancelled", None)
    assert client.get(f"/api/versions/{vid}").json()["status"] == "cancelled"
    # Out of its lane: the job behind it moves up.
    assert client.get(f"/api/jobs/{second}").json()["position"] == 1
    assert len(broker_queues.waiting(Lane.BULK)) == 1
    again = client.post(f"/api/jobs/{first}/cancel")
    assert again.status_code == 409 and "already finished" in again.json()["detail"]
    assert client.post("/api/jobs/99999/cancel").status_code == 404
    # The version can be trained again.
    assert client.post(f"/api/versions/{vid}/train", json={"epochs": 1}).status_code == 202


def test_cancel_one_fold_cancels_the_whole_ranking(client: TestClient,
                                                    session_factory: sessionmaker[Session]) -> None:
    pid, dataset_id = _project(client, session_factory)
    with session_factory() as s:
        version = insert_version(s, pid, dataset_id)
        ranking = SuspectRanking(version_id=version.id, epoch=1, folds=2, status="running")
        s.add(ranking)
        s.flush()
        parent = create_job(s, JobKind.SUSPECTS, project_id=pid, version_id=version.id,
                            params={"ranking_id": ranking.id})
        enqueue(s, parent)
        folds = []
        for f in range(2):
            fold = create_job(s, JobKind.SUSPECTS_FOLD, project_id=pid, version_id=version.id,
                              params={"parent_job_id": parent.id, "ranking_id": ranking.id, "fold": f, "folds": 2})
            folds.append(enqueue(s, fold).id)
        parent_id, ranking_id = parent.id, ranking.id
    shown = client.get(f"/api/jobs/{folds[1]}").json()
    assert (shown["title"], shown["lane"]) == ("Mislabel ranking: fold 2 of 2", "bulk")
    assert client.post(f"/api/jobs/{folds[0]}/cancel").status_code == 200
    for job_id in (parent_id, *folds):
        assert client.get(f"/api/jobs/{job_id}").json()["state"] == "REVOKED"
    assert broker_queues.waiting(Lane.BULK) == []
    with session_factory() as s:
        ranking_row = s.get(SuspectRanking, ranking_id)
        assert ranking_row is not None and ranking_row.status == "failed"


def test_recovery_leaves_a_waiting_job_alone_and_resends_a_lost_one(
        client: TestClient, session_factory: sessionmaker[Session]) -> None:
    pid, dataset_id = _project(client, session_factory)
    _, waiting = _train(client, session_factory, pid, dataset_id)
    lease = timedelta(seconds=get_settings().job_lease_seconds)
    _age(session_factory, waiting, 3 * lease)
    # Its message is in the bulk lane: waiting, however long, never sent again nor called lost.
    for _ in range(3):
        assert resend_lost_pending(session_factory) == []
        _age(session_factory, waiting, 3 * lease)
    job = client.get(f"/api/jobs/{waiting}").json()
    assert job["message"] == "waiting: 1st in the bulk lane" and len(broker_queues.waiting(Lane.BULK)) == 1
    # A worker took the message and is alive (this process stands for it): still waiting.
    with session_factory() as s:
        from worker.job_runner import beat_worker, worker_identity
        beat_worker(session_factory)
        s.execute(update(Job).where(Job.id == waiting).values(reserved_by=worker_identity()))
        s.commit()
    assert get_celery().control.purge() == 1
    _age(session_factory, waiting, 3 * lease)
    assert resend_lost_pending(session_factory) == []
    with session_factory() as s:
        held = s.get(Job, waiting)
        assert held is not None and held.message.startswith("waiting: taken by worker")
        # That worker is gone: now the message is known lost, and sent again (once).
        s.execute(update(Job).where(Job.id == waiting).values(reserved_by="elsewhere:1"))
        s.commit()
    _age(session_factory, waiting, 3 * lease)
    assert resend_lost_pending(session_factory) == [waiting]
    assert resend_lost_pending(session_factory) == []
    with session_factory() as s:
        sent = s.get(Job, waiting)
        assert sent is not None and sent.reserved_by is None and "lost" in sent.message
        assert [q.task_id for q in broker_queues.waiting(Lane.BULK)] == [sent.celery_task_id]
        assert s.get(ModelVersion, sent.version_id) is not None
