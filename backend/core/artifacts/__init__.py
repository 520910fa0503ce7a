"""The artifact store: one interface (`store.py`) over a local folder or an S3 bucket (`s3.py`, with a
read-through cache of local copies in `cache.py`). `get_store()` gives the one the settings name."""

from __future__ import annotations

from backend.core.artifacts.s3 import S3ArtifactStore
from backend.core.artifacts.store import ArtifactStore, LocalArtifactStore
from backend.core.settings import get_settings


def get_store() -> ArtifactStore:
    settings = get_settings()
    if settings.artifacts.startswith("s3://"):
        return S3ArtifactStore.from_settings(settings)
    return LocalArtifactStore(settings.artifacts)
