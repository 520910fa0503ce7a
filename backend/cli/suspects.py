"""`lensboard suspects rank|export`: start a version's mislabel ranking, and save it as CSV.

Both go through the CLI's one authenticated client (backend/cli/client.py), like every other command:
a command that builds its own HTTP client forgets the token, which is how `suspects` once answered 401
while `projects` worked with the same LENSBOARD_TOKEN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backend.cli.client import ApiClient, CliError
from backend.cli.jobs import follow_job
from backend.cli.output import console
from backend.core.vocabulary import SPLITS

app = typer.Typer(help="Mislabel suspects: rank a version's samples by how likely their label is wrong, "
                       "then export the ranking.", no_args_is_help=True)


def parse_splits(raw: str) -> list[str]:
    """`val,test` -> ["val", "test"]; an unknown or repeated name is an error that names the allowed ones."""
    names = [s.strip() for s in raw.split(",") if s.strip()]
    if not names:
        raise CliError(f"--splits needs at least one of {', '.join(SPLITS)}")
    unknown = [s for s in names if s not in SPLITS]
    if unknown:
        raise CliError(f"--splits: unknown split {unknown[0]!r}; choose from {', '.join(SPLITS)}")
    if len(set(names)) != len(names):
        raise CliError("--splits names a split twice")
    return names


@app.command()
def rank(
    version: Annotated[int, typer.Argument(help="Version id")],
    splits: Annotated[str, typer.Option(help="Comma-separated splits to rank. Only `train` needs the K fold "
                                             "models; val and test use the version itself (out of sample)")]
    = "train,val,test",
    folds: Annotated[int, typer.Option(min=2, max=20, help="K fold models for the train split")] = 5,
    epoch: Annotated[int | None, typer.Option(min=1, help="The version's epoch (default: its latest)")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the job until the ranking is stored")] = False,
) -> None:
    """Rank a version's samples by how likely their label is wrong (a job)."""
    chosen = parse_splits(splits)
    api = ApiClient()
    body: dict[str, object] = {"splits": chosen, "folds": folds}
    if epoch is not None:
        body["epoch"] = epoch
    job = api.post(f"/versions/{version}/suspects", body)
    what = ", ".join(chosen) + (f" ({folds} fold models for train)" if "train" in chosen else "")
    if not wait:
        console.print(f"Started ranking job {job['id']} for version {version}: {what}. "
                      f"Follow it with `lensboard jobs`, then `lensboard suspects export {version} --out FILE`.")
        return
    done = follow_job(api, job, f"rank suspects of version {version}")
    result = done.get("result") or {}
    issues = result.get("label_issues") or {}
    found = ", ".join(f"{split}: {n}" for split, n in issues.items())
    console.print(f"Ranked {result.get('samples', '?')} samples of version {version}"
                  + (f"; likely label issues {found}" if found else "") + ".")


@app.command()
def export(
    version: Annotated[int, typer.Argument(help="Version id")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write")],
    split: Annotated[str | None, typer.Option(help="train, val or test (default: every ranked split)")] = None,
) -> None:
    """Save a version's latest ranking as CSV, most suspect first, one row per ranked sample."""
    if split is not None and split not in SPLITS:
        raise CliError(f"--split: unknown split {split!r}; choose from {', '.join(SPLITS)}")
    api = ApiClient(timeout=120.0)
    path = api.download(f"/versions/{version}/suspects/export", {"split": split}, out)
    with path.open("rb") as f:
        rows = max(sum(1 for _ in f) - 1, 0)  # minus the header; reasons never hold a newline
    console.print(f"wrote {rows} suspects to {path}")
