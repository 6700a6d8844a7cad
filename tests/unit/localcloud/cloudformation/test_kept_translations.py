"""The SAM transform's output kept on disk by its inputs (translations.py)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloudformation import translations
from localcloud.cloudformation.template import parse_template, transform_template

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.13
      Environment:
        Variables:
          STAGE: !Ref Stage
"""


@pytest.fixture
def template_dir(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    return tmp_path


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "translations"
    monkeypatch.setenv("LOCALCLOUD_TRANSLATIONS_DIR", str(folder))
    return folder


def transform(template_dir: Path, stage: str = "dev") -> dict[str, Any]:
    source = parse_template(TEMPLATE)
    loaded = transform_template(
        source, template_dir, region="eu-west-1", parameter_values={"Stage": stage}
    )
    return loaded.template


def test_a_second_transform_with_the_same_inputs_reads_the_kept_translation(
    template_dir: Path, kept: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = transform(template_dir)
    assert first["Resources"]["Fn"]["Type"] == "AWS::Lambda::Function"
    assert len(list(kept.glob("*.json"))) == 1

    def no_translator(*_: object) -> dict[str, Any]:
        raise AssertionError("translated again")

    monkeypatch.setattr("localcloud.cloudformation.template._translate", no_translator)
    assert transform(template_dir) == first


def test_other_parameter_values_are_translated_anew(template_dir: Path, kept: Path) -> None:
    transform(template_dir, "dev")
    transform(template_dir, "prod")
    assert len(list(kept.glob("*.json"))) == 2


def test_kept_translations_are_the_owners_alone(template_dir: Path, kept: Path) -> None:
    transform(template_dir)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o700
    (entry,) = kept.glob("*.json")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600


def test_an_unreadable_kept_translation_is_translated_again(template_dir: Path, kept: Path) -> None:
    first = transform(template_dir)
    (entry,) = kept.glob("*.json")
    entry.write_text("{not json")
    assert transform(template_dir) == first


def test_only_the_latest_translations_are_kept(
    template_dir: Path, kept: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(translations, "KEPT_TRANSLATIONS", 2)
    for stage in ("a", "b", "c"):
        transform(template_dir, stage)
    assert len(list(kept.glob("*.json"))) == 2
