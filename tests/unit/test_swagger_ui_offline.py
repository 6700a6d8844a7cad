"""`/docs` works without internet: Swagger UI's script and style are served by the local
cloud from the swagger-ui-bundle-v2 package, and the page loads nothing from elsewhere."""

from __future__ import annotations

import re

from petstore_cli.local_pages import api_document_pages

LOADED = re.compile(r'(?:src|href)="([^"]+)"')


def test_the_docs_page_loads_nothing_from_another_host() -> None:
    status, headers, page = api_document_pages()["/docs"]()

    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "://" not in page.decode()


def test_every_asset_the_docs_page_loads_is_served_locally() -> None:
    pages = api_document_pages()
    _, _, page = pages["/docs"]()
    loaded = LOADED.findall(page.decode())

    assert {"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"} <= set(loaded)
    for path in loaded:
        status, _, body = pages[path]()
        assert status == 200, path
        assert body, path
    assert pages["/docs/swagger-ui.css"]()[1]["Content-Type"].startswith("text/css")
    assert pages["/docs/swagger-ui-bundle.js"]()[1]["Content-Type"].startswith("text/javascript")


def test_the_bundled_swagger_ui_renders_openapi_3_1() -> None:
    # Swagger UI renders OpenAPI 3.1 documents (docs/openapi.json) from version 5 on.
    _, _, bundle = api_document_pages()["/docs/swagger-ui-bundle.js"]()

    version = re.search(rb'PACKAGE_VERSION:"(\d+)\.\d+\.\d+"', bundle)

    assert b"SwaggerUIBundle" in bundle
    assert b"isOAS31" in bundle
    assert version is not None
    assert int(version[1]) >= 5
