"""What a person calls a job: "Mislabel ranking: fold 2 of 5", not `suspects_fold` (the jobs tray, the CLI)."""

from __future__ import annotations

from typing import Any

from backend.core.vocabulary import JobKind


def job_title(kind: str, params: dict[str, Any]) -> str:
    epoch = params.get("epoch")
    at_epoch = f", epoch {epoch}" if isinstance(epoch, int) else ""
    if kind == JobKind.IMPORT:
        return "Dataset import"
    if kind == JobKind.TRAIN:
        epochs = params.get("epochs")
        return f"Training: {epochs} epoch{'s' if epochs != 1 else ''}" if isinstance(epochs, int) else "Training"
    if kind == JobKind.ANALYZE:
        method = str(params.get("method") or "").replace("_", " ")
        count = len(params.get("sample_ids") or [])
        what = "edited text" if "text" in params else f"{count} sample{'s' if count != 1 else ''}"
        return f"Analysis{': ' + method if method else ''} of {what}{at_epoch}"
    if kind == JobKind.MAP:
        return f"Population map{': epoch ' + str(epoch) if isinstance(epoch, int) else ''}"
    if kind == JobKind.SUSPECTS:
        return f"Mislabel ranking{at_epoch}"
    if kind == JobKind.SUSPECTS_FOLD:
        fold, folds = params.get("fold"), params.get("folds")
        if isinstance(fold, int) and isinstance(folds, int):
            return f"Mislabel ranking: fold {fold + 1} of {folds}"
        return "Mislabel ranking: fold"
    if kind == JobKind.EVAL_SHARD:
        shard, shards = params.get("shard"), params.get("shards")
        part = f": part {shard + 1} of {shards}" if isinstance(shard, int) and isinstance(shards, int) else ""
        return f"Evaluation{at_epoch}{part}"
    return kind.replace("_", " ").capitalize()
