"""Logging in and out, and the admin page, in a real browser with accounts on.

The store is made first with three users of known passwords (so no first-run
admin is printed), then a server with `auth: true` serves the demo on it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from auth.accounts import Accounts
from data import open_store
from tests.browser.conftest import running_server
from tests.browser.helpers import assert_clean_console, css, open_page, severe, text_of, wait
from tests.conftest import make_config

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="vigil-accounts-") as tmp:
        backend = f"sqlite:///{Path(tmp) / 'vigil.db'}"
        store = open_store(make_config(Path(tmp), backend=backend))
        store.create_schema()
        accounts = Accounts(store, "unused: no tokens here " + "x" * 20)
        for name, role in (("admin", "admin"), ("lab", "labeller"), ("viewer", "viewer")):
            accounts.create(name, PASSWORD, role)
        store.close()
        with running_server({"backend": backend, "auth": True, "demo_days": 0.1}) as url:
            yield url


def log_in(driver: WebDriver, username: str, password: str) -> None:
    box = wait(driver).until(lambda d: d.find_element(By.ID, "login-username"))
    box.clear()
    box.send_keys(username)
    driver.find_element(By.ID, "login-password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    # the answer is a new page (the next one, or the login again with a message)
    wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
    wait(driver).until(lambda d: "/login" not in d.current_url or text_of(d, "login-message"))


def test_login_and_logout(driver: WebDriver, site: str) -> None:
    driver.get(site + "/anomalies?status=unlabelled")
    assert "/login?next=" in driver.current_url
    log_in(driver, "admin", "not the password at all")
    message = wait(driver).until(lambda d: text_of(d, "login-message"))
    assert message == "invalid username or password"
    refused = severe(driver)  # the refused login itself answers 401, nothing else
    assert all("/login" in e["message"] and "401" in e["message"] for e in refused), refused
    log_in(driver, "admin", PASSWORD)
    wait(driver).until(lambda d: "/anomalies" in d.current_url)
    # back where the login began (the page then adds its own defaults to the query)
    assert "/anomalies?status=unlabelled" in driver.current_url
    open_page(driver, driver.current_url)
    assert wait(driver).until(lambda d: text_of(d, "navbar-user")) == "admin (admin)"
    links = [a.text for a in css(driver, "#navbar-links a.nav-link")]
    assert "Admin" in links
    assert_clean_console(driver, "/anomalies after login")
    driver.find_element(By.ID, "navbar-logout").click()
    wait(driver).until(lambda d: d.find_elements(By.ID, "logout-submit"))[0].click()
    wait(driver).until(lambda d: "/login" in d.current_url)
    driver.get(site + "/admin")
    assert "/login?next=/admin" in driver.current_url
    assert_clean_console(driver, "after logout")


def test_a_session_that_ends_with_the_page_open_leads_to_the_login(
    driver: WebDriver, site: str
) -> None:
    driver.get(site + "/login")
    log_in(driver, "lab", PASSWORD)
    open_page(driver, site + "/anomalies")
    driver.delete_cookie("vigil_session")  # as when it expires or is ended in another tab
    (explore,) = [a for a in css(driver, "#navbar-links a.nav-link") if a.text == "Explore"]
    explore.click()  # a page change inside Dash: a callback, answered 401
    wait(driver).until(lambda d: "/login?next=" in d.current_url, "the page stayed, refused")
    assert parse_qs(urlsplit(driver.current_url).query)["next"] == ["/explore"]
    log_in(driver, "lab", PASSWORD)
    wait(driver).until(lambda d: urlsplit(d.current_url).path == "/explore", "not back")
    open_page(driver, driver.current_url)
    assert wait(driver).until(lambda d: text_of(d, "navbar-user")) == "lab (labeller)"


def test_the_admin_page_manages_users(driver: WebDriver, site: str) -> None:
    driver.get(site + "/login")
    log_in(driver, "admin", PASSWORD)
    open_page(driver, site + "/admin")
    table = wait(driver).until(lambda d: text_of(d, "admin-users-table"))
    assert "viewer" in table and "lab" in table
    assert "login" in text_of(driver, "admin-audit-table")
    driver.find_element(By.ID, "admin-username").send_keys("newcomer")
    driver.find_element(By.ID, "admin-create").click()
    password = wait(driver).until(lambda d: text_of(d, "admin-password"))
    assert len(password) >= 16
    wait(driver).until(lambda d: "newcomer" in text_of(d, "admin-users-table"))
    box = driver.find_element(By.ID, "admin-username")
    box.clear()
    box.send_keys("viewer")
    driver.find_element(By.ID, "admin-disable").click()
    wait(driver).until(lambda d: "disabled" in text_of(d, "admin-users-table"))
    assert "disable" in text_of(driver, "admin-audit-table")
    assert_clean_console(driver, "/admin")


def test_a_viewer_has_no_admin_page(driver: WebDriver, site: str) -> None:
    driver.get(site + "/login")
    log_in(driver, "lab", PASSWORD)
    open_page(driver, site + "/admin")
    assert "admin role" in wait(driver).until(lambda d: text_of(d, "admin-refused"))
    assert "Admin" not in [a.text for a in css(driver, "#navbar-links a.nav-link")]
    assert not css(driver, "#admin-users-table")
    assert_clean_console(driver, "/admin as a labeller")
