"""Who is asking: the one place pages, API routes and websockets learn the user.

Every state-changing entry point calls `require(role)` (reads call
`current_user()`), so accounts, sessions and bearer tokens plug in here and
nowhere else. Until they do, every request is the single local user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from errors import Forbidden

Role = Literal["viewer", "labeller", "admin"]
#: Each role may do everything the roles before it may.
ROLES: tuple[Role, ...] = ("viewer", "labeller", "admin")


@dataclass(frozen=True)
class User:
    name: str
    role: Role


LOCAL_USER = User("analyst", "admin")


def current_user() -> User:
    """The user of the request being served."""
    return LOCAL_USER


def require(role: Role) -> User:
    """The current user, or Forbidden when their role is below `role`."""
    user = current_user()
    if ROLES.index(user.role) < ROLES.index(role):
        raise Forbidden(f"this needs the {role} role; {user.name} is a {user.role}")
    return user
