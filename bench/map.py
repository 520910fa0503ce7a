"""Population-map benchmark: `python -m bench.map` (make bench-map).

On N reviews of the shared IMDB archive (default all 50,000) and a CNN trained one epoch with the
default hyperparameters (or an existing version: LENSBOARD_BENCH_VERSION=<id> with the usual
DATABASE_URL / LENSBOARD_* settings), it runs the map task body once and prints:
activation extract + pool time, UMAP time, trustworthiness (5k subset), the points payload size and
the server time of the points endpoint. Last line: map_seconds=<whole map step>.

Environment: LENSBOARD_BENCH_MAP_N (reviews, default 50000; use e.g. 2000 to check it runs),
LENSBOARD_BENCH_EPOCHS (map this many epochs in a row; the second starts from the first's layout).
numba compiles UMAP and pynndescent on first use in a process; a warm-up on a small set runs first, as a long-lived
worker has long done that.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

ARCHIVE = os.environ.get(
    "LENSBOARD_IMDB_ARCHIVE",
    str(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "aclImdb_v1_labeled.tar.gz"),
)


@dataclass
class Reviews:
    keys: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    splits: list[str] = field(default_factory=list)
    scores: list[int] = field(default_factory=list)


def read_archive(path: str, n: int, seed: int = 0) -> Reviews:
    """n/4 reviews per (split, class), seeded, with a fifth of train carved out for validation."""
    from backend.core.data.imdb import iter_reviews

    per = max(1, n // 4)
    groups: dict[tuple[str, int], list[object]] = {}
    for r in iter_reviews(path):
        groups.setdefault((r.split, r.label), []).append(r)
    rng = np.random.default_rng(seed)
    out = Reviews()
    for key in sorted(groups):
        items = groups[key]
        for i in sorted(rng.choice(len(items), min(per, len(items)), replace=False)):
            r = items[i]
            out.keys.append(r.key)  # type: ignore[attr-defined]
            out.texts.append(r.text)  # type: ignore[attr-defined]
            out.labels.append(r.label)  # type: ignore[attr-defined]
            out.splits.append(r.split)  # type: ignore[attr-defined]
            out.scores.append(r.score)  # type: ignore[attr-defined]
    train = [i for i, s in enumerate(out.splits) if s == "train"]
    for i in rng.choice(train, size=len(train) // 5, replace=False):
        out.splits[i] = "val"
    return out


def warm_up_numba() -> None:
    """Compile UMAP's and pynndescent's kernels, as a long-lived worker did on its first map."""
    import umap

    from worker.pipeline.neighbors import knn_graph

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        knn_graph(np.random.default_rng(0).normal(size=(2000, 16)).astype(np.float32), 15, exact_below=0)
        x = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
        umap.UMAP(n_neighbors=15, random_state=0, n_epochs=20).fit_transform(x)
        umap.UMAP(
            n_neighbors=15, random_state=0, n_epochs=20, init=np.zeros((300, 2)) + x[:, :2]
        ).fit_transform(x)
    print(f"numba warm-up (pynndescent + UMAP kernels, once per worker process): {time.perf_counter() - t:.1f} s")


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
    from backend.core.artifacts import get_store
    from backend.core.db.models import ModelVersion
    from backend.core.db.session import default_session_factory
    from backend.core.jobs.submit import create_job
    from backend.core.settings import get_settings
    from bench.accounts import admin_token
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
        from backend.core.specs.architectures import CnnParams
        from tests.support.databases import migrate
        from tests.support.versions import trained_version

        migrate(get_settings().db_url)
        t = time.perf_counter()
        reviews = read_archive(ARCHIVE, n)
        print(f"read {len(reviews.texts)} reviews in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        # The platform's own training task body (tokenizer fitted on train, default CNN).
        trained = trained_version(
            factory,
            get_store(),
            reviews.texts,
            reviews.labels,
            reviews.splits,
            keys=reviews.keys,
            scores=reviews.scores,
            epochs=epochs,
            hyperparameters=CnnParams().model_dump(),
            vocab_size=20000,
            max_length=400,
        )
        print(
            f"trained the default CNN for {epochs} epoch(s) and evaluated in {time.perf_counter() - t:.1f} s"
        )
        version_id, project_id, map_epochs = (
            trained.version_id,
            trained.project_id,
            list(range(1, epochs + 1)),
        )
    warm_up_numba()

    # Auth stays on: the points requests below are timed with a token's lookup, as a user's would be.
    client = TestClient(create_app(factory), headers={"Authorization": f"Bearer {admin_token(factory)}"})
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
            from backend.core.db.models import MapInsight, PopulationMap

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
