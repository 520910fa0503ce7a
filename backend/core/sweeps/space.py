"""Search spaces of hyperparameter sweeps and the trials they generate (pure: no database, no torch).

A space maps a hyperparameter (or `epochs`) to one of:
  - a list of values, or {"values": [...]}: every value (grid) or a uniform choice (random);
  - {"min": a, "max": b, "log": bool}: a uniform (log: log-uniform) draw, random or Bayesian search only.
    Integer hyperparameters (and `epochs`) draw whole numbers.

Grid and random trials are generated deterministically from the sweep's seed, and every one is validated
against the architecture's hyperparameter schema before anything is created. Bayesian trials are asked one
at a time as results arrive (backend/core/sweeps/bayes.py); here their space is checked at every choice
and at both ends of every range, so that a later proposal is very unlikely to be invalid.
"""

from __future__ import annotations

import itertools
import math
import random
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from backend.core.data.import_paths import ImportPathRefused, check_vectors_setting
from backend.core.settings import get_settings
from backend.core.specs.architectures import ARCHITECTURES, UnknownArchitecture, validate_hyperparameters

Strategy = Literal["grid", "random", "bayes"]
MAX_TRIALS = 100
MAX_EPOCHS = 1000


class SpaceError(ValueError):
    """The space, or a trial it generates, is invalid: the message says which and why."""


@dataclass(frozen=True)
class Trial:
    index: int
    params: dict[str, Any]  # the swept values, `epochs` included when swept
    hyperparameters: dict[str, Any]  # validated, defaults filled in
    epochs: int


def generate_trials(architecture: str, base: Mapping[str, Any], space: Mapping[str, Any], strategy: Strategy,
                    budget: int | None, seed: int, epochs: int) -> list[Trial]:
    if architecture not in ARCHITECTURES:
        raise SpaceError(str(UnknownArchitecture(f"unknown architecture {architecture!r}; "
                                                 f"choose one of {sorted(ARCHITECTURES)}")))
    if not space:
        raise SpaceError("space: name at least one hyperparameter to sweep")
    if budget is not None and not 1 <= budget <= MAX_TRIALS:
        raise SpaceError(f"budget: must lie in 1..{MAX_TRIALS}")
    dims = dimensions(architecture, space)
    names = list(dims)
    if strategy == "bayes":
        if budget is None:
            raise SpaceError("budget: Bayesian search needs a budget (the number of trials)")
        _check_ends(architecture, base, dims, epochs)
        return []  # proposed one at a time, as results arrive
    if strategy == "grid":
        points = _grid(dims, budget)
    elif strategy == "random":
        if budget is None:
            raise SpaceError("budget: random search needs a budget (the number of trials)")
        rng = random.Random(seed)
        points = [{name: dims[name].draw(rng) for name in names} for _ in range(budget)]
    else:
        raise SpaceError(f"strategy: {strategy!r} is none of 'grid', 'random', 'bayes'")
    return [make_trial(architecture, base, i, point, epochs) for i, point in enumerate(points)]


def dimensions(architecture: str, space: Mapping[str, Any]) -> dict[str, Dimension]:
    """The space's dimensions in a fixed (sorted) order, so that a seed always gives the same trials."""
    return {name: _dimension(architecture, name, space[name]) for name in sorted(space)}


def _check_ends(architecture: str, base: Mapping[str, Any], dims: dict[str, Dimension], epochs: int) -> None:
    """Validate every choice and both ends of every range, the other dimensions at their first value."""
    first = {name: d.values[0] if d.values is not None else d.clip(d.low) for name, d in dims.items()}
    for name, d in dims.items():
        ends = d.values if d.values is not None else [d.clip(d.low), d.clip(d.high)]
        for value in ends:
            make_trial(architecture, base, 0, {**first, name: value}, epochs)


