"""moto's server, with DynamoDB's per-request atomicity restored.

moto's DynamoDB backend is not thread-safe: a transaction deep-copies the table
and restores the copy when a condition fails, so two concurrent requests can
undo each other's writes (measured: 50 concurrent conditional decrements of 1 on
stock 10 sold 12). DynamoDB applies every request atomically, so this server runs
DynamoDB and DynamoDB Streams requests one at a time; every other service's requests
run side by side (SQS long polls must not block each other).

Only the local cloud that started it may use it (`localcloud.emulator.gate`): the run's
access comes down in the environment (`EmulatorAccess.hand_down`).

Run as `python -m localcloud.emulator.server HOST PORT`.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any, cast

import waitress
from moto import backends
from moto.moto_server.threaded_moto_server import DomainDispatcherApplication, create_backend_app

from localcloud.emulator.access import EmulatorAccess
from localcloud.emulator.fronts import ServiceFronts
from localcloud.emulator.gate import OnlyTheLocalCloud
from localcloud.emulator.patches import cognito_sign_up as emulator_cognito_sign_up
from localcloud.emulator.patches import metric_retention as emulator_metric_retention
from localcloud.emulator.patches import notifications as emulator_notifications
from localcloud.emulator.patches import queries as emulator_queries
from localcloud.emulator.patches import queue_attributes as emulator_queue_attributes
from localcloud.emulator.patches import queues as emulator_queues
from localcloud.emulator.patches import responses as emulator_responses
from localcloud.emulator.patches import ses_mailbox_simulator as emulator_ses_simulator
from localcloud.emulator.patches import ses_sent_email as emulator_ses_sent_email
from localcloud.emulator.patches import shard_iterators as emulator_shard_iterators
from localcloud.emulator.patches import signing_keys as emulator_signing_keys
from localcloud.emulator.patches import sqs_age as metrics_sqs_age
from localcloud.emulator.patches import stream_records as emulator_stream_records
from localcloud.emulator.patches import subscriptions as emulator_subscriptions
from localcloud.emulator.patches import transactions as emulator_transactions

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SERIALISED_TARGETS = ("DynamoDB_", "DynamoDBStreams_")
SERVER_THREADS = 64
PRELOADED_BACKENDS = (
    "dynamodb",
    "dynamodbstreams",
    "sqs",
    "sns",
    "cognito-idp",
    "cloudwatch",
    "logs",
)
"""Services a SAM app uses; moto otherwise loads each on its first request (~0.1 s each)."""


class DynamoDbRequestsOneAtATime:
    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(SERIALISED_TARGETS):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))


def main(argv: list[str]) -> None:
    host, port = argv[0], int(argv[1])
    access = EmulatorAccess.handed_down()
    if access is None:
        sys.exit("The emulator serves only the local cloud that starts it: no access handed down.")
    os.environ.setdefault("MOTO_PORT", str(port))
    emulator_transactions.install()
    _list_moto_modules_once()
    emulator_queries.install()
    emulator_queues.install()
    emulator_queue_attributes.install()
    emulator_notifications.install()
    emulator_subscriptions.install()
    emulator_stream_records.install()
    emulator_shard_iterators.install()
    emulator_responses.install()
    metrics_sqs_age.install()
    emulator_metric_retention.install()
    emulator_cognito_sign_up.install()
    emulator_signing_keys.install()
    emulator_ses_sent_email.install()
    emulator_ses_simulator.install()
    app = DomainDispatcherApplication(create_backend_app)
    threading.Thread(target=_preload, args=(app,), daemon=True).start()
    # waitress keeps connections open between requests (werkzeug's server, which moto
    # uses, closes each one: a TCP connection and a thread per AWS call), and runs
    # requests on a pool of threads big enough for every poller's long poll at once.
    waitress.serve(
        OnlyTheLocalCloud(
            ServiceFronts(
                DynamoDbRequestsOneAtATime(
                    emulator_cognito_sign_up.ServeSentMessages(
                        emulator_ses_sent_email.ServeSentEmail(
                            emulator_ses_simulator.ServeSesFaults(app)
                        )
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


if __name__ == "__main__":
    main(sys.argv[1:])
