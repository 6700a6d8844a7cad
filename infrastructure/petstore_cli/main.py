"""`petstore`: start the local cloud, get demo tokens, sign a shopper up and in, invoke one
function."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localcloud.console import (
    CLOUD_ERRORS,
    add_cloud_arguments,
    add_debug_arguments,
    add_verbose_argument,
    aws_exports,
    env_vars_of,
    function_debug,
    serve,
    state_folder,
)
from localcloud.emulator.access import EmulatorAccess, this_run
from localcloud.emulator.cognito import NoSentMessagesError
from localcloud.emulator.process import Emulator, free_port, launch_emulator
from localcloud.emulator.state_folder import has_saved_state
from localcloud.event_sources.kafka.broker import check_external_broker
from localcloud.event_sources.rabbitmq.broker import (
    check_external_broker as check_external_rabbitmq,
)
from petstore_cli import running_cloud
from petstore_cli.api_request_event import NoSuchRouteError
from petstore_cli.dashboard import dashboard_pages
from petstore_cli.demo_users import DEMO_USERS, UnknownUserError, id_token, user_id_in
from petstore_cli.dlq import DeadLetterError
from petstore_cli.function_logs import LogsError
from petstore_cli.local_pages import api_document_pages
from petstore_cli.mailbox import LOCAL_SENDER, mailbox_page, read_mailbox
from petstore_cli.seed import SeedError, seed_demo_data
from petstore_cli.shoppers import CognitoRefusal, NoCodeSentError

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud
    from petstore_cli.dlq import DeadLetters

STARTED = time.monotonic()
STACK_NAME = "petstore"
TEMPLATES = {
    "sns": Path("template.yaml"),
    "kafka": Path("infrastructure/kafka/template.yaml"),
    "rabbitmq": Path("infrastructure/rabbitmq/template.yaml"),
}
"""The template of each event transport, when `--template` does not name one."""
SNAPSHOTS_FIRST = (
    "ListPetsFunction",
    "PlaceOrderFunction",
    "GetOrderFunction",
    "OrdersOutboxPublisherFunction",
    "InventoryOrderEventsFunction",
    "OrderInventoryEventsFunction",
    "PaymentOrderEventsFunction",
    "PaymentsOutboxPublisherFunction",
    "OrderPaymentEventsFunction",
)
"""A first order's way to CONFIRMED, in the order its steps come: `up` takes these
functions' snapshots before the others' (the e-mails, SES's feedback, the other routes),
after the demo data's."""
SEED_SNAPSHOTS_FIRST = (
    "CreatePetFunction",
    "InventoryOutboxPublisherFunction",
    "OrderPetEventsFunction",
    "GetPetOfferFunction",
)
"""The demo data's way, which `up` waits for before it is ready: a pet added, its event
published, the orders service's offer made, and the offer read."""


def main(argv: list[str] | None = None, early_emulator: Emulator | None = None) -> int:
    """`early_emulator`: one `petstore_cli.__main__` launched for `up` before importing this."""
    args = _parser().parse_args(argv)
    args.early_emulator = early_emulator
    try:
        return int(args.run(args))
    except (
        *CLOUD_ERRORS,
        SeedError,
        UnknownUserError,
        running_cloud.NotRunningError,
        running_cloud.AlreadyRunningError,
        DeadLetterError,
        CognitoRefusal,
        NoCodeSentError,
        NoSentMessagesError,
        InvokeError,
        NoSuchRouteError,
        LogsError,
    ) as error:
        print(f"petstore: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="petstore", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="start the whole system locally with demo data")
    up.add_argument(
        "--transport",
        choices=sorted(TEMPLATES),
        default="sns",
        help="sns (template.yaml, the default), kafka (infrastructure/kafka/template.yaml) or "
        "rabbitmq (infrastructure/rabbitmq/template.yaml)",
    )
    up.add_argument("--no-seed", action="store_true", help="start without demo data")
    up.add_argument(
        "--stack-name", default=STACK_NAME, help=f"the stack's name (default {STACK_NAME})"
    )
    add_cloud_arguments(up)
    up.set_defaults(run=command_up)

    token = commands.add_parser(
        "token",
        help="print an IdToken for a demo user (and their user id on standard error)",
    )
    token.add_argument("user", help=", ".join(user.username for user in DEMO_USERS))
    token.add_argument(
        "--user-id",
        action="store_true",
        help="print the user's id (the token's sub, as /orders/user/{userId} takes it) instead",
    )
    token.set_defaults(run=command_token)
    environment = commands.add_parser(
        "env",
        help="print the running local cloud's AWS settings as shell exports (eval them)",
    )
    environment.set_defaults(run=command_env)
    _add_shopper_commands(commands)

    invoke = commands.add_parser(
        "invoke",
        help="invoke one function once, like sam local invoke",
        description="Invoke one function once with an event file, or with the API request "
        "--path (and --body, --as) its route would be sent, built as the local API Gateway "
        "builds it.",
    )
    invoke.add_argument("function", help="the function's logical id in template.yaml")
    event = invoke.add_mutually_exclusive_group(required=True)
    event.add_argument("--event", type=Path, help="JSON event file ('-': stdin)")
    event.add_argument("--path", help="an API request's path and query, e.g. /orders/user/me")
    invoke.add_argument(
        "--method", help="the request's method (default: POST with --body, else GET)"
    )
    invoke.add_argument("--body", help="the request's JSON body")
    invoke.add_argument(
        "--as",
        dest="user",
        help="the demo user whose ID token signs the request (the running local cloud's)",
    )
    invoke.add_argument("--template", type=Path, default=Path("template.yaml"))
    add_verbose_argument(invoke)
    add_debug_arguments(invoke, named=False)
    invoke.set_defaults(run=command_invoke)

    demo = commands.add_parser(
        "demo", help="run one order down each path of the saga on the running local cloud"
    )
    demo.add_argument(
        "--transport",
        choices=sorted(TEMPLATES),
        help="the event transport the running local cloud must use (default: whichever it uses)",
    )
    demo.set_defaults(run=command_demo)
    _add_dlq_commands(commands)
    _add_logs_command(commands)
    _add_mailbox_command(commands)

    dashboard = commands.add_parser(
        "dashboard", help="render the template's CloudWatch dashboard from the local metrics"
    )
    dashboard.add_argument("--out", type=Path, required=True, help="the PNG file to write")
    dashboard.add_argument("--minutes", type=int, default=15, help="time range (default 15)")
    dashboard.add_argument("--period", type=int, default=60, help="seconds per datapoint")
    dashboard.set_defaults(run=command_dashboard)
    return parser


def _add_shopper_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    password_help = "the password (asked for when not given)"
    signup = commands.add_parser("signup", help="sign a new shopper up with an e-mail address")
    signup.add_argument("email")
    signup.add_argument("--password", help=password_help)
    signup.set_defaults(run=command_signup)
    code = commands.add_parser(
        "signup-code", help="print the confirmation code Cognito e-mailed to a new shopper"
    )
    code.add_argument("email")
    code.set_defaults(run=command_signup_code)
    resend = commands.add_parser("resend-code", help="have Cognito send a new confirmation code")
    resend.add_argument("email")
    resend.set_defaults(run=command_resend_code)
    confirm = commands.add_parser("confirm-signup", help="confirm a sign-up with its code")
    confirm.add_argument("email")
    confirm.add_argument("code")
    confirm.set_defaults(run=command_confirm_signup)
    signin = commands.add_parser(
        "signin", help="sign a shopper in (USER_PASSWORD_AUTH) and print the IdToken"
    )
    signin.add_argument("email")
    signin.add_argument("--password", help=password_help)
    signin.set_defaults(run=command_signin)


def _add_mailbox_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mailbox = commands.add_parser(
        "mailbox", help="the e-mail the local cloud sent a shopper (demo user name or address)"
    )
    mailbox.add_argument("user")
    mailbox.set_defaults(run=command_mailbox)


def command_mailbox(args: argparse.Namespace) -> int:
    from petstore_cli.mailbox import address_of, printed, read_mailbox

    cloud = running_cloud.load()
    messages = read_mailbox(
        cloud.endpoint_url, cloud.emulator_access(), cloud.outputs["UserPoolId"], args.user
    )
    if not messages:
        print(f"No e-mail for {address_of(args.user)}.")
    for message in messages:
        print(printed(message))
    return 0


def _add_dlq_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = commands.add_parser("dlq", help="dead-letter queues: list, show, redrive")
    dlq.add_argument(
        "--transport",
        choices=sorted(TEMPLATES),
        help="the event transport (default: the running local cloud's)",
    )
    actions = dlq.add_subparsers(required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every dead-letter queue with its depth")
    listing.set_defaults(run=command_dlq_list)
    show = actions.add_parser("show", help="a dead-letter queue's messages with their error")
    show.add_argument("queue", help="the queue's name, or a part of it only it has")
    show.set_defaults(run=command_dlq_show)
    redrive = actions.add_parser("redrive", help="move the messages back to their source queue")
    redrive.add_argument("queue", help="the queue's name, or a part of it only it has")
    redrive.add_argument("--message-id", help="move this message only")
    redrive.set_defaults(run=command_dlq_redrive)


def _add_logs_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    logs = commands.add_parser(
        "logs",
        help="the functions' lines from the local CloudWatch Logs, like sam logs",
        description="Print the lines the functions wrote to their log groups in the running "
        "local cloud's CloudWatch Logs, oldest first.",
    )
    logs.add_argument(
        "functions", nargs="*", metavar="FUNCTION", help="logical ids (default: every function)"
    )
    logs.add_argument("--follow", "--tail", action="store_true", help="then print new lines")
    logs.add_argument("--filter", metavar="TEXT", help="only the lines that hold TEXT")
    logs.add_argument("--since", default="10m", help="how far back: 30s, 5m, 2h, 1d (default 10m)")
    logs.set_defaults(run=command_logs)


def command_up(args: argparse.Namespace) -> int:
    running_cloud.refuse_if_running()
    env_vars = env_vars_of(args)
    print("Starting the local cloud (AWS emulator, template resources, API, pollers)…")
    if args.transport == "kafka":
        check_external_broker()
    if args.transport == "rabbitmq":
        check_external_rabbitmq()
    state = state_folder(args)
    restored = state is not None and has_saved_state(state)
    # The emulator boots in its own process while this one imports the local cloud.
    emulator = args.early_emulator or launch_emulator(port=args.emulator_port, state_dir=state)
    from localcloud.cloud import LocalCloud, LocalCloudConfig

    cloud = LocalCloud(
        LocalCloudConfig(
            template=TEMPLATES[args.transport],
            stack_name=args.stack_name,
            api_port=args.port,
            emulator_port=args.emulator_port,
            kafka_port=args.kafka_port,
            rabbitmq_port=args.rabbitmq_port,
            local_pages=api_document_pages(),
            parameter_overrides={"SenderEmail": LOCAL_SENDER, **dict(args.parameter_overrides)},
            env_vars=env_vars,
            hot_reload=not args.no_hot_reload,
            preloads=not args.no_preload,
            verbose=args.verbose,
            debug=function_debug(args.debug, args.debug_port),
        )
    )
    cloud.config.local_pages.update(
        dashboard_pages(
            lambda: _local_client("cloudwatch", cloud.endpoint_url, cloud.config.region)
        )
    )
    cloud.config.local_pages["/_mailbox"] = mailbox_page(
        lambda: read_mailbox(cloud.endpoint_url, this_run(), _user_pool_of(cloud))
    )
    seeding = not restored and not args.no_seed
    cloud.when_provisioned(lambda provisioned: _take_snapshots(provisioned, seeding))
    try:
        return serve(cloud, emulator, lambda started: _pet_store_ready(started, seeding, restored))
    finally:
        running_cloud.forget()


def _user_pool_of(cloud: LocalCloud) -> str:
    assert cloud.stack is not None, "the stack is up before the API serves pages"
    return cloud.stack.outputs["UserPoolId"]


def _take_snapshots(cloud: LocalCloud, seeding: bool) -> None:
    """Begun once the stack is provisioned, beside the start of the API and the pollers;
    then while seeding, which mostly waits on events: the first order after ready then
    finds more snapshots taken (1.3-1.8 s to CONFIRMED, against 1.8-2.1 s when they were
    started after ready; ready itself unchanged)."""
    cloud.take_snapshots(first=SNAPSHOTS_FIRST)
    if seeding:
        # Beside them, the functions the seeding's events reach, which ready waits on
        # (medians of 6 alternating starts: ready 4.06 s and a first order 1.53 s,
        # against 4.30 s and 1.96 s with these first in the one taker, and 4.54 s and
        # 1.12 s with them last); then this taker takes the first order's way from its
        # end, meeting the other on the way (6 alternating starts: first order 1.19 s
        # against 1.51 s, ready 3.57 against 3.69 s).
        cloud.take_snapshots(first=[*SEED_SNAPSHOTS_FIRST, *reversed(SNAPSHOTS_FIRST)], only=True)


def _pet_store_ready(cloud: LocalCloud, seeding: bool, restored: bool) -> None:
    """`restored`: the emulator started from a saved state, which has the demo data."""
    stack = cloud.stack
    assert stack is not None
    if restored:
        print("Kept the saved pets, orders and users (alice, bob and admin keep their ids).")
    elif seeding:
        from localcloud.emulator.clients import EmulatorClients

        # The client provisioning made: no second load of the service's model.
        cognito = EmulatorClients.for_emulator(cloud.endpoint_url, stack.region).client(
            "cognito-idp"
        )
        pets = seed_demo_data(
            cloud.api_url, cognito, stack.outputs["UserPoolId"], stack.outputs["UserPoolClientId"]
        )
        print(f"Seeded {pets} demo pets and the users alice, bob (shoppers) and admin.")
    running_cloud.save(
        running_cloud.RunningCloud(
            pid=os.getpid(),
            api_url=cloud.api_url,
            endpoint_url=cloud.endpoint_url,
            region=stack.region,
            outputs=stack.outputs,
            access=asdict(this_run()),
            stack_name=stack.name,
            log_groups={key: spec.log_group_name for key, spec in stack.functions.items()},
            **{**_kafka_state(cloud), **_rabbitmq_state(cloud)},
        )
    )
    _print_urls(cloud, stack.outputs)
    seconds = time.monotonic() - STARTED
    print(f"Pet store ready in {seconds:.1f} s — press Ctrl-C to stop.", flush=True)


def _kafka_state(cloud: LocalCloud) -> dict[str, Any]:
    """What the other commands need of a cloud whose events travel over Kafka."""
    from localcloud.event_sources.kafka.provisioning import kafka_stack_of
    from localcloud.event_sources.kafka.runtime import LocalKafka

    kafka = cloud.runtime_of(LocalKafka)
    broker = kafka.broker if kafka is not None else None
    if broker is None or cloud.stack is None:
        return {"transport": "sns"}
    dead_letter_topics: dict[str, list[str]] = {}
    for mapping in kafka_stack_of(cloud.stack).mappings:
        if mapping.on_failure_topic:
            source = f"{mapping.topic} ({mapping.function})"
            dead_letter_topics.setdefault(mapping.on_failure_topic, []).append(source)
    return {
        "transport": "kafka",
        "kafka_bootstrap_servers": broker.bootstrap_servers,
        "kafka_dead_letter_topics": dead_letter_topics,
    }


def _rabbitmq_state(cloud: LocalCloud) -> dict[str, Any]:
    """What the other commands need of a cloud whose events travel over RabbitMQ."""
    from localcloud.event_sources.rabbitmq.provisioning import rabbitmq_stack_of
    from localcloud.event_sources.rabbitmq.runtime import LocalRabbitMQ

    rabbitmq = cloud.runtime_of(LocalRabbitMQ)
    if rabbitmq is None or rabbitmq.broker is None:
        return {}
    dead_letter_queues: dict[str, list[str]] = {}
    for vhost in rabbitmq_stack_of(cloud.stack).virtual_hosts() if cloud.stack else []:
        dead_letter_queues.update(rabbitmq.broker.dead_letter_queues(vhost))
    return {
        "transport": "rabbitmq",
        "rabbitmq_url": rabbitmq.broker.url,
        "rabbitmq_dead_letter_queues": dead_letter_queues,
    }


def _print_urls(cloud: LocalCloud, outputs: dict[str, str]) -> None:
    print(f"  API           {cloud.api_url}   (docs: {cloud.api_url}/docs)")
    print(f"  Dashboard     {cloud.api_url}/_dashboard   (alarms, metrics: petstore dashboard)")
    print(f"  Mailbox       {cloud.api_url}/_mailbox   (e-mail sent: petstore mailbox alice)")
    print(f"  AWS emulator  {cloud.endpoint_url}   (signed with this run's credentials only:)")
    print(f"    {aws_exports(cloud.endpoint_url, cloud.config.region, this_run())}")
    print('    or in any shell: eval "$(petstore env)"')
    print(f"  User pool     {outputs.get('UserPoolId', '?')}")
    for name, address in cloud.endpoints().items():
        print(f"  {name:<13} {address}   (events over {name.split()[0]})")
    print(f"  Try:          curl {cloud.api_url}/pets")


def command_env(_args: argparse.Namespace) -> int:
    cloud = running_cloud.load()
    print(aws_exports(cloud.endpoint_url, cloud.region, cloud.emulator_access()))
    return 0


def command_token(args: argparse.Namespace) -> int:
    cloud = running_cloud.load()
    cognito = _cognito(cloud.endpoint_url, cloud.region, cloud.emulator_access())
    token = id_token(cognito, cloud.outputs["UserPoolClientId"], args.user)
    if args.user_id:
        print(user_id_in(token))
        return 0
    # Standard output stays the token alone, for `Authorization: Bearer $(petstore token alice)`.
    print(token)
    print(
        f"{args.user}'s user id: {user_id_in(token)} (or 'me' in /user/{{userId}} paths)",
        file=sys.stderr,
    )
    return 0


def command_signup(args: argparse.Namespace) -> int:
    from petstore_cli.shoppers import sign_up

    cloud = running_cloud.load()
    cognito = _cognito(cloud.endpoint_url, cloud.region, cloud.emulator_access())
    password = args.password or getpass.getpass(f"Password for {args.email}: ")
    delivery = sign_up(cognito, cloud.outputs["UserPoolClientId"], args.email, password)
    sent_to = delivery.get("Destination", args.email)
    print(f"Signed up {args.email}: a confirmation code went to {sent_to}.")
    print(f"  petstore signup-code {args.email}   (the code, as the e-mail holds it)")
    print(f"  petstore confirm-signup {args.email} CODE")
    return 0


def command_signup_code(args: argparse.Namespace) -> int:
    from petstore_cli.shoppers import confirmation_code

    cloud = running_cloud.load()
    print(
        confirmation_code(
            cloud.endpoint_url, cloud.outputs["UserPoolId"], args.email, cloud.emulator_access()
        )
    )
    return 0


def command_resend_code(args: argparse.Namespace) -> int:
    from petstore_cli.shoppers import resend_code

    cloud = running_cloud.load()
    cognito = _cognito(cloud.endpoint_url, cloud.region, cloud.emulator_access())
    delivery = resend_code(cognito, cloud.outputs["UserPoolClientId"], args.email)
    print(f"A new confirmation code went to {delivery.get('Destination', args.email)}.")
    return 0


def command_confirm_signup(args: argparse.Namespace) -> int:
    from petstore_cli.shoppers import confirm_sign_up

    cloud = running_cloud.load()
    cognito = _cognito(cloud.endpoint_url, cloud.region, cloud.emulator_access())
    confirm_sign_up(cognito, cloud.outputs["UserPoolClientId"], args.email, args.code)
    print(f"Confirmed {args.email}: sign in with petstore signin {args.email}")
    return 0


def command_signin(args: argparse.Namespace) -> int:
    from petstore_cli.shoppers import sign_in

    cloud = running_cloud.load()
    cognito = _cognito(cloud.endpoint_url, cloud.region, cloud.emulator_access())
    password = args.password or getpass.getpass(f"Password for {args.email}: ")
    tokens = sign_in(cognito, cloud.outputs["UserPoolClientId"], args.email, password)
    print(tokens["IdToken"])
    return 0


def command_invoke(args: argparse.Namespace) -> int:
    from localcloud.cloud import LocalCloud, LocalCloudConfig

    if args.path is None and (args.body, args.method, args.user) != (None, None, None):
        raise InvokeError("--body, --method and --as build an API request: give its --path too.")
    # Into the running local cloud's emulator (and Kafka broker) if there is one;
    # otherwise into an emulator (and broker) of its own, on free ports, for this one call.
    running = None
    with contextlib.suppress(running_cloud.NotRunningError):
        running = running_cloud.load()
        os.environ["AWS_ENDPOINT_URL"] = running.endpoint_url
        os.environ.update(running.emulator_access().environment())
        if running.kafka_bootstrap_servers:
            os.environ["KAFKA_BOOTSTRAP_SERVERS"] = running.kafka_bootstrap_servers
        if running.rabbitmq_url:
            os.environ["RABBITMQ_URL"] = running.rabbitmq_url
    token = None
    if args.user is not None:
        if running is None:
            raise running_cloud.NotRunningError()
        cognito = _cognito(running.endpoint_url, running.region, running.emulator_access())
        token = id_token(cognito, running.outputs["UserPoolClientId"], args.user)
    cloud = LocalCloud(
        LocalCloudConfig(
            template=args.template,
            stack_name=running.stack_name if running else STACK_NAME,
            emulator_port=free_port(),
            kafka_port=free_port(),
            rabbitmq_port=free_port(),
            log_stream=sys.stderr,  # standard output carries only the function's result
            verbose=args.verbose,
            debug=function_debug(args.function if args.debug else None, args.debug_port),
        )
    )
    try:
        cloud.start_functions_only()
        result = cloud.invoke(args.function, _invocation_event(cloud, args, token))
    finally:
        cloud.stop()
    if result.ok:
        print(json.dumps(result.payload, indent=2))
        return 0
    print(json.dumps({"errorType": result.error_type, "errorMessage": result.error_message}))
    return 1


class InvokeError(Exception):
    pass


def _invocation_event(cloud: LocalCloud, args: argparse.Namespace, token: str | None) -> Any:
    from petstore_cli.api_request_event import api_request, api_request_event

    stack = cloud.stack
    assert stack is not None
    if args.function not in stack.functions:
        names = "\n  ".join(sorted(stack.functions))
        raise InvokeError(f"{args.template} has no function {args.function!r}; it has:\n  {names}")
    if args.event is not None:
        return json.loads(sys.stdin.read() if str(args.event) == "-" else args.event.read_text())
    if not args.path.startswith("/"):
        raise InvokeError(f"--path {args.path!r}: a path starts with '/'.")
    method = args.method or ("POST" if args.body is not None else "GET")
    request = api_request(method, args.path, args.body, token)
    return api_request_event(stack, cloud.endpoint_url, args.function, request, token)


def command_demo(args: argparse.Namespace) -> int:
    from petstore_cli.demo import DemoError, run_demo

    cloud = running_cloud.load()
    if args.transport not in (None, cloud.transport):
        print(
            f"petstore demo: the running local cloud carries its events over {cloud.transport}; "
            f"start it with `petstore up --transport {args.transport}` for {args.transport}.",
            file=sys.stderr,
        )
        return 1
    cognito = _cognito(cloud.endpoint_url, cloud.region, cloud.emulator_access())
    client_id = cloud.outputs["UserPoolClientId"]
    tokens = {user.username: id_token(cognito, client_id, user.username) for user in DEMO_USERS}
    try:
        return 0 if run_demo(cloud.api_url, tokens, cloud.transport) else 1
    except DemoError as error:
        print(f"petstore demo: {error}", file=sys.stderr)
        return 1


def _dead_letters(args: argparse.Namespace) -> DeadLetters:
    from petstore_cli.dlq import TRANSPORTS

    cloud = running_cloud.load()
    transport = args.transport or cloud.transport
    if transport != cloud.transport:
        raise DeadLetterError(
            f"The running local cloud carries its events over {cloud.transport}, not "
            f"{transport}: its dead letters are listed by `petstore dlq list` (or "
            f"--transport {cloud.transport})."
        )
    if transport not in TRANSPORTS:
        raise DeadLetterError(f"dead letters of the {transport} transport are not supported")
    return TRANSPORTS[transport](cloud.endpoint_url, cloud.region, cloud.emulator_access())


def command_dlq_list(args: argparse.Namespace) -> int:
    from petstore_cli.dlq import print_queues

    print_queues(_dead_letters(args).queues())
    return 0


def command_dlq_show(args: argparse.Namespace) -> int:
    from petstore_cli.dlq import print_messages

    print_messages(args.queue, _dead_letters(args).messages(args.queue))
    return 0


def command_dlq_redrive(args: argparse.Namespace) -> int:
    moved = _dead_letters(args).redrive(args.queue, args.message_id)
    print(f"Moved {len(moved)} message{'s' if len(moved) != 1 else ''} back to the source queue.")
    for message_id in moved:
        print(f"  {message_id}")
    return 0


def command_logs(args: argparse.Namespace) -> int:
    import threading

    from petstore_cli.function_logs import FunctionLogs, chosen_groups, show, since, start_of

    window = since(args.since)
    cloud = running_cloud.load()
    groups = chosen_groups(cloud.log_groups, args.functions)
    logs = _local_client("logs", cloud.endpoint_url, cloud.region, cloud.emulator_access())
    stop = threading.Event() if args.follow else None
    width = max(len(name) for name in groups)
    with contextlib.suppress(KeyboardInterrupt):
        show(FunctionLogs(logs, groups, args.filter), start_of(window), follow=stop, width=width)
    return 0


def command_dashboard(args: argparse.Namespace) -> int:
    from petstore_cli.dashboard import dashboard_view, only_dashboard, render_png

    cloud = running_cloud.load()
    cloudwatch = _local_client(
        "cloudwatch", cloud.endpoint_url, cloud.region, cloud.emulator_access()
    )
    view = dashboard_view(
        cloudwatch, only_dashboard(cloudwatch), minutes=args.minutes, period_s=args.period
    )
    with args.out.open("wb") as out:
        panels = render_png(view, out)
    print(f"Wrote {args.out}: {panels} panels of dashboard {view.name}")
    return 0


def _local_client(
    service: str, endpoint_url: str, region: str, access: EmulatorAccess | None = None
) -> Any:
    """A client of the local cloud's emulator, signing with its run's credentials (by
    default those of the run this process started)."""
    import boto3

    access = access or this_run()
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access.access_key_id,
        aws_secret_access_key=access.secret_access_key,
    )


def _cognito(endpoint_url: str, region: str, access: EmulatorAccess | None = None) -> object:
    return _local_client("cognito-idp", endpoint_url, region, access)


if __name__ == "__main__":
    sys.exit(main())