@dataclass(frozen=True)
class Dimension:
    name: str
    values: list[Any] | None = None  # a choice
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    integer: bool = False

    def draw(self, rng: random.Random) -> Any:
        if self.values is not None:
            return self.values[rng.randrange(len(self.values))]
        if self.log:
            x = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            x = rng.uniform(self.low, self.high)
        return self.clip(x)

    def clip(self, x: float) -> Any:
        """A drawn number as the dimension holds it: a whole number within the range for an integer."""
        if self.integer:
            return min(max(round(x), math.ceil(self.low)), math.floor(self.high))
        return x


def _dimension(architecture: str, name: str, spec: Any) -> Dimension:
    where = f"space.{name}"
    if isinstance(spec, dict) and set(spec) == {"values"}:
        spec = spec["values"]
    if isinstance(spec, list):
        if not spec:
            raise SpaceError(f"{where}: give at least one value")
        return Dimension(name, values=list(spec))
    if not isinstance(spec, dict):
        raise SpaceError(f"{where}: expected a list of values, {{\"values\": [...]}} or {{\"min\", \"max\", \"log\"}}")
    unknown = set(spec) - {"min", "max", "log"}
    if unknown or not {"min", "max"} <= set(spec):
        raise SpaceError(f"{where}: a range is {{\"min\": a, \"max\": b, \"log\": false}}"
                         + (f"; unknown keys {sorted(unknown)}" if unknown else ""))
    low, high, log = spec["min"], spec["max"], spec.get("log", False)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)):
        raise SpaceError(f"{where}: min and max must be numbers")
    if not isinstance(log, bool):
        raise SpaceError(f"{where}: log must be true or false")
    if not math.isfinite(low) or not math.isfinite(high) or low > high:
        raise SpaceError(f"{where}: needs finite min <= max")
    if log and low <= 0:
        raise SpaceError(f"{where}: a log range needs min > 0")
    integer = _is_integer(architecture, name)
    if integer and math.ceil(low) > math.floor(high):
        raise SpaceError(f"{where}: no whole number lies between {low} and {high}")
    return Dimension(name, low=float(low), high=float(high), log=log, integer=integer)


def _is_integer(architecture: str, name: str) -> bool:
    if name == "epochs":
        return True
    field = ARCHITECTURES[architecture].model_fields.get(name)
    if field is None:
        return False  # an unknown name: the trial's validation says so
    annotation = field.annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return int in typing.get_args(annotation)
    return annotation is int


def _grid(dims: dict[str, Dimension], budget: int | None) -> list[dict[str, Any]]:
    for d in dims.values():
        if d.values is None:
            raise SpaceError(f"space.{d.name}: a grid needs a list of values "
                             "(ranges are for random or Bayesian search)")
    size = math.prod(len(d.values or []) for d in dims.values())
    limit = budget if budget is not None else MAX_TRIALS
    if size > limit:
        what = f"the budget of {budget}" if budget is not None else f"the maximum of {MAX_TRIALS}"
        raise SpaceError(f"space: the grid has {size} trials, more than {what}")
    names = list(dims)
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(dims[n].values or [] for n in names))]


def make_trial(architecture: str, base: Mapping[str, Any], index: int, point: dict[str, Any], epochs: int) -> Trial:
    params = dict(point)
    hp = {**base, **{k: v for k, v in params.items() if k != "epochs"}}
    shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
    trial_epochs = params.get("epochs", epochs)
    if isinstance(trial_epochs, bool) or not isinstance(trial_epochs, int) or not 1 <= trial_epochs <= MAX_EPOCHS:
        raise SpaceError(f"trial {index} ({shown}): epochs must be a whole number in 1..{MAX_EPOCHS}")
    try:
        full = validate_hyperparameters(architecture, hp)
        check_vectors_setting(full, get_settings())
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SpaceError(f"trial {index} ({shown}): hyperparameters.{where}: {first['msg']}") from e
    except ImportPathRefused as e:
        raise SpaceError(f"trial {index} ({shown}): hyperparameters.pretrained_vectors: {e}") from e
    return Trial(index=index, params=params, hyperparameters=full, epochs=trial_epochs)
