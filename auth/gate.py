"""The app's gate: sessions, CSRF, callback roles and the login and logout pages.

One `before_request` hook sees every request: code and styles (`/assets/`,
Dash's component bundles) and the login page pass; everything else needs a
user, from the session cookie or an `Authorization: Bearer` token. A page
without one is sent to /login, anything else gets 401. A state-changing
request authenticated by the cookie must carry the session's CSRF token (Dash
sends the `_csrf_token` cookie back as `X-CSRFToken`; forms as a field), and a
Dash callback that writes needs its role (auth/callback_roles.py).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template_string,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface

from auth import (
    EXTENSION,
    LOCAL_USER,
    Credential,
    User,
    bearer_token,
    callback_roles,
    passwords,
    require,
)
from auth.accounts import ADMIN, MAX_USERNAME, Account, Accounts
from auth.secret import secret_key
from data.store import Store
from errors import Forbidden, Unauthorized, VigilError
from settings import Config

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Paths anyone may fetch: the login page, code and styles, the health probes (Cloud Run
#: sends no credentials) and the API's description (no data in any of them).
PUBLIC_PATHS = frozenset(
    {
        "/login",
        "/_favicon.ico",
        "/favicon.ico",
        "/healthz",
        "/readyz",
        "/docs",
        "/api/v1/openapi.json",
    }
)
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/docs/assets/")
#: Answered with 401, never sent to the login page: the API, Dash's own requests.
MACHINE_PREFIXES = ("/api/", "/_dash-", "/_reload-hash")
#: Its handshake may come without credentials: seed 001's `auth` message follows.
OPEN_SOCKETS = frozenset({"/ws"})
CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
SESSION_HOURS = 12
#: The one answer to a wrong password, an unknown or disabled user alike.
INVALID_LOGIN = "invalid username or password"
THROTTLED = "too many failed logins: wait a minute and try again"


class _SessionCookies(SecureCookieSessionInterface):
    """Secure cookies behind HTTPS, also when a proxy (Cloud Run) ends the TLS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return https()


def https() -> bool:
    return request.is_secure or request.headers.get("X-Forwarded-Proto", "") == "https"


def client_address() -> str:
    """Where the request comes from: the peer, or behind a proxy on a private address
    the last hop the proxy added (a client can write the first ones itself)."""
    peer = request.remote_addr or "-"
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
    try:
        private = ipaddress.ip_address(peer).is_private
    except ValueError:
        private = False
    return forwarded[-1][:64] if private and forwarded[-1] else peer[:64]


class Gate:
    """The users of one app: None for `accounts` means `auth: false`."""

    def __init__(self, accounts: Accounts | None) -> None:
        self.accounts = accounts

    @property
    def off(self) -> bool:
        return self.accounts is None

    def request_user(self) -> User | None:
        if self.accounts is None:
            return LOCAL_USER
        if "vigil_user" not in g:
            g.vigil_by_cookie = False
            user = self._session_user()
            if user is not None:
                g.vigil_by_cookie = True
            else:
                try:
                    token = bearer_token(request.headers.get("Authorization"))
                except Unauthorized:
                    token = None
                user = self._token_user_or_none(token)
            g.vigil_user = user
        return g.vigil_user

    def request_credential(self) -> Credential | None:
        """What the request's user (`request_user`) came with; None without one."""
        if self.accounts is None or self.request_user() is None:
            return None
        if g.vigil_by_cookie:
            return Credential(username=session.get("user"), seal=session.get("seal"))
        return Credential(token=bearer_token(request.headers.get("Authorization")))

    def _token_user_or_none(self, token: str | None) -> User | None:
        if self.accounts is None or not token:
            return None
        try:
            return self.accounts.token_user(token)
        except Unauthorized:
            return None

    def _session_user(self) -> User | None:
        return self._sealed_user(session.get("user"), session.get("seal"))

    def _sealed_user(self, name: Any, seal: Any) -> User | None:
        """The user of a session cookie, while its password is the one it was opened with."""
        if not isinstance(name, str) or not isinstance(seal, str):
            return None
        account = self.accounts.active(name) if self.accounts else None
        if account is None or not hmac.compare_digest(
            passwords.fingerprint(account.password_hash), seal
        ):
            return None
        return account.user

    def token_user(self, token: str | None) -> User:
        if self.accounts is None:
            return LOCAL_USER
        return self.accounts.token_user(token)

    def still_valid(self, user: User | None, credential: Credential | None) -> bool:
        """Whether an open websocket's user may keep it: what it authenticated with
        would still be accepted (token not revoked, password not reset, user neither
        disabled nor deleted) and for the same user and role."""
        if self.accounts is None or user is None:
            return True
        if credential is None:
            return False
        if credential.token is not None:
            return self._token_user_or_none(credential.token) == user
        return self._sealed_user(credential.username, credential.seal) == user

    def audit(
        self,
        action: str,
        detail: str = "",
        username: str | None = None,
        address: str | None = None,
    ) -> None:
        """One audit event: who (the request's user unless named), when, from where (the
        request's address unless named: a websocket's store thread has no request)."""
        if self.accounts is None:
            return
        who = username or getattr(g.get("vigil_user"), "name", None) or "-"
        try:
            self.accounts.record(action, who, address or client_address(), detail)
        except VigilError:
            log.exception("audit event %s of %s not stored", action, who)


