"""Mislabel suspects of a version: start the ranking (K fold models in parallel), page it, export it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.api.deps import SessionDep
from backend.api.errors import Conflict, Unprocessable
from backend.api.guard import VersionDep
from backend.api.limits import RATE_LIMITED, TOO_MANY_DOWNLOADS, heavy_download, rate_limit
from backend.api.schemas.jobs import JobOut
from backend.api.schemas.suspects import (
    FeedbackOut,
    RankingOut,
    RankingStatus,
    ReviewCounts,
    SuspectOut,
    SuspectPage,
    SuspectsRequest,
    SuspectSummary,
    ThresholdEstimate,
)
from backend.api.services import suspect_estimates
from backend.api.services.suspect_feedback import MIN_EACH, refit
from backend.api.services.suspects import latest_ranking, suspects_csv
from backend.core.class_names import class_name
from backend.core.db.models import Dataset, Flag, Job, Sample, SampleResult, SuspectRanking, SuspectScore
from backend.core.jobs.submit import active_job, create_job, enqueue
from backend.core.vocabulary import JobKind, Split

router = APIRouter(tags=["suspects"])


@router.post("/versions/{version_id}/suspects", status_code=202, operation_id="rankSuspects",
             dependencies=[rate_limit("compute")], responses=RATE_LIMITED)
def rank_suspects(version: VersionDep, body: SuspectsRequest, session: SessionDep) -> JobOut:
    """Rank every sample of the version by how likely its label is wrong, as a job.

    Scores come from out-of-sample probabilities: val/test from the version itself; train from K
    fold models (same architecture, hyperparameters, seed and epochs as the version, each trained on
    train minus its fold) that run as K parallel jobs, only when `splits` holds train. The job completes
    when the last fold is done (at once without train) and the ranking is stored. Any number of classes:
    confident learning reads every class's probability. 409 while the version has no trained epoch or is
    already being ranked."""
    version_id = version.id
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
    splits = [str(s) for s in body.splits]
    # val and test are out of sample for the version itself: fold models are for train alone.
    folds = body.folds if Split.TRAIN in body.splits else 0
    job = create_job(session, JobKind.SUSPECTS, project_id=version.project_id, version_id=version.id,
                     dataset_id=version.dataset_id, params={"folds": folds, "epoch": epoch, "splits": splits})
    ranking = SuspectRanking(version_id=version.id, job_id=job.id, epoch=epoch, folds=folds,
                             status="running", method={"splits": splits})
    session.add(ranking)
    session.flush()
    job.params = {**job.params, "ranking_id": ranking.id}
    enqueue(session, job)
    return JobOut.model_validate(job)


def _ranking_or_409(session: Session, version_id: int, split: str | None = None) -> SuspectRanking:
    ranking = latest_ranking(session, version_id, split=split)
    if ranking is None:
        pending = latest_ranking(session, version_id, done=False, split=split)
        job = session.get(Job, pending.job_id) if pending is not None and pending.job_id else None
        start = (f"; rank them first (the dashboard's Suspects panel, or `lensboard suspects rank {version_id}"
                 f"{' --splits ' + split if split else ''}`)")
        raise Conflict(f"version {version_id} has no finished suspect ranking"
                       + (f" of {split}" if split else "")
                       + (f"; job {job.id} is {job.state}" if job else start),
                       job_id=job.id if job else None, state=job.state if job else None)
    return ranking


@router.get("/versions/{version_id}/suspects/status", operation_id="getSuspectRankingStatus")
def suspect_ranking_status(version: VersionDep, session: SessionDep, split: Split | None = None) -> RankingStatus:
    """Whether the version has a finished ranking (of `split`, when given: the list answers 409 without one),
    or one being computed."""
    ranking = latest_ranking(session, version.id, split=split)
    if ranking is not None:
        return RankingStatus(status="done", ranking=RankingOut.model_validate(ranking), job_id=None)
    pending = latest_ranking(session, version.id, done=False, split=split)
    if pending is not None and pending.status == "running":
        return RankingStatus(status="running", ranking=None, job_id=pending.job_id)
    return RankingStatus(status="none", ranking=None, job_id=None)


@router.get("/versions/{version_id}/suspects", operation_id="listSuspects")
def list_suspects(
    version: VersionDep, session: SessionDep, split: Split | None = None,
    offset: int = Query(default=0, ge=0), limit: int = Query(default=50, ge=1, le=5000),
    feedback: bool = Query(default=False, description="Order by a model of the reviewers' decisions so far "
                           "(confirmed vs dismissed flags) on the samples' signals, once each kind has "
                           f"{MIN_EACH}; needs `split`"),
) -> SuspectPage:
    """The latest finished ranking (of `split`, when given), most suspect first."""
    ranking = _ranking_or_409(session, version.id, split)
    dataset = session.get(Dataset, version.dataset_id)
    classes = dataset.classes if dataset is not None else []
    if feedback and split is None:
        raise Unprocessable("feedback re-ranks within one split: give `split`")
    q = (select(SuspectScore, Sample.key, Flag.state, Flag.source)
         .join(Sample, Sample.id == SuspectScore.sample_id)
         .outerjoin(Flag, (Flag.sample_id == SuspectScore.sample_id)
                    & (Flag.project_id == version.project_id))
         .where(SuspectScore.ranking_id == ranking.id))
    if split is not None:
        q = q.where(SuspectScore.split == split)
    ordered = q.order_by(SuspectScore.score.desc(), SuspectScore.sample_id)
    fitted = None
    if feedback:
        every = session.execute(ordered).all()
        fitted = refit([r[0].signals for r in every], np.array([r[0].score for r in every]),
                       [r[2] for r in every])
        total = len(every)
        rows = [every[i] for i in (fitted.order if fitted else range(total))[offset:offset + limit]]
    else:
        total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
        rows = list(session.execute(ordered.offset(offset).limit(limit)).all())
    items = [
        SuspectOut(rank=offset + i + 1, sample_id=s.sample_id, key=key, split=s.split, label=s.label,
                   label_name=class_name(classes, s.label), suggested_label=s.suggested_label,
                   suggested_name=class_name(classes, s.suggested_label) if s.suggested_label is not None else None,
                   p_suggested=s.p_suggested, score=s.score, reason=s.reason, p_positive=s.p_positive,
                   loss=s.loss, label_issue=s.label_issue, fold=s.fold, signals=s.signals, flag_state=state,
                   flag_source=source)
        for i, (s, key, state, source) in enumerate(rows)
    ]
    learned = (FeedbackOut(weights=fitted.weights, confirmed=fitted.confirmed, dismissed=fitted.dismissed)
               if fitted is not None else None)
    return SuspectPage(ranking=RankingOut.model_validate(ranking), items=items, total=total, offset=offset,
                       limit=limit, feedback=learned)


def _counts(decisions: list[bool]) -> ReviewCounts:
    confirmed = sum(decisions)
    return ReviewCounts(confirmed=confirmed, dismissed=len(decisions) - confirmed,
                        precision=confirmed / len(decisions) if decisions else None)


@router.get("/versions/{version_id}/suspects/summary", operation_id="summarizeSuspects")
def summarize_suspects(
    version: VersionDep, session: SessionDep, split: Split = Split.TRAIN,
    threshold: float = Query(default=0.9, ge=0.0, le=1.0, description="Count the suspects scored at or above "
                             "this"),
) -> SuspectSummary:
    """How many of the split's suspects pass `threshold`, the estimated precision and recall there, and the
    precision so far among the reviewed suspects (confirmed / (confirmed + rejected))."""
    ranking = _ranking_or_409(session, version.id, split)
    in_split = (SuspectScore.ranking_id == ranking.id) & (SuspectScore.split == split)
    total = session.scalar(select(func.count()).select_from(SuspectScore).where(in_split)) or 0
    passing = session.scalar(select(func.count()).select_from(SuspectScore)
                             .where(in_split, SuspectScore.score >= threshold)) or 0
    decided = session.execute(
        select(SuspectScore.score, Flag.state)
        .join(Flag, (Flag.sample_id == SuspectScore.sample_id) & (Flag.project_id == version.project_id))
        .where(in_split, Flag.state.in_(("confirmed", "dismissed")))).all()
    above = [state == "confirmed" for score, state in decided if score >= threshold]
    below = [state == "confirmed" for score, state in decided if score < threshold]
    est = suspect_estimates.estimate(total, passing, above, below)
    return SuspectSummary(
        ranking=RankingOut.model_validate(ranking), split=split, threshold=threshold, total=total,
        passing=passing, reviewed=_counts(above + below), reviewed_passing=_counts(above),
        estimate=ThresholdEstimate(precision=est.precision, precision_source=est.precision_source,
                                   recall=est.recall, recall_source=est.recall_source,
                                   benchmark=suspect_estimates.BENCH_NOTE) if est is not None else None)


@router.get("/versions/{version_id}/suspects/export", operation_id="exportSuspects",
            response_class=StreamingResponse, dependencies=[heavy_download],
            responses={**TOO_MANY_DOWNLOADS, 200: {"content": {"text/csv": {}}}})
def export_suspects(version: VersionDep, request: Request, session: SessionDep,
                    split: Split | None = None) -> StreamingResponse:
    """CSV, one row for every ranked sample of the split (every ranked split when none is given), most
    suspect first: `sample_id,score,reason,label,p_positive,loss,split,label_name,suggested_label,
    suggested_name,p_suggested`. Probabilities and loss are out of sample; p_positive is p(class 1)."""
    version_id = version.id
    ranking_id = _ranking_or_409(session, version_id, split).id
    dataset = session.get(Dataset, version.dataset_id)
    classes = list(dataset.classes) if dataset is not None else []
    factory: sessionmaker[Session] = request.app.state.session_factory

    def body() -> Iterator[bytes]:
        with factory() as s:
            yield from suspects_csv(s, ranking_id, split, classes)

    name = f"version-{version_id}-suspects{'-' + split if split else ''}.csv"
    return StreamingResponse(body(), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
