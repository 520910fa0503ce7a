"""`make bench-scale N=...`: the whole chain on a synthetic corpus of N reviews, in the embedded default.

1. corpus: bench/make_corpus.py writes N reviews (sentences of IMDB train reviews recombined within each
   class) under a fresh data folder's imports/;
2. import: `lensboard serve` is started on that folder (SQLite, the embedded broker, a worker per lane) and
   the CSV is imported from its server-side path, streamed (backend.core.data.streamed_import), with
   validation carved out of train by movie;
3. epoch: one epoch of the `ngram` model, its evaluation of every sample included;
4. map: epoch 1's population map (queued by the epoch), fitted on at most LENSBOARD_MAP_FIT_SAMPLE points;
5. with `--rank K`: the mislabel ranking of every split, train's from K fold models run as parallel jobs
   (not part of scale_total_minutes, which is import + epoch + map).

`--postgres --broker-url redis://...` runs the same chain in distributed mode: PostgreSQL (COPY on import),
Redis, and one `lensboard worker` per lane started beside `lensboard serve`.

Each stage prints its wall time and the peak resident memory of the processes doing it (the bench process
for the corpus; the server's process tree, API and workers summed, for the rest, and its largest single process,
sampled every 0.2 s).
Then `scale_total_minutes=` for import + epoch + map. In distributed mode, sharded evaluation's speed-up
follows (bench/eval_shards.py): `eval_shards_<W>_workers_s=` with 1, 2 and 4 bulk worker processes, and
`eval_shards_speedup_<W>_workers=`. `chain` is what
tests/integration/test_bench_scale.py runs at a small N against a real worker, so the chain cannot rot.

    python -m bench.scale --n 100000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.accounts import served_admin_token
from bench.eval_shards import WORKERS, bulk_workers, measure
from bench.imdb_data import archive_path
from bench.import_large import postgres_url
from bench.job_wait import Api, ok, span, wait_job
from bench.make_corpus import build_pools, write_corpus
from bench.processes import stop_groups

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Stage:
    name: str
    seconds: float
    peak_rss_mb: float | None
    detail: str = ""
    peak_process_mb: float | None = None
    peak_anon_mb: float | None = None

    def line(self) -> str:
        peak = f"{self.peak_rss_mb:.0f}" if self.peak_rss_mb is not None else "n/a"
        largest = f" peak_process_mb={self.peak_process_mb:.0f}" if self.peak_process_mb is not None else ""
        anon = f" peak_anon_mb={self.peak_anon_mb:.0f}" if self.peak_anon_mb is not None else ""
        return f"stage={self.name} seconds={self.seconds:.1f} peak_rss_mb={peak}{largest}{anon}" + (
            f" {self.detail}" if self.detail else "")


class TreeMemory:
    """Peak summed RSS of a process and its descendants (`lensboard serve` starts each worker in a session
    of its own, so a process group would miss them), sampled in a thread. RSS counts the pages of memory-mapped
    files a process has touched (the import lays out its token ids through maps of two scratch files of ~1 GB
    at a million reviews; the samples table maps its rows file); those are page cache that the kernel takes
    back under pressure, so the anonymous part (RssAnon: heaps, arrays) is kept apart as the memory that
    cannot be given back."""

    def __init__(self, roots: list[int], interval: float = 0.2) -> None:
        self.roots = roots
        self.interval = interval
        self.peak_kb = 0
        self.peak_process_kb = 0  # the largest single process (shared pages count once here)
        self.peak_anon_kb = 0  # summed RssAnon of the tree
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            total, largest, anon = self.current()
            self.peak_kb = max(self.peak_kb, total)
            self.peak_process_kb = max(self.peak_process_kb, largest)
            self.peak_anon_kb = max(self.peak_anon_kb, anon)

    def current(self) -> tuple[int, int, int]:
        """Summed RSS of the tree, the largest process's RSS and the tree's summed RssAnon, in kB."""
        parent: dict[int, int] = {}
        rss: dict[int, int] = {}
        anon: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                for line in Path(entry.path, "status").read_text().splitlines():
                    if line.startswith("PPid:"):
                        parent[int(entry.name)] = int(line.split()[1])
                    elif line.startswith("VmRSS:"):
                        rss[int(entry.name)] = int(line.split()[1])
                    elif line.startswith("RssAnon:"):
                        anon[int(entry.name)] = int(line.split()[1])
            except (OSError, ValueError):
                continue
        tree = set(self.roots)
        grew = True
        while grew:
            found = {pid for pid, pp in parent.items() if pp in tree} - tree
            grew = bool(found)
            tree |= found
        sizes = [rss.get(pid, 0) for pid in tree]
        return sum(sizes), max(sizes, default=0), sum(anon.get(pid, 0) for pid in tree)

    def reset(self) -> None:
        self.peak_kb, self.peak_process_kb, self.peak_anon_kb = self.current()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def chain(client: Api, corpus: Path, memory: TreeMemory | None = None, timeout: float = 7200,
          report: Callable[[Stage], None] = lambda s: print(s.line(), flush=True), prefix: str = "",
          made: dict[str, int] | None = None, rank_folds: int = 0) -> list[Stage]:
    """Import `corpus` (a server-side path the API may read), train one ngram epoch, wait for its map, and
    with `rank_folds` rank the version's samples with that many fold models. `prefix`: prepended to every
    API path (the smoke test's client has no /api base). `made` receives the project's and the dataset's
    ids."""
    stages: list[Stage] = []
    api = _Prefixed(client, prefix)

    @contextmanager
    def stage(name: str) -> Iterator[dict[str, str]]:
        if memory is not None:
            memory.reset()
        extra: dict[str, str] = {}
        t0 = time.monotonic()
        yield extra
        s = Stage(name, time.monotonic() - t0, memory.peak_kb / 1024 if memory is not None else None,
                  " ".join(f"{k}={v}" for k, v in extra.items()),
                  memory.peak_process_kb / 1024 if memory is not None else None,
                  memory.peak_anon_kb / 1024 if memory is not None else None)
        stages.append(s)
        report(s)

    pid = ok(api.post("/projects", json={"name": "bench-scale"}))["id"]
    with stage("import") as extra:
        body = {"path": str(corpus), "name": corpus.stem, "group_column": "movie_id"}
        job = wait_job(api, ok(api.post(f"/projects/{pid}/datasets/import", json=body))["id"], timeout)
        dataset = ok(api.get(f"/datasets/{job['dataset_id']}"))
        n = dataset["num_samples"]
        if made is not None:
            made.update(project_id=pid, dataset_id=dataset["id"])
        extra.update(samples=str(n), rows_per_s=f"{n / max(span(job), 1e-9):.0f}",
                     streamed=str(bool(dataset["config"].get("streamed"))).lower())
    with stage("epoch") as extra:
        version = ok(api.post(f"/projects/{pid}/versions",
                               json={"dataset_id": dataset["id"], "architecture": "ngram", "seed": 0}))
        job = wait_job(api, ok(api.post(f"/versions/{version['id']}/train", json={"epochs": 1}))["id"], timeout)
        metrics = ok(api.get(f"/versions/{version['id']}/metrics/epochs"))["items"]
        val = [m for m in metrics if m["split"] == "val"]
        extra.update(val_accuracy=f"{val[0]['accuracy']:.4f}" if val else "n/a")
    with stage("map") as extra:
        # Queued by the epoch as its evaluation committed; timed here from the training's end.
        map_job = _map_job(api, version["id"], timeout)
        done = wait_job(api, map_job["id"], timeout)
        state = ok(api.get(f"/versions/{version['id']}/maps/1"))
        m = state.get("map") or state
        trust = m.get("trustworthiness")
        # What a browser downloads to draw the map: the points payload in the API's default encoding (zstd).
        payload = api.get(f"/versions/{version['id']}/maps/1/points")
        if payload.status_code != 200:
            raise SystemExit(f"points payload: {payload.status_code} {payload.text[:200]}")
        extra.update(job_seconds=f"{span(done):.1f}", points=str(m.get("num_points")),
                     points_payload_mb=f"{len(payload.content) / 2**20:.2f}",
                     trustworthiness=f"{trust:.4f}" if trust is not None else "n/a",
                     timings=json.dumps(m.get("timings", {}), separators=(",", ":")))
    if rank_folds:
        with stage("rank") as extra:
            job = ok(api.post(f"/versions/{version['id']}/suspects", json={"folds": rank_folds}))
            done = wait_job(api, job["id"], timeout)
            summary = ok(api.get(f"/versions/{version['id']}/suspects/summary", params={"split": "train"}))
            extra.update(folds=str(rank_folds), job_seconds=f"{span(done):.1f}",
                         train_ranked=str(summary["total"]), passing_0_9=str(summary["passing"]))
    return stages


class _Prefixed:
    def __init__(self, client: Api, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    def get(self, url: str, *, params: Any = None) -> Any:
        return self.client.get(self.prefix + url, params=params)

    def post(self, url: str, *, json: Any = None) -> Any:
        return self.client.post(self.prefix + url, json=json)


def _map_job(api: _Prefixed, version_id: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = ok(api.get("/jobs", params={"version_id": version_id, "kind": "map"}))
        if jobs:
            return dict(jobs[0])
        time.sleep(0.2)
    raise SystemExit(f"no map job for version {version_id} in {timeout} s")


def main(argv: list[str] | None = None) -> None:
    from bench.interactive import _free_port, _wait_up

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep", action="store_true", help="keep the data folder (printed) for a look afterwards")
    p.add_argument("--postgres", action="store_true",
                   help="distributed mode: PostgreSQL (database lensboard_bench_scale on LENSBOARD_BENCH_IMPORT_PG, "
                        "made afresh) and the Celery broker of --broker-url, one worker per lane started here")
    p.add_argument("--broker-url", default=None, help="with --postgres: redis://host:port/db")
    p.add_argument("--pg-database", default="lensboard_bench_scale", help="with --postgres: made afresh")
    p.add_argument("--eval-workers", default=",".join(map(str, WORKERS)),
                   help="with --postgres, after the chain: one epoch per count of bulk worker processes, its "
                        "evaluation in that many shards (bench/eval_shards.py); empty to skip")
    p.add_argument("--eval-architecture", default="ngram", help="the architecture those epochs train")
    p.add_argument("--rank", type=int, default=0, metavar="K",
                   help="after the map, rank mislabel suspects of every split with K fold models (0: skip)")
    args = p.parse_args(argv)
    eval_workers = [int(w) for w in args.eval_workers.split(",") if w.strip()]
    if args.postgres and not args.broker_url:
        p.error("--postgres needs --broker-url (a Redis database of its own)")
    data = Path(tempfile.mkdtemp(prefix="lensboard-bench-scale-"))
    corpus = data / "imports" / f"synthetic_{args.n}.csv"
    mode = "distributed (PostgreSQL, Redis)" if args.postgres else "embedded (SQLite)"
    print(f"bench-scale: N={args.n:,}, {mode}, data folder {data}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)

    t0 = time.monotonic()
    write_corpus(corpus, args.n, args.seed, 0.2, build_pools(archive_path()))
    corpus_stage = Stage("corpus", time.monotonic() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                         f"bytes={corpus.stat().st_size}")
    print(corpus_stage.line(), flush=True)

    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LENSBOARD_") and k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(LENSBOARD_DATA_DIR=str(data), LENSBOARD_PORT=str(port), LENSBOARD_STREAM_IMPORT_BYTES="0",
               # The worktree's code in every process (`lensboard` is a console script: its sys.path starts
               # at the venv's bin/, where an editable install may point at another checkout).
               PYTHONPATH=str(ROOT))
    env.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / f"lensboard-bench-numba-{os.getuid()}"))
    db_url = f"sqlite:///{data / 'lensboard.sqlite'}"
    if args.postgres:
        db_url = postgres_url(args.pg_database)
        env.update(DATABASE_URL=db_url, CELERY_BROKER_URL=args.broker_url, LENSBOARD_QUEUE=f"bench-scale-{os.getpid()}")
    lensboard = str(Path(sys.executable).parent / "lensboard")
    subprocess.run([lensboard, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    log = open(data / "serve.log", "wb")  # noqa: SIM115 (closed with the server)
    # Embedded, serve starts a worker per lane itself; distributed, the workers are started here, as a
    # deployment runs them (`lensboard worker --lane ...`).
    processes = [subprocess.Popen([lensboard, *command], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
                 for command in [["serve"]] + ([["worker", "--lane", "bulk"], ["worker", "--lane", "interactive"]]
                                               if args.postgres else [])]
    server = processes[0]
    memory = TreeMemory([proc.pid for proc in processes])
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=120) as api:
            _wait_up(api, server, data)
            api.headers["Authorization"] = f"Bearer {served_admin_token(data, db_url)}"
            made: dict[str, int] = {}
            stages = chain(api, corpus, memory, made=made, rank_folds=args.rank)
            chained = [s for s in stages if s.name in ("import", "epoch", "map")]
            print(f"scale_total_minutes={sum(s.seconds for s in chained) / 60:.2f}", flush=True)
            if args.postgres and eval_workers:
                # The chain's workers go, so that only the measured ones (and the API) use the CPU.
                stop_groups(processes[1:])
                measure(api, made["project_id"], made["dataset_id"],
                        lambda w: bulk_workers(lensboard, env, ROOT, data / f"bulk-{w}.log", w),
                        eval_workers, args.eval_architecture)
            elif eval_workers:
                print("eval_shards: measured in distributed mode only (--postgres --broker-url redis://...)")
    except BaseException:
        # What the server and its workers said last: the chain only sees a failed job or a refused call.
        log.flush()
        tail = (data / "serve.log").read_text(errors="replace").splitlines()[-60:]
        print("serve.log (last lines):\n" + "\n".join(line for line in tail if "GET /api/jobs" not in line),
              file=sys.stderr, flush=True)
        raise
    finally:
        memory.stop()
        stop_groups(processes)
        log.close()
        if args.keep:
            print(f"kept {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
