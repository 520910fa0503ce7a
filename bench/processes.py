"""Stopping the servers and workers a bench started, each in its own process group (start_new_session=True)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterable


def stop_groups(processes: Iterable[subprocess.Popen[bytes]], timeout: float = 60) -> None:
    """SIGTERM to every live group at once (a server's workers stop together), then a SIGKILL to any group
    whose leader is still there after `timeout` seconds."""
    procs = list(processes)
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
