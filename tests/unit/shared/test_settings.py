"""Environment settings: parsed into a pydantic model once, failing with the variable's
name when it is missing."""

from __future__ import annotations

import pydantic
import pytest
from pydantic import Field

from petstore_shared.settings import EnvironmentSettings, load_settings


class ExampleSettings(EnvironmentSettings):
    table_name: str = Field(alias="EXAMPLE_TABLE_NAME", min_length=1)
    batch_size: int = Field(alias="EXAMPLE_BATCH_SIZE", default=10)


@pytest.fixture(autouse=True)
def fresh_settings():
    load_settings.cache_clear()
    yield
    load_settings.cache_clear()


def test_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("EXAMPLE_TABLE_NAME", "orders")
    monkeypatch.setenv("EXAMPLE_BATCH_SIZE", "25")

    settings = load_settings(ExampleSettings)

    assert settings.table_name == "orders"
    assert settings.batch_size == 25


def test_settings_are_parsed_once_and_then_reused(monkeypatch):
    monkeypatch.setenv("EXAMPLE_TABLE_NAME", "first")
    first = load_settings(ExampleSettings)
    monkeypatch.setenv("EXAMPLE_TABLE_NAME", "second")

    assert load_settings(ExampleSettings) is first


def test_a_missing_variable_fails_naming_it(monkeypatch):
    monkeypatch.delenv("EXAMPLE_TABLE_NAME", raising=False)

    with pytest.raises(pydantic.ValidationError, match="EXAMPLE_TABLE_NAME"):
        load_settings(ExampleSettings)
