"""Lambda SnapStart runtime hooks for what the shared code makes during init and one
execution environment must not share with the others restored from the same snapshot:
the random generator's state and open network connections. The hooks go through
`snapshot_restore_py`, which the Python runtimes that support SnapStart include (it is
in no layer); without SnapStart they never run.

AWS runs the before-snapshot hooks once, when it takes the snapshot of a published
version, and the after-restore hooks in every environment restored from it."""

from __future__ import annotations

import random

from snapshot_restore_py import register_after_restore


@register_after_restore
def reseed_random() -> None:
    """Restored environments would otherwise draw the same "random" numbers (retry jitter
    in lockstep); `random.seed()` reseeds from the OS, which differs per environment."""
    random.seed()
