"""Credential secrets: generation and the keyed hash that is all the database keeps of them.

An HMAC (not a bare SHA-256) under the server's secret key means a leaked database copy cannot even be
used to check guesses. The key is LENSBOARD_SECRET_KEY; without it (the embedded default on loopback) a
random key is created once in the data folder, so that tokens survive restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from backend.core.settings import Settings, get_settings

# Prefixes make a leaked token recognisable (secret scanners, logs) and tell the kinds apart.
PREFIXES = {"token": "lbt_", "session": "lbs_", "login_link": "lbl_"}
_keys: dict[tuple[str | None, Path], bytes] = {}


def signing_key(settings: Settings | None = None) -> bytes:
    settings = settings or get_settings()
    cache_key = (settings.secret_key, settings.data_dir)
    key = _keys.get(cache_key)
    if key is None:
        key = settings.secret_key.encode() if settings.secret_key else _local_key(settings.data_dir / "secret_key")
        _keys[cache_key] = key
    return key


def _local_key(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32).encode()
    # O_EXCL: when two processes start at once, one writes and the other reads what it wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(value)
    return value


def new_secret(kind: str) -> str:
    return PREFIXES[kind] + secrets.token_urlsafe(32)


def hash_secret(secret: str, settings: Settings | None = None) -> str:
    return hmac.new(signing_key(settings), secret.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
