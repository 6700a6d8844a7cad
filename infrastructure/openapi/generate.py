"""Generate docs/openapi.json: one OpenAPI 3.1 document for the whole Pet Store API.

Every `functions/<service>/handlers/handle_*.py` module of an API route exposes its
Powertools resolver as `app` (event consumers have none and are skipped); this imports
each one, asks it for its schema, and merges the paths and component schemas into one
document. Schemas are matched by content, not by the name each handler's resolver gave
them; a name that two services use for different models (each its own `Money`, say) is
qualified with the service's name (`OrdersMoney`, `PetsMoney`). Two handlers declaring
the same method and path are an error.

    python -m infrastructure.openapi.generate          # write docs/openapi.json
    python -m infrastructure.openapi.generate --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO_ROOT / "functions"
SHARED_LAYER_DIR = REPO_ROOT / "layers" / "shared"
DOCUMENT_PATH = REPO_ROOT / "docs" / "openapi.json"

TITLE = "Pet Store API"
VERSION = "1.0.0"
DESCRIPTION = (
    "The event-driven pet store: pets, orders, payments and notifications. "
    "Shoppers send a Cognito ID token as a bearer token; internal callers sign with SigV4. "
    "Every error, API Gateway's own included, is an ErrorResponse. A method and path that "
    "no route serves answers 403 MissingAuthenticationToken. Browsers on the stack's "
    "allowed origin (the template's AllowedOrigin) get CORS headers on every answer and "
    "an OPTIONS preflight on every path."
)
COMPONENT_REF_PREFIX = "#/components/schemas/"
SHARED_ERROR_CONTENT = {
    "application/json": {"schema": {"$ref": f"{COMPONENT_REF_PREFIX}ErrorResponse"}}
}
STORE_UNAVAILABLE_RESPONSE = {
    "description": (
        "Service Unavailable: the service cannot reach its data store right now; "
        "repeat the request after Retry-After seconds."
    ),
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before repeating the request.",
            "schema": {"type": "integer"},
        }
    },
    "content": SHARED_ERROR_CONTENT,
}
UNSUPPORTED_MEDIA_TYPE_RESPONSE = {
    "description": (
        "Unsupported Media Type: the body is sent with a Content-Type other than "
        "application/json (UnsupportedMediaType)."
    ),
    "content": SHARED_ERROR_CONTENT,
}
GATEWAY_RESPONSES = {
    "413": "Payload Too Large: the body is over API Gateway's 10 MB (PayloadTooLarge).",
    "429": (
        "Too Many Requests: API Gateway throttles the route beyond its rate "
        "(TooManyRequests); repeat the request later."
    ),
    "500": "Internal Server Error: the function failed unexpectedly (InternalError).",
    "502": (
        "Bad Gateway: the function crashed, timed out or gave no valid answer; "
        "API Gateway's answer (InternalError)."
    ),
}
"""API Gateway's own answers (template.yaml's GatewayResponses) that any route can give."""
UNAUTHORIZED_RESPONSE = {
    "description": "Unauthorized: no valid ID token in Authorization (API Gateway's authorizer).",
    "content": SHARED_ERROR_CONTENT,
}
UNSIGNED_RESPONSE = {
    "description": "Forbidden: the request is not signed with SigV4 by an allowed caller.",
    "content": SHARED_ERROR_CONTENT,
}
ROUTE_NOT_FOUND_RESPONSE = {
    "description": "Not Found: a path parameter holds characters no id has (RouteNotFound).",
    "content": SHARED_ERROR_CONTENT,
}


class OpenApiMergeError(Exception):
    """Two handlers describe the same thing differently."""


@dataclass
class HandlerSchema:
    """One handler's paths and the component schemas they refer to."""

    module_name: str
    paths: dict[str, dict[str, Any]]
    schemas: dict[str, Any]

    @property
    def service(self) -> str:
        return self.module_name.split(".", 1)[0]


def handler_module_names() -> list[str]:
    """Dotted names of every handler module, e.g. `pets.handlers.handle_get_pet`."""
    return sorted(
        ".".join(path.relative_to(path.parents[2]).with_suffix("").parts)
        for path in FUNCTIONS_DIR.glob("*/*/handlers/handle_*.py")
    )


