"""The API's documentation: its OpenAPI document and Swagger UI at /docs, served locally.

Swagger UI's files are vendored in api/swagger_ui (Apache 2.0, LICENSE and
NOTICE beside them): plants and these machines have no internet, so nothing
is fetched from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, send_from_directory

from api import blueprint
from api.access import PUBLIC, needs
from api.spec import document

SWAGGER_UI = Path(__file__).with_name("swagger_ui")
SWAGGER_UI_VERSION = "5.35.0"
docs_blueprint = Blueprint("api_docs", __name__)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Vigil API</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/vigil-docs.js"></script>
</body>
</html>
"""


@blueprint.get("/openapi.json")
@needs(PUBLIC)
def openapi() -> Response:
    """The OpenAPI 3 document of every /api/v1 route."""
    return jsonify(document())


@docs_blueprint.get("/docs")
def docs_page() -> Response:
    return Response(PAGE, mimetype="text/html")


@docs_blueprint.get("/docs/assets/<path:name>")
def docs_asset(name: str) -> Response:
    return send_from_directory(SWAGGER_UI, name, max_age=86400)
