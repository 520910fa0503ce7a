"""`lensboard sweep create|list|show|cancel`: hyperparameter sweeps, one trained version per trial."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from backend.cli.client import ApiClient, CliError
from backend.cli.output import console, fmt, table
from backend.cli.params import parse_assignments
from backend.core.specs.architectures import DEFAULT_ARCHITECTURE

app = typer.Typer(help="Hyperparameter sweeps: a search space trained as one version per trial.",
                  no_args_is_help=True)

# Validation ranks the trials; test is shown beside it as the held-out estimate, never used to choose.
METRICS = ("val_accuracy", "val_loss", "best_val_accuracy", "best_val_loss")
SORTS = (*METRICS, "test_accuracy", "test_loss")


def parse_param(item: str) -> tuple[str, Any]:
    """`name=spec` of `--param`: `a:b` or `a:b:log` is a range (random search), `[...]` a JSON list of
    values, `v1,v2,...` values (each JSON when it parses: 0.1, 3, true, [3,4]), a single value a list of one."""
    name, sep, raw = item.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name or not raw:
        raise CliError(f"--param expects name=values or name=min:max[:log], got {item!r}")
    if raw.startswith("["):
        try:
            values = json.loads(raw)
        except json.JSONDecodeError as e:
            raise CliError(f"--param {name}: {raw!r} is not a JSON list ({e.msg})") from None
        if not isinstance(values, list):
            raise CliError(f"--param {name}: expected a JSON list")
        return name, values
    if ":" in raw:
        parts = raw.split(":")
        log = len(parts) == 3 and parts[2] == "log"
        if len(parts) not in (2, 3) or (len(parts) == 3 and not log):
            raise CliError(f"--param {name}: a range is min:max or min:max:log, got {raw!r}")
        try:
            low, high = (json.loads(p) for p in parts[:2])
        except json.JSONDecodeError:
            raise CliError(f"--param {name}: range bounds must be numbers, got {raw!r}") from None
        return name, {"min": low, "max": high, "log": log}
    return name, [_value(v.strip()) for v in raw.split(",")]


def _value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def build_space(space_file: Path | None, params: list[str]) -> dict[str, Any]:
    """The space from a JSON file, with `--param` entries added (or overriding the file's)."""
    space: dict[str, Any] = {}
    if space_file is not None:
        try:
            loaded = json.loads(space_file.read_text())
        except OSError as e:
            raise CliError(f"cannot read {space_file}: {e.strerror}") from None
        except json.JSONDecodeError as e:
            raise CliError(f"{space_file} is not JSON: {e.msg} (line {e.lineno})") from None
        if not isinstance(loaded, dict):
            raise CliError(f"{space_file} must hold a JSON object: hyperparameter -> values or range")
        space.update(loaded)
    space.update(parse_param(p) for p in params)
    if not space:
        raise CliError("give a search space: --space FILE.json and/or --param name=values")
    return space


def sweep_table(sweep: dict[str, Any]) -> Table:
    """The trials in the API's order (best first by the sort metric); the best trial by the sweep's validation
    metric is starred and bold. Every split is read at the epoch validation picks (column "at epoch")."""
    names = sorted({k for t in sweep["trials"] for k in t["params"]})
    bayes = sweep.get("strategy") == "bayes"
    columns = ["", "trial", "version", "status", "epochs", *(["proposed by"] if bayes else []), *names, "at epoch",
               "val acc", "val loss", "test acc (held-out)", "test loss (held-out)"]
    asked = f", {len(sweep['trials'])} of {sweep['budget']} trials asked" if bayes else ""
    stopped = f" (stopped: {sweep['stopped']})" if sweep.get("stopped") else ""
    t = Table(title=f"Sweep {sweep['id']} ({sweep['name']}): {sweep['status']}{asked}{stopped}, best by "
                    f"{sweep['metric']} (test is the held-out estimate, not used to choose)",
              header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    for trial in sweep["trials"]:
        best = trial["version_id"] == sweep["best_version_id"]
        row = ["★" if best else "", trial["trial_index"], trial["version_id"], trial["status"], _epochs(trial),
               *([trial.get("proposed_by")] if bayes else []), *(_param(trial["params"].get(n)) for n in names),
               _at(trial), trial["val_accuracy"], trial["val_loss"], trial["test_accuracy"], trial["test_loss"]]
        t.add_row(*(fmt(v) for v in row), style="bold green" if best else None)
    return t


def _epochs(trial: dict[str, Any]) -> str:
    """Epochs trained of those asked, and why a trial stopped before them."""
    done = f"{trial['epochs_done']}/{trial['epochs']}"
    if trial.get("pruned"):
        return f"{done} (pruned at epoch {trial['pruned_at_epoch']})"
    return done + (" (early stop)" if trial["stopped_early"] else "")


def _at(trial: dict[str, Any]) -> str:
    """The epoch the trial's figures are read at, and how it was picked."""
    if trial["selected_epoch"] is None:
        return ""
    return f"{trial['selected_epoch']}" + (" (last)" if trial["selected_by"] == "last_epoch" else " (val)")


def _param(value: Any) -> Any:
    """Swept values as given, short: 0.000123 rather than 0.0001 (fmt's four decimals suit metrics)."""
    return f"{value:.3g}" if isinstance(value, float) else value


def create_sweep(api: ApiClient, project: str, body: dict[str, Any]) -> dict[str, Any]:
    target = api.project(project)
    created: dict[str, Any] = api.post(f"/projects/{target['id']}/sweeps", body)
    return created


@app.command("create")
def create(
    project: Annotated[str, typer.Argument(help="Project name or id")],
    space: Annotated[Path | None, typer.Option(help="JSON file: hyperparameter -> list of values or "
                                                     "{min, max, log}")] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", help="name=v1,v2 or name=min:max[:log] (e.g. learning_rate=1e-4:1e-2:log); repeatable")] = None,
    arch: Annotated[str, typer.Option(help="Architecture")] = DEFAULT_ARCHITECTURE,
    strategy: Annotated[str, typer.Option(
        help="grid, random, or bayes (each trial asked from Optuna's TPE once earlier ones reported)")] = "grid",
    budget: Annotated[int | None, typer.Option(
        min=1, help="Trials of a random or Bayesian search; cap of a grid")] = None,
    parallel: Annotated[int | None, typer.Option(
        min=1, help="Bayes: trials training at once (default 1)")] = None,
    startup_trials: Annotated[int | None, typer.Option(
        min=1, help="Bayes: random trials before TPE proposes (default: a third of the budget, 2 to 10)")] = None,
    prune: Annotated[bool, typer.Option(
        help="Median pruning: stop a trial whose validation metric falls behind the median of the completed "
             "trials at the same epoch")] = False,
    prune_warmup: Annotated[int, typer.Option(min=0, help="Pruning: epochs before a trial may be pruned")] = 0,
    prune_min_trials: Annotated[int, typer.Option(
        min=1, help="Pruning: completed trials needed before any is pruned")] = 2,
    epochs: Annotated[int, typer.Option(min=1, help="Epochs per trial (unless the space sets epochs)")] = 2,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Hyperparameter shared by every trial, key=value; repeatable")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Draws the trials and seeds their training")] = 0,
    metric: Annotated[str, typer.Option(
        help=f"What ranks the trials (validation only): {', '.join(METRICS)}")] = "val_accuracy",
    patience: Annotated[int | None, typer.Option(
        min=1, help="Early stopping: stop a trial after this many epochs without improvement")] = None,
    stop_on: Annotated[str, typer.Option(help="Early stopping metric: val_loss or val_accuracy")] = "val_loss",
    name: Annotated[str | None, typer.Option(help="Sweep name")] = None,
    dataset: Annotated[int | None, typer.Option(help="Dataset id (default: the project's latest ready one)")] = None,
) -> None:
    """Create a sweep: one version per trial, each trained by a worker (as many at once as there are workers)."""
    body: dict[str, Any] = {
        "architecture": arch, "space": build_space(space, param or []), "strategy": strategy, "budget": budget,
        "epochs": epochs, "hyperparameters": parse_assignments(set_ or []), "seed": seed, "metric": metric,
        "name": name, "dataset_id": dataset,
        "early_stopping": {"metric": stop_on, "patience": patience} if patience is not None else None,
        "parallel": parallel, "startup_trials": startup_trials,
        "pruning": {"warmup_epochs": prune_warmup, "min_trials": prune_min_trials} if prune else None,
    }
    sweep = create_sweep(ApiClient(), project, body)
    if sweep["strategy"] == "bayes":
        console.print(f"Created sweep {sweep['id']} ({sweep['name']}): {sweep['counts']['total']} of "
                      f"{sweep['budget']} trials asked so far; each next one is asked when a trial finishes.")
    else:
        console.print(f"Created sweep {sweep['id']} ({sweep['name']}) with {sweep['counts']['total']} trials.")
    console.print(sweep_table(sweep))
    console.print(f"Follow it: lensboard sweep show {sweep['id']}; stop it: lensboard sweep cancel {sweep['id']}")


