"""Child processes of `lensboard serve` (the embedded workers, the API's processes): started so that they die
with it, and stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from backend.cli.output import console


def die_with_parent() -> None:
    """A `preexec_fn`: the child gets SIGTERM when its parent dies, even of SIGKILL (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def stop_all(children: list[subprocess.Popen[bytes]], what: str, timeout: float = 30.0) -> None:
    """SIGTERM to each at once (each shuts down gracefully: a worker's pool, a server's open requests), then
    SIGKILL to the process group of any still running after `timeout`."""
    running = [c for c in children if c.poll() is None]
    if not running:
        return
    console.print(f"Stopping the {what}…")
    for child in running:
        child.terminate()
    for child in running:
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
