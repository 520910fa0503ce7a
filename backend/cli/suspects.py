"""`lensboard suspects VERSION --split SPLIT --out FILE.csv`: a version's mislabel ranking as CSV.

Streams `GET /api/versions/{id}/suspects/export` from the server (LENSBOARD_URL) to the file, so
50k rows never sit in memory. Columns: sample_id,score,reason,label,p_positive,loss; most suspect first.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import httpx
import typer

DEFAULT_URL = "http://127.0.0.1:8000"


class SuspectsExportError(Exception):
    pass


def download_suspects(client: httpx.Client, version: int, split: str | None, out: Path) -> int:
    """Write the CSV atomically (temp file + rename); return the number of sample rows."""
    params = {"split": split} if split else {}
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    lines = 0
    try:
        with client.stream("GET", f"/api/versions/{version}/suspects/export", params=params) as r:
            if r.status_code >= 400:
                r.read()
                try:
                    detail = r.json().get("detail", r.text)
                except ValueError:
                    detail = r.text
                raise SuspectsExportError(f"{detail} (HTTP {r.status_code})")
            with os.fdopen(fd, "wb") as f:
                for chunk in r.iter_bytes():
                    lines += chunk.count(b"\n")
                    f.write(chunk)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return max(lines - 1, 0)  # minus the header (reasons never contain a newline)


def suspects(
    version: Annotated[int, typer.Argument(help="Version id")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write")],
    split: Annotated[str | None, typer.Option(help="train, val or test (default: all splits)")] = None,
) -> None:
    """Export a version's mislabel suspects, most suspect first (rank them first with the API)."""
    base = (os.environ.get("LENSBOARD_URL") or DEFAULT_URL).rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=120.0) as client:
            n = download_suspects(client, version, split, out)
    except httpx.ConnectError as e:
        raise typer.BadParameter(f"the Lensboard server is not running at {base}") from e
    except SuspectsExportError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {n} suspects to {out}")
