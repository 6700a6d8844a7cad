"""The shared layer's botocore session: made at import with the data every function's
clients read, so that the init phase (and a preload shared by several functions) reads it
once, and a client made later reads none of it again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LAYER_PATH = Path(__file__).resolve().parents[3] / "layers" / "shared"
RECORD_LOADS = """
import json
import botocore.loaders
from petstore_shared import aws_clients

loaded = []
load_file = botocore.loaders.JSONFileLoader.load_file
def recording(self, file_path):
    loaded.append(file_path.rpartition("/botocore/data/")[2])
    return load_file(self, file_path)
botocore.loaders.JSONFileLoader.load_file = recording

aws_clients.dynamodb_client()
dynamodb = list(loaded)
aws_clients.sns_client()
print(json.dumps({"dynamodb": dynamodb, "sns": loaded[len(dynamodb):]}))
"""


def test_a_dynamodb_client_made_after_the_import_reads_no_data_file_of_botocore() -> None:
    result = subprocess.run(
        [sys.executable, "-c", RECORD_LOADS],
        env={
            "PYTHONPATH": str(LAYER_PATH),
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = json.loads(result.stdout)

    assert loaded["dynamodb"] == []
    # A service not every function uses reads its own model when its client is made.
    assert any(path.startswith("sns/") for path in loaded["sns"])
    shared = ("dynamodb/", "partitions", "endpoints")
    assert not any(path.startswith(shared) for path in loaded["sns"])