def build_document() -> dict[str, Any]:
    _make_handlers_importable()
    from petstore_shared.openapi_security import SECURITY_SCHEMES

    handlers = [
        handler
        for module_name in handler_module_names()
        if (handler := _handler_schema(module_name, SECURITY_SCHEMES)) is not None
    ]
    paths, schemas = merge_handler_schemas(handlers)
    add_shared_responses(paths)
    add_gateway_responses(paths)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }
    _drop_unreferenced_schemas(document)
    return document


def merge_handler_schemas(
    handlers: list[HandlerSchema],
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """All handlers' paths and component schemas, with refs pointing at canonical names."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    route_owners: dict[str, str] = {}
    canonical_names = _canonical_schema_names(handlers)
    for handler in handlers:
        renames = {name: canonical_names[_content_key(handler, name)] for name in handler.schemas}
        _merge_paths(paths, _with_renamed_refs(handler.paths, renames), handler, route_owners)
        for name, definition in handler.schemas.items():
            schemas[renames[name]] = _with_renamed_refs(definition, renames)
    return paths, schemas


def add_shared_responses(paths: dict[str, dict[str, Any]]) -> None:
    """The answers every route can give that no handler declares: 503 when the data store
    is unavailable (petstore_shared.http_errors); on a route with path parameters, 404
    when one holds characters the resolver's route patterns do not match; on a route
    with a body, 415 when it is not sent as JSON (petstore_shared.rest_api); what API
    Gateway itself answers a caller without the route's credentials: 401 without a valid
    ID token, 403 without a valid signature. A 204 has no body, whatever the handler's
    return type made Powertools write."""
    for operations in paths.values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.get("204", {}).pop("content", None)
            responses.setdefault("503", copy.deepcopy(STORE_UNAVAILABLE_RESPONSE))
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                responses.setdefault("404", copy.deepcopy(ROUTE_NOT_FOUND_RESPONSE))
            schemes = {name for each in operation.get("security", []) for name in each}
            if "cognitoJwt" in schemes:
                responses.setdefault("401", copy.deepcopy(UNAUTHORIZED_RESPONSE))
            if "sigv4" in schemes:
                responses.setdefault("403", copy.deepcopy(UNSIGNED_RESPONSE))
            if "requestBody" in operation:
                responses.setdefault("415", copy.deepcopy(UNSUPPORTED_MEDIA_TYPE_RESPONSE))


def add_gateway_responses(paths: dict[str, dict[str, Any]]) -> None:
    """What any route can answer beside its handler's and its authorizer's answers: API
    Gateway's 413 and 429, its 502 for a function that gave no answer, and the
    function's own 500. A status a handler documents keeps its description."""
    for operations in paths.values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in GATEWAY_RESPONSES.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": copy.deepcopy(SHARED_ERROR_CONTENT)},
                )


def render_document(document: dict[str, Any]) -> str:
    """Sorted keys and a trailing newline, so the same code always gives the same bytes."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate docs/openapi.json from the handlers.")
    parser.add_argument(
        "--check", action="store_true", help="fail if docs/openapi.json is out of date"
    )
    arguments = parser.parse_args(argv)
    rendered = render_document(build_document())
    relative_path = DOCUMENT_PATH.relative_to(REPO_ROOT)
    if arguments.check:
        current = DOCUMENT_PATH.read_text() if DOCUMENT_PATH.exists() else ""
        if current != rendered:
            print(f"{relative_path} is out of date: run `make openapi`.", file=sys.stderr)
            return 1
        return 0
    DOCUMENT_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOCUMENT_PATH.write_text(rendered)
    print(f"wrote {relative_path}")
    return 0


def _make_handlers_importable() -> None:
    """Each service's code folder (a function's CodeUri) and the shared layer's code."""
    for directory in (SHARED_LAYER_DIR, *sorted(FUNCTIONS_DIR.iterdir())):
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))


def _handler_schema(module_name: str, security_schemes: dict[str, Any]) -> HandlerSchema | None:
    """The handler's OpenAPI schema, or None for a handler that serves no API route."""
    module = importlib.import_module(module_name)
    resolver = getattr(module, "app", None)
    if resolver is None or not hasattr(resolver, "get_openapi_schema"):
        return None
    schema = resolver.get_openapi_schema(title=TITLE, security_schemes=security_schemes)
    dumped: dict[str, Any] = schema.model_dump(mode="json", by_alias=True, exclude_none=True)
    return HandlerSchema(
        module_name=module_name,
        paths=dumped.get("paths", {}),
        schemas=dumped.get("components", {}).get("schemas", {}),
    )


