"""Every installed wheel must carry a tag the Lambda runtime accepts: its Python, its
glibc (Amazon Linux 2023's 2.34 for python3.12 and later, Amazon Linux 2's 2.26
before) and the function's architecture."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag, compatible_tags, cpython_tags, parse_tag

AMAZON_LINUX_2023_FROM = (3, 12)
GLIBC_MINOR = {"al2023": 34, "al2": 26}
MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
OLDEST_MANYLINUX_MINOR = {"x86_64": 5, "aarch64": 17}
"""manylinux_2_5 is the first x86_64 policy, manylinux_2_17 the first for aarch64."""
LEGACY_ALIASES = {5: "manylinux1", 12: "manylinux2010", 17: "manylinux2014"}


@dataclass(frozen=True)
class ForeignWheel:
    dist_info: Path
    tags: tuple[str, ...]


def accepted_tags(python: tuple[int, int], architecture: str) -> frozenset[Tag]:
    """The tags pip would install for this runtime: cp3X, abi3 and pure py3 wheels, on
    every manylinux policy up to the runtime's glibc."""
    platforms = list(_manylinux_platforms(python, MACHINES[architecture]))
    return frozenset(
        [
            *cpython_tags(python, platforms=platforms),
            *compatible_tags(python, f"cp{python[0]}{python[1]}", platforms=platforms),
        ]
    )


def _manylinux_platforms(python: tuple[int, int], machine: str) -> Iterator[str]:
    glibc_minor = GLIBC_MINOR["al2023" if python >= AMAZON_LINUX_2023_FROM else "al2"]
    for minor in range(glibc_minor, OLDEST_MANYLINUX_MINOR[machine] - 1, -1):
        yield f"manylinux_2_{minor}_{machine}"
        if minor in LEGACY_ALIASES:
            yield f"{LEGACY_ALIASES[minor]}_{machine}"


def foreign_wheels(artifact_dir: Path, accepted: frozenset[Tag]) -> list[ForeignWheel]:
    """The installed distributions none of whose wheel tags the runtime accepts."""
    return [
        ForeignWheel(wheel_file.parent, tuple(tags))
        for wheel_file in sorted(artifact_dir.rglob("*.dist-info/WHEEL"))
        if not _any_accepted(tags := _wheel_tags(wheel_file), accepted)
    ]


def _wheel_tags(wheel_file: Path) -> list[str]:
    return [
        line.partition(":")[2].strip()
        for line in wheel_file.read_text(errors="replace").splitlines()
        if line.startswith("Tag:")
    ]


def _any_accepted(tags: Iterable[str], accepted: frozenset[Tag]) -> bool:
    return any(not parse_tag(tag).isdisjoint(accepted) for tag in tags)
