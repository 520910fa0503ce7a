"""Sharded evaluation's speed-up (LENSBOARD_EVAL_SHARDS, worker/pipeline/eval_shards.py): one epoch of a fresh
version of an imported dataset, trained by 1, 2 and 4 bulk-lane worker processes in turn, in distributed mode
(PostgreSQL, Redis; `make bench-scale REDIS=redis://...` runs it after the scale chain).

With W processes the epoch's evaluation is split in W shards (W = 1: the unsharded path, the baseline). Each
run prints `eval_shards_<W>_workers_s=`: the training's evaluation wall time, from its shard jobs' creation
to their merged results (the epoch's per-sample rows are then written by the training, as without shards);
`epoch_s` is the whole training job's. Then `eval_shards_speedup_<W>_workers=` against W = 1. Each process
computes with one thread (LENSBOARD_TORCH_THREADS=1), as a deployment runs one worker process per core:
the speed-up is bounded by the cores the host has free.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.job_wait import Api, ok, span, wait_job
from bench.processes import stop_groups

WORKERS = (1, 2, 4)


def measure(api: Api, project_id: int, dataset_id: int, start_workers: Callable[[int], Any],
            workers: Sequence[int] = WORKERS, architecture: str = "ngram", timeout: float = 7200,
            report: Callable[[str], None] = lambda line: print(line, flush=True)) -> dict[int, float]:
    """Train one epoch of a new version per entry of `workers`, with `start_workers(W)` (a context manager
    factory) running W bulk processes at LENSBOARD_EVAL_SHARDS=W; returns W -> evaluation seconds."""
    seconds: dict[int, float] = {}
    for w in workers:
        with start_workers(w):
            version = ok(api.post(f"/projects/{project_id}/versions",
                                  json={"dataset_id": dataset_id, "architecture": architecture, "seed": 0,
                                        "name": f"eval-shards-{w}"}))
            job = wait_job(api, ok(api.post(f"/versions/{version['id']}/train", json={"epochs": 1}))["id"],
                           timeout)
        result = job["result"]
        seconds[w] = float(result["eval_seconds"])
        report(f"eval_shards_{w}_workers_s={seconds[w]:.2f} shards={result.get('eval_shards', 1)} "
               f"epoch_s={span(job):.1f} architecture={architecture} load_average={os.getloadavg()[0]:.1f}"
               + _shard_detail(api, version["id"]))
    base = seconds.get(1)
    if base is not None:
        for w in workers:
            report(f"eval_shards_speedup_{w}_workers={base / max(seconds[w], 1e-9):.2f}")
    return seconds


@contextmanager
def bulk_workers(lensboard: str, env: dict[str, str], cwd: Path, log: Path, count: int,
                 ready_timeout: float = 180) -> Iterator[subprocess.Popen[bytes]]:
    """`lensboard worker --lane bulk --concurrency count` (count pool processes), evaluating in `count` shards
    with one torch thread each; stopped (warm shutdown) on leaving."""
    run_env = {**env, "LENSBOARD_EVAL_SHARDS": str(count), "LENSBOARD_TORCH_THREADS": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = open(log, "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([lensboard, "worker", "--lane", "bulk", "--concurrency", str(count)], env=run_env,
                            cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + ready_timeout
        while b"ready." not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bulk worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
        yield proc
    finally:
        stop_groups([proc])
        out.close()



def _shard_detail(api: Api, version_id: int) -> str:
    """Where each shard's time went: on which process, loading (0 in the training's own process), evaluating,
    saving its file. Empty without shards."""
    shards = ok(api.get("/jobs", params={"version_id": version_id, "kind": "eval_shard"}))
    parts = []
    for j in sorted(shards, key=lambda j: j["params"]["shard"]):
        r = j.get("result") or {}
        parts.append(f"{j['params']['shard']}:load={r.get('load_seconds', 0):.1f}/eval={r.get('seconds', 0):.1f}"
                     f"/save={r.get('save_seconds', 0):.1f}")
    return f" shard_seconds={','.join(parts)}" if parts else ""
