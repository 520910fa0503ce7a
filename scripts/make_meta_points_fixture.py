"""Write frontend/src/test/fixtures/points-meta.arrow: a points payload with a number and a text metadata
column, typed and encoded as backend.core.map_points builds and sends them (zstd IPC stream), so the
frontend's decoder is tested against pyarrow's bytes. Run from the repository root."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.core.map_points import encode  # noqa: E402

OUT = ROOT / "frontend" / "src" / "test" / "fixtures" / "points-meta.arrow"


def main() -> None:
    codes = np.array([0, -1, 1, 0, -1, 2], dtype=np.int16)
    source = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int16(), mask=codes < 0),
                                            pa.array(["wire", "blog", "<b>zine</b>"], pa.string()))
    table = pa.table({
        "sample_id": pa.array([10, 11, 12, 13, 14, 15], pa.uint32()),
        "x": pa.array(np.arange(6, dtype=np.float16)),
        "y": pa.array(np.arange(6, dtype=np.float16)),
        "meta:length": pa.array([12, np.nan, 7, 3, 5, 9], pa.float32()),
        "meta:source": source,
    })
    # 30 distinct values in the column, 3 in the payload: the rest are null like missing ones.
    meta = {"version_id": 1, "epoch": 1, "map_id": 1, "classes": ["a", "b", "c"], "metadata_columns": ["length"],
            "categorical_columns": {"source": 30}}
    OUT.write_bytes(encode(table.replace_schema_metadata({"lensboard": json.dumps(meta)}), "zstd"))


if __name__ == "__main__":
    main()
