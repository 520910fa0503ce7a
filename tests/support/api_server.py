"""The real API (`lensboard serve`) in a subprocess on a free loopback port, and the CLI against it.

Auth stays on: before the server starts, `lensboard users` (the documented way on the server's machine)
makes a site administrator and a token for it, which the CLI then finds in LENSBOARD_TOKEN like a script
would, and which `server.headers` carries for direct HTTP calls."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from tests.support.accounts import ADMIN

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(args: Sequence[str], env: Mapping[str, str], timeout: float = 120.0,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `lensboard ARGS` exactly as a user would, in a fresh interpreter (`stdin`: what is typed in)."""
    full_env = {**env, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "backend.cli.main", *args], cwd=ROOT, env=full_env,
                          input=stdin, capture_output=True, text=True, timeout=timeout)


class ApiServer:
    def __init__(self, env: Mapping[str, str], log_path: Path, *extra_args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The developer's own saved token (~/.config/lensboard/token) must neither sign tests in nor be
        # overwritten by a test's `lensboard login`.
        config_home = log_path.parent / f"config-{self.port}"
        self.env = {**env, "PYTHONPATH": str(ROOT), "LENSBOARD_URL": self.url, "XDG_CONFIG_HOME": str(config_home)}
        self.log_path = log_path
        self.args = ["serve", "--host", "127.0.0.1", "--port", str(self.port), *extra_args]
        self.proc: subprocess.Popen[bytes] | None = None
        self.token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        assert self.token is not None, "start() makes the token"
        return {"Authorization": f"Bearer {self.token}"}

    def sign_in_admin(self, username: str = ADMIN) -> str:
        """A site administrator (made unless it exists: `serve` makes one in embedded mode) and a fresh
        token for it, through `lensboard users` with this server's settings. The database must be migrated."""
        created = cli(["users", "create", username, "--admin", "--no-password"], self.env)
        if created.returncode != 0 and "already exists" not in created.stderr:
            raise RuntimeError(f"lensboard users create failed:\n{created.stderr}")
        issued = cli(["users", "token", username, "--name", "tests"], self.env)
        if issued.returncode != 0:
            raise RuntimeError(f"lensboard users token failed:\n{issued.stderr}")
        token = issued.stdout.strip()
        self.token = token
        self.env["LENSBOARD_TOKEN"] = token
        return token

    def start(self, timeout: float = 60.0) -> None:
        if self.token is None:
            self.sign_in_admin()
        # The server reads no token; only the CLI runs with one.
        server_env = {k: v for k, v in self.env.items() if k != "LENSBOARD_TOKEN"}
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child holds it)
        self.proc = subprocess.Popen([sys.executable, "-m", "backend.cli.main", *self.args], cwd=ROOT,
                                     env=server_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early ({self.proc.returncode}):\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server not up after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def children(self) -> list[int]:
        assert self.proc is not None
        return child_pids(self.proc.pid)

    def stop(self, timeout: float = 40.0) -> int:
        """SIGTERM, as a service manager would; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


def child_pids(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def all_exited(pids: list[int], timeout: float = 10.0) -> bool:
    """Whether every one of `pids` is gone (or a zombie) within `timeout` seconds."""
    deadline = time.time() + timeout
    while any(pid_alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.2)
    return not any(pid_alive(p) for p in pids)
