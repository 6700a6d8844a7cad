"""Cold start of each pets handler against the floor of any DynamoDB function.

For every pets handler module, a fresh interpreter with the sys.path Lambda gives the
function (functions/ + layers/shared/python + site-packages) times (1) importing the
module and (2) its first invocation with a realistic REST API (v1) event. In the same
run, fresh interpreters also time the floor, `import boto3; boto3.client("dynamodb")`.
The figure compared is (import + first call) / floor, printed for reference: it is no
longer a target, since the local cloud restores workers from a snapshot taken after the
import (as Lambda SnapStart does on AWS), and bench_local_build.py measures that.

Beside wall time, each interpreter reports its CPU time: on a machine other work keeps
busy, the CPU ratio moves far less than the wall one. A reference row, the floor plus
`from pydantic import BaseModel`, shows the least any handler whose models are pydantic
models can cost.

The first call really talks to DynamoDB: this script starts moto's server on a free
127.0.0.1 port and hands its address to the children in AWS_ENDPOINT_URL, as the local
cloud does. Each call therefore includes one HTTP round trip to the emulator (a few
milliseconds), which the floor does not make. Every interpreter is started once before
measuring so that all of them find the bytecode already compiled, and the samples of
the handlers and the floor alternate so that they see the same machine load.

Run: .venv/bin/python tests/benchmarks/bench_pets_cold_import.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from localcloud.emulator.process import LOCAL_CREDENTIALS, free_port, start_emulator

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTION_PATH = [REPO_ROOT / "functions" / "pets", REPO_ROOT / "layers" / "shared"]
TABLE_NAME = "pets-cold-start-bench"
FLOOR = "floor"
PYDANTIC_FLOOR = "(floor + pydantic's BaseModel)"
ADMIN_CLAIMS = {"sub": "bench-admin", "cognito:username": "admin", "cognito:groups": "admin"}

FLOOR_PROGRAM = """
import json, time
started, started_cpu = time.perf_counter(), time.process_time()
import boto3
boto3.client("dynamodb")
{more}
print(json.dumps({{
    "import": time.perf_counter() - started, "first_call": 0.0,
    "cpu": time.process_time() - started_cpu, "status": 0,
}}))
"""
REFERENCE_PROGRAMS = {
    FLOOR: FLOOR_PROGRAM.format(more=""),
    PYDANTIC_FLOOR: FLOOR_PROGRAM.format(more="from pydantic import BaseModel"),
}

HANDLER_PROGRAM = """
import importlib, json, sys, time
module_name, event = sys.argv[1], json.loads(sys.argv[2])

class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench-request"
    def get_remaining_time_in_millis(self):
        return 10_000

