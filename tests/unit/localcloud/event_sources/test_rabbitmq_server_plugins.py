"""The local broker boots with a plugins folder of only the applications `rabbit` needs,
found by following the `.app` files of the installed server."""

from __future__ import annotations

from pathlib import Path

from localcloud.event_sources.rabbitmq.server_plugins import (
    core_plugins_folder,
    needed_applications,
)


def _installation(root: Path, applications: dict[str, list[str]]) -> Path:
    """A RabbitMQ installation (`sbin/rabbitmq-server` beside `plugins/`) holding these
    applications, each needing the ones listed."""
    (root / "sbin").mkdir(parents=True)
    script = root / "sbin" / "rabbitmq-server"
    script.write_text("#!/bin/sh\n")
    for name, needs in applications.items():
        ebin = root / "plugins" / f"{name}-3.10.8" / "ebin"
        ebin.mkdir(parents=True)
        (ebin / f"{name}.app").write_text(
            f'{{application, {name}, [{{vsn, "3.10.8"}},\n'
            f" {{applications, [{', '.join(needs)}]}},\n {{env, []}}]}}.\n"
        )
    return script


def test_the_applications_rabbit_needs_are_followed_and_the_others_left_out(
    tmp_path: Path,
) -> None:
    script = _installation(
        tmp_path / "rabbitmq_server-3.10.8",
        {
            "rabbit": ["kernel", "stdlib", "rabbitmq_prelaunch", "ra", "rabbit_common"],
            "rabbitmq_prelaunch": ["kernel", "rabbit_common", "cuttlefish"],
            "rabbit_common": ["kernel", "recon"],
            "ra": ["gen_batch_server"],
            "cuttlefish": [],
            "recon": [],
            "gen_batch_server": [],
            "rabbitmq_management": ["rabbit", "cowboy"],
            "cowboy": ["ranch"],
            "ranch": [],
        },
    )

    found = needed_applications(script.parent.parent / "plugins")

    assert found is not None
    assert [folder.name.removesuffix("-3.10.8") for folder in found] == [
        "cuttlefish",
        "gen_batch_server",
        "ra",
        "rabbit",
        "rabbit_common",
        "rabbitmq_prelaunch",
        "recon",
    ]


def test_the_folder_links_each_needed_application_of_the_installation(tmp_path: Path) -> None:
    script = _installation(
        tmp_path / "server",
        {"rabbit": ["rabbitmq_prelaunch"], "rabbitmq_prelaunch": [], "rabbitmq_mqtt": []},
    )
    installed = script.parent.parent / "plugins"
    (tmp_path / "home").mkdir()

    folder = core_plugins_folder(script, tmp_path / "home" / "plugins")

    assert folder == tmp_path / "home" / "plugins"
    assert {link.name: link.resolve() for link in folder.iterdir()} == {
        "rabbit-3.10.8": installed / "rabbit-3.10.8",
        "rabbitmq_prelaunch-3.10.8": installed / "rabbitmq_prelaunch-3.10.8",
    }


def test_a_script_linked_to_the_installation_finds_its_plugins(tmp_path: Path) -> None:
    script = _installation(
        tmp_path / "lib" / "rabbitmq_server-3.10.8",
        {"rabbit": ["rabbitmq_prelaunch"], "rabbitmq_prelaunch": []},
    )
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "rabbitmq-server").symlink_to(script)
    (tmp_path / "home").mkdir()

    folder = core_plugins_folder(tmp_path / "bin" / "rabbitmq-server", tmp_path / "home" / "p")

    assert folder is not None
    assert sorted(link.name for link in folder.iterdir()) == [
        "rabbit-3.10.8",
        "rabbitmq_prelaunch-3.10.8",
    ]


def test_plugins_packed_as_archives_keep_the_installation_s_own_folder(tmp_path: Path) -> None:
    script = _installation(tmp_path / "server", {"rabbitmq_prelaunch": []})
    (script.parent.parent / "plugins" / "rabbit-3.10.8.ez").write_bytes(b"PK")

    assert core_plugins_folder(script, tmp_path / "plugins") is None
    assert not (tmp_path / "plugins").exists()


def test_an_installation_without_a_plugins_folder_keeps_its_own(tmp_path: Path) -> None:
    (tmp_path / "sbin").mkdir()
    script = tmp_path / "sbin" / "rabbitmq-server"
    script.write_text("#!/bin/sh\n")

    assert core_plugins_folder(script, tmp_path / "plugins") is None
