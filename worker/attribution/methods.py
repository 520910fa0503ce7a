"""The attribution methods, all through Captum on the embedding layer of a TextClassifier.

Each method returns one score per model-visible token and per class ("toward class c ↑").
Layer methods (Integrated Gradients, gradient x input) hook `model.embedding`; the others take
the embedding output as their input through `forward_embedded` (EmbeddedProbabilities), which is
how GradientShap, DeepLift, Occlusion, LIME and KernelSHAP perturb the embedding space. The
[PAD] embedding is the baseline: it stands for "no word here".
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from captum._utils.models.linear_model import SkLearnLinearRegression, SkLearnRidge
from captum.attr import (
    DeepLift,
    GradientShap,
    KernelShap,
    LayerGradientXActivation,
    LayerIntegratedGradients,
    Lime,
    Occlusion,
    Saliency,
)
from captum.attr._core.lime import get_exp_kernel_similarity_function
from torch import Tensor

from backend.core.specs.analysis_methods import (
    CounterfactualParams,
    DeepLiftParams,
    GradientShapParams,
    GradientXInputParams,
    IntegratedGradientsParams,
    KernelShapParams,
    LimeParams,
    MethodParams,
    OcclusionParams,
    SaliencyParams,
)
from backend.core.text.tokenizer import PAD_ID
from worker.attribution.forward import predict_ids
from worker.attribution.heads import EmbeddedProbabilities, TokenProbabilities
from worker.models.base import TextClassifier

Scores = npt.NDArray[np.float64]


@dataclass
class Inputs:
    """One text as the model sees it: (1, T) token ids and (1,) length."""

    model: TextClassifier
    ids: Tensor
    lengths: Tensor
    replacement_id: int | None = None  # counterfactual: the id replacing each word

    @property
    def num_classes(self) -> int:
        return int(self.model.num_classes)

    def embedded(self) -> Tensor:
        with torch.no_grad():
            # A leaf that requires grad: gradient methods differentiate with respect to it.
            emb: Tensor = self.model.embedding(self.ids)
            return emb.detach().requires_grad_()

    def baseline_ids(self) -> Tensor:
        return torch.full_like(self.ids, PAD_ID)

    def baseline_embedded(self) -> Tensor:
        with torch.no_grad():
            emb: Tensor = self.model.embedding(self.baseline_ids())
            return emb.detach()

    def width(self) -> int:
        """Width of the embedding layer's output per token (the n-gram model's is word | pair, 2 x dim)."""
        return int(self.baseline_embedded().shape[-1])

    def word_mask(self) -> Tensor:
        """Captum feature mask with one interpretable feature per token (all its embedding dims)."""
        t, e = self.ids.shape[1], self.width()
        return torch.arange(t).view(1, t, 1).expand(1, t, e).contiguous()


@dataclass
class Attribution:
    scores: Scores  # (C, T): toward each class
    extras: dict[str, Any] = field(default_factory=dict)


def _per_token_sum(attr: Tensor) -> Scores:
    """Gradient-style attributions add up over embedding dims (this keeps completeness)."""
    return attr.detach().sum(-1)[0].double().cpu().numpy()  # type: ignore[no-any-return]


def _per_token_value(attr: Tensor) -> Scores:
    """Perturbation methods give every dim of a word the word's value: read it back once."""
    return attr.detach().mean(-1)[0].double().cpu().numpy()  # type: ignore[no-any-return]


def _both_classes(inp: Inputs, toward: Callable[[int], Scores], unsigned: bool = False) -> Scores:
    """Scores toward every class. With two classes p0 = 1 - p1 (see heads.py), so one run does."""
    if inp.num_classes == 2:
        s1 = toward(1)
        return np.stack([s1 if unsigned else -s1, s1])
    return np.stack([toward(c) for c in range(inp.num_classes)])


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    # Sampling methods must be reproducible (cache, what-if == stored) without disturbing global RNG.
    # Captum draws from both torch and numpy (e.g. GradientShap's interpolation points).
    np_state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(np_state)


