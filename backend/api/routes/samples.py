from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.deps import SessionDep
from backend.api.errors import NotFound
from backend.api.guard import SampleDep, VersionDep, VersionQueryDep
from backend.api.lookups import resolve_epoch_stamp
from backend.api.samples_fast_path import remember
from backend.api.schemas.common import Page
from backend.api.schemas.samples import SampleDetail, SampleResultOut, SampleRow, SamplesQuery
from backend.api.services.sample_order import sample_orders
from backend.api.services.sample_rows import encode_row, page_body, sample_rows
from backend.core.artifacts import get_store
from backend.core.artifacts.keys import class_probs_key
from backend.core.artifacts.store import ArtifactStore
from backend.core.class_names import class_name
from backend.core.class_probabilities import keeps_class_probabilities
from backend.core.db.models import Dataset, ModelVersion, Sample, SampleResult

router = APIRouter(tags=["samples"])

PREVIEW_CHARS = 160
ROW_CHUNK = 500  # rows encoded together when a page of a cached order misses (about 25 ms on PostgreSQL)


def _preview(text: str) -> str:
    flat = text.replace("<br />", " ").replace("<br/>", " ")
    return flat[:PREVIEW_CHARS] + ("…" if len(flat) > PREVIEW_CHARS else "")


def _result(r: Any, label: int, classes: list[str]) -> SampleResultOut:
    """A SampleResult, or any row with its columns, as the API's result."""
    return SampleResultOut(epoch=r.epoch, loss=r.loss, p_positive=r.p_positive, p_label=r.p_label,
                           prediction=r.prediction, prediction_name=class_name(classes, r.prediction),
                           correct=r.prediction == label)


@router.get("/versions/{version_id}/samples", operation_id="listSamples", response_model=Page[SampleRow])
def list_samples(
    request: Request,
    version: VersionDep,
    session: SessionDep,
    q: Annotated[SamplesQuery, Query()],
) -> Response:
    """Samples of the version's dataset with their results at an epoch, loss-descending by default."""
    # The fast path (backend/api/samples_fast_path.py) parses the same query with the same model.
    ep, stamp = resolve_epoch_stamp(session, version, q.epoch)
    results = select(SampleResult.sample_id).where(SampleResult.version_id == version.id,
                                                   SampleResult.epoch == ep)
    sample_filters = []
    if q.split is not None:
        sample_filters.append(Sample.split == q.split)
    if q.label is not None:
        sample_filters.append(Sample.label == q.label)
    if q.score is not None:
        sample_filters.append(Sample.score == q.score)
    if q.min_score is not None:
        sample_filters.append(Sample.score >= q.min_score)
    if q.max_score is not None:
        sample_filters.append(Sample.score <= q.max_score)
    if q.correct is not None:
        sample_filters.append((SampleResult.prediction == Sample.label) == q.correct)
    column = {
        "loss": SampleResult.loss, "p_positive": SampleResult.p_positive, "score": Sample.score,
        "index": Sample.index, "token_count": Sample.token_count,
    }[q.sort]
    # Without a filter or sort on the sample, count and page on sample_result alone (index-only scans of
    # (version, epoch, loss|p_positive, sample_id)); joining every skipped row to `sample` is what made
    # deep pages slow. The tie-break, sample_id, runs in the sort's direction so that the index is read
    # in one direction with no sort step (samples are numbered in index order at import).
    if sample_filters or q.sort in ("score", "index", "token_count"):
        results = results.join(Sample, Sample.id == SampleResult.sample_id).where(*sample_filters)
    descending = q.order == "desc"
    ordered = results.order_by(*(c.desc() if descending else c.asc() for c in (column, SampleResult.sample_id)))
    offset, limit = q.offset, q.limit
    # The dashboard's table (any sort, at most a split filter) pages through a cached order instead.
    if stamp is not None and not q.filtered:
        order_ids = sample_orders.get((version.id, ep, stamp, q.split, q.sort, q.order),
                                      lambda: list(session.scalars(ordered)))
        total = len(order_ids)
        ids = order_ids[offset:offset + limit].tolist()
        # Encode the whole stretch of the order around the page: the next pages (and, through the fast
        # path, any page within it) are then answered from memory, and an epoch's rows are all encoded
        # after total / ROW_CHUNK misses instead of total / limit.
        start, end = offset // ROW_CHUNK * ROW_CHUNK, -(-(offset + limit) // ROW_CHUNK) * ROW_CHUNK
        stretch = order_ids[start:end].tolist()
    else:
        total = session.scalar(select(func.count()).select_from(results.subquery())) or 0
        ids = stretch = list(session.scalars(ordered.offset(offset).limit(limit)))
    body = page_body(_encoded_rows(session, version.id, ep, stamp, ids, stretch), total, offset, limit)
    remember(request, version.id, q.epoch, ep, stamp)
    return Response(body, media_type="application/json")


