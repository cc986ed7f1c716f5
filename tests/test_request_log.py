"""The request log in process: every answer gets its line and its X-Request-Id, errors too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import create_app
from tests.conftest import make_config


def lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def test_errors_are_logged_with_their_status_and_severity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_config(tmp_path, demo_data=False))
    app.server.add_url_rule("/boom", "boom", lambda: 1 / 0)
    client = app.server.test_client()
    capsys.readouterr()
    failed = client.get("/boom", headers={"X-Request-Id": "boom-1"})
    missing = client.post("/api/v1/nowhere", headers={"X-Request-Id": "missing-1"})
    assert failed.status_code == 500 and failed.headers["X-Request-Id"] == "boom-1"
    assert missing.status_code == 404 and missing.headers["X-Request-Id"] == "missing-1"
    logged = {line["request_id"]: line for line in lines(capsys.readouterr().out)}
    assert logged["boom-1"]["status"] == 500 and logged["boom-1"]["severity"] == "ERROR"
    assert logged["boom-1"]["message"] == "GET /boom 500"
    assert logged["missing-1"]["status"] == 404 and logged["missing-1"]["severity"] == "INFO"
    assert (
        logged["missing-1"]["method"] == "POST" and logged["missing-1"]["path"] == "/api/v1/nowhere"
    )
    assert set(logged["boom-1"]) == {
        "time", "severity", "message", "method", "path", "status", "latency_ms", "user",
        "request_id",
    }  # fmt: skip
