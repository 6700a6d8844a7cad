"""Environment settings, parsed once per execution environment into a pydantic model.

Each service declares its own subclass whose field aliases are the variable names:

    class PetsSettings(EnvironmentSettings):
        pets_table_name: str = Field(alias="PETS_TABLE_NAME", min_length=1)

Parsing happens on first use rather than at import, so tools that only import handler
modules (the OpenAPI generator) need no environment.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict


class EnvironmentSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


SettingsT = TypeVar("SettingsT", bound=EnvironmentSettings)


@cache
def load_settings[SettingsT: EnvironmentSettings](settings_class: type[SettingsT]) -> SettingsT:
    """Parse the process environment; a missing or bad variable fails with its name."""
    return settings_class.model_validate(dict(os.environ))
