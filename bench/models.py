"""Benchmark: every architecture trained for 2 epochs (LENSBOARD_BENCH_EPOCHS) on IMDB through the platform's own tasks.

For each architecture: a version is trained one epoch per `train` job (the task body, called
directly: same code as on a worker), then the post-epoch jobs of the last epoch run (the population map
among them), then Integrated Gradients (the analysis pipeline's method, default parameters: 50 steps, refined
until completeness holds) explains BENCH_IG_SAMPLES test reviews with the last checkpoint.

    python -m bench.models
  LENSBOARD_BENCH_PER_CLASS=N   import only N reviews per (split, class) (default: all 50,000)
  LENSBOARD_BENCH_ARCHS=a,b     architectures (default: cnn,lstm,bilstm,bow_mlp,minilm,ngram)
  LENSBOARD_BENCH_IG_SAMPLES=N  reviews explained for the IG time (default 100)
  LENSBOARD_BENCH_SWEEP_TRIALS=N  also run a sweep of at most N trials (median pruning, early stopping) for
                                LSTM and BiLSTM and print its best trial, chosen on val
                                (default 0: skipped; hours on a 2-core CPU at full size)
  LENSBOARD_BENCH_SWEEP_EPOCHS=N  epochs per sweep trial (default 8)
  LENSBOARD_BENCH_SWEEP_PATIENCE=N  a trial stops after N epochs without a better val accuracy (default 1)
  LENSBOARD_BENCH_SWEEP_STRATEGY=bayes|grid|random  (default bayes: TPE after random start-up trials)
  LENSBOARD_BENCH_SWEEP_SPACE='{"learning_rate": [0.003, 0.005]}'  the space (default SWEEP_SPACE below;
                                a grid needs lists)
  LENSBOARD_BENCH_SWEEP_ARCHS=a,b  architectures to sweep (default: lstm and bilstm among LENSBOARD_BENCH_ARCHS;
                                set LENSBOARD_BENCH_ARCHS= empty to run the sweeps alone). Any architecture
                                can be swept: frozen MiniLM's trials share this process's encoder cache, so
                                only the first trial pays for the encoder pass
  LENSBOARD_BENCH_EPOCHS=N      epochs per architecture (default 2; the epoch val picks is reported)
  LENSBOARD_BENCH_HP='{"lstm": {"pooling": "max"}}'  hyperparameters over the ones below, per architecture

Epoch time includes the per-epoch evaluation of every sample, as a user waits for it. Test accuracy is
read at the epoch validation picks (backend/core/epoch_selection.py), as the version list shows
it, never the best test over epochs. Prints a table; the last lines are `lstm_test_accuracy=<x>`,
`bilstm_test_accuracy=<x>` and `ngram_test_accuracy=<x>` (`n/a` for an architecture not run).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.artifacts.store import ArtifactStore, LocalArtifactStore
from backend.core.data.importer import import_imdb_dataset
from backend.core.db.models import Dataset, EpochMetric, Job, ModelVersion, Project, Sample
from backend.core.db.session import make_engine, make_session_factory
from backend.core.epoch_selection import select_epoch
from backend.core.jobs.submit import POST_EPOCH_JOB_KINDS, TASK_FOR_KIND, create_job
from backend.core.specs.architectures import validate_hyperparameters
from backend.core.specs.imports import ImdbImportRequest
from backend.core.text.token_store import load_tokens
from backend.core.vocabulary import JobKind
from tests.support.databases import migrate
from tests.support.services import SHARED_ARCHIVE  # honours LENSBOARD_IMDB_ARCHIVE

EPOCHS = int(os.environ.get("LENSBOARD_BENCH_EPOCHS", "2"))
SWEEP_PATIENCE = int(os.environ.get("LENSBOARD_BENCH_SWEEP_PATIENCE", "1"))
# Settings a practitioner would start from on CPU; everything else is the schema's default (LSTM and
# BiLSTM: 2 layers of 150, batch 128, gradient clipping 1, max-and-last pooling, word vectors fitted on
# the train split; dropout 0.3 and lr 0.003, from each one's grid sweep).
HYPERPARAMETERS: dict[str, dict[str, Any]] = {
    "cnn": {},
    "lstm": {},
    "bilstm": {},
    "bow_mlp": {"top_n": 10_000, "hidden_layers": 1, "units": 64},
    "minilm": {"finetune": False, "max_tokens": 256},
    "ngram": {},
}
LAST_LINES = ("lstm", "bilstm", "ngram")
SWEPT = ("lstm", "bilstm")
# The search the reference write-ups ran with W&B, as a Bayesian sweep around the new defaults.
SWEEP_SPACE: dict[str, Any] = {
    "learning_rate": {"min": 1e-3, "max": 1e-2, "log": True},
    "hidden_size": [100, 150, 200],
    "dropout": {"min": 0.2, "max": 0.6},
}


def run_task(kind: str, job_id: int) -> float:
    """Run a job's Celery task body in this process; returns its wall time."""
    from backend.core.jobs.app import get_celery

    app = get_celery()
    app.loader.import_default_modules()  # the task modules, as a worker process imports them
    task = app.tasks[TASK_FOR_KIND[kind]]
    start = time.perf_counter()
    task(job_id)
    return time.perf_counter() - start


