"""Flags: project-level marks on samples (suspected / confirmed mislabel / dismissed), with history and undo.

Concurrency: every flag carries a `revision`, sent as the `ETag` header (`"<revision>"`). A PUT, PATCH
or DELETE with `If-Match` is applied only if the flag is still at that revision, else 409 with the
current revision; a request without `If-Match` is last-write-wins. Either way every change is an event
in the flag's history, so an overwritten edit can be seen and undone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.api.auth import SignedInActor
from backend.api.deps import SessionDep
from backend.api.errors import Conflict, NotFound, Unprocessable
from backend.api.guard import (
    BatchDep,
    ProjectDatasetQueryDep,
    ProjectDep,
    ProjectSampleDep,
    checked_body,
    project_in_path,
)
from backend.api.limits import TOO_MANY_DOWNLOADS, heavy_download
from backend.api.schemas.common import Page
from backend.api.schemas.flags import (
    BulkFlagRequest,
    BulkResult,
    FlagEventOut,
    FlagLookup,
    FlagOut,
    FlagPatch,
    FlagPut,
    UndoResult,
)
from backend.api.services import exports
from backend.api.services import flags as svc
from backend.core.class_names import class_name
from backend.core.db.models import Dataset, Flag, FlagEvent, Sample
from backend.core.vocabulary import FlagSource, FlagState, Split

router = APIRouter(tags=["flags"])

IfMatch = Annotated[str | None, Header(description="The flag's ETag; 409 if it changed since")]
BulkBody = Annotated[BulkFlagRequest, Depends(checked_body(BulkFlagRequest, project_in_path))]


def _flag_out(session: Session, flag: Flag, sample: Sample) -> FlagOut:
    out = FlagOut.model_validate(flag)
    out.sample_key, out.split, out.label = sample.key, sample.split, sample.label
    dataset = session.get(Dataset, sample.dataset_id)  # the identity map makes a page's repeats free
    classes = dataset.classes if dataset is not None else []
    out.label_name = class_name(classes, sample.label)
    out.corrected_name = class_name(classes, flag.corrected_label) if flag.corrected_label is not None else None
    return out


def _etag(flag: Flag) -> str:
    return f'"{flag.revision}"'


def _check_if_match(flag: Flag | None, if_match: str | None) -> None:
    if if_match is None or (if_match.strip() == "*" and flag is not None):
        return
    current = _etag(flag) if flag is not None else None
    if if_match.strip().removeprefix("W/") != current:
        raise Conflict("the flag changed since you read it; reload and retry",
                       current_etag=current, revision=flag.revision if flag else None)


def _commit_change(session: Session, project_id: int, sample: Sample, new: dict[str, Any] | None,
                   actor: str, response: Response) -> Flag | None:
    batch = svc.new_batch_id()
    svc.commit_with_retry(session, lambda: svc.apply_change(session, project_id, sample.id, new, actor=actor,
                                                            batch_id=batch))
    flag = svc.get_flag(session, project_id, sample.id)
    if flag is not None:
        response.headers["ETag"] = _etag(flag)
    return flag


def _label_or_422(session: Session, sample: Sample, label: int | None) -> None:
    try:
        svc.check_label(session, sample, label)
    except svc.BadLabel as e:
        raise Unprocessable(str(e)) from e


@router.get("/projects/{project_id}/flags", operation_id="listFlags")
def list_flags(
    project: ProjectDep, session: SessionDep,
    state: FlagState | None = None, source: FlagSource | None = None,
    split: Split | None = None,
    offset: int = Query(default=0, ge=0), limit: int = Query(default=100, ge=1, le=5000),
) -> Page[FlagOut]:
    """The project's flags, newest change first, filtered by state, source and the sample's split."""
    q = select(Flag, Sample).join(Sample, Sample.id == Flag.sample_id).where(Flag.project_id == project.id)
    if state is not None:
        q = q.where(Flag.state == state)
    if source is not None:
        q = q.where(Flag.source == source)
    if split is not None:
        q = q.where(Sample.split == split)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    q = q.order_by(Flag.updated_at.desc(), Flag.id.desc()).offset(offset).limit(limit)
    rows = session.execute(q).all()
    return Page[FlagOut](items=[_flag_out(session, f, s) for f, s in rows], total=total, offset=offset, limit=limit)


@router.get("/projects/{project_id}/flags/export", operation_id="exportFlags",
            response_class=StreamingResponse, dependencies=[heavy_download],
            responses={**TOO_MANY_DOWNLOADS, 200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def export_flags(project: ProjectDep, request: Request,
                 format: Literal["csv", "jsonl"] = "csv") -> StreamingResponse:
    """Every flag of the project, streamed, one per sample (CSV with a header row, or JSON lines)."""
    project_id = project.id
    gen = exports.flags_csv if format == "csv" else exports.flags_jsonl
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(
        _streamed(request, lambda s: gen(s, project_id)), media_type=media,
        headers={"Content-Disposition": f'attachment; filename="project-{project_id}-flags.{format}"'})


@router.get("/projects/{project_id}/cleaned-dataset", operation_id="exportCleanedDataset",
            response_class=StreamingResponse, dependencies=[heavy_download],
            responses={**TOO_MANY_DOWNLOADS, 200: {"content": {"application/gzip": {}, "text/csv": {}}}})
def export_cleaned_dataset(
    project: ProjectDep, request: Request, session: SessionDep, chosen: ProjectDatasetQueryDep,
    format: Literal["tar.gz", "csv"] = "tar.gz",
    suspected: Annotated[Literal["keep", "drop", "relabel"], Query(
        description="SUSPECTED (unreviewed) flags: keep them as labelled, drop them, or keep them with the "
                    "suggested label (the flag's correction, else the latest ranking's suggestion)")] = "keep",
) -> StreamingResponse:
    """The dataset with the project's CONFIRMED flags applied: a flag with a corrected label moves the
    review to that class, a confirmed flag without one removes it. Suspected flags as `suspected` says;
    the `X-Cleaning` header says what was done, in counts.

    `tar.gz` is Stanford's layout, `aclImdb/{train|test}/{class}/{id}_{score}.txt` (validation reviews go
    back to train, where they were carved from); `csv` has one row per kept review with its new and
    original label. Streamed."""
    project_id = project.id
    dataset = chosen or session.scalars(select(Dataset).where(Dataset.project_id == project_id,
                                                              Dataset.status == "ready")
                                        .order_by(Dataset.id.desc())).first()
    if dataset is None:
        raise NotFound("ready dataset in project", project_id)
    if format == "tar.gz" and (bad := exports.unsafe_class(dataset)) is not None:
        raise Conflict(f"class {bad} of dataset {dataset.id} has a name that cannot be a folder in the archive; "
                       "export it as csv instead")
    ds_id = dataset.id
    name = f"project-{project_id}-dataset-{ds_id}-cleaned.{format}"
    plan = exports.cleaning_plan(session, project_id, ds_id, suspected)

    def gen(s: Session) -> Iterator[bytes]:
        ds = s.get(Dataset, ds_id)
        assert ds is not None
        s.expunge(ds)
        yield from (exports.cleaned_targz if format == "tar.gz" else exports.cleaned_csv)(s, ds, plan)

    return StreamingResponse(_streamed(request, gen),
                             media_type="application/gzip" if format == "tar.gz" else "text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{name}"',
                                      "X-Cleaning": plan.summary(),
                                      "Access-Control-Expose-Headers": "X-Cleaning"})


def _streamed(request: Request, body: Any) -> Iterator[bytes]:
    """Run an export on its own session: the request's session may close before the stream ends."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as s:
        yield from body(s)


