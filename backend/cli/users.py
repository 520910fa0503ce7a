"""`lensboard users ...` (on the server's machine, straight to the database) and `lensboard login`/`logout`
(through the API: trade a password for a personal token kept in the user's config folder)."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from backend.cli.client import ApiClient, CliError, saved_token, token_file
from backend.cli.local import load_settings, pending_migrations
from backend.cli.output import console
from backend.core.auth import accounts
from backend.core.db.models import User
from backend.core.db.session import make_engine, make_session_factory

app = typer.Typer(help="Manage accounts on this machine's database (run where the server runs).",
                  no_args_is_help=True)


@contextmanager
def _db() -> Iterator[Session]:
    settings = load_settings()
    current, head = pending_migrations(settings.db_url)
    if current != head:
        raise CliError(f"the database is at revision {current or 'none'}, not {head}: run `lensboard migrate` first")
    engine = make_engine(settings.db_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _user(session: Session, username: str) -> User:
    user = accounts.user_by_name(session, username)
    if user is None:
        raise CliError(f"no user named {username!r}: create it with `lensboard users create {username}`")
    return user


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Letters, digits, _ . @ -")],
    admin: Annotated[bool, typer.Option("--admin", help="A site administrator (owner of every project)")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
    no_password: Annotated[bool, typer.Option("--no-password", help="Sign in only with links and tokens")] = False,
) -> None:
    """Create a user (asks for a password unless --password-stdin or --no-password)."""
    password: str | None = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not no_password:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise CliError("the passwords differ")
    with _db() as session:
        try:
            user = accounts.create_user(session, username, password, is_admin=admin)
        except accounts.AccountError as e:
            raise CliError(str(e)) from None
        session.commit()
        console.print(f"Created user {user.username} (id {user.id}{', administrator' if admin else ''}).")


@app.command("token")
def token(
    username: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option(help="What the token is for")] = "cli",
) -> None:
    """Print a new personal API token for USERNAME (for scripts: export LENSBOARD_TOKEN=...)."""
    with _db() as session:
        issued = accounts.issue(session, _user(session, username), "token", name=name)
        session.commit()
    # The token alone on stdout, so that `export LENSBOARD_TOKEN=$(lensboard users token NAME)` works.
    print(issued.secret)


@app.command("link")
def link(
    username: Annotated[str, typer.Argument()],
    url: Annotated[str | None, typer.Option(help="The server's address (default LENSBOARD_URL)")] = None,
) -> None:
    """Print a one-time sign-in link for USERNAME (valid 24 hours)."""
    with _db() as session:
        issued = accounts.issue(session, _user(session, username), "login_link", name="cli",
                                lifetime=accounts.LOGIN_LINK_LIFETIME)
        session.commit()
    base = (url or os.environ.get("LENSBOARD_URL") or "http://127.0.0.1:8000").rstrip("/")
    print(f"{base}/api/auth/link?token={issued.secret}")


def login(
    username: Annotated[str, typer.Option(prompt=True, help="Your username")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
) -> None:
    """Sign the CLI in: trade your password for a personal API token, saved for later commands."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass("Password: ")
    client = ApiClient(token="")
    client.post("/auth/login", {"username": username, "password": password})
    created = client.post("/auth/tokens", {"name": f"cli@{os.uname().nodename}"[:100]},
                          headers={"X-CSRF-Token": client.cookie("lensboard_csrf") or ""})
    path = token_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(created["token"] + "\n")
    console.print(f"Signed in as {username}; token saved in {path}.")


def logout() -> None:
    """Revoke the CLI's saved token and forget it."""
    saved = saved_token()
    if saved is None:
        console.print("Not signed in.")
        return
    client = ApiClient(token=saved)
    mine = [t for t in client.get("/auth/tokens") if saved.startswith(t["prefix"]) and t["revoked_at"] is None]
    for t in mine:
        client.request("DELETE", f"/auth/tokens/{t['id']}")
    token_file().unlink(missing_ok=True)
    console.print("Signed out.")
