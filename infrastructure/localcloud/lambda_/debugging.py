"""One function run under debugpy, as `sam local invoke --debug-port` runs it: its worker
listens for a debugger (the Debug Adapter Protocol) and waits for one before it imports the
handler; a `breakpoint()` in the handler then stops in that debugger."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from localcloud.model import FunctionSpec, TemplateError

DEFAULT_DEBUG_PORT = 5678
"""debugpy's own default."""
DEBUG_ADDRESS_VARIABLE = "_LOCALCLOUD_DEBUG_ADDRESS"
DEBUGPY_DIR_VARIABLE = "_LOCALCLOUD_DEBUGPY_DIR"
DEBUG_TIMEOUT_S = 24 * 3600.0
"""A function stopped at a breakpoint does not time out (as under SAM's --debug-port)."""


@dataclass(frozen=True)
class FunctionDebug:
    logical_id: str
    port: int = DEFAULT_DEBUG_PORT
    host: str = "127.0.0.1"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def debugged(self, spec: FunctionSpec) -> FunctionSpec:
        """The function as its debugged worker runs it: told where to listen and where
        debugpy is, and with its timeout lifted."""
        environment = {
            **spec.environment,
            DEBUG_ADDRESS_VARIABLE: self.address,
            DEBUGPY_DIR_VARIABLE: str(debugpy_dir()),
            # The runtime's frozen standard library modules cannot hold breakpoints, which
            # the handler's code never needs; debugpy would warn of it at every start.
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        return replace(spec, environment=environment, timeout_s=DEBUG_TIMEOUT_S)


def debugpy_dir() -> Path:
    """The folder debugpy is installed in (the project's dev dependency), added to the
    debugged worker's path only."""
    try:
        import debugpy
    except ImportError as error:
        raise TemplateError(
            "--debug needs debugpy, one of the project's dev dependencies: make install"
        ) from error
    return Path(debugpy.__file__).resolve().parent.parent