def _canonical_schema_names(handlers: list[HandlerSchema]) -> dict[str, str]:
    """One name per distinct schema content, over all handlers.

    Powertools names each handler's models on its own: `Money` where a handler only reads
    or only writes it, `Money-Input`/`Money-Output` where it does both, so the same model
    can carry different names (and the same name different content) from one handler to
    the next. Schemas are therefore identified by content, with their refs inlined; each
    gets the most specific name any handler gave it, and a name that still stands for two
    contents (two services each with their own `Money`) is qualified with the service.
    """
    names_by_content: dict[str, set[str]] = defaultdict(set)
    services_by_content: dict[str, set[str]] = defaultdict(set)
    for handler in handlers:
        for name in handler.schemas:
            key = _content_key(handler, name)
            names_by_content[key].add(name)
            services_by_content[key].add(handler.service)
    preferred = {
        key: min(names, key=lambda name: (not _names_a_mode(name), name))
        for key, names in names_by_content.items()
    }
    contents_by_name: dict[str, list[str]] = defaultdict(list)
    for key, name in preferred.items():
        contents_by_name[name].append(key)
    canonical: dict[str, str] = {}
    for name, keys in contents_by_name.items():
        for key in keys:
            canonical[key] = name if len(keys) == 1 else _qualified(name, services_by_content[key])
    clashes = [name for name in set(canonical.values()) if list(canonical.values()).count(name) > 1]
    if clashes:
        raise OpenApiMergeError(
            f"Models named {sorted(clashes)} differ within one service; rename one of them."
        )
    return canonical


def _names_a_mode(name: str) -> bool:
    return name.endswith(("-Input", "-Output"))


def _qualified(name: str, services: set[str]) -> str:
    prefix = "".join(service.title().replace("_", "") for service in sorted(services))
    return f"{prefix}{name}"


def _content_key(handler: HandlerSchema, name: str) -> str:
    inlined = _inlined(handler.schemas[name], handler.schemas, frozenset({name}))
    return json.dumps(inlined, sort_keys=True)


def _inlined(node: Any, schemas: dict[str, Any], expanding: frozenset[str]) -> Any:
    """`node` with each ref replaced by what it refers to (a recursive ref stays a ref)."""
    if isinstance(node, dict):
        inlined = {key: _inlined(value, schemas, expanding) for key, value in node.items()}
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith(COMPONENT_REF_PREFIX):
            target = reference.removeprefix(COMPONENT_REF_PREFIX)
            if target in schemas and target not in expanding:
                del inlined["$ref"]
                inlined["$inlined"] = _inlined(schemas[target], schemas, expanding | {target})
        return inlined
    if isinstance(node, list):
        return [_inlined(value, schemas, expanding) for value in node]
    return node


def _with_renamed_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        renamed = {key: _with_renamed_refs(value, renames) for key, value in node.items()}
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith(COMPONENT_REF_PREFIX):
            name = reference.removeprefix(COMPONENT_REF_PREFIX)
            renamed["$ref"] = COMPONENT_REF_PREFIX + renames.get(name, name)
        return renamed
    if isinstance(node, list):
        return [_with_renamed_refs(value, renames) for value in node]
    return node


def _merge_paths(
    target: dict[str, dict[str, Any]],
    source: dict[str, dict[str, Any]],
    handler: HandlerSchema,
    route_owners: dict[str, str],
) -> None:
    for path, operations in source.items():
        for method, operation in operations.items():
            route = f"{method.upper()} {path}"
            if route in route_owners:
                raise OpenApiMergeError(
                    f"{route} is declared by both {route_owners[route]} and {handler.module_name}."
                )
            target.setdefault(path, {})[method] = operation
            route_owners[route] = handler.module_name


def _drop_unreferenced_schemas(document: dict[str, Any]) -> None:
    """Powertools adds its own validation error schemas; routes here document the shared
    error shape instead, so keep only what something refers to."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    reachable: set[str] = set()
    pending = list(_referenced_schema_names(document["paths"]))
    while pending:
        name = pending.pop()
        if name in reachable or name not in schemas:
            continue
        reachable.add(name)
        pending.extend(_referenced_schema_names(schemas[name]))
    document["components"]["schemas"] = {
        name: schema for name, schema in schemas.items() if name in reachable
    }


def _referenced_schema_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith(COMPONENT_REF_PREFIX):
            yield reference.removeprefix(COMPONENT_REF_PREFIX)
        for value in node.values():
            yield from _referenced_schema_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _referenced_schema_names(value)


if __name__ == "__main__":
    sys.exit(main())
