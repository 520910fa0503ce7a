"""Signing in and out, one-time login links, personal API tokens and (for administrators) users."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from backend.api.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentPrincipal,
    Principal,
    Unauthenticated,
    require_admin,
)
from backend.api.deps import SessionDep
from backend.api.errors import Conflict, Unprocessable
from backend.api.guard import OwnSessionDep, OwnTokenDep
from backend.api.limits import RATE_LIMITED, UsernameAttempts, rate_limit
from backend.api.schemas.accounts import (
    LoginIn,
    MeOut,
    PasswordChange,
    SessionOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
)
from backend.core.auth import accounts
from backend.core.auth.passwords import verify_password
from backend.core.db.models import Credential, User

router = APIRouter(tags=["auth"])

# An id in a path is digits only: "1.0", "01", "+1" or " 1" name nothing.


def _me(user: User, credential: Credential | None) -> MeOut:
    return MeOut(id=user.id, username=user.username, is_admin=user.is_admin, created_at=user.created_at,
                 has_password=user.password_hash is not None,
                 csrf_token=credential.csrf_token if credential is not None else None)


def _start_session(request: Request, response: Response, session: SessionDep, user: User) -> Credential:
    issued = accounts.issue(session, user, "session", name=request.headers.get("user-agent", "")[:100],
                            lifetime=accounts.SESSION_LIFETIME)
    session.commit()
    secure = request.url.scheme == "https"
    max_age = int(accounts.SESSION_LIFETIME.total_seconds())
    # Strict: the cookie never rides along on a request started by another site.
    response.set_cookie(SESSION_COOKIE, issued.secret, max_age=max_age, httponly=True, samesite="strict",
                        secure=secure, path="/")
    # Readable by the dashboard's script on purpose: it echoes it in X-CSRF-Token (double submit).
    response.set_cookie(CSRF_COOKIE, issued.credential.csrf_token or "", max_age=max_age, httponly=False,
                        samesite="strict", secure=secure, path="/")
    return issued.credential


@router.post("/auth/login", operation_id="login", dependencies=[rate_limit("login")],
             responses={**RATE_LIMITED, 401: {"description": "Wrong username or password"}})
def login(body: LoginIn, request: Request, response: Response, session: SessionDep) -> MeOut:
    """Sign in with a password: sets the session cookie (HttpOnly) and the CSRF cookie."""
    attempts = UsernameAttempts(request, body.username)
    attempts.check()
    user = accounts.authenticate(session, body.username, body.password)
    if user is None:
        attempts.failed()
        raise Unauthenticated("wrong username or password")
    return _me(user, _start_session(request, response, session, user))


@router.get("/auth/link", operation_id="useLoginLink", response_class=RedirectResponse, status_code=303,
            dependencies=[rate_limit("login")],
            responses={**RATE_LIMITED, 303: {"description": "Signed in: on to the dashboard"},
                       401: {"description": "The link is unknown, used or expired"}})
def use_login_link(request: Request, session: SessionDep,
                   token: str = Query(min_length=1, max_length=200),
                   next: str = Query(default="/", max_length=500)) -> RedirectResponse:
    """A one-time sign-in link (printed by `lensboard serve`, or `lensboard users link NAME`)."""
    user = accounts.consume_login_link(session, token)
    if user is None:
        raise Unauthenticated("this sign-in link is unknown, already used or expired: "
                              "ask for a new one (`lensboard users link NAME`)")
    # Only a path on this site: a link must not bounce a signed-in user to another site.
    target = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
    response = RedirectResponse(target, status_code=303)
    _start_session(request, response, session, user)
    return response


@router.post("/auth/logout", status_code=204, operation_id="logout")
def logout(principal: CurrentPrincipal, session: SessionDep) -> Response:
    """End this browser session (with a token: nothing to end; revoke tokens with DELETE /auth/tokens/ID)."""
    if principal.via == "session":
        cred = session.get(Credential, principal.credential.id)
        if cred is not None:
            accounts.revoke(session, cred)
            session.commit()
    response = Response(status_code=204)
    _clear_cookies(response)
    return response


def _clear_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/auth/me", operation_id="getMe")
def me(principal: CurrentPrincipal) -> MeOut:
    return _me(principal.user, principal.credential if principal.via == "session" else None)


@router.post("/auth/password", status_code=204, operation_id="changePassword")
def change_password(body: PasswordChange, principal: CurrentPrincipal, session: SessionDep) -> Response:
    user = session.get(User, principal.user.id)
    assert user is not None
    if user.password_hash is not None and not verify_password(user.password_hash, body.current_password or ""):
        raise Unprocessable("current_password: wrong password")
    try:
        accounts.set_password(user, body.new_password)
    except accounts.AccountError as e:
        raise Unprocessable(str(e)) from e
    # Whoever else knew the old password may be signed in elsewhere: their sessions end now. Tokens serve
    # scripts, so they stay unless asked; the credential making this request always stays.
    kinds = ("session", "token") if body.revoke_tokens else ("session",)
    accounts.revoke_others(session, user.id, kinds, keep=principal.credential.id)
    session.commit()
    return Response(status_code=204)


@router.get("/auth/sessions", operation_id="listSessions")
def list_sessions(principal: CurrentPrincipal, session: SessionDep) -> list[SessionOut]:
    """The caller's live browser sessions (signed in and neither signed out, revoked nor expired)."""
    return [SessionOut.model_validate(c).model_copy(update={"current": c.id == principal.credential.id})
            for c in accounts.live_credentials(session, principal.user.id, "session")]


