"""The points payload of a population map: every sample as one row of an Arrow table.

Built once by the worker when a map finishes, from the arrays it holds (artifact `<prefix>/points.arrow`,
an uncompressed Arrow IPC stream), and served by the API from an in-process cache with the project's
current flags joined (backend.api.services.points_payload), re-encoded with the requested IPC buffer
compression. Narrow types keep 50k points under 1 MB: float16 coordinates and scores, uint8 labels, a
dictionary-encoded split.
"""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from backend.core.db.models import Dataset, PopulationMap
from backend.core.population import EpochSamples
from backend.core.sample_metadata import metadata_kinds, read_metadata
from backend.core.vocabulary import SPLITS

Compression = Literal["lz4", "zstd", "none"]
FLAG_FIELD = "flag"

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
        pa.field(FLAG_FIELD, pa.uint8()),  # 0 none, 1 suspected, 2 confirmed, 3 dismissed: joined when read
        pa.field("cluster", pa.int16()),
    ]
)
# What the worker stores: flags change after the map is built, so the API joins the current ones.
STORED_SCHEMA = pa.schema([f for f in POINTS_SCHEMA if f.name != FLAG_FIELD])
SPLIT_DICTIONARY = pa.array([s.value for s in SPLITS])  # the split column's values, indexed by split code
# A custom dataset's metadata columns follow, one per column the dataset declares.
META_PREFIX = "meta:"

def build_points_table(session: Session, pmap: PopulationMap, dataset: Dataset, samples: EpochSamples,
                       coords: npt.NDArray[np.floating], clusters: npt.NDArray[np.integer]) -> pa.Table:
    """The stored table (STORED_SCHEMA) from what the map holds; reads only the dataset's metadata columns.

    `coords` and `clusters` are by sample index, as the map computed them.
    """
    if len(samples) != len(coords):
        raise ValueError(f"map has {len(coords)} points but the epoch has {len(samples)} results")
    index = samples.index
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
        pa.array(samples.sample_ids, pa.uint32()),
        pa.array(index, pa.uint32()),
        pa.array(coords[index, 0].astype(np.float16)),
        pa.array(coords[index, 1].astype(np.float16)),
        pa.DictionaryArray.from_arrays(pa.array(samples.splits.astype(np.int8), pa.int8()), SPLIT_DICTIONARY),
        pa.array(samples.labels.astype(np.uint8)),
        pa.array(samples.prediction.astype(np.uint8)),
        pa.array(samples.p_positive.astype(np.float16)),
        # float16 tops out at 65504; a loss is never near that, but clip so an inf can't sneak in.
        pa.array(np.clip(samples.loss, 0, 60000).astype(np.float16)),
        pa.array(np.clip(samples.score, 0, 255).astype(np.uint8)),
        pa.array(np.clip(samples.token_count, 0, 65535).astype(np.uint16)),
        pa.array(samples.truncated),
        pa.array(clusters[index].astype(np.int16)),
    ]
    schema = STORED_SCHEMA
    for name, values in columns.numeric.items():
        schema = schema.append(pa.field(f"{META_PREFIX}{name}", pa.float32()))
        arrays.append(pa.array(values[index]))
    for name, column in columns.categorical.items():
        codes = column.codes[index]
        schema = schema.append(pa.field(f"{META_PREFIX}{name}", pa.dictionary(pa.int16(), pa.string())))
        arrays.append(pa.DictionaryArray.from_arrays(pa.array(codes, pa.int16(), mask=codes < 0),
                                                     pa.array(column.values, pa.string())))
    return pa.Table.from_arrays(arrays, schema=schema.with_metadata({"lensboard": json.dumps(metadata)}))



# Record batches of at most this many rows: a browser reading the stream draws the first batch while the
# rest arrive (a 1M-point map is 16 batches); a 50k map stays one batch.
ROWS_PER_BATCH = 65_536


def with_extent(table: pa.Table) -> pa.Table:
    """The table with `rows` and `extent` ([min x, max x, min y, max y]) in its `lensboard` metadata, so
    a reader that draws the first batches places them where the whole map will put them."""
    metadata = dict(table.schema.metadata or {})
    described = json.loads(metadata.get(b"lensboard", b"{}"))
    described["rows"] = len(table)
    if len(table) and "x" in table.column_names and "y" in table.column_names:
        extent: list[float] = []
        for axis in ("x", "y"):
            lo_hi = pc.min_max(table[axis].cast(pa.float32()))
            extent += [float(lo_hi["min"].as_py()), float(lo_hi["max"].as_py())]
        described["extent"] = extent
    metadata[b"lensboard"] = json.dumps(described).encode()
    return table.replace_schema_metadata(metadata)


def encode(table: pa.Table, compression: Compression) -> bytes:
    table = with_extent(table)
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=None if compression == "none" else compression)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table, max_chunksize=ROWS_PER_BATCH)
    return bytes(sink.getvalue().to_pybytes())


def decode(payload: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.BufferReader(payload)).read_all()
