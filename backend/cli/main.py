"""The `lensboard` command: a client of the REST API (LENSBOARD_URL), plus serve/worker/migrate locally."""

from __future__ import annotations

import typer

from backend.cli import datasets, downloads, jobs, local, projects, samples, suspects, sweeps, training, users
from backend.cli.client import CliError
from backend.cli.output import error

app = typer.Typer(
    help="Lensboard: debug and explain text classifiers. The API commands talk to LENSBOARD_URL "
    "(default http://127.0.0.1:8000).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(local.serve)
app.command()(local.worker)
app.command()(local.migrate)
app.add_typer(projects.app, name="projects")
app.command("download-imdb")(datasets.download_imdb)
app.command("import-imdb")(datasets.import_imdb)
app.command("import-dataset")(datasets.import_dataset)
app.command()(training.train)
app.command()(samples.samples)
app.add_typer(jobs.app, name="jobs")
app.add_typer(suspects.app, name="suspects")
app.command()(downloads.download)
app.add_typer(sweeps.app, name="sweep")
app.add_typer(users.app, name="users")
app.command()(users.login)
app.command()(users.logout)


def main() -> None:
    try:
        app()
    except CliError as e:
        error(str(e))
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