def gate() -> Gate:
    return current_app.extensions[EXTENSION]


def install(server: Flask, store: Store, config: Config) -> None:
    """Put the gate in front of every route of `server`; on a store without users, make
    the first admin and print its password once."""
    secret = secret_key(config)
    accounts = Accounts(store, secret) if config.auth else None
    if accounts is not None and (password := accounts.first_admin()):
        print(
            f"\nVigil made the first user: {ADMIN} with password\n\n    {password}\n\n"
            "It is shown this once: log in and keep it, or set another with "
            f"`python app.py reset-password {ADMIN}`.\n",
            flush=True,
        )
    if accounts is not None:
        passwords.verify(None, "")  # makes the decoy hash now, not in the first login
    server.extensions[EXTENSION] = Gate(accounts)
    server.secret_key = secret
    server.session_interface = _SessionCookies()
    server.config.update(
        SESSION_COOKIE_NAME="vigil_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
    )
    # first: before Dash's own hooks (its first request builds every page's layout)
    server.before_request_funcs.setdefault(None, []).insert(0, _guard)
    server.after_request(_after)
    server.register_blueprint(pages)


def prime_pages(server: Flask) -> None:
    """Run Dash's first-request hooks now, before the worker serves, as the local user.

    Dash registers the bundles it may serve, its callbacks and the pages' validation
    layout on the first request, and marks that done before doing it (dash.py,
    `_setup_server` and the pages router): the other first requests of a threaded
    worker, which come together when a browser loads a page, found half a list, and
    a bundle answered 500 left the page blank (tests/test_first_requests.py). And with
    accounts on the first request may be a visitor without a session (the login
    page), whose layouts would lack what only a user sees, so the callbacks of those
    ids would then be refused."""
    with server.test_request_context("/"):
        g.vigil_user = LOCAL_USER
        for hook in server.before_request_funcs.get(None, []):
            if hook is not _guard:
                hook()


def _refusal(exc: VigilError) -> Response:
    body = exc.to_dict()
    if isinstance(exc, Unauthorized):
        body = {"error": {"code": 401, "message": "Unauthorized", "fields": {}}}
    response = jsonify(body)
    response.status_code = exc.status
    return response


def _is_page_request() -> bool:
    return (
        request.method == "GET"
        and not request.path.startswith(MACHINE_PREFIXES)
        and not _is_socket()
    )


def _guard() -> Response | None:
    current = gate()
    if current.off:
        return None
    path = request.path
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return None
    user = current.request_user()
    if user is None:
        if path in OPEN_SOCKETS and request.method == "GET":
            return None
        if _is_page_request():
            target = request.full_path if request.query_string else path
            return redirect(f"/login?next={quote(target, safe='/')}")
        return _refusal(Unauthorized("Unauthorized"))
    if g.vigil_by_cookie and request.method not in SAFE_METHODS and not _csrf_ok():
        return _refusal(Forbidden("the request lacks this session's CSRF token: reload the page"))
    if g.vigil_by_cookie and _is_socket() and not _same_origin():
        # a websocket handshake carries no CSRF token: another site's page could open one
        return _refusal(Forbidden("a websocket from another site cannot use this session"))
    if path == "/_dash-update-component":
        rule = callback_roles.rule_for(request.get_json(silent=True))
        if rule is not None:
            try:
                require(rule.role, user)
            except Forbidden as exc:
                current.audit("refused", f"{rule.action}: {exc.message}")
                return _refusal(exc)
            g.vigil_audit = rule.action
    return None


