"""Each worker process of a host claims a GPU of its own (an flock per GPU in a shared folder); a dead
worker's GPU is free again; with more processes than GPUs the extra ones share."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(lock_dir: Path, count: int, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """A process that claims a GPU, prints its index and holds the claim until its stdin closes."""
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from worker.pipeline.gpu_claim import claim_gpu
        first = claim_gpu({count}, Path({str(lock_dir)!r}))
        assert claim_gpu({count}, Path({str(lock_dir)!r})) == first, "a second call claimed again"
        print(first, flush=True)
        sys.stdin.read()
    """)
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **(env or {})})


def claimed(p: subprocess.Popen[str]) -> int:
    assert p.stdout is not None
    return int(p.stdout.readline())


def stop(p: subprocess.Popen[str]) -> None:
    assert p.stdin is not None
    p.stdin.close()
    assert p.wait(timeout=30) == 0


def test_workers_of_a_host_spread_over_its_gpus(tmp_path: Path) -> None:
    procs = [start(tmp_path, 3) for _ in range(3)]
    try:
        got = [claimed(p) for p in procs]
        assert sorted(got) == [0, 1, 2]
        extra = start(tmp_path, 3)  # more workers than GPUs: it shares one rather than failing
        assert claimed(extra) in (0, 1, 2)
        stop(extra)
        freed = got.index(1)
        procs[freed].kill()  # a killed worker's GPU is free again
        procs[freed].wait()
        again = start(tmp_path, 3)
        assert claimed(again) == 1
        stop(again)
    finally:
        for p in procs:
            if p.poll() is None:
                stop(p)


def test_pinned_workers_name_gpus_by_their_host_ids(tmp_path: Path) -> None:
    """Two workers pinned to different GPUs (CUDA_VISIBLE_DEVICES) each see index 0, and must not
    mistake each other's device for their own."""
    a = start(tmp_path, 1, {"CUDA_VISIBLE_DEVICES": "2"})
    b = start(tmp_path, 1, {"CUDA_VISIBLE_DEVICES": "3"})
    try:
        assert claimed(a) == claimed(b) == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == ["gpu-2.lock", "gpu-3.lock"]
    finally:
        stop(a)
        stop(b)


@pytest.mark.parametrize("visible", ["", "GPU-3a23c669-1f69,GPU-77aa"])
def test_physical_ids(monkeypatch: pytest.MonkeyPatch, visible: str) -> None:
    from worker.pipeline.gpu_claim import physical_ids

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert physical_ids(2) == (visible.split(",") if visible else ["0", "1"])
