import os

import settings


def handler(event, context):
    return {"service": settings.SERVICE, "pid": os.getpid()}
