"""/readyz says which dependency is down, in the one error shape, and recovers with it;
/healthz does no I/O, so it stays 200 meanwhile."""

from __future__ import annotations

from pathlib import Path

from app import create_app
from tests.conftest import make_config
from tests.private_postgres import private_postgres


def test_readiness_follows_the_store(tmp_path: Path) -> None:
    with private_postgres() as cluster:
        app = create_app(make_config(tmp_path, backend=cluster.url, demo_data=False))
        client = app.server.test_client()
        assert client.get("/readyz").status_code == 200
        cluster.stop()
        try:
            answer = client.get("/readyz")
            assert answer.status_code == 503
            error = answer.get_json()["error"]
            assert error["code"] == 503 and error["message"].startswith("not ready: ")
            assert "store unavailable" in error["fields"]["store"]
            assert "redis" not in error["fields"]
            assert client.get("/healthz").get_json() == {"status": "alive"}
        finally:
            cluster.start()
        assert client.get("/readyz").status_code == 200
        app.server.extensions["vigil"].store.close()


def test_readiness_names_redis_when_it_does_not_answer(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, redis_url="redis://127.0.0.1:1/0"))
    answer = app.server.test_client().get("/readyz")
    assert answer.status_code == 503
    fields = answer.get_json()["error"]["fields"]
    assert list(fields) == ["redis"] and "Redis did not answer" in fields["redis"]
    app.server.extensions["vigil"].hub.close()
