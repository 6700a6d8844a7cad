"""CloudFormation parameters, conditions and intrinsic functions, resolved locally.

Resources are registered as they are provisioned (what `!Ref` gives and their
`!GetAtt` attributes); anything that cannot be resolved raises a TemplateError
that names the resource and the property path.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from localcloud.model import TemplateError

ACCOUNT_ID = "123456789012"

_LIST_PARAMETER_TYPES = ("CommaDelimitedList", "List<")
_SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value<"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class _NoValue:
    """`AWS::NoValue`: the key or list item holding it disappears."""


NO_VALUE = _NoValue()


def cfn_string(value: Any) -> str:
    """A scalar as CloudFormation turns it into a string (booleans in lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise TypeError(f"expected a string, number or boolean, got {type(value).__name__}")


def pseudo_parameters(stack_name: str, region: str) -> dict[str, Any]:
    partition = _partition_of(region)
    return {
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Region": region,
        "AWS::StackName": stack_name,
        "AWS::StackId": (
            f"arn:{partition}:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack_name}/local"
        ),
        "AWS::Partition": partition,
        "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
        "AWS::NotificationARNs": [],
    }


def _partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def resolve_parameters(
    definitions: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Each template parameter's value: the override, else the Default, checked and typed."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(definitions))
    if unknown:
        raise TemplateError(f"Parameter overrides name unknown parameters: {', '.join(unknown)}")
    return {
        name: _parameter_value(name, definition or {}, overrides.get(name))
        for name, definition in definitions.items()
    }


def _parameter_value(name: str, definition: Mapping[str, Any], override: str | None) -> Any:
    kind = str(definition.get("Type", "String"))
    if override is None and "Default" not in definition:
        raise TemplateError(f"Parameter {name}: no Default and no override given")
    if override is None and kind.startswith(_SSM_PARAMETER_TYPE):
        raise TemplateError(
            f"Parameter {name} ({kind}): SSM parameters are not read locally; pass an override"
        )
    raw = override if override is not None else definition["Default"]
    text = ",".join(cfn_string(item) for item in raw) if isinstance(raw, list) else cfn_string(raw)
    _check_constraints(name, definition, text)
    if kind.startswith(_LIST_PARAMETER_TYPES):
        return [item.strip() for item in text.split(",")] if text else []
    if kind == "Number":
        try:
            float(text)
        except ValueError:
            raise TemplateError(f"Parameter {name} (Number): {text!r} is not a number") from None
    return text


def _check_constraints(name: str, definition: Mapping[str, Any], text: str) -> None:
    allowed = definition.get("AllowedValues")
    if allowed is not None and text not in [cfn_string(value) for value in allowed]:
        raise TemplateError(f"Parameter {name}: {text!r} is not one of its AllowedValues")
    pattern = definition.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(str(pattern), text):
        raise TemplateError(f"Parameter {name}: {text!r} does not match its AllowedPattern")


def referenced_names(value: Any) -> set[str]:
    """Every logical id or parameter name that `value` refers to through Ref, GetAtt or Sub
    (both branches of every Fn::If)."""
    return set(_references(value))


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _references(item)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        key, argument = next(iter(value.items()))
        if key == "Ref" and isinstance(argument, str):
            yield argument
            return
        if key == "Fn::GetAtt":
            yield from _getatt_target(argument)
            return
        if key == "Fn::Sub":
            yield from _sub_references(argument)
            return
    for item in value.values():
        yield from _references(item)


def _getatt_target(argument: Any) -> Iterator[str]:
    if isinstance(argument, str):
        yield argument.split(".", 1)[0]
    elif isinstance(argument, list) and argument and isinstance(argument[0], str):
        yield argument[0]


def _sub_references(argument: Any) -> Iterator[str]:
    if isinstance(argument, str):
        text, variables = argument, {}
    elif isinstance(argument, list) and len(argument) == 2:
        text, variables = argument
    else:
        return
    if not isinstance(text, str):
        yield from _references(text)
        text = ""
    for name in _SUB_VARIABLE.findall(text):
        if not name.startswith("!") and name not in variables:
            yield name.split(".", 1)[0]
    yield from _references(variables)


class IntrinsicResolver:
    """Resolves values of one template for one stack, as resources get provisioned."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        stack_name: str,
        region: str,
        parameter_overrides: Mapping[str, str] | None = None,
        imports: Mapping[str, str] | None = None,
    ) -> None:
        self.region = region
        self._exports: Mapping[str, str] = imports or {}
        """What the stacks started before this one export, for `Fn::ImportValue`."""
        self.parameters = resolve_parameters(template.get("Parameters") or {}, parameter_overrides)
        self.pseudo = pseudo_parameters(stack_name, region)
        self._mappings: Mapping[str, Any] = template.get("Mappings") or {}
        self._condition_definitions: Mapping[str, Any] = template.get("Conditions") or {}
        self._conditions: dict[str, bool] = {}
        self._evaluating: set[str] = set()
        self._resource_ids = set(template.get("Resources") or {})
        self._refs: dict[str, Any] = {}
        self._attributes: dict[str, Mapping[str, Any]] = {}
        self._functions: dict[str, Callable[[Any, str, str], Any]] = {
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::If": self._if,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Equals": self._equals,
            "Fn::Not": self._not,
            "Fn::And": self._and,
            "Fn::Or": self._or,
            "Fn::Base64": self._base64,
            "Fn::GetAZs": self._get_azs,
            "Fn::ImportValue": self._import_value,
        }
        # Conditions only see parameters and mappings, so they are settled up front; the
        # resolver then only reads while resources of one wave are provisioned concurrently.
        for name in self._condition_definitions:
            self.condition(name)

    def register(self, logical_id: str, ref: Any, attributes: Mapping[str, Any]) -> None:
        """Record a provisioned resource: what `!Ref` gives and its `!GetAtt` attributes."""
        self._refs[logical_id] = ref
        self._attributes[logical_id] = attributes

    def condition(self, name: str) -> bool:
        """The value of a named condition (evaluated once)."""
        if name in self._conditions:
            return self._conditions[name]
        if name not in self._condition_definitions:
            raise TemplateError(f"Condition {name} is not defined in the template")
        if name in self._evaluating:
            raise TemplateError(f"Condition {name} refers to itself")
        self._evaluating.add(name)
        try:
            value = self._truth(self._condition_definitions[name], f"Condition {name}", "")
        finally:
            self._evaluating.discard(name)
        self._conditions[name] = value
        return value

    def resolve(self, value: Any, resource: str, path: str = "") -> Any:
        """`value` with every intrinsic function resolved; `AWS::NoValue` drops keys and list
        items, and gives None at the top level. Errors name `resource` and `path`."""
        resolved = self._resolve(value, resource, path)
        return None if resolved is NO_VALUE else resolved

    def _resolve(self, value: Any, resource: str, path: str) -> Any:
        if isinstance(value, list):
            items = (self._resolve(item, resource, f"{path}[{i}]") for i, item in enumerate(value))
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            key, argument = next(iter(value.items()))
            if key == "Ref":
                return self._ref(argument, resource, path)
            if key in self._functions:
                return self._functions[key](argument, resource, path)
            if key.startswith("Fn::"):
                raise _error(resource, path, f"{key} is not supported locally")
        resolved = {
            key: self._resolve(item, resource, _join_path(path, key)) for key, item in value.items()
        }
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _ref(self, name: Any, resource: str, path: str) -> Any:
        if not isinstance(name, str):
            name = self._resolve(name, resource, path)
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self._refs:
            return self._refs[name]
        if name in self._resource_ids:
            raise _error(resource, path, f"!Ref {name}: that resource is not provisioned")
        raise _error(resource, path, f"!Ref {name}: no such parameter or resource")

    def _import_value(self, argument: Any, resource: str, path: str) -> str:
        name = cfn_string(self._resolve(argument, resource, path))
        if name not in self._exports:
            known = ", ".join(sorted(self._exports)) or "none"
            raise _error(
                resource,
                path,
                f"Fn::ImportValue {name}: No export named {name} found (the stacks started "
                f"before this one in this run export: {known})",
            )
        return self._exports[name]

    def _get_att(self, argument: Any, resource: str, path: str) -> Any:
        if isinstance(argument, str) and "." in argument:
            target, attribute = argument.split(".", 1)
        elif isinstance(argument, list) and len(argument) == 2:
            target = argument[0]
            attribute = cfn_string(self._resolve(argument[1], resource, path))
        else:
            raise _error(
                resource, path, f"Fn::GetAtt {argument!r}: expected [LogicalId, Attribute]"
            )
        return self._attribute(target, attribute, resource, path)

    def _attribute(self, target: str, attribute: str, resource: str, path: str) -> Any:
        if target not in self._attributes:
            state = "is not provisioned" if target in self._resource_ids else "does not exist"
            raise _error(resource, path, f"!GetAtt {target}.{attribute}: {target} {state}")
        attributes = self._attributes[target]
        if attribute not in attributes:
            raise _error(
                resource, path, f"!GetAtt {target}.{attribute}: attribute not available locally"
            )
        return attributes[attribute]

    def _sub(self, argument: Any, resource: str, path: str) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            text = self._resolve(argument[0], resource, path)
            variables = self._resolve(argument[1], resource, path)
        else:
            raise _error(resource, path, "Fn::Sub expects a string or [string, {variables}]")
        if not isinstance(text, str):
            raise _error(resource, path, "Fn::Sub expects a string")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            value = (
                variables[name] if name in variables else self._sub_variable(name, resource, path)
            )
            return self._scalar_text(value, f"${{{name}}}", resource, path)

        return _SUB_VARIABLE.sub(substitute, text)

    def _sub_variable(self, name: str, resource: str, path: str) -> Any:
        if "." in name and not name.startswith("AWS::"):
            target, attribute = name.split(".", 1)
            return self._attribute(target, attribute, resource, path)
        return self._ref(name, resource, path)

    def _if(self, argument: Any, resource: str, path: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
            raise _error(
                resource, path, "Fn::If expects [ConditionName, ValueIfTrue, ValueIfFalse]"
            )
        chosen = argument[1] if self._condition_in(argument[0], resource, path) else argument[2]
        return self._resolve(chosen, resource, path)

    def _condition_in(self, name: str, resource: str, path: str) -> bool:
        try:
            return self.condition(name)
        except TemplateError as error:
            raise _error(resource, path, str(error)) from None

    def _join(self, argument: Any, resource: str, path: str) -> str:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise _error(resource, path, "Fn::Join expects [delimiter, [values]]")
        delimiter = self._resolve(argument[0], resource, path)
        items = self._list(argument[1], "Fn::Join", resource, path)
        texts = [self._scalar_text(item, "Fn::Join", resource, path) for item in items]
        return cfn_string(delimiter).join(texts)

    def _select(self, argument: Any, resource: str, path: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise _error(resource, path, "Fn::Select expects [index, [values]]")
        index_value = self._resolve(argument[0], resource, path)
        items = self._list(argument[1], "Fn::Select", resource, path)
        try:
            index = int(index_value)
        except (TypeError, ValueError):
            raise _error(
                resource, path, f"Fn::Select index {index_value!r} is not a number"
            ) from None
        if not 0 <= index < len(items):
            raise _error(resource, path, f"Fn::Select index {index} is out of range")
        return items[index]

    def _split(self, argument: Any, resource: str, path: str) -> list[str]:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise _error(resource, path, "Fn::Split expects [delimiter, string]")
        delimiter = self._resolve(argument[0], resource, path)
        text = self._resolve(argument[1], resource, path)
        return self._scalar_text(text, "Fn::Split", resource, path).split(cfn_string(delimiter))

    def _find_in_map(self, argument: Any, resource: str, path: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            raise _error(resource, path, "Fn::FindInMap expects [MapName, TopKey, SecondKey]")
        keys = [
            self._scalar_text(self._resolve(key, resource, path), "Fn::FindInMap", resource, path)
            for key in argument
        ]
        found: Any = self._mappings
        for depth, key in enumerate(keys):
            if not isinstance(found, dict) or key not in found:
                where = ".".join(keys[: depth + 1])
                raise _error(resource, path, f"Fn::FindInMap: {where} is not in the Mappings")
            found = found[key]
        return found

    def _equals(self, argument: Any, resource: str, path: str) -> bool:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise _error(resource, path, "Fn::Equals expects [value, value]")
        left, right = (self._resolve(item, resource, path) for item in argument)
        return _comparable(left) == _comparable(right)

    def _not(self, argument: Any, resource: str, path: str) -> bool:
        if not (isinstance(argument, list) and len(argument) == 1):
            raise _error(resource, path, "Fn::Not expects [condition]")
        return not self._truth(argument[0], resource, path)

    def _and(self, argument: Any, resource: str, path: str) -> bool:
        conditions = self._conditions_list(argument, "Fn::And", resource, path)
        return all(self._truth(item, resource, path) for item in conditions)

    def _or(self, argument: Any, resource: str, path: str) -> bool:
        conditions = self._conditions_list(argument, "Fn::Or", resource, path)
        return any(self._truth(item, resource, path) for item in conditions)

    def _conditions_list(self, argument: Any, name: str, resource: str, path: str) -> list[Any]:
        if not (isinstance(argument, list) and 2 <= len(argument) <= 10):
            raise _error(resource, path, f"{name} expects a list of 2 to 10 conditions")
        return argument

    def _truth(self, value: Any, resource: str, path: str) -> bool:
        if isinstance(value, dict) and list(value) == ["Condition"]:
            return self._condition_in(value["Condition"], resource, path)
        resolved = self._resolve(value, resource, path)
        if isinstance(resolved, bool):
            return resolved
        if resolved in ("true", "false"):
            return resolved == "true"
        raise _error(resource, path, f"{value!r} is not a condition")

    def _base64(self, argument: Any, resource: str, path: str) -> str:
        text = self._scalar_text(
            self._resolve(argument, resource, path), "Fn::Base64", resource, path
        )
        return base64.b64encode(text.encode()).decode()

    def _get_azs(self, argument: Any, resource: str, path: str) -> list[str]:
        region = self._resolve(argument, resource, path) or self.region
        return [f"{region}{zone}" for zone in "abc"]

    def _list(self, value: Any, function: str, resource: str, path: str) -> list[Any]:
        resolved = self._resolve(value, resource, path)
        if not isinstance(resolved, list):
            raise _error(resource, path, f"{function} expects a list, got {resolved!r}")
        return resolved

    def _scalar_text(self, value: Any, where: str, resource: str, path: str) -> str:
        try:
            return cfn_string(value)
        except TypeError as error:
            raise _error(resource, path, f"{where}: {error}") from None


def _comparable(value: Any) -> Any:
    return cfn_string(value) if isinstance(value, bool | int | float) else value


def _join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _error(resource: str, path: str, reason: str) -> TemplateError:
    where = f"{resource}: property {path}" if path else resource
    return TemplateError(f"{where}: {reason}")
