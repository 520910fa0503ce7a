"""`lensboard import-imdb PATH` and `lensboard import-dataset PROJECT PATH`: import into a project as a job,
with a progress bar."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any

import typer

from backend.cli.client import ApiClient, CliError, ProjectNotFound
from backend.cli.jobs import follow_job
from backend.cli.output import console
from backend.core.data.imdb import download_imdb as fetch


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


FORMATS = ("csv", "jsonl", "zip", "tar.gz", "stanford")


def start_dataset_import(api: ApiClient, project_id: int, path: str, *, fmt: str | None = None,
                         name: str | None = None, val_size: float | None = None, seed: int | None = None,
                         vocab_size: int | None = None, max_length: int | None = None,
                         server_path: bool = False) -> dict[str, Any]:
    """Upload a local file (a local folder goes up as a zip) or, with `server_path`, name a path the
    server reads itself. Returns the import job."""
    options: dict[str, Any] = {"name": name, "val_size": val_size, "seed": seed}
    tokenizer = {k: v for k, v in {"vocab_size": vocab_size, "max_length": max_length}.items() if v is not None}
    local = Path(path).expanduser()
    if server_path:
        body = {k: v for k, v in options.items() if v is not None}
        body.update({"path": str(local.resolve()) if local.exists() else path, "format": fmt})
        if tokenizer:
            body["tokenizer"] = tokenizer
        job: dict[str, Any] = api.post(f"/projects/{project_id}/datasets/import", body)
        return job
    if not local.exists():
        raise CliError(f"{path} does not exist (use --server-path for a path on the server)")
    fields = {**options, **tokenizer, "format": fmt}
    if local.is_file():
        job = api.upload(f"/projects/{project_id}/datasets/upload", local, fields)
        return job
    with tempfile.TemporaryDirectory(prefix="lensboard-upload-") as tmp:
        archive = Path(tmp) / f"{local.name or 'dataset'}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(local.rglob("*")):
                if f.is_file() and not f.name.startswith("."):
                    zf.write(f, f.relative_to(local).as_posix())
        job = api.upload(f"/projects/{project_id}/datasets/upload", archive, {**fields, "format": "zip"})
        return job


def import_dataset(
    project: Annotated[str, typer.Argument(help="Project name (created if missing) or id")],
    path: Annotated[str, typer.Argument(help=(
        "train.csv / valid.csv / test.csv or a folder of them, a .jsonl, a .zip or .tar.gz, or a folder in "
        "Stanford's layout (<split>/<class>/<id>_<score>.txt)"))],
    format: Annotated[str | None, typer.Option(
        "--format", help=f"One of {', '.join(FORMATS)}; detected from the path when left out")] = None,
    name: Annotated[str | None, typer.Option(help="Dataset name")] = None,
    val_size: Annotated[float | None, typer.Option(
        min=0, help="Without a validation split: a count carved out of train, or a fraction below 1")] = None,
    vocab_size: Annotated[int | None, typer.Option(min=1, help="Vocabulary size (fitted on train)")] = None,
    max_length: Annotated[int | None, typer.Option(min=1, help="Tokens kept per text")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of the validation split")] = None,
    server_path: Annotated[bool, typer.Option(
        "--server-path", help="PATH is on the server (under its import roots): send the path, not the files")] = False,
) -> None:
    """Upload a custom dataset (any two or more classes), import it as a job and follow it."""
    if format is not None and format not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}")
    api = ApiClient()
    target = ensure_project(api, project)
    job = start_dataset_import(api, target["id"], path, fmt=format, name=name, val_size=val_size, seed=seed,
                               vocab_size=vocab_size, max_length=max_length, server_path=server_path)
    done = follow_job(api, job, f"import into {target['name']}")
    dataset = api.get(f"/datasets/{done['dataset_id']}") if done.get("dataset_id") else {}
    console.print(f"Imported dataset {dataset.get('id', '?')} with {dataset.get('num_samples', '?')} samples "
                  f"in classes {', '.join(dataset.get('classes', []))} into project {target['name']} "
                  f"(id {target['id']}).")


def download_imdb(
    dest: Annotated[Path, typer.Argument(help="Folder to download into")] = Path(".lensboard/downloads"),
) -> None:
    """Download aclImdb_v1.tar.gz (84 MB) from its public Stanford address, ready for import-imdb."""
    from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

    with Progress(*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(), console=console) as bar:
        task = bar.add_task("aclImdb_v1.tar.gz", total=None)

        def on_chunk(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        path = fetch(dest, progress=on_chunk)
    console.print(f"Saved {path}. Import it with: lensboard import-imdb {path}")
