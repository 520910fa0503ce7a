"""`make bench-interactive`: quick work while a training runs, in the embedded default.

Starts `lensboard serve` on a fresh data folder (SQLite, the embedded broker, one worker per lane), imports
IMDB, then trains the default CNN twice with the same seed:
1. alone (the baseline: only its own post-epoch maps run beside it);
2. while, from the end of epoch 1 on, Integrated Gradients analyses of random test reviews are asked for
   one after another, then a what-if edit.
Prints each analysis's wait (queued to started) and run time (started to finished) and the time the
client waited in all; the time from epoch 1's end (its map job is queued as its evaluation is committed)
to that map being ready, in both runs; each epoch's time with and without the interactive load. The last
line is `analysis_while_training_p50_s=`: the median time from asking for an analysis to its result, over
the analyses asked for while the training ran.

    python -m bench.interactive [--subset 2000] [--epochs 3] [--analyses 20]

`--subset N` imports N reviews per (split, class) instead of all 50,000, to keep a run short.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.accounts import served_admin_token
from bench.imdb_data import archive_path
from bench.job_wait import FINISHED, ok, wait_job
from bench.processes import stop_groups

ROOT = Path(__file__).resolve().parents[1]
POLL_S = 0.2


@dataclass
class Run:
    version_id: int
    job_id: int
    epoch_seconds: list[float] = field(default_factory=list)
    done_at: float | None = None


@dataclass
class Timed:
    what: str
    wait_s: float
    run_s: float
    total_s: float
    during_training: bool


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--subset", type=int, default=None, help="reviews per (split, class); default: all")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--analyses", type=int, default=20)
    args = p.parse_args()
    archive = archive_path()
    data = Path(tempfile.mkdtemp(prefix="lensboard-bench-interactive-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LENSBOARD_") and k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(LENSBOARD_DATA_DIR=str(data), LENSBOARD_PORT=str(port),
               LENSBOARD_IMPORT_ROOTS=json.dumps([str(Path(archive).parent)]))
    # numba's compiled UMAP kernels, kept between runs as an installation keeps them in its data folder:
    # the figures are those of a warm installation, not of the first map ever built on the machine.
    env.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / f"lensboard-bench-numba-{os.getuid()}"))
    lensboard = str(Path(sys.executable).parent / "lensboard")
    subprocess.run([lensboard, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    log = open(data / "serve.log", "wb")  # noqa: SIM115 (closed with the server)
    server = subprocess.Popen([lensboard, "serve"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=60) as api:
            _wait_up(api, server, data)
            token = served_admin_token(data, f"sqlite:///{data / 'lensboard.sqlite'}")
            api.headers["Authorization"] = f"Bearer {token}"
            bench(api, archive, args)
    finally:
        stop_groups([server])
        log.close()
        shutil.rmtree(data, ignore_errors=True)


def bench(api: httpx.Client, archive: str, args: argparse.Namespace) -> None:
    pid = ok(api.post("/projects", json={"name": "bench-interactive"}))["id"]
    body: dict[str, Any] = {"path": archive}
    if args.subset:
        body["subset_per_class"] = args.subset
    started = time.monotonic()
    job = wait_job(api, ok(api.post(f"/projects/{pid}/datasets/imdb", json=body))["id"], timeout=3600)
    dataset_id = job["dataset_id"]
    print(f"import: {time.monotonic() - started:.1f} s ({'all' if not args.subset else args.subset} "
          "reviews per split and class)", flush=True)

    baseline = _train(api, pid, dataset_id, args.epochs)
    _follow(api, baseline)
    print(f"baseline training: epochs {_fmt(baseline.epoch_seconds)} s", flush=True)
    # Its maps are part of the baseline; the second run starts on an idle interactive lane.
    for job in ok(api.get("/jobs", params={"version_id": baseline.version_id, "kind": "map"})):
        wait_job(api, job["id"], timeout=3600)

    loaded = _train(api, pid, dataset_id, args.epochs)
    timed = _interactive_load(api, loaded, args.analyses)
    _follow(api, loaded)
    print(f"training with interactive load: epochs {_fmt(loaded.epoch_seconds)} s", flush=True)

    for t in timed:
        print(f"  {t.what}: wait {t.wait_s:.2f} s, run {t.run_s:.2f} s, total {t.total_s:.2f} s"
              f"{'' if t.during_training else ' (training had ended)'}")
    during = [t.total_s for t in timed if t.during_training]
    p50 = statistics.median(during) if during else float("nan")
    p95 = _percentile(during, 95)
    print(f"analyses while training: {len(during)} of {len(timed)}; p50 {p50:.2f} s, p95 {p95:.2f} s, "
          f"max {max(during, default=float('nan')):.2f} s")
    for name, run in (("baseline", baseline), ("with load", loaded)):
        print(f"epoch-1 map ready after epoch 1 ended ({name}): {_map_delay(api, run.version_id):.1f} s")
    # Epoch 1 ran before the load started; the epochs after it ran beside it.
    later_base, later_load = baseline.epoch_seconds[1:], loaded.epoch_seconds[1:]
    if later_base and later_load:
        slow = sum(later_load) / sum(later_base) - 1
        print(f"epochs 2+ with load vs without: {sum(later_load):.1f} s vs {sum(later_base):.1f} s "
              f"({slow:+.1%})")
    print(f"analysis_while_training_p50_s={p50:.3f}")


def _train(api: httpx.Client, pid: int, dataset_id: int, epochs: int) -> Run:
    version = ok(api.post(f"/projects/{pid}/versions", json={"dataset_id": dataset_id, "seed": 0}))
    job = ok(api.post(f"/versions/{version['id']}/train", json={"epochs": epochs}))
    return Run(version["id"], job["id"])


def _follow(api: httpx.Client, run: Run, until_epochs: int | None = None) -> None:
    """Poll the training, recording each epoch's time (training and evaluation), until it ends (or has
    `until_epochs` epochs)."""
    last = time.monotonic() if not run.epoch_seconds else run.done_at
    seen = len(run.epoch_seconds)
    while True:
        job = ok(api.get(f"/jobs/{run.job_id}"))
        if last is None and job["state"] in ("STARTED", "PROGRESS"):
            last = time.monotonic()
        done = ok(api.get(f"/versions/{run.version_id}"))["epochs_done"]
        now = time.monotonic()
        while done > seen and last is not None:
            run.epoch_seconds.append(now - last)
            last, seen = now, seen + 1
            run.done_at = now
        if job["state"] in FINISHED:
            if job["state"] != "SUCCESS":
                raise SystemExit(f"training {run.job_id} ended {job['state']}: {job['error']}")
            return
        if until_epochs is not None and seen >= until_epochs:
            return
        time.sleep(POLL_S)


def _interactive_load(api: httpx.Client, run: Run, count: int) -> list[Timed]:
    """From the end of epoch 1: `count` IG analyses of random test reviews one after another, then a
    what-if edit of one of them."""
    _follow(api, run, until_epochs=1)
    page = ok(api.get(f"/versions/{run.version_id}/samples", params={"split": "test", "limit": 1000}))
    ids = random.Random(0).sample([s["id"] for s in page["items"]], count)
    timed = []
    for sample_id in ids:
        timed.append(_analyze(api, run, {"sample_id": sample_id, "epoch": 1}, f"IG of sample {sample_id}"))
    text = ok(api.get(f"/samples/{ids[0]}"))["text"]
    edited = text.replace(" good ", " bad ", 1) if " good " in text else text + " Dreadful."
    timed.append(_analyze(api, run, {"text": edited, "epoch": 1}, "what-if edit (IG)"))
    return timed


def _analyze(api: httpx.Client, run: Run, body: dict[str, Any], what: str) -> Timed:
    asked = time.monotonic()
    r = api.post(f"/versions/{run.version_id}/analyses", json=body)
    if r.status_code == 200:  # cached: nothing queued
        return Timed(what, 0.0, 0.0, time.monotonic() - asked, _training(api, run))
    job = wait_job(api, ok(r)["job"]["id"], timeout=1800, poll=0.05)
    total = time.monotonic() - asked
    created, started, finished = (_t(job[k]) for k in ("created_at", "started_at", "finished_at"))
    return Timed(what, started - created, finished - started, total, _training(api, run))


def _training(api: httpx.Client, run: Run) -> bool:
    return bool(ok(api.get(f"/jobs/{run.job_id}"))["state"] not in FINISHED)


def _map_delay(api: httpx.Client, version_id: int) -> float:
    """Seconds from epoch 1's end (its map job is created as its evaluation is committed) to its map."""
    maps = [j for j in ok(api.get("/jobs", params={"version_id": version_id, "kind": "map"}))
            if j["params"].get("epoch") == 1]
    if not maps:
        return float("nan")
    job = wait_job(api, maps[-1]["id"], timeout=3600)
    return _t(job["finished_at"]) - _t(job["created_at"])


def _wait_up(api: httpx.Client, server: subprocess.Popen[bytes], data: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"lensboard serve exited:\n{(data / 'serve.log').read_text()[-3000:]}")
        try:
            if api.get("/ready").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"lensboard serve not ready in {timeout} s:\n{(data / 'serve.log').read_text()[-3000:]}")


def _t(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
