"""Users, bearer tokens and the audit log, kept in the configured store.

Everything goes through `Store.accounts()`, the records API over the account
tables (the same checks on SQLite, PostgreSQL and BigQuery), so no backend
has code of its own for accounts. Users and token rows are cached for a few
seconds per process: a request costs no store round trip for its user, and a
user disabled (or a token revoked) through any process is refused everywhere
within `CACHE_SECONDS`.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from auth import ROLES, User, passwords, tokens
from data.store import Store
from data.times import utc_now
from errors import InvalidInput, NotFound, Unauthorized

#: A username: letters, digits and . _ @ -, starting with a letter or digit.
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MAX_USERNAME = 64
CACHE_SECONDS = 10.0
#: Seed-like default of the issue: five failed logins a minute per username and per address.
FAILURES_ALLOWED = 5
FAILURE_WINDOW = timedelta(minutes=1)
MAX_DETAIL = 2000
ADMIN = "admin"


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    created: datetime
    disabled: bool
    password_hash: str

    @property
    def user(self) -> User:
        return User(self.username, self.role)  # type: ignore[arg-type]


def check_username(name: Any) -> str:
    if not isinstance(name, str) or not USERNAME.fullmatch(name):
        raise InvalidInput(
            "a username has 1 to 64 letters, digits or . _ @ -, starting with a letter or digit",
            {"username": "invalid"},
        )
    return name


def check_role(role: Any) -> str:
    if role not in ROLES:
        raise InvalidInput(f"a role is one of {', '.join(ROLES)}", {"role": "unknown"})
    return role


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Accounts:
    """The accounts of one store; `secret` signs the bearer tokens."""

    def __init__(
        self, store: Store, secret: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self.secret = secret
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}

    # -- cache --------------------------------------------------------------
    def _cached(self, kind: str, key: str, load: Callable[[], Any]) -> Any:
        now = self._clock()
        with self._lock:
            found = self._cache.get((kind, key))
        if found is not None and now - found[0] < CACHE_SECONDS:
            return found[1]
        value = load()
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[(kind, key)] = (now, value)
        return value

    def forget(self, kind: str, key: str) -> None:
        with self._lock:
            self._cache.pop((kind, key), None)

    # -- users --------------------------------------------------------------
    def _rows(self, table: str, where: dict[str, Any], order: list[str], limit: int) -> list:
        return self.store.accounts().rows(table, where, order, limit)

    def find(self, username: str, fresh: bool = False) -> Account | None:
        """The account of `username`, None when there is none (or the name is not one)."""
        if not isinstance(username, str) or not USERNAME.fullmatch(username):
            return None

        def load() -> Account | None:
            found = self._rows("users", {"username": username}, [], 1)
            return _account(found[0]) if found else None

        if fresh:
            self.forget("user", username)
        return self._cached("user", username, load)

    def users(self) -> list[Account]:
        return [_account(r) for r in self._rows("users", {}, ["username"], 10_000)]

    def any_user(self) -> bool:
        return bool(self._rows("users", {}, [], 1))

    def create(self, username: str, password: str, role: str) -> Account:
        row = {
            "username": check_username(username),
            "password_hash": passwords.hash_password(password),
            "role": check_role(role),
            "created": utc_now(),
            "disabled": False,
        }
        try:
            stored = self.store.accounts().insert("users", row)
        except InvalidInput as exc:
            if "already exists" in exc.message:
                raise InvalidInput(
                    f"user '{username}' already exists", {"username": "taken"}
                ) from None
            raise
        self.forget("user", username)
        return _account(stored)

    def change(self, username: str, **values: Any) -> Account:
        """Set a user's `role`, `disabled` or `password` (hashed here)."""
        check_username(username)
        changes: dict[str, Any] = {}
        if "role" in values:
            changes["role"] = check_role(values["role"])
        if "disabled" in values:
            if not isinstance(values["disabled"], bool):
                raise InvalidInput("disabled is true or false", {"disabled": "bool"})
            changes["disabled"] = values["disabled"]
        if "password" in values:
            changes["password_hash"] = passwords.hash_password(values["password"])
        if self.find(username, fresh=True) is None:
            raise NotFound(f"no user '{username}'")
        stored = self.store.accounts().update("users", {"username": username}, changes)
        self.forget("user", username)
        return _account(stored)

    def login(self, username: Any, password: Any) -> Account | None:
        """The account when `password` is the user's and the user is enabled, else None:
        one argon2 check either way, so a wrong password and an unknown user cost the same."""
        account = self.find(username, fresh=True) if isinstance(username, str) else None
        ok = passwords.verify(account.password_hash if account else None, password)
        if not ok or account is None or account.disabled:
            return None
        return account

    def active(self, username: str) -> Account | None:
        """The account, if it exists and is not disabled (cached)."""
        account = self.find(username)
        return None if account is None or account.disabled else account

    def first_admin(self) -> str | None:
        """On a store without users, create `admin` with a random password and return
        the password (None when users exist, or another process made the admin first)."""
        if self.any_user():
            return None
        password = passwords.random_password()
        try:
            self.create(ADMIN, password, "admin")
        except InvalidInput:
            return None
        return password

    # -- tokens -------------------------------------------------------------
    def issue_token(
        self, username: str, days: float = tokens.DEFAULT_DAYS, note: str = ""
    ) -> tuple[str, tokens.Claims]:
        if self.find(username, fresh=True) is None:
            raise NotFound(f"no user '{username}'")
        if not 0 < days <= tokens.MAX_DAYS:
            raise InvalidInput(f"a token lasts more than 0 and at most {tokens.MAX_DAYS} days")
        issued = utc_now()
        token, claims = tokens.encode(self.secret, username, issued, days)
        self.store.accounts().insert(
            "api_tokens",
            {
                "token_id": claims.token_id,
                "username": username,
                "created": issued,
                "expires": claims.expires,
                "revoked": None,
                "note": _clip(note, 200) or None,
            },
        )
        return token, claims

    def token_user(self, token: str | None) -> User:
        """The user a valid token stands for; Unauthorized for a forged, expired or
        revoked token, or one whose user is disabled or gone."""
        if token is None:
            raise Unauthorized("Unauthorized")
        claims = tokens.decode(self.secret, token)

        def load() -> dict[str, Any] | None:
            found = self._rows("api_tokens", {"token_id": claims.token_id}, [], 1)
            return found[0] if found else None

        row = self._cached("token", claims.token_id, load)
        if row is None or row["revoked"] is not None or row["username"] != claims.username:
            raise Unauthorized("Unauthorized")
        account = self.active(claims.username)
        if account is None:
            raise Unauthorized("Unauthorized")
        return account.user

    def revoke_token(self, token_or_id: str) -> dict[str, Any]:
        """Revoke by the token itself or its id (`jti`, as `tokens()` lists it)."""
        token_id = token_or_id
        if "." in token_or_id:
            token_id = tokens.decode(self.secret, token_or_id).token_id
        found = self._rows("api_tokens", {"token_id": token_id}, [], 1)
        if not found:
            raise NotFound(f"no token '{_clip(token_id, 80)}'")
        row = self.store.accounts().update(
            "api_tokens", {"token_id": token_id}, {"revoked": utc_now()}
        )
        self.forget("token", token_id)
        return row

    def tokens(self, username: str | None = None) -> list[dict[str, Any]]:
        where = {"username": username} if username else {}
        return self._rows("api_tokens", where, ["-created"], 1000)

    # -- audit log and rate limit ---------------------------------------------
    def record(self, action: str, username: str, address: str, detail: str = "") -> None:
        self.store.accounts().insert(
            "audit_log",
            {
                "event_id": uuid.uuid4().hex,
                "time": utc_now(),
                "username": _clip(username or "-", MAX_USERNAME),
                "action": action,
                "address": _clip(address or "-", 64),
                "detail": _clip(detail, MAX_DETAIL) or None,
            },
        )

    def audit(self, limit: int = 200) -> list[dict[str, Any]]:
        return self._rows("audit_log", {}, ["-time"], limit)

    def throttled(self, username: str, address: str) -> bool:
        """Whether the username or the address had FAILURES_ALLOWED failed logins in
        the last minute (counted in the store, so every process sees them)."""
        since = utc_now() - FAILURE_WINDOW
        name = _clip(username or "-", MAX_USERNAME)
        for column, value in (("username", name), ("address", _clip(address, 64))):
            recent = self._rows(
                "audit_log", {"action": "login-failed", column: value}, ["-time"], FAILURES_ALLOWED
            )
            if len(recent) >= FAILURES_ALLOWED and recent[-1]["time"] > since:
                return True
        return False


def _account(row: dict[str, Any]) -> Account:
    return Account(
        row["username"], row["role"], row["created"], bool(row["disabled"]), row["password_hash"]
    )
