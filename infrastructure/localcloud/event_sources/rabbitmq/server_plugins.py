"""The plugins folder a local broker boots with (`RABBITMQ_PLUGINS_DIR`): only the
applications the `rabbit` application itself needs, as links into the installed server's
own plugins folder.

At boot the server reads every application of its plugins folder (their configuration
schemas, their boot steps), enabled or not. Debian's package holds 70; a broker with no
plugin enabled, as the local cloud's is, runs 20 of them. With a folder of those 20 a
broker is ready in 6.3-7.7 s instead of 9.2-11.2 s. The server still loads code from its
whole installation (the script puts it on `ERL_LIBS`).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT_APPLICATIONS = ("rabbit", "rabbitmq_prelaunch")
_VERSIONED = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)-[0-9][0-9A-Za-z.+-]*$")
_NEEDS = re.compile(r"\{(?:included_)?applications,\s*\[(?P<names>[^\]]*)\]\}")


def installed_plugins_folder(server_script: Path) -> Path | None:
    """`$RABBITMQ_HOME/plugins` of the installation whose `sbin/rabbitmq-server` (or a link
    to it) is `server_script`, as the server's own scripts find it."""
    folder = server_script.resolve().parent.parent / "plugins"
    return folder if folder.is_dir() else None


def needed_applications(plugins: Path) -> list[Path] | None:
    """The folders in `plugins` of the applications `rabbit` needs, followed through each
    one's `.app` file; None where one cannot be read (plugins packed as `.ez` archives)."""
    folders = {}
    for entry in plugins.iterdir():
        match = _VERSIONED.match(entry.name)
        if match is not None and entry.is_dir():
            folders[match["name"]] = entry
    needed: dict[str, Path] = {}
    waiting = list(ROOT_APPLICATIONS)
    while waiting:
        name = waiting.pop()
        if name in needed or name not in folders:
            continue  # an OTP application (kernel, ssl, …): not a plugin
        app_file = folders[name] / "ebin" / f"{name}.app"
        if not app_file.is_file():
            return None
        needed[name] = folders[name]
        for listed in _NEEDS.finditer(app_file.read_text(errors="replace")):
            waiting += re.findall(r"[a-z][a-z0-9_]*", listed["names"])
    if not set(ROOT_APPLICATIONS) <= set(needed):
        return None
    return sorted(needed.values())


def core_plugins_folder(server_script: Path, into: Path) -> Path | None:
    """`into`, made to hold a link to each application `rabbit` needs; None (boot with the
    installation's own folder) where those cannot be told apart."""
    plugins = installed_plugins_folder(server_script)
    applications = needed_applications(plugins) if plugins is not None else None
    if applications is None:
        return None
    into.mkdir()
    for application in applications:
        (into / application.name).symlink_to(application, target_is_directory=True)
    return into
