"""Comparing two versions (e.g. before and after retraining without the flagged samples)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.api.deps import SessionDep
from backend.api.errors import Unprocessable
from backend.api.guard import query_row
from backend.api.lookups import resolve_epoch
from backend.api.schemas.compare import VersionComparison
from backend.api.services.compare import compare_versions
from backend.core.db.models import ModelVersion

# Included before the versions router: `/versions/compare` must not be taken for `/versions/{id}`.
router = APIRouter(tags=["versions"])

VersionA = Annotated[ModelVersion, Depends(query_row("version", "a", "The baseline version"))]
VersionB = Annotated[ModelVersion, Depends(query_row("version", "b", "The version compared with it (e.g. retrained)"))]


@router.get("/versions/compare", operation_id="compareVersions")
def compare(
    session: SessionDep,
    va: VersionA,
    vb: VersionB,
    epoch_a: int | None = Query(default=None, ge=1, description="Default: a's latest evaluated epoch"),
    epoch_b: int | None = Query(default=None, ge=1, description="Default: b's latest evaluated epoch"),
    limit: int = Query(default=200, ge=0, le=50_000, description="How many changed samples to list"),
) -> VersionComparison:
    """Accuracy and loss per split for both versions, the samples whose prediction changed (counted,
    and listed up to `limit`; `fixed` = wrong in a and right in b), and how each flagged sample moved.
    Both versions must be of the same dataset (422 otherwise)."""
    if va.dataset_id != vb.dataset_id:
        raise Unprocessable(f"versions {va.id} and {vb.id} are of different datasets; compare within one dataset")
    ea, eb = resolve_epoch(session, va, epoch_a), resolve_epoch(session, vb, epoch_b)
    return compare_versions(session, va, vb, ea, eb, limit)
