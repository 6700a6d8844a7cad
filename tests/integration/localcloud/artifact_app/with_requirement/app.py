import json
import os
import sys

import boto3
import greeting_lib
import six
import snapshot_restore_py


def handler(event, context):
    body = {
        "six": six.__file__,
        "greeting": greeting_lib.greet("Rex"),
        "greeting_file": greeting_lib.__file__,
        "boto3": boto3.__version__,
        "boto3_file": boto3.__file__,
        "snapshot_restore_file": snapshot_restore_py.__file__,
        "task_root": os.environ["LAMBDA_TASK_ROOT"],
        "python": list(sys.version_info[:2]),
    }
    return {"statusCode": 200, "body": json.dumps(body)}