def finished(session: Session, job_id: int) -> Job:
    session.expire_all()
    job = session.get(Job, job_id)
    assert job is not None
    if job.state != "SUCCESS":
        raise RuntimeError(f"job {job_id} ({job.kind}) ended {job.state}: {job.error}")
    return job


def ig_seconds(session: Session, store: ArtifactStore, version: ModelVersion, samples: int) -> float:
    from backend.core.specs.analysis_methods import IntegratedGradientsParams
    from worker.attribution.methods import Inputs, attribute
    from worker.pipeline.checkpoint import load_model

    model = load_model(session, version.id, EPOCHS)
    arrays = load_tokens(store, version.dataset_id)
    indices = session.scalars(select(Sample.index).where(Sample.dataset_id == version.dataset_id,
                                                         Sample.split == "test").order_by(Sample.index)
                              .limit(samples)).all()
    params = IntegratedGradientsParams()
    start = time.perf_counter()
    for i in indices:
        row = torch.as_tensor(arrays.row(i), dtype=torch.long)[None, :]
        attribute("integrated_gradients", Inputs(model, row, torch.tensor([row.shape[1]])), params)
    return time.perf_counter() - start


def bench_architecture(session: Session, store: ArtifactStore, dataset: Dataset, architecture: str,
                       ig_samples: int) -> dict[str, Any]:
    overrides = json.loads(os.environ.get("LENSBOARD_BENCH_HP", "{}")).get(architecture, {})
    hp = validate_hyperparameters(architecture, {**HYPERPARAMETERS.get(architecture, {}), **overrides})
    print(f"  {architecture}: {hp}", flush=True)
    version = ModelVersion(project_id=dataset.project_id, dataset_id=dataset.id, name=f"bench-{architecture}",
                           architecture=architecture, hyperparameters=hp, seed=0, status="created",
                           data_fixes={}, graph={})
    session.add(version)
    session.commit()
    epoch_s = []
    for epoch in range(1, EPOCHS + 1):
        job = create_job(session, JobKind.TRAIN, project_id=dataset.project_id, version_id=version.id,
                         dataset_id=dataset.id, params={"epochs": epoch})
        session.commit()
        epoch_s.append(run_task("train", job.id))
        finished(session, job.id)
        val = session.scalar(select(EpochMetric.accuracy).where(
            EpochMetric.version_id == version.id, EpochMetric.epoch == epoch, EpochMetric.split == "val"))
        print(f"  {architecture} epoch {epoch}: {epoch_s[-1]:.1f} s, val accuracy {val}", flush=True)
    map_s = 0.0
    post = session.scalars(select(Job).where(Job.version_id == version.id, Job.kind.in_(POST_EPOCH_JOB_KINDS))
                           .order_by(Job.id)).all()
    for job in post:
        if (job.params or {}).get("epoch") == EPOCHS and job.state == "PENDING":
            took = run_task(job.kind, job.id)
            finished(session, job.id)
            if job.kind == "map":
                map_s += took
    chosen = select_epoch(session.execute(
        select(EpochMetric.epoch, EpochMetric.split, EpochMetric.loss, EpochMetric.accuracy)
        .where(EpochMetric.version_id == version.id)).tuples().all())
    assert chosen is not None
    return {"architecture": architecture, "test_accuracy": chosen.accuracy.get("test"),
            "val_accuracy": chosen.accuracy.get("val"), "epoch": chosen.epoch, "epoch_s": epoch_s,
            "map_s": map_s if "map" in POST_EPOCH_JOB_KINDS else None,
            "ig_s": ig_seconds(session, store, version, ig_samples)}


