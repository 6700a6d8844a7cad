"""The `petstore` command (also `python -m petstore_cli`).

`petstore up` launches its AWS emulator before anything else is imported: the emulator
boots in its own process (~1 s, importing moto) while this one imports the rest of the
command (~0.4 s) and reads the template, instead of after them. Only the plain case
launches early (the emulator on its own port, no `--state`, no `AWS_ENDPOINT_URL`);
any other, and a launch that fails (the port taken), is left to `petstore up` itself,
which reports it as usual.
"""

from __future__ import annotations

import argparse
import os
import sys

from localcloud.emulator.process import DEFAULT_PORT, Emulator, launch_emulator


def main() -> int:
    argv = sys.argv[1:]
    early = launch_early(argv)
    from petstore_cli.main import main as petstore

    try:
        return petstore(argv, early_emulator=early)
    finally:
        if early is not None:
            early.stop()  # a no-op once `up` stopped it; otherwise `up` never took it


def launch_early(argv: list[str]) -> Emulator | None:
    if not argv or argv[0] != "up" or os.environ.get("AWS_ENDPOINT_URL"):
        return None
    options = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    options.add_argument("-h", "--help", action="store_true")
    options.add_argument("--state")
    options.add_argument("--emulator-port", default=str(DEFAULT_PORT))
    try:
        known, _ = options.parse_known_args(argv[1:])
    except argparse.ArgumentError:
        return None
    if known.help or known.state is not None or not known.emulator_port.isdigit():
        return None  # a malformed port too: `up` says what is wrong with it
    try:
        return launch_emulator(port=int(known.emulator_port))
    except Exception:
        return None


if __name__ == "__main__":
    sys.exit(main())
