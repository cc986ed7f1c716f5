"""Every page on a store with no data at all: an explanation, never a crash.

Builds the real app once (Dash pages are process-wide) on an empty SQLite
store with the demo switched off, and renders each registered page's layout.
"""

from __future__ import annotations

import sys

import dash
import pytest

from app import create_app
from tests.conftest import make_config


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> dash.Dash:
    return create_app(make_config(tmp_path_factory.mktemp("empty"), demo_data=False))


def test_every_page_renders_on_an_empty_store(app: dash.Dash) -> None:
    modules = [page["module"] for page in dash.page_registry.values()]
    assert {"pages.overview", "pages.explore", "pages.anomalies"} <= set(modules)
    with app.server.app_context():
        for module in modules:
            rendered = str(sys.modules[module].layout())
            assert "Traceback" not in rendered, module


def test_overview_counts_nothing_on_an_empty_store(app: dash.Dash) -> None:
    with app.server.app_context():
        rendered = str(sys.modules["pages.overview"].layout())
    assert "0 of 0 sensors" in rendered
    assert "vigil-error" not in rendered


def test_explore_explains_an_empty_table(app: dash.Dash) -> None:
    draw = sys.modules["pages.explore"].draw
    with app.server.app_context():
        figure, message, _, _ = draw("machine_readings", ["current"], None, None, None, False)
    assert figure["data"] == []
    assert "holds no rows yet" in str(message)
