"""Accounts on every backend: users, tokens, the audit log and its rate limit, kept in
the store through `Store.accounts()` and out of reach of every table-name path."""

from __future__ import annotations

from datetime import timedelta

import pytest

from auth import tokens
from auth.accounts import FAILURES_ALLOWED, Accounts
from data.store import Store
from data.times import utc_now
from errors import InvalidInput, NotFound, Unauthorized

SECRET = "contract-secret-" + "x" * 32


@pytest.fixture
def accounts(store: Store) -> Accounts:
    return Accounts(store, SECRET)


def test_users_are_created_found_changed_and_checked(accounts: Accounts) -> None:
    assert not accounts.any_user() and accounts.first_admin() is not None
    assert accounts.first_admin() is None  # only ever once
    made = accounts.create("ana.k", "correct horse battery", "labeller")
    assert (made.username, made.role, made.disabled) == ("ana.k", "labeller", False)
    assert made.password_hash.startswith("$argon2id$") and "correct" not in made.password_hash
    with pytest.raises(InvalidInput, match="already exists"):
        accounts.create("ana.k", "another password", "viewer")
    assert accounts.login("ana.k", "correct horse battery").username == "ana.k"
    assert accounts.login("ana.k", "wrong password") is None
    assert accounts.login("nobody", "correct horse battery") is None
    accounts.change("ana.k", role="admin", disabled=True)
    assert accounts.find("ana.k", fresh=True).role == "admin"
    assert accounts.login("ana.k", "correct horse battery") is None  # disabled
    accounts.change("ana.k", disabled=False, password="a brand new one")
    assert accounts.login("ana.k", "a brand new one") is not None
    assert accounts.login("ana.k", "correct horse battery") is None
    assert [a.username for a in accounts.users()] == ["admin", "ana.k"]
    with pytest.raises(NotFound):
        accounts.change("ghost", role="viewer")


@pytest.mark.parametrize(
    "name", ["", "a" * 65, "x' OR '1'='1", "'; DROP TABLE users; --", "-lead", "spa ce", None, 7]
)
def test_bad_usernames_and_roles_are_refused(accounts: Accounts, name: object) -> None:
    with pytest.raises(InvalidInput):
        accounts.create(name, "correct horse battery", "viewer")  # type: ignore[arg-type]
    assert accounts.login(name, "correct horse battery") is None
    assert not accounts.any_user()


def test_bad_roles_and_passwords_are_refused(accounts: Accounts) -> None:
    for role in ("root", "", None):
        with pytest.raises(InvalidInput):
            accounts.create("bob", "correct horse battery", role)  # type: ignore[arg-type]
    for password in ("short", "p" * 1025):
        with pytest.raises(InvalidInput):
            accounts.create("bob", password, "viewer")
    assert not accounts.any_user()


def test_tokens_stand_for_their_user_until_revoked(accounts: Accounts) -> None:
    accounts.create("feeder", "correct horse battery", "labeller")
    token, claims = accounts.issue_token("feeder", days=1, note="line 3 gateway")
    assert accounts.token_user(token).name == "feeder"
    assert [t["note"] for t in accounts.tokens("feeder")] == ["line 3 gateway"]
    accounts.revoke_token(claims.token_id)
    with pytest.raises(Unauthorized):
        accounts.token_user(token)
    other, _ = accounts.issue_token("feeder", days=1)
    accounts.change("feeder", disabled=True)
    with pytest.raises(Unauthorized):
        accounts.token_user(other)


def test_expired_forged_and_foreign_tokens_are_refused(accounts: Accounts) -> None:
    accounts.create("feeder", "correct horse battery", "labeller")
    expired, claims = tokens.encode(SECRET, "feeder", utc_now() - timedelta(days=2), 1)
    accounts.store.accounts().insert(
        "api_tokens",
        {
            "token_id": claims.token_id,
            "username": "feeder",
            "created": utc_now() - timedelta(days=2),
            "expires": claims.expires,
        },
    )
    unknown, _ = tokens.encode(SECRET, "feeder", utc_now(), 1)  # signed, never issued
    foreign, _ = tokens.encode("another-secret-" + "y" * 32, "feeder", utc_now(), 1)
    good, _ = accounts.issue_token("feeder", days=1)
    head, body, signature = good.split(".")
    tampered = f"{head}.{body}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    for token in (expired, unknown, foreign, tampered, "not-a-jwt", "a" * 5000, ""):
        with pytest.raises(Unauthorized):
            accounts.token_user(token)


def test_audit_log_and_rate_limit(accounts: Accounts) -> None:
    for _ in range(FAILURES_ALLOWED - 1):
        accounts.record("login-failed", "ana", "10.0.0.1")
    assert not accounts.throttled("ana", "10.0.0.9")
    accounts.record("login-failed", "ana", "10.0.0.2")
    assert accounts.throttled("ana", "10.0.0.9")  # by username
    assert accounts.throttled("bob", "10.0.0.1") is False  # 4 from that address
    accounts.record("login-failed", "carl", "10.0.0.1")
    assert accounts.throttled("bob", "10.0.0.1")  # by address
    accounts.record("login", "x" * 500, "10.0.0.3", "d" * 5000)
    latest = accounts.audit(1)[0]
    assert (latest["action"], len(latest["username"]), len(latest["detail"])) == ("login", 64, 2000)


def test_account_tables_are_out_of_reach_of_table_names(accounts: Accounts) -> None:
    store = accounts.store
    accounts.create("ana", "correct horse battery", "admin")
    assert not {"users", "api_tokens", "audit_log"} & set(store.tables())
    for table in ("users", "api_tokens", "audit_log"):
        with pytest.raises(NotFound):
            store.rows(table)
        with pytest.raises(NotFound):
            store.columns(table)
        with pytest.raises(NotFound):
            store.insert_row(table, {"username": "mallory"})
    with pytest.raises(NotFound):
        store.accounts().rows("machines", {}, [], 1)  # and accounts() reaches nothing else
    assert [a.username for a in accounts.users()] == ["ana"]
