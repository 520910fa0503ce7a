"""The points payload of a population map: every sample as one row of an Arrow table.

Built once by the worker when a map finishes (artifact `<prefix>/points.arrow`, an uncompressed
Arrow IPC stream) and served by the API from an in-process cache (backend.api.services.points_payload),
re-encoded with the requested IPC buffer compression. Narrow types keep 50k points under 1 MB: float16
coordinates and scores, uint8 labels, a dictionary-encoded split.
"""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.artifacts.store import ArtifactStore
from backend.core.db.models import Dataset, Flag, ModelVersion, PopulationMap, Sample, SampleResult
from backend.core.sample_metadata import metadata_kinds, read_metadata

Compression = Literal["lz4", "zstd", "none"]
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
    codes = np.zeros(len(sample_ids), dtype=np.uint8)
    flagged = session.execute(select(Flag.sample_id, Flag.state).where(Flag.project_id == project_id)).all()
    if flagged:
        position = {int(sid): i for i, sid in enumerate(sample_ids)}
        for sid, state in flagged:
            if (i := position.get(int(sid))) is not None:
                codes[i] = FLAG_CODES.get(state, 0)
    return codes


def build_points_table(session: Session, pmap: PopulationMap, store: ArtifactStore) -> pa.Table:
    coords = store.get_array(f"{pmap.artifact_prefix}/coords.npy")
    clusters = store.get_array(f"{pmap.artifact_prefix}/clusters.npy")
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
