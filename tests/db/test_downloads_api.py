"""A version's downloads (checkpoint, metrics CSV, results Parquet) from the API and the CLI (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import struct
import tarfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.api.app import create_app
from backend.api.services.tensorboard_events import crc32c, masked_crc32c
from backend.cli.client import ApiClient, ApiError
from backend.cli.downloads import download_artifact
from backend.core.artifacts import get_store
from backend.core.db.models import BatchMetric, Checkpoint, EpochMetric, ModelVersion, Sample, SampleResult
from tests.support.accounts import add_member, user_token
from tests.support.datasets import synthetic_reviews
from tests.support.flag_data import SyntheticDataset, make_project_dataset
from tests.support.versions import trained_version

EPOCHS = 2
BATCHES = 3


def _checkpoint_bytes(version_id: int, epoch: int) -> bytes:
    # Not a torch file: the API must hand back whatever bytes the store holds, untouched.
    return f"checkpoint {version_id}/{epoch} ".encode() + bytes(range(256)) * 40


def _trained(factory: sessionmaker[Session], d: SyntheticDataset) -> int:
    """A version with EPOCHS finished epochs: per-sample results, metrics and a stored checkpoint each."""
    store = get_store()
    with factory() as s:
        v = ModelVersion(project_id=d.project_id, dataset_id=d.dataset_id, name="v", architecture="cnn",
                         hyperparameters={}, seed=0, status="trained", epochs_done=EPOCHS, data_fixes={}, graph={})
        s.add(v)
        s.flush()
        step = 0
        for epoch in range(1, EPOCHS + 1):
            for k, (sid, label) in enumerate(sorted(d.labels.items())):
                p = (k % 10 + 0.5) / 10 / epoch
                p_label = p if label == 1 else 1 - p
                s.add(SampleResult(version_id=v.id, epoch=epoch, sample_id=sid, loss=-math.log(p_label),
                                   p_positive=p, p_label=p_label, prediction=int(p >= 0.5)))
            for split in ("train", "val", "test"):
                s.add(EpochMetric(version_id=v.id, epoch=epoch, split=split, loss=1.0 / epoch,
                                  accuracy=0.5 + 0.1 * epoch, count=10, seconds=0.25))
            for batch in range(BATCHES):
                step += 1
                s.add(BatchMetric(version_id=v.id, epoch=epoch, batch=batch, step=step, loss=2.0 / step,
                                  accuracy=0.1 * step, size=16))
            key = f"versions/{v.id}/epoch_{epoch}/model.pt"
            size = store.put_bytes(key, _checkpoint_bytes(v.id, epoch))
            s.add(Checkpoint(version_id=v.id, epoch=epoch, key=key, size_bytes=size, seconds=0.1, note=""))
        s.commit()
        return v.id


def _fresh(factory: sessionmaker[Session], d: SyntheticDataset) -> int:
    with factory() as s:
        v = ModelVersion(project_id=d.project_id, dataset_id=d.dataset_id, name="new", architecture="cnn",
                         hyperparameters={}, seed=0, status="created", data_fixes={}, graph={})
        s.add(v)
        s.commit()
        return v.id


def test_checkpoint_download_is_the_stored_file(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    d = make_project_dataset(session_factory, "ckpt")
    vid = _trained(session_factory, d)
    r = client.get(f"/api/versions/{vid}/checkpoint")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"] == f'attachment; filename="version-{vid}-epoch-{EPOCHS}.pt"'
    assert r.content == _checkpoint_bytes(vid, EPOCHS)
    r = client.get(f"/api/versions/{vid}/checkpoint", params={"epoch": 1})
    assert r.content == _checkpoint_bytes(vid, 1) and "epoch-1.pt" in r.headers["content-disposition"]

    assert client.get(f"/api/versions/{vid}/checkpoint", params={"epoch": 3}).json() == {
        "detail": f"checkpoint of version {vid} for epoch 3 not found"}
    assert client.get(f"/api/versions/{vid}/checkpoint", params={"epoch": 0}).status_code == 422
    assert client.get("/api/versions/9999/checkpoint").json() == {"detail": "version 9999 not found"}
    fresh = client.get(f"/api/versions/{_fresh(session_factory, d)}/checkpoint")
    assert fresh.status_code == 409 and "no finished epoch" in fresh.json()["detail"]

    # A row whose file is gone (a store wiped by hand) is a clear 404, not a 500.
    with session_factory() as s:
        key = s.scalars(select(Checkpoint.key).where(Checkpoint.version_id == vid, Checkpoint.epoch == 1)).one()
    get_store().path(key).unlink()
    r = client.get(f"/api/versions/{vid}/checkpoint", params={"epoch": 1})
    assert r.status_code == 404 and "missing from the store" in r.json()["detail"]


def test_metrics_csv(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    d = make_project_dataset(session_factory, "metrics")
    vid = _trained(session_factory, d)
    r = client.get(f"/api/versions/{vid}/metrics.csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="version-{vid}-epoch-metrics.csv"'
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(int(x["epoch"]), x["split"]) for x in rows] == [
        (e, s) for e in range(1, EPOCHS + 1) for s in ("test", "train", "val")]
    assert {float(x["loss"]) for x in rows if x["epoch"] == "2"} == {0.5}
    assert float(rows[0]["accuracy"]) == pytest.approx(0.6) and rows[0]["count"] == "10"

    r = client.get(f"/api/versions/{vid}/metrics.csv", params={"kind": "batch"})
    assert "batch-metrics.csv" in r.headers["content-disposition"]
    batches = list(csv.DictReader(io.StringIO(r.text)))
    assert list(batches[0]) == ["step", "epoch", "batch", "loss", "accuracy", "size"]
    assert [(int(b["step"]), int(b["epoch"]), int(b["batch"])) for b in batches] == [
        (e * BATCHES + b + 1, e + 1, b) for e in range(EPOCHS) for b in range(BATCHES)]
    assert float(batches[3]["loss"]) == pytest.approx(0.5)

    empty = client.get(f"/api/versions/{_fresh(session_factory, d)}/metrics.csv")
    assert empty.status_code == 200 and empty.text == "epoch,split,loss,accuracy,count,seconds\n"
    assert client.get(f"/api/versions/{vid}/metrics.csv", params={"kind": "sample"}).status_code == 422
    assert client.get("/api/versions/9999/metrics.csv").status_code == 404


def _expected(factory: sessionmaker[Session], vid: int, epochs: set[int]) -> list[dict[str, object]]:
    with factory() as s:
        rows = s.execute(select(SampleResult, Sample).join(Sample, Sample.id == SampleResult.sample_id)
                         .where(SampleResult.version_id == vid)).all()
    out = [{"sample_id": sample.id, "key": sample.key, "split": sample.split, "label": sample.label,
            "epoch": r.epoch, "loss": r.loss, "p_positive": r.p_positive, "p_label": r.p_label,
            "prediction": r.prediction, "correct": r.prediction == sample.label, "score": sample.score,
            "token_count": sample.token_count} for r, sample in rows if r.epoch in epochs]
    return sorted(out, key=lambda x: (x["epoch"], x["sample_id"]))  # type: ignore[return-value]


def _parquet(content: bytes) -> list[dict[str, object]]:
    return pq.read_table(io.BytesIO(content)).to_pylist()


def test_results_parquet_matches_the_sample_results(client: TestClient,
                                                    session_factory: sessionmaker[Session]) -> None:
    d = make_project_dataset(session_factory, "results")
    vid = _trained(session_factory, d)
    r = client.get(f"/api/versions/{vid}/results.parquet")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.apache.parquet"
    assert r.headers["content-disposition"] == f'attachment; filename="version-{vid}-epoch-{EPOCHS}-results.parquet"'
    table = pq.read_table(io.BytesIO(r.content))
    assert table.schema.metadata[b"lensboard.version_id"] == str(vid).encode()
    assert json.loads(table.schema.metadata[b"lensboard.classes"]) == ["neg", "pos"]
    assert table.num_rows == len(d.labels)
    assert _parquet(r.content) == _expected(session_factory, vid, {EPOCHS})

    one = client.get(f"/api/versions/{vid}/results.parquet", params={"epoch": 1})
    assert _parquet(one.content) == _expected(session_factory, vid, {1})
    every = client.get(f"/api/versions/{vid}/results.parquet", params={"epoch": "all"})
    assert "all-epochs-results.parquet" in every.headers["content-disposition"]
    assert _parquet(every.content) == _expected(session_factory, vid, {1, 2})

    assert client.get(f"/api/versions/{vid}/results.parquet", params={"epoch": 3}).status_code == 404
    assert client.get(f"/api/versions/{vid}/results.parquet", params={"epoch": "some"}).status_code == 422
    assert client.get("/api/versions/9999/results.parquet").status_code == 404
    fresh = _fresh(session_factory, d)
    for params in ({}, {"epoch": "all"}):
        r = client.get(f"/api/versions/{fresh}/results.parquet", params=params)
        assert r.status_code == 409 and "no evaluated epoch" in r.json()["detail"]


def test_cli_downloads_each_file(client: TestClient, session_factory: sessionmaker[Session],
                                 tmp_path: Path) -> None:
    d = make_project_dataset(session_factory, "cli")
    vid = _trained(session_factory, d)
    api = ApiClient(http=client)
    out = download_artifact(api, vid, "checkpoint", epoch="1", out=tmp_path / "model.pt")
    assert out.read_bytes() == _checkpoint_bytes(vid, 1)
    # Without -o: the server's file name, in the given folder.
    out = download_artifact(api, vid, "results", epoch="all", folder=tmp_path)
    assert out.name == f"version-{vid}-all-epochs-results.parquet"
    assert pq.read_table(out).num_rows == EPOCHS * len(d.labels)
    out = download_artifact(api, vid, "metrics", kind="batch", folder=tmp_path)
    assert out.read_text().splitlines()[0] == "step,epoch,batch,loss,accuracy,size"
    out = download_artifact(api, vid, "tensorboard", folder=tmp_path)  # `lensboard download VERSION tensorboard`
    assert out.name == f"version-{vid}-tensorboard.tar.gz" and tarfile.is_tarfile(out)

    with pytest.raises(ApiError, match=r"checkpoint of version \d+ for epoch 7 not found"):
        download_artifact(api, vid, "checkpoint", epoch="7", out=tmp_path / "bad.pt")
    assert not (tmp_path / "bad.pt").exists() and not list(tmp_path.glob(".bad.pt*"))


def test_downloads_of_a_version_trained_by_the_pipeline(client: TestClient,
                                                       session_factory: sessionmaker[Session]) -> None:
    """The checkpoint that the worker wrote loads back in torch; the results cover every sample."""
    import torch

    reviews = synthetic_reviews(120, seed=3)
    v = trained_version(session_factory, get_store(), reviews.texts, reviews.labels, reviews.splits, epochs=1,
                        vocab_size=300, max_length=64, seed=3)
    r = client.get(f"/api/versions/{v.version_id}/checkpoint")
    assert r.status_code == 200, r.text
    saved = torch.load(io.BytesIO(r.content), map_location="cpu", weights_only=True)
    assert (saved["version_id"], saved["epoch"], saved["architecture"]) == (v.version_id, 1, "cnn")
    assert saved["model"] and all(isinstance(t, torch.Tensor) for t in saved["model"].values())
    table = pq.read_table(io.BytesIO(client.get(f"/api/versions/{v.version_id}/results.parquet").content))
    assert sorted(table.column("sample_id").to_pylist()) == sorted(v.sample_ids)
    metrics = list(csv.DictReader(io.StringIO(client.get(f"/api/versions/{v.version_id}/metrics.csv").text)))
    assert {m["split"] for m in metrics} == set(reviews.splits) and {m["epoch"] for m in metrics} == {"1"}


class SlowClient:
    """One download, straight through the ASGI interface, by a client that reads nothing of the body until
    `release` is set: the response stays in flight as long as the test wants."""

    def __init__(self, app: Any, path: str, token: str, release: asyncio.Event) -> None:
        self.app, self.path, self.token, self.release = app, path, token, release
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self.started = asyncio.Event()
        self.done = asyncio.Event()

    async def run(self) -> None:
        path, _, query = self.path.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": [(b"authorization", f"Bearer {self.token}".encode())],
                 "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
        sent_request = False

        async def receive() -> dict[str, Any]:
            nonlocal sent_request
            if not sent_request:
                sent_request = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await self.done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                self.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
                self.started.set()
            elif message["type"] == "http.response.body":
                await self.release.wait()
                self.body += message.get("body", b"")

        try:
            await self.app(scope, receive, send)
        finally:
            self.done.set()


def test_heavy_downloads_are_capped_per_user(session_factory: sessionmaker[Session]) -> None:
    """At most LENSBOARD_MAX_DOWNLOADS_PER_USER (2) heavy downloads per user in flight: the next is a 429
    with Retry-After until one ends; other users are not held back."""
    d = make_project_dataset(session_factory, "cap")
    vid = _trained(session_factory, d)
    ann, bob = user_token(session_factory, "ann"), user_token(session_factory, "bob")
    add_member(session_factory, d.project_id, "ann", "viewer")
    add_member(session_factory, d.project_id, "bob", "viewer")
    heavy = [f"/api/versions/{vid}/checkpoint", f"/api/projects/{d.project_id}/cleaned-dataset",
             f"/api/versions/{vid}/results.parquet", f"/api/versions/{vid}/metrics.csv?kind=batch",
             f"/api/projects/{d.project_id}/flags/export"]

    async def scenario() -> None:
        app = create_app(session_factory)
        held = asyncio.Event()
        free = asyncio.Event()
        free.set()
        first = [SlowClient(app, heavy[0], ann, held), SlowClient(app, heavy[1], ann, held)]
        tasks = [asyncio.create_task(c.run()) for c in first]
        await asyncio.wait_for(asyncio.gather(*(c.started.wait() for c in first)), 30)
        assert [c.status for c in first] == [200, 200]
        # Both are still sending; a third heavy download of any kind is refused...
        for path in heavy[2:]:
            refused = SlowClient(app, path, ann, free)
            await asyncio.wait_for(refused.run(), 30)
            assert refused.status == 429, path
            assert refused.headers["retry-after"] == "5"
            assert json.loads(refused.body)["detail"].startswith("you already have 2 downloads in flight")
        # ...light requests are not, nor is another user.
        other = SlowClient(app, heavy[2], bob, free)
        await asyncio.wait_for(other.run(), 30)
        assert other.status == 200 and other.body.startswith(b"PAR1")
        light = SlowClient(app, f"/api/versions/{vid}", ann, free)
        await asyncio.wait_for(light.run(), 30)
        assert light.status == 200
        # Once they have been sent, the slots are free again.
        held.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        assert first[0].body == _checkpoint_bytes(vid, EPOCHS)
        again = SlowClient(app, heavy[2], ann, free)
        await asyncio.wait_for(again.run(), 30)
        assert again.status == 200

    asyncio.run(scenario())


def test_the_download_cap_is_declared_in_the_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/versions/{version_id}/checkpoint", "/api/versions/{version_id}/metrics.csv",
                 "/api/versions/{version_id}/results.parquet", "/api/projects/{project_id}/cleaned-dataset",
                 "/api/projects/{project_id}/flags/export", "/api/versions/{version_id}/suspects/export"):
        assert "429" in paths[path]["get"]["responses"], path


def _fields(data: bytes) -> list[tuple[int, int | bytes | float]]:
    """(field number, value) of one protobuf message: varints as ints, 64-bit as doubles, 32-bit as
    floats, length-delimited as bytes (what the writer uses)."""
    out: list[tuple[int, int | bytes | float]] = []
    i = 0

    def varint() -> int:
        nonlocal i
        shift = value = 0
        while True:
            byte = data[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while i < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            out.append((number, varint()))
        elif wire == 1:
            out.append((number, struct.unpack("<d", data[i:i + 8])[0]))
            i += 8
        elif wire == 5:
            out.append((number, struct.unpack("<f", data[i:i + 4])[0]))
            i += 4
        else:
            n = varint()
            out.append((number, data[i:i + n]))
            i += n
    return out


def _records(data: bytes) -> list[bytes]:
    """The TFRecords of an event file, each CRC checked."""
    out, i = [], 0
    while i < len(data):
        length_bytes = data[i:i + 8]
        (n,) = struct.unpack("<Q", length_bytes)
        assert struct.unpack("<I", data[i + 8:i + 12])[0] == masked_crc32c(length_bytes)
        payload = data[i + 12:i + 12 + n]
        assert struct.unpack("<I", data[i + 12 + n:i + 16 + n])[0] == masked_crc32c(payload)
        out.append(payload)
        i += 16 + n
    return out


def test_crc32c_matches_the_standard_check_value() -> None:
    assert crc32c(b"123456789") == 0xE3069283


def test_tensorboard_export(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    d = make_project_dataset(session_factory, "tensorboard")
    vid = _trained(session_factory, d)
    r = client.get(f"/api/versions/{vid}/tensorboard.tar.gz")
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == f'attachment; filename="version-{vid}-tensorboard.tar.gz"'
    with tarfile.open(fileobj=io.BytesIO(r.content), mode="r:gz") as tar:
        [member] = tar.getmembers()
        assert member.name.startswith(f"version-{vid}/events.out.tfevents.")
        events = [dict(_fields(rec)) for rec in _records(tar.extractfile(member).read())]  # type: ignore[union-attr]
    assert events[0][3] == b"brain.Event:2"
    scalars: dict[str, list[tuple[int, float]]] = {}
    hparams: dict[str, object] = {}
    for event in events[1:]:
        for number, value in _fields(event[5]):  # type: ignore[arg-type]
            assert number == 1 and isinstance(value, bytes)
            v = dict(_fields(value))
            if v[1] == b"_hparams_/session_start_info":
                plugin = dict(_fields(dict(_fields(v[9]))[1]))  # type: ignore[arg-type]
                assert plugin[1] == b"hparams"
                start = dict(_fields(dict(_fields(plugin[2]))[3]))  # type: ignore[arg-type]
                for n, entry in _fields(dict(_fields(plugin[2]))[3]):  # type: ignore[arg-type]
                    if n == 1:
                        e = dict(_fields(entry))  # type: ignore[arg-type]
                        hparams[e[1].decode()] = dict(_fields(e[2]))  # type: ignore[union-attr,arg-type]
                assert start[4] == f"version-{vid}".encode()
            elif v[1].startswith((b"_hparams_/", b"confusion/")):  # type: ignore[union-attr]
                continue  # read back with tensorboard's own reader below
            else:
                scalars.setdefault(v[1].decode(), []).append((event[2], v[2]))  # type: ignore[union-attr,arg-type]
    assert [s for s, _ in scalars["batch/loss"]] == list(range(1, EPOCHS * BATCHES + 1))
    assert [s for s, _ in scalars["epoch/val/accuracy"]] == list(range(1, EPOCHS + 1))
    assert scalars["epoch/test/loss"][1][1] == pytest.approx(0.5)
    assert hparams["architecture"] == {3: b"cnn"} and hparams["seed"] == {2: 0.0}
    assert client.get("/api/versions/9999/tensorboard.tar.gz").status_code == 404


def test_tensorboard_export_reads_back_in_tensorboard(client: TestClient, session_factory: sessionmaker[Session],
                                                      tmp_path: Path) -> None:
    """TensorBoard's own reader (EventAccumulator, CRCs checked) finds the scalars, a confusion-matrix image
    per held-out split and epoch whose cells match the stored predictions, and the HParams experiment,
    session start and end."""
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from PIL import Image
    from tensorboard.plugins.hparams import plugin_data_pb2

    from backend.api.services.confusion_image import shade

    d = make_project_dataset(session_factory, "tensorboard-reader")
    vid = _trained(session_factory, d)
    r = client.get(f"/api/versions/{vid}/tensorboard.tar.gz")
    assert r.status_code == 200, r.text
    with tarfile.open(fileobj=io.BytesIO(r.content), mode="r:gz") as tar:
        tar.extractall(tmp_path, filter="data")
    acc = event_accumulator.EventAccumulator(str(tmp_path / f"version-{vid}"),
                                             size_guidance={event_accumulator.IMAGES: 0,
                                                            event_accumulator.SCALARS: 0})
    acc.Reload()
    tags = acc.Tags()
    assert set(tags["images"]) == {"confusion/val", "confusion/test"}
    assert {"batch/loss", "epoch/val/accuracy", "epoch/test/loss"} <= set(tags["scalars"])
    assert [e.step for e in acc.Scalars("epoch/train/accuracy")] == list(range(1, EPOCHS + 1))

    # The expected matrices, from the stored predictions and labels.
    with session_factory() as s:
        rows = s.execute(select(SampleResult.epoch, Sample.split, Sample.label, SampleResult.prediction)
                         .join(Sample, Sample.id == SampleResult.sample_id)
                         .where(SampleResult.version_id == vid)).all()
    for split in ("val", "test"):
        images = acc.Images(f"confusion/{split}")
        assert [i.step for i in images] == list(range(1, EPOCHS + 1))
        assert "rows are the true class" in acc.SummaryMetadata(f"confusion/{split}").summary_description
        assert "0 = neg, 1 = pos" in acc.SummaryMetadata(f"confusion/{split}").summary_description
        for image in images:
            matrix = [[0, 0], [0, 0]]
            for epoch, sp, label, prediction in rows:
                if (epoch, sp) == (image.step, split):
                    matrix[label][prediction] += 1
            picture = Image.open(io.BytesIO(image.encoded_image_string)).convert("RGB")
            assert picture.size == (image.width, image.height)
            cell_w, cell_h = image.width // 3, image.height // 3  # a header row and column, then 2 x 2
            for t in range(2):
                for p in range(2):
                    corner = ((p + 1) * cell_w + 2, (t + 1) * cell_h + 2)  # inside the cell, off its digits
                    assert picture.getpixel(corner) == shade(matrix[t][p] / sum(matrix[t])), (split, t, p)

    hparams = acc.PluginTagToContent("hparams")
    assert set(hparams) == {"_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"}
    experiment = plugin_data_pb2.HParamsPluginData.FromString(hparams["_hparams_/experiment"]).experiment
    assert {"architecture", "seed"} <= {h.name for h in experiment.hparam_infos}
    assert {m.name.tag for m in experiment.metric_infos} == {
        f"epoch/{split}/{name}" for split in ("train", "val", "test") for name in ("accuracy", "loss")}
    start = plugin_data_pb2.HParamsPluginData.FromString(hparams["_hparams_/session_start_info"]).session_start_info
    assert start.hparams["architecture"].string_value == "cnn" and start.group_name == f"version-{vid}"
    end = plugin_data_pb2.HParamsPluginData.FromString(hparams["_hparams_/session_end_info"]).session_end_info
    assert end.status == 1  # STATUS_SUCCESS: the version is trained
