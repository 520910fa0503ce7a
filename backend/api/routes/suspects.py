"""Mislabel suspects of a version: start the ranking (K fold models in parallel), page it, export it."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.api.deps import SessionDep
from backend.api.errors import Conflict, Unprocessable
from backend.api.guard import VersionDep
from backend.api.limits import RATE_LIMITED, TOO_MANY_DOWNLOADS, heavy_download, rate_limit
from backend.api.schemas.jobs import JobOut
from backend.api.schemas.suspects import RankingOut, RankingStatus, SuspectOut, SuspectPage, SuspectsRequest
from backend.api.services.suspects import latest_ranking, suspects_csv
from backend.core.db.models import Dataset, Flag, Job, Sample, SampleResult, SuspectRanking, SuspectScore
from backend.core.jobs.submit import TASK_FOR_KIND, active_job, create_job, enqueue
from backend.core.vocabulary import JobKind, Split

router = APIRouter(tags=["suspects"])


@router.post("/versions/{version_id}/suspects", status_code=202, operation_id="rankSuspects",
             dependencies=[rate_limit("compute")], responses=RATE_LIMITED)
def rank_suspects(version: VersionDep, body: SuspectsRequest, session: SessionDep) -> JobOut:
    """Rank every sample of the version by how likely its label is wrong, as a job.

    Scores come from out-of-sample probabilities: val/test from the version itself; train from K
    fold models (same architecture, hyperparameters, seed and epochs as the version, each trained on
    train minus its fold) that run as K parallel jobs. The job completes when the last fold is done
    and the ranking is stored. 409 while the version has no trained epoch or is already being ranked;
    422 for a dataset of more than two classes (stored results keep p(class 1) only)."""
    version_id = version.id
    dataset = session.get(Dataset, version.dataset_id)
    if dataset is not None and len(dataset.classes) > 2:
        raise Unprocessable(f"mislabel suspects support two classes; dataset {dataset.id} has "
                            f"{len(dataset.classes)} ({', '.join(dataset.classes)})")
    session.execute(select(Job.id).where(Job.version_id == version_id).with_for_update())
    latest = session.scalar(select(func.max(SampleResult.epoch)).where(SampleResult.version_id == version_id))
    if latest is None:
        raise Conflict(f"version {version_id} has no trained epoch yet; train it first", state=version.status)
    epoch = body.epoch or int(latest)
    if epoch > version.epochs_done:
        raise Unprocessable(f"epoch {epoch}: version {version_id} has {version.epochs_done} epochs")
    running = active_job(session, version_id=version_id, kind=JobKind.SUSPECTS)
    if running is not None:
        raise Conflict(f"version {version_id} is already being ranked (job {running.id})", job_id=running.id)
    job = create_job(session, JobKind.SUSPECTS, project_id=version.project_id, version_id=version.id,
                     dataset_id=version.dataset_id, params={"folds": body.folds, "epoch": epoch})
    ranking = SuspectRanking(version_id=version.id, job_id=job.id, epoch=epoch, folds=body.folds,
                             status="running", method={})
    session.add(ranking)
    session.flush()
    job.params = {**job.params, "ranking_id": ranking.id}
    enqueue(session, job, TASK_FOR_KIND[JobKind.SUSPECTS])
    return JobOut.model_validate(job)


def _ranking_or_409(session: Session, version_id: int) -> SuspectRanking:
    ranking = latest_ranking(session, version_id)
    if ranking is None:
        pending = latest_ranking(session, version_id, done=False)
        job = session.get(Job, pending.job_id) if pending is not None and pending.job_id else None
        raise Conflict(f"version {version_id} has no finished suspect ranking"
                       + (f"; job {job.id} is {job.state}" if job else "; rank its suspects first"),
                       job_id=job.id if job else None, state=job.state if job else None)
    return ranking


@router.get("/versions/{version_id}/suspects/status", operation_id="getSuspectRankingStatus")
def suspect_ranking_status(version: VersionDep, session: SessionDep) -> RankingStatus:
    """Whether the version has a finished ranking (the list answers 409 without one), or one being computed."""
    ranking = latest_ranking(session, version.id)
    if ranking is not None:
        return RankingStatus(status="done", ranking=RankingOut.model_validate(ranking), job_id=None)
    pending = latest_ranking(session, version.id, done=False)
    if pending is not None and pending.status == "running":
        return RankingStatus(status="running", ranking=None, job_id=pending.job_id)
    return RankingStatus(status="none", ranking=None, job_id=None)


@router.get("/versions/{version_id}/suspects", operation_id="listSuspects")
def list_suspects(
    version: VersionDep, session: SessionDep, split: Split | None = None,
    offset: int = Query(default=0, ge=0), limit: int = Query(default=50, ge=1, le=5000),
) -> SuspectPage:
    """The latest finished ranking, most suspect first (within a split when `split` is given)."""
    ranking = _ranking_or_409(session, version.id)
    q = (select(SuspectScore, Sample.key, Flag.state)
         .join(Sample, Sample.id == SuspectScore.sample_id)
         .outerjoin(Flag, (Flag.sample_id == SuspectScore.sample_id)
                    & (Flag.project_id == version.project_id))
         .where(SuspectScore.ranking_id == ranking.id))
    if split is not None:
        q = q.where(SuspectScore.split == split)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.execute(q.order_by(SuspectScore.score.desc(), SuspectScore.sample_id)
                           .offset(offset).limit(limit)).all()
    items = [
        SuspectOut(rank=offset + i + 1, sample_id=s.sample_id, key=key, split=s.split, label=s.label,
                   score=s.score, reason=s.reason, p_positive=s.p_positive, loss=s.loss,
                   label_issue=s.label_issue, fold=s.fold, signals=s.signals, flag_state=state)
        for i, (s, key, state) in enumerate(rows)
    ]
    return SuspectPage(ranking=RankingOut.model_validate(ranking), items=items, total=total, offset=offset,
                       limit=limit)


@router.get("/versions/{version_id}/suspects/export", operation_id="exportSuspects",
            response_class=StreamingResponse, dependencies=[heavy_download],
            responses={**TOO_MANY_DOWNLOADS, 200: {"content": {"text/csv": {}}}})
def export_suspects(version: VersionDep, request: Request, session: SessionDep,
                    split: Split | None = None) -> StreamingResponse:
    """CSV `sample_id,score,reason,label,p_positive,loss`, one row for every sample of the split (all
    splits when none is given), most suspect first. p_positive and loss are out of sample."""
    version_id = version.id
    ranking_id = _ranking_or_409(session, version_id).id
    factory: sessionmaker[Session] = request.app.state.session_factory

    def body() -> Iterator[bytes]:
        with factory() as s:
            yield from suspects_csv(s, ranking_id, split)

    name = f"version-{version_id}-suspects{'-' + split if split else ''}.csv"
    return StreamingResponse(body(), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
