"""The OpenAPI 3 document of /api/v1, derived by spectree from the routes' pydantic models.

Routes declare their query, body, header and response models with `validate`;
spectree checks requests against them before the route runs (a refusal is a
422 in errors.py's shape, naming each field) and checks each response
against its model, so the document served at /api/v1/openapi.json is the
contract the code keeps.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree

from api.schemas import ErrorBody
from errors import Unprocessable

#: Every route may answer these, in errors.py's one shape.
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422)


def _refuse(_req: Any, _resp: Any, error: Exception | None, _instance: Any, *_: Any) -> None:
    """Spectree's request check failed: raise it as Vigil's 422, one entry per field."""
    if error is None:
        return
    fields = {}
    for problem in error.errors():  # type: ignore[attr-defined]
        fields[_location(problem["loc"])] = problem["msg"]
    names = ", ".join(fields) or "the request"
    raise Unprocessable(f"invalid {names}; nothing was done", fields)


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


spec = SpecTree(
    "flask",
    mode="strict",
    title="Vigil API",
    version="1",
    description="Readings in, series, anomalies, labels and the plant's records out. "
    'Errors read {"error": {"code", "message", "fields"}}.',
    path="apidoc",
    page_templates={},
    before=_refuse,
    validation_error_model=ErrorBody,
    security_schemes=[
        SecurityScheme(name="bearer", data=SecuritySchemeData(type="http", scheme="bearer"))
    ],
    # With `auth: false` (one local user) a request without a token is served too.
    security=[{"bearer": []}],
)


def responses(status: int = 200, model: type[BaseModel] | None = None, *extra: int) -> Response:
    """The route's success answer and every error status, each with its model."""
    codes: dict[str, Any] = {f"HTTP_{status}": model}
    codes.update({f"HTTP_{code}": None for code in extra})
    codes.update({f"HTTP_{code}": ErrorBody for code in ERROR_STATUSES})
    return Response(**codes)


def validate(tag: str, status: int = 200, model: type[BaseModel] | None = None, **kwargs: Any):
    """spectree's `validate` with Vigil's answers; `cacheable` reads also answer 304."""
    extra = (304,) if kwargs.pop("cacheable", False) else ()
    return spec.validate(resp=responses(status, model, *extra), tags=[tag], **kwargs)


def document() -> dict[str, Any]:
    """The OpenAPI document (built once: the routes do not change while the app runs)."""
    return spec.spec