def bench_sweep(session: Session, dataset: Dataset, architecture: str, trials: int, epochs: int,
                strategy: str, space: dict[str, Any]) -> dict[str, Any]:
    """A sweep created as the API creates one (backend/api/services/sweeps.py), run in this process one trial
    at a time: each trial's train task runs here and, in a Bayesian sweep, its end asks the next trial
    (backend/core/sweeps/trials.py), exactly as on a worker. Median pruning may stop a trial after its first
    epoch. The best trial by val accuracy."""
    from backend.api.schemas.sweeps import SweepCreate
    from backend.api.services.sweeps import create_sweep
    from backend.core.sweeps.space import generate_trials

    body = SweepCreate.model_validate({
        "name": f"bench-{architecture}-sweep", "architecture": architecture, "space": space, "strategy": strategy,
        "budget": trials, "seed": 0, "epochs": epochs, "metric": "val_accuracy",
        "early_stopping": {"metric": "val_accuracy", "patience": SWEEP_PATIENCE}, "pruning": {"warmup_epochs": 0}})
    planned = generate_trials(architecture, {}, body.space, body.strategy, trials, body.seed, epochs)
    sweep = create_sweep(session, dataset.project_id, dataset, body, planned)
    start = time.perf_counter()
    while True:
        pending = session.scalars(select(Job).join(ModelVersion, ModelVersion.id == Job.version_id)
                                  .where(ModelVersion.sweep_id == sweep.id, Job.kind == "train",
                                         Job.state == "PENDING").order_by(Job.id)).all()
        if not pending:
            break
        for job in pending:
            run_task("train", job.id)  # ends by asking the next trial
            finished(session, job.id)
    best: dict[str, Any] | None = None
    versions = session.scalars(select(ModelVersion).where(ModelVersion.sweep_id == sweep.id)
                               .order_by(ModelVersion.trial_index)).all()
    for v in versions:
        rows = session.execute(
            select(EpochMetric.epoch, EpochMetric.split, EpochMetric.loss, EpochMetric.accuracy)
            .where(EpochMetric.version_id == v.id)).tuples().all()
        chosen = select_epoch(rows)
        val = chosen.accuracy.get("val") if chosen else None
        vals = [f"{a:.4f}" for e, split, _l, a in sorted(rows) if split == "val"]
        # Val only for every trial: test is read once, for the trial val picks.
        print(f"  {architecture} trial {v.trial_index} {sweep.trials[v.trial_index or 0]}: val by epoch "
              f"{', '.join(vals)} ({len(vals)} of {epochs} epochs run)", flush=True)
        if chosen is not None and val is not None and (best is None or val > best["val_accuracy"]):
            best = {"trial": v.trial_index, "params": sweep.trials[v.trial_index or 0], "epoch": chosen.epoch,
                    "val_accuracy": val, "test_accuracy": chosen.accuracy.get("test")}
    return {"architecture": architecture, "trials": len(versions), "seconds": time.perf_counter() - start,
            "best": best}


