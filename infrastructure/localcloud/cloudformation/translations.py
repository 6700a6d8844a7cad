"""The SAM transform's output kept on disk, by everything it depends on.

Translating the pet store's template takes the translator's import (~0.3 s) and the
translation (~0.15 s), on the way to every start of the local cloud. The translation is a
function of its inputs alone (the document with its code placeholders, the region, the
parameter values, the translator's version and template.py's code around it; managed
policies come from the map bundled with the translator), so a start whose inputs a
previous start had reads the result instead. The files may hold parameter values: they
are readable by their owner only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from localcloud.user_cache import user_cache_dir

KEPT_TRANSLATIONS = 64
"""The most recently written are kept: each template, region and set of parameters makes
one (~0.5 MB for the pet store's)."""


def translated(
    document: dict[str, Any],
    region: str,
    parameter_values: dict[str, Any],
    translate: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """What `translate()` returns for these inputs: read when it was kept, else translated
    and kept."""
    folder = user_cache_dir("sam-translations", configured_by="LOCALCLOUD_TRANSLATIONS_DIR")
    inputs = [_translator_version(), region, parameter_values, document]
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
    path = folder / f"{key}.json"
    with contextlib.suppress(OSError, ValueError):
        kept: dict[str, Any] = json.loads(path.read_text())
        return kept
    result = translate()
    with contextlib.suppress(OSError):
        _keep(folder, path, result)
    return result


@cache
def _translator_version() -> str:
    """The SAM translator's version, and the code around it (template.py: what is done
    to the document before and after): a change to either translates anew."""
    around = hashlib.sha256(Path(__file__).with_name("template.py").read_bytes()).hexdigest()
    return f"{metadata.version('aws-sam-translator')}+{around}"


def _keep(folder: Path, path: Path, result: dict[str, Any]) -> None:
    """Written whole or not at all (a start beside this one may read it meanwhile)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")  # mode 0600
    with os.fdopen(handle, "w") as file:
        json.dump(result, file)
    os.replace(temporary, path)
    kept = sorted(folder.glob("*.json"), key=lambda entry: entry.stat().st_mtime, reverse=True)
    for old in kept[KEPT_TRANSLATIONS:]:
        old.unlink(missing_ok=True)
