"""Dataset imports through the API in tests: an upload, and the import task's body run in this process
(the real-worker path is in tests/integration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.support.polling import wait_for_job
from tests.support.worker_process import WorkerProcess

# A small vocabulary and short rows: these tests are about what gets imported, not the tokenizer.
SMALL_TOKENIZER_FORM = {"vocab_size": "500", "max_length": "64"}


def upload(client: TestClient, project_id: int, filename: str, data: bytes, route: str = "upload",
           headers: dict[str, str] | None = None, **form: Any) -> Any:
    """POST …/datasets/{route} (`upload`, or `imdb/upload`) with the file and the form fields."""
    return client.post(f"/api/projects/{project_id}/datasets/{route}", files={"file": (filename, data)},
                       data={**SMALL_TOKENIZER_FORM, **{k: str(v) for k, v in form.items()}}, headers=headers)


def run_job(client: TestClient, job_id: int) -> dict[str, Any]:
    """The import task's body, in this process; returns the job as the API then shows it."""
    from worker.tasks.imports import import_dataset

    import_dataset(job_id)
    job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
    return job


def imported(client: TestClient, response: Any) -> dict[str, Any]:
    """The dataset that the import job `response` started has made, once the job has run and succeeded."""
    assert response.status_code == 202, response.text
    job = run_job(client, response.json()["id"])
    assert job["state"] == "SUCCESS", job["error"]
    dataset: dict[str, Any] = client.get(f"/api/datasets/{job['dataset_id']}").json()
    assert dataset["status"] == "ready"
    return dataset


def imported_on_worker(client: TestClient, project_id: int, archive: Path, worker: WorkerProcess,
                       name: str) -> dict[str, Any]:
    """The dataset a real worker imports from the uploaded `archive` (a zip of CSVs), once it succeeded."""
    r = upload(client, project_id, archive.name, archive.read_bytes(), name=name)
    assert r.status_code == 202, r.text
    job = wait_for_job(client, r.json()["id"], worker)
    assert job["state"] == "SUCCESS", job
    dataset: dict[str, Any] = client.get(f"/api/datasets/{job['dataset_id']}").json()
    return dataset
