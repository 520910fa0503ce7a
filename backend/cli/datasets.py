"""`lensboard import-imdb PATH`: import IMDB into a project as a job, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from backend.cli.client import ApiClient, ProjectNotFound
from backend.cli.jobs import follow_job
from backend.cli.output import console


def ensure_project(api: ApiClient, name: str) -> dict[str, Any]:
    """The project with this name (or id), created when missing."""
    try:
        return api.project(name)
    except ProjectNotFound:
        project: dict[str, Any] = api.post("/projects", {"name": name})
        console.print(f"Created project {project['id']} ({name}).")
        return project


def import_imdb(
    path: Annotated[str, typer.Argument(help="aclImdb_v1.tar.gz, the labeled subset archive, or an aclImdb folder")],
    project: Annotated[str, typer.Option(help="Project name (created if missing) or id")] = "imdb",
    name: Annotated[str, typer.Option(help="Dataset name")] = "IMDB",
    subset: Annotated[int | None, typer.Option(min=1, help="Import only N reviews per (split, class)")] = None,
    val_size: Annotated[float | None, typer.Option(
        min=0, help="Validation reviews carved out of train: a count, or a fraction below 1")] = None,
    vocab_size: Annotated[int | None, typer.Option(min=1, help="Vocabulary size (fitted on train)")] = None,
    max_length: Annotated[int | None, typer.Option(min=1, help="Tokens kept per review")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of the subset and the validation split")] = None,
) -> None:
    """Import the IMDB reviews as a job and follow it until it is done."""
    api = ApiClient()
    # A path that exists here is sent absolute (the usual case: the server runs on this machine);
    # anything else is passed through for the server to resolve.
    local = Path(path).expanduser()
    body: dict[str, Any] = {"path": str(local.resolve()) if local.exists() else path, "name": name}
    optional = {"subset_per_class": subset, "val_size": val_size, "seed": seed}
    body.update({k: v for k, v in optional.items() if v is not None})
    tokenizer = {k: v for k, v in {"vocab_size": vocab_size, "max_length": max_length}.items() if v is not None}
    if tokenizer:
        body["tokenizer"] = tokenizer
    target = ensure_project(api, project)
    job = api.post(f"/projects/{target['id']}/datasets/imdb", body)
    done = follow_job(api, job, f"import into {target['name']}")
    dataset = api.get(f"/datasets/{done['dataset_id']}") if done.get("dataset_id") else {}
    console.print(f"Imported dataset {dataset.get('id', '?')} with {dataset.get('num_samples', '?')} samples "
                  f"into project {target['name']} (id {target['id']}).")


def download_imdb(
    dest: Annotated[Path, typer.Argument(help="Folder to download into")] = Path(".lensboard/downloads"),
) -> None:
    """Download aclImdb_v1.tar.gz (84 MB) from its public Stanford address, ready for import-imdb."""
    from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

    from backend.data.imdb import download_imdb as fetch

    with Progress(*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(), console=console) as bar:
        task = bar.add_task("aclImdb_v1.tar.gz", total=None)

        def on_chunk(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        path = fetch(dest, progress=on_chunk)
    console.print(f"Saved {path}. Import it with: lensboard import-imdb {path}")
