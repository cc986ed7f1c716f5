"""Who may call a route: every route asks here, with the role it needs.

The bearer token of the `Authorization` header goes through auth's one
plug-in point (`user_for_token`); reads need a viewer, label writes a
labeller, changes to the plant's records an admin.
"""

from __future__ import annotations

from flask import request

from auth import Role, User, bearer_token, require, user_for_token


def allow(role: Role) -> User:
    """The caller, when their role is at least `role` (401 without a valid token, 403 below)."""
    return require(role, user_for_token(bearer_token(request.headers.get("Authorization"))))
