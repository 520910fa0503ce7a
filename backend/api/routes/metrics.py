from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from backend.api.deps import SessionDep
from backend.api.routes.versions import get_version_or_404
from backend.db.models import BatchMetric, EpochMetric
from backend.schemas.metrics import BatchMetricOut, BatchMetrics, EpochMetricOut, EpochMetrics

router = APIRouter(tags=["metrics"])


@router.get("/versions/{version_id}/metrics/batches", operation_id="getBatchMetrics")
def batch_metrics(version_id: int, session: SessionDep, epoch: int | None = None) -> BatchMetrics:
    get_version_or_404(session, version_id)
    q = select(BatchMetric).where(BatchMetric.version_id == version_id)
    if epoch is not None:
        q = q.where(BatchMetric.epoch == epoch)
    rows = session.scalars(q.order_by(BatchMetric.step)).all()
    return BatchMetrics(version_id=version_id, items=[BatchMetricOut.model_validate(r) for r in rows])


@router.get("/versions/{version_id}/metrics/epochs", operation_id="getEpochMetrics")
def epoch_metrics(version_id: int, session: SessionDep) -> EpochMetrics:
    get_version_or_404(session, version_id)
    rows = session.scalars(
        select(EpochMetric).where(EpochMetric.version_id == version_id)
        .order_by(EpochMetric.epoch, EpochMetric.split)
    ).all()
    return EpochMetrics(version_id=version_id, items=[EpochMetricOut.model_validate(r) for r in rows])
