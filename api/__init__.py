"""The JSON API under /api/v1: one Flask blueprint, every error in one JSON shape.

Errors read `{"error": {"code": ..., "message": ..., "fields": {...}}}` (errors.py),
whatever raised them: a VigilError, a body too large, malformed JSON, an
unknown route or method, or a bug (500, logged with its traceback).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from api.access import PUBLIC, check, needs
from api.paging import conditional
from errors import InvalidInput, NotFound, TooLarge, VigilError

log = logging.getLogger(__name__)

#: Largest request body: 10,000 readings with long ids fit well inside.
MAX_BODY_BYTES = 8 * 1024 * 1024

blueprint = Blueprint("api", __name__)


@blueprint.before_request
def _admit() -> None:
    """Check the caller's role (401/403), then refuse a body over the limit (413, before
    reading it) or that is not JSON (400), before the route's schema check runs: a
    refused request reaches no store."""
    check(current_app.view_functions[request.endpoint])
    request.max_content_length = MAX_BODY_BYTES
    if request.method in ("POST", "PUT", "PATCH") and (
        request.content_length or request.headers.get("Transfer-Encoding")
    ):
        g.api_body = _parse_body()


def _parse_body() -> Any:
    if not request.mimetype or request.mimetype != "application/json":
        raise InvalidInput(
            "send the body as JSON with 'Content-Type: application/json'",
            {"body": "not application/json"},
        )
    data = request.get_data(cache=True)  # kept for the schema check of the route
    try:
        return request.json_module.loads(data)
    except ValueError as exc:
        raise InvalidInput(
            f"the body is not valid JSON: {exc}", {"body": "malformed JSON"}
        ) from None


def json_body() -> Any:
    """The request's JSON document; InvalidInput when it is not JSON."""
    if "api_body" not in g:
        g.api_body = _parse_body()
    return g.api_body


@blueprint.after_request
def _cache_reads(response: Response) -> Response:
    return conditional(response)


@blueprint.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@needs(PUBLIC)
def _no_route(_rest: str) -> None:
    """Anything else under /api/v1 (Dash's page router would answer a GET with a page)."""
    allowed = {
        method
        for rule in current_app.url_map.iter_rules()
        if rule.rule == request.path and rule.endpoint != "api._no_route"
        for method in rule.methods or ()
    } - {"HEAD", "OPTIONS"}
    if allowed:
        raise MethodNotAllowed(
            sorted(allowed), f"{request.path} takes {', '.join(sorted(allowed))}"
        )
    raise NotFound(f"no API route {request.method} {request.path}")


def error_response(exc: VigilError) -> tuple[Response, int]:
    return jsonify(exc.to_dict()), exc.status


@blueprint.errorhandler(VigilError)
def _vigil_error(exc: VigilError) -> tuple[Response, int]:
    return error_response(exc)


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> tuple[Response, int]:
    return error_response(
        TooLarge(f"the body is over {MAX_BODY_BYTES // 1024 // 1024} MiB", {"body": "too large"})
    )


@blueprint.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response, int]:
    error = VigilError(exc.description or exc.name)
    error.status = exc.code or 500
    return error_response(error)


@blueprint.errorhandler(Exception)
def _bug(exc: Exception) -> tuple[Response, int]:
    log.exception("API request %s %s failed", request.method, request.path)
    return error_response(VigilError("internal error; the server log has the details"))


# Each registers its routes on the blueprint.
from api import anomalies, catalog, docs, labels, records, routes  # noqa: E402, F401
