"""A real worker builds the map of a version trained on a seeded subset of the shared IMDB archive.

The version is prepared directly (samples, tokens, checkpoints, per-epoch results) until the import
and training work lands; the map job goes through the API, the broker and a worker process.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import torch
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.artifacts import get_store
from backend.text.tokenizer import TextTokenizer
from tests.support.map_setup import Review, prepare_version
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration
torch.set_num_threads(2)
_NAME = re.compile(r"(\d+)_(\d+)\.txt$")


def read_reviews(root: Path, per_class: int, seed: int = 0) -> list[Review]:
    rng = np.random.default_rng(seed)
    out: list[Review] = []
    for split in ("train", "test"):
        for label, cls in enumerate(("neg", "pos")):
            files = sorted((root / split / cls).glob("*.txt"))
            for f in [files[i] for i in sorted(rng.choice(len(files), per_class, replace=False))]:
                hit = _NAME.search(f.name)
                assert hit is not None
                out.append(
                    Review(
                        key=f"{split}/{cls}/{f.stem}",
                        split=split,
                        label=label,
                        text=f.read_text(encoding="utf-8"),
                        score=int(hit[2]),
                    )
                )
    # A validation split carved from train, as the importer does.
    train = [i for i, r in enumerate(out) if r.split == "train"]
    for i in rng.choice(train, size=len(train) // 5, replace=False):
        out[i].split = "val"
    return out


def wait_done(client: TestClient, job_id: int, timeout: float = 600) -> dict[str, object]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        job: dict[str, object] = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("SUCCESS", "FAILURE"):
            return job
        time.sleep(1)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")


def test_worker_builds_map_of_imdb_subset(
    client: TestClient,
    session_factory: sessionmaker[Session],
    imdb_subset: Path,
    embedded_worker: WorkerProcess,
) -> None:
    reviews = read_reviews(imdb_subset, per_class=150)
    # Plant a near-duplicate across train and test (one word changed).
    src = next(r for r in reviews if r.split == "train")
    words = src.text.split()
    words[len(words) // 2] = "remarkably"
    reviews.append(
        Review(key="test/planted/dup", split="test", label=src.label, text=" ".join(words), score=src.score)
    )
    tokenizer = TextTokenizer.fit(
        [r.text for r in reviews if r.split == "train"], vocab_size=4000, max_length=200
    )
    prepared = prepare_version(session_factory, get_store(), reviews, tokenizer=tokenizer, epochs=2)
    vid = prepared.version_id
    client.put(f"/api/versions/{vid}/map-config", json={"n_epochs": 100, "trust_sample": 500})

    r = client.post(f"/api/versions/{vid}/maps/1")
    assert r.status_code == 202, r.text
    job = r.json()
    pending = client.get(f"/api/versions/{vid}/maps/1/points")
    assert pending.status_code in (200, 409)
    assert client.post(f"/api/versions/{vid}/maps/5").status_code == 404
    job = wait_done(client, job["id"])
    assert job["state"] == "SUCCESS", (job, embedded_worker.log())

    status = client.get(f"/api/versions/{vid}/maps/1").json()
    assert status["status"] == "done" and status["num_points"] == len(reviews)
    table = pa.ipc.open_stream(client.get(f"/api/versions/{vid}/maps/1/points").content).read_all()
    assert table.num_rows == len(reviews)
    assert set(table.column("split").to_pylist()) == {"train", "val", "test"}

    insights = client.get(f"/api/versions/{vid}/maps/1/insights").json()
    leak = [i for i in insights if i["kind"] == "duplicates_across_splits"]
    assert leak, insights
    planted = {prepared.sample_ids[reviews.index(src)], prepared.sample_ids[-1]}
    assert any(planted <= set(g) for g in leak[0]["detail"]["groups"])

    # The next epoch's map starts from this one.
    job2 = wait_done(client, client.post(f"/api/versions/{vid}/maps/2").json()["id"])
    assert job2["state"] == "SUCCESS", embedded_worker.log()
    assert client.get(f"/api/versions/{vid}/maps/2").json()["init"] == "previous"
