"""An uploaded source, kept in the artifact store between the API (which takes the upload) and the worker
(which imports it): workers share the store, not the API's disk. A custom source is staged as its
validated records; an IMDB archive as the archive itself, which the worker reads as it reads a path."""

from __future__ import annotations

import gzip
import json
from dataclasses import asdict
from typing import BinaryIO

from backend.core.artifacts.keys import archive_key, source_key
from backend.core.artifacts.store import ArtifactStore
from backend.core.data.records import SourceData, SourceRecord


def save_archive(store: ArtifactStore, dataset_id: int, stream: BinaryIO) -> int:
    """Stage an uploaded IMDB archive (streamed: never whole in memory)."""
    return store.put_stream(archive_key(dataset_id), stream)


def save_source(store: ArtifactStore, dataset_id: int, source: SourceData) -> None:
    """Line 1: classes and metadata columns; then one record per line."""
    head = {"classes": source.classes, "metadata_columns": source.metadata_columns}
    lines = [json.dumps(head)] + [json.dumps(asdict(r), ensure_ascii=False) for r in source.records]
    store.put_bytes(source_key(dataset_id), gzip.compress("\n".join(lines).encode(), compresslevel=3))


def load_source(store: ArtifactStore, dataset_id: int) -> SourceData:
    try:
        raw = store.get_bytes(source_key(dataset_id))
    except KeyError as e:
        raise ValueError(f"dataset {dataset_id}: its uploaded source is gone from the artifact store") from e
    lines = gzip.decompress(raw).decode().split("\n")
    head = json.loads(lines[0])
    records = [SourceRecord(**json.loads(line)) for line in lines[1:]]
    return SourceData(records=records, classes=list(head["classes"]),
                      metadata_columns=dict(head["metadata_columns"]))
