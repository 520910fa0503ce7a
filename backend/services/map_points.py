"""The points payload of a population map: every sample as one row of an Arrow table.

Built once by the worker when a map finishes (artifact `<prefix>/points.arrow`, an uncompressed
Arrow IPC stream) and served by the API from an in-process cache, re-encoded with the requested
IPC buffer compression. Narrow types keep 50k points under 1 MB: float16 coordinates and scores,
uint8 labels, a dictionary-encoded split.
"""

from __future__ import annotations

import gzip
import json
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.artifacts import ArtifactStore
from backend.db.models import Dataset, PopulationMap, Sample, SampleResult
from backend.services.lru import LruCache
from backend.services.sample_metadata import metadata_kinds, read_metadata

Compression = Literal["lz4", "zstd", "none"]
MEDIA_TYPE = "application/vnd.apache.arrow.stream"
SPLITS = ("train", "val", "test")

POINTS_SCHEMA = pa.schema(
    [
        pa.field("sample_id", pa.uint32()),
        pa.field("index", pa.uint32()),
        pa.field("x", pa.float16()),
        pa.field("y", pa.float16()),
        pa.field("split", pa.dictionary(pa.int8(), pa.string())),
        pa.field("label", pa.uint8()),
        pa.field("prediction", pa.uint8()),
        pa.field("p_positive", pa.float16()),
        pa.field("loss", pa.float16()),
        pa.field("score", pa.uint8()),  # reviewer's 1-10; 0 when unknown
        pa.field("token_count", pa.uint16()),
        pa.field("truncated", pa.bool_()),
        pa.field("flag", pa.uint8()),  # 0 none, 1 suspected, 2 confirmed, 3 dismissed
        pa.field("cluster", pa.int16()),
    ]
)

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


def map_prefix(version_id: int, epoch: int) -> str:
    return f"versions/{version_id}/epoch_{epoch}/map"


def latent_key(version_id: int, epoch: int) -> str:
    """The reduced latent vectors (N, D) float16 of an epoch, row i = sample index i."""
    return f"versions/{version_id}/epoch_{epoch}/latent.npy"


FLAG_CODES = {"suspected": 1, "confirmed": 2, "dismissed": 3}


def flag_states(
    session: Session, project_id: int, sample_ids: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint8]:
    """Per sample flag state: 0 none, 1 suspected, 2 confirmed, 3 dismissed (flags are per project)."""
    from backend.db.models.flags import Flag

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
    from backend.db.models.flags import FlagEvent

    return int(session.scalar(select(func.max(FlagEvent.id)).where(FlagEvent.project_id == project_id)) or 0)


def with_current_flags(session: Session, table: pa.Table, project_id: int) -> pa.Table:
    """The stored payload is built when the map is; flags move later, so their column is refreshed."""
    sample_ids = table.column("sample_id").to_numpy().astype(np.int64)
    i = table.schema.get_field_index("flag")
    return table.set_column(i, table.schema.field(i), pa.array(flag_states(session, project_id, sample_ids)))


