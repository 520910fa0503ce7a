"""The analysis cache: one key per (version, epoch, sample or text, method, parameters).

Shared by the API (lookup before queueing a job) and the worker (lookup before computing, store
after), so both agree on what "the same analysis" is.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.core.db.models import Analysis, Checkpoint, ModelVersion


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def cache_key(version_id: int, epoch: int, method: str, params: dict[str, Any], *,
              sample_id: int | None = None, text: str | None = None) -> str:
    """`params` must be the validated ones (defaults filled in), so equal requests hash equally."""
    source = {"sample": sample_id} if sample_id is not None else {"text": text_sha256(text or "")}
    blob = json.dumps({"v": version_id, "e": epoch, "m": method, "p": params, **source},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def find_cached(session: Session, keys: list[str]) -> dict[str, Analysis]:
    found: dict[str, Analysis] = {}
    for start in range(0, len(keys), 500):  # keep IN lists bounded
        rows = session.scalars(select(Analysis).where(Analysis.cache_key.in_(keys[start:start + 500])))
        found.update({a.cache_key: a for a in rows})
    return found


def latest_checkpoint_epoch(session: Session, version: ModelVersion) -> int | None:
    epoch = session.scalar(select(func.max(Checkpoint.epoch)).where(Checkpoint.version_id == version.id))
    return int(epoch) if epoch is not None else None


def has_checkpoint(session: Session, version_id: int, epoch: int) -> bool:
    return session.scalar(select(Checkpoint.id).where(
        Checkpoint.version_id == version_id, Checkpoint.epoch == epoch)) is not None


def store_analysis(session: Session, analysis: Analysis) -> Analysis:
    """Insert, or return the row another worker stored first under the same key (no duplicates)."""
    try:
        with session.begin_nested():
            session.add(analysis)
        return analysis
    except IntegrityError:
        existing = session.scalar(select(Analysis).where(Analysis.cache_key == analysis.cache_key))
        if existing is None:
            raise
        return existing
