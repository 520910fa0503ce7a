"""Weak-cluster insights compare a cluster with the same mix of splits, not with a train-heavy overall."""

from __future__ import annotations

import numpy as np

from backend.core.population import Population
from worker.pipeline.clusters import summarize_clusters
from worker.pipeline.insights import weak_clusters

TRAIN, TEST = 0, 2


def _population() -> tuple[Population, np.ndarray]:
    """1,000 memorised train reviews (all right), 1,000 test reviews at 80%; cluster 0 is train, clusters 1
    and 2 are test: cluster 1 at the test split's own 80%, cluster 2 genuinely weak at 50%."""
    splits = np.array([TRAIN] * 1000 + [TEST] * 1000, dtype=np.uint8)
    labels = np.zeros(2000, dtype=np.int64)
    prediction = np.zeros(2000, dtype=np.int64)
    cluster = np.array([0] * 1000 + [1] * 800 + [2] * 200, dtype=np.int16)
    rng = np.random.default_rng(0)
    wrong_1 = rng.choice(np.arange(1000, 1800), size=120, replace=False)  # 85% right
    wrong_2 = rng.choice(np.arange(1800, 2000), size=100, replace=False)  # 50% right
    prediction[wrong_1] = 1
    prediction[wrong_2] = 1
    loss = np.where(prediction == labels, 0.05, 2.0).astype(np.float32)
    pop = Population(sample_ids=np.arange(2000, dtype=np.int64) + 1, splits=splits, labels=labels, loss=loss,
                     prediction=prediction, p_positive=prediction.astype(np.float32))
    return pop, cluster


def test_a_test_heavy_cluster_at_the_test_splits_accuracy_is_no_weak_spot() -> None:
    pop, cluster = _population()
    stats = summarize_clusters(cluster, pop, np.zeros((len(pop), 2), dtype=np.float32))
    found = {i.cluster: i for i in weak_clusters(stats, cluster, pop)}
    # Overall accuracy is 89%, test's 78%: cluster 1 (85%, all test) is better than test as a whole.
    assert 1 not in found
    assert 2 in found and found[2].detail["expected_accuracy"] < 0.8
    assert "same mix of splits" in found[2].sentence
