"""`petstore dashboard --out FILE.png` renders the template's dashboard from the local
cloud's metrics, one panel per widget, and the local cloud's pages show the same."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from localcloud.cloudformation.template import parse_template
from petstore_cli.dashboard import (
    DPI,
    GRID_COLUMNS,
    INCHES_PER_COLUMN,
    INCHES_PER_ROW,
    TITLE_INCHES,
    dashboard_pages,
)
from petstore_cli.main import main as petstore_command
from support.saga_http import Shop, add_pet, aws, place_order, wait_for_status

pytestmark = pytest.mark.integration

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"


def _template_alarm_count() -> int:
    resources = parse_template(TEMPLATE.read_text())["Resources"].values()
    return sum(resource["Type"] == "AWS::CloudWatch::Alarm" for resource in resources)


def test_the_dashboard_png_has_one_panel_per_widget_of_the_templates_dashboard(
    petstore: Shop, cli_state: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order = place_order(petstore.alice, add_pet(petstore, stock=1))
    wait_for_status(petstore.alice, order["orderId"])
    assert petstore.cloud.monitoring is not None and petstore.cloud.monitoring.flush()
    cloudwatch = aws(petstore, "cloudwatch")
    widgets = json.loads(
        cloudwatch.get_dashboard(DashboardName="petstore-operations")["DashboardBody"]
    )["widgets"]
    out = tmp_path / "dashboard.png"

    assert (
        petstore_command(["dashboard", "--out", str(out), "--minutes", "5", "--period", "10"]) == 0
    )

    printed = capsys.readouterr().out
    assert printed.strip() == (
        f"Wrote {out}: {len(widgets)} panels of dashboard petstore-operations"
    )
    png = out.read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        rows = max(widget["y"] + widget["height"] for widget in widgets)
        assert (image.width, image.height) == (
            round(GRID_COLUMNS * INCHES_PER_COLUMN * DPI),
            round((rows * INCHES_PER_ROW + TITLE_INCHES) * DPI),
        )


def test_the_local_dashboard_page_shows_the_picture_and_the_templates_alarms(
    petstore: Shop,
) -> None:
    pages = dashboard_pages(lambda: aws(petstore, "cloudwatch"))
    alarm_names = [
        alarm["AlarmName"]
        for alarm in aws(petstore, "cloudwatch").describe_alarms()["MetricAlarms"]
    ]

    _, _, page = pages["/_dashboard"]()
    _, _, picture = pages["/_dashboard.png"]()

    assert len(alarm_names) == _template_alarm_count()
    assert all(f"<td>{name}</td>".encode() in page for name in alarm_names)
    assert picture.startswith(PNG_SIGNATURE)


def test_the_dashboard_command_in_its_own_process_signs_with_the_running_clouds_credentials(
    petstore: Shop, cli_state: None, tmp_path: Path
) -> None:
    out = tmp_path / "own-process.png"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}

    answer = subprocess.run(
        [str(Path(sys.executable).with_name("petstore")), "dashboard", "--out", str(out)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert answer.returncode == 0, answer.stderr[-2000:]
    assert answer.stdout.startswith(f"Wrote {out}: ")
    assert out.read_bytes().startswith(PNG_SIGNATURE)
