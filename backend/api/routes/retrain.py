"""Retraining a version without its confirmed mislabels: a child version with data fixes, trained."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import SessionDep
from backend.api.errors import Conflict
from backend.api.guard import VersionDep
from backend.api.limits import RATE_LIMITED, rate_limit
from backend.api.lookups import version_out
from backend.api.schemas.jobs import JobOut
from backend.api.schemas.retrain import RetrainOut, RetrainRequest
from backend.api.services.retrain import fixes_from_flags
from backend.core.db.models import ModelVersion
from backend.core.jobs.submit import create_job, enqueue
from backend.core.vocabulary import JobKind

router = APIRouter(tags=["versions"])


@router.post("/versions/{version_id}/retrain", status_code=202, operation_id="retrainVersion",
             dependencies=[rate_limit("train")], responses=RATE_LIMITED)
def retrain(parent: VersionDep, body: RetrainRequest, session: SessionDep) -> RetrainOut:
    """Create a new version (parent = this one; same architecture, hyperparameters and seed) whose
    `data_fixes` come from the project's CONFIRMED flags on train samples, and start training it.
    409 when there is no confirmed flag on a train sample to apply."""
    fixes = fixes_from_flags(session, parent, body.mode)
    if not fixes.data_fixes:
        raise Conflict(f"no confirmed flag on a train sample of version {parent.id}'s dataset to apply",
                       outside_train=fixes.outside_train)
    epochs = body.epochs or max(parent.epochs_done, 1)
    child = ModelVersion(
        project_id=parent.project_id, dataset_id=parent.dataset_id, parent_id=parent.id,
        name=body.name or f"{parent.name}-{body.mode}", architecture=parent.architecture,
        hyperparameters=dict(parent.hyperparameters), seed=parent.seed, status="queued",
        data_fixes=fixes.data_fixes, graph={},
    )
    session.add(child)
    session.flush()
    job = create_job(session, JobKind.TRAIN, project_id=child.project_id, version_id=child.id,
                     dataset_id=child.dataset_id, params={"epochs": epochs})
    enqueue(session, job, on_unsent=lambda: setattr(child, "status", "failed"))
    return RetrainOut(version=version_out(session, child), job=JobOut.model_validate(job),
                      excluded=fixes.excluded, relabelled=fixes.relabelled, outside_train=fixes.outside_train)
