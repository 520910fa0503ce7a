"""`lensboard import-imdb PATH` and `lensboard import-dataset PROJECT PATH`: upload a local file or folder (or,
with --server-path, name a path on the server) and follow the import job with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from backend.cli.client import ApiClient, CliError, ProjectNotFound
from backend.cli.jobs import follow_job
from backend.cli.output import console
from backend.cli.uploads import imdb_targz, local_upload, send, zip_folder
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
    path: Annotated[str, typer.Argument(help=(
        "aclImdb_v1.tar.gz, the labeled subset archive, or an aclImdb folder, here (uploaded); with "
        "--server-path, a path on the server"))],
    project: Annotated[str, typer.Option(help="Project name (created if missing) or id")] = "imdb",
    name: Annotated[str, typer.Option(help="Dataset name")] = "IMDB",
    subset: Annotated[int | None, typer.Option(min=1, help="Import only N reviews per (split, class)")] = None,
    val_size: Annotated[float | None, typer.Option(
        min=0, help="Validation reviews carved out of train: a count, or a fraction below 1")] = None,
    vocab_size: Annotated[int | None, typer.Option(min=1, help="Vocabulary size (fitted on train)")] = None,
    max_length: Annotated[int | None, typer.Option(min=1, help="Tokens kept per review")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of the subset and the validation split")] = None,
    drop_cross_split_copies: Annotated[bool, typer.Option(
        "--drop-cross-split-copies", help="Leave out train's exact copies of val or test texts")] = False,
    server_path: Annotated[bool, typer.Option(
        "--server-path", help="PATH is on the server, under its import roots (administrators only): send the "
                              "path, not the file")] = False,
) -> None:
    """Upload the IMDB reviews, import them as a job and follow it until it is done."""
    api = ApiClient()
    options = {"name": name, "subset_per_class": subset, "val_size": val_size, "seed": seed,
               "vocab_size": vocab_size, "max_length": max_length,
               "drop_cross_split_copies": drop_cross_split_copies or None}
    if server_path:
        target = ensure_project(api, project)
        job = api.post(f"/projects/{target['id']}/datasets/imdb", _path_body(path, options))
    else:
        with local_upload(path, imdb_targz) as archive:
            target = ensure_project(api, project)
            job = send(api, f"/projects/{target['id']}/datasets/imdb/upload", archive, options)
    done = follow_job(api, job, f"import into {target['name']}")
    dataset = api.get(f"/datasets/{done['dataset_id']}") if done.get("dataset_id") else {}
    console.print(f"Imported dataset {dataset.get('id', '?')} with {dataset.get('num_samples', '?')} samples "
                  f"into project {target['name']} (id {target['id']}).")


def _path_body(path: str, options: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of a server-path import. A path that exists here is sent absolute (the server often runs
    on this machine); anything else is passed through for the server to resolve."""
    local = Path(path).expanduser()
    body = {k: v for k, v in options.items() if v is not None and k not in ("vocab_size", "max_length")}
    body["path"] = str(local.resolve()) if local.exists() else path
    tokenizer = {k: options[k] for k in ("vocab_size", "max_length") if options.get(k) is not None}
    if tokenizer:
        body["tokenizer"] = tokenizer
    return body


FORMATS = ("csv", "jsonl", "zip", "tar.gz", "stanford")


def start_dataset_import(api: ApiClient, project_id: int, path: str, *, fmt: str | None = None,
                         name: str | None = None, val_size: float | None = None, seed: int | None = None,
                         vocab_size: int | None = None, max_length: int | None = None,
                         server_path: bool = False, group_column: str | None = None,
                         drop_cross_split_copies: bool = False) -> dict[str, Any]:
    """Upload a local file (a local folder goes up as a zip) or, with `server_path`, name a path the
    server reads itself. Returns the import job."""
    options: dict[str, Any] = {"name": name, "val_size": val_size, "seed": seed, "vocab_size": vocab_size,
                               "max_length": max_length, "group_column": group_column,
                               "drop_cross_split_copies": drop_cross_split_copies or None}
    if server_path:
        job: dict[str, Any] = api.post(f"/projects/{project_id}/datasets/import",
                                       {**_path_body(path, options), "format": fmt})
        return job
    with local_upload(path, zip_folder) as upload:
        packed = Path(path).expanduser().is_dir()
        job = send(api, f"/projects/{project_id}/datasets/upload", upload,
                   {**options, "format": "zip" if packed else fmt})
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
    group_column: Annotated[str | None, typer.Option(help=(
        "Metadata column whose equal values stay together when validation is carved out of train"))] = None,
    drop_cross_split_copies: Annotated[bool, typer.Option(
        "--drop-cross-split-copies", help="Leave out train's exact copies of val or test texts")] = False,
    server_path: Annotated[bool, typer.Option(
        "--server-path", help="PATH is on the server, under its import roots (administrators only): send the "
                              "path, not the files")] = False,
) -> None:
    """Upload a custom dataset (any two or more classes), import it as a job and follow it."""
    if format is not None and format not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}")
    if not server_path and not Path(path).expanduser().exists():
        raise CliError(f"{path} does not exist here (a path on the server needs --server-path)")
    api = ApiClient()
    target = ensure_project(api, project)
    job = start_dataset_import(api, target["id"], path, fmt=format, name=name, val_size=val_size, seed=seed,
                               vocab_size=vocab_size, max_length=max_length, server_path=server_path,
                               group_column=group_column, drop_cross_split_copies=drop_cross_split_copies)
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
