"""moto's server, with DynamoDB's per-request atomicity restored.

moto's DynamoDB backend is not thread-safe: a transaction deep-copies the table
and restores the copy when a condition fails, so two concurrent requests can
undo each other's writes (measured: 50 concurrent conditional decrements of 1 on
stock 10 sold 12). DynamoDB applies every request atomically, so this server runs
DynamoDB and DynamoDB Streams requests one at a time; every other service's requests
run side by side (SQS long polls must not block each other).

Only the local cloud that started it may use it (`localcloud.emulator.gate`): the run's
access comes down in the environment (`EmulatorAccess.hand_down`).

With a state folder (`--state DIR`), it loads the resources and data saved there before
it serves, saves them every half minute and again when it is stopped (SIGTERM):
`localcloud.emulator.saved_state`.

Run as `python -m localcloud.emulator.server HOST PORT [STATE_DIR]`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

import waitress
from moto import backends
from moto.moto_server.threaded_moto_server import DomainDispatcherApplication, create_backend_app

from localcloud.emulator.access import EmulatorAccess
from localcloud.emulator.fronts import ServiceFronts
from localcloud.emulator.gate import OnlyTheLocalCloud
from localcloud.emulator.patches import cognito_sign_up as emulator_cognito_sign_up
from localcloud.emulator.patches import log_retention as emulator_log_retention
from localcloud.emulator.patches import metric_reads as emulator_metric_reads
from localcloud.emulator.patches import metric_retention as emulator_metric_retention
from localcloud.emulator.patches import model_instances as emulator_model_instances
from localcloud.emulator.patches import notifications as emulator_notifications
from localcloud.emulator.patches import queries as emulator_queries
from localcloud.emulator.patches import queue_attributes as emulator_queue_attributes
from localcloud.emulator.patches import queues as emulator_queues
from localcloud.emulator.patches import responses as emulator_responses
from localcloud.emulator.patches import service_models as emulator_service_models
from localcloud.emulator.patches import ses_mailbox_simulator as emulator_ses_simulator
from localcloud.emulator.patches import ses_sent_email as emulator_ses_sent_email
from localcloud.emulator.patches import shard_iterators as emulator_shard_iterators
from localcloud.emulator.patches import signing_keys as emulator_signing_keys
from localcloud.emulator.patches import sqs_age as metrics_sqs_age
from localcloud.emulator.patches import stream_records as emulator_stream_records
from localcloud.emulator.patches import subscriptions as emulator_subscriptions
from localcloud.emulator.patches import time_to_live as emulator_time_to_live
from localcloud.emulator.patches import topic_history as emulator_topic_history
from localcloud.emulator.patches import transactions as emulator_transactions
from localcloud.emulator.patches import waits as emulator_waits
from localcloud.emulator.quiet_turns import QuietTurns
from localcloud.emulator.saved_state import SavedStateError, load, periodic_saves, save

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SERIALISED_TARGETS = ("DynamoDB_", "DynamoDBStreams_")
ORPHAN_CHECK_S = 1.0
SERVER_THREADS = 128
"""Enough for every idle poller's wait held open at once, beside the calls being served."""
PRELOADED_BACKENDS = (
    "dynamodb",
    "dynamodbstreams",
    "sqs",
    "sns",
    "cognito-idp",
    "cloudwatch",
    "logs",
    "ses",
    "sesv2",
)
"""Services a SAM app uses; moto otherwise loads each on its first request (~0.1 s each)."""


class DynamoDbRequestsOneAtATime:
    def __init__(self, app: WsgiApp, lock: threading.Lock) -> None:
        self._app = app
        self._lock = lock

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(SERIALISED_TARGETS):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))


