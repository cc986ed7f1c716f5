"""Who is asking: the one place pages, API routes and websockets learn the user.

Every state-changing entry point calls `require(role)` (reads call
`current_user()`), so accounts, sessions and bearer tokens plug in here and
nowhere else. Until they do, every request is the single local user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from errors import Forbidden, Unauthorized

Role = Literal["viewer", "labeller", "admin"]
#: Each role may do everything the roles before it may.
ROLES: tuple[Role, ...] = ("viewer", "labeller", "admin")


@dataclass(frozen=True)
class User:
    name: str
    role: Role


LOCAL_USER = User("analyst", "admin")
#: No accounts yet (issue 7 makes this a setting, refused on a non-loopback address).
AUTH_OFF = True


def current_user() -> User:
    """The user of the request being served."""
    return LOCAL_USER


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (None without one)."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def user_for_token(token: str | None) -> User:
    """The user a bearer token stands for (the ingest API's `Authorization` header, seed
    001's websocket `auth` message); Unauthorized when it stands for no one.

    Until accounts arrive (issue 7) auth is off: there is one local user and every
    request is theirs, token or not; with auth on no token is valid yet. Issue 7
    plugs in here: with auth on, verify the signed, expiring token (PyJWT), refuse
    a revoked one, and return its user; callers already turn Unauthorized into
    HTTP 401 and into `{"error": {"message": "Unauthorized", "code": 4401}}`.
    """
    if AUTH_OFF:
        return LOCAL_USER
    raise Unauthorized("Unauthorized")


def require(role: Role, user: User | None = None) -> User:
    """`user` (default: the current user), or Forbidden when their role is below `role`."""
    user = user or current_user()
    if ROLES.index(user.role) < ROLES.index(role):
        raise Forbidden(f"this needs the {role} role; {user.name} is a {user.role}")
    return user
