"""Trials of a sweep's search space: grid products, seeded random draws, ranges and invalid spaces."""

from __future__ import annotations

import math

import pytest

from backend.core.sweeps.space import MAX_TRIALS, SpaceError, generate_trials


def test_grid_is_the_cartesian_product_in_a_fixed_order() -> None:
    space = {"dropout": [0.1, 0.3], "learning_rate": {"values": [1e-3, 1e-2]}, "epochs": [1, 3]}
    trials = generate_trials("cnn", {"num_filters": 8}, space, "grid", None, 0, 2)
    assert [t.index for t in trials] == list(range(8))
    assert [(t.params["dropout"], t.params["epochs"], t.params["learning_rate"]) for t in trials] == [
        (d, e, lr) for d in (0.1, 0.3) for e in (1, 3) for lr in (1e-3, 1e-2)]
    first = trials[0]
    assert first.epochs == 1 and "epochs" not in first.hyperparameters
    # The base hyperparameters are shared, defaults are filled in, the swept values override.
    assert first.hyperparameters["num_filters"] == 8 and first.hyperparameters["dropout"] == 0.1
    assert first.hyperparameters["embedding_dim"] == 128
    # Without `epochs` in the space, every trial gets the sweep's epochs.
    assert {t.epochs for t in generate_trials("cnn", {}, {"dropout": [0.1, 0.2]}, "grid", None, 0, 4)} == {4}


def test_grid_larger_than_the_budget_is_refused() -> None:
    space = {"dropout": [0.1, 0.2, 0.3], "num_filters": [8, 16]}
    assert len(generate_trials("cnn", {}, space, "grid", 6, 0, 1)) == 6
    with pytest.raises(SpaceError, match="the grid has 6 trials, more than the budget of 5"):
        generate_trials("cnn", {}, space, "grid", 5, 0, 1)
    big = {"num_filters": list(range(1, 11)), "dense_units": list(range(1, 12))}
    with pytest.raises(SpaceError, match=f"more than the maximum of {MAX_TRIALS}"):
        generate_trials("cnn", {}, big, "grid", None, 0, 1)
    with pytest.raises(SpaceError, match=r"space\.learning_rate: a grid needs a list of values"):
        generate_trials("cnn", {}, {"learning_rate": {"min": 1e-4, "max": 1e-2}}, "grid", None, 0, 1)


def test_random_search_is_deterministic_for_a_seed() -> None:
    space = {"learning_rate": {"min": 1e-4, "max": 1e-1, "log": True}, "dropout": {"min": 0.0, "max": 0.6},
             "optimizer": ["adam", "sgd"], "num_filters": {"min": 8, "max": 64}}
    a = generate_trials("cnn", {}, space, "random", 12, 5, 1)
    b = generate_trials("cnn", {}, space, "random", 12, 5, 1)
    c = generate_trials("cnn", {}, space, "random", 12, 6, 1)
    assert len(a) == 12
    assert [t.params for t in a] == [t.params for t in b]
    assert [t.params for t in a] != [t.params for t in c]
    for t in a:
        assert 1e-4 <= t.params["learning_rate"] <= 1e-1
        assert 0.0 <= t.params["dropout"] <= 0.6
        assert t.params["optimizer"] in ("adam", "sgd")
        # An integer hyperparameter draws whole numbers.
        assert isinstance(t.params["num_filters"], int) and 8 <= t.params["num_filters"] <= 64
    with pytest.raises(SpaceError, match="random search needs a budget"):
        generate_trials("cnn", {}, space, "random", None, 0, 1)


def test_log_uniform_spreads_over_the_decades() -> None:
    trials = generate_trials("cnn", {}, {"learning_rate": {"min": 1e-5, "max": 1e-1, "log": True}}, "random",
                             100, 0, 1)
    decades = [math.floor(math.log10(t.params["learning_rate"])) for t in trials]
    assert min(t.params["learning_rate"] for t in trials) >= 1e-5
    assert max(t.params["learning_rate"] for t in trials) <= 1e-1
    # Log-uniform: about a quarter per decade. Uniform would put ~90% in the last one.
    for d in (-5, -4, -3, -2):
        assert 10 <= decades.count(d) <= 40, (d, decades.count(d))


@pytest.mark.parametrize(("space", "strategy", "message"), [
    ({}, "grid", "name at least one hyperparameter"),
    ({"dropout": []}, "grid", "space.dropout: give at least one value"),
    ({"dropout": 0.5}, "grid", "space.dropout: expected a list"),
    ({"dropout": {"min": 0.5}}, "random", "space.dropout: a range is"),
    ({"dropout": {"min": 0.1, "max": 0.2, "step": 1}}, "random", "unknown keys \\['step'\\]"),
    ({"dropout": {"min": 0.6, "max": 0.2}}, "random", "finite min <= max"),
    ({"learning_rate": {"min": 0, "max": 0.1, "log": True}}, "random", "log range needs min > 0"),
    ({"num_filters": {"min": 2.2, "max": 2.8}}, "random", "no whole number"),
    # Values the architecture refuses: the message names the trial and the hyperparameter.
    ({"dropout": [0.2, 1.5]}, "grid", "trial 1 \\(dropout=1.5\\): hyperparameters.dropout"),
    ({"nonsense": [1]}, "grid", "trial 0 \\(nonsense=1\\): hyperparameters.nonsense"),
    ({"learning_rate": {"min": 0.5, "max": 2.0}}, "random", "hyperparameters.learning_rate"),
    ({"epochs": [1, 0]}, "grid", "trial 1 \\(epochs=0\\): epochs must be a whole number"),
])
def test_invalid_spaces_say_why(space: dict[str, object], strategy: str, message: str) -> None:
    with pytest.raises(SpaceError, match=message):
        generate_trials("cnn", {}, space, strategy, 4, 0, 1)  # type: ignore[arg-type]


def test_other_architectures_sweep_their_own_hyperparameters() -> None:
    space = {"activation": ["relu", "tanh"], "loss": ["cross_entropy", "mse"], "hidden_layers": [1, 2]}
    trials = generate_trials("bow_mlp", {"units": 16}, space, "grid", None, 0, 1)
    assert len(trials) == 8 and {t.hyperparameters["units"] for t in trials} == {16}
    lstm = generate_trials("lstm", {}, {"hidden_size": {"min": 16, "max": 128, "log": True}, "layers": [1, 2]},
                           "random", 5, 1, 1)
    assert all(isinstance(t.params["hidden_size"], int) for t in lstm)
    with pytest.raises(SpaceError, match="unknown architecture"):
        generate_trials("transformer", {}, {"dropout": [0.1]}, "grid", None, 0, 1)
    with pytest.raises(SpaceError, match=r"hyperparameters\.activation"):
        generate_trials("cnn", {}, {"activation": ["relu"]}, "grid", None, 0, 1)
