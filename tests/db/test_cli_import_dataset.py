"""`lensboard import-dataset`'s request side against the real API (both dialects): a local folder goes up as
a zip, a file as itself, `--server-path` sends the path; the job then runs with the task's body."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from backend.cli.client import ApiClient, ApiError, CliError
from backend.cli.datasets import start_dataset_import
from tests.support.custom_data import synthetic_rows, write_csv, write_csv_trio, write_stanford


def finish(client: TestClient, job: dict[str, object]) -> dict[str, object]:
    from worker.tasks.imports import import_dataset

    import_dataset(int(str(job["id"])))
    done = client.get(f"/api/jobs/{job['id']}").json()
    assert done["state"] == "SUCCESS", done["error"]
    dataset: dict[str, object] = client.get(f"/api/datasets/{done['dataset_id']}").json()
    return dataset


def test_folder_file_and_server_path(client: TestClient, data_dir: Path, tmp_path: Path) -> None:
    api = ApiClient(http=client)
    pid = client.post("/api/projects", json={"name": "cli"}).json()["id"]
    small = {"vocab_size": 300, "max_length": 32}

    folder = write_stanford(tmp_path / "topics", ["econ", "tech"], per_class=6)
    dataset = finish(client, start_dataset_import(api, pid, str(folder), name="topics", val_size=2, **small))
    assert dataset["classes"] == ["econ", "tech"] and dataset["num_samples"] == 12 + 6

    trio = write_csv_trio(tmp_path / "news", per_class=5)
    dataset = finish(client, start_dataset_import(api, pid, str(trio / "train.csv"), val_size=3, **small))
    assert dataset["source"] == "train.csv" and dataset["num_samples"] == 15

    server_side = write_csv_trio(data_dir / "imports" / "news", per_class=5)
    dataset = finish(client, start_dataset_import(api, pid, str(server_side), fmt="csv", server_path=True, **small))
    assert dataset["source"] == str(server_side.resolve()) and dataset["num_samples"] == 15 + 3 + 3


def test_errors_reach_the_user(client: TestClient, tmp_path: Path) -> None:
    api = ApiClient(http=client)
    pid = client.post("/api/projects", json={"name": "cli"}).json()["id"]
    rows = synthetic_rows(3)
    rows[4]["text"] = ""
    bad = write_csv(tmp_path / "train.csv", rows)
    with pytest.raises(ApiError) as e:
        start_dataset_import(api, pid, str(bad))
    assert e.value.status == 422 and "train.csv row 5: empty text" in e.value.detail
    with pytest.raises(CliError, match="does not exist"):
        start_dataset_import(api, pid, str(tmp_path / "nowhere.csv"))


def test_uploads_stream_the_file_and_report_the_bytes_sent(client: TestClient, tmp_path: Path) -> None:
    """The CLI sends a file in chunks as it reads it (never whole in memory), with its size up front (a
    Content-Length, not a chunked body), and its progress bar follows the bytes read."""
    api = ApiClient(http=client)
    pid = client.post("/api/projects", json={"name": "cli"}).json()["id"]
    big = write_csv(tmp_path / "train.csv", synthetic_rows(2000))
    size = big.stat().st_size
    assert size > 4 * 65_536
    seen: list[int] = []
    sent: list[httpx.Headers] = []
    client.event_hooks["request"].append(lambda request: sent.append(request.headers))
    job = api.upload(f"/projects/{pid}/datasets/upload", big, {"val_size": 3, "vocab_size": 300}, progress=seen.append)
    assert job["kind"] == "import" and seen[-1] == size
    assert int(sent[-1]["content-length"]) > size and "transfer-encoding" not in sent[-1]
    steps = [b - a for a, b in zip([0, *seen], seen, strict=False)]
    assert len(steps) > size // 65_536 and max(steps) <= 65_536
    assert finish(client, job)["num_samples"] == 6000
