"""The part of API Gateway's mapping template language (VTL) that service integrations'
request and response templates use: `$input.body`, `$input.json('$.a')`,
`$input.path('$.a')`, `$input.params('name')`, `$context.NAME`, `$stageVariables.NAME`
(empty locally) and `$util.urlEncode|urlDecode|escapeJavaScript|base64Encode|base64Decode`
of one of those or of a quoted text. A template using any other VTL (`#set`, `#foreach`,
other references) is refused when the API is provisioned, naming what it uses."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, unquote_plus

_SIMPLE = (
    r"\$(?:input\.body|input\.json\('[^']*'\)|input\.path\('[^']*'\)|input\.params\('[^']*'\)"
    r"|\{context\.[\w.]+\}|context\.[\w.]*\w|\{stageVariables\.\w+\}|stageVariables\.\w+)"
)
_REFERENCE = re.compile(
    rf"\$util\.(?P<function>\w+)\(\s*(?P<argument>{_SIMPLE}|'[^']*')\s*\)|(?P<simple>{_SIMPLE})"
)
_SIMPLE_PARTS = re.compile(
    r"\$(?:input\.(?P<input>body|json|path|params)(?:\('(?P<argument>[^']*)'\))?"
    r"|\{?context\.(?P<context>[\w.]*\w)\}?|\{?stageVariables\.\w+\}?)"
)
_OTHER_VTL = re.compile(r"\$!?\{?[A-Za-z]\w*(?:\.\w+)*(?:\([^)]*\))?|^\s*#\w+", re.MULTILINE)
_JSON_PATH = re.compile(r"\$(?:\.\w+)*")
_FUNCTIONS: dict[str, Callable[[str], str]] = {
    "urlEncode": lambda text: quote_plus(text, safe=""),
    "urlDecode": unquote_plus,
    "escapeJavaScript": lambda text: json.dumps(text)[1:-1].replace("'", "\\'"),
    "base64Encode": lambda text: base64.b64encode(text.encode()).decode(),
    "base64Decode": lambda text: base64.b64decode(text).decode(errors="replace"),
}


class UnsupportedTemplate(ValueError):
    """The template uses VTL beyond what the local API Gateway renders."""


@dataclass(frozen=True)
class TemplateInput:
    """What a template reads: the body it maps and the request's parameters."""

    body: str
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    context: Mapping[str, str] = field(default_factory=dict)


def check_template(template: str) -> None:
    for match in _REFERENCE.finditer(template):
        function = match.group("function")
        if function is not None and function not in _FUNCTIONS:
            raise UnsupportedTemplate(f"$util.{function} is not rendered locally")
        for part in _SIMPLE_PARTS.finditer(match.group(0)):
            path = part.group("argument")
            if part.group("input") in ("json", "path") and not _JSON_PATH.fullmatch(path or ""):
                raise UnsupportedTemplate(
                    f"JSONPath {path!r}: only $ and dotted fields ($.a.b) are read locally"
                )
    leftover = _OTHER_VTL.search(_REFERENCE.sub("", template))
    if leftover:
        raise UnsupportedTemplate(f"{leftover.group(0).strip()!r} is not rendered locally")


def render(template: str, given: TemplateInput) -> str:
    """The template with each reference replaced by what it reads of `given`."""

    def reference(match: re.Match[str]) -> str:
        function = match.group("function")
        if function is None:
            return _simple(match.group("simple"), given)
        argument = match.group("argument")
        text = argument[1:-1] if argument.startswith("'") else _simple(argument, given)
        return _FUNCTIONS[function](text)

    return _REFERENCE.sub(reference, template)


def _simple(reference: str, given: TemplateInput) -> str:
    parts = _SIMPLE_PARTS.fullmatch(reference)
    if parts is None or parts.group("input") is None:
        return given.context.get(parts.group("context") or "", "") if parts else ""
    kind, argument = parts.group("input"), parts.group("argument") or ""
    if kind == "body":
        return given.body
    if kind == "params":
        return _parameter(argument, given)
    value = _json_path(given.body, argument)
    if kind == "json" or not isinstance(value, str):
        return json.dumps(value)
    return value


def _parameter(name: str, given: TemplateInput) -> str:
    """A parameter by name, from the path, then the query string, then the headers."""
    if name in given.path_parameters:
        return given.path_parameters[name]
    found = next((value for key, value in reversed(given.query) if key == name), None)
    if found is None:
        found = next((v for k, v in given.headers if k.lower() == name.lower()), None)
    return found or ""


def _json_path(body: str, path: str) -> Any:
    try:
        value: Any = json.loads(body) if body else {}
    except ValueError:
        return None
    for name in path.split(".")[1:]:
        value = value.get(name) if isinstance(value, dict) else None
    return value
