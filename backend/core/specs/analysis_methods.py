"""Attribution methods and their parameters: validated by the API (422) without importing torch.

The worker's implementations (worker/attribution/methods.py) read these same classes, so each
parameter has one definition, one default and one range. Validated parameters (defaults filled
in) are also what the analysis cache is keyed on, so `{}` and the explicit defaults share a result.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from backend.core.specs.params import ADVANCED

MethodName = Literal[
    "integrated_gradients", "gradient_x_input", "saliency", "deeplift", "gradient_shap",
    "occlusion", "lime", "kernel_shap", "counterfactual",
]
DEFAULT_METHOD: MethodName = "integrated_gradients"


class MethodParams(BaseModel):
    """A method's parameters. Its `title` names the method to people (GET /api/analysis-methods)."""

    model_config = ConfigDict(extra="forbid")
    title: ClassVar[str]


class IntegratedGradientsParams(MethodParams):
    title = "Integrated Gradients"
    n_steps: int = Field(default=50, ge=2, le=1000, title="steps",
                         description="Points on the path from the baseline (all padding) to the review")
    internal_batch_size: int = Field(default=50, ge=1, le=1000, json_schema_extra=ADVANCED,
                                     title="points per pass",
                                     description="Interpolation points per forward/backward pass: one pass "
                                                 "for the default 50 steps")
    delta_tolerance: float = Field(default=0.02, gt=0, le=1, json_schema_extra=ADVANCED,
                                   title="convergence tolerance",
                                   description="When |convergence delta| exceeds it (probability units), the "
                                               "steps double, up to max_steps")
    max_steps: int = Field(default=400, ge=2, le=4000, json_schema_extra=ADVANCED, title="most steps",
                           description="The ceiling of the doubling (at least n_steps)")

    @model_validator(mode="after")
    def _steps_order(self) -> IntegratedGradientsParams:
        if self.max_steps < self.n_steps:
            raise ValueError("max_steps must be >= n_steps")
        return self


class GradientXInputParams(MethodParams):
    title = "Gradient × input"


class SaliencyParams(MethodParams):
    title = "Saliency"
    abs: bool = Field(default=True, json_schema_extra=ADVANCED, title="absolute",
                      description="Absolute gradients (Simonyan et al.): unsigned, so both classes get the same "
                                  "scores")


class DeepLiftParams(MethodParams):
    title = "DeepLift"


class GradientShapParams(MethodParams):
    title = "GradientShap"
    n_samples: int = Field(default=25, ge=1, le=500, title="samples",
                           description="Random baselines (with noise) whose gradients are averaged")
    stdevs: float = Field(default=0.05, ge=0, le=10, json_schema_extra=ADVANCED, title="noise",
                          description="Standard deviation of the noise added to each sample")
    seed: int = Field(default=0, ge=0, json_schema_extra=ADVANCED, title="seed",
                      description="Seed of the random baselines and noise")


class OcclusionParams(MethodParams):
    title = "Occlusion"
    window: int = Field(default=1, ge=1, le=20, title="window (words)",
                        description="How many consecutive words are hidden at a time")
    stride: int = Field(default=1, ge=1, le=20, json_schema_extra=ADVANCED, title="stride",
                        description="Words between two windows (at most the window, so every word is hidden)")
    perturbations_per_eval: int = Field(default=64, ge=1, le=1024, json_schema_extra=ADVANCED,
                                        title="batch", description="Occluded copies evaluated per forward pass")

    @model_validator(mode="after")
    def _stride_fits(self) -> OcclusionParams:
        if self.stride > self.window:
            raise ValueError("stride must be <= window so that every word is occluded")
        return self


class LimeParams(MethodParams):
    title = "LIME"
    n_samples: int = Field(default=300, ge=10, le=5000, title="samples",
                           description="Perturbed reviews (random words removed) the linear model is fitted on")
    alpha: float = Field(default=1.0, ge=0, le=1000, json_schema_extra=ADVANCED, title="ridge penalty",
                         description="Ridge penalty of the interpretable (word-level linear) model, as in the "
                                     "reference LIME")
    kernel_width: float = Field(default=1.0, gt=0, le=100, json_schema_extra=ADVANCED, title="kernel width",
                                description="Width of the similarity kernel that weighs each perturbed review")
    perturbations_per_eval: int = Field(default=64, ge=1, le=1024, json_schema_extra=ADVANCED, title="batch",
                                        description="Perturbed reviews evaluated per forward pass")
    seed: int = Field(default=0, ge=0, json_schema_extra=ADVANCED, title="seed",
                      description="Seed of the perturbations")


class KernelShapParams(MethodParams):
    title = "KernelSHAP"
    n_samples: int = Field(default=300, ge=10, le=5000, title="samples",
                           description="Coalitions of words evaluated to estimate the Shapley values")
    perturbations_per_eval: int = Field(default=64, ge=1, le=1024, json_schema_extra=ADVANCED, title="batch",
                                        description="Coalitions evaluated per forward pass")
    seed: int = Field(default=0, ge=0, json_schema_extra=ADVANCED, title="seed",
                      description="Seed of the coalitions")


class CounterfactualParams(MethodParams):
    title = "Word removal (counterfactual)"
    replace_with: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"^\S+$",
                                     title="replace with (empty: remove)",
                                     description="One word put in place of each word in turn (an unknown word "
                                                 "becomes [OOV]); none removes each word instead")
    batch_size: int = Field(default=64, ge=1, le=1024, json_schema_extra=ADVANCED, title="batch",
                            description="Edited reviews evaluated per forward pass")


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
