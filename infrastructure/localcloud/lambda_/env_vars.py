"""`--env-vars FILE`: the functions' environment variables overridden, from a file in the
shape `sam local` takes (env.json):

    {"OrdersFunction": {"TABLE_NAME": "orders-test"}, "Parameters": {"LOG_LEVEL": "DEBUG"}}

Each object under a function's logical id (or its function name) overrides that function's
variables; the one under "Parameters" overrides every function's. As with `sam local`, a
variable overrides only what the template declares for that function; one it does not
declare is listed as ignored locally, never set silently."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from localcloud.model import Stack, TemplateError

EnvVars = dict[str, dict[str, str]]
EVERY_FUNCTION = "Parameters"


class EnvVarsError(TemplateError):
    """The env-vars file cannot be used; the message names the file and what is wrong."""


def load_env_vars(path: Path) -> EnvVars:
    try:
        loaded = json.loads(path.read_text())
    except OSError as error:
        raise EnvVarsError(f"--env-vars {path}: cannot be read ({error.strerror})") from None
    except ValueError as error:
        raise EnvVarsError(f"--env-vars {path}: not valid JSON ({error})") from None
    if not isinstance(loaded, dict):
        raise EnvVarsError(
            f"--env-vars {path}: the file must hold an object of function logical ids "
            'to objects of variables, e.g. {"MyFunction": {"TABLE_NAME": "t"}}'
        )
    env_vars: EnvVars = {}
    for key, variables in loaded.items():
        if not isinstance(variables, dict):
            raise EnvVarsError(
                f"--env-vars {path}: {key!r} must be an object of variable names to values"
            )
        env_vars[key] = {}
        for name, value in variables.items():
            if isinstance(value, (dict, list)) or value is None:
                raise EnvVarsError(
                    f"--env-vars {path}: {key}.{name} must be a string, number or boolean"
                )
            env_vars[key][name] = _text(value)
    return env_vars


def apply_env_vars(stack: Stack, env_vars: EnvVars) -> set[str]:
    """Override the stack's functions' variables; returns the keys of `env_vars` that name
    a function of the stack (see `refuse_unknown_functions`)."""
    by_name = {spec.name: logical_id for logical_id, spec in stack.functions.items()}
    named = {key for key in env_vars if key in stack.functions or key in by_name}
    shared = env_vars.get(EVERY_FUNCTION, {})
    for name in sorted(shared):
        if not any(name in spec.environment for spec in stack.functions.values()):
            _ignore(stack, EVERY_FUNCTION, name, "no function of the template declares it")
    for logical_id, spec in list(stack.functions.items()):
        own = {**env_vars.get(spec.name, {}), **env_vars.get(logical_id, {})}
        for name in sorted(set(own) - set(spec.environment)):
            _ignore(stack, logical_id, name, "the template does not declare it for this function")
        environment = {
            name: own.get(name, shared.get(name, value)) for name, value in spec.environment.items()
        }
        stack.functions[logical_id] = replace(spec, environment=environment)
    return named


def refuse_unknown_functions(env_vars: EnvVars, named: set[str], stacks: str) -> None:
    """A key naming no function of the run is refused, naming it."""
    unknown = sorted(set(env_vars) - named - {EVERY_FUNCTION})
    if unknown:
        raise EnvVarsError(
            f"--env-vars: {', '.join(unknown)} names no function of the stack {stacks} "
            f"(give a function's logical id, or {EVERY_FUNCTION!r} for all)"
        )


def _ignore(stack: Stack, subject: str, variable: str, why: str) -> None:
    stack.ignored.append(
        f"{subject}: --env-vars variable {variable}: ignored locally — {why} (as sam local)"
    )


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
