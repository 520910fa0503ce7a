from __future__ import annotations

from pydantic import BaseModel, Field

from backend.core.specs.analysis_methods import MethodName
from backend.core.specs.params import ParamSpec


class ArchitectureSpec(BaseModel):
    name: str = Field(description="What `architecture` takes when creating a version or a sweep")
    title: str
    description: str
    default: bool = Field(description="Whether a version that names no architecture gets this one")
    params: list[ParamSpec] = Field(description="The hyperparameters, each optional (the default applies)")


class AnalysisMethodSpec(BaseModel):
    name: MethodName = Field(description="What `method` takes in an analysis request")
    title: str
    default: bool = Field(description="Whether a request that names no method gets this one")
    params: list[ParamSpec] = Field(description="What `params` takes, each optional (the default applies)")
