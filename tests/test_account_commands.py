"""The account commands: create-user, reset-password, create-token, revoke-token, on a
real SQLite store, and the tokens they print accepted (then refused) by the app."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from app import create_app
from auth.accounts import Accounts
from auth.secret import secret_key
from commands import cli
from data import open_store
from tests.conftest import make_config

PASSWORD = "correct horse battery"


def run(config: Path, *args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], input=input)
    return result.exit_code, result.stdout, result.stderr


def test_users_and_tokens_from_the_command_line(tmp_path: Path) -> None:
    config = make_config(tmp_path, auth=True, demo_data=False)
    path = tmp_path / "config.json"
    code, out, _ = run(
        path, "create-user", "feeder", "--role", "labeller", input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert code == 0 and "User feeder (labeller) created." in out
    code, _, err = run(path, "create-user", "feeder", "--random")
    assert code == 1 and "already exists" in err
    code, out, err = run(path, "create-user", "x' OR 1=1", "--random")
    assert code == 1 and "a username has" in err and "Password" not in out
    code, out, _ = run(path, "reset-password", "feeder", "--random")
    new = out.split("Password (shown this once): ")[1].split()[0]
    assert code == 0 and run(path, "reset-password", "ghost", "--random")[0] == 1
    code, token, err = run(path, "create-token", "feeder", "--days", "1", "--note", "line 3")
    token = token.strip()
    assert code == 0 and token.count(".") == 2 and "expires" in err

    store = open_store(config)
    try:
        accounts = Accounts(store, secret_key(config))
        assert accounts.login("feeder", new) and not accounts.login("feeder", PASSWORD)
        client = create_app(config, store).server.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        ok = client.post("/api/v1/readings", json={"readings": []}, headers=headers)
        assert ok.status_code != 401
        code, out, _ = run(path, "revoke-token", token)
        assert code == 0 and "revoked" in out
        app_accounts = client.application.extensions["vigil-auth"].accounts
        app_accounts.forget("token", accounts.tokens("feeder")[0]["token_id"])  # or wait 10 s
        refused = client.post("/api/v1/readings", json={"readings": []}, headers=headers)
        assert refused.status_code == 401
        actions = [e["action"] for e in accounts.audit(10)]
        assert {"user-create", "password-reset", "token-create", "token-revoke"} <= set(actions)
    finally:
        store.close()
