"""The pooled activations an epoch's evaluation kept, in the artifact store, for that epoch's map.

`versions/{vid}/epoch_{e}/pooled/layers.json` lists the layers in the model's order (their order
is the latent space's block order); each layer is `pooled/<name>.npy`, float16 (N, D), row i = the
sample with dataset index i. Written before the epoch commits, like the checkpoint.
"""

from __future__ import annotations

import json

import numpy as np
import numpy.typing as npt

from backend.core.artifacts.keys import pooled_layer_key, pooled_layers_key, pooled_prefix
from backend.core.artifacts.store import ArtifactStore


def save_pooled(store: ArtifactStore, version_id: int, epoch: int,
                pooled: dict[str, npt.NDArray[np.float16]]) -> int:
    size = sum(store.put_array(pooled_layer_key(version_id, epoch, name), x) for name, x in pooled.items())
    # The manifest goes last: a reader that finds it finds every layer.
    return size + store.put_bytes(pooled_layers_key(version_id, epoch), json.dumps(list(pooled)).encode())


def load_pooled(store: ArtifactStore, version_id: int, epoch: int,
                rows: int) -> dict[str, npt.NDArray[np.float32]] | None:
    """The stored layers as float32, or None when this epoch kept none (or for another row count)."""
    if not store.exists(pooled_layers_key(version_id, epoch)):
        return None
    names = json.loads(store.get_bytes(pooled_layers_key(version_id, epoch)))
    pooled = {name: store.get_array(pooled_layer_key(version_id, epoch, name)).astype(np.float32) for name in names}
    if any(len(x) != rows for x in pooled.values()):
        return None
    return pooled


def delete_pooled(store: ArtifactStore, version_id: int, epoch: int) -> None:
    """Drop an epoch's pooled activations once its map is stored (tens of MB per epoch at 50k).

    A later map of the same epoch with other parameters runs the checkpoint's model again instead.
    The manifest goes first, so a concurrent reader sees either every layer or none.
    """
    store.delete_prefix(pooled_layers_key(version_id, epoch))
    store.delete_prefix(pooled_prefix(version_id, epoch))
