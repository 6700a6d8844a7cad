"""Pages the local cloud serves beside the API: the OpenAPI document and Swagger UI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

OPENAPI_DOCUMENT = Path("docs/openapi.json")

SWAGGER_UI = b"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Pet Store API</title>
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
  <script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});</script>
</body>
</html>
"""

Page = tuple[int, dict[str, str], bytes]


def api_document_pages(document: Path = OPENAPI_DOCUMENT) -> dict[str, Callable[[], Page]]:
    def openapi_json() -> Page:
        if not document.exists():
            return 404, {"Content-Type": "application/json"}, b'{"message": "no docs/openapi.json"}'
        return 200, {"Content-Type": "application/json"}, document.read_bytes()

    def swagger_ui() -> Page:
        return 200, {"Content-Type": "text/html; charset=utf-8"}, SWAGGER_UI

    return {"/openapi.json": openapi_json, "/docs": swagger_ui}
