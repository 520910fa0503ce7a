from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy import select

from backend.api.deps import SessionDep
from backend.api.errors import Conflict
from backend.api.guard import VersionDep
from backend.api.lookups import resolve_epoch
from backend.api.schemas.metrics import (
    BatchMetricOut,
    BatchMetrics,
    CurvesOut,
    CurveSplit,
    EpochMetricOut,
    EpochMetrics,
)
from backend.api.services.version_curves import CurvesUnavailable, version_curves
from backend.core.artifacts import get_store
from backend.core.db.models import BatchMetric, EpochMetric
from backend.core.vocabulary import Split

router = APIRouter(tags=["metrics"])


@router.get("/versions/{version_id}/metrics/batches", operation_id="getBatchMetrics")
def batch_metrics(version: VersionDep, session: SessionDep, epoch: int | None = None) -> BatchMetrics:
    q = select(BatchMetric).where(BatchMetric.version_id == version.id)
    if epoch is not None:
        q = q.where(BatchMetric.epoch == epoch)
    rows = session.scalars(q.order_by(BatchMetric.step)).all()
    return BatchMetrics(version_id=version.id, items=[BatchMetricOut.model_validate(r) for r in rows])


@router.get("/versions/{version_id}/metrics/epochs", operation_id="getEpochMetrics")
def epoch_metrics(version: VersionDep, session: SessionDep) -> EpochMetrics:
    rows = session.scalars(
        select(EpochMetric).where(EpochMetric.version_id == version.id)
        .order_by(EpochMetric.epoch, EpochMetric.split)
    ).all()
    return EpochMetrics(version_id=version.id, items=[EpochMetricOut.model_validate(r) for r in rows])


@router.get("/versions/{version_id}/metrics/curves", operation_id="getCurves")
def curves(version: VersionDep, session: SessionDep, epoch: int | None = Query(default=None, ge=1),
           split: CurveSplit = Split.TEST) -> CurvesOut:
    """ROC and precision-recall curves with their AUC and average precision, at an epoch (default: the
    latest evaluated) and split. With three or more classes, one class against the rest per class and
    the macro average; 409 for an epoch trained before per-class probabilities were kept."""
    ep = resolve_epoch(session, version, epoch)
    try:
        return version_curves(session, get_store(), version, ep, split)
    except CurvesUnavailable as e:
        raise Conflict(str(e)) from e