def _encoded_rows(session: Session, version_id: int, ep: int, stamp: datetime | None, ids: list[int],
                  stretch: list[int]) -> list[bytes]:
    """The rows' JSON, from the epoch's row cache where it has them (see sample_rows); the missing rows of
    `stretch` (which holds `ids`) are encoded and kept on the way. An epoch without a stamp is never
    kept, so only `ids` are encoded then."""
    if stamp is None:
        rows: dict[int, bytes] = {}
        _encode_rows(session, version_id, ep, ids, rows)
        return [rows[sid] for sid in ids]
    entry = sample_rows.epoch((version_id, ep, stamp))
    if any(sid not in entry.rows for sid in stretch):
        with entry.filling:  # another request may be encoding them right now: then they are there after
            _encode_rows(session, version_id, ep, [sid for sid in stretch if sid not in entry.rows], entry.rows)
    return [entry.rows[sid] for sid in ids]


def _encode_rows(session: Session, version_id: int, ep: int, ids: list[int], into: dict[int, bytes]) -> None:
    if not ids:
        return
    # Plain columns, not ORM objects, and no more text than a preview can need: 1000 characters hold more
    # than PREVIEW_CHARS even with every "<br />" removed.
    result_cols = (SampleResult.epoch, SampleResult.loss, SampleResult.p_positive, SampleResult.p_label,
                   SampleResult.prediction)
    dataset_id = session.scalar(select(ModelVersion.dataset_id).where(ModelVersion.id == version_id))
    dataset = session.get(Dataset, dataset_id)
    classes = dataset.classes if dataset is not None else []
    for row in session.execute(
        select(*(getattr(Sample, f) for f in META_FIELDS), func.substr(Sample.text, 1, 1000).label("head"),
               Sample.meta, *result_cols)
        .join(SampleResult, SampleResult.sample_id == Sample.id)
        .where(SampleResult.version_id == version_id, SampleResult.epoch == ep, Sample.id.in_(ids))
    ):
        into[row.id] = encode_row(SampleRow(**_meta(row), label_name=class_name(classes, row.label),
                                            preview=_preview(row.head), meta=row.meta,
                                            result=_result(row, row.label, classes)))


META_FIELDS = ("id", "index", "key", "split", "label", "score", "movie_id", "word_count", "token_count",
               "oov_count", "truncated")


def _class_row(store: ArtifactStore, version_id: int, epoch: int, index: int) -> list[float] | None:
    """One sample's row of an epoch's (N, C) probabilities, read through a memory map, not the whole array."""
    try:
        probs = store.get_array(class_probs_key(version_id, epoch), mmap=True)
    except KeyError:
        return None
    return [float(p) for p in probs[index]] if 0 <= index < len(probs) else None


def _meta(sample: Any) -> dict[str, object]:
    """A Sample, or any row with its META_FIELDS columns."""
    return {f: getattr(sample, f) for f in META_FIELDS}


@router.get("/samples/{sample_id}", operation_id="getSample")
def get_sample(sample: SampleDep, session: SessionDep, version: VersionQueryDep) -> SampleDetail:
    """One sample with its text and metadata; with `version_id`, its results at every evaluated epoch."""
    dataset = session.get(Dataset, sample.dataset_id)
    assert dataset is not None
    results: list[SampleResultOut] = []
    if version is not None:
        if version.dataset_id != sample.dataset_id:
            raise NotFound(f"sample {sample.id} in version", version.id)
        rows = session.scalars(
            select(SampleResult).where(SampleResult.version_id == version.id, SampleResult.sample_id == sample.id)
            .order_by(SampleResult.epoch)
        ).all()
        results = [_result(r, sample.label, dataset.classes) for r in rows]
        if keeps_class_probabilities(len(dataset.classes)):
            store = get_store()
            for out in results:
                out.probabilities = _class_row(store, version.id, out.epoch, sample.index)
    label_name = class_name(dataset.classes, sample.label)
    return SampleDetail(**_meta(sample), label_name=label_name, text=sample.text, meta=sample.meta,
                        dataset_id=sample.dataset_id, classes=dataset.classes, results=results)
