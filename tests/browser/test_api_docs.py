"""Swagger UI at /docs in a real browser: it renders every operation of the API's own
OpenAPI document from files Vigil serves itself (no request leaves the server)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.helpers import assert_clean_console, css, wait

pytestmark = pytest.mark.browser


def test_docs_render_the_api_from_local_files(driver: WebDriver, server_url: str) -> None:
    with urllib.request.urlopen(f"{server_url}/api/v1/openapi.json") as answer:
        document = json.load(answer)
    operations = sum(len(methods) for methods in document["paths"].values())
    driver.get(f"{server_url}/docs")
    wait(driver).until(
        lambda d: len(css(d, ".opblock")) == operations,
        f"/docs: Swagger UI did not render the {operations} operations",
    )
    paths = {e.text for e in css(driver, ".opblock-summary-path")}
    assert "/api/v1/tables/{table}/series" in paths
    assert "/api/v1/anomalies/{anomaly_id}/labels" in paths
    fetched = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert fetched and all(url.startswith(server_url) for url in fetched), fetched
    assert_clean_console(driver, "/docs")