def _parts(inp: Inputs, attr: Tensor) -> dict[str, Scores]:
    """Per-position scores of each part of an embedding output made of named parts side by side (the
    n-gram model's word | pair vectors): which of a position's credit goes to its word, which to its pair."""
    names: list[str] = list(getattr(inp.model, "embedding_parts", []))
    if len(names) < 2:
        return {}
    chunks = attr.detach()[0].double().cpu().chunk(len(names), dim=-1)
    return {name: chunk.sum(-1).numpy() for name, chunk in zip(names, chunks, strict=True)}


def integrated_gradients(inp: Inputs, p: IntegratedGradientsParams) -> Attribution:
    lig = LayerIntegratedGradients(TokenProbabilities(inp.model), inp.model.embedding)
    steps, deltas = p.n_steps, {}
    parts: dict[int, dict[str, Scores]] = {}

    def toward(target: int) -> Scores:
        nonlocal steps
        while True:
            attr, delta = lig.attribute(
                inp.ids, baselines=inp.baseline_ids(), additional_forward_args=(inp.lengths,), target=target,
                n_steps=steps, internal_batch_size=min(p.internal_batch_size, steps),
                return_convergence_delta=True,
            )
            d = float(delta.abs().max())
            # Completeness is off by |delta|: refine the integral until it is within tolerance.
            if d <= p.delta_tolerance or steps >= p.max_steps:
                deltas[target] = float(delta.reshape(-1)[0])
                parts[target] = _parts(inp, attr)
                return _per_token_sum(attr)
            steps = min(steps * 2, p.max_steps)

    scores = _both_classes(inp, toward)
    delta = max(deltas.values(), key=abs)
    extras: dict[str, Any] = {"convergence_delta": delta, "n_steps": steps,
                              "converged": abs(delta) <= p.delta_tolerance}
    if not extras["converged"]:
        # The integral stopped at max_steps still off by more than the tolerance: the scores do not add
        # up to the change in probability, and the view must say so rather than show them as exact.
        extras["warning"] = (f"Integrated Gradients did not converge: the scores miss the change in "
                             f"probability by {abs(delta):.4f} (tolerance {p.delta_tolerance:g}) after "
                             f"{steps} steps (max_steps); raise max_steps or read them as approximate")
    if parts.get(1):
        # Toward class 1 as computed; toward class 0 is its negative with two classes (see _both_classes).
        for name, s1 in parts[1].items():
            extras[f"{name}_scores"] = (np.stack([-s1, s1]) if inp.num_classes == 2
                                        else np.stack([parts[c][name] for c in range(inp.num_classes)])).tolist()
    return Attribution(scores, extras)


def gradient_x_input(inp: Inputs, p: GradientXInputParams) -> Attribution:
    method = LayerGradientXActivation(TokenProbabilities(inp.model), inp.model.embedding)
    return Attribution(_both_classes(inp, lambda t: _per_token_sum(
        method.attribute(inp.ids, target=t, additional_forward_args=(inp.lengths,)))))


def saliency(inp: Inputs, p: SaliencyParams) -> Attribution:
    method = Saliency(EmbeddedProbabilities(inp.model))
    return Attribution(_both_classes(inp, lambda t: _per_token_sum(
        method.attribute(inp.embedded(), target=t, abs=p.abs, additional_forward_args=(inp.lengths,))),
        unsigned=p.abs))


def deeplift(inp: Inputs, p: DeepLiftParams) -> Attribution:
    method = DeepLift(EmbeddedProbabilities(inp.model))
    deltas: list[float] = []

    def toward(t: int) -> Scores:
        with warnings.catch_warnings():  # Captum announces its temporary hooks on every call
            warnings.filterwarnings("ignore", message="Setting forward, backward hooks")
            attr, delta = method.attribute(inp.embedded(), baselines=inp.baseline_embedded(), target=t,
                                           additional_forward_args=(inp.lengths,),
                                           return_convergence_delta=True)
        deltas.append(float(delta.reshape(-1)[0]))
        return _per_token_sum(attr)

    scores = _both_classes(inp, toward)
    return Attribution(scores, {"convergence_delta": max(deltas, key=abs)})


