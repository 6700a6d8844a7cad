"""Service models for the emulator, loaded once and ahead of the first request.

moto reads a service's botocore model on the service's first request, with a botocore
loader made for that one call, which first lists every service botocore knows from disk
(~45 ms each time). Provisioning a stack makes its first calls to eight services at once,
so each of them waited on the others' listing and loading (an SES configuration set took
0.77 s, the first queues 0.5 s). Installed in the emulator's process, moto's calls share
one loader; `load` reads the models in the background while the local cloud is still
getting ready to provision.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache


def install() -> None:
    from moto.core import utils
    from moto.core.loaders import create_loader

    utils.create_loader = cache(create_loader)


def load(services: Iterable[str]) -> None:
    """Each service's model (by its botocore name), as moto's first request for it would."""
    from moto.core.utils import get_service_model

    for service in services:
        get_service_model(service)