@router.post("/projects/{project_id}/flags/bulk", operation_id="bulkFlags")
def bulk_flags(project: ProjectDep, body: BulkBody, session: SessionDep, who: SignedInActor) -> BulkResult:
    """Flag or unflag many samples (a lasso selection, the top-N of a ranking) in one transaction.
    All samples must belong to the project (else 404 and nothing changes). Undo it as a whole with
    `POST /projects/{id}/flags/bulk/{batch_id}/undo`."""
    project_id = project.id
    try:
        samples = svc.samples_in_project(session, project_id, body.sample_ids)
    except svc.SampleNotInProject as e:
        raise HTTPException(status_code=404, detail=str(e)) from e
    new: dict[str, Any] | None = None
    if body.action == "flag":
        new = {"state": body.state, "corrected_label": body.corrected_label, "note": body.note,
               "source": body.source}
        if body.corrected_label is not None:
            for s in samples.values():
                _label_or_422(session, s, body.corrected_label)
    batch = svc.new_batch_id()
    events = svc.commit_with_retry(session, lambda: [
        svc.apply_change(session, project_id, sid, new, actor=who, batch_id=batch) for sid in samples])
    changed = [e.sample_id for e in events if e is not None]
    return BulkResult(batch_id=batch, changed=len(changed), sample_ids=changed)


@router.post("/projects/{project_id}/flags/bulk/{batch_id}/undo", operation_id="undoBulkFlags")
def undo_bulk(project: ProjectDep, batch_id: BatchDep, session: SessionDep, who: SignedInActor) -> UndoResult:
    """Revert every change of one bulk operation. 409 if one of its flags changed since."""
    project_id = project.id
    try:
        new_batch, reverted = svc.undo_batch(session, project_id, batch_id, who)
    except svc.NothingToUndo as e:
        raise HTTPException(status_code=404, detail=str(e)) from e
    except svc.UndoConflict as e:
        raise Conflict(str(e)) from e
    session.commit()
    return _undo_result(session, project_id, new_batch, reverted)


def _undo_result(session: Session, project_id: int, batch: str, reverted: list[int]) -> UndoResult:
    sample_ids = session.scalars(select(FlagEvent.sample_id).where(FlagEvent.id.in_(reverted))).all()
    rows = session.execute(
        select(Flag, Sample).join(Sample, Sample.id == Flag.sample_id)
        .where(Flag.project_id == project_id, Flag.sample_id.in_(sample_ids))
    ).all()
    return UndoResult(batch_id=batch, reverted_event_ids=reverted, flags=[_flag_out(session, f, s) for f, s in rows])


