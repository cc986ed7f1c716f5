"""The database goes away while Vigil runs: pages say so, nothing crashes, all recovers.

The test owns a private PostgreSQL cluster (tests/private_postgres.py) so that
stopping it disturbs no other test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.conftest import running_server
from tests.browser.helpers import PAGE_CHECKS, assert_clean_console, open_page, text_of, wait
from tests.private_postgres import Cluster, private_postgres

pytestmark = pytest.mark.browser

ALERTS = {"/": "overview-error", "/explore": "explore-error", "/anomalies": "anomalies-error"}


@pytest.fixture(scope="module")
def outage() -> Iterator[tuple[Cluster, str]]:
    with (
        private_postgres() as cluster,
        running_server({"backend": cluster.url, "demo_days": 0.05}) as url,
    ):
        yield cluster, url


def test_pages_report_an_unavailable_store_and_recover(
    driver: WebDriver, outage: tuple[Cluster, str]
) -> None:
    cluster, url = outage
    for path, check in PAGE_CHECKS.items():
        open_page(driver, url + path)
        check(driver)
    cluster.stop()
    try:
        for path, alert in ALERTS.items():
            open_page(driver, url + path)
            wait(driver).until(
                lambda d, alert=alert: "Store unavailable" in text_of(d, alert),
                f"{path} does not say the store is unavailable",
            )
            assert_clean_console(driver, f"{path} while the store is down")
    finally:
        cluster.start()
    for path, check in PAGE_CHECKS.items():
        open_page(driver, url + path)
        check(driver)
        assert_clean_console(driver, f"{path} after the store came back")
