"""What the API accepts, described for clients that build forms from it (read-only; any signed-in user)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.schemas.specs import AnalysisMethodSpec, ArchitectureSpec
from backend.core.specs.analysis_methods import DEFAULT_METHOD, METHODS
from backend.core.specs.architectures import ARCHITECTURES, DEFAULT_ARCHITECTURE
from backend.core.specs.params import describe_params

router = APIRouter(tags=["specs"])

# The classes never change while the process runs: describe them once.
_ARCHITECTURES = [
    ArchitectureSpec(name=name, title=cls.title, description=(cls.__doc__ or "").strip(),
                     default=name == DEFAULT_ARCHITECTURE, params=describe_params(cls))
    for name, cls in ARCHITECTURES.items()
]
_METHODS = [
    AnalysisMethodSpec(name=name, title=cls.title, default=name == DEFAULT_METHOD, params=describe_params(cls))
    for name, cls in METHODS.items()
]


@router.get("/architectures", operation_id="listArchitectures")
def list_architectures() -> list[ArchitectureSpec]:
    """Every model architecture with its hyperparameters: type, range or allowed values, default and help,
    from the same definitions that validate a version's hyperparameters. Rules between two parameters
    (e.g. freeze_embeddings needs pretrained_vectors) are checked on creation only (422)."""
    return _ARCHITECTURES


@router.get("/analysis-methods", operation_id="listAnalysisMethods")
def list_analysis_methods() -> list[AnalysisMethodSpec]:
    """Every attribution method with its parameters, from the same definitions that validate an analysis
    request. Parameters marked `advanced` are tuning knobs most analyses leave at their defaults."""
    return _METHODS
