"""The builder lays functions and layers out as `sam build` does, and redoes only
what changed."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.lambda_.build import artifacts, dependencies
from localcloud.lambda_.build.builder import LambdaBuilder
from localcloud.lambda_.build.plan import artifact_specs
from localcloud.model import TemplateError


@pytest.fixture
def pip_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """pip replaced by a fake that installs one module per requirement line, offline."""
    calls: list[list[str]] = []

    def fake_pip(what: list[str], target: Path, runtime: str, arch: str, user: str) -> None:
        calls.append(what)
        lines = Path(what[1]).read_text().splitlines()
        requirements = [line for line in lines if line and not line.startswith("#")]
        target.mkdir(parents=True, exist_ok=True)
        for requirement in requirements:
            name = requirement.split("==")[0]
            (target / f"{name}.py").write_text(f"PLATFORM = {runtime!r}, {arch!r}\n")

    monkeypatch.setattr(dependencies, "pip_install", fake_pip)
    yield calls


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def template(resources: dict[str, object]) -> dict[str, object]:
    return {"Transform": "AWS::Serverless-2016-10-31", "Resources": resources}


def function(code_uri: str, **extra: object) -> dict[str, object]:
    properties = {"CodeUri": code_uri, "Handler": "app.handler", "Runtime": "python3.13"}
    return {"Type": "AWS::Serverless::Function", "Properties": properties, **extra}


def layer(content_uri: str, metadata: dict[str, str] | None = None) -> dict[str, object]:
    resource: dict[str, object] = {
        "Type": "AWS::Serverless::LayerVersion",
        "Properties": {"ContentUri": content_uri},
    }
    if metadata:
        resource["Metadata"] = metadata
    return resource


@pytest.fixture
def app(tmp_path: Path) -> Path:
    write(tmp_path / "svc" / "app.py", "def handler(event, context): return 1\n")
    write(tmp_path / "svc" / "pkg" / "logic.py", "VALUE = 1\n")
    write(tmp_path / "svc" / "requirements.txt", "six==1.17.0\n")
    write(tmp_path / "svc" / "__pycache__" / "app.cpython-313.pyc")
    write(tmp_path / "svc" / "pkg" / "logic.cpython-313.pyc")
    write(tmp_path / "svc" / ".git" / "HEAD")
    write(tmp_path / "other" / "app.py", "def handler(event, context): return 2\n")
    write(tmp_path / "shared" / "shared_lib" / "__init__.py", "NAME = 'shared'\n")
    write(tmp_path / "shared" / "requirements.txt", "# runtime dependencies\nattrs==25.1.0\n")
    write(tmp_path / "plain" / "python" / "plain_lib.py")
    return tmp_path


def build(app: Path, resources: dict[str, object]) -> tuple[LambdaBuilder, dict[str, Path]]:
    builder = LambdaBuilder(app / ".local" / "build", report=lambda line: None)
    return builder, builder.build(artifact_specs(template(resources), app))


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def test_function_artifact_is_its_code_folder_with_requirements_at_the_root(
    app: Path, pip_runs: list[list[str]]
) -> None:
    _, built = build(app, {"Fn": function("svc/")})

    assert built["Fn"] == app / ".local" / "build" / "Fn"
    assert files_under(built["Fn"]) == {
        "app.py",
        "pkg/logic.py",
        "requirements.txt",
        "six.py",
    }
    assert (built["Fn"] / "six.py").read_text() == "PLATFORM = 'python3.13', 'x86_64'\n"


def test_layer_with_a_build_method_goes_under_python_with_its_requirements(
    app: Path, pip_runs: list[list[str]]
) -> None:
    _, built = build(app, {"Shared": layer("shared/", {"BuildMethod": "python3.13"})})

    assert files_under(built["Shared"]) == {
        "python/shared_lib/__init__.py",
        "python/requirements.txt",
        "python/attrs.py",
    }


def test_layer_without_a_build_method_and_sam_built_folders_are_used_as_they_are(
    app: Path, pip_runs: list[list[str]]
) -> None:
    built_by_sam = {"SamResourceId": "Fn"}
    _, built = build(
        app,
        {
            "Plain": layer("plain/"),
            "Fn": function("svc/", Metadata=built_by_sam),
            "BuiltLayer": layer("shared/", {"BuildMethod": "python3.13", **built_by_sam}),
        },
    )

    assert built == {"Plain": app / "plain", "Fn": app / "svc", "BuiltLayer": app / "shared"}
    assert pip_runs == []


def test_requirements_are_installed_once_for_every_artifact_and_build_that_lists_them(
    app: Path, pip_runs: list[list[str]]
) -> None:
    resources = {"A": function("svc/"), "B": function("svc/")}
    build(app, resources)
    build(app, resources)

    assert len(pip_runs) == 1


def test_nothing_changed_means_nothing_is_copied(
    app: Path, pip_runs: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = {"Fn": function("svc/"), "Shared": layer("shared/", {"BuildMethod": "python3.13"})}
    build(app, resources)
    copies: list[Path] = []
    monkeypatch.setattr(artifacts, "_copy_file", lambda source, target: copies.append(source))

    build(app, resources)

    assert copies == []


def test_one_changed_file_refreshes_only_the_artifacts_built_from_it(
    app: Path, pip_runs: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    builder, built = build(
        app, {"Fn": function("svc/"), "Twin": function("svc/"), "Other": function("other/")}
    )
    changed = write(app / "svc" / "pkg" / "logic.py", "VALUE = 2\n")
    other_before = (built["Other"] / "app.py").stat().st_mtime_ns

    refreshed = builder.refresh([changed])

    assert sorted(refreshed) == ["Fn", "Twin"]
    assert (built["Fn"] / "pkg" / "logic.py").read_text() == "VALUE = 2\n"
    assert (built["Twin"] / "pkg" / "logic.py").read_text() == "VALUE = 2\n"
    assert (built["Other"] / "app.py").stat().st_mtime_ns == other_before
    assert len(pip_runs) == 1


def test_an_edit_of_the_same_length_in_the_same_second_runs_the_new_code(
    app: Path, pip_runs: list[list[str]]
) -> None:
    builder, built = build(app, {"Fn": function("svc/")})
    assert _value_imported_from(built["Fn"]) == "1"
    source = app / "svc" / "pkg" / "logic.py"
    stat = source.stat()
    write(source, "VALUE = 2\n")
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))

    builder.refresh([source])

    assert _value_imported_from(built["Fn"]) == "2"


def _value_imported_from(artifact: Path) -> str:
    """What a fresh interpreter imports from the artifact, writing bytecode as Lambda's would."""
    code = f"import sys; sys.path[:0] = [{str(artifact)!r}]; import pkg.logic as m; print(m.VALUE)"
    return subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_deleted_source_file_leaves_the_artifact(app: Path, pip_runs: list[list[str]]) -> None:
    builder, built = build(app, {"Fn": function("svc/")})
    (app / "svc" / "pkg" / "logic.py").unlink()

    assert builder.refresh([app / "svc" / "pkg" / "logic.py"]) == ["Fn"]
    assert not (built["Fn"] / "pkg" / "logic.py").exists()
    assert (built["Fn"] / "six.py").exists()


