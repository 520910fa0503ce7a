"""Attribution methods and their parameters: validated by the API (422) without importing torch.

The worker's implementations (worker/attribution/methods.py) read these same classes, so each
parameter has one definition, one default and one range. Validated parameters (defaults filled
in) are also what the analysis cache is keyed on, so `{}` and the explicit defaults share a result.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MethodName = Literal[
    "integrated_gradients", "gradient_x_input", "saliency", "deeplift", "gradient_shap",
    "occlusion", "lime", "kernel_shap", "counterfactual",
]
DEFAULT_METHOD: MethodName = "integrated_gradients"


class MethodParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntegratedGradientsParams(MethodParams):
    n_steps: int = Field(default=50, ge=2, le=1000)
    # Interpolation points per forward/backward pass: one pass for the default 50 steps.
    internal_batch_size: int = Field(default=50, ge=1, le=1000)
    # When |convergence delta| exceeds the tolerance (probability units), the steps double up to max_steps.
    delta_tolerance: float = Field(default=0.02, gt=0, le=1)
    max_steps: int = Field(default=400, ge=2, le=4000)

    @model_validator(mode="after")
    def _steps_order(self) -> IntegratedGradientsParams:
        if self.max_steps < self.n_steps:
            raise ValueError("max_steps must be >= n_steps")
        return self


class GradientXInputParams(MethodParams):
    pass


class SaliencyParams(MethodParams):
    # Absolute gradients (Simonyan et al.); unsigned, so both classes get the same scores.
    abs: bool = True


class DeepLiftParams(MethodParams):
    pass


class GradientShapParams(MethodParams):
    n_samples: int = Field(default=25, ge=1, le=500)
    stdevs: float = Field(default=0.05, ge=0, le=10)
    seed: int = Field(default=0, ge=0)


class OcclusionParams(MethodParams):
    window: int = Field(default=1, ge=1, le=20)
    stride: int = Field(default=1, ge=1, le=20)
    perturbations_per_eval: int = Field(default=64, ge=1, le=1024)

    @model_validator(mode="after")
    def _stride_fits(self) -> OcclusionParams:
        if self.stride > self.window:
            raise ValueError("stride must be <= window so that every word is occluded")
        return self


class LimeParams(MethodParams):
    n_samples: int = Field(default=300, ge=10, le=5000)
    # Ridge penalty of the interpretable (word-level linear) model, as in the reference LIME.
    alpha: float = Field(default=1.0, ge=0, le=1000)
    kernel_width: float = Field(default=1.0, gt=0, le=100)
    perturbations_per_eval: int = Field(default=64, ge=1, le=1024)
    seed: int = Field(default=0, ge=0)


class KernelShapParams(MethodParams):
    n_samples: int = Field(default=300, ge=10, le=5000)
    perturbations_per_eval: int = Field(default=64, ge=1, le=1024)
    seed: int = Field(default=0, ge=0)


class CounterfactualParams(MethodParams):
    # None removes each word; a word replaces it instead (an unknown word becomes [OOV]).
    replace_with: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"^\S+$")
    batch_size: int = Field(default=64, ge=1, le=1024)


METHODS: dict[str, type[MethodParams]] = {
    "integrated_gradients": IntegratedGradientsParams,
    "gradient_x_input": GradientXInputParams,
    "saliency": SaliencyParams,
    "deeplift": DeepLiftParams,
    "gradient_shap": GradientShapParams,
    "occlusion": OcclusionParams,
    "lime": LimeParams,
    "kernel_shap": KernelShapParams,
    "counterfactual": CounterfactualParams,
}


class UnknownMethod(ValueError):
    pass


def validate_method_params(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The full parameters (defaults filled in), or raise UnknownMethod / ValidationError."""
    cls = METHODS.get(method)
    if cls is None:
        raise UnknownMethod(f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    return cls(**params).model_dump()


__all__ = ["DEFAULT_METHOD", "METHODS", "MethodName", "UnknownMethod", "ValidationError",
           "validate_method_params"]
