"""python -m infrastructure.deploy_gate [TEMPLATE ...]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __doc__ as gate_doc
from .gate import Gate, GateSettings
from .runtimes import REPO_ROOT

DEFAULT_TEMPLATES = (
    REPO_ROOT / "template.yaml",
    REPO_ROOT / "infrastructure" / "kafka" / "template.yaml",
    REPO_ROOT / "infrastructure" / "rabbitmq" / "template.yaml",
)
DEFAULT_BUILD_ROOT = REPO_ROOT / ".aws-sam" / "gate"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(gate_doc or "").strip().splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("templates", nargs="*", type=Path, default=list(DEFAULT_TEMPLATES))
    parser.add_argument("--sam", type=Path, default=REPO_ROOT / ".venv-sam" / "bin" / "sam")
    parser.add_argument("--build-root", type=Path, default=DEFAULT_BUILD_ROOT)
    args = parser.parse_args(argv)
    settings = GateSettings(sam=args.sam.resolve(), build_root=args.build_root.resolve())
    return Gate(settings, sys.stdout).run(template.resolve() for template in args.templates)


if __name__ == "__main__":
    sys.exit(main())
