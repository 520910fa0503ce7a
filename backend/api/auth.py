"""Authentication and access for the API.

Two ways in: a personal API token (`Authorization: Bearer lbt_...`, the CLI and scripts) or a browser
session cookie. A cookie is sent by the browser on its own, so a state-changing request that relies on
it must also carry the session's CSRF token in `X-CSRF-Token` (the dashboard reads it from the readable
`lensboard_csrf` cookie: double submit, checked against the value stored with the session). Bearer
requests need no CSRF token: nothing sends them on a user's behalf.

`authorize` guards every project route from one place: it finds the project behind each id in the path
(see backend/core/auth/access.py) and compares the caller's role there with the route's need (GET: viewer;
other methods: editor; routes marked OWNER_ONLY: owner). A non-member gets the same 404 as for an id
that does not exist, so ids of other people's projects reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.routing import APIRoute
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from backend.api.deps import SessionDep
from backend.api.errors import NotFound
from backend.core.auth import access, accounts
from backend.core.auth.secrets import same
from backend.core.db.models import Credential, User

SESSION_COOKIE = "lensboard_session"
CSRF_COOKIE = "lensboard_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# openapi_extra markers: the role a route needs when its method alone does not say it.
OWNER_ONLY: dict[str, Any] = {"x-role": "owner"}
VIEWER_ONLY: dict[str, Any] = {"x-role": "viewer"}  # a POST that changes nothing (e.g. a query)
# Query parameters that name a version, for routes that take versions in the query.
VERSION_QUERY: dict[str, Any] = {"x-version-query-params": ["a", "b"]}

bearer_scheme = HTTPBearer(auto_error=False, scheme_name="ApiToken",
                           description="A personal API token (`lbt_...`), from POST /api/auth/tokens or "
                                       "`lensboard login`")
cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, scheme_name="Session",
                             description="The dashboard's session cookie (state-changing requests also "
                                         f"need the `{CSRF_HEADER}` header)")


class Unauthenticated(HTTPException):
    def __init__(self, message: str = "sign in first: send an API token (Authorization: Bearer) or a session "
                                      "cookie") -> None:
        super().__init__(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(HTTPException):
    def __init__(self, message: str) -> None:
        super().__init__(status_code=403, detail=message)


@dataclass(frozen=True)
class Principal:
    user: User
    credential: Credential
    via: str  # "token" or "session"

    @property
    def key(self) -> str:
        return f"user:{self.user.id}"


def optional_principal(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Principal | None:
    principal: Principal | None = None
    if bearer is not None:
        found = accounts.resolve(session, bearer.credentials, "token")
        if found is None:
            # A wrong token is an error even with a valid cookie beside it: a script should learn at once.
            raise Unauthenticated("the API token is invalid, expired or revoked")
        principal = Principal(found[1], found[0], "token")
    elif cookie:
        found = accounts.resolve(session, cookie, "session")
        if found is not None:
            principal = Principal(found[1], found[0], "session")
            if request.method not in SAFE_METHODS:
                sent = request.headers.get(CSRF_HEADER, "")
                if not sent or not same(sent, found[0].csrf_token or ""):
                    raise Forbidden(f"missing or wrong {CSRF_HEADER} header (reload the page)")
    if principal is not None:
        accounts.touch(session, principal.credential)
        request.state.principal = principal
    return principal


def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise Unauthenticated()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_admin(principal: CurrentPrincipal) -> Principal:
    if not principal.user.is_admin:
        raise Forbidden("only a site administrator can do this")
    return principal


def needed_role(request: Request) -> str:
    route = request.scope.get("route")
    extra = (route.openapi_extra or {}) if isinstance(route, APIRoute) else {}
    role = extra.get("x-role")
    if isinstance(role, str):
        return role
    return "viewer" if request.method in SAFE_METHODS else "editor"


def _named_ids(request: Request) -> list[tuple[str, int]]:
    """(kind of id, value) for every id in the path, and in the query where the route declares it."""
    found: list[tuple[str, int]] = []
    route = request.scope.get("route")
    extra = (route.openapi_extra or {}) if isinstance(route, APIRoute) else {}
    named = [(k, v) for k, v in request.path_params.items() if k in access.PROJECT_OF]
    named += [(k, request.query_params[k]) for k in ("version_id", "project_id") if k in request.query_params]
    named += [("version_id", request.query_params[k]) for k in extra.get("x-version-query-params", [])
              if k in request.query_params]
    for kind, raw in named:
        try:
            found.append((kind, int(raw)))
        except (TypeError, ValueError):
            continue  # not an id: the route's own validation answers 422
    return found


def authorize(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Principal:
    """The router-level guard of every project route (see the module docstring)."""
    needed = needed_role(request)
    for kind, ident in _named_ids(request):
        project_id, role = access.project_and_role(session, kind, ident, principal.user)
        if project_id == access.MISSING:
            continue  # the route answers its own 404
        what = kind.removesuffix("_id")
        if project_id == access.NO_PROJECT:
            if not principal.user.is_admin:
                raise NotFound(what, ident)
            continue
        if role is None:
            raise NotFound(what, ident)
        if not access.allows(role, needed):
            raise Forbidden(f"you are a {role} of project {project_id}; this needs the {needed} role")
    return principal


Authorized = Depends(authorize)


def signed_in_username(principal: CurrentPrincipal) -> str:
    return principal.user.username


# Who a change is recorded as (flag history): the signed-in user, never a name the client makes up.
SignedInActor = Annotated[str, Depends(signed_in_username)]
