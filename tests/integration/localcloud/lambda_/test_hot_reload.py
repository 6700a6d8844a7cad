"""Hot reload over real HTTP: saving a handler's file puts the new code behind the
function's route with no restart and nothing lost; a file that does not compile
answers 502 and is named in the log until it is fixed."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import free_port
from support.waiting import wait_until

pytestmark = pytest.mark.integration

APP = Path(__file__).parents[1] / "reload_app"
RELOAD_TIMEOUT_S = 10.0


@pytest.fixture
def app(tmp_path: Path) -> Path:
    shutil.copytree(APP, tmp_path / "app", ignore=shutil.ignore_patterns(".local"))
    return tmp_path / "app"


@pytest.fixture
def cloud(app: Path) -> Iterator[LocalCloud]:
    started = LocalCloud(
        LocalCloudConfig(
            template=app / "template.yaml",
            stack_name="reloadtest",
            api_port=free_port(),
            emulator_port=free_port(),
            monitoring=None,
            quiet=True,
            hot_reload=True,
        )
    )
    started.start()
    yield started
    started.stop()


def save_version(handler: Path, version: str) -> None:
    text = handler.read_text()
    start = text.index('VERSION = "') + len('VERSION = "')
    end = text.index('"', start)
    handler.write_text(text[:start] + version + text[end:])


def item(cloud: LocalCloud, item_id: str) -> requests.Response:
    return requests.get(f"{cloud.api_url}/items/{item_id}", timeout=30)


def answers(cloud: LocalCloud, version: str) -> bool:
    answer = item(cloud, "rex")
    return answer.status_code == 200 and answer.json() == {"version": version, "found": True}


def test_a_saved_handler_serves_the_next_request_with_its_data_still_there(
    cloud: LocalCloud, app: Path
) -> None:
    written = requests.put(f"{cloud.api_url}/items/rex", timeout=30)
    assert written.json() == {"version": "v1", "found": True}

    saved_at = time.monotonic()
    save_version(app / "code" / "app.py", "v2")

    wait_until(lambda: answers(cloud, "v2"), timeout_s=RELOAD_TIMEOUT_S, what="the new code")
    assert time.monotonic() - saved_at < RELOAD_TIMEOUT_S


def test_a_syntax_error_answers_502_names_the_file_and_a_fix_recovers(
    cloud: LocalCloud, app: Path
) -> None:
    handler = app / "code" / "app.py"
    requests.put(f"{cloud.api_url}/items/rex", timeout=30)
    function_name = cloud.stack.functions["ItemsFunction"].name if cloud.stack else ""
    working = handler.read_text()

    handler.write_text(working + "\ndef broken(:\n")

    wait_until(
        lambda: item(cloud, "rex").status_code == 502,
        timeout_s=RELOAD_TIMEOUT_S,
        what="a 502 from the broken handler",
    )
    assert any(
        str(handler) in line and "SyntaxError" in line
        for line in cloud.log_sink.lines(function_name)
    )
    assert cloud.invoke("ItemsFunction", {}).error_type == "Runtime.UserCodeSyntaxError"

    handler.write_text(working.replace('VERSION = "v1"', 'VERSION = "fixed"'))

    wait_until(lambda: answers(cloud, "fixed"), timeout_s=RELOAD_TIMEOUT_S, what="the fix")