@router.delete("/auth/sessions/{session_id}", status_code=204, operation_id="revokeSession")
def revoke_session(cred: OwnSessionDep, principal: CurrentPrincipal, session: SessionDep) -> Response:
    """Sign one of the caller's browser sessions out (another browser, or this one). Another user's session
    is a 404, as if it did not exist."""
    accounts.revoke(session, cred)
    session.commit()
    response = Response(status_code=204)
    if cred.id == principal.credential.id:
        _clear_cookies(response)
    return response


@router.get("/auth/tokens", operation_id="listTokens")
def list_tokens(principal: CurrentPrincipal, session: SessionDep) -> list[TokenOut]:
    rows = session.scalars(select(Credential).where(Credential.user_id == principal.user.id,
                                                    Credential.kind == "token").order_by(Credential.id))
    return [TokenOut.model_validate(c) for c in rows]


@router.post("/auth/tokens", status_code=201, operation_id="createToken")
def create_token(body: TokenCreate, principal: CurrentPrincipal, session: SessionDep) -> TokenCreated:
    """A personal API token for the CLI and scripts. The response is the only time it is shown."""
    user = session.get(User, principal.user.id)
    assert user is not None
    lifetime = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    issued = accounts.issue(session, user, "token", name=body.name, lifetime=lifetime)
    session.commit()
    return TokenCreated(**TokenOut.model_validate(issued.credential).model_dump(), token=issued.secret)


@router.delete("/auth/tokens/{token_id}", status_code=204, operation_id="revokeToken")
def revoke_token(cred: OwnTokenDep, session: SessionDep) -> Response:
    accounts.revoke(session, cred)
    session.commit()
    return Response(status_code=204)


AdminPrincipal = Annotated[Principal, Depends(require_admin)]


@router.get("/users", operation_id="listUsers")
def list_users(_: AdminPrincipal, session: SessionDep) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in session.scalars(select(User).order_by(User.id))]


@router.post("/users", status_code=201, operation_id="createUser")
def create_user(body: UserCreate, _: AdminPrincipal, session: SessionDep) -> UserOut:
    try:
        user = accounts.create_user(session, body.username, body.password, is_admin=body.is_admin)
    except accounts.UserExists as e:
        raise Conflict(str(e)) from e
    except accounts.AccountError as e:
        raise Unprocessable(str(e)) from e
    session.commit()
    return UserOut.model_validate(user)
