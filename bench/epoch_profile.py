"""Where one epoch's time goes: a fresh version of the dataset in a data folder that `bench.scale --keep`
left, trained one epoch by the real epoch code (worker/pipeline/epoch.py, run_epoch), with the wall and CPU
seconds of each part (training, checkpoint, evaluation with pooling, the writes). CPU seconds tell the work
apart from waiting on a shared machine.

    LENSBOARD_DATA_DIR=<folder> python -m bench.epoch_profile [--architecture ngram] [--cprofile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import time
from collections.abc import Callable
from typing import Any

import torch
from sqlalchemy import select

import worker.pipeline.epoch as epoch_module
from backend.core.db.models import Dataset, ModelVersion
from backend.core.db.session import default_session_factory
from backend.core.specs.architectures import validate_hyperparameters
from worker.pipeline.device import configure_threads
from worker.pipeline.run_state import open_run

PARTS = ("train_one_epoch", "save_checkpoint", "evaluate", "save_pooled", "save_class_probabilities",
         "write_sample_results", "write_epoch_metrics")


def _timed(name: str, fn: Callable[..., Any], spent: dict[str, list[float]]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            total = spent.setdefault(name, [0.0, 0.0])
            total[0] += time.perf_counter() - wall
            total[1] += time.process_time() - cpu

    return wrapper


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--architecture", default="ngram")
    p.add_argument("--cprofile", default=None, help="also write a cProfile of the epoch here")
    args = p.parse_args(argv)
    spent: dict[str, list[float]] = {}
    for name in PARTS:  # the names run_epoch calls, wrapped where it looks them up
        setattr(epoch_module, name, _timed(name, getattr(epoch_module, name), spent))
    configure_threads()
    factory = default_session_factory()
    with factory() as s:
        dataset = s.scalars(select(Dataset).where(Dataset.status == "ready").order_by(Dataset.id.desc())).first()
        if dataset is None:
            raise SystemExit("no ready dataset in LENSBOARD_DATA_DIR (run bench.scale --keep first)")
        version = ModelVersion(project_id=dataset.project_id, dataset_id=dataset.id, architecture=args.architecture,
                               name=f"epoch-profile-{int(time.time())}", seed=0, status="created", data_fixes={},
                               graph={}, hyperparameters=validate_hyperparameters(args.architecture, {}))
        s.add(version)
        s.commit()
        version_id, samples = version.id, dataset.num_samples
    print(f"epoch_profile: {samples} samples, {args.architecture}, torch threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    wall, cpu = time.perf_counter(), time.process_time()
    run = open_run(factory, version_id)
    print(f"part=open_run wall_s={time.perf_counter() - wall:.2f} cpu_s={time.process_time() - cpu:.2f}")
    profile = cProfile.Profile() if args.cprofile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    outcome = epoch_module.run_epoch(run, 1)
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.cprofile)
    for name, (w, c) in spent.items():
        print(f"part={name} wall_s={w:.2f} cpu_s={c:.2f}")
    accuracy = " ".join(f"{split}_accuracy={m['accuracy']:.4f}" for split, m in sorted(outcome.metrics.items()))
    print(f"epoch wall_s={time.perf_counter() - wall:.2f} cpu_s={time.process_time() - cpu:.2f} {accuracy}")


if __name__ == "__main__":
    main()
