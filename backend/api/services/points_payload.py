"""Serving a map's points payload: the stored table with the project's current flags, encoded as asked.

The table itself (its schema, how it is built and encoded) is backend.core.map_points.
"""

from __future__ import annotations

import gzip

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.schemas.maps import MapPoint
from backend.api.services.lru import LruCache
from backend.core.artifacts.keys import map_array_key, points_key
from backend.core.artifacts.store import ArtifactStore
from backend.core.db.models import Dataset, Flag, FlagEvent, ModelVersion, PopulationMap
from backend.core.map_points import (
    FLAG_FIELD,
    POINTS_SCHEMA,
    Compression,
    build_points_table,
    decode,
    encode,
)
from backend.core.population import load_epoch_samples
from backend.core.vocabulary import FLAG_CODES

MEDIA_TYPE = "application/vnd.apache.arrow.stream"

POINTS_DESCRIPTION = """
All points of a population map in **one Apache Arrow IPC stream** (`application/vnd.apache.arrow.stream`),
one row per sample, ordered by sample index. Read it with `pyarrow.ipc.open_stream(body).read_all()`
or arrow-js `tableFromIPC(bytes)`.

| field | type | meaning |
|---|---|---|
| sample_id | uint32 | id for `/api/samples/{id}` |
| index | uint32 | the sample's position in its dataset |
| x, y | float16 | 2-D map coordinates |
| split | dictionary<int8, utf8> | `train`, `val` or `test` |
| label | uint8 | given label (class index) |
| prediction | uint8 | predicted class at this epoch |
| p_positive | float16 | probability of class 1 (also with more than two classes; see `prediction`) |
| loss | float16 | cross-entropy against the given label |
| score | uint8 | reviewer's 1-10 rating, 0 if unknown |
| token_count | uint16 | tokens before truncation |
| truncated | bool | cut at the dataset's max length |
| flag | uint8 | the project's flag on the sample: 0 none, 1 suspected, 2 confirmed, 3 dismissed |
| cluster | int16 | latent-space cluster (see `/clusters`) |

| meta:&lt;name&gt; | float32 | a custom dataset's numeric metadata column; NaN where a sample has none |
| meta:&lt;name&gt; | dictionary<int16, utf8> | a text metadata column: its 24 commonest values, else null |

Schema metadata (`lensboard`): JSON with version_id, epoch, map_id, classes, metadata_columns (the
names behind the numeric `meta:` columns) and categorical_columns (name of each text `meta:` column ->
how many distinct values it has, kept or not).

`compression` selects the IPC buffer compression: `zstd` (default; 50k points fit in under 1 MB),
`lz4`, or `none`; with
`none` the body is sent with `Content-Encoding: gzip` when the client accepts it.
"""



def flag_states(
    session: Session, project_id: int, sample_ids: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint8]:
    """Per sample flag state: 0 none, 1 suspected, 2 confirmed, 3 dismissed (flags are per project)."""
    codes = np.zeros(len(sample_ids), dtype=np.uint8)
    flagged = session.execute(select(Flag.sample_id, Flag.state).where(Flag.project_id == project_id)).all()
    if flagged:
        position = {int(sid): i for i, sid in enumerate(sample_ids)}
        for sid, state in flagged:
            if (i := position.get(int(sid))) is not None:
                codes[i] = FLAG_CODES.get(state, 0)
    return codes


def flags_stamp(session: Session, project_id: int) -> int:
    """Changes whenever any flag of the project changes: every change is a FlagEvent."""
    return int(session.scalar(select(func.max(FlagEvent.id)).where(FlagEvent.project_id == project_id)) or 0)


def with_current_flags(session: Session, table: pa.Table, project_id: int) -> pa.Table:
    """The stored table with the project's flags now, at the flag column's place in POINTS_SCHEMA.

    Maps stored before the worker left flags out carry a stale flag column: it is replaced."""
    sample_ids = table.column("sample_id").to_numpy().astype(np.int64)
    flags = pa.array(flag_states(session, project_id, sample_ids))
    field = POINTS_SCHEMA.field(FLAG_FIELD)
    if (i := table.schema.get_field_index(FLAG_FIELD)) >= 0:
        return table.set_column(i, field, flags)
    return table.add_column(POINTS_SCHEMA.get_field_index(FLAG_FIELD), field, flags)


def rebuilt_points_table(session: Session, pmap: PopulationMap, store: ArtifactStore) -> pa.Table:
    """A map finished before its points table was stored: build one from its artifacts and the database."""
    version = session.get(ModelVersion, pmap.version_id)
    dataset = session.get(Dataset, version.dataset_id) if version is not None else None
    assert version is not None and dataset is not None
    coords = np.asarray(store.get_array(map_array_key(pmap.artifact_prefix, "coords")), dtype=np.float32)
    clusters = np.asarray(store.get_array(map_array_key(pmap.artifact_prefix, "clusters")), dtype=np.int64)
    return build_points_table(session, pmap, dataset, load_epoch_samples(session, version, pmap.epoch),
                              coords, clusters)


def json_points(table: pa.Table, *, offset: int, limit: int, sample: bool, seed: int) -> tuple[list[MapPoint], bool]:
    """The JSON form of `limit` rows: a page by sample index, or a seeded random subset when `sample` is set
    and there are more rows than that (True second: the rows are a subset). Metadata columns stay out."""
    total = table.num_rows
    sampled = sample and total > limit
    if sampled:
        rows = np.sort(np.random.default_rng(seed).choice(total, size=limit, replace=False))
    else:
        rows = np.arange(offset, min(total, offset + limit))
    data = table.take(rows).to_pydict()
    return [MapPoint(**{k: data[k][i] for k in data}) for i in range(len(rows))], sampled


def points_etag(session: Session, project_id: int, pmap: PopulationMap, compression: Compression,
                gzipped: bool) -> str:
    """What the payload depends on: the map, when it finished, the project's flags, the encoding."""
    finished = pmap.finished_at.timestamp() if pmap.finished_at is not None else 0
    stamp = flags_stamp(session, project_id)
    return f'"{pmap.id}-{finished:.6f}-{stamp}-{compression}{"-gz" if gzipped else ""}"'


class PayloadCache:
    """Encoded payloads per (map id, map finish time, flags, encoding), newest used kept. Thread-safe."""

    def __init__(self, capacity: int = 8) -> None:
        self._cache: LruCache[bytes] = LruCache(capacity)

    def get(
        self,
        session: Session,
        pmap: PopulationMap,
        store: ArtifactStore,
        compression: Compression,
        gzipped: bool = False,
    ) -> bytes:
        version = session.get(ModelVersion, pmap.version_id)
        assert version is not None
        key = (pmap.id, pmap.finished_at, flags_stamp(session, version.project_id), compression, gzipped)

        def load() -> bytes:
            try:
                table = decode(store.get_bytes(points_key(pmap.artifact_prefix)))
            except KeyError:
                table = rebuilt_points_table(session, pmap, store)
            payload = encode(with_current_flags(session, table, version.project_id), compression)
            return gzip.compress(payload, compresslevel=6, mtime=0) if gzipped else payload

        return self._cache.get_or_load(key, load)


payload_cache = PayloadCache()
