"""`lensboard projects [list|create NAME]`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from backend.cli.client import ApiClient
from backend.cli.output import console, table

app = typer.Typer(help="List or create projects.", no_args_is_help=False)


@app.callback(invoke_without_command=True)
def projects(ctx: typer.Context) -> None:
    """List projects (the default), or create one."""
    if ctx.invoked_subcommand is None:
        list_projects()


@app.command("list")
def list_projects() -> None:
    """List projects with their datasets, samples and versions."""
    rows: list[dict[str, Any]] = ApiClient().get("/projects")
    if not rows:
        console.print("No projects yet. Create one with `lensboard projects create NAME` or `lensboard import-imdb`.")
        return
    console.print(table("Projects", ["id", "name", "datasets", "samples", "versions", "last activity"], (
        [p["id"], p["name"], p["summary"]["datasets"], p["summary"]["samples"], p["summary"]["versions"],
         p["summary"]["last_activity"]] for p in rows)))


@app.command("create")
def create_project(
    name: Annotated[str, typer.Argument(help="A unique project name")],
    description: Annotated[str, typer.Option(help="Free text")] = "",
) -> None:
    """Create a project."""
    project = ApiClient().post("/projects", {"name": name, "description": description})
    console.print(f"Created project {project['id']} ({project['name']}).")
