"""Who may use the emulator: the holders of this run's credentials and control secret.

The local cloud makes an access key, a secret key and a control secret each time it
runs, and hands them only to its own processes (the emulator, the function workers) and
to the `petstore` commands, through an owner-only state file. The emulator serves AWS
calls signed with that key and its own addresses (`/moto-api/`, `/_localcloud/`) only
to requests carrying the control secret.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import cache

CONTROL_SECRET_HEADER = "X-Localcloud-Control-Secret"
HANDED_DOWN = {
    "access_key_id": "LOCALCLOUD_ACCESS_KEY_ID",
    "secret_access_key": "LOCALCLOUD_SECRET_ACCESS_KEY",
    "control_secret": "LOCALCLOUD_CONTROL_SECRET",
}
"""The environment variables that hand a run's access down to the emulator's process."""


@dataclass(frozen=True)
class EmulatorAccess:
    access_key_id: str
    secret_access_key: str
    control_secret: str

    @classmethod
    def generate(cls) -> EmulatorAccess:
        return cls(
            access_key_id="AKIA" + secrets.token_hex(8).upper(),
            secret_access_key=secrets.token_urlsafe(30),
            control_secret=secrets.token_urlsafe(32),
        )

    @classmethod
    def handed_down(cls) -> EmulatorAccess | None:
        """The access the parent process handed down in the environment, if it did."""
        values = {field: os.environ.get(name, "") for field, name in HANDED_DOWN.items()}
        return cls(**values) if all(values.values()) else None

    def environment(self) -> dict[str, str]:
        """What an AWS SDK reads its credentials from."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def hand_down(self) -> dict[str, str]:
        """The environment that makes `handed_down()` return this access in a child."""
        return {name: getattr(self, field) for field, name in HANDED_DOWN.items()}

    def control_headers(self) -> dict[str, str]:
        return {CONTROL_SECRET_HEADER: self.control_secret}


@cache
def this_run() -> EmulatorAccess:
    """The access of the local cloud this process runs or belongs to: handed down by the
    process that started this one, else made once for this process."""
    return EmulatorAccess.handed_down() or EmulatorAccess.generate()
