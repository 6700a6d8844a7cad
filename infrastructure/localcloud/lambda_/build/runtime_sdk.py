"""The packages a Lambda runtime ships in /var/runtime (the AWS SDK, and the SnapStart
runtime hooks of `snapshot-restore-py`), installed once per runtime version and package
list into a folder of its own that every worker of that runtime puts on its path after
the function's code and layers, as Lambda does."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from localcloud.lambda_.build.dependencies import pip_install
from localcloud.lambda_.build.interpreters import interpreter_for
from localcloud.user_cache import user_cache_dir

# The boto3/botocore that AWS's python3.12 and python3.13 runtimes shipped in August
# 2025 (reported in terricain/aioboto3#381; AWS's "Runtime-included SDK versions" page
# no longer lists one). A function that needs a newer SDK bundles it, as on AWS. The
# runtimes that support SnapStart (python3.12 and later) include `snapshot_restore_py`.
RUNTIME_SDK = {
    "python3.12": ("boto3==1.38.36", "botocore==1.38.36", "snapshot-restore-py==1.0.0"),
    "python3.13": ("boto3==1.38.36", "botocore==1.38.36", "snapshot-restore-py==1.0.0"),
}
DEFAULT_SDK = ("boto3==1.38.36", "botocore==1.38.36")
ARCHITECTURE = "x86_64"


@dataclass(frozen=True)
class LambdaRuntime:
    """What the workers of one runtime start on."""

    interpreter: Path
    sdk_dir: Path


def lambda_runtime(runtime: str, user: str, runtimes_dir: Path) -> LambdaRuntime:
    """`user` (a function) names who needs it when the runtime is not installed here."""
    return LambdaRuntime(interpreter_for(runtime, user), runtime_sdk_dir(runtime, runtimes_dir))


def default_runtimes_dir() -> Path:
    """Shared by every checkout on the machine: the SDK is the runtime's, not a project's."""
    return user_cache_dir("runtimes", configured_by="LOCALCLOUD_RUNTIMES_DIR")


def runtime_sdk_dir(runtime: str, runtimes_dir: Path) -> Path:
    """The folder with the runtime's packages, installed on first use; named after
    them too, so that a changed list is installed afresh beside the old one."""
    packages = list(RUNTIME_SDK.get(runtime, DEFAULT_SDK))
    digest = hashlib.sha256("\n".join(packages).encode()).hexdigest()[:12]
    folder = runtimes_dir / f"{runtime}-{digest}"
    if folder.is_dir():
        return folder
    print(f"Installing the {runtime} runtime's packages into {folder}…", flush=True)
    runtimes_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{runtime}-", dir=runtimes_dir))
    try:
        pip_install(packages, scratch, runtime, ARCHITECTURE, f"the {runtime} runtime")
        _publish(scratch, folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def _publish(scratch: Path, folder: Path) -> None:
    """Another process may have installed it meanwhile: the first rename wins."""
    try:
        scratch.rename(folder)
    except OSError:
        if not folder.is_dir():
            raise
