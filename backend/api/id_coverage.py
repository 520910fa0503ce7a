"""Which ids a route takes that the access guard does not resolve.

The guard (backend/api/guard.py) checks exactly the ids its resolvers declare: a route that read an id
some other way (its own `version_id: int`, a body field, `request.path_params`) would act on a row nobody
checked. This walks a route's dependency tree (path, query, header, cookie and body parameters, through
every dependency and into body models) and names every parameter or field that looks like an id
(`*_id`, `*_ids`, `id`, compare's `a`/`b`) and is not declared by a resolver: the router-level guard
refuses such a route at run time, and tests/db/test_guard_coverage.py fails on it before that.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from backend.api.ids import IdOf, is_id_name

F = TypeVar("F", bound=Callable[..., Any])

# The guard's resolvers: the only dependencies allowed to read an id.
RESOLVERS: set[Callable[..., Any]] = set()
# Names that hold ids without saying so (GET /versions/compare?a=&b=).
ID_ALIASES = frozenset({"a", "b"})


def resolver(fn: F) -> F:
    """Register a dependency of the guard as one that resolves the ids it declares."""
    RESOLVERS.add(fn)
    return fn


def _looks_like_id(name: str) -> bool:
    return is_id_name(name) or name in ID_ALIASES


def marked(annotation: Any, metadata: list[Any] | tuple[Any, ...] = ()) -> IdOf | None:
    """The IdOf mark of a field, on the field itself or on its type (`X | None`, `list[X]`)."""
    for meta in metadata:
        if isinstance(meta, IdOf):
            return meta
    if get_origin(annotation) is Annotated:
        return marked(get_args(annotation)[0], annotation.__metadata__)
    for arg in get_args(annotation):
        found = marked(arg)
        if found is not None:
            return found
    return None


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models a type holds (itself, in a union, a list, a dict)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    origin = get_origin(annotation)
    if origin is Annotated or origin in (Union, types.UnionType) or get_args(annotation):
        for arg in get_args(annotation):
            yield from _models(arg)


def _model_fields(model: type[BaseModel], where: str, seen: set[type[BaseModel]]) -> Iterator[tuple[str, bool]]:
    """(field path, marked) for every id-like field of the model and its nested models."""
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        path = f"{where}.{info.alias or name}"
        if _looks_like_id(info.alias or name):
            yield path, marked(info.annotation, info.metadata) is not None
        for inner in _models(info.annotation):
            yield from _model_fields(inner, path, seen)


def unguarded_ids(route: APIRoute) -> list[str]:
    """The id-like parameters of the route that the guard does not resolve, as `where.name` ("" when the
    route is sound)."""
    problems: list[str] = []
    resolved_path: set[str] = set()

    def walk(dependant: Any) -> None:
        guarded = dependant.call in RESOLVERS
        for where in ("path", "query", "header", "cookie"):
            for param in getattr(dependant, f"{where}_params"):
                name = param.alias or param.name
                if where == "path" and guarded:
                    resolved_path.add(name)
                if _looks_like_id(name) and not guarded:
                    problems.append(f"{where}.{name}")
                for model in _models(param.field_info.annotation):
                    problems.extend(p for p, _ in _model_fields(model, where, set()) if not guarded)
        for param in dependant.body_params:
            name = param.alias or param.name
            if _looks_like_id(name) and (not guarded or marked(param.field_info.annotation,
                                                               param.field_info.metadata) is None):
                problems.append(f"body.{name}")
            for model in _models(param.field_info.annotation):
                # A resolver checks the marked fields of the bodies it declares; anyone else checks none.
                problems.extend(p for p, ok in _model_fields(model, "body", set()) if not (guarded and ok))
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    # An id in the path that no resolver declares could still be read from request.path_params.
    problems.extend(f"path.{name}" for name in route.param_convertors
                    if _looks_like_id(name) and name not in resolved_path and f"path.{name}" not in problems)
    return problems


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every APIRoute of the app, through included routers (which FastAPI keeps
    nested: `app.routes` holds the routers, not their routes)."""
    return [(context.path or "", context.route) for context in iter_route_contexts(app.routes)
            if isinstance(context.route, APIRoute)]
