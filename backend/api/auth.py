"""Authentication for the API: who is asking.

Two ways in: a personal API token (`Authorization: Bearer lbt_...`, the CLI and scripts) or a browser
session cookie. A cookie is sent by the browser on its own, so a state-changing request that relies on
it must also carry the session's CSRF token in `X-CSRF-Token` (the dashboard reads it from the readable
`lensboard_csrf` cookie: double submit, checked against the value stored with the session). Bearer
requests need no CSRF token: nothing sends them on a user's behalf.

What a signed-in caller may do in a project is the access guard's to decide (backend/api/guard.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from backend.api.deps import SessionDep
from backend.core.auth import accounts
from backend.core.auth.secrets import same
from backend.core.db.models import Credential, User

SESSION_COOKIE = "lensboard_session"
CSRF_COOKIE = "lensboard_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

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


def signed_in_username(principal: CurrentPrincipal) -> str:
    return principal.user.username


# Who a change is recorded as (flag history): the signed-in user, never a name the client makes up.
SignedInActor = Annotated[str, Depends(signed_in_username)]
