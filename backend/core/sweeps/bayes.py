"""Bayesian search: the next trial of a sweep, asked from Optuna's TPE sampler given the finished trials.

Nothing is kept between proposals: each one rebuilds an in-memory Optuna study from the trials the
database holds (their swept values, the sweep's metric, the per-epoch values of pruned ones), so any
worker, or the API, asks the same question and, with the same seed, gets the same answer. Optuna does
not import torch (checked by tests/unit/test_sweep_bayes.py), so this runs in the API process too.

The first `startup` trials are drawn at random (TPE's own start-up phase); after that TPE proposes from
the finished trials: values near those of the better trials become more likely.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from backend.core.sweeps.space import Dimension

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution

TrialState = Literal["complete", "pruned", "failed"]
ProposedBy = Literal["random", "tpe"]


@dataclass(frozen=True)
class Finished:
    """A finished trial as the sampler sees it."""

    params: dict[str, Any]  # the swept values
    state: TrialState
    value: float | None = None  # the sweep's metric (complete trials)
    per_epoch: dict[int, float] = field(default_factory=dict)  # the pruning metric by 1-based epoch


def default_startup(budget: int) -> int:
    """Random trials before TPE: a third of the budget, at least 2 and at most Optuna's usual 10."""
    return min(10, max(2, budget // 3))


def proposed_by(history: Sequence[Finished], startup: int) -> ProposedBy:
    """How the next trial is proposed: TPE counts complete and pruned trials towards its start-up."""
    told = sum(1 for h in history if h.state in ("complete", "pruned"))
    return "random" if told < startup else "tpe"


def propose(dims: Mapping[str, Dimension], history: Sequence[Finished], *, seed: int, index: int, startup: int,
            maximize: bool) -> dict[str, Any]:
    """The swept values of trial `index`. The sampler's seed mixes the sweep's seed with the index, so
    that trials asked together (parallel > 1) from the same history differ."""
    import optuna  # here, not at import: only sweeps that search this way pay for loading it

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    distributions = {name: _distribution(d) for name, d in dims.items()}
    sampler = optuna.samplers.TPESampler(n_startup_trials=startup, seed=(seed * 100_003 + index) % 2**32)
    study = optuna.create_study(direction="maximize" if maximize else "minimize", sampler=sampler)
    told = [_frozen(h, dims, distributions) for h in history]
    study.add_trials([t for t in told if t is not None])
    asked = study.ask(distributions)
    return {name: _value(d, asked.params[name]) for name, d in dims.items()}


def _distribution(d: Dimension) -> BaseDistribution:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if d.values is not None:
        # By position: Optuna's choices must be scalars, a swept value may be a list (kernel sizes).
        return CategoricalDistribution(list(range(len(d.values))))
    if d.integer:
        return IntDistribution(math.ceil(d.low), math.floor(d.high), log=d.log)
    return FloatDistribution(d.low, d.high, log=d.log)


def _internal(d: Dimension, value: Any) -> Any:
    """A stored swept value as the distribution holds it, or None when it lies outside the space."""
    if d.values is not None:
        for i, choice in enumerate(d.values):
            if choice == value and type(choice) is type(value):
                return i
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not d.low <= value <= d.high:
        return None
    return int(value) if d.integer else float(value)


def _value(d: Dimension, internal: Any) -> Any:
    return d.values[int(internal)] if d.values is not None else internal


def _frozen(h: Finished, dims: Mapping[str, Dimension],
            distributions: dict[str, BaseDistribution]) -> Any:
    import optuna
    from optuna.trial import TrialState as OptunaState

    params = {name: _internal(d, h.params.get(name)) for name, d in dims.items()}
    if any(v is None for v in params.values()):
        return None  # a trial whose values the space no longer holds tells nothing about it
    if h.state == "complete" and h.value is not None and math.isfinite(h.value):
        return optuna.trial.create_trial(params=params, distributions=distributions, value=h.value,
                                         intermediate_values=h.per_epoch, state=OptunaState.COMPLETE)
    if h.state == "pruned" and h.per_epoch:
        # As Optuna records a pruned trial itself: its value is the last one it reported.
        last = h.per_epoch[max(h.per_epoch)]
        return optuna.trial.create_trial(params=params, distributions=distributions, value=last,
                                         intermediate_values=h.per_epoch, state=OptunaState.PRUNED)
    return optuna.trial.create_trial(params=params, distributions=distributions, state=OptunaState.FAIL)
