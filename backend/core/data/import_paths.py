"""Which server-side paths a dataset import may read (an administrator's `path` import; uploads need none),
and which word-vector file an LSTM may start from (`pretrained_vectors`, named by any editor).

A path is allowed when, fully resolved (every link followed), it lies under one of the import roots:
`<data dir>/imports` and the folders in LENSBOARD_IMPORT_ROOTS. The rest of the data folder (the secret key,
the database, the artifacts) is refused even when a configured root contains it. A folder is walked too:
a link inside it that leads out of the roots is refused, since the readers follow links.

Messages quote only what the caller sent, never a server path they did not name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from backend.core.settings import Settings

ROOTS_HINT = "the data folder's imports/ or a folder in LENSBOARD_IMPORT_ROOTS"


class ImportPathRefused(ValueError):
    """The path may not be read, or does not exist; the message is for the user."""


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def allowed(path: Path, settings: Settings) -> bool:
    """True when the resolved `path` lies under an import root and outside the rest of the data folder."""
    imports = settings.imports_dir.resolve()
    if _inside(path, settings.data_dir) and not _inside(path, imports):
        return False
    return any(_inside(path, root) for root in settings.allowed_import_roots)


def resolve_import_path(raw: str, settings: Settings, instead: str = "upload the file instead") -> Path:
    """The resolved path that `raw` names, once it is allowed and exists; else ImportPathRefused (whose
    message ends with what to do `instead`)."""
    if "\0" in raw:  # no file has one, and the OS calls below would raise instead of answering
        raise ImportPathRefused(f"path {raw!r} contains a NUL character")
    path = Path(raw).expanduser().resolve()
    if not allowed(path, settings):
        raise ImportPathRefused(f"path {raw!r} lies outside the allowed import roots ({ROOTS_HINT}); {instead}")
    if not path.exists():
        raise ImportPathRefused(f"path {raw!r} does not exist")
    if path.is_dir():
        _check_links(raw, path, settings)
    return path


def resolve_vectors_file(raw: str, settings: Settings) -> Path:
    """The file that an LSTM's `pretrained_vectors` names, under the same rule as a dataset path. Any editor
    may name one (the roots are what an administrator shares for reading), so nothing else on the worker's
    disk can be read through it: not the data folder's secret key, not /dev/zero (a line without end)."""
    path = resolve_import_path(raw, settings, instead="an administrator can put the file in one")
    if not path.is_file():
        raise ImportPathRefused(f"path {raw!r} is not a file")
    return path


def check_vectors_setting(hyperparameters: dict[str, Any], settings: Settings) -> None:
    """Refuse (ImportPathRefused) full hyperparameters whose `pretrained_vectors` names no allowed file."""
    raw = hyperparameters.get("pretrained_vectors")
    if raw is not None:
        resolve_vectors_file(str(raw), settings)


def _check_links(raw: str, folder: Path, settings: Settings) -> None:
    """Refuse a folder holding a link (at any depth, through linked folders too) whose target is not allowed."""
    seen: set[Path] = set()
    todo = [folder]
    while todo:
        current = todo.pop()
        real = current.resolve()
        if real in seen:  # a link back up the tree: walked already
            continue
        seen.add(real)
        with os.scandir(current) as entries:
            for entry in entries:
                if entry.is_symlink():
                    target = Path(entry.path).resolve()
                    if not allowed(target, settings):
                        raise ImportPathRefused(f"path {raw!r} holds a link that leads outside the allowed import "
                                                f"roots ({ROOTS_HINT})")
                    if target.is_dir():
                        todo.append(target)
                elif entry.is_dir(follow_symlinks=False):
                    todo.append(Path(entry.path))
