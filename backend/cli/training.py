"""`lensboard train PROJECT`: create a model version and train it, with a live progress bar."""

from __future__ import annotations

from typing import Annotated

import typer

from backend.cli.client import ApiClient
from backend.cli.jobs import follow_job
from backend.cli.output import console, table
from backend.cli.params import parse_assignments
from backend.core.specs.architectures import DEFAULT_ARCHITECTURE


def train(
    project: Annotated[str, typer.Argument(help="Project name or id")],
    arch: Annotated[str, typer.Option(help="Architecture")] = DEFAULT_ARCHITECTURE,
    epochs: Annotated[int, typer.Option(min=1, help="Epochs to train")] = 2,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Hyperparameter key=value (JSON values: --set kernel_sizes=[3,4,5]); repeatable")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of initialisation and batch order")] = 0,
    name: Annotated[str | None, typer.Option(help="Version name")] = None,
    dataset: Annotated[int | None, typer.Option(help="Dataset id (default: the project's latest ready one)")] = None,
) -> None:
    """Create a new model version and train it for N epochs on a worker."""
    api = ApiClient()
    hyperparameters = parse_assignments(set_ or [])
    target = api.project(project)
    version = api.post(f"/projects/{target['id']}/versions", {
        "architecture": arch, "hyperparameters": hyperparameters, "seed": seed, "name": name,
        "dataset_id": dataset,
    })
    console.print(f"Created version {version['id']} ({version['name']}).")
    job = api.post(f"/versions/{version['id']}/train", {"epochs": epochs})
    follow_job(api, job, f"train {version['name']}")
    metrics = api.get(f"/versions/{version['id']}/metrics/epochs")["items"]
    console.print(table(f"Version {version['id']}: per-epoch metrics", ["epoch", "split", "loss", "accuracy"],
                        ([m["epoch"], m["split"], m["loss"], m["accuracy"]] for m in metrics)))
    console.print(f"See the hardest samples: lensboard samples {version['id']} --sort loss --limit 20")
