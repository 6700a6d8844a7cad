"""The one place that creates the Powertools Logger, Tracer and Metrics.

The service name comes from POWERTOOLS_SERVICE_NAME and the metrics namespace from
POWERTOOLS_METRICS_NAMESPACE. `tracer` and `metrics` are created on first import of
the name, so a function that does not use them does not pay for them at cold start
(creating the Tracer costs about 0.2 s on top of botocore, measured here).

Every handler decorated with `metrics.log_metrics` also counts its cold starts
(ColdStart, by function_name and service).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics, Tracer

    tracer: Tracer
    metrics: Metrics

logger = Logger()


@cache
def _create_tracer() -> Tracer:
    from aws_lambda_powertools import Tracer

    return Tracer()


@cache
def _create_metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    # A route that records no business metric still publishes its cold starts: Powertools'
    # warning about an otherwise empty flush would be a log line on every invocation.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    metrics = Metrics()
    metrics.log_metrics = partial(  # type: ignore[method-assign]
        metrics.log_metrics, capture_cold_start_metric=True
    )
    return metrics


@contextmanager
def traced(name: str, **annotations: str) -> Iterator[None]:
    """An X-Ray subsegment with searchable annotations (e.g. correlation_id, event_type)
    around a unit of work, when the invocation is traced (Lambda sets _X_AMZN_TRACE_ID).
    Without a trace there is nothing to annotate, and the tracer is not even created."""
    if not os.environ.get("_X_AMZN_TRACE_ID"):
        yield
        return
    with _create_tracer().provider.in_subsegment(name) as subsegment:
        for key, value in annotations.items():
            subsegment.put_annotation(key=key, value=value)
        yield


def __getattr__(name: str) -> Any:
    if name == "tracer":
        return _create_tracer()
    if name == "metrics":
        return _create_metrics()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
