"""`lensboard samples VERSION`: a table of samples sorted by loss (or another key)."""

from __future__ import annotations

from typing import Annotated

import typer

from backend.cli.client import ApiClient
from backend.cli.output import console, table

SORT_KEYS = ("loss", "p_positive", "score", "index", "token_count")


def samples(
    version: Annotated[int, typer.Argument(help="Version id")],
    sort: Annotated[str, typer.Option(help=f"One of {', '.join(SORT_KEYS)}")] = "loss",
    order: Annotated[str, typer.Option(help="desc or asc")] = "desc",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    split: Annotated[str | None, typer.Option(help="train, val or test")] = None,
    epoch: Annotated[int | None, typer.Option(min=1, help="Default: the latest evaluated epoch")] = None,
) -> None:
    """Show a version's samples with their loss at an epoch, hardest first."""
    page = ApiClient().get(f"/versions/{version}/samples", sort=sort, order=order, limit=limit, split=split,
                           epoch=epoch)
    rows = []
    for s in page["items"]:
        r = s.get("result") or {}
        rows.append([s["id"], s["key"], s["split"], s.get("label_name") or s["label"], s["score"], r.get("loss"),
                     r.get("p_label"), r.get("prediction_name") or r.get("prediction"), r.get("correct"),
                     s["preview"][:80]])
    epoch_seen = page["items"][0]["result"]["epoch"] if page["items"] and page["items"][0].get("result") else epoch
    title = f"Version {version}, epoch {epoch_seen}: {len(rows)} of {page['total']} samples by {sort} {order}"
    console.print(table(title, ["id", "key", "split", "label", "score", "loss", "p(label)", "pred", "correct",
                                "preview"], rows))