def gradient_shap(inp: Inputs, p: GradientShapParams) -> Attribution:
    method = GradientShap(EmbeddedProbabilities(inp.model))

    def toward(t: int) -> Scores:
        with _seeded(p.seed):
            attr = method.attribute(inp.embedded(), baselines=inp.baseline_embedded(), target=t,
                                    n_samples=p.n_samples, stdevs=p.stdevs,
                                    additional_forward_args=(inp.lengths,))
        return _per_token_sum(attr)

    return Attribution(_both_classes(inp, toward))


def occlusion(inp: Inputs, p: OcclusionParams) -> Attribution:
    method = Occlusion(EmbeddedProbabilities(inp.model))
    t_len, e = inp.ids.shape[1], inp.width()
    window = min(p.window, t_len)
    stride = min(p.stride, window)
    return Attribution(_both_classes(inp, lambda t: _per_token_value(method.attribute(
        inp.embedded(), sliding_window_shapes=(window, e), strides=(stride, e),
        baselines=inp.baseline_embedded(), target=t, additional_forward_args=(inp.lengths,),
        perturbations_per_eval=p.perturbations_per_eval))), {"window": window, "stride": stride})


def _surrogate(method: Lime | KernelShap, inp: Inputs, n_samples: int, per_eval: int, seed: int) -> Scores:
    def toward(t: int) -> Scores:
        with _seeded(seed):
            attr = method.attribute(inp.embedded(), baselines=inp.baseline_embedded(), target=t,
                                    additional_forward_args=(inp.lengths,), feature_mask=inp.word_mask(),
                                    n_samples=n_samples, perturbations_per_eval=per_eval,
                                    return_input_shape=True, show_progress=False)
        return _per_token_value(attr)

    return _both_classes(inp, toward)


def lime(inp: Inputs, p: LimeParams) -> Attribution:
    model = SkLearnRidge(alpha=p.alpha) if p.alpha > 0 else SkLearnLinearRegression()
    method = Lime(EmbeddedProbabilities(inp.model), interpretable_model=model,
                  similarity_func=get_exp_kernel_similarity_function("cosine", p.kernel_width))
    return Attribution(_surrogate(method, inp, p.n_samples, p.perturbations_per_eval, p.seed))


def kernel_shap(inp: Inputs, p: KernelShapParams) -> Attribution:
    method = KernelShap(EmbeddedProbabilities(inp.model))
    return Attribution(_surrogate(method, inp, p.n_samples, p.perturbations_per_eval, p.seed))


def counterfactual(inp: Inputs, p: CounterfactualParams) -> Attribution:
    """Not Captum: p(class) with each word removed (or replaced), in batched forward passes.

    Score toward class c = p_c(text) - p_c(edited text): what the word adds to that class.
    """
    ids = inp.ids[0].tolist()
    edits = []
    for i in range(len(ids)):
        if inp.replacement_id is None:
            edits.append(ids[:i] + ids[i + 1:])
        else:
            edits.append([*ids[:i], inp.replacement_id, *ids[i + 1:]])
    probs = predict_ids(inp.model, [ids, *edits], batch_size=p.batch_size)
    scores = (probs[0][None, :] - probs[1:]).T  # (C, T)
    return Attribution(np.ascontiguousarray(scores), {"counterfactual_probabilities": probs[1:].tolist()})


METHOD_IMPLS: dict[str, Callable[[Inputs, Any], Attribution]] = {
    "integrated_gradients": integrated_gradients,
    "gradient_x_input": gradient_x_input,
    "saliency": saliency,
    "deeplift": deeplift,
    "gradient_shap": gradient_shap,
    "occlusion": occlusion,
    "lime": lime,
    "kernel_shap": kernel_shap,
    "counterfactual": counterfactual,
}


def attribute(method: str, inp: Inputs, params: MethodParams) -> Attribution:
    return METHOD_IMPLS[method](inp, params)
