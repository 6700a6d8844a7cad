"""Pages the local cloud serves beside the API: the OpenAPI document and Swagger UI, whose
script and style come from the swagger-ui-bundle-v2 package, so /docs works offline."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from swagger_ui_bundle import swagger_ui_path

OPENAPI_DOCUMENT = Path("docs/openapi.json")
SWAGGER_UI_ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
"""What the page loads, served at /docs/<name>."""

SWAGGER_UI = b"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Pet Store API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
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

    pages = {"/openapi.json": openapi_json, "/docs": swagger_ui}
    for name, content_type in SWAGGER_UI_ASSETS.items():
        pages[f"/docs/{name}"] = _asset_page(name, content_type)
    return pages


def _asset_page(name: str, content_type: str) -> Callable[[], Page]:
    def asset() -> Page:
        headers = {"Content-Type": content_type, "Cache-Control": "max-age=86400"}
        return 200, headers, _asset(name)

    return asset


@cache
def _asset(name: str) -> bytes:
    return (swagger_ui_path / name).read_bytes()
