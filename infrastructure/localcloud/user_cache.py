"""Where the local cloud keeps what every checkout on the machine may reuse."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir(folder: str, configured_by: str) -> Path:
    """The folder the variable `configured_by` names when set, else `folder` in the user's
    cache (XDG_CACHE_HOME, or ~/.cache), under `localcloud`."""
    configured = os.environ.get(configured_by)
    if configured:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "localcloud" / folder
