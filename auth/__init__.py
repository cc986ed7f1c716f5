"""Who is asking: the one place pages, API routes and websockets learn the user.

Every state-changing entry point calls `require(role)` (reads call
`current_user()`); the app's Gate (auth/gate.py, installed by `create_app`)
answers from the request's session cookie or bearer token. With `auth: false`
every request is the single local user. Outside a request (the CLI, a test
calling a function directly) the caller is that local user too: only code run
on this machine gets there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from flask import current_app, has_app_context, has_request_context

from errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    from auth.gate import Gate

Role = Literal["viewer", "labeller", "admin"]
#: Each role may do everything the roles before it may.
ROLES: tuple[Role, ...] = ("viewer", "labeller", "admin")
EXTENSION = "vigil-auth"


@dataclass(frozen=True)
class User:
    name: str
    role: Role


#: The one user of `auth: false` (and of the CLI).
LOCAL_USER = User("analyst", "admin")


@dataclass(frozen=True)
class Credential:
    """What a request's user came with: a bearer token, or the session cookie's user
    and password seal. A websocket keeps it to ask again while it stays open, so a
    revoked token, a password reset or a disabled user ends the socket too."""

    token: str | None = None
    username: str | None = None
    seal: str | None = None


def _gate() -> Gate | None:
    return current_app.extensions.get(EXTENSION) if has_app_context() else None


def request_user() -> User | None:
    """The user of the request being served, None when it carries no valid credentials."""
    if not has_request_context():
        return LOCAL_USER
    gate = _gate()
    return None if gate is None else gate.request_user()


def current_user() -> User:
    """The user of the request being served; Unauthorized when there is none."""
    user = request_user()
    if user is None:
        raise Unauthorized("Unauthorized: log in first")
    return user


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (None without one)."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def user_for_token(token: str | None) -> User:
    """The user a bearer token stands for (the ingest API's `Authorization` header, seed
    001's websocket `auth` message); Unauthorized for a missing, forged, expired or
    revoked token. Callers turn Unauthorized into HTTP 401 and into
    `{"error": {"message": "Unauthorized", "code": 4401}}`.
    """
    gate = _gate()
    if gate is None:
        if has_request_context():
            raise Unauthorized("Unauthorized")
        return LOCAL_USER
    return gate.token_user(token)


def require(role: Role, user: User | None = None) -> User:
    """`user` (default: the current user), or Forbidden when their role is below `role`."""
    user = user or current_user()
    if ROLES.index(user.role) < ROLES.index(role):
        raise Forbidden(f"this needs the {role} role; {user.name} is a {user.role}")
    return user
