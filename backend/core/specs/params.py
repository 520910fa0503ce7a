"""How a parameter class (an architecture's hyperparameters, an analysis method's parameters) describes
itself to clients: each field's type, bounds, allowed values, default and help, read from the one pydantic
class that also validates it, so a form built from the description accepts what the API accepts.

Cross-field rules (a model validator such as `max_steps >= n_steps`) are not in the description; the API
still answers 422 for them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

# `Field(json_schema_extra=ADVANCED)`: a tuning knob most runs leave at its default; a form may tuck it away.
ADVANCED: dict[str, Any] = {"advanced": True}

ParamType = Literal["integer", "number", "boolean", "string", "integer_list"]
ParamValue = bool | int | float | str | list[int] | None


class ParamSpec(BaseModel):
    """Every field is always present (null where it does not apply), so clients need no fallbacks."""

    name: str
    title: str = Field(description="A short label")
    help: str = Field(description="What the parameter does")
    type: ParamType
    nullable: bool = Field(description="Whether null is accepted (and means what `help` says)")
    default: ParamValue
    minimum: int | float | None
    maximum: int | float | None
    exclusive_minimum: bool = Field(description="The value must be above `minimum`, not equal")
    exclusive_maximum: bool = Field(description="The value must be below `maximum`, not equal")
    choices: list[str] | None = Field(description="The only values allowed (a string parameter)")
    min_length: int | None = Field(description="Fewest characters (string) or items (list)")
    max_length: int | None = Field(description="Most characters (string) or items (list)")
    pattern: str | None = Field(description="A regular expression a string must match")
    advanced: bool = Field(description="A tuning knob most runs leave at its default")


class UndescribableParam(TypeError):
    """A field whose type a client form cannot offer; the description test catches it at once."""


def _bounds(schema: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"minimum": None, "maximum": None, "exclusive_minimum": False,
                           "exclusive_maximum": False, "min_length": None, "max_length": None, "pattern": None}
    for key, exclusive_key, name in (("minimum", "exclusiveMinimum", "minimum"),
                                     ("maximum", "exclusiveMaximum", "maximum")):
        if exclusive_key in schema:
            out[name], out[f"exclusive_{name}"] = schema[exclusive_key], True
        elif key in schema:
            out[name] = schema[key]
    for key, name in (("minLength", "min_length"), ("maxLength", "max_length"),
                      ("minItems", "min_length"), ("maxItems", "max_length"), ("pattern", "pattern")):
        if key in schema:
            out[name] = schema[key]
    return out


def _kind(name: str, schema: dict[str, Any]) -> tuple[ParamType, dict[str, Any]]:
    if "enum" in schema:
        if not all(isinstance(v, str) for v in schema["enum"]):
            raise UndescribableParam(f"{name}: only string choices can be described")
        return "string", {"choices": list(schema["enum"])}
    kind = schema.get("type")
    if kind in ("integer", "number", "boolean", "string"):
        return kind, {"choices": None}
    if kind == "array" and schema.get("items", {}).get("type") == "integer":
        return "integer_list", {"choices": None}
    raise UndescribableParam(f"{name}: a {kind or 'composite'} parameter cannot be described")


def describe_params(cls: type[BaseModel]) -> list[ParamSpec]:
    """Every field of `cls`, in declaration order (inherited fields first). Every field needs a default."""
    defaults = cls().model_dump()
    properties: dict[str, dict[str, Any]] = cls.model_json_schema()["properties"]
    specs = []
    for name, field in cls.model_fields.items():
        schema = properties[name]
        branches = schema.get("anyOf", [schema])
        non_null = [b for b in branches if b.get("type") != "null"]
        if len(non_null) != 1:
            raise UndescribableParam(f"{cls.__name__}.{name}: a union of several types cannot be described")
        kind, extra = _kind(f"{cls.__name__}.{name}", non_null[0])
        specs.append(ParamSpec(
            name=name, title=field.title or name.replace("_", " "), help=field.description or "", type=kind,
            nullable=len(branches) > len(non_null), default=defaults[name], advanced=bool(schema.get("advanced")),
            **extra, **_bounds(non_null[0]),
        ))
    return specs


__all__ = ["ADVANCED", "ParamSpec", "ParamType", "UndescribableParam", "describe_params"]
