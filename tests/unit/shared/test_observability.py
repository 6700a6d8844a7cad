"""Logger, Tracer and Metrics come from one module; the X-Ray SDK only when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LAYER_PATH = Path(__file__).resolve().parents[3] / "layers" / "shared"


def _run_in_fresh_interpreter(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PYTHONPATH": str(LAYER_PATH),
            "POWERTOOLS_SERVICE_NAME": "pets",
            "POWERTOOLS_METRICS_NAMESPACE": "PetStore",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_importing_the_logger_does_not_load_the_xray_sdk():
    loaded = _run_in_fresh_interpreter(
        "import sys\n"
        "from petstore_shared.observability import logger\n"
        "print('aws_xray_sdk' in sys.modules)\n"
    )

    assert loaded == "False"


def test_logger_and_metrics_take_service_and_namespace_from_the_environment():
    printed = _run_in_fresh_interpreter(
        "from petstore_shared.observability import logger, metrics\n"
        "from petstore_shared import observability\n"
        "print(logger.service, metrics.service, metrics.namespace, "
        "observability.metrics is metrics)\n"
    )

    assert printed == "pets pets PetStore True"
