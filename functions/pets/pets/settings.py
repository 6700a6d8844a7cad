"""Environment of the pets functions."""

from __future__ import annotations

from pydantic import Field

from petstore_shared.settings import EnvironmentSettings


class PetsSettings(EnvironmentSettings):
    pets_table_name: str = Field(alias="PETS_TABLE_NAME", min_length=1)
