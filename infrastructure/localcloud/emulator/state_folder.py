"""The `--state DIR` folder, as the local cloud checks it before the emulator starts
(`saved_state` is what the emulator's process writes into it and reads back)."""

from __future__ import annotations

import stat
from pathlib import Path

STATE_FILE = "emulator.pickle"


class SavedStateError(Exception):
    """The state folder or its file cannot be used; the message names it."""


def prepare_folder(directory: Path) -> Path:
    """The folder, created owner-only (0700) if new; refused if it is not a folder or
    others can read it."""
    directory = directory.expanduser().resolve()
    if directory.exists() and not directory.is_dir():
        raise SavedStateError(f"State folder {directory} is not a folder.")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o077:
        raise SavedStateError(
            f"State folder {directory} is readable by other users (mode {mode:04o}): it will "
            f"hold the user pools' signing keys. chmod 700 {directory}, or choose another folder."
        )
    return directory


def has_saved_state(directory: Path) -> bool:
    return (directory / STATE_FILE).is_file()
