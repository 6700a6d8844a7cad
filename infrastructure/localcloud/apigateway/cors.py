"""CORS preflights, answered by the OPTIONS methods with MOCK integrations that SAM's
`Cors` gives every path.

On AWS such a MOCK answers its mapped Access-Control-Allow-* headers to every preflight,
and the browser refuses what they do not cover. Locally a preflight they do not cover
(its origin, its method or one of its headers) gets no Access-Control-* header, so that a client
without a browser's CORS checks sees the refusal a browser would make.
"""

from __future__ import annotations

from localcloud.apigateway.messages import GatewayResponse, ReceivedRequest

CORS_PREFIX = "access-control-"


def is_preflight(request: ReceivedRequest) -> bool:
    return (
        request.method == "OPTIONS"
        and request.header("Origin") is not None
        and request.header("Access-Control-Request-Method") is not None
    )


def without_uncovered_allowance(
    request: ReceivedRequest, response: GatewayResponse
) -> GatewayResponse:
    """The preflight's answer, without its Access-Control-* headers unless they allow
    the request's origin, method and every header it asks for."""
    if _covers(request, response):
        return response
    headers = [(n, v) for n, v in response.headers if not n.lower().startswith(CORS_PREFIX)]
    return GatewayResponse(response.status, headers, response.body, response.request_id)


def _covers(request: ReceivedRequest, response: GatewayResponse) -> bool:
    allowed = {name.lower(): value for name, value in response.headers}
    origin = allowed.get("access-control-allow-origin")
    methods = _listed(allowed.get("access-control-allow-methods", ""))
    headers = _listed(allowed.get("access-control-allow-headers", ""))
    wanted_method = (request.header("Access-Control-Request-Method") or "").strip().upper()
    wanted_headers = _listed(request.header("Access-Control-Request-Headers") or "")
    return (
        origin in ("*", request.header("Origin"))
        and (wanted_method in {m.upper() for m in methods} or "*" in methods)
        and (wanted_headers <= headers or "*" in headers)
    )


def _listed(text: str) -> set[str]:
    return {part.strip().lower() for part in text.split(",") if part.strip()}
