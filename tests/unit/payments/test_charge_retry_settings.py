"""The charge-retry schedule as the template's ChargeRetryDelays sets it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from payments.settings import RETRY_DELAYS_S, ChargeRetrySettings

QUEUE = {"CHARGE_RETRIES_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/retries"}


def test_the_schedule_is_read_from_its_comma_separated_variable() -> None:
    settings = ChargeRetrySettings.model_validate({**QUEUE, "CHARGE_RETRY_DELAYS_S": "1,1,2,3,5"})

    assert settings.charge_retry_delays_s == (1, 1, 2, 3, 5)


def test_without_the_variable_the_schedule_is_about_half_a_minute() -> None:
    settings = ChargeRetrySettings.model_validate(QUEUE)

    assert settings.charge_retry_delays_s == RETRY_DELAYS_S == (1, 2, 4, 8, 16)


@pytest.mark.parametrize(
    "given",
    ["1,2,4,8", "1,2,4,8,16,32", "1,2,x,8,16", "1,2,-4,8,16", "1,2,4,8,901", "1.5,2,4,8,16", ""],
)
def test_a_schedule_that_is_not_five_delays_of_at_most_15_minutes_is_refused_by_name(
    given: str,
) -> None:
    with pytest.raises(ValidationError, match="CHARGE_RETRY_DELAYS_S"):
        ChargeRetrySettings.model_validate({**QUEUE, "CHARGE_RETRY_DELAYS_S": given})
