"""`lensboard download VERSION {checkpoint|metrics|results|tensorboard}`: a version's files, saved from the API."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from backend.cli.client import ApiClient, CliError
from backend.cli.output import console


class What(StrEnum):
    checkpoint = "checkpoint"
    metrics = "metrics"
    results = "results"
    tensorboard = "tensorboard"


class Kind(StrEnum):
    epoch = "epoch"
    batch = "batch"


def download_artifact(api: ApiClient, version: int, what: What | str, *, epoch: str | None = None,
                      kind: Kind | str = Kind.epoch, out: Path | None = None, folder: Path | None = None) -> Path:
    """Save one of the version's downloads; return where it went."""
    what = What(what)
    if epoch is not None and not (epoch.isdigit() or (epoch == "all" and what is What.results)):
        allowed = "an epoch number or `all`" if what is What.results else "an epoch number"
        raise CliError(f"--epoch must be {allowed}, not {epoch!r}")
    if what is What.metrics:
        if epoch is not None:
            raise CliError("--epoch does not apply to metrics (they cover every epoch); use --kind epoch|batch")
        return api.download(f"/versions/{version}/metrics.csv", {"kind": Kind(kind).value}, out, folder)
    if what is What.tensorboard:
        if epoch is not None:
            raise CliError("--epoch does not apply to tensorboard (the run covers every epoch)")
        return api.download(f"/versions/{version}/tensorboard.tar.gz", {}, out, folder)
    path = "checkpoint" if what is What.checkpoint else "results.parquet"
    return api.download(f"/versions/{version}/{path}", {"epoch": epoch}, out, folder)


def download(
    version: Annotated[int, typer.Argument(help="Version id")],
    what: Annotated[What, typer.Argument(help="checkpoint (.pt), metrics (CSV), results (per-sample Parquet) or "
             "tensorboard (a TensorBoard run, .tar.gz)")],
    epoch: Annotated[str | None, typer.Option(
        help="Checkpoint or results epoch (default: the latest); `all` for every epoch's results")] = None,
    kind: Annotated[Kind, typer.Option(help="Metrics: per-epoch or per-batch")] = Kind.epoch,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: the server's name, here)")
                   ] = None,
) -> None:
    """Download a version's checkpoint, metrics, per-sample results or TensorBoard run."""
    api = ApiClient(timeout=300.0)
    try:
        saved = download_artifact(api, version, what, epoch=epoch, kind=kind, out=out)
    finally:
        api.close()
    console.print(f"wrote {saved} ({saved.stat().st_size:,} bytes)")
