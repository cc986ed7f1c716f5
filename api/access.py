"""Who may call a route: each route names the role it needs, checked before anything else.

`needs(role)` marks a route; the blueprint checks the mark before the body is
read or the request's schema checked, so a caller without the role learns
nothing about the route but 401/403. The bearer token of the `Authorization`
header goes through auth's one plug-in point (`user_for_token`); reads need a
viewer, label writes and ingest a labeller, changes to the plant's records an
admin. A route without a mark is refused: a new route cannot forget it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from flask import g, request

from auth import Role, User, bearer_token, require, user_for_token
from errors import VigilError

View = TypeVar("View", bound=Callable[..., Any])
#: A route anyone may call: the OpenAPI document (Swagger UI loads it without a token).
PUBLIC = "public"


def needs(role: Role | Literal["public"]) -> Callable[[View], View]:
    def mark(view: View) -> View:
        view.api_role = role  # type: ignore[attr-defined]
        return view

    return mark


def check(view: Callable[..., Any]) -> None:
    """Refuse the request unless its caller has the view's role (401 / 403)."""
    role = getattr(view, "api_role", None)
    if role is None:
        raise VigilError(f"the API route {request.endpoint} names no role")
    if role != PUBLIC:
        g.api_user = require(
            role, user_for_token(bearer_token(request.headers.get("Authorization")))
        )


def caller() -> User:
    """The user `check` let in."""
    return g.api_user
