"""Comparing two versions (e.g. before and after retraining without the flagged samples)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from backend.api.auth import VERSION_QUERY
from backend.api.deps import SessionDep
from backend.api.errors import Unprocessable
from backend.api.routes.samples import resolve_epoch
from backend.api.routes.versions import get_version_or_404
from backend.api.schemas.compare import VersionComparison
from backend.api.services.compare import compare_versions

# Included before the versions router: `/versions/compare` must not be taken for `/versions/{id}`.
router = APIRouter(tags=["versions"])


@router.get("/versions/compare", operation_id="compareVersions", openapi_extra=VERSION_QUERY)
def compare(
    session: SessionDep,
    a: int = Query(description="The baseline version"),
    b: int = Query(description="The version compared with it (e.g. retrained)"),
    epoch_a: int | None = Query(default=None, ge=1, description="Default: a's latest evaluated epoch"),
    epoch_b: int | None = Query(default=None, ge=1, description="Default: b's latest evaluated epoch"),
    limit: int = Query(default=200, ge=0, le=50_000, description="How many changed samples to list"),
) -> VersionComparison:
    """Accuracy and loss per split for both versions, the samples whose prediction changed (counted,
    and listed up to `limit`; `fixed` = wrong in a and right in b), and how each flagged sample moved.
    Both versions must be of the same dataset (422 otherwise)."""
    va, vb = get_version_or_404(session, a), get_version_or_404(session, b)
    if va.dataset_id != vb.dataset_id:
        raise Unprocessable(f"versions {a} and {b} are of different datasets; compare within one dataset")
    ea, eb = resolve_epoch(session, va, epoch_a), resolve_epoch(session, vb, epoch_b)
    return compare_versions(session, va, vb, ea, eb, limit)
