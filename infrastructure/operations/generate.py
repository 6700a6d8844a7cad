"""Write template.yaml's operations block: the CloudWatch dashboard, the alarms, the
alarm topic and the functions' log groups, generated from the template's own functions,
queues and API, so a function or queue added to the template gets its panels, alarms and
log group by running this again (a function names its group in its LoggingConfig).

The block sits at the end of Resources between two marker comments; everything outside
it is left as it is.

    python -m infrastructure.operations.generate          # rewrite the block
    python -m infrastructure.operations.generate --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from localcloud.cloudformation.template import parse_template
from operations.inventory import inventory_of
from operations.resources import operations_resources
from operations.template_yaml import resources_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"
BEGIN = "  # BEGIN GENERATED OPERATIONS: `python -m infrastructure.operations.generate`"
END = "  # END GENERATED OPERATIONS"
HEADER = (
    "  # Dashboard, alarms, alarm topic and log groups for the functions and queues above;\n"
    "  # do not edit.\n"
)


class TemplateLayoutError(Exception):
    pass


def without_block(text: str) -> str:
    """The template with the generated block (markers included) taken out."""
    if BEGIN not in text:
        return text
    before, _, rest = text.partition(BEGIN)
    if END not in rest:
        raise TemplateLayoutError(f"template.yaml has {BEGIN.strip()!r} but no end marker")
    _, _, after = rest.partition(END)
    return before.rstrip("\n") + after


def with_block(text: str) -> str:
    """The template with its operations block generated afresh."""
    base = without_block(text)
    resources = operations_resources(inventory_of(parse_template(base)))
    block = "\n".join([BEGIN, HEADER.rstrip("\n"), *resources_yaml(resources), END])
    marker = "\nOutputs:"
    if marker not in base:
        raise TemplateLayoutError("template.yaml has no Outputs section to put the block before")
    head, _, tail = base.partition(marker)
    return f"{head.rstrip()}\n\n{block}\n{marker}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the block is stale")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    args = parser.parse_args(argv)
    current = args.template.read_text()
    generated = with_block(current)
    if args.check:
        if generated != current:
            print(f"{args.template}: the operations block is out of date; run make operations")
            return 1
        return 0
    if generated != current:
        args.template.write_text(generated)
        print(f"Wrote the operations block of {args.template}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
