"""A requirements file installed for Lambda's platform, once per (requirements
content, runtime, architecture): a second build, or another artifact with the same
requirements, reuses the installed packages."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from localcloud.lambda_.build.interpreters import interpreter_for, python_version
from localcloud.model import TemplateError

# Lambda's python3.12 and later run on Amazon Linux 2023 (glibc 2.34); manylinux_2_28
# wheels are the newest tag pip may pick for it, older manylinux tags still qualify.
_PLATFORMS = {"x86_64": "manylinux_2_28_x86_64", "arm64": "manylinux_2_28_aarch64"}
_OLDER_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}


_INSTALL_LAYOUT = "unpacked wheels"
"""Part of the cache key: a change of how packages are laid out is a cache miss."""


class BuildError(TemplateError):
    """Installing an artifact's requirements failed; the message is pip's own."""


def platform_tags(architecture: str) -> list[str]:
    if architecture not in _PLATFORMS:
        raise TemplateError(f"architecture {architecture}: only x86_64 and arm64 exist on Lambda")
    return [_PLATFORMS[architecture], _OLDER_PLATFORMS[architecture]]


def requirements_key(requirements: Path, runtime: str, architecture: str) -> str:
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"\0{runtime}\0{architecture}\0{_INSTALL_LAYOUT}".encode())
    return digest.hexdigest()[:20]


def installed_requirements(
    requirements: Path, runtime: str, architecture: str, cache_dir: Path, user: str
) -> Path:
    """The folder holding `requirements` installed for Lambda; pip runs on a cache miss."""
    folder = cache_dir / requirements_key(requirements, runtime, architecture)
    if folder.is_dir():
        return folder
    cache_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=cache_dir))
    try:
        pip_install(["-r", str(requirements)], scratch, runtime, architecture, user)
        scratch.rename(folder)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return folder


def pip_install(what: list[str], target: Path, runtime: str, architecture: str, user: str) -> None:
    """`what` installed into `target` as `sam build` installs it: pip, on the runtime's
    own interpreter, downloads binary wheels for Lambda's glibc and architecture, and
    each wheel is unpacked into `target` (no console scripts, no installer records)."""
    python = interpreter_for(runtime, user)
    platforms = [arg for tag in platform_tags(architecture) for arg in ("--platform", tag)]
    with tempfile.TemporaryDirectory(prefix="wheels-") as wheels:
        command = [
            str(python),
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--dest",
            wheels,
            "--only-binary=:all:",
            *platforms,
            "--implementation",
            "cp",
            "--python-version",
            str(python_version(runtime)),
            *what,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            message = (done.stderr or done.stdout).strip()
            raise BuildError(f"{user}: pip could not install {' '.join(what)}:\n{message}")
        target.mkdir(parents=True, exist_ok=True)
        for wheel in sorted(Path(wheels).glob("*.whl")):
            unpack_wheel(wheel, target)


def unpack_wheel(wheel: Path, target: Path) -> None:
    """As aws-lambda-builders does: the whole wheel into `target`, then the contents of
    its `.data/purelib` and `.data/platlib` moved up beside the other packages (the rest
    of `.data`, such as scripts, stays where the wheel put it)."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    name, version = wheel.name.split("-")[:2]
    data_dir = target / f"{name}-{version}.data"
    for scheme in ("purelib", "platlib"):
        if (data_dir / scheme).is_dir():
            shutil.copytree(data_dir / scheme, target, dirs_exist_ok=True)
            shutil.rmtree(data_dir / scheme)
