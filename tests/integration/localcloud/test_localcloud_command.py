"""`localcloud up` runs another team's template as it is: its own routes and parameters,
nothing of the pet store's (no /docs, no demo data, no pet store banner)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from support.petstore_process import LOCALCLOUD, RunningUp, start_up

pytestmark = pytest.mark.integration

APP_TEMPLATE = Path(__file__).parent / "cloud_app" / "template.yaml"


@pytest.fixture(scope="module")
def app_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUp]:
    running = start_up(
        LOCALCLOUD,
        tmp_path_factory.mktemp("state"),
        *("--template", str(APP_TEMPLATE), "--stack-name", "teamapp", "--no-hot-reload"),
        *("--parameter-overrides", "Greeting=Hello"),
    )
    yield running
    running.stop()


@pytest.mark.timeout(120)
def test_the_apps_routes_answer_with_its_stack_name_and_parameters(app_up: RunningUp) -> None:
    answer = requests.get(f"{app_up.api_url}/environment", timeout=30)

    assert answer.status_code == 200
    assert answer.json()["GREETING"] == "Hello from teamapp in us-east-1"
    assert "Local cloud ready in" in app_up.output[-1]
    assert not any("Pet store" in line or "Seeded" in line for line in app_up.output)


@pytest.mark.timeout(120)
def test_no_pet_store_page_shadows_the_apps_routes(app_up: RunningUp) -> None:
    for path in ("/docs", "/openapi.json", "/_dashboard"):
        answer = requests.get(f"{app_up.api_url}{path}", timeout=30)

        assert answer.status_code == 403, path
        assert answer.json() == {"message": "Missing Authentication Token"}, path


@pytest.mark.timeout(120)
def test_ctrl_c_stops_it_and_it_exits_0(tmp_path: Path) -> None:
    running = start_up(LOCALCLOUD, tmp_path, "--template", str(APP_TEMPLATE), "--no-hot-reload")

    running.stop()

    assert running.process.returncode == 0
