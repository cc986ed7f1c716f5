"""/readyz says which dependency is down, in the one error shape, and recovers with it;
/healthz does no I/O, so it stays 200 meanwhile; a bundle Dash does not serve is a 404."""

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


def test_a_bundle_dash_does_not_serve_is_not_found(tmp_path: Path) -> None:
    client = create_app(make_config(tmp_path, demo_data=False)).server.test_client()
    page = client.get("/").get_data(as_text=True)
    served = page.split('<script src="/_dash-component-suites/dash/', 1)[1].split('"', 1)[0]
    assert client.get(f"/_dash-component-suites/dash/{served}").status_code == 200
    answer = client.get("/_dash-component-suites/dash/deps/react@0.v4_4_1m1.0.0.min.js")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["message"] == "no such bundle: reload the page"
    assert client.get("/_dash-component-suites/no_such_library/x.v1m1.js").status_code == 404
