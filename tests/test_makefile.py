"""The Makefile's Debian installs run unattended: on a fresh CI machine, as root or
not, while another apt may hold the lock."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def dry_run(*targets: str) -> list[str]:
    """The commands `make -n` would run for `targets` (the venv taken as installed)."""
    make = shutil.which("make")
    assert make is not None
    done = subprocess.run(
        [make, "-n", "-o", ".venv/.installed", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


@pytest.mark.parametrize(
    ("targets", "package"),
    [
        (("test-tools",), "redis-server"),
        (("bench-tools",), "wrk"),
        (("browser-tools",), "chromium"),
        (("ide-assets",), "npm"),
        # As if package.json had changed: the clients' install recipe runs.
        (("-W", "tests/clients/package.json", "test-clients"), "npm"),
    ],
)
def test_debian_packages_are_installed_unattended(targets: tuple[str, ...], package: str) -> None:
    (line,) = [line for line in dry_run(*targets) if "apt-get" in line]
    update, install = line.split("{", 1)[1].split("&&")
    sudo = "sudo -n env " if os.getuid() != 0 else "env "
    for command in (update, install):
        assert command.strip().startswith(sudo + "DEBIAN_FRONTEND=noninteractive apt-get ")
        assert "-o DPkg::Lock::Timeout=600" in command
    assert " update -qq" in update
    assert f"install -y -qq --no-install-recommends {package}" in install
    assert line.count("sudo") == (2 if os.getuid() != 0 else 0)
