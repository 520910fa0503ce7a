"""The API in several processes, each with a listening socket of its own (SO_REUSEPORT).

uvicorn's `--workers` shares one listening socket among its processes, and whichever process's event loop
wakes first accepts. A burst of new connections (a proxy's pool, a load test's 100 connections) then lands
mostly on one process, and a kept-alive connection stays where it landed: bench-load at a million samples
found 72 of 100 connections on one of two processes, whose queue set the p95. With a socket per process,
bound with SO_REUSEPORT, the kernel picks the process of each new connection by a hash of its addresses,
so connections spread evenly whatever their timing (Linux; nginx's `reuseport` does the same).

`lensboard serve --processes N` (LENSBOARD_API_PROCESSES) runs N such processes (`python -m
backend.cli.api_processes SPEC`) under itself: it restarts one that dies, gives up if one fails with an error
as it starts (a port in use, a bad setting), and stops them all on SIGTERM or Ctrl-C. Each process is a
whole API with its own caches (the samples table's; its rows file is shared through the page cache) and
its own rate-limit buckets (backend/api/limits.py): N processes allow up to N times each limit.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from backend.cli.children import die_with_parent, stop_all
from backend.cli.client import CliError
from backend.cli.output import console

ROOT = Path(__file__).resolve().parents[2]
APP = "backend.main:app"
# A process that exits with an error this soon after it started failed at start (a bad setting, a port
# taken): restarting it would only fail again. One killed by a signal (the OOM killer) is restarted.
START_GRACE_S = 10.0
POLL_S = 0.5


def reuseport_socket(host: str, port: int, listen: bool = True) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        if listen:
            sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def check_address(host: str, port: int) -> None:
    """Refuse a port that another program holds before starting any process (a bind, never a listen: a
    listening socket here would join the group and be handed connections that nobody accepts)."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise CliError("several API processes need SO_REUSEPORT, which this system lacks: use --processes 1")
    try:
        reuseport_socket(host, port, listen=False).close()
    except OSError as e:
        raise CliError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def serve(processes: int, host: str, port: int, uvicorn_options: dict[str, Any]) -> None:
    """Run `processes` API processes until a signal stops this one (SystemExit, KeyboardInterrupt)."""
    check_address(host, port)
    spec = json.dumps({"host": host, "port": port, "options": uvicorn_options})
    children: list[subprocess.Popen[bytes]] = []
    started: list[float] = []

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "backend.cli.api_processes", spec], cwd=ROOT,
                                start_new_session=True, preexec_fn=die_with_parent)

    try:
        for _ in range(processes):
            children.append(start())
            started.append(time.monotonic())
        console.print(f"API: {processes} processes ({', '.join(str(c.pid) for c in children)}), one socket each")
        while True:
            time.sleep(POLL_S)
            for i, child in enumerate(children):
                code = child.poll()
                if code is None:
                    continue
                if code > 0 and time.monotonic() - started[i] < START_GRACE_S:
                    raise CliError(f"API process {child.pid} exited with {code} as it started (its messages are above)")
                console.print(f"API process {child.pid} exited with {code}: starting another")
                children[i], started[i] = start(), time.monotonic()
    finally:
        stop_all(children, "API processes")


def _run_one(spec: dict[str, Any]) -> None:
    import uvicorn

    host, port = spec["host"], spec["port"]
    sock = reuseport_socket(host, port)
    server = uvicorn.Server(uvicorn.Config(APP, host=host, port=port, **spec["options"]))
    server.run(sockets=[sock])
    if not server.started:  # uvicorn.run's exit code for a failed start
        sys.exit(3)


if __name__ == "__main__":
    _run_one(json.loads(sys.argv[1]))