def _is_socket() -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def _same_origin() -> bool:
    """Whether the request's Origin (browsers always send one with a websocket) names
    this host; programs that send none are not browsers carrying someone's cookie."""
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token")
    return (
        isinstance(expected, str)
        and isinstance(sent, str)
        and hmac.compare_digest(expected.encode(), sent.encode())
    )


def _after(response: Response) -> Response:
    current = gate()
    if current.off:
        return response
    action = g.pop("vigil_audit", None)
    if action and response.status_code < 400:
        body = request.get_json(silent=True) or {}
        detail = json.dumps({"inputs": body.get("inputs"), "state": body.get("state")}, default=str)
        current.audit(action, detail)
    token = session.get("csrf")
    if isinstance(token, str) and request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE, token, samesite="Lax", secure=https(), httponly=False, path="/"
        )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def _safe_next(target: Any) -> str:
    """Only a path of this site: never another host (`//evil`, `https://...`)."""
    if (
        not isinstance(target, str)
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or len(target) > 2000
    ):
        return "/"
    return target


def _csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


# -- the login and logout pages ------------------------------------------------------
pages = Blueprint("vigil_auth", __name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · Vigil</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/vendor/bootstrap-flatly.min.css"></head>
<body class="bg-light"><main class="container py-5" style="max-width: 26rem">
<h1 class="h3 mb-4">Vigil</h1>
{% if message %}<div class="alert alert-{{ color }}" id="login-message" role="alert">
{{ message }}</div>{% endif %}
{% if form == "login" %}
<form method="post" action="/login" id="login-form">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <input type="hidden" name="next" value="{{ next }}">
  <div class="mb-3"><label class="form-label" for="login-username">Username</label>
  <input class="form-control" id="login-username" name="username" autocomplete="username"
    maxlength="64" required autofocus value="{{ username }}"></div>
  <div class="mb-3"><label class="form-label" for="login-password">Password</label>
  <input class="form-control" id="login-password" name="password" type="password"
    autocomplete="current-password" required></div>
  <button class="btn btn-primary w-100" id="login-submit" type="submit">Log in</button>
</form>
{% else %}
<p>Logged in as <strong id="logout-user">{{ username }}</strong>.</p>
<form method="post" action="/logout" id="logout-form">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <button class="btn btn-primary" id="logout-submit" type="submit">Log out</button>
  <a class="btn btn-link" href="/">Back</a>
</form>
{% endif %}
</main></body></html>"""


def _page(form: str, status: int = 200, **values: Any) -> tuple[str, int]:
    defaults = {"title": "Log in", "message": "", "color": "danger", "next": "/", "username": ""}
    html = render_template_string(PAGE, form=form, csrf=_csrf_token(), **{**defaults, **values})
    return html, status


@pages.get("/login")
def login_page() -> Any:
    current = gate()
    if current.off:
        return redirect("/")
    return _page("login", next=_safe_next(request.args.get("next")))


@pages.post("/login")
def login() -> Any:
    current = gate()
    if current.off or current.accounts is None:
        return redirect("/")
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    target = _safe_next(request.form.get("next"))
    if not _csrf_ok():
        return _page("login", 400, message="the form expired: log in again", next=target)
    address = client_address()
    shown = username if len(username) <= MAX_USERNAME else ""
    if current.accounts.throttled(username, address):
        current.audit("login-throttled", "", username=username)
        return _page("login", 429, message=THROTTLED, next=target, username=shown)
    account: Account | None = None
    if len(username) <= MAX_USERNAME and len(password) <= passwords.MAX_PASSWORD:
        account = current.accounts.login(username, password)
    else:
        passwords.verify(None, "")  # the same cost as any other refusal
    if account is None:
        current.audit("login-failed", "", username=username)
        return _page("login", 401, message=INVALID_LOGIN, next=target, username=shown)
    session.clear()
    session.permanent = True
    session["user"] = account.username
    session["seal"] = passwords.fingerprint(account.password_hash)
    session["csrf"] = secrets.token_urlsafe(32)
    g.vigil_user = account.user
    current.audit("login", "", username=account.username)
    return redirect(target)


@pages.get("/logout")
def logout_page() -> Any:
    current = gate()
    user = current.request_user()
    if current.off or user is None:
        return redirect("/login")
    return _page("logout", title="Log out", username=user.name)


@pages.post("/logout")
def logout() -> Any:
    current = gate()
    if not current.off and current.request_user() is not None:
        current.audit("logout")
    session.clear()
    return redirect("/login")
