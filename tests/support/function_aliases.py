"""Reading the SAM-transformed template where a function is invoked through its alias
(`AutoPublishAlias`): event source mappings and API routes name the alias."""

from __future__ import annotations

from typing import Any


def invoked_function(function_name: dict[str, Any], resources: dict[str, Any]) -> str:
    """The function's logical id, whether `function_name` refers to it or to its alias."""
    named = function_name["Ref"]
    if resources[named]["Type"] == "AWS::Lambda::Alias":
        return str(resources[named]["Properties"]["FunctionName"]["Ref"])
    return str(named)
