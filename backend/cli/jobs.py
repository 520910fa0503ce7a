"""`lensboard jobs`, and following one job with a live progress bar until it ends."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from backend.cli.client import ApiClient, CliError
from backend.cli.output import console, table
from backend.core.vocabulary import JobState

FINISHED = (JobState.SUCCESS, JobState.FAILURE, JobState.REVOKED)
POLL_SECONDS = 0.5


def follow_job(api: ApiClient, job: dict[str, Any], title: str) -> dict[str, Any]:
    """Poll the job until it finishes. Raises CliError with the job's error when it fails."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn(), TextColumn("{task.fields[status]}"))
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task(title, total=1.0, status=describe(job))
            while job["state"] not in FINISHED:
                time.sleep(POLL_SECONDS)
                job = api.get(f"/jobs/{job['id']}")
                bar.update(task, completed=job["progress"], status=describe(job))
            if job["state"] == JobState.SUCCESS:
                bar.update(task, completed=1.0)
    except KeyboardInterrupt:
        raise CliError(f"stopped following job {job['id']}; it goes on in the background "
                       "(see `lensboard jobs`)") from None
    if job["state"] != JobState.SUCCESS:
        raise CliError(f"job {job['id']} ({job['kind']}) {job['state'].lower()}: {job.get('error') or job['message']}")
    return job


def describe(job: dict[str, Any]) -> str:
    """The job's state, with epoch/batch/loss when the worker reports them."""
    detail = job.get("detail") or {}
    parts = [job["state"].lower()]
    if "epoch" in detail:
        total = detail.get("epochs")
        parts.append(f"epoch {detail['epoch']}" + (f"/{total}" if total else ""))
    if "batch" in detail:
        total = detail.get("batches")
        parts.append(f"batch {detail['batch']}" + (f"/{total}" if total else ""))
    if isinstance(detail.get("loss"), int | float):
        parts.append(f"loss {detail['loss']:.4f}")
    if detail.get("stage"):
        parts.append(str(detail["stage"]))
    elif len(parts) == 1 and job.get("message") and job["message"] not in ("queued", "started"):
        parts.append(str(job["message"]))
    return " · ".join(parts)


app = typer.Typer(help="Jobs: list them (lane, position in it), cancel one.", no_args_is_help=False)


@app.callback(invoke_without_command=True)
def jobs(
    ctx: typer.Context,
    project: Annotated[str | None, typer.Option(help="Project name or id")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
) -> None:
    """List recent jobs (imports, training, maps, ...) with their lane and, when queued, position in it."""
    if ctx.invoked_subcommand is not None:
        return
    api = ApiClient()
    project_id = api.project(project)["id"] if project else None
    rows = api.get("/jobs", project_id=project_id, limit=limit)
    console.print(table("Jobs", ["id", "job", "state", "lane", "position", "progress", "project", "version",
                                 "message", "error"], (
        [j["id"], j.get("title") or j["kind"], j["state"], j.get("lane", ""),
         j.get("position"), f"{j['progress']:.0%}", j["project_id"],
         j["version_id"], j["message"], j["error"]] for j in rows)))


@app.command("cancel")
def cancel(job_id: Annotated[int, typer.Argument(help="The job's id (see `lensboard jobs`)")]) -> None:
    """Cancel a queued or running job: a queued one never starts, a running one stops within a batch."""
    job = ApiClient().post(f"/jobs/{job_id}/cancel")
    console.print(f"Cancelled job {job['id']} ({job.get('title') or job['kind']}).")
