"""Request bodies are parsed here, so that no body a client can send makes a handler crash.

Powertools turns a `json.JSONDecodeError` from the body parser into a validation error,
but not the other ways `json.loads` can fail on hostile input (nesting deeper than the
recursion limit, integers longer than Python's 4300-digit conversion limit), which would
otherwise surface as a 500. Those are re-raised as `JSONDecodeError` here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from petstore_shared.domain_errors import PayloadTooLarge

MAX_JSON_BODY_CHARS = 256 * 1024


def parse_json_body(text: str) -> Any:
    """JSON with decimals kept exact (a price of 0.1 stays 0.1) and NaN/Infinity refused."""
    if len(text) > MAX_JSON_BODY_CHARS:
        raise PayloadTooLarge(f"The request body is larger than {MAX_JSON_BODY_CHARS} characters.")
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_non_finite_number)
    except json.JSONDecodeError:
        raise
    except RecursionError as error:
        raise json.JSONDecodeError("JSON nested too deeply", text, 0) from error
    except ValueError as error:
        raise json.JSONDecodeError(str(error), text, 0) from error


def _refuse_non_finite_number(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")
