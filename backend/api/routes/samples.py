from __future__ import annotations

from datetime import datetime
from typing import Annotated

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
from backend.api.services.dataset_rows import dataset_rows
from backend.api.services.epoch_table import EpochTable, epoch_tables, load_table
from backend.api.services.sample_order import sample_orders
from backend.api.services.sample_rows import meta_fields, page_body, result_out, rows_from_db
from backend.core.artifacts import get_store
from backend.core.artifacts.keys import class_probs_key
from backend.core.artifacts.store import ArtifactStore
from backend.core.class_names import class_name
from backend.core.class_probabilities import keeps_class_probabilities
from backend.core.db.models import Dataset, ModelVersion, Sample, SampleResult

router = APIRouter(tags=["samples"])


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
    body: bytes | None = None
    # The dashboard's table (any sort, at most a split filter) pages through a cached order instead, and
    # assembles the page from the epoch's table (the fast path then answers any page of it from memory).
    if stamp is not None and not q.filtered:
        order_ids = sample_orders.get((version.id, ep, stamp, q.split, q.sort, q.order),
                                      lambda: list(session.scalars(ordered)))
        table = _epoch_table(session, version, ep, stamp)
        body = table.page(order_ids, offset, limit) if table is not None else None
        total, ids = len(order_ids), order_ids[offset:offset + limit].tolist()
    else:
        total = session.scalar(select(func.count()).select_from(results.subquery())) or 0
        ids = list(session.scalars(ordered.offset(offset).limit(limit)))
    if body is None:
        body = page_body(rows_from_db(session, version.id, ep, ids), total, offset, limit)
    remember(request, version.id, q.epoch, ep, stamp)
    return Response(body, media_type="application/json")


def _epoch_table(session: Session, version: ModelVersion, ep: int, stamp: datetime) -> EpochTable | None:
    """The epoch's table, read now if missing; None while its dataset's rows file is being written."""
    key = (version.id, ep, stamp)
    if (table := epoch_tables.peek(key)) is not None:
        return epoch_tables.get(key, lambda: table)  # marks it recently used
    rows = dataset_rows.get(session, version.dataset_id)
    if rows is None:
        return None
    classes = session.get_one(Dataset, version.dataset_id).classes
    return epoch_tables.get(key, lambda: load_table(session, version.id, ep, classes, rows))


def _class_row(store: ArtifactStore, version_id: int, epoch: int, index: int) -> list[float] | None:
    """One sample's row of an epoch's (N, C) probabilities, read through a memory map, not the whole array."""
    try:
        probs = store.get_array(class_probs_key(version_id, epoch), mmap=True)
    except KeyError:
        return None
    return [float(p) for p in probs[index]] if 0 <= index < len(probs) else None


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
        results = [result_out(r, sample.label, dataset.classes) for r in rows]
        if keeps_class_probabilities(len(dataset.classes)):
            store = get_store()
            for out in results:
                out.probabilities = _class_row(store, version.id, out.epoch, sample.index)
    label_name = class_name(dataset.classes, sample.label)
    return SampleDetail(**meta_fields(sample), label_name=label_name, text=sample.text, meta=sample.meta,
                        dataset_id=sample.dataset_id, classes=dataset.classes, results=results)
