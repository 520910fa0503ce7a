"""A version's metrics as a TensorBoard run, packed as .tar.gz: open it with `tensorboard --logdir <folder>`.

Scalars `batch/loss`, `batch/accuracy` at each global training step, `epoch/<split>/loss` and
`epoch/<split>/accuracy` at each epoch; the confusion matrix of each held-out split (`confusion/val`,
`confusion/test`) as an image at each epoch; and the version's hyperparameters in the HParams dashboard
(scalar values only; lists such as kernel_sizes as text), with the epoch metrics as its columns.
"""

from __future__ import annotations

import io
import tarfile
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.services.confusion_image import confusion_png
from backend.api.services.tensorboard_events import (
    file_version_event,
    hparams_event,
    hparams_experiment_event,
    hparams_session_end_event,
    image_event,
    scalars_event,
)
from backend.core.class_names import class_name
from backend.core.db.models import BatchMetric, Dataset, EpochMetric, ModelVersion, Sample, SampleResult

# The splits whose confusion matrices are drawn: the held-out ones. Train rows may be relabelled or
# excluded by the version's data fixes, so their stored labels are not what the model trained on.
CONFUSION_SPLITS = ("val", "test")
END_STATUS = {"trained": "success", "failed": "failure", "cancelled": "failure"}


def event_file(session: Session, version: ModelVersion) -> bytes:
    """The run's one event file, in step order."""
    stamp = version.created_at.timestamp() if version.created_at else time.time()
    out = [file_version_event(stamp)]
    hp: dict[str, Any] = {k: v if isinstance(v, bool | int | float | str) else repr(v)
                          for k, v in (version.hyperparameters or {}).items() if v is not None}
    hp.update(architecture=version.architecture, seed=version.seed)
    epoch_rows = session.execute(
        select(EpochMetric.epoch, EpochMetric.split, EpochMetric.loss, EpochMetric.accuracy, EpochMetric.created_at)
        .where(EpochMetric.version_id == version.id).order_by(EpochMetric.epoch, EpochMetric.split)
    ).all()
    splits = sorted({split for _, split, *_ in epoch_rows})
    metrics = [(f"epoch/{split}/{name}", f"{name} on the {split} split at the latest epoch")
               for split in splits for name in ("accuracy", "loss")]
    out.append(hparams_experiment_event(stamp, hp, metrics))
    out.append(hparams_event(stamp, hp, group=f"version-{version.id}"))
    for step, loss, accuracy in session.execute(
        select(BatchMetric.step, BatchMetric.loss, BatchMetric.accuracy)
        .where(BatchMetric.version_id == version.id).order_by(BatchMetric.step)
    ):
        out.append(scalars_event(stamp, step, {"batch/loss": loss, "batch/accuracy": accuracy}))
    when_of: dict[int, float] = {}
    for epoch, split, loss, accuracy, created in epoch_rows:
        when = created.timestamp() if created else stamp
        when_of.setdefault(epoch, when)
        out.append(scalars_event(when, epoch, {f"epoch/{split}/loss": loss, f"epoch/{split}/accuracy": accuracy}))
    out += confusion_events(session, version, when_of, stamp)
    last = max(when_of.values(), default=stamp)
    if version.status in END_STATUS:
        out.append(hparams_session_end_event(last, END_STATUS[version.status]))
    return b"".join(out)


def confusion_matrices(session: Session, version_id: int, classes: int) -> dict[tuple[int, str], list[list[int]]]:
    """(epoch, split) -> matrix[true][predicted] of counts, for the held-out splits, in one grouped query."""
    rows = session.execute(
        select(SampleResult.epoch, Sample.split, Sample.label, SampleResult.prediction, func.count())
        .join(Sample, Sample.id == SampleResult.sample_id)
        .where(SampleResult.version_id == version_id, Sample.split.in_(CONFUSION_SPLITS))
        .group_by(SampleResult.epoch, Sample.split, Sample.label, SampleResult.prediction)
    ).all()
    size = max([classes, 2] + [max(label, pred) + 1 for _, _, label, pred, _ in rows])
    out: dict[tuple[int, str], list[list[int]]] = defaultdict(lambda: [[0] * size for _ in range(size)])
    for epoch, split, label, prediction, count in rows:
        out[(epoch, split)][label][prediction] += count
    return dict(out)


def confusion_events(session: Session, version: ModelVersion, when_of: dict[int, float], stamp: float) -> list[bytes]:
    dataset = session.get(Dataset, version.dataset_id)
    names = list(dataset.classes) if dataset is not None else []
    matrices = confusion_matrices(session, version.id, len(names))
    out = []
    for (epoch, split), matrix in sorted(matrices.items()):
        legend = ", ".join(f"{k} = {class_name(names, k)}" for k in range(len(matrix)))
        encoded, width, height = confusion_png(matrix)
        out.append(image_event(when_of.get(epoch, stamp), epoch, f"confusion/{split}", encoded, width, height,
                               description=f"Confusion matrix on the {split} split: rows are the true class, "
                                           f"columns the predicted one ({legend}); numbers are reviews, the "
                                           "shade is the share of the row."))
    return out


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
