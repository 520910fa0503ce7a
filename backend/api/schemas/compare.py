from __future__ import annotations

from pydantic import BaseModel, Field


class SplitFigures(BaseModel):
    accuracy: float
    loss: float
    count: int


class SplitComparison(BaseModel):
    split: str
    a: SplitFigures
    b: SplitFigures
    changed: int = Field(description="Samples whose predicted class differs between a and b")
    fixed: int = Field(description="Wrong in a, right in b (against the dataset's label)")
    broken: int = Field(description="Right in a, wrong in b")


class SampleOutcome(BaseModel):
    loss: float
    p_positive: float
    prediction: int


class ChangedSample(BaseModel):
    sample_id: int
    split: str
    label: int
    label_name: str = ""
    a: SampleOutcome
    b: SampleOutcome


class FlaggedMove(BaseModel):
    """A flagged sample before (a) and after (b). `target` is the corrected label if the flag has one,
    else the dataset's label; `agrees_*` says whether each version predicts it."""

    sample_id: int
    split: str
    state: str
    label: int
    label_name: str = ""
    corrected_label: int | None
    corrected_name: str | None = None
    target: int
    a: SampleOutcome
    b: SampleOutcome
    agrees_a: bool
    agrees_b: bool
    excluded_in_b: bool = False
    relabelled_in_b: bool = False


class FlaggedSummary(BaseModel):
    count: int
    agree_a: int
    agree_b: int
    mean_loss_a: float | None
    mean_loss_b: float | None


class VersionComparison(BaseModel):
    a: int
    b: int
    epoch_a: int
    epoch_b: int
    classes: list[str] = Field(default_factory=list, description="The dataset's class names (index = label)")
    splits: list[SplitComparison]
    changed_total: int
    changed: list[ChangedSample] = Field(description="Samples that changed prediction (up to `limit`)")
    flagged_summary: FlaggedSummary
    flagged: list[FlaggedMove]
