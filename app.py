"""Vigil's entry point: `create_app(config)` builds the app; `python app.py` runs the CLI.

gunicorn serves `app:server`, built on first access from config.json and the
VIGIL_* environment.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import dash
from dash import html

from api import blueprint as api_blueprint
from api.docs import docs_blueprint
from auth.gate import install as install_auth
from auth.gate import prime_pages
from components.label_drafts import drafts_frame
from components.navbar import navbar
from context import Runtime, attach
from data import open_store
from data.store import Store
from live.hub import Hub, open_hub
from live.routes import mount_websockets
from serving import mount as mount_serving
from settings import PROJECT_DIR, Config, load_config


def create_app(
    config: Config | None = None, store: Store | None = None, hub: Hub | None = None
) -> dash.Dash:
    """Build the Dash app with its pages, the JSON API and the websockets, on one Flask server."""
    config = config or load_config()
    store = store or open_store(config)
    store.create_schema()
    hub = hub or open_hub(config.redis_url)
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PROJECT_DIR / "pages"),
        assets_folder=str(PROJECT_DIR / "assets"),
        title="Vigil",
        update_title=None,
    )
    attach(app.server, Runtime(config, store, hub))
    install_auth(app.server, store, config)
    app.server.register_blueprint(api_blueprint, url_prefix="/api/v1")
    app.server.register_blueprint(docs_blueprint)
    mount_websockets(app.server)
    mount_serving(app.server)
    app.layout = frame
    prime_pages(app.server)
    return app


def frame() -> html.Div:
    """The outer layout every page sits in."""
    return html.Div(
        [
            navbar(),
            html.Main(dash.page_container, className="container-fluid py-3"),
            drafts_frame(),
        ]
    )


@cache
def _default_app() -> dash.Dash:
    return create_app()


def __getattr__(name: str) -> Any:
    # `server` is built on first access, so `python app.py --help` opens no store.
    if name == "server":
        return _default_app().server
    raise AttributeError(name)


if __name__ == "__main__":
    from commands import cli

    cli()
