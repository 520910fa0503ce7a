from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HealthOut(BaseModel):
    status: Literal["ok"]
    broker: str = Field(description='"ok", or "down: <reason>"')


class ReadinessOut(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, str] = Field(description='database, broker and worker: "ok", or "down: <reason>"')