def test_a_changed_requirements_file_rebuilds_with_the_new_packages(
    app: Path, pip_runs: list[list[str]]
) -> None:
    builder, built = build(app, {"Fn": function("svc/")})
    changed = write(app / "svc" / "requirements.txt", "attrs==25.1.0\n")

    builder.refresh([changed])

    assert (built["Fn"] / "attrs.py").exists() and not (built["Fn"] / "six.py").exists()


def test_a_missing_code_folder_is_named_with_its_resource(app: Path) -> None:
    with pytest.raises(
        TemplateError,
        match=r"Fn \(AWS::Serverless::Function\): property "
        r"CodeUri: folder .*/nowhere does not exist",
    ):
        artifact_specs(template({"Fn": function("nowhere/")}), app)


def test_a_missing_layer_folder_is_named_with_its_resource(app: Path) -> None:
    with pytest.raises(
        TemplateError,
        match=r"Lib \(AWS::Serverless::LayerVersion\): property "
        r"ContentUri: folder .*/gone does not exist",
    ):
        artifact_specs(template({"Lib": layer("gone/")}), app)


def test_a_failing_pip_reports_pips_own_message(tmp_path: Path) -> None:
    requirements = write(tmp_path / "requirements.txt", "this is not = a requirement\n")

    with pytest.raises(dependencies.BuildError) as raised:
        dependencies.installed_requirements(
            requirements, "python3.13", "x86_64", tmp_path / "cache", "Fn (function)"
        )

    assert str(raised.value).startswith("Fn (function): pip could not install -r ")
    assert "Invalid requirement" in str(raised.value)
    assert "Traceback" not in str(raised.value)


def test_a_wheel_is_unpacked_as_sam_build_unpacks_it(tmp_path: Path) -> None:
    wheel = tmp_path / "demo_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo_pkg/__init__.py", "")
        archive.writestr("demo_pkg-1.0.dist-info/METADATA", "Name: demo-pkg\n")
        archive.writestr("demo_pkg-1.0.data/purelib/demo_extra.py", "")
        archive.writestr("demo_pkg-1.0.data/scripts/demo.py", "")
    target = tmp_path / "site"

    dependencies.unpack_wheel(wheel, target)

    assert files_under(target) == {
        "demo_pkg/__init__.py",
        "demo_pkg-1.0.dist-info/METADATA",
        "demo_extra.py",
        "demo_pkg-1.0.data/scripts/demo.py",
    }
