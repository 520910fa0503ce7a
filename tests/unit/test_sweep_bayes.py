"""Bayesian sweeps without a database: TPE's proposals stay in the space, learn from the finished trials,
are reproducible for a seed; the median pruning rule; and none of it loads torch (the API runs it)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from backend.core.sweeps.bayes import Finished, default_startup, propose, proposed_by
from backend.core.sweeps.pruning import MedianPruning
from backend.core.sweeps.space import SpaceError, dimensions, generate_trials

SPACE = {"learning_rate": {"min": 1e-4, "max": 1.0, "log": True}, "num_filters": {"min": 4, "max": 64},
         "kernel_sizes": {"values": [[3, 4, 5], [2, 3]]}, "dropout": [0.0, 0.5]}


def test_proposals_lie_in_the_space_and_repeat_for_a_seed() -> None:
    dims = dimensions("cnn", SPACE)
    for index in range(6):
        point = propose(dims, [], seed=3, index=index, startup=2, maximize=True)
        assert set(point) == set(SPACE)
        assert 1e-4 <= point["learning_rate"] <= 1.0
        assert isinstance(point["num_filters"], int) and 4 <= point["num_filters"] <= 64
        assert point["kernel_sizes"] in ([3, 4, 5], [2, 3]) and point["dropout"] in (0.0, 0.5)
        assert point == propose(dims, [], seed=3, index=index, startup=2, maximize=True)
    # Another index (a trial asked beside it) or another seed draws elsewhere.
    first = propose(dims, [], seed=3, index=0, startup=2, maximize=True)
    assert first != propose(dims, [], seed=3, index=1, startup=2, maximize=True)
    assert first != propose(dims, [], seed=4, index=0, startup=2, maximize=True)


def _history(good_lr: float, bad_lr: float, n: int) -> list[Finished]:
    """Trials whose accuracy is high at small learning rates and low at large ones."""
    out = []
    for i in range(n):
        lr = good_lr * (1.3 ** (i % 4)) if i % 2 == 0 else bad_lr / (1.3 ** (i % 4))
        out.append(Finished(params={"learning_rate": lr}, state="complete",
                            value=0.9 if lr < 1e-2 else 0.55))
    return out


def test_tpe_proposes_near_the_better_trials() -> None:
    dims = dimensions("cnn", {"learning_rate": {"min": 1e-5, "max": 1.0, "log": True}})
    past = _history(1e-4, 0.5, 12)
    assert proposed_by(past, startup=4) == "tpe"
    tpe = [propose(dims, past, seed=0, index=12 + i, startup=4, maximize=True)["learning_rate"] for i in range(20)]
    # Random draws over the log range land below 1e-2 in 60% of cases; TPE, told where the good ones are,
    # lands there far more often. Minimising the same values flips the preference.
    assert sum(lr < 1e-2 for lr in tpe) >= 17, tpe
    low = [propose(dims, past, seed=0, index=12 + i, startup=4, maximize=False)["learning_rate"] for i in range(20)]
    assert sum(lr >= 1e-2 for lr in low) >= 17, low
    # During the start-up phase the same history gives plain random draws.
    assert proposed_by(past, startup=13) == "random"


def test_pruned_and_failed_trials_count_as_tpe_does() -> None:
    pruned = Finished(params={"learning_rate": 0.5}, state="pruned", per_epoch={1: 0.5})
    failed = Finished(params={"learning_rate": 0.5}, state="failed")
    complete = Finished(params={"learning_rate": 1e-3}, state="complete", value=0.9, per_epoch={1: 0.9})
    assert proposed_by([pruned, failed, complete], startup=2) == "tpe"
    assert proposed_by([failed, complete], startup=2) == "random"
    # A trial whose stored values fall outside the space is left out rather than breaking the proposal.
    stranger = Finished(params={"learning_rate": 5.0}, state="complete", value=0.99)
    dims = dimensions("cnn", {"learning_rate": {"min": 1e-5, "max": 1.0, "log": True}})
    point = propose(dims, [pruned, failed, complete, stranger], seed=1, index=4, startup=2, maximize=True)
    assert 1e-5 <= point["learning_rate"] <= 1.0


def test_bayes_space_is_checked_up_front() -> None:
    assert generate_trials("cnn", {}, SPACE, "bayes", 8, 0, 2) == []  # trials are asked one at a time
    with pytest.raises(SpaceError, match="Bayesian search needs a budget"):
        generate_trials("cnn", {}, SPACE, "bayes", None, 0, 2)
    with pytest.raises(SpaceError, match=r"dropout"):
        generate_trials("cnn", {}, {"dropout": {"min": 0.0, "max": 3.0}}, "bayes", 4, 0, 2)
    assert default_startup(4) == 2 and default_startup(16) == 5 and default_startup(100) == 10


def test_median_rule() -> None:
    rule = MedianPruning(sweep_id=1, metric="accuracy", warmup_epochs=1, min_trials=2)
    done = [[0.70, 0.80, 0.85], [0.72, 0.82], [0.60]]
    assert not rule.should_prune([0.5], done), "within the warm-up"
    assert rule.should_prune([0.5, 0.6], done), "behind the median of 0.80 and 0.82 at epoch 2"
    assert not rule.should_prune([0.5, 0.81], done), "its best so far reaches the median"
    assert not rule.should_prune([0.5, 0.6, 0.7], done), "only one completed trial reached epoch 3"
    loss = MedianPruning(sweep_id=1, metric="loss", warmup_epochs=0, min_trials=1)
    assert loss.should_prune([0.9], [[0.4], [0.6]]) and not loss.should_prune([0.45], [[0.4], [0.6]])
    assert not loss.should_prune([], [[0.4]])


def test_the_sweep_modules_do_not_load_torch() -> None:
    code = ("import sys\n"
            "import backend.core.sweeps.trials, backend.api.services.sweeps\n"
            "from backend.core.sweeps.bayes import propose\n"
            "from backend.core.sweeps.space import dimensions\n"
            "propose(dimensions('cnn', {'dropout': [0.0, 0.5]}), [], seed=0, index=0, startup=1, maximize=True)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'matplotlib')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_proposals_spread_over_a_categorical_during_start_up() -> None:
    dims = dimensions("cnn", {"dropout": [0.0, 0.25, 0.5]})
    drawn = Counter(propose(dims, [], seed=0, index=i, startup=50, maximize=True)["dropout"] for i in range(30))
    assert set(drawn) == {0.0, 0.25, 0.5}
