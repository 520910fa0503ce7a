"""Per-epoch checkpoints: model, optimizer and RNG states in the artifact store, plus a Checkpoint row.

The file is written (atomically) before the epoch's database transaction commits, and its row is
part of that transaction: a crash in between leaves an orphan file that the redo overwrites, never a
row pointing at a missing or half-written file.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Any

import torch
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.core.artifacts import get_store
from backend.core.artifacts.keys import checkpoint_key
from backend.core.artifacts.store import ArtifactStore
from backend.core.db.models import Checkpoint, ModelVersion
from backend.core.specs.architectures import as_stored
from worker.models.base import TextClassifier
from worker.models.registry import build_model


@dataclass(frozen=True)
class SavedCheckpoint:
    key: str
    size_bytes: int
    seconds: float


def save_checkpoint(store: ArtifactStore, version: ModelVersion, epoch: int, model: TextClassifier,
                    optimizer: torch.optim.Optimizer, rng_state: dict[str, Any],
                    vocab_size: int) -> SavedCheckpoint:
    start = time.perf_counter()
    payload = {
        "format": 1,
        "version_id": version.id,
        "epoch": epoch,
        "architecture": version.architecture,
        "hyperparameters": dict(version.hyperparameters),
        "vocab_size": vocab_size,
        "num_classes": model.num_classes,
        # CPU copies, so that a checkpoint written on a GPU loads anywhere.
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": _to_cpu(optimizer.state_dict()),
        "rng": rng_state,
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    key = checkpoint_key(version.id, epoch)
    size = store.put_bytes(key, buf.getvalue())
    return SavedCheckpoint(key=key, size_bytes=size, seconds=time.perf_counter() - start)


def record_checkpoint(session: Session, version_id: int, epoch: int, saved: SavedCheckpoint) -> None:
    """Add the Checkpoint row to the caller's transaction (replacing one left by an earlier attempt)."""
    session.execute(delete(Checkpoint).where(Checkpoint.version_id == version_id, Checkpoint.epoch == epoch))
    session.add(Checkpoint(version_id=version_id, epoch=epoch, key=saved.key, size_bytes=saved.size_bytes,
                           seconds=saved.seconds, note=""))


def read_checkpoint(store: ArtifactStore, key: str) -> dict[str, Any]:
    """On the CPU: RNG states must stay CPU tensors; load_state_dict moves weights to their device."""
    data = torch.load(io.BytesIO(store.get_bytes(key)), map_location="cpu", weights_only=True)
    assert isinstance(data, dict)
    return data


def model_from_checkpoint(data: dict[str, Any], device: torch.device | str = "cpu") -> TextClassifier:
    model = build_model(data["architecture"], as_stored(data["architecture"], data["hyperparameters"]),
                        data["vocab_size"], data["num_classes"])
    model.load_state_dict(data["model"])
    return model.to(device)


def checkpoint_for(session: Session, version_id: int, epoch: int) -> Checkpoint:
    row = session.scalars(
        select(Checkpoint).where(Checkpoint.version_id == version_id, Checkpoint.epoch == epoch)
    ).first()
    if row is None:
        raise LookupError(f"version {version_id} has no checkpoint for epoch {epoch}")
    return row


def load_model(session: Session, version_id: int, epoch: int, device: torch.device | str = "cpu",
               store: ArtifactStore | None = None) -> TextClassifier:
    """The version's model as it was after `epoch`, in eval mode."""
    row = checkpoint_for(session, version_id, epoch)
    model = model_from_checkpoint(read_checkpoint(store or get_store(), row.key), device)
    model.eval()
    return model


def _to_cpu(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_cpu(v) for v in obj]
    return obj
