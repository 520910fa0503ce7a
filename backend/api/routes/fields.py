from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import SessionDep
from backend.api.guard import VersionDep
from backend.api.schemas.fields import VersionFieldsOut
from backend.api.services.sample_fields import version_fields

router = APIRouter(tags=["samples"])


@router.get("/versions/{version_id}/fields", operation_id="getVersionFields")
def fields(version: VersionDep, session: SessionDep) -> VersionFieldsOut:
    """The per-sample fields charts can plot (x and y of a scatter) and the map can colour by: loss,
    probabilities, score, length, label, prediction, split, then the dataset's metadata columns
    (`meta:<column>`; numbers, or text as categories). A sample's metadata is in its `meta`."""
    return VersionFieldsOut(version_id=version.id, dataset_id=version.dataset_id,
                            fields=version_fields(session, version))
