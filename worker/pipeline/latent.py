"""The multi-layer latent space: pooled activations of every named layer, each standardised, reduced
and weighted so that every layer counts equally, then concatenated.

Why all layers: the last layer only shows what the classifier already decided; earlier layers show
what the network sees (vocabulary, phrases), which is where duplicates and odd sub-populations hide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from sklearn.decomposition import PCA
from torch import Tensor, nn

from backend.core.text.token_store import TokenArrays
from worker.models.base import TextClassifier
from worker.pipeline.batching import collate

FloatArray = npt.NDArray[np.float32]


class LayerPooling:
    """Forward hooks that pool every latent layer with the model's own `pool` while a batch runs, and
    place each batch's vectors at its rows: {layer name: (n, D)}, in the model's layer order.

    One mechanism for the per-epoch evaluation (which keeps them for the map) and for `extract_pooled`.
    Usage: `with LayerPooling(model, n) as pooling:` then, per batch, `logits = pooling.forward(ids, lengths)`
    and `pooling.after(positions)`. A model with `fused_pooling` computes the pooled vectors itself
    (`forward_pooled`), so no hook is registered for it.
    """

    def __init__(self, model: TextClassifier, n: int, dtype: npt.DTypeLike = np.float32) -> None:
        self.model, self.n, self.dtype = model, n, np.dtype(dtype)
        self.layers = model.latent_layers()
        self.out: dict[str, npt.NDArray[Any]] = {}
        self._batch: dict[str, Tensor] = {}
        self._lengths: Tensor | None = None
        self._handles: list[Any] = []

    def __enter__(self) -> LayerPooling:
        if not self.model.fused_pooling:
            self._handles = [m.register_forward_hook(self._hook(name)) for name, m in self.layers.items()]
        return self

    def __exit__(self, *_: object) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def _hook(self, name: str) -> Any:
        def hook(_: nn.Module, __: Any, output: Tensor) -> None:
            assert self._lengths is not None
            self._batch[name] = self.model.pool(name, output, self._lengths).float()

        return hook

    def forward(self, token_ids: Tensor, lengths: Tensor) -> Tensor:
        """The model's logits for one batch, its layers' pooled vectors kept for `after`."""
        if self.model.fused_pooling:
            logits, pooled = self.model.forward_pooled(token_ids, lengths)
            self._batch = {name: pooled[name].float() for name in self.layers}
            return logits
        self.before(lengths)
        return self.model(token_ids, lengths)  # type: ignore[no-any-return]

    def before(self, lengths: Tensor) -> None:
        """For a caller that runs the model itself (hooks only: not for a model with `fused_pooling`)."""
        self._lengths = lengths
        self._batch.clear()

    def after(self, positions: npt.NDArray[np.int64]) -> None:
        for name in self.layers:
            vec = self._batch[name].detach().cpu().numpy()
            if name not in self.out:
                self.out[name] = np.empty((self.n, vec.shape[1]), dtype=self.dtype)
            self.out[name][positions] = vec


@torch.inference_mode()
def extract_pooled(
    model: TextClassifier,
    arrays: TokenArrays,
    rows: Sequence[int] | npt.NDArray[np.int64],
    batch_size: int = 512,
    device: str | torch.device = "cpu",
) -> dict[str, FloatArray]:
    """One pooled vector per sample and latent layer: {layer name: (len(rows), D) float32}, row-aligned.

    Batches are sorted by length so padding stays small. The per-epoch evaluation keeps the same
    vectors (see `evaluate`), so a map usually reads them instead of running this.
    """
    rows = np.asarray(rows, dtype=np.int64)
    was_training = model.training
    model.eval()
    order = np.argsort(arrays.lengths[rows], kind="stable")
    try:
        with LayerPooling(model, len(rows)) as pooling:
            for start in range(0, len(rows), batch_size):
                pos = order[start : start + batch_size]
                ids, lengths = collate(arrays, rows[pos], model.min_length())
                pooling.forward(ids.to(device), lengths.to(device))
                pooling.after(pos)
    finally:
        model.train(was_training)
    return pooling.out


@dataclass(frozen=True)
class LayerSummary:
    name: str
    raw_dims: int
    dims: int
    explained_variance: float  # fraction of the standardised layer's variance kept by the reduction
    weight: float  # scale applied after reduction so that the layer's block has total variance 1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LatentSpace:
    vectors: FloatArray  # (N, D): the concatenated, weighted blocks
    layers: list[LayerSummary]

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])


def reduce_layer(x: FloatArray, dims: int, seed: int) -> tuple[FloatArray, float]:
    """Standardise each feature, then PCA (randomized SVD) to at most `dims` components."""
    x = x.astype(np.float32, copy=False)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    live = std > 1e-6  # dead ReLU filters are constant: they carry nothing and would divide by zero
    z = (x[:, live] - mean[live]) / std[live]
    if z.shape[1] == 0:
        return np.zeros((len(x), 0), dtype=np.float32), 0.0
    k = min(dims, z.shape[1], max(len(z) - 1, 1))
    if k >= z.shape[1]:
        return z.astype(np.float32), 1.0
    pca = PCA(n_components=k, svd_solver="randomized", random_state=seed)
    reduced = pca.fit_transform(z).astype(np.float32)
    return reduced, float(pca.explained_variance_ratio_.sum())


def build_latent_space(pooled: dict[str, FloatArray], dims_per_layer: int, seed: int) -> LatentSpace:
    """Reduce every layer and weight its block to total variance 1, so each layer counts equally."""
    blocks: list[FloatArray] = []
    layers: list[LayerSummary] = []
    for name, x in pooled.items():
        reduced, explained = reduce_layer(x, dims_per_layer, seed)
        total = float(reduced.var(axis=0).sum()) if reduced.shape[1] else 0.0
        weight = 1.0 / np.sqrt(total) if total > 1e-12 else 0.0
        if weight:
            blocks.append((reduced * weight).astype(np.float32))
        layers.append(
            LayerSummary(
                name=name,
                raw_dims=int(x.shape[1]),
                dims=int(reduced.shape[1]) if weight else 0,
                explained_variance=round(explained, 6),
                weight=float(weight),
            )
        )
    if not blocks:
        raise ValueError("every latent layer is constant over the samples; there is nothing to map")
    return LatentSpace(vectors=np.ascontiguousarray(np.concatenate(blocks, axis=1)), layers=layers)
