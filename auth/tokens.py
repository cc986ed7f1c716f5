"""Bearer tokens: JWTs (PyJWT, HS256) signed with a key derived from `secret_key`.

A token names its user (`sub`) and its row in `api_tokens` (`jti`), which is
how it is revoked; `exp` ends it by itself. The signing key is derived from
the secret with its own label, so a token and a session cookie never share a
key.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "vigil"
#: Tokens live 90 days unless asked otherwise; at most five years.
DEFAULT_DAYS = 90
MAX_DAYS = 5 * 365
#: A token longer than this is not one of ours: refused before it is parsed.
MAX_TOKEN = 2048


@dataclass(frozen=True)
class Claims:
    username: str
    token_id: str
    expires: datetime


def signing_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"vigil bearer tokens", hashlib.sha256).digest()


def encode(secret: str, username: str, issued: datetime, days: float) -> tuple[str, Claims]:
    """A new token and what it claims."""
    claims = Claims(username, uuid.uuid4().hex, issued + timedelta(days=days))
    payload = {
        "iss": ISSUER,
        "sub": username,
        "jti": claims.token_id,
        "iat": int(issued.timestamp()),
        "exp": int(claims.expires.timestamp()),
    }
    return jwt.encode(payload, signing_key(secret), algorithm=ALGORITHM), claims


def decode(secret: str, token: str) -> Claims:
    """The claims of a token Vigil signed and that has not expired; Unauthorized otherwise."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        raise Unauthorized("Unauthorized")
    try:
        payload = jwt.decode(
            token,
            signing_key(secret),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "jti", "exp", "iss"]},
        )
    except jwt.PyJWTError:
        raise Unauthorized("Unauthorized") from None
    sub, jti = payload.get("sub"), payload.get("jti")
    if not isinstance(sub, str) or not isinstance(jti, str):
        raise Unauthorized("Unauthorized")
    return Claims(sub, jti, datetime.fromtimestamp(payload["exp"], UTC))