def build_points_table(session: Session, pmap: PopulationMap, store: ArtifactStore) -> pa.Table:
    coords = store.get_array(f"{pmap.artifact_prefix}/coords.npy")
    clusters = store.get_array(f"{pmap.artifact_prefix}/clusters.npy")
    from backend.db.models import ModelVersion

    version = session.get(ModelVersion, pmap.version_id)
    assert version is not None
    dataset = session.get(Dataset, version.dataset_id)
    assert dataset is not None
    rows = session.execute(
        select(
            Sample.id,
            Sample.index,
            Sample.split,
            Sample.label,
            Sample.score,
            Sample.token_count,
            Sample.truncated,
            SampleResult.prediction,
            SampleResult.p_positive,
            SampleResult.loss,
        )
        .join(SampleResult, SampleResult.sample_id == Sample.id)
        .where(SampleResult.version_id == pmap.version_id, SampleResult.epoch == pmap.epoch)
        .order_by(Sample.index)
    ).all()
    if len(rows) != len(coords):
        raise ValueError(f"map has {len(coords)} points but the epoch has {len(rows)} results")
    cols: list[tuple[object, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in range(10)]
    sample_ids = np.asarray(cols[0], dtype=np.int64)
    index = np.asarray(cols[1], dtype=np.int64)
    split_codes = np.asarray([SPLITS.index(s) for s in cols[2]], dtype=np.int8)
    numeric, categorical = metadata_kinds(dataset.metadata_columns)
    columns = read_metadata(session, dataset.id, numeric, categorical, int(index.max(initial=-1)) + 1)
    metadata = {
        "version_id": pmap.version_id,
        "epoch": pmap.epoch,
        "map_id": pmap.id,
        "classes": dataset.classes,
        "metadata_columns": numeric,
        "categorical_columns": {name: c.distinct for name, c in columns.categorical.items()},
    }
    arrays = [
        pa.array(sample_ids, pa.uint32()),
        pa.array(index, pa.uint32()),
        pa.array(coords[index, 0].astype(np.float16)),
        pa.array(coords[index, 1].astype(np.float16)),
        pa.DictionaryArray.from_arrays(pa.array(split_codes, pa.int8()), pa.array(list(SPLITS))),
        pa.array(np.asarray(cols[3], dtype=np.uint8)),
        pa.array(np.asarray(cols[7], dtype=np.uint8)),
        pa.array(np.asarray(cols[8], dtype=np.float32).astype(np.float16)),
        # float16 tops out at 65504; a loss is never near that, but clip so an inf can't sneak in.
        pa.array(np.clip(np.asarray(cols[9], dtype=np.float32), 0, 60000).astype(np.float16)),
        pa.array(np.clip(np.asarray([s or 0 for s in cols[4]], dtype=np.int64), 0, 255).astype(np.uint8)),
        pa.array(np.clip(np.asarray(cols[5], dtype=np.int64), 0, 65535).astype(np.uint16)),
        pa.array(np.asarray(cols[6], dtype=bool)),
        pa.array(flag_states(session, version.project_id, sample_ids)),
        pa.array(clusters[index].astype(np.int16)),
    ]
    schema = POINTS_SCHEMA
    for name, values in columns.numeric.items():
        schema = schema.append(pa.field(f"{META_PREFIX}{name}", pa.float32()))
        arrays.append(pa.array(values[index]))
    for name, column in columns.categorical.items():
        codes = column.codes[index]
        schema = schema.append(pa.field(f"{META_PREFIX}{name}", pa.dictionary(pa.int16(), pa.string())))
        arrays.append(pa.DictionaryArray.from_arrays(pa.array(codes, pa.int16(), mask=codes < 0),
                                                     pa.array(column.values, pa.string())))
    return pa.Table.from_arrays(arrays, schema=schema.with_metadata({"lensboard": json.dumps(metadata)}))


META_PREFIX = "meta:"


def encode(table: pa.Table, compression: Compression) -> bytes:
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=None if compression == "none" else compression)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table, max_chunksize=len(table) or None)
    return bytes(sink.getvalue().to_pybytes())


def decode(payload: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.BufferReader(payload)).read_all()


def points_key(pmap: PopulationMap) -> str:
    return f"{pmap.artifact_prefix}/points.arrow"


class PayloadCache:
    """Encoded payloads per (map id, map finish time, encoding), newest used kept. Thread-safe."""

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
        from backend.db.models import ModelVersion

        version = session.get(ModelVersion, pmap.version_id)
        assert version is not None
        key = (pmap.id, pmap.finished_at, flags_stamp(session, version.project_id), compression, gzipped)
        def load() -> bytes:
            try:
                table = with_current_flags(session, decode(store.get_bytes(points_key(pmap))), version.project_id)
            except KeyError:
                table = build_points_table(session, pmap, store)
            payload = encode(table, compression)
            return gzip.compress(payload, compresslevel=6, mtime=0) if gzipped else payload

        return self._cache.get_or_load(key, load)


payload_cache = PayloadCache()
