"""Commands that run on this machine rather than through the API: serve, worker, migrate."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from backend.cli import api_processes
from backend.cli.children import die_with_parent, stop_all
from backend.cli.client import CliError
from backend.cli.output import console
from backend.core.auth.accounts import local_admin_link
from backend.core.db.models import User
from backend.core.db.session import make_engine, make_session_factory
from backend.core.jobs.broker_queues import declare_queues
from backend.core.jobs.lanes import queues_of
from backend.core.settings import Settings, get_settings

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK_NAMES = ("localhost", "ip6-localhost")


def load_settings() -> Settings:
    """The settings, or one clear message naming each bad variable."""
    try:
        return get_settings()
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
                             for err in e.errors())
        raise CliError(f"invalid settings: {problems}") from None


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, secret_key: str | None) -> None:
    """Reachable from other machines means reachable by other people: that needs a real secret."""
    if not is_loopback(host) and not secret_key:
        raise CliError(
            f"refusing to listen on {host}: binding beyond loopback needs a secret key. "
            "Set LENSBOARD_SECRET_KEY (e.g. `export LENSBOARD_SECRET_KEY=$(openssl rand -hex 32)`) "
            "or serve on 127.0.0.1."
        )


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def pending_migrations(url: str) -> tuple[str | None, str | None]:
    """(current revision, head revision) of the database."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    return current, script.get_current_head()


def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    from alembic import command

    settings = load_settings()
    command.upgrade(alembic_config(settings.db_url), "head")
    current, _ = pending_migrations(settings.db_url)
    console.print(f"Database migrated to revision {current} ({_redact(settings.db_url)}).")


LANES = ("interactive", "bulk", "all")


def worker_command(concurrency: int | None = None, lane: str = "all") -> list[str]:
    """The Celery worker of `lane`: "interactive", "bulk", or "all" (both, interactive first)."""
    settings = load_settings()
    if lane not in LANES:
        raise CliError(f"unknown lane {lane!r}: choose one of {', '.join(LANES)}")
    if concurrency is None:
        concurrency = settings.interactive_concurrency if lane == "interactive" else settings.worker_concurrency
    return [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "--loglevel=INFO",
            f"--concurrency={concurrency}", f"--queues={','.join(queues_of(lane))}",
            # Job leases, not Celery's gossip, coordinate workers; this also keeps the embedded broker quiet.
            "--without-gossip", "--without-mingle",
            # compose's health checks ping these names
            f"--hostname={'worker' if lane == 'all' else lane}@%h"]


def interactive_env() -> dict[str, str]:
    """The interactive lane's worker computes with one thread per process (torch, numba's UMAP, BLAS), so
    that a training on the bulk lane keeps most of the CPU while analyses and maps run beside it."""
    one = {name: "1" for name in ("LENSBOARD_TORCH_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                  "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    return {**os.environ, **one}


def worker(
    concurrency: Annotated[int | None, typer.Option(min=1, max=64, help="Processes (default: settings)")] = None,
    lane: Annotated[str, typer.Option(
        help="Which lane to serve: interactive (analyses, maps), bulk (imports, training) or all (both, "
             "interactive first: one GPU host)")] = "all",
) -> None:
    """Run a Celery worker in the foreground (training, maps, analyses)."""
    argv = worker_command(concurrency, lane)
    os.chdir(ROOT)
    if lane == "interactive":
        os.execve(argv[0], argv, interactive_env())
    os.execv(argv[0], argv)


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default: LENSBOARD_HOST, 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default: LENSBOARD_PORT, 8000)")] = None,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Do not start the embedded workers")] = False,
    processes: Annotated[int | None, typer.Option(
        min=1, max=64, help="API processes, each with its own socket (default: LENSBOARD_API_PROCESSES, 1)")] = None,
) -> None:
    """Serve the API and the dashboard; in embedded mode also run a worker per lane beside it."""
    import uvicorn

    settings = load_settings()
    host = host or settings.host
    port = port or settings.port
    check_bind(host, settings.secret_key)
    current, head = pending_migrations(settings.db_url)
    if current != head:
        raise CliError(f"the database is at revision {current or 'none'}, not {head}: run `lensboard migrate` first")
    children = []
    if settings.embedded and not no_worker:
        # One worker per lane: an analysis never waits behind a training (see backend/core/jobs/lanes.py).
        declare_queues()
        children = [_spawn_worker("bulk"), _spawn_worker("interactive")]
    # uvicorn re-raises the signal it caught once it has shut down; turning SIGTERM into SystemExit
    # lets the `finally` below stop the worker instead of the process dying on the spot.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    mode = "embedded (SQLite, local broker)" if settings.embedded else "distributed"
    console.print(f"[bold green]Lensboard is running at {url}[/]  ({mode}; data in {settings.data_dir})")
    link = _sign_in_link(settings)
    if link:
        console.print(f"Sign in (one-time link, 24 h): [bold]{url}/api/auth/link?token={link}[/]", highlight=False)
    try:
        proxy_headers, forwarded_allow_ips = forwarding(settings)
        options = {"log_level": "info", "access_log": settings.access_log, "proxy_headers": proxy_headers,
                   "forwarded_allow_ips": forwarded_allow_ips}
        count = processes or settings.api_processes
        if count == 1:
            uvicorn.run(api_processes.APP, host=host, port=port, **options)  # type: ignore[arg-type]
        else:
            api_processes.serve(count, host, port, options)
    finally:
        stop_all(children, "workers")


def forwarding(settings: Settings) -> tuple[bool, str | None]:
    """uvicorn's `proxy_headers` and `forwarded_allow_ips`. X-Forwarded-For decides whose sign-in attempts a
    request counts against, so it is believed only from the proxies in LENSBOARD_TRUSTED_PROXIES: uvicorn's
    own default trusts it from 127.0.0.1, which lets any local client (or a proxy that passes the header
    on) pick its address."""
    if not settings.trusted_proxies:
        return False, None
    return True, ",".join(settings.trusted_proxies)


def _sign_in_link(settings: Settings) -> str | None:
    """Like Jupyter's token: in the embedded default (or before anyone has an account) print a one-time
    link that signs the local administrator in, so that auth stays on and setup stays two commands."""
    from sqlalchemy import select

    engine = make_engine(settings.db_url)
    try:
        with make_session_factory(engine)() as session:
            if not settings.embedded and session.scalar(select(User.id).limit(1)) is not None:
                return None
            return local_admin_link(session)
    finally:
        engine.dispose()


def _spawn_worker(lane: str) -> subprocess.Popen[bytes]:
    """An embedded worker: a child in its own session, which dies with us even on SIGKILL (Linux)."""
    env = interactive_env() if lane == "interactive" else None
    return subprocess.Popen(worker_command(lane=lane), cwd=ROOT, env=env, start_new_session=True,
                            preexec_fn=die_with_parent)


def _exit_on_signal(signum: int, _: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