def main(argv: list[str]) -> None:
    host, port = argv[0], int(argv[1])
    state_dir = Path(argv[2]) if len(argv) > 2 else None
    access = EmulatorAccess.handed_down()
    if access is None:
        sys.exit("The emulator serves only the local cloud that starts it: no access handed down.")
    os.environ.setdefault("MOTO_PORT", str(port))
    _stop_when_orphaned()
    emulator_model_instances.install()
    emulator_transactions.install()
    _list_moto_modules_once()
    emulator_queries.install()
    emulator_queues.install()
    emulator_queue_attributes.install()
    emulator_notifications.install()
    emulator_subscriptions.install()
    emulator_topic_history.install()
    emulator_stream_records.install()
    emulator_shard_iterators.install()
    emulator_responses.install()
    emulator_service_models.install()
    metrics_sqs_age.install()
    emulator_metric_retention.install()
    emulator_metric_reads.install()
    emulator_log_retention.install()
    emulator_cognito_sign_up.install()
    emulator_signing_keys.install()
    emulator_ses_sent_email.install()
    emulator_ses_simulator.install()
    emulator_waits.install()
    if state_dir is not None:
        _load_or_exit(state_dir)
    app = DomainDispatcherApplication(create_backend_app)
    threading.Thread(target=_preload, args=(app,), daemon=True).start()
    dynamodb_lock = threading.Lock()
    saves = _start_saving(state_dir, dynamodb_lock) if state_dir is not None else None
    emulator_time_to_live.expired_item_sweeps(dynamodb_lock).start()
    emulator_stream_records.trims(dynamodb_lock).start()
    try:
        _serve(app, access, dynamodb_lock, host, port)
    finally:
        if state_dir is not None and saves is not None:
            saves.stop()
            with dynamodb_lock:
                save(state_dir)


def _serve(
    app: DomainDispatcherApplication,
    access: EmulatorAccess,
    dynamodb_lock: threading.Lock,
    host: str,
    port: int,
) -> None:
    # waitress keeps connections open between requests (werkzeug's server, which moto
    # uses, closes each one: a TCP connection and a thread per AWS call), and runs
    # requests on a pool of threads big enough for every poller's long poll at once.
    waitress.serve(
        OnlyTheLocalCloud(
            emulator_waits.ServeWaits(
                ServiceFronts(
                    DynamoDbRequestsOneAtATime(
                        emulator_cognito_sign_up.ServeSentMessages(
                            emulator_ses_sent_email.ServeSentEmail(
                                emulator_ses_simulator.ServeSesFaults(app)
                            )
                        ),
                        dynamodb_lock,
                    )
                )
            ),
            access,
        ),
        host=host,
        port=port,
        threads=SERVER_THREADS,
        connection_limit=2000,
        asyncore_use_poll=True,  # no limit on the number of open sockets
        channel_timeout=300,
        _quiet=True,
    )


def _load_or_exit(state_dir: Path) -> None:
    try:
        load(state_dir)
    except SavedStateError as error:
        sys.exit(str(error))


def _start_saving(state_dir: Path, dynamodb_lock: threading.Lock) -> QuietTurns:
    """Saves every half minute (between two DynamoDB requests, never inside one), and once
    more when SIGTERM stops the server."""

    def stop(*_: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    saves = periodic_saves(state_dir, dynamodb_lock)
    saves.start()
    return saves


def _stop_when_orphaned() -> None:
    """The local cloud that started the emulator stops it; if that process dies instead
    (killed, or stopped mid-start), the emulator stops too, as SIGTERM stops it (saving
    its state when it keeps one), rather than holding its port for ever."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK_S)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def _list_moto_modules_once() -> None:
    """moto routes every request by listing its own package's folders from disk (~12%
    of the server's CPU under load); they do not change while the server runs."""
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def _preload(app: DomainDispatcherApplication) -> None:
    for backend in PRELOADED_BACKENDS:
        with app.lock:
            if backend not in app.app_instances:
                app.app_instances[backend] = app.create_app(cast(Any, backend))
    emulator_service_models.load(PRELOADED_BACKENDS)


if __name__ == "__main__":
    main(sys.argv[1:])
