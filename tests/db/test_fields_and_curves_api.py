"""A version's plottable fields (built-in and metadata columns), its ROC / PR curves per class, and the map
payload's metadata columns, through the API on SQLite and PostgreSQL: a 3-class custom dataset with a
number and a text metadata column, and a two-class one."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import torch
from fastapi.testclient import TestClient
from sklearn.metrics import average_precision_score, roc_auc_score
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.artifacts.keys import map_prefix
from backend.core.class_probabilities import load_class_probabilities, save_class_probabilities
from backend.core.db.base import utcnow
from backend.core.db.models import ModelVersion, PopulationMap, Sample, SampleResult
from tests.support.custom_data import synthetic_rows, write_csv
from tests.support.datasets import synthetic_reviews
from tests.support.flag_data import make_project_dataset
from tests.support.versions import insert_version, train_version, trained_version
from worker.tasks.imports import import_dataset

torch.set_num_threads(2)
CLASSES = ["politics", "science", "sports"]


def news_folder(root: Path) -> Path:
    """train/valid/test CSVs of a 3-class task; `source` is blank on every 7th row and `zine` on two."""
    root.mkdir(parents=True, exist_ok=True)
    for name, per_class, seed in (("train", 30, 0), ("valid", 8, 1), ("test", 10, 2)):
        rows = synthetic_rows(per_class, seed)
        for i, row in enumerate(rows):
            row["source"] = "" if i % 7 == 3 else "zine" if name == "test" and i in (0, 1) else row["source"]
        write_csv(root / f"{name}.csv", rows)
    return root


def import_news(client: TestClient, data_dir: Path) -> dict[str, Any]:
    project_id = client.post("/api/projects", json={"name": "news"}).json()["id"]
    r = client.post(f"/api/projects/{project_id}/datasets/import",
                    json={"path": str(news_folder(data_dir / "imports" / "news")), "name": "news",
                          "tokenizer": {"vocab_size": 500, "max_length": 64}})
    assert r.status_code == 202, r.text
    import_dataset(r.json()["id"])  # the task's body, in this process
    job = client.get(f"/api/jobs/{r.json()['id']}").json()
    assert job["state"] == "SUCCESS", job["error"]
    dataset: dict[str, Any] = client.get(f"/api/datasets/{job['dataset_id']}").json()
    assert dataset["classes"] == CLASSES
    assert dataset["metadata_columns"] == {"length": "number", "source": "string"}
    return dataset


def sample_rows(factory: sessionmaker[Session], dataset_id: int) -> list[Sample]:
    with factory() as s:
        return list(s.scalars(select(Sample).where(Sample.dataset_id == dataset_id).order_by(Sample.index)))


def made_up_probs(labels: np.ndarray, seed: int) -> np.ndarray:
    """Softmax probabilities that favour each sample's label, so that the AUCs are well inside (0.5, 1)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(len(labels), 3)) + 1.2 * np.eye(3)[labels]
    return (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(np.float32)


def version_with_results(factory: sessionmaker[Session], dataset: dict[str, Any],
                         probs_per_epoch: list[np.ndarray]) -> int:
    """A trained-looking version whose epoch e has per-sample results from probs_per_epoch[e - 1]."""
    with factory() as s:
        v = ModelVersion(project_id=dataset["project_id"], dataset_id=dataset["id"], name="v", architecture="cnn",
                         hyperparameters={}, seed=0, status="trained", epochs_done=len(probs_per_epoch),
                         data_fixes={}, graph={})
        s.add(v)
        s.flush()
        rows = s.execute(select(Sample.id, Sample.index, Sample.label).where(Sample.dataset_id == dataset["id"])).all()
        for epoch, probs in enumerate(probs_per_epoch, 1):
            for sid, index, label in rows:
                p = probs[index]
                s.add(SampleResult(version_id=v.id, epoch=epoch, sample_id=sid, loss=-math.log(p[label]),
                                   p_positive=float(p[1]), p_label=float(p[label]), prediction=int(p.argmax())))
        s.commit()
        return v.id


def test_fields_of_a_custom_dataset_list_its_metadata_columns(client: TestClient, data_dir: Path,
                                                              session_factory: sessionmaker[Session]) -> None:
    dataset = import_news(client, data_dir)
    vid = version_with_results(session_factory, dataset, [])
    r = client.get(f"/api/versions/{vid}/fields")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version_id"] == vid and body["dataset_id"] == dataset["id"]
    fields = {f["name"]: f for f in body["fields"]}
    # CSV rows carry no reviewer score: no `score` field.
    assert list(fields) == ["loss", "p_positive", "p_label", "token_count", "word_count", "label", "prediction",
                            "correct", "split", "meta:length", "meta:source"]
    assert fields["p_positive"]["title"] == "p(science)" and fields["loss"]["kind"] == "number"
    assert fields["label"]["categories"] == CLASSES and fields["label"]["kind"] == "category"
    assert fields["meta:length"] == {"name": "meta:length", "title": "length", "kind": "number", "source": "meta",
                                     "categories": None, "distinct": None}
    # Text metadata is a category: its values most frequent first, blanks not among them.
    counts: dict[str, int] = {}
    for sample in sample_rows(session_factory, dataset["id"]):
        if sample.meta["source"] is not None:
            counts[sample.meta["source"]] = counts.get(sample.meta["source"], 0) + 1
    assert counts["zine"] == 2 and sum(counts.values()) < dataset["num_samples"]
    source = fields["meta:source"]
    assert source["kind"] == "category" and source["title"] == "source" and source["distinct"] == 3
    assert source["categories"] == sorted(counts, key=lambda w: (-counts[w], w)) and source["categories"][-1] == "zine"

    assert client.get("/api/versions/9999/fields").json() == {"detail": "version 9999 not found"}


def test_fields_of_a_two_class_dataset_with_scores(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    d = make_project_dataset(session_factory, "imdb-like")
    with session_factory() as s:
        vid = insert_version(s, d.project_id, d.dataset_id).id
    fields = client.get(f"/api/versions/{vid}/fields").json()["fields"]
    names = [f["name"] for f in fields]
    assert names == ["loss", "p_positive", "p_label", "score", "token_count", "word_count", "label", "prediction",
                     "correct", "split"]
    assert fields[1]["title"] == "p(pos)" and fields[3] == {"name": "score", "title": "User score", "kind": "number",
                                                            "source": "sample", "categories": None, "distinct": None}


def expected_split(samples: list[Sample], split: str) -> tuple[np.ndarray, np.ndarray]:
    """(indices, labels) of the split's samples, or of every sample for "all"."""
    chosen = [s for s in samples if split == "all" or s.split == split]
    return np.array([s.index for s in chosen]), np.array([s.label for s in chosen])


def test_one_vs_rest_curves_for_three_classes(client: TestClient, data_dir: Path,
                                              session_factory: sessionmaker[Session]) -> None:
    dataset = import_news(client, data_dir)
    samples = sample_rows(session_factory, dataset["id"])
    labels = np.array([s.label for s in samples])
    probs = [made_up_probs(labels, seed=1), made_up_probs(labels, seed=2)]
    vid = version_with_results(session_factory, dataset, probs)
    save_class_probabilities(get_store(), vid, 1, probs[0])

    for split in ("test", "all"):
        r = client.get(f"/api/versions/{vid}/metrics/curves", params={"epoch": 1, "split": split})
        assert r.status_code == 200, r.text
        body = r.json()
        index, y = expected_split(samples, split)
        p = probs[0][index]
        assert (body["version_id"], body["epoch"], body["split"], body["count"]) == (vid, 1, split, len(index))
        assert body["averaging"] == "one_vs_rest" and body["classes"] == CLASSES
        assert [c["class_name"] for c in body["curves"]] == CLASSES
        for c, curve in enumerate(body["curves"]):
            assert curve["class_index"] == c
            assert (curve["positives"], curve["negatives"]) == (int((y == c).sum()), int((y != c).sum()))
            assert curve["roc_auc"] == pytest.approx(roc_auc_score(y == c, p[:, c]), abs=1e-9)
            assert curve["average_precision"] == pytest.approx(average_precision_score(y == c, p[:, c]), abs=1e-9)
            assert 0.5 < curve["roc_auc"] < 1
            roc, pr = curve["roc"], curve["pr"]
            assert len(roc["x"]) == len(roc["y"]) and (roc["x"][0], roc["x"][-1], roc["y"][-1]) == (0, 1, 1)
            assert len(pr["x"]) == len(pr["y"]) and pr["x"][-1] == 1
        macro = body["macro"]
        exact = p.astype(np.float64) / p.sum(1, keepdims=True)
        assert macro["roc_auc"] == pytest.approx(roc_auc_score(y, exact, multi_class="ovr", average="macro"), abs=1e-6)
        assert macro["average_precision"] == pytest.approx(
            np.mean([average_precision_score(y == c, p[:, c]) for c in range(3)]), abs=1e-9)
        assert macro["classes_averaged"] == 3 and len(macro["roc"]["x"]) == len(macro["roc"]["y"]) > 2

    # Defaults: the test split at the latest epoch, which kept no per-class probabilities: 409, said why.
    r = client.get(f"/api/versions/{vid}/metrics/curves")
    assert r.status_code == 409 and "epoch 2" in r.json()["detail"] and "per-class" in r.json()["detail"]
    save_class_probabilities(get_store(), vid, 2, probs[1])
    body = client.get(f"/api/versions/{vid}/metrics/curves").json()
    index, y = expected_split(samples, "test")
    assert (body["epoch"], body["split"]) == (2, "test")
    assert body["curves"][0]["roc_auc"] == pytest.approx(roc_auc_score(y == 0, probs[1][index][:, 0]), abs=1e-9)

    assert client.get(f"/api/versions/{vid}/metrics/curves", params={"epoch": 3}).status_code == 404
    assert client.get(f"/api/versions/{vid}/metrics/curves", params={"split": "dev"}).status_code == 422
    assert client.get("/api/versions/9999/metrics/curves").status_code == 404
    untrained = version_with_results(session_factory, dataset, [])
    r = client.get(f"/api/versions/{untrained}/metrics/curves")
    assert r.status_code == 409 and "no evaluated epoch" in r.json()["detail"]


def test_binary_curves_stay_p_positive_against_class_zero(client: TestClient,
                                                          session_factory: sessionmaker[Session]) -> None:
    d = make_project_dataset(session_factory, "binary", per_split={"train": 20, "val": 6, "test": 30})
    rng = np.random.default_rng(3)
    with session_factory() as s:
        version = insert_version(s, d.project_id, d.dataset_id)
        version.epochs_done = 1
        vid = version.id
        scores: dict[int, float] = {}
        for sid, label in d.labels.items():
            p = float(np.clip(0.25 + 0.4 * label + rng.normal(0, 0.2), 0.01, 0.99))
            scores[sid] = p
            s.add(SampleResult(version_id=vid, epoch=1, sample_id=sid, loss=0.5, p_positive=p,
                               p_label=p if label else 1 - p, prediction=int(p >= 0.5)))
        s.commit()
    body = client.get(f"/api/versions/{vid}/metrics/curves", params={"split": "test"}).json()
    test_ids = d.sample_ids["test"]
    y = np.array([d.labels[i] for i in test_ids])
    p = np.array([scores[i] for i in test_ids])
    assert body["averaging"] == "binary" and body["classes"] == ["neg", "pos"] and body["count"] == 30
    assert body["macro"] is None and len(body["curves"]) == 1
    curve = body["curves"][0]
    assert (curve["class_index"], curve["class_name"], curve["positives"], curve["negatives"]) == (1, "pos", 15, 15)
    assert curve["roc_auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-9)
    assert curve["average_precision"] == pytest.approx(average_precision_score(y, p), abs=1e-9)
    assert get_store().exists(f"versions/{vid}") is False  # two classes keep no probabilities artifact


def test_map_points_carry_number_and_text_metadata(client: TestClient, data_dir: Path,
                                                   session_factory: sessionmaker[Session]) -> None:
    dataset = import_news(client, data_dir)
    samples = sample_rows(session_factory, dataset["id"])
    n = len(samples)
    vid = version_with_results(session_factory, dataset, [made_up_probs(np.array([s.label for s in samples]), 5)])
    store = get_store()
    prefix = map_prefix(vid, 1)
    store.put_array(f"{prefix}/coords.npy", np.random.default_rng(0).random((n, 2)).astype(np.float32))
    store.put_array(f"{prefix}/clusters.npy", (np.arange(n) % 4).astype(np.int32))
    with session_factory() as s:
        s.add(PopulationMap(version_id=vid, epoch=1, status="done", num_points=n, artifact_prefix=prefix,
                            finished_at=utcnow()))
        s.commit()

    r = client.get(f"/api/versions/{vid}/maps/1/points")
    assert r.status_code == 200, r.text
    table = pa.ipc.open_stream(r.content).read_all()
    assert table.schema.field("meta:length").type == pa.float32()
    assert table.schema.field("meta:source").type == pa.dictionary(pa.int16(), pa.string())
    meta = json.loads(table.schema.metadata[b"lensboard"])
    assert meta["metadata_columns"] == ["length"] and meta["categorical_columns"] == {"source": 3}
    by_index = {s.index: s.meta for s in samples}
    rows = table.select(["index", "meta:length", "meta:source"]).to_pylist()
    assert len(rows) == n
    for row in rows:
        assert row["meta:length"] == by_index[row["index"]]["length"]
        assert row["meta:source"] == by_index[row["index"]]["source"]  # None where the CSV cell was blank
    assert sum(row["meta:source"] is None for row in rows) > 0
    assert set(table.column("meta:source").chunk(0).dictionary.to_pylist()) == {"wire", "blog", "zine"}
    # The JSON form of the points keeps its documented fields.
    page = client.get(f"/api/versions/{vid}/maps/1/points.json", params={"limit": 5}).json()
    assert page["returned"] == 5 and "meta:source" not in page["points"][0]


def test_training_keeps_every_class_probability_with_three_classes(client: TestClient, data_dir: Path,
                                                                   session_factory: sessionmaker[Session]) -> None:
    dataset = import_news(client, data_dir)
    with session_factory() as s:
        vid = insert_version(s, dataset["project_id"], dataset["id"]).id
    job = train_version(session_factory, vid, 1)
    assert job.state == "SUCCESS", job.error
    probs = load_class_probabilities(get_store(), vid, 1)
    assert probs is not None and probs.shape == (dataset["num_samples"], 3) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
    with session_factory() as s:
        results = s.execute(select(Sample.index, Sample.split, Sample.label, SampleResult.prediction,
                                   SampleResult.p_positive, SampleResult.p_label)
                            .join(SampleResult, SampleResult.sample_id == Sample.id)
                            .where(SampleResult.version_id == vid, SampleResult.epoch == 1)).all()
    for index, _, label, prediction, p_positive, p_label in results:
        assert prediction == int(probs[index].argmax())
        assert p_positive == pytest.approx(probs[index][1], abs=1e-6)
        assert p_label == pytest.approx(probs[index][label], abs=1e-6)
    body = client.get(f"/api/versions/{vid}/metrics/curves", params={"split": "all"}).json()
    y = np.array([r[2] for r in sorted(results)])
    assert body["averaging"] == "one_vs_rest" and body["count"] == len(y)
    for c in range(3):
        assert body["curves"][c]["roc_auc"] == pytest.approx(roc_auc_score(y == c, probs[:, c]), abs=1e-9)

    # Two classes: p(class 1) in every result row is all the curves need; no artifact is written.
    reviews = synthetic_reviews(60, seed=1)
    binary = trained_version(session_factory, get_store(), reviews.texts, reviews.labels, reviews.splits,
                             vocab_size=200, max_length=32, seed=1)
    assert load_class_probabilities(get_store(), binary.version_id, 1) is None
    assert client.get(f"/api/versions/{binary.version_id}/metrics/curves").json()["averaging"] == "binary"
