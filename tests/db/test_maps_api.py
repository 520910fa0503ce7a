"""The map task body against a real database (SQLite and PostgreSQL), then the API that serves it."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
import torch
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from backend.api.services.points_payload import rebuilt_points_table, with_current_flags
from backend.core.artifacts import get_store
from backend.core.artifacts.keys import latent_key, points_key, pooled_prefix
from backend.core.db.models import Job, PopulationMap, SampleResult
from backend.core.map_points import FLAG_FIELD, POINTS_SCHEMA, STORED_SCHEMA, decode, with_extent
from tests.support.datasets import create_project, insert_synthetic_dataset, synthetic_reviews
from tests.support.versions import TrainedVersion, insert_version, post_epoch_job, trained_version
from worker.job_runner import run_job
from worker.pipeline.pooled_store import load_pooled
from worker.tasks.maps import run_map_job

torch.set_num_threads(2)
FAST = {"n_epochs": 50, "dims_per_layer": 8, "trust_sample": 300}


def train(factory: sessionmaker[Session], n: int, epochs: int, seed: int) -> TrainedVersion:
    reviews = synthetic_reviews(n, seed=seed)
    return trained_version(factory, get_store(), reviews.texts, reviews.labels, reviews.splits, epochs=epochs,
                           vocab_size=300, max_length=64, seed=seed)


def run_map(client: TestClient, factory: sessionmaker[Session], version_id: int, epoch: int) -> int:
    """Run, in this process, the map job that training enqueued for `epoch` (with fast UMAP settings)."""
    assert client.put(f"/api/versions/{version_id}/map-config", json=FAST).status_code == 200
    job_id = post_epoch_job(factory, version_id, "map", epoch)
    with run_job(job_id, factory) as ctx:
        assert ctx is not None
        run_map_job(ctx, get_store())
    return job_id


@pytest.fixture
def prepared(session_factory: sessionmaker[Session]) -> TrainedVersion:
    return train(session_factory, 300, epochs=2, seed=2)


def test_map_job_and_api(
    client: TestClient, session_factory: sessionmaker[Session], prepared: TrainedVersion
) -> None:
    vid = prepared.version_id
    # Before the map runs: 409 with the state of the job training queued; unknown epoch/version 404.
    r = client.get(f"/api/versions/{vid}/maps/1/points")
    assert r.status_code == 409 and r.json()["status"] == "pending" and r.json()["job"]["state"] == "PENDING"
    assert client.get(f"/api/versions/{vid}/maps/3").status_code == 404
    assert client.get("/api/versions/9999/maps/1/points").status_code == 404
    # The state answers 200 before the map row exists (the dashboard asks it, so no 409 in its console).
    r = client.get(f"/api/versions/{vid}/maps/1/state")
    assert r.status_code == 200 and r.json()["status"] == "pending" and r.json()["map"] is None
    assert r.json()["job"]["state"] == "PENDING"
    assert client.get(f"/api/versions/{vid}/maps/3/state").status_code == 404

    # Training's evaluation kept every layer's pooled activations: the map reads them, no forward pass.
    pooled = load_pooled(get_store(), vid, 1, 300)
    assert pooled is not None and list(pooled) == ["embedding", "conv2", "conv3", "dense"]
    job_id = run_map(client, session_factory, vid, 1)
    status = client.get(f"/api/versions/{vid}/maps/1").json()
    assert (
        status["status"] == "done" and status["job"]["id"] == job_id and status["job"]["state"] == "SUCCESS"
    )
    assert status["num_points"] == 300 and status["init"] == "spectral"
    state = client.get(f"/api/versions/{vid}/maps/1/state").json()
    assert state["status"] == "done" and state["map"]["id"] == status["id"] and state["job"]["id"] == job_id
    assert [layer["name"] for layer in status["layers"]] == ["embedding", "conv2", "conv3", "dense"]
    assert status["latent_dims"] == sum(layer["dims"] for layer in status["layers"])
    assert 0.5 < status["trustworthiness"] <= 1
    # Once the map is stored, the epoch's raw activations are dropped (tens of MB per epoch at 50k).
    assert load_pooled(get_store(), vid, 1, 300) is None
    assert not get_store().exists(pooled_prefix(vid, 1))

    # Arrow payload round-trips: what pyarrow reads back equals the stored map and the database.
    for compression in ("lz4", "zstd", "none"):
        r = client.get(f"/api/versions/{vid}/maps/1/points", params={"compression": compression})
        assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.apache.arrow.stream"
        table = pa.ipc.open_stream(r.content).read_all()
        assert table.num_rows == 300
    coords = get_store().get_array(f"versions/{vid}/epoch_1/map/coords.npy")
    clusters = get_store().get_array(f"versions/{vid}/epoch_1/map/clusters.npy")
    assert table.column("index").to_pylist() == list(range(300))
    assert table.column("sample_id").to_pylist() == prepared.sample_ids
    np.testing.assert_array_equal(table.column("x").to_numpy(), coords[:, 0].astype(np.float16))
    np.testing.assert_array_equal(table.column("y").to_numpy(), coords[:, 1].astype(np.float16))
    np.testing.assert_array_equal(table.column("cluster").to_numpy(), clusters)
    assert table.schema.field("x").type == pa.float16() and table.schema.field("label").type == pa.uint8()
    sample = client.get(f"/api/samples/{prepared.sample_ids[5]}", params={"version_id": vid}).json()
    row = {k: v[0] for k, v in table.slice(5, 1).to_pydict().items()}
    assert row["split"] == sample["split"] and row["label"] == sample["label"]
    assert row["token_count"] == sample["token_count"] and row["score"] == (sample["score"] or 0)  # 0: unknown
    assert row["prediction"] == sample["results"][0]["prediction"]
    assert row["loss"] == pytest.approx(sample["results"][0]["loss"], rel=2e-3, abs=1e-3)

    # JSON form: pages by default, a random subset only when asked.
    page = client.get(f"/api/versions/{vid}/maps/1/points.json", params={"limit": 50, "offset": 10}).json()
    assert page["total"] == 300 and page["returned"] == 50 and not page["sampled"]
    assert [p["index"] for p in page["points"]] == list(range(10, 60))
    assert page["points"][0]["x"] == pytest.approx(float(np.float16(coords[10, 0])))
    sampled = client.get(
        f"/api/versions/{vid}/maps/1/points.json", params={"limit": 40, "sample": True}
    ).json()
    assert sampled["sampled"] and sampled["returned"] == 40

    # Neighbours: exact, against brute force on the stored latent vectors.
    latent = get_store().get_array(latent_key(vid, 1)).astype(np.float32)
    r = client.get(f"/api/versions/{vid}/maps/1/neighbors/{prepared.sample_ids[7]}", params={"k": 8})
    assert r.status_code == 200
    got = r.json()["neighbors"]
    d = np.sqrt(((latent - latent[7]) ** 2).sum(1))
    d[7] = np.inf
    assert [n["index"] for n in got] == list(np.argsort(d, kind="stable")[:8])
    np.testing.assert_allclose([n["distance"] for n in got], np.sort(d)[:8], rtol=1e-5)
    assert got[0]["sample_id"] == prepared.sample_ids[got[0]["index"]]
    assert client.get(f"/api/versions/{vid}/maps/1/neighbors/999999").status_code == 404

    clusters_out = client.get(f"/api/versions/{vid}/maps/1/clusters").json()
    assert sum(c["size"] for c in clusters_out) == 300
    assert all(
        0.5 <= c["label_purity"] <= 1 and sum(c["split_mix"].values()) == c["size"] for c in clusters_out
    )
    insights = client.get(f"/api/versions/{vid}/maps/1/insights").json()
    assert [i["rank"] for i in insights] == list(range(1, len(insights) + 1))
    assert all(i["sentence"] and i["count"] >= len(i["sample_ids"]) > 0 for i in insights)

    # Epoch 2 starts from epoch 1's layout; without stored activations (an older epoch) the map
    # runs the epoch's checkpoint again.
    get_store().delete_prefix(pooled_prefix(vid, 2))
    assert load_pooled(get_store(), vid, 2, 300) is None
    run_map(client, session_factory, vid, 2)
    second = client.get(f"/api/versions/{vid}/maps/2").json()
    assert second["status"] == "done" and second["init"] == "previous"
    assert [m["epoch"] for m in client.get(f"/api/versions/{vid}/maps").json()] == [1, 2]


def test_map_failure_is_recorded_and_never_served(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    prepared = train(session_factory, 60, epochs=1, seed=4)
    with session_factory() as s:  # the epoch's evaluation is lost: the map must fail, not look complete
        s.execute(delete(SampleResult).where(SampleResult.version_id == prepared.version_id))
        s.commit()
    job_id = run_map(client, session_factory, prepared.version_id, 1)
    with session_factory() as s:
        job = s.get(Job, job_id)
        pmap = s.scalars(select(PopulationMap).where(PopulationMap.version_id == prepared.version_id)).one()
        assert job is not None and job.state == "FAILURE" and "no evaluation results" in (job.error or "")
        assert pmap.status == "failed" and "no evaluation results" in (pmap.error or "")
    r = client.get(f"/api/versions/{prepared.version_id}/maps/1/points")
    assert r.status_code == 409
    body = r.json()
    assert (
        body["status"] == "failed" and body["job"]["state"] == "FAILURE" and "no evaluation" in body["detail"]
    )
    state = client.get(f"/api/versions/{prepared.version_id}/maps/1/state").json()
    assert state["status"] == "failed" and "no evaluation" in state["map"]["error"]


def test_map_config(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        project = create_project(s)
        dataset = insert_synthetic_dataset(s, get_store(), project.id, n=40, seed=5)
        vid = insert_version(s, project.id, dataset.id).id
    defaults = client.get(f"/api/versions/{vid}/map-config").json()["params"]
    assert defaults["n_neighbors"] == 15 and defaults["metric"] == "euclidean"
    r = client.put(f"/api/versions/{vid}/map-config", json={"n_neighbors": 30, "metric": "cosine"})
    assert r.status_code == 200 and r.json()["params"]["n_neighbors"] == 30
    assert client.get(f"/api/versions/{vid}/map-config").json()["params"]["metric"] == "cosine"
    bad = client.put(f"/api/versions/{vid}/map-config", json={"n_neighbors": 1})
    assert bad.status_code == 422 and "n_neighbors" in bad.json()["detail"]
    assert client.put(f"/api/versions/{vid}/map-config", json={"metric": "chebyshev"}).status_code == 422
    assert client.get("/api/versions/9999/map-config").status_code == 404


def test_points_carry_the_current_flag_states(
    client: TestClient, session_factory: sessionmaker[Session], prepared: TrainedVersion
) -> None:
    """Flags move after the map is built; the flag column (0 none, 1 suspected, 2 confirmed, 3 dismissed)
    must follow them, and a cached payload must not hide the change."""
    vid, pid, ids = prepared.version_id, prepared.project_id, prepared.sample_ids
    run_map(client, session_factory, vid, 1)

    def flags() -> list[int]:
        r = client.get(f"/api/versions/{vid}/maps/1/points")
        assert r.status_code == 200
        return list(pa.ipc.open_stream(r.content).read_all().column("flag").to_pylist())

    assert set(flags()) == {0}
    for sid, state in ((ids[3], "suspected"), (ids[7], "confirmed"), (ids[11], "dismissed")):
        assert client.put(f"/api/projects/{pid}/flags/{sid}", json={"state": state}).status_code in (200, 201)
    column = flags()
    assert (column[3], column[7], column[11]) == (1, 2, 3)
    assert sum(1 for c in column if c) == 3
    assert client.post(f"/api/projects/{pid}/flags/{ids[7]}/undo").status_code == 200
    assert flags()[7] == 0

    # A browser revalidates every time (no-cache): 304 while the flags stand, the new payload after a change.
    first = client.get(f"/api/versions/{vid}/maps/1/points")
    assert "no-cache" in first.headers["cache-control"] and "max-age" not in first.headers["cache-control"]
    etag = first.headers["etag"]
    again = client.get(f"/api/versions/{vid}/maps/1/points", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    assert client.put(f"/api/projects/{pid}/flags/{ids[5]}", json={"state": "suspected"}).status_code in (200, 201)
    changed = client.get(f"/api/versions/{vid}/maps/1/points", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert pa.ipc.open_stream(changed.content).read_all().column("flag").to_pylist()[5] == 1


def test_the_stored_points_table_is_built_in_memory_without_flags(
    client: TestClient, session_factory: sessionmaker[Session], prepared: TrainedVersion
) -> None:
    """The map task builds the points table from what it holds; it equals the table rebuilt from the map's
    artifacts and the database (what the API does for a map stored before points.arrow existed), and
    carries no flag column: the API joins the current flags, at their place in the served schema."""
    vid, pid = prepared.version_id, prepared.project_id
    run_map(client, session_factory, vid, 1)
    store = get_store()
    with session_factory() as s:
        pmap = s.scalars(select(PopulationMap).where(PopulationMap.version_id == vid)).one()
        stored = decode(store.get_bytes(points_key(pmap.artifact_prefix)))
        assert stored.schema.names == STORED_SCHEMA.names and FLAG_FIELD not in stored.schema.names
        # Every encoded payload also says its size and extent (for a browser drawing it while it loads).
        assert with_extent(rebuilt_points_table(s, pmap, store)).equals(stored, check_metadata=True)
        described = json.loads(stored.schema.metadata[b"lensboard"])
        assert described["rows"] == stored.num_rows and len(described["extent"]) == 4
    assert client.put(f"/api/projects/{pid}/flags/{prepared.sample_ids[4]}", json={"state": "confirmed"}
                      ).status_code in (200, 201)
    served = pa.ipc.open_stream(client.get(f"/api/versions/{vid}/maps/1/points").content).read_all()
    assert served.schema.names == POINTS_SCHEMA.names
    assert served.schema.metadata == stored.schema.metadata
    assert served.column(FLAG_FIELD).to_pylist()[4] == 2 and sum(served.column(FLAG_FIELD).to_pylist()) == 2
    assert served.drop_columns([FLAG_FIELD]).equals(stored)
    # A table stored with a (stale) flag column, as maps were before: its column is replaced.
    i = served.schema.get_field_index(FLAG_FIELD)
    legacy = served.set_column(i, served.schema.field(i), pa.array(np.zeros(served.num_rows, np.uint8)))
    with session_factory() as s:
        assert with_current_flags(s, legacy, pid).equals(served)
