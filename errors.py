"""The one exception family of Vigil.

Every layer raises these; the page frame, the JSON API and the websockets each
turn them into their own kind of message (an alert, a JSON error body, an
error frame), so a user always reads the same sentence for the same mistake.
"""

from __future__ import annotations


class VigilError(Exception):
    """A failure with a message meant for the user, and an HTTP-like status."""

    status = 500

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: What is wrong with each named field of the request ("readings[3].time": "...").
        self.fields = dict(fields or {})

    def to_dict(self) -> dict[str, object]:
        """The one JSON error shape of the API and the websockets."""
        return {"error": {"code": self.status, "message": self.message, "fields": self.fields}}


class InvalidInput(VigilError):
    """The request names something malformed: a bad value, type or range."""

    status = 400


class Unauthorized(VigilError):
    """The request carries no valid credentials (no session, a bad or expired token)."""

    status = 401


class Forbidden(VigilError):
    """The user is known but their role does not allow this action."""

    status = 403


class NotFound(VigilError):
    """The request names a table, column or record that does not exist."""

    status = 404


class Conflict(InvalidInput):
    """The request clashes with what is stored: a key already taken, a row still in use,
    an idempotency key already spent on another request."""

    status = 409


class Unprocessable(InvalidInput):
    """The request is well-formed but a field breaks its schema (type, range, length)."""

    status = 422


class TooLarge(VigilError):
    """The request is bigger than Vigil accepts (a body, a batch, a frame)."""

    status = 413


class Unavailable(VigilError):
    """The store (or another service) cannot be reached right now."""

    status = 503


class ConfigError(VigilError):
    """The configuration cannot be used; the message names the key."""

    status = 500
