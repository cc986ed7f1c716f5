"""Password hashes (argon2id, argon2-cffi's RFC 9106 low-memory profile) and their checks.

A login for a username that does not exist checks the password against a hash
made once per process with the same parameters, so both answers cost one
argon2 verification: the time taken says nothing about which usernames exist.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from errors import InvalidInput

_HASHER = PasswordHasher()
#: Longer passwords are refused before hashing: argon2 on megabytes is a denial of service.
MAX_PASSWORD = 1024
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    """The hash to store for a new password; InvalidInput for one too short or too long."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters",
            {"password": "length"},
        )
    return _HASHER.hash(password)


@cache
def _decoy() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored` (None: no such user; checked against the decoy)."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        password = ""
    try:
        return _HASHER.verify(stored or _decoy(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def random_password() -> str:
    """A password for the first admin (printed once) or a reset: 128 random bits."""
    return secrets.token_urlsafe(16)


def fingerprint(stored: str) -> str:
    """A short digest of a hash, kept in the session cookie: a changed password (a reset)
    no longer matches it, which ends every session opened with the old one."""
    return hashlib.sha256(stored.encode()).hexdigest()[:16]
