"""The REST API's resources: a request's path matched to the route that serves it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from localcloud.model import Route, TemplateError

# ---------------------------------------------------------------- routing


LITERAL, PARAM, GREEDY, DEFAULT = 0, 1, 2, 3
DEFAULT_ROUTE = "$default"
"""An HTTP API's route for every request no other route matches."""


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    pattern: tuple[tuple[int, str], ...]
    resource_id: str

    @classmethod
    def of(cls, route: Route) -> CompiledRoute:
        if route.path == DEFAULT_ROUTE:
            return cls(route, ((DEFAULT, ""),), hashlib.sha1(b"$default").hexdigest()[:6])
        pattern = tuple(_segment_kind(part) for part in route.path.split("/") if part)
        if any(kind == GREEDY for kind, _ in pattern[:-1]):
            raise TemplateError(f"Route {route.method} {route.path}: a {{proxy+}} must be last.")
        resource_id = hashlib.sha1(route.path.encode()).hexdigest()[:6]
        return cls(route, pattern, resource_id)

    @property
    def precedence(self) -> tuple[tuple[int, ...], bool]:
        """Sorts before every other route that matches the same request: literal segments
        beat `{param}` beats `{proxy+}`, then an exact method beats ANY."""
        return tuple(kind for kind, _ in self.pattern), self.route.method == "ANY"

    def bind(self, segments: list[str]) -> dict[str, str] | None:
        """The path parameters when the segments match, else None."""
        params: dict[str, str] = {}
        if self.pattern == ((DEFAULT, ""),):
            return params
        for index, (kind, name) in enumerate(self.pattern):
            if kind == GREEDY:
                if index >= len(segments):
                    return None
                params[name] = "/".join(segments[index:])
                return params
            if index >= len(segments) or (kind == LITERAL and segments[index] != name):
                return None
            if kind == PARAM:
                params[name] = segments[index]
        return params if len(segments) == len(self.pattern) else None


def _segment_kind(part: str) -> tuple[int, str]:
    if part.startswith("{") and part.endswith("+}"):
        return GREEDY, part[1:-2]
    if part.startswith("{") and part.endswith("}"):
        return PARAM, part[1:-1]
    return LITERAL, part


class RouteTable:
    def __init__(self, routes: list[Route]) -> None:
        compiled = [CompiledRoute.of(route) for route in routes]
        self._routes = sorted(compiled, key=lambda entry: entry.precedence)

    def match(
        self, method: str, segments: list[str]
    ) -> tuple[CompiledRoute, dict[str, str]] | None:
        for entry in self._routes:
            if entry.route.method not in (method, "ANY"):
                continue
            params = entry.bind(segments)
            if params is not None:
                return entry, params
        return None
