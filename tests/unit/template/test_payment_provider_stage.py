"""The payment simulator and its test tokens take no real money: both templates refuse
the prod stage while the payments consumer's provider is the simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from localcloud.cloudformation.template import parse_template

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = [PROJECT_ROOT / "template.yaml", PROJECT_ROOT / "infrastructure/kafka/template.yaml"]


def holds(condition: Any, parameters: dict[str, str]) -> bool:
    """A rule assertion evaluated as CloudFormation would, for the functions it uses."""
    [(function, argument)] = condition.items()
    if function == "Fn::Not":
        return not holds(argument[0], parameters)
    if function == "Fn::Equals":
        left, right = (parameters[a["Ref"]] if isinstance(a, dict) else a for a in argument)
        return bool(left == right)
    raise AssertionError(f"unexpected rule function {function}")


def stage_allowed(template: dict[str, Any], stage: str) -> bool:
    rule = template["Rules"]["NoPaymentSimulatorInProduction"]
    return all(holds(a["Assert"], {"StageName": stage}) for a in rule["Assertions"])


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.parent.name)
def test_the_prod_stage_is_refused_while_the_payment_provider_is_the_simulator(
    path: Path,
) -> None:
    template = parse_template(path.read_text())
    variables = template["Resources"]["PaymentOrderEventsFunction"]["Properties"]["Environment"][
        "Variables"
    ]

    assert variables["PAYMENT_PROVIDER"] == "simulator"
    assert not stage_allowed(template, "prod")
    assert stage_allowed(template, "dev")
