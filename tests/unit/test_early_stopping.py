"""The early-stopping rule on a trial's validation history."""

from __future__ import annotations

from worker.pipeline.early_stopping import EarlyStopping


def test_loss_stops_after_patience_epochs_without_a_new_minimum() -> None:
    rule = EarlyStopping("val_loss", patience=2)
    assert not rule.should_stop([])
    assert not rule.should_stop([0.7])
    assert not rule.should_stop([0.7, 0.6, 0.5])
    assert not rule.should_stop([0.7, 0.5, 0.6])  # one epoch without improvement
    assert rule.should_stop([0.7, 0.5, 0.6, 0.55])  # two: 0.55 is still above the best 0.5
    assert not rule.should_stop([0.7, 0.5, 0.6, 0.4])  # a new best resets the count
    assert rule.should_stop([0.5, 0.5, 0.5])  # equal is no improvement


def test_accuracy_wants_higher_values() -> None:
    rule = EarlyStopping("val_accuracy", patience=1)
    assert not rule.should_stop([0.6, 0.7])
    assert rule.should_stop([0.6, 0.7, 0.65])
    assert rule.split == "val"


def test_min_delta_ignores_tiny_improvements() -> None:
    rule = EarlyStopping("val_loss", patience=2, min_delta=0.01)
    assert rule.should_stop([0.5, 0.495, 0.492])  # improvements below 0.01 do not count
    assert not rule.should_stop([0.5, 0.495, 0.48])


def test_from_job_params() -> None:
    assert EarlyStopping.from_params(None) is None
    assert EarlyStopping.from_params({}) is None
    rule = EarlyStopping.from_params({"metric": "val_accuracy", "patience": 3, "min_delta": 0.0})
    assert rule == EarlyStopping("val_accuracy", 3, 0.0)
