"""The parameter descriptions clients build forms from (GET /api/architectures, /api/analysis-methods) say
exactly what validation accepts: each bound, each choice and each default, for every architecture and method."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from backend.core.specs.analysis_methods import METHODS
from backend.core.specs.architectures import ARCHITECTURES
from backend.core.specs.params import ParamSpec, UndescribableParam, describe_params

CLASSES = {**{f"architecture {k}": v for k, v in ARCHITECTURES.items()},
           **{f"method {k}": v for k, v in METHODS.items()}}


def field_errors(cls: type[BaseModel], name: str, value: Any) -> list[str]:
    """The validation errors located at `name` when only that parameter is given (others keep defaults;
    a rule between two parameters, reported at the model, is not this parameter's bound)."""
    try:
        cls(**{name: value})
    except ValidationError as e:
        return [err["msg"] for err in e.errors() if err["loc"] == (name,)]
    return []


def outside(p: ParamSpec) -> list[Any]:
    values: list[Any] = []
    step = 1 if p.type == "integer" else 1e-9
    if p.minimum is not None:
        values.append(p.minimum if p.exclusive_minimum else p.minimum - step)
    if p.maximum is not None:
        values.append(p.maximum if p.exclusive_maximum else p.maximum + step)
    return values


def inside(p: ParamSpec) -> list[Any]:
    values: list[Any] = []
    step = 1 if p.type == "integer" else 1e-9
    if p.minimum is not None:
        values.append(p.minimum + step if p.exclusive_minimum else p.minimum)
    if p.maximum is not None:
        values.append(p.maximum - step if p.exclusive_maximum else p.maximum)
    return [int(v) if p.type == "integer" else v for v in values]


@pytest.mark.parametrize("what", sorted(CLASSES))
def test_descriptions_match_validation(what: str) -> None:
    cls = CLASSES[what]
    specs = describe_params(cls)
    assert [p.name for p in specs] == list(cls.model_fields)
    assert cls(**{p.name: p.default for p in specs}).model_dump() == cls().model_dump()
    for p in specs:
        assert p.title and p.help, f"{what}.{p.name} needs a title and help text"
        for value in outside(p):
            assert field_errors(cls, p.name, value), f"{what}.{p.name}={value} is described as invalid"
        for value in inside(p):
            assert not field_errors(cls, p.name, value), f"{what}.{p.name}={value} is described as valid"
        if p.choices is not None:
            assert p.default in p.choices
            for choice in p.choices:
                assert not field_errors(cls, p.name, choice)
            assert field_errors(cls, p.name, "none of these")
        if p.type == "integer":
            assert field_errors(cls, p.name, 1.5)
        assert bool(field_errors(cls, p.name, None)) != p.nullable
        if p.type == "integer_list" and p.max_length is not None:
            assert field_errors(cls, p.name, [3] * (p.max_length + 1))
        if p.pattern is not None:
            assert field_errors(cls, p.name, "two words")


def test_the_description_keeps_bounds_exact() -> None:
    cnn = {p.name: p for p in describe_params(ARCHITECTURES["cnn"])}
    dropout = cnn["dropout"]
    assert (dropout.type, dropout.minimum, dropout.maximum, dropout.exclusive_maximum) == ("number", 0, 1, True)
    assert (cnn["optimizer"].choices, cnn["optimizer"].default) == (["adam", "adamw", "sgd", "adagrad"], "adam")
    assert (cnn["kernel_sizes"].type, cnn["kernel_sizes"].default) == ("integer_list", [3, 4, 5])
    assert cnn["eval_batch_size"].advanced and not cnn["batch_size"].advanced
    ig = {p.name: p for p in describe_params(METHODS["integrated_gradients"])}
    assert [n for n, p in ig.items() if not p.advanced] == ["n_steps"]
    assert math.isclose(ig["delta_tolerance"].default, 0.02) and ig["delta_tolerance"].exclusive_minimum
    replace = next(p for p in describe_params(METHODS["counterfactual"]) if p.name == "replace_with")
    assert (replace.type, replace.nullable, replace.default) == ("string", True, None)


def test_an_undescribable_parameter_fails_loudly() -> None:
    class Odd(BaseModel):
        weights: dict[str, float] = {}

    with pytest.raises(UndescribableParam, match="weights"):
        describe_params(Odd)