@app.command("list")
def list_sweeps(project: Annotated[str, typer.Argument(help="Project name or id")]) -> None:
    """The project's sweeps with their progress and best trial."""
    api = ApiClient()
    rows = api.get(f"/projects/{api.project(project)['id']}/sweeps")
    console.print(table("Sweeps", ["id", "name", "strategy", "status", "trials", "trained", "pruned", "metric",
                                   "best", "best version"],
                        ([s["id"], s["name"], s["strategy"], s["status"], s["counts"]["total"],
                          s["counts"]["trained"], s["counts"].get("pruned", 0), s["metric"], s["best_value"],
                          s["best_version_id"]]
                         for s in rows)))


@app.command("show")
def show(
    sweep_id: Annotated[int, typer.Argument(help="Sweep id")],
    sort: Annotated[str | None, typer.Option(help=f"Order the trials by {', '.join(SORTS)} or trial")] = None,
) -> None:
    """The trials of a sweep, best first; the best trial is starred."""
    console.print(sweep_table(ApiClient().get(f"/sweeps/{sweep_id}", sort=sort)))


@app.command("cancel")
def cancel(sweep_id: Annotated[int, typer.Argument(help="Sweep id")]) -> None:
    """Stop the trials that have not finished (finished ones are kept)."""
    sweep = ApiClient().post(f"/sweeps/{sweep_id}/cancel")
    counts = sweep["counts"]
    console.print(f"Sweep {sweep_id} cancelled: {counts['cancelled']} trials stopped, "
                  f"{counts['trained']} trained kept.")