started, started_cpu = time.perf_counter(), time.process_time()
module = importlib.import_module(module_name)
imported = time.perf_counter()
result = module.lambda_handler(event, Context())
called = time.perf_counter()
print(json.dumps({
    "import": imported - started, "first_call": called - imported,
    "cpu": time.process_time() - started_cpu, "status": result["statusCode"],
}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="samples per module (median kept)")
    arguments = parser.parse_args()
    emulator = start_emulator(port=free_port())
    try:
        environment = _function_environment(emulator.endpoint_url)
        os.environ.update(environment)
        sys.path[:0] = [str(path) for path in FUNCTION_PATH]
        _create_pets_table()
        report = _measure(environment, arguments.runs)
    finally:
        emulator.stop()
    _print_report(report)
    return 0


def _function_environment(endpoint_url: str) -> dict[str, str]:
    return {
        **LOCAL_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "PETS_TABLE_NAME": TABLE_NAME,
        "POWERTOOLS_SERVICE_NAME": "pets",
        "POWERTOOLS_METRICS_NAMESPACE": "PetStore",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def _create_pets_table() -> None:
    """The table as template.yaml's PetsTable declares it (intrinsic functions ignored)."""
    import boto3

    class TemplateLoader(yaml.SafeLoader):
        pass

    TemplateLoader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((REPO_ROOT / "template.yaml").read_text(), Loader=TemplateLoader)
    properties = template["Resources"]["PetsTable"]["Properties"]
    boto3.client("dynamodb").create_table(
        TableName=TABLE_NAME,
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
        GlobalSecondaryIndexes=properties["GlobalSecondaryIndexes"],
        BillingMode=properties["BillingMode"],
    )


def _rest_event(
    method: str, path: str, resource: str, body: Any = None, admin: bool = False
) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {
            "authorizer": {"claims": ADMIN_CLAIMS} if admin else None,
            "identity": {"userArn": "arn:aws:iam::123456789012:user/bench"},
            "requestId": str(uuid.uuid4()),
            "resourcePath": resource,
            "httpMethod": method,
            "stage": "bench",
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def _pet_details() -> dict[str, Any]:
    return {"name": "Rex", "species": "dog", "price": {"amount": "99.00", "currency": "EUR"}}


def _new_pet_id() -> str:
    from pets.logic.create_pet import create_pet
    from pets.models import PetDetails

    return create_pet(PetDetails.model_validate({**_pet_details(), "stock": 1000})).id


def _event_builders() -> dict[str, Callable[[], dict[str, Any]]]:
    """A fresh event for one more first call of each handler (a new pet where the call
    changes or deletes it, so every sample takes its success path)."""
    listed_pet = _new_pet_id()
    return {
        "pets.handlers.handle_list_pets": lambda: _rest_event("GET", "/pets", "/pets"),
        "pets.handlers.handle_get_pet": lambda: _rest_event(
            "GET", f"/pets/{listed_pet}", "/pets/{petId}"
        ),
        "pets.handlers.handle_create_pet": lambda: _rest_event(
            "POST", "/pets", "/pets", {**_pet_details(), "stock": 3}, admin=True
        ),
        "pets.handlers.handle_update_pet": lambda: _rest_event(
            "PUT",
            f"/pets/{_new_pet_id()}",
            "/pets/{petId}",
            {**_pet_details(), "stock": 5, "version": 1},
            admin=True,
        ),
        "pets.handlers.handle_delete_pet": lambda: _rest_event(
            "DELETE", f"/pets/{_new_pet_id()}", "/pets/{petId}", admin=True
        ),
        "pets.handlers.handle_decrement_inventory": lambda: _rest_event(
            "POST",
            f"/pets/{listed_pet}/decrementInventory",
            "/pets/{petId}/decrementInventory",
            {"orderId": str(uuid.uuid4()), "quantity": 1},
        ),
    }


def _run_child(arguments: list[str], environment: dict[str, str]) -> dict[str, float]:
    child_environment = {
        **environment,
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join(str(path) for path in FUNCTION_PATH),
    }
    completed = subprocess.run(
        [sys.executable, *arguments],
        env=child_environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    sample: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return sample


def _child_arguments(name: str, builders: dict[str, Callable[[], dict[str, Any]]]) -> list[str]:
    if name in REFERENCE_PROGRAMS:
        return ["-c", REFERENCE_PROGRAMS[name]]
    return ["-c", HANDLER_PROGRAM, name, json.dumps(builders[name]())]


def _measure(environment: dict[str, str], runs: int) -> dict[str, list[dict[str, float]]]:
    builders = _event_builders()
    names = [*REFERENCE_PROGRAMS, *builders]
    for name in names:
        _run_child(_child_arguments(name, builders), environment)
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for _ in range(runs):
        for name in names:
            sample = _run_child(_child_arguments(name, builders), environment)
            if name not in REFERENCE_PROGRAMS and not 200 <= sample["status"] < 300:
                raise RuntimeError(f"{name} answered {sample['status']} instead of success")
            samples[name].append(sample)
    return samples


def _print_report(samples: dict[str, list[dict[str, float]]]) -> None:
    floor = statistics.median(sample["import"] for sample in samples[FLOOR])
    floor_cpu = statistics.median(sample["cpu"] for sample in samples[FLOOR])
    print(
        f'floor: import boto3; boto3.client("dynamodb")  median {floor * 1000:7.1f} ms, '
        f"CPU {floor_cpu * 1000:.1f} ms"
    )
    print(f"{'handler':40} {'import':>9} {'1st call':>9} {'total':>9} {'ratio':>6} {'CPU':>5}")
    for name, runs in samples.items():
        if name == FLOOR:
            continue
        imported = statistics.median(sample["import"] for sample in runs)
        first_call = statistics.median(sample["first_call"] for sample in runs)
        total = statistics.median(sample["import"] + sample["first_call"] for sample in runs)
        cpu_ratio = statistics.median(sample["cpu"] for sample in runs) / floor_cpu
        print(
            f"{name:40} {imported * 1000:7.1f}ms {first_call * 1000:7.1f}ms "
            f"{total * 1000:7.1f}ms {total / floor:6.2f} {cpu_ratio:5.2f}"
        )
    print(
        f"(medians of {len(samples[FLOOR])} fresh interpreters each; ratios for reference, "
        "no longer a target; CPU = the same ratio in CPU time)"
    )


if __name__ == "__main__":
    sys.exit(main())