@router.get("/projects/{project_id}/flags/{sample_id}", operation_id="getFlag")
def get_flag(project: ProjectDep, sample: ProjectSampleDep, session: SessionDep, response: Response) -> FlagOut:
    """One sample's flag, with its ETag. 404 if the sample is not flagged (or not in the project)."""
    project_id, sample_id = project.id, sample.id
    flag = svc.get_flag(session, project_id, sample_id)
    if flag is None:
        raise NotFound(f"flag on sample {sample_id} in project", project_id)
    response.headers["ETag"] = _etag(flag)
    return _flag_out(session, flag, sample)


@router.get("/projects/{project_id}/flags/{sample_id}/lookup", operation_id="lookupFlag")
def lookup_flag(project: ProjectDep, sample: ProjectSampleDep, session: SessionDep) -> FlagLookup:
    """One sample's flag, or `flag: null` when it has none (404 only for a sample outside the project)."""
    flag = svc.get_flag(session, project.id, sample.id)
    return FlagLookup(flag=None if flag is None else _flag_out(session, flag, sample))


@router.put("/projects/{project_id}/flags/{sample_id}", operation_id="putFlag")
def put_flag(project: ProjectDep, sample: ProjectSampleDep, body: FlagPut, session: SessionDep,
             response: Response, who: SignedInActor, if_match: IfMatch = None) -> FlagOut:
    """Create or replace a sample's flag. 404 for a sample outside the project, 422 for a corrected
    label outside the dataset's classes, 409 on an `If-Match` that is no longer current."""
    project_id, sample_id = project.id, sample.id
    _label_or_422(session, sample, body.corrected_label)
    _check_if_match(svc.get_flag(session, project_id, sample_id, lock=True), if_match)
    new = body.model_dump()
    flag = _commit_change(session, project_id, sample, new, who, response)
    assert flag is not None
    return _flag_out(session, flag, sample)


@router.patch("/projects/{project_id}/flags/{sample_id}", operation_id="patchFlag")
def patch_flag(project: ProjectDep, sample: ProjectSampleDep, body: FlagPatch, session: SessionDep,
               response: Response, who: SignedInActor, if_match: IfMatch = None) -> FlagOut:
    """Change some fields of an existing flag (404 if the sample is not flagged)."""
    project_id, sample_id = project.id, sample.id
    current = svc.get_flag(session, project_id, sample_id, lock=True)
    if current is None:
        raise NotFound(f"flag on sample {sample_id} in project", project_id)
    _check_if_match(current, if_match)
    changes = body.model_dump(exclude_unset=True)
    if any(f in changes and changes[f] is None for f in ("state", "source", "note")):
        raise Unprocessable("state, source and note cannot be null")
    _label_or_422(session, sample, changes.get("corrected_label"))
    flag = _commit_change(session, project_id, sample, {**svc.snapshot(current), **changes},  # type: ignore[dict-item]
                          who, response)
    assert flag is not None
    return _flag_out(session, flag, sample)


@router.delete("/projects/{project_id}/flags/{sample_id}", status_code=204, operation_id="deleteFlag")
def delete_flag(project: ProjectDep, sample: ProjectSampleDep, session: SessionDep, who: SignedInActor,
                if_match: IfMatch = None) -> Response:
    """Unflag a sample. The flag's history stays and the removal can be undone."""
    project_id, sample_id = project.id, sample.id
    current = svc.get_flag(session, project_id, sample_id, lock=True)
    if current is None:
        raise NotFound(f"flag on sample {sample_id} in project", project_id)
    _check_if_match(current, if_match)
    svc.apply_change(session, project_id, sample_id, None, actor=who, batch_id=svc.new_batch_id())
    session.commit()
    return Response(status_code=204)


@router.get("/projects/{project_id}/flags/{sample_id}/history", operation_id="getFlagHistory")
def flag_history(project: ProjectDep, sample: ProjectSampleDep, session: SessionDep) -> list[FlagEventOut]:
    """Every change of the sample's flag, oldest first (including undos and unflags)."""
    events = session.scalars(
        select(FlagEvent).where(FlagEvent.project_id == project.id, FlagEvent.sample_id == sample.id)
        .order_by(FlagEvent.id)
    ).all()
    return [FlagEventOut.model_validate(e) for e in events]


@router.post("/projects/{project_id}/flags/{sample_id}/undo", operation_id="undoFlag")
def undo_flag(project: ProjectDep, sample: ProjectSampleDep, session: SessionDep, who: SignedInActor) -> UndoResult:
    """Revert the latest change of this flag that is still in effect; repeat to walk further back."""
    project_id, sample_id = project.id, sample.id
    try:
        batch, reverted = svc.undo_last(session, project_id, sample_id, who)
    except svc.NothingToUndo as e:
        raise Conflict(str(e)) from e
    session.commit()
    return _undo_result(session, project_id, batch, reverted)
