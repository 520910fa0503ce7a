"""Every artifact key, named once. Keys are relative POSIX paths in the store (see store.py).

    datasets/{d}/                       one dataset's encoded text (deleted as a whole when an import fails)
        tokenizer.json, token_ids.npy, token_offsets.npy
        fitted_vectors_{dim}.npy        word vectors fitted on the train split (worker/models/fitted_vectors.py)
    sources/{d}/records.jsonl.gz        a validated custom upload, between the API and the import job
    sources/{d}/upload.tar.gz           an uploaded IMDB archive, between the API and the import job
    versions/{v}/epoch_{e}/             one trained epoch
        model.pt                        checkpoint: model, optimizer and RNG states
        class_probs.npy                 (N, C) probabilities, kept with three or more classes
        latent.npy                      the map's reduced latent vectors (N, D) float16
        pooled/layers.json, pooled/{layer}.npy      pooled activations kept for the epoch's map
        eval_shards/{job}.npz           one evaluation shard's results, until the epoch commits
        map/{coords,clusters,knn_indices,knn_distances,neighbor_disagreement}.npy, map/points.arrow
    versions/{v}/suspects/{r}/          one mislabel ranking
        plan.npz, fold_{f}.npy, reference_{f}.npy

Row i of every per-sample array is the sample with dataset index i.
"""

from __future__ import annotations

from typing import Literal

# The arrays a population map stores beside its points table (see worker/pipeline/map_store.py).
MapArray = Literal["coords", "clusters", "knn_indices", "knn_distances", "neighbor_disagreement"]


# -- datasets --------------------------------------------------------------------------------------
def dataset_prefix(dataset_id: int) -> str:
    return f"datasets/{dataset_id}"


def tokenizer_key(dataset_id: int) -> str:
    return f"{dataset_prefix(dataset_id)}/tokenizer.json"


def fitted_vectors_key(dataset_id: int, dim: int) -> str:
    return f"{dataset_prefix(dataset_id)}/fitted_vectors_{dim}.npy"


def ids_key(dataset_id: int) -> str:
    return f"{dataset_prefix(dataset_id)}/token_ids.npy"


def offsets_key(dataset_id: int) -> str:
    return f"{dataset_prefix(dataset_id)}/token_offsets.npy"


def source_prefix(dataset_id: int) -> str:
    return f"sources/{dataset_id}"


def source_key(dataset_id: int) -> str:
    return f"{source_prefix(dataset_id)}/records.jsonl.gz"


def archive_key(dataset_id: int) -> str:
    return f"{source_prefix(dataset_id)}/upload.tar.gz"


# -- a version ----------------------------------------------------------------------------------------
def version_prefix(version_id: int) -> str:
    """Everything a version's jobs stored: its epochs and its rankings."""
    return f"versions/{version_id}"


def epoch_prefix(version_id: int, epoch: int) -> str:
    return f"{version_prefix(version_id)}/epoch_{epoch}"


def checkpoint_key(version_id: int, epoch: int) -> str:
    return f"{epoch_prefix(version_id, epoch)}/model.pt"


def class_probs_key(version_id: int, epoch: int) -> str:
    return f"{epoch_prefix(version_id, epoch)}/class_probs.npy"


def latent_key(version_id: int, epoch: int) -> str:
    return f"{epoch_prefix(version_id, epoch)}/latent.npy"


def pooled_prefix(version_id: int, epoch: int) -> str:
    return f"{epoch_prefix(version_id, epoch)}/pooled"


def pooled_layers_key(version_id: int, epoch: int) -> str:
    """The manifest: the layers' names in the model's order (the latent space's block order)."""
    return f"{pooled_prefix(version_id, epoch)}/layers.json"


def pooled_layer_key(version_id: int, epoch: int, layer: str) -> str:
    return f"{pooled_prefix(version_id, epoch)}/{layer}.npy"


def eval_shards_prefix(version_id: int, epoch: int) -> str:
    """Where the shards of a sharded evaluation leave their results (worker/pipeline/eval_shards.py)."""
    return f"{epoch_prefix(version_id, epoch)}/eval_shards"


def eval_shard_key(version_id: int, epoch: int, job_id: int) -> str:
    # Named by the shard's job: a shard of an abandoned attempt at the epoch never overwrites the redo's.
    return f"{eval_shards_prefix(version_id, epoch)}/{job_id}.npz"


def map_prefix(version_id: int, epoch: int) -> str:
    """Where an epoch's map lives; its row keeps it as `PopulationMap.artifact_prefix`."""
    return f"{epoch_prefix(version_id, epoch)}/map"


def map_array_key(prefix: str, name: MapArray) -> str:
    """`prefix` is the map's (map_prefix, or the row's artifact_prefix)."""
    return f"{prefix}/{name}.npy"


def points_key(prefix: str) -> str:
    return f"{prefix}/points.arrow"


# -- a mislabel ranking ----------------------------------------------------------------------------
def ranking_prefix(version_id: int, ranking_id: int) -> str:
    return f"{version_prefix(version_id)}/suspects/{ranking_id}"


def plan_key(version_id: int, ranking_id: int) -> str:
    return f"{ranking_prefix(version_id, ranking_id)}/plan.npz"


def fold_key(version_id: int, ranking_id: int, fold: int) -> str:
    return f"{ranking_prefix(version_id, ranking_id)}/fold_{fold}.npy"


def reference_key(version_id: int, ranking_id: int, fold: int) -> str:
    return f"{ranking_prefix(version_id, ranking_id)}/reference_{fold}.npy"
