"""Service models in the emulator: one botocore loader for every model moto reads, and the
models read before the first request needs them."""

from __future__ import annotations

from unittest import mock

from moto.core import utils

from localcloud.emulator.patches import service_models


def test_moto_reads_every_model_with_one_loader() -> None:
    with mock.patch.object(utils, "create_loader", utils.create_loader):
        service_models.install()
        assert utils.create_loader() is utils.create_loader()


def test_a_model_loaded_ahead_is_the_one_a_request_gets() -> None:
    service_models.load(["sqs"])
    loads = utils.get_service_model.cache_info().misses
    model = utils.get_service_model("sqs")
    assert model.service_name == "sqs"
    assert utils.get_service_model.cache_info().misses == loads