def main() -> None:
    per_class_env = os.environ.get("LENSBOARD_BENCH_PER_CLASS")
    per_class = int(per_class_env) if per_class_env else None
    archs = [a for a in os.environ.get("LENSBOARD_BENCH_ARCHS", ",".join(HYPERPARAMETERS)).split(",") if a]
    ig_samples = int(os.environ.get("LENSBOARD_BENCH_IG_SAMPLES", "100"))
    sweep_trials = int(os.environ.get("LENSBOARD_BENCH_SWEEP_TRIALS", "0"))
    sweep_epochs = int(os.environ.get("LENSBOARD_BENCH_SWEEP_EPOCHS", "8"))
    sweep_strategy = os.environ.get("LENSBOARD_BENCH_SWEEP_STRATEGY", "bayes")
    sweep_space = json.loads(os.environ.get("LENSBOARD_BENCH_SWEEP_SPACE", "null")) or SWEEP_SPACE
    sweep_archs = [a for a in os.environ.get("LENSBOARD_BENCH_SWEEP_ARCHS",
                                             ",".join(a for a in archs if a in SWEPT)).split(",") if a]
    sweeps: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="lensboard-bench-models-") as tmp:
        # The tasks read the settings: point them at this run's database, artifacts and broker.
        os.environ["DATABASE_URL"] = url = f"sqlite:///{tmp}/bench.sqlite"
        os.environ["LENSBOARD_DATA_DIR"] = tmp
        os.environ.pop("LENSBOARD_ARTIFACT_ROOT", None)
        os.environ.pop("CELERY_BROKER_URL", None)
        from tests.conftest import reset_caches

        reset_caches()
        migrate(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        store = LocalArtifactStore(Path(tmp) / "artifacts")
        results = []
        with factory() as session:
            project = Project(name="bench-models")
            session.add(project)
            session.flush()
            dataset = Dataset(project_id=project.id, name="imdb")
            session.add(dataset)
            session.commit()
            request = ImdbImportRequest(path=str(Path(SHARED_ARCHIVE).resolve()), subset_per_class=per_class,
                                        val_size=5000 if per_class is None else 0.2)
            stats = import_imdb_dataset(session, dataset, store, request, lambda _f, _m: None)
            print(f"dataset: {stats['num_samples']} reviews, vocab {stats['vocab_size']}, "
                  f"threads {torch.get_num_threads()}")
            for arch in archs:
                r = bench_architecture(session, store, dataset, arch, ig_samples)
                results.append(r)
                print(f"  done {arch}: {r}", flush=True)
            for arch in (a for a in sweep_archs if sweep_trials > 0):
                sw = bench_sweep(session, dataset, arch, sweep_trials, sweep_epochs, sweep_strategy, sweep_space)
                sweeps.append(sw)
                print(f"  swept {arch}: {sw}", flush=True)
        engine.dispose()

    print(f"\n{'architecture':<12} {'epoch':>5} {'val acc':>8} {'test acc':>8} {'epoch 1 s':>10} "
          f"{'epoch ' + str(EPOCHS) + ' s':>10} {'map s':>8} {'IG s/' + str(ig_samples):>10}")
    for r in results:
        val = f"{r['val_accuracy']:.4f}" if r["val_accuracy"] is not None else "n/a"
        acc = f"{r['test_accuracy']:.4f}" if r["test_accuracy"] is not None else "n/a"
        map_s = f"{r['map_s']:.1f}" if r["map_s"] is not None else "n/a"
        e1, e2 = r["epoch_s"][0], r["epoch_s"][-1]
        print(f"{r['architecture']:<12} {r['epoch']:>5} {val:>8} {acc:>8} {e1:>10.1f} {e2:>10.1f} {map_s:>8} "
              f"{r['ig_s']:>10.1f}")
    print(f"\nbest sweep trial ({sweep_strategy}, chosen on val; test read once at the val-picked epoch):")
    for arch in dict.fromkeys([*SWEPT, *sweep_archs]):  # lstm and bilstm always, then any other swept
        found = [x for x in sweeps if x["architecture"] == arch]
        if not found or found[0]["best"] is None:
            print(f"{arch:<12} n/a (set LENSBOARD_BENCH_SWEEP_TRIALS=N to run it)")
            continue
        sweep = found[0]
        b = sweep["best"]
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in b["params"].items())
        test = f"{b['test_accuracy']:.4f}" if b["test_accuracy"] is not None else "n/a"
        print(f"{arch:<12} trial {b['trial']} of {sweep['trials']} ({shown}) epoch {b['epoch']}: "
              f"val {b['val_accuracy']:.4f} test {test}; sweep {sweep['seconds'] / 60:.1f} min")
    by_arch = {r["architecture"]: r["test_accuracy"] for r in results}
    for arch in LAST_LINES:
        value = by_arch.get(arch)
        print(f"{arch}_test_accuracy={value:.4f}" if value is not None else f"{arch}_test_accuracy=n/a")


if __name__ == "__main__":
    main()
