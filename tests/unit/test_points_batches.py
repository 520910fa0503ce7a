"""The points payload arrives in record batches a browser can draw one by one, and says where the whole map lies."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from backend.core.map_points import ROWS_PER_BATCH, decode, encode


def _table(n: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(3.0, 2.0, n).astype(np.float16)
    y = rng.normal(-1.0, 5.0, n).astype(np.float16)
    meta = {"version_id": 7, "epoch": 2, "classes": ["neg", "pos"]}
    schema = pa.schema([pa.field("x", pa.float16()), pa.field("y", pa.float16()), pa.field("label", pa.uint8())],
                       metadata={"lensboard": json.dumps(meta)})
    return pa.Table.from_arrays([pa.array(x), pa.array(y), pa.array(rng.integers(0, 2, n).astype(np.uint8))],
                                schema=schema)


def test_a_large_map_is_streamed_in_batches_with_its_extent_up_front() -> None:
    n = 2 * ROWS_PER_BATCH + 123
    table = _table(n)
    for compression in ("zstd", "none"):
        payload = encode(table, compression)  # type: ignore[arg-type]
        reader = pa.ipc.open_stream(pa.BufferReader(payload))
        # Read from the schema alone, before any batch: what a streaming reader knows first.
        described = json.loads(reader.schema.metadata[b"lensboard"])
        assert described["rows"] == n
        x = table["x"].to_numpy().astype(np.float32)
        y = table["y"].to_numpy().astype(np.float32)
        assert described["extent"] == [float(x.min()), float(x.max()), float(y.min()), float(y.max())]
        # The worker's own metadata stays.
        assert described["version_id"] == 7 and described["classes"] == ["neg", "pos"]
        sizes = [batch.num_rows for batch in reader]
        assert sizes == [ROWS_PER_BATCH, ROWS_PER_BATCH, 123]
        back = decode(payload)
        assert back.num_rows == n
        assert np.array_equal(back["x"].to_numpy(), table["x"].to_numpy())
        assert np.array_equal(back["label"].to_numpy(), table["label"].to_numpy())


def test_a_small_map_is_one_batch_and_an_empty_one_has_no_extent() -> None:
    reader = pa.ipc.open_stream(pa.BufferReader(encode(_table(500), "zstd")))
    assert [b.num_rows for b in reader] == [500]
    empty = pa.ipc.open_stream(pa.BufferReader(encode(_table(0), "none")))
    described = json.loads(empty.schema.metadata[b"lensboard"])
    assert described["rows"] == 0 and "extent" not in described
    assert [b.num_rows for b in empty] == []
