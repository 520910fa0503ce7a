from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class ORMModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class Message(BaseModel):
    detail: str


class ErrorOut(BaseModel):
    """Every 4xx body. `errors` lists each invalid field of a 422; a 409 may add what it conflicts with
    (for example the `job_id` of the job already running)."""

    model_config = ConfigDict(extra="allow")

    detail: str
    errors: list[dict[str, Any]] | None = None
