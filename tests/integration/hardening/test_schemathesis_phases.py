"""Schemathesis's own run over the whole API, as an engineer runs it by hand (the CLI, the
document `petstore up` serves, real credentials per route from
support.schemathesis_hooks): its coverage phase (every documented boundary and every
way to break each one, missing credentials and headers included) and its fuzzing phase,
with every check on except the two tests/integration/hardening/schemathesis.toml
explains, and a fixed seed so each run sends the same requests.

docs/openapi.json is the document `petstore up` serves at /openapi.json
(tests/integration/pets/test_api_document_served_locally.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.saga_http import Shop

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PROJECT_ROOT = Path(__file__).resolve().parents[3]
CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = "20261204"
FUZZED_EXAMPLES = "10"
"""Per operation in the fuzzing phase; the coverage phase sends what it derives."""


def bearer_token(shop_client: object) -> str:
    return str(shop_client._session.headers["Authorization"]).removeprefix("Bearer ")  # type: ignore[attr-defined]


def test_schemathesis_coverage_and_fuzzing_find_nothing(shop: Shop) -> None:
    environment = {
        **os.environ,
        "PETSTORE_ADMIN_TOKEN": bearer_token(shop.admin),
        "PETSTORE_SHOPPER_TOKEN": bearer_token(shop.alice),
        "AWS_REGION": shop.cloud.config.region,
        "SCHEMATHESIS_HOOKS": "support.schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "tests"), *sys.path]),
    }
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--no-color",
        "--config-file",
        str(CONFIG),
        "run",
        str(PROJECT_ROOT / "docs" / "openapi.json"),
        "--url",
        shop.cloud.api_url,
        "--phases",
        "coverage,fuzzing",
        "--seed",
        SEED,
        "--max-examples",
        FUZZED_EXAMPLES,
        "--workers",
        "2",
        "--request-timeout",
        "30",
    ]
    started = time.monotonic()

    run = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=170)

    summary = run.stdout[run.stdout.find("SUMMARY") :]
    print(f"schemathesis: {time.monotonic() - started:.1f} s\n{summary}")
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    assert "generated" in summary
