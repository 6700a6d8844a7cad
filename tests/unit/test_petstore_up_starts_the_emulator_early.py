"""`petstore up` starts the emulator's process as soon as it has read its arguments: what
it imports before that must not include the local cloud's provisioning, which the
emulator's boot can overlap instead (it brings the SAM translator, ~0.4 s)."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_imports_neither_provisioning_nor_the_sam_translator_before_the_emulator() -> None:
    probe = (
        "import sys, petstore_cli.main; "
        "print(sorted(m for m in sys.modules if m.startswith('samtranslator') "
        "or m.startswith('localcloud.cloudformation.provisioning')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()

    assert loaded == "[]"
