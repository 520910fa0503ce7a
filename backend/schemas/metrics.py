from __future__ import annotations

from pydantic import BaseModel

from backend.schemas.common import ORMModel


class BatchMetricOut(ORMModel):
    epoch: int
    batch: int
    step: int
    loss: float
    accuracy: float
    size: int


class EpochMetricOut(ORMModel):
    epoch: int
    split: str
    loss: float
    accuracy: float
    count: int
    seconds: float


class BatchMetrics(BaseModel):
    version_id: int
    items: list[BatchMetricOut]


class EpochMetrics(BaseModel):
    version_id: int
    items: list[EpochMetricOut]
