from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from backend.api.schemas.common import ORMModel
from backend.core.vocabulary import Split


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


# A split, or every sample.
CurveSplit = Split | Literal["all"]


class CurvePoints(BaseModel):
    """A curve's points for drawing (at most a few hundred: long curves are thinned along their length)."""

    x: list[float]
    y: list[float]


class ClassCurvesOut(BaseModel):
    class_index: int
    class_name: str
    positives: int = Field(description="Samples of this class in the split")
    negatives: int = Field(description="Samples of every other class in the split")
    roc_auc: float | None = Field(description="Area under the ROC curve; null without positives or negatives")
    average_precision: float | None = Field(description="Average precision; null without positives")
    roc: CurvePoints = Field(description="x: false positive rate, y: true positive rate")
    pr: CurvePoints = Field(description="x: recall, y: precision")


class MacroCurvesOut(BaseModel):
    roc_auc: float | None = Field(description="Mean of the per-class ROC AUCs (classes where it is defined)")
    average_precision: float | None = Field(description="Mean of the per-class average precisions")
    classes_averaged: int
    roc: CurvePoints = Field(description="Mean TPR of the classes on one FPR grid")


class CurvesOut(BaseModel):
    """ROC and precision-recall curves of one epoch and split.

    Two classes (`binary`): one curve, p(class 1) ranking class 1 against class 0, and no macro average.
    Three or more (`one_vs_rest`): one curve per class, that class's probability ranking it against
    all the others, and their unweighted (macro) average.
    """

    version_id: int
    epoch: int
    split: CurveSplit
    count: int = Field(description="Samples in the split")
    averaging: Literal["binary", "one_vs_rest"]
    classes: list[str]
    curves: list[ClassCurvesOut]
    macro: MacroCurvesOut | None
