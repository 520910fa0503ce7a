"""Writes the Arrow points fixtures the frontend's decoder test reads (src/test/fixtures/).

The payloads come from the backend's own encoder (backend.core.map_points), so the test checks
the real wire format: zstd- and un-compressed IPC streams of the points schema, with two record
batches, every split, a NaN-free float16 range and the schema metadata. Run from the repo root:
    PYTHONPATH=$PWD .venv/bin/python frontend/scripts/make_points_fixture.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from backend.core.map_points import POINTS_SCHEMA, encode
from backend.core.vocabulary import SPLITS

OUT = Path(__file__).resolve().parent.parent / "src" / "test" / "fixtures"


def main() -> None:
    rng = np.random.default_rng(7)
    n = 37
    split = np.arange(n) % 3
    cols = {
        "sample_id": np.arange(100, 100 + n, dtype=np.uint32),
        "index": np.arange(n, dtype=np.uint32),
        "x": (rng.normal(size=n) * 10).astype(np.float16),
        "y": (rng.normal(size=n) * 5).astype(np.float16),
        "label": (np.arange(n) % 2).astype(np.uint8),
        "prediction": (np.arange(n) // 2 % 2).astype(np.uint8),
        "p_positive": rng.uniform(size=n).astype(np.float16),
        "loss": rng.exponential(size=n).astype(np.float16),
        "score": (np.arange(n) % 11).astype(np.uint8),
        "token_count": (np.arange(n) * 37 % 1000).astype(np.uint16),
        "truncated": (np.arange(n) % 5 == 0),
        "flag": (np.arange(n) % 4).astype(np.uint8),
        "cluster": (np.arange(n) % 6 - 1).astype(np.int16),
    }
    arrays = []
    for field in POINTS_SCHEMA:
        if field.name == "split":
            codes = pa.array(split.astype(np.int8))
            arrays.append(pa.DictionaryArray.from_arrays(codes, pa.array(list(SPLITS))))
        else:
            arrays.append(pa.array(cols[field.name], field.type))
    meta = {"version_id": 3, "epoch": 2, "map_id": 9, "classes": ["neg", "pos"]}
    table = pa.Table.from_arrays(arrays, schema=POINTS_SCHEMA.with_metadata({"lensboard": json.dumps(meta)}))
    # Two record batches, so the decoder must stitch chunks (and a bool column at a non-zero bit offset).
    table = pa.concat_tables([table.slice(0, 20), table.slice(20)])
    OUT.mkdir(parents=True, exist_ok=True)
    for compression in ("zstd", "none"):
        sink = pa.BufferOutputStream()
        opts = pa.ipc.IpcWriteOptions(compression=None if compression == "none" else compression)
        with pa.ipc.new_stream(sink, table.schema, options=opts) as w:
            for batch in table.to_batches():
                w.write_batch(batch)
        (OUT / f"points-{compression}.arrow").write_bytes(sink.getvalue().to_pybytes())
    # The encoding the API serves, too (one batch at this size; `rows` and `extent` in the metadata).
    (OUT / "points-api-zstd.arrow").write_bytes(encode(table.combine_chunks(), "zstd"))
    expected = {k: [float(v) for v in cols[k].astype(np.float64)] for k in cols}
    expected["split"] = [float(s) for s in split]
    expected["meta"] = meta  # type: ignore[assignment]
    (OUT / "points-expected.json").write_text(json.dumps(expected, indent=0))


if __name__ == "__main__":
    main()
