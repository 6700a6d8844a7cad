"""The one place that creates the Powertools Logger, Tracer and Metrics.

The service name comes from POWERTOOLS_SERVICE_NAME and the metrics namespace from
POWERTOOLS_METRICS_NAMESPACE. `tracer` and `metrics` are created on first import of
the name, so a function that does not use them does not pay for them at cold start
(creating the Tracer costs about 0.2 s on top of botocore, measured here).

Every handler decorated with `metrics.log_metrics` also counts its cold starts
(ColdStart, by function_name and service).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from snapshot_restore_py import register_after_restore, register_before_snapshot

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics, Tracer

    tracer: Tracer
    metrics: Metrics

logger = Logger()

XRAY_INIT_WARNINGS = "aws_xray_sdk.core.lambda_launcher"
"""The X-Ray SDK's logger of the subsegments it drops while the environment initialises."""


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


@cache
def make_tracer_before_snapshot() -> None:
    """Under SnapStart, the Tracer is made in the init phase, before the snapshot: made
    on a restored environment's first traced invocation, importing the X-Ray SDK and
    patching botocore took 0.09 s of it. The X-Ray emitter's UDP socket is each
    environment's own: a new one is made after restore. For the functions whose every
    invocation is traced (the event consumers); once per process."""
    register_before_snapshot(_tracer_before_snapshot)
    register_after_restore(_tracer_after_restore)


def _tracer_before_snapshot() -> None:
    _create_tracer()
    # The calls other hooks prime against canned answers run in no trace: X-Ray drops
    # each, with a warning that would fill the log of every snapshot taken.
    logging.getLogger(XRAY_INIT_WARNINGS).setLevel(logging.ERROR)


def _tracer_after_restore() -> None:
    from aws_xray_sdk.core import xray_recorder
    from aws_xray_sdk.core.emitters.udp_emitter import DEFAULT_DAEMON_ADDRESS, UDPEmitter

    logging.getLogger(XRAY_INIT_WARNINGS).setLevel(logging.NOTSET)
    address = os.environ.get("AWS_XRAY_DAEMON_ADDRESS") or DEFAULT_DAEMON_ADDRESS
    xray_recorder.configure(emitter=UDPEmitter(address))


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
