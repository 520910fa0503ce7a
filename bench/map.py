"""Population-map benchmark: `python -m bench.map` (make bench-map).

On N reviews of the shared IMDB archive (default all 50,000) and a CNN trained one epoch with the
default hyperparameters (or an existing version: LENSBOARD_BENCH_VERSION=<id> with the usual
DATABASE_URL / LENSBOARD_* settings), it runs the map task body once and prints:
activation extract + pool time, UMAP time, trustworthiness (5k subset), the points payload size and
the server time of the points endpoint. Last line: map_seconds=<whole map step>.

Environment: LENSBOARD_BENCH_MAP_N (reviews, default 50000; use e.g. 2000 to check it runs),
LENSBOARD_BENCH_EPOCHS (map this many epochs in a row; the second starts from the first's layout).
numba compiles UMAP on first use in a process; a warm-up on a tiny set runs first, as a long-lived
worker has long done that.
"""

from __future__ import annotations

import os
import re
import statistics
import tarfile
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

ARCHIVE = os.environ.get(
    "LENSBOARD_IMDB_ARCHIVE",
    str(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "aclImdb_v1_labeled.tar.gz"),
)
_MEMBER = re.compile(r"^aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


def read_archive(path: str, n: int, seed: int = 0) -> list[object]:
    from tests.support.map_setup import Review

    per = max(1, n // 4)
    rng = np.random.default_rng(seed)
    with tarfile.open(path, "r:gz") as tf:
        names = [m for m in tf.getmembers() if _MEMBER.match(m.name)]
        by: dict[tuple[str, str], list[tarfile.TarInfo]] = {}
        for m in names:
            hit = _MEMBER.match(m.name)
            assert hit is not None
            by.setdefault((hit[1], hit[2]), []).append(m)
        chosen = []
        for key in sorted(by):
            ms = sorted(by[key], key=lambda m: m.name)
            chosen += [ms[i] for i in sorted(rng.choice(len(ms), min(per, len(ms)), replace=False))]
        out = []
        for m in sorted(chosen, key=lambda m: m.name):
            hit = _MEMBER.match(m.name)
            f = tf.extractfile(m)
            assert hit is not None and f is not None
            out.append(
                Review(
                    key=m.name[len("aclImdb/") : -4],
                    split=hit[1],
                    label=int(hit[2] == "pos"),
                    text=f.read().decode("utf-8"),
                    score=int(hit[4]),
                )
            )
    train = [i for i, r in enumerate(out) if r.split == "train"]
    for i in rng.choice(train, size=len(train) // 5, replace=False):  # validation carved from train
        out[i].split = "val"
    return out  # type: ignore[return-value]


def warm_up_umap() -> None:
    import umap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
        umap.UMAP(n_neighbors=15, random_state=0, n_epochs=20).fit_transform(x)
        umap.UMAP(
            n_neighbors=15, random_state=0, n_epochs=20, init=np.zeros((300, 2)) + x[:, :2]
        ).fit_transform(x)


def main() -> None:
    torch.set_num_threads(int(os.environ.get("LENSBOARD_TORCH_THREADS", "2")))
    n = int(os.environ.get("LENSBOARD_BENCH_MAP_N", "50000"))
    epochs = int(os.environ.get("LENSBOARD_BENCH_EPOCHS", "1"))
    given = os.environ.get("LENSBOARD_BENCH_VERSION")
    tmp = tempfile.TemporaryDirectory(prefix="bench-map-")
    if not given:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite"
        os.environ["LENSBOARD_DATA_DIR"] = tmp.name
        os.environ["LENSBOARD_ARTIFACT_ROOT"] = f"{tmp.name}/artifacts"
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from backend.api.app import create_app
    from backend.artifacts import get_store
    from backend.db.models import ModelVersion
    from backend.db.session import default_session_factory
    from backend.services.jobs import create_job
    from backend.settings import get_settings
    from worker.job_runner import run_job
    from worker.tasks.maps import run_map_job

    factory = default_session_factory()
    if given:
        version_id = int(given)
        with factory() as s:
            version = s.get(ModelVersion, version_id)
            assert version is not None, f"version {version_id} not found"
            map_epochs = list(range(max(1, version.epochs_done - epochs + 1), version.epochs_done + 1))
            project_id = version.project_id
    else:
        from backend.architectures import CnnParams
        from backend.text.tokenizer import TextTokenizer
        from tests.support.databases import migrate
        from tests.support.map_setup import prepare_version

        migrate(get_settings().db_url)
        t = time.perf_counter()
        reviews = read_archive(ARCHIVE, n)
        tokenizer = TextTokenizer.fit(
            [r.text for r in reviews if r.split == "train"],  # type: ignore[attr-defined]
            vocab_size=20000,
            max_length=400,
        )
        print(f"read and tokenised {len(reviews)} reviews in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        hp = CnnParams().model_dump()
        prepared = prepare_version(
            factory,
            get_store(),
            reviews,
            tokenizer=tokenizer,
            epochs=epochs,  # type: ignore[arg-type]
            hyperparameters=hp,
        )
        print(
            f"trained the default CNN for {epochs} epoch(s) and evaluated in {time.perf_counter() - t:.1f} s"
        )
        version_id, project_id, map_epochs = (
            prepared.version_id,
            prepared.project_id,
            list(range(1, epochs + 1)),
        )
    warm_up_umap()

    client = TestClient(create_app(factory))
    total = 0.0
    for epoch in map_epochs:
        with factory() as s:
            job = create_job(s, "map", version_id=version_id, project_id=project_id, params={"epoch": epoch})
            s.commit()
            job_id = job.id
        t = time.perf_counter()
        with run_job(job_id, factory) as ctx:
            assert ctx is not None
            run_map_job(ctx, get_store())
        total = time.perf_counter() - t
        status = client.get(f"/api/versions/{version_id}/maps/{epoch}").json()
        if status["status"] != "done":
            raise SystemExit(f"map failed: {status}")
        tm = status["timings"]
        print(
            f"epoch {epoch}: {status['num_points']} points, latent {status['latent_dims']}-d from "
            f"{len(status['layers'])} layers, UMAP init {status['init']}"
        )
        print(
            f"  extract+pool activations: {tm['extract']:.2f} s   reduce: {tm['reduce']:.2f} s   "
            f"kNN: {tm['knn']:.2f} s   UMAP: {tm['umap']:.2f} s"
        )
        print(
            f"  clusters: {tm['clusters']:.2f} s   insights: {tm['insights']:.2f} s   "
            f"trustworthiness: {tm['trustworthiness']:.2f} s   load: {tm['load']:.2f} s   "
            f"write: {tm['write']:.2f} s"
        )
        print(f"  trustworthiness (5k subset): {status['trustworthiness']:.4f}")
        with factory() as s:
            from backend.db.models import MapInsight, PopulationMap

            pmap = s.scalars(
                select(PopulationMap).where(
                    PopulationMap.version_id == version_id, PopulationMap.epoch == epoch
                )
            ).one()
            for i in s.scalars(
                select(MapInsight).where(MapInsight.map_id == pmap.id).order_by(MapInsight.rank)
            ):
                print(f"  insight {i.rank} [{i.kind}] {i.sentence}")
        print(f"  map step (task body, end to end): {total:.2f} s")

    epoch = map_epochs[-1]
    for compression in ("lz4", "zstd"):
        url = f"/api/versions/{version_id}/maps/{epoch}/points?compression={compression}"
        first = client.get(url)
        times = []
        for _ in range(20):
            t = time.perf_counter()
            r = client.get(url)
            times.append(time.perf_counter() - t)
        assert r.status_code == 200 and r.content == first.content
        print(
            f"points payload ({compression}): {len(r.content) / 1e6:.3f} MB; server time median "
            f"{1000 * statistics.median(times):.1f} ms (max {1000 * max(times):.1f} ms, cached payload)"
        )
    tmp.cleanup()
    print(f"map_seconds={total:.2f}")


if __name__ == "__main__":
    main()
