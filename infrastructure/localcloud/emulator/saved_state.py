"""`--state DIR`: the emulator's resources and data kept in a folder across restarts.

moto keeps everything in memory and has no switch to keep it. The emulator's process
writes every service's backends (moto's `BackendDict`s: tables and items, queues and
their messages, topics and subscriptions, user pools with their users, groups and
signing keys, log groups, metrics and alarms) to `DIR/emulator.pickle` when it stops
and every `SAVE_INTERVAL_S` while it runs, and loads them before it serves when it
starts with the same folder. A save writes a new file and renames it over the old one,
so a crash mid-save leaves the last complete save. The file holds the user pools'
private signing keys: it is created 0600 in a 0700 folder.

A file that cannot be read (corrupt, or written by another moto or Python) stops the
start with an error naming it; it is never wiped.
"""

from __future__ import annotations

import contextlib
import copyreg
import importlib
import io
import os
import pickle
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import moto
from joserfc import jwk
from moto.core.base_backend import BackendDict

from localcloud.emulator.quiet_turns import QuietTurns
from localcloud.emulator.state_folder import STATE_FILE, SavedStateError

FORMAT = 1
SAVE_INTERVAL_S = 30.0
SAVE_ATTEMPTS = 5
"""A save walks the backends while requests may change them: a walk that meets a
dictionary changing size is tried again."""
_LOCK_TYPE = type(threading.Lock())
_RLOCK_TYPE = type(threading.RLock())


def save(directory: Path) -> None:
    """Write every backend in use to the folder, atomically."""
    payload = _pickled_backends()
    descriptor, temporary = tempfile.mkstemp(prefix=".emulator-", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, directory / STATE_FILE)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def load(directory: Path) -> bool:
    """Put the saved backends in place of moto's empty ones; False when there is no save."""
    path = directory / STATE_FILE
    if not path.is_file():
        return False
    try:
        saved = pickle.loads(path.read_bytes())  # the owner's own file, in an owner-only folder
    except Exception as error:
        raise SavedStateError(
            f"State file {path} cannot be read ({type(error).__name__}: {error}). It was "
            "left as it is: move it away (or choose another --state folder) to start empty."
        ) from error
    _check_compatible(saved, path)
    for module, name, accounts in saved["backends"]:
        _restore(getattr(importlib.import_module(module), name), accounts)
    return True


def periodic_saves(directory: Path, quiet: threading.Lock) -> QuietTurns:
    """Saves the state every `SAVE_INTERVAL_S` until stopped (the save at stop, or the next
    one, tries again after a failure)."""
    return QuietTurns("state saves", SAVE_INTERVAL_S, quiet, lambda: save(directory))


def _pickled_backends() -> bytes:
    for attempt in range(SAVE_ATTEMPTS):
        try:
            backends = [
                (*_where(backend_dict), _accounts(backend_dict))
                for backend_dict in list(BackendDict._instances)  # type: ignore[misc]
                if len(backend_dict)
            ]
            buffer = io.BytesIO()
            _StatePickler(buffer).dump(
                {
                    "format": FORMAT,
                    "moto": moto.__version__,
                    "python": sys.version_info[:2],
                    "backends": backends,
                }
            )
            return buffer.getvalue()
        except RuntimeError:  # a dictionary changed size while it was walked
            if attempt == SAVE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _accounts(backend_dict: BackendDict[Any]) -> dict[str, dict[str, Any]]:
    return {account: dict(regions) for account, regions in list(backend_dict.items())}


def _where(backend_dict: BackendDict[Any]) -> tuple[str, str]:
    """The module and name a `BackendDict` is found under, to put the saved one back."""
    module = sys.modules[backend_dict.backend.__module__]
    for name, value in vars(module).items():
        if value is backend_dict:
            return module.__name__, name
    for candidate in list(sys.modules.values()):
        if candidate is not None and candidate.__name__.startswith("moto."):
            for name, value in list(vars(candidate).items()):
                if value is backend_dict:
                    return candidate.__name__, name
    raise SavedStateError(f"moto's {backend_dict.service_name} backends have no module name")


def _restore(backend_dict: BackendDict[Any], accounts: dict[str, dict[str, Any]]) -> None:
    for account, regions in accounts.items():
        account_backends = backend_dict[account]
        for region, backend in regions.items():
            dict.__setitem__(account_backends, region, backend)


def _check_compatible(saved: Any, path: Path) -> None:
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise SavedStateError(
            f"State file {path} is not an emulator state this local cloud writes. It was "
            "left as it is: move it away (or choose another --state folder) to start empty."
        )
    made_by = (saved.get("moto"), tuple(saved.get("python", ())))
    running = (moto.__version__, sys.version_info[:2])
    if made_by != running:
        raise SavedStateError(
            f"State file {path} was written by moto {made_by[0]} on Python "
            f"{'.'.join(map(str, made_by[1]))}; this is moto {running[0]} on Python "
            f"{'.'.join(map(str, running[1]))}, which may not read it. It was left as it is: "
            "start with the versions that wrote it, or move it away to start empty."
        )


def _new_lock() -> Any:
    return threading.Lock()


def _new_rlock() -> Any:
    return threading.RLock()


def _new_condition() -> threading.Condition:
    return threading.Condition()


def _rsa_key(parameters: dict[str, Any]) -> jwk.RSAKey:
    return jwk.RSAKey.import_key(parameters)


class _StatePickler(pickle.Pickler):
    """Locks are made anew on load (nothing holds them then); RSA keys are kept as JWKs."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.dispatch_table = {
            **copyreg.dispatch_table,
            _LOCK_TYPE: lambda _: (_new_lock, ()),
            _RLOCK_TYPE: lambda _: (_new_rlock, ()),
            threading.Condition: lambda _: (_new_condition, ()),
            jwk.RSAKey: lambda key: (_rsa_key, (key.as_dict(private=True),)),
        }
