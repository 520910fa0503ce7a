"""A version's metrics as a TensorBoard run, packed as .tar.gz: open it with `tensorboard --logdir <folder>`.

Scalars `batch/loss`, `batch/accuracy` at each global training step, `epoch/<split>/loss` and
`epoch/<split>/accuracy` at each epoch, and the version's hyperparameters in the HParams dashboard
(scalar values only; lists such as kernel_sizes as text).
"""

from __future__ import annotations

import io
import tarfile
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.services.tensorboard_events import file_version_event, hparams_event, scalars_event
from backend.core.db.models import BatchMetric, EpochMetric, ModelVersion


def event_file(session: Session, version: ModelVersion) -> bytes:
    """The run's one event file, in step order."""
    stamp = version.created_at.timestamp() if version.created_at else time.time()
    out = [file_version_event(stamp)]
    hp: dict[str, Any] = {k: v if isinstance(v, bool | int | float | str) else repr(v)
                          for k, v in (version.hyperparameters or {}).items() if v is not None}
    hp.update(architecture=version.architecture, seed=version.seed)
    out.append(hparams_event(stamp, hp, group=f"version-{version.id}"))
    for step, loss, accuracy in session.execute(
        select(BatchMetric.step, BatchMetric.loss, BatchMetric.accuracy)
        .where(BatchMetric.version_id == version.id).order_by(BatchMetric.step)
    ):
        out.append(scalars_event(stamp, step, {"batch/loss": loss, "batch/accuracy": accuracy}))
    for epoch, split, loss, accuracy, created in session.execute(
        select(EpochMetric.epoch, EpochMetric.split, EpochMetric.loss, EpochMetric.accuracy, EpochMetric.created_at)
        .where(EpochMetric.version_id == version.id).order_by(EpochMetric.epoch, EpochMetric.split)
    ):
        when = created.timestamp() if created else stamp
        out.append(scalars_event(when, epoch, {f"epoch/{split}/loss": loss, f"epoch/{split}/accuracy": accuracy}))
    return b"".join(out)


def tensorboard_archive(session: Session, version: ModelVersion) -> bytes:
    """`version-<id>/events.out.tfevents.<time>.lensboard` in a .tar.gz."""
    data = event_file(session, version)
    stamp = int(version.created_at.timestamp()) if version.created_at else int(time.time())
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(f"version-{version.id}/events.out.tfevents.{stamp}.lensboard")
        info.size, info.mtime, info.mode = len(data), stamp, 0o644
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
