from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from backend.schemas.common import ORMModel


class TokenizerConfig(BaseModel):
    vocab_size: int = Field(default=20_000, ge=100, le=500_000)
    max_length: int = Field(default=400, ge=8, le=8192)
    lowercase: bool = True


class ImdbImportRequest(BaseModel):
    path: str = Field(min_length=1,
                      description="aclImdb_v1.tar.gz, our labeled subset, or an extracted aclImdb folder")
    name: str = Field(default="IMDB", min_length=1, max_length=200)
    # Validation carved out of train, seeded. A count (>=1) or a fraction (<1).
    # 0.2 of the 25k IMDB train set is the customary 5,000 reviews; a fraction also fits subsets.
    val_size: float = Field(default=0.2, gt=0)
    seed: int = Field(default=0, ge=0)
    # Import only this many reviews per (split, class), chosen with the seed; None imports everything.
    subset_per_class: int | None = Field(default=None, ge=1)
    tokenizer: TokenizerConfig = TokenizerConfig()

    @field_validator("val_size")
    @classmethod
    def _count_or_fraction(cls, v: float) -> float:
        if v >= 1 and v != int(v):
            raise ValueError("val_size must be a whole count (>= 1) or a fraction (< 1)")
        return v


class DatasetOut(ORMModel):
    id: int
    project_id: int
    name: str
    kind: str
    source: str
    status: str
    error: str | None
    classes: list[str]
    config: dict[str, Any]
    stats: dict[str, Any]
    num_samples: int
    created_at: datetime
