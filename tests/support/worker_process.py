"""A real Celery worker in a subprocess, on a real broker, pointed at a test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# One numba cache for every worker subprocess and for the test process itself, kept between runs:
# compiling UMAP and pynndescent costs about 40 s of CPU per process otherwise.
NUMBA_CACHE = Path(tempfile.gettempdir()) / f"lensboard-tests-numba-{os.getuid()}"


def lensboard_env(db_url: str, broker_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LENSBOARD_")}
    env.update(
        {
            "DATABASE_URL": db_url,
            "CELERY_BROKER_URL": broker_url,
            "LENSBOARD_DATA_DIR": str(data_dir),
            "LENSBOARD_ARTIFACT_ROOT": str(data_dir / "artifacts"),
            # A private queue per test run: several runs can share one Redis without taking each other's tasks.
            "LENSBOARD_QUEUE": f"lbtest-{uuid.uuid4().hex[:10]}",
            "LENSBOARD_TORCH_THREADS": "2",
            "PYTHONUNBUFFERED": "1",
            "NUMBA_CACHE_DIR": str(NUMBA_CACHE),
        }
    )
    env.update(extra)
    return env


class WorkerProcess:
    def __init__(self, env: Mapping[str, str], log_path: Path, concurrency: int = 1, lane: str = "all") -> None:
        """`lane`: which queues it consumes, as `lensboard worker --lane` (default: both)."""
        self.env = dict(env)
        self.lane = lane
        self.log_path = log_path
        self.concurrency = concurrency
        self.proc: subprocess.Popen[bytes] | None = None
        self.go = log_path.with_suffix(".go")

    def start(self, timeout: float = 60.0) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self, held: bool = False) -> None:
        """Start the process without waiting: its imports (several seconds) overlap the caller's work.

        `held`: it imports everything, then waits for `release()` before starting the Celery worker (see
        tests/support/held_worker.py)."""
        log = open(self.log_path, "ab")  # noqa: SIM115 (closed by the child's lifetime)
        entry = ["tests.support.held_worker", str(self.go)] if held else ["celery"]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                *entry,
                "-A",
                "worker.celery_app",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                *([] if self.lane == "all" else
                  [f"--queues={self.env.get('LENSBOARD_QUEUE', 'lensboard')}.{self.lane}"]),
                "--without-gossip",
                "--without-mingle",
                f"--hostname=lbtest-{uuid.uuid4().hex[:6]}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def release(self) -> None:
        """Let a worker launched `held` start."""
        self.go.touch()

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.proc is not None, "launch() first"
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if b"ready." in self.log_path.read_bytes():
                return
            time.sleep(0.3)
        raise RuntimeError(f"worker not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def kill(self) -> None:
        """SIGKILL the whole process group: the worker and its pool children die without cleanup.

        Returns once none of them runs any more (a pool child can outlive its parent for a moment), so
        that nothing of the old worker writes after this."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
            deadline = time.monotonic() + 10
            while _group_members(self.proc.pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert not _group_members(self.proc.pid), "a worker process survived SIGKILL"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members
