"""The lock files (requirements.lock, requirements-dev.lock; `make lock` writes them) agree with
pyproject.toml, and the venv the suite runs in holds exactly the locked versions, so the locks
cannot silently drift. Offline: reads the files and the installed metadata only."""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME_LOCK = (ROOT / "requirements.lock").read_text()
DEV_LOCK = (ROOT / "requirements-dev.lock").read_text()

PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")


@dataclass
class Pin:
    version: str
    hashed: bool = False
    # uv annotates what pyproject.toml asks for directly "# via <project> (pyproject.toml)".
    direct: bool = False


def read_lock(text: str, project_name: str) -> dict[str, Pin]:
    """The lock's pins by normalised name; the lines under a pin are its hashes and annotations."""
    pins: dict[str, Pin] = {}
    pin = None
    for line in text.splitlines():
        if match := PIN.match(line):
            pin = pins[canonicalize_name(match["name"])] = Pin(match["version"])
        elif pin is not None:
            pin.hashed |= "--hash=sha256:" in line
            pin.direct |= f"{project_name} (pyproject.toml)" in line
    return pins


def declared(project: dict, extras: tuple[str, ...]) -> dict[str, Requirement]:
    """pyproject.toml's requirements (and those of the given extras) that apply here."""
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    requirements = (Requirement(line) for line in lines)
    return {
        canonicalize_name(requirement.name): requirement
        for requirement in requirements
        if requirement.marker is None or requirement.marker.evaluate()
    }


def disagreements(project: dict, lock: str, extras: tuple[str, ...] = ()) -> list[str]:
    wanted = declared(project, extras)
    pins = read_lock(lock, project["name"])
    problems = []
    for name, requirement in wanted.items():
        pin = pins.get(name)
        if pin is None:
            problems.append(f"pyproject.toml asks for {requirement}, which the lock does not pin")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"the lock pins {name}=={pin.version}, outside {requirement}")
    for name, pin in pins.items():
        if pin.direct and name not in wanted:
            problems.append(f"the lock pins {name} for pyproject.toml, which no longer asks for it")
        if not pin.hashed:
            problems.append(f"the lock pins {name} without a hash")
    return problems


def not_installed_as_locked(pins: dict[str, Pin], version_of=metadata.version) -> list[str]:
    problems = []
    for name, pin in pins.items():
        try:
            installed = version_of(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != pin.version:
            problems.append(f"{name}: locked {pin.version}, installed {installed}")
    return problems


RELOCK = "run `make lock` and commit pyproject.toml with both locks"


def test_the_runtime_lock_pins_what_pyproject_asks_for():
    assert disagreements(PROJECT, RUNTIME_LOCK) == [], RELOCK


def test_the_dev_lock_pins_what_pyproject_asks_for_with_the_dev_extras():
    assert disagreements(PROJECT, DEV_LOCK, extras=("dev",)) == [], RELOCK


def test_the_runtime_lock_pins_the_same_versions_as_the_dev_lock():
    runtime = read_lock(RUNTIME_LOCK, PROJECT["name"])
    dev = read_lock(DEV_LOCK, PROJECT["name"])
    assert {name: pin.version for name, pin in runtime.items()} == {
        name: dev[name].version for name in runtime if name in dev
    }, RELOCK


def test_the_venv_holds_exactly_the_locked_versions():
    assert not_installed_as_locked(read_lock(DEV_LOCK, PROJECT["name"])) == [], (
        "`make test` reinstalls when a lock changes; else `.venv/bin/pip install -r "
        "requirements-dev.lock`"
    )


def first_dependency(project: dict) -> str:
    return canonicalize_name(Requirement(project["dependencies"][0]).name)


def added(project: dict) -> str:
    project["dependencies"].append("a-package-nobody-locked>=1")
    return "a-package-nobody-locked"


def removed(project: dict) -> str:
    name = first_dependency(project)
    del project["dependencies"][0]
    return name


def raised_above_the_lock(project: dict) -> str:
    name = first_dependency(project)
    locked = read_lock(RUNTIME_LOCK, project["name"])[name].version
    project["dependencies"][0] = f"{name}>{locked}"
    return name


@pytest.mark.parametrize("change", [added, removed, raised_above_the_lock])
@pytest.mark.parametrize("lock, extras", [(RUNTIME_LOCK, ()), (DEV_LOCK, ("dev",))])
def test_a_pyproject_change_without_a_relock_is_caught(change, lock, extras):
    project = copy.deepcopy(PROJECT)
    name = change(project)
    problems = disagreements(project, lock, extras)
    assert len(problems) == 1 and name in problems[0], problems


def test_a_pin_without_a_hash_is_caught():
    unhashed = re.sub(r"\\\n\s+--hash=sha256:\w+", "", RUNTIME_LOCK)
    problems = disagreements(PROJECT, unhashed)
    assert len(problems) == len(read_lock(RUNTIME_LOCK, PROJECT["name"])) > 0, problems


def test_a_version_other_than_the_locked_one_is_caught():
    pins = read_lock(RUNTIME_LOCK, PROJECT["name"])
    name = first_dependency(PROJECT)
    problems = not_installed_as_locked(
        pins, version_of=lambda each: "0" if each == name else pins[each].version
    )
    assert problems == [f"{name}: locked {pins[name].version}, installed 0"]
